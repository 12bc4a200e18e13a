/* The report as Markdown (GitHub-flavoured tables): the same facts as the
 * HTML page, per-month counts as a table instead of a chart. Every string
 * from the model is escaped. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arc_report.h"
#include "arc_report_int.h"

/* A hash, key or path in a code span; a string with characters that could
 * break out of the span is written as escaped text instead. */
static void code(rw *w, const char *s)
{
    if (!s) {
        rw_raw(w, "*none*");
        return;
    }
    for (const char *p = s; *p; p++)
        if (*p == '`' || *p == '|' || *p == '\n' || *p == '\r' || *p == '<' || *p == '>' ||
            *p == '&' || *p == '\\') {
            rw_esc(w, s);
            return;
        }
    rw_raw(w, "`");
    rw_raw(w, s);
    rw_raw(w, "`");
}

/* "N word" with the word's plural when N is not 1. */
static void kv_inline(rw *w, const json_t *o)
{
    const char *k;
    const json_t *v;
    bool first = true;
    json_object_foreach((json_t *)o, k, v) {
        if (!first) rw_raw(w, ", ");
        first = false;
        rw_esc(w, k);
        rw_raw(w, "=");
        if (json_is_string(v)) {
            rw_esc(w, json_string_value(v));
        } else {
            char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            rw_esc(w, t ? t : "?");
            free(t);
        }
    }
}

static void json_value_md(rw *w, const json_t *v, int depth)
{
    if (json_is_object(v)) {
        const char *k;
        const json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            rw_raw(w, "\n");
            for (int i = 0; i < depth; i++) rw_raw(w, "  ");
            rw_raw(w, "- **");
            rw_esc(w, k);
            rw_raw(w, "**: ");
            json_value_md(w, x, depth + 1);
        }
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *e;
        if (!json_array_size(v)) rw_raw(w, "*none*");
        json_array_foreach(v, i, e) {
            if (json_is_object(e) || json_is_array(e)) {
                rw_raw(w, "\n");
                for (int d = 0; d < depth; d++) rw_raw(w, "  ");
                rw_escf(w, "- %zu:", i + 1);
                json_value_md(w, e, depth + 1);
            } else {
                if (i) rw_raw(w, ", ");
                json_value_md(w, e, depth + 1);
            }
        }
    } else if (json_is_string(v)) {
        rw_esc(w, json_string_value(v));
    } else if (json_is_null(v)) {
        rw_raw(w, "*none*");
    } else {
        char *t = json_dumps(v, JSON_ENCODE_ANY);
        rw_esc(w, t ? t : "?");
        free(t);
    }
}

static const char *verdict_text(const char *v)
{
    if (!v) return "no verdict";
    if (strcmp(v, "holds") == 0) return "holds";
    if (strcmp(v, "does_not_hold") == 0) return "does not hold";
    if (strcmp(v, "cannot_hold") == 0) return "cannot hold";
    return v;
}

