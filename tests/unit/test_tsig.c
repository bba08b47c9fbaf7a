#include "unit.h"
#include "unit_dns.h"

#include "dnswire.h"
#include "error.h"
#include "tsig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1700000000ULL

/* The nsupdate fixtures' secrets (see tests/fixtures/nsupdate-tsig.txt). */
#define SECRET256 "dyL1h4ijLZp+tq1qxOz7TsC6q+NCP+oX6EokpOFPfyQ="
#define SECRET512                                                              \
	"X81n10ADi+JBJ6A8HFKEbjQACtUfLtv71bsqizzJyx6A/1juLVMk5RyJuHTEwF5VBFZ/" \
	"mvk8YbJeP9xyA/Ezcw=="

/* One per algorithm: the nsupdate fixture, its secret and Time Signed. */
static const struct alg_case {
	enum mp_tsig_alg alg;
	const char *name; /* wire name */
	const char *secret;
	const char *fixture;
	uint64_t time_signed;
} algs[MP_TSIG_NALGS] = {
    {MP_TSIG_HMAC_MD5, "hmac-md5.sig-alg.reg.int.",
     "dZxtFtUBQ6LDRhHOvThMmQ==", "nsupdate-hmac-md5.bin", 1796354416},
    {MP_TSIG_HMAC_SHA1, "hmac-sha1.",
     "L/vXP4YKS2a4IP71R0Q3GZwHYWs=", "nsupdate-hmac-sha1.bin", 1796354417},
    {MP_TSIG_HMAC_SHA224, "hmac-sha224.",
     "oia/0mjVOQMOS6E8CpRGlSu7GP9LBNyjiuy8xQ==", "nsupdate-hmac-sha224.bin",
     1796354418},
    {MP_TSIG_HMAC_SHA256, "hmac-sha256.", SECRET256, "nsupdate-hmac-sha256.bin",
     1795314915},
    {MP_TSIG_HMAC_SHA384, "hmac-sha384.",
     "eUTWao9Q2yIsHtioB2hKXwrolw7VBtn6E1v8I9fK9t9INVrxJbcnaiwpNj9paTuu",
     "nsupdate-hmac-sha384.bin", 1796354420},
    {MP_TSIG_HMAC_SHA512, "hmac-sha512.", SECRET512, "nsupdate-hmac-sha512.bin",
     1795314941},
};

static struct mp_tsig_key *case_key(const struct alg_case *c)
{
	return mp_unit_tsig_key("testkey", c->alg, c->secret);
}

static struct mp_tsig_key *key256(void)
{
	return mp_unit_tsig_key("testkey", MP_TSIG_HMAC_SHA256, SECRET256);
}

static struct mp_tsig_key *key512(void)
{
	return mp_unit_tsig_key("testkey", MP_TSIG_HMAC_SHA512, SECRET512);
}

/* A header and one question: dl.example.org/A/IN. */
static size_t make_msg(uint8_t *w, uint16_t id, bool qr)
{
	static const uint8_t q[] = {2,	 'd', 'l', 7,	'e', 'x', 'a',
				    'm', 'p', 'l', 'e', 3,   'o', 'r',
				    'g', 0,   0,   1,	0,   1};

	memset(w, 0, MP_WIRE_HDRLEN);
	mp_wire_put16(w, id);
	w[2] = qr ? 0x84 : 0x00; /* QR, AA */
	mp_wire_put16(w + 4, 1);
	memcpy(w + MP_WIRE_HDRLEN, q, sizeof(q));
	return MP_WIRE_HDRLEN + sizeof(q);
}

/* Appends "dl.example.org. 60 IN A 192.0.2.30" (owner compressed) to the
 * additional section. */
static void append_a(uint8_t *w, size_t *len)
{
	static const uint8_t rr[] = {0xc0, 0x0c, 0, 1, 0,   1, 0, 0,
				     0,	   60,	 0, 4, 192, 0, 2, 30};

	memcpy(w + *len, rr, sizeof(rr));
	*len += sizeof(rr);
	mp_wire_put16(w + 10, (uint16_t)(mp_wire_u16(w + 10) + 1));
}

/* First occurrence of needle in hay, or NULL. */
static uint8_t *find(uint8_t *hay, size_t hlen, const char *needle, size_t nlen)
{
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (memcmp(hay + i, needle, nlen) == 0)
			return hay + i;
	return NULL;
}

struct exchange {
	uint8_t req[1024];
	size_t req_len;
	uint8_t req_mac[MP_TSIG_MAX_MAC];
	size_t req_mac_len;
	uint8_t resp[1024];
	size_t resp_len;
};

