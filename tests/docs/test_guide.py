#!/usr/bin/env python3
"""The operator's guide stays true to the program: every log message it
quotes is one the daemon can write (the format string is in the sources and
the quoted text matches it), every mirrorpoolctl command is covered, every
configuration key is documented in the guide or the man pages, and its
internal links lead somewhere."""

import os
import re
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("top_srcdir") or os.path.join(HERE, "..", "..")
GUIDE = os.path.join(SRCDIR, "docs", "operator-guide.md")
MAN_PAGES = ["mirrorpoold.8", "mirrorpoolctl.8", "mirrorpool.conf.5"]

sys.path.insert(0, HERE)
from test_man_pages import CONFIG_KEYS  # noqa: E402  (SPEC §2's keys)

CTL_COMMANDS = ["status", "drain", "undrain", "check", "sync", "reload",
                "metrics"]
DRAIN_OPTIONS = ["--address", "--reason", "--for", "--force"]

# Messages the guide quotes, as printf formats exactly as they are written
# in agent/*.c and lib/*.c (adjacent string literals joined, C escapes kept).
FORMATS = [
    r'%s %s: %s -> down (%u/%u failures, last: %s in %u ms)',
    r'%s %s: %s -> up (%u/%u successes, last: %s in %u ms)',
    r'%s %s: check failed (%u/%u%s): %s in %u ms',
    r'%s %s: suppressed by flap damping (penalty %.0f > %u); '
    r'held out of the pool, reuse in about %s',
    r'%s %s: flap damping released (penalty below %u); eligible again',
    r'%s %s: starts %s (%s in DNS)',
    r'UPDATE %s: %s (NOERROR in %llu ms%s)',
    r'dry-run: would send UPDATE: ',
    r'%s: key \"%s\" is not allowed to update zone %s — check '
    r'allow-update/update-policy (BIND), an acl with action: update (Knot), '
    r"or allow-dnsupdate-from and the zone's "
    r'TSIG-ALLOW-DNSUPDATE/ALLOW-DNSUPDATE-FROM metadata (PowerDNS), and the '
    r'key name',
    r"unsigned NOTAUTH with no TSIG record: PowerDNS's answer to an unknown "
    r"key or a wrong secret (or: zone not served)",
    r'unsigned %s%s%s from the server: it could not verify key \"%s\" (%s) '
    r'— check that the primary knows this key name, algorithm and secret',
    r'unsigned %s answer ignored (possible spoofing): %s',
    r'answer failed TSIG verification (possible spoofing or wrong key '
    r'\"%s\"): %s',
    r"BADTIME: the server's clock reads %lld, ours %lld (skew %+lld s, "
    r"fudge %u s) — fix the clocks (NTP); mirrorpool never adjusts them",
    r'NOTZONE: %s is not a zone the server is authoritative for, or a pool '
    r'name lies outside it',
    r'SERVFAIL: the server could not apply the change (BIND: '
    r'max-records-per-type or a journal it cannot write; Knot: its '
    r'storage); re-reading the RRset to tell which',
    r'%s %s: SERVFAIL, likely cause: %s',
    r'the RRset holds %zu records (%zu of no configured mirror) and the '
    r"UPDATE would have left %zu, more than BIND's max-records-per-type "
    r'(%d by default): %s',
    r'reading %s %s from %s port %u',
    r'no answer (timeout)',
    r'%s: %s; retrying in %s',
    r'drift: %s %s changed on the primary outside mirrorpool (%s); '
    r're-converging',
    r'%s %s holds %s, which belongs to no configured mirror; removing it',
    r'%s %s: floor engaged: %zu healthy of min_healthy %u; keeping %zu '
    r'unhealthy address%s published',
    r'%s %s: floor released: %zu healthy',
    r'freeze engaged: %s; removals are suspended until it clears (our own '
    r'network is the likely culprit)',
    r'freeze released: %s no longer holds',
    r'every checked address (%zu) is failing at once',
    r'all %zu sentinels failing (last: %.100s)',
    r'%s %s: freeze holds %zu address%s that would be removed',
    r'%s %s: every address is unhealthy; keeping what is published rather '
    r'than emptying the RRset',
    r'%s %s: healthy addresses are back',
    r'%s %s: rate limit engaged (%s); change deferred %s',
    r'%s %s%s by %s (uid %ld)%s: %s; bypassing the update rate limits',
    r'%s drained with --force leaves %s empty: clients get no address for '
    r'it',
    r'control: %s from %s (uid %ld, pid %ld): %s',
    r'drain of %s expired (was: %s); it returns once healthy',
    r'draining %s%s%s would leave %s %s with %zu healthy address%s '
    r'(min_healthy %u); use --force to drain anyway',
    r'(dry run: DNS is not changed)',
    r'could not read the RRsets from the primary: %s',
    r'new configuration accepted',
    r'new configuration rejected: %s',
    r'reload rejected (%zu error%s); the running configuration stays in '
    r'force',
    r'reload: configuration accepted (%zu pool%s, %zu addresses)',
    r'state file is corrupt: %s; starting without saved drains and '
    r'penalties',
    r'sentinel %s: %s (%s)',
    r'mirrorpoold %s starting: %zu pool%s, %zu addresses; primary %s port '
    r'%u, zone %s, key %s (%s)%s',
    r"DNS %s from %s port %u: possible spoofing or the server's unsigned "
    r"error: %s",
    r'unsigned %s, TSIG error BADKEY: the server does not know key \"%s\" '
    r'with algorithm %s',
    r'unsigned %s, TSIG error BADSIG: the server could not verify our MAC '
    r'with key \"%s\" (wrong secret?)',
    r'%s %s: %s by %s %u/%u (%s)',
    r'%s %s: stays %s: %u/%u %s, quorum %u (%s)',
    r'vantage: quorum lost: %u of %zu nodes have a fresh view, quorum is '
    r'%u; %s until enough views are fresh again',
]

