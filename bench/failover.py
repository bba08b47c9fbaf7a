#!/usr/bin/env python3
"""Failover latency: from a mirror starting to answer 503 to the pool's
RRset on the primary no longer holding its address.

    cd BUILD && python3 SRCDIR/bench/failover.py [--trials 20]

Runs a throwaway BIND primary and three HTTP mirrors (127.0.0.2-4, one
port) on loopback, then, for each subject in turn -- mirrorpoold and the
curl + nsupdate loop in bench/naive-failover.sh -- repeats a trial:

  1. wait until the RRset holds every mirror and 1.5 s more, then for the
     next check of the mirror to fault and a delay phi after it: the fault
     phase. With --phase stratified (the default) the n trials take
     phi = (k + 0.5) / n x interval, k = 0..n-1 in random order, so the
     phases cover one interval evenly; --phase random draws phi uniformly
     from [0, interval);
  2. t0: switch one mirror (in turn) to 503;
  3. poll the primary over UDP every --poll-ms until its address is gone:
     t_dns is the arrival of the first answer without it;
  4. switch the mirror back and wait for its address to return.

The mirror stamps every request it answers, so each trial also splits into
phases: detect = t0 -> first failing check, fall = first -> fall-th failing
check, update = fall-th failing check -> t_dns. See docs/performance.md for
the theoretical minimum printed beside the figures.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import benchlib as bl  # noqa: E402

ADDRS = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
ZONE = "example.org"
POOL = "dl.example.org."
# The parameters under test (check.interval, fast_interval, fall, timeout).
INTERVAL_MS = 1000
FAST_MS = 500
FALL = 2
RISE = 2
TIMEOUT_S = 1
SETTLE_S = 1.5

CONFIG = """\
# written by bench/failover.py
dns = {{
  server = "127.0.0.1";
  port = {port};
  zone = "{zone}";
  key_file = "{key_file}";
  timeout = "2s";
}};
update = {{
  # small, so that the rate limit never delays a trial's UPDATE (trials are
  # seconds apart anyway); the default is 5s
  min_interval = "100ms";
  max_per_hour = 3600;
}};
check = {{
  type = "http";
  url = "{url}";
  interval = "{interval}ms";
  fast_interval = "{fast}ms";
  # mirrorpoold refuses timeout >= interval; a 503 answers at once, so the
  # timeout never fires in these trials
  timeout = "{timeout}ms";
  fall = {fall};
  rise = {rise};
}};
# every trial takes the same address down: no flap penalty, or damping
# would (rightly) hold it out after a few trials
damping = {{ penalty = 0; }};
pools = (
  {{ name = "{pool}";
    ttl = 60;
    min_healthy = 1;
    mirrors = (
{mirrors}
    );
  }}
);
control = {{ socket = "{dir}/control.sock"; mode = "0600"; }};
state_file = "{dir}/state.json";
log_level = "info";
"""


def wait_full(poller, timeout=30.0):
    """Waits until the primary holds every mirror's address."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        a = poller.query()
        if a is not None and set(ADDRS) <= a:
            return
        time.sleep(0.02)
    raise RuntimeError("the RRset did not return to %s" % ADDRS)


def trial(farm, poller, addr, poll_s, child, timeout=20.0):
    """One fault; returns times relative to the fault (seconds)."""
    t0 = time.monotonic()
    farm.set_mode(addr, "503")
    t_dns = None
    prev = t0
    while time.monotonic() - t0 < timeout:
        a = poller.query()
        now = time.monotonic()
        if a is not None and addr not in a:
            t_dns = now
            break
        prev = now
        time.sleep(poll_s)
    farm.set_mode(addr, "ok")
    if t_dns is None:
        raise RuntimeError("%s still in the RRset %.0f s after the fault"
                           % (addr, timeout))
    fails = [t for t in farm.mirrors[addr].since(t0, "503") if t <= t_dns]
    if len(fails) < FALL:
        raise RuntimeError("RRset changed after %d failing checks of %s "
                           "(expected %d)" % (len(fails), addr, FALL))
    r = {"addr": addr, "total": t_dns - t0, "detect": fails[0] - t0,
         "fall": fails[FALL - 1] - fails[0],
         "update": t_dns - fails[FALL - 1],
         "after": t_dns - fails[0], "resolution": t_dns - prev}
    # mirrorpoold's own log lines, stamped on arrival through the pipe:
    # where the update phase goes
    down = child.find(r" %s: up -> down" % addr.replace(".", r"\."), t0)
    sent = child.find(r"^<\d>UPDATE .* -%s[ ,].*\(NOERROR"
                      % addr.replace(".", r"\."), t0)
    if down and sent:
        r["to_decision"] = down[0][0] - fails[FALL - 1]
        r["to_noerror"] = sent[0][0] - down[0][0]
        r["to_seen"] = t_dns - sent[0][0]
    return r


