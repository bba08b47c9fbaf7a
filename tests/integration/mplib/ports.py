"""Free loopback ports for test servers."""
import socket


def free_port(host="127.0.0.1"):
    """A port that is free for both TCP and UDP on host right now.

    Another process may still take it before our server binds: servers
    started by this package check that they really own the port (see
    named.Named) and move on when they do not."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(100):
        t = socket.socket(fam, socket.SOCK_STREAM)
        u = socket.socket(fam, socket.SOCK_DGRAM)
        try:
            t.bind((host, 0))
            port = t.getsockname()[1]
            u.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port on %s" % host)
