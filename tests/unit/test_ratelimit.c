#include "unit.h"

#include "error.h"
#include "ratelimit.h"

#define S 1000ULL
#define MIN (60 * S)
#define HOUR (60 * MIN)
/* An arbitrary monotonic clock origin, not a multiple of an hour. */
#define T0 (123456789ULL)

static struct mp_ratelimit rl;
static struct mp_update_cfg cfg;
static enum mp_ratelimit_reason why;

static void setup(uint64_t min_interval_ms, unsigned max_per_hour)
{
	cfg.min_interval_ms = min_interval_ms;
	cfg.max_per_hour = max_per_hour;
	CU_ASSERT_EQUAL_FATAL(mp_ratelimit_init(&rl, &cfg), MP_OK);
}

static uint64_t next(uint64_t now)
{
	why = (enum mp_ratelimit_reason) - 1;
	return mp_ratelimit_next(&rl, &cfg, now, &why);
}

static void test_first_at_once(void)
{
	setup(5 * S, 60);
	CU_ASSERT_EQUAL(next(T0), T0);
	CU_ASSERT_EQUAL(why, MP_RL_OK);
	CU_ASSERT_EQUAL(next(0), 0);
	CU_ASSERT_EQUAL(why, MP_RL_OK);
	mp_ratelimit_free(&rl);
}

static void test_min_interval(void)
{
	setup(5 * S, 60);
	mp_ratelimit_record(&rl, T0);
	CU_ASSERT_EQUAL(next(T0), T0 + 5 * S);
	CU_ASSERT_EQUAL(why, MP_RL_MIN_INTERVAL);
	CU_ASSERT_EQUAL(next(T0 + 2 * S), T0 + 5 * S);
	CU_ASSERT_EQUAL(why, MP_RL_MIN_INTERVAL);
	CU_ASSERT_EQUAL(next(T0 + 5 * S - 1), T0 + 5 * S);
	CU_ASSERT_EQUAL(why, MP_RL_MIN_INTERVAL);
	CU_ASSERT_EQUAL(next(T0 + 5 * S), T0 + 5 * S);
	CU_ASSERT_EQUAL(why, MP_RL_OK);
	CU_ASSERT_EQUAL(next(T0 + 9 * S), T0 + 9 * S);
	CU_ASSERT_EQUAL(why, MP_RL_OK);

	/* It counts from the latest UPDATE. */
	mp_ratelimit_record(&rl, T0 + 9 * S);
	CU_ASSERT_EQUAL(next(T0 + 10 * S), T0 + 14 * S);
	CU_ASSERT_EQUAL(why, MP_RL_MIN_INTERVAL);

	/* why may be NULL. */
	CU_ASSERT_EQUAL(mp_ratelimit_next(&rl, &cfg, T0 + 10 * S, NULL),
			T0 + 14 * S);
	mp_ratelimit_free(&rl);
}

static void test_per_hour(void)
{
	setup(0, 3);
	mp_ratelimit_record(&rl, T0);
	CU_ASSERT_EQUAL(next(T0 + 1), T0 + 1);
	mp_ratelimit_record(&rl, T0 + 10 * S);
	CU_ASSERT_EQUAL(next(T0 + 10 * S), T0 + 10 * S);
	mp_ratelimit_record(&rl, T0 + 20 * S);

	/* The 4th waits until the first stamp is exactly one hour old. */
	CU_ASSERT_EQUAL(next(T0 + 20 * S), T0 + HOUR);
	CU_ASSERT_EQUAL(why, MP_RL_PER_HOUR);
	CU_ASSERT_EQUAL(next(T0 + HOUR - 1), T0 + HOUR);
	CU_ASSERT_EQUAL(why, MP_RL_PER_HOUR);
	CU_ASSERT_EQUAL(next(T0 + HOUR), T0 + HOUR);
	CU_ASSERT_EQUAL(why, MP_RL_OK);

	/* The 5th then waits for the second stamp. */
	mp_ratelimit_record(&rl, T0 + HOUR);
	CU_ASSERT_EQUAL(next(T0 + HOUR), T0 + 10 * S + HOUR);
	CU_ASSERT_EQUAL(why, MP_RL_PER_HOUR);
	mp_ratelimit_free(&rl);
}

