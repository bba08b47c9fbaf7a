/*
 * The UPDATE half of the DNS operations' state machine (see dnsops.h):
 * building and sending the UPDATE of a plan, what its outcome means for
 * the engine, and the log lines of a plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "dnsops_int.h"
#include "error.h"
#include "log.h"

/* One line per RRset of the plan, each with its POOL= (and RCODE=). */
void mp_ops_log_plan(struct mp_dnsops *m, int prio, const char *prefix,
		     const char *suffix, const char *rcode)
{
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;
	char item[1200];

	f.rcode = rcode;
	for (size_t i = 0; i < m->plan.n; i++) {
		f.pool = mp_ops_pool_name(m, m->plan.items[i].rrset);
		mp_plan_item_describe(m->e, &m->plan.items[i], item,
				      sizeof(item));
		mp_logf(prio, &f, "%s%s%s", prefix, item, suffix);
	}
}

/* The pool of a plan that touches one pool only, else NULL. */
const char *mp_ops_plan_pool(struct mp_dnsops *m)
{
	const char *pool = NULL;

	for (size_t i = 0; i < m->plan.n; i++) {
		const char *p = mp_ops_pool_name(m, m->plan.items[i].rrset);
		if (pool && strcmp(pool, p) != 0)
			return NULL;
		pool = p;
	}
	return pool;
}

/* One line per RRset changed by an UPDATE the primary accepted. */
static void log_applied(struct mp_dnsops *m, uint64_t rtt_ms)
{
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;
	char item[1200], zone[256];

	mp_name_text(mp_ops_cfg_of(m)->dns.zone, zone, sizeof(zone));
	f.rcode = "NOERROR";
	for (size_t i = 0; i < m->plan.n; i++) {
		mp_plan_item_describe(m->e, &m->plan.items[i], item,
				      sizeof(item));
		f.pool = mp_ops_pool_name(m, m->plan.items[i].rrset);
		mp_logf(LOG_NOTICE, &f, "UPDATE %s: %s (NOERROR in %llu ms%s)",
			zone, item, (unsigned long long)rtt_ms,
			m->plan.operator? ", operator action" : "");
	}
}

/* ---- updates ---------------------------------------------------------- */

void mp_ops_update_done(struct mp_dnsops *m, const struct mp_dnsops_in *in,
			const struct mp_time *now, struct mp_dnsops_out *out)
{
	const struct mp_config *cfg = mp_ops_cfg_of(m);
	const struct mp_dns_response *resp = in->resp;
	char what[320], zone[256], rcbuf[16], suffix[120];
	const char *rc, *pool;
	bool applied = in->outcome == MP_DNSOPS_ANSWER && resp &&
		       resp->rcode == 0 && resp->tsig == MP_TSIG_VERIFIED;

	mp_ops_op_done(m);
	out->changed = true;
	if (applied) {
		if (m->stopping)
			mp_log(LOG_NOTICE, "UPDATE in flight at stop: applied");
		log_applied(m, in->rtt_ms);
		/* verify it took */
		for (size_t i = 0; i < m->plan.n; i++) {
			size_t k = m->plan.items[i].rrset;
			if (!m->pending[k]) {
				m->pending[k] = true;
				m->n_pending++;
			}
		}
		mp_engine_update_result(m->e, &m->plan, MP_UPDATE_DONE,
					"NOERROR", *now);
		mp_plan_clear(&m->plan);
		m->attempt = 0;
		mp_engine_dns_error(m->e, NULL);
		mp_engine_dns_result(m->e, MP_DNS_RESULT_OK, now->wall_ms);
		return;
	}
	mp_dnsops_explain_outcome(in->outcome, resp, in->detail, cfg,
				  now->wall_ms / 1000, m->why, sizeof(m->why));
	rc = mp_dnsops_outcome_rcode(in->outcome, resp, rcbuf, sizeof(rcbuf));
	if (in->outcome == MP_DNSOPS_ANSWER && resp) {
		/* YXRRSET/NXRRSET: our view is stale; SERVFAIL: the
		 * RRset's size tells the likely cause */
		if (resp->rcode == 7 || resp->rcode == 8 || resp->rcode == 2)
			mp_ops_read_all(m);
		mp_engine_update_result(m->e, &m->plan, MP_UPDATE_REJECTED, rc,
					*now);
	} else {
		mp_engine_update_result(
		    m->e, &m->plan, MP_UPDATE_FAILED,
		    in->outcome == MP_DNSOPS_TIMEOUT ? "TIMEOUT" : "FAILED",
		    *now);
	}
	if (m->stopping)
		mp_log(LOG_NOTICE, "UPDATE in flight at stop: not applied");
	snprintf(suffix, sizeof(suffix), " not applied (%s)", rc);
	mp_ops_log_plan(m, LOG_ERR, "UPDATE: ", suffix, rc);
	/* pool is borrowed from the config, which outlives the plan */
	pool = mp_ops_plan_pool(m);
	mp_plan_clear(&m->plan);
	if (m->stopping)
		return; /* no retry: the next start re-reads and plans again */
	snprintf(what, sizeof(what), "UPDATE %s",
		 mp_name_text(cfg->dns.zone, zone, sizeof(zone)));
	mp_ops_schedule_retry(m, what, m->why, pool, rc, mp_ops_result_of(in),
			      now);
}

bool mp_ops_start_update(struct mp_dnsops *m, const struct mp_time *now,
			 struct mp_dnsops_out *out)
{
	const struct mp_config *cfg = mp_ops_cfg_of(m);
	struct mp_rrset_change *ch;
	char zone[256];
	int rc = MP_ENOMEM;

	mp_name_text(cfg->dns.zone, zone, sizeof(zone));
	ch = mp_calloc(m->plan.n, sizeof(*ch));
	if (ch) {
		for (size_t i = 0; i < m->plan.n; i++) {
			struct mp_rrset *r =
			    mp_engine_rrset(m->e, m->plan.items[i].rrset);
			const struct mp_pool_cfg *pc = &cfg->pools[r->pool];
			ch[i].owner = pc->name;
			ch[i].rrtype = r->rrtype;
			ch[i].ttl = pc->ttl;
			ch[i].add = &m->plan.items[i].add;
			ch[i].del = &m->plan.items[i].del;
		}
		rc = mp_update_build(cfg->dns.zone, ch, m->plan.n, m->next_id++,
				     cfg->key, now->wall_ms / 1000, &m->req);
		free(ch);
	}
	if (rc != MP_OK) {
		char what[300];
		mp_ops_log_plan(m, LOG_ERR, "UPDATE: ", " not sent", NULL);
		mp_plan_clear(&m->plan);
		snprintf(what, sizeof(what), "building the UPDATE for %s",
			 zone);
		mp_ops_schedule_retry(m, what, mp_strerror(rc), NULL, NULL,
				      MP_DNS_RESULT_N, now);
		return false;
	}
	m->op = OP_UPDATE;
	m->op_deadline = now->mono_ms + cfg->dns.timeout_ms;
	out->act = MP_DNSOPS_SEND_UPDATE;
	out->req = &m->req;
	out->plan = &m->plan;
	return true;
}
