/*
 * The sd_notify datagram protocol (see sd_notify(3), "Notes"), written out
 * here rather than taken from libsystemd so that builds without libsystemd
 * still start under Type=notify and feed the watchdog.
 */
#include "autoconfig.h"
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

/* Every message we send is a few fields and a one-line status; a longer
 * status is cut rather than split over datagrams. */
#define MP_NOTIFY_MAX 1024

/* A full receive queue in the service manager would block sendmsg; never
 * stall the event loop for longer than this. */
#define MP_NOTIFY_SEND_TIMEOUT_S 1

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_addrlen;
static uint64_t notify_watchdog_usec;

/* Strict decimal: no sign, no spaces, no trailing text. */
static int parse_decimal(const char *s, unsigned long long *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return MP_EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return MP_EINVAL;
	return MP_OK;
}

static uint64_t read_watchdog_env(void)
{
	const char *pid_s = getenv("WATCHDOG_PID");
	unsigned long long usec, pid;

	if (parse_decimal(getenv("WATCHDOG_USEC"), &usec) != MP_OK || usec == 0)
		return 0;
	/* systemd names the process the watchdog is meant for; a child that
	 * inherited the environment must not take the pings over. */
	if (pid_s && *pid_s) {
		if (parse_decimal(pid_s, &pid) != MP_OK ||
		    pid != (unsigned long long)getpid())
			return 0;
	}
	return (uint64_t)usec;
}

/* "/path" -> a filesystem socket, "@name" -> an abstract one ("\0name",
 * whose length is the address length: no terminating NUL). */
static int set_address(const char *name)
{
	const size_t base = offsetof(struct sockaddr_un, sun_path);
	size_t len = strlen(name);

	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	if (name[0] == '/') {
		if (len >= sizeof(notify_addr.sun_path))
			return MP_EINVAL;
		memcpy(notify_addr.sun_path, name, len + 1);
		notify_addrlen = (socklen_t)(base + len + 1);
		return MP_OK;
	}
	if (name[0] == '@') {
		if (len < 2 || len > sizeof(notify_addr.sun_path))
			return MP_EINVAL;
		notify_addr.sun_path[0] = '\0';
		memcpy(notify_addr.sun_path + 1, name + 1, len - 1);
		notify_addrlen = (socklen_t)(base + len);
		return MP_OK;
	}
	return MP_EINVAL;
}

int mp_notify_init(void)
{
	const char *name;
	struct timeval tv = {MP_NOTIFY_SEND_TIMEOUT_S, 0};
	int fd, rc;

	mp_notify_close();
	name = getenv("NOTIFY_SOCKET");
	if (!name || !*name)
		return MP_OK;
	rc = set_address(name);
	if (rc != MP_OK)
		return rc;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return mp_err_errno(errno);
	/* Best effort: without the timeout a send may only block longer. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	notify_fd = fd;
	notify_watchdog_usec = read_watchdog_env();
	return MP_OK;
}

int mp_notify_enabled(void)
{
	return notify_fd >= 0;
}

void mp_notify_close(void)
{
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
	notify_addrlen = 0;
	notify_watchdog_usec = 0;
}

uint64_t mp_notify_watchdog_usec(void)
{
	return notify_fd >= 0 ? notify_watchdog_usec : 0;
}

static int send_datagram(const char *msg, size_t len)
{
	struct iovec iov;
	struct msghdr mh;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)msg;
	iov.iov_len = len;
	mh.msg_name = &notify_addr;
	mh.msg_namelen = notify_addrlen;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	do {
		n = sendmsg(notify_fd, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return mp_err_errno(errno);
	if ((size_t)n != len)
		return mp_err_errno(EMSGSIZE);
	return MP_OK;
}

/*
 * Sends head (fixed fields, may be "") followed by "STATUS=<status>" when
 * status is non-empty. Newlines in status would start new fields (a status
 * could then claim READY=1 or MAINPID=), so they become spaces.
 */
static int send_fields(const char *head, const char *status)
{
	char buf[MP_NOTIFY_MAX];
	size_t len, start;
	int n;

	if (notify_fd < 0)
		return MP_OK;
	n = snprintf(buf, sizeof(buf), "%s", head);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return MP_EINVAL;
	len = (size_t)n;
	if (status && *status) {
		n = snprintf(buf + len, sizeof(buf) - len,
			     "%sSTATUS=", len > 0 ? "\n" : "");
		if (n < 0 || (size_t)n >= sizeof(buf) - len)
			return MP_EINVAL;
		len += (size_t)n;
		start = len;
		n = snprintf(buf + len, sizeof(buf) - len, "%s", status);
		if (n < 0)
			return MP_EINVAL;
		/* Cut an over-long status to what fits. */
		if ((size_t)n >= sizeof(buf) - len)
			len = sizeof(buf) - 1;
		else
			len += (size_t)n;
		for (size_t i = start; i < len; i++)
			if (buf[i] == '\n' || buf[i] == '\r')
				buf[i] = ' ';
	}
	return send_datagram(buf, len);
}

int mp_notify_ready(const char *status)
{
	return send_fields("READY=1", status);
}

int mp_notify_status(const char *status)
{
	if (!status || !*status)
		return MP_OK;
	return send_fields("", status);
}

int mp_notify_reloading(uint64_t now_monotonic_usec)
{
	char head[64];
	struct timespec ts;

	if (notify_fd < 0)
		return MP_OK;
	if (now_monotonic_usec == 0) {
		if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
			return MP_EIO;
		now_monotonic_usec = (uint64_t)ts.tv_sec * 1000000u +
				     (uint64_t)ts.tv_nsec / 1000u;
	}
	snprintf(head, sizeof(head), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)now_monotonic_usec);
	return send_fields(head, NULL);
}

int mp_notify_stopping(void)
{
	return send_fields("STOPPING=1", NULL);
}

int mp_notify_watchdog(void)
{
	return send_fields("WATCHDOG=1", NULL);
}
