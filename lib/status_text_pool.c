/* A pool in the status text: its header line, its RRsets and the table of
 * its mirrors' addresses with their drains, suppression and penalties. */
#include "status_text_int.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certwatch.h"
#include "duration.h"

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
		w[i] = mp_st_width(col_names[i]);
	for (size_t r = 0; r < t->n; r++)
		for (i = 0; !t->rows[r].note && i < N_COLS; i++)
			if (mp_st_width(t->rows[r].cell[i]) > w[i])
				w[i] = mp_st_width(t->rows[r].cell[i]);
	mp_strbuf_printf(b, "%s", indent);
	for (i = 0; i < N_COLS - 1; i++) {
		mp_st_sb_cell(b, col_names[i], w[i]);
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
			mp_st_sb_cell(b, t->rows[r].cell[i], w[i]);
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

/* A pool's rows, or "(no mirrors)"; the table is freed. */
static void rows_render(struct mp_strbuf *b, struct table *t)
{
	if (t->oom)
		b->oom = true;
	else if (t->n == 0)
		mp_strbuf_printf(b, "  (no mirrors)\n");
	else
		table_render(b, t, "  ");
	table_free(t);
}

/* "\"disk swap\" by alice (uid 1000), since 10m ago, until in 1h" */
static void drain_text(const json_t *d, uint64_t now_s, char *buf, size_t len)
{
	char reason[256], quoted[260], by[80], since[48], until[56], t[48];
	json_int_t uid = -1, at;

	if (json_is_string(json_object_get(d, "reason")))
		snprintf(quoted, sizeof(quoted), "\"%s\"",
			 mp_st_jstr(d, "reason", reason, sizeof(reason)));
	else
		snprintf(quoted, sizeof(quoted), "(no reason given)");
	mp_st_jint(d, "uid", &uid);
	if (!mp_st_jint(d, "since", &at))
		at = -1;
	mp_st_when(at, now_s, since, sizeof(since));
	if (mp_st_jint(d, "until", &at))
		snprintf(until, sizeof(until), "until %s",
			 mp_st_when(at, now_s, t, sizeof(t)));
	else
		snprintf(until, sizeof(until), "no expiry");
	snprintf(buf, len, "%s by %s (uid %lld), since %s, %s%s", quoted,
		 mp_st_jstr(d, "by", by, sizeof(by)), (long long)uid, since,
		 until, mp_st_jtrue(d, "force") ? ", forced" : "");
}

/* "ams1 down, nyc1 up 12s, sgp1 none (stale)": a node list of the
 * vantage group, from the status "votes" or "vantage.nodes" array. */
void mp_st_vantage_list(const json_t *arr, char *buf, size_t len)
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
			     mp_st_jstr(x, "node", node, sizeof(node)),
			     json_object_get(x, "vote") ? " " : "",
			     json_object_get(x, "vote")
				 ? mp_st_jstr(x, "vote", vote, sizeof(vote))
				 : "");
		if (w < 0 || (size_t)w >= len - off)
			return;
		off += (size_t)w;
		if (mp_st_jint(x, "age_s", &age) && age > 0)
			off += (size_t)snprintf(buf + off, len - off, " %llds",
						(long long)age);
		else if (json_is_null(json_object_get(x, "age_s")))
			off += (size_t)snprintf(buf + off, len - off,
						" (no view)");
		if (off < len && mp_st_jtrue(x, "stale") &&
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
		    mp_st_jstr(a, "tls_cert_subject", subj, sizeof(subj)),
		    mp_st_jstr(a, "tls_cert_issuer", iss, sizeof(iss)));
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

	mp_st_jstr(m, "name", name, sizeof(name));
	mp_st_jstr(a, "address", addr, sizeof(addr));
	snprintf(state, sizeof(state), "%s%s%s%s",
		 mp_st_jstr(a, "state", st, sizeof(st)),
		 json_is_object(json_object_get(a, "drain")) ||
			 json_is_object(json_object_get(m, "drain"))
		     ? " drained"
		     : "",
		 mp_st_jtrue(a, "suppressed") ? " suppressed" : "",
		 mp_st_jint(m, "weight", &v) && v == 0 ? " disabled" : "");
	if (json_is_object(lc)) {
		if (!mp_st_jint(lc, "at", &v))
			v = -1;
		snprintf(check, sizeof(check), "%s %s: %s",
			 mp_st_when(v, now_s, tm, sizeof(tm)),
			 mp_st_jtrue(lc, "ok") ? "ok" : "FAIL",
			 mp_st_jstr(lc, "detail", det, sizeof(det)));
		if (mp_st_jint(lc, "latency_ms", &v))
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
			     ? (mp_st_jtrue(a, "published") ? "yes" : "no")
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
		mp_st_vantage_list(json_object_get(a, "votes"), note,
				   sizeof(note));
		table_note(t, "%s votes: %s; in force: %s", addr, note,
			   mp_st_jstr(a, "decision", st, sizeof(st)));
	}
	if (mp_st_jint(a, "tls_cert_expires", &v))
		cert_note(t, a, addr, v, now_s);
	if (mp_st_jint(a, "penalty", &v) && v > 0)
		table_note(t, "%s flap penalty %lld%s", addr, (long long)v,
			   mp_st_jtrue(a, "suppressed")
			       ? ": suppressed until it decays below reuse"
			       : "");
	else if (mp_st_jtrue(a, "suppressed"))
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
		mp_st_jstr(m, "name", name, sizeof(name));
		table_add(t, false, c);
	}
	json_array_foreach(addrs, i, a)
	{
		address_rows(t, m, a, i == 0, now_s);
	}
	mp_st_jstr(m, "name", name, sizeof(name));
	if (json_is_object(json_object_get(m, "drain"))) {
		drain_text(json_object_get(m, "drain"), now_s, note,
			   sizeof(note));
		table_note(t, "%s drained: %s", name, note);
	}
	if (mp_st_jint(m, "weight", &w) && w == 0)
		table_note(t, "%s has weight 0: checked, never published",
			   name);
}

