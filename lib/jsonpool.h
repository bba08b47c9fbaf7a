/*
 * A JSON mirror list in the shape Tails serves as mirrors.json: either an
 * array of entries or an object whose "mirrors" member is that array. Each
 * entry is an object with "url_prefix" (the http(s) URL a file's path is
 * appended to) and "weight" (a non-negative integer, 0 = never used), and
 * any other members ("rsync_url", "email", "notes", a "name", fields of
 * future versions) which mirrorpool keeps as they are.
 *
 * The output of a JSON pool is the source text with some weights set to 0
 * and every other byte unchanged, so the parse records where each entry's
 * weight number sits in the text. Pure: the text comes in, text goes out.
 */
#ifndef MP_JSONPOOL_H
#define MP_JSONPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mp_jp_mirror {
	char *name;	  /* the "name" member, else url_prefix's host */
	char *url_prefix; /* as written */
	unsigned weight;  /* in the source */
	size_t weight_off, weight_len; /* the weight number in the text */
	int line;		       /* where the entry starts */
};

struct mp_jp_list {
	char *text; /* the source, as read (NUL-terminated copy) */
	size_t len;
	struct mp_jp_mirror *mirrors;
	size_t n;
};

/*
 * Parses and validates the len bytes of text (file names it in messages).
 * On success returns 0 and *out (free with mp_jp_list_free). On failure
 * returns MP_EINVAL (or MP_ENOMEM) with err set to
 * "FILE:LINE:COLUMN: what is wrong".
 */
int mp_jp_parse(const char *text, size_t len, const char *file,
		struct mp_jp_list **out, char *err, size_t errlen);
void mp_jp_list_free(struct mp_jp_list *l);

/* Index of the entry named name; l->n when there is none. */
size_t mp_jp_find(const struct mp_jp_list *l, const char *name);

/*
 * The output text: the source with entry i's weight number replaced by
 * weight[i] where it differs from the source's. Caller frees; *len gets
 * its length. NULL when out of memory.
 */
char *mp_jp_render(const struct mp_jp_list *l, const unsigned *weight,
		   size_t *len);

/* What the health engine knows of one entry. */
struct mp_jp_state {
	bool up;	     /* health state is up */
	bool suppressed;     /* held out by flap damping */
	bool stale;	     /* no recent result to trust */
	bool drained;	     /* by the operator */
	bool published;	     /* weight > 0 in the output now */
	uint64_t last_ok_at; /* most recently healthy, ms; 0 never */
};

struct mp_jp_decision {
	size_t n_candidates;  /* up, fresh, undrained, source weight > 0 */
	size_t n_floor_kept;  /* kept by min_healthy although out */
	size_t n_freeze_kept; /* kept by the freeze although out */
	size_t n_empty_kept;  /* kept because the output would be empty */
	size_t n_published;   /* entries with weight > 0 in the output */
	bool below_floor;
};

/*
 * The weights to publish for l's entries with states st: the source weight
 * for each entry that is in, 0 for the others. The rules of DNS pools, in
 * the same order: candidates, the min_healthy floor (never zero more than
 * leaves min_healthy with weight > 0), the freeze (nothing is zeroed), never
 * empty by health alone; drains and a source weight of 0 always give 0.
 * Returns 0, or MP_ENOMEM.
 */
int mp_jp_decide(const struct mp_jp_list *l, const struct mp_jp_state *st,
		 unsigned min_healthy, bool frozen, unsigned *weight,
		 struct mp_jp_decision *d);

#endif
