"""tsarchive report: the decommissioning record of an archive exported from samples/energy.lp.

The JSON, Markdown and HTML reports carry the manifest's figures (every table's count, range,
columns and per-month counts, parsed from export_metadata.json here), the latest verify run,
and the audit chain's head as `audit verify` computes it; an edited audit entry makes the
report say the chain is broken and where; a replaced manifest is flagged; the HTML has no
external reference; every string from the archive is escaped."""
import hashlib
import html.parser
import json
import os
import re
import shutil
import sys
import tempfile
import unittest

SRC = os.environ.get("TSARCHIVE_SRC", ".")
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from servers import emulator, run_tsarchive  # noqa: E402

SAMPLE = os.path.join(SRC, "samples", "energy.lp")


def export(root, db="energy_demo", src=SAMPLE):
    rc, out, err = run_tsarchive(["export", "--from", src, "--database", db, "--to", root])
    assert rc == 0, out + err


def report(root, *args):
    return run_tsarchive(["report", root] + list(args))


def group(n):
    return "{:,}".format(n)


def manifest_facts(root, db="energy_demo"):
    """What the report must show, computed here from the manifest itself."""
    with open(os.path.join(root, "timestream-archive", db, "export_metadata.json"), "rb") as f:
        raw = f.read()
    m = json.loads(raw)
    tables = {}
    for t in m["tables"]:
        months = {}
        for fl in t["files"]:
            months[fl["min_time"][:7]] = months.get(fl["min_time"][:7], 0) + fl["record_count"]
        tables[t["name"]] = {"records": t["record_count"], "min_time": t["min_time"],
                             "max_time": t["max_time"], "months": months,
                             "columns": [(c["name"], c["role"], c["type"], c["source_type"])
                                         for c in t["columns"]],
                             "files": {fl["path"]: fl["sha256"] for fl in t["files"]}}
    return m, hashlib.sha256(raw).hexdigest(), tables


