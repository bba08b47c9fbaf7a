/*
 * JSON mirror lists: validation with jansson (which reports the line and
 * column of a syntax error), and a small scanner over the validated text
 * that finds where each entry's "weight" number sits, since jansson keeps no
 * offsets of values. Writing the output is then a matter of splicing new
 * numbers into the source text: member order, spacing, escapes, unknown
 * members and the final newline all stay as the operator wrote them.
 */
#include "jsonpool.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "select.h"

#define MAX_WEIGHT 1000000000LL

/* ---- the scanner ------------------------------------------------------ */

struct scan {
	const char *s;
	size_t len, pos;
	/* per entry of the mirrors array, in order */
	size_t *start, *woff, *wlen;
	size_t n, cap;
	bool oom;
};

static void ws(struct scan *sc)
{
	while (sc->pos < sc->len &&
	       (sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\t' ||
		sc->s[sc->pos] == '\n' || sc->s[sc->pos] == '\r'))
		sc->pos++;
}

/* At an opening quote: moves past the closing one; [*a, *b) is the raw
 * content between them. */
static void string_at(struct scan *sc, size_t *a, size_t *b)
{
	sc->pos++;
	*a = sc->pos;
	while (sc->pos < sc->len && sc->s[sc->pos] != '"') {
		if (sc->s[sc->pos] == '\\')
			sc->pos++;
		sc->pos++;
	}
	*b = sc->pos < sc->len ? sc->pos : sc->len;
	if (sc->pos < sc->len)
		sc->pos++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Does the raw key s[0..n) decode to want (ASCII)? Escapes such as
 * "weigh\u0074" count: they are the same key to every JSON reader. */
static bool key_is(const char *s, size_t n, const char *want)
{
	size_t i = 0, j = 0, wl = strlen(want);

	while (i < n) {
		int c = (unsigned char)s[i++];
		if (c == '\\' && i < n) {
			char e = s[i++];
			if (e == 'u' && i + 4 <= n) {
				c = 0;
				for (int k = 0; k < 4; k++) {
					int h = hexval(s[i++]);
					if (h < 0)
						return false;
					c = c * 16 + h;
				}
			} else {
				c = e == 'n'   ? '\n'
				    : e == 't' ? '\t'
				    : e == 'r' ? '\r'
				    : e == 'b' ? '\b'
				    : e == 'f' ? '\f'
					       : e;
			}
		}
		if (j >= wl || c != (unsigned char)want[j])
			return false;
		j++;
	}
	return j == wl;
}

static void value(struct scan *sc);
static void elements(struct scan *sc, bool entries);

/* What an object is to the scanner. */
enum obj_kind {
	OBJ_OTHER = 0, /* skipped */
	OBJ_ENTRY,     /* an entry: where is its "weight" value? */
	OBJ_TOP,       /* the top level: its "mirrors" array holds entries */
};

/* At '{': the members. An entry records where its "weight" member's value
 * is in sc->woff/wlen[sc->n]; the top object scans "mirrors" as entries. */
static void members(struct scan *sc, enum obj_kind kind)
{
	sc->pos++;
	for (;;) {
		size_t a, b, v;

		ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] == '}')
			break;
		if (sc->s[sc->pos] == ',') {
			sc->pos++;
			continue;
		}
		string_at(sc, &a, &b);
		ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == ':')
			sc->pos++;
		ws(sc);
		v = sc->pos;
		if (kind == OBJ_TOP && key_is(sc->s + a, b - a, "mirrors") &&
		    sc->pos < sc->len && sc->s[sc->pos] == '[') {
			elements(sc, true);
			continue;
		}
		value(sc);
		if (sc->pos == v)
			return; /* not JSON the scanner knows: it stops */
		if (kind == OBJ_ENTRY && key_is(sc->s + a, b - a, "weight")) {
			sc->woff[sc->n] = v;
			sc->wlen[sc->n] = sc->pos - v;
		}
	}
	if (sc->pos < sc->len)
		sc->pos++;
}

static void elements(struct scan *sc, bool entries)
{
	sc->pos++;
	for (;;) {
		ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] == ']')
			break;
		if (sc->s[sc->pos] == ',') {
			sc->pos++;
			continue;
		}
		if (!entries) {
			size_t at = sc->pos;

			value(sc);
			if (sc->pos == at)
				return;
			continue;
		}
		if (sc->n == sc->cap) {
			size_t nc = sc->cap ? 2 * sc->cap : 16;
			size_t *a = realloc(sc->start, nc * sizeof(*a));
			size_t *b =
			    a ? realloc(sc->woff, nc * sizeof(*b)) : NULL;
			size_t *c =
			    b ? realloc(sc->wlen, nc * sizeof(*c)) : NULL;
			if (a)
				sc->start = a;
			if (b)
				sc->woff = b;
			if (!c) {
				sc->oom = true;
				return;
			}
			sc->wlen = c;
			sc->cap = nc;
		}
		sc->start[sc->n] = sc->pos;
		sc->woff[sc->n] = sc->wlen[sc->n] = 0;
		if (sc->s[sc->pos] == '{')
			members(sc, OBJ_ENTRY);
		else
			value(sc);
		if (sc->pos == sc->start[sc->n])
			return; /* not JSON the scanner knows: it stops */
		sc->n++;
	}
	if (sc->pos < sc->len)
		sc->pos++;
}

