#include "unit.h"

#include <math.h>
#include <string.h>

#include "damping.h"
#include "health.h"

#define HL 900000ULL	/* 15m */
#define MAXS 3600000ULL /* 1h */

static const struct mp_damping_cfg dcfg = {
    .penalty = 1000,
    .suppress = 2000,
    .reuse = 750,
    .half_life_ms = HL,
    .max_suppress_ms = MAXS,
};

#define CU_ASSERT_NEAR(a, b) CU_ASSERT_DOUBLE_EQUAL((a), (b), 1e-6)

static void test_init(void)
{
	struct mp_damping d;

	memset(&d, 0x5a, sizeof(d));
	mp_damping_init(&d);
	CU_ASSERT_FALSE(d.suppressed);
	CU_ASSERT_EQUAL(d.figure, 0.0);
	CU_ASSERT_EQUAL(mp_damping_figure(&d, &dcfg, 123456), 0.0);
	CU_ASSERT_EQUAL(mp_damping_reuse_at(&d, &dcfg), 0);
	CU_ASSERT_EQUAL(mp_damping_update(&d, &dcfg, 999999), MP_DAMPING_NONE);
}

static void test_half_life(void)
{
	struct mp_damping d;
	const uint64_t t0 = 1000000;

	mp_damping_init(&d);
	CU_ASSERT_EQUAL(mp_damping_penalize(&d, &dcfg, t0), MP_DAMPING_NONE);
	CU_ASSERT_NEAR(mp_damping_figure(&d, &dcfg, t0), 1000.0);
	CU_ASSERT_NEAR(mp_damping_figure(&d, &dcfg, t0 + HL), 500.0);
	CU_ASSERT_NEAR(mp_damping_figure(&d, &dcfg, t0 + 2 * HL), 250.0);
	CU_ASSERT_NEAR(mp_damping_figure(&d, &dcfg, t0 + HL / 2),
		       1000.0 / sqrt(2.0));
	/* the figure is a pure function of time: reading it changes nothing */
	CU_ASSERT_NEAR(d.figure, 1000.0);
	CU_ASSERT_EQUAL(d.at_ms, t0);
	/* a second penalty adds to the decayed value */
	mp_damping_penalize(&d, &dcfg, t0 + HL);
	CU_ASSERT_NEAR(mp_damping_figure(&d, &dcfg, t0 + HL), 1500.0);
	CU_ASSERT_NEAR(mp_damping_figure(&d, &dcfg, t0 + 2 * HL), 750.0);
	CU_ASSERT_FALSE(d.suppressed);
}

static void test_suppress_third_quick_flap(void)
{
	struct mp_damping d;

	mp_damping_init(&d);
	CU_ASSERT_EQUAL(mp_damping_penalize(&d, &dcfg, 10000), MP_DAMPING_NONE);
	CU_ASSERT_FALSE(d.suppressed);
	CU_ASSERT_EQUAL(mp_damping_penalize(&d, &dcfg, 20000), MP_DAMPING_NONE);
	CU_ASSERT_FALSE(d.suppressed);
	CU_ASSERT_NEAR(mp_damping_figure(&d, &dcfg, 20000),
		       1000.0 * exp2(-10000.0 / HL) + 1000.0);
	CU_ASSERT_EQUAL(mp_damping_penalize(&d, &dcfg, 30000),
			MP_DAMPING_SUPPRESSED);
	CU_ASSERT_TRUE(d.suppressed);
	CU_ASSERT_EQUAL(d.suppressed_since_ms, 30000);
	/* a fourth penalty while suppressed is no new change */
	CU_ASSERT_EQUAL(mp_damping_penalize(&d, &dcfg, 40000), MP_DAMPING_NONE);
	CU_ASSERT_TRUE(d.suppressed);
	CU_ASSERT_EQUAL(d.suppressed_since_ms, 30000);
}

static void test_suppress_is_strict(void)
{
	struct mp_damping d;

	/* two penalties in the same millisecond: exactly 2000, not above */
	mp_damping_init(&d);
	mp_damping_penalize(&d, &dcfg, 5000);
	CU_ASSERT_EQUAL(mp_damping_penalize(&d, &dcfg, 5000), MP_DAMPING_NONE);
	CU_ASSERT_EQUAL(mp_damping_figure(&d, &dcfg, 5000), 2000.0);
	CU_ASSERT_FALSE(d.suppressed);
	CU_ASSERT_EQUAL(mp_damping_penalize(&d, &dcfg, 5000),
			MP_DAMPING_SUPPRESSED);
}

