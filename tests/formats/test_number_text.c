/* Number text: fmt_double against the printf/strtod search it replaced
 * (kept here verbatim as the reference), round trips through strtod,
 * shortness against %.{1..17}g, fmt_i64 against printf, and fmt_parse_f64
 * against strtod, over millions of random values of every magnitude. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "formats/fmt.h"

/* ---- the reference: fmt_double and fmt_i64 as they were ---- */

/* The exponent after 'e' in printf's %e output. */
static int ref_exp_of(const char *p)
{
    if (*p == 'e') p++;
    int sign = 1;
    if (*p == '-' || *p == '+') sign = *p++ == '-' ? -1 : 1;
    int x = 0;
    while (*p >= '0' && *p <= '9') x = x * 10 + (*p++ - '0');
    return sign * x;
}

/* Fast path for values with a short decimal form (most measured data): the
 * smallest k with a * 10^k = m integral (m < 10^15) and m / 10^k == a
 * exactly. Division is correctly rounded like strtod, so that decimal reads
 * back to a; the smallest k gives the fewest digits, and below 16 digits it
 * is the only such decimal, hence the one repr() prints. */
static bool ref_short_digits(double a, char *dig, size_t *nd, int *x)
{
    static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
                                 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19};
    for (int k = 0; k < 20; k++) {
        double sc = a * p10[k];
        if (sc >= 1e15) return false;
        double m = nearbyint(sc);
        if (m == 0 || m / p10[k] != a) continue;
        uint64_t u = (uint64_t)m;
        char t[24];
        size_t n = 0;
        while (u) {
            t[n++] = (char)('0' + u % 10);
            u /= 10;
        }
        for (size_t i = 0; i < n; i++) dig[i] = t[n - 1 - i];
        *x = (int)n - 1 - k;
        while (n > 1 && dig[n - 1] == '0') n--;
        *nd = n;
        return true;
    }
    return false;
}

