/* Archive storage: the generic front (open by root, key rules, wrappers)
 * and the local-directory backend (atomic temp + fsync + rename). */
#include "archive/arc_storage.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ts_alloc.h"
#include "core/ts_hash.h"

#define ARC_MAX_KEY 1024

/* ---- key rules ---- */

static bool key_char_ok(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-' || ch == '=' || ch == '+' || ch == '@' ||
           ch == '~' || ch == ',' || ch == '/';
}

static ts_status check_key(const char *k, bool prefix, ts_error *err)
{
    size_t n = strlen(k);
    const char *what = prefix ? "prefix" : "key";
    if (n == 0 && prefix) return TS_OK;
    if (n == 0) return ts_err_set(err, TS_ERR_USAGE, "empty object key");
    if (n > ARC_MAX_KEY)
        return ts_err_set(err, TS_ERR_USAGE, "%s longer than %d bytes: %.60s...", what,
                          ARC_MAX_KEY, k);
    if (k[0] == '/')
        return ts_err_set(err, TS_ERR_USAGE, "%s '%s' is absolute; keys are relative to the root",
                          what, k);
    if (!prefix && k[n - 1] == '/')
        return ts_err_set(err, TS_ERR_USAGE, "key '%s' ends with '/'", k);
    for (size_t i = 0; i < n; i++) {
        if (!key_char_ok(k[i]))
            return ts_err_set(err, TS_ERR_USAGE,
                              "%s '%s' has a character not allowed in archive keys at byte %zu "
                              "(allowed: letters, digits, . _ - = + @ ~ , /)",
                              what, k, i);
    }
    /* segments: no empty ones, no "." or ".." */
    const char *s = k;
    while (*s) {
        size_t l = strcspn(s, "/");
        if (l == 0 && s[0] == '/')
            return ts_err_set(err, TS_ERR_USAGE, "%s '%s' has an empty path segment", what, k);
        if ((l == 1 && s[0] == '.') || (l == 2 && s[0] == '.' && s[1] == '.'))
            return ts_err_set(err, TS_ERR_USAGE, "%s '%s' has a '.' or '..' segment", what, k);
        s += l;
        if (*s == '/') s++;
    }
    return TS_OK;
}

ts_status arc_key_validate(const char *rel_key, ts_error *err)
{
    return check_key(rel_key ? rel_key : "", false, err);
}

ts_status arc_prefix_validate(const char *prefix, ts_error *err)
{
    return check_key(prefix ? prefix : "", true, err);
}

/* ---- front ---- */

ts_status arc_storage_open(const char *root, aws_client *aws, arc_storage **out, ts_error *err)
{
    *out = NULL;
    if (!root || !*root) return ts_err_set(err, TS_ERR_USAGE, "empty archive root");
    if (strncmp(root, "s3://", 5) == 0) {
        if (!aws)
            return ts_err_set(err, TS_ERR_USAGE, "%s: S3 needs AWS configuration (internal: no client)",
                              root);
        const char *b = root + 5;
        size_t bl = strcspn(b, "/");
        char bucket[64];
        if (bl == 0 || bl >= sizeof bucket)
            return ts_err_set(err, TS_ERR_USAGE, "%s: expected s3://BUCKET[/PREFIX]", root);
        memcpy(bucket, b, bl);
        bucket[bl] = '\0';
        const char *prefix = b[bl] == '/' ? b + bl + 1 : "";
        return arc_storage_s3_open(bucket, prefix, aws, out, err);
    }
    if (strstr(root, "://"))
        return ts_err_set(err, TS_ERR_USAGE,
                          "%s: unsupported archive root; use a directory or s3://bucket[/prefix]",
                          root);
    return arc_storage_local_open(root, out, err);
}

void arc_storage_free(arc_storage *s)
{
    if (!s) return;
    ts_free(s->lock_mode);
    ts_free(s->lock_until);
    s->ops->free(s);
}

