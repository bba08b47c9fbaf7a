#include "tsig_key.h"
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
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

/* RFC 8945 §6 and the IANA TSIG Algorithm Names registry. */
static const struct {
	const char *wire;   /* presentation form of the wire name */
	const char *name;   /* as tsig-keygen -a and Knot write it */
	const char *digest; /* OpenSSL digest name */
	size_t maclen;
} algs[MP_TSIG_NALGS] = {
    [MP_TSIG_HMAC_MD5] = {"hmac-md5.sig-alg.reg.int.", "hmac-md5", "MD5", 16},
    [MP_TSIG_HMAC_SHA1] = {"hmac-sha1.", "hmac-sha1", "SHA1", 20},
    [MP_TSIG_HMAC_SHA224] = {"hmac-sha224.", "hmac-sha224", "SHA2-224", 28},
    [MP_TSIG_HMAC_SHA256] = {"hmac-sha256.", "hmac-sha256", "SHA2-256", 32},
    [MP_TSIG_HMAC_SHA384] = {"hmac-sha384.", "hmac-sha384", "SHA2-384", 48},
    [MP_TSIG_HMAC_SHA512] = {"hmac-sha512.", "hmac-sha512", "SHA2-512", 64},
};

/* Case-insensitive comparison of name[0..len) with a name that may end in a
 * dot. */
static bool alg_name_is(const char *name, size_t len, const char *want)
{
	size_t wlen = strlen(want);

	if (wlen > 0 && want[wlen - 1] == '.')
		wlen--;
	return wlen == len && strncasecmp(want, name, len) == 0;
}

int mp_tsig_alg_parse(const char *name, enum mp_tsig_alg *alg)
{
	size_t len;

	if (!name)
		return MP_EINVAL;
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	for (size_t i = 0; i < MP_TSIG_NALGS; i++) {
		if (alg_name_is(name, len, algs[i].name) ||
		    alg_name_is(name, len, algs[i].wire)) {
			*alg = (enum mp_tsig_alg)i;
			return MP_OK;
		}
	}
	if (alg_name_is(name, len, "gss-tsig"))
		return MP_ENOTSUP;
	return MP_EINVAL;
}

static size_t alg_index(enum mp_tsig_alg alg)
{
	return (size_t)alg < MP_TSIG_NALGS ? (size_t)alg : MP_TSIG_HMAC_SHA256;
}

const char *mp_tsig_alg_name(enum mp_tsig_alg alg)
{
	return algs[alg_index(alg)].wire;
}

const char *mp_tsig_alg_short_name(enum mp_tsig_alg alg)
{
	return algs[alg_index(alg)].name;
}

size_t mp_tsig_alg_maclen(enum mp_tsig_alg alg)
{
	return algs[alg_index(alg)].maclen;
}

size_t mp_tsig_alg_min_maclen(enum mp_tsig_alg alg)
{
	size_t half = mp_tsig_alg_maclen(alg) / 2;

	return half > 10 ? half : 10;
}

int mp_tsig_alg_deprecated(enum mp_tsig_alg alg)
{
	return alg == MP_TSIG_HMAC_MD5 || alg == MP_TSIG_HMAC_SHA1;
}

int mp_tsig_name_normalise(const char *in, char *out, size_t outlen)
{
	size_t len = strlen(in), j = 0, label = 0;

	/* 253 characters, 254 with the final dot: 255 octets on the wire */
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > 253 || in[len - 1] == '.')
		return MP_EINVAL; /* "", ".", "a..": an empty label */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\')
			return MP_EINVAL;
		if (c == '.' && (i == 0 || in[i - 1] == '.'))
			return MP_EINVAL; /* empty label */
		label = c == '.' ? 0 : label + 1;
		if (label > 63 || j + 2 >= outlen)
			return MP_EINVAL;
		out[j++] = (char)tolower(c);
	}
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
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx = NULL;
	int ok = 0;

	h->key = key;
	h->ctx = NULL;
	h->failed = 0;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac)
		ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac); /* the context keeps its own reference */
	if (!ctx)
		return MP_EKEY;
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_MAC_PARAM_DIGEST, (char *)algs[alg_index(key->alg)].digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	sodium_mprotect_readonly(key->secret);
	ok = EVP_MAC_init(ctx, key->secret, key->secret_len, params);
	/* the context now holds the derived pads; the raw secret goes dark */
	sodium_mprotect_noaccess(key->secret);
	if (!ok) {
		EVP_MAC_CTX_free(ctx);
		return MP_EKEY;
	}
	h->ctx = ctx;
	return MP_OK;
}

void mp_tsig_hmac_update(struct mp_tsig_hmac *h, const void *data, size_t len)
{
	if (h->ctx && !h->failed && len && !EVP_MAC_update(h->ctx, data, len))
		h->failed = 1;
}

int mp_tsig_hmac_final(struct mp_tsig_hmac *h, unsigned char *out)
{
	size_t maclen = mp_tsig_alg_maclen(h->key->alg), outl = 0;
	int ok = h->ctx && !h->failed &&
		 EVP_MAC_final(h->ctx, out, &outl, maclen) && outl == maclen;

	if (!ok)
		sodium_memzero(out, maclen);
	/* EVP_MAC_CTX_free wipes the HMAC state (the key pads) */
	EVP_MAC_CTX_free(h->ctx);
	h->ctx = NULL;
	return ok ? MP_OK : MP_EKEY;
}
