#include "unit.h"

#include <string.h>

#include "checkeval.h"

#define T0 1763800000LL /* Sat, 22 Nov 2025 08:26:40 GMT */

static const char body_ok[] = "1763800000\nok\n";
/* sha256 of body_ok */
static const unsigned char body_ok_sha[32] = {
    0xa4, 0x45, 0x37, 0x38, 0xca, 0x17, 0xa1, 0x09, 0x1e, 0xd1, 0xd9,
    0x57, 0x83, 0x01, 0x5c, 0x27, 0xae, 0xa0, 0x15, 0x9d, 0xe8, 0xe9,
    0x25, 0xa2, 0x95, 0xd9, 0x7b, 0x55, 0x3f, 0xd0, 0x5a, 0xca,
};

static struct mp_check_cfg c;
static struct mp_check_outcome o;
static char reason[160];

static void reset(void)
{
	memset(&c, 0, sizeof(c));
	c.type = MP_CHECK_HTTP;
	c.expect_status[0] = 200;
	c.n_expect_status = 1;
	c.max_body = 65536;
	c.timeout_ms = 3000;
	memset(&o, 0, sizeof(o));
	o.xfer = MP_XFER_OK;
	o.http_status = 200;
	o.body = (const unsigned char *)body_ok;
	o.body_len = strlen(body_ok);
	o.last_modified = -1;
	o.total_ms = 35;
	o.now_s = T0 + 100;
	memset(reason, 'x', sizeof(reason));
}

static enum mp_check_verdict eval(void)
{
	return mp_check_evaluate(&c, &o, reason, sizeof(reason));
}

static void test_ok(void)
{
	reset();
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_OK);
	CU_ASSERT_STRING_EQUAL(reason, "HTTP 200");
	c.expect_status[1] = 204;
	c.n_expect_status = 2;
	o.http_status = 204;
	o.body = NULL;
	o.body_len = 0;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_OK);
	CU_ASSERT_STRING_EQUAL(reason, "HTTP 204");
}

static void test_status(void)
{
	reset();
	o.http_status = 503;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_STATUS);
	CU_ASSERT_STRING_EQUAL(reason, "HTTP 503");
	/* redirects are not followed, so a 301 is just a wrong status */
	o.http_status = 301;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_STATUS);
	CU_ASSERT_STRING_EQUAL(reason, "HTTP 301");
	/* without a list, any 2xx */
	c.n_expect_status = 0;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_STATUS);
	o.http_status = 299;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_OK);
	CU_ASSERT_STRING_EQUAL(reason, "HTTP 299");
}

static void test_transfer_errors(void)
{
	reset();
	o.xfer = MP_XFER_REFUSED;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_CONNECT);
	CU_ASSERT_STRING_EQUAL(reason, "connect refused");

	o.xfer = MP_XFER_CONNECT;
	o.xfer_detail = "Network is unreachable";
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_CONNECT);
	CU_ASSERT_STRING_EQUAL(reason,
			       "connect failed: Network is unreachable");

	o.xfer = MP_XFER_TIMEOUT;
	o.xfer_detail = "Operation timed out after 3001 milliseconds";
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_TIMEOUT);
	CU_ASSERT_STRING_EQUAL(reason, "timeout after 3000 ms");
	c.timeout_ms = 2500;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_TIMEOUT);
	CU_ASSERT_STRING_EQUAL(reason, "timeout after 2500 ms");

	o.xfer = MP_XFER_TLS;
	o.xfer_detail = "SSL certificate problem: certificate has expired";
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_TLS);
	CU_ASSERT_STRING_EQUAL(reason, "TLS: SSL certificate problem: "
				       "certificate has expired");
	o.xfer_detail = NULL;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_TLS);
	CU_ASSERT_STRING_EQUAL(reason, "TLS: handshake failed");

	o.xfer = MP_XFER_CLOSED;
	o.xfer_detail = "Empty reply from server";
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_PROTOCOL);
	CU_ASSERT_STRING_EQUAL(reason,
			       "connection closed: Empty reply from server");

	o.xfer = MP_XFER_TOO_BIG;
	o.xfer_detail = NULL;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_TOO_BIG);
	CU_ASSERT_STRING_EQUAL(reason, "body over 65536 bytes");

	o.xfer = MP_XFER_OTHER;
	o.xfer_detail = "Unsupported protocol";
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_PROTOCOL);
	CU_ASSERT_STRING_EQUAL(reason, "Unsupported protocol");

	/* a transfer error wins over everything else */
	o.xfer = MP_XFER_REFUSED;
	o.http_status = 503;
	c.max_latency_ms = 1;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_CONNECT);
	CU_ASSERT_STRING_EQUAL(reason, "connect refused");
}

