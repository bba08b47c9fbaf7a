#!/usr/bin/env python3
"""mirrorpool in one minute, on loopback.

Starts a throwaway BIND primary for example.org whose pool dl.example.org
holds three mirrors (127.0.0.11, .12, .13), three tiny HTTP mirrors on those
addresses, and mirrorpoold with a short-interval configuration. Then it
narrates, with dig and mirrorpoolctl output and the agent's own log lines:

  1. the pool as published;
  2. mirror2 starts answering HTTP 503 and leaves the pool;
  3. mirror2 recovers and returns after `rise` good checks;
  4. on-call drains mirror3, then undrains it;
  5. everything is stopped and removed.

Each step checks what it shows: the demo exits 1 with a message naming the
step when an expectation is not met, so it doubles as a smoke test. It never
prompts and cleans up on success, failure, Ctrl-C and SIGTERM.

    python3 demo/demo.py --builddir build/demo [--pause SECONDS]

demo/run.sh installs the dependencies, builds, and runs this.
"""
import argparse
import http.server
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SRCDIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))

from mplib import dnstools  # noqa: E402
from mplib.named import Named  # noqa: E402
from mplib.ports import free_port  # noqa: E402
from mplib.proc import Proc  # noqa: E402

ZONE = "example.org"
POOL = "dl." + ZONE
UPDATE_RX = r"UPDATE example\.org\.?: "
MIRRORS = [("mirror1", "127.0.0.11"), ("mirror2", "127.0.0.12"),
           ("mirror3", "127.0.0.13")]
ADDRS = [a for _, a in MIRRORS]

# Short intervals so that every step takes seconds, not minutes.
CONFIG = """\
# mirrorpoold configuration written by demo/demo.py
dns = {{
  server = "127.0.0.1";
  port = {dns_port};
  zone = "{zone}";
  key_file = "{key_file}";
  timeout = "1s";
}};
update = {{
  min_interval = "1s";
}};
check = {{
  type = "http";
  url = "http://{pool}:{http_port}/trace";
  interval = "1s";
  fast_interval = "500ms";
  timeout = "800ms";
  rise = 2;
  fall = 2;
  expect_body = "ok";
}};
pools = (
  {{ name = "{pool}.";
    ttl = 30;
    min_healthy = 1;
    mirrors = (
{mirrors}
    );
  }}
);
# The same mirrors in a JSON list (Tails's mirrors.json): the output is
# the source with weight 0 for every mirror that is out.
json_pools = (
  {{ name = "tails";
    source = "{source}";
    output = "{output}";
    min_healthy = 1;
    check = {{ path = "trace"; }};
  }}
);
control = {{ socket = "{socket}"; mode = "0600"; }};
state_file = "{state}";
log_level = "info";
"""


JSON_WEIGHTS = [10, 20, 30]


def json_url(addr, port):
    return "http://%s:%d/" % (addr, port)


def json_source(port):
    """A mirrors.json in Tails's shape, fields mirrorpool does not know
    included."""
    entries = []
    for (name, addr), w in zip(MIRRORS, JSON_WEIGHTS):
        entries.append(
            '    {\n      "url_prefix": "%s",\n      "rsync_url": '
            '"rsync://%s/tails/",\n      "weight": %d,\n      "notes": '
            '"%s"\n    }' % (json_url(addr, port), addr, w, name))
    return ('{\n  "version": 1,\n  "mirrors": [\n%s\n  ]\n}\n'
            % ",\n".join(entries))


class DemoFailed(Exception):
    """An expectation of the demo was not met."""


# ---- output -----------------------------------------------------------

