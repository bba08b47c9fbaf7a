/* The DNS transport on libuv; see dnsclient.h for which answer counts. */
#include "autoconfig.h"

#include "dnsclient.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "log.h"

#define MAX_MSG 65535u
#define UDP_MAX_REQUEST 512u

#define container_of(p, type, member)                                          \
	((type *)((char *)(p)-offsetof(type, member)))

/* One request in flight. Its handles are embedded and it is freed only
 * when the last of them has been closed. */
struct xfer {
	struct mp_dnsclient *c;
	struct xfer *prev, *next;
	const struct mp_dns_request *req;
	mp_dns_done_fn cb;
	void *arg;
	uint64_t timeout_ms;
	uint64_t start_ns;
	bool over_tcp;	  /* current transport */
	bool done;	  /* outcome delivered */
	bool cancel;	  /* marked by mp_dnsclient_cancel_all */
	int err;	  /* a socket error to report from the timer */
	unsigned handles; /* initialised and not yet closed */

	uv_timer_t timer;
	uv_udp_t udp;
	bool udp_open;
	uv_udp_send_t usend;
	uv_tcp_t tcp;
	bool tcp_open;
	uv_connect_t conn;
	uv_write_t wr;

	uint8_t *out; /* 2-byte length, then the message (TCP framing) */
	size_t outlen;
	uint8_t *in;  /* receive buffer, MAX_MSG + 2 bytes */
	size_t inlen; /* bytes held (TCP) */

	bool have_kept; /* an unsigned/unverifiable answer seen over UDP */
	struct mp_dns_response kept;
	char kept_why[160];
};

struct mp_dnsclient {
	uv_loop_t *loop;
	struct sockaddr_storage ss;
	struct mp_addr server;
	uint16_t port;
	const struct mp_tsig_key *key;
	mp_dns_clock_fn clock;
	void *clock_arg;
	struct xfer *head;
	unsigned pending; /* awaiting their outcome */
	unsigned live;	  /* not yet freed */
	bool closing;
	bool timer_closed;
	/* Only closed, never started: it makes the closed callback of
	 * mp_dnsclient_close always run from a close callback. */
	uv_timer_t close_timer;
	void (*closed)(void *);
	void *closed_arg;
};

static uint64_t wall_clock(void *arg)
{
	(void)arg;
	return (uint64_t)time(NULL);
}

static void client_maybe_free(struct mp_dnsclient *c)
{
	void (*closed)(void *) = c->closed;
	void *arg = c->closed_arg;

	if (!c->closing || !c->timer_closed || c->live > 0)
		return;
	free(c);
	if (closed)
		closed(arg);
}

static void xfer_free(struct xfer *x)
{
	struct mp_dnsclient *c = x->c;

	if (x->have_kept)
		mp_dns_response_clear(&x->kept);
	free(x->out);
	free(x->in);
	free(x);
	c->live--;
	client_maybe_free(c);
}

static void handle_closed(uv_handle_t *h)
{
	struct xfer *x = h->data;

	if (--x->handles == 0 && x->done)
		xfer_free(x);
}

static void close_handle(struct xfer *x, uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, handle_closed);
}

static void close_udp(struct xfer *x)
{
	if (x->udp_open) {
		x->udp_open = false;
		close_handle(x, (uv_handle_t *)&x->udp);
	}
}

static const char *proto_name(const struct xfer *x)
{
	return x->over_tcp ? "TCP" : "UDP";
}

/* Delivers the one outcome of x and starts closing its handles. */
static void finish(struct xfer *x, enum mp_dns_outcome o,
		   const struct mp_dns_response *resp, const char *detail)
{
	struct mp_dnsclient *c = x->c;
	uint64_t rtt_ms = (uv_hrtime() - x->start_ns) / 1000000u;

	if (x->done)
		return;
	x->done = true;
	if (x->prev)
		x->prev->next = x->next;
	else
		c->head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	x->prev = x->next = NULL;
	c->pending--;

	uv_timer_stop(&x->timer);
	close_handle(x, (uv_handle_t *)&x->timer);
	close_udp(x);
	if (x->tcp_open) {
		x->tcp_open = false;
		close_handle(x, (uv_handle_t *)&x->tcp);
	}
	/* The handles close on a later loop turn, so x stays valid here
	 * and the callback may use the client freely. */
	x->cb(x->arg, o, resp, detail, rtt_ms);
}