static void assessment_md(rw *w, const json_t *r, const json_t *a)
{
    bool s3 = rs(r, "kind") && strcmp(rs(r, "kind"), "s3") == 0;
    rw_raw(w, "| | |\n|---|---|\n| policy | ");
    rw_escf(w, "keep every archive object %lld years from its export",
         (long long)json_integer_value(json_object_get(a, "years")));
    rw_raw(w, " |\n| verdict | **");
    rw_esc(w, verdict_text(rs(a, "verdict")));
    rw_raw(w, "** |\n| assessed at | ");
    rw_field(w, a, "assessed_at", "?");
    rw_raw(w, " |\n");
    const json_t *b = json_object_get(a, "bucket_settings");
    if (s3 && json_is_object(b)) {
        const json_t *ol = json_object_get(b, "object_lock");
        rw_raw(w, "| bucket versioning | ");
        rw_field(w, b, "versioning", "never enabled");
        rw_raw(w, " (MFA delete: ");
        rw_yesno(w, b, "mfa_delete");
        rw_raw(w, ") |\n| Object Lock | ");
        if (rb(ol, "enabled")) {
            rw_raw(w, "enabled; default retention ");
            if (rs(ol, "default_mode")) {
                rw_esc(w, rs(ol, "default_mode"));
                rw_raw(w, ", days ");
                rw_optnum(w, ol, "default_days");
                rw_raw(w, ", years ");
                rw_optnum(w, ol, "default_years");
            } else {
                rw_raw(w, "none");
            }
        } else {
            rw_raw(w, "**not enabled** on the bucket");
        }
        rw_raw(w, " |\n| lifecycle | ");
        rw_raw(w, rb(b, "lifecycle_configuration") ? "configured: " : "**no configuration**: ");
        rw_escf(w, "%zu rule(s) touch the archive prefix, %lld other rule(s)",
             json_array_size(json_object_get(b, "lifecycle_rules")),
             (long long)json_integer_value(json_object_get(b, "other_lifecycle_rules")));
        rw_raw(w, " |\n");
    }
    rw_raw(w, "| archive objects | ");
    rw_num(w, a, "objects_held");
    rw_raw(w, " held of ");
    rw_num(w, a, "objects_total");
    rw_raw(w, "; ");
    rw_num(w, a, "objects_exposed");
    rw_raw(w, " could be deleted or overwritten before their date |\n| latest lock until | ");
    rw_field(w, a, "latest_lock_until", "no object is locked");
    rw_raw(w, " |\n");
    if (rs(a, "unreadable") && *rs(a, "unreadable")) {
        rw_raw(w, "| could not read | ");
        rw_esc(w, rs(a, "unreadable"));
        rw_raw(w, " |\n");
    }
    rw_raw(w, "\n| rule | verdict | required | why |\n|---|---|---|---|\n");
    size_t i;
    const json_t *ru;
    json_array_foreach(json_object_get(a, "rules"), i, ru) {
        rw_raw(w, "| ");
        rw_esc(w, rs(ru, "rule"));
        rw_raw(w, " | ");
        rw_esc(w, verdict_text(rs(ru, "verdict")));
        rw_raw(w, " | ");
        rw_yesno(w, ru, "required");
        rw_raw(w, " | ");
        rw_esc(w, rs(ru, "why"));
        rw_raw(w, " |\n");
    }
    rw_raw(w, "\n");
    const json_t *lcs = b ? json_object_get(b, "lifecycle_rules") : NULL;
    if (json_array_size(lcs)) {
        rw_raw(w, "| lifecycle rule | enabled | prefix | transitions | expiration (days) | "
               "noncurrent expiration (days) |\n|---|---|---|---|---|---|\n");
        const json_t *lc;
        json_array_foreach(lcs, i, lc) {
            rw_raw(w, "| ");
            code(w, rs(lc, "id"));
            rw_raw(w, " | ");
            rw_yesno(w, lc, "enabled");
            rw_raw(w, " | ");
            code(w, rs(lc, "prefix"));
            rw_raw(w, " | ");
            size_t k;
            const json_t *t;
            json_array_foreach(json_object_get(lc, "transitions"), k, t) {
                if (k) rw_raw(w, "; ");
                rw_esc(w, rs(t, "storage_class"));
                if (json_is_integer(json_object_get(t, "days"))) {
                    rw_raw(w, " after ");
                    rw_optnum(w, t, "days");
                    rw_raw(w, " days");
                } else if (rs(t, "date")) {
                    rw_raw(w, " on ");
                    rw_esc(w, rs(t, "date"));
                }
                if (rb(t, "noncurrent")) rw_raw(w, " (noncurrent versions)");
            }
            rw_raw(w, " | ");
            if (rs(lc, "expiration_date"))
                rw_esc(w, rs(lc, "expiration_date"));
            else
                rw_optnum(w, lc, "expiration_days");
            rw_raw(w, " | ");
            rw_optnum(w, lc, "noncurrent_expiration_days");
            rw_raw(w, " |\n");
        }
        rw_raw(w, "\n");
    }
    const json_t *objs = json_object_get(a, "objects");
    if (json_array_size(objs)) {
        rw_raw(w, "| object | storage class | lock | locked until | required until | held |\n"
               "|---|---|---|---|---|---|\n");
        const json_t *o;
        json_array_foreach(objs, i, o) {
            rw_raw(w, "| ");
            code(w, rs(o, "key"));
            if (json_is_false(json_object_get(o, "present"))) rw_raw(w, " **(absent)**");
            rw_raw(w, " | ");
            rw_field(w, o, "storage_class", "-");
            rw_raw(w, " | ");
            rw_field(w, o, "lock_mode", "none");
            if (rb(o, "legal_hold")) rw_raw(w, ", legal hold");
            rw_raw(w, " | ");
            rw_field(w, o, "lock_until", "-");
            rw_raw(w, " | ");
            rw_field(w, o, "required_until", "-");
            rw_raw(w, " | ");
            rw_yesno(w, o, "held");
            rw_raw(w, " |\n");
        }
        rw_raw(w, "\n");
    }
}

