#!/usr/bin/env python3
"""The state file is written at most once per state_write_interval
(SPEC §6, docs/spec-notes.md), and operator actions reach it before their
reply.

A mass failure: 1000 addresses (20 pools of 50, on 127.77.0.0/16, one
nginx) fail at once when their nginx stops; each goes down and takes a
flap penalty, a change of the persisted state. The renames onto the state
file, counted with inotify as they happen, stay within one per interval
over the failure (plus the first), not one per address; the last file
holds all 1000 penalties. The failure is proven first: 1000 "up -> down"
lines, and BIND serves each pool's one surviving address only.

Drains: with state_write_interval = "10m", a drain's reply arrives only
once the file holds it (the second drain too, which the pacing alone would
have held back for ten minutes), and a drain that cannot be written says
so in its reply; a flap penalty meanwhile waits, and is written at stop.

A real BIND primary holds the pools; nginx serves the mirrors on loopback."""

import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mplib import nginx, ports  # noqa: E402
from mplib.agent import Agent  # noqa: E402
from mplib.agenttest import ZONE, main, wait_until  # noqa: E402
from mplib.fswatch import RenameWatch  # noqa: E402
from mplib.named import Named  # noqa: E402

N_POOLS, PER_POOL, PER_MIRROR = 20, 50, 5
INTERVAL_S = 1.0  # state_write_interval of the mass failure


def pool_name(p):
    return "p%02d" % p


def failing(p):
    return ["127.77.%d.%d" % (p, k + 1) for k in range(PER_POOL)]


def survivor(p):
    return "127.78.0.%d" % (p + 1)


DRAIN_M1, DRAIN_M2, DRAIN_M3 = "127.78.1.1", "127.78.1.2", "127.78.2.1"


def read_state(ag):
    with open(ag.state_file) as f:
        return json.load(f)


