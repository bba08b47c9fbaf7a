/*
 * Diagnostics collected while loading a config or key file: every problem is
 * kept (not just the first) as "FILE:LINE: message" so an operator can fix
 * them all in one go.
 */
#ifndef MP_DIAG_H
#define MP_DIAG_H

#include <stddef.h>

struct mp_diag {
	char **msgs;
	size_t n;
	size_t cap;
};

void mp_diag_init(struct mp_diag *d);
void mp_diag_clear(struct mp_diag *d);

/* Adds "FILE:LINE: message" (or "FILE: message" when line is 0, or just the
 * message when file is NULL). Out of memory is recorded as a count only. */
void mp_diag_add(struct mp_diag *d, const char *file, int line, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));

/* Joins all messages with sep into a newly allocated string (caller frees);
 * NULL when there are none or on allocation failure. */
char *mp_diag_join(const struct mp_diag *d, const char *sep);

#endif
