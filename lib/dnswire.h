/*
 * Bounds-checked reading of raw DNS messages (RFC 1035 §4), for the checks
 * that must happen before a message is trusted to a full parser: where the
 * TSIG RR is, how many there are, what the question is. Nothing here reads
 * past the length it is given.
 */
#ifndef MP_DNSWIRE_H
#define MP_DNSWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MP_WIRE_HDRLEN 12
#define MP_WIRE_NAME_MAX 255 /* wire bytes, root label included */
#define MP_RRTYPE_OPT 41
#define MP_RRTYPE_TSIG 250
#define MP_RRCLASS_IN 1
#define MP_RRCLASS_NONE 254
#define MP_RRCLASS_ANY 255

enum mp_wire_section {
	MP_WIRE_ANSWER = 1,
	MP_WIRE_AUTHORITY = 2,
	MP_WIRE_ADDITIONAL = 3,
};

/* Where one resource record lies in a message. */
struct mp_wire_rr {
	size_t start; /* owner name */
	size_t rdata; /* first RDATA byte */
	size_t end;   /* one past the last RDATA byte */
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	enum mp_wire_section section;
};

struct mp_wire_msg {
	uint16_t id;
	uint16_t flags;
	uint16_t count[4];	/* QD, AN, NS, AR */
	size_t qname;		/* first question's name (when count[0] > 0) */
	size_t end;		/* one past the last record */
	size_t ntsig;		/* TSIG RRs in any section */
	struct mp_wire_rr tsig; /* the first TSIG RR (when ntsig > 0) */
	bool tsig_last; /* it is the last RR of the additional section */
	bool has_opt;
	uint8_t ext_rcode; /* upper 8 bits of the rcode, from the OPT RR */
};

static inline uint16_t mp_wire_u16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t mp_wire_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static inline void mp_wire_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Reads the name at *pos in w[0..len), following compression pointers
 * (which must point backwards), into out as canonical wire form (lower-case,
 * uncompressed; at most MP_WIRE_NAME_MAX bytes). *pos moves past the name as
 * it is stored at *pos. out may be NULL to skip. Returns 0 or MP_EPROTO.
 */
int mp_wire_read_name(const uint8_t *w, size_t len, size_t *pos, uint8_t *out,
		      size_t *outlen);

/* Canonical wire form of a presentation name ("Example.ORG" or
 * "example.org."; no escapes). Returns 0 or MP_EINVAL. */
int mp_wire_name_from_text(const char *text, uint8_t *out, size_t *outlen);

/* Presentation form with a trailing dot; bytes other than letters, digits,
 * '-' and '_' are written \DDD so that names from the network are safe to
 * log. Truncated (still terminated) when buf is too small. */
void mp_wire_name_to_text(const uint8_t *name, size_t len, char *buf,
			  size_t buflen);

/* Walks the header, the questions and every record. Returns 0 or MP_EPROTO
 * (shorter than a header, a name or record running past len). Bytes after
 * the last record are not an error here: m->end tells where it ended. */
int mp_wire_scan(const uint8_t *w, size_t len, struct mp_wire_msg *m);

#endif