static void value(struct scan *sc)
{
	size_t a, b;

	if (sc->pos >= sc->len)
		return;
	switch (sc->s[sc->pos]) {
	case '"':
		string_at(sc, &a, &b);
		break;
	case '{':
		members(sc, OBJ_OTHER);
		break;
	case '[':
		elements(sc, false);
		break;
	default: /* number, true, false, null */
		while (sc->pos < sc->len && sc->s[sc->pos] != '\0' &&
		       !strchr(",]} \t\r\n", sc->s[sc->pos]))
			sc->pos++;
	}
}

/* The top level: an array of entries, or an object whose "mirrors" member
 * is that array. */
static void top(struct scan *sc)
{
	ws(sc);
	if (sc->pos < sc->len && sc->s[sc->pos] == '[')
		elements(sc, true);
	else if (sc->pos < sc->len && sc->s[sc->pos] == '{')
		members(sc, OBJ_TOP);
}

/* ---- validation ------------------------------------------------------- */

static void where(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int fail_at(const struct mp_jp_list *l, size_t off, const char *file,
		   char *err, size_t errlen, const char *what, size_t idx,
		   const char *url)
{
	int line, col;

	where(l->text, off, &line, &col);
	if (url)
		snprintf(err, errlen, "%s:%d:%d: entry %zu (%.200s): %s", file,
			 line, col, idx + 1, url, what);
	else
		snprintf(err, errlen, "%s:%d:%d: entry %zu: %s", file, line,
			 col, idx + 1, what);
	return MP_EINVAL;
}

static int entry(struct mp_jp_list *l, const struct scan *sc, size_t i,
		 const json_t *e, const char *file, char *err, size_t errlen)
{
	struct mp_jp_mirror *m = &l->mirrors[i];
	const json_t *u = json_object_get(e, "url_prefix");
	const json_t *w = json_object_get(e, "weight");
	const json_t *nm = json_object_get(e, "name");
	const char *why = NULL, *url;
	char host[256], what[300];
	bool https;
	uint16_t port;
	int col;

	if (!json_is_object(e))
		return fail_at(l, sc->start[i], file, err, errlen,
			       "expected an object { \"url_prefix\": ..., "
			       "\"weight\": ... }",
			       i, NULL);
	if (!json_is_string(u))
		return fail_at(l, sc->start[i], file, err, errlen,
			       "\"url_prefix\" is missing or not a string "
			       "(e.g. \"https://mirror.example.net/tails/\")",
			       i, NULL);
	url = json_string_value(u);
	if (mp_config_url_parse(url, &https, host, sizeof(host), &port, &why) !=
	    MP_OK) {
		snprintf(what, sizeof(what),
			 "url_prefix is not an http:// or https:// URL: %s",
			 why);
		return fail_at(l, sc->start[i], file, err, errlen, what, i,
			       url);
	}
	if (!json_is_integer(w) || json_integer_value(w) < 0 ||
	    json_integer_value(w) > MAX_WEIGHT || sc->wlen[i] == 0)
		return fail_at(l, sc->wlen[i] ? sc->woff[i] : sc->start[i],
			       file, err, errlen,
			       "\"weight\" must be a non-negative integer (0 "
			       "disables the mirror)",
			       i, url);
	if (nm && (!json_is_string(nm) || json_string_length(nm) == 0))
		return fail_at(l, sc->start[i], file, err, errlen,
			       "\"name\" must be a non-empty string", i, url);
	m->name = strdup(nm ? json_string_value(nm) : host);
	m->url_prefix = strdup(url);
	if (!m->name || !m->url_prefix)
		return MP_ENOMEM;
	m->weight = (unsigned)json_integer_value(w);
	m->weight_off = sc->woff[i];
	m->weight_len = sc->wlen[i];
	where(l->text, sc->start[i], &m->line, &col);
	for (size_t k = 0; k < i; k++)
		if (strcmp(l->mirrors[k].name, m->name) == 0) {
			snprintf(what, sizeof(what),
				 "name \"%.100s\" is already used by the "
				 "entry on line %d (give one of them a "
				 "\"name\" member)",
				 m->name, l->mirrors[k].line);
			return fail_at(l, sc->start[i], file, err, errlen, what,
				       i, url);
		}
	return MP_OK;
}

int mp_jp_parse(const char *text, size_t len, const char *file,
		struct mp_jp_list **out, char *err, size_t errlen)
{
	struct mp_jp_list *l = calloc(1, sizeof(*l));
	struct scan sc = {0};
	json_error_t je;
	json_t *root = NULL;
	const json_t *arr;
	int rc = MP_OK;

	*out = NULL;
	if (!l || !(l->text = malloc(len + 1))) {
		free(l);
		return MP_ENOMEM;
	}
	memcpy(l->text, text, len);
	l->text[len] = '\0';
	l->len = len;
	/* JSON has no place for a raw NUL byte, and jansson stops reading at
	 * one instead of refusing the file */
	if (memchr(text, '\0', len)) {
		int line, col;

		where(l->text,
		      (size_t)((const char *)memchr(text, '\0', len) - text),
		      &line, &col);
		snprintf(err, errlen, "%s:%d:%d: a NUL byte (not JSON text)",
			 file, line, col);
		rc = MP_EINVAL;
		goto fail;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", file, je.line, je.column,
			 je.text);
		rc = MP_EINVAL;
		goto fail;
	}
	arr = json_is_array(root) ? root : json_object_get(root, "mirrors");
	if (!json_is_array(arr)) {
		snprintf(err, errlen,
			 "%s:1:1: expected an array of mirrors, or an object "
			 "with a \"mirrors\" array",
			 file);
		rc = MP_EINVAL;
		goto fail;
	}
	sc.s = l->text;
	sc.len = len;
	top(&sc);
	if (sc.oom) {
		rc = MP_ENOMEM;
		goto fail;
	}
	if (sc.n != json_array_size(arr)) {
		snprintf(err, errlen,
			 "%s: %zu entries where the JSON parser found %zu; "
			 "the file is not JSON as mirrorpool reads it",
			 file, sc.n, json_array_size(arr));
		rc = MP_EINVAL;
		goto fail;
	}
	l->mirrors = calloc(sc.n + 1, sizeof(*l->mirrors));
	if (!l->mirrors) {
		rc = MP_ENOMEM;
		goto fail;
	}
	l->n = sc.n;
	for (size_t i = 0; i < sc.n && rc == MP_OK; i++)
		rc =
		    entry(l, &sc, i, json_array_get(arr, i), file, err, errlen);
	if (rc != MP_OK)
		goto fail;
	*out = l;
	l = NULL;
fail:
	if (rc == MP_ENOMEM)
		snprintf(err, errlen, "%s: out of memory", file);
	json_decref(root);
	free(sc.start);
	free(sc.woff);
	free(sc.wlen);
	mp_jp_list_free(l);
	return rc;
}

