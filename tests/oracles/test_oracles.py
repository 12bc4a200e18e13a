#!/usr/bin/env python3
"""Proves that the three Parquet oracles (DuckDB, hyparquet, polars) work and agree.

* each reads files of ../shared/parquet-testing/ (skipped, with a message, if absent) and
  returns the row counts of its MANIFEST.tsv, the three giving identical canonical rows;
* files every reader refuses are refused (exit 2), not crashed on;
* DuckDB writes files (every codec, small row groups, edge values) and each reader reads back
  exactly the lines that tests/oracles/canon.py computes for the same values, which also
  proves that the Python and JavaScript canonical encoders agree byte for byte.

Run: python3 tests/oracles/test_oracles.py  (from anywhere; needs node_modules: scripts/deps.sh)
"""
import concurrent.futures
import csv
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
sys.path.insert(0, HERE)

from oracles import (READERS, node_ready, read_many, read_rows, read_schema, shared_dir,
                     write_duckdb)  # noqa: E402
from compare import compare_rows, format_diffs  # noqa: E402
from canon import Timestamp, canon_row  # noqa: E402

# Files that all three readers decode identically (checked with DuckDB 1.5.6, hyparquet
# 1.31.5, polars 0.25.2).  Nested columns are skipped (--skip-unsupported).
AGREE = [
    "duckdb/compression/generated/data_page=1_NONE.parquet",
    "duckdb/compression/generated/data_page=1_ZSTD.parquet",
    "duckdb/compression/generated/data_page=1_BROTLI.parquet",
    "duckdb/compression/generated/data_page=2_SNAPPY.parquet",
    "duckdb/compression/generated/data_page=2_GZIP.parquet",
    "duckdb/compression/generated/data_page=2_LZ4.parquet",
    "apache-parquet-testing/data/alltypes_plain.parquet",
    "apache-parquet-testing/data/datapage_v2.snappy.parquet",
    "apache-parquet-testing/data/delta_binary_packed.parquet",
    "apache-parquet-testing/data/delta_byte_array.parquet",
    "apache-parquet-testing/data/delta_length_byte_array.parquet",
    "apache-parquet-testing/data/byte_stream_split.zstd.parquet",
    "apache-parquet-testing/data/rle_boolean_encoding.parquet",
    "apache-parquet-testing/data/int32_with_null_pages.parquet",
    "apache-parquet-testing/data/int64_decimal.parquet",
    "apache-parquet-testing/data/fixed_length_byte_array.parquet",
    "apache-parquet-testing/data/single_nan.parquet",
    "apache-parquet-testing/data/column_chunk_key_value_metadata.parquet",
    "duckdb/dictionary_multipage.parquet",
    "duckdb/bug14120-dict-nulls-only.parquet",
    "duckdb/timestamp.parquet",
    "duckdb/issue_5533_timestamp_ms_stats.parquet",
    "duckdb/manyrowgroups.parquet",
    "duckdb/userdata1.parquet",
]
# Every reader refuses these (corrupt footer, encrypted footer, bad levels).
REFUSED = [
    "apache-parquet-testing/bad_data/PARQUET-1481.parquet",
    "apache-parquet-testing/data/uniform_encryption.parquet.encrypted",
    "apache-parquet-testing/bad_data/ARROW-GH-41321.parquet",
    "duckdb/broken/fuzzer4360.parquet",
]
# DuckDB 1.5.6 has no LZ4 (Hadoop, codec 5) decoder; the other two read it.
ONLY_DUCKDB_REFUSES = "apache-parquet-testing/data/hadoop_lz4_compressed.parquet"

COMPRESSIONS = ["zstd", "snappy", "gzip", "uncompressed", "lz4", "brotli"]

I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1

