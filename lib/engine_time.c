/* Time-driven work of the engine: what happens when a deadline passes
 * (a drain's `for` ends, a damped address may be reused) and when the next
 * such deadline is, so that the daemon wakes only then. */
#include "engine_int.h"

#include <stdint.h>

#include "damping.h"

void mp_engine_tick(struct mp_engine *e, struct mp_time now)
{
	const uint64_t now_ms = now.mono_ms;

	for (size_t p = 0; p < e->cfg->n_pools; p++)
		for (size_t m = 0; m < e->cfg->pools[p].n_mirrors; m++) {
			struct mp_drain *d = &eng_mirror_rt(e, p, m)->drain;
			if (d->active && d->until_ms && now_ms >= d->until_ms) {
				struct mp_log_fields f = MP_LOG_FIELDS_INIT;
				f.pool = e->cfg->pools[p].name;
				f.mirror = e->cfg->pools[p].mirrors[m].name;
				mp_logf(
				    LOG_NOTICE, &f,
				    "drain of %s expired (was: %s); it returns "
				    "once healthy",
				    f.mirror,
				    d->reason[0] ? d->reason
						 : "no reason given");
				mp_eng_lift_drain(e, p, d);
			}
		}
	for (size_t i = 0; i < e->n_targets; i++) {
		struct mp_target *t = &e->targets[i];
		struct mp_log_fields f;
		if (t->drain.active && t->drain.until_ms &&
		    now_ms >= t->drain.until_ms) {
			mp_eng_fields(e, t, &f);
			mp_logf(
			    LOG_NOTICE, &f,
			    "drain of %s %s expired (was: %s); it returns once "
			    "healthy",
			    f.mirror, t->addr.text,
			    t->drain.reason[0] ? t->drain.reason
					       : "no reason given");
			mp_eng_lift_drain(e, t->pool, &t->drain);
		}
		if (mp_damping_update(&t->health.damping, &e->cfg->damping,
				      now_ms) == MP_DAMPING_REUSED) {
			mp_eng_fields(e, t, &f);
			mp_logf(
			    LOG_NOTICE, &f,
			    "%s %s: flap damping released (penalty below %u); "
			    "eligible again",
			    f.mirror, t->addr.text, e->cfg->damping.reuse);
			e->dirty = true;
		}
	}
	mp_eng_guard_evaluate(e);
}

static void earlier(uint64_t *best, uint64_t at_ms)
{
	if (at_ms && at_ms < *best)
		*best = at_ms;
}

uint64_t mp_engine_next_deadline(struct mp_engine *e)
{
	uint64_t best = UINT64_MAX;

	for (size_t p = 0; p < e->cfg->n_pools; p++)
		for (size_t m = 0; m < e->cfg->pools[p].n_mirrors; m++) {
			const struct mp_drain *d =
			    &eng_mirror_rt(e, p, m)->drain;
			if (d->active)
				earlier(&best, d->until_ms);
		}
	for (size_t i = 0; i < e->n_targets; i++) {
		const struct mp_target *t = &e->targets[i];
		if (t->drain.active)
			earlier(&best, t->drain.until_ms);
		earlier(&best, mp_damping_reuse_at(&t->health.damping,
						   &e->cfg->damping));
	}
	return best;
}
