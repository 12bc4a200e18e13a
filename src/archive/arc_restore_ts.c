/* Restore into Timestream: WriteRecords with at most 100 records per call,
 * CommonAttributes for the shared time unit, CreateDatabase/CreateTable when
 * asked, and RejectedRecords handled record by record (each mapped back to
 * its archive file and row; retention-window rejections counted apart). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "archive/arc_restore.h"
#include "aws/aws.h"
#include "core/ts_alloc.h"

#define TARGET "Timestream_20181101."
#define CT "application/x-amz-json-1.0"
#define MAX_RECORDS 100
#define MAX_KEPT 1000

struct arc_ts_writer {
    aws_client *c;
    bool create;
    char *url;
    char *db, *table;
    json_t *records;  /* pending, <= 100 */
    influx_rowref refs[MAX_RECORDS];
    arc_ts_stats st;
    influx_rejection *rej;
    size_t nrej;
};

ts_status arc_ts_writer_new(aws_client *c, bool create, arc_ts_writer **out, ts_error *err)
{
    *out = NULL;
    arc_ts_writer *w = ts_calloc(1, sizeof *w);
    if (!w) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    w->c = c;
    w->create = create;
    w->records = json_array();
    w->rej = ts_calloc(MAX_KEPT, sizeof *w->rej);
    if (!w->records || !w->rej) {
        arc_ts_writer_free(w);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    bool custom = false;
    char *base = NULL;
    ts_status st = aws_endpoint(aws_client_config(c), "TIMESTREAM_WRITE", &base, &custom, err);
    if (st == TS_OK && custom) {
        w->url = base;
        base = NULL;
    } else if (st == TS_OK) {
        /* public endpoint: DescribeEndpoints says which cell takes writes */
        json_t *o = NULL;
        st = aws_json_call(c, base, "timestream", TARGET "DescribeEndpoints", CT, NULL, &o, NULL, err);
        const char *addr =
            st == TS_OK ? json_string_value(json_object_get(
                              json_array_get(json_object_get(o, "Endpoints"), 0), "Address"))
                        : NULL;
        if (st == TS_OK && (!addr || !*addr || strchr(addr, '/')))
            st = ts_err_set(err, TS_ERR_REMOTE, "Timestream DescribeEndpoints answered no Address");
        if (st == TS_OK) {
            size_t n = strlen(addr) + 9;
            if ((w->url = ts_malloc(n))) snprintf(w->url, n, "https://%s", addr);
            else st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
        json_decref(o);
    }
    ts_free(base);
    if (st != TS_OK) {
        arc_ts_writer_free(w);
        return st;
    }
    *out = w;
    return TS_OK;
}

void arc_ts_writer_free(arc_ts_writer *w)
{
    if (!w) return;
    json_decref(w->records);
    influx_rejections_free(w->rej, w->nrej);
    ts_free(w->url);
    ts_free(w->db);
    ts_free(w->table);
    ts_free(w);
}

static ts_status call(arc_ts_writer *w, const char *op, json_t *body, json_t **out, char *code,
                      ts_error *err)
{
    char target[96];
    snprintf(target, sizeof target, TARGET "%s", op);
    return aws_json_call(w->c, w->url, "timestream", target, CT, body, out, code, err);
}

ts_status arc_ts_writer_table(arc_ts_writer *w, const char *db, const char *table, ts_error *err)
{
    ts_free(w->db);
    ts_free(w->table);
    w->db = ts_strdup(db);
    w->table = ts_strdup(table);
    if (!w->db || !w->table) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (!w->create) return TS_OK;
    char code[AWS_ERR_CODE_MAX] = "";
    json_t *out = NULL;
    ts_error e;
    ts_err_clear(&e);
    json_t *b = json_pack("{s:s}", "DatabaseName", db);
    ts_status st = call(w, "CreateDatabase", b, &out, code, &e);
    json_decref(b);
    json_decref(out);
    out = NULL;
    if (st != TS_OK && strcmp(code, "ConflictException") != 0) {
        *err = e;
        return st;
    }
    /* restored data is old: it goes to the magnetic store, so allow writes
     * there and keep it as long as Timestream allows */
    b = json_pack("{s:s,s:s,s:{s:I,s:I},s:{s:b}}", "DatabaseName", db, "TableName", table,
                  "RetentionProperties", "MemoryStoreRetentionPeriodInHours", (json_int_t)24,
                  "MagneticStoreRetentionPeriodInDays", (json_int_t)73000,
                  "MagneticStoreWriteProperties", "EnableMagneticStoreWrites", 1);
    ts_err_clear(&e);
    code[0] = '\0';
    st = call(w, "CreateTable", b, &out, code, &e);
    json_decref(b);
    json_decref(out);
    if (st != TS_OK && strcmp(code, "ConflictException") != 0) {
        *err = e;
        return st;
    }
    return TS_OK;
}

static void reject(arc_ts_writer *w, size_t i, const char *reason)
{
    w->st.rejected++;
    /* the service says "The record timestamp is outside the time range [a, b) of the
     * memory store." (or "magnetic store"): the retention windows */
    if (strstr(reason, "outside the time range") || strstr(reason, "retention") ||
        strstr(reason, "memory store") || strstr(reason, "magnetic store"))
        w->st.retention_rejected++;
    if (w->nrej >= MAX_KEPT) return;
    char *line = json_dumps(json_array_get(w->records, i), JSON_COMPACT | JSON_SORT_KEYS);
    if (line && influx_rejection_keep(&w->rej[w->nrej], w->refs[i], line, strlen(line), reason))
        w->nrej++;
    free(line);
}

ts_status arc_ts_writer_flush(arc_ts_writer *w, ts_error *err)
{
    size_t n = json_array_size(w->records);
    if (n == 0) return TS_OK;
    json_t *body = json_pack("{s:s,s:s,s:{s:s},s:O}", "DatabaseName", w->db, "TableName", w->table,
                             "CommonAttributes", "TimeUnit", "NANOSECONDS", "Records", w->records);
    if (!body) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    char target[96];
    snprintf(target, sizeof target, TARGET "WriteRecords");
    http_header hdr[2] = {{"X-Amz-Target", target}, {"Content-Type", CT}};
    aws_request req = {.method = "POST", .url = w->url, .signing_service = "timestream",
                       .headers = hdr, .nheaders = 2, .body = (const uint8_t *)text,
                       .body_len = strlen(text), .protocol = AWS_PROTO_JSON};
    http_response resp;
    ts_status st = aws_send(w->c, &req, &resp, err);
    free(text);
    w->st.requests++;
    w->st.sent += n;
    if (st == TS_OK && resp.status / 100 == 2) {
        w->st.accepted += n;
    } else if (st == TS_OK) {
        char code[AWS_ERR_CODE_MAX], msg[512];
        aws_error_parse(&resp, AWS_PROTO_JSON, code, sizeof code, msg, sizeof msg);
        if (strcmp(code, "RejectedRecordsException") == 0) {
            json_t *root = json_loadb((const char *)resp.body.data, resp.body.len, 0, NULL);
            json_t *rr = json_object_get(root, "RejectedRecords");
            uint8_t *bad = ts_calloc(n, 1);
            size_t k;
            json_t *x;
            json_array_foreach(rr, k, x)
            {
                json_t *ix = json_object_get(x, "RecordIndex");
                if (!json_is_integer(ix) || json_integer_value(ix) < 0 ||
                    (size_t)json_integer_value(ix) >= n)
                    continue;
                size_t i = (size_t)json_integer_value(ix);
                const char *why = json_string_value(json_object_get(x, "Reason"));
                if (bad && !bad[i]) reject(w, i, why ? why : "rejected");
                if (bad) bad[i] = 1;
            }
            size_t nbad = 0;
            for (size_t i = 0; bad && i < n; i++) nbad += bad[i];
            w->st.accepted += n - nbad;
            ts_free(bad);
            json_decref(root);
        } else {
            st = ts_err_set(err, aws_error_status(resp.status, code),
                            "Timestream WriteRecords %s.%s: HTTP %ld %s: %s", w->db, w->table,
                            resp.status, code, msg);
        }
    }
    http_response_free(&resp);
    json_array_clear(w->records);
    return st;
}

ts_status arc_ts_writer_add(arc_ts_writer *w, json_t *record, influx_rowref ref, ts_error *err)
{
    if (!record) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    w->refs[json_array_size(w->records)] = ref;
    if (json_array_append_new(w->records, record) != 0)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (json_array_size(w->records) >= MAX_RECORDS) return arc_ts_writer_flush(w, err);
    return TS_OK;
}

void arc_ts_writer_stats(const arc_ts_writer *w, arc_ts_stats *st) { *st = w->st; }

const influx_rejection *arc_ts_writer_rejections(const arc_ts_writer *w, size_t *n)
{
    *n = w->nrej;
    return w->rej;
}
