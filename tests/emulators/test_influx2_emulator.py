"""Fidelity tests of the InfluxDB 2.x write-API emulator, driven over plain HTTP (http.client)."""
import gzip
import http.client
import json
import os
import sys
import unittest
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from emuharness import Emulator, run_contract_checker  # noqa: E402

TOKEN = "s3cr3t-token"


class Client:
    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def write(self, body, token=TOKEN, gzip_it=False, **params):
        params.setdefault("org", "acme")
        params.setdefault("bucket", "archive")
        params = {k: v for k, v in params.items() if v is not None}
        headers = {"Content-Type": "text/plain; charset=utf-8", "Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Token {token}"
        if isinstance(body, str):
            body = body.encode()
        if gzip_it:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        status, hdrs, data = self.request("POST", "/api/v2/write?" + urlencode(params), body, headers)
        return status, hdrs, (json.loads(data) if data else None)

    def points(self, **params):
        status, _, data = self.request("GET", "/emulator/points?" + urlencode(params))
        assert status == 200, (status, data)
        return json.loads(data)

    def reset(self):
        self.request("DELETE", "/emulator/points")


class Influx2EmulatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("influx2", "--token", TOKEN, "--org", "acme", "--bucket", "archive",
                           "--bucket", "acme/other", "--max-body-bytes", "200000")
        cls.c = Client(cls.emu.port)

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def setUp(self):
        self.c.reset()

    def test_contract_checker(self):
        res = run_contract_checker("influx2")
        if res is None:
            self.skipTest("../shared/tools/check-emulator-contract not found beside the repository")
        self.assertEqual(res[0], 0, res[1])

    def test_health_and_ping(self):
        status, _, data = self.c.request("GET", "/health")
        self.assertEqual((status, json.loads(data)["status"]), (200, "pass"))
        status, hdrs, data = self.c.request("GET", "/ping")
        self.assertEqual((status, data), (204, b""))
        self.assertIn("x-influxdb-version", hdrs)

    def test_write_and_read_back(self):
        status, _, body = self.c.write("cpu,host=a,region=eu usage=0.5,count=3i,ok=true,name=\"x y\",u=7u 1700000000000000001\n"
                                       "cpu,host=b usage=1 1700000000000000002\n")
        self.assertEqual((status, body), (204, None))
        p = self.c.points(bucket="archive", measurement="cpu")
        self.assertEqual(p["count"], 2)
        self.assertEqual((p["min_time"], p["max_time"]), (1700000000000000001, 1700000000000000002))
        self.assertEqual(p["points"][0], {"bucket": "archive", "measurement": "cpu", "tags": {"host": "a", "region": "eu"},
                                          "fields": {"usage": 0.5, "count": 3, "ok": True, "name": "x y", "u": 7},
                                          "time": 1700000000000000001})
        self.assertEqual(p["field_types"]["cpu"], {"usage": "float", "count": "integer", "ok": "boolean",
                                                   "name": "string", "u": "unsigned"})
        self.assertEqual(self.c.points(bucket="other")["count"], 0)

    def test_precisions(self):
        for prec, ts in (("s", "1700000000"), ("ms", "1700000000000"), ("us", "1700000000000000"),
                         ("ns", "1700000000000000000"), (None, "1700000000000000000")):
            self.c.reset()
            status, _, body = self.c.write(f"m f=1 {ts}\n", precision=prec)
            self.assertEqual(status, 204, body)
            self.assertEqual(self.c.points()["points"][0]["time"], 1700000000 * 10**9, prec)
        status, _, body = self.c.write("m f=1 1\n", precision="m")
        self.assertEqual(status, 400)
        self.assertEqual(body["code"], "invalid")
        self.assertIn("precision", body["message"])

    def test_gzip(self):
        lines = "".join(f"g,k=v{i % 10} f={i}i {i}\n" for i in range(5000))
        status, _, body = self.c.write(lines, gzip_it=True)
        self.assertEqual(status, 204, body)
        self.assertEqual(self.c.points(measurement="g", limit=0)["count"], 5000)
        status, hdrs, data = self.c.request("POST", "/api/v2/write?org=acme&bucket=archive", b"not gzip at all",
                                            {"Authorization": f"Token {TOKEN}", "Content-Encoding": "gzip"})
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(data)["code"], "invalid")

    def test_token_org_bucket_checks(self):
        cases = [
            (dict(token=None), 401, "unauthorized"),
            (dict(token="wrong"), 401, "unauthorized"),
            (dict(org="nope"), 404, "not found"),
            (dict(bucket="nope"), 404, "not found"),
            (dict(org=None), 400, "invalid"),
            (dict(bucket=None), 404, "not found"),
        ]
        for kw, status, code in cases:
            with self.subTest(kw=kw):
                st, _, body = self.c.write("m f=1 1\n", **kw)
                self.assertEqual((st, body["code"]), (status, code), body)
                self.assertTrue(body["message"])
        self.assertEqual(self.c.points()["count"], 0)
        self.assertEqual(self.c.write("m f=1 1\n", bucket="other")[0], 204)

    def test_bad_lines_reject_the_batch(self):
        # InfluxDB 2.x OSS: one unparsable line and nothing of the batch is written
        st, hdrs, body = self.c.write("m f=1 1\nm f= 2\nm f=3 3\nm,t=x 4\n")
        self.assertEqual(st, 400)
        self.assertEqual(body["code"], "invalid")
        self.assertEqual(body["line"], 2)
        self.assertIn("unable to parse 'm f= 2'", body["message"])
        self.assertIn("unable to parse 'm,t=x 4'", body["message"])
        self.assertEqual(hdrs["x-platform-error-code"], "invalid")
        self.assertEqual(self.c.points()["count"], 0)
        st, _, body = self.c.write("")
        self.assertEqual((st, body["message"]), (400, "writing requires points"))

    def test_escapes_round_trip(self):
        lp = ('my\\ meas\\,ure,tag\\ key=a\\=b\\,c,t2=x\\\\y '
              'f\\=k="quote \\" back \\\\ done",g=-1.5e-3,h=TRUE 42\n')
        st, _, body = self.c.write(lp)
        self.assertEqual(st, 204, body)
        pt = self.c.points()["points"][0]
        self.assertEqual(pt["measurement"], "my meas,ure")
        self.assertEqual(pt["tags"], {"tag key": "a=b,c", "t2": "x\\y"})
        self.assertEqual(pt["fields"], {"f=k": 'quote " back \\ done', "g": -0.0015, "h": True})

    def test_dedupe_merges_fields(self):
        self.c.write("d,h=a x=1,y=2 100\n")
        self.c.write("d,h=a y=3,z=4 100\nd,h=a x=9 101\n")
        p = self.c.points(measurement="d")
        self.assertEqual(p["count"], 2)
        self.assertEqual(p["points"][0]["fields"], {"x": 1.0, "y": 3.0, "z": 4.0})

    def test_field_type_conflict(self):
        self.assertEqual(self.c.write("tc f=1i 1\n")[0], 204)
        st, _, body = self.c.write("tc f=1.5 2\ntc g=1 3\ntc f=\"s\" 4\n")
        self.assertEqual(st, 422)
        self.assertEqual(body, {"code": "unprocessable entity", "message":
                                "failure writing points to database: partial write: field type conflict: input field "
                                "\"f\" on measurement \"tc\" is type float, already exists as type integer dropped=2"})
        self.assertEqual(self.c.points(measurement="tc")["count"], 2)   # the good point was written

    def test_body_too_large(self):
        st, _, body = self.c.write("m f=1 1\n" * 30000)
        self.assertEqual(st, 413)
        self.assertEqual(body["maxLength"], 200000)
        # a gzip bomb is caught on the decompressed size
        st, _, body = self.c.write("m f=1 1\n" * 30000, gzip_it=True)
        self.assertEqual(st, 413)

    def influxql(self, q, token=TOKEN, **params):
        params = dict({"db": "archive", "q": q}, **params)
        headers = {"Authorization": f"Token {token}"} if token else {}
        status, _, data = self.c.request("GET", "/query?" + urlencode(params), None, headers)
        return status, json.loads(data)

    def test_influxql_read_back(self):
        # what a restore's parity check asks through the 1.x-compatible /query (db = bucket)
        self.c.write("cpu,host=a u=0.5,n=3i 1000\ncpu,host=b u=1.5 2000\ncpu,host=a n=4i 3000\nmem f=1 1500\n")
        st, body = self.influxql('SELECT count(*) FROM "cpu" WHERE time >= 0 AND time < 2500', epoch="ns")
        self.assertEqual((st, body), (200, {"results": [{"statement_id": 0, "series": [
            {"name": "cpu", "columns": ["time", "count_n", "count_u"], "values": [[0, 1, 2]]}]}]}))
        st, body = self.influxql('SELECT * FROM "cpu" WHERE time >= 0 AND time < 5000 ORDER BY time DESC LIMIT 1',
                                 epoch="ns")
        self.assertEqual(body["results"][0]["series"][0]["values"], [[3000, "a", 4, None]])
        self.assertEqual(body["results"][0]["series"][0]["columns"], ["time", "host", "n", "u"])
        st, body = self.influxql("SELECT * FROM cpu ORDER BY time ASC LIMIT 1")       # RFC 3339 without epoch
        self.assertEqual(body["results"][0]["series"][0]["values"][0][0], "1970-01-01T00:00:00.000001Z")
        st, body = self.influxql('SELECT count(*) FROM "nothing"; SHOW MEASUREMENTS', epoch="ns")
        self.assertEqual(body["results"], [{"statement_id": 0}, {"statement_id": 1, "series": [
            {"name": "measurements", "columns": ["name"], "values": [["cpu"], ["mem"]]}]}])
        st, body = self.influxql("SHOW MEASUREMENTS", db="nope")
        self.assertEqual(body["results"][0]["error"], "database not found: nope")
        st, body = self.influxql("SELEKT 1")
        self.assertEqual(st, 400)
        self.assertIn("error parsing query", body["error"])
        self.assertEqual(self.influxql("SHOW MEASUREMENTS", token="wrong")[0], 401)

    def test_malformed_lines(self):
        bad = ["m", "m f", "m f=", "m,t f=1", "m f=1 notatime", "m f=\"unterminated", "m f=1 1 extra",
               "m f=9223372036854775808i", "m f=nan", ",t=1 f=1", "m _reserved=1"]
        for line in bad:
            with self.subTest(line=line):
                st, _, body = self.c.write(line + "\n")
                self.assertEqual(st, 400, (line, body))
                self.assertEqual(body["line"], 1)
        self.assertEqual(self.c.points()["count"], 0)