class Out:
    def __init__(self, pause):
        self.pause_s = pause
        self.tty = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        self.t0 = time.monotonic()

    def _style(self, code, text):
        return "\033[%sm%s\033[0m" % (code, text) if self.tty else text

    def step(self, n, title):
        print()
        print(self._style("1", "== %s. %s" % (n, title)))

    def say(self, text):
        for line in text.splitlines():
            print("   " + line)

    def cmd(self, shown, output):
        print(self._style("36", "   $ " + shown))
        for line in output.rstrip("\n").splitlines():
            print("     " + line)

    def log(self, lines):
        for line in lines:
            print(self._style("33", "   mirrorpoold| ") + line)

    def ok(self, text):
        print(self._style("32", "   ok: ") + text)

    def pause(self, factor=1.0):
        if self.pause_s > 0:
            time.sleep(self.pause_s * factor)


# ---- the mirrors ------------------------------------------------------

class _MirrorHandler(http.server.BaseHTTPRequestHandler):
    server_version = "demo-mirror"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        if self.server.failing:
            self._send(503, b"maintenance\n")
        elif self.path.split("?")[0] == "/trace":
            self._send(200, b"ok\n")
        else:
            self._send(404, b"not found\n")

    def _send(self, status, body):
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass


class _MirrorServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, port):
        self.failing = False
        super().__init__((addr, port), _MirrorHandler)


class Mirrors:
    """One small HTTP server per mirror address, all on one port (the
    agent connects to each address at the check URL's port)."""

    def __init__(self, addrs):
        self.addrs = addrs
        self.servers = {}
        self.threads = []
        self.port = None

    def start(self, attempts=10):
        for _ in range(attempts):
            port = free_port(self.addrs[0])
            try:
                for a in self.addrs:
                    self.servers[a] = _MirrorServer(a, port)
            except OSError:
                self._close_servers()
                continue
            self.port = port
            for s in self.servers.values():
                t = threading.Thread(target=s.serve_forever,
                                     kwargs={"poll_interval": 0.1},
                                     daemon=True)
                t.start()
                self.threads.append(t)
            return self
        raise DemoFailed("no port free on all of %s" % ", ".join(self.addrs))

    def set_failing(self, addr, failing):
        self.servers[addr].failing = failing

    def _close_servers(self):
        for s in self.servers.values():
            s.server_close()
        self.servers = {}

    def stop(self):
        if self.threads:
            for s in self.servers.values():
                s.shutdown()
            self.threads = []
        self._close_servers()


# ---- the agent --------------------------------------------------------

class Agent:
    def __init__(self, builddir, workdir, dns_port, key_file, http_port):
        self.mirrorpoold = os.path.join(builddir, "agent", "mirrorpoold")
        self.mirrorpoolctl = os.path.join(builddir, "agent", "mirrorpoolctl")
        self.dir = workdir
        self.conf = os.path.join(workdir, "mirrorpool.conf")
        self.socket = os.path.join(workdir, "control.sock")
        self.log_path = os.path.join(workdir, "mirrorpoold.log")
        self.proc = None
        self.offset = 0
        mirrors = ",\n".join(
            '      { name = "%s"; addresses = [ "%s" ]; }' % m
            for m in MIRRORS)
        self.source = os.path.join(workdir, "git", "mirrors.json")
        self.output = os.path.join(workdir, "www", "mirrors.json")
        os.makedirs(os.path.dirname(self.source))
        os.makedirs(os.path.dirname(self.output))
        with open(self.source, "w") as f:
            f.write(json_source(http_port))
        with open(self.conf, "w") as f:
            f.write(CONFIG.format(
                dns_port=dns_port, zone=ZONE, key_file=key_file, pool=POOL,
                http_port=http_port, mirrors=mirrors, socket=self.socket,
                state=os.path.join(workdir, "state.json"),
                source=self.source, output=self.output))

    def env(self):
        env = dict(os.environ)
        # plain stderr lines with <N> priorities, whoever started us
        env.pop("NOTIFY_SOCKET", None)
        env.pop("JOURNAL_STREAM", None)
        env["MIRRORPOOL_SOCKET"] = self.socket
        return env

    def check_config(self):
        r = subprocess.run([self.mirrorpoold, "--check-config", "-c",
                            self.conf], capture_output=True, text=True,
                           env=self.env(), timeout=30)
        if r.returncode != 0:
            raise DemoFailed("mirrorpoold --check-config rejected the demo "
                             "configuration:\n" + r.stdout + r.stderr)
        return r.stdout

    def start(self):
        # MP_DEMO_WRAPPER runs the daemon under a tool, e.g. valgrind
        # (make check-valgrind does): its exit status then says whether
        # the tool found errors
        wrapper = shlex.split(os.environ.get("MP_DEMO_WRAPPER", ""))
        self.proc = Proc(wrapper + [self.mirrorpoold, "-c", self.conf],
                         self.log_path, env=self.env(), cwd=self.dir)

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def stop(self):
        """SIGTERM; returns the exit status (None if never started)."""
        if self.proc is None:
            return None
        self.proc.stop(grace=10.0)
        return self.proc.popen.returncode

    def lines(self):
        """Every log line so far."""
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace").splitlines()

    def new_lines(self):
        """Log lines written since the previous call, priority prefixes
        shown as syslog level names."""
        all_lines = self.lines()
        new = all_lines[self.offset:]
        self.offset = len(all_lines)
        # the demo's own polling of `status` is noise
        return [_pretty(l) for l in new
                if not re.search(r"control: status from ", l)]

    def ctl(self, *args):
        return subprocess.run([self.mirrorpoolctl] + list(args),
                              capture_output=True, text=True,
                              env=self.env(), timeout=30)


