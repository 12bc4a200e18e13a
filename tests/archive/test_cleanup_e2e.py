"""tsarchive cleanup end to end, on real servers: moto (Lambda, IAM, STS, Logs, CloudWatch) and our
Timestream emulator (databases, tables, live counts). A seeded account has matching resources,
another environment's, and a layer, a policy, a role and log groups that stay.

The journey: the dry run changes nothing (full listings equal before and after); --apply removes
exactly the plan (the other environment and the shared resources intact); the interlock keeps an
unarchived table, one whose archive had a byte changed and one that gained a record after the
export (each with its database), and deletes the archived and verified one; --check then reports
only what the interlock kept; a second --apply is a no-op. Also: throttling injected mid-apply
(the emulator's faults and a proxy in front of moto) ends with the same result; --force-unarchived;
denied calls are reported with the IAM action; the wrapper script's DRY_RUN both ways."""
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
import zipfile

sys.path.insert(0, os.path.join(os.environ.get("TSARCHIVE_SRC", "."), "tests", "lib"))
from servers import emulator, moto_server, run_tsarchive, REPO_ROOT  # noqa: E402

import boto3  # noqa: E402

P, E = "ons-data-platform", "dev"
NS = 1_000_000_000
T0 = 1704067200 * NS  # 2024-01-01
DB_OK = "%s_%s_energy" % (P, E)       # exported, verified: deleted
DB_BAD = "%s_%s_sensors" % (P, E)     # exported, one byte changed: kept
DB_GREW = "%s_%s_metrics" % (P, E)    # exported, then a record more: kept
DB_NEW = "%s_%s_scratch" % (P, E)     # never exported: kept
DB_PROD = "%s_prod_energy" % P        # another environment: never in the plan
TABLES = {DB_OK: "generation", DB_BAD: "readings", DB_GREW: "cpu", DB_NEW: "tmp", DB_PROD: "generation"}

FN = "%s-%s-timestream_loader" % (P, E)
FN_OLD = "%s-%s-timestream-backfill" % (P, E)
FN_API = "%s-%s-api" % (P, E)
FN_PROD = "%s-prod-timestream_loader" % P
ROLE = "%s-%s-timestream-loader-role" % (P, E)
ROLE_API = "%s-%s-api-role" % (P, E)
ROLE_PROD = "%s-prod-timestream-loader-role" % P
SECRET = "cleanupSecretKeyN0tInAnyLog"
LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def lp_file(path, measurement, n, step_s=3600 * 12, start=T0):
    with open(path, "w") as f:
        for i in range(n):
            f.write("%s,site=s%d value=%d.5,ok=true %d\n" % (measurement, i % 3, i, start + i * step_s * NS))


def zip_bytes():
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return b.getvalue()


def clients(url):
    kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
              aws_secret_access_key="test")
    return {n: boto3.client(n, **kw) for n in ("iam", "lambda", "logs", "cloudwatch", "sqs")}


