#!/usr/bin/env python3
"""mirrorpoold end to end: real HTTP mirrors on loopback, a real primary
(BIND 9 named, Knot knotd and PowerDNS pdns_server, each started here on a
random port with keys made by tsig-keygen/keymgr, imported into PowerDNS
with pdnsutil import-tsig-key), and the daemon between them. Every scenario
runs against all three servers. What DNS holds is read with dig, what the agent
did from its log; each fault is first shown to be real (curl sees the 503,
nsupdate with the wrong key is rejected, dig shows the foreign record).

Fast parameters: checks every 1 s (300 ms while changing), timeout 800 ms,
rise 2, fall 2, min_interval 500 ms."""

import base64
import os
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mplib import dnstools  # noqa: E402
from mplib.agenttest import (ALL, M1, M2, M3, POOL, RX_POOL,  # noqa: E402
                             RX_ZONE, ZONE, AgentTestMixin, main, rx)
from mplib.dnsrelay import DnsRelay  # noqa: E402
from mplib.knot import Knot  # noqa: E402
from mplib.named import Named  # noqa: E402
from mplib.pdns import Pdns  # noqa: E402
from mplib.ports import have_ipv6_loopback  # noqa: E402

FOREIGN = "192.0.2.99"


class AgentDnsMixin(AgentTestMixin):
    """The scenarios; subclasses say which primary runs them."""

    server_name = None

    def wrong_key(self, key, directory):
        """key with another secret of the same length, in a key file."""
        raw = base64.b64decode(key.secret)
        bad = base64.b64encode(bytes(b ^ 0x5A for b in raw)).decode()
        k = key.variant(secret=bad)
        k.write_file(os.path.join(directory, "wrong-%s.key" % key.name))
        return k

    # -- scenarios -----------------------------------------------------
    def test_mirror_fails_then_recovers_after_rise(self):
        ag = self.agent()
        self.assertEqual(self.dig(), ALL)
        for a in ALL:
            ag.wait_log(r"mirror\d %s: starts up \(present in DNS\)" % rx(a),
                        start=0)

        self.farm.set_mode(M2, "503")
        self.prove_http(M2, 503)
        ag.wait_log(r"^<\d>mirror2 127\.0\.0\.12: up -> down \(2/2 failures, "
                    r"last: HTTP 503 in \d+ ms\)$")
        ag.wait_log(r"^<\d>UPDATE %s: %s A -127\.0\.0\.12 \(NOERROR in \d+ "
                    r"ms\)$" % (RX_ZONE, RX_POOL))
        self.wait_dig([M1, M3])

        ag.mark()
        t_ok = time.monotonic()
        self.farm.set_mode(M2, "ok")
        self.prove_http(M2, 200)
        first = ag.wait_log(r"mirror2 127\.0\.0\.12: check passed \(1/2\)")
        # one success is not enough: the add follows the second one
        up = ag.wait_log(r"^<\d>mirror2 127\.0\.0\.12: down -> up \(2/2 "
                         r"successes, last: HTTP 200 in \d+ ms\)$")
        self.assertLess(first.start(), up.start())
        add = ag.wait_log(r"^<\d>UPDATE %s: %s A \+127\.0\.0\.12 \(NOERROR "
                          r"in \d+ ms\)$" % (RX_ZONE, RX_POOL))
        self.assertLess(up.start(), add.start())
        self.wait_dig(ALL)
        self.assertGreaterEqual(
            self.farm.count(M2, "mirrorpool/", since=t_ok), 2,
            "re-added before two successful checks reached the mirror")

    def _assert_never_empty(self, ag, until, extra=2.0, timeout=15.0):
        """Polls dig until every regex in until (one or a list) is in the
        log, and extra seconds more; every answer must hold at least one
        record. Returns the answers."""
        pending = [until] if isinstance(until, str) else list(until)
        answers = []
        deadline = time.monotonic() + timeout
        seen_at = None
        while True:
            got = self.dig()
            answers.append(got)
            self.assertTrue(got, "the RRset went empty; answers so far: %s"
                            % answers[-5:])
            now = time.monotonic()
            pending = [r for r in pending if not ag.find_log(r)]
            if seen_at is None and not pending:
                seen_at = now
            if seen_at is not None and now - seen_at >= extra:
                return answers
            if now > deadline:
                raise AssertionError("no /%s/ within %.0f s; log:\n%s"
                                     % (pending, timeout, ag.tail()))
            time.sleep(0.1)

    def _assert_dig_stays(self, want, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.assertEqual(self.dig(), sorted(want))
            time.sleep(0.1)

    def test_all_mirrors_fail_freeze_keeps_rrset(self):
        ag = self.agent(all_down_freeze=True)
        # every address has a (good) result before the outage
        rc, out, err = ag.ctl("check")
        self.assertEqual(rc, 0, out + err)
        self.farm.set_all("503")
        for a in ALL:
            self.prove_http(a, 503)
        # all fail at once: checked together, before any reaches `fall`
        ag.ctl("check")
        ag.wait_log(r"^<4>freeze engaged: every checked address \(3\) is "
                    r"failing at once; removals are suspended")
        # past fall, every address is kept up: the failures are ours
        for a, n in zip(ALL, ("1", "2", "3")):
            ag.wait_log(r"mirror%s %s: check failed \(3/2, kept up by the "
                        r"freeze\)" % (n, rx(a)), timeout=10)
        # frozen: nothing at all is removed, though every check fails
        self._assert_dig_stays(ALL, 2.0)
        self.assertEqual(self.lines(ag, r"^<\d>UPDATE .*"), [], ag.tail())
        self.assertEqual(self.lines(ag, r".*up -> down.*"), [], ag.tail())
        st = ag.status()
        self.assertTrue(st["guard"]["frozen"], st["guard"])
        ag.mark()
        self.farm.set_all("ok")
        ag.ctl("check")
        ag.wait_log(r"freeze released: ", timeout=10)
        self.assertFalse(ag.status()["guard"]["frozen"])
        # every mirror stayed in the RRset through the outage
        self._assert_dig_stays(ALL, 1.0)
        self.assertEqual(self.lines(ag, r"^<\d>UPDATE .*"), [], ag.tail())

    def test_freeze_release_keeps_recovering_addresses(self):
        # Nothing should change in DNS across a freeze that ends with every
        # mirror healthy again: failures during the freeze are ours, so no
        # address goes down on them, and nothing is removed and re-added
        # when the first good check releases the freeze.
        ag = self.agent(all_down_freeze=True)
        ag.ctl("check")
        self.farm.set_all("503")
        ag.ctl("check")
        ag.wait_log(r"freeze engaged: every checked address \(3\)")
        # well past fall, every address stays up: the failures are ours
        for a, n in zip(ALL, ("1", "2", "3")):
            ag.wait_log(r"mirror%s %s: check failed \(3/2, kept up by the "
                        r"freeze\)" % (n, rx(a)), timeout=10)
        self.assertEqual(self.lines(ag, r".*up -> down.*"), [], ag.tail())
        self.farm.set_all("ok")
        ag.ctl("check")
        ag.wait_log(r"freeze released", timeout=10)
        self.settle(ag, ALL)
        self.assertEqual(self.lines(ag, r"^<\d>UPDATE .*"), [], ag.tail())
        self.assertEqual(self.lines(ag, r".*up -> down.*"), [], ag.tail())

    def test_all_mirrors_fail_floor_keeps_one(self):
        # three ways to fail: an error status, a closed port, no answer
        ag = self.agent(all_down_freeze=False, min_healthy=1)
        ag.mark()
        self.farm.set_mode(M1, "503")
        self.farm.set_mode(M2, "closed")
        self.farm.set_mode(M3, "hang")
        self.prove_http(M1, 503)
        code, err = self.farm.curl(M2)
        self.assertEqual((code, err[:11]), (0, "curl exit 7"), err)
        code, err = self.farm.curl(M3, timeout=1)
        self.assertEqual((code, err[:12]), (0, "curl exit 28"), err)
        down = [r"mirror1 127\.0\.0\.11: up -> down \(2/2 failures, last: "
                r"HTTP 503 in \d+ ms\)",
                r"mirror2 127\.0\.0\.12: up -> down \(2/2 failures, last: "
                r"connect refused in \d+ ms\)",
                r"mirror3 127\.0\.0\.13: up -> down \(2/2 failures, last: "
                r"timeout after 800 ms in \d+ ms\)",
                r"%s A: floor engaged: 0 healthy of min_healthy 1; keeping 1 "
                r"unhealthy address published" % RX_POOL]
        answers = self._assert_never_empty(ag, down, extra=2.0)
        self.assertEqual(len(self.dig()), 1, answers[-5:])
        self.assertFalse(ag.find_log(r"freeze engaged"))
        kept = self.dig()
        self.assertEqual(self.changes(ag), (set(), set(ALL) - set(kept)))

    def test_foreign_record_removed_on_sync(self):
        ag = self.agent()
        rc, out = self.srv.nsupdate(
            ["update add %s 60 A %s" % (POOL, FOREIGN)])
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.dig(), sorted(ALL + [FOREIGN]))
        ag.mark()
        rc, out, err = ag.ctl("sync")
        self.assertEqual(rc, 0, out + err)
        ag.wait_log(r"^<4>%s A holds 192\.0\.2\.99, which belongs to no "
                    r"configured mirror; removing it$" % RX_POOL)
        ag.wait_log(r"^<\d>UPDATE %s: %s A -192\.0\.2\.99 \(NOERROR in \d+ "
                    r"ms\)$" % (RX_ZONE, RX_POOL))
        self.wait_dig(ALL)

    def test_restart_changes_nothing_in_dns(self):
        self.farm.set_mode(M3, "503")
        self.prove_http(M3, 503)
        ag = self.agent()
        ag.wait_log(r"UPDATE %s: %s A -127\.0\.0\.13 \(NOERROR"
                    % (RX_ZONE, RX_POOL))
        self.wait_dig([M1, M2])
        serial = self.serial()
        self.assertEqual(ag.stop(), 0)

        ag.start()
        for a in (M1, M2):
            ag.wait_log(r"%s: starts up \(present in DNS\)" % rx(a))
        ag.wait_log(r"mirror3 127\.0\.0\.13: starts down \(absent in DNS\)")
        # two full rounds of checks, then a fresh read of the RRset
        for _ in range(2):
            rc, out, err = ag.ctl("check")
            # mirror3 still fails its check: check says so with exit 1
            self.assertEqual((rc, err), (1, "mirrorpoolctl: 1 of 3 checks "
                                            "failed\n"), out)
        rc, out, err = ag.ctl("sync")
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(self.lines(ag, r"^<\d>UPDATE .*"), [], ag.tail())
        self.assertEqual(self.serial(), serial)
        self.assertEqual(self.dig(), [M1, M2])

    def test_primary_down_then_back(self):
        ag = self.agent(dns_timeout="1s")
        self.srv.stop()
        self.assertIsNone(self.srv.dig_status(ZONE),
                          "the primary still answers")
        self.farm.set_mode(M2, "503")
        self.prove_http(M2, 503)
        ag.wait_log(r"mirror2 127\.0\.0\.12: up -> down")
        ag.wait_log(r"^<3>UPDATE: %s A -127\.0\.0\.12 not applied "
                    r"\((TIMEOUT|NETERR)\)$" % RX_POOL)
        ag.wait_log(r"^<4>UPDATE %s: .+; retrying in \d" % RX_ZONE)
        self.srv.restart()
        ag.wait_log(r"^<\d>UPDATE %s: %s A -127\.0\.0\.12 \(NOERROR"
                    % (RX_ZONE, RX_POOL), timeout=20)
        self.wait_dig([M1, M3])

    # what the server answers a wrong secret with: BIND and Knot an
    # unsigned NOTAUTH whose TSIG RR says BADSIG, PowerDNS an unsigned
    # NOTAUTH with no TSIG RR at all
    wrong_secret_rcode = "NOTAUTH/BADSIG"

    def test_wrong_secret(self):
        bad = self.wrong_key(self.srv.key, self.farm_dir())
        rc, out = self.srv.nsupdate(
            ["update add %s 60 A %s" % (POOL, FOREIGN)], key=bad)
        self.assertNotEqual(rc, 0, "the server accepted a wrong secret")
        self.assertRegex(out, r"BADSIG|tsig verify failure|NOTAUTH|"
                         r"expected a TSIG")
        serial = self.serial()
        ag = self.agent(key_file=bad.path)
        ag.wait_log(r'^<4>reading %s A from %s port %d: unsigned '
                    r'%s from the server: it could not verify '
                    r'key "mirrorpool\.?" \(hmac-sha256\.?\) .*; retrying in'
                    % (RX_POOL, rx(self.srv.host), self.srv.port,
                       self.wrong_secret_rcode))
        self.farm.set_mode(M2, "503")
        # keeps retrying with backoff, never changes DNS
        ag.mark()
        ag.wait_log(r"%s.*retrying in" % self.wrong_secret_rcode, timeout=10)
        self.assertTrue(ag.alive())
        self.assertEqual(self.serial(), serial)
        self.assertEqual(self.dig(), ALL)
        self.assertEqual(self.lines(ag, r".*NOERROR.*", start=0), [])
        text = ag.log_text()
        self.assertNotIn(bad.secret, text)
        self.assertNotIn(self.srv.key.secret, text)

    def farm_dir(self):
        d = tempfile.mkdtemp(prefix="mp-keys-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def unauthorised_rx(self):
        """(regex of the rejection line, whether an UPDATE was tried)."""
        raise NotImplementedError

    def test_unauthorised_key(self):
        key = self.srv.stranger
        rc, out = self.srv.nsupdate(
            ["update add %s 60 A %s" % (POOL, "192.0.2.98")], key=key)
        self.assertNotEqual(rc, 0, "the server let the stranger key update")
        self.assertRegex(out, r"REFUSED|NOTAUTH")
        # a foreign record the agent will want to remove at once
        rc, out = self.srv.nsupdate(
            ["update add %s 60 A %s" % (POOL, FOREIGN)])
        self.assertEqual(rc, 0, out)
        serial = self.serial()
        ag = self.agent(key_file=key.path)
        line, updates = self.unauthorised_rx()
        ag.wait_log(line, start=0)
        if updates:
            ag.wait_log(r"^<3>UPDATE: %s A -192\.0\.2\.99 not applied "
                        r"\((REFUSED|NOTAUTH)\)$"
                        % RX_POOL, start=0)
        t0 = time.monotonic()
        ag.mark()
        ag.wait_log(r"retrying in", timeout=10)
        elapsed = time.monotonic() - t0
        self.assertTrue(ag.alive())
        self.assertEqual(self.serial(), serial)
        self.assertEqual(self.dig(), sorted(ALL + [FOREIGN]))
        self.assertEqual(self.lines(ag, r".*NOERROR.*", start=0), [])
        # backoff, not a storm
        attempts = len(ag.find_log(r"retrying in", start=0))
        self.assertLessEqual(attempts, 3, ag.tail())
        self.assertGreaterEqual(elapsed, 0.6, "retried without backoff")
        self.assertNotIn(key.secret, ag.log_text())

    def test_algorithms_and_transports(self):
        for keyattr in ("key", "key512"):
            for transport in ("udp", "tcp"):
                with self.subTest(key=keyattr, transport=transport):
                    key = getattr(self.srv, keyattr)
                    self.set_rrset(ALL + [FOREIGN])
                    relay = DnsRelay(self.srv.port, transport,
                                     host=self.srv.host,
                                     upstream_host=self.srv.host).start()
                    self.addCleanup(relay.stop)
                    ag = self.agent(key_file=key.path, transport=transport,
                                    dns_port=relay.port)
                    ag.wait_log(r"key %s\.? \(%s\.?\)"
                                % (key.name, key.alg), start=0)
                    ag.wait_log(r"^<\d>UPDATE %s: %s A -192\.0\.2\.99 "
                                r"\(NOERROR in \d+ ms\)$"
                                % (RX_ZONE, RX_POOL), start=0)
                    self.wait_dig(ALL)
                    # read, UPDATE, read-back: all through this transport
                    self.assertGreaterEqual(relay.messages, 3)
                    self.assertEqual(ag.stop(), 0)
                    relay.stop()

    # -- FAULTS.md 19, 20, 24 ------------------------------------------
    def test_rrset_changed_by_someone_else(self):
        ag = self.agent(reconcile_interval="2s")
        rc, out = self.srv.nsupdate(
            ["update delete %s A %s" % (POOL, M3)])
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.dig(), [M1, M2])
        ag.wait_log(r"^<4>drift: %s A changed on the primary outside "
                    r"mirrorpool \(-127\.0\.0\.13\); re-converging$" % RX_POOL,
                    timeout=10)
        ag.wait_log(r"^<\d>UPDATE %s: %s A \+127\.0\.0\.13 \(NOERROR"
                    % (RX_ZONE, RX_POOL))
        self.wait_dig(ALL)

    def test_duplicate_add_is_idempotent(self):
        self.set_rrset([M1, M2])
        self.farm.set_mode(M3, "503")
        ag = self.agent()
        ag.wait_log(r"mirror3 127\.0\.0\.13: starts down \(absent in DNS\)",
                    start=0)
        # someone else publishes mirror3 behind the agent's back, twice:
        # the server itself treats the repeat as a no-op
        for _ in range(2):
            rc, out = self.srv.nsupdate(
                ["update add %s 60 A %s" % (POOL, M3)])
            self.assertEqual(rc, 0, out)
        self.assertEqual(self.dig(), ALL)
        ag.mark()
        self.farm.set_mode(M3, "ok")
        ag.wait_log(r"mirror3 127\.0\.0\.13: down -> up \(2/2 successes")
        # the agent's view is stale, so it re-adds what is there: NOERROR
        ag.wait_log(r"^<\d>UPDATE %s: %s A \+127\.0\.0\.13 \(NOERROR in \d+ "
                    r"ms\)$" % (RX_ZONE, RX_POOL))
        rc, out, err = ag.ctl("sync")
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(self.dig(), ALL)
        self.assertEqual(self.lines(ag, r".*(retrying in|not applied).*"), [])

    def test_primary_killed_and_restarted(self):
        ag = self.agent(transport="tcp")
        self.srv.kill9()
        self.assertIsNone(self.srv.dig_status(ZONE),
                          "the primary still answers")
        self.farm.set_mode(M2, "503")
        self.prove_http(M2, 503)
        ag.wait_log(r"^<4>UPDATE %s: .+; retrying in \d" % RX_ZONE)
        self.srv.restart()
        self.wait_dig([M1, M3], timeout=20)
        ag.wait_log(r"UPDATE %s: %s A -127\.0\.0\.12 \(NOERROR"
                    % (RX_ZONE, RX_POOL))
        # and it goes on working over fresh connections
        ag.mark()
        self.farm.set_mode(M2, "ok")
        ag.wait_log(r"UPDATE %s: %s A \+127\.0\.0\.12 \(NOERROR"
                    % (RX_ZONE, RX_POOL), timeout=10)
        self.wait_dig(ALL)


