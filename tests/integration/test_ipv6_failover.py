#!/usr/bin/env python3
"""AAAA failover end to end: a mirror with one IPv4 and three IPv6
addresses (and a second mirror), real HTTP mirrors, BIND and mirrorpoold,
all inside a network namespace this test makes (`ip netns add`, the IPv6
addresses on its own lo), so the host's interfaces are untouched. One IPv6
address fails: it leaves the AAAA RRset, the mirror's other IPv6
addresses stay, and its A record stays; when it recovers it comes back.

The script runs twice: outside, as root, it makes the namespace, runs
itself inside it (`ip netns exec`) and always deletes the namespace; the
inner run is the test. Skips (77) without root or iproute2, or when the
kernel will not make a namespace."""

import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mplib import SKIP  # noqa: E402
from mplib.agent import Agent, have_programs, program  # noqa: E402
from mplib.agenttest import POOL, RX_POOL, RX_ZONE, ZONE, rx  # noqa: E402
from mplib.agenttest import wait_until  # noqa: E402
from mplib.mirrors import MirrorFarm  # noqa: E402
from mplib.named import Named  # noqa: E402

INNER = "--in-namespace"
V4_1, V4_2 = "127.0.0.11", "127.0.0.12"
V6_1 = ["2001:db8:1::11", "2001:db8:1::12", "2001:db8:1::13"]
V6_2 = ["2001:db8:1::21"]
FAILS = V6_1[1]
MIRRORS = [("mirror1", [V4_1] + V6_1), ("mirror2", [V4_2] + V6_2)]
V4 = [V4_1, V4_2]
V6 = V6_1 + V6_2


def ip(*args):
    return subprocess.run(["ip"] + list(args), capture_output=True,
                          text=True, timeout=20)


class AaaaFailoverTest(unittest.TestCase):

    def setUp(self):
        self.srv = Named(zone=ZONE, records={
            "dl": [("A", a) for a in V4] + [("AAAA", a) for a in V6]})
        self.addCleanup(self.srv.close)
        self.srv.start()
        self.farm = MirrorFarm(V4 + V6).start()
        self.addCleanup(self.farm.stop)

    def dig(self, rtype):
        return self.srv.dig(POOL, rtype)

    def test_one_v6_address_fails_its_a_record_stays(self):
        # the addresses exist here, on this namespace's lo only
        out = ip("-6", "addr", "show", "dev", "lo").stdout
        for a in V6:
            self.assertIn(a + "/128", out)
        self.assertEqual(self.dig("A"), sorted(V4))
        self.assertEqual(self.dig("AAAA"), sorted(V6))
        ag = Agent(dns_port=self.srv.port, key_file=self.srv.key.path,
                   mirrors=MIRRORS, url=self.farm.url())
        self.addCleanup(ag.close)
        ag.start()
        for a in V4 + V6:
            ag.wait_log(r"mirror\d %s: starts up \(present in DNS\)" % rx(a),
                        start=0)
        rc, out, err = ag.ctl("check")
        self.assertEqual(rc, 0, out + err)
        for a in V4 + V6:
            code, body = self.farm.curl(a)
            self.assertEqual(code, 200, "%s: %s" % (a, body))

        ag.mark()
        self.farm.set_mode(FAILS, "503")
        code, body = self.farm.curl(FAILS)
        self.assertEqual(code, 503, body)
        ag.wait_log(r"^<4>mirror1 %s: up -> down \(2/2 failures, last: HTTP "
                    r"503 in \d+ ms\)$" % rx(FAILS))
        ag.wait_log(r"^<5>UPDATE %s: %s AAAA -%s \(NOERROR in \d+ ms\)$"
                    % (RX_ZONE, RX_POOL, rx(FAILS)))
        want6 = sorted(set(V6) - {FAILS})
        wait_until(lambda: self.dig("AAAA") == want6, 10,
                   "dig AAAA == %s" % want6)
        # the same mirror's A record and its other IPv6 addresses stay
        self.assertEqual(self.dig("A"), sorted(V4))
        self.assertEqual(ag.find_log(r"^<\d>UPDATE %s: %s A " % (RX_ZONE,
                                                                 RX_POOL)),
                         [])
        st = ag.status()["pools"][0]["rrsets"]
        self.assertEqual(sorted(st["AAAA"]["published"]), want6)
        self.assertEqual(sorted(st["A"]["published"]), sorted(V4))
        # the failed address is still checked, and comes back
        ag.mark()
        self.farm.set_mode(FAILS, "ok")
        ag.wait_log(r"^<5>UPDATE %s: %s AAAA \+%s \(NOERROR in \d+ ms\)$"
                    % (RX_ZONE, RX_POOL, rx(FAILS)), timeout=15)
        wait_until(lambda: self.dig("AAAA") == sorted(V6), 10,
                   "dig AAAA == all")
        self.assertEqual(self.dig("A"), sorted(V4))
        self.assertEqual(ag.stop(), 0)
        self.assertEqual(ag.sanitizer_reports(), [])


def outside():
    """Makes the namespace, runs the test in it, deletes it."""
    if os.geteuid() != 0:
        print("SKIP: a network namespace needs root")
        return SKIP
    if os.environ.get("MP_QUICK") == "1":
        print("SKIP: MP_QUICK=1")
        return SKIP
    ns = "mp-aaaa-%d" % os.getpid()
    r = ip("netns", "add", ns)
    if r.returncode != 0:
        print("SKIP: ip netns add: %s" % r.stderr.strip())
        return SKIP
    try:
        steps = [("link", "set", "lo", "up")] + [
            ("addr", "add", a + "/128", "dev", "lo", "nodad") for a in V6]
        for s in steps:
            r = ip("-n", ns, *s)
            if r.returncode != 0:
                print("ip -n %s %s: %s" % (ns, " ".join(s), r.stderr))
                return 99
        t0 = time.monotonic()
        rc = subprocess.call(["ip", "netns", "exec", ns, sys.executable,
                              os.path.abspath(__file__), INNER],
                             timeout=300)
        print("in namespace %s: exit %d after %.1f s"
              % (ns, rc, time.monotonic() - t0))
        return rc
    finally:
        r = ip("netns", "delete", ns)
        if r.returncode != 0:
            print("ip netns delete %s: %s" % (ns, r.stderr))
        # gone: the host keeps no trace of the test's addresses
        if ns in ip("netns", "list").stdout:
            print("namespace %s left behind" % ns)
            sys.exit(99)


if __name__ == "__main__":
    if INNER not in sys.argv:
        if not have_programs():
            print("SKIP: %s is not built" % program("mirrorpoold"))
            sys.exit(SKIP)
        sys.exit(outside())
    sys.argv.remove(INNER)
    unittest.main(module="__main__", verbosity=2)
