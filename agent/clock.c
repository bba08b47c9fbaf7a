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

struct mp_time mp_clock_now(void)
{
	struct mp_time t;

	t.mono_ms = read_ms(CLOCK_MONOTONIC);
	t.wall_ms = read_ms(CLOCK_REALTIME);
	return t;
}
