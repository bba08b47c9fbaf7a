/* Engine internals shared by the engine's files (lib/engine*.c). */
#ifndef MP_ENGINE_INT_H
#define MP_ENGINE_INT_H

#include "engine.h"
#include "log.h"

struct mp_engine {
	const struct mp_config *cfg;
	mp_random_fn rnd;
	bool dry_run;

	struct mp_target *targets;
	size_t n_targets;
	struct mp_rrset *rrsets; /* 2 per pool: [2p] A, [2p+1] AAAA */
	size_t n_rrsets;
	struct mp_mirror_rt *mirrors; /* flattened; pool p starts at
					 mirror_base[p] */
	size_t *mirror_base;
	size_t n_mirrors;
	struct mp_sentinel *sentinels;

	bool frozen;
	bool guard_known; /* frozen has been evaluated at least once */
	char freeze_reason[160];
	char *dns_error;
	bool dirty; /* persisted state changed */
	struct {    /* for metrics only (engine_metrics.c) */
		char version[64];
		uint64_t start_s;
		bool reload_ok;
		uint64_t reload_s;
		bool dns_known, dns_up;
		uint64_t dns_last_ok_ms;
		uint64_t dns_errors[MP_DNS_RESULT_N];
	} m;

	/* vantage: the views of cfg->vantage.nodes (NULL without a group) */
	struct mp_node_view *views;
	size_t n_views;
	/* JSON pools: one runtime per cfg->json_pools entry */
	struct mp_jstate **jpools;
	size_t n_jpools;
	bool quorum_lost; /* logged once per loss */
};

/* What the writer knows of one node's view. */
struct mp_node_view {
	char *node;
	bool has; /* a view was read */
	struct mp_view view;
	uint64_t got_ms;      /* engine clock when it was read */
	uint64_t age_at_got;  /* its age then (0 when from the future) */
	uint64_t fresh_until; /* engine clock; 0: stale from the start */
	char error[200];      /* the last read's problem; "" when none */
};

static inline const struct mp_pool_cfg *eng_pool(const struct mp_engine *e,
						 size_t p)
{
	return &e->cfg->pools[p];
}

static inline const struct mp_mirror_cfg *eng_mirror(const struct mp_engine *e,
						     const struct mp_target *t)
{
	return &e->cfg->pools[t->pool].mirrors[t->mirror];
}

static inline struct mp_mirror_rt *eng_mirror_rt(struct mp_engine *e,
						 size_t pool, size_t mirror)
{
	return &e->mirrors[e->mirror_base[pool] + mirror];
}

static inline const char *rrtype_name(int t)
{
	return t == 1 ? "A" : "AAAA";
}

/* Fills log fields for a target. */
void mp_eng_fields(struct mp_engine *e, const struct mp_target *t,
		   struct mp_log_fields *f);

/* Is target t drained (on its own or with its mirror)? */
bool mp_eng_drained(struct mp_engine *e, const struct mp_target *t);

/* Does target t belong to RRset r (its pool and address family)? */
bool mp_eng_target_in_rrset(const struct mp_engine *e,
			    const struct mp_target *t,
			    const struct mp_rrset *r);

/* Is a the address of a target of RRset r (a configured mirror's)? */
bool mp_eng_addr_is_member(const struct mp_engine *e, const struct mp_rrset *r,
			   const struct mp_addr *a);

/* "-192.0.2.20 +192.0.2.30" (or "no change") into buf. */
void mp_eng_describe_sets(const struct mp_addr_set *add,
			  const struct mp_addr_set *del, char *buf, size_t len);

/* After a reload, for the RRsets whose content is known: new mirrors start
 * as DNS has them, addresses of removed ones are reported as foreign.
 * engine_dnsview.c */
void mp_eng_view_after_reload(struct mp_engine *e, uint64_t now_ms);

/* Notes the rcode of the last UPDATE of r; after a SERVFAIL, the next
 * read of r explains its likely cause (mp_eng_servfail_explain, before
 * in_dns is replaced). engine_servfail.c */
void mp_eng_servfail_noted(struct mp_rrset *r, const char *rcode);
void mp_eng_servfail_explain(struct mp_engine *e, struct mp_rrset *r,
			     const struct mp_addr_set *in_dns);

/* Lifts drain d of pool `pool`; the change bypasses the rate limit. */
void mp_eng_lift_drain(struct mp_engine *e, size_t pool, struct mp_drain *d);
/* Evaluates the guards (sentinels, all-down freeze); true when one
 * changed. */
