/* The report's one walk over the model: every section, in order, written
 * through a format's emitters (arc_report_fmt), so HTML and Markdown say the
 * same facts in the same order and a new format is one emitter table. */
#include <string.h>

#include "arc_report.h"
#include "arc_report_int.h"

/* ---- small pieces ---- */

static void heading(rw *w, int level, const char *text)
{
    w->f->heading(w, level);
    rw_esc(w, text);
    rw_raw(w, w->f->heading_end);
}

/* s between a format's open and close markup, as is or escaped. */
static void wrap(rw *w, const char *const mk[2], const char *s, bool esc)
{
    rw_raw(w, mk[0]);
    if (esc)
        rw_esc(w, s);
    else
        rw_raw(w, s);
    rw_raw(w, mk[1]);
}

static void em(rw *w, const char *s) { wrap(w, w->f->em, s, false); }
static void strong(rw *w, const char *s) { wrap(w, w->f->strong, s, false); }
/* Escaped text, set as code where the format does (HTML). */
static void tt(rw *w, const char *s) { wrap(w, w->f->tt, s, true); }

/* One key/value row whose value is a number, a field or code. */
static void kv_num(rw *w, const char *key, const char *cls, const json_t *o, const char *k)
{
    w->f->kv_row(w, key, cls);
    rw_num(w, o, k);
    w->f->kv_row_end(w);
}

static void kv_field(rw *w, const char *key, const json_t *o, const char *k, const char *absent)
{
    w->f->kv_row(w, key, NULL);
    rw_field(w, o, k, absent);
    w->f->kv_row_end(w);
}

static void kv_code(rw *w, const char *key, const char *s)
{
    w->f->kv_row(w, key, NULL);
    w->f->code(w, s);
    w->f->kv_row_end(w);
}

/* A paragraph that is one emphasised sentence. */
static void para_em(rw *w, const char *s)
{
    rw_raw(w, w->f->para[0]);
    em(w, s);
    rw_raw(w, w->f->para[1]);
}

static bool is(const char *s, const char *v)
{
    return s && strcmp(s, v) == 0;
}

static const char *verdict_text(const char *v)
{
    if (!v) return "no verdict";
    if (strcmp(v, "holds") == 0) return "holds";
    if (strcmp(v, "does_not_hold") == 0) return "does not hold";
    if (strcmp(v, "cannot_hold") == 0) return "cannot hold";
    return v;
}

/* ---- summary ---- */

static void retention_summary(rw *w, const json_t *r)
{
    if (is(rs(r, "kind"), "local")) {
        w->f->mark(w, -1);
        strong(w, "not enforceable");
        rw_raw(w, " on a local directory");
        return;
    }
    if (is(rs(r, "source"), "assessment")) {
        const json_t *a = json_object_get(r, "assessment");
        const char *v = rs(a, "verdict");
        w->f->mark(w, is(v, "holds") ? 1 : 0);
        wrap(w, w->f->strong, verdict_text(v), true);
        rw_escf(w, " (%lld-year policy): ", (long long)json_integer_value(json_object_get(a, "years")));
        rw_num(w, a, "objects_held");
        rw_raw(w, " of ");
        rw_num(w, a, "objects_total");
        rw_raw(w, " archive objects held until their date");
        return;
    }
    w->f->mark(w, rb(r, "enforceable") ? 1 : -1);
    rw_num(w, r, "locked");
    rw_raw(w, " of ");
    rw_num(w, r, "objects_checked");
    rw_raw(w, " archive objects under an Object Lock");
    if (w->f->detail && rs(r, "earliest_until")) {
        rw_raw(w, " (earliest until ");
        rw_esc(w, rs(r, "earliest_until"));
        rw_raw(w, ")");
    }
    rw_raw(w, "; bucket settings not assessed");
}

