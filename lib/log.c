#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int log_level = LOG_INFO;
static mp_log_sink_fn log_sink = mp_log_stderr_sink;
static void *log_sink_arg;

static const struct {
	const char *name;
	int level;
} level_names[] = {
    {"debug", LOG_DEBUG},     {"info", LOG_INFO}, {"notice", LOG_NOTICE},
    {"warning", LOG_WARNING}, {"err", LOG_ERR},	  {"error", LOG_ERR},
    {"crit", LOG_CRIT},
};

void mp_log_set_level(int level)
{
	log_level = level;
}

int mp_log_get_level(void)
{
	return log_level;
}

void mp_log_set_sink(mp_log_sink_fn fn, void *arg)
{
	log_sink = fn ? fn : mp_log_stderr_sink;
	log_sink_arg = fn ? arg : NULL;
}

int mp_log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++)
		if (strcasecmp(s, level_names[i].name) == 0)
			return level_names[i].level;
	return -1;
}

const char *mp_log_level_name(int level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++)
		if (level_names[i].level == level)
			return level_names[i].name;
	return "unknown";
}

void mp_log_stderr_sink(int prio, const struct mp_log_fields *f,
			const char *msg, void *arg)
{
	(void)f;
	(void)arg;
	fprintf(stderr, "<%d>%s\n", prio, msg);
	fflush(stderr);
}

static void vlog(int prio, const struct mp_log_fields *f, const char *fmt,
		 va_list ap)
{
	char msg[2048];

	if (prio > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One event, one line: never let a value split an entry. */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	log_sink(prio, f, msg, log_sink_arg);
}

void mp_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, NULL, fmt, ap);
	va_end(ap);
}

void mp_logf(int prio, const struct mp_log_fields *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, f, fmt, ap);
	va_end(ap);
}