static size_t ref_i64(int64_t v, char *out)
{
    char t[24];
    size_t n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        t[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t k = 0;
    if (v < 0) out[k++] = '-';
    while (n) out[k++] = t[--n];
    out[k] = 0;
    return k;
}

static size_t ref_double(double v, char *out, size_t outsz)
{
    if (v == 0) return (size_t)snprintf(out, outsz, "%s", signbit(v) ? "-0.0" : "0.0");
    /* Shortest digits that read back to v: DBL_DIG = 15 means at most one
     * 15-digit decimal maps to a double, so when 15 digits round-trip their
     * zero-stripped form is the shortest; else 16 or 17 (correctly rounded,
     * hence the closest). */
    bool neg = signbit(v);
    char dig[24];
    size_t nd = 0;
    int x = 0;
    double a = fabs(v);
    bool in_range = a >= 1e-5 && a < 1e15;
    if (!(in_range && ref_short_digits(a, dig, &nd, &x))) {
        char e[40];
        /* No decimal of <= 15 digits fits (when in range), so start at 16;
         * subnormals carry fewer digits: search them from one digit up. */
        for (int prec = a < DBL_MIN ? 1 : in_range ? 16 : 15; prec <= 17; prec++) {
            snprintf(e, sizeof e, "%.*e", prec - 1, v);
            if (prec == 17 || strtod(e, NULL) == v) break;
        }
        /* e = "-d.ddddde[+-]xx": collect digits and exponent */
        const char *p = e;
        if (*p == '-') p++;
        for (; *p && *p != 'e'; p++)
            if (*p >= '0' && *p <= '9') dig[nd++] = *p;
        x = ref_exp_of(p);
        while (nd > 1 && dig[nd - 1] == '0') nd--;
    }
    /* Python's repr layout: exponent form when x < -4 or x >= 16. */
    char buf[64];
    size_t k = 0;
    if (neg) buf[k++] = '-';
    if (x < -4 || x >= 16) {
        buf[k++] = dig[0];
        if (nd > 1) {
            buf[k++] = '.';
            for (size_t i = 1; i < nd; i++) buf[k++] = dig[i];
        }
        k += (size_t)snprintf(buf + k, sizeof buf - k, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
    } else if (x >= 0) {
        for (int i = 0; i <= x; i++) buf[k++] = (size_t)i < nd ? dig[i] : '0';
        buf[k++] = '.';
        if ((size_t)x + 1 < nd)
            for (size_t i = (size_t)x + 1; i < nd; i++) buf[k++] = dig[i];
        else
            buf[k++] = '0';
    } else {
        buf[k++] = '0';
        buf[k++] = '.';
        for (int i = 0; i < -x - 1; i++) buf[k++] = '0';
        for (size_t i = 0; i < nd; i++) buf[k++] = dig[i];
    }
    buf[k] = 0;
    if (k >= outsz) k = outsz - 1;
    memcpy(out, buf, k);
    out[k] = 0;
    return k;
}


/* ---- deterministic random numbers (xorshift64*) ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static double from_bits(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

static uint64_t to_bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static size_t failures;

/* new == reference, reads back bit-exact, and no longer than the shortest %.Ng. */
static void check_double(double v, bool shortest)
{
    if (!isfinite(v)) return;
    char a[64], r[64];
    size_t na = fmt_double(v, a, sizeof a);
    size_t nr = ref_double(v, r, sizeof r);
    if (na != nr || strcmp(a, r) != 0 || na != strlen(a)) {
        if (failures++ < 10)
            fprintf(stderr, "bits %016" PRIx64 ": new '%s' (%zu) reference '%s' (%zu)\n", to_bits(v), a,
                    na, r, nr);
        return;
    }
    double back = strtod(a, NULL);
    if (to_bits(back) != to_bits(v)) {
        if (failures++ < 10) fprintf(stderr, "bits %016" PRIx64 ": '%s' reads back as %a\n", to_bits(v), a, back);
        return;
    }
    if (!shortest) return;
    char g[64];
    for (int p = 1; p <= 17; p++) {
        snprintf(g, sizeof g, "%.*g", p, v);
        if (strtod(g, NULL) != v) continue;
        /* digits only: the layouts differ ("1e+16" vs "1e+16", "0.0001" vs "0.0001") */
        size_t dg = 0, da = 0;
        for (const char *c = g; *c && *c != 'e'; c++) dg += *c >= '0' && *c <= '9';
        const char *c = a;
        if (*c == '-') c++;
        /* significant digits of our text */
        bool started = false;
        size_t trailing_zeros = 0;
        for (; *c && *c != 'e'; c++) {
            if (*c < '0' || *c > '9') continue;
            if (!started && *c == '0') continue;
            started = true;
            da++;
            trailing_zeros = *c == '0' ? trailing_zeros + 1 : 0;
        }
        if (strchr(a, 'e') == NULL) da -= trailing_zeros; /* "100.0": one significant digit */
        /* %g of p digits may itself carry zeros: count its significant ones */
        size_t gz = 0, gs = 0;
        bool gst = false;
        for (const char *d = g; *d && *d != 'e'; d++) {
            if (*d < '0' || *d > '9') continue;
            if (!gst && *d == '0') continue;
            gst = true;
            gs++;
            gz = *d == '0' ? gz + 1 : 0;
        }
        gs -= gz;
        (void)dg;
        if (da > gs) {
            if (failures++ < 10)
                fprintf(stderr, "bits %016" PRIx64 ": '%s' has %zu digits, '%s' only %zu\n", to_bits(v), a, da, g, gs);
        }
        break;
    }
}

static void test_special_values(void **state)
{
    (void)state;
    failures = 0;
    const double sp[] = {0.1, 0.2, 0.3, 1e23, 5e-324, DBL_MAX, DBL_MIN, -DBL_MIN, 1e-5, 1e15, 1e16,
                         9007199254740992.0, 9007199254740993.0, 2.5, 0.5, 1.0, 123456789012345.0,
                         999999999999999.9, 0.00001234, 4.35, 2.675, 1e-4, 0.46557409813130807,
                         81.639, 1.7976931348623157e308, 2.2250738585072014e-308, 4.9406564584124654e-324,
                         nextafter(1e15, 0), nextafter(1e-5, 0), nextafter(1e-5, 1), 1e14, 1e-6};
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
        check_double(sp[i], true);
        check_double(-sp[i], true);
        check_double(nextafter(sp[i], 0), true);
        check_double(nextafter(sp[i], INFINITY), true);
    }
    /* every power of two (the asymmetric intervals) and its neighbours */
    for (int e = -1074; e <= 1023; e++) {
        double p = ldexp(1.0, e);
        check_double(p, true);
        check_double(nextafter(p, 0), true);
        check_double(nextafter(p, INFINITY), true);
    }
    /* every power of ten a double can be near */
    for (int e = -323; e <= 308; e++) {
        char t[32];
        snprintf(t, sizeof t, "1e%d", e);
        double p = strtod(t, NULL);
        check_double(p, true);
        check_double(nextafter(p, 0), true);
        check_double(nextafter(p, INFINITY), true);
    }
    assert_int_equal(failures, 0);
}

/* Random bit patterns: every exponent, subnormals included. */
static void test_random_bits(void **state)
{
    (void)state;
    failures = 0;
    for (int i = 0; i < 1000000; i++) check_double(from_bits(rnd()), i % 8 == 0);
    assert_int_equal(failures, 0);
}

/* The fast range, uniform in exponent, and integers. */
static void test_random_fast_range(void **state)
{
    (void)state;
    failures = 0;
    for (int i = 0; i < 2000000; i++) {
        double e = -5.0 + 20.0 * (double)(rnd() >> 11) / 9007199254740992.0;
        double v = pow(10.0, e);
        v = from_bits(to_bits(v) ^ (rnd() & 0xff)); /* vary the last bits */
        check_double(v, i % 16 == 0);
    }
    for (int i = 0; i < 300000; i++) check_double((double)(int64_t)(rnd() >> (11 + rnd() % 53)), i % 16 == 0);
    assert_int_equal(failures, 0);
}

/* Measured data: short decimals (m / 10^k) — the ones the fast path must keep short. */
static void test_random_short_decimals(void **state)
{
    (void)state;
    failures = 0;
    for (int i = 0; i < 2000000; i++) {
        int digits = 1 + (int)(rnd() % 15);
        uint64_t m = rnd() % (uint64_t)pow(10, digits);
        int k = (int)(rnd() % 22) - 3;
        char t[64];
        snprintf(t, sizeof t, "%" PRIu64 "e%d", m, -k);
        check_double(strtod(t, NULL), i % 16 == 0);
    }
    assert_int_equal(failures, 0);
}

static void test_i64(void **state)
{
    (void)state;
    const int64_t sp[] = {0, 1, -1, 9, 10, 99, 100, -100, INT64_MAX, INT64_MIN, INT64_MIN + 1,
                          1704067200000000000, 999999999999999999};
    char a[32], r[32], p[32];
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
        fmt_i64(sp[i], a);
        snprintf(p, sizeof p, "%" PRId64, sp[i]);
        assert_string_equal(a, p);
    }
    /* every length and every digit-group boundary: 10^k - 1, 10^k, 10^k + 1 */
    int64_t pw = 1;
    for (int k = 0; k <= 18; k++, pw = k <= 18 ? pw * 10 : pw) {
        for (int64_t d = -1; d <= 1; d++) {
            for (int sg = 1; sg >= -1; sg -= 2) {
                int64_t v = sg * (pw + d);
                fmt_i64(v, a);
                snprintf(p, sizeof p, "%" PRId64, v);
                assert_string_equal(a, p);
            }
        }
    }
    for (int i = 0; i < 1000000; i++) {
        int64_t v = (int64_t)(rnd() >> (rnd() % 64));
        if (i & 1) v = -v;
        size_t n = fmt_i64(v, a);
        size_t m = ref_i64(v, r);
        if (n != m || strcmp(a, r) != 0) fprintf(stderr, "%" PRId64 ": '%s' vs '%s'\n", v, a, r);
        assert_string_equal(a, r);
        assert_int_equal(n, m);
    }
}

