/* The report's model: every figure read from the archive (object listing,
 * manifests, audit log) into one JSON object. Nothing is typed in; what is
 * absent is recorded as absent, with a note saying so. */
#include "arc_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arc_audit.h"
#include "arc_layout.h"
#include "arc_manifest.h"
#include "arc_storage.h"
#include "core/ts_alloc.h"
#include "core/ts_hash.h"
#include "core/ts_time.h"
#include "ts_version.h"


/* A month span longer than this is listed by its files only (no zero-filled gaps). */
#define MAX_FILLED_MONTHS 1200

/* ---- small JSON helpers ---- */

static void jset_str(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, v ? json_string(v) : json_null());
}

static void jset_int(json_t *o, const char *k, uint64_t v)
{
    json_object_set_new(o, k, json_integer((json_int_t)v));
}

static void jset_time(json_t *o, const char *k, int64_t ns, bool valid)
{
    if (!valid) {
        json_object_set_new(o, k, json_null());
        return;
    }
    char b[TS_TIME_STR_MAX];
    ts_time_format(ns, b);
    json_object_set_new(o, k, json_string(b));
}

static void note(json_t *model, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(json_t *model, const char *level, const char *fmt, ...)
{
    char m[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    json_t *n = json_object();
    jset_str(n, "level", level);
    jset_str(n, "text", m);
    json_array_append_new(json_object_get(model, "notes"), n);
}

static void month_name(int64_t ns, char out[16])
{
    arc_month m = arc_month_of(ns);
    snprintf(out, 16, "%04lld-%02u", (long long)m.year, m.month);
}

/* ---- the object listing ---- */

typedef struct obj {
    char *key; /* relative to the root */
    uint64_t size;
} obj;

typedef struct listing {
    obj *v;
    size_t n, cap;
} listing;

static ts_status list_cb(void *user, const char *key, uint64_t size, ts_error *err)
{
    listing *l = user;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        obj *v = ts_realloc(l->v, nc * sizeof *v);
        if (!v) return ts_err_set(err, TS_ERR_NOMEM, "out of memory listing the archive");
        l->v = v;
        l->cap = nc;
    }
    l->v[l->n].key = ts_strdup(key);
    if (!l->v[l->n].key) return ts_err_set(err, TS_ERR_NOMEM, "out of memory listing the archive");
    l->v[l->n].size = size;
    l->n++;
    return TS_OK;
}

static void listing_free(listing *l)
{
    for (size_t i = 0; i < l->n; i++) ts_free(l->v[i].key);
    ts_free(l->v);
    memset(l, 0, sizeof *l);
}

static int obj_cmp(const void *a, const void *b)
{
    return strcmp(((const obj *)a)->key, ((const obj *)b)->key);
}

/* ---- storage description ---- */

static json_t *storage_json(arc_storage *s, const arc_report_opts *o, const listing *l,
                            size_t plen)
{
    json_t *j = json_object();
    bool s3 = strcmp(s->ops->scheme, "s3") == 0;
    jset_str(j, "kind", s3 ? "s3" : "local");
    jset_str(j, "url", arc_storage_describe(s));
    if (s3) {
        /* s3://bucket[/root-prefix] + archive prefix */
        const char *u = o->root + 5;
        const char *slash = strchr(u, '/');
        size_t bl = slash ? (size_t)(slash - u) : strlen(u);
        json_object_set_new(j, "bucket", json_stringn(u, bl));
        char kp[ARC_PATH_MAX * 2];
        const char *rp = slash ? slash + 1 : "";
        size_t rl = strlen(rp);
        snprintf(kp, sizeof kp, "%s%s%s", rp, (rl && rp[rl - 1] != '/') ? "/" : "", o->prefix);
        jset_str(j, "key_prefix", kp);
        jset_str(j, "region", o->region);
    } else {
        jset_str(j, "path", arc_storage_describe(s));
        jset_str(j, "archive_prefix", o->prefix);
    }
    uint64_t n = 0, bytes = 0, dn = 0, db = 0, an = 0, ab = 0, mn = 0, mb = 0, on = 0, ob = 0;
    for (size_t i = 0; i < l->n; i++) {
        const char *k = l->v[i].key + plen;
        uint64_t sz = l->v[i].size;
        n++;
        bytes += sz;
        size_t kl = strlen(k);
        const char *slash = strchr(k, '/');
        if (strncmp(k, ARC_AUDIT_DIR "/", sizeof ARC_AUDIT_DIR) == 0) {
            an++;
            ab += sz;
        } else if (slash && strcmp(slash + 1, ARC_MANIFEST_NAME) == 0) {
            mn++;
            mb += sz;
        } else if (kl > 8 && strcmp(k + kl - 8, ".parquet") == 0) {
            dn++;
            db += sz;
        } else {
            on++;
            ob += sz;
        }
    }
    jset_int(j, "objects", n);
    jset_int(j, "bytes", bytes);
    json_object_set_new(j, "data_files", json_pack("{s:I,s:I}", "objects", (json_int_t)dn,
                                                   "bytes", (json_int_t)db));
    json_object_set_new(j, "manifests", json_pack("{s:I,s:I}", "objects", (json_int_t)mn,
                                                  "bytes", (json_int_t)mb));
    json_object_set_new(j, "audit_log", json_pack("{s:I,s:I}", "objects", (json_int_t)an,
                                                  "bytes", (json_int_t)ab));
    json_object_set_new(j, "other", json_pack("{s:I,s:I}", "objects", (json_int_t)on, "bytes",
                                              (json_int_t)ob));
    return j;
}

/* ---- manifests ---- */

static json_t *table_json(const arc_table *t)
{
    json_t *j = json_object();
    jset_str(j, "name", t->name);
    jset_int(j, "records", t->records);
    jset_time(j, "min_time", t->min_time, t->records > 0);
    jset_time(j, "max_time", t->max_time, t->records > 0);
    jset_str(j, "time_unit", t->time_unit);
    json_object_set_new(j, "time_ns", json_boolean(t->time_ns));
    json_t *cols = json_array();
    for (size_t i = 0; i < t->ncols; i++) {
        const arc_column *c = &t->cols[i];
        json_t *cj = json_object();
        jset_str(cj, "name", c->name);
        jset_str(cj, "role", arc_role_name(c->role));
        jset_str(cj, "type", ts_type_name(c->type));
        jset_str(cj, "source_type", c->source_type);
        json_array_append_new(cols, cj);
    }
    json_object_set_new(j, "columns", cols);
    json_t *files = json_array();
    uint64_t bytes = 0;
    for (size_t i = 0; i < t->nfiles; i++) {
        const arc_file *f = &t->files[i];
        json_t *fj = json_object();
        char mn[16] = "";
        if (f->records) month_name(f->min_time, mn);
        jset_str(fj, "path", f->path);
        jset_str(fj, "month", f->records ? mn : NULL);
        jset_int(fj, "records", f->records);
        jset_time(fj, "min_time", f->min_time, f->records > 0);
        jset_time(fj, "max_time", f->max_time, f->records > 0);
        jset_int(fj, "size", f->size);
        json_object_set_new(fj, "sha256", json_stringn(f->sha256, 64));
        json_array_append_new(files, fj);
        bytes += f->size;
    }
    json_object_set_new(j, "files", files);
    jset_int(j, "bytes", bytes);
    /* Per calendar month (UTC), from the files (one per month); the months
     * between the first and the last without a file are shown as 0. */
    json_t *months = json_array();
    bool have = false;
    arc_month lo = {0, 1}, hi = {0, 1};
    for (size_t i = 0; i < t->nfiles; i++) {
        if (!t->files[i].records) continue;
        arc_month m = arc_month_of(t->files[i].min_time);
        if (!have || arc_month_cmp(m, lo) < 0) lo = m;
        if (!have || arc_month_cmp(m, hi) > 0) hi = m;
        have = true;
    }
    if (have) {
        int64_t span = (hi.year - lo.year) * 12 + (int64_t)hi.month - (int64_t)lo.month + 1;
        bool fill = span <= MAX_FILLED_MONTHS;
        json_t *byname = json_object();
        for (size_t i = 0; i < t->nfiles; i++) {
            if (!t->files[i].records) continue;
            char mn[16];
            month_name(t->files[i].min_time, mn);
            json_t *c = json_object_get(byname, mn);
            json_object_set_new(byname, mn, json_integer((c ? json_integer_value(c) : 0) +
                                                         (json_int_t)t->files[i].records));
        }
        if (fill) {
            for (arc_month m = lo;; m = arc_month_next(m)) {
                char mn[16];
                snprintf(mn, sizeof mn, "%04lld-%02u", (long long)m.year, m.month);
                json_t *c = json_object_get(byname, mn);
                json_array_append_new(months, json_pack("{s:s,s:I}", "month", mn, "records",
                                                        c ? json_integer_value(c) : 0));
                if (arc_month_cmp(m, hi) >= 0) break;
            }
        } else {
            const char *k;
            json_t *v;
            json_object_foreach(byname, k, v) {
                json_array_append_new(months, json_pack("{s:s,s:I}", "month", k, "records",
                                                        json_integer_value(v)));
            }
        }
        json_decref(byname);
    }
    json_object_set_new(j, "months", months);
    return j;
}

/* One database: its manifest read, hashed and parsed. */
static ts_status database_json(arc_storage *s, const char *prefix, const char *db, bool has_manifest,
                               bool has_state, json_t *model, json_t **out, ts_error *err)
{
    json_t *j = json_object();
    *out = j;
    jset_str(j, "name", db);
    char key[ARC_PATH_MAX];
    TS_TRY(arc_join(key, sizeof key, err, prefix, db, ARC_MANIFEST_NAME));
    json_t *mj = json_object();
    json_object_set_new(j, "manifest", mj);
    jset_str(mj, "key", key);
    json_object_set_new(j, "tables", json_array());
    json_object_set_new(j, "unfinished_export", json_boolean(has_state));
    if (!has_manifest) {
        json_object_set_new(mj, "present", json_false());
        note(model, "error",
             "database %s has no %s%s: nothing in it can be vouched for", db, ARC_MANIFEST_NAME,
             has_state ? " (an export of it is unfinished)" : "");
        return TS_OK;
    }
    json_object_set_new(mj, "present", json_true());
    ts_buf b;
    ts_buf_init(&b, ARC_REPORT_MAX_MANIFEST);
    ts_status st = arc_storage_read_all(s, key, &b, ARC_REPORT_MAX_MANIFEST, err);
    if (st == TS_ERR_CORRUPT || st == TS_ERR_LIMIT || st == TS_ERR_NOT_FOUND) {
        char m[TS_ERR_MSG_MAX + TS_ERR_CTX_MAX + 8];
        ts_err_format(err, m, sizeof m);
        ts_err_clear(err);
        jset_str(mj, "error", m);
        note(model, "error", "the manifest of database %s cannot be read: %s", db, m);
        ts_buf_free(&b);
        return TS_OK;
    }
    if (st != TS_OK) {
        ts_buf_free(&b);
        return st;
    }
    uint8_t h[TS_SHA256_LEN];
    char hex[TS_SHA256_HEX_LEN];
    ts_sha256_once(b.data, b.len, h);
    ts_hex(h, sizeof h, hex);
    json_object_set_new(mj, "sha256", json_stringn(hex, 64));
    jset_int(mj, "size", b.len);
    arc_manifest m;
    arc_manifest_init(&m);
    ts_error perr;
    ts_err_clear(&perr);
    if (arc_manifest_parse(b.len ? (const char *)b.data : "", b.len, &m, &perr) != TS_OK) {
        char msg[TS_ERR_MSG_MAX + TS_ERR_CTX_MAX + 8];
        ts_err_format(&perr, msg, sizeof msg);
        json_object_set_new(mj, "valid", json_false());
        jset_str(mj, "error", msg);
        note(model, "error", "the manifest of database %s is invalid: %s", db, msg);
        ts_buf_free(&b);
        return TS_OK;
    }
    ts_buf_free(&b);
    json_object_set_new(mj, "valid", json_true());
    json_object_set_new(mj, "format_version", json_integer(m.format_version));
    jset_str(mj, "export_id", m.export_id);
    jset_time(mj, "started_at", m.started_at, true);
    jset_time(mj, "finished_at", m.finished_at, true);
    jset_str(mj, "compression", m.compression);
    json_object_set_new(mj, "tool", json_object());
    jset_str(json_object_get(mj, "tool"), "version", m.tool_version);
    jset_str(json_object_get(mj, "tool"), "build", m.tool_build);
    json_t *src = json_object();
    jset_str(src, "kind", m.source_kind);
    jset_str(src, "region", m.source_region);
    jset_str(src, "endpoint", m.source_endpoint);
    jset_str(src, "database", m.source_database);
    json_object_set_new(j, "source", src);
    json_t *tables = json_object_get(j, "tables");
    for (size_t i = 0; i < m.ntables; i++) json_array_append_new(tables, table_json(&m.tables[i]));
    arc_totals tt;
    arc_manifest_totals(&m, &tt);
    json_object_set_new(j, "totals",
                        json_pack("{s:I,s:I,s:I,s:I}", "tables", (json_int_t)tt.tables, "files",
                                  (json_int_t)tt.files, "records", (json_int_t)tt.records,
                                  "bytes", (json_int_t)tt.bytes));
    arc_manifest_free(&m);
    return TS_OK;
}

/* ---- the audit log ---- */

typedef struct audit_obj {
    const char *name; /* within the key */
    ts_buf text;
} audit_obj;

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Counts an end entry carries (integers other than seq), as {name: n}. */
static json_t *end_counts(const json_t *end)
{
    json_t *c = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)end, k, v) {
        if (strcmp(k, "seq") == 0) continue;
        if (json_is_integer(v)) json_object_set(c, k, v);
    }
    return c;
}

