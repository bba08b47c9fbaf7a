/*
 * The engine's metrics in the Prometheus text exposition format (SPEC §7),
 * and what only metrics need: the build, the start, the outcome of DNS
 * operations and of reloads. Names and units follow Prometheus' own
 * conventions (base units, _total counters, _timestamp_seconds, a
 * build_info gauge of 1). Result labels use one vocabulary: "ok" and
 * "failed".
 */
#include "engine_int.h"

#include <stdio.h>
#include <string.h>

#include "strbuf.h"

static const char *const dns_result_names[MP_DNS_RESULT_N] = {
    [MP_DNS_RESULT_OK] = "ok",		 [MP_DNS_RESULT_TIMEOUT] = "timeout",
    [MP_DNS_RESULT_NETWORK] = "network", [MP_DNS_RESULT_TSIG] = "tsig",
    [MP_DNS_RESULT_RCODE] = "rcode",
};

const char *mp_dns_result_name(enum mp_dns_result r)
{
	return (unsigned)r < MP_DNS_RESULT_N ? dns_result_names[r] : "?";
}

void mp_engine_set_build(struct mp_engine *e, const char *version,
			 uint64_t start_wall_ms)
{
	snprintf(e->m.version, sizeof(e->m.version), "%s",
		 version ? version : "");
	e->m.start_s = start_wall_ms / 1000;
	/* loading the configuration at start is the first load */
	e->m.reload_ok = true;
	e->m.reload_s = e->m.start_s;
}

void mp_engine_reload_result(struct mp_engine *e, bool ok, uint64_t wall_ms)
{
	e->m.reload_ok = ok;
	e->m.reload_s = wall_ms / 1000;
}

void mp_engine_dns_result(struct mp_engine *e, enum mp_dns_result r,
			  uint64_t wall_ms)
{
	if ((unsigned)r >= MP_DNS_RESULT_N)
		return;
	e->m.dns_known = true;
	e->m.dns_up = r == MP_DNS_RESULT_OK;
	if (r == MP_DNS_RESULT_OK)
		e->m.dns_last_ok_ms = wall_ms;
	else
		e->m.dns_errors[r]++;
}

/* Label values are names and addresses from a validated config: they hold
 * no quotes, backslashes or newlines, but escape anyway. */
const char *mp_eng_label_esc(const char *s, char *buf, size_t len)
{
	size_t j = 0;
	for (; *s && j + 2 < len; s++) {
		if (*s == '"' || *s == '\\') {
			buf[j++] = '\\';
			buf[j++] = *s;
		} else if (*s == '\n') {
			buf[j++] = '\\';
			buf[j++] = 'n';
		} else {
			buf[j++] = *s;
		}
	}
	buf[j] = '\0';
	return buf;
}

static void family(struct mp_strbuf *b, const char *name, const char *type,
		   const char *help)
{
	mp_strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
			 type);
}

/* The per-address families, one sample per address each. */
enum addr_metric {
	AM_UP = 0,
	AM_PUBLISHED,
	AM_DRAINED,
	AM_SUPPRESSED,
	AM_PENALTY,
	AM_DURATION,
	AM_CHECKS,
	AM_CERT_EXPIRY,
	AM_N
};

static const struct {
	const char *name, *type, *help;
} addr_families[AM_N] = {
    [AM_UP] = {"mirrorpool_address_up", "gauge",
	       "1 when the address is healthy (state up)"},
    [AM_PUBLISHED] = {"mirrorpool_address_published", "gauge",
		      "1 when the address is in the desired RRset"},
    [AM_DRAINED] = {"mirrorpool_address_drained", "gauge",
		    "1 while the address or its mirror is drained"},
    [AM_SUPPRESSED] = {"mirrorpool_address_suppressed", "gauge",
		       "1 while flap damping holds the address out"},
    [AM_PENALTY] = {"mirrorpool_address_penalty", "gauge",
		    "flap damping figure of the address (decays with "
		    "half_life)"},
    [AM_DURATION] = {"mirrorpool_check_duration_seconds", "gauge",
		     "duration of the latest check"},
    [AM_CHECKS] = {"mirrorpool_checks_total", "counter",
		   "checks by result (ok, failed)"},
    [AM_CERT_EXPIRY] = {"mirrorpool_tls_cert_expiry_timestamp_seconds", "gauge",
			"notAfter of the certificate seen at the last full "
			"TLS handshake"},
};

