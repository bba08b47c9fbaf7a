#define _GNU_SOURCE /* memmem, strptime, timegm */
#include "checkeval.h"
#include "duration.h"

#include <ctype.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Longest first line worth looking at; a date never needs more. */
#define MP_TRACE_LINE_MAX 128

static const char *or_default(const char *detail, const char *dflt)
{
	return detail && *detail ? detail : dflt;
}

static enum mp_check_verdict xfer_reason(const struct mp_check_cfg *c,
					 const struct mp_check_outcome *o,
					 char *reason, size_t len)
{
	switch (o->xfer) {
	case MP_XFER_OK:
		break;
	case MP_XFER_REFUSED:
		snprintf(reason, len, "connect refused");
		return MP_VERDICT_CONNECT;
	case MP_XFER_CONNECT:
		snprintf(reason, len, "connect failed: %s",
			 or_default(o->xfer_detail, "unknown error"));
		return MP_VERDICT_CONNECT;
	case MP_XFER_TIMEOUT:
		snprintf(reason, len, "timeout after %llu ms",
			 (unsigned long long)c->timeout_ms);
		return MP_VERDICT_TIMEOUT;
	case MP_XFER_TLS:
		snprintf(reason, len, "TLS: %s",
			 or_default(o->xfer_detail, "handshake failed"));
		return MP_VERDICT_TLS;
	case MP_XFER_CLOSED:
		snprintf(reason, len, "connection closed: %s",
			 or_default(o->xfer_detail, "no response"));
		return MP_VERDICT_PROTOCOL;
	case MP_XFER_TOO_BIG:
		snprintf(reason, len, "body over %llu bytes",
			 (unsigned long long)c->max_body);
		return MP_VERDICT_TOO_BIG;
	case MP_XFER_OTHER:
		snprintf(reason, len, "%s",
			 or_default(o->xfer_detail, "check failed"));
		return MP_VERDICT_PROTOCOL;
	}
	if (o->xfer != MP_XFER_OK) { /* a value outside the enum */
		snprintf(reason, len, "check failed");
		return MP_VERDICT_PROTOCOL;
	}
	return MP_VERDICT_OK;
}

static bool status_expected(const struct mp_check_cfg *c, long status)
{
	/* no list configured: any 2xx, like a browser would accept */
	if (c->n_expect_status == 0)
		return status >= 200 && status <= 299;
	for (size_t i = 0; i < c->n_expect_status && i < MP_MAX_EXPECT_STATUS;
	     i++)
		if (c->expect_status[i] == status)
			return true;
	return false;
}

static enum mp_check_verdict check_fresh(const struct mp_check_cfg *c,
					 const struct mp_check_outcome *o,
					 char *reason, size_t len)
{
	int64_t t = -1;
	char human[32];
	uint64_t age_ms;

	if (o->body_len > 0)
		t = mp_trace_time_parse((const char *)o->body, o->body_len);
	if (t < 0)
		t = o->last_modified;
	if (t < 0) {
		snprintf(reason, len,
			 "stale: no date in first line or Last-Modified");
		return MP_VERDICT_STALE;
	}
	if (o->now_s <= t) /* from the future: a skewed clock, not staleness */
		return MP_VERDICT_OK;
	age_ms = (uint64_t)(o->now_s - t) * 1000;
	if (age_ms <= c->max_age_ms)
		return MP_VERDICT_OK;
	snprintf(reason, len, "stale: %s old",
		 mp_duration_human(age_ms, human, sizeof(human)));
	return MP_VERDICT_STALE;
}

enum mp_check_verdict mp_check_evaluate(const struct mp_check_cfg *c,
					const struct mp_check_outcome *o,
					char *reason, size_t len)
{
	enum mp_check_verdict v;

	v = xfer_reason(c, o, reason, len);
	if (v != MP_VERDICT_OK)
		return v;
	if (c->type == MP_CHECK_HTTP) {
		if (!status_expected(c, o->http_status)) {
			snprintf(reason, len, "HTTP %ld", o->http_status);
			return MP_VERDICT_STATUS;
		}
		if (o->body_len > c->max_body) {
			snprintf(reason, len, "body over %llu bytes",
				 (unsigned long long)c->max_body);
			return MP_VERDICT_TOO_BIG;
		}
		if (c->expect_body && *c->expect_body &&
		    (!o->body || !memmem(o->body, o->body_len, c->expect_body,
					 strlen(c->expect_body)))) {
			snprintf(reason, len, "body lacks \"%s\"",
				 c->expect_body);
			return MP_VERDICT_BODY;
		}
		if (c->has_expect_sha256) {
			unsigned char h[crypto_hash_sha256_BYTES];
			crypto_hash_sha256(h, o->body ? o->body : h,
					   o->body ? o->body_len : 0);
			if (memcmp(h, c->expect_sha256, sizeof(h)) != 0) {
				snprintf(reason, len, "sha256 mismatch");
				return MP_VERDICT_SHA256;
			}
		}
		if (c->max_age_ms > 0) {
			v = check_fresh(c, o, reason, len);
			if (v != MP_VERDICT_OK)
				return v;
		}
	}
	if (c->max_latency_ms > 0 && o->total_ms > c->max_latency_ms) {
		snprintf(reason, len, "slow: %llu ms > %llu ms",
			 (unsigned long long)o->total_ms,
			 (unsigned long long)c->max_latency_ms);
		return MP_VERDICT_SLOW;
	}
	if (c->type == MP_CHECK_HTTP)
		snprintf(reason, len, "HTTP %ld", o->http_status);
	else
		snprintf(reason, len, "connected");
	return MP_VERDICT_OK;
}