class Rows(html.parser.HTMLParser):
    """Every table row's cell texts, and every tag with its attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows, self.tags, self.text = [], [], []
        self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse_html(text):
    p = Rows()
    p.feed(text)
    p.close()
    return p


def assert_no_external(tc, text):
    """No fetched asset: no src/href attribute at all, no <link>, no <script>, no CSS url() or
    @import, no http(s):// in any attribute or in the style sheet. (A URL may appear as plain
    text: an endpoint the manifest records.)"""
    p = parse_html(text)
    for tag, attrs in p.tags:
        tc.assertNotIn(tag, ("script", "link", "img", "iframe", "object", "embed", "image", "use",
                             "a", "base", "form"), "element <%s %s>" % (tag, attrs))
        for a in ("src", "href", "xlink:href", "srcset", "data", "poster", "action"):
            tc.assertNotIn(a, attrs, "<%s> has %s=%r" % (tag, a, attrs.get(a)))
        for a, v in attrs.items():
            tc.assertIsNone(re.search(r"https?:|//", v or ""), "<%s %s=%r>" % (tag, a, v))
    styles = re.findall(r"<style>(.*?)</style>", text, re.S)
    tc.assertEqual(len(styles), 1)
    for pat in (r"https?:", r"url\s*\(", r"@import", r"@font-face"):
        tc.assertIsNone(re.search(pat, styles[0], re.I), "found %r in the style sheet" % pat)
    for pat in (r"<script", r"<link", r"<img", r"<iframe"):
        tc.assertIsNone(re.search(pat, text, re.I), "found %r in the page" % pat)


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tsa-report-")
        cls.root = os.path.join(cls.tmp, "arc")
        export(cls.root)
        rc, out, err = run_tsarchive(["verify", cls.root])
        assert rc == 0, out + err
        cls.out = os.path.join(cls.tmp, "out")
        os.makedirs(cls.out)
        cls.rc = {}
        for ext in ("html", "md", "json"):
            rc, out, err = report(cls.root, "-o", os.path.join(cls.out, "r." + ext))
            cls.rc[ext] = (rc, err)
        cls.m, cls.msha, cls.tables = manifest_facts(cls.root)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def read(self, ext):
        self.assertEqual(self.rc[ext][0], 0, self.rc[ext][1])
        with open(os.path.join(self.out, "r." + ext), encoding="utf-8") as f:
            return f.read()

    def test_json_equals_manifest(self):
        j = json.loads(self.read("json"))
        self.assertEqual(len(j["databases"]), 1)
        db = j["databases"][0]
        self.assertEqual(db["name"], "energy_demo")
        self.assertEqual(db["manifest"]["sha256"], self.msha)
        self.assertTrue(db["manifest"]["matches_log"], db["manifest"])
        self.assertEqual(sorted(t["name"] for t in db["tables"]), sorted(self.tables))
        for t in db["tables"]:
            want = self.tables[t["name"]]
            self.assertEqual(t["records"], want["records"])
            self.assertEqual((t["min_time"], t["max_time"]), (want["min_time"], want["max_time"]))
            got_months = {mm["month"]: mm["records"] for mm in t["months"] if mm["records"]}
            self.assertEqual(got_months, want["months"])
            self.assertEqual([(c["name"], c["role"], c["type"], c["source_type"]) for c in t["columns"]],
                             want["columns"])
            self.assertEqual({f["path"]: f["sha256"] for f in t["files"]}, want["files"])
        self.assertEqual(j["totals"]["records"], self.m["totals"]["records"])
        self.assertEqual(j["totals"]["files"], self.m["totals"]["files"])
        self.assertEqual(j["totals"]["bytes"], self.m["totals"]["bytes"])
        # the sample: 4320 records over January to March 2024
        self.assertEqual(j["totals"]["records"], 4320)

    def test_json_storage_matches_disk(self):
        j = json.loads(self.read("json"))
        n = size = 0
        for d, _, files in os.walk(os.path.join(self.root, "timestream-archive")):
            for f in files:
                n += 1
                size += os.path.getsize(os.path.join(d, f))
        st = j["storage"]
        self.assertEqual(st["kind"], "local")
        self.assertEqual((st["objects"], st["bytes"]), (n, size))
        self.assertEqual(st["data_files"]["objects"], self.m["totals"]["files"])
        self.assertEqual(st["data_files"]["bytes"], self.m["totals"]["bytes"])
        self.assertEqual(st["path"], os.path.realpath(self.root))

    def test_json_integrity_and_history(self):
        j = json.loads(self.read("json"))
        rc, out, err = run_tsarchive(["audit", "verify", self.root, "--json"])
        self.assertEqual(rc, 0, err)
        av = json.loads(out)
        ch = j["audit"]["chain"]
        self.assertTrue(ch["ok"], ch)
        self.assertEqual((ch["head"], ch["runs"], ch["entries"]), (av["head"], av["runs"], av["entries"]))
        lv = j["latest_verify"]
        self.assertTrue(lv["present"] and lv["passed"], lv)
        self.assertEqual(lv["counts"]["rows_decoded"], 4320)
        self.assertEqual(lv["counts"]["files_checked"], self.m["totals"]["files"])
        self.assertEqual([r["command"] for r in j["history"]], ["export", "verify"])
        self.assertEqual(j["history"][0]["counts"]["rows"], 4320)
        self.assertEqual(j["retention"]["kind"], "local")
        self.assertFalse(j["retention"]["enforceable"])

    def test_markdown_counts(self):
        md = self.read("md")
        for name, t in self.tables.items():
            self.assertIn("#### Table energy\\_demo.%s" % name, md)
            self.assertIn("| records | %s |" % group(t["records"]), md)
            self.assertIn("| first record | %s |" % t["min_time"], md)
            self.assertIn("| last record | %s |" % t["max_time"], md)
            for month, n in t["months"].items():
                self.assertIn("| %s | %s |" % (month, group(n)), md)
            for path, sha in t["files"].items():
                self.assertIn(sha, md)
        self.assertIn(self.msha, md)
        self.assertIn("Audit chain | intact", md)
        self.assertIn("not enforceable", md)

    def test_html_counts(self):
        text = self.read("html")
        p = parse_html(text)
        rows = p.rows
        for name, t in self.tables.items():
            kv = {}
            for r in rows:
                if len(r) == 2:
                    kv.setdefault(r[0], []).append(r[1])
            self.assertIn(group(t["records"]), kv["records"])
            self.assertIn(t["min_time"], kv["first record"])
            self.assertIn(t["max_time"], kv["last record"])
            month_rows = {r[0]: r[1] for r in rows if len(r) == 5 and re.fullmatch(r"\d{4}-\d\d", r[0])}
            self.assertEqual(month_rows, {mo: group(n) for mo, n in t["months"].items()})
            # the chart: one bar per month, its tooltip naming the count
            for month, n in t["months"].items():
                self.assertIn("<title>%s: %s records</title>" % (month, group(n)), text)
            for path, sha in t["files"].items():
                self.assertTrue(any(r[-1] == sha and path in r[0] for r in rows), sha)
        self.assertIn("<svg", text)
        self.assertIn(">month (UTC)</text>", text)
        self.assertIn(">records</text>", text)
        self.assertIn("<details>", text)
        self.assertTrue(any(r[0] == "head hash" and re.fullmatch("[0-9a-f]{64}", r[1]) for r in rows))

    def test_html_self_contained(self):
        text = self.read("html")
        assert_no_external(self, text)
        self.assertTrue(text.startswith("<!DOCTYPE html>"))
        self.assertIn("@media print", text)

    def test_stdout_and_format_option(self):
        rc, out, err = report(self.root, "--format", "json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["totals"]["records"], 4320)
        rc, out, err = report(self.root, "-o", "-", "--format", "md")
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("# Decommissioning record"), out[:80])
        rc, out, err = report(self.root)
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("<!DOCTYPE html>"), out[:80])
        # --format wins over the extension
        p = os.path.join(self.tmp, "x.html")
        rc, out, err = report(self.root, "-o", p, "--format", "json")
        self.assertEqual(rc, 0, err)
        with open(p) as f:
            self.assertEqual(json.load(f)["report_version"], 1)

    def test_usage_and_exit_codes(self):
        rc, out, err = report(self.root, "--format", "pdf")
        self.assertEqual(rc, 2, err)
        rc, out, err = report(self.root, "-o", os.path.join(self.tmp, "r.txt"))
        self.assertEqual(rc, 2, err)
        self.assertIn(".html", err)
        rc, out, err = report(os.path.join(self.tmp, "nowhere"))
        self.assertEqual(rc, 4, err)
        rc, out, err = report(self.root, "-o", os.path.join(self.tmp, "no", "such", "dir", "r.html"))
        self.assertNotEqual(rc, 0)
        self.assertNotIn(rc, (2, 3), err)
        rc, out, err = run_tsarchive(["report", "--help"])
        self.assertEqual(rc, 0, err)
        self.assertIn("--format", out)

    def copy(self):
        d = tempfile.mkdtemp(dir=self.tmp)
        shutil.copytree(self.root, os.path.join(d, "arc"))
        return os.path.join(d, "arc")

    def test_edited_audit_entry_breaks_the_chain(self):
        root = self.copy()
        audit = os.path.join(root, "timestream-archive", "_audit")
        name = [n for n in sorted(os.listdir(audit)) if "_export_" in n][0]
        path = os.path.join(audit, name)
        with open(path, "rb") as f:
            lines = f.read().splitlines(keepends=True)
        # line 3 (a file written): claim one more record than was written
        e = json.loads(lines[2])
        e["records"] += 1
        lines[2] = (json.dumps(e, sort_keys=True, separators=(",", ":")) + "\n").encode()
        with open(path, "wb") as f:
            f.write(b"".join(lines))
        rc, out, err = report(root, "--format", "json")
        self.assertEqual(rc, 3, err)
        ch = json.loads(out)["audit"]["chain"]
        self.assertFalse(ch["ok"], ch)
        self.assertEqual(ch["broken_object"], name)
        self.assertEqual(ch["broken_line"], 4)  # the line after the edit no longer follows it
        self.assertNotIn("head", ch)
        rc, out, err = report(root)
        self.assertEqual(rc, 3, err)
        text = " ".join(parse_html(out).text)
        self.assertIn("BROKEN at %s line 4" % name, " ".join(text.split()))
        rc, out, err = report(root, "--format", "md")
        self.assertIn("**BROKEN** at `%s` line 4" % name, out)

    def test_replaced_manifest_is_flagged(self):
        root = self.copy()
        mp = os.path.join(root, "timestream-archive", "energy_demo", "export_metadata.json")
        with open(mp) as f:
            m = json.load(f)
        m["export_id"] = "0" * 32
        with open(mp, "w") as f:
            json.dump(m, f, indent=2, sort_keys=True)
            f.write("\n")
        rc, out, err = report(root, "--format", "json")
        self.assertEqual(rc, 3, err)
        mj = json.loads(out)["databases"][0]["manifest"]
        self.assertFalse(mj["matches_log"], mj)
        self.assertEqual(mj["logged_sha256"], self.msha)

    def test_no_verify_run_yet(self):
        root = os.path.join(tempfile.mkdtemp(dir=self.tmp), "arc")
        export(root)
        rc, out, err = report(root, "--format", "json")
        self.assertEqual(rc, 0, err)
        j = json.loads(out)
        self.assertFalse(j["latest_verify"]["present"])
        self.assertTrue(any("no verify run" in n["text"] for n in j["notes"]), j["notes"])
        rc, out, err = report(root)
        self.assertIn("No verify run yet", out)
        rc, out, err = report(root, "--format", "md")
        self.assertIn("No verify run yet", out)
        # an export after the verify: the verify does not cover it
        root2 = self.copy()
        export(root2, db="second")
        rc, out, err = report(root2, "--format", "json")
        self.assertTrue(json.loads(out)["latest_verify"]["export_after"])


class ReportTimestream(unittest.TestCase):
    """An archive exported from the Timestream emulator (loaded with samples/energy.lp) and
    verified against it: the report names the Timestream source, the region, the identity
    the runs recorded, and the verify's live comparison; counts equal the manifest's."""

    def test_timestream_archive(self):
        tmp = tempfile.mkdtemp(prefix="tsa-report-ts-")
        self.addCleanup(shutil.rmtree, tmp, True)
        root = os.path.join(tmp, "arc")
        with emulator("timestream", "--retention", "ignore",
                      "--load", "energy_demo.generation=" + os.path.abspath(SAMPLE)) as emu:
            env = {"AWS_ENDPOINT_URL_TIMESTREAM_QUERY": emu.url,
                   "AWS_ENDPOINT_URL_TIMESTREAM_WRITE": emu.url, "AWS_ENDPOINT_URL": None,
                   "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                   "AWS_REGION": "us-east-1", "AWS_PROFILE": None, "AWS_SESSION_TOKEN": None,
                   "PROJECT_NAME": None, "ENVIRONMENT": None}
            rc, out, err = run_tsarchive(["export", "--from", "timestream://us-east-1", "--to", root],
                                         env=env)
            self.assertEqual(rc, 0, out + err)
            rc, out, err = run_tsarchive(["verify", root, "--against", "timestream://us-east-1"], env=env)
            self.assertEqual(rc, 0, out + err)
        rc, out, err = report(root, "--format", "json")
        self.assertEqual(rc, 0, err)
        j = json.loads(out)
        m, sha, tables = manifest_facts(root)
        db = j["databases"][0]
        self.assertEqual(db["source"]["kind"], "timestream")
        self.assertEqual(db["source"]["region"], "us-east-1")
        self.assertEqual(db["manifest"]["sha256"], sha)
        for t in db["tables"]:
            self.assertEqual(t["records"], tables[t["name"]]["records"])
            self.assertEqual({mm["month"]: mm["records"] for mm in t["months"] if mm["records"]},
                             tables[t["name"]]["months"])
        self.assertEqual(j["totals"]["records"], 4320)
        lv = j["latest_verify"]
        self.assertTrue(lv["passed"], lv)
        self.assertEqual(lv["against"], "timestream://us-east-1")
        self.assertEqual(lv["counts"]["table_months_differing"], 0)
        export_run = j["history"][0]
        self.assertEqual(export_run["command"], "export")
        self.assertEqual(export_run["identity"]["credentials"], "environment (AWS_ACCESS_KEY_ID)")
        self.assertEqual(export_run["identity"]["region"], "us-east-1")
        rc, html, err = report(root)
        self.assertEqual(rc, 0, err)
        self.assertIn("compared with timestream://us-east-1", html)
        self.assertIn("credentials environment (AWS_ACCESS_KEY_ID), profile default, region us-east-1", html)
        assert_no_external(self, html)
        self.assertIn("endpoint <code>http://127.0.0.1:", html)  # shown as text, never fetched


EVIL = "<script>alert(1)</script>&\"'"


def append_run(audit_dir, command, entries):
    """Appends a run to the chain, correctly hashed: a forged-but-valid log, so the report must
    render whatever strings it carries."""
    names = sorted(os.listdir(audit_dir))
    last_hash, last_seq = None, -1
    for n in names:
        with open(os.path.join(audit_dir, n), "rb") as f:
            lines = f.read().splitlines()
        for ln in lines:
            s = json.loads(ln)["seq"]
            if s > last_seq:
                last_seq, last_hash = s, hashlib.sha256(ln).hexdigest()
    run_id = "f" * 32
    out, prev, seq = [], last_hash, last_seq + 1
    for ev in entries:
        e = dict(ev)
        e.update({"seq": seq, "prev": prev, "command": command, "run_id": run_id,
                  "when": "2030-01-01T00:00:%02d.000000000Z" % (seq % 60)})
        line = json.dumps(e, sort_keys=True, separators=(",", ":")).encode()
        out.append(line)
        prev, seq = hashlib.sha256(line).hexdigest(), seq + 1
    name = "20300101T000000Z_%s_%s.jsonl" % (command, run_id)
    with open(os.path.join(audit_dir, name), "wb") as f:
        f.write(b"\n".join(out) + b"\n")
    return name


class Escaping(unittest.TestCase):
    """Strings from the archive — its path, a column name, a dimension value, a table name in a
    manifest, audit entries — are escaped in HTML and Markdown and kept exact in JSON."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tsa-report-esc-")
        cls.root = os.path.join(cls.tmp, "a<b>&\"'c")
        lp = os.path.join(cls.tmp, "w.lp")
        with open(lp, "w") as f:
            f.write('gen,pl<a>nt&"\'=x<y>&"\' v=1 1704067200000000000\n')
        export(cls.root, db="weird", src=lp)
        arc = os.path.join(cls.root, "timestream-archive")
        # a database whose manifest names a table "<script>..." (the reader refuses it: the
        # error message quoting it must be escaped too)
        os.makedirs(os.path.join(arc, "evil"))
        with open(os.path.join(arc, "weird", "export_metadata.json")) as f:
            m = json.load(f)
        m["database"] = "evil"
        m["tables"][0]["name"] = EVIL
        with open(os.path.join(arc, "evil", "export_metadata.json"), "w") as f:
            json.dump(m, f)
        cls.cleanup_obj = append_run(os.path.join(arc, "_audit"), "cleanup", [
            {"event": "start", "arguments": {"apply": True, "note": EVIL},
             "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/<r>&x", "credentials": "env"}},
            {"event": "plan", "items": [{"kind": "function", "name": EVIL, "arn": "arn:plan-only"}]},
            {"event": "delete", "kind": "function", "name": EVIL,
             "arn": "arn:aws:lambda:us-east-1:123456789012:function:" + EVIL, "outcome": "done"},
            {"event": "delete", "kind": "role", "name": "ts-role",
             "arn": "arn:aws:iam::123456789012:role/ts-role", "outcome": "done"},
            {"event": "detach", "kind": "policy-attachment", "name": "p1", "outcome": "failed",
             "arn": "arn:aws:iam::123456789012:policy/p1",
             "error": {"message": "IAM DetachRolePolicy: AccessDenied: <denied>", "code": "AccessDenied"}},
            {"event": "end", "outcome": "ok", "deleted": 2, "failed": 1},
        ])
        cls.out = {}
        for fmt in ("html", "md", "json"):
            cls.out[fmt] = report(cls.root, "--format", fmt)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_chain_still_intact(self):
        rc, out, err = run_tsarchive(["audit", "verify", self.root])
        self.assertEqual(rc, 0, out + err)

    def test_json_keeps_the_strings(self):
        rc, out, err = self.out["json"]
        self.assertEqual(rc, 3, err)  # the invalid manifest is a problem the report records
        j = json.loads(out)
        self.assertEqual(j["root"], self.root)
        weird = [d for d in j["databases"] if d["name"] == "weird"][0]
        self.assertIn('pl<a>nt&"\'', [c["name"] for c in weird["tables"][0]["columns"]])
        evil = [d for d in j["databases"] if d["name"] == "evil"][0]
        self.assertFalse(evil["manifest"]["valid"])
        run = [r for r in j["history"] if r["command"] == "cleanup"][0]
        self.assertEqual(run["object"], self.cleanup_obj)
        self.assertEqual([r["name"] for r in run["resources"]], [EVIL, "ts-role", "p1"])
        self.assertEqual(run["resources"][1]["arn"], "arn:aws:iam::123456789012:role/ts-role")
        self.assertEqual(run["resources"][2]["outcome"], "failed")
        self.assertEqual(run["resources"][2]["error"], "IAM DetachRolePolicy: AccessDenied: <denied>")
        self.assertEqual(run["counts"], {"deleted": 2, "failed": 1})
        self.assertEqual(run["events"], {"start": 1, "plan": 1, "delete": 2, "detach": 1, "end": 1})
        self.assertEqual(run["identity"]["arn"], "arn:aws:sts::123456789012:assumed-role/<r>&x")

    def test_html_escapes(self):
        rc, out, err = self.out["html"]
        self.assertEqual(rc, 3, err)
        assert_no_external(self, out)
        p = parse_html(out)
        self.assertEqual([t for t, _ in p.tags if t in ("script", "a", "r", "y")], [])
        text = "".join(p.text)
        self.assertIn('pl<a>nt&"\'', text)               # shown as text, exactly
        self.assertIn(self.root, text)
        self.assertIn("arn:aws:lambda:us-east-1:123456789012:function:" + EVIL, text)
        self.assertIn("arn:aws:iam::123456789012:role/ts-role", text)
        self.assertIn("failed: IAM DetachRolePolicy: AccessDenied: <denied>", text)
        self.assertNotIn("arn:plan-only", text)
        self.assertIn("&lt;script&gt;", out)
        self.assertIn("&amp;&quot;&#39;", out)
        # no raw markup from the archive anywhere: every '<' in the page opens a known tag
        for m in re.finditer(r"<(/?)([a-zA-Z!][^\s>/]*)", out):
            self.assertIn(m.group(2).lower(), {
                "!doctype", "html", "head", "meta", "title", "style", "body", "header", "h1",
                "h2", "h3", "p", "code", "section", "div", "span", "b", "i", "table", "tr", "th",
                "td", "ul", "li", "details", "summary", "svg", "line", "text", "rect", "br",
                "footer"}, out[m.start():m.start() + 60])

    def test_markdown_escapes(self):
        rc, out, err = self.out["md"]
        self.assertEqual(rc, 3, err)
        self.assertNotRegex(out, r"<script|<a>|<b>|<y>|<r>")
        self.assertIn("&lt;script&gt;alert", out)
        self.assertIn("pl&lt;a&gt;nt&amp;\"'", out)
        # a table row never gains cells from a '|' in a string
        for line in out.splitlines():
            if line.startswith("| "):
                self.assertNotIn("||", line.replace("\\|", ""))


if __name__ == "__main__":
    unittest.main()
