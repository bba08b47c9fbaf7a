/*
 * The DNS operations' state machine (see dnsops.h): which read or UPDATE
 * goes next, what its outcome means for the engine, when to retry, and when
 * a stop or a reload may proceed. The UPDATE half is in dnsops_update.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "backoff.h"
#include "dnsops.h"
#include "dnsops_int.h"
#include "dnsops_views.h"
#include "duration.h"
#include "error.h"
#include "log.h"

const struct mp_config *mp_ops_cfg_of(const struct mp_dnsops *m)
{
	return mp_engine_config(m->e);
}

void mp_ops_read_all(struct mp_dnsops *m)
{
	for (size_t i = 0; i < m->n_rrsets; i++)
		m->pending[i] = true;
	m->n_pending = m->n_rrsets;
}

int mp_dnsops_reserve(struct mp_dnsops *m, size_t n)
{
	bool *np;

	if (n <= m->cap)
		return MP_OK;
	np = mp_calloc(n, sizeof(*np));
	if (!np)
		return MP_ENOMEM;
	if (m->pending)
		memcpy(np, m->pending, m->n_rrsets * sizeof(*np));
	free(m->pending);
	m->pending = np;
	m->cap = n;
	return MP_OK;
}

int mp_dnsops_new(struct mp_engine *engine, mp_random_fn rnd,
		  struct mp_dnsops **out)
{
	struct mp_dnsops *m = mp_calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return MP_ENOMEM;
	m->e = engine;
	m->rnd = rnd;
	if (mp_dnsops_reserve(m, mp_engine_n_rrsets(engine) + 1) != MP_OK) {
		free(m);
		return MP_ENOMEM;
	}
	m->n_rrsets = mp_engine_n_rrsets(engine);
	m->next_id = rnd ? (uint16_t)rnd(65536) : 0;
	mp_ops_read_all(m);
	*out = m;
	return MP_OK;
}

void mp_dnsops_free(struct mp_dnsops *m)
{
	if (!m)
		return;
	mp_plan_clear(&m->plan);
	mp_dns_request_clear(&m->req);
	mp_dnsops_views_free(&m->views);
	free(m->pending);
	free(m);
}

void mp_dnsops_set_dry_run(struct mp_dnsops *m, bool dry_run)
{
	m->dry_run = dry_run;
}

bool mp_dnsops_busy(const struct mp_dnsops *m)
{
	return m->op != OP_IDLE;
}

bool mp_dnsops_updating(const struct mp_dnsops *m)
{
	return m->op == OP_UPDATE;
}

size_t mp_dnsops_reads_pending(const struct mp_dnsops *m)
{
	return m->n_pending;
}

unsigned mp_dnsops_attempt(const struct mp_dnsops *m)
{
	return m->attempt;
}

static void wake(struct mp_dnsops_out *out, uint64_t at)
{
	if (at < out->wake_at_ms)
		out->wake_at_ms = at;
}

void mp_ops_op_done(struct mp_dnsops *m)
{
	mp_dns_request_clear(&m->req);
	m->op = OP_IDLE;
}

const char *mp_ops_pool_name(struct mp_dnsops *m, size_t rrset)
{
	return mp_ops_cfg_of(m)->pools[mp_engine_rrset(m->e, rrset)->pool].name;
}

/* How metrics count an operation with the primary that did not succeed
 * (mirrorpool_dns_errors_total{kind}). */
enum mp_dns_result mp_ops_result_of(const struct mp_dnsops_in *in)
{
	if (in->outcome == MP_DNSOPS_ANSWER && in->resp &&
	    in->resp->tsig == MP_TSIG_VERIFIED)
		return MP_DNS_RESULT_RCODE;
	if (in->outcome == MP_DNSOPS_ANSWER ||
	    in->outcome == MP_DNSOPS_UNSIGNED)
		return MP_DNS_RESULT_TSIG;
	return in->outcome == MP_DNSOPS_TIMEOUT ? MP_DNS_RESULT_TIMEOUT
						: MP_DNS_RESULT_NETWORK;
}

/* pool and rcode (may be NULL) become journal fields; kind is what metrics
 * count (MP_DNS_RESULT_N: nothing reached the primary, count nothing). */
void mp_ops_schedule_retry(struct mp_dnsops *m, const char *what,
			   const char *why, const char *pool, const char *rcode,
			   enum mp_dns_result kind, const struct mp_time *now)
{
	uint64_t delay = mp_backoff_delay(m->attempt, m->rnd);
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;
	char when[32];

