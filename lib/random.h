/* Randomness enters lib/ only through a function pointer, so decisions that
 * use it (check jitter, retry backoff) stay deterministic under test. */
#ifndef MP_RANDOM_H
#define MP_RANDOM_H

#include <stdint.h>

/* Returns a uniform value in [0, upper); upper is at least 1. The same
 * typedef appears in health.h: C11 allows an identical repetition. */
typedef uint32_t (*mp_random_fn)(uint32_t upper);

#endif
