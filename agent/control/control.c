/*
 * The control socket server (SPEC §6) on libuv.
 *
 * The socket is bound under a temporary name, given its group and mode and
 * put into the listening state, and only then renamed to its real path: the
 * file that clients see never has a looser mode than configured, and it
 * accepts connections from the moment it exists. A live agent already on
 * the path is detected by connecting to it first. Its connections are
 * handled in control_conn.c.
 */
/* struct ucred (SO_PEERCRED) */
#define _GNU_SOURCE
#include "autoconfig.h"

#include "control.h"
#include "control_int.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "log.h"

/* lib/config.c checks control.socket against this length without a socket
 * header of its own */
_Static_assert(sizeof(((struct sockaddr_un *)0)->sun_path) == MP_UNIX_PATH_MAX,
	       "MP_UNIX_PATH_MAX must match sockaddr_un.sun_path");

/* Connections beyond this are told so and closed. */
#define CTL_MAX_CONNS 64
/* A client gets this long to send a complete request. */
#define CTL_IDLE_MS 10000
#define CTL_BACKLOG 16

static void on_server_closed(uv_handle_t *h);

void mp_ctl_server_maybe_done(struct mp_ctl_server *s)
{
	void (*closed)(void *);
	void *arg;

	if (!s->closing || !s->pipe_closed || s->conns)
		return;
	closed = s->closed;
	arg = s->closed_arg;
	free(s->path);
	free(s);
	if (closed)
		closed(arg);
}

/* ------------------------------------------------------------------------
 * Creating the socket
 */

static int fill_sockaddr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return MP_ESPACE;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return MP_OK;
}

/* The group's id: a name from the group database, or a decimal gid. */
static int resolve_group(const char *group, gid_t *gid, char *err,
			 size_t errlen)
{
	struct group gr, *res = NULL;
	size_t len = 4096;
	char *buf = NULL, *end;
	long v;
	int rc;

	if (!group) {
		*gid = getegid();
		return MP_OK;
	}
	for (;;) {
		char *nb = realloc(buf, len);
		if (!nb) {
			free(buf);
			mp_seterr(err, errlen, "out of memory");
			return MP_ENOMEM;
		}
		buf = nb;
		rc = getgrnam_r(group, &gr, buf, len, &res);
		if (rc != ERANGE || len >= (1u << 20))
			break;
		len *= 2;
	}
	if (rc == 0 && res) {
		*gid = res->gr_gid;
		free(buf);
		return MP_OK;
	}
	free(buf);
	errno = 0;
	v = strtol(group, &end, 10);
	if (*group && *end == '\0' && errno == 0 && v >= 0) {
		*gid = (gid_t)v;
		return MP_OK;
	}
	if (rc != 0)
		mp_seterr(err, errlen, "cannot look up group \"%s\": %s", group,
			  strerror(rc));
	else
		mp_seterr(err, errlen,
			  "unknown group \"%s\" (control.group): no such group "
			  "on this system",
			  group);
	return MP_ENOENT;
}

/* Refuses to run beside a live agent and to remove what is not a socket. */
static int check_existing(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, rc, e;

	if (lstat(path, &st) < 0) {
		e = errno;
		if (e == ENOENT)
			return MP_OK;
		mp_seterr(err, errlen, "cannot examine %s: %s", path,
			  strerror(e));
		return mp_err_errno(e);
	}
	if (!S_ISSOCK(st.st_mode)) {
		mp_seterr(err, errlen,
			  "%s exists and is not a socket; not removing it",
			  path);
		return MP_EEXIST;
	}
	fill_sockaddr(path, &sa);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		mp_seterr(err, errlen, "socket: %s", strerror(e));
		return mp_err_errno(e);
	}
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	close(fd);
	if (rc == 0) {
		mp_seterr(err, errlen, "another mirrorpoold is listening on %s",
			  path);
		return MP_EBUSY;
	}
	if (e == ECONNREFUSED || e == ENOENT)
		return MP_OK; /* stale: replaced by the rename */
	mp_seterr(err, errlen, "cannot tell whether %s is in use: %s", path,
		  strerror(e));
	return mp_err_errno(e);
}

