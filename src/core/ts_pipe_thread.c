/* ts_pump with the source on its own thread: it reads and decodes the
 * next batches while the calling thread writes the previous ones, through a
 * bounded queue of batch copies (memory stays bounded; order is kept). */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "ts_alloc.h"
#include "ts_pipe.h"

/* Queue depth: one batch being written, one ready, one being filled. */
#define PT_SLOTS 2

typedef struct pt_slot {
    ts_batch b;
    char *bytes; /* the string bytes of b, reused from batch to batch */
    size_t bytes_cap;
    bool inited;
    const ts_schema *schema; /* the interned copy b was built for */
} pt_slot;

/* Copies of every schema and table name seen, alive for the whole pump, so
 * a sink that caches by pointer (or keeps a table pointer) stays right. */
typedef struct pt_intern {
    ts_schema **schemas;
    size_t nschemas;
    char **tables;
    size_t ntables;
} pt_intern;

typedef struct pt_state {
    ts_source *src;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pt_slot slots[PT_SLOTS];
    size_t head, count; /* filled slots, FIFO from head */
    bool stop;          /* the writer gave up: the reader quits */
    bool done;          /* the reader finished (end of input, cancel or error) */
    ts_status src_status;
    ts_error src_err;
    pt_intern intern; /* used by the reader thread only until it is joined */
} pt_state;

static void intern_free(pt_intern *in)
{
    for (size_t i = 0; i < in->nschemas; i++) {
        ts_schema_free(in->schemas[i]);
        ts_free(in->schemas[i]);
    }
    for (size_t i = 0; i < in->ntables; i++) ts_free(in->tables[i]);
    ts_free(in->schemas);
    ts_free(in->tables);
}

static const ts_schema *intern_schema(pt_intern *in, const ts_schema *s)
{
    /* newest first: consecutive batches nearly always share one */
    for (size_t i = in->nschemas; i-- > 0;)
        if (ts_schema_equal(in->schemas[i], s)) return in->schemas[i];
    ts_schema **ns = ts_realloc(in->schemas, (in->nschemas + 1) * sizeof *ns);
    if (!ns) return NULL;
    in->schemas = ns;
    ts_schema *c = ts_calloc(1, sizeof *c);
    if (!c) return NULL;
    ts_schema_init(c);
    if (ts_schema_copy(c, s) != TS_OK) {
        ts_schema_free(c);
        ts_free(c);
        return NULL;
    }
    in->schemas[in->nschemas++] = c;
    return c;
}

static bool intern_table(pt_intern *in, const char *t, const char **out)
{
    *out = NULL;
    if (!t) return true;
    for (size_t i = in->ntables; i-- > 0;)
        if (strcmp(in->tables[i], t) == 0) {
            *out = in->tables[i];
            return true;
        }
    char **nt = ts_realloc(in->tables, (in->ntables + 1) * sizeof *nt);
    if (!nt) return false;
    in->tables = nt;
    char *c = ts_strdup(t);
    if (!c) return false;
    in->tables[in->ntables++] = c;
    *out = c;
    return true;
}

/* Deep copy of src into the slot: values, validity, and string bytes (the
 * source's strings live only until its next call). */
static ts_status copy_batch(pt_intern *in, pt_slot *sl, const ts_batch *src, ts_error *err)
{
    const ts_schema *sc = intern_schema(in, src->schema);
    const char *table;
    if (!sc || !intern_table(in, src->table, &table)) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (!sl->inited || sl->schema != sc || sl->b.capacity < src->nrows) {
        if (sl->inited) ts_batch_free(&sl->b);
        sl->inited = false;
        size_t cap = src->capacity > src->nrows ? src->capacity : src->nrows;
        if (ts_batch_init(&sl->b, sc, cap) != TS_OK) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        sl->inited = true;
        sl->schema = sc;
    }
    ts_batch *d = &sl->b;
    ts_batch_reset(d);
    d->table = table;
    size_t n = src->nrows;
    for (size_t c = 0; c < sc->ncols; c++) {
        const ts_column *s = &src->cols[c];
        ts_column *t = &d->cols[c];
        memcpy(t->validity, s->validity, (n + 7) / 8);
        t->null_count = s->null_count;
        switch (sc->fields[c].type) {
        case TS_TYPE_TIMESTAMP:
        case TS_TYPE_INT64: memcpy(t->v.i64, s->v.i64, n * sizeof *t->v.i64); break;
        case TS_TYPE_DOUBLE: memcpy(t->v.f64, s->v.f64, n * sizeof *t->v.f64); break;
        case TS_TYPE_BOOL: memcpy(t->v.b8, s->v.b8, n * sizeof *t->v.b8); break;
        case TS_TYPE_STRING: break;
        }
    }
    /* String bytes go to one buffer owned by the slot (not the batch arena,
     * whose chunks would be freed and faulted in again every batch). */
    size_t total = 0;
    for (size_t c = 0; c < sc->ncols; c++)
        if (sc->fields[c].type == TS_TYPE_STRING)
            for (size_t r = 0; r < n; r++)
                if (ts_batch_valid(src, c, r)) total += src->cols[c].v.str[r].len;
    if (total > sl->bytes_cap) {
        size_t cap = total + total / 4 + 4096;
        char *nb = ts_realloc(sl->bytes, cap);
        if (!nb) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        sl->bytes = nb;
        sl->bytes_cap = cap;
    }
    size_t used = 0;
    for (size_t c = 0; c < sc->ncols; c++) {
        if (sc->fields[c].type != TS_TYPE_STRING) continue;
        const ts_str *sv = src->cols[c].v.str;
        ts_str *tv = d->cols[c].v.str;
        /* dictionary-decoded columns repeat the same pointer: copy it once */
        const char *last_src = NULL, *last_dst = "";
        size_t last_len = 0;
        for (size_t r = 0; r < n; r++) {
            if (!ts_batch_valid(src, c, r) || sv[r].len == 0) {
                tv[r] = (ts_str){"", 0};
                continue;
            }
            if (sv[r].ptr != last_src || sv[r].len != last_len) {
                last_dst = sl->bytes + used;
                memcpy(sl->bytes + used, sv[r].ptr, sv[r].len);
                used += sv[r].len;
                last_src = sv[r].ptr;
                last_len = sv[r].len;
            }
            tv[r] = (ts_str){last_dst, sv[r].len};
        }
    }
    d->nrows = n;
    return TS_OK;
}

