/*
 * The configuration loader's messages: FILE:LINE of a setting, problems
 * kept and told in file order without repeats, user strings quoted safely,
 * and unknown keys with the closest known one suggested.
 */
#include "config_value.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Messages
 */

const char *mp_cfg_src_file(const struct mp_cfg_loader *l,
			    const config_setting_t *s)
{
	const char *f = s ? config_setting_source_file(s) : NULL;
	return f ? f : l->path;
}

int mp_cfg_src_line(const struct mp_cfg_loader *l, const config_setting_t *s)
{
	int line = s ? (int)config_setting_source_line(s) : 0;
	return line > 0 ? line : l->eof_line;
}

/* Reports a problem at s (or at the end of the file when s is NULL or the
 * root). The same message twice (a global check setting inherited by
 * several pools) is reported once. */
static void err_va(struct mp_cfg_loader *l, const char *file, int line,
		   const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

void mp_cfg_err(struct mp_cfg_loader *l, const config_setting_t *s,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_va(l, mp_cfg_src_file(l, s), mp_cfg_src_line(l, s), fmt, ap);
	va_end(ap);
}

void mp_cfg_err_at(struct mp_cfg_loader *l, const char *file, int line,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_va(l, file, line, fmt, ap);
	va_end(ap);
}

static void err_va(struct mp_cfg_loader *l, const char *file, int line,
		   const char *fmt, va_list ap)
{
	struct mp_cfg_finding *f;
	char msg[1024];

	l->failed = true;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (size_t i = 0; i < l->n_found; i++)
		if (l->found[i].line == line &&
		    strcmp(l->found[i].file, file) == 0 &&
		    strcmp(l->found[i].msg, msg) == 0)
			return;
	if (l->n_found == l->cap_found) {
		size_t ncap = l->cap_found ? l->cap_found * 2 : 16;
		f = realloc(l->found, ncap * sizeof(*f));
		if (!f) {
			l->oom = true;
			return;
		}
		l->found = f;
		l->cap_found = ncap;
	}
	f = &l->found[l->n_found];
	f->msg = strdup(msg);
	if (!f->msg) {
		l->oom = true;
		return;
	}
	f->file = file;
	f->included = strcmp(file, l->path) != 0;
	f->line = line;
	f->seq = l->n_found++;
}

/* The main file first, then included files by name; by line within a file,
 * in the order found within a line. */
static int finding_cmp(const void *a, const void *b)
{
	const struct mp_cfg_finding *x = a, *y = b;
	int c = x->included != y->included ? (int)x->included - (int)y->included
					   : strcmp(x->file, y->file);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void mp_cfg_flush(struct mp_cfg_loader *l)
{
	if (l->n_found > 1)
		qsort(l->found, l->n_found, sizeof(*l->found), finding_cmp);
	for (size_t i = 0; i < l->n_found; i++) {
		mp_diag_add(l->d, l->found[i].file, l->found[i].line, "%s",
			    l->found[i].msg);
		free(l->found[i].msg);
	}
	free(l->found);
	l->found = NULL;
	l->n_found = 0;
}

/* Quotes a user string for a message: at most 64 characters, control bytes
 * escaped so that a value cannot forge a log line. Returns buf. */
const char *mp_cfg_quote(const char *s, char *buf, size_t len)
{
	size_t o = 0, i;

	if (len < 8)
		return "";
	buf[o++] = '"';
	for (i = 0; s[i] && i < 64 && o + 6 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (s[i] && o + 5 < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

const char *mp_cfg_type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a floating-point number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:
		return "a list ( ... )";
	}
	return "nothing";
}

/* "dns" + "port" -> "dns.port"; "" + "state_file" -> "state_file". */
const char *mp_cfg_key_path(const char *ctx, const char *name, char *buf,
			    size_t len)
{
	if (!ctx || !*ctx)
		snprintf(buf, len, "%s", name);
	else if (!name)
		snprintf(buf, len, "%s", ctx);
	else
		snprintf(buf, len, "%s.%s", ctx, name);
	return buf;
}

char *mp_cfg_strdup(struct mp_cfg_loader *l, const char *s)
{
	char *r;

	if (!s)
		return NULL;
	r = strdup(s);
	if (!r)
		l->oom = true;
	return r;
}

/* ------------------------------------------------------------------------
 * Unknown keys
 */

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[65], cur[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins)
					   : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[lb];
}

/* Every member of group g must be one of known (NULL-terminated). */
void mp_cfg_check_unknown(struct mp_cfg_loader *l, const config_setting_t *g,
			  const char *where, const char *const *known)
{
	int n = config_setting_length(g);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s =
		    config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s), *best = NULL;
		size_t best_d = 3, off = 0;
		char list[512], hint[96] = "", q[96];
		bool found = false;

		if (!name)
			continue;
		for (size_t k = 0; known[k]; k++) {
			size_t dist;
			if (strcmp(known[k], name) == 0) {
				found = true;
				break;
			}
			dist = edit_distance(known[k], name);
			if (dist < best_d && dist < strlen(known[k])) {
				best_d = dist;
				best = known[k];
			}
		}
		if (found)
			continue;
		list[0] = '\0';
		for (size_t k = 0; known[k] && off < sizeof(list); k++) {
			int w = snprintf(list + off, sizeof(list) - off, "%s%s",
					 k ? ", " : "", known[k]);
			if (w < 0)
				break;
			off += (size_t)w;
		}
		if (best)
			snprintf(hint, sizeof(hint), "; did you mean \"%s\"?",
				 best);
		mp_cfg_err(l, s, "unknown key %s %s (known: %s)%s",
			   mp_cfg_quote(name, q, sizeof(q)), where, list, hint);
	}
}
