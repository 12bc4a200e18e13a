/* Shared by fuzz_lp/csv/jsonl: read the input with one text source (options
 * picked by the first byte) and write every batch through all three text
 * sinks into memory, so readers and writers both meet hostile data. */
#ifndef FUZZ_COMMON_FMT_H
#define FUZZ_COMMON_FMT_H

#include <stdint.h>
#include <string.h>

#include "core/ts_pipe.h"
#include "formats/fmt.h"

#define FUZZ_MAX_INPUT ((size_t)1 << 20)

typedef ts_status (*fuzz_open_fn)(fmt_text_in *in, const fmt_read_opts *o, ts_source **out, ts_error *err);

static inline void fuzz_text_format(const uint8_t *data, size_t size, fuzz_open_fn open_src)
{
    if (size < 1 || size > FUZZ_MAX_INPUT) return;
    uint8_t flags = data[0];
    data++;
    size--;
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    ro.skip_bad_lines = flags & 1;
    ro.batch_rows = (flags & 2) ? 3 : 64; /* small batches: fast iterations */
    ro.infer_rows = (flags & 4) ? 2 : 0;
    ro.precision = (flags >> 3) & 3;
    ro.time_format = (flags & 32) ? FMT_TIME_EPOCH_MS : FMT_TIME_AUTO;
    ro.has_default_time = flags & 64;
    ro.table_key = (flags & 128) ? "t" : NULL;
    ts_error err;
    ts_err_clear(&err);
    fmt_text_in *in;
    if (fmt_text_in_mem(data, size, "fuzz", &in, &err) != TS_OK) return;
    fmt_text_in_set_max_line(in, 4096);
    ts_source *src;
    if (open_src(in, &ro, &src, &err) != TS_OK) return;
    ts_sink *sinks[3] = {0};
    for (int k = 0; k < 3; k++) {
        ts_output *mem;
        fmt_text_out *t;
        if (ts_output_mem(&mem, &err) != TS_OK) break;
        if (fmt_text_out_new(mem, k == 1 ? FMT_COMP_GZIP : FMT_COMP_NONE, &t, &err) != TS_OK) break;
        fmt_write_opts wo = {.skip_bad_rows = true};
        ts_status st = k == 0 ? lp_sink_new(t, &wo, &sinks[k], &err)
                       : k == 1 ? csv_sink_new(t, &wo, &sinks[k], &err)
                                : jsonl_sink_new(t, &wo, &sinks[k], &err);
        if (st != TS_OK) break;
    }
    for (;;) {
        const ts_batch *b;
        ts_err_clear(&err);
        if (ts_source_next(src, &b, &err) != TS_OK || !b) break;
        /* invariants every batch must hold */
        if (b->nrows > b->capacity) __builtin_trap();
        for (int k = 0; k < 3; k++) {
            ts_err_clear(&err);
            if (sinks[k] && ts_sink_write(sinks[k], b, &err) != TS_OK) {
                ts_sink_close(sinks[k]);
                sinks[k] = NULL;
            }
        }
    }
    for (int k = 0; k < 3; k++) {
        if (!sinks[k]) continue;
        ts_err_clear(&err);
        ts_sink_finish(sinks[k], &err);
        ts_sink_close(sinks[k]);
    }
    ts_source_close(src);
}

#endif
