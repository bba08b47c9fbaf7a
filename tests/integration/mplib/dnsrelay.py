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

from . import sockloop


class DnsRelay:
    upstream_timeout = 5    # seconds to wait for the server's UDP reply

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
        self.port, (s,) = sockloop.bind_free(self.host, (kind,))
        if self.transport == "tcp":
            s.listen(16)
        s.settimeout(0.1)
        self._sock = s
        if self.transport == "udp":
            self._thread = sockloop.serve(lambda: s.recvfrom(65535),
                                          self._udp_msg, self._stop)
        else:
            self._thread = sockloop.serve(
                s.accept,
                lambda conn, _peer: sockloop.thread(self._tcp_conn, conn),
                self._stop)
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
    def _udp_msg(self, msg, peer):
        self._count()
        sockloop.thread(self._udp_one, msg, peer)

    def _udp_one(self, msg, peer):
        """Passes msg on and its reply back; True when it did."""
        reply = sockloop.udp_exchange(msg, self.upstream,
                                      self.upstream_timeout)
        if reply is None:
            return False
        try:
            self._sock.sendto(reply, peer)
        except OSError:
            return False
        return True

    # -- TCP -----------------------------------------------------------
    def _tcp_conn(self, conn):
        conn.settimeout(10)
        try:
            while not self._stop.is_set():
                msg = sockloop.recv_framed(conn)
                self._count()
                up = socket.create_connection(self.upstream, timeout=5)
                try:
                    sockloop.send_framed(up, msg)
                    reply = sockloop.recv_framed(up)
                finally:
                    up.close()
                sockloop.send_framed(conn, reply)
        except (OSError, EOFError, struct.error):
            pass
        finally:
            conn.close()
