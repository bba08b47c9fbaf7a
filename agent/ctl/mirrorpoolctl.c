/*
 * mirrorpoolctl: the control client (SPEC §1). One request line to the
 * agent's socket, one reply line back, printed for a person or, with
 * --json, for a script. Requests are checked here with the agent's own
 * parser, so a typo is a usage error (exit 2) before anything is sent.
 */
#include "autoconfig.h"

#include "ctl_int.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "control_proto.h"
#include "error.h"
#include "status_text.h"

/* How long to wait for the reply: checks may run up to their timeouts and
 * a sync waits on the primary. */
#define REPLY_TIMEOUT_S 60
#define REPLY_TIMEOUT_CHECK_S 300
#define REPLY_TIMEOUT_SYNC_S 120

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

	line = mp_cli_build_request(a, &cmd);
	if (!line)
		return EXIT_USAGE;
	if (mp_cli_resolve_socket(a, &path, &cfg) < 0) {
		status = EXIT_USAGE;
		goto cleanup;
	}
	fd = mp_cli_connect_agent(path);
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

	if (mp_cli_send_all(fd, line, strlen(line)) < 0 ||
	    mp_cli_send_all(fd, "\n", 1) < 0) {
		fprintf(stderr,
			"mirrorpoolctl: cannot reach the agent: sending to "
			"%s: %s\n",
			path, strerror(errno));
		status = EXIT_UNREACHABLE;
		goto cleanup;
	}
	if (mp_cli_read_line(fd, &reply_line) < 0) {
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

	if (mp_cli_parse_args(argc, argv, &a) < 0)
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
		mp_cli_usage_error("no command given");
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
