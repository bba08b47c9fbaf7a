/* The runtime of one JSON pool: entries' health and drains across source
 * edits, and the output when it changes (what the state file keeps is in
 * jsonstate_saved.c). */
#include "jsonstate.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "damping_state.h"
#include "error.h"
#include "jsonstate_int.h"
#include "log.h"

int mp_jstate_new(const struct mp_json_pool_cfg *jp,
		  const struct mp_damping_cfg *damping, struct mp_jstate **out)
{
	struct mp_jstate *s = calloc(1, sizeof(*s));

	if (!s)
		return MP_ENOMEM;
	s->cfg = jp;
	s->damping = damping;
	*out = s;
	return MP_OK;
}

static void entries_free(struct mp_jentry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].url);
	free(v);
}

void mp_jstate_free(struct mp_jstate *s)
{
	if (!s)
		return;
	entries_free(s->entries, s->n);
	free(s->last_result_ms);
	free(s->pending);
	mp_jp_list_free(s->list);
	free(s->source_error);
	for (size_t i = 0; i < s->n_restored; i++)
		free((char *)s->restored[i].name);
	free(s->restored);
	free(s);
}

/* The entry's check: the pool's, aimed at url_prefix + path. */
static int entry_check(const struct mp_json_pool_cfg *jp,
		       const struct mp_jp_mirror *m, struct mp_jentry *e)
{
	const char *why;

	free(e->url);
	e->url = mp_json_pool_check_url(jp, m->url_prefix);
	if (!e->url)
		return MP_ENOMEM;
	e->check = jp->check; /* expect_body, ca_file: borrowed */
	e->check.type = MP_CHECK_HTTP;
	e->check.url = e->url;
	e->check.host = e->host;
	if (mp_config_url_parse(e->url, &e->check.https, e->host,
				sizeof(e->host), &e->check.port, &why) != MP_OK)
		return MP_EINVAL; /* url_prefix was validated */
	e->checked = m->weight > 0 || jp->check_disabled;
	return MP_OK;
}

int mp_jstate_reconfigure(struct mp_jstate *s,
			  const struct mp_json_pool_cfg *jp,
			  const struct mp_damping_cfg *damping)
{
	s->cfg = jp;
	s->damping = damping;
	for (size_t i = 0; i < s->n; i++) {
		int rc = entry_check(jp, &s->list->mirrors[i], &s->entries[i]);
		if (rc != MP_OK)
			return rc;
	}
	return MP_OK;
}

static void jfields(const struct mp_jstate *s, const struct mp_jentry *e,
		    struct mp_log_fields *f)
{
	struct mp_log_fields init = MP_LOG_FIELDS_INIT;

	*f = init;
	f->pool = s->cfg->name;
	f->mirror = e ? e->name : NULL;
	f->state = e ? mp_health_state_name(e->health.state) : NULL;
}

static unsigned served_weight(const struct mp_jp_list *served,
			      const struct mp_jp_mirror *m)
{
	size_t k;

	if (!served)
		return m->weight;
	k = mp_jp_find(served, m->name);
	return k < served->n ? served->mirrors[k].weight : 0;
}