static void summary(rw *w, const json_t *m)
{
    const arc_report_fmt *f = w->f;
    const json_t *tot = json_object_get(m, "totals");
    const json_t *st = json_object_get(m, "storage");
    const json_t *lv = json_object_get(m, "latest_verify");
    const json_t *ch = json_object_get(json_object_get(m, "audit"), "chain");
    bool problems = arc_report_has_problems(m);
    f->section(w, "summary", "Summary");
    f->box(w, !problems);
    f->mark(w, problems ? 0 : 1);
    size_t nwarn = 0, i;
    const json_t *n;
    json_array_foreach(json_object_get(m, "notes"), i, n)
        if (is(rs(n, "level"), "warning")) nwarn++;
    if (problems) {
        strong(w, "This record shows problems");
        rw_raw(w, " (listed below): the archive cannot be vouched for as it stands.");
    } else if (!f->detail) {
        rw_raw(w, "No problem is recorded.");
    } else if (nwarn) {
        rw_escf(w, "No problem is recorded; %zu warning%s below.", nwarn, nwarn == 1 ? "" : "s");
    } else {
        strong(w, "No problem is recorded");
        rw_raw(w, ": manifests readable and matching their exports' log entries, audit chain "
                  "intact, latest verify run passed.");
    }
    rw_raw(w, f->box_end);
    f->kv_begin(w, RW_KV_NL);
    f->kv_row(w, "Archived", NULL);
    rw_numw(w, tot, "records", "record", "records");
    rw_raw(w, " in ");
    rw_numw(w, tot, "tables", "table", "tables");
    rw_raw(w, " of ");
    rw_numw(w, tot, "databases", "database", "databases");
    rw_raw(w, "; ");
    rw_num(w, tot, "files");
    rw_raw(w, " Parquet files, ");
    rw_bytes(w, ru(tot, "bytes"));
    f->kv_row_end(w);
    f->kv_row(w, "Stored in", NULL);
    if (rs(st, "bucket")) {
        rw_raw(w, "S3 bucket ");
        f->code(w, rs(st, "bucket"));
        rw_raw(w, ", prefix ");
        f->code(w, rs(st, "key_prefix"));
    } else {
        rw_raw(w, "local directory ");
        f->code(w, rs(st, "path"));
    }
    f->kv_row_end(w);
    f->kv_row(w, "Latest verify", NULL);
    if (!rb(lv, "present")) {
        f->mark(w, -1);
        strong(w, "No verify run yet");
        rw_raw(w, " (none is recorded in the audit log)");
    } else {
        const json_t *c = json_object_get(lv, "counts");
        f->mark(w, rb(lv, "passed") ? 1 : 0);
        if (rb(lv, "passed"))
            rw_raw(w, "passed");
        else
            strong(w, "did not pass");
        rw_raw(w, " — ");
        rw_field(w, lv, "started", "time unknown");
        rw_raw(w, ", outcome ");
        rw_field(w, lv, "outcome", "none (the run did not finish)");
        rw_raw(w, ", ");
        rw_num(w, c, "files_checked");
        rw_raw(w, " files, ");
        rw_num(w, c, "rows_decoded");
        rw_raw(w, " rows decoded, ");
        rw_num(w, c, "errors");
        rw_raw(w, " errors");
    }
    f->kv_row_end(w);
    f->kv_row(w, "Audit chain", NULL);
    if (rb(ch, "ok")) {
        f->mark(w, ru(ch, "objects") ? 1 : -1);
        if (ru(ch, "objects")) {
            rw_raw(w, "intact: ");
            rw_numw(w, ch, "runs", "run", "runs");
            rw_raw(w, ", ");
            if (f->detail) {
                rw_num(w, ch, "entries");
                rw_raw(w, " entries");
            } else {
                rw_numw(w, ch, "entries", "entry", "entries");
            }
            rw_raw(w, "; head ");
            f->hash(w, rs(ch, "head"));
        } else {
            strong(w, "no audit log");
        }
    } else {
        f->mark(w, 0);
        strong(w, "BROKEN");
        if (rs(ch, "broken_object")) {
            rw_raw(w, " at ");
            f->code(w, rs(ch, "broken_object"));
            if (json_object_get(ch, "broken_line")) {
                rw_raw(w, " line ");
                rw_num(w, ch, "broken_line");
            }
        }
        rw_raw(w, ": ");
        rw_esc(w, rs(ch, "error"));
    }
    f->kv_row_end(w);
    f->kv_row(w, "Retention", NULL);
    retention_summary(w, json_object_get(m, "retention"));
    f->kv_row_end(w);
    rw_raw(w, f->kv_end);
    const json_t *notes = json_object_get(m, "notes");
    if (json_array_size(notes)) {
        heading(w, 3, "Findings of this report");
        rw_raw(w, f->list[0]);
        json_array_foreach(notes, i, n) {
            f->item(w, rs(n, "level"));
            rw_esc(w, rs(n, "level"));
            rw_raw(w, ": ");
            rw_esc(w, rs(n, "text"));
            rw_raw(w, f->item_end);
        }
        rw_raw(w, f->list[1]);
    }
    rw_raw(w, f->section_end);
}

/* ---- what was archived ---- */

