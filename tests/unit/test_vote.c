#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "vote.h"

/* A node's situation as the writer sees it. */
enum nstate {
	F_UP = 0,  /* fresh view, up */
	F_DOWN,	   /* fresh view, down */
	F_UNKNOWN, /* fresh view, address not decided */
	S_UP,	   /* stale view saying up */
	S_DOWN,	   /* stale view saying down */
	S_UNKNOWN, /* stale view, undecided */
	NO_VIEW,   /* nothing read */
	N_NSTATES
};

static const char *const names[] = {"w", "n1", "n2", "n3", "n4"};

static void make(const enum nstate *st, size_t n, struct mp_vote_in *in)
{
	for (size_t i = 0; i < n; i++) {
		in[i].node = names[i];
		in[i].has_view = st[i] != NO_VIEW;
		in[i].fresh = st[i] <= F_UNKNOWN;
		in[i].verdict = st[i] == F_UP || st[i] == S_UP ? MP_VERDICT_UP
				: st[i] == F_DOWN || st[i] == S_DOWN
				    ? MP_VERDICT_DOWN
				    : MP_VERDICT_UNKNOWN;
	}
}

/*
 * The rule as the specification words it, written from the counts of the
 * situations rather than from the votes: the oracle for every combination.
 */
static enum mp_health_state oracle(const enum nstate *st, size_t n,
				   unsigned quorum, enum mp_vote_fallback fb,
				   enum mp_health_state cur, bool *held)
{
	unsigned fresh = 0, up = 0, down = 0, need;
	bool lost, can_down, can_up;

	for (size_t i = 0; i < n; i++) {
		fresh += st[i] == F_UP || st[i] == F_DOWN || st[i] == F_UNKNOWN;
		up += st[i] == F_UP;
		down += st[i] == F_DOWN;
	}
	lost = fresh < quorum;
	need = lost ? fresh : quorum;
	can_down = need > 0 && down >= need;
	can_up = need > 0 && up >= need;
	*held = false;
	if (lost && fb == MP_FALLBACK_FREEZE && can_down) {
		*held = cur == MP_HEALTH_UP;
		can_down = false;
	}
	if (cur == MP_HEALTH_UP)
		return can_down ? MP_HEALTH_DOWN : MP_HEALTH_UP;
	if (cur == MP_HEALTH_DOWN)
		return can_up ? MP_HEALTH_UP : MP_HEALTH_DOWN;
	if (can_up && can_down)
		return up > down   ? MP_HEALTH_UP
		       : down > up ? MP_HEALTH_DOWN
				   : MP_HEALTH_UNKNOWN;
	return can_up	  ? MP_HEALTH_UP
	       : can_down ? MP_HEALTH_DOWN
			  : MP_HEALTH_UNKNOWN;
}

/* Every combination of node situations (the writer, node 0, is always
 * fresh: up, down or not yet decided) for quorum 1..3 of 1..5 nodes, both
 * fallbacks and every current state. */
static void test_every_combination(void)
{
	static const enum mp_health_state curs[] = {
	    MP_HEALTH_UP, MP_HEALTH_DOWN, MP_HEALTH_UNKNOWN};
	unsigned long cases = 0, removals = 0, restores = 0, holds = 0;

	for (size_t n = 1; n <= 5; n++) {
		size_t combos = 3;
		for (size_t i = 1; i < n; i++)
			combos *= N_NSTATES;
		for (size_t c = 0; c < combos; c++) {
			enum nstate st[5];
			struct mp_vote_in in[5];
			size_t x = c;

			st[0] = (enum nstate)(x % 3);
			x /= 3;
			for (size_t i = 1; i < n; i++) {
				st[i] = (enum nstate)(x % N_NSTATES);
				x /= N_NSTATES;
			}
			make(st, n, in);
			for (unsigned q = 1; q <= 3 && q <= n; q++)
				for (int fb = 0; fb < 2; fb++)
					for (size_t k = 0; k < 3; k++) {
						struct mp_vote_result r;
						bool held;
						enum mp_health_state want =
						    oracle(
							st, n, q,
							(enum mp_vote_fallback)
							    fb,
							curs[k], &held);
						mp_vote(
						    in, n, q,
						    (enum mp_vote_fallback)fb,
						    curs[k], &r);
						cases++;
						if (r.state != want ||
						    r.held != held)
							fprintf(
							    stderr,
							    "\n  n=%zu q=%u "
							    "fb=%d cur=%d "
							    "combo=%zu: got "
							    "%d held %d, want "
							    "%d held %d\n",
							    n, q, fb, curs[k],
							    c, r.state, r.held,
							    want, held);
						CU_ASSERT_EQUAL(r.state, want);
						CU_ASSERT_EQUAL(r.held, held);
						CU_ASSERT_EQUAL(
						    r.changed, want != curs[k]);
						CU_ASSERT_EQUAL(r.n_nodes, n);
						/* with the quorum there, no
						 * change without quorum votes
						 */
						if (!r.quorum_lost &&
						    r.state == MP_HEALTH_DOWN &&
						    curs[k] != MP_HEALTH_DOWN)
							CU_ASSERT(r.n_down >=
								  q);
						if (!r.quorum_lost &&
						    r.state == MP_HEALTH_UP &&
						    curs[k] != MP_HEALTH_UP)
							CU_ASSERT(r.n_up >= q);
						/* freeze: never a removal
						 * without the quorum */
						if (fb == MP_FALLBACK_FREEZE &&
						    r.quorum_lost)
							CU_ASSERT(!(
							    curs[k] ==
								MP_HEALTH_UP &&
							    r.state ==
								MP_HEALTH_DOWN));
						removals +=
						    curs[k] == MP_HEALTH_UP &&
						    r.state == MP_HEALTH_DOWN;
						restores +=
						    curs[k] == MP_HEALTH_DOWN &&
						    r.state == MP_HEALTH_UP;
						holds += r.held;
					}
		}
	}
	/* 3 * (1 + 7 + 49 + 343 + 2401) combinations, each for its quorums */
	CU_ASSERT(cases > 50000);
	CU_ASSERT(removals > 0 && restores > 0 && holds > 0);
}