def phases(n, how, rng):
    """The fault's delay after a check, in seconds, for n trials."""
    iv = INTERVAL_MS / 1000.0
    if how == "random":
        return [rng.uniform(0, iv) for _ in range(n)]
    ph = [(k + 0.5) / n * iv for k in range(n)]
    rng.shuffle(ph)
    return ph


def run_trials(name, farm, poller, n, poll_s, phase, rng, child):
    out = []
    for i, phi in enumerate(phases(n, phase, rng)):
        addr = ADDRS[i % len(ADDRS)]
        wait_full(poller)
        time.sleep(SETTLE_S)
        t_check = farm.mirrors[addr].wait_request(time.monotonic())
        time.sleep(max(0.0, t_check + phi - time.monotonic()))
        if not child.alive():
            raise RuntimeError("%s exited" % name)
        r = trial(farm, poller, addr, poll_s, child)
        r["phi"] = phi
        out.append(r)
        sys.stderr.write("%s trial %2d %s phi %5.1f: %6.1f ms (detect "
                         "%6.1f, fall %6.1f, update %5.1f)\n"
                         % (name, i + 1, addr, phi * 1e3, r["total"] * 1e3,
                            r["detect"] * 1e3, r["fall"] * 1e3,
                            r["update"] * 1e3))
    wait_full(poller)
    return out


def check_period(farm, since, until):
    """Median gap between successive successful checks of one mirror:
    the steady check period a subject really keeps."""
    gaps = []
    for m in farm.mirrors.values():
        ts = [t for t in m.since(since, "ok") if t <= until]
        gaps += [b - a for a, b in zip(ts, ts[1:]) if b - a < 3.0]
    return bl.median(gaps) if gaps else float("nan")


def update_rtt(builddir, ns):
    """Median in-process UPDATE round trip of mirrorpool's client on this
    primary (mp-dns --repeat 50), in seconds: the last term of the
    theoretical minimum."""
    r = subprocess.run(
        [bl.program(builddir, "tests/tools/mp-dns"), "--server",
         "127.0.0.1", "--port", str(ns.port), "--key-file", ns.key.path,
         "--zone", ZONE, "--repeat", "50", "update", POOL, "A", "60",
         "+192.0.2.99"], capture_output=True, text=True,
        timeout=120)
    summary = [l for l in r.stdout.splitlines() if l.startswith("SUMMARY")]
    if r.returncode != 0 or not summary:
        raise RuntimeError("mp-dns --repeat failed: %s%s"
                           % (r.stdout[-500:], r.stderr[-500:]))
    f = dict(kv.split("=") for kv in summary[0].split()[1:])
    return int(f["send_median_us"]) / 1e6


def start_mirrorpoold(builddir, ns, farm, workdir):
    mirrors = ",\n".join(
        '      { name = "m%d"; addresses = [ "%s" ]; }' % (i + 1, a)
        for i, a in enumerate(ADDRS))
    conf = os.path.join(workdir, "mirrorpool.conf")
    with open(conf, "w") as f:
        f.write(CONFIG.format(
            port=ns.port, zone=ZONE, key_file=ns.key.path,
            url="http://dl.example.org:%d/trace" % farm.port,
            interval=INTERVAL_MS, fast=FAST_MS,
            timeout=min(TIMEOUT_S * 1000, INTERVAL_MS - 1), fall=FALL,
            rise=RISE, pool=POOL, mirrors=mirrors, dir=workdir))
    child = bl.Child([bl.program(builddir, "agent/mirrorpoold"), "-c", conf],
                     os.path.join(workdir, "mirrorpoold.log"),
                     env=bl.clean_env(), cwd=workdir)
    child.wait_line(r"ready: ")
    return child


def start_script(ns, farm, workdir):
    env = bl.clean_env()
    env.update(SERVER="127.0.0.1", DNS_PORT=str(ns.port), ZONE=ZONE,
               NAME=POOL, TTL="60", KEY_FILE=ns.key.path,
               URL="http://dl.example.org:%d/trace" % farm.port,
               INTERVAL="%g" % (INTERVAL_MS / 1000.0),
               TIMEOUT=str(TIMEOUT_S), FALL=str(FALL), RISE=str(RISE))
    return bl.Child(["bash", os.path.join(bl.HERE, "naive-failover.sh")] +
                    ADDRS, os.path.join(workdir, "naive-failover.log"),
                    env=env, cwd=workdir)