static void test_body_size(void)
{
	static unsigned char big[65537];

	reset();
	memset(big, 'a', sizeof(big));
	o.body = big;
	o.body_len = 65536;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_OK);
	o.body_len = 65537;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_TOO_BIG);
	CU_ASSERT_STRING_EQUAL(reason, "body over 65536 bytes");
	c.max_body = 1000;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_TOO_BIG);
	CU_ASSERT_STRING_EQUAL(reason, "body over 1000 bytes");
}

static void test_expect_body(void)
{
	char ebody[] = "ok";
	char emissing[] = "mirror-of-example";

	reset();
	c.expect_body = ebody;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_OK);
	c.expect_body = emissing;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_BODY);
	CU_ASSERT_STRING_EQUAL(reason, "body lacks \"mirror-of-example\"");
	c.expect_body = ebody;
	o.body = (const unsigned char *)"1763800000\nnot here\n";
	o.body_len = strlen((const char *)o.body);
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_BODY);
	CU_ASSERT_STRING_EQUAL(reason, "body lacks \"ok\"");
	/* binary-safe: the match may follow a NUL byte */
	o.body = (const unsigned char *)"x\0ok";
	o.body_len = 4;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_OK);
	o.body = NULL;
	o.body_len = 0;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_BODY);
	CU_ASSERT_STRING_EQUAL(reason, "body lacks \"ok\"");
}

static void test_sha256(void)
{
	reset();
	c.has_expect_sha256 = true;
	memcpy(c.expect_sha256, body_ok_sha, 32);
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_OK);
	CU_ASSERT_STRING_EQUAL(reason, "HTTP 200");
	o.body_len--; /* one byte short */
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_SHA256);
	CU_ASSERT_STRING_EQUAL(reason, "sha256 mismatch");
	o.body = NULL;
	o.body_len = 0;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_SHA256);
	CU_ASSERT_STRING_EQUAL(reason, "sha256 mismatch");
}

static void test_stale(void)
{
	static char body[64];

	reset();
	c.max_age_ms = 6 * 3600000ULL;
	/* first line 7h12m5s old */
	o.now_s = T0 + 7 * 3600 + 12 * 60 + 5;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_STALE);
	CU_ASSERT_STRING_EQUAL(reason, "stale: 7h12m old");
	/* exactly max_age is still fresh */
	o.now_s = T0 + 6 * 3600;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_OK);
	o.now_s = T0 + 6 * 3600 + 1;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_STALE);
	CU_ASSERT_STRING_EQUAL(reason, "stale: 6h old");
	/* a date in the future is a clock skew, not staleness */
	o.now_s = T0 - 3600;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_OK);

	/* the body's date wins over Last-Modified */
	o.now_s = T0 + 7 * 3600 + 12 * 60 + 5;
	o.last_modified = o.now_s - 10;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_STALE);
	/* no date in the body: Last-Modified */
	snprintf(body, sizeof(body), "hello\nok\n");
	o.body = (const unsigned char *)body;
	o.body_len = strlen(body);
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_OK);
	o.last_modified = o.now_s - 3 * 86400;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_STALE);
	CU_ASSERT_STRING_EQUAL(reason, "stale: 3d old");
	/* no date at all */
	o.last_modified = -1;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_STALE);
	CU_ASSERT_STRING_EQUAL(reason,
			       "stale: no date in first line or Last-Modified");
	o.body = NULL;
	o.body_len = 0;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_STALE);
	CU_ASSERT_STRING_EQUAL(reason,
			       "stale: no date in first line or Last-Modified");
	/* an HTTP date as the first line */
	snprintf(body, sizeof(body), "Sat, 22 Nov 2025 08:26:40 GMT\n");
	o.body = (const unsigned char *)body;
	o.body_len = strlen(body);
	o.now_s = T0 + 185;
	c.max_age_ms = 60000;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_STALE);
	CU_ASSERT_STRING_EQUAL(reason, "stale: 3m5s old");
	/* freshness is not checked without max_age */
	c.max_age_ms = 0;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_OK);
}

