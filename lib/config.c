/*
 * The configuration loader (SPEC §2): libconfig syntax, a strict schema and
 * one message per problem, "FILE:LINE: what is wrong (the accepted form)".
 * Loading goes on after an error so that an operator sees every problem of
 * the file at once; the result is only handed out when there were none.
 */
#include "config.h"
#include "config_lex.h"
#include "config_value.h"
#include "duration.h"
#include "error.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_BODY_LIMIT (64ULL * 1024 * 1024)

/* ------------------------------------------------------------------------
 * Groups
 */

static const char *const top_keys[] = {"dns",
				       "update",
				       "check",
				       "damping",
				       "guard",
				       "pools",
				       "json_pools",
				       "control",
				       "state_file",
				       "state_write_interval",
				       "metrics_file",
				       "log_level",
				       "node",
				       "vantage",
				       NULL};
static const char *const dns_keys[] = {
    "server", "port",	   "zone",    "key_file",	    "key_name",
    "key",    "transport", "timeout", "reconcile_interval", "dry_run",
    NULL};
static const char *const update_keys[] = {"min_interval", "max_per_hour", NULL};
static const char *const check_keys[] = {"type",
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
static const char *const damping_keys[] = {"penalty",	"suppress",	"reuse",
					   "half_life", "max_suppress", NULL};
static const char *const guard_keys[] = {"sentinels", "all_down_freeze", NULL};
static const char *const pool_keys[] = {
    "name",   "ttl",   "min_healthy", "max_published",
    "rotate", "check", "mirrors",     NULL};
static const char *const mirror_keys[] = {"name",  "addresses", "weight",
					  "email", "notes",	NULL};
static const char *const control_keys[] = {"socket", "group", "mode", NULL};

/* A required group at top level; NULL when absent (reported) or wrong. */
static const config_setting_t *top_group(struct mp_cfg_loader *l,
					 const config_setting_t *root,
					 const char *name, const char *example,
					 const char *const *known)
{
	const config_setting_t *g = mp_cfg_group(l, root, "", name);
	char where[64];

	if (!g) {
		if (example && !mp_cfg_member(root, name))
			mp_cfg_err(l, NULL,
				   "missing required group \"%s\" (%s)", name,
				   example);
		return NULL;
	}
	snprintf(where, sizeof(where), "in group \"%s\"", name);
	mp_cfg_check_unknown(l, g, where, known);
	return g;
}

static void missing(struct mp_cfg_loader *l, const config_setting_t *g,
		    const char *ctx, const char *name, const char *example)
{
	mp_cfg_err(l, g, "%s: missing required key \"%s\" (%s)", ctx, name,
		   example);
}

/* A relative key_file is looked up in $CREDENTIALS_DIRECTORY first: under
 * systemd, `LoadCredential=tsig.key:/etc/mirrorpool/tsig.key` places a copy
 * readable only by the service there, and key_file = "tsig.key" then finds
 * it. Otherwise it is relative to the config file's directory. */
static char *resolve_key_file(struct mp_cfg_loader *l, const char *v)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	char *r;

	if (v[0] == '/')
		return mp_cfg_strdup(l, v);
	if (creds && creds[0] == '/') {
		r = mp_cfg_join(l, creds, v);
		if (!r || access(r, F_OK) == 0)
			return r;
		free(r);
	}
	return mp_cfg_join(l, l->dir, v);
}

