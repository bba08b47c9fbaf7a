#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "health.h"

static struct mp_check_cfg ccfg;
static const struct mp_damping_cfg dcfg = {
    .penalty = 1000,
    .suppress = 2000,
    .reuse = 750,
    .half_life_ms = 900000,
    .max_suppress_ms = 3600000,
};

static int setup(void)
{
	memset(&ccfg, 0, sizeof(ccfg));
	ccfg.rise = 2;
	ccfg.fall = 3;
	ccfg.interval_ms = 10000;
	ccfg.fast_interval_ms = 2000;
	return 0;
}

static uint64_t now;

static enum mp_health_change rec(struct mp_health *h, bool ok,
				 enum mp_damping_change *dc)
{
	struct mp_check_result r;

	memset(&r, 0, sizeof(r));
	r.ok = ok;
	snprintf(r.detail, sizeof(r.detail), "%s",
		 ok ? "HTTP 200" : "HTTP 503");
	r.latency_ms = ok ? 35 : 12;
	now += 1000;
	r.at_ms = now;
	return mp_health_record(h, &ccfg, &dcfg, &r, dc);
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(mp_health_state_name(MP_HEALTH_UNKNOWN),
			       "unknown");
	CU_ASSERT_STRING_EQUAL(mp_health_state_name(MP_HEALTH_UP), "up");
	CU_ASSERT_STRING_EQUAL(mp_health_state_name(MP_HEALTH_DOWN), "down");
}

static void test_init(void)
{
	struct mp_health h;

	memset(&h, 0x77, sizeof(h));
	mp_health_init(&h);
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_UNKNOWN);
	CU_ASSERT_EQUAL(h.consecutive_ok, 0);
	CU_ASSERT_EQUAL(h.consecutive_fail, 0);
	CU_ASSERT_FALSE(h.has_result);
	CU_ASSERT_EQUAL(h.last_ok_at_ms, 0);
	CU_ASSERT_FALSE(h.damping.suppressed);
	CU_ASSERT_EQUAL(h.damping.figure, 0.0);
}

static void test_fall_edges(void)
{
	struct mp_health h;
	enum mp_damping_change dc;

	now = 0;
	mp_health_init(&h);
	mp_health_adopt(&h, true, 0);
	/* fall - 1 failures keep it up */
	CU_ASSERT_EQUAL(rec(&h, false, &dc), MP_HEALTH_SAME);
	CU_ASSERT_EQUAL(rec(&h, false, &dc), MP_HEALTH_SAME);
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_UP);
	CU_ASSERT_EQUAL(h.consecutive_fail, 2);
	/* a success in between resets the count */
	CU_ASSERT_EQUAL(rec(&h, true, &dc), MP_HEALTH_SAME);
	CU_ASSERT_EQUAL(h.consecutive_fail, 0);
	CU_ASSERT_EQUAL(h.consecutive_ok, 1);
	CU_ASSERT_EQUAL(rec(&h, false, &dc), MP_HEALTH_SAME);
	CU_ASSERT_EQUAL(rec(&h, false, &dc), MP_HEALTH_SAME);
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_UP);
	/* the fall-th makes it down */
	CU_ASSERT_EQUAL(rec(&h, false, &dc), MP_HEALTH_WENT_DOWN);
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_DOWN);
	CU_ASSERT_EQUAL(h.consecutive_fail, 3);
	CU_ASSERT_EQUAL(h.changed_at_ms, 6000);
	CU_ASSERT_EQUAL(h.last_ok_at_ms, 3000);
	CU_ASSERT_TRUE(h.has_result);
	CU_ASSERT_FALSE(h.last.ok);
	CU_ASSERT_STRING_EQUAL(h.last.detail, "HTTP 503");
	CU_ASSERT_EQUAL(h.last.latency_ms, 12);
	CU_ASSERT_EQUAL(h.last.at_ms, 6000);
	/* more failures change nothing */
	CU_ASSERT_EQUAL(rec(&h, false, &dc), MP_HEALTH_SAME);
	CU_ASSERT_EQUAL(h.consecutive_fail, 4);
	CU_ASSERT_EQUAL(h.changed_at_ms, 6000);
}

