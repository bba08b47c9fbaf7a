/* The engine's core: targets, RRsets, events, planning and drains. */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "error.h"
#include "select.h"

void mp_eng_fields(struct mp_engine *e, const struct mp_target *t,
		   struct mp_log_fields *f)
{
	struct mp_log_fields init = MP_LOG_FIELDS_INIT;

	*f = init;
	f->pool = eng_pool(e, t->pool)->name;
	f->mirror = eng_mirror(e, t)->name;
	f->address = t->addr.text;
	f->state = mp_health_state_name(t->health.state);
}

bool mp_eng_drained(struct mp_engine *e, const struct mp_target *t)
{
	return t->drain.active || eng_mirror_rt(e, t->pool, t->mirror)->drain.active;
}

void mp_plan_clear(struct mp_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		mp_addr_set_clear(&p->items[i].add);
		mp_addr_set_clear(&p->items[i].del);
	}
	free(p->items);
	p->items = NULL;
	p->n = 0;
	p->operator = false;
}

static void rrset_free(struct mp_rrset *r)
{
	mp_addr_set_clear(&r->in_dns);
	mp_addr_set_clear(&r->desired);
	mp_addr_set_clear(&r->last_added);
	mp_addr_set_clear(&r->last_removed);
	mp_addr_set_clear(&r->dry_logged);
	mp_ratelimit_free(&r->rl);
}

static void engine_release(struct mp_engine *e)
{
	for (size_t i = 0; i < e->n_rrsets; i++)
		rrset_free(&e->rrsets[i]);
	free(e->rrsets);
	free(e->targets);
	free(e->mirrors);
	free(e->mirror_base);
	free(e->sentinels);
	e->rrsets = NULL;
	e->targets = NULL;
	e->mirrors = NULL;
	e->mirror_base = NULL;
	e->sentinels = NULL;
	e->n_rrsets = e->n_targets = e->n_mirrors = 0;
}

void mp_engine_free(struct mp_engine *e)
{
	if (!e)
		return;
	engine_release(e);
	free(e->dns_error);
	free(e);
}

/* Builds targets, RRsets and mirror slots for cfg into e (empty). */
static int engine_build(struct mp_engine *e, const struct mp_config *cfg)
{
	size_t nt = 0, nm = 0, ti = 0;

	e->cfg = cfg;
	for (size_t p = 0; p < cfg->n_pools; p++)
		for (size_t m = 0; m < cfg->pools[p].n_mirrors; m++) {
			nt += cfg->pools[p].mirrors[m].n_addrs;
			nm++;
		}
	e->targets = calloc(nt ? nt : 1, sizeof(*e->targets));
	e->rrsets = calloc(cfg->n_pools * 2 + 1, sizeof(*e->rrsets));
	e->mirrors = calloc(nm ? nm : 1, sizeof(*e->mirrors));
	e->mirror_base = calloc(cfg->n_pools + 1, sizeof(*e->mirror_base));
	e->sentinels = calloc(cfg->guard.n_sentinels + 1, sizeof(*e->sentinels));
	if (!e->targets || !e->rrsets || !e->mirrors || !e->mirror_base ||
	    !e->sentinels)
		return MP_ENOMEM;
	e->n_mirrors = nm;
	nm = 0;
	for (size_t p = 0; p < cfg->n_pools; p++) {
		const struct mp_pool_cfg *pc = &cfg->pools[p];
		e->mirror_base[p] = nm;
		nm += pc->n_mirrors;
		for (int fam = 0; fam < 2; fam++) {
			struct mp_rrset *r = &e->rrsets[2 * p + (size_t)fam];
			r->pool = p;
			r->rrtype = fam == 0 ? 1 : 28;
			mp_addr_set_init(&r->in_dns);
			mp_addr_set_init(&r->desired);
			mp_addr_set_init(&r->last_added);
			mp_addr_set_init(&r->last_removed);
			mp_addr_set_init(&r->dry_logged);
			if (mp_ratelimit_init(&r->rl, &cfg->update) != MP_OK)
				return MP_ENOMEM;
			e->n_rrsets++;
		}
		for (size_t m = 0; m < pc->n_mirrors; m++) {
			const struct mp_mirror_cfg *mc = &pc->mirrors[m];
			for (size_t a = 0; a < mc->n_addrs; a++) {
				struct mp_target *t = &e->targets[ti++];
				t->pool = p;
				t->mirror = m;
				t->addr = mc->addrs[a];
				mp_health_init(&t->health);
				e->rrsets[2 * p + (mp_addr_rrtype(&t->addr) == 1 ? 0 : 1)]
					.has_members = true;
			}
		}
	}
	e->n_targets = ti;
	return MP_OK;
}

int mp_engine_new(const struct mp_config *cfg, mp_random_fn rnd,
		  uint64_t now_ms, struct mp_engine **out)
{
	struct mp_engine *e = calloc(1, sizeof(*e));
	int rc;

	(void)now_ms;
	*out = NULL;
	if (!e)
		return MP_ENOMEM;
	e->rnd = rnd;
	rc = engine_build(e, cfg);
	if (rc != MP_OK) {
		mp_engine_free(e);
		return rc;
	}
	*out = e;
	return MP_OK;
}

