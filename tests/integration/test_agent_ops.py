#!/usr/bin/env python3
"""Operating mirrorpoold: every mirrorpoolctl command against a running
agent, drains across crashes, reloads, a hostile control socket, systemd
notification and exit statuses (SPEC sections 1, 6 and 7).

A real BIND primary (started here on a random port, keys from tsig-keygen)
holds dl.example.org; real HTTP mirrors answer on 127.0.0.11.. on one shared
port (mplib.mirrors). What DNS holds is read with dig, what the agent did
from its log and from mirrorpoolctl's output; each fault is first shown to
be real (curl sees the 503, dig sees the record nsupdate removed).

Fast parameters: checks every 1 s (300 ms while changing), timeout 900 ms,
rise 2, fall 2, min_interval 1 s."""

import collections
import json
import os
import pwd
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mplib import dnstools, sockloop, updatelog  # noqa: E402
from mplib.agent import program  # noqa: E402
from mplib.agenttest import (ALL, M1, M2, M3, M4, MIRRORS,  # noqa: E402
                             POOL, RX_POOL, RX_ZONE, ZONE, AgentTestMixin,
                             main, wait_until)
from mplib.dnsrelay import DnsRelay  # noqa: E402
from mplib.named import Named  # noqa: E402
from mplib.ports import free_port, have_ipv6_loopback  # noqa: E402

USER = pwd.getpwuid(os.getuid()).pw_name
UID = os.getuid()
METRIC_NAMES = (
    "mirrorpool_address_up", "mirrorpool_address_published",
    "mirrorpool_check_duration_seconds", "mirrorpool_checks_total",
    "mirrorpool_updates_total", "mirrorpool_rrset_records",
    "mirrorpool_frozen", "mirrorpool_build_info",
    "mirrorpool_start_time_seconds", "mirrorpool_dns_up",
    "mirrorpool_dns_last_success_timestamp_seconds",
    "mirrorpool_dns_errors_total", "mirrorpool_address_drained",
    "mirrorpool_address_penalty", "mirrorpool_address_suppressed",
    "mirrorpool_pool_min_healthy", "mirrorpool_config_last_reload_success",
    "mirrorpool_config_last_reload_timestamp_seconds")


def parse_samples(test, text):
    """{name{labels}: value} of a Prometheus text exposition."""
    samples = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-z_]+)(\{[^}]*\})? (\S+)$", line)
        test.assertIsNotNone(m, "not a Prometheus sample: %r" % line)
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return samples


def promtool_check_metrics(test, text):
    """promtool's linter on an exposition: no output, exit 0."""
    r = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=30)
    test.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""),
                     "promtool check metrics")
CRED = struct.Struct("iII")  # struct ucred: pid, uid, gid


def version():
    r = subprocess.run([program("mirrorpoold"), "-V"], capture_output=True,
                       text=True, timeout=10)
    return r.stdout.split()[-1]


class NotifyListener:
    """A fake service manager: an AF_UNIX datagram socket bound at a path,
    recording (monotonic time, sender pid, payload) for each datagram."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.got = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = sockloop.serve(
            lambda: self.sock.recvmsg(4096, socket.CMSG_SPACE(CRED.size)),
            self._received, self._stop)

    def _received(self, data, anc, _flags, _addr):
        pid = None
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and \
                    kind == socket.SCM_CREDENTIALS:
                pid = CRED.unpack(payload[:CRED.size])[0]
        with self._lock:
            self.got.append((time.monotonic(), pid, data.decode()))

    def messages(self):
        with self._lock:
            return list(self.got)

    def wait(self, pred, timeout, what):
        """Waits for a message matching pred; returns its index."""
        def find():
            for i, (_, _, d) in enumerate(self.messages()):
                if pred(d):
                    return i + 1
            return None
        return wait_until(find, timeout, what) - 1

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


class SilentServer:
    """A UDP socket that receives DNS queries and never answers."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.1)
        self.arrivals = []
        self._stop = threading.Event()
        self._thread = sockloop.serve(
            lambda: self.sock.recvfrom(65535),
            lambda _msg, _peer: self.arrivals.append(time.monotonic()),
            self._stop)

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


class HoldingRelay(DnsRelay):
    """A UDP relay in front of the primary that holds every UPDATE (DNS
    opcode 5) for `hold` seconds before passing it on; queries pass at
    once. Messages are relayed unchanged, so TSIG verifies end to end."""

    upstream_timeout = 3

    def __init__(self, upstream_port, hold):
        super().__init__(upstream_port, "udp")
        self.hold = hold
        self.update_seen = threading.Event()
        self.updates_answered = 0
        self.start()

    def _udp_one(self, msg, peer):
        is_update = len(msg) > 2 and (msg[2] >> 3) & 0xF == 5
        if is_update:
            self.update_seen.set()
            if self._stop.wait(self.hold):
                return False
        passed = super()._udp_one(msg, peer)
        if passed and is_update:
            self.updates_answered += 1
        return passed

    def close(self):
        self.stop()