/* An entry that records a deleted (or detached, or kept) cloud resource. */
static bool is_resource_entry(const char *ev, const json_t *o)
{
    if (json_object_get(o, "arn")) return true;
    if (!ev) return false;
    return strncmp(ev, "delete", 6) == 0 || strncmp(ev, "detach", 6) == 0 ||
           strcmp(ev, "resource") == 0 || strcmp(ev, "item") == 0;
}

static json_t *run_json(const char *name, const char *text, size_t len, size_t *bad_lines)
{
    json_t *r = json_object();
    jset_str(r, "object", name);
    json_t *events = json_object(), *deleted = json_array(), *manifests = json_array();
    json_t *start = NULL, *end = NULL, *first = NULL;
    size_t pos = 0, lines = 0;
    *bad_lines = 0;
    while (pos < len) {
        const char *p = text + pos;
        const char *nl = memchr(p, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - p) : len - pos;
        pos += n + 1;
        if (n == 0) continue;
        lines++;
        json_error_t je;
        json_t *o = json_loadb(p, n, 0, &je);
        if (!json_is_object(o)) {
            json_decref(o);
            (*bad_lines)++;
            continue;
        }
        const char *ev = jstr(o, "event");
        if (!first) first = json_incref(o);
        if (ev && strcmp(ev, "start") == 0 && !start) start = json_incref(o);
        if (ev && strcmp(ev, "end") == 0) {
            json_decref(end);
            end = json_incref(o);
        }
        const char *evk = ev ? ev : "(none)";
        json_t *c = json_object_get(events, evk);
        json_object_set_new(events, evk, json_integer((c ? json_integer_value(c) : 0) + 1));
        if (ev && strcmp(ev, "write-manifest") == 0)
            json_array_append_new(manifests,
                                  json_pack("{s:O?,s:O?,s:O?}", "path", json_object_get(o, "path"),
                                            "sha256", json_object_get(o, "sha256"), "when",
                                            json_object_get(o, "when")));
        if (is_resource_entry(ev, o)) {
            json_t *d = json_object();
            jset_str(d, "event", ev);
            static const char *const keys[] = {"kind", "name", "arn", "parent", "outcome",
                                               "action", "error", "when"};
            for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
                json_t *v = json_object_get(o, keys[i]);
                if (json_is_string(v)) json_object_set(d, keys[i], v);
            }
            /* cleanup logs a failure as {message, code, denied_action} */
            json_t *ev_err = json_object_get(o, "error");
            if (json_is_object(ev_err) && json_is_string(json_object_get(ev_err, "message")))
                json_object_set(d, "error", json_object_get(ev_err, "message"));
            json_array_append_new(deleted, d);
        }
        json_decref(o);
    }
    jset_int(r, "entries", lines);
    if (*bad_lines) jset_int(r, "unreadable_lines", *bad_lines);
    const json_t *any = first ? first : start;
    jset_str(r, "command", any ? jstr(any, "command") : NULL);
    jset_str(r, "run_id", any ? jstr(any, "run_id") : NULL);
    json_t *seq = any ? json_object_get(any, "seq") : NULL;
    json_object_set_new(r, "first_seq", json_is_integer(seq) ? json_incref(seq) : json_null());
    jset_str(r, "started", any ? jstr(any, "when") : NULL);
    jset_str(r, "ended", end ? jstr(end, "when") : NULL);
    jset_str(r, "outcome", end ? jstr(end, "outcome") : NULL);
    json_t *id = start ? json_object_get(start, "identity") : NULL;
    json_object_set_new(r, "identity", json_is_object(id) ? json_deep_copy(id) : json_null());
    json_t *args = start ? json_object_get(start, "arguments") : NULL;
    json_object_set_new(r, "arguments", json_is_object(args) ? json_deep_copy(args) : json_null());
    static const char *const where[] = {"root", "source", "target"};
    for (size_t i = 0; i < 3; i++)
        jset_str(r, where[i], start ? jstr(start, where[i]) : NULL);
    json_object_set_new(r, "counts", end ? end_counts(end) : json_object());
    json_t *findings = end ? json_object_get(end, "findings") : NULL;
    if (json_is_object(findings)) json_object_set(r, "findings", findings);
    jset_str(r, "error", end ? jstr(end, "error") : NULL);
    json_object_set_new(r, "events", events);
    json_object_set_new(r, "resources", deleted);
    json_object_set_new(r, "manifests_written", manifests);
    json_decref(start);
    json_decref(end);
    json_decref(first);
    return r;
}

