"""The seed guide's wrapper, scripts/cleanup_timestream_resources.sh, on the seeded account of
test_cleanup_e2e.py with the archive where the guide puts it, in the S3 bucket
${PROJECT_NAME}-${ENVIRONMENT}-timestream-archive (on moto): DRY_RUN unset or true is a dry run
(nothing changes), false applies (the interlock, reading the archive from S3, still keeps what
it does not cover: exit 6; the audit log lands in the bucket), anything else is refused (2)."""
import os
import shutil
import subprocess

import boto3
import sys
import tempfile
import unittest

SRC = os.environ.get("TSARCHIVE_SRC", ".")
sys.path.insert(0, os.path.join(SRC, "tests", "archive"))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from servers import tsarchive_bin  # noqa: E402
from test_cleanup_e2e import Account, DB_OK, DB_BAD, DB_GREW, DB_NEW, FN, snapshot_moto, snapshot_ts  # noqa: E402


class WrapperScript(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tsa-cleanup-wrapper-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def script(self, acct, root, dry_run):
        env = dict(os.environ)
        for k, v in acct.env(TSARCHIVE_BIN=tsarchive_bin()).items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        env.pop("DRY_RUN", None)
        env.pop("ARCHIVE", None)  # the default: the guide's bucket
        if dry_run is not None:
            env["DRY_RUN"] = dry_run
        p = subprocess.run([os.path.join(SRC, "scripts", "cleanup_timestream_resources.sh"), "--rate", "all=500"],
                           env=env, capture_output=True, text=True, timeout=120, cwd=self.tmp)
        return p.returncode, p.stdout, p.stderr

    def test_dry_run_both_ways(self):
        with Account(self.tmp) as acct:
            bucket = "ons-data-platform-dev-timestream-archive"
            s3 = boto3.client("s3", endpoint_url=acct.moto.url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
            s3.create_bucket(Bucket=bucket)
            root = "s3://" + bucket
            acct.make_archive(root)
            before, ts_before = snapshot_moto(acct.moto.url), snapshot_ts(acct.emu.url)
            for dr in (None, "true"):
                rc, out, err = self.script(acct, root, dr)
                self.assertEqual(rc, 0, out + err)
                self.assertIn("DRY RUN", err)
                self.assertIn("cleanup plan (dry run)", out)
                self.assertIn(FN, out)
            self.assertEqual(snapshot_moto(acct.moto.url), before)
            self.assertEqual(snapshot_ts(acct.emu.url), ts_before)
            rc, out, err = self.script(acct, root, "maybe")
            self.assertEqual(rc, 2, out + err)
            self.assertIn("DRY_RUN must be true or false", err)
            rc, out, err = self.script(acct, root, "false")
            self.assertEqual(rc, 6, out + err)  # three tables kept by the interlock
            self.assertNotIn(FN, snapshot_moto(acct.moto.url)["functions"])
            self.assertNotIn(DB_OK, snapshot_ts(acct.emu.url))
            for db in (DB_BAD, DB_GREW, DB_NEW):
                self.assertIn(db, snapshot_ts(acct.emu.url))
            audit = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="timestream-archive/_audit/")["Contents"]]
            self.assertEqual(sum("_cleanup_" in k for k in audit), 3, audit)  # two dry runs, one apply
            rc, out, err = self.run_verify(acct, root)
            self.assertEqual(rc, 0, out + err)

    def run_verify(self, acct, root):
        p = subprocess.run([tsarchive_bin(), "audit", "verify", root], capture_output=True, text=True,
                           timeout=60, env=self.clean_env(acct))
        return p.returncode, p.stdout, p.stderr

    def clean_env(self, acct):
        env = dict(os.environ)
        for k, v in acct.env().items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env


if __name__ == "__main__":
    unittest.main(verbosity=2)
