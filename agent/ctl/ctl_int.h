/*
 * Internal to mirrorpoolctl: mirrorpoolctl.c (main, the run of one command
 * and printing the reply), ctl_args.c (the command line) and ctl_socket.c
 * (the control socket).
 */
#ifndef MP_CTL_INT_H
#define MP_CTL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "control_proto.h"

#define DEFAULT_SOCKET "/run/mirrorpool/control.sock"

enum {
	EXIT_DONE = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
};

/* A reply larger than this is not an agent talking. */
#define MAX_REPLY (64u << 20)

/* The command line, as parsed. */
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

/* "mirrorpoolctl: MESSAGE" and a pointer to --help, on stderr. */
void mp_cli_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* Fills a from the command line; -1 after a usage error. */
int mp_cli_parse_args(int argc, char **argv, struct args *a);
/* The request line for a (caller frees) and its command, or NULL after a
 * usage error. */
char *mp_cli_build_request(const struct args *a, enum mp_ctl_cmd *cmd_out);

/* The socket to use into *path; *cfg_out keeps a configuration read for it
 * (caller frees). -1 after printing why not. */
int mp_cli_resolve_socket(const struct args *a, const char **path,
			  struct mp_config **cfg_out);
/* A connected socket, or -1 after printing why the agent is unreachable. */
int mp_cli_connect_agent(const char *path);
int mp_cli_send_all(int fd, const char *p, size_t len);
/* One reply line (caller frees); -1 with errno (ETIMEDOUT, EPIPE,
 * EMSGSIZE, ENOMEM). */
int mp_cli_read_line(int fd, char **out);

#endif