const char *arc_storage_describe(const arc_storage *s) { return s->url; }

void arc_storage_key_url(const arc_storage *s, const char *key, char *out, size_t outsz)
{
    size_t ul = strlen(s->url);
    bool slash = ul && s->url[ul - 1] == '/';
    snprintf(out, outsz, "%s%s%s", s->url, slash ? "" : "/", key);
}

ts_status arc_storage_set_object_lock(arc_storage *s, const char *mode, const char *until,
                                      ts_error *err)
{
    if (strcmp(s->ops->scheme, "s3") != 0 && mode)
        return ts_err_set(err, TS_ERR_UNSUPPORTED,
                          "%s: Object Lock applies to S3 archives only", s->url);
    if (mode && strcmp(mode, "COMPLIANCE") != 0 && strcmp(mode, "GOVERNANCE") != 0)
        return ts_err_set(err, TS_ERR_USAGE, "object lock mode '%s': use COMPLIANCE or GOVERNANCE",
                          mode);
    if (mode && (!until || !*until))
        return ts_err_set(err, TS_ERR_USAGE, "object lock mode %s needs a retain-until date", mode);
    ts_free(s->lock_mode);
    ts_free(s->lock_until);
    s->lock_mode = s->lock_until = NULL;
    if (!mode) return TS_OK;
    s->lock_mode = ts_strdup(mode);
    s->lock_until = ts_strdup(until);
    if (!s->lock_mode || !s->lock_until) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

ts_status arc_storage_create(arc_storage *s, const char *rel_key, ts_output **out, ts_error *err)
{
    *out = NULL;
    TS_TRY(arc_key_validate(rel_key, err));
    return s->ops->create(s, rel_key, out, err);
}

ts_status arc_storage_open_input(arc_storage *s, const char *rel_key, ts_input **out,
                                 ts_error *err)
{
    *out = NULL;
    TS_TRY(arc_key_validate(rel_key, err));
    return s->ops->open_input(s, rel_key, out, err);
}

ts_status arc_storage_read_all(arc_storage *s, const char *rel_key, ts_buf *out, size_t cap,
                               ts_error *err)
{
    TS_TRY(arc_key_validate(rel_key, err));
    ts_buf_clear(out);
    size_t old = out->max;
    out->max = cap;
    ts_status st = s->ops->get(s, rel_key, 0, 0, out, NULL, err);
    out->max = old;
    return st;
}

ts_status arc_storage_get_range(arc_storage *s, const char *rel_key, uint64_t off, uint64_t len,
                                ts_buf *out, ts_error *err)
{
    TS_TRY(arc_key_validate(rel_key, err));
    if (len == 0) return TS_OK;
    return s->ops->get(s, rel_key, off, len, out, NULL, err);
}

ts_status arc_storage_get_to(arc_storage *s, const char *rel_key, ts_output *sink, ts_error *err)
{
    TS_TRY(arc_key_validate(rel_key, err));
    return s->ops->get(s, rel_key, 0, 0, NULL, sink, err);
}

ts_status arc_storage_list(arc_storage *s, const char *prefix, arc_list_cb cb, void *user,
                           ts_error *err)
{
    TS_TRY(arc_prefix_validate(prefix, err));
    return s->ops->list(s, prefix ? prefix : "", cb, user, err);
}

ts_status arc_storage_head(arc_storage *s, const char *rel_key, arc_object_info *info,
                           ts_error *err)
{
    TS_TRY(arc_key_validate(rel_key, err));
    memset(info, 0, sizeof *info);
    return s->ops->head(s, rel_key, info, err);
}

ts_status arc_storage_delete(arc_storage *s, const char *rel_key, ts_error *err)
{
    TS_TRY(arc_key_validate(rel_key, err));
    return s->ops->del(s, rel_key, err);
}

/* ---- local directory ---- */

typedef struct local_storage {
    arc_storage base;
    char *dir; /* absolute, no trailing '/' */
} local_storage;

static ts_status local_path(local_storage *l, const char *key, char *out, size_t outsz,
                            ts_error *err)
{
    if ((size_t)snprintf(out, outsz, "%s/%s", l->dir, key) >= outsz)
        return ts_err_set(err, TS_ERR_LIMIT, "path too long: %s/%s", l->dir, key);
    return TS_OK;
}

static ts_status local_create(arc_storage *s, const char *key, ts_output **out, ts_error *err)
{
    local_storage *l = (local_storage *)s;
    char path[PATH_MAX];
    TS_TRY(local_path(l, key, path, sizeof path, err));
    char *slash = strrchr(path, '/');
    *slash = '\0';
    ts_status st = ts_mkdirs(path, err);
    *slash = '/';
    TS_TRY(st);
    return ts_output_file_atomic(path, out, err);
}

static ts_status local_open_input(arc_storage *s, const char *key, ts_input **out, ts_error *err)
{
    char path[PATH_MAX];
    TS_TRY(local_path((local_storage *)s, key, path, sizeof path, err));
    return ts_input_file(path, out, err);
}

static ts_status local_get(arc_storage *s, const char *key, uint64_t off, uint64_t len,
                           ts_buf *out, ts_output *sink, ts_error *err)
{
    ts_input *in;
    TS_TRY(local_open_input(s, key, &in, err));
    ts_status st = TS_OK;
    if (len == 0) {
        if (off > in->size) off = in->size;
        len = in->size - off;
    }
    if (off > in->size || len > in->size - off) {
        st = ts_err_set(err, TS_ERR_CORRUPT, "%s: range %llu+%llu is past the end (%llu bytes)",
                        in->name, (unsigned long long)off, (unsigned long long)len,
                        (unsigned long long)in->size);
        ts_input_close(in);
        return st;
    }
    uint8_t tmp[65536];
    while (len && st == TS_OK) {
        size_t n = len > sizeof tmp ? sizeof tmp : (size_t)len;
        st = ts_input_read_at(in, off, tmp, n, err);
        if (st != TS_OK) break;
        if (sink) st = ts_output_write(sink, tmp, n, err);
        else if ((st = ts_buf_append(out, tmp, n)) != TS_OK)
            st = ts_err_set(err, st, "%s: larger than the %zu bytes allowed here", in->name,
                            out->max);
        off += n;
        len -= n;
    }
    ts_input_close(in);
    return st;
}

typedef struct lentry {
    char *key;
    uint64_t size;
} lentry;

typedef struct lwalk {
    lentry *v;
    size_t n, cap;
} lwalk;

static int lentry_cmp(const void *a, const void *b)
{
    return strcmp(((const lentry *)a)->key, ((const lentry *)b)->key);
}

/* Collects every regular file under dir/rel (recursively). */
static ts_status walk(const char *root, const char *rel, lwalk *w, ts_error *err)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel) >= sizeof path)
        return ts_err_set(err, TS_ERR_LIMIT, "path too long under %s", root);
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR) return TS_OK;
        return ts_err_errno(err, TS_ERR_IO, errno, "cannot list %s", path);
    }
    ts_status st = TS_OK;
    struct dirent *e;
    while (st == TS_OK && (errno = 0, e = readdir(d))) {
        const char *nm = e->d_name;
        if (nm[0] == '.' && (nm[1] == '\0' || (nm[1] == '.' && nm[2] == '\0'))) continue;
        if (strncmp(nm, ".tmp-", 5) == 0) continue; /* unfinished atomic writes */
        char childrel[PATH_MAX];
        if ((size_t)snprintf(childrel, sizeof childrel, "%s%s%s", rel, *rel ? "/" : "", nm) >=
            sizeof childrel) {
            st = ts_err_set(err, TS_ERR_LIMIT, "path too long under %s", root);
            break;
        }
        char full[PATH_MAX];
        snprintf(full, sizeof full, "%s/%s", root, childrel);
        struct stat sb;
        if (lstat(full, &sb) != 0) continue; /* vanished meanwhile */
        if (S_ISDIR(sb.st_mode)) {
            st = walk(root, childrel, w, err);
        } else if (S_ISREG(sb.st_mode)) {
            if (w->n == w->cap) {
                size_t nc = w->cap ? w->cap * 2 : 64;
                lentry *nv = ts_realloc(w->v, nc * sizeof *nv);
                if (!nv) {
                    st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
                    break;
                }
                w->v = nv;
                w->cap = nc;
            }
            w->v[w->n].key = ts_strdup(childrel);
            if (!w->v[w->n].key) {
                st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
                break;
            }
            w->v[w->n].size = (uint64_t)sb.st_size;
            w->n++;
        }
    }
    closedir(d);
    return st;
}

