/* Hash-chained audit log: building a run's JSON Lines, checking a chain of
 * runs, and reading/writing them through archive storage. */
#include "arc_audit.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "arc_layout.h"
#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "core/ts_time.h"

struct arc_audit {
    char *command;
    char *run_id;
    char name[128];
    char head[TS_SHA256_HEX_LEN];
    uint64_t next_seq;
    uint64_t entries;
    ts_buf text;
};

ts_status arc_random_id(char out[33], ts_error *err)
{
    uint8_t b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return ts_err_set(err, TS_ERR_INTERNAL, "no random bytes available for an id");
    ts_hex(b, sizeof b, out);
    return TS_OK;
}

static bool id_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 40) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-')) return false;
    return true;
}

static void compact_time(int64_t ns, char out[20])
{
    ts_tm tm;
    ts_time_split(ns, &tm);
    snprintf(out, 20, "%04lld%02u%02uT%02u%02u%02uZ", (long long)tm.year, tm.month, tm.day,
             tm.hour, tm.min, tm.sec);
}

ts_status arc_audit_new(const char *command, const char *run_id, int64_t now_ns,
                        const char *prev_hash, uint64_t next_seq, arc_audit **out, ts_error *err)
{
    *out = NULL;
    if (!id_ok(command) || !id_ok(run_id))
        return ts_err_set(err, TS_ERR_USAGE, "audit: command and run id must be [a-z0-9-]");
    if (!prev_hash || strlen(prev_hash) != 64)
        return ts_err_set(err, TS_ERR_USAGE, "audit: previous hash must be 64 hex digits");
    arc_audit *a = ts_calloc(1, sizeof *a);
    if (!a) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    a->command = ts_strdup(command);
    a->run_id = ts_strdup(run_id);
    ts_buf_init(&a->text, ARC_AUDIT_MAX_LOG);
    if (!a->command || !a->run_id) {
        arc_audit_free(a);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    char ts[20];
    compact_time(now_ns, ts);
    snprintf(a->name, sizeof a->name, "%s_%s_%s.jsonl", ts, command, run_id);
    memcpy(a->head, prev_hash, TS_SHA256_HEX_LEN);
    a->next_seq = next_seq;
    *out = a;
    return TS_OK;
}

void arc_audit_free(arc_audit *a)
{
    if (!a) return;
    ts_free(a->command);
    ts_free(a->run_id);
    ts_buf_free(&a->text);
    ts_free(a);
}

static int dump_cb(const char *p, size_t n, void *user)
{
    return ts_buf_append((ts_buf *)user, p, n) == TS_OK ? 0 : -1;
}

ts_status arc_audit_add(arc_audit *a, const char *event, json_t *fields, ts_error *err)
{
    json_t *o = fields ? fields : json_object();
    if (!json_is_object(o)) {
        json_decref(o);
        return ts_err_set(err, TS_ERR_INTERNAL, "audit: entry fields must be an object");
    }
    char when[TS_TIME_STR_MAX];
    ts_time_format(ts_now_ns(), when);
    int bad = 0;
    bad |= json_object_set_new(o, "seq", json_integer((json_int_t)a->next_seq));
    bad |= json_object_set_new(o, "prev", json_string(a->head));
    bad |= json_object_set_new(o, "when", json_string(when));
    bad |= json_object_set_new(o, "command", json_string(a->command));
    bad |= json_object_set_new(o, "run_id", json_string(a->run_id));
    bad |= json_object_set_new(o, "event", json_string(event));
    size_t start = a->text.len;
    if (!bad) bad = json_dump_callback(o, dump_cb, &a->text, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(o);
    if (bad) {
        a->text.len = start;
        return ts_err_set(err, TS_ERR_LIMIT, "audit: entry could not be recorded (memory)");
    }
    uint8_t h[TS_SHA256_LEN];
    ts_sha256_once(a->text.data + start, a->text.len - start, h);
    if (ts_buf_append_byte(&a->text, '\n') != TS_OK) {
        a->text.len = start;
        return ts_err_set(err, TS_ERR_LIMIT, "audit: log too large");
    }
    ts_hex(h, sizeof h, a->head);
    a->next_seq++;
    a->entries++;
    return TS_OK;
}

const char *arc_audit_text(const arc_audit *a, size_t *len)
{
    *len = a->text.len;
    return a->text.len ? (const char *)a->text.data : "";
}

const char *arc_audit_object_name(const arc_audit *a) { return a->name; }
const char *arc_audit_head(const arc_audit *a) { return a->head; }
uint64_t arc_audit_entries(const arc_audit *a) { return a->entries; }

/* ---- checking ---- */

typedef struct run_info {
    char first_prev[TS_SHA256_HEX_LEN];
    char last_hash[TS_SHA256_HEX_LEN];
    uint64_t first_seq, last_seq;
    size_t entries;
    long succ; /* index of the run linked after this one, or -1 */
    bool has_pred;
} run_info;

#define BROKEN(...) ts_err_set(err, TS_ERR_MISMATCH, __VA_ARGS__)

static bool hex64(const char *s)
{
    if (!s || strlen(s) != 64) return false;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

static ts_status check_one(const arc_audit_log *lg, run_info *ri, ts_error *err)
{
    memset(ri, 0, sizeof *ri);
    ri->succ = -1;
    size_t pos = 0, line = 0;
    char prev_hash[TS_SHA256_HEX_LEN] = "";
    uint64_t prev_seq = 0;
    char cmd[64] = "", run[64] = "";
    while (pos < lg->len) {
        const char *p = lg->text + pos;
        const char *nl = memchr(p, '\n', lg->len - pos);
        if (!nl) return BROKEN("audit log %s: line %zu is not terminated (truncated)", lg->name,
                               line + 1);
        size_t n = (size_t)(nl - p);
        line++;
        json_error_t je;
        json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(o)) {
            json_decref(o);
            return BROKEN("audit log %s: line %zu is not a JSON object", lg->name, line);
        }
        json_t *jseq = json_object_get(o, "seq");
        const char *jprev = json_string_value(json_object_get(o, "prev"));
        const char *jcmd = json_string_value(json_object_get(o, "command"));
        const char *jrun = json_string_value(json_object_get(o, "run_id"));
        const char *jev = json_string_value(json_object_get(o, "event"));
        const char *jwhen = json_string_value(json_object_get(o, "when"));
        ts_status st = TS_OK;
        if (!json_is_integer(jseq) || json_integer_value(jseq) < 0 || !hex64(jprev) || !jcmd ||
            !jrun || !jev || !jwhen || strlen(jcmd) >= sizeof cmd || strlen(jrun) >= sizeof run)
            st = BROKEN("audit log %s: line %zu lacks seq/prev/when/command/run_id/event",
                        lg->name, line);
        else if (line == 1) {
            snprintf(cmd, sizeof cmd, "%s", jcmd);
            snprintf(run, sizeof run, "%s", jrun);
            memcpy(ri->first_prev, jprev, TS_SHA256_HEX_LEN);
            ri->first_seq = (uint64_t)json_integer_value(jseq);
        } else if (strcmp(jprev, prev_hash) != 0)
            st = BROKEN("audit log %s: line %zu does not follow line %zu (hash chain broken: an "
                        "entry was edited, removed or moved)",
                        lg->name, line, line - 1);
        else if ((uint64_t)json_integer_value(jseq) != prev_seq + 1)
            st = BROKEN("audit log %s: line %zu has seq %lld after %llu", lg->name, line,
                        (long long)json_integer_value(jseq), (unsigned long long)prev_seq);
        else if (strcmp(jcmd, cmd) != 0 || strcmp(jrun, run) != 0)
            st = BROKEN("audit log %s: line %zu belongs to another run", lg->name, line);
        if (st == TS_OK) prev_seq = (uint64_t)json_integer_value(jseq);
        json_decref(o);
        if (st != TS_OK) return st;
        uint8_t h[TS_SHA256_LEN];
        ts_sha256_once(p, n, h);
        ts_hex(h, sizeof h, prev_hash);
        pos += n + 1;
    }
    if (line == 0) return BROKEN("audit log %s is empty", lg->name);
    /* name: 16-char UTC stamp, command, run id */
    char suffix[160];
    snprintf(suffix, sizeof suffix, "_%s_%s.jsonl", cmd, run);
    size_t nl = strlen(lg->name), sl = strlen(suffix);
    if (nl != 16 + sl || strcmp(lg->name + 16, suffix) != 0)
        return BROKEN("audit log %s: its name does not match its entries (command %s, run %s)",
                      lg->name, cmd, run);
    memcpy(ri->last_hash, prev_hash, TS_SHA256_HEX_LEN);
    ri->last_seq = prev_seq;
    ri->entries = line;
    return TS_OK;
}

ts_status arc_audit_check(const arc_audit_log *logs, size_t n, arc_audit_report *rep,
                          ts_error *err)
{
    memset(rep, 0, sizeof *rep);
    memcpy(rep->head, ARC_AUDIT_GENESIS, TS_SHA256_HEX_LEN);
    if (n == 0) return TS_OK;
    run_info *ri = ts_calloc(n, sizeof *ri);
    if (!ri) return ts_err_set(err, TS_ERR_NOMEM, "out of memory checking the audit log");
    ts_status st = TS_OK;
    long first = -1;
    for (size_t i = 0; i < n && st == TS_OK; i++) {
        st = check_one(&logs[i], &ri[i], err);
        rep->entries += ri[i].entries;
    }
    for (size_t i = 0; i < n && st == TS_OK; i++) {
        if (strcmp(ri[i].first_prev, ARC_AUDIT_GENESIS) == 0) {
            if (first >= 0)
                st = BROKEN("audit logs %s and %s both claim to start the chain", logs[first].name,
                            logs[i].name);
            else if (ri[i].first_seq != 0)
                st = BROKEN("audit log %s starts the chain with seq %llu, not 0", logs[i].name,
                            (unsigned long long)ri[i].first_seq);
            first = (long)i;
            continue;
        }
        long pred = -1;
        for (size_t j = 0; j < n; j++)
            if (j != i && strcmp(ri[j].last_hash, ri[i].first_prev) == 0) {
                pred = (long)j;
                break;
            }
        if (pred < 0) {
            st = BROKEN("audit log %s follows an entry that no log holds (a log before it was "
                        "deleted or edited)",
                        logs[i].name);
        } else if (ri[pred].succ >= 0) {
            st = BROKEN("audit logs %s and %s both follow %s (the chain forks)",
                        logs[ri[pred].succ].name, logs[i].name, logs[pred].name);
        } else if (ri[i].first_seq != ri[pred].last_seq + 1) {
            st = BROKEN("audit log %s: seq %llu does not follow %s's %llu", logs[i].name,
                        (unsigned long long)ri[i].first_seq, logs[pred].name,
                        (unsigned long long)ri[pred].last_seq);
        } else {
            ri[pred].succ = (long)i;
            ri[i].has_pred = true;
        }
    }
    if (st == TS_OK && first < 0) st = BROKEN("no audit log starts the chain (the first was deleted)");
    if (st == TS_OK) {
        size_t seen = 0;
        long cur = first, last = first;
        while (cur >= 0 && seen <= n) {
            seen++;
            last = cur;
            cur = ri[cur].succ;
        }
        if (seen != n)
            st = BROKEN("audit logs do not form one chain (%zu of %zu runs reachable from the "
                        "first)",
                        seen, n);
        else {
            memcpy(rep->head, ri[last].last_hash, TS_SHA256_HEX_LEN);
            rep->next_seq = ri[last].last_seq + 1;
            rep->runs = n;
        }
    }
    ts_free(ri);
    return st;
}

