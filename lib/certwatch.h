/*
 * The certificate watch: when to warn that an address's TLS certificate
 * is about to expire, and when to say it was renewed. One warning per
 * certificate coming into the window, one notice when a later certificate
 * takes its place; nothing in between, however often it is checked.
 */
#ifndef MP_CERTWATCH_H
#define MP_CERTWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mp_cert_event {
	MP_CERT_NONE = 0,
	MP_CERT_EXPIRING, /* came within the warning window: warn once */
	MP_CERT_RENEWED,  /* after a warning, a certificate out of it */
};

/* Per address. Zeroed: nothing seen yet. */
struct mp_cert_watch {
	int64_t not_after; /* Unix seconds of the certificate last seen */
	bool warned;	   /* a warning stands for it */
};

/*
 * Records the notAfter seen at a full handshake at wall-clock now_s
 * (seconds) against a warning window of warn_ms (0: never warn) and says
 * what to log.
 */
enum mp_cert_event mp_cert_watch_update(struct mp_cert_watch *w,
					int64_t not_after, int64_t now_s,
					uint64_t warn_ms);

/* "6d 4h", "3h 12m", "45m", "expired" for secs <= 0: the time a
 * certificate has left, to the two largest units. Returns buf. */
char *mp_cert_left_format(int64_t secs, char *buf, size_t len);

struct mp_check_result;
struct mp_log_fields;

/*
 * Logs what r->cert_event says about the address (f: its pool, mirror and
 * address fields; mirror and address name it in the message): a warning
 * with REASON "certificate expires in 6d 4h", or a notice when renewed;
 * the certificate's subject and issuer in the message and as the SUBJECT
 * and ISSUER fields. now_s: the wall clock, Unix seconds. Nothing for
 * MP_CERT_NONE.
 */
void mp_cert_watch_log(const struct mp_log_fields *f,
		       const struct mp_check_result *r, int64_t now_s);

#endif
