/* Health checks over curl multi on libuv (STYLE.md "curl multi on libuv"). */
#include "autoconfig.h"

#include "checker.h"
#include "error.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* One uv_poll_t per socket curl tells us about; freed in its close cb. */
struct mp_sock {
	uv_poll_t poll;
	curl_socket_t fd;
	struct mp_checker *c;
	struct mp_check_job *job; /* the transfer using it (busy while open) */
	int what;                 /* CURL_POLL_* curl last asked for */
	struct mp_sock *prev, *next;
};

struct mp_checker {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	struct mp_sock *socks;      /* open poll handles */
	struct mp_check_job *jobs;  /* jobs holding an easy handle of ours */
	size_t n_running;
	unsigned pending_closes;    /* uv_close callbacks still to come */
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

static void on_sock_closed(uv_handle_t *h)
{
	struct mp_sock *s = h->data;
	struct mp_checker *c = s->c;

	free(s);
	c->pending_closes--;
	maybe_finish_close(c);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct mp_checker *c = h->data;

	c->pending_closes--;
	maybe_finish_close(c);
}

static void sock_close(struct mp_checker *c, struct mp_sock *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		c->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
	uv_poll_stop(&s->poll);
	c->pending_closes++;
	uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

/* ---------------------------------------------------------------------- */
/* Job bookkeeping */

/* A job joins the checker's list when it first gets an easy handle. */
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

/* Releases what one check holds beyond the reusable easy handle/buffer. */
static void job_release(struct mp_check_job *job)
{
	curl_slist_free_all(job->connect_to);
	job->connect_to = NULL;
	free(job->expect_body);
	job->expect_body = NULL;
	job->cfg.expect_body = NULL;
}

void mp_check_job_init(struct mp_check_job *job)
{
	memset(job, 0, sizeof(*job));
}

void mp_check_job_cleanup(struct mp_check_job *job)
{
	mp_checker_cancel(job);
	job_release(job);
	if (job->checker)
		job_unregister(job);
	if (job->easy)
		curl_easy_cleanup(job->easy);
	job->easy = NULL;
	free(job->body);
	job->body = NULL;
	job->body_len = job->body_cap = 0;
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

static enum mp_xfer_error map_curl(struct mp_check_job *job, CURLcode rc,
				   const char **detail)
{
	long os_errno = 0;
	const char *msg = job->errbuf[0] ? job->errbuf : curl_easy_strerror(rc);

	*detail = msg;
	switch (rc) {
	case CURLE_OK:
		return MP_XFER_OK;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(job->easy, CURLINFO_OS_ERRNO, &os_errno);
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
		if (job->sock_errno != 0)
			*detail = strerror(job->sock_errno);
		return MP_XFER_CLOSED;
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return MP_XFER_CLOSED;
	case CURLE_FILESIZE_EXCEEDED:
		return MP_XFER_TOO_BIG;
	case CURLE_WRITE_ERROR:
		if (job->too_big)
			return MP_XFER_TOO_BIG;
		return MP_XFER_OTHER;
	default:
		return MP_XFER_OTHER;
	}
}

static void job_finish(struct mp_checker *c, struct mp_check_job *job,
		       CURLcode rc)
{
	struct mp_check_outcome o;
	struct mp_check_result r;
	enum mp_check_verdict v;
	curl_off_t total_us = 0, filetime = -1;
	long status = 0;
	mp_check_done_fn cb = job->cb;
	void *arg = job->arg;

	memset(&o, 0, sizeof(o));
	o.xfer = map_curl(job, rc, &o.xfer_detail);
	if (o.xfer == MP_XFER_OK && job->cfg.type == MP_CHECK_HTTP) {
		curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
		if (curl_easy_getinfo(job->easy, CURLINFO_FILETIME_T,
				      &filetime) != CURLE_OK)
			filetime = -1;
	}
	curl_easy_getinfo(job->easy, CURLINFO_TOTAL_TIME_T, &total_us);
	o.http_status = status;
	o.body = job->body;
	o.body_len = job->body_len;
	o.last_modified = filetime;
	o.total_ms = total_us > 0 ? (uint64_t)total_us / 1000 : 0;
	memset(&r, 0, sizeof(r));
	r.at_ms = wall_ms();
	o.now_s = (int64_t)(r.at_ms / 1000);
	v = mp_check_evaluate(&job->cfg, &o, r.detail, sizeof(r.detail));
	r.ok = v == MP_VERDICT_OK;
	r.latency_ms = o.total_ms > UINT32_MAX ? UINT32_MAX
					       : (uint32_t)o.total_ms;

	curl_multi_remove_handle(c->multi, job->easy);
	job->busy = false;
	c->n_running--;
	job_release(job);
	/* the job is idle: cb may restart or free it */
	cb(arg, &r, v);
}

/* Drains curl's completion queue after every curl_multi_socket_action. */
static void check_done(struct mp_checker *c)
{
	CURLMsg *msg;
	int pending;

	while (!c->closing &&
	       (msg = curl_multi_info_read(c->multi, &pending))) {
		struct mp_check_job *job = NULL;
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&job);
		if (!job)
			continue;
		job_finish(c, job, rc);
	}
}

/* ---------------------------------------------------------------------- */
/* curl <-> libuv glue */

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct mp_sock *s = h->data;
	struct mp_checker *c = s->c;
	int flags = 0, running;

	if (status < 0) {
		flags = CURL_CSELECT_ERR;
		/* libuv says only "error" and curl "select/poll returned
		 * error"; keep the socket's own reason for the report. Not
		 * while connecting (curl waits for POLL_OUT then): curl reads
		 * SO_ERROR itself to tell "refused", and reading clears it. */
		if (s->job && s->job->busy && s->job->sock_errno == 0 &&
		    s->what == CURL_POLL_IN) {
			int err = 0;
			socklen_t len = sizeof(err);

			if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err,
				       &len) == 0)
				s->job->sock_errno = err;
		}
	} else {
		if (events & UV_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
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
	int events = 0;

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
		if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
			free(s);
			return -1;
		}
		s->fd = fd;
		s->c = c;
		s->poll.data = s;
		s->next = c->socks;
		if (c->socks)
			c->socks->prev = s;
		c->socks = s;
		curl_multi_assign(c->multi, fd, s);
	}
	s->job = NULL;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&s->job);
	s->what = what;
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	uv_poll_start(&s->poll, events, on_poll);
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct mp_checker *c = userp;

	if (timeout_ms < 0) {
		uv_timer_stop(&c->timer);
		return 0;
	}
	/* never act from inside curl: 0 becomes "as soon as possible" */
	if (timeout_ms == 0)
		timeout_ms = 1;
	uv_timer_start(&c->timer, on_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct mp_check_job *job = userp;
	size_t n = size * nmemb;
	size_t need;

	if (n > job->cfg.max_body - job->body_len) {
		job->too_big = true;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	need = job->body_len + n;
	if (need > job->body_cap) {
		size_t cap = job->body_cap ? job->body_cap : 4096;
		unsigned char *p;

		while (cap < need)
			cap *= 2;
		if (cap > job->cfg.max_body)
			cap = job->cfg.max_body;
		p = realloc(job->body, cap);
		if (!p)
			return 0;
		job->body = p;
		job->body_cap = cap;
	}
	memcpy(job->body + job->body_len, data, n);
	job->body_len += n;
	return n;
}

/* ---------------------------------------------------------------------- */
/* Public API */

int mp_checker_new(uv_loop_t *loop, struct mp_checker **out)
{
	struct mp_checker *c;

	*out = NULL;
	if (global_refs == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return MP_EIO;
	global_refs++;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->loop = loop;
	c->multi = curl_multi_init();
	if (!c->multi)
		goto fail;
	if (uv_timer_init(loop, &c->timer) != 0)
		goto fail;
	c->timer.data = c;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	*out = c;
	return MP_OK;
fail:
	/* the timer is the last step: nothing to uv_close here */
	if (c && c->multi)
		curl_multi_cleanup(c->multi);
	free(c);
	if (--global_refs == 0)
		curl_global_cleanup();
	return MP_ENOMEM;
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

static int setup_easy(struct mp_check_job *job, const struct mp_check_cfg *cfg,
		      const struct mp_addr *addr)
{
	char a[MP_ADDR_STRLEN + 2], h[300], line[700], url[MP_ADDR_STRLEN + 32];
	CURL *e = job->easy;
	long tmo = cfg->timeout_ms > LONG_MAX ? LONG_MAX
					      : (long)cfg->timeout_ms;
	CURLcode rc = CURLE_OK;

	a[0] = '\0';
	if (addr)
		bracketed(addr->text, a, sizeof(a));
	curl_easy_reset(e);
	job->errbuf[0] = '\0';
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, job->errbuf);
	rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, job);
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
		snprintf(line, sizeof(line), "%s:%u:%s:%u", h,
			 (unsigned)cfg->port, a, (unsigned)cfg->port);
		job->connect_to = curl_slist_append(NULL, line);
		if (!job->connect_to)
			return MP_ENOMEM;
		rc |= curl_easy_setopt(e, CURLOPT_CONNECT_TO, job->connect_to);
	}
	rc |= curl_easy_setopt(e, CURLOPT_USERAGENT,
			       "mirrorpool/" PACKAGE_VERSION);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, job);
	rc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
			       (curl_off_t)cfg->max_body);
	rc |= curl_easy_setopt(e, CURLOPT_FILETIME, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER,
			       cfg->tls_verify ? 1L : 0L);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST,
			       cfg->tls_verify ? 2L : 0L);
	if (cfg->ca_file)
		rc |= curl_easy_setopt(e, CURLOPT_CAINFO, cfg->ca_file);
	return rc == CURLE_OK ? MP_OK : MP_EIO;
}

