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
/* a TSIG RR never needs more: names of 255 bytes, a 64-byte MAC, 6 bytes of
 * other data */
#define TSIG_ROOM (2 * MP_WIRE_NAME_MAX + 10 + 16 + MP_TSIG_MAX_MAC + 6 + 6)

void mp_dns_request_clear(struct mp_dns_request *r)
{
	if (!r)
		return;
	free(r->wire);
	memset(r, 0, sizeof(*r));
}

void mp_dns_response_clear(struct mp_dns_response *r)
{
	if (!r)
		return;
	mp_addr_set_clear(&r->answers);
	mp_txt_set_clear(&r->txt);
	memset(r, 0, sizeof(*r));
	mp_addr_set_init(&r->answers);
}

int mp_dnsmsg_normalise(const char *name, char *text, size_t textlen,
			uint8_t *wire, size_t *wirelen)
{
	uint8_t tmp[MP_WIRE_NAME_MAX];
	size_t tmplen;

	if (!name)
		return MP_EINVAL;
	/* host names only: then the presentation form needs no escapes and
	 * reads back the same in ldns and in mp_wire_name_from_text */
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
		      *c == '.'))
			return MP_EINVAL;
	if (!wire) {
		wire = tmp;
		wirelen = &tmplen;
	}
	if (mp_wire_name_from_text(name, wire, wirelen) != MP_OK)
		return MP_EINVAL;
	mp_wire_name_to_text(wire, *wirelen, text, textlen);
	return MP_OK;
}

bool mp_dnsmsg_in_zone(const uint8_t *name, size_t nlen, const uint8_t *zone,
		       size_t zlen)
{
	size_t p = 0;

	while (p < nlen) {
		if (nlen - p == zlen && memcmp(name + p, zone, zlen) == 0)
			return true;
		if (name[p] == 0)
			break;
		p += 1 + (size_t)name[p];
	}
	return false;
}

static ldns_rr *addr_rr(const ldns_rdf *owner, int rrtype, ldns_rr_class cls,
			uint32_t ttl, const struct mp_addr *a)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *owner_copy, *rd;

	if (!rr)
		return NULL;
	owner_copy = ldns_rdf_clone(owner);
	rd = ldns_rdf_new_frm_data(rrtype == MP_RRTYPE_A ? LDNS_RDF_TYPE_A
							 : LDNS_RDF_TYPE_AAAA,
				   mp_addr_len(a), a->bytes);
	if (!owner_copy || !rd) {
		ldns_rdf_deep_free(owner_copy);
		ldns_rdf_deep_free(rd);
		ldns_rr_free(rr);
		return NULL;
	}
	ldns_rr_set_owner(rr, owner_copy);
	ldns_rr_set_type(rr, (ldns_rr_type)rrtype);
	ldns_rr_set_class(rr, cls);
	ldns_rr_set_ttl(rr, ttl);
	if (!ldns_rr_push_rdf(rr, rd)) {
		ldns_rdf_deep_free(rd);
		ldns_rr_free(rr);
		return NULL;
	}
	return rr;
}

/* Adds one RR per address of set to list. */
static int push_addrs(ldns_rr_list *list, const ldns_rdf *owner, int rrtype,
		      ldns_rr_class cls, uint32_t ttl,
		      const struct mp_addr_set *set)
{
	for (size_t i = 0; set && i < set->n; i++) {
		ldns_rr *rr;

		if (mp_addr_rrtype(&set->v[i]) != rrtype)
			return MP_EINVAL;
		rr = addr_rr(owner, rrtype, cls, ttl, &set->v[i]);
		if (!rr)
			return MP_ENOMEM;
		if (!ldns_rr_list_push_rr(list, rr)) {
			ldns_rr_free(rr);
			return MP_ENOMEM;
		}
	}
	return MP_OK;
}

int mp_dnsmsg_finish(ldns_pkt *p, uint16_t id, const struct mp_tsig_key *key,
		     uint64_t now_s, struct mp_dns_request *out)
{
	uint8_t *buf = NULL;
	size_t size = 0, cap;
	ldns_status st;
	int rc;

	ldns_pkt_set_id(p, id);
	/* RD means "recurse" and is meaningless in an UPDATE; ldns sets it
	 * for updates, and BIND's nsupdate sends it clear */
	ldns_pkt_set_rd(p, false);
	st = ldns_pkt2wire(&buf, p, &size);
	if (st != LDNS_STATUS_OK) {
		free(buf);
		return st == LDNS_STATUS_MEM_ERR ? MP_ENOMEM : MP_EPROTO;
	}
	if (size > MAX_MSG) {
		free(buf);
		return MP_ESPACE;
	}
	cap = size + TSIG_ROOM < MAX_MSG ? size + TSIG_ROOM : MAX_MSG;
	out->wire = malloc(cap);
	if (!out->wire) {
		free(buf);
		return MP_ENOMEM;
	}
	memcpy(out->wire, buf, size);
	free(buf);
	out->len = size;
	rc = mp_tsig_sign(out->wire, &out->len, cap, key, now_s, out->mac);
	if (rc != MP_OK)
		return rc;
	out->mac_len = mp_tsig_alg_maclen(mp_tsig_key_alg(key));
	out->id = id;
	return MP_OK;
}

