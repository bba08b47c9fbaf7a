/* Operations on a loaded configuration: lookups, comparison, the
 * --check-config summary, and freeing. */
#include "config.h"
#include "duration.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void free_check(struct mp_check_cfg *ck)
{
	free(ck->url);
	free(ck->host);
	free(ck->expect_body);
	free(ck->ca_file);
}

void mp_config_free(struct mp_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->file);
	free(cfg->node);
	free(cfg->vantage.views);
	for (size_t i = 0; i < cfg->vantage.n_nodes; i++)
		free(cfg->vantage.nodes[i]);
	free(cfg->vantage.nodes);
	free(cfg->dns.server);
	free(cfg->dns.zone);
	free(cfg->dns.key_file);
	free(cfg->dns.key_name);
	free_check(&cfg->check);
	for (size_t i = 0; i < cfg->guard.n_sentinels; i++)
		free(cfg->guard.sentinels[i]);
	free(cfg->guard.sentinels);
	for (size_t p = 0; p < cfg->n_pools; p++) {
		struct mp_pool_cfg *pool = &cfg->pools[p];
		free(pool->name);
		free_check(&pool->check);
		for (size_t m = 0; m < pool->n_mirrors; m++) {
			free(pool->mirrors[m].name);
			free(pool->mirrors[m].addrs);
			free(pool->mirrors[m].email);
			free(pool->mirrors[m].notes);
		}
		free(pool->mirrors);
	}
	free(cfg->pools);
	for (size_t j = 0; j < cfg->n_json_pools; j++) {
		struct mp_json_pool_cfg *jp = &cfg->json_pools[j];
		free(jp->name);
		free(jp->source);
		free(jp->output);
		free(jp->path);
		free_check(&jp->check);
	}
	free(cfg->json_pools);
	free(cfg->control.socket);
	free(cfg->control.group);
	free(cfg->state_file);
	free(cfg->metrics_file);
	mp_tsig_key_free(cfg->key);
	free(cfg);
}

