/* The state file (drains, flap penalties): read at start, written
 * atomically (temp file, fsync, rename, fsync of the directory). */
#ifndef MP_AGENT_STATEFILE_H
#define MP_AGENT_STATEFILE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/*
 * Reads path. Returns 0 with *out set (NULL when the file does not exist
 * yet). A corrupt or unreadable file is renamed to PATH.corrupt-UNIXTIME for
 * inspection, err says what was wrong, and 0 is returned with *out NULL so
 * the agent starts with what it can trust; MP_EIO only when even that fails.
 */
int mp_statefile_load(const char *path, json_t **out, char *err, size_t errlen);

/* Writes state to path atomically. Returns 0 or MP_EIO (err set). */
int mp_statefile_save(const char *path, const json_t *state, char *err,
		      size_t errlen);

/* The engine's persisted state: saved when it changed since the last save
 * (a failure is logged, and returned with why set when why is not NULL;
 * the state is saved again with the next change), restored at start
 * (problems are logged; the engine then starts without them). */
int mp_statefile_save_engine(struct mp_engine *e, const char *path,
			     struct mp_time now, char *why, size_t whylen);
void mp_statefile_restore_engine(struct mp_engine *e, const char *path,
				 struct mp_time now);

/* The metrics file (SPEC §7) as of now; failures logged. */
void mp_statefile_write_metrics(struct mp_engine *e, const char *path,
				struct mp_time now);
/* At stop: removes the metrics file, so that a textfile collector does not
 * serve the last values of an agent that is gone; failures logged. */
void mp_statefile_remove_metrics(const char *path);

#endif
