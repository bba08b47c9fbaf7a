#!/usr/bin/env python3
"""The soak: mirrorpoold (built with ASan+UBSan) under everything at once
for a while, then checked for drift and leaks.

    tests/soak/soak.py [--duration SECONDS] [--warmup SECONDS] [--seed N]

(or with top_builddir=DIR for the programs of another build: a build
without sanitizers shows the daemon's own memory, without ASan's
allocator, shadow and bookkeeping)

- 50 mirror addresses (25 mirrors, two addresses each, on 127.0.1.X)
  flapping at random between up, HTTP 503 and a refused connection;
- the primary (BIND) killed with SIGKILL and restarted every minute;
- concurrent control clients: status, drain, undrain, check, reload, sync;
- a SIGHUP every 30 s.

After the warm-up the daemon's memory and open file descriptors are
taken;
at the end, with the chaos stopped and the agent settled:

- the pool in DNS (dig) equals what the agent says it publishes (status
  --json) and what it believes DNS holds;
- every UPDATE the agent logged as applied is in named's log and every
  change named logged was sent by the agent (one sent while named was
  killed may be in named's log and not applied for the agent: counted);
- the daemon's heap (under ASan: the resident part of ASan's allocator
  space; otherwise the whole RSS) grew by less than 1 MiB since the
  warm-up; the same number of open file descriptors (each taken as the
  lowest of quiet samples: a check in flight holds a socket);
- no sanitizer report in the daemon's output.

Prints its figures; exits 0 when every check holds, 1 otherwise, 77 when
the programs are missing. Run by tests/run.sh (three minutes), not by
make check."""

import argparse
import collections
import os
import random
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from mplib import SKIP, updatelog  # noqa: E402
from mplib.agent import Agent, have_programs, program  # noqa: E402
from mplib.mirrors import MirrorFarm  # noqa: E402
from mplib.named import Named  # noqa: E402

ZONE = "example.org"
POOL = "dl.example.org."
N_MIRRORS = 25
ADDRS = ["127.0.1.%d" % i for i in range(1, 2 * N_MIRRORS + 1)]
MIRRORS = [("m%02d" % (i + 1), ADDRS[2 * i:2 * i + 2])
           for i in range(N_MIRRORS)]
# ASan's quarantine holds freed memory back for a while: a small one
# fills during the warm-up, so RSS after it is steady unless we leak
ASAN = ("detect_leaks=1:quarantine_size_mb=1:"
        "thread_local_quarantine_size_kb=64")


def log(msg):
    print("soak %7.1f s: %s" % (time.monotonic() - T0, msg), flush=True)


T0 = time.monotonic()


class Chaos:
    """The background faults: each a thread until stop is set."""

    def __init__(self, args, farm, srv, ag, seed):
        self.args, self.farm, self.srv, self.ag = args, farm, srv, ag
        self.rnd = random.Random(seed)
        self.stop = threading.Event()
        self.counts = collections.Counter()
        self.errors = []
        self.lock = threading.Lock()
        self.threads = []

    def count(self, what):
        with self.lock:
            self.counts[what] += 1

    def start(self):
        for fn in (self.flap, self.kill_primary, self.sighup) + \
                (self.client,) * self.args.clients:
            t = threading.Thread(target=self._guard, args=(fn,), daemon=True)
            t.start()
            self.threads.append(t)

    def _guard(self, fn):
        try:
            fn()
        except Exception as e:  # a broken soak must not pass quietly
            self.errors.append("%s: %r" % (fn.__name__, e))
            self.stop.set()

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join(60)

    def flap(self):
        rnd = random.Random(self.rnd.random())
        while not self.stop.wait(rnd.uniform(0.05, 0.4)):
            a = rnd.choice(ADDRS)
            mode = rnd.choices(["ok", "503", "closed"], [6, 3, 1])[0]
            self.farm.set_mode(a, mode)
            self.count("flap")

    def kill_primary(self):
        while not self.stop.wait(self.args.kill_every):
            self.srv.kill9()
            self.count("primary killed")
            if self.stop.wait(2):
                break
            self.srv.restart()
        if not self.srv.proc.alive():
            self.srv.restart()

    def sighup(self):
        while not self.stop.wait(self.args.hup_every):
            os.kill(self.ag.proc.popen.pid, signal.SIGHUP)
            self.count("SIGHUP")

    def client(self):
        rnd = random.Random(self.rnd.random())
        while not self.stop.wait(rnd.uniform(0.1, 0.6)):
            cmd = rnd.choice(["status", "status", "check", "drain",
                              "undrain", "reload", "sync"])
            argv = [cmd]
            if cmd == "drain":
                argv += [rnd.choice(MIRRORS)[0], "--for",
                         "%ds" % rnd.randint(2, 20), "--reason", "soak"]
            elif cmd == "undrain":
                argv += [rnd.choice(MIRRORS)[0]]
            rc, out, err = self.ag.ctl(*argv, timeout=60)
            # 0 done, 1 refused (a drain below min_healthy, a reload in
            # progress): both are answers; anything else is not
            if rc not in (0, 1):
                raise RuntimeError("mirrorpoolctl %s: exit %d: %s%s"
                                   % (" ".join(argv), rc, out, err))
            self.count("ctl %s" % cmd)


