#!/usr/bin/env python3
"""mirrorpool's DNS transport (agent/dns/dnsclient.c, driven by tests/tools/mp-dns)
against real BIND and Knot primaries and a fake server that misbehaves on
purpose. Each fault test first shows the fault really happens (nsupdate, dig
or the fake server's own record), then asserts how the transport reacts.
FAULTS.md item numbers are given in brackets."""
import os
import re
import socket
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # the source tree may be read-only

from mplib import dnstools  # noqa: E402
from mplib.fakedns import FakeDNS  # noqa: E402
from mplib.knot import Knot  # noqa: E402
from mplib.named import Named  # noqa: E402
from mplib.ports import free_port  # noqa: E402

BUILD = os.environ.get("top_builddir") or os.path.join(HERE, "..", "..")
MP_DNS = os.path.join(BUILD, "tests", "tools", "mp-dns")
ZONE = "example.org"
DL = "dl.example.org."
# A wrong secret of the right length for hmac-sha256.
WRONG_SECRET = "c2VjcmV0IHRoYXQgdGhlIHNlcnZlciBkb2VzIG5vdCBrbm8="


class Result:
    def __init__(self, proc, elapsed):
        self.status = proc.returncode
        self.out = proc.stdout.strip()
        self.err = proc.stderr
        self.elapsed = elapsed
        self.kind = self.out.split(" ", 1)[0] if self.out else ""
        self.fields = dict(re.findall(r"(\S+?)=(\"[^\"]*\"|\S+)", self.out))

    def __repr__(self):
        return "<mp-dns exit %d: %s | %s>" % (self.status, self.out,
                                              self.err.strip()[-500:])


def mp_dns(port, key, *command, tcp=False, timeout="2s", offset=None,
           server="127.0.0.1", key_file=False, repeat=None):
    argv = [MP_DNS, "--server", server, "--port", str(port), "--zone", ZONE,
            "--timeout", timeout]
    if key_file:
        argv += ["--key-file", key.path, "--key-name", key.name]
    else:
        argv += ["--key", key.inline()]
    if tcp:
        argv.append("--tcp")
    if offset is not None:
        argv += ["--clock-offset", str(offset)]
    if repeat is not None:
        argv += ["--repeat", str(repeat)]
    argv += list(command)
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return Result(p, time.monotonic() - t0)


def update(port, key, *changes, rtype="A", **kw):
    return mp_dns(port, key, "update", DL, rtype, "60", *changes, **kw)


def query(port, key, rtype="A", **kw):
    return mp_dns(port, key, "query", DL, rtype, **kw)


def query_soa(port, key):
    return mp_dns(port, key, "query", ZONE, "SOA")


