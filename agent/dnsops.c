/*
 * The DNS side of the daemon: reads of the managed RRsets and UPDATEs, one
 * operation in flight at a time, retried with exponential backoff. What to
 * send is decided by the engine; this file only carries it out and reports.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "backoff.h"
#include "daemon.h"
#include "duration.h"
#include "error.h"
#include "log.h"

static uint32_t rnd_uniform(uint32_t upper)
{
	return upper ? randombytes_uniform(upper) : 0;
}

static void pump(struct mp_daemon *d);

static void dns_timer_cb(uv_timer_t *t)
{
	pump(t->data);
}

void mp_dnsops_kick(struct mp_daemon *d)
{
	if (d->stopping || d->op != MP_OP_IDLE)
		return;
	uv_timer_start(&d->dns_timer, dns_timer_cb, 0, 0);
}

bool mp_dnsops_busy(const struct mp_daemon *d)
{
	return d->op != MP_OP_IDLE;
}

void mp_dnsops_read_all(struct mp_daemon *d)
{
	size_t n = mp_engine_n_rrsets(d->engine);

	for (size_t i = 0; i < n; i++)
		d->read_pending[i] = true;
	d->n_read_pending = n;
	mp_dnsops_kick(d);
}

void mp_dnsops_reset(struct mp_daemon *d)
{
	size_t n = mp_engine_n_rrsets(d->engine);
	bool *np = calloc(n + 1, sizeof(*np));

	if (!np)
		return;
	free(d->read_pending);
	d->read_pending = np;
	d->n_read_pending = 0;
	mp_dnsops_read_all(d);
}

static const char *zone_of(const struct mp_daemon *d)
{
	return d->cfg->dns.zone;
}

/* Names as operators write them, for messages. */
struct names {
	char zone[256], key[256], alg[32];
};

static const struct names *names_of(const struct mp_daemon *d, struct names *n)
{
	const struct mp_tsig_key *k = d->cfg->key;

	mp_name_text(d->cfg->dns.zone, n->zone, sizeof(n->zone));
	mp_name_text(mp_tsig_key_name(k), n->key, sizeof(n->key));
	mp_name_text(mp_tsig_alg_name(mp_tsig_key_alg(k)), n->alg,
		     sizeof(n->alg));
	return n;
}

/* What RCODE= says in the journal for an outcome: the DNS rcode's name when
 * an answer came, else TIMEOUT or NETERR. */
static const char *outcome_rcode(enum mp_dns_outcome o,
				 const struct mp_dns_response *resp, char *buf,
				 size_t len)
{
	if ((o == MP_DNS_ANSWER || o == MP_DNS_UNSIGNED) && resp)
		return mp_rcode_str(resp->rcode, buf, len);
	return o == MP_DNS_TIMEOUT ? "TIMEOUT" : "NETERR";
}

/* How metrics count an operation that did not succeed. */
static enum mp_dns_result result_of(enum mp_dns_outcome o,
				    const struct mp_dns_response *resp)
{
	if (o == MP_DNS_ANSWER && resp && resp->tsig == MP_TSIG_VERIFIED)
		return MP_DNS_RESULT_RCODE;
	if (o == MP_DNS_ANSWER || o == MP_DNS_UNSIGNED)
		return MP_DNS_RESULT_TSIG;
	return o == MP_DNS_TIMEOUT ? MP_DNS_RESULT_TIMEOUT
				   : MP_DNS_RESULT_NETWORK;
}

/* pool and rcode (may be NULL) become journal fields; kind is counted. */
static void schedule_retry(struct mp_daemon *d, const char *what,
			   const char *why, const char *pool, const char *rcode,
			   enum mp_dns_result kind)
{
	uint64_t delay = mp_backoff_delay(d->attempt, rnd_uniform);
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;
	char when[32];

	d->attempt++;
	d->retry_at_ms = mp_now_ms() + delay;
	mp_duration_human(delay, when, sizeof(when));
	f.pool = pool;
	f.rcode = rcode;
	f.reason = why;
	mp_logf(LOG_WARNING, &f, "%s: %s; retrying in %s", what, why, when);
	mp_engine_dns_error(d->engine, why);
	mp_engine_dns_result(d->engine, kind, mp_now_ms());
	uv_timer_start(&d->dns_timer, dns_timer_cb, delay, 0);
}

