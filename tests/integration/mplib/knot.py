"""A throwaway Knot DNS 3 primary on loopback.

Keys: kn.key (hmac-sha256) and kn.key512 (hmac-sha512) may update the
pool names; kn.stranger is known to knotd but in no ACL. Keys are made
with `keymgr -t` and also written as BIND key files (key.path) for tools
that read that format.
"""
import os
import re
import secrets
import shutil
import subprocess
import tempfile

from . import dnstools
from .ports import free_port
from .proc import Proc, wait_for

KNOT_CONF = """\
server:
    rundir: "{dir}"
    listen: 127.0.0.1@{port}
    tcp-reuseport: off
log:
  - target: stderr
    any: info
database:
    storage: "{dir}"
control:
    listen: "{dir}/knot.sock"
key:
{keys}
acl:
  - id: upd
    key: [ {granted} ]
    action: update
    update-type: [ A, AAAA ]
    update-owner: name
    update-owner-match: equal
    update-owner-name: [ {owners} ]
template:
  - id: default
    storage: "{dir}"
    file: "%s.zone"
    zonefile-sync: 0
    semantic-checks: off
zone:
  - domain: {zone}
    acl: upd
"""

ZONE = """\
$TTL 300
@	IN SOA ns.{zone}. {token}.{zone}. 1 3600 600 86400 60
@	IN NS ns.{zone}.
ns	IN A 127.0.0.1
{records}"""


def keymgr_key(name, alg, directory):
    """keymgr -t NAME ALG; its first line is "# ALG:NAME:SECRET"."""
    out = subprocess.run(["keymgr", "-t", name, alg], check=True,
                         capture_output=True, text=True).stdout
    m = re.search(r"^#\s*([\w-]+):([^:\s]+):(\S+)$", out, re.M)
    if not m:
        raise RuntimeError("unexpected keymgr output: " + out)
    key = dnstools.TsigKey(m.group(2), m.group(1), m.group(3))
    key.write_file(os.path.join(directory, name + ".key"))
    return key


class PortInUse(Exception):
    pass


class Knot:
    def __init__(self, zone="example.org", records=None, port=None,
                 pool_names=("dl",)):
        self.zone = zone
        self.records = records if records is not None else {
            "dl": [("A", "192.0.2.10"), ("A", "192.0.2.20")]}
        self.pool_names = pool_names
        self.requested_port = port
        self.dir = tempfile.mkdtemp(prefix="mp-knot-")
        self.token = "t" + secrets.token_hex(6)
        self.proc = None
        self.port = None
        self.collisions = 0
        self.log_offset = 0
        self.key = keymgr_key("mirrorpool", "hmac-sha256", self.dir)
        self.key512 = keymgr_key("mirrorpool512", "hmac-sha512", self.dir)
        self.stranger = keymgr_key("stranger", "hmac-sha256", self.dir)

    def _write_config(self):
        keys = "".join(
            "  - id: %s\n    algorithm: %s\n    secret: %s\n" % (
                k.name, k.alg, k.secret)
            for k in (self.key, self.key512, self.stranger))
        owners = ", ".join("%s.%s." % (n, self.zone)
                           for n in self.pool_names)
        with open(os.path.join(self.dir, "knot.conf"), "w") as f:
            f.write(KNOT_CONF.format(
                dir=self.dir, port=self.port, keys=keys, zone=self.zone,
                granted="%s, %s" % (self.key.name, self.key512.name),
                owners=owners))

    def _write_zone(self):
        lines = []
        for name, rrs in self.records.items():
            for rtype, data in rrs:
                lines.append("%s\t60\tIN %s %s\n" % (name, rtype, data))
        with open(os.path.join(self.dir, self.zone + ".zone"), "w") as f:
            f.write(ZONE.format(zone=self.zone, token=self.token,
                                records="".join(lines)))

    def start(self, attempts=5):
        self._write_zone()
        for _ in range(attempts):
            self.port = self.requested_port or free_port()
            try:
                self._start_once()
                return self
            except PortInUse:
                self.collisions += 1
                self.requested_port = None
        raise RuntimeError("knotd: no usable port after %d attempts"
                           % attempts)

    def _start_once(self):
        self._write_config()
        log = os.path.join(self.dir, "knotd.log")
        self.log_offset = os.path.getsize(log) if os.path.exists(log) else 0
        self.proc = Proc(["knotd", "-c",
                          os.path.join(self.dir, "knot.conf")], log)

        def ready():
            text = self.log_text()
            if re.search(r"address already in use|address in use", text,
                         re.I):
                raise PortInUse()
            if not self.proc.alive():
                raise RuntimeError("knotd exited:\n" + text[-3000:])
            return self._owns_port()

        try:
            wait_for(ready, timeout=20, what="knotd on port %d" % self.port)
        except BaseException:
            self.proc.stop()
            raise

    def _owns_port(self):
        try:
            soa = dnstools.dig(self.port, self.zone, "SOA", timeout=1)
        except (RuntimeError, subprocess.TimeoutExpired):
            return False
        if soa and self.token not in soa[0]:
            raise PortInUse()
        return bool(soa)

    def log_text(self):
        path = os.path.join(self.dir, "knotd.log")
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

    def name(self, rel):
        return "%s.%s." % (rel, self.zone)

    def dig(self, name, rtype="A", **kw):
        return dnstools.dig(self.port, name, rtype, **kw)

    def nsupdate(self, commands, key=None, **kw):
        return dnstools.nsupdate(self.port, key or self.key, commands, **kw)

    def knotc(self, *args):
        r = subprocess.run(["knotc", "-b", "-c",
                            os.path.join(self.dir, "knot.conf"), "-s",
                            os.path.join(self.dir, "knot.sock")] +
                           list(args), capture_output=True, text=True,
                           timeout=20)
        if r.returncode != 0:
            raise RuntimeError("knotc %s: %s%s" % (" ".join(args), r.stdout,
                                                    r.stderr))
        return r.stdout

    def freeze(self):
        self.knotc("zone-freeze", self.zone)

    def thaw(self):
        self.knotc("zone-thaw", self.zone)
