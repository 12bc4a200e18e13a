"""The options several subcommands share, parsed in one place (src/cli/cli_opts.c): --prefix
(default, trailing '/', refused when not a relative key prefix), --jobs and the other numeric
ranges (exit 2 with the command's message), the one-line JSON error of a failed run, and
--help for every subcommand. Pins the messages and exit codes so a refactor cannot move them."""
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TSARCHIVE_SRC", "."), "tests", "lib"))
from servers import run_tsarchive  # noqa: E402

NO_AWS = {"AWS_REGION": None, "AWS_DEFAULT_REGION": None, "AWS_ACCESS_KEY_ID": None,
          "AWS_SECRET_ACCESS_KEY": None, "AWS_SESSION_TOKEN": None, "AWS_PROFILE": None,
          "AWS_ENDPOINT_URL": None, "PROJECT_NAME": "p", "ENVIRONMENT": "e"}
COMMANDS = ["export", "verify", "restore", "cleanup", "convert", "inspect", "cat", "audit",
            "retention", "report", "version"]


class SharedOptions(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tsa-cliopts-")
        with open(os.path.join(self.tmp, "data.lp"), "w") as f:
            f.write("cpu,host=a usage=1.5 1704067200000000000\n")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_cli(self, *args):
        return run_tsarchive(list(args), env=NO_AWS, cwd=self.tmp, timeout=60)

    # each command's line that takes --prefix and --jobs, up to the option under test
    def lines(self):
        return {
            "verify": ["verify", "nodir"],
            "retention": ["retention", "nodir"],
            "export": ["export", "--from", "data.lp", "--to", "out", "--database", "db"],
            "cleanup": ["cleanup"],
        }

    def assert_usage(self, args, message):
        rc, out, err = self.run_cli(*args)
        cmd = args[0]
        self.assertEqual(rc, 2, "%s: rc %d, stderr %r" % (args, rc, err))
        self.assertEqual(out, "", "%s: stdout %r" % (args, out))
        first = err.splitlines()[0] if err else ""
        self.assertEqual(first, "tsarchive %s: %s" % (cmd, message), "%s: stderr %r" % (args, err))
        self.assertIn("Try 'tsarchive %s --help'." % cmd, err)

    def test_prefix_must_be_relative(self):
        for name, line in self.lines().items():
            if name == "cleanup":
                continue  # cleanup checks --jobs first; covered below
            for p in ("../x", "/abs", "a/../b", ".."):
                self.assert_usage(line + ["--prefix", p], "--prefix %s: must be a relative key prefix" % p)
        self.assert_usage(["cleanup", "--prefix", "/abs"], "--prefix /abs: must be a relative key prefix")

    def test_jobs_range(self):
        for name, line in self.lines().items():
            if name == "retention":
                continue  # retention has no --jobs
            for j in ("0", "65", "abc", "-1", "", "64x", "99999999999999999999"):
                self.assert_usage(line + ["--jobs", j], "--jobs: a number from 1 to 64")
        # a valid --jobs (with or without '+') gets past parsing: the missing root is what fails
        for j in ("64", "+5"):
            rc, out, err = self.run_cli("verify", "nodir", "--jobs", j)
            self.assertEqual((rc, err), (4, "tsarchive verify: could not check the archive: nodir: no such directory\n"))

    def test_export_ranges(self):
        base = self.lines()["export"]
        for opt, v, msg in (("max-rows-per-query", "0", "--max-rows-per-query: a positive number"),
                            ("batch-rows", "1000001", "--batch-rows: 1..1000000"),
                            ("batch-rows", "x", "--batch-rows: 1..1000000"),
                            ("chunk-size", "0", "--chunk-size: 1..1000000")):
            self.assert_usage(base + ["--" + opt, v], msg)
        self.assert_usage(base + ["--chunk-size", "5"],
                          "--chunk-size is for --from influx:// and influx1:// sources")

    def test_prefix_default_and_slash(self):
        rc, out, err = self.run_cli("export", "--from", "data.lp", "--to", "arc", "--database", "db",
                                    "--prefix", "pre", "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["prefix"], "pre/")
        self.assertTrue(os.path.isdir(os.path.join(self.tmp, "arc", "pre", "db")))
        rc, out, err = self.run_cli("verify", "arc", "--prefix", "pre", "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["prefix"], "pre/")
        rc, out, err = self.run_cli("audit", "verify", "arc", "--prefix", "pre", "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["runs"], 2)  # export and verify
        rc, out, err = self.run_cli("audit", "verify", "arc", "--json")  # default prefix: no log
        self.assertEqual(json.loads(out)["runs"], 0, out)

    def test_json_error_line(self):
        rc, out, err = self.run_cli("audit", "verify", "missing", "--json")
        self.assertEqual(rc, 4, err)
        self.assertEqual(out.count("\n"), 1, out)
        j = json.loads(out)
        self.assertEqual((j["ok"], j["error"]), (False, "missing: no such directory"), out)
        self.assertEqual(err, "tsarchive: error: missing: no such directory\n")

    def test_help_every_command(self):
        for c in COMMANDS:
            rc, out, err = self.run_cli(c, "--help")
            self.assertEqual((rc, err), (0, ""), c)
            self.assertTrue(out.startswith("Usage: tsarchive %s " % c), "%s: %r" % (c, out[:80]))
            self.assertIn("\nOptions:\n", out, c)


if __name__ == "__main__":
    unittest.main()
