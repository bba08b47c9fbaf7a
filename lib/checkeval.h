/*
 * Evaluation of one HTTP(S) or TCP check outcome against the check rules of
 * SPEC §3, producing ok or an exact reason. The transfer itself happens in
 * agent/ (curl); this only judges what came back.
 */
#ifndef MP_CHECKEVAL_H
#define MP_CHECKEVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum mp_check_verdict {
	MP_VERDICT_OK = 0,
	MP_VERDICT_CONNECT,  /* "connect refused", "connect failed: ..." */
	MP_VERDICT_TIMEOUT,  /* "timeout after 3000 ms" */
	MP_VERDICT_TLS,	     /* "TLS: <reason>" */
	MP_VERDICT_PROTOCOL, /* "connection closed: ...", bad HTTP */
	MP_VERDICT_STATUS,   /* "HTTP 503" */
	MP_VERDICT_TOO_BIG,  /* "body over 65536 bytes" */
	MP_VERDICT_BODY,     /* "body lacks \"ok\"" */
	MP_VERDICT_SHA256,   /* "sha256 mismatch" */
	MP_VERDICT_STALE,    /* "stale: 7h12m old", "stale: no date" */
	MP_VERDICT_SLOW,     /* "slow: 2140 ms > 1500 ms" */
};

enum mp_xfer_error {
	MP_XFER_OK = 0,	 /* a complete response arrived */
	MP_XFER_REFUSED, /* TCP RST on connect */
	MP_XFER_CONNECT, /* other connect failure (unreachable, ...) */
	MP_XFER_TIMEOUT, /* the whole check exceeded timeout */
	MP_XFER_TLS,	 /* handshake or certificate failure */
	MP_XFER_CLOSED,	 /* connection dropped / reset mid-response */
	MP_XFER_TOO_BIG, /* body exceeded max_body (transfer aborted) */
	MP_XFER_OTHER,
};

struct mp_check_outcome {
	enum mp_xfer_error xfer;
	const char *xfer_detail; /* curl's message for TLS/other; may be NULL */
	long http_status;	 /* 0 for tcp checks or no response */
	const unsigned char *body; /* may be NULL when body_len is 0 */
	size_t body_len;
	int64_t last_modified; /* Unix seconds from Last-Modified, -1 none */
	uint64_t total_ms;     /* whole check duration */
	int64_t now_s;	       /* wall clock, for freshness */
};

/*
 * Judges o against c. Writes "HTTP 200" (or "connected" for tcp) on success,
 * the failure reason otherwise, into reason (len >= 64 recommended).
 * Rule order: transfer error, status, body size, expect_body,
 * expect_sha256, max_age, max_latency.
 */
enum mp_check_verdict mp_check_evaluate(const struct mp_check_cfg *c,
					const struct mp_check_outcome *o,
					char *reason, size_t len);

/*
 * Parses the first line of a trace file as a time: Unix epoch seconds
 * ("1763800000"), RFC 1123/HTTP date ("Sat, 22 Nov 2026 02:00:00 GMT"),
 * date(1) output ("Sun Nov 22 02:00:00 UTC 2026"), ISO 8601
 * ("2026-11-22T02:00:00Z", "2026-11-22 02:00:00"). Returns Unix seconds or
 * -1 when the line is none of these. len bounds the read; stops at '\n'.
 */
int64_t mp_trace_time_parse(const char *line, size_t len);

#endif