static void addr_sample(struct mp_engine *e, struct mp_strbuf *b,
			enum addr_metric am, struct mp_target *t,
			uint64_t now_ms)
{
	char ep[300], em[300], lbl[800];
	const char *name = addr_families[am].name;
	const struct mp_health *h = &t->health;

	snprintf(lbl, sizeof(lbl), "pool=\"%s\",mirror=\"%s\",address=\"%s\"",
		 mp_eng_label_esc(eng_pool(e, t->pool)->name, ep, sizeof(ep)),
		 mp_eng_label_esc(eng_mirror(e, t)->name, em, sizeof(em)),
		 t->addr.text);
	switch (am) {
	case AM_UP:
		mp_strbuf_printf(b, "%s{%s} %d\n", name, lbl,
				 h->state == MP_HEALTH_UP);
		break;
	case AM_PUBLISHED:
		mp_strbuf_printf(b, "%s{%s} %d\n", name, lbl,
				 t->published ? 1 : 0);
		break;
	case AM_DRAINED:
		mp_strbuf_printf(b, "%s{%s} %d\n", name, lbl,
				 mp_eng_drained(e, t) ? 1 : 0);
		break;
	case AM_SUPPRESSED:
		mp_strbuf_printf(b, "%s{%s} %d\n", name, lbl,
				 h->damping.suppressed ? 1 : 0);
		break;
	case AM_PENALTY:
		mp_strbuf_printf(
		    b, "%s{%s} %.0f\n", name, lbl,
		    mp_damping_figure(&h->damping, &e->cfg->damping, now_ms));
		break;
	case AM_DURATION:
		if (h->has_result)
			mp_strbuf_printf(b, "%s{%s} %.3f\n", name, lbl,
					 h->last.latency_ms / 1000.0);
		break;
	case AM_CHECKS:
		mp_strbuf_printf(b, "%s{%s,result=\"ok\"} %llu\n", name, lbl,
				 (unsigned long long)t->checks_ok);
		mp_strbuf_printf(b, "%s{%s,result=\"failed\"} %llu\n", name,
				 lbl, (unsigned long long)t->checks_fail);
		break;
	case AM_CERT_EXPIRY:
		if (h->last.cert_not_after != 0)
			mp_strbuf_printf(b, "%s{%s} %lld\n", name, lbl,
					 (long long)h->last.cert_not_after);
		break;
	case AM_N:
		break;
	}
}

/* The per-RRset families. */
static void rrset_metrics(struct mp_engine *e, struct mp_strbuf *b)
{
	char ep[300];

	family(b, "mirrorpool_updates_total", "counter",
	       "UPDATEs sent by result (ok, failed: not applied)");
	for (size_t i = 0; i < e->n_rrsets; i++) {
		struct mp_rrset *r = &e->rrsets[i];
		const char *pn = mp_eng_label_esc(eng_pool(e, r->pool)->name,
						  ep, sizeof(ep));
		mp_strbuf_printf(b,
				 "mirrorpool_updates_total{pool=\"%s\",type=\"%"
				 "s\",result=\"ok\"} %llu\n",
				 pn, rrtype_name(r->rrtype),
				 (unsigned long long)r->updates_ok);
		mp_strbuf_printf(b,
				 "mirrorpool_updates_total{pool=\"%s\",type=\"%"
				 "s\",result=\"failed\"} %llu\n",
				 pn, rrtype_name(r->rrtype),
				 (unsigned long long)r->updates_failed);
	}
	/* NaN until the RRset was first read: unknown, not empty */
	family(b, "mirrorpool_rrset_records", "gauge",
	       "records the primary held at the last read (NaN before the "
	       "first read)");
	for (size_t i = 0; i < e->n_rrsets; i++) {
		struct mp_rrset *r = &e->rrsets[i];
		const char *pn = mp_eng_label_esc(eng_pool(e, r->pool)->name,
						  ep, sizeof(ep));
		if (r->in_dns_known)
			mp_strbuf_printf(b,
					 "mirrorpool_rrset_records{pool=\"%s\","
					 "type=\"%s\"} %zu\n",
					 pn, rrtype_name(r->rrtype),
					 r->in_dns.n);
		else
			mp_strbuf_printf(b,
					 "mirrorpool_rrset_records{pool=\"%s\","
					 "type=\"%s\"} NaN\n",
					 pn, rrtype_name(r->rrtype));
	}
	/* only where the pool has addresses of the type: an RRset it cannot
	 * fill is not at its floor */
	family(b, "mirrorpool_pool_min_healthy", "gauge",
	       "the floor (min_healthy) of the RRset");
	for (size_t i = 0; i < e->n_rrsets; i++) {
		struct mp_rrset *r = &e->rrsets[i];
		if (!r->has_members)
			continue;
		mp_strbuf_printf(
		    b,
		    "mirrorpool_pool_min_healthy{pool=\"%s\",type=\"%s\"} "
		    "%u\n",
		    mp_eng_label_esc(eng_pool(e, r->pool)->name, ep,
				     sizeof(ep)),
		    rrtype_name(r->rrtype), eng_pool(e, r->pool)->min_healthy);
	}
}