# Rows of the write-back table: (time_us, time_ns, ts_ns, host, v, n, ok)
EDGE_ROWS = [
    (1704067200123456, 1704067200123456789, 1704067200123456789, "a\"b\\c", 1.5, 42, True),
    (-1, -1, -1, "line\nbreak\ttab\x01\x7f", float("nan"), I64_MAX, False),
    (0, 0, 0, "é 😀 中文", float("inf"), I64_MIN, None),
    (-62135596800000000, None, -9223372036854775000, "", float("-inf"), 1 << 53, True),
    (253402300799999999, 253402300799999999, 9223372036854775000, None, -0.0, -(1 << 53) + 1, False),
    (None, None, None, "x", 5e-324, (1 << 53) - 1, None),
    (1, 1000, 1, "'quote'", 1.7976931348623157e308, -1, True),
    (86399999999, 86399999999999, 86399999999999, "z" * 300, 0.1, 0, False),
    (951782400000000, 951782400000000000, 951782400000000000, "leap", 1e16, 9007199254740993, True),
    (4107542399000000, 4107542399000000000, 4107542399000000000, "2100", 1e-5, -9007199254740993, None),
]
NAMES = ["time", "time_ns", "ts_ns", "host", "v", "n", "ok"]


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def sql_float(x):
    if x != x:
        return "'nan'::DOUBLE"
    if x in (float("inf"), float("-inf")):
        return "'%s'::DOUBLE" % ("inf" if x > 0 else "-inf")
    return "%s::DOUBLE" % repr(x)


def edge_sql():
    vals = []
    for t, tn, tsn, host, v, n, ok in EDGE_ROWS:
        def chars(s):
            # DuckDB string literals cannot hold control characters portably: build with chr()
            return " || ".join("chr(%d)" % ord(c) if ord(c) < 32 or ord(c) == 127 else sql_str(c)
                               for c in s) if s else "''"
        vals.append("(%s, %s, %s, %s, %s, %s, %s)" % (
            "NULL" if t is None else "make_timestamptz(CAST(%d AS BIGINT))" % t,
            "NULL" if tn is None else "CAST(%d AS BIGINT)" % tn,
            "NULL" if tsn is None else "make_timestamp_ns(CAST(%d AS BIGINT))" % tsn,
            "NULL" if host is None else chars(host),
            sql_float(v),
            "CAST(%d AS BIGINT)" % n,
            "NULL" if ok is None else ("true" if ok else "false")))
    return ("SELECT * FROM (VALUES %s) AS t(%s)" % (", ".join(vals), ", ".join('"%s"' % c for c in NAMES)))


def edge_expected():
    out = []
    for t, tn, tsn, host, v, n, ok in EDGE_ROWS:
        out.append(canon_row(NAMES, [None if t is None else Timestamp.from_unit(t, "us"), tn,
                                     None if tsn is None else Timestamp(tsn), host, v, n, ok]))
    return out


def type_families(types):
    return [re.sub(r"^TIMESTAMP\(.*\)$", "TIMESTAMP", t) for t in types]


def manifest():
    path = shared_dir("parquet-testing", "MANIFEST.tsv")
    with open(path, newline="", encoding="utf-8") as f:
        return {row["path"]: row for row in csv.DictReader(f, delimiter="\t")}


def read_all(files, skip_unsupported):
    """files: {key: path} -> {(key, reader): OracleResult}; one Node process per reader."""
    keys = list(files)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        futs = {r: ex.submit(read_many, r, [files[k] for k in keys], skip_unsupported)
                for r in READERS}
        return {(k, r): res for r, f in futs.items() for k, res in zip(keys, f.result())}