/* The directory of path must exist: systemd's RuntimeDirectory= (or the
 * operator) makes it with the right owner; guessing here would not. */
static int check_directory(const char *path, char *dir, size_t dirlen,
			   char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	struct stat st;
	size_t n;

	if (!slash) {
		snprintf(dir, dirlen, ".");
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= dirlen) {
			mp_seterr(err, errlen, "socket path %s is too long",
				  path);
			return MP_ESPACE;
		}
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	if (slash && slash[1] == '\0') {
		mp_seterr(err, errlen, "socket path %s names a directory",
			  path);
		return MP_EINVAL;
	}
	if (stat(dir, &st) < 0) {
		if (errno == ENOENT)
			mp_seterr(
			    err, errlen,
			    "directory %s does not exist (create it, e.g. "
			    "with RuntimeDirectory= in the unit)",
			    dir);
		else
			mp_seterr(err, errlen, "cannot use directory %s: %s",
				  dir, strerror(errno));
		return MP_ENOENT;
	}
	if (!S_ISDIR(st.st_mode)) {
		mp_seterr(err, errlen, "%s is not a directory", dir);
		return MP_EINVAL;
	}
	return MP_OK;
}

/*
 * Binds fd to tmp with mode 0600 (umask), sets gid and mode, listens, and
 * renames tmp to path. tmp is removed on failure.
 */
