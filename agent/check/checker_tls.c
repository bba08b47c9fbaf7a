/*
 * TLS for the built-in client's https:// checks, on OpenSSL.
 *
 * What libcurl did per check, and what it cost (docs/performance.md,
 * "HTTPS checks"): a new SSL_CTX for every connection, the CA bundle parsed
 * again for every check when the library has a built-in CA path, and never
 * a resumed session. Here:
 * - One verified SSL_CTX per distinct configuration (CA file or the
 *   system store, verification on or off), built on first use and kept
 *   until mp_checker_tls_flush() (a reload); its X509_STORE holds the CA
 *   certificates parsed once.
 * - SNI and the certificate's name are the URL's host; the name is checked
 *   after the chain, as libcurl does, so the failure words are the same on
 *   both paths ("certificate has expired", "no alternative certificate
 *   subject name matches target host name 'x'").
 * - A session is resumed per address: it is kept in the job's memo with
 *   the address, port and host it came from and only ever offered to that
 *   same address. A full handshake with complete verification runs at
 *   least every tls_full_interval and after any failed check, so an
 *   expired or replaced certificate is caught within that bound.
 * - At each full handshake the leaf's notAfter, subject and issuer are
 *   recorded (the certificate watch).
 */
#include "autoconfig.h"

#include "checker_int.h"
#include "error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* One SSL_CTX per distinct configuration. */
struct mp_tls_ctx {
	SSL_CTX *ctx;
	char *ca_file; /* NULL: the system store */
	bool verify;
	unsigned id; /* never reused: a memo's session names it */
	struct mp_tls_ctx *next;
};

/* What a job keeps between its checks of one address. */
struct mp_tls_memo {
	SSL_SESSION *sess; /* NULL: the next handshake is a full one */
	unsigned ctx_id;
	struct mp_addr addr; /* where sess came from */
	uint16_t port;
	char host[256];
	uint64_t full_ns; /* uv_hrtime() of the last full handshake */
	struct mp_tls_cert cert;
	struct mp_cert_watch watch;
};

static unsigned ctx_ids;

static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct mp_xfer *x = SSL_get_app_data(ssl);

	if (!x)
		return 0;
	/* TLS 1.3 may send several tickets: the last one is kept */
	if (x->new_sess)
		SSL_SESSION_free(x->new_sess);
	x->new_sess = sess;
	return 1; /* the reference is ours */
}

/* Builds a context; NULL with *detail set when the CA file fails. */
static SSL_CTX *ctx_build(const char *ca_file, bool verify, char *detail,
			  size_t len)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		snprintf(detail, len, "out of memory");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF |
				     SSL_OP_NO_COMPRESSION |
				     SSL_OP_NO_RENEGOTIATION);
	/* a check waits for its answer most of its life: the 16 KiB read
	 * and write buffers go back while they are empty, so a thousand
	 * checks in flight do not hold 32 MiB between them */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
						SSL_SESS_CACHE_NO_INTERNAL);
	SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
	if (!verify) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return ctx;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ca_file) {
		if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
			/* libcurl's words for the same failure */
			snprintf(detail, len,
				 "error setting certificate file: %s", ca_file);
			ERR_clear_error();
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		ERR_clear_error();
	}
	return ctx;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The context for cfg, built on first use. */
static struct mp_tls_ctx *ctx_get(struct mp_checker *c,
				  const struct mp_check_cfg *cfg, char *detail,
				  size_t len)
{
	const char *ca = cfg->tls_verify ? cfg->ca_file : NULL;
	struct mp_tls_ctx *t;

	for (t = c->tls_ctxs; t; t = t->next)
		if (t->verify == cfg->tls_verify && str_eq(t->ca_file, ca))
			return t;
	t = calloc(1, sizeof(*t));
	if (!t || (ca && !(t->ca_file = strdup(ca)))) {
		free(t);
		snprintf(detail, len, "out of memory");
		return NULL;
	}
	t->ctx = ctx_build(ca, cfg->tls_verify, detail, len);
	if (!t->ctx) {
		/* not kept: a CA file put right is used at the next check */
		free(t->ca_file);
		free(t);
		return NULL;
	}
	t->verify = cfg->tls_verify;
	t->id = ++ctx_ids;
	t->next = c->tls_ctxs;
	c->tls_ctxs = t;
	return t;
}

