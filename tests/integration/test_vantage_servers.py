#!/usr/bin/env python3
"""Several vantage points on Knot and PowerDNS primaries, each set up from
the operator guide's own text (section 13: Knot's ACL block, PowerDNS's
lua-dnsupdate-policy-script line and Lua script, taken verbatim from
docs/operator-guide.md), with the guide's names: zone example.org, views
under _mirrorpool.example.org., the writer ams1 (key mirrorpool) and the
observer nyc1 (key obs-nyc1); sgp1's key (obs-sgp1) is configured but no
agent uses it.

For each server:
  - the two agents, each with its own key, reach one decision through it:
    a mirror failing for one of them stays (1/2 down), failing for both it
    leaves by quorum 2/2, and comes back when both see it again;
  - the fences hold, and the refusal is shown, not only inferred from an
    unchanged zone: Knot answers NOTAUTH(BADKEY) and logs "ACL, denied"
    naming the key; PowerDNS 4.7 answers NOERROR but drops the record and
    logs "Refusing update ... Not permitted by policy" (the guide says so);
  - PowerDNS's hole the guide warns of: an unsigned UPDATE is judged by
    the key name of the signed message before it (and the metadata way
    the guide offers instead refuses it).
"""

import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mplib.agent import have_programs  # noqa: E402
from mplib.pdns import Pdns  # noqa: E402
from mplib.tools import require  # noqa: E402
from mplib.vantage import (VantageKnot, VantagePdns,  # noqa: E402
                           fault_mirrors, stop_mirrors,
                           vantage_agent)

ZONE = "example.org"
VIEWS = "_mirrorpool.example.org."
DL = "dl.example.org."
SOURCE = {"ams1": "127.0.0.21", "nyc1": "127.0.0.22"}
M1, M2 = "127.0.0.11", "127.0.0.12"
BOGUS = "192.0.2.99"

W = {}


def setUpModule():
    if not have_programs():
        raise unittest.SkipTest("mirrorpoold is not built")
    require("knotd", "keymgr", "pdns_server", "pdnsutil", "tsig-keygen",
            "dig", "nsupdate")
    fault_mirrors(W, M1, M2)


def tearDownModule():
    stop_mirrors(W)


