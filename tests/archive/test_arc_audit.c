/* Audit chain: runs link across objects; editing, deleting, reordering
 * lines, deleting or forking a run, or renaming an object is detected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "archive/arc_audit.h"
#include "core/ts_alloc.h"

typedef struct run {
    char name[128];
    char text[8192];
    size_t len;
} run;

static void make_run(run *r, const char *cmd, const char *id, int64_t now, const char *prev,
                     uint64_t seq, int entries, char head[65], uint64_t *next)
{
    arc_audit *a;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(arc_audit_new(cmd, id, now, prev, seq, &a, &e), TS_OK);
    for (int i = 0; i < entries; i++) {
        json_t *f = json_pack("{s:i,s:s}", "n", i, "path", "db/t/x.parquet");
        assert_int_equal(arc_audit_add(a, i == 0 ? "start" : "write", f, &e), TS_OK);
    }
    size_t len;
    const char *t = arc_audit_text(a, &len);
    assert_true(len < sizeof r->text);
    memcpy(r->text, t, len);
    r->len = len;
    snprintf(r->name, sizeof r->name, "%s", arc_audit_object_name(a));
    memcpy(head, arc_audit_head(a), 65);
    *next = seq + (uint64_t)entries;
    arc_audit_free(a);
}

static run R[3];

static void make_chain(void)
{
    char h[65];
    uint64_t seq;
    make_run(&R[0], "export", "run0", 1700000000000000000, ARC_AUDIT_GENESIS, 0, 3, h, &seq);
    make_run(&R[1], "verify", "run1", 1700000100000000000, h, seq, 2, h, &seq);
    make_run(&R[2], "export", "run2", 1700000200000000000, h, seq, 4, h, &seq);
}

static ts_status check(run *runs, size_t n, arc_audit_report *rep, char *msg, size_t msgsz)
{
    arc_audit_log logs[3];
    for (size_t i = 0; i < n; i++)
        logs[i] = (arc_audit_log){.name = runs[i].name, .text = runs[i].text, .len = runs[i].len};
    ts_error e;
    ts_err_clear(&e);
    ts_status st = arc_audit_check(logs, n, rep, &e);
    snprintf(msg, msgsz, "%s", e.msg);
    return st;
}

static void test_chain_ok(void **state)
{
    (void)state;
    make_chain();
    assert_string_equal(R[0].name, "20231114T221320Z_export_run0.jsonl");
    arc_audit_report rep;
    char msg[1024];
    assert_int_equal(check(R, 3, &rep, msg, sizeof msg), TS_OK);
    assert_int_equal(rep.runs, 3);
    assert_int_equal(rep.entries, 9);
    assert_int_equal(rep.next_seq, 9);
    /* order of listing does not matter: the chain is followed by hashes */
    run swapped[3] = {R[2], R[0], R[1]};
    assert_int_equal(check(swapped, 3, &rep, msg, sizeof msg), TS_OK);
    assert_int_equal(rep.next_seq, 9);
    /* no logs: genesis */
    assert_int_equal(check(R, 0, &rep, msg, sizeof msg), TS_OK);
    assert_string_equal(rep.head, ARC_AUDIT_GENESIS);
}

static void expect_broken(run *runs, size_t n, const char *needle)
{
    arc_audit_report rep;
    char msg[1024];
    ts_status st = check(runs, n, &rep, msg, sizeof msg);
    if (st != TS_ERR_MISMATCH || !strstr(msg, needle))
        fprintf(stderr, "want mismatch with \"%s\", got %s: %s\n", needle, ts_status_name(st), msg);
    assert_int_equal(st, TS_ERR_MISMATCH);
    assert_non_null(strstr(msg, needle));
}

static void test_edit_detected(void **state)
{
    (void)state;
    make_chain();
    /* change one byte of the last entry of the middle run: the next run
     * no longer follows it */
    run c[3] = {R[0], R[1], R[2]};
    char *p = strstr(c[1].text, "x.parquet");
    char *q;
    while ((q = strstr(p + 1, "x.parquet")) != NULL) p = q;
    p[0] = 'y';
    expect_broken(c, 3, "follows an entry that no log holds");
    /* an edit inside a run is caught by the next line */
    run d[3] = {R[0], R[1], R[2]};
    p = strstr(d[2].text, "x.parquet");
    p[0] = 'y';
    expect_broken(d, 3, "line 2 does not follow line 1");
}

static void test_line_delete_and_reorder_detected(void **state)
{
    (void)state;
    make_chain();
    /* delete the second line of run 2 */
    run c[3] = {R[0], R[1], R[2]};
    char *l2 = (char *)memchr(c[2].text, '\n', c[2].len) + 1;
    char *l3 = (char *)memchr(l2, '\n', c[2].len - (size_t)(l2 - c[2].text)) + 1;
    memmove(l2, l3, c[2].len - (size_t)(l3 - c[2].text));
    c[2].len -= (size_t)(l3 - l2);
    expect_broken(c, 3, "does not follow");
    /* swap lines 2 and 3 of run 0 */
    run d[3] = {R[0], R[1], R[2]};
    char *a = (char *)memchr(d[0].text, '\n', d[0].len) + 1;
    char *b = (char *)memchr(a, '\n', d[0].len - (size_t)(a - d[0].text)) + 1;
    char *end = (char *)memchr(b, '\n', d[0].len - (size_t)(b - d[0].text)) + 1;
    char tmp[4096];
    size_t la = (size_t)(b - a), lb = (size_t)(end - b);
    memcpy(tmp, b, lb);
    memcpy(tmp + lb, a, la);
    memcpy(a, tmp, la + lb);
    expect_broken(d, 3, "does not follow");
}

static void test_run_delete_rename_fork_detected(void **state)
{
    (void)state;
    make_chain();
    run without_middle[2] = {R[0], R[2]};
    expect_broken(without_middle, 2, "follows an entry that no log holds");
    run without_first[2] = {R[1], R[2]};
    expect_broken(without_first, 2, "follows an entry that no log holds");
    run renamed[3] = {R[0], R[1], R[2]};
    memcpy(renamed[1].name + 17, "export", 6); /* "verify" → "export" */
    expect_broken(renamed, 3, "name does not match");
    /* two runs claiming the same predecessor */
    char h[65];
    uint64_t seq;
    run forked[3] = {R[0], R[1], R[2]};
    char head0[65];
    {
        /* head of run 0 = prev of run 1's first line */
        const char *p = strstr(R[1].text, "\"prev\":\"") + 8;
        memcpy(head0, p, 64);
        head0[64] = '\0';
    }
    make_run(&forked[2], "export", "fork", 1700000300000000000, head0, 3, 1, h, &seq);
    expect_broken(forked, 3, "fork");
    /* a truncated last line */
    run trunc[3] = {R[0], R[1], R[2]};
    trunc[2].len -= 1;
    expect_broken(trunc, 3, "not terminated");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_ok),
        cmocka_unit_test(test_edit_detected),
        cmocka_unit_test(test_line_delete_and_reorder_detected),
        cmocka_unit_test(test_run_delete_rename_fork_detected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
