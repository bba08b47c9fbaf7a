"""A BIND primary for several vantage points: one key per node.

    ns = VantageNamed(views="_mp.example.org.", nodes=("ams1", "nyc1"))

ns.node_keys[node] is each node's key: the first node's is ns.key (the
writer's), which may update the pool names' A/AAAA and its own view; every
other node's key may update only its own view's TXT (BIND update-policy
grants, as the guide sets them up)."""

from .named import Named


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
