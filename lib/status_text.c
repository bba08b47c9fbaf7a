/* mirrorpoolctl's human output: the status table, sync and check results. */
#include "status_text.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certwatch.h"
#include "duration.h"
#include "strbuf.h"

/* Display width of UTF-8 text: one column per code point. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Pads to w columns after writing s. */
static void sb_cell(struct mp_strbuf *b, const char *s, size_t w)
{
	size_t have = width(s);

	mp_strbuf_printf(b, "%s%*s", s, (int)(w > have ? w - have : 0), "");
}

/* ------------------------------------------------------------------------
 * Reading the JSON leniently.
 */

/* A string value made safe for a terminal: control characters become '?'.
 * Returns buf; "?" when the key is missing or not a string. */
static const char *jstr(const json_t *o, const char *key, char *buf, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));
	size_t i = 0;

	if (!s) {
		snprintf(buf, len, "?");
		return buf;
	}
	for (; *s && i + 1 < len; s++, i++) {
		unsigned char c = (unsigned char)*s;
		buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	/* Do not leave half a UTF-8 sequence at a cut. */
	if (*s)
		while (i > 0 && ((unsigned char)buf[i - 1] & 0x80))
			if (((unsigned char)buf[--i] & 0xc0) == 0xc0)
				break;
	buf[i] = '\0';
	return buf;
}

static bool jint(const json_t *o, const char *key, json_int_t *v)
{
	json_t *x = json_object_get(o, key);

	if (!json_is_integer(x))
		return false;
	*v = json_integer_value(x);
	return true;
}

