/* InfluxDB response bodies from the network: write error bodies (v1/v2,
 * partial writes), the outcome classification, the bad-line matching a
 * writer does with them, and /query answers. First byte picks the status. */
#include <stdint.h>
#include <string.h>

#include "influx/influx.h"

static const int statuses[] = {200, 201, 204, 400, 401, 403, 404, 408, 413, 422, 429, 500, 503, 0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    influx_resp_info r;
    influx_resp_parse(status, body, len, &r);
    (void)influx_classify(status, &r);
    /* invariants a writer relies on */
    if (r.nbad > INFLUX_MAX_BAD_LINES) __builtin_trap();
    for (size_t i = 0; i < r.nbad; i++)
        if (r.bad_lines[i] <= 0) __builtin_trap();
    if (memchr(r.message, '\n', sizeof r.message) && strlen(r.message) > 0 &&
        strchr(r.message, '\n'))
        __builtin_trap();
    if (strlen(r.bad_text) >= sizeof r.bad_text) __builtin_trap();

    ts_error err;
    ts_err_clear(&err);
    bool found;
    int64_t v;
    influx_count c;
    memset(&c, 0, sizeof c);
    (void)influx_query_parse(body, len, data[0] & 1, &found, &v, &c, &err);
    influx_count_free(&c);
    return 0;
}
