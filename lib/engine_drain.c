/* Operator drains: the floor rule, --force, --for and undrain. */
#include "engine_int.h"

#include <stdio.h>
#include <string.h>

#include "duration.h"
#include "error.h"
#include "select.h"

/* ---- drains ----------------------------------------------------------- */

static const struct mp_mirror_cfg *
find_mirror(struct mp_engine *e, const char *name, size_t *pool, size_t *mirror)
{
	for (size_t p = 0; p < e->cfg->n_pools; p++)
		for (size_t m = 0; m < e->cfg->pools[p].n_mirrors; m++)
			if (strcmp(e->cfg->pools[p].mirrors[m].name, name) ==
			    0) {
				*pool = p;
				*mirror = m;
				return &e->cfg->pools[p].mirrors[m];
			}
	return NULL;
}

static struct mp_target *find_mirror_target(struct mp_engine *e, size_t pool,
					    size_t mirror,
					    const struct mp_addr *a)
{
	for (size_t k = 0; k < e->n_targets; k++) {
		struct mp_target *t = &e->targets[k];
		if (t->pool == pool && t->mirror == mirror &&
		    mp_addr_equal(&t->addr, a))
			return t;
	}
	return NULL;
}

/* What draining mc (or only one of its targets) does to RRset r: the
 * desired set's size and its healthy candidates, before and after. Returns
 * false when the drain does not touch r. */
struct drain_effect {
	size_t n_before, n_after, up_before, up_after;
};

static bool drain_effect(struct mp_engine *e, struct mp_rrset *r,
			 const struct mp_mirror_cfg *mc,
			 const struct mp_target *only, struct drain_effect *fx)
{
	struct mp_addr_set before, after;
	struct mp_select_result res;
	bool affects = false;

	for (size_t k = 0; k < e->n_targets && !affects; k++) {
		const struct mp_target *t = &e->targets[k];
		if (!mp_eng_target_in_rrset(e, t, r))
			continue;
		if ((only && t == only) || (!only && eng_mirror(e, t) == mc))
			affects = true;
	}
	if (!affects)
		return false;
	memset(fx, 0, sizeof(*fx));
	mp_addr_set_init(&before);
	mp_addr_set_init(&after);
	mp_eng_compute_desired(e, r, NULL, NULL, &before, &res, &fx->up_before);
	mp_eng_compute_desired(e, r, only, only ? NULL : mc, &after, &res,
			       &fx->up_after);
	fx->n_before = before.n;
	fx->n_after = after.n;
	mp_addr_set_clear(&before);
	mp_addr_set_clear(&after);
	return true;
}

/* Would draining (mirror or one target) push an RRset below its floor?
 * With force it may; emptied then names the RRsets it leaves empty. */
static int drain_check_floor(struct mp_engine *e, size_t pool,
			     const struct mp_mirror_cfg *mc,
			     const struct mp_target *only, bool force,
			     char *emptied, size_t emptied_len, char *err,
			     size_t errlen)
{
	const struct mp_pool_cfg *pc = eng_pool(e, pool);
	size_t off = 0;

	for (int fam = 0; fam < 2; fam++) {
		struct mp_rrset *r = &e->rrsets[2 * pool + (size_t)fam];
		unsigned floor = pc->min_healthy ? pc->min_healthy : 1;
		struct drain_effect fx;

		if (!drain_effect(e, r, mc, only, &fx))
			continue;
		if (force) {
			if (emptied && fx.n_after == 0 && fx.n_before > 0 &&
			    off < emptied_len)
				off += (size_t)snprintf(
				    emptied + off, emptied_len - off, "%s%s %s",
				    off ? ", " : "", pc->name,
				    rrtype_name(r->rrtype));
			continue;
		}
		if (fx.up_after < floor && fx.up_after < fx.up_before) {
			snprintf(
			    err, errlen,
			    "draining %s%s%s would leave %s %s with %zu "
			    "healthy address%s (min_healthy %u); use --force "
			    "to drain anyway",
			    mc->name, only ? " " : "",
			    only ? only->addr.text : "", pc->name,
			    rrtype_name(r->rrtype), fx.up_after,
			    fx.up_after == 1 ? "" : "es", pc->min_healthy);
			return MP_EREFUSED;
		}
	}
	return MP_OK;
}