int mp_update_build(const char *zone, const struct mp_rrset_change *changes,
		    size_t n, uint16_t id, const struct mp_tsig_key *key,
		    uint64_t now_s, struct mp_dns_request *out)
{
	uint8_t zwire[MP_WIRE_NAME_MAX], owire[MP_WIRE_NAME_MAX];
	size_t zlen, olen;
	char otext[1024];
	ldns_rdf *owner = NULL;
	ldns_rr_list *up = NULL;
	int rc = MP_EINVAL;

	memset(out, 0, sizeof(*out));
	if (!zone || !changes || n == 0 || !key)
		return MP_EINVAL;
	if (mp_dnsmsg_normalise(zone, out->qname, sizeof(out->qname), zwire,
				&zlen) != MP_OK)
		return MP_EINVAL;
	up = ldns_rr_list_new();
	if (!up)
		return MP_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct mp_rrset_change *c = &changes[i];

		if (!c->owner ||
		    (c->rrtype != MP_RRTYPE_A && c->rrtype != MP_RRTYPE_AAAA) ||
		    c->ttl > INT32_MAX ||
		    mp_dnsmsg_normalise(c->owner, otext, sizeof(otext), owire,
					&olen) != MP_OK ||
		    !mp_dnsmsg_in_zone(owire, olen, zwire, zlen)) {
			rc = MP_EINVAL;
			goto cleanup;
		}
		owner = ldns_dname_new_frm_str(otext);
		if (!owner) {
			rc = MP_ENOMEM;
			goto cleanup;
		}
		/* deletes first, as nsupdate orders them: RFC 2136 applies
		 * the update section in order */
		rc = push_addrs(up, owner, c->rrtype, LDNS_RR_CLASS_NONE, 0,
				c->del);
		if (rc == MP_OK)
			rc = push_addrs(up, owner, c->rrtype, LDNS_RR_CLASS_IN,
					c->ttl, c->add);
		ldns_rdf_deep_free(owner);
		owner = NULL;
		if (rc != MP_OK)
			goto cleanup;
	}
	if (ldns_rr_list_rr_count(up) == 0) {
		rc = MP_EINVAL;
		goto cleanup;
	}
	if (ldns_rr_list_rr_count(up) > 0xffff) {
		rc = MP_ESPACE;
		goto cleanup;
	}

	rc = mp_dnsmsg_update_finish(up, id, key, now_s, out);
cleanup:
	ldns_rr_list_deep_free(up);
	if (rc != MP_OK)
		mp_dns_request_clear(out);
	return rc;
}

int mp_dnsmsg_update_finish(const ldns_rr_list *up, uint16_t id,
			    const struct mp_tsig_key *key, uint64_t now_s,
			    struct mp_dns_request *out)
{
	ldns_rdf *zone_rdf = ldns_dname_new_frm_str(out->qname);
	ldns_pkt *p;
	int rc;

	if (!zone_rdf)
		return MP_ENOMEM;
	p = ldns_update_pkt_new(zone_rdf, LDNS_RR_CLASS_IN, NULL, up, NULL);
	if (!p) {
		ldns_rdf_deep_free(zone_rdf); /* not taken */
		return MP_ENOMEM;
	}
	/* p owns zone_rdf and a copy of up */
	rc = mp_dnsmsg_finish(p, id, key, now_s, out);
	if (rc == MP_OK) {
		out->opcode = OPCODE_UPDATE;
		out->qtype = MP_RRTYPE_SOA;
	}
	ldns_pkt_free(p);
	return rc;
}

int mp_query_build(const char *qname, int qtype, uint16_t id,
		   const struct mp_tsig_key *key, uint64_t now_s,
		   struct mp_dns_request *out)
{
	ldns_rdf *name = NULL;
	ldns_pkt *p = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!qname || !key || qtype <= 0 || qtype > 0xffff)
		return MP_EINVAL;
	if (mp_dnsmsg_normalise(qname, out->qname, sizeof(out->qname), NULL,
				NULL) != MP_OK)
		return MP_EINVAL;
	name = ldns_dname_new_frm_str(out->qname);
	if (!name)
		return MP_ENOMEM;
	p = ldns_pkt_query_new(name, (ldns_rr_type)qtype, LDNS_RR_CLASS_IN, 0);
	if (!p) {
		ldns_rdf_deep_free(name); /* not taken on failure */
		return MP_ENOMEM;
	}
	rc = mp_dnsmsg_finish(p, id, key, now_s, out);
	ldns_pkt_free(p);
	if (rc != MP_OK) {
		mp_dns_request_clear(out);
		return rc;
	}
	out->opcode = OPCODE_QUERY;
	out->qtype = qtype;
	return MP_OK;
}

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
