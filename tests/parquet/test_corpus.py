#!/usr/bin/env python3
"""`tsarchive cat` over the shared third-party Parquet corpus.

Every file of ../shared/parquet-testing/MANIFEST.tsv has an exact expected outcome in
tests/parquet/corpus_expect.tsv (rows, or an error/unsupported message substring); this test
asserts it, that errors are one clean line (no signal, no hang), that values match the
upstream expected-value CSVs where they exist, and (when the npm oracles are installed)
that a sample of files prints exactly what DuckDB prints.
"""
import csv
import io
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import unittest

SRC = os.environ.get("TSARCHIVE_SRC", os.getcwd())
BIN = os.environ.get("TSARCHIVE_BIN", os.path.join(SRC, "build", "tsarchive"))


def _corpus():
    # PARQUET_TESTING_DIR, else $TSARCHIVE_SHARED/parquet-testing (docs/testing.md), else
    # ../shared beside the repository (CI), else two levels up (a worktree under wt/).
    if os.environ.get("PARQUET_TESTING_DIR"):
        return os.environ["PARQUET_TESTING_DIR"]
    cands = []
    if os.environ.get("TSARCHIVE_SHARED"):
        cands.append(os.path.join(os.environ["TSARCHIVE_SHARED"], "parquet-testing"))
    cands += [os.path.join(SRC, "..", "shared", "parquet-testing"),
              os.path.join(SRC, "..", "..", "shared", "parquet-testing")]
    for c in cands:
        if os.path.isfile(os.path.join(c, "MANIFEST.tsv")):
            return c
    return cands[0]


CORPUS = _corpus()
EXPECT = os.path.join(SRC, "tests", "parquet", "corpus_expect.tsv")
TIMEOUT = 60


