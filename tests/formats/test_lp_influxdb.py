"""Line protocol written by `tsarchive convert` is accepted by a real InfluxDB 1.x server
(Debian's influxd): every point lands, and values read back through /query are exact
(nanosecond times, int64 extremes, doubles bit for bit, escaped names and strings)."""
import json
import os
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TSARCHIVE_SRC", "."), "tests", "lib"))
from servers import influxd, run_tsarchive  # noqa: E402


def csv_quote(s):
    return '"' + s.replace('"', '""') + '"'


class LineProtocolIntoInfluxDB(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.ctx = influxd()
        cls.srv = cls.ctx.__enter__()
        cls.srv.query("CREATE DATABASE t")

    @classmethod
    def tearDownClass(cls):
        cls.ctx.__exit__(None, None, None)
        cls.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def convert(self, *args, expect=0):
        rc, out, err = run_tsarchive(["convert", *args])
        self.assertEqual(rc, expect, "convert %s: rc=%d\nstdout=%s\nstderr=%s" % (args, rc, out, err))
        return out, err

    def test_types_escapes_and_exact_values(self):
        doubles = [0.1, 1.0 / 3, -0.0, 5e-324, 1.7976931348623157e308, 123456.789, -2.5e-300, 1e16]
        tags = ["plain", "with space", "comma,here", "eq=sign", "ünïcødé 😀", "back\\slash", "quote\"d"]
        strings = ['say "hi"', "back\\slash", "tab\there", "", "comma, = and space", "trailing\\"]
        rows = []
        n = 300
        for i in range(n):
            t = -5_000_000_000 + i * 123_456_789_123 + (i % 7)  # ns, some before 1970, odd ns
            rows.append({
                "time": t,
                "region": tags[i % len(tags)],
                "_site": "s%d" % (i % 3),          # renamed to x_site
                "plant id": "p%d" % (i % 5),       # tag key with a space
                "mw": doubles[i % len(doubles)],
                "count": [0, -1, 9223372036854775807, -9223372036854775808, 42][i % 5],
                "online": bool(i % 2),
                "note": strings[i % len(strings)] if i % 4 else None,
            })
        # CSV in, with the types spelled out
        lines = ["time,region,_site,plant id,mw,count,online,note"]
        for r in rows:
            s, frac = divmod(r["time"], 1_000_000_000)
            import datetime
            dt = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=s)
            ts = dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%09dZ" % frac
            lines.append(",".join([
                ts, csv_quote(r["region"]), r["_site"], r["plant id"], repr(r["mw"]), str(r["count"]),
                "true" if r["online"] else "false", "" if r["note"] is None else csv_quote(r["note"])]))
        src = self.path("plants.csv")
        with open(src, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        lp = self.path("plants.lp")
        self.convert(src, lp, "--schema",
                     "time:timestamp,region:string:dimension,_site:string:dimension,plant id:string:dimension,"
                     "mw:double,count:int64,online:bool,note:string:measure",
                     "--measurement", "power")
        with open(lp, "rb") as f:
            body = f.read()
        self.srv.write(body, "t", precision="ns")

        count = self.srv.points('SELECT COUNT("count") FROM "power"', "t")
        self.assertEqual(count[0]["count"], n, "points written vs counted")
        got = self.srv.points('SELECT * FROM "power" ORDER BY time', "t")
        self.assertEqual(len(got), n)
        by_time = {}
        for g in got:
            by_time.setdefault(g["time"], []).append(g)
        for r in rows:
            cands = by_time.get(r["time"])
            self.assertTrue(cands, "no point at %d" % r["time"])
            g = [c for c in cands if c["region"] == r["region"]]
            self.assertEqual(len(g), 1, "time %d region %r: %r" % (r["time"], r["region"], cands))
            g = g[0]
            self.assertEqual(g["x_site"], r["_site"])
            self.assertEqual(g["plant id"], r["plant id"])
            if r["mw"] == 0:  # /query's JSON prints -0.0 as 0: the sign cannot be read back
                self.assertEqual(float(g["mw"]), 0.0)
            else:
                self.assertEqual(struct.pack("<d", float(g["mw"])), struct.pack("<d", r["mw"]),
                                 "mw at %d: %r vs %r" % (r["time"], g["mw"], r["mw"]))
            self.assertEqual(g["count"], r["count"])
            self.assertEqual(g["online"], r["online"])
            self.assertEqual(g["note"], r["note"])

    def test_all_null_rows_counted_and_exit_5(self):
        src = self.path("nulls.jsonl")
        with open(src, "w") as f:
            f.write('{"time":"2024-01-01T00:00:00Z","host":"a","v":1.5}\n')
            f.write('{"time":"2024-01-01T00:00:01Z","host":"a","v":null}\n')
            f.write('{"time":"2024-01-01T00:00:02Z","host":"b","v":2.5}\n')
        lp = self.path("nulls.lp")
        out, err = self.convert(src, lp, "--json", "--measurement", "m2", expect=5)
        summary = json.loads(out)
        self.assertEqual(summary["all_null_rows"], 1)
        self.assertEqual(summary["rows_out"], 2)
        self.assertIn("every measure NULL", err)
        with open(lp, "rb") as f:
            self.srv.write(f.read(), "t")
        pts = self.srv.points('SELECT * FROM "m2"', "t")
        self.assertEqual([(p["host"], p["v"]) for p in pts], [("a", 1.5), ("b", 2.5)])


if __name__ == "__main__":
    unittest.main()
