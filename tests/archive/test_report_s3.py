"""tsarchive report on an s3:// archive (moto): the bucket, key prefix, region, object count and
bytes are S3's own (compared with boto3's listing), the counts equal the manifest's, and the
retention section shows the objects' Object Lock state as S3 reports it."""
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import unittest

SRC = os.environ.get("TSARCHIVE_SRC", ".")
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from servers import moto_server, run_tsarchive  # noqa: E402

try:
    import boto3
except ImportError:  # the machine image has it (scripts/deps.sh checks)
    boto3 = None

BUCKET = "rep-archive"
UNTIL = "2035-01-01T00:00:00Z"  # past export time + 7 years


@unittest.skipIf(boto3 is None, "boto3 missing (scripts/deps.sh --check)")
class ReportS3(unittest.TestCase):
    def test_s3_report(self):
        tmp = tempfile.mkdtemp(prefix="tsa-report-s3-")
        self.addCleanup(shutil.rmtree, tmp, True)
        with moto_server() as moto:
            env = moto.env(TMPDIR=tmp)
            s3 = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
            s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
            root = "s3://%s/pre" % BUCKET
            rc, out, err = run_tsarchive(["export", "--from", os.path.join(SRC, "samples", "energy.lp"),
                                          "--database", "energy_demo", "--to", root], env=env)
            self.assertEqual(rc, 0, out + err)
            rc, out, err = run_tsarchive(["verify", root], env=env)
            self.assertEqual(rc, 0, out + err)
            listing = s3.list_objects_v2(Bucket=BUCKET, Prefix="pre/timestream-archive/")["Contents"]
            keys = sorted(o["Key"] for o in listing)
            data = [k for k in keys if not k.startswith("pre/timestream-archive/_audit/")]
            # lock every archive object but the last data file
            for k in data[:-1]:
                s3.put_object_retention(Bucket=BUCKET, Key=k, Retention={
                    "Mode": "GOVERNANCE", "RetainUntilDate": UNTIL})
            man_raw = s3.get_object(Bucket=BUCKET, Key="pre/timestream-archive/energy_demo/"
                                    "export_metadata.json")["Body"].read()
            manifest = json.loads(man_raw)

            rc, out, err = run_tsarchive(["report", root, "--format", "json"], env=env)
            self.assertEqual(rc, 0, err)
            j = json.loads(out)
            st = j["storage"]
            self.assertEqual((st["kind"], st["bucket"], st["key_prefix"], st["region"]),
                             ("s3", BUCKET, "pre/timestream-archive/", "us-east-1"))
            self.assertEqual(st["objects"], len(listing))
            self.assertEqual(st["bytes"], sum(o["Size"] for o in listing))
            self.assertEqual(st["data_files"]["objects"], manifest["totals"]["files"])
            db = j["databases"][0]
            self.assertEqual(db["manifest"]["sha256"], hashlib.sha256(man_raw).hexdigest())
            self.assertTrue(db["manifest"]["matches_log"])
            t = db["tables"][0]
            mt = manifest["tables"][0]
            self.assertEqual((t["records"], t["min_time"], t["max_time"]),
                             (mt["record_count"], mt["min_time"], mt["max_time"]))
            self.assertEqual({m["month"]: m["records"] for m in t["months"]},
                             {f["min_time"][:7]: f["record_count"] for f in mt["files"]})
            self.assertTrue(j["latest_verify"]["passed"])
            self.assertTrue(j["audit"]["chain"]["ok"])

            ret = j["retention"]
            self.assertEqual((ret["kind"], ret["source"]), ("s3", "assessment"), ret)
            a = ret["assessment"]
            self.assertEqual(a["years"], 7)
            self.assertEqual(a["objects_total"], len(data))
            self.assertEqual(a["objects_held"], len(data) - 1)
            self.assertEqual(a["objects_exposed"], 1)
            by_key = {o["key"]: o for o in a["objects"]}
            self.assertFalse(by_key[data[-1][len("pre/"):]]["held"])
            self.assertTrue(all(by_key[k[len("pre/"):]]["held"] for k in data[:-1]))
            self.assertTrue(a["bucket_settings"]["object_lock"]["enabled"])
            self.assertNotEqual(ret["verdict"], "holds")
            self.assertFalse(ret["enforceable"])
            self.assertTrue(any("retention policy does not hold" in n["text"] for n in j["notes"]),
                            j["notes"])

            rc, html, err = run_tsarchive(["report", root], env=env)
            self.assertEqual(rc, 0, err)
            self.assertIn("S3 bucket <code>%s</code>" % BUCKET, html)
            self.assertIn("{:,}".format(manifest["totals"]["records"]), html)
            rc, md, err = run_tsarchive(["report", root, "--format", "md"], env=env)
            self.assertEqual(rc, 0, err)
            self.assertIn("| bucket | `%s` |" % BUCKET, md)
            self.assertRegex(md, r"\| `%s` \| [^|]* \| GOVERNANCE \| 2035-01-01" % re.escape(data[0][len("pre/"):]))
            self.assertIn("object-lock", html)

            # make the policy hold (versioning, lifecycle rule, locks), then report again
            rc, out, err = run_tsarchive(["retention", root, "--apply"], env=env)
            self.assertEqual(rc, 0, out + err)
            rc, out, err = run_tsarchive(["report", root, "--format", "json"], env=env)
            self.assertEqual(rc, 0, err)
            j = json.loads(out)
            ret = j["retention"]
            self.assertEqual((ret["verdict"], ret["enforceable"]), ("holds", True), ret)
            self.assertEqual(ret["assessment"]["objects_held"], len(data))
            self.assertFalse(any("retention" in n["text"] for n in j["notes"]), j["notes"])
            self.assertIn("retention", [r["command"] for r in j["history"]])
            rc, html, err = run_tsarchive(["report", root], env=env)
            self.assertIn("<b>holds</b> (7-year policy)", html)


if __name__ == "__main__":
    unittest.main()
