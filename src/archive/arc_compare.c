/* The archive against a live system, table-month by table-month: the
 * archive side comes from the manifest (counts, times) and, where needed,
 * from decoding the measure columns; the live side from a small vtable of
 * sources — Timestream (one GROUP BY day query per table), InfluxDB v1/v2
 * (InfluxQL count and first/last per month through src/influx). */
#include "archive/arc_compare.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/arc_manifest.h"
#include "archive/arc_storage.h"
#include "archive/arc_verify.h"
#include "aws/aws_timestream.h"
#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "core/ts_time.h"
#include "formats/fmt.h"
#include "influx/influx.h"
#include "parquet/pq_reader.h"

#define SQL_MAX ((size_t)1 << 20)

/* ---- reports ---- */

void arc_side_stats_free(arc_side_stats *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nmeasures; i++) ts_free(s->measures[i].name);
    ts_free(s->measures);
    s->measures = NULL;
    s->nmeasures = 0;
}

void arc_compare_report_init(arc_compare_report *r)
{
    memset(r, 0, sizeof *r);
}

void arc_compare_report_free(arc_compare_report *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nmonths; i++) {
        arc_compare_month *m = &r->months[i];
        ts_free(m->database);
        ts_free(m->table);
        ts_free(m->why);
        arc_side_stats_free(&m->archive);
        arc_side_stats_free(&m->live);
    }
    ts_free(r->months);
    for (size_t i = 0; i < r->nwindows; i++) {
        ts_free(r->windows[i].database);
        ts_free(r->windows[i].table);
    }
    ts_free(r->windows);
    memset(r, 0, sizeof *r);
}

void arc_live_months_free(arc_live_month *m, size_t n)
{
    for (size_t i = 0; i < n; i++) arc_side_stats_free(&m[i].s);
    ts_free(m);
}

static void side_text(const arc_side_stats *s, char *out, size_t outsz)
{
    if (!s->records) {
        snprintf(out, outsz, "0 records");
        return;
    }
    char a[TS_TIME_STR_MAX], b[TS_TIME_STR_MAX];
    ts_time_format(s->min_time, a);
    ts_time_format(s->max_time, b);
    snprintf(out, outsz, "%llu records %s .. %s", (unsigned long long)s->records, a, b);
}

void arc_compare_month_text(const arc_compare_month *m, char *out, size_t outsz)
{
    char a[160], l[160], w[2 * TS_TIME_STR_MAX + 32] = "";
    side_text(&m->archive, a, sizeof a);
    side_text(&m->live, l, sizeof l);
    if (arc_time_window_bounded(&m->window)) {
        char wt[2 * TS_TIME_STR_MAX + 8];
        arc_time_window_text(&m->window, wt, sizeof wt);
        snprintf(w, sizeof w, " (export window %s)", wt);
    }
    snprintf(out, outsz, "%s.%s %04lld-%02u%s: archive %s; live %s%s%s", m->database, m->table,
             (long long)m->month.year, m->month.month, w, a, l, m->why ? " — " : "",
             m->why ? m->why : "");
}

static json_t *side_json(const arc_side_stats *s)
{
    json_t *o = json_pack("{s:I}", "records", (json_int_t)s->records);
    if (s->records) {
        char t[TS_TIME_STR_MAX];
        ts_time_format(s->min_time, t);
        json_object_set_new(o, "min_time", json_string(t));
        ts_time_format(s->max_time, t);
        json_object_set_new(o, "max_time", json_string(t));
    }
    if (s->nmeasures) {
        json_t *ms = json_object();
        for (size_t i = 0; i < s->nmeasures; i++) {
            const arc_measure_stats *m = &s->measures[i];
            json_t *mo = json_pack("{s:I}", "count", (json_int_t)m->count);
            if (m->has_agg && m->count) {
                json_object_set_new(mo, "sum", json_real(m->sum));
                json_object_set_new(mo, "min", json_real(m->min));
                json_object_set_new(mo, "max", json_real(m->max));
            }
            json_object_set_new(ms, m->name, mo);
        }
        json_object_set_new(o, "measures", ms);
    }
    return o;
}

json_t *arc_time_window_json(const arc_time_window *w)
{
    char a[TS_TIME_STR_MAX], b[TS_TIME_STR_MAX];
    if (w->has_since) ts_time_format(w->since, a);
    if (w->has_until) ts_time_format(w->until, b);
    return json_pack("{s:o,s:o}", "since", w->has_since ? json_string(a) : json_null(), "until",
                     w->has_until ? json_string(b) : json_null());
}

json_t *arc_compare_month_json(const arc_compare_month *m)
{
    char month[16];
    snprintf(month, sizeof month, "%04lld-%02u", (long long)m->month.year, m->month.month);
    json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:o,s:o}", "database", m->database, "table", m->table,
                          "month", month, "match", m->match, "archive", side_json(&m->archive),
                          "live", side_json(&m->live));
    if (m->why) json_object_set_new(o, "why", json_string(m->why));
    if (arc_time_window_bounded(&m->window))
        json_object_set_new(o, "window", arc_time_window_json(&m->window));
    return o;
}

