/* Scheduling of the health checks: one timer per address (and sentinel),
 * never two checks of one address in flight, jittered so they never fire in
 * lock-step. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon.h"
#include "error.h"
#include "log.h"

/* Jitter needs spread, not secrecy: a xorshift64* generator seeded once
 * from libsodium spares the getrandom(2) call randombytes_uniform makes
 * for every check. */
static uint64_t jitter_state;

static uint32_t rnd_uniform(uint32_t upper)
{
	uint64_t x;

	if (upper == 0)
		return 0;
	while (jitter_state == 0)
		randombytes_buf(&jitter_state, sizeof(jitter_state));
	x = jitter_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	jitter_state = x;
	x *= UINT64_C(2685821657736338717);
	/* the top 32 bits scaled to [0, upper): off from uniform by at
	 * most upper / 2^32, nothing for a jitter */
	return (uint32_t)(((x >> 32) * upper) >> 32);
}

static void start_check(struct mp_slot *s);

static void timer_cb(uv_timer_t *t)
{
	start_check(t->data);
}

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

static void check_done(void *arg, const struct mp_check_result *r,
		       enum mp_check_verdict v)
{
	struct mp_slot *s = arg;
	struct mp_daemon *d = s->d;
	uint64_t now = mp_now_ms(), delay;
	bool changed;

	s->busy = false;
	if (s->sentinel) {
		changed = mp_engine_sentinel_result(d->engine, s->idx,
						    sentinel_ok(v), r->detail,
						    now);
		/* steady interval with the same +-10% jitter as addresses */
		delay = s->sentinel_cfg.interval_ms * 9 / 10 +
			rnd_uniform((uint32_t)(s->sentinel_cfg.interval_ms / 5 + 1));
	} else {
		struct mp_target *t = mp_engine_target(d->engine, s->idx);
		json_t *res;
		changed = mp_engine_check_result(d->engine, s->idx, r, now);
		res = s->waiters ? result_json(d, s, r) : NULL;
		finish_waiters(s, res);
		json_decref(res);
		delay = mp_health_next_delay(
			&t->health, mp_engine_target_check(d->engine, s->idx),
			rnd_uniform);
	}
	if (!d->stopping)
		uv_timer_start(&s->timer, timer_cb, delay, 0);
	if (changed) {
		mp_daemon_state_changed(d);
		mp_dnsops_kick(d);
	}
}

static void start_check(struct mp_slot *s)
{
	struct mp_daemon *d = s->d;
	const struct mp_check_cfg *cfg;
	const struct mp_addr *addr = NULL;
	int rc;

	if (s->busy || s->closing || d->stopping)
		return;
	if (s->sentinel) {
		cfg = &s->sentinel_cfg;
	} else {
		cfg = mp_engine_target_check(d->engine, s->idx);
		addr = &mp_engine_target(d->engine, s->idx)->addr;
	}
	rc = mp_checker_start(d->checker, &s->job, cfg, addr, check_done, s);
	if (rc != MP_OK) {
		struct mp_check_result r;
		memset(&r, 0, sizeof(r));
		snprintf(r.detail, sizeof(r.detail), "check not started: %s",
			 mp_strerror(rc));
		r.at_ms = mp_now_ms();
		mp_log(LOG_ERR, "%s", r.detail);
		check_done(s, &r, MP_VERDICT_CONNECT);
		return;
	}
	s->busy = true;
}

static struct mp_slot *sched_new(struct mp_daemon *d, size_t idx,
				  bool sentinel, uint64_t interval_ms)
{
	struct mp_slot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->d = d;
	s->idx = idx;
	s->sentinel = sentinel;
	mp_check_job_init(&s->job);
	uv_timer_init(d->loop, &s->timer);
	s->timer.data = s;
	/* first check soon, at a random offset so they spread out */
	uint64_t spread = interval_ms < 2000 ? interval_ms : 2000;
	uv_timer_start(&s->timer, timer_cb, 1 + rnd_uniform((uint32_t)spread), 0);
	return s;
}

int mp_checks_start(struct mp_daemon *d)
{
	const struct mp_config *cfg = d->cfg;
	size_t n = mp_engine_n_targets(d->engine);

	d->scheds = calloc(n + 1, sizeof(*d->scheds));
	d->sentinels = calloc(cfg->guard.n_sentinels + 1, sizeof(*d->sentinels));
	if (!d->scheds || !d->sentinels)
		return MP_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		d->scheds[i] = sched_new(
			d, i, false,
			mp_engine_target_check(d->engine, i)->interval_ms);
		if (!d->scheds[i])
			return MP_ENOMEM;
		d->n_scheds++;
	}
	for (size_t i = 0; i < cfg->guard.n_sentinels; i++) {
		struct mp_check_cfg sc = cfg->check;
		struct mp_slot *s;
		const char *why;
		char host[256];

		/* validated at load; a sentinel checks the network, not content */
		if (mp_config_url_parse(cfg->guard.sentinels[i], &sc.https, host,
					sizeof(host), &sc.port, &why) != MP_OK)
			continue;
		sc.type = MP_CHECK_HTTP;
		sc.url = cfg->guard.sentinels[i];
		sc.expect_body = NULL;
		sc.has_expect_sha256 = false;
		sc.max_age_ms = 0;
		sc.max_latency_ms = 0;
		s = sched_new(d, i, true, sc.interval_ms);
		if (!s)
			return MP_ENOMEM;
		snprintf(s->sentinel_host, sizeof(s->sentinel_host), "%s", host);
		sc.host = s->sentinel_host;
		s->sentinel_cfg = sc;
		d->sentinels[d->n_sentinels++] = s;
	}
	return MP_OK;
}

static void sched_closed(uv_handle_t *h)
{
	struct mp_slot *s = h->data;

	mp_check_job_cleanup(&s->job);
	free(s);
}

static void sched_close(struct mp_slot *s)
{
	if (!s)
		return;
	s->closing = true;
	mp_checker_cancel(&s->job);
	s->busy = false;
	finish_waiters(s, NULL);
	uv_timer_stop(&s->timer);
	uv_close((uv_handle_t *)&s->timer, sched_closed);
}

void mp_checks_stop(struct mp_daemon *d)
{
	for (size_t i = 0; i < d->n_scheds; i++)
		sched_close(d->scheds[i]);
	for (size_t i = 0; i < d->n_sentinels; i++)
		sched_close(d->sentinels[i]);
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
		if (!s->busy) {
			uv_timer_stop(&s->timer);
			start_check(s);
		}
	}
	p->outstanding--; /* the caller calls mp_ctl_pending_done(p) */
	return matched ? MP_OK : MP_ENOENT;
}
