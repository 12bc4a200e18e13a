/* Cleanup of Lambda: functions named ${PROJECT}-${ENV}…timestream… with
 * their event source mappings (aliases and versions go with the function),
 * and every version of the layers they use that no staying function uses. */
#include <stdio.h>
#include <string.h>

#include "arc_cleanup_int.h"
#include "aws/aws_lambda.h"
#include "core/ts_alloc.h"

static bool default_function(const arc_cl_opts *o, const char *name)
{
    char pre[ARC_CL_NAME_BUF];
    snprintf(pre, sizeof pre, "%s-%s", o->project, o->environment);
    return strncmp(name, pre, strlen(pre)) == 0 && strstr(name, "timestream") != NULL;
}

/* "NAME:VER" of a layer version ARN into layer_arn (without the version). */
static bool layer_of(const char *version_arn, char *layer_arn, size_t lsz, char *name, size_t nsz)
{
    ts_error e;
    ts_err_clear(&e);
    return aws_lambda_layer_arn_parse(version_arn, layer_arn, lsz, name, nsz, NULL, &e) == TS_OK;
}

static ts_status add_function(arc_cl_run *r, const aws_lambda_function *f, ts_error *err)
{
    aws_lambda_mapping *maps = NULL;
    aws_lambda_alias *al = NULL;
    aws_lambda_version *ver = NULL;
    size_t nmaps = 0, nal = 0, nver = 0;
    ts_status st = aws_lambda_list_event_source_mappings(r->o->client, f->name, 0, &maps, &nmaps,
                                                         NULL, err);
    if (st == TS_OK) st = aws_lambda_list_aliases(r->o->client, f->name, 0, &al, &nal, NULL, err);
    if (st == TS_OK) st = aws_lambda_list_versions(r->o->client, f->name, 0, &ver, &nver, NULL, err);
    for (size_t i = 0; st == TS_OK && i < nmaps; i++)
        st = arc_cl_plan_add(r->p, ARC_CL_EVENT_SOURCE_MAPPING, ARC_CL_DELETE, maps[i].uuid,
                             maps[i].arn && *maps[i].arn ? maps[i].arn : NULL, f->name,
                             "invokes a function that is deleted",
                             json_pack("{s:s,s:s}", "event_source", maps[i].event_source_arn
                                       ? maps[i].event_source_arn : "", "state",
                                       maps[i].state ? maps[i].state : ""),
                             NULL, err);
    if (st == TS_OK) {
        json_t *held = json_pack("{s:s,s:s,s:s,s:[],s:[],s:[]}", "role", f->role_arn ? f->role_arn : "",
                                 "runtime", f->runtime ? f->runtime : "", "log_group",
                                 f->log_group ? f->log_group : "", "layers", "aliases", "versions");
        for (size_t i = 0; i < f->nlayers; i++)
            json_array_append_new(json_object_get(held, "layers"), json_string(f->layer_arns[i]));
        for (size_t i = 0; i < nal; i++)
            json_array_append_new(json_object_get(held, "aliases"), json_string(al[i].name));
        for (size_t i = 0; i < nver; i++)
            json_array_append_new(json_object_get(held, "versions"), json_string(ver[i].version));
        st = arc_cl_plan_add(r->p, ARC_CL_FUNCTION, ARC_CL_DELETE, f->name, f->arn, NULL,
                             arc_cl_has_match(r->o, ARC_CL_FUNCTION)
                                 ? "named by --match function"
                                 : "named like the project's Timestream functions",
                             held, NULL, err);
    }
    aws_lambda_mappings_free(maps, nmaps);
    aws_lambda_aliases_free(al, nal);
    aws_lambda_versions_free(ver, nver);
    return st;
}

