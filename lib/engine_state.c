/* The engine's persisted state: drains and flap-damping figures. The file
 * keeps wall-clock times (it outlives the process and its monotonic clock);
 * they are converted to the monotonic clock on load. */
#include "engine_int.h"

#include <stdio.h>
#include <string.h>

#include "damping_state.h"
#include "error.h"

#define STATE_VERSION 1

static json_t *drain_entry(const char *mirror, const struct mp_addr *a,
			   const struct mp_drain *d, const struct mp_time *now)
{
	/* the countdown runs on the monotonic clock: its end as of now */
	uint64_t until_s =
	    d->until_ms ? (mp_time_mono_to_wall(now, d->until_ms) + 999) / 1000
			: 0;

	return json_pack("{s:s, s:o, s:s, s:s, s:I, s:I, s:I, s:b}", "mirror",
			 mirror, "address",
			 a ? json_string(a->text) : json_null(), "reason",
			 d->reason, "by", d->by, "uid", (json_int_t)d->uid,
			 "since", (json_int_t)d->since_s, "until",
			 (json_int_t)until_s, "force", d->force);
}

json_t *mp_engine_state_save(struct mp_engine *e, struct mp_time now)
{
	json_t *drains = json_array(), *damp = json_array();

	for (size_t p = 0; p < e->cfg->n_pools; p++)
		for (size_t m = 0; m < e->cfg->pools[p].n_mirrors; m++) {
			const struct mp_drain *d =
			    &eng_mirror_rt(e, p, m)->drain;
			if (d->active)
				json_array_append_new(
				    drains,
				    drain_entry(
					e->cfg->pools[p].mirrors[m].name, NULL,
					d, &now));
		}
	for (size_t k = 0; k < e->n_targets; k++) {
		struct mp_target *t = &e->targets[k];
		const struct mp_damping *dm = &t->health.damping;
		if (t->drain.active)
			json_array_append_new(
			    drains, drain_entry(eng_mirror(e, t)->name,
						&t->addr, &t->drain, &now));
		if (mp_damping_worth_saving(dm)) {
			json_t *o = mp_damping_save(dm, &now);
			json_object_set_new(
			    o, "mirror", json_string(eng_mirror(e, t)->name));
			json_object_set_new(o, "address",
					    json_string(t->addr.text));
			json_array_append_new(damp, o);
		}
	}
	return json_pack("{s:i, s:o, s:o, s:o, s:o}", "version", STATE_VERSION,
			 "drains", drains, "damping", damp, "json_drains",
			 mp_eng_json_drains_save(e), "json_damping",
			 mp_eng_json_damping_save(e, &now));
}

static struct mp_target *lookup(struct mp_engine *e, const char *mirror,
				const char *address, size_t *pool,
				size_t *mirror_idx)
{
	struct mp_addr a;

	for (size_t p = 0; p < e->cfg->n_pools; p++)
		for (size_t m = 0; m < e->cfg->pools[p].n_mirrors; m++) {
			if (strcmp(e->cfg->pools[p].mirrors[m].name, mirror) !=
			    0)
				continue;
			*pool = p;
			*mirror_idx = m;
			if (!address)
				return NULL;
			if (mp_addr_parse(address, &a) != MP_OK)
				return NULL;
			for (size_t k = 0; k < e->n_targets; k++) {
				struct mp_target *t = &e->targets[k];
				if (t->pool == p && t->mirror == m &&
				    mp_addr_equal(&t->addr, &a))
					return t;
			}
			return NULL;
		}
	*pool = SIZE_MAX;
	return NULL;
}

int mp_engine_state_load(struct mp_engine *e, const json_t *state,
			 struct mp_time now, char *err, size_t errlen)
{
	json_t *drains, *damp, *v;
	size_t i;
	int version = 0;

