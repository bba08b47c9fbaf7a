#!/usr/bin/env python3
"""UPDATE round trip on loopback: mirrorpool's DNS client next to nsupdate,
both sending N single-record UPDATEs (alternately adding and deleting
dl.example.org. A 192.0.2.99), signed with the same hmac-sha256 key, to the
same throwaway BIND primary.

    cd BUILD && python3 SRCDIR/bench/update-rtt.py [-n 1000]

What each figure measures:

  mp-dns --repeat N         one process, one libuv loop, requests one after
                            the other. Per request, timed inside the process
                            with the loop's monotonic clock:
                              send:  signed request handed to the transport
                                     -> verified answer's callback
                              total: also building and signing it
  nsupdate -d               one process reading N "update ...; send" blocks
                            from a pipe. Per request, seen from outside: the
                            arrival (through the pipe) of its debug line
                            "Sending update to" -> "Reply from update
                            query:" (printed once the answer is verified).
                            -d also formats every message, which costs a
                            little; its stderr is unbuffered.
  batch wall / N            process start to exit, divided by N, for
                            mp-dns, nsupdate -d and plain nsupdate: start-up
                            (about 30 ms for nsupdate) is spread over N.

Every UPDATE must come back NOERROR: the zone's SOA serial is checked to
have grown by exactly the number of UPDATEs sent.
"""
import argparse
import os
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import benchlib as bl  # noqa: E402

ZONE = "example.org"
NAME = "dl.example.org."
ADDR = "192.0.2.99"


def serial(ns):
    return int(ns.dig(ZONE, "SOA")[0].split()[2])


def run_mpdns(builddir, ns, n):
    argv = [bl.program(builddir, "tests/tools/mp-dns"), "--server",
            "127.0.0.1", "--port", str(ns.port), "--key-file", ns.key.path,
            "--zone", ZONE, "--repeat", str(n), "update", NAME, "A", "60",
            "+" + ADDR]
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True,
                       timeout=60 + n)
    wall = time.monotonic() - t0
    send, total = [], []
    for line in r.stdout.splitlines():
        if line.startswith("RTT "):
            f = dict(kv.split("=", 1) for kv in line.split()[1:])
            send.append(int(f["send_us"]) / 1e3)
            total.append(int(f["total_us"]) / 1e3)
    if r.returncode != 0 or len(send) != n:
        raise RuntimeError("mp-dns: exit %d, %d of %d answered\n%s%s"
                           % (r.returncode, len(send), n, r.stdout[-800:],
                              r.stderr[-800:]))
    return {"send": send, "total": total, "wall": wall}


def nsupdate_script(ns, n):
    blocks = ["server 127.0.0.1 %d\nzone %s\n" % (ns.port, ZONE)]
    for i in range(n):
        if i % 2 == 0:
            blocks.append("update add %s 60 A %s\nsend\n" % (NAME, ADDR))
        else:
            blocks.append("update delete %s A %s\nsend\n" % (NAME, ADDR))
    return "".join(blocks)


def run_nsupdate(ns, n, debug):
    argv = ["nsupdate", "-k", ns.key.path, "-t", "5"]
    if debug:
        argv.insert(1, "-d")
    script = nsupdate_script(ns, n).encode()
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL if not debug
                         else subprocess.PIPE,
                         stderr=subprocess.PIPE, bufsize=0)
    stamps = []   # (arrival time, "send" | "reply" | "noerror")
    err = []

    def feed():
        try:
            p.stdin.write(script)
        finally:
            p.stdin.close()

    def drain_stdout():
        while p.stdout.read(65536):
            pass

    threads = [threading.Thread(target=feed, daemon=True)]
    if debug:
        threads.append(threading.Thread(target=drain_stdout, daemon=True))
    for t in threads:
        t.start()
    buf = b""
    while True:
        chunk = os.read(p.stderr.fileno(), 65536)
        now = time.monotonic()
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if line.startswith(b"Sending update to"):
                stamps.append((now, "send"))
            elif line.startswith(b"Reply from update query"):
                stamps.append((now, "reply"))
            elif b"opcode: UPDATE, status: NOERROR" in line:
                stamps.append((now, "noerror"))
            elif not debug:
                err.append(line.decode("utf-8", "replace"))
    p.wait(timeout=60 + n)
    wall = time.monotonic() - t0
    for t in threads:
        t.join(5)
    if p.returncode != 0 or err:
        raise RuntimeError("nsupdate: exit %d: %s" % (p.returncode,
                                                     "\n".join(err[-10:])))
    out = {"wall": wall}
    if debug:
        rtt, start = [], None
        noerror = sum(1 for _, k in stamps if k == "noerror")
        for t, k in stamps:
            if k == "send":
                start = t
            elif k == "reply" and start is not None:
                rtt.append((t - start) * 1e3)
                start = None
        # (the outgoing messages' headers go to stdout, not counted here)
        if len(rtt) != n or noerror != n:
            raise RuntimeError("nsupdate -d: %d replies for %d sends"
                               % (len(rtt), n))
        out["send"] = rtt
    return out


def stats(v):
    return (bl.median(v), bl.percentile(v, 90), max(v))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir")
    ap.add_argument("-n", type=int, default=1000,
                    help="UPDATEs per client (even, so the zone ends as it "
                    "began)")
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    if args.n < 2 or args.n % 2:
        sys.exit("-n must be even and at least 2")
    builddir = bl.find_builddir(args.builddir)
    bl.need_tools("named", "nsupdate", "tsig-keygen", "dig")
    flavour = bl.warn_if_unfit(builddir)
    print("machine: %s" % bl.machine())
    print("build:   %s (%s)" % (builddir, flavour))
    with bl.Named() as ns:
        s0 = serial(ns)
        run_mpdns(builddir, ns, args.warmup)
        run_nsupdate(ns, args.warmup, False)
        mp = run_mpdns(builddir, ns, args.n)
        nsd = run_nsupdate(ns, args.n, True)
        nsp = run_nsupdate(ns, args.n, False)
        sent = 2 * args.warmup + 3 * args.n
        s1 = serial(ns)
        final = ns.dig(NAME, "A")
    if s1 - s0 != sent:
        raise RuntimeError("SOA serial grew by %d for %d UPDATEs"
                           % (s1 - s0, sent))
    if ADDR in final:
        raise RuntimeError("the zone did not end as it began: %s" % final)
    n = args.n
    print("%d single-record UPDATEs per client, alternately add/delete, "
          "hmac-sha256, UDP, 127.0.0.1; every one NOERROR (SOA serial +%d)"
          % (n, sent))
    print("")
    print("%-46s %8s %8s %8s" % ("per request (ms)", "median", "p90", "max"))
    rows = [("mirrorpool mp-dns, in process: send -> verified", mp["send"]),
            ("mirrorpool mp-dns, in process: build+sign+send", mp["total"]),
            ("nsupdate -d, via pipe: 'Sending' -> 'Reply'", nsd["send"])]
    for label, v in rows:
        print("%-46s %8.3f %8.3f %8.3f" % ((label,) + stats(v)))
    print("")
    print("%-46s %8s" % ("batch: process wall time / N (ms)", ""))
    for label, w in (("mirrorpool mp-dns --repeat N", mp["wall"]),
                     ("nsupdate -d (N blocks on stdin)", nsd["wall"]),
                     ("nsupdate (N blocks on stdin)", nsp["wall"])):
        print("%-46s %8.3f" % (label, w / n * 1e3))


if __name__ == "__main__":
    main()
