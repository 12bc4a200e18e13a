"""verify --against and cleanup's interlock on an archive that export --since/--until cut.

The manifest records each windowed table's export window; verify --against then counts the live
side only inside it (text and --json say which window), so the cut months match — and a live row
inside the window that the archive lacks (in a month with a file, and in a window month without
one) is still a difference, exit 3, while rows outside it are not. A later unfiltered export
drops the window (the manifest is then as an unfiltered export writes it). Against the
Timestream emulator and a real InfluxDB 1.x. Cleanup's interlock keeps a table whose archive
covers only a window, saying so, and deletes it once an unfiltered export covers it whole."""
import calendar
import json
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TSARCHIVE_SRC", "."), "tests", "lib"))
from servers import emulator, influxd, moto_server, run_tsarchive  # noqa: E402

import boto3  # noqa: E402

NS = 1_000_000_000
DB, TABLE = "vw", "cpu"
SINCE_S, UNTIL_S = "2024-01-20T06:00:00Z", "2024-04-15T00:00:00Z"
WINDOW = {"since": "2024-01-20T06:00:00.000000000Z", "until": "2024-04-15T00:00:00.000000000Z"}


def epoch_ns(y, m, d, hh=0, mm=0, ss=0):
    return calendar.timegm((y, m, d, hh, mm, ss, 0, 0, 0)) * NS


SINCE, UNTIL = epoch_ns(2024, 1, 20, 6), epoch_ns(2024, 4, 15)


def rows():
    """(t_ns, host, value): every 11 h from 2024-01-01 to the end of March, plus the boundaries."""
    out, t, k = [], epoch_ns(2024, 1, 1), 0
    while t < epoch_ns(2024, 4, 1):
        out.append((t, "h%d" % (k % 3), k + 0.5))
        t += 11 * 3600 * NS
        k += 1
    out += [(SINCE - 1, "edge", 1.0), (SINCE, "edge", 2.0)]
    return out


