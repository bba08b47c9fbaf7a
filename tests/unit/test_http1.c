#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "http1.h"

/* What one parse produced, for comparing runs that split the input
 * differently. */
struct result {
	enum mp_http1_rc rc;	 /* after the last feed */
	enum mp_http1_rc eof_rc; /* after mp_http1_eof, when asked for */
	bool headers_done;
	int status;
	int64_t content_length;
	bool has_last_modified;
	char last_modified[MP_HTTP1_DATE_MAX];
	char error[128];
	unsigned char body[4096];
	size_t body_len;
	size_t body_calls;
};

struct sink {
	struct result *r;
	size_t limit; /* abort once more than this many body bytes came */
};

static bool on_body(void *arg, const unsigned char *data, size_t len)
{
	struct sink *s = arg;
	struct result *r = s->r;

	CU_ASSERT_TRUE(len > 0);
	r->body_calls++;
	/* keeps the first sizeof(r->body) bytes, however they came */
	if (r->body_len < sizeof(r->body)) {
		size_t n = sizeof(r->body) - r->body_len;

		memcpy(r->body + r->body_len, data, n < len ? n : len);
	}
	r->body_len += len;
	return r->body_len <= s->limit;
}

static struct mp_http1 parser;

static void snapshot(struct result *r, const struct mp_http1 *p)
{
	r->headers_done = mp_http1_headers_done(p);
	r->status = p->status;
	r->content_length = p->content_length;
	r->has_last_modified = p->has_last_modified;
	memcpy(r->last_modified, p->last_modified, sizeof(r->last_modified));
	snprintf(r->error, sizeof(r->error), "%s", p->error ? p->error : "");
}

/*
 * Feeds in[0..len) in pieces: cut[] holds the (increasing) split offsets,
 * n_cut of them. Then, when eof, reports the close.
 */
static void run_cuts(struct result *r, const char *in, size_t len,
		     const size_t *cut, size_t n_cut, bool eof, size_t limit)
{
	struct sink s = {r, limit};
	size_t at = 0;

	memset(r, 0, sizeof(*r));
	mp_http1_init(&parser);
	for (size_t k = 0; k <= n_cut; k++) {
		size_t end = k < n_cut ? cut[k] : len;

		r->rc = mp_http1_feed(&parser, (const unsigned char *)in + at,
				      end - at, on_body, &s);
		at = end;
	}
	r->eof_rc = eof ? mp_http1_eof(&parser) : MP_HTTP1_MORE;
	snapshot(r, &parser);
}

static void run(struct result *r, const char *in, size_t len, bool eof)
{
	run_cuts(r, in, len, NULL, 0, eof, SIZE_MAX);
}

static void run_bytes(struct result *r, const char *in, size_t len, bool eof)
{
	struct sink s = {r, SIZE_MAX};

	memset(r, 0, sizeof(*r));
	mp_http1_init(&parser);
	r->rc = MP_HTTP1_MORE;
	for (size_t i = 0; i < len; i++)
		r->rc = mp_http1_feed(&parser, (const unsigned char *)in + i, 1,
				      on_body, &s);
	r->eof_rc = eof ? mp_http1_eof(&parser) : MP_HTTP1_MORE;
	snapshot(r, &parser);
}

static bool same(const struct result *a, const struct result *b)
{
	size_t blen =
	    a->body_len < sizeof(a->body) ? a->body_len : sizeof(a->body);

	return a->rc == b->rc && a->eof_rc == b->eof_rc &&
	       a->headers_done == b->headers_done && a->status == b->status &&
	       a->content_length == b->content_length &&
	       a->has_last_modified == b->has_last_modified &&
	       strcmp(a->last_modified, b->last_modified) == 0 &&
	       strcmp(a->error, b->error) == 0 && a->body_len == b->body_len &&
	       memcmp(a->body, b->body, blen) == 0;
}

/*
 * Parses in whole into *r, then checks that one byte at a time, every
 * single split point (for inputs up to 4 KiB) and a few random multi-way
 * splits all give the same result.
 */
static void parse(struct result *r, const char *in, size_t len, bool eof)
{
	static struct result other;
	uint32_t seed = 0x9e3779b9u ^ (uint32_t)len;
	size_t cut[16];

	run(r, in, len, eof);
	run_bytes(&other, in, len, eof);
	CU_ASSERT_TRUE(same(r, &other));
	if (len <= 4096) {
		for (size_t k = 0; k <= len; k++) {
			run_cuts(&other, in, len, &k, 1, eof, SIZE_MAX);
			if (!same(r, &other)) {
				CU_FAIL("split changes the result");
				fprintf(stderr, "split at %zu differs\n", k);
				break;
			}
		}
	}
	for (int t = 0; t < 20 && len > 0; t++) {
		size_t n = 1 + mp_unit_xorshift(&seed) % 15;

		for (size_t k = 0; k < n; k++)
			cut[k] = mp_unit_xorshift(&seed) % (len + 1);
		/* sort the offsets: insertion sort on at most 15 */
		for (size_t k = 1; k < n; k++)
			for (size_t j = k; j > 0 && cut[j - 1] > cut[j]; j--) {
				size_t tmp = cut[j];

				cut[j] = cut[j - 1];
				cut[j - 1] = tmp;
			}
		run_cuts(&other, in, len, cut, n, eof, SIZE_MAX);
		CU_ASSERT_TRUE(same(r, &other));
	}
}

static struct result res;

static void parse_str(const char *in, bool eof)
{
	parse(&res, in, strlen(in), eof);
}

static bool body_is(const char *want)
{
	return res.body_len == strlen(want) &&
	       memcmp(res.body, want, res.body_len) == 0;
}

/* Expects in to end with ERROR and the reason why (eof or not). */
static void expect_error(const char *in, const char *why)
{
	parse_str(in, true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_ERROR);
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_ERROR);
	CU_ASSERT_STRING_EQUAL(res.error, why);
	if (res.rc != MP_HTTP1_ERROR || strcmp(res.error, why) != 0)
		fprintf(stderr, "input %.60s: rc %d, error \"%s\"\n", in,
			res.rc, res.error);
}