# Where most of those messages are written.
DAEMON_SOURCES = ["lib/dnsops.c", "agent/control/ctlcmd.c", "agent/daemon.c",
                  "agent/daemon_reload.c", "agent/dns/dnsclient.c",
                  "lib/engine.c", "lib/dnsmsg.c"]

CONVERSION = re.compile(
    r"%[-+ #0]*\d*(?:\.\d+)?(?:hh|h|ll|l|z|j|t)?[sdiuoxXfc%]")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def source_text():
    """Every .c file of agent/ (with its module folders) and lib/, with
    adjacent string literals joined ("abc "\\n\\t"def" -> "abc def")."""
    parts = []
    for sub in ("agent", "lib"):
        for d, _, names in sorted(os.walk(os.path.join(SRCDIR, sub))):
            for name in sorted(names):
                if name.endswith(".c"):
                    parts.append(read(os.path.join(d, name)))
    return re.sub(r'"\s*\n\s*"', "", "\n".join(parts))


def format_regex(fmt):
    """A regex matching what printf(fmt, ...) can print on one line."""
    out, pos = [], 0
    for m in CONVERSION.finditer(fmt):
        literal = fmt[pos:m.start()].replace('\\"', '"')
        out.append(re.escape(literal))
        conv = m.group(0)[-1]
        if conv == "s":
            # "%s%s%s" is one run of text: one pattern, not three nested
            # ones that backtrack against each other
            if not (literal == "" and out[-2:-1] == [r"[^\n]*?"]):
                out.append(r"[^\n]*?")
        elif conv == "%":
            out.append("%")
        elif conv == "f":
            out.append(r"[+-]?\d+(?:\.\d+)?")
        else:
            out.append(r"[+-]?\d+")
        pos = m.end()
    out.append(re.escape(fmt[pos:].replace('\\"', '"')))
    return re.compile("".join(out))


def slug(heading):
    """GitHub's anchor for a Markdown heading."""
    s = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return s.replace(" ", "-")


