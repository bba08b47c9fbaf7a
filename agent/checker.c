/*
 * Health checks over curl multi on libuv.
 *
 * What a check costs matters with a thousand addresses checked every
 * second (docs/performance.md, "Check throughput"):
 * - This departs from STYLE.md "curl multi on libuv" (one uv_poll_t per
 *   socket): every check opens a new socket, and a uv_poll_t per socket
 *   costs seven epoll_ctl calls and an ioctl per check (libuv probes each
 *   new fd with an add and a delete, and stops it twice on close). The
 *   checker keeps its own epoll set instead, polled on the loop by one
 *   uv_poll_t: add, modify and delete, three calls per check. Everything
 *   still runs on the loop's thread, from its callbacks; curl's timer is
 *   the usual one-shot uv_timer_t, and curl_multi_info_read is drained
 *   after every curl_multi_socket_action.
 * - Easy handles are pooled, not one per address.
 * - Address checks bypass curl's DNS cache (see setup_easy).
 * - Plain-HTTP checks of an address and TCP checks do not go through curl
 *   at all: libcurl spends some 60 us of CPU setting up and tearing down
 *   each transfer, which is most of a check's cost. They run on a small
 *   built-in client instead (the "native" transfers below): one
 *   non-blocking socket in the same epoll set, registered once
 *   edge-triggered, one request written, the response parsed by
 *   lib/http1.c, which bounds everything an untrusted mirror can send.
 *   https:// checks (certificates) and checks without an address (guard
 *   sentinels resolve the URL's host) stay on curl, as does everything
 *   when mp_checker_set_builtin(c, false) says so.
 */
#include "autoconfig.h"

#include "checker.h"
#include "error.h"
#include "http1.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Idle transfers kept for reuse. Checks of a steady pool take a few
 * milliseconds each, so a handful run at once even with a thousand
 * addresses; more than this many idle handles are freed again. */
#define MP_XFER_IDLE_MAX 64

/* What an epoll event's data.ptr points at: the first member of both. */
enum mp_pollee { MP_POLLEE_CURL_SOCK = 1, MP_POLLEE_NATIVE };

/* Where a native transfer is. */
enum mp_native_state {
	MP_NATIVE_IDLE = 0,
	MP_NATIVE_CONNECTING,
	MP_NATIVE_SENDING,
	MP_NATIVE_RECEIVING,
	MP_NATIVE_FAILED, /* failed while starting; reported on the timer */
};

/* Longest request a native transfer sends; a longer URL goes to curl. */
#define MP_NATIVE_REQ_MAX 2048

/*
 * One transfer: a curl easy handle or a native socket, and what it writes
 * into, lent to a job for one check and then back to the checker's idle
 * list. Reusing it keeps nothing of the previous check but allocations:
 * options are reset, and every check still opens a fresh connection with a
 * full handshake.
 */
struct mp_xfer {
	enum mp_pollee kind;	  /* MP_POLLEE_NATIVE, for the epoll set */
	CURL *easy;		  /* made on first use by curl */
	struct mp_check_job *job; /* while lent */
	/* native transfers */
	bool native;
	enum mp_native_state state;
	int fd;
	bool tcp_only;	      /* a TCP check: done once connected */
	uint64_t start_ns;    /* uv_hrtime() at the start */
	uint64_t deadline_ns; /* uv_hrtime() when it times out */
	struct mp_xfer *dl_prev, *dl_next; /* the checker's deadline list */
	int fail_errno;			   /* MP_NATIVE_FAILED: what happened */
	size_t req_len, req_sent;
	char req[MP_NATIVE_REQ_MAX];
	struct mp_http1 http;
	/* CURLOPT_CONNECT_TO's one-entry list, without an allocation */
	struct curl_slist connect_to;
	char connect_line[700];
	unsigned char *body;
	size_t body_len, body_cap;
	size_t max_body;
	bool too_big;
	int sock_errno; /* SO_ERROR seen when the poll reported an error */
	char errbuf[CURL_ERROR_SIZE];
	struct mp_xfer *next; /* idle list */
};