void arc_compare_env_from_getenv(arc_compare_env *env)
{
    env->influx_host = getenv("INFLUX_HOST");
    env->influx_token = getenv("INFLUX_TOKEN");
    env->influx_org = getenv("INFLUX_ORG");
    env->influx_username = getenv("INFLUX_USERNAME");
    env->influx_password = getenv("INFLUX_PASSWORD");
}

static ts_status measures_init(arc_side_stats *s, const char *const *names, size_t n,
                               ts_error *err)
{
    if (!n) return TS_OK;
    s->measures = ts_calloc(n, sizeof *s->measures);
    if (!s->measures) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    s->nmeasures = n;
    for (size_t i = 0; i < n; i++)
        if (!(s->measures[i].name = ts_strdup(names[i])))
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

static void measure_merge(arc_measure_stats *into, const arc_measure_stats *m)
{
    if (!m->count) return;
    if (!into->count) {
        into->sum = m->sum;
        into->min = m->min;
        into->max = m->max;
    } else {
        into->sum += m->sum;
        if (m->min < into->min) into->min = m->min;
        if (m->max > into->max) into->max = m->max;
    }
    into->count += m->count;
    into->has_agg = m->has_agg;
}

/* Adds b's figures to a (same measures). */
static void side_merge(arc_side_stats *a, const arc_side_stats *b)
{
    if (b->records) {
        if (!a->records || b->min_time < a->min_time) a->min_time = b->min_time;
        if (!a->records || b->max_time > a->max_time) a->max_time = b->max_time;
        a->records += b->records;
    }
    for (size_t i = 0; i < a->nmeasures && i < b->nmeasures; i++)
        measure_merge(&a->measures[i], &b->measures[i]);
}

/* ---- live: Timestream ---- */

typedef struct ts_live {
    arc_live base;
    aws_ts *ts;
} ts_live;

static ts_status append_ident(ts_buf *b, const char *name, ts_error *err)
{
    if (ts_buf_append_byte(b, '"') != TS_OK) goto big;
    for (const char *p = name; *p; p++) {
        if (*p == '"' && ts_buf_append_byte(b, '"') != TS_OK) goto big;
        if (ts_buf_append_byte(b, (uint8_t)*p) != TS_OK) goto big;
    }
    if (ts_buf_append_byte(b, '"') != TS_OK) goto big;
    return TS_OK;
big:
    return ts_err_set(err, TS_ERR_LIMIT, "query too long");
}

static bool cell_text(json_t *row, size_t i, const char **out)
{
    json_t *d = json_object_get(row, "Data");
    json_t *c = json_array_get(d, i);
    json_t *v = json_object_get(c, "ScalarValue");
    *out = json_is_string(v) ? json_string_value(v) : NULL;
    return c != NULL;
}

static bool parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno) return false;
    *out = v;
    return true;
}

static bool parse_f64(const char *s, double *out)
{
    if (!s || !*s) return false;
    char *end;
    double v = strtod(s, &end);
    if (*end) return false;
    *out = v;
    return true;
}

static arc_live_month *month_slot(arc_live_month **v, size_t *n, arc_month m,
                                  const char *const *measures, size_t nmeasures, ts_error *err)
{
    for (size_t i = 0; i < *n; i++)
        if (arc_month_cmp((*v)[i].month, m) == 0) return &(*v)[i];
    arc_live_month *nv = ts_realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv) {
        ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    *v = nv;
    arc_live_month *s = &nv[(*n)++];
    memset(s, 0, sizeof *s);
    s->month = m;
    if (measures_init(&s->s, measures, nmeasures, err) != TS_OK) return NULL;
    return s;
}

static int cmp_live_month(const void *a, const void *b)
{
    return arc_month_cmp(((const arc_live_month *)a)->month, ((const arc_live_month *)b)->month);
}

/* One query per table: per UTC day count, first and last time (and per
 * measure count/sum/min/max), folded into months here — a month is a whole
 * number of days, and Timestream has no month bins. */