def man_text():
    text = []
    for page in MAN_PAGES:
        r = subprocess.run(
            ["groff", "-man", "-Tutf8", "-P-cbou", "-rLL=200n",
             os.path.join(os.environ.get("top_builddir") or SRCDIR, "docs",
                          page)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        text.append(r.stdout.decode("utf-8"))
    return " ".join(" ".join(text).split())


class GuideTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.guide = read(GUIDE)
        cls.sources = source_text()

    def test_quoted_messages_exist_in_the_sources(self):
        missing = [f for f in DAEMON_SOURCES
                   if not os.path.exists(os.path.join(SRCDIR, f))]
        if missing:
            self.skipTest("sources not in this tree: " + " ".join(missing))
        for fmt in FORMATS:
            with self.subTest(fmt=fmt):
                self.assertTrue(fmt in self.sources,
                                "not in agent/*.c or lib/*.c")

    def test_quoted_messages_match_their_format(self):
        # A log message is one line: search line by line (which also keeps
        # the lazy %s patterns from backtracking over the whole guide).
        lines = self.guide.splitlines()
        for fmt in FORMATS:
            rx = format_regex(fmt)
            with self.subTest(fmt=fmt):
                self.assertTrue(any(rx.search(line) for line in lines),
                                "the guide quotes no message of this format")

    def test_format_regex_can_fail(self):
        # A misquoted message is caught: the numbers must be numbers and
        # the fixed text must be there.
        rx = format_regex(FORMATS[0])
        self.assertRegex("m1 192.0.2.1: up -> down (3/3 failures, "
                         "last: HTTP 503 in 12 ms)", rx)
        self.assertNotRegex("m1 192.0.2.1: up -> down (three/3 failures, "
                            "last: HTTP 503 in 12 ms)", rx)
        self.assertNotRegex("m1 192.0.2.1: up -> down (3/3 failures, "
                            "last: HTTP 503)", rx)

    def test_every_ctl_command(self):
        for cmd in CTL_COMMANDS:
            with self.subTest(cmd=cmd):
                self.assertRegex(self.guide, r"mirrorpoolctl (--json )?%s\b"
                                 % cmd)
        for opt in DRAIN_OPTIONS:
            with self.subTest(opt=opt):
                self.assertRegex(self.guide, r"mirrorpoolctl drain [^\n]*%s"
                                 % opt)

    def test_every_config_key_in_guide_or_man_pages(self):
        if shutil.which("groff") is None:
            self.skipTest("groff is not installed")
        text = self.guide + " " + man_text()
        for section, keys in CONFIG_KEYS.items():
            for key in keys:
                with self.subTest(section=section, key=key):
                    self.assertRegex(text, r"\b%s\b" % re.escape(key))

    def test_internal_links(self):
        anchors = {slug(h) for h in
                   re.findall(r"^#+ (.*)$", self.guide, re.M)}
        links = re.findall(r"\]\(#([^)]+)\)", self.guide)
        self.assertGreater(len(links), 10)
        for link in links:
            with self.subTest(link=link):
                self.assertIn(link, anchors)

    def test_powerdns_section(self):
        # what a PowerDNS primary needs, and the unsigned-update warning
        m = re.search(r"^## 4b\. PowerDNS.*?(?=^## )", self.guide, re.M | re.S)
        self.assertIsNotNone(m, "no PowerDNS section")
        text = " ".join(m.group(0).split())
        for needle in ("launch=gsqlite3", "dnsupdate=yes",
                       "allow-dnsupdate-from", "ALLOW-DNSUPDATE-FROM",
                       "pdnsutil import-tsig-key mirrorpool hmac-sha256",
                       "pdnsutil set-meta example.org TSIG-ALLOW-DNSUPDATE "
                       "mirrorpool", "pdnsutil list-tsig-keys",
                       "bind backend"):
            with self.subTest(needle=needle):
                self.assertIn(needle, text)
        self.assertRegex(text, r"Without `TSIG-ALLOW-DNSUPDATE` PowerDNS "
                               r"accepts unsigned updates from every address")

    def test_no_secret_in_examples(self):
        # Key examples show the secret elided, never a real-looking one.
        self.assertNotRegex(self.guide, r'secret:? "?[A-Za-z0-9+/]{40,}=')


if __name__ == "__main__":
    unittest.main(verbosity=2)
