/* AWS IAM (awsQuery, Version 2010-05-08; global: endpoint id IAM, signed
 * for region us-east-1, service "iam"): the role and policy inventory and
 * the deletes `tsarchive cleanup` needs, in the order a role must be taken
 * apart (instance profiles, attached policies, inline policies, then the
 * role; customer-managed policies: non-default versions, then the policy).
 * Lists follow Marker/IsTruncated to the end; deletes are idempotent. */
#ifndef AWS_AWS_IAM_H
#define AWS_AWS_IAM_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/aws.h"
#include "aws/aws_svc.h"

/* Calls take the shared aws_client (borrowed), an optional aws_svc_info
 * (aws_svc.h: error code, denied IAM action, already_gone) and err.
 * page_size: MaxItems per page (0 = 1000, the service's largest). Lists
 * return owned arrays (NULL when empty; *n = 0 on failure) freed with the
 * matching _free; name lists are char ** freed with aws_svc_names_free.
 * A list under a parent that does not exist (role, policy) returns TS_OK,
 * an empty list and info->already_gone. Deletes of something missing
 * (NoSuchEntity) return TS_OK with info->already_gone. IAM is eventually
 * consistent: re-list before declaring a role gone. The IAM action of each
 * call is iam:<Operation>. */

typedef struct aws_iam_role {
    char *name; /* RoleName */
    char *arn;  /* Arn */
    char *path; /* Path ("/", "/service-role/", "/aws-service-role/..." — service-linked
                   roles cannot be deleted with DeleteRole) */
    char *id;   /* RoleId */
} aws_iam_role;

/* ListRoles (path_prefix NULL = all), every page. */
ts_status aws_iam_list_roles(aws_client *c, const char *path_prefix, unsigned page_size,
                             aws_iam_role **out, size_t *n, aws_svc_info *info, ts_error *err);
void aws_iam_roles_free(aws_iam_role *r, size_t n);

/* ListRolePolicies: names of the role's inline policies. */
ts_status aws_iam_list_role_policies(aws_client *c, const char *role, unsigned page_size,
                                     char ***names, size_t *n, aws_svc_info *info, ts_error *err);
/* DeleteRolePolicy (an inline policy). */
ts_status aws_iam_delete_role_policy(aws_client *c, const char *role, const char *policy_name,
                                     aws_svc_info *info, ts_error *err);

typedef struct aws_iam_attached_policy {
    char *name; /* PolicyName */
    char *arn;  /* PolicyArn ("arn:aws:iam::aws:policy/..." = AWS-managed: detach only) */
} aws_iam_attached_policy;

/* ListAttachedRolePolicies, every page. */
ts_status aws_iam_list_attached_role_policies(aws_client *c, const char *role, unsigned page_size,
                                              aws_iam_attached_policy **out, size_t *n,
                                              aws_svc_info *info, ts_error *err);
void aws_iam_attached_policies_free(aws_iam_attached_policy *p, size_t n);
/* DetachRolePolicy; not attached / no such role or policy → already_gone. */
ts_status aws_iam_detach_role_policy(aws_client *c, const char *role, const char *policy_arn,
                                     aws_svc_info *info, ts_error *err);

/* Who uses a managed policy (ListEntitiesForPolicy, every page): names of
 * the roles, users and groups it is attached to. */
typedef struct aws_iam_policy_entities {
    char **roles;
    size_t nroles;
    char **users;
    size_t nusers;
    char **groups;
    size_t ngroups;
} aws_iam_policy_entities;

/* *out is zeroed first; free with aws_iam_policy_entities_free (also after
 * a failure). A missing policy: empty, TS_OK, info->already_gone. */
ts_status aws_iam_list_entities_for_policy(aws_client *c, const char *policy_arn,
                                           unsigned page_size, aws_iam_policy_entities *out,
                                           aws_svc_info *info, ts_error *err);
void aws_iam_policy_entities_free(aws_iam_policy_entities *e);

typedef struct aws_iam_policy_version {
    char *version_id; /* "v1", "v2", ... */
    bool is_default;  /* the default version goes with DeletePolicy, not DeletePolicyVersion */
} aws_iam_policy_version;

/* ListPolicyVersions, every page. */
ts_status aws_iam_list_policy_versions(aws_client *c, const char *policy_arn, unsigned page_size,
                                       aws_iam_policy_version **out, size_t *n,
                                       aws_svc_info *info, ts_error *err);
void aws_iam_policy_versions_free(aws_iam_policy_version *v, size_t n);
/* DeletePolicyVersion (a non-default version; the default one is refused by
 * the service with DeleteConflict). */
ts_status aws_iam_delete_policy_version(aws_client *c, const char *policy_arn,
                                        const char *version_id, aws_svc_info *info,
                                        ts_error *err);
/* DeletePolicy (customer-managed; must be detached everywhere and have no
 * non-default versions left, else DeleteConflict). */
ts_status aws_iam_delete_policy(aws_client *c, const char *policy_arn, aws_svc_info *info,
                                ts_error *err);

typedef struct aws_iam_instance_profile {
    char *name;   /* InstanceProfileName */
    char *arn;    /* Arn */
    char **roles; /* Roles[].RoleName in the profile (at most one on AWS) */
    size_t nroles;
} aws_iam_instance_profile;

/* ListInstanceProfilesForRole, every page. */
ts_status aws_iam_list_instance_profiles_for_role(aws_client *c, const char *role,
                                                  unsigned page_size,
                                                  aws_iam_instance_profile **out, size_t *n,
                                                  aws_svc_info *info, ts_error *err);
void aws_iam_instance_profiles_free(aws_iam_instance_profile *p, size_t n);
/* RemoveRoleFromInstanceProfile. */
ts_status aws_iam_remove_role_from_instance_profile(aws_client *c, const char *profile,
                                                    const char *role, aws_svc_info *info,
                                                    ts_error *err);
/* DeleteInstanceProfile (its roles must be removed first: DeleteConflict). */
ts_status aws_iam_delete_instance_profile(aws_client *c, const char *profile,
                                          aws_svc_info *info, ts_error *err);

/* DeleteRole: refused by the service with DeleteConflict (TS_ERR_REMOTE,
 * info->code "DeleteConflict") while policies are attached, inline policies
 * remain or it is in an instance profile. */
ts_status aws_iam_delete_role(aws_client *c, const char *role, aws_svc_info *info,
                              ts_error *err);

#endif
