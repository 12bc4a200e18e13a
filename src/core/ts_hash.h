/* SHA-256 (streaming, OpenSSL) and CRC-32 (zlib) behind small names. */
#ifndef TS_HASH_H
#define TS_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "ts_error.h"

#define TS_SHA256_LEN 32
#define TS_SHA256_HEX_LEN 65 /* 64 hex digits + NUL */

typedef struct ts_sha256 ts_sha256; /* opaque */

ts_sha256 *ts_sha256_new(void);
void ts_sha256_update(ts_sha256 *h, const void *p, size_t n);
/* Writes the digest and leaves h ready for a new message. */
void ts_sha256_final(ts_sha256 *h, uint8_t out[TS_SHA256_LEN]);
void ts_sha256_free(ts_sha256 *h);
void ts_sha256_once(const void *p, size_t n, uint8_t out[TS_SHA256_LEN]);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void ts_hex(const uint8_t *p, size_t n, char *out);

uint32_t ts_crc32(uint32_t crc, const void *p, size_t n);

#endif
