#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mp_strbuf_printf(struct mp_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int l;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->n;
		va_start(ap, fmt);
		l = vsnprintf(b->p ? b->p + b->n : NULL, room, fmt, ap);
		va_end(ap);
		if (l < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)l < room) {
			b->n += (size_t)l;
			return;
		}
		size_t ncap = b->cap ? b->cap * 2 : 1024;
		while (ncap - b->n <= (size_t)l)
			ncap *= 2;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

char *mp_strbuf_take(struct mp_strbuf *b)
{
	char *out = b->p;

	if (b->oom) {
		free(b->p);
		out = NULL;
	} else if (!out) {
		out = strdup("");
	}
	b->p = NULL;
	b->n = b->cap = 0;
	b->oom = false;
	return out;
}
