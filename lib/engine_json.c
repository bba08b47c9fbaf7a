/*
 * JSON pools in the engine: one lib/jsonstate.c runtime per json_pools
 * entry of the configuration, carried over a reload by pool name, so that
 * drains, status and the guard's freeze reach them as they reach DNS pools.
 */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jsonstate.h"
#include "log.h"
#include "strbuf.h"

int mp_eng_json_build(struct mp_engine *e, struct mp_engine *old)
{
	const struct mp_config *cfg = e->cfg;
	int rc = MP_OK;

	e->jpools = calloc(cfg->n_json_pools + 1, sizeof(*e->jpools));
	if (!e->jpools)
		return MP_ENOMEM;
	e->n_jpools = cfg->n_json_pools;
	for (size_t j = 0; j < cfg->n_json_pools; j++) {
		const struct mp_json_pool_cfg *jp = &cfg->json_pools[j];

		for (size_t k = 0; old && k < old->n_jpools; k++) {
			struct mp_jstate *o = old->jpools[k];
			if (!o || strcmp(mp_jstate_config(o)->name, jp->name))
				continue;
			old->jpools[k] = NULL; /* moves */
			e->jpools[j] = o;
			if (mp_jstate_reconfigure(o, jp, &cfg->damping) !=
			    MP_OK)
				rc = MP_ENOMEM;
			break;
		}
		if (!e->jpools[j] &&
		    mp_jstate_new(jp, &cfg->damping, &e->jpools[j]) != MP_OK)
			rc = MP_ENOMEM;
	}
	return rc;
}

void mp_eng_json_free(struct mp_engine *e)
{
	for (size_t j = 0; j < e->n_jpools; j++)
		mp_jstate_free(e->jpools[j]);
	free(e->jpools);
	e->jpools = NULL;
	e->n_jpools = 0;
}

size_t mp_engine_n_json_pools(const struct mp_engine *e)
{
	return e->n_jpools;
}

struct mp_jstate *mp_engine_json_pool(struct mp_engine *e, size_t j)
{
	return j < e->n_jpools ? e->jpools[j] : NULL;
}

bool mp_engine_json_result(struct mp_engine *e, size_t j, size_t k,
			   const struct mp_check_result *r, struct mp_time now)
{
	const uint64_t now_ms = now.mono_ms;
	bool changed;

	if (j >= e->n_jpools || !e->jpools[j])
		return false;
	changed = mp_jstate_check_result(e->jpools[j], k, r, e->frozen, now_ms);
	/* a flap penalty or a suppression may have come: the state file is
	 * to hold it (written paced) */
	if (changed)
		e->dirty = true;
	return changed;
}

int mp_engine_json_output(struct mp_engine *e, size_t j, struct mp_time now,
			  char **text, size_t *len)
{
	const uint64_t now_ms = now.mono_ms;
	*text = NULL;
	*len = 0;
	if (j >= e->n_jpools || !e->jpools[j])
		return 0;
	return mp_jstate_output(e->jpools[j], e->frozen, now_ms, text, len);
}

/* The JSON pool holding an entry named name; NULL when none does. */
static struct mp_jstate *json_owner(struct mp_engine *e, const char *name)
{
	for (size_t j = 0; j < e->n_jpools; j++)
		if (e->jpools[j] && mp_jstate_find(e->jpools[j], name) <
					mp_jstate_n(e->jpools[j]))
			return e->jpools[j];
	return NULL;
}

int mp_eng_json_drain(struct mp_engine *e, const struct mp_drain_request *rq,
		      struct mp_time now, char *err, size_t errlen)
{
	struct mp_jstate *s = json_owner(e, rq->mirror);

	if (!s)
		return MP_ENOENT;
	if (rq->address) {
		snprintf(err, errlen,
			 "%s is a JSON-pool mirror: it has no addresses to "
			 "drain one by one",
			 rq->mirror);
		return MP_EINVAL;
	}
	return mp_jstate_drain(s, rq->mirror, rq->reason, rq->by, rq->force,
			       now.mono_ms, now.wall_ms / 1000, err, errlen);
}

int mp_eng_json_undrain(struct mp_engine *e, const char *name, const char *by,
			char *err, size_t errlen)
{
	struct mp_jstate *s = json_owner(e, name);

	if (!s)
		return MP_ENOENT;
	return mp_jstate_undrain(s, name, by, err, errlen);
}

json_t *mp_eng_json_status(struct mp_engine *e, uint64_t now_ms)
{
	json_t *a = json_array();

	for (size_t j = 0; a && j < e->n_jpools; j++)
		if (e->jpools[j])
			json_array_append_new(
			    a, mp_jstate_status(e->jpools[j], now_ms));
	return a;
}

