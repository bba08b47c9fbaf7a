"""What the end-to-end tests of mirrorpoold share (test_agent_dns.py,
test_agent_ops.py): the pool and its mirror addresses, waiting, and a
TestCase mixin that runs one primary per class, a mirror farm and the
agents of each test, and stops them all.

    class MyTest(AgentTestMixin, unittest.TestCase):
        @classmethod
        def make_server(cls):
            return Named(zone=ZONE, records={"dl": [("A", a) for a in ALL]})

    if __name__ == "__main__":
        main(["named", "dig", "nsupdate", "tsig-keygen", "curl"])
"""
import os
import re
import shutil
import sys
import time
import unittest

from .agent import Agent, have_programs, program
from .mirrors import MirrorFarm
from .proc import wait_for

ZONE = "example.org"
POOL = "dl.example.org."
M1, M2, M3, M4 = "127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14"
MIRRORS = [("mirror1", [M1]), ("mirror2", [M2]), ("mirror3", [M3])]
ALL = [M1, M2, M3]
RX_ZONE = r"example\.org\.?"
RX_POOL = r"dl\.example\.org\."


def rx(addr):
    return re.escape(addr)


def wait_until(pred, timeout, what, step=0.05):
    """Polls pred() until it is true (returns its value); a test failure
    after timeout seconds."""
    return wait_for(pred, timeout=timeout, step=step, what=what,
                    error=AssertionError)


class AgentTestMixin:
    """One primary per class (make_server), a MirrorFarm of
    farm_addresses per test, and self.agent() for the agents, all stopped
    after the test. A test fails when an agent did not exit 0 on SIGTERM
    or its log holds a sanitizer report; the log of every agent is shown
    when the test failed (always with MP_TEST_SHOW_LOGS set)."""

    farm_addresses = ALL
    agent_defaults = {}

    @classmethod
    def make_server(cls):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.make_server()
        cls.addClassCleanup(cls.srv.close)
        cls.srv.start()

    # -- per test ------------------------------------------------------
    def setUp(self):
        self.restart_server_if_down()
        self.farm = MirrorFarm(self.farm_addresses).start()
        self.addCleanup(self.farm.stop)
        self.agents = []
        self.set_rrset(ALL)

    def tearDown(self):
        problems = []
        failed = any(err for _, err in self._outcome_errors())
        for ag in self.agents:
            running = ag.alive()
            code = ag.stop()
            if running and code != 0:
                problems.append("mirrorpoold exited %s after SIGTERM" % code)
            reports = ag.sanitizer_reports()
            if reports:
                problems.append("sanitizer: %s" % reports[:3])
            if problems or failed or os.environ.get("MP_TEST_SHOW_LOGS"):
                sys.stderr.write("\n--- mirrorpoold log (%s) ---\n%s\n"
                                 % (self.id(), ag.tail(8000)))
            ag.close()
        # a test that stopped the primary must not leave it down
        self.restart_server_if_down()
        if problems:
            self.fail("; ".join(problems))

    def restart_server_if_down(self):
        if not self.srv.proc or not self.srv.proc.alive():
            self.srv.restart()

    def _outcome_errors(self):
        outcome = getattr(self, "_outcome", None)
        errs = getattr(outcome, "errors", None)
        if errs is not None:
            return errs
        result = getattr(outcome, "result", None)
        if result is None:
            return []
        return [(t, e) for t, e in result.errors + result.failures
                if getattr(t, "test_case", t) is self]

    def agent(self, start=True, env=None, **kw):
        """An Agent on this test's primary and farm (kw: Agent parameters
        over agent_defaults; env: extra environment), started unless
        start is false."""
        kw.setdefault("key_file", self.srv.key.path)
        kw.setdefault("dns_port", self.srv.port)
        kw.setdefault("server", self.srv.host)
        kw.setdefault("mirrors", MIRRORS)
        kw.setdefault("url", self.farm.url())
        for k, v in self.agent_defaults.items():
            kw.setdefault(k, v)
        ag = Agent(**kw)
        ag.env = env
        self.agents.append(ag)
        if start:
            ag.start()
        return ag

    # -- DNS -----------------------------------------------------------
    def set_rrset(self, addrs, rtype="A"):
        """Puts the pool's RRset into a known state with nsupdate."""
        cmds = ["update delete %s %s" % (POOL, rtype)]
        cmds += ["update add %s 60 %s %s" % (POOL, rtype, a) for a in addrs]
        rc, out = self.srv.nsupdate(cmds)
        self.assertEqual(rc, 0, "nsupdate failed: " + out)
        self.assertEqual(self.dig(), sorted(addrs))

    def dig(self, rtype="A"):
        return self.srv.dig(POOL, rtype)

    def serial(self):
        soa = self.srv.dig(ZONE, "SOA")
        self.assertEqual(len(soa), 1, soa)
        return int(soa[0].split()[2])

    def wait_dig(self, addrs, timeout=10.0):
        """Waits until dig shows addrs; returns the seconds it took."""
        want = sorted(addrs)
        seen = []
        t0 = time.monotonic()

        def match():
            got = self.dig()
            seen.append(got)
            return got == want

        try:
            wait_until(match, timeout, "dig %s A == %s" % (POOL, want))
        except AssertionError:
            raise AssertionError("dig never showed %s; last answers: %s"
                                 % (want, seen[-3:]))
        return time.monotonic() - t0

    def settle(self, ag, want, timeout=10.0):
        """Waits until the agent publishes want and DNS holds it: a sync
        (its read waits for any UPDATE in flight), then status and dig."""
        want = sorted(want)

        def settled():
            rc, out, err = ag.ctl("sync")
            self.assertEqual(rc, 0, out + err)
            rr = ag.rrset("A")
            return (sorted(rr["published"]) == want and
                    sorted(rr["in_dns"] or []) == want and
                    self.dig() == want)

        wait_until(settled, timeout, "agent and DNS settled on %s" % want,
                   step=0.2)

    # -- the agent's log and the mirrors -------------------------------
    @staticmethod
    def changes(ag, start=None):
        """(added, removed) over every successful UPDATE in the log."""
        added, removed = set(), set()
        for m in ag.find_log(r"^<\d>UPDATE \S+: \S+ A ((?:[-+][0-9.]+ ?)+) "
                             r"\(NOERROR", start=start):
            for item in m.group(1).split():
                (added if item[0] == "+" else removed).add(item[1:])
        return added, removed

    @staticmethod
    def lines(ag, regex, start=None):
        return [m.group(0) for m in ag.find_log(regex, start=start)]

    def prove_http(self, addr, status):
        code, body = self.farm.curl(addr)
        self.assertEqual(code, status, "curl to %s: %s" % (addr, body))


def main(tools):
    """unittest.main, or exit 77 (skip) when mirrorpoold is not built or
    one of tools is not installed."""
    if not have_programs():
        print("SKIP: %s is not built" % program("mirrorpoold"))
        sys.exit(77)
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        print("SKIP: missing %s" % ", ".join(missing))
        sys.exit(77)
    unittest.main(module="__main__", verbosity=2)