/* The layer's versions, or a KEEP item naming a staying function using it. */
static ts_status add_layer(arc_cl_run *r, const char *layer_arn, const char *name, ts_error *err)
{
    size_t la = strlen(layer_arn);
    for (size_t i = 0; i < r->nfns; i++) {
        if (r->fn_matched[i]) continue;
        for (size_t k = 0; k < r->fns[i].nlayers; k++) {
            const char *v = r->fns[i].layer_arns[k];
            if (strncmp(v, layer_arn, la) == 0 && v[la] == ':') {
                arc_cl_item *it = NULL;
                TS_TRY(arc_cl_plan_add(r->p, ARC_CL_LAYER_VERSION, ARC_CL_KEEP, name, layer_arn,
                                       NULL, NULL, NULL, &it, err));
                arc_cl_item_keep(it, ARC_CL_KEEP_DEPENDENCY, "used by function %s, which stays",
                                 r->fns[i].name);
                return TS_OK;
            }
        }
    }
    aws_lambda_layer_version *v = NULL;
    size_t nv = 0;
    TS_TRY(aws_lambda_list_layer_versions(r->o->client, name, 0, &v, &nv, NULL, err));
    ts_status st = TS_OK;
    for (size_t i = 0; st == TS_OK && i < nv; i++) {
        char vn[ARC_CL_NAME_BUF];
        snprintf(vn, sizeof vn, "%s:%lld", name, (long long)v[i].version);
        arc_cl_item *it = NULL;
        st = arc_cl_plan_add(r->p, ARC_CL_LAYER_VERSION, ARC_CL_DELETE, vn, v[i].arn, NULL,
                             "a layer only deleted functions use", NULL, &it, err);
        if (st == TS_OK) {
            it->aux = ts_strdup(name);
            it->aux_num = v[i].version;
            if (!it->aux) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
    }
    aws_lambda_layer_versions_free(v, nv);
    return st;
}

static ts_status inventory(arc_cl_run *r, ts_error *err)
{
    TS_TRY(aws_lambda_list_functions(r->o->client, 0, &r->fns, &r->nfns, NULL, err));
    r->fn_matched = ts_calloc(r->nfns + 1, sizeof *r->fn_matched);
    if (!r->fn_matched) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < r->nfns; i++)
        r->fn_matched[i] = arc_cl_name_matches(r->o, ARC_CL_FUNCTION, r->fns[i].name,
                                               default_function(r->o, r->fns[i].name));
    for (size_t i = 0; i < r->nfns; i++)
        if (r->fn_matched[i]) TS_TRY(add_function(r, &r->fns[i], err));
    /* layers used by a deleted function, each once */
    for (size_t i = 0; i < r->nfns; i++) {
        if (!r->fn_matched[i]) continue;
        for (size_t k = 0; k < r->fns[i].nlayers; k++) {
            char larn[ARC_CL_NAME_BUF], name[256];
            if (!layer_of(r->fns[i].layer_arns[k], larn, sizeof larn, name, sizeof name)) continue;
            bool seen = false;
            for (size_t j = 0; j < r->p->n && !seen; j++) {
                const arc_cl_item *it = &r->p->items[j];
                if (it->kind != ARC_CL_LAYER_VERSION) continue;
                seen = (it->aux && strcmp(it->aux, name) == 0) ||
                       (it->action == ARC_CL_KEEP && strcmp(it->name, name) == 0);
            }
            if (!seen && arc_cl_name_matches(r->o, ARC_CL_LAYER_VERSION, name, true))
                TS_TRY(add_layer(r, larn, name, err));
        }
    }
    return TS_OK;
}

const arc_cl_inventory_ops arc_cl_inv_lambda = {.name = "Lambda", .inventory = inventory};

static ts_status del_esm(arc_cl_run *r, arc_cl_item *it, ts_error *err)
{
    return aws_lambda_delete_event_source_mapping(r->o->client, it->name, &r->info, err);
}

static ts_status del_function(arc_cl_run *r, arc_cl_item *it, ts_error *err)
{
    return aws_lambda_delete_function(r->o->client, it->name, NULL, &r->info, err);
}

static ts_status del_layer(arc_cl_run *r, arc_cl_item *it, ts_error *err)
{
    return aws_lambda_delete_layer_version(r->o->client, it->aux, it->aux_num, &r->info, err);
}

const arc_cl_kind_ops arc_cl_k_esm = {
    .kind = ARC_CL_EVENT_SOURCE_MAPPING, .name = "event-source-mapping",
    .service = ARC_CL_SVC_LAMBDA, .iam_action = "lambda:DeleteEventSourceMapping", .apply = del_esm};
const arc_cl_kind_ops arc_cl_k_function = {
    .kind = ARC_CL_FUNCTION, .name = "function", .service = ARC_CL_SVC_LAMBDA,
    .iam_action = "lambda:DeleteFunction", .apply = del_function};
const arc_cl_kind_ops arc_cl_k_layer = {
    .kind = ARC_CL_LAYER_VERSION, .name = "layer-version", .service = ARC_CL_SVC_LAMBDA,
    .iam_action = "lambda:DeleteLayerVersion", .apply = del_layer};
