/* mirrorpoolctl's human output: the status table, sync and check results. */
#include "status_text.h"
#include "status_text_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "strbuf.h"

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
			 mp_st_jint(lu, "at", &at)
			     ? mp_st_when(at, now_s, t, sizeof(t))
			     : "?",
			 mp_st_jstr(lu, "rcode", rc, sizeof(rc)));
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

void mp_st_render_rrsets(struct mp_strbuf *b, const json_t *pool,
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
				 mp_st_jstr(dns, "last_error", s, sizeof(s)));
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
	if (mp_st_jtrue(status, "dry_run"))
		mp_strbuf_printf(
		    &b, "DRY RUN: UPDATEs are logged, not sent; DNS is "
			"not changed\n");
	mp_st_jint(dns, "port", &port);
	mp_strbuf_printf(
	    &b, "mirrorpool %s; DNS server %s port %lld, zone %s\n",
	    mp_st_jstr(status, "version", v, sizeof(v)),
	    mp_st_jstr(dns, "server", server, sizeof(server)), (long long)port,
	    mp_st_jstr(dns, "zone", zone, sizeof(zone)));
	render_dns(&b, dns);
	if (json_is_object(json_object_get(status, "vantage"))) {
		const json_t *vt = json_object_get(status, "vantage");
		char node[80], role[16], list[800];
		json_int_t q = 0, fresh = 0;
		mp_st_jint(vt, "quorum", &q);
		mp_st_jint(vt, "fresh", &fresh);
		mp_st_vantage_list(json_object_get(vt, "nodes"), list,
				   sizeof(list));
		mp_strbuf_printf(
		    &b,
		    "Vantage: node %s (%s), quorum %lld, %lld fresh%s: %s\n",
		    mp_st_jstr(vt, "node", node, sizeof(node)),
		    mp_st_jstr(vt, "role", role, sizeof(role)), (long long)q,
		    (long long)fresh,
		    mp_st_jtrue(vt, "quorum_lost") ? " (QUORUM LOST)" : "",
		    list);
	}
	if (mp_st_jtrue(guard, "frozen"))
		mp_strbuf_printf(
		    &b, "Removals FROZEN: %s\n",
		    json_is_string(json_object_get(guard, "reason"))
			? mp_st_jstr(guard, "reason", reason, sizeof(reason))
			: "(no reason given)");
	if (json_array_size(json_object_get(status, "pools")) == 0 &&
	    json_array_size(json_object_get(status, "json_pools")) == 0)
		mp_strbuf_printf(&b, "\n(no pools)\n");
	json_array_foreach(json_object_get(status, "pools"), i, p)
	{
		mp_strbuf_printf(&b, "\n");
		mp_st_render_pool(&b, p, guard, now_s);
	}
	json_array_foreach(json_object_get(status, "json_pools"), i, p)
	{
		mp_strbuf_printf(&b, "\n");
		mp_st_render_json_pool(&b, p, now_s);
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
				 mp_st_jstr(p, "name", name, sizeof(name)));
		mp_st_render_rrsets(&b, p, now_s);
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
		mp_st_jstr(r, "mirror", cells[i][R_MIRROR],
			   sizeof(cells[i][0]));
		mp_st_jstr(r, "address", cells[i][R_ADDRESS],
			   sizeof(cells[i][0]));
		snprintf(cells[i][R_OK], sizeof(cells[i][0]), "%s",
			 !json_is_boolean(json_object_get(r, "ok")) ? "?"
			 : mp_st_jtrue(r, "ok")			    ? "ok"
								    : "FAIL");
		mp_st_jstr(r, "detail", cells[i][R_DETAIL],
			   sizeof(cells[i][0]));
		if (mp_st_jint(r, "latency_ms", &v))
			snprintf(cells[i][R_LATENCY], sizeof(cells[i][0]),
				 "%lld ms", (long long)v);
		else
			snprintf(cells[i][R_LATENCY], sizeof(cells[i][0]), "-");
		for (int c = 0; c < N_R; c++)
			if (mp_st_width(cells[i][c]) > w[c])
				w[c] = mp_st_width(cells[i][c]);
	}
	json_array_foreach(results, i, r)
	{
		char st[32];
		for (int c = 0; c < N_R; c++) {
			mp_st_sb_cell(&b, cells[i][c], w[c]);
			mp_strbuf_printf(&b, "  ");
		}
		mp_strbuf_printf(&b, "state %s\n",
				 mp_st_jstr(r, "state", st, sizeof(st)));
	}
	if (n == 0)
		mp_strbuf_printf(&b, "(no checks ran)\n");
	free(cells);
	return mp_strbuf_take(&b);
}
