/* The pipeline loop shared by export, restore and convert. */
#include "ts_pipe.h"

#include <string.h>

ts_status ts_pump(ts_source *src, ts_sink *dst, volatile sig_atomic_t *cancel,
                  ts_progress_fn progress, void *user, ts_pump_stats *stats, ts_error *err)
{
    ts_pump_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    for (;;) {
        if (cancel && *cancel)
            return ts_err_set(err, TS_ERR_CANCELLED, "interrupted after %llu rows",
                              (unsigned long long)stats->rows);
        const ts_batch *b = NULL;
        TS_TRY(ts_source_next(src, &b, err));
        if (!b) break;
        if (b->nrows == 0) continue;
        TS_TRY(ts_sink_write(dst, b, err));
        stats->rows += b->nrows;
        stats->batches++;
        if (progress) progress(user, stats);
    }
    return ts_sink_finish(dst, err);
}
