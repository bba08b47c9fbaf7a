/*
 * The engine's vantage points: the other nodes' views as the writer read
 * them, the vote on every address, and this node's own view. The vote
 * decides t->voted, which selection then takes as "up"; damping, the
 * floor, the freeze, drains and rate limits apply after it, unchanged.
 */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "strbuf.h"

/* The TSIG fudge (RFC 8945): how far the clocks of two nodes may differ
 * before their signed messages fail; a view from further in the future is
 * not believed. */
#define VIEW_SKEW_MS 300000ULL

bool mp_eng_up(const struct mp_engine *e, const struct mp_target *t)
{
	if (e->cfg->vantage.enabled && e->cfg->vantage.role == MP_ROLE_WRITER)
		return t->voted == MP_HEALTH_UP;
	return t->health.state == MP_HEALTH_UP;
}

void mp_eng_views_free(struct mp_engine *e)
{
	for (size_t i = 0; i < e->n_views; i++) {
		free(e->views[i].node);
		mp_view_clear(&e->views[i].view);
	}
	free(e->views);
	e->views = NULL;
	e->n_views = 0;
}

int mp_eng_views_build(struct mp_engine *e, const struct mp_engine *old)
{
	const struct mp_vantage_cfg *vc = &e->cfg->vantage;

	e->views = NULL;
	e->n_views = 0;
	if (!vc->enabled)
		return MP_OK;
	e->views = calloc(vc->n_nodes, sizeof(*e->views));
	if (!e->views)
		return MP_ENOMEM;
	for (size_t i = 0; i < vc->n_nodes; i++) {
		struct mp_node_view *nv = &e->views[i];
		mp_view_init(&nv->view);
		nv->node = strdup(vc->nodes[i]);
		if (!nv->node)
			return MP_ENOMEM;
		e->n_views++;
		for (size_t k = 0; old && k < old->n_views; k++) {
			const struct mp_node_view *ov = &old->views[k];
			if (strcmp(ov->node, nv->node) != 0 || !ov->has)
				continue;
			if (mp_view_copy(&nv->view, &ov->view) != MP_OK)
				return MP_ENOMEM;
			nv->has = true;
			nv->got_ms = ov->got_ms;
			nv->age_at_got = ov->age_at_got;
			nv->fresh_until = ov->fresh_until;
			memcpy(nv->error, ov->error, sizeof(nv->error));
		}
	}
	return MP_OK;
}

static struct mp_node_view *find_view(struct mp_engine *e, const char *node)
{
	for (size_t i = 0; i < e->n_views; i++)
		if (strcmp(e->views[i].node, node) == 0)
			return &e->views[i];
	return NULL;
}

bool mp_engine_node_view(struct mp_engine *e, const char *node,
			 const struct mp_view *v, const char *error,
			 struct mp_time now)
{
	const uint64_t now_ms = now.mono_ms;
	const uint64_t wall_ms = now.wall_ms;
	const struct mp_vantage_cfg *vc = &e->cfg->vantage;
	struct mp_node_view *nv = find_view(e, node);
	uint64_t age = 0;
	bool fresh;

	if (!nv || strcmp(node, e->cfg->node) == 0)
		return false;
	if (!v) {
		if (strcmp(nv->error, error ? error : "no view") != 0)
			mp_log(LOG_WARNING,
			       "vantage: view of %s unreadable: %s; %s", node,
			       error ? error : "no view",
			       nv->has ? "its last view goes stale by its own "
					 "time"
				       : "it has no vote");
		snprintf(nv->error, sizeof(nv->error), "%s",
			 error ? error : "no view");
		return false;
	}
	if (nv->error[0])
		mp_log(LOG_NOTICE, "vantage: view of %s readable again", node);
	nv->error[0] = '\0';
	fresh = mp_view_fresh(v->time_ms, wall_ms, vc->max_age_ms, VIEW_SKEW_MS,
			      &age);
	if (nv->has && nv->view.time_ms == v->time_ms)
		return false; /* the same view again */
	if (mp_view_copy(&nv->view, v) != MP_OK) {
		nv->has = false;
		return false;
	}
	nv->has = true;
	nv->got_ms = now_ms;
	nv->age_at_got = age;
	nv->fresh_until = fresh ? now_ms + (vc->max_age_ms - age) + 1 : 0;
	return true;
}

