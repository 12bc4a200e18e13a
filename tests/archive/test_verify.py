"""tsarchive verify on a real archive (exported from the Timestream emulator loaded with
samples/energy.lp), damaged in every way a user could meet: a flipped byte swept over header,
pages and footer (with and without the manifest's hash fixed up), truncation, a missing file, an
extra file, edited counts, swapped files, unsafe manifest paths, a broken or missing manifest.
Each is detected with the right kind and exit code 3; an intact archive passes with 0; "could not
check" (no directory, no archive, unreachable S3) is 4. A subset runs again on moto S3."""
import hashlib
import json
import os
import shutil
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TSARCHIVE_SRC", "."), "tests", "lib"))
from servers import emulator, moto_server, run_tsarchive, REPO_ROOT  # noqa: E402

import boto3  # noqa: E402

DB, TABLE = "energy", "generation"
JAN = "generation/year=2024/month=01/generation_20240101_20240131.parquet"
FEB = "generation/year=2024/month=02/generation_20240201_20240229.parquet"


def sha256(b):
    return hashlib.sha256(b).hexdigest()


class VerifyBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tsa-verify-")
        cls.emu_cm = emulator("timestream", "--retention", "ignore", "--load",
                              "%s.%s=%s" % (DB, TABLE, os.path.join(REPO_ROOT, "samples", "energy.lp")))
        cls.emu = cls.emu_cm.__enter__()
        cls.base = os.path.join(cls.tmp, "base")
        rc, out, err = run_tsarchive(["export", "--from", "timestream://us-east-1", "--to", cls.base],
                                     env=cls.ts_env(), timeout=300)
        if rc != 0:
            raise AssertionError("export failed rc=%d\n%s\n%s" % (rc, out, err))
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls.emu_cm.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def ts_env(cls, **extra):
        e = {"AWS_ENDPOINT_URL_TIMESTREAM_QUERY": cls.emu.url,
             "AWS_ENDPOINT_URL_TIMESTREAM_WRITE": cls.emu.url, "AWS_ENDPOINT_URL": None,
             "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
             "AWS_REGION": "us-east-1", "AWS_PROFILE": None, "AWS_SESSION_TOKEN": None,
             "PROJECT_NAME": None, "ENVIRONMENT": None}
        e.update(extra)
        return e

    # -- helpers
    def copy(self):
        type(self).n += 1
        d = os.path.join(self.tmp, "c%d" % self.n)
        shutil.copytree(self.base, d, ignore=shutil.ignore_patterns("_audit"))
        return d

    def dbdir(self, root):
        return os.path.join(root, "timestream-archive", DB)

    def path(self, root, rel):
        return os.path.join(self.dbdir(root), rel)

    def manifest(self, root):
        with open(os.path.join(self.dbdir(root), "export_metadata.json")) as f:
            return json.load(f)

    def put_manifest(self, root, m):
        with open(os.path.join(self.dbdir(root), "export_metadata.json"), "w") as f:
            json.dump(m, f, indent=2)

    def fix_hash(self, root, rel):
        """Make the manifest agree with the file's current bytes (size + SHA-256)."""
        with open(self.path(root, rel), "rb") as f:
            b = f.read()
        m = self.manifest(root)
        for fe in m["tables"][0]["files"]:
            if fe["path"] == rel:
                old = fe["size"]
                fe["size"], fe["sha256"] = len(b), sha256(b)
                m["totals"]["bytes"] += len(b) - old
        self.put_manifest(root, m)

    def verify(self, root, *more, env=None):
        rc, out, err = run_tsarchive(["verify", root, "--json"] + list(more), env=env, timeout=300)
        try:
            rep = json.loads(out.strip().splitlines()[-1])
        except Exception:
            self.fail("verify printed no JSON (rc=%d)\nstdout: %s\nstderr: %s" % (rc, out, err))
        self.assertEqual(rep["exit_code"], rc, rep)
        return rc, rep, err

    def kinds(self, rep, warnings=False):
        return sorted({f["kind"] for f in rep["findings"]
                       if warnings or f["severity"] == "error"})

    def assertDamaged(self, rep_rc, kinds, file=None):
        rc, rep, err = rep_rc
        got = self.kinds(rep)
        self.assertEqual(rc, 3, "want exit 3, got %d: %s\n%s" % (rc, json.dumps(rep["findings"], indent=1), err))
        for k in kinds:
            self.assertIn(k, got, "want a %s finding, got %s" % (k, json.dumps(rep["findings"], indent=1)))
        if file:
            for f in rep["findings"]:
                if f["kind"] in kinds and f.get("file"):
                    self.assertTrue(f["file"].endswith(file), f)
                    self.assertIn(file.rsplit("/", 1)[-1], f["message"])
        return rep


