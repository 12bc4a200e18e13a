/* tsarchive export from Timestream: every table of every chosen database
 * into archive format 1 (one Parquet file per table-month + manifest),
 * counted against Timestream month by month, resumable, in parallel. */
#ifndef ARC_EXPORT_H
#define ARC_EXPORT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_error.h"
#include "core/ts_hash.h"
#include "core/ts_io.h"

typedef struct aws_config aws_config;
typedef struct arc_audit arc_audit;
typedef struct arc_column arc_column;
typedef struct arc_manifest arc_manifest;
typedef struct arc_storage arc_storage;

typedef enum arc_time_unit { ARC_TIME_US, ARC_TIME_NS, ARC_TIME_MS } arc_time_unit;

typedef struct arc_export_progress {
    uint64_t partitions_total, partitions_done, partitions_skipped;
    uint64_t rows;  /* rows written this run */
    uint64_t bytes; /* Parquet bytes written this run */
} arc_export_progress;

typedef struct arc_export_opts {
    const char *root;            /* directory or s3://bucket[/prefix] */
    const char *prefix;          /* inside root; default "timestream-archive/" */
    const char *codec;           /* "zstd" (default), "snappy", "gzip", "none" */
    arc_time_unit time_unit;
    int jobs;                    /* parallel partitions; default 1 */
    uint64_t max_rows_per_query; /* split a month's query above this; default 5,000,000 */
    size_t batch_rows;           /* default 8192 */
    size_t row_group_bytes;      /* default 64 MiB */
    const char *const *databases; /* explicit names; NULL/0 = every database */
    size_t ndatabases;
    const char *db_name_prefix;  /* only databases starting with this (when listing all) */
    volatile sig_atomic_t *cancel;
    /* export --retain: S3 Object Lock for every object written (NULL = none;
     * mode "GOVERNANCE"/"COMPLIANCE", until ISO 8601), recorded in each
     * manifest's optional "object_lock"; started_at (ns, 0 = the clock) is the
     * manifest's export time, the one the lock date was computed from. */
    const char *lock_mode, *lock_until;
    int64_t started_at;
    /* Filters (the Timestream and InfluxDB exports; the file export ignores
     * them: the CLI refuses them there). tables: fnmatch globs on table names,
     * applied in every database (0 = all); a glob matching no table of any
     * selected database is an error naming it. since/until: only rows with
     * since <= time < until (the month counts and checks use the same
     * bounds). dry_run: plan and count only; no file, checkpoint or manifest
     * is written (the result carries each table's months and counts). */
    const char *const *tables;
    size_t ntables;
    bool has_since, has_until;
    int64_t since, until; /* ns */
    bool dry_run;
    /* progress (from worker threads, serialised); may be NULL */
    void (*progress)(void *user, const arc_export_progress *p);
    /* test hook: after a database's plan (counts taken), before any file; may be NULL */
    void (*after_plan)(void *user, const char *database);
    void *user;
} arc_export_opts;

/* A dry run's month of a table: Timestream's count of the selected rows. */
typedef struct arc_export_month {
    int64_t year;
    unsigned month;
    uint64_t records;
} arc_export_month;

/* One line per table for the summary. */
typedef struct arc_export_table_result {
    char database[256];
    char table[256];
    uint64_t records;
    uint64_t files, files_skipped;
    bool ok;
    char error[512]; /* when !ok */
    arc_export_month *months; /* Timestream dry run only (else NULL); freed by
                               * arc_export_result_free */
    size_t nmonths;
} arc_export_table_result;

typedef struct arc_export_result {
    uint64_t databases, tables, tables_failed;
    uint64_t files, files_skipped, rows, bytes;
    arc_export_table_result *tables_v; /* ts_free */
    size_t ntables_v;
} arc_export_result;

void arc_export_result_free(arc_export_result *r);

/* Runs the export. aws: loaded configuration (region and endpoints). audit
 * (may be NULL) receives entries for every read, file and manifest; it is
 * flushed to the archive after each database and at the end. Returns TS_OK
 * only when every table of every database matched Timestream's counts;
 * otherwise the first error (the others are in result->tables_v). */
ts_status arc_export_timestream(const aws_config *aws, const arc_export_opts *opts,
                                arc_audit *audit, arc_export_result *result, ts_error *err);

/* ---- pieces shared with the file export (arc_export_file.c) ---- */

/* The footer's tsarchive.columns JSON for cols (file order); *out is ts_free'd. */
ts_status arc_columns_kv(const arc_column *cols, size_t ncols, char **out, ts_error *err);
/* An output passing bytes to inner (owned; NULL = hash only) and hashing them
 * (SHA-256); commit/abort go to inner. arc_hash_output_hex finishes the hash
 * (once, after the last write). Close with ts_output_close. */
ts_status arc_hash_output_new(ts_output *inner, ts_output **out, ts_error *err);
void arc_hash_output_hex(ts_output *o, char hex[TS_SHA256_HEX_LEN]);
/* Writes m's JSON atomically at key; sha_hex/size (may be NULL) of the bytes. */
ts_status arc_manifest_store(arc_storage *s, const char *key, const arc_manifest *m,
                             char sha_hex[TS_SHA256_HEX_LEN], uint64_t *size, ts_error *err);

