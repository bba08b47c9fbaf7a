/* A growing text buffer for rendering (status, metrics). After an allocation
 * failure it only records that, so callers check once at the end. */
#ifndef MP_STRBUF_H
#define MP_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct mp_strbuf {
	char *p;
	size_t n, cap;
	bool oom;
};

#define MP_STRBUF_INIT                                                         \
	{                                                                      \
		NULL, 0, 0, false                                              \
	}

void mp_strbuf_printf(struct mp_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The text (caller frees), or NULL after a failure (nothing leaked); the
 * buffer is empty again afterwards. An empty buffer gives "". */
char *mp_strbuf_take(struct mp_strbuf *b);

#endif
