/*
 * What libconfig 1.5 gets wrong, handled before and after it parses (see
 * config_lex.h): the configuration's files are scanned first (a string
 * where none can be is reported as the syntax error it is, and libconfig
 * never sees it: it would leak the string), and after the parse every
 * integer literal the scan found is tied to its setting, so that a literal
 * libconfig wrapped is refused by the setting's own range check with the
 * number as written.
 */
#include "config_lex.h"
#include "config_value.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Grows *text (holding len bytes) to cap bytes without leaving a copy in
 * freed memory: the text may hold an inline TSIG secret, and realloc would
 * free the old block unwiped when it moves. */
static int grow_wiped(char **text, size_t len, size_t cap)
{
	char *nb = malloc(cap);

	if (!nb)
		return MP_ENOMEM;
	if (*text) {
		memcpy(nb, *text, len);
		sodium_memzero(*text, len);
		free(*text);
	}
	*text = nb;
	return MP_OK;
}

char *mp_cfg_read_text(const char *path, size_t *len)
{
	/* read(2), not stdio: a FILE's buffer would keep a copy of the
	 * secret after fclose */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *text = NULL;
	size_t cap = 0;

	*len = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    (uint64_t)st.st_size < MP_CFG_MAX_TEXT)
		cap = (size_t)st.st_size + 1;
	for (;;) {
		ssize_t r;

		if (*len + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			if (cap >= MP_CFG_MAX_TEXT)
				break;
			if (ncap > MP_CFG_MAX_TEXT)
				ncap = MP_CFG_MAX_TEXT;
			if (grow_wiped(&text, *len, ncap) != MP_OK)
				break;
			cap = ncap;
		} else if (!text && grow_wiped(&text, 0, cap) != MP_OK) {
			break;
		}
		r = read(fd, text + *len, cap - *len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		*len += (size_t)r;
	}
	close(fd);
	if (text)
		text[*len] = '\0';
	return text;
}

/* Remembers a file name for messages (they point at it until the loader
 * is done); returns its index, or -1 when out of memory. */
static long add_file(struct mp_cfg_loader *l, const char *path)
{
	char **nf;
	char *copy;

	nf = realloc(l->files, (l->n_files + 1) * sizeof(*nf));
	if (!nf)
		return -1;
	l->files = nf;
	copy = strdup(path);
	if (!copy)
		return -1;
	l->files[l->n_files] = copy;
	return (long)l->n_files++;
}

/* @include "name": read where libconfig reads it (the include directory,
 * which the loader sets to the main file's, then the name) and scanned in
 * place. A file that cannot be read is left to libconfig to report. */
static int scan_include(void *arg, struct mp_cfg_lex *lx, size_t file, int line,
			const char *name, size_t len)
{
	struct mp_cfg_loader *l = arg;
	char path[4096];
	struct stat st;
	size_t tlen;
	char *text;
	long idx;
	int rc;

	/* libconfig takes the name as a C string */
	len = strnlen(name, len);
	if (len > 0 && name[0] == '/')
		snprintf(path, sizeof(path), "%.*s", (int)len, name);
	else
		snprintf(path, sizeof(path), "%s/%.*s", l->dir, (int)len, name);
	/* libconfig opens a directory or a device as if it were a file, and
	 * its scanner then ends the process on the first failed read */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		char nm[80], q[96];
		snprintf(nm, sizeof(nm), "%.*s", (int)len, name);
		mp_diag_add(l->d, l->files[file], line,
			    "@include %s: %s, not a configuration file",
			    mp_cfg_quote(nm, q, sizeof(q)),
			    S_ISDIR(st.st_mode) ? "a directory" : "not a file");
		return MP_ECONFIG;
	}
	text = mp_cfg_read_text(path, &tlen);
	if (!text)
		return MP_OK;
	/* named as written, as libconfig names its settings' file */
	snprintf(path, sizeof(path), "%.*s", (int)len, name);
	idx = add_file(l, path);
	rc = idx < 0 ? MP_ENOMEM : mp_cfg_lex_scan(lx, (size_t)idx, text, tlen);
	sodium_memzero(text, tlen);
	free(text);
	return rc;
}

int mp_cfg_prescan(struct mp_cfg_loader *l, struct mp_cfg_lex *lx)
{
	int rc;

	mp_cfg_lex_init(lx, scan_include, l);
	if (!l->text)
		return MP_OK; /* unreadable: libconfig says why */
	if (add_file(l, l->path) != 0)
		return MP_ENOMEM;
	rc = mp_cfg_lex_scan(lx, 0, l->text, l->text_len);
	if (rc != MP_OK)
		return rc;
	if (lx->bad_string_line > 0) {
		mp_diag_add(
		    l->d, l->files[lx->bad_string_file], lx->bad_string_line,
		    "syntax error: unexpected string %s", MP_CFG_SYNTAX_HINT);
		return MP_ECONFIG;
	}
	return MP_OK;
}