/* Reads a manifest or checkpoint at key; *found = false (TS_OK) when it is
 * missing or unreadable (an unreadable earlier state only costs re-exporting). */
ts_status arc_doc_read(arc_storage *s, const char *key, arc_manifest *m, bool *found,
                       ts_error *err);
/* The earlier state of a database (checkpoint over manifest: the
 * checkpoint's tables, with the manifest's files they lack) into *prev
 * (always initialised; arc_manifest_free it). *usable: found and written
 * with the same codec, so its records may be trusted for skipping. */
ts_status arc_export_prev_read(arc_storage *s, const char *dbdir, const char *codec,
                               arc_manifest *prev, bool *usable, ts_error *err);
/* The stored object at key has f's size and SHA-256 (read back and hashed
 * unless the store keeps a whole-object SHA-256). */
typedef struct arc_file arc_file;
bool arc_object_matches(arc_storage *s, const char *key, const arc_file *f);

/* ---- --table filters shared by the Timestream and InfluxDB exports (arc_export_filter.c) ---- */

/* name matches one of the fnmatch globs (always, when nglobs is 0). */
bool arc_export_glob_wanted(const char *const *globs, size_t nglobs, const char *name);
/* TS_ERR_NOT_FOUND naming the first glob with !hit[g]: "--table G matches no
 * table in <noun>[s] <where>; nothing was exported" (nwhere: how many
 * databases where lists; truncated: where was cut); TS_OK when all hit. */
ts_status arc_export_glob_unmatched(const char *const *globs, size_t nglobs, const bool *hit,
                                    const char *noun, size_t nwhere, const char *where,
                                    bool truncated, ts_error *err);
/* A new table in dst with pt's name, columns, time unit and time_ns; no files. */
typedef struct arc_table arc_table;
ts_status arc_export_table_copy(arc_manifest *dst, const arc_table *pt, arc_table **out,
                                ts_error *err);
/* Tables of prev (the earlier state) that the globs leave out and done does
 * not list are added to done with their intact files (size + SHA-256 at
 * dbdir/path in s): a --table export adds to the database's manifest and
 * never drops what it was not asked about. No-op when nglobs is 0. */
ts_status arc_export_keep_unselected(arc_storage *s, const char *dbdir, const arc_manifest *prev,
                                     arc_manifest *done, const char *const *globs, size_t nglobs,
                                     ts_error *err);

/* Export of a line-protocol, CSV or Parquet file (optionally .gz/.zst for
 * text) into archive database `database`: each measurement/table a table,
 * rows in any time order. Pass 1 spills each table-month into temp Parquet
 * files (memory bounded by the open partitions' row groups), collecting
 * counts, min/max and whether a table needs time_ns; pass 2 writes the
 * archive files (hashed, committed atomically), then the manifest. Uses
 * opts->root, prefix, codec, time_unit, batch_rows, cancel. */
typedef struct arc_export_file_opts {
    const char *path;     /* the input file */
    const char *database; /* the archive database name */
    const char *tmpdir;   /* spill directory parent; NULL = $TMPDIR or /tmp */
    size_t max_open;      /* spill writers open at once; 0 = 16 */
    arc_storage *storage; /* where the archive goes (borrowed); NULL = opts->root, no AWS */
    const char *schema;   /* CSV column types "name:type[:role],..." (fmt.h); NULL = inferred */
    int precision;        /* LP timestamps: a ts_epoch_unit + 1; 0 = ns */
    int time_format;      /* CSV time column: a fmt_time_format; 0 = auto */
} arc_export_file_opts;

ts_status arc_export_file(const arc_export_file_opts *fo, const arc_export_opts *opts,
                          arc_audit *audit, arc_export_result *result, ts_error *err);

/* Export from InfluxDB: every measurement of the target's database (v1) or
 * bucket (v2, through its v1-compatible /query) into archive database
 * `database` (default: the db/bucket name), one Parquet file per
 * measurement-month. Tags → dimensions (a tag named measure_name → the
 * measure_name column), fields → measures typed by SHOW FIELD KEYS; a field
 * with different types in different shards is refused. Each month's rows
 * are streamed (chunked=true) and its file committed only when every
 * field's non-NULL values and the first/last time equal InfluxDB's count
 * for the month. Resumable (checkpoint, skip of intact files) and parallel
 * (opts->jobs) like the Timestream export; whether a table needs time_ns is
 * found while exporting (a table that turns out to need it is redone). Uses
 * opts->root, prefix, codec, time_unit, jobs, batch_rows, row_group_bytes,
 * the filters (tables, since/until, dry_run), cancel, progress, after_plan. */
typedef struct influx_target influx_target;
typedef struct arc_export_influx_opts {
    const influx_target *target;  /* parsed influx:// or influx1:// URL (borrowed) */
    const char *database;         /* archive database; NULL = the db/bucket name */
    size_t chunk_size;            /* rows per /query chunk; 0 = INFLUX_DEFAULT_CHUNK_SIZE */
    const aws_config *aws;        /* for s3:// roots (one client per job); NULL otherwise */
} arc_export_influx_opts;

ts_status arc_export_influx(const arc_export_influx_opts *io, const arc_export_opts *opts,
                            arc_audit *audit, arc_export_result *res, ts_error *err);
/* The archive database name used when none is given: the db or bucket. */
void arc_export_influx_db_default(const influx_target *t, const char **name);

#endif
