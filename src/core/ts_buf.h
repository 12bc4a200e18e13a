/* The one growable byte buffer. Each buffer is born with a hard cap named
 * for its use; growing past it fails with TS_ERR_LIMIT instead of eating
 * memory on hostile input. */
#ifndef TS_BUF_H
#define TS_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "ts_error.h"

typedef struct ts_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len */
} ts_buf;

/* Caps for the buffers named in the code; one place to read them all. */
#define TS_MAX_PQ_FOOTER ((size_t)64 << 20)
#define TS_MAX_PQ_PAGE ((size_t)1 << 30)
#define TS_MAX_LINE ((size_t)64 << 20)
#define TS_MAX_HTTP_BODY ((size_t)256 << 20)
#define TS_MAX_HTTP_HEADER ((size_t)64 << 10)
#define TS_MAX_MANIFEST ((size_t)256 << 20)

void ts_buf_init(ts_buf *b, size_t max);
void ts_buf_free(ts_buf *b);
static inline void ts_buf_clear(ts_buf *b) { b->len = 0; }

/* Ensures room for `extra` more bytes. TS_ERR_LIMIT past max, TS_ERR_NOMEM. */
ts_status ts_buf_reserve(ts_buf *b, size_t extra);
ts_status ts_buf_append(ts_buf *b, const void *p, size_t n);
ts_status ts_buf_append_byte(ts_buf *b, uint8_t c);
ts_status ts_buf_append_str(ts_buf *b, const char *s);
ts_status ts_buf_printf(ts_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Keeps a NUL after len without counting it, for string use. */
ts_status ts_buf_nul(ts_buf *b);
/* Hands the storage to the caller (who frees it with ts_free) and empties b. */
uint8_t *ts_buf_detach(ts_buf *b, size_t *len);

#endif
