/*
 * The engine: mirrorpool's decisions, without I/O. It holds the runtime state
 * of every address (health, damping, drains), of every managed RRset (what
 * DNS holds, what should be published, rate limit, last UPDATE) and of the
 * guard (freeze), and turns events into the next UPDATE to send.
 *
 * Data flows one way: check result -> health -> selection -> diff ->
 * UPDATE plan -> result -> DNS view. The agent feeds events in and carries
 * out the plans. Every call takes both clocks (lib/timebase.h): durations
 * (rate limits, damping, rise/fall, drain countdowns, view ages) run on the
 * monotonic one, which the engine stores; the wall clock only stamps what
 * people read and what the state file keeps.
 */
#ifndef MP_ENGINE_H
#define MP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "health.h"
#include "ratelimit.h"
#include "rrset.h"
#include "timebase.h"
#include "view.h"
#include "vote.h"

#define MP_DRAIN_REASON_MAX 200

struct mp_drain {
	bool active;
	char reason[MP_DRAIN_REASON_MAX + 1];
	char by[64]; /* user name of the caller */
	long uid;
	uint64_t since_s;  /* wall clock, for people and the state file */
	uint64_t until_s;  /* wall clock; 0: until undrained */
	uint64_t until_ms; /* monotonic: when it ends; 0: until undrained */
	bool force;
};

/* One checked address of one mirror of one pool. */
struct mp_target {
	size_t pool;   /* index into cfg->pools */
	size_t mirror; /* index into the pool's mirrors */
	struct mp_addr addr;
	struct mp_health health;
	struct mp_drain drain; /* drain of this address alone */
	bool published;	       /* in the desired set */
	uint64_t checks_ok, checks_fail;
	/* with a vantage group: the state in force by the vote (health.state
	 * is this node's own), and the last vote */
	enum mp_health_state voted;
	struct mp_vote_result vote;
	bool vote_logged_held;
	/* https: subject and issuer of the certificate seen at the last full
	 * handshake (owned; NULL: none yet) */
	char *cert_subject;
	char *cert_issuer;
};

/* One managed RRset: a pool's A or AAAA. */
struct mp_rrset {
	size_t pool;
	int rrtype;		    /* 1 A, 28 AAAA */
	bool has_members;	    /* the pool has addresses of this type */
	bool in_dns_known;	    /* read at least once */
	struct mp_addr_set in_dns;  /* what the primary holds */
	struct mp_addr_set desired; /* what should be published */
	struct mp_ratelimit rl;
	bool operator_pending; /* an operator action bypasses limits */
	/* last UPDATE that touched this RRset */
	bool has_last;
	uint64_t last_at_s;
	char last_rcode[16];
	struct mp_addr_set last_added, last_removed;
	bool servfail_pending; /* it got SERVFAIL: explain at the next read */
	/* counters for metrics */
	uint64_t updates_ok, updates_failed;
	/* once-only log flags */
	bool floor_logged, freeze_logged, ratelimit_logged, empty_logged;
	struct mp_addr_set dry_logged; /* dry-run: desired set last logged */
	bool dry_has_logged;
	/* rotation (pool.rotate): the addresses of the current draw */
	bool has_draw;
	uint64_t drawn_at_ms;
	struct mp_addr_set drawn;
	uint64_t draws; /* re-draws made, for metrics and tests */
};

/* Per-pool mirror drains (whole mirror). */
struct mp_mirror_rt {
	struct mp_drain drain;
};

struct mp_sentinel {
	bool has_result;
	bool ok;
	char detail[MP_CHECK_DETAIL_LEN];
};

/* An UPDATE the agent should send now. */
struct mp_plan_item {
	size_t rrset; /* index into mp_engine_rrset() */
	struct mp_addr_set add, del;
};
struct mp_plan {
	struct mp_plan_item *items;
	size_t n;
	bool operator; /* carries an operator action */
};
void mp_plan_clear(struct mp_plan *p);

enum mp_update_status {
	MP_UPDATE_DONE = 0, /* signed, verified NOERROR */
	MP_UPDATE_REJECTED, /* the server said no (rcode in rcode) */
	MP_UPDATE_FAILED,   /* timeout, network, unsigned/bad reply */
};

struct mp_engine;

/*
 * New engine for cfg (not owned; must outlive the engine or be replaced by
 * mp_engine_reconfigure). rnd gives jitter/backoff randomness.
 */
int mp_engine_new(const struct mp_config *cfg, mp_random_fn rnd,
		  struct mp_time now, struct mp_engine **out);
void mp_engine_free(struct mp_engine *e);

/*
 * Swaps in a new config built beside the old one. Addresses present in both
 * (same pool name, mirror name, address) keep health, damping and drains;
 * RRsets of pools present in both keep what DNS holds and their rate limit.
 * Mirror drains carry over by mirror name. After the call target indexes
 * change: the agent must rebuild its per-target schedule.
 */