static void finish_neterr(struct xfer *x, int uverr)
{
	mp_log(LOG_DEBUG, "DNS %s to %s port %u failed: %s", proto_name(x),
	       x->c->server.text, x->c->port, uv_strerror(uverr));
	finish(x, MP_DNS_NETERR, NULL, uv_strerror(uverr));
}

static bool from_server(const struct mp_dnsclient *c, const struct sockaddr *sa)
{
	if (!sa || sa->sa_family != c->ss.ss_family)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		const struct sockaddr_in *b =
		    (const struct sockaddr_in *)&c->ss;
		return a->sin_port == b->sin_port &&
		       a->sin_addr.s_addr == b->sin_addr.s_addr;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
		const struct sockaddr_in6 *b =
		    (const struct sockaddr_in6 *)&c->ss;
		return a->sin6_port == b->sin6_port &&
		       memcmp(&a->sin6_addr, &b->sin6_addr,
			      sizeof(a->sin6_addr)) == 0;
	}
	return false;
}

static void start_tcp(struct xfer *x);

/* One complete message from the server, over either transport. */
static void handle_message(struct xfer *x, const uint8_t *wire, size_t len)
{
	struct mp_dnsclient *c = x->c;
	struct mp_dns_response r;
	enum mp_resp_verdict v;
	char why[128] = "";
	char detail[sizeof(x->kept_why) + 16];

	memset(&r, 0, sizeof(r));
	mp_addr_set_init(&r.answers);
	v = mp_response_check(x->req, wire, len, c->key, c->clock(c->clock_arg),
			      &r, why, sizeof(why));
	if (v == MP_RESP_IGNORE) {
		mp_log(LOG_DEBUG,
		       "DNS %s from %s port %u: ignored a %zu-byte message "
		       "that does not answer request %u: %s",
		       proto_name(x), c->server.text, c->port, len,
		       (unsigned)x->req->id, why);
		mp_dns_response_clear(&r);
		return;
	}
	if (r.tc && !x->over_tcp) {
		/* Even an unverifiable TC=1 only moves us to TCP, where a
		 * spoofer off the path cannot follow. */
		mp_log(LOG_DEBUG,
		       "DNS answer from %s port %u truncated (TC=1), "
		       "retrying over TCP",
		       c->server.text, c->port);
		mp_dns_response_clear(&r);
		start_tcp(x);
		return;
	}
	if (v == MP_RESP_OK) {
		finish(x, MP_DNS_ANSWER, &r, x->over_tcp ? "tcp" : "udp");
		mp_dns_response_clear(&r);
		return;
	}
	mp_log(LOG_WARNING,
	       "DNS %s from %s port %u: possible spoofing or the server's "
	       "unsigned error: %s",
	       proto_name(x), c->server.text, c->port, why);
	if (x->over_tcp) {
		snprintf(detail, sizeof(detail), "%s (over TCP)", why);
		finish(x, MP_DNS_UNSIGNED, &r, detail);
		mp_dns_response_clear(&r);
		return;
	}
	if (x->have_kept)
		mp_dns_response_clear(&x->kept);
	x->kept = r; /* takes over r's storage */
	x->have_kept = true;
	snprintf(x->kept_why, sizeof(x->kept_why), "%s", why);
}

static void timer_cb(uv_timer_t *t)
{
	struct xfer *x = t->data;
	char detail[sizeof(x->kept_why) + 64];

	if (x->err) {
		finish_neterr(x, x->err);
		return;
	}
	if (x->have_kept) {
		snprintf(detail, sizeof(detail), "%s (over %s)", x->kept_why,
			 proto_name(x));
		finish(x, MP_DNS_UNSIGNED, &x->kept, detail);
		return;
	}
	snprintf(detail, sizeof(detail),
		 "no answer within %" PRIu64 " ms over %s", x->timeout_ms,
		 proto_name(x));
	mp_log(LOG_DEBUG, "DNS request %u to %s port %u: %s",
	       (unsigned)x->req->id, x->c->server.text, x->c->port, detail);
	finish(x, MP_DNS_TIMEOUT, NULL, detail);
}

/* Reports err from the timer on the next loop turn: send() never calls
 * back from within itself, and the TCP switch happens inside callbacks. */
static void defer_error(struct xfer *x, int uverr)
{
	x->err = uverr;
	uv_timer_start(&x->timer, timer_cb, 0, 0);
}

