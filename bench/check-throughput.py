#!/usr/bin/env python3
"""Check throughput: CPU time per health check and memory of mirrorpoold,
against HAProxy's health checker on the same endpoints.

N endpoints are N loopback addresses 127.0.X.Y on one port, all served by
ONE nginx (one `listen` per address). Each endpoint is checked once a second
over plain HTTP (a fresh connection per check, GET /trace):

  mirrorpoold  10 pools of 100 addresses (one mirror per address), interval
               and fast_interval 1s, timeout 900ms, rise/fall 2, dry_run, a
               throwaway BIND primary whose zone already holds every address
               (so nothing changes and no UPDATE is due);
  haproxy      one backend of N servers, `check inter 1s fall 2 rise 2`,
               `option httpchk GET /trace`, `nbthread 1` (mirrorpoold runs
               one thread too), no traffic.

The two run one after the other on the same nginx. For each: a warm-up,
then a measuring window over which we take the CPU time of the process
(utime + stime of /proc/PID/stat, which covers all its threads), the checks
done (the lines nginx logged in the window for that client, told apart by
User-Agent) and, at the end, VmRSS and VmHWM from /proc/PID/status.

With --tls the same runs are over HTTPS: nginx serves a certificate from a
throw-away test CA (ECDSA P-256, TLS 1.3, session tickets on), mirrorpoold
checks https:// URLs, and HAProxy runs twice, `check-ssl verify required
verifyhost check-sni` with its default session reuse ("haproxy") and
again with `no-ssl-reuse` ("haproxy no-ssl-reuse"). --ca file gives
mirrorpoold `ca_file` = the test CA; --ca system leaves it unset, so the
system store is used: Debian's bundle with the test CA appended, in a file
of our own named by SSL_CERT_FILE (no real CA is ever contacted). HAProxy
reads the same file as its ca-file. The table's "resumed" column is the
share of each tool's checks that nginx logged as resumed TLS sessions.

Builds nothing: point --builddir at a configured build made WITHOUT
sanitizers (`./configure && make`); ASan/UBSan distort CPU and RSS, so a
sanitized mirrorpoold is refused unless --allow-sanitizers.

    bench/check-throughput.py --builddir BUILD [-n 100,1000] [--warmup 10]
                              [--measure 45] [--repeat 1]
                              [--only mirrorpoold|haproxy]
                              [--tls [--ca file|system]]
    bench/check-throughput.py --builddir old=BUILD1 --builddir new=BUILD2

Several labelled --builddir compare builds in one run. With --repeat R the
tools take turns R times per N and the table shows each one's median run
(CPU time is shared with whatever else the machine does: repeat, and read
the spread).

Loopback only; every process started is stopped on exit (also on ^C).
"""
import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))

from mplib import ports, tlsca  # noqa: E402
from mplib.named import Named  # noqa: E402
from mplib.proc import Proc, wait_for  # noqa: E402
from mplib.tools import find_server  # noqa: E402

POOL_SIZE = 100       # addresses per pool (the per-family limit)
HOST = "dl.example.org"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def die(msg):
    sys.stderr.write("check-throughput: %s\n" % msg)
    sys.exit(1)


def note(msg):
    sys.stderr.write("# %s\n" % msg)
    sys.stderr.flush()


def address(i):
    """The i-th endpoint: 127.0.100.1 .. 127.0.103.250 for 1000."""
    return "127.0.%d.%d" % (100 + i // 250, 1 + i % 250)


# ---------------------------------------------------------------------------
# /proc

def cpu_ticks(pid):
    """(utime, stime) of the whole process (all threads), in clock
    ticks."""
    with open("/proc/%d/stat" % pid) as f:
        text = f.read()
    # the command name may hold spaces: fields start after the last ')'
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[11]), int(fields[12])


