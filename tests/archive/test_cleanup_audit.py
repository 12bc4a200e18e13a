"""The audit trail of cleanup runs (written with --audit-to, no archive): a dry run, an --apply
that deletes, and a --check form one chain that `tsarchive audit verify` accepts; editing one
cleanup entry, deleting one, swapping two, or removing one run's file breaks it at that object.
Each deletion entry names the resource's ARN, what it held, when, who and the outcome; secrets
appear nowhere. (tests/archive/test_audit_cli.py covers the same tampering on export runs.)"""
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TSARCHIVE_SRC", "."), "tests", "archive"))
sys.path.insert(0, os.path.join(os.environ.get("TSARCHIVE_SRC", "."), "tests", "lib"))
from servers import run_tsarchive  # noqa: E402
from test_cleanup_e2e import Account, SECRET, FN, ROLE, DB_NEW, TABLES  # noqa: E402


def chain(audit):
    """(object name, lines) in chain order: runs of one second sort by random id, so follow prev."""
    import hashlib
    logs = {}
    for n in os.listdir(audit):
        with open(os.path.join(audit, n), "rb") as f:
            logs[n] = f.read().splitlines()
    by_prev = {json.loads(v[0])["prev"]: n for n, v in logs.items()}
    out, prev = [], "0" * 64
    while prev in by_prev:
        n = by_prev[prev]
        out.append((n, logs[n]))
        prev = hashlib.sha256(logs[n][-1]).hexdigest()
    return out


class CleanupAudit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tsa-cleanup-audit-")
        cls.root = os.path.join(cls.tmp, "audit")
        with Account(cls.tmp) as acct:
            runs = [["--audit-to", cls.root], ["--audit-to", cls.root, "--apply"],
                    ["--audit-to", cls.root, "--check"]]
            cls.outputs = []
            for args in runs:
                rc, out, err = run_tsarchive(["cleanup", "--rate", "all=500", "--json"] + args,
                                             env=acct.env(), timeout=120)
                cls.outputs.append((rc, out, err))
        cls.audit = os.path.join(cls.root, "timestream-archive", "_audit")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def copy(self):
        d = tempfile.mkdtemp(dir=self.tmp)
        shutil.copytree(self.root, os.path.join(d, "a"))
        return os.path.join(d, "a"), os.path.join(d, "a", "timestream-archive", "_audit")

    def verify(self, root):
        rc, out, err = run_tsarchive(["audit", "verify", root, "--json"])
        return rc, json.loads(out)

    def test_runs_and_entries(self):
        self.assertEqual([o[0] for o in self.outputs], [0, 6, 3], self.outputs)
        rc, j = self.verify(self.root)
        self.assertEqual(rc, 0, j)
        self.assertEqual(j["runs"], 3)
        runs = chain(self.audit)
        self.assertEqual([n.split("_")[1] for n, _ in runs], ["cleanup"] * 3)
        entries = [json.loads(l) for _, lines in runs for l in lines]
        modes = [e["mode"] for e in entries if e["event"] == "start"]
        self.assertEqual(modes, ["dry-run", "apply", "check"])
        deletes = [e for e in entries if e["event"] == "delete"]
        fn = [e for e in deletes if e["kind"] == "function"]
        self.assertEqual(sorted(e["name"] for e in fn), sorted([FN, FN.replace("_loader", "-backfill")]))
        for e in deletes:
            for k in ("when", "who", "outcome", "name", "kind"):
                self.assertIn(k, e, e)
            if e["kind"] == "role-policy":  # an inline policy has no ARN of its own: its role names it
                self.assertEqual(e["parent"], ROLE)
            else:
                self.assertTrue(e["arn"].startswith("arn:aws:"), e)
            self.assertEqual(e["outcome"], "done", e)
        role = [e for e in deletes if e["kind"] == "role"][0]
        self.assertEqual(role["arn"], "arn:aws:iam::123456789012:role/" + ROLE)
        self.assertIn("inline-write", role["held"]["inline_policies"])
        self.assertTrue(role["who"].startswith("arn:aws:"), role["who"])
        # no --archive: every table kept by the interlock, recorded in the plan entry
        plan = [e for e in entries if e["event"] == "plan"][1]
        t = [i for i in plan["items"] if i["name"] == "%s.%s" % (DB_NEW, TABLES[DB_NEW])][0]
        self.assertEqual(t["action"], "keep")
        self.assertIn("no --archive", t["reason"])
        end = [e for e in entries if e["event"] == "end"]
        self.assertEqual([e["exit_code"] for e in end], [0, 6, 3])
        # secrets: never in the log nor on the outputs
        for n, lines in runs:
            self.assertNotIn(SECRET.encode(), b"\n".join(lines), n)
        for rc, out, err in self.outputs:
            self.assertNotIn(SECRET, out + err)

    def test_edited_entry_breaks_chain(self):
        root, audit = self.copy()
        name, lines = chain(audit)[1]  # the --apply run, followed by the --check run
        i = next(k for k, l in enumerate(lines) if b'"event":"delete"' in l)
        lines[i] = lines[i].replace(b'"outcome":"done"', b'"outcome":"kept"')
        with open(os.path.join(audit, name), "wb") as f:
            f.write(b"\n".join(lines) + b"\n")
        rc, j = self.verify(root)
        self.assertEqual(rc, 3, j)
        self.assertIn(name, j["error"])

    def test_deleted_entry_breaks_chain(self):
        root, audit = self.copy()
        name, lines = chain(audit)[1]
        i = next(k for k, l in enumerate(lines) if b'"kind":"role"' in l and b'"event":"delete"' in l)
        del lines[i]
        with open(os.path.join(audit, name), "wb") as f:
            f.write(b"\n".join(lines) + b"\n")
        rc, j = self.verify(root)
        self.assertEqual(rc, 3, j)
        self.assertIn(name, j["error"])
        self.assertIn("line %d" % (i + 1), j["error"])

    def test_reordered_entries_break_chain(self):
        root, audit = self.copy()
        name, lines = chain(audit)[1]
        i = next(k for k, l in enumerate(lines) if b'"event":"delete"' in l)
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
        with open(os.path.join(audit, name), "wb") as f:
            f.write(b"\n".join(lines) + b"\n")
        rc, j = self.verify(root)
        self.assertEqual(rc, 3, j)
        self.assertIn(name, j["error"])
        self.assertIn("line %d" % (i + 1), j["error"])

    def test_removed_run_breaks_chain(self):
        root, audit = self.copy()
        name, _ = chain(audit)[1]
        os.unlink(os.path.join(audit, name))
        rc, j = self.verify(root)
        self.assertEqual(rc, 3, j)
        self.assertIn(chain(self.audit)[2][0], j["error"])  # the run that followed it is orphaned


if __name__ == "__main__":
    unittest.main(verbosity=2)
