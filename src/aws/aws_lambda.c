/* AWS Lambda inventory and deletes over restJson1 (aws_rest_json_call):
 * every list pages through aws_page_list (NextMarker), deletes treat 404 as
 * done. */
#include "aws/aws_lambda.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws_page.h"
#include "core/ts_alloc.h"

/* ---- small helpers ---- */

/* Owned copy of a JSON string member, "" when absent; NULL = out of memory. */
static char *dup_member(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return ts_strdup(v ? v : "");
}

/* prefix + the percent-encoded seg (NULL = none) + suffix; NULL when out
 * of memory. */
static char *lambda_path(const char *prefix, const char *seg, const char *suffix)
{
    char *enc = aws_svc_uri_encode(seg ? seg : "");
    if (!enc) return NULL;
    size_t l = strlen(prefix) + strlen(enc) + strlen(suffix) + 1;
    char *p = ts_malloc(l);
    if (p) snprintf(p, l, "%s%s%s", prefix, enc, suffix);
    ts_free(enc);
    return p;
}

#define FUNCTIONS "/2015-03-31/functions"
#define MAPPINGS "/2015-03-31/event-source-mappings"
#define LAYERS "/2018-10-31/layers"

static ts_status lambda_page_call(void *c, const char *op, const aws_page_req *rq,
                                  aws_page_ans *ans, aws_svc_info *info, ts_error *err)
{
    return aws_rest_json_call(c, "LAMBDA", "lambda", op, "GET", rq->path_query, NULL, &ans->json,
                              info, err);
}

/* Every list: GET path?...&MaxItems=&Marker=, followed by NextMarker. */
static const aws_page_style lambda_paging = {
    .service = "lambda", .proto = AWS_PAGE_REST, .call = lambda_page_call,
    .size_field = "MaxItems", .size_default = 50,
    .token_in = "Marker", .token_out = "NextMarker"};

/* GET prefix<enc seg>suffix (seg NULL: prefix suffix) page after page into
 * v; with parent_may_vanish a not-found first page is an empty list (the
 * function or layer is gone). */
static ts_status lambda_list(aws_client *c, const aws_page_desc *d, const char *prefix,
                             const char *seg, const char *suffix, unsigned page_size,
                             bool parent_may_vanish, aws_page_vec *v, aws_svc_info *info,
                             ts_error *err)
{
    aws_svc_info_clear(info);
    char *path = lambda_path(prefix, seg, suffix);
    if (!path) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    aws_page_run run = {.call_ctx = c, .base.path_query = path, .page_size = page_size,
                        .parent_may_vanish = parent_may_vanish, .item_ctx = v};
    ts_status st = aws_page_list(d, &run, info, err);
    ts_free(path);
    return st;
}

/* DELETE path (owned; NULL = out of memory); not-found → TS_OK + already_gone. */
static ts_status lambda_delete(aws_client *c, const char *op, char *path, aws_svc_info *info,
                               ts_error *err)
{
    aws_svc_info_clear(info);
    if (!path) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    aws_svc_info local;
    json_t *out = NULL;
    ts_status st = aws_rest_json_call(c, "LAMBDA", "lambda", op, "DELETE", path, NULL, &out,
                                      &local, err);
    json_decref(out);
    ts_free(path);
    return aws_svc_delete_outcome(st, &local, info, err);
}

/* ---- functions ---- */

static ts_status fn_item(void *vec, const json_t *e, ts_error *err)
{
    aws_lambda_function *f = aws_page_vec_push(vec, sizeof *f, err);
    if (!f) return TS_ERR_NOMEM;
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

static const aws_page_desc list_functions = {&lambda_paging, "ListFunctions",
                                             "Functions", .json_item = fn_item};

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
    aws_page_vec v = {0};
    ts_status st = lambda_list(c, &list_functions, FUNCTIONS, NULL, "", page_size, false, &v,
                               info, err);
    /* the array is zero-filled past n, so a half-built entry frees cleanly */
    if (st != TS_OK) aws_lambda_functions_free(v.items, v.n);
    *out = st == TS_OK ? v.items : NULL;
    *n = st == TS_OK ? v.n : 0;
    return st;
}

/* ---- event source mappings ---- */

static ts_status esm_item(void *vec, const json_t *e, ts_error *err)
{
    aws_lambda_mapping *m = aws_page_vec_push(vec, sizeof *m, err);
    if (!m) return TS_ERR_NOMEM;
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

static const aws_page_desc list_mappings = {&lambda_paging, "ListEventSourceMappings",
                                            "EventSourceMappings", .json_item = esm_item};

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
    aws_page_vec v = {0};
    ts_status st = lambda_list(c, &list_mappings, function ? MAPPINGS "?FunctionName=" : MAPPINGS,
                               function, "", page_size, function != NULL, &v, info, err);
    if (st != TS_OK) aws_lambda_mappings_free(v.items, v.n);
    *out = st == TS_OK ? v.items : NULL;
    *n = st == TS_OK ? v.n : 0;
    return st;
}

