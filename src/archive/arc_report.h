/* `tsarchive report`: the decommissioning record. Collects every fact about an
 * archive — its manifests, its objects, its audit log and the chain's check,
 * the retention state — into one JSON model, which the renderers turn into
 * HTML (one self-contained page), Markdown, or print as it is. */
#ifndef ARC_REPORT_H
#define ARC_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_buf.h"
#include "core/ts_error.h"

typedef struct arc_storage arc_storage;

#define ARC_REPORT_VERSION 1
/* Caps on what one report reads: a manifest, one run's audit log. */
#define ARC_REPORT_MAX_MANIFEST ((size_t)256 << 20)

typedef struct arc_report_opts {
    const char *root;      /* as the user named it (directory or s3://bucket[/prefix]) */
    const char *prefix;    /* "timestream-archive/" (with trailing '/') */
    const char *region;    /* the S3 client's region, or NULL */
    int64_t now_ns;        /* "generated at" */
    /* The retention assessment (arc_retention_to_json's object), borrowed;
     * NULL: for S3 the report heads every archive object and shows the
     * per-object locks only; for a directory it says retention is not
     * enforceable there. */
    const json_t *retention;
    /* Why the assessment is missing (it failed), or NULL: the report says so. */
    const char *retention_error;
    /* When retention is NULL on S3, head at most this many objects for their
     * locks (0 = no limit). */
    size_t max_heads;
} arc_report_opts;

/* Reads the archive under o->prefix in `s` (borrowed) and builds the model
 * (a new JSON object in *out, owned by the caller). Damage found on the way —
 * an unreadable manifest, a broken audit chain, a failed verify run — is
 * recorded in the model, not returned: the report says it. Returns
 * TS_ERR_NOT_FOUND when nothing is stored under the prefix, TS_ERR_NETWORK /
 * _AUTH / _REMOTE / _IO when the archive cannot be read. */
ts_status arc_report_collect(arc_storage *s, const arc_report_opts *o, json_t **out,
                             ts_error *err);

/* The audit log alone, for `tsarchive audit show`: {"chain": {ok, runs,
 * entries, head | error, broken_object, broken_line}, "runs": [one summary
 * per run in chain order: object, command, run_id, started, ended, outcome,
 * identity, arguments, counts, events, resources, ...]} (new reference in
 * *out). An archive without an audit log gives an empty "runs". */
ts_status arc_report_audit(arc_storage *s, const char *prefix, json_t **out, ts_error *err);
/* True when the model records a problem: a manifest that is missing or
 * invalid, a manifest whose SHA-256 differs from the one its export logged,
 * a broken audit chain, or a latest verify run that did not pass. */
bool arc_report_has_problems(const json_t *model);

/* Renderers: append the document to out. Every string from the model is
 * escaped for the target format. */
ts_status arc_report_json(const json_t *model, ts_buf *out, ts_error *err);
ts_status arc_report_html(const json_t *model, ts_buf *out, ts_error *err);
ts_status arc_report_md(const json_t *model, ts_buf *out, ts_error *err);

/* ---- helpers shared by the renderers ---- */

/* Appends s with & < > " ' as HTML character references. */
ts_status arc_report_html_escape(ts_buf *out, const char *s);
/* Appends s for a Markdown table cell or paragraph: markup characters
 * backslash-escaped, < > & as character references, newlines as spaces. */
ts_status arc_report_md_escape(ts_buf *out, const char *s);
/* "1,234,567" */
void arc_report_group(uint64_t v, char *out, size_t outsz);
/* "50.8 kB" style (decimal units) and the exact byte count. */
void arc_report_bytes(uint64_t v, char *out, size_t outsz);

#endif
