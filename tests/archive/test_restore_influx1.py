"""tsarchive restore into a REAL InfluxDB 1.x server (Debian's influxd, on 127.0.0.1).

- the sample energy archive: per-month counts, time ranges and sampled points read back through
  /query equal the archive; the parity check agrees;
- a table with exact nanosecond times (time_ns), measure_name, NULL dimensions, integer, string
  and '_' names, and a row whose measures are all NULL (counted, exit 5);
- kill -9 mid-restore (200k points) after the first checkpoint, then resume: same counts, the
  finished files are skipped;
- a batch the server refuses (field type conflict provoked by a point written first) is reported
  with the archive file and row of every refused point, and exit 5.
"""
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
sys.path.insert(0, os.path.join(SRC, "tests", "influx"))

import archive_fixture as af  # noqa: E402
from servers import influxd, run_tsarchive, tsarchive_bin  # noqa: E402

MONTH_NS = None


def month_bounds(y, m):
    import calendar
    lo = calendar.timegm((y, m, 1, 0, 0, 0)) * 10**9
    hi = calendar.timegm((y + (m == 12), m % 12 + 1, 1, 0, 0, 0)) * 10**9
    return lo, hi


def count_points(srv, db, meas, lo=None, hi=None):
    where = " WHERE time >= %d AND time < %d" % (lo, hi) if lo is not None else ""
    res = srv.query('SELECT count(*) FROM "%s"%s' % (meas, where), db)["results"][0]
    if "series" not in res:
        return 0
    return max(v for v in res["series"][0]["values"][0][1:] if isinstance(v, int))


def first_last(srv, db, meas):
    a = srv.points('SELECT * FROM "%s" ORDER BY time ASC LIMIT 1' % meas, db)
    b = srv.points('SELECT * FROM "%s" ORDER BY time DESC LIMIT 1' % meas, db)
    return a[0]["time"], b[0]["time"]


