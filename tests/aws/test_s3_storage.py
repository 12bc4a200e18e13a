"""S3 client + S3 archive storage against real S3 implementations on 127.0.0.1.

Runs $TSARCHIVE_BUILD/test_s3_live (cmocka; it reads its endpoint from the environment) against:
  - moto (default mode), then checks with boto3 what it wrote (the year=/month= key, the
    multipart object, no multipart upload left behind by aborts);
  - moto with signature checking on (INITIAL_NO_AUTH_ACTION_COUNT), with an IAM key it issued:
    our signatures on PUT/GET/HEAD/DELETE/multipart are verified, and a wrong secret must be
    refused without appearing in the message. moto 5.2's verifier also refuses boto3's own
    valid signatures for keys with '=' and for listings whose prefix has '/' (this test shows
    it with boto3), so those cases run there without '=' and without listings; our '=' keys
    are pinned to botocore's signature in tests/net/test_sigv4.c;
  - s3rver (a second S3 implementation);
  - a fault-injecting proxy in front of moto (503 + Retry-After, then a dropped connection).
"""
import http.client
import http.server
import os
import socket
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TSARCHIVE_SRC", "."), "tests", "lib"))
from servers import moto_server, s3rver, REPO_ROOT, ServerError  # noqa: E402

import boto3  # noqa: E402

BUILD = os.environ.get("TSARCHIVE_BUILD", os.path.join(REPO_ROOT, "build"))
LIVE = os.path.join(BUILD, "test_s3_live")
EQ_KEY = "timestream-archive/db/t/year=2024/month=01/t_20240101_20240131.parquet"


def pattern(n, off=0):
    return bytes(((i * 31 + 7) % 251) for i in range(off, off + n))


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
    env.setdefault("TSARCHIVE_S3_PART_SIZE_MB", "5")
    env.setdefault("TSARCHIVE_RETRY_BASE_MS", "50")
    p = subprocess.run([LIVE], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=600)
    return p.returncode, p.stdout


