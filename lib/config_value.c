/*
 * Reading values out of libconfig settings for the configuration loader:
 * typed getters with ranges, domain names and URLs. The messages they
 * report with are in config_msg.c.
 */
#include "config_value.h"
#include "duration.h"
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------------
 * Typed getters: each returns true when the setting is present and valid
 * (and sets *out), false when absent or invalid (and reports the latter).
 */

const config_setting_t *mp_cfg_member(const config_setting_t *g,
				      const char *name)
{
	return g ? config_setting_get_member(g, name) : NULL;
}

bool mp_cfg_int(struct mp_cfg_loader *l, const config_setting_t *s,
		const char *path, long long min, long long max, long long *out)
{
	long long v;
	const char *lit;

	if (!s)
		return false;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		mp_cfg_err(l, s, "%s: expected an integer (%lld..%lld), got %s",
			   path, min, max, mp_cfg_type_name(s));
		return false;
	}
	v = config_setting_get_int64(s);
	/* libconfig wrapped it: the number as written is out of any range */
	if ((lit = mp_cfg_wide(l, s)) != NULL) {
		mp_cfg_err(l, s, "%s: %s is out of range (%lld..%lld)", path,
			   lit, min, max);
		return false;
	}
	if (v < min || v > max) {
		mp_cfg_err(l, s, "%s: %lld is out of range (%lld..%lld)", path,
			   v, min, max);
		return false;
	}
	*out = v;
	return true;
}

bool mp_cfg_uint(struct mp_cfg_loader *l, const config_setting_t *s,
		 const char *path, unsigned min, unsigned max, unsigned *out)
{
	long long v;

	if (!mp_cfg_int(l, s, path, min, max, &v))
		return false;
	*out = (unsigned)v;
	return true;
}

bool mp_cfg_bool(struct mp_cfg_loader *l, const config_setting_t *s,
		 const char *path, bool *out)
{
	if (!s)
		return false;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		mp_cfg_err(l, s, "%s: expected true or false, got %s", path,
			   mp_cfg_type_name(s));
		return false;
	}
	*out = config_setting_get_bool(s) != 0;
	return true;
}

/* A non-empty string. form describes what is accepted. */
bool mp_cfg_str(struct mp_cfg_loader *l, const config_setting_t *s,
		const char *path, const char *form, const char **out)
{
	const char *v;

	if (!s)
		return false;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		mp_cfg_err(l, s, "%s: expected a string (%s), got %s", path,
			   form, mp_cfg_type_name(s));
		return false;
	}
	v = config_setting_get_string(s);
	if (!v || !*v) {
		mp_cfg_err(l, s, "%s: must not be empty (%s)", path, form);
		return false;
	}
	*out = v;
	return true;
}

bool mp_cfg_duration(struct mp_cfg_loader *l, const config_setting_t *s,
		     const char *path, uint64_t min, uint64_t *out)
{
	char q[96], a[32], b[32];
	uint64_t ms = 0;

	if (!s)
		return false;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *v = config_setting_get_string(s);
		int rc = mp_duration_parse(v, &ms);
		if (rc == MP_ERANGE) {
			ms = UINT64_MAX;
		} else if (rc != MP_OK) {
			mp_cfg_err(
			    l, s,
			    "%s: %s is not a duration (" MP_CFG_DURATION_FORM
			    ")",
			    path, mp_cfg_quote(v, q, sizeof(q)));
			return false;
		}
	} else if (config_setting_type(s) == CONFIG_TYPE_INT ||
		   config_setting_type(s) == CONFIG_TYPE_INT64) {
		long long v = config_setting_get_int64(s);
		bool wide = mp_cfg_wide(l, s) != NULL;
		if (v < 0 && !wide) {
			mp_cfg_err(
			    l, s,
			    "%s: %lld is not a duration (" MP_CFG_DURATION_FORM
			    ")",
			    path, v);
			return false;
		}
		ms = wide || (uint64_t)v > UINT64_MAX / 1000
			 ? UINT64_MAX
			 : (uint64_t)v * 1000;
	} else {
		mp_cfg_err(l, s,
			   "%s: expected a duration (" MP_CFG_DURATION_FORM
			   "), got %s",
			   path, mp_cfg_type_name(s));
		return false;
	}
	if (ms < min) {
		mp_cfg_err(l, s, "%s: %s is too short (at least %s)", path,
			   mp_duration_format(ms, a, sizeof(a)),
			   mp_duration_format(min, b, sizeof(b)));
		return false;
	}
	if (ms > MP_CFG_MAX_DURATION_MS) {
		mp_cfg_err(
		    l, s, "%s: too long (at most %s)", path,
		    mp_duration_format(MP_CFG_MAX_DURATION_MS, b, sizeof(b)));
		return false;
	}
	*out = ms;
	return true;
}