int mp_jstate_set_list(struct mp_jstate *s, struct mp_jp_list *list,
		       const struct mp_jp_list *served, uint64_t now_ms)
{
	struct mp_jentry *nv = calloc(list->n + 1, sizeof(*nv));
	uint64_t *nlast = calloc(list->n + 1, sizeof(*nlast));
	unsigned *npend = calloc(list->n + 1, sizeof(*npend));
	bool first = s->list == NULL;
	struct mp_log_fields f;
	int rc = MP_OK;

	if (!nv || !nlast || !npend) {
		rc = MP_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct mp_jp_mirror *m = &list->mirrors[i];
		size_t k = s->n;
		struct mp_jentry *e = &nv[i];

		for (size_t j = 0; j < s->n; j++)
			if (strcmp(s->entries[j].name, m->name) == 0)
				k = j;
		if (k < s->n) {
			*e = s->entries[k];
			e->url = NULL; /* rebuilt below; the old one is freed
					  with the old entries */
			nlast[i] = s->last_result_ms[k];
		} else {
			unsigned w0 = first ? served_weight(served, m) : 0;
			mp_health_init(&e->health);
			mp_health_adopt(&e->health, w0 > 0, now_ms);
			e->weight = w0;
			nlast[i] = now_ms;
		}
		for (size_t r = 0; r < s->n_restored && k == s->n; r++) {
			if (strcmp(s->restored[r].name, m->name) != 0)
				continue;
			/* a figure applies once: the entry carries it on */
			if (mp_damping_worth_saving(
				&s->restored[r].health.damping))
				e->health.damping =
				    s->restored[r].health.damping;
			memset(&s->restored[r].health.damping, 0,
			       sizeof(s->restored[r].health.damping));
			if (s->restored[r].drained) {
				e->drained = true;
				memcpy(e->drain_reason,
				       s->restored[r].drain_reason,
				       sizeof(e->drain_reason));
				memcpy(e->drain_by, s->restored[r].drain_by,
				       sizeof(e->drain_by));
				e->drain_since_s = s->restored[r].drain_since_s;
			}
		}
		e->name = m->name;
		e->url = NULL;
		rc = entry_check(s->cfg, m, e);
		if (rc != MP_OK)
			goto fail;
		/* a weight of 0 in the source is 0 in the output */
		if (m->weight == 0)
			e->weight = 0;
		if (!first && k == s->n) {
			jfields(s, e, &f);
			mp_logf(LOG_NOTICE, &f,
				"json pool %s: mirror %s added (weight %u)%s",
				s->cfg->name, m->name, m->weight,
				m->weight > 0 ? "; out until its checks pass"
					      : "");
		}
	}
	for (size_t j = 0; j < s->n && !first; j++)
		if (mp_jp_find(list, s->entries[j].name) == list->n) {
			jfields(s, &s->entries[j], &f);
			mp_logf(LOG_NOTICE, &f,
				"json pool %s: mirror %s removed from the "
				"source; it leaves the output",
				s->cfg->name, s->entries[j].name);
		}
	entries_free(s->entries, s->n);
	free(s->last_result_ms);
	free(s->pending);
	mp_jp_list_free(s->list);
	s->entries = nv;
	s->last_result_ms = nlast;
	s->pending = npend;
	s->list = list;
	s->n = list->n;
	s->written = false; /* the source changed: render again */
	mp_jstate_source_error(s, NULL);
	return MP_OK;
fail:
	if (nv)
		for (size_t i = 0; i < list->n; i++)
			free(nv[i].url);
	free(nv);
	free(nlast);
	free(npend);
	mp_jp_list_free(list);
	return rc;
}

void mp_jstate_source_error(struct mp_jstate *s, const char *error)
{
	free(s->source_error);
	s->source_error = error ? strdup(error) : NULL;
}

size_t mp_jstate_n(const struct mp_jstate *s)
{
	return s->n;
}

struct mp_jentry *mp_jstate_entry(struct mp_jstate *s, size_t i)
{
	return i < s->n ? &s->entries[i] : NULL;
}

size_t mp_jstate_find(const struct mp_jstate *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->entries[i].name, name) == 0)
			return i;
	return s->n;
}

const struct mp_json_pool_cfg *mp_jstate_config(const struct mp_jstate *s)
{
	return s->cfg;
}

bool mp_jstate_check_result(struct mp_jstate *s, size_t i,
			    const struct mp_check_result *r, bool frozen,
			    uint64_t now_ms)
{
	struct mp_jentry *e;
	struct mp_check_cfg cc;
	enum mp_health_state before;
	enum mp_health_change ch;
	enum mp_damping_change dch = MP_DAMPING_NONE;
	struct mp_log_fields f;

	if (i >= s->n)
		return false;
	e = &s->entries[i];
	cc = e->check;
	if (frozen)
		cc.fall = UINT_MAX; /* our network, not the mirror */
	before = e->health.state;
	ch = mp_health_record(&e->health, &cc, s->damping, r, &dch);
	s->last_result_ms[i] = now_ms;
	if (r->ok)
		e->checks_ok++;
	else
		e->checks_fail++;
	jfields(s, e, &f);
	f.reason = r->detail;
	if (ch == MP_HEALTH_WENT_DOWN)
		mp_logf(LOG_WARNING, &f,
			"%s %s: %s -> down (%u/%u failures, last: %s in %u "
			"ms); weight 0 in %s",
			e->name, e->url, mp_health_state_name(before),
			e->health.consecutive_fail, cc.fall, r->detail,
			r->latency_ms, s->cfg->output);
	else if (ch == MP_HEALTH_WENT_UP)
		mp_logf(LOG_NOTICE, &f,
			"%s %s: %s -> up (%u/%u successes, last: %s in %u ms)",
			e->name, e->url, mp_health_state_name(before),
			e->health.consecutive_ok, cc.rise, r->detail,
			r->latency_ms);
	if (dch == MP_DAMPING_SUPPRESSED)
		mp_logf(LOG_WARNING, &f,
			"%s %s: flapping, suppressed by damping", e->name,
			e->url);
	return ch != MP_HEALTH_SAME || dch != MP_DAMPING_NONE;
}