/* Refuses a drain of what is already drained, unless it updates or
 * replaces it, and an update of what is not drained. */
static int drain_check_existing(const struct mp_drain_request *rq,
				const struct mp_drain *d, const char *what,
				struct mp_time now, char *err, size_t errlen)
{
	const uint64_t now_s = now.wall_ms / 1000; /* since_s is wall time */
	char ago[48], left[64] = "";

	if (!d->active && rq->update) {
		snprintf(err, errlen,
			 "%s is not drained: nothing to update (drain it "
			 "without --update)",
			 what);
		return MP_ENOENT;
	}
	if (!d->active || rq->update || rq->force)
		return MP_OK;
	if (now_s > d->since_s) {
		char dur[32];
		mp_duration_human((now_s - d->since_s) * 1000, dur,
				  sizeof(dur));
		snprintf(ago, sizeof(ago), "%s ago", dur);
	} else {
		snprintf(ago, sizeof(ago), "just now");
	}
	if (d->until_ms) {
		char dur[32];
		/* the countdown runs on the monotonic clock */
		mp_duration_human(
		    d->until_ms > now.mono_ms ? d->until_ms - now.mono_ms : 0,
		    dur, sizeof(dur));
		snprintf(left, sizeof(left), ", expires in %s", dur);
	}
	snprintf(err, errlen,
		 "%s is already drained (by %s %s%s: %s); use --update to "
		 "change the drain (what is not given again is kept) or "
		 "--force to replace it",
		 what, d->by[0] ? d->by : "?", ago, left,
		 d->reason[0] ? d->reason : "no reason given");
	return MP_EEXIST;
}

int mp_engine_drain(struct mp_engine *e, const struct mp_drain_request *rq,
		    struct mp_time now, char *err, size_t errlen)
{
	const uint64_t now_ms = now.mono_ms;
	size_t pool, mirror;
	const struct mp_mirror_cfg *mc =
	    find_mirror(e, rq->mirror, &pool, &mirror);
	struct mp_target *only = NULL;
	struct mp_drain *d;
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;
	char until[64] = "", what[320];
	bool updating;
	int rc;

	if (rq->emptied && rq->emptied_len)
		rq->emptied[0] = '\0';
	if (!mc) {
		rc = mp_eng_json_drain(e, rq, now, err, errlen);
		if (rc == MP_OK)
			e->dirty = true;
		if (rc == MP_ENOENT)
			snprintf(err, errlen, "no mirror named \"%s\"",
				 rq->mirror);
		return rc;
	}
	/* now_ms + for_ms must not wrap (the drain would end at once) */
	if (rq->for_ms > MP_DURATION_MAX_ADD_MS) {
		snprintf(err, errlen, "drain duration over %llu days",
			 MP_DURATION_MAX_ADD_MS / 86400000);
		return MP_EINVAL;
	}
	if (rq->address) {
		only = find_mirror_target(e, pool, mirror, rq->address);
		if (!only) {
			snprintf(err, errlen, "mirror %s has no address %s",
				 mc->name, rq->address->text);
			return MP_ENOENT;
		}
	}
	d = only ? &only->drain : &eng_mirror_rt(e, pool, mirror)->drain;
	snprintf(what, sizeof(what), "%s%s%s", mc->name, only ? " " : "",
		 only ? only->addr.text : "");
	rc = drain_check_existing(rq, d, what, now, err, errlen);
	if (rc != MP_OK)
		return rc;
	updating = d->active && rq->update;
	if (!updating) {
		rc =
		    drain_check_floor(e, pool, mc, only, rq->force, rq->emptied,
				      rq->emptied_len, err, errlen);
		if (rc != MP_OK)
			return rc;
	}
	if (!updating) {
		memset(d, 0, sizeof(*d));
		d->since_s = now.wall_ms / 1000;
	}
	d->active = true;
	d->force = d->force || rq->force;
	if (rq->reason || !updating)
		snprintf(d->reason, sizeof(d->reason), "%s",
			 rq->reason ? rq->reason : "");
	snprintf(d->by, sizeof(d->by), "%s", rq->by ? rq->by : "");
	d->uid = rq->uid;
	if (rq->for_ms || !updating) {
		d->until_s =
		    rq->for_ms ? (now.wall_ms + rq->for_ms + 999) / 1000 : 0;
		d->until_ms = rq->for_ms ? now_ms + rq->for_ms : 0;
	}
	e->rrsets[2 * pool].operator_pending = true;
	e->rrsets[2 * pool + 1].operator_pending = true;
	e->dirty = true;

