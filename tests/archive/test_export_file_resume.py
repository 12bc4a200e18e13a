"""tsarchive export --from FILE: resumable like the Timestream export.

- kill -9 at a random moment while archive files are being written (a generated 300k-line file,
  six measurements over ~33 months), then a re-run: every Parquet file byte-identical to an
  uninterrupted export, and export_metadata.json equal but for export id and times; the re-run
  skips the files the killed run finished;
- a re-run of a complete export writes no data file (all "unchanged");
- a second file into the same database adds its tables to the manifest (the first file's tables
  stay listed while intact) instead of replacing it;
- --jobs > 1 with a file is refused with a clear message (exit 2) rather than ignored.
"""
import glob
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SRC = os.environ.get("TSARCHIVE_SRC", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))

from servers import run_tsarchive, tsarchive_bin, _clean_env  # noqa: E402

JAN = 1704067200 * 10**9


def gen(path, n, seed=5, prefix="m", nmeas=2):
    r = random.Random(seed)
    with open(path, "w") as f:
        for i in range(n):
            t = JAN + i * (86400 * 10**9 * 1000 // n) + (i % 1000)
            f.write("%s%d,site=s%d,dev=d%d v=%r,k=%di %d\n" % (prefix, i % nmeas, i % 13, i % 7, r.random(), i, t))


def tree(root):
    out = {}
    for p in sorted(glob.glob(os.path.join(root, "**", "*"), recursive=True)):
        if os.path.isdir(p) or "/_audit/" in p or "/.tmp-" in p:
            continue
        with open(p, "rb") as f:
            out[os.path.relpath(p, root)] = f.read()
    return out


def stable(b):
    m = json.loads(b)
    for k in ("export_id", "started_at", "finished_at"):
        m.pop(k, None)
    return m


class ExportFileResume(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="export-file-resume-")
        cls.lp = os.path.join(cls.tmp, "big.lp")
        gen(cls.lp, 300000, nmeas=6)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def export(self, root, *extra, path=None, db="b"):
        rc, out, err = run_tsarchive(["export", "--from", path or self.lp, "--database", db, "--to", root,
                                      "--json"] + list(extra), timeout=300)
        return rc, (json.loads(out) if out.strip().startswith("{") else None), err

    def test_kill9_then_resume_byte_identical(self):
        ref = os.path.join(self.tmp, "ref")
        rc, rep, err = self.export(ref)
        self.assertEqual(rc, 0, err)
        nfiles = rep["files_written"]
        self.assertGreater(nfiles, 40)
        root = os.path.join(self.tmp, "killed")
        p = subprocess.Popen([tsarchive_bin(), "export", "--from", self.lp, "--database", "b", "--to", root],
                             env=_clean_env({"TMPDIR": self.tmp}), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        pat = os.path.join(root, "timestream-archive", "b", "*", "*", "*", "*.parquet")
        state = os.path.join(root, "timestream-archive", "b", ".export_state.json")
        # kill after the first checkpoint (so there is something to skip), at a random moment
        deadline = time.time() + 60
        while time.time() < deadline and p.poll() is None and not os.path.exists(state):
            time.sleep(0.005)
        time.sleep(random.Random().uniform(0, 0.5))
        killed = p.poll() is None
        if killed:
            p.send_signal(signal.SIGKILL)
        p.wait()
        done_before = len(glob.glob(pat))
        print("killed mid-run: %s, %d of %d files there" % (killed, done_before, nfiles))
        rc, rep, err = self.export(root)
        self.assertEqual(rc, 0, err)
        print("resumed: %d written, %d unchanged" % (rep["files_written"], rep["files_unchanged"]))
        self.assertEqual(rep["files_written"] + rep["files_unchanged"], nfiles, rep)
        if killed:
            self.assertGreater(rep["files_unchanged"], 0, "the checkpointed files should be skipped")
        a, b = tree(ref), tree(root)
        self.assertEqual(sorted(a), sorted(b))
        for k in a:
            if k.endswith("export_metadata.json"):
                self.assertEqual(stable(a[k]), stable(b[k]))
            else:
                self.assertEqual(hashlib.sha256(a[k]).hexdigest(), hashlib.sha256(b[k]).hexdigest(), k)
        self.assertFalse(os.path.exists(os.path.join(root, "timestream-archive", "b", ".export_state.json")))
        # a complete archive: a re-run writes nothing
        rc, rep, err = self.export(root)
        self.assertEqual(rc, 0, err)
        self.assertEqual((rep["files_written"], rep["files_unchanged"]), (0, nfiles), rep)
        self.assertEqual({k: v for k, v in tree(root).items() if not k.endswith(".json")},
                         {k: v for k, v in b.items() if not k.endswith(".json")})

    def test_second_file_adds_to_manifest(self):
        root = os.path.join(self.tmp, "two")
        small1 = os.path.join(self.tmp, "s1.lp")
        small2 = os.path.join(self.tmp, "s2.lp")
        gen(small1, 2000, prefix="a")
        gen(small2, 1000, prefix="z")
        rc, rep, err = self.export(root, path=small1)
        self.assertEqual(rc, 0, err)
        rc, rep, err = self.export(root, path=small2)
        self.assertEqual(rc, 0, err)
        with open(os.path.join(root, "timestream-archive", "b", "export_metadata.json")) as f:
            man = json.load(f)
        self.assertEqual([t["name"] for t in man["tables"]], ["a0", "a1", "z0", "z1"])
        self.assertEqual(sum(f["record_count"] for t in man["tables"] for f in t["files"]), 3000)
        rc, out, err = run_tsarchive(["verify", root])
        self.assertEqual(rc, 0, out + err)

    def test_jobs_refused_for_files(self):
        rc, out, err = run_tsarchive(["export", "--from", self.lp, "--database", "b", "--to",
                                      os.path.join(self.tmp, "j"), "--jobs", "2"])
        self.assertEqual(rc, 2, err)
        self.assertIn("--jobs", err)
        self.assertIn("one pass", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