/* One per socket curl tells us about, in the checker's epoll set. */
struct mp_sock {
	enum mp_pollee kind; /* MP_POLLEE_CURL_SOCK */
	curl_socket_t fd;
	struct mp_xfer *x; /* the transfer using it */
	int what;	   /* CURL_POLL_* curl last asked for */
	uint32_t events;   /* registered with epoll; 0: not in the set */
	bool dead;	   /* curl is done with it; freed after the batch */
	struct mp_sock *prev, *next;
};

/* Events taken from the epoll set per loop callback. */
#define MP_EPOLL_BATCH 64

struct mp_checker {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	uint64_t timer_due;	   /* loop time the timer fires at */
	int epfd;		   /* the sockets of the checks */
	uv_poll_t epoll_poll;	   /* epfd on the loop */
	bool in_batch;		   /* dispatching epoll events */
	struct mp_sock *socks;	   /* sockets curl uses */
	struct mp_sock *dead;	   /* removed during a batch */
	struct mp_check_job *jobs; /* busy jobs */
	struct mp_xfer *idle;	   /* transfers ready for reuse */
	size_t n_idle;
	size_t n_running;
	unsigned pending_closes; /* uv_close callbacks still to come */
	bool builtin;		 /* native transfers where they can */
	uv_timer_t ntimer;	 /* the first native deadline */
	struct mp_xfer *dl_head, *dl_tail; /* native transfers by deadline */
	unsigned char rbuf[16384];	   /* what one recv() of a native check
					      reads; the loop has one thread */
	bool closing;
	void (*closed)(void *);
	void *closed_arg;
};

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

static void sock_free_dead(struct mp_checker *c)
{
	while (c->dead) {
		struct mp_sock *s = c->dead;

		c->dead = s->next;
		free(s);
	}
}

/* Out of the epoll set and the list; freed now, or after the batch of
 * events being dispatched (which may still name it). */
static void sock_close(struct mp_checker *c, struct mp_sock *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		c->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = NULL;
	if (s->events)
		epoll_ctl(c->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	s->events = 0;
	if (c->in_batch) {
		s->dead = true;
		s->next = c->dead;
		c->dead = s;
	} else {
		free(s);
	}
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

static void native_stop(struct mp_checker *c, struct mp_xfer *x);

/* Ends the job's transfer: out of the multi handle (or its socket closed),
 * the transfer back to the pool, the job idle and off the busy list. */
static void job_end(struct mp_check_job *job)
{
	struct mp_checker *c = job->checker;

	if (job->x->native)
		native_stop(c, job->x);
	else
		curl_multi_remove_handle(c->multi, job->x->easy);
	xfer_put(c, job->x);
	job->x = NULL;
	job->busy = false;
	if (--c->n_running == 0)
		uv_unref((uv_handle_t *)&c->epoll_poll);
	job_unregister(job);
}

void mp_check_job_init(struct mp_check_job *job)
{
	memset(job, 0, sizeof(*job));
}

void mp_check_job_cleanup(struct mp_check_job *job)
{
	mp_checker_cancel(job);
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

/* curl prefixes its TLS messages; the reason already says "TLS: ". */
static const char *tls_detail(const char *msg)
{
	static const char *const prefixes[] = {
	    "SSL certificate problem: ",
	    "SSL: ",
	};
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);
		if (strncmp(msg, prefixes[i], n) == 0)
			return msg + n;
	}
	return msg;
}

static enum mp_xfer_error map_curl(struct mp_xfer *x, CURLcode rc,
				   const char **detail)
{
	long os_errno = 0;
	const char *msg = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);

	*detail = msg;
	switch (rc) {
	case CURLE_OK:
		return MP_XFER_OK;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
		if (os_errno == ECONNREFUSED)
			return MP_XFER_REFUSED;
		if (os_errno != 0)
			*detail = strerror((int)os_errno);
		return MP_XFER_CONNECT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return MP_XFER_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return MP_XFER_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_USE_SSL_FAILED:
		*detail = tls_detail(msg);
		return MP_XFER_TLS;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		if (x->sock_errno != 0)
			*detail = strerror(x->sock_errno);
		return MP_XFER_CLOSED;
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return MP_XFER_CLOSED;
	case CURLE_FILESIZE_EXCEEDED:
		return MP_XFER_TOO_BIG;
	case CURLE_WRITE_ERROR:
		if (x->too_big)
			return MP_XFER_TOO_BIG;
		return MP_XFER_OTHER;
	default:
		return MP_XFER_OTHER;
	}
}