static int bind_and_publish(int fd, const char *tmp, const char *path,
			    gid_t gid, const char *group, unsigned mode,
			    char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int rc, e;

	fill_sockaddr(tmp, &sa);
	if (lstat(tmp, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(tmp); /* left by an earlier process with our pid */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0) {
		e = errno;
		mp_seterr(err, errlen, "cannot bind %s: %s", tmp, strerror(e));
		return mp_err_errno(e);
	}
	if (chown(tmp, (uid_t)-1, gid) < 0) {
		e = errno;
		if (group)
			mp_seterr(err, errlen,
				  "cannot give %s to group \"%s\": %s", path,
				  group, strerror(e));
		else
			mp_seterr(err, errlen, "cannot set the group of %s: %s",
				  path, strerror(e));
		goto fail;
	}
	if (chmod(tmp, (mode_t)mode) < 0) {
		e = errno;
		mp_seterr(err, errlen, "cannot set mode %04o on %s: %s", mode,
			  path, strerror(e));
		goto fail;
	}
	if (listen(fd, CTL_BACKLOG) < 0) {
		e = errno;
		mp_seterr(err, errlen, "cannot listen on %s: %s", path,
			  strerror(e));
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		e = errno;
		mp_seterr(err, errlen, "cannot create %s: %s", path,
			  strerror(e));
		goto fail;
	}
	return MP_OK;

fail:
	unlink(tmp);
	return mp_err_errno(e);
}

int mp_ctl_server_new(uv_loop_t *loop, const char *path, const char *group,
		      unsigned mode, mp_ctl_request_fn cb, void *arg,
		      struct mp_ctl_server **out, char *err, size_t errlen)
{
	struct mp_ctl_server *s = NULL;
	struct sockaddr_un sa;
	char dir[sizeof(sa.sun_path)], tmp[sizeof(sa.sun_path) + 32];
	struct sigaction sa_pipe;
	struct stat st;
	gid_t gid;
	int fd = -1, rc;

	*out = NULL;
	mp_seterr(err, errlen, "%s", "");
	if (!path || !*path) {
		mp_seterr(err, errlen, "no socket path");
		return MP_EINVAL;
	}
	if (mode > 07777) {
		mp_seterr(err, errlen, "invalid socket mode %o", mode);
		return MP_EINVAL;
	}
	if (fill_sockaddr(path, &sa) < 0) {
		mp_seterr(err, errlen,
			  "socket path %s is too long (at most %zu bytes)",
			  path, sizeof(sa.sun_path) - 1);
		return MP_ESPACE;
	}
	rc = check_directory(path, dir, sizeof(dir), err, errlen);
	if (rc < 0)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s/.mpctl.%ld", dir, (long)getpid());
	if (strlen(tmp) >= sizeof(sa.sun_path)) {
		mp_seterr(
		    err, errlen,
		    "socket directory %s is too long (a temporary name in "
		    "it must fit %zu bytes)",
		    dir, sizeof(sa.sun_path) - 1);
		return MP_ESPACE;
	}
	rc = resolve_group(group, &gid, err, errlen);
	if (rc < 0)
		return rc;
	rc = check_existing(path, err, errlen);
	if (rc < 0)
		return rc;

	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		mp_seterr(err, errlen, "out of memory");
		rc = MP_ENOMEM;
		goto fail;
	}
	s->loop = loop;
	s->cb = cb;
	s->arg = arg;
	s->idle_ms = CTL_IDLE_MS;
	s->max_conns = CTL_MAX_CONNS;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = errno;
		mp_seterr(err, errlen, "socket: %s", strerror(rc));
		rc = mp_err_errno(rc);
		goto fail;
	}
	rc = bind_and_publish(fd, tmp, path, gid, group, mode, err, errlen);
	if (rc < 0)
		goto fail;
	if (lstat(path, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	uv_pipe_init(loop, &s->pipe, 0);
	s->pipe.data = s;
	rc = uv_pipe_open(&s->pipe, fd);
	if (rc == 0) {
		fd = -1; /* the handle owns it now */
		rc = uv_listen((uv_stream_t *)&s->pipe, CTL_BACKLOG,
			       mp_ctl_on_connection);
	}
	if (rc < 0) {
		mp_seterr(err, errlen, "cannot listen on %s: %s", path,
			  uv_strerror(rc));
		unlink(path);
		if (fd >= 0)
			close(fd);
		/* The handle is initialised, so its memory may only go in
		 * its close callback: the server frees itself there once
		 * the loop runs. */
		s->closing = true;
		uv_close((uv_handle_t *)&s->pipe, on_server_closed);
		return mp_err_errno(rc);
	}
	/* A client that hangs up before its reply would otherwise kill the
	 * agent with SIGPIPE on the write. */
	if (sigaction(SIGPIPE, NULL, &sa_pipe) == 0 &&
	    sa_pipe.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	mp_log(LOG_INFO, "control: listening on %s (mode %04o, group %s)", path,
	       mode, group ? group : "(own)");
	*out = s;
	return MP_OK;

fail:
	if (fd >= 0)
		close(fd);
	if (s)
		free(s->path);
	free(s);
	return rc;
}

static void on_server_closed(uv_handle_t *h)
{
	struct mp_ctl_server *s = h->data;

	s->pipe_closed = true;
	mp_ctl_server_maybe_done(s);
}

void mp_ctl_server_close(struct mp_ctl_server *s, void (*closed)(void *),
			 void *arg)
{
	struct mp_ctl_conn *c;
	struct stat st;

	if (!s || s->closing)
		return;
	s->closing = true;
	s->closed = closed;
	s->closed_arg = arg;
	/* Only our own socket: a newer agent may have taken the path. */
	if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	uv_close((uv_handle_t *)&s->pipe, on_server_closed);
	for (c = s->conns; c; c = c->next)
		mp_ctl_conn_close(c);
}

void mp_ctl_server_set_idle_timeout(struct mp_ctl_server *s, uint64_t ms)
{
	s->idle_ms = ms > 0 ? ms : 1;
}

void mp_ctl_server_set_max_conns(struct mp_ctl_server *s, size_t n)
{
	s->max_conns = n;
}
