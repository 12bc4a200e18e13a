#!/usr/bin/env python3
"""`tsarchive inspect`: footer facts, decoded statistics, page listing, JSON shape, errors."""
import json
import os
import subprocess
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


def inspect(rel, *extra):
    p = subprocess.run([BIN, "inspect", *extra, os.path.join(CORPUS, rel)], capture_output=True,
                       timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


@unittest.skipUnless(os.path.isdir(CORPUS), f"corpus not found at {CORPUS}")
class InspectTest(unittest.TestCase):
    def js(self, rel, *extra):
        rc, out, err = inspect(rel, "--json", *extra)
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def test_timestamp_stats(self):
        d = self.js("duckdb/issue_5533_timestamp_ms_stats.parquet")
        self.assertEqual(d["num_rows"], 4)
        self.assertEqual(d["created_by"], "Arrow2 - Native Rust implementation of Arrow")
        col = d["row_groups"][0]["columns"][0]
        self.assertEqual(col["codec"], "ZSTD")
        self.assertEqual(col["statistics"]["min"], "2022-11-27T17:42:43.514000000Z")
        self.assertEqual(col["statistics"]["max"], "2022-11-27T17:42:44.280000000Z")
        self.assertEqual(d["schema"][0]["logical"], "TIMESTAMP(MILLIS,local)")
        self.assertEqual(d["schema"][1]["converted"], "UINT_32")
        self.assertEqual(d["schema"][1]["reads_as"], "int64")

    def test_decimal_and_pages(self):
        d = self.js("apache-parquet-testing/data/int64_decimal.parquet", "--pages")
        col = d["row_groups"][0]["columns"][0]
        self.assertEqual(col["statistics"], {"null_count": 0, "min": "1.00", "max": "24.00",
                                             "legacy_min_max": True})
        self.assertEqual(len(col["pages"]), 1)
        self.assertEqual(col["pages"][0]["type"], "DATA_PAGE")
        self.assertEqual(col["pages"][0]["num_values"], 24)

    def test_crc_and_dictionary_pages(self):
        d = self.js("apache-parquet-testing/data/plain-dict-uncompressed-checksum.parquet", "--pages")
        pages = d["row_groups"][0]["columns"][0]["pages"]
        self.assertEqual(pages[0]["type"], "DICTIONARY_PAGE")
        self.assertIn("crc", pages[0])

    def test_nested_file_is_inspectable(self):
        d = self.js("apache-parquet-testing/data/list_columns.parquet")
        names = [s["path"] for s in d["schema"]]
        self.assertIn("int64_list.list.item", names)

    def test_footer_rows_vs_row_groups(self):
        d = self.js("duckdb/manyrowgroups.parquet")
        self.assertEqual(d["num_row_groups"], 1001)
        self.assertEqual(d["row_group_rows"], 1001)

    def test_text_output(self):
        rc, out, err = inspect("duckdb/unsigned_stats.parquet")
        self.assertEqual(rc, 0, err)
        self.assertIn("max=\"18446744073709551615\"", out)
        self.assertIn("schema:", out)

    def test_errors(self):
        rc, out, err = inspect("apache-parquet-testing/data/uniform_encryption.parquet.encrypted")
        self.assertEqual(rc, 1)
        self.assertIn("encrypted Parquet files are not supported", err)
        rc, out, err = inspect("does/not/exist.parquet")
        self.assertEqual(rc, 4, err)


if __name__ == "__main__":
    unittest.main(verbosity=1)
