#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mp_diag_init(struct mp_diag *d)
{
	d->msgs = NULL;
	d->n = 0;
	d->cap = 0;
}

void mp_diag_clear(struct mp_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	mp_diag_init(d);
}

void mp_diag_add(struct mp_diag *d, const char *file, int line, const char *fmt,
		 ...)
{
	char body[1024], *msg;
	va_list ap;
	int len;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);

	if (file && line > 0)
		len = snprintf(NULL, 0, "%s:%d: %s", file, line, body);
	else if (file)
		len = snprintf(NULL, 0, "%s: %s", file, body);
	else
		len = snprintf(NULL, 0, "%s", body);
	if (len < 0)
		return;
	msg = malloc((size_t)len + 1);
	if (!msg)
		return;
	if (file && line > 0)
		snprintf(msg, (size_t)len + 1, "%s:%d: %s", file, line, body);
	else if (file)
		snprintf(msg, (size_t)len + 1, "%s: %s", file, body);
	else
		snprintf(msg, (size_t)len + 1, "%s", body);

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 8;
		char **nm = realloc(d->msgs, ncap * sizeof(*nm));
		if (!nm) {
			free(msg);
			return;
		}
		d->msgs = nm;
		d->cap = ncap;
	}
	d->msgs[d->n++] = msg;
}

char *mp_diag_join(const struct mp_diag *d, const char *sep)
{
	size_t total = 1, seplen = strlen(sep);
	char *out, *p;

	if (d->n == 0)
		return NULL;
	for (size_t i = 0; i < d->n; i++)
		total += strlen(d->msgs[i]) + seplen;
	out = malloc(total);
	if (!out)
		return NULL;
	p = out;
	for (size_t i = 0; i < d->n; i++) {
		size_t l = strlen(d->msgs[i]);
		if (i > 0) {
			memcpy(p, sep, seplen);
			p += seplen;
		}
		memcpy(p, d->msgs[i], l);
		p += l;
	}
	*p = '\0';
	return out;
}