	if (!json_is_object(state)) {
		snprintf(err, errlen, "state is not a JSON object");
		return MP_EPROTO;
	}
	v = json_object_get(state, "version");
	if (json_is_integer(v))
		version = (int)json_integer_value(v);
	if (version != STATE_VERSION) {
		snprintf(err, errlen,
			 "unsupported state version %d (expected %d)", version,
			 STATE_VERSION);
		return MP_EPROTO;
	}
	mp_eng_json_drains_load(e, json_object_get(state, "json_drains"));
	drains = json_object_get(state, "drains");
	damp = json_object_get(state, "damping");
	if ((drains && !json_is_array(drains)) ||
	    (damp && !json_is_array(damp))) {
		snprintf(err, errlen,
			 "\"drains\" and \"damping\" must be arrays");
		return MP_EPROTO;
	}
	json_array_foreach(drains, i, v)
	{
		const char *mirror = NULL, *address = NULL, *reason = "",
			   *by = "";
		json_int_t uid = -1, since = 0, until = 0;
		json_t *jaddr = NULL;
		int force = 0;
		size_t p = SIZE_MAX, m = 0;
		struct mp_target *t;
		struct mp_drain *d;
		json_error_t je;

		/* "address" is null for a drain of the whole mirror */
		if (json_unpack_ex(
			v, &je, 0, "{s:s, s?o, s?s, s?s, s?I, s?I, s?I, s?b}",
			"mirror", &mirror, "address", &jaddr, "reason", &reason,
			"by", &by, "uid", &uid, "since", &since, "until",
			&until, "force", &force) != 0) {
			mp_log(LOG_WARNING,
			       "state: drain entry %zu skipped: %s", i,
			       je.text);
			continue;
		}
		if (jaddr && !json_is_null(jaddr)) {
			address = json_string_value(jaddr);
			if (!address) {
				mp_log(
				    LOG_WARNING,
				    "state: drain entry %zu skipped: address "
				    "is not a string",
				    i);
				continue;
			}
		}
		t = lookup(e, mirror, address, &p, &m);
		if (p == SIZE_MAX || (address && !t)) {
			mp_log(LOG_NOTICE,
			       "state: drain of %s%s%s no longer matches the "
			       "configuration; dropped",
			       mirror, address ? " " : "",
			       address ? address : "");
			continue;
		}
		d = t ? &t->drain : &eng_mirror_rt(e, p, m)->drain;
		d->active = true;
		snprintf(d->reason, sizeof(d->reason), "%s", reason);
		snprintf(d->by, sizeof(d->by), "%s", by);
		d->uid = (long)uid;
		d->since_s = (uint64_t)since;
		d->until_s = (uint64_t)until;
		/* an end already past still ends (0 would mean never) */
		d->until_ms =
		    until ? mp_time_wall_to_mono(&now, (uint64_t)until * 1000)
			  : 0;
		if (until && d->until_ms == 0)
			d->until_ms = 1;
		d->force = force;
		e->rrsets[2 * p].operator_pending = true;
		e->rrsets[2 * p + 1].operator_pending = true;
	}
	json_array_foreach(damp, i, v)
	{
		const char *mirror = NULL, *address = NULL;
		size_t p = SIZE_MAX, m = 0;
		struct mp_target *t;
		struct mp_damping dm;
		char why[200];

		if (json_unpack(v, "{s:s, s:s}", "mirror", &mirror, "address",
				&address) != 0) {
			mp_log(LOG_WARNING,
			       "state: damping entry %zu skipped: it needs "
			       "\"mirror\" and \"address\"",
			       i);
			continue;
		}
		t = lookup(e, mirror, address, &p, &m);
		if (!mp_damping_load(v, &e->cfg->damping, &now,
				     t ? &t->health.damping : &dm, why,
				     sizeof(why)))
			mp_log(LOG_WARNING,
			       "state: damping entry %zu skipped: %s", i, why);
	}
	mp_eng_json_damping_load(e, json_object_get(state, "json_damping"),
				 &now);
	e->dirty = false;
	return MP_OK;
}
