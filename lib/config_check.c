/*
 * The check group of the configuration (SPEC §2): the top-level one, and a
 * pool's or a JSON pool's own, which overrides it key by key.
 */
#include "config.h"
#include "config_value.h"
#include "duration.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define MAX_BODY_LIMIT (64ULL * 1024 * 1024)

const char *const mp_cfg_check_keys[] = {"type",
					 "url",
					 "port",
					 "interval",
					 "fast_interval",
					 "timeout",
					 "rise",
					 "fall",
					 "expect_status",
					 "expect_body",
					 "expect_sha256",
					 "max_age",
					 "max_latency",
					 "max_body",
					 "tls_verify",
					 "ca_file",
					 "source_address",
					 "tls_resume",
					 "tls_full_interval",
					 "tls_expiry_warn",
					 "tls_expiry_fail",
					 NULL};

/* ------------------------------------------------------------------------
 * Checks: a pool's own check group overrides the global one key by key.
 */

struct check_src {
	const config_setting_t *pool;	/* the pool's check group, or NULL */
	const char *pool_ctx;		/* "pools[0].check" */
	const config_setting_t *global; /* the top-level check group */
};

/* The setting for name, from the pool's group first; *path names it. */
static const config_setting_t *ck_find(const struct check_src *c,
				       const char *name, char *path, size_t len)
{
	const config_setting_t *s = mp_cfg_member(c->pool, name);

	if (s) {
		mp_cfg_key_path(c->pool_ctx, name, path, len);
		return s;
	}
	mp_cfg_key_path("check", name, path, len);
	return mp_cfg_member(c->global, name);
}

static void check_defaults(struct mp_check_cfg *ck)
{
	memset(ck, 0, sizeof(*ck));
	ck->type = MP_CHECK_HTTP;
	ck->interval_ms = 10000;
	ck->fast_interval_ms = 2000;
	ck->timeout_ms = 3000;
	ck->rise = 2;
	ck->fall = 3;
	ck->expect_status[0] = 200;
	ck->n_expect_status = 1;
	ck->max_body = 65536;
	ck->tls_verify = true;
	ck->tls_resume = true;
	ck->tls_full_interval_ms = 10 * 60 * 1000;
	ck->tls_expiry_warn_ms = (uint64_t)14 * 24 * 3600 * 1000;
}

static void parse_expect_status(struct mp_cfg_loader *l,
				const config_setting_t *s, const char *path,
				struct mp_check_cfg *ck)
{
	int st[MP_MAX_EXPECT_STATUS];
	int n = 0, len;
	bool ok = true;
	char ep[200];

	if (config_setting_type(s) == CONFIG_TYPE_INT) {
		long long v;
		if (mp_cfg_int(l, s, path, 100, 599, &v)) {
			ck->expect_status[0] = (int)v;
			ck->n_expect_status = 1;
		}
		return;
	}
	if (!mp_cfg_is_sequence(s)) {
		mp_cfg_err(l, s,
			   "%s: expected a list of HTTP status codes, e.g. "
			   "[ 200, 204 ], got %s",
			   path, mp_cfg_type_name(s));
		return;
	}
	len = config_setting_length(s);
	if (len == 0 || len > MP_MAX_EXPECT_STATUS) {
		mp_cfg_err(l, s, "%s: %s (1 to %d status codes, e.g. [ 200 ])",
			   path, len ? "too many status codes" : "is empty",
			   MP_MAX_EXPECT_STATUS);
		return;
	}
	for (int i = 0; i < len; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(s, (unsigned)i);
		long long v;
		snprintf(ep, sizeof(ep), "%s[%d]", path, i);
		if (mp_cfg_int(l, e, ep, 100, 599, &v))
			st[n++] = (int)v;
		else
			ok = false;
	}
	if (ok) {
		memcpy(ck->expect_status, st, sizeof(int) * (size_t)n);
		ck->n_expect_status = (size_t)n;
	}
}

