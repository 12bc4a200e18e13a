/* Pieces every text format shares: the format registry (names, extensions,
 * sniffing), the --schema syntax, and exact number and time text. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/ts_alloc.h"
#include "formats/fmt.h"
#include "formats/fmt_internal.h"

/* ---- registry ---- */

static const struct {
    const char *name;
    fmt_kind kind;
} kind_names[] = {
    {"parquet", FMT_PARQUET}, {"lp", FMT_LP},       {"line", FMT_LP},   {"influx", FMT_LP},
    {"csv", FMT_CSV},         {"jsonl", FMT_JSONL}, {"ndjson", FMT_JSONL}, {"json", FMT_JSONL},
};

fmt_kind fmt_kind_parse(const char *name)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (strcasecmp(name, kind_names[i].name) == 0) return kind_names[i].kind;
    return FMT_NONE;
}

const char *fmt_kind_name(fmt_kind k)
{
    switch (k) {
    case FMT_PARQUET: return "parquet";
    case FMT_LP: return "lp";
    case FMT_CSV: return "csv";
    case FMT_JSONL: return "jsonl";
    case FMT_NONE: break;
    }
    return "unknown";
}

static bool ends_with(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && strncasecmp(s + n - k, suf, k) == 0;
}

fmt_kind fmt_kind_from_path(const char *path, fmt_compress *comp)
{
    size_t n = strlen(path);
    fmt_compress c = FMT_COMP_NONE;
    if (ends_with(path, n, ".gz")) {
        c = FMT_COMP_GZIP;
        n -= 3;
    } else if (ends_with(path, n, ".zst")) {
        c = FMT_COMP_ZSTD;
        n -= 4;
    }
    if (comp) *comp = c;
    static const struct {
        const char *ext;
        fmt_kind kind;
    } exts[] = {{".parquet", FMT_PARQUET}, {".pq", FMT_PARQUET}, {".lp", FMT_LP},
                {".line", FMT_LP},         {".csv", FMT_CSV},    {".jsonl", FMT_JSONL},
                {".ndjson", FMT_JSONL}};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (ends_with(path, n, exts[i].ext)) return exts[i].kind;
    return FMT_NONE;
}

fmt_kind fmt_kind_sniff(const uint8_t *p, size_t n)
{
    if (n >= 4 && memcmp(p, "PAR1", 4) == 0) return FMT_PARQUET;
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
    if (i < n && p[i] == '{') return FMT_JSONL;
    return FMT_NONE;
}

void fmt_read_opts_init(fmt_read_opts *o)
{
    memset(o, 0, sizeof *o);
    o->precision = TS_EPOCH_NS;
}

const fmt_counts *fmt_source_counts(const ts_source *s)
{
    if (!s) return NULL;
    const char *k = s->ops->kind;
    if (strcmp(k, "lp") && strcmp(k, "csv") && strcmp(k, "jsonl")) return NULL;
    return &((const fmt_source_base *)s)->counts;
}

const fmt_counts *fmt_sink_counts(const ts_sink *s)
{
    if (!s) return NULL;
    const char *k = s->ops->kind;
    if (strcmp(k, "lp") && strcmp(k, "csv") && strcmp(k, "jsonl") && strcmp(k, "split") &&
        strcmp(k, "parquet"))
        return NULL;
    return &((const fmt_sink_base *)s)->counts;
}

/* ---- schema text ---- */

void fmt_schema_spec_free(fmt_schema_spec *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) ts_free(s->e[i].name);
    ts_free(s->e);
    s->e = NULL;
    s->n = 0;
}

