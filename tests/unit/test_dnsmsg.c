#include "unit.h"
#include "unit_dns.h"

#include "dnsmsg.h"
#include "dnsmsg_int.h"
#include "dnswire.h"
#include "error.h"
#include "view.h"

#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1700000000ULL
#define ZONE "example.org."
#define SECRET256 "dyL1h4ijLZp+tq1qxOz7TsC6q+NCP+oX6EokpOFPfyQ="

static struct mp_tsig_key *key_alg(const char *name, enum mp_tsig_alg alg)
{
	return mp_unit_tsig_key(name, alg, SECRET256);
}

static struct mp_tsig_key *key256(void)
{
	return key_alg("testkey", MP_TSIG_HMAC_SHA256);
}

static void set_of(struct mp_addr_set *s, const char *const *list)
{
	mp_addr_set_init(s);
	for (size_t i = 0; list && list[i]; i++) {
		struct mp_addr a;
		CU_ASSERT_FATAL(mp_addr_parse(list[i], &a) == MP_OK);
		CU_ASSERT_FATAL(mp_addr_set_add(s, &a) == MP_OK);
	}
}

/* ldns's presentation of rr without the trailing newline. */
static const char *rr_text(const ldns_rr *rr)
{
	static char buf[4][512];
	static int next;
	char *s = ldns_rr2str(rr), *out = buf[next];
	size_t n;

	next = (next + 1) % 4;
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	snprintf(out, 512, "%s", s);
	free(s);
	n = strlen(out);
	if (n && out[n - 1] == '\n')
		out[n - 1] = '\0';
	return out;
}

/* ---- building ---------------------------------------------------------- */

static void test_update_build(void)
{
	struct mp_tsig_key *k = key256();
	struct mp_addr_set add4, del4, add6, del6;
	const char *a4[] = {"192.0.2.31", "192.0.2.30", NULL};
	const char *d4[] = {"192.0.2.20", NULL};
	const char *a6[] = {"2001:db8::30", NULL};
	const char *d6[] = {"2001:db8::20", "2001:db8::21", NULL};
	struct mp_rrset_change ch[2];
	struct mp_dns_request req;
	struct mp_wire_msg m;
	ldns_pkt *pkt = NULL;
	ldns_rr_list *l;

	set_of(&add4, a4);
	set_of(&del4, d4);
	set_of(&add6, a6);
	set_of(&del6, d6);
	ch[0] = (struct mp_rrset_change){"dl.example.org.", MP_RRTYPE_A, 60,
					 &add4, &del4};
	/* any case, with or without the final dot */
	ch[1] = (struct mp_rrset_change){"DL.Example.ORG", MP_RRTYPE_AAAA, 60,
					 &add6, &del6};
	CU_ASSERT_FATAL(mp_update_build("Example.Org", ch, 2, 0xbeef, k, NOW,
					&req) == MP_OK);
	CU_ASSERT_EQUAL(req.id, 0xbeef);
	CU_ASSERT_EQUAL(req.opcode, 5);
	CU_ASSERT_STRING_EQUAL(req.qname, ZONE);
	CU_ASSERT_EQUAL(req.qtype, MP_RRTYPE_SOA);
	CU_ASSERT_EQUAL(req.mac_len, 32);
	CU_ASSERT_PTR_NOT_NULL_FATAL(req.wire);

	/* raw header: opcode UPDATE, QR and RD clear; TSIG the one and last
	 * additional RR, carrying the MAC we keep */
	CU_ASSERT_EQUAL(req.wire[2], 0x28);
	CU_ASSERT_EQUAL(req.wire[3], 0x00);
	CU_ASSERT_FATAL(mp_wire_scan(req.wire, req.len, &m) == MP_OK);
	CU_ASSERT_EQUAL(m.count[0], 1);
	CU_ASSERT_EQUAL(m.count[1], 0);
	CU_ASSERT_EQUAL(m.count[2], 6);
	CU_ASSERT_EQUAL(m.count[3], 1);
	CU_ASSERT_EQUAL(m.ntsig, 1);
	CU_ASSERT_TRUE(m.tsig_last);
	CU_ASSERT_EQUAL(m.end, req.len);
	CU_ASSERT_EQUAL(memcmp(req.wire + req.len - 6 - 32, req.mac, 32), 0);
	CU_ASSERT_EQUAL(
	    mp_tsig_verify(req.wire, req.len, k, NULL, 0, NOW, NULL),
	    MP_TSIG_VERIFIED);

	/* section by section, as ldns reads it back */
	CU_ASSERT_FATAL(ldns_wire2pkt(&pkt, req.wire, req.len) ==
			LDNS_STATUS_OK);
	CU_ASSERT_EQUAL(ldns_pkt_get_opcode(pkt), LDNS_PACKET_UPDATE);
	CU_ASSERT_FALSE(ldns_pkt_rd(pkt));
	CU_ASSERT_FALSE(ldns_pkt_qr(pkt));
	CU_ASSERT_EQUAL(ldns_pkt_id(pkt), 0xbeef);
	l = ldns_pkt_question(pkt);
	CU_ASSERT_EQUAL_FATAL(ldns_rr_list_rr_count(l), 1);
	CU_ASSERT_STRING_EQUAL(rr_text(ldns_rr_list_rr(l, 0)),
			       "example.org.\tIN\tSOA");
	CU_ASSERT_EQUAL(ldns_rr_list_rr_count(ldns_pkt_answer(pkt)), 0);
	l = ldns_pkt_authority(pkt);
	CU_ASSERT_EQUAL_FATAL(ldns_rr_list_rr_count(l), 6);
	CU_ASSERT_STRING_EQUAL(rr_text(ldns_rr_list_rr(l, 0)),
			       "dl.example.org.\t0\tNONE\tA\t192.0.2.20");
	CU_ASSERT_STRING_EQUAL(rr_text(ldns_rr_list_rr(l, 1)),
			       "dl.example.org.\t60\tIN\tA\t192.0.2.30");
	CU_ASSERT_STRING_EQUAL(rr_text(ldns_rr_list_rr(l, 2)),
			       "dl.example.org.\t60\tIN\tA\t192.0.2.31");
	CU_ASSERT_STRING_EQUAL(rr_text(ldns_rr_list_rr(l, 3)),
			       "dl.example.org.\t0\tNONE\tAAAA\t2001:db8::20");
	CU_ASSERT_STRING_EQUAL(rr_text(ldns_rr_list_rr(l, 4)),
			       "dl.example.org.\t0\tNONE\tAAAA\t2001:db8::21");
	CU_ASSERT_STRING_EQUAL(rr_text(ldns_rr_list_rr(l, 5)),
			       "dl.example.org.\t60\tIN\tAAAA\t2001:db8::30");
	CU_ASSERT_EQUAL(ldns_rr_list_rr_count(ldns_pkt_additional(pkt)), 0);
	CU_ASSERT_PTR_NOT_NULL(ldns_pkt_tsig(pkt));
	ldns_pkt_free(pkt);

	mp_dns_request_clear(&req);
	CU_ASSERT_PTR_NULL(req.wire);
	CU_ASSERT_EQUAL(req.len, 0);
	mp_dns_request_clear(&req);
	mp_addr_set_clear(&add4);
	mp_addr_set_clear(&del4);
	mp_addr_set_clear(&add6);
	mp_addr_set_clear(&del6);
	mp_tsig_key_free(k);
}

