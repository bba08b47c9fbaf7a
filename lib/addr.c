#include "addr.h"
#include "error.h"

#include <string.h>

int mp_addr_from_bytes(const void *bytes, size_t len, struct mp_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (len == 4)
		out->family = AF_INET;
	else if (len == 16)
		out->family = AF_INET6;
	else
		return MP_EINVAL;
	memcpy(out->bytes, bytes, len);
	if (!inet_ntop(out->family, out->bytes, out->text, sizeof(out->text)))
		return MP_EINVAL;
	return MP_OK;
}

int mp_addr_parse(const char *s, struct mp_addr *out)
{
	unsigned char buf[16];

	if (!s)
		return MP_EINVAL;
	if (inet_pton(AF_INET, s, buf) == 1)
		return mp_addr_from_bytes(buf, 4, out);
	if (inet_pton(AF_INET6, s, buf) == 1)
		return mp_addr_from_bytes(buf, 16, out);
	return MP_EINVAL;
}

bool mp_addr_equal(const struct mp_addr *a, const struct mp_addr *b)
{
	return mp_addr_cmp(a, b) == 0;
}

int mp_addr_cmp(const struct mp_addr *a, const struct mp_addr *b)
{
	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	return memcmp(a->bytes, b->bytes, mp_addr_len(a));
}

int mp_addr_rrtype(const struct mp_addr *a)
{
	return a->family == AF_INET ? 1 : 28;
}

size_t mp_addr_len(const struct mp_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

size_t mp_addr_to_sockaddr(const struct mp_addr *a, unsigned port,
			   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		memcpy(&sin->sin_addr, a->bytes, 4);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	memcpy(&sin6->sin6_addr, a->bytes, 16);
	return sizeof(*sin6);
}
