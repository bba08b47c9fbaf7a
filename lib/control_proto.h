/*
 * The control socket protocol (SPEC §6): one JSON object per line each way.
 * Requests are parsed strictly (unknown keys, wrong types and odd values are
 * refused with a message meant for the operator); replies are
 * {"ok":true,...} or {"ok":false,"error":"..."}. Pure: the agent's socket
 * code feeds bytes into a framer and hands lines to the parser.
 */
#ifndef MP_CONTROL_PROTO_H
#define MP_CONTROL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "addr.h"

/* Longest request line in bytes, without its newline. Replies (a status of a
 * large config) are not bounded by it. */
#define MP_CTL_MAX_LINE 65536
/* Longest drain reason, in characters (UTF-8 code points). */
#define MP_CTL_MAX_REASON 200
/* Longest mirror or pool name accepted, in bytes. */
#define MP_CTL_MAX_NAME 255

enum mp_ctl_cmd {
	MP_CTL_STATUS = 0,
	MP_CTL_DRAIN = 1,
	MP_CTL_UNDRAIN = 2,
	MP_CTL_CHECK = 3,
	MP_CTL_SYNC = 4,
	MP_CTL_RELOAD = 5,
	MP_CTL_METRICS = 6,
};

/* Which keys each command takes besides "cmd":
 *   status   pool?
 *   drain    mirror, address?, reason?, for?, force?, update?
 *   undrain  mirror, address?
 *   check    mirror?
 *   sync, reload, metrics: none */
struct mp_ctl_request {
	enum mp_ctl_cmd cmd;
	char *pool;   /* status; NULL: all pools */
	char *mirror; /* drain, undrain (required); check (NULL: all) */
	char *reason; /* drain; NULL when not given */
	bool has_address;
	struct mp_addr address; /* drain, undrain: one address only */
	uint64_t for_ms;	/* drain: expires after this; 0: never */
	bool force;		/* drain: may go below min_healthy */
	bool update;		/* drain: change an existing drain, keeping
				   the reason and expiry not given again */
};

/* "status", "drain", ...; "?" for a value outside the enum. */
const char *mp_ctl_cmd_name(enum mp_ctl_cmd cmd);

/*
 * Parses one request line of len bytes (without its newline; need not be
 * NUL-terminated). *out is overwritten (clear an earlier request first) and
 * owns its strings; free with mp_ctl_request_clear. On failure *out is left
 * cleared, err (if errlen > 0) holds the reason to send back, and the
 * return value is MP_EINVAL (bad request) or MP_ENOMEM.
 */
int mp_ctl_request_parse(const char *line, size_t len,
			 struct mp_ctl_request *out, char *err, size_t errlen);

/* Renders a request as one line without trailing newline: keys in a fixed
 * order, optional ones left out when unset ("force" is always written for
 * drain, "update" only when true). Caller frees; NULL on allocation failure or
 * a bad cmd. */
char *mp_ctl_request_encode(const struct mp_ctl_request *r);

/* Frees the strings and zeroes *r. */
void mp_ctl_request_clear(struct mp_ctl_request *r);

/* {"ok":true} followed by the keys of fields (an object; may be NULL; the
 * reference is stolen, and an "ok" key in it is ignored). Caller frees;
 * NULL on allocation failure or when fields is not an object. */
char *mp_ctl_reply_ok(json_t *fields);

/* {"ok":false,"error":"..."} with a printf-formatted message. Bytes that are
 * not valid UTF-8 become '?'. Caller frees; NULL on allocation failure. */
char *mp_ctl_reply_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * Parses a reply line (NUL-terminated; a trailing newline is fine). On
 * success returns 0, *obj holds the whole reply (caller json_decref's it),
 * *ok its "ok" and *error the "error" text when !*ok (NULL when ok). *error
 * points into *obj, so it is only set when obj is not NULL. Returns
 * MP_EPROTO when the line is not a JSON object with a boolean "ok", or a
 * failed reply lacks a string "error"; *obj is then NULL. Any output pointer
 * may be NULL.
 */
int mp_ctl_reply_parse(const char *line, json_t **obj, bool *ok,
		       const char **error);

/*
 * Splits a byte stream into lines ending in "\n" (a "\r" before it is
 * dropped too). Lines longer than MP_CTL_MAX_LINE are refused: the framer
 * then fails for good, and the server replies with an error and closes.
 * Memory held is bounded by MP_CTL_MAX_LINE plus the bytes of one feed.
 */
struct mp_ctl_framer {
	char *buf;
	size_t len;    /* bytes held */
	size_t cap;    /* bytes allocated */
	size_t off;    /* start of the next line in buf */
	size_t scan;   /* bytes from off known to hold no newline */
	size_t tail;   /* start of the unfinished last line */
	bool overflow; /* a line was too long: no more input taken */
};

void mp_ctl_framer_init(struct mp_ctl_framer *f);
void mp_ctl_framer_free(struct mp_ctl_framer *f);

/* Adds bytes read from the peer. Returns 0, MP_ENOMEM, or MP_ESPACE when
 * the framer has already failed (the bytes are dropped). An over-long line
 * is reported by mp_ctl_framer_next once the lines before it are out. */
int mp_ctl_framer_feed(struct mp_ctl_framer *f, const void *data, size_t len);

/* Takes the next complete line: returns 1 with *line (NUL-terminated,
 * without "\n"/"\r\n", valid until the next feed, next or free) and *len; 0
 * when no complete line is held; MP_ESPACE when the next line is longer than
 * MP_CTL_MAX_LINE (and for every call after that). */
int mp_ctl_framer_next(struct mp_ctl_framer *f, const char **line, size_t *len);

/* At end of input: takes a last line that lacks its newline, as
 * mp_ctl_framer_next does; 0 when nothing is left. */
int mp_ctl_framer_finish(struct mp_ctl_framer *f, const char **line,
			 size_t *len);

#endif