def summarize(name, rs, period, ideal):
    tot = [r["total"] * 1e3 for r in rs]
    row = {"name": name, "n": len(rs), "median": bl.median(tot),
           "mean": sum(tot) / len(tot),
           "p90": bl.percentile(tot, 90), "min": min(tot), "max": max(tot),
           "period": period * 1e3, "ideal": ideal * 1e3}
    for k in ("detect", "fall", "update", "after", "resolution",
              "to_decision", "to_noerror", "to_seen"):
        v = [r[k] * 1e3 for r in rs if k in r]
        row[k] = bl.median(v) if v else None
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--poll-ms", type=float, default=2.0,
                    help="pause between two polls of the primary")
    ap.add_argument("--subjects", default="mirrorpoold,script")
    ap.add_argument("--phase", choices=("stratified", "random"),
                    default="stratified",
                    help="how fault phases are chosen (see above)")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directory (logs, config)")
    args = ap.parse_args()
    if args.trials < 1:
        sys.exit("--trials must be at least 1")
    builddir = bl.find_builddir(args.builddir)
    bl.need_tools("named", "nsupdate", "curl", "tsig-keygen")
    flavour = bl.warn_if_unfit(builddir)
    subjects = args.subjects.split(",")
    for subject in subjects:
        if subject not in ("mirrorpoold", "script"):
            sys.exit("unknown subject %s" % subject)
    rng = random.Random(args.seed)
    workdir = tempfile.mkdtemp(prefix="mp-bench-failover-")
    print("machine: %s" % bl.machine())
    print("build:   %s (%s)" % (builddir, flavour))
    try:
        rows, rtt = measure(args, builddir, subjects, rng, workdir)
    except BaseException:
        sys.stderr.write("failed; logs kept in %s\n" % workdir)
        raise
    report(args, rows, rtt)
    if args.keep:
        print("work directory kept: %s" % workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)


def measure(args, builddir, subjects, rng, workdir):
    """Runs every subject's trials; returns their summary rows and the
    UPDATE round trip used in the theoretical minimum."""
    rows = []
    with bl.MirrorFarm(ADDRS) as farm, \
            bl.Named(records={"dl": [("A", a) for a in ADDRS]}) as ns:
        poller = bl.Poller(ns.port, POOL)
        # the fault is real: the mirror answers 503 to a plain client
        farm.set_mode(ADDRS[0], "503")
        st, _ = farm.get(ADDRS[0])
        farm.set_mode(ADDRS[0], "ok")
        if st != 503 or farm.get(ADDRS[0])[0] != 200:
            raise RuntimeError("mirror fault switch does not work")
        rtt = update_rtt(builddir, ns)
        for subject in subjects:
            if subject == "mirrorpoold":
                child = start_mirrorpoold(builddir, ns, farm, workdir)
            else:
                child = start_script(ns, farm, workdir)
            try:
                t_start = time.monotonic()
                rs = run_trials(subject, farm, poller, args.trials,
                                args.poll_ms / 1000.0, args.phase, rng,
                                child)
                period = check_period(farm, t_start, time.monotonic())
            finally:
                child.stop()
            # after the first failure mirrorpoold re-checks at
            # fast_interval, the script at its one interval
            second = FAST_MS if subject == "mirrorpoold" else INTERVAL_MS
            ideal = (INTERVAL_MS / 2.0 + (FALL - 1) * second) / 1e3 + rtt
            rows.append(summarize(subject, rs, period, ideal))
            wait_full(poller)
        poller.close()
    return rows, rtt


def report(args, rows, rtt):
    print("interval %d ms, fast_interval %d ms, fall %d, timeout %d s; "
          "UPDATE round trip (mp-dns median) %.2f ms; poll every %g ms; "
          "%s fault phases"
          % (INTERVAL_MS, FAST_MS, FALL, TIMEOUT_S, rtt * 1e3, args.poll_ms,
             args.phase))
    print("")
    print("%-12s %3s %7s %7s %7s %7s %7s | %7s %7s %7s %7s | %7s %7s"
          % ("subject", "n", "median", "mean", "p90", "min", "max",
             "detect", "fall", "update", "after", "period", "ideal"))
    for r in rows:
        print("%-12s %3d %7.1f %7.1f %7.1f %7.1f %7.1f | %7.1f %7.1f %7.1f "
              "%7.1f | %7.1f %7.1f"
              % (r["name"], r["n"], r["median"], r["mean"], r["p90"],
                 r["min"], r["max"], r["detect"], r["fall"], r["update"],
                 r["after"], r["period"], r["ideal"]))
    print("")
    print("times in ms from the fault; detect/fall/update/after are medians "
          "of the phases (after = fall + update); period = measured steady "
          "check period; ideal = the theoretical minimum "
          "(docs/performance.md): interval/2 + (fall-1) x re-check delay + "
          "UPDATE round trip")
    for r in rows:
        print("%s: median %.3f x, mean %.3f x the theoretical minimum; "
              "after the first failing check %.1f ms (ideal %.1f)"
              % (r["name"], r["median"] / r["ideal"],
                 r["mean"] / r["ideal"], r["after"],
                 r["ideal"] - INTERVAL_MS / 2.0))
        if r["to_decision"] is not None:
            print("%s update phase (medians, from its log lines): failing "
                  "check answered -> 'up -> down' %.2f ms -> 'UPDATE ... "
                  "NOERROR' %.2f ms -> seen by the poller %.2f ms"
                  % (r["name"], r["to_decision"], r["to_noerror"],
                     r["to_seen"]))


if __name__ == "__main__":
    main()
