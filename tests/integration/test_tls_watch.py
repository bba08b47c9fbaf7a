#!/usr/bin/env python3
"""The certificate watch end to end (SPEC §9, "Checks"): mirrorpoold checks
two HTTPS mirrors whose certificates, from a throw-away test CA, expire in
3 days and in 30 days. The first gets one warning (REASON "certificate
expires in 2d 23h", the certificate's subject and issuer in the line), the
second none; status (JSON and text) shows each notAfter, subject and
issuer, and the metric mirrorpool_tls_cert_expiry_timestamp_seconds each
notAfter; with
tls_expiry_fail = "14d" the first address fails its checks and leaves the
pool, the second stays.

A real BIND primary holds dl.example.org; nginx serves both mirrors on one
port (one address each) on loopback."""

import os
import re
import shutil
import ssl
import socket
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mplib import nginx, ports, tlsca  # noqa: E402
from mplib.agent import Agent  # noqa: E402
from mplib.agenttest import POOL, ZONE, main, wait_until  # noqa: E402
from mplib.named import Named  # noqa: E402

HOST = "dl.example.org"
SOON, LATER = "127.0.0.31", "127.0.0.32"
MIRRORS = [("soon", [SOON]), ("later", [LATER])]


class CertificateWatch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mp-tlswatch-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        ca = cls.ca = tlsca.TestCA(cls.dir)
        now = int(time.time())
        cls.ends = {SOON: now + 3 * 86400, LATER: now + 30 * 86400}
        ng = cls.nginx = nginx.Nginx(cls.dir)
        cls.port = ports.free_port()
        for addr, end in cls.ends.items():
            # the subjects differ: each address shows its own
            cert = ca.issue("m" + addr.split(".")[-1], [HOST],
                            end=time.strftime("%Y%m%d%H%M%SZ",
                                              time.gmtime(end)),
                            org="mirror " + addr)
            ng.add_server([(addr, cls.port)], cert=cert)
        ng.write_file("trace", "ok\n")
        ng.start()
        cls.addClassCleanup(ng.stop)
        cls.srv = Named(zone=ZONE, records={"dl": [("A", SOON),
                                                   ("A", LATER)]})
        cls.addClassCleanup(cls.srv.close)
        cls.srv.start()

    def agent(self, check_extra=""):
        ag = Agent(self.srv.port, self.srv.key.path, MIRRORS,
                   "https://%s:%d/trace" % (HOST, self.port),
                   server=self.srv.host, interval="1s",
                   fast_interval="300ms", timeout="900ms", rise=2, fall=2,
                   min_interval="500ms",
                   check_extra='ca_file = "%s"; %s' % (self.ca.cert,
                                                       check_extra))
        self.addCleanup(ag.close)
        self.addCleanup(ag.stop)
        ag.start()
        return ag

    def prove_certificates(self):
        """The fault is real: an independent client sees both notAfters.
        Returns {address: (subject, issuer)} as it sees them, in the
        "/O=.../CN=..." form."""
        short = {"organizationName": "O", "commonName": "CN"}
        names = {}
        ctx = ssl.create_default_context(cafile=self.ca.cert)
        for addr, end in self.ends.items():
            with socket.create_connection((addr, self.port), timeout=5) as s:
                with ctx.wrap_socket(s, server_hostname=HOST) as t:
                    pc = t.getpeercert()
            self.assertEqual(int(ssl.cert_time_to_seconds(pc["notAfter"])),
                             end)
            names[addr] = tuple(
                "".join("/%s=%s" % (short[k], v) for rdn in pc[which]
                        for k, v in rdn)
                for which in ("subject", "issuer"))
        self.assertEqual(names[SOON][0], "/O=mirror %s/CN=%s" % (SOON, HOST))
        self.assertEqual(names[SOON][1], "/CN=mirrorpool test CA")
        return names

    def addresses(self, ag):
        out = {}
        for m in ag.status()["pools"][0]["mirrors"]:
            for a in m["addresses"]:
                out[a["address"]] = a
        return out

    def test_one_warning_for_the_close_certificate_status_and_metric(self):
        names = self.prove_certificates()
        ag = self.agent()
        ag.wait_log(r"soon 127\.0\.0\.31: TLS certificate expires in "
                    r"2d 2[0-3]h \(subject %s, issuer %s\); renew it"
                    % tuple(map(re.escape, names[SOON])), timeout=10)
        wait_until(lambda: all(a["last_check"] and a["last_check"]["ok"]
                               and "tls_cert_expires" in a
                               for a in self.addresses(ag).values()),
                   10, "both addresses checked")
        time.sleep(3)  # three more checks of each address
        text = ag.log_text()
        self.assertEqual(len(re.findall(r"certificate expires in", text)),
                         1, text[-3000:])
        self.assertNotIn("later 127.0.0.32: TLS", text)
        st = self.addresses(ag)
        for addr, end in self.ends.items():
            self.assertEqual(st[addr]["tls_cert_expires"], end)
            self.assertEqual((st[addr]["tls_cert_subject"],
                              st[addr]["tls_cert_issuer"]), names[addr])
        rc, out, err = ag.ctl("status")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"(?m)^ +%s certificate expires in 2d 2[0-3]h; "
                         r"subject %s, issuer %s$"
                         % ((re.escape(SOON),) +
                            tuple(map(re.escape, names[SOON]))))
        self.assertRegex(out, r"(?m)^ +%s certificate expires in 29d 2[0-3]h; "
                         r"subject %s, issuer %s$"
                         % ((re.escape(LATER),) +
                            tuple(map(re.escape, names[LATER]))))
        rc, out, err = ag.ctl("metrics")
        self.assertEqual(rc, 0, err)
        for name, addr in (("soon", SOON), ("later", LATER)):
            m = re.search(
                r'(?m)^mirrorpool_tls_cert_expiry_timestamp_seconds'
                r'\{pool="%s",mirror="%s",address="%s"\} (\d+)$'
                % (re.escape(POOL), name, re.escape(addr)), out)
            self.assertIsNotNone(m, out)
            self.assertEqual(int(m.group(1)), self.ends[addr])

    def test_expiry_fail_fails_the_close_certificate(self):
        self.prove_certificates()
        ag = self.agent('tls_expiry_fail = "14d";')
        ag.wait_log(r"soon 127\.0\.0\.31: \w+ -> down .*last: TLS: "
                    r"certificate expires in 2d2[0-3]h", timeout=15)
        wait_until(lambda: sorted(self.srv.dig("dl." + ZONE, "A")) ==
                   [LATER], 15,
                   "the close certificate's address out of the pool")
        st = self.addresses(ag)
        self.assertEqual(st[SOON]["state"], "down")
        self.assertEqual(st[LATER]["state"], "up")
        self.assertNotIn("later 127.0.0.32: up -> down", ag.log_text())


if __name__ == "__main__":
    main(["named", "dig", "nsupdate", "tsig-keygen", "nginx", "openssl"])