static void *reader_main(void *arg)
{
    pt_state *st = arg;
    ts_status rc = TS_OK;
    ts_error err;
    ts_err_clear(&err);
    size_t tail = 0; /* next slot to fill */
    for (;;) {
        const ts_batch *b = NULL;
        rc = ts_source_next(st->src, &b, &err);
        if (rc != TS_OK || !b) break;
        if (b->nrows == 0) continue;
        pthread_mutex_lock(&st->mu);
        while (st->count == PT_SLOTS && !st->stop) pthread_cond_wait(&st->cv, &st->mu);
        bool stop = st->stop;
        pthread_mutex_unlock(&st->mu);
        if (stop) break;
        /* the slot at tail is free (count < PT_SLOTS) and only this thread touches it now */
        rc = copy_batch(&st->intern, &st->slots[tail], b, &err);
        if (rc != TS_OK) break;
        tail = (tail + 1) % PT_SLOTS;
        pthread_mutex_lock(&st->mu);
        st->count++;
        pthread_cond_broadcast(&st->cv);
        pthread_mutex_unlock(&st->mu);
    }
    pthread_mutex_lock(&st->mu);
    st->done = true;
    st->src_status = rc;
    st->src_err = err;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

ts_status ts_pump_threaded(ts_source *src, ts_sink *dst, volatile sig_atomic_t *cancel,
                           ts_progress_fn progress, void *user, ts_pump_stats *stats, ts_error *err)
{
    ts_pump_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    pt_state *st = ts_calloc(1, sizeof *st);
    if (!st) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    st->src = src;
    ts_err_clear(&st->src_err);
    if (pthread_mutex_init(&st->mu, NULL) != 0) {
        ts_free(st);
        return ts_err_set(err, TS_ERR_INTERNAL, "cannot create a mutex");
    }
    if (pthread_cond_init(&st->cv, NULL) != 0) {
        pthread_mutex_destroy(&st->mu);
        ts_free(st);
        return ts_err_set(err, TS_ERR_INTERNAL, "cannot create a condition variable");
    }
    /* Signals go to the calling thread (whose handler sets *cancel, which
     * only this thread reads): the reader starts with all of them blocked. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t th;
    int cr = pthread_create(&th, NULL, reader_main, st);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (cr != 0) {
        /* no second thread to be had: the plain loop does the same work */
        pthread_cond_destroy(&st->cv);
        pthread_mutex_destroy(&st->mu);
        ts_free(st);
        return ts_pump(src, dst, cancel, progress, user, stats, err);
    }
    ts_status rc = TS_OK;
    size_t head = 0;
    for (;;) {
        if (cancel && *cancel) {
            rc = TS_ERR_CANCELLED;
            break;
        }
        pthread_mutex_lock(&st->mu);
        while (st->count == 0 && !st->done && !(cancel && *cancel)) {
            /* wake now and then to notice an interrupt during a slow read */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 100 * 1000 * 1000;
            if (until.tv_nsec >= 1000000000) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&st->cv, &st->mu, &until);
        }
        bool have = st->count > 0;
        pthread_mutex_unlock(&st->mu);
        if (cancel && *cancel) {
            rc = TS_ERR_CANCELLED;
            break;
        }
        /* batches read before a source error are written first, as ts_pump would */
        if (!have) break;
        const ts_batch *b = &st->slots[head].b;
        rc = ts_sink_write(dst, b, err);
        if (rc != TS_OK) break;
        stats->rows += b->nrows;
        stats->batches++;
        head = (head + 1) % PT_SLOTS;
        pthread_mutex_lock(&st->mu);
        st->count--;
        pthread_cond_broadcast(&st->cv);
        pthread_mutex_unlock(&st->mu);
        if (progress) progress(user, stats);
    }
    pthread_mutex_lock(&st->mu);
    st->stop = true;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    pthread_join(th, NULL);
    if (rc == TS_OK && st->src_status != TS_OK) {
        *err = st->src_err;
        rc = st->src_status;
    }
    if (rc == TS_ERR_CANCELLED && !err->msg[0])
        ts_err_set(err, TS_ERR_CANCELLED, "interrupted after %llu rows", (unsigned long long)stats->rows);
    if (rc == TS_OK) rc = ts_sink_finish(dst, err);
    for (size_t i = 0; i < PT_SLOTS; i++)
    {
        if (st->slots[i].inited) ts_batch_free(&st->slots[i].b);
        ts_free(st->slots[i].bytes);
    }
    intern_free(&st->intern);
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->mu);
    ts_free(st);
    return rc;
}
