/* The engine's guard: the sentinels and the all-down freeze, which
 * suspend removals while our own network is the likely culprit. */
#include "engine_int.h"

#include <stdio.h>

#include "select.h"

/* Returns true when the freeze changed. */
bool mp_eng_guard_evaluate(struct mp_engine *e)
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
				 "all %zu sentinels failing (last: %.100s)",
				 s_fail, e->sentinels[0].detail);
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
		/* "at once" needs a complete picture: until every address has
		 * been checked, a few early failures prove nothing about our
		 * own network */
		if (n_checked == e->n_targets &&
		    mp_guard_all_down(n_checked, n_failing)) {
			frozen = true;
			snprintf(
			    reason, sizeof(reason),
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
			       const char *detail, struct mp_time now)
{
	const uint64_t now_ms = now.mono_ms;
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
	return mp_eng_guard_evaluate(e);
}
