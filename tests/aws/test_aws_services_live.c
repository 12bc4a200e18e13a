/* The cleanup services (aws_lambda_, aws_iam_, aws_logs_, aws_cw_, aws_tsa_)
 * against live servers, driven by tests/aws/test_aws_services.py, which
 * seeds the account first (tests/lib/aws_seed.py) and checks it afterwards
 * with boto3. TSARCHIVE_TEST_SCENARIO picks the tests:
 *   moto   — seeded account PROJECT-ENV (TSARCHIVE_TEST_PREFIX = "p-e"):
 *            list everything (small pages), take the loader stack apart,
 *            delete twice;
 *   denied — credentials allowed only to list: deletes report the code and
 *            the IAM action denied;
 *   tsemu  — our Timestream emulator with database TSARCHIVE_TEST_TS_DB
 *            (tables t1, t2) and TSARCHIVE_TEST_SQ_COUNT scheduled queries.
 * Without a scenario every test skips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aws/aws.h"
#include "aws/aws_cloudwatch.h"
#include "aws/aws_iam.h"
#include "aws/aws_lambda.h"
#include "aws/aws_logs.h"
#include "aws/aws_timestream_admin.h"
#include "core/ts_alloc.h"

static const char *scenario = "";
static const char *P = ""; /* "project-env" */
static aws_config cfg;
static aws_client *client;