static void op_done(struct mp_daemon *d)
{
	mp_dns_request_clear(&d->req);
	d->op = MP_OP_IDLE;
}

/* Explains an unsigned or unverifiable answer in operator terms. */
static void explain_unsigned(struct mp_daemon *d,
			     const struct mp_dns_response *resp,
			     const char *detail, char *buf, size_t len)
{
	struct names nmb;
	const struct names nm = *names_of(d, &nmb);
	char rcbuf[16], te[16];
	/* the name is returned; the buffer is only for unknown numbers */
	const char *rc =
	    mp_rcode_str(resp ? resp->rcode : 0, rcbuf, sizeof(rcbuf));
	if (resp && resp->verdict == MP_RESP_UNSIGNED && resp->rcode != 0) {
		const char *tsig_err =
		    resp->tsig_info.error
			? mp_tsig_error_str(resp->tsig_info.error, te,
					    sizeof(te))
			: NULL;
		/* Knot answers BADKEY as well to a key it knows but no acl
		 * grants, so the hint names both causes; PowerDNS answers an
		 * unknown key or a wrong secret with no TSIG RR at all */
		bool badkey = resp->tsig_info.error == MP_TSIG_BADKEY;
		bool no_tsig = resp->tsig_info.key_name[0] == '\0';
		snprintf(buf, len,
			 "unsigned %s%s%s from the server: it could not verify "
			 "key \"%s\" (%s) — check that the primary knows this "
			 "key name, algorithm and secret%s",
			 rc, tsig_err ? "/" : "", tsig_err ? tsig_err : "",
			 nm.key, nm.alg,
			 badkey ? " (Knot: and that an acl grants it update)"
			 : no_tsig
			     ? " (an answer with no TSIG record is how "
			       "PowerDNS rejects an unknown key or a wrong "
			       "secret: see pdnsutil list-tsig-keys)"
			     : "");
	} else if (resp && resp->verdict == MP_RESP_UNSIGNED) {
		snprintf(buf, len,
			 "unsigned %s answer ignored (possible spoofing): %s",
			 rc, detail ? detail : "no TSIG");
	} else {
		snprintf(buf, len,
			 "answer failed TSIG verification (possible spoofing "
			 "or wrong key \"%s\"): %s",
			 nm.key, detail ? detail : "bad TSIG");
	}
}

/* A signed reply with a non-NOERROR rcode or TSIG error. */
static void explain_rejection(struct mp_daemon *d,
			      const struct mp_dns_response *resp, char *buf,
			      size_t len)
{
	struct names nmb;
	const struct names nm = *names_of(d, &nmb);
	char rcbuf[16];
	const char *rc = mp_rcode_str(resp->rcode, rcbuf, sizeof(rcbuf));

	if (resp->tsig == MP_TSIG_SERVER_ERROR &&
	    resp->tsig_info.error == MP_TSIG_BADTIME) {
		long long now = (long long)(mp_now_ms() / 1000);
		long long srv = (long long)(resp->tsig_info.other_time
						? resp->tsig_info.other_time
						: resp->tsig_info.time_signed);
		snprintf(buf, len,
			 "BADTIME: the server's clock reads %lld, ours %lld "
			 "(skew %+lld s, fudge %u s) — fix the clocks (NTP); "
			 "mirrorpool never adjusts them",
			 srv, now, now - srv, (unsigned)resp->tsig_info.fudge);
		return;
	}
	if (resp->tsig == MP_TSIG_SERVER_ERROR) {
		char te[16];
		snprintf(
		    buf, len, "%s/%s: key \"%s\" (%s) rejected", rc,
		    mp_tsig_error_str(resp->tsig_info.error, te, sizeof(te)),
		    nm.key, nm.alg);
		return;
	}
	switch (resp->rcode) {
	case 5: /* REFUSED */
	case 9: /* NOTAUTH */
		snprintf(
		    buf, len,
		    "%s: key \"%s\" is not allowed to update zone %s — check "
		    "allow-update/update-policy (BIND), an acl with action: "
		    "update (Knot), or allow-dnsupdate-from and the zone's "
		    "TSIG-ALLOW-DNSUPDATE/ALLOW-DNSUPDATE-FROM metadata "
		    "(PowerDNS), and the key name",
		    rc, nm.key, nm.zone);
		break;
	case 10: /* NOTZONE */
		snprintf(buf, len,
			 "NOTZONE: %s is not a zone the server is "
			 "authoritative for, or a pool name lies outside it",
			 nm.zone);
		break;
	case 2:
		snprintf(buf, len,
			 "SERVFAIL: the server could not apply the change "
			 "(journal, record limits, zone not loaded?)");
		break;
	default:
		snprintf(buf, len, "%s", rc);
	}
}

