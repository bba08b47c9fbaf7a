/* The engine's core: targets, RRsets, events, planning and drains. */
#include "engine_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "error.h"

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
	return t->drain.active ||
	       eng_mirror_rt(e, t->pool, t->mirror)->drain.active;
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
	p->operator= false;
}

static void rrset_free(struct mp_rrset *r)
{
	mp_addr_set_clear(&r->in_dns);
	mp_addr_set_clear(&r->desired);
	mp_addr_set_clear(&r->last_added);
	mp_addr_set_clear(&r->last_removed);
	mp_addr_set_clear(&r->dry_logged);
	mp_addr_set_clear(&r->drawn);
	mp_ratelimit_free(&r->rl);
}

static void engine_release(struct mp_engine *e)
{
	for (size_t i = 0; i < e->n_rrsets; i++)
		rrset_free(&e->rrsets[i]);
	for (size_t i = 0; i < e->n_targets; i++) {
		free(e->targets[i].cert_subject);
		free(e->targets[i].cert_issuer);
	}
	free(e->rrsets);
	free(e->targets);
	free(e->mirrors);
	free(e->mirror_base);
	free(e->sentinels);
	mp_eng_views_free(e);
	mp_eng_json_free(e);
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
	e->sentinels =
	    calloc(cfg->guard.n_sentinels + 1, sizeof(*e->sentinels));
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
			mp_addr_set_init(&r->drawn);
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
				e->rrsets[2 * p + (mp_addr_rrtype(&t->addr) == 1
						       ? 0
						       : 1)]
				    .has_members = true;
			}
		}
	}
	e->n_targets = ti;
	return mp_eng_views_build(e, NULL);
}

int mp_engine_new(const struct mp_config *cfg, mp_random_fn rnd,
		  struct mp_time now, struct mp_engine **out)
{
	const uint64_t now_ms = now.mono_ms;
	struct mp_engine *e = calloc(1, sizeof(*e));
	int rc;

	(void)now_ms;
	*out = NULL;
	if (!e)
		return MP_ENOMEM;
	e->rnd = rnd;
	rc = engine_build(e, cfg);
	if (rc == MP_OK)
		rc = mp_eng_json_build(e, NULL);
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
			  struct mp_time now)
{
	const uint64_t now_ms = now.mono_ms;
	struct mp_engine old = *e, fresh;
	int rc;

