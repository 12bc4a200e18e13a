/* InfluxDB line protocol: a strict line parser, a two-pass source that turns
 * schemaless points into one fixed schema per measurement without holding
 * the file, and a sink that writes rows as points (DESIGN.md's mapping). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "formats/fmt.h"
#include "formats/fmt_internal.h"

/* ======================= parser ======================= */

void lp_line_free(lp_line *l)
{
    if (!l) return;
    ts_free(l->tags);
    ts_free(l->fields);
    ts_free(l->scratch);
    memset(l, 0, sizeof *l);
}

static ts_status fail_at(size_t *errcol, size_t col, ts_error *err, const char *fmt, const char *a)
{
    *errcol = col + 1;
    return ts_err_set(err, TS_ERR_CORRUPT, fmt, a);
}

static ts_status push_kv(lp_kv **arr, size_t *n, size_t *cap, lp_kv **out, ts_error *err)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        if (nc > FMT_MAX_COLUMNS) nc = FMT_MAX_COLUMNS;
        if (*n >= nc) return ts_err_set(err, TS_ERR_LIMIT, "more than %d tags or fields", FMT_MAX_COLUMNS);
        lp_kv *a = ts_realloc(*arr, nc * sizeof *a);
        if (!a) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        *arr = a;
        *cap = nc;
    }
    *out = &(*arr)[(*n)++];
    memset(*out, 0, sizeof **out);
    return TS_OK;
}

/* Reads a name (measurement: stops at ',' ' '; key: also '=') unescaping
 * "\," "\ " "\=" (not for measurements) and "\\"; other backslashes are
 * literal. Writes NUL-terminated into *dst. */
static size_t scan_name(const char *s, size_t n, size_t p, bool measurement, bool stop_eq,
                        char **dst, size_t *outlen)
{
    char *d = *dst;
    size_t start_len = 0;
    while (p < n) {
        char c = s[p];
        if (c == ' ' || c == ',' || (stop_eq && c == '=')) break;
        if (c == '\\' && p + 1 < n) {
            char e = s[p + 1];
            if (e == ',' || e == ' ' || e == '\\' || (!measurement && e == '=')) {
                d[start_len++] = e;
                p += 2;
                continue;
            }
        }
        d[start_len++] = c;
        p++;
    }
    d[start_len] = 0;
    *outlen = start_len;
    *dst = d + start_len + 1;
    return p;
}

static bool is_bool_word(const char *s, size_t n, bool *v) { return fmt_parse_bool(s, n, v); }

ts_status lp_parse_line(const char *s, size_t n, lp_line *l, bool *empty, size_t *errcol,
                        ts_error *err)
{
    *empty = false;
    *errcol = 0;
    l->ntags = l->nfields = 0;
    l->has_time = false;
    if (n > 0 && s[n - 1] == '\r') n--;
    const char *nul = memchr(s, 0, n);
    if (nul) return fail_at(errcol, (size_t)(nul - s), err, "NUL byte in the line%s", "");
    size_t p = 0;
    while (p < n && (s[p] == ' ' || s[p] == '\t')) p++;
    if (p == n || s[p] == '#') {
        *empty = true;
        return TS_OK;
    }
    /* Unescaped text never outgrows the line; one NUL per token. */
    size_t need = 2 * n + 2;
    if (l->scratch_cap < need) {
        char *ns = ts_realloc(l->scratch, need);
        if (!ns) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        l->scratch = ns;
        l->scratch_cap = need;
    }
    char *dst = l->scratch;
    size_t mstart = p;
    l->measurement = dst;
    p = scan_name(s, n, p, true, false, &dst, &l->measurement_len);
    if (l->measurement_len == 0) return fail_at(errcol, mstart, err, "missing measurement name%s", "");
    /* tags */
    while (p < n && s[p] == ',') {
        p++;
        lp_kv *kv;
        TS_TRY(push_kv(&l->tags, &l->ntags, &l->tags_cap, &kv, err));
        kv->col = p;
        kv->key = dst;
        p = scan_name(s, n, p, false, true, &dst, &kv->key_len);
        if (kv->key_len == 0) return fail_at(errcol, kv->col, err, "empty tag key%s", "");
        if (p >= n || s[p] != '=')
            return fail_at(errcol, p, err, "tag key '%s' has no '=value' (escape ',', '=' and ' ' in tags with '\\')", kv->key);
        p++;
        size_t vstart = p;
        kv->val = dst;
        p = scan_name(s, n, p, false, true, &dst, &kv->val_len);
        if (p < n && s[p] == '=')
            return fail_at(errcol, p, err, "unescaped '=' in the value of tag '%s'", kv->key);
        if (kv->val_len == 0)
            return fail_at(errcol, vstart, err, "tag '%s' has an empty value (omit the tag instead)", kv->key);
        for (size_t i = 0; i + 1 < l->ntags; i++)
            if (l->tags[i].key_len == kv->key_len && memcmp(l->tags[i].key, kv->key, kv->key_len) == 0)
                return fail_at(errcol, kv->col, err, "duplicate tag key '%s'", kv->key);
    }
    if (p >= n) return fail_at(errcol, p, err, "missing fields (a point needs at least one field)%s", "");
    if (s[p] != ' ') return fail_at(errcol, p, err, "expected a space before the fields%s", "");
    while (p < n && s[p] == ' ') p++;
    if (p >= n) return fail_at(errcol, p, err, "missing fields (a point needs at least one field)%s", "");
    /* fields */
    for (;;) {
        lp_kv *kv;
        TS_TRY(push_kv(&l->fields, &l->nfields, &l->fields_cap, &kv, err));
        kv->col = p;
        kv->key = dst;
        p = scan_name(s, n, p, false, true, &dst, &kv->key_len);
        if (kv->key_len == 0) return fail_at(errcol, kv->col, err, "empty field key%s", "");
        if (p >= n || s[p] != '=') return fail_at(errcol, p, err, "field '%s' has no '=value'", kv->key);
        p++;
        size_t vstart = p;
        if (p < n && s[p] == '"') {
            p++;
            kv->type = LP_STRING;
            kv->val = dst;
            size_t k = 0;
            bool closed = false;
            while (p < n) {
                char c = s[p];
                if (c == '\\' && p + 1 < n && (s[p + 1] == '"' || s[p + 1] == '\\')) {
                    dst[k++] = s[p + 1];
                    p += 2;
                    continue;
                }
                if (c == '"') {
                    closed = true;
                    p++;
                    break;
                }
                dst[k++] = c;
                p++;
            }
            if (!closed) return fail_at(errcol, vstart, err, "unterminated string value of field '%s'", kv->key);
            dst[k] = 0;
            kv->val_len = k;
            dst += k + 1;
        } else {
            size_t e = p;
            while (e < n && s[e] != ',' && s[e] != ' ') e++;
            const char *v = s + p;
            size_t vn = e - p;
            if (vn == 0) return fail_at(errcol, vstart, err, "field '%s' has an empty value", kv->key);
            bool b;
            if (is_bool_word(v, vn, &b)) {
                kv->type = LP_BOOL;
                kv->v.b = b;
            } else if (v[vn - 1] == 'i') {
                kv->type = LP_INT;
                if (vn < 2 || v[0] == '+' || !fmt_parse_i64(v, vn - 1, &kv->v.i))
                    return fail_at(errcol, vstart, err,
                                   "invalid integer value of field '%s' (digits then 'i', within int64)", kv->key);
            } else if (v[vn - 1] == 'u') {
                kv->type = LP_UINT;
                uint64_t u = 0;
                bool ok = vn >= 2;
                for (size_t i = 0; ok && i + 1 < vn; i++) {
                    if (v[i] < '0' || v[i] > '9') ok = false;
                    else if (u > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10) ok = false;
                    else u = u * 10 + (uint64_t)(v[i] - '0');
                }
                if (!ok)
                    return fail_at(errcol, vstart, err,
                                   "invalid unsigned value of field '%s' (digits then 'u', within uint64)", kv->key);
                kv->v.u = u;
            } else {
                kv->type = LP_FLOAT;
                if (v[0] == '+' || !fmt_parse_f64(v, vn, false, &kv->v.f))
                    return fail_at(errcol, vstart, err,
                                   "invalid value of field '%s' (a number, 123i, 123u, \"string\", true or false)",
                                   kv->key);
                if (!isfinite(kv->v.f))
                    return fail_at(errcol, vstart, err, "value of field '%s' is out of the float range", kv->key);
            }
            p = e;
        }
        for (size_t i = 0; i + 1 < l->nfields; i++)
            if (l->fields[i].key_len == kv->key_len && memcmp(l->fields[i].key, kv->key, kv->key_len) == 0)
                return fail_at(errcol, kv->col, err, "duplicate field key '%s'", kv->key);
        if (p < n && s[p] == ',') {
            p++;
            continue;
        }
        if (p < n && s[p] != ' ')
            return fail_at(errcol, p, err, "expected ',' or ' ' after the value of field '%s'", kv->key);
        break;
    }
    while (p < n && s[p] == ' ') p++;
    if (p >= n) return TS_OK;
    size_t tstart = p;
    size_t e = p;
    while (e < n && s[e] != ' ' && s[e] != '\t') e++;
    if (s[p] == '+' || !fmt_parse_i64(s + p, e - p, &l->time))
        return fail_at(errcol, tstart, err, "invalid timestamp (an integer in the chosen precision)%s", "");
    l->has_time = true;
    p = e;
    while (p < n && (s[p] == ' ' || s[p] == '\t')) p++;
    if (p < n) return fail_at(errcol, p, err, "unexpected text after the timestamp%s", "");
    return TS_OK;
}

