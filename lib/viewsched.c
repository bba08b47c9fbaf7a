/* When a vantage node publishes and reads views (see viewsched.h). */
#include "viewsched.h"

#include <string.h>

#include "error.h"

void mp_viewsched_init(struct mp_viewsched *s, uint64_t now_ms)
{
	memset(s, 0, sizeof(*s));
	mp_view_init(&s->published);
	/* read every view at once at start */
	for (size_t i = 0; i < MP_VANTAGE_MAX_NODES; i++)
		s->read_at_ms[i] = now_ms;
}

void mp_viewsched_clear(struct mp_viewsched *s)
{
	mp_view_clear(&s->published);
	memset(s, 0, sizeof(*s));
}

static void lower(uint64_t *next_ms, uint64_t t)
{
	if (next_ms && t < *next_ms)
		*next_ms = t;
}

bool mp_viewsched_publish_due(const struct mp_viewsched *s,
			      const struct mp_vantage_cfg *vc,
			      const struct mp_view *own, uint64_t now_ms,
			      uint64_t *next_ms)
{
	uint64_t rate_at, refresh_at;

	if (!vc->enabled)
		return false;
	rate_at =
	    s->attempted ? s->attempt_at_ms + vc->publish_interval_ms : now_ms;
	if (!s->has_pub) {
		lower(next_ms, rate_at);
		return now_ms >= rate_at;
	}
	refresh_at = s->pub_at_ms + vc->max_age_ms / 3;
	if (refresh_at < rate_at)
		refresh_at = rate_at;
	if (!mp_view_same_items(own, &s->published)) {
		lower(next_ms, rate_at);
		return now_ms >= rate_at;
	}
	lower(next_ms, refresh_at);
	return now_ms >= refresh_at;
}

int mp_viewsched_published(struct mp_viewsched *s, const struct mp_view *own,
			   uint64_t sent_ms, bool ok)
{
	s->attempted = true;
	s->attempt_at_ms = sent_ms;
	if (!ok)
		return MP_OK;
	s->pub_at_ms = sent_ms;
	s->has_pub = true;
	return mp_view_copy(&s->published, own);
}

int mp_viewsched_read_due(const struct mp_viewsched *s,
			  const struct mp_vantage_cfg *vc, uint64_t now_ms,
			  uint64_t *next_ms)
{
	int due = -1;

	if (!vc->enabled || vc->role != MP_ROLE_WRITER)
		return -1;
	for (size_t i = 0; i < vc->n_nodes && i < MP_VANTAGE_MAX_NODES; i++) {
		if (i == vc->self)
			continue;
		/* the one waiting longest goes first */
		if (s->read_at_ms[i] <= now_ms &&
		    (due < 0 || s->read_at_ms[i] < s->read_at_ms[due]))
			due = (int)i;
		lower(next_ms, s->read_at_ms[i]);
	}
	return due;
}

void mp_viewsched_read_done(struct mp_viewsched *s,
			    const struct mp_vantage_cfg *vc, size_t i,
			    uint64_t now_ms)
{
	if (i < MP_VANTAGE_MAX_NODES)
		s->read_at_ms[i] = now_ms + vc->publish_interval_ms;
}
