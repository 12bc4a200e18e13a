/* Kept rejections (shared by the InfluxDB and Timestream writers): the line
 * is copied and cut to 512 bytes, the reason copied, the archive row kept;
 * an allocation failure leaves the entry empty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/ts_alloc.h"
#include "influx/influx.h"

static void test_keep_copies_and_cuts(void **state)
{
    (void)state;
    influx_rejection *v = ts_calloc(3, sizeof *v);
    assert_non_null(v);
    char longline[700];
    memset(longline, 'a', sizeof longline);
    influx_rowref r0 = {.file = 3, .row = 41}, r1 = {.file = 4, .row = 7};
    assert_true(influx_rejection_keep(&v[0], r0, "m f=1 5", 7, "field type conflict"));
    assert_true(influx_rejection_keep(&v[1], r1, longline, sizeof longline, "too long"));
    assert_string_equal(v[0].line, "m f=1 5");
    assert_string_equal(v[0].reason, "field type conflict");
    assert_int_equal(v[0].ref.file, 3);
    assert_int_equal(v[0].ref.row, 41);
    assert_int_equal(strlen(v[1].line), 512);
    assert_int_equal(v[1].ref.row, 7);
    /* the copy of the reason fails: nothing is kept */
    ts_alloc_fail_after(2);
    bool kept = influx_rejection_keep(&v[2], r0, "x f=2 6", 7, "why");
    ts_alloc_fail_after(0);
    assert_false(kept);
    assert_null(v[2].line);
    assert_null(v[2].reason);
    influx_rejections_free(v, 2);
    influx_rejections_free(NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_copies_and_cuts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
