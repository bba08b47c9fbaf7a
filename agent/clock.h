/* The process's two clocks, read in one place: CLOCK_MONOTONIC for every
 * duration, CLOCK_REALTIME for what people read and what is persisted
 * (lib/timebase.h says which is which). A leaf: it uses no other module. */
#ifndef MP_AGENT_CLOCK_H
#define MP_AGENT_CLOCK_H

#include "timebase.h"

/* Both clocks, read now. */
struct mp_time mp_clock_now(void);

#endif
