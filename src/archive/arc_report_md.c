/* The report as Markdown (GitHub-flavoured tables): the same facts as the
 * HTML page, per-month counts as a table instead of a chart. Only the
 * markup is here; arc_report_walk.c decides what is said. Every string from
 * the model is escaped. */
#include <stdlib.h>
#include <string.h>

#include "arc_report.h"
#include "arc_report_int.h"

/* A hash, key or path in a code span; a string with characters that could
 * break out of the span is written as escaped text instead. */
static void code(rw *w, const char *s)
{
    if (!s) {
        rw_raw(w, "*none*");
        return;
    }
    for (const char *p = s; *p; p++)
        if (*p == '`' || *p == '|' || *p == '\n' || *p == '\r' || *p == '<' || *p == '>' ||
            *p == '&' || *p == '\\') {
            rw_esc(w, s);
            return;
        }
    rw_raw(w, "`");
    rw_raw(w, s);
    rw_raw(w, "`");
}

static void json_value_md(rw *w, const json_t *v, int depth)
{
    if (json_is_object(v)) {
        const char *k;
        const json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            rw_raw(w, "\n");
            for (int i = 0; i < depth; i++) rw_raw(w, "  ");
            rw_raw(w, "- **");
            rw_esc(w, k);
            rw_raw(w, "**: ");
            json_value_md(w, x, depth + 1);
        }
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *e;
        if (!json_array_size(v)) rw_raw(w, "*none*");
        json_array_foreach(v, i, e) {
            if (json_is_object(e) || json_is_array(e)) {
                rw_raw(w, "\n");
                for (int d = 0; d < depth; d++) rw_raw(w, "  ");
                rw_escf(w, "- %zu:", i + 1);
                json_value_md(w, e, depth + 1);
            } else {
                if (i) rw_raw(w, ", ");
                json_value_md(w, e, depth + 1);
            }
        }
    } else if (json_is_string(v)) {
        rw_esc(w, json_string_value(v));
    } else if (json_is_null(v)) {
        rw_raw(w, "*none*");
    } else {
        char *t = json_dumps(v, JSON_ENCODE_ANY);
        rw_esc(w, t ? t : "?");
        free(t);
    }
}

static void values(rw *w, const json_t *a)
{
    json_value_md(w, a, 0);
}

static void front(rw *w, const json_t *m)
{
    const json_t *tool = json_object_get(m, "tool");
    rw_raw(w, "# Decommissioning record\n\nArchive ");
    code(w, rs(m, "root"));
    rw_raw(w, " (prefix ");
    code(w, rs(m, "prefix"));
    rw_raw(w, "), generated ");
    rw_esc(w, rs(m, "generated_at"));
    rw_escf(w, " by tsarchive %s (build %s)", rs(tool, "version") ? rs(tool, "version") : "?",
            rs(tool, "build") ? rs(tool, "build") : "?");
    rw_raw(w, ". Every figure below is read from the archive and its audit log.\n\n");
}

static void back(rw *w, const json_t *m)
{
    (void)w;
    (void)m;
}

static void section(rw *w, const char *id, const char *title)
{
    (void)id;
    rw_raw(w, "## ");
    rw_esc(w, title);
    rw_raw(w, "\n\n");
}

static void heading(rw *w, int level)
{
    rw_raw(w, level >= 4 ? "#### " : "### ");
}

static void box(rw *w, bool good)
{
    (void)w;
    (void)good;
}

static void item(rw *w, const char *cls)
{
    (void)cls;
    rw_raw(w, "- ");
}

static void kv_begin(rw *w, rw_kv_style style)
{
    (void)style;
    rw_raw(w, "| | |\n|---|---|\n");
}

static void kv_row(rw *w, const char *key, const char *cls)
{
    (void)cls;
    rw_raw(w, "| ");
    rw_esc(w, key);
    rw_raw(w, " | ");
}

static void kv_row_end(rw *w)
{
    rw_raw(w, " |\n");
}

static void table_begin(rw *w, const char *cls, const char *const *heads)
{
    (void)cls;
    for (const char *const *h = heads; *h; h++) {
        rw_raw(w, "| ");
        rw_esc(w, *h + (**h == '#'));
        rw_raw(w, " ");
    }
    rw_raw(w, "|\n|");
    for (const char *const *h = heads; *h; h++) rw_raw(w, **h == '#' ? "---:|" : "---|");
    rw_raw(w, "\n");
}

static void cell(rw *w, size_t i, const char *cls)
{
    (void)cls;
    rw_raw(w, i ? " | " : "| ");
}

static void mark(rw *w, int state)
{
    (void)w;
    (void)state;
}

static const arc_report_fmt md = {
    .name = "Markdown",
    .esc = arc_report_md_escape,
    .detail = false,
    .em = {"*", "*"},
    .strong = {"**", "**"},
    .tt = {"", ""},
    .bad = {"", ""},
    .br = "; ",
    .front = front,
    .back = back,
    .section = section,
    .section_end = "",
    .heading = heading,
    .heading_end = "\n\n",
    .para = {"", "\n\n"},
    .box = box,
    .box_end = "\n\n",
    .group = {"", ""},
    .fold = {"", "\n\n", "\n"},
    .list = {"", "\n"},
    .item = item,
    .item_end = "\n",
    .kv_begin = kv_begin,
    .kv_row = kv_row,
    .kv_row_end = kv_row_end,
    .kv_end = "\n",
    .table_begin = table_begin,
    .cell = cell,
    .row_end = " |\n",
    .table_end = "\n",
    .mark = mark,
    .code = code,
    .hash = code,
    .cell_hash = code,
    .values = values,
    .chart = NULL,
};

ts_status arc_report_md(const json_t *m, ts_buf *out, ts_error *err)
{
    return arc_report_render(&md, m, out, err);
}
