/* InfluxDB write outcomes: error bodies of v2 and v1 (partial writes, line
 * numbers, dropped counts, the bad line's text) and the retry decision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "influx/influx.h"

static void parse(int status, const char *body, influx_resp_info *r)
{
    influx_resp_parse(status, body, strlen(body), r);
}

static void test_v2_line_errors(void **state)
{
    (void)state;
    influx_resp_info r;
    parse(400,
          "{\"code\":\"invalid\",\"message\":\"failed to parse line protocol: errors encountered on "
          "line(s):\\nline 3: invalid field format\\nline 17: missing tag value\",\"line\":3}",
          &r);
    assert_string_equal(r.code, "invalid");
    assert_int_equal(r.nbad, 2);
    assert_int_equal(r.bad_lines[0], 3);
    assert_int_equal(r.bad_lines[1], 17);
    assert_null(strchr(r.message, '\n')); /* control characters cleaned */
    assert_int_equal(influx_classify(400, &r), INFLUX_ACT_REJECTED);

    parse(400, "{\"code\":\"invalid\",\"message\":\"partial write: field type conflict\",\"line\":1}",
          &r);
    assert_true(r.partial);
    assert_true(r.type_conflict);
    assert_int_equal(r.bad_lines[0], 1);
}

static void test_v1_shapes(void **state)
{
    (void)state;
    influx_resp_info r;
    parse(400,
          "{\"error\":\"partial write: field type conflict: input field \\\"generation_mw\\\" on "
          "measurement \\\"generation\\\" is type float, already exists as type string dropped=2\"}",
          &r);
    assert_true(r.partial);
    assert_true(r.type_conflict);
    assert_int_equal(r.dropped, 2);
    assert_int_equal(r.nbad, 0);
    assert_int_equal(influx_classify(400, &r), INFLUX_ACT_REJECTED);

    parse(400, "{\"error\":\"unable to parse 'm,t=a f=': missing field value\"}", &r);
    assert_string_equal(r.bad_text, "m,t=a f=");
    assert_int_equal(r.dropped, -1);

    parse(400, "{\"error\":\"partial write: unable to parse 'm x='a': b': bad timestamp dropped=1\"}",
          &r);
    assert_string_equal(r.bad_text, "m x='a");

    parse(500, "{\"error\":\"partial write: points beyond retention policy dropped=5\"}", &r);
    assert_true(r.retention);
    assert_int_equal(r.dropped, 5);
    /* sending them again cannot help */
    assert_int_equal(influx_classify(500, &r), INFLUX_ACT_REJECTED);

    parse(500, "{\"error\":\"retention policy not found: myrp\"}", &r);
    assert_int_equal(influx_classify(500, &r), INFLUX_ACT_FATAL);

    parse(404, "{\"error\":\"database not found: \\\"x\\\"\"}", &r);
    assert_int_equal(influx_classify(404, &r), INFLUX_ACT_FATAL);
    assert_int_equal(influx_fatal_status(404), TS_ERR_NOT_FOUND);
}

static void test_classify(void **state)
{
    (void)state;
    influx_resp_info r;
    parse(204, "", &r);
    assert_int_equal(influx_classify(204, &r), INFLUX_ACT_DONE);
    assert_int_equal(influx_classify(0, NULL), INFLUX_ACT_RETRY); /* network */
    parse(429, "{\"code\":\"too many requests\",\"message\":\"slow down\"}", &r);
    assert_int_equal(influx_classify(429, &r), INFLUX_ACT_RETRY);
    parse(503, "{\"code\":\"unavailable\",\"message\":\"busy\"}", &r);
    assert_int_equal(influx_classify(503, &r), INFLUX_ACT_RETRY);
    parse(500, "{\"code\":\"internal error\",\"message\":\"oops\"}", &r);
    assert_int_equal(influx_classify(500, &r), INFLUX_ACT_RETRY);
    parse(413, "{\"code\":\"request too large\",\"message\":\"x\",\"maxLength\":100}", &r);
    assert_int_equal(influx_classify(413, &r), INFLUX_ACT_SPLIT);
    parse(401, "{\"code\":\"unauthorized\",\"message\":\"unauthorized access\"}", &r);
    assert_int_equal(influx_classify(401, &r), INFLUX_ACT_FATAL);
    assert_int_equal(influx_fatal_status(401), TS_ERR_AUTH);
    assert_int_equal(influx_fatal_status(403), TS_ERR_AUTH);
    /* InfluxDB 3: 201 with a body is a partial success */
    parse(201, "{\"error\":\"partial write of line protocol occurred\",\"data\":[]}", &r);
    assert_int_equal(influx_classify(201, &r), INFLUX_ACT_REJECTED);
    parse(200, "", &r);
    assert_int_equal(influx_classify(200, &r), INFLUX_ACT_DONE);
}

static void test_hostile_bodies(void **state)
{
    (void)state;
    influx_resp_info r;
    parse(400, "not json at all \x1b[31m line 99999999999999999999", &r);
    assert_null(strchr(r.message, '\x1b'));
    assert_int_equal(r.nbad, 0); /* an absurd line number is ignored */
    parse(400, "{\"code\":5,\"message\":[1,2],\"line\":-4}", &r);
    assert_string_equal(r.code, "");
    assert_int_equal(r.nbad, 0);
    parse(400, "{\"error\":\"unable to parse '", &r);
    parse(400, "", &r);
    assert_string_equal(r.message, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v2_line_errors),
        cmocka_unit_test(test_v1_shapes),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_hostile_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
