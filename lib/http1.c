/*
 * Incremental HTTP/1.x response parser (see http1.h). Everything in the
 * header section (status lines, header lines, chunked trailers) and the
 * chunk-size lines goes through one byte-at-a-time line reader, so the
 * result cannot depend on how recv() split the input; body bytes are
 * handed to the callback straight from the caller's buffer.
 */
#include "http1.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)

enum {
	ST_STATUS = 0, /* status line of the next (interim or final) response */
	ST_HEADER,     /* header lines of that response */
	ST_BODY_LEN,   /* Content-Length body, `remaining` bytes left */
	ST_BODY_CLOSE, /* body read until the peer closes */
	ST_CHUNK_SIZE, /* chunk-size line */
	ST_CHUNK_DATA, /* chunk data, `remaining` bytes left */
	ST_CHUNK_CR,   /* the CRLF (or LF) after chunk data */
	ST_CHUNK_LF,   /* the LF after that CR */
	ST_TRAILER,    /* trailer lines after the last chunk */
	ST_DONE,
	ST_ERROR,
	ST_ABORTED,
};

static const char err_status[] = "bad HTTP status line";
static const char err_version[] = "unsupported HTTP version";
static const char err_header[] = "bad header line";
static const char err_chunk[] = "bad chunk size";
static const char err_status_long[] =
    "status line over " STR(MP_HTTP1_LINE_MAX) " bytes";
static const char err_header_long[] =
    "header line over " STR(MP_HTTP1_LINE_MAX) " bytes";
static const char err_chunk_long[] =
    "chunk size line over " STR(MP_HTTP1_LINE_MAX) " bytes";
static const char err_head_long[] =
    "response headers over " STR(MP_HTTP1_HEAD_MAX) " bytes";

void mp_http1_init(struct mp_http1 *p)
{
	memset(p, 0, sizeof(*p));
	p->state = ST_STATUS;
	p->content_length = -1;
}

bool mp_http1_headers_done(const struct mp_http1 *p)
{
	return p->head_done;
}

static enum mp_http1_rc fail(struct mp_http1 *p, const char *why)
{
	p->state = ST_ERROR;
	p->error = why;
	return MP_HTTP1_ERROR;
}

static enum mp_http1_rc finish(struct mp_http1 *p)
{
	p->state = ST_DONE;
	return MP_HTTP1_DONE;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9110 5.6.2 tchar */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A control byte other than HTAB: never valid in a status or field line
 * (RFC 9110 5.5), and not worth carrying into a log line. */
static bool is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* ASCII-only, so the C locale does not matter. */
static bool name_is(const char *s, size_t n, const char *name)
{
	size_t i;

	if (strlen(name) != n)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)name[i])
			return false;
	}
	return true;
}

/*
 * "HTTP/1.x SP 3DIGIT [SP reason]". Sets p->code.
 */
static enum mp_http1_rc parse_status(struct mp_http1 *p, const char *s,
				     size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t v, vlen, i;
	int code;

	if (n < 5 || memcmp(s, "HTTP/", 5) != 0)
		return fail(p, err_status);
	for (v = 5; v < n && u[v] != ' '; v++)
		;
	vlen = v - 5;
	if (vlen == 3 && u[5] == '1' && u[6] == '.' &&
	    (u[7] == '0' || u[7] == '1')) {
		/* HTTP/1.0 or HTTP/1.1 */
	} else if ((vlen == 1 && is_digit(u[5])) ||
		   (vlen == 3 && is_digit(u[5]) && u[6] == '.' &&
		    is_digit(u[7]))) {
		/* well-formed, but a version we do not speak */
		return fail(p, err_version);
	} else {
		return fail(p, err_status);
	}
	/* exactly one SP, then exactly three digits */
	if (n < v + 4 || !is_digit(u[v + 1]) || !is_digit(u[v + 2]) ||
	    !is_digit(u[v + 3]))
		return fail(p, err_status);
	if (n > v + 4 && u[v + 4] != ' ')
		return fail(p, err_status);
	for (i = v + 4; i < n; i++)
		if (is_ctl(u[i]))
			return fail(p, err_status);
	code =
	    (u[v + 1] - '0') * 100 + (u[v + 2] - '0') * 10 + (u[v + 3] - '0');
	if (code < 100)
		return fail(p, err_status);
	if (code == 101)
		return fail(p, "unexpected 101 Switching Protocols");
	p->code = code;
	p->state = ST_HEADER;
	return MP_HTTP1_MORE;
}

