/*
 * The runtime of one JSON pool: its last good mirror list, each entry's
 * health (rise/fall, damping), drain and check URL, and the weights the
 * output holds. Source edits carry every entry's state over by name; the
 * output is recomputed by the rules of lib/jsonpool.c and handed out only
 * when it differs from what was last written. Pure: time comes in as now_ms
 * (monotonic for durations), files are the agent's.
 */
#ifndef MP_JSONSTATE_H
#define MP_JSONSTATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "health.h"
#include "jsonpool.h"
#include "timebase.h"

struct mp_jentry {
	const char *name; /* the list's */
	char *url;	  /* url_prefix + check.path */
	char host[256];
	struct mp_check_cfg check; /* the pool's, with url/host/port set */
	bool checked;		   /* source weight > 0, or check_disabled */
	struct mp_health health;
	bool drained;
	char drain_reason[201];
	char drain_by[64];
	uint64_t drain_since_s;
	unsigned weight; /* in the output */
	uint64_t checks_ok, checks_fail;
};

struct mp_jstate;

/* A new, empty runtime for jp (not owned; see mp_jstate_reconfigure). */
int mp_jstate_new(const struct mp_json_pool_cfg *jp,
		  const struct mp_damping_cfg *damping, struct mp_jstate **out);
void mp_jstate_free(struct mp_jstate *s);

/* Points s at a reloaded configuration of the same pool: check settings
 * change, health and drains stay. */
int mp_jstate_reconfigure(struct mp_jstate *s,
			  const struct mp_json_pool_cfg *jp,
			  const struct mp_damping_cfg *damping);

/*
 * A new good source list (takes ownership). Entries keep their state by
 * name. The first list adopts what is served: an entry starts up when
 * `served` (the output as it is now, may be NULL) gives it weight > 0, or,
 * without an output, when its source weight is > 0 — a restart changes
 * nothing. Entries added by later edits start down and come in after rise
 * good checks. Logs what was added and removed. After the call entry
 * indexes change: the agent reschedules the checks.
 */
int mp_jstate_set_list(struct mp_jstate *s, struct mp_jp_list *list,
		       const struct mp_jp_list *served, uint64_t now_ms);

/* Records why the source could not be used (NULL: it is good again); the
 * last good list stays. */
void mp_jstate_source_error(struct mp_jstate *s, const char *error);

size_t mp_jstate_n(const struct mp_jstate *s);
struct mp_jentry *mp_jstate_entry(struct mp_jstate *s, size_t i);
/* Index of the entry named name; mp_jstate_n() when none. */
size_t mp_jstate_find(const struct mp_jstate *s, const char *name);
const struct mp_json_pool_cfg *mp_jstate_config(const struct mp_jstate *s);

/*
 * A finished check of entry i. While frozen, failures are counted but take
 * no entry down (as for DNS pools). Logs state changes with POOL = the
 * pool's name. Returns true when the output may change.
 */
bool mp_jstate_check_result(struct mp_jstate *s, size_t i,
			    const struct mp_check_result *r, bool frozen,
			    uint64_t now_ms);

/*
 * The output due now. Returns 1 with *text (caller frees) and *len when it
 * differs from what was last written (or nothing was), 0 when it does not,
 * or a negative MP_E* code. Call mp_jstate_written() once it is on disk.
 */
int mp_jstate_output(struct mp_jstate *s, bool frozen, uint64_t now_ms,
		     char **text, size_t *len);
void mp_jstate_written(struct mp_jstate *s);

/* Operator drains by entry name. A drain that would leave fewer than
 * min_healthy entries with weight > 0 is refused without force. */
int mp_jstate_drain(struct mp_jstate *s, const char *name, const char *reason,
		    const char *by, bool force, uint64_t now_ms,
		    uint64_t wall_s, char *err, size_t errlen);
int mp_jstate_undrain(struct mp_jstate *s, const char *name, const char *by,
		      char *err, size_t errlen);

/*
 * Persisted drains (the state file): every drained entry as [{ mirror,
 * reason, by, since }] (new reference), and restoring one at start, before
 * the source is read: it applies to the entry of that name once the list
 * holds it.
 */
json_t *mp_jstate_drains_save(const struct mp_jstate *s);
int mp_jstate_drain_restore(struct mp_jstate *s, const char *name,
			    const char *reason, const char *by,
			    uint64_t since_s);

/*
 * Persisted flap damping, the same way: [{ mirror, figure, at_ms,
 * suppressed, suppressed_since_ms }] for every entry with a figure (wall
 * clock, see damping_state.h), and restoring one from such an object v,
 * kept by name until the list holds the entry. Returns false with why in
 * err when v is not such an object (or memory runs out).
 */
json_t *mp_jstate_damping_save(const struct mp_jstate *s,
			       const struct mp_time *now);
bool mp_jstate_damping_restore(struct mp_jstate *s, const char *name,
			       const json_t *v, const struct mp_time *now,
			       char *err, size_t errlen);

/* status: { name, source, output, min_healthy, source_error, mirrors: [ {
 * name, url, state, weight_source, weight, drained, last_check } ] }. */
json_t *mp_jstate_status(struct mp_jstate *s, uint64_t now_ms);

#endif
