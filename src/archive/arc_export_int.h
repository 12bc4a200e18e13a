/* What the export sources (Timestream, InfluxDB, file) share inside the
 * archive module: option defaults, the archive file writer, the manifest's
 * head and finish, checkpoints, audit entries, summary lines, and the
 * partition runner of the Timestream and InfluxDB exports (arc_export_run.c). */
#ifndef ARC_EXPORT_INT_H
#define ARC_EXPORT_INT_H

#include <pthread.h>

#include "arc_export.h"
#include "arc_layout.h"
#include "arc_manifest.h"
#include "core/ts_batch.h"
#include "parquet/pq_writer.h"

/* --codec name → pq_codec; TS_ERR_USAGE naming the choices otherwise. */
ts_status arc_export_codec(const char *name, pq_codec *out, ts_error *err);
/* An export's start: res cleared, *o = *opts with the default prefix and
 * codec, that codec parsed into *codec. */
ts_status arc_export_start(const arc_export_opts *opts, arc_export_opts *o, pq_codec *codec,
                           arc_export_result *res, ts_error *err);
/* The archive's storage at opts->root (client: for s3://, may be NULL
 * otherwise), with --retain's Object Lock when asked for. */
typedef struct aws_client aws_client;
ts_status arc_export_storage_open(const arc_export_opts *o, aws_client *client,
                                  arc_storage **out, ts_error *err);
/* The manifest's time_unit: "us", "ns" or "ms". */
const char *arc_export_unit_name(arc_time_unit u);
/* Appends a column to schema (its ts_role from role) and to *cols (count *ncols),
 * the manifest's view of it (name, role, source type stype, type). */
ts_status arc_export_add_column(ts_schema *schema, arc_column **cols, size_t *ncols,
                                const char *name, arc_col_role role, const char *stype,
                                ts_type type, bool nullable, ts_error *err);
/* Frees cols' names and source types, then cols. */
void arc_export_columns_free(arc_column *cols, size_t ncols);
/* p (an earlier table) has exactly these columns, time unit and time_ns
 * choice, so its files may be kept or skipped. */
bool arc_export_same_columns(const arc_table *p, const arc_column *cols, size_t ncols,
                             const char *unit, bool time_ns);

/* One archive file being written: Parquet into a hashing output over the
 * stored object (committed only by arc_export_writer_finish). rows and the
 * min/max of column 0 (time, ns) count what was written. */
typedef struct arc_export_writer {
    ts_output *h;
    pq_writer *pw;
    uint64_t rows;
    int64_t mn, mx;
} arc_export_writer;

typedef struct arc_export_writer_opts {
    pq_codec codec;
    size_t row_group_bytes; /* 0 = the writer's default */
    arc_time_unit time_unit;
    bool time_ns;           /* column 1 is time_ns: time is its floor */
    const char *columns_kv; /* tsarchive.columns */
} arc_export_writer_opts;

/* Opens w (zeroed first) on key in s. On failure w holds nothing to close
 * beyond what arc_export_writer_finish releases. */
ts_status arc_export_writer_open(arc_export_writer *w, arc_storage *s, const char *key,
                                 const ts_schema *schema, const arc_export_writer_opts *wo,
                                 ts_error *err);
/* Writes b, tracking rows and the min/max of column 0. */
ts_status arc_export_writer_write(arc_export_writer *w, const ts_batch *b, ts_error *err);
/* st == TS_OK: closes the Parquet file, commits the object and fills rec
 * (path borrowed; records, min/max, size, SHA-256); otherwise (or when that
 * fails) the object is discarded. Always releases w. Returns the status. */
ts_status arc_export_writer_finish(arc_export_writer *w, ts_status st, char *path,
                                   arc_file *rec, ts_error *err);

/* The manifest's head: database, codec, source kind/database, tool, export
 * id, start time and --retain's lock. */
ts_status arc_export_manifest_begin(arc_manifest *m, const char *db, const char *codec,
                                    const char *source_kind, const char *source_database,
                                    const char *export_id, int64_t started_at,
                                    const arc_export_opts *o, ts_error *err);
/* The checkpoint (done so far) at dbdir. */
ts_status arc_export_state_store(arc_storage *s, const char *dbdir, const arc_manifest *done,
                                 ts_error *err);