/* A signed request at NOW, and a response signed by key at time_signed. */
static void exchange(struct exchange *x, const struct mp_tsig_key *req_key,
		     const struct mp_tsig_key *resp_key, uint64_t time_signed,
		     uint16_t error, uint64_t other_time)
{
	memset(x, 0, sizeof(*x));
	x->req_len = make_msg(x->req, 0x1234, false);
	CU_ASSERT_FATAL(mp_tsig_sign(x->req, &x->req_len, sizeof(x->req),
				     req_key, NOW, x->req_mac) == MP_OK);
	x->req_mac_len = mp_tsig_alg_maclen(mp_tsig_key_alg(req_key));
	x->resp_len = make_msg(x->resp, 0x1234, true);
	append_a(x->resp, &x->resp_len);
	CU_ASSERT_FATAL(mp_tsig_sign_response(
			    x->resp, &x->resp_len, sizeof(x->resp), resp_key,
			    time_signed, x->req_mac, x->req_mac_len, error,
			    other_time, NULL) == MP_OK);
}

static enum mp_tsig_status verify(const struct exchange *x,
				  const struct mp_tsig_key *key,
				  struct mp_tsig_info *info)
{
	return mp_tsig_verify(x->resp, x->resp_len, key, x->req_mac,
			      x->req_mac_len, NOW, info);
}

static void roundtrip(struct mp_tsig_key *k)
{
	struct exchange x;
	struct mp_tsig_info info;
	size_t maclen = mp_tsig_alg_maclen(mp_tsig_key_alg(k));
	struct mp_wire_msg m;

	exchange(&x, k, k, NOW, 0, 0);
	/* the request verifies as a request (no request MAC) */
	CU_ASSERT_EQUAL(
	    mp_tsig_verify(x.req, x.req_len, k, NULL, 0, NOW, &info),
	    MP_TSIG_VERIFIED);
	CU_ASSERT_EQUAL(info.time_signed, NOW);
	CU_ASSERT_EQUAL(info.fudge, 300);
	CU_ASSERT_EQUAL(info.original_id, 0x1234);
	CU_ASSERT_STRING_EQUAL(info.key_name, "testkey.");
	CU_ASSERT_STRING_EQUAL(info.alg_name,
			       mp_tsig_alg_name(mp_tsig_key_alg(k)));
	/* the request's TSIG RR: last, ARCOUNT 1, the MAC we were given */
	CU_ASSERT_FATAL(mp_wire_scan(x.req, x.req_len, &m) == MP_OK);
	CU_ASSERT_EQUAL(m.count[3], 1);
	CU_ASSERT_EQUAL(m.ntsig, 1);
	CU_ASSERT_TRUE(m.tsig_last);
	CU_ASSERT_EQUAL(m.end, x.req_len);
	CU_ASSERT_EQUAL(
	    memcmp(x.req + x.req_len - 6 - maclen, x.req_mac, maclen), 0);

	/* the response verifies against the request's MAC... */
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_VERIFIED);
	CU_ASSERT_EQUAL(info.error, 0);
	CU_ASSERT_EQUAL(info.other_time, 0);
	CU_ASSERT_PTR_NULL(info.detail);
	/* ...and against no other */
	x.req_mac[0] ^= 1;
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_MAC);
	x.req_mac[0] ^= 1;
	CU_ASSERT_EQUAL(
	    mp_tsig_verify(x.resp, x.resp_len, k, NULL, 0, NOW, NULL),
	    MP_TSIG_BAD_MAC);
	CU_ASSERT_EQUAL(verify(&x, k, NULL), MP_TSIG_VERIFIED);
}

/* Strips nsupdate's TSIG and signs the rest again at its Time Signed: our
 * TSIG RR must come out byte for byte as nsupdate's. */
static void known_answer(const char *fixture, struct mp_tsig_key *k,
			 uint64_t time_signed)
{
	size_t len, ours_len;
	uint8_t *nsu = mp_unit_read_msg(fixture, &len);
	uint8_t ours[1024], mac[MP_TSIG_MAX_MAC];
	struct mp_wire_msg m;
	struct mp_tsig_info info;
	size_t maclen = mp_tsig_alg_maclen(mp_tsig_key_alg(k));

	CU_ASSERT_FATAL(mp_wire_scan(nsu, len, &m) == MP_OK);
	CU_ASSERT_FATAL(m.ntsig == 1 && m.tsig_last && m.end == len);
	/* nsupdate's own message verifies as a request */
	CU_ASSERT_EQUAL(
	    mp_tsig_verify(nsu, len, k, NULL, 0, time_signed, &info),
	    MP_TSIG_VERIFIED);
	CU_ASSERT_EQUAL(info.time_signed, time_signed);
	CU_ASSERT_EQUAL(info.fudge, 300);
	CU_ASSERT_EQUAL(info.original_id, m.id);

	ours_len = m.tsig.start;
	memcpy(ours, nsu, ours_len);
	mp_wire_put16(ours + 10, (uint16_t)(m.count[3] - 1));
	CU_ASSERT_FATAL(mp_tsig_sign(ours, &ours_len, sizeof(ours), k,
				     time_signed, mac) == MP_OK);
	CU_ASSERT_EQUAL(ours_len, len);
	CU_ASSERT_EQUAL(memcmp(ours, nsu, len), 0);
	/* the MAC handed back is the one in the message */
	CU_ASSERT_EQUAL(memcmp(mac, nsu + len - 6 - maclen, maclen), 0);
	/* one second later the MAC differs */
	ours_len = m.tsig.start;
	memcpy(ours, nsu, ours_len);
	mp_wire_put16(ours + 10, (uint16_t)(m.count[3] - 1));
	CU_ASSERT_FATAL(mp_tsig_sign(ours, &ours_len, sizeof(ours), k,
				     time_signed + 1, mac) == MP_OK);
	CU_ASSERT_NOT_EQUAL(memcmp(ours, nsu, len), 0);
	free(nsu);
}

