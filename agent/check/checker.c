/*
 * The checker's job pool and public API: transfers lent to jobs and taken
 * back, the busy list, the epoll set both kinds of transfer share (one
 * uv_poll_t on the loop), the judging of an outcome, and shutdown.
 *
 * What a check costs matters with a thousand addresses checked every
 * second (docs/performance.md, "Check throughput"): transfers are pooled,
 * not one per address; plain-HTTP checks of an address and TCP checks run
 * on the built-in client (checker_native.c), the rest on libcurl
 * (checker_curl.c), as does everything when mp_checker_set_builtin(c,
 * false) says so.
 */
#include "autoconfig.h"

#include "checker_int.h"
#include "error.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/* Idle transfers kept for reuse. Checks of a steady pool take a few
 * milliseconds each, so a handful run at once even with a thousand
 * addresses; more than this many idle handles are freed again. */
#define MP_XFER_IDLE_MAX 64

/* Events taken from the epoll set per loop callback. */
#define MP_EPOLL_BATCH 64

static unsigned global_refs; /* curl_global_init/cleanup pairing */

/* ---------------------------------------------------------------------- */
/* Shutdown bookkeeping */

static void maybe_finish_close(struct mp_checker *c)
{
	void (*closed)(void *);
	void *arg;

	if (!c->closing || c->pending_closes > 0)
		return;
	closed = c->closed;
	arg = c->closed_arg;
	free(c);
	if (global_refs > 0 && --global_refs == 0)
		curl_global_cleanup();
	if (closed)
		closed(arg);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct mp_checker *c = h->data;

	c->pending_closes--;
	maybe_finish_close(c);
}

static void on_epoll_closed(uv_handle_t *h)
{
	struct mp_checker *c = h->data;

	close(c->epfd);
	c->epfd = -1;
	c->pending_closes--;
	maybe_finish_close(c);
}
/* ---------------------------------------------------------------------- */
/* Job bookkeeping */

static void xfer_free(struct mp_xfer *x)
{
	if (x->easy)
		curl_easy_cleanup(x->easy);
	free(x->body);
	free(x);
}

/* An idle transfer from the pool, or a new one. */
static struct mp_xfer *xfer_get(struct mp_checker *c)
{
	struct mp_xfer *x = c->idle;

	if (x) {
		c->idle = x->next;
		c->n_idle--;
		x->next = NULL;
		return x;
	}
	x = malloc(sizeof(*x));
	if (!x)
		return NULL;
	/* no memset of the request and line buffers: ~10 KiB written for
	 * nothing on every new transfer */
	x->kind = MP_POLLEE_NATIVE;
	x->easy = NULL;
	x->job = NULL;
	x->native = false;
	x->state = MP_NATIVE_IDLE;
	x->fd = -1;
	x->ssl = NULL;
	x->new_sess = NULL;
	x->dl_prev = x->dl_next = NULL;
	x->body = NULL;
	x->body_len = x->body_cap = 0;
	x->next = NULL;
	x->errbuf[0] = '\0';
	return x;
}

/* Back to the pool; the caller has taken it out of the multi handle. */
static void xfer_put(struct mp_checker *c, struct mp_xfer *x)
{
	/* curl has closed the check's sockets by now (no connection is
	 * kept); should one linger, it must not point at x */
	for (struct mp_sock *s = c->socks; s; s = s->next)
		if (s->x == x)
			s->x = NULL;
	x->job = NULL;
	if (c->closing || c->n_idle >= MP_XFER_IDLE_MAX) {
		xfer_free(x);
		return;
	}
	x->next = c->idle;
	c->idle = x;
	c->n_idle++;
}

/* A busy job is on the checker's list, so closing can cancel it. */
static void job_register(struct mp_checker *c, struct mp_check_job *job)
{
	job->checker = c;
	job->prev = NULL;
	job->next = c->jobs;
	if (c->jobs)
		c->jobs->prev = job;
	c->jobs = job;
}

static void job_unregister(struct mp_check_job *job)
{
	struct mp_checker *c = job->checker;

	if (job->prev)
		job->prev->next = job->next;
	else
		c->jobs = job->next;
	if (job->next)
		job->next->prev = job->prev;
	job->prev = job->next = NULL;
	job->checker = NULL;
}

/* Checks ended between two returns of free heap memory to the system. */
#define TRIM_EVERY 1000

/* A TLS check allocates and frees some 50 KiB in pieces while sessions
 * and certificates of a thousand addresses stay between them: glibc keeps
 * the freed pages (60 MiB of heap for 12 MiB in use at a thousand HTTPS
 * checks a second, docs/performance.md). Every few thousand checks, and
 * only then (an idle agent never wakes for it), they go back. */