static void test_reuse_exact(void)
{
	struct mp_damping d;
	const uint64_t t0 = 7000;

	/* 3000 needs exactly two half-lives to reach 750 */
	mp_damping_init(&d);
	mp_damping_penalize(&d, &dcfg, t0);
	mp_damping_penalize(&d, &dcfg, t0);
	mp_damping_penalize(&d, &dcfg, t0);
	CU_ASSERT_TRUE_FATAL(d.suppressed);
	CU_ASSERT_EQUAL(mp_damping_reuse_at(&d, &dcfg), t0 + 2 * HL);
	CU_ASSERT_EQUAL(mp_damping_update(&d, &dcfg, t0 + HL), MP_DAMPING_NONE);
	CU_ASSERT_EQUAL(mp_damping_update(&d, &dcfg, t0 + 2 * HL - 1),
			MP_DAMPING_NONE);
	CU_ASSERT_TRUE(d.suppressed);
	CU_ASSERT_EQUAL(mp_damping_update(&d, &dcfg, t0 + 2 * HL),
			MP_DAMPING_REUSED);
	CU_ASSERT_FALSE(d.suppressed);
	CU_ASSERT_EQUAL(mp_damping_reuse_at(&d, &dcfg), 0);
	CU_ASSERT_EQUAL(mp_damping_update(&d, &dcfg, t0 + 2 * HL + 1),
			MP_DAMPING_NONE);
	/* the history is not forgotten: one more flap is 750 + 1000 */
	CU_ASSERT_EQUAL(mp_damping_penalize(&d, &dcfg, t0 + 2 * HL),
			MP_DAMPING_NONE);
	CU_ASSERT_NEAR(mp_damping_figure(&d, &dcfg, t0 + 2 * HL), 1750.0);
}

static void test_reuse_rounds_up(void)
{
	struct mp_damping d;
	uint64_t at;

	/* 2500: reuse at ceil(900000 * log2(2500/750)) = 1563270 ms */
	mp_damping_restore(&d, &dcfg, 2500.0, 0, true, 0);
	at = mp_damping_reuse_at(&d, &dcfg);
	CU_ASSERT_EQUAL(at, 1563270);
	CU_ASSERT(mp_damping_figure(&d, &dcfg, at - 1) > 750.0);
	CU_ASSERT(mp_damping_figure(&d, &dcfg, at) < 750.0);
	CU_ASSERT_EQUAL(mp_damping_update(&d, &dcfg, at - 1), MP_DAMPING_NONE);
	CU_ASSERT_EQUAL(mp_damping_update(&d, &dcfg, at), MP_DAMPING_REUSED);
}

static void test_max_suppress_cap(void)
{
	struct mp_damping d;
	const uint64_t t0 = 50000;

	/* ceiling = 750 * 2^(1h / 15m) = 12000 */
	mp_damping_init(&d);
	for (int i = 0; i < 30; i++)
		mp_damping_penalize(&d, &dcfg, t0 + (uint64_t)i);
	CU_ASSERT_EQUAL(mp_damping_figure(&d, &dcfg, t0 + 29), 12000.0);
	CU_ASSERT_EQUAL(mp_damping_reuse_at(&d, &dcfg), t0 + 29 + MAXS);
	CU_ASSERT_EQUAL(mp_damping_update(&d, &dcfg, t0 + 29 + MAXS - 1),
			MP_DAMPING_NONE);
	CU_ASSERT_EQUAL(mp_damping_update(&d, &dcfg, t0 + 29 + MAXS),
			MP_DAMPING_REUSED);

	/* a shorter max_suppress lowers the ceiling: 750 * 2^2 = 3000 */
	struct mp_damping_cfg c = dcfg;
	c.max_suppress_ms = 2 * HL;
	mp_damping_init(&d);
	for (int i = 0; i < 5; i++)
		mp_damping_penalize(&d, &c, t0);
	CU_ASSERT_EQUAL(mp_damping_figure(&d, &c, t0), 3000.0);
	CU_ASSERT_TRUE(d.suppressed);
	CU_ASSERT_EQUAL(mp_damping_reuse_at(&d, &c), t0 + 2 * HL);

	/* a ceiling below suppress means damping can never suppress */
	c.max_suppress_ms = HL; /* ceiling 1500 */
	mp_damping_init(&d);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(mp_damping_penalize(&d, &c, t0),
				MP_DAMPING_NONE);
	CU_ASSERT_EQUAL(mp_damping_figure(&d, &c, t0), 1500.0);
	CU_ASSERT_FALSE(d.suppressed);
}

static void test_restore(void)
{
	struct mp_damping d;

	/* a figure persisted under a larger config is capped */
	mp_damping_restore(&d, &dcfg, 50000.0, 1000, true, 900);
	CU_ASSERT_EQUAL(d.figure, 12000.0);
	CU_ASSERT_EQUAL(d.at_ms, 1000);
	CU_ASSERT_TRUE(d.suppressed);
	CU_ASSERT_EQUAL(d.suppressed_since_ms, 900);
	CU_ASSERT_EQUAL(mp_damping_reuse_at(&d, &dcfg), 1000 + MAXS);
	CU_ASSERT_NEAR(mp_damping_figure(&d, &dcfg, 1000 + HL), 6000.0);

	mp_damping_restore(&d, &dcfg, -3.0, 1000, false, 900);
	CU_ASSERT_EQUAL(d.figure, 0.0);
	CU_ASSERT_EQUAL(d.suppressed_since_ms, 0);
	mp_damping_restore(&d, &dcfg, NAN, 1000, false, 0);
	CU_ASSERT_EQUAL(d.figure, 0.0);
}