static int run_cmp(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_t *sx = json_object_get(x, "first_seq"), *sy = json_object_get(y, "first_seq");
    if (json_is_integer(sx) && json_is_integer(sy) &&
        json_integer_value(sx) != json_integer_value(sy))
        return json_integer_value(sx) < json_integer_value(sy) ? -1 : 1;
    return strcmp(jstr(x, "object"), jstr(y, "object"));
}

/* "audit log NAME: line N ..." -> object and line, for the broken chain. */
static void broken_where(const char *msg, json_t *chain)
{
    static const char pfx[] = "audit log ";
    if (strncmp(msg, pfx, sizeof pfx - 1) != 0) return;
    const char *nm = msg + sizeof pfx - 1;
    size_t nl = strcspn(nm, ": ");
    if (nl == 0) return;
    json_object_set_new(chain, "broken_object", json_stringn(nm, nl));
    const char *ln = strstr(nm + nl, "line ");
    if (ln) {
        char *endp;
        unsigned long v = strtoul(ln + 5, &endp, 10);
        if (endp != ln + 5) json_object_set_new(chain, "broken_line", json_integer((json_int_t)v));
    }
}

static ts_status audit_json(arc_storage *s, const listing *l, const char *prefix, json_t *model,
                            ts_error *err)
{
    char dir[ARC_PATH_MAX];
    TS_TRY(arc_join(dir, sizeof dir - 1, err, prefix, ARC_AUDIT_DIR, NULL));
    size_t dl = strlen(dir);
    dir[dl] = '/';
    dir[dl + 1] = '\0';
    dl++;
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t kl = strlen(l->v[i].key);
        if (strncmp(l->v[i].key, dir, dl) == 0 && kl > 6 && strcmp(l->v[i].key + kl - 6, ".jsonl") == 0)
            n++;
    }
    audit_obj *objs = ts_calloc(n ? n : 1, sizeof *objs);
    arc_audit_log *logs = ts_calloc(n ? n : 1, sizeof *logs);
    ts_status st = TS_OK;
    if (!objs || !logs) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory reading the audit log");
    size_t k = 0;
    for (size_t i = 0; i < l->n && st == TS_OK; i++) {
        const char *key = l->v[i].key;
        size_t kl = strlen(key);
        if (!(strncmp(key, dir, dl) == 0 && kl > 6 && strcmp(key + kl - 6, ".jsonl") == 0)) continue;
        const char *slash = strrchr(key, '/');
        objs[k].name = slash ? slash + 1 : key;
        ts_buf_init(&objs[k].text, ARC_AUDIT_MAX_LOG);
        st = arc_storage_read_all(s, key, &objs[k].text, ARC_AUDIT_MAX_LOG, err);
        logs[k].name = objs[k].name;
        logs[k].text = objs[k].text.len ? (const char *)objs[k].text.data : "";
        logs[k].len = objs[k].text.len;
        k++;
    }
    json_t *a = json_object();
    json_object_set_new(model, "audit", a);
    if (st == TS_OK) {
        /* the chain: the same check as `tsarchive audit verify`, on the bytes read here */
        json_t *chain = json_object();
        json_object_set_new(a, "chain", chain);
        arc_audit_report rep;
        ts_error cerr;
        ts_err_clear(&cerr);
        ts_status cst = arc_audit_check(logs, n, &rep, &cerr);
        jset_int(chain, "objects", n);
        if (cst == TS_OK) {
            json_object_set_new(chain, "ok", json_true());
            jset_int(chain, "runs", rep.runs);
            jset_int(chain, "entries", rep.entries);
            json_object_set_new(chain, "head", json_stringn(rep.head, 64));
            if (n == 0)
                note(model, "warning", "the archive has no audit log (no %s%s/ objects)", prefix,
                     ARC_AUDIT_DIR);
        } else if (cst == TS_ERR_NOMEM) {
            st = cst;
            *err = cerr;
        } else {
            char m[TS_ERR_MSG_MAX + TS_ERR_CTX_MAX + 8];
            ts_err_format(&cerr, m, sizeof m);
            json_object_set_new(chain, "ok", json_false());
            jset_str(chain, "error", m);
            broken_where(cerr.msg, chain);
            note(model, "error", "the audit chain is broken: %s", cerr.msg);
        }
        /* the runs, in chain order */
        json_t **runs = ts_calloc(n ? n : 1, sizeof *runs);
        if (!runs && st == TS_OK) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < n && runs; i++) {
            size_t bad;
            runs[i] = run_json(logs[i].name, logs[i].text, logs[i].len, &bad);
        }
        if (runs) {
            if (n) qsort(runs, n, sizeof *runs, run_cmp);
            json_t *hist = json_array();
            for (size_t i = 0; i < n; i++) json_array_append_new(hist, runs[i]);
            json_object_set_new(model, "history", hist);
        }
        ts_free(runs);
    }
    for (size_t i = 0; i < k; i++) ts_buf_free(&objs[i].text);
    ts_free(objs);
    ts_free(logs);
    return st;
}

