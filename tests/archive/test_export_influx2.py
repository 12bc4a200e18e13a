"""tsarchive export --from influx:// (the v2 API: InfluxQL through the v1-compatible /query, db =
bucket, Token auth) against our InfluxDB 2 emulator (tests/emulators/influx2).

A generated line-protocol file is exported to an archive, restored into the emulator, exported
back with influx:// (small chunks, so the streamed chunked answer is exercised), and the two
archives' rows and files are compared; a wrong token is refused with exit 4; INFLUX_HOST/INFLUX_ORG
fill in an empty host and org as restore reads them.
"""
import json
import os
import shutil
import sys
import tempfile
import unittest

SRC = os.environ.get("TSARCHIVE_SRC", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
sys.path.insert(0, os.path.join(SRC, "tests", "archive"))

from servers import emulator, run_tsarchive  # noqa: E402
from test_export_influx import archive_rows, file_summary, gen_lp  # noqa: E402

TOKEN = "tok-export-v2"


class ExportInflux2(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="export-influx2-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_round_trip_through_emulator(self):
        lp = os.path.join(self.tmp, "rt.lp")
        gen_lp(lp, seed=11)
        a1 = os.path.join(self.tmp, "a1")
        rc, out, err = run_tsarchive(["export", "--from", lp, "--database", "src", "--to", a1])
        self.assertEqual(rc, 0, err)
        with emulator("influx2", "--token", TOKEN, "--org", "acme", "--bucket", "archive") as emu:
            host = emu.url.replace("http://", "")
            env = {"INFLUX_TOKEN": TOKEN, "INFLUX_ORG": None, "INFLUX_HOST": None}
            rc, out, err = run_tsarchive(["restore", a1, "--to", "influx://%s?org=acme&bucket=archive" % host,
                                          "--state-dir", os.path.join(self.tmp, "st"), "--no-resume"],
                                         env=env, timeout=300)
            self.assertEqual(rc, 0, out + err)
            a2 = os.path.join(self.tmp, "a2")
            # host and org from the environment, as restore takes them
            env2 = {"INFLUX_TOKEN": TOKEN, "INFLUX_ORG": "acme", "INFLUX_HOST": emu.url}
            rc, out, err = run_tsarchive(["export", "--from", "influx://?bucket=archive", "--to", a2,
                                          "--database", "src", "--chunk-size", "97", "--json"], env=env2)
            self.assertEqual(rc, 0, out + err)
            rep = json.loads(out)
            self.assertNotIn(TOKEN, out + err)
            rows1, man1 = archive_rows(a1, "src")
            rows2, man2 = archive_rows(a2, "src")
            self.assertEqual(sorted(rows1), sorted(rows2))
            for t in rows1:
                self.assertEqual(len(rows1[t]), len(rows2[t]), t)
                for x, y in zip(rows1[t], rows2[t]):
                    self.assertEqual(x, y, "table %s" % t)
            self.assertEqual(file_summary(man1), file_summary(man2))
            self.assertEqual(man2["source"]["kind"], "influx")
            self.assertEqual(rep["rows"], sum(len(v) for v in rows1.values()))
            # a wrong token: refused, exit 4 (credentials)
            rc, out, err = run_tsarchive(["export", "--from", "influx://%s?org=acme&bucket=archive" % host,
                                          "--to", os.path.join(self.tmp, "a3")],
                                         env={"INFLUX_TOKEN": "wrong", "INFLUX_ORG": None, "INFLUX_HOST": None})
            self.assertEqual(rc, 4, out + err)
            self.assertIn("401", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