/*
 * A mirror flapping every 5 seconds, driven through the health state
 * machine (rise 1, fall 1): up at 0, down at 5 s, up at 10 s, down at 15 s,
 * up at 20 s, down at 25 s. The third up->down pushes the figure to
 * 1000 * (2^(-20000/HL) + 2^(-10000/HL) + 1) = 2977.04 > 2000, so it is
 * suppressed at exactly 25 s; it is reused when that figure has decayed to
 * 750: 25000 + ceil(900000 * log2(2977.04 / 750)) = 1815026 ms.
 */
static void test_flapping_mirror(void)
{
	struct mp_check_cfg ccfg;
	struct mp_health h;
	struct mp_check_result r;
	enum mp_damping_change dc;
	enum mp_health_change hc;
	const uint64_t reuse_at = 1815026;
	uint64_t t;

	memset(&ccfg, 0, sizeof(ccfg));
	ccfg.rise = 1;
	ccfg.fall = 1;
	mp_health_init(&h);
	CU_ASSERT_TRUE(mp_health_adopt(&h, true, 0));

	memset(&r, 0, sizeof(r));
	for (t = 5000; t <= 25000; t += 5000) {
		r.ok = (t / 5000) % 2 == 0;
		r.at_ms = t;
		hc = mp_health_record(&h, &ccfg, &dcfg, &r, &dc);
		CU_ASSERT_EQUAL(hc,
				r.ok ? MP_HEALTH_WENT_UP : MP_HEALTH_WENT_DOWN);
		if (t < 25000) {
			CU_ASSERT_EQUAL(dc, MP_DAMPING_NONE);
			CU_ASSERT_FALSE(h.damping.suppressed);
		}
	}
	CU_ASSERT_EQUAL(dc, MP_DAMPING_SUPPRESSED);
	CU_ASSERT_TRUE(h.damping.suppressed);
	CU_ASSERT_EQUAL(h.damping.suppressed_since_ms, 25000);
	CU_ASSERT_NEAR(mp_damping_figure(&h.damping, &dcfg, 25000),
		       1000.0 *
			   (exp2(-20000.0 / HL) + exp2(-10000.0 / HL) + 1.0));
	CU_ASSERT_EQUAL(mp_damping_reuse_at(&h.damping, &dcfg), reuse_at);

	/* it recovers and stays up; checks every 10 s keep it suppressed
	 * until the first check at or after reuse_at releases it */
	r.ok = true;
	r.at_ms = 30000;
	CU_ASSERT_EQUAL(mp_health_record(&h, &ccfg, &dcfg, &r, &dc),
			MP_HEALTH_WENT_UP);
	CU_ASSERT_EQUAL(dc, MP_DAMPING_NONE);
	for (t = 40000; t < reuse_at; t += 10000) {
		r.at_ms = t;
		mp_health_record(&h, &ccfg, &dcfg, &r, &dc);
		if (dc != MP_DAMPING_NONE || !h.damping.suppressed) {
			CU_FAIL("released too early");
			break;
		}
	}
	CU_ASSERT_EQUAL(t, 1820000);
	/* exactly at the boundary, on a copy */
	struct mp_damping copy = h.damping;
	CU_ASSERT_EQUAL(mp_damping_update(&copy, &dcfg, reuse_at - 1),
			MP_DAMPING_NONE);
	CU_ASSERT_EQUAL(mp_damping_update(&copy, &dcfg, reuse_at),
			MP_DAMPING_REUSED);
	r.at_ms = t;
	CU_ASSERT_EQUAL(mp_health_record(&h, &ccfg, &dcfg, &r, &dc),
			MP_HEALTH_SAME);
	CU_ASSERT_EQUAL(dc, MP_DAMPING_REUSED);
	CU_ASSERT_FALSE(h.damping.suppressed);
	CU_ASSERT_EQUAL(h.state, MP_HEALTH_UP);
}

static CU_TestInfo tests[] = {
    {"init", test_init},
    {"half-life", test_half_life},
    {"suppressed on third quick flap", test_suppress_third_quick_flap},
    {"suppress threshold is strict", test_suppress_is_strict},
    {"reuse at exact time", test_reuse_exact},
    {"reuse time rounds up", test_reuse_rounds_up},
    {"max_suppress ceiling", test_max_suppress_cap},
    {"restore", test_restore},
    {"flapping mirror", test_flapping_mirror},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"damping", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
