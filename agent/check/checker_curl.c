/*
 * libcurl's multi socket interface on the checker's epoll set: https://
 * checks, checks without an address (guard sentinels resolve the URL's
 * host), and everything when the built-in client is turned off.
 *
 * This departs from STYLE.md "curl multi on libuv" (one uv_poll_t per
 * socket): every check opens a new socket, and a uv_poll_t per socket
 * costs seven epoll_ctl calls and an ioctl per check (libuv probes each
 * new fd with an add and a delete, and stops it twice on close). curl's
 * sockets join the checker's own epoll set instead, polled on the loop by
 * one uv_poll_t: add, modify and delete, three calls per check.
 * Everything still runs on the loop's thread, from its callbacks; curl's
 * timer is the usual one-shot uv_timer_t, and curl_multi_info_read is
 * drained after every curl_multi_socket_action. Address checks bypass
 * curl's DNS cache (see setup_easy).
 */
#include "autoconfig.h"

#include "checker_int.h"
#include "error.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

void mp_checker_curl_free_dead(struct mp_checker *c)
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
	mp_checker_report(job, &o);
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

/* One socket's readiness, mapped as libuv's uv_poll_t would: an error
 * is CURL_CSELECT_ERR alone, a hang-up is the events curl waits for. */
void mp_checker_curl_event(struct mp_checker *c, struct mp_sock *s, uint32_t ev)
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

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	size_t n = size * nmemb;

	/* 0 aborts the transfer: CURLE_WRITE_ERROR */
	return mp_xfer_body_append(userp, (const unsigned char *)data, n) ? n
									  : 0;
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
	if (addr && mp_check_source(cfg, addr->family)) {
		/* check.source_address: "host!" takes an address, never an
		 * interface name */
		snprintf(x->source_line, sizeof(x->source_line), "host!%s",
			 mp_check_source(cfg, addr->family)->text);
		rc |= curl_easy_setopt(e, CURLOPT_INTERFACE, x->source_line);
	}
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

int mp_checker_curl_init(struct mp_checker *c)
{
	c->multi = curl_multi_init();
	if (!c->multi)
		return MP_ENOMEM;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	return MP_OK;
}

int mp_checker_curl_start(struct mp_checker *c, struct mp_xfer *x,
			  const struct mp_check_cfg *cfg,
			  const struct mp_addr *addr)
{
	int rc;

	if (!x->easy && !(x->easy = curl_easy_init()))
		return MP_ENOMEM;
	rc = setup_easy(x, cfg, addr);
	if (rc != MP_OK)
		return rc;
	if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK)
		return MP_EIO;
	return MP_OK;
}

void mp_checker_curl_stop(struct mp_checker *c, struct mp_xfer *x)
{
	curl_multi_remove_handle(c->multi, x->easy);
}

void mp_checker_curl_close(struct mp_checker *c)
{
	/* may still report sockets it closes; then it is gone */
	curl_multi_cleanup(c->multi);
	c->multi = NULL;
	while (c->socks)
		sock_close(c, c->socks);
	if (!c->in_batch)
		mp_checker_curl_free_dead(c);
}
