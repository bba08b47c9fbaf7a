/*
 * A flap-damping figure in the state file (pure): { figure, at_ms,
 * suppressed, suppressed_since_ms } with wall-clock times, since the file
 * outlives the process and its monotonic clock. DNS-pool addresses and
 * JSON-pool entries are saved alike; the caller adds what names them.
 */
#ifndef MP_DAMPING_STATE_H
#define MP_DAMPING_STATE_H

#include <jansson.h>
#include <stdbool.h>

#include "damping.h"
#include "timebase.h"

/* Whether d holds anything worth saving (a figure or a suppression). */
bool mp_damping_worth_saving(const struct mp_damping *d);

/* The saved form of d as of now (new reference; NULL when out of memory). */
json_t *mp_damping_save(const struct mp_damping *d, const struct mp_time *now);

/* Restores d from a saved object v. Returns false, with why in err, when v
 * lacks figure or at_ms or has a member of the wrong type; d is unchanged
 * then. */
bool mp_damping_load(const json_t *v, const struct mp_damping_cfg *cfg,
		     const struct mp_time *now, struct mp_damping *d, char *err,
		     size_t errlen);

#endif