static void test_rise_edges(void)
{
	struct mp_health h;

	now = 0;
	mp_health_init(&h);
	mp_health_adopt(&h, false, 0);
	CU_ASSERT_EQUAL(rec(&h, true, NULL), MP_HEALTH_SAME);
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_DOWN);
	CU_ASSERT_EQUAL(rec(&h, false, NULL), MP_HEALTH_SAME);
	CU_ASSERT_EQUAL(h.consecutive_ok, 0);
	CU_ASSERT_EQUAL(rec(&h, true, NULL), MP_HEALTH_SAME);
	CU_ASSERT_EQUAL(rec(&h, true, NULL), MP_HEALTH_WENT_UP);
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_UP);
	CU_ASSERT_EQUAL(h.changed_at_ms, 4000);
	CU_ASSERT_EQUAL(h.last_ok_at_ms, 4000);
	CU_ASSERT_EQUAL(rec(&h, true, NULL), MP_HEALTH_SAME);
	CU_ASSERT_EQUAL(h.consecutive_ok, 3);
}

static void test_unknown_up(void)
{
	struct mp_health h;

	now = 0;
	mp_health_init(&h);
	CU_ASSERT_EQUAL(rec(&h, true, NULL), MP_HEALTH_SAME);
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_UNKNOWN);
	CU_ASSERT_EQUAL(rec(&h, true, NULL), MP_HEALTH_WENT_UP);
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_UP);
	/* adoption is a no-op once known */
	CU_ASSERT_FALSE(mp_health_adopt(&h, false, 99000));
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_UP);
	CU_ASSERT_EQUAL(h.changed_at_ms, 2000);
}

static void test_unknown_down(void)
{
	struct mp_health h;
	enum mp_damping_change dc = MP_DAMPING_SUPPRESSED;

	now = 0;
	mp_health_init(&h);
	CU_ASSERT_EQUAL(rec(&h, false, &dc), MP_HEALTH_SAME);
	CU_ASSERT_EQUAL(rec(&h, false, &dc), MP_HEALTH_SAME);
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_UNKNOWN);
	CU_ASSERT_EQUAL(rec(&h, false, &dc), MP_HEALTH_WENT_DOWN);
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_DOWN);
	/* a first verdict is not a flap: no penalty */
	CU_ASSERT_EQUAL(dc, MP_DAMPING_NONE);
	CU_ASSERT_EQUAL(h.damping.figure, 0.0);
	CU_ASSERT_FALSE(mp_health_adopt(&h, true, 99000));
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_DOWN);
}

static void test_adopt(void)
{
	struct mp_health h;

	mp_health_init(&h);
	CU_ASSERT_TRUE(mp_health_adopt(&h, true, 5000));
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_UP);
	CU_ASSERT_EQUAL(h.changed_at_ms, 5000);
	CU_ASSERT_FALSE(mp_health_adopt(&h, false, 6000));
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_UP);
	CU_ASSERT_EQUAL(h.changed_at_ms, 5000);

	mp_health_init(&h);
	CU_ASSERT_TRUE(mp_health_adopt(&h, false, 7000));
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_DOWN);
	CU_ASSERT_FALSE(mp_health_adopt(&h, true, 8000));
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_DOWN);
	/* adopting is not a flap either */
	CU_ASSERT_EQUAL(h.damping.figure, 0.0);
}

static void test_damping_on_up_down_only(void)
{
	struct mp_health h;
	enum mp_damping_change dc;

	now = 0;
	mp_health_init(&h);
	mp_health_adopt(&h, true, 0);
	rec(&h, false, &dc);
	rec(&h, false, &dc);
	CU_ASSERT_EQUAL(h.damping.figure, 0.0);
	CU_ASSERT_EQUAL(rec(&h, false, &dc), MP_HEALTH_WENT_DOWN);
	CU_ASSERT_EQUAL(dc, MP_DAMPING_NONE);
	CU_ASSERT_EQUAL(h.damping.figure, 1000.0);
	CU_ASSERT_EQUAL(h.damping.at_ms, 3000);
	/* down -> up adds nothing */
	rec(&h, true, &dc);
	CU_ASSERT_EQUAL(rec(&h, true, &dc), MP_HEALTH_WENT_UP);
	CU_ASSERT_EQUAL(h.damping.figure, 1000.0);
	CU_ASSERT_EQUAL(h.damping.at_ms, 3000);
	/* without a damping config, nothing is recorded */
	struct mp_check_result r = {.ok = false, .at_ms = 10000};
	for (int i = 0; i < 3; i++)
		mp_health_record(&h, &ccfg, NULL, &r, &dc);
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_DOWN);
	CU_ASSERT_EQUAL(dc, MP_DAMPING_NONE);
	CU_ASSERT_EQUAL(h.damping.figure, 1000.0);
}

