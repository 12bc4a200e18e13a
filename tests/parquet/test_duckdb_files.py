#!/usr/bin/env python3
"""Files written by DuckDB (every codec it offers, every column type we map, NULLs, several row
groups, v1 and v2 page profiles) read by `tsarchive cat` exactly as DuckDB reads them back
(canonical JSON Lines, tests/oracles/compare.py). Skips when node or the npm oracles are absent."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SRC = os.environ.get("TSARCHIVE_SRC", os.getcwd())
BIN = os.environ.get("TSARCHIVE_BIN", os.path.join(SRC, "build", "tsarchive"))
ORACLES = os.path.join(SRC, "tests", "oracles")
HAVE_NODE = bool(shutil.which("node")) and os.path.isdir(os.path.join(SRC, "node_modules", "@duckdb"))

ROWS = 5000
SQL = f"""
SELECT i::BIGINT AS id,
  CASE WHEN i % 7 = 0 THEN NULL ELSE (i - 2500) * 1.5 END::DOUBLE AS d,
  CASE WHEN i % 5 = 0 THEN NULL ELSE 'str-' || (i % 13) || CASE WHEN i % 3 = 0 THEN ' ünï "q" ✓' ELSE '' END END AS s,
  CASE WHEN i % 11 = 0 THEN NULL ELSE i % 2 = 0 END AS b,
  CASE WHEN i % 17 = 0 THEN NULL ELSE TIMESTAMP '2024-01-01 00:00:00' + to_microseconds(i * 1000003) END AS ts,
  make_timestamp_ns(1704067200000000000 + i * 123456789) AS ts_ns,
  CASE WHEN i % 19 = 0 THEN NULL ELSE to_timestamp(1704067200 + i * 61) END AS ts_tz,
  (i % 1000 - 500)::INTEGER AS n32,
  CASE WHEN i % 23 = 0 THEN NULL ELSE (i / 3.0)::FLOAT END AS f,
  DATE '2020-01-01' + (i % 1000)::INTEGER AS day,
  ((i - 2500) * 0.01)::DECIMAL(18, 2) AS dec18,
  ((i - 2500) * 0.001)::DECIMAL(9, 3) AS dec9,
  CASE WHEN i % 29 = 0 THEN NULL ELSE ((i - 2500) * 12345678.1234567891)::DECIMAL(38, 10) END AS dec38,
  CASE WHEN i % 2 = 0 THEN 9007199254740993 + i ELSE -9223372036854775807 + i END::BIGINT AS big,
  'const' AS k
FROM range({ROWS}) t(i)
"""
CODECS = ["uncompressed", "snappy", "gzip", "zstd", "lz4", "brotli"]


@unittest.skipUnless(HAVE_NODE, "node and npm oracles (npm ci) needed")
class DuckdbFilesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tsarchive-duckdb-files-")
        sys.path.insert(0, ORACLES)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def write(self, name, codec, *options):
        out = os.path.join(self.tmp, name)
        cmd = ["node", os.path.join(ORACLES, "write_duckdb.mjs"), "--out", out, "--sql", SQL,
               "--compression", codec, "--row-group-size", "1000"]
        for o in options:
            cmd += ["--option", o]
        p = subprocess.run(cmd, capture_output=True, timeout=300, cwd=SRC)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return out

    def same_as_duckdb(self, path):
        from compare import compare_rows, format_diffs
        p = subprocess.run([BIN, "cat", path], capture_output=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        ours = p.stdout.decode().splitlines()
        self.assertEqual(len(ours), ROWS)
        q = subprocess.run(["node", os.path.join(ORACLES, "read.mjs"), "duckdb", path],
                           capture_output=True, timeout=300, cwd=SRC)
        self.assertEqual(q.returncode, 0, q.stderr.decode())
        diffs = compare_rows(ours, q.stdout.decode().splitlines())
        self.assertFalse(diffs, format_diffs(diffs) if diffs else "")
        return ours

    def test_every_codec(self):
        for codec in CODECS:
            with self.subTest(codec=codec):
                path = self.write(f"all_{codec}.parquet", codec)
                ours = self.same_as_duckdb(path)
                if codec == "zstd":
                    self.assertIn('"ts_ns":"2024-01-01T00:00:00.123456789Z"', ours[1])

    def test_v2_profile(self):
        # DuckDB's PARQUET_VERSION v2: DATA_PAGE_V2, DELTA_BINARY_PACKED, DELTA_*_BYTE_ARRAY
        path = self.write("all_v2.parquet", "zstd", "PARQUET_VERSION v2")
        self.same_as_duckdb(path)

    def test_csv_matches_jsonl_row_count(self):
        path = self.write("csv_snappy.parquet", "snappy")
        p = subprocess.run([BIN, "cat", "--format", "csv", path], capture_output=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        import csv
        import io
        rows = list(csv.reader(io.StringIO(p.stdout.decode(), newline="")))
        self.assertEqual(len(rows), ROWS + 1)
        self.assertEqual(rows[0][:3], ["id", "d", "s"])
        self.assertEqual(rows[4][2], 'str-3 ünï "q" ✓')


if __name__ == "__main__":
    unittest.main(verbosity=1)
