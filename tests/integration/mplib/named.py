"""A throwaway BIND 9 primary on loopback for one test module.

    with Named() as ns:
        ns.dig("dl.example.org", "A")

Keys (made with tsig-keygen): ns.key (hmac-sha256, may update dl.<zone>
A/AAAA), ns.key512 (hmac-sha512, same grant) and ns.stranger (hmac-sha256,
known to named but granted nothing). rndc runs on a separate port with its
own key, for freeze/thaw.
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

NAMED_CONF = """\
options {{
	directory "{dir}";
	pid-file "{dir}/named.pid";
	listen-on port {port} {{ 127.0.0.1; }};
	listen-on-v6 {{ none; }};
	/* no SO_REUSEPORT: a second server on our port must fail to bind
	   instead of silently sharing its queries */
	recursion no;
	notify no;
	reuseport no;
	dnssec-validation no;
	allow-transfer {{ none; }};
	session-keyfile "{dir}/session.key";
	managed-keys-directory "{dir}";
}};
controls {{
	inet 127.0.0.1 port {rndc_port} allow {{ 127.0.0.1; }} keys {{ "rndc-key"; }};
}};
{keys}
zone "{zone}" {{
	type primary;
	file "{dir}/{zone}.zone";
	{update};
}};
"""

ZONE = """\
$TTL 300
@	IN SOA ns.{zone}. {token}.{zone}. {serial} 3600 600 86400 60
@	IN NS ns.{zone}.
ns	IN A 127.0.0.1
{records}"""


class PortInUse(Exception):
    pass


class Named:
    """BIND primary for zone; pool names get the given initial records.

    records: {"dl": [("A", "192.0.2.10"), ...]} relative to the zone.
    update: "policy" (update-policy granting key/key512 the pool names
    A/AAAA) or "allow" (allow-update { key key; key key512; })."""

    def __init__(self, zone="example.org", records=None, update="policy",
                 port=None, pool_names=("dl",)):
        self.zone = zone
        self.records = records if records is not None else {
            "dl": [("A", "192.0.2.10"), ("A", "192.0.2.20")]}
        self.update_mode = update
        self.pool_names = pool_names
        self.requested_port = port
        self.dir = tempfile.mkdtemp(prefix="mp-named-")
        self.token = "t" + secrets.token_hex(6)
        self.proc = None
        self.port = None
        self.rndc_port = None
        self.collisions = 0
        self.key = dnstools.TsigKey.generate("mirrorpool", "hmac-sha256",
                                             self.dir)
        self.key512 = dnstools.TsigKey.generate("mirrorpool512",
                                                "hmac-sha512", self.dir)
        self.stranger = dnstools.TsigKey.generate("stranger", "hmac-sha256",
                                                  self.dir)
        self.rndc_key = dnstools.TsigKey.generate("rndc-key", "hmac-sha256",
                                                  self.dir)
        with open(os.path.join(self.dir, "rndc.conf"), "w") as f:
            f.write(self.rndc_key.bind_conf())

    # -- configuration -------------------------------------------------
    def _update_clause(self):
        if self.update_mode == "allow":
            return 'allow-update { key "%s"; key "%s"; }' % (
                self.key.name, self.key512.name)
        grants = []
        for k in (self.key, self.key512):
            for n in self.pool_names:
                grants.append('grant "%s" name %s.%s. A AAAA;' % (
                    k.name, n, self.zone))
        return "update-policy {\n\t\t%s\n\t}" % "\n\t\t".join(grants)

    def _write_config(self):
        keys = "".join(k.bind_conf() for k in (
            self.key, self.key512, self.stranger, self.rndc_key))
        with open(os.path.join(self.dir, "named.conf"), "w") as f:
            f.write(NAMED_CONF.format(dir=self.dir, port=self.port,
                                      rndc_port=self.rndc_port, keys=keys,
                                      zone=self.zone,
                                      update=self._update_clause()))

    def _write_zone(self):
        lines = []
        for name, rrs in self.records.items():
            for rtype, data in rrs:
                lines.append("%s\t60\tIN %s %s\n" % (name, rtype, data))
        path = os.path.join(self.dir, self.zone + ".zone")
        with open(path, "w") as f:
            f.write(ZONE.format(zone=self.zone, token=self.token, serial=1,
                                records="".join(lines)))
        for j in (path + ".jnl",):
            if os.path.exists(j):
                os.unlink(j)

    # -- life cycle ----------------------------------------------------
    def start(self, attempts=5):
        """Starts named; when its port turns out to be taken (another
        server got there first) it retries on a fresh port."""
        self._write_zone()
        for _ in range(attempts):
            self.port = self.requested_port or free_port()
            self.rndc_port = free_port()
            try:
                self._start_once()
                return self
            except PortInUse:
                self.collisions += 1
                self.requested_port = None
        raise RuntimeError("named: no usable port after %d attempts"
                           % attempts)

    def _start_once(self):
        self._write_config()
        log = os.path.join(self.dir, "named.log")
        self.log_offset = os.path.getsize(log) if os.path.exists(log) else 0
        self.proc = Proc(["named", "-g", "-c",
                          os.path.join(self.dir, "named.conf")], log)

        def ready():
            text = self.log_text()
            if re.search(r"address in use|could not listen on", text):
                raise PortInUse()
            if not self.proc.alive():
                raise RuntimeError("named exited:\n" + text[-3000:])
            return self._owns_port()

        try:
            wait_for(ready, timeout=20, what="named on port %d" % self.port)
        except BaseException:
            self.proc.stop()
            raise

    def _owns_port(self):
        """The server on our port answers with our zone's unique token, so
        it is ours and not another test's named."""
        try:
            soa = dnstools.dig(self.port, self.zone, "SOA", timeout=1)
        except (RuntimeError, subprocess.TimeoutExpired):
            return False
        if soa and self.token not in soa[0]:
            raise PortInUse()
        return bool(soa)

    def log_text(self):
        """named's log since the last start."""
        path = os.path.join(self.dir, "named.log")
        if not os.path.exists(path):
            return ""
        with open(path, "rb") as f:
            f.seek(getattr(self, "log_offset", 0))
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc:
            self.proc.stop()

    def kill9(self):
        self.proc.kill9()

    def restart(self):
        """Starts again on the same ports with the zone as named left it
        (journal included)."""
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

    def dig(self, name, rtype="A", **kw):
        return dnstools.dig(self.port, name, rtype, **kw)

    def nsupdate(self, commands, key=None, **kw):
        return dnstools.nsupdate(self.port, key or self.key, commands, **kw)

    def rndc(self, *args):
        r = subprocess.run(["rndc", "-s", "127.0.0.1", "-p",
                            str(self.rndc_port), "-k",
                            os.path.join(self.dir, "rndc.conf")] +
                           list(args), capture_output=True, text=True,
                           timeout=20)
        if r.returncode != 0:
            raise RuntimeError("rndc %s: %s%s" % (" ".join(args), r.stdout,
                                                   r.stderr))
        return r.stdout

    def freeze(self):
        self.rndc("freeze", self.zone)

    def thaw(self):
        self.rndc("thaw", self.zone)