static ts_status tsl_table_months(arc_live *l, const char *db, const char *table,
                                  const arc_time_window *win, const char *const *measures,
                                  size_t nmeasures,
                                  arc_live_month **months, size_t *nmonths, ts_error *err)
{
    ts_live *tl = (ts_live *)l;
    *months = NULL;
    *nmonths = 0;
    ts_buf q;
    ts_buf_init(&q, SQL_MAX);
    ts_status st = TS_OK;
    if (ts_buf_append_str(&q, "SELECT count(*), to_nanoseconds(min(time)), "
                              "to_nanoseconds(max(time))") != TS_OK)
        st = ts_err_set(err, TS_ERR_LIMIT, "query too long");
    for (size_t i = 0; st == TS_OK && i < nmeasures; i++) {
        static const char *const fn[4] = {"count", "sum", "min", "max"};
        for (int k = 0; st == TS_OK && k < 4; k++) {
            if (ts_buf_append_str(&q, ", ") != TS_OK || ts_buf_append_str(&q, fn[k]) != TS_OK ||
                ts_buf_append_byte(&q, '(') != TS_OK)
                st = ts_err_set(err, TS_ERR_LIMIT, "query too long");
            if (st == TS_OK) st = append_ident(&q, measures[i], err);
            if (st == TS_OK && ts_buf_append_byte(&q, ')') != TS_OK)
                st = ts_err_set(err, TS_ERR_LIMIT, "query too long");
        }
    }
    if (st == TS_OK && ts_buf_append_str(&q, " FROM ") != TS_OK) st = ts_err_set(err, TS_ERR_LIMIT, "query too long");
    if (st == TS_OK) st = append_ident(&q, db, err);
    if (st == TS_OK && ts_buf_append_byte(&q, '.') != TS_OK) st = ts_err_set(err, TS_ERR_LIMIT, "query too long");
    if (st == TS_OK) st = append_ident(&q, table, err);
    if (st == TS_OK && arc_time_window_bounded(win)) {
        /* the export's own bounds (arc_export.c range_sql): like with like */
        char w[160];
        if (win->has_since && win->has_until)
            snprintf(w, sizeof w, " WHERE time >= from_nanoseconds(%lld) AND time < from_nanoseconds(%lld)",
                     (long long)win->since, (long long)win->until);
        else if (win->has_since)
            snprintf(w, sizeof w, " WHERE time >= from_nanoseconds(%lld)", (long long)win->since);
        else
            snprintf(w, sizeof w, " WHERE time < from_nanoseconds(%lld)", (long long)win->until);
        if (ts_buf_append_str(&q, w) != TS_OK) st = ts_err_set(err, TS_ERR_LIMIT, "query too long");
    }
    if (st == TS_OK && (ts_buf_append_str(&q, " GROUP BY bin(time, 1d)") != TS_OK ||
                        ts_buf_nul(&q) != TS_OK))
        st = ts_err_set(err, TS_ERR_LIMIT, "query too long");
    aws_ts_query *qh = NULL;
    if (st == TS_OK) st = aws_ts_query_start(tl->ts, (const char *)q.data, &qh, err);
    aws_ts_page page;
    memset(&page, 0, sizeof page);
    size_t want = 3 + 4 * nmeasures;
    while (st == TS_OK) {
        bool done = false;
        st = aws_ts_query_next(qh, &page, &done, err);
        if (st != TS_OK || done) break;
        if (page.nrows && page.ncols != want) {
            st = ts_err_set(err, TS_ERR_REMOTE, "Timestream answered %zu columns, expected %zu",
                            page.ncols, want);
            break;
        }
        for (size_t r = 0; st == TS_OK && r < page.nrows; r++) {
            json_t *row = json_array_get(page.rows, r);
            const char *c0, *c1, *c2;
            int64_t n, lo, hi;
            if (!cell_text(row, 0, &c0) || !cell_text(row, 1, &c1) || !cell_text(row, 2, &c2) ||
                !parse_i64(c0, &n)) {
                st = ts_err_set(err, TS_ERR_REMOTE, "unexpected row %zu in Timestream's answer", r);
                break;
            }
            if (n <= 0) continue;
            if (!parse_i64(c1, &lo) || !parse_i64(c2, &hi)) {
                st = ts_err_set(err, TS_ERR_REMOTE, "unexpected times in Timestream's answer");
                break;
            }
            arc_live_month *s = month_slot(months, nmonths, arc_month_of(lo), measures, nmeasures, err);
            if (!s) {
                st = err->code ? err->code : TS_ERR_NOMEM;
                break;
            }
            arc_side_stats day = {.records = (uint64_t)n, .min_time = lo, .max_time = hi};
            arc_measure_stats ms[1];
            for (size_t i = 0; i < nmeasures; i++) {
                const char *cc, *cs, *cmn, *cmx;
                int64_t cnt = 0;
                memset(ms, 0, sizeof ms);
                cell_text(row, 3 + 4 * i, &cc);
                cell_text(row, 4 + 4 * i, &cs);
                cell_text(row, 5 + 4 * i, &cmn);
                cell_text(row, 6 + 4 * i, &cmx);
                if (parse_i64(cc, &cnt) && cnt > 0) {
                    ms[0].count = (uint64_t)cnt;
                    ms[0].has_agg = parse_f64(cs, &ms[0].sum) && parse_f64(cmn, &ms[0].min) &&
                                    parse_f64(cmx, &ms[0].max);
                    measure_merge(&s->s.measures[i], &ms[0]);
                }
            }
            side_merge(&s->s, &day);
        }
    }
    aws_ts_page_free(&page);
    aws_ts_query_free(qh);
    ts_buf_free(&q);
    if (st != TS_OK) {
        arc_live_months_free(*months, *nmonths);
        *months = NULL;
        *nmonths = 0;
        ts_err_context(err, "counting %s.%s in Timestream", db, table);
        return st;
    }
    if (*nmonths) qsort(*months, *nmonths, sizeof **months, cmp_live_month);
    return TS_OK;
}

static void tsl_free(arc_live *l)
{
    ts_live *tl = (ts_live *)l;
    aws_ts_free(tl->ts);
    ts_free(tl);
}

static ts_status tsl_list_tables(arc_live *l, const char *db, char ***names, size_t *n,
                                 ts_error *err)
{
    ts_live *tl = (ts_live *)l;
    ts_status st = aws_ts_list_tables(tl->ts, db, names, n, err);
    if (st != TS_OK) ts_err_context(err, "listing the tables of %s in Timestream", db);
    return st;
}

