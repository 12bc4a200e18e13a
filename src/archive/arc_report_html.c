/* The report as one self-contained HTML page: inline CSS (screen and print),
 * inline SVG charts, no script, no external reference. Only the page's markup
 * is here; arc_report_walk.c decides what is said. Every string from the
 * model is HTML-escaped. */
#include <stdio.h>
#include <string.h>

#include "arc_report.h"
#include "arc_report_int.h"

/* ---- style ---- */

static const char css[] =
    ":root{--fg:#1a1a1a;--mute:#5a5a5a;--line:#d0d4d9;--head:#f1f3f5;--bar:#3b6ea5;"
    "--ok:#1d7a32;--bad:#b3261e;--warn:#8a5a00}\n"
    "html{background:#fff}\n"
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "color:var(--fg);background:#fff;max-width:1120px;margin:0 auto;padding:24px 28px 48px}\n"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 10px;padding-bottom:4px;"
    "border-bottom:2px solid var(--line)}h3{font-size:16px;margin:22px 0 8px}\n"
    ".sub{color:var(--mute);margin:0 0 16px}\n"
    "table{border-collapse:collapse;margin:6px 0 14px;font-size:13.5px}\n"
    "th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}\n"
    "th{background:var(--head);font-weight:600}\n"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    "td.t{white-space:nowrap}\n"
    "code,.hash{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12.5px}\n"
    "code{overflow-wrap:anywhere}.hash{white-space:nowrap}\n"
    "table.kv th{width:220px}\n"
    "table.hist{width:100%}table.hist td:nth-child(4){width:34%}\n"
    ".ok{color:var(--ok);font-weight:700}.bad{color:var(--bad);font-weight:700}"
    ".warn{color:var(--warn);font-weight:700}\n"
    ".notes li.error{color:var(--bad)}.notes li.warning{color:var(--warn)}\n"
    ".verdict{border:2px solid var(--line);border-radius:6px;padding:10px 14px;margin:10px 0}\n"
    ".verdict.good{border-color:var(--ok)}.verdict.badv{border-color:var(--bad)}\n"
    "details{margin:6px 0 14px}summary{cursor:pointer;color:#2a5885}\n"
    "svg{display:block;max-width:100%;height:auto;margin:6px 0 10px}\n"
    "svg text{font-family:system-ui,'DejaVu Sans',sans-serif;fill:#333}\n"
    ".tbl{margin-bottom:20px}\n"
    "footer{margin-top:40px;color:var(--mute);font-size:12.5px}\n"
    "@media print{\n"
    " @page{size:A4;margin:14mm 12mm}\n"
    " body{max-width:none;padding:0;font-size:10.5pt}\n"
    " table{font-size:8.5pt}code,.hash{font-size:7.5pt}\n"
    " section{break-before:page}section#summary{break-before:auto}\n"
    " .tbl+.tbl{break-before:page}\n"
    " h2,h3{break-after:avoid}tr,svg,.verdict{break-inside:avoid}\n"
    " summary{color:var(--fg)}\n"
    " details::details-content{content-visibility:visible;display:block}\n"
    " details>*{display:block}\n"
    " a{color:var(--fg);text-decoration:none}\n"
    "}\n";

/* ---- chart ---- */

static uint64_t nice_step(uint64_t max)
{
    uint64_t raw_step = max / 4 ? max / 4 : 1, p = 1;
    while (p <= raw_step / 10) p *= 10;
    uint64_t cands[] = {p, 2 * p, 5 * p, 10 * p};
    for (size_t i = 0; i < 4; i++)
        if (cands[i] >= raw_step) return cands[i];
    return 10 * p;
}