class ServerTests:
    """Run against both primaries; subclasses set SERVER."""
    SERVER = None

    @classmethod
    def setUpClass(cls):
        cls.ns = cls.SERVER().start()

    @classmethod
    def tearDownClass(cls):
        cls.ns.close()

    def setUp(self):
        # every test starts from the same RRset
        want = ["192.0.2.10", "192.0.2.20"]
        have = self.ns.dig(DL, "A")
        cmds = ["update delete %s 0 A %s" % (DL, a)
                for a in have if a not in want]
        cmds += ["update add %s 60 A %s" % (DL, a)
                 for a in want if a not in have]
        if cmds:
            rc, out = self.ns.nsupdate(cmds)
            self.assertEqual(rc, 0, out)
        self.assertEqual(self.ns.dig(DL, "A"), want)

    def run_update(self, *changes, key=None, **kw):
        key = key or self.ns.key
        # the files tsig-keygen (BIND) or keymgr (Knot) made, as the daemon
        # reads them; variants made for fault tests go inline
        kw.setdefault("key_file", key.path is not None)
        return update(self.ns.port, key, *changes, **kw)

    # [1] one delete (class NONE) and one add, signed and verified
    def test_update_sha256_udp(self):
        r = self.run_update("-192.0.2.20", "+192.0.2.30")
        self.assertEqual(r.status, 0, r)
        self.assertEqual(r.kind, "ANSWER", r)
        self.assertEqual(r.fields["rcode"], "NOERROR", r)
        self.assertEqual(r.fields["tsig"], "verified", r)
        self.assertEqual(r.fields["via"], "udp", r)
        self.assertEqual(self.ns.dig(DL, "A"), ["192.0.2.10", "192.0.2.30"])

    def test_query_reads_rrset(self):
        r = query(self.ns.port, self.ns.key)
        self.assertEqual(r.status, 0, r)
        self.assertEqual(r.fields["addrs"], "192.0.2.10,192.0.2.20", r)
        r = mp_dns(self.ns.port, self.ns.key, "query", ZONE, "SOA")
        self.assertEqual(r.status, 0, r)
        self.assertIn("serial", r.fields, r)

    def served(self, addr, present, timeout=3.0):
        """The pool's A RRset as the server answers queries, asked again
        for up to timeout seconds until addr is in it (present) or not:
        under load Knot once answered the query that followed a NOERROR
        UPDATE with no A record at all, and the next one as updated."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.ns.dig(DL, "A")
            if (addr in got) == present or time.monotonic() > deadline:
                return got
            time.sleep(0.05)

    def test_algorithms_and_transports(self):
        for key in (self.ns.key, self.ns.key512):
            for tcp in (False, True):
                with self.subTest(alg=key.alg, tcp=tcp):
                    r = self.run_update("+192.0.2.40", key=key, tcp=tcp)
                    self.assertEqual(r.status, 0, r)
                    self.assertEqual(r.fields["via"],
                                     "tcp" if tcp else "udp", r)
                    self.assertIn("192.0.2.40",
                                  self.served("192.0.2.40", True))
                    r = self.run_update("-192.0.2.40", key=key, tcp=tcp)
                    self.assertEqual(r.status, 0, r)
                    self.assertNotIn("192.0.2.40",
                                     self.served("192.0.2.40", False))
                    r = query(self.ns.port, key, tcp=tcp)
                    self.assertEqual(r.status, 0, r)
                    self.assertEqual(r.fields["addrs"],
                                     "192.0.2.10,192.0.2.20", r)

    # [6] wrong secret: the server answers NOTAUTH/BADSIG unsigned
    def test_wrong_secret(self):
        bad = self.ns.key.variant(secret=WRONG_SECRET)
        rc, out = self.ns.nsupdate(["update add %s 60 A 192.0.2.50" % DL],
                                   key=bad)
        self.assertIn("NOTAUTH(BADSIG)", out)
        r = self.run_update("+192.0.2.50", key=bad, timeout="1s")
        self.assertEqual(r.status, 1, r)
        self.assertEqual(r.kind, "UNSIGNED", r)
        self.assertEqual(r.fields["rcode"], "NOTAUTH", r)
        self.assertEqual(r.fields.get("tsig-error"), "BADSIG", r)
        self.assertEqual(self.ns.dig(DL, "A"), ["192.0.2.10", "192.0.2.20"])

    # [7] a key the server does not know, or ours with another algorithm
    def test_unknown_key_and_wrong_algorithm(self):
        unknown = self.ns.key.variant(name="nobody")
        wrong_alg = self.ns.key.variant(alg="hmac-sha512")
        for bad in (unknown, wrong_alg):
            with self.subTest(key=bad.name, alg=bad.alg):
                rc, out = self.ns.nsupdate(
                    ["update add %s 60 A 192.0.2.51" % DL], key=bad)
                self.assertIn("NOTAUTH(BADKEY)", out)
                r = self.run_update("+192.0.2.51", key=bad, timeout="1s")
                self.assertEqual(r.status, 1, r)
                self.assertEqual(r.kind, "UNSIGNED", r)
                self.assertEqual(r.fields["rcode"], "NOTAUTH", r)
                self.assertEqual(r.fields.get("tsig-error"), "BADKEY", r)
        self.assertEqual(self.ns.dig(DL, "A"), ["192.0.2.10", "192.0.2.20"])

    # [8] our clock 301 s ahead: signed BADTIME with the server's time
    def test_clock_skew(self):
        r = self.run_update("+192.0.2.52", offset=301)
        self.assertEqual(r.status, 1, r)
        self.assertEqual(r.kind, "ANSWER", r)
        self.assertEqual(r.fields["rcode"], "NOTAUTH", r)
        self.assertEqual(r.fields["tsig"], "server-error", r)
        self.assertEqual(r.fields["tsig-error"], "BADTIME", r)
        skew = int(r.fields["skew"].rstrip("s"))
        self.assertTrue(299 <= skew <= 303, r)
        self.assertEqual(self.ns.dig(DL, "A"), ["192.0.2.10", "192.0.2.20"])
        for offset in (299, -299):
            with self.subTest(offset=offset):
                r = self.run_update("+192.0.2.52", offset=offset)
                self.assertEqual(r.status, 0, r)
                r = self.run_update("-192.0.2.52", offset=offset)
                self.assertEqual(r.status, 0, r)

    # [18] zone frozen: REFUSED; after thaw the same UPDATE succeeds
    def test_frozen_zone(self):
        self.ns.freeze()
        try:
            rc, out = self.ns.nsupdate(["update add %s 60 A 192.0.2.53"
                                        % DL])
            self.assertIn("REFUSED", out)
            r = self.run_update("+192.0.2.53")
            self.assertEqual(r.status, 1, r)
            self.assertEqual(r.kind, "ANSWER", r)
            self.assertEqual(r.fields["rcode"], "REFUSED", r)
            self.assertEqual(r.fields["tsig"], "verified", r)
        finally:
            self.ns.thaw()
        r = self.run_update("+192.0.2.53")
        self.assertEqual(r.status, 0, r)
        self.assertIn("192.0.2.53", self.ns.dig(DL, "A"))

    # [22] an UPDATE over 512 bytes goes straight to TCP
    def test_large_update_over_tcp(self):
        adds = ["+2001:db8::%x" % i for i in range(1, 21)]
        r = self.run_update(*adds, rtype="AAAA")
        self.assertEqual(r.status, 0, r)
        self.assertEqual(r.fields["via"], "tcp", r)
        self.assertEqual(len(self.ns.dig(DL, "AAAA")), 20)
        r = self.run_update(*["-" + a[1:] for a in adds], rtype="AAAA")
        self.assertEqual(r.status, 0, r)
        self.assertEqual(self.ns.dig(DL, "AAAA"), [])

    # [24] the primary killed with SIGKILL and restarted
    def test_kill9_and_restart(self):
        self.assertEqual(self.run_update("+192.0.2.54").status, 0)
        self.ns.kill9()
        try:
            self.assertRaises(Exception, self.ns.dig, DL, "A", timeout=1)
            r = self.run_update("-192.0.2.54", timeout="500ms")
            self.assertIn(r.kind, ("NETERR", "TIMEOUT"), r)
            self.assertEqual(r.status, 1, r)
        finally:
            self.ns.restart()
        self.assertIn("192.0.2.54", self.ns.dig(DL, "A"))
        r = self.run_update("-192.0.2.54")
        self.assertEqual(r.status, 0, r)
        self.assertNotIn("192.0.2.54", self.ns.dig(DL, "A"))


    # the benchmark mode: N UPDATEs in one process, alternating the change
    # and its inverse, each timed
    def test_repeat_alternates_and_times(self):
        before = int(query_soa(self.ns.port, self.ns.key).fields["serial"])
        r = self.run_update("+192.0.2.60", repeat=5)
        self.assertEqual(r.status, 0, r)
        lines = r.out.splitlines()
        self.assertEqual(len(lines), 6, r)
        for i, line in enumerate(lines[:5]):
            f = dict(re.findall(r"(\S+?)=(\S+)", line))
            self.assertTrue(line.startswith("RTT "), line)
            self.assertEqual(f["seq"], str(i + 1), line)
            self.assertEqual(f["op"], "inverse" if i % 2 else "given", line)
            self.assertEqual(f["rcode"], "NOERROR", line)
            self.assertEqual(f["tsig"], "verified", line)
            self.assertLessEqual(int(f["send_us"]), int(f["total_us"]), line)
        s = dict(re.findall(r"(\S+?)=(\S+)", lines[5]))
        self.assertTrue(lines[5].startswith("SUMMARY "), lines[5])
        self.assertEqual((s["requests"], s["ok"]), ("5", "5"), lines[5])
        self.assertLessEqual(int(s["send_median_us"]),
                             int(s["send_max_us"]), lines[5])
        # three adds and two deletes, each a real change of the zone
        self.assertEqual(self.ns.dig(DL, "A"),
                         ["192.0.2.10", "192.0.2.20", "192.0.2.60"])
        after = int(query_soa(self.ns.port, self.ns.key).fields["serial"])
        self.assertEqual(after - before, 5)
        r = self.run_update("-192.0.2.60", repeat=2)
        self.assertEqual(r.status, 0, r)
        self.assertEqual(self.ns.dig(DL, "A"),
                         ["192.0.2.10", "192.0.2.20", "192.0.2.60"])

    def test_repeat_only_for_updates(self):
        r = mp_dns(self.ns.port, self.ns.key, "query", DL, "A", repeat=3)
        self.assertEqual(r.status, 2, r)
        self.assertEqual(r.out, "", r)
        for bad in ("0", "-1", "x"):
            r = mp_dns(self.ns.port, self.ns.key, "update", DL, "A", "60",
                       "+192.0.2.61", repeat=bad)
            self.assertEqual(r.status, 2, r)


class BindTests(ServerTests, unittest.TestCase):
    SERVER = Named

    # a refused UPDATE ends the --repeat run there, with exit status 1
    def test_repeat_stops_at_first_failure(self):
        r = self.run_update("+192.0.2.62", key=self.ns.stranger, repeat=4)
        self.assertEqual(r.status, 1, r)
        lines = r.out.splitlines()
        self.assertEqual(len(lines), 2, r)
        self.assertTrue(lines[0].startswith("FAILED seq=1 ANSWER "
                                            "rcode=REFUSED"), r)
        self.assertEqual(lines[1], "SUMMARY requests=4 ok=0", r)
        self.assertEqual(self.ns.dig(DL, "A"), ["192.0.2.10", "192.0.2.20"])

    # [17] BIND: update-policy denies the key -> REFUSED, signed
    def test_permission_denied(self):
        rc, out = self.ns.nsupdate(["update add %s 60 A 192.0.2.55" % DL],
                                   key=self.ns.stranger)
        self.assertIn("update failed: REFUSED", out)
        r = self.run_update("+192.0.2.55", key=self.ns.stranger)
        self.assertEqual(r.status, 1, r)
        self.assertEqual(r.kind, "ANSWER", r)
        self.assertEqual(r.fields["rcode"], "REFUSED", r)
        self.assertEqual(r.fields["tsig"], "verified", r)
        self.assertEqual(self.ns.dig(DL, "A"), ["192.0.2.10", "192.0.2.20"])


class KnotTests(ServerTests, unittest.TestCase):
    SERVER = Knot

    # [17] Knot: the ACL denies the key -> NOTAUTH/BADKEY, unsigned
    def test_permission_denied(self):
        rc, out = self.ns.nsupdate(["update add %s 60 A 192.0.2.55" % DL],
                                   key=self.ns.stranger)
        self.assertIn("NOTAUTH(BADKEY)", out)
        r = self.run_update("+192.0.2.55", key=self.ns.stranger,
                            timeout="1s")
        self.assertEqual(r.status, 1, r)
        self.assertEqual(r.kind, "UNSIGNED", r)
        self.assertEqual(r.fields["rcode"], "NOTAUTH", r)
        self.assertEqual(r.fields.get("tsig-error"), "BADKEY", r)
        self.assertEqual(self.ns.dig(DL, "A"), ["192.0.2.10", "192.0.2.20"])


class PortCollisionTest(unittest.TestCase):
    # [26] a second named on a taken port: the harness notices and moves
    def test_second_named_moves(self):
        with Named() as first:
            with Named(port=first.port) as second:
                self.assertEqual(second.collisions, 1)
                self.assertNotEqual(second.port, first.port)
                # each answers with its own zone
                self.assertIn(first.token,
                              first.dig(ZONE, "SOA")[0])
                self.assertIn(second.token,
                              second.dig(ZONE, "SOA")[0])


class ClosedPortTest(unittest.TestCase):
    # [15] nothing listens: ICMP port unreachable / RST -> NETERR at once
    def test_connection_refused(self):
        key = dnstools.TsigKey("mirrorpool", "hmac-sha256", WRONG_SECRET)
        port = free_port()
        for tcp in (False, True):
            with self.subTest(tcp=tcp):
                if tcp:
                    s = socket.socket()
                    self.assertRaises(ConnectionRefusedError, s.connect,
                                      ("127.0.0.1", port))
                    s.close()
                else:
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    s.connect(("127.0.0.1", port))
                    s.send(b"\0" * 12)
                    s.settimeout(2)
                    self.assertRaises(ConnectionRefusedError, s.recv, 512)
                    s.close()
                r = query(port, key, tcp=tcp, timeout="5s")
                self.assertEqual(r.kind, "NETERR", r)
                self.assertEqual(r.out, "NETERR connection refused")
                self.assertEqual(r.status, 1, r)
                self.assertLess(r.elapsed, 2.0, r)


class FakeServerTests(unittest.TestCase):
    TIMEOUT = "500ms"

    @classmethod
    def setUpClass(cls):
        cls.key = dnstools.TsigKey(
            "mirrorpool", "hmac-sha256",
            "kC7YdXESJjQWFRKWmfRE6GwoDeSQ8gfl+RFsBOe/+eQ=")
        cls.fake = FakeDNS(cls.key.secret).start()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def send(self, udp, tcp_script=("ok",), **kw):
        self.fake.reset(udp=udp, tcp=tcp_script)
        kw.setdefault("timeout", self.TIMEOUT)
        return query(self.fake.port, self.key, **kw)

    def test_fake_ok(self):
        r = self.send(["ok"])
        self.assertEqual(r.status, 0, r)
        self.assertEqual(r.fields["addrs"], "192.0.2.10", r)
        self.assertEqual(self.fake.sent(), ["ok"])

    # [16] a silent server: timeout
    def test_silent_server(self):
        r = self.send(["drop"])
        self.assertEqual(self.fake.queries("udp"), 1)
        self.assertEqual(r.kind, "TIMEOUT", r)
        self.assertEqual(r.out, "TIMEOUT no answer within 500 ms over UDP")
        self.assertEqual(r.status, 1, r)
        self.assertGreaterEqual(r.elapsed, 0.5)
        r = self.send(["ok"], tcp_script=["drop"], tcp=True)
        self.assertEqual(self.fake.queries("tcp"), 1)
        self.assertEqual(r.out, "TIMEOUT no answer within 500 ms over TCP")

    # [9] a forged unsigned NOERROR is never success
    def test_forged_unsigned_noerror(self):
        r = self.send(["unsigned"])
        self.assertEqual(self.fake.sent("udp"), ["unsigned"])
        self.assertEqual(r.status, 1, r)
        self.assertEqual(r.kind, "UNSIGNED", r)
        self.assertEqual(r.fields["rcode"], "NOERROR", r)
        self.assertEqual(r.fields["tsig"], "unsigned", r)
        # it waited for the real answer until the timeout
        self.assertGreaterEqual(r.elapsed, 0.5)
        # and the real, signed answer still wins when it comes later
        r = self.send(["unsigned", "delay:0.1", "ok"], timeout="2s")
        self.assertEqual(self.fake.sent("udp"), ["unsigned", "ok"])
        self.assertEqual(r.status, 0, r)

    # [12] messages that do not answer our request are ignored
    def test_not_an_answer_ignored(self):
        for kind in ("wrong-id", "qr0", "wrong-opcode", "wrong-question",
                     "other-port", "other-addr"):
            with self.subTest(kind=kind):
                r = self.send([kind])
                self.assertEqual(self.fake.sent("udp"), [kind])
                self.assertEqual(r.kind, "TIMEOUT", r)
                self.assertEqual(r.status, 1, r)
                r = self.send([kind, "ok"])
                self.assertEqual(self.fake.sent("udp"), [kind, "ok"])
                self.assertEqual(r.status, 0, r)

    # [13] TC=1 -> the same request again over TCP
    def test_truncated_retries_over_tcp(self):
        r = self.send(["tc"], tcp_script=["ok"])
        self.assertEqual(self.fake.sent("udp"), ["tc"])
        self.assertEqual(self.fake.queries("tcp"), 1)
        self.assertEqual(r.status, 0, r)
        self.assertEqual(r.fields["via"], "tcp", r)

    # [14] malformed and mis-signed replies: rejected, no crash
    def test_malformed_rejected(self):
        for kind, want in (("garbage", "TIMEOUT"), ("empty", "TIMEOUT"),
                           ("oversized", "TIMEOUT"),
                           ("two-tsig", "UNSIGNED"),
                           ("tsig-not-last", "UNSIGNED"),
                           ("other-alg", "UNSIGNED"),    # [10]
                           ("md5", "UNSIGNED"),          # [11]
                           ("bad-time", "UNSIGNED")):    # [10]
            with self.subTest(kind=kind):
                r = self.send([kind])
                self.assertEqual(self.fake.sent("udp"), [kind])
                self.assertEqual(r.status, 1, r)
                self.assertEqual(r.kind, want, r)
                # still listening: a proper answer after it is taken
                r = self.send([kind, "ok"])
                self.assertEqual(r.status, 0, r)
                self.assertEqual(r.kind, "ANSWER", r)

    # over TCP the peer is the server: its unsigned error ends the request
    def test_unsigned_error_over_tcp_is_immediate(self):
        r = self.send(["drop"], tcp_script=["unsigned-badkey"], tcp=True,
                      timeout="3s")
        self.assertEqual(self.fake.sent("tcp"), ["unsigned-badkey"])
        self.assertEqual(r.kind, "UNSIGNED", r)
        self.assertEqual(r.fields.get("tsig-error"), "BADKEY", r)
        self.assertLess(r.elapsed, 2.0, r)

    # [22] over 512 bytes: TCP only, never a UDP datagram
    def test_large_update_tcp_only(self):
        self.fake.reset(udp=["ok"], tcp=["ok"])
        adds = ["+2001:db8::%x" % i for i in range(1, 21)]
        r = update(self.fake.port, self.key, *adds, rtype="AAAA",
                   timeout=self.TIMEOUT)
        self.assertEqual(r.status, 0, r)
        self.assertEqual(self.fake.queries("udp"), 0)
        self.assertEqual(self.fake.queries("tcp"), 1)
        self.assertEqual(r.fields["via"], "tcp", r)


def main():
    for tool in ("named", "knotd", "dig", "nsupdate", "tsig-keygen",
                 "keymgr", "rndc", "knotc"):
        if not any(os.access(os.path.join(d, tool), os.X_OK)
                   for d in os.environ.get("PATH", "").split(":") +
                   ["/usr/sbin", "/sbin"]):
            print("SKIP: %s not installed" % tool)
            return 77
    os.environ["PATH"] += ":/usr/sbin:/sbin"
    if not os.access(MP_DNS, os.X_OK):
        print("mp-dns not built at " + MP_DNS)
        return 99
    prog = unittest.main(exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
