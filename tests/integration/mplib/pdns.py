"""A throwaway PowerDNS Authoritative 4 primary on loopback.

The zone lives in a gsqlite3 database made from the Debian schema and
filled with `pdnsutil load-zone`; RFC 2136 updates are on (dnsupdate=yes,
from loopback only). Keys are made with tsig-keygen, imported with
`pdnsutil import-tsig-key`, and pdns.key/pdns.key512 are granted updates
through the zone's TSIG-ALLOW-DNSUPDATE metadata; pdns.stranger is known
to pdns_server but granted nothing; extra_keys are granted too.
host "::1" listens there instead of 127.0.0.1; extra_conf (a string of
pdns.conf lines) is appended to the configuration.
"""
import os
import re
import sqlite3

from . import dnstools
from .dnsserver import DnsServer

SCHEMA = "/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql"

PDNS_CONF = """\
launch=gsqlite3
gsqlite3-database={db}
local-address={address}
local-port={port}
socket-dir={dir}
guardian=no
daemon=no
disable-syslog=yes
write-pid=no
security-poll-suffix=
loglevel=5
dnsupdate=yes
allow-dnsupdate-from=127.0.0.0/8,::1
reuseport=no
receiver-threads=1
distributor-threads=1
signing-threads=1
cache-ttl=0
negquery-cache-ttl=0
query-cache-ttl=0
zone-cache-refresh-interval=0
webserver=no
api=no
"""


class Pdns(DnsServer):
    program = "pdns_server"
    dir_tag = "pdns"
    log_name = "pdns.log"
    busy_re = re.compile(r"Address already in use|Unable to bind", re.I)
    extra_conf = ""

    def make_key(self, name, alg):
        return dnstools.TsigKey.generate(name, alg, self.dir)

    @property
    def db(self):
        return os.path.join(self.dir, "pdns.sqlite3")

    def pdnsutil(self, *args):
        return self._control(["pdnsutil", "--config-dir=" + self.dir], args)

    # -- configuration -------------------------------------------------
    def _write_zone(self):
        """A fresh database holding the zone and the keys (start() only:
        restart() keeps what the server wrote)."""
        super()._write_zone()
        if os.path.exists(self.db):
            os.unlink(self.db)
        with open(SCHEMA) as f:
            con = sqlite3.connect(self.db)
            con.executescript(f.read())
            con.close()
        self._write_config()  # pdnsutil reads the database from it
        self.pdnsutil("load-zone", self.zone,
                      os.path.join(self.zone_dir, self.zone + ".zone"))
        for k in [self.stranger] + self.granted():
            self.pdnsutil("import-tsig-key", k.name, k.alg, k.secret)
        self.pdnsutil("set-meta", self.zone, "TSIG-ALLOW-DNSUPDATE",
                      *[k.name for k in self.granted()])

    def _write_config(self):
        with open(os.path.join(self.dir, "pdns.conf"), "w") as f:
            f.write(PDNS_CONF.format(db=self.db, address=self.host,
                                     port=self.port or 53, dir=self.dir)
                    + self.extra_conf)

    def _argv(self):
        return ["pdns_server", "--config-dir=" + self.dir]
