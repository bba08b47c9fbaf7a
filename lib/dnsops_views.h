/*
 * The vantage views in the DNS operations (internal to lib/dnsops.c):
 * publishing this node's view with a TXT UPDATE and, on the writer,
 * reading the other nodes' views with signed queries, when lib/viewsched.h
 * says they are due. Their failures never hold up the pool's operations:
 * a failed publication is tried again after publish_interval, a failed
 * read leaves that node's last view to go stale by its own time.
 */
#ifndef MP_DNSOPS_VIEWS_H
#define MP_DNSOPS_VIEWS_H

#include <stdbool.h>
#include <stdint.h>

#include "dnsmsg.h"
#include "engine.h"
#include "timebase.h"
#include "viewsched.h"

struct mp_dnsops_views {
	struct mp_viewsched sched;
	struct mp_view sending; /* the view being published */
	size_t node;		/* the node being read */
	uint64_t sent_ms;	/* monotonic */
	bool publish_failing;	/* logged once per failure run */
	bool dry_logged;
};

void mp_dnsops_views_init(struct mp_dnsops_views *v, const struct mp_time *now);
void mp_dnsops_views_free(struct mp_dnsops_views *v);

/*
 * Builds the next view operation due into req (a read when *read is set,
 * else a publication) and returns true; false when none is due now
 * (*wake_ms lowered to when one will be). dry_run: a publication is
 * logged, not sent.
 */
bool mp_dnsops_views_start(struct mp_dnsops_views *v, struct mp_engine *e,
			   uint16_t id, bool dry_run, const struct mp_time *now,
			   struct mp_dns_request *req, bool *read,
			   uint64_t *wake_ms);

/* The operation started by mp_dnsops_views_start ended: resp is the
 * verified answer, or NULL with why. Returns true when the engine's vote
 * may change. */
bool mp_dnsops_views_done(struct mp_dnsops_views *v, struct mp_engine *e,
			  bool read, const struct mp_dns_response *resp,
			  const char *why, const struct mp_time *now);

#endif
