/* The cleanup interlock: a Timestream table may be deleted only when the
 * archive verifies for it (checksums and full decode, by arc_verify_run) and
 * its live record count and time range equal the archive's, checked once
 * while planning and again right before DeleteTable (by arc_compare). A
 * table whose manifest records an export window (--since/--until) stays:
 * the archive does not cover the whole live table. */
#include <stdio.h>
#include <string.h>

#include "arc_cleanup_int.h"
#include "arc_compare.h"
#include "arc_layout.h"
#include "arc_manifest.h"
#include "arc_storage.h"
#include "arc_verify.h"
#include "aws/aws.h"
#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "core/ts_time.h"

struct arc_cl_interlock {
    arc_live *live;
};

void arc_cl_interlock_free(arc_cl_interlock *il)
{
    if (!il) return;
    arc_live_free(il->live);
    ts_free(il);
}

/* db and table of a "db.table" item (the database is the parent). */
static const char *table_part(const arc_cl_item *it)
{
    size_t dl = it->parent ? strlen(it->parent) : 0;
    if (dl && strncmp(it->name, it->parent, dl) == 0 && it->name[dl] == '.') return it->name + dl + 1;
    return it->name;
}

static json_t *time_json(uint64_t records, int64_t ns)
{
    if (!records) return json_null();
    char s[TS_TIME_STR_MAX];
    ts_time_format(ns, s);
    return json_string(s);
}

/* What the archive holds for the table: counts, range, files with SHA-256. */
static json_t *archived_json(const char *root, const char *prefix, const arc_manifest *m,
                             const arc_table *t)
{
    json_t *files = json_array();
    for (size_t i = 0; i < t->nfiles; i++) {
        const arc_file *f = &t->files[i];
        char key[ARC_PATH_MAX];
        snprintf(key, sizeof key, "%s%s/%s", prefix, m->database, f->path);
        json_array_append_new(files, json_pack("{s:s,s:s,s:I,s:I}", "key", key, "sha256",
                                               f->sha256, "records", (json_int_t)f->records,
                                               "size", (json_int_t)f->size));
    }
    json_t *o = json_pack("{s:s,s:s,s:I,s:o,s:o,s:o}", "archive", root, "export_id",
                          m->export_id ? m->export_id : "", "records", (json_int_t)t->records,
                          "min_time", time_json(t->records, t->min_time), "max_time",
                          time_json(t->records, t->max_time), "files", files);
    if (o && arc_time_window_bounded(&t->window)) /* export --since/--until */
        json_object_set_new(o, "window", arc_time_window_json(&t->window));
    return o;
}

