/* The certificate watch (certwatch.h). */
#include "certwatch.h"
#include "health.h"
#include "log.h"

#include <stdio.h>

enum mp_cert_event mp_cert_watch_update(struct mp_cert_watch *w,
					int64_t not_after, int64_t now_s,
					uint64_t warn_ms)
{
	bool close =
	    warn_ms > 0 && not_after - now_s < (int64_t)(warn_ms / 1000);
	bool later = not_after > w->not_after;

	w->not_after = not_after;
	if (close && !w->warned) {
		w->warned = true;
		return MP_CERT_EXPIRING;
	}
	if (!close && w->warned && later) {
		w->warned = false;
		return MP_CERT_RENEWED;
	}
	return MP_CERT_NONE;
}

char *mp_cert_left_format(int64_t secs, char *buf, size_t len)
{
	static const struct {
		int64_t s;
		const char *unit;
	} units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
	size_t n = sizeof(units) / sizeof(units[0]);

	if (secs <= 0) {
		snprintf(buf, len, "expired");
		return buf;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t a = secs / units[i].s, b;

		if (a == 0)
			continue;
		if (i + 1 == n) {
			snprintf(buf, len, "%llds", (long long)a);
			return buf;
		}
		b = (secs % units[i].s) / units[i + 1].s;
		if (b > 0)
			snprintf(buf, len, "%lld%s %lld%s", (long long)a,
				 units[i].unit, (long long)b,
				 units[i + 1].unit);
		else
			snprintf(buf, len, "%lld%s", (long long)a,
				 units[i].unit);
		return buf;
	}
	return buf;
}

void mp_cert_watch_log(const struct mp_log_fields *f,
		       const struct mp_check_result *r, int64_t now_s)
{
	struct mp_log_fields g = *f;
	char left[32], reason[96], who[560];

	if (r->cert_event == MP_CERT_NONE)
		return;
	mp_cert_left_format(r->cert_not_after - now_s, left, sizeof(left));
	g.subject = r->cert_subject;
	g.issuer = r->cert_issuer;
	if (r->cert_subject || r->cert_issuer)
		snprintf(who, sizeof(who), " (subject %s, issuer %s)",
			 r->cert_subject ? r->cert_subject : "?",
			 r->cert_issuer ? r->cert_issuer : "?");
	else
		who[0] = '\0';
	if (r->cert_event == MP_CERT_EXPIRING) {
		snprintf(reason, sizeof(reason), "certificate expires in %s",
			 left);
		g.reason = reason;
		mp_logf(LOG_WARNING, &g,
			"%s %s: TLS %s%s; renew it, or the address fails its "
			"checks then",
			f->mirror, f->address, reason, who);
	} else {
		snprintf(reason, sizeof(reason),
			 "certificate renewed, expires in %s", left);
		g.reason = reason;
		mp_logf(LOG_NOTICE, &g, "%s %s: TLS %s%s", f->mirror,
			f->address, reason, who);
	}
}
