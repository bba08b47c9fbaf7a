/*
 * mirrorpoolctl: the control client (SPEC §1). One request line to the
 * agent's socket, one reply line back, printed for a person or, with
 * --json, for a script. Requests are checked here with the agent's own
 * parser, so a typo is a usage error (exit 2) before anything is sent.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "control_proto.h"
#include "diag.h"
#include "duration.h"
#include "error.h"
#include "status_text.h"

#define DEFAULT_SOCKET "/run/mirrorpool/control.sock"

enum {
	EXIT_DONE = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
};

/* How long to wait for the reply: checks may run up to their timeouts and
 * a sync waits on the primary. */
#define REPLY_TIMEOUT_S 60
#define REPLY_TIMEOUT_CHECK_S 300
#define REPLY_TIMEOUT_SYNC_S 120
/* A reply larger than this is not an agent talking. */
#define MAX_REPLY (64u << 20)

static const char usage_text[] =
    "usage: mirrorpoolctl [-s SOCKET] [-c CONFIG] [--json] COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  status [POOL]        pools, mirrors, addresses, what is published\n"
    "                       and what DNS holds now\n"
    "  drain MIRROR [--address ADDR] [--reason TEXT] [--for DURATION]\n"
    "        [--force] [--update]\n"
    "                       take a mirror (or one address) out of every\n"
    "                       pool now; --force may go below min_healthy\n"
    "                       or replace a drain, --update changes one\n"
    "  undrain MIRROR [--address ADDR]\n"
    "                       lift a drain; the address returns once\n"
    "                       healthy\n"
    "  check [MIRROR]       run the checks now and print their results\n"
    "                       (exit 1 when one failed)\n"
    "  sync                 re-read the RRsets from the primary and\n"
    "                       reconcile\n"
    "  reload               re-read the configuration (as SIGHUP)\n"
    "  metrics              Prometheus text exposition\n"
    "\n"
    "Options:\n"
    "  -s SOCKET            the agent's control socket (else\n"
    "                       $MIRRORPOOL_SOCKET, else control.socket of\n"
    "                       CONFIG, else " DEFAULT_SOCKET ")\n"
    "  -c CONFIG            take the socket path from this configuration\n"
    "  --json               print the reply as JSON\n"
    "  -h, --help           show this help\n"
    "  -V, --version        show the version\n"
    "\n"
    "Durations: \"90s\", \"30m\", \"2h\", \"1h30m\", \"1d\" or seconds.\n"
    "Exit status: 0 done, 1 refused or failed, 2 usage error,\n"
    "3 cannot reach the agent.\n";

struct args {
	const char *socket;
	const char *config;
	bool json;
	bool help;
	bool version;
	const char *cmd;
	const char *pos[2]; /* arguments of the command */
	int n_pos;
	const char *address;
	const char *reason;
	const char *for_text;
	bool force;
	bool seen_force;
	bool update;
};

static void usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void usage_error(const char *fmt, ...)
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
		usage_error("%s given twice", name);
		return -1;
	}
	if (inline_value) {
		*out = inline_value;
		return 0;
	}
	if (*i + 1 >= argc) {
		usage_error("%s needs a value", name);
		return -1;
	}
	*out = argv[++*i];
	return 0;
}