ts_status fmt_schema_spec_parse(const char *text, fmt_schema_spec *out, ts_error *err)
{
    memset(out, 0, sizeof *out);
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char item[512];
        if (n == 0 || n >= sizeof item) {
            fmt_schema_spec_free(out);
            return ts_err_set(err, TS_ERR_USAGE,
                              "--schema: entry %zu is %s; write name:type[:role],...",
                              out->n + 1, n == 0 ? "empty" : "too long");
        }
        memcpy(item, p, n);
        item[n] = 0;
        /* The name is everything before the last one or two ':' parts, so
         * names may contain ':' (measure_value::double). */
        char *c1 = strrchr(item, ':');
        if (!c1 || c1 == item) {
            fmt_schema_spec_free(out);
            return ts_err_set(err, TS_ERR_USAGE,
                              "--schema: '%s' has no type; write name:type[:role] (types: "
                              "timestamp, string, double, int64, bool)",
                              item);
        }
        ts_type ty;
        ts_role role = TS_ROLE_MEASURE;
        bool has_role = false;
        *c1 = 0;
        const char *last = c1 + 1;
        /* name:type:role when the part before the last is a type and the
         * last a role ("time" is both a type and a role: the position decides). */
        char *c2 = strrchr(item, ':');
        ts_type t2;
        if (c2 && c2 != item && ts_type_parse(c2 + 1, &t2) && ts_role_parse(last, &role)) {
            *c2 = 0;
            ty = t2;
            has_role = true;
        } else if (!ts_type_parse(last, &ty)) {
            char bad[512];
            snprintf(bad, sizeof bad, "%s", last);
            fmt_schema_spec_free(out);
            return ts_err_set(err, TS_ERR_USAGE,
                              "--schema: unknown type '%s' for '%s' (timestamp, string, double, "
                              "int64, bool; roles after a second ':' are time, dimension, "
                              "measure_name, measure)",
                              bad, item);
        }
        fmt_schema_spec_entry *ne = ts_realloc(out->e, (out->n + 1) * sizeof *ne);
        if (!ne) {
            fmt_schema_spec_free(out);
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
        out->e = ne;
        for (size_t i = 0; i < out->n; i++)
            if (strcmp(out->e[i].name, item) == 0) {
                fmt_schema_spec_free(out);
                return ts_err_set(err, TS_ERR_USAGE, "--schema: column '%s' is listed twice", item);
            }
        fmt_schema_spec_entry *e = &out->e[out->n];
        e->name = ts_strdup(item);
        if (!e->name) {
            fmt_schema_spec_free(out);
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
        e->type = ty;
        e->has_role = has_role;
        e->role = role;
        out->n++;
        p += n;
        if (*p == ',') p++;
    }
    return TS_OK;
}

const fmt_schema_spec_entry *fmt_schema_spec_find(const fmt_schema_spec *s, const char *name,
                                                  size_t len)
{
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->e[i].name) == len && memcmp(s->e[i].name, name, len) == 0) return &s->e[i];
    return NULL;
}

ts_role fmt_default_role(const char *name, ts_type t, bool *time_taken)
{
    if (t == TS_TYPE_TIMESTAMP && !*time_taken) {
        *time_taken = true;
        return TS_ROLE_TIME;
    }
    if (t == TS_TYPE_STRING)
        return strcmp(name, "measure_name") == 0 ? TS_ROLE_MEASURE_NAME : TS_ROLE_DIMENSION;
    return TS_ROLE_MEASURE;
}

bool fmt_schema_spec_has_time(const fmt_schema_spec *spec)
{
    for (size_t i = 0; i < spec->n; i++)
        if (spec->e[i].has_role && spec->e[i].role == TS_ROLE_TIME) return true;
    return false;
}

