/* Text streams under the line-based formats: a line reader that transparently
 * decompresses gzip and zstd (detected by magic) with bounded buffers, and a
 * writer that compresses on the way to a ts_output. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "formats/fmt.h"
#include "formats/fmt_internal.h"

#define RAW_CHUNK ((size_t)64 << 10)
#define DEC_CHUNK ((size_t)64 << 10)

struct fmt_text_in {
    char *name;
    int fd;            /* -1 for memory input */
    bool own_fd;
    const uint8_t *mem; /* memory input */
    size_t mem_len, mem_pos;
    bool raw_eof;

    fmt_compress comp;
    bool detected;
    z_stream z;
    bool z_init;
    ZSTD_DCtx *zd;

    uint8_t *raw;      /* compressed bytes read, [raw_pos, raw_len) pending */
    size_t raw_pos, raw_len;
    uint8_t *dec;      /* decoded bytes, [dec_pos, dec_len) pending (+1 for NUL) */
    size_t dec_pos, dec_len;
    bool dec_eof;

    ts_buf line;       /* a line spanning decoded chunks */
    size_t max_line;
    uint64_t lineno;
};

/* ---- raw bytes ---- */

static ts_status raw_fill(fmt_text_in *in, ts_error *err)
{
    if (in->raw_pos < in->raw_len || in->raw_eof) return TS_OK;
    in->raw_pos = in->raw_len = 0;
    if (in->fd < 0) {
        size_t n = in->mem_len - in->mem_pos;
        if (n > RAW_CHUNK) n = RAW_CHUNK;
        if (n == 0) {
            in->raw_eof = true;
            return TS_OK;
        }
        memcpy(in->raw, in->mem + in->mem_pos, n);
        in->mem_pos += n;
        in->raw_len = n;
        return TS_OK;
    }
    for (;;) {
        ssize_t r = read(in->fd, in->raw, RAW_CHUNK);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return ts_err_errno(err, TS_ERR_IO, errno, "cannot read %s", in->name);
        if (r == 0) in->raw_eof = true;
        in->raw_len = (size_t)r;
        return TS_OK;
    }
}