/* ======================= source ======================= */

typedef struct lp_col_info {
    char *name;
    size_t name_len;
    bool is_tag;
    lp_ftype type;
    uint64_t first_line; /* where it was first seen (for conflict messages) */
    size_t col;          /* index in the schema (after sorting) */
} lp_col_info;

typedef struct lp_meas {
    char *name;
    size_t name_len;
    uint64_t first_line;
    lp_col_info *cols; /* tags and fields, first-seen order */
    size_t ncols, cap;
    size_t *sorted; /* index into cols for schema column c+1 */
    uint64_t rows;
    ts_schema schema;
    ts_batch batch;
    bool has_batch;
    uint64_t *stamp; /* per schema column: the row generation that last set it */
    uint64_t gen;
    size_t *hint;    /* line position → cols index, for the usual fixed order */
    size_t nhint;
} lp_meas;

/* The second pass fills the batches of as many measurements at once as fit
 * this estimate of memory (at least one), so the input is re-read once per
 * group rather than once per measurement. */
#define LP_ROUND_BUDGET ((size_t)96 << 20)
#define LP_ROUND_MAX 1024

typedef struct lp_source {
    fmt_source_base b;
    fmt_text_in *in;
    fmt_read_opts o;
    lp_line line;
    lp_meas *m;
    size_t nm, mcap;
    size_t *htab; /* open addressing: index+1 into m */
    size_t hcap;
    const char **names;
    bool scanned;
    size_t group_start, group_end; /* measurements of this second-pass round */
    bool eof;                      /* of the current round's read */
    size_t flush_next;             /* next measurement to flush at round end */
    lp_meas *reset_me;             /* batch handed out last time */
    ts_status poisoned;
} lp_source;

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h;
}

static lp_meas *meas_find(lp_source *s, const char *name, size_t len)
{
    if (!s->hcap) return NULL;
    size_t i = hash_bytes(name, len) & (s->hcap - 1);
    while (s->htab[i]) {
        lp_meas *m = &s->m[s->htab[i] - 1];
        if (m->name_len == len && memcmp(m->name, name, len) == 0) return m;
        i = (i + 1) & (s->hcap - 1);
    }
    return NULL;
}

static ts_status meas_add(lp_source *s, const char *name, size_t len, uint64_t lineno,
                          lp_meas **out, ts_error *err)
{
    if (s->nm == s->mcap) {
        size_t nc = s->mcap ? s->mcap * 2 : 16;
        lp_meas *nm = ts_realloc(s->m, nc * sizeof *nm);
        if (!nm) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        s->m = nm;
        s->mcap = nc;
    }
    if ((s->nm + 1) * 2 > s->hcap) {
        size_t nc = s->hcap ? s->hcap * 2 : 64;
        size_t *nt = ts_calloc(nc, sizeof *nt);
        if (!nt) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < s->nm; k++) {
            size_t i = hash_bytes(s->m[k].name, s->m[k].name_len) & (nc - 1);
            while (nt[i]) i = (i + 1) & (nc - 1);
            nt[i] = k + 1;
        }
        ts_free(s->htab);
        s->htab = nt;
        s->hcap = nc;
    }
    lp_meas *m = &s->m[s->nm];
    memset(m, 0, sizeof *m);
    m->name = ts_strndup(name, len);
    if (!m->name) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    m->name_len = len;
    m->first_line = lineno;
    ts_schema_init(&m->schema);
    size_t i = hash_bytes(name, len) & (s->hcap - 1);
    while (s->htab[i]) i = (i + 1) & (s->hcap - 1);
    s->htab[i] = ++s->nm;
    *out = m;
    return TS_OK;
}

