/* IP address literals as mirrorpool handles them: parsed, compared and
 * printed canonically (so "2001:DB8::0:10" and "2001:db8::10" are one). */
#ifndef MP_ADDR_H
#define MP_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define MP_ADDR_STRLEN INET6_ADDRSTRLEN

struct mp_addr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char bytes[16];
	char text[MP_ADDR_STRLEN]; /* canonical form */
};

/* Parses an IPv4 or IPv6 literal (no brackets, no scope, no prefix).
 * Returns 0 or MP_EINVAL. */
int mp_addr_parse(const char *s, struct mp_addr *out);

/* Builds from raw bytes: len 4 (A) or 16 (AAAA). */
int mp_addr_from_bytes(const void *bytes, size_t len, struct mp_addr *out);

bool mp_addr_equal(const struct mp_addr *a, const struct mp_addr *b);
/* Total order: IPv4 before IPv6, then bytewise. */
int mp_addr_cmp(const struct mp_addr *a, const struct mp_addr *b);

/* DNS record type for the address: 1 (A) or 28 (AAAA). */
int mp_addr_rrtype(const struct mp_addr *a);

/* Byte length: 4 or 16. */
size_t mp_addr_len(const struct mp_addr *a);

/* Fills a sockaddr_storage with the address and port; returns its length. */
size_t mp_addr_to_sockaddr(const struct mp_addr *a, unsigned port,
			   struct sockaddr_storage *ss);

#endif