ts_status arc_report_audit(arc_storage *s, const char *prefix, json_t **out, ts_error *err)
{
    *out = NULL;
    char dir[ARC_PATH_MAX];
    TS_TRY(arc_join(dir, sizeof dir - 1, err, prefix, ARC_AUDIT_DIR, NULL));
    size_t dl = strlen(dir);
    dir[dl] = '/';
    dir[dl + 1] = '\0';
    listing l;
    memset(&l, 0, sizeof l);
    ts_status st = arc_storage_list(s, dir, list_cb, &l, err);
    if (st == TS_ERR_NOT_FOUND) {
        ts_err_clear(err);
        st = TS_OK;
    }
    json_t *model = json_object();
    if (!model && st == TS_OK) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (st == TS_OK) {
        if (l.n) qsort(l.v, l.n, sizeof *l.v, obj_cmp);
        st = audit_json(s, &l, prefix, model, err);
    }
    listing_free(&l);
    if (st == TS_OK) {
        json_t *a = json_object_get(model, "audit");
        json_t *h = json_object_get(model, "history");
        json_object_set(a, "runs", h ? h : json_array());
        *out = json_incref(a);
    }
    json_decref(model);
    return st;
}

/* ---- latest verify ---- */

static void latest_verify(json_t *model)
{
    json_t *hist = json_object_get(model, "history");
    json_t *latest = NULL;
    size_t latest_i = 0, i;
    json_t *r;
    json_array_foreach(hist, i, r) {
        const char *c = jstr(r, "command");
        if (c && strcmp(c, "verify") == 0) {
            latest = r;
            latest_i = i;
        }
    }
    json_t *v = json_object();
    json_object_set_new(model, "latest_verify", v);
    if (!latest) {
        json_object_set_new(v, "present", json_false());
        note(model, "warning",
             "no verify run is recorded in the audit log: the archive has not been verified "
             "(run 'tsarchive verify ROOT')");
        return;
    }
    json_object_set_new(v, "present", json_true());
    static const char *const keys[] = {"object", "run_id", "started", "ended", "outcome",
                                       "identity", "arguments", "counts", "findings", "error"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        json_t *x = json_object_get(latest, keys[k]);
        if (x) json_object_set(v, keys[k], x);
    }
    json_t *args = json_object_get(latest, "arguments");
    bool quick = json_is_true(json_object_get(args, "quick"));
    jset_str(v, "scope", quick ? "quick: sizes and SHA-256 only"
                               : "full: SHA-256 and every page of every file decoded");
    json_t *dbs = json_object_get(args, "database");
    json_object_set_new(v, "databases", json_is_array(dbs) ? json_incref(dbs) : json_null());
    jset_str(v, "against", json_is_string(json_object_get(args, "against"))
                               ? jstr(args, "against") : NULL);
    const char *out = jstr(latest, "outcome");
    json_t *ec = json_object_get(json_object_get(latest, "counts"), "exit_code");
    bool passed = out && strcmp(out, "ok") == 0 && (!ec || json_integer_value(ec) == 0);
    json_object_set_new(v, "passed", json_boolean(passed));
    if (!out)
        note(model, "error", "the latest verify run (%s) has no end entry: it did not finish",
             jstr(latest, "object"));
    else if (!passed)
        note(model, "error", "the latest verify run (%s) did not pass: outcome %s",
             jstr(latest, "object"), out);
    if (quick)
        note(model, "warning", "the latest verify run was --quick: files were hashed, not decoded");
    /* an export after it: the verify does not cover what that export wrote */
    for (size_t k = latest_i + 1; k < json_array_size(hist); k++) {
        const char *c = jstr(json_array_get(hist, k), "command");
        if (c && strcmp(c, "export") == 0) {
            json_object_set_new(v, "export_after", json_true());
            note(model, "warning",
                 "an export ran after the latest verify run (%s): verify again to cover it",
                 jstr(json_array_get(hist, k), "object"));
            break;
        }
    }
    if (!json_object_get(v, "export_after")) json_object_set_new(v, "export_after", json_false());
}