void mp_checker_tls_flush(struct mp_checker *c)
{
	while (c->tls_ctxs) {
		struct mp_tls_ctx *t = c->tls_ctxs;

		c->tls_ctxs = t->next;
		SSL_CTX_free(t->ctx); /* running checks hold a reference */
		free(t->ca_file);
		free(t);
	}
}

static void memo_drop_session(struct mp_tls_memo *m)
{
	if (m && m->sess) {
		SSL_SESSION_free(m->sess);
		m->sess = NULL;
	}
}

void mp_checker_tls_forget(struct mp_check_job *job)
{
	memo_drop_session(job->tls);
}

void mp_checker_tls_job_free(struct mp_check_job *job)
{
	memo_drop_session(job->tls);
	free(job->tls);
	job->tls = NULL;
}

const struct mp_tls_cert *mp_check_job_cert(const struct mp_check_job *job)
{
	return job->tls && job->tls->cert.not_after != 0 ? &job->tls->cert
							 : NULL;
}

static bool is_ip_literal(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 ||
	       inet_pton(AF_INET6, host, buf) == 1;
}

/* May the memo's session be offered to this check? */
static bool may_resume(const struct mp_tls_memo *m,
		       const struct mp_check_cfg *cfg,
		       const struct mp_addr *addr, const struct mp_tls_ctx *t)
{
	uint64_t full_ns = cfg->tls_full_interval_ms * 1000000;

	return m->sess && cfg->tls_resume && m->ctx_id == t->id &&
	       mp_addr_equal(&m->addr, addr) && m->port == cfg->port &&
	       strcmp(m->host, cfg->host) == 0 &&
	       uv_hrtime() - m->full_ns < full_ns &&
	       SSL_SESSION_is_resumable(m->sess);
}

int mp_checker_tls_start(struct mp_checker *c, struct mp_xfer *x,
			 const struct mp_check_cfg *cfg,
			 const struct mp_addr *addr)
{
	struct mp_check_job *job = x->job;
	struct mp_tls_memo *m = job->tls;
	struct mp_tls_ctx *t;

	x->ssl_fail[0] = '\0';
	t = ctx_get(c, cfg, x->ssl_fail, sizeof(x->ssl_fail));
	if (!t)
		return MP_EIO;
	if (!m) {
		m = job->tls = calloc(1, sizeof(*m));
		if (!m)
			return MP_ENOMEM;
	}
	x->ssl = SSL_new(t->ctx);
	if (!x->ssl)
		return MP_ENOMEM;
	SSL_set_app_data(x->ssl, x);
	x->new_sess = NULL;
	x->tls_verify = cfg->tls_verify;
	x->tls_ctx_id = t->id;
	if (!is_ip_literal(cfg->host))
		SSL_set_tlsext_host_name(x->ssl, cfg->host);
	if (may_resume(m, cfg, addr, t)) {
		SSL_set_session(x->ssl, m->sess);
	} else {
		memo_drop_session(m);
		/* who the next session is for */
		m->addr = *addr;
		m->port = cfg->port;
		snprintf(m->host, sizeof(m->host), "%s", cfg->host);
		m->ctx_id = t->id;
	}
	return MP_OK;
}

/* The fd is connected: the handshake is driven on its edges. */
int mp_checker_tls_attach(struct mp_xfer *x)
{
	return SSL_set_fd(x->ssl, x->fd) == 1 ? MP_OK : MP_EIO;
}

void mp_checker_tls_end(struct mp_xfer *x)
{
	if (x->ssl) {
		/* no close_notify on the wire (the socket closes), but the
		 * session stays resumable */
		SSL_set_shutdown(x->ssl,
				 SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
		SSL_free(x->ssl);
		x->ssl = NULL;
	}
	if (x->new_sess) {
		SSL_SESSION_free(x->new_sess);
		x->new_sess = NULL;
	}
}

/* An OpenSSL failure in words; errno-style failures in libcurl's. */
static void tls_error(struct mp_xfer *x, int ret, const char *what)
{
	int e = SSL_get_error(x->ssl, ret);
	unsigned long code = ERR_get_error();

	if (e == SSL_ERROR_SYSCALL && code == 0) {
		int err = errno;

		snprintf(x->ssl_fail, sizeof(x->ssl_fail), "OpenSSL %s: %s",
			 what,
			 err ? strerror(err) : "Connection closed abruptly");
	} else if (code != 0) {
		ERR_error_string_n(code, x->ssl_fail, sizeof(x->ssl_fail));
	} else {
		snprintf(x->ssl_fail, sizeof(x->ssl_fail), "OpenSSL %s failed",
			 what);
	}
	ERR_clear_error();
}

/* libcurl's check of the name, after the chain (vtls/openssl.c). */
static bool name_ok(struct mp_xfer *x, X509 *cert, const char *host)
{
	int rc;

	if (is_ip_literal(host))
		rc = X509_check_ip_asc(cert, host, 0);
	else
		rc = X509_check_host(
		    cert, host, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL);
	if (rc == 1)
		return true;
	if (X509_get_ext_by_NID(cert, NID_subject_alt_name, -1) >= 0) {
		snprintf(x->ssl_fail, sizeof(x->ssl_fail),
			 "no alternative certificate subject name matches "
			 "target host name '%s'",
			 host);
	} else {
		char cn[256] = "";

		X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
					  NID_commonName, cn, sizeof(cn));
		snprintf(x->ssl_fail, sizeof(x->ssl_fail),
			 "certificate subject name '%s' does not match target "
			 "host name '%s'",
			 cn, host);
	}
	return false;
}

