/*
 * Trace-file dates (mp_trace_time_parse, declared in checkeval.h): the first
 * line of a mirror's trace file as Unix seconds. A small civil-date parser
 * of its own (no strptime/timegm, no locale, no time zone database):
 *
 *   epoch      1763800000
 *   ISO 8601   2025-11-22T08:26:40Z, 2025-11-22 08:26:40 (UTC), with
 *              fractional seconds, " UTC", or an offset +01:00 / -0500
 *   RFC 1123   Sat, 22 Nov 2025 08:26:40 GMT (or UTC, +0000)
 *   date(1)    Sat Nov 22 08:26:40 UTC 2025, Sat 22 Nov 2025 08:26:40 UTC
 *              (or GMT)
 *   asctime    Sat Nov 22 08:26:40 2025
 *
 * Day and month names are English, abbreviated or in full, in any case;
 * fields are separated by any run of blanks. A day of the week, where the
 * form has one, must be the date's (a stamp that disagrees with itself is
 * not trusted). The date must exist (no 31 Nov), the year must be 1970 to
 * 9999, hours 0-23, minutes 0-59, seconds 0-60 (a leap second counts as
 * the next second's start). Zones other than UTC/GMT/+0000 are refused
 * rather than guessed; only ISO 8601 carries a numeric offset.
 */
#include "checkeval.h"

#include <string.h>
#include <strings.h>

/* Longest first line worth looking at; a date never needs more. */
#define LINE_MAX_BYTES 128
#define MAX_TOKENS 8

static const char *const wdays[] = {"sunday",	 "monday",   "tuesday",
				    "wednesday", "thursday", "friday",
				    "saturday"};
static const char *const months[] = {
    "january", "february", "march",	"april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (the
 * days_from_civil algorithm: eras of 400 years, March-based years). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dim[] = {31, 28, 31, 30, 31, 30,
				       31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dim[m - 1];
}

struct civil {
	int64_t year;
	unsigned month, day, hour, min, sec;
	int wday; /* 0 Sunday .. 6 Saturday; -1: the form has none */
};

/* Unix seconds of c minus offset_s (local = UTC + offset), or -1 when the
 * date does not exist, is before 1970 or disagrees with its weekday. */
static int64_t to_unix(const struct civil *c, int64_t offset_s)
{
	int64_t days, t;

	if (c->year < 1970 || c->year > 9999 || c->month < 1 || c->month > 12 ||
	    c->day < 1 || c->day > days_in_month(c->year, c->month) ||
	    c->hour > 23 || c->min > 59 || c->sec > 60)
		return -1;
	days = days_from_civil(c->year, c->month, c->day);
	/* 1970-01-01 was a Thursday */
	if (c->wday >= 0 && (days + 4) % 7 != c->wday)
		return -1;
	t = days * 86400 + (int64_t)c->hour * 3600 + (int64_t)c->min * 60 +
	    c->sec - offset_s;
	return t < 0 ? -1 : t;
}