static void test_content_length(void)
{
	const char in[] = "HTTP/1.1 200 OK\r\n"
			  "Server: nginx\r\n"
			  "Content-Length: 12\r\n"
			  "\r\n"
			  "hello, world";

	mp_http1_init(&parser);
	CU_ASSERT_FALSE(mp_http1_headers_done(&parser));
	CU_ASSERT_EQUAL(parser.content_length, -1);
	CU_ASSERT_PTR_NULL(parser.error);
	parse_str(in, false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_TRUE(res.headers_done);
	CU_ASSERT_EQUAL(res.status, 200);
	CU_ASSERT_EQUAL(res.content_length, 12);
	CU_ASSERT_FALSE(res.has_last_modified);
	CU_ASSERT_TRUE(body_is("hello, world"));
	CU_ASSERT_STRING_EQUAL(res.error, "");
	/* whole, the body comes in one call straight from the buffer */
	run(&res, in, strlen(in), false);
	CU_ASSERT_EQUAL(res.body_calls, 1);
	run_bytes(&res, in, strlen(in), false);
	CU_ASSERT_EQUAL(res.body_calls, 12);

	/* headers done before any body byte; DONE at the last one */
	{
		size_t head = strlen(in) - 12;

		mp_http1_init(&parser);
		CU_ASSERT_EQUAL(mp_http1_feed(&parser,
					      (const unsigned char *)in,
					      head - 1, NULL, NULL),
				MP_HTTP1_MORE);
		CU_ASSERT_FALSE(mp_http1_headers_done(&parser));
		CU_ASSERT_EQUAL(
		    mp_http1_feed(&parser, (const unsigned char *)in + head - 1,
				  12, NULL, NULL),
		    MP_HTTP1_MORE);
		CU_ASSERT_TRUE(mp_http1_headers_done(&parser));
		CU_ASSERT_EQUAL(parser.status, 200);
		CU_ASSERT_EQUAL(
		    mp_http1_feed(&parser,
				  (const unsigned char *)in + head + 11, 1,
				  NULL, NULL),
		    MP_HTTP1_DONE);
	}

	/* Content-Length 0: DONE at the end of the headers */
	parse_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.content_length, 0);
	CU_ASSERT_EQUAL(res.body_len, 0);
	CU_ASSERT_EQUAL(res.body_calls, 0);

	/* OWS around the value and a mixed-case name */
	parse_str("HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh: \t 3 \t\r\n\r\nabc",
		  false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.content_length, 3);
	CU_ASSERT_TRUE(body_is("abc"));

	/* leading zeros are still decimal */
	parse_str("HTTP/1.1 200 OK\r\nContent-Length: 010\r\n\r\n0123456789",
		  false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.content_length, 10);

	/* the largest value: the parse waits for the body */
	parse_str("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807"
		  "\r\n\r\nab",
		  true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_MORE);
	CU_ASSERT_EQUAL(res.content_length, INT64_MAX);
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_CLOSED);
	CU_ASSERT_STRING_EQUAL(res.error,
			       "transfer closed with 9223372036854775805 "
			       "bytes remaining to read");
}

