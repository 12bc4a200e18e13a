#!/usr/bin/env python3
"""Our Parquet writer's files, read by three independent readers (DuckDB, hyparquet, polars).

The cmocka program test_writer_files (built from tests/parquet/test_writer_files.c) writes a
set of files covering every type, nulls, NaN/Infinity/-0.0, timestamps before 1970 and after
2200 in MILLIS/MICROS/NANOS, long and unicode strings, dictionary fallback, several row
groups and every codec, each with FILE.expected.jsonl in the canonical JSON Lines of
docs/testing.md.  Every reader must return exactly those rows.

Known reader limit (docs/testing.md): DuckDB 1.5.6 reads TIMESTAMP(NANOS) at microsecond
precision, so NANOS columns are compared with DuckDB only after dropping them; hyparquet and
polars check them to the nanosecond.

Needs node_modules (npm ci); fails, saying so, when it is missing.
"""
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.environ.get("TSARCHIVE_SRC") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

from oracles import (READERS, node_ready, read_many, read_rows, write_duckdb, compare_rows,  # noqa: E402
                     format_diffs)

NANOS_FILES = {"time_nanos.parquet": ["time", "t_opt"]}


def build_dir():
    b = os.environ.get("TSARCHIVE_BUILD")
    if b:
        return b
    return os.path.join(REPO, "build")


class WriterInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        msg = node_ready()
        if msg:
            raise AssertionError("Parquet oracles unavailable: %s" % msg)
        exe = os.path.join(build_dir(), "test_writer_files")
        if not os.path.exists(exe):
            raise AssertionError("%s is missing: build first (cmake --build build)" % exe)
        cls.tmp = tempfile.TemporaryDirectory(prefix="tsarchive-pqw-interop-")
        env = dict(os.environ, TS_PQ_OUT=cls.tmp.name)
        p = subprocess.run([exe], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        if p.returncode != 0:
            raise AssertionError("test_writer_files failed:\n%s\n%s" % (p.stdout.decode(), p.stderr.decode()))
        cls.files = sorted(f for f in os.listdir(cls.tmp.name) if f.endswith(".parquet"))
        if len(cls.files) < 10:
            raise AssertionError("test_writer_files wrote only %r" % cls.files)
        cls.paths = [os.path.join(cls.tmp.name, f) for f in cls.files]
        # The three readers run at once (one Node process each).
        with concurrent.futures.ThreadPoolExecutor(len(READERS)) as ex:
            futs = {r: ex.submit(read_many, r, cls.paths) for r in READERS}
            cls.results = {r: f.result() for r, f in futs.items()}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def expected(self, path):
        with open(path + ".expected.jsonl", encoding="utf-8") as f:
            return f.read().splitlines()

    def check_reader(self, reader):
        results = self.results[reader]
        problems = []
        for name, path, res in zip(self.files, self.paths, results):
            if res.rc != 0:
                problems.append("%s refused %s (rc %d): %s" % (reader, name, res.rc, res.stderr.strip()[-500:]))
                continue
            ignore = NANOS_FILES.get(name, []) if reader == "duckdb" else []
            diffs = compare_rows(self.expected(path), res.lines, ignore_columns=ignore,
                                 a_name="expected", b_name=reader)
            if diffs:
                problems.append("%s on %s:\n%s" % (reader, name, format_diffs(diffs)))
        self.assertFalse(problems, "\n\n".join(problems))
        print("%s: %d files, %d rows, all equal" % (reader, len(self.files), sum(r.rows for r in results)))

    def test_statistics_pruning(self):
        """DuckDB prunes row groups and pages with our statistics: filtered counts on a file
        with many row groups must equal the counts computed from the expected rows."""
        import json
        import math
        name = "many_row_groups.parquet"
        path = os.path.join(self.tmp.name, name)
        rows = [json.loads(l) for l in self.expected(path)]

        def num(v):
            if isinstance(v, str):
                return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(v, None) \
                    if not v.lstrip("-").isdigit() else int(v)
            return v

        checks = [
            ("plant_id > 0", lambda r: r["plant_id"] is not None and num(r["plant_id"]) > 0),
            ("plant_id < -400", lambda r: r["plant_id"] is not None and num(r["plant_id"]) < -400),
            ("plant_id = 9223372036854775807", lambda r: r["plant_id"] is not None and num(r["plant_id"]) == 2**63 - 1),
            ("plant_id = -9223372036854775808", lambda r: r["plant_id"] is not None and num(r["plant_id"]) == -2**63),
            # DuckDB orders NaN above every number, so NaN counts as > 1e15 there.
            ("generation_mw > 1e15", lambda r: isinstance(num(r["generation_mw"]), float)
             and (num(r["generation_mw"]) > 1e15 or math.isnan(num(r["generation_mw"])))),
            ("generation_mw < -1e300", lambda r: isinstance(num(r["generation_mw"]), float) and num(r["generation_mw"]) < -1e300),
            ("generation_mw = 0", lambda r: isinstance(num(r["generation_mw"]), float) and num(r["generation_mw"]) == 0),
            ("region = 'z\u00fcrich'", lambda r: r["region"] == "z\u00fcrich"),
            ("region = ''", lambda r: r["region"] == ""),
            ("note > 'note 9'", lambda r: r["note"] is not None and r["note"] > "note 9"),
            ("note < 'a'", lambda r: r["note"] is not None and r["note"] < "a"),
            ("online", lambda r: r["online"] is True),
            ("time < TIMESTAMPTZ '1970-01-01 00:00:00+00'", lambda r: r["time"] < "1970"),
            ("time > TIMESTAMPTZ '1970-01-01 04:00:00+00'", lambda r: r["time"] > "1970-01-01T04:00:00.000000000Z"),
        ]
        sql = "SELECT " + ", ".join(
            "(SELECT count(*) FROM read_parquet('%s') WHERE %s)::BIGINT AS c%d" % (path, cond, i)
            for i, (cond, _) in enumerate(checks))
        out = os.path.join(self.tmp.name, "counts.out")
        write_duckdb(out, sql=sql)
        res = read_rows("duckdb", out)
        self.assertEqual(res.rc, 0, res.stderr)
        got = json.loads(res.lines[0])
        problems = []
        for i, (cond, fn) in enumerate(checks):
            want = sum(1 for r in rows if fn(r))
            if got["c%d" % i] != want:
                problems.append("WHERE %s: DuckDB counts %s, expected %d" % (cond, got["c%d" % i], want))
        self.assertFalse(problems, "\n".join(problems))
        print("statistics pruning: %d filtered counts agree" % len(checks))

    def test_duckdb(self):
        self.check_reader("duckdb")

    def test_hyparquet(self):
        self.check_reader("hyparquet")

    def test_polars(self):
        self.check_reader("polars")


if __name__ == "__main__":
    assert set(READERS) == {"duckdb", "hyparquet", "polars"}
    unittest.main(verbosity=2)
