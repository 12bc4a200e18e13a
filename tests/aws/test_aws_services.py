"""The cleanup services (Lambda, IAM, CloudWatch Logs, CloudWatch alarms, Timestream admin)
against real servers: moto for the first four, our Timestream emulator for the last.

Seeds the issue #9 account with tests/lib/aws_seed.py, runs $TSARCHIVE_BUILD/
test_aws_services_live (cmocka; it lists through our C API with small pages, takes the
loader stack apart and deletes everything twice), then checks with boto3 that exactly the
loader stack of the environment went and everything else (the prod environment, the shared
layer and policy, the api function and role, another project) is untouched. Also through
FlakyProxy (throttling answers on the first requests, retried by the one retry policy), with
credentials that may only list (AccessDenied names the denied IAM action), and against the
Timestream emulator (scheduled queries, DeleteDatabase refused while tables remain).
"""
import http.server
import json
import os
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TSARCHIVE_SRC", "."), "tests", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_s3_storage import FlakyProxy  # noqa: E402
from servers import moto_server, emulator, REPO_ROOT  # noqa: E402
from aws_seed import seed, snapshot, KEY  # noqa: E402

import boto3  # noqa: E402

BUILD = os.environ.get("TSARCHIVE_BUILD", os.path.join(REPO_ROOT, "build"))
LIVE = os.path.join(BUILD, "test_aws_services_live")
PROJECT, ENV, REGION = "tsa-proj", "dev", "us-east-1"
PREFIX = "%s-%s" % (PROJECT, ENV)


def run_live(server_env, **extra):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("AWS_") or k.startswith("TSARCHIVE_TEST_"):
            del env[k]
    for k, v in dict(server_env, **extra).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    env.setdefault("TSARCHIVE_RETRY_BASE_MS", "20")
    env.setdefault("AWS_REGION", REGION)
    env.setdefault("TSARCHIVE_TEST_PREFIX", PREFIX)
    p = subprocess.run([LIVE], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=300)
    return p.returncode, p.stdout


def passed(out):
    return [l.split()[-1] for l in out.splitlines() if l.startswith("[       OK ]")]


def without(snap, removed):
    """snap minus what the moto scenario removes (the dev loader stack), as snapshot() shows it."""
    s = json.loads(json.dumps(snap))
    fn = PREFIX + "-timestream-loader"
    s["functions"] = [f for f in s["functions"] if f["name"] != fn]
    s["layers"] = [l for l in s["layers"] if l["name"] != PREFIX + "-pandas-pyarrow"]
    gone_roles = {fn + "-role", PREFIX + "-timestream-scheduled-query-role"}
    s["roles"] = [r for r in s["roles"] if r["name"] not in gone_roles]
    gone_pols = {PREFIX + "-timestream-loader-policy", PREFIX + "-timestream-sq-policy"}
    s["policies"] = [p for p in s["policies"] if p["name"] not in gone_pols]
    for p in s["policies"]:
        p["roles"] = [r for r in p["roles"] if r not in gone_roles]
    s["instance_profiles"] = [p for p in s["instance_profiles"]
                              if p["name"] != fn + "-profile"]
    s["log_groups"] = [g for g in s["log_groups"]
                       if not g.startswith("/aws/lambda/%s-timestream" % PREFIX)]
    s["alarms"] = [a for a in s["alarms"] if a["name"] not in removed]
    return s


