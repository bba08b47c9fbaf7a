/* The quorum vote of several vantage points (see vote.h). */
#include "vote.h"

#include <stdio.h>

/* What mp_vote_describe says of one vote: no view, stale, or the verdict of
 * a fresh one. */
static unsigned vote_word(const struct mp_vote_in *v)
{
	if (!v->has_view)
		return 0;
	if (!v->fresh)
		return 1;
	return 2 + (unsigned)v->verdict; /* unknown, up, down: 2..4 */
}

void mp_vote(const struct mp_vote_in *in, size_t n, unsigned quorum,
	     enum mp_vote_fallback fb, enum mp_health_state current,
	     struct mp_vote_result *out)
{
	bool down_ok, up_ok;

	out->n_up = out->n_down = out->n_fresh = 0;
	out->n_nodes = (unsigned)n;
	out->votes = 0;
	for (size_t i = 0; i < n; i++) {
		if (i < 64 / 3)
			out->votes |= (uint64_t)vote_word(&in[i]) << (3 * i);
		if (!in[i].fresh)
			continue;
		out->n_fresh++;
		if (in[i].verdict == MP_VERDICT_UP)
			out->n_up++;
		else if (in[i].verdict == MP_VERDICT_DOWN)
			out->n_down++;
	}
	out->quorum_lost = out->n_fresh < quorum;
	out->need = out->quorum_lost ? out->n_fresh : quorum;
	out->held = false;
	out->state = current;
	/* no vote at all (no fresh node, or quorum 0) changes nothing */
	up_ok = out->need > 0 && out->n_up >= out->need;
	down_ok = out->need > 0 && out->n_down >= out->need;
	if (down_ok && out->quorum_lost && fb == MP_FALLBACK_FREEZE &&
	    current != MP_HEALTH_DOWN) {
		out->held = current == MP_HEALTH_UP;
		down_ok = false;
	}
	switch (current) {
	case MP_HEALTH_UP:
		if (down_ok)
			out->state = MP_HEALTH_DOWN;
		break;
	case MP_HEALTH_DOWN:
		if (up_ok)
			out->state = MP_HEALTH_UP;
		break;
	default:
		if (up_ok && (!down_ok || out->n_up > out->n_down))
			out->state = MP_HEALTH_UP;
		else if (down_ok && (!up_ok || out->n_down > out->n_up))
			out->state = MP_HEALTH_DOWN;
		break;
	}
	out->changed = out->state != current;
}

bool mp_view_fresh(uint64_t view_ms, uint64_t now_ms, uint64_t max_age_ms,
		   uint64_t skew_ms, uint64_t *age_ms)
{
	uint64_t age = now_ms > view_ms ? now_ms - view_ms : 0;

	if (age_ms)
		*age_ms = age;
	if (view_ms > now_ms)
		return view_ms - now_ms <= skew_ms;
	return age <= max_age_ms;
}

const char *mp_vote_describe(const struct mp_vote_in *in, size_t n, char *buf,
			     size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		const char *what = !in[i].has_view ? "no view"
				   : !in[i].fresh
				       ? "stale"
				       : mp_verdict_name(in[i].verdict);
		int w = snprintf(buf + off, len - off, "%s%s %s", i ? ", " : "",
				 in[i].node, what);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}