static void parse_dns(struct mp_cfg_loader *l, const config_setting_t *root)
{
	struct mp_dns_cfg *dns = &l->cfg->dns;
	const config_setting_t *g, *s, *kf, *ki, *kn;
	const char *v;
	char q[96], name[256];
	long long n;

	dns->port = 53;
	dns->transport = MP_TRANSPORT_UDP;
	dns->timeout_ms = 2000;
	dns->reconcile_interval_ms = 300000;
	g = top_group(l, root, "dns",
		      "dns = { server = \"127.0.0.1\"; zone = \"example.org\"; "
		      "key_file = \"/etc/mirrorpool/tsig.key\"; };",
		      dns_keys);
	if (!g)
		return;

	s = mp_cfg_member(g, "server");
	if (!s)
		missing(l, g, "dns", "server",
			"the primary's IP address, e.g. server = "
			"\"127.0.0.1\";");
	else if (mp_cfg_str(l, s, "dns.server", "an IPv4 or IPv6 address",
			    &v)) {
		if (mp_addr_parse(v, &dns->server_addr) != MP_OK)
			mp_cfg_err(
			    l, s,
			    "dns.server: %s is not an IP address (use an "
			    "IPv4 or IPv6 literal such as \"127.0.0.1\" "
			    "or \"::1\"; names are not resolved)",
			    mp_cfg_quote(v, q, sizeof(q)));
		else
			dns->server = mp_cfg_strdup(l, v);
	}
	if (mp_cfg_int(l, mp_cfg_member(g, "port"), "dns.port", 1, 65535, &n))
		dns->port = (uint16_t)n;

	s = mp_cfg_member(g, "zone");
	if (!s)
		missing(l, g, "dns", "zone",
			"the zone to update, e.g. zone = \"example.org\";");
	else if (mp_cfg_str(l, s, "dns.zone", "a domain name", &v)) {
		const char *why =
		    mp_cfg_domain_normalise(v, name, sizeof(name));
		if (why)
			mp_cfg_err(l, s,
				   "dns.zone: %s %s (use a domain name such as "
				   "\"example.org\")",
				   mp_cfg_quote(v, q, sizeof(q)), why);
		else
			dns->zone = mp_cfg_strdup(l, name);
	}

	kf = mp_cfg_member(g, "key_file");
	ki = mp_cfg_member(g, "key");
	kn = mp_cfg_member(g, "key_name");
	l->key_ok = true;
	if (kf && ki) {
		mp_cfg_err(
		    l, ki,
		    "dns: both key_file and key are set; use exactly one "
		    "(key_file = \"/etc/mirrorpool/tsig.key\"; or key = "
		    "\"hmac-sha256:NAME:BASE64\";)");
		l->key_ok = false;
	} else if (!kf && !ki) {
		mp_cfg_err(
		    l, g,
		    "dns: no TSIG key (set key_file = "
		    "\"/etc/mirrorpool/tsig.key\"; as written by "
		    "tsig-keygen, or key = \"hmac-sha256:NAME:BASE64\";)");
		l->key_ok = false;
	}
	if (kf) {
		if (mp_cfg_str(l, kf, "dns.key_file", "the path of a key file",
			       &v))
			dns->key_file = resolve_key_file(l, v);
		else
			l->key_ok = false;
	}
	if (ki) {
		/* never echo this one: it holds the secret */
		if (mp_cfg_str(l, ki, "dns.key", "\"hmac-sha256:NAME:BASE64\"",
			       &v))
			l->key_inline = ki;
		else
			l->key_ok = false;
	}
	if (kn) {
		if (mp_cfg_str(l, kn, "dns.key_name", "a key name", &v)) {
			if (ki)
				mp_cfg_err(
				    l, kn,
				    "dns.key_name: only selects a key in "
				    "key_file; an inline key carries its "
				    "own name");
			else
				dns->key_name = mp_cfg_strdup(l, v);
		} else {
			l->key_ok = false;
		}
	}

	s = mp_cfg_member(g, "transport");
	if (mp_cfg_str(l, s, "dns.transport", "\"udp\" or \"tcp\"", &v)) {
		if (strcmp(v, "udp") == 0)
			dns->transport = MP_TRANSPORT_UDP;
		else if (strcmp(v, "tcp") == 0)
			dns->transport = MP_TRANSPORT_TCP;
		else
			mp_cfg_err(l, s,
				   "dns.transport: %s is not a transport (use "
				   "\"udp\" or \"tcp\")",
				   mp_cfg_quote(v, q, sizeof(q)));
	}
	mp_cfg_duration(l, mp_cfg_member(g, "timeout"), "dns.timeout",
			MP_CFG_MIN_CHECK_MS, &dns->timeout_ms);
	mp_cfg_duration(l, mp_cfg_member(g, "reconcile_interval"),
			"dns.reconcile_interval", 1000,
			&dns->reconcile_interval_ms);
	mp_cfg_bool(l, mp_cfg_member(g, "dry_run"), "dns.dry_run",
		    &dns->dry_run);
}

static void parse_update(struct mp_cfg_loader *l, const config_setting_t *root)
{
	struct mp_update_cfg *u = &l->cfg->update;
	const config_setting_t *g;

	u->min_interval_ms = 5000;
	u->max_per_hour = 60;
	g = top_group(l, root, "update", NULL, update_keys);
	mp_cfg_duration(l, mp_cfg_member(g, "min_interval"),
			"update.min_interval", 0, &u->min_interval_ms);
	mp_cfg_uint(l, mp_cfg_member(g, "max_per_hour"), "update.max_per_hour",
		    1, 3600, &u->max_per_hour);
}

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

