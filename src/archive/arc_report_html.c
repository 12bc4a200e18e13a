/* The report as one self-contained HTML page: inline CSS (screen and print),
 * inline SVG charts, no script, no external reference. Every string from the
 * model is HTML-escaped. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arc_report.h"
#include "arc_report_int.h"

/* ---- writer ---- */

static void rawf(rw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rawf(rw *w, const char *fmt, ...)
{
    char m[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    rw_raw(w, m);
}

/* A string field, or the given text (in italics) when it is absent. */
/* "N word" with the word's plural when N is not 1. */
static void mark(rw *w, int state) /* 1 ok, 0 problem, -1 warning/absent */
{
    rw_raw(w, state > 0 ? "<span class=\"ok\">&#10003;</span> "
                     : state == 0 ? "<span class=\"bad\">&#10007;</span> "
                                  : "<span class=\"warn\">!</span> ");
}

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
    rawf(w, "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
            "aria-label=\"",
         W, H, W, H);
    rw_escf(w, "Records per month (UTC) of table %s", rs(t, "name") ? rs(t, "name") : "");
    rw_raw(w, "\">\n");
    /* grid and y axis labels */
    for (uint64_t v = 0; v <= top; v += step) {
        double y = T + ph - ph * (double)v / (double)top;
        char g[40];
        arc_report_group(v, g, sizeof g);
        rawf(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dfe3e8\"/>"
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
        rawf(w, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#3b6ea5\">"
                "<title>",
             x, T + ph - h, bw, h);
        rw_escf(w, "%s: %s records", rs(m, "month") ? rs(m, "month") : "", g);
        rw_raw(w, "</title></rect>");
        if (n <= 24)
            rawf(w, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\" text-anchor=\"middle\">%s</text>",
                 x + bw / 2, T + ph - h - 4, g);
        if (i % every == 0) {
            rawf(w, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"12\" text-anchor=\"middle\">",
                 L + slot * (double)i + slot / 2, T + ph + 17);
            rw_esc(w, rs(m, "month"));
            rw_raw(w, "</text>");
        }
        rw_raw(w, "\n");
    }
    /* axes and their titles */
    rawf(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
         L, T, L, T + ph, L, T + ph, L + pw, T + ph);
    rawf(w, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" text-anchor=\"middle\">month (UTC)</text>\n",
         L + pw / 2, H - 10);
    rawf(w, "<text x=\"16\" y=\"%.1f\" font-size=\"13\" text-anchor=\"middle\" "
            "transform=\"rotate(-90 16 %.1f)\">records</text>\n",
         T + ph / 2, T + ph / 2);
    rw_raw(w, "</svg>\n");
}

static void kv_inline(rw *w, const json_t *o)
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
            free(t);
        }
    }
}

/* ---- retention ---- */

static const char *verdict_text(const char *v)
{
    if (!v) return "no verdict";
    if (strcmp(v, "holds") == 0) return "holds";
    if (strcmp(v, "does_not_hold") == 0) return "does not hold";
    if (strcmp(v, "cannot_hold") == 0) return "cannot hold";
    return v;
}