	if (d->until_ms) {
		char dur[32];
		uint64_t left_ms =
		    d->until_ms > now_ms ? d->until_ms - now_ms : 0;
		mp_duration_human(rq->for_ms ? rq->for_ms : left_ms, dur,
				  sizeof(dur));
		snprintf(until, sizeof(until), " for %s", dur);
	}
	f.pool = eng_pool(e, pool)->name;
	f.mirror = mc->name;
	f.address = only ? only->addr.text : NULL;
	f.reason = d->reason;
	f.caller_uid = rq->uid;
	mp_logf(rq->force ? LOG_WARNING : LOG_NOTICE, &f,
		"%s %s%s by %s (uid %ld)%s: %s; bypassing the update "
		"rate limits",
		what, updating ? "drain updated" : "drained",
		rq->force ? " with --force" : "", d->by[0] ? d->by : "?",
		rq->uid, until, d->reason[0] ? d->reason : "no reason given");
	if (rq->emptied && rq->emptied[0])
		mp_logf(LOG_WARNING, &f,
			"%s drained with --force leaves %s empty: clients "
			"get no address for it",
			what, rq->emptied);
	return MP_OK;
}

int mp_engine_undrain(struct mp_engine *e, const char *mirror_name,
		      const struct mp_addr *address, const char *by, long uid,
		      struct mp_time now, char *err, size_t errlen)
{
	const uint64_t now_ms = now.mono_ms;
	size_t pool, mirror;
	const struct mp_mirror_cfg *mc =
	    find_mirror(e, mirror_name, &pool, &mirror);
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;
	struct mp_drain *md;
	bool lifted = false;

	(void)now_ms;
	if (!mc && !address) {
		int rc;
		err[0] = '\0';
		rc = mp_eng_json_undrain(e, mirror_name, by, err, errlen);
		if (rc == MP_OK)
			e->dirty = true;
		if (rc != MP_ENOENT || err[0]) /* a JSON-pool entry's answer */
			return rc;
	}
	if (!mc) {
		snprintf(err, errlen, "no mirror named \"%s\"", mirror_name);
		return MP_ENOENT;
	}
	md = &eng_mirror_rt(e, pool, mirror)->drain;
	if (address) {
		struct mp_target *t =
		    find_mirror_target(e, pool, mirror, address);
		if (!t) {
			snprintf(err, errlen, "mirror %s has no address %s",
				 mc->name, address->text);
			return MP_ENOENT;
		}
		if (!t->drain.active) {
			snprintf(err, errlen, "%s %s is not drained%s",
				 mc->name, address->text,
				 md->active
				     ? " on its own (the whole mirror is: "
				       "undrain the mirror)"
				     : "");
			return MP_ENOENT;
		}
		mp_eng_lift_drain(e, pool, &t->drain);
		lifted = true;
	} else {
		if (md->active) {
			mp_eng_lift_drain(e, pool, md);
			lifted = true;
		}
		for (size_t k = 0; k < e->n_targets; k++) {
			struct mp_target *t = &e->targets[k];
			if (t->pool == pool && t->mirror == mirror &&
			    t->drain.active) {
				mp_eng_lift_drain(e, pool, &t->drain);
				lifted = true;
			}
		}
		if (!lifted) {
			snprintf(err, errlen, "mirror %s is not drained",
				 mc->name);
			return MP_ENOENT;
		}
	}
	f.pool = eng_pool(e, pool)->name;
	f.mirror = mc->name;
	f.address = address ? address->text : NULL;
	f.caller_uid = uid;
	mp_logf(LOG_NOTICE, &f,
		"%s%s%s undrained by %s (uid %ld); it returns once healthy, "
		"bypassing the update rate limits",
		mc->name, address ? " " : "", address ? address->text : "",
		by && by[0] ? by : "?", uid);
	return MP_OK;
}
