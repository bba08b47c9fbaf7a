#!/usr/bin/env python3
"""JSON pools end to end: a Tails-style mirrors.json whose mirrors are real
HTTPS servers (nginx on 127.0.0.21-23 with certificates from a test CA,
verified against each mirror's own name), mirrorpoold beside a real BIND
primary, and the output read the way the download dispatcher reads it.

A mirror answers 503 while the file www/down-ADDRESS exists (nginx `if`),
so each fault is switched without touching nginx and is first shown with
curl."""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mplib import nginx, ports, tlsca  # noqa: E402
from mplib.agenttest import (ALL, AgentTestMixin, main,  # noqa: E402
                             wait_until)
from mplib.named import Named  # noqa: E402

JM = ["127.0.0.21", "127.0.0.22", "127.0.0.23"]
W = {}


def setUpModule():
    d = W["dir"] = tempfile.mkdtemp(prefix="mp-jsonpool-")
    ca = W["ca"] = tlsca.TestCA(d)
    cert = ca.issue("mirrors", ["mirrors.test"], ips=JM)
    W["port"] = ports.free_port()
    ng = W["nginx"] = nginx.Nginx(d)
    ng.add_server([(a, W["port"]) for a in JM], cert=cert,
                  extra="        if (-f $document_root/down-$server_addr) "
                        "{ return 503; }")
    ng.write_file("tails/project/trace", "%d\nok\n" % int(time.time()))
    ng.start()


def tearDownModule():
    if "nginx" in W:
        W["nginx"].stop()


def prefix(addr):
    return "https://%s:%d/tails/" % (addr, W["port"])


def source_text(entries):
    """A mirrors.json as Tails writes it by hand, with fields mirrorpool
    does not know; entries: [(addr, weight)]."""
    items = []
    for addr, weight in entries:
        items.append(
            '    {\n'
            '      "url_prefix": "%s",\n'
            '      "rsync_url": "rsync://%s/tails/",\n'
            '      "weight": %d,\n'
            '      "email": "root@%s",\n'
            '      "notes": "Caf\\u00e9 rack \\"B\\"",\n'
            '      "location": {"country": "NL", "weight": 7}\n'
            '    }' % (prefix(addr), addr, weight, addr))
    return ('{\n  "version": 1,\n  "mirrors": [\n%s\n  ]\n}\n'
            % ",\n".join(items))