static ts_status open_live(arc_cl_run *r, ts_error *err)
{
    if (r->il && r->il->live) return TS_OK;
    if (!r->il) {
        r->il = ts_calloc(1, sizeof *r->il);
        if (!r->il) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    char url[256];
    snprintf(url, sizeof url, "timestream://%s", r->o->aws && r->o->aws->region ? r->o->aws->region : "");
    return arc_live_open(url, r->o->client, NULL, &r->il->live, err);
}

/* Live figures of one table against the archive's, every month. *ok when
 * all equal; else the first difference in why. The live totals go into
 * *records/min/max for the audit. */
static ts_status compare_table(arc_cl_run *r, const char *db, const char *table, bool *ok,
                               char *why, size_t whysz, json_t **live_out, ts_error *err)
{
    TS_TRY(open_live(r, err));
    const char *dbs[1] = {db}, *tables[1] = {table};
    arc_compare_opts co = {.root = r->o->archive_root, .prefix = r->o->archive_prefix,
                           .aws = r->o->aws, .client = r->o->client, .databases = dbs,
                           .ndatabases = 1, .tables = tables, .ntables = 1,
                           .cancel = r->o->cancel};
    arc_compare_report rep;
    arc_compare_report_init(&rep);
    ts_status st = arc_compare_with(r->o->archive, r->il->live, &co, &rep, NULL, err);
    if (st == TS_OK) {
        *ok = rep.ndiffer == 0;
        if (rep.nwindows) {
            /* matching inside an export window says nothing of the rows outside it */
            char w[2 * TS_TIME_STR_MAX + 8];
            arc_time_window_text(&rep.windows[0].window, w, sizeof w);
            snprintf(why, whysz,
                     "the archive covers only the export window %s of it (export --since/--until); "
                     "rows outside it are not archived: export it without --since/--until first",
                     w);
            *ok = false;
        }
        uint64_t n = 0;
        int64_t lo = 0, hi = 0;
        for (size_t i = 0; i < rep.nmonths; i++) {
            const arc_compare_month *m = &rep.months[i];
            if (!m->match && why[0] == '\0') {
                char line[1024];
                arc_compare_month_text(m, line, sizeof line);
                snprintf(why, whysz, "the live table differs from the archive: %s", line);
            }
            if (m->live.records) {
                if (!n || m->live.min_time < lo) lo = m->live.min_time;
                if (!n || m->live.max_time > hi) hi = m->live.max_time;
                n += m->live.records;
            }
        }
        if (live_out)
            *live_out = json_pack("{s:I,s:o,s:o}", "records", (json_int_t)n, "min_time",
                                  time_json(n, lo), "max_time", time_json(n, hi));
    }
    arc_compare_report_free(&rep);
    return st;
}

static ts_status read_manifest(arc_storage *s, const char *prefix, const char *db, arc_manifest *m,
                               bool *present, ts_error *err)
{
    char key[ARC_PATH_MAX];
    snprintf(key, sizeof key, "%s%s/%s", prefix, db, ARC_MANIFEST_NAME);
    ts_buf b;
    ts_buf_init(&b, TS_MAX_MANIFEST);
    ts_status st = arc_storage_read_all(s, key, &b, TS_MAX_MANIFEST, err);
    *present = st != TS_ERR_NOT_FOUND;
    if (st == TS_ERR_NOT_FOUND) {
        ts_err_clear(err);
        ts_buf_free(&b);
        return TS_OK;
    }
    if (st == TS_OK) st = arc_manifest_parse((const char *)b.data, b.len, m, err);
    ts_buf_free(&b);
    return st;
}

static void keep_database_of(arc_cl_plan *p, const arc_cl_item *t)
{
    arc_cl_item *db = t->parent ? arc_cl_plan_find(p, ARC_CL_DATABASE, t->parent) : NULL;
    if (db && db->action != ARC_CL_KEEP)
        arc_cl_item_keep(db, ARC_CL_KEEP_INTERLOCK, "its table %s is kept by the interlock", t->name);
}

ts_status arc_cl_interlock_prepare(arc_cl_run *r, ts_error *err)
{
    arc_cl_plan *p = r->p;
    const arc_cl_opts *o = r->o;
    /* the distinct databases of the tables to check */
    size_t ndb = 0;
    const char **dbs = ts_calloc(p->n + 1, sizeof *dbs);
    if (!dbs) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < p->n; i++) {
        arc_cl_item *it = &p->items[i];
        if (it->kind != ARC_CL_TABLE || it->action == ARC_CL_KEEP) continue;
        if (arc_cl_is_forced(o, it->name)) {
            ts_free(it->reason);
            it->reason = ts_strdup("--force-unarchived: deleted without the archive check");
            json_array_append_new(p->forced, json_string(it->name));
            continue;
        }
        if (!o->archive) {
            arc_cl_item_keep(it, ARC_CL_KEEP_INTERLOCK,
                             "no --archive ROOT given: its data is not provably archived");
            continue;
        }
        bool seen = false;
        for (size_t k = 0; k < ndb; k++) seen |= strcmp(dbs[k], it->parent) == 0;
        if (!seen) dbs[ndb++] = it->parent;
    }
    ts_status st = TS_OK;
    arc_manifest *mans = ts_calloc(ndb + 1, sizeof *mans);
    bool *present = ts_calloc(ndb + 1, sizeof *present);
    const char **vdbs = ts_calloc(ndb + 1, sizeof *vdbs);
    size_t nv = 0;
    if (!mans || !present || !vdbs) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t k = 0; st == TS_OK && k < ndb; k++) {
        arc_manifest_init(&mans[k]);
        ts_error me;
        ts_err_clear(&me);
        ts_status ms = read_manifest(o->archive, o->archive_prefix, dbs[k], &mans[k], &present[k], &me);
        if (ms != TS_OK && arc_verify_status_fatal(ms)) {
            st = ms;
            *err = me;
        } else if (ms != TS_OK) {
            present[k] = true; /* there, but unreadable: verify will say why */
        }
        if (present[k]) vdbs[nv++] = dbs[k];
    }
    arc_verify_report vr;
    arc_verify_report_init(&vr);
    if (st == TS_OK && nv) {
        arc_verify_opts vo = {.root = o->archive_root, .prefix = o->archive_prefix,
                              .aws = o->aws, .databases = vdbs, .ndatabases = nv,
                              .jobs = o->verify_jobs > 0 ? o->verify_jobs : 2,
                              .cancel = o->cancel};
        /* the storage's own client is not shareable with worker threads: S3
         * archives are read through the verifier's per-worker clients */
        if (strncmp(o->archive_root, "s3://", 5) != 0) vo.aws = NULL;
        st = arc_verify_run(o->archive, &vo, &vr, err);
        if (st != TS_OK) ts_err_context(err, "verifying the archive %s", o->archive_root);
    }
    for (size_t i = 0; st == TS_OK && i < p->n; i++) {
        arc_cl_item *it = &p->items[i];
        if (it->kind != ARC_CL_TABLE || it->action == ARC_CL_KEEP || arc_cl_is_forced(o, it->name))
            continue;
        const char *tname = table_part(it);
        size_t k = 0;
        while (k < ndb && strcmp(dbs[k], it->parent) != 0) k++;
        if (k == ndb || !present[k]) {
            arc_cl_item_keep(it, ARC_CL_KEEP_INTERLOCK, "database %s is not in the archive %s",
                             it->parent, o->archive_root);
            continue;
        }
        size_t bad = 0;
        const arc_finding *first = NULL;
        for (size_t f = 0; f < vr.nfindings; f++) {
            const arc_finding *fd = &vr.findings[f];
            if (fd->warning || !fd->database || strcmp(fd->database, it->parent) != 0) continue;
            if (fd->table && strcmp(fd->table, tname) != 0) continue;
            if (!first) first = fd;
            bad++;
        }
        if (bad) {
            arc_cl_item_keep(it, ARC_CL_KEEP_INTERLOCK,
                             "the archive does not verify for it (%zu finding%s; first: [%s] %s)",
                             bad, bad == 1 ? "" : "s", arc_finding_kind_name(first->kind),
                             first->message);
            continue;
        }
        const arc_table *mt = arc_manifest_find_table(&mans[k], tname);
        if (!mt) {
            arc_cl_item_keep(it, ARC_CL_KEEP_INTERLOCK, "table %s is not in the archive %s",
                             it->name, o->archive_root);
            continue;
        }
        json_decref(it->held);
        it->held = json_object();
        json_object_set_new(it->held, "archived",
                            archived_json(o->archive_root, o->archive_prefix, &mans[k], mt));
        bool ok = false;
        char why[1536] = "";
        json_t *live = NULL;
        ts_error ce;
        ts_err_clear(&ce);
        ts_status cs = compare_table(r, it->parent, tname, &ok, why, sizeof why, &live, &ce);
        if (live) json_object_set_new(it->held, "live", live);
        if (cs != TS_OK) {
            char m[TS_ERR_MSG_MAX + TS_ERR_CTX_MAX + 8];
            ts_err_format(&ce, m, sizeof m);
            arc_cl_item_keep(it, ARC_CL_KEEP_INTERLOCK, "cannot compare live counts: %s", m);
        } else if (!ok) {
            arc_cl_item_keep(it, ARC_CL_KEEP_INTERLOCK, "%s", why);
        } else {
            ts_free(it->reason);
            it->reason = ts_strdup("archive verified (checksums, full decode) and live counts match");
        }
    }
    /* a kept table keeps its database */
    for (size_t i = 0; i < p->n; i++)
        if (p->items[i].kind == ARC_CL_TABLE && p->items[i].keep == ARC_CL_KEEP_INTERLOCK)
            keep_database_of(p, &p->items[i]);
    arc_verify_report_free(&vr);
    for (size_t k = 0; mans && k < ndb; k++) arc_manifest_free(&mans[k]);
    ts_free(mans);
    ts_free(present);
    ts_free(vdbs);
    ts_free(dbs);
    return st;
}

ts_status arc_cl_interlock_recheck(arc_cl_run *r, arc_cl_item *table, bool *ok, char *why,
                                   size_t whysz, ts_error *err)
{
    why[0] = '\0';
    *ok = false;
    if (arc_cl_is_forced(r->o, table->name)) {
        *ok = true;
        return TS_OK;
    }
    if (!r->o->archive) {
        snprintf(why, whysz, "no --archive ROOT given: its data is not provably archived");
        return TS_OK;
    }
    json_t *live = NULL;
    TS_TRY(compare_table(r, table->parent, table_part(table), ok, why, whysz, &live, err));
    if (live) {
        if (!table->held) table->held = json_object();
        json_object_set_new(table->held, "live", live);
    }
    return TS_OK;
}
