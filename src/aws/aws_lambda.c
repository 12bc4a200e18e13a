/* AWS Lambda inventory and deletes over restJson1 (aws_rest_json_call):
 * every list follows NextMarker to the end, deletes treat 404 as done. */
#include "aws/aws_lambda.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ts_alloc.h"

#define LAMBDA_MAX_PAGES 100000
#define LAMBDA_DEFAULT_PAGE 50

/* ---- small helpers ---- */

/* Owned copy of a JSON string member, "" when absent; NULL = out of memory. */
static char *dup_member(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return ts_strdup(v ? v : "");
}

typedef ts_status (*item_fn)(void *ctx, const json_t *item, ts_error *err);

/* GET path?extra&Marker=&MaxItems= page after page; item() for each element
 * of list_key. With parent_may_vanish a 404 ends the listing with TS_OK and
 * info->already_gone (the function or layer is gone). */
static ts_status list_pages(aws_client *c, const char *op, const char *path, const char *extra,
                            unsigned page_size, const char *list_key, item_fn item, void *ctx,
                            bool parent_may_vanish, aws_svc_info *info, ts_error *err)
{
    aws_svc_info_clear(info);
    aws_svc_info local;
    char *marker = NULL;
    ts_status st = TS_OK;
    unsigned ps = page_size ? page_size : LAMBDA_DEFAULT_PAGE;
    for (int page = 0;; page++) {
        if (page >= LAMBDA_MAX_PAGES) {
            st = ts_err_set(err, TS_ERR_LIMIT, "lambda %s: more than %d pages", op,
                            LAMBDA_MAX_PAGES);
            break;
        }
        char *enc = marker ? aws_svc_uri_encode(marker) : NULL;
        if (marker && !enc) {
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            break;
        }
        size_t ql = strlen(path) + strlen(extra) + (enc ? strlen(enc) : 0) + 64;
        char *pq = ts_malloc(ql);
        if (!pq) {
            ts_free(enc);
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            break;
        }
        snprintf(pq, ql, "%s?%s%sMaxItems=%u%s%s", path, extra, *extra ? "&" : "", ps,
                 enc ? "&Marker=" : "", enc ? enc : "");
        ts_free(enc);
        json_t *out = NULL;
        st = aws_rest_json_call(c, "LAMBDA", "lambda", op, "GET", pq, NULL, &out, &local, err);
        ts_free(pq);
        if (st == TS_ERR_NOT_FOUND && parent_may_vanish && page == 0 &&
            strcmp(local.code, "ResourceNotFoundException") == 0) {
            ts_err_clear(err);
            if (info) info->already_gone = true;
            st = TS_OK;
            break;
        }
        if (st != TS_OK) {
            if (info) *info = local;
            if (st == TS_ERR_NOT_FOUND) st = TS_ERR_REMOTE;
            break;
        }
        json_t *arr = json_object_get(out, list_key);
        if (arr && !json_is_array(arr)) {
            json_decref(out);
            st = ts_err_set(err, TS_ERR_CORRUPT, "lambda %s: %s is not an array", op, list_key);
            break;
        }
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e)
        {
            if (!json_is_object(e)) {
                st = ts_err_set(err, TS_ERR_CORRUPT, "lambda %s: %s[%zu] is not an object", op,
                                list_key, i);
                break;
            }
            st = item(ctx, e, err);
            if (st != TS_OK) break;
        }
        const char *next = json_string_value(json_object_get(out, "NextMarker"));
        char *nm = NULL;
        if (st == TS_OK && next && *next) {
            if (marker && strcmp(marker, next) == 0)
                st = ts_err_set(err, TS_ERR_CORRUPT,
                                "lambda %s: the service returned the same NextMarker twice", op);
            else if (!(nm = ts_strdup(next)))
                st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
        json_decref(out);
        ts_free(marker);
        marker = nm;
        if (st != TS_OK || !marker) break;
    }
    ts_free(marker);
    return st;
}

/* ---- functions ---- */

typedef struct fn_ctx {
    aws_lambda_function *arr;
    size_t n, cap;
} fn_ctx;

