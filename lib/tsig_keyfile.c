/* TSIG key files (BIND, Knot and PowerDNS forms) and inline keys. */
#define _GNU_SOURCE /* strcasestr */
#include "tsig_key.h"
#include "error.h"
#include "tsig_keyfile_int.h"
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

/*
 * Key files and inline keys.
 *
 * The secret is never copied out of the buffer it was read into except by
 * the base64 decoder, whose output buffer is wiped as soon as
 * mp_tsig_key_new() has moved it into guarded memory; the file buffer is
 * wiped before it is freed. Messages describe the tokens they complain about
 * ("a quoted string") instead of quoting them, so a malformed file cannot
 * leak its secret into the journal.
 */

#define KF_MAX_SIZE (64 * 1024) /* a key file is a few hundred bytes */
#define KF_SECRET_MAX 1024	/* as mp_tsig_key_new() */

static const char unsupported_hint[] =
    "is a TSIG algorithm mirrorpool does not implement; use an HMAC "
    "algorithm (tsig-keygen -a hmac-sha256)";
#define KF_ALGS                                                                \
	"hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1 or "    \
	"hmac-md5"

bool mp_kf_safe_word(const char *p, size_t len)
{
	if (len == 0 || len > 24)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalpha((unsigned char)p[i]) && p[i] != '-' && p[i] != '_')
			return false;
	return true;
}

const char *mp_kf_describe(const struct kf_tok *t, bool quiet, char *buf,
			   size_t len)
{
	switch (t->type) {
	case KT_EOF:
		return "end of file";
	case KT_LBRACE:
		return "'{'";
	case KT_RBRACE:
		return "'}'";
	case KT_SEMI:
		return "';'";
	case KT_STRING:
		return "a quoted string";
	case KT_WORD:
		if (!quiet && mp_kf_safe_word(t->p, t->len)) {
			snprintf(buf, len, "`%.*s`", (int)t->len, t->p);
			return buf;
		}
		return "a word";
	case KT_ERROR:
		break;
	}
	return "an invalid token";
}

/* Normalises a key name into kk->name; reports an invalid one. */
int mp_kf_set_name(struct kf *k, struct kf_key *kk, const char *p, size_t len,
		   int line)
{
	char raw[256];

	if (len == 0 || len >= sizeof(raw)) {
		mp_diag_add(k->d, k->path, line,
			    "key name is %s (a domain name such as "
			    "\"mirrorpool\" is expected)",
			    len == 0 ? "empty" : "too long");
		return MP_EKEY;
	}
	memcpy(raw, p, len);
	raw[len] = '\0';
	if (mp_tsig_name_normalise(raw, kk->name, sizeof(kk->name)) != MP_OK) {
		/* a name that runs into the secret (`id: k secret: ...` on
		 * one line) is described, not quoted */
		if (strcasestr(raw, "secret") || len > 64)
			mp_diag_add(k->d, k->path, line,
				    "key name is not a valid domain name (it "
				    "runs on into other text: one field a "
				    "line, the name alone)");
		else
			mp_diag_add(k->d, k->path, line,
				    "key name \"%s\" is not a valid domain "
				    "name",
				    raw);
		return MP_EKEY;
	}
	kk->line = line;
	return MP_OK;
}

int mp_kf_set_alg(struct kf *k, struct kf_key *kk, const char *p, size_t len,
		  int line)
{
	if (kk->alg[0]) {
		mp_diag_add(k->d, k->path, line,
			    "key \"%s\" has a second algorithm (first at line "
			    "%d)",
			    kk->name, kk->alg_line);
		return MP_EKEY;
	}
	if (len == 0 || len >= sizeof(kk->alg)) {
		mp_diag_add(k->d, k->path, line,
			    "key \"%s\": algorithm name is %s (use " KF_ALGS
			    ")",
			    kk->name, len == 0 ? "empty" : "too long");
		return MP_EKEY;
	}
	memcpy(kk->alg, p, len);
	kk->alg[len] = '\0';
	kk->alg_line = line;
	return MP_OK;
}

int mp_kf_set_secret(struct kf *k, struct kf_key *kk, const char *p, size_t len,
		     int line)
{
	if (kk->has_secret) {
		mp_diag_add(k->d, k->path, line,
			    "key \"%s\" has a second secret (first at line %d)",
			    kk->name, kk->secret_line);
		return MP_EKEY;
	}
	kk->secret = p;
	kk->secret_len = len;
	kk->has_secret = true;
	kk->secret_line = line;
	return MP_OK;
}