/* Each manifest's SHA-256 against the one its newest export logged
 * ("write-manifest" entries carry the key and the hash). */
static void manifests_vs_audit(json_t *model)
{
    json_t *logged = json_object(); /* key -> {sha256, object} */
    json_t *hist = json_object_get(model, "history");
    size_t i, k;
    json_t *r, *w;
    json_array_foreach(hist, i, r) {
        json_array_foreach(json_object_get(r, "manifests_written"), k, w) {
            const char *path = jstr(w, "path");
            if (!path) continue;
            json_t *e = json_object();
            json_object_set(e, "sha256", json_object_get(w, "sha256"));
            json_object_set(e, "object", json_object_get(r, "object"));
            json_object_set_new(logged, path, e);
        }
    }
    json_t *db;
    json_array_foreach(json_object_get(model, "databases"), i, db) {
        json_t *mj = json_object_get(db, "manifest");
        const char *have = jstr(mj, "sha256");
        if (!have) continue;
        json_t *e = json_object_get(logged, jstr(mj, "key"));
        if (!e) {
            json_object_set_new(mj, "logged_sha256", json_null());
            json_object_set_new(mj, "matches_log", json_null());
            note(model, "warning",
                 "the audit log has no write-manifest entry for %s: its SHA-256 cannot be "
                 "matched to an export run",
                 jstr(mj, "key"));
            continue;
        }
        json_object_set(mj, "logged_sha256", json_object_get(e, "sha256"));
        json_object_set(mj, "logged_by", json_object_get(e, "object"));
        const char *want = jstr(e, "sha256");
        bool same = want && strcmp(want, have) == 0;
        json_object_set_new(mj, "matches_log", json_boolean(same));
        if (!same)
            note(model, "error",
                 "the manifest %s (SHA-256 %s) is not the one its export logged (%s in %s): it "
                 "was replaced or edited afterwards",
                 jstr(mj, "key"), have, want ? want : "none", jstr(e, "object"));
    }
    json_decref(logged);
}

