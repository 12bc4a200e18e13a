/* aws_svc_info: which IAM action a denial names, and the not-found codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "aws/aws_svc.h"

static void test_action_from_message(void **state)
{
    (void)state;
    aws_svc_info i;
    aws_svc_info_set_error(&i, "AccessDenied",
                           "User: arn:aws:iam::1:user/x is not authorized to perform: iam:DetachRolePolicy "
                           "on resource: role r",
                           "iam", "DeleteRole");
    assert_string_equal(i.code, "AccessDenied");
    assert_string_equal(i.action, "iam:DetachRolePolicy");
    assert_false(i.already_gone);
    /* no action named: derived from the operation, with the IAM prefix */
    aws_svc_info_set_error(&i, "AccessDeniedException", "Access denied", "lambda", "DeleteFunction");
    assert_string_equal(i.action, "lambda:DeleteFunction");
    aws_svc_info_set_error(&i, "AccessDenied", "", "monitoring", "DeleteAlarms");
    assert_string_equal(i.action, "cloudwatch:DeleteAlarms");
    /* the signing name in a message is mapped to the IAM prefix */
    aws_svc_info_set_error(&i, "AccessDenied", "is not authorized to perform: monitoring:DescribeAlarms",
                           "monitoring", "DeleteAlarms");
    assert_string_equal(i.action, "cloudwatch:DescribeAlarms");
    /* garbage after "perform:" is not an action */
    aws_svc_info_set_error(&i, "AccessDenied", "not authorized to perform: :::", "logs", "DeleteLogGroup");
    assert_string_equal(i.action, "logs:DeleteLogGroup");
    aws_svc_info_set_error(&i, "AccessDenied", "perform: nocolon here", "logs", "DeleteLogGroup");
    assert_string_equal(i.action, "logs:DeleteLogGroup");
    /* other codes carry no action */
    aws_svc_info_set_error(&i, "DeleteConflict", "perform: iam:DeleteRole", "iam", "DeleteRole");
    assert_string_equal(i.code, "DeleteConflict");
    assert_string_equal(i.action, "");
    aws_svc_info_set_error(NULL, "AccessDenied", "x", "iam", "DeleteRole"); /* no-op */
    aws_svc_info_clear(&i);
    assert_string_equal(i.code, "");
}

static void test_not_found_codes(void **state)
{
    (void)state;
    assert_true(aws_svc_code_is_not_found("ResourceNotFoundException"));
    assert_true(aws_svc_code_is_not_found("NoSuchEntity"));
    assert_false(aws_svc_code_is_not_found("DeleteConflict"));
    assert_false(aws_svc_code_is_not_found("NotFound")); /* a bare 404 is not "gone" */
    assert_false(aws_svc_code_is_not_found(""));
    assert_false(aws_svc_code_is_not_found(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_action_from_message),
        cmocka_unit_test(test_not_found_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
