/* The report as Markdown (GitHub-flavoured tables): the same facts as the
 * HTML page, per-month counts as a table instead of a chart. Every string
 * from the model is escaped. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arc_report.h"
#include "arc_report_int.h"

static void raw(rw *w, const char *s)
{
    if (w->st == TS_OK && s) w->st = ts_buf_append_str(w->b, s);
}

static void esc(rw *w, const char *s)
{
    if (w->st == TS_OK && s) w->st = arc_report_md_escape(w->b, s);
}

static void escf(rw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void escf(rw *w, const char *fmt, ...)
{
    char m[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    esc(w, m);
}

static void field(rw *w, const json_t *o, const char *k, const char *absent)
{
    const char *s = rs(o, k);
    if (s) {
        esc(w, s);
    } else if (strcmp(absent, "-") == 0) {
        raw(w, "-");
    } else {
        raw(w, "*");
        esc(w, absent);
        raw(w, "*");
    }
}

/* A hash, key or path in a code span; a string with characters that could
 * break out of the span is written as escaped text instead. */
static void code(rw *w, const char *s)
{
    if (!s) {
        raw(w, "*none*");
        return;
    }
    for (const char *p = s; *p; p++)
        if (*p == '`' || *p == '|' || *p == '\n' || *p == '\r' || *p == '<' || *p == '>' ||
            *p == '&' || *p == '\\') {
            esc(w, s);
            return;
        }
    raw(w, "`");
    raw(w, s);
    raw(w, "`");
}

static void num(rw *w, const json_t *o, const char *k)
{
    char b[40];
    arc_report_group(ru(o, k), b, sizeof b);
    raw(w, b);
}

/* "N word" with the word's plural when N is not 1. */
static void numw(rw *w, const json_t *o, const char *k, const char *one, const char *many)
{
    num(w, o, k);
    raw(w, " ");
    raw(w, ru(o, k) == 1 ? one : many);
}

static void bytes(rw *w, uint64_t v)
{
    char b[40], g[40];
    arc_report_bytes(v, b, sizeof b);
    arc_report_group(v, g, sizeof g);
    if (v < 1000)
        esc(w, b);
    else
        escf(w, "%s (%s bytes)", b, g);
}