static void test_update_refused(void)
{
	struct mp_tsig_key *k = key256();
	struct mp_addr_set one, empty, v6;
	const char *l1[] = {"192.0.2.1", NULL};
	const char *l6[] = {"2001:db8::1", NULL};
	struct mp_rrset_change c;
	struct mp_dns_request req;
	const char *outside[] = {"dl.example.com.",
				 "example.org.evil.",
				 "notexample.org.",
				 "org.",
				 "dl..example.org.",
				 "dl example.org.",
				 "*.example.org.",
				 "",
				 NULL};

	set_of(&one, l1);
	set_of(&empty, NULL);
	set_of(&v6, l6);
	c = (struct mp_rrset_change){"dl.example.org.", MP_RRTYPE_A, 60, &one,
				     NULL};
	for (int i = 0; outside[i]; i++) {
		c.owner = outside[i];
		CU_ASSERT_EQUAL(mp_update_build(ZONE, &c, 1, 1, k, NOW, &req),
				MP_EINVAL);
		CU_ASSERT_PTR_NULL(req.wire);
	}
	/* the apex itself is in the zone */
	c.owner = "example.org";
	CU_ASSERT_EQUAL(mp_update_build(ZONE, &c, 1, 1, k, NOW, &req), MP_OK);
	mp_dns_request_clear(&req);
	c.owner = "dl.example.org.";
	/* no change at all */
	CU_ASSERT_EQUAL(mp_update_build(ZONE, &c, 0, 1, k, NOW, &req),
			MP_EINVAL);
	CU_ASSERT_EQUAL(mp_update_build(ZONE, NULL, 1, 1, k, NOW, &req),
			MP_EINVAL);
	c.add = &empty;
	c.del = &empty;
	CU_ASSERT_EQUAL(mp_update_build(ZONE, &c, 1, 1, k, NOW, &req),
			MP_EINVAL);
	/* an IPv6 address in an A change; an unknown type; a bad TTL */
	c.add = &v6;
	CU_ASSERT_EQUAL(mp_update_build(ZONE, &c, 1, 1, k, NOW, &req),
			MP_EINVAL);
	c.add = &one;
	c.rrtype = MP_RRTYPE_SOA;
	CU_ASSERT_EQUAL(mp_update_build(ZONE, &c, 1, 1, k, NOW, &req),
			MP_EINVAL);
	c.rrtype = MP_RRTYPE_A;
	c.ttl = 0x80000000u;
	CU_ASSERT_EQUAL(mp_update_build(ZONE, &c, 1, 1, k, NOW, &req),
			MP_EINVAL);
	c.ttl = 60;
	CU_ASSERT_EQUAL(mp_update_build("", &c, 1, 1, k, NOW, &req), MP_EINVAL);
	CU_ASSERT_EQUAL(mp_update_build(ZONE, &c, 1, 1, k, NOW, &req), MP_OK);
	mp_dns_request_clear(&req);
	mp_addr_set_clear(&one);
	mp_addr_set_clear(&v6);
	mp_tsig_key_free(k);
}

/* Over 65535 bytes cannot be sent at all. */
static void test_update_too_big(void)
{
	struct mp_tsig_key *k = key256();
	struct mp_addr_set big;
	struct mp_rrset_change c;
	struct mp_dns_request req;
	char text[64];

	mp_addr_set_init(&big);
	/* each added AAAA costs 2 (compressed owner) + 10 + 16 bytes */
	for (int i = 0; i < 2400; i++) {
		struct mp_addr a;
		snprintf(text, sizeof(text), "2001:db8::%x:%x", i / 256,
			 i % 256);
		CU_ASSERT_FATAL(mp_addr_parse(text, &a) == MP_OK);
		CU_ASSERT_FATAL(mp_addr_set_add(&big, &a) == MP_OK);
	}
	c = (struct mp_rrset_change){"dl.example.org.", MP_RRTYPE_AAAA, 60,
				     &big, NULL};
	CU_ASSERT_EQUAL(mp_update_build(ZONE, &c, 1, 1, k, NOW, &req),
			MP_ESPACE);
	CU_ASSERT_PTR_NULL(req.wire);
	mp_addr_set_clear(&big);
	mp_tsig_key_free(k);
}

