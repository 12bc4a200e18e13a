/* Fast exact number text: shortest round-trip digits of a double by exact
 * 128-bit integer arithmetic (for the magnitudes measured data has), integer
 * digits two at a time, and decimal text to double without strtod where one
 * correctly rounded IEEE operation gives the exact answer. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/fmt_internal.h"

typedef unsigned __int128 u128;

static const uint64_t pow10_u64[20] = {1ull,
                                       10ull,
                                       100ull,
                                       1000ull,
                                       10000ull,
                                       100000ull,
                                       1000000ull,
                                       10000000ull,
                                       100000000ull,
                                       1000000000ull,
                                       10000000000ull,
                                       100000000000ull,
                                       1000000000000ull,
                                       10000000000000ull,
                                       100000000000000ull,
                                       1000000000000000ull,
                                       10000000000000000ull,
                                       100000000000000000ull,
                                       1000000000000000000ull,
                                       10000000000000000000ull};

static const char two_digits[200] = "00010203040506070809"
                                    "10111213141516171819"
                                    "20212223242526272829"
                                    "30313233343536373839"
                                    "40414243444546474849"
                                    "50515253545556575859"
                                    "60616263646566676869"
                                    "70717273747576777879"
                                    "80818283848586878889"
                                    "90919293949596979899";

/* Number of decimal digits of u: the bit length gives it to within one. */
static inline size_t u64_len(uint64_t u)
{
    int bitlen = 64 - __builtin_clzll(u | 1);
    size_t t = (size_t)((bitlen * 1233) >> 12); /* about bitlen * log10(2) */
    return t + ((u | 1) >= pow10_u64[t]);
}

static inline void put2(char *p, uint32_t d)
{
    p[0] = two_digits[2 * d];
    p[1] = two_digits[2 * d + 1];
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The eight digits of v < 10^8 (leading zeros kept) in one 64-bit store: v
 * splits into two 4-digit lanes, each into two 2-digit lanes, each into two
 * digits, all lanes at once. Each lane division is a multiply-shift that is
 * exact for the lane's range (x*10486>>20 = x/100 for x < 10^4, x*103>>10 =
 * x/10 for x < 100) and whose products stay inside the lane. */
static inline void put8(char *p, uint32_t v)
{
    uint64_t x = (uint64_t)(v / 10000) | ((uint64_t)(v % 10000) << 32);
    uint64_t h = ((x * 10486) >> 20) & 0x0000007f0000007full;
    uint64_t y = h | ((x - h * 100) << 16);
    uint64_t t = ((y * 103) >> 10) & 0x000f000f000f000full;
    uint64_t z = (t | ((y - t * 10) << 8)) | 0x3030303030303030ull;
    memcpy(p, &z, 8);
}
#else
static inline void put8(char *p, uint32_t v)
{
    uint32_t hi4 = v / 10000, lo4 = v % 10000;
    put2(p, hi4 / 100);
    put2(p + 2, hi4 % 100);
    put2(p + 4, lo4 / 100);
    put2(p + 6, lo4 % 100);
}
#endif

size_t fmt_u64_digits(uint64_t u, char *out)
{
    if (u < 100) {
        if (u < 10) {
            out[0] = (char)('0' + u);
            return 1;
        }
        put2(out, (uint32_t)u);
        return 2;
    }
    size_t len = u64_len(u);
    char *p = out + len;
    /* eight digits at a time (times have 19, double digits 15 to 17) */
    while (u >= 100000000) {
        p -= 8;
        put8(p, (uint32_t)(u % 100000000));
        u /= 100000000;
    }
    uint32_t v = (uint32_t)u;
    while (v >= 100) {
        p -= 2;
        put2(p, v % 100);
        v /= 100;
    }
    if (v >= 10)
        put2(p - 2, v);
    else
        p[-1] = (char)('0' + v);
    return len;
}

size_t fmt_i64(int64_t v, char *out)
{
    size_t k = 0;
    uint64_t u = (uint64_t)v;
    if (v < 0) {
        out[k++] = '-';
        u = 0 - u;
    }
    k += fmt_u64_digits(u, out + k);
    out[k] = 0;
    return k;
}

/* 10^k as a 128-bit integer, 0 <= k <= 38. */
static inline u128 pow10_128(int k)
{
    if (k < 20) return pow10_u64[k];
    return (u128)pow10_u64[19] * pow10_u64[k - 19];
}

/* v * 10^k = (q + rem / 2^s) rounded (ties to even) to a multiple of div;
 * true when that decimal lies in the read-back interval [lo, hi] (scale
 * 2^(s+2); ends included when incl). *r = the rounded value / div. */