static void parse_damping(struct mp_cfg_loader *l, const config_setting_t *root)
{
	struct mp_damping_cfg *dp = &l->cfg->damping;
	const config_setting_t *g, *s;
	char a[32], b[32];

	dp->penalty = 1000;
	dp->suppress = 2000;
	dp->reuse = 750;
	dp->half_life_ms = 15 * 60000;
	dp->max_suppress_ms = 3600000;
	g = top_group(l, root, "damping", NULL, damping_keys);
	mp_cfg_uint(l, mp_cfg_member(g, "penalty"), "damping.penalty", 0,
		    1000000, &dp->penalty);
	mp_cfg_uint(l, mp_cfg_member(g, "suppress"), "damping.suppress", 1,
		    1000000, &dp->suppress);
	s = mp_cfg_member(g, "reuse");
	if (mp_cfg_uint(l, s, "damping.reuse", 1, 1000000, &dp->reuse) ||
	    mp_cfg_member(g, "suppress")) {
		if (dp->reuse >= dp->suppress)
			mp_cfg_err(
			    l, s ? s : mp_cfg_member(g, "suppress"),
			    "damping.reuse: %u must be less than suppress "
			    "(%u)",
			    dp->reuse, dp->suppress);
	}
	mp_cfg_duration(l, mp_cfg_member(g, "half_life"), "damping.half_life",
			1000, &dp->half_life_ms);
	s = mp_cfg_member(g, "max_suppress");
	mp_cfg_duration(l, s, "damping.max_suppress", 1000,
			&dp->max_suppress_ms);
	if (dp->max_suppress_ms < dp->half_life_ms)
		mp_cfg_err(
		    l, s ? s : mp_cfg_member(g, "half_life"),
		    "damping.max_suppress: %s must not be shorter than "
		    "half_life (%s)",
		    mp_duration_format(dp->max_suppress_ms, a, sizeof(a)),
		    mp_duration_format(dp->half_life_ms, b, sizeof(b)));
}

static void parse_guard(struct mp_cfg_loader *l, const config_setting_t *root)
{
	struct mp_guard_cfg *gd = &l->cfg->guard;
	const config_setting_t *g, *s;
	char path[64], host[256];
	int len;

	gd->all_down_freeze = true;
	g = top_group(l, root, "guard", NULL, guard_keys);
	mp_cfg_bool(l, mp_cfg_member(g, "all_down_freeze"),
		    "guard.all_down_freeze", &gd->all_down_freeze);
	s = mp_cfg_member(g, "sentinels");
	if (!s)
		return;
	if (!mp_cfg_is_sequence(s)) {
		mp_cfg_err(l, s,
			   "guard.sentinels: expected a list of URLs, e.g. "
			   "[ \"https://www.example.net/\" ], got %s",
			   mp_cfg_type_name(s));
		return;
	}
	len = config_setting_length(s);
	if (len == 0)
		return;
	gd->sentinels = calloc((size_t)len, sizeof(char *));
	if (!gd->sentinels) {
		l->oom = true;
		return;
	}
	for (int i = 0; i < len; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(s, (unsigned)i);
		const char *v;
		bool https;
		uint16_t port;

		snprintf(path, sizeof(path), "guard.sentinels[%d]", i);
		if (mp_cfg_url(l, e, path, &v, &https, host, sizeof(host),
			       &port))
			gd->sentinels[gd->n_sentinels++] = mp_cfg_strdup(l, v);
	}
}

/* ------------------------------------------------------------------------
 * Pools and mirrors
 */

static bool mirror_name_ok(const char *v)
{
	size_t len = strlen(v);

	if (len == 0 || len > 63)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '-' &&
		    v[i] != '_' && v[i] != '.')
			return false;
	return true;
}

/* The mirror called name anywhere in the pools parsed so far. */
static const struct mp_mirror_cfg *find_mirror(const struct mp_config *cfg,
					       size_t n_pools, const char *name)
{
	for (size_t p = 0; p < n_pools; p++)
		for (size_t m = 0; m < cfg->pools[p].n_mirrors; m++)
			if (cfg->pools[p].mirrors[m].name &&
			    strcmp(cfg->pools[p].mirrors[m].name, name) == 0)
				return &cfg->pools[p].mirrors[m];
	return NULL;
}

static void parse_addresses(struct mp_cfg_loader *l, const config_setting_t *s,
			    const char *ctx, struct mp_pool_cfg *pool,
			    struct mp_mirror_cfg *mr)
{
	char path[160], q[96];
	int len;