/* Our UPDATE against what BIND's nsupdate sent for the same change. */
static void test_update_like_nsupdate(void)
{
	struct mp_tsig_key *k = key256();
	struct mp_addr_set add, del;
	const char *la[] = {"192.0.2.30", NULL};
	const char *ld[] = {"192.0.2.20", NULL};
	struct mp_rrset_change c;
	struct mp_dns_request req;
	size_t nlen;
	uint8_t *nsu = mp_unit_read_msg("nsupdate-hmac-sha256.bin", &nlen);
	ldns_pkt *ours = NULL, *theirs = NULL;
	ldns_rr_list *lo, *lt;

	set_of(&add, la);
	set_of(&del, ld);
	c = (struct mp_rrset_change){"dl.example.org.", MP_RRTYPE_A, 60, &add,
				     &del};
	CU_ASSERT_FATAL(mp_update_build("example.org", &c, 1, mp_wire_u16(nsu),
					k, 1795314915, &req) == MP_OK);
	CU_ASSERT_FATAL(ldns_wire2pkt(&ours, req.wire, req.len) ==
			LDNS_STATUS_OK);
	CU_ASSERT_FATAL(ldns_wire2pkt(&theirs, nsu, nlen) == LDNS_STATUS_OK);

	/* header flags: nsupdate sends opcode UPDATE with RD clear too */
	CU_ASSERT_EQUAL(nsu[2], req.wire[2]);
	CU_ASSERT_EQUAL(nsu[3], req.wire[3]);
	CU_ASSERT_FALSE(ldns_pkt_rd(theirs));
	/* zone section */
	lo = ldns_pkt_question(ours);
	lt = ldns_pkt_question(theirs);
	CU_ASSERT_EQUAL_FATAL(ldns_rr_list_rr_count(lt), 1);
	CU_ASSERT_EQUAL_FATAL(ldns_rr_list_rr_count(lo), 1);
	CU_ASSERT_STRING_EQUAL(rr_text(ldns_rr_list_rr(lt, 0)),
			       "example.org.\tIN\tSOA");
	CU_ASSERT_STRING_EQUAL(rr_text(ldns_rr_list_rr(lo, 0)),
			       rr_text(ldns_rr_list_rr(lt, 0)));
	/* prerequisites: none */
	CU_ASSERT_EQUAL(ldns_rr_list_rr_count(ldns_pkt_answer(theirs)), 0);
	CU_ASSERT_EQUAL(ldns_rr_list_rr_count(ldns_pkt_answer(ours)), 0);
	/* update section */
	lo = ldns_pkt_authority(ours);
	lt = ldns_pkt_authority(theirs);
	CU_ASSERT_EQUAL_FATAL(ldns_rr_list_rr_count(lt), 2);
	CU_ASSERT_EQUAL_FATAL(ldns_rr_list_rr_count(lo), 2);
	CU_ASSERT_STRING_EQUAL(rr_text(ldns_rr_list_rr(lt, 0)),
			       "dl.example.org.\t0\tNONE\tA\t192.0.2.20");
	CU_ASSERT_STRING_EQUAL(rr_text(ldns_rr_list_rr(lt, 1)),
			       "dl.example.org.\t60\tIN\tA\t192.0.2.30");
	CU_ASSERT_STRING_EQUAL(rr_text(ldns_rr_list_rr(lo, 0)),
			       rr_text(ldns_rr_list_rr(lt, 0)));
	CU_ASSERT_STRING_EQUAL(rr_text(ldns_rr_list_rr(lo, 1)),
			       rr_text(ldns_rr_list_rr(lt, 1)));
	/* additional: only the TSIG */
	CU_ASSERT_EQUAL(ldns_rr_list_rr_count(ldns_pkt_additional(theirs)), 0);
	CU_ASSERT_EQUAL(ldns_rr_list_rr_count(ldns_pkt_additional(ours)), 0);
	CU_ASSERT_PTR_NOT_NULL(ldns_pkt_tsig(theirs));
	CU_ASSERT_PTR_NOT_NULL(ldns_pkt_tsig(ours));
	CU_ASSERT_EQUAL(mp_wire_u16(nsu + 10), 1);
	CU_ASSERT_EQUAL(mp_wire_u16(req.wire + 10), 1);
	/* same ID, same time, same compression: the very same datagram */
	CU_ASSERT_EQUAL(req.len, nlen);
	CU_ASSERT_TRUE(req.len == nlen && memcmp(req.wire, nsu, nlen) == 0);

	ldns_pkt_free(ours);
	ldns_pkt_free(theirs);
	free(nsu);
	mp_dns_request_clear(&req);
	mp_addr_set_clear(&add);
	mp_addr_set_clear(&del);
	mp_tsig_key_free(k);
}

static void test_query_build(void)
{
	struct mp_tsig_key *k = key256();
	struct mp_dns_request req;
	ldns_pkt *pkt = NULL;

	CU_ASSERT_FATAL(mp_query_build("DL.example.org", MP_RRTYPE_AAAA, 77, k,
				       NOW, &req) == MP_OK);
	CU_ASSERT_EQUAL(req.id, 77);
	CU_ASSERT_EQUAL(req.opcode, 0);
	CU_ASSERT_STRING_EQUAL(req.qname, "dl.example.org.");
	CU_ASSERT_EQUAL(req.qtype, MP_RRTYPE_AAAA);
	CU_ASSERT_EQUAL(req.wire[2], 0x00); /* QUERY, RD clear */
	CU_ASSERT_EQUAL(req.wire[3], 0x00);
	CU_ASSERT_EQUAL(
	    mp_tsig_verify(req.wire, req.len, k, NULL, 0, NOW, NULL),
	    MP_TSIG_VERIFIED);
	CU_ASSERT_FATAL(ldns_wire2pkt(&pkt, req.wire, req.len) ==
			LDNS_STATUS_OK);
	CU_ASSERT_EQUAL(ldns_pkt_get_opcode(pkt), LDNS_PACKET_QUERY);
	CU_ASSERT_FALSE(ldns_pkt_rd(pkt));
	CU_ASSERT_EQUAL_FATAL(ldns_rr_list_rr_count(ldns_pkt_question(pkt)), 1);
	CU_ASSERT_STRING_EQUAL(
	    rr_text(ldns_rr_list_rr(ldns_pkt_question(pkt), 0)),
	    "dl.example.org.\tIN\tAAAA");
	CU_ASSERT_EQUAL(ldns_pkt_ancount(pkt), 0);
	CU_ASSERT_EQUAL(ldns_pkt_nscount(pkt), 0);
	CU_ASSERT_EQUAL(ldns_pkt_arcount(pkt), 0); /* TSIG set aside */
	CU_ASSERT_PTR_NOT_NULL(ldns_pkt_tsig(pkt));
	ldns_pkt_free(pkt);
	mp_dns_request_clear(&req);

	CU_ASSERT_EQUAL(mp_query_build("a..b", MP_RRTYPE_A, 1, k, NOW, &req),
			MP_EINVAL);
	CU_ASSERT_EQUAL(mp_query_build("a.b", 0, 1, k, NOW, &req), MP_EINVAL);
	CU_ASSERT_PTR_NULL(req.wire);
	mp_tsig_key_free(k);
}

/* ---- a fake server's replies ------------------------------------------ */

struct reply {
	uint8_t w[70000];
	size_t len;
};

/* The request without its TSIG, turned into a response (QR, AA) with
 * rcode. */
static void reply_start(struct reply *r, const struct mp_dns_request *req,
			int rcode)
{
	struct mp_wire_msg m;

	CU_ASSERT_FATAL(mp_wire_scan(req->wire, req->len, &m) == MP_OK);
	CU_ASSERT_FATAL(m.ntsig == 1);
	memcpy(r->w, req->wire, m.tsig.start);
	r->len = m.tsig.start;
	r->w[2] |= 0x84;
	r->w[3] = (uint8_t)(rcode & 0xf);
	mp_wire_put16(r->w + 10, (uint16_t)(m.count[3] - 1));
}

static void bump(struct reply *r, int section)
{
	uint8_t *p = r->w + 4 + 2 * section;

	mp_wire_put16(p, (uint16_t)(mp_wire_u16(p) + 1));
}

/* Appends an answer RR; owner NULL means the question's name
 * (compressed). */