/* ---- retention ---- */

static ts_status retention_json(arc_storage *s, const arc_report_opts *o, const listing *l,
                                size_t plen, json_t *model, ts_error *err)
{
    json_t *r = json_object();
    json_object_set_new(model, "retention", r);
    bool local = strcmp(s->ops->scheme, "s3") != 0;
    jset_str(r, "kind", local ? "local" : "s3");
    if (local)
        jset_str(r, "statement",
                 "The archive is a local directory: nothing stops its files from being changed "
                 "or deleted before the retention period ends, so retention is not enforceable "
                 "there. Copy it to an S3 bucket with versioning and Object Lock to make "
                 "retention provable.");
    if (o->retention) {
        const char *v = jstr(o->retention, "verdict");
        jset_str(r, "source", "assessment");
        jset_str(r, "verdict", v);
        json_object_set_new(r, "enforceable", json_boolean(!local && v && strcmp(v, "holds") == 0));
        json_object_set_new(r, "assessment", json_deep_copy(o->retention));
        if (local) {
            note(model, "warning", "retention is not enforceable on a local directory");
        } else if (!v || strcmp(v, "holds") != 0) {
            json_t *rules = json_object_get(o->retention, "rules");
            char failing[512] = "";
            size_t i, fl = 0;
            json_t *ru;
            json_array_foreach(rules, i, ru) {
                const char *rv = jstr(ru, "verdict");
                if (!json_is_true(json_object_get(ru, "required")) || (rv && strcmp(rv, "holds") == 0))
                    continue;
                int n = snprintf(failing + fl, sizeof failing - fl, "%s%s (%s)", fl ? ", " : "",
                                 jstr(ru, "rule") ? jstr(ru, "rule") : "?", rv ? rv : "?");
                if (n > 0 && (size_t)n < sizeof failing - fl) fl += (size_t)n;
            }
            note(model, "warning", "the %lld-year retention policy does not hold: %s",
                 (long long)json_integer_value(json_object_get(o->retention, "years")),
                 fl ? failing : (v ? v : "no verdict"));
        }
        return TS_OK;
    }
    if (o->retention_error) {
        jset_str(r, "assessment_error", o->retention_error);
        note(model, "warning", "the retention settings could not be assessed: %s",
             o->retention_error);
    }
    if (local) {
        json_object_set_new(r, "enforceable", json_false());
        jset_str(r, "source", "storage kind");
        note(model, "warning", "retention is not enforceable on a local directory");
        return TS_OK;
    }
    /* No bucket-level assessment: each object's lock, as HEAD reports it. */
    jset_str(r, "source", "per-object HEAD");
    jset_str(r, "statement",
             "Per-object Object Lock as HEAD reports it. Bucket versioning, the bucket's default "
             "lock and lifecycle rules were not assessed.");
    char now[TS_TIME_STR_MAX];
    ts_time_format(o->now_ns, now);
    uint64_t checked = 0, locked = 0, unlocked = 0, expired = 0, skipped = 0;
    json_t *modes = json_object(), *unlocked_keys = json_array();
    char earliest[40] = "", latest[40] = "";
    for (size_t i = 0; i < l->n; i++) {
        const char *k = l->v[i].key + plen;
        if (strncmp(k, ARC_AUDIT_DIR "/", sizeof ARC_AUDIT_DIR) == 0) continue;
        if (o->max_heads && checked >= o->max_heads) {
            skipped++;
            continue;
        }
        arc_object_info info;
        memset(&info, 0, sizeof info);
        TS_TRY(arc_storage_head(s, l->v[i].key, &info, err));
        checked++;
        if (!info.lock_mode[0] || !info.lock_until[0]) {
            unlocked++;
            if (json_array_size(unlocked_keys) < 20)
                json_array_append_new(unlocked_keys, json_string(l->v[i].key));
            continue;
        }
        /* ISO 8601 strings of one form compare as times */
        if (strcmp(info.lock_until, now) <= 0) {
            expired++;
            continue;
        }
        locked++;
        json_t *c = json_object_get(modes, info.lock_mode);
        json_object_set_new(modes, info.lock_mode, json_integer((c ? json_integer_value(c) : 0) + 1));
        if (!earliest[0] || strcmp(info.lock_until, earliest) < 0)
            snprintf(earliest, sizeof earliest, "%s", info.lock_until);
        if (!latest[0] || strcmp(info.lock_until, latest) > 0)
            snprintf(latest, sizeof latest, "%s", info.lock_until);
    }
    jset_int(r, "objects_checked", checked);
    jset_int(r, "objects_not_checked", skipped);
    jset_int(r, "locked", locked);
    jset_int(r, "unlocked", unlocked);
    jset_int(r, "lock_expired", expired);
    json_object_set_new(r, "modes", modes);
    jset_str(r, "earliest_until", earliest[0] ? earliest : NULL);
    jset_str(r, "latest_until", latest[0] ? latest : NULL);
    json_object_set_new(r, "unlocked_examples", unlocked_keys);
    json_object_set_new(r, "enforceable", json_boolean(checked && !unlocked && !expired && !skipped));
    if (unlocked || expired)
        note(model, "warning",
             "%llu of %llu archive objects are not under an Object Lock now: they can be "
             "deleted or overwritten",
             (unsigned long long)(unlocked + expired), (unsigned long long)checked);
    return TS_OK;
}