static void table_block(rw *w, const json_t *db, const json_t *t)
{
    const arc_report_fmt *f = w->f;
    rw_raw(w, f->group[0]);
    f->heading(w, 4);
    rw_raw(w, "Table ");
    rw_raw(w, f->tt[0]);
    rw_esc(w, rs(db, "name"));
    rw_raw(w, ".");
    rw_esc(w, rs(t, "name"));
    rw_raw(w, f->tt[1]);
    rw_raw(w, f->heading_end);
    f->kv_begin(w, RW_KV_TIGHT);
    kv_num(w, "records", "n", t, "records");
    kv_field(w, "first record", t, "min_time", "none (empty table)");
    kv_field(w, "last record", t, "max_time", "none (empty table)");
    f->kv_row(w, "files", NULL);
    rw_escf(w, "%zu, ", json_array_size(json_object_get(t, "files")));
    rw_bytes(w, ru(t, "bytes"));
    f->kv_row_end(w);
    f->kv_row(w, "time", NULL);
    rw_escf(w, "%s%s", is(rs(t, "time_unit"), "ns") ? "TIMESTAMP(NANOS)" : "TIMESTAMP(MICROS)",
            rb(t, "time_ns") ? " plus exact nanoseconds in time_ns" : "");
    f->kv_row_end(w);
    rw_raw(w, f->kv_end);

    if (f->detail) heading(w, 3, "Columns");
    static const char *const col_heads[] = {"column", "role", "archive type", "source type", NULL};
    f->table_begin(w, NULL, col_heads);
    size_t k;
    const json_t *c;
    json_array_foreach(json_object_get(t, "columns"), k, c) {
        f->cell(w, 0, NULL);
        tt(w, rs(c, "name"));
        f->cell(w, 1, NULL);
        rw_esc(w, rs(c, "role"));
        f->cell(w, 2, NULL);
        rw_esc(w, rs(c, "type"));
        f->cell(w, 3, NULL);
        rw_esc(w, rs(c, "source_type"));
        rw_raw(w, f->row_end);
    }
    rw_raw(w, f->table_end);

    if (f->chart) {
        heading(w, 3, "Records per month");
        f->chart(w, t);
    } else {
        rw_raw(w, f->para[0]);
        rw_raw(w, "Records per month (UTC):");
        rw_raw(w, f->para[1]);
        static const char *const month_heads[] = {"month", "#records", NULL};
        f->table_begin(w, NULL, month_heads);
        json_array_foreach(json_object_get(t, "months"), k, c) {
            f->cell(w, 0, NULL);
            rw_esc(w, rs(c, "month"));
            f->cell(w, 1, "n");
            rw_num(w, c, "records");
            rw_raw(w, f->row_end);
        }
        rw_raw(w, f->table_end);
    }

    /* HTML names each file by its month, Markdown by its path */
    static const char *const file_heads[2][6] = {
        {"file", "#records", "first", "last", "#bytes", NULL},
        {"month (UTC)", "#records", "first", "last", "#bytes", NULL}};
    f->table_begin(w, NULL, file_heads[f->detail]);
    json_array_foreach(json_object_get(t, "files"), k, c) {
        f->cell(w, 0, NULL);
        if (f->detail)
            rw_field(w, c, "month", "-");
        else
            f->code(w, rs(c, "path"));
        f->cell(w, 1, "n");
        rw_num(w, c, "records");
        f->cell(w, 2, "t");
        rw_field(w, c, "min_time", "-");
        f->cell(w, 3, "t");
        rw_field(w, c, "max_time", "-");
        f->cell(w, 4, "n");
        rw_num(w, c, "size");
        rw_raw(w, f->row_end);
    }
    rw_raw(w, f->table_end);
    rw_raw(w, f->group[1]);
}

static void archived(rw *w, const json_t *m)
{
    const arc_report_fmt *f = w->f;
    f->section(w, "archived", "What was archived");
    size_t i, j;
    const json_t *db, *t;
    json_array_foreach(json_object_get(m, "databases"), i, db) {
        f->heading(w, 3);
        rw_raw(w, "Database ");
        tt(w, rs(db, "name"));
        rw_raw(w, f->heading_end);
        const json_t *mj = json_object_get(db, "manifest");
        if (!rb(mj, "present") || !rb(mj, "valid")) {
            rw_raw(w, f->para[0]);
            f->mark(w, 0);
            strong(w, rb(mj, "present") ? "Its manifest is unreadable" : "Its manifest is missing");
            if (rs(mj, "error")) {
                rw_raw(w, ": ");
                rw_esc(w, rs(mj, "error"));
            }
            rw_raw(w, ". Nothing in this database can be vouched for.");
            rw_raw(w, f->para[1]);
            continue;
        }
        const json_t *src = json_object_get(db, "source"), *tt_ = json_object_get(db, "totals");
        f->kv_begin(w, RW_KV_TIGHT);
        f->kv_row(w, "source", NULL);
        rw_field(w, src, "kind", "unknown");
        rw_raw(w, " ");
        f->code(w, rs(src, "database"));
        if (rs(src, "region")) {
            rw_raw(w, ", region ");
            rw_esc(w, rs(src, "region"));
        }
        if (rs(src, "endpoint")) {
            rw_raw(w, ", endpoint ");
            f->code(w, rs(src, "endpoint"));
        }
        f->kv_row_end(w);
        f->kv_row(w, "export", NULL);
        rw_raw(w, "id ");
        f->code(w, rs(mj, "export_id"));
        rw_raw(w, ", ");
        rw_field(w, mj, "started_at", "?");
        rw_raw(w, " to ");
        rw_field(w, mj, "finished_at", "?");
        f->kv_row_end(w);
        f->kv_row(w, "compression", NULL);
        rw_esc(w, rs(mj, "compression"));
        f->kv_row_end(w);
        f->kv_row(w, "totals", NULL);
        rw_numw(w, tt_, "records", "record", "records");
        rw_raw(w, ", ");
        rw_numw(w, tt_, "tables", "table", "tables");
        rw_raw(w, ", ");
        rw_numw(w, tt_, "files", "file", "files");
        rw_raw(w, ", ");
        rw_bytes(w, ru(tt_, "bytes"));
        f->kv_row_end(w);
        rw_raw(w, f->kv_end);
        json_array_foreach(json_object_get(db, "tables"), j, t) table_block(w, db, t);
    }
    if (!json_array_size(json_object_get(m, "databases")))
        para_em(w, "No database is stored in this archive.");
    rw_raw(w, f->section_end);
}

/* ---- where it is stored ---- */

