#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "control_proto.h"
#include "duration.h"
#include "error.h"

/* ------------------------------------------------------------------------
 * Requests
 */

/* Parses line, encodes the result and checks it comes out as want (the
 * canonical form), then that the canonical form parses to the same. */
static void roundtrip(const char *line, const char *want,
		      struct mp_ctl_request *r)
{
	char err[256] = "untouched";
	struct mp_ctl_request again;
	char *s, *s2;

	CU_ASSERT_EQUAL_FATAL(
	    mp_ctl_request_parse(line, strlen(line), r, err, sizeof(err)),
	    MP_OK);
	CU_ASSERT_STRING_EQUAL(err, "");
	s = mp_ctl_request_encode(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, want);
	CU_ASSERT_EQUAL_FATAL(
	    mp_ctl_request_parse(s, strlen(s), &again, err, sizeof(err)),
	    MP_OK);
	s2 = mp_ctl_request_encode(&again);
	CU_ASSERT_STRING_EQUAL(s2, want);
	CU_ASSERT_EQUAL(again.cmd, r->cmd);
	CU_ASSERT_EQUAL(again.for_ms, r->for_ms);
	CU_ASSERT_EQUAL(again.force, r->force);
	CU_ASSERT_EQUAL(again.has_address, r->has_address);
	mp_ctl_request_clear(&again);
	free(s);
	free(s2);
}

static void test_status(void)
{
	struct mp_ctl_request r;

	roundtrip("{\"cmd\":\"status\"}", "{\"cmd\":\"status\"}", &r);
	CU_ASSERT_EQUAL(r.cmd, MP_CTL_STATUS);
	CU_ASSERT_PTR_NULL(r.pool);
	CU_ASSERT_PTR_NULL(r.mirror);
	mp_ctl_request_clear(&r);

	roundtrip(" { \"pool\" : \"dl.example.org.\", \"cmd\": \"status\" } ",
		  "{\"cmd\":\"status\",\"pool\":\"dl.example.org.\"}", &r);
	CU_ASSERT_STRING_EQUAL(r.pool, "dl.example.org.");
	mp_ctl_request_clear(&r);
}

static void test_drain(void)
{
	struct mp_ctl_request r;

	roundtrip("{\"cmd\":\"drain\",\"mirror\":\"mirror1\",\"reason\":"
		  "\"disk swap\",\"force\":false}",
		  "{\"cmd\":\"drain\",\"mirror\":\"mirror1\",\"reason\":"
		  "\"disk swap\",\"force\":false}",
		  &r);
	CU_ASSERT_EQUAL(r.cmd, MP_CTL_DRAIN);
	CU_ASSERT_STRING_EQUAL(r.mirror, "mirror1");
	CU_ASSERT_STRING_EQUAL(r.reason, "disk swap");
	CU_ASSERT_FALSE(r.has_address);
	CU_ASSERT_EQUAL(r.for_ms, 0);
	CU_ASSERT_FALSE(r.force);
	mp_ctl_request_clear(&r);

	/* Every key; the address comes out canonical. */
	roundtrip(
	    "{\"force\":true,\"for\":\"2h\",\"address\":\"2001:DB8::0:10\","
	    "\"cmd\":\"drain\",\"mirror\":\"m2\",\"reason\":\"\"}",
	    "{\"cmd\":\"drain\",\"mirror\":\"m2\",\"address\":"
	    "\"2001:db8::10\",\"reason\":\"\",\"for\":\"2h\","
	    "\"force\":true}",
	    &r);
	CU_ASSERT_TRUE(r.has_address);
	CU_ASSERT_EQUAL(r.address.family, AF_INET6);
	CU_ASSERT_STRING_EQUAL(r.address.text, "2001:db8::10");
	CU_ASSERT_EQUAL(r.for_ms, 7200000);
	CU_ASSERT_TRUE(r.force);
	CU_ASSERT_STRING_EQUAL(r.reason, "");
	mp_ctl_request_clear(&r);

	/* "update" is written only when true. */
	roundtrip("{\"cmd\":\"drain\",\"mirror\":\"m\",\"update\":true}",
		  "{\"cmd\":\"drain\",\"mirror\":\"m\",\"force\":false,"
		  "\"update\":true}",
		  &r);
	CU_ASSERT_TRUE(r.update);
	CU_ASSERT_FALSE(r.force);
	CU_ASSERT_PTR_NULL(r.reason);
	mp_ctl_request_clear(&r);
	roundtrip("{\"cmd\":\"drain\",\"mirror\":\"m\",\"update\":false}",
		  "{\"cmd\":\"drain\",\"mirror\":\"m\",\"force\":false}", &r);
	CU_ASSERT_FALSE(r.update);
	mp_ctl_request_clear(&r);

	/* Minimal: "force" is always written. */
	roundtrip("{\"cmd\":\"drain\",\"mirror\":\"m\"}",
		  "{\"cmd\":\"drain\",\"mirror\":\"m\",\"force\":false}", &r);
	mp_ctl_request_clear(&r);

	/* Durations keep their exact value. */
	roundtrip("{\"cmd\":\"drain\",\"mirror\":\"m\",\"for\":\"90m\"}",
		  "{\"cmd\":\"drain\",\"mirror\":\"m\",\"for\":\"1h30m\","
		  "\"force\":false}",
		  &r);
	CU_ASSERT_EQUAL(r.for_ms, 5400000);
	mp_ctl_request_clear(&r);
	roundtrip("{\"cmd\":\"drain\",\"mirror\":\"m\",\"for\":\"1500ms\"}",
		  "{\"cmd\":\"drain\",\"mirror\":\"m\",\"for\":\"1500ms\","
		  "\"force\":false}",
		  &r);
	CU_ASSERT_EQUAL(r.for_ms, 1500);
	mp_ctl_request_clear(&r);
	roundtrip("{\"cmd\":\"drain\",\"mirror\":\"m\",\"for\":\"7200\"}",
		  "{\"cmd\":\"drain\",\"mirror\":\"m\",\"for\":\"2h\","
		  "\"force\":false}",
		  &r);
	mp_ctl_request_clear(&r);
}