LEVELS = ["emerg", "alert", "crit", "err", "warning", "notice", "info",
          "debug"]


def _pretty(line):
    m = re.match(r"<([0-7])>(.*)", line)
    if m:
        return "%-7s %s" % (LEVELS[int(m.group(1))], m.group(2))
    return line


# ---- the narration ----------------------------------------------------

def secs(s):
    return "%d ms" % (s * 1000) if s < 1 else "%.1f s" % s


def wait_until(pred, timeout, what):
    """Polls pred() every 100 ms; returns seconds taken or raises."""
    t0 = time.monotonic()
    while True:
        if pred():
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise DemoFailed("%s: not seen after %.0f s" % (what, timeout))
        time.sleep(0.1)


class Demo:
    def __init__(self, args):
        self.args = args
        self.out = Out(args.pause)
        self.workdir = None
        self.ns = None
        self.mirrors = None
        self.agent = None

    # -- helpers ---------------------------------------------------------
    def pool(self):
        return dnstools.dig(self.ns.port, POOL, "A", timeout=1)

    def show_dig(self):
        shown = "dig @127.0.0.1 -p %d %s A +short" % (self.ns.port, POOL)
        r = subprocess.run(["dig", "@127.0.0.1", "-p", str(self.ns.port),
                            POOL, "A", "+short", "+time=2", "+tries=2"],
                           capture_output=True, text=True, timeout=15)
        if r.returncode != 0:
            raise DemoFailed("dig failed: " + r.stdout + r.stderr)
        got = sorted(l for l in r.stdout.splitlines() if l)
        self.out.cmd(shown, "\n".join(got))
        return got

    def show_ctl(self, *args, expect_rc=0):
        r = self.agent.ctl(*args)
        shown = "mirrorpoolctl " + " ".join(
            a if re.match(r"^[\w./-]+$", a) else '"%s"' % a for a in args)
        self.out.cmd(shown, r.stdout + r.stderr)
        if r.returncode != expect_rc:
            raise DemoFailed("%s exited %d, expected %d" % (
                shown, r.returncode, expect_rc))
        return r.stdout

    def show_curl(self, addr):
        url = "http://%s:%d/trace" % (addr, self.mirrors.port)
        r = subprocess.run(["curl", "-sS", "--max-time", "3", "-H",
                            "Host: " + POOL, "-w", "HTTP %{http_code}\\n",
                            url], capture_output=True, text=True,
                           timeout=15)
        self.out.cmd("curl -sS -H 'Host: %s' -w 'HTTP %%{http_code}\\n' %s"
                     % (POOL, url), r.stdout + r.stderr)
        m = re.search(r"HTTP (\d{3})\s*$", r.stdout)
        return int(m.group(1)) if m else None

    def show_log(self, must=()):
        """Prints the agent's new log lines; each regex in must has to
        match one of them."""
        lines = self.agent.new_lines()
        if lines:
            self.out.log(lines)
        for rx in must:
            if not any(re.search(rx, l) for l in lines):
                raise DemoFailed("no agent log line matching /%s/" % rx)
        return lines

    def json_weights(self):
        try:
            with open(self.agent.output) as f:
                doc = json.load(f)
        except (OSError, ValueError):
            return None
        return [m["weight"] for m in doc["mirrors"]]

    def show_json(self, want, timeout, step):
        """Waits until the JSON pool's output has weights want; shows the
        command and its answer."""
        self.wait(lambda: self.json_weights() == want, timeout,
                  "%s: weights %s in %s" % (step, want, self.agent.output))
        with open(self.agent.output) as f:
            lines = [ln.rstrip() for ln in f
                     if '"url_prefix"' in ln or '"weight"' in ln]
        self.out.cmd("grep -E '\"(url_prefix|weight)\"' %s"
                     % self.agent.output, "\n".join(lines))

    def expect_pool(self, got, want, step):
        if got != sorted(want):
            raise DemoFailed("%s: dig shows %s, expected %s" % (
                step, got or "nothing", sorted(want)))

    def wait(self, pred, timeout, what):
        """wait_until(), failing at once when the agent has died."""
        def check():
            if self.agent is not None and not self.agent.alive():
                raise DemoFailed("%s: mirrorpoold exited with status %s"
                                 % (what, self.agent.proc.popen.poll()))
            return pred()
        return wait_until(check, timeout, what)

    def wait_pool(self, want, timeout, what):
        want = sorted(want)
        return self.wait(lambda: self.pool() == want, timeout, what)

    def wait_log(self, rx, timeout, what):
        return self.wait(lambda: any(re.search(rx, l)
                                     for l in self.agent.lines()),
                         timeout, what)

    def all_checked(self):
        r = self.agent.ctl("--json", "status")
        if r.returncode != 0:
            return False
        st = json.loads(r.stdout)
        return all(a.get("last_check") for p in st["pools"]
                   for m in p["mirrors"] for a in m["addresses"])

    # -- set-up ----------------------------------------------------------
    def setup(self):
        o = self.out
        for tool in ("dig", "curl", "tsig-keygen", "named"):
            if not shutil.which(tool, path=os.environ.get("PATH", "") +
                                ":/usr/sbin:/sbin"):
                raise DemoFailed("%s is not installed (bash "
                                 "scripts/install-deps.sh installs it)" %
                                 tool)
        for p in ("mirrorpoold", "mirrorpoolctl"):
            path = os.path.join(self.args.builddir, "agent", p)
            if not os.access(path, os.X_OK):
                raise DemoFailed("%s is not built (demo/run.sh builds it)"
                                 % path)
        os.environ["PATH"] += ":/usr/sbin:/sbin"
        self.workdir = tempfile.mkdtemp(prefix="mirrorpool-demo-")

        print("mirrorpool demo: a throwaway BIND primary, three HTTP mirrors "
              "and mirrorpoold,\nall on loopback. Watch %s follow the "
              "mirrors' health through a failure,\na recovery and an "
              "on-call drain." % POOL)
        o.step(0, "Setting the stage")
        self.mirrors = Mirrors(ADDRS).start()
        o.say("three HTTP mirrors answer GET /trace with \"ok\": %s, all "
              "on port %d" % (", ".join("%s %s" % m for m in MIRRORS),
                              self.mirrors.port))
        self.ns = Named(zone=ZONE,
                        records={"dl": [("A", a) for a in ADDRS]})
        self.ns.start()
        o.say("a throwaway BIND primary for %s on 127.0.0.1 port %d; "
              "%s holds the three\nmirrors and accepts TSIG-signed "
              "UPDATEs from key \"%s\"" % (
                  ZONE, self.ns.port, POOL, self.ns.key.name))
        self.agent = Agent(self.args.builddir, self.workdir, self.ns.port,
                           self.ns.key.path, self.mirrors.port)
        o.say("mirrorpoold checks every address each 1 s (500 ms while "
              "one is changing);\nfall 2, rise 2, at most one UPDATE per "
              "second, TTL 30, min_healthy 1.\nIts config: %s"
              % self.agent.conf)
        self.agent.check_config()
        self.agent.start()
        self.wait_log(r"ready: ", 20, "mirrorpoold ready")
        self.show_log(must=[r"ready: "])
        # the first checks start at random offsets within the interval
        self.wait(self.all_checked, 10,
                  "mirrorpoold's first check of every address")
        o.say("export MIRRORPOOL_SOCKET=%s   # for mirrorpoolctl"
              % self.agent.socket)

    # -- the steps -------------------------------------------------------
    def step1(self):
        o = self.out
        o.step(1, "The pool as published")
        got = self.show_dig()
        self.expect_pool(got, ADDRS, "step 1")
        out = self.show_ctl("status")
        for name, _ in MIRRORS:
            if name not in out:
                raise DemoFailed("step 1: status does not list " + name)
        o.ok("all three mirrors are healthy and in DNS")
        o.pause()

    def step2(self):
        o = self.out
        name, addr = MIRRORS[1]
        o.step(2, "%s breaks: it answers HTTP 503" % name)
        self.mirrors.set_failing(addr, True)
        code = self.show_curl(addr)
        if code != 503:
            raise DemoFailed("step 2: %s answers %s, not 503: the fault "
                             "did not happen" % (addr, code))
        o.say("waiting for the agent to notice (fall = 2 failed checks)...")
        rest = [a for a in ADDRS if a != addr]
        took = self.wait_pool(rest, 20, "step 2: %s leaving the pool" % addr)
        update = UPDATE_RX + r".*-%s\b" % re.escape(addr)
        self.wait_log(update, 5, "step 2: the UPDATE in the log")
        self.show_log(must=[r"%s %s: up -> down" % (name, re.escape(addr)),
                            update])
        got = self.show_dig()
        self.expect_pool(got, rest, "step 2")
        o.ok("%s (%s) left the pool %s after it started failing"
             % (name, addr, secs(took)))
        o.say("the JSON pool's output, served to the download dispatcher:")
        zeroed = [0 if a == addr else w
                  for (_, a), w in zip(MIRRORS, JSON_WEIGHTS)]
        self.show_json(zeroed, 10, "step 2")
        o.ok("its weight is 0 in %s; every other byte is the source's"
             % self.agent.output)
        o.pause()

    def step3(self):
        o = self.out
        name, addr = MIRRORS[1]
        o.step(3, "%s recovers" % name)
        self.mirrors.set_failing(addr, False)
        code = self.show_curl(addr)
        if code != 200:
            raise DemoFailed("step 3: %s answers %s, not 200" % (addr, code))
        o.say("waiting for rise = 2 good checks in a row...")
        took = self.wait_pool(ADDRS, 20, "step 3: %s returning" % addr)
        update = UPDATE_RX + r".*\+%s\b" % re.escape(addr)
        self.wait_log(update, 5, "step 3: the UPDATE in the log")
        self.show_log(must=[r"%s %s: down -> up" % (name, re.escape(addr)),
                            update])
        got = self.show_dig()
        self.expect_pool(got, ADDRS, "step 3")
        o.ok("%s is back in the pool %s after it recovered"
             % (name, secs(took)))
        self.show_json(JSON_WEIGHTS, 10, "step 3")
        with open(self.agent.output) as f, open(self.agent.source) as g:
            if f.read() != g.read():
                raise DemoFailed("step 3: the JSON output differs from "
                                 "its source with every mirror healthy")
        o.ok("its weight is back: the output is the source again, byte "
             "for byte")
        o.pause()

    def step4(self):
        o = self.out
        name, addr = MIRRORS[2]
        o.step(4, "On-call drains %s for a disk swap" % name)
        t0 = time.monotonic()
        self.show_ctl("drain", name, "--reason", "disk swap")
        rest = [a for a in ADDRS if a != addr]
        self.wait_pool(rest, 5, "step 4: %s leaving the pool at once" % addr)
        took = time.monotonic() - t0
        update = UPDATE_RX + r".*-%s\b.*operator action" % re.escape(addr)
        self.wait_log(update, 5, "step 4: the operator's UPDATE in the log")
        self.show_log(must=[r"drain", update])
        got = self.show_dig()
        self.expect_pool(got, rest, "step 4")
        o.ok("%s left the pool %s after the drain (no health wait, no "
             "rate limit)" % (name, secs(took)))
        out = self.show_ctl("status")
        if "disk swap" not in out:
            raise DemoFailed("step 4: status does not show the drain's "
                             "reason \"disk swap\"")
        o.ok("status shows the drain and its reason")
        o.pause()
        o.say("the disks are swapped:")
        t0 = time.monotonic()
        self.show_ctl("undrain", name)
        self.wait_pool(ADDRS, 5, "step 4: %s returning after undrain" % addr)
        took = time.monotonic() - t0
        update = UPDATE_RX + r".*\+%s\b.*operator action" % re.escape(addr)
        self.wait_log(update, 5, "step 4: the undrain's UPDATE in the log")
        self.show_log(must=[r"undrain", update])
        got = self.show_dig()
        self.expect_pool(got, ADDRS, "step 4")
        o.ok("%s is back %s after the undrain (it stayed healthy, so "
             "no rise wait)" % (name, secs(took)))
        o.pause()

    def step5(self):
        o = self.out
        o.step(5, "Clean-up")
        rc = self.agent.stop()
        self.show_log()
        self.agent = None
        if rc != 0:
            raise DemoFailed("step 5: mirrorpoold exited %s after SIGTERM, "
                             "expected 0" % rc)
        o.ok("mirrorpoold stopped on SIGTERM with exit status 0")

    def cleanup(self):
        if self.agent is not None:
            self.agent.stop()
            self.agent = None
        if self.ns is not None:
            self.ns.close()
            self.ns = None
        if self.mirrors is not None:
            self.mirrors.stop()
            self.mirrors = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def run(self):
        try:
            self.setup()
            self.step1()
            self.step2()
            self.step3()
            self.step4()
            self.step5()
        except BaseException:
            if self.agent is not None:
                tail = self.agent.new_lines()
                if tail:
                    print("\n   the agent's last log lines:")
                    self.out.log(tail[-30:])
            raise
        finally:
            # a second Ctrl-C must not leave servers or files behind
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_IGN)
            self.cleanup()
        self.out.ok("BIND, the mirrors and the temporary files are gone")
        print()
        print("demo passed in %.0f s" % (time.monotonic() - self.out.t0))


def _on_signal(signum, frame):
    raise KeyboardInterrupt(signum)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--builddir", default=os.environ.get("top_builddir")
                   or os.path.join(SRCDIR, "build", "demo"),
                   help="where agent/mirrorpoold and agent/mirrorpoolctl "
                   "were built (default: build/demo)")
    p.add_argument("--pause", type=float, default=3.0,
                   help="seconds to pause after each step (default 3)")
    args = p.parse_args()
    args.builddir = os.path.abspath(args.builddir)
    sys.stdout.reconfigure(line_buffering=True)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    try:
        Demo(args).run()
    except DemoFailed as e:
        print("\nDEMO FAILED: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:
        signum = e.args[0] if e.args else signal.SIGINT
        print("\ndemo interrupted by %s; cleaned up" %
              signal.Signals(signum).name, file=sys.stderr)
        return 128 + signum
    except Exception as e:
        print("\nDEMO FAILED: %s: %s" % (type(e).__name__, e),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
