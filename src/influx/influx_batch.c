/* Write batches bounded by lines and bytes, each line remembering the
 * archive row it came from; and the gzip bodies they are sent as. */
#include <string.h>
#include <zlib.h>

#include "core/ts_alloc.h"
#include "influx/influx.h"

/* A batch body never grows past this, whatever --batch-bytes says (InfluxDB
 * 1.x refuses bodies over 25 MB by default). */
#define INFLUX_MAX_BATCH_BODY ((size_t)256 << 20)

void influx_batch_init(influx_batch *b)
{
    memset(b, 0, sizeof *b);
    ts_buf_init(&b->body, INFLUX_MAX_BATCH_BODY);
}

void influx_batch_free(influx_batch *b)
{
    if (!b) return;
    ts_buf_free(&b->body);
    ts_free(b->offsets);
    ts_free(b->refs);
    memset(b, 0, sizeof *b);
}

void influx_batch_reset(influx_batch *b)
{
    ts_buf_clear(&b->body);
    b->nlines = 0;
}

bool influx_batch_fits(const influx_batch *b, size_t len, size_t max_lines, size_t max_bytes)
{
    if (b->nlines == 0) return true;
    if (max_lines && b->nlines >= max_lines) return false;
    if (max_bytes && b->body.len + len + 1 > max_bytes) return false;
    return true;
}

ts_status influx_batch_add(influx_batch *b, const char *line, size_t len, influx_rowref ref,
                           ts_error *err)
{
    if (b->nlines == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 1024;
        size_t *no = ts_realloc(b->offsets, ncap * sizeof *no);
        if (!no) return ts_err_set(err, TS_ERR_NOMEM, "out of memory (batch of %zu lines)", ncap);
        b->offsets = no;
        influx_rowref *nr = ts_realloc(b->refs, ncap * sizeof *nr);
        if (!nr) return ts_err_set(err, TS_ERR_NOMEM, "out of memory (batch of %zu lines)", ncap);
        b->refs = nr;
        b->cap = ncap;
    }
    size_t off = b->body.len;
    ts_status st = ts_buf_reserve(&b->body, len + 1);
    if (st != TS_OK)
        return ts_err_set(err, st, "write batch would exceed %zu bytes", b->body.max);
    memcpy(b->body.data + off, line, len);
    b->body.data[off + len] = '\n';
    b->body.len = off + len + 1;
    b->offsets[b->nlines] = off;
    b->refs[b->nlines] = ref;
    b->nlines++;
    return TS_OK;
}

const char *influx_batch_line(const influx_batch *b, size_t i, size_t *len)
{
    size_t start = b->offsets[i];
    size_t end = i + 1 < b->nlines ? b->offsets[i + 1] : b->body.len;
    *len = end - start - 1;
    return (const char *)b->body.data + start;
}

ts_status influx_batch_slice(const influx_batch *b, size_t from, size_t to, influx_batch *dst,
                             ts_error *err)
{
    influx_batch_reset(dst);
    dst->seq = b->seq;
    for (size_t i = from; i < to && i < b->nlines; i++) {
        size_t len;
        const char *l = influx_batch_line(b, i, &len);
        TS_TRY(influx_batch_add(dst, l, len, b->refs[i], err));
    }
    return TS_OK;
}

ts_status influx_gzip(const void *p, size_t n, int level, ts_buf *out, ts_error *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (level < 1 || level > 9) level = 1;
    /* windowBits 15 + 16: a gzip wrapper instead of zlib's */
    if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "gzip: deflateInit2 failed");
    ts_buf_clear(out);
    uLong bound = deflateBound(&z, (uLong)n);
    ts_status st = ts_buf_reserve(out, (size_t)bound);
    if (st != TS_OK) {
        deflateEnd(&z);
        return ts_err_set(err, st, "gzip: body of %zu bytes too large", n);
    }
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = out->data;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    if (rc != Z_STREAM_END) {
        deflateEnd(&z);
        return ts_err_set(err, TS_ERR_INTERNAL, "gzip: deflate returned %d", rc);
    }
    out->len = (size_t)z.total_out;
    deflateEnd(&z);
    return TS_OK;
}

ts_status influx_gunzip(const void *p, size_t n, ts_buf *out, ts_error *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "gunzip: inflateInit2 failed");
    ts_buf_clear(out);
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    ts_status st = TS_OK;
    for (;;) {
        if ((st = ts_buf_reserve(out, 65536)) != TS_OK) {
            st = ts_err_set(err, st, "gunzip: output larger than %zu bytes", out->max);
            break;
        }
        size_t lim = out->cap < out->max ? out->cap : out->max;
        size_t room = lim - out->len;
        if (room > 1u << 30) room = 1u << 30;
        z.next_out = out->data + out->len;
        z.avail_out = (uInt)room;
        int rc = inflate(&z, Z_NO_FLUSH);
        out->len += room - z.avail_out;
        if (rc == Z_STREAM_END) break;
        if (rc != Z_OK) {
            st = ts_err_set(err, TS_ERR_CORRUPT, "gunzip: corrupt data at input byte %lu",
                            (unsigned long)z.total_in);
            break;
        }
        if (z.avail_in == 0 && z.avail_out != 0) {
            st = ts_err_set(err, TS_ERR_CORRUPT, "gunzip: truncated stream");
            break;
        }
    }
    inflateEnd(&z);
    return st;
}