static void test_reason_unicode(void)
{
	struct mp_ctl_request r;
	char line[1024], want[1024];
	char reason[512];
	size_t o = 0;

	/* 200 characters of two bytes each: at the limit, accepted. */
	for (int i = 0; i < 200; i++) {
		reason[o++] = (char)0xc3;
		reason[o++] = (char)0xa9; /* é */
	}
	reason[o] = '\0';
	snprintf(line, sizeof(line),
		 "{\"cmd\":\"drain\",\"mirror\":\"m\",\"reason\":\"%s\"}",
		 reason);
	snprintf(want, sizeof(want),
		 "{\"cmd\":\"drain\",\"mirror\":\"m\",\"reason\":\"%s\","
		 "\"force\":false}",
		 reason);
	roundtrip(line, want, &r);
	CU_ASSERT_STRING_EQUAL(r.reason, reason);
	mp_ctl_request_clear(&r);

	/* A JSON escape of a printable character is fine. */
	roundtrip("{\"cmd\":\"drain\",\"mirror\":\"m\",\"reason\":"
		  "\"Plattentausch \\u2013 RAID\"}",
		  "{\"cmd\":\"drain\",\"mirror\":\"m\",\"reason\":"
		  "\"Plattentausch \xe2\x80\x93 RAID\",\"force\":false}",
		  &r);
	mp_ctl_request_clear(&r);
}

static void test_undrain(void)
{
	struct mp_ctl_request r;

	roundtrip("{\"cmd\":\"undrain\",\"mirror\":\"mirror1\"}",
		  "{\"cmd\":\"undrain\",\"mirror\":\"mirror1\"}", &r);
	CU_ASSERT_EQUAL(r.cmd, MP_CTL_UNDRAIN);
	CU_ASSERT_FALSE(r.has_address);
	mp_ctl_request_clear(&r);

	roundtrip("{\"cmd\":\"undrain\",\"mirror\":\"mirror1\","
		  "\"address\":\"192.0.2.10\"}",
		  "{\"cmd\":\"undrain\",\"mirror\":\"mirror1\","
		  "\"address\":\"192.0.2.10\"}",
		  &r);
	CU_ASSERT_TRUE(r.has_address);
	CU_ASSERT_EQUAL(r.address.family, AF_INET);
	mp_ctl_request_clear(&r);
}

static void test_check_and_simple(void)
{
	struct mp_ctl_request r;

	roundtrip("{\"cmd\":\"check\"}", "{\"cmd\":\"check\"}", &r);
	CU_ASSERT_EQUAL(r.cmd, MP_CTL_CHECK);
	CU_ASSERT_PTR_NULL(r.mirror);
	mp_ctl_request_clear(&r);
	roundtrip("{\"cmd\":\"check\",\"mirror\":\"mirror2\"}",
		  "{\"cmd\":\"check\",\"mirror\":\"mirror2\"}", &r);
	CU_ASSERT_STRING_EQUAL(r.mirror, "mirror2");
	mp_ctl_request_clear(&r);

	roundtrip("{\"cmd\":\"sync\"}", "{\"cmd\":\"sync\"}", &r);
	CU_ASSERT_EQUAL(r.cmd, MP_CTL_SYNC);
	mp_ctl_request_clear(&r);
	roundtrip("{\"cmd\":\"reload\"}", "{\"cmd\":\"reload\"}", &r);
	CU_ASSERT_EQUAL(r.cmd, MP_CTL_RELOAD);
	mp_ctl_request_clear(&r);
	roundtrip("{\"cmd\":\"metrics\"}", "{\"cmd\":\"metrics\"}", &r);
	CU_ASSERT_EQUAL(r.cmd, MP_CTL_METRICS);
	mp_ctl_request_clear(&r);
}

