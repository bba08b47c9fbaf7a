/*
 * DNS responses (lib/dnsmsg.c, lib/dnswire.c, lib/tsig.c) to real signed
 * requests: an A, AAAA and SOA query and an UPDATE, built and signed with a
 * hmac-sha256 key as the agent builds them. The input is either handed over
 * as it is (ID, QR, opcode, question and TSIG checks) or first made to
 * answer the request (ID, QR, opcode) and signed as a server signs it, so
 * that the parse of a verified response (rcode, answers, SOA serial) is
 * reached as well.
 *
 * Input: byte 0 = request (bits 0-1), signed by the harness (bit 2),
 * header patched to match (bit 3), TSIG error field (bits 4-5: none,
 * BADSIG, BADKEY, BADTIME); byte 1 = clock skew in seconds (signed); the
 * rest is the message.
 */
#include "dnsmsg.h"
#include "dnswire.h"
#include "error.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define NOW 1700000000ULL

static struct mp_tsig_key *key;
static struct mp_dns_request req[4];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const unsigned char secret[32] =
	    "mirrorpool fuzz key 0123456789a";
	struct mp_addr a, b;
	struct mp_addr_set add, del;
	struct mp_rrset_change ch;

	if (mp_tsig_key_new("mirrorpool", MP_TSIG_HMAC_SHA256, secret,
			    sizeof(secret), &key) != MP_OK)
		abort();
	if (mp_query_build("dl.example.org.", MP_RRTYPE_A, 0x1234, key, NOW,
			   &req[0]) != MP_OK ||
	    mp_query_build("dl.example.org.", MP_RRTYPE_AAAA, 0x2345, key, NOW,
			   &req[1]) != MP_OK ||
	    mp_query_build("example.org.", MP_RRTYPE_SOA, 0x3456, key, NOW,
			   &req[2]) != MP_OK)
		abort();
	mp_addr_parse("192.0.2.10", &a);
	mp_addr_parse("192.0.2.20", &b);
	add.v = &a;
	add.n = add.cap = 1;
	del.v = &b;
	del.n = del.cap = 1;
	ch.owner = "dl.example.org.";
	ch.rrtype = MP_RRTYPE_A;
	ch.ttl = 60;
	ch.add = &add;
	ch.del = &del;
	if (mp_update_build("example.org.", &ch, 1, 0x4567, key, NOW,
			    &req[3]) != MP_OK)
		abort();
	return 0;
}

static const uint16_t tsig_errors[] = {0, MP_TSIG_BADSIG, MP_TSIG_BADKEY,
				       MP_TSIG_BADTIME};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65535 + 1024];
	const struct mp_dns_request *rq;
	struct mp_dns_response resp;
	enum mp_resp_verdict v;
	char why[256];
	uint64_t now;
	const uint8_t *msg;
	size_t len;

	if (size < 2 || size - 2 > 65535)
		return 0;
	rq = &req[data[0] & 3];
	now = NOW + (uint64_t)(int64_t)(int8_t)data[1];
	msg = data + 2;
	len = size - 2;
	if (data[0] & 4) {
		uint16_t err = tsig_errors[(data[0] >> 4) & 3];

		memcpy(buf, msg, len);
		if ((data[0] & 8) && len >= MP_WIRE_HDRLEN) {
			mp_wire_put16(buf, rq->id);
			buf[2] = (uint8_t)(0x80 | (rq->opcode << 3) |
					   (buf[2] & 0x07));
		}
		if (mp_tsig_sign_response(buf, &len, sizeof(buf), key, NOW,
					  rq->mac, rq->mac_len, err, NOW + 7,
					  NULL) != MP_OK)
			return 0;
		msg = buf;
	}
	memset(&resp, 0, sizeof(resp));
	why[0] = '\0';
	v = mp_response_check(rq, msg, len, key, now, &resp, why, sizeof(why));
	MP_FUZZ_ASSERT(v >= MP_RESP_OK && v <= MP_RESP_BAD_TSIG);
	MP_FUZZ_ASSERT(memchr(why, '\0', sizeof(why)) != NULL);
	if (v != MP_RESP_OK)
		MP_FUZZ_ASSERT(why[0] != '\0');
	if (v == MP_RESP_OK) {
		/* only a verified answer is trusted, and it holds only
		 * addresses of the queried type */
		MP_FUZZ_ASSERT(resp.rcode >= 0 && resp.rcode < 4096);
		for (size_t i = 0; i < resp.answers.n; i++) {
			const struct mp_addr *a = &resp.answers.v[i];
			MP_FUZZ_ASSERT(rq->qtype == MP_RRTYPE_A
					   ? a->family == AF_INET
					   : a->family == AF_INET6);
			MP_FUZZ_ASSERT(rq->qtype == MP_RRTYPE_A ||
				       rq->qtype == MP_RRTYPE_AAAA);
		}
		if (resp.has_soa)
			MP_FUZZ_ASSERT(rq->qtype == MP_RRTYPE_SOA);
		mp_dns_response_clear(&resp);
	} else {
		MP_FUZZ_ASSERT(resp.answers.n == 0 && !resp.has_soa);
	}
	return 0;
}