/* An integer field or "-" when absent/null. */
static void assessment_html(rw *w, const json_t *r, const json_t *a)
{
    bool s3 = rs(r, "kind") && strcmp(rs(r, "kind"), "s3") == 0;
    const char *v = rs(a, "verdict");
    rw_raw(w, "<table class=\"kv\"><tr><th>policy</th><td>");
    rw_escf(w, "keep every archive object %lld years from its export",
         (long long)json_integer_value(json_object_get(a, "years")));
    rw_raw(w, "</td></tr>\n<tr><th>verdict</th><td>");
    mark(w, v && strcmp(v, "holds") == 0 ? 1 : 0);
    rw_raw(w, "<b>");
    rw_esc(w, verdict_text(v));
    rw_raw(w, "</b></td></tr>\n<tr><th>assessed at</th><td>");
    rw_field(w, a, "assessed_at", "?");
    rw_raw(w, "</td></tr>\n");
    const json_t *b = json_object_get(a, "bucket_settings");
    if (s3 && json_is_object(b)) {
        const json_t *ol = json_object_get(b, "object_lock");
        rw_raw(w, "<tr><th>bucket versioning</th><td>");
        rw_field(w, b, "versioning", "never enabled");
        rw_raw(w, " (MFA delete: ");
        rw_yesno(w, b, "mfa_delete");
        rw_raw(w, ")</td></tr>\n<tr><th>Object Lock</th><td>");
        if (rb(ol, "enabled")) {
            rw_raw(w, "enabled; default retention ");
            if (rs(ol, "default_mode")) {
                rw_esc(w, rs(ol, "default_mode"));
                rw_raw(w, ", days ");
                rw_optnum(w, ol, "default_days");
                rw_raw(w, ", years ");
                rw_optnum(w, ol, "default_years");
            } else {
                rw_raw(w, "none");
            }
        } else {
            rw_raw(w, "<b>not enabled</b> on the bucket");
        }
        rw_raw(w, "</td></tr>\n<tr><th>lifecycle</th><td>");
        rw_raw(w, rb(b, "lifecycle_configuration") ? "configured: " : "<b>no configuration</b>: ");
        rw_escf(w, "%zu rule(s) touch the archive prefix, %lld other rule(s)",
             json_array_size(json_object_get(b, "lifecycle_rules")),
             (long long)json_integer_value(json_object_get(b, "other_lifecycle_rules")));
        rw_raw(w, "</td></tr>\n");
    }
    rw_raw(w, "<tr><th>archive objects</th><td>");
    rw_num(w, a, "objects_held");
    rw_raw(w, " held of ");
    rw_num(w, a, "objects_total");
    rw_raw(w, "; ");
    rw_num(w, a, "objects_exposed");
    rw_raw(w, " could be deleted or overwritten before their date</td></tr>\n"
           "<tr><th>latest lock until</th><td>");
    rw_field(w, a, "latest_lock_until", "no object is locked");
    rw_raw(w, "</td></tr>\n");
    if (rs(a, "unreadable") && *rs(a, "unreadable")) {
        rw_raw(w, "<tr><th>could not read</th><td>");
        rw_esc(w, rs(a, "unreadable"));
        rw_raw(w, "</td></tr>\n");
    }
    rw_raw(w, "</table>\n<h3>Rules of the policy</h3>\n<table><tr><th>rule</th><th>verdict</th>"
           "<th>required</th><th>why</th></tr>\n");
    size_t i;
    const json_t *ru;
    json_array_foreach(json_object_get(a, "rules"), i, ru) {
        const char *rv = rs(ru, "verdict");
        rw_raw(w, "<tr><td>");
        rw_esc(w, rs(ru, "rule"));
        rw_raw(w, "</td><td class=\"t\">");
        mark(w, rv && strcmp(rv, "holds") == 0 ? 1 : rb(ru, "required") ? 0 : -1);
        rw_esc(w, verdict_text(rv));
        rw_raw(w, "</td><td>");
        rw_yesno(w, ru, "required");
        rw_raw(w, "</td><td>");
        rw_esc(w, rs(ru, "why"));
        rw_raw(w, "</td></tr>\n");
    }
    rw_raw(w, "</table>\n");
    const json_t *lcs = b ? json_object_get(b, "lifecycle_rules") : NULL;
    if (json_array_size(lcs)) {
        rw_raw(w, "<h3>Lifecycle rules for the archive prefix</h3>\n<table><tr><th>id</th>"
               "<th>enabled</th><th>prefix</th><th>transitions</th><th>expiration (days)</th>"
               "<th>noncurrent expiration (days)</th></tr>\n");
        const json_t *lc;
        json_array_foreach(lcs, i, lc) {
            rw_raw(w, "<tr><td><code>");
            rw_esc(w, rs(lc, "id"));
            rw_raw(w, "</code></td><td>");
            rw_yesno(w, lc, "enabled");
            rw_raw(w, "</td><td><code>");
            rw_esc(w, rs(lc, "prefix"));
            rw_raw(w, "</code></td><td>");
            size_t k;
            const json_t *t;
            json_array_foreach(json_object_get(lc, "transitions"), k, t) {
                if (k) rw_raw(w, "<br>");
                rw_esc(w, rs(t, "storage_class"));
                if (json_is_integer(json_object_get(t, "days"))) {
                    rw_raw(w, " after ");
                    rw_optnum(w, t, "days");
                    rw_raw(w, " days");
                } else if (rs(t, "date")) {
                    rw_raw(w, " on ");
                    rw_esc(w, rs(t, "date"));
                }
                if (rb(t, "noncurrent")) rw_raw(w, " (noncurrent versions)");
            }
            rw_raw(w, "</td><td>");
            if (rs(lc, "expiration_date"))
                rw_esc(w, rs(lc, "expiration_date"));
            else
                rw_optnum(w, lc, "expiration_days");
            rw_raw(w, "</td><td>");
            rw_optnum(w, lc, "noncurrent_expiration_days");
            rw_raw(w, "</td></tr>\n");
        }
        rw_raw(w, "</table>\n");
    }
    const json_t *objs = json_object_get(a, "objects");
    if (json_array_size(objs)) {
        rw_raw(w, "<details><summary>");
        rw_escf(w, "Retention of every archive object (%zu)", json_array_size(objs));
        rw_raw(w, "</summary>\n<table><tr><th>object</th><th>storage class</th><th>lock</th>"
               "<th>locked until</th><th>required until</th><th>held</th></tr>\n");
        const json_t *o;
        json_array_foreach(objs, i, o) {
            rw_raw(w, "<tr><td><code>");
            rw_esc(w, rs(o, "key"));
            rw_raw(w, "</code>");
            if (json_is_false(json_object_get(o, "present"))) rw_raw(w, " <b>(absent)</b>");
            rw_raw(w, "</td><td>");
            rw_field(w, o, "storage_class", "-");
            rw_raw(w, "</td><td>");
            rw_field(w, o, "lock_mode", "none");
            if (rb(o, "legal_hold")) rw_raw(w, ", legal hold");
            rw_raw(w, "</td><td class=\"t\">");
            rw_field(w, o, "lock_until", "-");
            rw_raw(w, "</td><td class=\"t\">");
            rw_field(w, o, "required_until", "-");
            rw_raw(w, "</td><td>");
            mark(w, rb(o, "held") ? 1 : 0);
            rw_yesno(w, o, "held");
            rw_raw(w, "</td></tr>\n");
        }
        rw_raw(w, "</table></details>\n");
    }
}