void mp_engine_set_dry_run(struct mp_engine *e, bool dry_run)
{
	e->dry_run = dry_run;
}

static struct mp_target *find_target(struct mp_engine *e, const char *pool,
				     const char *mirror,
				     const struct mp_addr *addr)
{
	for (size_t i = 0; i < e->n_targets; i++) {
		struct mp_target *t = &e->targets[i];
		if (strcmp(eng_pool(e, t->pool)->name, pool) == 0 &&
		    strcmp(eng_mirror(e, t)->name, mirror) == 0 &&
		    mp_addr_equal(&t->addr, addr))
			return t;
	}
	return NULL;
}

int mp_engine_reconfigure(struct mp_engine *e, const struct mp_config *cfg,
			  uint64_t now_ms)
{
	struct mp_engine old = *e, fresh;
	int rc;

	(void)now_ms;
	memset(&fresh, 0, sizeof(fresh));
	fresh.rnd = e->rnd;
	fresh.dry_run = e->dry_run;
	rc = engine_build(&fresh, cfg);
	if (rc != MP_OK) {
		engine_release(&fresh);
		return rc;
	}
	/* Carry over the state of everything that is still there. */
	for (size_t i = 0; i < fresh.n_targets; i++) {
		struct mp_target *t = &fresh.targets[i];
		struct mp_target *o = find_target(
			&old, cfg->pools[t->pool].name,
			cfg->pools[t->pool].mirrors[t->mirror].name, &t->addr);
		if (!o)
			continue;
		t->health = o->health;
		t->drain = o->drain;
		t->published = o->published;
		t->checks_ok = o->checks_ok;
		t->checks_fail = o->checks_fail;
	}
	for (size_t p = 0; p < cfg->n_pools; p++) {
		const struct mp_pool_cfg *np = &cfg->pools[p];
		for (size_t m = 0; m < np->n_mirrors; m++) {
			const struct mp_pool_cfg *opool = NULL;
			const struct mp_mirror_cfg *om = mp_config_mirror(
				old.cfg, np->mirrors[m].name, &opool);
			if (!om)
				continue;
			size_t op = (size_t)(opool - old.cfg->pools);
			size_t omi = (size_t)(om - opool->mirrors);
			*eng_mirror_rt(&fresh, p, m) =
				*eng_mirror_rt(&old, op, omi);
		}
		for (size_t op = 0; op < old.cfg->n_pools; op++) {
			if (strcmp(old.cfg->pools[op].name, np->name) != 0)
				continue;
			for (int fam = 0; fam < 2; fam++) {
				struct mp_rrset *nr = &fresh.rrsets[2 * p + (size_t)fam];
				struct mp_rrset *orr = &old.rrsets[2 * op + (size_t)fam];
				bool members = nr->has_members;
				rrset_free(nr);
				*nr = *orr;
				nr->pool = p;
				nr->has_members = members;
				/* keep the send history under a new max_per_hour */
				mp_ratelimit_resize(&nr->rl, &cfg->update);
				/* the old engine must not free what moved */
				memset(orr, 0, sizeof(*orr));
			}
		}
	}
	for (size_t s = 0; s < cfg->guard.n_sentinels; s++)
		for (size_t os = 0; os < old.cfg->guard.n_sentinels; os++)
			if (strcmp(cfg->guard.sentinels[s],
				   old.cfg->guard.sentinels[os]) == 0)
				fresh.sentinels[s] = old.sentinels[os];

	engine_release(e);
	e->cfg = cfg;
	e->targets = fresh.targets;
	e->n_targets = fresh.n_targets;
	e->rrsets = fresh.rrsets;
	e->n_rrsets = fresh.n_rrsets;
	e->mirrors = fresh.mirrors;
	e->mirror_base = fresh.mirror_base;
	e->n_mirrors = fresh.n_mirrors;
	e->sentinels = fresh.sentinels;
	e->dirty = true;
	/* other addresses and guard settings: count again at the next result */
	e->guard_known = false;
	return MP_OK;
}

const struct mp_config *mp_engine_config(const struct mp_engine *e)
{
	return e->cfg;
}

size_t mp_engine_n_targets(const struct mp_engine *e)
{
	return e->n_targets;
}

struct mp_target *mp_engine_target(struct mp_engine *e, size_t i)
{
	return i < e->n_targets ? &e->targets[i] : NULL;
}

const struct mp_check_cfg *mp_engine_target_check(const struct mp_engine *e,
						  size_t i)
{
	return &e->cfg->pools[e->targets[i].pool].check;
}

const struct mp_mirror_cfg *mp_engine_target_mirror(const struct mp_engine *e,
						    size_t i)
{
	const struct mp_target *t = &e->targets[i];
	return &e->cfg->pools[t->pool].mirrors[t->mirror];
}

const struct mp_pool_cfg *mp_engine_target_pool(const struct mp_engine *e,
						size_t i)
{
	return &e->cfg->pools[e->targets[i].pool];
}

size_t mp_engine_n_rrsets(const struct mp_engine *e)
{
	return e->n_rrsets;
}

struct mp_rrset *mp_engine_rrset(struct mp_engine *e, size_t i)
{
	return i < e->n_rrsets ? &e->rrsets[i] : NULL;
}

