/* export_metadata.json (archive format 1): the in-memory manifest, its
 * deterministic JSON form, and a validating reader that export (resume),
 * verify and restore share. */
#ifndef ARC_MANIFEST_H
#define ARC_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_batch.h"
#include "core/ts_buf.h"
#include "core/ts_error.h"
#include "core/ts_hash.h"

/* Column roles as the archive names them: the four ts_roles plus time_ns. */
typedef enum arc_col_role {
    ARC_ROLE_TIME,
    ARC_ROLE_TIME_NS,
    ARC_ROLE_DIMENSION,
    ARC_ROLE_MEASURE_NAME,
    ARC_ROLE_MEASURE
} arc_col_role;

const char *arc_role_name(arc_col_role r);
bool arc_role_parse(const char *s, arc_col_role *out);

typedef struct arc_column {
    char *name;
    arc_col_role role;
    char *source_type; /* Timestream scalar type: VARCHAR, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP... */
    ts_type type;      /* type in the archive batch / Parquet file */
} arc_column;

typedef struct arc_file {
    char *path;         /* relative to the database directory */
    uint64_t records;
    int64_t min_time, max_time; /* ns; meaningful when records > 0 */
    uint64_t size;
    char sha256[TS_SHA256_HEX_LEN];
} arc_file;

/* A time range [since, until) in ns; has_since/has_until false = unbounded
 * on that side. Both false = all time. */
typedef struct arc_time_window {
    bool has_since, has_until;
    int64_t since, until;
} arc_time_window;

/* True when w is bounded on either side (a window, not all time). */
bool arc_time_window_bounded(const arc_time_window *w);
/* "2024-01-20T06:00:00.000000000Z .. 2024-04-15T00:00:00.000000000Z", an
 * unbounded side as "-inf" / "+inf". outsz >= 2 * TS_TIME_STR_MAX + 8. */
void arc_time_window_text(const arc_time_window *w, char *out, size_t outsz);

typedef struct arc_table {
    char *name;
    size_t ncols;
    arc_column *cols;    /* in file order */
    char *time_unit;     /* "us" (time is MICROS) or "ns" (time is NANOS) */
    bool time_ns;        /* a time_ns column carries exact ns */
    uint64_t records;    /* sum of files */
    int64_t min_time, max_time;
    size_t nfiles, files_cap;
    arc_file *files;
    /* Optional "window" (export --since/--until): the time range whose rows
     * the files hold, every one of them as of the export; no file holds a
     * row outside it. Unbounded (the default) = the whole table. */
    arc_time_window window;
} arc_table;

typedef struct arc_manifest {
    int format_version;   /* ARC_FORMAT_VERSION */
    char *tool_version;
    char *tool_build;
    char *export_id;
    int64_t started_at, finished_at; /* ns */
    char *source_kind;    /* "timestream", "file", ... */
    char *source_region;  /* may be NULL */
    char *source_endpoint;/* may be NULL */
    char *source_database;/* the source's database name or file path */
    char *database;       /* archive database name (the directory) */
    char *compression;    /* "zstd", "snappy", "gzip", "none" */
    /* Optional (export --retain): the S3 Object Lock every object of this
     * export was written with; NULL in manifests without it (older ones). */
    char *lock_mode;      /* "GOVERNANCE" or "COMPLIANCE" */
    char *lock_until;     /* retain-until, "YYYY-MM-DDTHH:MM:SSZ" */
    size_t ntables, tables_cap;
    arc_table *tables;
} arc_manifest;

void arc_manifest_init(arc_manifest *m);
/* arc_manifest_free on an inited or zeroed manifest is fine. */
void arc_manifest_free(arc_manifest *m);

/* Sets a string field (copies; NULL clears). */
ts_status arc_set_str(char **field, const char *value);

/* Adds a table (copies the name); *out points into m (valid until the next add). */
ts_status arc_manifest_add_table(arc_manifest *m, const char *name, arc_table **out);
arc_table *arc_manifest_find_table(arc_manifest *m, const char *name);
void arc_manifest_remove_table(arc_manifest *m, const char *name);
ts_status arc_table_add_column(arc_table *t, const char *name, arc_col_role role,
                               const char *source_type, ts_type type);
/* Adds or replaces (same path) a file record; recomputes the table's totals. */
ts_status arc_table_put_file(arc_table *t, const arc_file *f);
const arc_file *arc_table_find_file(const arc_table *t, const char *path);
void arc_table_remove_file(arc_table *t, const char *path);
/* Sets t's window after an export that read `read` (unbounded = the whole
 * table) and may have kept earlier files of prev (the table's earlier record
 * with the same columns, or NULL when none of its files can be kept): read,
 * widened to prev's window when prev is given — one range, the hull, so a
 * gap between two windows is reported by verify rather than hidden. */
void arc_table_set_window(arc_table *t, const arc_table *prev, const arc_time_window *read);
/* Recomputes records/min/max from the files. */
void arc_table_update_totals(arc_table *t);

typedef struct arc_totals {
    uint64_t tables, files, records, bytes;
} arc_totals;
void arc_manifest_totals(const arc_manifest *m, arc_totals *t);

/* The JSON text: keys sorted, tables sorted by name, files by path, two-space
 * indentation, trailing newline, so equal manifests give equal bytes. */
ts_status arc_manifest_to_json(const arc_manifest *m, ts_buf *out, ts_error *err);

/* Parses and validates a manifest (format version, relative safe paths,
 * 64-hex SHA-256, counts adding up to the table and the totals, min <= max,
 * unique table names and paths). TS_ERR_UNSUPPORTED for another format
 * version, TS_ERR_CORRUPT for anything malformed, naming the field. On
 * failure *m is left freed. */
ts_status arc_manifest_parse(const char *text, size_t len, arc_manifest *m, ts_error *err);

#endif
