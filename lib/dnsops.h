/*
 * DNS operations as a state machine without I/O: the reads of the managed
 * RRsets, the UPDATEs the engine plans, the verification re-reads after an
 * UPDATE, retries with backoff (lib/backoff.h), and an orderly stop. One
 * operation is in flight at a time, so at most one UPDATE per zone.
 *
 * The caller feeds in what happened (mp_dnsops_input: an operation's
 * outcome, a timer, stop, reload, sync) together with the current time, and
 * carries out what comes back in struct mp_dnsops_out: send this request,
 * cancel the one in flight, wake me at T, the reload may be applied now,
 * the stop may complete. Messages are built and signed here (lib/dnsmsg.h);
 * the caller only moves bytes. Log lines are written through lib/log.h.
 */
#ifndef MP_DNSOPS_H
#define MP_DNSOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnsmsg.h"
#include "engine.h"
#include "random.h"
#include "timebase.h"

struct mp_dnsops;

enum mp_dnsops_in_kind {
	MP_DNSOPS_WAKE = 0, /* a timer fired, or the engine's state changed */
	MP_DNSOPS_DONE,	    /* the request in flight ended: see outcome */
	MP_DNSOPS_SEND_FAILED, /* the request could not be sent: see err */
	MP_DNSOPS_STOP,	       /* finish or abandon, then stop */
	MP_DNSOPS_ABANDON,     /* stop at once, abandoning what is in flight */
	MP_DNSOPS_RELOAD,      /* a new configuration waits to be applied */
	MP_DNSOPS_RELOADED,    /* the engine now runs it (or kept the old) */
	MP_DNSOPS_SYNC,	       /* an operator asked: re-read now, no backoff */
	MP_DNSOPS_REREAD,      /* periodic reconcile: re-read every RRset */
};

/* How a request ended (the transport's view). */
enum mp_dnsops_outcome {
	MP_DNSOPS_ANSWER = 0, /* a verified answer; rcode may be an error */
	MP_DNSOPS_TIMEOUT,    /* nothing usable before the timeout */
	MP_DNSOPS_NETERR,     /* a socket error; detail says which */
	MP_DNSOPS_UNSIGNED,   /* only unsigned or unverifiable answers */
};

struct mp_dnsops_in {
	enum mp_dnsops_in_kind kind;
	/* MP_DNSOPS_DONE */
	enum mp_dnsops_outcome outcome;
	const struct mp_dns_response *resp; /* ANSWER, UNSIGNED (may be NULL) */
	const char *detail;		    /* the transport's text, or NULL */
	uint64_t rtt_ms;
	/* MP_DNSOPS_SEND_FAILED */
	int err;
};

enum mp_dnsops_act {
	MP_DNSOPS_NONE = 0,	  /* nothing to send now */
	MP_DNSOPS_SEND_READ,	  /* send req (a query of RRset rrset) */
	MP_DNSOPS_SEND_UPDATE,	  /* send req (the UPDATE of plan) */
	MP_DNSOPS_SEND_VIEW_READ, /* send req: a query of another node's view */
	MP_DNSOPS_SEND_VIEW_UPDATE /* send req: this node's view, published */
};

struct mp_dnsops_out {
	enum mp_dnsops_act act;
	const struct mp_dns_request *req; /* SEND_*: owned by the machine,
					     unchanged until its outcome */
	size_t rrset;			  /* SEND_READ */
	const struct mp_plan *plan;	  /* SEND_UPDATE */
	bool cancel;	     /* drop the request in flight; its outcome, if it
				still arrives, must not be fed in */
	uint64_t wake_at_ms; /* monotonic; UINT64_MAX: no timer needed */
	bool changed;	     /* engine state changed: persist, notify */
	bool first_round;    /* every RRset was tried once (ready) */
	bool reads_done;     /* no read is pending any more (sync succeeds) */
	const char *read_error; /* a read failed (sync fails with this);
				   valid until the next input */
	bool refused;		/* the input was refused; why says why */
	const char *why;
	bool reload_ready; /* RELOAD: apply the configuration now, then feed
			      MP_DNSOPS_RELOADED */
	bool stopped;	   /* STOP: nothing is in flight; the stop may
			      complete */
};

/* engine (borrowed; must outlive the machine); rnd for backoff jitter and
 * message IDs. Returns MP_OK or MP_ENOMEM. */
int mp_dnsops_new(struct mp_engine *engine, mp_random_fn rnd,
		  struct mp_dnsops **out);
void mp_dnsops_free(struct mp_dnsops *m);

/* Feeds one input at now; out is overwritten with what to do. */
void mp_dnsops_input(struct mp_dnsops *m, const struct mp_dnsops_in *in,
		     const struct mp_time *now, struct mp_dnsops_out *out);

/* Before a reload: makes room for n RRsets, so that applying the new
 * configuration cannot fail half-way. MP_OK or MP_ENOMEM (nothing changed). */
int mp_dnsops_reserve(struct mp_dnsops *m, size_t n);

/* Dry run: plans are logged, never sent. */
void mp_dnsops_set_dry_run(struct mp_dnsops *m, bool dry_run);

/* Tests and status: the state of the machine. */
bool mp_dnsops_busy(const struct mp_dnsops *m);	    /* a request in flight */
bool mp_dnsops_updating(const struct mp_dnsops *m); /* an UPDATE in flight */
size_t mp_dnsops_reads_pending(const struct mp_dnsops *m);
unsigned mp_dnsops_attempt(const struct mp_dnsops *m); /* failures in a row */

/*
 * Explanations in operator terms (the key, the zone, what to check), for a
 * verified answer with an error rcode or TSIG error (now_s: our wall clock,
 * for BADTIME's skew), an unsigned or unverifiable one, and a request that
 * got no answer at all.
 */
void mp_dnsops_explain_rejection(const struct mp_config *cfg,
				 const struct mp_dns_response *resp,
				 uint64_t now_s, char *buf, size_t len);
void mp_dnsops_explain_unsigned(const struct mp_config *cfg,
				const struct mp_dns_response *resp,
				const char *detail, char *buf, size_t len);
void mp_dnsops_explain_outcome(enum mp_dnsops_outcome o,
			       const struct mp_dns_response *resp,
			       const char *detail, const struct mp_config *cfg,
			       uint64_t now_s, char *buf, size_t len);

/* What RCODE= says in the journal: the rcode's name when an answer came,
 * else TIMEOUT or NETERR. */
const char *mp_dnsops_outcome_rcode(enum mp_dnsops_outcome o,
				    const struct mp_dns_response *resp,
				    char *buf, size_t len);

#endif