#define CHECK(st, e)                                                                        \
    do {                                                                                    \
        ts_status s_ = (st);                                                                \
        if (s_ != TS_OK) {                                                                  \
            char m_[2048];                                                                  \
            ts_err_format(&(e), m_, sizeof m_);                                             \
            printf("%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #st, ts_status_name(s_), m_); \
        }                                                                                   \
        assert_int_equal(s_, TS_OK);                                                        \
    } while (0)

#define NAME(buf, fmt) snprintf(buf, sizeof buf, fmt, P)

static int group_setup(void **state)
{
    (void)state;
    const char *s = getenv("TSARCHIVE_TEST_SCENARIO");
    if (!s || !getenv("AWS_ENDPOINT_URL")) return 0;
    const char *p = getenv("TSARCHIVE_TEST_PREFIX");
    if (p) P = p;
    ts_error e;
    ts_err_clear(&e);
    CHECK(aws_config_load(&cfg, NULL, &e), e);
    CHECK(aws_client_new(&cfg, &client, &e), e);
    scenario = s;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (client) printf("retries: %llu\n", (unsigned long long)aws_client_retries(client));
    aws_client_free(client);
    aws_config_free(&cfg);
    return 0;
}

static void need(const char *s)
{
    if (strcmp(scenario, s) != 0) skip();
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* ---------------------------------------------------------------- Lambda */

static void test_lambda_inventory(void **state)
{
    (void)state;
    need("moto");
    ts_error e;
    ts_err_clear(&e);
    aws_svc_info info;
    char fn[256], role[300], lg[300], pandas[256];
    NAME(fn, "%s-timestream-loader");
    snprintf(role, sizeof role, ":role/%s-role", fn);
    snprintf(lg, sizeof lg, "/aws/lambda/%s", fn);
    NAME(pandas, "%s-pandas-pyarrow");

    aws_lambda_function *fns;
    size_t nf;
    CHECK(aws_lambda_list_functions(client, 1, &fns, &nf, &info, &e), e); /* one per page */
    printf("functions: %zu\n", nf);
    assert_true(nf >= 3);
    const aws_lambda_function *f = NULL;
    for (size_t i = 0; i < nf; i++)
        if (strcmp(fns[i].name, fn) == 0) f = &fns[i];
    assert_non_null(f);
    assert_true(ends_with(f->role_arn, role));
    assert_string_equal(f->log_group, lg);
    assert_string_equal(f->runtime, "python3.12");
    assert_int_equal(f->nlayers, 2);
    char lname[256], larn[512];
    int64_t lver = 0;
    CHECK(aws_lambda_layer_arn_parse(f->layer_arns[0], larn, sizeof larn, lname, sizeof lname,
                                     &lver, &e), e);
    assert_string_equal(lname, pandas);
    assert_int_equal(lver, 2);
    assert_true(strstr(f->layer_arns[0], larn) == f->layer_arns[0]);
    aws_lambda_functions_free(fns, nf);

    aws_lambda_version *vs;
    size_t nv;
    CHECK(aws_lambda_list_versions(client, fn, 1, &vs, &nv, &info, &e), e);
    assert_int_equal(nv, 3);
    int seen = 0;
    for (size_t i = 0; i < nv; i++) {
        if (strcmp(vs[i].version, "1") == 0) seen |= 1;
        if (strcmp(vs[i].version, "2") == 0) seen |= 2;
        if (strcmp(vs[i].version, "$LATEST") == 0) seen |= 4;
        assert_true(strstr(vs[i].arn, fn) != NULL);
    }
    assert_int_equal(seen, 7);
    aws_lambda_versions_free(vs, nv);

    aws_lambda_alias *as;
    size_t na;
    CHECK(aws_lambda_list_aliases(client, fn, 0, &as, &na, &info, &e), e);
    assert_int_equal(na, 1);
    assert_string_equal(as[0].name, "live");
    assert_string_equal(as[0].function_version, "1");
    assert_true(ends_with(as[0].arn, ":live"));
    aws_lambda_aliases_free(as, na);

    aws_lambda_mapping *ms;
    size_t nm;
    CHECK(aws_lambda_list_event_source_mappings(client, fn, 1, &ms, &nm, &info, &e), e);
    assert_int_equal(nm, 1);
    assert_true(strlen(ms[0].uuid) >= 32);
    assert_true(ends_with(ms[0].event_source_arn, "-timestream-ingest"));
    assert_true(ends_with(ms[0].function_arn, fn));
    assert_string_equal(ms[0].state, "Enabled");
    aws_lambda_mappings_free(ms, nm);
    /* every mapping of the region: the dev and prod loaders' */
    CHECK(aws_lambda_list_event_source_mappings(client, NULL, 1, &ms, &nm, &info, &e), e);
    assert_int_equal(nm, 2);
    aws_lambda_mappings_free(ms, nm);

    aws_lambda_layer *ls;
    size_t nl;
    CHECK(aws_lambda_list_layers(client, 1, &ls, &nl, &info, &e), e);
    printf("layers: %zu\n", nl);
    assert_true(nl >= 3);
    const aws_lambda_layer *l = NULL;
    for (size_t i = 0; i < nl; i++)
        if (strcmp(ls[i].name, pandas) == 0) l = &ls[i];
    assert_non_null(l);
    assert_int_equal(l->latest_version, 2);
    assert_string_equal(l->arn, larn);
    aws_lambda_layers_free(ls, nl);
    aws_lambda_layer_version *lv;
    size_t nlv;
    CHECK(aws_lambda_list_layer_versions(client, pandas, 1, &lv, &nlv, &info, &e), e);
    assert_int_equal(nlv, 2);
    assert_int_equal(lv[0].version + lv[1].version, 3);
    aws_lambda_layer_versions_free(lv, nlv);

    /* under a function that does not exist: empty, not an error */
    CHECK(aws_lambda_list_aliases(client, "tsa-no-such-function", 0, &as, &na, &info, &e), e);
    assert_int_equal(na, 0);
    assert_true(info.already_gone);
    /* AWS answers 404 here (already_gone); moto 5.2 an empty 200 */
    CHECK(aws_lambda_list_versions(client, "tsa-no-such-function", 0, &vs, &nv, &info, &e), e);
    assert_int_equal(nv, 0);
}

static void test_lambda_layer_arn_parse(void **state)
{
    (void)state;
    ts_error e;
    ts_err_clear(&e);
    char name[64], arn[128];
    int64_t v;
    CHECK(aws_lambda_layer_arn_parse("arn:aws:lambda:eu-west-2:123456789012:layer:pandas:17", arn,
                                     sizeof arn, name, sizeof name, &v, &e), e);
    assert_string_equal(arn, "arn:aws:lambda:eu-west-2:123456789012:layer:pandas");
    assert_string_equal(name, "pandas");
    assert_int_equal(v, 17);
    const char *bad[] = {"arn:aws:lambda:eu-west-2:123456789012:layer:pandas",
                         "arn:aws:lambda:eu-west-2:123456789012:function:f:1",
                         "arn:aws:lambda:eu-west-2:123456789012:layer:pandas:x",
                         "arn:aws:lambda:eu-west-2:123456789012:layer::3",
                         "arn:aws:lambda:eu-west-2:123456789012:layer:p:3:4", "", "x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ts_err_clear(&e);
        assert_int_equal(aws_lambda_layer_arn_parse(bad[i], NULL, 0, NULL, 0, &v, &e),
                         TS_ERR_CORRUPT);
        assert_true(strstr(e.msg, "ARN") != NULL || strstr(e.msg, "number") != NULL);
    }
    ts_err_clear(&e);
    assert_int_equal(aws_lambda_layer_arn_parse("arn:aws:lambda:r:1:layer:longname:1", NULL, 0,
                                                name, 4, &v, &e),
                     TS_ERR_LIMIT);
}

static void test_lambda_delete(void **state)
{
    (void)state;
    need("moto");
    ts_error e;
    ts_err_clear(&e);
    aws_svc_info info;
    char fn[256], pandas[256];
    NAME(fn, "%s-timestream-loader");
    NAME(pandas, "%s-pandas-pyarrow");

    aws_lambda_mapping *ms;
    size_t nm;
    CHECK(aws_lambda_list_event_source_mappings(client, fn, 0, &ms, &nm, &info, &e), e);
    assert_int_equal(nm, 1);
    CHECK(aws_lambda_delete_event_source_mapping(client, ms[0].uuid, &info, &e), e);
    assert_false(info.already_gone);
    /* again: AWS answers 404 (already_gone); moto answers 200 — done either way */
    CHECK(aws_lambda_delete_event_source_mapping(client, ms[0].uuid, &info, &e), e);
    aws_lambda_mappings_free(ms, nm);
    CHECK(aws_lambda_list_event_source_mappings(client, fn, 0, &ms, &nm, &info, &e), e);
    for (size_t i = 0; i < nm; i++) assert_string_equal(ms[i].state, "Deleting");
    aws_lambda_mappings_free(ms, nm);

    CHECK(aws_lambda_delete_function(client, fn, NULL, &info, &e), e);
    assert_false(info.already_gone);
    assert_string_equal(info.code, "");
    CHECK(aws_lambda_delete_function(client, fn, NULL, &info, &e), e);
    assert_true(info.already_gone);
    aws_lambda_version *vs;
    size_t nv;
    CHECK(aws_lambda_list_versions(client, fn, 0, &vs, &nv, &info, &e), e);
    assert_int_equal(nv, 0); /* already_gone on AWS; moto 5.2 answers an empty list */

    for (int64_t v = 1; v <= 2; v++) {
        CHECK(aws_lambda_delete_layer_version(client, pandas, v, &info, &e), e);
        assert_false(info.already_gone);
        /* again: AWS (and moto) answer 204 for a version already deleted */
        CHECK(aws_lambda_delete_layer_version(client, pandas, v, &info, &e), e);
    }
    aws_lambda_layer_version *lv;
    size_t nlv;
    CHECK(aws_lambda_list_layer_versions(client, pandas, 0, &lv, &nlv, &info, &e), e);
    assert_int_equal(nlv, 0);
    aws_lambda_layer_versions_free(lv, nlv);
}

/* ------------------------------------------------------------------- IAM */

static bool has_name(char **names, size_t n, const char *want)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], want) == 0) return true;
    return false;
}