ts_status arc_report_collect(arc_storage *s, const arc_report_opts *o, json_t **out,
                             ts_error *err)
{
    *out = NULL;
    listing l;
    memset(&l, 0, sizeof l);
    ts_status st = arc_storage_list(s, o->prefix, list_cb, &l, err);
    if (st == TS_OK && l.n == 0) {
        char where[ARC_PATH_MAX + 64];
        arc_storage_key_url(s, o->prefix, where, sizeof where);
        st = ts_err_set(err, TS_ERR_NOT_FOUND, "no archive under %s", where);
    }
    if (st != TS_OK) {
        listing_free(&l);
        return st;
    }
    if (l.n) qsort(l.v, l.n, sizeof *l.v, obj_cmp);
    size_t plen = strlen(o->prefix);
    json_t *model = json_object();
    json_object_set_new(model, "report_version", json_integer(ARC_REPORT_VERSION));
    jset_time(model, "generated_at", o->now_ns, true);
    json_object_set_new(model, "tool", json_pack("{s:s,s:s,s:s}", "name", "tsarchive", "version",
                                                 TS_VERSION, "build", TS_BUILD));
    jset_str(model, "root", o->root);
    jset_str(model, "prefix", o->prefix);
    json_object_set_new(model, "notes", json_array());
    json_object_set_new(model, "storage", storage_json(s, o, &l, plen));

    /* databases: the first path segment of every object but _audit/ */
    json_t *dbs = json_array();
    json_object_set_new(model, "databases", dbs);
    uint64_t tables = 0, files = 0, records = 0, bytes = 0;
    for (size_t i = 0; i < l.n && st == TS_OK;) {
        const char *k = l.v[i].key + plen;
        const char *slash = strchr(k, '/');
        if (!slash || strncmp(k, ARC_AUDIT_DIR "/", sizeof ARC_AUDIT_DIR) == 0) {
            i++;
            continue;
        }
        size_t dl = (size_t)(slash - k);
        char db[ARC_NAME_MAX + 1];
        if (dl >= sizeof db) dl = sizeof db - 1;
        memcpy(db, k, dl);
        db[dl] = '\0';
        bool man = false, state = false;
        size_t j = i;
        for (; j < l.n; j++) {
            const char *kj = l.v[j].key + plen;
            if (strncmp(kj, db, dl) != 0 || kj[dl] != '/') break;
            if (strcmp(kj + dl + 1, ARC_MANIFEST_NAME) == 0) man = true;
            if (strcmp(kj + dl + 1, ARC_STATE_NAME) == 0) state = true;
        }
        i = j;
        json_t *dj = NULL;
        st = database_json(s, o->prefix, db, man, state, model, &dj, err);
        if (dj) json_array_append_new(dbs, dj);
        json_t *t = json_object_get(dj, "totals");
        if (t) {
            tables += (uint64_t)json_integer_value(json_object_get(t, "tables"));
            files += (uint64_t)json_integer_value(json_object_get(t, "files"));
            records += (uint64_t)json_integer_value(json_object_get(t, "records"));
            bytes += (uint64_t)json_integer_value(json_object_get(t, "bytes"));
        }
    }
    json_object_set_new(model, "totals",
                        json_pack("{s:I,s:I,s:I,s:I,s:I}", "databases",
                                  (json_int_t)json_array_size(dbs), "tables", (json_int_t)tables,
                                  "files", (json_int_t)files, "records", (json_int_t)records,
                                  "bytes", (json_int_t)bytes));
    if (st == TS_OK && json_array_size(dbs) == 0)
        note(model, "error", "no database is stored under %s%s", arc_storage_describe(s),
             o->prefix);
    if (st == TS_OK) st = audit_json(s, &l, o->prefix, model, err);
    if (st == TS_OK) {
        latest_verify(model);
        manifests_vs_audit(model);
    }
    if (st == TS_OK) st = retention_json(s, o, &l, plen, model, err);
    listing_free(&l);
    if (st != TS_OK) {
        json_decref(model);
        return st;
    }
    *out = model;
    return TS_OK;
}

