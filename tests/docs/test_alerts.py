#!/usr/bin/env python3
"""docs/alerts.yml: Prometheus loads the rules as they are (promtool check
rules), and each alert fires when it should and stays quiet on a healthy
pool (promtool test rules with tests/docs/alerts_test.yml, which copies of
the rules' labels and annotations must match). The metrics the rules name
are the ones mirrorpoold writes (checked against lib/engine_metrics.c)."""

import os
import re
import shutil
import subprocess
import sys
import unittest

SRC = os.environ.get(
    "top_srcdir",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
RULES = os.path.join(SRC, "docs", "alerts.yml")
TESTS = os.path.join(SRC, "tests", "docs", "alerts_test.yml")
ALERTS = ["MirrorpoolPrimaryUnreachable", "MirrorpoolPoolAtFloor",
          "MirrorpoolFrozen", "MirrorpoolQuarterOfPoolOut",
          "MirrorpoolReloadRejected", "MirrorpoolAgentGone"]


def promtool(*args):
    return subprocess.run(["promtool"] + list(args), capture_output=True,
                          text=True, timeout=120)


class AlertsTest(unittest.TestCase):
    def test_rules_load(self):
        r = promtool("check", "rules", RULES)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS: %d rules found" % len(ALERTS), r.stdout)

    def test_every_alert_fires_in_the_rule_tests(self):
        r = promtool("test", "rules", TESTS)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS", r.stdout)
        with open(TESTS, encoding="utf-8") as f:
            tests = f.read()
        with open(RULES, encoding="utf-8") as f:
            rules = f.read()
        self.assertEqual(re.findall(r"(?m)^      - alert: (\w+)$", rules),
                         ALERTS)
        for name in ALERTS:
            # a test where it fires (exp_alerts with labels) ...
            self.assertRegex(tests, r"alertname: %s\n        exp_alerts:\n"
                             r"          - exp_labels:" % name, name)
            # ... and one where it must not
            self.assertRegex(tests, r"alertname: %s\n        exp_alerts: "
                             r"\[\]" % name, name)

    def test_a_broken_rule_fails_the_rule_tests(self):
        """The rule tests can fail: with the floor rule off by one they
        do."""
        tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                           "mp-alerts-%d" % os.getpid())
        os.makedirs(os.path.join(tmp, "docs"))
        os.makedirs(os.path.join(tmp, "tests", "docs"))
        self.addCleanup(shutil.rmtree, tmp)
        with open(RULES, encoding="utf-8") as f:
            rules = f.read()
        broken = rules.replace("mirrorpool_rrset_records <= on",
                               "mirrorpool_rrset_records < on")
        self.assertNotEqual(broken, rules)
        with open(os.path.join(tmp, "docs", "alerts.yml"), "w") as f:
            f.write(broken)
        shutil.copy(TESTS, os.path.join(tmp, "tests", "docs"))
        r = promtool("test", "rules",
                     os.path.join(tmp, "tests", "docs", "alerts_test.yml"))
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("MirrorpoolPoolAtFloor", r.stdout + r.stderr)

    def test_rules_name_only_metrics_the_agent_writes(self):
        with open(os.path.join(SRC, "lib", "engine_metrics.c"),
                  encoding="utf-8") as f:
            code = f.read()
        with open(RULES, encoding="utf-8") as f:
            rules = f.read()
        used = set(re.findall(r"\b(mirrorpool_[a-z_]+)", rules))
        self.assertTrue(used)
        for name in used:
            self.assertIn('"%s' % name, code, name)


if __name__ == "__main__":
    if not shutil.which("promtool"):
        print("promtool not found (Debian package prometheus; "
              "scripts/install-deps.sh installs it)", file=sys.stderr)
        sys.exit(1)
    unittest.main(verbosity=2)