static void retention_summary_html(rw *w, const json_t *r)
{
    const char *kind = rs(r, "kind");
    if (kind && strcmp(kind, "local") == 0) {
        mark(w, -1);
        rw_raw(w, "<b>not enforceable</b> on a local directory");
        return;
    }
    if (rs(r, "source") && strcmp(rs(r, "source"), "assessment") == 0) {
        const json_t *a = json_object_get(r, "assessment");
        const char *v = rs(a, "verdict");
        bool holds = v && strcmp(v, "holds") == 0;
        mark(w, holds ? 1 : 0);
        rw_raw(w, "<b>");
        rw_esc(w, verdict_text(v));
        rw_raw(w, "</b>");
        rw_escf(w, " (%lld-year policy): ", (long long)json_integer_value(json_object_get(a, "years")));
        rw_num(w, a, "objects_held");
        rw_raw(w, " of ");
        rw_num(w, a, "objects_total");
        rw_raw(w, " archive objects held until their date");
        return;
    }
    bool all = rb(r, "enforceable");
    mark(w, all ? 1 : -1);
    rw_num(w, r, "locked");
    rw_raw(w, " of ");
    rw_num(w, r, "objects_checked");
    rw_raw(w, " archive objects under an Object Lock");
    if (rs(r, "earliest_until")) {
        rw_raw(w, " (earliest until ");
        rw_esc(w, rs(r, "earliest_until"));
        rw_raw(w, ")");
    }
    rw_raw(w, "; bucket settings not assessed");
}

static void retention_detail_html(rw *w, const json_t *r)
{
    const char *kind = rs(r, "kind");
    if (kind && strcmp(kind, "local") == 0) {
        rw_raw(w, "<p>");
        mark(w, -1);
        rw_esc(w, rs(r, "statement"));
        rw_raw(w, "</p>\n");
    }
    if (rs(r, "assessment_error")) {
        rw_raw(w, "<p>");
        mark(w, -1);
        rw_raw(w, "<b>The retention settings could not be assessed:</b> ");
        rw_esc(w, rs(r, "assessment_error"));
        rw_raw(w, "</p>\n");
    }
    if (kind && strcmp(kind, "local") == 0 && !json_object_get(r, "assessment")) return;
    if (rs(r, "source") && strcmp(rs(r, "source"), "assessment") == 0) {
        assessment_html(w, r, json_object_get(r, "assessment"));
        return;
    }
    rw_raw(w, "<p>");
    rw_esc(w, rs(r, "statement"));
    rw_raw(w, "</p>\n<table class=\"kv\"><tr><th>objects checked</th><td>");
    rw_num(w, r, "objects_checked");
    if (ru(r, "objects_not_checked")) {
        rw_raw(w, " (");
        rw_num(w, r, "objects_not_checked");
        rw_raw(w, " not checked)");
    }
    rw_raw(w, "</td></tr>\n<tr><th>locked now</th><td>");
    rw_num(w, r, "locked");
    const json_t *modes = json_object_get(r, "modes");
    if (json_object_size(modes)) {
        rw_raw(w, " (");
        kv_inline(w, modes);
        rw_raw(w, ")");
    }
    rw_raw(w, "</td></tr>\n<tr><th>lock expired</th><td>");
    rw_num(w, r, "lock_expired");
    rw_raw(w, "</td></tr>\n<tr><th>never locked</th><td>");
    rw_num(w, r, "unlocked");
    rw_raw(w, "</td></tr>\n<tr><th>locked until</th><td>");
    rw_field(w, r, "earliest_until", "-");
    rw_raw(w, " (earliest) to ");
    rw_field(w, r, "latest_until", "-");
    rw_raw(w, " (latest)</td></tr>\n");
    const json_t *ex = json_object_get(r, "unlocked_examples");
    if (json_array_size(ex)) {
        rw_raw(w, "<tr><th>unlocked objects (first)</th><td>");
        size_t i;
        const json_t *e;
        json_array_foreach(ex, i, e) {
            if (i) rw_raw(w, "<br>");
            rw_raw(w, "<code>");
            rw_esc(w, json_string_value(e));
            rw_raw(w, "</code>");
        }
        rw_raw(w, "</td></tr>\n");
    }
    rw_raw(w, "</table>\n");
}

/* ---- sections ---- */

