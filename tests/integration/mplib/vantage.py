"""A BIND primary for several vantage points: one key per node.

    ns = VantageNamed(views="_mp.example.org.", nodes=("ams1", "nyc1"))

ns.node_keys[node] is each node's key: the first node's is ns.key (the
writer's), which may update the pool names' A/AAAA and its own view; every
other node's key may update only its own view's TXT (BIND update-policy
grants, as the guide sets them up).

VantageKnot and VantagePdns are the same for Knot and PowerDNS, set up
from the operator guide's own text. vantage_agent() is one node's
mirrorpoold against any of them."""

import os
import re

from .agent import SRCDIR, Agent
from .faultserver import FaultServer
from .knot import KNOT_BASE, Knot
from .named import Named
from .pdns import Pdns


class VantageNamed(Named):
    def __init__(self, views, nodes, **kw):
        self.views = views
        self.nodes = tuple(nodes)
        super().__init__(**kw)
        self.node_keys = {self.nodes[0]: self.key}
        for n in self.nodes[1:]:
            self.node_keys[n] = self.make_key("obs-" + n, "hmac-sha256")

    def _update_clause(self):
        grants = ['grant "%s" name %s.%s. A AAAA;' % (self.key.name, p,
                                                      self.zone)
                  for p in self.pool_names]
        for n, k in self.node_keys.items():
            grants.append('grant "%s" name %s.%s TXT;'
                          % (k.name, n, self.views))
        return "update-policy {\n\t\t%s\n\t}" % "\n\t\t".join(grants)

    def _write_config(self):
        # named must know the observers' keys too: they join the keys the
        # base class writes (after the stranger's)
        orig = self.stranger
        extra = [self.node_keys[n] for n in self.nodes[1:]]

        class Joined:
            def bind_conf(_):
                return orig.bind_conf() + "".join(
                    k.bind_conf() for k in extra)
        self.stranger = Joined()
        try:
            super()._write_config()
        finally:
            self.stranger = orig


def fault_mirrors(w, a1, a2):
    """w["m1"], w["m2"]: fault servers on a1 and a2, one port for both (a
    check URL names the port once)."""
    w["m1"] = FaultServer(host=a1).start()
    w["m2"] = FaultServer(host=a2, port=w["m1"].port).start()


def stop_mirrors(w):
    for k in ("m1", "m2"):
        if k in w:
            w.pop(k).stop()


def vantage_agent(ns, node, nodes, views, mirrors, url, source_address,
                  quorum=2, max_age_ms=4000, publish_ms=500,
                  fallback="local"):
    """mirrorpoold as node of the group nodes (the first is the writer)
    with ns.node_keys[node], checking every 500 ms (200 ms when in doubt,
    rise and fall 2) from source_address."""
    role = "writer" if node == nodes[0] else "observer"
    extra = ('node = "%s";\nvantage = { role = "%s"; views = "%s"; '
             'nodes = [ %s ]; quorum = %d; max_age = "%dms"; '
             'publish_interval = "%dms"; fallback = "%s"; };\n'
             % (node, role, views, ", ".join('"%s"' % n for n in nodes),
                quorum, max_age_ms, publish_ms, fallback))
    return Agent(dns_port=ns.port, key_file=ns.node_keys[node].path,
                 mirrors=mirrors, url=url, interval="500ms",
                 fast_interval="200ms", timeout="400ms", rise=2, fall=2,
                 min_interval="200ms", source_address=source_address,
                 extra=extra)


# -- the operator guide's own set-up for Knot and PowerDNS ---------------

GUIDE = os.path.join(SRCDIR, "docs", "operator-guide.md")
GUIDE_SECTION = "## 13. Several vantage points"


def guide_block(lang, marker):
    """The one fenced block of language lang in the guide's section on
    vantage points that contains marker, as the guide prints it."""
    with open(GUIDE) as f:
        text = f.read()
    start = text.index(GUIDE_SECTION)
    end = text.find("\n## ", start + 1)
    section = text[start:end if end > 0 else len(text)]
    blocks = [b for b in re.findall(r"^```%s\n(.*?)^```$" % re.escape(lang),
                                    section, re.M | re.S) if marker in b]
    if len(blocks) != 1:
        raise AssertionError("the guide's section 13 has %d %s blocks with "
                             "%r, not one" % (len(blocks), lang, marker))
    return blocks[0]


class VantageKnot(Knot):
    """Knot configured as the guide's section 13 says: its YAML block
    verbatim after the harness's server/log/storage part, the keys it
    includes made with keymgr -t under the names it uses (the paths
    /etc/knot/ moved into this server's directory). The guide's names
    are used as they are: zone example.org, views under
    _mirrorpool.example.org., nodes ams1 (key mirrorpool), nyc1
    (obs-nyc1), sgp1 (obs-sgp1). Logs at debug: knotd names each ACL
    refusal there."""

    log_level = "debug"

    def __init__(self, **kw):
        self.guide_conf = guide_block("yaml", "update-owner-name")
        super().__init__(**kw)
        self.node_keys = {"ams1": self.key}
        for n in ("nyc1", "sgp1"):
            self.node_keys[n] = self.make_key("obs-" + n, "hmac-sha256")

    def _write_config(self):
        base = KNOT_BASE.format(dir=self.dir, storage=self.zone_dir,
                                host=self.host, port=self.port,
                                log_level=self.log_level)
        guide = self.guide_conf.replace("/etc/knot/", self.dir + "/")
        with open(os.path.join(self.dir, "knot.conf"), "w") as f:
            f.write(base + guide)


class VantagePdns(Pdns):
    """PowerDNS configured as the guide's section 13 says: its
    lua-dnsupdate-policy-script line and its Lua script verbatim (the
    script's path moved into this server's directory), every node's key
    imported, TSIG-ALLOW-DNSUPDATE listing the writer's key (the
    harness's granted keys). Same names as VantageKnot."""

    def __init__(self, **kw):
        line = guide_block("", "lua-dnsupdate-policy-script=").strip()
        script = guide_block("lua", "function updatepolicy")
        super().__init__(**kw)
        path = os.path.join(self.dir, os.path.basename(line.split("=")[1]))
        with open(path, "w") as f:
            f.write(script)
        self.extra_conf = line.split("=")[0] + "=" + path + "\n"
        self.node_keys = {"ams1": self.key}
        for n in ("nyc1", "sgp1"):
            self.node_keys[n] = self.make_key("obs-" + n, "hmac-sha256")

    def _write_zone(self):
        super()._write_zone()
        for n in ("nyc1", "sgp1"):
            k = self.node_keys[n]
            self.pdnsutil("import-tsig-key", k.name, k.alg, k.secret)
