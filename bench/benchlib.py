"""Shared pieces of the benchmarks in bench/: where the built programs are,
whether the build is fit for timing, a farm of controllable HTTP mirrors, a
fork-free DNS poller, child processes that are always stopped, and the
statistics the summaries print.

The throwaway BIND primary comes from the integration harness
(tests/integration/mplib/named.py); everything runs on loopback.
"""
import atexit
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))
sys.dont_write_bytecode = True

from mplib.named import Named  # noqa: E402,F401  (re-exported)


# -- the build tree -------------------------------------------------------
def find_builddir(given=None):
    """--builddir, else $top_builddir, else the current directory when it
    holds a configured build, else the source tree."""
    for d in (given, os.environ.get("top_builddir"), os.getcwd(), SRCDIR):
        if d and os.path.exists(os.path.join(d, "config.status")):
            return os.path.abspath(d)
    sys.exit("no configured build tree found: run from one, or pass "
             "--builddir")


def program(builddir, rel):
    path = os.path.join(builddir, rel)
    if not os.access(path, os.X_OK):
        sys.exit("%s is not built: run `make %s` in %s" % (path, rel,
                                                         builddir))
    return path


def need_tools(*names):
    """Exits when a system tool is missing (named lives in sbin)."""
    extra = os.pathsep + "/usr/sbin" + os.pathsep + "/sbin"
    os.environ["PATH"] = os.environ.get("PATH", "") + extra
    for n in names:
        if not any(os.access(os.path.join(d, n), os.X_OK)
                   for d in os.environ["PATH"].split(os.pathsep) if d):
            sys.exit("%s is not installed" % n)


def build_flavour(builddir):
    """(sanitizers, cflags) of the build, read from its Makefile. Timing a
    sanitizer build measures ASan, not mirrorpool."""
    try:
        with open(os.path.join(builddir, "Makefile")) as f:
            text = f.read()
    except OSError:
        return False, "?"
    cflags = re.search(r"^CFLAGS = (.*)$", text, re.M)
    mp = re.search(r"^MP_CFLAGS = (.*)$", text, re.M)
    san = "-fsanitize" in (mp.group(1) if mp else "")
    return san, cflags.group(1).strip() if cflags else "?"


def warn_if_unfit(builddir):
    san, cflags = build_flavour(builddir)
    if san:
        sys.stderr.write(
            "WARNING: %s is a sanitizer build (--enable-sanitizers); its "
            "figures measure ASan/UBSan overhead. Configure a separate "
            "build tree without it for benchmarks.\n" % builddir)
    if "-O0" in cflags:
        sys.stderr.write("WARNING: %s is built with CFLAGS=%s\n"
                         % (builddir, cflags))
    return "sanitizers" if san else "no sanitizers, CFLAGS=%s" % cflags


def machine():
    """One line about the machine the figures come from."""
    cpus = os.cpu_count()
    osname = "?"
    try:
        with open("/etc/os-release") as f:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
            osname = m.group(1) if m else "?"
    except OSError:
        pass
    try:
        named = subprocess.run(["named", "-v"], capture_output=True,
                               text=True).stdout.strip()
    except OSError:
        named = "named ?"
    load = os.getloadavg()
    return "%d CPUs, %s, %s, load %.2f %.2f %.2f at start" % (
        cpus, osname, named, load[0], load[1], load[2])


