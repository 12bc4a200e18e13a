/* The concurrent InfluxDB writer: the producer fills one open batch at a
 * time; full batches go through a bounded queue to N worker threads, each
 * with its own keep-alive HTTP client, which gzip, post, retry (honouring
 * Retry-After), split on 413 and isolate rejected lines by bisection so every
 * refused point is reported with the archive row behind it. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/ts_alloc.h"
#include "core/ts_time.h"
#include "influx/influx.h"
#include "net/http.h"
#include "net/retry.h"

#define MAX_REJECTIONS_KEPT 1000
#define REJECT_LINE_MAX 512

struct influx_writer {
    const influx_target *t;
    influx_writer_opts o;
    char *url;
    char *auth; /* "" when none */

    pthread_t *threads;
    size_t nthreads;
    pthread_mutex_t mu;
    pthread_cond_t cv_work; /* queue got a batch, or stop */
    pthread_cond_t cv_done; /* a batch finished, or queue has room */

    influx_batch **queue; /* ring of full batches waiting for a worker */
    size_t qcap, qhead, qlen;
    influx_batch **pool;  /* empty batches for reuse */
    size_t npool, pool_cap;
    size_t inflight;

    influx_batch *open;   /* producer only */
    int64_t next_seq;

    uint8_t *done;        /* ring: done[seq % ring] for seq >= low */
    size_t ring;
    int64_t low;          /* every seq < low is finished */

    bool stop, failed;
    ts_error fatal;

    influx_writer_stats st;
    influx_rejection *rej;
    size_t nrej;
};

/* ---- helpers ---- */

static void sleep_ms(int64_t ms, volatile sig_atomic_t *cancel)
{
    while (ms > 0) {
        if (cancel && *cancel) return;
        int64_t step = ms > 100 ? 100 : ms;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(step * 1000000)};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

static void fail_locked(influx_writer *w, const ts_error *e)
{
    if (!w->failed) {
        w->failed = true;
        w->fatal = *e;
    }
    pthread_cond_broadcast(&w->cv_done);
    pthread_cond_broadcast(&w->cv_work);
}

static bool is_failed(influx_writer *w)
{
    pthread_mutex_lock(&w->mu);
    bool f = w->failed;
    pthread_mutex_unlock(&w->mu);
    return f;
}

bool influx_rejection_keep(influx_rejection *r, influx_rowref ref, const char *line, size_t len,
                           const char *reason)
{
    r->ref = ref;
    r->line = ts_strndup(line, len < REJECT_LINE_MAX ? len : REJECT_LINE_MAX);
    r->reason = ts_strdup(reason);
    if (r->line && r->reason) return true;
    ts_free(r->line);
    ts_free(r->reason);
    r->line = r->reason = NULL;
    return false;
}

void influx_rejections_free(influx_rejection *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        ts_free(v[i].line);
        ts_free(v[i].reason);
    }
    ts_free(v);
}

static void record_rejection(influx_writer *w, const influx_batch *b, size_t i, const char *reason)
{
    size_t len;
    const char *l = influx_batch_line(b, i, &len);
    pthread_mutex_lock(&w->mu);
    w->st.rejected++;
    if (w->nrej < MAX_REJECTIONS_KEPT) {
        if (influx_rejection_keep(&w->rej[w->nrej], b->refs[i], l, len, reason)) w->nrej++;
    }
    pthread_mutex_unlock(&w->mu);
}

static void count_accepted(influx_writer *w, size_t n)
{
    pthread_mutex_lock(&w->mu);
    w->st.accepted += n;
    pthread_mutex_unlock(&w->mu);
}

/* ---- one request with retries ---- */

typedef struct worker {
    influx_writer *w;
    http_client *http;
    ts_buf gz;
    retry_policy rp;
} worker;

/* Posts b until it is done, rejected, split or fatal. On REJECTED, *info
 * holds the parsed body. Network and HTTP retries happen here. */
