/* IAM roles, policies and instance profiles over awsQuery (aws_query_call),
 * signed for the partition's IAM region; lists follow Marker/IsTruncated,
 * deletes treat NoSuchEntity as done. */
#include "aws/aws_iam.h"

#include <stdio.h>
#include <string.h>

#include "aws/aws_query.h"
#include "core/ts_alloc.h"

#define IAM_VERSION "2010-05-08"
#define IAM_MAX_PAGES 100000
#define IAM_MAX_PARAMS 8

/* IAM is global per partition: its signing region is fixed. */
static const char *iam_region(const aws_client *c)
{
    const char *r = aws_client_config(c)->region;
    if (r && strncmp(r, "cn-", 3) == 0) return "cn-north-1";
    if (r && strncmp(r, "us-gov-", 7) == 0) return "us-gov-west-1";
    return "us-east-1";
}

/* One IAM call; on a service error fills info (code, denied action). A
 * NoSuchEntity answer returns TS_ERR_NOT_FOUND so callers decide. */
static ts_status iam_call(aws_client *c, const char *action, const aws_param *params,
                          size_t nparams, aws_xml_node **doc, aws_svc_info *info, ts_error *err)
{
    aws_svc_info_clear(info);
    char *ep;
    TS_TRY(aws_endpoint(aws_client_config(c), "IAM", &ep, NULL, err));
    char code[AWS_ERR_CODE_MAX] = "";
    ts_status st = aws_query_call(c, ep, "iam", iam_region(c), action, IAM_VERSION, params,
                                  nparams, doc, code, err);
    ts_free(ep);
    if (st != TS_OK && code[0]) {
        aws_svc_info_set_error(info, code, err->msg, "iam", action);
        if (aws_svc_code_is_not_found(code)) st = TS_ERR_NOT_FOUND;
    }
    return st;
}

/* A delete/detach/remove: NoSuchEntity → TS_OK + already_gone. */
static ts_status iam_delete(aws_client *c, const char *action, const aws_param *params,
                            size_t nparams, aws_svc_info *info, ts_error *err)
{
    aws_svc_info local;
    aws_xml_node *doc = NULL;
    ts_status st = iam_call(c, action, params, nparams, &doc, &local, err);
    aws_xml_free(doc);
    if (st == TS_ERR_NOT_FOUND) {
        ts_err_clear(err);
        aws_svc_info_clear(info);
        if (info) info->already_gone = true;
        return TS_OK;
    }
    if (info) *info = local;
    return st;
}

static char *dup_text(const aws_xml_node *n, const char *name)
{
    const char *t = aws_xml_child_text(n, name);
    return ts_strdup(t ? t : "");
}

/* Calls fn(ctx, member) for each <member> of list. */
typedef ts_status (*member_fn)(void *ctx, const aws_xml_node *m, ts_error *err);

static ts_status each_member(const aws_xml_node *list, member_fn fn, void *ctx, ts_error *err)
{
    if (!list) return TS_OK;
    for (const aws_xml_node *m = list->first; m; m = m->next)
        if (strcmp(m->name, "member") == 0) TS_TRY(fn(ctx, m, err));
    return TS_OK;
}

typedef ts_status (*result_fn)(void *ctx, const aws_xml_node *result, ts_error *err);

/* Every page of a list action: params + MaxItems + Marker, result() for each
 * <ActionResult>. parent_may_vanish: NoSuchEntity on the first page is an
 * empty list with info->already_gone. */
