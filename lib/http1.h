/*
 * Incremental parser of one HTTP/1.x response to a GET request, for the
 * built-in plain-HTTP check client (agent/check/checker.c). Pure: no I/O, no
 * allocation; the caller feeds whatever recv() returned, in pieces of any
 * size, and gets body bytes through a callback.
 *
 * The peer is an untrusted mirror, so everything is bounded: a status,
 * header, trailer or chunk-size line holds at most MP_HTTP1_LINE_MAX bytes
 * not counting its CRLF or LF (so 8192 bytes of text are accepted, 8193
 * are not); the whole header section (interim 1xx responses and chunked
 * trailers included) is at most MP_HTTP1_HEAD_MAX bytes counting every
 * byte, line ends and the empty line included; chunk sizes and
 * Content-Length must fit in int64_t; anything malformed ends the parse
 * with a short, exact reason.
 *
 * Accepted (RFC 9112): "HTTP/1.0" and "HTTP/1.1" status lines with a
 * three-digit code of 100 to 999 and an optional
 * " reason"; CRLF or bare LF line ends (a CR anywhere else is an error);
 * interim 1xx responses are skipped (101 is an error: nothing was asked to
 * upgrade); header names are RFC 9110 tokens, case-insensitive, with the
 * colon right after the name; body framing is, in order, none (1xx, 204,
 * 304), Transfer-Encoding whose last coding (over all its lines) is
 * "chunked" (chunk extensions and trailers skipped), another
 * Transfer-Encoding (read until close), Content-Length (decimal digits
 * only; a comma list or repeated headers of equal values allowed), else
 * read until close. Obsolete line folding, a NUL or other control byte
 * (HTAB excepted) in the header section, a bad Content-Length or chunk size
 * are errors. Only Content-Length, Transfer-Encoding and Last-Modified (the
 * last one wins) of the final response are used; interim headers and
 * trailers are checked for syntax and otherwise ignored.
 */
#ifndef MP_HTTP1_H
#define MP_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MP_HTTP1_LINE_MAX 8192
#define MP_HTTP1_HEAD_MAX 65536
/* Longest Last-Modified value kept; a date never needs more. */
#define MP_HTTP1_DATE_MAX 64

enum mp_http1_rc {
	MP_HTTP1_MORE = 0, /* feed more bytes (or call mp_http1_eof) */
	MP_HTTP1_DONE,	   /* the response is complete; later bytes ignored */
	MP_HTTP1_ERROR,	   /* malformed; p->error says why */
	MP_HTTP1_ABORTED,  /* the body callback returned false */
	MP_HTTP1_CLOSED,   /* (eof only) ended early; p->error says how */
};

/*
 * Body bytes as they are decoded (chunk framing removed). Return false to
 * stop the parse (MP_HTTP1_ABORTED), e.g. when the body is over a limit.
 */
typedef bool (*mp_http1_body_fn)(void *arg, const unsigned char *data,
				 size_t len);

struct mp_http1 {
	/* Results, valid once the header section is complete
	 * (mp_http1_headers_done) */
	int status;		/* final (non-1xx) status code */
	int64_t content_length; /* -1: none, or not used for framing */
	bool has_last_modified;
	char last_modified[MP_HTTP1_DATE_MAX]; /* value, trimmed, NUL-ended;
						  longer values are cut */
	const char *error; /* after ERROR or CLOSED (may be p->scratch) */

	/* Private */
	int state;
	int code; /* status of the response being parsed */
	bool cr;  /* last byte was CR: LF must follow */
	bool head_done, got_bytes, chunked, te_seen, cl_seen;
	uint64_t remaining; /* of Content-Length or current chunk */
	size_t head_bytes;  /* header-section bytes so far */
	size_t line_len;
	char line[MP_HTTP1_LINE_MAX];
	char scratch[96]; /* errors with a number in them */
};

/* Ready for a new response. */
void mp_http1_init(struct mp_http1 *p);

/*
 * Consumes len bytes. Returns MORE, DONE, ERROR or ABORTED; after DONE,
 * ERROR or ABORTED further calls return the same code and consume nothing.
 * Body bytes are passed to body (which may be NULL: discarded) as pointers
 * into data, never copied. The result does not depend on how the input is
 * split. On ERROR, p->error is one of (self-explanatory, shown as is):
 *   "bad HTTP status line", "unsupported HTTP version",
 *   "unexpected 101 Switching Protocols", "status line over 8192 bytes",
 *   "header line over 8192 bytes", "response headers over 65536 bytes",
 *   "NUL byte in response headers", "obsolete header line folding",
 *   "bad header line", "bad Content-Length",
 *   "conflicting Content-Length headers", "bad chunk size",
 *   "chunk size too large", "chunk size line over 8192 bytes",
 *   "no CRLF after chunk data"
 */
enum mp_http1_rc mp_http1_feed(struct mp_http1 *p, const unsigned char *data,
			       size_t len, mp_http1_body_fn body, void *arg);

/*
 * The peer closed the connection. Returns DONE when the response is
 * complete (a body read until close, or already DONE), else CLOSED with
 * p->error set, in libcurl's words where it has them:
 *   no byte at all               "Empty reply from server"
 *   inside the header section    "incomplete response headers"
 *   Content-Length short by N    "transfer closed with N bytes remaining
 *                                 to read"
 *   inside a chunked body        "transfer closed with outstanding read
 *                                 data remaining"
 * After ERROR or ABORTED it returns that code again.
 */
enum mp_http1_rc mp_http1_eof(struct mp_http1 *p);

/* True once the final response's header section is complete. */
bool mp_http1_headers_done(const struct mp_http1 *p);

/*
 * Writes the request for a check: "GET <target> HTTP/1.1" with Host
 * (host, bracketed when it contains ':' and does not start with '[', plus
 * ":port" unless port is default_port), User-Agent (left out when
 * user_agent is NULL or empty) and "Accept: * / *" (no spaces), each line
 * ending in CRLF, then an empty line. target is the URL from its path on:
 * path and query, a "#fragment" is dropped; what remains gets a leading
 * '/' when it does not start with one (so NULL, "" and "#x" mean "/", and
 * "?q" means "/?q"). Returns the length written (buf NUL-terminated), or 0
 * (buf empty when len > 0) when it does not fit in len, host is NULL or
 * empty, or target or host holds a byte below 0x21 or above 0x7e
 * (user_agent may hold spaces and bytes above 0x7f, not control bytes).
 */
size_t mp_http1_request(char *buf, size_t len, const char *target,
			const char *host, uint16_t port, uint16_t default_port,
			const char *user_agent);

#endif