	memset(&fresh, 0, sizeof(fresh));
	fresh.rnd = e->rnd;
	fresh.dry_run = e->dry_run;
	rc = engine_build(&fresh, cfg);
	if (rc != MP_OK) {
		engine_release(&fresh);
		return rc;
	}
	/* views of nodes still in the group keep their age */
	mp_eng_views_free(&fresh);
	rc = mp_eng_views_build(&fresh, &old);
	if (rc != MP_OK) {
		engine_release(&fresh);
		return rc;
	}
	/* JSON pools move over by name; nothing below fails */
	rc = mp_eng_json_build(&fresh, &old);
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
		t->voted = o->voted;
		t->vote = o->vote;
		t->cert_subject = o->cert_subject;
		t->cert_issuer = o->cert_issuer;
		o->cert_subject = o->cert_issuer = NULL; /* moved */
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
				struct mp_rrset *nr =
				    &fresh.rrsets[2 * p + (size_t)fam];
				struct mp_rrset *orr =
				    &old.rrsets[2 * op + (size_t)fam];
				bool members = nr->has_members;
				rrset_free(nr);
				*nr = *orr;
				nr->pool = p;
				nr->has_members = members;
				/* keep the send history under a new
				 * max_per_hour */
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
	e->views = fresh.views;
	e->n_views = fresh.n_views;
	e->jpools = fresh.jpools;
	e->n_jpools = fresh.n_jpools;
	e->dirty = true;
	/* other addresses and guard settings: count again at the next result */
	e->guard_known = false;
	mp_eng_view_after_reload(e, now_ms);
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

/* ---- health ----------------------------------------------------------- */

/* *dst becomes a copy of src when src differs (NULL src: kept as it is, a
 * check without a handshake says nothing new; out of memory: kept too). */
static void keep_str(char **dst, const char *src)
{
	char *c;

	if (!src || (*dst && strcmp(*dst, src) == 0))
		return;
	c = strdup(src);
	if (!c)
		return;
	free(*dst);
	*dst = c;
}

bool mp_engine_check_result(struct mp_engine *e, size_t i,
			    const struct mp_check_result *r, struct mp_time now)
{
	const uint64_t now_ms = now.mono_ms;
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
	if (e->frozen) {
		/* The freeze says the failures are ours (our network), not the
		 * mirrors': count them, but let no address go down on them.
		 * When the freeze ends, a mirror that is really down goes down
		 * at its next failure, and one that recovers was never out. */
		struct mp_check_cfg held = *cc;
		held.fall = UINT_MAX;
		ch = mp_health_record(&t->health, &held, &e->cfg->damping, r,
				      &dch);
	} else {
		ch =
		    mp_health_record(&t->health, cc, &e->cfg->damping, r, &dch);
	}
	if (r->ok)
		t->checks_ok++;
	else
		t->checks_fail++;
	mp_eng_fields(e, t, &f);
	f.reason = r->detail;
	mname = f.mirror;
	keep_str(&t->cert_subject, r->cert_subject);
	keep_str(&t->cert_issuer, r->cert_issuer);
	mp_cert_watch_log(&f, r, (int64_t)(now.wall_ms / 1000));

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
		mp_logf(LOG_INFO, &f,
			"%s %s: check failed (%u/%u%s): %s in %u ms", mname,
			t->addr.text, t->health.consecutive_fail, cc->fall,
			e->frozen && t->health.consecutive_fail >= cc->fall
			    ? ", kept up by the freeze"
			    : "",
			r->detail, r->latency_ms);
	else if (r->ok && t->health.state != MP_HEALTH_UP)
		mp_logf(LOG_INFO, &f,
			"%s %s: check passed (%u/%u): %s in %u ms", mname,
			t->addr.text, t->health.consecutive_ok, cc->rise,
			r->detail, r->latency_ms);
	else
		mp_logf(LOG_DEBUG, &f, "%s %s: %s in %u ms", mname,
			t->addr.text, r->detail, r->latency_ms);

	if (dch == MP_DAMPING_SUPPRESSED) {
		char when[32] = "";
		uint64_t at =
		    mp_damping_reuse_at(&t->health.damping, &e->cfg->damping);
		mp_duration_human(at > now_ms ? at - now_ms : 0, when,
				  sizeof(when));
		mp_logf(
		    LOG_WARNING, &f,
		    "%s %s: suppressed by flap damping (penalty %.0f > %u); "
		    "held out of the pool, reuse in about %s",
		    mname, t->addr.text,
		    mp_damping_figure(&t->health.damping, &e->cfg->damping,
				      now_ms),
		    e->cfg->damping.suppress, when);
	}
	/* a suppression began or ended, or a flap penalty was added (up ->
	 * down): the state file is to hold it (written paced) */
	if (dch != MP_DAMPING_NONE ||
	    (ch == MP_HEALTH_WENT_DOWN && before == MP_HEALTH_UP))
		e->dirty = true;
	/* The all-down guard counts checked and failing addresses over all
	 * targets; a result that leaves this one's count where it was (it
	 * had a result, with the same ok) cannot change the outcome, and a
	 * thousand addresses would make every check cost a thousand steps. */
	if (!e->guard_known || !had_result || was_ok != r->ok)
		guard_changed = mp_eng_guard_evaluate(e);
	return guard_changed || ch != MP_HEALTH_SAME || dch != MP_DAMPING_NONE;
}

/* ---- time ------------------------------------------------------------- */

void mp_eng_lift_drain(struct mp_engine *e, size_t pool, struct mp_drain *d)
{
	memset(d, 0, sizeof(*d));
	e->rrsets[2 * pool].operator_pending = true;
	e->rrsets[2 * pool + 1].operator_pending = true;
	e->dirty = true;
}

bool mp_engine_state_dirty(struct mp_engine *e, bool clear)
{
	bool d = e->dirty;
	if (clear)
		e->dirty = false;
	return d;
}
