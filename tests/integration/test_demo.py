#!/usr/bin/env python3
"""The README's demo keeps working: demo/demo.py, run against this build
with no pauses, narrates the failover, the recovery and the drain, exits 0
and leaves nothing behind; and when one of its expectations is not met it
says so and exits 1, still cleaning up."""

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("top_srcdir") or os.path.join(HERE, "..", "..")
BUILDDIR = os.environ.get("top_builddir") or os.path.join(HERE, "..", "..")
DEMO = os.path.join(SRCDIR, "demo", "demo.py")

sys.path.insert(0, HERE)
from mplib import tools  # noqa: E402

tools.require("named", "dig", "curl", "tsig-keygen")
tools.program("agent/mirrorpoold")
tools.program("agent/mirrorpoolctl")


def run_demo(builddir, timeout=90):
    env = dict(os.environ)
    env["CI"] = "true"
    r = subprocess.run([sys.executable, DEMO, "--builddir", builddir,
                        "--pause", "0"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout, env=env)
    print(r.stdout)
    return r.returncode, r.stdout


def workdir_of(out):
    m = re.search(r"Its config: (\S+)/mirrorpool\.conf", out)
    return m.group(1) if m else None


class DemoTest(unittest.TestCase):
    def test_demo_passes(self):
        rc, out = run_demo(BUILDDIR)
        self.assertEqual(rc, 0, "the demo failed")
        expected = [
            # 1: the pool as published, by dig and by status
            r"(?m)^     127\.0\.0\.11\n     127\.0\.0\.12\n"
            r"     127\.0\.0\.13$",
            r"mirror2  127\.0\.0\.12  up +yes",
            # 2: the fault is shown, then the failover
            r"(?m)^     HTTP 503$",
            r"mirror2 127\.0\.0\.12: up -> down \(2/2 failures, last: "
            r"HTTP 503",
            r"UPDATE example\.org: dl\.example\.org\. A -127\.0\.0\.12 "
            r"\(NOERROR",
            r"ok: mirror2 \(127\.0\.0\.12\) left the pool",
            # 3: recovery after rise
            r"mirror2 127\.0\.0\.12: down -> up \(2/2 successes",
            r"UPDATE example\.org: dl\.example\.org\. A \+127\.0\.0\.12 ",
            r"ok: mirror2 is back in the pool",
            # 4: drain and undrain
            r'\$ mirrorpoolctl drain mirror3 --reason "disk swap"',
            r"mirror3 drained by root \(uid 0\): disk swap"
            if os.geteuid() == 0 else r"mirror3 drained by \S+",
            r"A -127\.0\.0\.13 \(NOERROR in \d+ ms, operator action\)",
            r'mirror3 drained: "disk swap"',
            r"A \+127\.0\.0\.13 \(NOERROR in \d+ ms, operator action\)",
            # 5: clean stop
            r"ok: mirrorpoold stopped on SIGTERM with exit status 0",
            r"demo passed in \d+ s",
        ]
        for rx in expected:
            self.assertRegex(out, rx)
        self.assertNotIn("DEMO FAILED", out)
        wd = workdir_of(out)
        self.assertIsNotNone(wd)
        self.assertFalse(os.path.exists(wd), "%s left behind" % wd)

    def test_unmet_expectation_fails(self):
        """An agent that dies at start fails the demo at once, with a
        message, and everything is still cleaned up."""
        fake = tempfile.mkdtemp(prefix="mp-demo-fake-")
        try:
            os.mkdir(os.path.join(fake, "agent"))
            # --check-config passes; the daemon itself exits at once
            daemon = os.path.join(fake, "agent", "mirrorpoold")
            with open(daemon, "w") as f:
                f.write('#!/bin/sh\n[ "$1" = --check-config ] && exit 0\n'
                        'echo "<3>cannot start: simulated" >&2\nexit 1\n')
            os.chmod(daemon, stat.S_IRWXU)
            os.symlink(os.path.abspath(os.path.join(
                BUILDDIR, "agent", "mirrorpoolctl")),
                os.path.join(fake, "agent", "mirrorpoolctl"))
            rc, out = run_demo(fake, timeout=60)
        finally:
            shutil.rmtree(fake, ignore_errors=True)
        self.assertEqual(rc, 1)
        self.assertRegex(out, r"DEMO FAILED: mirrorpoold ready: "
                         r"mirrorpoold exited with status 1")
        self.assertIn("cannot start: simulated", out)
        wd = workdir_of(out)
        self.assertIsNotNone(wd)
        self.assertFalse(os.path.exists(wd), "%s left behind" % wd)


if __name__ == "__main__":
    unittest.main(verbosity=2)