/* Rewrites the MAC of the (last) TSIG RR in w to its first n bytes (n <=
 * the current length), or appends n - current zero bytes; fixes MAC Size,
 * RDLENGTH and *len. */
static void resize_mac(uint8_t *w, size_t *len, size_t n)
{
	struct mp_wire_msg m;
	size_t cur, mac_at;

	CU_ASSERT_FATAL(mp_wire_scan(w, *len, &m) == MP_OK && m.ntsig == 1);
	/* MAC Size sits after the (uncompressed) algorithm name, Time
	 * Signed and Fudge */
	mac_at = m.tsig.rdata;
	while (w[mac_at])
		mac_at += (size_t)w[mac_at] + 1;
	mac_at += 1 + 6 + 2;
	cur = mp_wire_u16(w + mac_at);
	mp_wire_put16(w + mac_at, (uint16_t)n);
	mac_at += 2;
	memmove(w + mac_at + n, w + mac_at + cur, *len - mac_at - cur);
	if (n > cur)
		memset(w + mac_at + cur, 0, n - cur);
	*len = *len - cur + n;
	mp_wire_put16(w + m.tsig.rdata - 2,
		      (uint16_t)(m.tsig.end - m.tsig.rdata - cur + n));
}

/* Every rejection rule, for one algorithm. */
static void rules(const struct alg_case *c)
{
	struct mp_tsig_key *k = case_key(c), *other;
	const struct alg_case *o = &algs[(c - algs + 1) % MP_TSIG_NALGS];
	size_t full = mp_tsig_alg_maclen(c->alg);
	size_t min = mp_tsig_alg_min_maclen(c->alg);
	struct exchange x;
	struct mp_tsig_info info;
	size_t len;

	CU_ASSERT_STRING_EQUAL(mp_tsig_alg_name(c->alg), c->name);
	CU_ASSERT_TRUE(min >= 10 && min * 2 >= full && min <= full);
	roundtrip(k);

	/* wrong algorithm: same name, same secret, another algorithm */
	other = mp_unit_tsig_key("testkey", o->alg, c->secret);
	exchange(&x, k, other, NOW, 0, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_WRONG_ALG);
	CU_ASSERT_STRING_EQUAL(info.alg_name, o->name);
	mp_tsig_key_free(other);

	/* stale and future Time Signed, just outside the fudge */
	exchange(&x, k, k, NOW - 301, 0, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_TIME);
	exchange(&x, k, k, NOW + 301, 0, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_TIME);
	exchange(&x, k, k, NOW - 300, 0, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_VERIFIED);

	/* RFC 8945 §5.2.2.1: a request MAC truncated to the minimum verifies
	 * (a server's view), one byte less does not */
	exchange(&x, k, k, NOW, 0, 0);
	len = x.req_len;
	resize_mac(x.req, &len, min);
	CU_ASSERT_EQUAL(mp_tsig_verify(x.req, len, k, NULL, 0, NOW, &info),
			MP_TSIG_VERIFIED);
	x.req[len - 7] ^= 1; /* last byte of the truncated MAC */
	CU_ASSERT_EQUAL(mp_tsig_verify(x.req, len, k, NULL, 0, NOW, &info),
			MP_TSIG_BAD_MAC);
	x.req[len - 7] ^= 1;
	resize_mac(x.req, &len, min - 1);
	CU_ASSERT_EQUAL(mp_tsig_verify(x.req, len, k, NULL, 0, NOW, &info),
			MP_TSIG_BAD_MAC);
	CU_ASSERT_TRUE(info.detail &&
		       strstr(info.detail, "below the minimum") != NULL);
	/* a MAC longer than the algorithm's is malformed */
	exchange(&x, k, k, NOW, 0, 0);
	len = x.req_len;
	resize_mac(x.req, &len, full + 1);
	CU_ASSERT_EQUAL(mp_tsig_verify(x.req, len, k, NULL, 0, NOW, &info),
			MP_TSIG_MALFORMED);
	CU_ASSERT_STRING_EQUAL(info.detail, "MAC longer than the algorithm's");

	/* a response truncated below the request's full MAC (BADTRUNC), and
	 * one below the minimum */
	exchange(&x, k, k, NOW, 0, 0);
	resize_mac(x.resp, &x.resp_len, full - 1);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_MAC);
	CU_ASSERT_TRUE(info.detail && strstr(info.detail, "BADTRUNC") != NULL);
	resize_mac(x.resp, &x.resp_len, min - 1);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_MAC);
	/* a 0-byte MAC claiming success */
	resize_mac(x.resp, &x.resp_len, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_MAC);
	mp_tsig_key_free(k);
}

