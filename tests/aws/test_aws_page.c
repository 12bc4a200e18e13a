/* aws_page_list, the paging loop of the cleanup services, against a stub
 * call function that serves canned pages and records each request: several
 * pages, an empty page with a token, a repeated token, the page cap, the
 * request shapes of the three protocols, IsTruncated, and the vanished
 * parent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aws/aws_page.h"
#include "core/ts_alloc.h"

#define MAX_CALLS 16

/* The stub service: answers[i] is the i-th page (JSON or awsQuery XML);
 * past the end it answers forever with a fresh token. codes[i] non-NULL:
 * that call fails with this service code instead. */
typedef struct stub {
    aws_page_proto proto;
    const char *const *answers;
    size_t nanswers;
    const char *const *codes;
    size_t calls;
    char seen[MAX_CALLS][512]; /* each request, flattened */
} stub;

static void flatten(const stub *s, const aws_page_req *rq, char *out, size_t sz)
{
    out[0] = '\0';
    if (s->proto == AWS_PAGE_JSON) {
        char *j = json_dumps(rq->body, JSON_COMPACT);
        snprintf(out, sz, "%s", j ? j : "?");
        free(j);
    } else if (s->proto == AWS_PAGE_REST) {
        snprintf(out, sz, "%s", rq->path_query);
    } else {
        size_t k = 0;
        for (size_t i = 0; i < rq->nparams && k < sz; i++)
            k += (size_t)snprintf(out + k, sz - k, "%s%s=%s", i ? "&" : "", rq->params[i].name,
                                  rq->params[i].value);
    }
}

static ts_status stub_call(void *ctx, const char *op, const aws_page_req *rq, aws_page_ans *ans,
                           aws_svc_info *info, ts_error *err)
{
    stub *s = ctx;
    size_t i = s->calls++;
    aws_svc_info_clear(info);
    if (i < MAX_CALLS) flatten(s, rq, s->seen[i], sizeof s->seen[i]);
    if (s->codes && i < s->nanswers && s->codes[i]) {
        aws_svc_info_set_error(info, s->codes[i], "stub", "stub", op);
        ts_err_set(err, TS_ERR_REMOTE, "stub %s: %s", op, s->codes[i]);
        return aws_svc_code_is_not_found(s->codes[i]) ? TS_ERR_NOT_FOUND : TS_ERR_REMOTE;
    }
    char fresh[128];
    const char *text = i < s->nanswers ? s->answers[i] : NULL;
    if (!text) {
        if (s->proto == AWS_PAGE_QUERY)
            snprintf(fresh, sizeof fresh,
                     "<LResponse><LResult><IsTruncated>true</IsTruncated><Marker>m%zu</Marker>"
                     "</LResult></LResponse>", i);
        else
            snprintf(fresh, sizeof fresh, "{\"Items\":[],\"Next\":\"t%zu\"}", i);
        text = fresh;
    }
    if (s->proto == AWS_PAGE_QUERY) return aws_xml_parse(text, strlen(text), &ans->xml, err);
    json_error_t je;
    ans->json = json_loads(text, 0, &je);
    assert_non_null(ans->json);
    return TS_OK;
}

/* Items: the "id" of each JSON element or the text of each <member>. */
static ts_status json_item(void *ctx, const json_t *item, ts_error *err)
{
    const char *id = json_string_value(json_object_get(item, "id"));
    return aws_page_vec_push_str(ctx, id ? id : "?", err);
}

static ts_status xml_item(void *ctx, const aws_xml_node *m, ts_error *err)
{
    return aws_page_vec_push_str(ctx, m->text, err);
}

static const aws_page_style json_style = {
    .service = "stub", .proto = AWS_PAGE_JSON, .call = stub_call, .size_field = "Max",
    .size_default = 10, .size_max = 20, .token_in = "Token", .token_out = "Next"};
static const aws_page_desc json_desc = {&json_style, "L", "Items", .json_item = json_item};

static const aws_page_style capped_style = {
    .service = "stub", .proto = AWS_PAGE_JSON, .call = stub_call, .size_field = "Max",
    .size_default = 10, .token_in = "Token", .token_out = "Next", .max_pages = 5};
static const aws_page_desc capped_desc = {&capped_style, "L", "Items", .json_item = json_item};

static const aws_page_style rest_style = {
    .service = "stub", .proto = AWS_PAGE_REST, .call = stub_call, .size_field = "MaxItems",
    .size_default = 50, .token_in = "Marker", .token_out = "Next"};
static const aws_page_desc rest_desc = {&rest_style, "L", "Items", .json_item = json_item};