/* Judges the outcome, ends the job and calls back; o->body stays valid
 * until the job ends. */
static void job_report(struct mp_check_job *job, struct mp_check_outcome *o)
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

	job_end(job);
	/* the job is idle: cb may restart or free it */
	cb(arg, &r, v);
}

static void job_finish(struct mp_xfer *x, CURLcode rc)
{
	struct mp_check_job *job = x->job;
	struct mp_check_outcome o;
	curl_off_t total_us = 0, filetime = -1;
	long status = 0;

	memset(&o, 0, sizeof(o));
	o.xfer = map_curl(x, rc, &o.xfer_detail);
	if (o.xfer == MP_XFER_OK && job->cfg.type == MP_CHECK_HTTP) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		if (curl_easy_getinfo(x->easy, CURLINFO_FILETIME_T,
				      &filetime) != CURLE_OK)
			filetime = -1;
	}
	curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &total_us);
	o.http_status = status;
	o.body = x->body;
	o.body_len = x->body_len;
	o.last_modified = filetime;
	o.total_ms = total_us > 0 ? (uint64_t)total_us / 1000 : 0;
	job_report(job, &o);
}

/* Drains curl's completion queue after every curl_multi_socket_action. */
static void check_done(struct mp_checker *c)
{
	CURLMsg *msg;
	int pending;

	while (!c->closing &&
	       (msg = curl_multi_info_read(c->multi, &pending))) {
		struct mp_xfer *x = NULL;
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
		if (!x || !x->job)
			continue;
		job_finish(x, rc);
	}
}

/* ---------------------------------------------------------------------- */
/* Native transfers: plain HTTP and TCP without curl */

static void native_timer_arm(struct mp_checker *c);
static bool body_append(struct mp_xfer *x, const unsigned char *data, size_t n);

/* Into the deadline list, kept in order. Checks of one pool share a
 * timeout, so the new one nearly always goes last: walk from the tail. */
static void dl_insert(struct mp_checker *c, struct mp_xfer *x)
{
	struct mp_xfer *after = c->dl_tail;

	while (after && after->deadline_ns > x->deadline_ns)
		after = after->dl_prev;
	x->dl_prev = after;
	x->dl_next = after ? after->dl_next : c->dl_head;
	if (x->dl_next)
		x->dl_next->dl_prev = x;
	else
		c->dl_tail = x;
	if (after)
		after->dl_next = x;
	else
		c->dl_head = x;
	if (c->dl_head == x)
		native_timer_arm(c);
}

static void dl_remove(struct mp_checker *c, struct mp_xfer *x)
{
	if (x->dl_prev)
		x->dl_prev->dl_next = x->dl_next;
	else
		c->dl_head = x->dl_next;
	if (x->dl_next)
		x->dl_next->dl_prev = x->dl_prev;
	else
		c->dl_tail = x->dl_prev;
	x->dl_prev = x->dl_next = NULL;
}

/* The transfer's socket closed (which also takes it out of the epoll
 * set: nothing else holds it) and its deadline gone. */
static void native_stop(struct mp_checker *c, struct mp_xfer *x)
{
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	if (x->state != MP_NATIVE_IDLE)
		dl_remove(c, x);
	x->state = MP_NATIVE_IDLE;
}

/* Ends a native check with what happened. */
static void native_finish(struct mp_xfer *x, enum mp_xfer_error e,
			  const char *detail)
{
	struct mp_check_job *job = x->job;
	struct mp_check_outcome o;

	memset(&o, 0, sizeof(o));
	o.xfer = e;
	o.xfer_detail = detail;
	o.last_modified = -1;
	if (e == MP_XFER_OK && !x->tcp_only) {
		o.http_status = x->http.status;
		/* libcurl's date parser reads the three HTTP date formats;
		 * only max_age needs it */
		if (job->cfg.max_age_ms > 0 && x->http.has_last_modified) {
			time_t t = curl_getdate(x->http.last_modified, NULL);

			o.last_modified = t < 0 ? -1 : (int64_t)t;
		}
	}
	o.body = x->body;
	o.body_len = x->body_len;
	o.total_ms = (uv_hrtime() - x->start_ns) / 1000000;
	job_report(job, &o);
}

