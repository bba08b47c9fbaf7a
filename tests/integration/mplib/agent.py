"""Runs mirrorpoold for one test: a config written from parameters, the
daemon in its own process group with its log in a file, log matching from
an offset, and mirrorpoolctl against its control socket.

    with Agent(dns_port=ns.port, key_file=ns.key.path,
               mirrors=[("mirror1", ["127.0.0.11"])],
               url=farm.url()) as ag:
        ag.wait_log(r"ready: ")
        rc, out, err = ag.ctl("sync")

The daemon is always stopped (SIGTERM, then SIGKILL): by stop(), by the
context manager, and at interpreter exit for anything a test left behind.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

from .proc import Proc

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def builddir():
    return os.environ.get("top_builddir") or SRCDIR


def program(name):
    return os.path.join(builddir(), "agent", name)


def have_programs():
    return all(os.access(program(p), os.X_OK)
               for p in ("mirrorpoold", "mirrorpoolctl"))


def _q(s):
    return '"%s"' % str(s).replace("\\", "\\\\").replace('"', '\\"')


SANITIZER_RE = re.compile(
    r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|"
    r"SUMMARY: (AddressSanitizer|UndefinedBehaviorSanitizer)")


class Agent:
    """mirrorpoold with a generated configuration.

    mirrors: [(name, [address, ...]), ...] or
             [(name, [address, ...], {"weight": 0}), ...]
    pools: several pools instead of pool and mirrors, as
           [(pool name, mirrors), ...]; each has the same ttl,
           min_healthy, max_published and rotate.
    Durations are given as config strings ("300ms", "1s")."""

    def __init__(self, dns_port, key_file, mirrors, url, zone="example.org",
                 server="127.0.0.1", pool="dl.example.org.", ttl=60,
                 min_healthy=1, max_published=0, transport="udp",
                 dns_timeout="1s", reconcile_interval="5m", interval="1s",
                 fast_interval="300ms", timeout="800ms", rise=2, fall=2,
                 expect_body="ok", max_age=None, min_interval="500ms",
                 max_per_hour=1000, all_down_freeze=True, sentinels=None,
                 log_level="info", dry_run=False, rotate=None, extra="",
                 check_extra="", source_address=None, pools=None):
        self.dir = tempfile.mkdtemp(prefix="mp-agent-")
        self.params = dict(locals())
        del self.params["self"]
        self.conf = os.path.join(self.dir, "mirrorpool.conf")
        self.socket = os.path.join(self.dir, "control.sock")
        self.state_file = os.path.join(self.dir, "state.json")
        self.metrics_file = os.path.join(self.dir, "mirrorpool.prom")
        self.log_path = os.path.join(self.dir, "mirrorpoold.log")
        self.proc = None
        # extra environment for the daemon (e.g. NOTIFY_SOCKET), set before
        # start(); the service manager's own variables are never passed on
        self.env = None
        self.exit_codes = []
        self._mark = 0
        self.write_config()

    # -- configuration -------------------------------------------------
    def set(self, **kw):
        """Changes parameters; takes effect at the next start or reload."""
        for k in kw:
            if k not in self.params:
                raise KeyError(k)
        self.params.update(kw)
        self.write_config()

    def _pool_text(self, pool, mirror_list):
        p = self.params
        mirrors = []
        for m in mirror_list:
            name, addrs = m[0], m[1]
            opts = m[2] if len(m) > 2 else {}
            line = "{ name = %s; addresses = [ %s ];" % (
                _q(name), ", ".join(_q(a) for a in addrs))
            for k, v in opts.items():
                line += " %s = %s;" % (k, _q(v) if isinstance(v, str)
                                        else v)
            mirrors.append(line + " }")
        return """\
  { name = %(pool)s;
    ttl = %(ttl)d;
    min_healthy = %(min_healthy)d;
    max_published = %(max_published)d;%(rotate)s
    mirrors = (
      %(mirrors)s
    );
  }""" % {
            "pool": _q(pool), "ttl": p["ttl"],
            "min_healthy": p["min_healthy"],
            "max_published": p["max_published"],
            "rotate": ("\n    rotate = %s;" % _q(p["rotate"])
                       if p["rotate"] else ""),
            "mirrors": ",\n      ".join(mirrors),
        }

    def write_config(self):
        p = self.params
        pools = ",\n".join(
            self._pool_text(name, mirrors) for name, mirrors in
            (p["pools"] or [(p["pool"], p["mirrors"])]))
        check = [
            'type = "http";',
            "url = %s;" % _q(p["url"]),
            "interval = %s;" % _q(p["interval"]),
            "fast_interval = %s;" % _q(p["fast_interval"]),
            "timeout = %s;" % _q(p["timeout"]),
            "rise = %d;" % p["rise"],
            "fall = %d;" % p["fall"],
        ]
        if p["expect_body"] is not None:
            check.append("expect_body = %s;" % _q(p["expect_body"]))
        if p["max_age"] is not None:
            check.append("max_age = %s;" % _q(p["max_age"]))
        if p["check_extra"]:
            check.append(p["check_extra"])
        if p.get("source_address"):
            check.append("source_address = %s;" % _q(p["source_address"]))
        guard = ["all_down_freeze = %s;" % (
            "true" if p["all_down_freeze"] else "false")]
        if p["sentinels"]:
            guard.append("sentinels = [ %s ];" % ", ".join(
                _q(s) for s in p["sentinels"]))
        text = """\
