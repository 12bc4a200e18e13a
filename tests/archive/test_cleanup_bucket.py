"""tsarchive cleanup --archive-bucket BUCKET (the guide's step 6.1, through the retention helper's
arc_bucket_retire) against moto: a bucket whose objects are locked for years is refused (exit 6),
naming the date it may go, and keeps every version; a bucket with nothing held is listed by the
dry run (nothing deleted) and removed with every version and delete marker by --apply; the audit
log, written outside the bucket (--audit-to), records both and verifies. The option stands alone:
with --archive (whose log would go into the bucket) or --check it is a usage error."""
import datetime
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TSARCHIVE_SRC", "."), "tests", "lib"))
from servers import moto_server, run_tsarchive  # noqa: E402

import boto3  # noqa: E402
import botocore.exceptions  # noqa: E402

UTC = datetime.timezone.utc


def versions(s3, bucket):
    r = s3.list_object_versions(Bucket=bucket)
    return sorted((v["Key"], v["VersionId"]) for v in r.get("Versions", []) + r.get("DeleteMarkers", []))


class ArchiveBucket(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tsa-cleanup-bucket-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_cleanup(self, moto, *args):
        rc, out, err = run_tsarchive(["cleanup", "--json", "--audit-to", os.path.join(self.tmp, "audit")]
                                     + list(args), env=moto.env(PROJECT_NAME="p", ENVIRONMENT="dev"),
                                     timeout=120, cwd=self.tmp)
        return rc, (json.loads(out) if out.strip() else None), err

    def test_retire(self):
        with moto_server() as moto:
            s3 = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
            until = (datetime.datetime.now(UTC) + datetime.timedelta(days=400)).replace(microsecond=0)
            s3.create_bucket(Bucket="p-dev-held", ObjectLockEnabledForBucket=True)
            s3.put_object(Bucket="p-dev-held", Key="timestream-archive/db/export_metadata.json", Body=b"{}",
                          ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)
            s3.put_object(Bucket="p-dev-held", Key="timestream-archive/db/t/a.parquet", Body=b"x")
            held_before = versions(s3, "p-dev-held")
            rc, j, err = self.run_cleanup(moto, "--archive-bucket", "p-dev-held", "--apply")
            self.assertEqual(rc, 6, (j, err))
            self.assertEqual(j["held"], 1, j)
            self.assertEqual(j["may_go"][:10], until.strftime("%Y-%m-%d"))
            self.assertEqual(j["held_versions"][0]["key"], "timestream-archive/db/export_metadata.json")
            self.assertFalse(j["bucket_deleted"])
            self.assertEqual(versions(s3, "p-dev-held"), held_before)
            rc, out, err = run_tsarchive(["cleanup", "--archive-bucket", "p-dev-held"],
                                         env=moto.env(), timeout=120, cwd=self.tmp)
            self.assertEqual(rc, 6, out + err)
            self.assertIn("REFUSED: 1 version is still held; the bucket may go after %s" % until.strftime("%Y-%m-%d"), out)

            s3.create_bucket(Bucket="p-dev-free")
            s3.put_bucket_versioning(Bucket="p-dev-free", VersioningConfiguration={"Status": "Enabled"})
            for k in ("timestream-archive/db/t/a.parquet", "timestream-archive/db/t/a.parquet",
                      "timestream-archive/db/export_metadata.json"):
                s3.put_object(Bucket="p-dev-free", Key=k, Body=b"data")
            s3.delete_object(Bucket="p-dev-free", Key="timestream-archive/db/t/a.parquet")
            free_before = versions(s3, "p-dev-free")
            self.assertEqual(len(free_before), 4)
            rc, j, err = self.run_cleanup(moto, "--archive-bucket", "p-dev-free")
            self.assertEqual(rc, 0, (j, err))
            self.assertEqual((j["mode"], j["versions"], j["delete_markers"], j["held"], j["deleted"]),
                             ("dry-run", 3, 1, 0, 0))
            self.assertEqual(versions(s3, "p-dev-free"), free_before)
            rc, j, err = self.run_cleanup(moto, "--archive-bucket", "p-dev-free", "--apply")
            self.assertEqual(rc, 0, (j, err))
            self.assertEqual((j["deleted"], j["bucket_deleted"]), (4, True), j)
            with self.assertRaises(botocore.exceptions.ClientError):
                s3.head_bucket(Bucket="p-dev-free")

            audit = os.path.join(self.tmp, "audit")
            rc, out, err = run_tsarchive(["audit", "verify", audit, "--json"])
            self.assertEqual(rc, 0, out + err)
            self.assertEqual(json.loads(out)["runs"], 3)  # the refused run, the dry run, the apply
            entries = []
            d = os.path.join(audit, "timestream-archive", "_audit")
            for n in sorted(os.listdir(d)):
                with open(os.path.join(d, n)) as f:
                    entries += [json.loads(l) for l in f if l.strip()]
            ends = [e for e in entries if e["event"] == "end"]
            self.assertEqual(sorted(e["outcome"] for e in ends), ["ok", "ok", "refused"])
            applied = [e for e in ends if e.get("bucket_deleted")]
            self.assertEqual(len(applied), 1)
            # the plan went to the log before anything was deleted
            run = [e for e in entries if e["run_id"] == applied[0]["run_id"]]
            self.assertGreater(len(run), 2, run)

    def test_usage(self):
        with moto_server() as moto:
            for args in (["--archive-bucket", "b", "--archive", "s3://b"],
                         ["--archive-bucket", "b", "--check"]):
                rc, out, err = run_tsarchive(["cleanup"] + args, env=moto.env(), cwd=self.tmp)
                self.assertEqual(rc, 2, (args, out, err))
                self.assertIn("--archive-bucket stands alone", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
