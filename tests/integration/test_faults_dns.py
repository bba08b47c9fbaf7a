#!/usr/bin/env python3
"""mirrorpoold against a primary that answers an UPDATE with SERVFAIL
(FAULTS 21 and 23), with real servers started here on random ports:

- BIND with more than 100 records of one type at the pool name: named
  refuses any UPDATE that would leave more than max-records-per-type
  (100 by default) records, SERVFAIL, and rolls the whole UPDATE back.
- BIND whose journal cannot be written (the zone's directory made
  read-only with the journal absent) and Knot whose storage directory was
  removed (and cannot be created again): SERVFAIL for any change.

Each test first shows the fault with nsupdate and the server's own log,
then that the agent's UPDATE was refused and rolled back (dig, SOA
serial), that it logs the likely cause and retries with backoff, and that
it converges once the fault is gone.

The servers run as root here but without CAP_DAC_OVERRIDE (named and
knotd keep only the capabilities they need), so a directory's mode bits
bind them."""

import os
import re
import shutil
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mplib.agenttest import (ALL, M1, M2, M3, POOL, RX_POOL,  # noqa: E402
                             RX_ZONE, ZONE, AgentTestMixin, main)
from mplib.knot import Knot  # noqa: E402
from mplib.named import Named  # noqa: E402

# 150 addresses that belong to no mirror
FOREIGN = ["198.51.100.%d" % i for i in range(1, 101)] + \
    ["203.0.113.%d" % i for i in range(1, 51)]

RX_LIKELY_JOURNAL = (
    r"^<3>%s A: SERVFAIL, likely cause: the RRset holds 3 records, within "
    r"any record limit, so the server could not record the change: BIND "
    r"cannot write the zone's journal .*Knot's storage directory is "
    r"missing or not writable" % RX_POOL)


class ServfailMixin(AgentTestMixin):

    def assert_backoff(self, ag):
        """Three refused attempts, each after a longer wait than the one
        before (backoff, not a storm: the log rounds its delays, so the
        times are taken here, watching from before the first)."""
        refused = r"^<3>UPDATE: %s A .* not applied \(SERVFAIL\)$" % RX_POOL
        seen = []
        deadline = time.monotonic() + 20
        while len(seen) < 3:
            n = len(ag.find_log(refused, start=0))
            if n > len(seen):
                seen += [time.monotonic()] * (n - len(seen))
            self.assertLess(time.monotonic(), deadline, ag.tail())
            time.sleep(0.02)
        gaps = [b - a for a, b in zip(seen, seen[1:])]
        self.assertGreater(gaps[0], 0.6, "retried at once: %s" % gaps)
        self.assertGreater(gaps[1], gaps[0] * 1.2, "no backoff: %s" % gaps)
        self.assertTrue(ag.alive())

    def storage_fault(self, ag, server_rx, fix):
        """With the server unable to record a change: nsupdate gets
        SERVFAIL (server_rx in the server's log) and changes nothing; the
        agent's UPDATE removing M2 is refused and rolled back, retried
        with backoff and explained; after fix(), it goes through."""
        serial = self.serial()
        rc, out = self.srv.nsupdate(
            ["update add %s 60 A 192.0.2.99" % POOL])
        self.assertNotEqual(rc, 0, "the server recorded a change")
        self.assertIn("SERVFAIL", out)
        self.assertRegex(self.srv.log_text(), server_rx)
        self.assertEqual(self.serial(), serial)

        ag.mark()
        self.farm.set_mode(M2, "503")
        self.prove_http(M2, 503)
        self.assert_backoff(ag)
        ag.wait_log(r"^<3>UPDATE: %s A -127\.0\.0\.12 not applied "
                    r"\(SERVFAIL\)$" % RX_POOL)
        ag.wait_log(RX_LIKELY_JOURNAL)
        self.assertEqual(self.serial(), serial)
        self.assertEqual(self.dig(), ALL)

        fix()
        ag.wait_log(r"^<5>UPDATE %s: %s A -127\.0\.0\.12 \(NOERROR"
                    % (RX_ZONE, RX_POOL), timeout=20)
        self.wait_dig([M1, M3])