/* Decodes the next chunk into dec; sets dec_eof at the end of the stream. */
static ts_status dec_fill(fmt_text_in *in, ts_error *err)
{
    in->dec_pos = in->dec_len = 0;
    if (!in->detected) {
        TS_TRY(raw_fill(in, err));
        /* Magic needs up to 4 bytes; a short first read of a pipe is topped up. */
        while (in->raw_len < 4 && !in->raw_eof) {
            size_t have = in->raw_len;
            uint8_t keep[4];
            memcpy(keep, in->raw, have);
            in->raw_pos = in->raw_len;
            TS_TRY(raw_fill(in, err));
            if (in->raw_eof) {
                memcpy(in->raw, keep, have);
                in->raw_len = have;
                break;
            }
            memmove(in->raw + have, in->raw, in->raw_len);
            memcpy(in->raw, keep, have);
            in->raw_len += have;
        }
        in->raw_pos = 0;
        const uint8_t *r = in->raw;
        if (in->raw_len >= 2 && r[0] == 0x1f && r[1] == 0x8b) {
            in->comp = FMT_COMP_GZIP;
            memset(&in->z, 0, sizeof in->z);
            if (inflateInit2(&in->z, 15 + 16) != Z_OK)
                return ts_err_set(err, TS_ERR_NOMEM, "cannot start gzip decoder for %s", in->name);
            in->z_init = true;
        } else if (in->raw_len >= 4 && r[0] == 0x28 && r[1] == 0xb5 && r[2] == 0x2f &&
                   r[3] == 0xfd) {
            in->comp = FMT_COMP_ZSTD;
            if (!in->zd) in->zd = ZSTD_createDCtx();
            if (!in->zd)
                return ts_err_set(err, TS_ERR_NOMEM, "cannot start zstd decoder for %s", in->name);
            ZSTD_DCtx_reset(in->zd, ZSTD_reset_session_only);
        } else {
            in->comp = FMT_COMP_NONE;
        }
        in->detected = true;
    }
    while (in->dec_len == 0) {
        TS_TRY(raw_fill(in, err));
        size_t avail = in->raw_len - in->raw_pos;
        if (in->comp == FMT_COMP_NONE) {
            if (avail == 0) {
                in->dec_eof = true;
                return TS_OK;
            }
            size_t n = avail < DEC_CHUNK ? avail : DEC_CHUNK;
            memcpy(in->dec, in->raw + in->raw_pos, n);
            in->raw_pos += n;
            in->dec_len = n;
        } else if (in->comp == FMT_COMP_GZIP) {
            if (avail == 0) {
                /* End of input: fine only between members. */
                if (in->z_init)
                    return ts_err_set(err, TS_ERR_CORRUPT,
                                      "%s: gzip stream is truncated (the file is incomplete)",
                                      in->name);
                in->dec_eof = true;
                return TS_OK;
            }
            if (!in->z_init) {
                /* Another member follows (concatenated gzip, as pigz and cat make). */
                memset(&in->z, 0, sizeof in->z);
                if (inflateInit2(&in->z, 15 + 16) != Z_OK)
                    return ts_err_set(err, TS_ERR_NOMEM, "cannot start gzip decoder");
                in->z_init = true;
            }
            in->z.next_in = in->raw + in->raw_pos;
            in->z.avail_in = (uInt)avail;
            in->z.next_out = in->dec;
            in->z.avail_out = (uInt)DEC_CHUNK;
            int zr = inflate(&in->z, Z_NO_FLUSH);
            in->raw_pos = in->raw_len - in->z.avail_in;
            in->dec_len = DEC_CHUNK - in->z.avail_out;
            if (zr == Z_STREAM_END) {
                inflateEnd(&in->z);
                in->z_init = false;
                /* Skip trailing zero padding some tools add. */
            } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
                return ts_err_set(err, TS_ERR_CORRUPT, "%s: gzip data is corrupt (%s)", in->name,
                                  in->z.msg ? in->z.msg : "inflate failed");
            } else if (zr == Z_BUF_ERROR && in->dec_len == 0 && in->raw_eof &&
                       in->raw_pos == in->raw_len) {
                return ts_err_set(err, TS_ERR_CORRUPT, "%s: gzip stream is truncated", in->name);
            }
        } else {
            if (avail == 0) {
                if (in->raw_eof) {
                    if (in->z_init) /* here: a zstd frame is open */
                        return ts_err_set(err, TS_ERR_CORRUPT, "%s: zstd stream is truncated",
                                          in->name);
                    in->dec_eof = true;
                    return TS_OK;
                }
                continue;
            }
            ZSTD_inBuffer ib = {in->raw + in->raw_pos, avail, 0};
            ZSTD_outBuffer ob = {in->dec, DEC_CHUNK, 0};
            size_t zr = ZSTD_decompressStream(in->zd, &ob, &ib);
            if (ZSTD_isError(zr))
                return ts_err_set(err, TS_ERR_CORRUPT, "%s: zstd data is corrupt (%s)", in->name,
                                  ZSTD_getErrorName(zr));
            in->raw_pos += ib.pos;
            in->dec_len = ob.pos;
            in->z_init = zr != 0; /* reuse the flag: a frame is incomplete */
        }
    }
    return TS_OK;
}

/* ---- public reader ---- */

