/*
 * The one logging API of mirrorpool. Levels are syslog's (LOG_ERR ..
 * LOG_DEBUG). Messages about a mirror carry structured fields so that the
 * journald sink can attach POOL=, MIRROR=, ADDRESS= ... (SPEC §7).
 *
 * lib/ only formats and filters; where a line goes is decided by the sink
 * installed with mp_log_set_sink(). The default sink writes
 * "<N>message\n" to stderr (sd-daemon priority prefixes).
 */
#ifndef MP_LOG_H
#define MP_LOG_H

#include <syslog.h>

struct mp_log_fields {
	const char *pool;
	const char *mirror;
	const char *address;
	const char *state;
	const char *reason;
	const char *rcode;
	long caller_uid; /* -1 when not a control command */
	/* a TLS certificate's subject and issuer ("/CN=...") */
	const char *subject;
	const char *issuer;
};

#define MP_LOG_FIELDS_INIT                                                     \
	{                                                                      \
		NULL, NULL, NULL, NULL, NULL, NULL, -1, NULL, NULL             \
	}

typedef void (*mp_log_sink_fn)(int prio, const struct mp_log_fields *f,
			       const char *msg, void *arg);

/* Messages above this priority (numerically greater) are dropped. */
void mp_log_set_level(int level);
int mp_log_get_level(void);

/* NULL restores the default stderr sink. */
void mp_log_set_sink(mp_log_sink_fn fn, void *arg);

/* The default sink: "<N>msg\n" on stderr. */
void mp_log_stderr_sink(int prio, const struct mp_log_fields *f,
			const char *msg, void *arg);

/* "debug" | "info" | "notice" | "warning" | "err" (also "error") ->
 * LOG_*; -1 when unknown. */
int mp_log_level_parse(const char *s);
const char *mp_log_level_name(int level);

void mp_log(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* f may be NULL. */
void mp_logf(int prio, const struct mp_log_fields *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