/* A comma list of decimal values (RFC 9110 8.6), all equal to each other
 * and to any earlier Content-Length header. */
static enum mp_http1_rc parse_content_length(struct mp_http1 *p, const char *s,
					     size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	for (;;) {
		uint64_t v = 0;

		while (i < n && is_ows(u[i]))
			i++;
		if (i == n || !is_digit(u[i]))
			return fail(p, "bad Content-Length");
		for (; i < n && is_digit(u[i]); i++) {
			unsigned d = u[i] - '0';

			if (v > ((uint64_t)INT64_MAX - d) / 10)
				return fail(p, "bad Content-Length");
			v = v * 10 + d;
		}
		while (i < n && is_ows(u[i]))
			i++;
		if (p->cl_seen && (int64_t)v != p->content_length)
			return fail(p, "conflicting Content-Length headers");
		p->cl_seen = true;
		p->content_length = (int64_t)v;
		if (i == n)
			return MP_HTTP1_MORE;
		if (u[i] != ',')
			return fail(p, "bad Content-Length");
		i++;
	}
}

/* Only the last coding of all Transfer-Encoding lines matters: chunked
 * there means chunked framing, anything else means read until close
 * (RFC 9112 6.3). Empty list elements are skipped (RFC 9110 5.6.1). */
static void parse_transfer_encoding(struct mp_http1 *p, const char *s, size_t n)
{
	size_t i = 0;

	p->te_seen = true;
	while (i < n) {
		size_t start, tok;

		while (i < n && (is_ows((unsigned char)s[i]) || s[i] == ','))
			i++;
		if (i == n)
			break;
		start = i;
		while (i < n && is_tchar((unsigned char)s[i]))
			i++;
		tok = i - start;
		/* the rest of this element: coding parameters */
		while (i < n && s[i] != ',')
			i++;
		p->chunked = name_is(s + start, tok, "chunked");
	}
}

/* "name: value" (RFC 9112 5). Only the final response's own header lines
 * are acted on; interim headers and trailers are only checked. */
static enum mp_http1_rc parse_field(struct mp_http1 *p, const char *s, size_t n,
				    bool use)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t name, i, end;

	if (is_ows(u[0]))
		return fail(p, "obsolete header line folding");
	for (name = 0; name < n && is_tchar(u[name]); name++)
		;
	if (name == 0 || name == n || u[name] != ':')
		return fail(p, err_header);
	for (i = name + 1; i < n; i++)
		if (is_ctl(u[i]))
			return fail(p, err_header);
	if (!use)
		return MP_HTTP1_MORE;
	for (i = name + 1; i < n && is_ows(u[i]); i++)
		;
	for (end = n; end > i && is_ows(u[end - 1]); end--)
		;
	if (name_is(s, name, "content-length"))
		return parse_content_length(p, s + i, end - i);
	if (name_is(s, name, "transfer-encoding")) {
		parse_transfer_encoding(p, s + i, end - i);
	} else if (name_is(s, name, "last-modified")) {
		size_t len = end - i;

		if (len > sizeof(p->last_modified) - 1)
			len = sizeof(p->last_modified) - 1;
		memcpy(p->last_modified, s + i, len);
		p->last_modified[len] = '\0';
		p->has_last_modified = true;
	}
	return MP_HTTP1_MORE;
}

/* The empty line after a response's header lines: pick the body framing
 * (RFC 9112 6.3) or, after an interim response, expect the next one. */
