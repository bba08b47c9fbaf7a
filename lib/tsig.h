/*
 * TSIG (RFC 8945) on DNS wire messages, MACs computed with OpenSSL (see
 * tsig_key.h): signing requests and verifying responses in full. ldns is not
 * used here: ldns_pkt_tsig_verify checks neither the algorithm nor the time,
 * and ldns 1.8 lacks hmac-sha224 and misspells hmac-sha384.
 */
#ifndef MP_TSIG_H
#define MP_TSIG_H

#include <stddef.h>
#include <stdint.h>

#include "tsig_key.h"

#define MP_TSIG_FUDGE 300

/* DNS TSIG error codes (RFC 8945 §5.2 / IANA). */
enum {
	MP_TSIG_NOERROR = 0,
	MP_TSIG_BADSIG = 16,
	MP_TSIG_BADKEY = 17,
	MP_TSIG_BADTIME = 18,
	MP_TSIG_BADTRUNC = 22,
};

/*
 * Appends a TSIG RR to the unsigned message in wire[0..*len) (cap bytes
 * available), increments ARCOUNT and updates *len. Signs with time now_s and
 * fudge MP_TSIG_FUDGE. The MAC is copied to mac (mp_tsig_alg_maclen bytes)
 * for verifying the response. Returns 0, MP_ESPACE, MP_EPROTO (wire shorter
 * than a header) or MP_EKEY.
 */
int mp_tsig_sign(uint8_t *wire, size_t *len, size_t cap,
		 const struct mp_tsig_key *key, uint64_t now_s, uint8_t *mac);

/*
 * Signs a response (RFC 8945 §5.3) the way a server does: the MAC covers the
 * request's MAC (req_mac, req_mac_len bytes; none when req_mac_len is 0), the
 * message and the TSIG variables with Time Signed time_signed. error is the
 * TSIG error field: with BADSIG or BADKEY the RR carries no MAC (the
 * server's "unsigned" error reply); with BADTIME the Other Data holds
 * other_time (the server's clock). mac (may be NULL) receives the MAC.
 * Used by test servers and tests; the agent only signs requests.
 */
int mp_tsig_sign_response(uint8_t *wire, size_t *len, size_t cap,
			  const struct mp_tsig_key *key, uint64_t time_signed,
			  const uint8_t *req_mac, size_t req_mac_len,
			  uint16_t error, uint64_t other_time, uint8_t *mac);

enum mp_tsig_status {
	MP_TSIG_VERIFIED = 0, /* signed, verified, time within fudge */
	MP_TSIG_UNSIGNED,     /* no TSIG RR at all, or one without a MAC
				 carrying the server's error (BADSIG,
				 BADKEY: see info->error) */
	MP_TSIG_MALFORMED,    /* two TSIGs, TSIG not last, truncated RR... */
	MP_TSIG_WRONG_KEY,    /* key name differs from ours */
	MP_TSIG_WRONG_ALG,    /* algorithm differs from ours/unsupported */
	MP_TSIG_BAD_MAC,      /* MAC does not verify, or is truncated
				 below what RFC 8945 §5.2.2.1 allows
				 (info->detail says which) */
	MP_TSIG_BAD_TIME,     /* Time Signed outside fudge of now */
	MP_TSIG_SERVER_ERROR, /* verified, but the TSIG error field is set
				 (BADTIME is signed; see info->error) */
};

struct mp_tsig_info {
	uint16_t error;	      /* TSIG error field */
	uint64_t time_signed; /* from the TSIG RR */
	uint16_t fudge;
	uint64_t other_time; /* BADTIME: the server's clock; 0 absent */
	uint16_t original_id;
	/* The names found in the TSIG RR, lower-case presentation form
	 * (escaped, safe to log; possibly truncated). */
	char key_name[256];
	char alg_name[256];
	/* MP_TSIG_MALFORMED: what is wrong ("two TSIG RRs", ...); else NULL */
	const char *detail;
};

/*
 * Verifies the TSIG of a response to a request whose MAC was req_mac. Checks
 * exactly one TSIG RR, last in the additional section; our key name and
 * algorithm; the MAC length against RFC 8945 §5.2.2.1 (never longer than
 * the algorithm's, never shorter than max(10 bytes, half of it), a response
 * never shorter than the request's MAC); the MAC (constant time, a
 * truncated one over its leftmost bytes); Time Signed within the fudge of
 * now_s (the fudge the message carries); then the error field.
 * info (may be NULL) receives the TSIG fields when a TSIG RR was parsed.
 * With req_mac_len 0 the message is checked as a request (no request MAC in
 * the digest), as a server would.
 */
enum mp_tsig_status mp_tsig_verify(const uint8_t *wire, size_t len,
				   const struct mp_tsig_key *key,
				   const uint8_t *req_mac, size_t req_mac_len,
				   uint64_t now_s, struct mp_tsig_info *info);

const char *mp_tsig_status_str(enum mp_tsig_status s);
/* "BADSIG", "BADKEY", "BADTIME", or the number. */
const char *mp_tsig_error_str(uint16_t err, char *buf, size_t len);

#endif