def mem_kib(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, val = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(val.split()[0])
    return out


def ctx_switches(pid):
    """(voluntary, involuntary) context switches of the whole process:
    each time it went to sleep in epoll_wait and woke counts as one
    voluntary switch, so their rate is its wake-ups."""
    vol = invol = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
            for line in f:
                key, _, val = line.partition(":")
                if key == "voluntary_ctxt_switches":
                    vol += int(val)
                elif key == "nonvoluntary_ctxt_switches":
                    invol += int(val)
    return vol, invol


def threads(pid):
    return len(os.listdir("/proc/%d/task" % pid))


# ---------------------------------------------------------------------------
# Sanitizer check

def sanitized(binary):
    """The sanitizer runtimes binary links or embeds, if any."""
    found = set()
    try:
        out = subprocess.run(["ldd", binary], capture_output=True,
                             text=True, timeout=30).stdout
        found.update(re.findall(r"lib(asan|ubsan|tsan|lsan)\.so", out))
    except (OSError, subprocess.TimeoutExpired):
        pass
    try:
        out = subprocess.run(["nm", binary], capture_output=True,
                             text=True, timeout=30).stdout
        if re.search(r"\b__asan_init\b", out):
            found.add("asan")
        if re.search(r"\b__ubsan_handle_", out):
            found.add("ubsan")
    except (OSError, subprocess.TimeoutExpired):
        pass
    return sorted(found)


# ---------------------------------------------------------------------------
# nginx: one process, N listen directives, a small /trace

NGINX_CONF = """\
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile {nofile};
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections {conns}; }}
http {{
    log_format bench '$server_addr $status $ssl_session_reused '
                     '"$http_user_agent"';
    access_log {dir}/access.log bench;
    client_body_temp_path {dir}/tmp;
    proxy_temp_path {dir}/tmp;
    fastcgi_temp_path {dir}/tmp;
    uwsgi_temp_path {dir}/tmp;
    scgi_temp_path {dir}/tmp;
    default_type text/plain;
    server {{
{listens}
        server_name {host};
        root {dir}/www;
{tls}
    }}
}}
"""


class Nginx:
    def __init__(self, workdir, addrs, cert=None):
        self.binary = find_server("nginx")
        if not self.binary:
            die("nginx is not installed")
        self.dir = os.path.join(workdir, "nginx")
        os.makedirs(os.path.join(self.dir, "www"))
        os.makedirs(os.path.join(self.dir, "tmp"))
        with open(os.path.join(self.dir, "www", "trace"), "w") as f:
            f.write("%d\nok\n" % int(time.time()))
        self.addrs = addrs
        self.cert = cert
        self.access_log = os.path.join(self.dir, "access.log")
        self.proc = None
        self.port = None

    def start(self, attempts=5):
        """Starts on a port free on 127.0.0.1; when some address of ours
        has it taken, nginx fails to bind and we move to another port."""
        for _ in range(attempts):
            self.port = ports.free_port()
            if self._start_once():
                return self
        die("nginx: no port free on all %d addresses" % len(self.addrs))

    def _start_once(self):
        listens = "\n".join("        listen %s:%d%s;" % (
            a, self.port, " ssl" if self.cert else "") for a in self.addrs)
        tls = ""
        if self.cert:
            tls = ("        ssl_certificate %s;\n"
                   "        ssl_certificate_key %s;\n" % (self.cert.cert,
                                                         self.cert.key))
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(
                dir=self.dir, listens=listens, host=HOST, tls=tls,
                conns=len(self.addrs) * 2 + 1024,
                nofile=len(self.addrs) * 4 + 2048))
        err = os.path.join(self.dir, "error.log")
        self.proc = Proc([self.binary, "-p", self.dir, "-c", conf, "-e",
                          err], os.path.join(self.dir, "stderr.log"))
        try:
            for a in (self.addrs[0], self.addrs[-1]):
                ports.wait_listening(a, self.port, 15, self.proc.popen)
        except RuntimeError:
            self.proc.stop()
            text = ""
            for name in ("stderr.log", "error.log"):
                try:
                    with open(os.path.join(self.dir, name), "rb") as f:
                        text += f.read().decode("utf-8", "replace")
                except OSError:
                    pass
            if "Address already in use" in text:
                return False
            die("nginx did not start:\n" + text[-2000:])
        # every address answers /trace before anything is measured
        for a in self.addrs:
            if not ports.is_listening(a, self.port):
                self.proc.stop()
                return False
        return True

    def log_size(self):
        return os.path.getsize(self.access_log)

    def count(self, start, end, agent_re):
        """Requests logged between byte offsets start and end whose
        User-Agent matches agent_re: (total, non-200, resumed)."""
        total = bad = resumed = 0
        rx = re.compile(agent_re)
        with open(self.access_log, "rb") as f:
            f.seek(start)
            data = f.read(end - start).decode("utf-8", "replace")
        for line in data.splitlines():
            m = re.match(r'(\S+) (\d+) (\S*) "(.*)"$', line)
            if not m or not rx.search(m.group(4)):
                continue
            total += 1
            if m.group(2) != "200":
                bad += 1
            if m.group(3) == "r":
                resumed += 1
        return total, bad, resumed

    def stop(self):
        if self.proc:
            self.proc.stop()


