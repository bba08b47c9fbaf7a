/*
 * The top-level `node` and the `vantage` group: several agents check the
 * same mirrors from different places, publish their verdicts as TXT views
 * in the zone, and the writer changes the pools on a quorum of them.
 */
#include "config.h"
#include "config_value.h"
#include "duration.h"
#include "error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_MAX_AGE_MS 1000ULL
#define MAX_MAX_AGE_MS 3600000ULL
#define MIN_PUBLISH_MS 100ULL

static const char *const vantage_keys[] = {
    "role",	"views", "nodes", "quorum", "max_age", "publish_interval",
    "fallback", NULL};

/* A node name is one DNS label: it becomes <node>.<views>. Lower-cases
 * into out; returns NULL or what is wrong. */
static const char *node_normalise(const char *in, size_t len, char *out)
{
	if (len == 0)
		return "is empty";
	if (len > 63)
		return "is longer than 63 characters (one DNS label)";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (!isalnum(c) && c != '-' && c != '_')
			return "may hold only letters, digits, '-' and '_' "
			       "(one DNS label)";
		out[i] = (char)tolower(c);
	}
	out[len] = '\0';
	return NULL;
}

/* `node`, else the first label of the host name the agent gave. */
static void parse_node(struct mp_cfg_loader *l, const config_setting_t *root,
		       bool needed, const config_setting_t *vg)
{
	const config_setting_t *s = mp_cfg_member(root, "node");
	const char *v, *why;
	char name[64], q[96];

	if (s) {
		if (!mp_cfg_str(l, s, "node", "a name such as \"ams1\"", &v))
			return;
		why = node_normalise(v, strlen(v), name);
		if (why) {
			mp_cfg_err(l, s, "node: %s %s (e.g. node = \"ams1\";)",
				   mp_cfg_quote(v, q, sizeof(q)), why);
			return;
		}
		l->cfg->node = mp_cfg_strdup(l, name);
		return;
	}
	v = l->default_node;
	if (v && *v) {
		why = node_normalise(v, strcspn(v, "."), name);
		if (!why) {
			l->cfg->node = mp_cfg_strdup(l, name);
			return;
		}
		if (needed)
			mp_cfg_err(l, vg,
				   "node: not set, and the host name %s %s; "
				   "set node = \"ams1\"; at top level",
				   mp_cfg_quote(v, q, sizeof(q)), why);
		return;
	}
	if (needed)
		mp_cfg_err(l, vg,
			   "node: not set and no host name to default to; "
			   "set node = \"ams1\"; at top level");
}

/* A string that is one of two words: *out = 0 for the first, 1 for the
 * second. what: "a role". Returns false when absent or wrong (reported). */
static bool one_of(struct mp_cfg_loader *l, const config_setting_t *s,
		   const char *path, const char *w0, const char *w1,
		   const char *what, int *out)
{
	const char *v;
	char q[96], form[64];

	snprintf(form, sizeof(form), "\"%s\" or \"%s\"", w0, w1);
	if (!mp_cfg_str(l, s, path, form, &v))
		return false;
	if (strcmp(v, w0) == 0 || strcmp(v, w1) == 0) {
		*out = strcmp(v, w0) == 0 ? 0 : 1;
		return true;
	}
	mp_cfg_err(l, s, "%s: %s is not %s (use %s)", path,
		   mp_cfg_quote(v, q, sizeof(q)), what, form);
	return false;
}

static void parse_role(struct mp_cfg_loader *l, const config_setting_t *g,
		       struct mp_vantage_cfg *vt)
{
	const config_setting_t *s = mp_cfg_member(g, "role");
	int r;

	if (!s) {
		mp_cfg_err(l, g,
			   "vantage: missing required key \"role\" (role = "
			   "\"writer\"; on the one agent that updates the "
			   "pools, role = \"observer\"; on the others)");
		return;
	}
	if (one_of(l, s, "vantage.role", "writer", "observer", "a role", &r))
		vt->role = r ? MP_ROLE_OBSERVER : MP_ROLE_WRITER;
}

static void parse_views(struct mp_cfg_loader *l, const config_setting_t *g,
			struct mp_vantage_cfg *vt)
{
	const config_setting_t *s = mp_cfg_member(g, "views");
	const char *zone = l->cfg->dns.zone, *v, *why;
	char name[256], q[96];