static ts_status in_alloc(const char *name, fmt_text_in **out, ts_error *err)
{
    fmt_text_in *in = ts_calloc(1, sizeof *in);
    if (!in) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    in->fd = -1;
    in->name = ts_strdup(name);
    in->raw = ts_malloc(RAW_CHUNK);
    in->dec = ts_malloc(DEC_CHUNK + 1);
    in->max_line = TS_MAX_LINE;
    ts_buf_init(&in->line, TS_MAX_LINE + 1);
    if (!in->name || !in->raw || !in->dec) {
        fmt_text_in_free(in);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    *out = in;
    return TS_OK;
}

/* Copies standard input to an unlinked temp file so it can be read twice. */
static ts_status spool_stdin(int *fd_out, ts_error *err)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tsarchive-stdin.XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) return ts_err_errno(err, TS_ERR_IO, errno, "cannot create a temp file to spool standard input");
    unlink(path);
    uint8_t *buf = ts_malloc(RAW_CHUNK);
    if (!buf) {
        close(fd);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    for (;;) {
        ssize_t r = read(0, buf, RAW_CHUNK);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            ts_free(buf);
            close(fd);
            return ts_err_errno(err, TS_ERR_IO, e, "cannot read standard input");
        }
        if (r == 0) break;
        size_t off = 0;
        while (off < (size_t)r) {
            ssize_t w = write(fd, buf + off, (size_t)r - off);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                int e = errno;
                ts_free(buf);
                close(fd);
                return ts_err_errno(err, TS_ERR_IO, e, "cannot spool standard input to %s", path);
            }
            off += (size_t)w;
        }
    }
    ts_free(buf);
    if (lseek(fd, 0, SEEK_SET) < 0) {
        int e = errno;
        close(fd);
        return ts_err_errno(err, TS_ERR_IO, e, "cannot rewind the spooled standard input");
    }
    *fd_out = fd;
    return TS_OK;
}

ts_status fmt_text_in_open(const char *path, bool rewindable, fmt_text_in **out, ts_error *err)
{
    *out = NULL;
    bool is_stdin = strcmp(path, "-") == 0;
    fmt_text_in *in;
    TS_TRY(in_alloc(is_stdin ? "standard input" : path, &in, err));
    if (is_stdin) {
        if (rewindable) {
            ts_status st = spool_stdin(&in->fd, err);
            if (st != TS_OK) {
                fmt_text_in_free(in);
                return st;
            }
            in->own_fd = true;
        } else {
            in->fd = 0;
        }
    } else {
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0) {
            int e = errno;
            fmt_text_in_free(in);
            return ts_err_errno(err, e == ENOENT ? TS_ERR_NOT_FOUND : TS_ERR_IO, e,
                                "cannot open %s", path);
        }
        in->own_fd = true;
    }
    *out = in;
    return TS_OK;
}

ts_status fmt_text_in_mem(const void *p, size_t n, const char *name, fmt_text_in **out,
                          ts_error *err)
{
    *out = NULL;
    fmt_text_in *in;
    TS_TRY(in_alloc(name, &in, err));
    in->mem = p;
    in->mem_len = n;
    *out = in;
    return TS_OK;
}

void fmt_text_in_free(fmt_text_in *in)
{
    if (!in) return;
    if (in->own_fd && in->fd >= 0) close(in->fd);
    if (in->comp == FMT_COMP_GZIP && in->z_init) inflateEnd(&in->z);
    ZSTD_freeDCtx(in->zd);
    ts_buf_free(&in->line);
    ts_free(in->raw);
    ts_free(in->dec);
    ts_free(in->name);
    ts_free(in);
}

void fmt_text_in_set_max_line(fmt_text_in *in, size_t max)
{
    in->max_line = max;
    in->line.max = max + 1;
}

uint64_t fmt_text_in_lineno(const fmt_text_in *in) { return in->lineno; }
const char *fmt_text_in_name(const fmt_text_in *in) { return in->name; }

ts_status fmt_text_in_rewind(fmt_text_in *in, ts_error *err)
{
    if (in->fd < 0) {
        in->mem_pos = 0;
    } else {
        if (lseek(in->fd, 0, SEEK_SET) < 0)
            return ts_err_errno(err, TS_ERR_IO, errno, "cannot re-read %s (it must be a regular file)",
                                in->name);
    }
    if (in->comp == FMT_COMP_GZIP && in->z_init) inflateEnd(&in->z);
    in->z_init = false;
    in->detected = false;
    in->raw_eof = false;
    in->raw_pos = in->raw_len = 0;
    in->dec_pos = in->dec_len = 0;
    in->dec_eof = false;
    in->lineno = 0;
    ts_buf_clear(&in->line);
    return TS_OK;
}