class Influx2FaultTest(unittest.TestCase):
    def statuses(self, faults, n=30):
        with Emulator("influx2", "--faults", faults) as emu:
            c = Client(emu.port)
            out = []
            for i in range(n):
                st, hdrs, body = c.write(f"m f={i} {i}\n", token="test-token", org="test-org", bucket="test-bucket")
                out.append((st, hdrs.get("retry-after")))
                if st in (429, 503):
                    self.assertIn(body["code"], ("too many requests", "unavailable"))
            written = c.points()["count"]
            self.assertEqual(written, sum(1 for s, _ in out if s == 204))
            return out

    def test_429_and_503_with_retry_after_reproducible(self):
        spec = "429=0.3,503=0.2,retry_after=3,seed=9"
        a = self.statuses(spec)
        self.assertEqual(a, self.statuses(spec))
        self.assertIn((429, "3"), a)
        self.assertIn((503, "3"), a)
        self.assertIn((204, None), a)

    def test_stale_queries(self):
        # the first N SELECTs answer without the latest write request's points; SHOW and later
        # SELECTs see everything
        with Emulator("influx2", "--faults", "stale_queries=2") as emu:
            c = Client(emu.port)
            kw = dict(token="test-token", org="test-org", bucket="test-bucket")
            self.assertEqual(c.write("m f=1 1\nm f=2 2\n", **kw)[0], 204)
            self.assertEqual(c.write("m f=3 3\n", **kw)[0], 204)

            def count():
                params = {"db": "test-bucket", "q": 'SELECT count(*) FROM "m"', "epoch": "ns"}
                st, _, data = c.request("GET", "/query?" + urlencode(params), None,
                                        {"Authorization": "Token test-token"})
                self.assertEqual(st, 200, data)
                return json.loads(data)["results"][0]["series"][0]["values"][0][1]

            self.assertEqual([count(), count(), count(), count()], [2, 2, 3, 3])

    def test_partial_writes_option(self):
        with Emulator("influx2", "--partial-writes") as emu:
            c = Client(emu.port)
            st, _, body = c.write("m f=1 1\nbad\nm f=3 3\n", token="test-token", org="test-org", bucket="test-bucket")
            self.assertEqual((st, body["code"], body["line"]), (400, "invalid", 2))
            self.assertIn("partial write", body["message"])
            self.assertEqual([p["time"] for p in c.points()["points"]], [1, 3])

    def test_create_bucket_option(self):
        with Emulator("influx2", "--create-bucket", env={"INFLUX_TOKEN": "from-env"}) as emu:
            c = Client(emu.port)
            self.assertEqual(c.write("m f=1 1\n", token="from-env", org="test-org", bucket="fresh")[0], 204)
            self.assertEqual(c.points(bucket="fresh")["count"], 1)
            self.assertEqual(c.write("m f=1 1\n", token="from-env", org="other-org", bucket="x")[0], 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
