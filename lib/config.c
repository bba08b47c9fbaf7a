/*
 * The configuration loader (SPEC §2): libconfig syntax, a strict schema and
 * one message per problem, "FILE:LINE: what is wrong (the accepted form)".
 * Loading goes on after an error so that an operator sees every problem of
 * the file at once; the result is only handed out when there were none.
 */
#include "config.h"
#include "config_lex.h"
#include "config_value.h"
#include "duration.h"
#include "error.h"
#include "log.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------------
 * Groups
 */

static const char *const top_keys[] = {"dns",
				       "update",
				       "check",
				       "damping",
				       "guard",
				       "pools",
				       "json_pools",
				       "control",
				       "state_file",
				       "state_write_interval",
				       "metrics_file",
				       "log_level",
				       "node",
				       "vantage",
				       NULL};
static const char *const update_keys[] = {"min_interval", "max_per_hour", NULL};
static const char *const damping_keys[] = {"penalty",	"suppress",	"reuse",
					   "half_life", "max_suppress", NULL};
static const char *const guard_keys[] = {"sentinels", "all_down_freeze", NULL};
static const char *const control_keys[] = {"socket", "group", "mode", NULL};

/* A required group at top level; NULL when absent (reported) or wrong. */
const config_setting_t *mp_cfg_top_group(struct mp_cfg_loader *l,
					 const config_setting_t *root,
					 const char *name, const char *example,
					 const char *const *known)
{
	const config_setting_t *g = mp_cfg_group(l, root, "", name);
	char where[64];

	if (!g) {
		if (example && !mp_cfg_member(root, name))
			mp_cfg_err(l, NULL,
				   "missing required group \"%s\" (%s)", name,
				   example);
		return NULL;
	}
	snprintf(where, sizeof(where), "in group \"%s\"", name);
	mp_cfg_check_unknown(l, g, where, known);
	return g;
}

void mp_cfg_missing(struct mp_cfg_loader *l, const config_setting_t *g,
		    const char *ctx, const char *name, const char *example)
{
	mp_cfg_err(l, g, "%s: missing required key \"%s\" (%s)", ctx, name,
		   example);
}

static void parse_update(struct mp_cfg_loader *l, const config_setting_t *root)
{
	struct mp_update_cfg *u = &l->cfg->update;
	const config_setting_t *g;

	u->min_interval_ms = 5000;
	u->max_per_hour = 60;
	g = mp_cfg_top_group(l, root, "update", NULL, update_keys);
	mp_cfg_duration(l, mp_cfg_member(g, "min_interval"),
			"update.min_interval", 0, &u->min_interval_ms);
	mp_cfg_uint(l, mp_cfg_member(g, "max_per_hour"), "update.max_per_hour",
		    1, 3600, &u->max_per_hour);
}

static void parse_damping(struct mp_cfg_loader *l, const config_setting_t *root)
{
	struct mp_damping_cfg *dp = &l->cfg->damping;
	const config_setting_t *g, *s;
	char a[32], b[32];

	dp->penalty = 1000;
	dp->suppress = 2000;
	dp->reuse = 750;
	dp->half_life_ms = 15 * 60000;
	dp->max_suppress_ms = 3600000;
	g = mp_cfg_top_group(l, root, "damping", NULL, damping_keys);
	mp_cfg_uint(l, mp_cfg_member(g, "penalty"), "damping.penalty", 0,
		    1000000, &dp->penalty);
	mp_cfg_uint(l, mp_cfg_member(g, "suppress"), "damping.suppress", 1,
		    1000000, &dp->suppress);
	s = mp_cfg_member(g, "reuse");
	if (mp_cfg_uint(l, s, "damping.reuse", 1, 1000000, &dp->reuse) ||
	    mp_cfg_member(g, "suppress")) {
		if (dp->reuse >= dp->suppress)
			mp_cfg_err(
			    l, s ? s : mp_cfg_member(g, "suppress"),
			    "damping.reuse: %u must be less than suppress "
			    "(%u)",
			    dp->reuse, dp->suppress);
	}
	mp_cfg_duration(l, mp_cfg_member(g, "half_life"), "damping.half_life",
			1000, &dp->half_life_ms);
	s = mp_cfg_member(g, "max_suppress");
	mp_cfg_duration(l, s, "damping.max_suppress", 1000,
			&dp->max_suppress_ms);
	if (dp->max_suppress_ms < dp->half_life_ms)
		mp_cfg_err(
		    l, s ? s : mp_cfg_member(g, "half_life"),
		    "damping.max_suppress: %s must not be shorter than "
		    "half_life (%s)",
		    mp_duration_format(dp->max_suppress_ms, a, sizeof(a)),
		    mp_duration_format(dp->half_life_ms, b, sizeof(b)));
}

