/* A vantage point's view and its TXT form (see view.h). */
#include "view.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* "mpv1 t=18446744073709551615 p=64/64" */
#define HEADER_MAX 40
#define POOL_MAX 254

const char *mp_verdict_name(enum mp_verdict v)
{
	switch (v) {
	case MP_VERDICT_UP:
		return "up";
	case MP_VERDICT_DOWN:
		return "down";
	default:
		return "unknown";
	}
}

void mp_view_init(struct mp_view *v)
{
	memset(v, 0, sizeof(*v));
}

void mp_view_clear(struct mp_view *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->items[i].pool);
	free(v->items);
	mp_view_init(v);
}

static bool same_pool(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static const struct mp_view_item *
find(const struct mp_view *v, const struct mp_addr *a, const char *pool)
{
	for (size_t i = 0; i < v->n; i++)
		if (mp_addr_equal(&v->items[i].addr, a) &&
		    same_pool(v->items[i].pool, pool))
			return &v->items[i];
	return NULL;
}

int mp_view_add(struct mp_view *v, const struct mp_addr *a, const char *pool,
		enum mp_verdict verdict)
{
	struct mp_view_item *it;

	if (find(v, a, pool))
		return MP_EEXIST;
	if (v->n >= MP_VIEW_MAX_ITEMS)
		return MP_ESPACE;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		struct mp_view_item *ni = realloc(v->items, cap * sizeof(*ni));
		if (!ni)
			return MP_ENOMEM;
		v->items = ni;
		v->cap = cap;
	}
	it = &v->items[v->n];
	it->addr = *a;
	it->verdict = verdict;
	it->pool = NULL;
	if (pool && !(it->pool = strdup(pool)))
		return MP_ENOMEM;
	v->n++;
	return MP_OK;
}

enum mp_verdict mp_view_lookup(const struct mp_view *v, const struct mp_addr *a,
			       const char *pool)
{
	const struct mp_view_item *it = pool ? find(v, a, pool) : NULL;

	if (!it)
		it = find(v, a, NULL);
	return it ? it->verdict : MP_VERDICT_UNKNOWN;
}

bool mp_view_same_items(const struct mp_view *a, const struct mp_view *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct mp_view_item *o =
		    find(b, &a->items[i].addr, a->items[i].pool);
		if (!o || o->verdict != a->items[i].verdict)
			return false;
	}
	return true;
}

int mp_view_copy(struct mp_view *dst, const struct mp_view *src)
{
	int rc;

	mp_view_clear(dst);
	dst->time_ms = src->time_ms;
	for (size_t i = 0; i < src->n; i++) {
		rc = mp_view_add(dst, &src->items[i].addr, src->items[i].pool,
				 src->items[i].verdict);
		if (rc != MP_OK) {
			mp_view_clear(dst);
			return rc;
		}
	}
	return MP_OK;
}

/* ---- TXT sets ---------------------------------------------------------- */

void mp_txt_set_clear(struct mp_txt_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].rdata);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int mp_txt_set_add(struct mp_txt_set *s, const unsigned char *rdata, size_t len)
{
	struct mp_txt_record *nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	unsigned char *copy = malloc(len ? len : 1);

	if (nv)
		s->v = nv;
	if (!nv || !copy) {
		free(copy);
		return MP_ENOMEM;
	}
	if (len)
		memcpy(copy, rdata, len);
	s->v[s->n].rdata = copy;
	s->v[s->n].len = len;
	s->n++;
	return MP_OK;
}

size_t mp_txt_set_bytes(const struct mp_txt_set *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->v[i].len;
	return n;
}

/* ---- encoding ---------------------------------------------------------- */

/* A record being filled: RDATA bytes after HEADER_MAX + 1 reserved for
 * its header string. */
struct rec {
	unsigned char *buf; /* max_rdata bytes */
	size_t len;
	size_t str_at; /* offset of the length byte of the open string */
	bool open;
};