class StateWrites(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mp-statewrites-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.port = ports.free_port()
        # the 1000 that fail together, and the ones that stay
        ng = cls.failing_nginx = nginx.Nginx(cls.dir, "failing")
        ng.add_server([(a, cls.port) for p in range(N_POOLS)
                       for a in failing(p)])
        ng.write_file("trace", "ok\n")
        ng.start()
        cls.addClassCleanup(ng.stop)
        ng = cls.staying_nginx = nginx.Nginx(cls.dir, "staying")
        ng.add_server([(survivor(p), cls.port) for p in range(N_POOLS)] +
                      [(DRAIN_M1, cls.port), (DRAIN_M2, cls.port)])
        ng.write_file("trace", "ok\n")
        ng.start()
        cls.addClassCleanup(ng.stop)
        records = {pool_name(p): [("A", a) for a in failing(p) +
                                  [survivor(p)]] for p in range(N_POOLS)}
        records["dl"] = [("A", a) for a in (DRAIN_M1, DRAIN_M2, DRAIN_M3)]
        cls.srv = Named(zone=ZONE, records=records,
                        pool_names=tuple(records))
        cls.addClassCleanup(cls.srv.close)
        cls.srv.start()

    def url(self):
        return "http://dl.%s:%d/trace" % (ZONE, self.port)

    def test_mass_failure_writes_the_state_file_a_bounded_number_of_times(
            self):
        pools = []
        for p in range(N_POOLS):
            addrs = failing(p)
            mirrors = [("%sm%d" % (pool_name(p), i),
                        addrs[i * PER_MIRROR:(i + 1) * PER_MIRROR])
                       for i in range(PER_POOL // PER_MIRROR)]
            mirrors.append(("%sok" % pool_name(p), [survivor(p)]))
            pools.append(("%s.%s." % (pool_name(p), ZONE), mirrors))
        ag = Agent(self.srv.port, self.srv.key.path, None, self.url(),
                   server=self.srv.host, pools=pools, interval="4s",
                   fast_interval="1s", timeout="1s", rise=1, fall=2,
                   transport="tcp", dns_timeout="3s",
                   extra='state_write_interval = "%gs";' % INTERVAL_S)
        self.addCleanup(ag.close)
        self.addCleanup(ag.stop)
        ag.start(timeout=30)

        def all_checked_ok():
            n = 0
            for pool in ag.status()["pools"]:
                for m in pool["mirrors"]:
                    for a in m["addresses"]:
                        lc = a["last_check"]
                        n += bool(lc and lc["ok"] and a["state"] == "up")
            return n == N_POOLS * (PER_POOL + 1)
        wait_until(all_checked_ok, 40, "every address checked and up")
        ag.mark()
        watch = RenameWatch(ag.dir, "state.json")
        self.addCleanup(watch.close)

        t0 = time.monotonic()
        self.failing_nginx.stop()
        down = r"(?m)^.*p\d\dm\d 127\.77\.\d+\.\d+: up -> down "
        wait_until(lambda: len(ag.find_log(down)) >= N_POOLS * PER_POOL,
                   60, "1000 addresses down")
        time.sleep(2 * INTERVAL_S)  # the last interval's write
        t1 = time.monotonic()
        times = [t for t in watch.times() if t0 <= t <= t1]
        bound = 1 + math.ceil((t1 - t0) / INTERVAL_S)
        gaps = ["%.2f" % (b - a) for a, b in zip(times, times[1:])]
        print("state file renamed %d times in %.1f s (bound %d; gaps %s)"
              % (len(times), t1 - t0, bound, " ".join(gaps)))

        # the fault happened: every failing address went down, once, and
        # each pool serves its survivor only
        self.assertEqual(len(ag.find_log(down)), N_POOLS * PER_POOL)
        self.assertEqual(ag.find_log(r"127\.78\.0\.\d+: up -> down"), [])
        wait_until(lambda: all(
            self.srv.dig("%s.%s" % (pool_name(p), ZONE), "A") ==
            [survivor(p)] for p in range(N_POOLS)), 30,
            "each pool down to its survivor in DNS")

        self.assertGreaterEqual(len(times), 1, "the penalties never written")
        self.assertLessEqual(len(times), bound, gaps)
        # coalesced, not lost: the last file holds every penalty
        st = read_state(ag)
        print("last state file: %d bytes" % os.path.getsize(ag.state_file))
        penalized = {d["address"] for d in st["damping"]}
        self.assertEqual(penalized, {a for p in range(N_POOLS)
                                     for a in failing(p)})
        self.assertEqual(ag.sanitizer_reports(), [])

    def test_drain_reply_follows_the_write_and_penalties_wait(self):
        ng = nginx.Nginx(self.dir, "m3")
        ng.add_server([(DRAIN_M3, self.port)])
        ng.write_file("trace", "ok\n")
        ng.start()
        self.addCleanup(ng.stop)
        ag = Agent(self.srv.port, self.srv.key.path,
                   [("m1", [DRAIN_M1]), ("m2", [DRAIN_M2]),
                    ("m3", [DRAIN_M3])], self.url(),
                   server=self.srv.host, interval="1s",
                   fast_interval="300ms", timeout="800ms", fall=2,
                   extra='state_write_interval = "10m";')
        self.addCleanup(ag.close)
        self.addCleanup(ag.stop)
        ag.start()

        def drained():
            return {d["mirror"] for d in read_state(ag)["drains"]}

        rc, out, err = ag.ctl("drain", "m1", "--reason", "disk swap")
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(drained(), {"m1"})
        # written a moment ago: only a write before the reply has m2 in
        # the file now, the pacing would wait ten minutes
        rc, out, err = ag.ctl("drain", "m2", "--reason", "network")
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(drained(), {"m1", "m2"})
        rc, out, err = ag.ctl("undrain", "m1")
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(drained(), {"m2"})

        # a write that fails (a directory in the file's place): the drain
        # holds, and its reply says it is not saved
        os.rename(ag.state_file, ag.state_file + ".kept")
        os.mkdir(ag.state_file)
        rc, out, err = ag.ctl("drain", "m1", "--reason", "again")
        os.rmdir(ag.state_file)
        os.rename(ag.state_file + ".kept", ag.state_file)
        self.assertEqual(rc, 0, out + err)
        self.assertRegex(err, r"mirrorpoolctl: warning: not saved in the "
                         r"state file \(.*\): in force now, but a restart "
                         r"would forget this drain")
        ag.wait_log(r"^<3>cannot save state \(drains, flap penalties\): ")
        self.assertEqual(drained(), {"m2"})
        self.assertEqual(ag.status()["pools"][0]["mirrors"][0]["drain"]
                         ["reason"], "again")

        # a flap penalty is paced: not on disk within the interval
        ng.stop()
        ag.wait_log(r"m3 127\.78\.2\.1: up -> down", timeout=10)
        time.sleep(1.5)
        self.assertEqual(read_state(ag)["damping"], [])
        # ... and written at stop, with the drain that failed to be
        self.assertEqual(ag.stop(), 0)
        st = read_state(ag)
        self.assertEqual([d["address"] for d in st["damping"]], [DRAIN_M3])
        self.assertEqual({d["mirror"] for d in st["drains"]}, {"m1", "m2"})


if __name__ == "__main__":
    main(["named", "dig", "nsupdate", "tsig-keygen", "nginx"])