/* Entry states for the rules; drain_name (may be NULL) counts as drained
 * too, to judge a drain before making it. */
static int decide(struct mp_jstate *s, bool frozen, uint64_t now_ms,
		  const char *drain_name, unsigned *w, struct mp_jp_decision *d)
{
	struct mp_jp_state *st = calloc(s->n + 1, sizeof(*st));
	int rc;

	if (!st)
		return MP_ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		struct mp_jentry *e = &s->entries[i];
		uint64_t stale_after =
		    3 * e->check.interval_ms + e->check.timeout_ms;

		mp_damping_update(&e->health.damping, s->damping, now_ms);
		st[i].up = e->checked && e->health.state == MP_HEALTH_UP;
		st[i].suppressed = e->health.damping.suppressed;
		st[i].stale =
		    e->checked && now_ms > s->last_result_ms[i] + stale_after;
		st[i].drained =
		    e->drained ||
		    (drain_name && strcmp(drain_name, e->name) == 0);
		st[i].published = e->weight > 0;
		st[i].last_ok_at = e->health.last_ok_at_ms;
	}
	rc = mp_jp_decide(s->list, st, s->cfg->min_healthy, frozen, w, d);
	free(st);
	return rc;
}

static void log_rules(struct mp_jstate *s, const struct mp_jp_decision *d)
{
	struct mp_log_fields f;
	bool floor = d->n_floor_kept > 0, empty = d->n_empty_kept > 0;

	jfields(s, NULL, &f);
	if (floor && !s->floor_logged)
		mp_logf(LOG_WARNING, &f,
			"json pool %s: floor engaged: %zu healthy of "
			"min_healthy %u; keeping %zu unhealthy mirror%s in",
			s->cfg->name, d->n_candidates, s->cfg->min_healthy,
			d->n_floor_kept, d->n_floor_kept == 1 ? "" : "s");
	else if (!floor && s->floor_logged)
		mp_logf(LOG_NOTICE, &f,
			"json pool %s: floor released: %zu healthy",
			s->cfg->name, d->n_candidates);
	s->floor_logged = floor;
	if (empty && !s->empty_logged)
		mp_logf(LOG_WARNING, &f,
			"json pool %s: every mirror is unhealthy; keeping the "
			"weights rather than emptying the list",
			s->cfg->name);
	s->empty_logged = empty;
}

int mp_jstate_output(struct mp_jstate *s, bool frozen, uint64_t now_ms,
		     char **text, size_t *len)
{
	struct mp_jp_decision d;
	bool differs = !s->written;
	int rc;

	*text = NULL;
	*len = 0;
	if (!s->list)
		return 0;
	rc = decide(s, frozen, now_ms, NULL, s->pending, &d);
	if (rc != MP_OK)
		return rc;
	log_rules(s, &d);
	for (size_t i = 0; i < s->n; i++)
		if (s->pending[i] != s->entries[i].weight)
			differs = true;
	if (!differs)
		return 0;
	*text = mp_jp_render(s->list, s->pending, len);
	return *text ? 1 : MP_ENOMEM;
}

void mp_jstate_written(struct mp_jstate *s)
{
	for (size_t i = 0; i < s->n; i++)
		s->entries[i].weight = s->pending[i];
	s->written = true;
}