static void where(rw *w, const json_t *m)
{
    const arc_report_fmt *f = w->f;
    const json_t *st = json_object_get(m, "storage");
    f->section(w, "where", "Where it is stored");
    f->kv_begin(w, RW_KV_NL);
    if (rs(st, "bucket")) {
        f->kv_row(w, "storage", NULL);
        rw_raw(w, "Amazon S3");
        f->kv_row_end(w);
        kv_code(w, "bucket", rs(st, "bucket"));
        kv_code(w, "prefix", rs(st, "key_prefix"));
        kv_field(w, "region", st, "region", "not configured");
    } else {
        f->kv_row(w, "storage", NULL);
        rw_raw(w, "local directory");
        f->kv_row_end(w);
        f->kv_row(w, "path", NULL);
        rw_raw(w, f->tt[0]);
        rw_escf(w, "%s/%s", rs(st, "path") ? rs(st, "path") : "",
                rs(st, "archive_prefix") ? rs(st, "archive_prefix") : "");
        rw_raw(w, f->tt[1]);
        f->kv_row_end(w);
    }
    f->kv_row(w, "objects", NULL);
    rw_num(w, st, "objects");
    rw_raw(w, ", ");
    rw_bytes(w, ru(st, "bytes"));
    f->kv_row_end(w);
    rw_raw(w, f->kv_end);
    static const char *const heads[] = {"kind", "#objects", "#bytes", NULL};
    static const char *const kinds[][2] = {{"data_files", "Parquet data files"},
                                           {"manifests", "manifests (export_metadata.json)"},
                                           {"audit_log", "audit log (_audit/)"},
                                           {"other", "other objects"}};
    f->table_begin(w, NULL, heads);
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        const json_t *k = json_object_get(st, kinds[i][0]);
        f->cell(w, 0, NULL);
        rw_esc(w, kinds[i][1]);
        f->cell(w, 1, "n");
        rw_num(w, k, "objects");
        f->cell(w, 2, "n");
        rw_num(w, k, "bytes");
        rw_raw(w, f->row_end);
    }
    rw_raw(w, f->table_end);
    rw_raw(w, f->section_end);
}

/* ---- integrity proof ---- */

/* The manifest's SHA-256 against the one its export logged. */
static void manifest_logged(rw *w, const json_t *mj)
{
    const json_t *match = json_object_get(mj, "matches_log");
    if (json_is_true(match)) {
        w->f->mark(w, 1);
        rw_raw(w, "matches (");
        w->f->code(w, rs(mj, "logged_by"));
        rw_raw(w, ")");
    } else if (json_is_false(match)) {
        w->f->mark(w, 0);
        strong(w, "differs");
        rw_raw(w, ": logged ");
        w->f->hash(w, rs(mj, "logged_sha256"));
    } else {
        w->f->mark(w, -1);
        em(w, "no write-manifest entry in the audit log");
    }
}

/* HTML lists each manifest as key/value rows, Markdown as a table row. */
static void manifests(rw *w, const json_t *m)
{
    const arc_report_fmt *f = w->f;
    size_t i;
    const json_t *db;
    if (f->detail) {
        f->kv_begin(w, RW_KV_NL);
        json_array_foreach(json_object_get(m, "databases"), i, db) {
            const json_t *mj = json_object_get(db, "manifest");
            f->kv_row(w, "database", NULL);
            rw_raw(w, f->strong[0]);
            f->code(w, rs(db, "name"));
            rw_raw(w, f->strong[1]);
            f->kv_row_end(w);
            kv_code(w, "manifest", rs(mj, "key"));
            f->kv_row(w, "SHA-256 of the manifest", "hash");
            rw_field(w, mj, "sha256", "absent");
            f->kv_row_end(w);
            f->kv_row(w, "as logged by its export", NULL);
            manifest_logged(w, mj);
            f->kv_row_end(w);
        }
        rw_raw(w, f->kv_end);
        return;
    }
    static const char *const heads[] = {"database", "manifest", "SHA-256", "as logged by its export",
                                        NULL};
    f->table_begin(w, NULL, heads);
    json_array_foreach(json_object_get(m, "databases"), i, db) {
        const json_t *mj = json_object_get(db, "manifest");
        f->cell(w, 0, NULL);
        rw_esc(w, rs(db, "name"));
        f->cell(w, 1, NULL);
        f->code(w, rs(mj, "key"));
        f->cell(w, 2, "hash");
        f->cell_hash(w, rs(mj, "sha256"));
        f->cell(w, 3, NULL);
        manifest_logged(w, mj);
        rw_raw(w, f->row_end);
    }
    rw_raw(w, f->table_end);
}

static void data_files(rw *w, const json_t *m)
{
    const arc_report_fmt *f = w->f;
    static const char *const heads[] = {"file", "#bytes", "SHA-256", NULL};
    size_t i;
    const json_t *db;
    json_array_foreach(json_object_get(m, "databases"), i, db) {
        size_t j, k, nfiles = 0;
        const json_t *t, *fl;
        json_array_foreach(json_object_get(db, "tables"), j, t)
            nfiles += json_array_size(json_object_get(t, "files"));
        rw_raw(w, f->fold[0]);
        rw_raw(w, "Database ");
        tt(w, rs(db, "name"));
        if (f->detail) {
            rw_raw(w, ": ");
            rw_escf(w, "%zu file%s", nfiles, nfiles == 1 ? "" : "s");
            rw_raw(w, " (as listed in its manifest)");
        } else {
            rw_raw(w, " (as listed in its manifest):");
        }
        rw_raw(w, f->fold[1]);
        f->table_begin(w, NULL, heads);
        json_array_foreach(json_object_get(db, "tables"), j, t) {
            json_array_foreach(json_object_get(t, "files"), k, fl) {
                f->cell(w, 0, NULL);
                f->code(w, rs(fl, "path"));
                f->cell(w, 1, "n");
                rw_num(w, fl, "size");
                f->cell(w, 2, "hash");
                f->cell_hash(w, rs(fl, "sha256"));
                rw_raw(w, f->row_end);
            }
        }
        rw_raw(w, f->fold[2]);
    }
}