static bool parse_sha256(const char *v, unsigned char *out)
{
	size_t bin_len = 0;
	const char *end = NULL;

	if (strlen(v) != 64)
		return false;
	return sodium_hex2bin(out, 32, v, 64, NULL, &bin_len, &end) == 0 &&
	       bin_len == 32 && end == v + 64;
}

/*
 * Fills ck from the pool's and the global check groups. With complete (a
 * pool's effective check), an http check must have a url and a tcp check a
 * port; at the global level either may be left to the pools.
 */
static void parse_check(struct mp_cfg_loader *l, const struct check_src *c,
			const config_setting_t *pool_setting,
			const char *pool_ctx, bool complete,
			struct mp_check_cfg *ck)
{
	const config_setting_t *s, *s_iv, *s_fast, *s_to, *s_port;
	char path[160], q[96], host[256], a[32], b[32];
	const char *v;
	long long n;

	check_defaults(ck);
	s = ck_find(c, "type", path, sizeof(path));
	if (mp_cfg_str(l, s, path, "\"http\" or \"tcp\"", &v)) {
		if (strcmp(v, "http") == 0)
			ck->type = MP_CHECK_HTTP;
		else if (strcmp(v, "tcp") == 0)
			ck->type = MP_CHECK_TCP;
		else
			mp_cfg_err(
			    l, s,
			    "%s: %s is not a check type (use \"http\" or "
			    "\"tcp\")",
			    path, mp_cfg_quote(v, q, sizeof(q)));
	}

	s = ck_find(c, "url", path, sizeof(path));
	if (s) {
		bool https = false;
		uint16_t port = 0;
		if (mp_cfg_url(l, s, path, &v, &https, host, sizeof(host),
			       &port) &&
		    ck->type == MP_CHECK_HTTP) {
			ck->url = mp_cfg_strdup(l, v);
			ck->host = mp_cfg_strdup(l, host);
			ck->https = https;
			ck->port = port;
		}
	} else if (complete && ck->type == MP_CHECK_HTTP) {
		mp_cfg_err(
		    l, pool_setting,
		    "%s: the http check has no url (set check.url, or url "
		    "in the pool's check group, e.g. url = "
		    "\"https://dl.example.org/project/trace\";)",
		    pool_ctx);
	}

	s_port = ck_find(c, "port", path, sizeof(path));
	if (s_port && mp_cfg_int(l, s_port, path, 1, 65535, &n)) {
		if (ck->type == MP_CHECK_TCP)
			ck->port = (uint16_t)n;
		else if (complete)
			mp_cfg_err(
			    l, s_port,
			    "%s: only applies to tcp checks; an http check "
			    "connects to the port of its URL (e.g. "
			    "\"https://host:8443/path\")",
			    path);
	} else if (!s_port && complete && ck->type == MP_CHECK_TCP) {
		mp_cfg_err(l, pool_setting,
			   "%s: the tcp check has no port (set check.port, or "
			   "port in the pool's check group, e.g. port = 443;)",
			   pool_ctx);
	}

	s_iv = ck_find(c, "interval", path, sizeof(path));
	mp_cfg_duration(l, s_iv, path, MP_CFG_MIN_CHECK_MS, &ck->interval_ms);
	s_fast = ck_find(c, "fast_interval", path, sizeof(path));
	mp_cfg_duration(l, s_fast, path, MP_CFG_MIN_CHECK_MS,
			&ck->fast_interval_ms);
	s_to = ck_find(c, "timeout", path, sizeof(path));
	mp_cfg_duration(l, s_to, path, MP_CFG_MIN_CHECK_MS, &ck->timeout_ms);
	if (ck->timeout_ms >= ck->interval_ms && (s_to || s_iv)) {
		const config_setting_t *at = s_to ? s_to : s_iv;
		ck_find(c, s_to ? "timeout" : "interval", path, sizeof(path));
		mp_cfg_err(
		    l, at,
		    "%s: timeout (%s) must be shorter than interval (%s), "
		    "or checks of one address would overlap",
		    path, mp_duration_format(ck->timeout_ms, a, sizeof(a)),
		    mp_duration_format(ck->interval_ms, b, sizeof(b)));
	}
	if (ck->fast_interval_ms > ck->interval_ms && (s_fast || s_iv)) {
		const config_setting_t *at = s_fast ? s_fast : s_iv;
		ck_find(c, s_fast ? "fast_interval" : "interval", path,
			sizeof(path));
		mp_cfg_err(
		    l, at,
		    "%s: fast_interval (%s) must not be longer than "
		    "interval (%s)",
		    path,
		    mp_duration_format(ck->fast_interval_ms, a, sizeof(a)),
		    mp_duration_format(ck->interval_ms, b, sizeof(b)));
	}