static void summary(rw *w, const json_t *m)
{
    const json_t *tot = json_object_get(m, "totals");
    const json_t *st = json_object_get(m, "storage");
    const json_t *lv = json_object_get(m, "latest_verify");
    const json_t *ch = json_object_get(json_object_get(m, "audit"), "chain");
    const json_t *ret = json_object_get(m, "retention");
    rw_raw(w, "## Summary\n\n");
    rw_raw(w, arc_report_has_problems(m)
               ? "**This record shows problems** (listed below): the archive cannot be vouched "
                 "for as it stands.\n\n"
               : "No problem is recorded.\n\n");
    rw_raw(w, "| | |\n|---|---|\n| Archived | ");
    rw_numw(w, tot, "records", "record", "records");
    rw_raw(w, " in ");
    rw_numw(w, tot, "tables", "table", "tables");
    rw_raw(w, " of ");
    rw_numw(w, tot, "databases", "database", "databases");
    rw_raw(w, "; ");
    rw_num(w, tot, "files");
    rw_raw(w, " Parquet files, ");
    rw_bytes(w, ru(tot, "bytes"));
    rw_raw(w, " |\n| Stored in | ");
    if (rs(st, "bucket")) {
        rw_raw(w, "S3 bucket ");
        code(w, rs(st, "bucket"));
        rw_raw(w, ", prefix ");
        code(w, rs(st, "key_prefix"));
    } else {
        rw_raw(w, "local directory ");
        code(w, rs(st, "path"));
    }
    rw_raw(w, " |\n| Latest verify | ");
    if (!rb(lv, "present")) {
        rw_raw(w, "**No verify run yet** (none is recorded in the audit log)");
    } else {
        rw_raw(w, rb(lv, "passed") ? "passed" : "**did not pass**");
        rw_raw(w, " — ");
        rw_field(w, lv, "started", "time unknown");
        rw_raw(w, ", outcome ");
        rw_field(w, lv, "outcome", "none (the run did not finish)");
        rw_raw(w, ", ");
        rw_num(w, json_object_get(lv, "counts"), "files_checked");
        rw_raw(w, " files, ");
        rw_num(w, json_object_get(lv, "counts"), "rows_decoded");
        rw_raw(w, " rows decoded, ");
        rw_num(w, json_object_get(lv, "counts"), "errors");
        rw_raw(w, " errors");
    }
    rw_raw(w, " |\n| Audit chain | ");
    if (rb(ch, "ok") && ru(ch, "objects")) {
        rw_raw(w, "intact: ");
        rw_numw(w, ch, "runs", "run", "runs");
        rw_raw(w, ", ");
        rw_numw(w, ch, "entries", "entry", "entries");
        rw_raw(w, "; head ");
        code(w, rs(ch, "head"));
    } else if (rb(ch, "ok")) {
        rw_raw(w, "**no audit log**");
    } else {
        rw_raw(w, "**BROKEN**");
        if (rs(ch, "broken_object")) {
            rw_raw(w, " at ");
            code(w, rs(ch, "broken_object"));
            if (json_object_get(ch, "broken_line")) {
                rw_raw(w, " line ");
                rw_num(w, ch, "broken_line");
            }
        }
        rw_raw(w, ": ");
        rw_esc(w, rs(ch, "error"));
    }
    rw_raw(w, " |\n| Retention | ");
    const char *kind = rs(ret, "kind");
    if (kind && strcmp(kind, "local") == 0) {
        rw_raw(w, "**not enforceable** on a local directory");
    } else if (rs(ret, "source") && strcmp(rs(ret, "source"), "assessment") == 0) {
        const json_t *a = json_object_get(ret, "assessment");
        rw_raw(w, "**");
        rw_esc(w, verdict_text(rs(a, "verdict")));
        rw_raw(w, "**");
        rw_escf(w, " (%lld-year policy): ", (long long)json_integer_value(json_object_get(a, "years")));
        rw_num(w, a, "objects_held");
        rw_raw(w, " of ");
        rw_num(w, a, "objects_total");
        rw_raw(w, " archive objects held until their date");
    } else {
        rw_num(w, ret, "locked");
        rw_raw(w, " of ");
        rw_num(w, ret, "objects_checked");
        rw_raw(w, " archive objects under an Object Lock; bucket settings not assessed");
    }
    rw_raw(w, " |\n\n");
    const json_t *notes = json_object_get(m, "notes");
    if (json_array_size(notes)) {
        rw_raw(w, "### Findings of this report\n\n");
        size_t i;
        const json_t *n;
        json_array_foreach(notes, i, n) {
            rw_raw(w, "- ");
            rw_esc(w, rs(n, "level"));
            rw_raw(w, ": ");
            rw_esc(w, rs(n, "text"));
            rw_raw(w, "\n");
        }
        rw_raw(w, "\n");
    }
}