static void summary(rw *w, const json_t *m)
{
    const json_t *tot = json_object_get(m, "totals");
    const json_t *st = json_object_get(m, "storage");
    const json_t *lv = json_object_get(m, "latest_verify");
    const json_t *ch = json_object_get(json_object_get(m, "audit"), "chain");
    const json_t *ret = json_object_get(m, "retention");
    bool problems = arc_report_has_problems(m);
    rw_raw(w, "<section id=\"summary\">\n<h2>Summary</h2>\n");
    rawf(w, "<div class=\"verdict %s\">", problems ? "badv" : "good");
    mark(w, problems ? 0 : 1);
    size_t nwarn = 0, i;
    const json_t *n;
    json_array_foreach(json_object_get(m, "notes"), i, n)
        if (rs(n, "level") && strcmp(rs(n, "level"), "warning") == 0) nwarn++;
    if (problems)
        rw_raw(w, "<b>This record shows problems</b> (listed below): the archive cannot be vouched "
               "for as it stands.");
    else if (nwarn)
        rw_escf(w, "No problem is recorded; %zu warning%s below.", nwarn, nwarn == 1 ? "" : "s");
    else
        rw_raw(w, "<b>No problem is recorded</b>: manifests readable and matching their exports' "
               "log entries, audit chain intact, latest verify run passed.");
    rw_raw(w, "</div>\n<table class=\"kv\">\n");
    rw_raw(w, "<tr><th>Archived</th><td>");
    rw_numw(w, tot, "records", "record", "records");
    rw_raw(w, " in ");
    rw_numw(w, tot, "tables", "table", "tables");
    rw_raw(w, " of ");
    rw_numw(w, tot, "databases", "database", "databases");
    rw_raw(w, "; ");
    rw_num(w, tot, "files");
    rw_raw(w, " Parquet files, ");
    rw_bytes(w, ru(tot, "bytes"));
    rw_raw(w, "</td></tr>\n<tr><th>Stored in</th><td>");
    if (rs(st, "bucket")) {
        rw_raw(w, "S3 bucket <code>");
        rw_esc(w, rs(st, "bucket"));
        rw_raw(w, "</code>, prefix <code>");
        rw_esc(w, rs(st, "key_prefix"));
        rw_raw(w, "</code>");
    } else {
        rw_raw(w, "local directory <code>");
        rw_esc(w, rs(st, "path"));
        rw_raw(w, "</code>");
    }
    rw_raw(w, "</td></tr>\n<tr><th>Latest verify</th><td>");
    if (!rb(lv, "present")) {
        mark(w, -1);
        rw_raw(w, "<b>No verify run yet</b> (none is recorded in the audit log)");
    } else {
        mark(w, rb(lv, "passed") ? 1 : 0);
        rw_raw(w, rb(lv, "passed") ? "passed" : "<b>did not pass</b>");
        rw_raw(w, " — ");
        rw_field(w, lv, "started", "time unknown");
        rw_raw(w, ", outcome ");
        rw_field(w, lv, "outcome", "none (the run did not finish)");
        rw_raw(w, ", ");
        rw_num(w, json_object_get(lv, "counts"), "files_checked");
        rw_raw(w, " files, ");
        rw_num(w, json_object_get(lv, "counts"), "rows_decoded");
        rw_raw(w, " rows decoded, ");
        rw_num(w, json_object_get(lv, "counts"), "errors");
        rw_raw(w, " errors");
    }
    rw_raw(w, "</td></tr>\n<tr><th>Audit chain</th><td>");
    if (rb(ch, "ok")) {
        mark(w, ru(ch, "objects") ? 1 : -1);
        if (ru(ch, "objects")) {
            rw_raw(w, "intact: ");
            rw_numw(w, ch, "runs", "run", "runs");
            rw_raw(w, ", ");
            rw_num(w, ch, "entries");
            rw_raw(w, " entries; head <span class=\"hash\">");
            rw_esc(w, rs(ch, "head"));
            rw_raw(w, "</span>");
        } else {
            rw_raw(w, "<b>no audit log</b>");
        }
    } else {
        mark(w, 0);
        rw_raw(w, "<b>BROKEN</b>");
        if (rs(ch, "broken_object")) {
            rw_raw(w, " at <code>");
            rw_esc(w, rs(ch, "broken_object"));
            rw_raw(w, "</code>");
            if (json_object_get(ch, "broken_line")) {
                rw_raw(w, " line ");
                rw_num(w, ch, "broken_line");
            }
        }
        rw_raw(w, ": ");
        rw_esc(w, rs(ch, "error"));
    }
    rw_raw(w, "</td></tr>\n<tr><th>Retention</th><td>");
    retention_summary_html(w, ret);
    rw_raw(w, "</td></tr>\n</table>\n");
    const json_t *notes = json_object_get(m, "notes");
    if (json_array_size(notes)) {
        rw_raw(w, "<h3>Findings of this report</h3>\n<ul class=\"notes\">\n");
        json_array_foreach(notes, i, n) {
            rw_raw(w, "<li class=\"");
            rw_esc(w, rs(n, "level"));
            rw_raw(w, "\">");
            rw_esc(w, rs(n, "level"));
            rw_raw(w, ": ");
            rw_esc(w, rs(n, "text"));
            rw_raw(w, "</li>\n");
        }
        rw_raw(w, "</ul>\n");
    }
    rw_raw(w, "</section>\n");
}

static void columns_table(rw *w, const json_t *t)
{
    rw_raw(w, "<table><tr><th>column</th><th>role</th><th>archive type</th><th>source type</th></tr>\n");
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(t, "columns"), i, c) {
        rw_raw(w, "<tr><td><code>");
        rw_esc(w, rs(c, "name"));
        rw_raw(w, "</code></td><td>");
        rw_esc(w, rs(c, "role"));
        rw_raw(w, "</td><td>");
        rw_esc(w, rs(c, "type"));
        rw_raw(w, "</td><td>");
        rw_esc(w, rs(c, "source_type"));
        rw_raw(w, "</td></tr>\n");
    }
    rw_raw(w, "</table>\n");
}

