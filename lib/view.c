/* A vantage point's view and its TXT form (see view.h). */
#include "view.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* "mpv1 t=18446744073709551615 p=64/64" */
#define HEADER_MAX 40

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