static void reply_rr(struct reply *r, const char *owner, uint16_t type,
		     uint32_t ttl, const void *rdata, uint16_t rdlen)
{
	uint8_t *p = r->w + r->len;

	if (owner) {
		/* uncompressed, case kept */
		const char *s = owner;
		while (*s && *s != '.') {
			size_t ll = strcspn(s, ".");
			*p++ = (uint8_t)ll;
			memcpy(p, s, ll);
			p += ll;
			s += ll;
			if (*s == '.')
				s++;
		}
		*p++ = 0;
	} else {
		*p++ = 0xc0;
		*p++ = MP_WIRE_HDRLEN;
	}
	mp_wire_put16(p, type);
	mp_wire_put16(p + 2, MP_RRCLASS_IN);
	p[4] = (uint8_t)(ttl >> 24);
	p[5] = (uint8_t)(ttl >> 16);
	p[6] = (uint8_t)(ttl >> 8);
	p[7] = (uint8_t)ttl;
	mp_wire_put16(p + 8, rdlen);
	memcpy(p + 10, rdata, rdlen);
	r->len = (size_t)(p + 10 + rdlen - r->w);
	bump(r, 1);
}

static void reply_addr(struct reply *r, const char *owner, uint32_t ttl,
		       const char *text)
{
	struct mp_addr a;

	CU_ASSERT_FATAL(mp_addr_parse(text, &a) == MP_OK);
	reply_rr(r, owner, (uint16_t)mp_addr_rrtype(&a), ttl, a.bytes,
		 (uint16_t)mp_addr_len(&a));
}

static void reply_sign(struct reply *r, const struct mp_tsig_key *k,
		       const struct mp_dns_request *req, uint64_t t,
		       uint16_t error, uint64_t other_time)
{
	CU_ASSERT_FATAL(mp_tsig_sign_response(r->w, &r->len, sizeof(r->w), k, t,
					      req->mac, req->mac_len, error,
					      other_time, NULL) == MP_OK);
}

static enum mp_resp_verdict check(const struct mp_dns_request *req,
				  const struct reply *r,
				  const struct mp_tsig_key *k,
				  struct mp_dns_response *resp, char *why)
{
	return mp_response_check(req, r->w, r->len, k, NOW, resp, why, 256);
}

/* ---- checking responses ------------------------------------------------ */

static void test_query_answers(void)
{
	struct mp_tsig_key *k = key256();
	struct mp_dns_request req;
	struct mp_dns_response resp;
	struct reply *r = malloc(sizeof(*r));
	char why[256];
	uint8_t soa[64];
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_FATAL(mp_query_build("dl.example.org.", MP_RRTYPE_A, 4242, k,
				       NOW, &req) == MP_OK);
	reply_start(r, &req, 0);
	reply_addr(r, NULL, 60, "192.0.2.31");
	reply_addr(r, "DL.example.org.", 30, "192.0.2.30");
	reply_addr(r, "other.example.org.", 60, "192.0.2.99");
	reply_addr(r, NULL, 60, "2001:db8::1");
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_OK);
	CU_ASSERT_STRING_EQUAL(why, "");
	CU_ASSERT_EQUAL(resp.verdict, MP_RESP_OK);
	CU_ASSERT_EQUAL(resp.tsig, MP_TSIG_VERIFIED);
	CU_ASSERT_EQUAL(resp.rcode, 0);
	CU_ASSERT_FALSE(resp.tc);
	CU_ASSERT_EQUAL_FATAL(resp.answers.n, 2);
	CU_ASSERT_STRING_EQUAL(resp.answers.v[0].text, "192.0.2.30");
	CU_ASSERT_STRING_EQUAL(resp.answers.v[1].text, "192.0.2.31");
	CU_ASSERT_EQUAL(resp.answer_ttl, 30);
	CU_ASSERT_FALSE(resp.has_soa);
	mp_dns_response_clear(&resp);
	CU_ASSERT_EQUAL(resp.answers.n, 0);

	/* the same answers, unsigned: not trusted, not returned */
	reply_start(r, &req, 0);
	reply_addr(r, NULL, 60, "192.0.2.31");
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_UNSIGNED);
	CU_ASSERT_STRING_EQUAL(why, "unsigned NOERROR: possible spoofing");
	CU_ASSERT_EQUAL(resp.answers.n, 0);
	mp_dns_response_clear(&resp);
	mp_dns_request_clear(&req);

	/* SOA query: the serial */
	CU_ASSERT_FATAL(mp_query_build(ZONE, MP_RRTYPE_SOA, 7, k, NOW, &req) ==
			MP_OK);
	reply_start(r, &req, 0);
	CU_ASSERT_FATAL(mp_wire_name_from_text("ns1.example.org.", soa, &n) ==
			MP_OK);
	soa[n++] = 0xc0; /* rname: the zone name */
	soa[n++] = MP_WIRE_HDRLEN;
	{
		static const uint8_t nums[20] = {
		    0x78, 0x3a, 0x2b, 0x1c, 0,	  0,	0x0e, 0x10, 0,	  0,
		    0x03, 0x84, 0,    0x09, 0x3a, 0x80, 0,    0,    0x01, 0x2c};
		memcpy(soa + n, nums, sizeof(nums));
		n += sizeof(nums);
	}
	reply_rr(r, NULL, MP_RRTYPE_SOA, 3600, soa, (uint16_t)n);
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_OK);
	CU_ASSERT_TRUE(resp.has_soa);
	CU_ASSERT_EQUAL(resp.soa_serial, 0x783a2b1cu);
	CU_ASSERT_EQUAL(resp.answers.n, 0);
	mp_dns_response_clear(&resp);
	mp_dns_request_clear(&req);

	/* an SOA in the answer to an A query is no serial of the zone */
	CU_ASSERT_FATAL(mp_query_build("dl.example.org.", MP_RRTYPE_A, 8, k,
				       NOW, &req) == MP_OK);
	reply_start(r, &req, 0);
	reply_rr(r, NULL, MP_RRTYPE_SOA, 3600, soa, (uint16_t)n);
	reply_addr(r, NULL, 60, "192.0.2.31");
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_OK);
	CU_ASSERT_FALSE(resp.has_soa);
	CU_ASSERT_EQUAL(resp.soa_serial, 0);
	CU_ASSERT_EQUAL(resp.answers.n, 1);
	mp_dns_response_clear(&resp);
	mp_dns_request_clear(&req);
	free(r);
	mp_tsig_key_free(k);
}

