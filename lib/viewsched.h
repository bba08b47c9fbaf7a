/*
 * When a vantage node publishes its view and reads the others' (pure; the
 * caller's monotonic clock comes in as now_ms). A node republishes on every
 * change of its view, at most once per publish_interval, and at least every
 * max_age / 3 so that its view never goes stale while it runs; a failed
 * publication is retried after publish_interval. The writer reads every
 * other node's view once per publish_interval.
 */
#ifndef MP_VIEWSCHED_H
#define MP_VIEWSCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "view.h"

struct mp_viewsched {
	bool has_pub;		  /* a publication succeeded */
	struct mp_view published; /* its items */
	uint64_t pub_at_ms;	  /* when it was sent */
	uint64_t attempt_at_ms;	  /* the last attempt, successful or not */
	bool attempted;
	uint64_t read_at_ms[MP_VANTAGE_MAX_NODES]; /* next read due */
};

void mp_viewsched_init(struct mp_viewsched *s, uint64_t now_ms);
void mp_viewsched_clear(struct mp_viewsched *s);

/* Is a publication of own due at now_ms? *next_ms is lowered to when one
 * will be due if nothing changes. */
bool mp_viewsched_publish_due(const struct mp_viewsched *s,
			      const struct mp_vantage_cfg *vc,
			      const struct mp_view *own, uint64_t now_ms,
			      uint64_t *next_ms);

/* A publication of own sent at sent_ms ended (ok: the primary took it). */
int mp_viewsched_published(struct mp_viewsched *s, const struct mp_view *own,
			   uint64_t sent_ms, bool ok);

/* The index (into vc->nodes) of a node whose view is due to be read at
 * now_ms (never this node's own, never on an observer), or -1; *next_ms
 * is lowered to the next read due. */
int mp_viewsched_read_due(const struct mp_viewsched *s,
			  const struct mp_vantage_cfg *vc, uint64_t now_ms,
			  uint64_t *next_ms);

/* A read of node i ended at now_ms (either way): the next is due one
 * publish_interval later. */
void mp_viewsched_read_done(struct mp_viewsched *s,
			    const struct mp_vantage_cfg *vc, size_t i,
			    uint64_t now_ms);

#endif