void mp_engine_dns_error(struct mp_engine *e, const char *error)
{
	free(e->dns_error);
	e->dns_error = error ? strdup(error) : NULL;
}

/* ---- guard ------------------------------------------------------------ */

/* Returns true when the freeze changed. */
static bool guard_evaluate(struct mp_engine *e)
{
	const struct mp_config *cfg = e->cfg;
	char reason[sizeof(e->freeze_reason)] = "";
	size_t n_checked = 0, n_failing = 0, s_fail = 0;
	bool frozen = false;

	if (cfg->guard.n_sentinels > 0) {
		for (size_t i = 0; i < cfg->guard.n_sentinels; i++)
			if (e->sentinels[i].has_result && !e->sentinels[i].ok)
				s_fail++;
		if (s_fail == cfg->guard.n_sentinels) {
			frozen = true;
			snprintf(reason, sizeof(reason),
				 "all %zu sentinels failing (last: %.100s)", s_fail,
				 e->sentinels[0].detail);
		}
	}
	if (!frozen && cfg->guard.all_down_freeze) {
		for (size_t i = 0; i < e->n_targets; i++) {
			const struct mp_health *h = &e->targets[i].health;
			if (!h->has_result)
				continue;
			n_checked++;
			if (!h->last.ok)
				n_failing++;
		}
		if (mp_guard_all_down(n_checked, n_failing)) {
			frozen = true;
			snprintf(reason, sizeof(reason),
				 "every checked address (%zu) is failing at once",
				 n_checked);
		}
	}
	if (frozen && !e->frozen)
		mp_log(LOG_WARNING,
		       "freeze engaged: %s; removals are suspended until it "
		       "clears (our own network is the likely culprit)",
		       reason);
	else if (!frozen && e->frozen)
		mp_log(LOG_NOTICE, "freeze released: %s no longer holds",
		       e->freeze_reason);
	bool changed = frozen != e->frozen;
	e->frozen = frozen;
	e->guard_known = true;
	if (frozen)
		snprintf(e->freeze_reason, sizeof(e->freeze_reason), "%s",
			 reason);
	else
		e->freeze_reason[0] = '\0';
	return changed;
}

bool mp_engine_frozen(const struct mp_engine *e, const char **reason)
{
	if (reason)
		*reason = e->frozen ? e->freeze_reason : NULL;
	return e->frozen;
}

bool mp_engine_sentinel_result(struct mp_engine *e, size_t i, bool ok,
			       const char *detail, uint64_t now_ms)
{
	struct mp_sentinel *s;

	(void)now_ms;
	if (i >= e->cfg->guard.n_sentinels)
		return false;
	s = &e->sentinels[i];
	if (!s->has_result || s->ok != ok)
		mp_log(ok ? LOG_INFO : LOG_WARNING, "sentinel %s: %s (%s)",
		       e->cfg->guard.sentinels[i], ok ? "reachable" : "failing",
		       detail ? detail : "");
	s->has_result = true;
	s->ok = ok;
	snprintf(s->detail, sizeof(s->detail), "%s", detail ? detail : "");
	return guard_evaluate(e);
}

/* ---- health ----------------------------------------------------------- */

bool mp_engine_check_result(struct mp_engine *e, size_t i,
			    const struct mp_check_result *r, uint64_t now_ms)
{
	struct mp_target *t;
	const struct mp_check_cfg *cc;
	enum mp_health_state before;
	enum mp_health_change ch;
	enum mp_damping_change dch = MP_DAMPING_NONE;
	struct mp_log_fields f;
	const char *mname;
	bool had_result, was_ok, guard_changed = false;

	if (i >= e->n_targets)
		return false;
	t = &e->targets[i];
	cc = mp_engine_target_check(e, i);
	before = t->health.state;
	had_result = t->health.has_result;
	was_ok = t->health.last.ok;
	ch = mp_health_record(&t->health, cc, &e->cfg->damping, r, &dch);
	if (r->ok)
		t->checks_ok++;
	else
		t->checks_fail++;
	mp_eng_fields(e, t, &f);
	f.reason = r->detail;
	mname = f.mirror;

	if (ch == MP_HEALTH_WENT_DOWN)
		mp_logf(LOG_WARNING, &f,
			"%s %s: %s -> down (%u/%u failures, last: %s in %u ms)",
			mname, t->addr.text, mp_health_state_name(before),
			t->health.consecutive_fail, cc->fall, r->detail,
			r->latency_ms);
	else if (ch == MP_HEALTH_WENT_UP)
		mp_logf(LOG_NOTICE, &f,
			"%s %s: %s -> up (%u/%u successes, last: %s in %u ms)",
			mname, t->addr.text, mp_health_state_name(before),
			t->health.consecutive_ok, cc->rise, r->detail,
			r->latency_ms);
	else if (!r->ok && t->health.state != MP_HEALTH_DOWN)
		mp_logf(LOG_INFO, &f, "%s %s: check failed (%u/%u): %s in %u ms",
			mname, t->addr.text, t->health.consecutive_fail,
			cc->fall, r->detail, r->latency_ms);
	else if (r->ok && t->health.state != MP_HEALTH_UP)
		mp_logf(LOG_INFO, &f, "%s %s: check passed (%u/%u): %s in %u ms",
			mname, t->addr.text, t->health.consecutive_ok, cc->rise,
			r->detail, r->latency_ms);
	else
		mp_logf(LOG_DEBUG, &f, "%s %s: %s in %u ms", mname,
			t->addr.text, r->detail, r->latency_ms);

	if (dch == MP_DAMPING_SUPPRESSED) {
		char when[32] = "";
		uint64_t at = mp_damping_reuse_at(&t->health.damping,
						  &e->cfg->damping);
		mp_duration_human(at > now_ms ? at - now_ms : 0, when,
				  sizeof(when));
		mp_logf(LOG_WARNING, &f,
			"%s %s: suppressed by flap damping (penalty %.0f > %u); "
			"held out of the pool, reuse in about %s",
			mname, t->addr.text,
			mp_damping_figure(&t->health.damping, &e->cfg->damping,
					  now_ms),
			e->cfg->damping.suppress, when);
	}
	if (dch != MP_DAMPING_NONE)
		e->dirty = true;
	/* The all-down guard counts checked and failing addresses over all
	 * targets; a result that leaves this one's count where it was (it
	 * had a result, with the same ok) cannot change the outcome, and a
	 * thousand addresses would make every check cost a thousand steps. */
	if (!e->guard_known || !had_result || was_ok != r->ok)
		guard_changed = guard_evaluate(e);
	return guard_changed || ch != MP_HEALTH_SAME ||
	       dch != MP_DAMPING_NONE;
}