static void test_slow(void)
{
	reset();
	c.max_latency_ms = 1500;
	o.total_ms = 2140;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_SLOW);
	CU_ASSERT_STRING_EQUAL(reason, "slow: 2140 ms > 1500 ms");
	o.total_ms = 1500;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_OK);
	CU_ASSERT_STRING_EQUAL(reason, "HTTP 200");
	o.total_ms = 1501;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_SLOW);
	CU_ASSERT_STRING_EQUAL(reason, "slow: 1501 ms > 1500 ms");
	c.max_latency_ms = 0;
	o.total_ms = 999999;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_OK);
}

static void test_rule_order(void)
{
	char ebody[] = "absent";
	static unsigned char big[70000];

	reset();
	/* status before size, body, hash, age, latency */
	c.expect_body = ebody;
	c.has_expect_sha256 = true;
	c.max_age_ms = 1000;
	c.max_latency_ms = 1;
	o.total_ms = 50;
	o.now_s = T0 + 86400;
	o.http_status = 500;
	o.body = big;
	o.body_len = sizeof(big);
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_STATUS);
	CU_ASSERT_STRING_EQUAL(reason, "HTTP 500");
	o.http_status = 200;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_TOO_BIG);
	o.body = (const unsigned char *)body_ok;
	o.body_len = strlen(body_ok);
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_BODY);
	c.expect_body = NULL;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_SHA256);
	memcpy(c.expect_sha256, body_ok_sha, 32);
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_STALE);
	CU_ASSERT_STRING_EQUAL(reason, "stale: 1d old");
	c.max_age_ms = 0;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_SLOW);
	CU_ASSERT_STRING_EQUAL(reason, "slow: 50 ms > 1 ms");
}

static void test_tcp(void)
{
	char ebody[] = "ok";

	reset();
	c.type = MP_CHECK_TCP;
	o.http_status = 0;
	o.body = NULL;
	o.body_len = 0;
	/* body rules do not apply to tcp */
	c.expect_body = ebody;
	c.max_age_ms = 1000;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_OK);
	CU_ASSERT_STRING_EQUAL(reason, "connected");
	c.max_latency_ms = 10;
	o.total_ms = 11;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_SLOW);
	CU_ASSERT_STRING_EQUAL(reason, "slow: 11 ms > 10 ms");
	o.xfer = MP_XFER_REFUSED;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_CONNECT);
	CU_ASSERT_STRING_EQUAL(reason, "connect refused");
	o.xfer = MP_XFER_TIMEOUT;
	CU_ASSERT_EQUAL(eval(), MP_VERDICT_TIMEOUT);
	CU_ASSERT_STRING_EQUAL(reason, "timeout after 3000 ms");
}

static void test_small_buffer(void)
{
	char small[8];

	reset();
	o.http_status = 503;
	CU_ASSERT_EQUAL(mp_check_evaluate(&c, &o, small, sizeof(small)),
			MP_VERDICT_STATUS);
	CU_ASSERT_STRING_EQUAL(small, "HTTP 50");
}

static int64_t tp(const char *s)
{
	return mp_trace_time_parse(s, strlen(s));
}