	if (!s) {
		mp_cfg_err(l, g,
			   "vantage: missing required key \"views\" (the name "
			   "under which each node publishes its view, e.g. "
			   "views = \"_mirrorpool.example.org.\";)");
		return;
	}
	if (!mp_cfg_str(l, s, "vantage.views", "an owner name inside dns.zone",
			&v))
		return;
	why = mp_cfg_domain_normalise(v, name, sizeof(name));
	if (why) {
		mp_cfg_err(l, s,
			   "vantage.views: %s %s (use an owner name such as "
			   "\"_mirrorpool.example.org.\")",
			   mp_cfg_quote(v, q, sizeof(q)), why);
		return;
	}
	if (zone && !mp_cfg_in_zone(name, zone)) {
		mp_cfg_err(l, s,
			   "vantage.views: %s is not inside zone %s (the views "
			   "are TXT records the agents update in that zone)",
			   name, zone);
		return;
	}
	for (size_t p = 0; p < l->cfg->n_pools; p++) {
		const char *pn = l->cfg->pools[p].name;
		if (pn && mp_cfg_in_zone(pn, name)) {
			mp_cfg_err(l, s,
				   "vantage.views: pool %s (line %d) lies at "
				   "or under %s; the views need a name of "
				   "their own, e.g. \"_mirrorpool.%s\"",
				   pn, l->cfg->pools[p].line, name,
				   zone ? zone : "example.org.");
			return;
		}
	}
	vt->views = mp_cfg_strdup(l, name);
}

static void parse_nodes(struct mp_cfg_loader *l, const config_setting_t *g,
			struct mp_vantage_cfg *vt)
{
	const config_setting_t *s = mp_cfg_member(g, "nodes");
	char path[64], name[64], q[96];
	int len;

	if (!s) {
		mp_cfg_err(l, g,
			   "vantage: missing required key \"nodes\" (every "
			   "node of the group, writer and observers, e.g. "
			   "nodes = [ \"ams1\", \"nyc1\", \"sgp1\" ];)");
		return;
	}
	if (!mp_cfg_is_sequence(s)) {
		mp_cfg_err(l, s,
			   "vantage.nodes: expected a list of node names, e.g. "
			   "[ \"ams1\", \"nyc1\", \"sgp1\" ], got %s",
			   mp_cfg_type_name(s));
		return;
	}
	len = config_setting_length(s);
	if (len == 0 || len > MP_VANTAGE_MAX_NODES) {
		mp_cfg_err(l, s, "vantage.nodes: %s (1 to %d nodes)",
			   len ? "too many nodes" : "is empty",
			   MP_VANTAGE_MAX_NODES);
		return;
	}
	vt->nodes = calloc((size_t)len, sizeof(char *));
	if (!vt->nodes) {
		l->oom = true;
		return;
	}
	for (int i = 0; i < len; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(s, (unsigned)i);
		const char *v, *why;
		bool dup = false;

		snprintf(path, sizeof(path), "vantage.nodes[%d]", i);
		if (!mp_cfg_str(l, e, path, "a node name such as \"ams1\"", &v))
			continue;
		why = node_normalise(v, strlen(v), name);
		if (why) {
			mp_cfg_err(l, e, "%s: %s %s", path,
				   mp_cfg_quote(v, q, sizeof(q)), why);
			continue;
		}
		for (size_t k = 0; k < vt->n_nodes; k++)
			dup = dup || strcmp(vt->nodes[k], name) == 0;
		if (dup) {
			mp_cfg_err(l, e, "%s: node \"%s\" is listed twice",
				   path, name);
			continue;
		}
		if (vt->views && strlen(name) + 1 + strlen(vt->views) > 254) {
			mp_cfg_err(l, e,
				   "%s: %s.%s is longer than a domain name "
				   "may be",
				   path, name, vt->views);
			continue;
		}
		if ((vt->nodes[vt->n_nodes] = mp_cfg_strdup(l, name)))
			vt->n_nodes++;
	}
}

static void parse_timing(struct mp_cfg_loader *l, const config_setting_t *g,
			 struct mp_vantage_cfg *vt)
{
	const config_setting_t *sa = mp_cfg_member(g, "max_age");
	const config_setting_t *sp = mp_cfg_member(g, "publish_interval");
	char a[32], b[32];

	vt->max_age_ms = 30000;
	vt->publish_interval_ms = 2000;
	if (mp_cfg_duration(l, sa, "vantage.max_age", MIN_MAX_AGE_MS,
			    &vt->max_age_ms) &&
	    vt->max_age_ms > MAX_MAX_AGE_MS) {
		mp_cfg_err(l, sa,
			   "vantage.max_age: %s is too long: a view that old "
			   "says nothing about now (1s to 1h)",
			   mp_duration_format(vt->max_age_ms, a, sizeof(a)));
		return;
	}
	mp_cfg_duration(l, sp, "vantage.publish_interval", MIN_PUBLISH_MS,
			&vt->publish_interval_ms);
	/* every node republishes at least every max_age / 3: a rate limit
	 * longer than that would let views go stale between publications */
	if (vt->publish_interval_ms * 3 > vt->max_age_ms && (sa || sp))
		mp_cfg_err(
		    l, sp ? sp : sa,
		    "vantage.publish_interval: %s is more than a third "
		    "of max_age (%s); views are republished at least "
		    "every max_age / 3",
		    mp_duration_format(vt->publish_interval_ms, a, sizeof(a)),
		    mp_duration_format(vt->max_age_ms, b, sizeof(b)));
}

