/*
 * BIND's key file form, as tsig-keygen writes it:
 *   key "NAME" { algorithm hmac-sha256; secret "BASE64"; };
 * with #, // and C comments.
 */
#include "error.h"
#include "tsig_keyfile_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool kf_is_word(const struct kf_tok *t, const char *w)
{
	return t->type == KT_WORD && t->len == strlen(w) &&
	       strncasecmp(t->p, w, t->len) == 0;
}

/* Skips blanks and #, // and C comments. Returns false on an unterminated
 * comment (reported). */
static bool kf_skip(struct kf *k)
{
	while (k->pos < k->len) {
		char c = k->buf[k->pos];
		char n = k->pos + 1 < k->len ? k->buf[k->pos + 1] : '\0';

		if (c == '\n') {
			k->line++;
			k->pos++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' ||
			   c == '\v') {
			k->pos++;
		} else if (c == '#' || (c == '/' && n == '/')) {
			while (k->pos < k->len && k->buf[k->pos] != '\n')
				k->pos++;
		} else if (c == '/' && n == '*') {
			int start = k->line;
			k->pos += 2;
			while (k->pos + 1 < k->len &&
			       !(k->buf[k->pos] == '*' &&
				 k->buf[k->pos + 1] == '/')) {
				if (k->buf[k->pos] == '\n')
					k->line++;
				k->pos++;
			}
			if (k->pos + 1 >= k->len) {
				mp_diag_add(k->d, k->path, start,
					    "unterminated /* comment");
				return false;
			}
			k->pos += 2;
		} else {
			break;
		}
	}
	return true;
}

static struct kf_tok kf_next(struct kf *k)
{
	struct kf_tok t = {KT_ERROR, NULL, 0, 0};
	char c;

	if (!kf_skip(k))
		return t;
	t.line = k->line;
	if (k->pos >= k->len) {
		t.type = KT_EOF;
		return t;
	}
	c = k->buf[k->pos];
	t.p = k->buf + k->pos;
	if (c == '{' || c == '}' || c == ';') {
		t.type = c == '{' ? KT_LBRACE : c == '}' ? KT_RBRACE : KT_SEMI;
		t.len = 1;
		k->pos++;
		return t;
	}
	if (c == '"') {
		size_t start = ++k->pos;
		while (k->pos < k->len && k->buf[k->pos] != '"' &&
		       k->buf[k->pos] != '\n')
			k->pos++;
		if (k->pos >= k->len || k->buf[k->pos] != '"') {
			mp_diag_add(k->d, k->path, t.line,
				    "unterminated quoted string (a string ends "
				    "with '\"' on the same line)");
			return t;
		}
		t.type = KT_STRING;
		t.p = k->buf + start;
		t.len = k->pos - start;
		k->pos++;
		return t;
	}
	while (k->pos < k->len) {
		c = k->buf[k->pos];
		if ((unsigned char)c <= ' ' || c == '{' || c == '}' ||
		    c == ';' || c == '"' || c == '#' ||
		    (unsigned char)c >= 0x7f)
			break;
		if (c == '/' && k->pos + 1 < k->len &&
		    (k->buf[k->pos + 1] == '/' || k->buf[k->pos + 1] == '*'))
			break;
		k->pos++;
	}
	t.len = (size_t)(k->buf + k->pos - t.p);
	if (t.len == 0) {
		mp_diag_add(k->d, k->path, t.line,
			    "unexpected byte 0x%02x (a key file is text)",
			    (unsigned char)c);
		return t;
	}
	t.type = KT_WORD;
	return t;
}

static int kf_expect_semi(struct kf *k, const char *after, bool quiet)
{
	struct kf_tok t = kf_next(k);
	char buf[64];

	if (t.type == KT_SEMI)
		return MP_OK;
	if (t.type != KT_ERROR)
		mp_diag_add(k->d, k->path, t.line,
			    "expected ';' after %s, found %s", after,
			    mp_kf_describe(&t, quiet, buf, sizeof(buf)));
	return MP_EKEY;
}

/* BIND syntax: key "name" { algorithm hmac-sha256; secret "..."; }; */
int mp_kf_parse_bind(struct kf *k)
{
	char buf[64];

	for (;;) {
		struct kf_key kk;
		struct kf_tok t = kf_next(k), v;

		memset(&kk, 0, sizeof(kk));
		if (t.type == KT_EOF)
			return MP_OK;
		if (t.type == KT_ERROR)
			return MP_EKEY;
		if (!kf_is_word(&t, "key")) {
			mp_diag_add(
			    k->d, k->path, t.line,
			    "expected `key \"NAME\" { algorithm ...; "
			    "secret \"...\"; };`, found %s",
			    mp_kf_describe(&t, false, buf, sizeof(buf)));
			return MP_EKEY;
		}
		v = kf_next(k);
		if (v.type != KT_WORD && v.type != KT_STRING) {
			if (v.type != KT_ERROR)
				mp_diag_add(
				    k->d, k->path, v.line,
				    "expected the key name after "
				    "`key`, found %s",
				    mp_kf_describe(&v, true, buf, sizeof(buf)));
			return MP_EKEY;
		}
		if (mp_kf_set_name(k, &kk, v.p, v.len, t.line) != MP_OK)
			return MP_EKEY;
		t = kf_next(k);
		if (t.type != KT_LBRACE) {
			if (t.type != KT_ERROR)
				mp_diag_add(
				    k->d, k->path, t.line,
				    "expected '{' after key \"%s\", "
				    "found %s",
				    kk.name,
				    mp_kf_describe(&t, true, buf, sizeof(buf)));
			return MP_EKEY;
		}
		for (;;) {
			bool is_alg, is_secret;
			int rc;

			t = kf_next(k);
			if (t.type == KT_RBRACE)
				break;
			if (t.type == KT_ERROR)
				return MP_EKEY;
			if (t.type == KT_EOF) {
				mp_diag_add(k->d, k->path, t.line,
					    "end of file inside key \"%s\" "
					    "(missing `};`)",
					    kk.name);
				return MP_EKEY;
			}
			is_alg = kf_is_word(&t, "algorithm");
			is_secret = kf_is_word(&t, "secret");
			if (!is_alg && !is_secret) {
				mp_diag_add(
				    k->d, k->path, t.line,
				    "unexpected %s in key \"%s\" "
				    "(expected `algorithm` or "
				    "`secret`)",
				    mp_kf_describe(&t, false, buf, sizeof(buf)),
				    kk.name);
				return MP_EKEY;
			}
			v = kf_next(k);
			if (v.type != KT_WORD && v.type != KT_STRING) {
				if (v.type != KT_ERROR)
					mp_diag_add(
					    k->d, k->path, v.line,
					    "expected a value after "
					    "`%s` in key \"%s\", found "
					    "%s",
					    is_alg ? "algorithm" : "secret",
					    kk.name,
					    mp_kf_describe(&v, true, buf,
							   sizeof(buf)));
				return MP_EKEY;
			}
			if (is_alg)
				rc = mp_kf_set_alg(k, &kk, v.p, v.len, v.line);
			else
				rc = mp_kf_set_secret(k, &kk, v.p, v.len,
						      v.line);
			if (rc != MP_OK)
				return rc;
			rc = kf_expect_semi(
			    k, is_alg ? "the algorithm" : "the secret", true);
			if (rc != MP_OK)
				return rc;
		}
		if (kf_expect_semi(k, "the closing '}' of a key", false) !=
		    MP_OK)
			return MP_EKEY;
		if (mp_kf_add(k, &kk) != MP_OK)
			return MP_EKEY;
	}
}