static void test_sliding_window(void)
{
	/* Stamps at 00:59 and 01:01 of a clock hour. Fixed hour buckets would
	 * allow one more at 01:02 (the 01:00 bucket holds one); the sliding
	 * window still holds both and waits until 01:59. */
	setup(0, 2);
	mp_ratelimit_record(&rl, 59 * MIN);
	mp_ratelimit_record(&rl, 61 * MIN);
	CU_ASSERT_EQUAL(next(62 * MIN), 119 * MIN);
	CU_ASSERT_EQUAL(why, MP_RL_PER_HOUR);
	CU_ASSERT_EQUAL(next(119 * MIN), 119 * MIN);
	CU_ASSERT_EQUAL(why, MP_RL_OK);
	mp_ratelimit_free(&rl);
}

static void test_both_limits(void)
{
	setup(10 * MIN, 2);
	mp_ratelimit_record(&rl, T0);
	mp_ratelimit_record(&rl, T0 + 55 * MIN);
	/* min_interval: 01:05; hourly: 01:00 -> the later one applies. */
	CU_ASSERT_EQUAL(next(T0 + 56 * MIN), T0 + 65 * MIN);
	CU_ASSERT_EQUAL(why, MP_RL_MIN_INTERVAL);
	mp_ratelimit_free(&rl);

	setup(10 * MIN, 2);
	mp_ratelimit_record(&rl, T0);
	mp_ratelimit_record(&rl, T0 + 20 * MIN);
	/* min_interval: 00:30; hourly: 01:00. */
	CU_ASSERT_EQUAL(next(T0 + 21 * MIN), T0 + HOUR);
	CU_ASSERT_EQUAL(why, MP_RL_PER_HOUR);
	mp_ratelimit_free(&rl);

	/* A tie names the hourly limit. */
	setup(10 * MIN, 2);
	mp_ratelimit_record(&rl, T0);
	mp_ratelimit_record(&rl, T0 + 50 * MIN);
	CU_ASSERT_EQUAL(next(T0 + 51 * MIN), T0 + HOUR);
	CU_ASSERT_EQUAL(why, MP_RL_PER_HOUR);
	mp_ratelimit_free(&rl);
}

static void test_bypass_counts(void)
{
	/* Operator drains bypass the limits but are recorded: three of them
	 * in a row use up this hour for routine updates. */
	setup(5 * S, 3);
	mp_ratelimit_record(&rl, T0);
	mp_ratelimit_record(&rl, T0 + 1);
	mp_ratelimit_record(&rl, T0 + 2);
	CU_ASSERT_EQUAL(next(T0 + MIN), T0 + HOUR);
	CU_ASSERT_EQUAL(why, MP_RL_PER_HOUR);
	/* And min_interval runs from the last of them. */
	mp_ratelimit_free(&rl);
	setup(5 * S, 60);
	mp_ratelimit_record(&rl, T0 + 2);
	CU_ASSERT_EQUAL(next(T0 + 3), T0 + 2 + 5 * S);
	CU_ASSERT_EQUAL(why, MP_RL_MIN_INTERVAL);
	mp_ratelimit_free(&rl);
}

static void test_large_capacity(void)
{
	setup(0, 3600);
	for (uint64_t i = 0; i < 3600; i++) {
		CU_ASSERT_EQUAL(next(T0 + i * S), T0 + i * S);
		mp_ratelimit_record(&rl, T0 + i * S);
	}
	CU_ASSERT_EQUAL(next(T0 + 3599 * S), T0 + HOUR);
	CU_ASSERT_EQUAL(why, MP_RL_PER_HOUR);
	mp_ratelimit_record(&rl, T0 + HOUR);
	CU_ASSERT_EQUAL(next(T0 + HOUR), T0 + S + HOUR);
	CU_ASSERT_EQUAL(why, MP_RL_PER_HOUR);
	mp_ratelimit_free(&rl);
}