/* A socket error as a check failure. */
static void native_fail_errno(struct mp_xfer *x, int err)
{
	if (x->state == MP_NATIVE_CONNECTING || x->state == MP_NATIVE_FAILED) {
		if (err == ECONNREFUSED)
			native_finish(x, MP_XFER_REFUSED, NULL);
		else
			native_finish(x, MP_XFER_CONNECT, strerror(err));
		return;
	}
	native_finish(x, MP_XFER_CLOSED, strerror(err));
}

static bool native_body(void *arg, const unsigned char *data, size_t len)
{
	return body_append(arg, data, len);
}

/* Reads what the socket has; ends the check once the response is
 * complete, broken or cut. hup: the peer's FIN (or an error) is in, so
 * read on to the end of the stream. */
static void native_receive(struct mp_checker *c, struct mp_xfer *x, bool hup)
{
	for (;;) {
		ssize_t n = recv(x->fd, c->rbuf, sizeof(c->rbuf), 0);
		enum mp_http1_rc rc;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				native_fail_errno(x, errno);
			return;
		}
		if (n == 0)
			rc = mp_http1_eof(&x->http);
		else
			rc = mp_http1_feed(&x->http, c->rbuf, (size_t)n,
					   native_body, x);
		switch (rc) {
		case MP_HTTP1_MORE:
			/* less than asked for: the socket was empty, and
			 * anything arriving later is a new edge; not so a
			 * FIN already in, which the next read returns */
			if ((size_t)n < sizeof(c->rbuf) && !hup)
				return;
			continue;
		case MP_HTTP1_DONE:
			native_finish(x, MP_XFER_OK, NULL);
			return;
		case MP_HTTP1_ABORTED:
			native_finish(
			    x, x->too_big ? MP_XFER_TOO_BIG : MP_XFER_OTHER,
			    "out of memory");
			return;
		case MP_HTTP1_CLOSED:
			native_finish(x, MP_XFER_CLOSED, x->http.error);
			return;
		case MP_HTTP1_ERROR:
			native_finish(x, MP_XFER_OTHER, x->http.error);
			return;
		}
	}
}

/* Writes (the rest of) the request; on to receiving once it is out. */
static bool native_send(struct mp_xfer *x)
{
	while (x->req_sent < x->req_len) {
		ssize_t n = send(x->fd, x->req + x->req_sent,
				 x->req_len - x->req_sent, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				native_fail_errno(x, errno);
			return false;
		}
		x->req_sent += (size_t)n;
	}
	x->state = MP_NATIVE_RECEIVING;
	return true;
}