static void test_update_replies(void)
{
	struct mp_tsig_key *k = key256();
	struct mp_addr_set add;
	const char *la[] = {"192.0.2.30", NULL};
	struct mp_rrset_change c;
	struct mp_dns_request req;
	struct mp_dns_response resp;
	struct reply *r = malloc(sizeof(*r));
	char why[256];
	static const uint8_t opt[] = {0, 0, 41, 0x04, 0xd0, 1, 0, 0, 0, 0, 0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	set_of(&add, la);
	c = (struct mp_rrset_change){"dl.example.org.", MP_RRTYPE_A, 60, &add,
				     NULL};
	CU_ASSERT_FATAL(mp_update_build(ZONE, &c, 1, 999, k, NOW, &req) ==
			MP_OK);

	reply_start(r, &req, 0);
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_OK);
	CU_ASSERT_EQUAL(resp.rcode, 0);
	CU_ASSERT_EQUAL(resp.tsig, MP_TSIG_VERIFIED);

	/* BIND's allow-update denial: a signed REFUSED */
	reply_start(r, &req, 5);
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_OK);
	CU_ASSERT_EQUAL(resp.rcode, 5);

	/* TC=1 is reported (the transport retries over TCP) */
	reply_start(r, &req, 0);
	r->w[2] |= 0x02;
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_OK);
	CU_ASSERT_TRUE(resp.tc);

	/* extended rcode from an OPT RR: BADVERS (16) */
	reply_start(r, &req, 0);
	memcpy(r->w + r->len, opt, sizeof(opt));
	r->len += sizeof(opt);
	bump(r, 3);
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_OK);
	CU_ASSERT_EQUAL(resp.rcode, 16);

	/* an error reply without a question section */
	reply_start(r, &req, 1);
	r->len = MP_WIRE_HDRLEN;
	memset(r->w + 4, 0, 8);
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_OK);
	CU_ASSERT_EQUAL(resp.rcode, 1);

	mp_dns_request_clear(&req);
	mp_addr_set_clear(&add);
	free(r);
	mp_tsig_key_free(k);
}

static void test_not_ours(void)
{
	struct mp_tsig_key *k = key256();
	struct mp_dns_request req, upd;
	struct mp_dns_response resp;
	struct reply *r = malloc(sizeof(*r));
	char why[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_FATAL(mp_query_build("dl.example.org.", MP_RRTYPE_A, 100, k,
				       NOW, &req) == MP_OK);

	/* wrong ID (but otherwise perfect) */
	reply_start(r, &req, 0);
	mp_wire_put16(r->w, 101);
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_IGNORE);
	CU_ASSERT_STRING_EQUAL(why, "ID mismatch: got 101, expected 100");

	/* QR=0: our own query reflected back */
	CU_ASSERT_EQUAL(mp_response_check(&req, req.wire, req.len, k, NOW,
					  &resp, why, sizeof(why)),
			MP_RESP_IGNORE);
	CU_ASSERT_STRING_EQUAL(why, "QR=0: a query, not a response");

	/* wrong opcode: an UPDATE response with our ID */
	reply_start(r, &req, 0);
	r->w[2] = (uint8_t)((r->w[2] & 0x87) | (5 << 3));
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_IGNORE);
	CU_ASSERT_STRING_EQUAL(why, "opcode mismatch: got 5, expected 0");

	/* wrong question: another name, another type */
	CU_ASSERT_FATAL(mp_query_build("www.example.org.", MP_RRTYPE_A, 100, k,
				       NOW, &upd) == MP_OK);
	reply_start(r, &upd, 0);
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_IGNORE);
	CU_ASSERT_STRING_EQUAL(why, "question mismatch: got "
				    "www.example.org./A/1, expected "
				    "dl.example.org./A");
	mp_dns_request_clear(&upd);
	CU_ASSERT_FATAL(mp_query_build("dl.example.org.", MP_RRTYPE_AAAA, 100,
				       k, NOW, &upd) == MP_OK);
	reply_start(r, &upd, 0);
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_IGNORE);
	CU_ASSERT_STRING_EQUAL(why, "question mismatch: got "
				    "dl.example.org./AAAA/1, expected "
				    "dl.example.org./A");
	mp_dns_request_clear(&upd);
	/* a case change in the question is the same question */
	reply_start(r, &req, 0);
	r->w[MP_WIRE_HDRLEN + 1] = 'D';
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_OK);
	/* two questions */
	reply_start(r, &req, 0);
	mp_wire_put16(r->w + 4, 2);
	memcpy(r->w + r->len, r->w + MP_WIRE_HDRLEN, r->len - MP_WIRE_HDRLEN);
	r->len += r->len - MP_WIRE_HDRLEN;
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_IGNORE);
	CU_ASSERT_STRING_EQUAL(why, "question mismatch: 2 questions");

	mp_dns_request_clear(&req);
	free(r);
	mp_tsig_key_free(k);
}

static void test_unsigned(void)
{
	struct mp_tsig_key *k = key256();
	struct mp_addr_set add;
	const char *la[] = {"192.0.2.30", NULL};
	struct mp_rrset_change c;
	struct mp_dns_request req;
	struct mp_dns_response resp;
	struct reply *r = malloc(sizeof(*r));
	char why[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	set_of(&add, la);
	c = (struct mp_rrset_change){"dl.example.org.", MP_RRTYPE_A, 60, &add,
				     NULL};
	CU_ASSERT_FATAL(mp_update_build(ZONE, &c, 1, 5, k, NOW, &req) == MP_OK);

	/* PowerDNS's unknown key or wrong secret, Knot's unknown zone:
	 * NOTAUTH without any TSIG */
	reply_start(r, &req, 9);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_UNSIGNED);
	CU_ASSERT_EQUAL(resp.tsig, MP_TSIG_UNSIGNED);
	CU_ASSERT_EQUAL(resp.rcode, 9);
	CU_ASSERT_STRING_EQUAL(why, "unsigned NOTAUTH with no TSIG record: "
				    "PowerDNS's answer to an unknown key or a "
				    "wrong secret (or: zone not served)");
	/* a forged NOERROR */
	reply_start(r, &req, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_UNSIGNED);
	CU_ASSERT_STRING_EQUAL(why, "unsigned NOERROR: possible spoofing");
	reply_start(r, &req, 5);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_UNSIGNED);
	CU_ASSERT_STRING_EQUAL(why, "unsigned REFUSED");
	/* NOTAUTH with a MAC-less TSIG: BADKEY, BADSIG */
	reply_start(r, &req, 9);
	reply_sign(r, k, &req, NOW, MP_TSIG_BADKEY, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_UNSIGNED);
	CU_ASSERT_EQUAL(resp.tsig_info.error, MP_TSIG_BADKEY);
	CU_ASSERT_STRING_EQUAL(why, "unsigned NOTAUTH, TSIG error BADKEY: the "
				    "server does not know key \"testkey.\" "
				    "with algorithm hmac-sha256.");
	reply_start(r, &req, 9);
	reply_sign(r, k, &req, NOW, MP_TSIG_BADSIG, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_UNSIGNED);
	CU_ASSERT_EQUAL(resp.tsig_info.error, MP_TSIG_BADSIG);
	CU_ASSERT_STRING_EQUAL(why, "unsigned NOTAUTH, TSIG error BADSIG: the "
				    "server could not verify our MAC with key "
				    "\"testkey.\" (wrong secret?)");

	mp_dns_request_clear(&req);
	mp_addr_set_clear(&add);
	free(r);
	mp_tsig_key_free(k);
}