static void meas_free(lp_meas *m)
{
    for (size_t i = 0; i < m->ncols; i++) ts_free(m->cols[i].name);
    ts_free(m->cols);
    ts_free(m->sorted);
    ts_free(m->stamp);
    ts_free(m->hint);
    if (m->has_batch) ts_batch_free(&m->batch);
    ts_schema_free(&m->schema);
    ts_free(m->name);
}

/* Index of key in m->cols (using the hint for position pos), or -1. */
static long col_find(lp_meas *m, size_t pos, const char *key, size_t len)
{
    if (pos < m->nhint) {
        size_t h = m->hint[pos];
        if (h < m->ncols && m->cols[h].name_len == len && memcmp(m->cols[h].name, key, len) == 0)
            return (long)h;
    }
    for (size_t i = 0; i < m->ncols; i++)
        if (m->cols[i].name_len == len && memcmp(m->cols[i].name, key, len) == 0) {
            if (pos < m->nhint) m->hint[pos] = i;
            return (long)i;
        }
    return -1;
}

static const char *ftype_name(lp_ftype t)
{
    switch (t) {
    case LP_FLOAT: return "float";
    case LP_INT: return "integer";
    case LP_UINT: return "unsigned";
    case LP_STRING: return "string";
    case LP_BOOL: return "boolean";
    }
    return "?";
}

static ts_status line_error(lp_source *s, size_t col, ts_error *err)
{
    ts_err_context(err, "%s:%llu:%zu", fmt_text_in_name(s->in),
                   (unsigned long long)fmt_text_in_lineno(s->in), col);
    return err->code;
}

/* Scales the line's timestamp to ns (or applies the default). */
static ts_status line_time(lp_source *s, int64_t *ns, size_t *errcol, ts_error *err)
{
    if (!s->line.has_time) {
        if (s->o.has_default_time) {
            *ns = s->o.default_time;
            return TS_OK;
        }
        *errcol = 1;
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "the point has no timestamp (add one, or pass --default-time now)");
    }
    if (!ts_time_from_epoch(s->line.time, s->o.precision, ns)) {
        *errcol = 1;
        return ts_err_set(err, TS_ERR_CORRUPT, "timestamp %lld overflows in the chosen precision",
                          (long long)s->line.time);
    }
    return TS_OK;
}

/* First pass, one line: checks it against (and extends) its measurement's schema. */
static ts_status scan_line(lp_source *s, uint64_t lineno, size_t *errcol, ts_error *err)
{
    lp_line *l = &s->line;
    int64_t ns;
    TS_TRY(line_time(s, &ns, errcol, err));
    for (size_t i = 0; i < l->nfields; i++)
        if (l->fields[i].type == LP_UINT && l->fields[i].v.u > (uint64_t)INT64_MAX) {
            *errcol = l->fields[i].col + 1;
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "unsigned value of field '%s' is above the int64 maximum "
                              "9223372036854775807 (the archive stores integers as int64)",
                              l->fields[i].key);
        }
    if (s->o.table && (strlen(s->o.table) != l->measurement_len ||
                       memcmp(s->o.table, l->measurement, l->measurement_len) != 0)) {
        /* Other measurements are only listed, not typed. */
        if (!meas_find(s, l->measurement, l->measurement_len)) {
            lp_meas *m;
            TS_TRY(meas_add(s, l->measurement, l->measurement_len, lineno, &m, err));
        }
        return TS_OK;
    }
    lp_meas *m = meas_find(s, l->measurement, l->measurement_len);
    if (!m) TS_TRY(meas_add(s, l->measurement, l->measurement_len, lineno, &m, err));
    /* Check everything before adding anything, so a rejected line leaves no trace. */
    size_t total = l->ntags + l->nfields;
    for (size_t k = 0; k < total; k++) {
        bool is_tag = k < l->ntags;
        lp_kv *kv = is_tag ? &l->tags[k] : &l->fields[k - l->ntags];
        if (strcmp(kv->key, "time") == 0) {
            *errcol = kv->col + 1;
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "'time' cannot be a %s key: it names the timestamp column", is_tag ? "tag" : "field");
        }
        long c = col_find(m, k, kv->key, kv->key_len);
        if (c < 0) continue;
        lp_col_info *ci = &m->cols[c];
        if (ci->is_tag != is_tag) {
            *errcol = kv->col + 1;
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "'%s' is a %s here but a %s on line %llu of measurement '%s'", kv->key,
                              is_tag ? "tag" : "field", ci->is_tag ? "tag" : "field",
                              (unsigned long long)ci->first_line, m->name);
        }
        if (!is_tag && ci->type != kv->type) {
            *errcol = kv->col + 1;
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "field '%s' of measurement '%s' is %s here but %s on line %llu "
                              "(a field keeps one type)",
                              kv->key, m->name, ftype_name(kv->type), ftype_name(ci->type),
                              (unsigned long long)ci->first_line);
        }
    }
    for (size_t k = 0; k < total; k++) {
        bool is_tag = k < l->ntags;
        lp_kv *kv = is_tag ? &l->tags[k] : &l->fields[k - l->ntags];
        if (col_find(m, k, kv->key, kv->key_len) >= 0) continue;
        if (m->ncols + 1 >= FMT_MAX_COLUMNS) {
            *errcol = kv->col + 1;
            return ts_err_set(err, TS_ERR_LIMIT, "measurement '%s' has more than %d tags and fields",
                              m->name, FMT_MAX_COLUMNS);
        }
        if (m->ncols == m->cap) {
            size_t nc = m->cap ? m->cap * 2 : 16;
            lp_col_info *a = ts_realloc(m->cols, nc * sizeof *a);
            if (!a) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            m->cols = a;
            m->cap = nc;
        }
        lp_col_info *ci = &m->cols[m->ncols];
        memset(ci, 0, sizeof *ci);
        ci->name = ts_strndup(kv->key, kv->key_len);
        if (!ci->name) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        ci->name_len = kv->key_len;
        ci->is_tag = is_tag;
        ci->type = kv->type;
        ci->first_line = lineno;
        m->ncols++;
    }
    if (total > m->nhint) {
        size_t *h = ts_realloc(m->hint, total * sizeof *h);
        if (!h) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        for (size_t i = m->nhint; i < total; i++) h[i] = SIZE_MAX;
        m->hint = h;
        m->nhint = total;
    }
    m->rows++;
    return TS_OK;
}

