"""tsarchive restore into the InfluxDB 2.x write-API emulator (token, org, bucket, gzip, precision)
with injected 429 + Retry-After and 503 faults: exact counts; a wrong token is a clear
authentication error with exit 4; a wrong bucket exit 4; https refuses an http-only server."""
import json
import os
import shutil
import sys
import tempfile
import unittest
import urllib.request

SRC = os.environ.get("TSARCHIVE_SRC", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
sys.path.insert(0, os.path.join(SRC, "tests", "influx"))

import archive_fixture as af  # noqa: E402
from servers import emulator, moto_server, run_tsarchive, tsarchive_bin  # noqa: E402

TOKEN = "tok-123"


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


class RestoreInflux2(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="restore-influx2-")
        cls.lp = os.path.join(SRC, "samples", "energy.lp")
        cls.root = os.path.join(cls.tmp, "root")
        os.makedirs(cls.tmp + "/w")
        af.energy_archive(tsarchive_bin(), cls.lp, "demo", cls.root, cls.tmp + "/w")
        cls.rows = af.parse_lp(cls.lp)["generation"]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_restore(self, url, token=TOKEN, *extra):
        env = {"INFLUX_TOKEN": token, "INFLUX_ORG": None, "INFLUX_HOST": None}
        return run_tsarchive(["restore", self.root, "--to", url, "--state-dir",
                              os.path.join(self.tmp, "state"), "--no-resume", "--json"] + list(extra),
                             env=env, timeout=300)

    def test_exact_counts_under_faults(self):
        with emulator("influx2", "--token", TOKEN, "--org", "acme", "--bucket", "archive",
                      "--faults", "429=0.2,retry_after=1,503=0.1,seed=7") as emu:
            host = emu.url.replace("http://", "")
            rc, out, err = self.run_restore("influx://%s?org=acme&bucket=archive" % host, TOKEN,
                                            "--batch-lines", "250", "--concurrency", "4")
            self.assertEqual(rc, 0, err)
            rep = json.loads(out)
            self.assertEqual(rep["points"], len(self.rows))
            self.assertEqual(rep["accepted"], len(self.rows))
            self.assertGreater(rep["retries"], 0, "the faults should have forced retries")
            # parity through the v1-compatible /query (db = bucket) with the token; an older
            # emulator without /query makes the report say so instead of passing silently
            if rep["parity"]["checked"]:
                self.assertEqual(rep["parity"]["mismatches"], 0, rep["parity"])
                self.assertEqual(len(rep["parity"]["months"]), 3)
            else:
                self.assertIn("/query", rep["parity"]["unavailable"])
            got = get(emu.url + "/emulator/points?bucket=archive&measurement=generation&limit=100000")
            self.assertEqual(got["count"], len(self.rows))
            self.assertEqual(got["min_time"], min(r["time"] for r in self.rows))
            self.assertEqual(got["max_time"], max(r["time"] for r in self.rows))
            self.assertEqual(got["field_types"]["generation"],
                             {"capacity_factor": "float", "generation_mw": "float", "online": "boolean"})
            # every point as written in the source
            want = {(r["time"], r["plant_id"]): r for r in self.rows}
            for p in got["points"]:
                r = want[(p["time"], p["tags"]["plant_id"])]
                tags = dict(p["tags"])
                # an archive exported from Timestream has measure_name (a tag, per DESIGN.md)
                self.assertIn(tags.pop("measure_name", "generation"), ("generation",))
                self.assertEqual(tags, {"plant_id": r["plant_id"], "region": r["region"],
                                        "source": r["source"]})
                self.assertEqual(p["fields"]["online"], r["online"])
                self.assertAlmostEqual(p["fields"]["generation_mw"], r["generation_mw"], places=9)
            st = get(emu.url + "/emulator/stats")
            self.assertGreater(st["faults"]["429"], 0)
            self.assertGreater(st["faults"]["503"], 0)
            self.assertEqual(st["gzip_requests"], st["requests"])  # every write was gzip

    def test_parity_asks_again_for_late_points(self):
        # the first 2 SELECTs miss the latest write (as InfluxDB 1.x once did here): the
        # re-check finds every point and the restore succeeds, saying it asked again
        with emulator("influx2", "--token", TOKEN, "--org", "acme", "--bucket", "archive",
                      "--faults", "stale_queries=2") as emu:
            host = emu.url.replace("http://", "")
            rc, out, err = self.run_restore("influx://%s?org=acme&bucket=archive" % host, TOKEN)
            self.assertEqual(rc, 0, out + err)
            rep = json.loads(out)
            self.assertTrue(rep["parity"]["checked"], rep["parity"])
            self.assertEqual(rep["parity"]["mismatches"], 0, rep["parity"])
            self.assertEqual(rep["parity"]["rechecks"], 1, rep["parity"])
        # points that stay missing are still a mismatch after the bounded re-checks
        with emulator("influx2", "--token", TOKEN, "--org", "acme", "--bucket", "archive",
                      "--faults", "stale_queries=100000") as emu:
            host = emu.url.replace("http://", "")
            rc, out, err = self.run_restore("influx://%s?org=acme&bucket=archive" % host, TOKEN)
            self.assertEqual(rc, 3, out + err)
            rep = json.loads(out)
            self.assertEqual(rep["parity"]["rechecks"], 3, rep["parity"])
            self.assertGreater(rep["parity"]["mismatches"], 0, rep["parity"])

    def test_wrong_token_and_bucket(self):
        with emulator("influx2", "--token", TOKEN, "--org", "acme", "--bucket", "archive") as emu:
            host = emu.url.replace("http://", "")
            rc, out, err = self.run_restore("influx://%s?org=acme&bucket=archive" % host, "wrong")
            self.assertEqual(rc, 4, err)
            self.assertIn("401", err)
            self.assertIn("INFLUX_TOKEN", err)
            self.assertNotIn("wrong", err)  # the secret is never printed
            rc, out, err = self.run_restore("influx://%s?org=acme&bucket=nope" % host)
            self.assertEqual(rc, 4, err)
            self.assertIn("404", err)
            self.assertEqual(get(emu.url + "/emulator/points?limit=0")["count"], 0)
            # https with certificate checks: an http-only server is a network error, exit 4
            rc, out, err = self.run_restore("influxs://%s?org=acme&bucket=archive" % host, TOKEN,
                                            "--max-attempts", "1")
            self.assertEqual(rc, 4, err)

    def test_from_s3_archive(self):
        """The archive on S3 (moto): listed, read with ranged GETs, restored; audit entry written."""
        import boto3
        with moto_server() as moto, emulator("influx2", "--token", TOKEN, "--org", "acme",
                                             "--bucket", "archive") as emu:
            env = moto.env()
            s3 = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
            s3.create_bucket(Bucket="arch")
            for dirpath, _dirs, files in os.walk(self.root):
                for fn in files:
                    full = os.path.join(dirpath, fn)
                    key = "p/" + os.path.relpath(full, self.root)
                    s3.upload_file(full, "arch", key)
            env.update({"INFLUX_TOKEN": TOKEN})
            host = emu.url.replace("http://", "")
            rc, out, err = run_tsarchive(["restore", "s3://arch/p", "--to",
                                          "influx://%s?org=acme&bucket=archive" % host, "--no-resume",
                                          "--json"], env=env, timeout=300)
            self.assertEqual(rc, 0, err)
            self.assertEqual(json.loads(out)["points"], len(self.rows))
            got = get(emu.url + "/emulator/points?bucket=archive&limit=0")
            self.assertEqual(got["count"], len(self.rows))
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket="arch", Prefix="p/timestream-archive/_audit/")
                    .get("Contents", [])]
            self.assertTrue(any("_restore_" in k for k in keys), keys)

    def test_usage_errors(self):
        rc, out, err = run_tsarchive(["restore", self.root, "--to", "influx://h:1"])
        self.assertEqual(rc, 2, err)
        self.assertIn("bucket", err)
        rc, out, err = run_tsarchive(["restore", self.root, "--to", "influx1://h:1"])
        self.assertEqual(rc, 2, err)
        rc, out, err = run_tsarchive(["restore", self.root, "--to", "ftp://x"])
        self.assertEqual(rc, 2, err)
        rc, out, err = run_tsarchive(["restore", self.root, "--dry-run", "--measurement", "nope"])
        self.assertEqual(rc, 2, err)
        rc, out, err = run_tsarchive(["restore", os.path.join(self.tmp, "missing"), "--dry-run"])
        self.assertEqual(rc, 4, err)
        rc, out, err = run_tsarchive(["restore", self.root, "--dry-run", "--tables", "nope"])
        self.assertEqual(rc, 4, err)

    def test_dry_run_and_files(self):
        rc, out, err = run_tsarchive(["restore", self.root, "--dry-run", "--json",
                                      "--since", "2024-02-01", "--until", "2024-03-01"])
        self.assertEqual(rc, 0, err)
        rep = json.loads(out)
        feb = [r for r in self.rows if 1706745600 * 10**9 <= r["time"] < 1709251200 * 10**9]
        self.assertEqual(rep["points"], len(feb))
        self.assertEqual(rep["tables"][0]["sample"][0].split(" ")[-1], str(min(r["time"] for r in feb)))
        for fmt in ("lp", "csv", "jsonl"):
            d = os.path.join(self.tmp, "out-" + fmt)
            rc, out, err = run_tsarchive(["restore", self.root, "--to", d, "--format", fmt])
            self.assertEqual(rc, 0, err)
            path = os.path.join(d, "demo", "generation." + fmt)
            with open(path) as f:
                n = sum(1 for l in f if l.strip())
            self.assertEqual(n, len(self.rows) + (1 if fmt == "csv" else 0), fmt)


if __name__ == "__main__":
    unittest.main(verbosity=2)