/* fmt_parse_f64 (fast path or strtod) equals strtod, bit for bit. */
static void test_parse_f64(void **state)
{
    (void)state;
    const char *sp[] = {"0", "-0", "0.0", "-0.0", "1", "+1", ".5", "5.", "1e23", "9007199254740993",
                        "9007199254740992", "0.1", "1e-22", "1e22", "123456789012345678",
                        "4.9406564584124654e-324", "1.7976931348623157e308", "2e308", "1e-400",
                        "0.46557409813130807", "81.639", "00000000000000000000001.5", "1.000000000000000000000001"};
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
        double v;
        assert_true(fmt_parse_f64(sp[i], strlen(sp[i]), false, &v));
        double w = strtod(sp[i], NULL);
        if (to_bits(v) != to_bits(w)) fprintf(stderr, "'%s': %a vs strtod %a\n", sp[i], v, w);
        assert_true(to_bits(v) == to_bits(w));
    }
    for (int i = 0; i < 2000000; i++) {
        char t[64];
        int digits = 1 + (int)(rnd() % 19);
        uint64_t m = rnd() % (digits == 19 ? UINT64_MAX : (uint64_t)pow(10, digits));
        int kind = (int)(rnd() % 3);
        int k = (int)(rnd() % 50) - 25;
        if (kind == 0) { /* d.ddd */
            char u[32];
            int n = snprintf(u, sizeof u, "%" PRIu64, m);
            int dot = (int)(rnd() % (uint64_t)(n + 1));
            snprintf(t, sizeof t, "%s%.*s.%s", (rnd() & 1) ? "-" : "", dot, u, u + dot);
        } else if (kind == 1) {
            snprintf(t, sizeof t, "%" PRIu64 "e%d", m, k);
        } else {
            snprintf(t, sizeof t, "%.17g", from_bits(rnd()));
            if (strchr(t, 'n') || strchr(t, 'i')) continue;
        }
        double v, w = strtod(t, NULL);
        if (!fmt_parse_f64(t, strlen(t), false, &v)) {
            fprintf(stderr, "'%s' not parsed\n", t);
            fail();
        }
        if (to_bits(v) != to_bits(w)) fprintf(stderr, "'%s': %a vs strtod %a\n", t, v, w);
        assert_true(to_bits(v) == to_bits(w));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_special_values),     cmocka_unit_test(test_random_bits),
        cmocka_unit_test(test_random_fast_range),  cmocka_unit_test(test_random_short_decimals),
        cmocka_unit_test(test_i64),                cmocka_unit_test(test_parse_f64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
