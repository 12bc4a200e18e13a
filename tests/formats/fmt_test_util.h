/* Shared by the format tests: run text in one format through a source and
 * a sink entirely in memory, and report the output, status and counts. */
#ifndef FMT_TEST_UTIL_H
#define FMT_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ts_alloc.h"
#include "core/ts_pipe.h"
#include "formats/fmt.h"

typedef struct conv_result {
    ts_status st;
    ts_error err;
    char msg[TS_ERR_MSG_MAX + TS_ERR_CTX_MAX + 8];
    char *out; /* malloc'd, NUL-terminated; NULL on failure */
    size_t out_len;
    fmt_counts in, sink;
} conv_result;

static inline ts_status conv_open_source(fmt_kind k, fmt_text_in *in, const fmt_read_opts *ro,
                                         ts_source **src, ts_error *err)
{
    switch (k) {
    case FMT_LP: return lp_source_new(in, ro, src, err);
    case FMT_CSV: return csv_source_new(in, ro, src, err);
    case FMT_JSONL: return jsonl_source_new(in, ro, src, err);
    default: fmt_text_in_free(in); return TS_ERR_INTERNAL;
    }
}

static inline ts_status conv_open_sink(fmt_kind k, fmt_text_out *t, const fmt_write_opts *wo,
                                       ts_sink **dst, ts_error *err)
{
    switch (k) {
    case FMT_LP: return lp_sink_new(t, wo, dst, err);
    case FMT_CSV: return csv_sink_new(t, wo, dst, err);
    case FMT_JSONL: return jsonl_sink_new(t, wo, dst, err);
    default: fmt_text_out_free(t); return TS_ERR_INTERNAL;
    }
}

/* Converts `text` (format a) to format b. name is the input's name for messages. */
static inline conv_result conv(fmt_kind a, const char *name, const char *text, const fmt_read_opts *ro,
                               fmt_kind b, const fmt_write_opts *wo)
{
    conv_result r;
    memset(&r, 0, sizeof r);
    ts_err_clear(&r.err);
    fmt_read_opts dro;
    fmt_read_opts_init(&dro);
    if (!ro) ro = &dro;
    fmt_text_in *in = NULL;
    ts_source *src = NULL;
    ts_sink *dst = NULL;
    ts_output *mem = NULL;
    fmt_text_out *t = NULL;
    r.st = fmt_text_in_mem(text, strlen(text), name, &in, &r.err);
    if (r.st == TS_OK) r.st = conv_open_source(a, in, ro, &src, &r.err);
    if (r.st == TS_OK) r.st = ts_output_mem(&mem, &r.err);
    if (r.st == TS_OK) r.st = fmt_text_out_new(mem, FMT_COMP_NONE, &t, &r.err);
    if (r.st == TS_OK) r.st = conv_open_sink(b, t, wo, &dst, &r.err);
    if (r.st == TS_OK) r.st = ts_pump(src, dst, NULL, NULL, NULL, NULL, &r.err);
    if (src) {
        const fmt_counts *c = fmt_source_counts(src);
        if (c) r.in = *c;
    }
    if (dst) {
        const fmt_counts *c = fmt_sink_counts(dst);
        if (c) r.sink = *c;
    }
    if (r.st == TS_OK) {
        size_t n;
        const uint8_t *d = ts_output_mem_data(mem, &n);
        r.out = malloc(n + 1);
        memcpy(r.out, d, n);
        r.out[n] = 0;
        r.out_len = n;
    } else {
        ts_err_format(&r.err, r.msg, sizeof r.msg);
    }
    ts_sink_close(dst);
    ts_source_close(src);
    return r;
}

static inline void conv_free(conv_result *r)
{
    free(r->out);
    r->out = NULL;
}

/* Fails the test printing both sides when the output differs. */
#define assert_conv_out(r, expected)                                                        \
    do {                                                                                    \
        if ((r).st != TS_OK) fprintf(stderr, "conversion failed: %s\n", (r).msg);           \
        assert_int_equal((r).st, TS_OK);                                                    \
        if (strcmp((r).out, (expected)) != 0)                                               \
            fprintf(stderr, "--- expected ---\n%s--- got ---\n%s---\n", (expected), (r).out); \
        assert_string_equal((r).out, (expected));                                           \
    } while (0)

#define assert_conv_fails(r, code, needle)                                                  \
    do {                                                                                    \
        if ((r).st != (code) || !strstr((r).msg, (needle)))                                 \
            fprintf(stderr, "expected status %d with \"%s\", got %d: %s\n", (int)(code),    \
                    (needle), (int)(r).st, (r).msg);                                        \
        assert_int_equal((r).st, (code));                                                   \
        assert_non_null(strstr((r).msg, (needle)));                                         \
    } while (0)

#endif
