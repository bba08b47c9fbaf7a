#!/usr/bin/env python3
"""The interoperability matrix: {BIND, Knot, PowerDNS} x {the six TSIG
algorithms of RFC 8945} x {UDP, TCP} x {127.0.0.1, ::1}, 72 cells.

One primary per (server, address) holds a key of each algorithm (made by
the server's own tool: tsig-keygen, keymgr -t; imported into PowerDNS with
pdnsutil) and one pool name per cell. Its cells run six at a time, each
with its own mirrors, its own mirrorpoold and a one-transport relay in front
of the primary (so a cell cannot pass over the other transport). A cell
passes when
  - dig shows the failover (a mirror answering 503 leaves the pool) and the
    recovery (it comes back), both made by the agent;
  - `mirrorpoolctl --json status` shows last_update with rcode NOERROR;
  - the relay carried the agent's messages;
  - the agent logged no warning or error other than the mirror's own
    "up -> down", and exited 0 on SIGTERM with no sanitizer report.
The matrix seen is printed at the end. Skipped under MP_QUICK=1."""

import os
import re
import sys
import threading
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mplib import dnstools  # noqa: E402
from mplib.agent import Agent, have_programs, program  # noqa: E402
from mplib.dnsrelay import DnsRelay  # noqa: E402
from mplib.knot import Knot  # noqa: E402
from mplib.mirrors import MirrorFarm  # noqa: E402
from mplib.named import Named  # noqa: E402
from mplib.pdns import Pdns  # noqa: E402
from mplib.ports import have_ipv6_loopback  # noqa: E402
from mplib.tools import require  # noqa: E402

ZONE = "example.org"
ALGS = ["hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256",
        "hmac-sha384", "hmac-sha512"]
SERVERS = [("BIND", Named), ("Knot", Knot), ("PowerDNS", Pdns)]
HOSTS = ["127.0.0.1", "::1"]
TRANSPORTS = ["udp", "tcp"]
# one pool name and two mirror addresses per cell of a server
CELLS = [(alg, t) for alg in ALGS for t in TRANSPORTS]
# cells of one server running at once (a 2-core machine shared with other
# work: 12 sanitizer-built daemons at once starve the checks), and how long
# a cell waits for dig to show a change
PARALLEL = 6
WAIT = 30


def mirror_pair(i):
    return "127.0.1.%d" % (10 + 2 * i), "127.0.1.%d" % (11 + 2 * i)


def pool_label(alg, transport):
    return "p-%s-%s" % (alg.replace("hmac-", ""), transport)