#define PER_ALG(i, id)                                                         \
	static void test_nsupdate_##id(void)                                   \
	{                                                                      \
		struct mp_tsig_key *k = case_key(&algs[i]);                    \
		known_answer(algs[i].fixture, k, algs[i].time_signed);         \
		mp_tsig_key_free(k);                                           \
	}                                                                      \
	static void test_rules_##id(void)                                      \
	{                                                                      \
		rules(&algs[i]);                                               \
	}
PER_ALG(0, md5)
PER_ALG(1, sha1)
PER_ALG(2, sha224)
PER_ALG(3, sha256)
PER_ALG(4, sha384)
PER_ALG(5, sha512)

static void test_wrong_algorithm(void)
{
	/* same name, same secret bytes, other algorithm */
	struct mp_tsig_key *k = key256(), *other;
	struct exchange x;
	struct mp_tsig_info info;

	other = mp_unit_tsig_key("testkey", MP_TSIG_HMAC_SHA512, SECRET256);
	exchange(&x, k, other, NOW, 0, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_WRONG_ALG);
	CU_ASSERT_STRING_EQUAL(info.alg_name, "hmac-sha512.");
	CU_ASSERT_STRING_EQUAL(info.key_name, "testkey.");
	/* the other way round as well */
	CU_ASSERT_EQUAL(verify(&x, other, &info), MP_TSIG_VERIFIED);
	exchange(&x, k, k, NOW, 0, 0);
	CU_ASSERT_EQUAL(verify(&x, other, &info), MP_TSIG_WRONG_ALG);
	CU_ASSERT_STRING_EQUAL(info.alg_name, "hmac-sha256.");

	/* an algorithm nobody here implements: patch the name in place
	 * ("hmac-sha256" and "hmac-sha224" have the same length) */
	{
		uint8_t *p = find(x.resp, x.resp_len, "hmac-sha256", 11);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		memcpy(p, "hmac-sha224", 11);
		CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_WRONG_ALG);
		CU_ASSERT_STRING_EQUAL(info.alg_name, "hmac-sha224.");
	}
	mp_tsig_key_free(k);
	mp_tsig_key_free(other);
}

static void test_time_window(void)
{
	struct mp_tsig_key *k = key256();
	struct exchange x;
	struct mp_tsig_info info;

	exchange(&x, k, k, NOW + 301, 0, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_TIME);
	CU_ASSERT_EQUAL(info.time_signed, NOW + 301);
	exchange(&x, k, k, NOW - 301, 0, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_TIME);
	exchange(&x, k, k, NOW + 299, 0, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_VERIFIED);
	exchange(&x, k, k, NOW - 299, 0, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_VERIFIED);
	/* the edge is inclusive */
	exchange(&x, k, k, NOW + 300, 0, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_VERIFIED);
	exchange(&x, k, k, NOW - 300, 0, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_VERIFIED);
	/* near the epoch: no wrap-around */
	exchange(&x, k, k, 5, 0, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_TIME);
	CU_ASSERT_EQUAL(mp_tsig_verify(x.resp, x.resp_len, k, x.req_mac,
				       x.req_mac_len, 0, &info),
			MP_TSIG_VERIFIED);
	mp_tsig_key_free(k);
}

static void test_key_name(void)
{
	struct mp_tsig_key *k = key256(), *other;
	struct exchange x;
	struct mp_tsig_info info;
	uint8_t *p;

	other = mp_unit_tsig_key("otherkey.", MP_TSIG_HMAC_SHA256, SECRET256);
	exchange(&x, k, other, NOW, 0, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_WRONG_KEY);
	CU_ASSERT_STRING_EQUAL(info.key_name, "otherkey.");

	/* names compare case-insensitively and the MAC covers the canonical
	 * (lower-case) name */
	exchange(&x, k, k, NOW, 0, 0);
	p = find(x.resp, x.resp_len, "\7testkey", 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memcpy(p, "\7TestKEY", 8);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_VERIFIED);
	CU_ASSERT_STRING_EQUAL(info.key_name, "testkey.");
	mp_tsig_key_free(k);
	mp_tsig_key_free(other);
}

