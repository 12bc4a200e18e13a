/* Sources yield column batches, sinks consume them; export, restore and
 * convert are choices of one of each joined by ts_pump(). */
#ifndef TS_PIPE_H
#define TS_PIPE_H

#include <signal.h>
#include <stdint.h>

#include "ts_batch.h"
#include "ts_error.h"

typedef struct ts_source ts_source;
typedef struct ts_sink ts_sink;

typedef struct ts_source_ops {
    const char *kind; /* "parquet", "lp", "timestream", ... */
    /* Next batch, owned by the source and valid until the next call; *out =
     * NULL at the end. Consecutive batches may change table and schema. */
    ts_status (*next)(ts_source *s, const ts_batch **out, ts_error *err);
    void (*close)(ts_source *s);
} ts_source_ops;

struct ts_source {
    const ts_source_ops *ops;
};

typedef struct ts_sink_ops {
    const char *kind;
    ts_status (*write)(ts_sink *s, const ts_batch *b, ts_error *err);
    /* Flushes and commits (atomic rename, multipart complete). */
    ts_status (*finish)(ts_sink *s, ts_error *err);
    /* Frees; discards uncommitted output when finish did not succeed. */
    void (*close)(ts_sink *s);
} ts_sink_ops;

struct ts_sink {
    const ts_sink_ops *ops;
};

static inline ts_status ts_source_next(ts_source *s, const ts_batch **out, ts_error *err)
{
    return s->ops->next(s, out, err);
}
static inline void ts_source_close(ts_source *s)
{
    if (s) s->ops->close(s);
}
static inline ts_status ts_sink_write(ts_sink *s, const ts_batch *b, ts_error *err)
{
    return s->ops->write(s, b, err);
}
static inline ts_status ts_sink_finish(ts_sink *s, ts_error *err) { return s->ops->finish(s, err); }
static inline void ts_sink_close(ts_sink *s)
{
    if (s) s->ops->close(s);
}

typedef struct ts_pump_stats {
    uint64_t rows;
    uint64_t batches;
} ts_pump_stats;

/* Called after each batch (progress display); may be NULL. */
typedef void (*ts_progress_fn)(void *user, const ts_pump_stats *st);

/* Moves every batch from src to dst, then finishes dst. Stops with
 * TS_ERR_CANCELLED when *cancel becomes non-zero (cancel may be NULL). */
ts_status ts_pump(ts_source *src, ts_sink *dst, volatile sig_atomic_t *cancel,
                  ts_progress_fn progress, void *user, ts_pump_stats *stats, ts_error *err);

/* ts_pump with the source running on a second thread (ts_pipe_thread.c):
 * it reads ahead while dst writes, through a queue of two batch copies, so
 * memory stays bounded and dst sees exactly the batches, in the order,
 * ts_pump would give it. dst, progress and finish run on the calling
 * thread; src must not be used elsewhere meanwhile. Errors come out as from
 * ts_pump: batches read before a source error are written, then that error
 * is returned; a sink error stops the reader. Falls back to ts_pump when no
 * thread can be created. */
ts_status ts_pump_threaded(ts_source *src, ts_sink *dst, volatile sig_atomic_t *cancel,
                           ts_progress_fn progress, void *user, ts_pump_stats *stats,
                           ts_error *err);

#endif