bool mp_eng_guard_evaluate(struct mp_engine *e);

/*
 * The desired set of RRset r into out. extra_drain / extra_mirror (may be
 * NULL) are treated as drained too, to simulate a drain. *n_up_selected
 * (may be NULL) counts selected addresses that are healthy candidates.
 */
struct mp_select_result;
int mp_eng_compute_desired(struct mp_engine *e, struct mp_rrset *r,
			   const struct mp_target *extra_drain,
			   const struct mp_mirror_cfg *extra_mirror,
			   struct mp_addr_set *out,
			   struct mp_select_result *res, size_t *n_up_selected);

/* The selection's view of target t in RRset r. */
struct mp_select_item;
void mp_eng_select_item(struct mp_engine *e, const struct mp_target *t,
			const struct mp_rrset *r, struct mp_select_item *it);

/*
 * Rotation (pool.rotate with max_published): keeps r->drawn, the addresses
 * the selection ranks first. A re-draw every rotate; between re-draws only
 * places of addresses that stopped being candidates are filled again. Lowers
 * *next_ms to the time of the next re-draw.
 */
int mp_eng_rotate(struct mp_engine *e, struct mp_rrset *r, uint64_t now_ms,
		  uint64_t *next_ms);

/* Is t up for publication: its own health, or with a vantage group the
 * state the vote put in force? */
bool mp_eng_up(const struct mp_engine *e, const struct mp_target *t);

/* Vantage (engine_vantage.c): set up and carry over the views for cfg;
 * free them. */
int mp_eng_views_build(struct mp_engine *e, const struct mp_engine *old);
void mp_eng_views_free(struct mp_engine *e);

/* Runs the vote on every address whose RRset has been read, logging the
 * decisions; *next_ms is lowered to when a fresh view goes stale. */
void mp_eng_vote(struct mp_engine *e, uint64_t now_ms, uint64_t *next_ms);

/* Every node's vote on t now (in: n_views entries). */
void mp_eng_votes(struct mp_engine *e, const struct mp_target *t,
		  uint64_t now_ms, struct mp_vote_in *in);

/* Status and metrics of the vantage group (engine_vantage.c). */
struct mp_strbuf;
json_t *mp_eng_vantage_json(struct mp_engine *e, uint64_t now_ms);
json_t *mp_eng_votes_json(struct mp_engine *e, const struct mp_target *t,
			  uint64_t now_ms);
void mp_eng_vantage_metrics(struct mp_engine *e, struct mp_strbuf *b,
			    uint64_t now_ms);

/* A Prometheus label value escaped into buf. Returns buf. */
const char *mp_eng_label_esc(const char *s, char *buf, size_t len);

/* Age of node i's view at now_ms (engine clock). */
uint64_t mp_eng_view_age(const struct mp_engine *e, size_t i, uint64_t now_ms);

/* JSON pools (engine_json.c): build the runtimes of e->cfg, taking over
 * those of old (may be NULL) with the same name; free them; drains by entry
 * name (MP_ENOENT when no JSON pool has it); status. */
int mp_eng_json_build(struct mp_engine *e, struct mp_engine *old);
void mp_eng_json_free(struct mp_engine *e);
int mp_eng_json_drain(struct mp_engine *e, const struct mp_drain_request *rq,
		      struct mp_time now, char *err, size_t errlen);
int mp_eng_json_undrain(struct mp_engine *e, const char *name, const char *by,
			char *err, size_t errlen);
json_t *mp_eng_json_status(struct mp_engine *e, uint64_t now_ms);
struct mp_strbuf;
void mp_eng_json_metrics(struct mp_engine *e, struct mp_strbuf *b);
/* JSON-pool drains in the state file: { pool: [ drains ] } (new
 * reference); loading skips what it cannot use, with a notice. */
json_t *mp_eng_json_drains_save(struct mp_engine *e);
void mp_eng_json_drains_load(struct mp_engine *e, const json_t *saved);
/* The JSON pools' flap-damping figures in the state file: { pool: [ {
 * mirror, figure, at_ms, suppressed, suppressed_since_ms } ] }. */
json_t *mp_eng_json_damping_save(struct mp_engine *e,
				 const struct mp_time *now);
void mp_eng_json_damping_load(struct mp_engine *e, const json_t *saved,
			      const struct mp_time *now);

#endif
