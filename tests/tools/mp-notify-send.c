/*
 * mp-notify-send: drives agent/notify.c from the command line so that the
 * datagrams it sends can be checked against a fake service manager.
 *
 *   mp-notify-send COMMAND [ARG] [COMMAND [ARG]]...
 *
 *   ready TEXT | status TEXT | reloading USEC | stopping | watchdog
 *   watchdog-usec   print mp_notify_watchdog_usec()
 *   enabled         print mp_notify_enabled()
 *   getenv NAME     print the variable, or "(unset)"
 *
 * Commands run in order after one mp_notify_init(). Exit status: 0 when
 * every call returned 0, 1 on the first failure (reason on stderr), 2 for a
 * usage error.
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "notify.h"

static int usage(void)
{
	fputs("usage: mp-notify-send COMMAND [ARG]...\n"
	      "  ready TEXT | status TEXT | reloading USEC | stopping |\n"
	      "  watchdog | watchdog-usec | enabled | getenv NAME\n",
	      stderr);
	return 2;
}

static int fail(const char *what, int rc)
{
	int e = errno;

	fprintf(stderr, "mp-notify-send: %s: %s (%s)\n", what, mp_strerror(rc),
		strerror(e));
	return 1;
}

int main(int argc, char **argv)
{
	int rc, i = 1;

	if (argc < 2)
		return usage();
	rc = mp_notify_init();
	if (rc != MP_OK)
		return fail("init", rc);

	while (i < argc) {
		const char *cmd = argv[i++];
		const char *arg = i < argc ? argv[i] : NULL;

		if (!strcmp(cmd, "ready") || !strcmp(cmd, "status")) {
			if (!arg)
				return usage();
			i++;
			rc = cmd[0] == 'r' ? mp_notify_ready(arg)
					   : mp_notify_status(arg);
		} else if (!strcmp(cmd, "reloading")) {
			char *end;
			unsigned long long v;

			if (!arg)
				return usage();
			i++;
			errno = 0;
			v = strtoull(arg, &end, 10);
			if (errno != 0 || *end != '\0' || end == arg)
				return usage();
			rc = mp_notify_reloading((uint64_t)v);
		} else if (!strcmp(cmd, "stopping")) {
			rc = mp_notify_stopping();
		} else if (!strcmp(cmd, "watchdog")) {
			rc = mp_notify_watchdog();
		} else if (!strcmp(cmd, "watchdog-usec")) {
			printf("%" PRIu64 "\n", mp_notify_watchdog_usec());
			rc = MP_OK;
		} else if (!strcmp(cmd, "enabled")) {
			printf("%d\n", mp_notify_enabled());
			rc = MP_OK;
		} else if (!strcmp(cmd, "getenv")) {
			const char *v;

			if (!arg)
				return usage();
			i++;
			v = getenv(arg);
			printf("%s\n", v ? v : "(unset)");
			rc = MP_OK;
		} else {
			return usage();
		}
		if (rc != MP_OK) {
			mp_notify_close();
			return fail(cmd, rc);
		}
	}
	fflush(stdout);
	mp_notify_close();
	return 0;
}
