/* Shared CUnit runner for the unit suites. */
#ifndef MP_UNIT_H
#define MP_UNIT_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdint.h>

#include "log.h"
#include "timebase.h"

/* Registers suites (CU_SuiteInfo array ending in CU_SUITE_INFO_NULL), runs
 * them verbosely and returns the process exit status: 0 only when every
 * test ran and passed, and at least one test ran. */
int mp_unit_run(CU_SuiteInfo *suites);

/* Path of a fixture under tests/fixtures (uses $top_srcdir when set).
 * Returns a static buffer. */
const char *mp_unit_fixture(const char *name);

/* A fresh private temporary directory for this test binary (removed at exit
 * when empty of subdirectories; files inside are removed). */
const char *mp_unit_tmpdir(void);

/* Writes content to dir/name with the given mode; returns the full path in a
 * static rotating buffer (valid for the next 8 calls). */
const char *mp_unit_write_file(const char *name, const char *content,
			       unsigned mode);

/* xorshift32: the next number of a deterministic sequence (for garbage
 * input that is the same on every run); *state must not be 0. */
uint32_t mp_unit_xorshift(uint32_t *state);

/* Random functions for the code under test: the lowest, the highest and the
 * middle value below upper. Each keeps the upper it was asked for in
 * mp_unit_rnd_upper (left alone when none is called). */
extern uint32_t mp_unit_rnd_upper;
uint32_t mp_unit_rnd_zero(uint32_t upper);
uint32_t mp_unit_rnd_top(uint32_t upper);
uint32_t mp_unit_rnd_mid(uint32_t upper);

/* Both clocks at ms (suites that step one clock build their own). */
struct mp_time mp_unit_at(uint64_t ms);

/* The log as the code under test wrote it, one message a line, cut off
 * when it reaches MP_UNIT_LOG_SIZE - 1 characters. Empty it by writing
 * '\0' to mp_unit_log[0]. */
#define MP_UNIT_LOG_SIZE 65536
extern char mp_unit_log[MP_UNIT_LOG_SIZE];

/* Log sinks appending to mp_unit_log: the message alone, or the message
 * followed by its journal fields when it has them, as
 * " [POOL=... MIRROR=... ADDRESS=... CALLER_UID=...]". */
void mp_unit_log_capture(int prio, const struct mp_log_fields *f,
			 const char *msg, void *arg);
void mp_unit_log_capture_fields(int prio, const struct mp_log_fields *f,
				const char *msg, void *arg);

/* A log sink that drops every message (for suites that assert on none). */
void mp_unit_log_discard(int prio, const struct mp_log_fields *f,
			 const char *msg, void *arg);

/* Empties mp_unit_log and sends every message, debug ones included, to
 * sink (mp_unit_log_capture, mp_unit_log_capture_fields or
 * mp_unit_log_discard). */
void mp_unit_log_start(mp_log_sink_fn sink);

#endif