ts_status fmt_text_in_peek(fmt_text_in *in, const uint8_t **p, size_t *n, ts_error *err)
{
    if (in->dec_pos >= in->dec_len && !in->dec_eof) TS_TRY(dec_fill(in, err));
    *p = in->dec + in->dec_pos;
    *n = in->dec_len - in->dec_pos;
    return TS_OK;
}

static ts_status too_long(fmt_text_in *in, ts_error *err)
{
    return ts_err_set(err, TS_ERR_LIMIT,
                      "%s:%llu: line is longer than the %zu-byte limit (is this really a text "
                      "file of this format?)",
                      in->name, (unsigned long long)(in->lineno + 1), in->max_line);
}

ts_status fmt_text_in_line(fmt_text_in *in, const char **line, size_t *len, ts_error *err)
{
    *line = NULL;
    *len = 0;
    ts_buf_clear(&in->line);
    bool partial = false, lf_seen = false;
    for (;;) {
        if (in->dec_pos >= in->dec_len) {
            if (in->dec_eof) break;
            TS_TRY(dec_fill(in, err));
            continue;
        }
        uint8_t *start = in->dec + in->dec_pos;
        size_t avail = in->dec_len - in->dec_pos;
        uint8_t *nl = memchr(start, '\n', avail);
        if (nl) {
            size_t n = (size_t)(nl - start);
            in->dec_pos += n + 1;
            in->lineno++;
            if (!partial) {
                if (n > in->max_line) {
                    in->lineno--;
                    return too_long(in, err);
                }
                *nl = 0;
                *line = (const char *)start;
                *len = n;
                return TS_OK;
            }
            if (in->line.len + n > in->max_line) {
                in->lineno--;
                return too_long(in, err);
            }
            TS_TRY(ts_buf_append(&in->line, start, n));
            lf_seen = true;
            break;
        }
        if (in->line.len + avail > in->max_line) return too_long(in, err);
        if (ts_buf_append(&in->line, start, avail) != TS_OK)
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        partial = true;
        in->dec_pos = in->dec_len;
    }
    if (!partial) return TS_OK; /* end of input */
    if (in->dec_eof && in->dec_pos >= in->dec_len && !lf_seen) in->lineno++; /* last line, no "\n" */
    TS_TRY(ts_buf_nul(&in->line));
    *line = (const char *)in->line.data;
    *len = in->line.len;
    return TS_OK;
}

/* ---- writer ---- */

/* Plain bytes are gathered into blocks of OUT_CHUNK. Synchronous writers
 * have one block; a threaded one has OUT_BLOCKS in a ring: the caller fills
 * one while a worker compresses and writes the ones before it, so neither
 * the compressor nor write(2) (nor the page cache copy behind it) stalls
 * the formatting. Memory stays OUT_BLOCKS * OUT_CHUNK. */
#define OUT_CHUNK ((size_t)1 << 20)
#define OUT_BLOCKS 4
/* Room past OUT_CHUNK for a row formatted in place (fmt_text_out_span):
 * the part past OUT_CHUNK moves to the next block. */
#define OUT_SLACK ((size_t)64 << 10)
#define COUT_CHUNK ((size_t)64 << 10)

typedef struct out_block {
    void *raw;     /* the allocation; data is it aligned for direct writes */
    uint8_t *data;
    size_t len;
    bool end; /* the last block: close the compressed stream after it */
} out_block;

struct fmt_text_out {
    ts_output *o;
    fmt_compress comp;
    z_stream z;
    bool z_init;
    ZSTD_CCtx *zc;
    uint8_t *cbuf; /* compressed output */
    out_block blocks[OUT_BLOCKS];
    size_t nblocks;
    size_t cur; /* the block the caller fills */
    bool finished, failed;