static void test_iam_inventory(void **state)
{
    (void)state;
    need("moto");
    ts_error e;
    ts_err_clear(&e);
    aws_svc_info info;
    char role[256], sqrole[256], inline_[256], pol[256], shared[256], api_role[256], prof[256];
    NAME(role, "%s-timestream-loader-role");
    NAME(sqrole, "%s-timestream-scheduled-query-role");
    NAME(inline_, "%s-timestream-loader-inline");
    NAME(pol, "%s-timestream-loader-policy");
    NAME(shared, "%s-shared-logging");
    NAME(api_role, "%s-api-role");
    NAME(prof, "%s-timestream-loader-profile");

    aws_iam_role *rs;
    size_t nr;
    CHECK(aws_iam_list_roles(client, NULL, 2, &rs, &nr, &info, &e), e); /* 2 per page */
    printf("roles: %zu\n", nr);
    assert_int_equal(nr, 5);
    int seen = 0;
    for (size_t i = 0; i < nr; i++) {
        if (strcmp(rs[i].name, role) == 0) seen |= 1;
        if (strcmp(rs[i].name, sqrole) == 0) seen |= 2;
        assert_true(strncmp(rs[i].arn, "arn:aws:iam::", 13) == 0);
        assert_string_equal(rs[i].path, "/");
        assert_true(rs[i].id[0] != '\0');
    }
    assert_int_equal(seen, 3);
    aws_iam_roles_free(rs, nr);

    char **names;
    size_t nn;
    CHECK(aws_iam_list_role_policies(client, role, 1, &names, &nn, &info, &e), e);
    assert_int_equal(nn, 1);
    assert_string_equal(names[0], inline_);
    aws_svc_names_free(names, nn);

    aws_iam_attached_policy *ap;
    size_t nap;
    CHECK(aws_iam_list_attached_role_policies(client, role, 1, &ap, &nap, &info, &e), e);
    assert_int_equal(nap, 2);
    const char *pol_arn = NULL, *shared_arn = NULL;
    for (size_t i = 0; i < nap; i++) {
        if (strcmp(ap[i].name, pol) == 0) pol_arn = ap[i].arn;
        if (strcmp(ap[i].name, shared) == 0) shared_arn = ap[i].arn;
    }
    assert_non_null(pol_arn);
    assert_non_null(shared_arn);

    aws_iam_policy_entities ent;
    /* page size 0: moto 5.2 cuts ListEntitiesForPolicy at MaxItems without IsTruncated */
    CHECK(aws_iam_list_entities_for_policy(client, shared_arn, 0, &ent, &info, &e), e);
    assert_int_equal(ent.nroles, 2);
    assert_true(has_name(ent.roles, ent.nroles, role));
    assert_true(has_name(ent.roles, ent.nroles, api_role));
    assert_int_equal(ent.nusers + ent.ngroups, 0);
    aws_iam_policy_entities_free(&ent);
    CHECK(aws_iam_list_entities_for_policy(client, pol_arn, 0, &ent, &info, &e), e);
    assert_int_equal(ent.nroles, 1);
    assert_string_equal(ent.roles[0], role);
    aws_iam_policy_entities_free(&ent);

    aws_iam_policy_version *pv;
    size_t npv;
    CHECK(aws_iam_list_policy_versions(client, pol_arn, 1, &pv, &npv, &info, &e), e);
    assert_int_equal(npv, 2);
    int defaults = 0;
    for (size_t i = 0; i < npv; i++)
        if (pv[i].is_default) {
            defaults++;
            assert_string_equal(pv[i].version_id, "v2");
        }
    assert_int_equal(defaults, 1);
    aws_iam_policy_versions_free(pv, npv);
    aws_iam_attached_policies_free(ap, nap);

    aws_iam_instance_profile *ip;
    size_t nip;
    CHECK(aws_iam_list_instance_profiles_for_role(client, role, 0, &ip, &nip, &info, &e), e);
    assert_int_equal(nip, 1);
    assert_string_equal(ip[0].name, prof);
    assert_int_equal(ip[0].nroles, 1);
    assert_string_equal(ip[0].roles[0], role);
    assert_true(ends_with(ip[0].arn, prof));
    aws_iam_instance_profiles_free(ip, nip);

    /* under a role that does not exist: empty, already gone */
    CHECK(aws_iam_list_role_policies(client, "tsa-no-such-role", 0, &names, &nn, &info, &e), e);
    assert_int_equal(nn, 0);
    assert_true(info.already_gone);
    CHECK(aws_iam_list_attached_role_policies(client, "tsa-no-such-role", 0, &ap, &nap, &info,
                                              &e), e);
    assert_int_equal(nap, 0);
    assert_true(info.already_gone);
}

