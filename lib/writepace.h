/*
 * When to write the state file: at most once per interval, the changes in
 * between coalesced into one write. A change after a quiet interval is
 * written at once; a change within the interval after a write waits for
 * that interval to end, and whatever else changes meanwhile goes with it.
 * Writes that must not wait (an operator's drain, the stop) are the
 * caller's to make at once; they count as writes here. Pure: time comes in
 * as monotonic milliseconds.
 */
#ifndef MP_WRITEPACE_H
#define MP_WRITEPACE_H

#include <stdbool.h>
#include <stdint.h>

/* mp_writepace_next: nothing waits to be written */
#define MP_WRITEPACE_NONE UINT64_MAX

struct mp_writepace {
	uint64_t interval_ms; /* 0: every change is written at once */
	bool pending;	      /* a change waits to be written */
	bool written;	      /* a write happened */
	uint64_t last_ms;     /* when the last one did */
};

void mp_writepace_init(struct mp_writepace *p, uint64_t interval_ms);

/* A new interval (a reload); it counts from the last write. */
void mp_writepace_set_interval(struct mp_writepace *p, uint64_t interval_ms);

/* A change at now_ms: the delay (ms) until it is to be written, 0 for at
 * once. It waits (pending) until mp_writepace_wrote. */
uint64_t mp_writepace_changed(struct mp_writepace *p, uint64_t now_ms);

/* The delay (ms) until the pending change is due, 0 when it is due now,
 * MP_WRITEPACE_NONE when nothing waits: what to arm a timer to. */
uint64_t mp_writepace_next(const struct mp_writepace *p, uint64_t now_ms);

/* The state was written (or a write was tried: a failing disk is not tried
 * more often) at now_ms; nothing waits any more. */
void mp_writepace_wrote(struct mp_writepace *p, uint64_t now_ms);

#endif
