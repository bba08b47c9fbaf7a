/* Weighted rotation: the target inclusion probabilities and the systematic
 * draw that realises them, over many seeded draws. */
#include "unit.h"

#include <math.h>
#include <string.h>

#include "rotate.h"

static uint32_t seed;

/* Seeded uniform in [0, upper): 64-bit xorshift state folded down, so the
 * draws are the same on every run. */
static uint32_t rnd_seeded(uint32_t upper)
{
	uint32_t hi = mp_unit_xorshift(&seed), lo = mp_unit_xorshift(&seed);
	uint64_t v = ((uint64_t)hi << 32) | lo;

	return (uint32_t)(v % upper);
}

static const unsigned W6[] = {100, 50, 25, 10, 10, 5};

static void test_probs(void)
{
	double pi[6], sum = 0.0;

	mp_rotate_probs(W6, 6, 3, pi);
	/* 100 would get 1.5 and 50 then exactly 1: both always in; the last
	 * place is shared by 25, 10, 10, 5 in proportion. */
	CU_ASSERT_DOUBLE_EQUAL(pi[0], 1.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(pi[1], 1.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(pi[2], 0.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(pi[3], 0.2, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(pi[4], 0.2, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(pi[5], 0.1, 1e-12);
	for (size_t i = 0; i < 6; i++)
		sum += pi[i];
	CU_ASSERT_DOUBLE_EQUAL(sum, 3.0, 1e-9);
}

static void test_probs_edges(void)
{
	const unsigned w[] = {10, 0, 10, 30};
	double pi[4];

	/* k at least the candidates: every weight > 0 is always in */
	mp_rotate_probs(w, 4, 3, pi);
	CU_ASSERT_DOUBLE_EQUAL(pi[0], 1.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(pi[1], 0.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(pi[3], 1.0, 1e-12);
	/* plain proportional share when nobody exceeds 1 */
	mp_rotate_probs(w, 4, 1, pi);
	CU_ASSERT_DOUBLE_EQUAL(pi[0], 0.2, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(pi[1], 0.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(pi[2], 0.2, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(pi[3], 0.6, 1e-12);
	/* k = 0: nobody */
	mp_rotate_probs(w, 4, 0, pi);
	CU_ASSERT_DOUBLE_EQUAL(pi[3], 0.0, 1e-12);
}

/* 100,000 seeded draws of 3 among {100, 50, 25, 10, 10, 5}: each mirror's
 * inclusion frequency within 0.01 of its target, always exactly 3, and the
 * mirrors whose share exceeds 1 in every draw. */
static void test_frequencies(void)
{
	const size_t draws = 100000;
	size_t count[6] = {0};
	double pi[6];
	bool ok_size = true, heavy_always = true;

	seed = 0x2545f491u;
	mp_rotate_probs(W6, 6, 3, pi);
	for (size_t d = 0; d < draws; d++) {
		bool pick[6] = {false};
		size_t n = mp_rotate_draw(W6, 6, 3, rnd_seeded, pick), c = 0;
		for (size_t i = 0; i < 6; i++)
			if (pick[i]) {
				count[i]++;
				c++;
			}
		if (n != 3 || c != 3)
			ok_size = false;
		if (!pick[0] || !pick[1])
			heavy_always = false;
	}
	CU_ASSERT_TRUE(ok_size);
	CU_ASSERT_TRUE(heavy_always);
	for (size_t i = 0; i < 6; i++) {
		double f = (double)count[i] / (double)draws;
		CU_ASSERT_TRUE(fabs(f - pi[i]) <= 0.01);
		if (fabs(f - pi[i]) > 0.01)
			fprintf(stderr, "mirror %zu: %.4f, target %.4f\n", i, f,
				pi[i]);
	}
}

/* The same without mirrors that are always in: five equal-ish weights for
 * two places, where a fixed order would keep neighbours apart for ever. */
static void test_frequencies_no_certain(void)
{
	const unsigned w[] = {30, 20, 20, 20, 10};
	const size_t draws = 100000;
	size_t count[5] = {0}, together01 = 0;
	double pi[5];

	seed = 0x9e3779b9u;
	mp_rotate_probs(w, 5, 2, pi);
	for (size_t d = 0; d < draws; d++) {
		bool pick[5] = {false};
		CU_ASSERT_EQUAL(mp_rotate_draw(w, 5, 2, rnd_seeded, pick), 2);
		for (size_t i = 0; i < 5; i++)
			count[i] += pick[i];
		together01 += pick[0] && pick[1];
	}
	for (size_t i = 0; i < 5; i++)
		CU_ASSERT_TRUE(fabs((double)count[i] / (double)draws - pi[i]) <=
			       0.01);
	/* neighbours in the list are still published together sometimes */
	CU_ASSERT_TRUE(together01 > draws / 50);
}

/* Filling a place: the mirrors kept stay, weight-0 ones are never picked,
 * and the fill respects the remaining probabilities. */
static void test_fill(void)
{
	const unsigned w[] = {100, 0, 25, 25, 50};
	size_t count[5] = {0};
	const size_t draws = 50000;

	seed = 12345;
	for (size_t d = 0; d < draws; d++) {
		bool pick[5] = {false, true, false, false, false};
		/* index 1 has weight 0 (failed, say): dropped; index 0 kept */
		pick[0] = true;
		CU_ASSERT_EQUAL(mp_rotate_draw(w, 5, 2, rnd_seeded, pick), 2);
		CU_ASSERT_TRUE(pick[0]);
		CU_ASSERT_FALSE(pick[1]);
		for (size_t i = 0; i < 5; i++)
			count[i] += pick[i];
	}
	/* one place among 25, 25, 50 */
	CU_ASSERT_TRUE(fabs((double)count[2] / draws - 0.25) <= 0.01);
	CU_ASSERT_TRUE(fabs((double)count[4] / draws - 0.5) <= 0.01);
}

static void test_too_few(void)
{
	const unsigned w[] = {0, 7, 0};
	bool pick[3] = {false};

	seed = 7;
	CU_ASSERT_EQUAL(mp_rotate_draw(w, 3, 2, rnd_seeded, pick), 1);
	CU_ASSERT_FALSE(pick[0]);
	CU_ASSERT_TRUE(pick[1]);
	CU_ASSERT_FALSE(pick[2]);
}

static CU_TestInfo tests[] = {
    {"target probabilities", test_probs},
    {"target probabilities: edges", test_probs_edges},
    {"100,000 draws: frequencies", test_frequencies},
    {"draws without certain mirrors", test_frequencies_no_certain},
    {"filling a place", test_fill},
    {"fewer candidates than places", test_too_few},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"rotate", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
