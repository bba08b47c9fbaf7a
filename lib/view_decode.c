/* Decoding a vantage point's view from its TXT form (see view.h): every
 * record checked, and a clear message naming the first problem. */
#include "view.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* The longest pool name (an absolute domain name) in a view. */
#define POOL_MAX 254

static int fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return MP_EPROTO;
}

/* A piece of user text quoted for a message: printable ASCII only, at most
 * 48 characters. */
static const char *quote(const char *s, size_t len, char *buf, size_t blen)
{
	size_t o = 0;

	buf[o++] = '"';
	for (size_t i = 0; i < len && o + 6 < blen; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i == 48) {
			o += (size_t)snprintf(buf + o, blen - o, "...");
			break;
		}
		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, blen - o, "\\%03o", c);
		else
			buf[o++] = (char)c;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* Parses decimal digits [s, s+len) into *out; at most max. */
static bool parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* The next space-separated token of [*p, end): *tok and *tl; false at
 * the end. Runs of spaces separate like one. */
static bool next_token(const char **p, const char *end, const char **tok,
		       size_t *tl)
{
	while (*p < end && **p == ' ')
		(*p)++;
	if (*p >= end)
		return false;
	*tok = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	*tl = (size_t)(*p - *tok);
	return true;
}

struct header {
	uint64_t t;
	uint64_t part, parts;
};

static int parse_header(const char *s, size_t len, size_t rec, struct header *h,
			char *why, size_t whylen)
{
	const char *p = s, *end = s + len, *tok;
	size_t tl;
	bool has_t = false, has_p = false;
	char q[80];
	size_t vl = strlen(MP_VIEW_VERSION);

	if (len < vl || memcmp(s, MP_VIEW_VERSION, vl) != 0 ||
	    (len > vl && s[vl] != ' ')) {
		if (len >= 3 && memcmp(s, "mpv", 3) == 0)
			return fail(why, whylen,
				    "record %zu: unsupported view version %s "
				    "(this reader takes %s)",
				    rec, quote(s, len, q, sizeof(q)),
				    MP_VIEW_VERSION);
		return fail(why, whylen,
			    "record %zu: not a mirrorpool view (its first "
			    "string is %s, not \"%s t=... p=...\")",
			    rec, quote(s, len, q, sizeof(q)), MP_VIEW_VERSION);
	}
	p += vl;
	while (next_token(&p, end, &tok, &tl)) {
		const char *eq = memchr(tok, '=', tl);
		if (!eq)
			return fail(why, whylen,
				    "record %zu: header token %s is not "
				    "key=value",
				    rec, quote(tok, tl, q, sizeof(q)));
		if (eq - tok == 1 && tok[0] == 't') {
			if (has_t ||
			    !parse_uint(eq + 1, tl - 2, UINT64_MAX / 2, &h->t))
				return fail(why, whylen,
					    "record %zu: bad or repeated "
					    "time %s",
					    rec, quote(tok, tl, q, sizeof(q)));
			has_t = true;
		} else if (eq - tok == 1 && tok[0] == 'p') {
			const char *sl = memchr(eq + 1, '/', tl - 2);
			if (has_p || !sl ||
			    !parse_uint(eq + 1, (size_t)(sl - eq - 1),
					MP_VIEW_MAX_RECORDS, &h->part) ||
			    !parse_uint(sl + 1, (size_t)(tok + tl - sl - 1),
					MP_VIEW_MAX_RECORDS, &h->parts) ||
			    h->part < 1 || h->part > h->parts)
				return fail(why, whylen,
					    "record %zu: bad or repeated part "
					    "%s (p=PART/PARTS, 1 <= PART <= "
					    "PARTS <= %d)",
					    rec, quote(tok, tl, q, sizeof(q)),
					    MP_VIEW_MAX_RECORDS);
			has_p = true;
		}
		/* other keys: later versions of the header; ignored */
	}
	if (!has_t || !has_p)
		return fail(why, whylen, "record %zu: header lacks %s", rec,
			    !has_t ? "the time (t=)" : "the part (p=)");
	return MP_OK;
}