static void test_null_callback(void)
{
	const char in[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";

	mp_http1_init(&parser);
	CU_ASSERT_EQUAL(mp_http1_feed(&parser, (const unsigned char *)in,
				      strlen(in), NULL, NULL),
			MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(parser.status, 200);
	/* a zero-length feed is harmless in any state */
	CU_ASSERT_EQUAL(mp_http1_feed(&parser, NULL, 0, NULL, NULL),
			MP_HTTP1_DONE);
	mp_http1_init(&parser);
	CU_ASSERT_EQUAL(mp_http1_feed(&parser, NULL, 0, NULL, NULL),
			MP_HTTP1_MORE);
	CU_ASSERT_EQUAL(mp_http1_eof(&parser), MP_HTTP1_CLOSED);
	CU_ASSERT_STRING_EQUAL(parser.error, "Empty reply from server");
}

static void test_until_close(void)
{
	parse_str("HTTP/1.0 200 OK\r\nServer: old\r\n\r\nsome\r\nbody", true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_MORE);
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.status, 200);
	CU_ASSERT_EQUAL(res.content_length, -1);
	CU_ASSERT_TRUE(body_is("some\r\nbody"));
	CU_ASSERT_STRING_EQUAL(res.error, "");

	/* an empty body read until close is complete too */
	parse_str("HTTP/1.1 200 OK\r\n\r\n", true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_MORE);
	CU_ASSERT_TRUE(res.headers_done);
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.body_len, 0);

	/* DONE after eof stays DONE */
	mp_http1_init(&parser);
	mp_http1_feed(&parser, (const unsigned char *)"HTTP/1.0 200 OK\n\nx",
		      18, NULL, NULL);
	CU_ASSERT_EQUAL(mp_http1_eof(&parser), MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(mp_http1_eof(&parser), MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(
	    mp_http1_feed(&parser, (const unsigned char *)"y", 1, NULL, NULL),
	    MP_HTTP1_DONE);
}

static void test_chunked(void)
{
	parse_str("HTTP/1.1 200 OK\r\n"
		  "Transfer-Encoding: chunked\r\n"
		  "\r\n"
		  "5;name=value;other=\"q;d\"\r\n"
		  "hello\r\n"
		  "A ; ext\r\n"
		  ", 01234567\r\n"
		  "00000000000000000001\r\n"
		  "!\r\n"
		  "b\r\n"
		  "0\r\n\r\n0\r\n\r\nx\r\n"
		  "0;last\r\n"
		  "X-Checksum: abc\r\n"
		  "Expires: never\r\n"
		  "\r\n",
		  false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.status, 200);
	CU_ASSERT_EQUAL(res.content_length, -1);
	CU_ASSERT_TRUE(body_is("hello, 01234567!0\r\n\r\n0\r\n\r\nx"));

	/* bare LF everywhere, no trailers */
	parse_str("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n"
		  "3\nabc\n0\n\n",
		  false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_TRUE(body_is("abc"));

	/* a trailer does not change the results */
	parse_str("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		  "Last-Modified: one\r\n\r\n"
		  "1\r\nx\r\n0\r\nLast-Modified: two\r\n"
		  "Content-Length: 99\r\n\r\n",
		  false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_STRING_EQUAL(res.last_modified, "one");
	CU_ASSERT_EQUAL(res.content_length, -1);
	CU_ASSERT_TRUE(body_is("x"));

	/* the largest chunk size is accepted and then waited for */
	parse_str("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "7fffffffffffffff\r\nabc",
		  true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_MORE);
	CU_ASSERT_TRUE(body_is("abc"));
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_CLOSED);
	CU_ASSERT_STRING_EQUAL(
	    res.error, "transfer closed with outstanding read data remaining");
}

static void test_chunk_errors(void)
{
#define CH "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	expect_error(CH "8000000000000000\r\n", "chunk size too large");
	expect_error(CH "ffffffffffffffffff\r\n", "chunk size too large");
	expect_error(CH "10000000000000000\r\n", "chunk size too large");
	expect_error(CH "\r\n", "bad chunk size");
	expect_error(CH "g\r\n", "bad chunk size");
	expect_error(CH "-5\r\n", "bad chunk size");
	expect_error(CH "+5\r\n", "bad chunk size");
	expect_error(CH " 5\r\n", "bad chunk size");
	expect_error(CH "5 x\r\n", "bad chunk size");
	expect_error(CH "0x5\r\n", "bad chunk size");
	expect_error(CH "5\rx\r\n", "bad chunk size");
	expect_error(CH "5\r\nhelloX\r\n0\r\n\r\n", "no CRLF after chunk data");
	expect_error(CH "5\r\nhello\rX\n0\r\n\r\n", "no CRLF after chunk data");
	expect_error(CH "5\r\nhello\r\r\n0\r\n\r\n",
		     "no CRLF after chunk data");
	expect_error(CH "5\r\nhello world\r\n", "no CRLF after chunk data");
	/* trailers are header lines */
	expect_error(CH "0\r\n bad\r\n\r\n", "obsolete header line folding");
	expect_error(CH "0\r\nno colon\r\n\r\n", "bad header line");
#undef CH
}

static void test_chunk_errors_nul(void)
{
	static const char in[] = "HTTP/1.1 200 OK\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n"
				 "0\r\nX: a\0b\r\n\r\n";

	parse(&res, in, sizeof(in) - 1, true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_ERROR);
	CU_ASSERT_STRING_EQUAL(res.error, "NUL byte in response headers");
}

static void test_interim(void)
{
	const char in[] = "HTTP/1.1 100 Continue\r\n"
			  "\r\n"
			  "HTTP/1.1 103 Early Hints\r\n"
			  "Link: </style.css>; rel=preload\r\n"
			  "Content-Length: 99\r\n"
			  "Last-Modified: early\r\n"
			  "\r\n"
			  "HTTP/1.1 200 OK\r\n"
			  "Content-Length: 2\r\n"
			  "\r\n"
			  "ok";

	parse_str(in, false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.status, 200);
	CU_ASSERT_EQUAL(res.content_length, 2);
	CU_ASSERT_FALSE(res.has_last_modified);
	CU_ASSERT_TRUE(body_is("ok"));

	/* after the interim responses alone, the headers are not done */
	run(&res, in,
	    strlen(in) - strlen("HTTP/1.1 200 OK\r\n"
				"Content-Length: 2\r\n\r\nok"),
	    true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_MORE);
	CU_ASSERT_FALSE(res.headers_done);
	CU_ASSERT_EQUAL(res.status, 0);
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_CLOSED);
	CU_ASSERT_STRING_EQUAL(res.error, "incomplete response headers");

	expect_error("HTTP/1.1 101 Switching Protocols\r\n"
		     "Upgrade: websocket\r\n\r\n",
		     "unexpected 101 Switching Protocols");
	CU_ASSERT_FALSE(res.headers_done);
	CU_ASSERT_EQUAL(res.status, 0);
	expect_error("HTTP/1.1 100 Continue\r\n\r\n"
		     "HTTP/1.1 101 Switching Protocols\r\n\r\n",
		     "unexpected 101 Switching Protocols");
	/* an interim response's headers are checked all the same */
	expect_error("HTTP/1.1 100 Continue\r\nbad\r\n\r\n", "bad header line");
}

static void test_no_body(void)
{
	parse_str("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
		  "trailing garbage",
		  true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.status, 204);
	CU_ASSERT_EQUAL(res.content_length, -1);
	CU_ASSERT_EQUAL(res.body_calls, 0);

	parse_str("HTTP/1.1 304 Not Modified\r\n"
		  "Transfer-Encoding: chunked\r\n"
		  "Last-Modified: Sat, 22 Nov 2025 08:26:40 GMT\r\n\r\n",
		  false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.status, 304);
	CU_ASSERT_EQUAL(res.content_length, -1);
	CU_ASSERT_TRUE(res.has_last_modified);
	CU_ASSERT_STRING_EQUAL(res.last_modified,
			       "Sat, 22 Nov 2025 08:26:40 GMT");
	CU_ASSERT_EQUAL(res.body_calls, 0);

	/* any other status has a body */
	parse_str("HTTP/1.1 205 Reset Content\r\n\r\nx", true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_MORE);
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_DONE);
	CU_ASSERT_TRUE(body_is("x"));
}

static void test_transfer_encoding(void)
{
	/* TE wins over CL, whichever comes first */
	parse_str("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		  "Content-Length: 100\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		  false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.content_length, -1);
	CU_ASSERT_TRUE(body_is("abc"));
	parse_str("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
		  "transfer-encoding: CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		  false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.content_length, -1);
	CU_ASSERT_TRUE(body_is("abc"));

	/* a last coding other than chunked: until close, even with CL */
	parse_str("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n"
		  "Content-Length: 1\r\n\r\nxyz",
		  true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_MORE);
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.content_length, -1);
	CU_ASSERT_TRUE(body_is("xyz"));
	parse_str("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n"
		  "\r\n3\r\nabc\r\n0\r\n\r\n",
		  true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_MORE);
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_DONE);
	CU_ASSERT_TRUE(body_is("3\r\nabc\r\n0\r\n\r\n"));
	parse_str("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		  "Transfer-Encoding: gzip\r\n\r\nab",
		  true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_MORE);
	CU_ASSERT_TRUE(body_is("ab"));

	/* the last coding over several lines, with parameters and empty
	 * list elements */
	parse_str("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip;q=1, ,\r\n"
		  "Transfer-Encoding: ,Chunked ; x=y,\r\n"
		  "Transfer-Encoding: \r\n\r\n"
		  "2\r\nab\r\n0\r\n\r\n",
		  false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_TRUE(body_is("ab"));
	/* "chunkedx" is not chunked */
	parse_str("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunkedx\r\n\r\n"
		  "2\r\nab\r\n0\r\n\r\n",
		  true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_MORE);
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.body_len, 12);
}

