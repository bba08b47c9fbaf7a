/* A flap-damping figure in the state file (see damping_state.h). */
#include "damping_state.h"

#include <stdio.h>

bool mp_damping_worth_saving(const struct mp_damping *d)
{
	return d->figure > 0.5 || d->suppressed;
}

json_t *mp_damping_save(const struct mp_damping *d, const struct mp_time *now)
{
	return json_pack(
	    "{s:f, s:I, s:b, s:I}", "figure", d->figure, "at_ms",
	    (json_int_t)mp_time_mono_to_wall(now, d->at_ms), "suppressed",
	    d->suppressed, "suppressed_since_ms",
	    (json_int_t)mp_time_mono_to_wall(now, d->suppressed_since_ms));
}

bool mp_damping_load(const json_t *v, const struct mp_damping_cfg *cfg,
		     const struct mp_time *now, struct mp_damping *d, char *err,
		     size_t errlen)
{
	double figure = 0;
	json_int_t at = 0, since = 0;
	int suppressed = 0;
	json_error_t je;

	if (json_unpack_ex((json_t *)v, &je, 0, "{s:F, s:I, s?b, s?I}",
			   "figure", &figure, "at_ms", &at, "suppressed",
			   &suppressed, "suppressed_since_ms", &since) != 0) {
		snprintf(err, errlen, "%s", je.text);
		return false;
	}
	mp_damping_restore(d, cfg, figure,
			   mp_time_wall_to_mono(now, (uint64_t)at), suppressed,
			   mp_time_wall_to_mono(now, (uint64_t)since));
	return true;
}