int mp_checker_start(struct mp_checker *c, struct mp_check_job *job,
		     const struct mp_check_cfg *cfg, const struct mp_addr *addr,
		     mp_check_done_fn cb, void *arg)
{
	int rc;

	if (job->busy)
		return MP_EBUSY;
	/* a zero timeout would mean "none" to curl: a check that never ends */
	if (c->closing || !cb || cfg->port == 0 || cfg->timeout_ms == 0 ||
	    (!addr && cfg->type == MP_CHECK_TCP))
		return MP_EINVAL;
	if (job->checker && job->checker != c)
		return MP_EINVAL;
	if (cfg->type == MP_CHECK_HTTP && (!cfg->url || !cfg->host))
		return MP_EINVAL;
	if (!job->easy) {
		job->easy = curl_easy_init();
		if (!job->easy)
			return MP_ENOMEM;
		job_register(c, job);
	}
	job->cfg = *cfg;
	/* only the evaluation's strings are kept; curl copies the rest */
	job->cfg.url = NULL;
	job->cfg.host = NULL;
	job->cfg.ca_file = NULL;
	job->cfg.expect_body = NULL;
	if (cfg->expect_body) {
		job->expect_body = strdup(cfg->expect_body);
		if (!job->expect_body)
			return MP_ENOMEM;
		job->cfg.expect_body = job->expect_body;
	}
	job->body_len = 0;
	job->too_big = false;
	job->sock_errno = 0;
	job->cb = cb;
	job->arg = arg;
	rc = setup_easy(job, cfg, addr);
	if (rc != MP_OK)
		goto fail;
	if (curl_multi_add_handle(c->multi, job->easy) != CURLM_OK) {
		rc = MP_EIO;
		goto fail;
	}
	job->busy = true;
	c->n_running++;
	return MP_OK;
fail:
	job_release(job);
	return rc;
}

void mp_checker_cancel(struct mp_check_job *job)
{
	struct mp_checker *c = job->checker;

	if (!job->busy || !c)
		return;
	curl_multi_remove_handle(c->multi, job->easy);
	job->busy = false;
	c->n_running--;
	job_release(job);
}

void mp_checker_close(struct mp_checker *c, void (*closed)(void *arg),
		      void *arg)
{
	if (c->closing)
		return;
	while (c->jobs) {
		struct mp_check_job *job = c->jobs;

		mp_checker_cancel(job);
		job_unregister(job);
		curl_easy_cleanup(job->easy);
		job->easy = NULL;
	}
	c->closing = true;
	c->closed = closed;
	c->closed_arg = arg;
	/* may still report sockets it closes; then it is gone */
	curl_multi_cleanup(c->multi);
	c->multi = NULL;
	while (c->socks)
		sock_close(c, c->socks);
	uv_timer_stop(&c->timer);
	c->pending_closes++;
	uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}
