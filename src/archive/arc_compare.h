/* The parity engine shared by `verify --against` and restore's check:
 * per table and calendar month, the archive's record count and min/max time
 * (and with `deep`, per numeric measure count/sum/min/max) against a live
 * source's, behind a small vtable of "live count sources" (Timestream,
 * InfluxDB v2, InfluxDB v1). */
#ifndef ARC_COMPARE_H
#define ARC_COMPARE_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive/arc_layout.h"
#include "archive/arc_manifest.h"
#include "core/ts_error.h"

typedef struct aws_config aws_config;
typedef struct aws_client aws_client;
typedef struct arc_storage arc_storage;
typedef struct arc_verify_report arc_verify_report;
typedef struct influx_target influx_target;

/* Figures of one numeric measure over a table-month. */
typedef struct arc_measure_stats {
    char *name;
    uint64_t count; /* non-NULL values */
    double sum, min, max; /* valid when count > 0 and has_agg */
    bool has_agg;         /* sum/min/max known (numeric, and the source gives them) */
} arc_measure_stats;

/* Figures of one side over a table-month. */
typedef struct arc_side_stats {
    uint64_t records;
    int64_t min_time, max_time; /* ns; valid when records > 0 */
    size_t nmeasures;
    arc_measure_stats *measures; /* deep only; same order on both sides */
} arc_side_stats;

void arc_side_stats_free(arc_side_stats *s);

typedef struct arc_compare_month {
    char *database, *table;
    arc_month month;
    arc_side_stats archive, live;
    bool match;
    char *why; /* what differs, or NULL when match */
    /* the table's export window (manifest "window"): the live side was
     * counted only inside it; unbounded = the whole month */
    arc_time_window window;
} arc_compare_month;

/* A table whose archive covers only a window, compared inside it. */
typedef struct arc_compare_window {
    char *database, *table;
    arc_time_window window;
} arc_compare_window;

typedef struct arc_compare_report {
    arc_compare_month *months;
    size_t nmonths, cap;
    size_t ndiffer;
    arc_compare_window *windows; /* one per windowed table compared, in order */
    size_t nwindows;
} arc_compare_report;

void arc_compare_report_init(arc_compare_report *r);
void arc_compare_report_free(arc_compare_report *r);
/* "db.table 2024-01: archive 720 records 2024-01-01T.. .. ..; live 1440 records ..."
 * (after the month " (export window A .. B)" when the table has one) */
void arc_compare_month_text(const arc_compare_month *m, char *out, size_t outsz);
/* {"database","table","month","match","why","archive":{...},"live":{...}} and, for a
 * windowed table, "window":{"since","until"} (null = unbounded) (new reference). */
json_t *arc_compare_month_json(const arc_compare_month *m);
/* {"since": RFC 3339 or null, "until": ...} (new reference). */
json_t *arc_time_window_json(const arc_time_window *w);

/* ---- live count sources ---- */

typedef struct arc_live arc_live;

/* A live system's per-month figures for one table, counting only rows in
 * `win` (NULL or unbounded: all). `measures` are the
 * numeric measure columns to aggregate (deep; nmeasures 0 otherwise). The
 * callee fills *months (ts_malloc'd array of nmonths entries, sorted by
 * month, only months with records) with side stats whose measures follow
 * `measures` in order. TS_ERR_NOT_FOUND when the table does not exist there
 * (the caller then treats it as empty). */
typedef struct arc_live_month {
    arc_month month;
    arc_side_stats s;
} arc_live_month;

typedef struct arc_live_ops {
    const char *scheme; /* "timestream", "influx", "influx1" */
    ts_status (*table_months)(arc_live *l, const char *database, const char *table,
                              const arc_time_window *win, const char *const *measures,
                              size_t nmeasures,
                              arc_live_month **months, size_t *nmonths, ts_error *err);
    /* The live database's tables (sorted, ts_strdup'd, freed by the caller
     * with ts_free each + the array), so tables missing from the archive are
     * found; NULL when the source cannot list them. */
    ts_status (*list_tables)(arc_live *l, const char *database, char ***names, size_t *n,
                             ts_error *err);
    void (*free)(arc_live *l);
    /* The figures of one series in [lo, hi_excl) ns (restore's check of the
     * months it wrote); out->measures already holds `measures` in order.
     * With `extra`, fields the source has beyond `measures` (non-zero counts)
     * are appended to out->measures. NULL when the source cannot count a
     * window (Timestream). */
    ts_status (*window)(arc_live *l, const char *database, const char *series, int64_t lo,
                        int64_t hi_excl, const char *const *measures, size_t nmeasures,
                        bool extra, arc_side_stats *out, ts_error *err);
} arc_live_ops;

