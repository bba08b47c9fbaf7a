/* Sets of addresses (one RRset's content) and the diff between the desired
 * set and what DNS holds. Sets are kept sorted (mp_addr_cmp) and unique. */
#ifndef MP_RRSET_H
#define MP_RRSET_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

struct mp_addr_set {
	struct mp_addr *v;
	size_t n;
	size_t cap;
};

void mp_addr_set_init(struct mp_addr_set *s);
void mp_addr_set_clear(struct mp_addr_set *s); /* frees storage */
/* Returns 0, or MP_ENOMEM. Adding a present address is a no-op. */
int mp_addr_set_add(struct mp_addr_set *s, const struct mp_addr *a);
bool mp_addr_set_remove(struct mp_addr_set *s, const struct mp_addr *a);
bool mp_addr_set_contains(const struct mp_addr_set *s, const struct mp_addr *a);
bool mp_addr_set_equal(const struct mp_addr_set *a,
		       const struct mp_addr_set *b);
int mp_addr_set_copy(struct mp_addr_set *dst, const struct mp_addr_set *src);

/* add = desired - in_dns, del = in_dns - desired. add and del are emptied
 * first. Returns 0 or MP_ENOMEM. */
int mp_rrset_diff(const struct mp_addr_set *desired,
		  const struct mp_addr_set *in_dns, struct mp_addr_set *add,
		  struct mp_addr_set *del);

#endif