static void test_badtime(void)
{
	struct mp_tsig_key *k = key256();
	struct mp_dns_request req;
	struct mp_dns_response resp;
	struct reply *r = malloc(sizeof(*r));
	char why[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_FATAL(mp_query_build(ZONE, MP_RRTYPE_SOA, 8, k, NOW, &req) ==
			MP_OK);
	/* the server's clock is 301 s ahead: it signs with our Time Signed
	 * and puts its own time in Other Data (RFC 8945 §5.2.3) */
	reply_start(r, &req, 9);
	reply_sign(r, k, &req, NOW, MP_TSIG_BADTIME, NOW + 301);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_OK);
	CU_ASSERT_EQUAL(resp.tsig, MP_TSIG_SERVER_ERROR);
	CU_ASSERT_EQUAL(resp.rcode, 9);
	CU_ASSERT_EQUAL(resp.tsig_info.error, MP_TSIG_BADTIME);
	CU_ASSERT_EQUAL(resp.tsig_info.other_time, NOW + 301);
	CU_ASSERT_STRING_EQUAL(why, "signed NOTAUTH with TSIG error BADTIME: "
				    "server clock 1700000301 is +301 s from "
				    "ours");
	mp_dns_request_clear(&req);
	free(r);
	mp_tsig_key_free(k);
}

static void test_bad_tsig(void)
{
	struct mp_tsig_key *k = key256();
	struct mp_tsig_key *k512 = key_alg("testkey", MP_TSIG_HMAC_SHA512);
	struct mp_tsig_key *other = key_alg("otherkey", MP_TSIG_HMAC_SHA256);
	struct mp_dns_request req;
	struct mp_dns_response resp;
	struct reply *r = malloc(sizeof(*r));
	char why[256];
	uint8_t *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_FATAL(mp_query_build("dl.example.org.", MP_RRTYPE_A, 9, k,
				       NOW, &req) == MP_OK);

	/* re-signed with another algorithm under the same name */
	reply_start(r, &req, 0);
	reply_addr(r, NULL, 60, "192.0.2.66");
	reply_sign(r, k512, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_BAD_TSIG);
	CU_ASSERT_EQUAL(resp.tsig, MP_TSIG_WRONG_ALG);
	CU_ASSERT_EQUAL(resp.answers.n, 0);
	CU_ASSERT_STRING_EQUAL(why, "TSIG algorithm hmac-sha512. differs from "
				    "hmac-sha256.");
	/* an algorithm we (and ldns) do not implement */
	reply_start(r, &req, 0);
	reply_sign(r, k, &req, NOW, 0, 0);
	p = NULL;
	for (size_t i = 0; i + 11 <= r->len && !p; i++)
		if (memcmp(r->w + i, "hmac-sha256", 11) == 0)
			p = r->w + i;
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memcpy(p, "hmac-sha224", 11);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_BAD_TSIG);
	CU_ASSERT_STRING_EQUAL(why, "TSIG algorithm hmac-sha224. differs from "
				    "hmac-sha256.");
	/* another key */
	reply_start(r, &req, 0);
	reply_sign(r, other, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_BAD_TSIG);
	CU_ASSERT_STRING_EQUAL(why, "TSIG key name otherkey. differs from "
				    "testkey.");
	/* outside the fudge, either way; inside it */
	reply_start(r, &req, 0);
	reply_sign(r, k, &req, NOW + 301, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_BAD_TSIG);
	CU_ASSERT_EQUAL(resp.tsig, MP_TSIG_BAD_TIME);
	CU_ASSERT_STRING_EQUAL(why, "TSIG Time Signed 1700000301 is +301 s "
				    "from our clock, outside fudge 300");
	reply_start(r, &req, 0);
	reply_sign(r, k, &req, NOW - 301, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_BAD_TSIG);
	CU_ASSERT_STRING_EQUAL(why, "TSIG Time Signed 1699999699 is -301 s "
				    "from our clock, outside fudge 300");
	reply_start(r, &req, 0);
	reply_sign(r, k, &req, NOW + 299, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_OK);
	/* a flipped bit */
	reply_start(r, &req, 0);
	reply_addr(r, NULL, 60, "192.0.2.66");
	reply_sign(r, k, &req, NOW, 0, 0);
	r->w[r->len - 20] ^= 0x10;
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_BAD_TSIG);
	CU_ASSERT_EQUAL(resp.tsig, MP_TSIG_BAD_MAC);
	CU_ASSERT_EQUAL(resp.answers.n, 0);
	CU_ASSERT_STRING_EQUAL(why, "TSIG MAC does not verify with key "
				    "\"testkey.\" (hmac-sha256.)");
	/* signed for another request */
	reply_start(r, &req, 0);
	{
		struct mp_dns_request other_req = req;
		other_req.mac[0] ^= 1;
		reply_sign(r, k, &other_req, NOW, 0, 0);
	}
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_BAD_TSIG);
	CU_ASSERT_EQUAL(resp.tsig, MP_TSIG_BAD_MAC);

	mp_dns_request_clear(&req);
	free(r);
	mp_tsig_key_free(k);
	mp_tsig_key_free(k512);
	mp_tsig_key_free(other);
}

/* Two TSIG RRs or a TSIG RR that is not last answer our request but break
 * RFC 8945 §5.1: BAD_TSIG, and ldns never sees them (it would leak the
 * first TSIG RR when it meets the second). Run under valgrind. */
static void test_tsig_placement(void)
{
	struct mp_tsig_key *k = key256();
	struct mp_dns_request req;
	struct mp_dns_response resp;
	struct reply *r = malloc(sizeof(*r));
	char why[256];
	struct mp_addr a;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_FATAL(mp_query_build("dl.example.org.", MP_RRTYPE_A, 10, k,
				       NOW, &req) == MP_OK);
	reply_start(r, &req, 0);
	reply_addr(r, NULL, 60, "192.0.2.66");
	reply_sign(r, k, &req, NOW, 0, 0);
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_BAD_TSIG);
	CU_ASSERT_EQUAL(resp.tsig, MP_TSIG_MALFORMED);
	CU_ASSERT_EQUAL(resp.answers.n, 0);
	CU_ASSERT_STRING_EQUAL(why, "malformed TSIG: more than one TSIG RR");

	/* an address after the TSIG RR, in the additional section */
	reply_start(r, &req, 0);
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_FATAL(mp_addr_parse("192.0.2.77", &a) == MP_OK);
	{
		static const uint8_t hdr[] = {
		    0xc0, MP_WIRE_HDRLEN, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4};
		memcpy(r->w + r->len, hdr, sizeof(hdr));
		memcpy(r->w + r->len + sizeof(hdr), a.bytes, 4);
		r->len += sizeof(hdr) + 4;
		bump(r, 3);
	}
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_BAD_TSIG);
	CU_ASSERT_STRING_EQUAL(
	    why, "malformed TSIG: TSIG RR is not the last record");
	mp_dns_request_clear(&req);
	free(r);
	mp_tsig_key_free(k);
}