def month_counts(rs, lo=None, hi=None):
    out = {}
    for t, _, _ in rs:
        if (lo is not None and t < lo) or (hi is not None and t >= hi):
            continue
        tm = time.gmtime(t // NS)
        k = "%04d-%02d" % (tm.tm_year, tm.tm_mon)
        out[k] = out.get(k, 0) + 1
    return out


def write_lp(path, measurement, rs):
    with open(path, "w") as f:
        for t, host, v in rs:
            f.write("%s,host=%s value=%r %d\n" % (measurement, host, v, t))


def last_json(out):
    return json.loads(out.strip().splitlines()[-1])


def manifest(root, db):
    with open(os.path.join(root, "timestream-archive", db, "export_metadata.json")) as f:
        return json.load(f)


class WindowMixin:
    def check_months(self, rep, want_live, want_match):
        got = {m["month"]: (m["live"]["records"], m["match"]) for m in rep["months"]}
        want = {k: (n, want_match.get(k, True)) for k, n in want_live.items()}
        self.assertEqual(got, want, json.dumps(rep["months"], indent=1))


class TimestreamWindow(WindowMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tsa-vwin-")
        cls.rows = rows()
        lp = os.path.join(cls.tmp, "cpu.lp")
        write_lp(lp, TABLE, cls.rows)
        cls.emu_cm = emulator("timestream", "--retention", "ignore", "--load", "%s.%s=%s" % (DB, TABLE, lp))
        cls.emu = cls.emu_cm.__enter__()
        cls.env = {"AWS_ENDPOINT_URL": cls.emu.url, "AWS_ACCESS_KEY_ID": "test",
                   "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1", "AWS_PROFILE": None,
                   "AWS_SESSION_TOKEN": None, "PROJECT_NAME": None, "ENVIRONMENT": None}

    @classmethod
    def tearDownClass(cls):
        cls.emu_cm.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def tsa(self, *args):
        return run_tsarchive(list(args), env=self.env, timeout=120)

    def add_rows(self, rs):
        tw = boto3.client("timestream-write", endpoint_url=self.emu.url, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
        tw.write_records(DatabaseName=DB, TableName=TABLE, Records=[
            {"Dimensions": [{"Name": "host", "Value": h}], "MeasureName": TABLE,
             "MeasureValueType": "MULTI", "Time": str(t), "TimeUnit": "NANOSECONDS",
             "MeasureValues": [{"Name": "value", "Value": repr(v), "Type": "DOUBLE"}]}
            for t, h, v in rs])
        self.rows = self.rows + rs

    def test_window_journey(self):
        root = os.path.join(self.tmp, "arc")
        rc, out, err = self.tsa("export", "--from", "timestream://us-east-1", "--to", root,
                                "--since", SINCE_S, "--until", UNTIL_S)
        self.assertEqual(rc, 0, out + err)
        t = [t for t in manifest(root, DB)["tables"] if t["name"] == TABLE][0]
        self.assertEqual(t.get("window"), WINDOW, t)
        in_window = month_counts(self.rows, SINCE, UNTIL)
        self.assertEqual(t["record_count"], sum(in_window.values()))
        self.assertLess(t["record_count"], len(self.rows))  # the cut is real

        # 1. nothing lost: every month matches inside the window, and the report says which
        rc, out, err = self.tsa("verify", root, "--against", "timestream://us-east-1", "--json")
        rep = last_json(out)
        self.assertEqual(rc, 0, (rep, err))
        self.check_months(rep, in_window, {})
        for m in rep["months"]:
            self.assertEqual(m.get("window"), WINDOW, m)
        self.assertEqual(rep["windows"], [dict(WINDOW, database=DB, table=TABLE)])
        rc, out, err = self.tsa("verify", root, "--against", "timestream://us-east-1")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("%s.%s: compared within the export window %s .. %s"
                      % (DB, TABLE, WINDOW["since"], WINDOW["until"]), out)

        # 2. rows outside the window change nothing; rows inside it that the archive lacks are
        # differences: in February (a month with a file) and in April (no file, inside the window)
        self.add_rows([(epoch_ns(2024, 1, 5, 1), "late", 7.5), (epoch_ns(2024, 4, 20), "late", 8.5)])
        rc, out, err = self.tsa("verify", root, "--against", "timestream://us-east-1", "--json")
        rep = last_json(out)
        self.assertEqual(rc, 0, (rep, err))
        self.check_months(rep, in_window, {})
        self.add_rows([(epoch_ns(2024, 2, 10, 1, 2, 3), "late", 9.5), (epoch_ns(2024, 4, 5), "late", 10.5)])
        rc, out, err = self.tsa("verify", root, "--against", "timestream://us-east-1", "--json")
        rep = last_json(out)
        self.assertEqual(rc, 3, (rep, err))
        live = month_counts(self.rows, SINCE, UNTIL)
        self.assertEqual(live["2024-04"], 1)
        self.check_months(rep, live, {"2024-02": False, "2024-04": False})
        apr = [m for m in rep["months"] if m["month"] == "2024-04"][0]
        self.assertEqual(apr["archive"]["records"], 0, apr)
        self.assertEqual(apr.get("window"), WINDOW, apr)
        rc, out, err = self.tsa("verify", root, "--against", "timestream://us-east-1")
        self.assertEqual(rc, 3, out + err)
        self.assertIn("DIFFERS %s.%s 2024-02" % (DB, TABLE), out)
        self.assertIn("DIFFERS %s.%s 2024-04" % (DB, TABLE), out)

        # 3. a later unfiltered export covers the whole table: no window, whole months compared
        rc, out, err = self.tsa("export", "--from", "timestream://us-east-1", "--to", root)
        self.assertEqual(rc, 0, out + err)
        t = [t for t in manifest(root, DB)["tables"] if t["name"] == TABLE][0]
        self.assertNotIn("window", t)
        self.assertEqual(t["record_count"], len(self.rows))
        rc, out, err = self.tsa("verify", root, "--against", "timestream://us-east-1", "--json")
        rep = last_json(out)
        self.assertEqual(rc, 0, (rep, err))
        self.check_months(rep, month_counts(self.rows), {})
        self.assertTrue(all("window" not in m for m in rep["months"]), rep["months"])
        self.assertEqual(rep["windows"], [])
        # ... and byte for byte what a fresh unfiltered export writes (apart from ids and times)
        fresh = os.path.join(self.tmp, "fresh")
        rc, out, err = self.tsa("export", "--from", "timestream://us-east-1", "--to", fresh)
        self.assertEqual(rc, 0, out + err)
        a, b = manifest(root, DB), manifest(fresh, DB)
        for m in (a, b):
            for k in ("export_id", "started_at", "finished_at"):
                m.pop(k)
        self.assertEqual(a, b)
        # 4. a windowed export over the whole one keeps its files: still the whole table
        rc, out, err = self.tsa("export", "--from", "timestream://us-east-1", "--to", root,
                                "--since", SINCE_S, "--until", UNTIL_S)
        self.assertEqual(rc, 0, out + err)
        c = manifest(root, DB)
        for k in ("export_id", "started_at", "finished_at"):
            c.pop(k)
        self.assertEqual(c, b)


class InfluxWindow(WindowMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tsa-vwin-ifx-")
        cls.srv_cm = influxd()
        cls.srv = cls.srv_cm.__enter__()
        cls.host = cls.srv.url.replace("http://", "")

    @classmethod
    def tearDownClass(cls):
        cls.srv_cm.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_influx1_window(self):
        self.srv.query('CREATE DATABASE "vwi"')
        rs = rows()
        self.srv.write(["m,host=%s value=%r %d" % (h, v, t) for t, h, v in rs], "vwi")
        url = "influx1://%s/vwi" % self.host
        root = os.path.join(self.tmp, "arc")
        rc, out, err = run_tsarchive(["export", "--from", url, "--to", root, "--since", SINCE_S,
                                      "--until", UNTIL_S])
        self.assertEqual(rc, 0, out + err)
        t = manifest(root, "vwi")["tables"][0]
        self.assertEqual(t.get("window"), WINDOW, t)
        rc, out, err = run_tsarchive(["verify", root, "--against", url, "--json"])
        rep = last_json(out)
        self.assertEqual(rc, 0, (rep, err))
        self.check_months(rep, month_counts(rs, SINCE, UNTIL), {})
        self.assertTrue(all(m.get("window") == WINDOW for m in rep["months"]), rep["months"])
        # a point outside the window: still nothing differs; one inside: March differs
        self.srv.write(["m,host=late value=1.5 %d" % epoch_ns(2024, 1, 3)], "vwi")
        rc, out, err = run_tsarchive(["verify", root, "--against", url, "--json"])
        self.assertEqual(rc, 0, (last_json(out), err))
        self.srv.write(["m,host=late value=2.5 %d" % epoch_ns(2024, 3, 3)], "vwi")
        rc, out, err = run_tsarchive(["verify", root, "--against", url, "--json"])
        rep = last_json(out)
        self.assertEqual(rc, 3, (rep, err))
        live = month_counts(rs + [(epoch_ns(2024, 3, 3), "late", 2.5)], SINCE, UNTIL)
        self.check_months(rep, live, {"2024-03": False})


P, E = "vwinproj", "dev"
CDB = "%s_%s_metrics" % (P, E)


class InterlockWindow(unittest.TestCase):
    """cleanup keeps a table whose archive covers only a window (and says so)."""

    def test_interlock_keeps_windowed_table(self):
        tmp = tempfile.mkdtemp(prefix="tsa-vwin-cl-")
        try:
            lp = os.path.join(tmp, "x.lp")
            rs = rows()
            write_lp(lp, "part", rs)
            lp2 = os.path.join(tmp, "y.lp")
            write_lp(lp2, "full", rs[:40])
            with moto_server() as moto, emulator(
                    "timestream", "--retention", "ignore", "--load", "%s.part=%s" % (CDB, lp),
                    "--load", "%s.full=%s" % (CDB, lp2)) as emu:
                env = moto.env(AWS_ENDPOINT_URL_TIMESTREAM_QUERY=emu.url,
                               AWS_ENDPOINT_URL_TIMESTREAM_WRITE=emu.url, PROJECT_NAME=P,
                               ENVIRONMENT=E)
                root = os.path.join(tmp, "arc")

                def tsa(*args):
                    return run_tsarchive(list(args), env=env, timeout=120)

                def plan():
                    rc, out, err = tsa("cleanup", "--archive", root, "--json")
                    self.assertIn(rc, (0, 6), out + err)
                    return {i["name"]: i for i in last_json(out)["items"]}

                rc, out, err = tsa("export", "--from", "timestream://us-east-1", "--to", root,
                                   "--database", CDB, "--table", "full")
                self.assertEqual(rc, 0, out + err)
                rc, out, err = tsa("export", "--from", "timestream://us-east-1", "--to", root,
                                   "--database", CDB, "--table", "part", "--since", SINCE_S,
                                   "--until", UNTIL_S)
                self.assertEqual(rc, 0, out + err)
                # verify --against holds (nothing lost inside the window) ...
                rc, out, err = tsa("verify", root, "--against", "timestream://us-east-1")
                self.assertEqual(rc, 0, out + err)
                # ... but the archive does not hold the whole live table: it stays
                items = plan()
                full, part = items["%s.full" % CDB], items["%s.part" % CDB]
                self.assertEqual(full["action"], "delete", full)
                self.assertEqual(part["action"], "keep", part)
                self.assertEqual(part["kept_for"], "interlock", part)
                self.assertIn("only the export window %s .. %s" % (WINDOW["since"], WINDOW["until"]),
                              part["reason"])
                self.assertEqual(items[CDB]["action"], "keep", items[CDB])
                self.assertEqual(part["held"]["archived"]["window"], WINDOW, part["held"])
                self.assertNotIn("window", full["held"]["archived"])
                # an unfiltered export of it: the archive covers it whole, it may go
                rc, out, err = tsa("export", "--from", "timestream://us-east-1", "--to", root,
                                   "--database", CDB, "--table", "part")
                self.assertEqual(rc, 0, out + err)
                items = plan()
                self.assertEqual(items["%s.part" % CDB]["action"], "delete", items["%s.part" % CDB])
                self.assertEqual(items[CDB]["action"], "delete", items[CDB])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
