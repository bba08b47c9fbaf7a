/* Allocation with a failure hook, for the paths where running out of
 * memory must leave the state as it was: unit tests make an allocation
 * fail on purpose and check that nothing was corrupted. */
#ifndef MP_ALLOC_H
#define MP_ALLOC_H

#include <stddef.h>

/* calloc, unless the hook says this one fails (then NULL). */
void *mp_calloc(size_t n, size_t size);

/* Tests: let `after` more mp_calloc calls succeed, then fail every one
 * until called again; a negative value turns failures off (the default). */
void mp_alloc_fail_after(long after);

#endif