/* Takes a role apart in the documented order; DeleteRole is refused first. */
static void take_role_apart(const char *role)
{
    ts_error e;
    ts_err_clear(&e);
    aws_svc_info info;
    assert_int_equal(aws_iam_delete_role(client, role, &info, &e), TS_ERR_REMOTE);
    printf("refused: %s\n", e.msg);
    assert_string_equal(info.code, "DeleteConflict");
    assert_false(info.already_gone);
    assert_true(strncmp(e.msg, "iam DeleteRole: DeleteConflict: ", 32) == 0);
    ts_err_clear(&e);

    aws_iam_instance_profile *ip;
    size_t nip;
    CHECK(aws_iam_list_instance_profiles_for_role(client, role, 0, &ip, &nip, &info, &e), e);
    for (size_t i = 0; i < nip; i++) {
        CHECK(aws_iam_remove_role_from_instance_profile(client, ip[i].name, role, &info, &e), e);
        assert_false(info.already_gone);
        CHECK(aws_iam_delete_instance_profile(client, ip[i].name, &info, &e), e);
        assert_false(info.already_gone);
        CHECK(aws_iam_delete_instance_profile(client, ip[i].name, &info, &e), e);
        assert_true(info.already_gone);
    }
    aws_iam_instance_profiles_free(ip, nip);

    aws_iam_attached_policy *ap;
    size_t nap;
    CHECK(aws_iam_list_attached_role_policies(client, role, 0, &ap, &nap, &info, &e), e);
    assert_true(nap >= 1);
    for (size_t i = 0; i < nap; i++) {
        CHECK(aws_iam_detach_role_policy(client, role, ap[i].arn, &info, &e), e);
        assert_false(info.already_gone);
    }
    /* detaching again: nothing to detach */
    CHECK(aws_iam_detach_role_policy(client, role, ap[0].arn, &info, &e), e);
    assert_true(info.already_gone);
    aws_iam_attached_policies_free(ap, nap);

    /* inline policies still hold it */
    assert_int_equal(aws_iam_delete_role(client, role, &info, &e), TS_ERR_REMOTE);
    assert_string_equal(info.code, "DeleteConflict");
    ts_err_clear(&e);

    char **names;
    size_t nn;
    CHECK(aws_iam_list_role_policies(client, role, 0, &names, &nn, &info, &e), e);
    assert_true(nn >= 1);
    for (size_t i = 0; i < nn; i++) {
        CHECK(aws_iam_delete_role_policy(client, role, names[i], &info, &e), e);
        assert_false(info.already_gone);
        CHECK(aws_iam_delete_role_policy(client, role, names[i], &info, &e), e);
        assert_true(info.already_gone);
    }
    aws_svc_names_free(names, nn);

    CHECK(aws_iam_delete_role(client, role, &info, &e), e);
    assert_false(info.already_gone);
    CHECK(aws_iam_delete_role(client, role, &info, &e), e);
    assert_true(info.already_gone);
}

