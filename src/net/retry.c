/* Retry policy: which outcomes are transient, and how long to wait. */
#include "net/retry.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/ts_time.h"

void retry_policy_default(retry_policy *p)
{
    p->max_attempts = RETRY_DEFAULT_MAX_ATTEMPTS;
    p->base_ms = RETRY_DEFAULT_BASE_MS;
    p->cap_ms = RETRY_DEFAULT_CAP_MS;
    p->seed = 0x9e3779b97f4a7c15ULL;
}

static const char *const throttling_codes[] = {
    "ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException",
    "RequestLimitExceeded", "SlowDown", "ProvisionedThroughputExceededException",
    "RequestThrottled", "RequestThrottledException", "BandwidthLimitExceeded",
    "EC2ThrottledException", "PriorRequestNotComplete"};

static const char *const transient_codes[] = {
    "InternalServerException", "InternalServerError", "InternalError", "InternalFailure",
    "ServiceUnavailable", "ServiceUnavailableException", "ServiceException",
    "RequestTimeout", "RequestTimeoutException", "OperationAbortedException",
    "IDPCommunicationError"};

static bool in_list(const char *code, const char *const *list, size_t n)
{
    if (!code || !*code) return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(code, list[i]) == 0) return true;
    return false;
}

bool retry_code_is_throttling(const char *code)
{
    return in_list(code, throttling_codes, sizeof throttling_codes / sizeof *throttling_codes);
}

bool retry_code_is_transient(const char *code)
{
    return in_list(code, transient_codes, sizeof transient_codes / sizeof *transient_codes);
}

retry_class retry_classify(bool network_error, bool network_transient, long status,
                           const char *error_code)
{
    if (network_error) return network_transient ? RETRY_YES : RETRY_NO;
    if (status >= 200 && status < 400) return RETRY_NO;
    /* the code decides first: Timestream sends throttling as 400 */
    if (retry_code_is_throttling(error_code)) return RETRY_THROTTLED;
    if (retry_code_is_transient(error_code)) return RETRY_YES;
    switch (status) {
    case 429:
        return RETRY_THROTTLED;
    case 408:
    case 500:
    case 502:
    case 503:
    case 504:
    case 509:
        return RETRY_YES;
    default:
        return RETRY_NO;
    }
}

/* splitmix64: a deterministic per-attempt random value from the seed */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" → epoch seconds, or -1. */
static int64_t parse_http_date(const char *s)
{
    const char *c = strchr(s, ',');
    if (!c) return -1;
    c++;
    while (*c == ' ') c++;
    char *end;
    long day = strtol(c, &end, 10);
    if (end == c || *end != ' ' || day < 1 || day > 31) return -1;
    c = end + 1;
    int mon = -1;
    for (int i = 0; i < 12; i++)
        if (strncmp(c, months[i], 3) == 0) mon = i + 1;
    if (mon < 0 || c[3] != ' ') return -1;
    c += 4;
    long year = strtol(c, &end, 10);
    if (end == c || *end != ' ' || year < 1970 || year > 9999) return -1;
    c = end + 1;
    int hh, mm, ss;
    if (!isdigit((unsigned char)c[0]) || !isdigit((unsigned char)c[1]) || c[2] != ':' ||
        !isdigit((unsigned char)c[3]) || !isdigit((unsigned char)c[4]) || c[5] != ':' ||
        !isdigit((unsigned char)c[6]) || !isdigit((unsigned char)c[7]))
        return -1;
    hh = (c[0] - '0') * 10 + (c[1] - '0');
    mm = (c[3] - '0') * 10 + (c[4] - '0');
    ss = (c[6] - '0') * 10 + (c[7] - '0');
    if (hh > 23 || mm > 59 || ss > 60) return -1;
    return ts_days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + hh * 3600 + mm * 60 +
           ss;
}

int64_t retry_after_ms(const char *h, int64_t now_s)
{
    if (!h) return -1;
    while (*h == ' ') h++;
    if (!*h) return -1;
    if (isdigit((unsigned char)*h)) {
        char *end;
        double v = strtod(h, &end);
        while (*end == ' ') end++;
        if (*end || v < 0 || v > 1e9) return -1;
        return (int64_t)(v * 1000.0);
    }
    int64_t t = parse_http_date(h);
    if (t < 0) return -1;
    return t <= now_s ? 0 : (t - now_s) * 1000;
}

int64_t retry_delay_ms_at(const retry_policy *p, int attempt, const char *retry_after_header,
                          int64_t now_s)
{
    if (attempt < 1) attempt = 1;
    int64_t base = p->base_ms > 0 ? p->base_ms : RETRY_DEFAULT_BASE_MS;
    int64_t cap = p->cap_ms > 0 ? p->cap_ms : RETRY_DEFAULT_CAP_MS;
    int64_t window = base;
    for (int i = 1; i < attempt && window < cap; i++) window *= 2;
    if (window > cap) window = cap;
    /* full jitter: uniform in [0, window] */
    int64_t d = (int64_t)(mix(p->seed ^ ((uint64_t)attempt * 0x100000001b3ULL)) %
                          (uint64_t)(window + 1));
    int64_t ra = retry_after_ms(retry_after_header, now_s);
    if (ra > RETRY_MAX_RETRY_AFTER_MS) return -1;
    if (ra > d) d = ra;
    return d;
}

int64_t retry_delay_ms(const retry_policy *p, int attempt, const char *retry_after_header)
{
    return retry_delay_ms_at(p, attempt, retry_after_header, ts_now_ns() / TS_NS_PER_SEC);
}