uint64_t mp_eng_view_age(const struct mp_engine *e, size_t i, uint64_t now_ms)
{
	const struct mp_node_view *nv = &e->views[i];

	return nv->age_at_got + (now_ms > nv->got_ms ? now_ms - nv->got_ms : 0);
}

/* This node's verdict: only what its own checks found counts, not a state
 * adopted from DNS at start-up. */
static enum mp_verdict own_verdict(const struct mp_target *t)
{
	if (!t->health.has_result)
		return MP_VERDICT_UNKNOWN;
	return t->health.state == MP_HEALTH_UP	   ? MP_VERDICT_UP
	       : t->health.state == MP_HEALTH_DOWN ? MP_VERDICT_DOWN
						   : MP_VERDICT_UNKNOWN;
}

void mp_eng_votes(struct mp_engine *e, const struct mp_target *t,
		  uint64_t now_ms, struct mp_vote_in *in)
{
	const char *pool = eng_pool(e, t->pool)->name;

	for (size_t i = 0; i < e->n_views; i++) {
		const struct mp_node_view *nv = &e->views[i];
		in[i].node = nv->node;
		if (i == e->cfg->vantage.self) {
			in[i].has_view = in[i].fresh = true;
			in[i].verdict = own_verdict(t);
			continue;
		}
		in[i].has_view = nv->has;
		in[i].fresh = nv->has && now_ms < nv->fresh_until;
		in[i].verdict = nv->has
				    ? mp_view_lookup(&nv->view, &t->addr, pool)
				    : MP_VERDICT_UNKNOWN;
	}
}

static unsigned count_fresh(struct mp_engine *e, uint64_t now_ms,
			    uint64_t *next_ms)
{
	unsigned n = 0;

	for (size_t i = 0; i < e->n_views; i++) {
		const struct mp_node_view *nv = &e->views[i];
		if (i == e->cfg->vantage.self) {
			n++;
		} else if (nv->has && now_ms < nv->fresh_until) {
			n++;
			if (nv->fresh_until < *next_ms)
				*next_ms = nv->fresh_until;
		}
	}
	return n;
}

static void log_quorum(struct mp_engine *e, unsigned fresh)
{
	const struct mp_vantage_cfg *vc = &e->cfg->vantage;
	bool lost = fresh < vc->quorum;

	if (lost && !e->quorum_lost)
		mp_log(LOG_WARNING,
		       "vantage: quorum lost: %u of %zu nodes have a fresh "
		       "view, quorum is %u; %s until enough views are fresh "
		       "again",
		       fresh, vc->n_nodes, vc->quorum,
		       vc->fallback == MP_FALLBACK_LOCAL
			   ? "deciding by the fresh votes alone (fallback "
			     "local)"
			   : "no address is removed (fallback freeze; "
			     "additions continue)");
	else if (!lost && e->quorum_lost)
		mp_log(LOG_NOTICE,
		       "vantage: quorum regained: %u of %zu nodes have a "
		       "fresh view (quorum %u)",
		       fresh, vc->n_nodes, vc->quorum);
	e->quorum_lost = lost;
}