/* One gauge over every JSON-pool entry: up (1/0) or weight. */
static void json_gauge(struct mp_engine *e, struct mp_strbuf *b,
		       const char *metric, const char *help, bool weight)
{
	char ep[300], em[300];

	mp_strbuf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", metric, help,
			 metric);
	for (size_t j = 0; j < e->n_jpools; j++)
		for (size_t k = 0;
		     e->jpools[j] && k < mp_jstate_n(e->jpools[j]); k++) {
			const struct mp_jentry *m =
			    mp_jstate_entry(e->jpools[j], k);
			mp_strbuf_printf(
			    b, "%s{pool=\"%s\",mirror=\"%s\"} %u\n", metric,
			    mp_eng_label_esc(
				mp_jstate_config(e->jpools[j])->name, ep,
				sizeof(ep)),
			    mp_eng_label_esc(m->name, em, sizeof(em)),
			    weight
				? m->weight
				: (m->health.state == MP_HEALTH_UP ? 1u : 0u));
		}
}

void mp_eng_json_metrics(struct mp_engine *e, struct mp_strbuf *b)
{
	if (e->n_jpools == 0)
		return;
	json_gauge(e, b, "mirrorpool_json_mirror_up",
		   "1 when a JSON-pool mirror is healthy (state up)", false);
	json_gauge(e, b, "mirrorpool_json_mirror_weight",
		   "the weight a JSON-pool mirror has in the output", true);
}

/* o[pool's name] = a, when a holds anything (takes a). */
static void put_saved(json_t *o, const struct mp_jstate *s, json_t *a)
{
	if (json_array_size(a) > 0)
		json_object_set_new(o, mp_jstate_config(s)->name, a);
	else
		json_decref(a);
}

json_t *mp_eng_json_drains_save(struct mp_engine *e)
{
	json_t *o = json_object();

	for (size_t j = 0; o && j < e->n_jpools; j++)
		if (e->jpools[j])
			put_saved(o, e->jpools[j],
				  mp_jstate_drains_save(e->jpools[j]));
	return o;
}

/* The runtime of the JSON pool named pool; NULL (and a line saying what
 * is skipped) when the configuration has none. */
static struct mp_jstate *saved_pool(struct mp_engine *e, const char *pool,
				    const char *what)
{
	for (size_t j = 0; j < e->n_jpools; j++)
		if (e->jpools[j] &&
		    strcmp(mp_jstate_config(e->jpools[j])->name, pool) == 0)
			return e->jpools[j];
	mp_log(LOG_NOTICE,
	       "state: %s of json pool \"%s\" skipped: no such pool in the "
	       "configuration",
	       what, pool);
	return NULL;
}

json_t *mp_eng_json_damping_save(struct mp_engine *e, const struct mp_time *now)
{
	json_t *o = json_object();

	for (size_t j = 0; o && j < e->n_jpools; j++)
		if (e->jpools[j])
			put_saved(o, e->jpools[j],
				  mp_jstate_damping_save(e->jpools[j], now));
	return o;
}

void mp_eng_json_damping_load(struct mp_engine *e, const json_t *saved,
			      const struct mp_time *now)
{
	const char *pool, *m;
	json_t *list, *v;
	size_t i;
	char why[200];

	json_object_foreach((json_t *)saved, pool, list)
	{
		struct mp_jstate *s = saved_pool(e, pool, "damping");
		if (!s)
			continue;
		json_array_foreach(list, i, v)
		{
			m = json_string_value(json_object_get(v, "mirror"));
			if (!m)
				snprintf(why, sizeof(why),
					 "it needs \"mirror\"");
			if (!m || !mp_jstate_damping_restore(s, m, v, now, why,
							     sizeof(why)))
				mp_log(LOG_WARNING,
				       "state: damping entry %zu of json pool "
				       "\"%s\" skipped: %s",
				       i, pool, why);
		}
	}
}

void mp_eng_json_drains_load(struct mp_engine *e, const json_t *saved)
{
	const char *pool;
	json_t *list, *v;
	size_t i;

	json_object_foreach((json_t *)saved, pool, list)
	{
		struct mp_jstate *s = saved_pool(e, pool, "drains");
		if (!s)
			continue;
		json_array_foreach(list, i, v)
		{
			const char *m = NULL, *reason = "", *by = "";
			json_int_t since = 0;
			if (json_unpack(v, "{s:s, s?s, s?s, s?I}", "mirror", &m,
					"reason", &reason, "by", &by, "since",
					&since) == 0)
				mp_jstate_drain_restore(s, m, reason, by,
							(uint64_t)since);
		}
	}
}