static const arc_live_ops ts_live_ops = {.scheme = "timestream",
                                         .table_months = tsl_table_months,
                                         .list_tables = tsl_list_tables,
                                         .free = tsl_free};

/* ---- live: InfluxDB (v2 through its v1-compatible /query, and v1) ---- */

typedef struct influx_live {
    arc_live base;
    influx_target own; /* parsed from the URL (zeroed when borrowed) */
    const influx_target *t;
    influx_querier *q;
} influx_live;

/* InfluxDB's bounds for time (models.MinNanoTime / MaxNanoTime). */
#define INFLUX_MIN_NS (INT64_MIN + 2)
#define INFLUX_MAX_NS (INT64_MAX - 1)

/* A field key as restore writes it: names starting with '_' get a prefix. */
static void field_key(const char *name, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s%s", name[0] == '_' ? LP_RESERVED_PREFIX : "", name);
}

/* Appends the fields of c that are not among `measures` and have values. */
static ts_status add_extra_fields(const influx_count *c, const char *const *measures,
                                  size_t nmeasures, arc_side_stats *out, ts_error *err)
{
    for (size_t k = 0; k < c->nfields; k++) {
        bool known = false;
        for (size_t i = 0; i < nmeasures && !known; i++) {
            char fk[ARC_NAME_MAX + 8];
            field_key(measures[i], fk, sizeof fk);
            known = strcmp(fk, c->fields[k]) == 0;
        }
        if (known || !c->counts[k]) continue;
        arc_measure_stats *nv = ts_realloc(out->measures, (out->nmeasures + 1) * sizeof *nv);
        if (!nv) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        out->measures = nv;
        arc_measure_stats *m = &nv[out->nmeasures];
        memset(m, 0, sizeof *m);
        if (!(m->name = ts_strdup(c->fields[k]))) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        m->count = c->counts[k];
        out->nmeasures++;
    }
    return TS_OK;
}

static ts_status ifl_count(influx_live *il, const char *table, int64_t lo, int64_t hi_excl,
                           const char *const *measures, size_t nmeasures, bool extra,
                           arc_side_stats *out, ts_error *err)
{
    influx_count c;
    TS_TRY(influx_count_range(il->q, table, lo, hi_excl, &c, err));
    out->records = c.points;
    out->min_time = c.min_time;
    out->max_time = c.max_time;
    for (size_t i = 0; i < nmeasures && i < out->nmeasures; i++) {
        char k[ARC_NAME_MAX + 8];
        field_key(measures[i], k, sizeof k);
        out->measures[i].count = influx_count_field(&c, k);
        out->measures[i].has_agg = false; /* counts only (see docs/verify.md) */
    }
    ts_status st = extra ? add_extra_fields(&c, measures, nmeasures, out, err) : TS_OK;
    influx_count_free(&c);
    return st;
}

static ts_status ifl_window(arc_live *l, const char *db, const char *series, int64_t lo,
                            int64_t hi_excl, const char *const *measures, size_t nmeasures,
                            bool extra, arc_side_stats *out, ts_error *err)
{
    (void)db; /* the database/bucket is the URL's */
    return ifl_count((influx_live *)l, series, lo, hi_excl, measures, nmeasures, extra, out, err);
}

/* The table's overall first/last point, then one count per month between. */
static ts_status ifl_table_months(arc_live *l, const char *db, const char *table,
                                  const arc_time_window *win, const char *const *measures,
                                  size_t nmeasures, arc_live_month **months, size_t *nmonths,
                                  ts_error *err)
{
    (void)db; /* the database/bucket is the URL's */
    influx_live *il = (influx_live *)l;
    *months = NULL;
    *nmonths = 0;
    int64_t lo = win && win->has_since ? win->since : INFLUX_MIN_NS;
    int64_t hi_excl = win && win->has_until ? win->until : INFLUX_MAX_NS;
    if (lo >= hi_excl) return TS_OK;
    arc_side_stats all;
    memset(&all, 0, sizeof all);
    ts_status st = measures_init(&all, measures, nmeasures, err);
    if (st == TS_OK) st = ifl_count(il, table, lo, hi_excl, measures, nmeasures, false, &all, err);
    if (st == TS_OK && all.records) {
        arc_month m = arc_month_of(all.min_time), last = arc_month_of(all.max_time);
        for (; st == TS_OK && arc_month_cmp(m, last) <= 0; m = arc_month_next(m)) {
            arc_window w = arc_month_window(m);
            int64_t mlo = w.lo > lo ? w.lo : lo;
            int64_t mhi = w.hi == INT64_MAX ? w.hi : w.hi + 1;
            if (mhi > hi_excl) mhi = hi_excl;
            arc_side_stats s;
            memset(&s, 0, sizeof s);
            st = measures_init(&s, measures, nmeasures, err);
            if (st == TS_OK) st = ifl_count(il, table, mlo, mhi, measures, nmeasures, false, &s, err);
            if (st == TS_OK && s.records) {
                arc_live_month *slot = month_slot(months, nmonths, m, NULL, 0, err);
                if (!slot) st = err->code ? err->code : TS_ERR_NOMEM;
                else {
                    slot->s = s;
                    continue;
                }
            }
            arc_side_stats_free(&s);
        }
    }
    arc_side_stats_free(&all);
    if (st != TS_OK) {
        arc_live_months_free(*months, *nmonths);
        *months = NULL;
        *nmonths = 0;
    }
    return st;
}

