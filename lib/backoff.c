#include "backoff.h"

uint64_t mp_backoff_delay(unsigned attempt, mp_random_fn rnd)
{
	uint64_t base = MP_BACKOFF_BASE_MS, lo, hi;

	/* Doubling stops at the cap; the loop bound also keeps the shift
	 * from overflowing for absurd attempt numbers. */
	for (unsigned i = 0; i < attempt && base < MP_BACKOFF_CAP_MS; i++)
		base *= 2;
	if (base > MP_BACKOFF_CAP_MS)
		base = MP_BACKOFF_CAP_MS;
	if (!rnd)
		return base;
	lo = base - base * MP_BACKOFF_JITTER_PCT / 100;
	hi = base + base * MP_BACKOFF_JITTER_PCT / 100;
	if (hi > MP_BACKOFF_CAP_MS)
		hi = MP_BACKOFF_CAP_MS;
	return lo + rnd((uint32_t)(hi - lo + 1));
}
