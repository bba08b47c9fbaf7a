"""A small HTTP/1.1 server that misbehaves on request, chosen by path:

    /ok                 200, body "<now epoch>\\nok\\n"
    /status/503         that status
    /hang               reads the request, never answers
    /slow/1200          headers at once, the body after 1200 ms
                        (anything after a further "/" only names the path,
                        e.g. /slow/300/a, for separate counters)
    /big/100000         200 with a body of that many bytes (Content-Length)
    /bigchunked/100000  the same, chunked (no length announced)
    /text/hello%20world 200 with that body (URL-decoded)
    /stale/25920        first line is the epoch 25920 s ago, then "ok"
    /lastmod/25920      no date in the body, Last-Modified 25920 s ago
    /drop               announces 1000 bytes, sends 100, closes
    /empty              closes without a response
    /reset              resets the connection (RST) without a response

    Whatever the path, a request from a source address in fs.fail_from
    gets 503 ("failing for SOURCE"): one mirror that fails for some
    vantage points only. fs.sources(path) lists who asked.

    with FaultServer() as fs:          # 127.0.0.1, a free port
        url = fs.url("/status/503")
        fs.hit_count("/status/503"), fs.max_concurrent("/slow/300/a")
"""

import email.utils
import socket
import socketserver
import struct
import threading
import time
import urllib.parse


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        srv = self.server.owner
        sock = self.request
        srv._track(sock)
        try:
            path = self._read_request(sock)
            if path is None:
                return
            source = self.client_address[0]
            with srv.lock:
                srv.by_source.setdefault(path, set()).add(source)
                failing = source in srv.fail_from
            if failing:
                self._send(sock, 503, b"failing for %s\n" % source.encode())
                return
            with srv.lock:
                srv.hits[path] = srv.hits.get(path, 0) + 1
                n = srv.inflight[path] = srv.inflight.get(path, 0) + 1
                srv.max_inflight[path] = max(n, srv.max_inflight.get(path, 0))
            try:
                self._dispatch(srv, sock, path)
            finally:
                with srv.lock:
                    srv.inflight[path] -= 1
        except OSError:
            pass
        finally:
            srv._untrack(sock)

    @staticmethod
    def _read_request(sock):
        data = b""
        sock.settimeout(10)
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                return None
            data += chunk
            if len(data) > 65536:
                return None
        line = data.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split()
        return parts[1] if len(parts) >= 2 else "/"

    @staticmethod
    def _send(sock, status, body=b"", headers=(), length=None):
        reason = {200: "OK", 503: "Service Unavailable",
                  404: "Not Found"}.get(status, "Status")
        head = ["HTTP/1.1 %d %s" % (status, reason),
                "Content-Type: text/plain", "Connection: close"]
        head.append("Content-Length: %d"
                    % (len(body) if length is None else length))
        head.extend(headers)
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    def _dispatch(self, srv, sock, path):
        parts = path.split("/")[1:]
        kind = parts[0] if parts else ""
        arg = urllib.parse.unquote(parts[1]) if len(parts) > 1 else ""
        now = int(time.time())
        if kind == "ok":
            self._send(sock, 200, b"%d\nok\n" % now)
        elif kind == "status":
            self._send(sock, int(arg), b"status %s\n" % arg.encode())
        elif kind == "hang":
            srv.stopping.wait()
        elif kind == "slow":
            body = b"%d\nok\n" % now
            head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    "Connection: close\r\nContent-Length: %d\r\n\r\n"
                    % len(body))
            sock.sendall(head.encode())
            if not srv.stopping.wait(int(arg) / 1000.0):
                sock.sendall(body)
        elif kind == "big":
            self._send(sock, 200, b"x" * int(arg))
        elif kind == "bigchunked":
            head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n")
            sock.sendall(head.encode())
            left = int(arg)
            while left > 0:
                n = min(left, 4096)
                sock.sendall(b"%x\r\n%s\r\n" % (n, b"x" * n))
                left -= n
            sock.sendall(b"0\r\n\r\n")
        elif kind == "text":
            self._send(sock, 200, arg.encode())
        elif kind == "chunked":
            # one chunk per byte, with an extension, then a trailer
            head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n")
            out = head.encode()
            for b in arg.encode():
                out += b"1;ext=x\r\n%s\r\n" % bytes([b])
            out += b"0\r\nX-Trailer: done\r\n\r\n"
            sock.sendall(out)
        elif kind == "interim":
            # 100 Continue and 103 Early Hints before the real answer
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n"
                         b"HTTP/1.1 103 Early Hints\r\n"
                         b"Link: </style.css>; rel=preload\r\n\r\n")
            self._send(sock, 200, arg.encode())
        elif kind == "http10":
            # no Content-Length: the body ends when the connection does
            sock.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain"
                         b"\r\n\r\n" + arg.encode())
        elif kind == "dribble":
            # the whole response one byte per segment
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            body = arg.encode()
            resp = (b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n"
                    % len(body)) + body
            for i in range(len(resp)):
                sock.sendall(resp[i:i + 1])
                if srv.stopping.wait(0.002):
                    break
        elif kind == "garbage":
            sock.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
            srv.stopping.wait(0.2)
        elif kind == "bighead":
            # one header line of the given length
            self._send(sock, 200, b"ok\n",
                       headers=["X-Big: " + "b" * (int(arg) - 7)])
        elif kind == "stale":
            self._send(sock, 200, b"%d\nok\n" % (now - int(arg)))
        elif kind == "lastmod":
            lm = email.utils.formatdate(now - int(arg), usegmt=True)
            self._send(sock, 200, b"no date here\nok\n",
                       headers=["Last-Modified: " + lm])
        elif kind == "drop":
            self._send(sock, 200, b"y" * 100, length=1000)
            sock.shutdown(socket.SHUT_RDWR)
        elif kind == "empty":
            sock.shutdown(socket.SHUT_RDWR)
        elif kind == "reset":
            # SO_LINGER with a zero timeout: close() sends RST
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
            sock.close()  # now, before socketserver's shutdown(SHUT_WR)
        else:
            self._send(sock, 404, b"unknown fault\n")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False


