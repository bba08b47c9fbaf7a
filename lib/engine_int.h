/* Engine internals shared by engine.c, engine_status.c and engine_state.c. */
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

/* "-192.0.2.20 +192.0.2.30" (or "no change") into buf. */
void mp_eng_describe_sets(const struct mp_addr_set *add,
			  const struct mp_addr_set *del, char *buf, size_t len);

/* Lifts drain d of pool `pool`; the change bypasses the rate limit. */
void mp_eng_lift_drain(struct mp_engine *e, size_t pool, struct mp_drain *d);

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

#endif