static void chart(rw *w, const json_t *t)
{
    const json_t *months = json_object_get(t, "months");
    size_t n = json_array_size(months);
    if (n == 0) {
        rw_raw(w, "<p><i>No records: no monthly chart.</i></p>\n");
        return;
    }
    uint64_t max = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = ru(json_array_get(months, i), "records");
        if (r > max) max = r;
    }
    uint64_t step = nice_step(max);
    uint64_t top = ((max + step - 1) / step) * step;
    if (top == 0) top = step;
    const double W = 960, H = 260, L = 78, R = 12, T = 22, B = 56;
    double pw = W - L - R, ph = H - T - B, slot = pw / (double)n;
    double bw = slot * 0.72 > 1 ? slot * 0.72 : 1;
    rw_rawf(w, "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
            "aria-label=\"",
         W, H, W, H);
    rw_escf(w, "Records per month (UTC) of table %s", rs(t, "name") ? rs(t, "name") : "");
    rw_raw(w, "\">\n");
    /* grid and y axis labels */
    for (uint64_t v = 0; v <= top; v += step) {
        double y = T + ph - ph * (double)v / (double)top;
        char g[40];
        arc_report_group(v, g, sizeof g);
        rw_rawf(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dfe3e8\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\">%s</text>\n",
             L, y, L + pw, y, L - 6, y + 4, g);
        if (step == 0) break;
    }
    /* bars */
    size_t every = n <= 12 ? 1 : (n + 11) / 12;
    for (size_t i = 0; i < n; i++) {
        const json_t *m = json_array_get(months, i);
        uint64_t r = ru(m, "records");
        double h = ph * (double)r / (double)top;
        double x = L + slot * (double)i + (slot - bw) / 2;
        char g[40];
        arc_report_group(r, g, sizeof g);
        rw_rawf(w, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#3b6ea5\">"
                "<title>",
             x, T + ph - h, bw, h);
        rw_escf(w, "%s: %s records", rs(m, "month") ? rs(m, "month") : "", g);
        rw_raw(w, "</title></rect>");
        if (n <= 24)
            rw_rawf(w, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\" text-anchor=\"middle\">%s</text>",
                 x + bw / 2, T + ph - h - 4, g);
        if (i % every == 0) {
            rw_rawf(w, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"12\" text-anchor=\"middle\">",
                 L + slot * (double)i + slot / 2, T + ph + 17);
            rw_esc(w, rs(m, "month"));
            rw_raw(w, "</text>");
        }
        rw_raw(w, "\n");
    }
    /* axes and their titles */
    rw_rawf(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
         L, T, L, T + ph, L, T + ph, L + pw, T + ph);
    rw_rawf(w, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" text-anchor=\"middle\">month (UTC)</text>\n",
         L + pw / 2, H - 10);
    rw_rawf(w, "<text x=\"16\" y=\"%.1f\" font-size=\"13\" text-anchor=\"middle\" "
            "transform=\"rotate(-90 16 %.1f)\">records</text>\n",
         T + ph / 2, T + ph / 2);
    rw_raw(w, "</svg>\n");
}

/* ---- document ---- */

static void front(rw *w, const json_t *m)
{
    rw_raw(w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              "<title>Decommissioning record: ");
    rw_esc(w, rs(m, "root"));
    rw_raw(w, "</title>\n<style>\n");
    rw_raw(w, css);
    rw_raw(w, "</style>\n</head>\n<body>\n<header>\n<h1>Decommissioning record</h1>\n"
              "<p class=\"sub\">Archive <code>");
    rw_esc(w, rs(m, "root"));
    rw_raw(w, "</code> (prefix <code>");
    rw_esc(w, rs(m, "prefix"));
    rw_raw(w, "</code>) — generated ");
    rw_esc(w, rs(m, "generated_at"));
    rw_raw(w, " by ");
    const json_t *tool = json_object_get(m, "tool");
    rw_escf(w, "tsarchive %s (build %s)", rs(tool, "version") ? rs(tool, "version") : "?",
            rs(tool, "build") ? rs(tool, "build") : "?");
    rw_raw(w, ". Every figure below is read from the archive and its audit log.</p>\n</header>\n");
}

static void back(rw *w, const json_t *m)
{
    rw_raw(w, "<footer>Report format ");
    rw_num(w, m, "report_version");
    rw_raw(w, ". The same facts: <code>tsarchive report ROOT --format json</code> or "
              "<code>--format md</code>.</footer>\n</body>\n</html>\n");
}

static void section(rw *w, const char *id, const char *title)
{
    rw_rawf(w, "<section id=\"%s\">\n<h2>", id);
    rw_esc(w, title);
    rw_raw(w, "</h2>\n");
}

static void heading(rw *w, int level)
{
    (void)level; /* the page has no level below h3 */
    rw_raw(w, "<h3>");
}

static void box(rw *w, bool good)
{
    rw_rawf(w, "<div class=\"verdict %s\">", good ? "good" : "badv");
}

