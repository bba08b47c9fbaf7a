/*
 * Flap damping, RFC 2439 style. Each up->down transition adds cfg->penalty to
 * a figure of merit that decays exponentially with cfg->half_life_ms. When the
 * figure exceeds cfg->suppress the address is suppressed (held out of the
 * pool) until the figure decays below cfg->reuse. The figure is capped so
 * that a suppression never outlasts cfg->max_suppress_ms after the last
 * penalty (RFC 2439 "maximum suppress time"): ceiling = reuse *
 * 2^(max_suppress / half_life).
 */
#ifndef MP_DAMPING_H
#define MP_DAMPING_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct mp_damping {
	double figure;	/* value at at_ms */
	uint64_t at_ms; /* when figure was last brought up to date */
	bool suppressed;
	uint64_t suppressed_since_ms;
};

enum mp_damping_change {
	MP_DAMPING_NONE = 0,
	MP_DAMPING_SUPPRESSED = 1, /* just became suppressed */
	MP_DAMPING_REUSED = 2,	   /* just released */
};

void mp_damping_init(struct mp_damping *d);

/* The figure decayed to now_ms (does not modify d). */
double mp_damping_figure(const struct mp_damping *d,
			 const struct mp_damping_cfg *cfg, uint64_t now_ms);

/* Records an up->down transition at now_ms. */
enum mp_damping_change mp_damping_penalize(struct mp_damping *d,
					   const struct mp_damping_cfg *cfg,
					   uint64_t now_ms);

/* Brings d up to now_ms: releases a suppression whose figure has decayed
 * below reuse (or that has lasted max_suppress). */
enum mp_damping_change mp_damping_update(struct mp_damping *d,
					 const struct mp_damping_cfg *cfg,
					 uint64_t now_ms);

/* When suppressed: the time at which it will be reused if no further
 * penalty arrives; 0 when not suppressed. */
uint64_t mp_damping_reuse_at(const struct mp_damping *d,
			     const struct mp_damping_cfg *cfg);

/* Restores a persisted figure (state file): figure as of at_ms. */
void mp_damping_restore(struct mp_damping *d, const struct mp_damping_cfg *cfg,
			double figure, uint64_t at_ms, bool suppressed,
			uint64_t suppressed_since_ms);

#endif
