#define _GNU_SOURCE /* memmem */
#include "checkeval.h"
#include "duration.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

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
