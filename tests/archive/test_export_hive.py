"""The archive as analysts open it: DuckDB reads an exported table through Hive partitioning
(year=/month= folders, no flags), and its per-month counts and value sums equal what the
Timestream emulator itself answers for the same months."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SRC = os.environ.get("TSARCHIVE_SRC", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))

from servers import emulator, run_tsarchive  # noqa: E402

DUCKDB_SQL = r"""
import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const r = await con.runAndReadAll(process.argv[1]);
const rows = r.getRowObjectsJson();
process.stdout.write(JSON.stringify(rows));
"""


def duckdb(sql):
    if not os.path.isdir(os.path.join(SRC, "node_modules", "@duckdb", "node-api")):
        raise AssertionError("node_modules missing: run `npm ci` (scripts/deps.sh does)")
    p = subprocess.run(["node", "--input-type=module", "-e", DUCKDB_SQL, sql], cwd=SRC,
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("duckdb failed: " + p.stderr)
    return json.loads(p.stdout)


class ExportHive(unittest.TestCase):
    def test_duckdb_hive_partitions_match_timestream(self):
        import boto3
        tmp = tempfile.mkdtemp(prefix="export-hive-")
        try:
            lp = os.path.join(SRC, "samples", "energy.lp")
            with emulator("timestream", "--retention", "ignore", "--load", "hive.energy=" + lp) as emu:
                env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": emu.url, "AWS_PROFILE": None,
                       "AWS_SESSION_TOKEN": None, "PROJECT_NAME": None, "ENVIRONMENT": None}
                rc, out, err = run_tsarchive(["export", "--from", "timestream://us-east-1", "--to", tmp],
                                             env=env, timeout=300)
                self.assertEqual(rc, 0, out + err)
                q = boto3.client("timestream-query", endpoint_url=emu.url, region_name="us-east-1",
                                 aws_access_key_id="test", aws_secret_access_key="test")
                res = q.query(QueryString=(
                    "SELECT date_trunc('month', time) AS m, count(*) AS n, sum(generation_mw) AS s "
                    'FROM "hive"."energy" GROUP BY date_trunc(\'month\', time) ORDER BY m'))
                live = {}
                for row in res["Rows"]:
                    m, n, s = (d.get("ScalarValue") for d in row["Data"])
                    live[m[:7]] = (int(n), float(s))
            glob = os.path.join(tmp, "timestream-archive", "hive", "energy", "*", "*", "*.parquet")
            rows = duckdb("SELECT year, month, count(*) AS n, sum(generation_mw) AS s, "
                          "min(time) AS tmin, typeof(time) AS tt "
                          f"FROM read_parquet('{glob}', hive_partitioning=true) "
                          "GROUP BY year, month, typeof(time) ORDER BY year, month")
            self.assertEqual(len(rows), 3, rows)
            archive = {}
            for r in rows:
                self.assertIn("TIMESTAMP", r["tt"], r)  # time opens as a timestamp, no flags
                archive["%04d-%02d" % (int(r["year"]), int(r["month"]))] = (int(r["n"]), float(r["s"]))
            self.assertEqual(sorted(archive), sorted(live))
            for month, (n, s) in archive.items():
                ln, ls = live[month]
                self.assertEqual(n, ln, month)
                self.assertAlmostEqual(s, ls, delta=1e-9 * max(1.0, abs(ls)), msg=month)
            self.assertEqual(sum(n for n, _ in archive.values()), 4320)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_unicode_dimensions_across_years(self):
        """Unicode dimension values and measure names survive, and months several years apart
        land in their own year=/month= partitions that DuckDB reads back."""
        import boto3
        tmp = tempfile.mkdtemp(prefix="export-unicode-")
        places = ["Zürich", "東京", "São Paulo", "Αθήνα", "Kraków 🚲", "naïve \"quoted\", comma"]
        years = [2019, 2022, 2025]
        try:
            with emulator("timestream", "--retention", "ignore") as emu:
                env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": emu.url, "AWS_PROFILE": None,
                       "AWS_SESSION_TOKEN": None, "PROJECT_NAME": None, "ENVIRONMENT": None}
                w = boto3.client("timestream-write", endpoint_url=emu.url, region_name="us-east-1",
                                 aws_access_key_id="test", aws_secret_access_key="test")
                w.create_database(DatabaseName="unicode")
                w.create_table(DatabaseName="unicode", TableName="staedte",
                               MagneticStoreWriteProperties={"EnableMagneticStoreWrites": True})
                expect = []
                for yi, year in enumerate(years):
                    recs = []
                    for pi, place in enumerate(places):
                        # 1 June of each year, one second apart per place; exact ns digits kept.
                        import calendar
                        t_ns = (calendar.timegm((year, 6, 1, 0, 0, pi)) * 10**9) + 123456789
                        recs.append({"Dimensions": [{"Name": "ort", "Value": place}],
                                     "MeasureName": "messung", "MeasureValueType": "MULTI",
                                     "MeasureValues": [{"Name": "temperatur", "Value": str(yi * 10 + pi + 0.5),
                                                        "Type": "DOUBLE"}],
                                     "Time": str(t_ns), "TimeUnit": "NANOSECONDS"})
                        expect.append((year, place, yi * 10 + pi + 0.5))
                    w.write_records(DatabaseName="unicode", TableName="staedte", Records=recs)
                rc, out, err = run_tsarchive(["export", "--from", "timestream://us-east-1", "--to", tmp,
                                              "--database", "unicode"], env=env, timeout=300)
                self.assertEqual(rc, 0, out + err)
            tdir = os.path.join(tmp, "timestream-archive", "unicode", "staedte")
            self.assertEqual(sorted(os.listdir(tdir)), ["year=%d" % y for y in years])
            glob = os.path.join(tdir, "*", "*", "*.parquet")
            rows = duckdb("SELECT year, month, ort, temperatur, time_ns FROM "
                          f"read_parquet('{glob}', hive_partitioning=true) ORDER BY time_ns")
            got = [(int(r["year"]), r["ort"], float(r["temperatur"])) for r in rows]
            self.assertEqual(got, expect)
            self.assertTrue(all(int(r["month"]) == 6 for r in rows), rows)
            # exact nanoseconds travel in time_ns (the table has sub-microsecond digits)
            self.assertTrue(all(int(r["time_ns"]) % 10**9 == 123456789 for r in rows), rows)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