static const aws_page_style query_style = {
    .service = "stub", .proto = AWS_PAGE_QUERY, .call = stub_call, .size_field = "MaxItems",
    .size_default = 1000, .size_max = 1000, .token_in = "Marker", .token_out = "Marker",
    .truncated = "IsTruncated"};
static const aws_page_desc query_desc = {&query_style, "L", "Names", .xml_item = xml_item};

/* Runs d against s; returns the status, the items in *v, the error in *e. */
static ts_status run_list(const aws_page_desc *d, stub *s, const aws_page_req *base,
                          unsigned page_size, bool may_vanish, aws_page_vec *v,
                          aws_svc_info *info, ts_error *e)
{
    memset(v, 0, sizeof *v);
    ts_err_clear(e);
    aws_page_run run = {.call_ctx = s, .page_size = page_size, .parent_may_vanish = may_vanish,
                        .item_ctx = v};
    if (base) run.base = *base;
    ts_status st = aws_page_list(d, &run, info, e);
    printf("%s: %zu calls, %zu items, %s%s%s\n", d->op, s->calls, v->n, ts_status_name(st),
           st == TS_OK ? "" : ": ", st == TS_OK ? "" : e->msg);
    return st;
}

static void assert_items(const aws_page_vec *v, const char *const *want, size_t n)
{
    char **got = v->items;
    if (v->n != n) printf("items: got %zu, want %zu\n", v->n, n);
    assert_int_equal(v->n, n);
    for (size_t i = 0; i < n; i++) assert_string_equal(got[i], want[i]);
}

static void test_json_pages_follow_the_token(void **state)
{
    (void)state;
    static const char *const pages[] = {
        "{\"Items\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"Next\":\"t1\"}",
        "{\"Items\":[],\"Next\":\"t 2\"}", /* empty page with a token: go on */
        "{\"Items\":[{\"id\":\"c\"}],\"Next\":\"\"}"};
    stub s = {.proto = AWS_PAGE_JSON, .answers = pages, .nanswers = 3};
    json_t *fixed = json_pack("{s:s}", "Prefix", "p-");
    aws_page_req base = {.body = fixed};
    aws_page_vec v;
    aws_svc_info info;
    ts_error e;
    assert_int_equal(run_list(&json_desc, &s, &base, 0, false, &v, &info, &e), TS_OK);
    static const char *const want[] = {"a", "b", "c"};
    assert_items(&v, want, 3);
    assert_int_equal(s.calls, 3);
    /* size first, the fixed fields, then the token; the default size */
    assert_string_equal(s.seen[0], "{\"Max\":10,\"Prefix\":\"p-\"}");
    assert_string_equal(s.seen[1], "{\"Max\":10,\"Prefix\":\"p-\",\"Token\":\"t1\"}");
    assert_string_equal(s.seen[2], "{\"Max\":10,\"Prefix\":\"p-\",\"Token\":\"t 2\"}");
    assert_false(info.already_gone);
    assert_string_equal(info.code, "");
    aws_svc_names_free(v.items, v.n);
    json_decref(fixed);
}

static void test_page_size_is_capped(void **state)
{
    (void)state;
    static const char *const pages[] = {"{\"Items\":[]}"};
    stub s = {.proto = AWS_PAGE_JSON, .answers = pages, .nanswers = 1};
    aws_page_vec v;
    ts_error e;
    assert_int_equal(run_list(&json_desc, &s, NULL, 500, false, &v, NULL, &e), TS_OK);
    assert_string_equal(s.seen[0], "{\"Max\":20}");
    assert_int_equal(v.n, 0);
    aws_svc_names_free(v.items, v.n);
}

static void test_repeated_token_is_an_error(void **state)
{
    (void)state;
    static const char *const pages[] = {"{\"Items\":[{\"id\":\"a\"}],\"Next\":\"same\"}",
                                        "{\"Items\":[{\"id\":\"b\"}],\"Next\":\"same\"}"};
    stub s = {.proto = AWS_PAGE_JSON, .answers = pages, .nanswers = 2};
    aws_page_vec v;
    ts_error e;
    assert_int_equal(run_list(&json_desc, &s, NULL, 0, false, &v, NULL, &e), TS_ERR_CORRUPT);
    assert_int_equal(s.calls, 2);
    assert_non_null(strstr(e.msg, "stub L: the service returned the same Next twice"));
    assert_int_equal(v.n, 2); /* delivered items stay with the caller */
    aws_svc_names_free(v.items, v.n);
}

