/*
 * The json_pools list of the configuration: each a mirrors.json (`source`)
 * whose weights follow the mirrors' health in `output`, checked at each
 * entry's url_prefix + check.path with the global check's settings
 * overridden key by key.
 */
#include "config.h"
#include "config_value.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const json_pool_keys[] = {
    "name", "source", "output", "check", "min_healthy", "check_disabled", NULL};
/* A JSON pool's check: what an HTTP check takes, except the URL, which
 * comes from each entry; `path` is appended to it. */
static const char *const json_check_keys[] = {
    "path",	   "interval",	    "fast_interval", "timeout",	      "rise",
    "fall",	   "expect_status", "expect_body",   "expect_sha256", "max_age",
    "max_latency", "max_body",	    "tls_verify",    "ca_file",	      NULL};

static bool name_ok(const char *v)
{
	if (!*v || strlen(v) > 63)
		return false;
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		      (*v >= '0' && *v <= '9') || *v == '-' || *v == '_' ||
		      *v == '.'))
			return false;
	return true;
}

static void parse_name(struct mp_cfg_loader *l, const config_setting_t *g,
		       const char *ctx, size_t idx, struct mp_json_pool_cfg *jp)
{
	const config_setting_t *s = mp_cfg_member(g, "name");
	char path[96], q[96];
	const char *v;

	mp_cfg_key_path(ctx, "name", path, sizeof(path));
	if (!s) {
		mp_cfg_err(l, g,
			   "%s: missing required key \"name\" (e.g. name = "
			   "\"tails-mirrors\";)",
			   ctx);
		return;
	}
	if (!mp_cfg_str(l, s, path, "a name such as \"tails-mirrors\"", &v))
		return;
	if (!name_ok(v)) {
		mp_cfg_err(l, s,
			   "%s: %s is not a pool name (letters, digits, '-', "
			   "'_' and '.', at most 63)",
			   path, mp_cfg_quote(v, q, sizeof(q)));
		return;
	}
	for (size_t k = 0; k < idx; k++)
		if (l->cfg->json_pools[k].name &&
		    strcmp(l->cfg->json_pools[k].name, v) == 0) {
			mp_cfg_err(l, s,
				   "%s: json pool %s is defined twice (line "
				   "%d)",
				   path, mp_cfg_quote(v, q, sizeof(q)),
				   l->cfg->json_pools[k].line);
			return;
		}
	if (mp_config_pool(l->cfg, v)) {
		mp_cfg_err(l, s, "%s: %s is already the name of a DNS pool",
			   path, mp_cfg_quote(v, q, sizeof(q)));
		return;
	}
	jp->name = mp_cfg_strdup(l, v);
}

static char *required_file(struct mp_cfg_loader *l, const config_setting_t *g,
			   const char *ctx, const char *key,
			   const char *example)
{
	const config_setting_t *s = mp_cfg_member(g, key);
	char path[96];

	mp_cfg_key_path(ctx, key, path, sizeof(path));
	if (!s) {
		mp_cfg_err(l, g, "%s: missing required key \"%s\" (%s)", ctx,
			   key, example);
		return NULL;
	}
	return mp_cfg_file(l, s, path, false);
}

static void parse_check_group(struct mp_cfg_loader *l,
			      const config_setting_t *g, const char *ctx,
			      const config_setting_t *global_check,
			      struct mp_json_pool_cfg *jp)
{
	const config_setting_t *own = mp_cfg_group(l, g, ctx, "check"), *s;
	char ck_ctx[64], where[80], path[96];
	const char *v;

