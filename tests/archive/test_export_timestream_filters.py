"""export --from timestream:// with --table GLOB, --since/--until and --dry-run against the
Timestream emulator (bulk --load): the tables, rows, months, counts and first/last times the
filters select (computed here from the input line protocol), the half-open [since, until)
boundaries, a dry run that writes nothing, a glob that matches nothing, a re-run that is a
no-op, and an earlier full month that a filtered export never replaces with part of it."""
import calendar
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import unittest

SRC = os.environ.get("TSARCHIVE_SRC", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))

from servers import emulator, run_tsarchive  # noqa: E402

NS = 1_000_000_000


def epoch_ns(y, m, d, hh=0, mm=0, ss=0):
    return calendar.timegm((y, m, d, hh, mm, ss, 0, 0, 0)) * NS


def fmt_ns(ns):
    s, frac = divmod(ns, NS)
    return "%s.%09dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)), frac)


SINCE = epoch_ns(2024, 1, 20)
UNTIL = epoch_ns(2024, 3, 10)
SINCE_S = "2024-01-20T00:00:00Z"
UNTIL_S = "2024-03-10T00:00:00Z"

# (database, table) -> number of regular rows; every table also gets the boundary rows
TABLES = {("tsf", "cpu"): 60, ("tsf", "disk_io"): 45, ("tsf", "mem"): 50, ("tsg", "cpu"): 30,
          ("tsg", "x"): 20}


def make_rows(n, salt):
    """[(time_ns, host, value)]: Jan..Mar 2024 plus rows exactly at and next to since/until."""
    rows = []
    for k in range(n):
        t = epoch_ns(2024, 1, 1) + k * (37 * 3600 + 13 * 60 + salt) * NS
        if t >= epoch_ns(2024, 4, 1):
            break
        rows.append((t, "h%d" % (k % 3), k + 0.25))
    for j, t in enumerate((SINCE - 1000, SINCE, UNTIL - 1000, UNTIL)):
        rows.append((t, "edge%d" % j, 1000.5 + j))
    return rows


