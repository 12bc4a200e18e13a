/* IAM roles, policies and instance profiles over awsQuery (aws_svc_query_call),
 * signed for the partition's IAM region; lists page through aws_page_list
 * (Marker/IsTruncated), deletes treat NoSuchEntity as done. */
#include "aws/aws_iam.h"

#include <stdio.h>
#include <string.h>

#include "aws/aws_page.h"
#include "core/ts_alloc.h"

static const aws_svc_query iam_svc = {"IAM", "iam", "2010-05-08"};

/* IAM is global per partition: its signing region is fixed. */
static const char *iam_region(const aws_client *c)
{
    const char *r = aws_client_config(c)->region;
    if (r && strncmp(r, "cn-", 3) == 0) return "cn-north-1";
    if (r && strncmp(r, "us-gov-", 7) == 0) return "us-gov-west-1";
    return "us-east-1";
}

/* A delete/detach/remove: NoSuchEntity → TS_OK + already_gone. */
static ts_status iam_delete(aws_client *c, const char *action, const aws_param *params,
                            size_t nparams, aws_svc_info *info, ts_error *err)
{
    aws_svc_info local;
    aws_xml_node *doc = NULL;
    ts_status st = aws_svc_query_call(c, &iam_svc, iam_region(c), action, params, nparams, &doc,
                                      &local, err);
    aws_xml_free(doc);
    return aws_svc_delete_outcome(st, &local, info, err);
}

static ts_status iam_page_call(void *c, const char *op, const aws_page_req *rq, aws_page_ans *ans,
                               aws_svc_info *info, ts_error *err)
{
    return aws_svc_query_call(c, &iam_svc, iam_region(c), op, rq->params, rq->nparams, &ans->xml,
                              info, err);
}

/* Every list action: MaxItems + Marker, followed while IsTruncated. */
static const aws_page_style iam_paging = {
    .service = "iam", .proto = AWS_PAGE_QUERY, .call = iam_page_call,
    .size_field = "MaxItems", .size_default = 1000, .size_max = 1000,
    .token_in = "Marker", .token_out = "Marker", .truncated = "IsTruncated"};

/* d with the one parameter key=value (value NULL = none) into v. */
static ts_status iam_list(aws_client *c, const aws_page_desc *d, const char *key,
                          const char *value, unsigned page_size, bool parent_may_vanish,
                          void *v, aws_svc_info *info, ts_error *err)
{
    aws_param p[] = {{key, value}};
    aws_page_run run = {.call_ctx = c, .base = {.params = p, .nparams = value ? 1 : 0},
                        .page_size = page_size, .parent_may_vanish = parent_may_vanish,
                        .item_ctx = v};
    return aws_page_list(d, &run, info, err);
}

static char *dup_text(const aws_xml_node *n, const char *name)
{
    const char *t = aws_xml_child_text(n, name);
    return ts_strdup(t ? t : "");
}

/* ---- roles ---- */

static ts_status role_member(void *vec, const aws_xml_node *m, ts_error *err)
{
    aws_iam_role *r = aws_page_vec_push(vec, sizeof *r, err);
    if (!r) return TS_ERR_NOMEM;
    r->name = dup_text(m, "RoleName");
    r->arn = dup_text(m, "Arn");
    r->path = dup_text(m, "Path");
    r->id = dup_text(m, "RoleId");
    if (!r->name || !r->arn || !r->path || !r->id)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (!*r->name) return ts_err_set(err, TS_ERR_CORRUPT, "iam ListRoles: a role without RoleName");
    return TS_OK;
}

static const aws_page_desc list_roles = {&iam_paging, "ListRoles", "Roles",
                                         .xml_item = role_member};

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
    aws_page_vec v = {0};
    ts_status st = iam_list(c, &list_roles, "PathPrefix", path_prefix, page_size, false, &v, info,
                            err);
    if (st != TS_OK) aws_iam_roles_free(v.items, v.n);
    *out = st == TS_OK ? v.items : NULL;
    *n = st == TS_OK ? v.n : 0;
    return st;
}

/* ---- inline policies ---- */

static ts_status policy_name_member(void *vec, const aws_xml_node *m, ts_error *err)
{
    return m->text[0] ? aws_page_vec_push_str(vec, m->text, err) : TS_OK;
}

static const aws_page_desc list_role_policies = {&iam_paging, "ListRolePolicies", "PolicyNames",
                                                 .xml_item = policy_name_member};

ts_status aws_iam_list_role_policies(aws_client *c, const char *role, unsigned page_size,
                                     char ***names, size_t *n, aws_svc_info *info, ts_error *err)
{
    aws_page_vec v = {0};
    ts_status st = iam_list(c, &list_role_policies, "RoleName", role, page_size, true, &v, info,
                            err);
    if (st != TS_OK) aws_svc_names_free(v.items, v.n);
    *names = st == TS_OK ? v.items : NULL;
    *n = st == TS_OK ? v.n : 0;
    return st;
}

ts_status aws_iam_delete_role_policy(aws_client *c, const char *role, const char *policy_name,
                                     aws_svc_info *info, ts_error *err)
{
    aws_param p[] = {{"RoleName", role}, {"PolicyName", policy_name}};
    return iam_delete(c, "DeleteRolePolicy", p, 2, info, err);
}

/* ---- attached policies ---- */

static ts_status att_member(void *vec, const aws_xml_node *m, ts_error *err)
{
    aws_iam_attached_policy *p = aws_page_vec_push(vec, sizeof *p, err);
    if (!p) return TS_ERR_NOMEM;
    p->name = dup_text(m, "PolicyName");
    p->arn = dup_text(m, "PolicyArn");
    if (!p->name || !p->arn) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (!*p->arn)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "iam ListAttachedRolePolicies: a policy without PolicyArn");
    return TS_OK;
}

