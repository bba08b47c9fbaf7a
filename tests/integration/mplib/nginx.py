"""nginx on a temporary configuration, bound to loopback addresses only.

    ng = Nginx(tmpdir)
    ng.add_server([("127.0.0.1", port)], cert=good)     # https
    ng.add_server([("127.0.0.1", port2)])                # plain http
    ng.write_file("trace", "1763800000\\n")              # served from root
    ng.start()
    ...
    ng.stop()

It runs in the foreground as one process (daemon off, master_process off)
with its pid, logs and temp paths in its directory.
"""

import os
import signal

from . import ports
from .proc import Proc
from .tools import find_server

_CONF = """\
daemon off;
master_process {master};
{user}worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 4096; }}
http {{
    access_log {dir}/access.log;
    # "tls": who was asked and whether the TLS session was resumed ("r")
    log_format tls '$msec $server_addr $ssl_session_reused $status $request_uri';
    client_body_temp_path {dir}/tmp/client_body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    default_type text/plain;
    keepalive_requests 1000;
{servers}}}
"""


def _listen_addr(host, port):
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


class Nginx:
    def __init__(self, parent_dir, name="nginx", master=False):
        # master: a master process, for reload() (SIGHUP, no downtime)
        self.master = master
        self.binary = find_server("nginx")
        if not self.binary:
            raise RuntimeError("nginx is not installed")
        self.dir = os.path.join(parent_dir, name)
        self.root = os.path.join(self.dir, "www")
        os.makedirs(self.root)
        os.makedirs(os.path.join(self.dir, "tmp"))
        self.conf = os.path.join(self.dir, "nginx.conf")
        self.error_log = os.path.join(self.dir, "error.log")
        self.listens = []
        self._servers = []
        self.proc = None

    def add_server(self, listens, cert=None, server_name="_", extra=""):
        """A server block on listens [(host, port), ...]; https with cert
        (a tlsca.Cert) else plain http. extra: more directives."""
        for host, _ in listens:
            if not (host.startswith("127.") or host == "::1"):
                raise ValueError("tests stay on loopback, not %s" % host)
        lines = []
        for host, port in listens:
            lines.append("        listen %s%s;" % (
                _listen_addr(host, port), " ssl" if cert else ""))
        lines.append("        server_name %s;" % server_name)
        lines.append("        root %s;" % self.root)
        if cert:
            lines.append("        ssl_certificate %s;" % cert.cert)
            lines.append("        ssl_certificate_key %s;" % cert.key)
        if extra:
            lines.append(extra)
        self._servers.append("    server {\n%s\n    }\n" % "\n".join(lines))
        self.listens.extend(listens)

    def write_file(self, relpath, content, mtime=None):
        """Writes a file under the document root (bytes or str); mtime sets
        its Last-Modified."""
        path = os.path.join(self.root, relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    def start(self, timeout=10.0):
        with open(self.conf, "w") as f:
            f.write(_CONF.format(dir=self.dir,
                                 master="on" if self.master else "off",
                                 # workers read the test's private files
                                 user=("user root;\n" if self.master and
                                       os.geteuid() == 0 else ""),
                                 servers="".join(self._servers)))
        argv = [self.binary, "-p", self.dir, "-c", self.conf,
                "-e", self.error_log]
        self.proc = Proc(argv, os.path.join(self.dir, "stderr.log"))
        try:
            for host, port in self.listens:
                ports.wait_listening(host, port, timeout, self.proc.popen)
        except RuntimeError:
            self.stop()
            raise RuntimeError("nginx did not start:\n" + self.log_text())
        return self

    def log_text(self):
        text = ""
        for name in ("stderr.log", "error.log"):
            try:
                with open(os.path.join(self.dir, name)) as f:
                    text += f.read()
            except OSError:
                pass
        return text

    def reload(self):
        """Reads the configuration and certificates again without closing
        the listening sockets (SIGHUP to the master; master=True)."""
        assert self.master, "reload needs master=True"
        self.proc.popen.send_signal(signal.SIGHUP)

    def stop(self):
        if self.proc is not None:
            self.proc.stop()
            self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