/* A customer-managed policy: non-default versions, then the policy. */
static void delete_policy(const char *name)
{
    ts_error e;
    ts_err_clear(&e);
    aws_svc_info info;
    char arn[512];
    snprintf(arn, sizeof arn, "arn:aws:iam::%s:policy/%s",
             getenv("TSARCHIVE_TEST_ACCOUNT") ? getenv("TSARCHIVE_TEST_ACCOUNT") : "123456789012",
             name);
    aws_iam_policy_entities ent;
    CHECK(aws_iam_list_entities_for_policy(client, arn, 0, &ent, &info, &e), e);
    assert_int_equal(ent.nroles + ent.nusers + ent.ngroups, 0);
    assert_false(info.already_gone);
    aws_iam_policy_entities_free(&ent);
    aws_iam_policy_version *pv;
    size_t npv;
    CHECK(aws_iam_list_policy_versions(client, arn, 0, &pv, &npv, &info, &e), e);
    for (size_t i = 0; i < npv; i++) {
        if (pv[i].is_default) continue;
        CHECK(aws_iam_delete_policy_version(client, arn, pv[i].version_id, &info, &e), e);
        assert_false(info.already_gone);
        CHECK(aws_iam_delete_policy_version(client, arn, pv[i].version_id, &info, &e), e);
        assert_true(info.already_gone);
    }
    aws_iam_policy_versions_free(pv, npv);
    CHECK(aws_iam_delete_policy(client, arn, &info, &e), e);
    assert_false(info.already_gone);
    CHECK(aws_iam_delete_policy(client, arn, &info, &e), e);
    assert_true(info.already_gone);
    CHECK(aws_iam_list_policy_versions(client, arn, 0, &pv, &npv, &info, &e), e);
    assert_int_equal(npv, 0);
    assert_true(info.already_gone);
}

static void test_iam_delete(void **state)
{
    (void)state;
    need("moto");
    char role[256], sqrole[256], pol[256], sqpol[256];
    NAME(role, "%s-timestream-loader-role");
    NAME(sqrole, "%s-timestream-scheduled-query-role");
    NAME(pol, "%s-timestream-loader-policy");
    NAME(sqpol, "%s-timestream-sq-policy");
    take_role_apart(role);
    take_role_apart(sqrole);
    delete_policy(pol);
    delete_policy(sqpol);
}

