#!/usr/bin/env python3
"""Health checks end to end (SPEC §3): tests/tools/mp-check, which runs the
agent's checker (curl multi on libuv), against nginx serving real test
certificates and against a fault-injecting HTTP server, all on loopback.

Every fault test first shows the fault with an independent client (Python's
ssl/urllib/http.client or a raw socket), then asserts mp-check's exact
failure reason.
"""

import hashlib
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mplib import SKIP, faultserver, nginx, ports, tlsca, tools  # noqa: E402

HOST = "mirror.test"
MP_CHECK = None
W = {}  # the module's world: temp dir, CA, servers, ports


def setUpModule():
    W["dir"] = tempfile.mkdtemp(prefix="mp-checks-")
    try:
        _build_world()
    except Exception:
        tearDownModule()
        raise


def _build_world():
    d = W["dir"]
    ca = W["ca"] = tlsca.TestCA(d)
    other = tlsca.TestCA(d, "otherca", cn="some other CA")
    good = ca.issue("good", [HOST], ips=["127.0.0.1"])
    wrong = ca.issue("wrong", ["other.test"])
    expired = ca.issue("expired", [HOST], start="20200101000000Z",
                       end="20200102000000Z")
    untrusted = other.issue("untrusted", [HOST])
    W["otherca"] = other
    # the "system store" of the ca_file-unset tests: Debian's bundle (when
    # there is one) with the test CA appended, named by SSL_CERT_FILE; no
    # real CA is ever contacted
    W["bundle"] = ca.system_bundle(os.path.join(d, "bundle.pem"))
    W["no_cert_dir"] = os.path.join(d, "no-cert-dir")
    os.mkdir(W["no_cert_dir"])
    # certificates close to their end, for the certificate watch
    now = time.time()
    W["soon_end"] = int(now) + 3 * 86400
    W["later_end"] = int(now) + 30 * 86400
    soon = ca.issue("soon", [HOST], end=_asn1(W["soon_end"]))
    later = ca.issue("later", [HOST], end=_asn1(W["later_end"]))

    ng = W["nginx"] = nginx.Nginx(d)
    whoami = ('        location = /whoami { return 200 '
              '"host=$host sni=$ssl_server_name\\n"; }')
    for name, cert in (("good", good), ("wrong", wrong),
                       ("expired", expired), ("untrusted", untrusted),
                       ("soon", soon), ("later", later)):
        W[name] = ports.free_port()
        ng.add_server([("127.0.0.1", W[name])], cert=cert, extra=whoami)
    # many loopback addresses on one port for the concurrency test
    W["many"] = ports.free_port()
    W["many_addrs"] = ["127.0.0.%d" % i for i in range(1, 51)]
    ng.add_server([(a, W["many"]) for a in W["many_addrs"]], cert=good)
    W["ipv6"] = None
    if _has_ipv6_loopback():
        W["ipv6"] = ports.free_port("::1")
        ng.add_server([("::1", W["ipv6"])], cert=good, extra=whoami)
    # session resumption: three addresses on one port, one ticket key
    # (so a ticket issued at one address would be accepted at any other),
    # and an access log saying which requests came on a resumed session
    W["ticket_key"] = os.path.join(d, "ticket.key")
    with open(W["ticket_key"], "wb") as f:
        f.write(os.urandom(80))
    W["resume"] = ports.free_port()
    W["resume_addrs"] = ["127.0.0.%d" % i for i in (1, 2, 3)]
    W["resume_log"] = os.path.join(d, "resume.log")
    ng.add_server([(a, W["resume"]) for a in W["resume_addrs"]], cert=good,
                  extra=_tls_log(W["resume_log"]))
    # a certificate swapped under a running check: files of its own,
    # overwritten and reloaded by the test
    W["swap_cert"] = tlsca.Cert("swap", os.path.join(d, "swap.crt"),
                                os.path.join(d, "swap.key"))
    for src, dst in ((good.cert, W["swap_cert"].cert),
                     (good.key, W["swap_cert"].key)):
        shutil.copyfile(src, dst)
    W["expired_cert"] = expired
    ng.write_file("trace", "%d\nok\n" % int(time.time()))
    ng.write_file("flip", "ok\n")
    ng.start()
    # its own nginx with a master process: reloaded without downtime
    sw = W["swap_nginx"] = nginx.Nginx(d, "nginx-swap", master=True)
    W["swap"] = ports.free_port()
    W["swap_log"] = os.path.join(d, "swap.log")
    sw.add_server([("127.0.0.1", W["swap"])], cert=W["swap_cert"],
                  extra=_tls_log(W["swap_log"]))
    sw.write_file("trace", "ok\n")
    sw.start()

    W["faults"] = faultserver.FaultServer().start()


