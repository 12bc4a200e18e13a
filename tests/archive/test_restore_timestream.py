"""tsarchive restore --to timestream://REGION against the Timestream emulator.

- archive (exported from one emulator) -> restore --create into a second emulator (WriteRecords,
  100 records per call, CommonAttributes, multi-measure records, exact times) -> export again:
  the same rows in every file, the same counts and time ranges;
- into a table without magnetic-store writes: every record is refused for the retention windows,
  reported per record with its archive file and row, with the advice, exit 5.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SRC = os.environ.get("TSARCHIVE_SRC", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
sys.path.insert(0, os.path.join(SRC, "tests", "influx"))

import archive_fixture as af  # noqa: E402
from servers import emulator, run_tsarchive, tsarchive_bin  # noqa: E402


def aws_env(url):
    return {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": url, "AWS_PROFILE": None,
            "AWS_SESSION_TOKEN": None}


class RestoreTimestream(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="restore-ts-")
        cls.bin = tsarchive_bin()
        cls.root = os.path.join(cls.tmp, "root")
        os.makedirs(cls.tmp + "/w")
        how = af.energy_archive(cls.bin, os.path.join(SRC, "samples", "energy.lp"), "demo", cls.root,
                                cls.tmp + "/w")
        if how != "export":
            raise unittest.SkipTest("needs tsarchive export and the Timestream emulator")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def cat(self, path):
        rc, out, err = run_tsarchive(["cat", path])
        self.assertEqual(rc, 0, err)
        return out

    def test_round_trip_through_timestream(self):
        with emulator("timestream") as emu:
            rc, out, err = run_tsarchive(["restore", self.root, "--to", "timestream://us-east-1", "--create",
                                          "--no-resume", "--json"], env=aws_env(emu.url), timeout=300)
            self.assertEqual(rc, 0, err)
            rep = json.loads(out)
            self.assertEqual(rep["points"], 4320)
            self.assertEqual(rep["accepted"], 4320)
            self.assertEqual(rep["requests"], 44 + 0)  # 4320 records, at most 100 per WriteRecords
            # Parity runs through the same engine as verify --against.
            self.assertTrue(rep["parity"]["checked"], rep["parity"])
            self.assertEqual(rep["parity"]["mismatches"], 0, rep["parity"])
            self.assertEqual(len(rep["parity"]["months"]), 3, rep["parity"])
            rc, out, err = run_tsarchive(["verify", self.root, "--against", "timestream://us-east-1"],
                                         env=aws_env(emu.url), timeout=300)
            self.assertEqual(rc, 0, out + err)
            self.assertIn("0 differ", out)
            again = os.path.join(self.tmp, "again")
            rc, out, err = run_tsarchive(["export", "--from", "timestream://us-east-1", "--database", "demo",
                                          "--to", again], env=aws_env(emu.url), timeout=300)
            self.assertEqual(rc, 0, err)
            # One more record in the live table: both restore's parity and verify see it.
            import boto3
            w = boto3.client("timestream-write", endpoint_url=emu.url, region_name="us-east-1",
                             aws_access_key_id="test", aws_secret_access_key="test")
            w.write_records(DatabaseName="demo", TableName="generation", Records=[{
                "Dimensions": [{"Name": "plant_id", "Value": "extra-99"}],
                "MeasureName": "generation", "MeasureValueType": "MULTI",
                "MeasureValues": [{"Name": "generation_mw", "Value": "1.5", "Type": "DOUBLE"}],
                "Time": "1706745600000", "TimeUnit": "MILLISECONDS"}])
            rc, out, err = run_tsarchive(["verify", self.root, "--against", "timestream://us-east-1"],
                                         env=aws_env(emu.url), timeout=300)
            self.assertEqual(rc, 3, out + err)
            rc, out, err = run_tsarchive(["restore", self.root, "--to", "timestream://us-east-1",
                                          "--no-resume", "--json"], env=aws_env(emu.url), timeout=300)
            self.assertEqual(rc, 3, err)
            self.assertEqual(json.loads(out)["parity"]["mismatches"], 1, out)
        a = json.load(open(os.path.join(self.root, "timestream-archive", "demo", "export_metadata.json")))
        b = json.load(open(os.path.join(again, "timestream-archive", "demo", "export_metadata.json")))
        self.assertEqual([t["name"] for t in a["tables"]], [t["name"] for t in b["tables"]])
        for ta, tb in zip(a["tables"], b["tables"]):
            self.assertEqual(ta["columns"], tb["columns"])
            self.assertEqual(ta["record_count"], tb["record_count"])
            for fa, fb in zip(ta["files"], tb["files"]):
                self.assertEqual((fa["path"], fa["record_count"], fa["min_time"], fa["max_time"]),
                                 (fb["path"], fb["record_count"], fb["min_time"], fb["max_time"]))
                self.assertEqual(self.cat(os.path.join(self.root, "timestream-archive", "demo", fa["path"])),
                                 self.cat(os.path.join(again, "timestream-archive", "demo", fb["path"])),
                                 fa["path"])

    def test_retention_rejections(self):
        import boto3
        with emulator("timestream") as emu:
            w = boto3.client("timestream-write", endpoint_url=emu.url, region_name="us-east-1",
                             aws_access_key_id="test", aws_secret_access_key="test")
            w.create_database(DatabaseName="demo")
            w.create_table(DatabaseName="demo", TableName="generation",
                           RetentionProperties={"MemoryStoreRetentionPeriodInHours": 24,
                                                "MagneticStoreRetentionPeriodInDays": 7},
                           MagneticStoreWriteProperties={"EnableMagneticStoreWrites": False})
            rc, out, err = run_tsarchive(["restore", self.root, "--to", "timestream://us-east-1", "--no-resume",
                                          "--json", "--tables", "generation"], env=aws_env(emu.url), timeout=300)
            self.assertEqual(rc, 5, err)
            rep = json.loads(out)
            self.assertEqual(rep["rejected"], 4320)
            self.assertEqual(rep["retention_rejected"], 4320)
            self.assertEqual(rep["accepted"], 0)
            x = rep["rejections"][0]
            self.assertTrue(x["file"].startswith("demo/generation/year=2024/month=01/"), x)
            self.assertEqual(x["row"], 0)
            self.assertIn('"MeasureValueType":"MULTI"', x["line"])
            rc, out, err = run_tsarchive(["restore", self.root, "--to", "timestream://us-east-1", "--no-resume",
                                          "--tables", "generation"], env=aws_env(emu.url), timeout=300)
            self.assertEqual(rc, 5, err)
            self.assertIn("magnetic", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