static void test_trace_formats(void)
{
	/* Unix epoch */
	CU_ASSERT_EQUAL(tp("1763800000"), T0);
	CU_ASSERT_EQUAL(tp("1763800000\nsecond line"), T0);
	CU_ASSERT_EQUAL(tp("  1763800000 \r\n"), T0);
	CU_ASSERT_EQUAL(tp("0"), 0);
	/* RFC 1123 / HTTP date */
	CU_ASSERT_EQUAL(tp("Sat, 22 Nov 2025 08:26:40 GMT"), T0);
	CU_ASSERT_EQUAL(tp("Sat, 22 Nov 2025 08:26:40 GMT\r\n"), T0);
	CU_ASSERT_EQUAL(tp("Sat, 22 Nov 2025 08:26:40 +0000"), T0);
	/* date(1) output, and its space-padded day */
	CU_ASSERT_EQUAL(tp("Sat Nov 22 08:26:40 UTC 2025"), T0);
	CU_ASSERT_EQUAL(tp("Sat Nov 22 08:26:40 GMT 2025\n"), T0);
	CU_ASSERT_EQUAL(tp("Sun Nov  2 08:26:40 UTC 2025"), 1762072000);
	CU_ASSERT_EQUAL(tp("Sat 22 Nov 2025 08:26:40 UTC"), T0);
	/* asctime */
	CU_ASSERT_EQUAL(tp("Sat Nov 22 08:26:40 2025"), T0);
	/* ISO 8601 */
	CU_ASSERT_EQUAL(tp("2025-11-22T08:26:40Z"), T0);
	CU_ASSERT_EQUAL(tp("2025-11-22 08:26:40"), T0);
	CU_ASSERT_EQUAL(tp("2025-11-22T08:26:40"), T0);
	CU_ASSERT_EQUAL(tp("2025-11-22 08:26:40 UTC"), T0);
	CU_ASSERT_EQUAL(tp("2025-11-22T08:26:40.123456Z"), T0);
	CU_ASSERT_EQUAL(tp("2025-11-22T09:26:40+01:00"), T0);
	CU_ASSERT_EQUAL(tp("2025-11-22T03:26:40-0500"), T0);
	/* len bounds the read */
	CU_ASSERT_EQUAL(mp_trace_time_parse("1763800000", 4), 1763);
	CU_ASSERT_EQUAL(mp_trace_time_parse("2025-11-22T08:26:40Z", 10), -1);
}

static void test_trace_garbage(void)
{
	char longline[300];
	const char *bad[] = {
	    "",
	    "   \n1763800000",
	    "hello",
	    "1763800000x",
	    "17638 00000",
	    "-5",
	    "1234567890123",
	    "2025-11-22",
	    "2025-13-01T00:00:00Z",
	    "2025-11-22T08:26:40+25:00",
	    "2025-11-22T08:26:40+01",
	    "2025-11-22T08:26:40Zjunk",
	    "2025-11-22T08:26:40.Z",
	    "Sat, 22 Nov 2025 08:26:40 CET",
	    "Sat, 22 Nov 2025 08:26:40",
	    "Sat, 22 Nov 2025 08:26:40 GMT trailing",
	    "Sat Nov 22 08:26:40 CET 2025",
	    "Sat Foo 22 08:26:40 UTC 2025",
	    "Sat, 22 Nov 1969 08:26:40 GMT",
	    "<html><body>Not Found</body></html>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tp(bad[i]) != -1) {
			fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
			CU_FAIL("garbage accepted");
		}
	}
	CU_ASSERT_EQUAL(mp_trace_time_parse(NULL, 10), -1);
	CU_ASSERT_EQUAL(mp_trace_time_parse("1763800000", 0), -1);
	/* a first line longer than any date */
	memset(longline, ' ', sizeof(longline));
	memcpy(longline + sizeof(longline) - 11, "1763800000", 10);
	longline[sizeof(longline) - 1] = '\0';
	CU_ASSERT_EQUAL(tp(longline), -1);
}

/* The civil-date arithmetic: leap years, month lengths, the weekday,
 * the ends of the accepted range, and the same rules in every form. */