	if (!mp_cfg_is_sequence(s)) {
		mp_cfg_err(
		    l, s,
		    "%s.addresses: expected a list of IP addresses, e.g. "
		    "[ \"192.0.2.10\", \"2001:db8::10\" ], got %s",
		    ctx, mp_cfg_type_name(s));
		return;
	}
	len = config_setting_length(s);
	if (len == 0) {
		mp_cfg_err(l, s,
			   "%s.addresses: is empty (at least one address, e.g. "
			   "[ \"192.0.2.10\" ])",
			   ctx);
		return;
	}
	mr->addrs = calloc((size_t)len, sizeof(*mr->addrs));
	if (!mr->addrs) {
		l->oom = true;
		return;
	}
	for (int i = 0; i < len; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(s, (unsigned)i);
		struct mp_addr a;
		const char *v, *dup_mirror = NULL;
		int dup_line = 0;

		snprintf(path, sizeof(path), "%s.addresses[%d]", ctx, i);
		if (!mp_cfg_str(l, e, path, "an IPv4 or IPv6 address", &v))
			continue;
		if (mp_addr_parse(v, &a) != MP_OK) {
			mp_cfg_err(
			    l, e,
			    "%s: %s is not an IP address (use an IPv4 or "
			    "IPv6 literal such as \"192.0.2.10\" or "
			    "\"2001:db8::10\")",
			    path, mp_cfg_quote(v, q, sizeof(q)));
			continue;
		}
		for (size_t k = 0; k < mr->n_addrs && !dup_mirror; k++)
			if (mp_addr_equal(&mr->addrs[k], &a))
				dup_mirror = "";
		for (size_t m = 0; m < pool->n_mirrors && !dup_mirror; m++)
			for (size_t k = 0; k < pool->mirrors[m].n_addrs; k++)
				if (mp_addr_equal(&pool->mirrors[m].addrs[k],
						  &a)) {
					dup_mirror = pool->mirrors[m].name;
					dup_line = pool->mirrors[m].line;
					break;
				}
		if (dup_mirror && !*dup_mirror) {
			mp_cfg_err(l, e,
				   "%s: %s is listed twice in this mirror (an "
				   "address may be listed once per pool)",
				   path, a.text);
			continue;
		}
		if (dup_mirror) {
			mp_cfg_err(
			    l, e,
			    "%s: %s is already in pool %s, in mirror "
			    "\"%s\" at line %d (an address may be listed "
			    "once per pool)",
			    path, a.text, pool->name ? pool->name : ctx,
			    dup_mirror, dup_line);
			continue;
		}
		mr->addrs[mr->n_addrs++] = a;
	}
}

static void parse_mirror(struct mp_cfg_loader *l, const config_setting_t *g,
			 const char *ctx, size_t pool_idx,
			 struct mp_pool_cfg *pool, struct mp_mirror_cfg *mr)
{
	const config_setting_t *s;
	const struct mp_mirror_cfg *other;
	char where[96], path[160], q[96];
	const char *v;

	mr->weight = 10;
	mr->line = (int)config_setting_source_line(g);
	snprintf(where, sizeof(where), "in %s", ctx);
	mp_cfg_check_unknown(l, g, where, mirror_keys);

	s = mp_cfg_member(g, "name");
	mp_cfg_key_path(ctx, "name", path, sizeof(path));
	if (!s) {
		missing(l, g, ctx, "name", "e.g. name = \"mirror1\";");
	} else if (mp_cfg_str(l, s, path, "a mirror name", &v)) {
		if (!mirror_name_ok(v))
			mp_cfg_err(l, s,
				   "%s: %s is not a valid mirror name (1 to 63 "
				   "letters, digits, '-', '_' or '.')",
				   path, mp_cfg_quote(v, q, sizeof(q)));
		else if ((other = find_mirror(l->cfg, pool_idx + 1, v)))
			mp_cfg_err(
			    l, s,
			    "%s: mirror \"%s\" is already defined at line "
			    "%d (mirror names are unique across the "
			    "config)",
			    path, v, other->line);
		else
			mr->name = mp_cfg_strdup(l, v);
	}

	s = mp_cfg_member(g, "addresses");
	if (!s)
		missing(
		    l, g, ctx, "addresses",
		    "e.g. addresses = [ \"192.0.2.10\", \"2001:db8::10\" ];");
	else
		parse_addresses(l, s, ctx, pool, mr);

	mp_cfg_key_path(ctx, "weight", path, sizeof(path));
	mp_cfg_uint(l, mp_cfg_member(g, "weight"), path, 0, 1000, &mr->weight);
	mp_cfg_key_path(ctx, "email", path, sizeof(path));
	if (mp_cfg_str(l, mp_cfg_member(g, "email"), path, "a contact address",
		       &v))
		mr->email = mp_cfg_strdup(l, v);
	mp_cfg_key_path(ctx, "notes", path, sizeof(path));
	if (mp_cfg_str(l, mp_cfg_member(g, "notes"), path, "free text", &v))
		mr->notes = mp_cfg_strdup(l, v);
}

static void parse_pool_name(struct mp_cfg_loader *l, const config_setting_t *s,
			    const char *ctx, size_t idx,
			    struct mp_pool_cfg *pool)
{
	const char *zone = l->cfg->dns.zone, *v, *why;
	char name[256], path[160], q[96];