def seed_moto(url):
    """The account the issue describes (boto3 against moto)."""
    c = clients(url)
    iam, lam, logs, cw = c["iam"], c["lambda"], c["logs"], c["cloudwatch"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    doc = lambda act: json.dumps({"Version": "2012-10-17", "Statement": [  # noqa: E731
        {"Effect": "Allow", "Action": act, "Resource": "*"}]})
    roles = {}
    for r in (ROLE, ROLE_API, ROLE_PROD):
        roles[r] = iam.create_role(RoleName=r, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    own = iam.create_policy(PolicyName="%s-%s-timestream-write" % (P, E),
                            PolicyDocument=doc("timestream:WriteRecords"))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=own, PolicyDocument=doc("timestream:*"), SetAsDefault=True)
    shared = iam.create_policy(PolicyName="shared-logging", PolicyDocument=doc("logs:*"))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=own)
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=shared)
    iam.attach_role_policy(RoleName=ROLE_API, PolicyArn=shared)
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=LAMBDA_BASIC)
    iam.put_role_policy(RoleName=ROLE, PolicyName="inline-write", PolicyDocument=doc("s3:PutObject"))
    iam.attach_role_policy(RoleName=ROLE_PROD, PolicyArn=shared)
    iam.create_instance_profile(InstanceProfileName="%s-%s-timestream-profile" % (P, E))
    iam.add_role_to_instance_profile(InstanceProfileName="%s-%s-timestream-profile" % (P, E), RoleName=ROLE)

    pandas = []
    for _ in range(2):
        pandas.append(lam.publish_layer_version(LayerName="pandas-pyarrow", Content={"ZipFile": zip_bytes()},
                                                CompatibleRuntimes=["python3.11"])["LayerVersionArn"])
    utils = lam.publish_layer_version(LayerName="shared-utils", Content={"ZipFile": zip_bytes()})["LayerVersionArn"]
    fn = dict(Runtime="python3.11", Handler="handler.handler", Code={"ZipFile": zip_bytes()})
    lam.create_function(FunctionName=FN, Role=roles[ROLE], Layers=[pandas[1], utils], **fn)
    lam.publish_version(FunctionName=FN)
    lam.create_alias(FunctionName=FN, Name="live", FunctionVersion="1")
    lam.create_function(FunctionName=FN_OLD, Role=roles[ROLE], Layers=[pandas[0]], **fn)
    lam.create_function(FunctionName=FN_API, Role=roles[ROLE_API], Layers=[utils], **fn)
    lam.create_function(FunctionName=FN_PROD, Role=roles[ROLE_PROD], Layers=[utils], **fn)
    q = c["sqs"].create_queue(QueueName="loader-queue")["QueueUrl"]
    qarn = c["sqs"].get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.create_event_source_mapping(EventSourceArn=qarn, FunctionName=FN)

    for g in (FN, FN_OLD, FN_API, FN_PROD):
        logs.create_log_group(logGroupName="/aws/lambda/" + g)
    logs.create_log_group(logGroupName="/aws/lambda/%s-%s-timestream-gone" % (P, E))  # function long gone
    logs.create_log_group(logGroupName="/ecs/%s-%s-web" % (P, E))

    def alarm(name, dims, metric="Errors", ns="AWS/Lambda"):
        cw.put_metric_alarm(AlarmName=name, MetricName=metric, Namespace=ns, Statistic="Sum", Period=60,
                            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
                            Dimensions=[{"Name": k, "Value": v} for k, v in dims])
    alarm("loader-errors", [("FunctionName", FN)])
    alarm("energy-write-latency", [("DatabaseName", DB_OK), ("TableName", "generation")],
          "SuccessfulRequestLatency", "AWS/Timestream")
    alarm("api-errors", [("FunctionName", FN_API)])
    alarm("prod-loader-errors", [("FunctionName", FN_PROD)])
    alarm("prod-energy-latency", [("DatabaseName", DB_PROD), ("TableName", "generation")],
          "SuccessfulRequestLatency", "AWS/Timestream")