static ts_status post(worker *k, const influx_batch *b, influx_action *act, influx_resp_info *info,
                      ts_error *err)
{
    influx_writer *w = k->w;
    const uint8_t *body = b->body.data;
    size_t body_len = b->body.len;
    http_header hdr[4];
    size_t nh = 0;
    hdr[nh++] = (http_header){"Content-Type", "text/plain; charset=utf-8"};
    hdr[nh++] = (http_header){"Accept", "application/json"};
    if (w->auth[0]) hdr[nh++] = (http_header){"Authorization", w->auth};
    if (w->o.gzip_level > 0) {
        TS_TRY(influx_gzip(b->body.data, b->body.len, w->o.gzip_level, &k->gz, err));
        body = k->gz.data;
        body_len = k->gz.len;
        hdr[nh++] = (http_header){"Content-Encoding", "gzip"};
    }
    http_request req = {.method = "POST",
                        .url = w->url,
                        .headers = hdr,
                        .nheaders = nh,
                        .body = body,
                        .body_len = body_len,
                        .timeout_ms = w->o.timeout_ms};
    for (int attempt = 1;; attempt++) {
        if (w->o.cancel && *w->o.cancel)
            return ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
        if (is_failed(w)) return ts_err_set(err, TS_ERR_CANCELLED, "stopped after another error");
        http_response resp;
        ts_error herr;
        ts_err_clear(&herr);
        ts_status st = http_send(k->http, &req, &resp, &herr);
        pthread_mutex_lock(&w->mu);
        w->st.requests++;
        w->st.bytes_sent += body_len;
        if (attempt > 1) w->st.retries++;
        pthread_mutex_unlock(&w->mu);
        char retry_after[64] = "";
        int status = 0;
        if (st == TS_OK) {
            status = (int)resp.status;
            const char *ra = http_response_header(&resp, "Retry-After");
            if (ra) snprintf(retry_after, sizeof retry_after, "%s", ra);
            influx_resp_parse(status, (const char *)resp.body.data, resp.body.len, info);
        } else if (st == TS_ERR_NETWORK && resp.net_transient) {
            memset(info, 0, sizeof *info);
            info->dropped = -1;
            snprintf(info->message, sizeof info->message, "%s", herr.msg);
        } else {
            http_response_free(&resp);
            *err = herr;
            ts_err_context(err, "POST %s", w->url);
            return st;
        }
        http_response_free(&resp);
        *act = influx_classify(status, info);
        if (*act != INFLUX_ACT_RETRY) return TS_OK;
        if (attempt >= w->o.max_attempts)
            return ts_err_set(err, status == 0 ? TS_ERR_NETWORK : TS_ERR_REMOTE,
                              "POST %s: gave up after %d attempts; last: %s%d %s", w->url, attempt,
                              status ? "HTTP " : "network error ", status, info->message);
        int64_t d = retry_delay_ms(&k->rp, attempt, retry_after[0] ? retry_after : NULL);
        if (d < 0)
            return ts_err_set(err, TS_ERR_REMOTE,
                              "POST %s: HTTP %d asks to retry after %s s, longer than we wait; "
                              "re-run later to resume",
                              w->url, status, retry_after);
        sleep_ms(d, w->o.cancel);
    }
}

/* Finds lines of b the server named (v2 line numbers, v1 "unable to parse
 * '<line>'"); marks them in bad[] and returns how many. */
static size_t named_lines(const influx_batch *b, const influx_resp_info *info, uint8_t *bad)
{
    size_t n = 0;
    for (size_t i = 0; i < info->nbad; i++) {
        long ln = info->bad_lines[i];
        if (ln >= 1 && (size_t)ln <= b->nlines && !bad[ln - 1]) {
            bad[ln - 1] = 1;
            n++;
        }
    }
    if (n == 0 && info->bad_text[0]) {
        size_t tl = strlen(info->bad_text);
        for (size_t i = 0; i < b->nlines; i++) {
            size_t len;
            const char *l = influx_batch_line(b, i, &len);
            if (len >= tl && memcmp(l, info->bad_text, tl) == 0) {
                bad[i] = 1;
                n++;
            }
        }
    }
    return n;
}

static ts_status send_batch(worker *k, const influx_batch *b, size_t *budget, int depth,
                            ts_error *err);

/* Sends lines [from, to) of b as their own batch. */
static ts_status send_range(worker *k, const influx_batch *b, size_t from, size_t to,
                            size_t *budget, int depth, ts_error *err)
{
    if (from >= to) return TS_OK;
    influx_batch sub;
    influx_batch_init(&sub);
    ts_status st = influx_batch_slice(b, from, to, &sub, err);
    if (st == TS_OK) st = send_batch(k, &sub, budget, depth + 1, err);
    influx_batch_free(&sub);
    return st;
}