/* Owner names compare without case and with or without the final dot. */
static bool same_owner(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

const struct mp_pool_cfg *mp_config_pool(const struct mp_config *cfg,
					 const char *name)
{
	if (!cfg || !name)
		return NULL;
	/* a pool whose name was refused has none while the loader goes on
	 * to report the rest of the file */
	for (size_t p = 0; p < cfg->n_pools; p++)
		if (cfg->pools[p].name && same_owner(cfg->pools[p].name, name))
			return &cfg->pools[p];
	return NULL;
}

const struct mp_json_pool_cfg *mp_config_json_pool(const struct mp_config *cfg,
						   const char *name)
{
	if (!cfg || !name)
		return NULL;
	for (size_t j = 0; j < cfg->n_json_pools; j++)
		if (cfg->json_pools[j].name &&
		    strcmp(cfg->json_pools[j].name, name) == 0)
			return &cfg->json_pools[j];
	return NULL;
}

char *mp_json_pool_check_url(const struct mp_json_pool_cfg *jp,
			     const char *url_prefix)
{
	size_t lp = strlen(url_prefix), lq = strlen(jp->path);
	bool slash_p = lp > 0 && url_prefix[lp - 1] == '/';
	bool slash_q = lq > 0 && jp->path[0] == '/';
	const char *q = jp->path;
	char *r;

	if (slash_p && slash_q)
		q++;
	r = malloc(lp + lq + 2);
	if (!r)
		return NULL;
	snprintf(r, lp + lq + 2, "%s%s%s", url_prefix,
		 lq > 0 && !slash_p && !slash_q ? "/" : "", q);
	return r;
}

const struct mp_mirror_cfg *mp_config_mirror(const struct mp_config *cfg,
					     const char *name,
					     const struct mp_pool_cfg **pool)
{
	if (pool)
		*pool = NULL;
	if (!cfg || !name)
		return NULL;
	for (size_t p = 0; p < cfg->n_pools; p++) {
		for (size_t m = 0; m < cfg->pools[p].n_mirrors; m++) {
			if (strcmp(cfg->pools[p].mirrors[m].name, name) == 0) {
				if (pool)
					*pool = &cfg->pools[p];
				return &cfg->pools[p].mirrors[m];
			}
		}
	}
	return NULL;
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

const struct mp_addr *mp_check_source(const struct mp_check_cfg *ck, int family)
{
	if (family == AF_INET6)
		return ck->has_source6 ? &ck->source6 : NULL;
	return ck->has_source4 ? &ck->source4 : NULL;
}

bool mp_check_cfg_equal(const struct mp_check_cfg *a,
			const struct mp_check_cfg *b)
{
	if (a->type != b->type || !str_eq(a->url, b->url) ||
	    a->https != b->https || !str_eq(a->host, b->host) ||
	    a->port != b->port || a->interval_ms != b->interval_ms ||
	    a->fast_interval_ms != b->fast_interval_ms ||
	    a->timeout_ms != b->timeout_ms || a->rise != b->rise ||
	    a->fall != b->fall || a->n_expect_status != b->n_expect_status ||
	    !str_eq(a->expect_body, b->expect_body) ||
	    a->has_expect_sha256 != b->has_expect_sha256 ||
	    a->max_age_ms != b->max_age_ms ||
	    a->max_latency_ms != b->max_latency_ms ||
	    a->max_body != b->max_body || a->tls_verify != b->tls_verify ||
	    !str_eq(a->ca_file, b->ca_file) || a->tls_resume != b->tls_resume ||
	    a->tls_full_interval_ms != b->tls_full_interval_ms ||
	    a->tls_expiry_warn_ms != b->tls_expiry_warn_ms ||
	    a->tls_expiry_fail_ms != b->tls_expiry_fail_ms ||
	    a->has_source4 != b->has_source4 ||
	    a->has_source6 != b->has_source6 ||
	    (a->has_source4 && !mp_addr_equal(&a->source4, &b->source4)) ||
	    (a->has_source6 && !mp_addr_equal(&a->source6, &b->source6)))
		return false;
	for (size_t i = 0; i < a->n_expect_status; i++)
		if (a->expect_status[i] != b->expect_status[i])
			return false;
	if (a->has_expect_sha256 &&
	    memcmp(a->expect_sha256, b->expect_sha256, 32) != 0)
		return false;
	return true;
}

static void summary_check(FILE *f, const struct mp_check_cfg *ck)
{
	char a[32], b[32], c[32];

	if (ck->type == MP_CHECK_TCP)
		fprintf(f, "  check tcp port %u", (unsigned)ck->port);
	else
		fprintf(f, "  check http %s",
			ck->url ? ck->url : "URL_PREFIX + path");
	if (ck->has_source4 || ck->has_source6)
		fprintf(f, " from %s%s%s",
			ck->has_source4 ? ck->source4.text : "",
			ck->has_source4 && ck->has_source6 ? "/" : "",
			ck->has_source6 ? ck->source6.text : "");
	fprintf(f, " every %s (fast %s), timeout %s, rise %u, fall %u\n",
		mp_duration_format(ck->interval_ms, a, sizeof(a)),
		mp_duration_format(ck->fast_interval_ms, b, sizeof(b)),
		mp_duration_format(ck->timeout_ms, c, sizeof(c)), ck->rise,
		ck->fall);
	if (ck->type == MP_CHECK_TCP) {
		if (ck->max_latency_ms)
			fprintf(f, "    max_latency %s\n",
				mp_duration_format(ck->max_latency_ms, a,
						   sizeof(a)));
		return;
	}
	fprintf(f, "    expect status");
	for (size_t i = 0; i < ck->n_expect_status; i++)
		fprintf(f, "%s%d", i ? "," : " ", ck->expect_status[i]);
	if (ck->expect_body)
		fprintf(f, ", body contains \"%s\"", ck->expect_body);
	if (ck->has_expect_sha256) {
		fprintf(f, ", sha256 ");
		for (size_t i = 0; i < 32; i++)
			fprintf(f, "%02x", ck->expect_sha256[i]);
	}
	if (ck->max_age_ms)
		fprintf(f, ", max_age %s",
			mp_duration_format(ck->max_age_ms, a, sizeof(a)));
	if (ck->max_latency_ms)
		fprintf(f, ", max_latency %s",
			mp_duration_format(ck->max_latency_ms, a, sizeof(a)));
	fprintf(f, ", max_body %llu", (unsigned long long)ck->max_body);
	if (ck->https)
		fprintf(f, ", tls_verify %s%s%s", ck->tls_verify ? "yes" : "NO",
			ck->ca_file ? ", ca_file " : "",
			ck->ca_file ? ck->ca_file : "");
	fputc('\n', f);
}

static void summary_key(FILE *f, const struct mp_config *cfg)
{
	const char *from = cfg->dns.key_file ? "from " : "inline in dns.key";
	const char *file = cfg->dns.key_file ? cfg->dns.key_file : "";

	if (cfg->key) {
		fprintf(f, "key: %s (%s, %s%s)\n", mp_tsig_key_name(cfg->key),
			mp_tsig_alg_short_name(mp_tsig_key_alg(cfg->key)), from,
			file);
	} else {
		fprintf(f, "key: not loaded (%s%s%s%s)\n", from, file,
			cfg->dns.key_name ? ", key_name " : "",
			cfg->dns.key_name ? cfg->dns.key_name : "");
	}
}

static void summary_vantage(FILE *f, const struct mp_config *cfg)
{
	const struct mp_vantage_cfg *v = &cfg->vantage;
	char a[32], b[32], name[300];

	if (!v->enabled) {
		if (cfg->node)
			fprintf(f,
				"node: %s (no vantage group: a single "
				"agent)\n",
				cfg->node);
		return;
	}
	fprintf(f, "vantage: node %s, %s, quorum %u of", cfg->node,
		v->role == MP_ROLE_WRITER ? "writer" : "observer", v->quorum);
	for (size_t i = 0; i < v->n_nodes; i++)
		fprintf(f, "%s%s", i ? ", " : " ", v->nodes[i]);
	fprintf(f,
		"; view at %s TXT; max_age %s, publish_interval %s, "
		"fallback %s\n",
		mp_vantage_view_name(v, cfg->node, name, sizeof(name)),
		mp_duration_format(v->max_age_ms, a, sizeof(a)),
		mp_duration_format(v->publish_interval_ms, b, sizeof(b)),
		v->fallback == MP_FALLBACK_LOCAL ? "local" : "freeze");
}

const char *mp_vantage_view_name(const struct mp_vantage_cfg *v,
				 const char *node, char *buf, size_t len)
{
	int n;

	if (!v->views || !node)
		return NULL;
	n = snprintf(buf, len, "%s.%s", node, v->views);
	return n < 0 || (size_t)n >= len ? NULL : buf;
}

void mp_config_warnings(const struct mp_config *cfg, struct mp_diag *d)
{
	const char *where = cfg->dns.key_file ? cfg->dns.key_file : NULL;
	char name[256];

	if (cfg->key && mp_tsig_alg_deprecated(mp_tsig_key_alg(cfg->key)))
		mp_diag_add(d, where, 0,
			    "key %s uses %s, which is deprecated for TSIG "
			    "(RFC 8945 section 6); it works, but make a new "
			    "key with `tsig-keygen -a hmac-sha256 %s` and "
			    "install it on the primary",
			    mp_tsig_key_name(cfg->key),
			    mp_tsig_alg_short_name(mp_tsig_key_alg(cfg->key)),
			    mp_name_text(mp_tsig_key_name(cfg->key), name,
					 sizeof(name)));
}

char *mp_config_summary(const struct mp_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	char a[32], b[32], c[32], d[32];
	FILE *f;

	if (!cfg)
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(
	    f,
	    "dns: server %s port %u zone %s transport %s timeout %s "
	    "reconcile %s%s\n",
	    cfg->dns.server, (unsigned)cfg->dns.port, cfg->dns.zone,
	    cfg->dns.transport == MP_TRANSPORT_TCP ? "tcp" : "udp",
	    mp_duration_format(cfg->dns.timeout_ms, a, sizeof(a)),
	    mp_duration_format(cfg->dns.reconcile_interval_ms, b, sizeof(b)),
	    cfg->dns.dry_run ? " dry_run (no UPDATE is sent)" : "");
	summary_key(f, cfg);
	fprintf(f, "update: min_interval %s, max_per_hour %u\n",
		mp_duration_format(cfg->update.min_interval_ms, a, sizeof(a)),
		cfg->update.max_per_hour);
	fprintf(f,
		"damping: penalty %u, suppress %u, reuse %u, half_life %s, "
		"max_suppress %s\n",
		cfg->damping.penalty, cfg->damping.suppress, cfg->damping.reuse,
		mp_duration_format(cfg->damping.half_life_ms, c, sizeof(c)),
		mp_duration_format(cfg->damping.max_suppress_ms, d, sizeof(d)));
	fprintf(f, "guard: all_down_freeze %s, sentinels",
		cfg->guard.all_down_freeze ? "yes" : "no");
	if (cfg->guard.n_sentinels == 0)
		fprintf(f, " none");
	for (size_t i = 0; i < cfg->guard.n_sentinels; i++)
		fprintf(f, " %s", cfg->guard.sentinels[i]);
	fputc('\n', f);
	fprintf(f, "control: socket %s mode %04o group %s\n",
		cfg->control.socket, cfg->control.mode,
		cfg->control.group ? cfg->control.group : "(own)");
	summary_vantage(f, cfg);
	if (cfg->state_write_interval_ms)
		fprintf(f, "state_file: %s, written at most every %s\n",
			cfg->state_file,
			mp_duration_format(cfg->state_write_interval_ms, a,
					   sizeof(a)));
	else
		fprintf(f, "state_file: %s, written at every change\n",
			cfg->state_file);
	if (cfg->metrics_file)
		fprintf(f, "metrics_file: %s\n", cfg->metrics_file);
	for (size_t p = 0; p < cfg->n_pools; p++) {
		const struct mp_pool_cfg *pool = &cfg->pools[p];

		fprintf(f, "pool %s ttl %u min_healthy %u max_published %u%s",
			pool->name, pool->ttl, pool->min_healthy,
			pool->max_published,
			pool->max_published ? "" : " (all)");
		if (pool->rotate_ms) {
			char rd[32];
			mp_duration_human(pool->rotate_ms, rd, sizeof(rd));
			fprintf(f, " rotate %s", rd);
		}
		fputc('\n', f);
		summary_check(f, &pool->check);
		for (size_t m = 0; m < pool->n_mirrors; m++) {
			const struct mp_mirror_cfg *mr = &pool->mirrors[m];
			fprintf(f, "  mirror %s weight %u%s:", mr->name,
				mr->weight, mr->weight ? "" : " (disabled)");
			for (size_t k = 0; k < mr->n_addrs; k++)
				fprintf(f, " %s", mr->addrs[k].text);
			fputc('\n', f);
		}
	}
	for (size_t j = 0; j < cfg->n_json_pools; j++) {
		const struct mp_json_pool_cfg *jp = &cfg->json_pools[j];

		fprintf(f,
			"json pool %s min_healthy %u%s\n  source %s\n"
			"  output %s\n",
			jp->name, jp->min_healthy,
			jp->check_disabled ? " check_disabled" : "", jp->source,
			jp->output);
		summary_check(f, &jp->check);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

const char *mp_name_text(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	if (n > 1 && name[n - 1] == '.')
		n--;
	snprintf(buf, len, "%.*s", (int)n, name);
	return buf;
}