static void parse_fallback(struct mp_cfg_loader *l, const config_setting_t *g,
			   struct mp_vantage_cfg *vt)
{
	const config_setting_t *s = mp_cfg_member(g, "fallback");
	int r;

	vt->fallback = MP_FALLBACK_LOCAL;
	if (one_of(l, s, "vantage.fallback", "local", "freeze", "a fallback",
		   &r))
		vt->fallback = r ? MP_FALLBACK_FREEZE : MP_FALLBACK_LOCAL;
}

/* Checks from several vantage points of one host (and from a chosen
 * interface of a multi-homed one) need their source address set. */
void mp_cfg_parse_source_address(struct mp_cfg_loader *l,
				 const config_setting_t *s, const char *path,
				 struct mp_check_cfg *ck)
{
	bool list = mp_cfg_is_sequence(s);
	int n = list ? config_setting_length(s) : 1;
	char ep[200], q[96];

	if (!list && config_setting_type(s) != CONFIG_TYPE_STRING) {
		mp_cfg_err(l, s,
			   "%s: expected an address such as \"192.0.2.1\", "
			   "or [ \"192.0.2.1\", \"2001:db8::1\" ], got %s",
			   path, mp_cfg_type_name(s));
		return;
	}
	if (n == 0 || n > 2) {
		mp_cfg_err(l, s,
			   "%s: one address, or one IPv4 and one IPv6 "
			   "address",
			   path);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e =
		    list ? config_setting_get_elem(s, (unsigned)i) : s;
		struct mp_addr a;
		const char *v;

		if (list)
			snprintf(ep, sizeof(ep), "%s[%d]", path, i);
		else
			snprintf(ep, sizeof(ep), "%s", path);
		if (!mp_cfg_str(l, e, ep, "an IPv4 or IPv6 address", &v))
			continue;
		if (mp_addr_parse(v, &a) != MP_OK) {
			mp_cfg_err(l, e,
				   "%s: %s is not an IP address (a local "
				   "address of this host, such as "
				   "\"192.0.2.1\")",
				   ep, mp_cfg_quote(v, q, sizeof(q)));
		} else if (a.family == AF_INET ? ck->has_source4
					       : ck->has_source6) {
			mp_cfg_err(l, e,
				   "%s: a second %s address (at most one per "
				   "family)",
				   ep, a.family == AF_INET ? "IPv4" : "IPv6");
		} else if (a.family == AF_INET) {
			ck->source4 = a;
			ck->has_source4 = true;
		} else {
			ck->source6 = a;
			ck->has_source6 = true;
		}
	}
}

void mp_cfg_parse_vantage(struct mp_cfg_loader *l, const config_setting_t *root)
{
	struct mp_vantage_cfg *vt = &l->cfg->vantage;
	const config_setting_t *g = mp_cfg_group(l, root, "", "vantage"), *s;
	const char *node;

	parse_node(l, root, g != NULL, g);
	if (!g)
		return;
	vt->line = mp_cfg_src_line(l, g);
	mp_cfg_check_unknown(l, g, "in group \"vantage\"", vantage_keys);
	parse_role(l, g, vt);
	parse_views(l, g, vt);
	parse_nodes(l, g, vt);
	parse_timing(l, g, vt);
	parse_fallback(l, g, vt);

	s = mp_cfg_member(g, "quorum");
	vt->quorum = (unsigned)vt->n_nodes / 2 + 1; /* a majority */
	if (mp_cfg_uint(l, s, "vantage.quorum", 1, MP_VANTAGE_MAX_NODES,
			&vt->quorum) &&
	    vt->n_nodes > 0 && vt->quorum > vt->n_nodes)
		mp_cfg_err(l, s,
			   "vantage.quorum: %u is more than the %zu node%s "
			   "listed: no address could ever change (1 to %zu)",
			   vt->quorum, vt->n_nodes, vt->n_nodes == 1 ? "" : "s",
			   vt->n_nodes);

	node = l->cfg->node;
	if (!node || !vt->nodes || !mp_cfg_member(g, "nodes"))
		return;
	for (size_t i = 0; i < vt->n_nodes; i++)
		if (strcmp(vt->nodes[i], node) == 0) {
			vt->self = i;
			vt->enabled = true;
			return;
		}
	mp_cfg_err(l, mp_cfg_member(g, "nodes"),
		   "vantage.nodes: this agent's node \"%s\" (%s) is not "
		   "listed; add it, or set node to one of them",
		   node,
		   mp_cfg_member(root, "node") ? "from node" : "the host name");
}
