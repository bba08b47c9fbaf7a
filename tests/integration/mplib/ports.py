"""Free ports and readiness probes on loopback."""

import errno
import socket
import time


def _family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


# Ports already handed out by this process: the kernel may offer a released
# port again, and two servers of one test must never be given the same one.
_given = set()


def free_port(host="127.0.0.1", kind=None):
    """A port that is free for both TCP and UDP on host right now (DNS
    servers need both; the kind argument is accepted for old callers).

    Another process may still take it before our server binds: servers
    started by this package check that they really own the port (see
    named.Named) and move on when they do not."""
    fam = _family(host)
    for _ in range(100):
        t = socket.socket(fam, socket.SOCK_STREAM)
        u = socket.socket(fam, socket.SOCK_DGRAM)
        try:
            t.bind((host, 0))
            port = t.getsockname()[1]
            if port in _given:
                continue
            u.bind((host, port))
            _given.add(port)
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port on %s" % host)


def closed_port(host="127.0.0.1"):
    """A TCP port on host where a connection is refused (nothing listens).

    The port is taken from the kernel and released, then checked: a
    connection must be refused."""
    for _ in range(20):
        port = free_port(host)
        if not is_listening(host, port):
            return port
    raise RuntimeError("no closed port found on %s" % host)


def is_listening(host, port, timeout=0.5):
    """True when a TCP connection to host:port is accepted."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_listening(host, port, timeout=10.0, proc=None):
    """Waits until host:port accepts TCP connections.

    Raises RuntimeError after timeout, or at once when proc (a Popen)
    has exited: a server that died will never listen."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        if is_listening(host, port):
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("server exited with status %s before "
                               "listening on %s:%d"
                               % (proc.returncode, host, port))
        if time.monotonic() > deadline:
            raise RuntimeError("nothing listens on %s:%d after %.1f s"
                               % (host, port, timeout))
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def connect_refused(host, port):
    """True when a TCP connection to host:port is actively refused."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True
    except OSError as e:
        return e.errno == errno.ECONNREFUSED


def have_ipv6_loopback():
    """True when ::1 can be bound (IPv6 is on for loopback)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False