/* A compressed TSIG owner: the question is "testkey." and the TSIG RR's
 * owner points at it. */
static void test_compressed_owner(void)
{
	struct mp_tsig_key *k = key256();
	uint8_t req[512], resp[512], comp[512];
	uint8_t req_mac[MP_TSIG_MAX_MAC];
	size_t req_len, resp_len, clen;
	struct mp_wire_msg m;
	static const uint8_t q[] = {7,	 't', 'e', 's', 't', 'k', 'e',
				    'y', 0,   0,   6,	0,   1};

	memset(req, 0, MP_WIRE_HDRLEN);
	mp_wire_put16(req + 4, 1);
	memcpy(req + MP_WIRE_HDRLEN, q, sizeof(q));
	req_len = MP_WIRE_HDRLEN + sizeof(q);
	memcpy(resp, req, req_len);
	resp[2] = 0x84;
	resp_len = req_len;
	CU_ASSERT_FATAL(
	    mp_tsig_sign(req, &req_len, sizeof(req), k, NOW, req_mac) == MP_OK);
	CU_ASSERT_FATAL(mp_tsig_sign_response(resp, &resp_len, sizeof(resp), k,
					      NOW, req_mac, 32, 0, 0,
					      NULL) == MP_OK);
	CU_ASSERT_FATAL(mp_wire_scan(resp, resp_len, &m) == MP_OK);
	clen = m.tsig.start;
	memcpy(comp, resp, clen);
	comp[clen++] = 0xc0;
	comp[clen++] = 0x0c;
	memcpy(comp + clen, resp + m.tsig.start + 9,
	       resp_len - m.tsig.start - 9);
	clen += resp_len - m.tsig.start - 9;
	CU_ASSERT_EQUAL(mp_tsig_verify(comp, clen, k, req_mac, 32, NOW, NULL),
			MP_TSIG_VERIFIED);
	/* a pointer to itself is refused, not followed forever */
	comp[m.tsig.start + 1] = (uint8_t)m.tsig.start;
	comp[m.tsig.start] = 0xc0;
	CU_ASSERT_EQUAL(mp_tsig_verify(comp, clen, k, req_mac, 32, NOW, NULL),
			MP_TSIG_MALFORMED);
	mp_tsig_key_free(k);
}

/* Names live after the 12-byte header: a pointer into the header is
 * refused even when the header bytes happen to read as a name. */
static void test_pointer_into_header(void)
{
	/* header: QDCOUNT 1; from offset 5 the bytes 01 00 00 read as a
	 * one-label name; the question's name points there */
	uint8_t w[MP_WIRE_HDRLEN + 6] = {0x12, 0x34, 0, 0,    0, 1, 0, 0, 0,
					 0,    0,    0, 0xc0, 5, 0, 1, 0, 1};
	uint8_t name[MP_WIRE_NAME_MAX];
	size_t pos = MP_WIRE_HDRLEN, nlen;
	struct mp_wire_msg m;

	CU_ASSERT_EQUAL(mp_wire_read_name(w, sizeof(w), &pos, name, &nlen),
			MP_EPROTO);
	CU_ASSERT_EQUAL(mp_wire_scan(w, sizeof(w), &m), MP_EPROTO);
	for (uint8_t t = 0; t < MP_WIRE_HDRLEN; t++) {
		w[MP_WIRE_HDRLEN + 1] = t;
		pos = MP_WIRE_HDRLEN;
		CU_ASSERT_EQUAL(
		    mp_wire_read_name(w, sizeof(w), &pos, name, &nlen),
		    MP_EPROTO);
	}
	/* the first byte after the header is a valid target */
	{
		uint8_t ok[] = {0x12, 0x34, 0,	 0, 0, 1, 0, 0, 0,    0, 0,
				0,    1,    'a', 0, 0, 1, 0, 1, 0xc0, 12};
		pos = 19;
		CU_ASSERT_EQUAL(
		    mp_wire_read_name(ok, sizeof(ok), &pos, name, &nlen),
		    MP_OK);
		CU_ASSERT_EQUAL(nlen, 3);
		CU_ASSERT_EQUAL(pos, 21);
	}
}

