/* Why a DNS operation failed, in operator terms: which key, which zone,
 * what to check on the primary. */
#include <stdio.h>

#include "dnsops.h"

/* Names as operators write them, for messages. */
struct names {
	char zone[256], key[256], alg[32];
};

static void names_of(const struct mp_config *cfg, struct names *n)
{
	const struct mp_tsig_key *k = cfg->key;

	mp_name_text(cfg->dns.zone, n->zone, sizeof(n->zone));
	mp_name_text(mp_tsig_key_name(k), n->key, sizeof(n->key));
	mp_name_text(mp_tsig_alg_name(mp_tsig_key_alg(k)), n->alg,
		     sizeof(n->alg));
}

void mp_dnsops_explain_unsigned(const struct mp_config *cfg,
				const struct mp_dns_response *resp,
				const char *detail, char *buf, size_t len)
{
	struct names nm;
	char rcbuf[16], te[16];
	/* the name is returned; the buffer is only for unknown numbers */
	const char *rc =
	    mp_rcode_str(resp ? resp->rcode : 0, rcbuf, sizeof(rcbuf));

	names_of(cfg, &nm);
	if (resp && resp->verdict == MP_RESP_UNSIGNED && resp->rcode != 0) {
		const char *tsig_err =
		    resp->tsig_info.error
			? mp_tsig_error_str(resp->tsig_info.error, te,
					    sizeof(te))
			: NULL;
		/* Knot answers BADKEY as well to a key it knows but no acl
		 * grants, so the hint names both causes; PowerDNS answers an
		 * unknown key or a wrong secret with no TSIG RR at all */
		bool badkey = resp->tsig_info.error == MP_TSIG_BADKEY;
		bool no_tsig = resp->tsig_info.key_name[0] == '\0';
		snprintf(buf, len,
			 "unsigned %s%s%s from the server: it could not verify "
			 "key \"%s\" (%s) — check that the primary knows this "
			 "key name, algorithm and secret%s",
			 rc, tsig_err ? "/" : "", tsig_err ? tsig_err : "",
			 nm.key, nm.alg,
			 badkey ? " (Knot: and that an acl grants it update)"
			 : no_tsig
			     ? " (an answer with no TSIG record is how "
			       "PowerDNS rejects an unknown key or a wrong "
			       "secret: see pdnsutil list-tsig-keys)"
			     : "");
	} else if (resp && resp->verdict == MP_RESP_UNSIGNED) {
		snprintf(buf, len,
			 "unsigned %s answer ignored (possible spoofing): %s",
			 rc, detail ? detail : "no TSIG");
	} else {
		snprintf(buf, len,
			 "answer failed TSIG verification (possible spoofing "
			 "or wrong key \"%s\"): %s",
			 nm.key, detail ? detail : "bad TSIG");
	}
}

void mp_dnsops_explain_rejection(const struct mp_config *cfg,
				 const struct mp_dns_response *resp,
				 uint64_t now_s, char *buf, size_t len)
{
	struct names nm;
	char rcbuf[16];
	const char *rc = mp_rcode_str(resp->rcode, rcbuf, sizeof(rcbuf));

	names_of(cfg, &nm);
	if (resp->tsig == MP_TSIG_SERVER_ERROR &&
	    resp->tsig_info.error == MP_TSIG_BADTIME) {
		long long now = (long long)now_s;
		long long srv = (long long)(resp->tsig_info.other_time
						? resp->tsig_info.other_time
						: resp->tsig_info.time_signed);
		snprintf(buf, len,
			 "BADTIME: the server's clock reads %lld, ours %lld "
			 "(skew %+lld s, fudge %u s) — fix the clocks (NTP); "
			 "mirrorpool never adjusts them",
			 srv, now, now - srv, (unsigned)resp->tsig_info.fudge);
		return;
	}
	if (resp->tsig == MP_TSIG_SERVER_ERROR) {
		char te[16];
		snprintf(
		    buf, len, "%s/%s: key \"%s\" (%s) rejected", rc,
		    mp_tsig_error_str(resp->tsig_info.error, te, sizeof(te)),
		    nm.key, nm.alg);
		return;
	}
	switch (resp->rcode) {
	case 5: /* REFUSED */
	case 9: /* NOTAUTH */
		snprintf(
		    buf, len,
		    "%s: key \"%s\" is not allowed to update zone %s — check "
		    "allow-update/update-policy (BIND), an acl with action: "
		    "update (Knot), or allow-dnsupdate-from and the zone's "
		    "TSIG-ALLOW-DNSUPDATE/ALLOW-DNSUPDATE-FROM metadata "
		    "(PowerDNS), and the key name",
		    rc, nm.key, nm.zone);
		break;
	case 10: /* NOTZONE */
		snprintf(buf, len,
			 "NOTZONE: %s is not a zone the server is "
			 "authoritative for, or a pool name lies outside it",
			 nm.zone);
		break;
	case 2:
		snprintf(buf, len,
			 "SERVFAIL: the server could not apply the change "
			 "(BIND: max-records-per-type or a journal it cannot "
			 "write; Knot: its storage); re-reading the RRset to "
			 "tell which");
		break;
	default:
		snprintf(buf, len, "%s", rc);
	}
}

void mp_dnsops_explain_outcome(enum mp_dnsops_outcome o,
			       const struct mp_dns_response *resp,
			       const char *detail, const struct mp_config *cfg,
			       uint64_t now_s, char *buf, size_t len)
{
	if (o == MP_DNSOPS_ANSWER && resp)
		mp_dnsops_explain_rejection(cfg, resp, now_s, buf, len);
	else if (o == MP_DNSOPS_UNSIGNED)
		mp_dnsops_explain_unsigned(cfg, resp, detail, buf, len);
	else if (o == MP_DNSOPS_TIMEOUT)
		snprintf(buf, len, "no answer (timeout)");
	else
		snprintf(buf, len, "%s", detail ? detail : "network error");
}

const char *mp_dnsops_outcome_rcode(enum mp_dnsops_outcome o,
				    const struct mp_dns_response *resp,
				    char *buf, size_t len)
{
	if ((o == MP_DNSOPS_ANSWER || o == MP_DNSOPS_UNSIGNED) && resp)
		return mp_rcode_str(resp->rcode, buf, len);
	return o == MP_DNSOPS_TIMEOUT ? "TIMEOUT" : "NETERR";
}