static void test_content_length_errors(void)
{
#define ST "HTTP/1.1 200 OK\r\n"
	/* equal values, repeated or listed, are one value */
	parse_str(ST "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
		  false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.content_length, 3);
	parse_str(ST "Content-Length: 3,3 , 03\r\n\r\nabc", false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.content_length, 3);

	expect_error(ST "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
		     "conflicting Content-Length headers");
	expect_error(ST "Content-Length: 3, 4\r\n\r\nabcd",
		     "conflicting Content-Length headers");
	expect_error(ST "Content-Length: 3\r\nContent-Length: 3, 0\r\n\r\n",
		     "conflicting Content-Length headers");
	expect_error(ST "Content-Length: +3\r\n\r\nabc", "bad Content-Length");
	expect_error(ST "Content-Length: -1\r\n\r\nabc", "bad Content-Length");
	expect_error(ST "Content-Length: 3 4\r\n\r\nabc", "bad Content-Length");
	expect_error(ST "Content-Length:\r\n\r\nabc", "bad Content-Length");
	expect_error(ST "Content-Length: \r\n\r\nabc", "bad Content-Length");
	expect_error(ST "Content-Length: 3,\r\n\r\nabc", "bad Content-Length");
	expect_error(ST "Content-Length: ,3\r\n\r\nabc", "bad Content-Length");
	expect_error(ST "Content-Length: 0x3\r\n\r\nabc", "bad Content-Length");
	expect_error(ST "Content-Length: 3.0\r\n\r\nabc", "bad Content-Length");
	expect_error(ST "Content-Length: 9223372036854775808\r\n\r\n",
		     "bad Content-Length");
	expect_error(ST "Content-Length: 18446744073709551616\r\n\r\n",
		     "bad Content-Length");
	expect_error(ST "Content-Length: 99999999999999999999999\r\n\r\n",
		     "bad Content-Length");
	expect_error(ST "Content-Length : 3\r\n\r\nabc", "bad header line");
	expect_error(ST "Content-Length\t: 3\r\n\r\nabc", "bad header line");
	/* a bad value is an error even when TE would frame the body */
	expect_error(ST "Transfer-Encoding: chunked\r\nContent-Length: x\r\n"
			"\r\n0\r\n\r\n",
		     "bad Content-Length");
#undef ST
}

/* A response whose header line after the status line holds n bytes of
 * text before its line end. */
static char big[MP_HTTP1_HEAD_MAX + 32768];

static size_t long_line(size_t n, const char *eol)
{
	size_t len = 0;

	len += (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n");
	memcpy(big + len, "X-Long: ", 8);
	memset(big + len + 8, 'a', n - 8);
	len += n;
	len += (size_t)snprintf(big + len, sizeof(big) - len,
				"%sContent-Length: 2%s%sok", eol, eol, eol);
	return len;
}

static void test_line_limit(void)
{
	size_t len;

	len = long_line(MP_HTTP1_LINE_MAX, "\r\n");
	parse(&res, big, len, false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_TRUE(body_is("ok"));
	len = long_line(MP_HTTP1_LINE_MAX, "\n");
	parse(&res, big, len, false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);

	len = long_line(MP_HTTP1_LINE_MAX + 1, "\r\n");
	parse(&res, big, len, true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_ERROR);
	CU_ASSERT_STRING_EQUAL(res.error, "header line over 8192 bytes");
	len = long_line(MP_HTTP1_LINE_MAX + 1, "\n");
	parse(&res, big, len, true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_ERROR);
	CU_ASSERT_STRING_EQUAL(res.error, "header line over 8192 bytes");

	/* the status line: "HTTP/1.1 200 " and a long reason */
	for (size_t n = MP_HTTP1_LINE_MAX; n <= MP_HTTP1_LINE_MAX + 1; n++) {
		memcpy(big, "HTTP/1.1 200 ", 13);
		memset(big + 13, 'r', n - 13);
		memcpy(big + n, "\r\n\r\nx", 5);
		parse(&res, big, n + 5, true);
		if (n == MP_HTTP1_LINE_MAX) {
			CU_ASSERT_EQUAL(res.rc, MP_HTTP1_MORE);
			CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_DONE);
			CU_ASSERT_EQUAL(res.status, 200);
			CU_ASSERT_TRUE(body_is("x"));
		} else {
			CU_ASSERT_EQUAL(res.rc, MP_HTTP1_ERROR);
			CU_ASSERT_STRING_EQUAL(res.error,
					       "status line over 8192 bytes");
		}
	}

	/* a chunk-size line (with its extension) too */
	for (size_t n = MP_HTTP1_LINE_MAX; n <= MP_HTTP1_LINE_MAX + 1; n++) {
		size_t at = (size_t)snprintf(big, sizeof(big),
					     "HTTP/1.1 200 OK\r\n"
					     "Transfer-Encoding: chunked\r\n"
					     "\r\n1;");

		memset(big + at, 'e', n - 2);
		at += n - 2;
		memcpy(big + at, "\r\nz\r\n0\r\n\r\n", 10);
		parse(&res, big, at + 10, false);
		if (n == MP_HTTP1_LINE_MAX) {
			CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
			CU_ASSERT_TRUE(body_is("z"));
		} else {
			CU_ASSERT_EQUAL(res.rc, MP_HTTP1_ERROR);
			CU_ASSERT_STRING_EQUAL(
			    res.error, "chunk size line over 8192 bytes");
		}
	}
}

/*
 * A response whose header section (status line to the empty line) is
 * exactly total bytes, optionally after a "100 Continue" counted in it.
 */
static size_t big_head(size_t total, bool interim)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\nX: y\r\n\r\n";
	static const char tail[] = "Content-Length: 2\r\n\r\n";
	size_t len = 0, left;

	if (interim) {
		memcpy(big, cont, sizeof(cont) - 1);
		len = sizeof(cont) - 1;
	}
	len += (size_t)snprintf(big + len, sizeof(big) - len,
				"HTTP/1.1 200 OK\r\n");
	left = total - len - (sizeof(tail) - 1);
	while (left > 0) {
		/* "X-F: aaa\r\n" lines of 1000 bytes; the last one shorter,
		 * but never under the 5 bytes of "X:a\r\n" */
		size_t n = left >= 1005 ? 1000 : left;

		memcpy(big + len, "X:", 2);
		memset(big + len + 2, 'a', n - 4);
		memcpy(big + len + n - 2, "\r\n", 2);
		len += n;
		left -= n;
	}
	memcpy(big + len, tail, sizeof(tail) - 1);
	len += sizeof(tail) - 1;
	CU_ASSERT_EQUAL(len, total);
	memcpy(big + len, "ok", 2);
	return len + 2;
}