static void test_encode_skips_foreign_fields(void)
{
	struct mp_ctl_request r;
	char *s;

	memset(&r, 0, sizeof(r));
	r.cmd = MP_CTL_SYNC;
	r.mirror = "ignored";
	r.force = true;
	s = mp_ctl_request_encode(&r);
	CU_ASSERT_STRING_EQUAL(s, "{\"cmd\":\"sync\"}");
	free(s);

	/* A reason with a newline stays on one line. */
	memset(&r, 0, sizeof(r));
	r.cmd = MP_CTL_DRAIN;
	r.mirror = "m";
	r.reason = "a\nb";
	s = mp_ctl_request_encode(&r);
	CU_ASSERT_STRING_EQUAL(s, "{\"cmd\":\"drain\",\"mirror\":\"m\","
				  "\"reason\":\"a\\nb\",\"force\":false}");
	free(s);

	r.cmd = (enum mp_ctl_cmd)7;
	CU_ASSERT_PTR_NULL(mp_ctl_request_encode(&r));
}

static void test_cmd_names(void)
{
	CU_ASSERT_STRING_EQUAL(mp_ctl_cmd_name(MP_CTL_STATUS), "status");
	CU_ASSERT_STRING_EQUAL(mp_ctl_cmd_name(MP_CTL_DRAIN), "drain");
	CU_ASSERT_STRING_EQUAL(mp_ctl_cmd_name(MP_CTL_UNDRAIN), "undrain");
	CU_ASSERT_STRING_EQUAL(mp_ctl_cmd_name(MP_CTL_CHECK), "check");
	CU_ASSERT_STRING_EQUAL(mp_ctl_cmd_name(MP_CTL_SYNC), "sync");
	CU_ASSERT_STRING_EQUAL(mp_ctl_cmd_name(MP_CTL_RELOAD), "reload");
	CU_ASSERT_STRING_EQUAL(mp_ctl_cmd_name(MP_CTL_METRICS), "metrics");
	CU_ASSERT_STRING_EQUAL(mp_ctl_cmd_name((enum mp_ctl_cmd)7), "?");
}

static void reject_n(const char *line, size_t len, const char *want)
{
	struct mp_ctl_request r;
	char err[256] = "untouched";

	memset(&r, 0x5a, sizeof(r));
	CU_ASSERT_EQUAL(mp_ctl_request_parse(line, len, &r, err, sizeof(err)),
			MP_EINVAL);
	CU_ASSERT_STRING_EQUAL(err, want);
	/* Nothing is left allocated or half-filled. */
	CU_ASSERT_PTR_NULL(r.pool);
	CU_ASSERT_PTR_NULL(r.mirror);
	CU_ASSERT_PTR_NULL(r.reason);
	CU_ASSERT_FALSE(r.has_address);
	CU_ASSERT_EQUAL(r.for_ms, 0);
	CU_ASSERT_FALSE(r.force);
	if (strcmp(err, want) != 0)
		fprintf(stderr, "\n  %s\n  got:  %s\n  want: %s\n", line, err,
			want);
}

static void reject(const char *line, const char *want)
{
	reject_n(line, strlen(line), want);
}

static void test_bad_json(void)
{
	reject("", "request is not valid JSON");
	reject("{", "request is not valid JSON");
	reject("cmd=sync", "request is not valid JSON");
	reject("{\"cmd\":\"sync\"} {}", "request is not valid JSON");
	reject("{'cmd':'sync'}", "request is not valid JSON");
	/* Invalid UTF-8 and NUL are refused by the JSON parser. */
	reject("{\"cmd\":\"drain\",\"mirror\":\"\xff\"}",
	       "request is not valid JSON");
	reject("{\"cmd\":\"drain\",\"mirror\":\"a\\u0000b\"}",
	       "request is not valid JSON");
	reject_n("{\"cmd\":\"sync\"}\0", 15, "request is not valid JSON");
	reject("{\"cmd\":\"sync\",\"cmd\":\"sync\"}",
	       "duplicate key in request");

	reject("[]", "request must be a JSON object");
	reject("\"sync\"", "request must be a JSON object");
	reject("42", "request must be a JSON object");
	reject("null", "request must be a JSON object");
}