static ts_status list_pages(aws_client *c, const char *action, const aws_param *params,
                            size_t nparams, unsigned page_size, result_fn result, void *ctx,
                            bool parent_may_vanish, aws_svc_info *info, ts_error *err)
{
    aws_svc_info_clear(info);
    aws_param ps[IAM_MAX_PARAMS];
    if (nparams + 2 > IAM_MAX_PARAMS) return ts_err_set(err, TS_ERR_INTERNAL, "iam: too many parameters");
    memcpy(ps, params, nparams * sizeof *ps);
    char maxitems[16];
    snprintf(maxitems, sizeof maxitems, "%u", page_size ? (page_size > 1000 ? 1000 : page_size) : 1000);
    char *marker = NULL;
    ts_status st = TS_OK;
    for (int page = 0;; page++) {
        if (page >= IAM_MAX_PAGES) {
            st = ts_err_set(err, TS_ERR_LIMIT, "iam %s: more than %d pages", action, IAM_MAX_PAGES);
            break;
        }
        size_t np = nparams;
        ps[np++] = (aws_param){"MaxItems", maxitems};
        if (marker) ps[np++] = (aws_param){"Marker", marker};
        aws_xml_node *doc = NULL;
        aws_svc_info local;
        st = iam_call(c, action, ps, np, &doc, &local, err);
        if (st == TS_ERR_NOT_FOUND && parent_may_vanish && page == 0) {
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
        const aws_xml_node *r = aws_query_result(doc, action);
        if (!r) {
            aws_xml_free(doc);
            st = ts_err_set(err, TS_ERR_CORRUPT, "iam %s: no %sResult in the response", action,
                            action);
            break;
        }
        st = result(ctx, r, err);
        const char *trunc = aws_xml_child_text(r, "IsTruncated");
        const char *next = aws_xml_child_text(r, "Marker");
        char *nm = NULL;
        if (st == TS_OK && trunc && strcmp(trunc, "true") == 0) {
            if (!next || !*next)
                st = ts_err_set(err, TS_ERR_CORRUPT, "iam %s: IsTruncated without a Marker",
                                action);
            else if (marker && strcmp(marker, next) == 0)
                st = ts_err_set(err, TS_ERR_CORRUPT,
                                "iam %s: the service returned the same Marker twice", action);
            else if (!(nm = ts_strdup(next)))
                st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
        aws_xml_free(doc);
        ts_free(marker);
        marker = nm;
        if (st != TS_OK || !marker) break;
    }
    ts_free(marker);
    return st;
}

/* ---- roles ---- */

typedef struct role_ctx {
    aws_iam_role *arr;
    size_t n, cap;
} role_ctx;

static ts_status role_member(void *vctx, const aws_xml_node *m, ts_error *err)
{
    role_ctx *x = vctx;
    TS_TRY(ts_grow((void **)&x->arr, sizeof *x->arr, x->n, &x->cap, 16, err));
    aws_iam_role *r = &x->arr[x->n++];
    r->name = dup_text(m, "RoleName");
    r->arn = dup_text(m, "Arn");
    r->path = dup_text(m, "Path");
    r->id = dup_text(m, "RoleId");
    if (!r->name || !r->arn || !r->path || !r->id)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (!*r->name) return ts_err_set(err, TS_ERR_CORRUPT, "iam ListRoles: a role without RoleName");
    return TS_OK;
}

static ts_status role_result(void *ctx, const aws_xml_node *r, ts_error *err)
{
    return each_member(aws_xml_child(r, "Roles"), role_member, ctx, err);
}

void aws_iam_roles_free(aws_iam_role *r, size_t n)
{
    if (!r) return;
    for (size_t i = 0; i < n; i++) {
        ts_free(r[i].name);
        ts_free(r[i].arn);
        ts_free(r[i].path);
        ts_free(r[i].id);
    }
    ts_free(r);
}

ts_status aws_iam_list_roles(aws_client *c, const char *path_prefix, unsigned page_size,
                             aws_iam_role **out, size_t *n, aws_svc_info *info, ts_error *err)
{
    *out = NULL;
    *n = 0;
    aws_param p[] = {{"PathPrefix", path_prefix}};
    role_ctx x = {0};
    ts_status st = list_pages(c, "ListRoles", p, path_prefix ? 1 : 0, page_size, role_result, &x,
                              false, info, err);
    if (st != TS_OK) {
        aws_iam_roles_free(x.arr, x.n);
        return st;
    }
    *out = x.arr;
    *n = x.n;
    return TS_OK;
}

/* ---- inline policies ---- */

typedef struct names_ctx {
    char **arr;
    size_t n, cap;
    const char *list;
} names_ctx;

static ts_status names_push(names_ctx *x, const char *s, ts_error *err)
{
    TS_TRY(ts_grow((void **)&x->arr, sizeof *x->arr, x->n, &x->cap, 16, err));
    if (!(x->arr[x->n] = ts_strdup(s))) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    x->n++;
    return TS_OK;
}

static ts_status names_result(void *vctx, const aws_xml_node *r, ts_error *err)
{
    names_ctx *x = vctx;
    const aws_xml_node *list = aws_xml_child(r, x->list);
    for (const aws_xml_node *m = list ? list->first : NULL; m; m = m->next)
        if (strcmp(m->name, "member") == 0 && m->text[0]) TS_TRY(names_push(x, m->text, err));
    return TS_OK;
}

ts_status aws_iam_list_role_policies(aws_client *c, const char *role, unsigned page_size,
                                     char ***names, size_t *n, aws_svc_info *info, ts_error *err)
{
    *names = NULL;
    *n = 0;
    aws_param p[] = {{"RoleName", role}};
    names_ctx x = {.list = "PolicyNames"};
    ts_status st = list_pages(c, "ListRolePolicies", p, 1, page_size, names_result, &x, true,
                              info, err);
    if (st != TS_OK) {
        aws_svc_names_free(x.arr, x.n);
        return st;
    }
    *names = x.arr;
    *n = x.n;
    return TS_OK;
}

ts_status aws_iam_delete_role_policy(aws_client *c, const char *role, const char *policy_name,
                                     aws_svc_info *info, ts_error *err)
{
    aws_param p[] = {{"RoleName", role}, {"PolicyName", policy_name}};
    return iam_delete(c, "DeleteRolePolicy", p, 2, info, err);
}

/* ---- attached policies ---- */

typedef struct att_ctx {
    aws_iam_attached_policy *arr;
    size_t n, cap;
} att_ctx;

static ts_status att_member(void *vctx, const aws_xml_node *m, ts_error *err)
{
    att_ctx *x = vctx;
    TS_TRY(ts_grow((void **)&x->arr, sizeof *x->arr, x->n, &x->cap, 16, err));
    aws_iam_attached_policy *p = &x->arr[x->n++];
    p->name = dup_text(m, "PolicyName");
    p->arn = dup_text(m, "PolicyArn");
    if (!p->name || !p->arn) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (!*p->arn)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "iam ListAttachedRolePolicies: a policy without PolicyArn");
    return TS_OK;
}

static ts_status att_result(void *ctx, const aws_xml_node *r, ts_error *err)
{
    return each_member(aws_xml_child(r, "AttachedPolicies"), att_member, ctx, err);
}

void aws_iam_attached_policies_free(aws_iam_attached_policy *p, size_t n)
{
    if (!p) return;
    for (size_t i = 0; i < n; i++) {
        ts_free(p[i].name);
        ts_free(p[i].arn);
    }
    ts_free(p);
}

ts_status aws_iam_list_attached_role_policies(aws_client *c, const char *role, unsigned page_size,
                                              aws_iam_attached_policy **out, size_t *n,
                                              aws_svc_info *info, ts_error *err)
{
    *out = NULL;
    *n = 0;
    aws_param p[] = {{"RoleName", role}};
    att_ctx x = {0};
    ts_status st = list_pages(c, "ListAttachedRolePolicies", p, 1, page_size, att_result, &x,
                              true, info, err);
    if (st != TS_OK) {
        aws_iam_attached_policies_free(x.arr, x.n);
        return st;
    }
    *out = x.arr;
    *n = x.n;
    return TS_OK;
}

ts_status aws_iam_detach_role_policy(aws_client *c, const char *role, const char *policy_arn,
                                     aws_svc_info *info, ts_error *err)
{
    aws_param p[] = {{"RoleName", role}, {"PolicyArn", policy_arn}};
    return iam_delete(c, "DetachRolePolicy", p, 2, info, err);
}

/* ---- entities for a policy ---- */

typedef struct ent_ctx {
    names_ctx roles, users, groups;
} ent_ctx;

static ts_status ent_list(names_ctx *x, const aws_xml_node *r, const char *list, const char *key,
                          ts_error *err)
{
    const aws_xml_node *l = aws_xml_child(r, list);
    for (const aws_xml_node *m = l ? l->first : NULL; m; m = m->next) {
        if (strcmp(m->name, "member") != 0) continue;
        const char *name = aws_xml_child_text(m, key);
        if (!name || !*name)
            return ts_err_set(err, TS_ERR_CORRUPT, "iam ListEntitiesForPolicy: %s without %s",
                              list, key);
        TS_TRY(names_push(x, name, err));
    }
    return TS_OK;
}

static ts_status ent_result(void *vctx, const aws_xml_node *r, ts_error *err)
{
    ent_ctx *x = vctx;
    TS_TRY(ent_list(&x->roles, r, "PolicyRoles", "RoleName", err));
    TS_TRY(ent_list(&x->users, r, "PolicyUsers", "UserName", err));
    return ent_list(&x->groups, r, "PolicyGroups", "GroupName", err);
}

void aws_iam_policy_entities_free(aws_iam_policy_entities *e)
{
    if (!e) return;
    aws_svc_names_free(e->roles, e->nroles);
    aws_svc_names_free(e->users, e->nusers);
    aws_svc_names_free(e->groups, e->ngroups);
    memset(e, 0, sizeof *e);
}

ts_status aws_iam_list_entities_for_policy(aws_client *c, const char *policy_arn,
                                           unsigned page_size, aws_iam_policy_entities *out,
                                           aws_svc_info *info, ts_error *err)
{
    memset(out, 0, sizeof *out);
    aws_param p[] = {{"PolicyArn", policy_arn}};
    ent_ctx x = {0};
    ts_status st = list_pages(c, "ListEntitiesForPolicy", p, 1, page_size, ent_result, &x, true,
                              info, err);
    out->roles = x.roles.arr;
    out->nroles = x.roles.n;
    out->users = x.users.arr;
    out->nusers = x.users.n;
    out->groups = x.groups.arr;
    out->ngroups = x.groups.n;
    if (st != TS_OK) aws_iam_policy_entities_free(out);
    return st;
}

/* ---- policy versions ---- */

typedef struct pv_ctx {
    aws_iam_policy_version *arr;
    size_t n, cap;
} pv_ctx;

static ts_status pv_member(void *vctx, const aws_xml_node *m, ts_error *err)
{
    pv_ctx *x = vctx;
    TS_TRY(ts_grow((void **)&x->arr, sizeof *x->arr, x->n, &x->cap, 16, err));
    aws_iam_policy_version *v = &x->arr[x->n++];
    v->version_id = dup_text(m, "VersionId");
    if (!v->version_id) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (!*v->version_id)
        return ts_err_set(err, TS_ERR_CORRUPT, "iam ListPolicyVersions: a version without VersionId");
    const char *d = aws_xml_child_text(m, "IsDefaultVersion");
    v->is_default = d && strcmp(d, "true") == 0;
    return TS_OK;
}

static ts_status pv_result(void *ctx, const aws_xml_node *r, ts_error *err)
{
    return each_member(aws_xml_child(r, "Versions"), pv_member, ctx, err);
}

void aws_iam_policy_versions_free(aws_iam_policy_version *v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++) ts_free(v[i].version_id);
    ts_free(v);
}