static void kv_inline(rw *w, const json_t *o)
{
    const char *k;
    const json_t *v;
    bool first = true;
    json_object_foreach((json_t *)o, k, v) {
        if (!first) raw(w, ", ");
        first = false;
        esc(w, k);
        raw(w, "=");
        if (json_is_string(v)) {
            esc(w, json_string_value(v));
        } else {
            char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            esc(w, t ? t : "?");
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
            raw(w, "\n");
            for (int i = 0; i < depth; i++) raw(w, "  ");
            raw(w, "- **");
            esc(w, k);
            raw(w, "**: ");
            json_value_md(w, x, depth + 1);
        }
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *e;
        if (!json_array_size(v)) raw(w, "*none*");
        json_array_foreach(v, i, e) {
            if (json_is_object(e) || json_is_array(e)) {
                raw(w, "\n");
                for (int d = 0; d < depth; d++) raw(w, "  ");
                escf(w, "- %zu:", i + 1);
                json_value_md(w, e, depth + 1);
            } else {
                if (i) raw(w, ", ");
                json_value_md(w, e, depth + 1);
            }
        }
    } else if (json_is_string(v)) {
        esc(w, json_string_value(v));
    } else if (json_is_null(v)) {
        raw(w, "*none*");
    } else {
        char *t = json_dumps(v, JSON_ENCODE_ANY);
        esc(w, t ? t : "?");
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

static void yesno(rw *w, const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    raw(w, json_is_true(v) ? "yes" : json_is_false(v) ? "no" : "*unknown*");
}

static void optnum(rw *w, const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    if (json_is_integer(v))
        escf(w, "%lld", (long long)json_integer_value(v));
    else
        raw(w, "-");
}

static void assessment_md(rw *w, const json_t *r, const json_t *a)
{
    bool s3 = rs(r, "kind") && strcmp(rs(r, "kind"), "s3") == 0;
    raw(w, "| | |\n|---|---|\n| policy | ");
    escf(w, "keep every archive object %lld years from its export",
         (long long)json_integer_value(json_object_get(a, "years")));
    raw(w, " |\n| verdict | **");
    esc(w, verdict_text(rs(a, "verdict")));
    raw(w, "** |\n| assessed at | ");
    field(w, a, "assessed_at", "?");
    raw(w, " |\n");
    const json_t *b = json_object_get(a, "bucket_settings");
    if (s3 && json_is_object(b)) {
        const json_t *ol = json_object_get(b, "object_lock");
        raw(w, "| bucket versioning | ");
        field(w, b, "versioning", "never enabled");
        raw(w, " (MFA delete: ");
        yesno(w, b, "mfa_delete");
        raw(w, ") |\n| Object Lock | ");
        if (rb(ol, "enabled")) {
            raw(w, "enabled; default retention ");
            if (rs(ol, "default_mode")) {
                esc(w, rs(ol, "default_mode"));
                raw(w, ", days ");
                optnum(w, ol, "default_days");
                raw(w, ", years ");
                optnum(w, ol, "default_years");
            } else {
                raw(w, "none");
            }
        } else {
            raw(w, "**not enabled** on the bucket");
        }
        raw(w, " |\n| lifecycle | ");
        raw(w, rb(b, "lifecycle_configuration") ? "configured: " : "**no configuration**: ");
        escf(w, "%zu rule(s) touch the archive prefix, %lld other rule(s)",
             json_array_size(json_object_get(b, "lifecycle_rules")),
             (long long)json_integer_value(json_object_get(b, "other_lifecycle_rules")));
        raw(w, " |\n");
    }
    raw(w, "| archive objects | ");
    num(w, a, "objects_held");
    raw(w, " held of ");
    num(w, a, "objects_total");
    raw(w, "; ");
    num(w, a, "objects_exposed");
    raw(w, " could be deleted or overwritten before their date |\n| latest lock until | ");
    field(w, a, "latest_lock_until", "no object is locked");
    raw(w, " |\n");
    if (rs(a, "unreadable") && *rs(a, "unreadable")) {
        raw(w, "| could not read | ");
        esc(w, rs(a, "unreadable"));
        raw(w, " |\n");
    }
    raw(w, "\n| rule | verdict | required | why |\n|---|---|---|---|\n");
    size_t i;
    const json_t *ru;
    json_array_foreach(json_object_get(a, "rules"), i, ru) {
        raw(w, "| ");
        esc(w, rs(ru, "rule"));
        raw(w, " | ");
        esc(w, verdict_text(rs(ru, "verdict")));
        raw(w, " | ");
        yesno(w, ru, "required");
        raw(w, " | ");
        esc(w, rs(ru, "why"));
        raw(w, " |\n");
    }
    raw(w, "\n");
    const json_t *lcs = b ? json_object_get(b, "lifecycle_rules") : NULL;
    if (json_array_size(lcs)) {
        raw(w, "| lifecycle rule | enabled | prefix | transitions | expiration (days) | "
               "noncurrent expiration (days) |\n|---|---|---|---|---|---|\n");
        const json_t *lc;
        json_array_foreach(lcs, i, lc) {
            raw(w, "| ");
            code(w, rs(lc, "id"));
            raw(w, " | ");
            yesno(w, lc, "enabled");
            raw(w, " | ");
            code(w, rs(lc, "prefix"));
            raw(w, " | ");
            size_t k;
            const json_t *t;
            json_array_foreach(json_object_get(lc, "transitions"), k, t) {
                if (k) raw(w, "; ");
                esc(w, rs(t, "storage_class"));
                if (json_is_integer(json_object_get(t, "days"))) {
                    raw(w, " after ");
                    optnum(w, t, "days");
                    raw(w, " days");
                } else if (rs(t, "date")) {
                    raw(w, " on ");
                    esc(w, rs(t, "date"));
                }
                if (rb(t, "noncurrent")) raw(w, " (noncurrent versions)");
            }
            raw(w, " | ");
            if (rs(lc, "expiration_date"))
                esc(w, rs(lc, "expiration_date"));
            else
                optnum(w, lc, "expiration_days");
            raw(w, " | ");
            optnum(w, lc, "noncurrent_expiration_days");
            raw(w, " |\n");
        }
        raw(w, "\n");
    }
    const json_t *objs = json_object_get(a, "objects");
    if (json_array_size(objs)) {
        raw(w, "| object | storage class | lock | locked until | required until | held |\n"
               "|---|---|---|---|---|---|\n");
        const json_t *o;
        json_array_foreach(objs, i, o) {
            raw(w, "| ");
            code(w, rs(o, "key"));
            if (json_is_false(json_object_get(o, "present"))) raw(w, " **(absent)**");
            raw(w, " | ");
            field(w, o, "storage_class", "-");
            raw(w, " | ");
            field(w, o, "lock_mode", "none");
            if (rb(o, "legal_hold")) raw(w, ", legal hold");
            raw(w, " | ");
            field(w, o, "lock_until", "-");
            raw(w, " | ");
            field(w, o, "required_until", "-");
            raw(w, " | ");
            yesno(w, o, "held");
            raw(w, " |\n");
        }
        raw(w, "\n");
    }
}

static void summary(rw *w, const json_t *m)
{
    const json_t *tot = json_object_get(m, "totals");
    const json_t *st = json_object_get(m, "storage");
    const json_t *lv = json_object_get(m, "latest_verify");
    const json_t *ch = json_object_get(json_object_get(m, "audit"), "chain");
    const json_t *ret = json_object_get(m, "retention");
    raw(w, "## Summary\n\n");
    raw(w, arc_report_has_problems(m)
               ? "**This record shows problems** (listed below): the archive cannot be vouched "
                 "for as it stands.\n\n"
               : "No problem is recorded.\n\n");
    raw(w, "| | |\n|---|---|\n| Archived | ");
    numw(w, tot, "records", "record", "records");
    raw(w, " in ");
    numw(w, tot, "tables", "table", "tables");
    raw(w, " of ");
    numw(w, tot, "databases", "database", "databases");
    raw(w, "; ");
    num(w, tot, "files");
    raw(w, " Parquet files, ");
    bytes(w, ru(tot, "bytes"));
    raw(w, " |\n| Stored in | ");
    if (rs(st, "bucket")) {
        raw(w, "S3 bucket ");
        code(w, rs(st, "bucket"));
        raw(w, ", prefix ");
        code(w, rs(st, "key_prefix"));
    } else {
        raw(w, "local directory ");
        code(w, rs(st, "path"));
    }
    raw(w, " |\n| Latest verify | ");
    if (!rb(lv, "present")) {
        raw(w, "**No verify run yet** (none is recorded in the audit log)");
    } else {
        raw(w, rb(lv, "passed") ? "passed" : "**did not pass**");
        raw(w, " — ");
        field(w, lv, "started", "time unknown");
        raw(w, ", outcome ");
        field(w, lv, "outcome", "none (the run did not finish)");
        raw(w, ", ");
        num(w, json_object_get(lv, "counts"), "files_checked");
        raw(w, " files, ");
        num(w, json_object_get(lv, "counts"), "rows_decoded");
        raw(w, " rows decoded, ");
        num(w, json_object_get(lv, "counts"), "errors");
        raw(w, " errors");
    }
    raw(w, " |\n| Audit chain | ");
    if (rb(ch, "ok") && ru(ch, "objects")) {
        raw(w, "intact: ");
        numw(w, ch, "runs", "run", "runs");
        raw(w, ", ");
        numw(w, ch, "entries", "entry", "entries");
        raw(w, "; head ");
        code(w, rs(ch, "head"));
    } else if (rb(ch, "ok")) {
        raw(w, "**no audit log**");
    } else {
        raw(w, "**BROKEN**");
        if (rs(ch, "broken_object")) {
            raw(w, " at ");
            code(w, rs(ch, "broken_object"));
            if (json_object_get(ch, "broken_line")) {
                raw(w, " line ");
                num(w, ch, "broken_line");
            }
        }
        raw(w, ": ");
        esc(w, rs(ch, "error"));
    }
    raw(w, " |\n| Retention | ");
    const char *kind = rs(ret, "kind");
    if (kind && strcmp(kind, "local") == 0) {
        raw(w, "**not enforceable** on a local directory");
    } else if (rs(ret, "source") && strcmp(rs(ret, "source"), "assessment") == 0) {
        const json_t *a = json_object_get(ret, "assessment");
        raw(w, "**");
        esc(w, verdict_text(rs(a, "verdict")));
        raw(w, "**");
        escf(w, " (%lld-year policy): ", (long long)json_integer_value(json_object_get(a, "years")));
        num(w, a, "objects_held");
        raw(w, " of ");
        num(w, a, "objects_total");
        raw(w, " archive objects held until their date");
    } else {
        num(w, ret, "locked");
        raw(w, " of ");
        num(w, ret, "objects_checked");
        raw(w, " archive objects under an Object Lock; bucket settings not assessed");
    }
    raw(w, " |\n\n");
    const json_t *notes = json_object_get(m, "notes");
    if (json_array_size(notes)) {
        raw(w, "### Findings of this report\n\n");
        size_t i;
        const json_t *n;
        json_array_foreach(notes, i, n) {
            raw(w, "- ");
            esc(w, rs(n, "level"));
            raw(w, ": ");
            esc(w, rs(n, "text"));
            raw(w, "\n");
        }
        raw(w, "\n");
    }
}

static void archived(rw *w, const json_t *m)
{
    raw(w, "## What was archived\n\n");
    size_t i, j;
    const json_t *db, *t;
    if (!json_array_size(json_object_get(m, "databases")))
        raw(w, "*No database is stored in this archive.*\n\n");
    json_array_foreach(json_object_get(m, "databases"), i, db) {
        raw(w, "### Database ");
        esc(w, rs(db, "name"));
        raw(w, "\n\n");
        const json_t *mj = json_object_get(db, "manifest");
        if (!rb(mj, "present") || !rb(mj, "valid")) {
            raw(w, rb(mj, "present") ? "**Its manifest is unreadable**" : "**Its manifest is missing**");
            if (rs(mj, "error")) {
                raw(w, ": ");
                esc(w, rs(mj, "error"));
            }
            raw(w, ". Nothing in this database can be vouched for.\n\n");
            continue;
        }
        const json_t *src = json_object_get(db, "source"), *tt = json_object_get(db, "totals");
        raw(w, "| | |\n|---|---|\n| source | ");
        field(w, src, "kind", "unknown");
        raw(w, " ");
        code(w, rs(src, "database"));
        if (rs(src, "region")) {
            raw(w, ", region ");
            esc(w, rs(src, "region"));
        }
        if (rs(src, "endpoint")) {
            raw(w, ", endpoint ");
            code(w, rs(src, "endpoint"));
        }
        raw(w, " |\n| export | id ");
        code(w, rs(mj, "export_id"));
        raw(w, ", ");
        field(w, mj, "started_at", "?");
        raw(w, " to ");
        field(w, mj, "finished_at", "?");
        raw(w, " |\n| compression | ");
        esc(w, rs(mj, "compression"));
        raw(w, " |\n| totals | ");
        numw(w, tt, "records", "record", "records");
        raw(w, ", ");
        numw(w, tt, "tables", "table", "tables");
        raw(w, ", ");
        numw(w, tt, "files", "file", "files");
        raw(w, ", ");
        bytes(w, ru(tt, "bytes"));
        raw(w, " |\n\n");
        json_array_foreach(json_object_get(db, "tables"), j, t) {
            raw(w, "#### Table ");
            esc(w, rs(db, "name"));
            raw(w, ".");
            esc(w, rs(t, "name"));
            raw(w, "\n\n| | |\n|---|---|\n| records | ");
            num(w, t, "records");
            raw(w, " |\n| first record | ");
            field(w, t, "min_time", "none (empty table)");
            raw(w, " |\n| last record | ");
            field(w, t, "max_time", "none (empty table)");
            raw(w, " |\n| files | ");
            escf(w, "%zu, ", json_array_size(json_object_get(t, "files")));
            bytes(w, ru(t, "bytes"));
            raw(w, " |\n| time | ");
            escf(w, "%s%s", rs(t, "time_unit") && strcmp(rs(t, "time_unit"), "ns") == 0
                                 ? "TIMESTAMP(NANOS)" : "TIMESTAMP(MICROS)",
                 rb(t, "time_ns") ? " plus exact nanoseconds in time_ns" : "");
            raw(w, " |\n\n| column | role | archive type | source type |\n|---|---|---|---|\n");
            size_t k;
            const json_t *c;
            json_array_foreach(json_object_get(t, "columns"), k, c) {
                raw(w, "| ");
                esc(w, rs(c, "name"));
                raw(w, " | ");
                esc(w, rs(c, "role"));
                raw(w, " | ");
                esc(w, rs(c, "type"));
                raw(w, " | ");
                esc(w, rs(c, "source_type"));
                raw(w, " |\n");
            }
            raw(w, "\nRecords per month (UTC):\n\n| month | records |\n|---|---:|\n");
            json_array_foreach(json_object_get(t, "months"), k, c) {
                raw(w, "| ");
                esc(w, rs(c, "month"));
                raw(w, " | ");
                num(w, c, "records");
                raw(w, " |\n");
            }
            raw(w, "\n| file | records | first | last | bytes |\n|---|---:|---|---|---:|\n");
            json_array_foreach(json_object_get(t, "files"), k, c) {
                raw(w, "| ");
                code(w, rs(c, "path"));
                raw(w, " | ");
                num(w, c, "records");
                raw(w, " | ");
                field(w, c, "min_time", "-");
                raw(w, " | ");
                field(w, c, "max_time", "-");
                raw(w, " | ");
                num(w, c, "size");
                raw(w, " |\n");
            }
            raw(w, "\n");
        }
    }
}

static void where(rw *w, const json_t *m)
{
    const json_t *st = json_object_get(m, "storage");
    raw(w, "## Where it is stored\n\n| | |\n|---|---|\n");
    if (rs(st, "bucket")) {
        raw(w, "| storage | Amazon S3 |\n| bucket | ");
        code(w, rs(st, "bucket"));
        raw(w, " |\n| prefix | ");
        code(w, rs(st, "key_prefix"));
        raw(w, " |\n| region | ");
        field(w, st, "region", "not configured");
        raw(w, " |\n");
    } else {
        raw(w, "| storage | local directory |\n| path | ");
        escf(w, "%s/%s", rs(st, "path") ? rs(st, "path") : "", rs(st, "archive_prefix") ? rs(st, "archive_prefix") : "");
        raw(w, " |\n");
    }
    raw(w, "| objects | ");
    num(w, st, "objects");
    raw(w, ", ");
    bytes(w, ru(st, "bytes"));
    raw(w, " |\n\n| kind | objects | bytes |\n|---|---:|---:|\n");
    static const char *const kinds[][2] = {{"data_files", "Parquet data files"},
                                           {"manifests", "manifests (export\\_metadata.json)"},
                                           {"audit_log", "audit log (\\_audit/)"},
                                           {"other", "other objects"}};
    for (size_t i = 0; i < 4; i++) {
        const json_t *k = json_object_get(st, kinds[i][0]);
        raw(w, "| ");
        raw(w, kinds[i][1]);
        raw(w, " | ");
        num(w, k, "objects");
        raw(w, " | ");
        num(w, k, "bytes");
        raw(w, " |\n");
    }
    raw(w, "\n");
}

static void integrity(rw *w, const json_t *m)
{
    raw(w, "## Integrity proof\n\n### Manifests\n\n| database | manifest | SHA-256 | as logged by "
           "its export |\n|---|---|---|---|\n");
    size_t i;
    const json_t *db;
    json_array_foreach(json_object_get(m, "databases"), i, db) {
        const json_t *mj = json_object_get(db, "manifest");
        raw(w, "| ");
        esc(w, rs(db, "name"));
        raw(w, " | ");
        code(w, rs(mj, "key"));
        raw(w, " | ");
        code(w, rs(mj, "sha256"));
        raw(w, " | ");
        const json_t *match = json_object_get(mj, "matches_log");
        if (json_is_true(match)) {
            raw(w, "matches (");
            code(w, rs(mj, "logged_by"));
            raw(w, ")");
        } else if (json_is_false(match)) {
            raw(w, "**differs**: logged ");
            code(w, rs(mj, "logged_sha256"));
        } else {
            raw(w, "*no write-manifest entry in the audit log*");
        }
        raw(w, " |\n");
    }
    raw(w, "\n### SHA-256 of every data file\n\n");
    json_array_foreach(json_object_get(m, "databases"), i, db) {
        raw(w, "Database ");
        esc(w, rs(db, "name"));
        raw(w, " (as listed in its manifest):\n\n| file | bytes | SHA-256 |\n|---|---:|---|\n");
        size_t j, k;
        const json_t *t, *f;
        json_array_foreach(json_object_get(db, "tables"), j, t) {
            json_array_foreach(json_object_get(t, "files"), k, f) {
                raw(w, "| ");
                code(w, rs(f, "path"));
                raw(w, " | ");
                num(w, f, "size");
                raw(w, " | ");
                code(w, rs(f, "sha256"));
                raw(w, " |\n");
            }
        }
        raw(w, "\n");
    }
    const json_t *lv = json_object_get(m, "latest_verify");
    raw(w, "### Latest verify run\n\n");
    if (!rb(lv, "present")) {
        raw(w, "**No verify run yet.** The audit log records no `tsarchive verify` of this "
               "archive.\n\n");
    } else {
        const json_t *c = json_object_get(lv, "counts");
        raw(w, "| | |\n|---|---|\n| result | ");
        raw(w, rb(lv, "passed") ? "passed" : "**did not pass**");
        raw(w, " (outcome ");
        field(w, lv, "outcome", "none: the run did not finish");
        if (json_object_get(c, "exit_code")) {
            raw(w, ", exit code ");
            num(w, c, "exit_code");
        }
        raw(w, ") |\n| when | ");
        field(w, lv, "started", "?");
        raw(w, " to ");
        field(w, lv, "ended", "no end entry");
        raw(w, " |\n| scope | ");
        esc(w, rs(lv, "scope"));
        const json_t *dbs = json_object_get(lv, "databases");
        if (json_array_size(dbs)) {
            raw(w, "; databases ");
            json_value_md(w, dbs, 0);
        } else {
            raw(w, "; every database");
        }
        if (rs(lv, "against")) {
            raw(w, "; compared with ");
            esc(w, rs(lv, "against"));
        }
        raw(w, " |\n| checked | ");
        numw(w, c, "files_checked", "file", "files");
        raw(w, ", ");
        bytes(w, ru(c, "bytes_checked"));
        raw(w, ", ");
        num(w, c, "rows_decoded");
        raw(w, " rows decoded |\n| findings | ");
        numw(w, c, "errors", "error", "errors");
        raw(w, ", ");
        numw(w, c, "warnings", "warning", "warnings");
        if (json_object_size(json_object_get(lv, "findings"))) {
            raw(w, " (");
            kv_inline(w, json_object_get(lv, "findings"));
            raw(w, ")");
        }
        if (rs(lv, "error")) {
            raw(w, "; error: ");
            esc(w, rs(lv, "error"));
        }
        raw(w, " |\n| audit object | ");
        code(w, rs(lv, "object"));
        raw(w, " |\n\n");
        if (rb(lv, "export_after"))
            raw(w, "An export ran after this verify run; it is not covered by it.\n\n");
    }
    const json_t *ch = json_object_get(json_object_get(m, "audit"), "chain");
    raw(w, "### Audit chain\n\n| | |\n|---|---|\n| state | ");
    if (rb(ch, "ok") && ru(ch, "objects"))
        raw(w, "intact (the check of `tsarchive audit verify` passes)");
    else if (rb(ch, "ok"))
        raw(w, "**no audit log**");
    else {
        raw(w, "**BROKEN**: ");
        esc(w, rs(ch, "error"));
    }
    raw(w, " |\n");
    if (rb(ch, "ok")) {
        raw(w, "| runs | ");
        num(w, ch, "runs");
        raw(w, " |\n| entries | ");
        num(w, ch, "entries");
        raw(w, " |\n| head hash | ");
        code(w, rs(ch, "head"));
        raw(w, " |\n");
    } else {
        if (rs(ch, "broken_object")) {
            raw(w, "| where | ");
            code(w, rs(ch, "broken_object"));
            if (json_object_get(ch, "broken_line")) {
                raw(w, ", line ");
                num(w, ch, "broken_line");
            }
            raw(w, " |\n");
        }
        raw(w, "| head hash | *none: a broken chain has no trustworthy head* |\n");
    }
    raw(w, "| log objects | ");
    num(w, ch, "objects");
    raw(w, " |\n\n");
}

static void retention(rw *w, const json_t *m)
{
    const json_t *r = json_object_get(m, "retention");
    raw(w, "## Retention\n\n");
    const char *kind = rs(r, "kind");
    if (kind && strcmp(kind, "local") == 0) {
        esc(w, rs(r, "statement"));
        raw(w, "\n\n");
    }
    if (rs(r, "assessment_error")) {
        raw(w, "**The retention settings could not be assessed:** ");
        esc(w, rs(r, "assessment_error"));
        raw(w, "\n\n");
    }
    if (kind && strcmp(kind, "local") == 0 && !json_object_get(r, "assessment")) return;
    if (rs(r, "source") && strcmp(rs(r, "source"), "assessment") == 0) {
        assessment_md(w, r, json_object_get(r, "assessment"));
        return;
    }
    esc(w, rs(r, "statement"));
    raw(w, "\n\n| | |\n|---|---|\n| objects checked | ");
    num(w, r, "objects_checked");
    raw(w, " |\n| locked now | ");
    num(w, r, "locked");
    if (json_object_size(json_object_get(r, "modes"))) {
        raw(w, " (");
        kv_inline(w, json_object_get(r, "modes"));
        raw(w, ")");
    }
    raw(w, " |\n| lock expired | ");
    num(w, r, "lock_expired");
    raw(w, " |\n| never locked | ");
    num(w, r, "unlocked");
    raw(w, " |\n| locked until | ");
    field(w, r, "earliest_until", "-");
    raw(w, " (earliest) to ");
    field(w, r, "latest_until", "-");
    raw(w, " (latest) |\n");
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(r, "unlocked_examples"), i, e) {
        raw(w, "| unlocked | ");
        code(w, json_string_value(e));
        raw(w, " |\n");
    }
    raw(w, "\n");
}

static void history(rw *w, const json_t *m)
{
    raw(w, "## History (from the audit log)\n\n");
    const json_t *hist = json_object_get(m, "history");
    if (!json_array_size(hist)) {
        raw(w, "*The audit log records no run.*\n\n");
        return;
    }
    raw(w, "| started (UTC) | command | who | what | outcome | counts |\n"
           "|---|---|---|---|---|---|\n");
    size_t i, nres = 0;
    const json_t *r;
    json_array_foreach(hist, i, r) {
        nres += json_array_size(json_object_get(r, "resources"));
        raw(w, "| ");
        field(w, r, "started", "?");
        raw(w, " | ");
        field(w, r, "command", "?");
        raw(w, " | ");
        const json_t *id = json_object_get(r, "identity");
        if (!json_is_object(id))
            raw(w, "*no identity recorded*");
        else if (rs(id, "arn") && *rs(id, "arn"))
            esc(w, rs(id, "arn"));
        else {
            const char *cs = rs(id, "credentials");
            escf(w, "credentials %s", cs && *cs ? cs : "unknown");
            if (rs(id, "profile") && *rs(id, "profile")) escf(w, ", profile %s", rs(id, "profile"));
            if (rs(id, "region") && *rs(id, "region")) escf(w, ", region %s", rs(id, "region"));
            raw(w, " *(no caller ARN)*");
        }
        raw(w, " | ");
        static const char *const wh[] = {"source", "target", "root"};
        bool any = false;
        for (size_t k = 0; k < 3; k++)
            if (rs(r, wh[k])) {
                if (any) raw(w, "; ");
                escf(w, "%s: %s", wh[k], rs(r, wh[k]));
                any = true;
            }
        if (json_object_size(json_object_get(r, "arguments"))) {
            if (any) raw(w, "; ");
            raw(w, "arguments: ");
            kv_inline(w, json_object_get(r, "arguments"));
        }
        raw(w, " | ");
        field(w, r, "outcome", "no end entry (unfinished)");
        if (rs(r, "error")) {
            raw(w, ": ");
            esc(w, rs(r, "error"));
        }
        raw(w, " | ");
        kv_inline(w, json_object_get(r, "counts"));
        if (ru(r, "unreadable_lines"))
            escf(w, "; %llu unreadable lines", (unsigned long long)ru(r, "unreadable_lines"));
        raw(w, " |\n");
    }
    raw(w, "\n### Deleted cloud resources\n\n");
    if (!nres) {
        raw(w, "*The audit log records no deleted resource (no cleanup run with deletions).*\n\n");
        return;
    }
    raw(w, "| when | run | kind | name | ARN | outcome |\n|---|---|---|---|---|---|\n");
    json_array_foreach(hist, i, r) {
        size_t k;
        const json_t *d;
        json_array_foreach(json_object_get(r, "resources"), k, d) {
            raw(w, "| ");
            field(w, d, "when", "?");
            raw(w, " | ");
            field(w, r, "command", "?");
            raw(w, " | ");
            field(w, d, "kind", "-");
            raw(w, " | ");
            esc(w, rs(d, "name"));
            raw(w, " | ");
            field(w, d, "arn", "none recorded");
            raw(w, " | ");
            field(w, d, "outcome", rs(d, "event") ? rs(d, "event") : "-");
            if (rs(d, "error")) {
                raw(w, ": ");
                esc(w, rs(d, "error"));
            }
            raw(w, " |\n");
        }
    }
    raw(w, "\n");
}

ts_status arc_report_md(const json_t *m, ts_buf *out, ts_error *err)
{
    rw w = {.b = out, .st = TS_OK};
    const json_t *tool = json_object_get(m, "tool");
    raw(&w, "# Decommissioning record\n\nArchive ");
    code(&w, rs(m, "root"));
    raw(&w, " (prefix ");
    code(&w, rs(m, "prefix"));
    raw(&w, "), generated ");
    esc(&w, rs(m, "generated_at"));
    escf(&w, " by tsarchive %s (build %s)", rs(tool, "version") ? rs(tool, "version") : "?",
         rs(tool, "build") ? rs(tool, "build") : "?");
    raw(&w, ". Every figure below is read from the archive and its audit log.\n\n");
    summary(&w, m);
    archived(&w, m);
    where(&w, m);
    integrity(&w, m);
    retention(&w, m);
    history(&w, m);
    if (w.st != TS_OK) return ts_err_set(err, w.st, "the Markdown report does not fit in memory");
    return TS_OK;
}