int mp_engine_reconfigure(struct mp_engine *e, const struct mp_config *cfg,
			  struct mp_time now);

const struct mp_config *mp_engine_config(const struct mp_engine *e);

size_t mp_engine_n_targets(const struct mp_engine *e);
struct mp_target *mp_engine_target(struct mp_engine *e, size_t i);
const struct mp_check_cfg *mp_engine_target_check(const struct mp_engine *e,
						  size_t i);
const struct mp_mirror_cfg *mp_engine_target_mirror(const struct mp_engine *e,
						    size_t i);
const struct mp_pool_cfg *mp_engine_target_pool(const struct mp_engine *e,
						size_t i);
size_t mp_engine_n_rrsets(const struct mp_engine *e);
struct mp_rrset *mp_engine_rrset(struct mp_engine *e, size_t i);

/* A finished health check of target i. Logs state changes. Returns true when
 * it may change what is published (a state, damping or freeze change). */
bool mp_engine_check_result(struct mp_engine *e, size_t i,
			    const struct mp_check_result *r,
			    struct mp_time now);

/* A finished sentinel check (index into cfg->guard.sentinels). Returns true
 * when the freeze changed. */
bool mp_engine_sentinel_result(struct mp_engine *e, size_t i, bool ok,
			       const char *detail, struct mp_time now);

/*
 * What the primary holds for RRset i (a verified read). The first read adopts
 * the start-up health rule for its addresses; later reads that differ from
 * what the engine expected are drift and are logged.
 */
void mp_engine_dns_view(struct mp_engine *e, size_t i,
			const struct mp_addr_set *in_dns, struct mp_time now);

/* Records the primary's state for status (NULL clears the error). */
void mp_engine_dns_error(struct mp_engine *e, const char *error);

/*
 * Time-driven work: drain expiry, damping reuse, freeze evaluation. Call
 * when the deadline mp_engine_next_deadline gave has come, before planning.
 */
void mp_engine_tick(struct mp_engine *e, struct mp_time now);

/*
 * The monotonic time (ms) of the next time-driven change: the end of a
 * drain's `for`, the reuse of a damped address; UINT64_MAX when nothing is
 * due. It only moves when the engine's state changes (a check result, a
 * drain, a reload, mp_engine_tick), so it is asked again after each.
 */
uint64_t mp_engine_next_deadline(struct mp_engine *e);

/*
 * Computes the desired sets and, if some RRset differs from DNS and may be
 * updated now, fills plan with every such RRset and returns 1. Returns 0 when
 * nothing is due; *next_ms then says when to ask again (UINT64_MAX: only on a
 * new event). Dry-run is the caller's business (see mp_engine_dry_run_note).
 */
int mp_engine_plan(struct mp_engine *e, struct mp_time now,
		   struct mp_plan *plan, uint64_t *next_ms);

/*
 * The result of sending plan. DONE applies it to what DNS holds (the agent
 * then re-reads to verify); REJECTED/FAILED keep the desired state so the
 * next plan retries; the caller handles backoff.
 */
void mp_engine_update_result(struct mp_engine *e, const struct mp_plan *plan,
			     enum mp_update_status st, const char *rcode,
			     struct mp_time now);

/* Dry-run: plans are still made, but each distinct desired set is planned
 * once (the agent logs it and calls mp_engine_dry_run_note) instead of being
 * retried. */
void mp_engine_set_dry_run(struct mp_engine *e, bool dry_run);

/*
 * Dry-run: records that plan would have been sent so the same change is not
 * planned again until the desired set changes. Returns true when this plan
 * differs from the last one noted (log it), false when it is a repeat.
 */
bool mp_engine_dry_run_note(struct mp_engine *e, const struct mp_plan *plan,
			    struct mp_time now);

/* Human-readable one-line description of a plan item: "dl.example.org. A
 * -192.0.2.20 +192.0.2.30". */
void mp_plan_item_describe(struct mp_engine *e, const struct mp_plan_item *it,
			   char *buf, size_t len);

/* Operator actions. err receives the reason on refusal. A drain of what is
 * already drained (the mirror, or the address on its own) is refused with
 * MP_EEXIST unless update or force is set; update of what is not drained is
 * refused with MP_ENOENT. */
struct mp_drain_request {
	const char *mirror;
	const struct mp_addr *address; /* NULL: the whole mirror */
	const char *reason;
	const char *by;
	long uid;
	uint64_t for_ms; /* 0: until undrained */
	bool force;	 /* may go below min_healthy, or empty an RRset;
			    replaces an existing drain */
	bool update;	 /* changes an existing drain: what is not given
			    again (reason, for_ms) is kept */
	/* Out: set to the RRsets a forced drain leaves empty ("" when
	 * none), e.g. "dl.example.org. A, dl.example.org. AAAA". */
	char *emptied;
	size_t emptied_len;
};
int mp_engine_drain(struct mp_engine *e, const struct mp_drain_request *rq,
		    struct mp_time now, char *err, size_t errlen);
