#include "duration.h"
#include "error.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *suffix;
	uint64_t ms;
} units[] = {
    /* longest suffix first so "ms" wins over "m" */
    {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
};

int mp_duration_parse(const char *s, uint64_t *ms)
{
	uint64_t total = 0;
	const char *p = s;
	int parts = 0;

	if (!s || !*s)
		return MP_EINVAL;
	while (*p) {
		uint64_t n = 0, mult = 0;
		size_t ulen = 0;

		if (!isdigit((unsigned char)*p))
			return MP_EINVAL;
		while (isdigit((unsigned char)*p)) {
			uint64_t digit = (uint64_t)(*p - '0');
			if (n > (UINT64_MAX - digit) / 10)
				return MP_ERANGE;
			n = n * 10 + digit;
			p++;
		}
		if (*p == '\0') {
			/* a bare number: seconds, only on its own */
			if (parts > 0)
				return MP_EINVAL;
			mult = 1000;
		} else {
			for (size_t i = 0; i < sizeof(units) / sizeof(units[0]);
			     i++) {
				size_t l = strlen(units[i].suffix);
				if (strncmp(p, units[i].suffix, l) == 0 &&
				    !isalpha((unsigned char)p[l])) {
					mult = units[i].ms;
					ulen = l;
					break;
				}
			}
			if (!mult)
				return MP_EINVAL;
		}
		if (n > UINT64_MAX / mult || total > UINT64_MAX - n * mult)
			return MP_ERANGE;
		total += n * mult;
		p += ulen;
		parts++;
	}
	*ms = total;
	return MP_OK;
}

char *mp_duration_format(uint64_t ms, char *buf, size_t len)
{
	size_t off = 0;

	if (ms == 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	if (ms % 1000 != 0) {
		snprintf(buf, len, "%llums", (unsigned long long)ms);
		return buf;
	}
	buf[0] = '\0';
	for (int i = 4; i >= 1 && off < len; i--) {
		uint64_t n = ms / units[i].ms;
		if (n == 0)
			continue;
		ms -= n * units[i].ms;
		off += (size_t)snprintf(buf + off, len - off, "%llu%s",
					(unsigned long long)n, units[i].suffix);
	}
	return buf;
}

char *mp_duration_human(uint64_t ms, char *buf, size_t len)
{
	if (ms < 1000) {
		snprintf(buf, len, "%llums", (unsigned long long)ms);
		return buf;
	}
	for (int i = 4; i >= 1; i--) {
		uint64_t n = ms / units[i].ms;
		if (n == 0)
			continue;
		uint64_t rest =
		    (ms - n * units[i].ms) / units[i - 1 > 0 ? i - 1 : 1].ms;
		if (i > 1 && rest > 0)
			snprintf(buf, len, "%llu%s%llu%s",
				 (unsigned long long)n, units[i].suffix,
				 (unsigned long long)rest, units[i - 1].suffix);
		else
			snprintf(buf, len, "%llu%s", (unsigned long long)n,
				 units[i].suffix);
		return buf;
	}
	return buf;
}
