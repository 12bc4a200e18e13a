/* The audit log on archive storage: finding the chain's head among earlier
 * runs, writing this run's object, verifying every run. */
#include "arc_audit.h"

#include <stdio.h>
#include <string.h>

#include "arc_layout.h"
#include "arc_storage.h"
#include "aws/aws.h"
#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "core/ts_time.h"

/* ---- storage ---- */

typedef struct audit_files {
    char **keys;
    size_t n, cap;
    ts_status st;
} audit_files;

static ts_status collect_key(void *user, const char *key, uint64_t size, ts_error *err)
{
    (void)size;
    audit_files *af = user;
    size_t kl = strlen(key);
    if (kl < 6 || strcmp(key + kl - 6, ".jsonl") != 0) return TS_OK;
    if (af->n == af->cap) {
        size_t nc = af->cap ? af->cap * 2 : 16;
        char **k = ts_realloc(af->keys, nc * sizeof *k);
        if (!k) return ts_err_set(err, TS_ERR_NOMEM, "out of memory listing the audit log");
        af->keys = k;
        af->cap = nc;
    }
    af->keys[af->n] = ts_strdup(key);
    if (!af->keys[af->n]) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    af->n++;
    return TS_OK;
}

typedef struct loaded_logs {
    audit_files files;
    ts_buf *bufs;
    arc_audit_log *logs;
} loaded_logs;

static void loaded_free(loaded_logs *l)
{
    for (size_t i = 0; i < l->files.n; i++) {
        ts_free(l->files.keys[i]);
        if (l->bufs) ts_buf_free(&l->bufs[i]);
    }
    ts_free(l->files.keys);
    ts_free(l->bufs);
    ts_free(l->logs);
    memset(l, 0, sizeof *l);
}

static ts_status load_logs(arc_storage *s, const char *prefix, loaded_logs *l, ts_error *err)
{
    memset(l, 0, sizeof *l);
    char dir[ARC_PATH_MAX];
    TS_TRY(arc_join(dir, sizeof dir - 1, err, prefix, ARC_AUDIT_DIR, NULL));
    size_t dl = strlen(dir); /* joined with one byte to spare for the '/' */
    dir[dl] = '/';
    dir[dl + 1] = '\0';
    ts_status st = arc_storage_list(s, dir, collect_key, &l->files, err);
    if (st == TS_ERR_NOT_FOUND) {
        ts_err_clear(err);
        st = TS_OK;
    }
    if (st != TS_OK) return st;
    size_t n = l->files.n;
    l->bufs = ts_calloc(n ? n : 1, sizeof *l->bufs);
    l->logs = ts_calloc(n ? n : 1, sizeof *l->logs);
    if (!l->bufs || !l->logs) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        ts_buf_init(&l->bufs[i], ARC_AUDIT_MAX_LOG);
        TS_TRY(arc_storage_read_all(s, l->files.keys[i], &l->bufs[i], ARC_AUDIT_MAX_LOG, err));
        const char *slash = strrchr(l->files.keys[i], '/');
        l->logs[i].name = slash ? slash + 1 : l->files.keys[i];
        l->logs[i].text = l->bufs[i].len ? (const char *)l->bufs[i].data : "";
        l->logs[i].len = l->bufs[i].len;
    }
    return TS_OK;
}

ts_status arc_audit_verify(arc_storage *s, const char *prefix, arc_audit_report *rep,
                           ts_error *err)
{
    loaded_logs l;
    ts_status st = load_logs(s, prefix, &l, err);
    if (st == TS_OK) st = arc_audit_check(l.logs, l.files.n, rep, err);
    loaded_free(&l);
    return st;
}

/* Hash and seq of the last line of the newest log, for a broken chain. */
static void newest_tail(const loaded_logs *l, char head[TS_SHA256_HEX_LEN], uint64_t *next_seq)
{
    memcpy(head, ARC_AUDIT_GENESIS, TS_SHA256_HEX_LEN);
    *next_seq = 0;
    long best = -1;
    for (size_t i = 0; i < l->files.n; i++)
        if (best < 0 || strcmp(l->logs[i].name, l->logs[best].name) > 0) best = (long)i;
    if (best < 0) return;
    const arc_audit_log *lg = &l->logs[best];
    size_t end = lg->len;
    while (end > 0 && lg->text[end - 1] == '\n') end--;
    size_t start = end;
    while (start > 0 && lg->text[start - 1] != '\n') start--;
    if (end == start) return;
    uint8_t h[TS_SHA256_LEN];
    ts_sha256_once(lg->text + start, end - start, h);
    ts_hex(h, sizeof h, head);
    json_error_t je;
    json_t *o = json_loadb(lg->text + start, end - start, 0, &je);
    json_t *seq = json_object_get(o, "seq");
    if (json_is_integer(seq) && json_integer_value(seq) >= 0)
        *next_seq = (uint64_t)json_integer_value(seq) + 1;
    json_decref(o);
}