/* ---- reads ------------------------------------------------------------ */

static void read_done(void *arg, enum mp_dns_outcome o,
		      const struct mp_dns_response *resp, const char *detail,
		      uint64_t rtt_ms)
{
	struct mp_daemon *d = arg;
	struct mp_rrset *r = mp_engine_rrset(d->engine, d->read_rrset);
	const struct mp_pool_cfg *pc = &d->cfg->pools[r->pool];
	char what[400], why[1200], rcbuf[16];

	(void)rtt_ms;
	if (o == MP_DNS_CANCELLED) {
		op_done(d);
		return;
	}
	op_done(d);
	snprintf(what, sizeof(what), "reading %s %s from %s port %u", pc->name,
		 r->rrtype == 1 ? "A" : "AAAA", d->cfg->dns.server,
		 (unsigned)d->cfg->dns.port);
	if (o == MP_DNS_ANSWER &&
	    (resp->rcode == 0 /* NOERROR */ ||
	     resp->rcode == 3 /* NXDOMAIN */) &&
	    resp->tsig == MP_TSIG_VERIFIED) {
		d->read_pending[d->read_rrset] = false;
		d->n_read_pending--;
		d->attempt = 0;
		mp_engine_dns_error(d->engine, NULL);
		mp_engine_dns_result(d->engine, MP_DNS_RESULT_OK, mp_now_ms());
		mp_engine_dns_view(d->engine, d->read_rrset, &resp->answers,
				   mp_now_ms());
		if (d->n_read_pending == 0) {
			d->first_read_done = true;
			mp_ctlcmd_sync_done(d, NULL);
			mp_daemon_state_changed(d);
		}
		mp_dnsops_kick(d);
		return;
	}
	if (o == MP_DNS_ANSWER)
		explain_rejection(d, resp, why, sizeof(why));
	else if (o == MP_DNS_UNSIGNED)
		explain_unsigned(d, resp, detail, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "%s",
			 o == MP_DNS_TIMEOUT
			     ? "no answer (timeout)"
			     : (detail ? detail : "network error"));
	if (!d->first_read_done) {
		/* the first round counts as tried even when it fails */
		d->first_read_done = true;
		mp_daemon_state_changed(d);
	}
	mp_ctlcmd_sync_done(d, why);
	schedule_retry(d, what, why, pc->name,
		       outcome_rcode(o, resp, rcbuf, sizeof(rcbuf)),
		       result_of(o, resp));
}

static void start_read(struct mp_daemon *d, size_t i)
{
	struct mp_rrset *r = mp_engine_rrset(d->engine, i);
	const struct mp_pool_cfg *pc = &d->cfg->pools[r->pool];
	int rc;

	rc = mp_query_build(pc->name, r->rrtype, d->next_id++, d->cfg->key,
			    mp_now_ms() / 1000, &d->req);
	if (rc != MP_OK) {
		mp_log(LOG_ERR, "cannot build query for %s: %s", pc->name,
		       mp_strerror(rc));
		return;
	}
	d->op = MP_OP_READ;
	d->read_rrset = i;
	d->op_started_ms = mp_now_ms();
	rc = mp_dnsclient_send(d->dns, &d->req,
			       d->cfg->dns.transport == MP_TRANSPORT_TCP,
			       d->cfg->dns.timeout_ms, read_done, d);
	if (rc != MP_OK) {
		op_done(d);
		schedule_retry(d, "sending query", mp_strerror(rc), pc->name,
			       NULL, MP_DNS_RESULT_NETWORK);
	}
}

/* ---- updates ---------------------------------------------------------- */

/* One line per RRset of the plan, each with its POOL= (and RCODE=). */
static void log_plan(struct mp_daemon *d, int prio, const char *prefix,
		     const char *suffix, const char *rcode)
{
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;
	char item[1200];

	f.rcode = rcode;
	for (size_t i = 0; i < d->plan.n; i++) {
		struct mp_rrset *r =
		    mp_engine_rrset(d->engine, d->plan.items[i].rrset);
		f.pool = d->cfg->pools[r->pool].name;
		mp_plan_item_describe(d->engine, &d->plan.items[i], item,
				      sizeof(item));
		mp_logf(prio, &f, "%s%s%s", prefix, item, suffix);
	}
}