static ts_status local_list(arc_storage *s, const char *prefix, arc_list_cb cb, void *user,
                            ts_error *err)
{
    local_storage *l = (local_storage *)s;
    /* walk only the directory part of the prefix */
    char dirpart[PATH_MAX];
    snprintf(dirpart, sizeof dirpart, "%s", prefix);
    char *slash = strrchr(dirpart, '/');
    if (slash) *slash = '\0';
    else dirpart[0] = '\0';
    lwalk w = {0};
    ts_status st = walk(l->dir, dirpart, &w, err);
    if (st == TS_OK && w.n) qsort(w.v, w.n, sizeof *w.v, lentry_cmp);
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < w.n && st == TS_OK; i++)
        if (strncmp(w.v[i].key, prefix, pl) == 0) st = cb(user, w.v[i].key, w.v[i].size, err);
    for (size_t i = 0; i < w.n; i++) ts_free(w.v[i].key);
    ts_free(w.v);
    return st;
}

static ts_status local_head(arc_storage *s, const char *key, arc_object_info *info, ts_error *err)
{
    char path[PATH_MAX];
    TS_TRY(local_path((local_storage *)s, key, path, sizeof path, err));
    struct stat sb;
    if (stat(path, &sb) != 0)
        return ts_err_errno(err, errno == ENOENT ? TS_ERR_NOT_FOUND : TS_ERR_IO, errno,
                            "cannot stat %s", path);
    if (!S_ISREG(sb.st_mode)) return ts_err_set(err, TS_ERR_IO, "%s is not a regular file", path);
    info->size = (uint64_t)sb.st_size;
    return TS_OK;
}