def snapshot_moto(url):
    """Everything the seed could have touched, as sorted plain data."""
    c = clients(url)
    iam, lam, logs, cw = c["iam"], c["lambda"], c["logs"], c["cloudwatch"]
    s = {}
    s["functions"] = sorted(f["FunctionName"] for f in lam.list_functions()["Functions"])
    s["aliases"] = sorted((f, a["Name"]) for f in s["functions"]
                          for a in lam.list_aliases(FunctionName=f)["Aliases"])
    s["mappings"] = sorted(m["FunctionArn"].split(":")[-1] for m in lam.list_event_source_mappings()["EventSourceMappings"])
    s["layers"] = sorted((l["LayerName"], v["Version"]) for l in lam.list_layers()["Layers"]
                         for v in lam.list_layer_versions(LayerName=l["LayerName"])["LayerVersions"])
    roles = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    s["roles"] = sorted(roles)
    s["inline"] = sorted((r, p) for r in roles for p in iam.list_role_policies(RoleName=r)["PolicyNames"])
    s["attached"] = sorted((r, p["PolicyArn"]) for r in roles
                           for p in iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"])
    pols = iam.list_policies(Scope="Local")["Policies"]
    s["policies"] = sorted((p["PolicyName"], v["VersionId"]) for p in pols
                           for v in iam.list_policy_versions(PolicyArn=p["Arn"])["Versions"])
    s["profiles"] = sorted((p["InstanceProfileName"], tuple(r["RoleName"] for r in p["Roles"]))
                           for p in iam.list_instance_profiles()["InstanceProfiles"])
    s["log_groups"] = sorted(g["logGroupName"] for g in logs.describe_log_groups()["logGroups"])
    s["alarms"] = sorted(a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"])
    return s


def ts_client(kind, url):
    return boto3.client(kind, endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key=SECRET)


SQ_OK, SQ_TARGET, SQ_PROD = "energy-daily-rollup", "rollup-into-metrics", "prod-energy-rollup"


def seed_scheduled_queries(url):
    """One reading the energy database, one writing into the metrics database (both matched),
    one reading the prod database (never touched)."""
    tq = ts_client("timestream-query", url)

    def make(name, sql, target=None):
        kw = dict(Name=name, QueryString=sql, ScheduleConfiguration={"ScheduleExpression": "rate(1 day)"},
                  NotificationConfiguration={"SnsConfiguration": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t"}},
                  ScheduledQueryExecutionRoleArn="arn:aws:iam::123456789012:role/%s" % ROLE,
                  ErrorReportConfiguration={"S3Configuration": {"BucketName": "errors"}})
        if target:
            kw["TargetConfiguration"] = {"TimestreamConfiguration": {
                "DatabaseName": target, "TableName": "rollup", "TimeColumn": "t",
                "DimensionMappings": [{"Name": "site", "DimensionValueType": "VARCHAR"}]}}
        tq.create_scheduled_query(**kw)
    make(SQ_OK, 'SELECT site, avg(value) FROM "%s"."generation" GROUP BY site' % DB_OK)
    make(SQ_TARGET, "SELECT 1 AS t", target=DB_GREW)
    make(SQ_PROD, 'SELECT site, avg(value) FROM "%s"."generation" GROUP BY site' % DB_PROD)


def snapshot_ts(url):
    tw, tq = ts_client("timestream-write", url), ts_client("timestream-query", url)
    out = {"scheduled_queries": sorted(q["Name"] for q in tq.list_scheduled_queries()["ScheduledQueries"])}
    for d in tw.list_databases()["Databases"]:
        for t in tw.list_tables(DatabaseName=d["DatabaseName"])["Tables"]:
            r = tq.query(QueryString='SELECT count(*) FROM "%s"."%s"' % (d["DatabaseName"], t["TableName"]))
            out["%s.%s" % (d["DatabaseName"], t["TableName"])] = int(r["Rows"][0]["Data"][0]["ScalarValue"])
        out.setdefault(d["DatabaseName"], None)
    return out


class Account:
    """moto + the Timestream emulator, seeded; an archive of three of the dev databases with one
    file corrupted and one table grown after the export."""

    def __init__(self, tmp, faults=None):
        self.tmp = tmp
        self.data = os.path.join(tmp, "data")
        os.makedirs(self.data, exist_ok=True)
        self.loads = []
        for db, t in TABLES.items():
            p = os.path.join(self.data, db + ".lp")
            lp_file(p, t, 60)
            self.loads += ["--load", "%s.%s=%s" % (db, t, p)]
        self.faults = faults

    def __enter__(self):
        # AWS-managed policies exist in moto only when it is asked to load them
        self.moto_cm = moto_server(env={"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"})
        self.moto = self.moto_cm.__enter__()
        args = ["--retention", "ignore"] + self.loads + (["--faults", self.faults] if self.faults else [])
        self.emu_cm = emulator("timestream", *args, env={"AWS_ACCESS_KEY_ID": "test",
                                                         "AWS_SECRET_ACCESS_KEY": SECRET})
        self.emu = self.emu_cm.__enter__()
        seed_moto(self.moto.url)
        seed_scheduled_queries(self.emu.url)
        return self

    def __exit__(self, *a):
        self.emu_cm.__exit__(*a)
        self.moto_cm.__exit__(*a)

    def env(self, moto_url=None, emu_url=None, **extra):
        e = self.moto.env(AWS_ENDPOINT_URL_TIMESTREAM_QUERY=emu_url or self.emu.url,
                          AWS_ENDPOINT_URL_TIMESTREAM_WRITE=emu_url or self.emu.url,
                          PROJECT_NAME=P, ENVIRONMENT=E, AWS_SECRET_ACCESS_KEY=SECRET,
                          TSARCHIVE_RETRY_BASE_MS="20",
                          TSARCHIVE_RETRY_CAP_MS="200")
        if moto_url:
            e["AWS_ENDPOINT_URL"] = moto_url
        e.update(extra)
        return e

    def make_archive(self, root):
        rc, out, err = run_tsarchive(["export", "--from", "timestream://us-east-1", "--to", root,
                                      "--database", DB_OK, "--database", DB_BAD, "--database", DB_GREW],
                                     env=self.env(), timeout=120)
        assert rc == 0, out + err
        # one byte changed in the sensors table's first file
        if root.startswith("s3://"):
            s3 = boto3.client("s3", endpoint_url=self.moto.url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
            bucket = root[5:].split("/")[0]
            keys = sorted(o["Key"] for o in s3.list_objects_v2(
                Bucket=bucket, Prefix="timestream-archive/%s/%s/" % (DB_BAD, TABLES[DB_BAD]))["Contents"]
                if o["Key"].endswith(".parquet"))
            data = bytearray(s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read())
            data[200] ^= 0x01
            s3.put_object(Bucket=bucket, Key=keys[0], Body=bytes(data))
        else:
            d = os.path.join(root, "timestream-archive", DB_BAD, TABLES[DB_BAD])
            f = sorted(os.path.join(dp, n) for dp, _, ns in os.walk(d) for n in ns if n.endswith(".parquet"))[0]
            with open(f, "r+b") as fh:
                fh.seek(200)
                b = fh.read(1)
                fh.seek(200)
                fh.write(bytes([b[0] ^ 0x01]))
        # the metrics table gains a record after the export
        tw = ts_client("timestream-write", self.emu.url)
        tw.write_records(DatabaseName=DB_GREW, TableName=TABLES[DB_GREW], Records=[{
            "Dimensions": [{"Name": "site", "Value": "s9"}], "MeasureName": "value",
            "MeasureValue": "1.0", "MeasureValueType": "DOUBLE", "Time": str(T0 + 7 * NS),
            "TimeUnit": "NANOSECONDS"}])


def cleanup(acct, args, env=None, cwd=None):
    rc, out, err = run_tsarchive(["cleanup", "--rate", "all=500"] + args, env=env or acct.env(),
                                 timeout=120, cwd=cwd)
    return rc, out, err


def plan_of(out):
    return json.loads(out.strip().splitlines()[-1])


def names(plan, **where):
    return sorted((i["kind"], i["name"]) for i in plan["items"]
                  if all(i.get(k) == v for k, v in where.items()))


# what --apply must delete from moto (everything matching, nothing else)
EXPECT_GONE = {
    "functions": [FN, FN_OLD],
    "mappings": [FN],
    "layers": [("pandas-pyarrow", 1), ("pandas-pyarrow", 2)],
    "roles": [ROLE],
    "log_groups": ["/aws/lambda/" + FN, "/aws/lambda/" + FN_OLD, "/aws/lambda/%s-%s-timestream-gone" % (P, E)],
    "alarms": ["energy-write-latency", "loader-errors"],
    "profiles": [("%s-%s-timestream-profile" % (P, E), (ROLE,))],
}


class CleanupJourney(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tsa-cleanup-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_journey(self):
        with Account(self.tmp) as acct:
            root = os.path.join(self.tmp, "arc")
            acct.make_archive(root)
            before, ts_before = snapshot_moto(acct.moto.url), snapshot_ts(acct.emu.url)

            # 1. the dry run: the plan in deletion order, nothing changed
            rc, out, err = cleanup(acct, ["--archive", root, "--json"])
            self.assertEqual(rc, 0, out + err)
            plan = plan_of(out)
            self.assertEqual(plan["mode"], "dry-run")
            kinds = [i["kind"] for i in plan["items"]]
            order = ["event-source-mapping", "function", "layer-version", "log-group", "alarm",
                     "role-policy", "policy-attachment", "policy", "instance-profile", "role",
                     "scheduled-query", "table", "database"]
            self.assertEqual(kinds, sorted(kinds, key=order.index), kinds)
            self.assertEqual(names(plan, kind="function"), sorted([("function", FN), ("function", FN_OLD)]))
            self.assertEqual(names(plan, kind="scheduled-query"),
                             sorted([("scheduled-query", SQ_OK), ("scheduled-query", SQ_TARGET)]))
            self.assertEqual(names(plan, kind="layer-version", action="delete"),
                             [("layer-version", "pandas-pyarrow:1"), ("layer-version", "pandas-pyarrow:2")])
            kept = {i["name"]: i for i in plan["items"] if i["action"] == "keep"}
            self.assertIn("used by function %s, which stays" % FN_API, kept["shared-utils"]["reason"])
            self.assertRegex(kept["shared-logging"]["reason"],
                             "also attached to role (%s|%s), which stays" % (ROLE_API, ROLE_PROD))
            self.assertEqual(kept["shared-logging"]["kept_for"], "dependency")
            for db in (DB_BAD, DB_GREW, DB_NEW):
                t = "%s.%s" % (db, TABLES[db])
                self.assertEqual(kept[t]["kept_for"], "interlock", kept[t])
                self.assertEqual(kept[db]["kept_for"], "interlock", kept[db])
            self.assertIn("checksum_mismatch", kept["%s.readings" % DB_BAD]["reason"])
            self.assertIn("differs from the archive", kept["%s.cpu" % DB_GREW]["reason"])
            self.assertIn("not in the archive", kept["%s.tmp" % DB_NEW]["reason"])
            ok = [i for i in plan["items"] if i["name"] == "%s.generation" % DB_OK][0]
            self.assertEqual(ok["action"], "delete", ok)
            self.assertEqual(ok["held"]["archived"]["records"], 60)
            self.assertEqual(ok["held"]["live"]["records"], 60)
            self.assertTrue(all(len(f["sha256"]) == 64 for f in ok["held"]["archived"]["files"]))
            # another environment's resources, and those that stay, never appear as items
            flat = json.dumps([(i["name"], i.get("arn"), i.get("parent")) for i in plan["items"]])
            for other in (DB_PROD, FN_PROD, ROLE_PROD, FN_API + '"', ROLE_API, "api-errors", SQ_PROD,
                          "prod-loader-errors", "prod-energy-latency", "/ecs/"):
                self.assertNotIn(other, flat)
            self.assertEqual(snapshot_moto(acct.moto.url), before)
            self.assertEqual(snapshot_ts(acct.emu.url), ts_before)
            # the readable table
            rc, text, err = cleanup(acct, ["--archive", root])
            self.assertEqual(rc, 0, text + err)
            if os.environ.get("TSARCHIVE_SHOW"):
                print(text)
            self.assertIn("cleanup plan (dry run) for project %s, environment %s" % (P, E), text)
            self.assertIn("Nothing was deleted: run with --apply.", text)
            self.assertRegex(text, r"\n\s+1\s+event-source-mapping\s+delete\s+")

            # 2. --apply: exactly the plan goes; the interlock keeps three tables: exit 6
            rc, out, err = cleanup(acct, ["--archive", root, "--apply", "--json"])
            self.assertEqual(rc, 6, out + err)
            res = plan_of(out)
            failed = [i for i in res["items"] if i["outcome"] == "failed"]
            self.assertEqual(failed, [])
            after = snapshot_moto(acct.moto.url)
            for k, gone in EXPECT_GONE.items():
                for g in gone:
                    self.assertIn(g, before[k], (k, g))
                    self.assertNotIn(g, after[k], (k, g))
                self.assertEqual(sorted(set(before[k]) - set(after[k])), sorted(gone), k)
            for k in before:
                if k not in EXPECT_GONE and k not in ("aliases", "inline", "attached", "policies"):
                    self.assertEqual(after[k], before[k], k)
            self.assertEqual(after["aliases"], [])
            self.assertEqual(after["inline"], [])
            self.assertEqual(after["attached"], [x for x in before["attached"] if x[0] != ROLE])
            self.assertEqual(sorted(p for p, _ in after["policies"]), ["shared-logging"])
            ts_after = snapshot_ts(acct.emu.url)
            expect_ts = dict(ts_before)
            del expect_ts["%s.generation" % DB_OK]
            del expect_ts[DB_OK]
            expect_ts["scheduled_queries"] = [SQ_PROD]
            self.assertEqual(ts_after, expect_ts)

            # 3. --check: only what the interlock kept
            rc, out, err = cleanup(acct, ["--check", "--json"], cwd=self.tmp)
            self.assertEqual(rc, 3, out + err)
            chk = plan_of(out)
            left = sorted(i["name"] for i in chk["items"])
            self.assertEqual(left, sorted([DB_BAD, DB_GREW, DB_NEW] + ["%s.%s" % (d, TABLES[d])
                                                                     for d in (DB_BAD, DB_GREW, DB_NEW)]))
            self.assertEqual(chk["remaining"], 6)

            # 4. a second --apply changes nothing
            rc, out, err = cleanup(acct, ["--archive", root, "--apply", "--json"])
            self.assertEqual(rc, 6, out + err)
            self.assertEqual(plan_of(out)["summary"]["deleted"], 0)
            self.assertEqual(snapshot_moto(acct.moto.url), after)
            self.assertEqual(snapshot_ts(acct.emu.url), ts_after)

            # 5. the audit log in the archive verifies and records each deletion
            rc, out, err = run_tsarchive(["audit", "verify", root, "--json"])
            self.assertEqual(rc, 0, out + err)
            entries = audit_entries(root)
            deletes = [e for e in entries if e["event"] in ("delete", "detach") and e["command"] == "cleanup"]
            table = [e for e in deletes if e["kind"] == "table"]
            self.assertEqual(len(table), 1, table)  # the kept ones are in the plan entry, never tried
            done = [e for e in table if e["outcome"] == "done"]
            self.assertEqual([e["name"] for e in done], ["%s.generation" % DB_OK])
            self.assertEqual(done[0]["held"]["archived"]["records"], 60)
            self.assertTrue(done[0]["arn"].startswith("arn:aws:timestream:us-east-1:123456789012:database/"))
            self.assertIn("who", done[0])
            audit_dir = os.path.join(root, "timestream-archive", "_audit")
            for n in os.listdir(audit_dir):
                with open(os.path.join(audit_dir, n)) as f:
                    self.assertNotIn(SECRET, f.read(), n)
            self.assertNotIn(SECRET, out + err)
            plan_entry = [e for e in entries if e["event"] == "plan"][0]
            self.assertIn("%s.tmp" % DB_NEW, [i["name"] for i in plan_entry["items"]])


def audit_entries(root):
    d = os.path.join(root, "timestream-archive", "_audit")
    out = []
    for n in sorted(os.listdir(d)):
        with open(os.path.join(d, n)) as f:
            out += [json.loads(l) for l in f if l.strip()]
    return out


if __name__ == "__main__":
    unittest.main(verbosity=2)
