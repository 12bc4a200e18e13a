/* Archive format 1 layout: calendar months (UTC), partition paths and file
 * names, and the checks that keep names and manifest paths inside the archive. */
#ifndef ARC_LAYOUT_H
#define ARC_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_error.h"

#define ARC_FORMAT_VERSION 1
#define ARC_DEFAULT_PREFIX "timestream-archive/"
#define ARC_MANIFEST_NAME "export_metadata.json"
#define ARC_STATE_NAME ".export_state.json"
#define ARC_AUDIT_DIR "_audit"
#define ARC_PATH_MAX 1024
#define ARC_NAME_MAX 256

/* A UTC calendar month. */
typedef struct arc_month {
    int64_t year;
    unsigned month; /* 1..12 */
} arc_month;

/* An inclusive time window [lo, hi] in ns; inclusive so that the months at
 * the ends of the int64 range need no value past INT64_MAX. */
typedef struct arc_window {
    int64_t lo, hi;
} arc_window;

unsigned arc_days_in_month(int64_t year, unsigned month);
/* The month holding instant ns (floor; correct before 1970). */
arc_month arc_month_of(int64_t ns);
arc_month arc_month_next(arc_month m);
/* -1, 0, 1 */
int arc_month_cmp(arc_month a, arc_month b);
/* The month's window, clamped to the int64 range. */
arc_window arc_month_window(arc_month m);

/* Splits `w` at its middle: the UTC day, hour, minute or second boundary
 * nearest the midpoint when the window spans one (readable queries), else the
 * plain midpoint. false when w is a single instant and cannot be split. */
bool arc_window_split(arc_window w, arc_window *left, arc_window *right);

/* "<table>/year=YYYY/month=MM/<table>_<YYYYMMDD>_<YYYYMMDD>.parquet",
 * relative to the database directory. TS_ERR_USAGE if the table name is not
 * a safe path segment or does not fit. */
ts_status arc_partition_path(const char *table, arc_month m, char *out, size_t outsz,
                             ts_error *err);

/* A database or table name usable as one path segment: 1..255 bytes of
 * [A-Za-z0-9_.-], not "." or "..", not starting with '.' or '_' (the archive
 * keeps ".export_state.json" and "_audit" for itself). */
bool arc_name_ok(const char *name);

/* A relative path from a manifest: segments of [A-Za-z0-9_.=-], separated by
 * single '/', no empty, "." or ".." segment, not absolute, < ARC_PATH_MAX. */
bool arc_relpath_ok(const char *path);

/* Joins a storage prefix ("" or "a/b/" or "a/b") and parts with single '/'. */
ts_status arc_join(char *out, size_t outsz, ts_error *err, const char *prefix, const char *a,
                   const char *b);

#endif
