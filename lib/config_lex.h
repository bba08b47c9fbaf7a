/*
 * Internal to the configuration loader: a scan of libconfig text for the
 * two things libconfig 1.5 gets wrong, done before libconfig reads it.
 *
 *  - Integer literals are kept in 32 bits unless written with an L suffix,
 *    and those that do not fit are wrapped silently (4294967496 reads as
 *    200, 0x100000400 as 1024); an L literal beyond 64 bits saturates. The
 *    scan records every integer literal in file order with what libconfig
 *    will make of it, so that the loader can tie each one to its setting
 *    and refuse the ones that do not fit.
 *  - A string token where the grammar takes none (`"x" = 1;`, `a = 1 "x";`)
 *    is a syntax error at which libconfig loses the string's memory. The
 *    scan finds the first one, and the loader reports the syntax error
 *    without handing the text to libconfig.
 *
 * The token rules are libconfig 1.5's (scanner.l): comments #, // and
 * C-style; strings with backslash escapes, adjacent strings joined;
 * `@include "file"` at the start of a line, whose text is scanned in place
 * (through a callback) as libconfig splices it in.
 */
#ifndef MP_CONFIG_LEX_H
#define MP_CONFIG_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Files included in all, over every level, before the scan gives up. */
#define MP_CFG_LEX_MAX_INCLUDES 256

struct mp_cfg_lex_int {
	size_t file; /* index into the files the scan was given */
	int line;
	bool wide;	 /* does not fit the type libconfig reads it as */
	int64_t read_as; /* what libconfig reads */
	char text[28];	 /* the literal, cut with "..." when longer */
};

struct mp_cfg_lex;
/* Called at `@include "name"` (name not terminated, len bytes) on line
 * of file: read the file and scan it with mp_cfg_lex_scan (same lx);
 * return 0 or a negative MP_E* code, which ends the scan (a file that
 * cannot be opened is libconfig's to report: return 0 and skip it). */
typedef int (*mp_cfg_lex_include_fn)(void *arg, struct mp_cfg_lex *lx,
				     size_t file, int line, const char *name,
				     size_t len);

struct mp_cfg_lex {
	struct mp_cfg_lex_int *ints;
	size_t n_ints, cap_ints;
	/* the first string where none can be: file and line (line 0: none) */
	size_t bad_string_file;
	int bad_string_line;
	/* scanner state carried across included files */
	int prev;
	char stack[64];
	size_t depth;
	bool deep; /* nesting beyond the stack: strings no longer judged */
	int include_depth;
	size_t n_includes;
	/* an include beyond libconfig's depth or MP_CFG_LEX_MAX_INCLUDES in
	 * all: the scan stopped there (libconfig reports the depth) */
	bool gave_up;
	mp_cfg_lex_include_fn include;
	void *include_arg;
};

void mp_cfg_lex_init(struct mp_cfg_lex *lx, mp_cfg_lex_include_fn include,
		     void *arg);
void mp_cfg_lex_free(struct mp_cfg_lex *lx);

/* Scans len bytes of text as file number file. Returns 0, MP_ENOMEM or
 * what the include callback returned. */
int mp_cfg_lex_scan(struct mp_cfg_lex *lx, size_t file, const char *text,
		    size_t len);

#endif