/* The pool of a plan that touches one pool only, else NULL. */
static const char *plan_pool(struct mp_daemon *d)
{
	const char *pool = NULL;

	for (size_t i = 0; i < d->plan.n; i++) {
		struct mp_rrset *r =
		    mp_engine_rrset(d->engine, d->plan.items[i].rrset);
		const char *p = d->cfg->pools[r->pool].name;
		if (pool && strcmp(pool, p) != 0)
			return NULL;
		pool = p;
	}
	return pool;
}

/* One line per RRset changed by an UPDATE the primary accepted. */
static void log_applied(struct mp_daemon *d, uint64_t rtt_ms)
{
	struct names nmb;
	const struct names nm = *names_of(d, &nmb);
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;
	char item[1200];

	f.rcode = "NOERROR";
	for (size_t i = 0; i < d->plan.n; i++) {
		struct mp_rrset *r =
		    mp_engine_rrset(d->engine, d->plan.items[i].rrset);
		mp_plan_item_describe(d->engine, &d->plan.items[i], item,
				      sizeof(item));
		f.pool = d->cfg->pools[r->pool].name;
		mp_logf(LOG_NOTICE, &f, "UPDATE %s: %s (NOERROR in %llu ms%s)",
			nm.zone, item, (unsigned long long)rtt_ms,
			d->plan.operator? ", operator action" : "");
	}
}

static void update_done(void *arg, enum mp_dns_outcome o,
			const struct mp_dns_response *resp, const char *detail,
			uint64_t rtt_ms)
{
	struct mp_daemon *d = arg;
	struct names nmb;
	const struct names nm = *names_of(d, &nmb);
	char what[320], why[1200], rcbuf[16], suffix[120];
	bool applied;

	if (o == MP_DNS_CANCELLED) {
		/* a second SIGTERM: nobody will hear the answer */
		if (d->stopping)
			log_plan(d, LOG_WARNING, "UPDATE: ",
				 " abandoned at stop; the primary may have "
				 "applied it (the next start re-reads)",
				 NULL);
		op_done(d);
		mp_plan_clear(&d->plan);
		return;
	}
	op_done(d);
	applied = o == MP_DNS_ANSWER && resp->rcode == 0 &&
		  resp->tsig == MP_TSIG_VERIFIED;
	if (d->stopping) {
		/* still report what happened, then finish the stop */
		mp_log(LOG_NOTICE, "UPDATE in flight at stop: %s",
		       applied ? "applied" : "not applied");
		if (applied) {
			log_applied(d, rtt_ms);
			mp_engine_update_result(d->engine, &d->plan,
						MP_UPDATE_DONE, "NOERROR",
						mp_now_ms());
		} else {
			log_plan(d, LOG_ERR, "UPDATE: ", " not applied", NULL);
		}
		mp_plan_clear(&d->plan);
		mp_daemon_stop_if_stopping(d);
		return;
	}
	snprintf(what, sizeof(what), "UPDATE %s", nm.zone);
	if (applied) {
		log_applied(d, rtt_ms);
		/* verify it took */
		for (size_t i = 0; i < d->plan.n; i++) {
			if (!d->read_pending[d->plan.items[i].rrset]) {
				d->read_pending[d->plan.items[i].rrset] = true;
				d->n_read_pending++;
			}
		}
		mp_engine_update_result(d->engine, &d->plan, MP_UPDATE_DONE,
					"NOERROR", mp_now_ms());
		mp_plan_clear(&d->plan);
		d->attempt = 0;
		mp_engine_dns_error(d->engine, NULL);
		mp_engine_dns_result(d->engine, MP_DNS_RESULT_OK, mp_now_ms());
		mp_daemon_state_changed(d);
		mp_dnsops_kick(d);
		return;
	}
	if (o == MP_DNS_ANSWER) {
		const char *rc =
		    mp_rcode_str(resp->rcode, rcbuf, sizeof(rcbuf));

		explain_rejection(d, resp, why, sizeof(why));
		if (resp->rcode == 7 || resp->rcode == 8) {
			/* YXRRSET/NXRRSET: our view is stale */
			mp_dnsops_read_all(d);
		}
		mp_engine_update_result(d->engine, &d->plan, MP_UPDATE_REJECTED,
					rc, mp_now_ms());
	} else {
		if (o == MP_DNS_UNSIGNED)
			explain_unsigned(d, resp, detail, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s",
				 o == MP_DNS_TIMEOUT
				     ? "no answer (timeout)"
				     : (detail ? detail : "network error"));
		mp_engine_update_result(
		    d->engine, &d->plan, MP_UPDATE_FAILED,
		    o == MP_DNS_TIMEOUT ? "TIMEOUT" : "FAILED", mp_now_ms());
	}
	{
		const char *rc = outcome_rcode(o, resp, rcbuf, sizeof(rcbuf));
		const char *pool = plan_pool(d);

		snprintf(suffix, sizeof(suffix), " not applied (%s)", rc);
		log_plan(d, LOG_ERR, "UPDATE: ", suffix, rc);
		/* pool is borrowed from the config, which outlives the plan */
		mp_plan_clear(&d->plan);
		mp_daemon_state_changed(d);
		schedule_retry(d, what, why, pool, rc, result_of(o, resp));
	}
}

