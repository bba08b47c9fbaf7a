/*
 * A vantage point's view: the verdict (up or down) of one node on every
 * address it checks, and the time it was made, as published in the zone
 * in a TXT RRset at <node>.<views>.
 *
 * Wire form. Every TXT record of the RRset is self-describing, since an
 * RRset has no order: its first character-string is the header
 *
 *     mpv1 t=<Unix time of the view in ms> p=<part>/<parts>
 *
 * and the strings after it hold items separated by single spaces,
 * "ADDRESS=up" or "ADDRESS=down"; an address checked in more than one pool
 * is written "ADDRESS@POOL=up" once per pool. An item never straddles two
 * strings. A view too large for one record is split into parts; a reader
 * takes a view only when every part is there with the same time.
 *
 * Decoding treats its input as hostile: every length and count is bounded,
 * and a problem fails the whole view with a message naming it.
 */
#ifndef MP_VIEW_H
#define MP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define MP_VIEW_VERSION "mpv1"
#define MP_VIEW_MAX_ITEMS 4096 /* 2 families x 100 addresses x pools */
#define MP_VIEW_MAX_RECORDS 64 /* parts of one view */
#define MP_VIEW_MIN_RDATA 512  /* smallest record size the encoder takes */
#define MP_VIEW_DEFAULT_RDATA 1024
#define MP_TXT_STRING_MAX 255

enum mp_verdict {
	MP_VERDICT_UNKNOWN = 0, /* not (yet) decided: no vote */
	MP_VERDICT_UP = 1,
	MP_VERDICT_DOWN = 2,
};

/* "up", "down", "unknown". */
const char *mp_verdict_name(enum mp_verdict v);

struct mp_view_item {
	struct mp_addr addr;
	char *pool; /* absolute owner name; NULL: every pool */
	enum mp_verdict verdict;
};

struct mp_view {
	uint64_t time_ms; /* wall clock, Unix ms, when the view was made */
	struct mp_view_item *items;
	size_t n, cap;
};

void mp_view_init(struct mp_view *v);
void mp_view_clear(struct mp_view *v); /* frees storage */
/* Appends an item (pool may be NULL; copied). MP_EEXIST when the same
 * address and pool is already there, MP_ESPACE past MP_VIEW_MAX_ITEMS. */
int mp_view_add(struct mp_view *v, const struct mp_addr *a, const char *pool,
		enum mp_verdict verdict);
/* The verdict on a of pool: an item naming pool, else one naming no pool,
 * else MP_VERDICT_UNKNOWN. */
enum mp_verdict mp_view_lookup(const struct mp_view *v, const struct mp_addr *a,
			       const char *pool);
/* Same items (in any order), whatever the times. */
bool mp_view_same_items(const struct mp_view *a, const struct mp_view *b);
/* Deep copy into dst (cleared first). */
int mp_view_copy(struct mp_view *dst, const struct mp_view *src);

/* One TXT record's RDATA in wire form: character-strings, each a length
 * byte and up to 255 bytes. */
struct mp_txt_record {
	unsigned char *rdata;
	size_t len;
};
struct mp_txt_set {
	struct mp_txt_record *v;
	size_t n;
};
void mp_txt_set_clear(struct mp_txt_set *s);
/* Appends a copy of rdata. */
int mp_txt_set_add(struct mp_txt_set *s, const unsigned char *rdata,
		   size_t len);
/* Total RDATA bytes. */
size_t mp_txt_set_bytes(const struct mp_txt_set *s);

/*
 * Encodes v into out (cleared first), each record's RDATA at most max_rdata
 * bytes (at least MP_VIEW_MIN_RDATA). Returns 0, MP_ENOMEM, MP_EINVAL for
 * a bad max_rdata, or MP_ESPACE when an item or the view does not fit.
 */
int mp_view_encode(const struct mp_view *v, size_t max_rdata,
		   struct mp_txt_set *out);

/*
 * Decodes the TXT RRset in into out (cleared first). Returns 0, MP_ENOMEM,
 * or MP_EPROTO with a message in why ("part 2 of 3 is missing", "record 1,
 * item \"192.0.2.1=maybe\": the verdict is not up or down").
 */
int mp_view_decode(const struct mp_txt_set *in, struct mp_view *out, char *why,
		   size_t whylen);

#endif