static void archived(rw *w, const json_t *m)
{
    rw_raw(w, "<section id=\"archived\">\n<h2>What was archived</h2>\n");
    size_t i, j;
    const json_t *db, *t;
    json_array_foreach(json_object_get(m, "databases"), i, db) {
        rw_raw(w, "<h3>Database <code>");
        rw_esc(w, rs(db, "name"));
        rw_raw(w, "</code></h3>\n");
        const json_t *mj = json_object_get(db, "manifest");
        if (!rb(mj, "present") || !rb(mj, "valid")) {
            rw_raw(w, "<p>");
            mark(w, 0);
            rw_raw(w, "<b>Its manifest is ");
            rw_raw(w, rb(mj, "present") ? "unreadable" : "missing");
            rw_raw(w, "</b>");
            if (rs(mj, "error")) {
                rw_raw(w, ": ");
                rw_esc(w, rs(mj, "error"));
            }
            rw_raw(w, ". Nothing in this database can be vouched for.</p>\n");
            continue;
        }
        const json_t *src = json_object_get(db, "source");
        rw_raw(w, "<table class=\"kv\"><tr><th>source</th><td>");
        rw_field(w, src, "kind", "unknown");
        rw_raw(w, " <code>");
        rw_esc(w, rs(src, "database"));
        rw_raw(w, "</code>");
        if (rs(src, "region")) {
            rw_raw(w, ", region ");
            rw_esc(w, rs(src, "region"));
        }
        if (rs(src, "endpoint")) {
            rw_raw(w, ", endpoint <code>");
            rw_esc(w, rs(src, "endpoint"));
            rw_raw(w, "</code>");
        }
        rw_raw(w, "</td></tr>\n<tr><th>export</th><td>id <code>");
        rw_esc(w, rs(mj, "export_id"));
        rw_raw(w, "</code>, ");
        rw_field(w, mj, "started_at", "?");
        rw_raw(w, " to ");
        rw_field(w, mj, "finished_at", "?");
        rw_raw(w, "</td></tr>\n<tr><th>compression</th><td>");
        rw_esc(w, rs(mj, "compression"));
        rw_raw(w, "</td></tr>\n<tr><th>totals</th><td>");
        const json_t *tt = json_object_get(db, "totals");
        rw_numw(w, tt, "records", "record", "records");
        rw_raw(w, ", ");
        rw_numw(w, tt, "tables", "table", "tables");
        rw_raw(w, ", ");
        rw_numw(w, tt, "files", "file", "files");
        rw_raw(w, ", ");
        rw_bytes(w, ru(tt, "bytes"));
        rw_raw(w, "</td></tr></table>\n");
        json_array_foreach(json_object_get(db, "tables"), j, t) {
            rw_raw(w, "<div class=\"tbl\">\n<h3>Table <code>");
            rw_esc(w, rs(db, "name"));
            rw_raw(w, ".");
            rw_esc(w, rs(t, "name"));
            rw_raw(w, "</code></h3>\n<table class=\"kv\"><tr><th>records</th><td class=\"n\">");
            rw_num(w, t, "records");
            rw_raw(w, "</td></tr>\n<tr><th>first record</th><td>");
            rw_field(w, t, "min_time", "none (empty table)");
            rw_raw(w, "</td></tr>\n<tr><th>last record</th><td>");
            rw_field(w, t, "max_time", "none (empty table)");
            rw_raw(w, "</td></tr>\n<tr><th>files</th><td>");
            rw_escf(w, "%zu, ", json_array_size(json_object_get(t, "files")));
            rw_bytes(w, ru(t, "bytes"));
            rw_raw(w, "</td></tr>\n<tr><th>time</th><td>");
            rw_escf(w, "%s%s", rs(t, "time_unit") && strcmp(rs(t, "time_unit"), "ns") == 0
                                 ? "TIMESTAMP(NANOS)" : "TIMESTAMP(MICROS)",
                 rb(t, "time_ns") ? " plus exact nanoseconds in time_ns" : "");
            rw_raw(w, "</td></tr></table>\n<h3>Columns</h3>\n");
            columns_table(w, t);
            rw_raw(w, "<h3>Records per month</h3>\n");
            chart(w, t);
            rw_raw(w, "<table><tr><th>month (UTC)</th><th class=\"n\">records</th><th>first</th>"
                   "<th>last</th><th class=\"n\">bytes</th></tr>\n");
            size_t k;
            const json_t *f;
            json_array_foreach(json_object_get(t, "files"), k, f) {
                rw_raw(w, "<tr><td>");
                rw_field(w, f, "month", "-");
                rw_raw(w, "</td><td class=\"n\">");
                rw_num(w, f, "records");
                rw_raw(w, "</td><td class=\"t\">");
                rw_field(w, f, "min_time", "-");
                rw_raw(w, "</td><td class=\"t\">");
                rw_field(w, f, "max_time", "-");
                rw_raw(w, "</td><td class=\"n\">");
                rw_num(w, f, "size");
                rw_raw(w, "</td></tr>\n");
            }
            rw_raw(w, "</table>\n</div>\n");
        }
    }
    if (!json_array_size(json_object_get(m, "databases")))
        rw_raw(w, "<p><i>No database is stored in this archive.</i></p>\n");
    rw_raw(w, "</section>\n");
}

static void where(rw *w, const json_t *m)
{
    const json_t *st = json_object_get(m, "storage");
    rw_raw(w, "<section id=\"where\">\n<h2>Where it is stored</h2>\n<table class=\"kv\">\n");
    if (rs(st, "bucket")) {
        rw_raw(w, "<tr><th>storage</th><td>Amazon S3</td></tr>\n<tr><th>bucket</th><td><code>");
        rw_esc(w, rs(st, "bucket"));
        rw_raw(w, "</code></td></tr>\n<tr><th>prefix</th><td><code>");
        rw_esc(w, rs(st, "key_prefix"));
        rw_raw(w, "</code></td></tr>\n<tr><th>region</th><td>");
        rw_field(w, st, "region", "not configured");
        rw_raw(w, "</td></tr>\n");
    } else {
        rw_raw(w, "<tr><th>storage</th><td>local directory</td></tr>\n<tr><th>path</th><td><code>");
        rw_escf(w, "%s/%s", rs(st, "path") ? rs(st, "path") : "", rs(st, "archive_prefix") ? rs(st, "archive_prefix") : "");
        rw_raw(w, "</code></td></tr>\n");
    }
    rw_raw(w, "<tr><th>objects</th><td>");
    rw_num(w, st, "objects");
    rw_raw(w, ", ");
    rw_bytes(w, ru(st, "bytes"));
    rw_raw(w, "</td></tr>\n</table>\n<table><tr><th>kind</th><th class=\"n\">objects</th>"
           "<th class=\"n\">bytes</th></tr>\n");
    static const char *const kinds[][2] = {{"data_files", "Parquet data files"},
                                           {"manifests", "manifests (export_metadata.json)"},
                                           {"audit_log", "audit log (_audit/)"},
                                           {"other", "other objects"}};
    for (size_t i = 0; i < 4; i++) {
        const json_t *k = json_object_get(st, kinds[i][0]);
        rw_raw(w, "<tr><td>");
        rw_esc(w, kinds[i][1]);
        rw_raw(w, "</td><td class=\"n\">");
        rw_num(w, k, "objects");
        rw_raw(w, "</td><td class=\"n\">");
        rw_num(w, k, "bytes");
        rw_raw(w, "</td></tr>\n");
    }
    rw_raw(w, "</table>\n</section>\n");
}