/* ------------------------------------------------------------------ Logs */

static void test_logs(void **state)
{
    (void)state;
    need("moto");
    ts_error e;
    ts_err_clear(&e);
    aws_svc_info info;
    char prefix[256];
    NAME(prefix, "/aws/lambda/%s-timestream");
    aws_logs_group *gs;
    size_t ng;
    CHECK(aws_logs_describe_log_groups(client, "/aws/lambda/", 1, &gs, &ng, &info, &e), e);
    printf("log groups: %zu\n", ng);
    assert_int_equal(ng, 5);
    aws_logs_groups_free(gs, ng);
    CHECK(aws_logs_describe_log_groups(client, prefix, 1, &gs, &ng, &info, &e), e);
    assert_int_equal(ng, 2); /* the loader's and the backfill's */
    for (size_t i = 0; i < ng; i++) {
        assert_true(strncmp(gs[i].name, prefix, strlen(prefix)) == 0);
        assert_true(strstr(gs[i].arn, gs[i].name) != NULL);
        assert_true(gs[i].creation_ms > 0);
    }
    for (size_t i = 0; i < ng; i++) {
        CHECK(aws_logs_delete_log_group(client, gs[i].name, &info, &e), e);
        assert_false(info.already_gone);
        CHECK(aws_logs_delete_log_group(client, gs[i].name, &info, &e), e);
        assert_true(info.already_gone);
    }
    aws_logs_groups_free(gs, ng);
    CHECK(aws_logs_describe_log_groups(client, prefix, 0, &gs, &ng, &info, &e), e);
    assert_int_equal(ng, 0);
    assert_null(gs);
}

/* ---------------------------------------------------------------- Alarms */

static const aws_cw_alarm *find_alarm(const aws_cw_alarm *a, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].name, name) == 0) return &a[i];
    return NULL;
}

static void test_alarms(void **state)
{
    (void)state;
    need("moto");
    ts_error e;
    ts_err_clear(&e);
    aws_svc_info info;
    char fn[256], errors[300], dbalarm[256], tblalarm[256], env_throttles[128];
    NAME(fn, "%s-timestream-loader");
    snprintf(errors, sizeof errors, "%s-errors", fn);
    NAME(dbalarm, "%s-timestream-db-user-errors");
    NAME(tblalarm, "%s-timestream-table-latency");
    const char *env = strrchr(P, '-');
    snprintf(env_throttles, sizeof env_throttles, "ops-lambda-throttles-%s", env ? env + 1 : P);

    aws_cw_alarm *as;
    size_t na;
    CHECK(aws_cw_describe_alarms(client, NULL, 2, &as, &na, &info, &e), e);
    printf("alarms: %zu\n", na);
    assert_int_equal(na, 9);
    const aws_cw_alarm *a = find_alarm(as, na, errors);
    assert_non_null(a);
    assert_int_equal(a->type, AWS_CW_METRIC_ALARM);
    assert_string_equal(a->namespace_, "AWS/Lambda");
    assert_string_equal(a->metric_name, "Errors");
    assert_int_equal(a->ndims, 1);
    assert_string_equal(a->dims[0].name, "FunctionName");
    assert_string_equal(a->dims[0].value, fn);
    assert_true(ends_with(a->arn, errors));
    assert_string_equal(a->alarm_rule, "");
    a = find_alarm(as, na, env_throttles);
    assert_non_null(a);
    assert_string_equal(a->dims[0].value, fn);
    a = find_alarm(as, na, tblalarm);
    assert_non_null(a);
    assert_int_equal(a->ndims, 3);
    aws_cw_alarms_free(as, na);

    CHECK(aws_cw_describe_alarms(client, fn, 0, &as, &na, &info, &e), e);
    assert_int_equal(na, 1);
    assert_string_equal(as[0].name, errors);
    aws_cw_alarms_free(as, na);

    const char *names[] = {errors, env_throttles, dbalarm, tblalarm, "tsa-no-such-alarm"};
    size_t missing = 99;
    CHECK(aws_cw_delete_alarms(client, names, 5, &missing, &info, &e), e);
    assert_int_equal(missing, 1);
    assert_true(info.already_gone);
    CHECK(aws_cw_delete_alarms(client, names, 5, &missing, &info, &e), e);
    assert_int_equal(missing, 5);
    CHECK(aws_cw_describe_alarms(client, NULL, 0, &as, &na, &info, &e), e);
    assert_int_equal(na, 5);
    for (size_t i = 0; i < 5; i++) assert_null(find_alarm(as, na, names[i]));
    aws_cw_alarms_free(as, na);
}