class OracleSetup(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        msg = node_ready()
        if msg:
            raise AssertionError(msg)


class TestCorpus(OracleSetup):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.base = shared_dir("parquet-testing")
        if not cls.base or not os.path.exists(os.path.join(cls.base, "MANIFEST.tsv")):
            raise unittest.SkipTest("../shared/parquet-testing/ is absent: corpus tests skipped")
        cls.manifest = manifest()
        files = {p: os.path.join(cls.base, p) for p in AGREE + REFUSED + [ONLY_DUCKDB_REFUSES]}
        cls.results = read_all(files, skip_unsupported=True)

    def test_row_counts_match_manifest(self):
        for p in AGREE:
            want = int(self.manifest[p]["duckdb_count"])
            self.assertEqual(int(self.manifest[p]["hyparquet_rows"]), want, p)
            for r in READERS:
                res = self.results[(p, r)]
                with self.subTest(file=p, reader=r):
                    self.assertEqual(res.rc, 0, res.stderr)
                    self.assertEqual(res.rows, want)
                    self.assertEqual(res.summary["rows"], want)

    def test_readers_agree_on_rows_columns_and_types(self):
        for p in AGREE:
            base = self.results[(p, "duckdb")]
            for r in READERS[1:]:
                other = self.results[(p, r)]
                with self.subTest(file=p, reader=r):
                    self.assertEqual(other.rc, 0, other.stderr)
                    diffs = compare_rows(base.lines, other.lines, a_name="duckdb", b_name=r)
                    self.assertEqual(diffs, [], format_diffs(diffs))
                    self.assertEqual(other.summary["columns"], base.summary["columns"])
                    self.assertEqual(other.summary["skipped"], base.summary["skipped"])
                    # timestamp units differ by reader (DuckDB reads MILLIS and INT96 as
                    # MICROS, polars INT96 as NANOS); the values agree, compared above
                    self.assertEqual(type_families(other.summary["types"]),
                                     type_families(base.summary["types"]))

    def test_corrupt_files_are_refused_by_every_reader(self):
        for p in REFUSED:
            for r in READERS:
                res = self.results[(p, r)]
                with self.subTest(file=p, reader=r):
                    self.assertEqual(res.rc, 2, "expected a refusal, got %r" % res)
                    self.assertIn(r, res.stderr)

    def test_duckdb_lz4_hadoop_limitation(self):
        p = ONLY_DUCKDB_REFUSES
        self.assertEqual(self.results[(p, "duckdb")].rc, 2)
        h, pl = self.results[(p, "hyparquet")], self.results[(p, "polars")]
        self.assertEqual((h.rc, pl.rc), (0, 0), h.stderr + pl.stderr)
        self.assertEqual(h.rows, int(self.manifest[p]["hyparquet_rows"]))
        self.assertEqual(compare_rows(h.lines, pl.lines), [])

    def test_unsupported_columns_need_the_flag(self):
        p = os.path.join(self.base, "apache-parquet-testing/data/list_columns.parquet")
        for r in READERS:
            res = read_rows(r, p)
            with self.subTest(reader=r):
                self.assertEqual(res.rc, 3, res)
                self.assertIn("--skip-unsupported", res.stderr)


class TestDuckdbWritesEachReaderReads(OracleSetup):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory(prefix="tsarchive-oracles-")
        cls.files = {}
        sql = edge_sql()
        for c in COMPRESSIONS:
            cls.files[c] = os.path.join(cls.tmp.name, "edge_%s.parquet" % c)
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
            counts = list(ex.map(lambda c: write_duckdb(cls.files[c], sql=sql, compression=c,
                                                        row_group_size=3), COMPRESSIONS))
        assert counts == [len(EDGE_ROWS)] * len(COMPRESSIONS), counts
        cls.results = read_all(cls.files, skip_unsupported=False)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_every_codec_reads_back_exactly(self):
        want = edge_expected()
        for c in COMPRESSIONS:
            for r in READERS:
                res = self.results[(c, r)]
                with self.subTest(compression=c, reader=r):
                    self.assertEqual(res.rc, 0, res.stderr)
                    diffs = compare_rows(want, res.lines, a_name="expected", b_name=r)
                    self.assertEqual(diffs, [], format_diffs(diffs))
                    # byte-for-byte: Python's canon.py and the JS encoder agree
                    self.assertEqual(res.lines, want)

    def test_schema_as_each_reader_sees_it(self):
        want = ["TIMESTAMP(MICROS,UTC)", "INT64", "TIMESTAMP(NANOS,LOCAL)", "STRING", "DOUBLE",
                "INT64", "BOOLEAN"]
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
            schemas = dict(zip(READERS, ex.map(lambda r: read_schema(r, self.files["zstd"]), READERS)))
        for r in READERS:
            cols = schemas[r]
            with self.subTest(reader=r):
                self.assertEqual([c["name"] for c in cols], NAMES)
                self.assertEqual([c["type"] for c in cols], want)

    def test_float_formatting_matches_python_repr(self):
        rnd = random.Random(20240101)
        vals = [struct.unpack("<d", struct.pack("<Q", rnd.getrandbits(64)))[0] for _ in range(400)]
        vals += [rnd.uniform(-1e6, 1e6) for _ in range(100)] + [float(i) / 7 for i in range(-50, 50)]
        vals += [1e15, 1e16, 123456789012345678.0, 1e-4, 1.5e-4, 1e-5, 2.2250738585072014e-308, 1e22]
        vals = [v for v in vals if v == v and abs(v) != float("inf")]
        path = os.path.join(self.tmp.name, "floats.parquet")
        lits = ", ".join(repr(v) for v in vals)
        write_duckdb(path, sql="SELECT unnest([%s]::DOUBLE[]) AS v" % lits)
        want = [canon_row(["v"], [v]) for v in vals]
        results = read_all({"floats": path}, skip_unsupported=False)
        for r in READERS:
            res = results[("floats", r)]
            with self.subTest(reader=r):
                self.assertEqual(res.rc, 0, res.stderr)
                diffs = compare_rows(want, res.lines, a_name="python", b_name=r)
                self.assertEqual(diffs, [], format_diffs(diffs))
                self.assertEqual(res.lines, want)

    def test_csv_input(self):
        src = os.path.join(self.tmp.name, "in.csv")
        with open(src, "w", encoding="utf-8") as f:
            f.write("time,host,v\n2024-01-01T00:00:00.5Z,a,1\n2024-02-29T23:59:59Z,b,\n")
        out = os.path.join(self.tmp.name, "csv.parquet")
        n = write_duckdb(out, csv=src, types={"time": "TIMESTAMPTZ", "v": "DOUBLE"},
                         compression="snappy")
        self.assertEqual(n, 2)
        want = [canon_row(["time", "host", "v"], [Timestamp(1704067200500000000), "a", 1.0]),
                canon_row(["time", "host", "v"], [Timestamp(1709251199000000000), "b", None])]
        results = read_all({"csv": out}, skip_unsupported=False)
        for r in READERS:
            with self.subTest(reader=r):
                self.assertEqual(results[("csv", r)].lines, want)


class TestCompareCli(unittest.TestCase):
    def run_cli(self, a, b, *extra):
        with tempfile.TemporaryDirectory() as d:
            pa, pb = os.path.join(d, "a.jsonl"), os.path.join(d, "b.jsonl")
            for path, text in ((pa, a), (pb, b)):
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
            p = subprocess.run([sys.executable, os.path.join(HERE, "compare.py"), pa, pb] + list(extra),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
            return p.returncode, p.stdout + p.stderr

    def test_cli(self):
        a = '{"t":"2024-01-01T00:00:00.000000000Z","v":1.0,"x":"NaN"}\n{"#summary":{"rows":1}}\n'
        self.assertEqual(self.run_cli(a, a)[0], 0)
        rc, out = self.run_cli(a, a.replace("1.0", "1.0000001"))
        self.assertEqual(rc, 1)
        self.assertIn('row 0, column "v"', out)
        self.assertEqual(self.run_cli(a, a.replace("1.0", "1.0000001"), "--rel-tol", "1e-6")[0], 0)
        self.assertEqual(self.run_cli(a, a.replace("1.0", "1"))[0], 1)   # float vs int
        self.assertEqual(self.run_cli(a, "")[0], 1)                      # row count
        self.assertEqual(self.run_cli(a, "not json\n")[0], 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