ts_status aws_iam_list_policy_versions(aws_client *c, const char *policy_arn, unsigned page_size,
                                       aws_iam_policy_version **out, size_t *n,
                                       aws_svc_info *info, ts_error *err)
{
    *out = NULL;
    *n = 0;
    aws_param p[] = {{"PolicyArn", policy_arn}};
    pv_ctx x = {0};
    ts_status st = list_pages(c, "ListPolicyVersions", p, 1, page_size, pv_result, &x, true,
                              info, err);
    if (st != TS_OK) {
        aws_iam_policy_versions_free(x.arr, x.n);
        return st;
    }
    *out = x.arr;
    *n = x.n;
    return TS_OK;
}

ts_status aws_iam_delete_policy_version(aws_client *c, const char *policy_arn,
                                        const char *version_id, aws_svc_info *info,
                                        ts_error *err)
{
    aws_param p[] = {{"PolicyArn", policy_arn}, {"VersionId", version_id}};
    return iam_delete(c, "DeletePolicyVersion", p, 2, info, err);
}

ts_status aws_iam_delete_policy(aws_client *c, const char *policy_arn, aws_svc_info *info,
                                ts_error *err)
{
    aws_param p[] = {{"PolicyArn", policy_arn}};
    return iam_delete(c, "DeletePolicy", p, 1, info, err);
}