static void parse_guard(struct mp_cfg_loader *l, const config_setting_t *root)
{
	struct mp_guard_cfg *gd = &l->cfg->guard;
	const config_setting_t *g, *s;
	char path[64], host[256];
	int len;

	gd->all_down_freeze = true;
	g = mp_cfg_top_group(l, root, "guard", NULL, guard_keys);
	mp_cfg_bool(l, mp_cfg_member(g, "all_down_freeze"),
		    "guard.all_down_freeze", &gd->all_down_freeze);
	s = mp_cfg_member(g, "sentinels");
	if (!s)
		return;
	if (!mp_cfg_is_sequence(s)) {
		mp_cfg_err(l, s,
			   "guard.sentinels: expected a list of URLs, e.g. "
			   "[ \"https://www.example.net/\" ], got %s",
			   mp_cfg_type_name(s));
		return;
	}
	len = config_setting_length(s);
	if (len == 0)
		return;
	gd->sentinels = calloc((size_t)len, sizeof(char *));
	if (!gd->sentinels) {
		l->oom = true;
		return;
	}
	for (int i = 0; i < len; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(s, (unsigned)i);
		const char *v;
		bool https;
		uint16_t port;

		snprintf(path, sizeof(path), "guard.sentinels[%d]", i);
		if (mp_cfg_url(l, e, path, &v, &https, host, sizeof(host),
			       &port))
			gd->sentinels[gd->n_sentinels++] = mp_cfg_strdup(l, v);
	}
}

/* ------------------------------------------------------------------------
 * Control, files, logging
 */

/*
 * libconfig has no octal literals: mode = 0660 reads as the decimal 660.
 * Its digits are taken as octal, as chmod(1) reads them; a string "0660"
 * is the unambiguous form.
 */
static bool parse_mode(const char *digits, unsigned *out)
{
	unsigned v = 0;

	if (!*digits || strlen(digits) > 4)
		return false;
	for (const char *p = digits; *p; p++) {
		if (*p < '0' || *p > '7')
			return false;
		v = v * 8 + (unsigned)(*p - '0');
	}
	*out = v;
	return true;
}

static void parse_control(struct mp_cfg_loader *l, const config_setting_t *root)
{
	struct mp_control_cfg *ct = &l->cfg->control;
	const config_setting_t *g, *s;
	char buf[32], q[96];
	const char *v;

	ct->mode = 0660;
	g = mp_cfg_top_group(l, root, "control", NULL, control_keys);
	s = mp_cfg_member(g, "socket");
	if (s) {
		ct->socket = mp_cfg_file(l, s, "control.socket", false);
		if (ct->socket && strlen(ct->socket) >= MP_UNIX_PATH_MAX)
			mp_cfg_err(l, s,
				   "control.socket: longer than %zu bytes, the "
				   "limit of a Unix socket path",
				   (size_t)MP_UNIX_PATH_MAX - 1);
	} else {
		ct->socket = mp_cfg_strdup(l, "/run/mirrorpool/control.sock");
	}
	if (mp_cfg_str(l, mp_cfg_member(g, "group"), "control.group",
		       "a group name", &v))
		ct->group = mp_cfg_strdup(l, v);
	s = mp_cfg_member(g, "mode");
	if (!s)
		return;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		v = config_setting_get_string(s);
	} else if (config_setting_type(s) == CONFIG_TYPE_INT ||
		   config_setting_type(s) == CONFIG_TYPE_INT64) {
		const char *lit = mp_cfg_wide(l, s);
		if (lit)
			snprintf(buf, sizeof(buf), "%s", lit);
		else
			snprintf(buf, sizeof(buf), "%lld",
				 (long long)config_setting_get_int64(s));
		v = buf;
	} else {
		mp_cfg_err(
		    l, s,
		    "control.mode: expected an octal mode string such as "
		    "\"0660\", got %s",
		    mp_cfg_type_name(s));
		return;
	}
	if (!parse_mode(v, &ct->mode) || ct->mode > 0777)
		mp_cfg_err(
		    l, s,
		    "control.mode: %s is not a file mode (octal, 0000..0777, "
		    "e.g. \"0660\")",
		    mp_cfg_quote(v, q, sizeof(q)));
}

static void parse_top(struct mp_cfg_loader *l, const config_setting_t *root)
{
	const config_setting_t *s;
	const char *v;
	char q[96];

	s = mp_cfg_member(root, "state_file");
	l->cfg->state_file =
	    s ? mp_cfg_file(l, s, "state_file", false)
	      : mp_cfg_strdup(l, "/var/lib/mirrorpool/state.json");
	/* how often at most the state file is rewritten (0: at every
	 * change); longer, and a crash loses more of the flap penalties */
	l->cfg->state_write_interval_ms = 1000;
	s = mp_cfg_member(root, "state_write_interval");
	if (mp_cfg_duration(l, s, "state_write_interval", 0,
			    &l->cfg->state_write_interval_ms) &&
	    l->cfg->state_write_interval_ms > MP_STATE_WRITE_INTERVAL_MAX_MS) {
		char a[32];
		mp_cfg_err(l, s,
			   "state_write_interval: too long (at most %s): the "
			   "flap penalties of a crash within it are lost",
			   mp_duration_format(MP_STATE_WRITE_INTERVAL_MAX_MS, a,
					      sizeof(a)));
		l->cfg->state_write_interval_ms = 1000;
	}
	s = mp_cfg_member(root, "metrics_file");
	if (s)
		l->cfg->metrics_file = mp_cfg_file(l, s, "metrics_file", false);
	l->cfg->log_level = LOG_INFO;
	s = mp_cfg_member(root, "log_level");
	if (mp_cfg_str(l, s, "log_level", "debug, info, notice, warning or err",
		       &v)) {
		int lvl = mp_log_level_parse(v);
		if (lvl < 0)
			mp_cfg_err(l, s,
				   "log_level: %s is not a level (use debug, "
				   "info, notice, warning or err)",
				   mp_cfg_quote(v, q, sizeof(q)));
		else
			l->cfg->log_level = lvl;
	}
}

