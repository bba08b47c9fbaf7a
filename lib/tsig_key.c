#include "tsig_key.h"
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct mp_tsig_key {
	char name[256];
	enum mp_tsig_alg alg;
	size_t secret_len;
	unsigned char *secret; /* sodium_malloc'd, PROT_NONE while unused */
};

_Static_assert(sizeof(crypto_auth_hmacsha512_state) <= 512,
	       "mp_tsig_hmac state too small");
_Static_assert(sizeof(crypto_auth_hmacsha256_state) <= 512,
	       "mp_tsig_hmac state too small");

static const struct {
	const char *name;
	int supported;
	enum mp_tsig_alg alg;
} alg_table[] = {
    {"hmac-sha256", 1, MP_TSIG_HMAC_SHA256},
    {"hmac-sha512", 1, MP_TSIG_HMAC_SHA512},
    {"hmac-md5", 0, 0},
    {"hmac-md5.sig-alg.reg.int", 0, 0},
    {"hmac-sha1", 0, 0},
    {"hmac-sha224", 0, 0},
    {"hmac-sha384", 0, 0},
    {"gss-tsig", 0, 0},
};

int mp_tsig_alg_parse(const char *name, enum mp_tsig_alg *alg)
{
	size_t len;

	if (!name)
		return MP_EINVAL;
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	for (size_t i = 0; i < sizeof(alg_table) / sizeof(alg_table[0]); i++) {
		if (strlen(alg_table[i].name) == len &&
		    strncasecmp(alg_table[i].name, name, len) == 0) {
			if (!alg_table[i].supported)
				return MP_ENOTSUP;
			*alg = alg_table[i].alg;
			return MP_OK;
		}
	}
	return MP_EINVAL;
}

const char *mp_tsig_alg_name(enum mp_tsig_alg alg)
{
	return alg == MP_TSIG_HMAC_SHA512 ? "hmac-sha512." : "hmac-sha256.";
}

size_t mp_tsig_alg_maclen(enum mp_tsig_alg alg)
{
	return alg == MP_TSIG_HMAC_SHA512 ? crypto_auth_hmacsha512_BYTES
					  : crypto_auth_hmacsha256_BYTES;
}

int mp_tsig_name_normalise(const char *in, char *out, size_t outlen)
{
	size_t len = strlen(in), j = 0;

	if (len == 0 || len > 253 || strcmp(in, ".") == 0)
		return MP_EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\')
			return MP_EINVAL;
		if (c == '.' && (i == 0 || in[i - 1] == '.'))
			return MP_EINVAL; /* empty label */
		if (j + 2 >= outlen)
			return MP_EINVAL;
		out[j++] = (char)tolower(c);
	}
	if (out[j - 1] != '.')
		out[j++] = '.';
	out[j] = '\0';
	return MP_OK;
}

int mp_tsig_key_new(const char *name, enum mp_tsig_alg alg,
		    const unsigned char *secret, size_t secret_len,
		    struct mp_tsig_key **out)
{
	struct mp_tsig_key *k;

	*out = NULL;
	if (!name || !secret || secret_len == 0 || secret_len > 1024)
		return MP_EINVAL;
	if (sodium_init() < 0)
		return MP_ENOMEM;
	k = calloc(1, sizeof(*k));
	if (!k)
		return MP_ENOMEM;
	if (mp_tsig_name_normalise(name, k->name, sizeof(k->name)) != MP_OK) {
		free(k);
		return MP_EINVAL;
	}
	k->alg = alg;
	k->secret = sodium_malloc(secret_len);
	if (!k->secret) {
		free(k);
		return MP_ENOMEM;
	}
	memcpy(k->secret, secret, secret_len);
	k->secret_len = secret_len;
	sodium_mprotect_noaccess(k->secret);
	*out = k;
	return MP_OK;
}

void mp_tsig_key_free(struct mp_tsig_key *key)
{
	if (!key)
		return;
	/* sodium_free wipes the region before unmapping it */
	sodium_free(key->secret);
	sodium_memzero(key, sizeof(*key));
	free(key);
}

const char *mp_tsig_key_name(const struct mp_tsig_key *key)
{
	return key->name;
}

enum mp_tsig_alg mp_tsig_key_alg(const struct mp_tsig_key *key)
{
	return key->alg;
}

size_t mp_tsig_key_secret_len(const struct mp_tsig_key *key)
{
	return key->secret_len;
}

int mp_tsig_key_dup(const struct mp_tsig_key *key, struct mp_tsig_key **out)
{
	int rc;

	sodium_mprotect_readonly(key->secret);
	rc = mp_tsig_key_new(key->name, key->alg, key->secret, key->secret_len,
			     out);
	sodium_mprotect_noaccess(key->secret);
	return rc;
}

int mp_tsig_key_equal(const struct mp_tsig_key *a, const struct mp_tsig_key *b)
{
	int eq;

	if (strcmp(a->name, b->name) != 0 || a->alg != b->alg ||
	    a->secret_len != b->secret_len)
		return 0;
	sodium_mprotect_readonly(a->secret);
	sodium_mprotect_readonly(b->secret);
	eq = sodium_memcmp(a->secret, b->secret, a->secret_len) == 0;
	sodium_mprotect_noaccess(a->secret);
	sodium_mprotect_noaccess(b->secret);
	return eq;
}

int mp_tsig_hmac_init(struct mp_tsig_hmac *h, const struct mp_tsig_key *key)
{
	int rc;

	h->key = key;
	sodium_mprotect_readonly(key->secret);
	if (key->alg == MP_TSIG_HMAC_SHA512)
		rc = crypto_auth_hmacsha512_init(
		    (crypto_auth_hmacsha512_state *)h->state, key->secret,
		    key->secret_len);
	else
		rc = crypto_auth_hmacsha256_init(
		    (crypto_auth_hmacsha256_state *)h->state, key->secret,
		    key->secret_len);
	/* the state now holds the derived pads; the raw secret can go dark */
	sodium_mprotect_noaccess(key->secret);
	return rc == 0 ? MP_OK : MP_EKEY;
}

void mp_tsig_hmac_update(struct mp_tsig_hmac *h, const void *data, size_t len)
{
	if (h->key->alg == MP_TSIG_HMAC_SHA512)
		crypto_auth_hmacsha512_update(
		    (crypto_auth_hmacsha512_state *)h->state, data, len);
	else
		crypto_auth_hmacsha256_update(
		    (crypto_auth_hmacsha256_state *)h->state, data, len);
}

void mp_tsig_hmac_final(struct mp_tsig_hmac *h, unsigned char *out)
{
	if (h->key->alg == MP_TSIG_HMAC_SHA512)
		crypto_auth_hmacsha512_final(
		    (crypto_auth_hmacsha512_state *)h->state, out);
	else
		crypto_auth_hmacsha256_final(
		    (crypto_auth_hmacsha256_state *)h->state, out);
	sodium_memzero(h->state, sizeof(h->state));
}
