"""A one-transport DNS relay: proves which transport a client really used.

DnsRelay(upstream_port, "tcp") listens on a free loopback port for TCP only
(UDP to that port is refused) and passes each message to the real server
over TCP; "udp" does the same for UDP only. Messages are relayed unchanged,
so TSIG still verifies end to end; self.messages counts the requests
carried.
"""
import socket
import struct
import threading

from .ports import free_port


class DnsRelay:
    def __init__(self, upstream_port, transport, host="127.0.0.1",
                 upstream_host="127.0.0.1"):
        if transport not in ("udp", "tcp"):
            raise ValueError(transport)
        self.transport = transport
        self.host = host
        self.upstream = (upstream_host, upstream_port)
        self.port = None
        self.messages = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock = None
        self._thread = None

    def start(self):
        kind = socket.SOCK_DGRAM if self.transport == "udp" \
            else socket.SOCK_STREAM
        for _ in range(20):
            port = free_port(self.host)
            s = socket.socket(socket.AF_INET, kind)
            try:
                s.bind((self.host, port))
            except OSError:
                s.close()
                continue
            break
        else:
            raise RuntimeError("dnsrelay: no free port")
        if self.transport == "tcp":
            s.listen(16)
        s.settimeout(0.1)
        self._sock, self.port = s, port
        loop = self._udp_loop if self.transport == "udp" else self._tcp_loop
        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        if self._sock:
            self._sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _count(self):
        with self._lock:
            self.messages += 1

    # -- UDP -----------------------------------------------------------
    def _udp_loop(self):
        while not self._stop.is_set():
            try:
                msg, peer = self._sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self._count()
            threading.Thread(target=self._udp_one, args=(msg, peer),
                             daemon=True).start()

    def _udp_one(self, msg, peer):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(5)
        try:
            u.sendto(msg, self.upstream)
            reply, _ = u.recvfrom(65535)
            self._sock.sendto(reply, peer)
        except OSError:
            pass
        finally:
            u.close()

    # -- TCP -----------------------------------------------------------
    def _tcp_loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._tcp_conn, args=(conn,),
                             daemon=True).start()

    @staticmethod
    def _recv_exact(conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise EOFError()
            buf += chunk
        return buf

    def _tcp_conn(self, conn):
        conn.settimeout(10)
        try:
            while not self._stop.is_set():
                n = struct.unpack("!H", self._recv_exact(conn, 2))[0]
                msg = self._recv_exact(conn, n)
                self._count()
                up = socket.create_connection(self.upstream, timeout=5)
                try:
                    up.sendall(struct.pack("!H", len(msg)) + msg)
                    m = struct.unpack("!H", self._recv_exact(up, 2))[0]
                    reply = self._recv_exact(up, m)
                finally:
                    up.close()
                conn.sendall(struct.pack("!H", len(reply)) + reply)
        except (OSError, EOFError, struct.error):
            pass
        finally:
            conn.close()