ts_status fmt_schema_add_column(ts_schema *schema, const fmt_schema_spec *spec, const char *what,
                                const char *name, ts_type t, bool is_time_col, bool *time_taken, ts_error *err)
{
    const fmt_schema_spec_entry *e = fmt_schema_spec_find(spec, name, strlen(name));
    ts_role role;
    if (e && e->has_role)
        role = e->role;
    else if (is_time_col)
        role = TS_ROLE_TIME;
    else
        role = fmt_default_role(name, t, time_taken);
    if (role == TS_ROLE_TIME && t != TS_TYPE_TIMESTAMP)
        return ts_err_set(err, TS_ERR_USAGE, "%s '%s' has role time but type %s", what, name, ts_type_name(t));
    if (ts_schema_add(schema, name, t, role, role != TS_ROLE_TIME) != TS_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

/* ---- numbers and times ---- */

/* The exponent after 'e' in printf's %e output. */
static int exp_of(const char *p)
{
    if (*p == 'e') p++;
    int sign = 1;
    if (*p == '-' || *p == '+') sign = *p++ == '-' ? -1 : 1;
    int x = 0;
    while (*p >= '0' && *p <= '9') x = x * 10 + (*p++ - '0');
    return sign * x;
}

size_t fmt_double(double v, char *out, size_t outsz)
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
    uint64_t dv;
    if (in_range && fmt_double_dec_fast(a, &dv, &nd, &x)) {
        nd = fmt_u64_digits(dv, dig);
    } else {
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
        x = exp_of(p);
        while (nd > 1 && dig[nd - 1] == '0') nd--;
    }
    /* Python's repr layout: exponent form when x < -4 or x >= 16. At most
     * 24 bytes ("-d.dddddddddddddddde-308"): straight into a large out. */
    char tmp[64];
    char *buf = outsz >= 32 ? out : tmp;
    size_t k = 0;
    if (neg) buf[k++] = '-';
    if (x < -4 || x >= 16) {
        buf[k++] = dig[0];
        if (nd > 1) {
            buf[k++] = '.';
            for (size_t i = 1; i < nd; i++) buf[k++] = dig[i];
        }
        int ax = x < 0 ? -x : x;
        buf[k++] = 'e';
        buf[k++] = x < 0 ? '-' : '+';
        if (ax >= 100) buf[k++] = (char)('0' + ax / 100);
        buf[k++] = (char)('0' + ax / 10 % 10);
        buf[k++] = (char)('0' + ax % 10);
    } else if (x >= 0) {
        size_t ip = (size_t)x + 1; /* digits before the point */
        if (nd <= ip) {
            fmt_copy_short(buf + k, dig, nd);
            memset(buf + k + nd, '0', ip - nd);
            k += ip;
            buf[k++] = '.';
            buf[k++] = '0';
        } else {
            fmt_copy_short(buf + k, dig, ip);
            k += ip;
            buf[k++] = '.';
            fmt_copy_short(buf + k, dig + ip, nd - ip);
            k += nd - ip;
        }
    } else {
        buf[k++] = '0';
        buf[k++] = '.';
        memset(buf + k, '0', (size_t)(-x - 1));
        k += (size_t)(-x - 1);
        fmt_copy_short(buf + k, dig, nd);
        k += nd;
    }
    buf[k] = 0;
    if (buf == out) return k;
    if (k >= outsz) k = outsz - 1;
    memcpy(out, buf, k);
    out[k] = 0;
    return k;
}

bool fmt_parse_i64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        i++;
    }
    if (i == n) return false;
    uint64_t v = 0;
    uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* -?(digits[.digits]|.digits)([eE][+-]?digits)? */
bool fmt_float_syntax(const char *s, size_t n)
{
    size_t i = 0, d = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, d++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, d++;
    }
    if (d == 0) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t e = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, e++;
        if (e == 0) return false;
    }
    return i == n;
}

bool fmt_parse_f64(const char *s, size_t n, bool allow_special, double *out)
{
    if (fmt_parse_f64_fast(s, n, out)) return true; /* never takes a NaN/Inf spelling */
    if (allow_special) {
        static const struct {
            const char *t;
            double v;
        } sp[] = {{"NaN", NAN},           {"nan", NAN},        {"Infinity", INFINITY},
                  {"inf", INFINITY},      {"Inf", INFINITY},   {"+Infinity", INFINITY},
                  {"-Infinity", -INFINITY}, {"-inf", -INFINITY}, {"-Inf", -INFINITY}};
        for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++)
            if (strlen(sp[i].t) == n && memcmp(sp[i].t, s, n) == 0) {
                *out = sp[i].v;
                return true;
            }
    }
    if (n == 0 || n > 400 || !fmt_float_syntax(s, n)) return false;
    char tmp[401];
    memcpy(tmp, s, n);
    tmp[n] = 0;
    *out = strtod(tmp, NULL);
    return true;
}