class BindTest(AgentDnsMixin, unittest.TestCase):
    server_name = "BIND"

    @classmethod
    def make_server(cls):
        return Named(zone=ZONE, records={"dl": [("A", a) for a in ALL]})

    def unauthorised_rx(self):
        # named answers the query, then refuses the UPDATE, signed
        return (r'^<4>UPDATE %s: REFUSED: key "stranger\.?" is not allowed '
                r'to update zone %s — check allow-update/update-policy '
                r'\(BIND\), an acl with action: update \(Knot\), or '
                r'allow-dnsupdate-from and the zone\'s '
                r'TSIG-ALLOW-DNSUPDATE/ALLOW-DNSUPDATE-FROM metadata '
                r'\(PowerDNS\), and the key name; retrying in \d'
                % (RX_ZONE, RX_ZONE)), True


class KnotTest(AgentDnsMixin, unittest.TestCase):
    server_name = "Knot"

    @classmethod
    def make_server(cls):
        return Knot(zone=ZONE, records={"dl": [("A", a) for a in ALL]})

    def unauthorised_rx(self):
        # knotd treats a key no acl grants as unknown, even for the read:
        # unsigned NOTAUTH/BADKEY
        return (r'^<4>reading %s A from %s port %d: unsigned '
                r'NOTAUTH/BADKEY from the server: it could not verify key '
                r'"stranger\.?" \(hmac-sha256\.?\) — check that the primary '
                r'knows this key name, algorithm and secret \(Knot: and '
                r'that an acl grants it update\); retrying in \d'
                % (RX_POOL, rx(self.srv.host), self.srv.port)), False


