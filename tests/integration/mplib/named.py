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

from . import dnstools
from .dnsserver import DnsServer
from .ports import free_port

NAMED_CONF = """\
options {{
	directory "{dir}";
	pid-file "{dir}/named.pid";
	{listen}
	/* no SO_REUSEPORT: a second server on our port must fail to bind
	   instead of silently sharing its queries */
	recursion no;
	notify no;
	reuseport no;
	dnssec-validation no;
	allow-transfer {{ none; }};
	session-keyfile "{dir}/session.key";
	managed-keys-directory "{dir}";
	{options}
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


class Named(DnsServer):
    """BIND primary for zone; pool names get the given initial records.

    records: {"dl": [("A", "192.0.2.10"), ...]} relative to the zone.
    update: "policy" (update-policy granting key/key512 the pool names
    A/AAAA) or "allow" (allow-update { key key; key key512; }).
    host: "127.0.0.1" or "::1", the only address named listens on.
    options: more statements for the options block (self.options may be
    changed before a restart or reconfig())."""

    program = "named"
    dir_tag = "named"
    log_name = "named.log"
    busy_re = re.compile(r"address in use|could not listen on")

    def __init__(self, zone="example.org", records=None, update="policy",
                 port=None, pool_names=("dl",), host="127.0.0.1",
                 options="", extra_keys=()):
        self.update_mode = update
        self.options = options
        self.rndc_port = None
        super().__init__(zone, records, port, pool_names, host, extra_keys)
        self.rndc_key = self.make_key("rndc-key", "hmac-sha256")
        with open(os.path.join(self.dir, "rndc.conf"), "w") as f:
            f.write(self.rndc_key.bind_conf())

    def make_key(self, name, alg):
        return dnstools.TsigKey.generate(name, alg, self.dir)

    # -- configuration -------------------------------------------------
    def _update_clause(self):
        if self.update_mode == "allow":
            return "allow-update { %s }" % " ".join(
                'key "%s";' % k.name for k in self.granted())
        grants = []
        for k in self.granted():
            for n in self.pool_names:
                grants.append('grant "%s" name %s.%s. A AAAA;' % (
                    k.name, n, self.zone))
        return "update-policy {\n\t\t%s\n\t}" % "\n\t\t".join(grants)

    def _listen(self):
        if self.is_v6:
            return ("listen-on { none; };\n\tlisten-on-v6 port %d { ::1; };"
                    % self.port)
        return ("listen-on port %d { 127.0.0.1; };\n\tlisten-on-v6 "
                "{ none; };" % self.port)

    def _write_config(self):
        keys = "".join(k.bind_conf() for k in (
            self.granted() + [self.stranger, self.rndc_key]))
        with open(os.path.join(self.dir, "named.conf"), "w") as f:
            f.write(NAMED_CONF.format(dir=self.dir, listen=self._listen(),
                                      rndc_port=self.rndc_port, keys=keys,
                                      zone=self.zone, options=self.options,
                                      update=self._update_clause()))

    def _pick_ports(self):
        super()._pick_ports()
        self.rndc_port = free_port()

    def _argv(self):
        return ["named", "-g", "-c", os.path.join(self.dir, "named.conf")]

    # -- rndc ----------------------------------------------------------
    def rndc(self, *args):
        return self._control(["rndc", "-s", "127.0.0.1", "-p",
                              str(self.rndc_port), "-k",
                              os.path.join(self.dir, "rndc.conf")], args)

    def reconfig(self):
        """Rewrites named.conf (self.options as they are now) and has the
        running named read it again (rndc reconfig)."""
        self._write_config()
        self.rndc("reconfig")

    def freeze(self):
        self.rndc("freeze", self.zone)

    def thaw(self):
        self.rndc("thaw", self.zone)
