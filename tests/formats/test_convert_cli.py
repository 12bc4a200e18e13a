"""The `tsarchive convert` command line: formats from names and flags, gzip/zstd by extension
and by magic, standard input/output, exit codes (0, 1, 2, 5), error positions, skip and
reject files, the JSON summary, one file per table, and no half-written output on failure."""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TSARCHIVE_SRC", "."), "tests", "lib"))
from servers import run_tsarchive  # noqa: E402

LP = ("# two measurements\n"
      "cpu,host=a usage=1.5,idle=3i 1700000000000000000\n"
      "mem,host=a used=10i 1700000000000000001\n"
      "cpu,host=b usage=2.5 1700000000000000002\n")


class ConvertCli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tsa-cli-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def p(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, text, opener=open):
        path = self.p(name)
        with opener(path, "wt", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def run_convert(self, *args, input=None):
        return run_tsarchive(["convert", *args], input=input)

    def leftovers(self):
        return sorted(f for f in os.listdir(self.tmp) if f.startswith(".tmp-"))

    def test_multi_table_into_csv_needs_a_choice(self):
        src = self.write("m.lp", LP)
        rc, out, err = self.run_convert(src, self.p("out.csv"))
        self.assertEqual(rc, 2, err)
        self.assertIn("2 measurements ('cpu', 'mem')", err)
        self.assertIn("--table NAME", err)
        self.assertFalse(os.path.exists(self.p("out.csv")))
        rc, out, err = self.run_convert(src, self.p("cpu.csv"), "--table", "cpu")
        self.assertEqual(rc, 0, err)
        with open(self.p("cpu.csv")) as f:
            self.assertEqual(f.read(), "time,host,idle,usage\n"
                                       "2023-11-14T22:13:20.000000000Z,a,3,1.5\n"
                                       "2023-11-14T22:13:20.000000002Z,b,,2.5\n")
        rc, out, err = self.run_convert(src, self.p("each_{table}.jsonl"), "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["tables"], ["cpu", "mem"])
        self.assertEqual(sorted(os.listdir(self.tmp)), ["cpu.csv", "each_cpu.jsonl", "each_mem.jsonl", "m.lp"])
        # directories in the pattern are created
        rc, out, err = self.run_convert(src, self.p("tables/{table}/part.csv"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(os.listdir(self.p("tables"))), ["cpu", "mem"])
        with open(self.p("tables/mem/part.csv")) as f:
            self.assertEqual(f.read(), "time,host,used\n2023-11-14T22:13:20.000000001Z,a,10\n")

    def test_compressed_in_and_out(self):
        src = self.write("m.lp.gz", LP, gzip.open)
        rc, out, err = self.run_convert(src, self.p("cpu.csv.gz"), "--table", "cpu")
        self.assertEqual(rc, 0, err)
        with gzip.open(self.p("cpu.csv.gz"), "rt") as f:
            self.assertIn("2023-11-14T22:13:20.000000002Z,b,,2.5\n", f.read())
        # compression is found by magic even under a plain name
        shutil.copy(src, self.p("plain_name.lp"))
        rc, out, err = self.run_convert(self.p("plain_name.lp"), self.p("x.lp.zst"))
        self.assertEqual(rc, 0, err)
        with open(self.p("x.lp.zst"), "rb") as f:
            self.assertEqual(f.read(4), b"\x28\xb5\x2f\xfd")
        rc, out, err = self.run_convert(self.p("x.lp.zst"), "-", "--to-format", "lp")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "cpu,host=a idle=3i,usage=1.5 1700000000000000000\n"
                              "cpu,host=b usage=2.5 1700000000000000002\n"
                              "mem,host=a used=10i 1700000000000000001\n")
        if shutil.which("zstd"):
            z = subprocess.run(["zstd", "-dc", self.p("x.lp.zst")], stdout=subprocess.PIPE, check=True)
            self.assertEqual(z.stdout.decode(), out)

    def test_stdin_stdout_and_precision(self):
        rc, out, err = self.run_convert("-", "-", "--from-format", "lp", "--to-format", "csv",
                                        "--precision", "s", input="m v=1i 1700000000\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "time,v\n2023-11-14T22:13:20.000000000Z,1\n")
        rc, out, err = self.run_convert("-", "x.csv", input="m v=1i 1\n")
        self.assertEqual(rc, 2)
        self.assertIn("--from-format", err)

    def test_malformed_line_position_and_no_half_file(self):
        lines = "".join("m v=%di %d\n" % (i, i) for i in range(20000)) + "m v=oops 5\n"
        src = self.write("bad.lp", lines)
        out_path = self.p("out.jsonl")
        rc, out, err = self.run_convert(src, out_path)
        self.assertEqual(rc, 1, err)
        self.assertIn("bad.lp:20001:5: invalid value of field 'v'", err)
        self.assertFalse(os.path.exists(out_path))
        # a failure after output began (CSV is read in one pass): nothing left behind either
        rows = "".join("2024-01-01T00:00:00Z,%d\n" % i for i in range(200000))
        src = self.write("bad.csv", "time,v\n" + rows + "2024-01-01T00:00:00Z,oops\n")
        rc, out, err = self.run_convert(src, out_path, "--schema", "v:int64")
        self.assertEqual(rc, 1, err)
        self.assertIn("bad.csv:200002: column 'v': 'oops' is not an int64", err)
        self.assertFalse(os.path.exists(out_path))
        self.assertEqual(self.leftovers(), [])

    def test_skip_bad_lines_reject_file_summary(self):
        src = self.write("s.lp", "m v=1 1\nm v=x 2\nm v=2 3\nnot a point\n")
        rej = self.p("rejects.lp")
        rc, out, err = self.run_convert(src, self.p("s.csv"), "--skip-bad-lines", "--reject-file", rej, "--json")
        self.assertEqual(rc, 5, err)
        summary = json.loads(out)
        self.assertEqual((summary["rows_in"], summary["rows_out"], summary["rejected_lines"]), (2, 2, 2))
        self.assertIn("2 malformed input lines skipped", err)
        with open(rej) as f:
            self.assertEqual(f.read(), "m v=x 2\nnot a point\n")

    def test_default_time_and_usage_errors(self):
        src = self.write("nt.lp", "m v=1\n")
        rc, out, err = self.run_convert(src, "-", "--to-format", "csv")
        self.assertEqual(rc, 1)
        self.assertIn("nt.lp:1:1: the point has no timestamp", err)
        rc, out, err = self.run_convert(src, "-", "--to-format", "csv", "--default-time", "2024-01-01T00:00:00Z")
        self.assertEqual((rc, out), (0, "time,v\n2024-01-01T00:00:00.000000000Z,1.0\n"), err)
        for bad in (["--precision", "h"], ["--codec", "lz4"], ["--time-format", "x"], ["--to-format", "xml"]):
            rc, out, err = self.run_convert(src, self.p("o.parquet"), *bad)
            self.assertEqual(rc, 2, (bad, err))
        rc, out, err = self.run_convert(self.p("missing.csv"), self.p("o.jsonl"))
        self.assertEqual(rc, 4, err)

    def test_nan_into_lp(self):
        src = self.write("n.csv", "time,v\n2024-01-01T00:00:00Z,1.5\n2024-01-01T00:00:01Z,NaN\n")
        rc, out, err = self.run_convert(src, self.p("n.lp"))
        self.assertEqual(rc, 1)
        self.assertIn("row 2 (table 'n', time 2024-01-01T00:00:01.000000000Z): NaN", err)
        self.assertFalse(os.path.exists(self.p("n.lp")))
        rc, out, err = self.run_convert(src, self.p("n.lp"), "--skip-bad-rows", "--json")
        self.assertEqual(rc, 5, err)
        self.assertEqual(json.loads(out)["skipped_rows"], 1)
        with open(self.p("n.lp")) as f:
            self.assertEqual(f.read(), "n v=1.5 1704067200000000000\n")

    def test_help_lists_convert(self):
        rc, out, err = run_tsarchive(["convert", "--help"])
        self.assertEqual(rc, 0)
        for opt in ("--from-format", "--schema", "--precision", "--skip-bad-lines", "--reject-file", "--codec"):
            self.assertIn(opt, out)


if __name__ == "__main__":
    unittest.main()
