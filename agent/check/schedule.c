/* Per-address check timers on the libuv loop. */
#include "autoconfig.h"

#include "checker.h"
#include "error.h"
#include "log.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct mp_sched_entry {
	struct mp_sched *s;
	struct mp_sched_entry *prev, *next;
	uv_timer_t timer; /* freed with the entry in its close callback */
	struct mp_check_job job;
	const struct mp_check_cfg *cfg;
	const struct mp_health *health;
	struct mp_addr addr;
	bool has_addr;
	mp_check_done_fn cb;
	void *arg;
	bool removed;
};

struct mp_sched {
	uv_loop_t *loop;
	struct mp_checker *checker;
	struct mp_sched_entry *entries;
	unsigned pending_closes;
	bool closing;
	void (*closed)(void *);
	void *closed_arg;
};

/* Jitter needs spread, not secrecy: a xorshift64* generator seeded once
 * from libsodium spares the getrandom(2) call randombytes_uniform makes
 * for every check. */
static uint64_t jitter_state;

static uint32_t rnd(uint32_t upper)
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

/* Entries without a health record (sentinels) are always steady. */
static const struct mp_health steady = {.state = MP_HEALTH_UP};

static uint64_t next_delay(const struct mp_sched_entry *e)
{
	return mp_health_next_delay(e->health ? e->health : &steady, e->cfg,
				    rnd);
}

static void on_timer(uv_timer_t *t);

/*
 * Check starts are coalesced on a MP_SCHED_GRAIN_MS grid of loop time:
 * a due time is rounded up to the next multiple. With a thousand
 * addresses at 1 s, checks otherwise start one per millisecond, each on a
 * wake-up of its own, and their connects and answers trickle in on more;
 * on the grid a few start together and their events arrive together,
 * which cuts the loop's wake-ups and about a sixth of the CPU a check
 * costs (docs/performance.md). The jitter stays random and uniform, in
 * 4 ms steps: addresses are never checked in lock-step. A delay grows by
 * 2 ms on average (0.2 % of a 1 s interval) and never shrinks, so
 * "interval" stays a lower bound.
 */
#define MP_SCHED_GRAIN_MS 4

static uint64_t coalesce(uint64_t now, uint64_t delay_ms)
{
	uint64_t due = now + delay_ms;

	if (due < now) /* absurd delay: leave it */
		return delay_ms;
	due +=
	    (MP_SCHED_GRAIN_MS - due % MP_SCHED_GRAIN_MS) % MP_SCHED_GRAIN_MS;
	return due - now;
}

static void arm(struct mp_sched_entry *e, uint64_t delay_ms)
{
	/* the loop's cached time may be from before a long iteration; the
	 * delay counts from now, not from then */
	uv_update_time(e->s->loop);
	delay_ms = coalesce(uv_now(e->s->loop), delay_ms);
	uv_timer_start(&e->timer, on_timer, delay_ms, 0);
}

static void maybe_finish_close(struct mp_sched *s)
{
	void (*closed)(void *) = s->closed;
	void *arg = s->closed_arg;

	if (!s->closing || s->pending_closes > 0)
		return;
	free(s);
	if (closed)
		closed(arg);
}

static void on_done(void *arg, const struct mp_check_result *r,
		    enum mp_check_verdict v)
{
	struct mp_sched_entry *e = arg;

	e->cb(e->arg, r, v);
	/* the callback may have removed the entry (reload, shutdown) */
	if (e->removed)
		return;
	arm(e, next_delay(e));
}

static int start_check(struct mp_sched_entry *e)
{
	int rc = mp_checker_start(e->s->checker, &e->job, e->cfg,
				  e->has_addr ? &e->addr : NULL, on_done, e);

	if (rc != MP_OK && rc != MP_EBUSY) {
		struct mp_log_fields f = MP_LOG_FIELDS_INIT;

		f.address = e->addr.text;
		mp_logf(LOG_ERR, &f, "%s: cannot start check: %s; retrying",
			e->addr.text, mp_strerror(rc));
		arm(e, next_delay(e));
	}
	return rc;
}

static void on_timer(uv_timer_t *t)
{
	start_check(t->data);
}

static void on_entry_closed(uv_handle_t *h)
{
	struct mp_sched_entry *e = h->data;
	struct mp_sched *s = e->s;

	free(e);
	s->pending_closes--;
	maybe_finish_close(s);
}

int mp_sched_new(uv_loop_t *loop, struct mp_checker *checker,
		 struct mp_sched **out)
{
	struct mp_sched *s;

	*out = NULL;
	if (sodium_init() < 0)
		return MP_EIO;
	s = calloc(1, sizeof(*s));
	if (!s)
		return MP_ENOMEM;
	s->loop = loop;
	s->checker = checker;
	*out = s;
	return MP_OK;
}

struct mp_sched_entry *mp_sched_add(struct mp_sched *s,
				    const struct mp_check_cfg *cfg,
				    const struct mp_addr *addr,
				    const struct mp_health *health,
				    mp_check_done_fn cb, void *arg)
{
	struct mp_sched_entry *e;
	uint64_t first;

	if (s->closing)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	if (uv_timer_init(s->loop, &e->timer) != 0) {
		free(e);
		return NULL;
	}
	e->s = s;
	e->timer.data = e;
	mp_check_job_init(&e->job);
	e->cfg = cfg;
	e->health = health;
	if (addr) {
		e->addr = *addr;
		e->has_addr = true;
	}
	e->cb = cb;
	e->arg = arg;
	e->next = s->entries;
	if (s->entries)
		s->entries->prev = e;
	s->entries = e;
	/* spread the first checks over one interval */
	first = cfg->interval_ms;
	if (first > UINT32_MAX)
		first = UINT32_MAX;
	first = rnd((uint32_t)first);
	arm(e, first);
	return e;
}

void mp_sched_entry_set(struct mp_sched_entry *e,
			const struct mp_check_cfg *cfg,
			const struct mp_health *health)
{
	e->cfg = cfg;
	e->health = health;
}

int mp_sched_check_now(struct mp_sched_entry *e)
{
	if (e->removed)
		return MP_EINVAL;
	if (mp_check_job_busy(&e->job))
		return MP_EBUSY;
	uv_timer_stop(&e->timer);
	return start_check(e);
}

void mp_sched_remove(struct mp_sched_entry *e)
{
	struct mp_sched *s = e->s;

	if (e->removed)
		return;
	e->removed = true;
	mp_check_job_cleanup(&e->job);
	if (e->prev)
		e->prev->next = e->next;
	else
		s->entries = e->next;
	if (e->next)
		e->next->prev = e->prev;
	uv_timer_stop(&e->timer);
	s->pending_closes++;
	uv_close((uv_handle_t *)&e->timer, on_entry_closed);
}

void mp_sched_close(struct mp_sched *s, void (*closed)(void *arg), void *arg)
{
	if (s->closing)
		return;
	s->closing = true;
	s->closed = closed;
	s->closed_arg = arg;
	while (s->entries)
		mp_sched_remove(s->entries);
	maybe_finish_close(s);
}