static void ifl_free(arc_live *l)
{
    influx_live *il = (influx_live *)l;
    influx_querier_free(il->q);
    influx_target_free(&il->own);
    ts_free(il);
}

static const arc_live_ops influx2_live_ops = {
    .scheme = "influx", .table_months = ifl_table_months, .free = ifl_free, .window = ifl_window};
static const arc_live_ops influx1_live_ops = {
    .scheme = "influx1", .table_months = ifl_table_months, .free = ifl_free, .window = ifl_window};

/* il->t set (borrowed or il->own): the querier, the ops; frees il on failure. */
static ts_status ifl_start(influx_live *il, arc_live **out, ts_error *err)
{
    ts_status st = influx_querier_new(il->t, &il->q, err);
    if (st != TS_OK) {
        ifl_free(&il->base);
        return st;
    }
    il->base.ops = il->t->api == INFLUX_API_V1 ? &influx1_live_ops : &influx2_live_ops;
    *out = &il->base;
    return TS_OK;
}

ts_status arc_live_open_influx(const influx_target *t, arc_live **out, ts_error *err)
{
    *out = NULL;
    influx_live *il = ts_calloc(1, sizeof *il);
    if (!il) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    il->t = t;
    return ifl_start(il, out, err);
}

ts_status arc_live_open(const char *url, aws_client *client, const arc_compare_env *env,
                        arc_live **out, ts_error *err)
{
    *out = NULL;
    if (strncmp(url, "timestream://", 13) == 0) {
        if (!client)
            return ts_err_set(err, TS_ERR_INTERNAL, "--against %s: no AWS client", url);
        ts_live *tl = ts_calloc(1, sizeof *tl);
        if (!tl) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        tl->base.ops = &ts_live_ops;
        ts_status st = aws_ts_new(client, &tl->ts, err);
        if (st != TS_OK) {
            ts_free(tl);
            return st;
        }
        *out = &tl->base;
        return TS_OK;
    }
    if (strncmp(url, "influx", 6) == 0) {
        influx_live *il = ts_calloc(1, sizeof *il);
        if (!il) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        influx_env ie = {0};
        if (env) {
            ie.host = env->influx_host;
            ie.token = env->influx_token;
            ie.org = env->influx_org;
            ie.username = env->influx_username;
            ie.password = env->influx_password;
        }
        ts_status st = influx_target_parse(url, &ie, &il->own, err);
        if (st != TS_OK) {
            influx_target_free(&il->own);
            ts_free(il);
            return st;
        }
        il->t = &il->own;
        return ifl_start(il, out, err);
    }
    return ts_err_set(err, TS_ERR_USAGE,
                      "--against %s: use timestream://REGION, influx://host:port?org=O&bucket=B "
                      "or influx1://host:port/db",
                      url);
}

void arc_live_free(arc_live *l)
{
    if (l) l->ops->free(l);
}

/* ---- the archive side ---- */

/* Per numeric measure of one file: count, sum, min, max over its rows. */
static ts_status file_measures(arc_storage *s, const char *key, const char *const *names,
                               size_t n, bool numeric_only, arc_side_stats *out, ts_error *err)
{
    ts_input *in = NULL;
    TS_TRY(arc_storage_open_input(s, key, &in, err));
    pq_reader_opts po;
    pq_reader_opts_default(&po);
    po.columns = names;
    po.ncolumns = n;
    pq_reader *r = NULL;
    ts_status st = pq_reader_open(in, &po, &r, err);
    const ts_batch *b;
    while (st == TS_OK && (st = pq_reader_next(r, &b, err)) == TS_OK && b) {
        for (size_t c = 0; c < n; c++) {
            arc_measure_stats *m = &out->measures[c];
            ts_type ty = b->schema->fields[c].type;
            bool num = ty == TS_TYPE_DOUBLE || ty == TS_TYPE_INT64;
            for (size_t i = 0; i < b->nrows; i++) {
                if (!ts_batch_valid(b, c, i)) continue;
                if (!num) {
                    m->count++;
                    continue;
                }
                double v = ty == TS_TYPE_DOUBLE ? b->cols[c].v.f64[i] : (double)b->cols[c].v.i64[i];
                if (!m->count) m->sum = 0, m->min = v, m->max = v;
                m->sum += v;
                if (v < m->min) m->min = v;
                if (v > m->max) m->max = v;
                m->count++;
                m->has_agg = true;
            }
        }
    }
    (void)numeric_only;
    pq_reader_free(r);
    ts_input_close(in);
    if (st != TS_OK) ts_err_context(err, "%s", key);
    return st;
}

static bool close_enough(double a, double b)
{
    if (a == b) return true;
    double scale = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    if (scale < 1) scale = 1;
    return fabs(a - b) <= 1e-9 * scale;
}

/* Compares and fills m->match / m->why. points_semantics: the live count is
 * the largest per-field count (InfluxDB), so the archive's is too. within:
 * the live first/last time only have to lie inside the archive's (points
 * were refused). Live measures beyond the archive's (extra fields) differ
 * when they have values. */
