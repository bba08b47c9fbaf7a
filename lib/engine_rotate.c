/*
 * The engine's rotation (pool.rotate with max_published = k): which k
 * candidates of an RRset the selection ranks first until the next re-draw.
 * The draw itself is lib/rotate.c; here it meets health, drains and time:
 *
 * - the first draw of an RRset keeps what DNS already publishes (start-up
 *   and reload change nothing) and fills any missing places;
 * - every `rotate` the whole subset is drawn afresh (one UPDATE when it
 *   differs, under the usual rate limits), except while the guard freezes
 *   removals: a re-draw then could only grow the RRset, so it waits;
 * - between re-draws an address that stops being a candidate (down,
 *   suppressed, drained) loses its place at once and the place is drawn
 *   among the other candidates with the remaining probabilities; one that
 *   becomes a candidate again waits for the next re-draw.
 *
 * The floor, the freeze and the never-empty rule act after this, in
 * mp_select, exactly as without rotation.
 */
#include "engine_int.h"

#include <stdlib.h>

#include "error.h"
#include "rotate.h"
#include "select.h"

int mp_eng_rotate(struct mp_engine *e, struct mp_rrset *r, uint64_t now_ms,
		  uint64_t *next_ms)
{
	const struct mp_pool_cfg *pc = eng_pool(e, r->pool);
	unsigned w[MP_ROTATE_MAX] = {0};
	bool pick[MP_ROTATE_MAX] = {false};
	size_t idx[MP_ROTATE_MAX];
	size_t n = 0;
	bool fresh;

	if (pc->rotate_ms == 0 || pc->max_published == 0 || !r->in_dns_known) {
		if (r->has_draw)
			mp_addr_set_clear(&r->drawn);
		r->has_draw = false;
		return MP_OK;
	}
	fresh = r->has_draw && now_ms >= r->drawn_at_ms + pc->rotate_ms &&
		!e->frozen;
	for (size_t k = 0; k < e->n_targets && n < MP_ROTATE_MAX; k++) {
		struct mp_target *t = &e->targets[k];
		struct mp_select_item it;

		if (!mp_eng_target_in_rrset(e, t, r))
			continue;
		mp_eng_select_item(e, t, r, &it);
		idx[n] = k;
		w[n] = mp_select_candidate(&it) ? it.weight : 0;
		if (fresh)
			pick[n] = false;
		else if (r->has_draw)
			pick[n] = it.drawn;
		else
			pick[n] = it.published; /* the first draw */
		if (w[n] == 0)
			pick[n] = false;
		n++;
	}
	mp_rotate_draw(w, n, pc->max_published, e->rnd, pick);
	mp_addr_set_clear(&r->drawn);
	for (size_t i = 0; i < n; i++)
		if (pick[i] &&
		    mp_addr_set_add(&r->drawn, &e->targets[idx[i]].addr) !=
			MP_OK)
			return MP_ENOMEM;
	if (!r->has_draw || fresh) {
		r->drawn_at_ms = now_ms;
		if (r->has_draw)
			r->draws++;
	}
	r->has_draw = true;
	/* While frozen the re-draw waits for the freeze to lift, which is an
	 * event of its own. */
	if (!e->frozen && r->drawn_at_ms + pc->rotate_ms < *next_ms)
		*next_ms = r->drawn_at_ms + pc->rotate_ms;
	return MP_OK;
}