	m->attempt++;
	m->retry_at = now->mono_ms + delay;
	mp_duration_human(delay, when, sizeof(when));
	f.pool = pool;
	f.rcode = rcode;
	f.reason = why;
	mp_logf(LOG_WARNING, &f, "%s: %s; retrying in %s", what, why, when);
	mp_engine_dns_error(m->e, why);
	if (kind != MP_DNS_RESULT_N)
		mp_engine_dns_result(m->e, kind, now->wall_ms);
}

/* ---- reads ------------------------------------------------------------ */

/* Did the last UPDATE of some RRset fail? */
static bool update_failing(const struct mp_dnsops *m)
{
	for (size_t i = 0; i < mp_engine_n_rrsets(m->e); i++) {
		const struct mp_rrset *r = mp_engine_rrset(m->e, i);
		if (r->has_last && strcmp(r->last_rcode, "NOERROR") != 0)
			return true;
	}
	return false;
}

static void read_done(struct mp_dnsops *m, const struct mp_dnsops_in *in,
		      const struct mp_time *now, struct mp_dnsops_out *out)
{
	const struct mp_config *cfg = mp_ops_cfg_of(m);
	size_t i = m->read_rrset;
	struct mp_rrset *r = mp_engine_rrset(m->e, i);
	const struct mp_dns_response *resp = in->resp;
	char what[400], rcbuf[16];

	mp_ops_op_done(m);
	if (in->outcome == MP_DNSOPS_ANSWER && resp &&
	    (resp->rcode == 0 /* NOERROR */ ||
	     resp->rcode == 3 /* NXDOMAIN */) &&
	    resp->tsig == MP_TSIG_VERIFIED) {
		if (m->pending[i]) {
			m->pending[i] = false;
			m->n_pending--;
		}
		/* a read that works does not end the backoff of a refused
		 * UPDATE (SERVFAIL re-reads before each retry): only an
		 * applied UPDATE does */
		if (!update_failing(m))
			m->attempt = 0;
		mp_engine_dns_error(m->e, NULL);
		mp_engine_dns_result(m->e, MP_DNS_RESULT_OK, now->wall_ms);
		mp_engine_dns_view(m->e, i, &resp->answers, *now);
		if (m->n_pending == 0) {
			out->reads_done = true;
			out->changed = true;
			if (!m->first_round_done)
				out->first_round = true;
			m->first_round_done = true;
		}
		return;
	}
	snprintf(what, sizeof(what), "reading %s %s from %s port %u",
		 cfg->pools[r->pool].name, r->rrtype == 1 ? "A" : "AAAA",
		 cfg->dns.server, (unsigned)cfg->dns.port);
	mp_dnsops_explain_outcome(in->outcome, resp, in->detail, cfg,
				  now->wall_ms / 1000, m->why, sizeof(m->why));
	if (!m->first_round_done) {
		/* the first round counts as tried even when it fails */
		m->first_round_done = true;
		out->first_round = true;
		out->changed = true;
	}
	out->read_error = m->why;
	mp_ops_schedule_retry(
	    m, what, m->why, cfg->pools[r->pool].name,
	    mp_dnsops_outcome_rcode(in->outcome, resp, rcbuf, sizeof(rcbuf)),
	    mp_ops_result_of(in), now);
}

static bool start_read(struct mp_dnsops *m, size_t i, const struct mp_time *now,
		       struct mp_dnsops_out *out)
{
	const struct mp_config *cfg = mp_ops_cfg_of(m);
	struct mp_rrset *r = mp_engine_rrset(m->e, i);
	char what[300];
	int rc;

	rc = mp_query_build(cfg->pools[r->pool].name, r->rrtype, m->next_id++,
			    cfg->key, now->wall_ms / 1000, &m->req);
	if (rc != MP_OK) {
		snprintf(what, sizeof(what), "building the query for %s",
			 cfg->pools[r->pool].name);
		mp_ops_schedule_retry(m, what, mp_strerror(rc),
				      cfg->pools[r->pool].name, NULL,
				      MP_DNS_RESULT_N, now);
		return false;
	}
	m->op = OP_READ;
	m->read_rrset = i;
	m->op_deadline = now->mono_ms + cfg->dns.timeout_ms;
	out->act = MP_DNSOPS_SEND_READ;
	out->req = &m->req;
	out->rrset = i;
	return true;
}