/* ---------------------------------------------------------------------- */
/* Trace file dates */

/* Runs strptime over the whole of s; true only when fmt consumed all. */
static bool parse_whole(const char *s, const char *fmt, struct tm *tm)
{
	const char *end;

	memset(tm, 0, sizeof(*tm));
	end = strptime(s, fmt, tm);
	return end && *end == '\0';
}

static int64_t from_tm(struct tm *tm, long offset_s)
{
	time_t t;

	if (tm->tm_year < 70)
		return -1;
	tm->tm_isdst = 0;
	t = timegm(tm);
	if (t == (time_t)-1)
		return -1;
	if ((int64_t)t - offset_s < 0)
		return -1;
	return (int64_t)t - offset_s;
}

static int64_t parse_epoch(const char *s)
{
	int64_t v = 0;
	size_t n = 0;

	for (; isdigit((unsigned char)s[n]); n++) {
		if (n >= 12) /* year 33658: not a trace stamp */
			return -1;
		v = v * 10 + (s[n] - '0');
	}
	if (n == 0 || s[n] != '\0')
		return -1;
	return v;
}

static int two_digits(const char *p)
{
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/*
 * ISO 8601: "2026-11-22T02:00:00Z", "2026-11-22 02:00:00" (taken as UTC),
 * with optional fractional seconds and an optional "+HH:MM"/"+HHMM" offset.
 */
static int64_t parse_iso(const char *s)
{
	struct tm tm;
	const char *p;
	long offset = 0;
	int hh, mm, sign;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%d", &tm);
	if (!p || (*p != 'T' && *p != ' '))
		return -1;
	p = strptime(p + 1, "%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (strcmp(p, "Z") == 0 || strcmp(p, " UTC") == 0 || *p == '\0')
		return from_tm(&tm, 0);
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p == '-' ? -1 : 1;
	hh = two_digits(p + 1);
	if (hh < 0)
		return -1;
	if (p[3] == ':') {
		mm = two_digits(p + 4);
		p += 6;
	} else {
		mm = two_digits(p + 3);
		p += 5;
	}
	if (mm < 0 || *p != '\0' || hh > 23 || mm > 59)
		return -1;
	/* local = UTC + offset */
	offset = sign * ((long)hh * 3600 + (long)mm * 60);
	return from_tm(&tm, offset);
}

int64_t mp_trace_time_parse(const char *line, size_t len)
{
	/* Every accepted textual form; zone names other than UTC/GMT are
	 * refused rather than guessed. */
	static const char *const formats[] = {
	    "%a, %d %b %Y %H:%M:%S GMT", /* RFC 1123 / HTTP */
	    "%a, %d %b %Y %H:%M:%S UTC",
	    "%a, %d %b %Y %H:%M:%S +0000",
	    "%a %b %d %H:%M:%S UTC %Y", /* date(1) */
	    "%a %b %d %H:%M:%S GMT %Y",
	    "%a %d %b %Y %H:%M:%S UTC", /* date(1), some locales' order */
	    "%a %d %b %Y %H:%M:%S GMT",
	    "%a %b %d %H:%M:%S %Y", /* asctime */
	};
	char buf[MP_TRACE_LINE_MAX];
	size_t n = 0, start = 0;
	struct tm tm;
	int64_t t;

	if (!line)
		return -1;
	while (n < len && n < sizeof(buf) - 1 && line[n] != '\n' &&
	       line[n] != '\0') {
		buf[n] = line[n];
		n++;
	}
	/* a first line longer than any date is not a date */
	if (n == sizeof(buf) - 1 && n < len && line[n] != '\n')
		return -1;
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	while (start < n && isspace((unsigned char)buf[start]))
		start++;
	if (start == n)
		return -1;

	t = parse_epoch(buf + start);
	if (t >= 0)
		return t;
	t = parse_iso(buf + start);
	if (t >= 0)
		return t;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (parse_whole(buf + start, formats[i], &tm))
			return from_tm(&tm, 0);
	return -1;
}