def load_expect():
    rows = []
    with open(EXPECT, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            while len(parts) < 4:
                parts.append("")
            rows.append(parts)
    return rows


def run_cat(path, *extra):
    p = subprocess.run([BIN, "cat", *extra, path], capture_output=True, timeout=TIMEOUT)
    # CSV carries string bytes as stored (possibly invalid UTF-8); JSONL is ASCII.
    return (p.returncode, p.stdout.decode("utf-8", "surrogateescape"),
            p.stderr.decode("utf-8", "replace"))


def check_outcome(tc, path, want, rc, out, err):
    name = os.path.relpath(path, CORPUS)
    tc.assertGreaterEqual(rc, 0, f"{name}: killed by signal {-rc}\n{err}")
    if want.startswith("error:") or want.startswith("unsupported:"):
        sub = want.split(":", 1)[1]
        tc.assertNotEqual(rc, 0, f"{name}: expected failure '{sub}', got exit 0")
        errlines = [l for l in err.splitlines() if "warning" not in l]
        tc.assertEqual(len(errlines), 1, f"{name}: want one error line, got:\n{err}")
        tc.assertIn(sub, errlines[0], f"{name}: error text")
        tc.assertTrue(errlines[0].startswith("tsarchive: error: "), errlines[0])
    else:
        tc.assertEqual(rc, 0, f"{name}: exit {rc}: {err}")
        lines = out.splitlines()
        tc.assertEqual(len(lines), int(want), f"{name}: row count")
        for l in lines[:50]:
            json.loads(l)


@unittest.skipUnless(os.path.isdir(CORPUS), f"corpus not found at {CORPUS}")
class CorpusTest(unittest.TestCase):
    def test_manifest_covered(self):
        with open(os.path.join(CORPUS, "MANIFEST.tsv"), encoding="utf-8") as f:
            manifest = [l.split("\t")[0] for l in f.read().splitlines()[1:] if l.strip()]
        listed = [r[0] for r in load_expect()]
        self.assertEqual(sorted(manifest), sorted(listed), "corpus_expect.tsv must list every file")

    def test_every_file(self):
        for path, want, skip_nested, _ in load_expect():
            full = os.path.join(CORPUS, path)
            with self.subTest(file=path):
                rc, out, err = run_cat(full, "--format", "jsonl")
                check_outcome(self, full, want, rc, out, err)
                if skip_nested not in ("", "-"):
                    rc, out, err = run_cat(full, "--skip-nested")
                    check_outcome(self, full, skip_nested, rc, out, err)

    def test_csv_row_counts(self):
        for path, want, _, _ in load_expect():
            if not want.isdigit():
                continue
            with self.subTest(file=path):
                rc, out, err = run_cat(os.path.join(CORPUS, path), "--format", "csv")
                self.assertEqual(rc, 0, err)
                rows = list(csv.reader(io.StringIO(out, newline="")))
                self.assertEqual(len(rows), int(want) + 1, f"{path}: header + rows")

    def test_crc_can_be_skipped(self):
        rc, out, err = run_cat(os.path.join(
            CORPUS, "apache-parquet-testing/data/rle-dict-uncompressed-corrupt-checksum.parquet"),
            "--no-verify-crc")
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(out.splitlines()), 1000)

    def test_limit_and_columns(self):
        f = os.path.join(CORPUS, "duckdb/lineitem-top10000.gzip.parquet")
        rc, out, err = run_cat(f, "--limit", "3", "--columns", "l_orderkey,l_returnflag")
        self.assertEqual(rc, 0, err)
        rows = [json.loads(l) for l in out.splitlines()]
        self.assertEqual(len(rows), 3)
        self.assertEqual(list(rows[0].keys()), ["l_orderkey", "l_returnflag"])
        rc, out, err = run_cat(f, "--columns", "nope")
        self.assertNotEqual(rc, 0)
        self.assertIn("no column named 'nope'", err)

    # ---- values against the upstream expected-value files ----

    def _ours(self, rel):
        rc, out, err = run_cat(os.path.join(CORPUS, rel))
        self.assertEqual(rc, 0, err)
        return [json.loads(l) for l in out.splitlines()]

    def _compare_csv(self, rel, expect_rel, delimiter=",", null_token=""):
        ours = self._ours(rel)
        with open(os.path.join(CORPUS, expect_rel), encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f, delimiter=delimiter))
        header = [h.strip() for h in rows[0]]
        self.assertEqual(len(rows) - 1, len(ours), f"{rel}: rows vs {expect_rel}")
        for i, (exp, got) in enumerate(zip(rows[1:], ours)):
            for name, e in zip(header, exp):
                g = got[name]
                where = f"{rel} row {i} column {name}: expected {e!r}, got {g!r}"
                if e == null_token:
                    self.assertIsNone(g, where)
                elif isinstance(g, float) or g in ("NaN", "Infinity", "-Infinity"):
                    # FLOAT columns: compare at float32 precision
                    ef = struct.unpack("<f", struct.pack("<f", float(e)))[0]
                    gf = struct.unpack("<f", struct.pack("<f", float(g)))[0]
                    self.assertTrue(ef == gf or (math.isnan(ef) and math.isnan(gf)), where)
                else:
                    self.assertEqual(str(g), e, where)

    def test_values_delta_binary_packed(self):
        self._compare_csv("apache-parquet-testing/data/delta_binary_packed.parquet",
                          "apache-parquet-testing/data/delta_binary_packed_expect.csv")

    def test_values_delta_optional(self):
        self._compare_csv("apache-parquet-testing/data/delta_encoding_optional_column.parquet",
                          "apache-parquet-testing/data/delta_encoding_optional_column_expect.csv")

    def test_values_delta_byte_array(self):
        self._compare_csv("apache-parquet-testing/data/delta_byte_array.parquet",
                          "apache-parquet-testing/data/delta_byte_array_expect.csv")

    def test_values_byte_stream_split(self):
        ours = self._ours("duckdb/byte_stream_split.parquet")
        with open(os.path.join(CORPUS, "duckdb/byte_stream_split.csv"), encoding="utf-8") as f:
            rows = list(csv.reader(f, delimiter="|"))
        header = rows[0]
        self.assertEqual(len(rows) - 1, len(ours))
        for i, (exp, got) in enumerate(zip(rows[1:], ours)):
            for name, e in zip(header, exp):
                g = got[name]
                where = f"row {i} column {name}: expected {e!r}, got {g!r}"
                if e == "NULL":
                    self.assertIsNone(g, where)
                elif name in ("floats", "nullable_floats"):
                    self.assertEqual(struct.pack("<f", float(e)), struct.pack("<f", g), where)
                elif name == "doubles":
                    self.assertEqual(float(e), g, where)
                else:
                    self.assertEqual(int(e), int(g), where)

    def test_values_spot_checks(self):
        rows = self._ours("apache-parquet-testing/data/int64_decimal.parquet")
        self.assertEqual(rows[0], {"value": "1.00"})
        rows = self._ours("duckdb/unsigned_stats.parquet")
        self.assertEqual(rows[1], {"utiny": 255, "usmall": 65535, "uint": 4294967295,
                                   "ubig": "18446744073709551615"})
        rows = self._ours("apache-parquet-testing/data/int96_from_spark.parquet")
        self.assertEqual(rows[0], {"a": "2024-01-01T20:34:56.123456000Z"})
        rows = self._ours("apache-parquet-testing/data/single_nan.parquet")
        self.assertEqual(rows, [{"mycol": None}])  # the row is NULL; NaN is in the stats
        rows = self._ours("apache-parquet-testing/data/alltypes_plain.parquet")
        self.assertEqual(rows[0]["timestamp_col"], "2009-03-01T00:00:00.000000000Z")
        self.assertEqual(rows[0]["string_col"], "hex:30")
        self.assertEqual(rows[0]["bool_col"], True)
        self.assertEqual(rows[1]["float_col"], 1.100000023841858)

    # ---- against DuckDB through the npm oracle (h/ci), when installed ----

    SAMPLE = [
        "apache-parquet-testing/data/alltypes_plain.parquet",
        "apache-parquet-testing/data/alltypes_tiny_pages_plain.parquet",
        "duckdb/lineitem-top10000.gzip.parquet",
        "apache-parquet-testing/data/delta_encoding_optional_column.parquet",
        "apache-parquet-testing/data/delta_byte_array.parquet",
        "apache-parquet-testing/data/delta_length_byte_array.parquet",
        "apache-parquet-testing/data/byte_stream_split.zstd.parquet",
        "duckdb/dictionary_multipage.parquet",
        "duckdb/userdata1.parquet",
        "duckdb/spark-store.parquet",
        "duckdb/aws1.snappy.parquet",
        "apache-parquet-testing/data/int64_decimal.parquet",
        "apache-parquet-testing/data/fixed_length_byte_array.parquet",
        "duckdb/issue_5533_timestamp_ms_stats.parquet",
        "apache-parquet-testing/data/rle_boolean_encoding.parquet",
        "duckdb/bug14120-dict-nulls-only.parquet",
        "apache-parquet-testing/data/lz4_raw_compressed_larger.parquet",
    ]

    def test_sample_against_duckdb(self):
        reader = os.path.join(SRC, "tests", "oracles", "read.mjs")
        compare = os.path.join(SRC, "tests", "oracles")
        if not (shutil.which("node") and os.path.exists(reader)
                and os.path.isdir(os.path.join(SRC, "node_modules", "@duckdb"))):
            self.skipTest("npm oracles not installed (npm ci)")
        sys.path.insert(0, compare)
        from compare import compare_rows, format_diffs  # noqa: E402
        for rel in self.SAMPLE:
            with self.subTest(file=rel):
                full = os.path.join(CORPUS, rel)
                rc, ours, err = run_cat(full)
                self.assertEqual(rc, 0, err)
                p = subprocess.run(["node", reader, "duckdb", full], capture_output=True,
                                   timeout=120, cwd=SRC)
                self.assertEqual(p.returncode, 0, p.stderr.decode())
                diffs = compare_rows(ours.splitlines(), p.stdout.decode().splitlines())
                self.assertFalse(diffs, format_diffs(diffs) if diffs else "")


if __name__ == "__main__":
    unittest.main(verbosity=1)