static void test_head_limit(void)
{
	size_t len;

	len = big_head(MP_HTTP1_HEAD_MAX, false);
	parse(&res, big, len, false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_TRUE(body_is("ok"));
	len = big_head(MP_HTTP1_HEAD_MAX + 1, false);
	parse(&res, big, len, false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_ERROR);
	CU_ASSERT_STRING_EQUAL(res.error, "response headers over 65536 bytes");

	/* an interim response counts */
	len = big_head(MP_HTTP1_HEAD_MAX, true);
	parse(&res, big, len, false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	len = big_head(MP_HTTP1_HEAD_MAX + 1, true);
	parse(&res, big, len, false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_ERROR);
	CU_ASSERT_STRING_EQUAL(res.error, "response headers over 65536 bytes");

	/* and so do trailers; chunk-size lines and data do not */
	{
		size_t at = (size_t)snprintf(big, sizeof(big),
					     "HTTP/1.1 200 OK\r\n"
					     "Transfer-Encoding: chunked\r\n"
					     "\r\n");
		size_t head = at, left;

		for (int i = 0; i < 20; i++)
			at += (size_t)snprintf(big + at, sizeof(big) - at,
					       "3e8\r\n%01000d\r\n", 0);
		at += (size_t)snprintf(big + at, sizeof(big) - at, "0\r\n");
		/* trailers to fill the section up to the limit, then one
		 * more byte */
		left = MP_HTTP1_HEAD_MAX - head - 2;
		while (left > 0) {
			size_t n = left >= 1005 ? 1000 : left;

			memcpy(big + at, "T:", 2);
			memset(big + at + 2, 'b', n - 4);
			memcpy(big + at + n - 2, "\r\n", 2);
			at += n;
			left -= n;
		}
		memcpy(big + at, "\r\n", 2);
		parse(&res, big, at + 2, false);
		CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
		CU_ASSERT_EQUAL(res.body_len, 20000);
		memmove(big + at - 1, big + at - 2, 4);
		big[at - 2] = 'b';
		parse(&res, big, at + 3, false);
		CU_ASSERT_EQUAL(res.rc, MP_HTTP1_ERROR);
		CU_ASSERT_STRING_EQUAL(res.error,
				       "response headers over 65536 bytes");
	}

	/* endless interim responses end at the limit as well */
	{
		size_t at = 0;

		while (at + 32 < sizeof(big))
			at += (size_t)snprintf(big + at, sizeof(big) - at,
					       "HTTP/1.1 100 Continue\r\n\r\n");
		parse(&res, big, at, true);
		CU_ASSERT_EQUAL(res.rc, MP_HTTP1_ERROR);
		CU_ASSERT_STRING_EQUAL(res.error,
				       "response headers over 65536 bytes");
	}
}

static void test_header_syntax(void)
{
	static const char nul_value[] = "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n";
	static const char nul_status[] = "HTTP/1.1 200 O\0K\r\n\r\n";
	static const char nul_name[] = "HTTP/1.1 200 OK\r\n\0X: a\r\n\r\n";
	static const char nul_after_cr[] = "HTTP/1.1 200 OK\r\nX: a\r\0\n\r\n";

	parse(&res, nul_value, sizeof(nul_value) - 1, true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_ERROR);
	CU_ASSERT_STRING_EQUAL(res.error, "NUL byte in response headers");
	parse(&res, nul_status, sizeof(nul_status) - 1, true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_ERROR);
	CU_ASSERT_STRING_EQUAL(res.error, "NUL byte in response headers");
	parse(&res, nul_name, sizeof(nul_name) - 1, true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_ERROR);
	CU_ASSERT_STRING_EQUAL(res.error, "NUL byte in response headers");
	/* a CR must be followed by LF before anything else is looked at */
	parse(&res, nul_after_cr, sizeof(nul_after_cr) - 1, true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_ERROR);
	CU_ASSERT_STRING_EQUAL(res.error, "bad header line");

	expect_error("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
		     "obsolete header line folding");
	expect_error("HTTP/1.1 200 OK\r\nX: a\r\n\tb\r\n\r\n",
		     "obsolete header line folding");
	expect_error("HTTP/1.1 200 OK\r\n X: a\r\n\r\n",
		     "obsolete header line folding");
	expect_error("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", "bad header line");
	expect_error("HTTP/1.1 200 OK\r\nX: a\r\r\n\r\n", "bad header line");
	expect_error("HTTP/1.1 200 OK\r\n\r\r\n", "bad header line");
	expect_error("HTTP/1.1 200 OK\r\nX: a\x01z\r\n\r\n", "bad header line");
	expect_error("HTTP/1.1 200 OK\r\nX: a\x7fz\r\n\r\n", "bad header line");
	expect_error("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "bad header line");
	expect_error("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
		     "bad header line");
	expect_error("HTTP/1.1 200 OK\r\nX(y): z\r\n\r\n", "bad header line");
	expect_error("HTTP/1.1 200 OK\r\nX\xc3\xa9: z\r\n\r\n",
		     "bad header line");

	/* bare LF line ends, odd but valid names and values */
	parse_str("HTTP/1.1 200 OK\n"
		  "X-!#$%&'*+-.^_`|~09az: \tv\t\xc3\xa9 \n"
		  "Empty:\n"
		  "Content-Length: 1\n"
		  "\n"
		  "z",
		  false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.status, 200);
	CU_ASSERT_TRUE(body_is("z"));
	/* mixed CRLF and LF */
	parse_str("HTTP/1.1 200 OK\r\nContent-Length: 1\n\r\nz", false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_TRUE(body_is("z"));
}

static void test_status_line(void)
{
	const char *bad[] = {
	    "\r\n",
	    "FOO/1.1 200 OK\r\n",
	    "http/1.1 200 OK\r\n",
	    "HTTP/1.1x 200 OK\r\n",
	    "HTTP/ 200 OK\r\n",
	    "HTTP/1. 200 OK\r\n",
	    "HTTP/1.1\r\n",
	    "HTTP/1.1 \r\n",
	    "HTTP/1.1  200 OK\r\n",
	    "HTTP/1.1 abc OK\r\n",
	    "HTTP/1.1 20\r\n",
	    "HTTP/1.1 20 OK\r\n",
	    "HTTP/1.1 2000\r\n",
	    "HTTP/1.1 200OK\r\n",
	    "HTTP/1.1 099 Low\r\n",
	    "HTTP/1.1 000\r\n",
	    "HTTP/1.1 -20 OK\r\n",
	    "HTTP/1.1 200 O\x01K\r\n",
	    "HTTP/1.1 200\rOK\r\n",
	    "HTTP/1.1\t200 OK\r\n",
	    "<html>\r\n",
	    "SSH-2.0-OpenSSH_9.2\r\n",
	};
	const char *unsupported[] = {
	    "HTTP/2 200\r\n",	   "HTTP/2.0 200 OK\r\n", "HTTP/1.2 200 OK\r\n",
	    "HTTP/0.9 200 OK\r\n", "HTTP/3 200\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(bad[i], "bad HTTP status line");
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]);
	     i++)
		expect_error(unsupported[i], "unsupported HTTP version");

	parse_str("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.status, 200);
	parse_str("HTTP/1.0 503 \r\nContent-Length: 0\r\n\r\n", false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.status, 503);
	parse_str("HTTP/1.1 999 Whatever \t it is\r\nContent-Length: 0\r\n\r\n",
		  false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.status, 999);
	parse_str("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", false);
	CU_ASSERT_EQUAL(res.status, 404);
	parse_str("HTTP/1.1 199 Odd\r\n\r\nHTTP/1.1 301 Moved\r\n"
		  "Content-Length: 0\r\n\r\n",
		  false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.status, 301);
}

static void test_last_modified(void)
{
	char in[256], want[MP_HTTP1_DATE_MAX];

	parse_str("HTTP/1.1 200 OK\r\nlast-modified: \t Sat, 22 Nov 2025 "
		  "08:26:40 GMT \t \r\nContent-Length: 0\r\n\r\n",
		  false);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_TRUE(res.has_last_modified);
	CU_ASSERT_STRING_EQUAL(res.last_modified,
			       "Sat, 22 Nov 2025 08:26:40 GMT");

	/* the last one wins; an empty value is a value */
	parse_str("HTTP/1.1 200 OK\r\nLast-Modified: first\r\n"
		  "Last-Modified: second\r\n\r\n",
		  false);
	CU_ASSERT_STRING_EQUAL(res.last_modified, "second");
	parse_str("HTTP/1.1 200 OK\r\nLast-Modified: first\r\n"
		  "Last-Modified:  \r\n\r\n",
		  false);
	CU_ASSERT_TRUE(res.has_last_modified);
	CU_ASSERT_STRING_EQUAL(res.last_modified, "");

	/* cut to MP_HTTP1_DATE_MAX - 1 bytes */
	snprintf(in, sizeof(in),
		 "HTTP/1.1 200 OK\r\nLast-Modified: %0100d  \r\n\r\n", 7);
	parse_str(in, false);
	memset(want, '0', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	CU_ASSERT_TRUE(res.has_last_modified);
	CU_ASSERT_EQUAL(strlen(res.last_modified), MP_HTTP1_DATE_MAX - 1);
	CU_ASSERT_STRING_EQUAL(res.last_modified, want);
	/* exactly 63 bytes fit whole */
	snprintf(in, sizeof(in),
		 "HTTP/1.1 200 OK\r\nLast-Modified: %063d\r\n\r\n", 7);
	parse_str(in, false);
	want[sizeof(want) - 2] = '7';
	CU_ASSERT_STRING_EQUAL(res.last_modified, want);

	parse_str("HTTP/1.1 200 OK\r\nLast-Modified-X: no\r\n\r\n", false);
	CU_ASSERT_FALSE(res.has_last_modified);
	CU_ASSERT_STRING_EQUAL(res.last_modified, "");
}

static void test_abort(void)
{
	static const char in[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n"
				 "\r\nabcdefghij";
	static const char ch[] = "HTTP/1.1 200 OK\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n"
				 "3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n";
	struct result r;
	struct sink s = {&r, 3};
	size_t calls;

	/* whole: one call of 10 bytes, over the limit */
	run_cuts(&r, in, strlen(in), NULL, 0, false, 3);
	CU_ASSERT_EQUAL(r.rc, MP_HTTP1_ABORTED);
	CU_ASSERT_EQUAL(r.body_calls, 1);
	CU_ASSERT_EQUAL(r.body_len, 10);
	/* sticky: nothing more is parsed or delivered, eof says so too */
	calls = r.body_calls;
	CU_ASSERT_EQUAL(
	    mp_http1_feed(&parser, (const unsigned char *)"xy", 2, on_body, &s),
	    MP_HTTP1_ABORTED);
	CU_ASSERT_EQUAL(r.body_calls, calls);
	CU_ASSERT_EQUAL(mp_http1_eof(&parser), MP_HTTP1_ABORTED);
	CU_ASSERT_EQUAL(mp_http1_feed(&parser, NULL, 0, on_body, &s),
			MP_HTTP1_ABORTED);

	/* byte by byte: stops at the fourth body byte */
	memset(&r, 0, sizeof(r));
	mp_http1_init(&parser);
	for (size_t i = 0; i < strlen(in); i++) {
		enum mp_http1_rc rc = mp_http1_feed(
		    &parser, (const unsigned char *)in + i, 1, on_body, &s);

		CU_ASSERT_EQUAL(rc, i < strlen(in) - 7 ? MP_HTTP1_MORE
						       : MP_HTTP1_ABORTED);
	}
	CU_ASSERT_EQUAL(r.body_calls, 4);
	CU_ASSERT_EQUAL(memcmp(r.body, "abcd", 4), 0);

	/* in a chunked body: the second chunk crosses the limit */
	run_cuts(&r, ch, strlen(ch), NULL, 0, true, 3);
	CU_ASSERT_EQUAL(r.rc, MP_HTTP1_ABORTED);
	CU_ASSERT_EQUAL(r.eof_rc, MP_HTTP1_ABORTED);
	CU_ASSERT_EQUAL(r.body_calls, 2);
	CU_ASSERT_EQUAL(r.body_len, 6);
	/* exactly at the limit is fine */
	run_cuts(&r, ch, strlen(ch), NULL, 0, true, 6);
	CU_ASSERT_EQUAL(r.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(r.body_len, 6);

	/* until close */
	run_cuts(&r, "HTTP/1.0 200 OK\r\n\r\n12345", 24, NULL, 0, true, 4);
	CU_ASSERT_EQUAL(r.rc, MP_HTTP1_ABORTED);
	CU_ASSERT_EQUAL(r.eof_rc, MP_HTTP1_ABORTED);
}

static void test_eof(void)
{
	struct result r;
	const char *cl = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";

	run(&r, "", 0, true);
	CU_ASSERT_EQUAL(r.rc, MP_HTTP1_MORE);
	CU_ASSERT_EQUAL(r.eof_rc, MP_HTTP1_CLOSED);
	CU_ASSERT_STRING_EQUAL(r.error, "Empty reply from server");
	CU_ASSERT_FALSE(r.headers_done);

	parse_str("H", true);
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_CLOSED);
	CU_ASSERT_STRING_EQUAL(res.error, "incomplete response headers");
	parse_str("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n", true);
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_CLOSED);
	CU_ASSERT_STRING_EQUAL(res.error, "incomplete response headers");
	CU_ASSERT_FALSE(res.headers_done);
	parse_str("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r", true);
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_CLOSED);
	CU_ASSERT_STRING_EQUAL(res.error, "incomplete response headers");

	parse_str(cl, true);
	CU_ASSERT_TRUE(res.headers_done);
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_CLOSED);
	CU_ASSERT_STRING_EQUAL(res.error,
			       "transfer closed with 10 bytes remaining to "
			       "read");
	{
		char in[128];

		snprintf(in, sizeof(in), "%sabc", cl);
		parse_str(in, true);
		CU_ASSERT_EQUAL(res.rc, MP_HTTP1_MORE);
		CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_CLOSED);
		CU_ASSERT_STRING_EQUAL(res.error,
				       "transfer closed with 7 bytes "
				       "remaining to read");
		CU_ASSERT_TRUE(body_is("abc"));
		snprintf(in, sizeof(in), "%s012345678", cl);
		parse_str(in, true);
		CU_ASSERT_STRING_EQUAL(res.error,
				       "transfer closed with 1 bytes "
				       "remaining to read");
		snprintf(in, sizeof(in), "%s0123456789", cl);
		parse_str(in, true);
		CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
		CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_DONE);
		CU_ASSERT_STRING_EQUAL(res.error, "");
	}

#define CH "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	const char *mid_chunked[] = {
	    CH,
	    CH "5",
	    CH "5;ext",
	    CH "5\r",
	    CH "5\r\n",
	    CH "5\r\nhel",
	    CH "5\r\nhello",
	    CH "5\r\nhello\r",
	    CH "5\r\nhello\r\n",
	    CH "5\r\nhello\r\n0",
	    CH "5\r\nhello\r\n0\r\n",
	    CH "5\r\nhello\r\n0\r\nX: y\r\n",
	    CH "5\r\nhello\r\n0\r\nX: y\r\n\r",
	};