/* One edge of the socket (edge-triggered: each state change once). */
static void native_event(struct mp_checker *c, struct mp_xfer *x, uint32_t ev)
{
	if (!x->job || x->fd < 0)
		return;
	if (x->state == MP_NATIVE_CONNECTING) {
		if (ev & (EPOLLERR | EPOLLHUP)) {
			int err = 0;
			socklen_t len = sizeof(err);

			if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err,
				       &len) != 0)
				err = errno;
			if (err != 0) {
				native_fail_errno(x, err);
				return;
			}
		}
		if (!(ev & EPOLLOUT))
			return;
		if (x->tcp_only) {
			native_finish(x, MP_XFER_OK, NULL);
			return;
		}
		x->state = MP_NATIVE_SENDING;
	}
	if (x->state == MP_NATIVE_SENDING) {
		if (!native_send(x))
			return;
		/* the answer comes with a later edge, unless this one
		 * already said there is something to read */
		if (!(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
			return;
	}
	if (x->state == MP_NATIVE_RECEIVING)
		native_receive(c, x,
			       (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
}

/* Timeouts, and the failures of checks that could not start. */
static void on_native_timer(uv_timer_t *t)
{
	struct mp_checker *c = t->data;
	uint64_t now = uv_hrtime();

	while (c->dl_head && !c->closing) {
		struct mp_xfer *x = c->dl_head;

		if (x->state == MP_NATIVE_FAILED) {
			native_fail_errno(x, x->fail_errno);
			continue;
		}
		if (x->deadline_ns > now)
			break;
		native_finish(x, MP_XFER_TIMEOUT, NULL);
	}
	/* a callback may have closed the checker (and this timer) */
	if (!c->closing)
		native_timer_arm(c);
}

static void native_timer_arm(struct mp_checker *c)
{
	uint64_t now, due;

	if (!c->dl_head) {
		uv_timer_stop(&c->ntimer);
		return;
	}
	/* libuv's clock is the loop's cached time, which may lag: the
	 * callback checks against the real one and comes back if early */
	now = uv_hrtime();
	due = c->dl_head->deadline_ns;
	uv_timer_start(&c->ntimer, on_native_timer,
		       due > now ? (due - now + 999999) / 1000000 : 0, 0);
}

/*
 * Starts a native check of addr: socket, connect, into the epoll set.
 * Returns MP_OK (a connect that fails at once is reported from the
 * timer, never from here), MP_EINVAL when the request does not fit
 * (the caller falls back to curl), or MP_EIO.
 */
static int native_start(struct mp_checker *c, struct mp_xfer *x,
			const struct mp_check_cfg *cfg,
			const struct mp_addr *addr)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct epoll_event ev;

	x->tcp_only = cfg->type == MP_CHECK_TCP;
	if (!x->tcp_only) {
		x->req_len = mp_http1_request(
		    x->req, sizeof(x->req), mp_config_url_target(cfg->url),
		    cfg->host, cfg->port, 80, "mirrorpool/" PACKAGE_VERSION);
		if (x->req_len == 0)
			return MP_EINVAL;
		mp_http1_init(&x->http);
	}
	x->req_sent = 0;
	memset(&ss, 0, sizeof(ss));
	if (addr->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(cfg->port);
		memcpy(&s6->sin6_addr, addr->bytes, 16);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(cfg->port);
		memcpy(&s4->sin_addr, addr->bytes, 4);
		sl = sizeof(*s4);
	}
	x->native = true;
	x->start_ns = uv_hrtime();
	x->deadline_ns = x->start_ns + cfg->timeout_ms * 1000000;
	x->fd = socket(addr->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       IPPROTO_TCP);
	if (x->fd < 0)
		goto failed;
	x->state = MP_NATIVE_CONNECTING;
	if (connect(x->fd, (struct sockaddr *)&ss, sl) != 0 &&
	    errno != EINPROGRESS)
		goto failed;

	/* once, edge-triggered, both ways: no EPOLL_CTL_MOD as the check
	 * moves on, and close() takes it out of the set */
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.ptr = x;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, x->fd, &ev) != 0) {
		close(x->fd);
		x->fd = -1;
		x->state = MP_NATIVE_IDLE;
		x->native = false;
		return MP_EIO;
	}
	dl_insert(c, x);
	return MP_OK;
failed:
	/* reported from the loop like any other failure */
	x->fail_errno = errno;
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	x->state = MP_NATIVE_FAILED;
	x->deadline_ns = 0;
	dl_insert(c, x);
	return MP_OK;
}

/* ---------------------------------------------------------------------- */
/* curl <-> libuv glue */

/* One socket's readiness, mapped as libuv's uv_poll_t would: an error
 * is CURL_CSELECT_ERR alone, a hang-up is the events curl waits for. */