static ts_status send_batch(worker *k, const influx_batch *b, size_t *budget, int depth,
                            ts_error *err)
{
    influx_writer *w = k->w;
    influx_action act;
    influx_resp_info info;
    TS_TRY(post(k, b, &act, &info, err));
    switch (act) {
    case INFLUX_ACT_DONE:
        count_accepted(w, b->nlines);
        return TS_OK;
    case INFLUX_ACT_SPLIT:
        if (b->nlines <= 1) {
            record_rejection(w, b, 0, "request too large (HTTP 413) even as a single line");
            return TS_OK;
        }
        TS_TRY(send_range(k, b, 0, b->nlines / 2, budget, depth, err));
        return send_range(k, b, b->nlines / 2, b->nlines, budget, depth, err);
    case INFLUX_ACT_FATAL: {
        ts_status code = influx_fatal_status(info.status);
        const char *hint = code == TS_ERR_AUTH
                               ? (w->t->api == INFLUX_API_V2
                                      ? " (check INFLUX_TOKEN and that it may write to the bucket)"
                                      : " (check INFLUX_USERNAME/INFLUX_PASSWORD)")
                           : code == TS_ERR_NOT_FOUND
                               ? (w->t->api == INFLUX_API_V2 ? " (check org= and bucket=)"
                                                             : " (create the database first)")
                               : "";
        return ts_err_set(err, code, "InfluxDB refused the write: HTTP %d%s%s: %s%s", info.status,
                          info.code[0] ? " " : "", info.code, info.message, hint);
    }
    case INFLUX_ACT_RETRY:
        return ts_err_set(err, TS_ERR_INTERNAL, "retry outcome escaped the retry loop");
    case INFLUX_ACT_REJECTED:
        break;
    }
    /* Some or all points were refused. Points are idempotent, so resending
     * the good ones is harmless: find the bad lines, report them, resend the rest. */
    char reason[600];
    snprintf(reason, sizeof reason, "HTTP %d: %s", info.status, info.message);
    if (b->nlines == 1) {
        record_rejection(w, b, 0, reason);
        return TS_OK;
    }
    uint8_t *bad = ts_calloc(b->nlines, 1);
    if (!bad) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    size_t nnamed = named_lines(b, &info, bad);
    ts_status st = TS_OK;
    if (nnamed > 0 && *budget > 0) {
        (*budget)--;
        influx_batch rest;
        influx_batch_init(&rest);
        for (size_t i = 0; i < b->nlines && st == TS_OK; i++) {
            if (bad[i]) {
                record_rejection(w, b, i, reason);
            } else {
                size_t len;
                const char *l = influx_batch_line(b, i, &len);
                st = influx_batch_add(&rest, l, len, b->refs[i], err);
            }
        }
        rest.seq = b->seq;
        if (st == TS_OK && rest.nlines) st = send_batch(k, &rest, budget, depth + 1, err);
        influx_batch_free(&rest);
    } else if ((info.dropped >= 0 && (size_t)info.dropped >= b->nlines) || *budget < 2) {
        /* every point refused, or no budget left to isolate them */
        if (*budget < 2 && !(info.dropped >= 0 && (size_t)info.dropped >= b->nlines)) {
            char r2[700];
            snprintf(r2, sizeof r2, "%s (in a batch of %zu lines whose bad lines could not be "
                     "isolated: bisection budget spent; some may have been written)",
                     reason, b->nlines);
            snprintf(reason, sizeof reason, "%s", r2);
        }
        for (size_t i = 0; i < b->nlines; i++) record_rejection(w, b, i, reason);
    } else {
        *budget -= 2;
        size_t mid = b->nlines / 2;
        st = send_range(k, b, 0, mid, budget, depth, err);
        if (st == TS_OK) st = send_range(k, b, mid, b->nlines, budget, depth, err);
    }
    ts_free(bad);
    return st;
}

/* ---- workers ---- */

static void ack_locked(influx_writer *w, int64_t seq)
{
    w->done[(size_t)seq % w->ring] = 1;
    while (w->low < w->next_seq && w->done[(size_t)w->low % w->ring]) {
        w->done[(size_t)w->low % w->ring] = 0;
        w->low++;
    }
}

