/*
 * The I/O half of the DNS operations: it carries out what lib/dnsops.h
 * decides (sends through its own DNS client, arms one timer, cancels) and
 * reports what the daemon must know through callbacks. It decides nothing.
 */
#ifndef MP_AGENT_DNSIO_H
#define MP_AGENT_DNSIO_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "engine.h"
#include "random.h"

struct mp_dnsio;

/* What the daemon hears; every callback may be NULL. */
struct mp_dnsio_events {
	void *arg;
	/* the engine's state changed (persist, notify, plan again) */
	void (*changed)(void *arg);
	/* every managed RRset was tried once */
	void (*first_round)(void *arg);
	/* error NULL: no read is pending any more; else a read failed */
	void (*reads_done)(void *arg, const char *error);
	/* mp_dnsio_reload: nothing is in flight; apply the configuration now
	 * and call mp_dnsio_reloaded */
	void (*reload_ready)(void *arg);
	/* mp_dnsio_stop: the operation in flight ended or was abandoned */
	void (*stopped)(void *arg);
};

/* For the engine's configuration (server, port, key, timeout); now reads
 * the clocks (TSIG signs with the wall clock, everything else is timed on
 * the monotonic one); rnd for backoff jitter and message IDs. Returns MP_OK
 * or a negative MP_E* code. */
int mp_dnsio_new(uv_loop_t *loop, struct mp_engine *engine, mp_clock_fn now,
		 mp_random_fn rnd, const struct mp_dnsio_events *ev,
		 struct mp_dnsio **out);

/* Plan soon (from the loop, never from within this call). */
void mp_dnsio_kick(struct mp_dnsio *io);
/* Re-read every RRset: periodically (reconcile), or at once for an
 * operator (sync: skips the backoff). */
void mp_dnsio_reread(struct mp_dnsio *io, bool sync);
void mp_dnsio_set_dry_run(struct mp_dnsio *io, bool dry_run);

/* A reload: room for n RRsets first (MP_ENOMEM changes nothing), then
 * mp_dnsio_reload (0, or MP_EBUSY with why set when it is refused), wait
 * for reload_ready, swap the engine's configuration, and call
 * mp_dnsio_reloaded, which also reconnects to the (new) primary. */
int mp_dnsio_reserve(struct mp_dnsio *io, size_t n);
int mp_dnsio_reload(struct mp_dnsio *io, const char **why);
int mp_dnsio_reloaded(struct mp_dnsio *io);

/* Finish (or at dns.timeout abandon) the UPDATE in flight, then stopped. */
void mp_dnsio_stop(struct mp_dnsio *io);
/* An UPDATE is in flight (a stop waits for it). */
bool mp_dnsio_updating(const struct mp_dnsio *io);

/* Abandons whatever is in flight (logged) and frees everything (handles
 * close on the loop). Only `stopped` may run from within this call. */
void mp_dnsio_close(struct mp_dnsio *io);

#endif