static void trim_now_and_then(struct mp_checker *c)
{
	if (++c->ends_since_trim < TRIM_EVERY)
		return;
	c->ends_since_trim = 0;
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/* Ends the job's transfer: out of the multi handle (or its socket closed),
 * the transfer back to the pool, the job idle and off the busy list. */
static void job_end(struct mp_check_job *job)
{
	struct mp_checker *c = job->checker;

	if (job->x->native)
		mp_checker_native_stop(c, job->x);
	else
		mp_checker_curl_stop(c, job->x);
	xfer_put(c, job->x);
	job->x = NULL;
	job->busy = false;
	if (--c->n_running == 0)
		uv_unref((uv_handle_t *)&c->epoll_poll);
	job_unregister(job);
	trim_now_and_then(c);
}

void mp_check_job_init(struct mp_check_job *job)
{
	memset(job, 0, sizeof(*job));
}

void mp_check_job_cleanup(struct mp_check_job *job)
{
	mp_checker_cancel(job);
	mp_checker_tls_job_free(job);
	free(job->expect_body);
	job->expect_body = NULL;
	job->cfg.expect_body = NULL;
}

/* ---------------------------------------------------------------------- */
/* Outcome of one transfer */

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
void mp_checker_report(struct mp_check_job *job, struct mp_check_outcome *o)
{
	struct mp_check_result r;
	enum mp_check_verdict v;
	mp_check_done_fn cb = job->cb;
	void *arg = job->arg;

	memset(&r, 0, sizeof(r));
	r.at_ms = wall_ms();
	o->now_s = (int64_t)(r.at_ms / 1000);
	v = mp_check_evaluate(&job->cfg, o, r.detail, sizeof(r.detail));
	r.ok = v == MP_VERDICT_OK;
	r.latency_ms =
	    o->total_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)o->total_ms;
	/* after any failed check, a full handshake */
	if (!r.ok)
		mp_checker_tls_forget(job);
	if (mp_check_job_cert(job)) {
		const struct mp_tls_cert *cert = mp_check_job_cert(job);

		r.cert_not_after = cert->not_after;
		r.cert_event =
		    job->x->native ? job->x->cert_event : MP_CERT_NONE;
		/* the job keeps them until its next full handshake */
		r.cert_subject = cert->subject[0] ? cert->subject : NULL;
		r.cert_issuer = cert->issuer[0] ? cert->issuer : NULL;
	}

	job_end(job);
	/* the job is idle: cb may restart or free it */
	cb(arg, &r, v);
}

static void on_epoll(uv_poll_t *h, int status, int events)
{
	struct mp_checker *c = h->data;
	struct epoll_event ev[MP_EPOLL_BATCH];
	int n;

	(void)status;
	(void)events;
	n = epoll_wait(c->epfd, ev, MP_EPOLL_BATCH, 0);
	c->in_batch = true;
	for (int i = 0; i < n && !c->closing; i++) {
		enum mp_pollee *kind = ev[i].data.ptr;

		if (*kind == MP_POLLEE_NATIVE) {
			mp_checker_native_event(c, ev[i].data.ptr,
						ev[i].events);
		} else {
			struct mp_sock *s = ev[i].data.ptr;

			if (!s->dead)
				mp_checker_curl_event(c, s, ev[i].events);
		}
	}
	c->in_batch = false;
	mp_checker_curl_free_dead(c);
}

bool mp_xfer_body_append(struct mp_xfer *x, const unsigned char *data, size_t n)
{
	size_t need;

	if (n > x->max_body - x->body_len) {
		x->too_big = true;
		return false;
	}
	need = x->body_len + n;
	if (need > x->body_cap) {
		size_t cap = x->body_cap ? x->body_cap : 4096;
		unsigned char *p;

		while (cap < need)
			cap *= 2;
		if (cap > x->max_body)
			cap = x->max_body;
		p = realloc(x->body, cap);
		if (!p)
			return false;
		x->body = p;
		x->body_cap = cap;
	}
	memcpy(x->body + x->body_len, data, n);
	x->body_len += n;
	return true;
}

/* ---------------------------------------------------------------------- */
/* Public API */