static ts_status fn_item(void *vctx, const json_t *e, ts_error *err)
{
    fn_ctx *x = vctx;
    TS_TRY(ts_grow((void **)&x->arr, sizeof *x->arr, x->n, &x->cap, 16, err));
    aws_lambda_function *f = &x->arr[x->n++];
    const char *name = json_string_value(json_object_get(e, "FunctionName"));
    if (!name || !*name)
        return ts_err_set(err, TS_ERR_CORRUPT, "lambda ListFunctions: a function without FunctionName");
    f->name = ts_strdup(name);
    f->arn = dup_member(e, "FunctionArn");
    f->role_arn = dup_member(e, "Role");
    f->runtime = dup_member(e, "Runtime");
    const char *lg = json_string_value(
        json_object_get(json_object_get(e, "LoggingConfig"), "LogGroup"));
    if (lg && *lg) {
        f->log_group = ts_strdup(lg);
    } else {
        size_t l = strlen(name) + 13;
        f->log_group = ts_malloc(l);
        if (f->log_group) snprintf(f->log_group, l, "/aws/lambda/%s", name);
    }
    if (!f->name || !f->arn || !f->role_arn || !f->runtime || !f->log_group)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    json_t *layers = json_object_get(e, "Layers");
    size_t nl = json_is_array(layers) ? json_array_size(layers) : 0;
    if (nl) {
        f->layer_arns = ts_calloc(nl, sizeof *f->layer_arns);
        if (!f->layer_arns) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < nl; i++) {
            const char *a = json_string_value(json_object_get(json_array_get(layers, i), "Arn"));
            if (!a) continue;
            if (!(f->layer_arns[f->nlayers] = ts_strdup(a)))
                return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            f->nlayers++;
        }
    }
    return TS_OK;
}

void aws_lambda_functions_free(aws_lambda_function *f, size_t n)
{
    if (!f) return;
    for (size_t i = 0; i < n; i++) {
        ts_free(f[i].name);
        ts_free(f[i].arn);
        ts_free(f[i].role_arn);
        ts_free(f[i].runtime);
        ts_free(f[i].log_group);
        aws_svc_names_free(f[i].layer_arns, f[i].nlayers);
    }
    ts_free(f);
}

ts_status aws_lambda_list_functions(aws_client *c, unsigned page_size, aws_lambda_function **out,
                                    size_t *n, aws_svc_info *info, ts_error *err)
{
    *out = NULL;
    *n = 0;
    fn_ctx x = {0};
    ts_status st = list_pages(c, "ListFunctions", "/2015-03-31/functions", "", page_size,
                              "Functions", fn_item, &x, false, info, err);
    if (st != TS_OK) {
        /* the array is zero-filled past n, so a half-built entry frees cleanly */
        aws_lambda_functions_free(x.arr, x.n);
        return st;
    }
    *out = x.arr;
    *n = x.n;
    return TS_OK;
}

/* ---- event source mappings ---- */

typedef struct esm_ctx {
    aws_lambda_mapping *arr;
    size_t n, cap;
} esm_ctx;

static ts_status esm_item(void *vctx, const json_t *e, ts_error *err)
{
    esm_ctx *x = vctx;
    TS_TRY(ts_grow((void **)&x->arr, sizeof *x->arr, x->n, &x->cap, 16, err));
    aws_lambda_mapping *m = &x->arr[x->n++];
    const char *uuid = json_string_value(json_object_get(e, "UUID"));
    if (!uuid || !*uuid)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "lambda ListEventSourceMappings: a mapping without UUID");
    m->uuid = ts_strdup(uuid);
    m->arn = dup_member(e, "EventSourceMappingArn");
    m->function_arn = dup_member(e, "FunctionArn");
    m->event_source_arn = dup_member(e, "EventSourceArn");
    m->state = dup_member(e, "State");
    if (!m->uuid || !m->arn || !m->function_arn || !m->event_source_arn || !m->state)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

void aws_lambda_mappings_free(aws_lambda_mapping *m, size_t n)
{
    if (!m) return;
    for (size_t i = 0; i < n; i++) {
        ts_free(m[i].uuid);
        ts_free(m[i].arn);
        ts_free(m[i].function_arn);
        ts_free(m[i].event_source_arn);
        ts_free(m[i].state);
    }
    ts_free(m);
}