/* --------------------------------------------------------------- denied */

static void test_denied(void **state)
{
    (void)state;
    need("denied");
    ts_error e;
    ts_err_clear(&e);
    aws_svc_info info;
    char fn[256], role[256];
    NAME(fn, "%s-timestream-loader");
    NAME(role, "%s-timestream-loader-role");
    /* listing is allowed (moto 5.2 miscomputes signatures of Lambda GETs, boto3's too:
     * IAM stands in) */
    aws_iam_role *rs;
    size_t nr;
    CHECK(aws_iam_list_roles(client, NULL, 0, &rs, &nr, &info, &e), e);
    assert_int_equal(nr, 5);
    aws_iam_roles_free(rs, nr);

    ts_status st;
    ts_err_clear(&e);
    st = aws_iam_delete_role(client, role, &info, &e);
    printf("iam denied: %s [%s] [%s]\n", e.msg, info.code, info.action);
    assert_int_equal(st, TS_ERR_AUTH);
    assert_true(strncmp(info.code, "AccessDenied", 12) == 0);
    assert_string_equal(info.action, "iam:DeleteRole");
    assert_non_null(strstr(e.msg, "iam:DeleteRole"));

    ts_err_clear(&e);
    st = aws_logs_delete_log_group(client, "/aws/lambda/x", &info, &e);
    printf("logs denied: %s [%s] [%s]\n", e.msg, info.code, info.action);
    assert_int_equal(st, TS_ERR_AUTH);
    assert_string_equal(info.action, "logs:DeleteLogGroup");

    /* DescribeAlarms is allowed, DeleteAlarms is not */
    char alarm[300];
    NAME(alarm, "%s-timestream-loader-errors");
    const char *names[] = {alarm};
    ts_err_clear(&e);
    st = aws_cw_delete_alarms(client, names, 1, NULL, &info, &e);
    printf("cloudwatch denied: %s [%s] [%s]\n", e.msg, info.code, info.action);
    assert_int_equal(st, TS_ERR_AUTH);
    assert_string_equal(info.action, "cloudwatch:DeleteAlarms");
    assert_true(strstr(e.msg, "monitoring DeleteAlarms: AccessDenied") == e.msg);
}

/* A Lambda endpoint (tests/aws/test_aws_services.py's stub) that throttles
 * the first DeleteFunction with 429 TooManyRequestsException, then denies it
 * naming an action in its message. */
static void test_lambda_denied_after_throttling(void **state)
{
    (void)state;
    need("lambda-stub");
    ts_error e;
    ts_err_clear(&e);
    aws_svc_info info;
    uint64_t r0 = aws_client_retries(client);
    ts_status st = aws_lambda_delete_function(client, "f1", NULL, &info, &e);
    printf("lambda denied: %s [%s] [%s]\n", e.msg, info.code, info.action);
    assert_int_equal(st, TS_ERR_AUTH);
    assert_int_equal(aws_client_retries(client) - r0, 1);
    assert_string_equal(info.code, "AccessDeniedException");
    /* the action the service named, not the one the operation suggests */
    assert_string_equal(info.action, "lambda:DeleteFunction99");
    assert_false(info.already_gone);
    assert_true(strstr(e.msg, "lambda DeleteFunction: AccessDeniedException: User: ") == e.msg);
    assert_non_null(strstr(e.msg, "needs the IAM permission lambda:DeleteFunction99"));
    /* a function the stub does not know: 404 → done */
    ts_err_clear(&e);
    CHECK(aws_lambda_delete_function(client, "gone", "3", &info, &e), e);
    assert_true(info.already_gone);
    assert_string_equal(info.code, "");
    /* a bare 404 (no error type: a wrong endpoint) is an error, never "already gone" */
    ts_status st2 = aws_lambda_delete_function(client, "bare", NULL, &info, &e);
    printf("bare 404: %s\n", e.msg);
    assert_int_equal(st2, TS_ERR_REMOTE);
    assert_false(info.already_gone);
    assert_string_equal(info.code, "NotFound");
}

/* ----------------------------------------------------------- Timestream */

