#include "unit.h"

#include "duration.h"
#include "error.h"

static uint64_t parse_ok(const char *s)
{
	uint64_t ms = 12345;
	CU_ASSERT_EQUAL_FATAL(mp_duration_parse(s, &ms), MP_OK);
	return ms;
}

static void test_units(void)
{
	CU_ASSERT_EQUAL(parse_ok("250ms"), 250);
	CU_ASSERT_EQUAL(parse_ok("5s"), 5000);
	CU_ASSERT_EQUAL(parse_ok("2m"), 120000);
	CU_ASSERT_EQUAL(parse_ok("1h"), 3600000);
	CU_ASSERT_EQUAL(parse_ok("1d"), 86400000);
	CU_ASSERT_EQUAL(parse_ok("0s"), 0);
}

static void test_bare_seconds(void)
{
	CU_ASSERT_EQUAL(parse_ok("10"), 10000);
	CU_ASSERT_EQUAL(parse_ok("0"), 0);
}

static void test_combined(void)
{
	CU_ASSERT_EQUAL(parse_ok("1h30m"), 5400000);
	CU_ASSERT_EQUAL(parse_ok("1m500ms"), 60500);
}

static void test_invalid(void)
{
	uint64_t ms = 7;
	const char *bad[] = {"",   "s",	   "5x",  "5 s", "-5s", "5.5s", "1h30",
			     "ms", "5sec", "1m2", " 5s", "5s ", "5S"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(mp_duration_parse(bad[i], &ms), MP_EINVAL);
		CU_ASSERT_EQUAL(ms, 7); /* untouched on error */
	}
	CU_ASSERT_EQUAL(mp_duration_parse(NULL, &ms), MP_EINVAL);
}

static void test_overflow(void)
{
	uint64_t ms;
	CU_ASSERT_EQUAL(mp_duration_parse("99999999999999999999999s", &ms),
			MP_ERANGE);
	CU_ASSERT_EQUAL(mp_duration_parse("18446744073709551615d", &ms),
			MP_ERANGE);
}

static void test_format(void)
{
	char buf[32];
	CU_ASSERT_STRING_EQUAL(mp_duration_format(250, buf, sizeof(buf)),
			       "250ms");
	CU_ASSERT_STRING_EQUAL(mp_duration_format(5000, buf, sizeof(buf)),
			       "5s");
	CU_ASSERT_STRING_EQUAL(mp_duration_format(5400000, buf, sizeof(buf)),
			       "1h30m");
	CU_ASSERT_STRING_EQUAL(mp_duration_format(1500, buf, sizeof(buf)),
			       "1500ms");
	CU_ASSERT_STRING_EQUAL(mp_duration_format(0, buf, sizeof(buf)), "0s");
	/* format and parse round-trip */
	uint64_t vals[] = {1,
			   999,
			   1000,
			   61000,
			   3600000 + 1000,
			   86400000 * 3ULL,
			   UINT64_MAX,
			   UINT64_MAX - 1,
			   UINT64_MAX - UINT64_MAX % 1000,
			   UINT64_MAX / 10 * 10 + 1,
			   MP_DURATION_MAX_ADD_MS};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint64_t back;
		mp_duration_format(vals[i], buf, sizeof(buf));
		CU_ASSERT_EQUAL(mp_duration_parse(buf, &back), MP_OK);
		CU_ASSERT_EQUAL(back, vals[i]);
	}
}

/* The largest values parse exactly; one more is a range error. */
static void test_limits(void)
{
	uint64_t ms = 0;
	char buf[32];

	CU_ASSERT_EQUAL(mp_duration_parse("18446744073709551615ms", &ms),
			MP_OK);
	CU_ASSERT_EQUAL(ms, UINT64_MAX);
	CU_ASSERT_STRING_EQUAL(mp_duration_format(UINT64_MAX, buf, sizeof(buf)),
			       "18446744073709551615ms");
	CU_ASSERT_EQUAL(mp_duration_parse("18446744073709551616ms", &ms),
			MP_ERANGE);
	CU_ASSERT_EQUAL(mp_duration_parse("18446744073709551619ms", &ms),
			MP_ERANGE);
	CU_ASSERT_EQUAL(mp_duration_parse("18446744073709551620ms", &ms),
			MP_ERANGE);
	CU_ASSERT_EQUAL(mp_duration_parse("18446744073709551615s", &ms),
			MP_ERANGE);
	CU_ASSERT_EQUAL(mp_duration_parse("18446744073709551ms", &ms), MP_OK);
	CU_ASSERT_EQUAL(ms, 18446744073709551ULL);
}

static void test_human(void)
{
	char buf[32];
	CU_ASSERT_STRING_EQUAL(
	    mp_duration_human(7 * 3600000 + 12 * 60000 + 5000, buf,
			      sizeof(buf)),
	    "7h12m");
	CU_ASSERT_STRING_EQUAL(mp_duration_human(185000, buf, sizeof(buf)),
			       "3m5s");
	CU_ASSERT_STRING_EQUAL(mp_duration_human(12000, buf, sizeof(buf)),
			       "12s");
	CU_ASSERT_STRING_EQUAL(mp_duration_human(850, buf, sizeof(buf)),
			       "850ms");
	CU_ASSERT_STRING_EQUAL(mp_duration_human(7 * 3600000, buf, sizeof(buf)),
			       "7h");
}

static CU_TestInfo tests[] = {
    {"units", test_units},	 {"bare seconds", test_bare_seconds},
    {"combined", test_combined}, {"invalid", test_invalid},
    {"overflow", test_overflow}, {"format", test_format},
    {"human", test_human},	 {"limits", test_limits},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"duration", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