static ts_status judge(arc_compare_month *m, bool points_semantics, bool within, ts_error *err)
{
    char why[1024] = "";
    size_t wl = 0;
    const arc_side_stats *a = &m->archive, *l = &m->live;
    uint64_t arec = a->records;
    if (points_semantics && a->nmeasures) {
        arec = 0;
        for (size_t i = 0; i < a->nmeasures; i++)
            if (a->measures[i].count > arec) arec = a->measures[i].count;
    }
#define WHY(...) (wl += (size_t)snprintf(why + wl, wl < sizeof why ? sizeof why - wl : 0, __VA_ARGS__))
    if (arec != l->records)
        WHY("%srecords differ (archive %llu%s, live %llu)", wl ? "; " : "", (unsigned long long)arec,
            points_semantics ? " as points" : "", (unsigned long long)l->records);
    else if (arec && (within ? l->min_time < a->min_time || l->max_time > a->max_time
                             : a->min_time != l->min_time || a->max_time != l->max_time))
        WHY("%sfirst/last time differ", wl ? "; " : "");
    for (size_t i = 0; i < a->nmeasures && i < l->nmeasures; i++) {
        const arc_measure_stats *x = &a->measures[i], *y = &l->measures[i];
        if (x->count != y->count) {
            WHY("%s%s: %llu values in the archive, %llu live", wl ? "; " : "", x->name,
                (unsigned long long)x->count, (unsigned long long)y->count);
        } else if (x->count && x->has_agg && y->has_agg &&
                   (x->min != y->min || x->max != y->max || !close_enough(x->sum, y->sum))) {
            WHY("%s%s: sum/min/max %.17g/%.17g/%.17g in the archive, %.17g/%.17g/%.17g live",
                wl ? "; " : "", x->name, x->sum, x->min, x->max, y->sum, y->min, y->max);
        }
    }
    for (size_t i = a->nmeasures; i < l->nmeasures; i++)
        if (l->measures[i].count)
            WHY("%s%s: %llu values live, not in the archive", wl ? "; " : "", l->measures[i].name,
                (unsigned long long)l->measures[i].count);
#undef WHY
    m->match = wl == 0;
    if (!m->match && !(m->why = ts_strdup(why))) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

static ts_status push_month(arc_compare_report *rep, arc_compare_month *m, ts_error *err)
{
    if (rep->nmonths == rep->cap) {
        size_t nc = rep->cap ? rep->cap * 2 : 32;
        arc_compare_month *nv = ts_realloc(rep->months, nc * sizeof *nv);
        if (!nv) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        rep->months = nv;
        rep->cap = nc;
    }
    rep->months[rep->nmonths++] = *m;
    if (!m->match) rep->ndiffer++;
    return TS_OK;
}

static bool wanted(const char *const *list, size_t n, const char *name)
{
    if (!n) return true;
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0) return true;
    return false;
}