/* A stale view never counts, whatever it says. */
static void test_stale_never_counts(void)
{
	enum nstate a[3] = {F_DOWN, S_DOWN, S_DOWN};
	enum nstate b[3] = {F_DOWN, S_UP, S_UNKNOWN};
	struct mp_vote_in ia[3], ib[3];
	struct mp_vote_result ra, rb;

	make(a, 3, ia);
	make(b, 3, ib);
	for (unsigned q = 1; q <= 3; q++)
		for (int fb = 0; fb < 2; fb++) {
			mp_vote(ia, 3, q, (enum mp_vote_fallback)fb,
				MP_HEALTH_UP, &ra);
			mp_vote(ib, 3, q, (enum mp_vote_fallback)fb,
				MP_HEALTH_UP, &rb);
			CU_ASSERT_EQUAL(ra.state, rb.state);
			CU_ASSERT_EQUAL(ra.n_down, 1);
			CU_ASSERT_EQUAL(ra.n_fresh, 1);
		}
}

/* The examples of the specification, 2 of 3. */
static void test_examples(void)
{
	struct mp_vote_in in[3];
	struct mp_vote_result r;
	char buf[128];

	/* fails for one vantage point only: stays */
	enum nstate one[3] = {F_UP, F_DOWN, F_UP};
	make(one, 3, in);
	mp_vote(in, 3, 2, MP_FALLBACK_LOCAL, MP_HEALTH_UP, &r);
	CU_ASSERT_EQUAL(r.state, MP_HEALTH_UP);
	CU_ASSERT_EQUAL(r.n_down, 1);
	CU_ASSERT(!r.changed);
	/* fails for two: leaves */
	enum nstate two[3] = {F_DOWN, F_DOWN, F_UP};
	make(two, 3, in);
	mp_vote(in, 3, 2, MP_FALLBACK_LOCAL, MP_HEALTH_UP, &r);
	CU_ASSERT_EQUAL(r.state, MP_HEALTH_DOWN);
	CU_ASSERT_STRING_EQUAL(mp_vote_describe(in, 3, buf, sizeof(buf)),
			       "w down, n1 down, n2 up");
	/* one recovers: kept down until two see it */
	enum nstate rec1[3] = {F_UP, F_DOWN, F_DOWN};
	make(rec1, 3, in);
	mp_vote(in, 3, 2, MP_FALLBACK_LOCAL, MP_HEALTH_DOWN, &r);
	CU_ASSERT_EQUAL(r.state, MP_HEALTH_DOWN);
	enum nstate rec2[3] = {F_UP, F_UP, F_DOWN};
	make(rec2, 3, in);
	mp_vote(in, 3, 2, MP_FALLBACK_LOCAL, MP_HEALTH_DOWN, &r);
	CU_ASSERT_EQUAL(r.state, MP_HEALTH_UP);
	/* both observers stale: local decides alone, freeze holds */
	enum nstate alone[3] = {F_DOWN, S_UP, NO_VIEW};
	make(alone, 3, in);
	mp_vote(in, 3, 2, MP_FALLBACK_LOCAL, MP_HEALTH_UP, &r);
	CU_ASSERT_EQUAL(r.state, MP_HEALTH_DOWN);
	CU_ASSERT(r.quorum_lost);
	CU_ASSERT_EQUAL(r.need, 1);
	mp_vote(in, 3, 2, MP_FALLBACK_FREEZE, MP_HEALTH_UP, &r);
	CU_ASSERT_EQUAL(r.state, MP_HEALTH_UP);
	CU_ASSERT(r.held);
	CU_ASSERT_STRING_EQUAL(mp_vote_describe(in, 3, buf, sizeof(buf)),
			       "w down, n1 stale, n2 no view");
	/* ... and additions continue under freeze */
	enum nstate back[3] = {F_UP, S_DOWN, NO_VIEW};
	make(back, 3, in);
	mp_vote(in, 3, 2, MP_FALLBACK_FREEZE, MP_HEALTH_DOWN, &r);
	CU_ASSERT_EQUAL(r.state, MP_HEALTH_UP);
	/* a short buffer is cut, not overrun */
	make(two, 3, in);
	mp_vote_describe(in, 3, buf, 8);
	CU_ASSERT_EQUAL(strlen(buf), 7);
}

static void test_fresh(void)
{
	uint64_t age = 99;

	CU_ASSERT(mp_view_fresh(1000, 31000, 30000, 300000, &age));
	CU_ASSERT_EQUAL(age, 30000);
	CU_ASSERT(!mp_view_fresh(1000, 31001, 30000, 300000, &age));
	CU_ASSERT_EQUAL(age, 30001);
	/* from the future: within the fudge it is fresh, of age 0 */
	CU_ASSERT(mp_view_fresh(400000, 100000, 30000, 300000, &age));
	CU_ASSERT_EQUAL(age, 0);
	CU_ASSERT(!mp_view_fresh(400001, 100000, 30000, 300000, &age));
	CU_ASSERT(mp_view_fresh(5, 5, 0, 0, NULL));
}

static CU_TestInfo tests[] = {
    {"every combination, quorum 1-3 of 1-5", test_every_combination},
    {"stale views never count", test_stale_never_counts},
    {"the specification's examples", test_examples},
    {"freshness and clock skew", test_fresh},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"vote", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
