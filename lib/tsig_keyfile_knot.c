/* Knot's key file form: the YAML `key:` section keymgr -t writes. */
#include "error.h"
#include "tsig_keyfile_int.h"

#include <stdbool.h>
#include <string.h>

/*
 * Knot's `keymgr -t NAME` output, a YAML `key:` section:
 *   key:
 *     - id: NAME
 *       algorithm: hmac-sha256
 *       secret: BASE64
 */
int mp_kf_parse_yaml(struct kf *k)
{
	struct kf_key kk;
	bool in_item = false, in_section = false;
	char buf[64];
	int rc;

	memset(&kk, 0, sizeof(kk));
	const char *p;
	size_t len;

	while (mp_kf_line(k, &p, &len)) {
		const char *colon;
		size_t indent = 0, flen;
		int line = k->line;

		while (indent < len && p[indent] == ' ')
			indent++;
		if (indent == len)
			continue;
		if (p[indent] == '\t') {
			mp_diag_add(k->d, k->path, line,
				    "tab in indentation (YAML indents with "
				    "spaces)");
			return MP_EKEY;
		}
		if (indent == 0) {
			if (len == 4 && memcmp(p, "key:", 4) == 0 &&
			    !in_section) {
				in_section = true;
				continue;
			}
			colon = memchr(p, ':', len);
			mp_diag_add(
			    k->d, k->path, line,
			    "only one `key:` section (as written by "
			    "keymgr -t) is understood, found %s",
			    colon && mp_kf_safe_word(p, (size_t)(colon - p))
				? "another section"
				: "something else");
			return MP_EKEY;
		}
		p += indent;
		len -= indent;
		if (p[0] == '-' && (len == 1 || p[1] == ' ')) {
			if (in_item && mp_kf_add(k, &kk) != MP_OK)
				return MP_EKEY;
			memset(&kk, 0, sizeof(kk));
			in_item = true;
			p++;
			len--;
			while (len > 0 && *p == ' ') {
				p++;
				len--;
			}
			if (len == 0)
				continue;
		} else if (!in_item) {
			mp_diag_add(k->d, k->path, line,
				    "expected `- id: NAME` to start a key");
			return MP_EKEY;
		}
		colon = memchr(p, ':', len);
		if (!colon || (colon + 1 < p + len && colon[1] != ' ')) {
			mp_diag_add(k->d, k->path, line,
				    "expected `id:`, `algorithm:` or `secret:` "
				    "followed by a value");
			return MP_EKEY;
		}
		flen = (size_t)(colon - p);
		len -= flen + 1;
		p = colon + 1;
		while (len > 0 && *p == ' ') {
			p++;
			len--;
		}
		if (len >= 2 && (p[0] == '"' || p[0] == '\'') &&
		    p[len - 1] == p[0]) {
			p++;
			len -= 2;
		}
		if (flen == 2 && memcmp(colon - 2, "id", 2) == 0) {
			if (kk.name[0]) {
				mp_diag_add(k->d, k->path, line,
					    "key \"%s\" has a second id",
					    kk.name);
				return MP_EKEY;
			}
			rc = mp_kf_set_name(k, &kk, p, len, line);
		} else if (flen == 9 &&
			   memcmp(colon - 9, "algorithm", 9) == 0) {
			rc = mp_kf_set_alg(k, &kk, p, len, line);
		} else if (flen == 6 && memcmp(colon - 6, "secret", 6) == 0) {
			rc = mp_kf_set_secret(k, &kk, p, len, line);
		} else {
			struct kf_tok t = {KT_WORD, colon - flen, flen, line};
			mp_diag_add(
			    k->d, k->path, line,
			    "unknown field %s in a key (expected id, "
			    "algorithm, secret)",
			    mp_kf_describe(&t, false, buf, sizeof(buf)));
			return MP_EKEY;
		}
		if (rc != MP_OK)
			return rc;
		if (!kk.name[0]) {
			mp_diag_add(k->d, k->path, line,
				    "a key must start with `- id: NAME`");
			return MP_EKEY;
		}
	}
	if (in_item && mp_kf_add(k, &kk) != MP_OK)
		return MP_EKEY;
	return MP_OK;
}

/* True when the first significant line is a YAML `key:` section. */
bool mp_kf_is_yaml(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - buf) : len;
		size_t l = mp_kf_yaml_trim(buf + i, end - i);

		if (l > 0)
			return l == 4 && memcmp(buf + i, "key:", 4) == 0;
		i = end + 1;
	}
	return false;
}