/* The integer settings under s, in file order, one list per file. */
struct walk {
	struct mp_cfg_loader *l;
	const struct mp_cfg_lex *lx;
	size_t *next; /* per file: index of its next literal in lx->ints */
	bool lost;    /* a setting without its literal: no tie is trusted */
};

static size_t next_of_file(const struct mp_cfg_lex *lx, size_t from,
			   size_t file)
{
	while (from < lx->n_ints && lx->ints[from].file != file)
		from++;
	return from;
}

static void tie(struct walk *w, const config_setting_t *s)
{
	const char *file = config_setting_source_file(s);
	const struct mp_cfg_lex_int *it;
	size_t f, i;

	if (!file)
		file = w->l->path;
	for (f = 0; f < w->l->n_files; f++)
		if (strcmp(w->l->files[f], file) == 0)
			break;
	if (f == w->l->n_files) {
		w->lost = true;
		return;
	}
	i = next_of_file(w->lx, w->next[f], f);
	if (i >= w->lx->n_ints) {
		w->lost = true;
		return;
	}
	w->next[f] = i + 1;
	it = &w->lx->ints[i];
	if (it->line != (int)config_setting_source_line(s) ||
	    it->read_as != config_setting_get_int64(s)) {
		w->lost = true;
		return;
	}
	if (it->wide) {
		struct mp_cfg_wide *nw =
		    realloc(w->l->wide, (w->l->n_wide + 1) * sizeof(*nw));
		if (!nw) {
			w->l->oom = true;
			return;
		}
		w->l->wide = nw;
		nw[w->l->n_wide].s = s;
		memcpy(nw[w->l->n_wide].lit, it->text, sizeof(it->text));
		w->l->n_wide++;
	}
}

static void walk(struct walk *w, const config_setting_t *s)
{
	int n;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		tie(w, s);
		break;
	case CONFIG_TYPE_GROUP:
	case CONFIG_TYPE_LIST:
	case CONFIG_TYPE_ARRAY:
		n = config_setting_length(s);
		for (int i = 0; i < n && !w->lost; i++)
			walk(w, config_setting_get_elem(s, (unsigned)i));
		break;
	default:
		break;
	}
}

void mp_cfg_tie_wide(struct mp_cfg_loader *l, const struct mp_cfg_lex *lx,
		     const config_setting_t *root)
{
	struct walk w = {l, lx, NULL, false};

	if (l->n_files == 0)
		return;
	if (lx->gave_up) {
		/* libconfig read more than the scan followed: its integers
		 * cannot all be vouched for */
		mp_cfg_err_at(l, l->path, 0,
			      "more than %d files included (@include)",
			      MP_CFG_LEX_MAX_INCLUDES);
		return;
	}
	w.next = calloc(l->n_files, sizeof(*w.next));
	if (!w.next) {
		l->oom = true;
		return;
	}
	walk(&w, root);
	/* every literal must have found its setting */
	for (size_t f = 0; f < l->n_files && !w.lost; f++)
		if (next_of_file(lx, w.next[f], f) < lx->n_ints)
			w.lost = true;
	free(w.next);
	if (!w.lost)
		return;
	/* The scan and libconfig disagree (a file changed in between, or
	 * one too large to scan): no setting can be named, but a literal
	 * libconfig wraps is refused all the same. */
	free(l->wide);
	l->wide = NULL;
	l->n_wide = 0;
	for (size_t i = 0; i < lx->n_ints; i++)
		if (lx->ints[i].wide)
			mp_cfg_err_at(
			    l, l->files[lx->ints[i].file], lx->ints[i].line,
			    "integer %s does not fit in %s bits",
			    lx->ints[i].text,
			    strchr(lx->ints[i].text, 'L') ? "64" : "32");
}

const char *mp_cfg_wide(const struct mp_cfg_loader *l,
			const config_setting_t *s)
{
	for (size_t i = 0; i < l->n_wide; i++)
		if (l->wide[i].s == s)
			return l->wide[i].lit;
	return NULL;
}

void mp_cfg_wide_free(struct mp_cfg_loader *l)
{
	for (size_t i = 0; i < l->n_files; i++)
		free(l->files[i]);
	free(l->files);
	free(l->wide);
	l->files = NULL;
	l->wide = NULL;
	l->n_files = l->n_wide = 0;
}
