/* mirrorpoolctl's side of the control socket: which socket, connecting
 * to the agent (and saying why not), sending the request, reading the
 * reply line. */
#include "ctl_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "error.h"

/* -s, else $MIRRORPOOL_SOCKET, else the config's control.socket, else the
 * default. *cfg_out keeps the loaded config (it owns the string). */
int mp_cli_resolve_socket(const struct args *a, const char **path,
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

int mp_cli_connect_agent(const char *path)
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

int mp_cli_send_all(int fd, const char *p, size_t len)
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
int mp_cli_read_line(int fd, char **out)
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
