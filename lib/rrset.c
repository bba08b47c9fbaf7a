#include "rrset.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

void mp_addr_set_init(struct mp_addr_set *s)
{
	s->v = NULL;
	s->n = 0;
	s->cap = 0;
}

void mp_addr_set_clear(struct mp_addr_set *s)
{
	free(s->v);
	mp_addr_set_init(s);
}

/* Index of a in s, or of where it would go; *found says which. */
static size_t find(const struct mp_addr_set *s, const struct mp_addr *a,
		   bool *found)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = mp_addr_cmp(&s->v[mid], a);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static int reserve(struct mp_addr_set *s, size_t want)
{
	struct mp_addr *v;
	size_t cap;

	if (want <= s->cap)
		return MP_OK;
	cap = s->cap ? s->cap : 4;
	while (cap < want) {
		if (cap > (size_t)-1 / 2 / sizeof(*v))
			return MP_ENOMEM;
		cap *= 2;
	}
	v = realloc(s->v, cap * sizeof(*v));
	if (!v)
		return MP_ENOMEM;
	s->v = v;
	s->cap = cap;
	return MP_OK;
}

int mp_addr_set_add(struct mp_addr_set *s, const struct mp_addr *a)
{
	bool found;
	size_t i = find(s, a, &found);
	int rc;

	if (found)
		return MP_OK;
	rc = reserve(s, s->n + 1);
	if (rc != MP_OK)
		return rc;
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
	s->v[i] = *a;
	s->n++;
	return MP_OK;
}

bool mp_addr_set_remove(struct mp_addr_set *s, const struct mp_addr *a)
{
	bool found;
	size_t i = find(s, a, &found);

	if (!found)
		return false;
	memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
	s->n--;
	return true;
}

bool mp_addr_set_contains(const struct mp_addr_set *s, const struct mp_addr *a)
{
	bool found;

	find(s, a, &found);
	return found;
}

bool mp_addr_set_equal(const struct mp_addr_set *a, const struct mp_addr_set *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (mp_addr_cmp(&a->v[i], &b->v[i]) != 0)
			return false;
	return true;
}

int mp_addr_set_copy(struct mp_addr_set *dst, const struct mp_addr_set *src)
{
	int rc;

	if (dst == src)
		return MP_OK;
	dst->n = 0;
	rc = reserve(dst, src->n);
	if (rc != MP_OK)
		return rc;
	if (src->n)
		memcpy(dst->v, src->v, src->n * sizeof(*src->v));
	dst->n = src->n;
	return MP_OK;
}

/* Appends the members of a missing from b to out (both sorted, so the
 * result is sorted too). */
static int difference(const struct mp_addr_set *a, const struct mp_addr_set *b,
		      struct mp_addr_set *out)
{
	size_t i = 0, j = 0;
	int rc;

	while (i < a->n) {
		int c = j < b->n ? mp_addr_cmp(&a->v[i], &b->v[j]) : -1;

		if (c == 0) {
			i++;
			j++;
		} else if (c > 0) {
			j++;
		} else {
			rc = reserve(out, out->n + 1);
			if (rc != MP_OK)
				return rc;
			out->v[out->n++] = a->v[i++];
		}
	}
	return MP_OK;
}

int mp_rrset_diff(const struct mp_addr_set *desired,
		  const struct mp_addr_set *in_dns, struct mp_addr_set *add,
		  struct mp_addr_set *del)
{
	int rc;

	add->n = 0;
	del->n = 0;
	rc = difference(desired, in_dns, add);
	if (rc == MP_OK)
		rc = difference(in_dns, desired, del);
	if (rc != MP_OK) {
		add->n = 0;
		del->n = 0;
	}
	return rc;
}
