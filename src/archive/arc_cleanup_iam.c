/* Cleanup of IAM: roles whose names carry "timestream", the project and the
 * environment, taken apart in the order the service demands — inline
 * policies deleted, managed policies detached (and deleted with every
 * version when nothing else uses them), instance profiles emptied or
 * deleted — then the role. A role a staying function runs as is kept. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "arc_cleanup_int.h"
#include "aws/aws_iam.h"
#include "core/ts_alloc.h"

static bool icontains(const char *s, const char *word)
{
    size_t wl = strlen(word);
    for (; *s; s++) {
        size_t i = 0;
        while (i < wl && s[i] && tolower((unsigned char)s[i]) == tolower((unsigned char)word[i])) i++;
        if (i == wl) return true;
    }
    return false;
}

static bool default_role(const arc_cl_opts *o, const char *name)
{
    return icontains(name, "timestream") && arc_cl_has_token(name, o->project) &&
           arc_cl_has_token(name, o->environment);
}

static const char *role_name_of(const char *arn)
{
    const char *s = strrchr(arn, '/');
    return s ? s + 1 : arn;
}

static arc_cl_item *find_arn(arc_cl_plan *p, arc_cl_kind kind, const char *arn)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->items[i].kind == kind && p->items[i].arn && strcmp(p->items[i].arn, arn) == 0)
            return &p->items[i];
    return NULL;
}

static bool is_matched_role(const aws_iam_role *roles, const bool *m, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (m[i] && strcmp(roles[i].name, name) == 0) return true;
    return false;
}

static ts_status add_policy(arc_cl_run *r, const aws_iam_role *roles, const bool *m, size_t nroles,
                            const aws_iam_role *role, const aws_iam_attached_policy *ap,
                            ts_error *err)
{
    aws_client *c = r->o->client;
    arc_cl_item *at = NULL;
    bool aws_managed = strstr(ap->arn, ":aws:policy/") != NULL;
    TS_TRY(arc_cl_plan_add(r->p, ARC_CL_POLICY_ATTACHMENT, ARC_CL_DETACH, ap->name, ap->arn,
                           role->name,
                           aws_managed ? "AWS-managed policy: detached only"
                                       : "attached to a role that is deleted",
                           NULL, &at, err));
    if (aws_managed || find_arn(r->p, ARC_CL_POLICY, ap->arn)) return TS_OK;
    aws_iam_policy_entities ents;
    ts_status st = aws_iam_list_entities_for_policy(c, ap->arn, 0, &ents, NULL, err);
    const char *other = NULL, *what = NULL;
    for (size_t i = 0; st == TS_OK && i < ents.nroles && !other; i++)
        if (!is_matched_role(roles, m, nroles, ents.roles[i])) {
            other = ents.roles[i];
            what = "role";
        }
    if (st == TS_OK && !other && ents.nusers) {
        other = ents.users[0];
        what = "user";
    }
    if (st == TS_OK && !other && ents.ngroups) {
        other = ents.groups[0];
        what = "group";
    }
    arc_cl_item *pi = NULL;
    if (st == TS_OK)
        st = arc_cl_plan_add(r->p, ARC_CL_POLICY, ARC_CL_DELETE, ap->name, ap->arn, NULL,
                             "customer-managed policy only deleted roles use", NULL, &pi, err);
    if (st == TS_OK && other) {
        arc_cl_item_keep(pi, ARC_CL_KEEP_DEPENDENCY, "also attached to %s %s, which stays", what,
                         other);
    } else if (st == TS_OK) {
        aws_iam_policy_version *v = NULL;
        size_t nv = 0;
        st = aws_iam_list_policy_versions(c, ap->arn, 0, &v, &nv, NULL, err);
        json_t *vs = json_array();
        for (size_t i = 0; st == TS_OK && i < nv; i++)
            json_array_append_new(vs, json_pack("{s:s,s:b}", "version", v[i].version_id, "default",
                                                v[i].is_default));
        pi->held = json_pack("{s:o}", "versions", vs);
        aws_iam_policy_versions_free(v, nv);
    }
    aws_iam_policy_entities_free(&ents);
    return st;
}

static ts_status add_role(arc_cl_run *r, const aws_iam_role *roles, const bool *m, size_t nroles,
                          const aws_iam_role *role, ts_error *err)
{
    aws_client *c = r->o->client;
    /* a function that stays and runs as this role keeps it */
    for (size_t i = 0; i < r->nfns; i++) {
        if (r->fn_matched[i] || !r->fns[i].role_arn) continue;
        if (strcmp(role_name_of(r->fns[i].role_arn), role->name) == 0) {
            arc_cl_item *it = NULL;
            TS_TRY(arc_cl_plan_add(r->p, ARC_CL_ROLE, ARC_CL_KEEP, role->name, role->arn, NULL,
                                   NULL, NULL, &it, err));
            arc_cl_item_keep(it, ARC_CL_KEEP_DEPENDENCY, "function %s, which stays, runs as it",
                             r->fns[i].name);
            return TS_OK;
        }
    }
    char **inl = NULL;
    size_t ninl = 0;
    aws_iam_attached_policy *att = NULL;
    size_t natt = 0;
    aws_iam_instance_profile *ip = NULL;
    size_t nip = 0;
    ts_status st = aws_iam_list_role_policies(c, role->name, 0, &inl, &ninl, NULL, err);
    if (st == TS_OK) st = aws_iam_list_attached_role_policies(c, role->name, 0, &att, &natt, NULL, err);
    if (st == TS_OK)
        st = aws_iam_list_instance_profiles_for_role(c, role->name, 0, &ip, &nip, NULL, err);
    for (size_t i = 0; st == TS_OK && i < ninl; i++) {
        st = arc_cl_plan_add(r->p, ARC_CL_ROLE_POLICY, ARC_CL_DELETE, inl[i], NULL, role->name,
                             "inline policy of a role that is deleted", NULL, NULL, err);
    }
    for (size_t i = 0; st == TS_OK && i < natt; i++)
        st = add_policy(r, roles, m, nroles, role, &att[i], err);
    for (size_t i = 0; st == TS_OK && i < nip; i++) {
        const char *other = NULL;
        for (size_t k = 0; k < ip[i].nroles && !other; k++)
            if (!is_matched_role(roles, m, nroles, ip[i].roles[k])) other = ip[i].roles[k];
        char why[ARC_CL_NAME_BUF];
        if (other) snprintf(why, sizeof why, "shared with role %s, which stays: the role is only removed from it", other);
        else snprintf(why, sizeof why, "instance profile of a role that is deleted");
        st = arc_cl_plan_add(r->p, ARC_CL_INSTANCE_PROFILE, other ? ARC_CL_DETACH : ARC_CL_DELETE,
                             ip[i].name, ip[i].arn, role->name, why, NULL, NULL, err);
    }
    if (st == TS_OK) {
        json_t *held = json_pack("{s:s,s:[],s:[],s:[]}", "path", role->path ? role->path : "/",
                                 "inline_policies", "attached_policies", "instance_profiles");
        for (size_t i = 0; i < ninl; i++)
            json_array_append_new(json_object_get(held, "inline_policies"), json_string(inl[i]));
        for (size_t i = 0; i < natt; i++)
            json_array_append_new(json_object_get(held, "attached_policies"), json_string(att[i].arn));
        for (size_t i = 0; i < nip; i++)
            json_array_append_new(json_object_get(held, "instance_profiles"), json_string(ip[i].name));
        st = arc_cl_plan_add(r->p, ARC_CL_ROLE, ARC_CL_DELETE, role->name, role->arn, NULL,
                             arc_cl_has_match(r->o, ARC_CL_ROLE)
                                 ? "named by --match role"
                                 : "named with timestream, the project and the environment",
                             held, NULL, err);
    }
    aws_svc_names_free(inl, ninl);
    aws_iam_attached_policies_free(att, natt);
    aws_iam_instance_profiles_free(ip, nip);
    return st;
}