def month_of(ns):
    tm = time.gmtime(ns // NS)
    return (tm.tm_year, tm.tm_mon)


def expect_files(rows, since=None, until=None):
    """{month path: (records, min, max)} of the rows the filter selects."""
    out = {}
    for t, _, _ in rows:
        if (since is not None and t < since) or (until is not None and t >= until):
            continue
        y, m = month_of(t)
        n, lo, hi = out.get((y, m), (0, t, t))
        out[(y, m)] = (n + 1, min(lo, t), max(hi, t))
    return out


def file_path(table, ym):
    y, m = ym
    last = calendar.monthrange(y, m)[1]
    return "%s/year=%04d/month=%02d/%s_%04d%02d01_%04d%02d%02d.parquet" % (table, y, m, table, y, m, y, m, last)


def listing(root, with_audit=False):
    out = {}
    for d, _, files in os.walk(root):
        rel = os.path.relpath(d, root)
        if not with_audit and "_audit" in rel.split(os.sep):
            continue
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


class TimestreamFilters(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="export-tsfilters-")
        cls.rows = {}
        loads = []
        for i, ((db, table), n) in enumerate(sorted(TABLES.items())):
            rows = make_rows(n, salt=i * 7)
            cls.rows[(db, table)] = rows
            lp = os.path.join(cls.tmp, "%s.%s.lp" % (db, table))
            with open(lp, "w") as f:
                for t, host, v in rows:
                    f.write("%s,host=%s value=%r %d\n" % (table, host, v, t))
            loads += ["--load", "%s.%s=%s" % (db, table, lp)]
        cls.emu_cm = emulator("timestream", "--retention", "ignore", *loads)
        cls.emu = cls.emu_cm.__enter__()
        cls.env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                   "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": cls.emu.url, "AWS_PROFILE": None,
                   "AWS_SESSION_TOKEN": None, "PROJECT_NAME": None, "ENVIRONMENT": None}

    @classmethod
    def tearDownClass(cls):
        cls.emu_cm.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def export(self, root, *args):
        rc, out, err = run_tsarchive(["export", "--from", "timestream://us-east-1", "--to", root,
                                      "--json"] + list(args), env=self.env, timeout=120)
        try:
            j = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
        except ValueError:
            j = None
        return rc, j, out + err

    def manifest(self, root, db):
        with open(os.path.join(root, "timestream-archive", db, "export_metadata.json")) as f:
            return json.load(f)

    def check_table(self, man, table, rows, since, until):
        exp = expect_files(rows, since, until)
        tabs = {t["name"]: t for t in man["tables"]}
        self.assertIn(table, tabs)
        got = {f["path"]: (f["record_count"], f["min_time"], f["max_time"]) for f in tabs[table]["files"]}
        want = {file_path(table, ym): (n, fmt_ns(lo), fmt_ns(hi)) for ym, (n, lo, hi) in exp.items()}
        self.assertEqual(got, want, "manifest files of %s vs the rows the filter selects" % table)
        self.assertEqual(tabs[table]["record_count"], sum(n for n, _, _ in exp.values()))

    def test_table_since_until_then_rerun_is_noop(self):
        root = os.path.join(self.tmp, "filtered")
        args = ["--table", "c*", "--table", "disk_*", "--since", SINCE_S, "--until", UNTIL_S]
        rc, j, log = self.export(root, *args)
        self.assertEqual(rc, 0, log)
        # both databases; cpu in each, disk_io in tsf; mem and x are not selected
        self.assertEqual(sorted((t["database"], t["table"]) for t in j["tables"]),
                         [("tsf", "cpu"), ("tsf", "disk_io"), ("tsg", "cpu")], log)
        for db, tables in (("tsf", ("cpu", "disk_io")), ("tsg", ("cpu",))):
            man = self.manifest(root, db)
            self.assertEqual(sorted(t["name"] for t in man["tables"]), sorted(tables))
            for t in tables:
                self.check_table(man, t, self.rows[(db, t)], SINCE, UNTIL)
        self.assertFalse(os.path.exists(os.path.join(root, "timestream-archive", "tsf", "mem")))
        self.assertFalse(os.path.exists(os.path.join(root, "timestream-archive", "tsg", "x")))
        # boundaries: the row at since is in, the one just before is out; the row just
        # before until is in (last of March's file), the one at until is out
        cpu = {t["name"]: t for t in self.manifest(root, "tsf")["tables"]}["cpu"]
        self.assertEqual(cpu["min_time"], fmt_ns(SINCE))
        self.assertEqual(cpu["max_time"], fmt_ns(UNTIL - 1000))
        for t in j["tables"]:
            exp = expect_files(self.rows[(t["database"], t["table"])], SINCE, UNTIL)
            self.assertEqual(t["records"], sum(n for n, _, _ in exp.values()), t)
            self.assertEqual(t["files_written"], len(exp), t)
        # the files hold what the manifest says (verify decodes every page and counts)
        rc2, out2, err2 = run_tsarchive(["verify", root], env=self.env, timeout=120)
        self.assertEqual(rc2, 0, out2 + err2)
        # the same filtered export again: nothing written, every file unchanged
        before = listing(root)
        rc, j2, log = self.export(root, *args)
        self.assertEqual(rc, 0, log)
        self.assertEqual(j2["files_written"], 0, log)
        self.assertEqual(j2["files_unchanged"], j["files_written"], log)
        after = listing(root)
        self.assertEqual({k: v for k, v in after.items() if k.endswith(".parquet")},
                         {k: v for k, v in before.items() if k.endswith(".parquet")})

    def test_dry_run_writes_nothing(self):
        root = os.path.join(self.tmp, "dry")
        os.makedirs(root)
        before = listing(root)
        rc, j, log = self.export(root, "--database", "tsf", "--table", "cpu", "--table", "mem",
                                 "--since", SINCE_S, "--dry-run")
        self.assertEqual(rc, 0, log)
        self.assertEqual(listing(root), before, "a dry run wrote data: " + log)
        self.assertTrue(j["dry_run"], j)
        self.assertEqual(j["files_written"], sum(len(expect_files(self.rows[("tsf", t)], SINCE)) for t in ("cpu", "mem")))
        self.assertEqual(j["rows"], 0, j)
        for t in j["tables"]:
            exp = expect_files(self.rows[("tsf", t["table"])], SINCE)
            self.assertEqual(t["records"], sum(n for n, _, _ in exp.values()), t)
            self.assertEqual([(m["month"], m["records"]) for m in t["months"]],
                             [("%04d-%02d" % ym, n) for ym, (n, _, _) in sorted(exp.items())], t)
        self.assertEqual(sorted(t["table"] for t in j["tables"]), ["cpu", "mem"])
        # the text form lists the months and the total
        rc, out, err = run_tsarchive(["export", "--from", "timestream://us-east-1", "--to", root,
                                      "--database", "tsf", "--table", "cpu", "--until", UNTIL_S,
                                      "--dry-run"], env=self.env, timeout=120)
        self.assertEqual(rc, 0, out + err)
        exp = expect_files(self.rows[("tsf", "cpu")], None, UNTIL)
        total = sum(n for n, _, _ in exp.values())
        self.assertIn("tsf.cpu: %d rows (Timestream's count) in %d months (dry run)" % (total, len(exp)), out)
        for ym, (n, _, _) in exp.items():
            self.assertIn("  %04d-%02d: %d rows" % (ym[0], ym[1], n), out)
        self.assertIn("dry run: %d rows in %d table-months" % (total, len(exp)), out)
        self.assertEqual(listing(root), before, "a dry run wrote data: " + out + err)

    def test_glob_matching_nothing_fails_naming_it(self):
        root = os.path.join(self.tmp, "nomatch")
        rc, j, log = self.export(root, "--table", "cpu", "--table", "nope*")
        self.assertEqual(rc, 4, log)  # as the InfluxDB export: not found
        self.assertIn("--table nope* matches no table", log)
        self.assertEqual({k for k in listing(root) if k.endswith(".parquet")}, set(), log)
        # a glob matching in one database only is fine
        rc, j, log = self.export(root, "--table", "x", "--dry-run")
        self.assertEqual(rc, 0, log)
        self.assertEqual([(t["database"], t["table"]) for t in j["tables"]], [("tsg", "x")])

    def test_full_month_not_replaced_by_part(self):
        import boto3
        root = os.path.join(self.tmp, "fullfirst")
        rc, j, log = self.export(root, "--database", "tsf")
        self.assertEqual(rc, 0, log)
        full = listing(root)
        man_full = self.manifest(root, "tsf")
        self.check_table(man_full, "mem", self.rows[("tsf", "mem")], None, None)
        # a filtered export over the complete archive keeps every file (the January and
        # March files hold more than the window, and Timestream still has exactly them);
        # tables it does not select stay listed
        rc, j, log = self.export(root, "--database", "tsf", "--table", "mem", "--since", SINCE_S,
                                 "--until", UNTIL_S)
        self.assertEqual(rc, 0, log)
        self.assertEqual(j["files_written"], 0, log)
        self.assertEqual(j["files_unchanged"], len(expect_files(self.rows[("tsf", "mem")], SINCE, UNTIL)), log)
        self.assertEqual({k: v for k, v in listing(root).items() if k.endswith(".parquet")},
                         {k: v for k, v in full.items() if k.endswith(".parquet")})
        man = self.manifest(root, "tsf")
        self.assertEqual(sorted(t["name"] for t in man["tables"]), ["cpu", "disk_io", "mem"])
        for t in ("cpu", "disk_io", "mem"):
            self.check_table(man, t, self.rows[("tsf", t)], None, None)
        # (the class's other tests do not read mem before --since)
        # Timestream gains a January row before --since: the archived January file no
        # longer equals Timestream there, and a filtered export must not swap it for the
        # part of January it selects
        w = boto3.client("timestream-write", endpoint_url=self.emu.url, region_name="us-east-1",
                         aws_access_key_id="test", aws_secret_access_key="test")
        w.write_records(DatabaseName="tsf", TableName="mem", Records=[{
            "Dimensions": [{"Name": "host", "Value": "late"}], "MeasureName": "mem",
            "MeasureValueType": "MULTI", "MeasureValues": [{"Name": "value", "Value": "7.5", "Type": "DOUBLE"}],
            "Time": str(epoch_ns(2024, 1, 5, 12) // 1000), "TimeUnit": "MICROSECONDS"}])
        rc, j, log = self.export(root, "--database", "tsf", "--table", "mem", "--since", SINCE_S,
                                 "--until", UNTIL_S)
        self.assertEqual(rc, 6, log)
        self.assertIn("month 2024-01", log)
        self.assertIn("does not replace it", log)
        self.assertEqual({k: v for k, v in listing(root).items() if k.endswith(".parquet")},
                         {k: v for k, v in full.items() if k.endswith(".parquet")})


if __name__ == "__main__":
    unittest.main(verbosity=2)