static void archived(rw *w, const json_t *m)
{
    rw_raw(w, "## What was archived\n\n");
    size_t i, j;
    const json_t *db, *t;
    if (!json_array_size(json_object_get(m, "databases")))
        rw_raw(w, "*No database is stored in this archive.*\n\n");
    json_array_foreach(json_object_get(m, "databases"), i, db) {
        rw_raw(w, "### Database ");
        rw_esc(w, rs(db, "name"));
        rw_raw(w, "\n\n");
        const json_t *mj = json_object_get(db, "manifest");
        if (!rb(mj, "present") || !rb(mj, "valid")) {
            rw_raw(w, rb(mj, "present") ? "**Its manifest is unreadable**" : "**Its manifest is missing**");
            if (rs(mj, "error")) {
                rw_raw(w, ": ");
                rw_esc(w, rs(mj, "error"));
            }
            rw_raw(w, ". Nothing in this database can be vouched for.\n\n");
            continue;
        }
        const json_t *src = json_object_get(db, "source"), *tt = json_object_get(db, "totals");
        rw_raw(w, "| | |\n|---|---|\n| source | ");
        rw_field(w, src, "kind", "unknown");
        rw_raw(w, " ");
        code(w, rs(src, "database"));
        if (rs(src, "region")) {
            rw_raw(w, ", region ");
            rw_esc(w, rs(src, "region"));
        }
        if (rs(src, "endpoint")) {
            rw_raw(w, ", endpoint ");
            code(w, rs(src, "endpoint"));
        }
        rw_raw(w, " |\n| export | id ");
        code(w, rs(mj, "export_id"));
        rw_raw(w, ", ");
        rw_field(w, mj, "started_at", "?");
        rw_raw(w, " to ");
        rw_field(w, mj, "finished_at", "?");
        rw_raw(w, " |\n| compression | ");
        rw_esc(w, rs(mj, "compression"));
        rw_raw(w, " |\n| totals | ");
        rw_numw(w, tt, "records", "record", "records");
        rw_raw(w, ", ");
        rw_numw(w, tt, "tables", "table", "tables");
        rw_raw(w, ", ");
        rw_numw(w, tt, "files", "file", "files");
        rw_raw(w, ", ");
        rw_bytes(w, ru(tt, "bytes"));
        rw_raw(w, " |\n\n");
        json_array_foreach(json_object_get(db, "tables"), j, t) {
            rw_raw(w, "#### Table ");
            rw_esc(w, rs(db, "name"));
            rw_raw(w, ".");
            rw_esc(w, rs(t, "name"));
            rw_raw(w, "\n\n| | |\n|---|---|\n| records | ");
            rw_num(w, t, "records");
            rw_raw(w, " |\n| first record | ");
            rw_field(w, t, "min_time", "none (empty table)");
            rw_raw(w, " |\n| last record | ");
            rw_field(w, t, "max_time", "none (empty table)");
            rw_raw(w, " |\n| files | ");
            rw_escf(w, "%zu, ", json_array_size(json_object_get(t, "files")));
            rw_bytes(w, ru(t, "bytes"));
            rw_raw(w, " |\n| time | ");
            rw_escf(w, "%s%s", rs(t, "time_unit") && strcmp(rs(t, "time_unit"), "ns") == 0
                                 ? "TIMESTAMP(NANOS)" : "TIMESTAMP(MICROS)",
                 rb(t, "time_ns") ? " plus exact nanoseconds in time_ns" : "");
            rw_raw(w, " |\n\n| column | role | archive type | source type |\n|---|---|---|---|\n");
            size_t k;
            const json_t *c;
            json_array_foreach(json_object_get(t, "columns"), k, c) {
                rw_raw(w, "| ");
                rw_esc(w, rs(c, "name"));
                rw_raw(w, " | ");
                rw_esc(w, rs(c, "role"));
                rw_raw(w, " | ");
                rw_esc(w, rs(c, "type"));
                rw_raw(w, " | ");
                rw_esc(w, rs(c, "source_type"));
                rw_raw(w, " |\n");
            }
            rw_raw(w, "\nRecords per month (UTC):\n\n| month | records |\n|---|---:|\n");
            json_array_foreach(json_object_get(t, "months"), k, c) {
                rw_raw(w, "| ");
                rw_esc(w, rs(c, "month"));
                rw_raw(w, " | ");
                rw_num(w, c, "records");
                rw_raw(w, " |\n");
            }
            rw_raw(w, "\n| file | records | first | last | bytes |\n|---|---:|---|---|---:|\n");
            json_array_foreach(json_object_get(t, "files"), k, c) {
                rw_raw(w, "| ");
                code(w, rs(c, "path"));
                rw_raw(w, " | ");
                rw_num(w, c, "records");
                rw_raw(w, " | ");
                rw_field(w, c, "min_time", "-");
                rw_raw(w, " | ");
                rw_field(w, c, "max_time", "-");
                rw_raw(w, " | ");
                rw_num(w, c, "size");
                rw_raw(w, " |\n");
            }
            rw_raw(w, "\n");
        }
    }
}

