/* Engine fixtures for the unit suites: a configuration from its text, the
 * engine's targets by address, check results fed in, and the teardown. */
#ifndef MP_UNIT_ENGINE_H
#define MP_UNIT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"

/* The configuration text, written to a file in mp_unit_tmpdir() and loaded;
 * NULL (the problems printed on stderr) when it is refused. Free it with
 * mp_config_free. */
struct mp_config *mp_unit_config(const char *text);

/* The index of the engine's target whose address is addr (a fatal test
 * failure when there is none). */
size_t mp_unit_target(struct mp_engine *eng, const char *addr);

/* A check of the target completed at now (both clocks): "HTTP 200" when ok,
 * else "HTTP 503", in 12 ms. */
void mp_unit_check(struct mp_engine *eng, size_t target, bool ok, uint64_t now);

/* Frees the engine and its configuration, sets both to NULL and gives the
 * log back to the default sink. */
void mp_unit_engine_free(struct mp_engine **eng, struct mp_config **cfg);

#endif