static void test_garbage(void)
{
	struct mp_tsig_key *k = key256();
	struct mp_dns_request req;
	struct mp_dns_response resp;
	struct reply *r = malloc(sizeof(*r));
	char why[256];
	uint8_t *buf;
	uint32_t seed = 12345;
	size_t good;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_FATAL(mp_query_build("dl.example.org.", MP_RRTYPE_A, 11, k,
				       NOW, &req) == MP_OK);
	CU_ASSERT_EQUAL(
	    mp_response_check(&req, NULL, 0, k, NOW, &resp, why, sizeof(why)),
	    MP_RESP_IGNORE);
	CU_ASSERT_STRING_EQUAL(why,
			       "malformed: 0 bytes, shorter than a DNS header");
	CU_ASSERT_EQUAL(mp_response_check(&req, req.wire, 11, k, NOW, &resp,
					  why, sizeof(why)),
			MP_RESP_IGNORE);
	CU_ASSERT_STRING_EQUAL(
	    why, "malformed: 11 bytes, shorter than a DNS header");

	/* 65535 bytes of 0xff; 65536 bytes */
	buf = malloc(65536);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memset(buf, 0xff, 65536);
	CU_ASSERT_EQUAL(mp_response_check(&req, buf, 65535, k, NOW, &resp, why,
					  sizeof(why)),
			MP_RESP_IGNORE);
	CU_ASSERT_STRING_EQUAL(why, "malformed: truncated or invalid message");
	CU_ASSERT_EQUAL(mp_response_check(&req, buf, 65536, k, NOW, &resp, why,
					  sizeof(why)),
			MP_RESP_IGNORE);
	CU_ASSERT_STRING_EQUAL(why, "malformed: 65536 bytes, over 65535");
	free(buf);

	/* a good reply padded to 65535 bytes */
	reply_start(r, &req, 0);
	reply_sign(r, k, &req, NOW, 0, 0);
	good = r->len;
	memset(r->w + r->len, 0, 65535 - r->len);
	r->len = 65535;
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_BAD_TSIG);
	CU_ASSERT_STRING_EQUAL(why, "malformed TSIG: bytes after the TSIG RR");

	/* every prefix of a good reply, in exactly-sized buffers */
	for (size_t n = 0; n < good; n++) {
		buf = malloc(n ? n : 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		memcpy(buf, r->w, n);
		CU_ASSERT_EQUAL(mp_response_check(&req, buf, n, k, NOW, &resp,
						  why, sizeof(why)),
				MP_RESP_IGNORE);
		free(buf);
	}
	/* random datagrams, some with our ID and QR set */
	for (int i = 0; i < 3000; i++) {
		size_t n = mp_unit_xorshift(&seed) % 700;
		enum mp_resp_verdict v;

		buf = malloc(n ? n : 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)mp_unit_xorshift(&seed);
		if (n >= MP_WIRE_HDRLEN && (i & 1)) {
			mp_wire_put16(buf, 11);
			buf[2] = 0x80;
			buf[4] = 0;
			buf[5] = (uint8_t)(i & 2 ? 1 : 0);
		}
		v = mp_response_check(&req, buf, n, k, NOW, &resp, why,
				      sizeof(why));
		CU_ASSERT_NOT_EQUAL(v, MP_RESP_OK);
		mp_dns_response_clear(&resp);
		free(buf);
	}
	/* random bit flips in a good reply: never OK but in the ID */
	reply_start(r, &req, 0);
	reply_addr(r, NULL, 60, "192.0.2.1");
	reply_sign(r, k, &req, NOW, 0, 0);
	for (int i = 0; i < 3000; i++) {
		uint8_t copy[512];
		size_t at = mp_unit_xorshift(&seed) % r->len;
		enum mp_resp_verdict v;

		memcpy(copy, r->w, r->len);
		copy[at] ^= (uint8_t)(1u << (mp_unit_xorshift(&seed) % 8));
		v = mp_response_check(&req, copy, r->len, k, NOW, &resp, why,
				      sizeof(why));
		mp_dns_response_clear(&resp);
		if (at >= 2 && v == MP_RESP_OK) {
			/* only a case flip in the TSIG names may pass */
			CU_ASSERT_TRUE(at >=
				       r->len - 6 - 32 - 10 - 13 - 10 - 9);
		}
	}
	mp_dns_request_clear(&req);
	free(r);
	mp_tsig_key_free(k);
}