static void *worker_main(void *arg)
{
    worker *k = arg;
    influx_writer *w = k->w;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (w->qlen == 0 && !w->stop && !w->failed) pthread_cond_wait(&w->cv_work, &w->mu);
        if (w->stop || w->failed) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        influx_batch *b = w->queue[w->qhead];
        w->qhead = (w->qhead + 1) % w->qcap;
        w->qlen--;
        w->inflight++;
        w->st.lines_sent += b->nlines;
        pthread_cond_broadcast(&w->cv_done);
        pthread_mutex_unlock(&w->mu);

        ts_error err;
        ts_err_clear(&err);
        size_t budget = w->o.max_bisect;
        ts_status st = send_batch(k, b, &budget, 0, &err);

        pthread_mutex_lock(&w->mu);
        w->inflight--;
        if (st == TS_OK) {
            ack_locked(w, b->seq);
        } else {
            ts_err_context(&err, "batch %lld (%zu lines, first from file %u row %llu)",
                           (long long)b->seq, b->nlines, b->nlines ? b->refs[0].file : 0,
                           b->nlines ? (unsigned long long)b->refs[0].row : 0ULL);
            fail_locked(w, &err);
        }
        influx_batch_reset(b);
        w->pool[w->npool++] = b;
        pthread_cond_broadcast(&w->cv_done);
        pthread_mutex_unlock(&w->mu);
    }
    http_client_free(k->http);
    ts_buf_free(&k->gz);
    ts_free(k);
    return NULL;
}

/* ---- producer side ---- */

static influx_batch *take_batch_locked(influx_writer *w)
{
    influx_batch *b = w->npool ? w->pool[--w->npool] : NULL;
    if (!b) {
        b = ts_malloc(sizeof *b);
        if (!b) return NULL;
        influx_batch_init(b);
    }
    b->seq = w->next_seq++;
    return b;
}

ts_status influx_writer_new(const influx_target *t, const influx_writer_opts *o,
                            influx_writer **out, ts_error *err)
{
    *out = NULL;
    influx_writer *w = ts_calloc(1, sizeof *w);
    if (!w) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    w->t = t;
    w->o = *o;
    if (w->o.concurrency < 1) w->o.concurrency = 1;
    if (w->o.concurrency > 64) w->o.concurrency = 64;
    if (!w->o.batch_lines) w->o.batch_lines = INFLUX_DEFAULT_BATCH_LINES;
    if (!w->o.batch_bytes) w->o.batch_bytes = INFLUX_DEFAULT_BATCH_BYTES;
    if (w->o.max_attempts < 1) w->o.max_attempts = 10;
    if (w->o.timeout_ms <= 0) w->o.timeout_ms = 60000;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv_work, NULL);
    pthread_cond_init(&w->cv_done, NULL);
    ts_status st = TS_OK;
    ts_buf b;
    ts_buf_init(&b, 1 << 16);
    if ((st = influx_write_url(t, &b, err)) != TS_OK) goto fail;
    w->url = (char *)ts_buf_detach(&b, NULL);
    if ((st = influx_auth_header(t, &b, err)) != TS_OK) goto fail;
    w->auth = (char *)ts_buf_detach(&b, NULL);
    if (!w->auth) w->auth = ts_strdup("");
    size_t c = w->o.concurrency;
    w->qcap = c;
    w->queue = ts_calloc(w->qcap, sizeof *w->queue);
    w->pool_cap = 2 * c + 2;
    w->pool = ts_calloc(w->pool_cap, sizeof *w->pool);
    w->ring = 4 * c + 8;
    w->done = ts_calloc(w->ring, 1);
    w->rej = ts_calloc(MAX_REJECTIONS_KEPT, sizeof *w->rej);
    w->threads = ts_calloc(c, sizeof *w->threads);
    if (!w->queue || !w->pool || !w->done || !w->rej || !w->threads || !w->auth || !w->url) {
        st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    w->open = take_batch_locked(w);
    if (!w->open) {
        st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < c; i++) {
        worker *k = ts_calloc(1, sizeof *k);
        if (!k) {
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            goto fail;
        }
        k->w = w;
        ts_buf_init(&k->gz, (size_t)300 << 20);
        retry_policy_default(&k->rp);
        k->rp.max_attempts = w->o.max_attempts;
        k->rp.seed = (uint64_t)ts_mono_ns() ^ (uint64_t)(i * 0x9E3779B97F4A7C15ULL);
        if ((st = http_client_new(&k->http, err)) != TS_OK) {
            ts_free(k);
            goto fail;
        }
        if (pthread_create(&w->threads[i], NULL, worker_main, k) != 0) {
            http_client_free(k->http);
            ts_free(k);
            st = ts_err_set(err, TS_ERR_INTERNAL, "cannot start writer thread %zu", i);
            goto fail;
        }
        w->nthreads++;
    }
    ts_buf_free(&b);
    *out = w;
    return TS_OK;
fail:
    ts_buf_free(&b);
    influx_writer_free(w);
    return st;
}