/* ------------------------------------------------------------------------
 * Loading
 */

static void read_text(struct mp_cfg_loader *l)
{
	size_t lines = 1;

	l->text = mp_cfg_read_text(l->path, &l->text_len);
	if (!l->text)
		return;
	for (size_t i = 0; i < l->text_len; i++)
		if (l->text[i] == '\n' && i + 1 < l->text_len)
			lines++;
	l->eof_line = (int)lines;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int mp_config_load(const char *path, unsigned flags, struct mp_config **out,
		   struct mp_diag *d)
{
	return mp_config_load_node(path, flags, NULL, out, d);
}

int mp_config_load_node(const char *path, unsigned flags,
			const char *default_node, struct mp_config **out,
			struct mp_diag *d)
{
	struct mp_cfg_loader l;
	struct mp_cfg_lex lx;
	config_t lc;
	const config_setting_t *root, *global_check;
	struct stat st;
	int rc = MP_OK, key_rc = MP_OK;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	mp_cfg_lex_init(&lx, NULL, NULL);
	l.path = path;
	l.d = d;
	l.default_node = default_node;
	l.eof_line = 1;
	config_init(&lc);
	l.cfg = calloc(1, sizeof(*l.cfg));
	l.dir = dir_of(path);
	if (!l.cfg || !l.dir) {
		rc = MP_ENOMEM;
		goto cleanup;
	}
	l.cfg->file = mp_cfg_strdup(&l, path);

	if (stat(path, &st) != 0) {
		mp_diag_add(d, path, 0, "cannot read the configuration: %s",
			    strerror(errno));
		rc = MP_ECONFIG;
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode)) {
		mp_diag_add(d, path, 0,
			    "is a directory, not a configuration file");
		rc = MP_ECONFIG;
		goto cleanup;
	}
	read_text(&l);
	/* libconfig 1.5 wraps wide integers and leaks on some syntax errors:
	 * the text is scanned first (config_lex.h) */
	rc = mp_cfg_prescan(&l, &lx);
	if (rc != MP_OK) {
		if (rc != MP_ECONFIG)
			rc = MP_ENOMEM;
		goto cleanup;
	}
	config_set_include_dir(&lc, l.dir);
	/* libconfig parses the text read above, never the file through its
	 * own stdio buffers (wiped below: it may hold an inline key); a file
	 * that could not be read goes to config_read_file for the error */
	if (!(l.text ? config_read_string(&lc, l.text)
		     : config_read_file(&lc, path))) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			mp_diag_add(d, path, 0,
				    "cannot read the configuration: %s",
				    errno ? strerror(errno) : "I/O error");
		else
			mp_diag_add(
			    d,
			    config_error_file(&lc) ? config_error_file(&lc)
						   : path,
			    config_error_line(&lc), "%s " MP_CFG_SYNTAX_HINT,
			    config_error_text(&lc));
		rc = MP_ECONFIG;
		goto cleanup;
	}

	root = config_root_setting(&lc);
	mp_cfg_tie_wide(&l, &lx, root);
	mp_cfg_check_unknown(&l, root, "at top level", top_keys);
	mp_cfg_parse_dns(&l, root);
	parse_update(&l, root);
	global_check =
	    mp_cfg_top_group(&l, root, "check", NULL, mp_cfg_check_keys);
	mp_cfg_parse_check(&l, NULL, NULL, global_check, NULL, "check", false,
			   &l.cfg->check);
	parse_damping(&l, root);
	parse_guard(&l, root);
	mp_cfg_parse_pools(&l, root, global_check);
	mp_cfg_parse_json_pools(&l, root, global_check);
	parse_control(&l, root);
	parse_top(&l, root);
	mp_cfg_parse_vantage(&l, root);
	mp_cfg_flush(&l);
	if (!(flags & MP_CONFIG_NO_KEY) && !l.oom)
		key_rc = mp_cfg_load_key(&l);
	mp_cfg_wipe_inline_key(l.key_inline);

	if (l.oom)
		rc = MP_ENOMEM;
	else if (l.failed)
		rc = MP_ECONFIG;
	else
		rc = key_rc;
cleanup:
	mp_cfg_flush(&l);
	config_destroy(&lc);
	mp_cfg_lex_free(&lx);
	mp_cfg_wide_free(&l);
	free(l.dir);
	if (l.text) /* it may hold an inline key */
		sodium_memzero(l.text, l.text_len);
	free(l.text);
	if (rc == MP_OK)
		*out = l.cfg;
	else
		mp_config_free(l.cfg);
	return rc;
}
