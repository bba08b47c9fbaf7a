#include "dnswire.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

int mp_wire_read_name(const uint8_t *w, size_t len, size_t *pos, uint8_t *out,
		      size_t *outlen)
{
	size_t p = *pos, o = 0, after = 0, limit = *pos;
	bool jumped = false;

	for (;;) {
		uint8_t c;

		if (p >= len)
			return MP_EPROTO;
		c = w[p];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (p + 1 >= len)
				return MP_EPROTO;
			target = ((size_t)(c & 0x3f) << 8) | w[p + 1];
			/* every jump must land before the previous one (or
			 * before the name, for the first): the targets
			 * strictly decrease, so no pointer loop can trap us.
			 * Compressors only point at names written earlier,
			 * which always satisfies this, and never into the
			 * 12-byte header, where no name can be. */
			if (target >= limit || target < MP_WIRE_HDRLEN)
				return MP_EPROTO;
			if (!jumped)
				after = p + 2;
			jumped = true;
			limit = target;
			p = target;
			continue;
		}
		if (c & 0xc0)
			return MP_EPROTO; /* obsolete/extended label types */
		if (o + 1 + c > MP_WIRE_NAME_MAX)
			return MP_EPROTO;
		if (c == 0) {
			if (out)
				out[o] = 0;
			o++;
			if (!jumped)
				after = p + 1;
			break;
		}
		if (p + 1 + c > len)
			return MP_EPROTO;
		if (out) {
			out[o] = c;
			for (size_t i = 1; i <= c; i++)
				out[o + i] = lower(w[p + i]);
		}
		o += 1 + (size_t)c;
		p += 1 + (size_t)c;
	}
	*pos = after;
	if (outlen)
		*outlen = o;
	return MP_OK;
}

int mp_wire_name_from_text(const char *text, uint8_t *out, size_t *outlen)
{
	size_t o = 0, tl;
	const char *s = text;

	if (!text)
		return MP_EINVAL;
	tl = strlen(text);
	if (tl == 0 || tl > 254)
		return MP_EINVAL;
	if (strcmp(text, ".") == 0) {
		out[0] = 0;
		*outlen = 1;
		return MP_OK;
	}
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t ll = dot ? (size_t)(dot - s) : strlen(s);

		if (ll == 0 || ll > 63 || o + 1 + ll + 1 > MP_WIRE_NAME_MAX)
			return MP_EINVAL;
		out[o++] = (uint8_t)ll;
		for (size_t i = 0; i < ll; i++) {
			uint8_t c = (uint8_t)s[i];
			if (c <= ' ' || c >= 0x7f || c == '\\')
				return MP_EINVAL;
			out[o++] = lower(c);
		}
		s += ll;
		if (*s == '.')
			s++;
	}
	out[o++] = 0;
	*outlen = o;
	return MP_OK;
}

void mp_wire_name_to_text(const uint8_t *name, size_t len, char *buf,
			  size_t buflen)
{
	size_t p = 0, o = 0;

	if (buflen == 0)
		return;
	buf[0] = '\0';
	/* room for the longest piece ("\DDD") and the terminator */
#define PUT(...)                                                               \
	do {                                                                   \
		int n_ = snprintf(buf + o, buflen - o, __VA_ARGS__);           \
		if (n_ < 0 || (size_t)n_ >= buflen - o)                        \
			return;                                                \
		o += (size_t)n_;                                               \
	} while (0)
	while (p < len && name[p] != 0) {
		uint8_t ll = name[p];

		if (p + 1 + ll > len)
			return;
		for (size_t i = 1; i <= ll; i++) {
			uint8_t c = name[p + i];
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_')
				PUT("%c", c);
			else
				PUT("\\%03u", c);
		}
		PUT(".");
		p += 1 + (size_t)ll;
	}
	if (o == 0)
		PUT(".");
#undef PUT
}

/* Skips one record at *pos and describes it in rr. */
static int read_rr(const uint8_t *w, size_t len, size_t *pos,
		   struct mp_wire_rr *rr)
{
	size_t p = *pos;
	uint16_t rdlen;
	int rc;

	rr->start = p;
	rc = mp_wire_read_name(w, len, &p, NULL, NULL);
	if (rc != MP_OK)
		return rc;
	if (len - p < 10)
		return MP_EPROTO;
	rr->type = mp_wire_u16(w + p);
	rr->rclass = mp_wire_u16(w + p + 2);
	rr->ttl = mp_wire_u32(w + p + 4);
	rdlen = mp_wire_u16(w + p + 8);
	p += 10;
	if (len - p < rdlen)
		return MP_EPROTO;
	rr->rdata = p;
	rr->end = p + rdlen;
	*pos = rr->end;
	return MP_OK;
}

int mp_wire_scan(const uint8_t *w, size_t len, struct mp_wire_msg *m)
{
	size_t pos = MP_WIRE_HDRLEN;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!w || len < MP_WIRE_HDRLEN)
		return MP_EPROTO;
	m->id = mp_wire_u16(w);
	m->flags = mp_wire_u16(w + 2);
	for (int i = 0; i < 4; i++)
		m->count[i] = mp_wire_u16(w + 4 + 2 * i);

	m->qname = pos;
	for (unsigned i = 0; i < m->count[0]; i++) {
		rc = mp_wire_read_name(w, len, &pos, NULL, NULL);
		if (rc != MP_OK)
			return rc;
		if (len - pos < 4)
			return MP_EPROTO;
		pos += 4;
	}
	for (int s = 1; s <= 3; s++) {
		for (unsigned i = 0; i < m->count[s]; i++) {
			struct mp_wire_rr rr;

			rc = read_rr(w, len, &pos, &rr);
			if (rc != MP_OK)
				return rc;
			rr.section = (enum mp_wire_section)s;
			if (rr.type == MP_RRTYPE_TSIG) {
				if (m->ntsig == 0) {
					m->tsig = rr;
					m->tsig_last =
					    s == MP_WIRE_ADDITIONAL &&
					    i + 1u == m->count[s];
				}
				m->ntsig++;
			} else if (rr.type == MP_RRTYPE_OPT &&
				   s == MP_WIRE_ADDITIONAL && !m->has_opt) {
				m->has_opt = true;
				m->ext_rcode = (uint8_t)(rr.ttl >> 24);
			}
		}
	}
	m->end = pos;
	return MP_OK;
}