	mp_cfg_key_path(ctx, "name", path, sizeof(path));
	if (!mp_cfg_str(l, s, path, "an owner name inside dns.zone", &v))
		return;
	why = mp_cfg_domain_normalise(v, name, sizeof(name));
	if (why) {
		mp_cfg_err(l, s,
			   "%s: %s %s (use an owner name such as "
			   "\"dl.example.org.\")",
			   path, mp_cfg_quote(v, q, sizeof(q)), why);
		return;
	}
	if (zone && !mp_cfg_in_zone(name, zone)) {
		char hint[600] = "";
		size_t len = strlen(v);
		if (len > 0 && v[len - 1] != '.' &&
		    strlen(name) + strlen(zone) < 254)
			snprintf(hint, sizeof(hint),
				 "; names are absolute: did you mean "
				 "\"%s%s\"?",
				 name, zone);
		mp_cfg_err(l, s,
			   "%s: %s is not inside zone %s (a pool is the "
			   "zone itself or a name below it)%s",
			   path, name, zone, hint);
		return;
	}
	for (size_t p = 0; p < idx; p++) {
		if (l->cfg->pools[p].name &&
		    strcmp(l->cfg->pools[p].name, name) == 0) {
			mp_cfg_err(l, s,
				   "%s: pool %s is already defined at line "
				   "%d",
				   path, name, l->cfg->pools[p].line);
			return;
		}
	}
	pool->name = mp_cfg_strdup(l, name);
}

static void parse_pool(struct mp_cfg_loader *l, const config_setting_t *g,
		       size_t idx, const config_setting_t *global_check)
{
	struct mp_pool_cfg *pool = &l->cfg->pools[idx];
	struct check_src cs;
	const config_setting_t *s;
	char ctx[32], where[64], path[160], ck_ctx[48];
	size_t n4 = 0, n6 = 0;
	long long n;
	int len;

	pool->ttl = 60;
	pool->min_healthy = 2;
	pool->max_published = 0;
	pool->line = (int)config_setting_source_line(g);
	snprintf(ctx, sizeof(ctx), "pools[%zu]", idx);
	snprintf(where, sizeof(where), "in %s", ctx);
	mp_cfg_check_unknown(l, g, where, pool_keys);

	s = mp_cfg_member(g, "name");
	if (!s)
		missing(l, g, ctx, "name",
			"the owner name, e.g. name = \"dl.example.org.\";");
	else
		parse_pool_name(l, s, ctx, idx, pool);

	s = mp_cfg_member(g, "ttl");
	mp_cfg_key_path(ctx, "ttl", path, sizeof(path));
	if (s &&
	    (config_setting_type(s) == CONFIG_TYPE_INT ||
	     config_setting_type(s) == CONFIG_TYPE_INT64) &&
	    config_setting_get_int64(s) == 0 && !mp_cfg_wide(l, s))
		mp_cfg_err(
		    l, s,
		    "%s: 0 is not allowed: resolvers would not cache the "
		    "pool and every lookup would reach the primary "
		    "(1..2147483647 seconds, e.g. 60)",
		    path);
	else if (mp_cfg_int(l, s, path, 1, 2147483647, &n))
		pool->ttl = (uint32_t)n;
	mp_cfg_key_path(ctx, "min_healthy", path, sizeof(path));
	mp_cfg_uint(l, mp_cfg_member(g, "min_healthy"), path, 0,
		    MP_MAX_ADDRS_PER_FAMILY, &pool->min_healthy);
	mp_cfg_key_path(ctx, "max_published", path, sizeof(path));
	mp_cfg_uint(l, mp_cfg_member(g, "max_published"), path, 0,
		    MP_MAX_ADDRS_PER_FAMILY, &pool->max_published);
	s = mp_cfg_member(g, "rotate");
	mp_cfg_key_path(ctx, "rotate", path, sizeof(path));
	if (s && mp_cfg_duration(l, s, path, 1000, &pool->rotate_ms) &&
	    pool->max_published == 0)
		mp_cfg_err(l, s,
			   "%s: rotation needs max_published: set it to how "
			   "many addresses to publish at a time, e.g. "
			   "max_published = 3; rotate = \"15m\";",
			   path);

	snprintf(ck_ctx, sizeof(ck_ctx), "%s.check", ctx);
	cs.pool = mp_cfg_group(l, g, ctx, "check");
	cs.pool_ctx = ck_ctx;
	cs.global = global_check;
	if (cs.pool) {
		snprintf(where, sizeof(where), "in %s", ck_ctx);
		mp_cfg_check_unknown(l, cs.pool, where, check_keys);
	}
	parse_check(l, &cs, g, ctx, true, &pool->check);

	s = mp_cfg_member(g, "mirrors");
	if (!s) {
		missing(l, g, ctx, "mirrors",
			"e.g. mirrors = ( { name = \"mirror1\"; addresses = "
			"[ \"192.0.2.10\" ]; } );");
		return;
	}
	if (config_setting_type(s) != CONFIG_TYPE_LIST ||
	    config_setting_length(s) == 0) {
		mp_cfg_err(
		    l, s,
		    "%s.mirrors: expected a list of at least one mirror, "
		    "( { name = \"mirror1\"; addresses = [ ... ]; } ), "
		    "got %s",
		    ctx,
		    config_setting_type(s) == CONFIG_TYPE_LIST
			? "an empty list"
			: mp_cfg_type_name(s));
		return;
	}
	len = config_setting_length(s);
	pool->mirrors = calloc((size_t)len, sizeof(*pool->mirrors));
	if (!pool->mirrors) {
		l->oom = true;
		return;
	}
	for (int i = 0; i < len; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(s, (unsigned)i);
		char mctx[64];

		snprintf(mctx, sizeof(mctx), "%s.mirrors[%d]", ctx, i);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			mp_cfg_err(l, e,
				   "%s: expected a mirror { name = ...; "
				   "addresses = [ ... ]; }, got %s",
				   mctx, mp_cfg_type_name(e));
			continue;
		}
		parse_mirror(l, e, mctx, idx, pool,
			     &pool->mirrors[pool->n_mirrors]);
		pool->n_mirrors++;
	}
	for (size_t m = 0; m < pool->n_mirrors; m++)
		for (size_t k = 0; k < pool->mirrors[m].n_addrs; k++) {
			if (pool->mirrors[m].addrs[k].family == AF_INET)
				n4++;
			else
				n6++;
		}
	if (n4 > MP_MAX_ADDRS_PER_FAMILY || n6 > MP_MAX_ADDRS_PER_FAMILY)
		mp_cfg_err(
		    l, s,
		    "%s: %zu %s addresses; a pool holds at most %d per "
		    "family (BIND's max-records-per-type): split it into "
		    "several pools",
		    ctx, n4 > MP_MAX_ADDRS_PER_FAMILY ? n4 : n6,
		    n4 > MP_MAX_ADDRS_PER_FAMILY ? "IPv4" : "IPv6",
		    MP_MAX_ADDRS_PER_FAMILY);
}