static void test_page_cap(void **state)
{
    (void)state;
    stub s = {.proto = AWS_PAGE_JSON}; /* a fresh token on every page, forever */
    aws_page_vec v;
    ts_error e;
    assert_int_equal(run_list(&capped_desc, &s, NULL, 0, false, &v, NULL, &e), TS_ERR_LIMIT);
    assert_int_equal(s.calls, 5);
    assert_string_equal(e.msg, "stub L: more than 5 pages");
    aws_svc_names_free(v.items, v.n);
}

static void test_rest_query_string(void **state)
{
    (void)state;
    static const char *const pages[] = {"{\"Items\":[{\"id\":\"a\"}],\"Next\":\"x/y=z\"}",
                                        "{\"Items\":[{\"id\":\"b\"}]}"};
    stub s = {.proto = AWS_PAGE_REST, .answers = pages, .nanswers = 2};
    aws_page_vec v;
    ts_error e;
    aws_page_req base = {.path_query = "/2015-03-31/event-source-mappings?FunctionName=f"};
    assert_int_equal(run_list(&rest_desc, &s, &base, 1, false, &v, NULL, &e), TS_OK);
    assert_int_equal(v.n, 2);
    assert_string_equal(s.seen[0], "/2015-03-31/event-source-mappings?FunctionName=f&MaxItems=1");
    assert_string_equal(s.seen[1], "/2015-03-31/event-source-mappings?FunctionName=f&MaxItems=1"
                                   "&Marker=x%2Fy%3Dz");
    aws_svc_names_free(v.items, v.n);
    /* a path without a query gets '?' */
    stub s2 = {.proto = AWS_PAGE_REST, .answers = pages + 1, .nanswers = 1};
    aws_page_req base2 = {.path_query = "/2018-10-31/layers"};
    assert_int_equal(run_list(&rest_desc, &s2, &base2, 0, false, &v, NULL, &e), TS_OK);
    assert_string_equal(s2.seen[0], "/2018-10-31/layers?MaxItems=50");
    aws_svc_names_free(v.items, v.n);
}

static void test_query_is_truncated(void **state)
{
    (void)state;
    static const char *const pages[] = {
        "<LResponse><LResult><Names><member>r1</member><member>r2</member></Names>"
        "<IsTruncated>true</IsTruncated><Marker>m1</Marker></LResult></LResponse>",
        /* a Marker without IsTruncated=true is the end */
        "<LResponse><LResult><Names><member>r3</member></Names>"
        "<IsTruncated>false</IsTruncated><Marker>m2</Marker></LResult></LResponse>"};
    stub s = {.proto = AWS_PAGE_QUERY, .answers = pages, .nanswers = 2};
    aws_param p[] = {{"RoleName", "r"}};
    aws_page_req base = {.params = p, .nparams = 1};
    aws_page_vec v;
    ts_error e;
    assert_int_equal(run_list(&query_desc, &s, &base, 2, false, &v, NULL, &e), TS_OK);
    static const char *const want[] = {"r1", "r2", "r3"};
    assert_items(&v, want, 3);
    assert_int_equal(s.calls, 2);
    assert_string_equal(s.seen[0], "RoleName=r&MaxItems=2");
    assert_string_equal(s.seen[1], "RoleName=r&MaxItems=2&Marker=m1");
    aws_svc_names_free(v.items, v.n);

    static const char *const bad[] = {
        "<LResponse><LResult><IsTruncated>true</IsTruncated></LResult></LResponse>",
        "<LResponse><Other/></LResponse>"};
    stub s2 = {.proto = AWS_PAGE_QUERY, .answers = bad, .nanswers = 1};
    assert_int_equal(run_list(&query_desc, &s2, NULL, 0, false, &v, NULL, &e), TS_ERR_CORRUPT);
    assert_string_equal(e.msg, "stub L: IsTruncated without a Marker");
    assert_string_equal(s2.seen[0], "MaxItems=1000");
    aws_svc_names_free(v.items, v.n);
    stub s3 = {.proto = AWS_PAGE_QUERY, .answers = bad + 1, .nanswers = 1};
    assert_int_equal(run_list(&query_desc, &s3, NULL, 0, false, &v, NULL, &e), TS_ERR_CORRUPT);
    assert_string_equal(e.msg, "stub L: no LResult in the response");
    aws_svc_names_free(v.items, v.n);
}

