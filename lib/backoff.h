/* Retry delays after a failed DNS exchange (SPEC §5): exponential backoff
 * with jitter, so that a primary coming back is not hit by every agent at
 * the same instant. */
#ifndef MP_BACKOFF_H
#define MP_BACKOFF_H

#include <stdint.h>

#include "random.h"

#define MP_BACKOFF_BASE_MS 1000u
#define MP_BACKOFF_CAP_MS 60000u
#define MP_BACKOFF_JITTER_PCT 20u

/*
 * Delay in milliseconds before retry number attempt (0 for the first retry):
 * the base is 1 s doubled per attempt up to 60 s; the result is uniform in
 * [base - 20%, base + 20%], but never above 60 s, so the cap itself is
 * jittered downwards only. rnd NULL means no jitter (the base).
 */
uint64_t mp_backoff_delay(unsigned attempt, mp_random_fn rnd);

#endif
