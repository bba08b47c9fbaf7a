/*
 * Per-address health: the unknown/up/down state machine with rise/fall
 * hysteresis, the check scheduling interval, and flap damping on every
 * up->down transition. Pure: time comes in as now_ms.
 */
#ifndef MP_HEALTH_H
#define MP_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "certwatch.h"
#include "config.h"
#include "damping.h"

enum mp_health_state {
	MP_HEALTH_UNKNOWN = 0,
	MP_HEALTH_UP = 1,
	MP_HEALTH_DOWN = 2,
};

#define MP_CHECK_DETAIL_LEN 160

struct mp_check_result {
	bool ok;
	char detail[MP_CHECK_DETAIL_LEN]; /* "HTTP 200", "HTTP 503",
					     "timeout after 3000 ms", ... */
	uint32_t latency_ms;
	uint64_t at_ms; /* when the check completed */
	/* https: the notAfter (Unix seconds) of the certificate seen at the
	 * address's last full handshake, 0 when none; and what the
	 * certificate watch says about this check's handshake */
	int64_t cert_not_after;
	enum mp_cert_event cert_event;
	/* https: that certificate's subject and issuer ("/CN=..."), NULL
	 * when none; borrowed for the call that reports the result, so
	 * mp_health keeps them out of last */
	const char *cert_subject;
	const char *cert_issuer;
};

struct mp_health {
	enum mp_health_state state;
	unsigned consecutive_ok;
	unsigned consecutive_fail;
	bool has_result;
	struct mp_check_result last;
	uint64_t last_ok_at_ms; /* most recent successful check; 0 never */
	uint64_t changed_at_ms; /* last state change */
	struct mp_damping damping;
};

enum mp_health_change {
	MP_HEALTH_SAME = 0,
	MP_HEALTH_WENT_UP = 1,	 /* unknown/down -> up */
	MP_HEALTH_WENT_DOWN = 2, /* unknown/up -> down */
};

const char *mp_health_state_name(enum mp_health_state s); /* "up" ... */

void mp_health_init(struct mp_health *h);

/* Start-up rule: an address still unknown adopts "up" when it is present in
 * DNS and "down" when absent, so a restart changes nothing in DNS. No-op when
 * the state is already known. Returns true when the state was adopted. */
bool mp_health_adopt(struct mp_health *h, bool in_dns, uint64_t now_ms);

/*
 * Records one check result. rise consecutive successes turn down (or
 * unknown) into up; fall consecutive failures turn up (or unknown) into
 * down, which also adds a damping penalty (dcfg may be NULL: no damping).
 * *damp (may be NULL) receives the damping change of this call.
 */
enum mp_health_change mp_health_record(struct mp_health *h,
				       const struct mp_check_cfg *ccfg,
				       const struct mp_damping_cfg *dcfg,
				       const struct mp_check_result *r,
				       enum mp_damping_change *damp);

/* True while the address is moving between states (a failure while up, a
 * success while down, or still unknown): checks then run at fast_interval. */
bool mp_health_changing(const struct mp_health *h);

/*
 * Delay until the next check: fast_interval while changing, else interval,
 * with random jitter of up to 10% either way so checks never fire in
 * lock-step. rnd(upper) returns a uniform value in [0, upper).
 */
typedef uint32_t (*mp_random_fn)(uint32_t upper);
uint64_t mp_health_next_delay(const struct mp_health *h,
			      const struct mp_check_cfg *ccfg,
			      mp_random_fn rnd);

#endif