static ts_status inventory(arc_cl_run *r, ts_error *err)
{
    aws_iam_role *roles = NULL;
    size_t n = 0;
    TS_TRY(aws_iam_list_roles(r->o->client, NULL, 0, &roles, &n, NULL, err));
    bool *m = ts_calloc(n + 1, sizeof *m);
    ts_status st = m ? TS_OK : ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == TS_OK && i < n; i++)
        m[i] = strncmp(roles[i].path ? roles[i].path : "/", "/aws-service-role/", 18) != 0 &&
               arc_cl_name_matches(r->o, ARC_CL_ROLE, roles[i].name, default_role(r->o, roles[i].name));
    for (size_t i = 0; st == TS_OK && i < n; i++)
        if (m[i]) st = add_role(r, roles, m, n, &roles[i], err);
    ts_free(m);
    aws_iam_roles_free(roles, n);
    return st;
}

const arc_cl_inventory_ops arc_cl_inv_iam = {.name = "IAM", .inventory = inventory};

static ts_status del_role_policy(arc_cl_run *r, arc_cl_item *it, ts_error *err)
{
    return aws_iam_delete_role_policy(r->o->client, it->parent, it->name, &r->info, err);
}

static ts_status detach(arc_cl_run *r, arc_cl_item *it, ts_error *err)
{
    return aws_iam_detach_role_policy(r->o->client, it->parent, it->arn, &r->info, err);
}