# -- statistics -----------------------------------------------------------
def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    v = sorted(values)
    k = max(1, -(-len(v) * p // 100))
    return v[int(k) - 1]


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2.0


# -- child processes ------------------------------------------------------
_live = set()


def _stop_all():
    for p in list(_live):
        p.stop()


atexit.register(_stop_all)


class Child:
    """A child in its own process group whose output lines are read by a
    thread and stamped with time.monotonic() on arrival (and copied to
    log_path); stop() sends SIGTERM to the group, then SIGKILL."""

    def __init__(self, argv, log_path, env=None, cwd=None):
        self.log = open(log_path, "w")
        self.lines = []          # (monotonic time, text)
        self.lock = threading.Lock()
        self.popen = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env, cwd=cwd,
            start_new_session=True, bufsize=0)
        _live.add(self)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        buf = b""
        while True:
            chunk = os.read(self.popen.stdout.fileno(), 65536)
            now = time.monotonic()
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode("utf-8", "replace")
                with self.lock:
                    self.lines.append((now, text))
                self.log.write("%.6f %s\n" % (now, text))

    def alive(self):
        return self.popen.poll() is None

    def find(self, regex, since=0.0):
        """(time, match) of log lines matching regex, arrived at or after
        since."""
        rx = re.compile(regex)
        with self.lock:
            lines = list(self.lines)
        out = []
        for t, text in lines:
            if t >= since:
                m = rx.search(text)
                if m:
                    out.append((t, m))
        return out

    def wait_line(self, regex, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.find(regex)
            if found:
                return found[0]
            if not self.alive():
                raise RuntimeError("%s exited (%s):\n%s" % (
                    self.popen.args[0], self.popen.returncode,
                    "\n".join(t for _, t in self.lines[-30:])))
            time.sleep(0.02)
        raise RuntimeError("no line /%s/ within %.0f s" % (regex, timeout))

    def stop(self, grace=5.0):
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        else:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.thread.join(5)
        _live.discard(self)
        if not self.log.closed:
            self.log.close()
        return self.popen.returncode


def clean_env():
    """The environment for the programs under test: no proxies (curl and
    libcurl would send the checks elsewhere), no systemd sockets."""
    env = dict(os.environ)
    for k in list(env):
        if k.lower() in ("http_proxy", "https_proxy", "all_proxy",
                         "no_proxy", "notify_socket", "journal_stream"):
            del env[k]
    return env


# -- mirrors --------------------------------------------------------------
class Mirror:
    """One HTTP mirror on address:port. Every request is answered at once
    per the mode at its arrival ("ok": 200 "<epoch>\\nok\\n", "503"), and
    recorded as (monotonic arrival time, mode)."""

    def __init__(self, farm, address, sock):
        self.farm = farm
        self.address = address
        self.sock = sock
        self.mode = "ok"
        self.requests = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        while not self.farm.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        try:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            now = time.monotonic()
            mode = self.mode
            with self.lock:
                self.requests.append((now, mode))
            if mode == "503":
                status, body = "503 Service Unavailable", b"maintenance\n"
            else:
                status, body = "200 OK", b"%d\nok\n" % int(time.time())
            conn.sendall(("HTTP/1.1 %s\r\nContent-Type: text/plain\r\n"
                          "Content-Length: %d\r\nConnection: close\r\n\r\n"
                          % (status, len(body))).encode() + body)
        except OSError:
            pass
        finally:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def wait_request(self, after, timeout=10.0):
        """Arrival time of the first request after `after`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ts = self.since(after)
            if ts:
                return ts[0]
            time.sleep(0.001)
        raise RuntimeError("no request reached %s within %.0f s"
                           % (self.address, timeout))

    def since(self, t, mode=None):
        """Arrival times of requests at or after t (of one mode)."""
        with self.lock:
            return [a for a, m in self.requests
                    if a >= t and (mode is None or m == mode)]


class MirrorFarm:
    """Mirrors on several 127.0.0.X addresses sharing one port, as a pool
    name's A records do: a check of http://dl.example.org:PORT/ connects to
    each address at PORT."""

    def __init__(self, addresses):
        self.addresses = list(addresses)
        self.stopping = threading.Event()
        self.mirrors = {}
        self.port = None

    def start(self):
        for _ in range(50):
            socks, port = [], 0
            try:
                for a in self.addresses:
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    socks.append(s)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind((a, port))
                    port = s.getsockname()[1]
                    s.listen(128)
            except OSError:
                for s in socks:
                    s.close()
                continue
            self.port = port
            for a, s in zip(self.addresses, socks):
                self.mirrors[a] = Mirror(self, a, s)
                self.mirrors[a].thread.start()
            return self
        raise RuntimeError("no port free on all of %s" % self.addresses)

    def stop(self):
        self.stopping.set()
        for m in self.mirrors.values():
            try:
                m.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            m.sock.close()
        for m in self.mirrors.values():
            m.thread.join(2)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def set_mode(self, address, mode):
        self.mirrors[address].mode = mode

    def get(self, address, host="dl.example.org", path="/trace"):
        """(status, body) of one plain GET, the way a client of the pool
        sees this mirror."""
        with socket.create_connection((address, self.port), timeout=3) as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\n"
                       "User-Agent: mirrorpool-bench-probe\r\n"
                       "Connection: close\r\n\r\n"
                       % (path, host, self.port)).encode())
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), body.decode("latin-1")


# -- DNS ------------------------------------------------------------------
class Poller:
    """Plain (unsigned, RD=0) A queries to the primary over one UDP socket,
    without forking dig: a query costs a few tens of microseconds."""

    def __init__(self, port, name, server="127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect((server, port))
        self.sock.settimeout(0.5)
        self.qname = b"".join(bytes([len(l)]) + l.encode()
                              for l in name.rstrip(".").split(".")) + b"\0"

    def close(self):
        self.sock.close()

    def query(self):
        """The set of A addresses the primary holds now (None on a lost or
        unusable answer)."""
        qid = random.randrange(65536)
        self.sock.send(struct.pack("!6H", qid, 0, 1, 0, 0, 0) + self.qname +
                       struct.pack("!2H", 1, 1))
        while True:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                return None
            if len(data) >= 12 and struct.unpack("!H", data[:2])[0] == qid:
                break
        return _parse_a(data)


def _skip_name(data, off):
    while True:
        n = data[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n


def _parse_a(data):
    _, flags, qd, an, _, _ = struct.unpack("!6H", data[:12])
    if flags & 0xF:  # rcode
        return None
    off = 12
    for _ in range(qd):
        off = _skip_name(data, off) + 4
    out = set()
    for _ in range(an):
        off = _skip_name(data, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", data[off:off + 10])
        off += 10
        if rtype == 1 and rdlen == 4:
            out.add(socket.inet_ntoa(data[off:off + 4]))
        off += rdlen
    return out