/* Checks the block just parsed and keeps it. */
int mp_kf_add(struct kf *k, struct kf_key *kk)
{
	int rc = MP_OK;

	for (size_t i = 0; i < k->n; i++) {
		if (strcmp(k->keys[i].name, kk->name) == 0) {
			mp_diag_add(k->d, k->path, kk->line,
				    "key \"%s\" is defined twice (first at "
				    "line %d)",
				    kk->name, k->keys[i].line);
			return MP_EKEY;
		}
	}
	if (!kk->alg[0]) {
		mp_diag_add(k->d, k->path, kk->line,
			    "key \"%s\" has no algorithm (add `algorithm "
			    "hmac-sha256;`)",
			    kk->name);
		rc = MP_EKEY;
	}
	if (!kk->has_secret) {
		mp_diag_add(
		    k->d, k->path, kk->line,
		    "key \"%s\" has no secret (add `secret \"BASE64\";` "
		    "as written by tsig-keygen)",
		    kk->name);
		rc = MP_EKEY;
	}
	if (rc != MP_OK)
		return rc;
	if (k->n == KF_MAX_KEYS) {
		mp_diag_add(k->d, k->path, kk->line,
			    "more than %d keys in one file", KF_MAX_KEYS);
		return MP_EKEY;
	}
	k->keys[k->n++] = *kk;
	return MP_OK;
}

