"""What every throwaway DNS primary on loopback shares (named.Named,
knot.Knot): a private directory, a zone with a unique token in its SOA,
three TSIG keys, start on a free port of 127.0.0.1 or ::1 (moving on when
another server turns out to hold it), readiness by probing,
stop/kill9/restart/close, and dig/nsupdate against it.

A subclass names its program and log, makes its keys, writes its config,
gives its command line and says how its log reports a port in use.
"""
import os
import secrets
import shutil
import subprocess
import tempfile
import time

from . import dnstools
from .ports import free_port
from .proc import Proc, wait_for

ZONE = """\
$TTL 300
@	IN SOA ns.{zone}. {token}.{zone}. {serial} 3600 600 86400 60
@	IN NS ns.{zone}.
ns	IN A 127.0.0.1
{records}"""


class PortInUse(Exception):
    pass


class DnsServer:
    """A primary for zone; pool names get the given initial records.

    records: {"dl": [("A", "192.0.2.10"), ...]} relative to the zone.
    Keys: self.key (hmac-sha256) and self.key512 (hmac-sha512) may update
    the pool names' A/AAAA; self.stranger (hmac-sha256) is known to the
    server but granted nothing.

    host: the one address the server listens on, "127.0.0.1" or "::1"
    (an IPv6 primary); dig and nsupdate go there.
    extra_keys: [(name, algorithm), ...] more keys made and granted like
    self.key (self.extra_keys), e.g. one per TSIG algorithm."""

    program = None      # the server binary, also its name in messages
    dir_tag = None      # in the name of the temporary directory
    log_name = None     # its log file in self.dir
    busy_re = None      # compiled: a log line saying the port is taken

    def __init__(self, zone="example.org", records=None, port=None,
                 pool_names=("dl",), host="127.0.0.1", extra_keys=()):
        if host not in ("127.0.0.1", "::1"):
            raise ValueError("test servers listen on loopback only: %r"
                             % host)
        self.host = host
        self.zone = zone
        self.records = records if records is not None else {
            "dl": [("A", "192.0.2.10"), ("A", "192.0.2.20")]}
        self.pool_names = pool_names
        self.requested_port = port
        self.dir = tempfile.mkdtemp(prefix="mp-%s-" % self.dir_tag)
        self.token = "t" + secrets.token_hex(6)
        self.proc = None
        self.port = None
        self.collisions = 0
        self.log_offset = 0
        self.key = self.make_key("mirrorpool", "hmac-sha256")
        self.key512 = self.make_key("mirrorpool512", "hmac-sha512")
        self.stranger = self.make_key("stranger", "hmac-sha256")
        self.extra_keys = [self.make_key(n, a) for n, a in extra_keys]

    def granted(self):
        """The keys that may update the pool names."""
        return [self.key, self.key512] + self.extra_keys

    # -- what a subclass provides --------------------------------------
    def make_key(self, name, alg):
        """A new TSIG key, also written as a BIND key file (key.path)."""
        raise NotImplementedError

    def _write_config(self):
        raise NotImplementedError

    def _argv(self):
        raise NotImplementedError

    def _pick_ports(self):
        self.port = self.requested_port or free_port(self.host)

    # -- configuration -------------------------------------------------
    @property
    def zone_dir(self):
        """Where the zone file (and the server's journal) lives."""
        return self.dir

    def _write_zone(self):
        os.makedirs(self.zone_dir, exist_ok=True)
        lines = []
        for name, rrs in self.records.items():
            for rtype, data in rrs:
                lines.append("%s\t60\tIN %s %s\n" % (name, rtype, data))
        path = os.path.join(self.zone_dir, self.zone + ".zone")
        with open(path, "w") as f:
            f.write(ZONE.format(zone=self.zone, token=self.token, serial=1,
                                records="".join(lines)))
        # a journal left from an earlier run would replay over the zone
        if os.path.exists(path + ".jnl"):
            os.unlink(path + ".jnl")

    # -- life cycle ----------------------------------------------------
    def start(self, attempts=5):
        """Starts the server; when its port turns out to be taken (another
        server got there first) it retries on a fresh port."""
        self._write_zone()
        for _ in range(attempts):
            self._pick_ports()
            try:
                self._start_once()
                return self
            except PortInUse:
                self.collisions += 1
                self.requested_port = None
        raise RuntimeError("%s: no usable port after %d attempts"
                           % (self.program, attempts))

    def _start_once(self):
        self._write_config()
        log = os.path.join(self.dir, self.log_name)
        self.log_offset = os.path.getsize(log) if os.path.exists(log) else 0
        self.proc = Proc(self._argv(), log)

        def ready():
            text = self.log_text()
            if self.busy_re.search(text):
                raise PortInUse()
            if not self.proc.alive():
                raise RuntimeError("%s exited:\n%s"
                                   % (self.program, text[-3000:]))
            return self._owns_port()

        try:
            wait_for(ready, timeout=20,
                     what="%s on port %d" % (self.program, self.port))
        except BaseException:
            self.proc.stop()
            raise

    def _owns_port(self):
        """The server on our port answers with our zone's unique token, so
        it is ours and not another test's, over UDP and over TCP: Linux
        lets a second UDP socket with SO_REUSEADDR bind a taken port and
        gives it the datagrams, while the TCP listen fails, so a server
        can win the UDP port and lose the TCP one (seen under load, before
        its "address in use" line was written)."""
        for tcp in (False, True):
            try:
                soa = dnstools.dig(self.port, self.zone, "SOA", timeout=1,
                                   server=self.host, tcp=tcp)
            except (RuntimeError, subprocess.TimeoutExpired):
                return False
            if soa and self.token not in soa[0]:
                raise PortInUse()
            if not soa:
                return False
        return True

    def log_text(self):
        """The server's log since the last start."""
        path = os.path.join(self.dir, self.log_name)
        if not os.path.exists(path):
            return ""
        with open(path, "rb") as f:
            f.seek(self.log_offset)
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc:
            self.proc.stop()

    def kill9(self):
        self.proc.kill9()

    def restart(self):
        """Starts again on the same ports with the zone as the server left
        it (journal included)."""
        self.stop()
        self.requested_port = self.port
        self._start_once()

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc):
        self.close()

    # -- tools ---------------------------------------------------------
    def name(self, rel):
        return "%s.%s." % (rel, self.zone)

    @property
    def is_v6(self):
        return ":" in self.host

    def dig(self, name, rtype="A", **kw):
        """dig +short at this server. An empty answer is taken only once
        this server is seen answering for its zone: another test's server
        starting on a colliding port (make -j2 check) can take our UDP
        datagrams for a moment (Linux gives them to the last socket bound
        with SO_REUSEADDR) until its TCP listen fails and it is stopped;
        its REFUSED, or its own zone, is not our server's answer."""
        kw.setdefault("server", self.host)
        deadline = time.monotonic() + 2.0
        while True:
            got = dnstools.dig(self.port, name, rtype, **kw)
            if got or not self._stranger_answers(kw) or \
                    time.monotonic() > deadline:
                return got
            time.sleep(0.1)

    def _stranger_answers(self, kw):
        """Whether what answers on our port now is not our server: REFUSED
        for our zone, or our zone's SOA without our token."""
        tcp = kw.get("tcp", False)
        try:
            soa = dnstools.dig(self.port, self.zone, "SOA",
                               server=kw["server"], tcp=tcp, timeout=1)
        except (RuntimeError, subprocess.TimeoutExpired):
            return False
        if soa:
            return self.token not in soa[0]
        return dnstools.dig_status(self.port, self.zone, "SOA",
                                   server=kw["server"]) == "REFUSED"

    def dig_status(self, name, rtype="SOA", **kw):
        """The rcode of a plain query to this server, or None."""
        kw.setdefault("server", self.host)
        return dnstools.dig_status(self.port, name, rtype, **kw)

    def nsupdate(self, commands, key=None, **kw):
        kw.setdefault("server", self.host)
        return dnstools.nsupdate(self.port, key or self.key, commands, **kw)

    def _control(self, argv, args):
        """Runs the server's control tool; its output, or RuntimeError."""
        r = subprocess.run(argv + list(args), capture_output=True,
                           text=True, timeout=20)
        if r.returncode != 0:
            raise RuntimeError("%s %s: %s%s" % (
                os.path.basename(argv[0]), " ".join(args), r.stdout,
                r.stderr))
        return r.stdout