static void test_bad_cmd(void)
{
	char line[256];

	reject("{}", "missing \"cmd\"");
	reject("{\"mirror\":\"m\"}", "missing \"cmd\"");
	reject("{\"cmd\":1}", "\"cmd\" must be a string");
	reject("{\"cmd\":null}", "\"cmd\" must be a string");
	reject("{\"cmd\":[\"sync\"]}", "\"cmd\" must be a string");
	reject("{\"cmd\":\"halt\"}", "unknown command \"halt\"");
	reject("{\"cmd\":\"Status\"}", "unknown command \"Status\"");
	reject("{\"cmd\":\"\"}", "unknown command \"\"");
	/* Echoed safely: no raw control bytes, no unbounded length. */
	reject("{\"cmd\":\"a\\nb\\u00e9\"}", "unknown command \"a?b??\"");
	snprintf(line, sizeof(line), "{\"cmd\":\"%0100d\"}", 7);
	reject(line, "unknown command \"0000000000000000000000000000000000000"
		     "000000000000000000000000000...\"");
}

static void test_unknown_keys(void)
{
	reject("{\"cmd\":\"sync\",\"pool\":\"x\"}",
	       "unknown key \"pool\" for sync");
	reject("{\"cmd\":\"reload\",\"force\":true}",
	       "unknown key \"force\" for reload");
	reject("{\"cmd\":\"metrics\",\"x\":1}",
	       "unknown key \"x\" for metrics");
	reject("{\"cmd\":\"status\",\"mirror\":\"m\"}",
	       "unknown key \"mirror\" for status");
	reject("{\"cmd\":\"check\",\"address\":\"192.0.2.1\"}",
	       "unknown key \"address\" for check");
	reject("{\"cmd\":\"undrain\",\"mirror\":\"m\",\"reason\":\"x\"}",
	       "unknown key \"reason\" for undrain");
	reject("{\"cmd\":\"undrain\",\"mirror\":\"m\",\"force\":true}",
	       "unknown key \"force\" for undrain");
	reject("{\"cmd\":\"undrain\",\"mirror\":\"m\",\"update\":true}",
	       "unknown key \"update\" for undrain");
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"update\":1}",
	       "\"update\" must be true or false");
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"forse\":true}",
	       "unknown key \"forse\" for drain");
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"Mirror\":\"m\"}",
	       "unknown key \"Mirror\" for drain");
}

static void test_missing_mirror(void)
{
	reject("{\"cmd\":\"drain\"}", "drain needs \"mirror\"");
	reject("{\"cmd\":\"drain\",\"reason\":\"x\",\"force\":true}",
	       "drain needs \"mirror\"");
	reject("{\"cmd\":\"undrain\"}", "undrain needs \"mirror\"");
	reject("{\"cmd\":\"undrain\",\"address\":\"192.0.2.1\"}",
	       "undrain needs \"mirror\"");
}

static void test_bad_names(void)
{
	char line[512];

	reject("{\"cmd\":\"drain\",\"mirror\":5}",
	       "\"mirror\" must be a string");
	reject("{\"cmd\":\"drain\",\"mirror\":null}",
	       "\"mirror\" must be a string");
	reject("{\"cmd\":\"drain\",\"mirror\":\"\"}",
	       "\"mirror\" must not be empty");
	reject("{\"cmd\":\"drain\",\"mirror\":\"a\\tb\"}",
	       "\"mirror\" must not contain control characters");
	reject("{\"cmd\":\"check\",\"mirror\":\"a\\u009bb\"}",
	       "\"mirror\" must not contain control characters");
	reject("{\"cmd\":\"status\",\"pool\":true}",
	       "\"pool\" must be a string");
	reject("{\"cmd\":\"status\",\"pool\":\"\"}",
	       "\"pool\" must not be empty");
	snprintf(line, sizeof(line),
		 "{\"cmd\":\"undrain\",\"mirror\":\"%0256d\"}", 1);
	reject(line, "\"mirror\" is longer than 255 bytes");
}

static void test_bad_address(void)
{
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"address\":10}",
	       "\"address\" must be a string");
	reject(
	    "{\"cmd\":\"drain\",\"mirror\":\"m\",\"address\":\"192.0.2.300\"}",
	    "invalid address \"192.0.2.300\"");
	reject("{\"cmd\":\"undrain\",\"mirror\":\"m\",\"address\":"
	       "\"192.0.2.1/32\"}",
	       "invalid address \"192.0.2.1/32\"");
	reject("{\"cmd\":\"undrain\",\"mirror\":\"m\",\"address\":\"[::1]\"}",
	       "invalid address \"[::1]\"");
	reject("{\"cmd\":\"undrain\",\"mirror\":\"m\",\"address\":\"\"}",
	       "invalid address \"\"");
}

