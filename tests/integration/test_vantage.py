#!/usr/bin/env python3
"""Several vantage points against a real BIND primary on loopback: a writer
(ams1) and two observers (nyc1, sgp1), each checking from its own source
address (127.0.0.21/.22/.23), each publishing its view as TXT at
<node>._mp.example.org with its own key, and a mirror that fails for some
source addresses only (the fault server's fail_from).

Per-node keys with BIND's update-policy: the writer's key may change the
pool and its own view, an observer's key its own view only."""

import os
import shutil
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mplib.agent import have_programs  # noqa: E402
from mplib.vantage import (VantageNamed, fault_mirrors,  # noqa: E402
                           stop_mirrors, vantage_agent)

ZONE = "example.org"
VIEWS = "_mp.example.org."
NODES = ("ams1", "nyc1", "sgp1")
SOURCE = {"ams1": "127.0.0.21", "nyc1": "127.0.0.22", "sgp1": "127.0.0.23"}
M1, M2 = "127.0.0.11", "127.0.0.12"
MAX_AGE = 4.0
PUBLISH = 0.5


def needs():
    if not have_programs():
        return "mirrorpoold is not built"
    for p in ("named", "dig", "nsupdate"):
        if shutil.which(p) is None:
            return "%s is not installed" % p
    return None


W = {}


def setUpModule():
    why = needs()
    if why:
        raise unittest.SkipTest(why)
    fault_mirrors(W, M1, M2)


def tearDownModule():
    stop_mirrors(W)