#undef CH
	for (size_t i = 0; i < sizeof(mid_chunked) / sizeof(mid_chunked[0]);
	     i++) {
		parse_str(mid_chunked[i], true);
		CU_ASSERT_EQUAL(res.rc, MP_HTTP1_MORE);
		CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_CLOSED);
		CU_ASSERT_STRING_EQUAL(res.error,
				       "transfer closed with outstanding "
				       "read data remaining");
	}

	/* after an error, eof repeats it and keeps the reason */
	parse_str("HTTP/3 200\r\n", true);
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_ERROR);
	CU_ASSERT_STRING_EQUAL(res.error, "unsupported HTTP version");
	CU_ASSERT_EQUAL(mp_http1_feed(&parser,
				      (const unsigned char *)"HTTP/1.1 200 OK",
				      15, NULL, NULL),
			MP_HTTP1_ERROR);
	CU_ASSERT_STRING_EQUAL(parser.error, "unsupported HTTP version");
}

static void test_after_done(void)
{
	parse_str("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA\r\n"
		  "HTTP/1.1 500 Oops\r\n\r\n",
		  true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.eof_rc, MP_HTTP1_DONE);
	CU_ASSERT_EQUAL(res.status, 200);
	CU_ASSERT_TRUE(body_is("ok"));

	parse_str("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "1\r\na\r\n0\r\n\r\n\0garbage\r\n\r\n",
		  true);
	CU_ASSERT_EQUAL(res.rc, MP_HTTP1_DONE);
	CU_ASSERT_TRUE(body_is("a"));
}