static void recv_buf(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct xfer *x = h->data;

	(void)suggested;
	if (!x->in)
		x->in = malloc(MAX_MSG + 2);
	if (!x->in || x->inlen >= MAX_MSG + 2) {
		*buf = uv_buf_init(NULL, 0); /* reported as UV_ENOBUFS */
		return;
	}
	*buf = uv_buf_init((char *)x->in + x->inlen,
			   (unsigned)(MAX_MSG + 2 - x->inlen));
}

static void udp_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf,
		     const struct sockaddr *sa, unsigned flags)
{
	struct xfer *x = u->data;

	if (x->done || !x->udp_open || x->over_tcp)
		return;
	if (nread < 0) {
		/* ICMP port unreachable on the connected socket. */
		finish_neterr(x, (int)nread);
		return;
	}
	if (nread == 0 && !sa)
		return; /* nothing more to read for now */
	if (!from_server(x->c, sa)) {
		mp_log(LOG_DEBUG,
		       "DNS datagram from another address or port than %s "
		       "port %u ignored (possible spoofing)",
		       x->c->server.text, x->c->port);
		return;
	}
	if (flags & UV_UDP_PARTIAL) {
		mp_log(LOG_DEBUG, "oversized DNS datagram from %s ignored",
		       x->c->server.text);
		return;
	}
	if (nread == 0) {
		mp_log(LOG_DEBUG, "empty DNS datagram from %s ignored",
		       x->c->server.text);
		return;
	}
	handle_message(x, (const uint8_t *)buf->base, (size_t)nread);
}

static void udp_sent(uv_udp_send_t *s, int status)
{
	struct xfer *x = s->handle->data;

	if (status < 0 && status != UV_ECANCELED && !x->done && !x->over_tcp)
		finish_neterr(x, status);
}

static int start_udp(struct xfer *x)
{
	uv_buf_t b = uv_buf_init((char *)x->out + 2, (unsigned)(x->outlen - 2));
	int rc;

	rc = uv_udp_init(x->c->loop, &x->udp);
	if (rc < 0)
		return rc;
	x->udp.data = x;
	x->udp_open = true;
	x->handles++;
	rc = uv_udp_connect(&x->udp, (const struct sockaddr *)&x->c->ss);
	if (rc < 0)
		return rc;
	rc = uv_udp_recv_start(&x->udp, recv_buf, udp_recv);
	if (rc < 0)
		return rc;
	return uv_udp_send(&x->usend, &x->udp, &b, 1, NULL, udp_sent);
}

static void tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct xfer *x = s->data;
	size_t need;

	(void)buf;
	if (x->done)
		return;
	if (nread == UV_EOF) {
		mp_log(LOG_DEBUG, "%s port %u closed the TCP connection",
		       x->c->server.text, x->c->port);
		finish(x, MP_DNS_NETERR, NULL,
		       "connection closed by the server without an answer");
		return;
	}
	if (nread < 0) {
		finish_neterr(x, (int)nread);
		return;
	}
	x->inlen += (size_t)nread;
	/* Messages may arrive in pieces or several in one read. */
	while (x->inlen >= 2) {
		need = 2 + ((size_t)x->in[0] << 8 | x->in[1]);
		if (x->inlen < need)
			break;
		if (need > 2)
			handle_message(x, x->in + 2, need - 2);
		if (x->done)
			return;
		memmove(x->in, x->in + need, x->inlen - need);
		x->inlen -= need;
	}
}

static void tcp_written(uv_write_t *w, int status)
{
	struct xfer *x = w->handle->data;

	if (status < 0 && status != UV_ECANCELED && !x->done)
		finish_neterr(x, status);
}

static void tcp_connected(uv_connect_t *req, int status)
{
	struct xfer *x = req->handle->data;
	uv_buf_t b = uv_buf_init((char *)x->out, (unsigned)x->outlen);
	int rc;

	if (x->done || status == UV_ECANCELED)
		return;
	if (status < 0) {
		finish_neterr(x, status);
		return;
	}
	rc = uv_write(&x->wr, (uv_stream_t *)&x->tcp, &b, 1, tcp_written);
	if (rc == 0)
		rc = uv_read_start((uv_stream_t *)&x->tcp, recv_buf, tcp_read);
	if (rc < 0)
		finish_neterr(x, rc);
}

/* Moves x to TCP with a fresh timeout (also the first transport when the
 * request is large or TCP is forced). */
