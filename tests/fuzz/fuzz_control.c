/*
 * Control protocol (lib/control_proto.c): the line framer fed in pieces
 * (including after mp_ctl_framer_finish, which empties it), every line it
 * gives parsed as a request and as a reply. A request that parses is
 * encoded, and the encoding must parse to the same request and encode to
 * the same line; an error must say something; a reply built from a parse
 * error must parse back as a failed reply.
 */
#include "control_proto.h"
#include "error.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

static void same_request(const struct mp_ctl_request *a,
			 const struct mp_ctl_request *b)
{
#define SAME_STR(x, y) ((!(x) && !(y)) || ((x) && (y) && strcmp(x, y) == 0))
	MP_FUZZ_ASSERT(a->cmd == b->cmd);
	MP_FUZZ_ASSERT(SAME_STR(a->pool, b->pool));
	MP_FUZZ_ASSERT(SAME_STR(a->mirror, b->mirror));
	MP_FUZZ_ASSERT(SAME_STR(a->reason, b->reason));
	MP_FUZZ_ASSERT(a->has_address == b->has_address);
	if (a->has_address)
		MP_FUZZ_ASSERT(mp_addr_equal(&a->address, &b->address));
	MP_FUZZ_ASSERT(a->for_ms == b->for_ms);
	MP_FUZZ_ASSERT(a->force == b->force);
#undef SAME_STR
}

static void one_line(const char *line, size_t len)
{
	struct mp_ctl_request r, again;
	char err[256] = "", err2[256] = "";
	int rc;

	MP_FUZZ_ASSERT(len <= MP_CTL_MAX_LINE);
	MP_FUZZ_ASSERT(line[len] == '\0');
	rc = mp_ctl_request_parse(line, len, &r, err, sizeof(err));
	if (rc == MP_OK) {
		char *enc = mp_ctl_request_encode(&r);
		MP_FUZZ_ASSERT(enc != NULL);
		MP_FUZZ_ASSERT(strchr(enc, '\n') == NULL);
		MP_FUZZ_ASSERT(mp_ctl_request_parse(enc, strlen(enc), &again,
						    err2,
						    sizeof(err2)) == MP_OK);
		same_request(&r, &again);
		{
			char *enc2 = mp_ctl_request_encode(&again);
			MP_FUZZ_ASSERT(enc2 && strcmp(enc, enc2) == 0);
			free(enc2);
		}
		if (r.for_ms)
			MP_FUZZ_ASSERT(r.cmd == MP_CTL_DRAIN);
		mp_ctl_request_clear(&again);
		mp_ctl_request_clear(&r);
		free(enc);
	} else {
		char *reply;
		json_t *obj = NULL;
		bool ok = true;
		const char *error = NULL;

		MP_FUZZ_ASSERT(rc == MP_EINVAL);
		MP_FUZZ_ASSERT(err[0] != '\0');
		MP_FUZZ_ASSERT(r.pool == NULL && r.mirror == NULL &&
			       r.reason == NULL);
		/* the message goes back to the client as a failed reply */
		reply = mp_ctl_reply_error("%s", err);
		MP_FUZZ_ASSERT(reply != NULL);
		MP_FUZZ_ASSERT(mp_ctl_reply_parse(reply, &obj, &ok, &error) ==
			       MP_OK);
		MP_FUZZ_ASSERT(!ok && error != NULL);
		json_decref(obj);
		free(reply);
	}

	/* the same line as a reply from the agent */
	{
		json_t *obj = NULL;
		bool ok = false;
		const char *error = NULL;
		if (mp_ctl_reply_parse(line, &obj, &ok, &error) == MP_OK) {
			MP_FUZZ_ASSERT(obj != NULL);
			MP_FUZZ_ASSERT(ok || error != NULL);
			json_decref(obj);
		} else {
			MP_FUZZ_ASSERT(obj == NULL);
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

/* The input is a byte stream fed in pieces of 4096 bytes; a 0xff byte
 * followed by a length byte ends a piece and sets the size of the next
 * ones (0: finish, then go on feeding into the emptied framer, in pieces of
 * 4096 bytes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_ctl_framer f;
	size_t at = 0, step = 4096;
	const char *line;
	size_t len;
	int rc;
	bool failed = false;

	mp_ctl_framer_init(&f);
	while (at < size) {
		size_t n = step;

		if (data[at] == 0xff && at + 1 < size) {
			step = data[at + 1];
			at += 2;
			if (step == 0) {
				step = 4096;
				while ((rc = mp_ctl_framer_finish(&f, &line,
								  &len)) == 1)
					one_line(line, len);
				MP_FUZZ_ASSERT(rc == 0 || rc == MP_ESPACE);
				/* finish took everything */
				if (rc == 0) {
					MP_FUZZ_ASSERT(
					    mp_ctl_framer_next(&f, &line,
							       &len) == 0);
					MP_FUZZ_ASSERT(f.off == f.len &&
						       f.tail == f.len);
				}
			}
			continue;
		}
		if (n > size - at)
			n = size - at;
		/* a feed ends before the next marker (a last 0xff is data) */
		{
			const uint8_t *ff = memchr(data + at + 1, 0xff, n - 1);
			if (ff && ff + 1 < data + size)
				n = (size_t)(ff - (data + at));
		}
		rc = mp_ctl_framer_feed(&f, data + at, n);
		MP_FUZZ_ASSERT(rc == MP_OK || rc == MP_ESPACE);
		if (rc == MP_ESPACE) {
			MP_FUZZ_ASSERT(f.overflow);
			failed = true;
		}
		at += n;
		while ((rc = mp_ctl_framer_next(&f, &line, &len)) == 1)
			one_line(line, len);
		MP_FUZZ_ASSERT(rc == 0 || rc == MP_ESPACE);
		if (rc == MP_ESPACE)
			failed = true;
		/* all complete lines are out: what is held is the
		 * unfinished last line, which is bounded */
		MP_FUZZ_ASSERT(failed || f.len - f.off <= MP_CTL_MAX_LINE + 1);
		MP_FUZZ_ASSERT(f.off <= f.tail && f.tail <= f.len);
	}
	while ((rc = mp_ctl_framer_finish(&f, &line, &len)) == 1)
		one_line(line, len);
	MP_FUZZ_ASSERT(rc == 0 || rc == MP_ESPACE);
	mp_ctl_framer_free(&f);
	return 0;
}