/* ---- aliases ---- */

static ts_status alias_item(void *vec, const json_t *e, ts_error *err)
{
    aws_lambda_alias *a = aws_page_vec_push(vec, sizeof *a, err);
    if (!a) return TS_ERR_NOMEM;
    a->name = dup_member(e, "Name");
    a->arn = dup_member(e, "AliasArn");
    a->function_version = dup_member(e, "FunctionVersion");
    if (!a->name || !a->arn || !a->function_version)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (!*a->name) return ts_err_set(err, TS_ERR_CORRUPT, "lambda ListAliases: an alias without Name");
    return TS_OK;
}

static const aws_page_desc list_aliases = {&lambda_paging, "ListAliases",
                                           "Aliases", .json_item = alias_item};

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
    aws_page_vec v = {0};
    ts_status st = lambda_list(c, &list_aliases, FUNCTIONS "/", function, "/aliases", page_size,
                               true, &v, info, err);
    if (st != TS_OK) aws_lambda_aliases_free(v.items, v.n);
    *out = st == TS_OK ? v.items : NULL;
    *n = st == TS_OK ? v.n : 0;
    return st;
}

/* ---- versions ---- */

static ts_status ver_item(void *vec, const json_t *e, ts_error *err)
{
    aws_lambda_version *v = aws_page_vec_push(vec, sizeof *v, err);
    if (!v) return TS_ERR_NOMEM;
    v->version = dup_member(e, "Version");
    v->arn = dup_member(e, "FunctionArn");
    if (!v->version || !v->arn) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (!*v->version)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "lambda ListVersionsByFunction: a version without Version");
    return TS_OK;
}

static const aws_page_desc list_versions = {&lambda_paging, "ListVersionsByFunction",
                                            "Versions", .json_item = ver_item};

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
    aws_page_vec v = {0};
    ts_status st = lambda_list(c, &list_versions, FUNCTIONS "/", function, "/versions", page_size,
                               true, &v, info, err);
    if (st != TS_OK) aws_lambda_versions_free(v.items, v.n);
    *out = st == TS_OK ? v.items : NULL;
    *n = st == TS_OK ? v.n : 0;
    return st;
}

ts_status aws_lambda_delete_event_source_mapping(aws_client *c, const char *uuid,
                                                 aws_svc_info *info, ts_error *err)
{
    return lambda_delete(c, "DeleteEventSourceMapping", lambda_path(MAPPINGS "/", uuid, ""), info,
                         err);
}

ts_status aws_lambda_delete_function(aws_client *c, const char *function, const char *qualifier,
                                     aws_svc_info *info, ts_error *err)
{
    char *q = qualifier ? lambda_path("?Qualifier=", qualifier, "") : NULL;
    char *path = qualifier && !q ? NULL : lambda_path(FUNCTIONS "/", function, q ? q : "");
    ts_free(q);
    return lambda_delete(c, "DeleteFunction", path, info, err);
}

/* ---- layers ---- */

static ts_status layer_item(void *vec, const json_t *e, ts_error *err)
{
    aws_lambda_layer *l = aws_page_vec_push(vec, sizeof *l, err);
    if (!l) return TS_ERR_NOMEM;
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

static const aws_page_desc list_layers = {&lambda_paging, "ListLayers",
                                          "Layers", .json_item = layer_item};

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
    aws_page_vec v = {0};
    ts_status st = lambda_list(c, &list_layers, LAYERS, NULL, "", page_size, false, &v, info, err);
    if (st != TS_OK) aws_lambda_layers_free(v.items, v.n);
    *out = st == TS_OK ? v.items : NULL;
    *n = st == TS_OK ? v.n : 0;
    return st;
}

static ts_status lv_item(void *vec, const json_t *e, ts_error *err)
{
    aws_lambda_layer_version *v = aws_page_vec_push(vec, sizeof *v, err);
    if (!v) return TS_ERR_NOMEM;
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

static const aws_page_desc list_layer_versions = {&lambda_paging, "ListLayerVersions",
                                                  "LayerVersions", .json_item = lv_item};

void aws_lambda_layer_versions_free(aws_lambda_layer_version *v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++) ts_free(v[i].arn);
    ts_free(v);
}

ts_status aws_lambda_list_layer_versions(aws_client *c, const char *layer, unsigned page_size,
                                         aws_lambda_layer_version **out, size_t *n,
                                         aws_svc_info *info, ts_error *err)
{
    aws_page_vec v = {0};
    ts_status st = lambda_list(c, &list_layer_versions, LAYERS "/", layer, "/versions", page_size,
                               true, &v, info, err);
    if (st != TS_OK) aws_lambda_layer_versions_free(v.items, v.n);
    *out = st == TS_OK ? v.items : NULL;
    *n = st == TS_OK ? v.n : 0;
    return st;
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
    return lambda_delete(c, "DeleteLayerVersion", lambda_path(LAYERS "/", layer, suffix), info,
                         err);
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
