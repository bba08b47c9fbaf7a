#include "autoconfig.h"

#include <time.h>

#include "clock.h"

static uint64_t read_ms(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* CLOCK_MONOTONIC starts near boot; moved this far forward, a wall-clock
 * time from the state file (saved before the boot) still has a monotonic
 * counterpart instead of being clamped to the origin. */
#define MONO_ORIGIN_MS (1ULL << 40) /* about 35 years */

struct mp_time mp_clock_now(void)
{
	struct mp_time t;

	t.mono_ms = MONO_ORIGIN_MS + read_ms(CLOCK_MONOTONIC);
	t.wall_ms = read_ms(CLOCK_REALTIME);
	return t;
}