static void test_rcode_str(void)
{
	char buf[16];
	static const char *const want[] = {
	    "NOERROR",	"FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};

	for (int i = 0; i < 11; i++)
		CU_ASSERT_STRING_EQUAL(mp_rcode_str(i, buf, sizeof(buf)),
				       want[i]);
	CU_ASSERT_STRING_EQUAL(mp_rcode_str(16, buf, sizeof(buf)), "BADVERS");
	CU_ASSERT_STRING_EQUAL(mp_rcode_str(23, buf, sizeof(buf)), "BADCOOKIE");
	CU_ASSERT_STRING_EQUAL(mp_rcode_str(12, buf, sizeof(buf)), "RCODE12");
	CU_ASSERT_STRING_EQUAL(mp_rcode_str(4095, buf, sizeof(buf)),
			       "RCODE4095");
}

/* ---- vantage views: TXT ------------------------------------------------ */

/* A view of n addresses encoded into recs (small records: several). */
static void view_recs(size_t n, struct mp_txt_set *recs)
{
	struct mp_view v;
	char buf[32];

	mp_view_init(&v);
	v.time_ms = NOW * 1000;
	for (size_t i = 0; i < n; i++) {
		struct mp_addr a;
		snprintf(buf, sizeof(buf), "198.51.100.%zu", i);
		CU_ASSERT_FATAL(mp_addr_parse(buf, &a) == MP_OK);
		mp_view_add(&v, &a, NULL,
			    i % 2 ? MP_VERDICT_UP : MP_VERDICT_DOWN);
	}
	recs->v = NULL;
	recs->n = 0;
	CU_ASSERT_FATAL(mp_view_encode(&v, MP_VIEW_MIN_RDATA, recs) == MP_OK);
	mp_view_clear(&v);
}

static void test_txt_replace_build(void)
{
	struct mp_tsig_key *k = key256();
	struct mp_dns_request req;
	struct mp_txt_set recs, empty = {NULL, 0}, bad = {NULL, 0};
	ldns_pkt *pkt = NULL;
	ldns_rr_list *l;
	char want[64];

	view_recs(60, &recs);
	CU_ASSERT_FATAL(recs.n > 1);
	CU_ASSERT_EQUAL_FATAL(mp_txt_replace_build(ZONE, "AMS1._mp.example.org",
						   30, &recs, 777, k, NOW,
						   &req),
			      MP_OK);
	CU_ASSERT_EQUAL(req.id, 777);
	CU_ASSERT_EQUAL(req.opcode, 5);
	/* over 512 bytes: the transport sends it by TCP */
	CU_ASSERT(req.len > 512);
	CU_ASSERT_FATAL(ldns_wire2pkt(&pkt, req.wire, req.len) ==
			LDNS_STATUS_OK);
	l = ldns_pkt_authority(pkt);
	CU_ASSERT_EQUAL_FATAL(ldns_rr_list_rr_count(l), 1 + recs.n);
	/* first the whole RRset goes, then every record comes */
	CU_ASSERT_STRING_EQUAL(rr_text(ldns_rr_list_rr(l, 0)),
			       "ams1._mp.example.org.\t0\tANY\tTXT\t\\# 0");
	for (size_t i = 0; i < recs.n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, 1 + i);
		struct mp_txt_set back = {NULL, 0};
		CU_ASSERT_EQUAL(ldns_rr_get_class(rr), LDNS_RR_CLASS_IN);
		CU_ASSERT_EQUAL(ldns_rr_ttl(rr), 30);
		CU_ASSERT_EQUAL(ldns_rr_get_type(rr), LDNS_RR_TYPE_TXT);
		snprintf(want, sizeof(want), "\"mpv1 t=%llu000 p=%zu/%zu\"",
			 (unsigned long long)NOW, i + 1, recs.n);
		CU_ASSERT_PTR_NOT_NULL(strstr(rr_text(rr), want));
		CU_ASSERT_EQUAL(mp_dnsmsg_txt_rdata(rr, &back), MP_OK);
		CU_ASSERT_EQUAL_FATAL(back.n, 1);
		CU_ASSERT_EQUAL(back.v[0].len, recs.v[i].len);
		CU_ASSERT(memcmp(back.v[0].rdata, recs.v[i].rdata,
				 recs.v[i].len) == 0);
		mp_txt_set_clear(&back);
	}
	ldns_pkt_free(pkt);
	mp_dns_request_clear(&req);
	/* refused: no record, outside the zone, RDATA not strings */
	CU_ASSERT_EQUAL(mp_txt_replace_build(ZONE, "a._mp.example.org.", 30,
					     &empty, 1, k, NOW, &req),
			MP_EINVAL);
	CU_ASSERT_EQUAL(mp_txt_replace_build(ZONE, "a._mp.example.net.", 30,
					     &recs, 1, k, NOW, &req),
			MP_EINVAL);
	mp_txt_set_add(&bad,
		       (const unsigned char *)"\x05"
					      "ab",
		       3);
	CU_ASSERT_EQUAL(mp_txt_replace_build(ZONE, "a._mp.example.org.", 30,
					     &bad, 1, k, NOW, &req),
			MP_EINVAL);
	CU_ASSERT_PTR_NULL(req.wire);
	mp_txt_set_clear(&bad);
	mp_txt_set_clear(&recs);
	mp_tsig_key_free(k);
}

static void test_txt_answers(void)
{
	struct mp_tsig_key *k = key256();
	struct mp_dns_request req;
	struct mp_dns_response resp;
	struct reply *r = malloc(sizeof(*r));
	struct mp_txt_set recs;
	struct mp_view back;
	char why[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	view_recs(60, &recs);
	CU_ASSERT_FATAL(mp_query_build("nyc1._mp.example.org.", MP_RRTYPE_TXT,
				       99, k, NOW, &req) == MP_OK);
	reply_start(r, &req, 0);
	for (size_t i = recs.n; i > 0; i--)
		reply_rr(r, NULL, MP_RRTYPE_TXT, 30, recs.v[i - 1].rdata,
			 (uint16_t)recs.v[i - 1].len);
	/* another name's TXT is not part of the view */
	reply_rr(r, "ams1._mp.example.org.", MP_RRTYPE_TXT, 30,
		 "\x03"
		 "abc",
		 4);
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_OK);
	CU_ASSERT_EQUAL(resp.txt.n, recs.n);
	mp_view_init(&back);
	CU_ASSERT_EQUAL(mp_view_decode(&resp.txt, &back, why, sizeof(why)),
			MP_OK);
	CU_ASSERT_EQUAL(back.n, 60);
	CU_ASSERT_EQUAL(back.time_ms, NOW * 1000);
	mp_view_clear(&back);
	mp_dns_response_clear(&resp);
	/* unsigned: nothing */
	reply_start(r, &req, 0);
	reply_rr(r, NULL, MP_RRTYPE_TXT, 30, recs.v[0].rdata,
		 (uint16_t)recs.v[0].len);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_UNSIGNED);
	CU_ASSERT_EQUAL(resp.txt.n, 0);
	mp_dns_response_clear(&resp);
	/* NXDOMAIN, signed: no records, the rcode says why */
	reply_start(r, &req, 3);
	reply_sign(r, k, &req, NOW, 0, 0);
	CU_ASSERT_EQUAL(check(&req, r, k, &resp, why), MP_RESP_OK);
	CU_ASSERT_EQUAL(resp.rcode, 3);
	CU_ASSERT_EQUAL(resp.txt.n, 0);
	mp_dns_response_clear(&resp);
	mp_dns_request_clear(&req);
	mp_txt_set_clear(&recs);
	free(r);
	mp_tsig_key_free(k);
}

static CU_TestInfo tests[] = {
    {"UPDATE for two RRsets, section by section", test_update_build},
    {"UPDATE refused locally", test_update_refused},
    {"UPDATE over 65535 bytes", test_update_too_big},
    {"UPDATE as nsupdate sends it", test_update_like_nsupdate},
    {"query", test_query_build},
    {"verified answers and SOA serial", test_query_answers},
    {"TXT view: replace UPDATE", test_txt_replace_build},
    {"TXT view: answers", test_txt_answers},
    {"UPDATE replies: rcode, TC, extended rcode", test_update_replies},
    {"wrong ID, QR, opcode, question: ignored", test_not_ours},
    {"unsigned replies", test_unsigned},
    {"signed BADTIME", test_badtime},
    {"TSIG failures", test_bad_tsig},
    {"two TSIGs, TSIG not last", test_tsig_placement},
    {"garbage, empty, oversized", test_garbage},
    {"rcode names", test_rcode_str},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"dnsmsg", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