/* ---- DNS view --------------------------------------------------------- */

static bool target_in_rrset(const struct mp_engine *e, const struct mp_target *t,
			    const struct mp_rrset *r)
{
	(void)e;
	return t->pool == r->pool && mp_addr_rrtype(&t->addr) == r->rrtype;
}

static bool addr_is_member(struct mp_engine *e, const struct mp_rrset *r,
			   const struct mp_addr *a)
{
	for (size_t i = 0; i < e->n_targets; i++)
		if (target_in_rrset(e, &e->targets[i], r) &&
		    mp_addr_equal(&e->targets[i].addr, a))
			return true;
	return false;
}

static void describe_sets(const struct mp_addr_set *add,
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

void mp_engine_dns_view(struct mp_engine *e, size_t i,
			const struct mp_addr_set *in_dns, uint64_t now_ms)
{
	struct mp_rrset *r;
	const struct mp_pool_cfg *pc;

	if (i >= e->n_rrsets)
		return;
	r = &e->rrsets[i];
	pc = eng_pool(e, r->pool);
	if (!r->in_dns_known) {
		for (size_t k = 0; k < e->n_targets; k++) {
			struct mp_target *t = &e->targets[k];
			bool present;
			if (!target_in_rrset(e, t, r))
				continue;
			present = mp_addr_set_contains(in_dns, &t->addr);
			if (mp_health_adopt(&t->health, present, now_ms)) {
				struct mp_log_fields f;
				mp_eng_fields(e, t, &f);
				mp_logf(LOG_INFO, &f,
					"%s %s: starts %s (%s in DNS)",
					f.mirror, t->addr.text,
					present ? "up" : "down",
					present ? "present" : "absent");
			}
		}
	} else if (!mp_addr_set_equal(&r->in_dns, in_dns)) {
		struct mp_addr_set add, del;
		char buf[1024];
		mp_addr_set_init(&add);
		mp_addr_set_init(&del);
		mp_rrset_diff(in_dns, &r->in_dns, &add, &del);
		describe_sets(&add, &del, buf, sizeof(buf));
		mp_log(LOG_WARNING,
		       "drift: %s %s changed on the primary outside mirrorpool "
		       "(%s); re-converging",
		       pc->name, rrtype_name(r->rrtype), buf);
		mp_addr_set_clear(&add);
		mp_addr_set_clear(&del);
	}
	for (size_t k = 0; k < in_dns->n; k++)
		if (!addr_is_member(e, r, &in_dns->v[k]) &&
		    !(r->in_dns_known &&
		      mp_addr_set_contains(&r->in_dns, &in_dns->v[k])))
			mp_log(LOG_WARNING,
			       "%s %s holds %s, which belongs to no configured "
			       "mirror; removing it",
			       pc->name, rrtype_name(r->rrtype),
			       in_dns->v[k].text);
	mp_addr_set_copy(&r->in_dns, in_dns);
	r->in_dns_known = true;
}

/* ---- time ------------------------------------------------------------- */

static void lift_drain(struct mp_engine *e, size_t pool, struct mp_drain *d)
{
	memset(d, 0, sizeof(*d));
	e->rrsets[2 * pool].operator_pending = true;
	e->rrsets[2 * pool + 1].operator_pending = true;
	e->dirty = true;
}

void mp_engine_tick(struct mp_engine *e, uint64_t now_ms)
{
	uint64_t now_s = now_ms / 1000;

	for (size_t p = 0; p < e->cfg->n_pools; p++)
		for (size_t m = 0; m < e->cfg->pools[p].n_mirrors; m++) {
			struct mp_drain *d = &eng_mirror_rt(e, p, m)->drain;
			if (d->active && d->until_s && now_s >= d->until_s) {
				struct mp_log_fields f = MP_LOG_FIELDS_INIT;
				f.pool = e->cfg->pools[p].name;
				f.mirror = e->cfg->pools[p].mirrors[m].name;
				mp_logf(LOG_NOTICE, &f,
					"drain of %s expired (was: %s); it returns "
					"once healthy",
					f.mirror, d->reason[0] ? d->reason : "no reason given");
				lift_drain(e, p, d);
			}
		}
	for (size_t i = 0; i < e->n_targets; i++) {
		struct mp_target *t = &e->targets[i];
		struct mp_log_fields f;
		if (t->drain.active && t->drain.until_s && now_s >= t->drain.until_s) {
			mp_eng_fields(e, t, &f);
			mp_logf(LOG_NOTICE, &f,
				"drain of %s %s expired (was: %s); it returns once "
				"healthy",
				f.mirror, t->addr.text,
				t->drain.reason[0] ? t->drain.reason : "no reason given");
			lift_drain(e, t->pool, &t->drain);
		}
		if (mp_damping_update(&t->health.damping, &e->cfg->damping,
				      now_ms) == MP_DAMPING_REUSED) {
			mp_eng_fields(e, t, &f);
			mp_logf(LOG_NOTICE, &f,
				"%s %s: flap damping released (penalty below %u); "
				"eligible again",
				f.mirror, t->addr.text, e->cfg->damping.reuse);
			e->dirty = true;
		}
	}
	guard_evaluate(e);
}

/* ---- selection and planning ------------------------------------------- */

/*
 * Computes the desired set of RRset r. extra_drain (may be NULL) is treated as
 * drained too (to simulate a drain). Returns the selection result.
 */
static int compute_desired(struct mp_engine *e, struct mp_rrset *r,
			   const struct mp_target *extra_drain,
			   const struct mp_mirror_cfg *extra_mirror,
			   struct mp_addr_set *out, struct mp_select_result *res,
			   size_t *n_up_selected)
{
	const struct mp_pool_cfg *pc = eng_pool(e, r->pool);
	struct mp_select_item *items;
	bool *publish;
	size_t n = 0;
	struct mp_select_params sp;
	int rc = MP_OK;

	items = calloc(e->n_targets + 1, sizeof(*items));
	publish = calloc(e->n_targets + 1, sizeof(*publish));
	if (!items || !publish) {
		rc = MP_ENOMEM;
		goto cleanup;
	}
	for (size_t k = 0; k < e->n_targets; k++) {
		struct mp_target *t = &e->targets[k];
		const struct mp_mirror_cfg *mc;
		if (!target_in_rrset(e, t, r))
			continue;
		mc = eng_mirror(e, t);
		items[n].addr = &t->addr;
		items[n].mirror = mc->name;
		items[n].weight = mc->weight;
		items[n].up = t->health.state == MP_HEALTH_UP;
		items[n].drained = mp_eng_drained(e, t) || t == extra_drain ||
				   mc == extra_mirror;
		items[n].suppressed = t->health.damping.suppressed;
		items[n].published = mp_addr_set_contains(&r->in_dns, &t->addr);
		items[n].latency_ms = t->health.has_result
					      ? t->health.last.latency_ms
					      : UINT32_MAX;
		items[n].last_ok_at_ms = t->health.last_ok_at_ms;
		n++;
	}
	sp.min_healthy = pc->min_healthy;
	sp.max_published = pc->max_published;
	sp.frozen = e->frozen;
	mp_select(items, n, &sp, publish, res);
	mp_addr_set_clear(out);
	if (n_up_selected)
		*n_up_selected = 0;
	for (size_t k = 0; k < n; k++) {
		if (!publish[k])
			continue;
		if (mp_addr_set_add(out, items[k].addr) != MP_OK)
			rc = MP_ENOMEM;
		if (n_up_selected && items[k].up && !items[k].drained &&
		    !items[k].suppressed && items[k].weight > 0)
			(*n_up_selected)++;
	}
cleanup:
	free(items);
	free(publish);
	return rc;
}

/* True when some address in DNS is drained with --force. */
static bool forced_drain_in(struct mp_engine *e, const struct mp_rrset *r)
{
	for (size_t k = 0; k < e->n_targets; k++) {
		struct mp_target *t = &e->targets[k];
		if (!target_in_rrset(e, t, r) ||
		    !mp_addr_set_contains(&r->in_dns, &t->addr))
			continue;
		if ((t->drain.active && t->drain.force) ||
		    (eng_mirror_rt(e, t->pool, t->mirror)->drain.active &&
		     eng_mirror_rt(e, t->pool, t->mirror)->drain.force))
			return true;
	}
	return false;
}

static void update_published_flags(struct mp_engine *e)
{
	for (size_t k = 0; k < e->n_targets; k++) {
		struct mp_target *t = &e->targets[k];
		struct mp_rrset *r =
			&e->rrsets[2 * t->pool +
				   (mp_addr_rrtype(&t->addr) == 1 ? 0 : 1)];
		t->published = mp_addr_set_contains(&r->desired, &t->addr);
	}
}

/* Logs floor/freeze/empty engagement once per engagement. */
static void log_engagements(struct mp_engine *e, struct mp_rrset *r,
			    const struct mp_select_result *res, bool empty_kept)
{
	const struct mp_pool_cfg *pc = eng_pool(e, r->pool);
	const char *ty = rrtype_name(r->rrtype);
	/* an RRset without members of its type (no AAAA configured) has no
	 * floor to speak of */
	bool floor = res->n_floor_kept > 0 ||
		     (res->below_floor && r->has_members);
	bool freeze = res->n_freeze_kept > 0;
	bool empty = res->n_empty_kept > 0 || empty_kept;

	if (floor && !r->floor_logged)
		mp_log(LOG_WARNING,
		       "%s %s: floor engaged: %zu healthy of min_healthy %u; "
		       "keeping %zu unhealthy address%s published",
		       pc->name, ty, res->n_candidates, pc->min_healthy,
		       res->n_floor_kept, res->n_floor_kept == 1 ? "" : "es");
	else if (!floor && r->floor_logged)
		mp_log(LOG_NOTICE, "%s %s: floor released: %zu healthy",
		       pc->name, ty, res->n_candidates);
	r->floor_logged = floor;
	if (freeze && !r->freeze_logged)
		mp_log(LOG_WARNING,
		       "%s %s: freeze holds %zu address%s that would be removed",
		       pc->name, ty, res->n_freeze_kept,
		       res->n_freeze_kept == 1 ? "" : "es");
	else if (!freeze && r->freeze_logged)
		mp_log(LOG_NOTICE, "%s %s: freeze no longer holds any address",
		       pc->name, ty);
	r->freeze_logged = freeze;
	if (empty && !r->empty_logged)
		mp_log(LOG_WARNING,
		       "%s %s: every address is unhealthy; keeping what is "
		       "published rather than emptying the RRset",
		       pc->name, ty);
	else if (!empty && r->empty_logged)
		mp_log(LOG_NOTICE, "%s %s: healthy addresses are back",
		       pc->name, ty);
	r->empty_logged = empty;
}

static int plan_add(struct mp_plan *plan, size_t rrset,
		    struct mp_addr_set *add, struct mp_addr_set *del)
{
	struct mp_plan_item *ni =
		realloc(plan->items, (plan->n + 1) * sizeof(*plan->items));
	if (!ni)
		return MP_ENOMEM;
	plan->items = ni;
	ni[plan->n].rrset = rrset;
	ni[plan->n].add = *add;
	ni[plan->n].del = *del;
	mp_addr_set_init(add);
	mp_addr_set_init(del);
	plan->n++;
	return MP_OK;
}

int mp_engine_plan(struct mp_engine *e, uint64_t now_ms, struct mp_plan *plan,
		   uint64_t *next_ms)
{
	uint64_t next = UINT64_MAX;

	plan->items = NULL;
	plan->n = 0;
	plan->operator = false;
	for (size_t i = 0; i < e->n_rrsets; i++) {
		struct mp_rrset *r = &e->rrsets[i];
		const struct mp_pool_cfg *pc = eng_pool(e, r->pool);
		struct mp_select_result res;
		struct mp_addr_set add, del;
		enum mp_ratelimit_reason why;
		bool empty_kept = false;
		uint64_t when;

		if (!r->in_dns_known)
			continue;
		if (compute_desired(e, r, NULL, NULL, &r->desired, &res,
				    NULL) != MP_OK)
			return MP_ENOMEM;
		/* Foreign-only RRsets: do not empty them by health alone. */
		if (r->desired.n == 0 && r->in_dns.n > 0 &&
		    !forced_drain_in(e, r) && res.n_selected == 0 &&
		    !r->has_members) {
			mp_addr_set_copy(&r->desired, &r->in_dns);
			empty_kept = true;
		}
		log_engagements(e, r, &res, empty_kept);
		if (r->dry_has_logged && e->dry_run &&
		    mp_addr_set_equal(&r->desired, &r->dry_logged))
			continue;
		mp_addr_set_init(&add);
		mp_addr_set_init(&del);
		if (mp_rrset_diff(&r->desired, &r->in_dns, &add, &del) != MP_OK)
			return MP_ENOMEM;
		if (add.n == 0 && del.n == 0) {
			r->operator_pending = false;
			if (r->ratelimit_logged)
				mp_log(LOG_INFO, "%s %s: rate limit released",
				       pc->name, rrtype_name(r->rrtype));
			r->ratelimit_logged = false;
			continue;
		}
		when = mp_ratelimit_next(&r->rl, &e->cfg->update, now_ms, &why);
		if (!r->operator_pending && when > now_ms) {
			if (!r->ratelimit_logged) {
				char d[32];
				mp_duration_human(when - now_ms, d, sizeof(d));
				mp_log(LOG_NOTICE,
				       "%s %s: rate limit engaged (%s); change "
				       "deferred %s",
				       pc->name, rrtype_name(r->rrtype),
				       why == MP_RL_PER_HOUR
					       ? "max_per_hour reached"
					       : "min_interval",
				       d);
				r->ratelimit_logged = true;
			}
			if (when < next)
				next = when;
			mp_addr_set_clear(&add);
			mp_addr_set_clear(&del);
			continue;
		}
		if (r->operator_pending)
			plan->operator = true;
		if (plan_add(plan, i, &add, &del) != MP_OK) {
			mp_addr_set_clear(&add);
			mp_addr_set_clear(&del);
			mp_plan_clear(plan);
			return MP_ENOMEM;
		}
	}
	update_published_flags(e);
	*next_ms = next;
	return plan->n > 0 ? 1 : 0;
}

void mp_plan_item_describe(struct mp_engine *e, const struct mp_plan_item *it,
			   char *buf, size_t len)
{
	const struct mp_rrset *r = &e->rrsets[it->rrset];
	char sets[900];

	describe_sets(&it->add, &it->del, sets, sizeof(sets));
	snprintf(buf, len, "%s %s %s", eng_pool(e, r->pool)->name,
		 rrtype_name(r->rrtype), sets);
}

void mp_engine_update_result(struct mp_engine *e, const struct mp_plan *plan,
			     enum mp_update_status st, const char *rcode,
			     uint64_t now_ms)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct mp_plan_item *it = &plan->items[i];
		struct mp_rrset *r = &e->rrsets[it->rrset];

		r->has_last = true;
		r->last_at_s = now_ms / 1000;
		snprintf(r->last_rcode, sizeof(r->last_rcode), "%s",
			 rcode ? rcode : (st == MP_UPDATE_DONE ? "NOERROR" : "FAILED"));
		mp_addr_set_copy(&r->last_added, &it->add);
		mp_addr_set_copy(&r->last_removed, &it->del);
		if (st != MP_UPDATE_DONE) {
			r->updates_failed++;
			continue;
		}
		r->updates_ok++;
		for (size_t k = 0; k < it->del.n; k++)
			mp_addr_set_remove(&r->in_dns, &it->del.v[k]);
		for (size_t k = 0; k < it->add.n; k++)
			mp_addr_set_add(&r->in_dns, &it->add.v[k]);
		mp_ratelimit_record(&r->rl, now_ms);
		r->operator_pending = false;
	}
}

