/* Helpers of the status text: reading the agent's JSON leniently (a
 * missing or mistyped field shows as "?") and terminal columns. */
#include "status_text_int.h"

#include <stdio.h>

#include "duration.h"

/* Display width of UTF-8 text: one column per code point. */
size_t mp_st_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Pads to w columns after writing s. */
void mp_st_sb_cell(struct mp_strbuf *b, const char *s, size_t w)
{
	size_t have = mp_st_width(s);

	mp_strbuf_printf(b, "%s%*s", s, (int)(w > have ? w - have : 0), "");
}

/* ------------------------------------------------------------------------
 * Reading the JSON leniently.
 */

/* A string value made safe for a terminal: control characters become '?'.
 * Returns buf; "?" when the key is missing or not a string. */
const char *mp_st_jstr(const json_t *o, const char *key, char *buf, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));
	size_t i = 0;

	if (!s) {
		snprintf(buf, len, "?");
		return buf;
	}
	for (; *s && i + 1 < len; s++, i++) {
		unsigned char c = (unsigned char)*s;
		buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	/* Do not leave half a UTF-8 sequence at a cut. */
	if (*s)
		while (i > 0 && ((unsigned char)buf[i - 1] & 0x80))
			if (((unsigned char)buf[--i] & 0xc0) == 0xc0)
				break;
	buf[i] = '\0';
	return buf;
}

bool mp_st_jint(const json_t *o, const char *key, json_int_t *v)
{
	json_t *x = json_object_get(o, key);

	if (!json_is_integer(x))
		return false;
	*v = json_integer_value(x);
	return true;
}

bool mp_st_jtrue(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

/* "12s ago", "just now", or "in 5m" for a time in the future. */
const char *mp_st_when(json_int_t at, uint64_t now_s, char *buf, size_t len)
{
	char d[32];

	if (at < 0) {
		snprintf(buf, len, "?");
	} else if ((uint64_t)at == now_s) {
		snprintf(buf, len, "just now");
	} else if ((uint64_t)at < now_s) {
		mp_duration_human((now_s - (uint64_t)at) * 1000, d, sizeof(d));
		snprintf(buf, len, "%s ago", d);
	} else {
		mp_duration_human(((uint64_t)at - now_s) * 1000, d, sizeof(d));
		snprintf(buf, len, "in %s", d);
	}
	return buf;
}