static int item_text(const struct mp_view_item *it, char *buf, size_t len)
{
	int n;

	if (it->verdict != MP_VERDICT_UP && it->verdict != MP_VERDICT_DOWN)
		return MP_EINVAL;
	if (it->pool)
		n = snprintf(buf, len, "%s@%s=%s", it->addr.text, it->pool,
			     mp_verdict_name(it->verdict));
	else
		n = snprintf(buf, len, "%s=%s", it->addr.text,
			     mp_verdict_name(it->verdict));
	if (n < 0 || (size_t)n >= len || n > MP_TXT_STRING_MAX)
		return MP_ESPACE;
	return n;
}

static void header_text(char *buf, size_t len, uint64_t t, size_t part,
			size_t parts)
{
	snprintf(buf, len, "%s t=%" PRIu64 " p=%zu/%zu", MP_VIEW_VERSION, t,
		 part, parts);
}

static void recs_free(struct rec *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].buf);
	free(r);
}

static int rec_new(struct rec **r, size_t *n, size_t max_rdata)
{
	struct rec *nr;

	if (*n >= MP_VIEW_MAX_RECORDS)
		return MP_ESPACE;
	nr = realloc(*r, (*n + 1) * sizeof(*nr));
	if (!nr)
		return MP_ENOMEM;
	*r = nr;
	nr[*n].buf = malloc(max_rdata);
	if (!nr[*n].buf)
		return MP_ENOMEM;
	nr[*n].len = 1 + HEADER_MAX;
	nr[*n].open = false;
	(*n)++;
	return MP_OK;
}

/* Appends an item of len bytes to c: into the open string when it fits
 * there, else as a new string. The caller made sure it fits c. */
static void rec_put(struct rec *c, const char *item, size_t len)
{
	if (c->open && c->buf[c->str_at] + 1 + len <= MP_TXT_STRING_MAX) {
		c->buf[c->len++] = ' ';
		c->buf[c->str_at] =
		    (unsigned char)(c->buf[c->str_at] + 1 + len);
	} else {
		c->str_at = c->len;
		c->buf[c->len++] = (unsigned char)len;
		c->open = true;
	}
	memcpy(c->buf + c->len, item, len);
	c->len += len;
}

/* Lays the items out into records (*recs, caller frees with recs_free). */
static int layout(const struct mp_view *v, size_t max_rdata, struct rec **recs,
		  size_t *n_recs)
{
	char item[MP_TXT_STRING_MAX + 2];
	int rc;

	*recs = NULL;
	*n_recs = 0;
	/* the first record exists even for an empty view */
	rc = rec_new(recs, n_recs, max_rdata);
	for (size_t i = 0; i < v->n && rc == MP_OK; i++) {
		int len = item_text(&v->items[i], item, sizeof(item));
		if (len < 0)
			return len;
		/* a space or a length byte, then the item */
		if ((*recs)[*n_recs - 1].len + 1 + (size_t)len > max_rdata)
			rc = rec_new(recs, n_recs, max_rdata);
		if (rc == MP_OK)
			rec_put(&(*recs)[*n_recs - 1], item, (size_t)len);
	}
	return rc;
}

int mp_view_encode(const struct mp_view *v, size_t max_rdata,
		   struct mp_txt_set *out)
{
	struct rec *recs = NULL;
	size_t n = 0;
	int rc;

	mp_txt_set_clear(out);
	if (max_rdata < MP_VIEW_MIN_RDATA || max_rdata > 65535)
		return MP_EINVAL;
	rc = layout(v, max_rdata, &recs, &n);
	for (size_t i = 0; i < n && rc == MP_OK; i++) {
		struct rec *c = &recs[i];
		char hdr[HEADER_MAX + 1];
		unsigned char *wire;
		size_t hl, body = c->len - (1 + HEADER_MAX);

		header_text(hdr, sizeof(hdr), v->time_ms, i + 1, n);
		hl = strlen(hdr);
		wire = malloc(1 + hl + body);
		if (!wire) {
			rc = MP_ENOMEM;
			break;
		}
		wire[0] = (unsigned char)hl;
		memcpy(wire + 1, hdr, hl);
		memcpy(wire + 1 + hl, c->buf + 1 + HEADER_MAX, body);
		rc = mp_txt_set_add(out, wire, 1 + hl + body);
		free(wire);
	}
	recs_free(recs, n);
	if (rc != MP_OK)
		mp_txt_set_clear(out);
	return rc;
}

/* ---- decoding ---------------------------------------------------------- */

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