bool fmt_parse_time(const char *s, size_t n, fmt_time_format tf, int64_t *ns)
{
    ts_epoch_unit u;
    switch (tf) {
    case FMT_TIME_AUTO:
    case FMT_TIME_TEXT: return ts_time_parse(s, n, ns);
    case FMT_TIME_EPOCH_S: u = TS_EPOCH_S; break;
    case FMT_TIME_EPOCH_MS: u = TS_EPOCH_MS; break;
    case FMT_TIME_EPOCH_US: u = TS_EPOCH_US; break;
    case FMT_TIME_EPOCH_NS: u = TS_EPOCH_NS; break;
    default: return false;
    }
    int64_t v;
    if (!fmt_parse_i64(s, n, &v)) return false;
    return ts_time_from_epoch(v, u, ns);
}

bool fmt_parse_bool(const char *s, size_t n, bool *out)
{
    static const char *const t[] = {"true", "True", "TRUE", "t", "T"};
    static const char *const f[] = {"false", "False", "FALSE", "f", "F"};
    for (size_t i = 0; i < 5; i++) {
        if (strlen(t[i]) == n && memcmp(t[i], s, n) == 0) {
            *out = true;
            return true;
        }
        if (strlen(f[i]) == n && memcmp(f[i], s, n) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

ts_status fmt_reject_line(ts_output *reject, const char *line, size_t len, ts_error *err)
{
    if (!reject) return TS_OK;
    TS_TRY(ts_output_write(reject, line, len, err));
    return ts_output_write(reject, "\n", 1, err);
}

/* ---- type inference ---- */

void fmt_infer_init(fmt_infer *f)
{
    memset(f, 0, sizeof *f);
    f->can_bool = f->can_int = f->can_double = f->can_time = true;
}

static bool strict_bool(const char *s, size_t n)
{
    static const char *const w[] = {"true", "True", "TRUE", "false", "False", "FALSE"};
    for (size_t i = 0; i < 6; i++)
        if (strlen(w[i]) == n && memcmp(w[i], s, n) == 0) return true;
    return false;
}

void fmt_infer_text(fmt_infer *f, const char *s, size_t n, bool time_column, fmt_time_format tf)
{
    f->seen = true;
    int64_t i;
    double d;
    if (f->can_bool && !strict_bool(s, n)) f->can_bool = false;
    if (f->can_int && !fmt_parse_i64(s, n, &i)) f->can_int = false;
    if (f->can_double && !fmt_parse_f64(s, n, true, &d)) f->can_double = false;
    if (f->can_time) {
        if (time_column)
            f->can_time = fmt_parse_time(s, n, tf, &i);
        else /* elsewhere only a full date-time text counts as a time */
            f->can_time = n >= 16 && (s[10] == 'T' || s[10] == ' ') && ts_time_parse(s, n, &i);
    }
}

ts_type fmt_infer_result(const fmt_infer *f, bool time_column)
{
    if (!f->seen) return time_column ? TS_TYPE_TIMESTAMP : TS_TYPE_STRING;
    if (time_column && f->can_time) return TS_TYPE_TIMESTAMP;
    if (f->can_bool) return TS_TYPE_BOOL;
    if (f->can_int) return TS_TYPE_INT64;
    if (f->can_double) return TS_TYPE_DOUBLE;
    if (f->can_time) return TS_TYPE_TIMESTAMP;
    return TS_TYPE_STRING;
}