static enum mp_http1_rc end_of_headers(struct mp_http1 *p)
{
	if (p->code < 200) {
		p->state = ST_STATUS;
		return MP_HTTP1_MORE;
	}
	p->status = p->code;
	p->head_done = true;
	if (p->code == 204 || p->code == 304) {
		p->content_length = -1;
		return finish(p);
	}
	if (p->te_seen) {
		p->content_length = -1;
		p->state = p->chunked ? ST_CHUNK_SIZE : ST_BODY_CLOSE;
		return MP_HTTP1_MORE;
	}
	if (p->cl_seen) {
		if (p->content_length == 0)
			return finish(p);
		p->remaining = (uint64_t)p->content_length;
		p->state = ST_BODY_LEN;
		return MP_HTTP1_MORE;
	}
	p->state = ST_BODY_CLOSE;
	return MP_HTTP1_MORE;
}

/* chunk-size [BWS] [; chunk-ext]; the extension is ignored. */
static enum mp_http1_rc parse_chunk_size(struct mp_http1 *p, const char *s,
					 size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		/* leading zeros are harmless: the line length bounds them */
		if (v > ((uint64_t)INT64_MAX >> 4))
			return fail(p, "chunk size too large");
		v = v << 4 | d;
	}
	if (i == 0)
		return fail(p, err_chunk);
	while (i < n && is_ows((unsigned char)s[i]))
		i++;
	if (i < n && s[i] != ';')
		return fail(p, err_chunk);
	if (v == 0) {
		p->state = ST_TRAILER;
		return MP_HTTP1_MORE;
	}
	p->remaining = v;
	p->state = ST_CHUNK_DATA;
	return MP_HTTP1_MORE;
}

static enum mp_http1_rc end_of_line(struct mp_http1 *p, size_t n)
{
	switch (p->state) {
	case ST_STATUS:
		return parse_status(p, p->line, n);
	case ST_HEADER:
		if (n == 0)
			return end_of_headers(p);
		return parse_field(p, p->line, n, p->code >= 200);
	case ST_TRAILER:
		if (n == 0)
			return finish(p);
		return parse_field(p, p->line, n, false);
	default:
		return parse_chunk_size(p, p->line, n);
	}
}

/* One byte of a status, header, trailer or chunk-size line. A line holds
 * at most MP_HTTP1_LINE_MAX bytes before its CRLF or LF; the header
 * section counts every byte, line ends included. */
static enum mp_http1_rc line_byte(struct mp_http1 *p, unsigned char c)
{
	bool head = p->state != ST_CHUNK_SIZE;

	if (head && ++p->head_bytes > MP_HTTP1_HEAD_MAX)
		return fail(p, err_head_long);
	if (c == '\n') {
		size_t n = p->line_len;

		p->line_len = 0;
		p->cr = false;
		return end_of_line(p, n);
	}
	if (p->cr) {
		/* CR is only a line end's first half, never data */
		if (p->state == ST_STATUS)
			return fail(p, err_status);
		return fail(p, head ? err_header : err_chunk);
	}
	if (c == '\0' && head)
		return fail(p, "NUL byte in response headers");
	if (c == '\r') {
		p->cr = true;
		return MP_HTTP1_MORE;
	}
	if (p->line_len == MP_HTTP1_LINE_MAX) {
		if (p->state == ST_STATUS)
			return fail(p, err_status_long);
		return fail(p, head ? err_header_long : err_chunk_long);
	}
	p->line[p->line_len++] = (char)c;
	return MP_HTTP1_MORE;
}

static enum mp_http1_rc deliver(struct mp_http1 *p, const unsigned char *data,
				size_t len, mp_http1_body_fn body, void *arg)
{
	if (body && len > 0 && !body(arg, data, len)) {
		p->state = ST_ABORTED;
		return MP_HTTP1_ABORTED;
	}
	return MP_HTTP1_MORE;
}