int mp_jstate_drain(struct mp_jstate *s, const char *name, const char *reason,
		    const char *by, bool force, uint64_t now_ms,
		    uint64_t wall_s, char *err, size_t errlen)
{
	size_t i = mp_jstate_find(s, name);
	struct mp_jp_decision before, after;
	unsigned *w;
	struct mp_jentry *e;
	struct mp_log_fields f;
	int rc;

	if (i == s->n) {
		snprintf(err, errlen, "json pool %s has no mirror named \"%s\"",
			 s->cfg->name, name);
		return MP_ENOENT;
	}
	e = &s->entries[i];
	if (!force) {
		w = calloc(s->n + 1, sizeof(*w));
		if (!w)
			return MP_ENOMEM;
		rc = decide(s, false, now_ms, NULL, w, &before);
		if (rc == MP_OK)
			rc = decide(s, false, now_ms, name, w, &after);
		free(w);
		if (rc != MP_OK)
			return rc;
		if (after.n_candidates < s->cfg->min_healthy &&
		    after.n_candidates < before.n_candidates) {
			snprintf(err, errlen,
				 "draining %s would leave json pool %s with "
				 "%zu healthy mirror%s (min_healthy %u); use "
				 "--force to drain anyway",
				 name, s->cfg->name, after.n_candidates,
				 after.n_candidates == 1 ? "" : "s",
				 s->cfg->min_healthy);
			return MP_EREFUSED;
		}
	}
	e->drained = true;
	snprintf(e->drain_reason, sizeof(e->drain_reason), "%s",
		 reason ? reason : "");
	snprintf(e->drain_by, sizeof(e->drain_by), "%s", by ? by : "");
	e->drain_since_s = wall_s;
	jfields(s, e, &f);
	f.reason = reason;
	mp_logf(LOG_NOTICE, &f, "%s: drained by %s (%s); weight 0 in %s", name,
		by ? by : "?", reason ? reason : "no reason given",
		s->cfg->output);
	return MP_OK;
}

int mp_jstate_undrain(struct mp_jstate *s, const char *name, const char *by,
		      char *err, size_t errlen)
{
	size_t i = mp_jstate_find(s, name);
	struct mp_log_fields f;

	if (i == s->n) {
		snprintf(err, errlen, "json pool %s has no mirror named \"%s\"",
			 s->cfg->name, name);
		return MP_ENOENT;
	}
	if (!s->entries[i].drained) {
		snprintf(err, errlen, "mirror %s is not drained", name);
		return MP_ENOENT;
	}
	s->entries[i].drained = false;
	for (size_t r = 0; r < s->n_restored; r++)
		if (strcmp(s->restored[r].name, name) == 0)
			s->restored[r].drained = false;
	jfields(s, &s->entries[i], &f);
	mp_logf(LOG_NOTICE, &f, "%s: undrained by %s", name, by ? by : "?");
	return MP_OK;
}

json_t *mp_jstate_status(struct mp_jstate *s, uint64_t now_ms)
{
	json_t *mirrors = json_array();
	json_t *o = json_pack(
	    "{s:s, s:s, s:s, s:i, s:o}", "name", s->cfg->name, "source",
	    s->cfg->source, "output", s->cfg->output, "min_healthy",
	    (int)s->cfg->min_healthy, "source_error",
	    s->source_error ? json_string(s->source_error) : json_null());

	if (!o || !mirrors) {
		json_decref(o);
		json_decref(mirrors);
		return NULL;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct mp_jentry *e = &s->entries[i];
		json_t *m = json_pack(
		    "{s:s, s:s, s:s, s:I, s:I, s:b, s:b, s:b, s:I, s:I}",
		    "name", e->name, "url", e->url, "state",
		    e->checked ? mp_health_state_name(e->health.state)
			       : "not checked",
		    "weight_source", (json_int_t)s->list->mirrors[i].weight,
		    "weight", (json_int_t)e->weight, "drained", e->drained,
		    "suppressed", e->health.damping.suppressed, "stale",
		    e->checked && now_ms > s->last_result_ms[i] +
					       3 * e->check.interval_ms +
					       e->check.timeout_ms,
		    "checks_ok", (json_int_t)e->checks_ok, "checks_failed",
		    (json_int_t)e->checks_fail);
		if (m && e->health.has_result)
			json_object_set_new(
			    m, "last_check",
			    json_pack("{s:b, s:s, s:I}", "ok",
				      e->health.last.ok, "detail",
				      e->health.last.detail, "latency_ms",
				      (json_int_t)e->health.last.latency_ms));
		if (m && e->drained)
			json_object_set_new(
			    m, "drain",
			    json_pack("{s:s, s:s, s:I}", "reason",
				      e->drain_reason, "by", e->drain_by,
				      "since", (json_int_t)e->drain_since_s));
		json_array_append_new(mirrors, m);
	}
	json_object_set_new(o, "mirrors", mirrors);
	return o;
}
