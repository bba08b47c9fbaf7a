#!/usr/bin/env python3
"""Weighted rotation (pool.rotate) end to end: four HTTP mirrors on
loopback, a real BIND primary and mirrorpoold with max_published = 2 and a
short rotate interval. dig is polled throughout, so every published set is
seen: successive UPDATEs change the set, a failed or drained mirror is never
in it, and two changes are never closer than update.min_interval.

Weights 100, 50, 25, 25 for two places: mirror1's share would be 1.0, so it
is always in and the second place rotates among the others (0.5, 0.25,
0.25)."""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mplib.agenttest import (M1, M2, M3, M4, AgentTestMixin,  # noqa: E402
                             main, rx)
from mplib.named import Named  # noqa: E402

FOUR = [M1, M2, M3, M4]
WEIGHTED = [("mirror1", [M1], {"weight": 100}),
            ("mirror2", [M2], {"weight": 50}),
            ("mirror3", [M3], {"weight": 25}),
            ("mirror4", [M4], {"weight": 25})]
MIN_INTERVAL = 2.0


class RotateTest(AgentTestMixin, unittest.TestCase):
    farm_addresses = FOUR

    @classmethod
    def make_server(cls):
        return Named(zone="example.org",
                     records={"dl": [("A", a) for a in (M1, M2)]})

    def setUp(self):
        super().setUp()
        self.set_rrset([M1, M2])

    def rotating_agent(self):
        return self.agent(mirrors=WEIGHTED, max_published=2, rotate="1s",
                          min_interval="%gs" % MIN_INTERVAL)

    def watch(self, seconds):
        """Polls dig for seconds; returns [(earliest, latest, answer)] for
        every change of the answer (the first answer included): the change
        happened after `earliest` (the start of the poll before) and
        before `latest` (the end of the poll that saw it)."""
        changes = []
        prev_start = time.monotonic()
        deadline = prev_start + seconds
        while time.monotonic() < deadline:
            start = time.monotonic()
            got = tuple(self.dig())
            end = time.monotonic()
            if not changes or changes[-1][2] != got:
                changes.append((prev_start, end, got))
            prev_start = start
            time.sleep(0.05)
        return changes

    def assert_rotation(self, changes, never=()):
        sets = [c[2] for c in changes]
        for s in sets:
            self.assertEqual(len(s), 2, "published %s" % (s,))
            for a in never:
                self.assertNotIn(a, s, "published %s: %s" % (a, sets))
        self.assertGreaterEqual(len(set(sets)), 2,
                                "the published set never changed: %s"
                                % sets)
        # the longest each gap between two changes can have been, given
        # when the polls around them ran (dig is slow on a loaded machine):
        # shorter than min_interval proves the rate limit was broken
        gaps = [b[1] - a[0] for a, b in zip(changes[1:], changes[2:])]
        self.assertTrue(all(g >= MIN_INTERVAL for g in gaps),
                        "changes closer than min_interval: %s" % gaps)

    def test_rotates_within_rate_limit(self):
        ag = self.rotating_agent()
        changes = self.watch(16)
        self.assert_rotation(changes)
        # mirror1's share exceeds 1: in every set
        for _, _, s in changes:
            self.assertIn(M1, s)
        updates = self.lines(ag, r"^<\d>UPDATE .* \(NOERROR")
        self.assertGreaterEqual(len(updates), len(changes) - 1, ag.tail())

    def test_failed_mirror_never_published(self):
        ag = self.rotating_agent()
        # absent from DNS at start, mirror3 is down until its checks pass
        ag.wait_log(r"mirror3 %s: down -> up" % rx(M3), timeout=10,
                    start=0)
        self.farm.set_mode(M3, "503")
        self.prove_http(M3, 503)
        ag.wait_log(r"mirror3 %s: up -> down" % rx(M3), timeout=10)
        # past the UPDATE that takes it out, if it was in
        time.sleep(MIN_INTERVAL + 0.5)
        changes = self.watch(14)
        self.assert_rotation(changes, never=[M3])

    def test_drained_mirror_never_published(self):
        ag = self.rotating_agent()
        for name, a in (("mirror3", M3), ("mirror4", M4)):
            ag.wait_log(r"%s %s: down -> up" % (name, rx(a)), timeout=10,
                        start=0)
        rc, out, err = ag.ctl("drain", "mirror1", "--reason", "rotation test")
        self.assertEqual(rc, 0, out + err)
        # the drain bypasses the rate limit: out at once
        self.wait_until_absent(M1, timeout=5)
        changes = self.watch(14)
        self.assert_rotation(changes, never=[M1])
        # three candidates for two places: 50 of 100 is always in
        for _, _, s in changes:
            self.assertIn(M2, s)

    def wait_until_absent(self, addr, timeout):
        deadline = time.monotonic() + timeout
        while addr in self.dig():
            if time.monotonic() > deadline:
                self.fail("%s still published after %g s" % (addr, timeout))
            time.sleep(0.05)


if __name__ == "__main__":
    if os.environ.get("MP_QUICK") == "1":
        print("skipped: MP_QUICK=1 (each test watches DNS for ~15 s)")
        sys.exit(77)
    main(["named", "dig", "nsupdate", "tsig-keygen", "curl"])