class Bind21Test(ServfailMixin, unittest.TestCase):
    """FAULTS 21: more than 100 A records at the pool name on BIND."""

    @classmethod
    def make_server(cls):
        # no limit while the zone fills: as under BIND before 9.18.28
        return Named(zone=ZONE, records={"dl": [("A", a) for a in ALL]},
                     options="max-records-per-type 0;")

    def test_over_max_records_per_type_servfail_then_converge(self):
        self.set_rrset([M1, M2])
        self.farm.set_mode(M3, "503")
        ag = self.agent()
        ag.wait_log(r"mirror3 127\.0\.0\.13: starts down \(absent in DNS\)",
                    start=0)
        # someone else fills the RRset with 150 records of no mirror
        for i in range(0, len(FOREIGN), 50):
            rc, out = self.srv.nsupdate(
                ["update add %s 60 A %s" % (POOL, a)
                 for a in FOREIGN[i:i + 50]], tcp=True)
            self.assertEqual(rc, 0, out)
        self.assertEqual(len(self.srv.dig(POOL, tcp=True)), 152)
        # and the limit applies: BIND's default of 100
        self.srv.options = "max-records-per-type 100;"
        self.srv.reconfig()
        # the fault is real: any addition is refused and rolled back
        serial = self.serial()
        rc, out = self.srv.nsupdate(
            ["update delete %s A %s" % (POOL, FOREIGN[0]),
             "update add %s 60 A 192.0.2.250" % POOL,
             "update add %s 60 A 192.0.2.251" % POOL])
        self.assertNotEqual(rc, 0, "named took a 153rd record")
        self.assertIn("SERVFAIL", out)
        self.assertRegex(self.srv.log_text(),
                         r"too many records \(must not exceed 100\)")
        self.assertEqual(self.serial(), serial)
        got = self.srv.dig(POOL, tcp=True)
        self.assertEqual(len(got), 152)
        self.assertIn(FOREIGN[0], got)

        # the agent's view is stale: it only adds mirror3, which fails
        self.farm.set_mode(M3, "ok")
        ag.wait_log(r"mirror3 127\.0\.0\.13: down -> up")
        ag.wait_log(r"^<3>UPDATE: %s A \+127\.0\.0\.13 not applied "
                    r"\(SERVFAIL\)$" % RX_POOL)
        ag.wait_log(r"^<4>UPDATE %s: SERVFAIL: the server could not apply "
                    r"the change \(BIND: max-records-per-type or a journal "
                    r"it cannot write; Knot: its storage\); re-reading the "
                    r"RRset to tell which; retrying in \d" % RX_ZONE)
        self.assertRegex(
            self.srv.log_text(),
            r"key mirrorpool: updating zone '%s/IN': adding an RR failed: "
            r"too many records" % re.escape(ZONE))
        # rolled back: nothing of the UPDATE is in the zone
        self.assertEqual(self.serial(), serial)
        self.assertNotIn(M3, self.srv.dig(POOL, tcp=True))
        # the re-read names the cause, then the agent removes the
        # foreign records before it adds, and converges
        ag.wait_log(r"^<3>%s A: SERVFAIL, likely cause: the RRset holds "
                    r"152 records \(150 of no configured mirror\) and the "
                    r"UPDATE would have left 153, more than BIND's "
                    r"max-records-per-type \(100 by default\): the foreign "
                    r"records go first in the next UPDATE$" % RX_POOL,
                    timeout=10)
        ag.wait_log(r"^<5>UPDATE %s: %s A -198\.51\.100\.1 .*\(NOERROR in "
                    r"\d+ ms\)$" % (RX_ZONE, RX_POOL), timeout=15)
        self.wait_dig(ALL)
        self.assertEqual(self.srv.dig(POOL, tcp=True), sorted(ALL))
        self.settle(ag, ALL)


class Bind23Test(ServfailMixin, unittest.TestCase):
    """FAULTS 23, BIND: the zone's journal cannot be written."""

    @classmethod
    def make_server(cls):
        return Named(zone=ZONE, records={"dl": [("A", a) for a in ALL]})

    def tearDown(self):
        os.chmod(self.srv.zone_dir, 0o700)
        super().tearDown()

    def test_journal_unwritable_servfail_then_converge(self):
        ag = self.agent()
        self.settle(ag, ALL)
        jnl = os.path.join(self.srv.zone_dir, ZONE + ".zone.jnl")
        # the journal into the zone file and gone; its directory read-only
        self.srv.rndc("sync", "-clean", ZONE)
        self.assertFalse(os.path.exists(jnl))
        os.chmod(self.srv.zone_dir, 0o555)
        self.storage_fault(
            ag, r"example\.org\.zone\.jnl: create: permission denied|"
            r"journal open failed",
            lambda: os.chmod(self.srv.zone_dir, 0o700))
        self.assertTrue(os.path.exists(jnl))


class Knot23Test(ServfailMixin, unittest.TestCase):
    """FAULTS 23, Knot: its storage (zone file and journal) removed."""

    @classmethod
    def make_server(cls):
        return Knot(zone=ZONE, records={"dl": [("A", a) for a in ALL]})

    def tearDown(self):
        os.makedirs(self.srv.zone_dir, exist_ok=True)
        super().tearDown()

    def test_storage_removed_servfail_then_converge(self):
        ag = self.agent()
        self.settle(ag, ALL)
        # knotd keeps a journal open once it has one (at its first change,
        # or at a start that finds one): storage removed under it then
        # goes unnoticed (the writes go to the unlinked files; only the
        # zone file's flush fails, in knotd's log). So knotd restarts
        # without a journal (the zone file holds the zone: zonefile-sync
        # is 0), and its storage goes before its first change.
        self.srv.stop()
        shutil.rmtree(os.path.join(self.srv.zone_dir, "journal"), True)
        self.srv.restart()
        self.assertEqual(self.dig(), ALL)
        shutil.rmtree(self.srv.zone_dir)
        # knotd does not make its storage directory itself: fixed by hand
        self.storage_fault(ag, r"DDNS, processing failed \(not exists\)",
                           lambda: os.mkdir(self.srv.zone_dir))
        # the journal is back in the storage
        self.assertTrue(os.path.isdir(os.path.join(self.srv.zone_dir,
                                                   "journal")))


if __name__ == "__main__":
    main(("named", "knotd", "dig", "nsupdate", "tsig-keygen", "keymgr",
          "rndc", "curl"))