static ts_status local_del(arc_storage *s, const char *key, ts_error *err)
{
    char path[PATH_MAX];
    TS_TRY(local_path((local_storage *)s, key, path, sizeof path, err));
    if (unlink(path) != 0 && errno != ENOENT)
        return ts_err_errno(err, TS_ERR_IO, errno, "cannot delete %s", path);
    return TS_OK;
}

static void local_free(arc_storage *s)
{
    local_storage *l = (local_storage *)s;
    ts_free(l->dir);
    ts_free(s->url);
    ts_free(l);
}

static const arc_storage_ops local_ops = {.scheme = "file",
                                          .create = local_create,
                                          .open_input = local_open_input,
                                          .get = local_get,
                                          .list = local_list,
                                          .head = local_head,
                                          .del = local_del,
                                          .free = local_free};

ts_status arc_storage_local_open(const char *dir, arc_storage **out, ts_error *err)
{
    *out = NULL;
    TS_TRY(ts_mkdirs(dir, err));
    char abs[PATH_MAX];
    if (!realpath(dir, abs)) return ts_err_errno(err, TS_ERR_IO, errno, "cannot resolve %s", dir);
    local_storage *l = ts_calloc(1, sizeof *l);
    if (!l) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    l->base.ops = &local_ops;
    l->dir = ts_strdup(abs);
    l->base.url = ts_strdup(abs);
    if (!l->dir || !l->base.url) {
        local_free(&l->base);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    *out = &l->base;
    return TS_OK;
}