static void test_bad_duration(void)
{
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"for\":\"2 hours\"}",
	       "invalid duration \"2 hours\"");
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"for\":\"-1h\"}",
	       "invalid duration \"-1h\"");
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"for\":7200}",
	       "\"for\" must be a duration string such as \"2h\"");
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"for\":\"0s\"}",
	       "\"for\" must be longer than 0");
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"for\":"
	       "\"99999999999999999999d\"}",
	       "duration \"99999999999999999999d\" is too long (at most 365d; "
	       "drain without \"for\" to drain until undrained)");
	/* now + for must not wrap: over a year is refused, a year is fine */
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"for\":"
	       "\"18446744073709551615ms\"}",
	       "duration \"18446744073709551615ms\" is too long (at most "
	       "365d; drain without \"for\" to drain until undrained)");
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"for\":\"365d1ms\"}",
	       "duration \"365d1ms\" is too long (at most 365d; drain without "
	       "\"for\" to drain until undrained)");
	{
		struct mp_ctl_request r;
		char err[256];
		const char *ok =
		    "{\"cmd\":\"drain\",\"mirror\":\"m\",\"for\":\"365d\"}";
		CU_ASSERT_EQUAL(
		    mp_ctl_request_parse(ok, strlen(ok), &r, err, sizeof(err)),
		    MP_OK);
		CU_ASSERT_EQUAL(r.for_ms, MP_DURATION_MAX_ADD_MS);
		mp_ctl_request_clear(&r);
	}
}

static void test_bad_force(void)
{
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"force\":\"yes\"}",
	       "\"force\" must be true or false");
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"force\":1}",
	       "\"force\" must be true or false");
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"force\":null}",
	       "\"force\" must be true or false");
}

static void test_bad_reason(void)
{
	char line[1024];
	int n;

	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"reason\":5}",
	       "\"reason\" must be a string");
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"reason\":\"a\\nb\"}",
	       "\"reason\" must not contain control characters");
	reject(
	    "{\"cmd\":\"drain\",\"mirror\":\"m\",\"reason\":\"\\u001b[31m\"}",
	    "\"reason\" must not contain control characters");
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"reason\":\"a\\u007f\"}",
	       "\"reason\" must not contain control characters");
	reject("{\"cmd\":\"drain\",\"mirror\":\"m\",\"reason\":\"\\u0085\"}",
	       "\"reason\" must not contain control characters");

	/* 201 characters. */
	n = snprintf(line, sizeof(line),
		     "{\"cmd\":\"drain\",\"mirror\":\"m\",\"reason\":\"");
	for (int i = 0; i < 201; i++)
		line[n++] = 'r';
	snprintf(line + n, sizeof(line) - (size_t)n, "\"}");
	reject(line, "\"reason\" is longer than 200 characters");
}

static void test_line_limit(void)
{
	struct mp_ctl_request r;
	char err[128];
	char *line = malloc(MP_CTL_MAX_LINE + 2);
	const char *req = "{\"cmd\":\"sync\"}";

	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	/* Exactly at the limit (padded with JSON whitespace): accepted. */
	memset(line, ' ', MP_CTL_MAX_LINE + 1);
	memcpy(line, req, strlen(req));
	CU_ASSERT_EQUAL(
	    mp_ctl_request_parse(line, MP_CTL_MAX_LINE, &r, err, sizeof(err)),
	    MP_OK);
	CU_ASSERT_EQUAL(r.cmd, MP_CTL_SYNC);
	mp_ctl_request_clear(&r);
	reject_n(line, MP_CTL_MAX_LINE + 1,
		 "request is longer than 65536 bytes");
	free(line);

	/* The line need not be NUL-terminated. */
	CU_ASSERT_EQUAL(mp_ctl_request_parse("{\"cmd\":\"reload\"}garbage", 16,
					     &r, err, sizeof(err)),
			MP_OK);
	CU_ASSERT_EQUAL(r.cmd, MP_CTL_RELOAD);

	/* No error buffer: still refused. */
	CU_ASSERT_EQUAL(mp_ctl_request_parse("{", 1, &r, NULL, 0), MP_EINVAL);
	/* A short buffer is truncated, not overrun. */
	memset(err, 'x', sizeof(err));
	CU_ASSERT_EQUAL(mp_ctl_request_parse("{", 1, &r, err, 8), MP_EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "request");
	CU_ASSERT_EQUAL(err[8], 'x');
}

/* ------------------------------------------------------------------------
 * Replies
 */

