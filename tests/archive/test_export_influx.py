"""tsarchive export --from influx1:// against a REAL InfluxDB 1.x (Debian's influxd on 127.0.0.1).

- round trip: a generated line-protocol file (several measurements and months, sparse fields,
  NULL tags, integers, strings, booleans, sub-microsecond times) exported to an archive, that
  archive restored into influxd, then exported back with influx1://: every table's rows (canonical
  JSON Lines via `tsarchive cat`) equal the first archive's, per-file counts and time ranges
  equal, and `verify --against influx1://` passes;
- mapping: a `measure_name` tag becomes the measure_name column, types follow SHOW FIELD KEYS;
- --table, --since/--until, --dry-run, --json; a field whose type differs between shards is
  refused with the field named;
- resume: kill -9 at a random moment of a --jobs 2 export, re-run: files and manifest (but its
  export id and times) byte-identical to an uninterrupted export;
- a month changed after planning is caught by the per-field counts (no file written).
"""
import glob
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SRC = os.environ.get("TSARCHIVE_SRC", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))

from servers import influxd, run_tsarchive, tsarchive_bin, _clean_env  # noqa: E402

JAN = 1704067200 * 10**9  # 2024-01-01
DAY = 86400 * 10**9


def gen_lp(path, seed=7):
    """Three measurements over four months; returns the number of lines."""
    rnd = random.Random(seed)
    lines = []
    for i in range(1500):
        t = JAN + i * (DAY * 120 // 1500) + (rnd.randrange(1000) if i % 7 == 0 else 0) * 1000
        if i % 11 == 0:
            t += 123  # sub-microsecond
        host = "h%d" % (i % 5)
        tags = ",host=%s" % host + (",rack=r%d" % (i % 3) if i % 4 else "")
        fields = ["usage=%r" % (rnd.random() * 100)]
        if i % 3 == 0:
            fields.append("cores=%di" % rnd.randrange(-5, 64))
        if i % 5 == 0:
            fields.append('note="n %d \\"q\\" é"' % i)
        if i % 2 == 0:
            fields.append("up=%s" % ("true" if i % 4 == 0 else "false"))
        lines.append("cpu%s %s %d" % (tags, ",".join(fields), t))
    for i in range(400):
        t = JAN + DAY * 40 + i * 10**9 * 3600
        lines.append("disk,dev=sd%s free=%di,used=%r %d" % ("ab"[i % 2], 1000 - i, i * 0.5, t))
    for i in range(50):
        lines.append("net,if=eth0 rx=%d.5 %d" % (i, JAN + DAY * 100 + i * 10**9))
    random.Random(seed).shuffle(lines)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return len(lines)


def archive_rows(root, db):
    """{table: sorted canonical JSON lines} of every file in the archive's manifest."""
    out = {}
    base = os.path.join(root, "timestream-archive", db)
    with open(os.path.join(base, "export_metadata.json")) as f:
        man = json.load(f)
    for t in man["tables"]:
        rows = []
        for fr in t["files"]:
            rc, text, err = run_tsarchive(["cat", os.path.join(base, fr["path"])])
            assert rc == 0, err
            for line in text.splitlines():
                d = json.loads(line)
                d.pop("time_ns", None)  # present in both when needed; time checked via time
                rows.append(json.dumps(d, sort_keys=True))
        out[t["name"]] = sorted(rows)
    return out, man


def file_summary(man):
    return {t["name"]: [(f["path"], f["record_count"], f["min_time"], f["max_time"]) for f in t["files"]]
            for t in man["tables"]}


def tree_bytes(root, skip_audit=True):
    out = {}
    for p in sorted(glob.glob(os.path.join(root, "**", "*"), recursive=True)):
        if os.path.isdir(p) or (skip_audit and "/_audit/" in p) or "/.tmp-" in p:
            continue
        with open(p, "rb") as f:
            out[os.path.relpath(p, root)] = f.read()
    return out


def manifest_stable(b):
    m = json.loads(b)
    for k in ("export_id", "started_at", "finished_at"):
        m.pop(k, None)
    return m


class ExportInflux1(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="export-influx1-")
        cls.srv_cm = influxd()
        cls.srv = cls.srv_cm.__enter__()
        cls.host = cls.srv.url.replace("http://", "")

    @classmethod
    def tearDownClass(cls):
        cls.srv_cm.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def export(self, db, root, *extra, timeout=120):
        rc, out, err = run_tsarchive(["export", "--from", "influx1://%s/%s" % (self.host, db), "--to", root,
                                      "--json"] + list(extra), timeout=timeout)
        rep = json.loads(out) if out.strip().startswith("{") else None
        return rc, rep, err

    def test_round_trip_through_influxd(self):
        lp = os.path.join(self.tmp, "rt.lp")
        gen_lp(lp)
        a1 = os.path.join(self.tmp, "a1")
        rc, out, err = run_tsarchive(["export", "--from", lp, "--database", "src", "--to", a1])
        self.assertEqual(rc, 0, err)
        self.srv.query('CREATE DATABASE "rt"')
        rc, out, err = run_tsarchive(["restore", a1, "--to", "influx1://%s/rt" % self.host,
                                      "--state-dir", os.path.join(self.tmp, "st-rt")], timeout=300)
        self.assertEqual(rc, 0, out + err)
        a2 = os.path.join(self.tmp, "a2")
        rc, rep, err = self.export("rt", a2, "--database", "src", "--jobs", "2")
        self.assertEqual(rc, 0, err)
        self.assertTrue(rep["ok"], rep)
        rows1, man1 = archive_rows(a1, "src")
        rows2, man2 = archive_rows(a2, "src")
        self.assertEqual(sorted(rows1), sorted(rows2))
        for t in rows1:
            if rows1[t] != rows2[t]:
                for x, y in zip(rows1[t], rows2[t]):
                    if x != y:
                        self.fail("table %s: first difference\n file:   %s\n influx: %s" % (t, x, y))
                self.fail("table %s: %d rows vs %d" % (t, len(rows1[t]), len(rows2[t])))
        self.assertEqual(file_summary(man1), file_summary(man2))
        # the same time_ns choice and column types
        for t1, t2 in zip(man1["tables"], man2["tables"]):
            self.assertEqual("time_ns" in [c["name"] for c in t1["columns"]],
                             "time_ns" in [c["name"] for c in t2["columns"]], t1["name"])
            c1 = {c["name"]: c["source_type"] for c in t1["columns"]}
            c2 = {c["name"]: c["source_type"] for c in t2["columns"]}
            self.assertEqual(c1, c2, t1["name"])
        self.assertEqual(man2["source"]["kind"], "influx1")
        self.assertNotIn("password", json.dumps(man2))
        rc, out, err = run_tsarchive(["verify", a2, "--against", "influx1://%s/rt" % self.host])
        self.assertEqual(rc, 0, out + err)
        # a re-run verifies and writes nothing
        rc, rep, err = self.export("rt", a2, "--database", "src")
        self.assertEqual(rc, 0, err)
        self.assertEqual(rep["files_written"], 0, rep)
        self.assertEqual(rep["files_unchanged"], sum(len(t["files"]) for t in man2["tables"]))

    def test_mapping_filters_dry_run(self):
        self.srv.query('CREATE DATABASE "mp"')
        self.srv.write([
            'm1,host=a,measure_name=temp value=1.5,n=2i 1704067200000000000',
            'm1,host=b,measure_name=hum value=3 1706745600000000000',
            'other,x=1 v=true 1704067200000000000',
        ], "mp")
        root = os.path.join(self.tmp, "mp")
        rc, rep, err = self.export("mp", root, "--dry-run")
        self.assertEqual(rc, 0, err)
        self.assertTrue(rep["dry_run"])
        self.assertEqual({t["table"]: (t["records"], t["files_written"]) for t in rep["tables"]},
                         {"m1": (2, 2), "other": (1, 1)})
        self.assertFalse(os.path.exists(os.path.join(root, "timestream-archive", "mp")))
        rc, rep, err = self.export("mp", root, "--table", "m*", "--since", "2024-02-01", "--until", "2024-03-01")
        self.assertEqual(rc, 0, err)
        self.assertEqual([t["table"] for t in rep["tables"]], ["m1"])
        with open(os.path.join(root, "timestream-archive", "mp", "export_metadata.json")) as f:
            man = json.load(f)
        t = man["tables"][0]
        self.assertEqual([(c["name"], c["role"], c["source_type"]) for c in t["columns"]],
                         [("time", "time", "TIMESTAMP"), ("host", "dimension", "VARCHAR"),
                          ("measure_name", "measure_name", "VARCHAR"), ("n", "measure", "BIGINT"),
                          ("value", "measure", "DOUBLE")])
        self.assertEqual([f["path"] for f in t["files"]], ["m1/year=2024/month=02/m1_20240201_20240229.parquet"])
        rc, text, err = run_tsarchive(["cat", os.path.join(root, "timestream-archive", "mp", t["files"][0]["path"])])
        self.assertEqual([json.loads(x) for x in text.splitlines()],
                         [{"time": "2024-02-01T00:00:00.000000000Z", "host": "b", "measure_name": "hum",
                           "n": None, "value": 3.0}])

    def test_field_type_conflict_between_shards(self):
        self.srv.query('CREATE DATABASE "cf"')
        # shards are per week by default: the same field as float in one, integer in another
        self.srv.write(['t,a=1 f=1.5 1704067200000000000'], "cf")
        self.srv.write(['t,a=1 f=2i 1706745600000000000'], "cf")
        rc, rep, err = self.export("cf", os.path.join(self.tmp, "cf"))
        self.assertNotEqual(rc, 0, rep)
        msg = json.dumps(rep) + err
        self.assertIn('field \\"f\\"', msg)
        self.assertIn("float", msg)
        self.assertIn("integer", msg)

    def test_kill9_then_resume_is_byte_identical(self):
        self.srv.query('CREATE DATABASE "big"')
        rnd = random.Random(3)
        batch = []
        for i in range(120000):
            t = JAN + i * (DAY * 180 // 120000) + (i % 13)
            batch.append("load,site=s%d v=%r,k=%di %d" % (i % 7, rnd.random(), i, t))
            if len(batch) == 20000:
                self.srv.write(batch, "big")
                batch = []
        ref = os.path.join(self.tmp, "big-ref")
        rc, rep, err = self.export("big", ref, timeout=300)
        self.assertEqual(rc, 0, err)
        root = os.path.join(self.tmp, "big-kill")
        env = _clean_env()
        cmd = [tsarchive_bin(), "export", "--from", "influx1://%s/big" % self.host, "--to", root,
               "--jobs", "2", "--batch-rows", "1000"]
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # kill once at least one month file exists, after a random extra delay (bounded)
        deadline = time.time() + 60
        while time.time() < deadline and p.poll() is None:
            if glob.glob(os.path.join(root, "timestream-archive", "big", "load", "*", "*", "*.parquet")):
                break
            time.sleep(0.01)
        time.sleep(random.Random().uniform(0, 0.3))
        killed = p.poll() is None
        if killed:
            p.send_signal(signal.SIGKILL)
        p.wait()
        print("killed mid-run:", killed)
        rc, rep, err = self.export("big", root, timeout=300)
        self.assertEqual(rc, 0, err)
        a, b = tree_bytes(ref), tree_bytes(root)
        self.assertEqual(sorted(a), sorted(b))
        for k in a:
            if k.endswith("export_metadata.json"):
                self.assertEqual(manifest_stable(a[k]), manifest_stable(b[k]), k)
            else:
                self.assertEqual(hashlib.sha256(a[k]).hexdigest(), hashlib.sha256(b[k]).hexdigest(), k)


    def test_point_added_after_planning_is_caught(self):
        self.srv.query('CREATE DATABASE "chg"')
        self.srv.write(['c,h=a v=1 1704067200000000000', 'c,h=a v=2 1704067260000000000'], "chg")
        hold = os.path.join(self.tmp, "hold")
        open(hold, "w").close()
        root = os.path.join(self.tmp, "chg")
        cmd = [tsarchive_bin(), "export", "--from", "influx1://%s/chg" % self.host, "--to", root]
        p = subprocess.Popen(cmd, env=_clean_env({"TSARCHIVE_TEST_HOLD_AFTER_PLAN": hold}),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while not os.path.exists(hold + ".planned") and time.time() < deadline:
            time.sleep(0.02)
        self.assertTrue(os.path.exists(hold + ".planned"))
        self.srv.write(['c,h=b v=3 1704067300000000000'], "chg")
        os.unlink(hold)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 3, out + err)
        self.assertIn('InfluxDB counted 2 values of field \"v\" but the export read 3', out + err)
        self.assertIn("2024-01", out + err)
        self.assertFalse(glob.glob(os.path.join(root, "timestream-archive", "chg", "c", "*", "*", "*.parquet")))
        self.assertFalse(os.path.exists(os.path.join(root, "timestream-archive", "chg", "export_metadata.json")))

    # ---- filters behave as the Timestream export's (docs/export.md "Filters") ----

    def archive_state(self, root, db):
        """(manifest {table: {path: sha256}}, {path: sha256 of the bytes on disk}) of an archive."""
        base = os.path.join(root, "timestream-archive", db)
        with open(os.path.join(base, "export_metadata.json")) as f:
            man = json.load(f)
        listed = {t["name"]: {fr["path"]: fr["sha256"] for fr in t["files"]} for t in man["tables"]}
        disk = {}
        for p in glob.glob(os.path.join(base, "*", "year=*", "month=*", "*.parquet")):
            with open(p, "rb") as f:
                disk[os.path.relpath(p, base)] = hashlib.sha256(f.read()).hexdigest()
        return listed, disk

    def test_filter_glob_matching_nothing_is_named(self):
        self.srv.query('CREATE DATABASE "gl"')
        self.srv.write(['cpu,h=a v=1 1704067200000000000', 'disk,h=a v=2 1704067200000000000'], "gl")
        root = os.path.join(self.tmp, "gl")
        rc, rep, err = self.export("gl", root, "--table", "cpu*", "--table", "nope*")
        msg = json.dumps(rep) + err
        self.assertEqual(rc, 4, msg)
        self.assertIn("--table nope* matches no table in database gl; nothing was exported", msg)
        self.assertFalse(os.path.exists(os.path.join(root, "timestream-archive", "gl")), msg)
        # each glob is checked: the matching one is not the one named
        self.assertNotIn("--table cpu*", msg)

    def test_filter_table_subset_keeps_other_measurements(self):
        self.srv.query('CREATE DATABASE "sub"')
        self.srv.write(['cpu,h=a v=1 1704067200000000000', 'cpu,h=a v=2 1706745600000000000',
                        'disk,d=x free=5i 1704153600000000000', 'net,if=e rx=1.5 1709251200000000000'], "sub")
        root = os.path.join(self.tmp, "sub")
        rc, rep, err = self.export("sub", root)
        self.assertEqual(rc, 0, err)
        listed1, disk1 = self.archive_state(root, "sub")
        self.assertEqual(sorted(listed1), ["cpu", "disk", "net"])
        self.assertEqual(sum(len(v) for v in listed1.values()), 4, listed1)
        for t, files in listed1.items():
            for path, sha in files.items():
                self.assertEqual(disk1[path], sha, path)
        # a point added to cpu: a --table cpu export rewrites only cpu's month
        self.srv.write(['cpu,h=b v=3 1704070800000000000'], "sub")
        rc, rep, err = self.export("sub", root, "--table", "cpu")
        self.assertEqual(rc, 0, err)
        self.assertEqual([t["table"] for t in rep["tables"]], ["cpu"], rep)
        listed2, disk2 = self.archive_state(root, "sub")
        self.assertEqual(sorted(listed2), ["cpu", "disk", "net"], listed2)
        self.assertEqual(listed2["disk"], listed1["disk"])
        self.assertEqual(listed2["net"], listed1["net"])
        self.assertEqual(sorted(listed2["cpu"]), sorted(listed1["cpu"]))
        jan = [p for p in listed1["cpu"] if "month=01" in p][0]
        feb = [p for p in listed1["cpu"] if "month=02" in p][0]
        self.assertNotEqual(listed2["cpu"][jan], listed1["cpu"][jan])
        self.assertEqual(listed2["cpu"][feb], listed1["cpu"][feb])
        # every file on disk listed with its SHA-256, none unlisted
        self.assertEqual({p: s for v in listed2.values() for p, s in v.items()}, disk2)
        rc, out, err = run_tsarchive(["verify", root])
        self.assertEqual(rc, 0, out + err)

    def test_filter_since_reexport_keeps_fuller_files(self):
        self.srv.query('CREATE DATABASE "sn"')
        self.srv.write(['s,h=a v=1 %d' % (JAN + 0 * DAY), 's,h=a v=2 %d' % (JAN + 4 * DAY),
                        's,h=b v=3 %d' % (JAN + 19 * DAY), 's,h=a v=4 %d' % (JAN + 33 * DAY),
                        's,h=a v=5 %d' % (JAN + 40 * DAY)], "sn")
        root = os.path.join(self.tmp, "sn")
        rc, rep, err = self.export("sn", root)
        self.assertEqual(rc, 0, err)
        listed1, disk1 = self.archive_state(root, "sn")
        self.assertEqual(len(disk1), 2, disk1)
        rc, rep, err = self.export("sn", root, "--since", "2024-01-10")
        self.assertEqual(rc, 0, json.dumps(rep) + err)
        self.assertEqual(rep["files_written"], 0, rep)
        self.assertEqual(rep["files_unchanged"], 2, rep)
        listed2, disk2 = self.archive_state(root, "sn")
        self.assertEqual(disk2, disk1)
        self.assertEqual(listed2, listed1)

    def test_filter_since_refuses_to_replace_changed_fuller_month(self):
        self.srv.query('CREATE DATABASE "sr"')
        self.srv.write(['r,h=a v=1 %d' % (JAN + 4 * DAY), 'r,h=a v=2 %d' % (JAN + 19 * DAY)], "sr")
        root = os.path.join(self.tmp, "sr")
        rc, rep, err = self.export("sr", root)
        self.assertEqual(rc, 0, err)
        listed1, disk1 = self.archive_state(root, "sr")
        with open(os.path.join(root, "timestream-archive", "sr", "export_metadata.json"), "rb") as f:
            man1 = f.read()
        # inside the archived file's time range, before --since
        self.srv.write(['r,h=b v=3 %d' % (JAN + 6 * DAY)], "sr")
        rc, rep, err = self.export("sr", root, "--since", "2024-01-10")
        msg = json.dumps(rep) + err
        self.assertEqual(rc, 6, msg)
        self.assertIn("month 2024-01", msg)
        self.assertIn("does not replace it with part of the month", msg)
        listed2, disk2 = self.archive_state(root, "sr")
        self.assertEqual(disk2, disk1)
        with open(os.path.join(root, "timestream-archive", "sr", "export_metadata.json"), "rb") as f:
            self.assertEqual(f.read(), man1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
