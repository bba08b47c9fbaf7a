#include "autoconfig.h"
#include "logsink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

#ifdef HAVE_LIBSYSTEMD
/* Without this every entry would carry CODE_FILE=agent/logsink.c and the
 * line of the call below: the location of the sink, not of the event. The
 * fields that say where are the project's own (POOL, MIRROR, ...). */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

static void journal_sink(int prio, const struct mp_log_fields *f,
			 const char *msg, void *arg)
{
	struct iovec iov[12];
	char buf[11][600];
	int n = 0;

	(void)arg;
#define ADD(fmt, val)                                                          \
	do {                                                                   \
		int l_ = snprintf(buf[n], sizeof(buf[n]), fmt, val);           \
		if (l_ < 0)                                                    \
			l_ = 0;                                                \
		if ((size_t)l_ >= sizeof(buf[n]))                              \
			l_ = sizeof(buf[n]) - 1;                               \
		iov[n].iov_base = buf[n];                                      \
		iov[n].iov_len = (size_t)l_;                                   \
		n++;                                                           \
	} while (0)
	ADD("PRIORITY=%d", prio);
	if (f) {
		if (f->pool)
			ADD("POOL=%s", f->pool);
		if (f->mirror)
			ADD("MIRROR=%s", f->mirror);
		if (f->address)
			ADD("ADDRESS=%s", f->address);
		if (f->state)
			ADD("STATE=%s", f->state);
		if (f->reason)
			ADD("REASON=%s", f->reason);
		if (f->rcode)
			ADD("RCODE=%s", f->rcode);
		if (f->caller_uid >= 0)
			ADD("CALLER_UID=%ld", f->caller_uid);
		if (f->subject)
			ADD("SUBJECT=%s", f->subject);
		if (f->issuer)
			ADD("ISSUER=%s", f->issuer);
	}
#undef ADD
	/* MESSAGE may be long: point at it rather than copying it */
	static char mbuf[2100];
	int ml = snprintf(mbuf, sizeof(mbuf), "MESSAGE=%s", msg);
	iov[n].iov_base = mbuf;
	iov[n].iov_len = ml < 0 ? 0
				: ((size_t)ml >= sizeof(mbuf) ? sizeof(mbuf) - 1
							      : (size_t)ml);
	n++;
	if (sd_journal_sendv(iov, n) < 0)
		mp_log_stderr_sink(prio, f, msg, NULL);
}

/* JOURNAL_STREAM is "DEV:INO" of the stream systemd connected stderr to. */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(2, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}
#endif

int mp_logsink_setup(void)
{
#ifdef HAVE_LIBSYSTEMD
	if (stderr_is_journal()) {
		mp_log_set_sink(journal_sink, NULL);
		return 1;
	}
#endif
	mp_log_set_sink(NULL, NULL);
	return 0;
}
