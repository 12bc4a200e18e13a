"""Retention of an archive against moto (which enforces Object Lock): export --retain locks
every object until export time + 7 years exactly, a locked version cannot be deleted,
`retention` shows and judges the bucket's settings and every object's lock, `retention --apply`
makes the policy hold without shortening a lock or touching another rule (and a second --apply
changes nothing), `verify --retention 7y` fails on one unlocked object, and a local directory
is reported as not enforceable."""
import datetime
import json
import os
import re
import shutil
import sys
import tempfile
import time
import unittest

SRC = os.environ.get("TSARCHIVE_SRC", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from servers import emulator, moto_server, run_tsarchive  # noqa: E402

SAMPLE = os.path.join(SRC, "samples", "energy.lp")
UTC = datetime.timezone.utc


def until_from(started_at, years):
    """export time (RFC 3339, 9 digits) + years, rounded up to the second; 29 Feb -> 1 Mar."""
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z$", started_at)
    assert m, started_at
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    t = datetime.datetime(y, mo, d, h, mi, s, tzinfo=UTC)
    if m.group(7) and int(m.group(7)) != 0:
        t += datetime.timedelta(seconds=1)
    try:
        return t.replace(year=t.year + years)
    except ValueError:  # 29 February into a common year
        return t.replace(year=t.year + years, month=3, day=1)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class RetentionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tsa-ret-")
        cls._moto = moto_server()
        cls.moto = cls._moto.__enter__()
        import boto3
        cls.s3 = boto3.client("s3", endpoint_url=cls.moto.url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
        cls.env = cls.moto.env(TMPDIR=cls.tmp)

    @classmethod
    def tearDownClass(cls):
        cls._moto.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def tsa(self, *args, rc=None):
        code, out, err = run_tsarchive(list(args), env=self.env, timeout=120)
        if rc is not None:
            self.assertEqual(code, rc, "tsarchive %s -> %d (want %d)\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(args), code, rc, out, err))
        return code, out, err

    def export(self, bucket, *extra, rc=0):
        return self.tsa("export", "--from", SAMPLE, "--database", "demo", "--to",
                        "s3://%s/pre" % bucket, *extra, rc=rc)

    def manifest(self, bucket):
        body = self.s3.get_object(Bucket=bucket,
                                  Key="pre/timestream-archive/demo/export_metadata.json")["Body"]
        return json.loads(body.read())

    def archive_keys(self, bucket):
        m = self.manifest(bucket)
        keys = ["pre/timestream-archive/demo/export_metadata.json"]
        for t in m["tables"]:
            keys += ["pre/timestream-archive/demo/" + f["path"] for f in t["files"]]
        return m, sorted(keys)

    def retention_json(self, bucket, *extra, rc=None):
        code, out, err = self.tsa("retention", "s3://%s/pre" % bucket, "--json", *extra, rc=rc)
        return code, json.loads(out), err

    def lifecycle(self, bucket):
        try:
            return self.s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        except self.s3.exceptions.ClientError as e:
            if "NoSuchLifecycleConfiguration" in str(e):
                return []
            raise

    # ------------------------------------------------------------------ export --retain

    def test_export_retain_locks_every_object_until_export_plus_7y(self):
        b = "ret-locked"
        self.s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)
        _, out, _ = self.export(b, "--retain", "7y", "--json")
        summary = json.loads(out)
        m, keys = self.archive_keys(b)
        want = until_from(m["started_at"], 7)
        # the manifest records the lock (optional field) and verify accepts it
        self.assertEqual(m["object_lock"], {"mode": "GOVERNANCE", "retain_until": iso(want)})
        self.assertEqual(summary["object_lock"]["retain_until"], iso(want))
        self.assertEqual(len(keys), 4, keys)
        for k in keys:
            h = self.s3.head_object(Bucket=b, Key=k)
            self.assertEqual(h.get("ObjectLockMode"), "GOVERNANCE", k)
            self.assertEqual(h["ObjectLockRetainUntilDate"], want, k)
        # a locked version cannot be deleted
        h = self.s3.head_object(Bucket=b, Key=keys[1])
        with self.assertRaises(self.s3.exceptions.ClientError) as cm:
            self.s3.delete_object(Bucket=b, Key=keys[1], VersionId=h["VersionId"])
        self.assertIn("AccessDenied", str(cm.exception))
        self.assertEqual(self.s3.head_object(Bucket=b, Key=keys[1])["VersionId"], h["VersionId"])

        # retention shows every object locked until the right date
        code, r, _ = self.retention_json(b)
        objs = {"pre/" + o["key"]: o for o in r["objects"]}
        self.assertEqual(sorted(objs), keys)
        for k, o in objs.items():
            self.assertTrue(o["held"], o)
            self.assertEqual(o["lock_mode"], "GOVERNANCE", o)
            self.assertEqual(o["lock_until"], iso(want), o)
            self.assertEqual(o["required_until"], iso(want), o)
            self.assertEqual(o["export_time"], m["started_at"], o)
        rules = {x["rule"]: x for x in r["rules"]}
        self.assertEqual(rules["object-lock"]["verdict"], "holds", rules)
        self.assertEqual(rules["versioning"]["verdict"], "holds", rules)
        # no lifecycle rule yet: the policy does not hold until --apply adds one
        self.assertEqual(rules["lifecycle-transition"]["verdict"], "does_not_hold", rules)
        self.assertEqual((code, r["verdict"]), (3, "does_not_hold"))
        # the text form says it per object
        _, text, _ = self.tsa("retention", "s3://%s/pre" % b, rc=3)
        for k in keys:
            self.assertIn("GOVERNANCE until %s  needs %s  %s" % (iso(want), iso(want), k[4:]), text)
        # verify reads the manifest with its optional field, and retention holds per object
        _, out, _ = self.tsa("verify", "s3://%s/pre" % b, "--retention", "7y", rc=0)
        self.assertIn("4 of 4 archive objects locked until export time + 7 years", out)
        # --apply: only the lifecycle rule is missing
        _, out, _ = self.tsa("retention", "s3://%s/pre" % b, "--apply", rc=0)
        self.assertEqual(out.count("applying:"), 1, out)
        self.assertIn("after --apply: the 7-year policy HOLDS", out)

    def test_export_retain_refused_without_object_lock(self):
        b = "ret-nolock-export"
        self.s3.create_bucket(Bucket=b)
        _, _, err = self.export(b, "--retain", "7y", rc=6)
        self.assertIn("has no Object Lock", err)
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket=b))
        _, _, err = self.tsa("export", "--from", SAMPLE, "--database", "demo", "--to",
                             os.path.join(self.tmp, "local-refused"), "--retain", "7y", rc=6)
        self.assertIn("local directory", err)
        self.tsa("export", "--from", SAMPLE, "--database", "demo", "--to", "s3://%s" % b,
                 "--retain", "seven", rc=2)
        self.tsa("export", "--from", SAMPLE, "--database", "demo", "--to", "s3://%s" % b,
                 "--lock-mode", "governance", rc=2)

    def test_timestream_export_retain_compliance_and_rerun_extends(self):
        b = "ret-timestream"
        self.s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)
        with emulator("timestream", "--retention", "ignore", "--load",
                      "tsdb.generation=" + SAMPLE) as emu:
            env = dict(self.env)
            env.update({"AWS_ENDPOINT_URL_TIMESTREAM_QUERY": emu.url,
                        "AWS_ENDPOINT_URL_TIMESTREAM_WRITE": emu.url})

            def export():
                code, out, err = run_tsarchive(
                    ["export", "--from", "timestream://us-east-1", "--database", "tsdb", "--to",
                     "s3://%s" % b, "--retain", "7", "--lock-mode", "compliance"], env=env,
                    timeout=120)
                self.assertEqual(code, 0, out + err)
                return out, err

            def check():
                body = self.s3.get_object(Bucket=b, Key="timestream-archive/tsdb/export_metadata.json")
                m = json.loads(body["Body"].read())
                want = until_from(m["started_at"], 7)
                self.assertEqual(m["object_lock"], {"mode": "COMPLIANCE",
                                                    "retain_until": iso(want)})
                keys = ["timestream-archive/tsdb/export_metadata.json"] + [
                    "timestream-archive/tsdb/" + f["path"] for t in m["tables"] for f in t["files"]]
                self.assertEqual(len(keys), 4, keys)
                for k in keys:
                    h = self.s3.head_object(Bucket=b, Key=k)
                    self.assertEqual((h.get("ObjectLockMode"), h.get("ObjectLockRetainUntilDate")),
                                     ("COMPLIANCE", want), k)
                return want

            export()
            first = check()
            # locks are whole seconds: a re-run inside the same second needs no extension,
            # so make sure the second run's export time is a later second
            time.sleep(1.1)
            # a re-run keeps the files (unchanged) but has a later export time: their locks
            # are extended to it, never left short
            out, err = export()
            self.assertIn("3 unchanged", out)
            self.assertIn("extending the lock of 3 objects kept from an earlier run", err)
            second = check()
            self.assertGreaterEqual(second, first)
            self.tsa("verify", "s3://%s" % b, "--retention", "7y", rc=0)

    # ------------------------------------------------------------------ verify --retention

    def test_verify_retention_fails_on_one_unlocked_object(self):
        b = "ret-one-unlocked"
        self.s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)
        self.export(b)  # no --retain: nothing locked
        m, keys = self.archive_keys(b)
        want = until_from(m["started_at"], 7)
        unlocked = keys[2]
        for k in keys:
            if k != unlocked:
                self.s3.put_object_retention(Bucket=b, Key=k, Retention={
                    "Mode": "GOVERNANCE", "RetainUntilDate": want})
        # without --retention the state is only reported
        _, out, _ = self.tsa("verify", "s3://%s/pre" % b, rc=0)
        self.assertIn("3 of 4 archive objects locked", out)
        code, out, err = self.tsa("verify", "s3://%s/pre" % b, "--retention", "7y", rc=3)
        exposed = [l for l in out.splitlines() if l.startswith("EXPOSED")]
        self.assertEqual(exposed, ["EXPOSED [retention] %s: not locked, needs a lock until %s"
                                   % (unlocked[4:], iso(want))], out)
        self.assertIn("1 archive object could be deleted or overwritten", err)
        _, out, _ = self.tsa("verify", "s3://%s/pre" % b, "--retention", "7", "--json", rc=3)
        j = json.loads(out)
        self.assertEqual((j["ok"], j["exit_code"], j["errors"]), (False, 3, 0))
        self.assertEqual((j["retention"]["checked"], j["retention"]["exposed"]), (True, 1))
        self.assertEqual([o["key"] for o in j["retention"]["objects"] if not o["held"]],
                         [unlocked[4:]])
        # a period longer than the locks: every object is exposed
        _, out, _ = self.tsa("verify", "s3://%s/pre" % b, "--retention", "8y", rc=3)
        self.assertEqual(len([l for l in out.splitlines() if l.startswith("EXPOSED")]), 4, out)
        # lock the last one: passes
        self.s3.put_object_retention(Bucket=b, Key=unlocked, Retention={
            "Mode": "GOVERNANCE", "RetainUntilDate": want})
        _, out, _ = self.tsa("verify", "s3://%s/pre" % b, "--retention", "7y", rc=0)
        self.assertIn("4 of 4 archive objects locked", out)
        # a second, unlocked database: judged only when it is verified
        self.tsa("export", "--from", SAMPLE, "--database", "other", "--to", "s3://%s/pre" % b,
                 rc=0)
        self.tsa("verify", "s3://%s/pre" % b, "--retention", "7y", "--database", "demo", rc=0)
        _, out, _ = self.tsa("verify", "s3://%s/pre" % b, "--retention", "7y", rc=3)
        exposed = [l for l in out.splitlines() if l.startswith("EXPOSED")]
        self.assertEqual(len(exposed), 4, out)
        self.assertTrue(all("timestream-archive/other/" in l for l in exposed), out)

    # ------------------------------------------------------------------ --apply

    def test_apply_on_plain_bucket_makes_policy_hold_second_apply_changes_nothing(self):
        b = "ret-plain"
        self.s3.create_bucket(Bucket=b)
        other = {"ID": "logs-30d", "Filter": {"Prefix": "logs/"}, "Status": "Enabled",
                 "Expiration": {"Days": 30}}
        self.s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={
            "Rules": [other]})
        self.export(b)
        code, r, _ = self.retention_json(b, rc=3)
        rules = {x["rule"]: x for x in r["rules"]}
        self.assertEqual(rules["versioning"]["verdict"], "does_not_hold")
        self.assertEqual(rules["lifecycle-transition"]["verdict"], "does_not_hold")
        self.assertEqual(rules["no-early-expiration"]["verdict"], "holds")  # logs/ is not ours
        self.assertEqual((rules["object-lock"]["verdict"], rules["object-lock"]["required"]),
                         ("cannot_hold", False))
        self.assertEqual(r["bucket_settings"]["other_lifecycle_rules"], 1)
        # the dry run changes nothing and lists the changes
        _, out, _ = self.tsa("retention", "s3://%s/pre" % b, rc=3)
        self.assertEqual(out.count("  would: "), 2, out)
        self.assertNotIn("Status", self.s3.get_bucket_versioning(Bucket=b))
        self.assertEqual(self.lifecycle(b), [other])

        _, out, _ = self.tsa("retention", "s3://%s/pre" % b, "--apply", rc=0)
        self.assertIn("applying: enable versioning on bucket %s" % b, out)
        self.assertIn("applying: set lifecycle rule 'tsarchive-retention:pre/timestream-archive/'",
                      out)
        self.assertIn("after --apply: the 7-year policy HOLDS", out)
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=b)["Status"], "Enabled")
        rules_after = self.lifecycle(b)
        self.assertIn(other, rules_after)
        ours = [x for x in rules_after if x["ID"] == "tsarchive-retention:pre/timestream-archive/"]
        self.assertEqual(len(rules_after), 2, rules_after)
        self.assertEqual(ours[0]["Filter"], {"Prefix": "pre/timestream-archive/"})
        self.assertEqual(ours[0]["Transitions"], [{"Days": 90, "StorageClass": "GLACIER_IR"}])
        self.assertNotIn("Expiration", ours[0])
        self.assertNotIn("NoncurrentVersionExpiration", ours[0])

        code, r, _ = self.retention_json(b, "--apply", rc=0)
        self.assertEqual((r["verdict"], r["changes"], r["applied"]), ("holds", [], False))
        _, out, _ = self.tsa("retention", "s3://%s/pre" % b, "--apply", rc=0)
        self.assertIn("nothing to change", out)
        self.assertNotIn("applying:", out)
        self.assertEqual(self.lifecycle(b), rules_after)

    def test_apply_never_shortens_a_lock_or_touches_another_rule(self):
        b = "ret-never-shorten"
        self.s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)
        self.export(b)
        m, keys = self.archive_keys(b)
        want7 = until_from(m["started_at"], 7)
        longer = until_from(m["started_at"], 10)
        self.s3.put_object_retention(Bucket=b, Key=keys[1], Retention={
            "Mode": "GOVERNANCE", "RetainUntilDate": longer})
        foreign = {"ID": "someone-else", "Filter": {"Prefix": "pre/"}, "Status": "Enabled",
                   "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}
        self.s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={
            "Rules": [foreign]})
        code, r, _ = self.retention_json(b, rc=3)
        rules = {x["rule"]: x for x in r["rules"]}
        self.assertEqual((rules["no-early-expiration"]["verdict"],
                          rules["no-early-expiration"]["fixable"]), ("does_not_hold", False))
        self.assertIn("someone-else", rules["no-early-expiration"]["why"])

        _, out, _ = self.tsa("retention", "s3://%s/pre" % b, "--apply", "--lock-mode",
                             "governance", rc=3)
        self.assertEqual(out.count("applying: lock "), 3, out)
        self.assertIn("note: lifecycle: rule 'someone-else'", out)
        for k in keys:
            h = self.s3.head_object(Bucket=b, Key=k)
            self.assertEqual(h["ObjectLockRetainUntilDate"], longer if k == keys[1] else want7, k)
        rules_after = self.lifecycle(b)
        self.assertIn(foreign, rules_after)
        self.assertEqual(len(rules_after), 2)
        # the object-lock rule holds now; only the foreign expiration is left, so a second
        # --apply has nothing to do
        code, r, _ = self.retention_json(b, "--apply", rc=3)
        self.assertEqual(r["changes"], [])
        rules = {x["rule"]: x for x in r["rules"]}
        self.assertEqual(rules["object-lock"]["verdict"], "holds")
        self.assertEqual(rules["lifecycle-transition"]["verdict"], "holds")

    def test_bad_options(self):
        self.tsa("retention", "s3://ret-x/pre", "--storage-class", "GLACIER_DEEP", rc=2)
        self.tsa("retention", "s3://ret-x/pre", "--storage-class", "STANDARD_IA",
                 "--transition-days", "10", rc=2)
        self.tsa("retention", "s3://ret-x/pre", "--lock-mode", "strict", rc=2)
        self.tsa("retention", "s3://ret-x/pre", "--years", "0", rc=2)
        _, _, err = self.tsa("retention", "s3://ret-no-such-bucket/pre", rc=4)
        self.assertIn("ret-no-such-bucket", err)

    # ------------------------------------------------------------------ local

    def test_local_directory_not_enforceable(self):
        root = os.path.join(self.tmp, "local-archive")
        self.tsa("export", "--from", SAMPLE, "--database", "demo", "--to", root, rc=0)
        _, out, err = self.tsa("retention", root, rc=3)
        self.assertIn("retention: not enforceable (local directory)", out)
        self.assertIn("verdict: the 7-year policy CANNOT HOLD", out)
        _, out, _ = self.tsa("retention", root, "--json", rc=3)
        r = json.loads(out)
        self.assertEqual((r["verdict"], r["enforceable"], r["storage"]),
                         ("cannot_hold", False, "local"))
        self.assertTrue(all(x["verdict"] == "cannot_hold" for x in r["rules"]), r["rules"])
        self.assertEqual(r["objects_held"], 0)
        _, out, _ = self.tsa("retention", root, "--apply", rc=3)
        self.assertNotIn("applying:", out)
        _, out, _ = self.tsa("verify", root, rc=0)
        self.assertIn("retention: not enforceable (local directory)", out)
        _, out, _ = self.tsa("verify", root, "--json", rc=0)
        self.assertEqual(json.loads(out)["retention"]["verdict"], "cannot_hold")
        self.tsa("verify", root, "--retention", "7y", rc=3)
        empty = os.path.join(self.tmp, "empty-dir")
        os.makedirs(empty, exist_ok=True)
        _, _, err = self.tsa("retention", empty, rc=4)
        self.assertIn("no archive here", err)
        self.assertEqual(os.listdir(empty), [])  # no _audit folder left behind


if __name__ == "__main__":
    unittest.main(verbosity=2)