bool arc_report_has_problems(const json_t *model)
{
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(model, "notes"), i, n) {
        const char *lv = jstr(n, "level");
        if (lv && strcmp(lv, "error") == 0) return true;
    }
    return false;
}

ts_status arc_report_json(const json_t *model, ts_buf *out, ts_error *err)
{
    char *t = json_dumps(model, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!t) return ts_err_set(err, TS_ERR_NOMEM, "out of memory writing the report");
    ts_status st = ts_buf_append_str(out, t);
    if (st == TS_OK) st = ts_buf_append_byte(out, '\n');
    free(t); /* jansson's allocator */
    if (st != TS_OK) return ts_err_set(err, st, "the report does not fit in memory");
    return TS_OK;
}

/* ---- helpers for the renderers ---- */

ts_status arc_report_html_escape(ts_buf *out, const char *s)
{
    if (!s) return TS_OK;
    for (const char *p = s; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        ts_status st = rep ? ts_buf_append_str(out, rep) : ts_buf_append_byte(out, (uint8_t)*p);
        if (st != TS_OK) return st;
    }
    return TS_OK;
}

ts_status arc_report_md_escape(ts_buf *out, const char *s)
{
    if (!s) return TS_OK;
    for (const char *p = s; *p; p++) {
        const char *rep = NULL;
        char two[3] = {'\\', *p, 0};
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '\n': case '\r': case '\t': rep = " "; break;
        case '\\': case '`': case '*': case '_': case '[': case ']': case '|': case '~':
            rep = two;
            break;
        default: break;
        }
        ts_status st = rep ? ts_buf_append_str(out, rep) : ts_buf_append_byte(out, (uint8_t)*p);
        if (st != TS_OK) return st;
    }
    return TS_OK;
}

void arc_report_group(uint64_t v, char *out, size_t outsz)
{
    char d[32];
    int n = snprintf(d, sizeof d, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < outsz; i++) {
        if (i && (n - i) % 3 == 0) out[o++] = ',';
        out[o++] = d[i];
    }
    if (outsz) out[o < outsz ? o : outsz - 1] = '\0';
}

void arc_report_bytes(uint64_t v, char *out, size_t outsz)
{
    static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    double x = (double)v;
    size_t u = 0;
    while (x >= 1000.0 && u + 1 < sizeof unit / sizeof *unit) {
        x /= 1000.0;
        u++;
    }
    if (u == 0)
        snprintf(out, outsz, "%llu B", (unsigned long long)v);
    else
        snprintf(out, outsz, "%.1f %s", x, unit[u]);
}