/* Strips a YAML comment and trailing blanks; returns the new length. */
size_t mp_kf_yaml_trim(const char *p, size_t len)
{
	char quote = 0;

	for (size_t i = 0; i < len; i++) {
		if (quote) {
			if (p[i] == quote)
				quote = 0;
		} else if (p[i] == '"' || p[i] == '\'') {
			quote = p[i];
		} else if (p[i] == '#' &&
			   (i == 0 || p[i - 1] == ' ' || p[i - 1] == '\t')) {
			len = i;
			break;
		}
	}
	while (len > 0 &&
	       (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
		len--;
	return len;
}

/* Next line of the buffer without its newline, # comments and trailing
 * blanks; false at the end. */
bool mp_kf_line(struct kf *k, const char **p, size_t *len)
{
	const char *nl;

	if (k->pos >= k->len)
		return false;
	*p = k->buf + k->pos;
	nl = memchr(*p, '\n', k->len - k->pos);
	*len = nl ? (size_t)(nl - *p) : k->len - k->pos;
	k->pos += *len + (nl ? 1 : 0);
	k->line++;
	*len = mp_kf_yaml_trim(*p, *len);
	return true;
}

/* Decodes a base64 secret and builds the key. */
static int kf_build(const char *file, int line, int secret_line,
		    const char *name, const char *alg_name, const char *b64,
		    size_t b64_len, struct mp_tsig_key **out, struct mp_diag *d)
{
	unsigned char bin[KF_SECRET_MAX];
	const char *end = NULL;
	enum mp_tsig_alg alg = MP_TSIG_HMAC_SHA256;
	size_t bin_len = 0;
	int rc;

	rc = mp_tsig_alg_parse(alg_name, &alg);
	if (rc == MP_ENOTSUP) {
		mp_diag_add(d, file, line, "key \"%s\": %s %s", name, alg_name,
			    unsupported_hint);
		return MP_EKEY;
	}
	if (rc != MP_OK) {
		mp_diag_add(
		    d, file, line,
		    "key \"%s\": unknown algorithm \"%.32s\" (use " KF_ALGS ")",
		    name, alg_name);
		return MP_EKEY;
	}
	if (b64_len == 0) {
		mp_diag_add(
		    d, file, secret_line,
		    "key \"%s\": the secret is empty (generate one with "
		    "tsig-keygen)",
		    name);
		return MP_EKEY;
	}
	if (b64_len / 4 * 3 > sizeof(bin)) {
		mp_diag_add(d, file, secret_line,
			    "key \"%s\": the secret is longer than %zu bytes",
			    name, sizeof(bin));
		return MP_EKEY;
	}
	rc = sodium_base642bin(bin, sizeof(bin), b64, b64_len, NULL, &bin_len,
			       &end, sodium_base64_VARIANT_ORIGINAL);
	if (rc != 0 || end != b64 + b64_len || bin_len == 0) {
		sodium_memzero(bin, sizeof(bin));
		mp_diag_add(d, file, secret_line,
			    "key \"%s\": the secret is not valid base64 (as "
			    "written by tsig-keygen, padded with '=')",
			    name);
		return MP_EKEY;
	}
	rc = mp_tsig_key_new(name, alg, bin, bin_len, out);
	sodium_memzero(bin, sizeof(bin));
	if (rc == MP_EINVAL) {
		mp_diag_add(d, file, secret_line,
			    "key name \"%s\" is not a valid domain name", name);
		return MP_EKEY;
	}
	if (rc != MP_OK)
		mp_diag_add(d, file, secret_line, "key \"%s\": %s", name,
			    mp_strerror(rc));
	return rc;
}

/* Lists the key names of the file into buf, comma-separated. */
static void kf_list(const struct kf *k, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < k->n && off < len; i++) {
		int w = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
				 k->keys[i].name);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

static int kf_select(struct kf *k, const char *key_name,
		     const struct kf_key **sel)
{
	char want[256], list[512];

	kf_list(k, list, sizeof(list));
	if (k->n == 0) {
		mp_diag_add(k->d, k->path, 0,
			    "no key found (expected `key \"NAME\" { algorithm "
			    "hmac-sha256; secret \"BASE64\"; };` as written by "
			    "tsig-keygen)");
		return MP_EKEY;
	}
	if (!key_name) {
		if (k->n == 1) {
			*sel = &k->keys[0];
			return MP_OK;
		}
		mp_diag_add(k->d, k->path, 0,
			    "the file holds %zu keys (%s); choose one with "
			    "key_name",
			    k->n, list);
		return MP_EKEY;
	}
	if (mp_tsig_name_normalise(key_name, want, sizeof(want)) != MP_OK) {
		mp_diag_add(k->d, k->path, 0,
			    "key name \"%.64s\" is not a valid domain name",
			    key_name);
		return MP_EKEY;
	}
	for (size_t i = 0; i < k->n; i++) {
		if (strcmp(k->keys[i].name, want) == 0) {
			*sel = &k->keys[i];
			return MP_OK;
		}
	}
	mp_diag_add(k->d, k->path, 0,
		    "no key named \"%s\" (keys in the file: %s)", want, list);
	return MP_EKEY;
}

static void kf_describe_access(mode_t mode, char *buf, size_t len)
{
	const char *what;

	if ((mode & S_IROTH) && (mode & S_IWOTH))
		what = "readable and writable";
	else if (mode & S_IROTH)
		what = "readable";
	else if (mode & S_IWOTH)
		what = "writable";
	else
		what = "accessible";
	snprintf(buf, len, "%s", what);
}

/* Reads the whole file with read(2): stdio would keep a copy of the secret
 * in its own buffer, which nobody wipes. */
static int kf_read(const char *path, char **out, size_t *out_len,
		   struct mp_diag *d)
{
	struct stat st;
	char *buf = NULL, access[32];
	size_t len = 0;
	int fd, rc = MP_OK;

	*out = NULL;
	*out_len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		mp_diag_add(d, path, 0, "cannot open the key file: %s%s",
			    strerror(e),
			    e == EACCES ? " (the key must be readable by the "
					  "user mirrorpoold runs as)"
					: "");
		return e == EACCES ? MP_EPERM : MP_EKEY;
	}
	if (fstat(fd, &st) != 0) {
		mp_diag_add(d, path, 0, "cannot stat the key file: %s",
			    strerror(errno));
		rc = MP_EKEY;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		mp_diag_add(d, path, 0,
			    "not a regular file (a key file as written by "
			    "tsig-keygen is expected)");
		rc = MP_EKEY;
		goto cleanup;
	}
	if (st.st_mode & S_IRWXO) {
		kf_describe_access(st.st_mode, access, sizeof(access));
		mp_diag_add(d, path, 0,
			    "the key file is %s by other users (mode %04o); "
			    "run `chmod o-rwx %s`",
			    access, (unsigned)(st.st_mode & 07777), path);
		rc = MP_EPERM;
		goto cleanup;
	}
	if (st.st_size > KF_MAX_SIZE) {
		mp_diag_add(d, path, 0,
			    "too large for a key file (%lld bytes, at most %d)",
			    (long long)st.st_size, KF_MAX_SIZE);
		rc = MP_EKEY;
		goto cleanup;
	}
	buf = malloc(KF_MAX_SIZE + 1);
	if (!buf) {
		rc = MP_ENOMEM;
		goto cleanup;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, KF_MAX_SIZE + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			mp_diag_add(d, path, 0, "cannot read the key file: %s",
				    strerror(errno));
			rc = MP_EKEY;
			goto cleanup;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > KF_MAX_SIZE) {
			mp_diag_add(d, path, 0,
				    "too large for a key file (at most %d "
				    "bytes)",
				    KF_MAX_SIZE);
			rc = MP_EKEY;
			goto cleanup;
		}
	}
	*out = buf;
	*out_len = len;
	buf = NULL;
cleanup:
	if (buf) {
		sodium_memzero(buf, KF_MAX_SIZE + 1);
		free(buf);
	}
	close(fd);
	return rc;
}