    /* threaded: blocks queued for the worker are cur - queued .. cur - 1 (mod nblocks) */
    bool threaded;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t queued;
    bool quit;         /* the caller gives up: the worker leaves at once */
    bool worker_done;  /* the worker left (after the end block, an error or quit) */
    ts_status w_st;    /* the worker's first failure */
    ts_error w_err;
};

/* Page-aligned, so a file output can write the block with O_DIRECT. */
#define BLOCK_ALIGN ((uintptr_t)4096)

static bool block_alloc(out_block *b)
{
    b->raw = ts_malloc(OUT_CHUNK + OUT_SLACK + BLOCK_ALIGN);
    if (!b->raw) return false;
    b->data = (uint8_t *)(((uintptr_t)b->raw + BLOCK_ALIGN - 1) & ~(BLOCK_ALIGN - 1));
    return true;
}

static void block_free(out_block *b)
{
    ts_free(b->raw);
    b->raw = NULL;
    b->data = NULL;
}

ts_status fmt_output_open(const char *path, ts_output **out, ts_error *err)
{
    if (strcmp(path, "-") == 0) return ts_output_fd(1, "standard output", out, err);
    return ts_output_file_atomic(path, out, err);
}

ts_status fmt_text_out_new(ts_output *o, fmt_compress comp, fmt_text_out **out, ts_error *err)
{
    *out = NULL;
    fmt_text_out *t = ts_calloc(1, sizeof *t);
    if (!t) {
        ts_output_close(o);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    t->o = o;
    t->comp = comp;
    t->nblocks = 1;
    t->cbuf = comp != FMT_COMP_NONE ? ts_malloc(COUT_CHUNK) : NULL;
    if (!block_alloc(&t->blocks[0]) || (comp != FMT_COMP_NONE && !t->cbuf)) {
        fmt_text_out_free(t);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    if (comp == FMT_COMP_GZIP) {
        if (deflateInit2(&t->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            fmt_text_out_free(t);
            return ts_err_set(err, TS_ERR_NOMEM, "cannot start the gzip encoder");
        }
        t->z_init = true;
    } else if (comp == FMT_COMP_ZSTD) {
        t->zc = ZSTD_createCCtx();
        if (!t->zc) {
            fmt_text_out_free(t);
            return ts_err_set(err, TS_ERR_NOMEM, "cannot start the zstd encoder");
        }
        ZSTD_CCtx_setParameter(t->zc, ZSTD_c_compressionLevel, 3);
        ZSTD_CCtx_setParameter(t->zc, ZSTD_c_checksumFlag, 1);
    }
    *out = t;
    return TS_OK;
}

/* Compresses (or passes) p[0..n) to the output; `end` closes the stream. */
static ts_status out_flush(fmt_text_out *t, const uint8_t *p, size_t n, bool end, ts_error *err)
{
    if (t->comp == FMT_COMP_NONE) return n ? ts_output_write(t->o, p, n, err) : TS_OK;
    if (t->comp == FMT_COMP_GZIP) {
        t->z.next_in = (Bytef *)p;
        t->z.avail_in = (uInt)n;
        for (;;) {
            t->z.next_out = t->cbuf;
            t->z.avail_out = (uInt)COUT_CHUNK;
            int zr = deflate(&t->z, end ? Z_FINISH : Z_NO_FLUSH);
            if (zr == Z_STREAM_ERROR) return ts_err_set(err, TS_ERR_INTERNAL, "gzip encoder failed");
            size_t k = COUT_CHUNK - t->z.avail_out;
            if (k) TS_TRY(ts_output_write(t->o, t->cbuf, k, err));
            if (end ? zr == Z_STREAM_END : (t->z.avail_in == 0 && t->z.avail_out != 0)) break;
        }
        return TS_OK;
    }
    ZSTD_inBuffer ib = {p, n, 0};
    for (;;) {
        ZSTD_outBuffer ob = {t->cbuf, COUT_CHUNK, 0};
        size_t left = ZSTD_compressStream2(t->zc, &ob, &ib, end ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(left))
            return ts_err_set(err, TS_ERR_INTERNAL, "zstd encoder failed: %s", ZSTD_getErrorName(left));
        if (ob.pos) TS_TRY(ts_output_write(t->o, t->cbuf, ob.pos, err));
        if (end ? left == 0 : ib.pos == ib.size) break;
    }
    return TS_OK;
}

static void *worker_main(void *arg)
{
    fmt_text_out *t = arg;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (!t->queued && !t->quit) pthread_cond_wait(&t->cv, &t->mu);
        if (t->quit) break;
        out_block *b = &t->blocks[(t->cur + t->nblocks - t->queued) % t->nblocks];
        pthread_mutex_unlock(&t->mu);
        /* the caller touches neither the block nor the compressor meanwhile */
        ts_error e;
        ts_err_clear(&e);
        ts_status st = out_flush(t, b->data, b->len, b->end, &e);
        bool end = b->end;
        b->len = 0;
        b->end = false;
        pthread_mutex_lock(&t->mu);
        t->queued--;
        if (st != TS_OK) {
            t->w_st = st;
            t->w_err = e;
        }
        pthread_cond_broadcast(&t->cv);
        if (st != TS_OK || end) break;
    }
    t->worker_done = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

static void free_extra_blocks(fmt_text_out *t)
{
    for (size_t i = 1; i < OUT_BLOCKS; i++) {
        block_free(&t->blocks[i]);
    }
}

ts_status fmt_text_out_start_thread(fmt_text_out *t, ts_error *err)
{
    if (t->threaded || t->blocks[0].len) return TS_OK; /* only before the first byte */
    for (size_t i = 1; i < OUT_BLOCKS; i++) {
        if (!block_alloc(&t->blocks[i])) {
            free_extra_blocks(t);
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
    }
    if (pthread_mutex_init(&t->mu, NULL) != 0) goto single;
    if (pthread_cond_init(&t->cv, NULL) != 0) {
        pthread_mutex_destroy(&t->mu);
        goto single;
    }
    /* signals stay with the caller's thread, whose handler asks for cancel */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int cr = pthread_create(&t->th, NULL, worker_main, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (cr != 0) {
        pthread_cond_destroy(&t->cv);
        pthread_mutex_destroy(&t->mu);
        goto single;
    }
    t->nblocks = OUT_BLOCKS;
    t->threaded = true;
    return TS_OK;
single: /* no thread to be had: writing on the caller's thread is the same output */
    free_extra_blocks(t);
    return TS_OK;
}

/* Hands the filled block to the worker (or writes it) and moves to the next. */
static ts_status push_block(fmt_text_out *t, bool end, ts_error *err)
{
    out_block *b = &t->blocks[t->cur];
    b->end = end;
    if (!t->threaded) {
        ts_status st = out_flush(t, b->data, b->len, end, err);
        b->len = 0;
        b->end = false;
        return st;
    }
    pthread_mutex_lock(&t->mu);
    t->queued++;
    t->cur = (t->cur + 1) % t->nblocks;
    pthread_cond_broadcast(&t->cv);
    /* the next block must be free: wait while all the others are queued */
    while (t->queued == t->nblocks && !t->worker_done) pthread_cond_wait(&t->cv, &t->mu);
    ts_status st = t->w_st;
    if (st != TS_OK) *err = t->w_err;
    pthread_mutex_unlock(&t->mu);
    return st;
}

static void stop_worker(fmt_text_out *t, bool quit)
{
    if (!t->threaded) return;
    pthread_mutex_lock(&t->mu);
    if (quit) t->quit = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->th, NULL);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    t->threaded = false;
}

ts_status fmt_text_out_write(fmt_text_out *t, const void *p, size_t n, ts_error *err)
{
    if (t->failed) return ts_err_set(err, TS_ERR_IO, "output %s failed earlier", t->o->name);
    const uint8_t *s = p;
    out_block *b = &t->blocks[t->cur];
    if (!t->threaded && t->comp == FMT_COMP_NONE && b->len == 0 && n >= OUT_CHUNK) {
        /* a writer's own large chunk goes out as it is, without a copy */
        ts_status st = ts_output_write(t->o, s, n, err);
        if (st != TS_OK) t->failed = true;
        return st;
    }
    while (n) {
        size_t room = OUT_CHUNK - b->len;
        size_t k = n < room ? n : room;
        memcpy(b->data + b->len, s, k);
        b->len += k;
        s += k;
        n -= k;
        if (b->len == OUT_CHUNK) {
            ts_status st = push_block(t, false, err);
            if (st != TS_OK) {
                t->failed = true;
                return st;
            }
            b = &t->blocks[t->cur];
        }
    }
    return TS_OK;
}

uint8_t *fmt_text_out_span(fmt_text_out *t, size_t *room)
{
    out_block *b = &t->blocks[t->cur];
    if (t->failed || t->finished) {
        *room = 0;
        return NULL;
    }
    *room = OUT_CHUNK + OUT_SLACK - b->len; /* > OUT_SLACK: len < OUT_CHUNK between calls */
    return b->data + b->len;
}

ts_status fmt_text_out_commit(fmt_text_out *t, size_t n, ts_error *err)
{
    out_block *b = &t->blocks[t->cur];
    b->len += n;
    if (b->len < OUT_CHUNK) return TS_OK;
    /* Whole blocks go out (direct writes want them aligned); the overhang
     * starts the next one. The worker reads only the first OUT_CHUNK bytes
     * of the block it was handed, so the overhang can be read meanwhile. */
    size_t tail = b->len - OUT_CHUNK;
    b->len = OUT_CHUNK;
    ts_status st = push_block(t, false, err);
    if (st != TS_OK) {
        t->failed = true;
        return st;
    }
    out_block *nb = &t->blocks[t->cur];
    memmove(nb->data, b->data + OUT_CHUNK, tail);
    nb->len = tail;
    return TS_OK;
}

ts_status fmt_text_out_record(fmt_text_out *t, ts_buf *spill, fmt_record_fn fn, void *ctx, ts_error *err)
{
    /* A view of the span with a hard cap of its room: a record that does
     * not fit fails with TS_ERR_LIMIT (no message) before it has any effect,
     * and is written again into spill. */
    size_t room;
    uint8_t *span = fmt_text_out_span(t, &room);
    if (span) {
        ts_buf v = {span, 0, room, room};
        ts_status st = fn(ctx, &v, err);
        if (st == TS_OK) return v.len ? fmt_text_out_commit(t, v.len, err) : TS_OK;
        if (st != TS_ERR_LIMIT) return st;
    }
    ts_buf_clear(spill);
    ts_status st = fn(ctx, spill, err);
    if (st == TS_OK && spill->len) st = fmt_text_out_write(t, spill->data, spill->len, err);
    ts_buf_clear(spill);
    return st;
}

ts_status fmt_text_out_finish(fmt_text_out *t, ts_error *err)
{
    if (t->failed) return ts_err_set(err, TS_ERR_IO, "output %s failed earlier", t->o->name);
    ts_status st = push_block(t, true, err);
    if (t->threaded) {
        stop_worker(t, false); /* it leaves after the end block */
        if (st == TS_OK && t->w_st != TS_OK) {
            st = t->w_st;
            *err = t->w_err;
        }
    }
    if (st == TS_OK) st = ts_output_commit(t->o, err);
    if (st != TS_OK) {
        t->failed = true;
        return st;
    }
    t->finished = true;
    return TS_OK;
}

void fmt_text_out_free(fmt_text_out *t)
{
    if (!t) return;
    stop_worker(t, true);
    if (t->o) {
        if (!t->finished) ts_output_abort(t->o);
        ts_output_close(t->o);
    }
    if (t->z_init) deflateEnd(&t->z);
    ZSTD_freeCCtx(t->zc);
    for (size_t i = 0; i < OUT_BLOCKS; i++) block_free(&t->blocks[i]);
    ts_free(t->cbuf);
    ts_free(t);
}