static void test_no_hourly_limit(void)
{
	setup(S, 0);
	for (uint64_t i = 0; i < 10000; i++)
		mp_ratelimit_record(&rl, T0 + i * S);
	CU_ASSERT_EQUAL(next(T0 + 10000 * S), T0 + 10000 * S);
	CU_ASSERT_EQUAL(why, MP_RL_OK);
	CU_ASSERT_EQUAL(next(T0 + 9999 * S), T0 + 10000 * S);
	CU_ASSERT_EQUAL(why, MP_RL_MIN_INTERVAL);
	mp_ratelimit_free(&rl);
}

static void test_resize(void)
{
	setup(0, 3);
	mp_ratelimit_record(&rl, T0);
	mp_ratelimit_record(&rl, T0 + 10 * S);
	mp_ratelimit_record(&rl, T0 + 20 * S);

	/* Lower: the two most recent stamps carry over. */
	cfg.max_per_hour = 2;
	CU_ASSERT_EQUAL_FATAL(mp_ratelimit_resize(&rl, &cfg), MP_OK);
	CU_ASSERT_EQUAL(rl.cap, 2);
	CU_ASSERT_EQUAL(next(T0 + MIN), T0 + 10 * S + HOUR);
	CU_ASSERT_EQUAL(why, MP_RL_PER_HOUR);

	/* Raise: room for more, the history stays. */
	cfg.max_per_hour = 4;
	CU_ASSERT_EQUAL_FATAL(mp_ratelimit_resize(&rl, &cfg), MP_OK);
	CU_ASSERT_EQUAL(rl.n, 2);
	CU_ASSERT_EQUAL(next(T0 + MIN), T0 + MIN);
	mp_ratelimit_record(&rl, T0 + MIN);
	mp_ratelimit_record(&rl, T0 + 2 * MIN);
	CU_ASSERT_EQUAL(next(T0 + 3 * MIN), T0 + 10 * S + HOUR);
	CU_ASSERT_EQUAL(why, MP_RL_PER_HOUR);

	/* The last send time carries over too. */
	cfg.min_interval_ms = 5 * MIN;
	cfg.max_per_hour = 100;
	CU_ASSERT_EQUAL_FATAL(mp_ratelimit_resize(&rl, &cfg), MP_OK);
	CU_ASSERT_EQUAL(next(T0 + 3 * MIN), T0 + 7 * MIN);
	CU_ASSERT_EQUAL(why, MP_RL_MIN_INTERVAL);
	mp_ratelimit_free(&rl);
}

static void test_lower_cfg_without_resize(void)
{
	setup(0, 5);
	mp_ratelimit_record(&rl, T0);
	mp_ratelimit_record(&rl, T0 + S);
	cfg.max_per_hour = 2;
	CU_ASSERT_EQUAL(next(T0 + 2 * S), T0 + HOUR);
	CU_ASSERT_EQUAL(why, MP_RL_PER_HOUR);
	mp_ratelimit_free(&rl);
}

static void test_limited_flag(void)
{
	setup(5 * S, 60);
	rl.limited = true;
	mp_ratelimit_record(&rl, T0);
	CU_ASSERT_FALSE(rl.limited);
	mp_ratelimit_free(&rl);
	CU_ASSERT_PTR_NULL(rl.stamps);
}

static CU_TestInfo tests[] = {
    {"first update at once", test_first_at_once},
    {"min_interval", test_min_interval},
    {"max_per_hour", test_per_hour},
    {"sliding window", test_sliding_window},
    {"both limits", test_both_limits},
    {"bypassed updates count", test_bypass_counts},
    {"capacity 3600", test_large_capacity},
    {"no hourly limit", test_no_hourly_limit},
    {"resize", test_resize},
    {"lower limit without resize", test_lower_cfg_without_resize},
    {"limited flag", test_limited_flag},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"ratelimit", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
