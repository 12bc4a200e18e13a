/* The report's renderers: a small model that reaches every emitter gives this
 * Markdown and this HTML byte for byte (the page after its head and style
 * sheet). Pinned from the renderers before the walk over the model was
 * shared, so a change of wording or markup shows here first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "archive/arc_report.h"

static const char model_json[] =
    "{\"root\":\"s3://b/pre\",\"prefix\":\"timestream-archive/\","
    "\"generated_at\":\"2026-01-02T03:04:05Z\",\"report_version\":1,\"tool\":{\"version\":\"0.1.0\","
    "\"build\":\"abc\"},\"totals\":{\"records\":1,\"tables\":1,\"databases\":1,\"files\":1,\"bytes\":1234},"
    "\"storage\":{\"kind\":\"s3\",\"bucket\":\"b\",\"key_prefix\":\"pre/timestream-archive/\","
    "\"region\":\"us-east-1\",\"objects\":3,\"bytes\":2000,\"data_files\":{\"objects\":1,\"bytes\":1234},"
    "\"manifests\":{\"objects\":1,\"bytes\":500},\"audit_log\":{\"objects\":1,\"bytes\":266},"
    "\"other\":{\"objects\":0,\"bytes\":0}},\"notes\":[{\"level\":\"warning\","
    "\"text\":\"a <warning> & more\"}],\"databases\":[{\"name\":\"db_1\",\"manifest\":{\"present\":true,"
    "\"valid\":true,\"key\":\"timestream-archive/db_1/export_metadata.json\",\"sha256\":\"aa11\","
    "\"matches_log\":false,\"logged_sha256\":\"bb22\",\"export_id\":\"e1\","
    "\"started_at\":\"2026-01-01T00:00:00Z\",\"finished_at\":\"2026-01-01T00:01:00Z\","
    "\"compression\":\"zstd\"},\"source\":{\"kind\":\"timestream\",\"database\":\"db_1\","
    "\"region\":\"eu-west-1\",\"endpoint\":\"http://127.0.0.1:1\"},\"totals\":{\"records\":1,\"tables\":1,"
    "\"files\":1,\"bytes\":1234},\"tables\":[{\"name\":\"t|1\",\"records\":1,"
    "\"min_time\":\"2024-01-01T00:00:00Z\",\"max_time\":\"2024-01-01T00:00:00Z\",\"bytes\":1234,"
    "\"time_unit\":\"ns\",\"time_ns\":true,\"columns\":[{\"name\":\"time\",\"role\":\"time\","
    "\"type\":\"timestamp\",\"source_type\":\"TIMESTAMP\"},{\"name\":\"m_*x*\",\"role\":\"measure\","
    "\"type\":\"double\",\"source_type\":\"DOUBLE\"}],\"months\":[{\"month\":\"2024-01\",\"records\":1}],"
    "\"files\":[{\"path\":\"t|1/year=2024/month=01/a.parquet\",\"month\":\"2024-01\",\"records\":1,"
    "\"min_time\":\"2024-01-01T00:00:00Z\",\"max_time\":\"2024-01-01T00:00:00Z\",\"size\":1234,"
    "\"sha256\":\"cc33\"}]}]}],\"latest_verify\":{\"present\":true,\"passed\":true,\"outcome\":\"ok\","
    "\"started\":\"2026-01-01T01:00:00Z\",\"ended\":\"2026-01-01T01:00:01Z\",\"scope\":\"full\","
    "\"databases\":[\"db_1\"],\"counts\":{\"files_checked\":1,\"bytes_checked\":1234,\"rows_decoded\":1,"
    "\"errors\":0,\"warnings\":1,\"exit_code\":0},\"findings\":{\"stale_file\":1},\"object\":\"v.jsonl\","
    "\"export_after\":true},\"audit\":{\"chain\":{\"ok\":true,\"objects\":1,\"runs\":1,\"entries\":1,"
    "\"head\":\"dd44\"}},\"retention\":{\"kind\":\"s3\",\"source\":\"head\","
    "\"statement\":\"Only HEAD was used.\",\"objects_checked\":2,\"objects_not_checked\":1,"
    "\"locked\":1,\"modes\":{\"GOVERNANCE\":1},\"lock_expired\":0,\"unlocked\":1,"
    "\"earliest_until\":\"2031-01-01T00:00:00Z\",\"latest_until\":\"2031-01-01T00:00:00Z\","
    "\"unlocked_examples\":[\"pre/a.parquet\",\"pre/b.parquet\"],\"enforceable\":false},"
    "\"history\":[{\"started\":\"2026-01-01T00:00:00Z\",\"command\":\"cleanup\","
    "\"identity\":{\"arn\":\"arn:aws:iam::1:user/u\"},\"root\":\"s3://b/pre\",\"arguments\":{\"yes\":true},"
    "\"outcome\":\"failed\",\"error\":\"denied\",\"counts\":{\"deleted\":1},\"unreadable_lines\":2,"
    "\"resources\":[{\"when\":\"2026-01-01T00:00:01Z\",\"kind\":\"timestream-table\",\"name\":\"db_1.t\","
    "\"arn\":null,\"event\":\"delete\",\"error\":\"AccessDenied\"}]}]}";

static const char expected_md[] =
    "# Decommissioning record\n"
    "\n"
    "Archive `s3://b/pre` (prefix `timestream-archive/`), generated 2026-01-02T03:04:05Z by tsarchive 0.1.0 (build abc). Every figure below is read from the archive and its audit log.\n"
    "\n"
    "## Summary\n"
    "\n"
    "No problem is recorded.\n"
    "\n"
    "| | |\n"
    "|---|---|\n"
    "| Archived | 1 record in 1 table of 1 database; 1 Parquet files, 1.2 kB (1,234 bytes) |\n"
    "| Stored in | S3 bucket `b`, prefix `pre/timestream-archive/` |\n"
    "| Latest verify | passed — 2026-01-01T01:00:00Z, outcome ok, 1 files, 1 rows decoded, 0 errors |\n"
    "| Audit chain | intact: 1 run, 1 entry; head `dd44` |\n"
    "| Retention | 1 of 2 archive objects under an Object Lock; bucket settings not assessed |\n"
    "\n"
    "### Findings of this report\n"
    "\n"
    "- warning: a &lt;warning&gt; &amp; more\n"
    "\n"
    "## What was archived\n"
    "\n"
    "### Database db\\_1\n"
    "\n"
    "| | |\n"
    "|---|---|\n"
    "| source | timestream `db_1`, region eu-west-1, endpoint `http://127.0.0.1:1` |\n"
    "| export | id `e1`, 2026-01-01T00:00:00Z to 2026-01-01T00:01:00Z |\n"
    "| compression | zstd |\n"
    "| totals | 1 record, 1 table, 1 file, 1.2 kB (1,234 bytes) |\n"
    "\n"
    "#### Table db\\_1.t\\|1\n"
    "\n"
    "| | |\n"
    "|---|---|\n"
    "| records | 1 |\n"
    "| first record | 2024-01-01T00:00:00Z |\n"
    "| last record | 2024-01-01T00:00:00Z |\n"
    "| files | 1, 1.2 kB (1,234 bytes) |\n"
    "| time | TIMESTAMP(NANOS) plus exact nanoseconds in time\\_ns |\n"
    "\n"
    "| column | role | archive type | source type |\n"
    "|---|---|---|---|\n"
    "| time | time | timestamp | TIMESTAMP |\n"
    "| m\\_\\*x\\* | measure | double | DOUBLE |\n"
    "\n"
    "Records per month (UTC):\n"
    "\n"
    "| month | records |\n"
    "|---|---:|\n"
    "| 2024-01 | 1 |\n"
    "\n"
    "| file | records | first | last | bytes |\n"
    "|---|---:|---|---|---:|\n"
    "| t\\|1/year=2024/month=01/a.parquet | 1 | 2024-01-01T00:00:00Z | 2024-01-01T00:00:00Z | 1,234 |\n"
    "\n"
    "## Where it is stored\n"
    "\n"
    "| | |\n"
    "|---|---|\n"
    "| storage | Amazon S3 |\n"
    "| bucket | `b` |\n"
    "| prefix | `pre/timestream-archive/` |\n"
    "| region | us-east-1 |\n"
    "| objects | 3, 2.0 kB (2,000 bytes) |\n"
    "\n"
    "| kind | objects | bytes |\n"
    "|---|---:|---:|\n"
    "| Parquet data files | 1 | 1,234 |\n"
    "| manifests (export\\_metadata.json) | 1 | 500 |\n"
    "| audit log (\\_audit/) | 1 | 266 |\n"
    "| other objects | 0 | 0 |\n"
    "\n"
    "## Integrity proof\n"
    "\n"
    "### Manifests\n"
    "\n"
    "| database | manifest | SHA-256 | as logged by its export |\n"
    "|---|---|---|---|\n"
    "| db\\_1 | `timestream-archive/db_1/export_metadata.json` | `aa11` | **differs**: logged `bb22` |\n"
    "\n"
    "### SHA-256 of every data file\n"
    "\n"
    "Database db\\_1 (as listed in its manifest):\n"
    "\n"
    "| file | bytes | SHA-256 |\n"
    "|---|---:|---|\n"
    "| t\\|1/year=2024/month=01/a.parquet | 1,234 | `cc33` |\n"
    "\n"
    "### Latest verify run\n"
    "\n"
    "| | |\n"
    "|---|---|\n"
    "| result | passed (outcome ok, exit code 0) |\n"
    "| when | 2026-01-01T01:00:00Z to 2026-01-01T01:00:01Z |\n"
    "| scope | full; databases db\\_1 |\n"
    "| checked | 1 file, 1.2 kB (1,234 bytes), 1 rows decoded |\n"
    "| findings | 0 errors, 1 warning (stale\\_file=1) |\n"
    "| audit object | `v.jsonl` |\n"
    "\n"
    "An export ran after this verify run; it is not covered by it.\n"
    "\n"
    "### Audit chain\n"
    "\n"
    "| | |\n"
    "|---|---|\n"
    "| state | intact (the check of `tsarchive audit verify` passes) |\n"
    "| runs | 1 |\n"
    "| entries | 1 |\n"
    "| head hash | `dd44` |\n"
    "| log objects | 1 |\n"
    "\n"
    "## Retention\n"
    "\n"
    "Only HEAD was used.\n"
    "\n"
    "| | |\n"
    "|---|---|\n"
    "| objects checked | 2 |\n"
    "| locked now | 1 (GOVERNANCE=1) |\n"
    "| lock expired | 0 |\n"
    "| never locked | 1 |\n"
    "| locked until | 2031-01-01T00:00:00Z (earliest) to 2031-01-01T00:00:00Z (latest) |\n"
    "| unlocked | `pre/a.parquet` |\n"
    "| unlocked | `pre/b.parquet` |\n"
    "\n"
    "## History (from the audit log)\n"
    "\n"
    "| started (UTC) | command | who | what | outcome | counts |\n"
    "|---|---|---|---|---|---|\n"
    "| 2026-01-01T00:00:00Z | cleanup | arn:aws:iam::1:user/u | root: s3://b/pre; arguments: yes=true | failed: denied | deleted=1; 2 unreadable lines |\n"
    "\n"
    "### Deleted cloud resources\n"
    "\n"
    "| when | run | kind | name | ARN | outcome |\n"
    "|---|---|---|---|---|---|\n"
    "| 2026-01-01T00:00:01Z | cleanup | timestream-table | db\\_1.t | *none recorded* | *delete*: AccessDenied |\n"
    "\n";

static const char expected_html_body[] =
    "<section id=\"summary\">\n"
    "<h2>Summary</h2>\n"
    "<div class=\"verdict good\"><span class=\"ok\">&#10003;</span> No problem is recorded; 1 warning below.</div>\n"
    "<table class=\"kv\">\n"
    "<tr><th>Archived</th><td>1 record in 1 table of 1 database; 1 Parquet files, 1.2 kB (1,234 bytes)</td></tr>\n"
    "<tr><th>Stored in</th><td>S3 bucket <code>b</code>, prefix <code>pre/timestream-archive/</code></td></tr>\n"
    "<tr><th>Latest verify</th><td><span class=\"ok\">&#10003;</span> passed — 2026-01-01T01:00:00Z, outcome ok, 1 files, 1 rows decoded, 0 errors</td></tr>\n"
    "<tr><th>Audit chain</th><td><span class=\"ok\">&#10003;</span> intact: 1 run, 1 entries; head <span class=\"hash\">dd44</span></td></tr>\n"
    "<tr><th>Retention</th><td><span class=\"warn\">!</span> 1 of 2 archive objects under an Object Lock (earliest until 2031-01-01T00:00:00Z); bucket settings not assessed</td></tr>\n"
    "</table>\n"
    "<h3>Findings of this report</h3>\n"
    "<ul class=\"notes\">\n"
    "<li class=\"warning\">warning: a &lt;warning&gt; &amp; more</li>\n"
    "</ul>\n"
    "</section>\n"
    "<section id=\"archived\">\n"
    "<h2>What was archived</h2>\n"
    "<h3>Database <code>db_1</code></h3>\n"
    "<table class=\"kv\"><tr><th>source</th><td>timestream <code>db_1</code>, region eu-west-1, endpoint <code>http://127.0.0.1:1</code></td></tr>\n"
    "<tr><th>export</th><td>id <code>e1</code>, 2026-01-01T00:00:00Z to 2026-01-01T00:01:00Z</td></tr>\n"
    "<tr><th>compression</th><td>zstd</td></tr>\n"
    "<tr><th>totals</th><td>1 record, 1 table, 1 file, 1.2 kB (1,234 bytes)</td></tr></table>\n"
    "<div class=\"tbl\">\n"
    "<h3>Table <code>db_1.t|1</code></h3>\n"
    "<table class=\"kv\"><tr><th>records</th><td class=\"n\">1</td></tr>\n"
    "<tr><th>first record</th><td>2024-01-01T00:00:00Z</td></tr>\n"
    "<tr><th>last record</th><td>2024-01-01T00:00:00Z</td></tr>\n"
    "<tr><th>files</th><td>1, 1.2 kB (1,234 bytes)</td></tr>\n"
    "<tr><th>time</th><td>TIMESTAMP(NANOS) plus exact nanoseconds in time_ns</td></tr></table>\n"
    "<h3>Columns</h3>\n"
    "<table><tr><th>column</th><th>role</th><th>archive type</th><th>source type</th></tr>\n"
    "<tr><td><code>time</code></td><td>time</td><td>timestamp</td><td>TIMESTAMP</td></tr>\n"
    "<tr><td><code>m_*x*</code></td><td>measure</td><td>double</td><td>DOUBLE</td></tr>\n"
    "</table>\n"
    "<h3>Records per month</h3>\n"
    "<svg viewBox=\"0 0 960 260\" width=\"960\" height=\"260\" role=\"img\" aria-label=\"Records per month (UTC) of table t|1\">\n"
    "<line x1=\"78.0\" y1=\"204.0\" x2=\"948.0\" y2=\"204.0\" stroke=\"#dfe3e8\"/><text x=\"72.0\" y=\"208.0\" font-size=\"12\" text-anchor=\"end\">0</text>\n"
    "<line x1=\"78.0\" y1=\"22.0\" x2=\"948.0\" y2=\"22.0\" stroke=\"#dfe3e8\"/><text x=\"72.0\" y=\"26.0\" font-size=\"12\" text-anchor=\"end\">1</text>\n"
    "<rect x=\"199.80\" y=\"22.00\" width=\"626.40\" height=\"182.00\" fill=\"#3b6ea5\"><title>2024-01: 1 records</title></rect><text x=\"513.00\" y=\"18.00\" font-size=\"11\" text-anchor=\"middle\">1</text><text x=\"513.00\" y=\"221.00\" font-size=\"12\" text-anchor=\"middle\">2024-01</text>\n"
    "<line x1=\"78.0\" y1=\"22.0\" x2=\"78.0\" y2=\"204.0\" stroke=\"#333\"/><line x1=\"78.0\" y1=\"204.0\" x2=\"948.0\" y2=\"204.0\" stroke=\"#333\"/>\n"
    "<text x=\"513.0\" y=\"250.0\" font-size=\"13\" text-anchor=\"middle\">month (UTC)</text>\n"
    "<text x=\"16\" y=\"113.0\" font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 16 113.0)\">records</text>\n"
    "</svg>\n"
    "<table><tr><th>month (UTC)</th><th class=\"n\">records</th><th>first</th><th>last</th><th class=\"n\">bytes</th></tr>\n"
    "<tr><td>2024-01</td><td class=\"n\">1</td><td class=\"t\">2024-01-01T00:00:00Z</td><td class=\"t\">2024-01-01T00:00:00Z</td><td class=\"n\">1,234</td></tr>\n"
    "</table>\n"
    "</div>\n"
    "</section>\n"
    "<section id=\"where\">\n"
    "<h2>Where it is stored</h2>\n"
    "<table class=\"kv\">\n"
    "<tr><th>storage</th><td>Amazon S3</td></tr>\n"
    "<tr><th>bucket</th><td><code>b</code></td></tr>\n"
    "<tr><th>prefix</th><td><code>pre/timestream-archive/</code></td></tr>\n"
    "<tr><th>region</th><td>us-east-1</td></tr>\n"
    "<tr><th>objects</th><td>3, 2.0 kB (2,000 bytes)</td></tr>\n"
    "</table>\n"
    "<table><tr><th>kind</th><th class=\"n\">objects</th><th class=\"n\">bytes</th></tr>\n"
    "<tr><td>Parquet data files</td><td class=\"n\">1</td><td class=\"n\">1,234</td></tr>\n"
    "<tr><td>manifests (export_metadata.json)</td><td class=\"n\">1</td><td class=\"n\">500</td></tr>\n"
    "<tr><td>audit log (_audit/)</td><td class=\"n\">1</td><td class=\"n\">266</td></tr>\n"
    "<tr><td>other objects</td><td class=\"n\">0</td><td class=\"n\">0</td></tr>\n"
    "</table>\n"
    "</section>\n"
    "<section id=\"integrity\">\n"
    "<h2>Integrity proof</h2>\n"
    "<h3>Manifests</h3>\n"
    "<table class=\"kv\">\n"
    "<tr><th>database</th><td><b><code>db_1</code></b></td></tr>\n"
    "<tr><th>manifest</th><td><code>timestream-archive/db_1/export_metadata.json</code></td></tr>\n"
    "<tr><th>SHA-256 of the manifest</th><td class=\"hash\">aa11</td></tr>\n"
    "<tr><th>as logged by its export</th><td><span class=\"bad\">&#10007;</span> <b>differs</b>: logged <span class=\"hash\">bb22</span></td></tr>\n"
    "</table>\n"
    "<h3>SHA-256 of every data file</h3>\n"
    "<details><summary>Database <code>db_1</code>: 1 file (as listed in its manifest)</summary>\n"
    "<table><tr><th>file</th><th class=\"n\">bytes</th><th>SHA-256</th></tr>\n"
    "<tr><td><code>t|1/year=2024/month=01/a.parquet</code></td><td class=\"n\">1,234</td><td class=\"hash\">cc33</td></tr>\n"
    "</table></details>\n"
    "<h3>Latest verify run</h3>\n"
    "<table class=\"kv\"><tr><th>result</th><td><span class=\"ok\">&#10003;</span> passed (outcome ok, exit code 0)</td></tr>\n"
    "<tr><th>when</th><td>2026-01-01T01:00:00Z to 2026-01-01T01:00:01Z</td></tr>\n"
    "<tr><th>scope</th><td>full; databases db_1</td></tr>\n"
    "<tr><th>checked</th><td>1 file, 1.2 kB (1,234 bytes), 1 rows decoded</td></tr>\n"
    "<tr><th>findings</th><td>0 errors, 1 warning (stale_file: 1)</td></tr>\n"
    "<tr><th>audit object</th><td><code>v.jsonl</code></td></tr>\n"
    "</table>\n"
    "<p><span class=\"warn\">!</span> An export ran after this verify run; it is not covered by it.</p>\n"
    "<h3>Audit chain</h3>\n"
    "<table class=\"kv\"><tr><th>state</th><td><span class=\"ok\">&#10003;</span> intact (the check of <code>tsarchive audit verify</code> passes)</td></tr>\n"
    "<tr><th>runs</th><td>1</td></tr>\n"
    "<tr><th>entries</th><td>1</td></tr>\n"
    "<tr><th>head hash</th><td class=\"hash\">dd44</td></tr>\n"
    "<tr><th>log objects</th><td>1</td></tr>\n"
    "</table>\n"
    "</section>\n"
    "<section id=\"retention\">\n"
    "<h2>Retention</h2>\n"
    "<p>Only HEAD was used.</p>\n"
    "<table class=\"kv\"><tr><th>objects checked</th><td>2 (1 not checked)</td></tr>\n"
    "<tr><th>locked now</th><td>1 (GOVERNANCE=1)</td></tr>\n"
    "<tr><th>lock expired</th><td>0</td></tr>\n"
    "<tr><th>never locked</th><td>1</td></tr>\n"
    "<tr><th>locked until</th><td>2031-01-01T00:00:00Z (earliest) to 2031-01-01T00:00:00Z (latest)</td></tr>\n"
    "<tr><th>unlocked objects (first)</th><td><code>pre/a.parquet</code><br><code>pre/b.parquet</code></td></tr>\n"
    "</table>\n"
    "</section>\n"
    "<section id=\"history\">\n"
    "<h2>History (from the audit log)</h2>\n"
    "<table class=\"hist\"><tr><th>started (UTC)</th><th>command</th><th>who</th><th>what</th><th>outcome</th><th>counts</th></tr>\n"
    "<tr><td class=\"t\">2026-01-01T00:00:00Z</td><td><b>cleanup</b></td><td><code>arn:aws:iam::1:user/u</code></td><td>root: <code>s3://b/pre</code><br>arguments: <code>yes=true</code></td><td><span class=\"bad\">&#10007;</span> failed<br>denied</td><td>deleted=1<br><span class=\"bad\">2 unreadable lines</span></td></tr>\n"
    "</table>\n"
    "<h3>Deleted cloud resources</h3>\n"
    "<table><tr><th>when</th><th>run</th><th>kind</th><th>name</th><th>ARN</th><th>outcome</th></tr>\n"
    "<tr><td>2026-01-01T00:00:01Z</td><td>cleanup</td><td>timestream-table</td><td><code>db_1.t</code></td><td><code><i>none recorded</i></code></td><td><i>delete</i>: AccessDenied</td></tr>\n"
    "</table>\n"
    "</section>\n"
    "<footer>Report format 1. The same facts: <code>tsarchive report ROOT --format json</code> or <code>--format md</code>.</footer>\n"
    "</body>\n"
    "</html>\n";

static json_t *load_model(void)
{
    json_error_t je;
    json_t *m = json_loads(model_json, 0, &je);
    if (!m) fail_msg("model: %s at %d", je.text, je.position);
    return m;
}

/* On a difference, print where it starts and both sides from there. */
static void assert_same(const char *what, const char *got, size_t got_len, const char *want)
{
    size_t want_len = strlen(want), i = 0;
    while (i < got_len && i < want_len && got[i] == want[i]) i++;
    if (i == got_len && i == want_len) return;
    fail_msg("%s differs at byte %zu (got %zu bytes, want %zu)\n--- got:\n%.300s\n--- want:\n%.300s",
             what, i, got_len, want_len, got + (i > 80 ? i - 80 : 0), want + (i > 80 ? i - 80 : 0));
}

