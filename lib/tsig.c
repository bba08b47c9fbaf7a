#include "tsig.h"
#include "dnswire.h"
#include "error.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define TIME48_MAX 0xffffffffffffULL

static void put48(uint8_t *p, uint64_t v)
{
	for (int i = 5; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get48(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++)
		v = (v << 8) | p[i];
	return v;
}

/* The TSIG fields that go into the digest after the names (RFC 8945 §4.3.3),
 * minus the name-related and class/TTL parts. */
struct tsig_vars {
	const uint8_t *key_name; /* canonical wire form */
	size_t key_name_len;
	uint16_t rclass;
	uint32_t ttl;
	const uint8_t *alg_name;
	size_t alg_name_len;
	uint64_t time_signed;
	uint16_t fudge;
	uint16_t error;
	const uint8_t *other;
	uint16_t other_len;
};

static void digest_vars(struct mp_tsig_hmac *h, const struct tsig_vars *v)
{
	uint8_t b[10];

	mp_tsig_hmac_update(h, v->key_name, v->key_name_len);
	mp_wire_put16(b, v->rclass);
	b[2] = (uint8_t)(v->ttl >> 24);
	b[3] = (uint8_t)(v->ttl >> 16);
	b[4] = (uint8_t)(v->ttl >> 8);
	b[5] = (uint8_t)v->ttl;
	mp_tsig_hmac_update(h, b, 6);
	mp_tsig_hmac_update(h, v->alg_name, v->alg_name_len);
	put48(b, v->time_signed);
	mp_wire_put16(b + 6, v->fudge);
	mp_wire_put16(b + 8, v->error);
	mp_tsig_hmac_update(h, b, 10);
	mp_wire_put16(b, v->other_len);
	mp_tsig_hmac_update(h, b, 2);
	if (v->other_len)
		mp_tsig_hmac_update(h, v->other, v->other_len);
}

static void digest_req_mac(struct mp_tsig_hmac *h, const uint8_t *req_mac,
			   size_t req_mac_len)
{
	uint8_t b[2];

	if (req_mac_len == 0)
		return;
	mp_wire_put16(b, (uint16_t)req_mac_len);
	mp_tsig_hmac_update(h, b, 2);
	mp_tsig_hmac_update(h, req_mac, req_mac_len);
}

/*
 * Appends a TSIG RR to wire[0..*len). with_mac false leaves the MAC empty
 * (a server's BADSIG/BADKEY reply).
 */
static int sign(uint8_t *wire, size_t *len, size_t cap,
		const struct mp_tsig_key *key, uint64_t time_signed,
		const uint8_t *req_mac, size_t req_mac_len, uint16_t error,
		const uint8_t *other, uint16_t other_len, bool with_mac,
		uint8_t *mac_out)
{
	uint8_t kname[MP_WIRE_NAME_MAX], aname[MP_WIRE_NAME_MAX];
	uint8_t mac[MP_TSIG_MAX_MAC];
	size_t klen, alen, maclen, need, p;
	struct tsig_vars v;
	struct mp_tsig_hmac h;
	uint16_t arcount;

	if (!wire || !len || !key || *len < MP_WIRE_HDRLEN || *len > cap)
		return MP_EPROTO;
	if (req_mac_len > 0xffff || time_signed > TIME48_MAX)
		return MP_EINVAL;
	if (mp_wire_name_from_text(mp_tsig_key_name(key), kname, &klen) !=
		MP_OK ||
	    mp_wire_name_from_text(mp_tsig_alg_name(mp_tsig_key_alg(key)),
				   aname, &alen) != MP_OK)
		return MP_EKEY;
	arcount = mp_wire_u16(wire + 10);
	if (arcount == 0xffff)
		return MP_ESPACE;
	maclen = with_mac ? mp_tsig_alg_maclen(mp_tsig_key_alg(key)) : 0;
	/* owner, type/class/TTL/RDLENGTH, then the RDATA */
	need = klen + 10 + alen + 6 + 2 + 2 + maclen + 2 + 2 + 2 + other_len;
	if (cap - *len < need)
		return MP_ESPACE;

	v = (struct tsig_vars){
	    .key_name = kname,
	    .key_name_len = klen,
	    .rclass = MP_RRCLASS_ANY,
	    .ttl = 0,
	    .alg_name = aname,
	    .alg_name_len = alen,
	    .time_signed = time_signed,
	    .fudge = MP_TSIG_FUDGE,
	    .error = error,
	    .other = other,
	    .other_len = other_len,
	};
	if (with_mac) {
		if (mp_tsig_hmac_init(&h, key) != MP_OK)
			return MP_EKEY;
		digest_req_mac(&h, req_mac, req_mac_len);
		mp_tsig_hmac_update(&h, wire, *len);
		digest_vars(&h, &v);
		if (mp_tsig_hmac_final(&h, mac) != MP_OK)
			return MP_EKEY;
	}

	p = *len;
	memcpy(wire + p, kname, klen);
	p += klen;
	mp_wire_put16(wire + p, MP_RRTYPE_TSIG);
	mp_wire_put16(wire + p + 2, MP_RRCLASS_ANY);
	memset(wire + p + 4, 0, 4); /* TTL */
	mp_wire_put16(wire + p + 8, (uint16_t)(need - klen - 10));
	p += 10;
	memcpy(wire + p, aname, alen);
	p += alen;
	put48(wire + p, time_signed);
	mp_wire_put16(wire + p + 6, MP_TSIG_FUDGE);
	mp_wire_put16(wire + p + 8, (uint16_t)maclen);
	p += 10;
	memcpy(wire + p, mac, maclen);
	p += maclen;
	memcpy(wire + p, wire, 2); /* original ID */
	mp_wire_put16(wire + p + 2, error);
	mp_wire_put16(wire + p + 4, other_len);
	p += 6;
	if (other_len)
		memcpy(wire + p, other, other_len);
	p += other_len;
	mp_wire_put16(wire + 10, (uint16_t)(arcount + 1));
	*len = p;
	if (mac_out && maclen)
		memcpy(mac_out, mac, maclen);
	return MP_OK;
}

int mp_tsig_sign(uint8_t *wire, size_t *len, size_t cap,
		 const struct mp_tsig_key *key, uint64_t now_s, uint8_t *mac)
{
	return sign(wire, len, cap, key, now_s, NULL, 0, MP_TSIG_NOERROR, NULL,
		    0, true, mac);
}

int mp_tsig_sign_response(uint8_t *wire, size_t *len, size_t cap,
			  const struct mp_tsig_key *key, uint64_t time_signed,
			  const uint8_t *req_mac, size_t req_mac_len,
			  uint16_t error, uint64_t other_time, uint8_t *mac)
{
	uint8_t other[6];
	bool with_mac = error != MP_TSIG_BADSIG && error != MP_TSIG_BADKEY;

	if (error == MP_TSIG_BADTIME) {
		put48(other, other_time);
		return sign(wire, len, cap, key, time_signed, req_mac,
			    req_mac_len, error, other, sizeof(other), true,
			    mac);
	}
	return sign(wire, len, cap, key, time_signed, req_mac, req_mac_len,
		    error, NULL, 0, with_mac, mac);
}

/* The parsed RDATA of a TSIG RR. */
struct tsig_rr {
	uint8_t key_name[MP_WIRE_NAME_MAX];
	size_t key_name_len;
	uint8_t alg_name[MP_WIRE_NAME_MAX];
	size_t alg_name_len;
	uint64_t time_signed;
	uint16_t fudge;
	const uint8_t *mac;
	uint16_t mac_len;
	uint16_t original_id;
	uint16_t error;
	const uint8_t *other;
	uint16_t other_len;
};

/* Parses the TSIG RR rr of wire; returns a reason when it is malformed. */
static const char *parse_tsig(const uint8_t *wire, const struct mp_wire_rr *rr,
			      struct tsig_rr *t)
{
	size_t p = rr->start;
	/* reading with the RR's end as the limit keeps every field (and the
	 * algorithm name's own labels) inside the RDATA */
	size_t end = rr->end;

	if (mp_wire_read_name(wire, end, &p, t->key_name, &t->key_name_len) !=
	    MP_OK)
		return "bad TSIG owner name";
	p = rr->rdata;
	if (mp_wire_read_name(wire, end, &p, t->alg_name, &t->alg_name_len) !=
	    MP_OK)
		return "truncated TSIG RR (algorithm name)";
	if (end - p < 10)
		return "truncated TSIG RR (time, fudge, MAC size)";
	t->time_signed = get48(wire + p);
	t->fudge = mp_wire_u16(wire + p + 6);
	t->mac_len = mp_wire_u16(wire + p + 8);
	p += 10;
	if (end - p < t->mac_len)
		return "truncated TSIG RR (MAC)";
	t->mac = wire + p;
	p += t->mac_len;
	if (end - p < 6)
		return "truncated TSIG RR (original ID, error, other length)";
	t->original_id = mp_wire_u16(wire + p);
	t->error = mp_wire_u16(wire + p + 2);
	t->other_len = mp_wire_u16(wire + p + 4);
	p += 6;
	if (end - p < t->other_len)
		return "truncated TSIG RR (other data)";
	t->other = wire + p;
	p += t->other_len;
	if (p != end)
		return "TSIG RDATA longer than its fields";
	if (rr->rclass != MP_RRCLASS_ANY)
		return "TSIG RR class is not ANY";
	return NULL;
}

static bool name_eq(const uint8_t *a, size_t alen, const uint8_t *b,
		    size_t blen)
{
	/* both canonical (lower-case), so bytewise is case-insensitive */
	return alen == blen && memcmp(a, b, alen) == 0;
}

enum mp_tsig_status mp_tsig_verify(const uint8_t *wire, size_t len,
				   const struct mp_tsig_key *key,
				   const uint8_t *req_mac, size_t req_mac_len,
				   uint64_t now_s, struct mp_tsig_info *info)
{
	struct mp_tsig_info dummy;
	struct mp_wire_msg m;
	struct tsig_rr t;
	struct tsig_vars v;
	struct mp_tsig_hmac h;
	uint8_t kname[MP_WIRE_NAME_MAX], aname[MP_WIRE_NAME_MAX];
	uint8_t mac[MP_TSIG_MAX_MAC], hdr[MP_WIRE_HDRLEN];
	size_t klen, alen, maclen;
	uint64_t skew;
	const char *why;
	int eq;

	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	if (!key || (req_mac_len && !req_mac) || req_mac_len > 0xffff) {
		info->detail = "bad arguments";
		return MP_TSIG_MALFORMED;
	}
	if (mp_wire_scan(wire, len, &m) != MP_OK) {
		info->detail = "truncated or malformed message";
		return MP_TSIG_MALFORMED;
	}
	if (m.ntsig == 0)
		return MP_TSIG_UNSIGNED;
	if (m.ntsig > 1) {
		info->detail = "more than one TSIG RR";
		return MP_TSIG_MALFORMED;
	}
	if (!m.tsig_last) {
		info->detail = "TSIG RR is not the last record";
		return MP_TSIG_MALFORMED;
	}
	if (m.end != len) {
		info->detail = "bytes after the TSIG RR";
		return MP_TSIG_MALFORMED;
	}
	why = parse_tsig(wire, &m.tsig, &t);
	if (why) {
		info->detail = why;
		return MP_TSIG_MALFORMED;
	}
	info->error = t.error;
	info->time_signed = t.time_signed;
	info->fudge = t.fudge;
	info->original_id = t.original_id;
	if (t.error == MP_TSIG_BADTIME && t.other_len == 6)
		info->other_time = get48(t.other);
	mp_wire_name_to_text(t.key_name, t.key_name_len, info->key_name,
			     sizeof(info->key_name));
	mp_wire_name_to_text(t.alg_name, t.alg_name_len, info->alg_name,
			     sizeof(info->alg_name));

	if (mp_wire_name_from_text(mp_tsig_key_name(key), kname, &klen) !=
		MP_OK ||
	    mp_wire_name_from_text(mp_tsig_alg_name(mp_tsig_key_alg(key)),
				   aname, &alen) != MP_OK) {
		info->detail = "unusable key";
		return MP_TSIG_MALFORMED;
	}
	if (!name_eq(t.key_name, t.key_name_len, kname, klen))
		return MP_TSIG_WRONG_KEY;
	if (!name_eq(t.alg_name, t.alg_name_len, aname, alen))
		return MP_TSIG_WRONG_ALG;
	/* RFC 8945 §5.3.2: BADSIG/BADKEY replies carry no MAC */
	if (t.mac_len == 0 && t.error != MP_TSIG_NOERROR)
		return MP_TSIG_UNSIGNED;
	/* RFC 8945 §5.2.2.1: a MAC longer than the algorithm's is malformed;
	 * one shorter than max(10, half) is BADSIG; a truncated response MAC
	 * must be at least as long as the request's (else BADTRUNC). A
	 * request (no request MAC) may be truncated down to the minimum. */
	maclen = mp_tsig_alg_maclen(mp_tsig_key_alg(key));
	if (t.mac_len > maclen) {
		info->detail = "MAC longer than the algorithm's";
		return MP_TSIG_MALFORMED;
	}
	if (t.mac_len < mp_tsig_alg_min_maclen(mp_tsig_key_alg(key))) {
		info->detail = "MAC truncated below the minimum length "
			       "(RFC 8945 section 5.2.2.1)";
		return MP_TSIG_BAD_MAC;
	}
	if (t.mac_len < req_mac_len) {
		info->detail = "response MAC truncated shorter than the "
			       "request's (BADTRUNC)";
		return MP_TSIG_BAD_MAC;
	}

	/* the digest sees the message as it was before the TSIG RR was added:
	 * ARCOUNT one less, the original ID */
	memcpy(hdr, wire, MP_WIRE_HDRLEN);
	mp_wire_put16(hdr, t.original_id);
	mp_wire_put16(hdr + 10, (uint16_t)(m.count[3] - 1));
	v = (struct tsig_vars){
	    .key_name = t.key_name,
	    .key_name_len = t.key_name_len,
	    .rclass = m.tsig.rclass,
	    .ttl = m.tsig.ttl,
	    .alg_name = t.alg_name,
	    .alg_name_len = t.alg_name_len,
	    .time_signed = t.time_signed,
	    .fudge = t.fudge,
	    .error = t.error,
	    .other = t.other,
	    .other_len = t.other_len,
	};
	if (mp_tsig_hmac_init(&h, key) != MP_OK) {
		info->detail = "unusable key";
		return MP_TSIG_MALFORMED;
	}
	digest_req_mac(&h, req_mac, req_mac_len);
	mp_tsig_hmac_update(&h, hdr, sizeof(hdr));
	mp_tsig_hmac_update(&h, wire + MP_WIRE_HDRLEN,
			    m.tsig.start - MP_WIRE_HDRLEN);
	digest_vars(&h, &v);
	if (mp_tsig_hmac_final(&h, mac) != MP_OK) {
		info->detail = "unusable key";
		return MP_TSIG_MALFORMED;
	}
	/* a truncated MAC is the leftmost mac_len bytes */
	eq = sodium_memcmp(mac, t.mac, t.mac_len) == 0;
	sodium_memzero(mac, sizeof(mac));
	if (!eq)
		return MP_TSIG_BAD_MAC;

	skew = now_s > t.time_signed ? now_s - t.time_signed
				     : t.time_signed - now_s;
	if (skew > t.fudge)
		return MP_TSIG_BAD_TIME;
	if (t.error != MP_TSIG_NOERROR)
		return MP_TSIG_SERVER_ERROR;
	return MP_TSIG_VERIFIED;
}

const char *mp_tsig_status_str(enum mp_tsig_status s)
{
	switch (s) {
	case MP_TSIG_VERIFIED:
		return "verified";
	case MP_TSIG_UNSIGNED:
		return "unsigned";
	case MP_TSIG_MALFORMED:
		return "malformed TSIG";
	case MP_TSIG_WRONG_KEY:
		return "wrong TSIG key name";
	case MP_TSIG_WRONG_ALG:
		return "wrong TSIG algorithm";
	case MP_TSIG_BAD_MAC:
		return "TSIG MAC does not verify";
	case MP_TSIG_BAD_TIME:
		return "TSIG Time Signed outside fudge";
	case MP_TSIG_SERVER_ERROR:
		return "TSIG error from server";
	}
	return "unknown TSIG status";
}

const char *mp_tsig_error_str(uint16_t err, char *buf, size_t len)
{
	switch (err) {
	case MP_TSIG_NOERROR:
		return "NOERROR";
	case MP_TSIG_BADSIG:
		return "BADSIG";
	case MP_TSIG_BADKEY:
		return "BADKEY";
	case MP_TSIG_BADTIME:
		return "BADTIME";
	case 19:
		return "BADMODE";
	case 20:
		return "BADNAME";
	case 21:
		return "BADALG";
	case MP_TSIG_BADTRUNC:
		return "BADTRUNC";
	case 23:
		return "BADCOOKIE";
	}
	if (buf && len) {
		snprintf(buf, len, "%u", (unsigned)err);
		return buf;
	}
	return "?";
}
