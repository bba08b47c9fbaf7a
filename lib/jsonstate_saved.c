/* What the state file keeps of a JSON pool: drains and flap damping by
 * mirror name, restored before the source is read and applied when the
 * list holds the mirror (see jsonstate.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "damping_state.h"
#include "error.h"
#include "jsonstate_int.h"

static void drain_add(json_t *a, const struct mp_jentry *e)
{
	if (e->drained)
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:s, s:I}", "mirror", e->name,
				 "reason", e->drain_reason, "by", e->drain_by,
				 "since", (json_int_t)e->drain_since_s));
}

json_t *mp_jstate_drains_save(const struct mp_jstate *s)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < s->n; i++)
		drain_add(a, &s->entries[i]);
	/* restored, and still not in the list: kept for when it is */
	for (size_t r = 0; a && r < s->n_restored; r++)
		if (mp_jstate_find(s, s->restored[r].name) == s->n)
			drain_add(a, &s->restored[r]);
	return a;
}

/* The entry named name, or the record kept for it until the list holds
 * it (made when there is none); NULL when out of memory. */
static struct mp_jentry *saved_entry(struct mp_jstate *s, const char *name)
{
	struct mp_jentry *v, *e;
	size_t k = mp_jstate_find(s, name);

	if (k < s->n)
		return &s->entries[k];
	for (size_t r = 0; r < s->n_restored; r++)
		if (strcmp(s->restored[r].name, name) == 0)
			return &s->restored[r];
	v = realloc(s->restored, (s->n_restored + 1) * sizeof(*v));
	if (!v)
		return NULL;
	s->restored = v;
	e = &v[s->n_restored];
	memset(e, 0, sizeof(*e));
	mp_health_init(&e->health);
	e->name = strdup(name);
	if (!e->name)
		return NULL;
	s->n_restored++;
	return e;
}

int mp_jstate_drain_restore(struct mp_jstate *s, const char *name,
			    const char *reason, const char *by,
			    uint64_t since_s)
{
	struct mp_jentry *e = saved_entry(s, name);

	if (!e)
		return MP_ENOMEM;
	e->drained = true;
	snprintf(e->drain_reason, sizeof(e->drain_reason), "%s", reason);
	snprintf(e->drain_by, sizeof(e->drain_by), "%s", by);
	e->drain_since_s = since_s;
	return MP_OK;
}

static void damping_add(json_t *a, const struct mp_jentry *e,
			const struct mp_time *now)
{
	json_t *o;

	if (!mp_damping_worth_saving(&e->health.damping))
		return;
	o = mp_damping_save(&e->health.damping, now);
	json_object_set_new(o, "mirror", json_string(e->name));
	json_array_append_new(a, o);
}

json_t *mp_jstate_damping_save(const struct mp_jstate *s,
			       const struct mp_time *now)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < s->n; i++)
		damping_add(a, &s->entries[i], now);
	/* restored, and still not in the list: kept for when it is */
	for (size_t r = 0; a && r < s->n_restored; r++)
		if (mp_jstate_find(s, s->restored[r].name) == s->n)
			damping_add(a, &s->restored[r], now);
	return a;
}

bool mp_jstate_damping_restore(struct mp_jstate *s, const char *name,
			       const json_t *v, const struct mp_time *now,
			       char *err, size_t errlen)
{
	struct mp_damping d;
	struct mp_jentry *e;

	memset(&d, 0, sizeof(d));
	if (!mp_damping_load(v, s->damping, now, &d, err, errlen))
		return false;
	e = saved_entry(s, name);
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	e->health.damping = d;
	return true;
}