static void test_timestream_admin(void **state)
{
    (void)state;
    need("tsemu");
    const char *db = getenv("TSARCHIVE_TEST_TS_DB");
    const char *cnt = getenv("TSARCHIVE_TEST_SQ_COUNT");
    assert_non_null(db);
    assert_non_null(cnt);
    size_t want = (size_t)strtoul(cnt, NULL, 10);
    ts_error e;
    ts_err_clear(&e);
    aws_svc_info info;
    aws_tsa *t;
    CHECK(aws_tsa_new(client, &t, &e), e);

    aws_tsa_scheduled_query *qs;
    size_t nq;
    CHECK(aws_tsa_list_scheduled_queries(t, 2, &qs, &nq, &info, &e), e); /* 2 per page */
    printf("scheduled queries: %zu\n", nq);
    assert_int_equal(nq, want);
    for (size_t i = 0; i < nq; i++) {
        assert_true(strncmp(qs[i].arn, "arn:aws:timestream:", 19) == 0);
        assert_string_equal(qs[i].state, "ENABLED");
        assert_true(qs[i].name[0] != '\0');
    }
    aws_tsa_scheduled_query_detail d;
    CHECK(aws_tsa_describe_scheduled_query(t, qs[0].arn, &d, &info, &e), e);
    assert_string_equal(d.arn, qs[0].arn);
    assert_string_equal(d.name, qs[0].name);
    assert_non_null(strstr(d.query_string, db));
    assert_true(strncmp(d.execution_role_arn, "arn:aws:iam::", 13) == 0);
    assert_string_equal(d.target_database, db);
    assert_string_equal(d.target_table, "t2");
    assert_string_equal(d.schedule_expression, "rate(1 hour)");
    aws_tsa_scheduled_query_detail_free(&d);

    for (size_t i = 0; i < nq; i++) {
        CHECK(aws_tsa_delete_scheduled_query(t, qs[i].arn, &info, &e), e);
        assert_false(info.already_gone);
    }
    CHECK(aws_tsa_delete_scheduled_query(t, qs[0].arn, &info, &e), e);
    assert_true(info.already_gone);
    assert_int_equal(aws_tsa_describe_scheduled_query(t, qs[0].arn, &d, &info, &e),
                     TS_ERR_NOT_FOUND);
    assert_string_equal(info.code, "ResourceNotFoundException");
    assert_true(info.already_gone);
    aws_tsa_scheduled_query_detail_free(&d);
    ts_err_clear(&e);
    aws_tsa_scheduled_queries_free(qs, nq);
    CHECK(aws_tsa_list_scheduled_queries(t, 0, &qs, &nq, &info, &e), e);
    assert_int_equal(nq, 0);

    /* the database refuses while tables remain */
    ts_status st = aws_tsa_delete_database(t, db, &info, &e);
    printf("refused: %s\n", e.msg);
    assert_int_equal(st, TS_ERR_REMOTE);
    assert_string_equal(info.code, "ValidationException");
    assert_true(strstr(e.msg, "timestream DeleteDatabase: ValidationException") == e.msg);
    ts_err_clear(&e);
    const char *tables[] = {"t1", "t2"};
    for (size_t i = 0; i < 2; i++) {
        CHECK(aws_tsa_delete_table(t, db, tables[i], &info, &e), e);
        assert_false(info.already_gone);
        CHECK(aws_tsa_delete_table(t, db, tables[i], &info, &e), e);
        assert_true(info.already_gone);
    }
    CHECK(aws_tsa_delete_database(t, db, &info, &e), e);
    assert_false(info.already_gone);
    CHECK(aws_tsa_delete_database(t, db, &info, &e), e);
    assert_true(info.already_gone);
    CHECK(aws_tsa_delete_table(t, db, "t1", &info, &e), e); /* the database is gone too */
    assert_true(info.already_gone);
    aws_tsa_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lambda_layer_arn_parse),
        cmocka_unit_test(test_lambda_inventory),
        cmocka_unit_test(test_iam_inventory),
        cmocka_unit_test(test_alarms),
        cmocka_unit_test(test_logs),
        cmocka_unit_test(test_lambda_delete),
        cmocka_unit_test(test_iam_delete),
        cmocka_unit_test(test_denied),
        cmocka_unit_test(test_lambda_denied_after_throttling),
        cmocka_unit_test(test_timestream_admin),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