def wait(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError("timed out after %ss: %s" % (timeout, what))


class Cell:
    def __init__(self, srv, key, farm, alg, transport, index):
        self.srv, self.key, self.farm = srv, key, farm
        self.alg, self.transport = alg, transport
        self.a1, self.a2 = mirror_pair(index)
        self.pool = "%s.%s." % (pool_label(alg, transport), ZONE)
        self.error = None
        self.seconds = None

    def dig(self):
        return self.srv.dig(self.pool, tcp=self.transport == "tcp")

    def run(self):
        t0 = time.monotonic()
        relay = ag = None
        try:
            relay = DnsRelay(self.srv.port, self.transport, host=self.srv.host,
                             upstream_host=self.srv.host).start()
            ag = Agent(dns_port=relay.port, server=self.srv.host,
                       key_file=self.key.path, transport=self.transport,
                       pool=self.pool, zone=ZONE,
                       mirrors=[("m1", [self.a1]), ("m2", [self.a2])],
                       url=self.farm.url("dl.example.org"),
                       interval="1s", fast_interval="300ms",
                       timeout="800ms", dns_timeout="3s", min_interval="200ms")
            ag.start()
            both = sorted([self.a1, self.a2])
            wait(lambda: self.dig() == both, WAIT, "dig %s == %s"
                 % (self.pool, both))
            self.farm.set_mode(self.a2, "503")
            code, _ = self.farm.curl(self.a2)
            assert code == 503, "the mirror still answers %s" % code
            wait(lambda: self.dig() == [self.a1], WAIT,
                 "failover: dig %s == [%s]" % (self.pool, self.a1))
            self.farm.set_mode(self.a2, "ok")
            wait(lambda: self.dig() == both, WAIT,
                 "recovery: dig %s == %s" % (self.pool, both))
            for sign in ("-", "+"):
                ag.wait_log(r"^<\d>UPDATE %s: %s A \%s%s \(NOERROR in \d+ "
                            r"ms\)$" % (re.escape(ZONE), re.escape(self.pool),
                                       sign, re.escape(self.a2)), start=0)
            last = ag.rrset("A")["last_update"]
            assert last and last["rcode"] == "NOERROR" and \
                last["added"] == [self.a2], "last_update: %r" % (last,)
            assert relay.messages >= 3, "relay carried %d" % relay.messages
            code = ag.stop()
            assert code == 0, "mirrorpoold exited %s" % code
            bad = [l for l in ag.log_text().splitlines()
                   if l[:3] in ("<0>", "<1>", "<2>", "<3>", "<4>") and
                   not l.startswith("<4>m2 %s: up -> down" % self.a2)]
            assert not bad, "warnings in the log: %s" % bad[:3]
            reports = ag.sanitizer_reports()
            assert not reports, "sanitizer: %s" % reports[:2]
            assert self.key.secret not in ag.log_text()
        except Exception as e:  # noqa: BLE001 (reported per cell)
            self.error = "%s: %s" % (type(e).__name__, e)
            if os.environ.get("MP_TEST_SHOW_LOGS") or ag:
                sys.stderr.write("\n--- %s %s %s %s ---\n%s\n%s\n" % (
                    self.srv.program, self.srv.host, self.alg,
                    self.transport, traceback.format_exc(),
                    ag.tail(3000) if ag else ""))
        finally:
            if ag:
                ag.stop()
                ag.close()
            if relay:
                relay.stop()
            self.seconds = time.monotonic() - t0


class InteropMatrix(unittest.TestCase):
    results = {}

    @classmethod
    def setUpClass(cls):
        addrs = [a for i in range(len(CELLS)) for a in mirror_pair(i)]
        cls.farm = MirrorFarm(addrs).start()
        cls.addClassCleanup(cls.farm.stop)

    @classmethod
    def tearDownClass(cls):
        head = "%-9s %-10s %-12s" % ("server", "address", "algorithm")
        lines = [head + "  udp   tcp"]
        passed = 0
        for name, _ in SERVERS:
            for host in HOSTS:
                for alg in ALGS:
                    row = "%-9s %-10s %-12s" % (name, host, alg)
                    for t in TRANSPORTS:
                        r = cls.results.get((name, host, alg, t), "-")
                        passed += r == "pass"
                        row += "  %-4s" % r
                    lines.append(row)
        sys.stderr.write("\nInteroperability matrix (%d of %d cells "
                         "passed):\n%s\n" % (passed, len(SERVERS) * len(HOSTS)
                                             * len(CELLS), "\n".join(lines)))

    def run_server(self, name, cls, host):
        labels = [pool_label(a, t) for a, t in CELLS]
        records = {lab: [("A", a) for a in mirror_pair(i)]
                   for i, lab in enumerate(labels)}
        srv = cls(zone=ZONE, records=records, pool_names=labels, host=host,
                  extra_keys=[("k-" + a.replace("hmac-", ""), a)
                              for a in ALGS])
        with srv:
            keys = dict(zip(ALGS, srv.extra_keys))
            self.farm.set_all("ok")
            cells = [Cell(srv, keys[a], self.farm, a, t, i)
                     for i, (a, t) in enumerate(CELLS)]
            slots = threading.BoundedSemaphore(PARALLEL)

            def run(cell):
                with slots:
                    cell.run()

            threads = [threading.Thread(target=run, args=(c,))
                       for c in cells]
            for th in threads:
                th.start()
            for th in threads:
                th.join(300)
        failed = []
        for c in cells:
            ok = c.error is None and c.seconds is not None
            self.results[(name, host, c.alg, c.transport)] = \
                "pass" if ok else "FAIL"
            if not ok:
                failed.append("%s %s %s: %s" % (c.alg, c.transport, host,
                                                  c.error))
        self.assertEqual(failed, [], "\n".join(failed))


def make_test(name, cls, host):
    def test(self):
        self.run_server(name, cls, host)
    return test


for _name, _cls in SERVERS:
    for _host in HOSTS:
        setattr(InteropMatrix, "test_%s_%s" % (
            _name.lower(), "v6" if ":" in _host else "v4"),
            make_test(_name, _cls, _host))


if __name__ == "__main__":
    if os.environ.get("MP_QUICK") == "1":
        print("SKIP: MP_QUICK=1 (the matrix runs in the full suite)")
        sys.exit(77)
    if not have_programs():
        print("SKIP: %s is not built" % program("mirrorpoold"))
        sys.exit(77)
    require("named", "knotd", "pdns_server", "pdnsutil", "dig", "nsupdate",
            "tsig-keygen", "keymgr")
    if not have_ipv6_loopback():
        print("SKIP: no IPv6 loopback (::1)")
        sys.exit(77)
    unittest.main(module="__main__", verbosity=2)
