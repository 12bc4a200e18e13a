/* InfluxDB write responses: the error bodies of both APIs (v2
 * {"code","message","line"}, v1 {"error"}) read into one record, and the
 * decision what a write's outcome means (done, retry, split, rejected, fatal). */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "influx/influx.h"

/* Copies at most outsz-1 bytes, turning control characters into spaces so a
 * hostile body cannot forge terminal output or log lines. */
static void copy_clean(char *out, size_t outsz, const char *s, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        out[j++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    out[j] = '\0';
}

static bool contains(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

static void add_bad_line(influx_resp_info *r, long n)
{
    if (n <= 0 || r->nbad >= INFLUX_MAX_BAD_LINES) return;
    for (size_t i = 0; i < r->nbad; i++)
        if (r->bad_lines[i] == n) return;
    r->bad_lines[r->nbad++] = n;
}

/* "line 3:" / "(line 3)" anywhere in the message, as v2 writes
 * "errors encountered on line(s):\nline 3: …\nline 7: …". */
static void scan_line_numbers(influx_resp_info *r, const char *s, size_t n)
{
    for (size_t i = 0; i + 5 < n; i++) {
        if (memcmp(s + i, "line ", 5) != 0) continue;
        if (i > 0 && isalnum((unsigned char)s[i - 1])) continue;
        size_t j = i + 5;
        long v = 0;
        size_t digits = 0;
        while (j < n && isdigit((unsigned char)s[j]) && digits < 12) {
            v = v * 10 + (s[j] - '0');
            j++, digits++;
        }
        /* "line 3: reason" (v2) or "(line 3)": not any "line 3" inside quoted data */
        if (digits > 0 && digits < 12 && j < n && (s[j] == ':' || s[j] == ')'))
            add_bad_line(r, v);
    }
}

/* "dropped=N" at the end of a v1 partial-write message. */
static long scan_dropped(const char *s)
{
    const char *p = strstr(s, "dropped=");
    if (!p) return -1;
    p += 8;
    long v = 0;
    int digits = 0;
    while (isdigit((unsigned char)*p) && digits < 12) v = v * 10 + (*p++ - '0'), digits++;
    return digits ? v : -1;
}

/* v1 "unable to parse '<line>': reason": keep the start of the line so the
 * writer can find it in the batch. */
static void scan_bad_text(influx_resp_info *r, const char *s, size_t n)
{
    static const char key[] = "unable to parse '";
    const char *p = NULL;
    for (size_t i = 0; i + sizeof key - 1 <= n; i++)
        if (memcmp(s + i, key, sizeof key - 1) == 0) {
            p = s + i + sizeof key - 1;
            break;
        }
    if (!p) return;
    size_t rest = n - (size_t)(p - s);
    /* the line ends at "': " (the line itself may contain quotes) */
    size_t end = rest;
    for (size_t i = 0; i + 2 < rest; i++)
        if (p[i] == '\'' && p[i + 1] == ':' && p[i + 2] == ' ') {
            end = i;
            break;
        }
    size_t k = end < sizeof r->bad_text - 1 ? end : sizeof r->bad_text - 1;
    memcpy(r->bad_text, p, k);
    r->bad_text[k] = '\0';
}

void influx_resp_parse(int status, const char *body, size_t len, influx_resp_info *r)
{
    memset(r, 0, sizeof *r);
    r->status = status;
    r->dropped = -1;
    if (!body || len == 0) return;
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_DISABLE_EOF_CHECK, &jerr);
    const char *msg = NULL;
    size_t msg_len = 0;
    if (root && json_is_object(root)) {
        json_t *code = json_object_get(root, "code");
        json_t *m = json_object_get(root, "message");
        json_t *e = json_object_get(root, "error");
        json_t *line = json_object_get(root, "line");
        if (json_is_string(code))
            copy_clean(r->code, sizeof r->code, json_string_value(code), json_string_length(code));
        if (json_is_string(m)) {
            msg = json_string_value(m);
            msg_len = json_string_length(m);
        } else if (json_is_string(e)) {
            msg = json_string_value(e);
            msg_len = json_string_length(e);
        }
        if (json_is_integer(line)) add_bad_line(r, (long)json_integer_value(line));
    } else {
        msg = body;
        msg_len = len;
    }
    if (msg) {
        copy_clean(r->message, sizeof r->message, msg, msg_len);
        scan_line_numbers(r, msg, msg_len);
        scan_bad_text(r, msg, msg_len);
        /* scan the whole message, not only the copy that fits */
        char tmp[4096];
        copy_clean(tmp, sizeof tmp, msg, msg_len);
        r->partial = contains(tmp, "partial write");
        r->retention = contains(tmp, "beyond retention policy");
        r->type_conflict = contains(tmp, "field type conflict");
        r->dropped = scan_dropped(tmp);
    }
    json_decref(root);
}

influx_action influx_classify(int status, const influx_resp_info *r)
{
    if (status == 0) return INFLUX_ACT_RETRY;
    if (status == 204) return INFLUX_ACT_DONE;
    if (status >= 200 && status < 300) {
        /* InfluxDB 3 answers 201 with an error body for partial success */
        if (r && (r->partial || r->nbad > 0 || r->message[0])) return INFLUX_ACT_REJECTED;
        return INFLUX_ACT_DONE;
    }
    if (status == 413) return INFLUX_ACT_SPLIT;
    if (status == 400 || status == 422) return INFLUX_ACT_REJECTED;
    /* v2 reports points outside the bucket's retention as a 500 partial write;
     * sending them again cannot help */
    if (r && (r->partial || r->retention)) return INFLUX_ACT_REJECTED;
    if (status == 408 || status == 429 || status == 502 || status == 503 || status == 504)
        return INFLUX_ACT_RETRY;
    if (status == 500) {
        /* v1 answers 500 for a missing retention policy: not transient */
        if (r && contains(r->message, "retention policy not found")) return INFLUX_ACT_FATAL;
        return INFLUX_ACT_RETRY;
    }
    if (status > 500 && status < 600) return INFLUX_ACT_RETRY;
    return INFLUX_ACT_FATAL;
}

ts_status influx_fatal_status(int status)
{
    if (status == 401 || status == 403) return TS_ERR_AUTH;
    if (status == 404) return TS_ERR_NOT_FOUND;
    return TS_ERR_REMOTE;
}
