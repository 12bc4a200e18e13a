/* export_metadata.json: building, deterministic serialisation (jansson with
 * sorted keys, sorted tables and files) and validated parsing. */
#include "arc_manifest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arc_layout.h"
#include "core/ts_alloc.h"
#include "core/ts_time.h"

static const char *const role_names[] = {
    [ARC_ROLE_TIME] = "time",
    [ARC_ROLE_TIME_NS] = "time_ns",
    [ARC_ROLE_DIMENSION] = "dimension",
    [ARC_ROLE_MEASURE_NAME] = "measure_name",
    [ARC_ROLE_MEASURE] = "measure",
};

const char *arc_role_name(arc_col_role r)
{
    if ((size_t)r < sizeof role_names / sizeof role_names[0]) return role_names[r];
    return "?";
}

bool arc_role_parse(const char *s, arc_col_role *out)
{
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
        if (strcmp(s, role_names[i]) == 0) {
            *out = (arc_col_role)i;
            return true;
        }
    return false;
}

void arc_manifest_init(arc_manifest *m)
{
    memset(m, 0, sizeof *m);
    m->format_version = ARC_FORMAT_VERSION;
}

static void table_free(arc_table *t)
{
    ts_free(t->name);
    for (size_t i = 0; i < t->ncols; i++) {
        ts_free(t->cols[i].name);
        ts_free(t->cols[i].source_type);
    }
    ts_free(t->cols);
    ts_free(t->time_unit);
    for (size_t i = 0; i < t->nfiles; i++) ts_free(t->files[i].path);
    ts_free(t->files);
    memset(t, 0, sizeof *t);
}

void arc_manifest_free(arc_manifest *m)
{
    if (!m) return;
    ts_free(m->tool_version);
    ts_free(m->tool_build);
    ts_free(m->export_id);
    ts_free(m->source_kind);
    ts_free(m->source_region);
    ts_free(m->source_endpoint);
    ts_free(m->source_database);
    ts_free(m->database);
    ts_free(m->compression);
    ts_free(m->lock_mode);
    ts_free(m->lock_until);
    for (size_t i = 0; i < m->ntables; i++) table_free(&m->tables[i]);
    ts_free(m->tables);
    arc_manifest_init(m);
}

ts_status arc_set_str(char **field, const char *value)
{
    char *c = NULL;
    if (value) {
        c = ts_strdup(value);
        if (!c) return TS_ERR_NOMEM;
    }
    ts_free(*field);
    *field = c;
    return TS_OK;
}

ts_status arc_manifest_add_table(arc_manifest *m, const char *name, arc_table **out)
{
    if (m->ntables == m->tables_cap) {
        size_t ncap = m->tables_cap ? m->tables_cap * 2 : 8;
        arc_table *t = ts_realloc(m->tables, ncap * sizeof *t);
        if (!t) return TS_ERR_NOMEM;
        m->tables = t;
        m->tables_cap = ncap;
    }
    arc_table *t = &m->tables[m->ntables];
    memset(t, 0, sizeof *t);
    t->name = ts_strdup(name);
    t->time_unit = ts_strdup("us");
    if (!t->name || !t->time_unit) {
        table_free(t);
        return TS_ERR_NOMEM;
    }
    m->ntables++;
    *out = t;
    return TS_OK;
}

arc_table *arc_manifest_find_table(arc_manifest *m, const char *name)
{
    for (size_t i = 0; i < m->ntables; i++)
        if (strcmp(m->tables[i].name, name) == 0) return &m->tables[i];
    return NULL;
}

void arc_manifest_remove_table(arc_manifest *m, const char *name)
{
    for (size_t i = 0; i < m->ntables; i++)
        if (strcmp(m->tables[i].name, name) == 0) {
            table_free(&m->tables[i]);
            memmove(&m->tables[i], &m->tables[i + 1], (m->ntables - i - 1) * sizeof m->tables[0]);
            m->ntables--;
            return;
        }
}