static void where(rw *w, const json_t *m)
{
    const json_t *st = json_object_get(m, "storage");
    rw_raw(w, "## Where it is stored\n\n| | |\n|---|---|\n");
    if (rs(st, "bucket")) {
        rw_raw(w, "| storage | Amazon S3 |\n| bucket | ");
        code(w, rs(st, "bucket"));
        rw_raw(w, " |\n| prefix | ");
        code(w, rs(st, "key_prefix"));
        rw_raw(w, " |\n| region | ");
        rw_field(w, st, "region", "not configured");
        rw_raw(w, " |\n");
    } else {
        rw_raw(w, "| storage | local directory |\n| path | ");
        rw_escf(w, "%s/%s", rs(st, "path") ? rs(st, "path") : "", rs(st, "archive_prefix") ? rs(st, "archive_prefix") : "");
        rw_raw(w, " |\n");
    }
    rw_raw(w, "| objects | ");
    rw_num(w, st, "objects");
    rw_raw(w, ", ");
    rw_bytes(w, ru(st, "bytes"));
    rw_raw(w, " |\n\n| kind | objects | bytes |\n|---|---:|---:|\n");
    static const char *const kinds[][2] = {{"data_files", "Parquet data files"},
                                           {"manifests", "manifests (export\\_metadata.json)"},
                                           {"audit_log", "audit log (\\_audit/)"},
                                           {"other", "other objects"}};
    for (size_t i = 0; i < 4; i++) {
        const json_t *k = json_object_get(st, kinds[i][0]);
        rw_raw(w, "| ");
        rw_raw(w, kinds[i][1]);
        rw_raw(w, " | ");
        rw_num(w, k, "objects");
        rw_raw(w, " | ");
        rw_num(w, k, "bytes");
        rw_raw(w, " |\n");
    }
    rw_raw(w, "\n");
}