static ts_status submit_open(influx_writer *w, ts_error *err)
{
    if (w->open->nlines == 0) return TS_OK;
    pthread_mutex_lock(&w->mu);
    while (w->qlen == w->qcap && !w->failed) pthread_cond_wait(&w->cv_done, &w->mu);
    if (w->failed) {
        *err = w->fatal;
        pthread_mutex_unlock(&w->mu);
        return err->code ? err->code : TS_ERR_INTERNAL;
    }
    w->queue[(w->qhead + w->qlen) % w->qcap] = w->open;
    w->qlen++;
    pthread_cond_signal(&w->cv_work);
    w->open = take_batch_locked(w);
    pthread_mutex_unlock(&w->mu);
    if (!w->open) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

ts_status influx_writer_add(influx_writer *w, const char *line, size_t len, influx_rowref ref,
                            ts_error *err)
{
    if (!influx_batch_fits(w->open, len, w->o.batch_lines, w->o.batch_bytes))
        TS_TRY(submit_open(w, err));
    return influx_batch_add(w->open, line, len, ref, err);
}

int64_t influx_writer_last_seq(const influx_writer *w)
{
    return w->open->nlines ? w->open->seq : w->open->seq - 1;
}

ts_status influx_writer_flush(influx_writer *w, ts_error *err)
{
    TS_TRY(submit_open(w, err));
    pthread_mutex_lock(&w->mu);
    while ((w->qlen > 0 || w->inflight > 0) && !w->failed) pthread_cond_wait(&w->cv_done, &w->mu);
    /* after a failure, let the requests in flight end before reporting */
    while (w->inflight > 0) pthread_cond_wait(&w->cv_done, &w->mu);
    ts_status st = TS_OK;
    if (w->failed) {
        *err = w->fatal;
        st = err->code ? err->code : TS_ERR_INTERNAL;
    }
    pthread_mutex_unlock(&w->mu);
    return st;
}

void influx_writer_stats_get(influx_writer *w, influx_writer_stats *st)
{
    pthread_mutex_lock(&w->mu);
    *st = w->st;
    st->acked_seq = w->low;
    pthread_mutex_unlock(&w->mu);
}

const influx_rejection *influx_writer_rejections(influx_writer *w, size_t *n)
{
    /* entries below nrej never change and the array never moves */
    pthread_mutex_lock(&w->mu);
    *n = w->nrej;
    pthread_mutex_unlock(&w->mu);
    return w->rej;
}

void influx_writer_free(influx_writer *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv_work);
    pthread_cond_broadcast(&w->cv_done);
    pthread_mutex_unlock(&w->mu);
    for (size_t i = 0; i < w->nthreads; i++) pthread_join(w->threads[i], NULL);
    for (size_t i = 0; i < w->qlen; i++) {
        influx_batch *b = w->queue[(w->qhead + i) % w->qcap];
        influx_batch_free(b);
        ts_free(b);
    }
    for (size_t i = 0; i < w->npool; i++) {
        influx_batch_free(w->pool[i]);
        ts_free(w->pool[i]);
    }
    if (w->open) {
        influx_batch_free(w->open);
        ts_free(w->open);
    }
    influx_rejections_free(w->rej, w->nrej);
    ts_free(w->queue);
    ts_free(w->pool);
    ts_free(w->done);
    ts_free(w->threads);
    ts_free(w->url);
    if (w->auth) memset(w->auth, 0, strlen(w->auth));
    ts_free(w->auth);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv_work);
    pthread_cond_destroy(&w->cv_done);
    ts_free(w);
}
