/*
 * Internal to the key file reader: tsig_keyfile.c (reading, the key record,
 * choosing and building the key) and one file per form it reads,
 * tsig_keyfile_bind.c, tsig_keyfile_knot.c and tsig_keyfile_pdns.c. What
 * tsig_keyfile.c says of the secret holds for all of them: it stays in the
 * buffer it was read into, and messages describe tokens, never quote them.
 */
#ifndef MP_TSIG_KEYFILE_INT_H
#define MP_TSIG_KEYFILE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define KF_MAX_KEYS 64

struct kf_key {
	char name[256];	    /* absolute, lower-case */
	char alg[32];	    /* as written; empty when missing */
	const char *secret; /* into the file buffer, not terminated */
	size_t secret_len;
	bool has_secret;
	int line;
	int alg_line;
	int secret_line;
};

struct kf {
	const char *path;
	const char *buf;
	size_t len;
	size_t pos;
	int line;
	struct mp_diag *d;
	struct kf_key keys[KF_MAX_KEYS];
	size_t n;
};

enum kf_tok_type {
	KT_EOF = 0,
	KT_WORD,
	KT_STRING,
	KT_LBRACE,
	KT_RBRACE,
	KT_SEMI,
	KT_ERROR,
};

struct kf_tok {
	enum kf_tok_type type;
	const char *p;
	size_t len;
	int line;
};

/* A word that cannot be a fragment of a base64 secret may be quoted back. */
bool mp_kf_safe_word(const char *p, size_t len);
/* How a message names t: "a quoted string", "`key`" (a safe word when not
 * quiet), ... Returns a constant or buf. */
const char *mp_kf_describe(const struct kf_tok *t, bool quiet, char *buf,
			   size_t len);

/* Fill one field of kk from p (len bytes, not terminated) found at line;
 * a bad or repeated field is reported. MP_OK or MP_EKEY. */
int mp_kf_set_name(struct kf *k, struct kf_key *kk, const char *p, size_t len,
		   int line);
int mp_kf_set_alg(struct kf *k, struct kf_key *kk, const char *p, size_t len,
		  int line);
int mp_kf_set_secret(struct kf *k, struct kf_key *kk, const char *p, size_t len,
		     int line);
/* Checks the key just parsed and keeps it in k. MP_OK or MP_EKEY. */
int mp_kf_add(struct kf *k, struct kf_key *kk);

/* Strips a # comment and trailing blanks; returns the new length. */
size_t mp_kf_yaml_trim(const char *p, size_t len);
/* Next line of k without its newline, # comments and trailing blanks;
 * false at the end. */
bool mp_kf_line(struct kf *k, const char **p, size_t *len);

/* The forms, each a parser of the whole of k->buf into k->keys and a test
 * of whether the buffer is in that form (BIND's is the default). */
int mp_kf_parse_bind(struct kf *k);
int mp_kf_parse_yaml(struct kf *k);
bool mp_kf_is_yaml(const char *buf, size_t len);
int mp_kf_parse_pdns(struct kf *k);
bool mp_kf_is_pdns(const char *buf, size_t len);

#endif