class OpsTest(AgentTestMixin, unittest.TestCase):
    farm_addresses = ALL + [M4]
    agent_defaults = {"interval": "1s", "fast_interval": "300ms",
                      "timeout": "900ms", "rise": 2, "fall": 2,
                      "min_interval": "1s"}

    @classmethod
    def make_server(cls):
        return Named(zone=ZONE, records={"dl": [("A", a) for a in ALL]})

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.version = version()

    # -- helpers -------------------------------------------------------
    def ctl_ok(self, ag, *args):
        rc, out, err = ag.ctl(*args)
        self.assertEqual(rc, 0, "mirrorpoolctl %s: exit %d\n%s%s"
                         % (" ".join(args), rc, out, err))
        self.assertEqual(err, "")
        return out

    def mirror_status(self, st, name):
        for m in st["pools"][0]["mirrors"]:
            if m["name"] == name:
                return m
        self.fail("no mirror %s in status" % name)

    def addr_status(self, st, name):
        return self.mirror_status(st, name)["addresses"][0]

    def wait_all_checked(self, ag, timeout=10):
        """Waits until every address has a check result."""
        def done():
            return all(x["last_check"] is not None
                       for m in ag.status()["pools"][0]["mirrors"]
                       for x in m["addresses"])
        wait_until(done, timeout, "a check of every address", step=0.2)

    # -- status --------------------------------------------------------
    def test_status_human_json_and_pool(self):
        self.farm.set_mode(M3, "503")
        self.prove_http(M3, 503)
        ag = self.agent()
        ag.wait_log(r"UPDATE %s: %s A -127\.0\.0\.13 \(NOERROR"
                    % (RX_ZONE, RX_POOL))
        self.wait_dig([M1, M2])
        t_update = int(time.time())
        self.wait_all_checked(ag)

        out = self.ctl_ok(ag, "status")
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^mirrorpool %s; DNS server %s port %d, "
                         r"zone %s$" % (re.escape(self.version),
                                        re.escape(self.srv.host),
                                        self.srv.port, RX_ZONE))
        self.assertRegex(out, r"(?m)^pool %s  ttl 60  min_healthy 1  "
                         r"max_published 0 \(all\)  guard ok$" % RX_POOL)
        self.assertRegex(out, r"(?m)^  A     published    127\.0\.0\.11 "
                         r"127\.0\.0\.12$")
        self.assertRegex(out, r"(?m)^        in DNS       127\.0\.0\.11 "
                         r"127\.0\.0\.12$")
        self.assertRegex(out, r"(?m)^        last UPDATE  .*NOERROR, "
                         r"-127\.0\.0\.13$")
        self.assertRegex(out, r"(?m)^  mirror1\s+127\.0\.0\.11\s+up\s+yes\s+"
                         r".*ok: HTTP 200\s+\d+ ms$")
        self.assertRegex(out, r"(?m)^  mirror3\s+127\.0\.0\.13\s+down\s+no\s+"
                         r".*HTTP 503\s+\d+ ms$")

        st = ag.status()
        self.assertEqual(st["version"], self.version)
        self.assertIs(st["dry_run"], False)
        self.assertEqual(st["dns"]["server"], self.srv.host)
        self.assertEqual(st["dns"]["port"], self.srv.port)
        self.assertEqual(st["dns"]["zone"].rstrip("."), ZONE)
        self.assertIsNone(st["dns"]["last_error"])
        self.assertEqual(st["guard"], {"frozen": False, "reason": None})
        self.assertEqual(len(st["pools"]), 1)
        pool = st["pools"][0]
        self.assertEqual((pool["name"], pool["ttl"], pool["min_healthy"]),
                         (POOL, 60, 1))
        a = pool["rrsets"]["A"]
        self.assertEqual(sorted(a["published"]), [M1, M2])
        self.assertEqual(sorted(a["in_dns"]), [M1, M2])
        lu = a["last_update"]
        self.assertEqual((lu["rcode"], lu["added"], lu["removed"]),
                         ("NOERROR", [], [M3]))
        self.assertLessEqual(abs(lu["at"] - t_update), 5)
        self.assertEqual(pool["rrsets"]["AAAA"],
                         {"published": [], "in_dns": [], "last_update": None})
        self.assertEqual([m["name"] for m in pool["mirrors"]],
                         ["mirror1", "mirror2", "mirror3"])
        now = time.time()
        for name, addr, up in (("mirror1", M1, True), ("mirror2", M2, True),
                               ("mirror3", M3, False)):
            m = self.mirror_status(st, name)
            self.assertEqual(m["weight"], 10)
            self.assertIsNone(m["drain"])
            self.assertEqual(len(m["addresses"]), 1)
            x = m["addresses"][0]
            self.assertEqual(x["address"], addr)
            self.assertEqual(x["state"], "up" if up else "down")
            self.assertIs(x["published"], up)
            self.assertIs(x["suppressed"], False)
            self.assertIsInstance(x["penalty"], int)
            lc = x["last_check"]
            self.assertLessEqual(abs(lc["at"] - now), 5)
            self.assertIs(lc["ok"], up)
            self.assertEqual(lc["detail"], "HTTP 200" if up else "HTTP 503")
            self.assertIsInstance(lc["latency_ms"], int)
            if up:
                self.assertGreaterEqual(x["consecutive_ok"], 1)
                self.assertEqual(x["consecutive_fail"], 0)
                self.assertEqual(x["penalty"], 0)
            else:
                self.assertEqual(x["consecutive_ok"], 0)
                self.assertGreaterEqual(x["consecutive_fail"], 2)
                self.assertGreater(x["penalty"], 0)

        # status POOL: with or without the final dot; unknown pools fail
        for name in (POOL, POOL.rstrip(".")):
            rc, out, err = ag.ctl("--json", "status", name)
            self.assertEqual(rc, 0, err)
            self.assertEqual([p["name"] for p in json.loads(out)["pools"]],
                             [POOL])
            out = self.ctl_ok(ag, "status", name)
            self.assertRegex(out, r"(?m)^pool %s " % RX_POOL)
        rc, out, err = ag.ctl("status", "nosuch.example.org.")
        self.assertEqual((rc, out), (1, ""))
        self.assertEqual(err, 'mirrorpoolctl: no pool named '
                         '"nosuch.example.org."\n')
        # every command is logged with the caller
        ag.wait_log(r"^<6>control: status from %s \(uid %d, pid \d+\): ok$"
                    % (re.escape(USER), UID), start=0)

    # -- drain / undrain -----------------------------------------------
    def test_drain_bypasses_rate_limit_and_undrain_returns_at_once(self):
        ag = self.agent(min_interval="20s")
        # an UPDATE from health first, so that min_interval is running
        self.farm.set_mode(M3, "503")
        self.prove_http(M3, 503)
        ag.wait_log(r"UPDATE %s: %s A -127\.0\.0\.13 \(NOERROR in \d+ ms\)$"
                    % (RX_ZONE, RX_POOL))
        self.wait_dig([M1, M2])

        ag.mark()
        t0 = time.monotonic()
        out = self.ctl_ok(ag, "drain", "mirror1", "--reason", "disk swap")
        self.assertEqual(out, "mirror1 drained; its records leave the pool "
                              "now\n")
        self.wait_dig([M2], timeout=5)
        took = time.monotonic() - t0
        self.assertLess(took, 1.5, "the drain waited %.1f s" % took)
        ag.wait_log(r"^<5>mirror1 drained by %s \(uid %d\): disk swap; "
                    r"bypassing the update rate limits$"
                    % (re.escape(USER), UID))
        ag.wait_log(r"^<5>control: drain from %s \(uid %d, pid \d+\): "
                    r"accepted$" % (re.escape(USER), UID))
        ag.wait_log(r"^<5>UPDATE %s: %s A -127\.0\.0\.11 \(NOERROR in \d+ "
                    r"ms, operator action\)$" % (RX_ZONE, RX_POOL))

        st = ag.status()
        d = self.mirror_status(st, "mirror1")["drain"]
        self.assertEqual((d["reason"], d["by"], d["uid"], d["until"]),
                         ("disk swap", USER, UID, None))
        self.assertLessEqual(abs(d["since"] - time.time()), 5)
        lu = st["pools"][0]["rrsets"]["A"]["last_update"]
        self.assertEqual((lu["rcode"], lu["removed"]), ("NOERROR", [M1]))
        self.assertIs(self.addr_status(st, "mirror1")["published"], False)

        # the limit is real: a health change now waits for min_interval
        ag.mark()
        self.farm.set_mode(M3, "ok")
        ag.wait_log(r"mirror3 127\.0\.0\.13: down -> up")
        ag.wait_log(r"^<5>%s A: rate limit engaged \(min_interval\); change "
                    r"deferred" % RX_POOL)
        self.assertEqual(self.dig(), [M2])

        # undrain of an address that stayed up: back at once, no rise wait
        ag.mark()
        t0 = time.monotonic()
        out = self.ctl_ok(ag, "undrain", "mirror1")
        self.assertEqual(out, "mirror1 undrained; it returns to the pool "
                              "once healthy\n")
        self.wait_dig([M1, M2, M3], timeout=5)
        took = time.monotonic() - t0
        self.assertLess(took, 1.5, "the undrain waited %.1f s" % took)
        ag.wait_log(r"^<5>mirror1 undrained by %s \(uid %d\); it returns "
                    r"once healthy, bypassing the update rate limits$"
                    % (re.escape(USER), UID))
        ag.wait_log(r"UPDATE %s: %s A \+127\.0\.0\.11 \+127\.0\.0\.13 "
                    r"\(NOERROR in \d+ ms, operator action\)$"
                    % (RX_ZONE, RX_POOL))
        self.assertEqual(ag.find_log(r"mirror1 127\.0\.0\.11: (check passed"
                                     r"|down -> up)"), [])
        rc, out, err = ag.ctl("undrain", "mirror1")
        self.assertEqual((rc, err), (1, "mirrorpoolctl: mirror mirror1 is "
                                        "not drained\n"))

    def test_undrain_of_a_down_address_waits_for_rise(self):
        ag = self.agent()
        self.ctl_ok(ag, "drain", "mirror2", "--reason", "reinstall")
        self.wait_dig([M1, M3])
        self.farm.set_mode(M2, "503")
        self.prove_http(M2, 503)
        ag.wait_log(r"mirror2 127\.0\.0\.12: up -> down")
        ag.mark()
        t0 = time.monotonic()
        self.ctl_ok(ag, "undrain", "mirror2")
        ag.wait_log(r"mirror2 undrained by")
        # it failed while drained: not back while it keeps failing (the
        # undrain planned at once; two more failed checks since then)
        wait_until(lambda: self.farm.count(M2, "mirrorpool/", since=t0) >= 2,
                   5, "two more checks of mirror2")
        self.assertEqual(self.dig(), [M1, M3])
        self.assertEqual(ag.find_log(r"^<\d>UPDATE "), [])
        self.farm.set_mode(M2, "ok")
        ag.wait_log(r"mirror2 127\.0\.0\.12: down -> up \(2/2 successes")
        add = ag.wait_log(r"UPDATE %s: %s A \+127\.0\.0\.12 \(NOERROR"
                          % (RX_ZONE, RX_POOL))
        first = ag.wait_log(r"mirror2 127\.0\.0\.12: check passed \(1/2\)")
        self.assertLess(first.start(), add.start())
        self.wait_dig(ALL)

    def test_drain_floor_refusal_and_force(self):
        ag = self.agent(min_healthy=2)
        self.ctl_ok(ag, "drain", "mirror1")
        self.wait_dig([M2, M3])

        ag.mark()
        rc, out, err = ag.ctl("drain", "mirror2", "--reason", "oops")
        self.assertEqual((rc, out), (1, ""))
        self.assertEqual(err, "mirrorpoolctl: draining mirror2 would leave "
                         "dl.example.org. A with 1 healthy address "
                         "(min_healthy 2); use --force to drain anyway\n")
        ag.wait_log(r"^<5>control: drain from %s \(uid %d, pid \d+\): "
                    r"draining mirror2 would leave" % (re.escape(USER), UID))
        self.assertIsNone(self.mirror_status(ag.status(), "mirror2")["drain"])
        self.assertEqual(self.dig(), [M2, M3])

        # a second drain does not silently replace the first
        rc, out, err = ag.ctl("drain", "mirror1", "--reason", "other")
        self.assertEqual((rc, out), (1, ""))
        self.assertRegex(err, r"^mirrorpoolctl: mirror1 is already drained "
                              r"\(by %s (just now|\d+s ago): no reason "
                              r"given\); use --update to change the drain "
                              r"\(what is not given again is kept\) or "
                              r"--force to replace it\n$" % re.escape(USER))
        self.assertEqual(self.mirror_status(ag.status(),
                                            "mirror1")["drain"]["reason"], "")
        # --update changes what is given again and keeps the rest
        out = self.ctl_ok(ag, "drain", "mirror1", "--update", "--reason",
                          "disk swap", "--for", "2h")
        self.assertEqual(out, "mirror1 drain updated\n")
        until = self.mirror_status(ag.status(), "mirror1")["drain"]["until"]
        self.assertLessEqual(abs(until - time.time() - 7200), 5)
        self.ctl_ok(ag, "drain", "mirror1", "--update", "--reason",
                    "disk swap, then fsck")
        d = self.mirror_status(ag.status(), "mirror1")["drain"]
        self.assertEqual((d["reason"], d["until"]),
                         ("disk swap, then fsck", until))
        ag.wait_log(r"^<5>mirror1 drain updated by %s \(uid %d\) for "
                    r"(2h|1h59m): disk swap, then fsck; bypassing"
                    % (re.escape(USER), UID))
        rc, out, err = ag.ctl("drain", "mirror2", "--update")
        self.assertEqual((rc, err), (1, "mirrorpoolctl: mirror2 is not "
                                        "drained: nothing to update (drain "
                                        "it without --update)\n"))

        # --force goes below the floor, down to an empty RRset
        self.ctl_ok(ag, "drain", "mirror2", "--force", "--reason",
                    "compromised")
        ag.wait_log(r"^<4>mirror2 drained with --force by %s \(uid %d\): "
                    r"compromised; bypassing the update rate limits$"
                    % (re.escape(USER), UID))
        self.wait_dig([M3], timeout=5)
        rc, out, err = ag.ctl("drain", "mirror3", "--force")
        self.assertEqual((rc, out), (0, "mirror3 drained; its records leave "
                                        "the pool now\n"))
        self.assertEqual(err, "mirrorpoolctl: warning: this leaves %s A "
                              "empty: clients get no address for it\n"
                         % POOL)
        ag.wait_log(r"^<4>mirror3 drained with --force leaves %s A empty: "
                    r"clients get no address for it$" % RX_POOL)
        self.wait_dig([], timeout=5)
        ag.wait_log(r"UPDATE %s: %s A -127\.0\.0\.13 \(NOERROR in \d+ ms, "
                    r"operator action\)" % (RX_ZONE, RX_POOL))
        st = ag.status()
        self.assertEqual(st["pools"][0]["rrsets"]["A"]["in_dns"], [])
        self.assertIs(self.mirror_status(st, "mirror2")["drain"]["force"],
                      True)
        # health decisions never refill what --force emptied
        rc, out, err = ag.ctl("check")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.dig(), [])

        for m in ("mirror1", "mirror2", "mirror3"):
            self.ctl_ok(ag, "undrain", m)
        self.wait_dig(ALL, timeout=5)

    def test_drain_address(self):
        self.set_rrset([M1, M2, M3, M4])
        ag = self.agent(mirrors=[("mirror1", [M1, M4]), ("mirror2", [M2]),
                                 ("mirror3", [M3])])
        rc, out, err = ag.ctl("drain", "mirror1", "--address", "192.0.2.1")
        self.assertEqual((rc, err), (1, "mirrorpoolctl: mirror mirror1 has "
                                        "no address 192.0.2.1\n"))
        out = self.ctl_ok(ag, "drain", "mirror1", "--address", M4,
                          "--reason", "nic swap")
        self.assertEqual(out, "mirror1 127.0.0.14 drained; its records leave "
                              "the pool now\n")
        self.wait_dig([M1, M2, M3], timeout=3)
        ag.wait_log(r"^<5>mirror1 127\.0\.0\.14 drained by %s \(uid %d\): "
                    r"nic swap; bypassing" % (re.escape(USER), UID))
        m = self.mirror_status(ag.status(), "mirror1")
        self.assertIsNone(m["drain"])
        by_addr = {a["address"]: a for a in m["addresses"]}
        self.assertEqual(by_addr[M4]["drain"]["reason"], "nic swap")
        self.assertIsNone(by_addr[M1]["drain"])
        self.assertIs(by_addr[M1]["published"], True)
        self.assertIs(by_addr[M4]["published"], False)

        rc, out, err = ag.ctl("undrain", "mirror1", "--address", M1)
        self.assertEqual((rc, err), (1, "mirrorpoolctl: mirror1 127.0.0.11 is "
                                        "not drained\n"))
        out = self.ctl_ok(ag, "undrain", "mirror1", "--address", M4)
        self.assertEqual(out, "mirror1 127.0.0.14 undrained; it returns to "
                              "the pool once healthy\n")
        self.wait_dig([M1, M2, M3, M4], timeout=3)

    def test_unknown_mirror(self):
        ag = self.agent()
        for cmd in ("drain", "undrain", "check"):
            rc, out, err = ag.ctl(cmd, "nosuch")
            self.assertEqual((rc, out, err),
                             (1, "", 'mirrorpoolctl: no mirror named '
                                     '"nosuch"\n'), cmd)
        self.assertEqual(self.dig(), ALL)

    # -- check, sync, metrics --------------------------------------------
    def test_check_runs_checks_now(self):
        self.farm.set_mode(M3, "503")
        self.prove_http(M3, 503)
        ag = self.agent(interval="30s", fast_interval="20s")
        t0 = time.monotonic()
        rc, out, err = ag.ctl("check")
        # a check that ran and failed fails the command
        self.assertEqual((rc, err), (1, "mirrorpoolctl: 1 of 3 checks "
                                        "failed\n"))
        lines = out.splitlines()
        self.assertEqual(len(lines), 3, out)
        self.assertRegex(lines[0], r"^mirror1  127\.0\.0\.11  ok    HTTP 200  "
                         r"\d+ ms +state up$")
        self.assertRegex(lines[1], r"^mirror2  127\.0\.0\.12  ok    HTTP 200  "
                         r"\d+ ms +state up$")
        # the first failure, or the second after a scheduled check
        self.assertRegex(lines[2], r"^mirror3  127\.0\.0\.13  FAIL  HTTP 503  "
                         r"\d+ ms +state (up|down)$")
        for a in ALL:
            self.assertGreaterEqual(self.farm.count(a, "mirrorpool/",
                                                    since=t0), 1)
        # the second failure from `check` takes mirror3 down (fall 2),
        # long before its 20 s fast interval would have
        t0 = time.monotonic()
        rc, out, err = ag.ctl("check", "mirror3")
        self.assertEqual(rc, 1, err)
        self.assertRegex(out, r"^mirror3  127\.0\.0\.13  FAIL  HTTP 503  "
                         r"\d+ ms +state down\n$")
        self.assertEqual(self.farm.count(M1, "mirrorpool/", since=t0), 0)
        self.assertEqual(self.farm.count(M3, "mirrorpool/", since=t0), 1)
        self.wait_dig([M1, M2], timeout=5)
        ag.wait_log(r"mirror3 127\.0\.0\.13: up -> down \(2/2 failures, last: "
                    r"HTTP 503")
        ag.wait_log(r"^<5>control: check from %s \(uid %d, pid \d+\): "
                    r"running checks$" % (re.escape(USER), UID), start=0)
        rc, out, err = ag.ctl("--json", "check", "mirror1")
        self.assertEqual(rc, 0, err)
        res = json.loads(out)["results"]
        self.assertEqual(len(res), 1)
        self.assertEqual((res[0]["mirror"], res[0]["address"], res[0]["ok"],
                          res[0]["detail"], res[0]["state"]),
                         ("mirror1", M1, True, "HTTP 200", "up"))

    def test_sync_repairs_a_record_removed_behind_its_back(self):
        ag = self.agent()
        rc, out = self.srv.nsupdate(["update delete %s A %s" % (POOL, M3)])
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.dig(), [M1, M2])
        ag.mark()
        out = self.ctl_ok(ag, "sync")
        self.assertRegex(out, r"(?m)^  A     published    127\.0\.0\.11 "
                         r"127\.0\.0\.12 127\.0\.0\.13$")
        self.assertRegex(out, r"(?m)^        in DNS       127\.0\.0\.11 "
                         r"127\.0\.0\.12  \(differs: UPDATE pending\)$")
        ag.wait_log(r"^<5>control: sync from %s \(uid %d, pid \d+\): "
                    r"re-reading the RRsets$" % (re.escape(USER), UID))
        ag.wait_log(r"^<4>drift: %s A changed on the primary outside "
                    r"mirrorpool \(-127\.0\.0\.13\); re-converging$" % RX_POOL)
        ag.wait_log(r"^<5>UPDATE %s: %s A \+127\.0\.0\.13 \(NOERROR"
                    % (RX_ZONE, RX_POOL))
        self.wait_dig(ALL, timeout=5)
        rc, out, err = ag.ctl("--json", "sync")
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(json.loads(out)["pools"][0]["rrsets"]["A"]
                                ["in_dns"]), ALL)

    def test_sync_with_the_primary_down_fails(self):
        ag = self.agent()
        self.srv.stop()
        self.assertIsNone(dnstools.dig_status(self.srv.port, ZONE),
                          "the primary still answers")
        rc, out, err = ag.ctl("sync")
        self.assertEqual((rc, out), (1, ""))
        self.assertRegex(err, r"^mirrorpoolctl: could not read the RRsets "
                         r"from the primary: ")
        self.srv.restart()
        self.ctl_ok(ag, "sync")

    def test_metrics(self):
        self.farm.set_mode(M3, "503")
        self.prove_http(M3, 503)
        ag = self.agent()
        ag.wait_log(r"UPDATE %s: %s A -127\.0\.0\.13 \(NOERROR"
                    % (RX_ZONE, RX_POOL))
        self.wait_all_checked(ag)
        out = self.ctl_ok(ag, "metrics")
        for name in METRIC_NAMES:
            self.assertRegex(out, r"(?m)^# TYPE %s (gauge|counter)$" % name)
        promtool_check_metrics(self, out)
        samples = parse_samples(self, out)

        def lab(mirror, addr, extra=""):
            return '{pool="%s",mirror="%s",address="%s"%s}' % (
                POOL, mirror, addr, extra)
        for mirror, addr, up in (("mirror1", M1, 1), ("mirror2", M2, 1),
                                 ("mirror3", M3, 0)):
            self.assertEqual(samples["mirrorpool_address_up" +
                                     lab(mirror, addr)], up)
            self.assertEqual(samples["mirrorpool_address_published" +
                                     lab(mirror, addr)], up)
            self.assertGreaterEqual(
                samples["mirrorpool_check_duration_seconds" +
                        lab(mirror, addr)], 0)
            ok = samples["mirrorpool_checks_total" +
                         lab(mirror, addr, ',result="ok"')]
            fail = samples["mirrorpool_checks_total" +
                           lab(mirror, addr, ',result="failed"')]
            self.assertEqual(samples["mirrorpool_address_drained" +
                                     lab(mirror, addr)], 0)
            self.assertEqual(samples["mirrorpool_address_suppressed" +
                                     lab(mirror, addr)], 0)
            self.assertEqual(samples["mirrorpool_address_penalty" +
                                     lab(mirror, addr)] > 0, not up)
            if up:
                self.assertGreaterEqual(ok, 1)
                self.assertEqual(fail, 0)
            else:
                self.assertEqual(ok, 0)
                self.assertGreaterEqual(fail, 2)
        self.assertEqual(samples['mirrorpool_updates_total{pool="%s",type="A"'
                                 ',result="ok"}' % POOL], 1)
        self.assertEqual(samples['mirrorpool_rrset_records{pool="%s",type="A"}'
                                 % POOL], 2)
        self.assertEqual(samples['mirrorpool_rrset_records{pool="%s",type='
                                 '"AAAA"}' % POOL], 0)
        self.assertEqual(samples["mirrorpool_frozen"], 0)
        self.assertEqual(samples['mirrorpool_build_info{version="%s"}'
                                 % self.version], 1)
        self.assertLessEqual(abs(samples["mirrorpool_start_time_seconds"] -
                                 time.time()), 60)
        self.assertEqual(samples["mirrorpool_dns_up"], 1)
        self.assertLessEqual(
            abs(samples["mirrorpool_dns_last_success_timestamp_seconds"] -
                time.time()), 30)
        for kind in ("timeout", "network", "tsig", "rcode"):
            self.assertEqual(samples['mirrorpool_dns_errors_total{kind="%s"}'
                                     % kind], 0)
        self.assertEqual(samples['mirrorpool_pool_min_healthy{pool="%s",'
                                 'type="A"}' % POOL], 1)
        # no AAAA addresses: that RRset has no floor to be at
        self.assertNotIn('mirrorpool_pool_min_healthy{pool="%s",type="AAAA"}'
                         % POOL, samples)
        self.assertEqual(samples["mirrorpool_config_last_reload_success"], 1)
        # the same exposition goes to metrics_file
        wait_until(lambda: os.path.exists(ag.metrics_file), 5,
                   "metrics_file")
        with open(ag.metrics_file) as f:
            text = f.read()
        for name in METRIC_NAMES:
            self.assertIn("# TYPE %s " % name, text)
        promtool_check_metrics(self, text)

        # a drain shows; a rejected reload shows at once, in the file too
        self.ctl_ok(ag, "drain", "mirror1", "--reason", "metrics")
        samples = parse_samples(self, self.ctl_ok(ag, "metrics"))
        self.assertEqual(samples["mirrorpool_address_drained" +
                                 lab("mirror1", M1)], 1)
        with open(ag.conf, "a") as f:
            f.write("\nbogus_key = 1;\n")
        rc, out, err = ag.ctl("reload")
        self.assertEqual(rc, 1, err)
        with open(ag.metrics_file) as f:
            samples = parse_samples(self, f.read())
        self.assertEqual(samples["mirrorpool_config_last_reload_success"], 0)
        self.assertLessEqual(
            abs(samples["mirrorpool_config_last_reload_timestamp_seconds"] -
                time.time()), 30)
        # stopped, the agent leaves no stale values behind
        self.assertEqual(ag.stop(), 0)
        self.assertFalse(os.path.exists(ag.metrics_file),
                         "metrics_file outlived the agent")

    def test_metrics_with_the_primary_down(self):
        port = free_port()
        self.assertIsNone(dnstools.dig_status(port, ZONE),
                          "something answers DNS on port %d" % port)
        ag = self.agent(dns_port=port)
        ag.wait_log(r"reading %s A from 127\.0\.0\.1 port %d: connection "
                    r"refused; retrying in" % (RX_POOL, port), start=0)
        out = self.ctl_ok(ag, "metrics")
        promtool_check_metrics(self, out)
        samples = parse_samples(self, out)
        self.assertEqual(samples["mirrorpool_dns_up"], 0)
        self.assertEqual(
            samples["mirrorpool_dns_last_success_timestamp_seconds"], 0)
        self.assertGreaterEqual(
            samples['mirrorpool_dns_errors_total{kind="network"}'], 1)
        # present, and unknown rather than a misleading 0
        for t in ("A", "AAAA"):
            v = samples['mirrorpool_rrset_records{pool="%s",type="%s"}'
                        % (POOL, t)]
            self.assertNotEqual(v, v, "rrset_records %s is %r, not NaN"
                                % (t, v))

    # -- state file ------------------------------------------------------
    def test_drains_survive_kill9_and_restart(self):
        ag = self.agent()
        self.ctl_ok(ag, "drain", "mirror1", "--reason", "rack move", "--for",
                    "1h")
        self.ctl_ok(ag, "drain", "mirror2", "--address", M2, "--reason",
                    "disk")
        self.wait_dig([M3], timeout=5)
        before = ag.status()
        ag.kill9()
        self.assertEqual(ag.exit_codes[-1], -signal.SIGKILL)
        with open(ag.state_file) as f:
            saved = json.load(f)
        self.assertEqual(sorted((d["mirror"], d["address"], d["reason"])
                                for d in saved["drains"]),
                         [("mirror1", None, "rack move"),
                          ("mirror2", M2, "disk")])
        self.assertFalse([n for n in os.listdir(ag.dir) if ".tmp." in n])
        serial = self.serial()

        ag.start()
        ag.wait_log(r"^<6>state restored from %s$" % re.escape(ag.state_file))
        after = ag.status()
        self.assertEqual(self.mirror_status(after, "mirror1")["drain"],
                         self.mirror_status(before, "mirror1")["drain"])
        self.assertEqual(self.addr_status(after, "mirror2")["drain"],
                         self.addr_status(before, "mirror2")["drain"])
        self.assertIsNotNone(self.mirror_status(after, "mirror1")["drain"]
                             ["until"])
        # a full round of checks and a fresh read: DNS untouched
        self.ctl_ok(ag, "check")
        self.ctl_ok(ag, "sync")
        self.assertEqual(self.dig(), [M3])
        self.assertEqual(self.serial(), serial)
        self.assertEqual(ag.find_log(r"^<\d>UPDATE "), [])
        # and the restored drains still work as drains
        self.ctl_ok(ag, "undrain", "mirror1")
        self.ctl_ok(ag, "undrain", "mirror2")
        self.wait_dig(ALL, timeout=5)

    def test_corrupt_state_file_is_kept_aside(self):
        ag = self.agent(start=False)
        garbage = '{"version": 1, "drains": [ {"mirror": '
        with open(ag.state_file, "w") as f:
            f.write(garbage)
        ag.start()
        m = ag.wait_log(r"^<3>state file is corrupt: %s:\d+: .+; kept as "
                        r"(%s\.corrupt-\d+); starting without saved drains "
                        r"and penalties$" % (re.escape(ag.state_file),
                                             re.escape(ag.state_file)),
                        start=0)
        aside = m.group(1)
        with open(aside) as f:
            self.assertEqual(f.read(), garbage)
        st = ag.status()
        self.assertTrue(all(x["drain"] is None
                            for x in st["pools"][0]["mirrors"]))
        # it runs normally and saves a good state file again
        self.ctl_ok(ag, "drain", "mirror1")
        self.wait_dig([M2, M3], timeout=5)
        with open(ag.state_file) as f:
            self.assertEqual([d["mirror"] for d in json.load(f)["drains"]],
                             ["mirror1"])

    # -- --for -------------------------------------------------------------
    def test_drain_for_expires_by_itself(self):
        ag = self.agent()
        t0 = time.monotonic()
        self.ctl_ok(ag, "drain", "mirror1", "--for", "3s", "--reason",
                    "short")
        self.wait_dig([M2, M3], timeout=3)
        d = self.mirror_status(ag.status(), "mirror1")["drain"]
        self.assertIn(d["until"] - d["since"], (3, 4))
        ag.wait_log(r"^<5>mirror1 drained by %s \(uid %d\) for 3s: short; "
                    r"bypassing" % (re.escape(USER), UID))
        ag.wait_log(r"^<5>drain of mirror1 expired \(was: short\); it returns "
                    r"once healthy$", timeout=8)
        t_exp = time.monotonic() - t0
        self.assertGreaterEqual(t_exp, 2.0)
        self.wait_dig(ALL, timeout=3)
        self.assertLess(time.monotonic() - t0, 7)
        self.assertIsNone(self.mirror_status(ag.status(), "mirror1")["drain"])
        with open(ag.state_file) as f:
            self.assertEqual(json.load(f)["drains"], [])

    # -- reload --------------------------------------------------------------
    def test_reload_good_config_by_sighup_and_command(self):
        ag = self.agent()
        self.ctl_ok(ag, "drain", "mirror2", "--reason", "keep me")
        self.wait_dig([M1, M3], timeout=5)
        wait_until(lambda: self.addr_status(ag.status(), "mirror1")
                   ["consecutive_ok"] >= 3, 10, "3 checks of mirror1",
                   step=0.2)
        drain_before = self.mirror_status(ag.status(), "mirror2")["drain"]

        # SIGHUP: mirror3 removed, mirror4 added
        ag.set(mirrors=[("mirror1", [M1]), ("mirror2", [M2]),
                        ("mirror4", [M4])])
        ag.mark()
        n1 = self.addr_status(ag.status(), "mirror1")["consecutive_ok"]
        os.kill(ag.proc.pid, signal.SIGHUP)
        ag.wait_log(r"^<5>SIGHUP: reloading %s$" % re.escape(ag.conf))
        ag.wait_log(r"^<5>reload: configuration accepted \(1 pool, 3 "
                    r"addresses\)$")
        st = ag.status()
        self.assertEqual([m["name"] for m in st["pools"][0]["mirrors"]],
                         ["mirror1", "mirror2", "mirror4"])
        self.assertGreaterEqual(self.addr_status(st, "mirror1")
                                ["consecutive_ok"], n1)
        self.assertEqual(self.mirror_status(st, "mirror2")["drain"],
                         drain_before)
        ag.wait_log(r"^<4>%s A holds 127\.0\.0\.13, which belongs to no "
                    r"configured mirror; removing it$" % RX_POOL)
        ag.wait_log(r"UPDATE %s: %s A -127\.0\.0\.13 \(NOERROR"
                    % (RX_ZONE, RX_POOL))
        ag.wait_log(r"mirror4 127\.0\.0\.14: starts down \(absent in DNS\)")
        ag.wait_log(r"mirror4 127\.0\.0\.14: down -> up \(2/2 successes")
        ag.wait_log(r"UPDATE %s: %s A \+127\.0\.0\.14 \(NOERROR"
                    % (RX_ZONE, RX_POOL))
        self.wait_dig([M1, M4])
        # and it goes on counting from there
        wait_until(lambda: self.addr_status(ag.status(), "mirror1")
                   ["consecutive_ok"] > n1, 5, "another check of mirror1",
                   step=0.2)
        n1 = self.addr_status(ag.status(), "mirror1")["consecutive_ok"]

        # mirrorpoolctl reload: mirror3 back; the drain still holds
        ag.set(mirrors=MIRRORS + [("mirror4", [M4])])
        ag.mark()
        out = self.ctl_ok(ag, "reload")
        self.assertEqual(out, "new configuration accepted\n")
        ag.wait_log(r"^<5>reload: configuration accepted \(1 pool, 4 "
                    r"addresses\)$")
        ag.wait_log(r"^<5>control: reload from %s \(uid %d, pid \d+\): "
                    r"accepted$" % (re.escape(USER), UID))
        st = ag.status()
        self.assertGreaterEqual(self.addr_status(st, "mirror1")
                                ["consecutive_ok"], n1)
        self.assertEqual(self.mirror_status(st, "mirror2")["drain"],
                         drain_before)
        ag.wait_log(r"mirror3 127\.0\.0\.13: starts down \(absent in DNS\)")
        ag.wait_log(r"UPDATE %s: %s A \+127\.0\.0\.13 \(NOERROR"
                    % (RX_ZONE, RX_POOL))
        self.wait_dig([M1, M3, M4])
        self.assertNotIn(M2, self.dig())
        with open(ag.state_file) as f:
            self.assertEqual([d["mirror"] for d in json.load(f)["drains"]],
                             ["mirror2"])

    def test_reload_renamed_mirror_keeps_its_record(self):
        ag = self.agent()
        ag.set(mirrors=[("mirror1", [M1]), ("mirror2", [M2]),
                        ("mirror3-new", [M3])])
        serial = self.serial()
        ag.mark()
        self.assertEqual(self.ctl_ok(ag, "reload"),
                         "new configuration accepted\n")
        # the renamed mirror is a new one whose address DNS already holds:
        # it starts up, as at a start, and DNS is left alone
        ag.wait_log(r"^<6>mirror3-new 127\.0\.0\.13: starts up \(present in "
                    r"DNS\)$")
        self.ctl_ok(ag, "check")
        self.ctl_ok(ag, "sync")
        self.assertEqual(ag.find_log(r"^<\d>UPDATE |no configured mirror"),
                         [])
        self.assertEqual(self.dig(), ALL)
        self.assertEqual(self.serial(), serial)
        self.assertEqual(self.addr_status(ag.status(), "mirror3-new")
                         ["state"], "up")

    def test_reload_broken_config_keeps_the_old_one(self):
        ag = self.agent()
        with open(ag.conf) as f:
            good = f.read()
        ag.set(extra='log_levle = "debug";')
        ag.mark()
        rc, out, err = ag.ctl("reload")
        self.assertEqual((rc, out), (1, ""))
        self.assertRegex(err, r'^mirrorpoolctl: new configuration rejected: '
                         r'%s:\d+: unknown key "log_levle" at top level .*did '
                         r'you mean "log_level"\?\n$' % re.escape(ag.conf))
        ag.wait_log(r'^<3>reload: %s:\d+: unknown key "log_levle"'
                    % re.escape(ag.conf))
        ag.wait_log(r"^<3>reload rejected \(1 error\); the running "
                    r"configuration stays in force$")
        ag.wait_log(r"^<5>control: reload from %s \(uid %d, pid \d+\): "
                    r"rejected$" % (re.escape(USER), UID))

        # SIGHUP with another broken file: rejected as well
        ag.set(extra="", mirrors=[("mirror1", ["not-an-address"])])
        ag.mark()
        os.kill(ag.proc.pid, signal.SIGHUP)
        ag.wait_log(r'^<3>reload: %s:\d+: .*not-an-address'
                    % re.escape(ag.conf))
        ag.wait_log(r"^<3>reload rejected \(\d errors?\); the running "
                    r"configuration stays in force$")
        with open(ag.conf) as f:
            self.assertNotEqual(f.read(), good)

        # the old configuration still runs: all mirrors, still checked,
        # faults still acted on
        st = ag.status()
        self.assertEqual([m["name"] for m in st["pools"][0]["mirrors"]],
                         ["mirror1", "mirror2", "mirror3"])
        t0 = time.monotonic()
        wait_until(lambda: all(self.farm.count(a, "mirrorpool/", since=t0)
                               for a in ALL), 5, "checks of every mirror")
        self.farm.set_mode(M3, "503")
        self.prove_http(M3, 503)
        ag.wait_log(r"UPDATE %s: %s A -127\.0\.0\.13 \(NOERROR"
                    % (RX_ZONE, RX_POOL))
        self.wait_dig([M1, M2])
        self.assertTrue(ag.alive())

    # -- the control socket, raw -----------------------------------------------
    def raw(self, ag, payload, n_replies=1, timeout=5):
        """Sends payload on a fresh connection; returns the reply lines
        (parsed) and whether the agent closed the connection after them."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            # blocking: waits while the listen backlog is full
            s.connect(ag.socket)
            s.settimeout(timeout)
            if payload:
                s.sendall(payload)
            buf = b""
            while buf.count(b"\n") < n_replies:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            lines = buf.split(b"\n")
            replies = [json.loads(x) for x in lines[:n_replies]]
            self.assertEqual(lines[n_replies:], [b""], buf)
            try:
                s.settimeout(0.5)
                closed = s.recv(1) == b""
            except socket.timeout:
                closed = False
            return replies, closed
        finally:
            s.close()

    def test_malformed_and_oversized_requests(self):
        ag = self.agent()
        cases = [
            (b"hello\n", "request is not valid JSON"),
            (b"[1, 2]\n", "request must be a JSON object"),
            (b"{}\n", 'missing "cmd"'),
            (b'{"cmd": 7}\n', '"cmd" must be a string'),
            (b'{"cmd": "explode"}\n', 'unknown command "explode"'),
            (b'{"cmd": "drain"}\n', 'drain needs "mirror"'),
            (b'{"cmd": "status", "mirror": "mirror1", "x": 1}\n', None),
            (b'{"cmd": "drain", "mirror": "mirror1", "force": "yes"}\n',
             '"force" must be true or false'),
            (b'{"cmd": "drain", "mirror": "mirror1", "for": "soon"}\n',
             'invalid duration "soon"'),
            (b'{"cmd": "drain", "mirror": "mirror1", "address": "1.2.3"}\n',
             'invalid address "1.2.3"'),
            (b'{"cmd": "drain", "cmd": "drain", "mirror": "mirror1"}\n',
             "duplicate key in request"),
            (b'{"cmd": "drain", "mirror": "mirror1", "reason": "\xff\xfe"}\n',
             None),
        ]
        for payload, error in cases:
            with self.subTest(payload=payload):
                (reply,), closed = self.raw(ag, payload)
                self.assertIs(reply["ok"], False, reply)
                if error is not None:
                    self.assertEqual(reply["error"], error)
                else:
                    self.assertTrue(reply["error"])
                self.assertFalse(closed)
        ag.wait_log(r"^<5>control: bad request from %s \(uid %d, pid \d+\): "
                    r"request is not valid JSON$" % (re.escape(USER), UID))

        # two requests on one connection, the bad one does not spoil the
        # good one
        (bad, good), _ = self.raw(ag, b'nonsense\n{"cmd": "status"}\n', 2)
        self.assertIs(bad["ok"], False)
        self.assertIs(good["ok"], True)
        self.assertEqual(good["status"]["pools"][0]["name"], POOL)

        # oversized: one error reply, then the agent hangs up
        (reply,), closed = self.raw(ag, b"x" * 70000)
        self.assertEqual(reply, {"ok": False,
                                 "error": "request is longer than 65536 "
                                          "bytes"})
        self.assertTrue(closed)
        ag.wait_log(r"^<5>control: request from %s \(uid %d, pid \d+\) is "
                    r"longer than 65536 bytes; closing the connection$"
                    % (re.escape(USER), UID))

        # more clients than it serves at once: the one too many is told
        conns = []
        try:
            for _ in range(64):
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                conns.append(c)
                c.connect(ag.socket)
            (reply,), closed = self.raw(ag, b"")
            self.assertEqual(reply, {"ok": False,
                                     "error": "too many connections (at "
                                              "most 64); try again later"})
            self.assertTrue(closed)
        finally:
            for c in conns:
                c.close()
        ag.wait_log(r"^<4>control: refusing a connection from %s \(uid %d, "
                    r"pid \d+\): 64 connections already open$"
                    % (re.escape(USER), UID))
        wait_until(lambda: ag.ctl("status")[0] == 0, 5, "status again")

        # clients that vanish mid-request or say nothing
        for payload in (b'{"cmd": "sta', b""):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(ag.socket)
            s.sendall(payload)
            s.close()

        # nothing changed, and the agent still serves and works
        self.assertTrue(ag.alive())
        st = ag.status()
        self.assertTrue(all(m["drain"] is None
                            for m in st["pools"][0]["mirrors"]))
        self.assertEqual(self.dig(), ALL)
        self.ctl_ok(ag, "drain", "mirror1")
        self.wait_dig([M2, M3], timeout=5)

    # -- systemd notification --------------------------------------------------
    def notify_agent(self, **kw):
        ag = self.agent(start=False, **kw)
        listener = NotifyListener(os.path.join(ag.dir, "notify.sock"))
        self.addCleanup(listener.close)
        ag.env = {"NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "1000000"}
        return ag, listener

    def test_notify_ready_status_watchdog_reload_stop(self):
        ag, nl = self.notify_agent()
        ag.start(wait_ready=False)
        pid = ag.proc.pid
        i = nl.wait(lambda d: d.startswith("READY=1"), 10, "READY=1")
        msgs = nl.messages()
        # READY comes after the first read of the RRsets
        self.assertTrue(ag.find_log(r"mirror3 127\.0\.0\.13: starts up "
                                    r"\(present in DNS\)", start=0))
        self.assertEqual(msgs[i][2], "READY=1\nSTATUS=dl.example.org.: 3/3 "
                                     "published; no UPDATE yet")
        self.assertFalse([d for _, _, d in msgs[:i] if "READY" in d])
        ag.wait_log(r"^<6>ready: dl\.example\.org\.: 3/3 published; no "
                    r"UPDATE yet$", start=0)

        # a state change: a new STATUS line
        self.farm.set_mode(M3, "503")
        nl.wait(lambda d: d.startswith("STATUS=") and "2/3 published" in d,
                10, "STATUS after mirror3 went")
        self.wait_dig([M1, M2])

        # the watchdog at about WATCHDOG_USEC / 2, from the start on
        wait_until(lambda: len([m for m in nl.messages()
                                if m[2] == "WATCHDOG=1"]) >= 5, 6,
                   "5 watchdog pings")
        pings = [t for t, _, d in nl.messages() if d == "WATCHDOG=1"]
        gaps = sorted(b - a for a, b in zip(pings, pings[1:]))
        self.assertLess(pings[0] - nl.messages()[0][0], 0.9)
        self.assertTrue(0.4 <= gaps[len(gaps) // 2] <= 0.65, gaps)
        self.assertLess(gaps[-1], 0.95, gaps)

        # SIGHUP: RELOADING=1 (with MONOTONIC_USEC), then READY=1
        n = len(nl.messages())
        os.kill(pid, signal.SIGHUP)
        r = nl.wait(lambda d: d.startswith("RELOADING=1"), 5, "RELOADING=1")
        self.assertGreaterEqual(r, n)
        self.assertRegex(nl.messages()[r][2],
                         r"^RELOADING=1\nMONOTONIC_USEC=\d+$")
        usec = int(nl.messages()[r][2].split("=")[-1])
        self.assertLess(abs(usec / 1e6 - time.monotonic()), 5)
        # (the READY=1 of the start is earlier: wait for one after r)
        wait_until(lambda: any(m[2].startswith("READY=1")
                               for m in nl.messages()[r + 1:]), 5,
                   "READY=1 after reload")
        ready = [k for k, m in enumerate(nl.messages())
                 if m[2].startswith("READY=1")]
        self.assertGreater(ready[-1], r)
        ag.wait_log(r"reload: configuration accepted")

        # SIGTERM: STOPPING=1 and exit 0
        n = len(nl.messages())
        self.assertEqual(ag.stop(), 0)
        s = nl.wait(lambda d: d == "STOPPING=1", 3, "STOPPING=1")
        self.assertGreaterEqual(s, n)
        # every datagram came from the main process itself
        self.assertEqual({p for _, p, _ in nl.messages()}, {pid})

    def test_notify_ready_with_primary_unreachable(self):
        port = free_port()
        self.assertIsNone(dnstools.dig_status(port, ZONE),
                          "something answers DNS on port %d" % port)
        ag, nl = self.notify_agent(dns_port=port)
        ag.start(wait_ready=False)
        nl.wait(lambda d: d.startswith("READY=1"), 10, "READY=1")
        ag.wait_log(r"^<4>reading %s A from 127\.0\.0\.1 port %d: connection "
                    r"refused; retrying in" % (RX_POOL, port), start=0,
                    timeout=3)
        # what is published is not known before DNS was read: not "(none)"
        self.wait_all_checked(ag)
        out = self.ctl_ok(ag, "status")
        self.assertRegex(out, r"(?m)^  A     published    unknown \(DNS not "
                              r"read yet\)\n        in DNS       \(not read "
                              r"yet\)$")
        self.assertNotIn("(none)", out)
        st = ag.status()
        self.assertEqual([x["published"] for m in st["pools"][0]["mirrors"]
                          for x in m["addresses"]], [None, None, None])
        # SIGINT stops it as SIGTERM does
        ag.proc.popen.send_signal(signal.SIGINT)
        self.assertEqual(ag.proc.popen.wait(10), 0)
        ag.wait_log(r"^<5>SIGINT: stopping$", start=0)
        nl.wait(lambda d: d == "STOPPING=1", 3, "STOPPING=1")

    def test_notify_ready_waits_for_the_first_read(self):
        silent = SilentServer()
        self.addCleanup(silent.close)
        ag, nl = self.notify_agent(dns_port=silent.port, dns_timeout="900ms")
        ag.start(wait_ready=False)
        i = nl.wait(lambda d: d.startswith("READY=1"), 10, "READY=1")
        t_ready = nl.messages()[i][0]
        self.assertTrue(silent.arrivals, "no query reached the server")
        # only after the first query had its chance (timeout 900 ms)
        self.assertGreaterEqual(t_ready - silent.arrivals[0], 0.8)
        ag.wait_log(r"reading %s A from 127\.0\.0\.1 port %d: no answer "
                    r"\(timeout\); retrying in" % (RX_POOL, silent.port),
                    start=0, timeout=3)
        self.assertEqual(ag.stop(), 0)

    # -- stop with an UPDATE in flight ------------------------------------------
    def drain_held(self, hold, dns_timeout):
        """An agent behind a HoldingRelay (hold seconds), and mirror1
        drained: returns (relay, agent) once the relay holds the UPDATE."""
        relay = HoldingRelay(self.srv.port, hold=hold)
        self.addCleanup(relay.close)
        ag = self.agent(dns_port=relay.port, dns_timeout=dns_timeout)
        self.ctl_ok(ag, "drain", "mirror1")
        self.assertTrue(relay.update_seen.wait(5), "no UPDATE reached the "
                                                   "relay")
        return relay, ag

    def test_sigterm_finishes_update_in_flight(self):
        relay, ag = self.drain_held(hold=1.5, dns_timeout="4s")
        self.assertEqual(self.dig(), ALL)  # still held by the relay
        t0 = time.monotonic()
        ag.proc.popen.send_signal(signal.SIGTERM)
        ag.wait_log(r"^<5>SIGTERM: stopping after the UPDATE in flight "
                    r"completes$", start=0)
        ag.proc.popen.wait(10)
        self.assertGreaterEqual(time.monotonic() - t0, 0.5)
        self.assertEqual(ag.stop(), 0)
        self.assertEqual(relay.updates_answered, 1)
        ag.wait_log(r"^<5>UPDATE in flight at stop: applied\n"
                    r"<5>UPDATE %s: %s A -127\.0\.0\.11 \(NOERROR in \d+ ms, "
                    r"operator action\)\n<5>stopped$" % (RX_ZONE, RX_POOL),
                    start=0)
        self.assertEqual(self.dig(), [M2, M3])

    def test_second_sigterm_stops_at_once(self):
        relay, ag = self.drain_held(hold=8, dns_timeout="10s")
        ag.proc.popen.send_signal(signal.SIGTERM)
        ag.wait_log(r"SIGTERM: stopping after the UPDATE in flight "
                    r"completes$", start=0)
        t0 = time.monotonic()
        ag.proc.popen.send_signal(signal.SIGTERM)
        self.assertEqual(ag.proc.popen.wait(5), 0)
        self.assertLess(time.monotonic() - t0, 3)
        ag.wait_log(r"^<4>SIGTERM again: stopping at once\n<4>UPDATE: %s A "
                    r"-127\.0\.0\.11 abandoned at stop; the primary may "
                    r"have applied it \(the next start re-reads\)$"
                    % RX_POOL, start=0)
        self.assertEqual(relay.updates_answered, 0)
        # the drain itself was saved before the stop
        with open(ag.state_file) as f:
            self.assertEqual([d["mirror"] for d in json.load(f)["drains"]],
                             ["mirror1"])

    def test_reload_while_stopping_is_ignored(self):
        """SIGTERM while a slow primary holds the UPDATE, then SIGHUP and
        `mirrorpoolctl reload`: both are refused with the reason, and the
        stop still ends within dns.timeout (2 s) plus a second, exit 0."""
        relay, ag = self.drain_held(hold=30, dns_timeout="2s")
        t0 = time.monotonic()
        ag.proc.popen.send_signal(signal.SIGTERM)
        ag.wait_log(r"^<5>SIGTERM: stopping after the UPDATE in flight "
                    r"completes$", start=0)
        ag.proc.popen.send_signal(signal.SIGHUP)
        ag.wait_log(r"^<4>SIGHUP: reload ignored: the daemon is stopping "
                    r"\(it finishes the UPDATE in flight, then exits\)$",
                    start=0)
        rc, out, err = ag.ctl("reload")
        self.assertNotEqual(rc, 0)
        self.assertIn("reload ignored: the daemon is stopping", err)
        self.assertEqual(ag.proc.popen.wait(10), 0)
        self.assertLess(time.monotonic() - t0, 2 + 1)
        self.assertEqual(relay.updates_answered, 0)  # still held
        ag.wait_log(r"^<4>UPDATE: %s A -127\.0\.0\.11 abandoned at stop; "
                    r"the primary may have applied it|^<3>UPDATE: %s A "
                    r"-127\.0\.0\.11 not applied \(TIMEOUT\)$"
                    % (RX_POOL, RX_POOL), start=0)
        ag.wait_log(r"^<5>stopped$", start=0)
        self.assertNotRegex(ag.log_text(), r"reload: configuration accepted")

    def test_stop_while_reloading_waits_for_the_reload(self):
        """SIGHUP while the UPDATE is held: the reload waits for it; a
        SIGTERM then waits for the reload, which is applied before the
        stop completes."""
        relay, ag = self.drain_held(hold=1.5, dns_timeout="4s")
        ag.proc.popen.send_signal(signal.SIGHUP)
        ag.wait_log(r"^<5>reload: waiting for the UPDATE in flight$", start=0)
        ag.proc.popen.send_signal(signal.SIGTERM)
        ag.wait_log(r"^<5>SIGTERM: stopping once the reload in progress "
                    r"settles$", start=0)
        self.assertEqual(ag.proc.popen.wait(10), 0)
        self.assertEqual(relay.updates_answered, 1)
        ag.wait_log(r"^<5>UPDATE %s: %s A -127\.0\.0\.11 \(NOERROR in \d+ "
                    r"ms, operator action\)\n(.*\n)*<5>reload: configuration "
                    r"accepted \(1 pool, 3 addresses\)\n(.*\n)*<5>SIGTERM: "
                    r"stopping\n(.*\n)*<5>stopped$" % (RX_ZONE, RX_POOL),
                    start=0)
        self.assertEqual(self.dig(), [M2, M3])

    # -- exit statuses ------------------------------------------------------------
    def run_daemon(self, ag):
        r = subprocess.run([program("mirrorpoold"), "-c", ag.conf],
                           capture_output=True, text=True, timeout=30,
                           start_new_session=True)
        return r.returncode, r.stdout + r.stderr

    def test_exit_statuses_at_start(self):
        ag = self.agent(start=False, extra='log_levle = "info";')
        rc, out = self.run_daemon(ag)
        self.assertEqual(rc, 78, out)
        self.assertIn('unknown key "log_levle" at top level', out)
        self.assertIn("configuration rejected, not starting", out)

        key = os.path.join(ag.dir, "world.key")
        shutil.copy(self.srv.key.path, key)
        os.chmod(key, 0o644)
        self.assertTrue(os.stat(key).st_mode & 0o004)
        ag.set(extra="", key_file=key)
        rc, out = self.run_daemon(ag)
        self.assertEqual(rc, 78, out)
        self.assertIn("%s: the key file is readable by other users "
                      "(mode 0644)" % key, out)
        self.assertNotIn(self.srv.key.secret, out)

        ag.set(key_file=self.srv.key.path)
        missing = os.path.join(ag.dir, "no-such-dir", "control.sock")
        self.assertFalse(os.path.exists(os.path.dirname(missing)))
        with open(ag.conf) as f:
            text = f.read().replace('"%s"' % ag.socket, '"%s"' % missing)
        with open(ag.conf, "w") as f:
            f.write(text)
        rc, out = self.run_daemon(ag)
        self.assertEqual(rc, 1, out)
        self.assertIn("cannot start: control socket: directory %s does not "
                      "exist" % os.path.dirname(missing), out)
        self.assertEqual(self.dig(), ALL)


V6_SKIP = None if have_ipv6_loopback() else "no IPv6 loopback (::1)"


@unittest.skipIf(V6_SKIP, V6_SKIP)
class OpsV6Test(OpsTest):
    """The core scenarios once more with an IPv6 primary: named listens on
    ::1 only and the agent's dns.server is "::1" (failover and recovery,
    drain and undrain, the rate limit, status, a restart from the state
    file, drift repaired by sync). After each, named's own log must hold
    every record the agent logged as changed, each change from client
    ::1."""

    scenarios = (
        "test_status_human_json_and_pool",
        "test_drain_bypasses_rate_limit_and_undrain_returns_at_once",
        "test_undrain_of_a_down_address_waits_for_rise",
        "test_drains_survive_kill9_and_restart",
        "test_sync_repairs_a_record_removed_behind_its_back")

    @classmethod
    def make_server(cls):
        return Named(zone=ZONE, records={"dl": [("A", a) for a in ALL]},
                     host="::1")

    def setUp(self):
        super().setUp()
        # named's log from here on: setUp's own nsupdate is behind us
        self.named_mark = len(self.srv.log_text())

    def tearDown(self):
        try:
            if not any(err for _, err in self._outcome_errors()):
                self.assert_changes_came_over_ipv6()
        finally:
            super().tearDown()

    def assert_changes_came_over_ipv6(self):
        agent = updatelog.Changes()
        for ag in self.agents:
            ch = updatelog.agent_applied(ag.log_text(), POOL)
            agent.adds += ch.adds
            agent.dels += ch.dels
            agent.messages += ch.messages
        named_log = self.srv.log_text()[self.named_mark:]
        named = updatelog.named_changes(named_log, ZONE, POOL)
        seen = "agent: +%s, %d deleted; named: +%s, %d deleted, clients %s" % (
            sorted(agent.adds.elements()), agent.dels,
            sorted(named.adds.elements()), named.dels, dict(named.clients))
        self.assertGreater(agent.messages, 0, "no UPDATE applied: " + seen)
        # every change named made came from ::1 (the test's own nsupdate
        # goes there too), and all the agent's changes are among them
        self.assertEqual(list(named.clients), ["::1"], seen)
        self.assertEqual(agent.adds - named.adds, collections.Counter(),
                         seen)
        self.assertGreaterEqual(named.dels, agent.dels, seen)


# only the scenarios run again (a None attribute is not a test)
for _name in dir(OpsTest):
    if _name.startswith("test_") and _name not in OpsV6Test.scenarios:
        setattr(OpsV6Test, _name, None)


if __name__ == "__main__":
    main(("named", "dig", "nsupdate", "tsig-keygen", "curl"))
