/* The engine's reading of a SERVFAIL to an UPDATE: the rcode says only
 * that the server could not apply the change, so the RRset is read again
 * and its size tells the likely cause. BIND refuses an RRset of more than
 * max-records-per-type records (100 by default since 9.18.28); below that
 * a server fails an UPDATE it cannot record: BIND's journal, Knot's
 * storage (FAULTS 21 and 23). */
#include "engine_int.h"

#include <stdio.h>
#include <string.h>

#include "config.h"

void mp_eng_servfail_noted(struct mp_rrset *r, const char *rcode)
{
	r->servfail_pending = rcode && strcmp(rcode, "SERVFAIL") == 0;
}

/* How many records the failed UPDATE would have left in the RRset, now
 * that in_dns is known: its deletions first, then its additions. */
static size_t size_after(const struct mp_rrset *r,
			 const struct mp_addr_set *in_dns)
{
	size_t n = in_dns->n;

	for (size_t k = 0; k < r->last_removed.n; k++)
		if (mp_addr_set_contains(in_dns, &r->last_removed.v[k]))
			n--;
	for (size_t k = 0; k < r->last_added.n; k++)
		if (!mp_addr_set_contains(in_dns, &r->last_added.v[k]))
			n++;
	return n;
}

void mp_eng_servfail_explain(struct mp_engine *e, struct mp_rrset *r,
			     const struct mp_addr_set *in_dns)
{
	const char *pool = eng_pool(e, r->pool)->name;
	const char *type = rrtype_name(r->rrtype);
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;
	size_t after, foreign = 0;
	char why[600];

	if (!r->servfail_pending)
		return;
	r->servfail_pending = false;
	after = size_after(r, in_dns);
	for (size_t k = 0; k < in_dns->n; k++)
		if (!mp_eng_addr_is_member(e, r, &in_dns->v[k]))
			foreign++;
	if (after > MP_MAX_ADDRS_PER_FAMILY) {
		snprintf(why, sizeof(why),
			 "the RRset holds %zu records (%zu of no configured "
			 "mirror) and the UPDATE would have left %zu, more "
			 "than BIND's max-records-per-type (%d by default): "
			 "%s",
			 in_dns->n, foreign, after, MP_MAX_ADDRS_PER_FAMILY,
			 foreign ? "the foreign records go first in the next "
				   "UPDATE"
				 : "remove records or raise max-records-per-"
				   "type on the primary");
	} else {
		snprintf(why, sizeof(why),
			 "the RRset holds %zu records, within any record "
			 "limit, so the server could not record the change: "
			 "BIND cannot write the zone's journal (its directory "
			 "or file not writable: \"journal open failed\" in "
			 "named's log), Knot's storage directory is missing "
			 "or not writable (\"DDNS, processing failed\" in "
			 "knotd's log)",
			 in_dns->n);
	}
	f.pool = pool;
	f.rcode = "SERVFAIL";
	f.reason = why;
	mp_logf(LOG_ERR, &f, "%s %s: SERVFAIL, likely cause: %s", pool, type,
		why);
}