/* Options may come before or after the command, as with systemctl. */
static int parse_args(int argc, char **argv, struct args *a)
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
				usage_error("too many arguments for %s",
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
				usage_error("unknown option %.40s...", arg);
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
			usage_error("option %s takes no value", name);
			return -1;
		} else {
			usage_error("unknown option %s", name);
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
static char *build_request(const struct args *a, enum mp_ctl_cmd *cmd_out)
{
	struct mp_ctl_request rq = {0}, check;
	char err[300];
	char *line = NULL;
	size_t c;

	for (c = 0; c < N_COMMANDS; c++)
		if (strcmp(a->cmd, commands[c].name) == 0)
			break;
	if (c == N_COMMANDS) {
		usage_error("unknown command \"%s\"", a->cmd);
		return NULL;
	}
	if (a->n_pos < commands[c].min_pos) {
		usage_error("%s needs a mirror name", a->cmd);
		return NULL;
	}
	if (a->n_pos > commands[c].max_pos) {
		usage_error("too many arguments for %s", a->cmd);
		return NULL;
	}
	if (a->address && !commands[c].address) {
		usage_error("--address does not apply to %s", a->cmd);
		return NULL;
	}
	if ((a->reason || a->for_text || a->seen_force || a->update) &&
	    !commands[c].drain_opts) {
		usage_error("%s does not apply to %s",
			    a->reason	    ? "--reason"
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
			usage_error("invalid address \"%s\" (an IPv4 or IPv6 "
				    "literal)",
				    a->address);
			return NULL;
		}
		rq.has_address = true;
	}
	if (a->for_text) {
		int rc = mp_duration_parse(a->for_text, &rq.for_ms);
		if (rc < 0 || rq.for_ms == 0) {
			usage_error("invalid duration \"%s\" for --for (e.g. "
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
		usage_error("%s", err);
		free(line);
		return NULL;
	}
	mp_ctl_request_clear(&check);
	*cmd_out = rq.cmd;
	return line;
}

/* -s, else $MIRRORPOOL_SOCKET, else the config's control.socket, else the
 * default. *cfg_out keeps the loaded config (it owns the string). */
static int resolve_socket(const struct args *a, const char **path,
			  struct mp_config **cfg_out)
{
	const char *env = getenv("MIRRORPOOL_SOCKET");
	struct mp_diag d;
	int rc;

	*cfg_out = NULL;
	if (a->socket) {
		*path = a->socket;
		return 0;
	}
	if (env && *env) {
		*path = env;
		return 0;
	}
	if (a->config) {
		mp_diag_init(&d);
		/* The client needs the socket path only, never the key. */
		rc = mp_config_load(a->config, MP_CONFIG_NO_KEY, cfg_out, &d);
		if (rc < 0) {
			fprintf(stderr,
				"mirrorpoolctl: cannot use the configuration "
				"%s:\n",
				a->config);
			for (size_t i = 0; i < d.n; i++)
				fprintf(stderr, "  %s\n", d.msgs[i]);
			if (d.n == 0)
				fprintf(stderr, "  %s\n", mp_strerror(rc));
			mp_diag_clear(&d);
			return -1;
		}
		mp_diag_clear(&d);
		*path = (*cfg_out)->control.socket;
		return 0;
	}
	*path = DEFAULT_SOCKET;
	return 0;
}

static int connect_agent(const char *path)
{
	struct sockaddr_un sa;
	int fd, e;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr,
			"mirrorpoolctl: cannot reach the agent: socket path "
			"%s is too long\n",
			path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "mirrorpoolctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	e = errno;
	close(fd);
	switch (e) {
	case ENOENT:
		fprintf(stderr,
			"mirrorpoolctl: cannot reach the agent: %s does not "
			"exist (is mirrorpoold running? use -s or -c to name "
			"another socket)\n",
			path);
		break;
	case ECONNREFUSED:
		fprintf(stderr,
			"mirrorpoolctl: cannot reach the agent: connection "
			"refused on %s (mirrorpoold is not running)\n",
			path);
		break;
	case EACCES:
	case EPERM:
		fprintf(stderr,
			"mirrorpoolctl: cannot reach the agent: permission "
			"denied on %s (the socket's group may use it: see "
			"control.group)\n",
			path);
		break;
	default:
		fprintf(stderr,
			"mirrorpoolctl: cannot reach the agent on %s: %s\n",
			path, strerror(e));
		break;
	}
	return -1;
}

static int send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one line (without its newline) into *out (caller frees). Returns
 * 0, or -1 with errno set (ETIMEDOUT for no reply in time, EPIPE when the
 * agent hung up first, EMSGSIZE for an endless reply). */
static int read_line(int fd, char **out)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;

	for (;;) {
		char *nl;
		ssize_t n;

		if (cap - len < 4096) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb;
			if (ncap > MAX_REPLY) {
				free(buf);
				errno = EMSGSIZE;
				return -1;
			}
			nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				errno = ENOMEM;
				return -1;
			}
			buf = nb;
			cap = ncap;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				errno = ETIMEDOUT;
			free(buf);
			return -1;
		}
		if (n == 0) {
			free(buf);
			errno = EPIPE;
			return -1;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl) {
			*nl = '\0';
			*out = buf;
			return 0;
		}
	}
}

/* Pretty JSON on stdout. Returns an exit status. */
static int print_json(const json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2));

	if (!s) {
		fprintf(stderr, "mirrorpoolctl: out of memory\n");
		return EXIT_FAILED;
	}
	printf("%s\n", s);
	free(s);
	return EXIT_DONE;
}

static int malformed(const char *what)
{
	fprintf(stderr, "mirrorpoolctl: malformed reply from the agent: %s\n",
		what);
	return EXIT_FAILED;
}

/* Prints the text; a NULL text means a reply that could not be rendered. */
static int print_text(char *text, const char *what)
{
	if (!text)
		return malformed(what);
	fputs(text, stdout);
	free(text);
	return EXIT_DONE;
}

/* A check that ran and failed makes the command fail (exit 1), as a
 * monitoring plugin would; the count goes to stderr. */
static int check_status(const json_t *reply, int status)
{
	const json_t *results = json_object_get(reply, "results"), *r;
	size_t i, failed = 0;

	json_array_foreach(results, i,
			   r) if (!json_is_true(json_object_get(r, "ok")))
	    failed++;
	if (failed == 0 || status != EXIT_DONE)
		return status;
	fprintf(stderr, "mirrorpoolctl: %zu of %zu checks failed\n", failed,
		json_array_size(results));
	return EXIT_FAILED;
}

/* Warnings the agent attached to an accepted command, one line each. */
static void print_warnings(const json_t *reply)
{
	const json_t *w = json_object_get(reply, "warnings"), *v;
	size_t i;

	json_array_foreach(w, i, v) if (json_is_string(v)) fprintf(
	    stderr, "mirrorpoolctl: warning: %s\n", json_string_value(v));
}