static void latest_verify(rw *w, const json_t *lv)
{
    const arc_report_fmt *f = w->f;
    heading(w, 3, "Latest verify run");
    if (!rb(lv, "present")) {
        rw_raw(w, f->para[0]);
        f->mark(w, -1);
        strong(w, "No verify run yet.");
        rw_raw(w, " The audit log records no ");
        f->code(w, "tsarchive verify");
        rw_raw(w, " of this archive.");
        rw_raw(w, f->para[1]);
        return;
    }
    const json_t *c = json_object_get(lv, "counts");
    f->kv_begin(w, RW_KV_FLAT);
    f->kv_row(w, "result", NULL);
    f->mark(w, rb(lv, "passed") ? 1 : 0);
    if (rb(lv, "passed"))
        rw_raw(w, "passed");
    else
        strong(w, "did not pass");
    rw_raw(w, " (outcome ");
    rw_field(w, lv, "outcome", "none: the run did not finish");
    if (json_object_get(c, "exit_code")) {
        rw_raw(w, ", exit code ");
        rw_num(w, c, "exit_code");
    }
    rw_raw(w, ")");
    f->kv_row_end(w);
    f->kv_row(w, "when", NULL);
    rw_field(w, lv, "started", "?");
    rw_raw(w, " to ");
    rw_field(w, lv, "ended", "no end entry");
    f->kv_row_end(w);
    f->kv_row(w, "scope", NULL);
    rw_esc(w, rs(lv, "scope"));
    const json_t *dbs = json_object_get(lv, "databases");
    if (json_array_size(dbs)) {
        rw_raw(w, "; databases ");
        f->values(w, dbs);
    } else {
        rw_raw(w, "; every database");
    }
    if (rs(lv, "against")) {
        rw_raw(w, "; compared with ");
        rw_esc(w, rs(lv, "against"));
    }
    f->kv_row_end(w);
    f->kv_row(w, "checked", NULL);
    rw_numw(w, c, "files_checked", "file", "files");
    rw_raw(w, ", ");
    rw_bytes(w, ru(c, "bytes_checked"));
    rw_raw(w, ", ");
    rw_num(w, c, "rows_decoded");
    rw_raw(w, " rows decoded");
    f->kv_row_end(w);
    f->kv_row(w, "findings", NULL);
    rw_numw(w, c, "errors", "error", "errors");
    rw_raw(w, ", ");
    rw_numw(w, c, "warnings", "warning", "warnings");
    const json_t *fd = json_object_get(lv, "findings");
    if (json_object_size(fd)) {
        rw_raw(w, " (");
        if (f->detail) {
            const char *k;
            const json_t *v;
            bool first = true;
            json_object_foreach((json_t *)fd, k, v) {
                if (!first) rw_raw(w, ", ");
                first = false;
                rw_escf(w, "%s: %lld", k, (long long)json_integer_value(v));
            }
        } else {
            rw_kv_inline(w, fd);
        }
        rw_raw(w, ")");
    }
    if (rs(lv, "error")) {
        rw_raw(w, "; error: ");
        rw_esc(w, rs(lv, "error"));
    }
    f->kv_row_end(w);
    kv_code(w, "audit object", rs(lv, "object"));
    rw_raw(w, f->kv_end);
    if (rb(lv, "export_after")) {
        rw_raw(w, f->para[0]);
        f->mark(w, -1);
        rw_raw(w, "An export ran after this verify run; it is not covered by it.");
        rw_raw(w, f->para[1]);
    }
}

static void audit_chain(rw *w, const json_t *ch)
{
    const arc_report_fmt *f = w->f;
    heading(w, 3, "Audit chain");
    f->kv_begin(w, RW_KV_FLAT);
    f->kv_row(w, "state", NULL);
    if (rb(ch, "ok") && ru(ch, "objects")) {
        f->mark(w, 1);
        rw_raw(w, "intact (the check of ");
        f->code(w, "tsarchive audit verify");
        rw_raw(w, " passes)");
    } else if (rb(ch, "ok")) {
        f->mark(w, -1);
        strong(w, "no audit log");
    } else {
        f->mark(w, 0);
        strong(w, "BROKEN");
        rw_raw(w, ": ");
        rw_esc(w, rs(ch, "error"));
    }
    f->kv_row_end(w);
    if (rb(ch, "ok")) {
        kv_num(w, "runs", NULL, ch, "runs");
        kv_num(w, "entries", NULL, ch, "entries");
        f->kv_row(w, "head hash", "hash");
        f->cell_hash(w, rs(ch, "head"));
        f->kv_row_end(w);
    } else {
        if (rs(ch, "broken_object")) {
            f->kv_row(w, "where", NULL);
            f->code(w, rs(ch, "broken_object"));
            if (json_object_get(ch, "broken_line")) {
                rw_raw(w, ", line ");
                rw_num(w, ch, "broken_line");
            }
            f->kv_row_end(w);
        }
        f->kv_row(w, "head hash", NULL);
        em(w, "none: a broken chain has no trustworthy head");
        f->kv_row_end(w);
    }
    kv_num(w, "log objects", NULL, ch, "objects");
    rw_raw(w, f->kv_end);
}

