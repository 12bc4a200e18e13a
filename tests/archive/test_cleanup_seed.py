"""cleanup against the account of tests/lib/aws_seed.py (written independently from the issue's
rules): the dry run's plan deletes exactly what seed() says is to be deleted and keeps what it
says stays (shared layer version and policy shown as kept, another environment and another
project absent); --apply then removes exactly that (full snapshots before and after), a
--check finds only the Timestream table the interlock keeps, and a second --apply is a no-op."""
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TSARCHIVE_SRC", "."), "tests", "lib"))
from servers import emulator, moto_server, run_tsarchive  # noqa: E402
from aws_seed import seed, snapshot  # noqa: E402

P, E, R = "ons-data-platform", "dev", "us-east-1"
DB = "ons_data_platform_dev_metrics"  # the database the seeded alarms name


class SeededAccount(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tsa-cleanup-seed-")
        lp = os.path.join(self.tmp, "g.lp")
        with open(lp, "w") as f:
            for i in range(10):
                f.write("generation_data,plant=p%d mw=%d.0 %d\n" % (i % 2, i, 1704067200000000000 + i * 10**9))
        self.lp = lp

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_cleanup(self, env, *args):
        rc, out, err = run_tsarchive(["cleanup", "--json", "--rate", "all=500", "--audit-to",
                                      os.path.join(self.tmp, "audit")] + list(args),
                                     env=env, timeout=120, cwd=self.tmp)
        return rc, json.loads(out.strip().splitlines()[-1]), err

    def test_plan_matches_seed(self):
        with moto_server() as moto, emulator("timestream", "--retention", "ignore", "--load",
                                             "%s.generation_data=%s" % (DB, self.lp)) as emu:
            made = seed(moto.url, P, E, R)
            env = moto.env(AWS_ENDPOINT_URL_TIMESTREAM_QUERY=emu.url,
                           AWS_ENDPOINT_URL_TIMESTREAM_WRITE=emu.url, PROJECT_NAME=P,
                           ENVIRONMENT=E, AWS_REGION=R)
            before = snapshot(moto.url, R)
            rc, plan, err = self.run_cleanup(env)
            self.assertEqual(rc, 0, (plan, err))
            self.assertEqual(snapshot(moto.url, R), before)
            items = plan["items"]

            def got(kind, action=None, key="name"):
                return sorted(i[key] for i in items if i["kind"] == kind
                              and (action is None or i["action"] == action))

            def want(kind, key="name", book="delete"):
                return sorted(e[key] for e in made[book][kind])
            d = ("delete",)
            self.assertEqual(got("function", *d), want("functions"))
            self.assertEqual(got("event-source-mapping", *d), want("event_source_mappings"))
            self.assertEqual(got("layer-version", *d), want("layer_versions"))
            self.assertEqual(got("role", *d), want("roles"))
            self.assertEqual(got("role-policy", *d), want("inline_policies"))
            self.assertEqual(got("policy-attachment", "detach", "arn"), want("attachments"))
            self.assertEqual(got("policy", *d), want("policies"))
            self.assertEqual(got("instance-profile", *d), want("instance_profiles"))
            self.assertEqual(got("log-group", *d), want("log_groups"))
            self.assertEqual(got("alarm", *d), want("alarms"))
            # kept for what stays: the shared layer and policy, with the reason
            kept = {(i["kind"], i["name"]): i["reason"] for i in items if i["action"] == "keep"}
            self.assertIn("which stays", kept[("layer-version", "%s-%s-shared-utils" % (P, E))])
            self.assertIn("which stays", kept[("policy", "%s-%s-shared-logging" % (P, E))])
            # never in the plan: another environment, another project, what stays
            names = json.dumps([(i["name"], i.get("arn", "")) for i in items])
            for kind in made["keep"]:
                for e in made["keep"][kind]:
                    if kind in ("layer_versions", "policies", "policy_versions", "attachments",
                                "aliases", "versions"):
                        continue  # shown as kept, or gone with their parent
                    self.assertNotIn('"%s"' % e["name"], names, (kind, e))
            # the Timestream side: no --archive, so the table and its database are kept
            self.assertEqual(kept[("table", DB + ".generation_data")][:19], "no --archive ROOT g")

            rc, res, err = self.run_cleanup(env, "--apply")
            self.assertEqual(rc, 6, (res, err))
            self.assertEqual([i for i in res["items"] if i["outcome"] == "failed"], [])
            after = snapshot(moto.url, R)
            fn_gone = set(want("functions"))
            self.assertEqual(sorted(f["name"] for f in after["functions"]),
                             sorted(f["name"] for f in before["functions"] if f["name"] not in fn_gone))
            roles_gone = set(want("roles"))
            self.assertEqual([r for r in after["roles"]],
                             [r for r in before["roles"] if r["name"] not in roles_gone])
            pol_gone = set(want("policies"))
            after_pol = sorted(p["name"] for p in after["policies"])
            self.assertEqual(after_pol, sorted(p["name"] for p in before["policies"] if p["name"] not in pol_gone))
            shared = [p for p in after["policies"] if p["name"] == "%s-%s-shared-logging" % (P, E)][0]
            self.assertEqual(shared["roles"], sorted(["%s-%s-api-role" % (P, E)]))
            lv_gone = set(want("layer_versions", "arn"))
            self.assertEqual(sorted(v for l in after["layers"] for v in l["versions"]),
                             sorted(v for l in before["layers"] for v in l["versions"] if v not in lv_gone))
            for k in after:
                if k not in ("functions", "roles", "policies", "layers"):
                    self.assertEqual(len(after[k]), len(before[k]) - len(made["delete"].get(k, [])),
                                     (k, after[k]))

            rc, chk, err = self.run_cleanup(env, "--check")
            self.assertEqual(rc, 3, (chk, err))
            self.assertEqual(sorted(i["name"] for i in chk["items"]), [DB, DB + ".generation_data"])
            rc, res, err = self.run_cleanup(env, "--apply")
            self.assertEqual(rc, 6, (res, err))
            self.assertEqual(res["summary"]["deleted"], 0)
            self.assertEqual(snapshot(moto.url, R), after)


if __name__ == "__main__":
    unittest.main(verbosity=2)