static void integrity(rw *w, const json_t *m)
{
    rw_raw(w, "## Integrity proof\n\n### Manifests\n\n| database | manifest | SHA-256 | as logged by "
           "its export |\n|---|---|---|---|\n");
    size_t i;
    const json_t *db;
    json_array_foreach(json_object_get(m, "databases"), i, db) {
        const json_t *mj = json_object_get(db, "manifest");
        rw_raw(w, "| ");
        rw_esc(w, rs(db, "name"));
        rw_raw(w, " | ");
        code(w, rs(mj, "key"));
        rw_raw(w, " | ");
        code(w, rs(mj, "sha256"));
        rw_raw(w, " | ");
        const json_t *match = json_object_get(mj, "matches_log");
        if (json_is_true(match)) {
            rw_raw(w, "matches (");
            code(w, rs(mj, "logged_by"));
            rw_raw(w, ")");
        } else if (json_is_false(match)) {
            rw_raw(w, "**differs**: logged ");
            code(w, rs(mj, "logged_sha256"));
        } else {
            rw_raw(w, "*no write-manifest entry in the audit log*");
        }
        rw_raw(w, " |\n");
    }
    rw_raw(w, "\n### SHA-256 of every data file\n\n");
    json_array_foreach(json_object_get(m, "databases"), i, db) {
        rw_raw(w, "Database ");
        rw_esc(w, rs(db, "name"));
        rw_raw(w, " (as listed in its manifest):\n\n| file | bytes | SHA-256 |\n|---|---:|---|\n");
        size_t j, k;
        const json_t *t, *f;
        json_array_foreach(json_object_get(db, "tables"), j, t) {
            json_array_foreach(json_object_get(t, "files"), k, f) {
                rw_raw(w, "| ");
                code(w, rs(f, "path"));
                rw_raw(w, " | ");
                rw_num(w, f, "size");
                rw_raw(w, " | ");
                code(w, rs(f, "sha256"));
                rw_raw(w, " |\n");
            }
        }
        rw_raw(w, "\n");
    }
    const json_t *lv = json_object_get(m, "latest_verify");
    rw_raw(w, "### Latest verify run\n\n");
    if (!rb(lv, "present")) {
        rw_raw(w, "**No verify run yet.** The audit log records no `tsarchive verify` of this "
               "archive.\n\n");
    } else {
        const json_t *c = json_object_get(lv, "counts");
        rw_raw(w, "| | |\n|---|---|\n| result | ");
        rw_raw(w, rb(lv, "passed") ? "passed" : "**did not pass**");
        rw_raw(w, " (outcome ");
        rw_field(w, lv, "outcome", "none: the run did not finish");
        if (json_object_get(c, "exit_code")) {
            rw_raw(w, ", exit code ");
            rw_num(w, c, "exit_code");
        }
        rw_raw(w, ") |\n| when | ");
        rw_field(w, lv, "started", "?");
        rw_raw(w, " to ");
        rw_field(w, lv, "ended", "no end entry");
        rw_raw(w, " |\n| scope | ");
        rw_esc(w, rs(lv, "scope"));
        const json_t *dbs = json_object_get(lv, "databases");
        if (json_array_size(dbs)) {
            rw_raw(w, "; databases ");
            json_value_md(w, dbs, 0);
        } else {
            rw_raw(w, "; every database");
        }
        if (rs(lv, "against")) {
            rw_raw(w, "; compared with ");
            rw_esc(w, rs(lv, "against"));
        }
        rw_raw(w, " |\n| checked | ");
        rw_numw(w, c, "files_checked", "file", "files");
        rw_raw(w, ", ");
        rw_bytes(w, ru(c, "bytes_checked"));
        rw_raw(w, ", ");
        rw_num(w, c, "rows_decoded");
        rw_raw(w, " rows decoded |\n| findings | ");
        rw_numw(w, c, "errors", "error", "errors");
        rw_raw(w, ", ");
        rw_numw(w, c, "warnings", "warning", "warnings");
        if (json_object_size(json_object_get(lv, "findings"))) {
            rw_raw(w, " (");
            kv_inline(w, json_object_get(lv, "findings"));
            rw_raw(w, ")");
        }
        if (rs(lv, "error")) {
            rw_raw(w, "; error: ");
            rw_esc(w, rs(lv, "error"));
        }
        rw_raw(w, " |\n| audit object | ");
        code(w, rs(lv, "object"));
        rw_raw(w, " |\n\n");
        if (rb(lv, "export_after"))
            rw_raw(w, "An export ran after this verify run; it is not covered by it.\n\n");
    }
    const json_t *ch = json_object_get(json_object_get(m, "audit"), "chain");
    rw_raw(w, "### Audit chain\n\n| | |\n|---|---|\n| state | ");
    if (rb(ch, "ok") && ru(ch, "objects"))
        rw_raw(w, "intact (the check of `tsarchive audit verify` passes)");
    else if (rb(ch, "ok"))
        rw_raw(w, "**no audit log**");
    else {
        rw_raw(w, "**BROKEN**: ");
        rw_esc(w, rs(ch, "error"));
    }
    rw_raw(w, " |\n");
    if (rb(ch, "ok")) {
        rw_raw(w, "| runs | ");
        rw_num(w, ch, "runs");
        rw_raw(w, " |\n| entries | ");
        rw_num(w, ch, "entries");
        rw_raw(w, " |\n| head hash | ");
        code(w, rs(ch, "head"));
        rw_raw(w, " |\n");
    } else {
        if (rs(ch, "broken_object")) {
            rw_raw(w, "| where | ");
            code(w, rs(ch, "broken_object"));
            if (json_object_get(ch, "broken_line")) {
                rw_raw(w, ", line ");
                rw_num(w, ch, "broken_line");
            }
            rw_raw(w, " |\n");
        }
        rw_raw(w, "| head hash | *none: a broken chain has no trustworthy head* |\n");
    }
    rw_raw(w, "| log objects | ");
    rw_num(w, ch, "objects");
    rw_raw(w, " |\n\n");
}