static void verify_html(rw *w, const json_t *lv)
{
    rw_raw(w, "<h3>Latest verify run</h3>\n");
    if (!rb(lv, "present")) {
        rw_raw(w, "<p>");
        mark(w, -1);
        rw_raw(w, "<b>No verify run yet.</b> The audit log records no <code>tsarchive verify</code> "
               "of this archive.</p>\n");
        return;
    }
    const json_t *c = json_object_get(lv, "counts");
    rw_raw(w, "<table class=\"kv\"><tr><th>result</th><td>");
    mark(w, rb(lv, "passed") ? 1 : 0);
    rw_raw(w, rb(lv, "passed") ? "passed" : "<b>did not pass</b>");
    rw_raw(w, " (outcome ");
    rw_field(w, lv, "outcome", "none: the run did not finish");
    if (json_object_get(c, "exit_code")) {
        rw_raw(w, ", exit code ");
        rw_num(w, c, "exit_code");
    }
    rw_raw(w, ")</td></tr>\n<tr><th>when</th><td>");
    rw_field(w, lv, "started", "?");
    rw_raw(w, " to ");
    rw_field(w, lv, "ended", "no end entry");
    rw_raw(w, "</td></tr>\n<tr><th>scope</th><td>");
    rw_esc(w, rs(lv, "scope"));
    const json_t *dbs = json_object_get(lv, "databases");
    if (json_array_size(dbs)) {
        rw_raw(w, "; databases ");
        size_t i;
        const json_t *d;
        json_array_foreach(dbs, i, d) {
            if (i) rw_raw(w, ", ");
            rw_esc(w, json_string_value(d));
        }
    } else {
        rw_raw(w, "; every database");
    }
    if (rs(lv, "against")) {
        rw_raw(w, "; compared with ");
        rw_esc(w, rs(lv, "against"));
    }
    rw_raw(w, "</td></tr>\n<tr><th>checked</th><td>");
    rw_numw(w, c, "files_checked", "file", "files");
    rw_raw(w, ", ");
    rw_bytes(w, ru(c, "bytes_checked"));
    rw_raw(w, ", ");
    rw_num(w, c, "rows_decoded");
    rw_raw(w, " rows decoded</td></tr>\n<tr><th>findings</th><td>");
    rw_numw(w, c, "errors", "error", "errors");
    rw_raw(w, ", ");
    rw_numw(w, c, "warnings", "warning", "warnings");
    const json_t *f = json_object_get(lv, "findings");
    if (json_object_size(f)) {
        rw_raw(w, " (");
        const char *k;
        const json_t *v;
        bool first = true;
        json_object_foreach((json_t *)f, k, v) {
            if (!first) rw_raw(w, ", ");
            first = false;
            rw_escf(w, "%s: %lld", k, (long long)json_integer_value(v));
        }
        rw_raw(w, ")");
    }
    if (rs(lv, "error")) {
        rw_raw(w, "; error: ");
        rw_esc(w, rs(lv, "error"));
    }
    rw_raw(w, "</td></tr>\n<tr><th>audit object</th><td><code>");
    rw_esc(w, rs(lv, "object"));
    rw_raw(w, "</code></td></tr>\n</table>\n");
    if (rb(lv, "export_after"))
        rw_raw(w, "<p><span class=\"warn\">!</span> An export ran after this verify run; it is not "
               "covered by it.</p>\n");
}

