"""export --from FILE: line protocol, CSV and Parquet files into archive format 1 — one file
per table-month whatever the input order, time_ns only for tables with sub-microsecond times,
rows equal to converting the file directly, verify passes, bad lines fail with no manifest."""
import json
import os
import random
import shutil
import subprocess
import tempfile
import sys
import unittest

SRC = os.environ.get("TSARCHIVE_SRC", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
BIN = os.environ.get("TSARCHIVE_BIN", os.path.join(SRC, "build", "tsarchive"))


def run(*args, env=None, check=True):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=300, env=env)
    if check and p.returncode != 0:
        raise AssertionError("tsarchive %s exited %d\nstdout: %s\nstderr: %s"
                             % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


def cat_rows(path):
    out = run("cat", path).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def canon(rows):
    return sorted(json.dumps(r, sort_keys=True) for r in rows)


class ExportFile(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="export-file-")
        self.spill = os.path.join(self.tmp, "spilltmp")
        os.mkdir(self.spill)
        self.env = dict(os.environ, TMPDIR=self.spill)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def export(self, src, db, check=True):
        root = os.path.join(self.tmp, "root-" + db)
        p = run("export", "--from", src, "--database", db, "--to", root, env=self.env, check=check)
        self.assertEqual(os.listdir(self.spill), [], "spill temp files left behind")
        return root, p

    def manifest(self, root, db):
        with open(os.path.join(root, "timestream-archive", db, "export_metadata.json")) as f:
            return json.load(f)

    def files(self, root, db, table):
        base = os.path.join(root, "timestream-archive", db)
        m = self.manifest(root, db)
        t = [t for t in m["tables"] if t["name"] == table][0]
        return t, [os.path.join(base, f["path"]) for f in t["files"]]

    def verify(self, root):
        p = run("verify", root, check=False)
        self.assertEqual(p.returncode, 0, "verify failed:\n" + p.stdout + p.stderr)

    def test_energy_lp_equals_direct_convert(self):
        lp = os.path.join(SRC, "samples", "energy.lp")
        root, _ = self.export(lp, "demo")
        m = self.manifest(root, "demo")
        self.assertEqual(m["source"]["kind"], "file")
        t, paths = self.files(root, "demo", "generation")
        self.assertEqual(len(paths), 3, paths)
        self.assertEqual(t["record_count"], 4320)
        rows = []
        for p in paths:
            self.assertTrue(os.path.basename(p).startswith("generation_2024"), p)
            rows += cat_rows(p)
        direct = os.path.join(self.tmp, "direct.parquet")
        run("convert", lp, direct)
        want = cat_rows(direct)
        self.assertEqual(len(rows), 4320)
        self.assertEqual(canon(rows), canon(want))
        self.assertNotIn("time_ns", rows[0])
        self.verify(root)
        audit_dir = os.path.join(root, "timestream-archive", "_audit")
        logs = [n for n in os.listdir(audit_dir) if "_export_" in n]
        self.assertEqual(len(logs), 1, logs)
        with open(os.path.join(audit_dir, logs[0])) as f:
            events = [json.loads(line)["event"] for line in f]
        self.assertEqual(events, ["start", "read", "write", "write", "write", "write-manifest", "end"])

    def test_shuffled_lp_several_measurements_sub_us(self):
        rnd = random.Random(7)
        lines, want, beta_ns = [], {}, []
        base = {1: 1704067200, 2: 1706745600, 3: 1709251200, 4: 1711929600}  # 2024-01..04 UTC
        for meas, sub_us in (("alpha", False), ("beta", True), ("gamma", False)):
            for month in (1, 2, 3):
                n = 50 + month * 10 + len(meas)
                for i in range(n):
                    ns = (base[month] + i * 3600) * 10**9 + (i * 1000)
                    if sub_us:
                        ns += 1 + i % 999
                        beta_ns.append(ns)
                    lines.append("%s,site=s%d v=%d.5,n=%di %d" % (meas, i % 3, i, i, ns))
                want[(meas, month)] = n
        rnd.shuffle(lines)
        src = os.path.join(self.tmp, "shuffled.lp")
        with open(src, "w") as f:
            f.write("\n".join(lines) + "\n")
        root, _ = self.export(src, "mix")
        m = self.manifest(root, "mix")
        for tab in m["tables"]:
            self.assertEqual(tab["time_ns"], tab["name"] == "beta", tab["name"])
            self.assertEqual(len(tab["files"]), 3, tab["files"])
            for f in tab["files"]:
                month = int(f["path"].split("month=")[1][:2])
                self.assertEqual(f["record_count"], want[(tab["name"], month)], f)
        _, paths = self.files(root, "mix", "beta")
        rows = cat_rows(paths[0])
        self.assertEqual(list(rows[0].keys())[:3], ["time", "time_ns", "site"])
        _, apaths = self.files(root, "mix", "alpha")
        self.assertNotIn("time_ns", cat_rows(apaths[0])[0])
        # time_ns holds the exact ns, time its floor in µs
        brows = sum((cat_rows(p) for p in paths), [])
        got = sorted(int(r["time_ns"]) for r in brows)
        self.assertEqual(got, sorted(beta_ns))
        for r in brows:
            frac = r["time"].split(".")[1].rstrip("Z")
            self.assertEqual(int(frac), (int(r["time_ns"]) % 10**9) // 1000 * 1000, r)
        self.verify(root)

    def test_many_months_keep_source_order_gz(self):
        """30 months interleaved line by line: more partitions than spill writers kept open,
        so months are spilled in several parts; rows keep the input's order within a month."""
        import gzip
        rnd = random.Random(11)
        lines = []
        for seq in range(3000):
            y, mo = 2020 + (seq % 30) // 12, 1 + (seq % 30) % 12
            import calendar
            day = rnd.randint(1, calendar.monthrange(y, mo)[1])
            ns = calendar.timegm((y, mo, day, rnd.randint(0, 23), 0, 0)) * 10**9
            lines.append("ev seq=%di %d" % (seq, ns))
        src = os.path.join(self.tmp, "events.lp.gz")
        with gzip.open(src, "wt") as f:
            f.write("\n".join(lines) + "\n")
        root, _ = self.export(src, "ev")
        t, paths = self.files(root, "ev", "ev")
        self.assertEqual(len(paths), 30)
        self.assertEqual(t["record_count"], 3000)
        for p in paths:
            seqs = [int(r["seq"]) for r in cat_rows(p)]
            self.assertEqual(len(seqs), 100, p)
            self.assertEqual(seqs, sorted(seqs), p)
        self.verify(root)

    def test_csv_and_parquet_inputs(self):
        csv = os.path.join(self.tmp, "energy.csv")
        subprocess.run(["python3", os.path.join(SRC, "scripts", "gen_energy.py"), "--format", "csv",
                        "--rows", "2000", "--out", csv], check=True, timeout=60)
        with open(csv) as f:
            ncsv = sum(1 for _ in f) - 1
        root, _ = self.export(csv, "csvdb")
        m = self.manifest(root, "csvdb")
        self.assertEqual(sum(t["record_count"] for t in m["tables"]), ncsv)
        self.verify(root)

        pq = os.path.join(self.tmp, "energy.parquet")
        run("convert", os.path.join(SRC, "samples", "energy.lp"), pq)
        root, _ = self.export(pq, "pqdb")
        m = self.manifest(root, "pqdb")
        self.assertEqual(sum(t["record_count"] for t in m["tables"]), 4320)
        self.assertEqual(sum(len(t["files"]) for t in m["tables"]), 3)
        self.verify(root)

    def test_s3_root_moto(self):
        import boto3
        from servers import moto_server, run_tsarchive
        with moto_server() as moto:
            s3 = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
            s3.create_bucket(Bucket="fx-archive")
            env = moto.env(TMPDIR=self.spill)
            rc, out, err = run_tsarchive(["export", "--from", os.path.join(SRC, "samples", "energy.lp"),
                                          "--database", "demo", "--to", "s3://fx-archive/pre"], env=env)
            self.assertEqual(rc, 0, out + err)
            keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="fx-archive")["Contents"])
            data = [k for k in keys if k.endswith(".parquet")]
            self.assertEqual(data, ["pre/timestream-archive/demo/generation/year=2024/month=%02d/"
                                    "generation_2024%02d01_2024%02d%02d.parquet" % (m, m, m, d)
                                    for m, d in ((1, 31), (2, 29), (3, 31))])
            self.assertIn("pre/timestream-archive/demo/export_metadata.json", keys)
            rc, out, err = run_tsarchive(["verify", "s3://fx-archive/pre"], env=env)
            self.assertEqual(rc, 0, out + err)
            self.assertEqual(os.listdir(self.spill), [])

    def test_precision_seconds(self):
        src = os.path.join(self.tmp, "secs.lp")
        with open(src, "w") as f:
            f.write("m,t=a v=1 1704067200\nm,t=a v=2 1706745600\n")
        root = os.path.join(self.tmp, "root-secs")
        run("export", "--from", src, "--database", "secs", "--to", root, "--precision", "s", env=self.env)
        _, paths = self.files(root, "secs", "m")
        self.assertEqual([os.path.basename(p) for p in paths],
                         ["m_20240101_20240131.parquet", "m_20240201_20240229.parquet"])

    def test_malformed_line_named_no_manifest(self):
        src = os.path.join(self.tmp, "bad.lp")
        with open(src, "w") as f:
            f.write("m,t=a v=1 1704067200000000000\n" * 3)
            f.write("m,t=a v= 1704067200000000000\n")
            f.write("m,t=a v=2 1704067300000000000\n")
        root, p = self.export(src, "bad", check=False)
        self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("bad.lp:4:", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(root, "timestream-archive", "bad",
                                                     "export_metadata.json")))


if __name__ == "__main__":
    unittest.main()
