/*
 * Per-RRset UPDATE rate limit: at most one UPDATE per min_interval (changes
 * in between coalesce into the next one) and at most max_per_hour in any
 * sliding 60-minute window. Operator actions bypass it (they are still
 * recorded, so later routine updates count them).
 */
#ifndef MP_RATELIMIT_H
#define MP_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct mp_ratelimit {
	uint64_t *stamps; /* ring of send times within the last hour */
	unsigned cap;
	unsigned n;
	unsigned head;
	uint64_t last_ms;
	bool has_last;
	bool limited; /* the caller sets it when it logged a wait (for
		       * once-only logging); mp_ratelimit_record clears it */
};

enum mp_ratelimit_reason {
	MP_RL_OK = 0,
	MP_RL_MIN_INTERVAL = 1,
	MP_RL_PER_HOUR = 2,
};

/* cfg->max_per_hour of 0 means no hourly limit. Returns 0 or MP_ENOMEM. */
int mp_ratelimit_init(struct mp_ratelimit *rl, const struct mp_update_cfg *cfg);
void mp_ratelimit_free(struct mp_ratelimit *rl);

/* After a reload changed max_per_hour: resizes the ring keeping the most
 * recent stamps, so the history carries over. Returns 0 or MP_ENOMEM (rl is
 * then unchanged). */
int mp_ratelimit_resize(struct mp_ratelimit *rl,
			const struct mp_update_cfg *cfg);

/* Earliest time (>= now_ms) an UPDATE may be sent; now_ms when allowed.
 * *why (may be NULL) says which limit applies: the one that ends last, the
 * hourly one on a tie. */
uint64_t mp_ratelimit_next(const struct mp_ratelimit *rl,
			   const struct mp_update_cfg *cfg, uint64_t now_ms,
			   enum mp_ratelimit_reason *why);

/* Records an UPDATE sent at now_ms. */
void mp_ratelimit_record(struct mp_ratelimit *rl, uint64_t now_ms);

#endif
