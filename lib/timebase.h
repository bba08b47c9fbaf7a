/*
 * The two time bases of mirrorpool. Every duration (rate limits and their
 * windows, backoff, damping decay, rise/fall timing, timeouts, drain
 * countdowns) runs on the monotonic clock, which never steps; the wall clock
 * is only for TSIG's Time Signed, times shown to people, deadlines people
 * set, and what is persisted. lib/ reads neither: callers pass both in.
 */
#ifndef MP_TIMEBASE_H
#define MP_TIMEBASE_H

#include <stdint.h>

struct mp_time {
	uint64_t mono_ms; /* monotonic, ms since an arbitrary origin */
	uint64_t wall_ms; /* Unix time, ms */
};

/* Reads both clocks: the agent's modules are given one by the daemon, so
 * that only one place reads the process's clocks (agent/clock.c). */
typedef struct mp_time (*mp_clock_fn)(void);

/* The monotonic instant at which the wall clock reads wall_ms, as seen
 * from now (0 when that is before the monotonic origin). */
static inline uint64_t mp_time_wall_to_mono(const struct mp_time *now,
					    uint64_t wall_ms)
{
	if (wall_ms >= now->wall_ms)
		return now->mono_ms + (wall_ms - now->wall_ms);
	return now->wall_ms - wall_ms > now->mono_ms
		   ? 0
		   : now->mono_ms - (now->wall_ms - wall_ms);
}

/* The wall-clock time of the monotonic instant mono_ms, as seen from now. */
static inline uint64_t mp_time_mono_to_wall(const struct mp_time *now,
					    uint64_t mono_ms)
{
	if (mono_ms >= now->mono_ms)
		return now->wall_ms + (mono_ms - now->mono_ms);
	return now->mono_ms - mono_ms > now->wall_ms
		   ? 0
		   : now->wall_ms - (now->mono_ms - mono_ms);
}

#endif
