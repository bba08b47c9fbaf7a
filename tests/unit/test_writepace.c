/* When the state file is written (writepace.h), on an injected clock. */
#include "unit.h"

#include "writepace.h"

#define T0 5000000ULL /* a monotonic clock is not zero at start */

static void test_first_change_at_once(void)
{
	struct mp_writepace p;

	mp_writepace_init(&p, 1000);
	CU_ASSERT_EQUAL(mp_writepace_next(&p, T0), MP_WRITEPACE_NONE);
	CU_ASSERT_EQUAL(mp_writepace_changed(&p, T0), 0);
	CU_ASSERT_EQUAL(mp_writepace_next(&p, T0), 0);
	mp_writepace_wrote(&p, T0);
	CU_ASSERT_EQUAL(mp_writepace_next(&p, T0), MP_WRITEPACE_NONE);
	/* after a quiet interval, at once again */
	CU_ASSERT_EQUAL(mp_writepace_changed(&p, T0 + 1000), 0);
	mp_writepace_wrote(&p, T0 + 1000);
	CU_ASSERT_EQUAL(mp_writepace_changed(&p, T0 + 60000), 0);
}

static void test_changes_within_the_interval_wait(void)
{
	struct mp_writepace p;

	mp_writepace_init(&p, 1000);
	mp_writepace_changed(&p, T0);
	mp_writepace_wrote(&p, T0);
	/* 250 ms later: due at T0 + 1000 */
	CU_ASSERT_EQUAL(mp_writepace_changed(&p, T0 + 250), 750);
	/* more changes: the same deadline, not a later one */
	CU_ASSERT_EQUAL(mp_writepace_changed(&p, T0 + 600), 400);
	CU_ASSERT_EQUAL(mp_writepace_next(&p, T0 + 999), 1);
	CU_ASSERT_EQUAL(mp_writepace_next(&p, T0 + 1000), 0);
	/* a late timer: still due, not negative */
	CU_ASSERT_EQUAL(mp_writepace_next(&p, T0 + 1700), 0);
	mp_writepace_wrote(&p, T0 + 1700);
	CU_ASSERT_EQUAL(mp_writepace_next(&p, T0 + 1700), MP_WRITEPACE_NONE);
	CU_ASSERT_EQUAL(mp_writepace_changed(&p, T0 + 1701), 999);
}

/* An urgent write (an operator's drain) between: the deadline moves with
 * it, and what waited went with it. */
static void test_urgent_write_counts(void)
{
	struct mp_writepace p;

	mp_writepace_init(&p, 1000);
	mp_writepace_changed(&p, T0);
	mp_writepace_wrote(&p, T0);
	CU_ASSERT_EQUAL(mp_writepace_changed(&p, T0 + 100), 900);
	mp_writepace_wrote(&p, T0 + 500); /* written at once, not paced */
	CU_ASSERT_EQUAL(mp_writepace_next(&p, T0 + 1000), MP_WRITEPACE_NONE);
	CU_ASSERT_EQUAL(mp_writepace_changed(&p, T0 + 1000), 500);
}

static void test_zero_interval_writes_every_change(void)
{
	struct mp_writepace p;

	mp_writepace_init(&p, 0);
	for (uint64_t t = T0; t < T0 + 10; t++) {
		CU_ASSERT_EQUAL(mp_writepace_changed(&p, t), 0);
		mp_writepace_wrote(&p, t);
	}
}

static void test_new_interval_counts_from_last_write(void)
{
	struct mp_writepace p;

	mp_writepace_init(&p, 1000);
	mp_writepace_changed(&p, T0);
	mp_writepace_wrote(&p, T0);
	CU_ASSERT_EQUAL(mp_writepace_changed(&p, T0 + 200), 800);
	mp_writepace_set_interval(&p, 5000);
	CU_ASSERT_EQUAL(mp_writepace_next(&p, T0 + 200), 4800);
	mp_writepace_set_interval(&p, 100);
	CU_ASSERT_EQUAL(mp_writepace_next(&p, T0 + 200), 0);
	/* a clock that went back waits the whole interval, never wraps */
	mp_writepace_wrote(&p, T0 + 200);
	CU_ASSERT_EQUAL(mp_writepace_changed(&p, T0 + 100), 100);
}

/*
 * A mass failure as the daemon sees it: 1000 addresses going down at
 * random moments over 3 s, each a change, with a one-shot timer armed to
 * the deadline as the daemon arms it. Writes: one at the first change,
 * then at most one per interval: 1 + 3000 / 1000.
 */
static void test_mass_failure_bounded(void)
{
	struct mp_writepace p;
	uint64_t timer = 0; /* 0: not armed */
	unsigned writes = 0, changes = 0;
	uint32_t x = 12345; /* xorshift: the same "random" moments each run */

	mp_writepace_init(&p, 1000);
	for (uint64_t t = T0; t <= T0 + 5000; t++) {
		/* the timer fires first in its millisecond */
		if (timer && t >= timer) {
			uint64_t d = mp_writepace_next(&p, t);
			timer = 0;
			if (d == 0) {
				mp_writepace_wrote(&p, t);
				writes++;
			} else if (d != MP_WRITEPACE_NONE) {
				timer = t + d;
			}
		}
		for (int k = 0; k < 3 && t < T0 + 3000; k++) {
			uint64_t d;
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			if (x % 9 != 0 || changes == 1000)
				continue;
			changes++;
			d = mp_writepace_changed(&p, t);
			if (d == 0) {
				mp_writepace_wrote(&p, t);
				writes++;
			} else if (!timer) {
				timer = t + d;
			}
		}
	}
	CU_ASSERT(changes >= 900); /* the failure really was massive */
	CU_ASSERT(writes >= 3);
	CU_ASSERT(writes <= 1 + 3000 / 1000);
	/* and nothing was left behind */
	CU_ASSERT_EQUAL(mp_writepace_next(&p, T0 + 5000), MP_WRITEPACE_NONE);
}

static CU_TestInfo tests[] = {
    {"first change at once", test_first_change_at_once},
    {"changes within the interval wait", test_changes_within_the_interval_wait},
    {"urgent write counts", test_urgent_write_counts},
    {"zero interval writes every change",
     test_zero_interval_writes_every_change},
    {"new interval counts from the last write",
     test_new_interval_counts_from_last_write},
    {"mass failure: bounded writes", test_mass_failure_bounded},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"writepace", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