class AwsServicesTest(unittest.TestCase):
    def check(self, rc, out, want):
        if rc != 0 or "FAILED" in out:
            self.fail("test_aws_services_live failed (rc %d):\n%s" % (rc, out))
        got = passed(out)
        for t in want:
            self.assertIn(t, got, out)

    def moto_scenario(self, proxy_faults=None):
        with moto_server() as m:
            made = seed(m.url, PROJECT, ENV, REGION)
            before = snapshot(m.url, REGION)
            url = m.url
            if proxy_faults is None:
                rc, out = run_live(m.env(), TSARCHIVE_TEST_SCENARIO="moto",
                                   TSARCHIVE_TEST_ACCOUNT=made["account"])
                proxy = None
            else:
                port = int(m.url.rsplit(":", 1)[1])
                with FlakyProxy(port, json_throttle=proxy_faults == "json") as proxy:
                    rc, out = run_live(m.env(AWS_ENDPOINT_URL=proxy.url),
                                       TSARCHIVE_TEST_SCENARIO="moto",
                                       TSARCHIVE_TEST_ACCOUNT=made["account"])
            self.check(rc, out, ["test_lambda_inventory", "test_iam_inventory", "test_alarms",
                                 "test_logs", "test_lambda_delete", "test_iam_delete"])
            after = snapshot(url, REGION)
            fn = PREFIX + "-timestream-loader"
            removed = {fn + "-errors", "ops-lambda-throttles-" + ENV,
                       PREFIX + "-timestream-db-user-errors", PREFIX + "-timestream-table-latency"}
            expect = without(before, removed)
            if after != expect:
                self.fail("after the run:\n%s\nexpected:\n%s" % (
                    json.dumps(after, indent=1), json.dumps(expect, indent=1)))
            # everything seed() says stays is still there (spot the kinds snapshot() names)
            names = {r["name"] for r in after["roles"]}
            for r in made["keep"]["roles"]:
                self.assertIn(r["name"], names)
            for g in made["keep"]["log_groups"]:
                self.assertIn(g["name"], after["log_groups"])
            self.assertIn(PREFIX + "-shared-logging", {p["name"] for p in after["policies"]})
            self.assertIn(PREFIX + "-shared-utils", {l["name"] for l in after["layers"]})
            return out, proxy

    def test_moto_list_and_delete(self):
        out, _ = self.moto_scenario()
        self.assertIn("retries: 0", out)
        self.assertIn("refused: iam DeleteRole: DeleteConflict:", out)

    def test_access_denied_names_the_action(self):
        # moto checks credentials and IAM policies after the first N calls: 8 calls make an
        # admin (who seeds) and a user who may only list
        with moto_server(env={"INITIAL_NO_AUTH_ACTION_COUNT": "8"}) as m:
            iam = boto3.client("iam", endpoint_url=m.url, region_name=REGION, **KEY)
            keys = {}
            for user, actions in (("admin", ["*"]),
                                  ("lister", ["lambda:List*", "lambda:Get*", "iam:List*",
                                              "iam:Get*", "logs:Describe*",
                                              "cloudwatch:Describe*",
                                              # moto 5.2 checks monitoring:* (AWS: cloudwatch:*)
                                              "monitoring:Describe*"])):
                iam.create_user(UserName=user)
                pol = iam.create_policy(PolicyName=user + "-policy", PolicyDocument=json.dumps(
                    {"Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Action": actions, "Resource": "*"}]}))["Policy"]["Arn"]
                iam.attach_user_policy(UserName=user, PolicyArn=pol)
                k = iam.create_access_key(UserName=user)["AccessKey"]
                keys[user] = (k["AccessKeyId"], k["SecretAccessKey"])
            seed(m.url, PROJECT, ENV, REGION, credentials=keys["admin"])
            rc, out = run_live(m.env(AWS_ACCESS_KEY_ID=keys["lister"][0],
                                     AWS_SECRET_ACCESS_KEY=keys["lister"][1]),
                               TSARCHIVE_TEST_SCENARIO="denied")
            self.check(rc, out, ["test_denied"])
            self.assertNotIn(keys["lister"][1], out)
            # nothing was deleted (Lambda GETs are left out: moto 5.2 rejects their
            # signatures when it checks them, boto3's as well)
            admin = boto3.client("iam", endpoint_url=m.url, region_name=REGION,
                                 aws_access_key_id=keys["admin"][0],
                                 aws_secret_access_key=keys["admin"][1])
            self.assertIn(PREFIX + "-timestream-loader-role",
                          [r["RoleName"] for r in admin.list_roles()["Roles"]])
            cw = boto3.client("cloudwatch", endpoint_url=m.url, region_name=REGION,
                              aws_access_key_id=keys["admin"][0],
                              aws_secret_access_key=keys["admin"][1])
            self.assertEqual(len(cw.describe_alarms()["MetricAlarms"]), 9)

    def test_lambda_throttled_then_denied(self):
        # moto cannot deny Lambda calls (see above), so a stub answers as Lambda does:
        # 429 TooManyRequestsException with Retry-After, then 403 AccessDeniedException
        # (error type in X-Amzn-ErrorType, message in the body), and 404 for an unknown name
        seen = []

        class Stub(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_DELETE(self):
                seen.append(self.path)
                if self.path == "/2015-03-31/functions/bare":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path.startswith("/2015-03-31/functions/gone"):
                    status, etype, msg = 404, "ResourceNotFoundException", \
                        "Function not found: gone"
                elif len(seen) == 1:
                    status, etype, msg = 429, "TooManyRequestsException", "Rate exceeded"
                else:
                    status, etype = 403, "AccessDeniedException"
                    msg = ("User: arn:aws:iam::123456789012:user/x is not authorized to "
                           "perform: lambda:DeleteFunction99 on resource: "
                           "arn:aws:lambda:us-east-1:123456789012:function:f1")
                body = json.dumps({"Type": "User", "message": msg}).encode()
                self.send_response(status)
                self.send_header("X-Amzn-ErrorType", etype + ":http://internal.amazon.com/")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(body)

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
        t = threading.Thread(target=srv.serve_forever, daemon=True)
        t.start()
        try:
            url = "http://127.0.0.1:%d" % srv.server_address[1]
            rc, out = run_live({"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "test",
                                "AWS_SECRET_ACCESS_KEY": "test"},
                               TSARCHIVE_TEST_SCENARIO="lambda-stub")
        finally:
            srv.shutdown()
            srv.server_close()
        self.check(rc, out, ["test_lambda_denied_after_throttling"])
        self.assertEqual(seen, ["/2015-03-31/functions/f1", "/2015-03-31/functions/f1",
                                "/2015-03-31/functions/gone?Qualifier=3",
                                "/2015-03-31/functions/bare"], out)

    def test_timestream_admin(self):
        with emulator("timestream", env={"AWS_ACCESS_KEY_ID": "test",
                                         "AWS_SECRET_ACCESS_KEY": "test"}) as ts:
            kw = dict(endpoint_url=ts.url, region_name=REGION, **KEY)
            tw = boto3.client("timestream-write", **kw)
            tq = boto3.client("timestream-query", **kw)
            db = "tsa_proj_dev_metrics"
            tw.create_database(DatabaseName=db)
            for t in ("t1", "t2"):
                tw.create_table(DatabaseName=db, TableName=t)
            n = 5
            for i in range(n):
                tq.create_scheduled_query(
                    Name="sq%d" % i,
                    QueryString='SELECT bin(time, 1h) AS hour, count(*) AS c FROM "%s"."t1" '
                                'WHERE time > ago(1h) GROUP BY bin(time, 1h)' % db,
                    ScheduleConfiguration={"ScheduleExpression": "rate(1 hour)"},
                    NotificationConfiguration={"SnsConfiguration": {
                        "TopicArn": "arn:aws:sns:us-east-1:123456789012:t"}},
                    TargetConfiguration={"TimestreamConfiguration": {
                        "DatabaseName": db, "TableName": "t2", "TimeColumn": "hour",
                        "DimensionMappings": [],
                        "MultiMeasureMappings": {"TargetMultiMeasureName": "m",
                                                 "MultiMeasureAttributeMappings": [
                                                     {"SourceColumn": "c",
                                                      "MeasureValueType": "BIGINT"}]}}},
                    ScheduledQueryExecutionRoleArn="arn:aws:iam::123456789012:role/sq-role",
                    ErrorReportConfiguration={"S3Configuration": {"BucketName": "errs"}},
                    ClientToken="tsa-services-test-client-token-%04d" % i)
            rc, out = run_live({"AWS_ENDPOINT_URL": ts.url, "AWS_ACCESS_KEY_ID": "test",
                                "AWS_SECRET_ACCESS_KEY": "test"}, TSARCHIVE_TEST_SCENARIO="tsemu",
                               TSARCHIVE_TEST_TS_DB=db, TSARCHIVE_TEST_SQ_COUNT=n)
            self.check(rc, out, ["test_timestream_admin"])
            self.assertIn("refused: timestream DeleteDatabase: ValidationException", out)
            self.assertEqual(tq.list_scheduled_queries()["ScheduledQueries"], [])
            self.assertNotIn(db, [d["DatabaseName"] for d in tw.list_databases()["Databases"]])


if __name__ == "__main__":
    unittest.main()