typedef struct lp_sort_key {
    const char *name;
    bool is_tag;
    size_t idx;
} lp_sort_key;

static int cmp_cols(const void *a, const void *b)
{
    const lp_sort_key *x = a, *y = b;
    if (x->is_tag != y->is_tag) return x->is_tag ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Sorted schema: time, tags by name, fields by name. */
static ts_status build_schema(lp_meas *m, ts_error *err)
{
    m->sorted = ts_malloc((m->ncols ? m->ncols : 1) * sizeof *m->sorted);
    m->stamp = ts_calloc(m->ncols + 1, sizeof *m->stamp);
    if (!m->sorted || !m->stamp) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    lp_sort_key *keys = ts_malloc((m->ncols ? m->ncols : 1) * sizeof *keys);
    if (!keys) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < m->ncols; i++)
        keys[i] = (lp_sort_key){.name = m->cols[i].name, .is_tag = m->cols[i].is_tag, .idx = i};
    if (m->ncols) qsort(keys, m->ncols, sizeof *keys, cmp_cols);
    for (size_t i = 0; i < m->ncols; i++) m->sorted[i] = keys[i].idx;
    ts_free(keys);
    if (ts_schema_add(&m->schema, "time", TS_TYPE_TIMESTAMP, TS_ROLE_TIME, false) != TS_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < m->ncols; k++) {
        lp_col_info *ci = &m->cols[m->sorted[k]];
        ci->col = k + 1;
        ts_type t = TS_TYPE_STRING;
        if (!ci->is_tag) switch (ci->type) {
            case LP_FLOAT: t = TS_TYPE_DOUBLE; break;
            case LP_INT:
            case LP_UINT: t = TS_TYPE_INT64; break;
            case LP_STRING: t = TS_TYPE_STRING; break;
            case LP_BOOL: t = TS_TYPE_BOOL; break;
            }
        if (ts_schema_add(&m->schema, ci->name, t, ci->is_tag ? TS_ROLE_DIMENSION : TS_ROLE_MEASURE,
                          true) != TS_OK)
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    return TS_OK;
}

static ts_status lp_scan(lp_source *s, ts_error *err)
{
    if (s->scanned) return TS_OK;
    const char *text;
    size_t len;
    for (uint64_t n = 1;; n++) {
        if (s->o.cancel && *s->o.cancel && (n & 0xffff) == 0)
            return ts_err_set(err, TS_ERR_CANCELLED, "interrupted while reading %s", fmt_text_in_name(s->in));
        TS_TRY(fmt_text_in_line(s->in, &text, &len, err));
        if (!text) break;
        bool empty;
        size_t col = 0;
        ts_error lerr;
        ts_err_clear(&lerr);
        ts_status st = lp_parse_line(text, len, &s->line, &empty, &col, &lerr);
        if (st == TS_OK && empty) continue;
        if (st == TS_OK) st = scan_line(s, fmt_text_in_lineno(s->in), &col, &lerr);
        if (st == TS_ERR_CORRUPT && s->o.skip_bad_lines) {
            s->b.counts.bad_lines++;
            TS_TRY(fmt_reject_line(s->o.reject, text, len, err));
            continue;
        }
        if (st != TS_OK) {
            *err = lerr;
            return line_error(s, col, err);
        }
    }
    if (s->o.table && !meas_find(s, s->o.table, strlen(s->o.table))) {
        ts_buf names;
        ts_buf_init(&names, 4096);
        for (size_t i = 0; i < s->nm && i < 20; i++)
            ts_buf_printf(&names, "%s'%s'", i ? ", " : "", s->m[i].name);
        ts_buf_nul(&names);
        ts_status st = ts_err_set(err, TS_ERR_NOT_FOUND, "%s has no measurement '%s' (it has %s%s)",
                                  fmt_text_in_name(s->in), s->o.table,
                                  s->nm ? (const char *)names.data : "none", s->nm > 20 ? ", ..." : "");
        ts_buf_free(&names);
        return st;
    }
    s->names = ts_calloc(s->nm ? s->nm : 1, sizeof *s->names);
    if (!s->names) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < s->nm; i++) {
        s->names[i] = s->m[i].name;
        TS_TRY(build_schema(&s->m[i], err));
    }
    s->scanned = true;
    TS_TRY(fmt_text_in_rewind(s->in, err));
    s->group_start = s->group_end = 0;
    s->eof = true; /* forces the first round to start */
    s->flush_next = SIZE_MAX;
    return TS_OK;
}

ts_status lp_source_tables(ts_source *src, const char *const **names, size_t *n, ts_error *err)
{
    lp_source *s = (lp_source *)src;
    TS_TRY(lp_scan(s, err));
    if (s->o.table) {
        /* Only the chosen one is emitted. */
        lp_meas *m = meas_find(s, s->o.table, strlen(s->o.table));
        *names = (const char *const *)&s->names[m - s->m];
        *n = 1;
        return TS_OK;
    }
    *names = s->names;
    *n = s->nm;
    return TS_OK;
}

static bool wanted(const lp_source *s, const lp_meas *m)
{
    if (s->o.table) return strcmp(m->name, s->o.table) == 0;
    return true;
}

/* Second pass, one line: appends a row to its measurement's batch. Returns
 * the measurement when its batch became full. */