bool mp_engine_dry_run_note(struct mp_engine *e, const struct mp_plan *plan,
			    uint64_t now_ms)
{
	bool changed = false;

	for (size_t i = 0; i < plan->n; i++) {
		struct mp_rrset *r = &e->rrsets[plan->items[i].rrset];
		if (!r->dry_has_logged ||
		    !mp_addr_set_equal(&r->dry_logged, &r->desired))
			changed = true;
		mp_addr_set_copy(&r->dry_logged, &r->desired);
		r->dry_has_logged = true;
		r->operator_pending = false;
		mp_ratelimit_record(&r->rl, now_ms);
	}
	return changed;
}

/* ---- drains ----------------------------------------------------------- */

static const struct mp_mirror_cfg *find_mirror(struct mp_engine *e,
					       const char *name, size_t *pool,
					       size_t *mirror)
{
	for (size_t p = 0; p < e->cfg->n_pools; p++)
		for (size_t m = 0; m < e->cfg->pools[p].n_mirrors; m++)
			if (strcmp(e->cfg->pools[p].mirrors[m].name, name) == 0) {
				*pool = p;
				*mirror = m;
				return &e->cfg->pools[p].mirrors[m];
			}
	return NULL;
}

static struct mp_target *find_mirror_target(struct mp_engine *e, size_t pool,
					    size_t mirror,
					    const struct mp_addr *a)
{
	for (size_t k = 0; k < e->n_targets; k++) {
		struct mp_target *t = &e->targets[k];
		if (t->pool == pool && t->mirror == mirror &&
		    mp_addr_equal(&t->addr, a))
			return t;
	}
	return NULL;
}

