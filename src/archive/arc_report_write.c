/* The writing primitives the report's walker and formats share: a sticky
 * status, the format's own escaping and emphasis, and the model's figures as
 * text. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arc_report.h"
#include "arc_report_int.h"

void rw_raw(rw *w, const char *s)
{
    if (w->st == TS_OK && s) w->st = ts_buf_append_str(w->b, s);
}

void rw_esc(rw *w, const char *s)
{
    if (w->st == TS_OK && s) w->st = w->f->esc(w->b, s);
}

/* Formats into a line-sized buffer (longer text is cut), then writes it. */
static void rw_vf(rw *w, bool esc, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
static void rw_vf(rw *w, bool esc, const char *fmt, va_list ap)
{
    char m[4096];
    vsnprintf(m, sizeof m, fmt, ap);
    if (esc)
        rw_esc(w, m);
    else
        rw_raw(w, m);
}

void rw_rawf(rw *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rw_vf(w, false, fmt, ap);
    va_end(ap);
}

void rw_escf(rw *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rw_vf(w, true, fmt, ap);
    va_end(ap);
}

void rw_field(rw *w, const json_t *o, const char *k, const char *absent)
{
    const char *s = rs(o, k);
    if (s) {
        rw_esc(w, s);
    } else if (strcmp(absent, "-") == 0) {
        rw_raw(w, "-");
    } else {
        rw_raw(w, w->f->em[0]);
        rw_esc(w, absent);
        rw_raw(w, w->f->em[1]);
    }
}

void rw_num(rw *w, const json_t *o, const char *k)
{
    char b[40];
    arc_report_group(ru(o, k), b, sizeof b);
    rw_raw(w, b);
}

void rw_numw(rw *w, const json_t *o, const char *k, const char *one, const char *many)
{
    rw_num(w, o, k);
    rw_raw(w, " ");
    rw_raw(w, ru(o, k) == 1 ? one : many);
}

void rw_bytes(rw *w, uint64_t v)
{
    char b[40], g[40];
    arc_report_bytes(v, b, sizeof b);
    arc_report_group(v, g, sizeof g);
    if (v < 1000)
        rw_esc(w, b);
    else
        rw_escf(w, "%s (%s bytes)", b, g);
}

void rw_yesno(rw *w, const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    if (json_is_true(v) || json_is_false(v)) {
        rw_raw(w, json_is_true(v) ? "yes" : "no");
    } else {
        rw_raw(w, w->f->em[0]);
        rw_raw(w, "unknown");
        rw_raw(w, w->f->em[1]);
    }
}

void rw_optnum(rw *w, const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    if (json_is_integer(v))
        rw_escf(w, "%lld", (long long)json_integer_value(v));
    else
        rw_raw(w, "-");
}

void rw_kv_inline(rw *w, const json_t *o)
{
    const char *k;
    const json_t *v;
    bool first = true;
    json_object_foreach((json_t *)o, k, v) {
        if (!first) rw_raw(w, ", ");
        first = false;
        rw_esc(w, k);
        rw_raw(w, "=");
        if (json_is_string(v)) {
            rw_esc(w, json_string_value(v));
        } else {
            char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            rw_esc(w, t ? t : "?");
            free(t); /* jansson's allocator */
        }
    }
}