# ---------------------------------------------------------------------------
# The two checkers

def q(s):
    return '"%s"' % s


def mirrorpoold_conf(workdir, n, port, dns_port, key_file, tls=None,
                     interval=1.0):
    pools = []
    for p in range((n + POOL_SIZE - 1) // POOL_SIZE):
        mirrors = []
        for i in range(p * POOL_SIZE, min(n, (p + 1) * POOL_SIZE)):
            mirrors.append('{ name = "m%04d"; addresses = [ "%s" ]; }'
                           % (i, address(i)))
        pools.append("""  { name = "dl%d.example.org.";
    ttl = 60;
    min_healthy = 1;
    mirrors = (
      %s
    );
  }""" % (p, ",\n      ".join(mirrors)))
    return """\
# written by bench/check-throughput.py
dns = {
  server = "127.0.0.1";
  port = %(dns_port)d;
  zone = "example.org";
  key_file = %(key)s;
  reconcile_interval = "5m";
  dry_run = true;
};
check = {
  type = "http";
  url = "%(scheme)s://%(host)s:%(port)d/trace";%(ca)s
  interval = "%(interval)dms";
  fast_interval = "%(interval)dms";
  timeout = "900ms";
  rise = 2;
  fall = 2;
  expect_status = [ 200 ];
};
pools = (
%(pools)s
);
control = { socket = %(sock)s; mode = "0600"; };
state_file = %(state)s;
log_level = "info";
""" % {"dns_port": dns_port, "key": q(key_file), "host": HOST,
       "port": port, "pools": ",\n".join(pools),
       "interval": int(interval * 1000),
       "scheme": "https" if tls else "http",
       "ca": ("\n  ca_file = %s;" % q(tls["ca_file"])
              if tls and tls.get("ca_file") else ""),
       "sock": q(os.path.join(workdir, "control.sock")),
       "state": q(os.path.join(workdir, "state.json"))}


def haproxy_conf(workdir, n, port, front_port, tls=None, reuse=True,
                 interval=1.0):
    ssl = ""
    if tls:
        ssl = (" check-ssl verify required ca-file %s verifyhost %s "
               "check-sni %s%s" % (tls["bundle"], HOST, HOST,
                                   "" if reuse else " no-ssl-reuse"))
    servers = "\n".join(
        "    server s%d %s:%d check inter %dms fall 2 rise 2%s"
        % (i, address(i), port, int(interval * 1000), ssl)
        for i in range(n))
    return """\
# written by bench/check-throughput.py
global
    nbthread 1
    maxconn %(maxconn)d
defaults
    mode http
    timeout connect 900ms
    timeout check 900ms
    timeout client 5s
    timeout server 5s
# a listener HAProxy insists on; nothing connects to it
frontend idle
    bind 127.0.0.1:%(front)d
    default_backend mirrors
backend mirrors
    option httpchk GET /trace
    http-check send hdr Host %(host)s hdr User-Agent haproxy-check
    http-check expect status 200
%(servers)s
""" % {"maxconn": n * 2 + 256, "front": front_port, "host": HOST,
       "servers": servers}


class Run:
    """One checker process: started, warmed up, measured, stopped."""

    def __init__(self, tool, argv, workdir, agent_re, ready, env=None):
        # tool: the label in the report; agent_re: its User-Agent in
        # nginx's log; ready(run): true once it is up
        self.tool = tool
        self.argv = argv
        self.workdir = workdir
        self.agent_re = agent_re
        self.ready = ready
        self.env = env
        self.proc = None

    def log_text(self):
        return self.proc.log_text() if self.proc else ""

    def measure(self, nginx, n, warmup, window, interval=1.0):
        log = os.path.join(self.workdir, "daemon.log")
        self.proc = Proc(self.argv, log, cwd=self.workdir, env=self.env)
        try:
            wait_for(lambda: self.ready(self) or not self.proc.alive(),
                     timeout=30, what=self.tool + " ready")
            if not self.proc.alive():
                die("%s exited:\n%s" % (self.tool, self.log_text()[-3000:]))
            pid = self.proc.pid
            note("%s N=%d: pid %d, warm-up %g s" % (self.tool, n, pid,
                                                    warmup))
            time.sleep(warmup)
            off0, cpu0, t0 = nginx.log_size(), cpu_ticks(pid), \
                time.monotonic()
            ctx0 = ctx_switches(pid)
            time.sleep(window)
            off1, cpu1, t1 = nginx.log_size(), cpu_ticks(pid), \
                time.monotonic()
            ctx1 = ctx_switches(pid)
            mem = mem_kib(pid)
            nthr = threads(pid)
            if not self.proc.alive():
                die("%s died during the run:\n%s"
                    % (self.tool, self.log_text()[-3000:]))
        finally:
            self.proc.stop(grace=10)
        checks, bad, resumed = nginx.count(off0, off1, self.agent_re)
        secs = t1 - t0
        if bad or checks < 0.9 * n * secs / interval:
            note("WARNING: %s N=%d: %d checks in %.0f s, %d not HTTP 200"
                 % (self.tool, n, checks, secs, bad))
        user_s = (cpu1[0] - cpu0[0]) / CLK_TCK
        sys_s = (cpu1[1] - cpu0[1]) / CLK_TCK
        cpu_s = user_s + sys_s
        return {
            "n": n, "tool": self.tool, "seconds": round(secs, 2),
            "checks": checks, "non_200": bad, "resumed": resumed,
            "checks_per_s": round(checks / secs, 1),
            "cpu_s": round(cpu_s, 2),
            "user_us_per_check": round(user_s * 1e6 / checks, 1)
            if checks else None,
            "sys_us_per_check": round(sys_s * 1e6 / checks, 1)
            if checks else None,
            "cpu_pct": round(100 * cpu_s / secs, 1),
            "cpu_us_per_check": round(cpu_s * 1e6 / checks, 1)
            if checks else None,
            "rss_kib": mem.get("VmRSS"), "hwm_kib": mem.get("VmHWM"),
            "threads": nthr,
            "wakeups_per_min": round((ctx1[0] - ctx0[0]) * 60.0 / secs, 1),
            "involuntary_per_min": round((ctx1[1] - ctx0[1]) * 60.0 / secs,
                                         1),
            "checks_per_min": round(checks * 60.0 / secs, 1),
        }


def run_n(n, args, workroot):
    workdir = tempfile.mkdtemp(prefix="n%d-" % n, dir=workroot)
    addrs = [address(i) for i in range(n)]
    results = []
    n_pools = (n + POOL_SIZE - 1) // POOL_SIZE
    pool_names = tuple("dl%d" % p for p in range(n_pools))
    records = {pool_names[p]: [("A", address(i)) for i in
                               range(p * POOL_SIZE,
                                     min(n, (p + 1) * POOL_SIZE))]
               for p in range(n_pools)}
    nginx = Nginx(workdir, addrs, args.tls and args.tls["cert"]).start()
    ns = None
    try:
        note("N=%d: nginx on %s..%s port %d" % (n, addrs[0], addrs[-1],
                                                 nginx.port))
        for rep in range(args.repeat):
            for tool, binary in args.tools:
                d = os.path.join(workdir, "%s-%d" % (
                    re.sub(r"[^A-Za-z0-9_.-]", "_", tool), rep))
                os.makedirs(d)
                if binary != "haproxy":
                    if ns is None:
                        ns = Named(records=records, pool_names=pool_names)
                        ns.start()
                    conf = os.path.join(d, "mirrorpool.conf")
                    with open(conf, "w") as f:
                        f.write(mirrorpoold_conf(d, n, nginx.port, ns.port,
                                                 ns.key.path, args.tls,
                                                 args.interval))
                    env = None
                    if args.tls and not args.tls.get("ca_file"):
                        env = dict(os.environ,
                                   SSL_CERT_FILE=args.tls["bundle"])
                    run = Run(tool, [binary, "-c", conf], d,
                              r"^mirrorpool/",
                              lambda r: "ready: " in r.log_text(), env)
                else:
                    conf = os.path.join(d, "haproxy.cfg")
                    front = ports.free_port()
                    with open(conf, "w") as f:
                        f.write(haproxy_conf(d, n, nginx.port, front,
                                             args.tls,
                                             tool == "haproxy",
                                             args.interval))
                    haproxy = find_server("haproxy")
                    chk = subprocess.run([haproxy, "-c", "-q", "-f", conf],
                                         capture_output=True, text=True)
                    if chk.returncode != 0:
                        die("haproxy rejects its config:\n" + chk.stdout +
                            chk.stderr)
                    run = Run(tool, [haproxy, "-db", "-f", conf], d,
                              r"^haproxy-check$",
                              lambda r, p=front: ports.is_listening(
                                  "127.0.0.1", p))
                res = run.measure(nginx, n, args.warmup, args.measure,
                                  args.interval)
                res["rep"] = rep
                results.append(res)
                note(json.dumps(res))
    finally:
        if ns is not None:
            ns.close()
        nginx.stop()
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


# ---------------------------------------------------------------------------
# Report

def version_of(argv, rx):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    m = re.search(rx, r.stdout + r.stderr)
    return m.group(1) if m else "?"


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    distro = "?"
    try:
        with open("/etc/os-release") as f:
            m = re.search(r'PRETTY_NAME="([^"]+)"', f.read())
            distro = m.group(1) if m else "?"
    except OSError:
        pass
    return "%d CPUs (%s), %s, Linux %s" % (os.cpu_count(), cpu, distro,
                                           platform.release())


def mib(kib):
    return "%.1f MiB" % (kib / 1024.0) if kib is not None else "?"


def medians(results):
    """One row per (N, tool): the run with the median CPU per check, with
    the spread of all its runs."""
    groups = {}
    for r in results:
        groups.setdefault((r["n"], r["tool"]), []).append(r)
    rows = []
    # by N, then in the order the tools ran
    for key in sorted(groups, key=lambda k: k[0]):
        runs = sorted(groups[key], key=lambda r: r["cpu_us_per_check"] or 0)
        row = dict(runs[(len(runs) - 1) // 2])
        row["runs"] = len(runs)
        row["cpu_min"] = runs[0]["cpu_us_per_check"]
        row["cpu_max"] = runs[-1]["cpu_us_per_check"]
        rows.append(row)
    return rows


def table(rows):
    lines = ["| N | tool | checks/s | CPU µs/check (user + sys) | runs: "
             "min-max | RSS | HWM | resumed |",
             "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        us = "?"
        if r["cpu_us_per_check"]:
            us = "%.1f (%.1f + %.1f)" % (r["cpu_us_per_check"],
                                         r["user_us_per_check"],
                                         r["sys_us_per_check"])
        spread = "%d: %s-%s" % (r["runs"], r["cpu_min"], r["cpu_max"]) \
            if r["runs"] > 1 else "1"
        res = "%.0f %%" % (100.0 * r["resumed"] / r["checks"]) \
            if r["checks"] else "?"
        lines.append("| %d | %s | %.0f | %s | %s | %s | %s | %s |" % (
            r["n"], r["tool"], r["checks_per_s"], us, spread,
            mib(r["rss_kib"]), mib(r["hwm_kib"]), res))
    return "\n".join(lines)


def ratios(rows):
    out = []
    by = {(r["n"], r["tool"]): r for r in rows}
    for r in rows:
        n, tool = r["n"], r["tool"]
        h = by.get((n, "haproxy"))
        if tool == "haproxy" or not h:
            continue
        if r["cpu_us_per_check"] and h["cpu_us_per_check"]:
            out.append("N=%d: %s / haproxy CPU per check = %.2f" % (
                n, tool, r["cpu_us_per_check"] / h["cpu_us_per_check"]))
    return out


def main():
    ap = argparse.ArgumentParser(
        description="CPU per check and RSS: mirrorpoold vs HAProxy")
    ap.add_argument("--builddir", action="append", metavar="[LABEL=]DIR",
                    help="configured build holding agent/mirrorpoold "
                         "(default: $top_builddir, else the source tree); "
                         "repeat with labels to compare builds in one run")
    ap.add_argument("-n", default="100,1000",
                    help="endpoint counts, comma-separated (default "
                         "100,1000)")
    ap.add_argument("--warmup", type=float, default=10.0,
                    help="seconds before measuring (default 10)")
    ap.add_argument("--measure", type=float, default=45.0,
                    help="seconds measured per tool and N (default 45)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs of each tool per N, alternating; the "
                         "report takes the median (default 1)")
    ap.add_argument("--only", choices=("mirrorpoold", "haproxy"),
                    help="run one tool only")
    ap.add_argument("--haproxy-first", action="store_true",
                    help="run HAProxy before mirrorpoold for each N")
    ap.add_argument("--allow-sanitizers", action="store_true",
                    help="measure a sanitized build anyway (figures are "
                         "then meaningless)")
    ap.add_argument("--tls", action="store_true",
                    help="HTTPS checks against a test CA's certificate; "
                         "HAProxy with and without session reuse")
    ap.add_argument("--ca", choices=("file", "system"), default="file",
                    help="--tls: mirrorpoold's ca_file is the test CA "
                         "(file, the default) or unset (system: the "
                         "system bundle plus the test CA)")
    ap.add_argument("--interval", type=float, default=1.0,
                    metavar="SECONDS",
                    help="check interval of both tools (default 1); with "
                    "a long one and a small -n, the wake-ups per minute "
                    "show what an idle agent costs")
    ap.add_argument("--json", metavar="FILE",
                    help="also write the results as JSON to FILE")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directory (configs, logs)")
    args = ap.parse_args()

    try:
        ns_list = [int(x) for x in args.n.split(",") if x.strip()]
    except ValueError:
        ap.error("-n takes integers")
    if not ns_list or any(n < 1 or n > 1000 for n in ns_list):
        ap.error("-n: each count between 1 and 1000 (127.0.100-103.x)")
    if args.repeat < 1:
        ap.error("--repeat: at least 1")
    args.only = (args.only,) if args.only else ("mirrorpoold", "haproxy")

    builds = []
    for spec in args.builddir or [os.environ.get("top_builddir", SRCDIR)]:
        label, sep, d = spec.partition("=")
        if not sep:
            label, d = "", spec
        builds.append(("mirrorpoold" + (" (%s)" % label if label else ""),
                       os.path.join(os.path.abspath(d), "agent",
                                    "mirrorpoold")))
    haproxy = find_server("haproxy")
    if "haproxy" in args.only and not haproxy:
        die("haproxy is not installed (apt-get install haproxy)")
    if not find_server("named"):
        die("named is not installed (apt-get install bind9)")
    args.tools = []
    if "mirrorpoold" in args.only:
        for tool, path in builds:
            if not os.access(path, os.X_OK):
                die("%s is not built: ./configure && make (no sanitizers)"
                    % path)
            san = sanitized(path)
            if san:
                msg = ("%s is built with sanitizers (%s): CPU and RSS "
                       "figures would be meaningless; reconfigure without "
                       "--enable-sanitizers" % (path, ", ".join(san)))
                if not args.allow_sanitizers:
                    die(msg)
                note("WARNING: " + msg)
            args.tools.append((tool, path))
    if "haproxy" in args.only:
        hx = [("haproxy", "haproxy")]
        if args.tls:
            hx.append(("haproxy no-ssl-reuse", "haproxy"))
        if args.haproxy_first:
            args.tools[0:0] = hx
        else:
            args.tools.extend(hx)

    # 1000 listening sockets, connections and their logs
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 16384 if hard == resource.RLIM_INFINITY else min(hard, 16384)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < 4 * max(ns_list) + 2048:
        note("WARNING: ulimit -n hard limit %d may be too low" % hard)

    # ^C or SIGTERM unwinds through the finally blocks that stop servers
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    load0 = os.getloadavg()
    workroot = tempfile.mkdtemp(prefix="mp-bench-")
    results = []
    tls = None
    if args.tls:
        tls = {"ca": tlsca.TestCA(workroot)}
        tls["cert"] = tls["ca"].issue("server", [HOST])
        # what "the system store" is here: Debian's bundle plus the test
        # CA, in a file of our own (SSL_CERT_FILE for mirrorpoold)
        tls["bundle"] = tls["ca"].system_bundle(
            os.path.join(workroot, "bundle.pem"))
        if args.ca == "file":
            tls["ca_file"] = tls["ca"].cert
    args.tls = tls
    try:
        for n in ns_list:
            results.extend(run_n(n, args, workroot))
    finally:
        if args.keep:
            note("work directory kept: " + workroot)
        else:
            shutil.rmtree(workroot, ignore_errors=True)

    print("machine: " + machine())
    print("load average: %.2f at the start, %.2f at the end (1 min)"
          % (load0[0], os.getloadavg()[0]))
    print("versions: mirrorpool %s, haproxy %s, nginx %s, libcurl %s" % (
        version_of([builds[0][1], "-V"], r"(\d+\.\d+\.\d+\S*)")
        if "mirrorpoold" in args.only else "-",
        version_of([haproxy or "haproxy", "-v"], r"version (\S+)"),
        version_of([find_server("nginx"), "-v"], r"nginx/(\S+)"),
        version_of(["curl", "--version"], r"libcurl/(\S+)")))
    print("warm-up %g s, measured %g s per run; %d run(s) per tool and N"
          % (args.warmup, args.measure, args.repeat))
    if tls:
        print("HTTPS; mirrorpoold ca_file: %s" % (
            "the test CA" if tls.get("ca_file") else
            "unset (system bundle + test CA via SSL_CERT_FILE)"))
    print()
    rows = medians(results)
    print(table(rows))
    print()
    for line in ratios(rows):
        print(line)
    print()
    print("interval %g s; wake-ups (voluntary context switches) per minute:"
          % args.interval)
    for r in rows:
        print("N=%d %s: %.0f wake-ups/min for %.0f checks/min (%.1f per "
              "check), %.0f involuntary/min, RSS %s" % (
                  r["n"], r["tool"], r["wakeups_per_min"],
                  r["checks_per_min"],
                  r["wakeups_per_min"] / r["checks_per_min"]
                  if r["checks_per_min"] else 0.0,
                  r["involuntary_per_min"], mib(r["rss_kib"])))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
