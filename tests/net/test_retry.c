/* Retry policy: the classifier and the backoff (jitter, cap, Retry-After). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "net/retry.h"

static void test_classify_status(void **state)
{
    (void)state;
    struct {
        long status;
        retry_class want;
    } cases[] = {{200, RETRY_NO}, {204, RETRY_NO}, {400, RETRY_NO}, {403, RETRY_NO},
                 {404, RETRY_NO}, {408, RETRY_YES}, {429, RETRY_THROTTLED}, {500, RETRY_YES},
                 {501, RETRY_NO}, {502, RETRY_YES}, {503, RETRY_YES}, {504, RETRY_YES}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        retry_class got = retry_classify(false, false, cases[i].status, NULL);
        if (got != cases[i].want)
            printf("status %ld: want %d got %d\n", cases[i].status, cases[i].want, got);
        assert_int_equal(got, cases[i].want);
    }
}

static void test_classify_codes(void **state)
{
    (void)state;
    const char *throttling[] = {"ThrottlingException", "Throttling", "TooManyRequestsException",
                                "RequestLimitExceeded", "SlowDown",
                                "ProvisionedThroughputExceededException"};
    for (size_t i = 0; i < sizeof throttling / sizeof *throttling; i++)
        assert_int_equal(retry_classify(false, false, 400, throttling[i]), RETRY_THROTTLED);
    const char *transient[] = {"InternalServerException", "ServiceUnavailable", "InternalError",
                               "RequestTimeout"};
    for (size_t i = 0; i < sizeof transient / sizeof *transient; i++)
        assert_int_equal(retry_classify(false, false, 400, transient[i]), RETRY_YES);
    const char *final[] = {"ValidationException", "AccessDeniedException", "NoSuchKey",
                           "InvalidEndpointException", "ResourceNotFoundException", ""};
    for (size_t i = 0; i < sizeof final / sizeof *final; i++)
        assert_int_equal(retry_classify(false, false, 400, final[i]), RETRY_NO);
    /* Timestream sends throttling with 400; the code wins over the status */
    assert_int_equal(retry_classify(false, false, 400, "ThrottlingException"), RETRY_THROTTLED);
}

static void test_classify_network(void **state)
{
    (void)state;
    assert_int_equal(retry_classify(true, true, 0, NULL), RETRY_YES);   /* reset, timeout */
    assert_int_equal(retry_classify(true, false, 0, NULL), RETRY_NO);   /* bad certificate */
}

static void test_backoff_full_jitter_and_cap(void **state)
{
    (void)state;
    retry_policy p;
    retry_policy_default(&p);
    p.base_ms = 100;
    p.cap_ms = 1000;
    int64_t window = 100;
    for (int attempt = 1; attempt <= 12; attempt++) {
        int64_t lo = INT64_MAX, hi = -1;
        for (uint64_t seed = 1; seed <= 300; seed++) {
            p.seed = seed;
            int64_t d = retry_delay_ms_at(&p, attempt, NULL, 0);
            if (d < lo) lo = d;
            if (d > hi) hi = d;
            assert_true(d >= 0);
            if (d > window) printf("attempt %d: %lld > window %lld\n", attempt, (long long)d,
                                   (long long)window);
            assert_true(d <= window);
        }
        /* full jitter spreads over the window */
        assert_true(lo < window / 4 + 1);
        assert_true(hi > window / 2);
        window = window * 2 > 1000 ? 1000 : window * 2;
    }
    /* same seed, same delays */
    p.seed = 42;
    assert_int_equal(retry_delay_ms_at(&p, 3, NULL, 0), retry_delay_ms_at(&p, 3, NULL, 0));
}

static void test_retry_after(void **state)
{
    (void)state;
    /* 2015-10-21T07:28:00Z */
    int64_t now = INT64_C(1445412480);
    assert_int_equal(retry_after_ms("3", now), 3000);
    assert_int_equal(retry_after_ms(" 0 ", now), 0);
    assert_int_equal(retry_after_ms("1.5", now), 1500);
    assert_int_equal(retry_after_ms("Wed, 21 Oct 2015 07:28:05 GMT", now), 5000);
    assert_int_equal(retry_after_ms("Wed, 21 Oct 2015 07:27:00 GMT", now), 0); /* past */
    assert_int_equal(retry_after_ms("soon", now), -1);
    assert_int_equal(retry_after_ms("", now), -1);
    assert_int_equal(retry_after_ms(NULL, now), -1);
    assert_int_equal(retry_after_ms("-1", now), -1);
    retry_policy p;
    retry_policy_default(&p);
    p.base_ms = 10;
    p.cap_ms = 20;
    /* Retry-After is a floor on the delay */
    assert_int_equal(retry_delay_ms_at(&p, 1, "2", now), 2000);
    /* beyond what we are willing to wait: give up */
    assert_int_equal(retry_delay_ms_at(&p, 1, "3600", now), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify_status),
        cmocka_unit_test(test_classify_codes),
        cmocka_unit_test(test_classify_network),
        cmocka_unit_test(test_backoff_full_jitter_and_cap),
        cmocka_unit_test(test_retry_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
