/*
 * Readiness and watchdog notifications to the service manager (SPEC §7):
 * the sd_notify datagram protocol, spoken directly so that it works with or
 * without libsystemd. One AF_UNIX SOCK_DGRAM datagram per call goes to
 * $NOTIFY_SOCKET, a filesystem path ("/run/...") or an abstract name
 * ("@name").
 *
 * Without $NOTIFY_SOCKET (not started by systemd, or Type= is not notify)
 * every call is a no-op returning 0. The environment is left untouched so a
 * re-executed daemon can notify again.
 *
 * Not thread-safe: call from the event loop thread only.
 */
#ifndef MP_AGENT_NOTIFY_H
#define MP_AGENT_NOTIFY_H

#include <stdint.h>

/*
 * Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID and opens the
 * socket. Returns 0 (also when $NOTIFY_SOCKET is unset or empty),
 * MP_EINVAL when $NOTIFY_SOCKET is neither an absolute path nor an
 * "@abstract" name or is too long, or the socket(2) error (mp_err_errno).
 * On failure notifications stay disabled and later calls return 0.
 * Calling it again re-reads the environment.
 */
int mp_notify_init(void);

/* True (1) when notifications are sent, 0 when every call is a no-op. */
int mp_notify_enabled(void);

/*
 * Each sends one datagram and returns 0, or the error that kept it from
 * being delivered (mp_err_errno). A status is one line: newlines are sent
 * as spaces; NULL or "" sends no STATUS= field.
 */

/* "READY=1\nSTATUS=<status>": start-up (or a reload) is complete. */
int mp_notify_ready(const char *status);

/* "STATUS=<status>" */
int mp_notify_status(const char *status);

/*
 * "RELOADING=1\nMONOTONIC_USEC=<usec>": a reload has begun; send
 * mp_notify_ready() when it is done. now_monotonic_usec is CLOCK_MONOTONIC
 * in microseconds; 0 reads the clock now.
 */
int mp_notify_reloading(uint64_t now_monotonic_usec);

/* "STOPPING=1": shutdown has begun. */
int mp_notify_stopping(void);

/* "WATCHDOG=1": the event loop is alive. */
int mp_notify_watchdog(void);

/*
 * The watchdog period in microseconds: $WATCHDOG_USEC when it is set, valid
 * and meant for this process ($WATCHDOG_PID unset or equal to getpid()) and
 * notifications are enabled, else 0. The caller sends mp_notify_watchdog()
 * every half of it from a timer on its loop, so a stalled loop stops the pings.
 */
uint64_t mp_notify_watchdog_usec(void);

/* Closes the socket; later calls are no-ops until mp_notify_init(). */
void mp_notify_close(void);

#endif