ts_status arc_table_add_column(arc_table *t, const char *name, arc_col_role role,
                               const char *source_type, ts_type type)
{
    arc_column *c = ts_realloc(t->cols, (t->ncols + 1) * sizeof *c);
    if (!c) return TS_ERR_NOMEM;
    t->cols = c;
    arc_column *n = &t->cols[t->ncols];
    n->name = ts_strdup(name);
    n->source_type = ts_strdup(source_type ? source_type : "");
    n->role = role;
    n->type = type;
    if (!n->name || !n->source_type) {
        ts_free(n->name);
        ts_free(n->source_type);
        return TS_ERR_NOMEM;
    }
    t->ncols++;
    return TS_OK;
}

const arc_file *arc_table_find_file(const arc_table *t, const char *path)
{
    for (size_t i = 0; i < t->nfiles; i++)
        if (strcmp(t->files[i].path, path) == 0) return &t->files[i];
    return NULL;
}

bool arc_time_window_bounded(const arc_time_window *w)
{
    return w && (w->has_since || w->has_until);
}

void arc_time_window_text(const arc_time_window *w, char *out, size_t outsz)
{
    char a[TS_TIME_STR_MAX] = "-inf", b[TS_TIME_STR_MAX] = "+inf";
    if (w && w->has_since) ts_time_format(w->since, a);
    if (w && w->has_until) ts_time_format(w->until, b);
    snprintf(out, outsz, "%s .. %s", a, b);
}

void arc_table_set_window(arc_table *t, const arc_table *prev, const arc_time_window *read)
{
    arc_time_window w = {0};
    if (read) w = *read;
    if (prev) {
        const arc_time_window *p = &prev->window;
        w.has_since = w.has_since && p->has_since;
        w.since = w.has_since ? (p->since < w.since ? p->since : w.since) : 0;
        w.has_until = w.has_until && p->has_until;
        w.until = w.has_until ? (p->until > w.until ? p->until : w.until) : 0;
    }
    if (!w.has_since) w.since = 0;
    if (!w.has_until) w.until = 0;
    t->window = w;
}

void arc_table_update_totals(arc_table *t)
{
    t->records = 0;
    t->min_time = 0;
    t->max_time = 0;
    bool any = false;
    for (size_t i = 0; i < t->nfiles; i++) {
        const arc_file *f = &t->files[i];
        t->records += f->records;
        if (f->records == 0) continue;
        if (!any || f->min_time < t->min_time) t->min_time = f->min_time;
        if (!any || f->max_time > t->max_time) t->max_time = f->max_time;
        any = true;
    }
}

ts_status arc_table_put_file(arc_table *t, const arc_file *f)
{
    char *path = ts_strdup(f->path);
    if (!path) return TS_ERR_NOMEM;
    for (size_t i = 0; i < t->nfiles; i++)
        if (strcmp(t->files[i].path, f->path) == 0) {
            ts_free(t->files[i].path);
            t->files[i] = *f;
            t->files[i].path = path;
            arc_table_update_totals(t);
            return TS_OK;
        }
    if (t->nfiles == t->files_cap) {
        size_t ncap = t->files_cap ? t->files_cap * 2 : 16;
        arc_file *nf = ts_realloc(t->files, ncap * sizeof *nf);
        if (!nf) {
            ts_free(path);
            return TS_ERR_NOMEM;
        }
        t->files = nf;
        t->files_cap = ncap;
    }
    t->files[t->nfiles] = *f;
    t->files[t->nfiles].path = path;
    t->nfiles++;
    arc_table_update_totals(t);
    return TS_OK;
}

void arc_table_remove_file(arc_table *t, const char *path)
{
    for (size_t i = 0; i < t->nfiles; i++)
        if (strcmp(t->files[i].path, path) == 0) {
            ts_free(t->files[i].path);
            memmove(&t->files[i], &t->files[i + 1], (t->nfiles - i - 1) * sizeof t->files[0]);
            t->nfiles--;
            arc_table_update_totals(t);
            return;
        }
}

void arc_manifest_totals(const arc_manifest *m, arc_totals *tot)
{
    memset(tot, 0, sizeof *tot);
    tot->tables = m->ntables;
    for (size_t i = 0; i < m->ntables; i++) {
        const arc_table *t = &m->tables[i];
        tot->files += t->nfiles;
        for (size_t j = 0; j < t->nfiles; j++) {
            tot->records += t->files[j].records;
            tot->bytes += t->files[j].size;
        }
    }
}

/* ---- writing ---- */