# ASan's layout on x86-64 (fixed there): every malloc of the daemon and
# of its libraries is served from the allocator's space, and the shadow
# maps all memory 1:8. What else an ASan process holds is code, data and
# ASan's bookkeeping, among it the stack depot: one record of each
# distinct allocation and free stack, kept for reports and never freed,
# so it grows for as long as new call paths turn up.
ASAN_HEAP = (0x600000000000, 0x640000000000)
ASAN_SHADOW = (0x7fff8000, 0x10007fff8000)


def memory(pid):
    """The daemon's memory in KiB: {"rss": VmRSS, "heap": the resident
    part of ASan's allocator space (the program's heap with its redzones,
    free lists and quarantine), "shadow": ASan's shadow, "asan": whether
    it runs under ASan}. Without ASan, heap and shadow are 0."""
    mem = {"rss": 0, "heap": 0, "shadow": 0, "asan": False}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                mem["rss"] = int(line.split()[1])
    area = None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            fields = line.split()
            if "-" in fields[0] and not fields[0].endswith(":"):
                lo, hi = (int(x, 16) for x in fields[0].split("-"))
                area = ("heap" if ASAN_HEAP[0] <= lo < ASAN_HEAP[1] else
                        "shadow" if ASAN_SHADOW[0] <= lo < ASAN_SHADOW[1]
                        else None)
                if fields[-1].endswith("/libasan.so") or \
                        "/libasan.so." in fields[-1]:
                    mem["asan"] = True
            elif fields[0] == "Rss:" and area:
                mem[area] += int(fields[1])
    return mem


def measured(mem):
    """The figure the bound applies to: under ASan the heap (its shadow
    and bookkeeping are ASan's, not the daemon's), otherwise VmRSS."""
    return mem["heap"] if mem["asan"] else mem["rss"]


def other(mem):
    """The RSS outside ASan's heap and shadow: code, data, stacks and
    ASan's bookkeeping (all of the RSS without ASan)."""
    return mem["rss"] - mem["heap"] - mem["shadow"]


def describe(mem):
    if not mem["asan"]:
        return "RSS %d KiB" % mem["rss"]
    return ("heap %d KiB (RSS %d KiB: shadow %d KiB, other %d KiB)"
            % (mem["heap"], mem["rss"], mem["shadow"], other(mem)))


def describe_growth(mem0, mem1):
    if not mem1["asan"]:
        return "RSS %+d KiB" % (mem1["rss"] - mem0["rss"])
    return ("heap %+d KiB (RSS %+d KiB: shadow %+d KiB, other %+d KiB)"
            % (mem1["heap"] - mem0["heap"], mem1["rss"] - mem0["rss"],
               mem1["shadow"] - mem0["shadow"], other(mem1) - other(mem0)))


def quiet(pid, samples=40):
    """(open descriptors, memory) at rest: each figure the lowest over
    samples taken 50 ms apart (a check in flight holds a socket and its
    buffers)."""
    fds, mem = None, None
    for _ in range(samples):
        n = len(os.listdir("/proc/%d/fd" % pid))
        fds = n if fds is None else min(fds, n)
        m = memory(pid)
        mem = m if mem is None else {
            k: min(v, m[k]) if k != "asan" else v for k, v in mem.items()}
        time.sleep(0.05)
    return fds, mem