static ts_status del_policy(arc_cl_run *r, arc_cl_item *it, ts_error *err)
{
    aws_iam_policy_version *v = NULL;
    size_t nv = 0;
    TS_TRY(aws_iam_list_policy_versions(r->o->client, it->arn, 0, &v, &nv, &r->info, err));
    ts_status st = TS_OK;
    for (size_t i = 0; st == TS_OK && i < nv; i++) {
        if (v[i].is_default) continue;
        arc_cl_pace(r, ARC_CL_SVC_IAM);
        aws_svc_info_clear(&r->info);
        st = aws_iam_delete_policy_version(r->o->client, it->arn, v[i].version_id, &r->info, err);
    }
    aws_iam_policy_versions_free(v, nv);
    if (st != TS_OK) return st;
    arc_cl_pace(r, ARC_CL_SVC_IAM);
    aws_svc_info_clear(&r->info);
    return aws_iam_delete_policy(r->o->client, it->arn, &r->info, err);
}

static ts_status del_profile(arc_cl_run *r, arc_cl_item *it, ts_error *err)
{
    TS_TRY(aws_iam_remove_role_from_instance_profile(r->o->client, it->name, it->parent, &r->info,
                                                     err));
    if (it->action == ARC_CL_DETACH) return TS_OK;
    arc_cl_pace(r, ARC_CL_SVC_IAM);
    aws_svc_info_clear(&r->info);
    return aws_iam_delete_instance_profile(r->o->client, it->name, &r->info, err);
}

static ts_status del_role(arc_cl_run *r, arc_cl_item *it, ts_error *err)
{
    return aws_iam_delete_role(r->o->client, it->name, &r->info, err);
}

const arc_cl_kind_ops arc_cl_k_role_policy = {
    .kind = ARC_CL_ROLE_POLICY, .name = "role-policy", .service = ARC_CL_SVC_IAM,
    .iam_action = "iam:DeleteRolePolicy", .apply = del_role_policy};
const arc_cl_kind_ops arc_cl_k_attachment = {
    .kind = ARC_CL_POLICY_ATTACHMENT, .name = "policy-attachment", .service = ARC_CL_SVC_IAM,
    .iam_action = "iam:DetachRolePolicy", .apply = detach};
const arc_cl_kind_ops arc_cl_k_policy = {.kind = ARC_CL_POLICY, .name = "policy",
                                         .service = ARC_CL_SVC_IAM,
                                         .iam_action = "iam:DeletePolicy", .apply = del_policy};
const arc_cl_kind_ops arc_cl_k_instance_profile = {
    .kind = ARC_CL_INSTANCE_PROFILE, .name = "instance-profile", .service = ARC_CL_SVC_IAM,
    .iam_action = "iam:DeleteInstanceProfile", .apply = del_profile};
const arc_cl_kind_ops arc_cl_k_role = {.kind = ARC_CL_ROLE, .name = "role",
                                       .service = ARC_CL_SVC_IAM,
                                       .iam_action = "iam:DeleteRole", .apply = del_role};