static void test_two_tsigs_and_not_last(void)
{
	struct mp_tsig_key *k = key256();
	struct exchange x;
	struct mp_tsig_info info;

	/* a second TSIG RR after the first */
	exchange(&x, k, k, NOW, 0, 0);
	CU_ASSERT_FATAL(mp_tsig_sign_response(
			    x.resp, &x.resp_len, sizeof(x.resp), k, NOW,
			    x.req_mac, x.req_mac_len, 0, 0, NULL) == MP_OK);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_MALFORMED);
	CU_ASSERT_STRING_EQUAL(info.detail, "more than one TSIG RR");

	/* an A RR after the TSIG RR */
	exchange(&x, k, k, NOW, 0, 0);
	append_a(x.resp, &x.resp_len);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_MALFORMED);
	CU_ASSERT_STRING_EQUAL(info.detail, "TSIG RR is not the last record");

	/* relabel the counts: with AN 1, AR 1 the A RR becomes an answer and
	 * the TSIG RR stays last (the structure is fine, but the MAC was over
	 * other counts); with AN 2, AR 0 the TSIG RR is in the answer
	 * section */
	exchange(&x, k, k, NOW, 0, 0);
	mp_wire_put16(x.resp + 6, 1);
	mp_wire_put16(x.resp + 10, 1);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_MAC);
	mp_wire_put16(x.resp + 6, 2);
	mp_wire_put16(x.resp + 10, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_MALFORMED);
	CU_ASSERT_STRING_EQUAL(info.detail, "TSIG RR is not the last record");

	/* trailing bytes after the TSIG RR */
	exchange(&x, k, k, NOW, 0, 0);
	x.resp[x.resp_len++] = 0;
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_MALFORMED);
	CU_ASSERT_STRING_EQUAL(info.detail, "bytes after the TSIG RR");
	mp_tsig_key_free(k);
}

static void test_bad_mac(void)
{
	struct mp_tsig_key *k = key256();
	struct exchange x;
	struct mp_tsig_info info;
	size_t mac_at;

	exchange(&x, k, k, NOW, 0, 0);
	/* the MAC sits before original ID, error and other length */
	mac_at = x.resp_len - 6 - 32;
	for (size_t i = 0; i < 32; i += 7) {
		x.resp[mac_at + i] ^= 0x01;
		CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_MAC);
		x.resp[mac_at + i] ^= 0x01;
	}
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_VERIFIED);
	/* a flipped bit in the body, the flags, the fudge, the error */
	x.resp[MP_WIRE_HDRLEN + 1] ^= 0x20;
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_MAC);
	x.resp[MP_WIRE_HDRLEN + 1] ^= 0x20;
	x.resp[3] ^= 0x03;
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_MAC);
	x.resp[3] ^= 0x03;
	x.resp[mac_at - 3] ^= 0x01; /* fudge 300 -> 301 */
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_MAC);
	CU_ASSERT_EQUAL(info.fudge, 301);
	x.resp[mac_at - 3] ^= 0x01;
	x.resp[x.resp_len - 3] = MP_TSIG_BADTIME;
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_MAC);
	x.resp[x.resp_len - 3] = 0;
	/* the message ID is not covered (forwarders change it): the digest
	 * uses the original ID */
	mp_wire_put16(x.resp, 0x4321);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_VERIFIED);
	CU_ASSERT_EQUAL(info.original_id, 0x1234);
	/* but the original ID is */
	x.resp[x.resp_len - 6] ^= 0x01;
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_MAC);
	x.resp[x.resp_len - 6] ^= 0x01;
	/* another secret under the same name and algorithm */
	{
		struct mp_tsig_key *k2 = NULL;
		CU_ASSERT_FATAL(mp_tsig_key_new("testkey", MP_TSIG_HMAC_SHA256,
						(const unsigned char *)"x", 1,
						&k2) == MP_OK);
		CU_ASSERT_EQUAL(verify(&x, k2, &info), MP_TSIG_BAD_MAC);
		mp_tsig_key_free(k2);
	}
	mp_tsig_key_free(k);
}