/* Random bytes and randomly damaged responses: whatever comes in, the
 * parse ends in a defined state, with a reason on ERROR, and never reads
 * or writes out of bounds (the sanitizers and valgrind watch). */
static void test_garbage(void)
{
	static const char good[] = "HTTP/1.1 100 Continue\r\n\r\n"
				   "HTTP/1.1 200 OK\r\n"
				   "Transfer-Encoding: chunked\r\n"
				   "Content-Length: 5\r\n"
				   "Last-Modified: Sat, 22 Nov 2025\r\n\r\n"
				   "5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n";
	static const char pool[] = "HTTP/1.0 2\r\n:; ,\t0aF\0";
	uint32_t seed = 12345;
	char in[sizeof(good) + 8];
	struct result r;

	for (int t = 0; t < 300; t++) {
		size_t len = mp_unit_xorshift(&seed) % sizeof(in);

		for (size_t i = 0; i < len; i++)
			in[i] = (char)mp_unit_xorshift(&seed);
		run(&r, in, len, true);
		CU_ASSERT_TRUE(r.eof_rc != MP_HTTP1_MORE);
		CU_ASSERT_TRUE(r.rc != MP_HTTP1_ERROR || r.error[0] != '\0');
	}
	for (int t = 0; t < 200; t++) {
		size_t len = sizeof(good) - 1;
		int edits = 1 + (int)(mp_unit_xorshift(&seed) % 3);

		memcpy(in, good, len);
		for (int e = 0; e < edits; e++) {
			size_t at = mp_unit_xorshift(&seed) % len;

			in[at] =
			    pool[mp_unit_xorshift(&seed) % (sizeof(pool) - 1)];
		}
		if (t % 4 == 0)
			len = mp_unit_xorshift(&seed) % (len + 1);
		/* every split must agree on damaged input too */
		parse(&r, in, len, true);
		CU_ASSERT_TRUE(r.eof_rc != MP_HTTP1_MORE);
		CU_ASSERT_EQUAL(r.error[0] != '\0',
				r.eof_rc == MP_HTTP1_ERROR ||
				    r.eof_rc == MP_HTTP1_CLOSED);
	}
}

static size_t req(char *buf, size_t len, const char *target, const char *host,
		  uint16_t port, const char *ua)
{
	return mp_http1_request(buf, len, target, host, port, 80, ua);
}

