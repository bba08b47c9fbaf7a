/* PowerDNS's key file form: the lines pdnsutil list-tsig-keys prints. */
#include "error.h"
#include "tsig_key.h"
#include "tsig_keyfile_int.h"

#include <stdbool.h>
#include <string.h>

/* Splits a line into blank-separated fields; returns how many (up to max,
 * max + 1 meaning "more"). */
static size_t kf_fields(const char *p, size_t len, const char **f, size_t *flen,
			size_t max)
{
	size_t n = 0, i = 0;

	while (i < len) {
		while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
			i++;
		if (i == len)
			break;
		if (n == max)
			return max + 1;
		f[n] = p + i;
		while (i < len && p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			i++;
		flen[n] = (size_t)(p + i - f[n]);
		n++;
	}
	return n;
}

/*
 * PowerDNS's `pdnsutil list-tsig-keys` lines, one key a line:
 *   mirrorpool. hmac-sha256. BASE64
 */
int mp_kf_parse_pdns(struct kf *k)
{
	const char *p, *f[3];
	size_t len, flen[3];

	while (mp_kf_line(k, &p, &len)) {
		struct kf_key kk;
		size_t n = kf_fields(p, len, f, flen, 3);

		if (n == 0)
			continue;
		memset(&kk, 0, sizeof(kk));
		if (n != 3) {
			mp_diag_add(k->d, k->path, k->line,
				    "expected `NAME. ALGORITHM. BASE64` (as "
				    "pdnsutil list-tsig-keys prints), found "
				    "%s field%s",
				    n > 3    ? "more than 3"
				    : n == 2 ? "2"
					     : "1",
				    n == 1 ? "" : "s");
			return MP_EKEY;
		}
		if (mp_kf_set_name(k, &kk, f[0], flen[0], k->line) != MP_OK ||
		    mp_kf_set_alg(k, &kk, f[1], flen[1], k->line) != MP_OK ||
		    mp_kf_set_secret(k, &kk, f[2], flen[2], k->line) != MP_OK ||
		    mp_kf_add(k, &kk) != MP_OK)
			return MP_EKEY;
	}
	return MP_OK;
}

/* True when the first significant line is `NAME ALGORITHM ...` with a TSIG
 * algorithm second (PowerDNS's form). */
bool mp_kf_is_pdns(const char *buf, size_t len)
{
	struct kf k = {.buf = buf, .len = len};
	const char *p, *f[3];
	size_t l, flen[3];
	char alg[32];
	enum mp_tsig_alg a;

	while (mp_kf_line(&k, &p, &l)) {
		size_t n = kf_fields(p, l, f, flen, 3);

		if (n == 0)
			continue;
		if (n < 2 || flen[1] >= sizeof(alg))
			return false;
		memcpy(alg, f[1], flen[1]);
		alg[flen[1]] = '\0';
		return mp_tsig_alg_parse(alg, &a) != MP_EINVAL;
	}
	return false;
}
