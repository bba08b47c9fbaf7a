/*
 * TSIG keys (RFC 8945). The secret lives in libsodium guarded memory
 * (sodium_malloc, no access while unused, wiped on free) and is never
 * printed. MACs are computed with OpenSSL's EVP_MAC for the six HMAC
 * algorithms of RFC 8945 §6: hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256,
 * hmac-sha384 and hmac-sha512.
 */
#ifndef MP_TSIG_KEY_H
#define MP_TSIG_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

enum mp_tsig_alg {
	MP_TSIG_HMAC_SHA256 = 0,
	MP_TSIG_HMAC_SHA512 = 1,
	MP_TSIG_HMAC_MD5 = 2,
	MP_TSIG_HMAC_SHA1 = 3,
	MP_TSIG_HMAC_SHA224 = 4,
	MP_TSIG_HMAC_SHA384 = 5,
};

#define MP_TSIG_NALGS 6
#define MP_TSIG_MAX_MAC 64 /* bytes, hmac-sha512 */

struct mp_tsig_key; /* opaque */

/* Algorithm by name, case-insensitive, with or without the trailing dot
 * ("hmac-sha256", "HMAC-SHA512.", "hmac-md5.sig-alg.reg.int"). Returns 0
 * and sets *alg, MP_ENOTSUP for a TSIG algorithm mirrorpool cannot use
 * (gss-tsig), MP_EINVAL for anything else. */
int mp_tsig_alg_parse(const char *name, enum mp_tsig_alg *alg);
/* Wire name with trailing dot: "hmac-sha256.", "hmac-md5.sig-alg.reg.int." */
const char *mp_tsig_alg_name(enum mp_tsig_alg alg);
/* The name operators write (tsig-keygen -a): "hmac-sha256", "hmac-md5". */
const char *mp_tsig_alg_short_name(enum mp_tsig_alg alg);
/* Full MAC length in bytes: 16 (md5), 20, 28, 32, 48 or 64 (sha512). */
size_t mp_tsig_alg_maclen(enum mp_tsig_alg alg);
/* The shortest truncated MAC RFC 8945 §5.2.2.1 allows: the larger of 10
 * bytes and half the full length. */
size_t mp_tsig_alg_min_maclen(enum mp_tsig_alg alg);
/* True for hmac-md5 and hmac-sha1, which RFC 8945 §6 no longer recommends. */
int mp_tsig_alg_deprecated(enum mp_tsig_alg alg);

/* New key from raw secret bytes (copied into guarded memory). name is made
 * absolute and lower-case. Returns 0, MP_EINVAL (bad name, empty secret) or
 * MP_ENOMEM. Caller frees with mp_tsig_key_free(). */
int mp_tsig_key_new(const char *name, enum mp_tsig_alg alg,
		    const unsigned char *secret, size_t secret_len,
		    struct mp_tsig_key **out);

/* Parses "alg:name:base64" (nsupdate -y form; "name:base64" means
 * hmac-sha256 as nsupdate does). origin names the source in messages
 * (e.g. "/etc/mirrorpool/mirrorpool.conf:5"). Errors go to d. */
int mp_tsig_key_parse_inline(const char *spec, const char *origin,
			     struct mp_tsig_key **out, struct mp_diag *d);

/* Reads a key file: BIND's (tsig-keygen, ddns-confgen: one or more
 * `key "name" { algorithm ...; secret "..."; };` blocks, with #, // and C
 * comments), Knot's (keymgr -t: a YAML `key:` section of `- id:`,
 * `algorithm:`, `secret:` items) or PowerDNS's (pdnsutil list-tsig-keys:
 * `name. algorithm. base64` lines). key_name selects the key when the file
 * holds several (NULL: the file must hold exactly one). Refuses a file
 * readable or writable by "other" (MP_EPERM). Errors, with FILE:LINE, go to
 * d. */
int mp_tsig_key_load_file(const char *path, const char *key_name,
			  struct mp_tsig_key **out, struct mp_diag *d);

/* The parser of mp_tsig_key_load_file over buf[0..len) (not necessarily
 * terminated); origin names the source in messages. */
int mp_tsig_key_parse_buffer(const char *buf, size_t len, const char *origin,
			     const char *key_name, struct mp_tsig_key **out,
			     struct mp_diag *d);

/* Key name as TSIG compares it: absolute and lower-case, into out. Returns
 * 0 or MP_EINVAL (empty label, bad character, too long). */
int mp_tsig_name_normalise(const char *in, char *out, size_t outlen);

/* Wipes and frees; NULL is fine. */
void mp_tsig_key_free(struct mp_tsig_key *key);

/* Absolute lower-case key name, e.g. "mirrorpool." */
const char *mp_tsig_key_name(const struct mp_tsig_key *key);
enum mp_tsig_alg mp_tsig_key_alg(const struct mp_tsig_key *key);
size_t mp_tsig_key_secret_len(const struct mp_tsig_key *key);

/* A deep copy (for a config built beside a running one). */
int mp_tsig_key_dup(const struct mp_tsig_key *key, struct mp_tsig_key **out);

/* True when both have the same name, algorithm and secret. */
int mp_tsig_key_equal(const struct mp_tsig_key *a, const struct mp_tsig_key *b);

/*
 * Incremental HMAC over the key's algorithm (OpenSSL EVP_MAC). The raw
 * secret is readable only inside init, which hands it to OpenSSL; the MAC
 * context holding the derived pads is freed (and wiped by OpenSSL) in final.
 * Every successful init must be followed by final. out must hold
 * mp_tsig_alg_maclen() bytes.
 */
struct mp_tsig_hmac {
	const struct mp_tsig_key *key;
	void *ctx; /* EVP_MAC_CTX */
	int failed;
};
int mp_tsig_hmac_init(struct mp_tsig_hmac *h, const struct mp_tsig_key *key);
void mp_tsig_hmac_update(struct mp_tsig_hmac *h, const void *data, size_t len);
/* Returns 0, or MP_EKEY when OpenSSL failed along the way (out is then
 * zeroed, which never verifies against a real MAC). */
int mp_tsig_hmac_final(struct mp_tsig_hmac *h, unsigned char *out);

#endif