static void test_changing(void)
{
	struct mp_health h;

	now = 0;
	mp_health_init(&h);
	CU_ASSERT_TRUE(mp_health_changing(&h)); /* unknown */
	mp_health_adopt(&h, true, 0);
	CU_ASSERT_FALSE(mp_health_changing(&h));
	rec(&h, true, NULL);
	CU_ASSERT_FALSE(mp_health_changing(&h));
	rec(&h, false, NULL);
	CU_ASSERT_TRUE(mp_health_changing(&h));
	rec(&h, false, NULL);
	CU_ASSERT_TRUE(mp_health_changing(&h));
	rec(&h, false, NULL); /* down now */
	CU_ASSERT_FALSE(mp_health_changing(&h));
	rec(&h, true, NULL);
	CU_ASSERT_TRUE(mp_health_changing(&h));
	rec(&h, true, NULL); /* up */
	CU_ASSERT_FALSE(mp_health_changing(&h));
}

static void test_next_delay(void)
{
	struct mp_health h;

	now = 0;
	mp_health_init(&h);
	mp_health_adopt(&h, true, 0);
	/* steady: interval 10 s +- 10% */
	CU_ASSERT_EQUAL(mp_health_next_delay(&h, &ccfg, mp_unit_rnd_zero),
			9000);
	CU_ASSERT_EQUAL(mp_unit_rnd_upper, 2001);
	CU_ASSERT_EQUAL(mp_health_next_delay(&h, &ccfg, mp_unit_rnd_top),
			11000);
	CU_ASSERT_EQUAL(mp_health_next_delay(&h, &ccfg, mp_unit_rnd_mid),
			10000);
	CU_ASSERT_EQUAL(mp_health_next_delay(&h, &ccfg, NULL), 10000);
	/* changing: fast_interval 2 s +- 10% */
	rec(&h, false, NULL);
	CU_ASSERT_EQUAL(mp_health_next_delay(&h, &ccfg, mp_unit_rnd_zero),
			1800);
	CU_ASSERT_EQUAL(mp_unit_rnd_upper, 401);
	CU_ASSERT_EQUAL(mp_health_next_delay(&h, &ccfg, mp_unit_rnd_top), 2200);
	/* unknown checks fast too */
	mp_health_init(&h);
	CU_ASSERT_EQUAL(mp_health_next_delay(&h, &ccfg, mp_unit_rnd_top), 2200);
	/* tiny intervals: no jitter to apply */
	ccfg.fast_interval_ms = 9;
	mp_unit_rnd_upper = 0;
	CU_ASSERT_EQUAL(mp_health_next_delay(&h, &ccfg, mp_unit_rnd_top), 9);
	CU_ASSERT_EQUAL(mp_unit_rnd_upper, 0);
	/* a 1-day interval stays within rnd's 32-bit bound */
	ccfg.interval_ms = 86400000;
	mp_health_adopt(&h, false, 0);
	CU_ASSERT_EQUAL(mp_health_next_delay(&h, &ccfg, mp_unit_rnd_top),
			95040000);
	CU_ASSERT_EQUAL(mp_health_next_delay(&h, &ccfg, mp_unit_rnd_zero),
			77760000);
	setup();
}

static void test_rise_fall_one(void)
{
	struct mp_health h;

	ccfg.rise = 1;
	ccfg.fall = 1;
	now = 0;
	mp_health_init(&h);
	CU_ASSERT_EQUAL(rec(&h, false, NULL), MP_HEALTH_WENT_DOWN);
	CU_ASSERT_EQUAL(rec(&h, true, NULL), MP_HEALTH_WENT_UP);
	CU_ASSERT_EQUAL(rec(&h, false, NULL), MP_HEALTH_WENT_DOWN);
	/* 0 is treated as 1 rather than flipping on no evidence */
	ccfg.rise = 0;
	CU_ASSERT_EQUAL(rec(&h, true, NULL), MP_HEALTH_WENT_UP);
	setup();
}

static CU_TestInfo tests[] = {
    {"state names", test_names},
    {"init", test_init},
    {"fall edges", test_fall_edges},
    {"rise edges", test_rise_edges},
    {"unknown -> up after rise", test_unknown_up},
    {"unknown -> down after fall", test_unknown_down},
    {"start-up adoption", test_adopt},
    {"damping on up -> down only", test_damping_on_up_down_only},
    {"changing", test_changing},
    {"next delay and jitter", test_next_delay},
    {"rise/fall of one", test_rise_fall_one},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"health", setup, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