class VantageServerMixin:
    """Subclasses: server_cls and the refusal checks."""

    server_cls = None

    @classmethod
    def setUpClass(cls):
        W["m2"].fail_from.clear()
        cls.ns = cls.server_cls(zone=ZONE,
                                records={"dl": [("A", M1), ("A", M2)]})
        cls.ns.start()
        cls.agents = {}
        try:
            for node in SOURCE:
                cls.agents[node] = cls.agent(node)
                cls.agents[node].start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        W["m2"].fail_from.clear()
        reports = []
        for a in cls.agents.values():
            a.stop()
            reports += a.sanitizer_reports()
        cls.ns.close()
        assert reports == [], reports

    @classmethod
    def agent(cls, node):
        return vantage_agent(
            cls.ns, node, list(SOURCE), VIEWS, [("m1", [M1]), ("m2", [M2])],
            "http://mirror.example:%d/ok/trace" % W["m1"].port, SOURCE[node])

    # -- helpers ---------------------------------------------------------
    def pool(self):
        return self.ns.dig(DL, "A")

    def view(self, node):
        return " ".join(self.ns.dig(node + "." + VIEWS, "TXT"))

    def wait(self, what, fn, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if fn():
                return
            time.sleep(0.1)
        self.fail("%s within %.1f s; writer log:\n%s\nserver log:\n%s"
                  % (what, timeout, self.agents["ams1"].tail(),
                     self.ns.log_text()[-3000:]))

    def wait_view(self, node, verdict):
        self.wait("%s's view says %s=%s" % (node, M2, verdict),
                  lambda: "%s=%s" % (M2, verdict) in self.view(node))

    def fail_from(self, *nodes):
        W["m2"].fail_only(SOURCE[n] for n in nodes)

    def mark(self):
        """The server's log from here on: log_since(mark)."""
        return len(self.ns.log_text())

    def log_since(self, mark):
        return self.ns.log_text()[mark:]

    def update(self, node, *commands):
        return self.ns.nsupdate(list(commands), key=self.ns.node_keys[node])

    # -- the decision ----------------------------------------------------
    def test_one_decision_from_two_keys(self):
        for n in SOURCE:
            self.wait_view(n, "up")
        self.assertRegex(self.view("ams1"), r'"mpv1 t=\d{13} p=1/1"')
        w = self.agents["ams1"]
        w.mark()
        self.fail_from("ams1")
        self.wait_view("ams1", "down")
        w.wait_log(r"m2 127\.0\.0\.12: stays up: 1/2 down, quorum 2 "
                   r"\(ams1 down, nyc1 up\)")
        self.assertEqual(self.pool(), sorted([M1, M2]))
        self.fail_from("ams1", "nyc1")
        self.wait("m2 out of the pool", lambda: self.pool() == [M1])
        w.wait_log(r"m2 127\.0\.0\.12: down by quorum 2/2 \(ams1 down, "
                   r"nyc1 down\)")
        self.fail_from()
        self.wait("m2 back", lambda: self.pool() == sorted([M1, M2]))
        w.wait_log(r"m2 127\.0\.0\.12: up by quorum 2/2 \(ams1 up, "
                   r"nyc1 up\)")
        st = w.status()["vantage"]
        self.assertEqual(st["fresh"], 2, st)
        # neither agent was ever turned away (a timeout under load is no
        # refusal)
        for a in self.agents.values():
            self.assertEqual(a.find_log(r"REFUSED|NOTAUTH|BADKEY|not "
                                        r"allowed", start=0), [], a.tail())

    # -- the fences ------------------------------------------------------
    def test_fences(self):
        for n in SOURCE:
            self.wait_view(n, "up")
        before = {"pool": self.pool(), "ams1": self.view("ams1")}
        attempts = [
            # an observer's key: the pool, the writer's view, another
            # observer's view
            ("nyc1", DL, "A", ["update add %s 60 A %s" % (DL, BOGUS)]),
            ("nyc1", "ams1." + VIEWS, "TXT",
             ["update delete ams1.%s TXT" % VIEWS,
              'update add ams1.%s 60 TXT "mpv1 t=1 p=1/1" "%s=down"'
              % (VIEWS, M2)]),
            ("nyc1", "sgp1." + VIEWS, "TXT",
             ['update add sgp1.%s 60 TXT "forged"' % VIEWS]),
            # the writer's key: its names, but not each other's types
            ("ams1", DL, "TXT", ['update add %s 60 TXT "forged"' % DL]),
            ("ams1", "ams1." + VIEWS, "A",
             ["check-names no",  # nsupdate's own "bad owner" check
              "update add ams1.%s 60 A %s" % (VIEWS, BOGUS)]),
        ]
        for node, name, rtype, commands in attempts:
            with self.subTest(key=node, name=name, type=rtype):
                mark = self.mark()
                rc, out = self.update(node, *commands)
                self.assert_refused(node, name, rtype, rc, out, mark)
        self.assertEqual(self.pool(), before["pool"])
        self.assertNotIn("forged", self.view("sgp1"))
        self.assertEqual(self.ns.dig(DL, "TXT"), [])
        self.assertEqual(self.ns.dig("ams1." + VIEWS, "A"), [])
        # the writer's view is the agent's own, not the forged one
        self.assertIn("%s=up" % M2, self.view("ams1"))
        self.assertNotIn('"mpv1 t=1 p=1/1"', self.view("ams1"))

    def assert_refused(self, node, name, rtype, rc, out, mark):
        raise NotImplementedError


class KnotVantageTest(VantageServerMixin, unittest.TestCase):
    server_cls = VantageKnot

    def assert_refused(self, node, name, rtype, rc, out, mark):
        key = self.ns.node_keys[node].name
        self.assertNotEqual(rc, 0, out)
        self.assertIn("update failed: NOTAUTH(BADKEY)", out)
        # the agents' own updates go on meanwhile: none of them is denied
        denied = re.findall(r"ACL, denied, .*", self.log_since(mark))
        self.assertEqual(len(denied), 1, denied)
        self.assertRegex(denied[0], r"^ACL, denied, action update, remote "
                         r"127\.0\.0\.1@\d+, key '%s\.'$" % key)

    def test_writer_key_one_rule_per_update(self):
        # Knot wants one rule that allows every record of an UPDATE: the
        # writer's pool and view changes, each allowed alone, are refused
        # together (mirrorpool sends them apart)
        mark = self.mark()
        rc, out = self.update(
            "ams1", "update add %s 60 A %s" % (DL, BOGUS),
            'update add ams1.%s 60 TXT "x"' % VIEWS)
        self.assert_refused("ams1", DL, "A", rc, out, mark)
        self.assertNotIn(BOGUS, self.pool())


class PdnsVantageTest(VantageServerMixin, unittest.TestCase):
    server_cls = VantagePdns

    def assert_refused(self, node, name, rtype, rc, out, mark):
        # PowerDNS 4.7 drops what the policy refuses and answers NOERROR
        self.assertEqual(rc, 0, out)
        self.assertNotIn("update failed", out)
        log = self.log_since(mark)
        m = re.search(r"UPDATE \((\d+)\) from 127\.0\.0\.1 for "
                      r"example\.org: Refusing update for %s/%s: Not "
                      r"permitted by policy" % (re.escape(name.rstrip(".")),
                                                rtype), log)
        self.assertTrue(m, log)
        # that UPDATE changed nothing (the agents' own go on meanwhile)
        self.assertNotRegex(log, r"UPDATE \(%s\) .*(Adding|Deleting) "
                            r"record" % m.group(1))

    def test_refused_part_dropped_allowed_part_applied(self):
        # sgp1's key (no agent uses it): its own view and the pool in one
        # UPDATE; NOERROR, the view is written, the address is not
        mark = self.mark()
        rc, out = self.update("sgp1", 'update add sgp1.%s 60 TXT "x"'
                              % VIEWS, "update add %s 60 A %s" % (DL, BOGUS))
        self.assertEqual(rc, 0, out)
        log = self.log_since(mark)
        self.assertIn("Refusing update for dl.example.org/A: Not permitted "
                      "by policy", log)
        self.assertEqual(self.ns.dig("sgp1." + VIEWS, "TXT"), ['"x"'])
        self.assertNotIn(BOGUS, self.pool())


class PdnsUnsignedTest(unittest.TestCase):
    """What the guide says of an unsigned UPDATE under the Lua policy: with
    no signed message before it the script sees no key and it is dropped;
    right after a signed message it is judged by that message's key name
    (PowerDNS 4.7 reuses the UDP packet). No agents here, so that no
    other signed message comes in between."""

    @classmethod
    def setUpClass(cls):
        cls.ns = VantagePdns(zone=ZONE, records={"dl": [("A", M1)]})
        cls.ns.start()

    @classmethod
    def tearDownClass(cls):
        cls.ns.close()

    def unsigned(self, address):
        mark = len(self.ns.log_text())
        r = subprocess.run(
            ["nsupdate", "-t", "3"], capture_output=True, text=True,
            timeout=20,
            input="server 127.0.0.1 %d\nupdate add %s 60 A %s\nsend\n"
            % (self.ns.port, DL, address))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return self.ns.log_text()[mark:]

    def test_unsigned_update(self):
        # nothing signed yet: dropped
        log = self.unsigned("192.0.2.1")
        self.assertIn("Refusing update for dl.example.org/A: Not permitted "
                      "by policy", log)
        # after an observer's signed query: judged as obs-nyc1, dropped
        self.ns.dig(DL, "A", key=self.ns.node_keys["nyc1"])
        log = self.unsigned("192.0.2.2")
        self.assertIn("Refusing update for dl.example.org/A", log)
        self.assertEqual(self.ns.dig(DL, "A"), [M1])
        # after the writer's signed query: judged as the writer's, applied
        self.ns.dig(DL, "A", key=self.ns.key)
        log = self.unsigned("192.0.2.3")
        self.assertNotIn("Refusing update", log)
        self.assertIn("Adding record dl.example.org|A", log)
        self.assertEqual(self.ns.dig(DL, "A"), sorted([M1, "192.0.2.3"]))


class PdnsMetadataUnsignedTest(unittest.TestCase):
    """The guide's other way on PowerDNS, the zone's TSIG-ALLOW-DNSUPDATE
    without a script: an unsigned UPDATE right after a signed message is
    still refused (REFUSED, "TSIG key required")."""

    def test_unsigned_update_after_signed_refused(self):
        with Pdns(zone=ZONE, records={"dl": [("A", M1)]}) as ns:
            ns.dig(DL, "A", key=ns.key)
            mark = len(ns.log_text())
            r = subprocess.run(
                ["nsupdate", "-t", "3"], capture_output=True, text=True,
                timeout=20,
                input="server 127.0.0.1 %d\nupdate add %s 60 A %s\nsend\n"
                % (ns.port, DL, BOGUS))
            self.assertIn("update failed: REFUSED", r.stdout + r.stderr)
            self.assertIn("TSIG key required, but packet does not contain "
                          "key. Sending REFUSED", ns.log_text()[mark:])
            self.assertEqual(ns.dig(DL, "A"), [M1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
