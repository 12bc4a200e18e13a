/* Canonical text of Parquet values for cat/inspect (see pq_text.h). */
#include "pq_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ts_time.h"

/* Fast path: x = m / 10^k with m an integer below 2^53 and at most 15
 * digits. Decimals of up to 15 significant digits map to distinct doubles
 * (DBL_DIG), so such an m is the unique, hence shortest, round-trip form.
 * Fills digits (no trailing zeros) and the decimal exponent of the first
 * digit; false when x is not of that shape (the caller then searches). */
static bool short_decimal(double ax, char *digits, size_t *nd, int *exp)
{
    static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
                                 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17};
    if (!(ax >= 1e-4 && ax < 1e15)) return false;
    for (int k = 0; k < 18; k++) {
        double m = ax * p10[k];
        if (m >= 9007199254740992.0) return false;
        if (m != (double)(uint64_t)m || m / p10[k] != ax) continue;
        uint64_t u = (uint64_t)m;
        char t[24];
        size_t n = 0;
        do {
            t[n++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (n > 15) return false;
        *exp = (int)n - 1 - k;
        size_t z = 0;
        while (z + 1 < n && t[z] == '0') z++; /* trailing zeros of m */
        *nd = n - z;
        for (size_t i = 0; i < *nd; i++) digits[i] = t[n - 1 - i];
        digits[*nd] = 0;
        return true;
    }
    return false;
}

ts_status pqt_double(ts_buf *b, double x, bool json)
{
    const char *q = json ? "\"" : "";
    if (isnan(x)) return ts_buf_printf(b, "%sNaN%s", q, q);
    if (isinf(x)) return ts_buf_printf(b, "%s%sInfinity%s", q, x < 0 ? "-" : "", q);
    if (x == 0) return ts_buf_append_str(b, signbit(x) ? "-0.0" : "0.0");
    bool neg = x < 0;
    char digits[24];
    size_t nd = 0;
    int exp = 0;
    if (!short_decimal(neg ? -x : x, digits, &nd, &exp)) {
        /* Any decimal of up to 15 digits survives a round trip (DBL_DIG), and the
         * correctly rounded p-digit form round-trips whenever any p-digit form
         * does; so 15, 16, 17 digits in turn give the shortest. */
        char e[40];
        for (int p = 15; p <= 17; p++) {
            snprintf(e, sizeof e, "%.*e", p - 1, x);
            if (strtod(e, NULL) == x) break;
        }
        /* e = "-d.ddde+XX": split into digits and exponent */
        const char *s = e;
        if (*s == '-') s++;
        while (*s && *s != 'e') {
            if (*s != '.' && nd < sizeof digits - 1) digits[nd++] = *s;
            s++;
        }
        while (nd > 1 && digits[nd - 1] == '0') nd--;
        digits[nd] = 0;
        exp = *s == 'e' ? (int)strtol(s + 1, NULL, 10) : 0;
    }
    char out[64];
    size_t o = 0;
    if (neg) out[o++] = '-';
    if (exp < -4 || exp >= 16) {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            memcpy(out + o, digits + 1, nd - 1);
            o += nd - 1;
        }
        o += (size_t)snprintf(out + o, sizeof out - o, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
    } else if (exp < 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = 0; i < -exp - 1; i++) out[o++] = '0';
        memcpy(out + o, digits, nd);
        o += nd;
    } else {
        size_t ilen = (size_t)exp + 1;
        for (size_t i = 0; i < ilen; i++) out[o++] = i < nd ? digits[i] : '0';
        out[o++] = '.';
        if (nd > ilen) {
            memcpy(out + o, digits + ilen, nd - ilen);
            o += nd - ilen;
        } else {
            out[o++] = '0';
        }
    }
    return ts_buf_append(b, out, o);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid; *cp = code point. */
static size_t utf8_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
    uint8_t c = p[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2; v = c & 0x1f; min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3; v = c & 0x0f; min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4; v = c & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        v = v << 6 | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
    *cp = v;
    return len;
}

ts_status pqt_json_str(ts_buf *b, const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    TS_TRY(ts_buf_reserve(b, len + 2));
    TS_TRY(ts_buf_append_byte(b, '"'));
    size_t i = 0;
    while (i < len) {
        /* fast path: a run of plain ASCII */
        size_t j = i;
        while (j < len && p[j] >= 0x20 && p[j] < 0x7f && p[j] != '"' && p[j] != '\\') j++;
        if (j > i) {
            TS_TRY(ts_buf_append(b, p + i, j - i));
            i = j;
            if (i >= len) break;
        }
        uint32_t cp;
        size_t n = utf8_seq(p + i, len - i, &cp);
        if (n == 0) {
            cp = 0xfffd;
            n = 1;
        }
        i += n;
        switch (cp) {
        case '"': TS_TRY(ts_buf_append(b, "\\\"", 2)); continue;
        case '\\': TS_TRY(ts_buf_append(b, "\\\\", 2)); continue;
        case '\n': TS_TRY(ts_buf_append(b, "\\n", 2)); continue;
        case '\r': TS_TRY(ts_buf_append(b, "\\r", 2)); continue;
        case '\t': TS_TRY(ts_buf_append(b, "\\t", 2)); continue;
        case '\b': TS_TRY(ts_buf_append(b, "\\b", 2)); continue;
        case '\f': TS_TRY(ts_buf_append(b, "\\f", 2)); continue;
        default: break;
        }
        if (cp >= 0x10000) {
            uint32_t v = cp - 0x10000;
            TS_TRY(ts_buf_printf(b, "\\u%04x\\u%04x", 0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff)));
        } else {
            TS_TRY(ts_buf_printf(b, "\\u%04x", cp));
        }
    }
    return ts_buf_append_byte(b, '"');
}