static ts_status fill_line(lp_source *s, lp_meas **full, ts_error *err)
{
    *full = NULL;
    lp_line *l = &s->line;
    lp_meas *m = meas_find(s, l->measurement, l->measurement_len);
    if (!m) return TS_OK; /* a line rejected in the first pass */
    size_t mi = (size_t)(m - s->m);
    if (mi < s->group_start || mi >= s->group_end || !wanted(s, m)) return TS_OK;
    size_t errcol;
    int64_t ns;
    ts_error lerr;
    ts_err_clear(&lerr);
    if (line_time(s, &ns, &errcol, &lerr) != TS_OK) return TS_OK;
    /* Lines the first pass rejected (skip mode) are skipped again here. */
    size_t total = l->ntags + l->nfields;
    for (size_t k = 0; k < total; k++) {
        bool is_tag = k < l->ntags;
        lp_kv *kv = is_tag ? &l->tags[k] : &l->fields[k - l->ntags];
        long c = col_find(m, k, kv->key, kv->key_len);
        if (c < 0 || m->cols[c].is_tag != is_tag || (!is_tag && m->cols[c].type != kv->type))
            return TS_OK;
        if (!is_tag && kv->type == LP_UINT && kv->v.u > (uint64_t)INT64_MAX) return TS_OK;
        if (strcmp(kv->key, "time") == 0) return TS_OK;
    }
    if (!m->has_batch) {
        size_t cap = s->o.batch_rows ? s->o.batch_rows : TS_BATCH_DEFAULT_ROWS;
        /* A small measurement's batch never fills, so it is handed out at
         * the end of the round, in first-seen order. */
        if (m->rows < cap) cap = (size_t)m->rows + 1;
        if (ts_batch_init(&m->batch, &m->schema, cap) != TS_OK)
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory for a batch of %zu rows", cap);
        m->batch.table = m->name;
        m->has_batch = true;
    }
    ts_batch *b = &m->batch;
    size_t r = b->nrows;
    uint64_t mark = ++m->gen;
    ts_batch_set_i64(b, 0, r, ns);
    for (size_t k = 0; k < total; k++) {
        bool is_tag = k < l->ntags;
        lp_kv *kv = is_tag ? &l->tags[k] : &l->fields[k - l->ntags];
        lp_col_info *ci = &m->cols[col_find(m, k, kv->key, kv->key_len)];
        size_t c = ci->col;
        m->stamp[c] = mark;
        if (is_tag || kv->type == LP_STRING) {
            if (ts_batch_set_str(b, c, r, kv->val, kv->val_len) != TS_OK)
                return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            continue;
        }
        switch (kv->type) {
        case LP_FLOAT: ts_batch_set_f64(b, c, r, kv->v.f); break;
        case LP_INT: ts_batch_set_i64(b, c, r, kv->v.i); break;
        case LP_UINT: ts_batch_set_i64(b, c, r, (int64_t)kv->v.u); break;
        case LP_BOOL: ts_batch_set_bool(b, c, r, kv->v.b); break;
        case LP_STRING: break;
        }
    }
    for (size_t c = 1; c < m->schema.ncols; c++)
        if (m->stamp[c] != mark) ts_batch_set_null(b, c, r);
    b->nrows++;
    s->b.counts.rows++;
    if (b->nrows == b->capacity) *full = m;
    return TS_OK;
}

static ts_status lp_next(ts_source *src, const ts_batch **out, ts_error *err)
{
    lp_source *s = (lp_source *)src;
    *out = NULL;
    if (s->poisoned) return ts_err_set(err, s->poisoned, "line protocol source failed earlier");
    ts_status st = lp_scan(s, err);
    if (st != TS_OK) return s->poisoned = st;
    if (s->reset_me) {
        ts_batch_reset(&s->reset_me->batch);
        s->reset_me = NULL;
    }
    for (;;) {
        if (s->eof) {
            /* Round over: flush what the round filled, then start the next one. */
            if (s->flush_next < s->group_end) {
                while (s->flush_next < s->group_end) {
                    lp_meas *m = &s->m[s->flush_next++];
                    if (m->has_batch && m->batch.nrows > 0) {
                        *out = &m->batch;
                        s->reset_me = m;
                        return TS_OK;
                    }
                }
            }
            /* Free the finished round's batches. */
            for (size_t i = s->group_start; i < s->group_end; i++)
                if (s->m[i].has_batch) {
                    ts_batch_free(&s->m[i].batch);
                    s->m[i].has_batch = false;
                }
            size_t next = s->group_end;
            while (next < s->nm && (!wanted(s, &s->m[next]) || s->m[next].rows == 0)) next++;
            if (next >= s->nm) return TS_OK; /* done */
            s->group_start = next;
            size_t k = 0, e = next, budget = 0;
            size_t cap_max = s->o.batch_rows ? s->o.batch_rows : TS_BATCH_DEFAULT_ROWS;
            while (e < s->nm && k < LP_ROUND_MAX) {
                const lp_meas *m = &s->m[e];
                if (wanted(s, m) && m->rows) {
                    size_t cap = m->rows < cap_max ? (size_t)m->rows + 1 : cap_max;
                    /* values and validity per column, plus a string arena chunk */
                    size_t est = cap * (m->schema.ncols * 9 + 16) + ((size_t)256 << 10);
                    if (k > 0 && budget + est > LP_ROUND_BUDGET) break;
                    budget += est;
                    k++;
                }
                e++;
            }
            s->group_end = e;
            s->flush_next = SIZE_MAX;
            st = fmt_text_in_rewind(s->in, err);
            if (st != TS_OK) return s->poisoned = st;
            s->eof = false;
        }
        const char *text;
        size_t len;
        st = fmt_text_in_line(s->in, &text, &len, err);
        if (st != TS_OK) return s->poisoned = st;
        if (!text) {
            s->eof = true;
            s->flush_next = s->group_start;
            continue;
        }
        bool empty;
        size_t col;
        ts_error lerr;
        ts_err_clear(&lerr);
        if (lp_parse_line(text, len, &s->line, &empty, &col, &lerr) != TS_OK || empty) continue;
        lp_meas *full;
        st = fill_line(s, &full, err);
        if (st != TS_OK) return s->poisoned = st;
        if (full) {
            *out = &full->batch;
            s->reset_me = full;
            return TS_OK;
        }
    }
}

static void lp_close(ts_source *src)
{
    lp_source *s = (lp_source *)src;
    if (!s) return;
    for (size_t i = 0; i < s->nm; i++) meas_free(&s->m[i]);
    ts_free(s->m);
    ts_free(s->htab);
    ts_free(s->names);
    lp_line_free(&s->line);
    fmt_text_in_free(s->in);
    ts_free(s);
}

static const ts_source_ops lp_source_ops = {.kind = "lp", .next = lp_next, .close = lp_close};

