"""tsarchive verify --against: the archive's table-months against the live system.
Timestream (our emulator, loaded with samples/energy.lp): an intact archive matches (also --deep);
then the live side changes — a month the archive lacks, a month doubled, one extra row — and each
differing table-month is listed with both sides' figures, exit 3. InfluxDB 1.x (the real server)
loaded with the same line protocol: matches; an extra point is found. InfluxDB 2.x (our
emulator): matches; an unknown bucket is 'could not check' (4)."""
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TSARCHIVE_SRC", "."), "tests", "lib"))
from servers import emulator, influxd, run_tsarchive, REPO_ROOT  # noqa: E402

import boto3  # noqa: E402

DB, TABLE = "energy", "generation"
SAMPLE = os.path.join(REPO_ROOT, "samples", "energy.lp")
NS = 1_000_000_000


def lp_records():
    """samples/energy.lp as (plant, region, source, fields, t_ns)."""
    out = []
    with open(SAMPLE) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            head, fields, t = line.split(" ")
            tags = dict(kv.split("=") for kv in head.split(",")[1:])
            out.append((tags, fields, int(t)))
    return out


class AgainstTimestream(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tsa-against-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def env(self, emu):
        return {"AWS_ENDPOINT_URL_TIMESTREAM_QUERY": emu.url, "AWS_ENDPOINT_URL_TIMESTREAM_WRITE": emu.url,
                "AWS_ENDPOINT_URL": None, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_REGION": "us-east-1", "AWS_PROFILE": None, "AWS_SESSION_TOKEN": None,
                "PROJECT_NAME": None, "ENVIRONMENT": None}

    def verify(self, root, emu, *more):
        rc, out, err = run_tsarchive(["verify", root, "--against", "timestream://us-east-1", "--json"]
                                     + list(more), env=self.env(emu), timeout=300)
        rep = json.loads(out.strip().splitlines()[-1])
        self.assertEqual(rep["exit_code"], rc)
        return rc, rep, err

    def write(self, emu, recs):
        tw = boto3.client("timestream-write", endpoint_url=emu.url, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
        for i in range(0, len(recs), 100):
            tw.write_records(DatabaseName=DB, TableName=TABLE, Records=recs[i:i + 100])

    @staticmethod
    def record(tags, fields, t, plant_suffix="", version=None):
        mv = []
        for kv in fields.split(","):
            k, v = kv.split("=")
            if v in ("true", "false"):
                mv.append({"Name": k, "Value": v, "Type": "BOOLEAN"})
            else:
                mv.append({"Name": k, "Value": v, "Type": "DOUBLE"})
        dims = [{"Name": "plant_id", "Value": tags["plant_id"] + plant_suffix},
                {"Name": "region", "Value": tags["region"]}, {"Name": "source", "Value": tags["source"]}]
        r = {"Dimensions": dims, "MeasureName": "generation", "MeasureValueType": "MULTI",
             "Time": str(t), "TimeUnit": "NANOSECONDS", "MeasureValues": mv}
        if version:
            r["Version"] = version
        return r

    def test_timestream(self):
        with emulator("timestream", "--retention", "ignore", "--load", "%s.%s=%s" % (DB, TABLE, SAMPLE)) as emu:
            root = os.path.join(self.tmp, "ts")
            rc, out, err = run_tsarchive(["export", "--from", "timestream://us-east-1", "--to", root],
                                         env=self.env(emu), timeout=300)
            self.assertEqual(rc, 0, out + err)
            # intact: every month matches, plain and deep
            for more in ([], ["--deep"]):
                rc, rep, err = self.verify(root, emu, *more)
                self.assertEqual(rc, 0, (rep, err))
                self.assertEqual([(m["month"], m["match"]) for m in rep["months"]],
                                 [("2024-01", True), ("2024-02", True), ("2024-03", True)])
                self.assertEqual(rep["months"][0]["live"]["records"], 1488)
                if more:
                    cf = rep["months"][0]["live"]["measures"]["capacity_factor"]
                    self.assertEqual(cf["count"], 1488)
                    acf = rep["months"][0]["archive"]["measures"]["capacity_factor"]
                    self.assertEqual((cf["min"], cf["max"]), (acf["min"], acf["max"]))
                    self.assertAlmostEqual(cf["sum"], acf["sum"], places=6)
            recs = lp_records()
            # 1. a table-month missing in the archive: live gets April 2024
            april = [self.record(tg, f, t + 91 * 86400 * NS) for (tg, f, t) in recs if t < 1704067200 * NS + 2 * 86400 * NS]
            self.write(emu, april)
            # 2. a duplicated month: January written again under other plant ids (live has double)
            jan_end = 1706745600 * NS
            self.write(emu, [self.record(tg, f, t, "-dup") for (tg, f, t) in recs if t < jan_end])
            # 3. one extra row in February
            tg, f, t = [r for r in recs if r[2] >= jan_end][5]
            self.write(emu, [self.record(tg, f, t + 1, "-x")])
            rc, rep, err = self.verify(root, emu)
            self.assertEqual(rc, 3, (rep, err))
            months = {m["month"]: m for m in rep["months"]}
            self.assertEqual(sorted(months), ["2024-01", "2024-02", "2024-03", "2024-04"])
            self.assertFalse(months["2024-01"]["match"])
            self.assertEqual((months["2024-01"]["archive"]["records"], months["2024-01"]["live"]["records"]),
                             (1488, 2976))
            self.assertFalse(months["2024-02"]["match"])
            self.assertEqual((months["2024-02"]["archive"]["records"], months["2024-02"]["live"]["records"]),
                             (1392, 1393))
            self.assertTrue(months["2024-03"]["match"])
            self.assertFalse(months["2024-04"]["match"])
            self.assertEqual((months["2024-04"]["archive"]["records"], months["2024-04"]["live"]["records"]),
                             (0, len(april)))
            live = [x for x in rep["findings"] if x["kind"] == "live_mismatch"]
            self.assertEqual(len(live), 3, rep["findings"])
            self.assertTrue(all(x["table"] == TABLE and x["database"] == DB for x in live))
            self.assertIn("archive 1488 records", live[0]["message"])
            self.assertIn("live 2976 records", live[0]["message"])
            # the archive itself is still whole: only live mismatches
            self.assertEqual({x["kind"] for x in rep["findings"]}, {"live_mismatch"})
            # plain text lists each differing table-month with both sides
            rc, out, err = run_tsarchive(["verify", root, "--against", "timestream://us-east-1"],
                                         env=self.env(emu), timeout=300)
            self.assertEqual(rc, 3)
            self.assertIn("DIFFERS energy.generation 2024-02: archive 1392 records", out)
            self.assertIn("live 1393 records", out)
            self.assertIn("4 table-months compared, 3 differ", out)
            # 4. a table that exists only on the live side
            tw = boto3.client("timestream-write", endpoint_url=emu.url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
            tw.create_table(DatabaseName=DB, TableName="late")
            tw.write_records(DatabaseName=DB, TableName="late", Records=[
                {"Dimensions": [{"Name": "d", "Value": "1"}], "MeasureName": "m", "MeasureValue": "1.5",
                 "MeasureValueType": "DOUBLE", "Time": str(1704067200 * NS + 7), "TimeUnit": "NANOSECONDS"}])
            rc, rep, err = self.verify(root, emu)
            self.assertEqual(rc, 3, (rep, err))
            late = [m for m in rep["months"] if m["table"] == "late"]
            self.assertEqual(len(late), 1, rep["months"])
            self.assertEqual((late[0]["month"], late[0]["archive"]["records"], late[0]["live"]["records"]),
                             ("2024-01", 0, 1))
            self.assertEqual(late[0]["why"], "the table is not in the archive")

    def test_deep_value_change(self):
        """Same count and times, one value changed on the live side: only --deep sees it."""
        with emulator("timestream", "--retention", "ignore", "--load", "%s.%s=%s" % (DB, TABLE, SAMPLE)) as emu:
            root = os.path.join(self.tmp, "deep")
            rc, out, err = run_tsarchive(["export", "--from", "timestream://us-east-1", "--to", root],
                                         env=self.env(emu), timeout=300)
            self.assertEqual(rc, 0, out + err)
            tg, f, t = lp_records()[100]
            f2 = ",".join(("generation_mw=12345.5" if kv.startswith("generation_mw=") else kv)
                          for kv in f.split(","))
            self.write(emu, [self.record(tg, f2, t, version=2)])  # same dims+time: an upsert
            rc, rep, err = self.verify(root, emu)
            self.assertEqual(rc, 0, (rep, err))
            rc, rep, err = self.verify(root, emu, "--deep")
            self.assertEqual(rc, 3, (rep, err))
            bad = [m for m in rep["months"] if not m["match"]]
            self.assertEqual(len(bad), 1)
            self.assertIn("generation_mw: sum/min/max", bad[0]["why"])
            self.assertEqual(bad[0]["live"]["measures"]["generation_mw"]["max"], 12345.5)


class AgainstInflux(unittest.TestCase):
    def test_influx1_and_v2(self):
        tmp = tempfile.mkdtemp(prefix="tsa-against-influx-")
        try:
            with emulator("timestream", "--retention", "ignore", "--load", "%s.%s=%s" % (DB, TABLE, SAMPLE)) as emu, \
                    influxd() as ix:
                env = {"AWS_ENDPOINT_URL_TIMESTREAM_QUERY": emu.url,
                       "AWS_ENDPOINT_URL_TIMESTREAM_WRITE": emu.url, "AWS_ENDPOINT_URL": None,
                       "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1"}
                root = os.path.join(tmp, "arc")
                rc, out, err = run_tsarchive(["export", "--from", "timestream://us-east-1", "--to", root],
                                             env=env, timeout=300)
                self.assertEqual(rc, 0, out + err)
                ix.query("CREATE DATABASE energy")
                with open(SAMPLE) as f:
                    ix.write(f.read(), "energy")
                host = ix.url.split("://", 1)[1]
                url = "influx1://%s/energy" % host
                rc, out, err = run_tsarchive(["verify", root, "--against", url, "--json"], timeout=300)
                rep = json.loads(out.strip().splitlines()[-1])
                self.assertEqual(rc, 0, (rep, err))
                self.assertEqual([(m["month"], m["live"]["records"], m["match"]) for m in rep["months"]],
                                 [("2024-01", 1488, True), ("2024-02", 1392, True), ("2024-03", 1440, True)])
                ix.write("generation,plant_id=new,region=x,source=y capacity_factor=1,generation_mw=2,online=true "
                         "%d" % (1709251200 * NS + 5), "energy")  # 2024-03-01
                rc, out, err = run_tsarchive(["verify", root, "--against", url], timeout=300)
                self.assertEqual(rc, 3, out + err)
                self.assertIn("DIFFERS energy.generation 2024-03: archive 1440 records", out)
                self.assertIn("live 1441 records", out)
                # InfluxDB 2.x (our emulator: /api/v2/write + InfluxQL on the v1-compatible /query)
                with emulator("influx2", "--token", "tok", "--org", "o", "--bucket", "b") as i2:
                    import urllib.request
                    with open(SAMPLE, "rb") as f:
                        body = f.read()
                    req = urllib.request.Request(i2.url + "/api/v2/write?org=o&bucket=b&precision=ns", data=body,
                                                 method="POST", headers={"Authorization": "Token tok"})
                    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=60) as r:
                        self.assertEqual(r.status, 204)
                    v2 = "influx://%s?org=o&bucket=b" % i2.url.split("://", 1)[1]
                    rc, out, err = run_tsarchive(["verify", root, "--against", v2, "--json"],
                                                 env={"INFLUX_TOKEN": "tok"}, timeout=300)
                    rep = json.loads(out.strip().splitlines()[-1])
                    self.assertEqual(rc, 0, (rep, err))
                    self.assertEqual([(m["month"], m["live"]["records"]) for m in rep["months"]],
                                     [("2024-01", 1488), ("2024-02", 1392), ("2024-03", 1440)])
                    self.assertNotIn("tok", out.replace("token", ""))
                    # a bucket that does not exist: could not check (4)
                    rc, out, err = run_tsarchive(["verify", root, "--against", v2.replace("bucket=b", "bucket=zz")],
                                                 env={"INFLUX_TOKEN": "tok"}, timeout=300)
                    self.assertEqual(rc, 4, out + err)
                    self.assertIn("could not check", err)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
