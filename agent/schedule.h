/*
 * Check scheduling on the libuv loop: one timer per address.
 */
#ifndef MP_AGENT_SCHEDULE_H
#define MP_AGENT_SCHEDULE_H

#include <uv.h>

#include "addr.h"
#include "checker.h"
#include "config.h"
#include "health.h"

/*
 * Scheduling: one entry per address, checked at now + mp_health_next_delay
 * (fast_interval while changing, else interval, +-10% jitter from
 * libsodium's randombytes_uniform). The first check fires at a random
 * offset within the interval so addresses never check in lock-step; never
 * more than one check per address is in flight.
 */
struct mp_sched;
struct mp_sched_entry;

int mp_sched_new(uv_loop_t *loop, struct mp_checker *checker,
		 struct mp_sched **out);

/*
 * Adds an address (addr NULL: an http check of the URL's own host, as for
 * guard sentinels; health NULL: always checked at the steady interval).
 * cfg and health must stay valid while the entry exists
 * (update them with mp_sched_entry_set). cb runs after each check, before
 * the next delay is computed from health, so it should record the result
 * with mp_health_record first. Returns NULL on allocation failure.
 */
struct mp_sched_entry *mp_sched_add(struct mp_sched *s,
				    const struct mp_check_cfg *cfg,
				    const struct mp_addr *addr,
				    const struct mp_health *health,
				    mp_check_done_fn cb, void *arg);

/* Points the entry at a new cfg/health (config reload); a running check
 * finishes with what it started with. */
void mp_sched_entry_set(struct mp_sched_entry *e,
			const struct mp_check_cfg *cfg,
			const struct mp_health *health);

/* Checks now unless a check is already in flight (mirrorpoolctl check). */
int mp_sched_check_now(struct mp_sched_entry *e);

/* Cancels the entry's check and timer; freed in its close callback. The
 * entry's callback is not called again. */
void mp_sched_remove(struct mp_sched_entry *e);

/* Removes every entry, then calls closed(arg) once all handles are closed
 * and frees s. The checker is left to the caller. */
void mp_sched_close(struct mp_sched *s, void (*closed)(void *arg), void *arg);

#endif
