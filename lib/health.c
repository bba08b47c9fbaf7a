#include "health.h"

#include <limits.h>
#include <string.h>

const char *mp_health_state_name(enum mp_health_state s)
{
	switch (s) {
	case MP_HEALTH_UNKNOWN:
		return "unknown";
	case MP_HEALTH_UP:
		return "up";
	case MP_HEALTH_DOWN:
		return "down";
	}
	return "invalid";
}

void mp_health_init(struct mp_health *h)
{
	memset(h, 0, sizeof(*h));
	h->state = MP_HEALTH_UNKNOWN;
	mp_damping_init(&h->damping);
}

bool mp_health_adopt(struct mp_health *h, bool in_dns, uint64_t now_ms)
{
	if (h->state != MP_HEALTH_UNKNOWN)
		return false;
	h->state = in_dns ? MP_HEALTH_UP : MP_HEALTH_DOWN;
	h->changed_at_ms = now_ms;
	return true;
}

/* rise/fall of 0 would make a state flip on no evidence at all. */
static unsigned at_least_one(unsigned n)
{
	return n ? n : 1;
}

enum mp_health_change mp_health_record(struct mp_health *h,
				       const struct mp_check_cfg *ccfg,
				       const struct mp_damping_cfg *dcfg,
				       const struct mp_check_result *r,
				       enum mp_damping_change *damp)
{
	enum mp_health_change change = MP_HEALTH_SAME;
	enum mp_damping_change dchange = MP_DAMPING_NONE;
	bool penalize = false;

	h->last = *r;
	h->last.cert_subject = h->last.cert_issuer = NULL; /* borrowed */
	h->has_result = true;
	if (r->ok) {
		if (h->consecutive_ok < UINT_MAX)
			h->consecutive_ok++;
		h->consecutive_fail = 0;
		h->last_ok_at_ms = r->at_ms;
		if (h->state != MP_HEALTH_UP &&
		    h->consecutive_ok >= at_least_one(ccfg->rise)) {
			h->state = MP_HEALTH_UP;
			h->changed_at_ms = r->at_ms;
			change = MP_HEALTH_WENT_UP;
		}
	} else {
		if (h->consecutive_fail < UINT_MAX)
			h->consecutive_fail++;
		h->consecutive_ok = 0;
		if (h->state != MP_HEALTH_DOWN &&
		    h->consecutive_fail >= at_least_one(ccfg->fall)) {
			/* unknown -> down is a first verdict, not a flap */
			penalize = h->state == MP_HEALTH_UP;
			h->state = MP_HEALTH_DOWN;
			h->changed_at_ms = r->at_ms;
			change = MP_HEALTH_WENT_DOWN;
		}
	}
	if (dcfg) {
		if (penalize)
			dchange =
			    mp_damping_penalize(&h->damping, dcfg, r->at_ms);
		else
			dchange =
			    mp_damping_update(&h->damping, dcfg, r->at_ms);
	}
	if (damp)
		*damp = dchange;
	return change;
}

bool mp_health_changing(const struct mp_health *h)
{
	switch (h->state) {
	case MP_HEALTH_UNKNOWN:
		return true;
	case MP_HEALTH_UP:
		return h->consecutive_fail > 0;
	case MP_HEALTH_DOWN:
		return h->consecutive_ok > 0;
	}
	return true;
}

uint64_t mp_health_next_delay(const struct mp_health *h,
			      const struct mp_check_cfg *ccfg, mp_random_fn rnd)
{
	uint64_t base =
	    mp_health_changing(h) ? ccfg->fast_interval_ms : ccfg->interval_ms;
	uint64_t span = base / 10;

	if (!rnd || span == 0)
		return base;
	/* rnd's bound is 32-bit; 10% of an interval that large is absurd */
	if (span > (UINT32_MAX - 1) / 2)
		span = (UINT32_MAX - 1) / 2;
	/* uniform in [base - span, base + span] */
	return base - span + rnd((uint32_t)(2 * span + 1));
}
