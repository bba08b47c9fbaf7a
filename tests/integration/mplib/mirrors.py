"""A farm of controllable HTTP mirrors on loopback for the agent's tests.

Each mirror listens on its own address 127.0.0.X (or an IPv6 address in a
network namespace a test made), all on ONE shared port,
so a check URL "http://dl.example.org:PORT/trace" reaches every mirror the
way mirrorpoold connects (to the address, at the URL's port, Host from the
URL):

    with MirrorFarm(["127.0.0.11", "127.0.0.12"]) as farm:
        farm.url("dl.example.org")     # http://dl.example.org:PORT/trace
        farm.set_mode("127.0.0.12", "503")
        farm.curl("127.0.0.12")        # (503, "maintenance\\n")

GET /trace answers a body whose first line is the current Unix time and
whose second line is "ok". Modes, switchable at any time:

  ok      200 with the fresh trace body
  503     503 "maintenance"
  hang    accept the connection, never answer
  closed  stop listening: connections are refused (the port stays
          reserved by a bound, non-listening socket)
  slow    answer 200 after `slow_delay` seconds
"""
import errno
import http.server
import socket
import subprocess
import threading
import time

from . import sockloop

MODES = ("ok", "503", "hang", "closed", "slow")


class _Handler(http.server.BaseHTTPRequestHandler):
    """One request per connection (HTTP/1.0), answered per the mode the
    mirror was in when the request arrived."""

    def __init__(self, conn, peer, mirror):
        self.mirror = mirror
        super().__init__(conn, peer, None)

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        m = self.mirror
        mode = m.mode
        m.record(self.path, self.headers.get("User-Agent", ""), mode)
        if mode == "hang":
            m.farm.stopping.wait(m.hang_limit)
            self.close_connection = True
            return
        if mode == "slow":
            if m.farm.stopping.wait(m.slow_delay):
                return
        if mode == "503":
            self._send(503, b"maintenance\n")
            return
        if self.path.split("?")[0] != m.farm.path:
            self._send(404, b"not found\n")
            return
        self._send(200, ("%d\nok\n" % int(time.time())).encode())

    do_HEAD = do_GET

    def _send(self, status, body):
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:
            pass


class Mirror:
    def __init__(self, farm, address):
        self.farm = farm
        self.address = address
        self.mode = "ok"
        self.slow_delay = 2.0
        self.hang_limit = 30.0
        self.sock = None
        self.listening = False
        self.requests = []          # (monotonic time, path, user agent, mode)
        self._lock = threading.Lock()
        self._thread = None

    def record(self, path, agent, mode):
        with self._lock:
            self.requests.append((time.monotonic(), path, agent, mode))

    def _bind(self, port):
        s = socket.socket(sockloop.family(self.address), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((self.address, port))
        except OSError:
            s.close()
            raise
        return s

    def _rebind(self, port, tries=50):
        """_bind again after our own socket on the port was closed: the
        kernel may refuse for a moment while accepted connections wind
        down. None if it still refuses."""
        for _ in range(tries):
            try:
                return self._bind(port)
            except OSError as e:
                if e.errno != errno.EADDRINUSE:
                    raise
                time.sleep(0.02)
        return None

    def open(self, port):
        self.sock = self._bind(port)
        self._listen()

    def _listen(self):
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.listening = True
        sock = self.sock
        # ends when the farm stops or this socket is replaced (closed mode)
        self._thread = sockloop.thread(
            sockloop.loop, sock.accept, self._accepted,
            lambda: self.farm.stopping.is_set() or sock is not self.sock)

    def _accepted(self, conn, peer):
        conn.settimeout(None)
        sockloop.thread(self._serve, conn, peer)

    def _serve(self, conn, peer):
        try:
            _Handler(conn, peer, self)
        except OSError:
            pass
        finally:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def set_mode(self, mode):
        if mode not in MODES:
            raise ValueError("unknown mirror mode %r" % mode)
        if mode == "closed" and self.listening:
            # a bound socket that does not listen answers SYN with RST
            # (ECONNREFUSED) and keeps the address:port ours
            old, self.listening = self.sock, False
            self.sock = None
            old.close()
            if self._thread:
                self._thread.join(2)
            # unbound is refused too, but another process may take it
            self.sock = self._rebind(self.farm.port)
        elif mode != "closed" and not self.listening:
            if self.sock is None:
                self.sock = self._rebind(self.farm.port)
                if self.sock is None:
                    raise OSError(errno.EADDRINUSE, "mirror %s: port %d "
                                  "taken" % (self.address, self.farm.port))
            self._listen()
        self.mode = mode

    def close(self):
        s, self.sock = self.sock, None
        self.listening = False
        if s:
            s.close()
        if self._thread:
            self._thread.join(2)


class MirrorFarm:
    def __init__(self, addresses, path="/trace", port=None):
        self.addresses = list(addresses)
        self.path = path
        self.port = None
        self.requested_port = port
        self.stopping = threading.Event()
        self.mirrors = {}

    def start(self, attempts=50):
        """Binds every mirror on one port, free on all their addresses."""
        for _ in range(attempts):
            port = self.requested_port or 0
            opened = []
            try:
                for a in self.addresses:
                    m = Mirror(self, a)
                    m.open(port)
                    opened.append(m)
                    if port == 0:
                        port = m.sock.getsockname()[1]
            except OSError as e:
                for m in opened:
                    m.close()
                if e.errno != errno.EADDRINUSE or self.requested_port:
                    raise
                continue
            self.port = port
            self.mirrors = {m.address: m for m in opened}
            return self
        raise RuntimeError("mirrors: no port free on all of %s"
                           % ", ".join(self.addresses))

    def stop(self):
        self.stopping.set()
        for m in self.mirrors.values():
            m.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- control -------------------------------------------------------
    def url(self, host="dl.example.org"):
        return "http://%s:%d%s" % (host, self.port, self.path)

    def set_mode(self, address, mode, slow_delay=None):
        m = self.mirrors[address]
        if slow_delay is not None:
            m.slow_delay = slow_delay
        m.set_mode(mode)

    def set_all(self, mode):
        for a in self.addresses:
            self.set_mode(a, mode)

    def mode(self, address):
        return self.mirrors[address].mode

    def count(self, address, agent_prefix=None, since=None):
        """Requests seen by one mirror (optionally only those whose
        User-Agent starts with agent_prefix, or after monotonic time
        since)."""
        m = self.mirrors[address]
        with m._lock:
            return sum(1 for t, _, ua, _ in m.requests
                       if (agent_prefix is None or ua.startswith(agent_prefix))
                       and (since is None or t >= since))

    def curl(self, address, host="dl.example.org", timeout=3):
        """What curl gets from one mirror through the pool URL, the way the
        agent connects: (HTTP status, body), status 0 when curl failed
        (refused, timed out); body then holds curl's exit code."""
        target = "[%s]" % address if ":" in address else address
        argv = ["curl", "-s", "-S", "--max-time", str(timeout),
                "--connect-to", "%s:%d:%s:%d" % (host, self.port, target,
                                                 self.port),
                "-A", "mirrorpool-test-curl", "-o", "-", "-w",
                "\n%{http_code}", self.url(host)]
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=timeout + 5)
        body, _, code = r.stdout.rpartition("\n")
        if r.returncode != 0:
            return 0, "curl exit %d: %s" % (r.returncode, r.stderr.strip())
        return int(code), body
