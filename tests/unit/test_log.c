#include "unit.h"

#include "log.h"

#include <stdio.h>
#include <string.h>

static char last[4096];
static int last_prio = -1, calls;
static struct mp_log_fields last_fields;

static void capture(int prio, const struct mp_log_fields *f, const char *msg,
		    void *arg)
{
	(void)arg;
	last_prio = prio;
	snprintf(last, sizeof(last), "%s", msg);
	if (f)
		last_fields = *f;
	calls++;
}

static void test_levels(void)
{
	mp_log_set_sink(capture, NULL);
	mp_log_set_level(LOG_INFO);
	calls = 0;
	mp_log(LOG_DEBUG, "hidden %d", 1);
	CU_ASSERT_EQUAL(calls, 0);
	mp_log(LOG_INFO, "shown %d", 2);
	CU_ASSERT_EQUAL(calls, 1);
	CU_ASSERT_STRING_EQUAL(last, "shown 2");
	CU_ASSERT_EQUAL(last_prio, LOG_INFO);
	mp_log_set_level(LOG_DEBUG);
	mp_log(LOG_DEBUG, "now shown");
	CU_ASSERT_EQUAL(calls, 2);
	mp_log_set_sink(NULL, NULL);
}

static void test_fields(void)
{
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;
	mp_log_set_sink(capture, NULL);
	mp_log_set_level(LOG_INFO);
	f.pool = "dl.example.org.";
	f.mirror = "mirror2";
	f.address = "192.0.2.20";
	mp_logf(LOG_NOTICE, &f, "%s %s: up -> down", f.mirror, f.address);
	CU_ASSERT_STRING_EQUAL(last, "mirror2 192.0.2.20: up -> down");
	CU_ASSERT_STRING_EQUAL(last_fields.mirror, "mirror2");
	CU_ASSERT_EQUAL(last_fields.caller_uid, -1);
	mp_log_set_sink(NULL, NULL);
}

static void test_one_line(void)
{
	mp_log_set_sink(capture, NULL);
	mp_log(LOG_ERR, "a\nb\rc");
	CU_ASSERT_STRING_EQUAL(last, "a b c");
	mp_log_set_sink(NULL, NULL);
}

static void test_level_names(void)
{
	CU_ASSERT_EQUAL(mp_log_level_parse("debug"), LOG_DEBUG);
	CU_ASSERT_EQUAL(mp_log_level_parse("info"), LOG_INFO);
	CU_ASSERT_EQUAL(mp_log_level_parse("notice"), LOG_NOTICE);
	CU_ASSERT_EQUAL(mp_log_level_parse("warning"), LOG_WARNING);
	CU_ASSERT_EQUAL(mp_log_level_parse("err"), LOG_ERR);
	CU_ASSERT_EQUAL(mp_log_level_parse("loud"), -1);
	CU_ASSERT_STRING_EQUAL(mp_log_level_name(LOG_WARNING), "warning");
}

static CU_TestInfo tests[] = {
    {"levels", test_levels},	 {"fields", test_fields},
    {"one line", test_one_line}, {"level names", test_level_names},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"log", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