/* Exactly n digits at s (len bytes). */
static bool digits(const char *s, size_t len, size_t n, unsigned *out)
{
	unsigned v = 0;

	if (len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* One or two digits, then what follows in *end. */
static bool one_or_two(const char *s, const char *lim, unsigned *out,
		       const char **end)
{
	if (s >= lim || !is_digit(*s))
		return false;
	*out = (unsigned)(*s++ - '0');
	if (s < lim && is_digit(*s))
		*out = *out * 10 + (unsigned)(*s++ - '0');
	*end = s;
	return true;
}

/* "H:M:S" (one or two digits each) filling the whole token. */
static bool clock_time(const char *s, size_t len, struct civil *c)
{
	const char *lim = s + len, *p = s;

	return one_or_two(p, lim, &c->hour, &p) && p < lim && *p++ == ':' &&
	       one_or_two(p, lim, &c->min, &p) && p < lim && *p++ == ':' &&
	       one_or_two(p, lim, &c->sec, &p) && p == lim;
}

/* A name from list (n of them) in full or as its first three letters, any
 * case; returns its index or -1. */
static int name_in(const char *s, size_t len, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((len == 3 || len == strlen(list[i])) &&
		    strncasecmp(s, list[i], len) == 0)
			return (int)i;
	return -1;
}

struct tok {
	const char *s;
	size_t len;
};

static bool is(const struct tok *t, const char *w)
{
	return t->len == strlen(w) && memcmp(t->s, w, t->len) == 0;
}

static bool utc_name(const struct tok *t)
{
	return is(t, "UTC") || is(t, "GMT");
}

/* "Sat", or "Sat," when comma; the weekday into c. */
static bool wday_tok(const struct tok *t, bool comma, struct civil *c)
{
	size_t len = t->len;

	if (comma) {
		if (len < 2 || t->s[len - 1] != ',')
			return false;
		len--;
	}
	c->wday = name_in(t->s, len, wdays, 7);
	return c->wday >= 0;
}

static bool day_tok(const struct tok *t, struct civil *c)
{
	const char *end;
	return one_or_two(t->s, t->s + t->len, &c->day, &end) &&
	       end == t->s + t->len;
}

static bool month_tok(const struct tok *t, struct civil *c)
{
	int m = name_in(t->s, t->len, months, 12);
	c->month = (unsigned)(m + 1);
	return m >= 0;
}

static bool year_tok(const struct tok *t, struct civil *c)
{
	unsigned y;
	if (!digits(t->s, t->len, 4, &y))
		return false;
	c->year = y;
	return true;
}

static bool time_tok(const struct tok *t, struct civil *c)
{
	return clock_time(t->s, t->len, c);
}

/* The forms with names, field by field. */
static int64_t parse_named(const struct tok *t, size_t n)
{
	struct civil c;

	memset(&c, 0, sizeof(c));
	/* RFC 1123: Sat, 22 Nov 2025 08:26:40 GMT|UTC|+0000 */
	if (n == 6 && wday_tok(&t[0], true, &c) && day_tok(&t[1], &c) &&
	    month_tok(&t[2], &c) && year_tok(&t[3], &c) &&
	    time_tok(&t[4], &c) && (utc_name(&t[5]) || is(&t[5], "+0000")))
		return to_unix(&c, 0);
	/* date(1): Sat Nov 22 08:26:40 UTC 2025 */
	if (n == 6 && wday_tok(&t[0], false, &c) && month_tok(&t[1], &c) &&
	    day_tok(&t[2], &c) && time_tok(&t[3], &c) && utc_name(&t[4]) &&
	    year_tok(&t[5], &c))
		return to_unix(&c, 0);
	/* date(1) in some locales' order: Sat 22 Nov 2025 08:26:40 UTC */
	if (n == 6 && wday_tok(&t[0], false, &c) && day_tok(&t[1], &c) &&
	    month_tok(&t[2], &c) && year_tok(&t[3], &c) &&
	    time_tok(&t[4], &c) && utc_name(&t[5]))
		return to_unix(&c, 0);
	/* asctime: Sat Nov 22 08:26:40 2025 */
	if (n == 5 && wday_tok(&t[0], false, &c) && month_tok(&t[1], &c) &&
	    day_tok(&t[2], &c) && time_tok(&t[3], &c) && year_tok(&t[4], &c))
		return to_unix(&c, 0);
	return -1;
}

static int64_t parse_epoch(const char *s, size_t len)
{
	int64_t v = 0;

	if (len == 0 || len >= 12) /* 12 digits: year 33658, not a stamp */
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* ISO 8601: 2025-11-22T08:26:40[.frac][Z| UTC|+HH:MM|+HHMM|-...], or with
 * a blank for the T. */
static int64_t parse_iso(const char *s, size_t len)
{
	const char *p = s, *lim = s + len;
	struct civil c;
	unsigned y, oh, om;
	int64_t offset = 0;

	memset(&c, 0, sizeof(c));
	c.wday = -1;
	if (len < 19 || !digits(p, 4, 4, &y) || p[4] != '-' ||
	    !digits(p + 5, 2, 2, &c.month) || p[7] != '-' ||
	    !digits(p + 8, 2, 2, &c.day) || (p[10] != 'T' && p[10] != ' ') ||
	    !digits(p + 11, 2, 2, &c.hour) || p[13] != ':' ||
	    !digits(p + 14, 2, 2, &c.min) || p[16] != ':' ||
	    !digits(p + 17, 2, 2, &c.sec))
		return -1;
	c.year = y;
	p += 19;
	if (p < lim && *p == '.') {
		p++;
		if (p >= lim || !is_digit(*p))
			return -1;
		while (p < lim && is_digit(*p))
			p++;
	}
	if (p == lim || (lim - p == 1 && *p == 'Z') ||
	    (lim - p == 4 && memcmp(p, " UTC", 4) == 0))
		return to_unix(&c, 0);
	if (*p != '+' && *p != '-')
		return -1;
	if (lim - p == 6 && p[3] == ':') {
		if (!digits(p + 1, 2, 2, &oh) || !digits(p + 4, 2, 2, &om))
			return -1;
	} else if (lim - p == 5) {
		if (!digits(p + 1, 2, 2, &oh) || !digits(p + 3, 2, 2, &om))
			return -1;
	} else {
		return -1;
	}
	if (oh > 23 || om > 59)
		return -1;
	offset = (int64_t)oh * 3600 + (int64_t)om * 60;
	return to_unix(&c, *p == '-' ? -offset : offset);
}

int64_t mp_trace_time_parse(const char *line, size_t len)
{
	struct tok t[MAX_TOKENS];
	size_t n = 0, start = 0, end = 0, ntok = 0;
	int64_t v;

	if (!line)
		return -1;
	while (n < len && line[n] != '\n' && line[n] != '\0')
		n++;
	/* a first line longer than any date is not a date */
	if (n >= LINE_MAX_BYTES)
		return -1;
	end = n;
	while (end > 0 && is_blank(line[end - 1]))
		end--;
	while (start < end && is_blank(line[start]))
		start++;
	if (start == end)
		return -1;

	v = parse_epoch(line + start, end - start);
	if (v >= 0)
		return v;
	v = parse_iso(line + start, end - start);
	if (v >= 0)
		return v;
	for (size_t i = start; i < end;) {
		size_t j = i;
		while (j < end && !is_blank(line[j]))
			j++;
		if (ntok == MAX_TOKENS)
			return -1;
		t[ntok].s = line + i;
		t[ntok].len = j - i;
		ntok++;
		while (j < end && is_blank(line[j]))
			j++;
		i = j;
	}
	return parse_named(t, ntok);
}