static void send_failed(struct mp_dnsops *m, int err, const struct mp_time *now)
{
	const char *pool;

	if (m->op == OP_IDLE)
		return;
	if (m->op == OP_VIEW_READ || m->op == OP_VIEW_PUBLISH) {
		bool read = m->op == OP_VIEW_READ;
		mp_ops_op_done(m);
		mp_dnsops_views_done(&m->views, m->e, read, NULL,
				     mp_strerror(err), now);
		return;
	}
	if (m->op == OP_READ) {
		pool = mp_ops_pool_name(m, m->read_rrset);
		mp_ops_op_done(m);
		mp_ops_schedule_retry(m, "sending query", mp_strerror(err),
				      pool, NULL, MP_DNS_RESULT_NETWORK, now);
		return;
	}
	pool = mp_ops_plan_pool(m);
	mp_ops_op_done(m);
	mp_ops_log_plan(m, LOG_ERR, "UPDATE: ", " not sent", NULL);
	mp_plan_clear(&m->plan);
	mp_ops_schedule_retry(m, "sending UPDATE", mp_strerror(err), pool, NULL,
			      MP_DNS_RESULT_NETWORK, now);
}

/* ---- what next -------------------------------------------------------- */

/* During a stop: wait for the UPDATE in flight until its deadline, then
 * abandon it; a read is simply dropped. */
static void step_stopping(struct mp_dnsops *m, const struct mp_time *now,
			  struct mp_dnsops_out *out)
{
	if (m->op == OP_UPDATE && !m->abandon &&
	    now->mono_ms < m->op_deadline) {
		wake(out, m->op_deadline);
		return;
	}
	if (m->op == OP_UPDATE && !m->abandon)
		mp_log(LOG_WARNING, "stop: no answer to the UPDATE in flight "
				    "within dns.timeout");
	if (m->op == OP_UPDATE)
		mp_ops_log_plan(
		    m, LOG_WARNING, "UPDATE: ",
		    " abandoned at stop; the primary may have applied it "
		    "(the next start re-reads)",
		    NULL);
	if (m->op != OP_IDLE) {
		out->cancel = true;
		mp_ops_op_done(m);
		mp_plan_clear(&m->plan);
	}
	m->stopped = true;
	out->stopped = true;
}

static bool start_view_op(struct mp_dnsops *m, const struct mp_time *now,
			  struct mp_dnsops_out *out);

static void step(struct mp_dnsops *m, const struct mp_time *now,
		 struct mp_dnsops_out *out)
{
	if (m->stopped)
		return;
	if (m->stopping) {
		step_stopping(m, now, out);
		return;
	}
	if (m->op != OP_IDLE)
		return; /* its outcome comes next */
	if (m->reload_waiting) {
		out->reload_ready = true;
		return;
	}
	if (now->mono_ms < m->retry_at) {
		wake(out, m->retry_at);
		return;
	}
	for (size_t i = 0; m->n_pending > 0 && i < m->n_rrsets; i++)
		if (m->pending[i]) {
			if (!start_read(m, i, now, out))
				wake(out, m->retry_at);
			return;
		}
	m->n_pending = 0;
	if (start_view_op(m, now, out))
		return;
	mp_engine_tick(m->e, *now);
	/* a dry run notes each plan once, so this ends */
	for (;;) {
		uint64_t next = UINT64_MAX;

		if (mp_engine_plan(m->e, *now, &m->plan, &next) != 1) {
			if (next != UINT64_MAX)
				wake(out, next > now->mono_ms
					      ? next
					      : now->mono_ms + 1);
			return;
		}
		if (!m->dry_run) {
			if (!mp_ops_start_update(m, now, out))
				wake(out, m->retry_at);
			return;
		}
		if (mp_engine_dry_run_note(m->e, &m->plan, *now))
			mp_ops_log_plan(m, LOG_NOTICE,
					"dry-run: would send UPDATE: ", "",
					NULL);
		mp_plan_clear(&m->plan);
	}
}

/* ---- vantage views ------------------------------------------------------ */

/* A view to read or publish, when one is due (see dnsops_views.h). */
static bool start_view_op(struct mp_dnsops *m, const struct mp_time *now,
			  struct mp_dnsops_out *out)
{
	const struct mp_config *cfg = mp_ops_cfg_of(m);
	uint64_t wake_ms = UINT64_MAX;
	bool read;

