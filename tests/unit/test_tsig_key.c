#include "unit.h"

static void test_placeholder(void)
{
	CU_FAIL("not written yet");
}

static CU_TestInfo tests[] = {
	{"placeholder", test_placeholder},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"tsig_key", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