static void integrity(rw *w, const json_t *m)
{
    w->f->section(w, "integrity", "Integrity proof");
    heading(w, 3, "Manifests");
    manifests(w, m);
    heading(w, 3, "SHA-256 of every data file");
    data_files(w, m);
    latest_verify(w, json_object_get(m, "latest_verify"));
    audit_chain(w, json_object_get(json_object_get(m, "audit"), "chain"));
    rw_raw(w, w->f->section_end);
}

/* ---- retention ---- */

static void lifecycle_rules(rw *w, const json_t *lcs)
{
    const arc_report_fmt *f = w->f;
    static const char *const heads[2][7] = {
        {"lifecycle rule", "enabled", "prefix", "transitions", "expiration (days)",
         "noncurrent expiration (days)", NULL},
        {"id", "enabled", "prefix", "transitions", "expiration (days)",
         "noncurrent expiration (days)", NULL}};
    if (f->detail) heading(w, 3, "Lifecycle rules for the archive prefix");
    f->table_begin(w, NULL, heads[f->detail]);
    size_t i;
    const json_t *lc;
    json_array_foreach(lcs, i, lc) {
        f->cell(w, 0, NULL);
        f->code(w, rs(lc, "id"));
        f->cell(w, 1, NULL);
        rw_yesno(w, lc, "enabled");
        f->cell(w, 2, NULL);
        f->code(w, rs(lc, "prefix"));
        f->cell(w, 3, NULL);
        size_t k;
        const json_t *t;
        json_array_foreach(json_object_get(lc, "transitions"), k, t) {
            if (k) rw_raw(w, f->br);
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
        f->cell(w, 4, NULL);
        if (rs(lc, "expiration_date"))
            rw_esc(w, rs(lc, "expiration_date"));
        else
            rw_optnum(w, lc, "expiration_days");
        f->cell(w, 5, NULL);
        rw_optnum(w, lc, "noncurrent_expiration_days");
        rw_raw(w, f->row_end);
    }
    rw_raw(w, f->table_end);
}

static void object_locks(rw *w, const json_t *objs)
{
    const arc_report_fmt *f = w->f;
    static const char *const heads[] = {"object", "storage class", "lock", "locked until",
                                        "required until", "held", NULL};
    if (f->detail) {
        rw_raw(w, f->fold[0]);
        rw_escf(w, "Retention of every archive object (%zu)", json_array_size(objs));
        rw_raw(w, f->fold[1]);
    }
    f->table_begin(w, NULL, heads);
    size_t i;
    const json_t *o;
    json_array_foreach(objs, i, o) {
        f->cell(w, 0, NULL);
        f->code(w, rs(o, "key"));
        if (json_is_false(json_object_get(o, "present"))) {
            rw_raw(w, " ");
            strong(w, "(absent)");
        }
        f->cell(w, 1, NULL);
        rw_field(w, o, "storage_class", "-");
        f->cell(w, 2, NULL);
        rw_field(w, o, "lock_mode", "none");
        if (rb(o, "legal_hold")) rw_raw(w, ", legal hold");
        f->cell(w, 3, "t");
        rw_field(w, o, "lock_until", "-");
        f->cell(w, 4, "t");
        rw_field(w, o, "required_until", "-");
        f->cell(w, 5, NULL);
        f->mark(w, rb(o, "held") ? 1 : 0);
        rw_yesno(w, o, "held");
        rw_raw(w, f->row_end);
    }
    rw_raw(w, f->detail ? f->fold[2] : f->table_end);
}

static void assessment(rw *w, const json_t *r, const json_t *a)
{
    const arc_report_fmt *f = w->f;
    bool s3 = is(rs(r, "kind"), "s3");
    const char *v = rs(a, "verdict");
    f->kv_begin(w, RW_KV_FLAT);
    f->kv_row(w, "policy", NULL);
    rw_escf(w, "keep every archive object %lld years from its export",
            (long long)json_integer_value(json_object_get(a, "years")));
    f->kv_row_end(w);
    f->kv_row(w, "verdict", NULL);
    f->mark(w, is(v, "holds") ? 1 : 0);
    wrap(w, w->f->strong, verdict_text(v), true);
    f->kv_row_end(w);
    kv_field(w, "assessed at", a, "assessed_at", "?");
    const json_t *b = json_object_get(a, "bucket_settings");
    if (s3 && json_is_object(b)) {
        const json_t *ol = json_object_get(b, "object_lock");
        f->kv_row(w, "bucket versioning", NULL);
        rw_field(w, b, "versioning", "never enabled");
        rw_raw(w, " (MFA delete: ");
        rw_yesno(w, b, "mfa_delete");
        rw_raw(w, ")");
        f->kv_row_end(w);
        f->kv_row(w, "Object Lock", NULL);
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
            strong(w, "not enabled");
            rw_raw(w, " on the bucket");
        }
        f->kv_row_end(w);
        f->kv_row(w, "lifecycle", NULL);
        if (rb(b, "lifecycle_configuration")) {
            rw_raw(w, "configured: ");
        } else {
            strong(w, "no configuration");
            rw_raw(w, ": ");
        }
        rw_escf(w, "%zu rule(s) touch the archive prefix, %lld other rule(s)",
                json_array_size(json_object_get(b, "lifecycle_rules")),
                (long long)json_integer_value(json_object_get(b, "other_lifecycle_rules")));
        f->kv_row_end(w);
    }
    f->kv_row(w, "archive objects", NULL);
    rw_num(w, a, "objects_held");
    rw_raw(w, " held of ");
    rw_num(w, a, "objects_total");
    rw_raw(w, "; ");
    rw_num(w, a, "objects_exposed");
    rw_raw(w, " could be deleted or overwritten before their date");
    f->kv_row_end(w);
    kv_field(w, "latest lock until", a, "latest_lock_until", "no object is locked");
    if (rs(a, "unreadable") && *rs(a, "unreadable")) {
        f->kv_row(w, "could not read", NULL);
        rw_esc(w, rs(a, "unreadable"));
        f->kv_row_end(w);
    }
    rw_raw(w, f->kv_end);

    if (f->detail) heading(w, 3, "Rules of the policy");
    static const char *const heads[] = {"rule", "verdict", "required", "why", NULL};
    f->table_begin(w, NULL, heads);
    size_t i;
    const json_t *ru_;
    json_array_foreach(json_object_get(a, "rules"), i, ru_) {
        const char *rv = rs(ru_, "verdict");
        f->cell(w, 0, NULL);
        rw_esc(w, rs(ru_, "rule"));
        f->cell(w, 1, "t");
        f->mark(w, is(rv, "holds") ? 1 : rb(ru_, "required") ? 0 : -1);
        rw_esc(w, verdict_text(rv));
        f->cell(w, 2, NULL);
        rw_yesno(w, ru_, "required");
        f->cell(w, 3, NULL);
        rw_esc(w, rs(ru_, "why"));
        rw_raw(w, f->row_end);
    }
    rw_raw(w, f->table_end);
    const json_t *lcs = b ? json_object_get(b, "lifecycle_rules") : NULL;
    if (json_array_size(lcs)) lifecycle_rules(w, lcs);
    const json_t *objs = json_object_get(a, "objects");
    if (json_array_size(objs)) object_locks(w, objs);
}

