/*
 * Pool selection (SPEC §4). The steps run in the SPEC's order on one pool and
 * one address family. Pools hold at most 100 addresses per family, so the
 * ranking is done by repeated scans instead of a sort: no allocation, no
 * failure path, and the same answer for the same input every time.
 */
#include "select.h"

#include <string.h>

bool mp_select_candidate(const struct mp_select_item *it)
{
	return it->up && !it->drained && !it->suppressed && it->weight > 0;
}

/* What the floor, the freeze and the empty-RRset rule may keep: published
 * and not taken out by the operator (drain) or the config (weight 0). */
static bool is_keepable(const struct mp_select_item *it)
{
	return it->published && !it->drained && it->weight > 0;
}

static int cmp_name_addr(const struct mp_select_item *a,
			 const struct mp_select_item *b)
{
	int c = strcmp(a->mirror ? a->mirror : "", b->mirror ? b->mirror : "");
	if (c != 0)
		return c;
	if (!a->addr || !b->addr) /* items without an address (JSON pools) */
		return (a->addr != NULL) - (b->addr != NULL);
	return mp_addr_cmp(a->addr, b->addr);
}

/* Negative when a is the better candidate for max_published: in the
 * rotation's draw first (only set when the pool rotates), currently
 * published (no churn), higher weight, lower latency (UINT32_MAX, unknown,
 * sorts last by itself), then name and address. */
static int cmp_candidate(const struct mp_select_item *a,
			 const struct mp_select_item *b)
{
	if (a->drawn != b->drawn)
		return a->drawn ? -1 : 1;
	if (a->published != b->published)
		return a->published ? -1 : 1;
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	if (a->latency_ms != b->latency_ms)
		return a->latency_ms < b->latency_ms ? -1 : 1;
	return cmp_name_addr(a, b);
}

/* Negative when the floor should rather keep a: most recently healthy
 * first, then higher weight, then name and address. */
static int cmp_floor(const struct mp_select_item *a,
		     const struct mp_select_item *b)
{
	if (a->last_ok_at_ms != b->last_ok_at_ms)
		return a->last_ok_at_ms > b->last_ok_at_ms ? -1 : 1;
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	return cmp_name_addr(a, b);
}

/* Index of the best item, by cmp, among those that pass ok and are not
 * chosen yet; n when there is none. */
static size_t best_of(const struct mp_select_item *items, size_t n,
		      const bool *publish,
		      bool (*ok)(const struct mp_select_item *),
		      int (*cmp)(const struct mp_select_item *,
				 const struct mp_select_item *))
{
	size_t best = n;

	for (size_t i = 0; i < n; i++) {
		if (publish[i] || !ok(&items[i]))
			continue;
		if (best == n || cmp(&items[i], &items[best]) < 0)
			best = i;
	}
	return best;
}

void mp_select(const struct mp_select_item *items, size_t n,
	       const struct mp_select_params *p, bool *publish,
	       struct mp_select_result *res)
{
	size_t selected = 0;

	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < n; i++) {
		publish[i] = false;
		if (mp_select_candidate(&items[i]))
			res->n_candidates++;
	}

	/* 1 and 2: candidates, capped to the best max_published. */
	if (p->max_published == 0 || res->n_candidates <= p->max_published) {
		for (size_t i = 0; i < n; i++)
			publish[i] = mp_select_candidate(&items[i]);
		selected = res->n_candidates;
	} else {
		while (selected < p->max_published) {
			size_t b = best_of(items, n, publish,
					   mp_select_candidate, cmp_candidate);
			publish[b] = true;
			selected++;
		}
	}

	/*
	 * The floor, the freeze and the empty-RRset rule below only ever add
	 * published addresses back, so they may take the RRset above
	 * max_published: keeping a doubtful address is preferred to dropping
	 * a healthy one to make room for it, and none of them ever removes an
	 * address that step 2 chose.
	 */

	/* 3: the min_healthy floor, most recently healthy first. */
	while (selected < p->min_healthy) {
		size_t b = best_of(items, n, publish, is_keepable, cmp_floor);
		if (b == n)
			break;
		publish[b] = true;
		selected++;
		res->n_floor_kept++;
	}
	/* Every keepable address is in by now if the floor is still short,
	 * so neither step below can change this answer. */
	res->below_floor = selected < p->min_healthy;

	/* 4: the freeze removes nothing but drains and disabled mirrors. */
	if (p->frozen) {
		for (size_t i = 0; i < n; i++) {
			if (!publish[i] && is_keepable(&items[i])) {
				publish[i] = true;
				selected++;
				res->n_freeze_kept++;
			}
		}
	}

	/* 5: fail static. Health decisions alone never empty an RRset; with
	 * no telling which stale address is least bad, all stay. Only
	 * drained (or weight-0) addresses may leave it empty. */
	if (selected == 0) {
		for (size_t i = 0; i < n; i++) {
			if (is_keepable(&items[i])) {
				publish[i] = true;
				selected++;
				res->n_empty_kept++;
			}
		}
	}

	res->n_selected = selected;
}

bool mp_guard_all_down(size_t n_checked, size_t n_failing)
{
	return n_checked > 0 && n_failing == n_checked;
}