/* Would draining (mirror or one target) push an RRset below its floor? */
static int drain_check_floor(struct mp_engine *e, size_t pool,
			     const struct mp_mirror_cfg *mc,
			     const struct mp_target *only, char *err,
			     size_t errlen)
{
	const struct mp_pool_cfg *pc = eng_pool(e, pool);

	for (int fam = 0; fam < 2; fam++) {
		struct mp_rrset *r = &e->rrsets[2 * pool + (size_t)fam];
		struct mp_addr_set before, after;
		struct mp_select_result res;
		size_t up_before = 0, up_after = 0;
		unsigned floor = pc->min_healthy ? pc->min_healthy : 1;
		bool affects = false;

		for (size_t k = 0; k < e->n_targets; k++) {
			const struct mp_target *t = &e->targets[k];
			if (!target_in_rrset(e, t, r))
				continue;
			if ((only && t == only) ||
			    (!only && eng_mirror(e, t) == mc))
				affects = true;
		}
		if (!affects)
			continue;
		mp_addr_set_init(&before);
		mp_addr_set_init(&after);
		compute_desired(e, r, NULL, NULL, &before, &res, &up_before);
		compute_desired(e, r, only, only ? NULL : mc, &after, &res,
				&up_after);
		mp_addr_set_clear(&before);
		mp_addr_set_clear(&after);
		if (up_after < floor && up_after < up_before) {
			snprintf(err, errlen,
				 "draining %s%s%s would leave %s %s with %zu "
				 "healthy address%s (min_healthy %u); use --force "
				 "to drain anyway",
				 mc->name, only ? " " : "",
				 only ? only->addr.text : "", pc->name,
				 rrtype_name(r->rrtype), up_after,
				 up_after == 1 ? "" : "es", pc->min_healthy);
			return MP_EREFUSED;
		}
	}
	return MP_OK;
}