class VantageTest(unittest.TestCase):
    fallback = "local"

    def setUp(self):
        for fs in (W["m1"], W["m2"]):
            fs.fail_from.clear()
        self.ns = VantageNamed(views=VIEWS, nodes=NODES,
                          records={"dl": [("A", M1), ("A", M2)]})
        self.ns.start()
        self.agents = {}
        for n in NODES:
            self.agents[n] = self.agent(n)
        for n in NODES:
            self.agents[n].start()

    def tearDown(self):
        for a in self.agents.values():
            a.stop()
            reports = a.sanitizer_reports()
            self.assertEqual(reports, [], a.tail())
        self.ns.close()

    def agent(self, node, fallback=None):
        return vantage_agent(
            self.ns, node, NODES, VIEWS, [("m1", [M1]), ("m2", [M2])],
            "http://mirror.example:%d/ok/trace" % W["m1"].port, SOURCE[node],
            max_age_ms=MAX_AGE * 1000, publish_ms=PUBLISH * 1000,
            fallback=fallback or self.fallback)

    # -- helpers ---------------------------------------------------------
    def pool(self):
        return self.ns.dig("dl." + ZONE, "A")

    def view(self, node):
        return " ".join(self.ns.dig(node + "." + VIEWS, "TXT"))

    def wait(self, what, fn, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v = fn()
            if v:
                return v
            time.sleep(0.1)
        self.fail("%s within %.1f s; writer log:\n%s"
                  % (what, timeout, self.agents["ams1"].tail()))

    def wait_view(self, node, addr, verdict, timeout=10):
        return self.wait("%s's view says %s=%s" % (node, addr, verdict),
                         lambda: "%s=%s" % (addr, verdict) in self.view(node),
                         timeout)

    def writer_votes(self, addr=M2):
        """The fresh votes the writer holds on addr: {node: verdict}."""
        for p in self.agents["ams1"].status()["pools"]:
            for m in p["mirrors"]:
                for a in m["addresses"]:
                    if a["address"] == addr:
                        return {v["node"]: v["vote"] for v in a["votes"]
                                if not v["stale"]}
        return {}

    def wait_writer_votes(self, **votes):
        """Waits until the writer holds these votes on m2: a view in DNS
        is not yet a view the writer has read, and a test that changes
        the next fault before then races the writer's reads."""
        return self.wait("the writer's votes on m2 are %s" % votes,
                         lambda: self.writer_votes() == votes, 10)

    def writer_log(self, regex, timeout=10.0, start=None):
        """Waits for regex in the writer's log (from start, by default its
        mark); a failure shows the whole log, before the mark too."""
        w = self.agents["ams1"]
        try:
            return w.wait_log(regex, timeout, start)
        except AssertionError as e:
            self.fail("%s\nthe writer's whole log:\n%s" % (e, w.tail(20000)))

    def fail_from(self, *nodes):
        W["m2"].fail_only(SOURCE[n] for n in nodes)


class QuorumTest(VantageTest):
    def test_views_are_published(self):
        for n in NODES:
            self.wait_view(n, M2, "up")
        txt = self.view("nyc1")
        self.assertRegex(txt, r'"mpv1 t=\d{13} p=1/1"')
        self.assertEqual(self.pool(), sorted([M1, M2]))
        # each node checks from its own address
        self.wait("every vantage point asked m2",
                  lambda: W["m2"].sources("/ok/trace") >= set(
                      SOURCE.values()), 10)
        st = self.agents["ams1"].status()
        self.assertEqual(st["vantage"]["node"], "ams1")
        self.assertEqual(st["vantage"]["fresh"], 3)

    def test_one_vantage_point_is_not_enough(self):
        self.wait_writer_votes(ams1="up", nyc1="up", sgp1="up")
        w = self.agents["ams1"]
        w.mark()
        self.fail_from("nyc1")
        self.wait_view("nyc1", M2, "down")
        self.writer_log(r"m2 127\.0\.0\.12: stays up: 1/3 down, quorum 2 "
                        r"\(ams1 up, nyc1 down, sgp1 up\)")
        time.sleep(2 * PUBLISH + 1)
        self.assertEqual(self.pool(), sorted([M1, M2]))
        self.assertEqual(w.find_log(r"UPDATE example\.org"), [])

    def test_two_vantage_points_take_it_out_and_back(self):
        self.wait_writer_votes(ams1="up", nyc1="up", sgp1="up")
        w = self.agents["ams1"]
        w.mark()
        t0 = time.monotonic()
        self.fail_from("nyc1", "ams1")
        self.wait("m2 out of the pool", lambda: self.pool() == [M1], 15)
        took = time.monotonic() - t0
        self.writer_log(r"m2 127\.0\.0\.12: down by quorum 2/3 \(ams1 down, "
                        r"nyc1 down, sgp1 up\)")
        # fall (2) checks 200 ms apart after the first failure (up to an
        # interval away), then one publication and one read of the views
        self.assertLess(took, 0.5 + 2 * 0.2 + 0.4 * 2 + 2 * PUBLISH + 2.0)
        print("\n  quorum 2/3 removal after %.2f s" % took, file=sys.stderr)
        # all three see it fail, then one recovers: not enough
        w.mark()
        self.fail_from("nyc1", "ams1", "sgp1")
        self.writer_log(r"m2 127\.0\.0\.12: stays down: 0/3 up, quorum 2 "
                        r"\(ams1 down, nyc1 down, sgp1 down\)")
        w.mark()
        self.fail_from("ams1", "sgp1")
        self.wait_view("nyc1", M2, "up")
        self.writer_log(r"m2 127\.0\.0\.12: stays down: 1/3 up, quorum 2 "
                        r"\(ams1 down, nyc1 up, sgp1 down\)")
        self.assertEqual(self.pool(), [M1])
        # a second one too: back
        t0 = time.monotonic()
        self.fail_from("sgp1")
        self.wait("m2 back", lambda: self.pool() == sorted([M1, M2]), 15)
        print("  quorum 2/3 restore after %.2f s" % (time.monotonic() - t0),
              file=sys.stderr)
        self.writer_log(r"m2 127\.0\.0\.12: up by quorum 2/3 \(ams1 up, nyc1 "
                        r"up, sgp1 down\)")

    def test_observer_keys_are_limited(self):
        key = self.ns.node_keys["nyc1"]
        rc, out = self.ns.nsupdate(
            ["update add dl.%s. 60 A 192.0.2.99" % ZONE], key=key)
        self.assertNotEqual(rc, 0)
        self.assertIn("REFUSED", out)
        rc, out = self.ns.nsupdate(
            ['update add sgp1.%s 60 TXT "mpv1 t=1 p=1/1"' % VIEWS], key=key)
        self.assertNotEqual(rc, 0)
        self.assertIn("REFUSED", out)
        # its own name it may change (the grant is not simply broken)
        rc, out = self.ns.nsupdate(
            ['update add nyc1.%s 60 TXT "x"' % VIEWS], key=key)
        self.assertEqual(rc, 0, out)
        self.assertNotIn("192.0.2.99", self.pool())

    def test_killed_observer_goes_stale(self):
        self.wait_writer_votes(ams1="up", nyc1="up", sgp1="up")
        w = self.agents["ams1"]
        self.agents["sgp1"].proc.popen.send_signal(signal.SIGKILL)
        self.agents["sgp1"].proc.popen.wait()

        def stale():
            nodes = {x["node"]: x for x in w.status()["vantage"]["nodes"]}
            return nodes["sgp1"]["stale"] and not nodes["nyc1"]["stale"]
        t0 = time.monotonic()
        self.wait("sgp1's view stale", stale, MAX_AGE + 5)
        self.assertGreater(time.monotonic() - t0, 0.5)
        rc, out, err = w.ctl("status")
        self.assertIn("sgp1", out)
        self.assertIn("(stale)", out)
        rc, out, err = w.ctl("metrics")
        self.assertRegex(out, r'mirrorpool_view_age_seconds\{node="sgp1"\}')
        # two fresh of quorum 2: m2 failing for ams1 and nyc1 goes
        self.fail_from("ams1", "nyc1")
        self.wait("m2 out", lambda: self.pool() == [M1], 15)
        self.writer_log(r"down by quorum 2/3 \(ams1 down, nyc1 down, sgp1 "
                        r"stale\)", start=0)

    def test_writer_restart_without_churn(self):
        self.fail_from("nyc1", "ams1")
        self.wait("m2 out", lambda: self.pool() == [M1], 15)
        w = self.agents["ams1"]
        w.stop()
        w.start()
        w.mark()
        time.sleep(3)
        self.assertEqual(self.pool(), [M1])
        self.assertEqual(w.find_log(r"UPDATE example\.org"), [])


class FallbackTest(VantageTest):
    def lose_observers(self):
        self.wait_writer_votes(ams1="up", nyc1="up", sgp1="up")
        self.agents["ams1"].mark()
        for n in NODES[1:]:
            self.agents[n].stop()

    def test_local_decides_alone(self):
        self.lose_observers()
        w = self.agents["ams1"]
        self.writer_log(r"vantage: quorum lost: 1 of 3 nodes have a fresh "
                        r"view, quorum is 2; deciding by the fresh votes "
                        r"alone \(fallback local\)", timeout=MAX_AGE + 5)
        self.fail_from("ams1")
        self.wait("m2 out", lambda: self.pool() == [M1], 15)
        self.writer_log(r"m2 127\.0\.0\.12: down by the fresh votes alone 1/3 "
                        r"\(ams1 down, nyc1 stale, sgp1 stale\)")
        # said once
        self.assertEqual(len(w.find_log(r"quorum lost")), 1)

    def test_freeze_removes_nothing(self):
        w = self.agents["ams1"]
        w.stop()
        self.agents["ams1"] = w = self.agent("ams1", fallback="freeze")
        w.start()
        self.lose_observers()
        self.writer_log(r"no address is removed \(fallback freeze",
                        timeout=MAX_AGE + 5)
        self.fail_from("ams1")
        self.writer_log(r"m2 127\.0\.0\.12: kept up: 1/3 down, but only 1 "
                        r"of 3 views fresh \(fallback freeze\)")
        time.sleep(2)
        self.assertEqual(self.pool(), sorted([M1, M2]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
