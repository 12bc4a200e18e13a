"""tsarchive export end to end: the Timestream emulator (loaded with boto3 WriteRecords) →
archive on a local directory, on moto S3 and on s3rver; the manifest against the emulator's
counts, every file's SHA-256, every file read back by DuckDB against the rows written, re-runs
as no-ops, kill -9 and resume, fault injection, and a table changed between count and read."""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TSARCHIVE_SRC", "."), "tests", "lib"))
from servers import emulator, moto_server, run_tsarchive, s3rver, tsarchive_bin, REPO_ROOT, _clean_env  # noqa: E402

import boto3  # noqa: E402

MAX_ROWS = 50  # --max-rows-per-query: the "events.big" table needs several windows
NS = 1_000_000_000


def ts_clients(url, key=("test", "test")):
    kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id=key[0],
              aws_secret_access_key=key[1])
    return boto3.client("timestream-write", **kw), boto3.client("timestream-query", **kw)


def epoch_ns(y, m, d, hh=0, mm=0, ss=0):
    import calendar
    return calendar.timegm((y, m, d, hh, mm, ss, 0, 0, 0)) * NS


def build_dataset():
    """{(db, table): [row dict]} with the archive's column names, plus the records to write."""
    data = {}
    writes = []  # (db, table, [records])
    # proj_dev_metrics.cpu: multi-measure, every type, NULL dimensions and measures,
    # sub-microsecond times, Nov 2023 .. Mar 2024 (Dec→Jan, leap February).
    rows, recs = [], []
    months = [(2023, 11), (2023, 12), (2024, 1), (2024, 2), (2024, 3)]
    i = 0
    for (y, m) in months:
        for k in range(7):
            day = 29 if (m == 2 and k == 6) else 1 + k * 4
            t = epoch_ns(y, m, day, k, 30, 15) + (i * 1237 % 1000) + 1000 * k  # ns digits
            host = "h%d" % (k % 3)
            region = None if k % 3 == 0 else "eu-%d" % (k % 2)
            mv = [("usage", repr(0.5 + i), "DOUBLE")]
            r = {"time_ns": t, "host": host, "region": region, "measure_name": "metrics",
                 "usage": 0.5 + i, "count": None, "note": None, "ok": None, "seen": None}
            if k % 2 == 0:
                mv.append(("count", str(-(2 ** 62) + i), "BIGINT"))
                r["count"] = -(2 ** 62) + i
            if k % 3 != 1:
                mv.append(("note", "n\u00e9\"%d\"" % i, "VARCHAR"))
                r["note"] = "n\u00e9\"%d\"" % i
            if k != 3:
                mv.append(("ok", "true" if i % 2 else "false", "BOOLEAN"))
                r["ok"] = bool(i % 2)
            if k % 4 == 1:
                seen = (t - 86400 * NS) // 1000 * 1000  # TIMESTAMP measures: in the record's TimeUnit
                mv.append(("seen", str(seen), "TIMESTAMP"))
                r["seen"] = seen
            dims = [{"Name": "host", "Value": host}]
            if region is not None:
                dims.append({"Name": "region", "Value": region})
            recs.append({"Dimensions": dims, "MeasureName": "metrics", "MeasureValueType": "MULTI",
                         "Time": str(t), "TimeUnit": "NANOSECONDS",
                         "MeasureValues": [{"Name": n, "Value": v, "Type": ty} for (n, v, ty) in mv]})
            rows.append(r)
            i += 1
    data[("proj_dev_metrics", "cpu")] = rows
    writes.append(("proj_dev_metrics", "cpu", recs))
    # proj_dev_metrics.temp: single-measure with two measure types, whole-microsecond times
    rows, recs = [], []
    for k in range(12):
        t = epoch_ns(2024, 6 + k // 6, 1 + k, 12) + 1000 * k
        sensor = "s%d" % (k % 2)
        if k % 3 == 0:
            recs.append({"Dimensions": [{"Name": "sensor", "Value": sensor}], "MeasureName": "level",
                         "MeasureValue": str(100 + k), "MeasureValueType": "BIGINT", "Time": str(t // 1000),
                         "TimeUnit": "MICROSECONDS"})
            rows.append({"time_ns": t, "sensor": sensor, "measure_name": "level",
                         "measure_value::bigint": 100 + k, "measure_value::double": None})
        else:
            recs.append({"Dimensions": [{"Name": "sensor", "Value": sensor}], "MeasureName": "temp",
                         "MeasureValue": repr(20.25 + k), "MeasureValueType": "DOUBLE", "Time": str(t // 1000),
                         "TimeUnit": "MICROSECONDS"})
            rows.append({"time_ns": t, "sensor": sensor, "measure_name": "temp",
                         "measure_value::bigint": None, "measure_value::double": 20.25 + k})
    data[("proj_dev_metrics", "temp")] = rows
    writes.append(("proj_dev_metrics", "temp", recs))
    # proj_dev_events.big: one month, more rows than one query window holds
    rows, recs = [], []
    for k in range(4 * MAX_ROWS + 7):
        t = epoch_ns(2024, 4, 1) + k * 6000 * NS
        recs.append({"Dimensions": [{"Name": "src", "Value": "a%d" % (k % 5)}], "MeasureName": "v",
                     "MeasureValue": str(k), "MeasureValueType": "BIGINT", "Time": str(t // 1_000_000),
                     "TimeUnit": "MILLISECONDS"})
        rows.append({"time_ns": t, "src": "a%d" % (k % 5), "measure_name": "v", "measure_value::bigint": k})
    data[("proj_dev_events", "big")] = rows
    writes.append(("proj_dev_events", "big", recs))
    # other_db: not selected by the PROJECT_NAME/ENVIRONMENT prefix
    writes.append(("other_db", "x", [{"Dimensions": [{"Name": "d", "Value": "1"}], "MeasureName": "m",
                                       "MeasureValue": "1", "MeasureValueType": "DOUBLE",
                                       "Time": str(epoch_ns(2024, 1, 1) // 1_000_000)}]))
    return data, writes


def load(url, writes, key=("test", "test")):
    tw, _ = ts_clients(url, key)
    made = set()
    for db, table, recs in writes:
        if db not in made:
            tw.create_database(DatabaseName=db)
            made.add(db)
        tw.create_table(DatabaseName=db, TableName=table, MagneticStoreWriteProperties={"EnableMagneticStoreWrites": True},
                        RetentionProperties={"MemoryStoreRetentionPeriodInHours": 8766,
                                             "MagneticStoreRetentionPeriodInDays": 73000})
        for i in range(0, len(recs), 100):
            tw.write_records(DatabaseName=db, TableName=table, Records=recs[i:i + 100])


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tree(root):
    """{relative path: sha256} of every data file and manifest (not _audit/)."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            rel = os.path.relpath(p, root)
            if "/_audit/" in "/" + rel:
                continue
            if f.startswith(".tmp-"):
                continue  # a temp file left by kill -9: never listed, never taken for a whole file
            out[rel] = sha256_file(p)
    return out


def manifest_stable(path):
    """A manifest without the fields that differ between runs (documented in docs/export.md)."""
    with open(path) as f:
        m = json.load(f)
    for k in ("export_id", "started_at", "finished_at"):
        m.pop(k)
    return m


def duckdb_rows(path, reader="duckdb"):
    r = subprocess.run(["node", os.path.join(REPO_ROOT, "tests", "oracles", "read.mjs"), reader, path],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError("duckdb cannot read %s: %s" % (path, r.stderr))
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    return [x for x in lines if "#summary" not in x], [x for x in lines if "#summary" in x][0]["#summary"]


class ExportE2E(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tsa-export-")
        cls.data, cls.writes = build_dataset()
        cls.emu_cm = emulator("timestream", "--retention", "ignore")
        cls.emu = cls.emu_cm.__enter__()
        load(cls.emu.url, cls.writes)

    @classmethod
    def tearDownClass(cls):
        cls.emu_cm.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def env(self, url=None, **extra):
        e = {"AWS_ENDPOINT_URL_TIMESTREAM_QUERY": url or self.emu.url,
             "AWS_ENDPOINT_URL_TIMESTREAM_WRITE": url or self.emu.url,
             "AWS_ENDPOINT_URL": None, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
             "AWS_REGION": "us-east-1", "AWS_PROFILE": None, "AWS_SESSION_TOKEN": None,
             "PROJECT_NAME": "proj", "ENVIRONMENT": "dev"}
        e.update(extra)
        return e

    def export(self, root, *more, env=None, expect=0):
        rc, out, err = run_tsarchive(["export", "--from", "timestream://us-east-1", "--to", root,
                                      "--max-rows-per-query", MAX_ROWS, "--json"] + list(more),
                                     env=env or self.env(), timeout=600)
        if rc != expect:
            self.fail("export rc=%d (want %d)\nstdout: %s\nstderr: %s" % (rc, expect, out, err))
        return json.loads(out.strip().splitlines()[-1]), err

    def count(self, db, table, url=None):
        _, tq = ts_clients(url or self.emu.url)
        r = tq.query(QueryString='SELECT count(*) FROM "%s"."%s"' % (db, table))
        while not r["Rows"] and r.get("NextToken"):
            r = tq.query(QueryString='SELECT count(*) FROM "%s"."%s"' % (db, table), NextToken=r["NextToken"])
        return int(r["Rows"][0]["Data"][0]["ScalarValue"])

    def check_archive(self, base):
        """Manifests against the emulator and the dataset; files by SHA-256 and DuckDB."""
        arc = os.path.join(base, "timestream-archive")
        self.assertEqual(sorted(x for x in os.listdir(arc) if x != "_audit"),
                         ["proj_dev_events", "proj_dev_metrics"])
        for db in ("proj_dev_metrics", "proj_dev_events"):
            self.assertFalse(os.path.exists(os.path.join(arc, db, ".export_state.json")))
            with open(os.path.join(arc, db, "export_metadata.json")) as f:
                m = json.load(f)
            self.assertEqual(m["format_version"], 1)
            self.assertEqual(m["source"]["kind"], "timestream")
            total = 0
            for t in m["tables"]:
                want = self.data[(db, t["name"])]
                self.assertEqual(t["record_count"], self.count(db, t["name"]))
                self.assertEqual(t["record_count"], len(want))
                self.assertEqual(t["time_ns"], t["name"] == "cpu", t["name"])
                cols = [c["name"] for c in t["columns"]]
                self.assertEqual(cols[0], "time")
                got_rows = []
                for fe in t["files"]:
                    p = os.path.join(arc, db, fe["path"])
                    self.assertEqual(os.path.getsize(p), fe["size"])
                    self.assertEqual(sha256_file(p), fe["sha256"], p)
                    rows, summary = duckdb_rows(p)
                    self.assertEqual(len(rows), fe["record_count"])
                    self.assertEqual(summary["types"][0], "TIMESTAMP(MICROS,UTC)")
                    self.assertEqual(summary["columns"][:len(cols)], cols)
                    got_rows += rows
                total += t["record_count"]
                self.compare_rows(db, t["name"], want, got_rows, cols)
            self.assertEqual(m["totals"]["records"], total)

    def compare_rows(self, db, table, want, got, cols):
        def key_ns(r):
            return int(r["time_ns"]) if "time_ns" in r else None
        self.assertEqual(len(got), len(want), "%s.%s" % (db, table))
        norm = []
        for r in got:
            ns = int(r["time_ns"]) if "time_ns" in cols else iso_ns(r["time"])
            # time is floor(ns / 1000) microseconds
            self.assertEqual(iso_ns(r["time"]), ns // 1000 * 1000)
            o = {"time_ns": ns}
            for c in cols:
                if c in ("time", "time_ns"):
                    continue
                v = r[c]
                if c == "seen" and v is not None:
                    v = iso_ns(v)
                elif isinstance(v, str) and c in ("count", "measure_value::bigint"):
                    v = int(v)
                o[c] = v
            norm.append(o)
        want_n = [{k: v for k, v in w.items()} for w in want]

        def sk(r):
            return (r["time_ns"], r.get("measure_name") or "", json.dumps(r, sort_keys=True, default=str))
        got_s, want_s = sorted(norm, key=sk), sorted(want_n, key=sk)
        for g, w in zip(got_s, want_s):
            self.assertEqual(g, w, "%s.%s" % (db, table))
        # the file order is the export's total order: time first
        times = [r["time_ns"] for r in norm]
        self.assertEqual(times, sorted(times))

    # ------------------------------------------------------------------ tests

    def test_local_export_rerun_and_audit(self):
        root = os.path.join(self.tmp, "local")
        j, _ = self.export(root, "--jobs", 2)
        self.assertTrue(j["ok"])
        self.assertEqual(j["databases"], 2)  # other_db is outside proj_dev_
        self.assertEqual(j["rows"], sum(len(v) for v in self.data.values()))
        self.check_archive(root)
        before = tree(root)
        m1 = manifest_stable(os.path.join(root, "timestream-archive", "proj_dev_metrics", "export_metadata.json"))
        j2, _ = self.export(root)
        self.assertEqual(j2["files_written"], 0)
        self.assertEqual(j2["rows"], 0)
        self.assertEqual(j2["files_unchanged"], j["files_written"])
        after = tree(root)
        for k in before:
            if not k.endswith("export_metadata.json"):
                self.assertEqual(before[k], after[k], k)
        self.assertEqual(manifest_stable(os.path.join(root, "timestream-archive", "proj_dev_metrics",
                                                      "export_metadata.json")), m1)
        # a damaged file is redone on the next run
        victim = sorted(k for k in before if k.endswith(".parquet"))[0]
        with open(os.path.join(root, victim), "r+b") as f:
            f.seek(10)
            f.write(b"\xff\xff")
        j3, _ = self.export(root)
        self.assertEqual(j3["files_written"], 1)
        self.assertEqual(tree(root)[victim], before[victim])
        # two runs' audit logs, one chain, no secrets
        audit = os.path.join(root, "timestream-archive", "_audit")
        logs = sorted(os.listdir(audit))
        self.assertEqual(len(logs), 3)
        text = ""
        for x in logs:
            with open(os.path.join(audit, x)) as f:
                text += f.read()
        self.assertNotIn("AWS_SECRET_ACCESS_KEY=", text)
        entries = [json.loads(x) for x in text.splitlines()]
        self.assertEqual(sorted(e["seq"] for e in entries), list(range(len(entries))))
        self.assertTrue(any(e["event"] == "write" for e in entries))

    def test_time_unit_ns_and_ms(self):
        root = os.path.join(self.tmp, "ns")
        j, _ = self.export(root, "--time-unit", "ns", "--database", "proj_dev_metrics")
        self.assertTrue(j["ok"])
        p = os.path.join(root, "timestream-archive", "proj_dev_metrics", "cpu", "year=2024", "month=02",
                         "cpu_20240201_20240229.parquet")
        # DuckDB reads NANOS as MICROS (and says so); hyparquet keeps the unit
        rows, summary = duckdb_rows(p, "hyparquet")
        self.assertEqual(summary["types"][0], "TIMESTAMP(NANOS,UTC)")
        feb = sorted(w["time_ns"] for w in self.data[("proj_dev_metrics", "cpu")]
                     if epoch_ns(2024, 2, 1) <= w["time_ns"] < epoch_ns(2024, 3, 1))
        self.assertEqual(sorted(iso_ns(r["time"]) for r in rows), feb)  # exact ns
        self.assertNotIn("time_ns", summary["columns"])
        j, err = self.export(os.path.join(self.tmp, "ms"), "--time-unit", "ms", "--database",
                             "proj_dev_metrics", expect=6)
        self.assertIn("proj_dev_metrics.cpu", err)
        self.assertIn("finer than milliseconds", err)

    def test_s3_moto_and_s3rver(self):
        with moto_server() as moto:
            s3 = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
            s3.create_bucket(Bucket="proj-dev-timestream-archive")
            # the seed guide's wrapper: the root and the databases come from PROJECT_NAME and
            # ENVIRONMENT, the region from AWS_REGION
            r = subprocess.run(["bash", os.path.join(REPO_ROOT, "scripts", "run_timestream_export.sh"),
                                "--json", "--max-rows-per-query", str(MAX_ROWS), "--jobs", "3"],
                               env=_clean_env(self.env(AWS_ENDPOINT_URL_S3=moto.url, TSARCHIVE_BIN=tsarchive_bin())),
                               capture_output=True, text=True, timeout=600)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["root"], "s3://proj-dev-timestream-archive")
            self.check_s3(s3, "proj-dev-timestream-archive")
        # s3rver takes only its own key pair: the emulator gets the same one
        s3k = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER"}
        with s3rver(buckets=["arc"]) as srv, emulator("timestream", "--retention", "ignore", env=s3k) as emu2:
            load(emu2.url, self.writes, ("S3RVER", "S3RVER"))
            s3 = boto3.client("s3", endpoint_url=srv.url, region_name="us-east-1",
                              aws_access_key_id="S3RVER", aws_secret_access_key="S3RVER")
            rc, out, err = run_tsarchive(["export", "--from", "timestream://us-east-1", "--to", "s3://arc/pre",
                                          "--json", "--max-rows-per-query", MAX_ROWS],
                                         env=self.env(emu2.url, AWS_ENDPOINT_URL_S3=srv.url, **s3k),
                                         timeout=600)
            self.assertEqual(rc, 0, err)
            self.check_s3(s3, "arc", "pre/")

    def check_s3(self, s3, bucket, prefix=""):
        local = os.path.join(self.tmp, "s3copy-" + bucket)
        shutil.rmtree(local, ignore_errors=True)
        pag = s3.get_paginator("list_objects_v2")
        n = 0
        for page in pag.paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                dst = os.path.join(local, o["Key"][len(prefix):])
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                s3.download_file(bucket, o["Key"], dst)
                n += 1
        self.assertGreater(n, 5)
        self.check_archive(local)

    def test_kill_and_resume_byte_identical(self):
        # a slow emulator (latency per call) so the kill lands mid-export
        with emulator("timestream", "--retention", "ignore", "--faults", "latency_ms=40,seed=3") as slow:
            load(slow.url, self.writes)
            clean = os.path.join(self.tmp, "clean")
            self.export(clean, env=self.env(slow.url))
            root = os.path.join(self.tmp, "killed")
            cmd = [tsarchive_bin(), "export", "--from", "timestream://us-east-1", "--to", root,
                   "--max-rows-per-query", str(MAX_ROWS)]
            p = subprocess.Popen(cmd, env=_clean_env(self.env(slow.url)), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            deadline = time.time() + 120
            while time.time() < deadline:
                got = [f for f in tree(root) if f.endswith(".parquet")] if os.path.isdir(root) else []
                if len(got) >= 2:
                    break
                time.sleep(0.02)
            p.send_signal(signal.SIGKILL)
            p.wait()
            partial = tree(root)
            self.assertFalse(any(k.endswith("export_metadata.json") and "metrics" in k for k in partial)
                             and len([k for k in partial if k.endswith(".parquet")]) == len(
                                 [k for k in tree(clean) if k.endswith(".parquet")]),
                             "the kill came too late to test resuming")
            j, _ = self.export(root, env=self.env(slow.url))
            self.assertGreater(j["files_unchanged"], 0)
            a, b = tree(clean), tree(root)
            self.assertEqual(sorted(a), sorted(b))
            for k in a:
                if k.endswith("export_metadata.json"):
                    self.assertEqual(manifest_stable(os.path.join(clean, k)), manifest_stable(os.path.join(root, k)))
                else:
                    self.assertEqual(a[k], b[k], k)

    def test_faults_give_the_exact_archive(self):
        clean = os.path.join(self.tmp, "ref")
        self.export(clean)
        with emulator("timestream", "--retention", "ignore", "--faults",
                      "throttle=0.1,5xx=0.05,empty_pages=0.3,seed=1") as bad:
            load_retry(bad.url, self.writes)
            root = os.path.join(self.tmp, "faulty")
            # and with 3 jobs against the reference's 1: the same bytes
            self.export(root, "--jobs", 3,
                        env=self.env(bad.url, TSARCHIVE_RETRY_BASE_MS="5", TSARCHIVE_RETRY_CAP_MS="50"))
            a, b = tree(clean), tree(root)
            self.assertEqual(sorted(a), sorted(b))
            for k in a:
                if k.endswith("export_metadata.json"):
                    ma, mb = manifest_stable(os.path.join(clean, k)), manifest_stable(os.path.join(root, k))
                    ma["source"].pop("endpoint")
                    mb["source"].pop("endpoint")
                    self.assertEqual(ma, mb)
                else:
                    self.assertEqual(a[k], b[k], k)

    def test_count_mismatch_names_table_and_month(self):
        with emulator("timestream", "--retention", "ignore") as emu:
            load(emu.url, self.writes)
            root = os.path.join(self.tmp, "mismatch")
            hold = os.path.join(self.tmp, "hold")
            open(hold, "w").close()
            cmd = [tsarchive_bin(), "export", "--from", "timestream://us-east-1", "--to", root,
                   "--database", "proj_dev_metrics"]
            p = subprocess.Popen(cmd, env=_clean_env(self.env(emu.url, TSARCHIVE_TEST_HOLD_AFTER_PLAN=hold)),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.time() + 60
            while not os.path.exists(hold + ".planned") and time.time() < deadline:
                time.sleep(0.02)
            self.assertTrue(os.path.exists(hold + ".planned"))
            tw, _ = ts_clients(emu.url)
            tw.write_records(DatabaseName="proj_dev_metrics", TableName="temp", Records=[
                {"Dimensions": [{"Name": "sensor", "Value": "late"}], "MeasureName": "temp",
                 "MeasureValue": "1.0", "MeasureValueType": "DOUBLE",
                 "Time": str(epoch_ns(2024, 7, 2, 3) // 1000), "TimeUnit": "MICROSECONDS"}])
            os.unlink(hold)
            out, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 3, err)
            self.assertIn("proj_dev_metrics.temp month 2024-07", err)
            self.assertIn("counted", err)
            arc = os.path.join(root, "timestream-archive", "proj_dev_metrics")
            self.assertFalse(os.path.exists(os.path.join(arc, "export_metadata.json")))
            self.assertFalse(os.path.exists(os.path.join(arc, "temp", "year=2024", "month=07",
                                                         "temp_20240701_20240731.parquet")))
            # the other table's files are committed and the next run completes
            j, _ = self.export(root, "--database", "proj_dev_metrics", env=self.env(emu.url))
            self.assertTrue(j["ok"])


def load_retry(url, writes):
    for attempt in range(50):
        try:
            return load(url, writes)
        except Exception:  # the faulty emulator throttles setup too; start over on a fresh one
            raise


def iso_ns(s):
    # "2024-01-01T00:00:00.123456789Z"
    import calendar
    date, frac = s[:19], s[20:29] if len(s) > 20 else "0"
    secs = calendar.timegm(time.strptime(date, "%Y-%m-%dT%H:%M:%S"))
    return secs * NS + int(frac.ljust(9, "0"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