int mp_engine_drain(struct mp_engine *e, const struct mp_drain_request *rq,
		    uint64_t now_ms, char *err, size_t errlen)
{
	size_t pool, mirror;
	const struct mp_mirror_cfg *mc = find_mirror(e, rq->mirror, &pool, &mirror);
	struct mp_target *only = NULL;
	struct mp_drain *d;
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;
	char until[64] = "";
	int rc;

	if (!mc) {
		snprintf(err, errlen, "no mirror named \"%s\"", rq->mirror);
		return MP_ENOENT;
	}
	if (rq->address) {
		only = find_mirror_target(e, pool, mirror, rq->address);
		if (!only) {
			snprintf(err, errlen, "mirror %s has no address %s",
				 mc->name, rq->address->text);
			return MP_ENOENT;
		}
	}
	if (!rq->force) {
		rc = drain_check_floor(e, pool, mc, only, err, errlen);
		if (rc != MP_OK)
			return rc;
	}
	d = only ? &only->drain : &eng_mirror_rt(e, pool, mirror)->drain;
	d->active = true;
	d->force = rq->force;
	snprintf(d->reason, sizeof(d->reason), "%s", rq->reason ? rq->reason : "");
	snprintf(d->by, sizeof(d->by), "%s", rq->by ? rq->by : "");
	d->uid = rq->uid;
	d->since_s = now_ms / 1000;
	d->until_s = rq->for_ms ? (now_ms + rq->for_ms + 999) / 1000 : 0;
	e->rrsets[2 * pool].operator_pending = true;
	e->rrsets[2 * pool + 1].operator_pending = true;
	e->dirty = true;

	if (rq->for_ms) {
		char dur[32];
		mp_duration_human(rq->for_ms, dur, sizeof(dur));
		snprintf(until, sizeof(until), " for %s", dur);
	}
	f.pool = eng_pool(e, pool)->name;
	f.mirror = mc->name;
	f.address = only ? only->addr.text : NULL;
	f.reason = d->reason;
	f.caller_uid = rq->uid;
	mp_logf(rq->force ? LOG_WARNING : LOG_NOTICE, &f,
		"%s%s%s drained%s by %s (uid %ld)%s: %s; bypassing the update "
		"rate limits",
		mc->name, only ? " " : "", only ? only->addr.text : "",
		rq->force ? " with --force" : "", d->by[0] ? d->by : "?",
		rq->uid, until, d->reason[0] ? d->reason : "no reason given");
	return MP_OK;
}

