/*
 * The small parsers: durations (lib/duration.c: whatever parses formats
 * and parses back to the same value; every value formats to text that
 * parses back), IP addresses (lib/addr.c: the canonical text parses to the
 * same address), check URLs (mp_config_url_parse and the request target it
 * leaves), trace-file times (mp_trace_time_parse), TSIG key and algorithm
 * names. Byte 0 picks the parser; the rest is its text.
 */
#include "addr.h"
#include "checkeval.h"
#include "config.h"
#include "duration.h"
#include "error.h"
#include "fuzz.h"
#include "tsig_key.h"

#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static void duration(const char *s, const uint8_t *raw, size_t n)
{
	char buf[64], human[64];
	uint64_t ms, back, v = 0;
	int rc = mp_duration_parse(s, &ms);

	MP_FUZZ_ASSERT(rc == MP_OK || rc == MP_EINVAL || rc == MP_ERANGE);
	if (rc == MP_OK) {
		mp_duration_format(ms, buf, sizeof(buf));
		MP_FUZZ_ASSERT(mp_duration_parse(buf, &back) == MP_OK);
		MP_FUZZ_ASSERT(back == ms);
		mp_duration_human(ms, human, sizeof(human));
		MP_FUZZ_ASSERT(human[0] != '\0');
	}
	/* the raw bytes as a number of milliseconds */
	for (size_t i = 0; i < n && i < 8; i++)
		v = v << 8 | raw[i];
	mp_duration_format(v, buf, sizeof(buf));
	MP_FUZZ_ASSERT(mp_duration_parse(buf, &back) == MP_OK);
	MP_FUZZ_ASSERT(back == v);
	mp_duration_human(v, human, sizeof(human));
	MP_FUZZ_ASSERT(human[0] != '\0');
}

static void address(const char *s, const uint8_t *raw, size_t n)
{
	struct mp_addr a, b;

	if (mp_addr_parse(s, &a) == MP_OK) {
		MP_FUZZ_ASSERT(a.family == AF_INET || a.family == AF_INET6);
		MP_FUZZ_ASSERT(mp_addr_parse(a.text, &b) == MP_OK);
		MP_FUZZ_ASSERT(mp_addr_equal(&a, &b));
		MP_FUZZ_ASSERT(strcmp(a.text, b.text) == 0);
		MP_FUZZ_ASSERT(mp_addr_cmp(&a, &b) == 0);
	}
	if (n == 4 || n == 16) {
		MP_FUZZ_ASSERT(mp_addr_from_bytes(raw, n, &a) == MP_OK);
		MP_FUZZ_ASSERT(mp_addr_parse(a.text, &b) == MP_OK);
		MP_FUZZ_ASSERT(mp_addr_equal(&a, &b));
	}
}

static void url(const char *s)
{
	char host[256];
	bool https = false;
	uint16_t port = 0;
	const char *why = NULL;

	if (mp_config_url_parse(s, &https, host, sizeof(host), &port, &why) ==
	    MP_OK) {
		const char *target = mp_config_url_target(s);
		MP_FUZZ_ASSERT(host[0] != '\0');
		MP_FUZZ_ASSERT(port != 0);
		MP_FUZZ_ASSERT(target != NULL);
		MP_FUZZ_ASSERT(target >= s && target <= s + strlen(s));
	} else {
		MP_FUZZ_ASSERT(why != NULL && why[0] != '\0');
	}
}

static void trace_time(const char *s, size_t n)
{
	int64_t t = mp_trace_time_parse(s, n);

	MP_FUZZ_ASSERT(t >= -1);
	/* what follows the first line does not matter */
	{
		const char *nl = memchr(s, '\n', n);
		if (nl)
			MP_FUZZ_ASSERT(
			    mp_trace_time_parse(s, (size_t)(nl - s)) == t);
	}
}

static void names(const char *s)
{
	char out[256], again[256];
	enum mp_tsig_alg alg;
	int rc = mp_tsig_alg_parse(s, &alg);

	MP_FUZZ_ASSERT(rc == MP_OK || rc == MP_ENOTSUP || rc == MP_EINVAL);
	if (rc == MP_OK)
		MP_FUZZ_ASSERT(mp_tsig_alg_parse(mp_tsig_alg_name(alg), &alg) ==
			       MP_OK);
	if (mp_tsig_name_normalise(s, out, sizeof(out)) == MP_OK) {
		MP_FUZZ_ASSERT(
		    mp_tsig_name_normalise(out, again, sizeof(again)) == MP_OK);
		MP_FUZZ_ASSERT(strcmp(out, again) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	size_t n;

	if (size < 1 || size > 4096)
		return 0;
	n = size - 1;
	s = malloc(n + 1);
	if (!s)
		abort();
	memcpy(s, data + 1, n);
	s[n] = '\0';
	switch (data[0] % 5) {
	case 0:
		duration(s, data + 1, n);
		break;
	case 1:
		address(s, data + 1, n);
		break;
	case 2:
		url(s);
		break;
	case 3: {
		/* not NUL-terminated: len bounds the read */
		char *t = malloc(n ? n : 1);
		if (!t)
			abort();
		memcpy(t, data + 1, n);
		trace_time(t, n);
		free(t);
		break;
	}
	case 4:
		names(s);
		break;
	}
	free(s);
	return 0;
}
