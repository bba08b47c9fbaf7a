#!/usr/bin/env python3
"""mirrorpoold's wall clock steps while it runs against a real BIND
primary (SPEC section 9, Time): durations run on the monotonic clock, so a
step neither blocks nor hastens a failover; TSIG's Time Signed follows the
wall clock, so a step beyond the 300 s fudge gives BADTIME with the skew,
and the agent converges once the clock is right again.

The daemon runs under libfaketime (Debian's faketime package) with
FAKETIME_DONT_FAKE_MONOTONIC=1: only CLOCK_REALTIME and time() step. The
offset comes from a FAKETIME_TIMESTAMP_FILE rewritten while the daemon
runs (re-read at most every FAKETIME_CACHE_DURATION second). Each step is
first shown to have happened: the daemon's own timestamps in `status`
(the last check's time) move by the step.

Fast parameters: checks every 1 s (300 ms while changing), timeout 900 ms,
rise 2, fall 2, min_interval 1 s; the normal failover bound is then about
interval + fall x fast_interval + timeout + min_interval (under 6 s)."""

import glob
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mplib.agenttest import (ALL, M1, M2, M3, RX_POOL,  # noqa: E402
                             RX_ZONE, ZONE, AgentTestMixin, main,
                             wait_until)
from mplib.named import Named  # noqa: E402

FAILOVER_BOUND = 6.0  # seconds: see the docstring
CACHE_S = 1  # FAKETIME_CACHE_DURATION
MIN_INTERVAL_S = 1.0  # agent_defaults["min_interval"]


def libfaketime():
    for pattern in ("/usr/lib/*/faketime/libfaketime.so.1",
                    "/usr/lib/faketime/libfaketime.so.1"):
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


class ClockStepTest(AgentTestMixin, unittest.TestCase):
    agent_defaults = {"interval": "1s", "fast_interval": "300ms",
                      "timeout": "900ms", "rise": 2, "fall": 2,
                      "min_interval": "1s", "dns_timeout": "1s"}

    @classmethod
    def make_server(cls):
        return Named(zone=ZONE, records={"dl": [("A", a) for a in ALL]})

    # -- helpers -------------------------------------------------------
    def stepped_agent(self):
        """An agent whose wall clock follows self.offset_file."""
        ag = self.agent(start=False)
        self.offset_file = os.path.join(ag.dir, "faketime.rc")
        self.set_offset(0)
        ag.env = {
            "LD_PRELOAD": libfaketime(),
            "FAKETIME_TIMESTAMP_FILE": self.offset_file,
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "FAKETIME_CACHE_DURATION": str(CACHE_S),
            # libfaketime is preloaded ahead of the sanitizer runtime
            "ASAN_OPTIONS": "detect_leaks=1:verify_asan_link_order=0",
        }
        ag.start()
        return ag

    def set_offset(self, seconds):
        tmp = self.offset_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%+d\n" % seconds)
        os.replace(tmp, self.offset_file)

    def daemon_wall(self, ag, address):
        """The daemon's wall clock as its status shows it: the time of
        the newest check of address."""
        for m in ag.status()["pools"][0]["mirrors"]:
            for a in m["addresses"]:
                if a["address"] == address and a["last_check"]:
                    return a["last_check"]["at"]
        return None

    def prove_step(self, ag, seconds):
        """Waits until the daemon's timestamps are off by seconds."""
        def stepped():
            at = self.daemon_wall(ag, M3)
            return at is not None and abs(at - (time.time() + seconds)) < 3
        wait_until(stepped, 10, "the daemon's clock %+d s off" % seconds,
                   step=0.2)

    def remove_m1(self, ag):
        """mirror1 fails and leaves: the UPDATE the step follows."""
        self.farm.set_mode(M1, "503")
        ag.wait_log(r"^<5>UPDATE %s: %s A -127\.0\.0\.11 \(NOERROR"
                    % (RX_ZONE, RX_POOL), timeout=15)
        self.m1_removed = time.monotonic()
        self.wait_dig([M2, M3])

    def past_min_interval(self):
        """Waits until min_interval (1 s) has passed since mirror1's
        UPDATE, so that a rate-limit line after the step could only come
        from the step and not from two failures a second apart."""
        left = self.m1_removed + MIN_INTERVAL_S + 0.2 - time.monotonic()
        if left > 0:
            time.sleep(left)

    def failover_after_step(self, seconds):
        ag = self.stepped_agent()
        self.remove_m1(ag)
        self.set_offset(seconds)
        self.prove_step(ag, seconds)
        self.past_min_interval()
        mark = ag.mark()
        t0 = time.monotonic()
        self.farm.set_mode(M2, "503")
        ag.wait_log(r"^<5>UPDATE %s: %s A -127\.0\.0\.12 \(NOERROR"
                    % (RX_ZONE, RX_POOL), timeout=FAILOVER_BOUND + 10,
                    start=mark)
        took = time.monotonic() - t0
        self.assertLess(took, FAILOVER_BOUND,
                        "failover took %.1f s after a %+d s step"
                        % (took, seconds))
        self.assertEqual(self.dig(), [M3])
        self.assertNotRegex(ag.log_text(mark), r"BADTIME|rate limit")

    # -- scenarios -----------------------------------------------------
    def test_backward_step_inside_fudge(self):
        self.failover_after_step(-250)

    def test_forward_step_inside_fudge(self):
        self.failover_after_step(+250)

    def test_step_beyond_fudge_then_corrected(self):
        ag = self.stepped_agent()
        self.remove_m1(ag)
        self.set_offset(-400)
        self.prove_step(ag, -400)
        mark = ag.mark()
        self.farm.set_mode(M2, "503")
        m = ag.wait_log(r"BADTIME: the server's clock reads (\d+), ours "
                        r"(\d+) \(skew ([+-]\d+) s, fudge 300 s\)",
                        timeout=15, start=mark)
        skew = int(m.group(3))
        self.assertTrue(-405 <= skew <= -395, m.group(0))
        self.assertEqual(int(m.group(2)) - int(m.group(1)), skew)
        self.assertEqual(self.dig(), [M2, M3])  # refused: nothing changed
        self.set_offset(0)
        self.prove_step(ag, 0)
        ag.wait_log(r"^<5>UPDATE %s: %s A -127\.0\.0\.12 \(NOERROR"
                    % (RX_ZONE, RX_POOL), timeout=30, start=mark)
        self.wait_dig([M3])


if __name__ == "__main__":
    if not libfaketime():
        print("SKIP: libfaketime is not installed (apt-get install "
              "faketime)")
        sys.exit(77)
    main(["named", "dig", "nsupdate", "tsig-keygen", "curl"])
