/* The daemon's health checks: one scheduler entry per address and per
 * sentinel (agent/schedule.c: timers, jitter, one check in flight), whose
 * results go to the engine and to `mirrorpoolctl check`. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "error.h"
#include "log.h"

/* Sentinels only tell whether our own network works: any HTTP answer
 * counts, a failure to connect, a timeout or a TLS failure does not. */
static bool sentinel_ok(enum mp_check_verdict v)
{
	return v != MP_VERDICT_CONNECT && v != MP_VERDICT_TIMEOUT &&
	       v != MP_VERDICT_TLS && v != MP_VERDICT_PROTOCOL;
}

static json_t *result_json(struct mp_daemon *d, struct mp_slot *s,
			   const struct mp_check_result *r)
{
	struct mp_target *t = mp_engine_target(d->engine, s->idx);
	return json_pack("{s:s, s:s, s:b, s:s, s:I, s:s}", "mirror",
			 mp_engine_target_mirror(d->engine, s->idx)->name,
			 "address", t->addr.text, "ok", r->ok, "detail",
			 r->detail, "latency_ms", (json_int_t)r->latency_ms,
			 "state", mp_health_state_name(t->health.state));
}

static void finish_waiters(struct mp_slot *s, json_t *result)
{
	struct mp_ctl_waiter *w = s->waiters, *next;

	s->waiters = NULL;
	for (; w; w = next) {
		next = w->next;
		if (result)
			json_array_set(w->pending->results, w->slot, result);
		w->pending->outstanding--;
		mp_ctl_pending_done(w->pending);
		free(w);
	}
}

/* The scheduler arms the next check after this returns. */
static void check_done(void *arg, const struct mp_check_result *r,
		       enum mp_check_verdict v)
{
	struct mp_slot *s = arg;
	struct mp_daemon *d = s->d;
	uint64_t now = mp_now_ms();
	bool changed;

	if (s->sentinel) {
		changed = mp_engine_sentinel_result(
		    d->engine, s->idx, sentinel_ok(v), r->detail, now);
	} else {
		json_t *res;
		changed = mp_engine_check_result(d->engine, s->idx, r, now);
		res = s->waiters ? result_json(d, s, r) : NULL;
		finish_waiters(s, res);
		json_decref(res);
	}
	if (changed) {
		mp_daemon_state_changed(d);
		mp_dnsops_kick(d);
	}
}

static struct mp_slot *slot_new(struct mp_daemon *d, size_t idx, bool sentinel)
{
	struct mp_slot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->d = d;
	s->idx = idx;
	s->sentinel = sentinel;
	return s;
}

int mp_checks_start(struct mp_daemon *d)
{
	const struct mp_config *cfg = d->cfg;
	size_t n = mp_engine_n_targets(d->engine);

	d->scheds = calloc(n + 1, sizeof(*d->scheds));
	d->sentinels =
	    calloc(cfg->guard.n_sentinels + 1, sizeof(*d->sentinels));
	if (!d->scheds || !d->sentinels)
		return MP_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct mp_slot *s = slot_new(d, i, false);
		if (!s)
			return MP_ENOMEM;
		d->scheds[d->n_scheds++] = s;
		s->entry = mp_sched_add(
		    d->sched, mp_engine_target_check(d->engine, i),
		    &mp_engine_target(d->engine, i)->addr,
		    &mp_engine_target(d->engine, i)->health, check_done, s);
		if (!s->entry)
			return MP_ENOMEM;
	}
	for (size_t i = 0; i < cfg->guard.n_sentinels; i++) {
		struct mp_slot *s;
		struct mp_check_cfg *sc;
		const char *why;

		s = slot_new(d, i, true);
		if (!s)
			return MP_ENOMEM;
		d->sentinels[d->n_sentinels++] = s;
		/* validated at load; a sentinel checks the network, not content
		 */
		sc = &s->sentinel_cfg;
		*sc = cfg->check;
		if (mp_config_url_parse(
			cfg->guard.sentinels[i], &sc->https, s->sentinel_host,
			sizeof(s->sentinel_host), &sc->port, &why) != MP_OK)
			continue;
		sc->type = MP_CHECK_HTTP;
		sc->url = cfg->guard.sentinels[i];
		sc->host = s->sentinel_host;
		sc->expect_body = NULL;
		sc->has_expect_sha256 = false;
		sc->max_age_ms = 0;
		sc->max_latency_ms = 0;
		s->entry =
		    mp_sched_add(d->sched, sc, NULL, NULL, check_done, s);
		if (!s->entry)
			return MP_ENOMEM;
	}
	return MP_OK;
}

static void slot_free(struct mp_slot *s)
{
	if (!s)
		return;
	if (s->entry)
		mp_sched_remove(s->entry); /* cancels a running check */
	finish_waiters(s, NULL);
	free(s);
}

void mp_checks_stop(struct mp_daemon *d)
{
	for (size_t i = 0; i < d->n_scheds; i++)
		slot_free(d->scheds[i]);
	for (size_t i = 0; i < d->n_sentinels; i++)
		slot_free(d->sentinels[i]);
	free(d->scheds);
	free(d->sentinels);
	d->scheds = NULL;
	d->sentinels = NULL;
	d->n_scheds = 0;
	d->n_sentinels = 0;
}

int mp_checks_run_now(struct mp_daemon *d, const char *mirror,
		      struct mp_ctl_pending *p)
{
	size_t matched = 0;

	/* hold p while adding waiters: a check that fails to start completes
	 * at once and must not reply (and free p) half-way */
	p->outstanding++;
	for (size_t i = 0; i < d->n_scheds; i++) {
		struct mp_slot *s = d->scheds[i];
		struct mp_ctl_waiter *w;
		int rc;

		if (mirror &&
		    strcmp(mp_engine_target_mirror(d->engine, s->idx)->name,
			   mirror) != 0)
			continue;
		w = calloc(1, sizeof(*w));
		if (!w)
			break;
		/* results are listed in configuration order, whatever order
		 * the checks finish in */
		w->slot = json_array_size(p->results);
		if (json_array_append_new(p->results, json_null()) != 0) {
			free(w);
			break;
		}
		w->pending = p;
		w->next = s->waiters;
		s->waiters = w;
		p->outstanding++;
		matched++;
		/* MP_EBUSY: the check in flight answers the waiter */
		rc = mp_sched_check_now(s->entry);
		if (rc != MP_OK && rc != MP_EBUSY) {
			struct mp_check_result r;
			json_t *res;

			memset(&r, 0, sizeof(r));
			snprintf(r.detail, sizeof(r.detail),
				 "check not started: %s", mp_strerror(rc));
			r.at_ms = mp_now_ms();
			res = result_json(d, s, &r);
			finish_waiters(s, res);
			json_decref(res);
		}
	}
	p->outstanding--; /* the caller calls mp_ctl_pending_done(p) */
	return matched ? MP_OK : MP_ENOENT;
}
