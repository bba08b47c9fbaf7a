/*
 * Incremental parser of one HTTP/1.x response to a GET request, for the
 * built-in plain-HTTP check client (agent/checker.c). Pure: no I/O, no
 * allocation; the caller feeds whatever recv() returned, in pieces of any
 * size, and gets body bytes through a callback.
 *
 * The peer is an untrusted mirror, so everything is bounded: a status or
 * header line is at most MP_HTTP1_LINE_MAX bytes, the whole header section
 * (interim 1xx responses and chunked trailers included) at most
 * MP_HTTP1_HEAD_MAX, chunk sizes and Content-Length are range-checked, and
 * anything malformed ends the parse with a short, exact reason.
 *
 * Accepted (RFC 9112): "HTTP/1.0" and "HTTP/1.1" status lines with a
 * three-digit code and optional reason; CRLF or bare LF line ends; interim
 * 1xx responses are skipped (101 is an error: nothing was asked to
 * upgrade); header names are case-insensitive; body framing is, in order,
 * none (1xx, 204, 304), Transfer-Encoding ending in "chunked" (chunk
 * extensions and trailers skipped), another Transfer-Encoding (read until
 * close), Content-Length (repeated equal values allowed), else read until
 * close. Obsolete line folding, a NUL byte, a bad Content-Length or chunk
 * size are errors.
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
	MP_HTTP1_DONE,     /* the response is complete; later bytes ignored */
	MP_HTTP1_ERROR,    /* malformed; p->error says why */
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
	int status;              /* final (non-1xx) status code */
	int64_t content_length;  /* -1: none, or not used for framing */
	bool has_last_modified;
	char last_modified[MP_HTTP1_DATE_MAX]; /* value, trimmed, NUL-ended;
						  longer values are cut */
	const char *error;       /* static text after ERROR or CLOSED */

	/* Private */
	int state;
	bool chunked, until_close, got_bytes, in_trailers;
	uint64_t remaining;      /* of Content-Length or current chunk */
	size_t head_bytes;       /* header-section bytes so far */
	size_t line_len;
	char line[MP_HTTP1_LINE_MAX];
	bool te_seen, cl_seen;
	char scratch[96];        /* errors with a number in them */
};

/* Ready for a new response. */
void mp_http1_init(struct mp_http1 *p);

/*
 * Consumes len bytes. Returns MORE, DONE, ERROR or ABORTED; after DONE,
 * ERROR or ABORTED further calls return the same code and consume nothing.
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
 * (host, bracketed when it contains ':', plus ":port" unless port is
 * default_port), User-Agent and "Accept: * / *" (no spaces). target is
 * the URL from its path on: path and query, a "#fragment" is dropped;
 * NULL or empty means "/", and one starting with '?' gets a leading '/'.
 * Returns the length written (buf NUL-terminated), or 0 when it does not
 * fit in len or target or host holds a byte below 0x21 or above 0x7e
 * (user_agent may hold spaces, not control bytes).
 */
size_t mp_http1_request(char *buf, size_t len, const char *target,
			const char *host, uint16_t port,
			uint16_t default_port, const char *user_agent);

#endif
