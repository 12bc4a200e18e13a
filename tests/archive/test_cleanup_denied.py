"""tsarchive cleanup --apply by an identity that may not delete everything: a proxy in front of
moto answers AccessDenied, worded as each service words it, to IAM DeleteRole and CloudWatch
Logs DeleteLogGroup. The other deletions still happen; every failure is listed at the end with
the service's code and message and the IAM action that was denied; exit 1."""
import http.client
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import unittest

SRC = os.environ.get("TSARCHIVE_SRC", ".")
sys.path.insert(0, os.path.join(SRC, "tests", "archive"))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from servers import run_tsarchive  # noqa: E402
from test_cleanup_e2e import Account, EXPECT_GONE, ROLE as FN_ROLE, plan_of, snapshot_moto  # noqa: E402


class DenyProxy:
    """Forwards to moto, but answers AccessDenied, as the services word it, to IAM DeleteRole
    and CloudWatch Logs DeleteLogGroup (an identity that may not delete those)."""

    def __init__(self, upstream_port):
        outer = self
        self.denied = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _reply(self, status, ctype, body):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                who = "User: arn:aws:iam::123456789012:user/ops is not authorized to perform: "
                if b"Action=DeleteRole&" in body + b"&":
                    outer.denied.append("iam:DeleteRole")
                    return self._reply(403, "text/xml", (
                        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>"
                        + who + "iam:DeleteRole on resource: role x</Message></Error>"
                        "<RequestId>1</RequestId></ErrorResponse>").encode())
                if self.headers.get("X-Amz-Target", "").endswith(".DeleteLogGroup"):
                    outer.denied.append("logs:DeleteLogGroup")
                    return self._reply(400, "application/x-amz-json-1.1", json.dumps(
                        {"__type": "AccessDeniedException",
                         "message": who + "logs:DeleteLogGroup on resource: log-group"}).encode())
                c = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                c.request(self.command, self.path, body=body,
                          headers={k: v for k, v in self.headers.items() if k.lower() != "connection"})
                r = c.getresponse()
                data = r.read()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
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


class DeniedCalls(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tsa-cleanup-denied-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_denied_calls_reported(self):
        """Denied deletions do not stop the rest; each is listed with code, message and the IAM
        action; exit 1."""
        with Account(self.tmp) as acct:
            port = int(acct.moto.url.rsplit(":", 1)[1])
            with DenyProxy(port) as proxy:
                env = acct.env(moto_url=proxy.url)
                rc, out, err = run_tsarchive(["cleanup", "--apply", "--json", "--rate", "all=500",
                                              "--audit-to", os.path.join(self.tmp, "a")],
                                             env=env, timeout=120, cwd=self.tmp)
                self.assertEqual(rc, 1, out + err)
                res = plan_of(out)
                failed = {i["name"]: i["error"] for i in res["items"] if i["outcome"] == "failed"}
                self.assertEqual(sorted(failed), sorted([FN_ROLE] + EXPECT_GONE["log_groups"]), failed)
                self.assertEqual(failed[FN_ROLE]["code"], "AccessDenied")
                self.assertEqual(failed[FN_ROLE]["denied_action"], "iam:DeleteRole")
                self.assertIn("not authorized", failed[FN_ROLE]["message"])
                lg = failed[EXPECT_GONE["log_groups"][0]]
                self.assertEqual((lg["code"], lg["denied_action"]), ("AccessDeniedException", "logs:DeleteLogGroup"))
                # everything else went on: functions, alarms, policies are gone
                after = snapshot_moto(acct.moto.url)
                self.assertEqual([f for f in after["functions"] if f in EXPECT_GONE["functions"]], [])
                self.assertEqual([a for a in after["alarms"] if a in EXPECT_GONE["alarms"]], [])
                self.assertIn(FN_ROLE, after["roles"])
                self.assertEqual([x for x in after["inline"] if x[0] == FN_ROLE], [])
                # the text report ends with every failure and the action to grant
                rc, out, err = run_tsarchive(["cleanup", "--apply", "--rate", "all=500", "--audit-to",
                                              os.path.join(self.tmp, "a")], env=env, timeout=120,
                                             cwd=self.tmp)
                self.assertEqual(rc, 1, out + err)
                self.assertIn("\nFailures:\n", out)
                self.assertIn("denied IAM action: iam:DeleteRole", out)
                self.assertIn("denied IAM action: logs:DeleteLogGroup", out)
                self.assertIn("deletions failed (exit 1)", err)


class UsageAndUnreachable(unittest.TestCase):
    """The command line is checked before anything is listed (exit 2); a service that cannot be
    reached means no plan and nothing deleted (exit 4, saying which listing failed)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tsa-cleanup-usage-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def env(self, **extra):
        e = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "test",
             "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1", "AWS_PROFILE": None,
             "AWS_SESSION_TOKEN": None, "PROJECT_NAME": "p", "ENVIRONMENT": "dev",
             "TSARCHIVE_MAX_ATTEMPTS": "1", "AWS_ENDPOINT_URL_TIMESTREAM_QUERY": None,
             "AWS_ENDPOINT_URL_TIMESTREAM_WRITE": None}
        e.update(extra)
        return e

    def test_usage(self):
        cases = [
            (["--apply", "--check"], {}, "exclude each other"),
            ([], {"PROJECT_NAME": None}, "PROJECT_NAME"),
            (["--match", "bucket=x"], {}, "unknown kind 'bucket'"),
            (["--match", "function"], {}, "expected KIND=GLOB"),
            (["--rate", "lambda=0"], {}, "--rate lambda=0"),
            (["--rate", "s3=5"], {}, "--rate s3=5"),
            (["--force-unarchived", "notable"], {}, "expected DB.TABLE"),
            (["--archive", self.tmp, "--audit-to", self.tmp], {}, "--audit-to"),
            (["extra"], {}, ""),
        ]
        for args, env, msg in cases:
            rc, out, err = run_tsarchive(["cleanup"] + args, env=self.env(**env), cwd=self.tmp)
            self.assertEqual(rc, 2, (args, out, err))
            self.assertIn(msg, err, args)
        self.assertEqual(os.listdir(self.tmp), [])  # nothing written, not even an audit log

    def test_no_archive_there(self):
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        rc, out, err = run_tsarchive(["cleanup", "--archive", empty], env=self.env(), cwd=self.tmp)
        self.assertEqual(rc, 4, out + err)
        self.assertIn("no archive there", err)
        self.assertEqual(os.listdir(empty), [])  # no audit log left in a stray place

    def test_unreachable(self):
        rc, out, err = run_tsarchive(["cleanup", "--apply", "--json"], env=self.env(), cwd=self.tmp,
                                     timeout=60)
        self.assertEqual(rc, 4, out + err)
        j = json.loads(out)
        self.assertEqual(j["items"], [])
        self.assertIn("listing Timestream", j["error"])
        self.assertIn("could not make the plan", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