void mp_jp_list_free(struct mp_jp_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->mirrors[i].name);
		free(l->mirrors[i].url_prefix);
	}
	free(l->mirrors);
	free(l->text);
	free(l);
}

size_t mp_jp_find(const struct mp_jp_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->mirrors[i].name, name) == 0)
			return i;
	return l->n;
}

/* ---- output ----------------------------------------------------------- */

char *mp_jp_render(const struct mp_jp_list *l, const unsigned *weight,
		   size_t *len)
{
	size_t cap = l->len + l->n * 12 + 1, o = 0, from = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	/* entries are in text order, so one pass splices them all */
	for (size_t i = 0; i < l->n; i++) {
		const struct mp_jp_mirror *m = &l->mirrors[i];
		if (weight[i] == m->weight)
			continue;
		memcpy(out + o, l->text + from, m->weight_off - from);
		o += m->weight_off - from;
		o += (size_t)snprintf(out + o, cap - o, "%u", weight[i]);
		from = m->weight_off + m->weight_len;
	}
	memcpy(out + o, l->text + from, l->len - from);
	o += l->len - from;
	out[o] = '\0';
	*len = o;
	return out;
}

/* ---- the rules -------------------------------------------------------- */

int mp_jp_decide(const struct mp_jp_list *l, const struct mp_jp_state *st,
		 unsigned min_healthy, bool frozen, unsigned *weight,
		 struct mp_jp_decision *d)
{
	struct mp_select_item *items = calloc(l->n + 1, sizeof(*items));
	bool *publish = calloc(l->n + 1, sizeof(*publish));
	struct mp_select_params sp = {
	    .min_healthy = min_healthy, .max_published = 0, .frozen = frozen};
	struct mp_select_result res;
	int rc = MP_OK;

	memset(d, 0, sizeof(*d));
	if (!items || !publish) {
		rc = MP_ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < l->n; i++) {
		items[i].mirror = l->mirrors[i].name;
		items[i].weight = l->mirrors[i].weight;
		items[i].up = st[i].up && !st[i].stale;
		items[i].drained = st[i].drained;
		items[i].suppressed = st[i].suppressed;
		items[i].published = st[i].published;
		items[i].latency_ms = UINT32_MAX;
		items[i].last_ok_at_ms = st[i].last_ok_at;
	}
	mp_select(items, l->n, &sp, publish, &res);
	for (size_t i = 0; i < l->n; i++) {
		weight[i] = publish[i] ? l->mirrors[i].weight : 0;
		if (weight[i] > 0)
			d->n_published++;
	}
	d->n_candidates = res.n_candidates;
	d->n_floor_kept = res.n_floor_kept;
	d->n_freeze_kept = res.n_freeze_kept;
	d->n_empty_kept = res.n_empty_kept;
	d->below_floor = res.below_floor;
cleanup:
	free(items);
	free(publish);
	return rc;
}