/* What HEAD told of the objects' locks, when the bucket was not assessed. */
static void head_locks(rw *w, const json_t *r)
{
    const arc_report_fmt *f = w->f;
    rw_raw(w, f->para[0]);
    rw_esc(w, rs(r, "statement"));
    rw_raw(w, f->para[1]);
    f->kv_begin(w, RW_KV_FLAT);
    f->kv_row(w, "objects checked", NULL);
    rw_num(w, r, "objects_checked");
    if (f->detail && ru(r, "objects_not_checked")) {
        rw_raw(w, " (");
        rw_num(w, r, "objects_not_checked");
        rw_raw(w, " not checked)");
    }
    f->kv_row_end(w);
    f->kv_row(w, "locked now", NULL);
    rw_num(w, r, "locked");
    const json_t *modes = json_object_get(r, "modes");
    if (json_object_size(modes)) {
        rw_raw(w, " (");
        rw_kv_inline(w, modes);
        rw_raw(w, ")");
    }
    f->kv_row_end(w);
    kv_num(w, "lock expired", NULL, r, "lock_expired");
    kv_num(w, "never locked", NULL, r, "unlocked");
    f->kv_row(w, "locked until", NULL);
    rw_field(w, r, "earliest_until", "-");
    rw_raw(w, " (earliest) to ");
    rw_field(w, r, "latest_until", "-");
    rw_raw(w, " (latest)");
    f->kv_row_end(w);
    /* HTML: one row with the examples; Markdown: a row each */
    const json_t *ex = json_object_get(r, "unlocked_examples");
    size_t i;
    const json_t *e;
    if (f->detail && json_array_size(ex)) {
        f->kv_row(w, "unlocked objects (first)", NULL);
        json_array_foreach(ex, i, e) {
            if (i) rw_raw(w, f->br);
            f->code(w, json_string_value(e));
        }
        f->kv_row_end(w);
    } else if (!f->detail) {
        json_array_foreach(ex, i, e) {
            kv_code(w, "unlocked", json_string_value(e));
        }
    }
    rw_raw(w, f->kv_end);
}

static void retention(rw *w, const json_t *m)
{
    const arc_report_fmt *f = w->f;
    const json_t *r = json_object_get(m, "retention");
    bool local = is(rs(r, "kind"), "local");
    f->section(w, "retention", "Retention");
    if (local) {
        rw_raw(w, f->para[0]);
        f->mark(w, -1);
        rw_esc(w, rs(r, "statement"));
        rw_raw(w, f->para[1]);
    }
    if (rs(r, "assessment_error")) {
        rw_raw(w, f->para[0]);
        f->mark(w, -1);
        strong(w, "The retention settings could not be assessed:");
        rw_raw(w, " ");
        rw_esc(w, rs(r, "assessment_error"));
        rw_raw(w, f->para[1]);
    }
    if (local && !json_object_get(r, "assessment")) {
        /* nothing more to say */
    } else if (is(rs(r, "source"), "assessment")) {
        assessment(w, r, json_object_get(r, "assessment"));
    } else {
        head_locks(w, r);
    }
    rw_raw(w, f->section_end);
}

/* ---- history ---- */

