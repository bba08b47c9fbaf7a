/*
 * The daemon's health checks: one scheduler entry per address of the
 * engine and per guard sentinel (agent/check/schedule.c: timers, jitter, one
 * check in flight each), whose results go to the engine. It owns its checker
 * and scheduler and tells the daemon when the engine's state changed.
 */
#ifndef MP_AGENT_CHECKS_H
#define MP_AGENT_CHECKS_H

#include <jansson.h>
#include <uv.h>

#include "engine.h"

struct mp_checks;

/* The engine's state changed (a health, damping or freeze change). */
typedef void (*mp_checks_changed_fn)(void *arg);

/* Results of mp_checks_run_now, in configuration order (an array of
 * objects: mirror, address, ok, detail, latency_ms, state); borrowed. */
typedef void (*mp_checks_report_fn)(void *arg, json_t *results);

/* now: reads the clocks (results are stamped with it). */
int mp_checks_new(uv_loop_t *loop, struct mp_engine *engine, mp_clock_fn now,
		  mp_checks_changed_fn changed, void *arg,
		  struct mp_checks **out);

/* Schedules every address and sentinel of the engine's configuration.
 * MP_OK or MP_ENOMEM (then nothing is scheduled). */
int mp_checks_start(struct mp_checks *c);

/* Unschedules everything; checks in flight are cancelled and a pending
 * run_now reports what it has. */
void mp_checks_stop(struct mp_checks *c);

/* Checks every address of mirror (NULL: all) now; report runs once all have
 * answered, possibly from within this call. MP_OK, MP_ENOENT (no such
 * mirror: report is not called) or MP_ENOMEM. */
int mp_checks_run_now(struct mp_checks *c, const char *mirror,
		      mp_checks_report_fn report, void *arg);

/* Stops and frees everything (handles close on the loop). */
void mp_checks_close(struct mp_checks *c);

#endif