static const aws_page_desc list_attached = {&iam_paging, "ListAttachedRolePolicies",
                                            "AttachedPolicies", .xml_item = att_member};

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
    aws_page_vec v = {0};
    ts_status st = iam_list(c, &list_attached, "RoleName", role, page_size, true, &v, info, err);
    if (st != TS_OK) aws_iam_attached_policies_free(v.items, v.n);
    *out = st == TS_OK ? v.items : NULL;
    *n = st == TS_OK ? v.n : 0;
    return st;
}

ts_status aws_iam_detach_role_policy(aws_client *c, const char *role, const char *policy_arn,
                                     aws_svc_info *info, ts_error *err)
{
    aws_param p[] = {{"RoleName", role}, {"PolicyArn", policy_arn}};
    return iam_delete(c, "DetachRolePolicy", p, 2, info, err);
}

/* ---- entities for a policy ---- */

typedef struct ent_ctx {
    aws_page_vec roles, users, groups;
} ent_ctx;

static ts_status ent_list(aws_page_vec *v, const aws_xml_node *r, const char *list, const char *key,
                          ts_error *err)
{
    const aws_xml_node *l = aws_xml_child(r, list);
    for (const aws_xml_node *m = l ? l->first : NULL; m; m = m->next) {
        if (strcmp(m->name, "member") != 0) continue;
        const char *name = aws_xml_child_text(m, key);
        if (!name || !*name)
            return ts_err_set(err, TS_ERR_CORRUPT, "iam ListEntitiesForPolicy: %s without %s",
                              list, key);
        TS_TRY(aws_page_vec_push_str(v, name, err));
    }
    return TS_OK;
}

/* three lists in one result */
static ts_status ent_result(void *vctx, const aws_xml_node *r, ts_error *err)
{
    ent_ctx *x = vctx;
    TS_TRY(ent_list(&x->roles, r, "PolicyRoles", "RoleName", err));
    TS_TRY(ent_list(&x->users, r, "PolicyUsers", "UserName", err));
    return ent_list(&x->groups, r, "PolicyGroups", "GroupName", err);
}

static const aws_page_desc list_entities = {&iam_paging, "ListEntitiesForPolicy", NULL,
                                            .xml_item = ent_result};

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
    ent_ctx x = {0};
    ts_status st = iam_list(c, &list_entities, "PolicyArn", policy_arn, page_size, true, &x, info,
                            err);
    *out = (aws_iam_policy_entities){.roles = x.roles.items, .nroles = x.roles.n,
                                     .users = x.users.items, .nusers = x.users.n,
                                     .groups = x.groups.items, .ngroups = x.groups.n};
    if (st != TS_OK) aws_iam_policy_entities_free(out);
    return st;
}

/* ---- policy versions ---- */

static ts_status pv_member(void *vec, const aws_xml_node *m, ts_error *err)
{
    aws_iam_policy_version *pv = aws_page_vec_push(vec, sizeof *pv, err);
    if (!pv) return TS_ERR_NOMEM;
    pv->version_id = dup_text(m, "VersionId");
    if (!pv->version_id) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (!*pv->version_id)
        return ts_err_set(err, TS_ERR_CORRUPT, "iam ListPolicyVersions: a version without VersionId");
    const char *d = aws_xml_child_text(m, "IsDefaultVersion");
    pv->is_default = d && strcmp(d, "true") == 0;
    return TS_OK;
}

static const aws_page_desc list_versions = {&iam_paging, "ListPolicyVersions", "Versions",
                                            .xml_item = pv_member};

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
    aws_page_vec v = {0};
    ts_status st = iam_list(c, &list_versions, "PolicyArn", policy_arn, page_size, true, &v, info,
                            err);
    if (st != TS_OK) aws_iam_policy_versions_free(v.items, v.n);
    *out = st == TS_OK ? v.items : NULL;
    *n = st == TS_OK ? v.n : 0;
    return st;
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

static ts_status ip_member(void *vec, const aws_xml_node *m, ts_error *err)
{
    aws_iam_instance_profile *p = aws_page_vec_push(vec, sizeof *p, err);
    if (!p) return TS_ERR_NOMEM;
    p->name = dup_text(m, "InstanceProfileName");
    p->arn = dup_text(m, "Arn");
    if (!p->name || !p->arn) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (!*p->name)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "iam ListInstanceProfilesForRole: a profile without InstanceProfileName");
    aws_page_vec roles = {0};
    const aws_xml_node *l = aws_xml_child(m, "Roles");
    ts_status st = TS_OK;
    for (const aws_xml_node *r = l ? l->first : NULL; r && st == TS_OK; r = r->next) {
        const char *rn = strcmp(r->name, "member") == 0 ? aws_xml_child_text(r, "RoleName") : NULL;
        if (rn && *rn) st = aws_page_vec_push_str(&roles, rn, err);
    }
    p->roles = roles.items;
    p->nroles = roles.n;
    return st;
}

static const aws_page_desc list_profiles = {&iam_paging, "ListInstanceProfilesForRole",
                                            "InstanceProfiles", .xml_item = ip_member};

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
    aws_page_vec v = {0};
    ts_status st = iam_list(c, &list_profiles, "RoleName", role, page_size, true, &v, info, err);
    if (st != TS_OK) aws_iam_instance_profiles_free(v.items, v.n);
    *out = st == TS_OK ? v.items : NULL;
    *n = st == TS_OK ? v.n : 0;
    return st;
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
