"""The cleanup services through FlakyProxy: the first requests are refused as throttled
(Timestream-style 400 ThrottlingException, or S3-style 503 SlowDown with Retry-After); the
client's one retry policy gets the whole list-and-delete scenario of test_aws_services.py
through with the same end state. Split from that file to keep each under a minute.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_aws_services as base  # noqa: E402 (a module import: its tests must not run here)


class AwsServicesThrottlingTest(unittest.TestCase):
    moto_scenario = base.AwsServicesTest.moto_scenario
    check = base.AwsServicesTest.check

    def test_throttling_json_is_retried(self):
        out, proxy = self.moto_scenario("json")
        self.assertEqual([r[2] for r in proxy.refused], [400, 400], proxy.refused)
        self.assertIn("retries: 2", out)

    def test_slowdown_503_is_retried(self):
        out, proxy = self.moto_scenario("503")
        self.assertEqual([r[2] for r in proxy.refused], [503, 503], proxy.refused)
        self.assertIn("retries: 2", out)


if __name__ == "__main__":
    unittest.main()