static int64_t asn1_unix(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/* The certificate watch: what the full handshake showed. */
static void record_cert(struct mp_xfer *x, struct mp_tls_memo *m, X509 *cert)
{
	struct timespec ts;

	m->cert.not_after = asn1_unix(X509_get0_notAfter(cert));
	clock_gettime(CLOCK_REALTIME, &ts);
	x->cert_event = mp_cert_watch_update(&m->watch, m->cert.not_after,
					     (int64_t)ts.tv_sec,
					     x->job->cfg.tls_expiry_warn_ms);
	X509_NAME_oneline(X509_get_subject_name(cert), m->cert.subject,
			  sizeof(m->cert.subject));
	X509_NAME_oneline(X509_get_issuer_name(cert), m->cert.issuer,
			  sizeof(m->cert.issuer));
}

int mp_checker_tls_handshake(struct mp_xfer *x, const char *host)
{
	struct mp_tls_memo *m = x->job->tls;
	int ret = SSL_connect(x->ssl);
	X509 *cert;

	if (ret != 1) {
		int e = SSL_get_error(x->ssl, ret);
		long v;

		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return MP_CHECKER_AGAIN;
		v = SSL_get_verify_result(x->ssl);
		if (x->tls_verify && v != X509_V_OK) {
			snprintf(x->ssl_fail, sizeof(x->ssl_fail), "%s",
				 X509_verify_cert_error_string(v));
			ERR_clear_error();
		} else {
			tls_error(x, ret, "SSL_connect");
		}
		return MP_EIO;
	}
	x->tls_resumed = SSL_session_reused(x->ssl) == 1;
	cert = SSL_get0_peer_certificate(x->ssl);
	if (!cert) {
		snprintf(x->ssl_fail, sizeof(x->ssl_fail),
			 "server did not send a certificate");
		return MP_EIO;
	}
	if (x->tls_verify && !name_ok(x, cert, host))
		return MP_EIO;
	if (!x->tls_resumed) {
		record_cert(x, m, cert);
		m->full_ns = uv_hrtime();
	}
	return MP_OK;
}

/* After a complete response: the newest session for the next check. */
void mp_checker_tls_keep_session(struct mp_xfer *x)
{
	struct mp_tls_memo *m = x->job->tls;

	if (!x->new_sess)
		return;
	memo_drop_session(m);
	m->sess = x->new_sess;
	x->new_sess = NULL;
}

/* What an SSL_read or SSL_write that moved nothing means. */
static ssize_t io_result(struct mp_xfer *x, int n, const char *what)
{
	switch (SSL_get_error(x->ssl, n)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return MP_CHECKER_AGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno != 0 && ERR_peek_error() == 0) {
			x->fail_errno = errno;
			return MP_EIO;
		}
		/* fall through */
	default:
		tls_error(x, n, what);
		return MP_EIO;
	}
}

ssize_t mp_checker_tls_recv(struct mp_xfer *x, void *buf, size_t len)
{
	int n = SSL_read(x->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);

	return n > 0 ? n : io_result(x, n, "SSL_read");
}

ssize_t mp_checker_tls_send(struct mp_xfer *x, const void *buf, size_t len)
{
	int n = SSL_write(x->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);

	/* 0 would read as the end of the stream: SSL_write never ends it */
	if (n > 0)
		return n;
	n = (int)io_result(x, n, "SSL_write");
	return n == 0 ? MP_EIO : n;
}
