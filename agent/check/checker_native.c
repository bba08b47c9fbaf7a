/*
 * The built-in client for plain-HTTP checks of an address and for TCP
 * checks. libcurl spends some 60 us of CPU setting up and tearing down
 * each transfer, which is most of a check's cost; these checks do not go
 * through it at all: one non-blocking socket in the checker's epoll set,
 * registered once edge-triggered, one request written, the response
 * parsed by lib/http1.c, which bounds everything an untrusted mirror can
 * send. Deadlines are kept in one ordered list with one timer.
 */
#include "autoconfig.h"

#include "checker_int.h"
#include "duration.h"
#include "error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void native_timer_arm(struct mp_checker *c);

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
void mp_checker_native_stop(struct mp_checker *c, struct mp_xfer *x)
{
	mp_checker_tls_end(x);
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	if (x->state != MP_NATIVE_IDLE) {
		bool was_first = c->dl_head == x;

		dl_remove(c, x);
		/* the timer follows the first deadline: re-armed for the next
		 * one, or stopped, so it never fires for nothing (the timer's
		 * own callback re-arms once, when it is done) */
		if (was_first && !c->in_ntimer && !c->closing)
			native_timer_arm(c);
	}
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
	if (e == MP_XFER_OK && x->ssl)
		mp_checker_tls_keep_session(x);
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
	mp_checker_report(job, &o);
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
	return mp_xfer_body_append(arg, data, len);
}

/* A TLS step failed: the socket's errno, or OpenSSL's words. */
static void tls_failed(struct mp_xfer *x, enum mp_xfer_error e)
{
	if (x->fail_errno != 0)
		native_fail_errno(x, x->fail_errno);
	else
		native_finish(x, e, x->ssl_fail);
}

/* tls_expiry_fail: a certificate this close to its end fails the check
 * (on a resumed session too: the memo holds the certificate). */
static bool tls_expiring(struct mp_xfer *x)
{
	const struct mp_tls_cert *cert = mp_check_job_cert(x->job);
	uint64_t fail_ms = x->job->cfg.tls_expiry_fail_ms;
	struct timespec ts;
	int64_t left_ms;
	char d[32];

	if (fail_ms == 0 || !cert)
		return false;
	clock_gettime(CLOCK_REALTIME, &ts);
	left_ms = (cert->not_after - (int64_t)ts.tv_sec) * 1000;
	if (left_ms >= (int64_t)fail_ms)
		return false;
	snprintf(x->ssl_fail, sizeof(x->ssl_fail), "certificate expires in %s",
		 mp_duration_human(left_ms > 0 ? (uint64_t)left_ms : 0, d,
				   sizeof(d)));
	native_finish(x, MP_XFER_TLS, x->ssl_fail);
	return true;
}

/* Reads what the socket has; ends the check once the response is
 * complete, broken or cut. hup: the peer's FIN (or an error) is in, so
 * read on to the end of the stream. */
