/* Checking a response to one of our requests (see dnsmsg.h): it answers
 * the request, its TSIG verifies, and what it says, with the reason when
 * it is refused or ignored. */
#include "dnsmsg.h"
#include "dnsmsg_int.h"
#include "dnswire.h"
#include "error.h"

#include <inttypes.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RCODE_NOERROR 0
#define RCODE_NOTAUTH 9

static const char *rrtype_str(int t, char *buf, size_t len)
{
	switch (t) {
	case MP_RRTYPE_A:
		return "A";
	case MP_RRTYPE_SOA:
		return "SOA";
	case MP_RRTYPE_AAAA:
		return "AAAA";
	}
	snprintf(buf, len, "TYPE%d", t);
	return buf;
}

/* Compares the response's question with the request's; NULL when it
 * matches, else why (in buf). */
static const char *check_question(const struct mp_dns_request *req,
				  const uint8_t *wire, size_t len,
				  const struct mp_wire_msg *m, char *buf,
				  size_t buflen)
{
	uint8_t got[MP_WIRE_NAME_MAX], want[MP_WIRE_NAME_MAX];
	size_t glen, wlen, pos = m->qname;
	uint16_t qtype, qclass;
	char gtext[1024], t1[16], t2[16];

	if (m->count[0] == 0)
		return NULL; /* some error replies carry no question */
	if (m->count[0] > 1) {
		snprintf(buf, buflen, "question mismatch: %u questions",
			 (unsigned)m->count[0]);
		return buf;
	}
	/* the scan has validated the question already */
	if (mp_wire_read_name(wire, len, &pos, got, &glen) != MP_OK ||
	    len - pos < 4)
		return "malformed question";
	qtype = mp_wire_u16(wire + pos);
	qclass = mp_wire_u16(wire + pos + 2);
	if (mp_wire_name_from_text(req->qname, want, &wlen) != MP_OK)
		return "request has no valid question";
	if (glen == wlen && memcmp(got, want, glen) == 0 &&
	    qtype == req->qtype && qclass == MP_RRCLASS_IN)
		return NULL;
	mp_wire_name_to_text(got, glen, gtext, sizeof(gtext));
	snprintf(buf, buflen, "question mismatch: got %s/%s/%u, expected %s/%s",
		 gtext, rrtype_str(qtype, t1, sizeof(t1)), (unsigned)qclass,
		 req->qname, rrtype_str(req->qtype, t2, sizeof(t2)));
	return buf;
}

/* Reads the answers of a verified query response. wire[0..len) is the
 * message without its TSIG RR. */
static int parse_answers(const struct mp_dns_request *req, const uint8_t *wire,
			 size_t len, struct mp_dns_response *out, char *why,
			 size_t whylen)
{
	ldns_pkt *pkt = NULL;
	ldns_rdf *qname = NULL;
	ldns_rr_list *an;
	ldns_status st;
	bool first = true;
	int rc = MP_OK;

	st = ldns_wire2pkt(&pkt, wire, len);
	if (st != LDNS_STATUS_OK) {
		snprintf(why, whylen, "malformed: %s",
			 ldns_get_errorstr_by_id(st));
		return MP_EPROTO;
	}
	qname = ldns_dname_new_frm_str(req->qname);
	if (!qname) {
		rc = MP_ENOMEM;
		goto cleanup;
	}
	an = ldns_pkt_answer(pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		int type = (int)ldns_rr_get_type(rr);
		const ldns_rdf *rd;
		struct mp_addr a;

		if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    ldns_dname_compare(ldns_rr_owner(rr), qname) != 0)
			continue;
		/* the zone's serial only from the answer to an SOA query */
		if (type == MP_RRTYPE_SOA) {
			if (req->qtype != MP_RRTYPE_SOA ||
			    ldns_rr_rd_count(rr) < 3)
				continue;
			rd = ldns_rr_rdf(rr, 2);
			if (ldns_rdf_size(rd) == 4) {
				out->has_soa = true;
				out->soa_serial = ldns_rdf2native_int32(rd);
			}
			continue;
		}
		if (type == MP_RRTYPE_TXT && req->qtype == MP_RRTYPE_TXT) {
			rc = mp_dnsmsg_txt_rdata(rr, &out->txt);
			if (rc != MP_OK)
				goto cleanup;
			continue;
		}
		if (type != req->qtype ||
		    (type != MP_RRTYPE_A && type != MP_RRTYPE_AAAA) ||
		    ldns_rr_rd_count(rr) != 1)
			continue;
		rd = ldns_rr_rdf(rr, 0);
		if (mp_addr_from_bytes(ldns_rdf_data(rd), ldns_rdf_size(rd),
				       &a) != MP_OK ||
		    mp_addr_rrtype(&a) != type)
			continue;
		rc = mp_addr_set_add(&out->answers, &a);
		if (rc != MP_OK)
			goto cleanup;
		/* an RRset has one TTL (RFC 2181 §5.2); take the lowest if a
		 * server disagrees */
		if (first || ldns_rr_ttl(rr) < out->answer_ttl)
			out->answer_ttl = ldns_rr_ttl(rr);
		first = false;
	}
