#include "unit_dns.h"

#include "dnswire.h"
#include "error.h"
#include "unit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mp_tsig_key *mp_unit_tsig_key(const char *name, enum mp_tsig_alg alg,
				     const char *b64)
{
	unsigned char secret[256];
	size_t n = 0;
	struct mp_tsig_key *k = NULL;

	CU_ASSERT_FATAL(sodium_base642bin(secret, sizeof(secret), b64,
					  strlen(b64), NULL, &n, NULL,
					  sodium_base64_VARIANT_ORIGINAL) == 0);
	CU_ASSERT_FATAL(mp_tsig_key_new(name, alg, secret, n, &k) == MP_OK);
	return k;
}

uint8_t *mp_unit_read_msg(const char *name, size_t *len)
{
	FILE *f = fopen(mp_unit_fixture(name), "rb");
	uint8_t *buf = malloc(65536);
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	n = fread(buf, 1, 65536, f);
	fclose(f);
	CU_ASSERT_FATAL(n > MP_WIRE_HDRLEN && n < 65536);
	*len = n;
	return buf;
}