static void who(rw *w, const json_t *r)
{
    const json_t *id = json_object_get(r, "identity");
    if (!json_is_object(id)) {
        em(w, "no identity recorded");
        return;
    }
    if (rs(id, "arn") && *rs(id, "arn")) {
        tt(w, rs(id, "arn"));
        return;
    }
    const char *cs = rs(id, "credentials"), *pr = rs(id, "profile"), *rg = rs(id, "region");
    rw_escf(w, "credentials %s", cs && *cs ? cs : "unknown");
    if (pr && *pr) rw_escf(w, ", profile %s", pr);
    if (rg && *rg) rw_escf(w, ", region %s", rg);
    rw_raw(w, " ");
    em(w, "(no caller ARN)");
}

static void run_row(rw *w, const json_t *r)
{
    const arc_report_fmt *f = w->f;
    f->cell(w, 0, "t");
    rw_field(w, r, "started", "?");
    f->cell(w, 1, NULL);
    if (f->detail) rw_raw(w, f->strong[0]);
    rw_field(w, r, "command", "?");
    if (f->detail) rw_raw(w, f->strong[1]);
    f->cell(w, 2, NULL);
    who(w, r);
    f->cell(w, 3, NULL);
    bool any = false;
    static const char *const wh[] = {"source", "target", "root"};
    for (size_t k = 0; k < sizeof wh / sizeof *wh; k++)
        if (rs(r, wh[k])) {
            if (any) rw_raw(w, f->br);
            rw_escf(w, "%s: ", wh[k]);
            tt(w, rs(r, wh[k]));
            any = true;
        }
    const json_t *args = json_object_get(r, "arguments");
    if (json_object_size(args)) {
        if (any) rw_raw(w, f->br);
        rw_raw(w, "arguments: ");
        rw_raw(w, f->tt[0]);
        rw_kv_inline(w, args);
        rw_raw(w, f->tt[1]);
    }
    f->cell(w, 4, NULL);
    const char *oc = rs(r, "outcome");
    f->mark(w, !oc ? -1 : strcmp(oc, "ok") == 0 ? 1 : 0);
    rw_field(w, r, "outcome", "no end entry (unfinished)");
    if (rs(r, "error")) {
        rw_raw(w, f->detail ? f->br : ": ");
        rw_esc(w, rs(r, "error"));
    }
    f->cell(w, 5, NULL);
    rw_kv_inline(w, json_object_get(r, "counts"));
    if (ru(r, "unreadable_lines")) {
        rw_raw(w, f->br);
        rw_raw(w, f->bad[0]);
        rw_escf(w, "%llu unreadable lines", (unsigned long long)ru(r, "unreadable_lines"));
        rw_raw(w, f->bad[1]);
    }
    rw_raw(w, f->row_end);
}

static void history(rw *w, const json_t *m)
{
    const arc_report_fmt *f = w->f;
    f->section(w, "history", "History (from the audit log)");
    const json_t *hist = json_object_get(m, "history");
    if (!json_array_size(hist)) {
        para_em(w, "The audit log records no run.");
        rw_raw(w, f->section_end);
        return;
    }
    static const char *const run_heads[] = {"started (UTC)", "command", "who", "what", "outcome",
                                            "counts", NULL};
    f->table_begin(w, "hist", run_heads);
    size_t i, nres = 0;
    const json_t *r;
    json_array_foreach(hist, i, r) {
        nres += json_array_size(json_object_get(r, "resources"));
        run_row(w, r);
    }
    rw_raw(w, f->table_end);
    heading(w, 3, "Deleted cloud resources");
    if (!nres) {
        para_em(w, "The audit log records no deleted resource (no cleanup run with deletions).");
        rw_raw(w, f->section_end);
        return;
    }
    static const char *const res_heads[] = {"when", "run", "kind", "name", "ARN", "outcome", NULL};
    f->table_begin(w, NULL, res_heads);
    json_array_foreach(hist, i, r) {
        size_t k;
        const json_t *d;
        json_array_foreach(json_object_get(r, "resources"), k, d) {
            f->cell(w, 0, NULL);
            rw_field(w, d, "when", "?");
            f->cell(w, 1, NULL);
            rw_field(w, r, "command", "?");
            f->cell(w, 2, NULL);
            rw_field(w, d, "kind", "-");
            f->cell(w, 3, NULL);
            tt(w, rs(d, "name"));
            f->cell(w, 4, NULL);
            rw_raw(w, f->tt[0]);
            rw_field(w, d, "arn", "none recorded");
            rw_raw(w, f->tt[1]);
            f->cell(w, 5, NULL);
            rw_field(w, d, "outcome", rs(d, "event") ? rs(d, "event") : "-");
            if (rs(d, "error")) {
                rw_raw(w, ": ");
                rw_esc(w, rs(d, "error"));
            }
            rw_raw(w, f->row_end);
        }
    }
    rw_raw(w, f->table_end);
    rw_raw(w, f->section_end);
}

ts_status arc_report_render(const arc_report_fmt *f, const json_t *m, ts_buf *out, ts_error *err)
{
    rw w = {.b = out, .st = TS_OK, .f = f};
    f->front(&w, m);
    summary(&w, m);
    archived(&w, m);
    where(&w, m);
    integrity(&w, m);
    retention(&w, m);
    history(&w, m);
    f->back(&w, m);
    if (w.st != TS_OK) return ts_err_set(err, w.st, "the %s report does not fit in memory", f->name);
    return TS_OK;
}