int mp_engine_undrain(struct mp_engine *e, const char *mirror_name,
		      const struct mp_addr *address, const char *by, long uid,
		      uint64_t now_ms, char *err, size_t errlen)
{
	size_t pool, mirror;
	const struct mp_mirror_cfg *mc =
		find_mirror(e, mirror_name, &pool, &mirror);
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;
	struct mp_drain *md;
	bool lifted = false;

	(void)now_ms;
	if (!mc) {
		snprintf(err, errlen, "no mirror named \"%s\"", mirror_name);
		return MP_ENOENT;
	}
	md = &eng_mirror_rt(e, pool, mirror)->drain;
	if (address) {
		struct mp_target *t = find_mirror_target(e, pool, mirror, address);
		if (!t) {
			snprintf(err, errlen, "mirror %s has no address %s",
				 mc->name, address->text);
			return MP_ENOENT;
		}
		if (!t->drain.active) {
			snprintf(err, errlen, "%s %s is not drained%s", mc->name,
				 address->text,
				 md->active ? " on its own (the whole mirror is: "
					      "undrain the mirror)"
					    : "");
			return MP_ENOENT;
		}
		lift_drain(e, pool, &t->drain);
		lifted = true;
	} else {
		if (md->active) {
			lift_drain(e, pool, md);
			lifted = true;
		}
		for (size_t k = 0; k < e->n_targets; k++) {
			struct mp_target *t = &e->targets[k];
			if (t->pool == pool && t->mirror == mirror &&
			    t->drain.active) {
				lift_drain(e, pool, &t->drain);
				lifted = true;
			}
		}
		if (!lifted) {
			snprintf(err, errlen, "mirror %s is not drained", mc->name);
			return MP_ENOENT;
		}
	}
	f.pool = eng_pool(e, pool)->name;
	f.mirror = mc->name;
	f.address = address ? address->text : NULL;
	f.caller_uid = uid;
	mp_logf(LOG_NOTICE, &f,
		"%s%s%s undrained by %s (uid %ld); it returns once healthy, "
		"bypassing the update rate limits",
		mc->name, address ? " " : "", address ? address->text : "",
		by && by[0] ? by : "?", uid);
	return MP_OK;
}

bool mp_engine_state_dirty(struct mp_engine *e, bool clear)
{
	bool d = e->dirty;
	if (clear)
		e->dirty = false;
	return d;
}
