#!/usr/bin/env python3
"""The shipped systemd unit (SPEC §7): built with this build's paths, it
passes `systemd-analyze verify`, carries the settings the product relies on,
and its sandbox scores an exposure of 1.5 or less in
`systemd-analyze security --offline=true`. The sysusers.d entry creates the
"mirrorpool" user and group."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("top_srcdir") or os.path.join(HERE, "..", "..")
BUILDDIR = os.environ.get("top_builddir") or os.path.join(HERE, "..", "..")
UNIT = os.path.join(BUILDDIR, "systemd", "mirrorpoold.service")
DAEMON = os.path.join(BUILDDIR, "agent", "mirrorpoold")
CTL = os.path.join(BUILDDIR, "agent", "mirrorpoolctl")
SYSUSERS = os.path.join(SRCDIR, "systemd", "mirrorpool.sysusers")
MAN_PAGES = ["mirrorpoold.8", "mirrorpoolctl.8", "mirrorpool.conf.5"]
MAX_EXPOSURE = 1.5


def read_service_settings(path):
    """[Service] settings as name -> list of values, in order."""
    settings, section = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line
                continue
            name, _, value = line.partition("=")
            settings.setdefault((section, name), []).append(value)
    return settings


def run(cmd, env=None):
    return subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120)


class UnitFileTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mp-unit-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_no_placeholder_left(self):
        with open(UNIT, encoding="utf-8") as f:
            text = f.read()
        self.assertEqual(re.findall(r"@[A-Za-z_]+@", text), [])

    def test_contract_settings(self):
        s = read_service_settings(UNIT)
        svc = lambda name: s.get(("[Service]", name))
        self.assertEqual(svc("Type"), ["notify"])
        self.assertEqual(svc("NotifyAccess"), ["main"])
        self.assertEqual(svc("WatchdogSec"), ["30s"])
        self.assertEqual(svc("Restart"), ["on-failure"])
        self.assertEqual(svc("RestartPreventExitStatus"), ["78 243"])
        # not started before the key exists (a fresh package install)
        self.assertEqual(len(s.get(("[Unit]", "ConditionPathExists"), [])), 1)
        self.assertRegex(s[("[Unit]", "ConditionPathExists")][0],
                         r"^/\S+/mirrorpool/tsig\.key$")
        # a reload that is rejected makes "systemctl reload" fail
        reload = svc("ExecReload")
        self.assertEqual(len(reload), 1)
        self.assertRegex(reload[0], r"^/\S+/mirrorpoolctl -c /\S+/mirrorpool/"
                                    r"mirrorpool\.conf reload$")
        self.assertEqual(svc("User"), ["mirrorpool"])
        self.assertEqual(svc("Group"), ["mirrorpool"])
        self.assertEqual(svc("StateDirectory"), ["mirrorpool"])
        self.assertEqual(svc("RuntimeDirectory"), ["mirrorpool"])
        self.assertEqual(svc("LimitCORE"), ["0"])
        self.assertEqual(svc("RestrictAddressFamilies"),
                         ["AF_UNIX AF_INET AF_INET6"])
        [cred] = svc("LoadCredential")
        self.assertRegex(cred, r"^tsig\.key:/.*/mirrorpool/tsig\.key$")
        [start] = svc("ExecStart")
        self.assertTrue(start.startswith("/"), start)
        self.assertTrue(start.endswith("/mirrorpoold"), start)
        self.assertEqual(svc("ExecStartPre"), [start + " --check-config"])
        self.assertEqual(s.get(("[Install]", "WantedBy")),
                         ["multi-user.target"])

    def test_security_exposure(self):
        r = run(["systemd-analyze", "security", "--offline=true",
                 "--no-pager", UNIT])
        out = r.stdout + r.stderr
        m = re.search(r"Overall exposure level for mirrorpoold\.service: "
                      r"(\d+\.\d+)", out)
        self.assertIsNotNone(m, out)
        exposure = float(m.group(1))
        print("exposure: %.1f" % exposure)
        self.assertLessEqual(exposure, MAX_EXPOSURE, out)

    def verify(self, edit=lambda text: text):
        """systemd-analyze verify on a copy of the unit. verify wants every
        Exec* binary to exist and every man: page to open, so the copy
        runs the built programs and MANPATH holds the built man pages."""
        s = read_service_settings(UNIT)
        installed = s[("[Service]", "ExecStart")][0].split()[0]
        installed_ctl = s[("[Service]", "ExecReload")][0].split()[0]
        with open(UNIT, encoding="utf-8") as f:
            text = f.read().replace(installed, os.path.abspath(DAEMON))
            text = text.replace(installed_ctl, os.path.abspath(CTL))
        unit = os.path.join(self.tmp, "mirrorpoold.service")
        with open(unit, "w", encoding="utf-8") as f:
            f.write(edit(text))
        mandir = os.path.join(self.tmp, "man")
        for page in MAN_PAGES:
            section = os.path.join(mandir, "man" + page.rsplit(".", 1)[1])
            os.makedirs(section, exist_ok=True)
            shutil.copy(os.path.join(BUILDDIR, "docs", page), section)
        env = dict(os.environ, MANPATH=mandir)
        return run(["systemd-analyze", "verify", "--no-pager", unit], env=env)

    def test_verify(self):
        r = self.verify()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stderr, "")

    def test_verify_catches_a_broken_unit(self):
        # The check above can fail: a bad value and a missing page are
        # reported.
        r = self.verify(lambda text: text.replace(
            "WatchdogSec=30s", "WatchdogSec=soon").replace(
            "man:mirrorpoold(8)", "man:mirrorpoold(1)"))
        self.assertIn("Failed to parse sec value, ignoring: soon", r.stderr)
        self.assertIn("Command 'man mirrorpoold(1)' failed", r.stderr)

    def test_sysusers(self):
        if os.geteuid() != 0:
            self.skipTest("systemd-sysusers --root needs root")
        if shutil.which("systemd-sysusers") is None:
            self.skipTest("systemd-sysusers is not installed")
        root = os.path.join(self.tmp, "root")
        os.makedirs(os.path.join(root, "etc"))
        r = run(["systemd-sysusers", "--root=" + root, SYSUSERS])
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(root, "etc", "passwd")) as f:
            users = [l.split(":") for l in f.read().splitlines()]
        with open(os.path.join(root, "etc", "group")) as f:
            groups = [l.split(":") for l in f.read().splitlines()]
        [user] = [u for u in users if u[0] == "mirrorpool"]
        [group] = [g for g in groups if g[0] == "mirrorpool"]
        self.assertEqual(user[3], group[2])  # primary group is mirrorpool
        self.assertEqual(user[5], "/var/lib/mirrorpool")
        self.assertNotEqual(user[2], "0")


if __name__ == "__main__":
    if shutil.which("systemd-analyze") is None:
        print("SKIP: systemd-analyze is not installed")
        sys.exit(77)
    if not os.path.exists(UNIT):
        print("SKIP: %s is not built" % UNIT)
        sys.exit(77)
    unittest.main(verbosity=2)
