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
	bool limited; /* last answer was "wait" (for once-only logging) */
};

enum mp_ratelimit_reason {
	MP_RL_OK = 0,
	MP_RL_MIN_INTERVAL = 1,
	MP_RL_PER_HOUR = 2,
};

int mp_ratelimit_init(struct mp_ratelimit *rl, const struct mp_update_cfg *cfg);
void mp_ratelimit_free(struct mp_ratelimit *rl);

/* Earliest time (>= now_ms) an UPDATE may be sent; now_ms when allowed.
 * *why (may be NULL) says which limit applies. */
uint64_t mp_ratelimit_next(const struct mp_ratelimit *rl,
			   const struct mp_update_cfg *cfg, uint64_t now_ms,
			   enum mp_ratelimit_reason *why);

/* Records an UPDATE sent at now_ms. */
void mp_ratelimit_record(struct mp_ratelimit *rl, uint64_t now_ms);

#endif