static void item(rw *w, const char *cls)
{
    rw_raw(w, "<li class=\"");
    rw_esc(w, cls);
    rw_raw(w, "\">");
}

/* ---- tables ---- */

static void kv_begin(rw *w, rw_kv_style style)
{
    w->kv_style = style;
    w->kv_rows = 0;
    rw_raw(w, style == RW_KV_NL ? "<table class=\"kv\">\n" : "<table class=\"kv\">");
}

static void kv_row(rw *w, const char *key, const char *cls)
{
    if (w->kv_style == RW_KV_TIGHT && w->kv_rows) rw_raw(w, "\n");
    w->kv_rows++;
    rw_raw(w, "<tr><th>");
    rw_esc(w, key);
    if (cls)
        rw_rawf(w, "</th><td class=\"%s\">", cls);
    else
        rw_raw(w, "</th><td>");
}

static void kv_row_end(rw *w)
{
    rw_raw(w, w->kv_style == RW_KV_TIGHT ? "</td></tr>" : "</td></tr>\n");
}

static void table_begin(rw *w, const char *cls, const char *const *heads)
{
    if (cls)
        rw_rawf(w, "<table class=\"%s\"><tr>", cls);
    else
        rw_raw(w, "<table><tr>");
    for (; *heads; heads++) {
        rw_raw(w, **heads == '#' ? "<th class=\"n\">" : "<th>");
        rw_esc(w, *heads + (**heads == '#'));
        rw_raw(w, "</th>");
    }
    rw_raw(w, "</tr>\n");
}

static void cell(rw *w, size_t i, const char *cls)
{
    rw_raw(w, i ? "</td><td" : "<tr><td");
    if (cls) rw_rawf(w, " class=\"%s\"", cls);
    rw_raw(w, ">");
}

/* ---- values ---- */

static void mark(rw *w, int state)
{
    rw_raw(w, state > 0 ? "<span class=\"ok\">&#10003;</span> "
              : state == 0 ? "<span class=\"bad\">&#10007;</span> "
                           : "<span class=\"warn\">!</span> ");
}

static void code(rw *w, const char *s)
{
    rw_raw(w, "<code>");
    rw_esc(w, s);
    rw_raw(w, "</code>");
}

static void hash(rw *w, const char *s)
{
    rw_raw(w, "<span class=\"hash\">");
    rw_esc(w, s);
    rw_raw(w, "</span>");
}

/* the cell's class sets the hash */
static void cell_hash(rw *w, const char *s)
{
    rw_esc(w, s);
}

static void values(rw *w, const json_t *a)
{
    size_t i;
    const json_t *v;
    json_array_foreach(a, i, v) {
        if (i) rw_raw(w, ", ");
        rw_esc(w, json_string_value(v));
    }
}

static const arc_report_fmt html = {
    .name = "HTML",
    .esc = arc_report_html_escape,
    .detail = true,
    .em = {"<i>", "</i>"},
    .strong = {"<b>", "</b>"},
    .tt = {"<code>", "</code>"},
    .bad = {"<span class=\"bad\">", "</span>"},
    .br = "<br>",
    .front = front,
    .back = back,
    .section = section,
    .section_end = "</section>\n",
    .heading = heading,
    .heading_end = "</h3>\n",
    .para = {"<p>", "</p>\n"},
    .box = box,
    .box_end = "</div>\n",
    .group = {"<div class=\"tbl\">\n", "</div>\n"},
    .fold = {"<details><summary>", "</summary>\n", "</table></details>\n"},
    .list = {"<ul class=\"notes\">\n", "</ul>\n"},
    .item = item,
    .item_end = "</li>\n",
    .kv_begin = kv_begin,
    .kv_row = kv_row,
    .kv_row_end = kv_row_end,
    .kv_end = "</table>\n",
    .table_begin = table_begin,
    .cell = cell,
    .row_end = "</td></tr>\n",
    .table_end = "</table>\n",
    .mark = mark,
    .code = code,
    .hash = hash,
    .cell_hash = cell_hash,
    .values = values,
    .chart = chart,
};

ts_status arc_report_html(const json_t *m, ts_buf *out, ts_error *err)
{
    return arc_report_render(&html, m, out, err);
}