static void native_receive(struct mp_checker *c, struct mp_xfer *x, bool hup)
{
	for (;;) {
		ssize_t n;
		enum mp_http1_rc rc;

		if (x->ssl) {
			n = mp_checker_tls_recv(x, c->rbuf, sizeof(c->rbuf));
			if (n == MP_CHECKER_AGAIN)
				return;
			if (n < 0) {
				tls_failed(x, MP_XFER_CLOSED);
				return;
			}
		} else {
			n = recv(x->fd, c->rbuf, sizeof(c->rbuf), 0);
		}
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
			if ((size_t)n < sizeof(c->rbuf) && !hup && !x->ssl)
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
		ssize_t n;

		if (x->ssl) {
			n = mp_checker_tls_send(x, x->req + x->req_sent,
						x->req_len - x->req_sent);
			if (n == MP_CHECKER_AGAIN)
				return false;
			if (n < 0) {
				tls_failed(x, MP_XFER_CLOSED);
				return false;
			}
		} else {
			n = send(x->fd, x->req + x->req_sent,
				 x->req_len - x->req_sent, MSG_NOSIGNAL);
		}
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
void mp_checker_native_event(struct mp_checker *c, struct mp_xfer *x,
			     uint32_t ev)
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
		if (x->ssl) {
			if (mp_checker_tls_attach(x) != MP_OK) {
				native_finish(x, MP_XFER_OTHER,
					      "out of memory");
				return;
			}
			x->state = MP_NATIVE_HANDSHAKING;
		} else {
			x->state = MP_NATIVE_SENDING;
		}
	}
	if (x->state == MP_NATIVE_HANDSHAKING) {
		int rc = mp_checker_tls_handshake(x, x->host);

		if (rc == MP_CHECKER_AGAIN)
			return;
		if (rc != MP_OK) {
			tls_failed(x, MP_XFER_TLS);
			return;
		}
		if (tls_expiring(x))
			return;
		x->state = MP_NATIVE_SENDING;
	}
	if (x->state == MP_NATIVE_SENDING) {
		if (!native_send(x))
			return;
		/* the answer comes with a later edge, unless this one
		 * already said there is something to read; over TLS the
		 * handshake may have left records unread: read on until
		 * OpenSSL wants the socket */
		if (!x->ssl &&
		    !(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
			return;
	}
	if (x->state == MP_NATIVE_RECEIVING)
		native_receive(c, x,
			       (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
}

/* Timeouts, and the failures of checks that could not start. */
void mp_checker_native_on_timer(uv_timer_t *t)
{
	struct mp_checker *c = t->data;
	uint64_t now = uv_hrtime();

	c->in_ntimer = true;
	while (c->dl_head && !c->closing) {
		struct mp_xfer *x = c->dl_head;

		if (x->state == MP_NATIVE_FAILED) {
			if (x->ssl_fail[0])
				native_finish(x, MP_XFER_TLS, x->ssl_fail);
			else
				native_fail_errno(x, x->fail_errno);
			continue;
		}
		if (x->deadline_ns > now)
			break;
		native_finish(x, MP_XFER_TIMEOUT, NULL);
	}
	c->in_ntimer = false;
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
	uv_timer_start(&c->ntimer, mp_checker_native_on_timer,
		       due > now ? (due - now + 999999) / 1000000 : 0, 0);
}

/* A connect that fails at once is reported from the timer, like any
 * other failure. */
int mp_checker_native_start(struct mp_checker *c, struct mp_xfer *x,
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
		    cfg->host, cfg->port, cfg->https ? 443 : 80,
		    "mirrorpool/" PACKAGE_VERSION);
		if (x->req_len == 0 || strlen(cfg->host) >= sizeof(x->host))
			return MP_EINVAL;
		mp_http1_init(&x->http);
	}
	x->req_sent = 0;
	x->fail_errno = 0;
	x->ssl_fail[0] = '\0';
	x->cert_event = MP_CERT_NONE;
	if (!x->tcp_only && cfg->https) {
		int rc;

		memcpy(x->host, cfg->host, strlen(cfg->host) + 1);
		rc = mp_checker_tls_start(c, x, cfg, addr);
		if (rc == MP_ENOMEM) {
			mp_checker_tls_end(x);
			return rc;
		}
		if (rc != MP_OK) { /* the CA file: reported as a TLS failure */
			x->native = true;
			x->start_ns = uv_hrtime();
			x->fd = -1;
			x->state = MP_NATIVE_FAILED;
			x->deadline_ns = 0;
			dl_insert(c, x);
			return MP_OK;
		}
	}
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
	/* TLS writes twice before an answer (Finished, then the request):
	 * without this the second waits for the delayed ACK of the first */
	if (x->ssl) {
		int one = 1;

		setsockopt(x->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if (mp_check_source(cfg, addr->family)) {
		/* check.source_address: the check leaves from there */
		struct sockaddr_storage src;
		socklen_t srcl = (socklen_t)mp_addr_to_sockaddr(
		    mp_check_source(cfg, addr->family), 0, &src);
		if (bind(x->fd, (struct sockaddr *)&src, srcl) != 0)
			goto failed;
	}
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
		int e = errno;

		mp_checker_tls_end(x);
		close(x->fd);
		x->fd = -1;
		x->state = MP_NATIVE_IDLE;
		x->native = false;
		return mp_err_errno(e);
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