class FlakyProxy:
    """Forwards to an upstream HTTP server; refuses the first requests it is told to."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.refused = []
        self.flaky_seen = 0
        self.total = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _handle(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with outer.lock:
                    outer.total += 1
                    first = outer.total <= 2
                    flaky = "/flaky/" in self.path
                    k = outer.flaky_seen
                    if flaky:
                        outer.flaky_seen += 1
                if first or (flaky and k < 2):
                    outer.refused.append((self.command, self.path, 503))
                    msg = (b"<?xml version=\"1.0\"?><Error><Code>SlowDown</Code>"
                           b"<Message>Please reduce your request rate.</Message></Error>")
                    self.send_response(503)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(msg)
                    return
                if flaky and k == 2:
                    # a response cut off mid-body (a bare close before any byte would be
                    # retried by libcurl itself on a reused connection, unseen by us)
                    outer.refused.append((self.command, self.path, "drop"))
                    self.send_response(500)
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    self.wfile.write(b"<Error>")
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                c = http.client.HTTPConnection("127.0.0.1", outer.upstream_port, timeout=60)
                hdrs = {k2: v for k2, v in self.headers.items()
                        if k2.lower() not in ("connection", "keep-alive")}
                c.request(self.command, self.path, body=body, headers=hdrs)
                r = c.getresponse()
                data = r.read()
                self.send_response(r.status)
                for hk, hv in r.getheaders():
                    if hk.lower() in ("transfer-encoding", "connection", "content-length"):
                        continue
                    self.send_header(hk, hv)
                if self.command == "HEAD":
                    self.send_header("Content-Length", r.getheader("Content-Length") or "0")
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                c.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def boto(env):
    return boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])


class S3StorageTest(unittest.TestCase):
    def check(self, rc, out, min_passed):
        if rc != 0 or "FAILED" in out:
            self.fail("test_s3_live failed (rc %d):\n%s" % (rc, out))
        passed = [l for l in out.splitlines() if l.startswith("[       OK ]")]
        self.assertGreaterEqual(len(passed), min_passed, out)

    def test_moto(self):
        with moto_server() as m:
            env = m.env()
            rc, out = run_live(env, TSARCHIVE_TEST_BUCKET="tsa-live", TSARCHIVE_TEST_PREFIX="live",
                               TSARCHIVE_TEST_OBJECT_LOCK="1")
            self.check(rc, out, 7)
            self.assertNotIn("SKIPPED ] test_object_lock", out)
            s3 = boto(env)
            # the lock holds: the locked version cannot be deleted
            ver = s3.head_object(Bucket="tsa-locked", Key="live/lock/small.parquet")["VersionId"]
            with self.assertRaises(Exception):
                s3.delete_object(Bucket="tsa-locked", Key="live/lock/small.parquet",
                                 VersionId=ver)
            # what we wrote is what another client reads, under the exact key
            obj = s3.get_object(Bucket="tsa-live", Key="live/" + EQ_KEY)
            self.assertEqual(obj["Body"].read(), pattern(1000))
            big = s3.get_object(Bucket="tsa-live", Key="live/mp/big.parquet")["Body"].read()
            self.assertEqual(len(big), (12 << 20) + 123)
            self.assertEqual(big[:4096], pattern(4096))
            self.assertEqual(big[-4096:], pattern(4096, len(big) - 4096))
            # aborts leave no upload behind
            ups = s3.list_multipart_uploads(Bucket="tsa-live").get("Uploads", [])
            self.assertEqual(ups, [], ups)
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket="tsa-live", Prefix="live/aborted/")
                    .get("Contents", [])]
            self.assertEqual(keys, [])

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
            rc, out = run_live(env, TSARCHIVE_TEST_BUCKET="tsa-auth", TSARCHIVE_TEST_PREFIX="auth",
                               TSARCHIVE_TEST_AUTH_CHECKED="1", TSARCHIVE_TEST_VERIFIER_QUIRKS="1")
            self.check(rc, out, 5)
            self.assertNotIn(key["SecretAccessKey"], out)
            self.assertIn("SignatureDoesNotMatch", out)
            self.assertNotIn("WRONGsecret", out)
            # the verifier quirk, shown with boto3 (informational: a fixed moto is welcome)
            s3 = boto3.client("s3", endpoint_url=m.url, region_name="us-east-1",
                              aws_access_key_id=key["AccessKeyId"],
                              aws_secret_access_key=key["SecretAccessKey"])
            try:
                s3.put_object(Bucket="tsa-auth", Key="q/year=2024/x", Body=b"x")
                print("note: this moto accepts boto3's signature for '=' keys", file=sys.stderr)
            except Exception as e:  # noqa: BLE001
                print("note: moto refuses boto3's signature for '=' keys too: %s" % e,
                      file=sys.stderr)

    def test_s3rver(self):
        # s3rver 3.7 makes ListObjectsV2 continuation tokens with DES, which Node's
        # OpenSSL 3 only offers through the legacy provider (else: 500 InternalError on
        # every truncated listing, for boto3 too).
        os.environ["NODE_OPTIONS"] = (os.environ.get("NODE_OPTIONS", "") +
                                      " --openssl-legacy-provider").strip()
        try:
            ctx = s3rver()
            srv = ctx.__enter__()
        except ServerError as e:
            self.skipTest(str(e))
        try:
            env = srv.env()
            rc, out = run_live(env, TSARCHIVE_TEST_BUCKET="tsa-live", TSARCHIVE_TEST_PREFIX="live")
            self.check(rc, out, 6)
            s3 = boto(env)
            obj = s3.get_object(Bucket="tsa-live", Key="live/" + EQ_KEY)
            self.assertEqual(obj["Body"].read(), pattern(1000))
        finally:
            ctx.__exit__(None, None, None)

    def test_retries_through_faulty_proxy(self):
        with moto_server() as m:
            port = int(m.url.rsplit(":", 1)[1])
            with FlakyProxy(port) as proxy:
                env = m.env(AWS_ENDPOINT_URL=proxy.url)
                rc, out = run_live(env, TSARCHIVE_TEST_BUCKET="tsa-flaky",
                                   TSARCHIVE_TEST_PREFIX="live", TSARCHIVE_TEST_FLAKY="1")
                self.check(rc, out, 7)
                self.assertIn("test_retries_honour_retry_after", out)
                self.assertNotIn("SKIPPED ] test_retries_honour_retry_after", out)
                kinds = [r[2] for r in proxy.refused]
                self.assertEqual(kinds.count(503), 4, proxy.refused)
                self.assertEqual(kinds.count("drop"), 1, proxy.refused)
            # bounded: with every request refused, the client gives up after its attempts
            with FlakyProxy(port) as proxy:
                proxy.total = -10**9  # "first" never ends: always 503
                env = m.env(AWS_ENDPOINT_URL=proxy.url)
                rc, out = run_live(env, TSARCHIVE_TEST_BUCKET="tsa-flaky",
                                   TSARCHIVE_MAX_ATTEMPTS="3", TSARCHIVE_RETRY_BASE_MS="1")
                self.assertNotEqual(rc, 0)
                self.assertIn("SlowDown", out)
                self.assertEqual(len(proxy.refused), 3, proxy.refused)


if __name__ == "__main__":
    unittest.main()
