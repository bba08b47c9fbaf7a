/*
 * Weighted rotation of a capped pool (max_published = k, rotate set): which
 * k of the candidates to publish until the next re-draw, so that over time
 * each candidate is published with probability min(1, c * weight), c chosen
 * so the probabilities sum to k. Systematic (Madow) sampling over the
 * candidates, in an order shuffled at each draw, gives exactly these
 * inclusion probabilities; plain weighted sampling without replacement does
 * not. Pure: randomness comes in as an mp_random_fn.
 */
#ifndef MP_ROTATE_H
#define MP_ROTATE_H

#include <stdbool.h>
#include <stddef.h>

#include "random.h"

/* Largest pool mp_rotate_draw handles: a pool holds at most 100 addresses
 * per family. */
#define MP_ROTATE_MAX 128

/*
 * Target inclusion probabilities of the n items with weights w (0: never)
 * for k picks: pi[i] = min(1, c * w[i]) with sum k (a candidate whose share
 * would exceed 1 is simply always in, and c is computed again over the
 * others). When k is at least the number of items with weight > 0, all of
 * them get 1.
 */
void mp_rotate_probs(const unsigned *w, size_t n, unsigned k, double *pi);

/*
 * Completes a draw of k among the n items. On entry pick[i] marks items
 * already in (kept from the current draw; they must have w > 0); on return
 * it holds min(k, items with weight > 0) picks: the others are chosen by
 * systematic sampling with the probabilities mp_rotate_probs gives for the
 * remaining places among the items not yet picked. A fresh draw passes
 * pick[] all false. Returns the number of items picked, or 0 when n exceeds
 * MP_ROTATE_MAX (nothing changed).
 */
size_t mp_rotate_draw(const unsigned *w, size_t n, unsigned k, mp_random_fn rnd,
		      bool *pick);

#endif