static void test_trace_calendar(void)
{
	/* 2000 was a leap year (divisible by 400), 2100 will not be */
	CU_ASSERT_EQUAL(tp("2000-02-29T00:00:00Z"), 951782400);
	CU_ASSERT_EQUAL(tp("2000-03-01T00:00:00Z"), 951868800);
	CU_ASSERT_EQUAL(tp("2100-02-29T00:00:00Z"), -1);
	CU_ASSERT_EQUAL(tp("2024-02-29T12:00:00Z"), 1709208000);
	CU_ASSERT_EQUAL(tp("2025-02-29T12:00:00Z"), -1);
	CU_ASSERT_EQUAL(tp("2025-11-31T00:00:00Z"), -1);
	CU_ASSERT_EQUAL(tp("2025-12-31T23:59:59Z"), 1767225599);
	CU_ASSERT_EQUAL(tp("1970-01-01T00:00:00Z"), 0);
	CU_ASSERT_EQUAL(tp("1969-12-31T23:59:59Z"), -1);
	CU_ASSERT_EQUAL(tp("9999-12-31T23:59:59Z"), 253402300799LL);
	CU_ASSERT_EQUAL(tp("1970-01-01T00:30:00+01:00"), -1);
	/* a leap second is the start of the next minute */
	CU_ASSERT_EQUAL(tp("2016-12-31T23:59:60Z"), 1483228800);
	CU_ASSERT_EQUAL(tp("2025-11-22T24:00:00Z"), -1);
	CU_ASSERT_EQUAL(tp("2025-11-22T08:60:00Z"), -1);
	/* names in full or abbreviated, in any case */
	CU_ASSERT_EQUAL(tp("Saturday, 22 November 2025 08:26:40 GMT"), T0);
	CU_ASSERT_EQUAL(tp("sat, 22 NOV 2025 08:26:40 GMT"), T0);
	CU_ASSERT_EQUAL(tp("Sat\tNov 22 8:26:40 2025"), T0);
	CU_ASSERT_EQUAL(tp("Sat, 22 Novem 2025 08:26:40 GMT"), -1);
	/* the weekday must be the date's, in every form that has one */
	CU_ASSERT_EQUAL(tp("Fri, 22 Nov 2025 08:26:40 GMT"), -1);
	CU_ASSERT_EQUAL(tp("Sun Nov 22 08:26:40 UTC 2025"), -1);
	CU_ASSERT_EQUAL(tp("Mon 22 Nov 2025 08:26:40 UTC"), -1);
	CU_ASSERT_EQUAL(tp("Sat Nov 23 08:26:40 2025"), -1);
	CU_ASSERT_EQUAL(tp("Sun Nov 23 08:26:40 2025"), T0 + 86400);
	/* a date that does not exist, in a named form */
	CU_ASSERT_EQUAL(tp("Mon, 31 Nov 2025 08:26:40 GMT"), -1);
	CU_ASSERT_EQUAL(tp("Sat, 29 Feb 2025 08:26:40 GMT"), -1);
	CU_ASSERT_EQUAL(tp("Thu, 29 Feb 2024 08:26:40 GMT"), 1709195200);
	/* offsets: east of UTC is earlier in UTC */
	CU_ASSERT_EQUAL(tp("2025-11-22T08:26:40-00:30"), T0 + 1800);
	CU_ASSERT_EQUAL(tp("2025-11-22T08:26:40+2300"), T0 - 23 * 3600);
	CU_ASSERT_EQUAL(tp("2025-11-22T08:26:40+24:00"), -1);
	CU_ASSERT_EQUAL(tp("2025-11-22T08:26:40+01:60"), -1);
}

static CU_TestInfo tests[] = {
    {"ok", test_ok},
    {"status", test_status},
    {"transfer errors", test_transfer_errors},
    {"body size", test_body_size},
    {"expect_body", test_expect_body},
    {"sha256", test_sha256},
    {"stale", test_stale},
    {"slow", test_slow},
    {"rule order", test_rule_order},
    {"tcp", test_tcp},
    {"small buffer", test_small_buffer},
    {"trace calendar", test_trace_calendar},
    {"trace time formats", test_trace_formats},
    {"trace time garbage", test_trace_garbage},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"checkeval", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