static void test_reply_ok(void)
{
	char *s;

	s = mp_ctl_reply_ok(NULL);
	CU_ASSERT_STRING_EQUAL(s, "{\"ok\":true}");
	free(s);

	s = mp_ctl_reply_ok(json_pack("{s:s,s:i,s:[s]}", "state", "up", "n", 3,
				      "published", "192.0.2.10"));
	CU_ASSERT_STRING_EQUAL(s, "{\"ok\":true,\"state\":\"up\",\"n\":3,"
				  "\"published\":[\"192.0.2.10\"]}");
	free(s);

	/* A stray "ok" cannot turn the reply into a failure. */
	s = mp_ctl_reply_ok(json_pack("{s:b,s:i}", "ok", 0, "x", 1));
	CU_ASSERT_STRING_EQUAL(s, "{\"ok\":true,\"x\":1}");
	free(s);

	/* Text with newlines stays on one line. */
	s = mp_ctl_reply_ok(
	    json_pack("{s:s}", "metrics", "# TYPE a gauge\na 1\n"));
	CU_ASSERT_STRING_EQUAL(
	    s, "{\"ok\":true,\"metrics\":\"# TYPE a gauge\\na 1\\n\"}");
	CU_ASSERT_PTR_NULL(strchr(s, '\n'));
	free(s);

	/* Not an object: refused, and the reference is still taken. */
	CU_ASSERT_PTR_NULL(mp_ctl_reply_ok(json_array()));
}

static void test_reply_error(void)
{
	char *s;

	s = mp_ctl_reply_error("drain %s refused: would leave %d of %d", "m1",
			       1, 2);
	CU_ASSERT_STRING_EQUAL(s, "{\"ok\":false,\"error\":\"drain m1 refused: "
				  "would leave 1 of 2\"}");
	free(s);

	s = mp_ctl_reply_error("%s", "line1\nline2 \"quoted\"");
	CU_ASSERT_STRING_EQUAL(
	    s, "{\"ok\":false,\"error\":\"line1\\nline2 \\\"quoted\\\"\"}");
	CU_ASSERT_PTR_NULL(strchr(s, '\n'));
	free(s);

	/* Invalid UTF-8 is replaced, valid UTF-8 kept. */
	s = mp_ctl_reply_error("bad \xff\xc3 \xed\xa0\x80 caf\xc3\xa9");
	CU_ASSERT_STRING_EQUAL(s, "{\"ok\":false,\"error\":\"bad ?? ??? "
				  "caf\xc3\xa9\"}");
	free(s);
}

static void test_reply_parse(void)
{
	json_t *obj;
	const char *error;
	bool ok;
	char *s;

	CU_ASSERT_EQUAL(
	    mp_ctl_reply_parse("{\"ok\":true,\"n\":3}\n", &obj, &ok, &error),
	    MP_OK);
	CU_ASSERT_TRUE(ok);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(obj, "n")), 3);
	json_decref(obj);

	s = mp_ctl_reply_error("no mirror \"%s\"", "mirror9");
	CU_ASSERT_EQUAL(mp_ctl_reply_parse(s, &obj, &ok, &error), MP_OK);
	CU_ASSERT_FALSE(ok);
	CU_ASSERT_STRING_EQUAL(error, "no mirror \"mirror9\"");
	json_decref(obj);

	/* Without obj, error is not set (it would dangle). */
	ok = true;
	error = "x";
	CU_ASSERT_EQUAL(mp_ctl_reply_parse(s, NULL, &ok, &error), MP_OK);
	CU_ASSERT_FALSE(ok);
	CU_ASSERT_PTR_NULL(error);
	free(s);
	CU_ASSERT_EQUAL(mp_ctl_reply_parse("{\"ok\":true}", NULL, NULL, NULL),
			MP_OK);

	const char *bad[] = {
	    "",
	    "not json",
	    "[true]",
	    "{}",
	    "{\"ok\":1}",
	    "{\"ok\":\"true\"}",
	    "{\"ok\":false}",
	    "{\"ok\":false,\"error\":5}",
	    "{\"ok\":true,\"ok\":true}",
	    "{\"ok\":true} trailing",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = (json_t *)1;
		ok = true;
		error = "x";
		CU_ASSERT_EQUAL(mp_ctl_reply_parse(bad[i], &obj, &ok, &error),
				MP_EPROTO);
		CU_ASSERT_PTR_NULL(obj);
		CU_ASSERT_FALSE(ok);
		CU_ASSERT_PTR_NULL(error);
	}
}

/* ------------------------------------------------------------------------
 * Framer
 */

static struct mp_ctl_framer fr;

static void feed(const char *s)
{
	CU_ASSERT_EQUAL(mp_ctl_framer_feed(&fr, s, strlen(s)), MP_OK);
}

static void expect_line(const char *want)
{
	const char *line = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(mp_ctl_framer_next(&fr, &line, &len), 1);
	CU_ASSERT_STRING_EQUAL(line, want);
	CU_ASSERT_EQUAL(len, strlen(want));
}

static void expect_none(void)
{
	const char *line;
	size_t len;

	CU_ASSERT_EQUAL(mp_ctl_framer_next(&fr, &line, &len), 0);
}

static void expect_space(void)
{
	const char *line;
	size_t len;

	CU_ASSERT_EQUAL(mp_ctl_framer_next(&fr, &line, &len), MP_ESPACE);
}