static void sock_event(struct mp_checker *c, struct mp_sock *s, uint32_t ev)
{
	int flags = 0, running;

	if (ev & EPOLLERR) {
		flags = CURL_CSELECT_ERR;
		/* libuv says only "error" and curl "select/poll returned
		 * error"; keep the socket's own reason for the report. Not
		 * while connecting (curl waits for POLL_OUT then): curl reads
		 * SO_ERROR itself to tell "refused", and reading clears it. */
		if (s->x && s->x->job && s->x->sock_errno == 0 &&
		    s->what == CURL_POLL_IN) {
			int err = 0;
			socklen_t len = sizeof(err);

			if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err,
				       &len) == 0)
				s->x->sock_errno = err;
		}
		/* reported once, like a stopped uv_poll_t: epoll would
		 * repeat it until curl asks for the socket again */
		epoll_ctl(c->epfd, EPOLL_CTL_DEL, s->fd, NULL);
		s->events = 0;
	} else {
		if (ev & EPOLLHUP)
			ev |= (s->what & CURL_POLL_IN ? EPOLLIN : 0) |
			      (s->what & CURL_POLL_OUT ? EPOLLOUT : 0);
		if (ev & EPOLLIN)
			flags |= CURL_CSELECT_IN;
		if (ev & EPOLLOUT)
			flags |= CURL_CSELECT_OUT;
	}
	curl_multi_socket_action(c->multi, s->fd, flags, &running);
	check_done(c);
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
			native_event(c, ev[i].data.ptr, ev[i].events);
		} else {
			struct mp_sock *s = ev[i].data.ptr;

			if (!s->dead)
				sock_event(c, s, ev[i].events);
		}
	}
	c->in_batch = false;
	sock_free_dead(c);
}

static void on_timer(uv_timer_t *t)
{
	struct mp_checker *c = t->data;
	int running;

	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(c);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
		     void *socketp)
{
	struct mp_checker *c = userp;
	struct mp_sock *s = socketp;
	struct epoll_event ev;

	if (what == CURL_POLL_REMOVE) {
		if (s) {
			curl_multi_assign(c->multi, fd, NULL);
			sock_close(c, s);
		}
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		s->kind = MP_POLLEE_CURL_SOCK;
		s->fd = fd;
		s->next = c->socks;
		if (c->socks)
			c->socks->prev = s;
		c->socks = s;
		curl_multi_assign(c->multi, fd, s);
	}
	s->x = NULL;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&s->x);
	s->what = what;
	memset(&ev, 0, sizeof(ev));
	if (what & CURL_POLL_IN)
		ev.events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev.events |= EPOLLOUT;
	ev.data.ptr = s;
	if (ev.events == s->events)
		return 0;
	if (ev.events == 0) {
		/* CURL_POLL_NONE: out of the set (epoll would still report
		 * errors and hang-ups of a socket with no events) */
		epoll_ctl(c->epfd, EPOLL_CTL_DEL, fd, NULL);
	} else if (epoll_ctl(c->epfd, s->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
			     fd, &ev) != 0) {
		return -1;
	}
	s->events = ev.events;
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct mp_checker *c = userp;
	uint64_t due;

	if (timeout_ms < 0) {
		uv_timer_stop(&c->timer);
		return 0;
	}
	/* never act from inside curl: 0 becomes "as soon as possible" */
	if (timeout_ms == 0)
		timeout_ms = 1;
	due = uv_now(c->loop) + (uint64_t)timeout_ms;
	/* curl repeats itself many times per transfer; a restart would
	 * take the timer out of libuv's heap and put it back */
	if (due == c->timer_due && uv_is_active((uv_handle_t *)&c->timer))
		return 0;
	c->timer_due = due;
	uv_timer_start(&c->timer, on_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

/* Keeps n more body bytes; false when that would pass max_body (too_big
 * set) or memory runs out. */
static bool body_append(struct mp_xfer *x, const unsigned char *data, size_t n)
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

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	size_t n = size * nmemb;

	/* 0 aborts the transfer: CURLE_WRITE_ERROR */
	return body_append(userp, (const unsigned char *)data, n) ? n : 0;
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
	c->multi = curl_multi_init();
	if (!c->multi)
		goto fail;
	rc = MP_EIO;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0)
		goto fail;
	if (uv_poll_init(loop, &c->epoll_poll, c->epfd) != 0)
		goto fail;
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
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
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

