/* The engine's view of DNS: what the primary holds for each RRset, the
 * addresses that start as DNS has them, drift and foreign addresses. */
#include "engine_int.h"

#include <stdio.h>
#include <string.h>

bool mp_eng_target_in_rrset(const struct mp_engine *e,
			    const struct mp_target *t, const struct mp_rrset *r)
{
	(void)e;
	return t->pool == r->pool && mp_addr_rrtype(&t->addr) == r->rrtype;
}

bool mp_eng_addr_is_member(const struct mp_engine *e, const struct mp_rrset *r,
			   const struct mp_addr *a)
{
	for (size_t i = 0; i < e->n_targets; i++)
		if (mp_eng_target_in_rrset(e, &e->targets[i], r) &&
		    mp_addr_equal(&e->targets[i].addr, a))
			return true;
	return false;
}

void mp_eng_describe_sets(const struct mp_addr_set *add,
			  const struct mp_addr_set *del, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < del->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s-%s",
					off ? " " : "", del->v[i].text);
	for (size_t i = 0; i < add->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s+%s",
					off ? " " : "", add->v[i].text);
	if (!buf[0])
		snprintf(buf, len, "no change");
}

/* Addresses not yet checked start as DNS has them: up when present, down
 * when absent, so that a start (or a reload) changes nothing in DNS. */
static void adopt_targets(struct mp_engine *e, const struct mp_rrset *r,
			  const struct mp_addr_set *in_dns, uint64_t now_ms)
{
	for (size_t k = 0; k < e->n_targets; k++) {
		struct mp_target *t = &e->targets[k];
		struct mp_log_fields f;
		bool present;

		if (!mp_eng_target_in_rrset(e, t, r))
			continue;
		present = mp_addr_set_contains(in_dns, &t->addr);
		if (!mp_health_adopt(&t->health, present, now_ms))
			continue;
		mp_eng_fields(e, t, &f);
		mp_logf(LOG_INFO, &f, "%s %s: starts %s (%s in DNS)", f.mirror,
			t->addr.text, present ? "up" : "down",
			present ? "present" : "absent");
	}
}

static void warn_foreign(struct mp_engine *e, const struct mp_rrset *r,
			 const struct mp_addr *a)
{
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;

	f.pool = eng_pool(e, r->pool)->name;
	f.address = a->text;
	mp_logf(LOG_WARNING, &f,
		"%s %s holds %s, which belongs to no configured mirror; "
		"removing it",
		f.pool, rrtype_name(r->rrtype), a->text);
}

/*
 * After a reload, for the RRsets whose content is known: mirrors new to
 * the configuration (or renamed) start as at a start, and addresses of
 * mirrors taken out of it are now foreign and say so.
 */
void mp_eng_view_after_reload(struct mp_engine *e, uint64_t now_ms)
{
	for (size_t i = 0; i < e->n_rrsets; i++) {
		struct mp_rrset *r = &e->rrsets[i];
		if (!r->in_dns_known)
			continue;
		adopt_targets(e, r, &r->in_dns, now_ms);
		for (size_t k = 0; k < r->in_dns.n; k++)
			if (!mp_eng_addr_is_member(e, r, &r->in_dns.v[k]))
				warn_foreign(e, r, &r->in_dns.v[k]);
	}
}

void mp_engine_dns_view(struct mp_engine *e, size_t i,
			const struct mp_addr_set *in_dns, struct mp_time now)
{
	const uint64_t now_ms = now.mono_ms;
	struct mp_rrset *r;
	const struct mp_pool_cfg *pc;
	struct mp_log_fields pf = MP_LOG_FIELDS_INIT;

	if (i >= e->n_rrsets)
		return;
	r = &e->rrsets[i];
	pc = eng_pool(e, r->pool);
	pf.pool = pc->name;
	if (!r->in_dns_known) {
		adopt_targets(e, r, in_dns, now_ms);
	} else if (!mp_addr_set_equal(&r->in_dns, in_dns)) {
		struct mp_addr_set add, del;
		char buf[1024];
		mp_addr_set_init(&add);
		mp_addr_set_init(&del);
		mp_rrset_diff(in_dns, &r->in_dns, &add, &del);
		mp_eng_describe_sets(&add, &del, buf, sizeof(buf));
		mp_logf(
		    LOG_WARNING, &pf,
		    "drift: %s %s changed on the primary outside mirrorpool "
		    "(%s); re-converging",
		    pc->name, rrtype_name(r->rrtype), buf);
		mp_addr_set_clear(&add);
		mp_addr_set_clear(&del);
	}
	for (size_t k = 0; k < in_dns->n; k++)
		if (!mp_eng_addr_is_member(e, r, &in_dns->v[k]) &&
		    !(r->in_dns_known &&
		      mp_addr_set_contains(&r->in_dns, &in_dns->v[k])))
			warn_foreign(e, r, &in_dns->v[k]);
	mp_eng_servfail_explain(e, r, in_dns);
	mp_addr_set_copy(&r->in_dns, in_dns);
	r->in_dns_known = true;
}
