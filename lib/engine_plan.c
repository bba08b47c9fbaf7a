/* The engine's planning: the desired set of each RRset (selection), its
 * diff against DNS, the rate limit, and the results of UPDATEs. */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "error.h"
#include "select.h"

/* ---- selection and planning ------------------------------------------- */

void mp_eng_select_item(struct mp_engine *e, const struct mp_target *t,
			const struct mp_rrset *r, struct mp_select_item *it)
{
	const struct mp_mirror_cfg *mc = eng_mirror(e, t);

	memset(it, 0, sizeof(*it));
	it->addr = &t->addr;
	it->mirror = mc->name;
	it->weight = mc->weight;
	it->up = mp_eng_up(e, t);
	it->drained = mp_eng_drained(e, t);
	it->suppressed = t->health.damping.suppressed;
	it->published = mp_addr_set_contains(&r->in_dns, &t->addr);
	it->drawn = r->has_draw && mp_addr_set_contains(&r->drawn, &t->addr);
	it->latency_ms =
	    t->health.has_result ? t->health.last.latency_ms : UINT32_MAX;
	it->last_ok_at_ms = t->health.last_ok_at_ms;
}

/*
 * Computes the desired set of RRset r. extra_drain (may be NULL) is treated as
 * drained too (to simulate a drain). Returns the selection result.
 */
int mp_eng_compute_desired(struct mp_engine *e, struct mp_rrset *r,
			   const struct mp_target *extra_drain,
			   const struct mp_mirror_cfg *extra_mirror,
			   struct mp_addr_set *out,
			   struct mp_select_result *res, size_t *n_up_selected)
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
		if (!mp_eng_target_in_rrset(e, t, r))
			continue;
		mc = eng_mirror(e, t);
		mp_eng_select_item(e, t, r, &items[n]);
		if (t == extra_drain || mc == extra_mirror)
			items[n].drained = true;
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
		if (!mp_eng_target_in_rrset(e, t, r) ||
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
	bool floor =
	    res->n_floor_kept > 0 || (res->below_floor && r->has_members);
	bool freeze = res->n_freeze_kept > 0;
	bool empty = res->n_empty_kept > 0 || empty_kept;
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;

	f.pool = pc->name;

	if (floor && !r->floor_logged)
		mp_logf(LOG_WARNING, &f,
			"%s %s: floor engaged: %zu healthy of min_healthy %u; "
			"keeping %zu unhealthy address%s published",
			pc->name, ty, res->n_candidates, pc->min_healthy,
			res->n_floor_kept, res->n_floor_kept == 1 ? "" : "es");
	else if (!floor && r->floor_logged)
		mp_logf(LOG_NOTICE, &f, "%s %s: floor released: %zu healthy",
			pc->name, ty, res->n_candidates);
	r->floor_logged = floor;
	if (freeze && !r->freeze_logged)
		mp_logf(
		    LOG_WARNING, &f,
		    "%s %s: freeze holds %zu address%s that would be removed",
		    pc->name, ty, res->n_freeze_kept,
		    res->n_freeze_kept == 1 ? "" : "es");
	else if (!freeze && r->freeze_logged)
		mp_logf(LOG_NOTICE, &f,
			"%s %s: freeze no longer holds any address", pc->name,
			ty);
	r->freeze_logged = freeze;
	if (empty && !r->empty_logged)
		mp_logf(LOG_WARNING, &f,
			"%s %s: every address is unhealthy; keeping what is "
			"published rather than emptying the RRset",
			pc->name, ty);
	else if (!empty && r->empty_logged)
		mp_logf(LOG_NOTICE, &f, "%s %s: healthy addresses are back",
			pc->name, ty);
	r->empty_logged = empty;
}

static int plan_add(struct mp_plan *plan, size_t rrset, struct mp_addr_set *add,
		    struct mp_addr_set *del)
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

int mp_engine_plan(struct mp_engine *e, struct mp_time now,
		   struct mp_plan *plan, uint64_t *next_ms)
{
	const uint64_t now_ms = now.mono_ms;
	uint64_t next = UINT64_MAX;

	plan->items = NULL;
	plan->n = 0;
	plan->operator= false;
	if (e->cfg->vantage.enabled) {
		/* an observer publishes its view and never touches a pool */
		if (e->cfg->vantage.role == MP_ROLE_OBSERVER) {
			*next_ms = UINT64_MAX;
			return 0;
		}
		mp_eng_vote(e, now_ms, &next);
	}
	for (size_t i = 0; i < e->n_rrsets; i++) {
		struct mp_rrset *r = &e->rrsets[i];
		const struct mp_pool_cfg *pc = eng_pool(e, r->pool);
		struct mp_select_result res;
		struct mp_addr_set add, del;
		enum mp_ratelimit_reason why;
		bool empty_kept = false;
		uint64_t when;
		struct mp_log_fields f = MP_LOG_FIELDS_INIT;

		if (!r->in_dns_known)
			continue;
		f.pool = pc->name;
		if (mp_eng_rotate(e, r, now_ms, &next) != MP_OK)
			return MP_ENOMEM;
		if (mp_eng_compute_desired(e, r, NULL, NULL, &r->desired, &res,
					   NULL) != MP_OK)
			return MP_ENOMEM;
		/* Never empty an RRset by health alone, not even one holding
		 * only foreign records: only a forced drain may. */
		if (r->desired.n == 0 && r->in_dns.n > 0 &&
		    !forced_drain_in(e, r)) {
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
				mp_logf(LOG_INFO, &f,
					"%s %s: rate limit released", pc->name,
					rrtype_name(r->rrtype));
			r->ratelimit_logged = false;
			continue;
		}
		when = mp_ratelimit_next(&r->rl, &e->cfg->update, now_ms, &why);
		if (!r->operator_pending && when > now_ms) {
			if (!r->ratelimit_logged) {
				char d[32];
				mp_duration_human(when - now_ms, d, sizeof(d));
				mp_logf(
				    LOG_NOTICE, &f,
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
			plan->operator= true;
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

	mp_eng_describe_sets(&it->add, &it->del, sets, sizeof(sets));
	snprintf(buf, len, "%s %s %s", eng_pool(e, r->pool)->name,
		 rrtype_name(r->rrtype), sets);
}

void mp_engine_update_result(struct mp_engine *e, const struct mp_plan *plan,
			     enum mp_update_status st, const char *rcode,
			     struct mp_time now)
{
	const uint64_t now_ms = now.mono_ms;
	for (size_t i = 0; i < plan->n; i++) {
		const struct mp_plan_item *it = &plan->items[i];
		struct mp_rrset *r = &e->rrsets[it->rrset];

		r->has_last = true;
		r->last_at_s = now.wall_ms / 1000;
		snprintf(r->last_rcode, sizeof(r->last_rcode), "%s",
			 rcode ? rcode
			       : (st == MP_UPDATE_DONE ? "NOERROR" : "FAILED"));
		mp_addr_set_copy(&r->last_added, &it->add);
		mp_addr_set_copy(&r->last_removed, &it->del);
		mp_eng_servfail_noted(r, r->last_rcode);
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
			    struct mp_time now)
{
	const uint64_t now_ms = now.mono_ms;
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
