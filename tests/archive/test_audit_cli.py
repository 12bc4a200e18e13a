"""tsarchive audit verify: three export runs give one intact chain (exit 0); an edited entry,
a deleted run, a reordered line or a renamed object breaks it (exit 3, naming the object).
tsarchive audit show: the same runs in chain order with their counts; broken chain -> exit 3."""
import hashlib
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TSARCHIVE_SRC", "."), "tests", "lib"))
from servers import emulator, run_tsarchive  # noqa: E402


class AuditVerify(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tsa-audit-")
        cls.root = os.path.join(cls.tmp, "arc")
        with emulator("timestream") as emu:
            env = {"AWS_ENDPOINT_URL": emu.url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                   "AWS_REGION": "us-east-1", "AWS_PROFILE": None, "AWS_SESSION_TOKEN": None,
                   "PROJECT_NAME": None, "ENVIRONMENT": None}
            for _ in range(3):
                rc, out, err = run_tsarchive(["export", "--from", "timestream://", "--to", cls.root], env=env)
                assert rc == 0, err
        cls.audit = os.path.join(cls.root, "timestream-archive", "_audit")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def copy(self):
        d = tempfile.mkdtemp(dir=self.tmp)
        shutil.copytree(self.root, os.path.join(d, "arc"))
        return os.path.join(d, "arc"), os.path.join(d, "arc", "timestream-archive", "_audit")

    @staticmethod
    def chain_order(audit):
        """Object names in chain order (names sort by time, then by random run id: runs started
        in the same second need the hashes to be ordered)."""
        first_prev, last_hash = {}, {}
        for name in os.listdir(audit):
            with open(os.path.join(audit, name), "rb") as f:
                lines = f.read().splitlines()
            first_prev[name] = json.loads(lines[0])["prev"]
            last_hash[hashlib.sha256(lines[-1]).hexdigest()] = name
        order, prev = [], "0" * 64
        by_prev = {v: k for k, v in first_prev.items()}
        while prev in by_prev:
            order.append(by_prev[prev])
            prev = [h for h, n in last_hash.items() if n == order[-1]][0]
        return order

    def verify(self, root):
        return run_tsarchive(["audit", "verify", root, "--json"])

    def test_intact(self):
        rc, out, err = self.verify(self.root)
        self.assertEqual(rc, 0, err)
        j = json.loads(out)
        self.assertTrue(j["ok"])
        self.assertEqual(j["runs"], 3)
        self.assertGreaterEqual(j["entries"], 6)
        rc, out, err = run_tsarchive(["audit", "verify", self.root])
        self.assertIn("audit log intact: 3 runs", out)

    def test_show_lists_runs_in_chain_order(self):
        rc, out, err = run_tsarchive(["audit", "show", self.root, "--json"])
        self.assertEqual(rc, 0, err)
        j = json.loads(out)
        self.assertTrue(j["chain"]["ok"])
        order = self.chain_order(self.audit)
        self.assertEqual([r["object"] for r in j["runs"]], order)
        self.assertEqual([r["command"] for r in j["runs"]], ["export"] * 3)
        # every run's counts are the ones its "end" entry logged
        for r in j["runs"]:
            with open(os.path.join(self.audit, r["object"])) as f:
                end = [json.loads(l) for l in f if '"event":"end"' in l][-1]
            self.assertEqual(r["counts"]["rows"], end["rows"], r)
            self.assertEqual(r["outcome"], end["outcome"])
        rc, text, err = run_tsarchive(["audit", "show", self.root])
        self.assertEqual(rc, 0, err)
        self.assertEqual(text.count(" export "), 3, text)
        self.assertIn("rows=%d" % j["runs"][0]["counts"]["rows"], text)
        self.assertIn("audit log intact: 3 runs", text)

    def test_missing_directory_is_not_an_empty_log(self):
        for action in ("verify", "show"):
            rc, out, err = run_tsarchive(["audit", action, os.path.join(self.tmp, "no-such-dir")])
            self.assertEqual(rc, 4, out + err)
            self.assertIn("no-such-dir: no such directory", err)

    def test_show_reports_broken_chain(self):
        root, audit = self.copy()
        os.unlink(os.path.join(audit, self.chain_order(audit)[1]))
        rc, out, err = run_tsarchive(["audit", "show", root])
        self.assertEqual(rc, 3, out + err)
        self.assertIn("audit log BROKEN", out)
        self.assertEqual(out.count(" export "), 2, out)

    def test_edit_detected(self):
        root, audit = self.copy()
        # the last entry of a run that another run follows (the newest run's tail has no
        # successor to betray an edit: the documented limitation)
        first = self.chain_order(audit)[0]
        p = os.path.join(audit, first)
        with open(p) as f:
            text = f.read()
        with open(p, "w") as f:
            f.write(text.replace('"outcome":"ok"', '"outcome":"OK"'))
        rc, out, err = self.verify(root)
        self.assertEqual(rc, 3, out + err)
        self.assertIn("no log holds", json.loads(out)["error"])

    def test_deleted_run_detected(self):
        root, audit = self.copy()
        os.unlink(os.path.join(audit, self.chain_order(audit)[1]))  # a middle run
        rc, out, err = self.verify(root)
        self.assertEqual(rc, 3, out + err)

    def test_reordered_lines_detected(self):
        root, audit = self.copy()
        name = sorted(os.listdir(audit))[2]
        p = os.path.join(audit, name)
        with open(p) as f:
            lines = f.read().splitlines(True)
        lines[0], lines[1] = lines[1], lines[0]
        with open(p, "w") as f:
            f.write("".join(lines))
        rc, out, err = self.verify(root)
        self.assertEqual(rc, 3, out + err)
        self.assertIn(name, json.loads(out)["error"])

    def test_renamed_object_detected(self):
        root, audit = self.copy()
        name = sorted(os.listdir(audit))[1]
        os.rename(os.path.join(audit, name), os.path.join(audit, name.replace("_export_", "_verify_")))
        rc, out, err = self.verify(root)
        self.assertEqual(rc, 3, out + err)
        self.assertIn("name does not match", json.loads(out)["error"])

    def test_next_run_continues_chain(self):
        # a new run links to the head: still intact with 4 runs
        root, audit = self.copy()
        with emulator("timestream") as emu:
            env = {"AWS_ENDPOINT_URL": emu.url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                   "AWS_REGION": "us-east-1", "PROJECT_NAME": None, "ENVIRONMENT": None}
            rc, out, err = run_tsarchive(["export", "--from", "timestream://", "--to", root], env=env)
            self.assertEqual(rc, 0, err)
        rc, out, err = self.verify(root)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["runs"], 4)


if __name__ == "__main__":
    unittest.main(verbosity=2)
