/* Self-verification of an archive (format 1): manifests, paths, presence,
 * sizes, SHA-256, unlisted objects, full Parquet decode (every page, CRCs),
 * counts, time ranges, schema and key-value metadata, partition names.
 * Every problem becomes a finding; the run itself fails only when the
 * archive could not be checked at all (unreachable, not found). */
#ifndef ARC_VERIFY_H
#define ARC_VERIFY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_error.h"

typedef struct aws_config aws_config;
typedef struct arc_storage arc_storage;

/* Machine-readable kinds (arc_finding_kind_name gives the JSON spelling). */
typedef enum arc_finding_kind {
    ARC_F_MANIFEST_MISSING,   /* a database folder without export_metadata.json */
    ARC_F_MANIFEST_INVALID,   /* unparsable, wrong format version, inconsistent fields */
    ARC_F_PATH_ESCAPE,        /* a manifest path that is absolute, has "..", odd characters */
    ARC_F_TOTALS_MISMATCH,    /* table or archive totals differ from the sum of the files */
    ARC_F_MISSING_FILE,       /* listed, absent */
    ARC_F_SIZE_MISMATCH,      /* listed size != object size (truncated, appended) */
    ARC_F_CHECKSUM_MISMATCH,  /* SHA-256 differs */
    ARC_F_UNLISTED_FILE,      /* an object the manifest does not list */
    ARC_F_LEFTOVER_TEMP,      /* a temp file of an interrupted write (warning) */
    ARC_F_UNFINISHED_EXPORT,  /* .export_state.json present (warning) */
    ARC_F_DECODE_ERROR,       /* the Parquet file does not decode (page, CRC, footer) */
    ARC_F_COUNT_MISMATCH,     /* rows decoded != rows listed / footer */
    ARC_F_TIME_MISMATCH,      /* min/max time decoded != listed, time != floor(time_ns) */
    ARC_F_SCHEMA_MISMATCH,    /* Parquet schema or tsarchive.columns != manifest columns */
    ARC_F_PARTITION_MISMATCH, /* file name/folders vs the rows' month */
    ARC_F_STATS_MISMATCH,     /* footer statistics (null count, time min/max) vs the pages */
    ARC_F_LIVE_MISMATCH,      /* --against: a table-month differs from the live system */
    ARC_F_KIND_COUNT
} arc_finding_kind;

const char *arc_finding_kind_name(arc_finding_kind k);

typedef struct arc_finding {
    arc_finding_kind kind;
    bool warning;    /* reported, but does not make the archive damaged */
    char *database;  /* may be NULL */
    char *table;     /* may be NULL */
    char *file;      /* key relative to the root, or NULL */
    long long row_group, page, offset; /* -1 when unknown */
    char *column;    /* may be NULL */
    char *message;   /* complete sentence naming what and where */
} arc_finding;

/* Per table: what the manifest lists and what was checked. */
typedef struct arc_verify_table {
    char *database, *table;
    uint64_t files, records, bytes;
    int64_t min_time, max_time; /* when records > 0 */
    uint64_t files_ok;          /* files with no finding */
    uint64_t errors;            /* findings that are not warnings */
} arc_verify_table;

typedef struct arc_verify_report {
    arc_finding *findings;
    size_t nfindings, findings_cap;
    arc_verify_table *tables;
    size_t ntables, tables_cap;
    size_t databases;
    size_t objects; /* objects listed under the prefix (0: no archive there) */
    uint64_t files, files_checked, bytes_checked, rows_decoded;
    size_t errors, warnings;
} arc_verify_report;

void arc_verify_report_init(arc_verify_report *r);
void arc_verify_report_free(arc_verify_report *r);
/* Adds a finding (strings copied; any may be NULL); row_group/page/offset -1
 * when unknown. Used by verify and compare. */
ts_status arc_verify_add(arc_verify_report *r, arc_finding_kind kind, bool warning,
                         const char *database, const char *table, const char *file,
                         const char *message, ts_error *err);

typedef struct arc_verify_progress {
    uint64_t files_done, files_total;
    uint64_t bytes_done, bytes_total;
} arc_verify_progress;

typedef struct arc_verify_opts {
    const char *root;           /* directory or s3://bucket[/prefix] */
    const char *prefix;         /* "timestream-archive/" (with trailing '/') */
    const aws_config *aws;      /* for s3 roots: each worker opens its own client; else NULL */
    const char *const *databases; /* only these (NULL/0 = every database under the prefix) */
    size_t ndatabases;
    bool quick;                 /* sizes + SHA-256 only */
    int jobs;                   /* files checked in parallel (default 1) */
    /* called from worker threads, serialised by the verifier */
    void (*progress)(void *user, const arc_verify_progress *p);
    void *user;
    volatile sig_atomic_t *cancel;
} arc_verify_opts;

/* Checks every database under o->prefix (or those named) in `storage`
 * (borrowed; used by the calling thread for listing and manifests) and
 * appends findings and per-table summaries to rep (inited by the caller).
 * Returns TS_OK when the check ran to the end, whatever it found; an error
 * when the archive could not be checked: TS_ERR_NOT_FOUND (no archive, a
 * named database absent), TS_ERR_NETWORK / _AUTH / _REMOTE / _IO (cannot
 * read), TS_ERR_CANCELLED. */
ts_status arc_verify_run(arc_storage *storage, const arc_verify_opts *o, arc_verify_report *rep,
                         ts_error *err);

/* Whether a status from reading an object means "could not check" rather
 * than "the archive is damaged". */
bool arc_verify_status_fatal(ts_status st);

#endif