static void test_unsigned_and_server_errors(void)
{
	struct mp_tsig_key *k = key256();
	struct exchange x;
	struct mp_tsig_info info;
	char buf[16];

	/* no TSIG RR at all */
	exchange(&x, k, k, NOW, 0, 0);
	x.resp_len = make_msg(x.resp, 0x1234, true);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_UNSIGNED);
	CU_ASSERT_EQUAL(info.error, 0);

	/* BADKEY and BADSIG come back without a MAC */
	exchange(&x, k, k, NOW, MP_TSIG_BADKEY, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_UNSIGNED);
	CU_ASSERT_EQUAL(info.error, MP_TSIG_BADKEY);
	CU_ASSERT_STRING_EQUAL(info.key_name, "testkey.");
	exchange(&x, k, k, NOW, MP_TSIG_BADSIG, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_UNSIGNED);
	CU_ASSERT_EQUAL(info.error, MP_TSIG_BADSIG);
	/* a MAC-less TSIG claiming success is no signature */
	x.resp[x.resp_len - 3] = 0;
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_BAD_MAC);

	/* BADTIME is signed and carries the server's clock */
	exchange(&x, k, k, NOW, MP_TSIG_BADTIME, NOW + 301);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_SERVER_ERROR);
	CU_ASSERT_EQUAL(info.error, MP_TSIG_BADTIME);
	CU_ASSERT_EQUAL(info.other_time, NOW + 301);
	CU_ASSERT_EQUAL(info.time_signed, NOW);

	/* a signed, verified reply with another error */
	exchange(&x, k, k, NOW, MP_TSIG_BADTRUNC, 0);
	CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_SERVER_ERROR);
	CU_ASSERT_EQUAL(info.error, MP_TSIG_BADTRUNC);

	CU_ASSERT_STRING_EQUAL(mp_tsig_error_str(16, buf, sizeof(buf)),
			       "BADSIG");
	CU_ASSERT_STRING_EQUAL(mp_tsig_error_str(17, buf, sizeof(buf)),
			       "BADKEY");
	CU_ASSERT_STRING_EQUAL(mp_tsig_error_str(18, buf, sizeof(buf)),
			       "BADTIME");
	CU_ASSERT_STRING_EQUAL(mp_tsig_error_str(0, buf, sizeof(buf)),
			       "NOERROR");
	CU_ASSERT_STRING_EQUAL(mp_tsig_error_str(4242, buf, sizeof(buf)),
			       "4242");
	CU_ASSERT_STRING_EQUAL(mp_tsig_status_str(MP_TSIG_BAD_TIME),
			       "TSIG Time Signed outside fudge");
	CU_ASSERT_STRING_EQUAL(mp_tsig_status_str(MP_TSIG_WRONG_ALG),
			       "wrong TSIG algorithm");
	mp_tsig_key_free(k);
}

static void test_truncated(void)
{
	struct mp_tsig_key *k = key512();
	struct exchange x;
	struct mp_tsig_info info;
	uint8_t *copy;

	exchange(&x, k, k, NOW, 0, 0);
	/* every prefix, each in its own exactly-sized heap buffer so that
	 * ASan sees any read past the end */
	for (size_t n = 0; n < x.resp_len; n++) {
		copy = malloc(n ? n : 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
		memcpy(copy, x.resp, n);
		CU_ASSERT_EQUAL(mp_tsig_verify(copy, n, k, x.req_mac,
					       x.req_mac_len, NOW, &info),
				MP_TSIG_MALFORMED);
		free(copy);
	}
	CU_ASSERT_STRING_EQUAL(info.detail, "truncated or malformed message");

	/* a TSIG RR whose RDLENGTH cuts its fields short */
	{
		struct mp_wire_msg m;
		CU_ASSERT_FATAL(mp_wire_scan(x.resp, x.resp_len, &m) == MP_OK);
		/* RDLENGTH sits just before the RDATA */
		mp_wire_put16(x.resp + m.tsig.rdata - 2,
			      (uint16_t)(m.tsig.end - m.tsig.rdata - 7));
		x.resp_len -= 7;
		CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_MALFORMED);
		CU_ASSERT_STRING_EQUAL(info.detail, "truncated TSIG RR (MAC)");
		mp_wire_put16(x.resp + m.tsig.rdata - 2, 5);
		x.resp_len = m.tsig.rdata + 5;
		CU_ASSERT_EQUAL(verify(&x, k, &info), MP_TSIG_MALFORMED);
		CU_ASSERT_STRING_EQUAL(info.detail,
				       "truncated TSIG RR (algorithm name)");
	}
	mp_tsig_key_free(k);
}