ts_status pqt_json_int(ts_buf *b, int64_t v)
{
    const int64_t lim = INT64_C(1) << 53;
    bool quote = !(v > -lim && v < lim);
    char t[24];
    size_t n = sizeof t;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        t[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) t[--n] = '-';
    TS_TRY(ts_buf_reserve(b, sizeof t + 2));
    if (quote) b->data[b->len++] = '"';
    memcpy(b->data + b->len, t + n, sizeof t - n);
    b->len += sizeof t - n;
    if (quote) b->data[b->len++] = '"';
    return TS_OK;
}

static ts_status hex(ts_buf *b, const char *p, size_t n, bool json)
{
    static const char hx[] = "0123456789abcdef";
    TS_TRY(ts_buf_reserve(b, 2 * n + 8));
    if (json) TS_TRY(ts_buf_append_byte(b, '"'));
    TS_TRY(ts_buf_append(b, "hex:", 4));
    uint8_t *o = b->data + b->len;
    for (size_t i = 0; i < n; i++) {
        o[2 * i] = (uint8_t)hx[(uint8_t)p[i] >> 4];
        o[2 * i + 1] = (uint8_t)hx[(uint8_t)p[i] & 15];
    }
    b->len += 2 * n;
    if (json) TS_TRY(ts_buf_append_byte(b, '"'));
    return TS_OK;
}

/* RFC 3339 with 9 digits, like ts_time_format, but safe for every int64
 * (ts_time_split overflows in the first day after INT64_MIN, which a file
 * can hold). */
size_t pqt_time(int64_t ns, char out[TS_TIME_STR_MAX])
{
    int64_t days = ns / TS_NS_PER_DAY, rem = ns % TS_NS_PER_DAY;
    if (rem < 0) {
        rem += TS_NS_PER_DAY;
        days -= 1;
    }
    int64_t y;
    unsigned mo, d;
    ts_civil_from_days(days, &y, &mo, &d);
    int64_t secs = rem / TS_NS_PER_SEC;
    if (y < 0 || y > 9999) { /* cannot happen for int64 ns (1677..2262); keep it general */
        int n = snprintf(out, TS_TIME_STR_MAX, "%04lld-%02u-%02uT%02u:%02u:%02u.%09uZ", (long long)y, mo,
                         d, (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60), (unsigned)(secs % 60),
                         (unsigned)(rem % TS_NS_PER_SEC));
        return n < 0 ? 0 : (size_t)n;
    }
    /* the hot path of cat: fixed layout, no printf */
    unsigned f[7] = {(unsigned)y, mo, d, (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
                     (unsigned)(secs % 60), (unsigned)(rem % TS_NS_PER_SEC)};
    static const unsigned width[7] = {4, 2, 2, 2, 2, 2, 9};
    static const char sep[7] = {'-', '-', 'T', ':', ':', '.', 'Z'};
    size_t o = 0;
    for (int i = 0; i < 7; i++) {
        for (unsigned k = width[i]; k-- > 0;) {
            out[o + k] = (char)('0' + f[i] % 10);
            f[i] /= 10;
        }
        o += width[i];
        out[o++] = sep[i];
    }
    out[o] = 0;
    return o;
}

ts_status pqt_cell(ts_buf *b, const ts_batch *batch, size_t col, size_t row,
                   const pq_column_info *ci, bool json)
{
    if (!ts_batch_valid(batch, col, row)) return json ? ts_buf_append(b, "null", 4) : TS_OK;
    const ts_column *c = &batch->cols[col];
    switch (ci->type) {
    case TS_TYPE_BOOL:
        return ts_buf_append_str(b, c->v.b8[row] ? "true" : "false");
    case TS_TYPE_INT64:
        if (json) return pqt_json_int(b, c->v.i64[row]);
        return ts_buf_printf(b, "%lld", (long long)c->v.i64[row]);
    case TS_TYPE_DOUBLE:
        return pqt_double(b, c->v.f64[row], json);
    case TS_TYPE_TIMESTAMP: {
        char t[TS_TIME_STR_MAX];
        size_t n;
        if (ci->kind == PQ_VK_DATE) {
            int64_t y;
            unsigned m, d;
            ts_civil_from_days(c->v.i64[row] / TS_NS_PER_DAY, &y, &m, &d);
            n = (size_t)snprintf(t, sizeof t, "%04lld-%02u-%02u", (long long)y, m, d);
        } else {
            n = pqt_time(c->v.i64[row], t);
        }
        if (json) TS_TRY(ts_buf_append_byte(b, '"'));
        TS_TRY(ts_buf_append(b, t, n));
        if (json) TS_TRY(ts_buf_append_byte(b, '"'));
        return TS_OK;
    }
    case TS_TYPE_STRING: {
        const ts_str *s = &c->v.str[row];
        if (ci->kind == PQ_VK_BINARY) return hex(b, s->ptr, s->len, json);
        if (ci->kind == PQ_VK_UINT64 && json) {
            /* canonical integer: a number below 2^53 */
            bool small = s->len < 16 || (s->len == 16 && memcmp(s->ptr, "9007199254740992", 16) < 0);
            if (small) return ts_buf_append(b, s->ptr, s->len);
            TS_TRY(ts_buf_append_byte(b, '"'));
            TS_TRY(ts_buf_append(b, s->ptr, s->len));
            return ts_buf_append_byte(b, '"');
        }
        if (json) return pqt_json_str(b, s->ptr, s->len);
        return ts_buf_append(b, s->ptr, s->len);
    }
    }
    return TS_OK;
}
