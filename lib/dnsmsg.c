/* Building DNS messages: the signed queries and UPDATEs of the pools (see
 * dnsmsg.h). Responses are checked in dnsmsg_response.c. */
#include "dnsmsg.h"
#include "dnsmsg_int.h"
#include "dnswire.h"
#include "error.h"

#include <inttypes.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
