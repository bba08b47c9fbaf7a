/* When to write the state file (writepace.h). */
#include "writepace.h"

void mp_writepace_init(struct mp_writepace *p, uint64_t interval_ms)
{
	p->interval_ms = interval_ms;
	p->pending = false;
	p->written = false;
	p->last_ms = 0;
}

void mp_writepace_set_interval(struct mp_writepace *p, uint64_t interval_ms)
{
	p->interval_ms = interval_ms;
}

/* The delay until a write may happen, whether or not one waits. */
static uint64_t delay(const struct mp_writepace *p, uint64_t now_ms)
{
	uint64_t since;

	if (!p->written || p->interval_ms == 0)
		return 0;
	/* a clock that went back (a monotonic one does not) counts as no
	 * time passed */
	since = now_ms > p->last_ms ? now_ms - p->last_ms : 0;
	return since >= p->interval_ms ? 0 : p->interval_ms - since;
}

uint64_t mp_writepace_changed(struct mp_writepace *p, uint64_t now_ms)
{
	p->pending = true;
	return delay(p, now_ms);
}

uint64_t mp_writepace_next(const struct mp_writepace *p, uint64_t now_ms)
{
	return p->pending ? delay(p, now_ms) : MP_WRITEPACE_NONE;
}

void mp_writepace_wrote(struct mp_writepace *p, uint64_t now_ms)
{
	p->pending = false;
	p->written = true;
	p->last_ms = now_ms;
}