ts_status aws_lambda_list_event_source_mappings(aws_client *c, const char *function,
                                                unsigned page_size, aws_lambda_mapping **out,
                                                size_t *n, aws_svc_info *info, ts_error *err)
{
    *out = NULL;
    *n = 0;
    char *extra = NULL;
    if (function) {
        char *enc = aws_svc_uri_encode(function);
        size_t l = enc ? strlen(enc) + 16 : 0;
        extra = enc ? ts_malloc(l) : NULL;
        if (extra) snprintf(extra, l, "FunctionName=%s", enc);
        ts_free(enc);
        if (!extra) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    esm_ctx x = {0};
    ts_status st = list_pages(c, "ListEventSourceMappings", "/2015-03-31/event-source-mappings",
                              extra ? extra : "", page_size, "EventSourceMappings", esm_item, &x,
                              function != NULL, info, err);
    ts_free(extra);
    if (st != TS_OK) {
        aws_lambda_mappings_free(x.arr, x.n);
        return st;
    }
    *out = x.arr;
    *n = x.n;
    return TS_OK;
}

/* "/2015-03-31/functions/<enc name><suffix>" */
static char *function_path(const char *function, const char *suffix)
{
    char *enc = aws_svc_uri_encode(function);
    if (!enc) return NULL;
    size_t l = strlen(enc) + strlen(suffix) + 32;
    char *p = ts_malloc(l);
    if (p) snprintf(p, l, "/2015-03-31/functions/%s%s", enc, suffix);
    ts_free(enc);
    return p;
}

/* ---- aliases ---- */

typedef struct alias_ctx {
    aws_lambda_alias *arr;
    size_t n, cap;
} alias_ctx;

static ts_status alias_item(void *vctx, const json_t *e, ts_error *err)
{
    alias_ctx *x = vctx;
    TS_TRY(ts_grow((void **)&x->arr, sizeof *x->arr, x->n, &x->cap, 16, err));
    aws_lambda_alias *a = &x->arr[x->n++];
    a->name = dup_member(e, "Name");
    a->arn = dup_member(e, "AliasArn");
    a->function_version = dup_member(e, "FunctionVersion");
    if (!a->name || !a->arn || !a->function_version)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (!*a->name) return ts_err_set(err, TS_ERR_CORRUPT, "lambda ListAliases: an alias without Name");
    return TS_OK;
}

void aws_lambda_aliases_free(aws_lambda_alias *a, size_t n)
{
    if (!a) return;
    for (size_t i = 0; i < n; i++) {
        ts_free(a[i].name);
        ts_free(a[i].arn);
        ts_free(a[i].function_version);
    }
    ts_free(a);
}

ts_status aws_lambda_list_aliases(aws_client *c, const char *function, unsigned page_size,
                                  aws_lambda_alias **out, size_t *n, aws_svc_info *info,
                                  ts_error *err)
{
    *out = NULL;
    *n = 0;
    char *path = function_path(function, "/aliases");
    if (!path) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    alias_ctx x = {0};
    ts_status st = list_pages(c, "ListAliases", path, "", page_size, "Aliases", alias_item, &x,
                              true, info, err);
    ts_free(path);
    if (st != TS_OK) {
        aws_lambda_aliases_free(x.arr, x.n);
        return st;
    }
    *out = x.arr;
    *n = x.n;
    return TS_OK;
}

/* ---- versions ---- */

typedef struct ver_ctx {
    aws_lambda_version *arr;
    size_t n, cap;
} ver_ctx;

static ts_status ver_item(void *vctx, const json_t *e, ts_error *err)
{
    ver_ctx *x = vctx;
    TS_TRY(ts_grow((void **)&x->arr, sizeof *x->arr, x->n, &x->cap, 16, err));
    aws_lambda_version *v = &x->arr[x->n++];
    v->version = dup_member(e, "Version");
    v->arn = dup_member(e, "FunctionArn");
    if (!v->version || !v->arn) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (!*v->version)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "lambda ListVersionsByFunction: a version without Version");
    return TS_OK;
}

void aws_lambda_versions_free(aws_lambda_version *v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++) {
        ts_free(v[i].version);
        ts_free(v[i].arn);
    }
    ts_free(v);
}

ts_status aws_lambda_list_versions(aws_client *c, const char *function, unsigned page_size,
                                   aws_lambda_version **out, size_t *n, aws_svc_info *info,
                                   ts_error *err)
{
    *out = NULL;
    *n = 0;
    char *path = function_path(function, "/versions");
    if (!path) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    ver_ctx x = {0};
    ts_status st = list_pages(c, "ListVersionsByFunction", path, "", page_size, "Versions",
                              ver_item, &x, true, info, err);
    ts_free(path);
    if (st != TS_OK) {
        aws_lambda_versions_free(x.arr, x.n);
        return st;
    }
    *out = x.arr;
    *n = x.n;
    return TS_OK;
}

