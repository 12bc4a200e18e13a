/* Growable buffer with a hard cap; doubling growth, clamped to the cap. */
#include "ts_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ts_alloc.h"

void ts_buf_init(ts_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void ts_buf_free(ts_buf *b)
{
    if (!b) return;
    ts_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

ts_status ts_buf_reserve(ts_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra) return TS_ERR_LIMIT;
    size_t need = b->len + extra;
    if (need <= b->cap) return TS_OK;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < need) ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    /* One spare byte past max so ts_buf_nul works on a full buffer. */
    if (ncap > b->max + 1) ncap = b->max + 1;
    uint8_t *p = ts_realloc(b->data, ncap);
    if (!p) return TS_ERR_NOMEM;
    b->data = p;
    b->cap = ncap;
    return TS_OK;
}

ts_status ts_buf_append(ts_buf *b, const void *p, size_t n)
{
    if (!n) return TS_OK;
    TS_TRY(ts_buf_reserve(b, n));
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return TS_OK;
}

ts_status ts_buf_append_byte(ts_buf *b, uint8_t c) { return ts_buf_append(b, &c, 1); }

ts_status ts_buf_append_str(ts_buf *b, const char *s) { return ts_buf_append(b, s, strlen(s)); }

ts_status ts_buf_printf(ts_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return TS_ERR_INTERNAL;
    TS_TRY(ts_buf_reserve(b, (size_t)n + 1));
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return TS_OK;
}

ts_status ts_buf_nul(ts_buf *b)
{
    if (b->len + 1 > b->cap) {
        size_t ncap = b->len + 1;
        uint8_t *p = ts_realloc(b->data, ncap);
        if (!p) return TS_ERR_NOMEM;
        b->data = p;
        b->cap = ncap;
    }
    b->data[b->len] = 0;
    return TS_OK;
}

uint8_t *ts_buf_detach(ts_buf *b, size_t *len)
{
    uint8_t *p = b->data;
    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