def _asn1(t):
    return time.strftime("%Y%m%d%H%M%SZ", time.gmtime(t))


def _tls_log(path):
    return ("        access_log %s tls;\n"
            "        ssl_session_ticket_key %s;" % (path, W["ticket_key"]))


def tearDownModule():
    if "faults" in W:
        W["faults"].stop()
    for name in ("nginx", "swap_nginx"):
        if name in W:
            W[name].stop()
    shutil.rmtree(W["dir"], ignore_errors=True)


def _has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def mp_check(*args, timeout=60, env=None):
    """Runs mp-check; returns (exit status, output lines)."""
    r = tools.run([MP_CHECK] + list(args), timeout=timeout, env=env)
    if r.stderr:
        sys.stderr.write(r.stderr)
    return r.returncode, r.stdout.splitlines()


LINE = re.compile(r"^(ok|fail) (.*) (\d+)ms$")


class CheckTest(unittest.TestCase):
    ENV = None

    def assertCheck(self, args, ok, reason, min_ms=None):
        """One check: exit status, verdict and exact reason; returns the
        reported latency in ms."""
        rc, lines = mp_check(*args, env=self.ENV)
        self.assertEqual(len(lines), 1, lines)
        m = LINE.match(lines[0])
        self.assertIsNotNone(m, lines[0])
        self.assertEqual(m.group(1), "ok" if ok else "fail", lines[0])
        if hasattr(reason, "match"):
            self.assertRegex(m.group(2), reason)
        else:
            self.assertEqual(m.group(2), reason)
        self.assertEqual(rc, 0 if ok else 1)
        ms = int(m.group(3))
        if min_ms is not None:
            self.assertGreaterEqual(ms, min_ms)
        return ms


def https_url(port, path="/trace", host=HOST):
    return "https://%s:%d%s" % (host, port, path)