/* ---- deletes ---- */

/* DELETE path; 404 not-found → TS_OK + already_gone. */
static ts_status delete_call(aws_client *c, const char *op, const char *path, aws_svc_info *info,
                             ts_error *err)
{
    aws_svc_info local;
    json_t *out = NULL;
    ts_status st = aws_rest_json_call(c, "LAMBDA", "lambda", op, "DELETE", path, NULL, &out,
                                      &local, err);
    json_decref(out);
    if (st == TS_ERR_NOT_FOUND) {
        ts_err_clear(err);
        aws_svc_info_clear(info);
        if (info) info->already_gone = true;
        return TS_OK;
    }
    if (info) *info = local;
    return st;
}

ts_status aws_lambda_delete_event_source_mapping(aws_client *c, const char *uuid,
                                                 aws_svc_info *info, ts_error *err)
{
    aws_svc_info_clear(info);
    char *enc = aws_svc_uri_encode(uuid);
    if (!enc) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    size_t l = strlen(enc) + 48;
    char *path = ts_malloc(l);
    if (!path) {
        ts_free(enc);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    snprintf(path, l, "/2015-03-31/event-source-mappings/%s", enc);
    ts_free(enc);
    ts_status st = delete_call(c, "DeleteEventSourceMapping", path, info, err);
    ts_free(path);
    return st;
}

ts_status aws_lambda_delete_function(aws_client *c, const char *function, const char *qualifier,
                                     aws_svc_info *info, ts_error *err)
{
    aws_svc_info_clear(info);
    char *path = function_path(function, "");
    char *q = qualifier ? aws_svc_uri_encode(qualifier) : NULL;
    if (!path || (qualifier && !q)) {
        ts_free(path);
        ts_free(q);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    size_t l = strlen(path) + (q ? strlen(q) : 0) + 16;
    char *full = ts_malloc(l);
    if (full) snprintf(full, l, "%s%s%s", path, q ? "?Qualifier=" : "", q ? q : "");
    ts_free(path);
    ts_free(q);
    if (!full) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    ts_status st = delete_call(c, "DeleteFunction", full, info, err);
    ts_free(full);
    return st;
}

/* ---- layers ---- */

typedef struct layer_ctx {
    aws_lambda_layer *arr;
    size_t n, cap;
} layer_ctx;

static ts_status layer_item(void *vctx, const json_t *e, ts_error *err)
{
    layer_ctx *x = vctx;
    TS_TRY(ts_grow((void **)&x->arr, sizeof *x->arr, x->n, &x->cap, 16, err));
    aws_lambda_layer *l = &x->arr[x->n++];
    json_t *lmv = json_object_get(e, "LatestMatchingVersion");
    l->name = dup_member(e, "LayerName");
    l->arn = dup_member(e, "LayerArn");
    l->latest_version_arn = dup_member(lmv, "LayerVersionArn");
    json_t *v = json_object_get(lmv, "Version");
    l->latest_version = json_is_integer(v) ? json_integer_value(v) : 0;
    if (!l->name || !l->arn || !l->latest_version_arn)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (!*l->name) return ts_err_set(err, TS_ERR_CORRUPT, "lambda ListLayers: a layer without LayerName");
    return TS_OK;
}

void aws_lambda_layers_free(aws_lambda_layer *l, size_t n)
{
    if (!l) return;
    for (size_t i = 0; i < n; i++) {
        ts_free(l[i].name);
        ts_free(l[i].arn);
        ts_free(l[i].latest_version_arn);
    }
    ts_free(l);
}

ts_status aws_lambda_list_layers(aws_client *c, unsigned page_size, aws_lambda_layer **out,
                                 size_t *n, aws_svc_info *info, ts_error *err)
{
    *out = NULL;
    *n = 0;
    layer_ctx x = {0};
    ts_status st = list_pages(c, "ListLayers", "/2018-10-31/layers", "", page_size, "Layers",
                              layer_item, &x, false, info, err);
    if (st != TS_OK) {
        aws_lambda_layers_free(x.arr, x.n);
        return st;
    }
    *out = x.arr;
    *n = x.n;
    return TS_OK;
}

typedef struct lv_ctx {
    aws_lambda_layer_version *arr;
    size_t n, cap;
} lv_ctx;

static ts_status lv_item(void *vctx, const json_t *e, ts_error *err)
{
    lv_ctx *x = vctx;
    TS_TRY(ts_grow((void **)&x->arr, sizeof *x->arr, x->n, &x->cap, 16, err));
    aws_lambda_layer_version *v = &x->arr[x->n++];
    v->arn = dup_member(e, "LayerVersionArn");
    if (!v->arn) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    json_t *ver = json_object_get(e, "Version");
    if (!json_is_integer(ver) || json_integer_value(ver) < 1)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "lambda ListLayerVersions: a version without a positive Version (%s)",
                          v->arn);
    v->version = json_integer_value(ver);
    return TS_OK;
}

void aws_lambda_layer_versions_free(aws_lambda_layer_version *v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++) ts_free(v[i].arn);
    ts_free(v);
}

