#!/usr/bin/env python3
"""Starts each real test server (moto, s3rver, influxd, the emulators when present), uses it
the way tests will, and proves that it is gone afterwards (process reaped, port free)."""
import os
import subprocess
import sys
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import servers  # noqa: E402
from servers import (ServerError, emulator, free_port, influxd, moto_server, port_is_free,  # noqa: E402
                     run_tsarchive, s3rver, wait_http)


def boto3_client(service, env):
    import boto3
    from botocore.config import Config
    return boto3.client(service, endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_REGION"],
                        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


class Cleanup:
    def assert_gone(self, srv):
        self.assertIsNotNone(srv.proc.returncode, "%s still running" % srv.name)
        for port in [srv.port] + list(srv.extra_ports):
            deadline = time.monotonic() + 15
            while not port_is_free(port) and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertTrue(port_is_free(port), "%s port %d still bound" % (srv.name, port))
        self.assertFalse(os.path.exists(srv.dir), "%s temp dir left behind" % srv.name)
        with self.assertRaises(OSError):
            os.killpg(srv.proc.pid, 0)   # the whole process group is gone


class TestHelpers(unittest.TestCase):
    def test_free_port_and_wait_http_timeout(self):
        port = free_port()
        self.assertTrue(port_is_free(port))
        t = time.monotonic()
        with self.assertRaises(ServerError):
            wait_http("http://127.0.0.1:%d/" % port, timeout=0.5)
        self.assertLess(time.monotonic() - t, 5)

    def test_run_tsarchive_with_a_stand_in_binary(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            fake = os.path.join(d, "tsarchive")
            with open(fake, "w") as f:
                f.write('#!/bin/sh\necho "args:$*"\necho "X=${X-unset} HOME_SET=${HOME+yes}"\n'
                        'cat\necho oops >&2\nexit 3\n')
            os.chmod(fake, 0o755)
            old = os.environ.get("TSARCHIVE_BIN")
            os.environ["TSARCHIVE_BIN"] = fake
            try:
                rc, out, err = run_tsarchive(["verify", "s3://b"], env={"X": "1", "HOME": None},
                                             input="from stdin\n", timeout=30)
                self.assertEqual(rc, 3)
                self.assertEqual(out, "args:verify s3://b\nX=1 HOME_SET=\nfrom stdin\n")
                self.assertEqual(err, "oops\n")
                with open(fake, "w") as f:
                    f.write("#!/bin/sh\nsleep 30\n")
                t = time.monotonic()
                with self.assertRaises(subprocess.TimeoutExpired):
                    run_tsarchive([], timeout=0.5)
                self.assertLess(time.monotonic() - t, 10)
            finally:
                if old is None:
                    os.environ.pop("TSARCHIVE_BIN", None)
                else:
                    os.environ["TSARCHIVE_BIN"] = old


class TestMoto(Cleanup, unittest.TestCase):
    def test_s3_bucket_object_and_reset(self):
        with moto_server() as moto:
            env = moto.env()
            self.assertEqual(env["AWS_ENDPOINT_URL"], moto.url)
            self.assertEqual((env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_REGION"]),
                             ("test", "test", "us-east-1"))
            s3 = boto3_client("s3", env)
            s3.create_bucket(Bucket="bucket-one")
            s3.put_object(Bucket="bucket-one", Key="timestream-archive/db/t/year=2024/month=01/x.parquet", Body=b"PAR1")
            got = s3.get_object(Bucket="bucket-one", Key="timestream-archive/db/t/year=2024/month=01/x.parquet")
            self.assertEqual(got["Body"].read(), b"PAR1")
            tw = boto3_client("timestream-write", env)
            tw.create_database(DatabaseName="db_one")
            self.assertEqual([d["DatabaseName"] for d in tw.list_databases()["Databases"]], ["db_one"])
            moto.reset()
            self.assertEqual(s3.list_buckets()["Buckets"], [])
        self.assert_gone(moto)


    def test_signature_checking_mode(self):
        with moto_server(env={"INITIAL_NO_AUTH_ACTION_COUNT": "3"}) as moto:
            iam = boto3_client("iam", moto.env())
            iam.create_user(UserName="archiver")
            iam.put_user_policy(UserName="archiver", PolicyName="all", PolicyDocument=(
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'))
            key = iam.create_access_key(UserName="archiver")["AccessKey"]
            good = moto.env(AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                            AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
            s3 = boto3_client("s3", good)
            s3.create_bucket(Bucket="signed-bucket")
            # NB moto 5.2's signature check wrongly refuses keys containing '=' (boto3 signs them
            # as AWS expects), so archive keys (year=.../month=...) cannot be used in this mode
            s3.put_object(Bucket="signed-bucket", Key="k/x", Body=b"1")
            bad = dict(good, AWS_SECRET_ACCESS_KEY="not-the-secret")
            with self.assertRaises(Exception) as cm:
                boto3_client("s3", bad).get_object(Bucket="signed-bucket", Key="k/x")
            self.assertIn("SignatureDoesNotMatch", str(cm.exception))
            self.assertEqual(s3.get_object(Bucket="signed-bucket", Key="k/x")["Body"].read(), b"1")
        self.assert_gone(moto)


class TestS3rver(Cleanup, unittest.TestCase):
    def test_bucket_object_and_key_check(self):
        with s3rver(buckets=["pre-made"]) as srv:
            env = srv.env()
            s3 = boto3_client("s3", env)
            self.assertIn("pre-made", [b["Name"] for b in s3.list_buckets()["Buckets"]])
            s3.create_bucket(Bucket="bucket-two")
            key = "timestream-archive/db/t/year=2024/month=01/t_20240101_20240131.parquet"
            s3.put_object(Bucket="bucket-two", Key=key, Body=b"hello")
            self.assertEqual(s3.get_object(Bucket="bucket-two", Key=key)["Body"].read(), b"hello")
            listed = s3.list_objects_v2(Bucket="bucket-two", Prefix="timestream-archive/")
            self.assertEqual([o["Key"] for o in listed["Contents"]], [key])
            # s3rver knows only the key id S3RVER (it does not verify SigV4 signatures)
            bad = dict(env, AWS_ACCESS_KEY_ID="AKIDUNKNOWN")
            with self.assertRaises(Exception) as cm:
                boto3_client("s3", bad).get_object(Bucket="bucket-two", Key=key)
            self.assertIn("InvalidAccessKeyId", str(cm.exception))
            self.assertTrue(os.path.isdir(srv.data_dir))
        self.assert_gone(srv)


class TestInfluxd(Cleanup, unittest.TestCase):
    def test_create_write_query(self):
        with influxd() as db:
            self.assertEqual(len(db.extra_ports), 1)
            with urllib.request.urlopen(db.url + "/ping", timeout=20) as r:
                self.assertEqual(r.status, 204)
            db.query("CREATE DATABASE t1")
            db.write(["cpu,host=a usage=1.5,n=3i 1704067200123456789",
                      "cpu,host=b usage=2 1704067201000000000"], "t1", "ns")
            pts = db.points("SELECT * FROM cpu ORDER BY time", "t1")
            self.assertEqual(pts[0], {"time": 1704067200123456789, "host": "a", "n": 3, "usage": 1.5})
            self.assertEqual(len(pts), 2)
            with self.assertRaises(ServerError):
                db.write("cpu,host=a usage=", "t1")
            with self.assertRaises(ServerError):
                db.query("SELEKT nonsense", "t1")
            # nothing but our two ports: the RPC bind address is on loopback too
            self.assertFalse(port_is_free(db.extra_ports[0]))
        self.assert_gone(db)


class TestFailures(unittest.TestCase):
    def test_start_failure_reports_stderr(self):
        # an influxd whose config is unusable must fail fast with its stderr in the message
        orig = servers.INFLUXD_CONFIG
        servers.INFLUXD_CONFIG = "this is [not toml\n"
        try:
            with self.assertRaises(ServerError) as cm:
                with influxd():
                    pass
            self.assertIn("stderr tail", str(cm.exception))
        finally:
            servers.INFLUXD_CONFIG = orig

    def test_exception_inside_with_still_stops(self):
        box = []
        with self.assertRaises(ZeroDivisionError):
            with influxd() as db:
                box.append(db)
                1 / 0
        self.assertIsNotNone(box[0].proc.returncode)
        self.assertTrue(port_is_free(box[0].port))


class TestTestProcessDeath(unittest.TestCase):
    """A test process that is terminated (SIGTERM) or killed (SIGKILL) leaves no server."""
    CHILD = (
        "import sys, time\n"
        "sys.path.insert(0, %r)\n"
        "from servers import influxd\n"
        "with influxd() as db:\n"
        "    print(db.proc.pid, db.port, flush=True)\n"
        "    time.sleep(60)\n" % HERE)

    def check(self, sig):
        import signal
        child = subprocess.Popen([sys.executable, "-c", self.CHILD], stdout=subprocess.PIPE, text=True)
        try:
            line = child.stdout.readline()
            self.assertTrue(line, "child did not start influxd")
            pid, port = map(int, line.split())
            child.send_signal(sig)
            child.wait(30)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                # a zombie is reaped by init; check its state
                try:
                    with open("/proc/%d/stat" % pid) as f:
                        if f.read().split(") ")[1].startswith("Z"):
                            break
                except OSError:
                    break
                time.sleep(0.1)
            else:
                self.fail("influxd %d survived %s of the test process" % (pid, sig))
            deadline = time.monotonic() + 15
            while not port_is_free(port) and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertTrue(port_is_free(port))
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdout.close()

    def test_sigterm(self):
        import signal
        self.check(signal.SIGTERM)

    def test_sigkill(self):
        import signal
        self.check(signal.SIGKILL)


class TestEmulators(Cleanup, unittest.TestCase):
    def start_and_check(self, name):
        path = os.path.join(servers.EMULATORS_DIR, name)
        if not os.path.exists(path):
            self.skipTest("tests/emulators/%s is not there yet" % name)
        with emulator(name) as emu:
            self.assertTrue(emu.url.startswith("http://127.0.0.1:"))
            wait_http(emu.url + "/", timeout=20)
        self.assert_gone(emu)

    def test_timestream(self):
        self.start_and_check("timestream")

    def test_influx2(self):
        self.start_and_check("influx2")

    def test_contract_with_a_stand_in(self):
        # A minimal emulator written here proves emulator() itself, whatever exists under
        # tests/emulators/.
        import tempfile
        d = tempfile.mkdtemp()
        stub = os.path.join(d, "stub")
        with open(stub, "w") as f:
            f.write("#!%s\n" % sys.executable + (
                "import http.server, sys\n"
                "assert sys.argv[1:3] == ['--port', '0'], sys.argv\n"
                "s = http.server.HTTPServer(('127.0.0.1', 0), http.server.BaseHTTPRequestHandler)\n"
                "print('listening on http://127.0.0.1:%d' % s.server_port, flush=True)\n"
                "print('more output', flush=True)\n"
                "s.serve_forever()\n"))
        os.chmod(stub, 0o755)
        orig = servers.EMULATORS_DIR
        servers.EMULATORS_DIR = d
        try:
            with emulator("stub") as emu:
                wait_http(emu.url + "/", timeout=20)
            self.assert_gone(emu)
            with open(stub, "w") as f:
                f.write("#!/bin/sh\necho 'hello'\nsleep 30\n")
            with self.assertRaises(ServerError) as cm:
                with emulator("stub"):
                    pass
            self.assertIn("first stdout line", str(cm.exception))
        finally:
            servers.EMULATORS_DIR = orig
            import shutil
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