void mp_st_render_pool(struct mp_strbuf *b, const json_t *pool,
		       const json_t *guard, uint64_t now_s)
{
	struct table t = {0};
	char name[300], reason[300];
	json_int_t v;
	size_t i;
	json_t *m;

	mp_strbuf_printf(b, "pool %s",
			 mp_st_jstr(pool, "name", name, sizeof(name)));
	if (mp_st_jint(pool, "ttl", &v))
		mp_strbuf_printf(b, "  ttl %lld", (long long)v);
	if (mp_st_jint(pool, "min_healthy", &v))
		mp_strbuf_printf(b, "  min_healthy %lld", (long long)v);
	if (mp_st_jint(pool, "max_published", &v))
		mp_strbuf_printf(b, "  max_published %lld%s", (long long)v,
				 v == 0 ? " (all)" : "");
	if (mp_st_jtrue(guard, "frozen"))
		mp_strbuf_printf(
		    b, "  guard FROZEN: %s",
		    json_is_string(json_object_get(guard, "reason"))
			? mp_st_jstr(guard, "reason", reason, sizeof(reason))
			: "(no reason given)");
	else
		mp_strbuf_printf(b, "  guard ok");
	mp_strbuf_printf(b, "\n");
	mp_st_render_rrsets(b, pool, now_s);
	mp_strbuf_printf(b, "\n");

	json_array_foreach(json_object_get(pool, "mirrors"), i, m)
	{
		mirror_rows(&t, m, now_s);
	}
	rows_render(b, &t);
}

/* One entry of a JSON pool: its URL where a DNS pool has an address; its
 * weight in the output where a DNS pool says whether it is published. */
static void json_entry_row(struct table *t, const json_t *m, uint64_t now_s)
{
	char name[128], url[300], state[80], st[16], check[400], lat[32];
	char det[300], published[64], note[600];
	const char *c[N_COLS];
	const json_t *lc = json_object_get(m, "last_check");
	json_int_t w = 0, ws = 0, v;

	mp_st_jstr(m, "name", name, sizeof(name));
	mp_st_jstr(m, "url", url, sizeof(url));
	snprintf(state, sizeof(state), "%s%s%s%s",
		 mp_st_jstr(m, "state", st, sizeof(st)),
		 mp_st_jtrue(m, "drained") ? " drained" : "",
		 mp_st_jtrue(m, "suppressed") ? " suppressed" : "",
		 mp_st_jtrue(m, "stale") ? " stale" : "");
	mp_st_jint(m, "weight", &w);
	mp_st_jint(m, "weight_source", &ws);
	if (w > 0)
		snprintf(published, sizeof(published), "yes, weight %lld",
			 (long long)w);
	else
		snprintf(published, sizeof(published), "no%s",
			 ws == 0 ? " (weight 0 in the source)" : "");
	if (json_is_object(lc)) {
		snprintf(check, sizeof(check), "%s: %s",
			 mp_st_jtrue(lc, "ok") ? "ok" : "FAIL",
			 mp_st_jstr(lc, "detail", det, sizeof(det)));
		if (mp_st_jint(lc, "latency_ms", &v))
			snprintf(lat, sizeof(lat), "%lld ms", (long long)v);
		else
			snprintf(lat, sizeof(lat), "?");
	} else {
		snprintf(check, sizeof(check), "never");
		snprintf(lat, sizeof(lat), "-");
	}
	c[C_MIRROR] = name;
	c[C_ADDRESS] = url;
	c[C_STATE] = state;
	c[C_PUBLISHED] = published;
	c[C_CHECK] = check;
	c[C_LATENCY] = lat;
	table_add(t, false, c);
	if (json_is_object(json_object_get(m, "drain"))) {
		drain_text(json_object_get(m, "drain"), now_s, note,
			   sizeof(note));
		table_note(t, "%s drained: %s", name, note);
	}
}

void mp_st_render_json_pool(struct mp_strbuf *b, const json_t *jp,
			    uint64_t now_s)
{
	struct table t = {0};
	char name[300], path[600], err[600];
	json_int_t v;
	size_t i;
	json_t *m;

	mp_strbuf_printf(b, "json pool %s",
			 mp_st_jstr(jp, "name", name, sizeof(name)));
	if (mp_st_jint(jp, "min_healthy", &v))
		mp_strbuf_printf(b, "  min_healthy %lld", (long long)v);
	mp_strbuf_printf(b, "\n  source %s\n",
			 mp_st_jstr(jp, "source", path, sizeof(path)));
	mp_strbuf_printf(b, "  output %s\n",
			 mp_st_jstr(jp, "output", path, sizeof(path)));
	if (json_is_string(json_object_get(jp, "source_error")))
		mp_strbuf_printf(
		    b, "  source error: %s (the last good list stays in use)\n",
		    mp_st_jstr(jp, "source_error", err, sizeof(err)));
	mp_strbuf_printf(b, "\n");
	json_array_foreach(json_object_get(jp, "mirrors"), i, m)
	{
		json_entry_row(&t, m, now_s);
	}
	rows_render(b, &t);
}