int mp_checker_new(uv_loop_t *loop, struct mp_checker **out)
{
	struct mp_checker *c;
	int rc = MP_ENOMEM;

	*out = NULL;
	if (global_refs == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return MP_EIO;
	global_refs++;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->loop = loop;
	c->epfd = -1;
	if (mp_checker_curl_init(c) != MP_OK)
		goto fail;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0) {
		rc = mp_err_errno(errno);
		goto fail;
	}
	rc = uv_poll_init(loop, &c->epoll_poll, c->epfd);
	if (rc != 0) {
		rc = mp_err_errno(rc);
		goto fail;
	}
	/* from here on the handle is closed, not dropped (uv_close) */
	c->epoll_poll.data = c;
	uv_poll_start(&c->epoll_poll, UV_READABLE, on_epoll);
	/* an idle checker does not keep the loop running */
	uv_unref((uv_handle_t *)&c->epoll_poll);
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	uv_timer_init(loop, &c->ntimer);
	c->ntimer.data = c;
	c->builtin = true;
	*out = c;
	return MP_OK;
fail:
	if (c && c->epfd >= 0)
		close(c->epfd);
	if (c && c->multi)
		curl_multi_cleanup(c->multi);
	free(c);
	if (--global_refs == 0)
		curl_global_cleanup();
	return rc;
}

size_t mp_checker_running(const struct mp_checker *c)
{
	return c->n_running;
}

/* Keeps the job's own copy of expect_body; unchanged, it is reused. */
static int keep_expect_body(struct mp_check_job *job, const char *want)
{
	if (job->expect_body && want && strcmp(job->expect_body, want) == 0)
		return MP_OK;
	free(job->expect_body);
	job->expect_body = NULL;
	if (want) {
		job->expect_body = strdup(want);
		if (!job->expect_body)
			return MP_ENOMEM;
	}
	return MP_OK;
}

int mp_checker_start(struct mp_checker *c, struct mp_check_job *job,
		     const struct mp_check_cfg *cfg, const struct mp_addr *addr,
		     mp_check_done_fn cb, void *arg)
{
	struct mp_xfer *x;
	int rc;

	if (job->busy)
		return MP_EBUSY;
	/* a zero timeout would mean "none" to curl: a check that never ends */
	if (c->closing || !cb || cfg->port == 0 || cfg->timeout_ms == 0 ||
	    (!addr && cfg->type == MP_CHECK_TCP))
		return MP_EINVAL;
	if (cfg->type == MP_CHECK_HTTP && (!cfg->url || !cfg->host))
		return MP_EINVAL;
	/* a check no longer https forgets its certificate and session */
	if (job->tls && (cfg->type != MP_CHECK_HTTP || !cfg->https))
		mp_checker_tls_job_free(job);
	rc = keep_expect_body(job, cfg->expect_body);
	if (rc != MP_OK)
		return rc;
	job->cfg = *cfg;
	/* only the evaluation's strings are kept; curl copies the rest */
	job->cfg.url = NULL;
	job->cfg.host = NULL;
	job->cfg.ca_file = NULL;
	job->cfg.expect_body = job->expect_body;
	x = xfer_get(c);
	if (!x)
		return MP_ENOMEM;
	x->body_len = 0;
	x->max_body = cfg->max_body;
	x->too_big = false;
	x->sock_errno = 0;
	x->native = false;
	rc = MP_EINVAL;
	x->job = job;
	if (c->builtin && addr)
		rc = mp_checker_native_start(c, x, cfg, addr);
	if (rc == MP_EINVAL) { /* not for the built-in client: curl's */
		rc = mp_checker_curl_start(c, x, cfg, addr);
	}
	if (rc != MP_OK)
		goto fail;
	x->job = job;
	job->x = x;
	job->cb = cb;
	job->arg = arg;
	job->busy = true;
	if (c->n_running++ == 0)
		uv_ref((uv_handle_t *)&c->epoll_poll);
	job_register(c, job);
	return MP_OK;
fail:
	xfer_put(c, x);
	return rc;
}

void mp_checker_cancel(struct mp_check_job *job)
{
	if (!job->busy || !job->checker)
		return;
	job_end(job);
}

void mp_checker_close(struct mp_checker *c, void (*closed)(void *arg),
		      void *arg)
{
	if (c->closing)
		return;
	c->closing = true; /* from now on, ended transfers are freed */
	while (c->jobs)
		job_end(c->jobs);
	while (c->idle) {
		struct mp_xfer *x = c->idle;

		c->idle = x->next;
		xfer_free(x);
	}
	c->n_idle = 0;
	c->closed = closed;
	c->closed_arg = arg;
	mp_checker_curl_close(c);
	mp_checker_tls_flush(c);
	uv_poll_stop(&c->epoll_poll);
	c->pending_closes++;
	uv_close((uv_handle_t *)&c->epoll_poll, on_epoll_closed);
	uv_timer_stop(&c->timer);
	c->pending_closes++;
	uv_close((uv_handle_t *)&c->timer, on_timer_closed);
	uv_timer_stop(&c->ntimer);
	c->pending_closes++;
	uv_close((uv_handle_t *)&c->ntimer, on_timer_closed);
}

void mp_checker_set_builtin(struct mp_checker *c, bool on)
{
	c->builtin = on;
}