static bool jtrue(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

/* "12s ago", "just now", or "in 5m" for a time in the future. */
static const char *when(json_int_t at, uint64_t now_s, char *buf, size_t len)
{
	char d[32];

	if (at < 0) {
		snprintf(buf, len, "?");
	} else if ((uint64_t)at == now_s) {
		snprintf(buf, len, "just now");
	} else if ((uint64_t)at < now_s) {
		mp_duration_human((now_s - (uint64_t)at) * 1000, d, sizeof(d));
		snprintf(buf, len, "%s ago", d);
	} else {
		mp_duration_human(((uint64_t)at - now_s) * 1000, d, sizeof(d));
		snprintf(buf, len, "in %s", d);
	}
	return buf;
}

/* Appends the addresses of a JSON array as "a, b" with a prefix each. */
static void sb_addrs(struct mp_strbuf *b, const json_t *arr, const char *prefix,
		     const char *sep)
{
	char a[64];
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(v);
		snprintf(a, sizeof(a), "%s", s ? s : "?");
		for (char *p = a; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		mp_strbuf_printf(b, "%s%s%s", i ? sep : "", prefix, a);
	}
}

/* True when two JSON arrays of strings hold the same set. */
static bool same_set(const json_t *x, const json_t *y)
{
	size_t i, j;
	json_t *v, *w;

	if (json_array_size(x) != json_array_size(y))
		return false;
	json_array_foreach(x, i, v)
	{
		bool found = false;
		json_array_foreach(y, j, w)
		{
			if (json_equal(v, w)) {
				found = true;
				break;
			}
		}
		if (!found)
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------------
 * RRsets
 */

static void render_rrset(struct mp_strbuf *b, const char *type, const json_t *r,
			 uint64_t now_s)
{
	const json_t *pub = json_object_get(r, "published");
	const json_t *dns = json_object_get(r, "in_dns");
	const json_t *lu = json_object_get(r, "last_update");
	char t[48], rc[32];
	json_int_t at;

	mp_strbuf_printf(b, "  %-5s published    ", type);
	/* what is published is decided against what DNS holds: before the
	 * first read nothing is known, not "(none)" */
	if (!json_is_array(dns))
		mp_strbuf_printf(b, "unknown (DNS not read yet)");
	else if (!json_is_array(pub))
		mp_strbuf_printf(b, "?");
	else if (json_array_size(pub) == 0)
		mp_strbuf_printf(b, "(none)");
	else
		sb_addrs(b, pub, "", " ");
	mp_strbuf_printf(b, "\n        in DNS       ");
	if (!json_is_array(dns))
		mp_strbuf_printf(b, "(not read yet)");
	else if (json_array_size(dns) == 0)
		mp_strbuf_printf(b, "(none)");
	else
		sb_addrs(b, dns, "", " ");
	if (json_is_array(pub) && json_is_array(dns) && !same_set(pub, dns))
		mp_strbuf_printf(b, "  (differs: UPDATE pending)");
	mp_strbuf_printf(b, "\n        last UPDATE  ");
	if (!json_is_object(lu)) {
		mp_strbuf_printf(b, "never\n");
		return;
	}
	mp_strbuf_printf(b, "%s, %s",
			 jint(lu, "at", &at) ? when(at, now_s, t, sizeof(t))
					     : "?",
			 jstr(lu, "rcode", rc, sizeof(rc)));
	if (json_array_size(json_object_get(lu, "added")) == 0 &&
	    json_array_size(json_object_get(lu, "removed")) == 0) {
		mp_strbuf_printf(b, ", no change\n");
		return;
	}
	mp_strbuf_printf(b, ",");
	if (json_array_size(json_object_get(lu, "added")) > 0) {
		mp_strbuf_printf(b, " ");
		sb_addrs(b, json_object_get(lu, "added"), "+", " ");
	}
	if (json_array_size(json_object_get(lu, "removed")) > 0) {
		mp_strbuf_printf(b, " ");
		sb_addrs(b, json_object_get(lu, "removed"), "-", " ");
	}
	mp_strbuf_printf(b, "\n");
}

static void render_rrsets(struct mp_strbuf *b, const json_t *pool,
			  uint64_t now_s)
{
	const json_t *rr = json_object_get(pool, "rrsets");

	render_rrset(b, "A", json_object_get(rr, "A"), now_s);
	render_rrset(b, "AAAA", json_object_get(rr, "AAAA"), now_s);
}

static void render_dns(struct mp_strbuf *b, const json_t *dns)
{
	char s[512];

	if (json_is_string(json_object_get(dns, "last_error")))
		mp_strbuf_printf(b, "DNS last error: %s\n",
				 jstr(dns, "last_error", s, sizeof(s)));
}

/* ------------------------------------------------------------------------
 * The mirror table
 */

enum {
	C_MIRROR = 0,
	C_ADDRESS,
	C_STATE,
	C_PUBLISHED,
	C_CHECK,
	C_LATENCY,
	N_COLS
};

static const char *const col_names[N_COLS] = {
    "MIRROR", "ADDRESS", "STATE", "PUBLISHED", "LAST CHECK", "LATENCY",
};

/* A table row, or a note line under the rows (cell[0] holds the note). */
struct trow {
	char *cell[N_COLS];
	bool note;
};

struct table {
	struct trow *rows;
	size_t n, cap;
	bool oom;
};

/* Adds a row; the cells are copied. For a note only c[0] counts. */
static void table_add(struct table *t, bool note, const char *const *c)
{
	struct trow *r;

	if (t->oom)
		return;
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		struct trow *nr = realloc(t->rows, ncap * sizeof(*nr));
		if (!nr) {
			t->oom = true;
			return;
		}
		t->rows = nr;
		t->cap = ncap;
	}
	r = &t->rows[t->n];
	memset(r, 0, sizeof(*r));
	r->note = note;
	for (int i = 0; i < (note ? 1 : N_COLS); i++) {
		r->cell[i] = strdup(c[i] ? c[i] : "");
		if (!r->cell[i]) {
			for (int j = 0; j < i; j++)
				free(r->cell[j]);
			t->oom = true;
			return;
		}
	}
	t->n++;
}

static void table_note(struct table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void table_note(struct table *t, const char *fmt, ...)
{
	char buf[1024];
	const char *c[1] = {buf};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	table_add(t, true, c);
}

static void table_render(struct mp_strbuf *b, struct table *t,
			 const char *indent)
{
	size_t w[N_COLS];
	int i;

	for (i = 0; i < N_COLS; i++)
		w[i] = width(col_names[i]);
	for (size_t r = 0; r < t->n; r++)
		for (i = 0; !t->rows[r].note && i < N_COLS; i++)
			if (width(t->rows[r].cell[i]) > w[i])
				w[i] = width(t->rows[r].cell[i]);
	mp_strbuf_printf(b, "%s", indent);
	for (i = 0; i < N_COLS - 1; i++) {
		sb_cell(b, col_names[i], w[i]);
		mp_strbuf_printf(b, "  ");
	}
	mp_strbuf_printf(b, "%s\n", col_names[N_COLS - 1]);
	for (size_t r = 0; r < t->n; r++) {
		if (t->rows[r].note) {
			mp_strbuf_printf(b, "%s  %s\n", indent,
					 t->rows[r].cell[0]);
			continue;
		}
		mp_strbuf_printf(b, "%s", indent);
		for (i = 0; i < N_COLS - 1; i++) {
			sb_cell(b, t->rows[r].cell[i], w[i]);
			mp_strbuf_printf(b, "  ");
		}
		mp_strbuf_printf(b, "%s\n", t->rows[r].cell[N_COLS - 1]);
	}
}

static void table_free(struct table *t)
{
	for (size_t r = 0; r < t->n; r++)
		for (int i = 0; i < N_COLS; i++)
			free(t->rows[r].cell[i]);
	free(t->rows);
}

/* "\"disk swap\" by alice (uid 1000), since 10m ago, until in 1h" */
static void drain_text(const json_t *d, uint64_t now_s, char *buf, size_t len)
{
	char reason[256], quoted[260], by[80], since[48], until[56], t[48];
	json_int_t uid = -1, at;

	if (json_is_string(json_object_get(d, "reason")))
		snprintf(quoted, sizeof(quoted), "\"%s\"",
			 jstr(d, "reason", reason, sizeof(reason)));
	else
		snprintf(quoted, sizeof(quoted), "(no reason given)");
	jint(d, "uid", &uid);
	if (!jint(d, "since", &at))
		at = -1;
	when(at, now_s, since, sizeof(since));
	if (jint(d, "until", &at))
		snprintf(until, sizeof(until), "until %s",
			 when(at, now_s, t, sizeof(t)));
	else
		snprintf(until, sizeof(until), "no expiry");
	snprintf(buf, len, "%s by %s (uid %lld), since %s, %s%s", quoted,
		 jstr(d, "by", by, sizeof(by)), (long long)uid, since, until,
		 jtrue(d, "force") ? ", forced" : "");
}

/* "ams1 down, nyc1 up 12s, sgp1 none (stale)": a node list of the
 * vantage group, from the status "votes" or "vantage.nodes" array. */
static void vantage_list(const json_t *arr, char *buf, size_t len)
{
	char node[80], vote[16];
	size_t i, off = 0;
	json_int_t age;
	json_t *x;

	buf[0] = '\0';
	json_array_foreach(arr, i, x)
	{
		int w =
		    snprintf(buf + off, len - off, "%s%s%s%s", i ? ", " : "",
			     jstr(x, "node", node, sizeof(node)),
			     json_object_get(x, "vote") ? " " : "",
			     json_object_get(x, "vote")
				 ? jstr(x, "vote", vote, sizeof(vote))
				 : "");
		if (w < 0 || (size_t)w >= len - off)
			return;
		off += (size_t)w;
		if (jint(x, "age_s", &age) && age > 0)
			off += (size_t)snprintf(buf + off, len - off, " %llds",
						(long long)age);
		else if (json_is_null(json_object_get(x, "age_s")))
			off += (size_t)snprintf(buf + off, len - off,
						" (no view)");
		if (off < len && jtrue(x, "stale") &&
		    !json_is_null(json_object_get(x, "age_s")))
			off +=
			    (size_t)snprintf(buf + off, len - off, " (stale)");
		if (off >= len)
			return;
	}
}

/* "192.0.2.1 certificate expires in 2d 23h; subject /CN=..., issuer /CN=..."
 * (the certificate watch: what the last full TLS handshake showed) */
static void cert_note(struct table *t, const json_t *a, const char *addr,
		      json_int_t not_after, uint64_t now_s)
{
	char left[32], subj[256], iss[256];

	mp_cert_left_format((int64_t)not_after - (int64_t)now_s, left,
			    sizeof(left));
	if (json_is_string(json_object_get(a, "tls_cert_subject")) ||
	    json_is_string(json_object_get(a, "tls_cert_issuer")))
		table_note(
		    t, "%s certificate %s%s; subject %s, issuer %s", addr,
		    not_after > (json_int_t)now_s ? "expires in " : "", left,
		    jstr(a, "tls_cert_subject", subj, sizeof(subj)),
		    jstr(a, "tls_cert_issuer", iss, sizeof(iss)));
	else
		table_note(t, "%s certificate %s%s", addr,
			   not_after > (json_int_t)now_s ? "expires in " : "",
			   left);
}

static void address_rows(struct table *t, const json_t *m, const json_t *a,
			 bool first, uint64_t now_s)
{
	char name[128], addr[64], state[80], check[400], lat[32], st[16];
	char det[300], tm[48], note[600];
	const char *c[N_COLS];
	const json_t *lc = json_object_get(a, "last_check");
	json_int_t v;

	jstr(m, "name", name, sizeof(name));
	jstr(a, "address", addr, sizeof(addr));
	snprintf(state, sizeof(state), "%s%s%s%s",
		 jstr(a, "state", st, sizeof(st)),
		 json_is_object(json_object_get(a, "drain")) ||
			 json_is_object(json_object_get(m, "drain"))
		     ? " drained"
		     : "",
		 jtrue(a, "suppressed") ? " suppressed" : "",
		 jint(m, "weight", &v) && v == 0 ? " disabled" : "");
	if (json_is_object(lc)) {
		if (!jint(lc, "at", &v))
			v = -1;
		snprintf(check, sizeof(check), "%s %s: %s",
			 when(v, now_s, tm, sizeof(tm)),
			 jtrue(lc, "ok") ? "ok" : "FAIL",
			 jstr(lc, "detail", det, sizeof(det)));
		if (jint(lc, "latency_ms", &v))
			snprintf(lat, sizeof(lat), "%lld ms", (long long)v);
		else
			snprintf(lat, sizeof(lat), "?");
	} else {
		snprintf(check, sizeof(check), "never");
		snprintf(lat, sizeof(lat), "-");
	}
	c[C_MIRROR] = first ? name : "";
	c[C_ADDRESS] = addr;
	c[C_STATE] = state;
	c[C_PUBLISHED] = json_is_boolean(json_object_get(a, "published"))
			     ? (jtrue(a, "published") ? "yes" : "no")
			     : "?";
	c[C_CHECK] = check;
	c[C_LATENCY] = lat;
	table_add(t, false, c);

	if (json_is_object(json_object_get(a, "drain"))) {
		drain_text(json_object_get(a, "drain"), now_s, note,
			   sizeof(note));
		table_note(t, "%s drained: %s", addr, note);
	}
	if (json_is_array(json_object_get(a, "votes"))) {
		vantage_list(json_object_get(a, "votes"), note, sizeof(note));
		table_note(t, "%s votes: %s; in force: %s", addr, note,
			   jstr(a, "decision", st, sizeof(st)));
	}
	if (jint(a, "tls_cert_expires", &v))
		cert_note(t, a, addr, v, now_s);
	if (jint(a, "penalty", &v) && v > 0)
		table_note(t, "%s flap penalty %lld%s", addr, (long long)v,
			   jtrue(a, "suppressed")
			       ? ": suppressed until it decays below reuse"
			       : "");
	else if (jtrue(a, "suppressed"))
		table_note(t, "%s suppressed by flap damping", addr);
}

static void mirror_rows(struct table *t, const json_t *m, uint64_t now_s)
{
	const json_t *addrs = json_object_get(m, "addresses");
	char name[128], note[600];
	const char *c[N_COLS] = {name, "-", "", "", "", ""};
	json_int_t w;
	size_t i;
	json_t *a;

	if (json_array_size(addrs) == 0) {
		jstr(m, "name", name, sizeof(name));
		table_add(t, false, c);
	}
	json_array_foreach(addrs, i, a)
	{
		address_rows(t, m, a, i == 0, now_s);
	}
	jstr(m, "name", name, sizeof(name));
	if (json_is_object(json_object_get(m, "drain"))) {
		drain_text(json_object_get(m, "drain"), now_s, note,
			   sizeof(note));
		table_note(t, "%s drained: %s", name, note);
	}
	if (jint(m, "weight", &w) && w == 0)
		table_note(t, "%s has weight 0: checked, never published",
			   name);
}

static void render_pool(struct mp_strbuf *b, const json_t *pool,
			const json_t *guard, uint64_t now_s)
{
	struct table t = {0};
	char name[300], reason[300];
	json_int_t v;
	size_t i;
	json_t *m;

	mp_strbuf_printf(b, "pool %s", jstr(pool, "name", name, sizeof(name)));
	if (jint(pool, "ttl", &v))
		mp_strbuf_printf(b, "  ttl %lld", (long long)v);
	if (jint(pool, "min_healthy", &v))
		mp_strbuf_printf(b, "  min_healthy %lld", (long long)v);
	if (jint(pool, "max_published", &v))
		mp_strbuf_printf(b, "  max_published %lld%s", (long long)v,
				 v == 0 ? " (all)" : "");
	if (jtrue(guard, "frozen"))
		mp_strbuf_printf(
		    b, "  guard FROZEN: %s",
		    json_is_string(json_object_get(guard, "reason"))
			? jstr(guard, "reason", reason, sizeof(reason))
			: "(no reason given)");
	else
		mp_strbuf_printf(b, "  guard ok");
	mp_strbuf_printf(b, "\n");
	render_rrsets(b, pool, now_s);
	mp_strbuf_printf(b, "\n");

	json_array_foreach(json_object_get(pool, "mirrors"), i, m)
	{
		mirror_rows(&t, m, now_s);
	}
	if (t.oom)
		b->oom = true;
	else if (t.n == 0)
		mp_strbuf_printf(b, "  (no mirrors)\n");
	else
		table_render(b, &t, "  ");
	table_free(&t);
}

char *mp_status_text(const json_t *status, uint64_t now_s)
{
	const json_t *dns = json_object_get(status, "dns");
	const json_t *guard = json_object_get(status, "guard");
	struct mp_strbuf b = {0};
	char v[64], server[128], zone[300], reason[300];
	json_int_t port = 0;
	size_t i;
	json_t *p;

	if (!json_is_object(status))
		return NULL;
	if (jtrue(status, "dry_run"))
		mp_strbuf_printf(
		    &b, "DRY RUN: UPDATEs are logged, not sent; DNS is "
			"not changed\n");
	jint(dns, "port", &port);
	mp_strbuf_printf(
	    &b, "mirrorpool %s; DNS server %s port %lld, zone %s\n",
	    jstr(status, "version", v, sizeof(v)),
	    jstr(dns, "server", server, sizeof(server)), (long long)port,
	    jstr(dns, "zone", zone, sizeof(zone)));
	render_dns(&b, dns);
	if (json_is_object(json_object_get(status, "vantage"))) {
		const json_t *vt = json_object_get(status, "vantage");
		char node[80], role[16], list[800];
		json_int_t q = 0, fresh = 0;
		jint(vt, "quorum", &q);
		jint(vt, "fresh", &fresh);
		vantage_list(json_object_get(vt, "nodes"), list, sizeof(list));
		mp_strbuf_printf(
		    &b,
		    "Vantage: node %s (%s), quorum %lld, %lld fresh%s: %s\n",
		    jstr(vt, "node", node, sizeof(node)),
		    jstr(vt, "role", role, sizeof(role)), (long long)q,
		    (long long)fresh,
		    jtrue(vt, "quorum_lost") ? " (QUORUM LOST)" : "", list);
	}
	if (jtrue(guard, "frozen"))
		mp_strbuf_printf(
		    &b, "Removals FROZEN: %s\n",
		    json_is_string(json_object_get(guard, "reason"))
			? jstr(guard, "reason", reason, sizeof(reason))
			: "(no reason given)");
	if (json_array_size(json_object_get(status, "pools")) == 0)
		mp_strbuf_printf(&b, "\n(no pools)\n");
	json_array_foreach(json_object_get(status, "pools"), i, p)
	{
		mp_strbuf_printf(&b, "\n");
		render_pool(&b, p, guard, now_s);
	}
	return mp_strbuf_take(&b);
}

char *mp_status_text_rrsets(const json_t *reply, uint64_t now_s)
{
	struct mp_strbuf b = {0};
	char name[300];
	size_t i;
	json_t *p;

	if (!json_is_object(reply))
		return NULL;
	render_dns(&b, json_object_get(reply, "dns"));
	json_array_foreach(json_object_get(reply, "pools"), i, p)
	{
		mp_strbuf_printf(&b, "%spool %s\n", i ? "\n" : "",
				 jstr(p, "name", name, sizeof(name)));
		render_rrsets(&b, p, now_s);
	}
	if (json_array_size(json_object_get(reply, "pools")) == 0)
		mp_strbuf_printf(&b, "(no pools)\n");
	return mp_strbuf_take(&b);
}

char *mp_status_text_check(const json_t *results)
{
	enum { R_MIRROR = 0, R_ADDRESS, R_OK, R_DETAIL, R_LATENCY, N_R };
	struct mp_strbuf b = {0};
	char(*cells)[N_R][300] = NULL;
	size_t w[N_R] = {0}, n, i;
	json_t *r;

	if (!json_is_array(results))
		return NULL;
	n = json_array_size(results);
	if (n > 0) {
		cells = calloc(n, sizeof(*cells));
		if (!cells)
			return NULL;
	}
	json_array_foreach(results, i, r)
	{
		json_int_t v;
		jstr(r, "mirror", cells[i][R_MIRROR], sizeof(cells[i][0]));
		jstr(r, "address", cells[i][R_ADDRESS], sizeof(cells[i][0]));
		snprintf(cells[i][R_OK], sizeof(cells[i][0]), "%s",
			 !json_is_boolean(json_object_get(r, "ok")) ? "?"
			 : jtrue(r, "ok")			    ? "ok"
								    : "FAIL");
		jstr(r, "detail", cells[i][R_DETAIL], sizeof(cells[i][0]));
		if (jint(r, "latency_ms", &v))
			snprintf(cells[i][R_LATENCY], sizeof(cells[i][0]),
				 "%lld ms", (long long)v);
		else
			snprintf(cells[i][R_LATENCY], sizeof(cells[i][0]), "-");
		for (int c = 0; c < N_R; c++)
			if (width(cells[i][c]) > w[c])
				w[c] = width(cells[i][c]);
	}
	json_array_foreach(results, i, r)
	{
		char st[32];
		for (int c = 0; c < N_R; c++) {
			sb_cell(&b, cells[i][c], w[c]);
			mp_strbuf_printf(&b, "  ");
		}
		mp_strbuf_printf(&b, "state %s\n",
				 jstr(r, "state", st, sizeof(st)));
	}
	if (n == 0)
		mp_strbuf_printf(&b, "(no checks ran)\n");
	free(cells);
	return mp_strbuf_take(&b);
}
