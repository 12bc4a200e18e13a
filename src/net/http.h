/* The one HTTP client (libcurl easy handle, keep-alive, TLS verification on).
 * It moves bytes only: signing and retries live above it (sigv4, retry, aws). */
#ifndef NET_HTTP_H
#define NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_buf.h"
#include "core/ts_error.h"
#include "core/ts_io.h"

typedef struct http_client http_client;

typedef struct http_header {
    const char *name;
    const char *value;
} http_header;

typedef struct http_request {
    const char *method;          /* "GET", "PUT", "POST", "HEAD", "DELETE" */
    const char *url;             /* already percent-encoded as it goes on the wire */
    const http_header *headers;  /* sent as given (no Expect:, no default Content-Type) */
    size_t nheaders;
    const uint8_t *body;         /* borrowed; may be NULL when body_len is 0 */
    size_t body_len;
    long timeout_ms;             /* whole transfer; 0 = the client's default (120 s);
                                    < 0 = none (large streams): a transfer slower than
                                    1 KiB/s for 60 s fails in every case */
    ts_output *sink;             /* optional: a 2xx body streams here instead of resp->body */
} http_request;

typedef struct http_response {
    long status;            /* HTTP status; 0 when no response arrived */
    ts_buf body;            /* capped at TS_MAX_HTTP_BODY (error bodies always land here) */
    size_t nheaders;
    http_header *headers;   /* owned: names and values of the final response */
    uint64_t sink_bytes;    /* bytes written to req->sink */
    bool net_transient;     /* on TS_ERR_NETWORK: worth retrying (reset, timeout, refused) */
} http_response;

/* A client owns one easy handle, so connections are reused between calls.
 * Not thread-safe: one client per thread. */
ts_status http_client_new(http_client **c, ts_error *err);
void http_client_free(http_client *c);

/* CA bundle file for https (NULL = the system default). Copied. */
ts_status http_client_set_ca_bundle(http_client *c, const char *path, ts_error *err);
/* Connect timeout in ms (default 10 s). */
void http_client_set_connect_timeout(http_client *c, long ms);

/* Sends one request. resp is (re)initialised by the call and must be freed
 * with http_response_free even on failure. A network failure (DNS, refused,
 * reset, timeout, TLS) is TS_ERR_NETWORK; any HTTP status is TS_OK with
 * resp->status set. A sink write failure returns the sink's error. */
ts_status http_send(http_client *c, const http_request *req, http_response *resp, ts_error *err);

/* Value of the first header with that name (case-insensitive), or NULL. */
const char *http_response_header(const http_response *r, const char *name);
void http_response_free(http_response *r);

#endif