static void start_tcp(struct xfer *x)
{
	int rc;

	close_udp(x);
	x->over_tcp = true;
	x->inlen = 0;
	uv_timer_start(&x->timer, timer_cb, x->timeout_ms, 0);
	rc = uv_tcp_init(x->c->loop, &x->tcp);
	if (rc < 0)
		goto fail;
	x->tcp.data = x;
	x->tcp_open = true;
	x->handles++;
	rc = uv_tcp_connect(&x->conn, &x->tcp,
			    (const struct sockaddr *)&x->c->ss, tcp_connected);
	if (rc < 0)
		goto fail;
	return;
fail:
	defer_error(x, rc);
}

int mp_dnsclient_new(uv_loop_t *loop, const struct mp_addr *server,
		     uint16_t port, const struct mp_tsig_key *key,
		     struct mp_dnsclient **out)
{
	struct mp_dnsclient *c;

	*out = NULL;
	if (!loop || !server || !key || port == 0)
		return MP_EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return MP_ENOMEM;
	c->loop = loop;
	c->server = *server;
	c->port = port;
	c->key = key;
	c->clock = wall_clock;
	mp_addr_to_sockaddr(server, port, &c->ss);
	uv_timer_init(loop, &c->close_timer);
	c->close_timer.data = c;
	*out = c;
	return MP_OK;
}

void mp_dnsclient_set_clock(struct mp_dnsclient *c, mp_dns_clock_fn fn,
			    void *arg)
{
	c->clock = fn ? fn : wall_clock;
	c->clock_arg = fn ? arg : NULL;
}

int mp_dnsclient_send(struct mp_dnsclient *c, struct mp_dns_request *req,
		      bool force_tcp, uint64_t timeout_ms, mp_dns_done_fn cb,
		      void *arg)
{
	struct xfer *x;
	int rc;

	if (c->closing || !req || !req->wire || req->len < 12 ||
	    req->len > MAX_MSG || timeout_ms == 0 || !cb)
		return MP_EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return MP_ENOMEM;
	/* Our own copy of the bytes: a pending write must never point into
	 * memory the caller frees after the callback. */
	x->outlen = req->len + 2;
	x->out = malloc(x->outlen);
	if (!x->out) {
		free(x);
		return MP_ENOMEM;
	}
	x->out[0] = (uint8_t)(req->len >> 8);
	x->out[1] = (uint8_t)req->len;
	memcpy(x->out + 2, req->wire, req->len);
	x->c = c;
	x->req = req;
	x->cb = cb;
	x->arg = arg;
	x->timeout_ms = timeout_ms;
	/* The loop's cached time may be old (a caller that worked since the
	 * last turn): the timeout counts from now. */
	uv_update_time(c->loop);
	x->start_ns = uv_hrtime();

	uv_timer_init(c->loop, &x->timer);
	x->timer.data = x;
	x->handles++;
	x->next = c->head;
	if (c->head)
		c->head->prev = x;
	c->head = x;
	c->pending++;
	c->live++;

	if (force_tcp || req->len > UDP_MAX_REQUEST) {
		start_tcp(x);
		return MP_OK;
	}
	uv_timer_start(&x->timer, timer_cb, timeout_ms, 0);
	rc = start_udp(x);
	if (rc < 0)
		defer_error(x, rc);
	return MP_OK;
}

unsigned mp_dnsclient_pending(const struct mp_dnsclient *c)
{
	return c->pending;
}

void mp_dnsclient_cancel_all(struct mp_dnsclient *c)
{
	struct xfer *x;

	/* Only the requests pending now: a callback that sends again must
	 * not make this loop forever. */
	for (x = c->head; x; x = x->next)
		x->cancel = true;
	for (;;) {
		for (x = c->head; x && !x->cancel; x = x->next)
			;
		if (!x)
			break;
		finish(x, MP_DNS_CANCELLED, NULL, "cancelled");
	}
}

static void close_timer_closed(uv_handle_t *h)
{
	struct mp_dnsclient *c = h->data;

	c->timer_closed = true;
	client_maybe_free(c);
}

void mp_dnsclient_close(struct mp_dnsclient *c, void (*closed)(void *),
			void *arg)
{
	if (!c || c->closing)
		return;
	c->closing = true; /* refuses sends from the cancel callbacks */
	mp_dnsclient_cancel_all(c);
	c->closed = closed;
	c->closed_arg = arg;
	uv_close((uv_handle_t *)&c->close_timer, close_timer_closed);
}
