/* mirrorpoolctl's command line: options, the command and its arguments,
 * and the request they make, checked with the agent's own parser. */
#include "ctl_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_proto.h"
#include "duration.h"

void mp_cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mirrorpoolctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'mirrorpoolctl --help'.\n");
}

/* Takes an option's value from "--opt=value" or the next argument. */
static int take_value(int argc, char **argv, int *i, const char *name,
		      const char *inline_value, const char **out)
{
	if (*out) {
		mp_cli_usage_error("%s given twice", name);
		return -1;
	}
	if (inline_value) {
		*out = inline_value;
		return 0;
	}
	if (*i + 1 >= argc) {
		mp_cli_usage_error("%s needs a value", name);
		return -1;
	}
	*out = argv[++*i];
	return 0;
}

/* Options may come before or after the command, as with systemctl. */
int mp_cli_parse_args(int argc, char **argv, struct args *a)
{
	bool dashdash = false;

	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = NULL;
		char name[64];

		if (dashdash || arg[0] != '-' || arg[1] == '\0') {
			if (!a->cmd) {
				a->cmd = arg;
			} else if (a->n_pos < 2) {
				a->pos[a->n_pos++] = arg;
			} else {
				mp_cli_usage_error("too many arguments for %s",
						   a->cmd);
				return -1;
			}
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			dashdash = true;
			continue;
		}
		if (arg[1] == '-') {
			const char *eq = strchr(arg, '=');
			size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
			if (n >= sizeof(name)) {
				mp_cli_usage_error("unknown option %.40s...",
						   arg);
				return -1;
			}
			memcpy(name, arg, n);
			name[n] = '\0';
			val = eq ? eq + 1 : NULL;
		} else {
			/* -sPATH and -s PATH */
			snprintf(name, sizeof(name), "-%c", arg[1]);
			val = arg[2] ? arg + 2 : NULL;
		}

		if (strcmp(name, "-s") == 0) {
			if (take_value(argc, argv, &i, "-s", val, &a->socket))
				return -1;
		} else if (strcmp(name, "-c") == 0) {
			if (take_value(argc, argv, &i, "-c", val, &a->config))
				return -1;
		} else if (strcmp(name, "--address") == 0) {
			if (take_value(argc, argv, &i, name, val, &a->address))
				return -1;
		} else if (strcmp(name, "--reason") == 0) {
			if (take_value(argc, argv, &i, name, val, &a->reason))
				return -1;
		} else if (strcmp(name, "--for") == 0) {
			if (take_value(argc, argv, &i, name, val, &a->for_text))
				return -1;
		} else if (strcmp(name, "--json") == 0 && !val) {
			a->json = true;
		} else if (strcmp(name, "--force") == 0 && !val) {
			a->force = a->seen_force = true;
		} else if (strcmp(name, "--update") == 0 && !val) {
			a->update = true;
		} else if ((strcmp(name, "-h") == 0 ||
			    strcmp(name, "--help") == 0) &&
			   !val) {
			a->help = true;
		} else if ((strcmp(name, "-V") == 0 ||
			    strcmp(name, "--version") == 0) &&
			   !val) {
			a->version = true;
		} else if (val && name[1] == '-') {
			mp_cli_usage_error("option %s takes no value", name);
			return -1;
		} else {
			mp_cli_usage_error("unknown option %s", name);
			return -1;
		}
	}
	return 0;
}

/* Which command options and arguments each command takes. */
static const struct {
	const char *name;
	enum mp_ctl_cmd cmd;
	int min_pos, max_pos;
	bool address, drain_opts;
} commands[] = {
    {"status", MP_CTL_STATUS, 0, 1, false, false},
    {"drain", MP_CTL_DRAIN, 1, 1, true, true},
    {"undrain", MP_CTL_UNDRAIN, 1, 1, true, false},
    {"check", MP_CTL_CHECK, 0, 1, false, false},
    {"sync", MP_CTL_SYNC, 0, 0, false, false},
    {"reload", MP_CTL_RELOAD, 0, 0, false, false},
    {"metrics", MP_CTL_METRICS, 0, 0, false, false},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/*
 * Builds the request from the arguments and checks it with the agent's own
 * parser. Returns the line to send (caller frees) or NULL after printing a
 * usage error.
 */
char *mp_cli_build_request(const struct args *a, enum mp_ctl_cmd *cmd_out)
{
	struct mp_ctl_request rq = {0}, check;
	char err[300];
	char *line = NULL;
	size_t c;

	for (c = 0; c < N_COMMANDS; c++)
		if (strcmp(a->cmd, commands[c].name) == 0)
			break;
	if (c == N_COMMANDS) {
		mp_cli_usage_error("unknown command \"%s\"", a->cmd);
		return NULL;
	}
	if (a->n_pos < commands[c].min_pos) {
		mp_cli_usage_error("%s needs a mirror name", a->cmd);
		return NULL;
	}
	if (a->n_pos > commands[c].max_pos) {
		mp_cli_usage_error("too many arguments for %s", a->cmd);
		return NULL;
	}
	if (a->address && !commands[c].address) {
		mp_cli_usage_error("--address does not apply to %s", a->cmd);
		return NULL;
	}
	if ((a->reason || a->for_text || a->seen_force || a->update) &&
	    !commands[c].drain_opts) {
		mp_cli_usage_error("%s does not apply to %s",
				   a->reason	   ? "--reason"
				   : a->for_text   ? "--for"
				   : a->seen_force ? "--force"
						   : "--update",
				   a->cmd);
		return NULL;
	}

	rq.cmd = commands[c].cmd;
	if (rq.cmd == MP_CTL_STATUS)
		rq.pool = a->n_pos ? (char *)a->pos[0] : NULL;
	else
		rq.mirror = a->n_pos ? (char *)a->pos[0] : NULL;
	rq.reason = (char *)a->reason;
	rq.force = a->force;
	rq.update = a->update;
	if (a->address) {
		if (mp_addr_parse(a->address, &rq.address) < 0) {
			mp_cli_usage_error(
			    "invalid address \"%s\" (an IPv4 or IPv6 "
			    "literal)",
			    a->address);
			return NULL;
		}
		rq.has_address = true;
	}
	if (a->for_text) {
		int rc = mp_duration_parse(a->for_text, &rq.for_ms);
		if (rc < 0 || rq.for_ms == 0) {
			mp_cli_usage_error(
			    "invalid duration \"%s\" for --for (e.g. "
			    "\"30m\", \"2h\", \"1d\")",
			    a->for_text);
			return NULL;
		}
	}

	line = mp_ctl_request_encode(&rq);
	if (!line) {
		fprintf(stderr, "mirrorpoolctl: out of memory\n");
		return NULL;
	}
	if (mp_ctl_request_parse(line, strlen(line), &check, err, sizeof(err)) <
	    0) {
		mp_cli_usage_error("%s", err);
		free(line);
		return NULL;
	}
	mp_ctl_request_clear(&check);
	*cmd_out = rq.cmd;
	return line;
}