	s = ck_find(c, "rise", path, sizeof(path));
	mp_cfg_uint(l, s, path, 1, 100, &ck->rise);
	s = ck_find(c, "fall", path, sizeof(path));
	mp_cfg_uint(l, s, path, 1, 100, &ck->fall);

	s = ck_find(c, "expect_status", path, sizeof(path));
	if (s)
		parse_expect_status(l, s, path, ck);
	s = ck_find(c, "expect_body", path, sizeof(path));
	if (mp_cfg_str(l, s, path, "a substring of the body", &v))
		ck->expect_body = mp_cfg_strdup(l, v);
	s = ck_find(c, "expect_sha256", path, sizeof(path));
	if (mp_cfg_str(l, s, path, "64 hexadecimal digits", &v)) {
		if (parse_sha256(v, ck->expect_sha256))
			ck->has_expect_sha256 = true;
		else
			mp_cfg_err(l, s,
				   "%s: %s is not a SHA-256 (64 hexadecimal "
				   "digits, as printed by sha256sum)",
				   path, mp_cfg_quote(v, q, sizeof(q)));
	}
	s = ck_find(c, "max_age", path, sizeof(path));
	mp_cfg_duration(l, s, path, 1000, &ck->max_age_ms);
	s = ck_find(c, "max_latency", path, sizeof(path));
	mp_cfg_duration(l, s, path, 1, &ck->max_latency_ms);
	s = ck_find(c, "max_body", path, sizeof(path));
	if (mp_cfg_int(l, s, path, 1, (long long)MAX_BODY_LIMIT, &n))
		ck->max_body = (uint64_t)n;
	s = ck_find(c, "tls_verify", path, sizeof(path));
	mp_cfg_bool(l, s, path, &ck->tls_verify);
	s = ck_find(c, "ca_file", path, sizeof(path));
	if (s)
		ck->ca_file = mp_cfg_file(l, s, path, true);
	s = ck_find(c, "tls_resume", path, sizeof(path));
	mp_cfg_bool(l, s, path, &ck->tls_resume);
	s = ck_find(c, "tls_full_interval", path, sizeof(path));
	mp_cfg_duration(l, s, path, 1000, &ck->tls_full_interval_ms);
	s = ck_find(c, "tls_expiry_warn", path, sizeof(path));
	mp_cfg_duration(l, s, path, 1000, &ck->tls_expiry_warn_ms);
	s = ck_find(c, "tls_expiry_fail", path, sizeof(path));
	mp_cfg_duration(l, s, path, 1000, &ck->tls_expiry_fail_ms);
	s = ck_find(c, "source_address", path, sizeof(path));
	if (s)
		mp_cfg_parse_source_address(l, s, path, ck);
}

void mp_cfg_parse_check(struct mp_cfg_loader *l, const config_setting_t *own,
			const char *own_ctx, const config_setting_t *global,
			const config_setting_t *parent, const char *parent_ctx,
			bool complete, struct mp_check_cfg *ck)
{
	struct check_src cs = {own, own_ctx, global};

	parse_check(l, &cs, parent, parent_ctx, complete, ck);
}
