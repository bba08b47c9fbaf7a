"""The socket plumbing of the fake servers (fakedns, dnsrelay, mirrors and
the tests' own small listeners): sockets on one free loopback port, a
receive loop on a daemon thread that sees its stop flag within the
socket's timeout, and DNS-over-TCP framing."""
import socket
import struct
import threading

from .ports import free_port


def bind_free(host, kinds, attempts=20):
    """Sockets of the given kinds (SOCK_DGRAM, SOCK_STREAM), all bound to
    one port that was free on host (127.0.0.X or ::1); returns
    (port, [sockets])."""
    for _ in range(attempts):
        port = free_port(host)
        socks = [socket.socket(family(host), k) for k in kinds]
        try:
            for s in socks:
                s.bind((host, port))
        except OSError:
            for s in socks:
                s.close()
            continue
        return port, socks
    raise RuntimeError("no free port on %s" % host)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def thread(target, *args):
    """target(*args) on a new daemon thread, started; returns the thread."""
    th = threading.Thread(target=target, args=args, daemon=True)
    th.start()
    return th


def loop(receive, handle, stopped):
    """Calls handle(*receive()) until stopped() is true.

    receive is a call on a socket with a timeout set (recvfrom, accept,
    recvmsg): a timeout only goes round again, so that stopped() is seen;
    any other OSError (the socket was closed) ends the loop."""
    while not stopped():
        try:
            got = receive()
        except socket.timeout:
            continue
        except OSError:
            return
        handle(*got)


def serve(receive, handle, stop):
    """loop() on a daemon thread until the event stop is set."""
    return thread(loop, receive, handle, stop.is_set)


def recv_exact(conn, n):
    """Exactly n bytes from a stream socket; EOFError when it closes
    first."""
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError("short read")
        buf += chunk
    return buf


def recv_framed(conn):
    """One DNS message over TCP: a two-byte length, then the message."""
    return recv_exact(conn, struct.unpack("!H", recv_exact(conn, 2))[0])


def send_framed(conn, msg):
    conn.sendall(struct.pack("!H", len(msg)) + msg)


def udp_exchange(msg, server, timeout):
    """Sends msg to server (host, port) from a fresh UDP socket and returns
    the first reply, or None when none comes or the socket fails."""
    s = socket.socket(family(server[0]), socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(msg, server)
        return s.recvfrom(65535)[0]
    except OSError:
        return None
    finally:
        s.close()
