"""A throwaway Knot DNS 3 primary on loopback (127.0.0.1 or ::1: host=).

Keys: kn.key (hmac-sha256) and kn.key512 (hmac-sha512) may update the
pool names; kn.stranger is known to knotd but in no ACL. Keys are made
with `keymgr -t`, kept as it prints them (NAME.key.conf in kn.dir, for an
`include:`) and also written as BIND key files (key.path) for tools that
read that format.
"""
import os
import re
import subprocess

from . import dnstools
from .dnsserver import DnsServer

# what every configuration here starts with: the server, its log, storage
# and control socket, and the zone template
KNOT_BASE = """\
server:
    rundir: "{dir}"
    listen: {host}@{port}
    tcp-reuseport: off
log:
  - target: stderr
    any: {log_level}
database:
    storage: "{storage}"
control:
    listen: "{dir}/knot.sock"
template:
  - id: default
    storage: "{storage}"
    file: "%s.zone"
    zonefile-sync: 0
    semantic-checks: off
"""

KNOT_CONF = KNOT_BASE + """\
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
zone:
  - domain: {zone}
    acl: upd
"""


def keymgr_key(name, alg, directory):
    """keymgr -t NAME ALG; its first line is "# ALG:NAME:SECRET". The
    output is kept as it is in DIRECTORY/NAME.key.conf."""
    out = subprocess.run(["keymgr", "-t", name, alg], check=True,
                         capture_output=True, text=True).stdout
    m = re.search(r"^#\s*([\w-]+):([^:\s]+):(\S+)$", out, re.M)
    if not m:
        raise RuntimeError("unexpected keymgr output: " + out)
    fd = os.open(os.path.join(directory, name + ".key.conf"),
                 os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w") as f:
        f.write(out)
    key = dnstools.TsigKey(m.group(2), m.group(1), m.group(3))
    key.write_file(os.path.join(directory, name + ".key"))
    return key


class Knot(DnsServer):
    program = "knotd"
    dir_tag = "knot"
    log_name = "knotd.log"
    busy_re = re.compile(r"address already in use|address in use", re.I)
    log_level = "info"  # "debug" has knotd log its ACL decisions

    @property
    def zone_dir(self):
        """knotd's storage (zone file and journal), apart from its
        configuration and control socket so that a test can take it
        away."""
        return os.path.join(self.dir, "storage")

    def make_key(self, name, alg):
        return keymgr_key(name, alg, self.dir)

    def _write_config(self):
        keys = "".join(
            "  - id: %s\n    algorithm: %s\n    secret: %s\n" % (
                k.name, k.alg, k.secret)
            for k in self.granted() + [self.stranger])
        owners = ", ".join("%s.%s." % (n, self.zone)
                           for n in self.pool_names)
        with open(os.path.join(self.dir, "knot.conf"), "w") as f:
            f.write(KNOT_CONF.format(
                dir=self.dir, storage=self.zone_dir, host=self.host,
                port=self.port, log_level=self.log_level, keys=keys,
                zone=self.zone,
                granted=", ".join(k.name for k in self.granted()),
                owners=owners))

    def _argv(self):
        return ["knotd", "-c", os.path.join(self.dir, "knot.conf")]

    def knotc(self, *args):
        return self._control(["knotc", "-b", "-c",
                              os.path.join(self.dir, "knot.conf"), "-s",
                              os.path.join(self.dir, "knot.sock")], args)

    def freeze(self):
        self.knotc("zone-freeze", self.zone)

    def thaw(self):
        self.knotc("zone-thaw", self.zone)
