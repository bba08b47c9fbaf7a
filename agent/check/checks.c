/* The daemon's health checks (see checks.h). */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"
#include "checks.h"
#include "error.h"
#include "log.h"

struct run;

/* A `run_now` waiting on one slot's result. */
struct waiter {
	struct waiter *next;
	struct run *run;
	size_t idx; /* its place in run->results */
};

/* One run_now: results in configuration order. */
struct run {
	mp_checks_report_fn report;
	void *arg;
	size_t outstanding;
	json_t *results;
};

/* One checked address (or sentinel). */
struct slot {
	struct mp_checks *c;
	struct mp_sched_entry *entry;
	size_t idx; /* target index, or sentinel index */
	bool sentinel;
	struct mp_check_cfg sentinel_cfg; /* sentinels: derived check */
	char sentinel_host[256];
	struct waiter *waiters;
};

struct mp_checks {
	struct mp_engine *engine;
	struct mp_checker *checker;
	struct mp_sched *sched;
	mp_clock_fn now;
	mp_checks_changed_fn changed;
	void *arg;
	struct slot **slots; /* targets, then sentinels */
	size_t n_slots;
};

/* Sentinels only tell whether our own network works: any HTTP answer
 * counts, a failure to connect, a timeout or a TLS failure does not. */
static bool sentinel_ok(enum mp_check_verdict v)
{
	return v != MP_VERDICT_CONNECT && v != MP_VERDICT_TIMEOUT &&
	       v != MP_VERDICT_TLS && v != MP_VERDICT_PROTOCOL;
}

static json_t *result_json(struct mp_engine *e, size_t idx,
			   const struct mp_check_result *r)
{
	struct mp_target *t = mp_engine_target(e, idx);
	return json_pack("{s:s, s:s, s:b, s:s, s:I, s:s}", "mirror",
			 mp_engine_target_mirror(e, idx)->name, "address",
			 t->addr.text, "ok", r->ok, "detail", r->detail,
			 "latency_ms", (json_int_t)r->latency_ms, "state",
			 mp_health_state_name(t->health.state));
}

static void run_done(struct run *run)
{
	if (run->outstanding > 0)
		return;
	/* a check cancelled by a reload left its place empty */
	for (size_t i = json_array_size(run->results); i-- > 0;)
		if (json_is_null(json_array_get(run->results, i)))
			json_array_remove(run->results, i);
	run->report(run->arg, run->results);
	json_decref(run->results);
	free(run);
}

static void finish_waiters(struct slot *s, json_t *result)
{
	struct waiter *w = s->waiters, *next;

	s->waiters = NULL;
	for (; w; w = next) {
		next = w->next;
		if (result)
			json_array_set(w->run->results, w->idx, result);
		w->run->outstanding--;
		run_done(w->run);
		free(w);
	}
}

/* The scheduler arms the next check after this returns. */
static void check_done(void *arg, const struct mp_check_result *r,
		       enum mp_check_verdict v)
{
	struct slot *s = arg;
	struct mp_checks *c = s->c;
	struct mp_time now = c->now();
	struct mp_check_result mr = *r;
	bool changed;

	/* the engine times rise/fall and damping on the monotonic clock:
	 * the result is stamped with it (status shows it as wall time) */
	mr.at_ms = now.mono_ms;
	if (s->sentinel) {
		changed = mp_engine_sentinel_result(
		    c->engine, s->idx, sentinel_ok(v), r->detail, now);
	} else {
		json_t *res;
		changed = mp_engine_check_result(c->engine, s->idx, &mr, now);
		res = s->waiters ? result_json(c->engine, s->idx, r) : NULL;
		finish_waiters(s, res);
		json_decref(res);
	}
	if (changed)
		c->changed(c->arg);
}

int mp_checks_new(uv_loop_t *loop, struct mp_engine *engine, mp_clock_fn now,
		  mp_checks_changed_fn changed, void *arg,
		  struct mp_checks **out)
{
	struct mp_checks *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c)
		return MP_ENOMEM;
	c->engine = engine;
	c->now = now;
	c->changed = changed;
	c->arg = arg;
	rc = mp_checker_new(loop, &c->checker);
	if (rc == MP_OK)
		rc = mp_sched_new(loop, c->checker, &c->sched);
	if (rc != MP_OK) {
		if (c->checker)
			mp_checker_close(c->checker, NULL, NULL);
		free(c);
		return rc;
	}
	*out = c;
	return MP_OK;
}

/* A sentinel checks the network, not content: an http check of its URL.
 * MP_OK (also when the URL is skipped) or MP_ENOMEM. */