static void test_request(void)
{
	char buf[512];
	size_t n;
	const char *want;

	want = "GET /status.txt?x=1 HTTP/1.1\r\n"
	       "Host: mirror.example.org\r\n"
	       "User-Agent: mirrorpool/1.0 (health check)\r\n"
	       "Accept: */*\r\n"
	       "\r\n";
	n = req(buf, sizeof(buf), "/status.txt?x=1#top", "mirror.example.org",
		80, "mirrorpool/1.0 (health check)");
	CU_ASSERT_EQUAL(n, strlen(want));
	CU_ASSERT_STRING_EQUAL(buf, want);

	/* exactly fitting, and one byte short */
	CU_ASSERT_EQUAL(req(buf, strlen(want) + 1, "/status.txt?x=1#top",
			    "mirror.example.org", 80,
			    "mirrorpool/1.0 (health check)"),
			strlen(want));
	CU_ASSERT_STRING_EQUAL(buf, want);
	CU_ASSERT_EQUAL(req(buf, strlen(want), "/status.txt?x=1#top",
			    "mirror.example.org", 80,
			    "mirrorpool/1.0 (health check)"),
			0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	CU_ASSERT_EQUAL(req(buf, 0, "/", "h", 80, "ua"), 0);

	n = req(buf, sizeof(buf), "/", "192.0.2.10", 8080, "ua");
	CU_ASSERT_STRING_EQUAL(buf, "GET / HTTP/1.1\r\n"
				    "Host: 192.0.2.10:8080\r\n"
				    "User-Agent: ua\r\n"
				    "Accept: */*\r\n\r\n");
	CU_ASSERT_EQUAL(n, strlen(buf));

	n = req(buf, sizeof(buf), "/a", "2001:db8::1", 80, "ua");
	CU_ASSERT_STRING_EQUAL(buf, "GET /a HTTP/1.1\r\n"
				    "Host: [2001:db8::1]\r\n"
				    "User-Agent: ua\r\n"
				    "Accept: */*\r\n\r\n");
	CU_ASSERT_EQUAL(n, strlen(buf));
	req(buf, sizeof(buf), "/a", "2001:db8::1", 8443, "ua");
	CU_ASSERT_STRING_EQUAL(buf, "GET /a HTTP/1.1\r\n"
				    "Host: [2001:db8::1]:8443\r\n"
				    "User-Agent: ua\r\n"
				    "Accept: */*\r\n\r\n");
	req(buf, sizeof(buf), "/a", "[::1]", 81, "ua");
	CU_ASSERT_STRING_EQUAL(buf, "GET /a HTTP/1.1\r\n"
				    "Host: [::1]:81\r\n"
				    "User-Agent: ua\r\n"
				    "Accept: */*\r\n\r\n");
	/* the default port is the caller's, e.g. 443 */
	mp_http1_request(buf, sizeof(buf), "/", "h", 443, 443, "ua");
	CU_ASSERT_STRING_EQUAL(buf, "GET / HTTP/1.1\r\nHost: h\r\n"
				    "User-Agent: ua\r\nAccept: */*\r\n\r\n");
	mp_http1_request(buf, sizeof(buf), "/", "h", 80, 443, "ua");
	CU_ASSERT_STRING_EQUAL(buf, "GET / HTTP/1.1\r\nHost: h:80\r\n"
				    "User-Agent: ua\r\nAccept: */*\r\n\r\n");

	/* targets */
	{
		static const struct {
			const char *target, *line;
		} t[] = {
		    {NULL, "GET / HTTP/1.1\r\n"},
		    {"", "GET / HTTP/1.1\r\n"},
		    {"#frag", "GET / HTTP/1.1\r\n"},
		    {"?q", "GET /?q HTTP/1.1\r\n"},
		    {"?q=1#f", "GET /?q=1 HTTP/1.1\r\n"},
		    {"/p/a%20b/?x=y&z", "GET /p/a%20b/?x=y&z HTTP/1.1\r\n"},
		    {"/#", "GET / HTTP/1.1\r\n"},
		    {"//x", "GET //x HTTP/1.1\r\n"},
		};

		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			n = req(buf, sizeof(buf), t[i].target, "h", 80, "ua");
			CU_ASSERT_TRUE(n > 0);
			CU_ASSERT_EQUAL(
			    strncmp(buf, t[i].line, strlen(t[i].line)), 0);
			CU_ASSERT_STRING_EQUAL(buf + strlen(t[i].line),
					       "Host: h\r\nUser-Agent: ua\r\n"
					       "Accept: */*\r\n\r\n");
		}
	}

	/* no User-Agent line without one */
	req(buf, sizeof(buf), "/", "h", 80, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "GET / HTTP/1.1\r\nHost: h\r\n"
				    "Accept: */*\r\n\r\n");
	req(buf, sizeof(buf), "/", "h", 80, "");
	CU_ASSERT_STRING_EQUAL(buf, "GET / HTTP/1.1\r\nHost: h\r\n"
				    "Accept: */*\r\n\r\n");

	/* bytes that would break the request */
	CU_ASSERT_EQUAL(req(buf, sizeof(buf), "/a b", "h", 80, "ua"), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	CU_ASSERT_EQUAL(req(buf, sizeof(buf), "/a\r\nX: y", "h", 80, "ua"), 0);
	CU_ASSERT_EQUAL(req(buf, sizeof(buf), "/\x7f", "h", 80, "ua"), 0);
	CU_ASSERT_EQUAL(req(buf, sizeof(buf), "/\xc3\xa9", "h", 80, "ua"), 0);
	CU_ASSERT_EQUAL(req(buf, sizeof(buf), "/#a b", "h", 80, "ua"), 0);
	CU_ASSERT_EQUAL(req(buf, sizeof(buf), "/", "h\n", 80, "ua"), 0);
	CU_ASSERT_EQUAL(req(buf, sizeof(buf), "/", "h h", 80, "ua"), 0);
	CU_ASSERT_EQUAL(req(buf, sizeof(buf), "/", "", 80, "ua"), 0);
	CU_ASSERT_EQUAL(req(buf, sizeof(buf), "/", NULL, 80, "ua"), 0);
	CU_ASSERT_EQUAL(req(buf, sizeof(buf), "/", "h", 80, "u\r\na"), 0);
	CU_ASSERT_EQUAL(req(buf, sizeof(buf), "/", "h", 80, "u\ta"), 0);
	CU_ASSERT_EQUAL(req(buf, sizeof(buf), "/", "h", 80, "u\x7f"), 0);
	n = req(buf, sizeof(buf), "/", "h", 80, "caf\xc3\xa9 1.0");
	CU_ASSERT_STRING_EQUAL(buf, "GET / HTTP/1.1\r\nHost: h\r\n"
				    "User-Agent: caf\xc3\xa9 1.0\r\n"
				    "Accept: */*\r\n\r\n");
	CU_ASSERT_EQUAL(n, strlen(buf));
}

static CU_TestInfo tests[] = {
    {"content-length", test_content_length},
    {"null callback", test_null_callback},
    {"until close", test_until_close},
    {"chunked", test_chunked},
    {"chunk errors", test_chunk_errors},
    {"NUL in a trailer", test_chunk_errors_nul},
    {"interim responses", test_interim},
    {"no body", test_no_body},
    {"transfer-encoding", test_transfer_encoding},
    {"content-length errors", test_content_length_errors},
    {"line limit", test_line_limit},
    {"header section limit", test_head_limit},
    {"header syntax", test_header_syntax},
    {"status line", test_status_line},
    {"last-modified", test_last_modified},
    {"abort", test_abort},
    {"eof", test_eof},
    {"after done", test_after_done},
    {"garbage", test_garbage},
    {"request", test_request},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"http1", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
