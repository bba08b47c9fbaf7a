#include "damping.h"

#include <math.h>
#include <string.h>

/*
 * The figure is kept as a value at a point in time (figure, at_ms) and
 * decayed on demand: figure(t) = figure * 2^-((t - at) / half_life). Only a
 * penalty moves the reference point, so repeated updates never accumulate
 * rounding error and mp_damping_reuse_at() stays exact.
 */

/* Guards the ceil() in reuse_at against exp2/log2 rounding noise: a
 * computed 3600000.0000000005 ms must still mean 3600000 ms. */
#define MP_DAMPING_EPS_MS 1e-6

static double ceiling(const struct mp_damping_cfg *cfg)
{
	if (cfg->half_life_ms == 0)
		return (double)cfg->reuse;
	return (double)cfg->reuse *
	       exp2((double)cfg->max_suppress_ms / (double)cfg->half_life_ms);
}

static double decayed(double figure, uint64_t at_ms,
		      const struct mp_damping_cfg *cfg, uint64_t now_ms)
{
	if (now_ms <= at_ms)
		return figure;
	return figure *
	       exp2(-(double)(now_ms - at_ms) / (double)cfg->half_life_ms);
}

void mp_damping_init(struct mp_damping *d)
{
	memset(d, 0, sizeof(*d));
}

double mp_damping_figure(const struct mp_damping *d,
			 const struct mp_damping_cfg *cfg, uint64_t now_ms)
{
	if (cfg->half_life_ms == 0)
		return 0.0;
	return decayed(d->figure, d->at_ms, cfg, now_ms);
}

uint64_t mp_damping_reuse_at(const struct mp_damping *d,
			     const struct mp_damping_cfg *cfg)
{
	double x;

	if (!d->suppressed)
		return 0;
	if (cfg->half_life_ms == 0 || d->figure <= (double)cfg->reuse)
		return d->at_ms;
	/* figure(t) == reuse at t = at + half_life * log2(figure / reuse) */
	x = (double)cfg->half_life_ms * log2(d->figure / (double)cfg->reuse);
	/* The ceiling bounds x by max_suppress; enforce it against rounding
	 * and against a figure restored under an older, larger config. */
	if (x > (double)cfg->max_suppress_ms)
		x = (double)cfg->max_suppress_ms;
	return d->at_ms + (uint64_t)ceil(x - MP_DAMPING_EPS_MS);
}

enum mp_damping_change mp_damping_update(struct mp_damping *d,
					 const struct mp_damping_cfg *cfg,
					 uint64_t now_ms)
{
	if (!d->suppressed)
		return MP_DAMPING_NONE;
	if (now_ms < mp_damping_reuse_at(d, cfg))
		return MP_DAMPING_NONE;
	d->suppressed = false;
	d->suppressed_since_ms = 0;
	return MP_DAMPING_REUSED;
}

enum mp_damping_change mp_damping_penalize(struct mp_damping *d,
					   const struct mp_damping_cfg *cfg,
					   uint64_t now_ms)
{
	enum mp_damping_change before;
	double f, top;

	/* half_life 0 means no memory at all: damping is off. */
	if (cfg->half_life_ms == 0)
		return mp_damping_update(d, cfg, now_ms);
	before = mp_damping_update(d, cfg, now_ms);
	f = decayed(d->figure, d->at_ms, cfg, now_ms) + (double)cfg->penalty;
	top = ceiling(cfg);
	if (f > top)
		f = top;
	d->figure = f;
	if (now_ms > d->at_ms)
		d->at_ms = now_ms;
	if (!d->suppressed && f > (double)cfg->suppress) {
		d->suppressed = true;
		d->suppressed_since_ms = now_ms;
		/* released and suppressed again in one call: no change */
		return before == MP_DAMPING_REUSED ? MP_DAMPING_NONE
						   : MP_DAMPING_SUPPRESSED;
	}
	return before;
}

void mp_damping_restore(struct mp_damping *d, const struct mp_damping_cfg *cfg,
			double figure, uint64_t at_ms, bool suppressed,
			uint64_t suppressed_since_ms)
{
	double top = ceiling(cfg);

	mp_damping_init(d);
	if (!(figure > 0.0)) /* also rejects NaN from a corrupt state file */
		figure = 0.0;
	if (figure > top)
		figure = top;
	d->figure = figure;
	d->at_ms = at_ms;
	d->suppressed = suppressed;
	d->suppressed_since_ms = suppressed ? suppressed_since_ms : 0;
}
