/*
 * Internal to the configuration loader (config.c and the config_*.c files
 * of its groups): the loader's state, the helpers that read one libconfig
 * setting each, and the parsers of the groups kept in files of their own.
 * Getters return true when the setting is present and valid (and set *out),
 * false when it is absent or invalid; the latter is reported with
 * mp_cfg_err().
 */
#ifndef MP_CONFIG_VALUE_H
#define MP_CONFIG_VALUE_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"

#define MP_CFG_MAX_DURATION_MS                                                 \
	(30ULL * 86400 * 1000) /* "30d": keeps sums safe */
#define MP_CFG_MIN_CHECK_MS 100ULL
#define MP_CFG_DURATION_FORM                                                   \
	"use e.g. \"250ms\", \"5s\", \"2m\", \"1h\" or seconds"

/* A problem found, kept until the end so they can be told in file order. */
struct mp_cfg_finding {
	const char *file; /* l->path or a libconfig string */
	bool included;	  /* not the main file */
	int line;
	size_t seq;
	char *msg;
};

/* What libconfig's messages on a syntax error are followed by. */
#define MP_CFG_SYNTAX_HINT                                                     \
	"(libconfig syntax: name = value; groups { ... }; lists ( ... ); "     \
	"arrays [ ... ]; strings in double quotes)"
/* Longest configuration file read (and scanned, see config_lex.h). */
#define MP_CFG_MAX_TEXT (4 * 1024 * 1024)

/* An integer setting whose literal libconfig 1.5 wrapped. */
struct mp_cfg_wide {
	const config_setting_t *s;
	char lit[28]; /* as written */
};

struct mp_cfg_lex;

struct mp_cfg_loader {
	const char *path;
	char *dir;  /* directory of path: base of relative file names */
	char *text; /* the main file, scanned before libconfig reads it */
	size_t text_len;
	char **files; /* the files scanned: [0] is path, then includes */
	size_t n_files;
	struct mp_cfg_wide *wide; /* literals libconfig wrapped */
	size_t n_wide;
	int eof_line; /* where "missing ..." at top level is reported */
	struct mp_diag *d;
	struct mp_cfg_finding *found;
	size_t n_found;
	size_t cap_found;
	struct mp_config *cfg;
	bool failed;
	bool oom;
	/* key settings, checked before the key is loaded */
	bool key_ok;
	const config_setting_t *key_inline;
	const char *default_node; /* the host name, from the agent */
};

const char *mp_cfg_src_file(const struct mp_cfg_loader *l,
			    const config_setting_t *s);
int mp_cfg_src_line(const struct mp_cfg_loader *l, const config_setting_t *s);

/* As mp_cfg_err, at a file (kept by the caller until mp_cfg_flush) and
 * line rather than a setting. */
