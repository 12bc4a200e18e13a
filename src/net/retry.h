/* One retry policy: a classifier that says whether an outcome is transient,
 * and one backoff (exponential, full jitter, capped, Retry-After honoured). */
#ifndef NET_RETRY_H
#define NET_RETRY_H

#include <stdbool.h>
#include <stdint.h>

typedef enum retry_class { RETRY_NO, RETRY_YES, RETRY_THROTTLED } retry_class;

typedef struct retry_policy {
    int max_attempts; /* total attempts including the first (default 8) */
    int64_t base_ms;  /* first backoff window (default 100) */
    int64_t cap_ms;   /* largest backoff window (default 20000) */
    uint64_t seed;    /* jitter seed: same seed, same delays */
} retry_policy;

#define RETRY_DEFAULT_MAX_ATTEMPTS 8
#define RETRY_DEFAULT_BASE_MS 100
#define RETRY_DEFAULT_CAP_MS 20000
/* A Retry-After larger than this is not waited for: the call fails. */
#define RETRY_MAX_RETRY_AFTER_MS 300000

void retry_policy_default(retry_policy *p);

/* Classifies one outcome. network_error: no HTTP response arrived (then
 * network_transient says whether the failure was a reset/timeout/refusal,
 * as opposed to a bad URL or a certificate). status: the HTTP status.
 * error_code: the service's sanitised error code or NULL. */
retry_class retry_classify(bool network_error, bool network_transient, long status,
                           const char *error_code);

/* true for the throttling/transient codes the services use
 * (ThrottlingException, SlowDown, RequestLimitExceeded, ...). */
bool retry_code_is_throttling(const char *code);
bool retry_code_is_transient(const char *code);

/* Delay before retry number `attempt` (1 = first retry): a random value in
 * [0, min(cap, base * 2^(attempt-1))], but at least the Retry-After header
 * (seconds or an HTTP date) when one is given. Returns -1 when Retry-After
 * asks for longer than RETRY_MAX_RETRY_AFTER_MS. */
int64_t retry_delay_ms(const retry_policy *p, int attempt, const char *retry_after_header);
/* Same with the clock passed in (for HTTP-date Retry-After). */
int64_t retry_delay_ms_at(const retry_policy *p, int attempt, const char *retry_after_header,
                          int64_t now_s);
/* Parses Retry-After (delta seconds or IMF-fixdate) into ms from now_s;
 * -1 when absent or unparsable. */
int64_t retry_after_ms(const char *header, int64_t now_s);

#endif
