#!/usr/bin/env python3
"""The man pages render without a single groff warning and document what
SPEC promises: every configuration key, every mirrorpoolctl command and
every exit status."""

import os
import re
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("top_srcdir") or os.path.join(HERE, "..", "..")
BUILDDIR = os.environ.get("top_builddir") or SRCDIR
# the pages as built: docs/*.in with the version and date filled in
DOCS = os.path.join(BUILDDIR, "docs")
PAGES = ["mirrorpoold.8", "mirrorpoolctl.8", "mirrorpool.conf.5"]

CONFIG_KEYS = {
    "DNS": ["server", "port", "zone", "key_file", "key_name", "key",
            "transport", "timeout", "reconcile_interval", "dry_run"],
    "UPDATE": ["min_interval", "max_per_hour"],
    "CHECK": ["type", "url", "port", "interval", "fast_interval", "timeout",
              "rise", "fall", "expect_status", "expect_body",
              "expect_sha256", "max_age", "max_latency", "max_body",
              "tls_verify", "ca_file", "source_address"],
    "DAMPING": ["penalty", "suppress", "reuse", "half_life", "max_suppress"],
    "GUARD": ["sentinels", "all_down_freeze"],
    "POOLS": ["name", "ttl", "min_healthy", "max_published", "rotate",
              "check",
              "mirrors", "addresses", "weight", "email", "notes"],
    "VANTAGE POINTS": ["node", "role", "views", "nodes", "quorum", "max_age",
                       "publish_interval", "fallback"],
    "JSON POOLS": ["name", "source", "output", "min_healthy",
                   "check_disabled", "check"],
    "CONTROL, STATE AND LOGGING": ["control.socket", "control.group",
                                   "control.mode", "state_file",
                                   "metrics_file", "log_level"],
}


def render(page, *extra):
    return subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww"] + list(extra) +
        [os.path.join(DOCS, page)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)


def plain_text(page):
    """The rendered page with runs of white space folded to one space."""
    r = render(page, "-P-cbou", "-rLL=200n")
    return " ".join(r.stdout.decode("utf-8").split())


def source_sections(page):
    """.SH name -> list of the .TP tags in that section (first word of the
    tag line, fonts and escapes removed), from the roff source."""
    out, name, want_tag = {}, None, False
    with open(os.path.join(DOCS, page), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(".SH "):
                name = line[4:].strip('"')
                out[name] = []
            elif line == ".TP":
                want_tag = True
            elif want_tag:
                want_tag = False
                tag = re.sub(r"^\.[A-Z]+ ", "", line)
                tag = re.sub(r"\\f[A-Z]|\\%|\"", "", tag)
                tag = tag.replace("\\-", "-")
                out.setdefault(name, []).append(tag.split()[0])
    return out


class ManPagesTest(unittest.TestCase):
    def test_render_without_warnings(self):
        for page in PAGES:
            with self.subTest(page=page):
                r = render(page, "-z")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stderr.decode(), "")

    def test_title_line_has_a_date_and_the_version(self):
        """.TH NAME SECTION YYYY-MM-DD "mirrorpool VERSION" ..., both from
        configure.ac (AC_INIT's version, RELEASE_DATE)."""
        with open(os.path.join(SRCDIR, "configure.ac"),
                  encoding="utf-8") as f:
            ac = f.read()
        version = re.search(r"AC_INIT\(\[mirrorpool\], \[([^]]+)\]",
                            ac).group(1)
        date = re.search(r"AC_SUBST\(\[RELEASE_DATE\], \[([^]]+)\]",
                         ac).group(1)
        self.assertRegex(date, r"^\d{4}-\d{2}-\d{2}$")
        for page in PAGES:
            with self.subTest(page=page):
                with open(os.path.join(DOCS, page), encoding="utf-8") as f:
                    th = f.readline().rstrip("\n")
                name, sec = page.rsplit(".", 1)
                self.assertEqual(
                    th.split('"')[0].split(),
                    [".TH", name.upper(), sec, date])
                self.assertIn('"mirrorpool %s"' % version, th)
                # and the rendered page shows them in its footer
                text = plain_text(page)
                self.assertIn("mirrorpool %s" % version, text)
                self.assertIn(date, text)

    def test_a_warning_is_caught(self):
        # The check above can fail: an unknown macro is a warning.
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"],
                           input=b".TH X 1\n.SH NAME\nx\n.XYZZY\n",
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        self.assertIn(b"XYZZY", r.stderr)

    def test_standard_sections(self):
        for page in PAGES:
            with self.subTest(page=page):
                s = source_sections(page)
                for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "FILES",
                             "SEE ALSO"):
                    self.assertIn(name, s)

    def test_every_config_key(self):
        s = source_sections("mirrorpool.conf.5")
        for section, keys in CONFIG_KEYS.items():
            self.assertIn(section, s)
            for key in keys:
                with self.subTest(section=section, key=key):
                    self.assertIn(key, s[section])

    def test_every_default(self):
        text = plain_text("mirrorpool.conf.5")
        for default in ('"2s"', '"5m"', '"5s"', "60", '"10s"', '"3s"',
                        "65536", '"15m"', '"1h"', "1000", "2000", "750",
                        '"/run/mirrorpool/control.sock"', '"0660"',
                        '"/var/lib/mirrorpool/state.json"', '"info"',
                        '"udp"', '"http"', "[ 200 ]", "53"):
            with self.subTest(default=default):
                self.assertTrue("Default: " + default in text,
                                "no default " + default)

    def test_ctl_commands_and_exit_statuses(self):
        s = source_sections("mirrorpoolctl.8")
        self.assertEqual(["-s", "-c", "--json"], s["OPTIONS"])
        for cmd in ("status", "drain", "undrain", "check", "sync", "reload",
                    "metrics"):
            self.assertIn(cmd, s["COMMANDS"])
        for opt in ("--address", "--reason", "--for", "--force"):
            self.assertIn(opt, s["COMMANDS"])
        self.assertEqual(["0", "1", "2", "3"], s["EXIT STATUS"])
        self.assertEqual(["MIRRORPOOL_SOCKET"], s["ENVIRONMENT"])

    def test_daemon_options_signals_exit_statuses(self):
        s = source_sections("mirrorpoold.8")
        self.assertEqual(["-c,", "-t,", "-n,", "-v,", "-V,", "-h,"],
                         s["OPTIONS"])
        self.assertEqual(["SIGHUP", "SIGTERM"], s["SIGNALS"])
        self.assertEqual(["0", "1", "2", "78"], s["EXIT STATUS"])
        for var in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "CREDENTIALS_DIRECTORY"):
            self.assertIn(var, s["ENVIRONMENT"])

    def test_man_renders(self):
        if shutil.which("man") is None:
            self.skipTest("man is not installed")
        for page in PAGES:
            with self.subTest(page=page):
                r = subprocess.run(["man", "-l", os.path.join(DOCS, page)],
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=60,
                                   env=dict(os.environ, MANPAGER="cat",
                                            PAGER="cat", MANWIDTH="80"))
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stderr.decode(), "")
                self.assertIn(b"SEE ALSO", r.stdout)


if __name__ == "__main__":
    if shutil.which("groff") is None:
        print("SKIP: groff is not installed")
        sys.exit(77)
    unittest.main(verbosity=2)
