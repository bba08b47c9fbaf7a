/* The runtime of one JSON pool, shared by jsonstate.c and
 * jsonstate_saved.c (see jsonstate.h). */
#ifndef MP_JSONSTATE_INT_H
#define MP_JSONSTATE_INT_H

#include "jsonstate.h"

struct mp_jstate {
	const struct mp_json_pool_cfg *cfg;
	const struct mp_damping_cfg *damping;
	struct mp_jp_list *list; /* last good source; NULL before the first */
	struct mp_jentry *entries;
	uint64_t *last_result_ms; /* per entry: last result, or adoption */
	size_t n;
	char *source_error;
	bool written;	   /* the output holds entries[].weight */
	unsigned *pending; /* weights of the last mp_jstate_output */
	bool floor_logged, empty_logged;
	struct mp_jentry *restored; /* drains and damping from the state file,
				       by name, for entries not in the list
				       yet */
	size_t n_restored;
};

#endif