static void integrity(rw *w, const json_t *m)
{
    rw_raw(w, "<section id=\"integrity\">\n<h2>Integrity proof</h2>\n<h3>Manifests</h3>\n"
           "<table class=\"kv\">\n");
    size_t i;
    const json_t *db;
    json_array_foreach(json_object_get(m, "databases"), i, db) {
        const json_t *mj = json_object_get(db, "manifest");
        rw_raw(w, "<tr><th>database</th><td><b><code>");
        rw_esc(w, rs(db, "name"));
        rw_raw(w, "</code></b></td></tr>\n<tr><th>manifest</th><td><code>");
        rw_esc(w, rs(mj, "key"));
        rw_raw(w, "</code></td></tr>\n<tr><th>SHA-256 of the manifest</th><td class=\"hash\">");
        rw_field(w, mj, "sha256", "absent");
        rw_raw(w, "</td></tr>\n<tr><th>as logged by its export</th><td>");
        const json_t *match = json_object_get(mj, "matches_log");
        if (json_is_true(match)) {
            mark(w, 1);
            rw_raw(w, "matches (<code>");
            rw_esc(w, rs(mj, "logged_by"));
            rw_raw(w, "</code>)");
        } else if (json_is_false(match)) {
            mark(w, 0);
            rw_raw(w, "<b>differs</b>: logged <span class=\"hash\">");
            rw_esc(w, rs(mj, "logged_sha256"));
            rw_raw(w, "</span>");
        } else {
            mark(w, -1);
            rw_raw(w, "<i>no write-manifest entry in the audit log</i>");
        }
        rw_raw(w, "</td></tr>\n");
    }
    rw_raw(w, "</table>\n<h3>SHA-256 of every data file</h3>\n");
    json_array_foreach(json_object_get(m, "databases"), i, db) {
        size_t j, nfiles = 0;
        const json_t *t;
        json_array_foreach(json_object_get(db, "tables"), j, t)
            nfiles += json_array_size(json_object_get(t, "files"));
        rw_raw(w, "<details><summary>Database <code>");
        rw_esc(w, rs(db, "name"));
        rw_raw(w, "</code>: ");
        rw_escf(w, "%zu file%s", nfiles, nfiles == 1 ? "" : "s");
        rw_raw(w, " (as listed in its manifest)</summary>\n<table><tr><th>file</th>"
               "<th class=\"n\">bytes</th><th>SHA-256</th></tr>\n");
        json_array_foreach(json_object_get(db, "tables"), j, t) {
            size_t k;
            const json_t *f;
            json_array_foreach(json_object_get(t, "files"), k, f) {
                rw_raw(w, "<tr><td><code>");
                rw_esc(w, rs(f, "path"));
                rw_raw(w, "</code></td><td class=\"n\">");
                rw_num(w, f, "size");
                rw_raw(w, "</td><td class=\"hash\">");
                rw_esc(w, rs(f, "sha256"));
                rw_raw(w, "</td></tr>\n");
            }
        }
        rw_raw(w, "</table></details>\n");
    }
    verify_html(w, json_object_get(m, "latest_verify"));
    const json_t *ch = json_object_get(json_object_get(m, "audit"), "chain");
    rw_raw(w, "<h3>Audit chain</h3>\n<table class=\"kv\"><tr><th>state</th><td>");
    if (rb(ch, "ok") && ru(ch, "objects")) {
        mark(w, 1);
        rw_raw(w, "intact (the check of <code>tsarchive audit verify</code> passes)");
    } else if (rb(ch, "ok")) {
        mark(w, -1);
        rw_raw(w, "<b>no audit log</b>");
    } else {
        mark(w, 0);
        rw_raw(w, "<b>BROKEN</b>: ");
        rw_esc(w, rs(ch, "error"));
    }
    rw_raw(w, "</td></tr>\n");
    if (rb(ch, "ok")) {
        rw_raw(w, "<tr><th>runs</th><td>");
        rw_num(w, ch, "runs");
        rw_raw(w, "</td></tr>\n<tr><th>entries</th><td>");
        rw_num(w, ch, "entries");
        rw_raw(w, "</td></tr>\n<tr><th>head hash</th><td class=\"hash\">");
        rw_esc(w, rs(ch, "head"));
        rw_raw(w, "</td></tr>\n");
    } else {
        if (rs(ch, "broken_object")) {
            rw_raw(w, "<tr><th>where</th><td><code>");
            rw_esc(w, rs(ch, "broken_object"));
            rw_raw(w, "</code>");
            if (json_object_get(ch, "broken_line")) {
                rw_raw(w, ", line ");
                rw_num(w, ch, "broken_line");
            }
            rw_raw(w, "</td></tr>\n");
        }
        rw_raw(w, "<tr><th>head hash</th><td><i>none: a broken chain has no trustworthy head</i></td></tr>\n");
    }
    rw_raw(w, "<tr><th>log objects</th><td>");
    rw_num(w, ch, "objects");
    rw_raw(w, "</td></tr>\n</table>\n</section>\n");
}

static void retention(rw *w, const json_t *m)
{
    rw_raw(w, "<section id=\"retention\">\n<h2>Retention</h2>\n");
    retention_detail_html(w, json_object_get(m, "retention"));
    rw_raw(w, "</section>\n");
}

static void who(rw *w, const json_t *r)
{
    const json_t *id = json_object_get(r, "identity");
    if (!json_is_object(id)) {
        rw_raw(w, "<i>no identity recorded</i>");
        return;
    }
    if (rs(id, "arn") && *rs(id, "arn")) {
        rw_raw(w, "<code>");
        rw_esc(w, rs(id, "arn"));
        rw_raw(w, "</code>");
        return;
    }
    const char *cs = rs(id, "credentials"), *pr = rs(id, "profile"), *rg = rs(id, "region");
    rw_escf(w, "credentials %s", cs && *cs ? cs : "unknown");
    if (pr && *pr) rw_escf(w, ", profile %s", pr);
    if (rg && *rg) rw_escf(w, ", region %s", rg);
    rw_raw(w, " <i>(no caller ARN)</i>");
}

