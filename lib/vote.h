/*
 * The quorum vote of several vantage points on one address (pure).
 *
 * Each node is one vote: the writer's own health state, and the verdict of
 * every other node whose view is fresh. An address is taken out only when
 * at least `quorum` fresh votes say down and put back only when at least
 * `quorum` say up; otherwise it keeps its current state. When fewer than
 * `quorum` nodes are fresh, the fallback decides: "local" lowers the
 * quorum to the number of fresh nodes (the writer alone, at worst), and
 * "freeze" does the same for additions but makes no removal.
 */
#ifndef MP_VOTE_H
#define MP_VOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health.h"
#include "view.h"

/* One node's vote on one address. */
struct mp_vote_in {
	const char *node;
	bool fresh;		 /* its view is fresh (the writer always is) */
	bool has_view;		 /* a view was read at all */
	enum mp_verdict verdict; /* UNKNOWN: no vote (not checked yet) */
};

struct mp_vote_result {
	enum mp_health_state state; /* the decision */
	unsigned n_up, n_down;	    /* fresh votes */
	unsigned n_fresh;	    /* fresh nodes */
	unsigned n_nodes;
	unsigned need;	  /* votes a change needed */
	bool quorum_lost; /* fewer than quorum nodes fresh */
	bool held;	  /* fallback freeze kept a removal from happening */
	bool changed;	  /* state differs from current */
	/* every node's vote as mp_vote_describe words it, 3 bits a node:
	 * two results with the same counts can differ in who said what */
	uint64_t votes;
};

/*
 * Decides for one address. in: every node's vote (n nodes, quorum 1..n);
 * current: the state now in force (UNKNOWN when there is none yet: then
 * the side with the needed votes wins, the larger one when both have
 * them, and a tie keeps UNKNOWN).
 */
void mp_vote(const struct mp_vote_in *in, size_t n, unsigned quorum,
	     enum mp_vote_fallback fb, enum mp_health_state current,
	     struct mp_vote_result *out);

/*
 * Whether a view made at view_ms (another node's wall clock) is fresh at
 * now_ms (ours): at most max_age_ms old, and not from further in the
 * future than skew_ms (the TSIG fudge bounds the clocks' difference).
 * *age_ms (may be NULL) receives its age, 0 for a view from the future.
 */
bool mp_view_fresh(uint64_t view_ms, uint64_t now_ms, uint64_t max_age_ms,
		   uint64_t skew_ms, uint64_t *age_ms);

/* "down by quorum 2/3 (ams1 down, nyc1 down, sgp1 up)"-style list of the
 * votes: "ams1 down, nyc1 stale, sgp1 no view". Returns buf. */
const char *mp_vote_describe(const struct mp_vote_in *in, size_t n, char *buf,
			     size_t len);

#endif