static void test_garbage(void)
{
	struct mp_tsig_key *k = key256();
	struct exchange x;
	uint32_t seed = 0x9e3779b9;
	uint8_t *buf;
	enum mp_tsig_status st;
	struct mp_wire_msg m;

	/* empty and NULL */
	CU_ASSERT_EQUAL(mp_tsig_verify(NULL, 0, k, NULL, 0, NOW, NULL),
			MP_TSIG_MALFORMED);
	buf = malloc(65535);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL(mp_tsig_verify(buf, 0, k, NULL, 0, NOW, NULL),
			MP_TSIG_MALFORMED);
	/* oversized: all 0xff (every count 65535, every name a pointer) */
	memset(buf, 0xff, 65535);
	CU_ASSERT_EQUAL(mp_tsig_verify(buf, 65535, k, NULL, 0, NOW, NULL),
			MP_TSIG_MALFORMED);
	/* all zeros: an empty message followed by padding, unsigned */
	memset(buf, 0, 65535);
	CU_ASSERT_EQUAL(mp_tsig_verify(buf, 65535, k, NULL, 0, NOW, NULL),
			MP_TSIG_UNSIGNED);
	free(buf);

	/* random bytes of random lengths */
	for (int i = 0; i < 2000; i++) {
		size_t n = mp_unit_xorshift(&seed) % 600;
		buf = malloc(n ? n : 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)mp_unit_xorshift(&seed);
		st = mp_tsig_verify(buf, n, k, NULL, 0, NOW, NULL);
		CU_ASSERT_NOT_EQUAL(st, MP_TSIG_VERIFIED);
		free(buf);
	}

	/* a valid response with random bits flipped: never verified, except
	 * in the ID (not covered: the digest uses the original ID) and in the
	 * case of a letter of the TSIG key or algorithm name (the digest
	 * uses their canonical lower-case form) */
	exchange(&x, k, k, NOW, 0, 0);
	CU_ASSERT_FATAL(mp_wire_scan(x.resp, x.resp_len, &m) == MP_OK);
	for (int i = 0; i < 4000; i++) {
		uint8_t copy[1024];
		size_t at = mp_unit_xorshift(&seed) % x.resp_len;
		uint8_t bit = (uint8_t)(1u << (mp_unit_xorshift(&seed) % 8));

		memcpy(copy, x.resp, x.resp_len);
		copy[at] ^= bit;
		st = mp_tsig_verify(copy, x.resp_len, k, x.req_mac,
				    x.req_mac_len, NOW, NULL);
		bool in_names = (at >= m.tsig.start && at < m.tsig.start + 9) ||
				(at >= m.tsig.rdata && at < m.tsig.rdata + 13);
		if (at < 2 ||
		    (in_names && bit == 0x20 && isalpha(x.resp[at]))) {
			CU_ASSERT_EQUAL(st, MP_TSIG_VERIFIED);
		} else {
			CU_ASSERT_NOT_EQUAL(st, MP_TSIG_VERIFIED);
		}
	}
	mp_tsig_key_free(k);
}

static void test_sign_errors(void)
{
	struct mp_tsig_key *k = key256();
	uint8_t w[512];
	size_t len, full;
	uint8_t mac[MP_TSIG_MAX_MAC];

	/* shorter than a header */
	len = 11;
	CU_ASSERT_EQUAL(mp_tsig_sign(w, &len, sizeof(w), k, NOW, mac),
			MP_EPROTO);
	/* exactly enough room, then one byte less */
	len = make_msg(w, 1, false);
	CU_ASSERT_EQUAL(mp_tsig_sign(w, &len, sizeof(w), k, NOW, mac), MP_OK);
	full = len;
	len = make_msg(w, 1, false);
	CU_ASSERT_EQUAL(mp_tsig_sign(w, &len, full, k, NOW, mac), MP_OK);
	CU_ASSERT_EQUAL(len, full);
	len = make_msg(w, 1, false);
	CU_ASSERT_EQUAL(mp_tsig_sign(w, &len, full - 1, k, NOW, mac),
			MP_ESPACE);
	CU_ASSERT_EQUAL(len, make_msg(w, 1, false));
	CU_ASSERT_EQUAL(mp_wire_u16(w + 10), 0);
	mp_tsig_key_free(k);
}

static CU_TestInfo tests[] = {
    {"nsupdate known answer, hmac-md5", test_nsupdate_md5},
    {"nsupdate known answer, hmac-sha1", test_nsupdate_sha1},
    {"nsupdate known answer, hmac-sha224", test_nsupdate_sha224},
    {"nsupdate known answer, hmac-sha256", test_nsupdate_sha256},
    {"nsupdate known answer, hmac-sha384", test_nsupdate_sha384},
    {"nsupdate known answer, hmac-sha512", test_nsupdate_sha512},
    {"sign, verify and every rejection, hmac-md5", test_rules_md5},
    {"sign, verify and every rejection, hmac-sha1", test_rules_sha1},
    {"sign, verify and every rejection, hmac-sha224", test_rules_sha224},
    {"sign, verify and every rejection, hmac-sha256", test_rules_sha256},
    {"sign, verify and every rejection, hmac-sha384", test_rules_sha384},
    {"sign, verify and every rejection, hmac-sha512", test_rules_sha512},
    {"wrong or unsupported algorithm", test_wrong_algorithm},
    {"Time Signed within fudge", test_time_window},
    {"key name", test_key_name},
    {"compressed TSIG owner name", test_compressed_owner},
    {"pointer into the header", test_pointer_into_header},
    {"two TSIG RRs, TSIG not last", test_two_tsigs_and_not_last},
    {"bad MAC", test_bad_mac},
    {"unsigned replies and TSIG errors", test_unsigned_and_server_errors},
    {"truncated messages", test_truncated},
    {"garbage never crashes nor verifies", test_garbage},
    {"sign: short message, no room", test_sign_errors},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"tsig", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