class JsonPoolTest(AgentTestMixin, unittest.TestCase):

    @classmethod
    def make_server(cls):
        return Named(zone="example.org",
                     records={"dl": [("A", a) for a in ALL]})

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="mp-jp-", dir=W["dir"])
        self.source = os.path.join(self.tmp, "git", "mirrors.json")
        self.output = os.path.join(self.tmp, "www", "mirrors.json")
        os.makedirs(os.path.dirname(self.source))
        os.makedirs(os.path.dirname(self.output))
        for a in JM:
            self.set_down(a, False)

    def set_down(self, addr, down):
        path = os.path.join(W["nginx"].root, "down-" + addr)
        if down:
            open(path, "w").close()
        elif os.path.exists(path):
            os.unlink(path)

    def curl(self, addr):
        out = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
             "--cacert", W["ca"].cert, prefix(addr) + "project/trace"],
            capture_output=True, text=True, timeout=10)
        return int(out.stdout or 0)

    def write_source(self, text, in_place=False):
        if in_place:
            with open(self.source, "w") as f:
                f.write(text)
            return
        tmp = self.source + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, self.source)  # as git checkout and editors do

    def json_agent(self, min_healthy=1):
        extra = """json_pools = (
  { name = "tails";
    source = "%s";
    output = "%s";
    min_healthy = %d;
    check = { path = "project/trace"; ca_file = "%s"; };
  }
);""" % (self.source, self.output, min_healthy, W["ca"].cert)
        return self.agent(extra=extra)

    def weights(self):
        with open(self.output) as f:
            doc = json.load(f)
        return {m["url_prefix"]: m["weight"] for m in doc["mirrors"]}

    def wait_weights(self, want, timeout=10.0):
        want = {prefix(a): w for a, w in want.items()}
        last = []

        def ok():
            try:
                last[:] = [self.weights()]
            except (OSError, ValueError):
                return False
            return last[0] == want
        try:
            wait_until(ok, timeout, "output weights %s" % want)
        except AssertionError:
            raise AssertionError("output never had %s; last %s"
                                 % (want, last))

    # -- scenarios -----------------------------------------------------
    def test_failover_recovery_and_always_valid(self):
        src = source_text([(JM[0], 10), (JM[1], 20), (JM[2], 30)])
        self.write_source(src)
        ag = self.json_agent()
        ag.wait_log(r"json pool tails: wrote %s" % self.output)
        # all healthy: the output is the source, byte for byte
        with open(self.output) as f:
            self.assertEqual(f.read(), src)

        reads, bad, stop = [0], [], threading.Event()

        def reader():
            while not stop.is_set():
                try:
                    with open(self.output) as f:
                        json.loads(f.read())
                    reads[0] += 1
                except (OSError, ValueError) as e:
                    bad.append(repr(e))
        t = threading.Thread(target=reader)
        t.start()
        try:
            self.set_down(JM[1], True)
            self.assertEqual(self.curl(JM[1]), 503)
            t0 = time.monotonic()
            ag.wait_log(r"%s %s.*: up -> down \(2/2 failures, last: HTTP "
                        r"503" % (JM[1].replace(".", r"\."),
                                  prefix(JM[1]).replace(".", r"\.")))
            self.wait_weights({JM[0]: 10, JM[1]: 0, JM[2]: 30})
            # interval 1 s, then fall 2 at fast_interval 300 ms
            self.assertLess(time.monotonic() - t0, 5.0)
            with open(self.output) as f:
                self.assertEqual(f.read(), src.replace('"weight": 20',
                                                       '"weight": 0'))
            self.set_down(JM[1], False)
            self.assertEqual(self.curl(JM[1]), 200)
            self.wait_weights({JM[0]: 10, JM[1]: 20, JM[2]: 30})
        finally:
            stop.set()
            t.join()
        self.assertEqual(bad, [])
        self.assertGreater(reads[0], 100)
        with open(self.output) as f:
            self.assertEqual(f.read(), src)
        # status names the JSON pool's mirrors
        st = ag.status()
        jp = st["json_pools"][0]
        self.assertEqual(jp["name"], "tails")
        self.assertEqual([m["name"] for m in jp["mirrors"]], JM)
        self.assertGreater(len(st["pools"]), 0)
        # status POOL takes a JSON pool's name too, and shows only it
        rc, out, err = ag.ctl("--json", "status", "tails")
        self.assertEqual(rc, 0, err)
        one = json.loads(out)
        one = one.get("status", one)
        self.assertEqual(one["pools"], [])
        self.assertEqual([p["name"] for p in one["json_pools"]], ["tails"])
        rc, out, err = ag.ctl("status", "tails")
        self.assertEqual(rc, 0, err)
        self.assertIn("tails", out)
        # and a DNS pool's name shows no JSON pool
        dns_pool = st["pools"][0]["name"]
        rc, out, err = ag.ctl("--json", "status", dns_pool)
        self.assertEqual(rc, 0, err)
        one = json.loads(out)
        one = one.get("status", one)
        self.assertEqual([p["name"] for p in one["pools"]], [dns_pool])
        self.assertNotIn("json_pools", one)
        rc, out, err = ag.ctl("status", "no-such-pool")
        self.assertNotEqual(rc, 0)
        self.assertIn('no pool named "no-such-pool"', out + err)

    def test_source_edits_live(self):
        self.write_source(source_text([(JM[0], 10), (JM[1], 20)]))
        ag = self.json_agent()
        self.wait_weights({JM[0]: 10, JM[1]: 20})
        # added: in once its checks pass
        self.write_source(source_text([(JM[0], 10), (JM[1], 20),
                                       (JM[2], 5)]))
        ag.wait_log(r"json pool tails: mirror 127\.0\.0\.23 added")
        self.wait_weights({JM[0]: 10, JM[1]: 20, JM[2]: 5})
        # removed: gone from the output (edited in place this time)
        self.write_source(source_text([(JM[0], 10), (JM[2], 5)]),
                          in_place=True)
        ag.wait_log(r"json pool tails: mirror 127\.0\.0\.22 removed")
        self.wait_weights({JM[0]: 10, JM[2]: 5})

    def test_broken_source_keeps_output(self):
        good = source_text([(JM[0], 10), (JM[1], 20)])
        self.write_source(good)
        ag = self.json_agent()
        self.wait_weights({JM[0]: 10, JM[1]: 20})
        with open(self.output) as f:
            before = f.read()
        st_before = os.stat(self.output)
        broken = good.replace('"weight": 20,', '"weight": 20')  # no comma
        line = broken[:broken.index('"weight": 20')].count("\n") + 2
        self.write_source(broken)
        ag.wait_log(r"json pool tails: %s:%d:\d+: .*; keeping the last "
                    r"good list" % (self.source.replace(".", r"\."), line))
        # still checked and served from the last good list
        time.sleep(1.5)
        with open(self.output) as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(os.stat(self.output).st_ino, st_before.st_ino)
        self.assertIn(":%d:" % line,
                      ag.status()["json_pools"][0]["source_error"])
        self.write_source(good.replace('"weight": 20', '"weight": 25'))
        self.wait_weights({JM[0]: 10, JM[1]: 25})
        self.assertIsNone(ag.status()["json_pools"][0]["source_error"])

    def test_drain_by_name(self):
        self.write_source(source_text([(JM[0], 10), (JM[1], 20)]))
        ag = self.json_agent()
        self.wait_weights({JM[0]: 10, JM[1]: 20})
        rc, out, err = ag.ctl("drain", JM[0], "--reason", "disk swap")
        self.assertEqual(rc, 0, out + err)
        self.wait_weights({JM[0]: 0, JM[1]: 20}, timeout=3)
        m = ag.status()["json_pools"][0]["mirrors"][0]
        self.assertTrue(m["drained"], m)
        # the floor: the last one in is not drained without --force
        rc, out, err = ag.ctl("drain", JM[1])
        self.assertNotEqual(rc, 0)
        self.assertIn("min_healthy 1", out + err)
        # check by name runs that mirror's check now
        rc, out, err = ag.ctl("--json", "check", JM[1])
        self.assertEqual(rc, 0, out + err)
        res = json.loads(out)
        res = res.get("results", res) if isinstance(res, dict) else res
        self.assertEqual([r["mirror"] for r in res], [JM[1]], out)
        self.assertEqual(res[0]["address"], prefix(JM[1]) + "project/trace")
        self.assertTrue(res[0]["ok"], out)
        self.set_down(JM[1], True)
        rc, out, err = ag.ctl("check", JM[1])
        self.assertEqual(rc, 1, out + err)  # a check it ran failed
        self.assertIn("HTTP 503", out)
        self.set_down(JM[1], False)
        rc, out, err = ag.ctl("undrain", JM[0])
        self.assertEqual(rc, 0, out + err)
        self.wait_weights({JM[0]: 10, JM[1]: 20}, timeout=3)


if __name__ == "__main__":
    main(["named", "dig", "nsupdate", "tsig-keygen", "curl", "nginx",
          "openssl"])