static json_t *jstr_or_null(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *jtime(int64_t ns)
{
    char buf[TS_TIME_STR_MAX];
    ts_time_format(ns, buf);
    return json_string(buf);
}

static int cmp_table_ptr(const void *a, const void *b)
{
    const arc_table *x = *(const arc_table *const *)a, *y = *(const arc_table *const *)b;
    return strcmp(x->name, y->name);
}

static int cmp_file_ptr(const void *a, const void *b)
{
    const arc_file *x = *(const arc_file *const *)a, *y = *(const arc_file *const *)b;
    return strcmp(x->path, y->path);
}

/* json_object_set_new that remembers a failure instead of checking each call. */
static void put(json_t *o, const char *k, json_t *v, bool *ok)
{
    if (!v || json_object_set_new(o, k, v) != 0) *ok = false;
}

static json_t *table_json(const arc_table *t, bool *ok)
{
    json_t *o = json_object();
    if (!o) {
        *ok = false;
        return NULL;
    }
    put(o, "name", json_string(t->name), ok);
    json_t *cols = json_array();
    for (size_t i = 0; cols && i < t->ncols; i++) {
        json_t *c = json_object();
        if (!c) {
            *ok = false;
            break;
        }
        put(c, "name", json_string(t->cols[i].name), ok);
        put(c, "role", json_string(arc_role_name(t->cols[i].role)), ok);
        put(c, "source_type", json_string(t->cols[i].source_type), ok);
        put(c, "type", json_string(ts_type_name(t->cols[i].type)), ok);
        if (json_array_append_new(cols, c) != 0) *ok = false;
    }
    put(o, "columns", cols, ok);
    put(o, "time_unit", json_string(t->time_unit ? t->time_unit : "us"), ok);
    put(o, "time_ns", json_boolean(t->time_ns), ok);
    put(o, "record_count", json_integer((json_int_t)t->records), ok);
    put(o, "min_time", t->records ? jtime(t->min_time) : json_null(), ok);
    put(o, "max_time", t->records ? jtime(t->max_time) : json_null(), ok);
    if (arc_time_window_bounded(&t->window)) { /* optional: only a table an export --since/--until cut */
        json_t *w = json_object();
        if (w) {
            put(w, "since", t->window.has_since ? jtime(t->window.since) : json_null(), ok);
            put(w, "until", t->window.has_until ? jtime(t->window.until) : json_null(), ok);
        }
        put(o, "window", w, ok);
    }
    const arc_file **sorted = ts_malloc((t->nfiles ? t->nfiles : 1) * sizeof *sorted);
    json_t *files = json_array();
    if (!sorted || !files) {
        *ok = false;
    } else {
        for (size_t i = 0; i < t->nfiles; i++) sorted[i] = &t->files[i];
        if (t->nfiles) qsort(sorted, t->nfiles, sizeof *sorted, cmp_file_ptr);
        for (size_t i = 0; i < t->nfiles; i++) {
            const arc_file *f = sorted[i];
            json_t *fo = json_object();
            if (!fo) {
                *ok = false;
                break;
            }
            put(fo, "path", json_string(f->path), ok);
            put(fo, "record_count", json_integer((json_int_t)f->records), ok);
            put(fo, "min_time", f->records ? jtime(f->min_time) : json_null(), ok);
            put(fo, "max_time", f->records ? jtime(f->max_time) : json_null(), ok);
            put(fo, "size", json_integer((json_int_t)f->size), ok);
            put(fo, "sha256", json_string(f->sha256), ok);
            if (json_array_append_new(files, fo) != 0) *ok = false;
        }
    }
    ts_free(sorted);
    put(o, "files", files, ok);
    return o;
}

static int dump_to_buf(const char *p, size_t n, void *user)
{
    return ts_buf_append((ts_buf *)user, p, n) == TS_OK ? 0 : -1;
}

ts_status arc_manifest_to_json(const arc_manifest *m, ts_buf *out, ts_error *err)
{
    bool ok = true;
    json_t *root = json_object();
    if (!root) return ts_err_set(err, TS_ERR_NOMEM, "out of memory building the manifest");
    put(root, "format_version", json_integer(m->format_version), &ok);
    json_t *tool = json_object();
    if (tool) {
        put(tool, "name", json_string("tsarchive"), &ok);
        put(tool, "version", jstr_or_null(m->tool_version), &ok);
        put(tool, "build", jstr_or_null(m->tool_build), &ok);
    }
    put(root, "tool", tool, &ok);
    put(root, "export_id", jstr_or_null(m->export_id), &ok);
    put(root, "started_at", jtime(m->started_at), &ok);
    put(root, "finished_at", jtime(m->finished_at), &ok);
    json_t *src = json_object();
    if (src) {
        put(src, "kind", jstr_or_null(m->source_kind), &ok);
        put(src, "region", jstr_or_null(m->source_region), &ok);
        put(src, "endpoint", jstr_or_null(m->source_endpoint), &ok);
        put(src, "database", jstr_or_null(m->source_database), &ok);
    }
    put(root, "source", src, &ok);
    put(root, "database", jstr_or_null(m->database), &ok);
    put(root, "compression", jstr_or_null(m->compression), &ok);
    if (m->lock_mode && m->lock_until) { /* optional: only manifests of export --retain */
        json_t *lk = json_object();
        if (lk) {
            put(lk, "mode", json_string(m->lock_mode), &ok);
            put(lk, "retain_until", json_string(m->lock_until), &ok);
        }
        put(root, "object_lock", lk, &ok);
    }

    const arc_table **sorted = ts_malloc((m->ntables ? m->ntables : 1) * sizeof *sorted);
    json_t *tables = json_array();
    if (!sorted || !tables) {
        ok = false;
    } else {
        for (size_t i = 0; i < m->ntables; i++) sorted[i] = &m->tables[i];
        if (m->ntables) qsort(sorted, m->ntables, sizeof *sorted, cmp_table_ptr);
        for (size_t i = 0; i < m->ntables && ok; i++)
            if (json_array_append_new(tables, table_json(sorted[i], &ok)) != 0) ok = false;
    }
    ts_free(sorted);
    put(root, "tables", tables, &ok);
    arc_totals tot;
    arc_manifest_totals(m, &tot);
    json_t *jt = json_object();
    if (jt) {
        put(jt, "tables", json_integer((json_int_t)tot.tables), &ok);
        put(jt, "files", json_integer((json_int_t)tot.files), &ok);
        put(jt, "records", json_integer((json_int_t)tot.records), &ok);
        put(jt, "bytes", json_integer((json_int_t)tot.bytes), &ok);
    }
    put(root, "totals", jt, &ok);
    if (!ok) {
        json_decref(root);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory building the manifest");
    }
    int rc = json_dump_callback(root, dump_to_buf, out, JSON_SORT_KEYS | JSON_INDENT(2));
    json_decref(root);
    if (rc != 0 || ts_buf_append_byte(out, '\n') != TS_OK)
        return ts_err_set(err, TS_ERR_LIMIT, "manifest does not fit in memory limits");
    return TS_OK;
}

/* ---- reading ---- */

#define BAD(...) (ts_err_set(err, TS_ERR_CORRUPT, __VA_ARGS__))

static ts_status get_str(json_t *o, const char *key, bool nullable, char **out, const char *where,
                         ts_error *err)
{
    json_t *v = json_object_get(o, key);
    if ((!v || json_is_null(v)) && nullable) return TS_OK;
    if (!json_is_string(v)) return BAD("manifest: %s: \"%s\" must be a string", where, key);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return BAD("manifest: %s: \"%s\" contains a NUL byte", where, key);
    if (arc_set_str(out, json_string_value(v)) != TS_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory reading the manifest");
    return TS_OK;
}

static ts_status get_u64(json_t *o, const char *key, uint64_t *out, const char *where,
                         ts_error *err)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return BAD("manifest: %s: \"%s\" must be a non-negative integer", where, key);
    *out = (uint64_t)json_integer_value(v);
    return TS_OK;
}

static ts_status get_time(json_t *o, const char *key, bool nullable, int64_t *out,
                          const char *where, ts_error *err)
{
    json_t *v = json_object_get(o, key);
    if ((!v || json_is_null(v)) && nullable) {
        *out = 0;
        return TS_OK;
    }
    if (!json_is_string(v) ||
        !ts_time_parse(json_string_value(v), json_string_length(v), out))
        return BAD("manifest: %s: \"%s\" must be an RFC 3339 time", where, key);
    return TS_OK;
}

static bool is_hex64(const char *s)
{
    if (strlen(s) != 64) return false;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

static ts_status parse_file(json_t *fo, arc_table *t, size_t idx, ts_error *err)
{
    char where[ARC_NAME_MAX + 64];
    snprintf(where, sizeof where, "table %s: file %zu", t->name, idx);
    if (!json_is_object(fo)) return BAD("manifest: %s: not an object", where);
    arc_file f = {0};
    ts_status st = get_str(fo, "path", false, &f.path, where, err);
    if (st != TS_OK) return st;
    if (!arc_relpath_ok(f.path)) {
        st = BAD("manifest: %s: path \"%s\" is not a safe relative path (absolute, '..', or odd "
                 "characters)",
                 where, f.path);
        goto out;
    }
    size_t tl = strlen(t->name);
    if (strncmp(f.path, t->name, tl) != 0 || f.path[tl] != '/') {
        st = BAD("manifest: %s: path \"%s\" is not under the table's directory", where, f.path);
        goto out;
    }
    if (arc_table_find_file(t, f.path)) {
        st = BAD("manifest: %s: path \"%s\" listed twice", where, f.path);
        goto out;
    }
    char *sha = NULL;
    if ((st = get_u64(fo, "record_count", &f.records, where, err)) != TS_OK ||
        (st = get_u64(fo, "size", &f.size, where, err)) != TS_OK ||
        (st = get_time(fo, "min_time", f.records == 0, &f.min_time, where, err)) != TS_OK ||
        (st = get_time(fo, "max_time", f.records == 0, &f.max_time, where, err)) != TS_OK ||
        (st = get_str(fo, "sha256", false, &sha, where, err)) != TS_OK)
        goto out;
    if (!is_hex64(sha)) {
        st = BAD("manifest: %s: sha256 must be 64 lower-case hex digits", where);
        ts_free(sha);
        goto out;
    }
    memcpy(f.sha256, sha, TS_SHA256_HEX_LEN);
    ts_free(sha);
    if (f.records && f.min_time > f.max_time) {
        st = BAD("manifest: %s: min_time is after max_time", where);
        goto out;
    }
    st = arc_table_put_file(t, &f);
    if (st != TS_OK) st = ts_err_set(err, st, "out of memory reading the manifest");
out:
    ts_free(f.path);
    return st;
}

static ts_status parse_table(json_t *to, arc_manifest *m, size_t idx, ts_error *err)
{
    char where[ARC_NAME_MAX + 64];
    snprintf(where, sizeof where, "table %zu", idx);
    if (!json_is_object(to)) return BAD("manifest: %s: not an object", where);
    json_t *jn = json_object_get(to, "name");
    if (!json_is_string(jn) || !arc_name_ok(json_string_value(jn)) ||
        strlen(json_string_value(jn)) != json_string_length(jn))
        return BAD("manifest: %s: \"name\" must be a table name usable as a path segment", where);
    const char *name = json_string_value(jn);
    if (arc_manifest_find_table(m, name)) return BAD("manifest: table %s listed twice", name);
    arc_table *t;
    if (arc_manifest_add_table(m, name, &t) != TS_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory reading the manifest");
    snprintf(where, sizeof where, "table %s", name);
    ts_status st = get_str(to, "time_unit", false, &t->time_unit, where, err);
    if (st != TS_OK) return st;
    if (strcmp(t->time_unit, "us") != 0 && strcmp(t->time_unit, "ns") != 0)
        return BAD("manifest: %s: time_unit must be \"us\" or \"ns\"", where);
    json_t *tn = json_object_get(to, "time_ns");
    if (!json_is_boolean(tn)) return BAD("manifest: %s: \"time_ns\" must be true or false", where);
    t->time_ns = json_is_true(tn);
    json_t *cols = json_object_get(to, "columns");
    if (!json_is_array(cols) || json_array_size(cols) == 0)
        return BAD("manifest: %s: \"columns\" must be a non-empty array", where);
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c)
    {
        char cw[ARC_NAME_MAX + 96];
        snprintf(cw, sizeof cw, "%s: column %zu", where, i);
        if (!json_is_object(c)) return BAD("manifest: %s: not an object", cw);
        char *cname = NULL, *role = NULL, *stype = NULL, *type = NULL;
        arc_col_role r;
        ts_type ty;
        if ((st = get_str(c, "name", false, &cname, cw, err)) == TS_OK &&
            (st = get_str(c, "role", false, &role, cw, err)) == TS_OK &&
            (st = get_str(c, "source_type", false, &stype, cw, err)) == TS_OK &&
            (st = get_str(c, "type", false, &type, cw, err)) == TS_OK) {
            if (!arc_role_parse(role, &r)) st = BAD("manifest: %s: unknown role \"%s\"", cw, role);
            else if (!ts_type_parse(type, &ty))
                st = BAD("manifest: %s: unknown type \"%s\"", cw, type);
            else if (cname[0] == '\0') st = BAD("manifest: %s: empty column name", cw);
            else if (arc_table_add_column(t, cname, r, stype, ty) != TS_OK)
                st = ts_err_set(err, TS_ERR_NOMEM, "out of memory reading the manifest");
        }
        ts_free(cname);
        ts_free(role);
        ts_free(stype);
        ts_free(type);
        if (st != TS_OK) return st;
    }
    json_t *files = json_object_get(to, "files");
    if (!json_is_array(files)) return BAD("manifest: %s: \"files\" must be an array", where);
    json_t *fo;
    json_array_foreach(files, i, fo)
    {
        /* t may move when tables grow, but no table is added in this loop */
        if ((st = parse_file(fo, t, i, err)) != TS_OK) return st;
    }
    uint64_t rc;
    int64_t mn, mx;
    if ((st = get_u64(to, "record_count", &rc, where, err)) != TS_OK) return st;
    if (rc != t->records)
        return BAD("manifest: %s: record_count %llu differs from the sum of its files %llu", where,
                   (unsigned long long)rc, (unsigned long long)t->records);
    if ((st = get_time(to, "min_time", rc == 0, &mn, where, err)) != TS_OK ||
        (st = get_time(to, "max_time", rc == 0, &mx, where, err)) != TS_OK)
        return st;
    if (rc && (mn != t->min_time || mx != t->max_time))
        return BAD("manifest: %s: min_time/max_time differ from its files'", where);
    json_t *w = json_object_get(to, "window"); /* optional */
    if (w && !json_is_null(w)) {
        if (!json_is_object(w)) return BAD("manifest: %s: \"window\" must be an object", where);
        char ww[ARC_NAME_MAX + 64];
        snprintf(ww, sizeof ww, "%s: window", where);
        json_t *js = json_object_get(w, "since"), *ju = json_object_get(w, "until");
        t->window.has_since = js && !json_is_null(js);
        t->window.has_until = ju && !json_is_null(ju);
        if ((st = get_time(w, "since", true, &t->window.since, ww, err)) != TS_OK ||
            (st = get_time(w, "until", true, &t->window.until, ww, err)) != TS_OK)
            return st;
        if (t->window.has_since && t->window.has_until && t->window.since >= t->window.until)
            return BAD("manifest: %s: since is not before until", ww);
        for (size_t k = 0; k < t->nfiles; k++) {
            const arc_file *f = &t->files[k];
            if (f->records && ((t->window.has_since && f->min_time < t->window.since) ||
                               (t->window.has_until && f->max_time >= t->window.until)))
                return BAD("manifest: %s: file %s holds rows outside the table's window", where,
                           f->path);
        }
    }
    return TS_OK;
}

static ts_status parse_root(json_t *root, arc_manifest *m, ts_error *err)
{
    if (!json_is_object(root)) return BAD("manifest: not a JSON object");
    json_t *fv = json_object_get(root, "format_version");
    if (!json_is_integer(fv)) return BAD("manifest: \"format_version\" missing or not an integer");
    if (json_integer_value(fv) != ARC_FORMAT_VERSION)
        return ts_err_set(err, TS_ERR_UNSUPPORTED,
                          "manifest: format_version %lld is not supported (this tsarchive reads "
                          "format %d); use a newer tsarchive",
                          (long long)json_integer_value(fv), ARC_FORMAT_VERSION);
    m->format_version = ARC_FORMAT_VERSION;
    ts_status st;
    json_t *tool = json_object_get(root, "tool");
    if (!json_is_object(tool)) return BAD("manifest: \"tool\" must be an object");
    if ((st = get_str(tool, "version", true, &m->tool_version, "tool", err)) != TS_OK ||
        (st = get_str(tool, "build", true, &m->tool_build, "tool", err)) != TS_OK ||
        (st = get_str(root, "export_id", false, &m->export_id, "root", err)) != TS_OK ||
        (st = get_time(root, "started_at", false, &m->started_at, "root", err)) != TS_OK ||
        (st = get_time(root, "finished_at", false, &m->finished_at, "root", err)) != TS_OK ||
        (st = get_str(root, "database", false, &m->database, "root", err)) != TS_OK ||
        (st = get_str(root, "compression", false, &m->compression, "root", err)) != TS_OK)
        return st;
    if (!arc_name_ok(m->database))
        return BAD("manifest: database name \"%s\" is not usable as a path segment", m->database);
    json_t *src = json_object_get(root, "source");
    if (!json_is_object(src)) return BAD("manifest: \"source\" must be an object");
    if ((st = get_str(src, "kind", false, &m->source_kind, "source", err)) != TS_OK ||
        (st = get_str(src, "region", true, &m->source_region, "source", err)) != TS_OK ||
        (st = get_str(src, "endpoint", true, &m->source_endpoint, "source", err)) != TS_OK ||
        (st = get_str(src, "database", true, &m->source_database, "source", err)) != TS_OK)
        return st;
    json_t *lk = json_object_get(root, "object_lock"); /* optional */
    if (lk && !json_is_null(lk)) {
        if (!json_is_object(lk)) return BAD("manifest: \"object_lock\" must be an object");
        if ((st = get_str(lk, "mode", false, &m->lock_mode, "object_lock", err)) != TS_OK ||
            (st = get_str(lk, "retain_until", false, &m->lock_until, "object_lock", err)) != TS_OK)
            return st;
        int64_t until;
        if (strcmp(m->lock_mode, "GOVERNANCE") != 0 && strcmp(m->lock_mode, "COMPLIANCE") != 0)
            return BAD("manifest: object_lock: mode \"%s\" is not GOVERNANCE or COMPLIANCE",
                       m->lock_mode);
        if (!ts_time_parse(m->lock_until, strlen(m->lock_until), &until))
            return BAD("manifest: object_lock: retain_until \"%s\" is not a date",
                       m->lock_until);
    }
    json_t *tables = json_object_get(root, "tables");
    if (!json_is_array(tables)) return BAD("manifest: \"tables\" must be an array");
    size_t i;
    json_t *to;
    json_array_foreach(tables, i, to)
    {
        if ((st = parse_table(to, m, i, err)) != TS_OK) return st;
    }
    json_t *jt = json_object_get(root, "totals");
    if (!json_is_object(jt)) return BAD("manifest: \"totals\" must be an object");
    arc_totals want, got;
    arc_manifest_totals(m, &got);
    if ((st = get_u64(jt, "tables", &want.tables, "totals", err)) != TS_OK ||
        (st = get_u64(jt, "files", &want.files, "totals", err)) != TS_OK ||
        (st = get_u64(jt, "records", &want.records, "totals", err)) != TS_OK ||
        (st = get_u64(jt, "bytes", &want.bytes, "totals", err)) != TS_OK)
        return st;
    if (want.tables != got.tables || want.files != got.files || want.records != got.records ||
        want.bytes != got.bytes)
        return BAD("manifest: totals (%llu tables, %llu files, %llu records, %llu bytes) differ "
                   "from the tables listed (%llu, %llu, %llu, %llu)",
                   (unsigned long long)want.tables, (unsigned long long)want.files,
                   (unsigned long long)want.records, (unsigned long long)want.bytes,
                   (unsigned long long)got.tables, (unsigned long long)got.files,
                   (unsigned long long)got.records, (unsigned long long)got.bytes);
    return TS_OK;
}

ts_status arc_manifest_parse(const char *text, size_t len, arc_manifest *m, ts_error *err)
{
    arc_manifest_init(m);
    if (len > TS_MAX_MANIFEST)
        return ts_err_set(err, TS_ERR_LIMIT, "manifest is %zu bytes, over the %zu limit", len,
                          (size_t)TS_MAX_MANIFEST);
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return BAD("manifest: invalid JSON at line %d column %d: %s", je.line, je.column, je.text);
    ts_status st = parse_root(root, m, err);
    json_decref(root);
    if (st != TS_OK) arc_manifest_free(m);
    return st;
}
