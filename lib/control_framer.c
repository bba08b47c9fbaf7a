/*
 * The control protocol's line framer (see control_proto.h): bytes from a
 * stream in, one complete request line at a time out, with the length of a
 * line and the memory held bounded by MP_CTL_MAX_LINE.
 */
#include "control_proto.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

void mp_ctl_framer_init(struct mp_ctl_framer *f)
{
	memset(f, 0, sizeof(*f));
}

void mp_ctl_framer_free(struct mp_ctl_framer *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

/* From now on the framer refuses everything; what it held is dropped. */
static int framer_fail(struct mp_ctl_framer *f)
{
	f->overflow = true;
	f->len = f->off = f->scan = f->tail = 0;
	return MP_ESPACE;
}

int mp_ctl_framer_feed(struct mp_ctl_framer *f, const void *data, size_t len)
{
	const char *d = data;
	size_t t, need;

	if (f->overflow)
		return MP_ESPACE;
	if (len == 0)
		return MP_OK;
	if (f->off > 0) {
		memmove(f->buf, f->buf + f->off, f->len - f->off);
		f->len -= f->off;
		f->tail -= f->off;
		f->off = 0;
	}
	/* One spare byte so that a last unterminated line can be
	 * NUL-terminated by mp_ctl_framer_finish. */
	need = f->len + len + 1;
	if (need > f->cap) {
		size_t ncap = f->cap ? f->cap : 4096;
		char *nb;
		while (ncap < need)
			ncap *= 2;
		nb = realloc(f->buf, ncap);
		if (!nb)
			return MP_ENOMEM;
		f->buf = nb;
		f->cap = ncap;
	}
	memcpy(f->buf + f->len, d, len);
	f->len += len;

	/* Only the new bytes can move the start of the unfinished line. */
	for (t = len; t > 0; t--) {
		if (d[t - 1] == '\n') {
			f->tail = f->len - len + t;
			break;
		}
	}
	/* An unfinished line that is already too long can never be taken:
	 * drop it now so that memory stays bounded, and let the lines before
	 * it out first. A trailing "\r" may still belong to "\r\n". */
	t = f->len - f->tail;
	if (t > MP_CTL_MAX_LINE + 1 ||
	    (t == MP_CTL_MAX_LINE + 1 && f->buf[f->len - 1] != '\r')) {
		f->len = f->tail;
		f->scan = 0;
		f->overflow = true;
	}
	return MP_OK;
}

int mp_ctl_framer_next(struct mp_ctl_framer *f, const char **line, size_t *len)
{
	char *start, *nl;
	size_t l;

	if (f->off < f->len) {
		start = f->buf + f->off;
		nl = memchr(start + f->scan, '\n', f->len - f->off - f->scan);
		if (!nl) {
			f->scan = f->len - f->off;
			goto none;
		}
		l = (size_t)(nl - start);
		f->off += l + 1;
		f->scan = 0;
		if (l > 0 && start[l - 1] == '\r')
			l--;
		if (l > MP_CTL_MAX_LINE)
			return framer_fail(f);
		start[l] = '\0';
		*line = start;
		*len = l;
		return 1;
	}
none:
	return f->overflow ? MP_ESPACE : 0;
}

int mp_ctl_framer_finish(struct mp_ctl_framer *f, const char **line,
			 size_t *len)
{
	int rc = mp_ctl_framer_next(f, line, len);
	size_t l;

	if (rc != 0 || f->off >= f->len)
		return rc;
	l = f->len - f->off;
	if (f->buf[f->off + l - 1] == '\r')
		l--;
	if (l > MP_CTL_MAX_LINE)
		return framer_fail(f);
	f->buf[f->off + l] = '\0';
	*line = f->buf + f->off;
	*len = l;
	/* Everything held is taken: the framer is empty again, ready for a
	 * new stream (the line stays valid until the next feed). */
	f->off = f->tail = f->len;
	f->scan = 0;
	return 1;
}
