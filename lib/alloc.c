#include <stdlib.h>

#include "alloc.h"

static long fail_after = -1;

void mp_alloc_fail_after(long after)
{
	fail_after = after;
}

void *mp_calloc(size_t n, size_t size)
{
	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	return calloc(n, size);
}
