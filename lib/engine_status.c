/* The engine seen from outside: status JSON, systemd STATUS line, metrics. */
#include "engine_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "strbuf.h"

static json_t *addr_array(const struct mp_addr_set *s)
{
	json_t *a = json_array();
	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(a, json_string(s->v[i].text));
	return a;
}

static json_t *drain_json(const struct mp_drain *d)
{
	if (!d->active)
		return json_null();
	return json_pack(
	    "{s:s, s:s, s:I, s:I, s:o, s:b}", "reason", d->reason, "by", d->by,
	    "uid", (json_int_t)d->uid, "since", (json_int_t)d->since_s, "until",
	    d->until_s ? json_integer((json_int_t)d->until_s) : json_null(),
	    "force", d->force);
}

static json_t *rrset_json(struct mp_rrset *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "published", addr_array(&r->desired));
	json_object_set_new(o, "in_dns",
			    r->in_dns_known ? addr_array(&r->in_dns)
					    : json_null());
	if (r->has_last)
		json_object_set_new(
		    o, "last_update",
		    json_pack("{s:I, s:s, s:o, s:o}", "at",
			      (json_int_t)r->last_at_s, "rcode", r->last_rcode,
			      "added", addr_array(&r->last_added), "removed",
			      addr_array(&r->last_removed)));
	else
		json_object_set_new(o, "last_update", json_null());
	return o;
}

static json_t *target_json(struct mp_engine *e, struct mp_target *t,
			   struct mp_time now)
{
	const uint64_t now_ms = now.mono_ms;
	const struct mp_health *h = &t->health;
	json_t *o = json_object();

	json_object_set_new(o, "address", json_string(t->addr.text));
	json_object_set_new(o, "state",
			    json_string(mp_health_state_name(h->state)));
	/* before the first read of its RRset nothing is decided yet */
	json_object_set_new(
	    o, "published",
	    e->rrsets[2 * t->pool + (t->addr.family == AF_INET ? 0 : 1)]
		    .in_dns_known
		? json_boolean(t->published)
		: json_null());
	json_object_set_new(o, "suppressed",
			    json_boolean(h->damping.suppressed));
	json_object_set_new(
	    o, "penalty",
	    json_integer(
		(json_int_t)(mp_damping_figure(&h->damping, &e->cfg->damping,
					       now_ms) +
			     0.5)));
	json_object_set_new(o, "consecutive_ok",
			    json_integer(h->consecutive_ok));
	json_object_set_new(o, "consecutive_fail",
			    json_integer(h->consecutive_fail));
	json_object_set_new(o, "drain", drain_json(&t->drain));
	if (e->cfg->vantage.enabled && e->cfg->vantage.role == MP_ROLE_WRITER) {
		json_object_set_new(
		    o, "decision", json_string(mp_health_state_name(t->voted)));
		json_object_set_new(o, "votes",
				    mp_eng_votes_json(e, t, now_ms));
	}
	if (h->has_result)
		json_object_set_new(
		    o, "last_check",
		    json_pack(
			"{s:I, s:b, s:s, s:I}", "at",
			/* results carry the monotonic clock */
			(json_int_t)(mp_time_mono_to_wall(&now, h->last.at_ms) /
				     1000),
			"ok", h->last.ok, "detail", h->last.detail,
			"latency_ms", (json_int_t)h->last.latency_ms));
	else
		json_object_set_new(o, "last_check", json_null());
	/* the certificate watch: notAfter of the certificate seen at the
	 * last full TLS handshake (Unix seconds), https only */
	if (h->last.cert_not_after != 0)
		json_object_set_new(
		    o, "tls_cert_expires",
		    json_integer((json_int_t)h->last.cert_not_after));
	if (t->cert_subject)
		json_object_set_new(o, "tls_cert_subject",
				    json_string(t->cert_subject));
	if (t->cert_issuer)
		json_object_set_new(o, "tls_cert_issuer",
				    json_string(t->cert_issuer));
	return o;
}