/* "/2018-10-31/layers/<enc layer><suffix>" */
static char *layer_path(const char *layer, const char *suffix)
{
    char *enc = aws_svc_uri_encode(layer);
    if (!enc) return NULL;
    size_t l = strlen(enc) + strlen(suffix) + 32;
    char *p = ts_malloc(l);
    if (p) snprintf(p, l, "/2018-10-31/layers/%s%s", enc, suffix);
    ts_free(enc);
    return p;
}

ts_status aws_lambda_list_layer_versions(aws_client *c, const char *layer, unsigned page_size,
                                         aws_lambda_layer_version **out, size_t *n,
                                         aws_svc_info *info, ts_error *err)
{
    *out = NULL;
    *n = 0;
    char *path = layer_path(layer, "/versions");
    if (!path) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    lv_ctx x = {0};
    ts_status st = list_pages(c, "ListLayerVersions", path, "", page_size, "LayerVersions",
                              lv_item, &x, true, info, err);
    ts_free(path);
    if (st != TS_OK) {
        aws_lambda_layer_versions_free(x.arr, x.n);
        return st;
    }
    *out = x.arr;
    *n = x.n;
    return TS_OK;
}

ts_status aws_lambda_delete_layer_version(aws_client *c, const char *layer, int64_t version,
                                          aws_svc_info *info, ts_error *err)
{
    aws_svc_info_clear(info);
    if (version < 1)
        return ts_err_set(err, TS_ERR_USAGE, "lambda DeleteLayerVersion: version %lld of %s",
                          (long long)version, layer);
    char suffix[40];
    snprintf(suffix, sizeof suffix, "/versions/%lld", (long long)version);
    char *path = layer_path(layer, suffix);
    if (!path) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    ts_status st = delete_call(c, "DeleteLayerVersion", path, info, err);
    ts_free(path);
    return st;
}

ts_status aws_lambda_layer_arn_parse(const char *version_arn, char *layer_arn, size_t layer_arn_sz,
                                     char *name, size_t name_sz, int64_t *version, ts_error *err)
{
    /* arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VER — 8 fields */
    const char *f[8];
    size_t nf = 0;
    const char *p = version_arn;
    f[nf++] = p;
    for (; *p && nf < 8; p++)
        if (*p == ':') f[nf++] = p + 1;
    if (nf != 8 || strchr(f[7], ':') || strncmp(version_arn, "arn:", 4) != 0 ||
        strncmp(f[2], "lambda:", 7) != 0 || strncmp(f[5], "layer:", 6) != 0 || f[7] == f[6] + 1)
        return ts_err_set(err, TS_ERR_CORRUPT, "'%s' is not a Lambda layer version ARN",
                          version_arn);
    char *end;
    errno = 0;
    long long v = strtoll(f[7], &end, 10);
    if (errno || end == f[7] || *end || v < 1)
        return ts_err_set(err, TS_ERR_CORRUPT, "'%s': the layer version is not a number",
                          version_arn);
    size_t base_len = (size_t)(f[7] - 1 - version_arn);
    size_t name_len = (size_t)(f[7] - 1 - f[6]);
    if ((layer_arn && base_len + 1 > layer_arn_sz) || (name && name_len + 1 > name_sz))
        return ts_err_set(err, TS_ERR_LIMIT, "'%s': layer ARN too long", version_arn);
    if (layer_arn) {
        memcpy(layer_arn, version_arn, base_len);
        layer_arn[base_len] = '\0';
    }
    if (name) {
        memcpy(name, f[6], name_len);
        name[name_len] = '\0';
    }
    if (version) *version = v;
    return TS_OK;
}
