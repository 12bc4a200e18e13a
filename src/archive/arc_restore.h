/* Restore: the archive's Parquet files, table by table and file by file,
 * into InfluxDB (v2 or v1 API) or into text files, with a checkpoint per
 * archive file (resume after a crash) and a parity check afterwards (points
 * and first/last time per measurement and month read back from InfluxDB). */
#ifndef ARC_RESTORE_H
#define ARC_RESTORE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/ts_error.h"
#include "influx/influx.h"

typedef enum arc_restore_kind {
    ARC_RESTORE_INFLUX,  /* influx://, influx1://, … */
    ARC_RESTORE_FILES,   /* a directory, one file per table */
    ARC_RESTORE_DRY_RUN, /* count only (and show samples) */
    ARC_RESTORE_TIMESTREAM /* timestream://REGION: WriteRecords */
} arc_restore_kind;

typedef enum arc_restore_format { ARC_FMT_LP, ARC_FMT_CSV, ARC_FMT_JSONL } arc_restore_format;

typedef struct arc_restore_progress {
    uint64_t rows_read;
    uint64_t points_sent;    /* lines handed to the writer */
    uint64_t accepted;
    uint64_t rejected;
    uint64_t files_done, files_total;
    const char *table;       /* the table being read */
    int64_t elapsed_ns;
} arc_restore_progress;

typedef void (*arc_restore_progress_fn)(void *user, const arc_restore_progress *p);

typedef struct arc_storage arc_storage;
typedef struct aws_client aws_client;

typedef struct arc_restore_opts {
    arc_storage *store;          /* the archive root (directory or s3://), borrowed */
    const char *root;            /* the same as the user named it (messages, checkpoint id) */
    const char *prefix;          /* NULL = "timestream-archive/" */
    const char *database;        /* only this archive database; NULL = all */
    const char *const *tables;   /* only these tables; NULL = all */
    size_t ntables;
    bool has_since, has_until;   /* rows with since <= time < until */
    int64_t since, until;
    bool by_measure_name;        /* measurement = measure_name column, not the table */

    arc_restore_kind kind;
    const influx_target *influx; /* ARC_RESTORE_INFLUX (borrowed) */
    influx_writer_opts wopts;
    bool parity;                 /* check counts in InfluxDB afterwards */
    const char *state_dir;       /* checkpoints; NULL = no resume */
    aws_client *aws;             /* ARC_RESTORE_TIMESTREAM (borrowed) */
    bool ts_create;              /* CreateDatabase/CreateTable when missing */
    const char *out_dir;         /* ARC_RESTORE_FILES */
    arc_restore_format format;
    size_t dry_run_samples;      /* lines shown per table in a dry run */

    arc_restore_progress_fn progress; /* may be NULL; called about once a second */
    void *user;
    volatile sig_atomic_t *cancel;
} arc_restore_opts;

typedef struct arc_restore_table {
    char *database;
    char *table;
    uint64_t files, files_skipped; /* skipped: completed by an earlier run */
    uint64_t rows;                 /* rows read (after --since/--until) */
    uint64_t points;               /* rows that became points */
    uint64_t all_null;             /* rows with every measure NULL: not a point */
    uint64_t rejected;             /* points the server refused (this run) */
    uint64_t prev_rejected;        /* refused in an earlier run of a skipped file */
    char **samples;                /* dry run: the first lines */
    size_t nsamples;
    char *out_path;                /* ARC_RESTORE_FILES: the file written */
} arc_restore_table;

typedef struct arc_restore_reject {
    char *file;     /* archive key */
    uint64_t row;   /* 0-based row in that file */
    char *line;
    char *reason;
} arc_restore_reject;

typedef struct arc_parity_row {
    char *measurement;
    int64_t year;
    unsigned month;
    uint64_t points;    /* points sent for this measurement-month */
    uint64_t want, got; /* largest per-field count: archive, InfluxDB */
    int64_t want_min, want_max, got_min, got_max;
    bool ok;
} arc_parity_row;

typedef struct arc_restore_report {
    char *target;                  /* target description without secrets */
    char *state_file;              /* checkpoint path or NULL */
    size_t ntables;
    arc_restore_table *tables;
    uint64_t rows, points, all_null, rejected, files, files_skipped;
    influx_writer_stats wstats;    /* InfluxDB, or Timestream's counts in the same fields */
    uint64_t retention_rejected;   /* Timestream: refused for the retention windows */
    size_t nrejects;
    arc_restore_reject *rejects;   /* up to 1000, with the archive rows */
    bool parity_run;
    char *parity_unavailable;      /* why parity could not run, or NULL */
    size_t nparity;
    arc_parity_row *parity;
    size_t parity_mismatches;
    unsigned parity_rechecks; /* times the differing months were asked again */
    int64_t elapsed_ns;
} arc_restore_report;

void arc_restore_report_free(arc_restore_report *r);

/* ---- Timestream writer (arc_restore_ts.c) ---- */

typedef struct arc_ts_stats {
    uint64_t sent, accepted, rejected, retention_rejected, requests;
} arc_ts_stats;

typedef struct arc_ts_writer arc_ts_writer;

/* Resolves the write endpoint (AWS_ENDPOINT_URL_TIMESTREAM_WRITE, else
 * DescribeEndpoints); c is borrowed. */
ts_status arc_ts_writer_new(aws_client *c, bool create, arc_ts_writer **out, ts_error *err);
void arc_ts_writer_free(arc_ts_writer *w);
/* Selects (and with create, creates) the database and table for what follows. */
ts_status arc_ts_writer_table(arc_ts_writer *w, const char *db, const char *table, ts_error *err);
/* Queues one record (stolen); every 100 go out in one WriteRecords. */
ts_status arc_ts_writer_add(arc_ts_writer *w, json_t *record, influx_rowref ref, ts_error *err);
ts_status arc_ts_writer_flush(arc_ts_writer *w, ts_error *err);
void arc_ts_writer_stats(const arc_ts_writer *w, arc_ts_stats *st);
const influx_rejection *arc_ts_writer_rejections(const arc_ts_writer *w, size_t *n);

/* Runs the restore. Returns TS_OK when everything was sent (rejections are
 * counted in the report, not errors), TS_ERR_MISMATCH when the parity check
 * found a difference (the report says where), or the first fatal error. */
ts_status arc_restore_run(const arc_restore_opts *o, arc_restore_report *rep, ts_error *err);

#endif