V6_SKIP = ("MP_QUICK=1" if os.environ.get("MP_QUICK") == "1" else
           None if have_ipv6_loopback() else "no IPv6 loopback (::1)")


@unittest.skipIf(V6_SKIP, V6_SKIP)
class BindV6Test(BindTest):
    """Every scenario once more against an IPv6 primary: named listens on
    ::1 only, the agent's dns.server is "::1"."""

    server_name = "BIND on ::1"

    @classmethod
    def make_server(cls):
        return Named(zone=ZONE, records={"dl": [("A", a) for a in ALL]},
                     host="::1")

    def test_primary_is_reached_over_ipv6(self):
        # named answers on ::1 and nowhere else on its port
        self.assertEqual(self.srv.dig_status(ZONE), "NOERROR")
        self.assertIsNone(dnstools.dig_status(self.srv.port, ZONE,
                                              server="127.0.0.1"))
        ag = self.agent()
        ag.wait_log(r"starting: .*; primary ::1 port %d," % self.srv.port,
                    start=0)
        self.farm.set_mode(M2, "503")
        ag.wait_log(r"^<\d>UPDATE %s: %s A -127\.0\.0\.12 \(NOERROR"
                    % (RX_ZONE, RX_POOL))
        self.assertRegex(self.srv.log_text(),
                         r"client @0x[0-9a-f]+ ::1#\d+/key mirrorpool: "
                         r"updating zone '%s/IN': deleting an RR" % ZONE)
        self.wait_dig([M1, M3])


class PdnsTest(AgentDnsMixin, unittest.TestCase):
    server_name = "PowerDNS"
    wrong_secret_rcode = "NOTAUTH"

    @classmethod
    def make_server(cls):
        return Pdns(zone=ZONE, records={"dl": [("A", a) for a in ALL]})

    def test_wrong_secret(self):
        super().test_wrong_secret()
        # PowerDNS's unsigned answer has no TSIG RR: the log says so
        self.assertTrue(self.lines(
            self.agents[-1], r"^<4>DNS UDP from 127\.0\.0\.1 port %d: .*"
            r"unsigned NOTAUTH with no TSIG record: PowerDNS's answer to an "
            r"unknown key or a wrong secret \(or: zone not served\)$"
            % self.srv.port, start=0))

    def unauthorised_rx(self):
        # pdns_server answers the query (the key is known), then refuses
        # the UPDATE, signed: the key is not in TSIG-ALLOW-DNSUPDATE
        return BindTest.unauthorised_rx(self)


if __name__ == "__main__":
    main(("named", "knotd", "pdns_server", "pdnsutil", "dig", "nsupdate",
          "tsig-keygen", "keymgr", "curl"))