ts_status lp_source_new(fmt_text_in *in, const fmt_read_opts *o, ts_source **out, ts_error *err)
{
    *out = NULL;
    lp_source *s = ts_calloc(1, sizeof *s);
    if (!s) {
        fmt_text_in_free(in);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    s->b.base.ops = &lp_source_ops;
    s->in = in;
    if (o)
        s->o = *o;
    else
        fmt_read_opts_init(&s->o);
    *out = &s->b.base;
    return TS_OK;
}

/* ======================= sink ======================= */

typedef struct lp_plan_col {
    size_t col;
    char *key; /* escaped and renamed */
    size_t key_len;
    char *pre; /* ",key=": what goes before the value (a field's first byte becomes ' ' or ',') */
    size_t pre_len;
    bool dense; /* no NULL in the current batch */
} lp_plan_col;

typedef struct lp_sink {
    fmt_sink_base b;
    fmt_text_out *out;
    fmt_write_opts o;
    char *measurement_override;
    char *measurement_column;
    ts_buf line;
    ts_buf esc;
    /* plan for the current schema + table */
    const ts_schema *plan_schema;
    char *plan_table;
    long time_col;
    bool time_dense; /* no NULL time in the current batch */
    long meas_col;
    char *meas_esc;
    size_t meas_esc_len;
    lp_plan_col *tags, *fields;
    size_t ntags, nfields;
    uint64_t row_no;
} lp_sink;

/* Escapes a name or tag value: ',', ' ' (and '=' unless measurement) get a
 * backslash; a backslash is doubled only where a reader would otherwise take
 * it as an escape (before one of those, before a backslash, or at the end),
 * so ordinary backslashes read the same in InfluxDB 1.x and 2.x. */
static ts_status esc_name(ts_buf *b, const char *s, size_t n, bool measurement)
{
    size_t run = 0; /* start of bytes not yet copied: copied in runs, escapes between */
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool esc = false;
        if (c == ',' || c == ' ' || (!measurement && c == '=')) {
            esc = true;
        } else if (c == '\\') {
            char nx = i + 1 < n ? s[i + 1] : 0;
            esc = i + 1 == n || nx == ',' || nx == ' ' || nx == '\\' || (!measurement && nx == '=');
        }
        if (!esc) continue;
        TS_TRY(ts_buf_append(b, s + run, i - run));
        TS_TRY(ts_buf_append_byte(b, '\\'));
        run = i;
    }
    return ts_buf_append(b, s + run, n - run);
}

static ts_status renamed_escaped(ts_buf *b, const char *name, size_t n, bool measurement)
{
    ts_buf_clear(b);
    if (n > 0 && name[0] == '_') TS_TRY(ts_buf_append_str(b, LP_RESERVED_PREFIX));
    TS_TRY(esc_name(b, name, n, measurement));
    return ts_buf_nul(b);
}

static bool has_newline(const char *s, size_t n)
{
    if (n < 32) { /* tag values are short: a loop beats two library calls */
        for (size_t i = 0; i < n; i++)
            if (s[i] == '\n' || s[i] == '\r') return true;
        return false;
    }
    return memchr(s, '\n', n) != NULL || memchr(s, '\r', n) != NULL;
}

static void plan_free(lp_sink *s)
{
    for (size_t i = 0; i < s->ntags; i++) {
        ts_free(s->tags[i].key);
        ts_free(s->tags[i].pre);
    }
    for (size_t i = 0; i < s->nfields; i++) {
        ts_free(s->fields[i].key);
        ts_free(s->fields[i].pre);
    }
    ts_free(s->tags);
    ts_free(s->fields);
    ts_free(s->meas_esc);
    ts_free(s->plan_table);
    s->tags = s->fields = NULL;
    s->ntags = s->nfields = 0;
    s->meas_esc = NULL;
    s->plan_table = NULL;
    s->plan_schema = NULL;
}

static int cmp_plan(const void *a, const void *b)
{
    const lp_plan_col *x = a, *y = b;
    return strcmp(x->key, y->key);
}

static ts_status plan(lp_sink *s, const ts_batch *bt, ts_error *err)
{
    const ts_schema *sc = bt->schema;
    const char *table = bt->table;
    if (s->plan_schema == sc &&
        ((table == NULL && s->plan_table == NULL) || (table && s->plan_table && strcmp(table, s->plan_table) == 0)))
        return TS_OK;
    plan_free(s);
    s->plan_schema = sc;
    if (table && !(s->plan_table = ts_strdup(table))) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    s->time_col = -1;
    s->meas_col = -1;
    if (s->measurement_column) {
        s->meas_col = ts_schema_find(sc, s->measurement_column);
        if (s->meas_col < 0 || sc->fields[s->meas_col].type != TS_TYPE_STRING)
            return ts_err_set(err, TS_ERR_USAGE,
                              "--measurement column '%s' is not a string column of table '%s'",
                              s->measurement_column, table ? table : "(unnamed)");
    } else {
        const char *mn = s->measurement_override ? s->measurement_override : table;
        if (!mn || !*mn)
            return ts_err_set(err, TS_ERR_USAGE,
                              "the input names no table, so line protocol has no measurement: pass --measurement NAME");
        if (has_newline(mn, strlen(mn)))
            return ts_err_set(err, TS_ERR_USAGE, "measurement name '%s' contains a newline", mn);
        if (mn[0] == '#' || mn[0] == '\t')
            return ts_err_set(err, TS_ERR_USAGE,
                              "measurement name '%s' starts with '%s', which line protocol cannot "
                              "write (a comment / skipped blank); pass --measurement NAME",
                              mn, mn[0] == '#' ? "#" : "a tab");
        TS_TRY(renamed_escaped(&s->esc, mn, strlen(mn), true));
        s->meas_esc = ts_strdup((const char *)s->esc.data);
        if (!s->meas_esc) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        s->meas_esc_len = strlen(s->meas_esc);
    }
    s->tags = ts_calloc(sc->ncols + 1, sizeof *s->tags);
    s->fields = ts_calloc(sc->ncols + 1, sizeof *s->fields);
    if (!s->tags || !s->fields) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t c = 0; c < sc->ncols; c++) {
        const ts_field *f = &sc->fields[c];
        if ((long)c == s->meas_col) continue;
        if (f->role == TS_ROLE_TIME && s->time_col < 0 && f->type == TS_TYPE_TIMESTAMP) {
            s->time_col = (long)c;
            continue;
        }
        if (has_newline(f->name, strlen(f->name)))
            return ts_err_set(err, TS_ERR_USAGE, "column name '%s' contains a newline", f->name);
        TS_TRY(renamed_escaped(&s->esc, f->name, strlen(f->name), false));
        if (strcmp((const char *)s->esc.data, "time") == 0)
            return ts_err_set(err, TS_ERR_USAGE,
                              "column 'time' of table '%s' is not the time column, and InfluxDB "
                              "refuses a tag or field named time",
                              table ? table : "(unnamed)");
        lp_plan_col *pc;
        if (f->role == TS_ROLE_DIMENSION || f->role == TS_ROLE_MEASURE_NAME)
            pc = &s->tags[s->ntags++];
        else
            pc = &s->fields[s->nfields++];
        pc->col = c;
        pc->key = ts_strdup((const char *)s->esc.data);
        if (!pc->key) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        pc->key_len = strlen(pc->key);
        pc->pre_len = pc->key_len + 2;
        if (!(pc->pre = ts_malloc(pc->pre_len + 1))) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        pc->pre[0] = ',';
        memcpy(pc->pre + 1, pc->key, pc->key_len);
        pc->pre[pc->key_len + 1] = '=';
        pc->pre[pc->pre_len] = 0;
    }
    if (s->time_col < 0)
        return ts_err_set(err, TS_ERR_USAGE, "table '%s' has no time column; line protocol needs one",
                          table ? table : "(unnamed)");
    if (s->nfields == 0)
        return ts_err_set(err, TS_ERR_USAGE,
                          "table '%s' has no measure columns; a line-protocol point needs a field",
                          table ? table : "(unnamed)");
    /* InfluxDB wants tags sorted by key (bytewise). */
    if (s->ntags) qsort(s->tags, s->ntags, sizeof *s->tags, cmp_plan);
    for (size_t i = 0; i < s->ntags + s->nfields; i++)
        for (size_t j = i + 1; j < s->ntags + s->nfields; j++) {
            lp_plan_col *a = i < s->ntags ? &s->tags[i] : &s->fields[i - s->ntags];
            lp_plan_col *b = j < s->ntags ? &s->tags[j] : &s->fields[j - s->ntags];
            if (strcmp(a->key, b->key) == 0)
                return ts_err_set(err, TS_ERR_USAGE,
                                  "columns '%s' and '%s' both become key '%s' in line protocol "
                                  "(names starting with '_' get the prefix '" LP_RESERVED_PREFIX "')",
                                  sc->fields[a->col].name, sc->fields[b->col].name, a->key);
        }
    return TS_OK;
}

