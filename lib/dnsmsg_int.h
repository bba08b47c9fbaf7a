/* Internal to the DNS messages (dnsmsg.c, dnsmsg_txt.c,
 * dnsmsg_response.c). */
#ifndef MP_DNSMSG_INT_H
#define MP_DNSMSG_INT_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnsmsg.h"

#define OPCODE_QUERY 0
#define OPCODE_UPDATE 5
#define MAX_MSG 65535

/* Lower-case, absolute presentation form of name (host-name characters
 * only), and its wire form when wire is not NULL. 0 or MP_EINVAL. */
int mp_dnsmsg_normalise(const char *name, char *text, size_t textlen,
			uint8_t *wire, size_t *wirelen);

/* True when name (wire) is zone or below it. */
bool mp_dnsmsg_in_zone(const uint8_t *name, size_t nlen, const uint8_t *zone,
		       size_t zlen);

/* Sets the ID, clears RD, renders p and signs it into out. */
int mp_dnsmsg_finish(ldns_pkt *p, uint16_t id, const struct mp_tsig_key *key,
		     uint64_t now_s, struct mp_dns_request *out);

/* Builds the UPDATE of zone out->qname with update section up (copied),
 * signs it into out and marks it an UPDATE. 0 or an MP_E* code. */
int mp_dnsmsg_update_finish(const ldns_rr_list *up, uint16_t id,
			    const struct mp_tsig_key *key, uint64_t now_s,
			    struct mp_dns_request *out);

/* Appends the RDATA of TXT record rr (its character-strings, each with its
 * length byte) to s. 0, MP_EPROTO or MP_ENOMEM. */
int mp_dnsmsg_txt_rdata(const ldns_rr *rr, struct mp_txt_set *s);

#endif