static void test_framer_split(void)
{
	mp_ctl_framer_init(&fr);
	expect_none();
	feed("{\"cmd\":");
	expect_none();
	feed("\"sync\"}");
	expect_none();
	feed("\n");
	expect_line("{\"cmd\":\"sync\"}");
	expect_none();

	/* One byte at a time, with CRLF. */
	for (const char *p = "{\"cmd\":\"reload\"}\r\n"; *p; p++) {
		expect_none();
		CU_ASSERT_EQUAL(mp_ctl_framer_feed(&fr, p, 1), MP_OK);
	}
	expect_line("{\"cmd\":\"reload\"}");
	expect_none();
	mp_ctl_framer_free(&fr);
}

static void test_framer_coalesced(void)
{
	mp_ctl_framer_init(&fr);
	feed("a\nb\r\n\nc");
	expect_line("a");
	expect_line("b");
	expect_line(""); /* an empty line is a line; the server decides */
	expect_none();
	feed("d\r");
	expect_none();
	feed("\ne\n");
	expect_line("cd");
	expect_line("e");
	expect_none();
	/* A lone "\r" inside a line stays. */
	feed("x\ry\n");
	expect_line("x\ry");
	mp_ctl_framer_free(&fr);
}

static void test_framer_finish(void)
{
	const char *line;
	size_t len;

	mp_ctl_framer_init(&fr);
	feed("a\n{\"cmd\":\"sync\"}\r");
	CU_ASSERT_EQUAL(mp_ctl_framer_finish(&fr, &line, &len), 1);
	CU_ASSERT_STRING_EQUAL(line, "a");
	CU_ASSERT_EQUAL(mp_ctl_framer_finish(&fr, &line, &len), 1);
	CU_ASSERT_STRING_EQUAL(line, "{\"cmd\":\"sync\"}");
	CU_ASSERT_EQUAL(len, 14);
	CU_ASSERT_EQUAL(mp_ctl_framer_finish(&fr, &line, &len), 0);
	expect_none();
	mp_ctl_framer_free(&fr);
}

/* finish empties the framer: bytes fed after it start a new stream (they
 * used to wrap the start of the unfinished line and, past 64 KiB, make
 * mp_ctl_framer_next read beyond the buffer). */
static void test_framer_feed_after_finish(void)
{
	char *big = malloc(MP_CTL_MAX_LINE);
	const char *line;
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'x', MP_CTL_MAX_LINE);
	mp_ctl_framer_init(&fr);
	feed("a\nlast");
	CU_ASSERT_EQUAL(mp_ctl_framer_finish(&fr, &line, &len), 1);
	CU_ASSERT_EQUAL(mp_ctl_framer_finish(&fr, &line, &len), 1);
	CU_ASSERT_STRING_EQUAL(line, "last");
	CU_ASSERT_EQUAL(fr.len, fr.tail);
	feed("b\nc");
	expect_line("b");
	expect_none();
	CU_ASSERT_EQUAL(mp_ctl_framer_finish(&fr, &line, &len), 1);
	CU_ASSERT_STRING_EQUAL(line, "c");
	/* A full-size line after finish is still a line, not an overflow. */
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(
		    mp_ctl_framer_feed(&fr, big, MP_CTL_MAX_LINE / 2), MP_OK);
		CU_ASSERT_EQUAL(
		    mp_ctl_framer_feed(&fr, big, MP_CTL_MAX_LINE / 2), MP_OK);
		feed("\n");
		CU_ASSERT_EQUAL(mp_ctl_framer_next(&fr, &line, &len), 1);
		CU_ASSERT_EQUAL(len, MP_CTL_MAX_LINE);
		feed("tail");
		CU_ASSERT_EQUAL(mp_ctl_framer_finish(&fr, &line, &len), 1);
		CU_ASSERT_STRING_EQUAL(line, "tail");
	}
	expect_none();
	mp_ctl_framer_free(&fr);
	free(big);
}