static inline bool candidate(uint64_t q, uint64_t div, u128 rem, int s, u128 lo, u128 hi, bool incl,
                             uint64_t *r)
{
    uint64_t t = q / div;
    u128 twice = (((u128)(q - t * div) << s) + rem) * 2;
    u128 D = (u128)div << s;
    if (twice > D || (twice == D && (t & 1))) t++;
    u128 C = ((u128)t * div) << (s + 2);
    *r = t;
    return incl ? (C >= lo && C <= hi) : (C > lo && C < hi);
}

/* A multiple of div can lie in the read-back interval only when q is within
 * its half-width (below hw + 1 units of q) plus one (rem) of such a multiple. */
static inline bool in_reach(uint64_t q, uint64_t div, uint64_t hw)
{
    uint64_t d = q % div;
    if (div - d < d) d = div - d;
    return d < hw + 2;
}

/*
 * Why this is exact. v = m * 2^-s with m < 2^53 and, for 1e-5 <= v < 1e15,
 * 3 <= s <= 69. Let x be v's decimal exponent and k = 16 - x (2..21), so
 * N = m * 10^k < 2^123 and v * 10^k = N / 2^s has 17 integer digits. The
 * doubles nearest v split at (2m - 1) / 2^(s+1) and (2m + 1) / 2^(s+1)
 * (the lower at (4m - 1) / 2^(s+2) when m = 2^52, where the spacing below v
 * halves); strtod rounds a decimal inside back to v, one on a split point to
 * v only when m is even. At scale 2^(s+2) every such bound and every
 * candidate C <= 10^17 is below 2^128, so membership is decided exactly.
 * Candidates are v correctly rounded (ties to even, as printf rounds) to 15,
 * 16 and 17 digits, in that order. Decimals of <= 15 digits are spaced more
 * than four times the interval's width apart, so at most one lies inside,
 * and when one does the 15-digit rounding is it (zero-padded): stripping
 * its trailing zeros gives the shortest. Otherwise the 16-digit rounding
 * when it reads back, else the 17-digit one (which always does). These are
 * exactly the digits the strtod-checked printf search produces.
 */
bool fmt_double_dec_fast(double a, uint64_t *dv, size_t *nd, int *xout)
{
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    int bexp = (int)((bits >> 52) & 0x7ff);
    uint64_t frac = bits & ((1ull << 52) - 1);
    if (bexp == 0 || bexp == 0x7ff || (bits >> 63)) return false;
    uint64_t m = frac | (1ull << 52);
    int s = 1075 - bexp; /* v = m / 2^s */
    if (s < 3 || s > 69) return false;
    /* floor(log10(2^E)) for E = bexp - 1023; v's exponent is it or one more */
    int E = bexp - 1023;
    int x = E >= 0 ? (E * 78913) >> 18 : -(((-E) * 78913 + (1 << 18) - 1) >> 18);
    int k = 16 - x;
    if (k < 2 || k > 22) return false;
    u128 N = (u128)m * pow10_128(k);
    u128 q = N >> s;
    if (q >= (u128)pow10_u64[17]) {
        x++;
        k--;
        N = (u128)m * pow10_128(k);
        q = N >> s;
    }
    if (k < 2 || k > 21 || q < (u128)pow10_u64[16] || q >= (u128)pow10_u64[17]) return false;
    uint64_t q64 = (uint64_t)q;
    u128 rem = N - (q << s);
    /* bounds at scale 2^(s+2) */
    u128 N4 = N << 2;
    u128 P = pow10_128(k);
    u128 lo = (frac == 0 && bexp > 1) ? N4 - P : N4 - 2 * P;
    u128 hi = N4 + 2 * P;
    bool incl = (m & 1) == 0;
    /* 15, 16, then 17 digits; constant divisors so they compile to
     * multiplications. The interval's half-width is P / 2^(s+1) units of q,
     * at least 0.55 (q >= 10^16 > m * 1.1), so most values skip the shorter
     * candidates on q's last digits alone, and the 17-digit rounding (off by
     * at most 0.5) needs no check unless the interval is halved below. */
    uint64_t hw = (uint64_t)(P >> (s + 1));
    uint64_t r;
    int digits;
    if (in_reach(q64, 100, hw) && candidate(q64, 100, rem, s, lo, hi, incl, &r)) {
        digits = 15;
    } else if (in_reach(q64, 10, hw) && candidate(q64, 10, rem, s, lo, hi, incl, &r)) {
        digits = 16;
    } else if (frac != 0 || bexp <= 1) {
        u128 half = (u128)1 << (s - 1);
        r = q64 + (rem > half || (rem == half && (q64 & 1)));
        digits = 17;
    } else if (candidate(q64, 1, rem, s, lo, hi, incl, &r)) {
        digits = 17;
    } else {
        return false;
    }
    /* trailing zeros off in whole groups before any digit is written: any
     * number of 8s, then at most one each of 4, 2 and 1 */
    int nz = 0;
    while (r % 100000000 == 0) {
        r /= 100000000;
        nz += 8;
    }
    static const uint32_t group[3] = {10000, 100, 10};
    for (int g = 0; g < 3; g++) {
        if (r % group[g] == 0) {
            r /= group[g];
            nz += 4 >> g;
        }
    }
    size_t n = u64_len(r);
    *dv = r;
    *nd = n;
    *xout = x + ((int)n + nz - digits);
    return true;
}