/* The journal line of a decision, or of a vote that changed without one. */
static void log_vote(struct mp_engine *e, struct mp_target *t,
		     const struct mp_vote_in *in,
		     const struct mp_vote_result *before,
		     const struct mp_vote_result *r)
{
	struct mp_log_fields f;
	char votes[600];
	unsigned n = r->state == MP_HEALTH_UP ? r->n_up : r->n_down;

	mp_eng_fields(e, t, &f);
	f.state = mp_health_state_name(r->state);
	mp_vote_describe(in, e->n_views, votes, sizeof(votes));
	if (r->changed) {
		mp_logf(r->state == MP_HEALTH_DOWN ? LOG_WARNING : LOG_NOTICE,
			&f, "%s %s: %s by %s %u/%u (%s)", f.mirror,
			t->addr.text, f.state,
			r->quorum_lost ? "the fresh votes alone" : "quorum", n,
			r->n_nodes, votes);
		return;
	}
	if (r->held && !t->vote_logged_held)
		mp_logf(LOG_WARNING, &f,
			"%s %s: kept up: %u/%u down, but only %u of %u views "
			"fresh (fallback freeze) (%s)",
			f.mirror, t->addr.text, r->n_down, r->n_nodes,
			r->n_fresh, r->n_nodes, votes);
	else if (before->n_nodes && before->votes != r->votes)
		mp_logf(LOG_INFO, &f,
			"%s %s: stays %s: %u/%u %s, quorum %u (%s)", f.mirror,
			t->addr.text, mp_health_state_name(r->state),
			r->state == MP_HEALTH_UP ? r->n_down : r->n_up,
			r->n_nodes, r->state == MP_HEALTH_UP ? "down" : "up",
			e->cfg->vantage.quorum, votes);
	t->vote_logged_held = r->held;
}

void mp_eng_vote(struct mp_engine *e, uint64_t now_ms, uint64_t *next_ms)
{
	const struct mp_vantage_cfg *vc = &e->cfg->vantage;
	struct mp_vote_in in[MP_VANTAGE_MAX_NODES];
	unsigned fresh = count_fresh(e, now_ms, next_ms);

	log_quorum(e, fresh);
	for (size_t k = 0; k < e->n_targets; k++) {
		struct mp_target *t = &e->targets[k];
		const struct mp_rrset *r =
		    &e->rrsets[2 * t->pool +
			       (mp_addr_rrtype(&t->addr) == 1 ? 0 : 1)];
		struct mp_vote_result before = t->vote, res;

		if (!r->in_dns_known)
			continue;
		/* the start-up rule: what DNS holds is in force, so a
		 * (re)start changes nothing until the votes say so */
		if (t->voted == MP_HEALTH_UNKNOWN)
			t->voted = mp_addr_set_contains(&r->in_dns, &t->addr)
				       ? MP_HEALTH_UP
				       : MP_HEALTH_DOWN;
		mp_eng_votes(e, t, now_ms, in);
		mp_vote(in, e->n_views, vc->quorum, vc->fallback, t->voted,
			&res);
		t->vote = res;
		log_vote(e, t, in, &before, &res);
		t->voted = res.state;
	}
}

int mp_engine_own_view(struct mp_engine *e, uint64_t wall_ms,
		       struct mp_view *out)
{
	mp_view_clear(out);
	out->time_ms = wall_ms;
	for (size_t k = 0; k < e->n_targets; k++) {
		const struct mp_target *t = &e->targets[k];
		enum mp_verdict v = own_verdict(t);
		bool shared = false;
		int rc;

		if (v == MP_VERDICT_UNKNOWN)
			continue;
		/* an address in several pools is one item per pool */
		for (size_t j = 0; j < e->n_targets && !shared; j++)
			shared = j != k &&
				 mp_addr_equal(&e->targets[j].addr, &t->addr);
		rc = mp_view_add(out, &t->addr,
				 shared ? eng_pool(e, t->pool)->name : NULL, v);
		if (rc != MP_OK && rc != MP_EEXIST)
			return rc;
	}
	return MP_OK;
}

/* ---- status and metrics ------------------------------------------------ */

static json_t *age_json(const struct mp_engine *e, size_t i, uint64_t now_ms)
{
	if (i == e->cfg->vantage.self)
		return json_integer(0);
	if (!e->views[i].has)
		return json_null();
	return json_integer((json_int_t)(mp_eng_view_age(e, i, now_ms) / 1000));
}

json_t *mp_eng_votes_json(struct mp_engine *e, const struct mp_target *t,
			  uint64_t now_ms)
{
	struct mp_vote_in in[MP_VANTAGE_MAX_NODES];
	json_t *a = json_array();

	mp_eng_votes(e, t, now_ms, in);
	for (size_t i = 0; i < e->n_views; i++)
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:o, s:b}", "node", in[i].node,
				 "vote",
				 in[i].has_view ? mp_verdict_name(in[i].verdict)
						: "none",
				 "age_s", age_json(e, i, now_ms), "stale",
				 !in[i].fresh));
	return a;
}