static void test_framer_limit(void)
{
	char *big = malloc(MP_CTL_MAX_LINE + 3);
	const char *line;
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);

	/* Exactly MP_CTL_MAX_LINE bytes, then "\n": accepted. */
	mp_ctl_framer_init(&fr);
	memset(big, 'x', MP_CTL_MAX_LINE);
	CU_ASSERT_EQUAL(mp_ctl_framer_feed(&fr, big, MP_CTL_MAX_LINE), MP_OK);
	expect_none();
	feed("\n");
	CU_ASSERT_EQUAL(mp_ctl_framer_next(&fr, &line, &len), 1);
	CU_ASSERT_EQUAL(len, MP_CTL_MAX_LINE);

	/* The same with "\r\n", the "\r" arriving on its own first. */
	CU_ASSERT_EQUAL(mp_ctl_framer_feed(&fr, big, MP_CTL_MAX_LINE), MP_OK);
	feed("\r");
	expect_none();
	feed("\n");
	CU_ASSERT_EQUAL(mp_ctl_framer_next(&fr, &line, &len), 1);
	CU_ASSERT_EQUAL(len, MP_CTL_MAX_LINE);
	expect_none();
	mp_ctl_framer_free(&fr);

	/* One byte more, unterminated: refused as soon as it is seen, and
	 * the framer stays failed. */
	mp_ctl_framer_init(&fr);
	CU_ASSERT_EQUAL(mp_ctl_framer_feed(&fr, big, MP_CTL_MAX_LINE), MP_OK);
	feed("y");
	expect_space();
	expect_space();
	CU_ASSERT_EQUAL(mp_ctl_framer_feed(&fr, "\n", 1), MP_ESPACE);
	expect_space();
	CU_ASSERT_EQUAL(mp_ctl_framer_finish(&fr, &line, &len), MP_ESPACE);
	CU_ASSERT_EQUAL(fr.len, 0);
	mp_ctl_framer_free(&fr);

	/* One byte more, complete in one feed: refused too. */
	mp_ctl_framer_init(&fr);
	memset(big, 'x', MP_CTL_MAX_LINE + 1);
	big[MP_CTL_MAX_LINE + 1] = '\n';
	CU_ASSERT_EQUAL(mp_ctl_framer_feed(&fr, big, MP_CTL_MAX_LINE + 2),
			MP_OK);
	expect_space();
	expect_space();
	mp_ctl_framer_free(&fr);

	/* Lines before the oversized one come out first; what follows the
	 * oversized one never does. */
	mp_ctl_framer_init(&fr);
	feed("a\nb\n");
	CU_ASSERT_EQUAL(mp_ctl_framer_feed(&fr, big, MP_CTL_MAX_LINE + 2),
			MP_OK);
	feed("c\n");
	expect_line("a");
	expect_line("b");
	expect_space();
	mp_ctl_framer_free(&fr);

	/* Slow drip of a long line: memory stays bounded. */
	mp_ctl_framer_init(&fr);
	feed("ok\n");
	CU_ASSERT_EQUAL(mp_ctl_framer_feed(&fr, big, 40000), MP_OK);
	CU_ASSERT_EQUAL(fr.len, 40003);
	CU_ASSERT_EQUAL(mp_ctl_framer_feed(&fr, big, 40000), MP_OK);
	CU_ASSERT_EQUAL(fr.len, 3);
	CU_ASSERT_TRUE(fr.cap <= 4 * (size_t)MP_CTL_MAX_LINE);
	CU_ASSERT_EQUAL(mp_ctl_framer_feed(&fr, big, 1), MP_ESPACE);
	expect_line("ok");
	expect_space();
	mp_ctl_framer_free(&fr);

	free(big);
}

static void test_framer_with_parser(void)
{
	struct mp_ctl_request r;
	const char *line;
	size_t len;
	char err[128];
	int n = 0;

	mp_ctl_framer_init(&fr);
	feed("{\"cmd\":\"sync\"}\n{\"cmd\":\"drain\",\"mirror\":\"m1\"}\n{\"c");
	while (mp_ctl_framer_next(&fr, &line, &len) == 1) {
		CU_ASSERT_EQUAL(
		    mp_ctl_request_parse(line, len, &r, err, sizeof(err)),
		    MP_OK);
		CU_ASSERT_EQUAL(r.cmd, n == 0 ? MP_CTL_SYNC : MP_CTL_DRAIN);
		mp_ctl_request_clear(&r);
		n++;
	}
	CU_ASSERT_EQUAL(n, 2);
	mp_ctl_framer_free(&fr);
}

static CU_TestInfo tests[] = {
    {"status", test_status},
    {"drain", test_drain},
    {"drain reason in UTF-8", test_reason_unicode},
    {"undrain", test_undrain},
    {"check, sync, reload, metrics", test_check_and_simple},
    {"encode skips foreign fields", test_encode_skips_foreign_fields},
    {"command names", test_cmd_names},
    {"bad JSON", test_bad_json},
    {"bad cmd", test_bad_cmd},
    {"unknown keys", test_unknown_keys},
    {"missing mirror", test_missing_mirror},
    {"bad names", test_bad_names},
    {"bad address", test_bad_address},
    {"bad duration", test_bad_duration},
    {"bad force", test_bad_force},
    {"bad reason", test_bad_reason},
    {"line limit", test_line_limit},
    {"reply ok", test_reply_ok},
    {"reply error", test_reply_error},
    {"reply parse", test_reply_parse},
    {"framer split", test_framer_split},
    {"framer coalesced", test_framer_coalesced},
    {"framer finish", test_framer_finish},
    {"framer fed after finish", test_framer_feed_after_finish},
    {"framer limit", test_framer_limit},
    {"framer with parser", test_framer_with_parser},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"control_proto", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