class RestoreInflux1(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="restore-influx1-")
        cls.bin = tsarchive_bin()
        cls.lp = os.path.join(SRC, "samples", "energy.lp")
        cls.root = os.path.join(cls.tmp, "energy")
        os.makedirs(cls.tmp + "/w1")
        cls.how = af.energy_archive(cls.bin, cls.lp, "demo", cls.root, cls.tmp + "/w1")
        print("energy archive made by", cls.how)
        cls.rows = af.parse_lp(cls.lp)["generation"]
        cls.srv_cm = influxd()
        cls.srv = cls.srv_cm.__enter__()
        cls.host = cls.srv.url.replace("http://", "")

    @classmethod
    def tearDownClass(cls):
        cls.srv_cm.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def restore(self, root, db, *extra, timeout=300):
        self.srv.query('CREATE DATABASE "%s"' % db)
        rc, out, err = run_tsarchive(["restore", root, "--to", "influx1://%s/%s" % (self.host, db),
                                      "--state-dir", os.path.join(self.tmp, "state-" + db), "--json"]
                                     + list(extra), timeout=timeout)
        rep = json.loads(out) if out.strip().startswith("{") else None
        return rc, rep, err

    def test_energy_round_trip(self):
        rc, rep, err = self.restore(self.root, "energy")
        self.assertEqual(rc, 0, err)
        self.assertEqual(rep["points"], len(self.rows))
        self.assertEqual(rep["accepted"], len(self.rows))
        self.assertTrue(rep["parity"]["checked"])
        self.assertEqual(rep["parity"]["mismatches"], 0, rep["parity"])
        # per month: counts and time ranges from /query equal the archive's
        months = {}
        for r in self.rows:
            y, m = time.gmtime(r["time"] // 10**9)[:2]
            months.setdefault((y, m), []).append(r["time"])
        for (y, m), ts in sorted(months.items()):
            lo, hi = month_bounds(y, m)
            got = count_points(self.srv, "energy", "generation", lo, hi)
            self.assertEqual(got, len(ts), "month %04d-%02d: archive %d, influx %d" % (y, m, len(ts), got))
            a = self.srv.points('SELECT * FROM generation WHERE time >= %d AND time < %d ORDER BY time ASC LIMIT 1' % (lo, hi), "energy")
            b = self.srv.points('SELECT * FROM generation WHERE time >= %d AND time < %d ORDER BY time DESC LIMIT 1' % (lo, hi), "energy")
            self.assertEqual((a[0]["time"], b[0]["time"]), (min(ts), max(ts)))
        # sampled points: every tag and field as in the source
        rnd = random.Random(7)
        for r in rnd.sample(self.rows, 25):
            pts = self.srv.points("SELECT * FROM generation WHERE time = %d AND plant_id = '%s'"
                                  % (r["time"], r["plant_id"]), "energy")
            self.assertEqual(len(pts), 1, r)
            p = pts[0]
            for k in ("region", "source", "online"):
                self.assertEqual(p[k], r[k], (k, p, r))
            for k in ("generation_mw", "capacity_factor"):
                self.assertAlmostEqual(p[k], r[k], places=9, msg=(k, p, r))
        # field types: floats and a boolean
        fk = self.srv.query("SHOW FIELD KEYS FROM generation", "energy")["results"][0]["series"][0]["values"]
        self.assertEqual(dict(fk), {"capacity_factor": "float", "generation_mw": "float", "online": "boolean"})
        # a second run skips every file and still passes parity
        rc, rep2, err = self.restore(self.root, "energy")
        self.assertEqual(rc, 0, err)
        self.assertEqual(rep2["files_skipped"], rep["files"])
        self.assertEqual(rep2["sent"], 0)
        # a point InfluxDB has but the archive does not: parity names the month, exit 3
        self.srv.write("generation,plant_id=zz,region=x,source=y generation_mw=1.5 %d" % (1707000000 * 10**9),
                       "energy")
        rc, out, err = run_tsarchive(["restore", self.root, "--to", "influx1://%s/energy" % self.host,
                                      "--state-dir", os.path.join(self.tmp, "state-energy")], timeout=300)
        self.assertEqual(rc, 3, out + err)
        self.assertIn("MISMATCH generation 2024-02", out)
        self.assertIn("parity check", err)

    def test_mixed_table_exact_ns_and_all_null(self):
        if not af.have_duckdb():
            self.skipTest("DuckDB (npm ci) needed to write this fixture")
        base = 1717200000 * 10**9  # 2024-06-01
        rows = [
            {"time": base + 1, "host": "a", "measure_name": "cpu", "_load": 1.5, "count": 7, "note": 'say "hi"'},
            {"time": base + 2, "host": None, "measure_name": "cpu", "_load": 2.5, "count": None, "note": None},
            {"time": base + 3, "host": "b c", "measure_name": "mem", "_load": None, "count": -9007199254740993, "note": "x\\y"},
            {"time": base + 4, "host": "a", "measure_name": "cpu", "_load": None, "count": None, "note": None},
            {"time": base + 86400 * 10**9 * 40 + 999, "host": "a", "measure_name": "cpu", "_load": 0.25, "count": 1, "note": "z"},
        ]
        root = os.path.join(self.tmp, "mixed")
        os.makedirs(self.tmp + "/w2", exist_ok=True)
        af.write_archive(root, "ops", {"metrics": {"dims": ["host"], "measure_name": True,
                                                  "measures": [("_load", "double"), ("count", "bigint"),
                                                               ("note", "string")],
                                                  "rows": rows}}, self.tmp + "/w2")
        rc, rep, err = self.restore(root, "mixed")
        self.assertEqual(rc, 5, err)  # the all-NULL row is reported, not dropped silently
        self.assertEqual(rep["all_null_rows"], 1)
        self.assertEqual(rep["points"], 4)
        self.assertEqual(rep["parity"]["mismatches"], 0, rep["parity"])
        pts = self.srv.points("SELECT * FROM metrics ORDER BY time", "mixed")
        self.assertEqual([p["time"] for p in pts], [base + 1, base + 2, base + 3, base + 86400 * 10**9 * 40 + 999])
        self.assertEqual(pts[0]["x_load"], 1.5)          # '_load' renamed by the documented rule
        self.assertEqual(pts[0]["count"], 7)
        self.assertEqual(pts[0]["note"], 'say "hi"')
        self.assertEqual(pts[0]["measure_name"], "cpu")  # measure_name is a tag
        self.assertIsNone(pts[1]["host"])                # NULL dimension: tag omitted
        self.assertEqual(pts[2]["host"], "b c")
        self.assertEqual(pts[2]["count"], -9007199254740993)  # exact int64, not a float
        self.assertEqual(pts[2]["note"], "x\\y")
        fk = dict(self.srv.query("SHOW FIELD KEYS FROM metrics", "mixed")["results"][0]["series"][0]["values"])
        self.assertEqual(fk, {"count": "integer", "note": "string", "x_load": "float"})
        # --measurement measure_name: one measurement per measure_name
        rc, rep, err = self.restore(root, "bymn", "--measurement", "measure_name")
        self.assertEqual(rc, 5, err)
        self.assertEqual(count_points(self.srv, "bymn", "cpu"), 3)
        self.assertEqual(count_points(self.srv, "bymn", "mem"), 1)
        self.assertEqual(rep["parity"]["mismatches"], 0, rep["parity"])

    def test_kill_and_resume(self):
        big = os.path.join(self.tmp, "big.lp")
        subprocess.run([sys.executable, os.path.join(SRC, "scripts", "gen_energy.py"), "--rows", "200000",
                        "--step", "900", "--out", big], check=True)
        root = os.path.join(self.tmp, "big")
        os.makedirs(self.tmp + "/w3", exist_ok=True)
        af.energy_archive(self.bin, big, "demo", root, self.tmp + "/w3", prefer_export=False)
        db = "resume"
        self.srv.query('CREATE DATABASE "%s"' % db)
        state = os.path.join(self.tmp, "state-kill")
        cmd = [self.bin, "restore", root, "--to", "influx1://%s/%s" % (self.host, db), "--state-dir", state,
               "--concurrency", "2", "--batch-lines", "2000", "--json"]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        done_at_kill = 0
        deadline = time.time() + 120
        while time.time() < deadline and p.poll() is None:
            files = [f for f in os.listdir(state)] if os.path.isdir(state) else []
            ck = [f for f in files if f.startswith(".tsarchive-restore-") and f.endswith(".json")]
            if ck:
                try:
                    done_at_kill = len(json.load(open(os.path.join(state, ck[0])))["files"])
                except ValueError:
                    done_at_kill = 0
                if done_at_kill >= 1:
                    p.send_signal(signal.SIGKILL)
                    break
            time.sleep(0.005)
        p.wait()
        self.assertEqual(p.returncode, -signal.SIGKILL, "the restore finished before it could be killed")
        ck = json.load(open(os.path.join(state, [f for f in os.listdir(state) if f.endswith(".json")][0])))
        done_at_kill = len(ck["files"])
        with open(os.path.join(root, "timestream-archive", "demo", "export_metadata.json")) as f:
            nfiles = sum(len(t["files"]) for t in json.load(f)["tables"])
        # killed part-way: some files done, not all (how many depends on the machine's load)
        self.assertGreaterEqual(done_at_kill, 1)
        self.assertLess(done_at_kill, nfiles, "every file was done before the kill")
        rc, out, err = run_tsarchive(cmd[1:], timeout=300)
        self.assertEqual(rc, 0, "stderr:\n%s\nstdout:\n%s" % (err, out))
        rep = json.loads(out)
        self.assertEqual(rep["files_skipped"], done_at_kill)
        self.assertEqual(rep["points"], 200000)
        self.assertEqual(rep["parity"]["mismatches"], 0, rep["parity"])
        self.assertEqual(count_points(self.srv, db, "generation"), 200000)
        times = [int(l.rsplit(" ", 1)[1]) for l in open(big) if l.strip()]
        self.assertEqual(first_last(self.srv, db, "generation"), (min(times), max(times)))

    def test_rejected_batch_reported_with_rows(self):
        db = "conflict"
        self.srv.query('CREATE DATABASE "%s"' % db)
        # a string generation_mw in the shard holding 2024-01-10 makes every float
        # generation_mw point of that shard (7 days, aligned on the epoch) a type conflict
        t = 1704844800 * 10**9 + 1  # 2024-01-10T00:00:00.000000001Z
        self.srv.write('generation,plant_id=zz generation_mw="text" %d' % t, db)
        week = 7 * 86400 * 10**9
        monday = 4 * 86400 * 10**9  # InfluxDB truncates to weeks counted from a Monday
        lo = (t - monday) // week * week + monday
        hi = lo + week
        expect = sorted(r["time"] for r in self.rows if lo <= r["time"] < hi)
        self.assertGreater(len(expect), 0)
        # --no-parity: the point written first is in InfluxDB but not in the archive, so
        # parity would rightly report January (exit 3); this test is about the rejections
        rc, rep, err = self.restore(self.root, db, "--concurrency", "3", "--batch-lines", "500",
                                    "--no-parity")
        self.assertEqual(rc, 5, err)
        self.assertEqual(rep["rejected"], len(expect), rep["rejections"][:3])
        self.assertEqual(rep["accepted"], len(self.rows) - len(expect))
        self.assertIn("rejected", err + json.dumps(rep))
        got = sorted(int(x["line"].rsplit(" ", 1)[1]) for x in rep["rejections"])
        self.assertEqual(got, expect)
        # each rejection names the archive file and row that holds exactly that point
        cache = {}
        for x in rep["rejections"]:
            self.assertIn("field type conflict", x["reason"])
            path = os.path.join(self.root, "timestream-archive", x["file"])
            if path not in cache:
                rc2, out2, err2 = run_tsarchive(["cat", path])
                self.assertEqual(rc2, 0, err2)
                cache[path] = [json.loads(l) for l in out2.splitlines() if l.strip()]
            row = cache[path][x["row"]]
            self.assertIn("plant_id=%s," % row["plant_id"], x["line"])
            self.assertIn(" generation_mw=", " " + x["line"].split(" ", 1)[1].replace(",", " "))
        print("rejected %d points, e.g. %s row %d" % (len(got), rep["rejections"][0]["file"],
                                                      rep["rejections"][0]["row"]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