static void parse_pools(struct mp_cfg_loader *l, const config_setting_t *root,
			const config_setting_t *global_check)
{
	const config_setting_t *s = mp_cfg_member(root, "pools");
	int len;

	if (!s) {
		mp_cfg_err(
		    l, NULL,
		    "missing required list \"pools\" (at least one pool: "
		    "pools = ( { name = \"dl.example.org.\"; mirrors = ( { "
		    "name = \"mirror1\"; addresses = [ \"192.0.2.10\" ]; "
		    "} ); } );)");
		return;
	}
	if (config_setting_type(s) != CONFIG_TYPE_LIST ||
	    config_setting_length(s) == 0) {
		mp_cfg_err(
		    l, s,
		    "pools: expected a list of at least one pool, ( { "
		    "name = \"dl.example.org.\"; mirrors = ( ... ); } ), "
		    "got %s",
		    config_setting_type(s) == CONFIG_TYPE_LIST
			? "an empty list"
			: mp_cfg_type_name(s));
		return;
	}
	len = config_setting_length(s);
	l->cfg->pools = calloc((size_t)len, sizeof(*l->cfg->pools));
	if (!l->cfg->pools) {
		l->oom = true;
		return;
	}
	for (int i = 0; i < len; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(s, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			mp_cfg_err(l, e,
				   "pools[%d]: expected a pool { name = ...; "
				   "mirrors = ( ... ); }, got %s",
				   i, mp_cfg_type_name(e));
			continue;
		}
		/* counted before parsing so that mirror lookups see it */
		l->cfg->n_pools++;
		parse_pool(l, e, l->cfg->n_pools - 1, global_check);
	}
}

/* ------------------------------------------------------------------------
 * Control, files, logging
 */

/*
 * libconfig has no octal literals: mode = 0660 reads as the decimal 660.
 * Its digits are taken as octal, as chmod(1) reads them; a string "0660"
 * is the unambiguous form.
 */
static bool parse_mode(const char *digits, unsigned *out)
{
	unsigned v = 0;

	if (!*digits || strlen(digits) > 4)
		return false;
	for (const char *p = digits; *p; p++) {
		if (*p < '0' || *p > '7')
			return false;
		v = v * 8 + (unsigned)(*p - '0');
	}
	*out = v;
	return true;
}