/* Text of a non-string dimension used as a tag value (bufsz >= 64). */
static size_t value_text(const ts_batch *b, size_t c, size_t r, char *buf, size_t bufsz)
{
    const ts_column *col = &b->cols[c];
    switch (b->schema->fields[c].type) {
    case TS_TYPE_INT64: return fmt_i64(col->v.i64[r], buf);
    case TS_TYPE_TIMESTAMP: return ts_time_format(col->v.i64[r], buf);
    case TS_TYPE_DOUBLE: return fmt_double(col->v.f64[r], buf, bufsz);
    case TS_TYPE_BOOL: return (size_t)snprintf(buf, bufsz, "%s", col->v.b8[r] ? "true" : "false");
    case TS_TYPE_STRING: break;
    }
    return 0;
}

/* A row that cannot be a point: fatal, or counted with --skip-bad-rows. */
static ts_status bad_row(lp_sink *s, const ts_batch *b, size_t r, ts_error *err, const char *why,
                         const char *what)
{
    if (s->o.skip_bad_rows) {
        s->b.counts.bad_rows++;
        return TS_OK;
    }
    char t[TS_TIME_STR_MAX] = "NULL";
    if (s->time_col >= 0 && ts_batch_valid(b, (size_t)s->time_col, r))
        ts_time_format(b->cols[s->time_col].v.i64[r], t);
    return ts_err_set(err, TS_ERR_CORRUPT,
                      "row %llu (table '%s', time %s): %s '%s' cannot be written as line protocol; "
                      "pass --skip-bad-rows to count and skip such rows",
                      (unsigned long long)s->row_no, b->table ? b->table : "", t, why, what);
}

/* Rows are composed in place in the output's pending block (see lp_write);
 * the inline appenders take the fast path while the buffer has room; a row
 * is still limited to TS_MAX_LINE bytes. */

static inline ts_status put(ts_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len > n) {
        fmt_copy_short(b->data + b->len, p, n);
        b->len += n;
        return TS_OK;
    }
    return ts_buf_append(b, p, n);
}

static inline ts_status put_byte(ts_buf *b, char c)
{
    if (b->cap - b->len > 1) {
        b->data[b->len++] = (uint8_t)c;
        return TS_OK;
    }
    return ts_buf_append_byte(b, (uint8_t)c);
}

/* Room for a number's text (fmt_double needs 32 bytes, an integer 21). */
static inline ts_status room(ts_buf *b, size_t n)
{
    if (b->cap - b->len > n) return TS_OK;
    return ts_buf_reserve(b, n + 1);
}

/* Bytes a tag value needs care for: escapes (',', ' ', '=', '\\') and
 * newlines (a bad row). */
static const uint8_t tag_special[256] = {['\n'] = 1, ['\r'] = 1, [','] = 1, [' '] = 1, ['='] = 1, ['\\'] = 1};

static inline bool tag_plain(const char *p, size_t n)
{
    uint8_t any = 0;
    for (size_t i = 0; i < n; i++) any |= tag_special[(uint8_t)p[i]];
    return !any;
}

