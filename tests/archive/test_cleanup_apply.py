"""tsarchive cleanup --apply under stress.

Throttling mid-apply: moto behind the FlakyProxy of tests/aws/test_s3_storage.py, which answers
503 SlowDown (Retry-After: 1) to the two requests after the first delete call, and the Timestream
emulator throttling and losing answers (--faults throttle, drop_after) on DeleteTable and
DeleteDatabase: the run still ends with exactly the journey's result (a lost answer to a delete
that happened is "already gone", never a failure). --force-unarchived deletes an unarchived table
and says so in the audit log."""
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

SRC = os.environ.get("TSARCHIVE_SRC", ".")
sys.path.insert(0, os.path.join(SRC, "tests", "archive"))
sys.path.insert(0, os.path.join(SRC, "tests", "aws"))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from servers import run_tsarchive  # noqa: E402
from test_s3_storage import FlakyProxy  # noqa: E402
from test_cleanup_e2e import (Account, EXPECT_GONE, DB_OK, DB_NEW, TABLES,  # noqa: E402
                              SQ_PROD, plan_of, snapshot_moto, snapshot_ts, audit_entries)


class ThrottledApply(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tsa-cleanup-throttle-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_throttled_apply(self):
        faults = "throttle=0.3,drop_after=0.2,seed=7,only=DeleteTable+DeleteDatabase"
        with Account(self.tmp, faults=faults) as acct:
            root = os.path.join(self.tmp, "arc")
            acct.make_archive(root)
            before, ts_before = snapshot_moto(acct.moto.url), snapshot_ts(acct.emu.url)
            port = int(acct.moto.url.rsplit(":", 1)[1])
            with FlakyProxy(port, faults=False) as proxy:
                stop = threading.Event()

                def arm():
                    # refuse the two requests after the first delete: throttling mid-apply
                    while not stop.is_set():
                        with proxy.lock:
                            if any(m == "DELETE" for m, *_ in proxy.recorded):
                                proxy.total = 0
                                proxy.faults = True
                                return
                        time.sleep(0.001)
                t = threading.Thread(target=arm, daemon=True)
                t.start()
                rc, out, err = run_tsarchive(
                    ["cleanup", "--archive", root, "--apply", "--json", "--rate", "all=500",
                     "--rate", "lambda=20"], env=acct.env(moto_url=proxy.url), timeout=120)
                stop.set()
                t.join()
            self.assertEqual(rc, 6, out + err)
            res = plan_of(out)
            self.assertEqual([i for i in res["items"] if i["outcome"] == "failed"], [], out)
            self.assertGreaterEqual(len(proxy.refused), 2, proxy.refused)
            first_delete = next(i for i, (m, *_) in enumerate(proxy.recorded) if m == "DELETE")
            self.assertLess(first_delete, len(proxy.recorded) - 3)  # refusals came after it
            with urllib.request.urlopen(acct.emu.url + "/emulator/stats") as r:
                stats = json.load(r)["faults"]
            self.assertGreater(sum(stats.values()), 0, stats)
            after = snapshot_moto(acct.moto.url)
            for k, gone in EXPECT_GONE.items():
                self.assertEqual(sorted(set(before[k]) - set(after[k])), sorted(gone), k)
            expect_ts = dict(ts_before)
            del expect_ts["%s.generation" % DB_OK]
            del expect_ts[DB_OK]
            expect_ts["scheduled_queries"] = [SQ_PROD]
            self.assertEqual(snapshot_ts(acct.emu.url), expect_ts)
            t = [i for i in res["items"] if i["name"] == "%s.generation" % DB_OK][0]
            self.assertIn(t["outcome"], ("done", "already-gone"), t)

    def test_force_unarchived(self):
        with Account(self.tmp) as acct:
            forced = "%s.%s" % (DB_NEW, TABLES[DB_NEW])
            audit = os.path.join(self.tmp, "audit")
            rc, out, err = run_tsarchive(
                ["cleanup", "--apply", "--json", "--rate", "all=500", "--rate", "timestream=2",
                 "--audit-to", audit, "--force-unarchived", forced, "--match", "database=" + DB_NEW],
                env=acct.env(), timeout=120)
            self.assertEqual(rc, 0, out + err)
            res = plan_of(out)
            t = [i for i in res["items"] if i["name"] == forced][0]
            self.assertEqual(t["outcome"], "done", t)
            self.assertIn("--force-unarchived", t["reason"])
            self.assertNotIn(DB_NEW, snapshot_ts(acct.emu.url))
            self.assertIn(DB_OK, snapshot_ts(acct.emu.url))  # --match replaced the database rule
            entries = audit_entries(audit)
            # paced: Timestream at 2 calls per second, so the database goes >= 0.5 s after its table
            ts_del = [e["when"] for e in entries if e["event"] == "delete" and e["kind"] in ("table", "database")]
            self.assertEqual(len(ts_del), 2, ts_del)
            secs = [int(w[11:13]) * 3600 + int(w[14:16]) * 60 + float(w[17:-1]) for w in ts_del]
            self.assertGreaterEqual(secs[1] - secs[0], 0.45, ts_del)
            f = [e for e in entries if e["event"] == "force-unarchived"]
            self.assertEqual(f[0]["tables"], [forced])
            self.assertEqual([e["force_unarchived"] for e in entries if e["event"] == "start"], [[forced]])


if __name__ == "__main__":
    unittest.main(verbosity=2)