def calm(farm, ag):
    """Every mirror up, no drain: the pool settles to all addresses."""
    farm.set_all("ok")
    for name, _ in MIRRORS:
        ag.ctl("undrain", name)


def settle(ag, srv, timeout=60):
    """Waits until dig, the agent's published set and its view of DNS
    agree; returns (published, in_dns, dig) of the last look."""
    deadline = time.monotonic() + timeout
    while True:
        ag.ctl("sync", timeout=60)
        rr = ag.rrset("A")
        got = (sorted(rr["published"]), sorted(rr["in_dns"] or []),
               srv.dig(POOL, "A", tcp=True))
        if got[0] == got[1] == got[2]:
            return got
        if time.monotonic() > deadline:
            return got
        time.sleep(0.5)


def compare_updates(agent_text, named_text):
    """Problems (a list) and figures (a dict) of the two logs' changes.

    named logs an added RR with its address, a deleted one without it;
    both log every change of an UPDATE it applied. An UPDATE the agent
    sent but saw no answer to (named killed meanwhile) may be in named's
    log: such changes may account for named's extras, nothing else."""
    a = updatelog.agent_applied(agent_text, POOL)
    u = updatelog.agent_unanswered(agent_text, POOL)
    n = updatelog.named_changes(named_text, ZONE, POOL)
    problems = []
    missing = a.adds - n.adds
    if missing:
        problems.append("applied for the agent, not in named's log: +%s"
                        % sorted(missing.elements()))
    extra = n.adds - a.adds
    if extra - u.adds:
        problems.append("in named's log, never sent by the agent: +%s"
                        % sorted((extra - u.adds).elements()))
    if n.dels < a.dels:
        problems.append("named logged %d deletions, the agent %d applied"
                        % (n.dels, a.dels))
    if n.dels > a.dels + u.dels:
        problems.append("named logged %d deletions, the agent sent at most "
                        "%d" % (n.dels, a.dels + u.dels))
    return problems, {
        "agent UPDATEs applied": a.messages,
        "agent UPDATEs unanswered": u.messages,
        "records added (agent/named)": "%d/%d" % (a.total_adds(),
                                                  n.total_adds()),
        "records deleted (agent/named)": "%d/%d" % (a.dels, n.dels),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=float(
        os.environ.get("MP_SOAK_SECONDS", 180)),
        help="seconds of chaos, warm-up included (default 180, or "
        "$MP_SOAK_SECONDS)")
    p.add_argument("--warmup", type=float, default=None,
                   help="seconds before RSS and descriptors are taken "
                   "(default: two thirds of the duration; ASan's "
                   "allocator takes a while to reach its working set)")
    p.add_argument("--kill-every", type=float, default=60.0)
    p.add_argument("--hup-every", type=float, default=30.0)
    p.add_argument("--clients", type=int, default=3)
    p.add_argument("--default-damping", action="store_true",
                   help="the daemon's flap damping (half-life 15 min, "
                   "max_suppress 1 h) instead of 30 s and 1 min")
    p.add_argument("--seed", type=int, default=int(time.time()))
    args = p.parse_args()
    if args.warmup is None:
        args.warmup = args.duration * 2 / 3
    if not have_programs():
        print("SKIP: %s is not built" % program("mirrorpoold"))
        return SKIP
    log("seed %d, %.0f s (warm-up %.0f s), %d addresses, primary killed "
        "every %.0f s, SIGHUP every %.0f s, %d control clients, damping "
        "half-life %s" % (args.seed, args.duration, args.warmup, len(ADDRS),
                          args.kill_every, args.hup_every, args.clients,
                          "15m" if args.default_damping else "30s"))

    srv = Named(zone=ZONE, records={"dl": [("A", a) for a in ADDRS]})
    farm = MirrorFarm(ADDRS)
    ag = None
    problems = []
    try:
        srv.start()
        farm.start()
        ag = Agent(dns_port=srv.port, key_file=srv.key.path,
                   mirrors=MIRRORS, url=farm.url(), interval="1s",
                   fast_interval="300ms", timeout="800ms",
                   min_interval="200ms", max_per_hour=3600,
                   all_down_freeze=True, dns_timeout="1s",
                   # damped addresses come back within a minute, so a
                   # long soak keeps changing the pool (the default
                   # half-life of 15 min holds most of them out)
                   extra="" if args.default_damping else
                   'damping = { half_life = "30s"; max_suppress = "1m"; };')
        ag.env = {"ASAN_OPTIONS": ASAN + ":" + os.environ.get(
            "MP_SOAK_ASAN_OPTIONS", "")}
        ag.start()
        pid = ag.proc.popen.pid
        log("mirrorpoold pid %d" % pid)
        counts = collections.Counter()

        def chaos_for(seconds, seed):
            """Chaos for seconds, then calm: every mirror up, no drain,
            and the agent settled; its agreement with DNS is checked."""
            chaos = Chaos(args, farm, srv, ag, seed)
            chaos.start()
            end = time.monotonic() + seconds
            while not chaos.stop.wait(
                    max(0.0, min(15.0, end - time.monotonic()))):
                if time.monotonic() >= end:
                    break
                log(describe(memory(pid)))
            chaos.join()
            problems.extend(chaos.errors)
            for e in chaos.errors:
                log("error in the chaos: %s" % e)
            counts.update(chaos.counts)
            calm(farm, ag)
            pub, in_dns, dug = settle(ag, srv)
            # flapping addresses may still be damped (suppressed) here
            log("settled: published %d, agent's view %d, dig %d (of %d)"
                % (len(pub), len(in_dns), len(dug), len(ADDRS)))
            if not pub == in_dns == dug:
                problems.append("DNS and the agent disagree: published %s, "
                                "in_dns %s, dig %s" % (pub, in_dns, dug))

        # the warm-up ends, like the soak, calm: the figures compare
        # like with like
        chaos_for(args.warmup, args.seed)
        fds0, mem0 = quiet(pid)
        log("after warm-up: %s, %d open descriptors"
            % (describe(mem0), fds0))
        chaos_for(max(0.0, args.duration - args.warmup), args.seed + 1)
        log("chaos: %s" % dict(sorted(counts.items())))
        fds1, mem1 = quiet(pid)
        grew = measured(mem1) - measured(mem0)
        log("at the end: %s, %d open descriptors (%+d)"
            % (describe(mem1), fds1, fds1 - fds0))
        log("since the warm-up: " + describe_growth(mem0, mem1))
        if grew >= 1024:
            problems.append("%s grew by %d KiB" % (
                "the heap" if mem1["asan"] else "RSS", grew))
        if fds1 != fds0:
            problems.append("open descriptors: %d after the warm-up, %d at "
                            "the end" % (fds0, fds1))

        code = ag.stop()
        if code != 0:
            problems.append("mirrorpoold exited %s on SIGTERM" % code)
        text = ag.log_text()
        with open(os.path.join(srv.dir, srv.log_name), "rb") as f:
            named_text = f.read().decode("utf-8", "replace")
        bad, figures = compare_updates(text, named_text)
        problems += bad
        for k, v in figures.items():
            log("%s: %s" % (k, v))
        log("agent log: %d lines, %d retries, %d reloads, %d down, %d "
            "suppressed and %d released by flap damping"
            % (text.count("\n"), text.count("; retrying in"),
               text.count("reload: configuration accepted"),
               text.count(": up -> down"),
               text.count(": suppressed by flap damping"),
               text.count(": flap damping released")))
        reports = ag.sanitizer_reports()
        log("sanitizer reports: %d" % len(reports))
        if reports:
            problems.append("sanitizer: %s" % reports[:3])
            sys.stdout.write(text[-20000:])
    finally:
        if ag:
            ag.stop()
        farm.stop()
        srv.close()
    for pr in problems:
        log("FAIL: " + pr)
    log("%s after %.0f s" % ("FAILED" if problems else "passed",
                             time.monotonic() - T0))
    if ag and (problems or os.environ.get("MP_SOAK_KEEP_LOG")):
        ag.close(keep=True)
        log("daemon log kept: %s" % ag.log_path)
    elif ag:
        ag.close()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