static void retention(rw *w, const json_t *m)
{
    const json_t *r = json_object_get(m, "retention");
    rw_raw(w, "## Retention\n\n");
    const char *kind = rs(r, "kind");
    if (kind && strcmp(kind, "local") == 0) {
        rw_esc(w, rs(r, "statement"));
        rw_raw(w, "\n\n");
    }
    if (rs(r, "assessment_error")) {
        rw_raw(w, "**The retention settings could not be assessed:** ");
        rw_esc(w, rs(r, "assessment_error"));
        rw_raw(w, "\n\n");
    }
    if (kind && strcmp(kind, "local") == 0 && !json_object_get(r, "assessment")) return;
    if (rs(r, "source") && strcmp(rs(r, "source"), "assessment") == 0) {
        assessment_md(w, r, json_object_get(r, "assessment"));
        return;
    }
    rw_esc(w, rs(r, "statement"));
    rw_raw(w, "\n\n| | |\n|---|---|\n| objects checked | ");
    rw_num(w, r, "objects_checked");
    rw_raw(w, " |\n| locked now | ");
    rw_num(w, r, "locked");
    if (json_object_size(json_object_get(r, "modes"))) {
        rw_raw(w, " (");
        kv_inline(w, json_object_get(r, "modes"));
        rw_raw(w, ")");
    }
    rw_raw(w, " |\n| lock expired | ");
    rw_num(w, r, "lock_expired");
    rw_raw(w, " |\n| never locked | ");
    rw_num(w, r, "unlocked");
    rw_raw(w, " |\n| locked until | ");
    rw_field(w, r, "earliest_until", "-");
    rw_raw(w, " (earliest) to ");
    rw_field(w, r, "latest_until", "-");
    rw_raw(w, " (latest) |\n");
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(r, "unlocked_examples"), i, e) {
        rw_raw(w, "| unlocked | ");
        code(w, json_string_value(e));
        rw_raw(w, " |\n");
    }
    rw_raw(w, "\n");
}

