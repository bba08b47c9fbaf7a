/*
 * Control protocol encoding (SPEC §6). Requests come from local users with
 * socket access and end up in logs and in the state file, so they are
 * checked strictly here, once, before the agent acts on them.
 */
#include "control_proto.h"
#include "duration.h"
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	K_POOL = 1 << 0,
	K_MIRROR = 1 << 1,
	K_ADDRESS = 1 << 2,
	K_REASON = 1 << 3,
	K_FOR = 1 << 4,
	K_FORCE = 1 << 5,
	K_UPDATE = 1 << 6,
};

static const struct {
	const char *name;
	unsigned bit;
} keys[] = {
    {"pool", K_POOL},	  {"mirror", K_MIRROR}, {"address", K_ADDRESS},
    {"reason", K_REASON}, {"for", K_FOR},	{"force", K_FORCE},
    {"update", K_UPDATE},
};

/* Indexed by enum mp_ctl_cmd. */
static const struct {
	const char *name;
	unsigned allowed;
	unsigned required;
} cmds[] = {
    [MP_CTL_STATUS] = {"status", K_POOL, 0},
    [MP_CTL_DRAIN] = {"drain",
		      K_MIRROR | K_ADDRESS | K_REASON | K_FOR | K_FORCE |
			  K_UPDATE,
		      K_MIRROR},
    [MP_CTL_UNDRAIN] = {"undrain", K_MIRROR | K_ADDRESS, K_MIRROR},
    [MP_CTL_CHECK] = {"check", K_MIRROR, 0},
    [MP_CTL_SYNC] = {"sync", 0, 0},
    [MP_CTL_RELOAD] = {"reload", 0, 0},
    [MP_CTL_METRICS] = {"metrics", 0, 0},
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

const char *mp_ctl_cmd_name(enum mp_ctl_cmd cmd)
{
	if ((unsigned)cmd >= N_CMDS)
		return "?";
	return cmds[cmd].name;
}

/* A peer's string, made safe to quote back in an error: printable ASCII
 * only and at most 64 bytes. */
static const char *quote(const char *s, char *buf, size_t len)
{
	size_t i = 0;

	for (; *s && i + 1 < len && i < 64; s++, i++) {
		unsigned char c = (unsigned char)*s;
		buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (*s && i + 4 < len) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* Counts the code points of s (valid UTF-8, as jansson guarantees) and
 * tells whether any is a C0 or C1 control character or DEL. */
static size_t utf8_scan(const char *s, bool *has_control)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	*has_control = false;
	for (; *p; p++) {
		if ((*p & 0xc0) == 0x80)
			continue; /* continuation byte */
		n++;
		if (*p < 0x20 || *p == 0x7f)
			*has_control = true;
		/* U+0080..U+009F are 0xc2 0x80..0x9f */
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			*has_control = true;
	}
	return n;
}

static int parse_name(const char *key, json_t *v, char **out, char *err,
		      size_t errlen)
{
	const char *s;
	bool ctl;

	if (!json_is_string(v)) {
		mp_seterr(err, errlen, "\"%s\" must be a string", key);
		return MP_EINVAL;
	}
	s = json_string_value(v);
	if (json_string_length(v) != strlen(s)) {
		mp_seterr(err, errlen,
			  "\"%s\" must not contain control characters", key);
		return MP_EINVAL;
	}
	if (*s == '\0') {
		mp_seterr(err, errlen, "\"%s\" must not be empty", key);
		return MP_EINVAL;
	}
	if (strlen(s) > MP_CTL_MAX_NAME) {
		mp_seterr(err, errlen, "\"%s\" is longer than %d bytes", key,
			  MP_CTL_MAX_NAME);
		return MP_EINVAL;
	}
	utf8_scan(s, &ctl);
	if (ctl) {
		mp_seterr(err, errlen,
			  "\"%s\" must not contain control characters", key);
		return MP_EINVAL;
	}
	*out = strdup(s);
	if (!*out) {
		mp_seterr(err, errlen, "out of memory");
		return MP_ENOMEM;
	}
	return MP_OK;
}

static int parse_reason(json_t *v, char **out, char *err, size_t errlen)
{
	const char *s;
	bool ctl;
	size_t n;

	if (!json_is_string(v)) {
		mp_seterr(err, errlen, "\"reason\" must be a string");
		return MP_EINVAL;
	}
	s = json_string_value(v);
	n = utf8_scan(s, &ctl);
	if (ctl || json_string_length(v) != strlen(s)) {
		mp_seterr(err, errlen,
			  "\"reason\" must not contain control characters");
		return MP_EINVAL;
	}
	if (n > MP_CTL_MAX_REASON) {
		mp_seterr(err, errlen,
			  "\"reason\" is longer than %d characters",
			  MP_CTL_MAX_REASON);
		return MP_EINVAL;
	}
	*out = strdup(s);
	if (!*out) {
		mp_seterr(err, errlen, "out of memory");
		return MP_ENOMEM;
	}
	return MP_OK;
}

static int parse_address(json_t *v, struct mp_addr *out, char *err,
			 size_t errlen)
{
	char q[72];

	if (!json_is_string(v)) {
		mp_seterr(err, errlen, "\"address\" must be a string");
		return MP_EINVAL;
	}
	if (json_string_length(v) != strlen(json_string_value(v)) ||
	    mp_addr_parse(json_string_value(v), out) < 0) {
		mp_seterr(err, errlen, "invalid address \"%s\"",
			  quote(json_string_value(v), q, sizeof(q)));
		return MP_EINVAL;
	}
	return MP_OK;
}

static int parse_for(json_t *v, uint64_t *out, char *err, size_t errlen)
{
	char q[72];
	const char *s;
	int rc;

	if (!json_is_string(v)) {
		mp_seterr(err, errlen,
			  "\"for\" must be a duration string such as \"2h\"");
		return MP_EINVAL;
	}
	s = json_string_value(v);
	rc = json_string_length(v) != strlen(s) ? MP_EINVAL
						: mp_duration_parse(s, out);
	if (rc == MP_ERANGE || (rc == MP_OK && *out > MP_DURATION_MAX_ADD_MS)) {
		char max[32];
		mp_seterr(
		    err, errlen,
		    "duration \"%s\" is too long (at most %s; drain without "
		    "\"for\" to drain until undrained)",
		    quote(s, q, sizeof(q)),
		    mp_duration_format(MP_DURATION_MAX_ADD_MS, max,
				       sizeof(max)));
		*out = 0;
		return MP_EINVAL;
	}
	if (rc < 0) {
		mp_seterr(err, errlen, "invalid duration \"%s\"",
			  quote(s, q, sizeof(q)));
		return MP_EINVAL;
	}
	/* 0 means "no expiry" in the request; a drain that ends at once is
	 * a mistake worth telling. */
	if (*out == 0) {
		mp_seterr(err, errlen, "\"for\" must be longer than 0");
		return MP_EINVAL;
	}
	return MP_OK;
}

static int parse_key(struct mp_ctl_request *r, unsigned bit, json_t *v,
		     char *err, size_t errlen)
{
	switch (bit) {
	case K_POOL:
		return parse_name("pool", v, &r->pool, err, errlen);
	case K_MIRROR:
		return parse_name("mirror", v, &r->mirror, err, errlen);
	case K_ADDRESS:
		r->has_address = true;
		return parse_address(v, &r->address, err, errlen);
	case K_REASON:
		return parse_reason(v, &r->reason, err, errlen);
	case K_FOR:
		return parse_for(v, &r->for_ms, err, errlen);
	case K_FORCE:
		if (!json_is_boolean(v)) {
			mp_seterr(err, errlen,
				  "\"force\" must be true or false");
			return MP_EINVAL;
		}
		r->force = json_is_true(v);
		return MP_OK;
	case K_UPDATE:
		if (!json_is_boolean(v)) {
			mp_seterr(err, errlen,
				  "\"update\" must be true or false");
			return MP_EINVAL;
		}
		r->update = json_is_true(v);
		return MP_OK;
	}
	return MP_EINVAL;
}

int mp_ctl_request_parse(const char *line, size_t len,
			 struct mp_ctl_request *out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = NULL, *v;
	const char *cmd, *key;
	unsigned seen = 0;
	size_t c, k;
	char q[72];
	int rc = MP_EINVAL;

	memset(out, 0, sizeof(*out));
	mp_seterr(err, errlen, "%s", "");
	if (len > MP_CTL_MAX_LINE) {
		mp_seterr(err, errlen, "request is longer than %d bytes",
			  MP_CTL_MAX_LINE);
		goto cleanup;
	}
	/* DECODE_ANY so that a bare string or number gets the clearer
	 * "must be a JSON object" below. */
	root = json_loadb(line, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
			  &jerr);
	if (!root) {
#if JANSSON_VERSION_HEX >= 0x020b00
		if (json_error_code(&jerr) == json_error_out_of_memory) {
			mp_seterr(err, errlen, "out of memory");
			rc = MP_ENOMEM;
			goto cleanup;
		}
		if (json_error_code(&jerr) == json_error_duplicate_key) {
			mp_seterr(err, errlen, "duplicate key in request");
			goto cleanup;
		}
#endif
		mp_seterr(err, errlen, "request is not valid JSON");
		goto cleanup;
	}
	if (!json_is_object(root)) {
		mp_seterr(err, errlen, "request must be a JSON object");
		goto cleanup;
	}
	v = json_object_get(root, "cmd");
	if (!v) {
		mp_seterr(err, errlen, "missing \"cmd\"");
		goto cleanup;
	}
	if (!json_is_string(v)) {
		mp_seterr(err, errlen, "\"cmd\" must be a string");
		goto cleanup;
	}
	cmd = json_string_value(v);
	for (c = 0; c < N_CMDS; c++)
		if (strcmp(cmd, cmds[c].name) == 0)
			break;
	if (c == N_CMDS || json_string_length(v) != strlen(cmd)) {
		mp_seterr(err, errlen, "unknown command \"%s\"",
			  quote(cmd, q, sizeof(q)));
		goto cleanup;
	}
	out->cmd = (enum mp_ctl_cmd)c;

	json_object_foreach(root, key, v)
	{
		if (strcmp(key, "cmd") == 0)
			continue;
		for (k = 0; k < N_KEYS; k++)
			if (strcmp(key, keys[k].name) == 0)
				break;
		if (k == N_KEYS || !(cmds[c].allowed & keys[k].bit)) {
			mp_seterr(err, errlen, "unknown key \"%s\" for %s",
				  quote(key, q, sizeof(q)), cmds[c].name);
			goto cleanup;
		}
		rc = parse_key(out, keys[k].bit, v, err, errlen);
		if (rc < 0)
			goto cleanup;
		rc = MP_EINVAL;
		seen |= keys[k].bit;
	}
	if ((cmds[c].required & K_MIRROR) && !(seen & K_MIRROR)) {
		mp_seterr(err, errlen, "%s needs \"mirror\"", cmds[c].name);
		goto cleanup;
	}
	rc = MP_OK;

cleanup:
	json_decref(root);
	if (rc < 0)
		mp_ctl_request_clear(out);
	return rc;
}

static int set_str(json_t *o, const char *key, const char *value)
{
	return json_object_set_new(o, key, json_string(value));
}

char *mp_ctl_request_encode(const struct mp_ctl_request *r)
{
	json_t *o = NULL;
	char *s = NULL;
	char dur[32];
	int e = 0;

	if ((unsigned)r->cmd >= N_CMDS)
		return NULL;
	o = json_object();
	if (!o)
		goto cleanup;
	e |= set_str(o, "cmd", cmds[r->cmd].name);
	if ((cmds[r->cmd].allowed & K_POOL) && r->pool)
		e |= set_str(o, "pool", r->pool);
	if ((cmds[r->cmd].allowed & K_MIRROR) && r->mirror)
		e |= set_str(o, "mirror", r->mirror);
	if ((cmds[r->cmd].allowed & K_ADDRESS) && r->has_address)
		e |= set_str(o, "address", r->address.text);
	if ((cmds[r->cmd].allowed & K_REASON) && r->reason)
		e |= set_str(o, "reason", r->reason);
	if ((cmds[r->cmd].allowed & K_FOR) && r->for_ms > 0)
		e |= set_str(o, "for",
			     mp_duration_format(r->for_ms, dur, sizeof(dur)));
	if (cmds[r->cmd].allowed & K_FORCE)
		e |= json_object_set_new(o, "force", json_boolean(r->force));
	if ((cmds[r->cmd].allowed & K_UPDATE) && r->update)
		e |= json_object_set_new(o, "update", json_true());
	if (e == 0)
		s = json_dumps(o, JSON_COMPACT);

cleanup:
	json_decref(o);
	return s;
}

void mp_ctl_request_clear(struct mp_ctl_request *r)
{
	free(r->pool);
	free(r->mirror);
	free(r->reason);
	memset(r, 0, sizeof(*r));
}

char *mp_ctl_reply_ok(json_t *fields)
{
	json_t *o = NULL;
	char *s = NULL;

	if (fields && !json_is_object(fields))
		goto cleanup;
	o = json_object();
	if (!o || json_object_set_new(o, "ok", json_true()) < 0)
		goto cleanup;
	/* "ok" goes first for the reader's eye; a stray "ok" in fields
	 * must not turn a reply around. */
	if (fields && json_object_update_missing(o, fields) < 0)
		goto cleanup;
	s = json_dumps(o, JSON_COMPACT);

cleanup:
	json_decref(fields);
	json_decref(o);
	return s;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

char *mp_ctl_reply_error(const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL, *s = NULL;
	json_t *o = NULL;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		goto cleanup;
	msg = malloc((size_t)n + 1);
	if (!msg)
		goto cleanup;
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	/* Messages may quote what a peer or a mirror sent; jansson refuses
	 * invalid UTF-8, and the error must still get out. */
	for (unsigned char *p = (unsigned char *)msg; *p;) {
		size_t l = utf8_seq(p);
		if (l == 0) {
			*p++ = '?';
			continue;
		}
		p += l;
	}

	o = json_object();
	if (!o || json_object_set_new(o, "ok", json_false()) < 0 ||
	    set_str(o, "error", msg) < 0)
		goto cleanup;
	s = json_dumps(o, JSON_COMPACT);

cleanup:
	json_decref(o);
	free(msg);
	return s;
}

int mp_ctl_reply_parse(const char *line, json_t **obj, bool *ok,
		       const char **error)
{
	json_error_t jerr;
	json_t *root, *okv, *ev = NULL;

	if (obj)
		*obj = NULL;
	if (ok)
		*ok = false;
	if (error)
		*error = NULL;
	root = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root))
		goto fail;
	okv = json_object_get(root, "ok");
	if (!json_is_boolean(okv))
		goto fail;
	if (json_is_false(okv)) {
		ev = json_object_get(root, "error");
		if (!json_is_string(ev))
			goto fail;
	}
	if (ok)
		*ok = json_is_true(okv);
	if (!obj) {
		json_decref(root);
		return MP_OK;
	}
	*obj = root;
	if (error && ev)
		*error = json_string_value(ev);
	return MP_OK;

fail:
	json_decref(root);
	return MP_EPROTO;
}
