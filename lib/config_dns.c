/*
 * The dns group of the configuration (SPEC §2): the primary, the zone and
 * the TSIG key, which is loaded after the whole file was read.
 */
#include "config.h"
#include "config_value.h"
#include "error.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const dns_keys[] = {
    "server", "port",	   "zone",    "key_file",	    "key_name",
    "key",    "transport", "timeout", "reconcile_interval", "dry_run",
    NULL};

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

void mp_cfg_parse_dns(struct mp_cfg_loader *l, const config_setting_t *root)
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
	g = mp_cfg_top_group(
	    l, root, "dns",
	    "dns = { server = \"127.0.0.1\"; zone = \"example.org\"; "
	    "key_file = \"/etc/mirrorpool/tsig.key\"; };",
	    dns_keys);
	if (!g)
		return;

	s = mp_cfg_member(g, "server");
	if (!s)
		mp_cfg_missing(l, g, "dns", "server",
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
		mp_cfg_missing(
		    l, g, "dns", "zone",
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

/* ------------------------------------------------------------------------
 * The key
 */

int mp_cfg_load_key(struct mp_cfg_loader *l)
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
void mp_cfg_wipe_inline_key(const config_setting_t *ki)
{
	const char *v = ki ? config_setting_get_string(ki) : NULL;

	if (v)
		sodium_memzero((char *)v, strlen(v));
}