	if (!cfg->vantage.enabled)
		return false;
	if (!m->views_init) {
		mp_dnsops_views_init(&m->views, now);
		m->views_init = true;
	}
	if (!mp_dnsops_views_start(&m->views, m->e, m->next_id++, m->dry_run,
				   now, &m->req, &read, &wake_ms)) {
		wake(out, wake_ms);
		return false;
	}
	m->op = read ? OP_VIEW_READ : OP_VIEW_PUBLISH;
	m->op_deadline = now->mono_ms + cfg->dns.timeout_ms;
	out->act = read ? MP_DNSOPS_SEND_VIEW_READ : MP_DNSOPS_SEND_VIEW_UPDATE;
	out->req = &m->req;
	return true;
}

static void view_done(struct mp_dnsops *m, const struct mp_dnsops_in *in,
		      const struct mp_time *now, struct mp_dnsops_out *out)
{
	const struct mp_dns_response *resp =
	    in->outcome == MP_DNSOPS_ANSWER && in->resp &&
		    in->resp->tsig == MP_TSIG_VERIFIED
		? in->resp
		: NULL;
	bool read = m->op == OP_VIEW_READ;

	mp_ops_op_done(m);
	mp_dnsops_explain_outcome(in->outcome, in->resp, in->detail,
				  mp_ops_cfg_of(m), now->wall_ms / 1000, m->why,
				  sizeof(m->why));
	if (mp_dnsops_views_done(&m->views, m->e, read, resp, m->why, now))
		out->changed = true;
}

static void reloaded(struct mp_dnsops *m)
{
	size_t n = mp_engine_n_rrsets(m->e);

	m->reload_waiting = false;
	if (n > m->cap && mp_dnsops_reserve(m, n) != MP_OK) {
		/* mp_dnsops_reserve was not called: read what fits, and
		 * never write past the array */
		mp_log(LOG_ERR,
		       "out of memory: only %zu of %zu RRsets are "
		       "read until the next reload",
		       m->cap, n);
		n = m->cap;
	}
	m->n_rrsets = n;
	m->attempt = 0;
	m->retry_at = 0;
	mp_ops_read_all(m);
}

void mp_dnsops_input(struct mp_dnsops *m, const struct mp_dnsops_in *in,
		     const struct mp_time *now, struct mp_dnsops_out *out)
{
	memset(out, 0, sizeof(*out));
	out->wake_at_ms = UINT64_MAX;
	switch (in->kind) {
	case MP_DNSOPS_WAKE:
		break;
	case MP_DNSOPS_DONE:
		if (m->op == OP_READ)
			read_done(m, in, now, out);
		else if (m->op == OP_UPDATE)
			mp_ops_update_done(m, in, now, out);
		else if (m->op == OP_VIEW_READ || m->op == OP_VIEW_PUBLISH)
			view_done(m, in, now, out);
		break;
	case MP_DNSOPS_SEND_FAILED:
		send_failed(m, in->err, now);
		break;
	case MP_DNSOPS_ABANDON:
		m->abandon = true;
		m->stopping = true;
		break;
	case MP_DNSOPS_STOP:
		if (!m->stopping && m->op == OP_UPDATE)
			mp_log(
			    LOG_INFO,
			    "stop: waiting at most %llu ms for the UPDATE in "
			    "flight",
			    (unsigned long long)(m->op_deadline > now->mono_ms
						     ? m->op_deadline -
							   now->mono_ms
						     : 0));
		m->stopping = true;
		break;
	case MP_DNSOPS_RELOAD:
		if (m->stopping || m->reload_waiting) {
			out->refused = true;
			out->why = m->stopping
				       ? "stopping: the daemon is shutting down"
				       : "a reload is already in progress";
			return;
		}
		m->reload_waiting = true;
		if (m->op == OP_READ) {
			/* a read is repeated after the reload anyway */
			out->cancel = true;
			mp_ops_op_done(m);
		}
		break;
	case MP_DNSOPS_RELOADED:
		reloaded(m);
		break;
	case MP_DNSOPS_SYNC:
		m->retry_at = 0; /* an operator asked: skip the backoff */
		mp_ops_read_all(m);
		break;
	case MP_DNSOPS_REREAD:
		mp_ops_read_all(m);
		break;
	}
	step(m, now, out);
}