/* "http://ADDR:PORT/" or "[ADDR]:PORT" pieces with IPv6 brackets. */
static void bracketed(const char *host, char *buf, size_t len)
{
	if (strchr(host, ':'))
		snprintf(buf, len, "[%s]", host);
	else
		snprintf(buf, len, "%s", host);
}

static int setup_easy(struct mp_xfer *x, const struct mp_check_cfg *cfg,
		      const struct mp_addr *addr)
{
	char a[MP_ADDR_STRLEN + 2], h[300], url[MP_ADDR_STRLEN + 32];
	CURL *e = x->easy;
	long tmo =
	    cfg->timeout_ms > LONG_MAX ? LONG_MAX : (long)cfg->timeout_ms;
	CURLcode rc = CURLE_OK;

	a[0] = '\0';
	if (addr)
		bracketed(addr->text, a, sizeof(a));
	curl_easy_reset(e);
	x->errbuf[0] = '\0';
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, tmo);
	rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, tmo);
	/* every check is a fresh connection: a reused one would prove
	 * nothing about the mirror's ability to accept */
	rc |= curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	/* and a full handshake: a resumed TLS session skips the
	 * certificate checks */
	rc |= curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	/* the environment's http_proxy must not stand in for the mirror */
	rc |= curl_easy_setopt(e, CURLOPT_PROXY, "");
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	if (rc != CURLE_OK)
		return MP_EIO;

	if (cfg->type == MP_CHECK_TCP) {
		snprintf(url, sizeof(url), "http://%s:%u/", a,
			 (unsigned)cfg->port);
		rc |= curl_easy_setopt(e, CURLOPT_URL, url);
		rc |= curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
		return rc == CURLE_OK ? MP_OK : MP_EIO;
	}

	rc |= curl_easy_setopt(e, CURLOPT_URL, cfg->url);
	/* without an address (sentinels) the URL's host is resolved as any
	 * client would */
	if (addr) {
		bracketed(cfg->host, h, sizeof(h));
		snprintf(x->connect_line, sizeof(x->connect_line),
			 "%s:%u:%s:%u", h, (unsigned)cfg->port, a,
			 (unsigned)cfg->port);
		x->connect_to.data = x->connect_line;
		x->connect_to.next = NULL;
		rc |= curl_easy_setopt(e, CURLOPT_CONNECT_TO, &x->connect_to);
		/* the "resolved" name is an address literal: caching it buys
		 * nothing, and libcurl 7.x scans its whole DNS cache after
		 * every transfer and on each lookup, one entry per address
		 * checked -- the largest cost of a check with 1000 mirrors */
		rc |= curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	}
	rc |= curl_easy_setopt(e, CURLOPT_USERAGENT,
			       "mirrorpool/" PACKAGE_VERSION);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	rc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
			       (curl_off_t)cfg->max_body);
	/* Last-Modified only matters to max_age; parsing its date costs */
	if (cfg->max_age_ms > 0)
		rc |= curl_easy_setopt(e, CURLOPT_FILETIME, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER,
			       cfg->tls_verify ? 1L : 0L);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST,
			       cfg->tls_verify ? 2L : 0L);
	if (cfg->ca_file)
		rc |= curl_easy_setopt(e, CURLOPT_CAINFO, cfg->ca_file);
	return rc == CURLE_OK ? MP_OK : MP_EIO;
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
	if (c->builtin && addr && (cfg->type == MP_CHECK_TCP || !cfg->https))
		rc = native_start(c, x, cfg, addr);
	if (rc == MP_EINVAL) { /* not for the built-in client: curl's */
		if (!x->easy && !(x->easy = curl_easy_init())) {
			rc = MP_ENOMEM;
			goto fail;
		}
		rc = setup_easy(x, cfg, addr);
		if (rc != MP_OK)
			goto fail;
		if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
			rc = MP_EIO;
			goto fail;
		}
	} else if (rc != MP_OK) {
		goto fail;
	}
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
	/* may still report sockets it closes; then it is gone */
	curl_multi_cleanup(c->multi);
	c->multi = NULL;
	while (c->socks)
		sock_close(c, c->socks);
	if (!c->in_batch)
		sock_free_dead(c);
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