static int add_sentinel(struct mp_checks *c, struct slot *s, char *url)
{
	struct mp_check_cfg *sc = &s->sentinel_cfg;
	const char *why;

	*sc = mp_engine_config(c->engine)->check;
	/* validated at load */
	if (mp_config_url_parse(url, &sc->https, s->sentinel_host,
				sizeof(s->sentinel_host), &sc->port,
				&why) != MP_OK) {
		mp_log(LOG_ERR, "guard sentinel %s: %s; not checked", url, why);
		return MP_OK;
	}
	sc->type = MP_CHECK_HTTP;
	sc->url = url;
	sc->host = s->sentinel_host;
	sc->expect_body = NULL;
	sc->has_expect_sha256 = false;
	sc->max_age_ms = 0;
	sc->max_latency_ms = 0;
	s->entry = mp_sched_add(c->sched, sc, NULL, NULL, check_done, s);
	return s->entry ? MP_OK : MP_ENOMEM;
}

int mp_checks_start(struct mp_checks *c)
{
	const struct mp_config *cfg = mp_engine_config(c->engine);
	size_t nt = mp_engine_n_targets(c->engine);
	size_t n = nt + cfg->guard.n_sentinels;

	mp_checks_stop(c);
	c->slots = calloc(n + 1, sizeof(*c->slots));
	if (!c->slots)
		return MP_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct slot *s = calloc(1, sizeof(*s));

		if (!s)
			goto nomem;
		c->slots[c->n_slots++] = s;
		s->c = c;
		s->sentinel = i >= nt;
		s->idx = s->sentinel ? i - nt : i;
		if (s->sentinel) {
			if (add_sentinel(c, s, cfg->guard.sentinels[s->idx]) !=
			    MP_OK)
				goto nomem;
			continue;
		}
		s->entry = mp_sched_add(
		    c->sched, mp_engine_target_check(c->engine, i),
		    &mp_engine_target(c->engine, i)->addr,
		    &mp_engine_target(c->engine, i)->health, check_done, s);
		if (!s->entry)
			goto nomem;
	}
	return MP_OK;
nomem:
	mp_checks_stop(c);
	return MP_ENOMEM;
}

void mp_checks_stop(struct mp_checks *c)
{
	for (size_t i = 0; i < c->n_slots; i++) {
		struct slot *s = c->slots[i];
		if (s->entry)
			mp_sched_remove(s->entry); /* cancels a running check */
		finish_waiters(s, NULL);
		free(s);
	}
	free(c->slots);
	c->slots = NULL;
	c->n_slots = 0;
	/* TLS contexts are built again, from the CA files as they are then,
	 * by the checks of the next start (a reload) */
	mp_checker_tls_flush(c->checker);
}

int mp_checks_run_now(struct mp_checks *c, const char *mirror,
		      mp_checks_report_fn report, void *arg)
{
	struct run *run = calloc(1, sizeof(*run));
	size_t matched = 0;
	int rc = MP_OK;

	if (!run || !(run->results = json_array())) {
		free(run);
		return MP_ENOMEM;
	}
	run->report = report;
	run->arg = arg;
	/* hold the run while adding waiters: a check that fails to start
	 * completes at once and must not report (and free it) half-way */
	run->outstanding++;
	for (size_t i = 0; i < c->n_slots; i++) {
		struct slot *s = c->slots[i];
		struct waiter *w;

		if (s->sentinel || !s->entry ||
		    (mirror &&
		     strcmp(mp_engine_target_mirror(c->engine, s->idx)->name,
			    mirror) != 0))
			continue;
		w = calloc(1, sizeof(*w));
		/* results are listed in configuration order, whatever order
		 * the checks finish in */
		if (!w || json_array_append_new(run->results, json_null())) {
			free(w);
			rc = MP_ENOMEM;
			break;
		}
		w->idx = json_array_size(run->results) - 1;
		w->run = run;
		w->next = s->waiters;
		s->waiters = w;
		run->outstanding++;
		matched++;
		/* MP_EBUSY: the check in flight answers the waiter */
		rc = mp_sched_check_now(s->entry);
		if (rc != MP_OK && rc != MP_EBUSY) {
			struct mp_check_result r;
			json_t *res;

			memset(&r, 0, sizeof(r));
			snprintf(r.detail, sizeof(r.detail),
				 "check not started: %s", mp_strerror(rc));
			r.at_ms = c->now().mono_ms;
			res = result_json(c->engine, s->idx, &r);
			finish_waiters(s, res);
			json_decref(res);
		}
		rc = MP_OK;
	}
	if (matched == 0) {
		json_decref(run->results);
		free(run);
		return rc == MP_OK ? MP_ENOENT : rc;
	}
	run->outstanding--;
	run_done(run); /* reports at once when nothing is left to wait for */
	return MP_OK;
}

void mp_checks_close(struct mp_checks *c)
{
	if (!c)
		return;
	mp_checks_stop(c);
	mp_sched_close(c->sched, NULL, NULL);
	mp_checker_close(c->checker, NULL, NULL);
	free(c);
}