json_t *mp_engine_status(struct mp_engine *e, const char *pool,
			 const char *version, bool dry_run, struct mp_time now)
{
	const uint64_t now_ms = now.mono_ms;
	const struct mp_config *cfg = e->cfg;
	json_t *root = json_object(), *pools = json_array();
	char zone[256];
	const char *freason;
	bool frozen = mp_engine_frozen(e, &freason);

	mp_name_text(cfg->dns.zone, zone, sizeof(zone));
	json_object_set_new(root, "version", json_string(version));
	json_object_set_new(root, "dry_run", json_boolean(dry_run));
	json_object_set_new(
	    root, "dns",
	    json_pack("{s:s, s:i, s:s, s:o}", "server", cfg->dns.server, "port",
		      (int)cfg->dns.port, "zone", zone, "last_error",
		      e->dns_error ? json_string(e->dns_error) : json_null()));
	json_object_set_new(
	    root, "guard",
	    json_pack("{s:b, s:o}", "frozen", frozen, "reason",
		      freason ? json_string(freason) : json_null()));
	if (cfg->vantage.enabled)
		json_object_set_new(root, "vantage",
				    mp_eng_vantage_json(e, now_ms));
	for (size_t p = 0; p < cfg->n_pools; p++) {
		const struct mp_pool_cfg *pc = &cfg->pools[p];
		json_t *po, *mirrors = json_array();
		if (pool && strcmp(pool, pc->name) != 0)
			continue;
		po = json_pack("{s:s, s:I, s:i, s:i}", "name", pc->name, "ttl",
			       (json_int_t)pc->ttl, "min_healthy",
			       (int)pc->min_healthy, "max_published",
			       (int)pc->max_published);
		if (pc->rotate_ms)
			json_object_set_new(
			    po, "rotate_s",
			    json_integer((json_int_t)(pc->rotate_ms / 1000)));
		json_object_set_new(
		    po, "rrsets",
		    json_pack("{s:o, s:o}", "A", rrset_json(&e->rrsets[2 * p]),
			      "AAAA", rrset_json(&e->rrsets[2 * p + 1])));
		for (size_t m = 0; m < pc->n_mirrors; m++) {
			const struct mp_mirror_cfg *mc = &pc->mirrors[m];
			json_t *mo = json_pack("{s:s, s:i}", "name", mc->name,
					       "weight", (int)mc->weight);
			json_t *addrs = json_array();
			if (mc->email)
				json_object_set_new(mo, "email",
						    json_string(mc->email));
			if (mc->notes)
				json_object_set_new(mo, "notes",
						    json_string(mc->notes));
			json_object_set_new(
			    mo, "drain",
			    drain_json(&eng_mirror_rt(e, p, m)->drain));
			for (size_t k = 0; k < e->n_targets; k++) {
				struct mp_target *t = &e->targets[k];
				if (t->pool == p && t->mirror == m)
					json_array_append_new(
					    addrs, target_json(e, t, now));
			}
			json_object_set_new(mo, "addresses", addrs);
			json_array_append_new(mirrors, mo);
		}
		json_object_set_new(po, "mirrors", mirrors);
		json_array_append_new(pools, po);
	}
	json_object_set_new(root, "pools", pools);
	if (e->n_jpools > 0)
		json_object_set_new(root, "json_pools",
				    mp_eng_json_status(e, now_ms));
	return root;
}

void mp_engine_summary(struct mp_engine *e, struct mp_time now, char *buf,
		       size_t len)
{
	size_t off = 0;
	uint64_t last = 0;

	buf[0] = '\0';
	for (size_t p = 0; p < e->cfg->n_pools && off < len; p++) {
		size_t pub = 0, total = 0;
		for (size_t k = 0; k < e->n_targets; k++) {
			const struct mp_target *t = &e->targets[k];
			const struct mp_rrset *r =
			    &e->rrsets[2 * p +
				       (t->addr.family == AF_INET ? 0 : 1)];
			if (t->pool != p)
				continue;
			total++;
			/* before the first plan, what DNS holds is published */
			pub += r->in_dns_known
				   ? mp_addr_set_contains(&r->in_dns, &t->addr)
				   : t->published;
		}
		for (int fam = 0; fam < 2; fam++)
			if (e->rrsets[2 * p + (size_t)fam].has_last &&
			    e->rrsets[2 * p + (size_t)fam].last_at_s > last)
				last = e->rrsets[2 * p + (size_t)fam].last_at_s;
		off += (size_t)snprintf(
		    buf + off, len - off, "%s%s: %zu/%zu published",
		    p ? "; " : "", e->cfg->pools[p].name, pub, total);
	}
	if (off < len) {
		if (last) {
			char d[32];
			uint64_t ago = now.wall_ms / 1000 > last
					   ? now.wall_ms / 1000 - last
					   : 0;
			mp_duration_human(ago * 1000, d, sizeof(d));
			off += (size_t)snprintf(buf + off, len - off,
						"; last UPDATE %s ago", d);
		} else {
			off += (size_t)snprintf(buf + off, len - off,
						"; no UPDATE yet");
		}
	}
	if (off < len && e->frozen)
		snprintf(buf + off, len - off, "; FROZEN");
}