int mp_engine_undrain(struct mp_engine *e, const char *mirror,
		      const struct mp_addr *address, const char *by, long uid,
		      struct mp_time now, char *err, size_t errlen);

/*
 * Vantage points (a writer with a vantage group). A view read from node's
 * name: v is the decoded view, or NULL when there is none to be had, with
 * error saying why ("NXDOMAIN", "record 1: not a mirrorpool view ...").
 * A failed read keeps the last view, which goes stale by its own time.
 * now_ms is the engine's clock, wall_ms the wall clock (Unix ms) that view
 * times are compared with. Returns true when the vote may change.
 */
bool mp_engine_node_view(struct mp_engine *e, const char *node,
			 const struct mp_view *v, const char *error,
			 struct mp_time now);

/* This node's own view at wall_ms: every address it has decided (out is
 * cleared first). Returns 0 or MP_ENOMEM. */
int mp_engine_own_view(struct mp_engine *e, uint64_t wall_ms,
		       struct mp_view *out);

/* Guard state. */
bool mp_engine_frozen(const struct mp_engine *e, const char **reason);

/* status --json (SPEC §6); pool NULL for all. New reference. */
json_t *mp_engine_status(struct mp_engine *e, const char *pool,
			 const char *version, bool dry_run, struct mp_time now);

/* One-line summary for systemd STATUS=. */
void mp_engine_summary(struct mp_engine *e, struct mp_time now, char *buf,
		       size_t len);

/* Prometheus text (SPEC §7); caller frees. */
char *mp_engine_metrics(struct mp_engine *e, struct mp_time now);

/* What became of one DNS operation with the primary (a read or an UPDATE),
 * as metrics count it: mirrorpool_dns_up, the last success, and
 * mirrorpool_dns_errors_total{kind}. */
enum mp_dns_result {
	MP_DNS_RESULT_OK = 0,  /* a verified answer with a good rcode */
	MP_DNS_RESULT_TIMEOUT, /* no answer before the timeout */
	MP_DNS_RESULT_NETWORK, /* a socket error: refused, unreachable */
	MP_DNS_RESULT_TSIG,    /* only unsigned or unverifiable answers */
	MP_DNS_RESULT_RCODE,   /* a verified answer with an error rcode */
	MP_DNS_RESULT_N
};
/* The kind label: "ok", "timeout", "network", "tsig", "rcode". */
const char *mp_dns_result_name(enum mp_dns_result r);
/* wall_ms: the wall clock (Unix ms) when the operation ended. */
void mp_engine_dns_result(struct mp_engine *e, enum mp_dns_result r,
			  uint64_t wall_ms);

/* The version and the wall-clock start time (Unix ms) for build_info and
 * start_time_seconds; the configuration loaded at start counts as the first
 * accepted load. Call once after mp_engine_new. */
void mp_engine_set_build(struct mp_engine *e, const char *version,
			 uint64_t start_wall_ms);
/* A reload of the configuration was accepted (ok) or rejected, at wall_ms. */
void mp_engine_reload_result(struct mp_engine *e, bool ok, uint64_t wall_ms);

/* Persistent state (drains, damping): encode for the state file, and apply
 * a decoded one at start (unknown mirrors/addresses are skipped with a
 * notice). */
json_t *mp_engine_state_save(struct mp_engine *e, struct mp_time now);
int mp_engine_state_load(struct mp_engine *e, const json_t *state,
			 struct mp_time now, char *err, size_t errlen);

/* True when state worth persisting changed since the last call. */
bool mp_engine_state_dirty(struct mp_engine *e, bool clear);

/*
 * JSON pools (cfg->json_pools, in order): each one's runtime (jsonstate.h:
 * its list, entries and their checks), a finished check of entry k of pool
 * j (the guard's freeze applies; true when the output may change), and the
 * output due now (1 with *text to write, then mp_jstate_written; 0 when
 * nothing changed). mirrorpoolctl drain/undrain/status reach JSON-pool
 * entries by name through mp_engine_drain/undrain/status.
 */
struct mp_jstate;
size_t mp_engine_n_json_pools(const struct mp_engine *e);
struct mp_jstate *mp_engine_json_pool(struct mp_engine *e, size_t j);
bool mp_engine_json_result(struct mp_engine *e, size_t j, size_t k,
			   const struct mp_check_result *r, struct mp_time now);
int mp_engine_json_output(struct mp_engine *e, size_t j, struct mp_time now,
			  char **text, size_t *len);

#endif
