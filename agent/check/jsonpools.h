/*
 * JSON pools on the loop (lib/jsonstate.h holds their decisions): each
 * pool's source file read at start, on reload and whenever it changes (a
 * uv_fs_event watch on its directory, so editors and `git pull` that
 * replace the file are seen), every checked entry checked at its own URL
 * with its host resolved normally, and the output handed to the daemon to
 * write (atomically) only when it changes. A broken source keeps the last good
 * list and is logged with its file, line and column.
 */
#ifndef MP_AGENT_JSONPOOLS_H
#define MP_AGENT_JSONPOOLS_H

#include <jansson.h>
#include <uv.h>

#include "engine.h"

struct mp_jsonpools;

/* What the JSON pools need from the daemon. */
struct mp_jsonpools_ops {
	void *arg;
	/* reads the clocks */
	mp_clock_fn now;
	/* something worth persisting or reporting changed (a health change,
	 * a new list) */
	void (*changed)(void *arg);
	/* writes text to path atomically, readable by all (0644): MP_OK, or
	 * a negative MP_E* code with err saying what failed */
	int (*write)(void *arg, const char *path, const char *text, size_t len,
		     char *err, size_t errlen);
};

int mp_jsonpools_new(uv_loop_t *loop, struct mp_engine *engine,
		     const struct mp_jsonpools_ops *ops,
		     struct mp_jsonpools **out);

/* Reads every pool's source (and, the first time, what its output
 * serves), watches the sources, schedules the checks and writes the
 * outputs that are due. MP_OK or MP_ENOMEM; problems with one pool's files
 * are logged and leave the other pools running. */
int mp_jsonpools_start(struct mp_jsonpools *p);

/* Unschedules the checks and stops the watches (before a reload). */
void mp_jsonpools_stop(struct mp_jsonpools *p);

/* Writes every output that is due now (after a drain, a freeze change). */
void mp_jsonpools_refresh(struct mp_jsonpools *p);

/* Results of mp_jsonpools_run_now: an array of objects (mirror, address:
 * the URL checked, ok, detail, latency_ms, state); borrowed. */
typedef void (*mp_jsonpools_report_fn)(void *arg, json_t *results);

/* Checks now every checked entry named mirror (mirrorpoolctl check NAME);
 * report runs once all have answered. MP_OK, MP_ENOENT (no such entry:
 * report is not called) or MP_ENOMEM. */
int mp_jsonpools_run_now(struct mp_jsonpools *p, const char *mirror,
			 mp_jsonpools_report_fn report, void *arg);

/* Stops and frees everything (handles close on the loop). */
void mp_jsonpools_close(struct mp_jsonpools *p);

#endif