ts_status arc_audit_open(arc_storage *s, const char *prefix, const char *command,
                         const char *run_id, arc_audit **out, bool *chain_ok, ts_error *err)
{
    *out = NULL;
    *chain_ok = true;
    loaded_logs l;
    ts_status st = load_logs(s, prefix, &l, err);
    if (st != TS_OK) {
        loaded_free(&l);
        return st;
    }
    arc_audit_report rep;
    ts_error cerr;
    ts_err_clear(&cerr);
    char head[TS_SHA256_HEX_LEN];
    uint64_t next_seq;
    if (arc_audit_check(l.logs, l.files.n, &rep, &cerr) == TS_OK) {
        memcpy(head, rep.head, sizeof head);
        next_seq = rep.next_seq;
    } else {
        *chain_ok = false;
        newest_tail(&l, head, &next_seq);
    }
    loaded_free(&l);
    return arc_audit_new(command, run_id, ts_now_ns(), head, next_seq, out, err);
}

ts_status arc_audit_flush(arc_audit *a, arc_storage *s, const char *prefix, ts_error *err)
{
    char key[ARC_PATH_MAX];
    TS_TRY(arc_join(key, sizeof key, err, prefix, ARC_AUDIT_DIR, arc_audit_object_name(a)));
    ts_output *o = NULL;
    TS_TRY(arc_storage_create(s, key, &o, err));
    size_t len;
    const char *text = arc_audit_text(a, &len);
    ts_status st = ts_output_write(o, text, len, err);
    if (st == TS_OK) st = ts_output_commit(o, err);
    ts_output_close(o);
    if (st != TS_OK) ts_err_context(err, "audit log %s", key);
    return st;
}

/* ---- identity ---- */

json_t *arc_audit_identity(const aws_config *cfg)
{
    json_t *id = json_object();
    if (!id) return NULL;
    json_object_set_new(id, "credentials", json_string(cfg->cred_source ? cfg->cred_source : ""));
    json_object_set_new(id, "profile", json_string(cfg->profile ? cfg->profile : ""));
    json_object_set_new(id, "region", json_string(cfg->region ? cfg->region : ""));
    /* a separate client: one attempt, short timeout — identity is a courtesy */
    aws_config quick = *cfg;
    quick.max_attempts = 1;
    aws_client *c = NULL;
    char *url = NULL;
    bool custom = false;
    ts_error e;
    ts_err_clear(&e);
    if (aws_endpoint(cfg, "STS", &url, &custom, &e) != TS_OK || aws_client_new(&quick, &c, &e) != TS_OK) {
        ts_free(url);
        aws_client_free(c);
        return id;
    }
    http_client_set_connect_timeout(aws_client_http(c), 2000);
    static const char body[] = "Action=GetCallerIdentity&Version=2011-06-15";
    http_header h[1] = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    char full[1024];
    snprintf(full, sizeof full, "%s/", url);
    aws_request req = {.method = "POST", .url = full, .signing_service = "sts", .headers = h,
                       .nheaders = 1, .body = (const uint8_t *)body, .body_len = sizeof body - 1,
                       .timeout_ms = 5000, .protocol = AWS_PROTO_XML};
    http_response resp;
    memset(&resp, 0, sizeof resp);
    if (aws_send(c, &req, &resp, &e) == TS_OK && resp.status == 200 && ts_buf_nul(&resp.body) == TS_OK) {
        const char *s = strstr((const char *)resp.body.data, "<Arn>");
        const char *t = s ? strstr(s, "</Arn>") : NULL;
        if (s && t && t - s - 5 < 512) {
            json_object_set_new(id, "arn", json_stringn(s + 5, (size_t)(t - s - 5)));
        }
    }
    http_response_free(&resp);
    aws_client_free(c);
    ts_free(url);
    return id;
}