json_t *mp_eng_vantage_json(struct mp_engine *e, uint64_t now_ms)
{
	const struct mp_vantage_cfg *vc = &e->cfg->vantage;
	json_t *nodes = json_array();
	uint64_t ignore = UINT64_MAX;
	unsigned fresh = count_fresh(e, now_ms, &ignore);

	for (size_t i = 0; i < e->n_views; i++) {
		const struct mp_node_view *nv = &e->views[i];
		bool self = i == vc->self;
		json_array_append_new(
		    nodes,
		    json_pack("{s:s, s:o, s:b, s:o}", "node", nv->node, "age_s",
			      age_json(e, i, now_ms), "stale",
			      !self && !(nv->has && now_ms < nv->fresh_until),
			      "error",
			      nv->error[0] ? json_string(nv->error)
					   : json_null()));
	}
	return json_pack(
	    "{s:s, s:s, s:s, s:i, s:I, s:s, s:i, s:b, s:o}", "node",
	    e->cfg->node, "role",
	    vc->role == MP_ROLE_WRITER ? "writer" : "observer", "views",
	    vc->views, "quorum", (int)vc->quorum, "max_age_s",
	    (json_int_t)(vc->max_age_ms / 1000), "fallback",
	    vc->fallback == MP_FALLBACK_LOCAL ? "local" : "freeze", "fresh",
	    (int)fresh, "quorum_lost",
	    vc->role == MP_ROLE_WRITER && fresh < vc->quorum, "nodes", nodes);
}

void mp_eng_vantage_metrics(struct mp_engine *e, struct mp_strbuf *b,
			    uint64_t now_ms)
{
	static const char *const verdicts[] = {"up", "down", "unknown",
					       "stale"};
	char ep[300], em[300];

	if (!e->cfg->vantage.enabled)
		return;
	mp_strbuf_printf(b, "# HELP mirrorpool_view_age_seconds age of the "
			    "latest view read from each node\n"
			    "# TYPE mirrorpool_view_age_seconds gauge\n");
	for (size_t i = 0; i < e->n_views; i++)
		if (i != e->cfg->vantage.self && e->views[i].has)
			mp_strbuf_printf(
			    b,
			    "mirrorpool_view_age_seconds{node=\"%s\"} %.3f\n",
			    e->views[i].node,
			    mp_eng_view_age(e, i, now_ms) / 1000.0);
	if (e->cfg->vantage.role != MP_ROLE_WRITER)
		return;
	mp_strbuf_printf(b, "# HELP mirrorpool_address_votes votes on each "
			    "address by verdict (stale views apart)\n"
			    "# TYPE mirrorpool_address_votes gauge\n");
	for (size_t k = 0; k < e->n_targets; k++) {
		struct mp_target *t = &e->targets[k];
		struct mp_vote_in in[MP_VANTAGE_MAX_NODES];
		unsigned n[4] = {0, 0, 0, 0};

		mp_eng_votes(e, t, now_ms, in);
		for (size_t i = 0; i < e->n_views; i++)
			n[!in[i].fresh			     ? 3
			  : in[i].verdict == MP_VERDICT_UP   ? 0
			  : in[i].verdict == MP_VERDICT_DOWN ? 1
							     : 2]++;
		for (size_t v = 0; v < 4; v++)
			mp_strbuf_printf(
			    b,
			    "mirrorpool_address_votes{pool=\"%s\",mirror=\"%"
			    "s\","
			    "address=\"%s\",verdict=\"%s\"} %u\n",
			    mp_eng_label_esc(eng_pool(e, t->pool)->name, ep,
					     sizeof(ep)),
			    mp_eng_label_esc(eng_mirror(e, t)->name, em,
					     sizeof(em)),
			    t->addr.text, verdicts[v], n[v]);
	}
}