static void parse_control(struct mp_cfg_loader *l, const config_setting_t *root)
{
	struct mp_control_cfg *ct = &l->cfg->control;
	const config_setting_t *g, *s;
	char buf[32], q[96];
	const char *v;

	ct->mode = 0660;
	g = top_group(l, root, "control", NULL, control_keys);
	s = mp_cfg_member(g, "socket");
	if (s) {
		ct->socket = mp_cfg_file(l, s, "control.socket", false);
		if (ct->socket && strlen(ct->socket) >= MP_UNIX_PATH_MAX)
			mp_cfg_err(l, s,
				   "control.socket: longer than %zu bytes, the "
				   "limit of a Unix socket path",
				   (size_t)MP_UNIX_PATH_MAX - 1);
	} else {
		ct->socket = mp_cfg_strdup(l, "/run/mirrorpool/control.sock");
	}
	if (mp_cfg_str(l, mp_cfg_member(g, "group"), "control.group",
		       "a group name", &v))
		ct->group = mp_cfg_strdup(l, v);
	s = mp_cfg_member(g, "mode");
	if (!s)
		return;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		v = config_setting_get_string(s);
	} else if (config_setting_type(s) == CONFIG_TYPE_INT ||
		   config_setting_type(s) == CONFIG_TYPE_INT64) {
		const char *lit = mp_cfg_wide(l, s);
		if (lit)
			snprintf(buf, sizeof(buf), "%s", lit);
		else
			snprintf(buf, sizeof(buf), "%lld",
				 (long long)config_setting_get_int64(s));
		v = buf;
	} else {
		mp_cfg_err(
		    l, s,
		    "control.mode: expected an octal mode string such as "
		    "\"0660\", got %s",
		    mp_cfg_type_name(s));
		return;
	}
	if (!parse_mode(v, &ct->mode) || ct->mode > 0777)
		mp_cfg_err(
		    l, s,
		    "control.mode: %s is not a file mode (octal, 0000..0777, "
		    "e.g. \"0660\")",
		    mp_cfg_quote(v, q, sizeof(q)));
}

static void parse_top(struct mp_cfg_loader *l, const config_setting_t *root)
{
	const config_setting_t *s;
	const char *v;
	char q[96];

	s = mp_cfg_member(root, "state_file");
	l->cfg->state_file =
	    s ? mp_cfg_file(l, s, "state_file", false)
	      : mp_cfg_strdup(l, "/var/lib/mirrorpool/state.json");
	/* how often at most the state file is rewritten (0: at every
	 * change); longer, and a crash loses more of the flap penalties */
	l->cfg->state_write_interval_ms = 1000;
	s = mp_cfg_member(root, "state_write_interval");
	if (mp_cfg_duration(l, s, "state_write_interval", 0,
			    &l->cfg->state_write_interval_ms) &&
	    l->cfg->state_write_interval_ms > MP_STATE_WRITE_INTERVAL_MAX_MS) {
		char a[32];
		mp_cfg_err(l, s,
			   "state_write_interval: too long (at most %s): the "
			   "flap penalties of a crash within it are lost",
			   mp_duration_format(MP_STATE_WRITE_INTERVAL_MAX_MS, a,
					      sizeof(a)));
		l->cfg->state_write_interval_ms = 1000;
	}
	s = mp_cfg_member(root, "metrics_file");
	if (s)
		l->cfg->metrics_file = mp_cfg_file(l, s, "metrics_file", false);
	l->cfg->log_level = LOG_INFO;
	s = mp_cfg_member(root, "log_level");
	if (mp_cfg_str(l, s, "log_level", "debug, info, notice, warning or err",
		       &v)) {
		int lvl = mp_log_level_parse(v);
		if (lvl < 0)
			mp_cfg_err(l, s,
				   "log_level: %s is not a level (use debug, "
				   "info, notice, warning or err)",
				   mp_cfg_quote(v, q, sizeof(q)));
		else
			l->cfg->log_level = lvl;
	}
}

/* ------------------------------------------------------------------------
 * The key
 */

static int load_key(struct mp_cfg_loader *l)
{
	const config_setting_t *ki = l->key_inline;
	struct mp_config *cfg = l->cfg;
	char origin[PATH_MAX + 16];
	struct stat st;

	if (!l->key_ok)
		return MP_OK;
	if (cfg->dns.key_file)
		return mp_tsig_key_load_file(
		    cfg->dns.key_file, cfg->dns.key_name, &cfg->key, l->d);
	if (!ki)
		return MP_OK;
	/* the config file now holds a secret: it is a key file */
	if (stat(mp_cfg_src_file(l, ki), &st) == 0 && (st.st_mode & S_IRWXO)) {
		mp_diag_add(
		    l->d, mp_cfg_src_file(l, ki), mp_cfg_src_line(l, ki),
		    "dns.key: the file holds a secret but is "
		    "accessible to other users (mode %04o); run "
		    "`chmod o-rwx %s`, or move the key to key_file",
		    (unsigned)(st.st_mode & 07777), mp_cfg_src_file(l, ki));
		return MP_EPERM;
	}
	snprintf(origin, sizeof(origin), "%s:%d", mp_cfg_src_file(l, ki),
		 mp_cfg_src_line(l, ki));
	return mp_tsig_key_parse_inline(config_setting_get_string(ki), origin,
					&cfg->key, l->d);
}