static void history(rw *w, const json_t *m)
{
    rw_raw(w, "## History (from the audit log)\n\n");
    const json_t *hist = json_object_get(m, "history");
    if (!json_array_size(hist)) {
        rw_raw(w, "*The audit log records no run.*\n\n");
        return;
    }
    rw_raw(w, "| started (UTC) | command | who | what | outcome | counts |\n"
           "|---|---|---|---|---|---|\n");
    size_t i, nres = 0;
    const json_t *r;
    json_array_foreach(hist, i, r) {
        nres += json_array_size(json_object_get(r, "resources"));
        rw_raw(w, "| ");
        rw_field(w, r, "started", "?");
        rw_raw(w, " | ");
        rw_field(w, r, "command", "?");
        rw_raw(w, " | ");
        const json_t *id = json_object_get(r, "identity");
        if (!json_is_object(id))
            rw_raw(w, "*no identity recorded*");
        else if (rs(id, "arn") && *rs(id, "arn"))
            rw_esc(w, rs(id, "arn"));
        else {
            const char *cs = rs(id, "credentials");
            rw_escf(w, "credentials %s", cs && *cs ? cs : "unknown");
            if (rs(id, "profile") && *rs(id, "profile")) rw_escf(w, ", profile %s", rs(id, "profile"));
            if (rs(id, "region") && *rs(id, "region")) rw_escf(w, ", region %s", rs(id, "region"));
            rw_raw(w, " *(no caller ARN)*");
        }
        rw_raw(w, " | ");
        static const char *const wh[] = {"source", "target", "root"};
        bool any = false;
        for (size_t k = 0; k < 3; k++)
            if (rs(r, wh[k])) {
                if (any) rw_raw(w, "; ");
                rw_escf(w, "%s: %s", wh[k], rs(r, wh[k]));
                any = true;
            }
        if (json_object_size(json_object_get(r, "arguments"))) {
            if (any) rw_raw(w, "; ");
            rw_raw(w, "arguments: ");
            kv_inline(w, json_object_get(r, "arguments"));
        }
        rw_raw(w, " | ");
        rw_field(w, r, "outcome", "no end entry (unfinished)");
        if (rs(r, "error")) {
            rw_raw(w, ": ");
            rw_esc(w, rs(r, "error"));
        }
        rw_raw(w, " | ");
        kv_inline(w, json_object_get(r, "counts"));
        if (ru(r, "unreadable_lines"))
            rw_escf(w, "; %llu unreadable lines", (unsigned long long)ru(r, "unreadable_lines"));
        rw_raw(w, " |\n");
    }
    rw_raw(w, "\n### Deleted cloud resources\n\n");
    if (!nres) {
        rw_raw(w, "*The audit log records no deleted resource (no cleanup run with deletions).*\n\n");
        return;
    }
    rw_raw(w, "| when | run | kind | name | ARN | outcome |\n|---|---|---|---|---|---|\n");
    json_array_foreach(hist, i, r) {
        size_t k;
        const json_t *d;
        json_array_foreach(json_object_get(r, "resources"), k, d) {
            rw_raw(w, "| ");
            rw_field(w, d, "when", "?");
            rw_raw(w, " | ");
            rw_field(w, r, "command", "?");
            rw_raw(w, " | ");
            rw_field(w, d, "kind", "-");
            rw_raw(w, " | ");
            rw_esc(w, rs(d, "name"));
            rw_raw(w, " | ");
            rw_field(w, d, "arn", "none recorded");
            rw_raw(w, " | ");
            rw_field(w, d, "outcome", rs(d, "event") ? rs(d, "event") : "-");
            if (rs(d, "error")) {
                rw_raw(w, ": ");
                rw_esc(w, rs(d, "error"));
            }
            rw_raw(w, " |\n");
        }
    }
    rw_raw(w, "\n");
}

ts_status arc_report_md(const json_t *m, ts_buf *out, ts_error *err)
{
    rw w = {.b = out, .st = TS_OK, .esc = arc_report_md_escape, .em_open = "*", .em_close = "*"};
    const json_t *tool = json_object_get(m, "tool");
    rw_raw(&w, "# Decommissioning record\n\nArchive ");
    code(&w, rs(m, "root"));
    rw_raw(&w, " (prefix ");
    code(&w, rs(m, "prefix"));
    rw_raw(&w, "), generated ");
    rw_esc(&w, rs(m, "generated_at"));
    rw_escf(&w, " by tsarchive %s (build %s)", rs(tool, "version") ? rs(tool, "version") : "?",
         rs(tool, "build") ? rs(tool, "build") : "?");
    rw_raw(&w, ". Every figure below is read from the archive and its audit log.\n\n");
    summary(&w, m);
    archived(&w, m);
    where(&w, m);
    integrity(&w, m);
    retention(&w, m);
    history(&w, m);
    if (w.st != TS_OK) return ts_err_set(err, w.st, "the Markdown report does not fit in memory");
    return TS_OK;
}