class VerifyLocal(VerifyBase):
    def test_intact_passes(self):
        for mode in ([], ["--quick"], ["--jobs", "1"], ["--jobs", "4"], ["--database", DB]):
            rc, rep, err = self.verify(self.base, *mode)
            self.assertEqual(rc, 0, (mode, rep, err))
            self.assertEqual(rep["findings"], [])
            self.assertEqual(rep["files_checked"], 3)
            self.assertEqual(rep["tables"][0]["records"], 4320)
            self.assertEqual(rep["tables"][0]["files_ok"], 3)
            if "--quick" not in mode:
                self.assertEqual(rep["rows_decoded"], 4320)
        # plain text: a summary line and exit 0
        rc, out, err = run_tsarchive(["verify", self.base])
        self.assertEqual(rc, 0, out + err)
        self.assertIn("archive verified", out)
        self.assertIn("energy.generation: 3/3 files ok, 4320 records", out)

    def test_audit_entry_written(self):
        root = self.copy()
        rc, rep, _ = self.verify(root)
        self.assertEqual(rc, 0)
        audit = os.path.join(root, "timestream-archive", "_audit")
        logs = [x for x in os.listdir(audit) if "_verify_" in x]
        self.assertEqual(len(logs), 1, logs)
        self.assertEqual(rep["audit_log"], logs[0])
        with open(os.path.join(audit, logs[0])) as f:
            entries = [json.loads(x) for x in f]
        self.assertEqual([e["event"] for e in entries], ["start", "end"])
        self.assertEqual(entries[1]["outcome"], "ok")
        self.assertEqual(entries[1]["files_checked"], 3)
        # the chain spans runs: a damaged run is logged too, and the audit checker (if built) agrees
        os.remove(self.path(root, JAN))
        rc, rep, _ = self.verify(root)
        self.assertEqual(rc, 3)
        logs = sorted(x for x in os.listdir(audit) if "_verify_" in x)
        self.assertEqual(len(logs), 2)
        with open(os.path.join(audit, rep["audit_log"])) as f:
            end = [json.loads(x) for x in f][-1]
        self.assertEqual(end["outcome"], "damaged")
        self.assertEqual(end["findings"], {"missing_file": 1})
        # the verify runs continue the export's chain: the audit checker accepts it
        rc, out, err = run_tsarchive(["audit", "verify", root])
        self.assertEqual(rc, 0, out + err)
        self.assertIn("audit log intact", out)

    def test_flipped_byte_sweep(self):
        """30 positions over header, pages and footer of one file: every flip is caught by the
        checksum; with the manifest's size+hash fixed up to the damaged bytes, the decoder
        (CRC, structure, counts, times, schema) still catches every flip inside the pages."""
        with open(self.path(self.base, JAN), "rb") as f:
            orig = f.read()
        size = len(orig)
        flen = struct.unpack("<I", orig[-8:-4])[0]
        foot = size - 8 - flen
        positions = sorted(set([0, 1, 3, 4, 5, 8, 16, 64, 200]
                               + [4 + (foot - 4) * k // 12 for k in range(1, 12)]
                               + [foot + 1, foot + flen // 4, foot + flen // 2, foot + flen - 2,
                                  size - 8, size - 6, size - 4, size - 3, size - 1]))
        self.assertGreaterEqual(len(positions), 28)
        root = self.copy()
        p = self.path(root, JAN)
        undetected_footer = []
        for pos in positions:
            b = bytearray(orig)
            b[pos] ^= 0x5A
            with open(p, "wb") as f:
                f.write(b)
            self.assertDamaged(self.verify(root, "--jobs", "1"), ["checksum_mismatch"], JAN)
            # quick mode: checksum only
            rc, rep, _ = self.verify(root, "--quick")
            self.assertEqual((rc, self.kinds(rep)), (3, ["checksum_mismatch"]), pos)
            # hash fixed: the decoder must find it
            saved = self.manifest(root)
            self.fix_hash(root, JAN)
            rc, rep, err = self.verify(root)
            deep = set(self.kinds(rep)) - {"checksum_mismatch"}
            if pos < foot and pos >= 4:
                self.assertEqual(rc, 3, "flip at %d of %d (pages end at %d) not detected by decode: %s"
                                 % (pos, size, foot, rep["findings"]))
                self.assertTrue(deep & {"decode_error", "count_mismatch", "time_mismatch",
                                        "schema_mismatch", "partition_mismatch",
                                        "statistics_mismatch"}, (pos, rep))
            elif pos < 4 or pos >= size - 4:
                self.assertEqual(rc, 3, (pos, rep))
                self.assertIn("decode_error", deep, (pos, rep))
            elif rc == 0:
                undetected_footer.append(pos)  # e.g. a statistics or created_by byte
            else:
                self.assertEqual(rc, 3, (pos, rep, err))
            # decode errors name the file and, where they can, row group, column and page
            for f in rep["findings"]:
                if f["kind"] == "decode_error" and "page" in f:
                    self.assertIn("row_group", f)
                    self.assertIn("column", f)
                    self.assertIn("page %d" % f["page"], f["message"])
            self.put_manifest(root, saved)
        print("flip sweep: %d positions, %d in the footer undetected once the hash was fixed: %s"
              % (len(positions), len(undetected_footer), undetected_footer), file=sys.stderr)
        self.assertLessEqual(len(undetected_footer), 3)

    def test_truncated(self):
        root = self.copy()
        p = self.path(root, JAN)
        size = os.path.getsize(p)
        os.truncate(p, size // 2)
        rep = self.assertDamaged(self.verify(root), ["size_mismatch", "checksum_mismatch",
                                                    "decode_error"], JAN)
        msg = [f["message"] for f in rep["findings"] if f["kind"] == "size_mismatch"][0]
        self.assertIn("%d bytes, the manifest lists %d (truncated)" % (size // 2, size), msg)
        # the other files are still checked
        self.assertEqual(rep["files_checked"], 3)
        self.assertEqual(rep["tables"][0]["files_ok"], 2)

    def test_missing_file(self):
        root = self.copy()
        os.remove(self.path(root, FEB))
        rep = self.assertDamaged(self.verify(root), ["missing_file"], FEB)
        self.assertEqual(self.kinds(rep), ["missing_file"])
        self.assertIn("not in the archive", rep["findings"][0]["message"])

    def test_extra_file(self):
        root = self.copy()
        extra = "generation/year=2024/month=04/generation_20240401_20240430.parquet"
        os.makedirs(os.path.dirname(self.path(root, extra)))
        shutil.copy(self.path(root, JAN), self.path(root, extra))
        rep = self.assertDamaged(self.verify(root), ["unlisted_file"], extra)
        self.assertEqual(self.kinds(rep), ["unlisted_file"])
        # a non-Parquet object and a temp file are warnings, not damage
        os.remove(self.path(root, extra))
        with open(self.path(root, "generation/.tmp-123"), "wb") as f:
            f.write(b"x" * 10)
        with open(self.path(root, "README.txt"), "w") as f:
            f.write("notes")
        rc, rep, _ = self.verify(root)
        self.assertEqual(rc, 0, rep)
        self.assertEqual(self.kinds(rep, warnings=True), ["leftover_temp", "unlisted_file"])

    def test_edited_counts(self):
        root = self.copy()
        m = self.manifest(root)
        m["tables"][0]["files"][0]["record_count"] += 1  # a file's count
        self.put_manifest(root, m)
        rep = self.assertDamaged(self.verify(root), ["count_mismatch", "totals_mismatch"])
        cm = [f for f in rep["findings"] if f["kind"] == "count_mismatch"][0]
        self.assertTrue(cm["file"].endswith(JAN), cm)
        self.assertIn("decoded 1488 rows; the manifest lists 1489", cm["message"])
        # counts edited consistently (file, table and totals): still caught by decoding
        m["tables"][0]["record_count"] += 1
        m["totals"]["records"] += 1
        self.put_manifest(root, m)
        rep = self.assertDamaged(self.verify(root), ["count_mismatch"])
        self.assertEqual(self.kinds(rep), ["count_mismatch"])
        # --quick cannot see it (no decode) — documented; the totals still add up
        rc, rep, _ = self.verify(root, "--quick")
        self.assertEqual(rc, 0, rep)
        # only the table total edited
        m = self.manifest(self.base)
        m["tables"][0]["record_count"] -= 5
        self.put_manifest(root, m)
        rep = self.assertDamaged(self.verify(root), ["totals_mismatch"])
        self.assertIn("record_count 4315 differs from the sum of its files' record counts 4320",
                      rep["findings"][0]["message"])

    def test_swapped_files(self):
        root = self.copy()
        a, b = self.path(root, JAN), self.path(root, FEB)
        os.rename(a, a + ".x")
        os.rename(b, a)
        os.rename(a + ".x", b)
        self.assertDamaged(self.verify(root), ["checksum_mismatch", "size_mismatch"])
        # with both hashes fixed up, the rows give it away: counts, times, months
        self.fix_hash(root, JAN)
        self.fix_hash(root, FEB)
        rep = self.assertDamaged(self.verify(root), ["count_mismatch", "time_mismatch",
                                                    "partition_mismatch"])
        self.assertNotIn("checksum_mismatch", self.kinds(rep))
        pm = [f for f in rep["findings"] if f["kind"] == "partition_mismatch"]
        self.assertEqual(sorted(f["file"].rsplit("/", 1)[-1] for f in pm),
                         sorted([JAN.rsplit("/", 1)[-1], FEB.rsplit("/", 1)[-1]]))

    def test_path_escape(self):
        for bad in ("../x", "generation/../../../etc/passwd", "/etc/passwd", "other/x.parquet"):
            root = self.copy()
            m = self.manifest(root)
            m["tables"][0]["files"][1]["path"] = bad
            self.put_manifest(root, m)
            rep = self.assertDamaged(self.verify(root), ["path_escape"])
            pe = [f for f in rep["findings"] if f["kind"] == "path_escape"][0]
            self.assertIn('"%s"' % bad, pe["message"])
            # the bad entry is not followed; the rest is still checked
            self.assertEqual(rep["files_checked"], 2, bad)
            self.assertIn("unlisted_file", self.kinds(rep))  # FEB is now listed nowhere
            shutil.rmtree(root)

    def test_manifest_broken_or_missing(self):
        root = self.copy()
        mp = os.path.join(self.dbdir(root), "export_metadata.json")
        with open(mp) as f:
            text = f.read()
        with open(mp, "w") as f:
            f.write(text[: len(text) // 2])
        rep = self.assertDamaged(self.verify(root), ["manifest_invalid"])
        self.assertIn("not valid JSON", rep["findings"][0]["message"])
        m = json.loads(text)
        m["format_version"] = 2
        with open(mp, "w") as f:
            json.dump(m, f)
        rep = self.assertDamaged(self.verify(root), ["manifest_invalid"])
        self.assertIn("format_version 2", json.dumps(rep["findings"]))
        m = json.loads(text)
        m["tables"][0]["files"][0]["sha256"] = "xyz"
        with open(mp, "w") as f:
            json.dump(m, f)
        self.assertDamaged(self.verify(root), ["manifest_invalid"])
        os.remove(mp)
        rep = self.assertDamaged(self.verify(root), ["manifest_missing"])
        self.assertEqual(self.kinds(rep), ["manifest_missing", "unlisted_file"])

    def test_schema_metadata_edited(self):
        """The manifest's columns edited (a type, a role): every file disagrees."""
        root = self.copy()
        m = self.manifest(root)
        cols = m["tables"][0]["columns"]
        i = [c["name"] for c in cols].index("generation_mw")
        cols[i]["source_type"] = "BIGINT"
        self.put_manifest(root, m)
        rep = self.assertDamaged(self.verify(root), ["schema_mismatch"])
        self.assertEqual(len([f for f in rep["findings"] if f["kind"] == "schema_mismatch"]), 3)
        self.assertIn("tsarchive.columns", rep["findings"][0]["message"])

    def test_could_not_check(self):
        rc, rep, err = self.verify(os.path.join(self.tmp, "no-such-dir"))
        self.assertEqual(rc, 4, err)
        self.assertIn("no such directory", rep["error"])
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty, exist_ok=True)
        rc, rep, err = self.verify(empty)
        self.assertEqual(rc, 4, err)
        self.assertIn("no archive under", rep["error"])
        self.assertFalse(os.path.exists(os.path.join(empty, "timestream-archive")),
                         "verify must not create an archive where there is none")
        rc, rep, err = self.verify(self.base, "--database", "nope")
        self.assertEqual(rc, 4)
        self.assertIn('no database "nope"', rep["error"])
        # unreachable S3: 4, quickly
        rc, rep, err = self.verify("s3://some-bucket/x", env={
            "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9", "AWS_ENDPOINT_URL": None,
            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
            "TSARCHIVE_MAX_ATTEMPTS": "2", "TSARCHIVE_RETRY_BASE_MS": "10"})
        self.assertEqual(rc, 4, (rep, err))
        # no credentials for S3: 4
        rc, rep, err = self.verify("s3://some-bucket/x", env={
            "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_PROFILE": "none",
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.tmp, "nocreds"),
            "AWS_CONFIG_FILE": os.path.join(self.tmp, "nocfg"), "AWS_REGION": "us-east-1"})
        self.assertEqual(rc, 4, (rep, err))
        # usage
        rc, out, err = run_tsarchive(["verify", self.base, "--deep"])
        self.assertEqual(rc, 2, err)


class VerifyS3(VerifyBase):
    """The same archive exported to moto S3; damage made with boto3."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.moto_cm = moto_server()
        cls.moto = cls.moto_cm.__enter__()
        cls.s3 = boto3.client("s3", endpoint_url=cls.moto.url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
        cls.s3.create_bucket(Bucket="arc-bucket")
        rc, out, err = run_tsarchive(["export", "--from", "timestream://us-east-1", "--to",
                                      "s3://arc-bucket/pre"], env=cls.env(), timeout=300)
        if rc != 0:
            raise AssertionError("export to S3 failed rc=%d\n%s\n%s" % (rc, out, err))

    @classmethod
    def tearDownClass(cls):
        cls.moto_cm.__exit__(None, None, None)
        super().tearDownClass()

    @classmethod
    def env(cls):
        return cls.ts_env(AWS_ENDPOINT_URL_S3=cls.moto.url)

    def key(self, rel):
        return "pre/timestream-archive/%s/%s" % (DB, rel)

    def test_s3(self):
        root = "s3://arc-bucket/pre"
        for mode in ([], ["--quick"], ["--jobs", "3"]):
            rc, rep, err = self.verify(root, *mode, env=self.env())
            self.assertEqual(rc, 0, (mode, rep, err))
            self.assertEqual(rep["files_checked"], 3)
        orig = self.s3.get_object(Bucket="arc-bucket", Key=self.key(JAN))["Body"].read()
        b = bytearray(orig)
        b[len(b) // 3] ^= 1
        self.s3.put_object(Bucket="arc-bucket", Key=self.key(JAN), Body=bytes(b))
        rep = self.assertDamaged(self.verify(root, "--jobs", "2", env=self.env()),
                                 ["checksum_mismatch", "decode_error"], JAN)
        de = [f for f in rep["findings"] if f["kind"] == "decode_error"][0]
        self.assertIn("s3://", json.dumps(rep)) if "/proc/" in de["message"] else None
        self.assertNotIn("/proc/self", de["message"])
        self.s3.put_object(Bucket="arc-bucket", Key=self.key(JAN), Body=orig)
        self.s3.delete_object(Bucket="arc-bucket", Key=self.key(FEB))
        self.s3.put_object(Bucket="arc-bucket", Key=self.key("generation/year=2025/month=01/x.parquet"),
                           Body=orig)
        rep = self.assertDamaged(self.verify(root, env=self.env()), ["missing_file", "unlisted_file"])
        self.assertEqual(self.kinds(rep), ["missing_file", "unlisted_file"])
        logs = self.s3.list_objects_v2(Bucket="arc-bucket", Prefix="pre/timestream-archive/_audit/")
        self.assertGreaterEqual(len([o for o in logs.get("Contents", []) if "_verify_" in o["Key"]]), 4)


if __name__ == "__main__":
    unittest.main(verbosity=2)
