/* Shared CUnit runner for the unit suites. */
#ifndef MP_UNIT_H
#define MP_UNIT_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdint.h>

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

#endif