static void history(rw *w, const json_t *m)
{
    rw_raw(w, "<section id=\"history\">\n<h2>History (from the audit log)</h2>\n");
    const json_t *hist = json_object_get(m, "history");
    if (!json_array_size(hist)) {
        rw_raw(w, "<p><i>The audit log records no run.</i></p>\n</section>\n");
        return;
    }
    rw_raw(w, "<table class=\"hist\"><tr><th>started (UTC)</th><th>command</th><th>who</th><th>what</th>"
           "<th>outcome</th><th>counts</th></tr>\n");
    size_t i;
    const json_t *r;
    size_t nres = 0;
    json_array_foreach(hist, i, r) {
        nres += json_array_size(json_object_get(r, "resources"));
        rw_raw(w, "<tr><td class=\"t\">");
        rw_field(w, r, "started", "?");
        rw_raw(w, "</td><td><b>");
        rw_field(w, r, "command", "?");
        rw_raw(w, "</b></td><td>");
        who(w, r);
        rw_raw(w, "</td><td>");
        bool any = false;
        static const char *const wh[] = {"source", "target", "root"};
        for (size_t k = 0; k < 3; k++)
            if (rs(r, wh[k])) {
                if (any) rw_raw(w, "<br>");
                rw_escf(w, "%s: ", wh[k]);
                rw_raw(w, "<code>");
                rw_esc(w, rs(r, wh[k]));
                rw_raw(w, "</code>");
                any = true;
            }
        const json_t *args = json_object_get(r, "arguments");
        if (json_object_size(args)) {
            if (any) rw_raw(w, "<br>");
            rw_raw(w, "arguments: <code>");
            kv_inline(w, args);
            rw_raw(w, "</code>");
        }
        rw_raw(w, "</td><td>");
        const char *oc = rs(r, "outcome");
        if (!oc) {
            mark(w, -1);
            rw_raw(w, "<i>no end entry (unfinished)</i>");
        } else {
            mark(w, strcmp(oc, "ok") == 0 ? 1 : 0);
            rw_esc(w, oc);
        }
        if (rs(r, "error")) {
            rw_raw(w, "<br>");
            rw_esc(w, rs(r, "error"));
        }
        rw_raw(w, "</td><td>");
        kv_inline(w, json_object_get(r, "counts"));
        if (ru(r, "unreadable_lines")) {
            rw_raw(w, "<br><span class=\"bad\">");
            rw_escf(w, "%llu unreadable lines", (unsigned long long)ru(r, "unreadable_lines"));
            rw_raw(w, "</span>");
        }
        rw_raw(w, "</td></tr>\n");
    }
    rw_raw(w, "</table>\n<h3>Deleted cloud resources</h3>\n");
    if (!nres) {
        rw_raw(w, "<p><i>The audit log records no deleted resource (no cleanup run with "
               "deletions).</i></p>\n");
    } else {
        rw_raw(w, "<table><tr><th>when</th><th>run</th><th>kind</th><th>name</th><th>ARN</th>"
               "<th>outcome</th></tr>\n");
        json_array_foreach(hist, i, r) {
            size_t k;
            const json_t *d;
            json_array_foreach(json_object_get(r, "resources"), k, d) {
                rw_raw(w, "<tr><td>");
                rw_field(w, d, "when", "?");
                rw_raw(w, "</td><td>");
                rw_field(w, r, "command", "?");
                rw_raw(w, "</td><td>");
                rw_field(w, d, "kind", "-");
                rw_raw(w, "</td><td><code>");
                rw_esc(w, rs(d, "name"));
                rw_raw(w, "</code></td><td><code>");
                rw_field(w, d, "arn", "none recorded");
                rw_raw(w, "</code></td><td>");
                rw_field(w, d, "outcome", rs(d, "event") ? rs(d, "event") : "-");
                if (rs(d, "error")) {
                    rw_raw(w, ": ");
                    rw_esc(w, rs(d, "error"));
                }
                rw_raw(w, "</td></tr>\n");
            }
        }
        rw_raw(w, "</table>\n");
    }
    rw_raw(w, "</section>\n");
}

ts_status arc_report_html(const json_t *m, ts_buf *out, ts_error *err)
{
    rw w = {.b = out, .st = TS_OK, .esc = arc_report_html_escape, .em_open = "<i>", .em_close = "</i>"};
    rw_raw(&w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>Decommissioning record: ");
    rw_esc(&w, rs(m, "root"));
    rw_raw(&w, "</title>\n<style>\n");
    rw_raw(&w, css);
    rw_raw(&w, "</style>\n</head>\n<body>\n<header>\n<h1>Decommissioning record</h1>\n"
            "<p class=\"sub\">Archive <code>");
    rw_esc(&w, rs(m, "root"));
    rw_raw(&w, "</code> (prefix <code>");
    rw_esc(&w, rs(m, "prefix"));
    rw_raw(&w, "</code>) — generated ");
    rw_esc(&w, rs(m, "generated_at"));
    rw_raw(&w, " by ");
    const json_t *tool = json_object_get(m, "tool");
    rw_escf(&w, "tsarchive %s (build %s)", rs(tool, "version") ? rs(tool, "version") : "?",
         rs(tool, "build") ? rs(tool, "build") : "?");
    rw_raw(&w, ". Every figure below is read from the archive and its audit log.</p>\n</header>\n");
    summary(&w, m);
    archived(&w, m);
    where(&w, m);
    integrity(&w, m);
    retention(&w, m);
    history(&w, m);
    rw_raw(&w, "<footer>Report format ");
    rw_num(&w, m, "report_version");
    rw_raw(&w, ". The same facts: <code>tsarchive report ROOT --format json</code> or "
            "<code>--format md</code>.</footer>\n</body>\n</html>\n");
    if (w.st != TS_OK) return ts_err_set(err, w.st, "the HTML report does not fit in memory");
    return TS_OK;
}
