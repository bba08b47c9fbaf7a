/*
 * Per-RRset UPDATE rate limit. The ring keeps the send times of the last
 * `cap` UPDATEs; since times only grow, the hourly limit is hit exactly when
 * the max_per_hour-th most recent stamp is less than an hour old, and it
 * lifts the moment that stamp turns one hour old: a sliding window, not
 * clock-hour buckets.
 */
#include "ratelimit.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

#define HOUR_MS 3600000ULL

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int mp_ratelimit_init(struct mp_ratelimit *rl, const struct mp_update_cfg *cfg)
{
	memset(rl, 0, sizeof(*rl));
	if (cfg->max_per_hour > 0) {
		rl->stamps = calloc(cfg->max_per_hour, sizeof(*rl->stamps));
		if (!rl->stamps)
			return MP_ENOMEM;
		rl->cap = cfg->max_per_hour;
	}
	return MP_OK;
}

void mp_ratelimit_free(struct mp_ratelimit *rl)
{
	free(rl->stamps);
	memset(rl, 0, sizeof(*rl));
}

/* The k-th most recent stamp, k >= 1 and k <= rl->n. */
static uint64_t recent(const struct mp_ratelimit *rl, unsigned k)
{
	return rl->stamps[(rl->head + rl->cap - k) % rl->cap];
}

int mp_ratelimit_resize(struct mp_ratelimit *rl,
			const struct mp_update_cfg *cfg)
{
	struct mp_ratelimit nrl;
	unsigned keep;
	int rc;

	if (cfg->max_per_hour == rl->cap)
		return MP_OK;
	rc = mp_ratelimit_init(&nrl, cfg);
	if (rc < 0)
		return rc;
	keep = rl->n < nrl.cap ? rl->n : nrl.cap;
	for (unsigned k = keep; k >= 1; k--)
		mp_ratelimit_record(&nrl, recent(rl, k));
	nrl.last_ms = rl->last_ms;
	nrl.has_last = rl->has_last;
	nrl.limited = rl->limited;
	mp_ratelimit_free(rl);
	*rl = nrl;
	return MP_OK;
}

uint64_t mp_ratelimit_next(const struct mp_ratelimit *rl,
			   const struct mp_update_cfg *cfg, uint64_t now_ms,
			   enum mp_ratelimit_reason *why)
{
	enum mp_ratelimit_reason reason = MP_RL_OK;
	uint64_t at = now_ms;
	/* A ring smaller than the configured limit (a reload raised it
	 * without mp_ratelimit_resize) can only enforce what it holds. */
	unsigned limit =
	    cfg->max_per_hour < rl->cap ? cfg->max_per_hour : rl->cap;

	if (rl->has_last) {
		uint64_t t = add_sat(rl->last_ms, cfg->min_interval_ms);
		if (t > at) {
			at = t;
			reason = MP_RL_MIN_INTERVAL;
		}
	}
	if (limit > 0 && rl->n >= limit) {
		uint64_t t = add_sat(recent(rl, limit), HOUR_MS);
		/* On a tie the hourly limit is named: it is the one an
		 * operator has to raise to get more UPDATEs through. */
		if (t > now_ms && t >= at) {
			at = t;
			reason = MP_RL_PER_HOUR;
		}
	}
	if (why)
		*why = reason;
	return at;
}

void mp_ratelimit_record(struct mp_ratelimit *rl, uint64_t now_ms)
{
	rl->last_ms = now_ms;
	rl->has_last = true;
	/* A new UPDATE went out: the next wait is news again. */
	rl->limited = false;
	if (rl->cap == 0)
		return;
	rl->stamps[rl->head] = now_ms;
	rl->head = (rl->head + 1) % rl->cap;
	if (rl->n < rl->cap)
		rl->n++;
}
