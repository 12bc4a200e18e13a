"""awsJson1_0 / awsJson1_1 / awsQuery calls against moto on 127.0.0.1.

Runs $TSARCHIVE_BUILD/test_aws_calls_live (cmocka) against moto in its default mode and with
signature checking on (INITIAL_NO_AUTH_ACTION_COUNT + an IAM key moto issued), where a wrong
secret must be refused as an authentication error that does not show the secret.
"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TSARCHIVE_SRC", "."), "tests", "lib"))
from servers import moto_server, REPO_ROOT  # noqa: E402

import boto3  # noqa: E402

BUILD = os.environ.get("TSARCHIVE_BUILD", os.path.join(REPO_ROOT, "build"))
LIVE = os.path.join(BUILD, "test_aws_calls_live")


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
    env.setdefault("TSARCHIVE_RETRY_BASE_MS", "50")
    p = subprocess.run([LIVE], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=300)
    return p.returncode, p.stdout


class AwsCallsTest(unittest.TestCase):
    def check(self, rc, out, passed_min):
        if rc != 0 or "FAILED" in out:
            self.fail("test_aws_calls_live failed (rc %d):\n%s" % (rc, out))
        passed = [l for l in out.splitlines() if l.startswith("[       OK ]")]
        self.assertGreaterEqual(len(passed), passed_min, out)

    def test_moto(self):
        with moto_server() as m:
            rc, out = run_live(m.env())
            self.check(rc, out, 3)
            # what we created is what boto3 sees
            tw = boto3.client("timestream-write", endpoint_url=m.url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
            names = [d["DatabaseName"] for d in tw.list_databases()["Databases"]]
            self.assertIn("tsa_calls_db", names)

    def test_moto_checks_signatures(self):
        with moto_server(env={"INITIAL_NO_AUTH_ACTION_COUNT": "5"}) as m:
            iam = boto3.client("iam", endpoint_url=m.url, region_name="us-east-1",
                               aws_access_key_id="x", aws_secret_access_key="x")
            iam.create_user(UserName="tsa")
            pol = iam.create_policy(
                PolicyName="all",
                PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                               '"Action":"*","Resource":"*"}]}')["Policy"]["Arn"]
            iam.attach_user_policy(UserName="tsa", PolicyArn=pol)
            key = iam.create_access_key(UserName="tsa")["AccessKey"]
            env = m.env(AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                        AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
            rc, out = run_live(env, TSARCHIVE_TEST_AUTH_CHECKED="1")
            self.check(rc, out, 4)
            self.assertNotIn(key["SecretAccessKey"], out)
            self.assertNotIn("WRONGsecret", out)


if __name__ == "__main__":
    unittest.main()