static void start_update(struct mp_daemon *d)
{
	struct names nmb;
	const struct names nm = *names_of(d, &nmb);
	struct mp_rrset_change *ch;
	int rc;

	ch = calloc(d->plan.n, sizeof(*ch));
	if (!ch) {
		mp_plan_clear(&d->plan);
		return;
	}
	for (size_t i = 0; i < d->plan.n; i++) {
		struct mp_rrset *r =
		    mp_engine_rrset(d->engine, d->plan.items[i].rrset);
		const struct mp_pool_cfg *pc = &d->cfg->pools[r->pool];
		ch[i].owner = pc->name;
		ch[i].rrtype = r->rrtype;
		ch[i].ttl = pc->ttl;
		ch[i].add = &d->plan.items[i].add;
		ch[i].del = &d->plan.items[i].del;
	}
	rc = mp_update_build(zone_of(d), ch, d->plan.n, d->next_id++,
			     d->cfg->key, mp_now_ms() / 1000, &d->req);
	free(ch);
	if (rc != MP_OK) {
		mp_log(LOG_ERR, "cannot build UPDATE for %s: %s", nm.zone,
		       mp_strerror(rc));
		log_plan(d, LOG_ERR, "UPDATE: ", " not sent", NULL);
		mp_plan_clear(&d->plan);
		return;
	}
	d->op = MP_OP_UPDATE;
	d->op_started_ms = mp_now_ms();
	rc = mp_dnsclient_send(d->dns, &d->req,
			       d->cfg->dns.transport == MP_TRANSPORT_TCP,
			       d->cfg->dns.timeout_ms, update_done, d);
	if (rc != MP_OK) {
		op_done(d);
		mp_plan_clear(&d->plan);
		schedule_retry(d, "sending UPDATE", mp_strerror(rc), NULL, NULL,
			       MP_DNS_RESULT_NETWORK);
	}
}

static void pump(struct mp_daemon *d)
{
	uint64_t now = mp_now_ms(), next = UINT64_MAX;

	if (d->stopping || d->op != MP_OP_IDLE)
		return;
	if (now < d->retry_at_ms) {
		uv_timer_start(&d->dns_timer, dns_timer_cb,
			       d->retry_at_ms - now, 0);
		return;
	}
	if (d->n_read_pending > 0) {
		size_t n = mp_engine_n_rrsets(d->engine);
		for (size_t i = 0; i < n; i++)
			if (d->read_pending[i]) {
				start_read(d, i);
				return;
			}
		d->n_read_pending = 0;
	}
	mp_engine_tick(d->engine, now);
	if (mp_engine_plan(d->engine, now, &d->plan, &next) == 1) {
		if (mp_daemon_dry_run(d)) {
			if (mp_engine_dry_run_note(d->engine, &d->plan, now))
				log_plan(d, LOG_NOTICE,
					 "dry-run: would send UPDATE: ", "",
					 NULL);
			mp_plan_clear(&d->plan);
			mp_dnsops_kick(d);
			return;
		}
		start_update(d);
		return;
	}
	if (next != UINT64_MAX)
		uv_timer_start(&d->dns_timer, dns_timer_cb,
			       next > now ? next - now : 1, 0);
}