	snprintf(ck_ctx, sizeof(ck_ctx), "%s.check", ctx);
	if (own) {
		snprintf(where, sizeof(where), "in %s", ck_ctx);
		mp_cfg_check_unknown(l, own, where, json_check_keys);
	}
	mp_cfg_parse_check(l, own, ck_ctx, global_check, g, ctx, false,
			   &jp->check);
	/* the URL is each entry's; the global check's is not inherited */
	free(jp->check.url);
	free(jp->check.host);
	jp->check.url = jp->check.host = NULL;
	jp->check.https = false;
	jp->check.port = 0;
	if (jp->check.type != MP_CHECK_HTTP)
		mp_cfg_err(l, own ? own : g,
			   "%s: a JSON pool's mirrors are checked over "
			   "HTTP(S) at url_prefix + path; the global check is "
			   "type tcp (give the pool a check group with a "
			   "path)",
			   ck_ctx);
	jp->check.type = MP_CHECK_HTTP;
	s = mp_cfg_member(own, "path");
	mp_cfg_key_path(ck_ctx, "path", path, sizeof(path));
	if (s &&
	    mp_cfg_str(l, s, path, "a path such as \"project/trace\"", &v)) {
		bool bad = false;
		for (const char *c = v; *c; c++)
			if ((unsigned char)*c <= ' ' || *c == '#' ||
			    (unsigned char)*c >= 0x7f)
				bad = true;
		if (bad)
			mp_cfg_err(l, s,
				   "%s: spaces, control characters and '#' "
				   "are not allowed in a URL path (percent-"
				   "encode them)",
				   path);
		else
			jp->path = mp_cfg_strdup(l, v);
	}
	if (!jp->path)
		jp->path = mp_cfg_strdup(l, "");
}

static void parse_json_pool(struct mp_cfg_loader *l, const config_setting_t *g,
			    size_t idx, const config_setting_t *global_check)
{
	struct mp_json_pool_cfg *jp = &l->cfg->json_pools[idx];
	char ctx[32], where[48], path[96];

	jp->min_healthy = 2;
	jp->line = (int)config_setting_source_line(g);
	snprintf(ctx, sizeof(ctx), "json_pools[%zu]", idx);
	snprintf(where, sizeof(where), "in %s", ctx);
	mp_cfg_check_unknown(l, g, where, json_pool_keys);
	parse_name(l, g, ctx, idx, jp);
	jp->source = required_file(l, g, ctx, "source",
				   "the operator's list, e.g. source = "
				   "\"/srv/tails/website/mirrors.json\";");
	jp->output = required_file(l, g, ctx, "output",
				   "the list to serve, e.g. output = "
				   "\"/var/www/tails/mirrors.json\";");
	if (jp->source && jp->output && strcmp(jp->source, jp->output) == 0)
		mp_cfg_err(l, mp_cfg_member(g, "output"),
			   "%s.output: is the same file as source; the "
			   "source must stay as the operator wrote it",
			   ctx);
	for (size_t k = 0; k < idx && jp->output; k++)
		if (l->cfg->json_pools[k].output &&
		    strcmp(l->cfg->json_pools[k].output, jp->output) == 0)
			mp_cfg_err(l, mp_cfg_member(g, "output"),
				   "%s.output: json_pools[%zu] writes the same "
				   "file",
				   ctx, k);
	mp_cfg_key_path(ctx, "min_healthy", path, sizeof(path));
	mp_cfg_uint(l, mp_cfg_member(g, "min_healthy"), path, 0, 10000,
		    &jp->min_healthy);
	mp_cfg_key_path(ctx, "check_disabled", path, sizeof(path));
	mp_cfg_bool(l, mp_cfg_member(g, "check_disabled"), path,
		    &jp->check_disabled);
	parse_check_group(l, g, ctx, global_check, jp);
}

void mp_cfg_parse_json_pools(struct mp_cfg_loader *l,
			     const config_setting_t *root,
			     const config_setting_t *global_check)
{
	const config_setting_t *s = mp_cfg_member(root, "json_pools");
	int len;

	if (!s)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		mp_cfg_err(l, s,
			   "json_pools: expected a list ( { name = ...; "
			   "source = ...; output = ...; } ), got %s",
			   mp_cfg_type_name(s));
		return;
	}
	len = config_setting_length(s);
	l->cfg->json_pools =
	    calloc((size_t)len + 1, sizeof(struct mp_json_pool_cfg));
	if (!l->cfg->json_pools) {
		l->oom = true;
		return;
	}
	for (int i = 0; i < len; i++) {
		const config_setting_t *g =
		    config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			mp_cfg_err(l, g,
				   "json_pools[%d]: expected a group { name "
				   "= ...; source = ...; output = ...; }, got "
				   "%s",
				   i, mp_cfg_type_name(g));
			continue;
		}
		parse_json_pool(l, g, l->cfg->n_json_pools, global_check);
		l->cfg->n_json_pools++;
	}
}