/* An absolute path, or one relative to the config file's directory when
 * relative is true. Returns a new string or NULL (reported). */
char *mp_cfg_file(struct mp_cfg_loader *l, const config_setting_t *s,
		  const char *path, bool relative)
{
	const char *v;
	char q[96];

	if (!mp_cfg_str(l, s, path, "an absolute path", &v))
		return NULL;
	if (v[0] == '/')
		return mp_cfg_strdup(l, v);
	if (!relative) {
		mp_cfg_err(l, s,
			   "%s: %s is not an absolute path (start it with "
			   "'/')",
			   path, mp_cfg_quote(v, q, sizeof(q)));
		return NULL;
	}
	return mp_cfg_join(l, l->dir, v);
}

char *mp_cfg_join(struct mp_cfg_loader *l, const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *r = malloc(len);

	if (!r) {
		l->oom = true;
		return NULL;
	}
	snprintf(r, len, "%s/%s", dir, name);
	return r;
}

/* Groups and lists: NULL when absent or of the wrong type (reported). */
const config_setting_t *mp_cfg_group(struct mp_cfg_loader *l,
				     const config_setting_t *parent,
				     const char *ctx, const char *name)
{
	const config_setting_t *s = mp_cfg_member(parent, name);
	char p[128];

	if (!s)
		return NULL;
	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		mp_cfg_err(l, s, "%s: expected a group { ... }, got %s",
			   mp_cfg_key_path(ctx, name, p, sizeof(p)),
			   mp_cfg_type_name(s));
		return NULL;
	}
	return s;
}

bool mp_cfg_is_sequence(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_ARRAY ||
	       config_setting_type(s) == CONFIG_TYPE_LIST;
}

/* ------------------------------------------------------------------------
 * Names, URLs, addresses
 */

/* Makes a domain name absolute and lower-case into out[256]. Returns NULL
 * or what is wrong with it. */
const char *mp_cfg_domain_normalise(const char *in, char *out, size_t outlen)
{
	size_t len = strlen(in), label = 0, j = 0;

	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0)
		return "is empty";
	if (len > 253)
		return "is longer than 253 characters";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '.') {
			if (label == 0)
				return "has an empty label";
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return "has a label longer than 63 characters";
		} else {
			return "has a character other than letters, digits, "
			       "'-', '_' and '.'";
		}
		if (j + 2 >= outlen)
			return "is too long";
		out[j++] = (char)tolower(c);
	}
	out[j++] = '.';
	out[j] = '\0';
	return NULL;
}

/* True when name (absolute, lower-case) is zone or below it. */
bool mp_cfg_in_zone(const char *name, const char *zone)
{
	size_t ln = strlen(name), lz = strlen(zone);

	if (ln == lz)
		return strcmp(name, zone) == 0;
	return ln > lz && name[ln - lz - 1] == '.' &&
	       strcmp(name + ln - lz, zone) == 0;
}

