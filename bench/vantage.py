#!/usr/bin/env python3
"""Several vantage points against one: failover latency and false removals.

    python3 SRCDIR/bench/vantage.py --builddir BUILD [--trials 8]

A throwaway BIND primary and two mirrors (127.0.0.11, .12; one fault
server each, one port) on loopback; the agents check from 127.0.0.21
(ams1, the writer or the single agent), .22 (nyc1) and .23 (sgp1). The
same check parameters for every subject: interval 1s, fast_interval 500ms,
fall 2, rise 2; the quorum group adds quorum 2 of 3, publish_interval
500ms, max_age 3s.

1. Failover latency: m2 starts answering 503 to every vantage point (t0);
   the primary is polled every 20 ms until its A RRset no longer holds m2
   (t_dns). Then m2 recovers and the next trial waits for it to return.
   Trials start at random phases of the check interval. Subjects: the
   single agent (no vantage group) and the writer with two observers.
2. False removals: m2 fails for nyc1's address only, for --outage seconds
   (a broken path from one vantage point). Counted: times m2 left the
   RRset. Subjects: a single agent checking from nyc1's address, and the
   quorum group.

Figures and their reading: docs/performance.md, "Several vantage points".
"""
import argparse
import os
import random
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

from mplib.agent import Agent  # noqa: E402
from mplib.faultserver import FaultServer  # noqa: E402
from mplib.vantage import VantageNamed  # noqa: E402

VIEWS = "_mp.example.org."
NODES = ("ams1", "nyc1", "sgp1")
SOURCE = {"ams1": "127.0.0.21", "nyc1": "127.0.0.22", "sgp1": "127.0.0.23"}
M1, M2 = "127.0.0.11", "127.0.0.12"
PUBLISH_MS = 500


def make_agent(ns, port, node, vantage):
    # every trial takes the same address down: no flap penalty, or damping
    # would (rightly) hold it out after a few trials
    extra = "damping = { penalty = 0; };\n"
    if vantage:
        extra += ('node = "%s";\nvantage = { role = "%s"; views = "%s"; '
                 'nodes = [ "ams1", "nyc1", "sgp1" ]; quorum = 2; '
                 'max_age = "3s"; publish_interval = "%dms"; };\n'
                 % (node, "writer" if node == "ams1" else "observer", VIEWS,
                    PUBLISH_MS))
    return Agent(dns_port=ns.port, key_file=ns.node_keys[node].path,
                 mirrors=[("m1", [M1]), ("m2", [M2])],
                 url="http://mirror.example:%d/ok/trace" % port,
                 interval="1s", fast_interval="500ms", timeout="900ms",
                 rise=2, fall=2, min_interval="100ms", max_per_hour=3600,
                 source_address=SOURCE[node], extra=extra)


def holds_m2(ns):
    return M2 in ns.dig("dl.example.org", "A", timeout=1)


def wait(pred, timeout, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return time.monotonic()
        time.sleep(step)
    raise RuntimeError("timed out after %.0f s" % timeout)


def latency_trials(ns, m2, n, rng):
    out = []
    for _ in range(n):
        wait(lambda: holds_m2(ns), 30, 0.1)
        time.sleep(3 + rng.random())  # a random phase of the interval
        m2.fail_from.update(SOURCE.values())
        t0 = time.monotonic()
        t = wait(lambda: not holds_m2(ns), 30)
        out.append(t - t0)
        m2.fail_from.clear()
    wait(lambda: holds_m2(ns), 30, 0.1)
    return out


def count_removals(ns, m2, outage, vantage):
    """Removals of m2 during the outage, and whether the fault showed:
    nyc1 was refused (and, with views, nyc1's view said m2=down)."""
    wait(lambda: holds_m2(ns), 30, 0.1)
    time.sleep(2)
    m2.fail_from.add(SOURCE["nyc1"])
    removals, present, seen = 0, True, not vantage
    end = time.monotonic() + outage
    while time.monotonic() < end:
        now = holds_m2(ns)
        if present and not now:
            removals += 1
        present = now
        if not seen:
            seen = "%s=down" % M2 in " ".join(
                ns.dig("nyc1." + VIEWS, "TXT", timeout=1))
        time.sleep(0.1)
    m2.fail_from.clear()
    return removals, seen and SOURCE["nyc1"] in m2.sources("/ok/trace")


def run(builddir, subject, trials, outage, rng):
    os.environ["top_builddir"] = builddir
    m1 = FaultServer(host=M1).start()
    m2 = FaultServer(host=M2, port=m1.port).start()
    ns = VantageNamed(views=VIEWS, nodes=NODES,
                          records={"dl": [("A", M1), ("A", M2)]})
    agents = []
    try:
        ns.start()
        if subject == "single":
            agents = [make_agent(ns, m1.port, "ams1", False)]
        elif subject == "single-nyc1":
            # one agent on the vantage point whose path breaks
            a = make_agent(ns, m1.port, "ams1", False)
            a.set(source_address=SOURCE["nyc1"])
            agents = [a]
        else:
            agents = [make_agent(ns, m1.port, n, True) for n in NODES]
        for a in agents:
            a.start()
        if outage:
            return count_removals(ns, m2, outage, subject == "quorum")
        return latency_trials(ns, m2, trials, rng)
    finally:
        for a in agents:
            a.stop()
            a.close()
        ns.close()
        m1.stop()
        m2.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", required=True)
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--outage", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", choices=("latency", "outage"))
    args = ap.parse_args()
    b = os.path.abspath(args.builddir)
    rng = random.Random(args.seed)
    if args.only in (None, "latency"):
        print("failover latency, %d trials each (s)" % args.trials)
        for s in ("single", "quorum"):
            r = run(b, s, args.trials, 0, rng)
            print("  %-7s median %.2f  max %.2f  all %s" % (
                s, statistics.median(r), max(r),
                " ".join("%.2f" % x for x in r)))
    if args.only in (None, "outage"):
        print("false removals while nyc1 loses its path to m2 for %.0f s"
              % args.outage)
        for s in ("single-nyc1", "quorum"):
            n, shown = run(b, s, 0, args.outage, rng)
            print("  %-11s %d  (fault shown: %s)" % (
                s, n, "yes" if shown else "NO"))

if __name__ == "__main__":
    main()