enum mp_http1_rc mp_http1_feed(struct mp_http1 *p, const unsigned char *data,
			       size_t len, mp_http1_body_fn body, void *arg)
{
	size_t i = 0;

	switch (p->state) {
	case ST_DONE:
		return MP_HTTP1_DONE;
	case ST_ERROR:
		return MP_HTTP1_ERROR;
	case ST_ABORTED:
		return MP_HTTP1_ABORTED;
	}
	if (len > 0)
		p->got_bytes = true;
	while (i < len) {
		enum mp_http1_rc rc;
		size_t n;

		switch (p->state) {
		case ST_BODY_LEN:
		case ST_CHUNK_DATA:
			n = len - i;
			if (n > p->remaining)
				n = (size_t)p->remaining;
			rc = deliver(p, data + i, n, body, arg);
			if (rc != MP_HTTP1_MORE)
				return rc;
			i += n;
			p->remaining -= n;
			if (p->remaining == 0) {
				if (p->state == ST_BODY_LEN)
					return finish(p);
				p->state = ST_CHUNK_CR;
			}
			break;
		case ST_BODY_CLOSE:
			rc = deliver(p, data + i, len - i, body, arg);
			if (rc != MP_HTTP1_MORE)
				return rc;
			i = len;
			break;
		case ST_CHUNK_CR:
		case ST_CHUNK_LF:
			if (data[i] == '\r' && p->state == ST_CHUNK_CR)
				p->state = ST_CHUNK_LF;
			else if (data[i] == '\n')
				p->state = ST_CHUNK_SIZE;
			else
				return fail(p, "no CRLF after chunk data");
			i++;
			break;
		default:
			rc = line_byte(p, data[i++]);
			if (rc != MP_HTTP1_MORE)
				return rc;
			break;
		}
	}
	return MP_HTTP1_MORE;
}

enum mp_http1_rc mp_http1_eof(struct mp_http1 *p)
{
	switch (p->state) {
	case ST_DONE:
		return MP_HTTP1_DONE;
	case ST_ERROR:
		return MP_HTTP1_ERROR;
	case ST_ABORTED:
		return MP_HTTP1_ABORTED;
	case ST_BODY_CLOSE:
		return finish(p);
	}
	if (!p->got_bytes) {
		p->error = "Empty reply from server";
	} else if (!p->head_done) {
		p->error = "incomplete response headers";
	} else if (p->state == ST_BODY_LEN) {
		snprintf(p->scratch, sizeof(p->scratch),
			 "transfer closed with %" PRIu64
			 " bytes remaining to read",
			 p->remaining);
		p->error = p->scratch;
	} else {
		p->error = "transfer closed with outstanding read data "
			   "remaining";
	}
	return MP_HTTP1_CLOSED;
}

/* Bytes a request line or Host header can carry as they are. */
static bool visible(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

size_t mp_http1_request(char *buf, size_t len, const char *target,
			const char *host, uint16_t port, uint16_t default_port,
			const char *user_agent)
{
	const char *lead, *ob = "", *cb = "";
	char portbuf[8] = "";
	size_t tlen;
	int n;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (!target)
		target = "";
	if (!host || !*host || !visible(target) || !visible(host))
		return 0;
	if (user_agent) {
		const char *s;

		for (s = user_agent; *s; s++)
			if (is_ctl((unsigned char)*s) || *s == '\t')
				return 0;
	}
	/* the fragment is for the client, never sent (RFC 9110 4.2.4) */
	tlen = strcspn(target, "#");
	if (tlen > INT_MAX)
		return 0;
	lead = tlen > 0 && target[0] == '/' ? "" : "/";
	if (strchr(host, ':') && host[0] != '[') {
		ob = "[";
		cb = "]";
	}
	if (port != default_port)
		snprintf(portbuf, sizeof(portbuf), ":%u", (unsigned)port);
	n = snprintf(buf, len,
		     "GET %s%.*s HTTP/1.1\r\n"
		     "Host: %s%s%s%s\r\n"
		     "%s%s%s"
		     "Accept: */*\r\n"
		     "\r\n",
		     lead, (int)tlen, target, ob, host, cb, portbuf,
		     user_agent && *user_agent ? "User-Agent: " : "",
		     user_agent && *user_agent ? user_agent : "",
		     user_agent && *user_agent ? "\r\n" : "");
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}