static void process_metrics(struct mp_engine *e, struct mp_strbuf *b)
{
	char ev[200];

	family(b, "mirrorpool_build_info", "gauge",
	       "always 1; the version is a label");
	mp_strbuf_printf(b, "mirrorpool_build_info{version=\"%s\"} 1\n",
			 mp_eng_label_esc(e->m.version, ev, sizeof(ev)));
	family(b, "mirrorpool_start_time_seconds", "gauge",
	       "start time of the agent since the Unix epoch");
	mp_strbuf_printf(b, "mirrorpool_start_time_seconds %llu\n",
			 (unsigned long long)e->m.start_s);
	family(b, "mirrorpool_config_last_reload_success", "gauge",
	       "1 when the last load of the configuration (start or reload) "
	       "was accepted");
	mp_strbuf_printf(b, "mirrorpool_config_last_reload_success %d\n",
			 e->m.reload_ok ? 1 : 0);
	family(b, "mirrorpool_config_last_reload_timestamp_seconds", "gauge",
	       "time of the last load of the configuration, accepted or not");
	mp_strbuf_printf(b,
			 "mirrorpool_config_last_reload_timestamp_seconds "
			 "%llu\n",
			 (unsigned long long)e->m.reload_s);
	family(b, "mirrorpool_dns_up", "gauge",
	       "1 when the last DNS operation with the primary succeeded");
	mp_strbuf_printf(b, "mirrorpool_dns_up %d\n", e->m.dns_up ? 1 : 0);
	family(b, "mirrorpool_dns_last_success_timestamp_seconds", "gauge",
	       "time of the last successful DNS operation with the primary "
	       "(0: none yet)");
	mp_strbuf_printf(b,
			 "mirrorpool_dns_last_success_timestamp_seconds "
			 "%.3f\n",
			 e->m.dns_last_ok_ms / 1000.0);
	family(b, "mirrorpool_dns_errors_total", "counter",
	       "failed DNS operations with the primary by kind (timeout, "
	       "network, tsig, rcode)");
	for (int k = 1; k < MP_DNS_RESULT_N; k++)
		mp_strbuf_printf(b,
				 "mirrorpool_dns_errors_total{kind=\"%s\"} "
				 "%llu\n",
				 dns_result_names[k],
				 (unsigned long long)e->m.dns_errors[k]);
}

char *mp_engine_metrics(struct mp_engine *e, struct mp_time now)
{
	const uint64_t now_ms = now.mono_ms;
	struct mp_strbuf b = MP_STRBUF_INIT;

	process_metrics(e, &b);
	for (int am = 0; am < AM_N; am++) {
		family(&b, addr_families[am].name, addr_families[am].type,
		       addr_families[am].help);
		for (size_t k = 0; k < e->n_targets; k++)
			addr_sample(e, &b, (enum addr_metric)am, &e->targets[k],
				    now_ms);
	}
	rrset_metrics(e, &b);
	family(&b, "mirrorpool_frozen", "gauge",
	       "1 while the guard freezes removals");
	mp_strbuf_printf(&b, "mirrorpool_frozen %d\n", e->frozen ? 1 : 0);
	mp_eng_vantage_metrics(e, &b, now_ms);
	mp_eng_json_metrics(e, &b);
	return mp_strbuf_take(&b);
}