int mp_tsig_key_parse_buffer(const char *buf, size_t len, const char *origin,
			     const char *key_name, struct mp_tsig_key **out,
			     struct mp_diag *d)
{
	struct kf *k;
	const struct kf_key *sel = NULL;
	int rc;

	*out = NULL;
	if (sodium_init() < 0)
		return MP_ENOMEM;
	k = calloc(1, sizeof(*k));
	if (!k)
		return MP_ENOMEM;
	k->path = origin;
	k->buf = buf;
	k->len = len;
	k->d = d;
	if (mp_kf_is_yaml(buf, len)) {
		rc = mp_kf_parse_yaml(k);
	} else if (mp_kf_is_pdns(buf, len)) {
		rc = mp_kf_parse_pdns(k);
	} else {
		k->line = 1;
		rc = mp_kf_parse_bind(k);
	}
	if (rc == MP_OK)
		rc = kf_select(k, key_name, &sel);
	if (rc == MP_OK)
		rc =
		    kf_build(origin, sel->alg_line, sel->secret_line, sel->name,
			     sel->alg, sel->secret, sel->secret_len, out, d);
	sodium_memzero(k, sizeof(*k));
	free(k);
	return rc;
}

int mp_tsig_key_load_file(const char *path, const char *key_name,
			  struct mp_tsig_key **out, struct mp_diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = kf_read(path, &buf, &len, d);
	if (rc != MP_OK)
		return rc;
	rc = mp_tsig_key_parse_buffer(buf, len, path, key_name, out, d);
	sodium_memzero(buf, KF_MAX_SIZE + 1);
	free(buf);
	return rc;
}

int mp_tsig_key_parse_inline(const char *spec, const char *origin,
			     struct mp_tsig_key **out, struct mp_diag *d)
{
	const char *c1, *c2, *secret;
	char alg[32] = "hmac-sha256", name[256];
	size_t alen, nlen;

	*out = NULL;
	if (sodium_init() < 0)
		return MP_ENOMEM;
	c1 = spec ? strchr(spec, ':') : NULL;
	c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c1 || (c2 && strchr(c2 + 1, ':'))) {
		mp_diag_add(d, origin, 0,
			    "inline key: expected \"ALGORITHM:NAME:BASE64\" "
			    "(e.g. \"hmac-sha256:mirrorpool:...\", as nsupdate "
			    "-y) or \"NAME:BASE64\"");
		return MP_EKEY;
	}
	if (c2) {
		alen = (size_t)(c1 - spec);
		if (alen == 0 || alen >= sizeof(alg)) {
			mp_diag_add(
			    d, origin, 0,
			    "inline key: the algorithm is %s (use " KF_ALGS ")",
			    alen ? "too long" : "empty");
			return MP_EKEY;
		}
		memcpy(alg, spec, alen);
		alg[alen] = '\0';
		nlen = (size_t)(c2 - c1 - 1);
		memcpy(name, c1 + 1, nlen < sizeof(name) ? nlen : 0);
		secret = c2 + 1;
	} else {
		nlen = (size_t)(c1 - spec);
		memcpy(name, spec, nlen < sizeof(name) ? nlen : 0);
		secret = c1 + 1;
	}
	if (nlen == 0 || nlen >= sizeof(name)) {
		mp_diag_add(d, origin, 0, "inline key: the key name is %s",
			    nlen ? "too long" : "empty");
		return MP_EKEY;
	}
	name[nlen] = '\0';
	{
		char norm[256];
		if (mp_tsig_name_normalise(name, norm, sizeof(norm)) != MP_OK) {
			mp_diag_add(d, origin, 0,
				    "inline key: key name \"%.64s\" is not a "
				    "valid domain name",
				    name);
			return MP_EKEY;
		}
		return kf_build(origin, 0, 0, norm, alg, secret, strlen(secret),
				out, d);
	}
}
