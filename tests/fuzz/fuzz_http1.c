/*
 * HTTP/1.x response parser (lib/http1.c). The same input is fed whole, one
 * byte at a time and in pieces cut where the input's own bytes say; every
 * way must give the same result (return code, status, framing, date, error
 * text, body bytes and where the parse stopped), since a mirror decides how
 * its response is split into segments.
 */
#include "fuzz.h"
#include "http1.h"

#include <stdbool.h>
#include <string.h>

struct result {
	enum mp_http1_rc rc, eof_rc;
	int status;
	int64_t content_length;
	bool headers_done, has_last_modified;
	char last_modified[MP_HTTP1_DATE_MAX];
	char error[128];
	size_t body_len;
	uint64_t body_hash;
	size_t limit; /* abort once more body bytes than this came */
};

static bool on_body(void *arg, const unsigned char *data, size_t len)
{
	struct result *r = arg;

	MP_FUZZ_ASSERT(len > 0);
	for (size_t i = 0; i < len; i++)
		r->body_hash = (r->body_hash ^ data[i]) * 1099511628211ULL;
	r->body_len += len;
	return r->body_len <= r->limit;
}

/* Feeds data in pieces; piece(i) gives the length of the next piece. */
static void run(const uint8_t *data, size_t size, size_t limit,
		size_t (*piece)(const uint8_t *, size_t, size_t),
		struct result *r)
{
	struct mp_http1 p;
	size_t at = 0;

	memset(r, 0, sizeof(*r));
	r->limit = limit;
	r->body_hash = 14695981039346656037ULL;
	mp_http1_init(&p);
	r->rc = MP_HTTP1_MORE;
	while (at < size) {
		size_t n = piece(data, size, at);
		if (n == 0 || n > size - at)
			n = size - at;
		r->rc = mp_http1_feed(&p, data + at, n, on_body, r);
		at += n;
		if (r->rc != MP_HTTP1_MORE)
			break;
	}
	r->eof_rc = mp_http1_eof(&p);
	r->status = mp_http1_headers_done(&p) ? p.status : 0;
	r->content_length = mp_http1_headers_done(&p) ? p.content_length : 0;
	r->headers_done = mp_http1_headers_done(&p);
	r->has_last_modified = p.has_last_modified;
	if (p.has_last_modified) {
		MP_FUZZ_ASSERT(memchr(p.last_modified, '\0',
				      sizeof(p.last_modified)) != NULL);
		memcpy(r->last_modified, p.last_modified,
		       sizeof(r->last_modified));
	}
	if (r->rc == MP_HTTP1_ERROR || r->eof_rc == MP_HTTP1_CLOSED ||
	    r->eof_rc == MP_HTTP1_ERROR) {
		MP_FUZZ_ASSERT(p.error != NULL && p.error[0] != '\0');
		MP_FUZZ_ASSERT(strlen(p.error) < sizeof(r->error));
		memcpy(r->error, p.error, strlen(p.error) + 1);
	}
	/* After the end, more bytes change nothing. */
	if (r->rc != MP_HTTP1_MORE) {
		enum mp_http1_rc again =
		    mp_http1_feed(&p, (const uint8_t *)"x", 1, on_body, r);
		MP_FUZZ_ASSERT(again == r->rc);
	}
}

static size_t whole(const uint8_t *d, size_t size, size_t at)
{
	return size - at;
}

static size_t bytewise(const uint8_t *d, size_t size, size_t at)
{
	return 1;
}

/* Cuts after each byte whose low three bits are zero, and at most every
 * 300 bytes: splits that move with the input's content. */
static size_t by_content(const uint8_t *d, size_t size, size_t at)
{
	size_t n = 1;
	while (at + n < size && n < 300 && (d[at + n - 1] & 7) != 0)
		n++;
	return n;
}

static void same(const struct result *a, const struct result *b,
		 const char *how)
{
	if (a->rc != b->rc || a->eof_rc != b->eof_rc ||
	    a->status != b->status || a->content_length != b->content_length ||
	    a->headers_done != b->headers_done ||
	    a->has_last_modified != b->has_last_modified ||
	    strcmp(a->last_modified, b->last_modified) != 0 ||
	    strcmp(a->error, b->error) != 0 ||
	    /* an abort stops inside a piece: how much came before it
	     * depends on the pieces */
	    (a->rc != MP_HTTP1_ABORTED &&
	     (a->body_len != b->body_len || a->body_hash != b->body_hash)))
		mp_fuzz_fail("%s differs from whole: rc %d/%d eof %d/%d "
			     "status %d/%d error \"%s\"/\"%s\" body %zu/%zu",
			     how, (int)a->rc, (int)b->rc, (int)a->eof_rc,
			     (int)b->eof_rc, a->status, b->status, a->error,
			     b->error, a->body_len, b->body_len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result w, b, c;
	/* the first byte picks a body limit, as max_body does */
	size_t limit =
	    size > 0 && (data[0] & 1) ? (size_t)(data[0] >> 1) : (size_t)-1;

	if (size > 200000)
		return 0;
	run(data, size, limit, whole, &w);
	run(data, size, limit, bytewise, &b);
	same(&w, &b, "byte by byte");
	run(data, size, limit, by_content, &c);
	same(&w, &c, "split by content");
	if (w.rc == MP_HTTP1_DONE || w.eof_rc == MP_HTTP1_DONE)
		MP_FUZZ_ASSERT(w.headers_done && w.status >= 100 &&
			       w.status <= 999);
	return 0;
}
