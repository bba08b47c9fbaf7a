/*
 * The pools list of the configuration (SPEC §2): each pool, its mirrors and
 * their addresses.
 */
#include "config.h"
#include "config_value.h"
#include "error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const pool_keys[] = {
    "name",   "ttl",   "min_healthy", "max_published",
    "rotate", "check", "mirrors",     NULL};

static const char *const mirror_keys[] = {"name",  "addresses", "weight",
					  "email", "notes",	NULL};

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
		mp_cfg_missing(l, g, ctx, "name", "e.g. name = \"mirror1\";");
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
		mp_cfg_missing(
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
	const config_setting_t *own_check;
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
		mp_cfg_missing(
		    l, g, ctx, "name",
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
	own_check = mp_cfg_group(l, g, ctx, "check");
	if (own_check) {
		snprintf(where, sizeof(where), "in %s", ck_ctx);
		mp_cfg_check_unknown(l, own_check, where, mp_cfg_check_keys);
	}
	mp_cfg_parse_check(l, own_check, ck_ctx, global_check, g, ctx, true,
			   &pool->check);

	s = mp_cfg_member(g, "mirrors");
	if (!s) {
		mp_cfg_missing(
		    l, g, ctx, "mirrors",
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

void mp_cfg_parse_pools(struct mp_cfg_loader *l, const config_setting_t *root,
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