struct arc_live {
    const arc_live_ops *ops;
};

/* What the front end read from the environment for InfluxDB URLs (the
 * library never reads it itself); any may be NULL. */
typedef struct arc_compare_env {
    const char *influx_host, *influx_token, *influx_org, *influx_username, *influx_password;
} arc_compare_env;

/* Opens a live source from a URL: timestream://REGION (client: an
 * aws_client for the query endpoint, borrowed), influx://… (v2; its
 * v1-compatible /query endpoint), influx1://… (v1). TS_ERR_USAGE for
 * anything else. */
ts_status arc_live_open(const char *url, aws_client *client, const arc_compare_env *env,
                        arc_live **out, ts_error *err);
void arc_live_free(arc_live *l);

/* An InfluxDB source (v1, or v2 through /query) over a target already
 * parsed (restore's); t is borrowed and must outlive the source. */
ts_status arc_live_open_influx(const influx_target *t, arc_live **out, ts_error *err);

void arc_live_months_free(arc_live_month *m, size_t n);

typedef struct arc_compare_opts {
    const char *root, *prefix;      /* as for verify */
    const char *against;            /* live source URL */
    const aws_config *aws;          /* may be NULL unless S3 / Timestream */
    aws_client *client;             /* borrowed; for timestream:// (may be NULL otherwise) */
    arc_compare_env env;
    const char *const *databases;   /* NULL/0 = all */
    size_t ndatabases;
    const char *const *tables;      /* NULL/0 = all (restore: the tables it wrote) */
    size_t ntables;
    bool deep;                      /* per numeric measure: reads the archive files' measures */
    volatile sig_atomic_t *cancel;
    /* arc_compare_expected only (restore's check): */
    bool has_since, has_until;      /* count the live side only in [since, until) */
    int64_t since, until;
    bool range_within;              /* points were refused: the live first/last time only have
                                     * to lie within the archive side's */
    bool extra_fields;              /* a live field the archive side does not list is a
                                     * difference */
} arc_compare_opts;

/* Reads each database's manifest in `storage` (borrowed), asks the live
 * source for every table's months (only inside the table's export window
 * when the manifest records one; such tables are also listed in
 * rep->windows), and fills rep with one entry per
 * table-month present on either side. Differences are also added to vrep
 * (when not NULL) as ARC_F_LIVE_MISMATCH findings. Returns TS_OK when the
 * comparison ran (whatever it found); an error when it could not (source
 * unreachable, manifest unreadable). */
ts_status arc_compare_run(arc_storage *storage, const arc_compare_opts *o, arc_compare_report *rep,
                          arc_verify_report *vrep, ts_error *err);

/* The same with an open live source (restore passes its own). */
ts_status arc_compare_with(arc_storage *storage, arc_live *live, const arc_compare_opts *o,
                           arc_compare_report *rep, arc_verify_report *vrep, ts_error *err);

/* One series and month as the caller counted it (restore: what it sent,
 * minus what the server refused, plus files done by an earlier run).
 * `series` is the live name: the table, or with restore's --measurement
 * measure_name the measurement. s.records is the point count, s.measures
 * the per-field value counts under their live names; all borrowed. */
typedef struct arc_expect {
    const char *database;
    const char *series;
    arc_month month;
    arc_side_stats s;
} arc_expect;

/* Compares each expected series-month (in the order given) with the live
 * source's figures over that month, clamped to o->since/until, using the
 * same judgement as arc_compare_with; fills rep with one entry each.
 * TS_ERR_UNSUPPORTED when the source cannot count a window; otherwise the
 * source's errors unchanged (TS_ERR_NOT_FOUND: InfluxDB without /query). */
ts_status arc_compare_expected(arc_live *live, const arc_compare_opts *o, const arc_expect *x,
                               size_t n, arc_compare_report *rep, ts_error *err);

/* Front-end helper: fills env from INFLUX_HOST, INFLUX_TOKEN, INFLUX_ORG,
 * INFLUX_USERNAME, INFLUX_PASSWORD. (Reads the environment: only src/cli
 * calls it.) */
void arc_compare_env_from_getenv(arc_compare_env *env);

#endif
