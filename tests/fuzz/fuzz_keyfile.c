/*
 * TSIG key files (lib/tsig_keyfile.c): every format the key-file parser
 * reads (BIND `key` blocks, Knot's YAML, PowerDNS's lines and whatever
 * else it learns), over a buffer and through a file, with and without a
 * key name to select, and the same bytes as an inline key
 * ("alg:name:base64"). A key that loads has a normalised name and a secret;
 * no message quotes the secret written after "secret".
 */
#define _GNU_SOURCE /* memmem */
#include "diag.h"
#include "error.h"
#include "fuzz.h"
#include "tsig_key.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mp_fuzz_tmpdir();
	return 0;
}

/* Whether the n bytes at s are a secret worth looking for in messages:
 * 20 bytes or more, no '/' (file names are quoted), and nowhere else in the
 * input (a key name may be quoted). */
static bool distinctive(const uint8_t *data, size_t size, const char *s,
			size_t n)
{
	const uint8_t *first;

	if (n < 20 || memchr(s, '/', n))
		return false;
	first = memmem(data, size, s, n);
	return first &&
	       !memmem(first + 1, size - (size_t)(first + 1 - data), s, n);
}

/* "secret" at i, followed by next, is the keyword: BIND's `secret "..."`
 * after a blank, '{' or ';', or YAML's `secret: ` first on its line (after
 * blanks and a "- "; YAML wants a blank after the colon, and without one
 * `secret:...` is a word, for instance a PowerDNS key name). Not a key name
 * that merely contains the word. */
static bool keyword_at(const uint8_t *data, size_t size, size_t i, uint8_t next)
{
	size_t j = i;

	if (next == ':') {
		if (i + 7 >= size ||
		    (data[i + 7] != ' ' && data[i + 7] != '\t'))
			return false;
		while (j > 0 && (data[j - 1] == ' ' || data[j - 1] == '\t' ||
				 data[j - 1] == '-'))
			j--;
		return j == 0 || data[j - 1] == '\n';
	}
	return (next == ' ' || next == '\t') &&
	       (i == 0 || data[i - 1] == ' ' || data[i - 1] == '\t' ||
		data[i - 1] == '\n' || data[i - 1] == '{' ||
		data[i - 1] == ';');
}

/* A byte of base64. */
static bool is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

/* The base64 value after the first "secret" (skipping ':', '=', blanks
 * and a quote), when it is distinctive; else 0. */
static size_t find_secret(const uint8_t *data, size_t size, const char **at)
{
	const uint8_t *p = NULL;

	/* the keyword "secret", outside quotes, as a word of its own (not
	 * inside a key name, which messages may quote) */
	bool quoted = false;
	for (size_t i = 0; i + 6 <= size; i++) {
		if (data[i] == '"')
			quoted = !quoted;
		if (!quoted && memcmp(data + i, "secret", 6) == 0 &&
		    i + 6 < size && keyword_at(data, size, i, data[i + 6])) {
			p = data + i + 6;
			break;
		}
	}
	if (!p)
		return 0;
	while (p < data + size &&
	       (*p == ':' || *p == '=' || *p == ' ' || *p == '\t' || *p == '"'))
		p++;
	{
		const uint8_t *e = p;
		while (e < data + size && is_b64((char)*e))
			e++;
		*at = (const char *)p;
		return distinctive(data, size, *at, (size_t)(e - p))
			   ? (size_t)(e - p)
			   : 0;
	}
}

static void check(int rc, struct mp_tsig_key *k, struct mp_diag *d,
		  const char *secret, size_t slen)
{
	if (rc == MP_OK) {
		char norm[256];
		MP_FUZZ_ASSERT(k != NULL);
		MP_FUZZ_ASSERT(mp_tsig_key_secret_len(k) > 0);
		MP_FUZZ_ASSERT(mp_tsig_name_normalise(mp_tsig_key_name(k), norm,
						      sizeof(norm)) == MP_OK);
		MP_FUZZ_ASSERT(strcmp(norm, mp_tsig_key_name(k)) == 0);
	} else {
		MP_FUZZ_ASSERT(k == NULL);
		MP_FUZZ_ASSERT(rc < 0);
		MP_FUZZ_ASSERT(d->n > 0);
	}
	for (size_t i = 0; i < d->n && slen > 0; i++)
		MP_FUZZ_ASSERT(memmem(d->msgs[i], strlen(d->msgs[i]), secret,
				      slen) == NULL);
	mp_tsig_key_free(k);
	mp_diag_clear(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path, *secret = NULL;
	size_t slen;
	struct mp_tsig_key *k = NULL;
	struct mp_diag d;
	int rc;

	if (size > 70000)
		return 0;
	slen = find_secret(data, size, &secret);
	mp_diag_init(&d);
	rc = mp_tsig_key_parse_buffer((const char *)data, size, "fuzz.key",
				      NULL, &k, &d);
	check(rc, k, &d, secret, slen);
	k = NULL;
	rc = mp_tsig_key_parse_buffer((const char *)data, size, "fuzz.key",
				      "mirrorpool", &k, &d);
	check(rc, k, &d, secret, slen);
	/* the same through a file, for a deterministic eighth of the inputs
	 * (the file path is slow: open, stat, read) */
	if (size > 0 && (data[0] & 7) == 0) {
		path = mp_fuzz_write("tsig.key", data, size);
		if (!path)
			abort();
		k = NULL;
		rc = mp_tsig_key_load_file(path, NULL, &k, &d);
		check(rc, k, &d, secret, slen);
	}

	/* the bytes up to the first NUL as an inline key */
	{
		char *spec = malloc(size + 1);
		const char *colon;
		if (!spec)
			abort();
		memcpy(spec, data, size);
		spec[size] = '\0';
		size_t b64 = 0;

		colon = strrchr(spec, ':');
		/* the secret is the base64 after the last colon, as in
		 * find_secret: bytes that are no base64 may end a quoted key
		 * name too ("...\357\357" followed by the message's own
		 * quote was a false report) */
		while (colon && is_b64(colon[1 + b64]))
			b64++;
		k = NULL;
		rc = mp_tsig_key_parse_inline(spec, "fuzz", &k, &d);
		check(rc, k, &d, colon ? colon + 1 : "",
		      colon && distinctive(data, size, colon + 1, b64) ? b64
								       : 0);
		free(spec);
	}
	return 0;
}
