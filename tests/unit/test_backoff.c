#include "unit.h"

#include "backoff.h"

static void test_base_doubles_to_cap(void)
{
	static const uint64_t want[] = {1000,  2000,  4000,  8000,
					16000, 32000, 60000, 60000};
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CU_ASSERT_EQUAL(mp_backoff_delay(i, NULL), want[i]);
	CU_ASSERT_EQUAL(mp_backoff_delay(100, NULL), 60000);
	CU_ASSERT_EQUAL(mp_backoff_delay(~0u, NULL), 60000);
}

static void test_jitter_bounds(void)
{
	/* 1 s: uniform over [800, 1200], 401 values. */
	CU_ASSERT_EQUAL(mp_backoff_delay(0, mp_unit_rnd_zero), 800);
	CU_ASSERT_EQUAL(mp_unit_rnd_upper, 401);
	CU_ASSERT_EQUAL(mp_backoff_delay(0, mp_unit_rnd_top), 1200);
	CU_ASSERT_EQUAL(mp_backoff_delay(0, mp_unit_rnd_mid), 1000);
	/* 32 s: [25600, 38400]. */
	CU_ASSERT_EQUAL(mp_backoff_delay(5, mp_unit_rnd_zero), 25600);
	CU_ASSERT_EQUAL(mp_backoff_delay(5, mp_unit_rnd_top), 38400);
}

static void test_cap_jitters_downwards(void)
{
	/* At the cap: [48000, 60000], never above 60 s. */
	CU_ASSERT_EQUAL(mp_backoff_delay(6, mp_unit_rnd_zero), 48000);
	CU_ASSERT_EQUAL(mp_unit_rnd_upper, 12001);
	CU_ASSERT_EQUAL(mp_backoff_delay(6, mp_unit_rnd_top), 60000);
	CU_ASSERT_EQUAL(mp_backoff_delay(40, mp_unit_rnd_top), 60000);
}

static CU_TestInfo tests[] = {
    {"base doubles to the cap", test_base_doubles_to_cap},
    {"jitter is +-20%", test_jitter_bounds},
    {"cap jitters downwards only", test_cap_jitters_downwards},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"backoff", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