cleanup:
	ldns_rdf_deep_free(qname);
	ldns_pkt_free(pkt);
	return rc;
}

static void explain_unsigned(const struct mp_dns_response *out,
			     const struct mp_tsig_key *key, char *why,
			     size_t whylen)
{
	char rb[16], eb[16];
	const char *rc = mp_rcode_str(out->rcode, rb, sizeof(rb));
	uint16_t err = out->tsig_info.error;

	if (err == MP_TSIG_BADKEY)
		snprintf(why, whylen,
			 "unsigned %s, TSIG error BADKEY: the server does not "
			 "know key \"%s\" with algorithm %s",
			 rc, mp_tsig_key_name(key),
			 mp_tsig_alg_name(mp_tsig_key_alg(key)));
	else if (err == MP_TSIG_BADSIG)
		snprintf(why, whylen,
			 "unsigned %s, TSIG error BADSIG: the server could not "
			 "verify our MAC with key \"%s\" (wrong secret?)",
			 rc, mp_tsig_key_name(key));
	else if (err != MP_TSIG_NOERROR)
		snprintf(why, whylen, "unsigned %s, TSIG error %s", rc,
			 mp_tsig_error_str(err, eb, sizeof(eb)));
	else if (out->rcode == RCODE_NOERROR)
		snprintf(why, whylen, "unsigned NOERROR: possible spoofing");
	else if (out->rcode == RCODE_NOTAUTH)
		/* no TSIG RR at all: PowerDNS's answer to a key it does not
		 * know or a MAC it cannot verify, Knot's to a zone it does
		 * not serve */
		snprintf(why, whylen, "%s",
			 "unsigned NOTAUTH with no TSIG record: PowerDNS's "
			 "answer to an unknown key or a wrong secret (or: zone "
			 "not served)");
	else
		snprintf(why, whylen, "unsigned %s", rc);
}

static void explain_bad_tsig(const struct mp_dns_response *out,
			     const struct mp_tsig_key *key, uint64_t now_s,
			     char *why, size_t whylen)
{
	const struct mp_tsig_info *ti = &out->tsig_info;
	int64_t skew = (int64_t)ti->time_signed - (int64_t)now_s;

	switch (out->tsig) {
	case MP_TSIG_MALFORMED:
		snprintf(why, whylen, "malformed TSIG: %s",
			 ti->detail ? ti->detail : "?");
		break;
	case MP_TSIG_WRONG_KEY:
		snprintf(why, whylen, "TSIG key name %s differs from %s",
			 ti->key_name, mp_tsig_key_name(key));
		break;
	case MP_TSIG_WRONG_ALG:
		snprintf(why, whylen, "TSIG algorithm %s differs from %s",
			 ti->alg_name, mp_tsig_alg_name(mp_tsig_key_alg(key)));
		break;
	case MP_TSIG_BAD_MAC:
		snprintf(why, whylen,
			 "TSIG MAC does not verify with key \"%s\" (%s)",
			 mp_tsig_key_name(key),
			 mp_tsig_alg_name(mp_tsig_key_alg(key)));
		break;
	case MP_TSIG_BAD_TIME:
		snprintf(why, whylen,
			 "TSIG Time Signed %" PRIu64 " is %+" PRId64
			 " s from our clock, outside fudge %u",
			 ti->time_signed, skew, (unsigned)ti->fudge);
		break;
	default:
		snprintf(why, whylen, "TSIG %s", mp_tsig_status_str(out->tsig));
		break;
	}
}

enum mp_resp_verdict
mp_response_check(const struct mp_dns_request *req, const uint8_t *wire,
		  size_t len, const struct mp_tsig_key *key, uint64_t now_s,
		  struct mp_dns_response *out, char *why, size_t whylen)
{
	struct mp_wire_msg m;
	char dummy[8], qbuf[2048], rb[16], eb[16];
	const char *qwhy;
	uint8_t *copy = NULL;
	int opcode;

	if (!why || whylen == 0) {
		why = dummy;
		whylen = sizeof(dummy);
	}
	why[0] = '\0';
	memset(out, 0, sizeof(*out));
	mp_addr_set_init(&out->answers);
	out->verdict = MP_RESP_IGNORE;
	out->tsig = MP_TSIG_UNSIGNED;

