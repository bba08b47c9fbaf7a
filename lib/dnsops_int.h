/*
 * Internal to the DNS operations' state machine: dnsops.c (reads, retries,
 * what next, stop and reload) and dnsops_update.c (the UPDATE half).
 */
#ifndef MP_DNSOPS_INT_H
#define MP_DNSOPS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnsops.h"
#include "dnsops_views.h"

enum op { OP_IDLE = 0, OP_READ, OP_UPDATE, OP_VIEW_READ, OP_VIEW_PUBLISH };

struct mp_dnsops {
	struct mp_engine *e;
	mp_random_fn rnd;
	enum op op;
	size_t read_rrset;
	struct mp_plan plan; /* the UPDATE in flight */
	struct mp_dns_request req;
	uint64_t op_deadline; /* monotonic: a stop abandons the op then */
	bool *pending;	      /* per RRset: a read is due */
	size_t cap;	      /* room in pending */
	size_t n_rrsets;
	size_t n_pending;
	bool first_round_done; /* every RRset tried once */
	unsigned attempt;      /* failures in a row, for backoff */
	uint64_t retry_at;     /* monotonic: no operation before this */
	uint16_t next_id;
	bool dry_run;
	bool stopping, stopped;
	bool abandon; /* stop without waiting */
	bool reload_waiting;
	char why[1200]; /* text behind out->read_error / out->why */
	struct mp_dnsops_views views; /* vantage: views published and read */
	bool views_init;
};

const struct mp_config *mp_ops_cfg_of(const struct mp_dnsops *m);
/* Every RRset is to be read again. */
void mp_ops_read_all(struct mp_dnsops *m);
/* The operation in flight is over: its request is freed. */
void mp_ops_op_done(struct mp_dnsops *m);
/* The name of the pool of RRset rrset. */
const char *mp_ops_pool_name(struct mp_dnsops *m, size_t rrset);
/* How metrics count an operation with the primary that did not succeed
 * (mirrorpool_dns_errors_total{kind}). */
enum mp_dns_result mp_ops_result_of(const struct mp_dnsops_in *in);
/* Logs "WHAT: WHY; retrying in ..." and sets the backoff. pool and rcode
 * (may be NULL) become journal fields; kind is what metrics count
 * (MP_DNS_RESULT_N: nothing reached the primary, count nothing). */
void mp_ops_schedule_retry(struct mp_dnsops *m, const char *what,
			   const char *why, const char *pool, const char *rcode,
			   enum mp_dns_result kind, const struct mp_time *now);

/* One line per RRset of the plan, each with its POOL= (and RCODE=). */
void mp_ops_log_plan(struct mp_dnsops *m, int prio, const char *prefix,
		     const char *suffix, const char *rcode);
/* The pool of a plan that touches one pool only, else NULL. */
const char *mp_ops_plan_pool(struct mp_dnsops *m);
/* The UPDATE of m->plan into out (false: not built, a retry is set). */
bool mp_ops_start_update(struct mp_dnsops *m, const struct mp_time *now,
			 struct mp_dnsops_out *out);
/* The outcome of the UPDATE in flight. */
void mp_ops_update_done(struct mp_dnsops *m, const struct mp_dnsops_in *in,
			const struct mp_time *now, struct mp_dnsops_out *out);

#endif