/* ---- instance profiles ---- */

typedef struct ip_ctx {
    aws_iam_instance_profile *arr;
    size_t n, cap;
} ip_ctx;

static ts_status ip_member(void *vctx, const aws_xml_node *m, ts_error *err)
{
    ip_ctx *x = vctx;
    TS_TRY(ts_grow((void **)&x->arr, sizeof *x->arr, x->n, &x->cap, 16, err));
    aws_iam_instance_profile *p = &x->arr[x->n++];
    p->name = dup_text(m, "InstanceProfileName");
    p->arn = dup_text(m, "Arn");
    if (!p->name || !p->arn) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (!*p->name)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "iam ListInstanceProfilesForRole: a profile without InstanceProfileName");
    names_ctx roles = {0};
    const aws_xml_node *l = aws_xml_child(m, "Roles");
    ts_status st = TS_OK;
    for (const aws_xml_node *r = l ? l->first : NULL; r && st == TS_OK; r = r->next) {
        const char *rn = strcmp(r->name, "member") == 0 ? aws_xml_child_text(r, "RoleName") : NULL;
        if (rn && *rn) st = names_push(&roles, rn, err);
    }
    p->roles = roles.arr;
    p->nroles = roles.n;
    return st;
}

static ts_status ip_result(void *ctx, const aws_xml_node *r, ts_error *err)
{
    return each_member(aws_xml_child(r, "InstanceProfiles"), ip_member, ctx, err);
}

