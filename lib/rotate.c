/*
 * Weighted rotation: systematic (Madow) sampling with unequal probabilities.
 * Lay the candidates end to end on a line, each as long as its inclusion
 * probability (the lengths sum to k), pick one uniform offset u in [0, 1)
 * and take every candidate whose segment holds one of u, u + 1, ... u + k - 1.
 * A segment shorter than 1 holds at most one of the points, and does so
 * with probability equal to its length, so each candidate is in with exactly
 * its target probability and exactly k are picked. The order is shuffled
 * at each draw so that no two candidates are kept apart for ever by being
 * neighbours.
 */
#include "rotate.h"

#include <stdint.h>

void mp_rotate_probs(const unsigned *w, size_t n, unsigned k, double *pi)
{
	bool certain[MP_ROTATE_MAX];
	size_t n_pos = 0, n_certain = 0;
	bool changed = true;

	for (size_t i = 0; i < n; i++) {
		pi[i] = 0.0;
		if (i < MP_ROTATE_MAX)
			certain[i] = false;
		if (w[i] > 0)
			n_pos++;
	}
	if (n > MP_ROTATE_MAX || k == 0 || n_pos == 0)
		return;
	if (k >= n_pos) {
		for (size_t i = 0; i < n; i++)
			pi[i] = w[i] > 0 ? 1.0 : 0.0;
		return;
	}
	/* Each pass fixes at least one more candidate at 1 or stops; the
	 * rest share the remaining places in proportion to weight. */
	while (changed) {
		double rest = 0.0, c;

		changed = false;
		for (size_t i = 0; i < n; i++)
			if (!certain[i])
				rest += w[i];
		c = (double)(k - n_certain) / rest;
		for (size_t i = 0; i < n; i++) {
			if (certain[i] || w[i] == 0)
				continue;
			if (c * w[i] >= 1.0) {
				certain[i] = true;
				n_certain++;
				changed = true;
			}
		}
		if (!changed)
			for (size_t i = 0; i < n; i++)
				pi[i] = certain[i] ? 1.0 : c * w[i];
	}
}

/* A uniform double in [0, 1) from two draws of 31 bits each. */
static double uniform01(mp_random_fn rnd)
{
	uint64_t hi = rnd(UINT32_C(1) << 31), lo = rnd(UINT32_C(1) << 31);

	return (double)((hi << 31) | lo) / 4611686018427387904.0; /* 2^62 */
}

size_t mp_rotate_draw(const unsigned *w, size_t n, unsigned k, mp_random_fn rnd,
		      bool *pick)
{
	unsigned rest_w[MP_ROTATE_MAX] = {0};
	double pi[MP_ROTATE_MAX];
	size_t order[MP_ROTATE_MAX];
	size_t n_pick = 0, n_order = 0, want;
	double u, edge = 0.0;
	unsigned m = 0;

	if (n > MP_ROTATE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (pick[i] && (w[i] == 0 || n_pick >= k))
			pick[i] = false; /* not a candidate, or too many */
		if (pick[i])
			n_pick++;
		rest_w[i] = pick[i] ? 0 : w[i];
	}
	if (n_pick >= k)
		return n_pick;
	want = k - n_pick;
	mp_rotate_probs(rest_w, n, (unsigned)want, pi);
	for (size_t i = 0; i < n; i++) {
		if (pi[i] >= 1.0) {
			pick[i] = true; /* always in: no need to draw */
			n_pick++;
			want--;
		} else if (pi[i] > 0.0) {
			order[n_order++] = i;
		}
	}
	/* Fisher-Yates over the uncertain ones. */
	for (size_t i = n_order; i > 1; i--) {
		size_t j = rnd((uint32_t)i), t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	u = uniform01(rnd);
	for (size_t j = 0; j < n_order && m < want; j++) {
		double next = edge + pi[order[j]];
		/* The last segment ends at exactly `want`, whatever rounding
		 * the running sum collected. */
		if (j == n_order - 1)
			next = (double)want + 1.0;
		if (u + m >= edge && u + m < next) {
			pick[order[j]] = true;
			n_pick++;
			m++;
		}
		edge = next;
	}
	return n_pick;
}