/* Every table matched: the manifest (finished now), then the checkpoint
 * goes; a "write-manifest" audit entry either way (audit may be NULL). */
ts_status arc_export_manifest_finish(arc_storage *s, const char *dbdir, const char *db,
                                     arc_manifest *done, arc_audit *audit, ts_error *err);
/* A "write" (or "verified-existing" when skipped) audit entry; audit may be NULL. */
void arc_export_audit_file(arc_audit *audit, const char *db, const char *table,
                           const arc_file *rec, bool skipped);
/* A summary line appended to res (NULL when memory runs out: the summary
 * then lacks it, the export's status is unaffected). */
arc_export_table_result *arc_export_result_add(arc_export_result *res, const char *db,
                                               const char *table, uint64_t records, bool ok,
                                               const char *error);

/* ---- the partition runner of the Timestream and InfluxDB exports ---- */

/* A run's state that its workers share (guarded by mu). Each source's run
 * struct has it as its first member, so a callback may cast it back. */
typedef struct arc_export_core {
    const arc_export_opts *o;
    arc_audit *audit;
    pq_codec codec;
    const char *db;
    char dbdir[ARC_PATH_MAX]; /* "<prefix><db>" */
    arc_manifest done;        /* files committed or verified this run */
    arc_manifest prev;        /* earlier state/manifest, for resume */
    bool prev_ok;
    pthread_mutex_t mu;
    arc_export_progress prog;
    size_t next_part;         /* for the source's next_part */
    ts_status first_st;       /* the first partition that failed */
    ts_error first_err;
    int64_t state_written;    /* mono ns of the last checkpoint write */
    bool state_dirty;
} arc_export_core;

/* A table's files this run. */
typedef struct arc_export_tally {
    uint64_t files, skipped; /* written; earlier ones verified and kept */
    uint64_t rows, bytes;    /* of the files written */
} arc_export_tally;

/* What differs between sources, as a const table per source. */
typedef struct arc_export_source {
    size_t worker_size; /* a worker's struct (per thread: clients, storage) */
    ts_status (*worker_open)(arc_export_core *c, void *w, ts_error *err);
    void (*worker_close)(void *w);
    /* under c->mu: the next part to export (advancing c->next_part), or NULL */
    void *(*next_part)(arc_export_core *c);
    /* plans, writes or skips one part (records it with arc_export_record) */
    ts_status (*do_part)(void *w, void *part, ts_error *err);
    /* under c->mu: the part's table failed with e */
    void (*part_failed)(void *part, const ts_error *e);
} arc_export_source;

/* Runs the parts with opts->jobs workers (at most nparts): w0 (open) is
 * worker 0 on this thread, the others are opened here and closed after.
 * Failures are on the parts' tables; the first in c->first_st/first_err. */
void arc_export_pool_run(arc_export_core *c, const arc_export_source *src, void *w0,
                         size_t nparts);
/* rows (or bytes) more written this run, reported to opts->progress. */
void arc_export_add_rows(arc_export_core *c, uint64_t rows);
void arc_export_add_bytes(arc_export_core *c, uint64_t bytes);
/* Records rec in the manifest's table `table` (a file written, or an earlier
 * one verified when skipped), counts it in tally and the progress, rewrites
 * the checkpoint when interval_ns has passed since the last one, audits it. */
ts_status arc_export_record(arc_export_core *c, arc_storage *s, const char *table,
                            arc_export_tally *tally, const arc_file *rec, bool skipped,
                            int64_t interval_ns, ts_error *err);
/* Earlier files of pt (an earlier table of the same columns) that planned()
 * does not name stay in mt when still intact (size + SHA-256). */
void arc_export_keep_unplanned(const arc_export_core *c, arc_storage *s, const arc_table *pt,
                               arc_table *mt, bool (*planned)(const void *u, const char *path),
                               const void *u);
/* A database's end: complete (every table matched) writes the manifest and
 * drops the checkpoint; otherwise the checkpoint is left complete for the
 * next run when files were written since the last one. */
ts_status arc_export_db_end(arc_export_core *c, arc_storage *s, bool complete, ts_error *err);

#endif
