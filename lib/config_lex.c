/* A scan of libconfig 1.5 text for what libconfig gets wrong (see
 * config_lex.h). */
#include "config_lex.h"
#include "error.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* What the last significant token was, for judging a string. */
enum {
	P_START = 0, /* nothing yet, or after a setting's terminator */
	P_ASSIGN,    /* '=' or ':' */
	P_OPEN,	     /* '(' or '[' */
	P_COMMA,     /* ',' */
	P_STRING,    /* a string where one may be */
	P_OTHER,     /* a name, '{', a closing bracket, a number, ... */
};

/* libconfig 1.5 follows @include at most this deep */
#define MAX_INCLUDE_DEPTH 10

void mp_cfg_lex_init(struct mp_cfg_lex *lx, mp_cfg_lex_include_fn include,
		     void *arg)
{
	memset(lx, 0, sizeof(*lx));
	lx->prev = P_START;
	lx->include = include;
	lx->include_arg = arg;
}

void mp_cfg_lex_free(struct mp_cfg_lex *lx)
{
	free(lx->ints);
	lx->ints = NULL;
	lx->n_ints = lx->cap_ints = 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_xdigit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || is_digit(c) || c == '-' || c == '_';
}

/* Length of the longest number token at p (libconfig's integer, integer64,
 * hex, hex64 and float rules), 0 when none; *kind: 'i', 'I' (L suffix),
 * 'x', 'X' (L suffix) or 'f'. */
static size_t number_at(const char *p, const char *end, char *kind)
{
	const char *q = p, *digits;
	size_t best = 0;

	*kind = 0;
	/* hex, hex64: 0[Xx][0-9A-Fa-f]+(L(L)?)? */
	if (end - p >= 3 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
	    is_xdigit(p[2])) {
		q = p + 2;
		while (q < end && is_xdigit(*q))
			q++;
		*kind = 'x';
		if (q < end && *q == 'L') {
			q++;
			if (q < end && *q == 'L')
				q++;
			*kind = 'X';
		}
		best = (size_t)(q - p);
	}
	/* integer, integer64: [-+]?[0-9]+(L(L)?)? */
	q = p;
	if (q < end && (*q == '-' || *q == '+'))
		q++;
	digits = q;
	while (q < end && is_digit(*q))
		q++;
	if (q > digits) {
		const char *e = q;
		char k = 'i';
		if (e < end && *e == 'L') {
			e++;
			if (e < end && *e == 'L')
				e++;
			k = 'I';
		}
		if ((size_t)(e - p) > best) {
			best = (size_t)(e - p);
			*kind = k;
		}
	}
	/* float: [-+]?[0-9]*\.[0-9]*([eE][-+]?[0-9]+)? or
	 * [-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+ */
	{
		const char *f = digits; /* after the sign, at the digits */
		bool int_part = false, dot = false;
		while (f < end && is_digit(*f)) {
			f++;
			int_part = true;
		}
		if (f < end && *f == '.') {
			dot = true;
			f++;
			while (f < end && is_digit(*f))
				f++;
		}
		if (dot || int_part) {
			const char *e = f;
			if (e < end && (*e == 'e' || *e == 'E')) {
				e++;
				if (e < end && (*e == '-' || *e == '+'))
					e++;
				if (e < end && is_digit(*e)) {
					while (e < end && is_digit(*e))
						e++;
					f = e;
				} else if (!dot) {
					f = digits; /* no float */
				}
			} else if (!dot) {
				f = digits;
			}
			if (f > digits && (size_t)(f - p) > best) {
				best = (size_t)(f - p);
				*kind = 'f';
			}
		}
	}
	return best;
}

/* Saturating conversions, as strtoll/strtoull give libconfig. */
static int64_t dec_sat(const char *p, const char *end, bool *fits64)
{
	bool neg = false;
	uint64_t v = 0, lim;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	*fits64 = true;
	for (; p < end && is_digit(*p); p++) {
		uint64_t d = (uint64_t)(*p - '0');
		if (v > (lim - d) / 10) {
			*fits64 = false;
			v = lim;
			continue;
		}
		v = v * 10 + d;
	}
	if (neg)
		return v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	return (int64_t)v;
}

static uint64_t hex_sat(const char *p, const char *end, bool *fits64)
{
	uint64_t v = 0;

	*fits64 = true;
	for (p += 2; p < end && is_xdigit(*p); p++) {
		unsigned d = is_digit(*p) ? (unsigned)(*p - '0')
			     : (*p >= 'a' && *p <= 'f')
				 ? (unsigned)(*p - 'a' + 10)
				 : (unsigned)(*p - 'A' + 10);
		if (v > (UINT64_MAX - d) / 16) {
			*fits64 = false;
			v = UINT64_MAX;
			continue;
		}
		v = v * 16 + d;
	}
	return v;
}