static bool pool_ok(const char *s, size_t len)
{
	if (len == 0 || len > POOL_MAX || s[len - 1] != '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static int parse_item(const char *tok, size_t tl, size_t rec,
		      struct mp_view *out, char *why, size_t whylen)
{
	const char *eq = NULL, *at;
	char q[80], abuf[MP_ADDR_STRLEN], pool[POOL_MAX + 1];
	size_t al;
	enum mp_verdict vd;
	struct mp_addr a;
	int rc;

	for (size_t i = tl; i > 0; i--)
		if (tok[i - 1] == '=') {
			eq = tok + i - 1;
			break;
		}
	if (!eq)
		return fail(why, whylen,
			    "record %zu, item %s: not ADDRESS=up|down", rec,
			    quote(tok, tl, q, sizeof(q)));
	if ((size_t)(tok + tl - eq - 1) == 2 && memcmp(eq + 1, "up", 2) == 0)
		vd = MP_VERDICT_UP;
	else if ((size_t)(tok + tl - eq - 1) == 4 &&
		 memcmp(eq + 1, "down", 4) == 0)
		vd = MP_VERDICT_DOWN;
	else
		return fail(why, whylen,
			    "record %zu, item %s: the verdict is not up or "
			    "down",
			    rec, quote(tok, tl, q, sizeof(q)));
	at = memchr(tok, '@', (size_t)(eq - tok));
	al = (size_t)((at ? at : eq) - tok);
	if (al == 0 || al >= sizeof(abuf))
		return fail(why, whylen,
			    "record %zu, item %s: not an IP address", rec,
			    quote(tok, tl, q, sizeof(q)));
	memcpy(abuf, tok, al);
	abuf[al] = '\0';
	if (mp_addr_parse(abuf, &a) != MP_OK)
		return fail(why, whylen,
			    "record %zu, item %s: not an IP address", rec,
			    quote(tok, tl, q, sizeof(q)));
	if (at) {
		size_t pl = (size_t)(eq - at - 1);
		if (!pool_ok(at + 1, pl))
			return fail(why, whylen,
				    "record %zu, item %s: not a pool name "
				    "(an absolute, lower-case owner name)",
				    rec, quote(tok, tl, q, sizeof(q)));
		memcpy(pool, at + 1, pl);
		pool[pl] = '\0';
	}
	rc = mp_view_add(out, &a, at ? pool : NULL, vd);
	if (rc == MP_EEXIST)
		return fail(why, whylen,
			    "record %zu, item %s: the address is listed "
			    "twice",
			    rec, quote(tok, tl, q, sizeof(q)));
	if (rc == MP_ESPACE)
		return fail(why, whylen, "more than %d items",
			    MP_VIEW_MAX_ITEMS);
	return rc;
}

static int parse_items(const char *s, size_t len, size_t rec,
		       struct mp_view *out, char *why, size_t whylen)
{
	const char *p = s, *end = s + len, *tok;
	size_t tl;
	int rc;

	while (next_token(&p, end, &tok, &tl)) {
		rc = parse_item(tok, tl, rec, out, why, whylen);
		if (rc != MP_OK)
			return rc;
	}
	return MP_OK;
}

/* Checks that [s, s+len) is printable ASCII. */
static int printable(const unsigned char *s, size_t len, size_t rec, size_t str,
		     char *why, size_t whylen)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return fail(why, whylen,
				    "record %zu, string %zu: byte %zu is not "
				    "printable ASCII (0x%02x)",
				    rec, str, i + 1, s[i]);
	return MP_OK;
}

static int decode_record(const struct mp_txt_record *r, size_t rec,
			 struct header *h, struct mp_view *out, char *why,
			 size_t whylen)
{
	size_t off = 0, str = 0;
	int rc;

	if (r->len == 0)
		return fail(why, whylen, "record %zu is empty", rec);
	while (off < r->len) {
		size_t sl = r->rdata[off];
		const char *s = (const char *)r->rdata + off + 1;

		str++;
		if (off + 1 + sl > r->len)
			return fail(why, whylen,
				    "record %zu, string %zu: its length (%zu) "
				    "runs past the record's end",
				    rec, str, sl);
		rc = printable(r->rdata + off + 1, sl, rec, str, why, whylen);
		if (rc == MP_OK)
			rc = str == 1
				 ? parse_header(s, sl, rec, h, why, whylen)
				 : parse_items(s, sl, rec, out, why, whylen);
		if (rc != MP_OK)
			return rc;
		off += 1 + sl;
	}
	return MP_OK;
}

int mp_view_decode(const struct mp_txt_set *in, struct mp_view *out, char *why,
		   size_t whylen)
{
	bool seen[MP_VIEW_MAX_RECORDS + 1] = {false};
	struct header first = {0, 0, 0};
	int rc = MP_OK;

	mp_view_clear(out);
	why[0] = '\0';
	if (in->n == 0)
		return fail(why, whylen, "no TXT records");
	if (in->n > MP_VIEW_MAX_RECORDS)
		return fail(why, whylen, "%zu TXT records (at most %d)", in->n,
			    MP_VIEW_MAX_RECORDS);
	for (size_t i = 0; i < in->n && rc == MP_OK; i++) {
		struct header h = {0, 0, 0};

		rc = decode_record(&in->v[i], i + 1, &h, out, why, whylen);
		if (rc != MP_OK)
			break;
		if (i == 0)
			first = h;
		else if (h.t != first.t || h.parts != first.parts)
			rc =
			    fail(why, whylen,
				 "record %zu (t=%" PRIu64 ", %" PRIu64
				 " parts) does not belong with "
				 "record 1 (t=%" PRIu64 ", %" PRIu64 " parts): "
				 "a view was read while being replaced",
				 i + 1, h.t, h.parts, first.t, first.parts);
		else if (seen[h.part])
			rc = fail(why, whylen, "part %" PRIu64 " is repeated",
				  h.part);
		if (rc == MP_OK)
			seen[h.part] = true;
	}
	if (rc == MP_OK && in->n != first.parts) {
		for (uint64_t p = 1; p <= first.parts; p++)
			if (!seen[p]) {
				rc = fail(why, whylen,
					  "part %" PRIu64 " of %" PRIu64
					  " is missing",
					  p, first.parts);
				break;
			}
	}
	if (rc == MP_OK)
		out->time_ms = first.t;
	else
		mp_view_clear(out);
	return rc;
}