/* libconfig keeps its strings until config_destroy(), which does not wipe
 * them: the inline secret is wiped here. */
static void wipe_inline_key(const config_setting_t *ki)
{
	const char *v = ki ? config_setting_get_string(ki) : NULL;

	if (v)
		sodium_memzero((char *)v, strlen(v));
}

/* ------------------------------------------------------------------------
 * Loading
 */

static void read_text(struct mp_cfg_loader *l)
{
	size_t lines = 1;

	l->text = mp_cfg_read_text(l->path, &l->text_len);
	if (!l->text)
		return;
	for (size_t i = 0; i < l->text_len; i++)
		if (l->text[i] == '\n' && i + 1 < l->text_len)
			lines++;
	l->eof_line = (int)lines;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int mp_config_load(const char *path, unsigned flags, struct mp_config **out,
		   struct mp_diag *d)
{
	return mp_config_load_node(path, flags, NULL, out, d);
}

int mp_config_load_node(const char *path, unsigned flags,
			const char *default_node, struct mp_config **out,
			struct mp_diag *d)
{
	struct mp_cfg_loader l;
	struct mp_cfg_lex lx;
	config_t lc;
	const config_setting_t *root, *global_check;
	struct stat st;
	int rc = MP_OK, key_rc = MP_OK;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	mp_cfg_lex_init(&lx, NULL, NULL);
	l.path = path;
	l.d = d;
	l.default_node = default_node;
	l.eof_line = 1;
	config_init(&lc);
	l.cfg = calloc(1, sizeof(*l.cfg));
	l.dir = dir_of(path);
	if (!l.cfg || !l.dir) {
		rc = MP_ENOMEM;
		goto cleanup;
	}
	l.cfg->file = mp_cfg_strdup(&l, path);

	if (stat(path, &st) != 0) {
		mp_diag_add(d, path, 0, "cannot read the configuration: %s",
			    strerror(errno));
		rc = MP_ECONFIG;
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode)) {
		mp_diag_add(d, path, 0,
			    "is a directory, not a configuration file");
		rc = MP_ECONFIG;
		goto cleanup;
	}
	read_text(&l);
	/* libconfig 1.5 wraps wide integers and leaks on some syntax errors:
	 * the text is scanned first (config_lex.h) */
	rc = mp_cfg_prescan(&l, &lx);
	if (rc != MP_OK) {
		if (rc != MP_ECONFIG)
			rc = MP_ENOMEM;
		goto cleanup;
	}
	config_set_include_dir(&lc, l.dir);
	/* libconfig parses the text read above, never the file through its
	 * own stdio buffers (wiped below: it may hold an inline key); a file
	 * that could not be read goes to config_read_file for the error */
	if (!(l.text ? config_read_string(&lc, l.text)
		     : config_read_file(&lc, path))) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			mp_diag_add(d, path, 0,
				    "cannot read the configuration: %s",
				    errno ? strerror(errno) : "I/O error");
		else
			mp_diag_add(
			    d,
			    config_error_file(&lc) ? config_error_file(&lc)
						   : path,
			    config_error_line(&lc), "%s " MP_CFG_SYNTAX_HINT,
			    config_error_text(&lc));
		rc = MP_ECONFIG;
		goto cleanup;
	}

	root = config_root_setting(&lc);
	mp_cfg_tie_wide(&l, &lx, root);
	mp_cfg_check_unknown(&l, root, "at top level", top_keys);
	parse_dns(&l, root);
	parse_update(&l, root);
	global_check = top_group(&l, root, "check", NULL, check_keys);
	{
		struct check_src cs = {NULL, NULL, global_check};
		parse_check(&l, &cs, NULL, "check", false, &l.cfg->check);
	}
	parse_damping(&l, root);
	parse_guard(&l, root);
	parse_pools(&l, root, global_check);
	mp_cfg_parse_json_pools(&l, root, global_check);
	parse_control(&l, root);
	parse_top(&l, root);
	mp_cfg_parse_vantage(&l, root);
	mp_cfg_flush(&l);
	if (!(flags & MP_CONFIG_NO_KEY) && !l.oom)
		key_rc = load_key(&l);
	wipe_inline_key(l.key_inline);

	if (l.oom)
		rc = MP_ENOMEM;
	else if (l.failed)
		rc = MP_ECONFIG;
	else
		rc = key_rc;
cleanup:
	mp_cfg_flush(&l);
	config_destroy(&lc);
	mp_cfg_lex_free(&lx);
	mp_cfg_wide_free(&l);
	free(l.dir);
	if (l.text) /* it may hold an inline key */
		sodium_memzero(l.text, l.text_len);
	free(l.text);
	if (rc == MP_OK)
		*out = l.cfg;
	else
		mp_config_free(l.cfg);
	return rc;
}