	if (!req || !key || !wire || len < MP_WIRE_HDRLEN) {
		snprintf(why, whylen,
			 "malformed: %zu bytes, shorter than a DNS header",
			 wire ? len : 0);
		return out->verdict;
	}
	if (len > MAX_MSG) {
		snprintf(why, whylen, "malformed: %zu bytes, over 65535", len);
		return out->verdict;
	}
	if (mp_wire_scan(wire, len, &m) != MP_OK) {
		snprintf(why, whylen,
			 "malformed: truncated or invalid message");
		return out->verdict;
	}
	if (m.id != req->id) {
		snprintf(why, whylen, "ID mismatch: got %u, expected %u",
			 (unsigned)m.id, (unsigned)req->id);
		return out->verdict;
	}
	if (!(m.flags & 0x8000)) {
		snprintf(why, whylen, "QR=0: a query, not a response");
		return out->verdict;
	}
	opcode = (m.flags >> 11) & 0xf;
	if (opcode != req->opcode) {
		snprintf(why, whylen, "opcode mismatch: got %d, expected %d",
			 opcode, req->opcode);
		return out->verdict;
	}
	qwhy = check_question(req, wire, len, &m, qbuf, sizeof(qbuf));
	if (qwhy) {
		snprintf(why, whylen, "%s", qwhy);
		return out->verdict;
	}

	/* from here on it answers our request */
	out->rcode = (m.flags & 0xf) | (m.has_opt ? m.ext_rcode << 4 : 0);
	out->tc = (m.flags & 0x0200) != 0;
	/* the TSIG is checked on the raw bytes before any parser sees the
	 * message; ldns is given only a verified message without its TSIG
	 * RR (it would keep one TSIG aside and leak a second) */
	out->tsig = mp_tsig_verify(wire, len, key, req->mac, req->mac_len,
				   now_s, &out->tsig_info);
	switch (out->tsig) {
	case MP_TSIG_VERIFIED:
	case MP_TSIG_SERVER_ERROR:
		break;
	case MP_TSIG_UNSIGNED:
		out->verdict = MP_RESP_UNSIGNED;
		explain_unsigned(out, key, why, whylen);
		return out->verdict;
	default:
		out->verdict = MP_RESP_BAD_TSIG;
		explain_bad_tsig(out, key, now_s, why, whylen);
		return out->verdict;
	}

	if (req->opcode == OPCODE_QUERY) {
		int rc;

		copy = malloc(m.tsig.start);
		if (!copy) {
			snprintf(why, whylen, "out of memory");
			return out->verdict; /* IGNORE: retried on timeout */
		}
		memcpy(copy, wire, m.tsig.start);
		mp_wire_put16(copy + 10, (uint16_t)(m.count[3] - 1));
		rc = parse_answers(req, copy, m.tsig.start, out, why, whylen);
		free(copy);
		if (rc != MP_OK) {
			mp_addr_set_clear(&out->answers);
			mp_txt_set_clear(&out->txt);
			out->has_soa = false;
			out->answer_ttl = 0;
			if (rc == MP_ENOMEM)
				snprintf(why, whylen, "out of memory");
			return out->verdict;
		}
	}
	out->verdict = MP_RESP_OK;
	if (out->tsig == MP_TSIG_SERVER_ERROR) {
		const struct mp_tsig_info *ti = &out->tsig_info;
		int n = snprintf(why, whylen, "signed %s with TSIG error %s",
				 mp_rcode_str(out->rcode, rb, sizeof(rb)),
				 mp_tsig_error_str(ti->error, eb, sizeof(eb)));

		if (ti->error == MP_TSIG_BADTIME && ti->other_time && n > 0 &&
		    (size_t)n < whylen)
			snprintf(why + n, whylen - (size_t)n,
				 ": server clock %" PRIu64 " is %+" PRId64
				 " s from ours",
				 ti->other_time,
				 (int64_t)ti->other_time - (int64_t)now_s);
	}
	return out->verdict;
}

const char *mp_rcode_str(int rcode, char *buf, size_t len)
{
	static const char *const names[] = {
	    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
	    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
	    "NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI",
	};
	static const char *const ext[] = {
	    "BADVERS", "BADKEY", "BADTIME",  "BADMODE",
	    "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE",
	};

	if (rcode >= 0 && rcode < (int)(sizeof(names) / sizeof(names[0])))
		return names[rcode];
	if (rcode >= 16 && rcode < 16 + (int)(sizeof(ext) / sizeof(ext[0])))
		return ext[rcode - 16];
	if (buf && len) {
		snprintf(buf, len, "RCODE%d", rcode);
		return buf;
	}
	return "?";
}