void aws_iam_instance_profiles_free(aws_iam_instance_profile *p, size_t n)
{
    if (!p) return;
    for (size_t i = 0; i < n; i++) {
        ts_free(p[i].name);
        ts_free(p[i].arn);
        aws_svc_names_free(p[i].roles, p[i].nroles);
    }
    ts_free(p);
}

ts_status aws_iam_list_instance_profiles_for_role(aws_client *c, const char *role,
                                                  unsigned page_size,
                                                  aws_iam_instance_profile **out, size_t *n,
                                                  aws_svc_info *info, ts_error *err)
{
    *out = NULL;
    *n = 0;
    aws_param p[] = {{"RoleName", role}};
    ip_ctx x = {0};
    ts_status st = list_pages(c, "ListInstanceProfilesForRole", p, 1, page_size, ip_result, &x,
                              true, info, err);
    if (st != TS_OK) {
        aws_iam_instance_profiles_free(x.arr, x.n);
        return st;
    }
    *out = x.arr;
    *n = x.n;
    return TS_OK;
}

ts_status aws_iam_remove_role_from_instance_profile(aws_client *c, const char *profile,
                                                    const char *role, aws_svc_info *info,
                                                    ts_error *err)
{
    aws_param p[] = {{"InstanceProfileName", profile}, {"RoleName", role}};
    return iam_delete(c, "RemoveRoleFromInstanceProfile", p, 2, info, err);
}

ts_status aws_iam_delete_instance_profile(aws_client *c, const char *profile,
                                          aws_svc_info *info, ts_error *err)
{
    aws_param p[] = {{"InstanceProfileName", profile}};
    return iam_delete(c, "DeleteInstanceProfile", p, 1, info, err);
}

ts_status aws_iam_delete_role(aws_client *c, const char *role, aws_svc_info *info,
                              ts_error *err)
{
    aws_param p[] = {{"RoleName", role}};
    return iam_delete(c, "DeleteRole", p, 1, info, err);
}