static void test_bad_lists(void **state)
{
    (void)state;
    static const char *const not_array[] = {"{\"Items\":{\"id\":\"a\"}}"};
    static const char *const not_object[] = {"{\"Items\":[{\"id\":\"a\"},\"b\"]}"};
    aws_page_vec v;
    ts_error e;
    stub s = {.proto = AWS_PAGE_JSON, .answers = not_array, .nanswers = 1};
    assert_int_equal(run_list(&json_desc, &s, NULL, 0, false, &v, NULL, &e), TS_ERR_CORRUPT);
    assert_string_equal(e.msg, "stub L: Items is not an array");
    aws_svc_names_free(v.items, v.n);
    stub s2 = {.proto = AWS_PAGE_JSON, .answers = not_object, .nanswers = 1};
    assert_int_equal(run_list(&json_desc, &s2, NULL, 0, false, &v, NULL, &e), TS_ERR_CORRUPT);
    assert_string_equal(e.msg, "stub L: Items[1] is not an object");
    assert_int_equal(v.n, 1);
    aws_svc_names_free(v.items, v.n);
}

static void test_vanished_parent_and_errors(void **state)
{
    (void)state;
    static const char *const pages[] = {"{\"Items\":[{\"id\":\"a\"}],\"Next\":\"t1\"}", NULL};
    static const char *const first[] = {"NoSuchEntity", NULL};
    static const char *const second[] = {NULL, "NoSuchEntity"};
    static const char *const denied[] = {"AccessDenied", NULL};
    aws_page_vec v;
    aws_svc_info info;
    ts_error e;
    /* not-found on the first page of a child list: empty, TS_OK, already gone */
    stub s = {.proto = AWS_PAGE_JSON, .answers = pages, .nanswers = 2, .codes = first};
    assert_int_equal(run_list(&json_desc, &s, NULL, 0, true, &v, &info, &e), TS_OK);
    assert_true(info.already_gone);
    assert_string_equal(info.code, "");
    assert_int_equal(v.n, 0);
    assert_int_equal(e.code, TS_OK);
    /* ... but without parent_may_vanish it is an error */
    s.calls = 0;
    assert_int_equal(run_list(&json_desc, &s, NULL, 0, false, &v, &info, &e), TS_ERR_REMOTE);
    assert_false(info.already_gone);
    assert_string_equal(info.code, "NoSuchEntity");
    /* ... and so it is on a later page */
    stub s2 = {.proto = AWS_PAGE_JSON, .answers = pages, .nanswers = 2, .codes = second};
    assert_int_equal(run_list(&json_desc, &s2, NULL, 0, true, &v, &info, &e), TS_ERR_REMOTE);
    assert_false(info.already_gone);
    assert_string_equal(info.code, "NoSuchEntity");
    assert_int_equal(v.n, 1);
    aws_svc_names_free(v.items, v.n);
    /* a denial keeps its code and action */
    stub s3 = {.proto = AWS_PAGE_JSON, .answers = pages, .nanswers = 2, .codes = denied};
    assert_int_equal(run_list(&json_desc, &s3, NULL, 0, true, &v, &info, &e), TS_ERR_REMOTE);
    assert_string_equal(info.code, "AccessDenied");
    assert_string_equal(info.action, "stub:L");
}

static void test_out_of_memory(void **state)
{
    (void)state;
    static const char *const pages[] = {"{\"Items\":[{\"id\":\"a\"}],\"Next\":\"t1\"}",
                                        "{\"Items\":[{\"id\":\"b\"}]}"};
    /* every allocation point in turn fails cleanly (ASan checks the leaks) */
    size_t nomem = 0;
    ts_status st = TS_OK;
    for (long k = 1; k < 40; k++) {
        stub s = {.proto = AWS_PAGE_JSON, .answers = pages, .nanswers = 2};
        aws_page_vec v;
        ts_error e;
        memset(&v, 0, sizeof v);
        ts_err_clear(&e);
        aws_page_run run = {.call_ctx = &s, .item_ctx = &v};
        ts_alloc_fail_after(k);
        st = aws_page_list(&json_desc, &run, NULL, &e);
        if (st == TS_ERR_NOMEM) nomem++;
        ts_alloc_fail_after(0);
        if (st != TS_OK && st != TS_ERR_NOMEM)
            printf("k=%ld: %s %s\n", k, ts_status_name(st), e.msg);
        assert_true(st == TS_OK || st == TS_ERR_NOMEM);
        if (st == TS_OK) assert_int_equal(v.n, 2);
        aws_svc_names_free(v.items, v.n);
    }
    printf("%zu allocation failures reported\n", nomem);
    assert_true(nomem >= 4);
    assert_int_equal(st, TS_OK); /* the last run had enough */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_pages_follow_the_token),
        cmocka_unit_test(test_page_size_is_capped),
        cmocka_unit_test(test_repeated_token_is_an_error),
        cmocka_unit_test(test_page_cap),
        cmocka_unit_test(test_rest_query_string),
        cmocka_unit_test(test_query_is_truncated),
        cmocka_unit_test(test_bad_lists),
        cmocka_unit_test(test_vanished_parent_and_errors),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
