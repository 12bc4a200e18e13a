"""arc_bucket_retire (the guide's step 6.1) against moto: runs $TSARCHIVE_BUILD/
test_retention_retire_live (cmocka) on buckets prepared here with boto3, then checks what is
left: a bucket with versions locked until a future date (and one on legal hold) is refused,
naming the date it may go, and keeps every version; a bucket whose audit log cannot be written
keeps every version; a bucket without locks loses every version, every delete marker and then
itself, and the audit log written elsewhere holds the plan before the outcome."""
import datetime
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SRC = os.environ.get("TSARCHIVE_SRC", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from servers import moto_server  # noqa: E402

BUILD = os.environ.get("TSARCHIVE_BUILD", os.path.join(SRC, "build"))
LIVE = os.path.join(BUILD, "test_retention_retire_live")
UTC = datetime.timezone.utc


def versions(s3, bucket):
    r = s3.list_object_versions(Bucket=bucket)
    return sorted((v["Key"], v["VersionId"]) for v in r.get("Versions", []) + r.get(
        "DeleteMarkers", []))


class RetireTest(unittest.TestCase):
    def test_retire(self):
        import boto3
        tmp = tempfile.mkdtemp(prefix="tsa-retire-")
        try:
            with moto_server() as m:
                s3 = boto3.client("s3", endpoint_url=m.url, region_name="us-east-1",
                                  aws_access_key_id="test", aws_secret_access_key="test")
                now = datetime.datetime.now(UTC).replace(microsecond=0)
                # held: 3 locked (latest +3 years), 1 legal hold, 1 lock already expired? moto
                # refuses past dates, so the free one has no lock at all
                s3.create_bucket(Bucket="retire-held", ObjectLockEnabledForBucket=True)
                dates = [now + datetime.timedelta(days=d) for d in (30, 400, 1100)]
                for i, d in enumerate(dates):
                    s3.put_object(Bucket="retire-held", Key="a/obj%d" % i, Body=b"x" * (i + 1),
                                  ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=d)
                s3.put_object(Bucket="retire-held", Key="a/hold", Body=b"h",
                              ObjectLockLegalHoldStatus="ON")
                s3.put_object(Bucket="retire-held", Key="a/free", Body=b"f")
                held_before = versions(s3, "retire-held")

                s3.create_bucket(Bucket="retire-free")
                # written before versioning: "null" versions (one stays current, one is replaced)
                s3.put_object(Bucket="retire-free", Key="t/old", Body=b"old")
                s3.put_object(Bucket="retire-free", Key="t/x", Body=b"x0")
                s3.put_bucket_versioning(Bucket="retire-free",
                                         VersioningConfiguration={"Status": "Enabled"})
                for k in ("t/x", "t/x", "t/y", "t/year=2024/z"):
                    s3.put_object(Bucket="retire-free", Key=k, Body=b"data-" + k.encode())
                s3.delete_object(Bucket="retire-free", Key="t/y")  # a delete marker
                free_entries = len(versions(s3, "retire-free"))
                self.assertEqual(free_entries, 7)

                s3.create_bucket(Bucket="retire-keep")
                s3.put_object(Bucket="retire-keep", Key="k", Body=b"k")
                keep_before = versions(s3, "retire-keep")

                env = dict(os.environ)
                env.update(m.env())
                env.update({
                    "TSARCHIVE_TEST_RETIRE_HELD": "retire-held",
                    "TSARCHIVE_TEST_RETIRE_HELD_COUNT": "4",
                    "TSARCHIVE_TEST_RETIRE_VERSIONS": "5",
                    "TSARCHIVE_TEST_RETIRE_MAY_GO": dates[-1].strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "TSARCHIVE_TEST_RETIRE_FREE": "retire-free",
                    "TSARCHIVE_TEST_RETIRE_FREE_ENTRIES": str(free_entries),
                    "TSARCHIVE_TEST_RETIRE_KEEP": "retire-keep",
                    "TSARCHIVE_TEST_AUDIT_DIR": tmp})
                env = {k: v for k, v in env.items() if v is not None}
                p = subprocess.run([LIVE], env=env, capture_output=True, text=True, timeout=120)
                out = p.stdout + p.stderr
                passed = [l for l in out.splitlines() if l.startswith("[       OK ]")]
                self.assertEqual((p.returncode, len(passed)), (0, 4), out)
                self.assertIn("refusal: s3://retire-held: refusing to delete: 4 of 5 object "
                              "versions", out)

                # refused and unwritable-audit buckets keep everything
                self.assertEqual(versions(s3, "retire-held"), held_before)
                self.assertEqual(versions(s3, "retire-keep"), keep_before)
                # the free bucket is gone
                names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
                self.assertNotIn("retire-free", names)
                self.assertIn("retire-held", names)
                self.assertIn("retire-keep", names)
                # the audit log went to the directory, and names every version
                logs = glob.glob(os.path.join(tmp, "free", "timestream-archive", "_audit",
                                              "*_cleanup_*.jsonl"))
                self.assertEqual(len(logs), 1, logs)
                with open(logs[0]) as f:
                    entries = [json.loads(l) for l in f]
                self.assertEqual([e["event"] for e in entries],
                                 ["plan-retire-bucket", "retire-bucket"])
                self.assertEqual((entries[0]["versions"], entries[0]["delete_markers"]), (6, 1))
                self.assertEqual(len(entries[0]["items"]), 7)
                self.assertEqual((entries[1]["outcome"], entries[1]["deleted"],
                                  entries[1]["bucket_deleted"]), ("ok", 7, True))
                self.assertEqual(glob.glob(os.path.join(tmp, "held", "*")), [])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
