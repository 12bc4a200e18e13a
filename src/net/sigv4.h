/* AWS Signature Version 4 as a chain of small pure steps: the clock and the
 * credentials are passed in, nothing is read from the environment. */
#ifndef NET_SIGV4_H
#define NET_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_arena.h"
#include "core/ts_buf.h"
#include "core/ts_error.h"
#include "net/http.h"

typedef struct aws_credentials {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL unless temporary credentials */
} aws_credentials;

#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Optional view of the intermediate steps (tests, debugging); strings live
 * in the arena passed to sigv4_sign_trace. */
typedef struct sigv4_trace {
    const char *canonical_request;
    const char *string_to_sign;
    const char *signed_headers;
    const char *signature; /* 64 hex digits */
} sigv4_trace;

/* Signs a request. url is the wire URL (scheme://host[:port]/path?query).
 * For service "s3" the path is canonicalised once (decoded, re-encoded: a key
 * with '=' travels and is signed as %3D) and x-amz-content-sha256 is added;
 * for other services the path is normalised (dot segments) and encoded again
 * as SigV4 prescribes. headers_in are signed as given (plus host, x-amz-date
 * and x-amz-security-token unless already present); an x-amz-content-sha256
 * among them is used as the payload hash. unsigned_payload signs
 * "UNSIGNED-PAYLOAD" instead of hashing body.
 * Out: *headers_out = headers_in + the added ones + Authorization, all in
 * arena (valid until the arena is reset). */
ts_status sigv4_sign(const aws_credentials *cr, const char *region, const char *service,
                     int64_t now_s, const char *method, const char *url,
                     const http_header *headers_in, size_t nin, const uint8_t *body,
                     size_t body_len, bool unsigned_payload, http_header **headers_out,
                     size_t *nout, ts_arena *arena, ts_error *err);

/* Same, and fills *trace (may be NULL). */
ts_status sigv4_sign_trace(const aws_credentials *cr, const char *region, const char *service,
                           int64_t now_s, const char *method, const char *url,
                           const http_header *headers_in, size_t nin, const uint8_t *body,
                           size_t body_len, bool unsigned_payload, http_header **headers_out,
                           size_t *nout, sigv4_trace *trace, ts_arena *arena, ts_error *err);

/* ---- the steps, exposed for tests and for callers that build URLs ---- */

/* RFC 3986 percent-encoding of n bytes: unreserved bytes stay, everything
 * else becomes %XX (upper-case hex); '/' stays when keep_slash. */
ts_status sigv4_uri_encode(ts_buf *out, const char *s, size_t n, bool keep_slash);
/* The value of one hex digit (0-9, a-f, A-F), or -1: for percent-decoding. */
int sigv4_hex_digit(int c);
/* Canonical URI of a wire path (without '?...'). */
ts_status sigv4_canonical_uri(ts_buf *out, const char *path, size_t n, bool s3);
/* Canonical query of a wire query string (without '?'): pairs decoded,
 * re-encoded, sorted by name then value. */
ts_status sigv4_canonical_query(ts_buf *out, const char *query, size_t n, ts_error *err);
/* "20150830T123600Z" for a Unix time. */
void sigv4_amz_date(int64_t now_s, char out[17]);

#endif