static int print_reply(enum mp_ctl_cmd cmd, json_t *reply, bool json)
{
	const char *s;
	json_t *v;
	uint64_t now = (uint64_t)time(NULL);

	print_warnings(reply);
	if (json) {
		if (cmd == MP_CTL_STATUS) {
			v = json_object_get(reply, "status");
			if (!json_is_object(v))
				return malformed("no \"status\" object");
			return print_json(v);
		}
		json_object_del(reply, "ok");
		if (cmd == MP_CTL_CHECK)
			return check_status(reply, print_json(reply));
		return print_json(reply);
	}
	switch (cmd) {
	case MP_CTL_STATUS:
		v = json_object_get(reply, "status");
		if (!json_is_object(v))
			return malformed("no \"status\" object");
		return print_text(mp_status_text(v, now), "bad status");
	case MP_CTL_CHECK:
		return check_status(
		    reply, print_text(mp_status_text_check(
					  json_object_get(reply, "results")),
				      "no \"results\" array"));
	case MP_CTL_SYNC:
		return print_text(mp_status_text_rrsets(reply, now),
				  "bad sync reply");
	case MP_CTL_METRICS:
		s = json_string_value(json_object_get(reply, "metrics"));
		if (!s)
			return malformed("no \"metrics\" text");
		fputs(s, stdout);
		return EXIT_DONE;
	case MP_CTL_DRAIN:
	case MP_CTL_UNDRAIN:
	case MP_CTL_RELOAD:
		s = json_string_value(json_object_get(reply, "message"));
		printf("%s\n", s ? s : "done");
		return EXIT_DONE;
	}
	return EXIT_DONE;
}

static int run(const struct args *a)
{
	struct mp_config *cfg = NULL;
	enum mp_ctl_cmd cmd = MP_CTL_STATUS;
	const char *path, *error;
	char *line = NULL, *reply_line = NULL;
	json_t *reply = NULL;
	struct timeval tv = {REPLY_TIMEOUT_S, 0};
	int fd = -1, status = EXIT_FAILED;
	bool ok;

	line = build_request(a, &cmd);
	if (!line)
		return EXIT_USAGE;
	if (resolve_socket(a, &path, &cfg) < 0) {
		status = EXIT_USAGE;
		goto cleanup;
	}
	fd = connect_agent(path);
	if (fd < 0) {
		status = EXIT_UNREACHABLE;
		goto cleanup;
	}
	if (cmd == MP_CTL_CHECK)
		tv.tv_sec = REPLY_TIMEOUT_CHECK_S;
	else if (cmd == MP_CTL_SYNC)
		tv.tv_sec = REPLY_TIMEOUT_SYNC_S;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

	if (send_all(fd, line, strlen(line)) < 0 || send_all(fd, "\n", 1) < 0) {
		fprintf(stderr,
			"mirrorpoolctl: cannot reach the agent: sending to "
			"%s: %s\n",
			path, strerror(errno));
		status = EXIT_UNREACHABLE;
		goto cleanup;
	}
	if (read_line(fd, &reply_line) < 0) {
		if (errno == ETIMEDOUT)
			fprintf(stderr,
				"mirrorpoolctl: no reply from the agent on %s "
				"within %ld s\n",
				path, (long)tv.tv_sec);
		else if (errno == EPIPE)
			fprintf(stderr,
				"mirrorpoolctl: the agent on %s closed the "
				"connection without a reply\n",
				path);
		else
			fprintf(stderr,
				"mirrorpoolctl: reading the reply from %s: "
				"%s\n",
				path, strerror(errno));
		status = errno == ENOMEM || errno == EMSGSIZE
			     ? EXIT_FAILED
			     : EXIT_UNREACHABLE;
		goto cleanup;
	}
	if (mp_ctl_reply_parse(reply_line, &reply, &ok, &error) < 0) {
		status = malformed("not a JSON object with \"ok\"");
		goto cleanup;
	}
	if (!ok) {
		fprintf(stderr, "mirrorpoolctl: %s\n", error);
		status = EXIT_FAILED;
		goto cleanup;
	}
	status = print_reply(cmd, reply, a->json);

cleanup:
	if (fd >= 0)
		close(fd);
	json_decref(reply);
	free(reply_line);
	free(line);
	mp_config_free(cfg);
	return status;
}

int main(int argc, char **argv)
{
	struct args a;
	int status;

	if (parse_args(argc, argv, &a) < 0)
		return EXIT_USAGE;
	if (a.help) {
		fputs(usage_text, stdout);
		return EXIT_DONE;
	}
	if (a.version) {
		printf("mirrorpoolctl %s\n", PACKAGE_VERSION);
		return EXIT_DONE;
	}
	if (!a.cmd) {
		usage_error("no command given");
		return EXIT_USAGE;
	}
	status = run(&a);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "mirrorpoolctl: writing the output: %s\n",
			strerror(errno));
		return EXIT_FAILED;
	}
	return status;
}
