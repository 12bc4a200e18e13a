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


if __name__ == "__main__":
    unittest.main(verbosity=2)