/* Exact powers of ten a double holds. */
static const double pow10_dbl[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* mant * 2^-sh plus a nonzero remainder below it when sticky, rounded to
 * the nearest double (ties to even), for 2^63 <= mant < 2^128 and results
 * in the normal range. */
static double round_u128(u128 q, bool sticky, int sh)
{
    int bl = 128 - (int)((q >> 64) ? __builtin_clzll((uint64_t)(q >> 64)) : 64 + __builtin_clzll((uint64_t)q));
    int drop = bl - 53;
    uint64_t top = (uint64_t)(q >> drop);
    u128 rest = q & (((u128)1 << drop) - 1);
    u128 half = (u128)1 << (drop - 1);
    if (rest > half || (rest == half && (sticky || (top & 1)))) top++;
    if (top == (1ull << 53)) {
        top >>= 1;
        drop++;
    }
    return ldexp((double)top, drop - sh);
}

bool fmt_parse_f64_fast(const char *s, size_t n, double *out)
{
#if FLT_EVAL_METHOD == 0
    /* Text of the fmt_float_syntax shape with at most 19 significant digits
     * and a power of ten up to 10^19 either way. Digits that fit 2^53 with
     * a power below 10^23: both operands are exact doubles, so one IEEE
     * multiplication or division, correctly rounded, is strtod's answer.
     * Otherwise the quotient or product is formed exactly in 128-bit
     * integers (with a sticky bit for a nonzero remainder) and rounded once. */
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    uint64_t mant = 0;
    int nd = 0, scale = 0;
    size_t d0 = i;
    while (i < n && (unsigned)(s[i] - '0') < 10) {
        if (nd || s[i] != '0') nd++;
        mant = mant * 10 + (uint64_t)(s[i] - '0');
        i++;
        if (nd > 19) return false;
    }
    size_t ndig = i - d0;
    if (i < n && s[i] == '.') {
        i++;
        size_t f0 = i;
        while (i < n && (unsigned)(s[i] - '0') < 10) {
            if (nd || s[i] != '0') nd++;
            mant = mant * 10 + (uint64_t)(s[i] - '0');
            i++;
            if (nd > 19) return false;
        }
        scale = -(int)(i - f0);
        ndig += i - f0;
    }
    if (ndig == 0) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        size_t e0 = i;
        int ev = 0;
        while (i < n && (unsigned)(s[i] - '0') < 10) {
            if (ev > 1000) return false;
            ev = ev * 10 + (s[i] - '0');
            i++;
        }
        if (i == e0) return false;
        scale += eneg ? -ev : ev;
    }
    if (i != n) return false;
    double d;
    if (mant <= (1ull << 53) && scale >= -22 && scale <= 22) {
        d = (double)mant;
        d = scale < 0 ? d / pow10_dbl[-scale] : d * pow10_dbl[scale];
    } else if (mant == 0) {
        d = 0;
    } else if (scale < 0 && scale >= -19) {
        /* mant / 10^k: numerator shifted to 127 bits, so the quotient has >= 63 */
        int sh = 127 - (64 - __builtin_clzll(mant));
        u128 X = (u128)mant << sh;
        uint64_t P = pow10_u64[-scale];
        u128 q = X / P;
        d = round_u128(q, X - q * P != 0, sh);
    } else if (scale >= 0 && scale <= 19) {
        u128 X = (u128)mant * pow10_u64[scale];
        if (X < ((u128)1 << 63)) { /* only small mantissas times small powers: exact */
            d = (double)(uint64_t)X;
            if ((u128)(uint64_t)d != X) return false;
        } else {
            d = round_u128(X, false, 0);
        }
    } else {
        return false;
    }
    *out = neg ? -d : d;
    return true;
#else
    (void)s;
    (void)n;
    (void)out;
    return false;
#endif
}