static ts_status compare_table(arc_storage *storage, arc_live *live, const arc_compare_opts *o,
                               const char *dbdir, const arc_manifest *man, const arc_table *t,
                               arc_compare_report *rep, arc_verify_report *vrep, ts_error *err)
{
    bool influx = strcmp(live->ops->scheme, "timestream") != 0;
    /* measures: every measure for InfluxDB (its counts are per field); the
     * numeric ones for Timestream, deep only */
    const char *names[512];
    size_t nm = 0;
    for (size_t i = 0; i < t->ncols && nm < 512; i++) {
        const arc_column *c = &t->cols[i];
        if (c->role != ARC_ROLE_MEASURE) continue;
        bool num = c->type == TS_TYPE_DOUBLE || c->type == TS_TYPE_INT64;
        if (influx || (o->deep && num)) names[nm++] = c->name;
    }
    const char *livedb = man->source_database && strcmp(man->source_kind, "timestream") == 0
                             ? man->source_database : man->database;
    arc_live_month *lm = NULL;
    size_t nl = 0;
    if (arc_time_window_bounded(&t->window)) {
        /* said in the report: the live side is counted only inside it */
        arc_compare_window *nw = ts_realloc(rep->windows, (rep->nwindows + 1) * sizeof *nw);
        if (!nw) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        rep->windows = nw;
        nw = &nw[rep->nwindows];
        nw->database = ts_strdup(man->database);
        nw->table = ts_strdup(t->name);
        nw->window = t->window;
        if (!nw->database || !nw->table) {
            ts_free(nw->database);
            ts_free(nw->table);
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
        rep->nwindows++;
    }
    ts_status st = live->ops->table_months(live, livedb, t->name, &t->window, names, nm, &lm, &nl,
                                           err);
    if (st != TS_OK) return st;
    /* archive months: one file per month (format 1) */
    size_t fi = 0, li = 0;
    for (; st == TS_OK && (fi < t->nfiles || li < nl);) {
        if (o->cancel && *o->cancel) {
            st = ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
            break;
        }
        const arc_file *f = fi < t->nfiles ? &t->files[fi] : NULL;
        arc_month fm = {0, 1};
        if (f) fm = f->records ? arc_month_of(f->min_time) : fm;
        int c = !f ? 1 : li >= nl ? -1 : arc_month_cmp(fm, lm[li].month);
        arc_compare_month m;
        memset(&m, 0, sizeof m);
        m.database = ts_strdup(man->database);
        m.table = ts_strdup(t->name);
        if (!m.database || !m.table) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        m.month = c <= 0 ? fm : lm[li].month;
        m.window = t->window;
        if (st == TS_OK) st = measures_init(&m.archive, names, nm, err);
        if (st == TS_OK && c <= 0) {
            m.archive.records = f->records;
            m.archive.min_time = f->min_time;
            m.archive.max_time = f->max_time;
            if (nm) {
                char key[ARC_PATH_MAX];
                st = arc_join(key, sizeof key, err, dbdir, f->path, NULL);
                if (st == TS_OK) st = file_measures(storage, key, names, nm, !influx, &m.archive, err);
            }
            fi++;
        }
        if (st == TS_OK && c >= 0) {
            m.live = lm[li].s;
            memset(&lm[li].s, 0, sizeof lm[li].s);
            li++;
        } else if (st == TS_OK) {
            st = measures_init(&m.live, names, nm, err);
        }
        if (st == TS_OK) st = judge(&m, influx, false, err);
        if (st == TS_OK && !m.match && vrep) {
            char line[2048];
            arc_compare_month_text(&m, line, sizeof line);
            st = arc_verify_add(vrep, ARC_F_LIVE_MISMATCH, false, man->database, t->name, NULL,
                                line, err);
        }
        if (st == TS_OK) {
            st = push_month(rep, &m, err);
            if (st == TS_OK) continue;
        }
        ts_free(m.database);
        ts_free(m.table);
        ts_free(m.why);
        arc_side_stats_free(&m.archive);
        arc_side_stats_free(&m.live);
    }
    arc_live_months_free(lm, nl);
    return st;
}

/* Tables that exist live but not in the archive: every live month of them
 * differs (the archive side is empty). */
static ts_status compare_live_only(arc_live *live, const arc_compare_opts *o,
                                   const arc_manifest *man, arc_compare_report *rep,
                                   arc_verify_report *vrep, ts_error *err)
{
    const char *livedb = man->source_database && strcmp(man->source_kind, "timestream") == 0
                             ? man->source_database : man->database;
    char **names = NULL;
    size_t n = 0;
    TS_TRY(live->ops->list_tables(live, livedb, &names, &n, err));
    ts_status st = TS_OK;
    for (size_t i = 0; st == TS_OK && i < n; i++) {
        if (!wanted(o->tables, o->ntables, names[i])) continue;
        bool listed = false;
        for (size_t t = 0; t < man->ntables; t++)
            if (strcmp(man->tables[t].name, names[i]) == 0) listed = true;
        if (listed) continue;
        arc_live_month *lm = NULL;
        size_t nl = 0;
        st = live->ops->table_months(live, livedb, names[i], NULL, NULL, 0, &lm, &nl, err);
        for (size_t k = 0; st == TS_OK && k < nl; k++) {
            arc_compare_month m;
            memset(&m, 0, sizeof m);
            m.database = ts_strdup(man->database);
            m.table = ts_strdup(names[i]);
            m.month = lm[k].month;
            m.live = lm[k].s;
            memset(&lm[k].s, 0, sizeof lm[k].s);
            m.why = ts_strdup("the table is not in the archive");
            if (!m.database || !m.table || !m.why) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            if (st == TS_OK && vrep) {
                char line[2048];
                arc_compare_month_text(&m, line, sizeof line);
                st = arc_verify_add(vrep, ARC_F_LIVE_MISMATCH, false, man->database, names[i],
                                    NULL, line, err);
            }
            if (st == TS_OK) st = push_month(rep, &m, err);
            if (st != TS_OK) {
                ts_free(m.database);
                ts_free(m.table);
                ts_free(m.why);
                arc_side_stats_free(&m.live);
            }
        }
        arc_live_months_free(lm, nl);
    }
    aws_ts_names_free(names, n);
    return st;
}

static ts_status list_cb(void *user, const char *rel_key, uint64_t size, ts_error *err)
{
    (void)size;
    ts_buf *b = user;
    if (ts_buf_append_str(b, rel_key) != TS_OK || ts_buf_append_byte(b, '\n') != TS_OK)
        return ts_err_set(err, TS_ERR_LIMIT, "too many objects");
    return TS_OK;
}

ts_status arc_compare_with(arc_storage *storage, arc_live *live, const arc_compare_opts *o,
                           arc_compare_report *rep, arc_verify_report *vrep, ts_error *err)
{
    const char *prefix = o->prefix ? o->prefix : ARC_DEFAULT_PREFIX;
    ts_buf keys;
    ts_buf_init(&keys, (size_t)1 << 30);
    ts_status st = arc_storage_list(storage, prefix, list_cb, &keys, err);
    if (st == TS_OK) st = ts_buf_nul(&keys) == TS_OK ? TS_OK : ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    size_t pl = strlen(prefix), mnl = strlen(ARC_MANIFEST_NAME);
    char *next = st == TS_OK ? (char *)keys.data : NULL;
    while (st == TS_OK && next && *next) {
        char *line = next, *nl = strchr(next, '\n');
        if (nl) *nl = '\0';
        next = nl ? nl + 1 : NULL;
        /* "<prefix><db>/export_metadata.json" */
        const char *rest = line + pl;
        const char *slash = strchr(rest, '/');
        if (!slash || strcmp(slash + 1, ARC_MANIFEST_NAME) != 0) continue;
        char db[ARC_NAME_MAX + 1];
        size_t dl = (size_t)(slash - rest);
        if (dl > ARC_NAME_MAX) continue;
        memcpy(db, rest, dl);
        db[dl] = '\0';
        if (!wanted(o->databases, o->ndatabases, db)) continue;
        ts_buf text;
        ts_buf_init(&text, TS_MAX_MANIFEST);
        arc_manifest man;
        arc_manifest_init(&man);
        st = arc_storage_read_all(storage, line, &text, TS_MAX_MANIFEST, err);
        if (st != TS_OK) ts_err_context(err, "%s", line);
        bool parsed = false;
        if (st == TS_OK) {
            /* an unreadable manifest is self-verification's finding; here
             * there is then nothing to compare for this database */
            ts_error pe;
            ts_err_clear(&pe);
            parsed = arc_manifest_parse((const char *)text.data, text.len, &man, &pe) == TS_OK;
            if (!parsed && pe.code == TS_ERR_NOMEM) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
        char dbdir[ARC_PATH_MAX];
        snprintf(dbdir, sizeof dbdir, "%.*s", (int)(strlen(line) - mnl), line);
        for (size_t t = 0; st == TS_OK && parsed && t < man.ntables; t++)
            if (wanted(o->tables, o->ntables, man.tables[t].name))
                st = compare_table(storage, live, o, dbdir, &man, &man.tables[t], rep, vrep, err);
        if (st == TS_OK && parsed && live->ops->list_tables)
            st = compare_live_only(live, o, &man, rep, vrep, err);
        arc_manifest_free(&man);
        ts_buf_free(&text);
    }
    ts_buf_free(&keys);
    return st;
}

ts_status arc_compare_run(arc_storage *storage, const arc_compare_opts *o, arc_compare_report *rep,
                          arc_verify_report *vrep, ts_error *err)
{
    arc_live *live = NULL;
    TS_TRY(arc_live_open(o->against, o->client, &o->env, &live, err));
    ts_status st = arc_compare_with(storage, live, o, rep, vrep, err);
    arc_live_free(live);
    return st;
}

/* A deep copy of the caller's figures (the report owns its own). */
static ts_status side_copy(arc_side_stats *to, const arc_side_stats *from, ts_error *err)
{
    *to = *from;
    to->measures = NULL;
    to->nmeasures = 0;
    if (!from->nmeasures) return TS_OK;
    to->measures = ts_calloc(from->nmeasures, sizeof *to->measures);
    if (!to->measures) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < from->nmeasures; i++) {
        to->measures[i] = from->measures[i];
        to->measures[i].name = NULL;
        to->nmeasures++;
        if (!(to->measures[i].name = ts_strdup(from->measures[i].name)))
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    return TS_OK;
}

ts_status arc_compare_expected(arc_live *live, const arc_compare_opts *o, const arc_expect *x,
                               size_t n, arc_compare_report *rep, ts_error *err)
{
    if (!live->ops->window)
        return ts_err_set(err, TS_ERR_UNSUPPORTED, "%s: cannot count a time window",
                          live->ops->scheme);
    bool points = strcmp(live->ops->scheme, "timestream") != 0;
    const char **names = NULL;
    size_t names_cap = 0;
    ts_status st = TS_OK;
    for (size_t i = 0; st == TS_OK && i < n; i++) {
        if (o->cancel && *o->cancel) {
            st = ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
            break;
        }
        const arc_expect *e = &x[i];
        if (e->s.nmeasures > names_cap) {
            const char **nn = ts_realloc(names, e->s.nmeasures * sizeof *nn);
            if (!nn) {
                st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
                break;
            }
            names = nn;
            names_cap = e->s.nmeasures;
        }
        for (size_t k = 0; k < e->s.nmeasures; k++) names[k] = e->s.measures[k].name;
        arc_window w = arc_month_window(e->month);
        int64_t lo = w.lo, hi = w.hi == INT64_MAX ? w.hi : w.hi + 1;
        if (o->has_since && o->since > lo) lo = o->since;
        if (o->has_until && o->until < hi) hi = o->until;
        arc_compare_month m;
        memset(&m, 0, sizeof m);
        m.database = ts_strdup(e->database ? e->database : "");
        m.table = ts_strdup(e->series);
        m.month = e->month;
        if (!m.database || !m.table) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        if (st == TS_OK) st = side_copy(&m.archive, &e->s, err);
        if (st == TS_OK) st = measures_init(&m.live, names, e->s.nmeasures, err);
        if (st == TS_OK)
            st = live->ops->window(live, e->database, e->series, lo, hi, names, e->s.nmeasures,
                                   o->extra_fields, &m.live, err);
        if (st == TS_OK) st = judge(&m, points, o->range_within, err);
        if (st == TS_OK && (st = push_month(rep, &m, err)) == TS_OK) continue;
        ts_free(m.database);
        ts_free(m.table);
        ts_free(m.why);
        arc_side_stats_free(&m.archive);
        arc_side_stats_free(&m.live);
    }
    ts_free(names);
    return st;
}
