/*
 * Pool selection (SPEC §4) for one pool and one address family, in this
 * order: candidates; max_published; the min_healthy floor; the freeze; never
 * empty by health decisions. Pure.
 */
#ifndef MP_SELECT_H
#define MP_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct mp_select_item {
	const struct mp_addr *addr; /* NULL for JSON-pool entries */
	const char *mirror;	    /* mirror name: the last tie-breaker */
	unsigned weight;	    /* 0: disabled, never published */
	bool up;		    /* health state is up */
	bool drained;
	bool suppressed;	/* held out by flap damping */
	bool published;		/* currently in the RRset */
	bool drawn;		/* in the rotation's current draw: ranks
				   first for max_published */
	uint32_t latency_ms;	/* recent latency; UINT32_MAX unknown */
	uint64_t last_ok_at_ms; /* most recently healthy; 0 never */
};

struct mp_select_params {
	unsigned min_healthy;
	unsigned max_published; /* 0: no cap */
	bool frozen;		/* guard freeze: nothing is removed */
};

struct mp_select_result {
	size_t n_candidates;  /* after step 1 */
	size_t n_floor_kept;  /* kept by the floor although not candidates */
	size_t n_freeze_kept; /* kept by the freeze although not selected */
	size_t n_empty_kept;  /* kept because the RRset would be empty */
	size_t n_selected;    /* total true in publish[] */
	bool below_floor;     /* fewer than min_healthy even after the floor */
};

/* Is the item a candidate (step 1): up, not drained, not suppressed,
 * weight > 0? */
bool mp_select_candidate(const struct mp_select_item *it);

/*
 * Decides which items to publish: publish[i] is set for each of the n
 * items. Floor keeps published, undrained, weight>0 items, most recently
 * healthy first. The freeze keeps every published item except drained or
 * weight-0 ones. A forced drain is the only way to empty an RRset: items that
 * are drained are never kept.
 */
void mp_select(const struct mp_select_item *items, size_t n,
	       const struct mp_select_params *p, bool *publish,
	       struct mp_select_result *res);

/* Guard: with all_down_freeze, every checked address of the whole config
 * failing its latest check at once means our own network is the likely
 * culprit. n_checked counts addresses with at least one result. */
bool mp_guard_all_down(size_t n_checked, size_t n_failing);

#endif