static ts_status write_row(lp_sink *s, const ts_batch *b, size_t r, ts_buf *L, ts_error *err)
{
    size_t start = L->len;
    if (!s->time_dense && !ts_batch_valid(b, (size_t)s->time_col, r)) return bad_row(s, b, r, err, "time is NULL in column", b->schema->fields[s->time_col].name);
    if (s->meas_col >= 0) {
        if (!ts_batch_valid(b, (size_t)s->meas_col, r))
            return bad_row(s, b, r, err, "the measurement is NULL in column", s->measurement_column);
        ts_str m = b->cols[s->meas_col].v.str[r];
        if (m.len == 0 || has_newline(m.ptr, m.len) || m.ptr[0] == '#' || m.ptr[0] == '\t')
            return bad_row(s, b, r, err, "an empty measurement, or one with a newline or a leading '#' or tab, in column",
                           s->measurement_column);
        if (m.ptr[0] == '_') TS_TRY(ts_buf_append_str(L, LP_RESERVED_PREFIX));
        TS_TRY(esc_name(L, m.ptr, m.len, true));
    } else {
        TS_TRY(put(L, s->meas_esc, s->meas_esc_len));
    }
    for (size_t i = 0; i < s->ntags; i++) {
        const lp_plan_col *t = &s->tags[i];
        size_t c = t->col;
        if (!t->dense && !ts_batch_valid(b, c, r)) continue;
        if (b->schema->fields[c].type != TS_TYPE_STRING) {
            /* number, time or boolean text: never empty, nothing to escape */
            TS_TRY(room(L, t->pre_len + 64));
            fmt_copy_short(L->data + L->len, t->pre, t->pre_len);
            size_t n = value_text(b, c, r, (char *)L->data + L->len + t->pre_len, 64);
            L->len += t->pre_len + n;
            continue;
        }
        ts_str v = b->cols[c].v.str[r];
        if (v.len == 0) continue;
        bool plain = tag_plain(v.ptr, v.len); /* one pass for the usual value */
        if (!plain && has_newline(v.ptr, v.len)) {
            L->len = start;
            return bad_row(s, b, r, err, "a newline in the value of tag", b->schema->fields[c].name);
        }
        TS_TRY(put(L, t->pre, t->pre_len));
        if (plain)
            TS_TRY(put(L, v.ptr, v.len));
        else
            TS_TRY(esc_name(L, v.ptr, v.len, false));
    }
    size_t nf = 0;
    for (size_t i = 0; i < s->nfields; i++) {
        size_t c = s->fields[i].col;
        if (!s->fields[i].dense && !ts_batch_valid(b, c, r)) continue;
        const ts_column *col = &b->cols[c];
        ts_type ty = b->schema->fields[c].type;
        if (ty == TS_TYPE_DOUBLE && !isfinite(col->v.f64[r])) {
            L->len = start;
            return bad_row(s, b, r, err, "NaN or infinite value (line protocol has no spelling for it) in field", b->schema->fields[c].name);
        }
        if (ty == TS_TYPE_STRING && has_newline(col->v.str[r].ptr, col->v.str[r].len)) {
            L->len = start;
            return bad_row(s, b, r, err, "a newline in the string value of field", b->schema->fields[c].name);
        }
        const lp_plan_col *f = &s->fields[i];
        TS_TRY(room(L, f->pre_len + 64)); /* the key and any number's text */
        fmt_copy_short(L->data + L->len, f->pre, f->pre_len);
        L->data[L->len] = nf ? ',' : ' ';
        L->len += f->pre_len;
        nf++;
        switch (ty) {
        case TS_TYPE_DOUBLE:
            L->len += fmt_double(col->v.f64[r], (char *)L->data + L->len, 64);
            break;
        case TS_TYPE_INT64:
        case TS_TYPE_TIMESTAMP:
            L->len += fmt_i64(col->v.i64[r], (char *)L->data + L->len);
            L->data[L->len++] = 'i';
            break;
        case TS_TYPE_BOOL:
            if (col->v.b8[r])
                TS_TRY(put(L, "true", 4));
            else
                TS_TRY(put(L, "false", 5));
            break;
        case TS_TYPE_STRING: {
            ts_str v = col->v.str[r];
            TS_TRY(put_byte(L, '"'));
            size_t run = 0;
            for (size_t k = 0; k < v.len; k++) {
                if (v.ptr[k] != '"' && v.ptr[k] != '\\') continue;
                TS_TRY(put(L, v.ptr + run, k - run));
                TS_TRY(put_byte(L, '\\'));
                run = k;
            }
            TS_TRY(put(L, v.ptr + run, v.len - run));
            TS_TRY(put_byte(L, '"'));
            break;
        }
        }
    }
    if (nf == 0) {
        L->len = start;
        s->b.counts.all_null_rows++;
        return TS_OK;
    }
    TS_TRY(room(L, 32));
    L->data[L->len++] = ' ';
    L->len += fmt_i64(b->cols[s->time_col].v.i64[r], (char *)L->data + L->len);
    L->data[L->len++] = '\n';
    if (L->len - start > TS_MAX_LINE) {
        L->len = start;
        return TS_ERR_LIMIT;
    }
    s->b.counts.rows++;
    return TS_OK;
}

typedef struct lp_row {
    lp_sink *s;
    const ts_batch *b;
    size_t r;
} lp_row;

static ts_status lp_record(void *ctx, ts_buf *L, ts_error *err)
{
    lp_row *x = ctx;
    return write_row(x->s, x->b, x->r, L, err);
}

static ts_status lp_write(ts_sink *sk, const ts_batch *b, ts_error *err)
{
    lp_sink *s = (lp_sink *)sk;
    TS_TRY(plan(s, b, err));
    s->time_dense = ts_batch_col_dense(b, (size_t)s->time_col);
    for (size_t i = 0; i < s->ntags; i++) s->tags[i].dense = ts_batch_col_dense(b, s->tags[i].col);
    for (size_t i = 0; i < s->nfields; i++) s->fields[i].dense = ts_batch_col_dense(b, s->fields[i].col);
    lp_row x = {s, b, 0};
    for (size_t r = 0; r < b->nrows; r++) {
        s->row_no++;
        x.r = r;
        ts_status st = fmt_text_out_record(s->out, &s->line, lp_record, &x, err);
        if (st == TS_ERR_LIMIT || st == TS_ERR_NOMEM)
            return ts_err_set(err, st, "row %llu is too large to write", (unsigned long long)s->row_no);
        if (st != TS_OK) return st;
    }
    return TS_OK;
}

static ts_status lp_finish(ts_sink *sk, ts_error *err)
{
    lp_sink *s = (lp_sink *)sk;
    return fmt_text_out_finish(s->out, err);
}

static void lp_sink_close(ts_sink *sk)
{
    lp_sink *s = (lp_sink *)sk;
    if (!s) return;
    plan_free(s);
    fmt_text_out_free(s->out);
    ts_buf_free(&s->line);
    ts_buf_free(&s->esc);
    ts_free(s->measurement_override);
    ts_free(s->measurement_column);
    ts_free(s);
}

static const ts_sink_ops lp_sink_ops = {
    .kind = "lp", .write = lp_write, .finish = lp_finish, .close = lp_sink_close};

ts_status lp_sink_new(fmt_text_out *out, const fmt_write_opts *o, ts_sink **sink, ts_error *err)
{
    *sink = NULL;
    lp_sink *s = ts_calloc(1, sizeof *s);
    if (!s) {
        fmt_text_out_free(out);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    s->b.base.ops = &lp_sink_ops;
    s->out = out;
    if (o) s->o = *o;
    ts_buf_init(&s->line, TS_MAX_LINE + 1024);
    ts_buf_init(&s->esc, TS_MAX_LINE);
    if ((o && o->measurement && !(s->measurement_override = ts_strdup(o->measurement))) ||
        (o && o->measurement_column && !(s->measurement_column = ts_strdup(o->measurement_column)))) {
        lp_sink_close(&s->b.base);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    s->o.measurement = s->measurement_override;
    s->o.measurement_column = s->measurement_column;
    *sink = &s->b.base;
    return TS_OK;
}