# written by tests/integration/mplib/agent.py
dns = {
  server = %(server)s;
  port = %(port)d;
  zone = %(zone)s;
  key_file = %(key_file)s;
  transport = %(transport)s;
  timeout = %(dns_timeout)s;
  reconcile_interval = %(reconcile)s;
  dry_run = %(dry_run)s;
};
update = {
  min_interval = %(min_interval)s;
  max_per_hour = %(max_per_hour)d;
};
check = {
  %(check)s
};
guard = {
  %(guard)s
};
pools = (
%(pools)s
);
control = { socket = %(socket)s; mode = "0600"; };
state_file = %(state)s;
metrics_file = %(metrics)s;
log_level = %(log_level)s;
%(extra)s
""" % {
            "server": _q(p["server"]), "port": p["dns_port"],
            "zone": _q(p["zone"]), "key_file": _q(p["key_file"]),
            "transport": _q(p["transport"]),
            "dns_timeout": _q(p["dns_timeout"]),
            "reconcile": _q(p["reconcile_interval"]),
            "dry_run": "true" if p["dry_run"] else "false",
            "min_interval": _q(p["min_interval"]),
            "max_per_hour": p["max_per_hour"],
            "check": "\n  ".join(check), "guard": "\n  ".join(guard),
            "pools": pools,
            "socket": _q(self.socket), "state": _q(self.state_file),
            "metrics": _q(self.metrics_file),
            "log_level": _q(p["log_level"]), "extra": p["extra"],
        }
        tmp = self.conf + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, self.conf)

    # -- life cycle ----------------------------------------------------
    def start(self, wait_ready=True, timeout=15):
        """Starts mirrorpoold; by default waits for its "ready: " line
        (the first read of the RRsets has been tried)."""
        if self.proc and self.proc.alive():
            raise RuntimeError("mirrorpoold already running")
        self.mark()
        env = {k: v for k, v in os.environ.items()
               if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC",
                            "WATCHDOG_PID", "JOURNAL_STREAM")}
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        env.update(self.env or {})
        self.proc = Proc([program("mirrorpoold"), "-c", self.conf],
                         self.log_path, env=env, cwd=self.dir)
        if wait_ready:
            self.wait_log(r"ready: ", timeout=timeout)
        return self

    def stop(self, grace=10.0):
        """SIGTERM (SIGKILL after grace); returns the exit status."""
        if not self.proc:
            return None
        self.proc.stop(grace=grace)
        code = self.proc.popen.returncode
        self.exit_codes.append(code)
        self.proc = None
        return code

    def kill9(self):
        if self.proc:
            self.proc.kill9()
            self.exit_codes.append(self.proc.popen.returncode)
            self.proc = None

    def alive(self):
        return bool(self.proc and self.proc.alive())

    def close(self, keep=False):
        self.stop()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()

    # -- the log -------------------------------------------------------
    def log_text(self, start=0):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(start)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def mark(self):
        """Remembers the log's end: later waits scan from here."""
        self._mark = os.path.getsize(self.log_path) \
            if os.path.exists(self.log_path) else 0
        return self._mark

    def find_log(self, regex, start=None):
        """All matches of regex in the log since start (default: mark)."""
        text = self.log_text(self._mark if start is None else start)
        return list(re.finditer(regex, text, re.M))

    def wait_log(self, regex, timeout=10.0, start=None):
        """Waits for a log line matching regex (searched from start, by
        default the last mark) and returns the match. Fails early when the
        daemon has exited."""
        deadline = time.monotonic() + timeout
        off = self._mark if start is None else start
        rx = re.compile(regex, re.M)
        while True:
            text = self.log_text(off)
            m = rx.search(text)
            if m:
                return m
            if self.proc is not None and not self.proc.alive():
                raise AssertionError(
                    "mirrorpoold exited (%s) while waiting for /%s/; log:\n%s"
                    % (self.proc.popen.returncode, regex, self.tail()))
            if time.monotonic() > deadline:
                raise AssertionError(
                    "no log line /%s/ within %.1f s; log since mark:\n%s"
                    % (regex, timeout, text[-6000:]))
            time.sleep(0.05)

    def tail(self, n=6000):
        return self.log_text()[-n:]

    def sanitizer_reports(self):
        return [m.group(0) for m in SANITIZER_RE.finditer(self.log_text())]

    # -- control -------------------------------------------------------
    def ctl(self, *args, timeout=20):
        """mirrorpoolctl -s SOCKET ARGS: (exit status, stdout, stderr)."""
        r = subprocess.run([program("mirrorpoolctl"), "-s", self.socket] +
                           list(args), capture_output=True, text=True,
                           timeout=timeout)
        return r.returncode, r.stdout, r.stderr

    def status(self):
        rc, out, err = self.ctl("--json", "status")
        if rc != 0:
            raise AssertionError("mirrorpoolctl status failed (%d): %s%s"
                                 % (rc, out, err))
        st = json.loads(out)
        if isinstance(st, dict) and "status" in st and "pools" not in st:
            st = st["status"]
        return st

    def rrset(self, rtype="A", pool=0):
        """The status view of one RRset: {"published", "in_dns", ...}."""
        return self.status()["pools"][pool]["rrsets"][rtype]
