/* TXT messages of the vantage views: the UPDATE that replaces a node's
 * view, and the RDATA of TXT answers. */
#include "dnsmsg.h"
#include "dnsmsg_int.h"
#include "dnswire.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

int mp_dnsmsg_txt_rdata(const ldns_rr *rr, struct mp_txt_set *s)
{
	unsigned char buf[MAX_MSG];
	size_t off = 0;

	/* ldns keeps one rdf per character-string, length byte included */
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *rd = ldns_rr_rdf(rr, i);
		size_t n = ldns_rdf_size(rd);
		if (ldns_rdf_get_type(rd) != LDNS_RDF_TYPE_STR || n == 0 ||
		    ldns_rdf_data(rd)[0] != n - 1 || off + n > sizeof(buf))
			return MP_EPROTO;
		memcpy(buf + off, ldns_rdf_data(rd), n);
		off += n;
	}
	return mp_txt_set_add(s, buf, off);
}

/* A TXT record of owner from wire RDATA, or NULL (*rc says why). */
static ldns_rr *txt_rr(const ldns_rdf *owner, uint32_t ttl,
		       const struct mp_txt_record *rec, int *rc)
{
	ldns_rr *rr = ldns_rr_new();
	size_t off = 0;

	*rc = MP_ENOMEM;
	if (!rr)
		return NULL;
	ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	if (!ldns_rr_owner(rr))
		goto fail;
	if (rec->len == 0) {
		*rc = MP_EINVAL;
		goto fail;
	}
	while (off < rec->len) {
		size_t n = 1 + (size_t)rec->rdata[off];
		ldns_rdf *rd;
		if (off + n > rec->len) {
			*rc = MP_EINVAL;
			goto fail;
		}
		rd = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, n,
					   rec->rdata + off);
		if (!rd || !ldns_rr_push_rdf(rr, rd)) {
			ldns_rdf_deep_free(rd);
			goto fail;
		}
		off += n;
	}
	*rc = MP_OK;
	return rr;
fail:
	ldns_rr_free(rr);
	return NULL;
}

/* The RR that deletes owner's whole TXT RRset: class ANY, TTL 0, no
 * RDATA (RFC 2136 section 2.5.2). */
static ldns_rr *delete_rrset(const ldns_rdf *owner)
{
	ldns_rr *rr = ldns_rr_new();

	if (!rr)
		return NULL;
	ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_ANY);
	ldns_rr_set_ttl(rr, 0);
	if (!ldns_rr_owner(rr)) {
		ldns_rr_free(rr);
		return NULL;
	}
	return rr;
}

int mp_txt_replace_build(const char *zone, const char *owner, uint32_t ttl,
			 const struct mp_txt_set *recs, uint16_t id,
			 const struct mp_tsig_key *key, uint64_t now_s,
			 struct mp_dns_request *out)
{
	uint8_t zwire[MP_WIRE_NAME_MAX], owire[MP_WIRE_NAME_MAX];
	size_t zlen, olen;
	char otext[1024];
	ldns_rdf *own = NULL;
	ldns_rr_list *up = NULL;
	ldns_rr *rr;
	int rc = MP_EINVAL;

	memset(out, 0, sizeof(*out));
	if (!zone || !owner || !recs || recs->n == 0 || !key ||
	    ttl > INT32_MAX ||
	    mp_dnsmsg_normalise(zone, out->qname, sizeof(out->qname), zwire,
				&zlen) != MP_OK ||
	    mp_dnsmsg_normalise(owner, otext, sizeof(otext), owire, &olen) !=
		MP_OK ||
	    !mp_dnsmsg_in_zone(owire, olen, zwire, zlen))
		return MP_EINVAL;
	up = ldns_rr_list_new();
	own = ldns_dname_new_frm_str(otext);
	if (!up || !own) {
		rc = MP_ENOMEM;
		goto cleanup;
	}
	rr = delete_rrset(own);
	if (!rr || !ldns_rr_list_push_rr(up, rr)) {
		ldns_rr_free(rr);
		rc = MP_ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < recs->n; i++) {
		rr = txt_rr(own, ttl, &recs->v[i], &rc);
		if (!rr)
			goto cleanup;
		if (!ldns_rr_list_push_rr(up, rr)) {
			ldns_rr_free(rr);
			rc = MP_ENOMEM;
			goto cleanup;
		}
	}
	rc = mp_dnsmsg_update_finish(up, id, key, now_s, out);
cleanup:
	ldns_rdf_deep_free(own);
	ldns_rr_list_deep_free(up);
	if (rc != MP_OK)
		mp_dns_request_clear(out);
	return rc;
}