class _Server6(_Server):
    address_family = socket.AF_INET6


class FaultServer:
    def __init__(self, host="127.0.0.1", port=0):
        if not (host.startswith("127.") or host == "::1"):
            raise ValueError("tests stay on loopback, not %s" % host)
        cls = _Server6 if ":" in host else _Server
        self.host = host
        self.lock = threading.Lock()
        self.hits = {}
        self.inflight = {}
        self.max_inflight = {}
        self.by_source = {}
        self.fail_from = set()
        self.stopping = threading.Event()
        self._socks = set()
        self._srv = cls((host, port), _Handler)
        self._srv.owner = self
        self.port = self._srv.server_address[1]
        self._thread = None

    def fail_only(self, sources):
        """Fails every request from these source addresses and no other;
        one failing before and after never sees a success in between
        (added first, then the others dropped)."""
        new = set(sources)
        self.fail_from.update(new)
        self.fail_from.intersection_update(new)

    def url(self, path, host=None):
        h = host or self.host
        if ":" in h:
            h = "[%s]" % h
        return "http://%s:%d%s" % (h, self.port, path)

    def sources(self, path):
        """The source addresses that requested path."""
        with self.lock:
            return set(self.by_source.get(path, ()))

    def hit_count(self, path):
        """Requests received for path."""
        with self.lock:
            return self.hits.get(path, 0)

    def max_concurrent(self, path):
        """The most requests for path that were open at once."""
        with self.lock:
            return self.max_inflight.get(path, 0)

    def _track(self, sock):
        with self.lock:
            self._socks.add(sock)

    def _untrack(self, sock):
        with self.lock:
            self._socks.discard(sock)

    def start(self):
        self._thread = threading.Thread(target=self._srv.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.stopping.set()
        if self._thread:
            self._srv.shutdown()
            self._thread.join(5)
            self._thread = None
        self._srv.server_close()
        with self.lock:
            socks = list(self._socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