def tls_handshake(port, cafile, check_hostname=True, addr="127.0.0.1"):
    """A TLS handshake with Python's ssl to addr:port, SNI HOST."""
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = check_hostname
    with socket.create_connection((addr, port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname=HOST) as t:
            return t.getpeercert()


class TlsChecks(CheckTest):
    def test_right_name_passes(self):
        self.assertTrue(tls_handshake(W["good"], W["ca"].cert))
        self.assertCheck(["--url", https_url(W["good"]),
                          "--address", "127.0.0.1",
                          "--ca-file", W["ca"].cert, "--expect-body", "ok"],
                         True, "HTTP 200")

    def test_host_and_sni_come_from_the_url(self):
        # connect to the address, but Host and SNI are the URL's host
        self.assertCheck(["--url", https_url(W["good"], "/whoami"),
                          "--address", "127.0.0.1",
                          "--ca-file", W["ca"].cert,
                          "--expect-body", "host=mirror.test sni=mirror.test"],
                         True, "HTTP 200")

    def test_ipv6_address(self):
        if not W["ipv6"]:
            self.skipTest("no IPv6 loopback here")
        self.assertTrue(tls_handshake(W["ipv6"], W["ca"].cert, addr="::1"))
        self.assertCheck(["--url", https_url(W["ipv6"], "/whoami"),
                          "--address", "::1", "--ca-file", W["ca"].cert,
                          "--expect-body", "host=mirror.test sni=mirror.test"],
                         True, "HTTP 200")

    def test_wrong_name_fails(self):
        # the address answers with a valid chain, only the name is wrong
        self.assertTrue(ports.is_listening("127.0.0.1", W["wrong"]))
        tls_handshake(W["wrong"], W["ca"].cert, check_hostname=False)
        with self.assertRaisesRegex(ssl.SSLCertVerificationError,
                                    "Hostname mismatch"):
            tls_handshake(W["wrong"], W["ca"].cert)
        self.assertCheck(["--url", https_url(W["wrong"]),
                          "--address", "127.0.0.1",
                          "--ca-file", W["ca"].cert],
                         False,
                         "TLS: no alternative certificate subject name "
                         "matches target host name 'mirror.test'")

    def test_expired_fails(self):
        with self.assertRaisesRegex(ssl.SSLCertVerificationError,
                                    "certificate has expired"):
            tls_handshake(W["expired"], W["ca"].cert)
        self.assertCheck(["--url", https_url(W["expired"]),
                          "--address", "127.0.0.1",
                          "--ca-file", W["ca"].cert],
                         False, "TLS: certificate has expired")

    def test_expired_passes_without_verification(self):
        self.assertCheck(["--url", https_url(W["expired"]),
                          "--address", "127.0.0.1", "--no-tls-verify"],
                         True, "HTTP 200")

    def test_untrusted_ca_fails(self):
        self.assertTrue(tls_handshake(W["untrusted"], W["otherca"].cert))
        with self.assertRaisesRegex(ssl.SSLCertVerificationError,
                                    "unable to get local issuer"):
            tls_handshake(W["untrusted"], W["ca"].cert)
        self.assertCheck(["--url", https_url(W["untrusted"]),
                          "--address", "127.0.0.1",
                          "--ca-file", W["ca"].cert],
                         False, "TLS: unable to get local issuer certificate")


def _without_ca_file(args):
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a == "--ca-file":
            skip = True
        else:
            out.append(a)
    return out


class TlsChecksSystemStore(TlsChecks):
    """Every TLS test again with ca_file unset: the system store, here a
    private bundle holding the test CA (SSL_CERT_FILE), and an empty
    certificate directory (SSL_CERT_DIR)."""

    @property
    def ENV(self):
        return dict(os.environ, SSL_CERT_FILE=W["bundle"],
                    SSL_CERT_DIR=W["no_cert_dir"])

    def assertCheck(self, args, ok, reason, min_ms=None):
        self.assertNotIn("--ca-file", _without_ca_file(args))
        return super().assertCheck(_without_ca_file(args), ok, reason,
                                   min_ms=min_ms)

    def test_test_ca_is_only_in_the_private_bundle(self):
        # the proof that the bundle is what verifies: without it, the
        # same check fails
        rc, lines = mp_check("--url", https_url(W["good"]),
                             "--address", "127.0.0.1",
                             env=dict(os.environ, SSL_CERT_FILE=os.devnull,
                                      SSL_CERT_DIR=W["no_cert_dir"]))
        self.assertEqual(lines, [lines[0]])
        self.assertRegex(lines[0], r"^fail TLS: unable to get local issuer "
                                   r"certificate \d+ms$")


class TlsChecksCurl(TlsChecks):
    """Every TLS test again through libcurl (guard sentinels' path): the
    failure words are the same on both paths."""

    def assertCheck(self, args, ok, reason, min_ms=None):
        return super().assertCheck(list(args) + ["--http-client", "curl"],
                                   ok, reason, min_ms=min_ms)


class TlsCaFile(CheckTest):
    def test_missing_ca_file_same_words_on_both_paths(self):
        missing = os.path.join(W["dir"], "no-such-ca.pem")
        self.assertFalse(os.path.exists(missing))
        for client in ("builtin", "curl"):
            self.assertCheck(["--url", https_url(W["good"]),
                              "--address", "127.0.0.1",
                              "--ca-file", missing, "--http-client", client],
                             False,
                             "TLS: error setting certificate file: " +
                             missing)


def tls_log(path, since=0):
    """nginx's "tls" log from byte since: [(t, addr, resumed, status)]."""
    out = []
    with open(path) as f:
        f.seek(since)
        for line in f:
            t, addr, reused, status, _ = line.split(" ", 4)
            out.append((float(t), addr, reused == "r", int(status)))
    return out


def wait_log_quiet(path):
    """nginx logs a request after answering it: wait until it stops
    growing."""
    size, deadline = -1, time.monotonic() + 5
    while time.monotonic() < deadline:
        now = os.path.getsize(path)
        if now == size:
            return
        size = now
        time.sleep(0.3)


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


class TlsResumption(CheckTest):
    """Proven from the server side: nginx's $ssl_session_reused."""

    def run_addrs(self, *extra, run_for="4s", path="/trace"):
        since = _size(W["resume_log"])
        args = ["--url", https_url(W["resume"], path),
                "--ca-file", W["ca"].cert, "--run-for", run_for,
                "--interval", "200ms", "--fast-interval", "200ms",
                "--rise", "1", "--fall", "1"] + list(extra)
        for a in W["resume_addrs"]:
            args += ["--address", a]
        rc, lines = mp_check(*args)
        self.assertEqual(rc, 0, lines)
        wait_log_quiet(W["resume_log"])
        log = tls_log(W["resume_log"], since)
        by = {}
        for t, addr, resumed, status in log:
            by.setdefault(addr, []).append((t, resumed, status))
        self.assertEqual(sorted(by), sorted(W["resume_addrs"]))
        return lines, by

    def test_resumed_between_full_handshakes(self):
        full_s = 1.5
        lines, by = self.run_addrs("--tls-full-interval", "1500ms")
        for addr, seq in by.items():
            # a session is never offered to another address: every
            # address starts with a full handshake although the three
            # share a ticket key (a ticket would be accepted anywhere)
            self.assertFalse(seq[0][1], (addr, seq[:3]))
            self.assertGreater(sum(1 for _, r, _ in seq if r), 5, seq)
            fulls = [t for t, r, _ in seq if not r]
            self.assertGreaterEqual(len(fulls), 2, seq)
            # a full handshake at least every tls_full_interval (plus at
            # most one check interval with its jitter, and the load)
            for a, b in zip(fulls, fulls[1:]):
                self.assertLess(b - a, full_s + 0.22 + 0.5, seq)

    def test_tls_resume_false_always_full(self):
        lines, by = self.run_addrs("--no-tls-resume", run_for="2s")
        for addr, seq in by.items():
            self.assertGreater(len(seq), 3)
            self.assertEqual([r for _, r, _ in seq if r], [], seq)

    def test_full_handshake_after_a_failed_check(self):
        # /flip answers 404 for a moment in the middle of the run
        ng = W["nginx"]
        path = os.path.join(ng.root, "flip")

        def flip():
            time.sleep(1.5)
            os.rename(path, path + ".off")
            time.sleep(0.6)
            os.rename(path + ".off", path)

        import threading
        th = threading.Thread(target=flip)
        th.start()
        try:
            lines, by = self.run_addrs(path="/flip")
        finally:
            th.join()
        for addr, seq in by.items():
            statuses = [s for _, _, s in seq]
            self.assertIn(404, statuses, seq)  # the fault happened
            for prev, cur in zip(seq, seq[1:]):
                if prev[2] != 200:
                    self.assertFalse(cur[1], (addr, seq))
            # and resumption carried on once the address was good again
            last_bad = max(i for i, (_, _, s) in enumerate(seq) if s != 200)
            self.assertTrue(any(r for _, r, _ in seq[last_bad + 2:]), seq)


class TlsCertificateSwap(CheckTest):
    def test_expired_certificate_caught_within_full_interval(self):
        full_ms = 2000
        args = [MP_CHECK, "--url", https_url(W["swap"]), "--address",
                "127.0.0.1", "--ca-file", W["ca"].cert, "--run-for", "6s",
                "--interval", "200ms", "--fast-interval", "200ms",
                "--rise", "1", "--fall", "1",
                "--tls-full-interval", "%dms" % full_ms]
        t0 = time.monotonic()
        p = subprocess.Popen(args, stdout=subprocess.PIPE, text=True,
                             stdin=subprocess.DEVNULL)
        try:
            time.sleep(2.5)
            for src, dst in ((W["expired_cert"].cert, W["swap_cert"].cert),
                             (W["expired_cert"].key, W["swap_cert"].key)):
                shutil.copyfile(src, dst)
            W["swap_nginx"].reload()
            swapped_ms = (time.monotonic() - t0) * 1000
            # the swap is real: a fresh handshake now sees it
            deadline = time.monotonic() + 5
            while True:
                try:
                    tls_handshake(W["swap"], W["ca"].cert)
                except ssl.SSLCertVerificationError as e:
                    self.assertIn("certificate has expired", str(e))
                    break
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            out, _ = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        checks = []
        for ln in out.splitlines():
            m = SCHED_CHECK.match(ln)
            if m:
                checks.append((int(m.group(1)), m.group(3) == "ok",
                               m.group(4)))
        after = [c for c in checks if c[0] > swapped_ms + 300]
        fails = [c for c in after if not c[1]]
        self.assertTrue(fails, checks)
        self.assertEqual(fails[0][2], "TLS: certificate has expired")
        # caught within tls_full_interval of the swap (plus a check
        # interval and the startup skew of the clocks compared)
        self.assertLess(fails[0][0] - swapped_ms, full_ms + 220 + 600,
                        checks)
        # (nginx ties its session context to its certificates, so it
        # refuses the old session once the new certificate is loaded; the
        # bound itself holds for any server: TlsResumption shows a full
        # handshake at least every tls_full_interval)
        before = [c for c in checks if c[0] < swapped_ms - 100]
        self.assertTrue(before and all(c[1] for c in before), checks)


class TlsCertificateWatch(CheckTest):
    def cert_line(self, port, *extra):
        rc, lines = mp_check("--url", https_url(W[port]), "--address",
                             "127.0.0.1", "--ca-file", W["ca"].cert,
                             "--show-cert", *extra)
        self.assertEqual(len(lines), 2, lines)
        return rc, lines

    def test_not_after_subject_and_issuer_recorded(self):
        for name in ("soon", "later"):
            rc, lines = self.cert_line(name)
            self.assertEqual(rc, 0, lines)
            self.assertRegex(lines[0], r"^ok HTTP 200 \d+ms$")
            self.assertEqual(
                lines[1], "cert not_after=%d subject=/CN=%s "
                "issuer=/CN=mirrorpool test CA" % (W[name + "_end"], HOST))

    def test_expiry_fail_fails_only_the_close_certificate(self):
        rc, lines = self.cert_line("soon", "--tls-expiry-fail", "14d")
        self.assertEqual(rc, 1, lines)
        self.assertRegex(lines[0], r"^fail TLS: certificate expires in "
                                   r"2d2[0-3]h \d+ms$")
        rc, lines = self.cert_line("later", "--tls-expiry-fail", "14d")
        self.assertEqual(rc, 0, lines)
        self.assertRegex(lines[0], r"^ok HTTP 200 \d+ms$")


def fault_url(path):
    # the URL names the mirror; the address says where to connect
    return "http://%s:%d%s" % (HOST, W["faults"].port, path)


def fetch(path, timeout=10):
    """urllib GET straight to the fault server: (status, body)."""
    url = W["faults"].url(path)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def raw_exchange(path):
    """Sends a GET on a raw connection; http.client reads the response."""
    c = http.client.HTTPConnection("127.0.0.1", W["faults"].port, timeout=5)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def raw_bytes(path):
    """The fault server's whole answer to a GET, as bytes, up to close."""
    with socket.create_connection(("127.0.0.1", W["faults"].port),
                                  timeout=5) as s:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk


class FaultChecks(CheckTest):
    """Against the fault server over plain HTTP: the built-in client.
    FaultChecksCurl repeats every test through libcurl."""
    CLIENT = "builtin"

    def assertCheck(self, args, ok, reason, min_ms=None):
        return super().assertCheck(
            list(args) + ["--http-client", self.CLIENT], ok, reason,
            min_ms=min_ms)

    def check(self, path, ok, reason, *extra, min_ms=None):
        return self.assertCheck(["--url", fault_url(path),
                                 "--address", "127.0.0.1"] + list(extra),
                                ok, reason, min_ms=min_ms)

    def test_healthy(self):
        self.assertEqual(fetch("/ok")[0], 200)
        self.check("/ok", True, "HTTP 200", "--expect-body", "ok",
                   "--max-age", "1m", "--max-latency", "5s")

    def test_status_503(self):
        self.assertEqual(fetch("/status/503")[0], 503)
        self.check("/status/503", False, "HTTP 503")

    def test_source_address(self):
        # check.source_address: the check leaves from the address given,
        # so a mirror failing for one vantage point fails only there
        fs = W["faults"]
        path = "/ok/source-" + self.CLIENT
        self.check(path, True, "HTTP 200", "--source", "127.0.0.21")
        self.assertEqual(fs.sources(path), {"127.0.0.21"})
        fs.fail_from.add("127.0.0.22")
        try:
            self.check(path, False, "HTTP 503", "--source", "127.0.0.22")
            self.check(path, True, "HTTP 200", "--source", "127.0.0.23")
        finally:
            fs.fail_from.discard("127.0.0.22")
        self.assertEqual(fs.sources(path),
                         {"127.0.0.21", "127.0.0.22", "127.0.0.23"})
        # an address this host does not have: the check fails, it does
        # not silently leave from another one
        self.check(path, False, re.compile(r"(?i)(assign|bind|interface)"),
                   "--source", "192.0.2.1")

    def test_expected_status_list(self):
        self.assertEqual(fetch("/status/204")[0], 204)
        self.check("/status/204", True, "HTTP 204",
                   "--expect-status", "200,204")

    def test_connect_refused(self):
        port = ports.closed_port()
        self.assertTrue(ports.connect_refused("127.0.0.1", port))
        self.assertCheck(["--url", "http://%s:%d/trace" % (HOST, port),
                          "--address", "127.0.0.1"],
                         False, "connect refused")

    def test_hang_times_out(self):
        with socket.create_connection(("127.0.0.1", W["faults"].port)) as s:
            s.sendall(b"GET /hang HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(1.0)
            with self.assertRaises(socket.timeout):
                s.recv(1)
        self.check("/hang", False, "timeout after 500 ms",
                   "--timeout", "500ms", min_ms=500)

    def test_slow_body(self):
        t0 = time.monotonic()
        status, body = fetch("/slow/1200")
        self.assertEqual(status, 200)
        self.assertIn(b"ok", body)
        self.assertGreaterEqual(time.monotonic() - t0, 1.2)
        self.check("/slow/1200", False, re.compile(r"^slow: \d+ ms > 500 ms$"),
                   "--max-latency", "500ms", "--timeout", "5s", min_ms=1200)

    def test_oversized_body(self):
        status, body = fetch("/big/100000")
        self.assertEqual((status, len(body)), (200, 100000))
        self.check("/big/100000", False, "body over 65536 bytes")
        self.check("/big/65536", True, "HTTP 200")  # exactly the limit

    def test_oversized_chunked_body(self):
        # no Content-Length: the write callback must stop it
        status, body = fetch("/bigchunked/5000")
        self.assertEqual((status, len(body)), (200, 5000))
        self.check("/bigchunked/5000", False, "body over 1000 bytes",
                   "--max-body", "1000")

    def test_wrong_content(self):
        status, body = fetch("/text/hello%20world")
        self.assertEqual((status, body), (200, b"hello world"))
        self.check("/text/hello%20world", False, 'body lacks "ok"',
                   "--expect-body", "ok")
        self.check("/text/hello%20world", False, "sha256 mismatch",
                   "--expect-sha256", hashlib.sha256(b"ok\n").hexdigest())
        self.check("/text/hello%20world", True, "HTTP 200",
                   "--expect-sha256", hashlib.sha256(body).hexdigest(),
                   "--expect-body", "world")

    def test_stale_trace(self):
        status, body = fetch("/stale/25920")  # 7h12m
        self.assertEqual(status, 200)
        age = time.time() - int(body.split(b"\n")[0])
        self.assertGreaterEqual(age, 25920)
        self.check("/stale/25920", False, "stale: 7h12m old",
                   "--max-age", "6h")
        self.check("/stale/25920", True, "HTTP 200", "--max-age", "8h")

    def test_stale_last_modified(self):
        c = http.client.HTTPConnection("127.0.0.1", W["faults"].port,
                                       timeout=5)
        try:
            c.request("GET", "/lastmod/25920")
            r = c.getresponse()
            self.assertEqual(r.status, 200)
            self.assertIsNotNone(r.getheader("Last-Modified"))
            r.read()
        finally:
            c.close()
        self.check("/lastmod/25920", False, "stale: 7h12m old",
                   "--max-age", "6h")

    def test_no_date(self):
        status, body = fetch("/text/no%20date%20here")
        self.assertEqual((status, body), (200, b"no date here"))
        self.check("/text/no%20date%20here", False,
                   "stale: no date in first line or Last-Modified",
                   "--max-age", "6h")

    def test_dropped_mid_response(self):
        with self.assertRaises(http.client.IncompleteRead):
            raw_exchange("/drop")
        self.check("/drop", False,
                   "connection closed: transfer closed with 900 bytes "
                   "remaining to read")

    def test_closed_without_response(self):
        with self.assertRaises(http.client.RemoteDisconnected):
            raw_exchange("/empty")
        self.check("/empty", False,
                   "connection closed: Empty reply from server")

    def test_reset(self):
        with self.assertRaises(ConnectionResetError):
            raw_exchange("/reset")
        self.check("/reset", False,
                   "connection closed: Connection reset by peer")

    def test_tcp(self):
        self.assertTrue(ports.is_listening("127.0.0.1", W["faults"].port))
        self.assertCheck(["--tcp", str(W["faults"].port),
                          "--address", "127.0.0.1"], True, "connected")
        port = ports.closed_port()
        self.assertTrue(ports.connect_refused("127.0.0.1", port))
        self.assertCheck(["--tcp", str(port), "--address", "127.0.0.1"],
                         False, "connect refused")


    def test_chunked_with_extensions_and_trailer(self):
        c = http.client.HTTPConnection("127.0.0.1", W["faults"].port,
                                       timeout=5)
        try:
            c.request("GET", "/chunked/ok%20chunked")
            r = c.getresponse()
            self.assertEqual(r.getheader("Transfer-Encoding"), "chunked")
            self.assertEqual(r.read(), b"ok chunked")
        finally:
            c.close()
        self.check("/chunked/ok%20chunked", True, "HTTP 200",
                   "--expect-sha256",
                   hashlib.sha256(b"ok chunked").hexdigest())

    def test_interim_responses_skipped(self):
        data = raw_bytes("/interim/ok")
        self.assertTrue(data.startswith(b"HTTP/1.1 100 Continue\r\n"))
        self.assertIn(b"HTTP/1.1 103 Early Hints\r\n", data)
        self.check("/interim/ok", True, "HTTP 200", "--expect-body", "ok")

    def test_http10_body_until_close(self):
        data = raw_bytes("/http10/ok%20till%20close")
        self.assertNotIn(b"Content-Length", data)
        self.assertTrue(data.endswith(b"\r\n\r\nok till close"))
        self.check("/http10/ok%20till%20close", True, "HTTP 200",
                   "--expect-sha256",
                   hashlib.sha256(b"ok till close").hexdigest())

    def test_response_one_byte_at_a_time(self):
        self.assertEqual(raw_bytes("/dribble/ok")[-2:], b"ok")
        self.check("/dribble/ok", True, "HTTP 200", "--expect-body", "ok")

    GARBAGE_REASON = "bad HTTP status line"

    def test_not_http(self):
        self.assertTrue(raw_bytes("/garbage").startswith(b"SSH-2.0-"))
        self.check("/garbage", False, self.GARBAGE_REASON)

    def test_header_line_too_long(self):
        data = raw_bytes("/bighead/9000")
        self.assertIn(b"\r\nX-Big: " + b"b" * 8993 + b"\r\n", data)
        self.check("/bighead/8000", True, "HTTP 200")
        self.check("/bighead/9000", False, "header line over 8192 bytes")


class FaultChecksCurl(FaultChecks):
    CLIENT = "curl"
    GARBAGE_REASON = re.compile(r"HTTP/0\.9|Unsupported|Weird",
                                re.IGNORECASE)
    def test_header_line_too_long(self):
        # curl takes header lines up to 100 KiB
        self.check("/bighead/9000", True, "HTTP 200")


class Concurrency(CheckTest):
    def test_200_concurrent_checks(self):
        addrs = W["many_addrs"]
        for a in addrs:
            self.assertTrue(ports.is_listening(a, W["many"]), a)
        log = os.path.join(W["nginx"].dir, "access.log")
        before = _count_lines(log)
        args = ["--url", https_url(W["many"]), "--ca-file", W["ca"].cert,
                "--timeout", "20s", "--expect-body", "ok",
                "--count", "200", "--concurrency", "200"]
        for a in addrs:
            args += ["--address", a]
        t0 = time.monotonic()
        rc, lines = mp_check(*args)
        elapsed = time.monotonic() - t0
        self.assertEqual(len(lines), 200)
        bad = [ln for ln in lines if not ln.startswith("ok HTTP 200 ")]
        self.assertEqual(bad, [])
        self.assertEqual(rc, 0)
        self.assertLess(elapsed, 20.0)
        # every check really reached nginx, each on its own connection;
        # nginx logs a request after answering it, so allow it a moment
        deadline = time.monotonic() + 5
        while (_count_lines(log) - before < 200 and
               time.monotonic() < deadline):
            time.sleep(0.05)
        self.assertEqual(_count_lines(log) - before, 200)


SCHED_CHECK = re.compile(r"^\+(\d+) (\S+) (ok|fail) (.*) (\d+)ms$")
SCHED_CHANGE = re.compile(r"^\+(\d+) (\S+): (\w+) -> (\w+)$")


def scheduled(args):
    """mp-check --run-for: {addr: [(t_ms, ok)]}, {addr: [(from, to)]}."""
    rc, lines = mp_check(*args)
    checks, changes = {}, {}
    for ln in lines:
        m = SCHED_CHECK.match(ln)
        if m:
            checks.setdefault(m.group(2), []).append(
                (int(m.group(1)), m.group(3) == "ok"))
            continue
        m = SCHED_CHANGE.match(ln)
        if not m:
            raise AssertionError("unexpected line: %r" % ln)
        changes.setdefault(m.group(2), []).append((m.group(3), m.group(4)))
    return rc, checks, changes


class Scheduling(CheckTest):
    def test_states_intervals_and_jitter(self):
        up = W["many_addrs"][:5]
        down = "127.0.0.99"  # nginx does not listen there
        self.assertTrue(ports.connect_refused(down, W["many"]))
        args = ["--url", https_url(W["many"]), "--ca-file", W["ca"].cert,
                "--run-for", "2500ms", "--interval", "400ms",
                "--fast-interval", "100ms", "--rise", "2", "--fall", "3"]
        for a in up + [down]:
            args += ["--address", a]
        rc, checks, changes = scheduled(args)
        self.assertEqual(rc, 0)
        for a in up:
            self.assertEqual(changes.get(a), [("unknown", "up")], a)
            times = [t for t, ok in checks[a]]
            self.assertTrue(all(ok for _, ok in checks[a]), checks[a])
            self.assertGreaterEqual(len(times), 3, checks[a])
            gaps = [b - t for t, b in zip(times, times[1:])]
            # unknown: the next check after fast_interval -10% at least
            self.assertGreaterEqual(gaps[0], 90 - 2, gaps)
            # up (rise reached on the 2nd): interval -10% at least
            self.assertTrue(all(g >= 360 - 2 for g in gaps[1:]), gaps)
            self.assertLess(sum(gaps[1:]) / len(gaps[1:]), 800, gaps)
        self.assertEqual(changes.get(down), [("unknown", "down")])
        self.assertFalse(any(ok for _, ok in checks[down]))

    def test_first_checks_spread_over_the_interval(self):
        # 20 addresses, interval 3 s: the first checks are uniform over
        # [0, 3 s); in lock-step they would all come within milliseconds.
        # Fewer than 3 of 20 on either side of 1.5 s has odds of 4e-4.
        addrs = ["127.0.0.%d" % i for i in range(101, 121)]
        args = ["--url", fault_url("/ok"), "--run-for", "3200ms",
                "--interval", "3s", "--fast-interval", "1h"]
        for a in addrs:
            args += ["--address", a]
        rc, checks, _ = scheduled(args)
        self.assertEqual(rc, 0)
        self.assertEqual(sorted(checks), sorted(addrs))
        firsts = sorted(checks[a][0][0] for a in addrs)
        self.assertGreaterEqual(sum(1 for t in firsts if t > 1500), 3,
                                firsts)
        self.assertGreaterEqual(sum(1 for t in firsts if t < 1500), 3,
                                firsts)

    def test_never_two_checks_of_one_address_in_flight(self):
        fs = W["faults"]
        path = "/slow/300/sched"
        rc, checks, _ = scheduled(["--url", fault_url(path),
                                   "--address", "127.0.0.1",
                                   "--run-for", "2s", "--interval", "100ms",
                                   "--fast-interval", "50ms"])
        self.assertEqual(rc, 0)
        # each check takes 300 ms, far longer than the interval
        self.assertGreaterEqual(len(checks["127.0.0.1"]), 3)
        self.assertGreaterEqual(fs.hit_count(path), 3)
        self.assertEqual(fs.max_concurrent(path), 1)


def _count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def main():
    global MP_CHECK
    tools.require("nginx", "openssl")
    MP_CHECK = tools.program("tests/tools/mp-check")
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    if r.testsRun == 0:
        return SKIP
    return 0 if r.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