int mp_config_url_parse(const char *url, bool *https, char *host,
			size_t hostlen, uint16_t *port, const char **why)
{
	const char *p, *h, *hend, *rest;
	size_t n;

	*why = NULL;
	for (p = url; *p; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
			*why = "contains a space or a control or non-ASCII "
			       "character (percent-encode it)";
			return MP_EINVAL;
		}
	}
	if (strncasecmp(url, "https://", 8) == 0) {
		*https = true;
		*port = 443;
		h = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		*https = false;
		*port = 80;
		h = url + 7;
	} else {
		*why = "must start with http:// or https://";
		return MP_EINVAL;
	}
	n = strcspn(h, "/?#");
	rest = h + n;
	if (memchr(h, '@', n)) {
		*why = "must not contain user:password@";
		return MP_EINVAL;
	}
	if (*h == '[') {
		unsigned char tmp[16];
		hend = memchr(h, ']', n);
		if (!hend || (size_t)(hend - h - 1) >= hostlen) {
			*why = "has an unterminated [IPv6] host";
			return MP_EINVAL;
		}
		for (size_t i = 0; h + 1 + i < hend; i++)
			host[i] = (char)tolower((unsigned char)h[1 + i]);
		host[hend - h - 1] = '\0';
		if (inet_pton(AF_INET6, host, tmp) != 1) {
			*why = "has an invalid IPv6 address in [ ]";
			return MP_EINVAL;
		}
		p = hend + 1;
	} else {
		hend = memchr(h, ':', n);
		if (!hend)
			hend = rest;
		if (hend == h) {
			*why = "has no host";
			return MP_EINVAL;
		}
		if ((size_t)(hend - h) >= hostlen || hend - h > 253) {
			*why = "has a host name longer than 253 characters";
			return MP_EINVAL;
		}
		for (p = h; p < hend; p++) {
			if (!isalnum((unsigned char)*p) && *p != '-' &&
			    *p != '.' && *p != '_') {
				*why = "has an invalid host name (letters, "
				       "digits, '-', '.'; IPv6 in [ ])";
				return MP_EINVAL;
			}
		}
		for (size_t i = 0; h + i < hend; i++)
			host[i] = (char)tolower((unsigned char)h[i]);
		host[hend - h] = '\0';
		p = hend;
	}
	if (p < rest && *p == ':') {
		unsigned long v = 0;
		const char *d = ++p;
		while (p < rest && isdigit((unsigned char)*p) && v <= 65535)
			v = v * 10 + (unsigned long)(*p++ - '0');
		if (p == d || p != rest || v == 0 || v > 65535) {
			*why = "has an invalid port (1..65535 after the host, "
			       "e.g. https://host:8443/path)";
			return MP_EINVAL;
		}
		*port = (uint16_t)v;
	} else if (p != rest) {
		*why = "has something other than :PORT after the host";
		return MP_EINVAL;
	}
	if (strchr(rest, '#')) {
		*why = "must not contain a #fragment";
		return MP_EINVAL;
	}
	return MP_OK;
}

const char *mp_config_url_target(const char *url)
{
	const char *h = strstr(url, "://");

	h = h ? h + 3 : url;
	return h + strcspn(h, "/?#");
}

/* Validates an http(s) URL setting. */
bool mp_cfg_url(struct mp_cfg_loader *l, const config_setting_t *s,
		const char *path, const char **out, bool *https, char *host,
		size_t hostlen, uint16_t *port)
{
	const char *v, *why;
	char q[96];

	if (!mp_cfg_str(l, s, path, "an http:// or https:// URL", &v))
		return false;
	if (mp_config_url_parse(v, https, host, hostlen, port, &why) != MP_OK) {
		mp_cfg_err(l, s,
			   "%s: %s %s (use e.g. "
			   "\"https://dl.example.org/project/trace\")",
			   path, mp_cfg_quote(v, q, sizeof(q)), why);
		return false;
	}
	*out = v;
	return true;
}