static int add_int(struct mp_cfg_lex *lx, size_t file, int line, const char *p,
		   size_t len, char kind)
{
	struct mp_cfg_lex_int *it;
	bool fits64;

	if (lx->n_ints == lx->cap_ints) {
		size_t ncap = lx->cap_ints ? lx->cap_ints * 2 : 32;
		struct mp_cfg_lex_int *n = realloc(lx->ints, ncap * sizeof(*n));
		if (!n)
			return MP_ENOMEM;
		lx->ints = n;
		lx->cap_ints = ncap;
	}
	it = &lx->ints[lx->n_ints++];
	memset(it, 0, sizeof(*it));
	it->file = file;
	it->line = line;
	if (kind == 'i' || kind == 'I') {
		int64_t v = dec_sat(p, p + len, &fits64);
		if (kind == 'i') {
			/* atoi: strtol, then the low 32 bits */
			it->read_as = (int32_t)(uint32_t)(uint64_t)v;
			it->wide = !fits64 || v < INT32_MIN || v > INT32_MAX;
		} else {
			it->read_as = v;
			it->wide = !fits64;
		}
	} else {
		uint64_t v = hex_sat(p, p + len, &fits64);
		if (kind == 'x') {
			it->read_as = (int32_t)(uint32_t)v;
			it->wide = !fits64 || v > INT32_MAX;
		} else {
			it->read_as = (int64_t)v;
			it->wide = !fits64 || v > INT64_MAX;
		}
	}
	if (len < sizeof(it->text)) {
		memcpy(it->text, p, len);
	} else {
		memcpy(it->text, p, sizeof(it->text) - 4);
		memcpy(it->text + sizeof(it->text) - 4, "...", 4);
	}
	return MP_OK;
}

/* A string token: may one stand here? */
static void judge_string(struct mp_cfg_lex *lx, size_t file, int line)
{
	bool ok;

	if (lx->deep)
		ok = true;
	else if (lx->prev == P_COMMA)
		ok = lx->depth > 0 && (lx->stack[lx->depth - 1] == '(' ||
				       lx->stack[lx->depth - 1] == '[');
	else
		ok = lx->prev == P_ASSIGN || lx->prev == P_OPEN ||
		     lx->prev == P_STRING;
	if (!ok && lx->bad_string_line == 0) {
		lx->bad_string_file = file;
		lx->bad_string_line = line;
	}
	lx->prev = ok ? P_STRING : P_OTHER;
}

static void open_bracket(struct mp_cfg_lex *lx, char c)
{
	if (lx->depth < sizeof(lx->stack))
		lx->stack[lx->depth++] = c;
	else
		lx->deep = true;
	lx->prev = c == '{' ? P_START : P_OPEN;
}

static void close_bracket(struct mp_cfg_lex *lx)
{
	if (lx->depth > 0)
		lx->depth--;
	lx->prev = P_OTHER;
}

/* At the start of a line (only blanks before p): `@include "name"`? */
static const char *include_at(const char *p, const char *end, const char **name,
			      size_t *len)
{
	const char *q = p + 8;

	if (end - p < 10 || memcmp(p, "@include", 8) != 0 ||
	    (*q != ' ' && *q != '\t'))
		return NULL;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if (q >= end || *q != '"')
		return NULL;
	*name = ++q;
	while (q < end && *q != '"')
		q++;
	if (q >= end)
		return NULL;
	*len = (size_t)(q - *name);
	return q + 1;
}

int mp_cfg_lex_scan(struct mp_cfg_lex *lx, size_t file, const char *text,
		    size_t len)
{
	const char *p = text, *end = text + len;
	int line = 1, rc;
	bool line_start = true;

	while (p < end) {
		char c = *p, kind;
		size_t n;

		if (c == '\n') {
			line++;
			line_start = true;
			p++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' ||
		    c == '\v') {
			p++;
			continue;
		}
		if (c == '@' && line_start) {
			const char *name, *after;
			size_t nlen;
			after = include_at(p, end, &name, &nlen);
			if (after) {
				/* libconfig fails at its depth limit; a file
				 * that includes itself several times must not
				 * make the scan exponential */
				if (lx->include_depth >= MAX_INCLUDE_DEPTH ||
				    lx->n_includes >= MP_CFG_LEX_MAX_INCLUDES) {
					lx->gave_up = true;
					return MP_OK;
				}
				if (lx->include) {
					lx->include_depth++;
					lx->n_includes++;
					rc =
					    lx->include(lx->include_arg, lx,
							file, line, name, nlen);
					lx->include_depth--;
					if (rc != MP_OK || lx->gave_up)
						return rc;
				}
				p = after;
				line_start = false;
				continue;
			}
		}
		line_start = false;
		if (c == '#' || (c == '/' && p + 1 < end && p[1] == '/')) {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		if (c == '/' && p + 1 < end && p[1] == '*') {
			for (p += 2; p < end; p++) {
				if (*p == '\n')
					line++;
				else if (*p == '*' && p + 1 < end &&
					 p[1] == '/') {
					p += 2;
					break;
				}
			}
			continue;
		}
		if (c == '"') {
			int at = line;
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < end)
					p++;
				if (*p == '\n')
					line++;
			}
			if (p < end)
				p++;
			judge_string(lx, file, at);
			continue;
		}
		if (is_digit(c) || c == '-' || c == '+' || c == '.') {
			n = number_at(p, end, &kind);
			if (n > 0) {
				if (kind != 'f') {
					rc =
					    add_int(lx, file, line, p, n, kind);
					if (rc != MP_OK)
						return rc;
				}
				p += n;
				lx->prev = P_OTHER;
				continue;
			}
		}
		if (is_name_start(c)) {
			while (p < end && is_name_char(*p))
				p++;
			lx->prev = P_OTHER;
			continue;
		}
		switch (c) {
		case '=':
		case ':':
			lx->prev = P_ASSIGN;
			break;
		case ',':
			lx->prev = P_COMMA;
			break;
		case ';':
			lx->prev = P_START;
			break;
		case '(':
		case '[':
		case '{':
			open_bracket(lx, c);
			break;
		case ')':
		case ']':
		case '}':
			close_bracket(lx);
			break;
		default:
			lx->prev = P_OTHER;
			break;
		}
		p++;
	}
	return MP_OK;
}