typedef ts_status (*renderer)(const json_t *, ts_buf *, ts_error *);

/* Renders the model into out (a new buffer of at most cap bytes). */
static ts_status render(renderer fn, size_t cap, ts_buf *out, ts_error *err)
{
    json_t *m = load_model();
    ts_buf_init(out, cap);
    ts_err_clear(err);
    ts_status st = fn(m, out, err);
    json_decref(m);
    return st;
}

static void test_markdown_is_pinned(void **state)
{
    (void)state;
    ts_buf out;
    ts_error err;
    assert_int_equal(render(arc_report_md, (size_t)1 << 20, &out, &err), TS_OK);
    assert_same("Markdown", (const char *)out.data, out.len, expected_md);
    ts_buf_free(&out);
}

static void test_html_is_pinned(void **state)
{
    (void)state;
    ts_buf out;
    ts_error err;
    assert_int_equal(render(arc_report_html, (size_t)1 << 20, &out, &err), TS_OK);
    const char *doc = (const char *)out.data, *head_end = "</header>\n";
    const char *body = NULL;
    for (size_t i = 0; i + strlen(head_end) <= out.len && !body; i++)
        if (memcmp(doc + i, head_end, strlen(head_end)) == 0) body = doc + i + strlen(head_end);
    assert_non_null(body);
    assert_same("HTML", body, out.len - (size_t)(body - doc), expected_html_body);
    /* the head: the title and the archive's name */
    assert_non_null(strstr(doc, "<title>Decommissioning record: s3://b/pre</title>"));
    assert_non_null(strstr(doc, "generated 2026-01-02T03:04:05Z by tsarchive 0.1.0 (build abc)."));
    ts_buf_free(&out);
}

/* A report that outgrows its buffer fails, and the message names the format. */
static void test_out_of_room_is_an_error(void **state)
{
    (void)state;
    static const struct {
        renderer fn;
        const char *name;
    } fmts[] = {{arc_report_md, "Markdown"}, {arc_report_html, "HTML"}};
    for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++) {
        ts_buf out;
        ts_error err;
        assert_int_not_equal(render(fmts[i].fn, 64, &out, &err), TS_OK);
        if (!strstr(err.msg, fmts[i].name)) fail_msg("%s: message '%s'", fmts[i].name, err.msg);
        ts_buf_free(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markdown_is_pinned),
        cmocka_unit_test(test_html_is_pinned),
        cmocka_unit_test(test_out_of_room_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