void mp_cfg_err_at(struct mp_cfg_loader *l, const char *file, int line,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Reports "FILE:LINE: message" at s (NULL or the root: the end of the main
 * file). Messages are kept, without repeats, until mp_cfg_flush() adds them
 * to l->d sorted by file and line. */
void mp_cfg_err(struct mp_cfg_loader *l, const config_setting_t *s,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void mp_cfg_flush(struct mp_cfg_loader *l);

/* A user string quoted for a message: at most 64 characters, control
 * characters escaped. Returns buf (len at least 8). */
const char *mp_cfg_quote(const char *s, char *buf, size_t len);
/* "an integer", "a string", ... */
const char *mp_cfg_type_name(const config_setting_t *s);
/* "dns" + "port" -> "dns.port". Returns buf. */
const char *mp_cfg_key_path(const char *ctx, const char *name, char *buf,
			    size_t len);
/* strdup() that records running out of memory in l. */
char *mp_cfg_strdup(struct mp_cfg_loader *l, const char *s);

/* Reports every member of g not in known (NULL-terminated), suggesting the
 * closest known key. where: "at top level", "in group \"dns\"", ... */
void mp_cfg_check_unknown(struct mp_cfg_loader *l, const config_setting_t *g,
			  const char *where, const char *const *known);

/* The member of g (NULL-safe), or NULL. */
const config_setting_t *mp_cfg_member(const config_setting_t *g,
				      const char *name);

/* dir/name in a new string (NULL and l->oom set when out of memory). */
char *mp_cfg_join(struct mp_cfg_loader *l, const char *dir, const char *name);

/* The file's text (NUL-terminated, at most MP_CFG_MAX_TEXT bytes) and its
 * length, or NULL when it cannot be read. */
char *mp_cfg_read_text(const char *path, size_t *len);
/* Before libconfig reads the file: scans l->text and the files it
 * includes into lx (see config_lex.h; free it with mp_cfg_lex_free). A
 * string where none can be is reported as the syntax error it is: returns
 * MP_ECONFIG, and libconfig must not read the file (it would leak).
 * Else MP_OK or MP_ENOMEM. */
int mp_cfg_prescan(struct mp_cfg_loader *l, struct mp_cfg_lex *lx);
/* After libconfig parsed: ties each integer literal of lx to its setting
 * and keeps those libconfig wrapped (see mp_cfg_wide). */
void mp_cfg_tie_wide(struct mp_cfg_loader *l, const struct mp_cfg_lex *lx,
		     const config_setting_t *root);
/* The literal as written when libconfig wrapped the integer setting s
 * (4294967496 read as 200), else NULL. */
const char *mp_cfg_wide(const struct mp_cfg_loader *l,
			const config_setting_t *s);
void mp_cfg_wide_free(struct mp_cfg_loader *l);

bool mp_cfg_int(struct mp_cfg_loader *l, const config_setting_t *s,
		const char *path, long long min, long long max, long long *out);
bool mp_cfg_uint(struct mp_cfg_loader *l, const config_setting_t *s,
		 const char *path, unsigned min, unsigned max, unsigned *out);
bool mp_cfg_bool(struct mp_cfg_loader *l, const config_setting_t *s,
		 const char *path, bool *out);
/* A non-empty string; form says what is accepted. */
bool mp_cfg_str(struct mp_cfg_loader *l, const config_setting_t *s,
		const char *path, const char *form, const char **out);
/* A duration string or integer seconds, min..MP_CFG_MAX_DURATION_MS. */
bool mp_cfg_duration(struct mp_cfg_loader *l, const config_setting_t *s,
		     const char *path, uint64_t min, uint64_t *out);
/* An absolute path, or with relative one resolved against l->dir. Returns
 * a new string, or NULL (reported). */
char *mp_cfg_file(struct mp_cfg_loader *l, const config_setting_t *s,
		  const char *path, bool relative);
/* A group member; NULL when absent or not a group (reported). */
const config_setting_t *mp_cfg_group(struct mp_cfg_loader *l,
				     const config_setting_t *parent,
				     const char *ctx, const char *name);
bool mp_cfg_is_sequence(const config_setting_t *s);
/* An http(s) URL (see mp_config_url_parse). */
bool mp_cfg_url(struct mp_cfg_loader *l, const config_setting_t *s,
		const char *path, const char **out, bool *https, char *host,
		size_t hostlen, uint16_t *port);

/* Makes a domain name absolute and lower-case into out. Returns NULL, or
 * what is wrong with it ("has an empty label"). */
const char *mp_cfg_domain_normalise(const char *in, char *out, size_t outlen);
/* True when name (absolute, lower-case) is zone or below it. */
bool mp_cfg_in_zone(const char *name, const char *zone);

/* A required group at top level (config.c), its unknown members reported
 * against known; NULL when absent (reported when example is given, which
 * shows the group) or not a group. */
const config_setting_t *mp_cfg_top_group(struct mp_cfg_loader *l,
					 const config_setting_t *root,
					 const char *name, const char *example,
					 const char *const *known);
/* Reports that g, named ctx, lacks the required key name; example shows
 * it. */
void mp_cfg_missing(struct mp_cfg_loader *l, const config_setting_t *g,
		    const char *ctx, const char *name, const char *example);

/* The dns group (config_dns.c). The key it names is only loaded, by
 * mp_cfg_load_key(), once the whole file was read without errors;
 * mp_cfg_wipe_inline_key() wipes an inline secret from libconfig's copy. */
void mp_cfg_parse_dns(struct mp_cfg_loader *l, const config_setting_t *root);
int mp_cfg_load_key(struct mp_cfg_loader *l);
void mp_cfg_wipe_inline_key(const config_setting_t *ki);

/* The keys of a check group (config_check.c), NULL-terminated. */
extern const char *const mp_cfg_check_keys[];
/* A check group: own (may be NULL) overrides global key by key; own_ctx
 * names it ("json_pools[0].check"). complete: report a missing url/port
 * against parent, named parent_ctx. */
struct mp_check_cfg;
void mp_cfg_parse_check(struct mp_cfg_loader *l, const config_setting_t *own,
			const char *own_ctx, const config_setting_t *global,
			const config_setting_t *parent, const char *parent_ctx,
			bool complete, struct mp_check_cfg *ck);

/* The pools list (config_pools.c), after dns (pool names are checked
 * against the zone). */
void mp_cfg_parse_pools(struct mp_cfg_loader *l, const config_setting_t *root,
			const config_setting_t *global_check);

/* The json_pools list (lib/config_json.c). */
void mp_cfg_parse_json_pools(struct mp_cfg_loader *l,
			     const config_setting_t *root,
			     const config_setting_t *global_check);

/* check.source_address (config_vantage.c): an address literal, or a list
 * of at most one IPv4 and one IPv6 address, into ck. */
void mp_cfg_parse_source_address(struct mp_cfg_loader *l,
				 const config_setting_t *s, const char *path,
				 struct mp_check_cfg *ck);

/* The top-level `node` and the `vantage` group (config_vantage.c), after
 * dns and pools. */
void mp_cfg_parse_vantage(struct mp_cfg_loader *l,
			  const config_setting_t *root);

#endif
