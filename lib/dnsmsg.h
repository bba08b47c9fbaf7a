/*
 * DNS messages mirrorpool sends and receives: RFC 2136 UPDATEs and the
 * queries that read the managed RRsets and the zone's SOA, all TSIG-signed;
 * and the full check of a response. ldns builds and parses; it never sends.
 */
#ifndef MP_DNSMSG_H
#define MP_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "rrset.h"
#include "tsig.h"
#include "tsig_key.h"
#include "view.h"

#define MP_RRTYPE_A 1
#define MP_RRTYPE_SOA 6
#define MP_RRTYPE_TXT 16
#define MP_RRTYPE_AAAA 28

/* One RRset's minimal change: class-NONE deletes and adds. */
struct mp_rrset_change {
	const char *owner; /* absolute name */
	int rrtype;	   /* MP_RRTYPE_A or MP_RRTYPE_AAAA */
	uint32_t ttl;
	const struct mp_addr_set *add;
	const struct mp_addr_set *del;
};

/* A signed request, kept to match and verify its response. */
struct mp_dns_request {
	uint16_t id;
	int opcode;	 /* 0 QUERY, 5 UPDATE */
	char qname[256]; /* zone (UPDATE) or the queried name */
	int qtype;	 /* SOA for UPDATE's zone section, or query type */
	uint8_t mac[MP_TSIG_MAX_MAC];
	size_t mac_len;
	uint8_t *wire; /* malloc'd signed message */
	size_t len;
};

void mp_dns_request_clear(struct mp_dns_request *r);

/*
 * Builds a signed UPDATE for zone: zone section "zone SOA", no prerequisites,
 * per change one RR of class NONE/TTL 0 per deleted address and one RR of
 * class IN with the change's TTL per added address (deletes first). RD clear.
 * Names are host names (letters, digits, '-', '_'), absolute with or without
 * the final dot, any case. Returns 0, MP_EINVAL (no RR in any change, name
 * outside zone, an address of the other family, TTL over 2^31-1),
 * MP_ESPACE (over 65535 bytes), MP_ENOMEM. On success out->wire is the caller's
 * (mp_dns_request_clear); on failure out is cleared.
 */
int mp_update_build(const char *zone, const struct mp_rrset_change *changes,
		    size_t n, uint16_t id, const struct mp_tsig_key *key,
		    uint64_t now_s, struct mp_dns_request *out);

/*
 * Builds a signed UPDATE for zone that replaces the whole TXT RRset of
 * owner with recs (class IN, ttl): one delete of the RRset (class ANY),
 * then one add per record, applied atomically by the primary. A vantage
 * node publishes its view this way. Same rules, return values and
 * ownership as mp_update_build; MP_EINVAL also for no record, or a record
 * whose RDATA is not character-strings.
 */
int mp_txt_replace_build(const char *zone, const char *owner, uint32_t ttl,
			 const struct mp_txt_set *recs, uint16_t id,
			 const struct mp_tsig_key *key, uint64_t now_s,
			 struct mp_dns_request *out);

/* Builds a signed query (RD clear, class IN) for qname/qtype. Same return
 * values and ownership as mp_update_build. */
int mp_query_build(const char *qname, int qtype, uint16_t id,
		   const struct mp_tsig_key *key, uint64_t now_s,
		   struct mp_dns_request *out);

enum mp_resp_verdict {
	MP_RESP_OK = 0,	  /* signed and verified: trust rcode and data */
	MP_RESP_IGNORE,	  /* not an answer to this request (wrong ID, QR=0,
			     wrong opcode or question) or garbage: keep
			     waiting for the real one */
	MP_RESP_UNSIGNED, /* answers the request but carries no TSIG:
			     the server's unsigned BADKEY/BADSIG/NOTAUTH,
			     or a spoof; never success */
	MP_RESP_BAD_TSIG, /* TSIG present but fails verification */
};

struct mp_dns_response {
	enum mp_resp_verdict verdict;
	enum mp_tsig_status tsig;
	struct mp_tsig_info tsig_info;
	int rcode; /* header rcode (extended with OPT if present) */
	bool tc;
	/* For queries of A/AAAA: the addresses of qname in the answer. */
	struct mp_addr_set answers;
	uint32_t answer_ttl;
	/* For TXT queries: the RDATA of every TXT record of qname. */
	struct mp_txt_set txt;
	/* For SOA queries: the serial of the zone apex SOA. */
	bool has_soa;
	uint32_t soa_serial;
};

void mp_dns_response_clear(struct mp_dns_response *r);

/*
 * Checks a received message against req: ID, QR, opcode, question; exactly
 * one TSIG RR, last; key name and algorithm; MAC; time within the fudge of
 * now_s; the TSIG error field. Fills out; why receives a short explanation
 * for anything but MP_RESP_OK ("ID mismatch", "unsigned NOTAUTH",
 * "TSIG algorithm hmac-sha512. differs from hmac-sha256.", ...).
 * Source address and port are checked by the transport.
 *
 * In order: garbage (shorter than a header, over 65535 bytes, records
 * running past the end), ID, QR, opcode, question (when the response has
 * one) -> MP_RESP_IGNORE. Then the TSIG: none, or a MAC-less one carrying
 * BADSIG/BADKEY -> MP_RESP_UNSIGNED; any other failure, including two TSIG
 * RRs or a TSIG RR that is not last -> MP_RESP_BAD_TSIG (the message is
 * never handed to ldns then). Verified -> MP_RESP_OK, also when the TSIG
 * error field is set (out->tsig == MP_TSIG_SERVER_ERROR, e.g. BADTIME with
 * the server's clock in tsig_info.other_time; why then says so).
 * rcode and tc are filled for every verdict but IGNORE; answers, answer_ttl
 * and the SOA serial only for a verified response to a query.
 * out is overwritten (not freed): clear an earlier MP_RESP_OK result with
 * mp_dns_response_clear() before reusing it.
 */
enum mp_resp_verdict
mp_response_check(const struct mp_dns_request *req, const uint8_t *wire,
		  size_t len, const struct mp_tsig_key *key, uint64_t now_s,
		  struct mp_dns_response *out, char *why, size_t whylen);

/* "NOERROR", "SERVFAIL", "NOTAUTH", ... or the number. */
const char *mp_rcode_str(int rcode, char *buf, size_t len);

#endif
