#include "unit.h"

#include <stdint.h>
#include <string.h>

#include "select.h"

#define MAXI 8

static struct mp_addr addrs[MAXI];
static struct mp_select_item items[MAXI];
static bool publish[MAXI];
static struct mp_select_result res;
static struct mp_select_params params;

/* A fresh pool of n healthy, unpublished candidates 192.0.2.1 .. n, mirrors
 * "m1" .. "mN", weight 10, latency unknown, never healthy before. */
static const char *names[MAXI] = {"m1", "m2", "m3", "m4",
				  "m5", "m6", "m7", "m8"};

static void pool(size_t n)
{
	char buf[32];

	memset(items, 0, sizeof(items));
	memset(&params, 0, sizeof(params));
	memset(&res, 0xa5, sizeof(res)); /* mp_select must set every field */
	for (size_t i = 0; i < MAXI; i++)
		publish[i] = i % 2 == 0; /* garbage it must overwrite */
	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "192.0.2.%zu", i + 1);
		CU_ASSERT_EQUAL_FATAL(mp_addr_parse(buf, &addrs[i]), 0);
		items[i].addr = &addrs[i];
		items[i].mirror = names[i];
		items[i].weight = 10;
		items[i].up = true;
		items[i].latency_ms = UINT32_MAX;
	}
}

static void run(size_t n)
{
	mp_select(items, n, &params, publish, &res);
}

/* Compares publish[] with a string of '1'/'0', one per item. */
static void expect(const char *want)
{
	size_t n = strlen(want);
	char got[MAXI + 1];

	for (size_t i = 0; i < n; i++)
		got[i] = publish[i] ? '1' : '0';
	got[n] = '\0';
	CU_ASSERT_STRING_EQUAL(got, want);
}

static void expect_counts(size_t cand, size_t floor, size_t freeze,
			  size_t empty, size_t sel, bool below)
{
	CU_ASSERT_EQUAL(res.n_candidates, cand);
	CU_ASSERT_EQUAL(res.n_floor_kept, floor);
	CU_ASSERT_EQUAL(res.n_freeze_kept, freeze);
	CU_ASSERT_EQUAL(res.n_empty_kept, empty);
	CU_ASSERT_EQUAL(res.n_selected, sel);
	CU_ASSERT_EQUAL(res.below_floor, below);
}

static void test_candidates(void)
{
	pool(6);
	items[1].up = false;
	items[2].drained = true;
	items[3].suppressed = true;
	items[4].weight = 0;
	/* item 5 healthy as well */
	run(6);
	expect("100001");
	expect_counts(2, 0, 0, 0, 2, false);
}

static void test_no_cap_publishes_all(void)
{
	pool(5);
	params.min_healthy = 2;
	run(5);
	expect("11111");
	expect_counts(5, 0, 0, 0, 5, false);
}

static void test_max_published_no_churn(void)
{
	pool(4);
	params.max_published = 2;
	/* The published ones are worse on every other count but stay. */
	items[0].weight = 100;
	items[1].weight = 100;
	items[0].latency_ms = 1;
	items[1].latency_ms = 1;
	items[2].published = true;
	items[2].weight = 1;
	items[3].published = true;
	items[3].weight = 1;
	run(4);
	expect("0011");
	expect_counts(4, 0, 0, 0, 2, false);

	/* One published slot frees up: the best newcomer takes it. */
	items[3].up = false;
	items[0].weight = 50;
	run(4);
	expect("0110");
	expect_counts(3, 0, 0, 0, 2, false);
}

static void test_max_published_weight(void)
{
	pool(3);
	params.max_published = 2;
	items[0].weight = 5;
	items[1].weight = 20;
	items[2].weight = 10;
	run(3);
	expect("011");
	expect_counts(3, 0, 0, 0, 2, false);
}

static void test_max_published_latency(void)
{
	pool(4);
	params.max_published = 2;
	items[0].latency_ms = 50;
	items[1].latency_ms = UINT32_MAX; /* unknown: worst */
	items[2].latency_ms = 10;
	items[3].latency_ms = 30;
	run(4);
	expect("0011");

	params.max_published = 3;
	run(4);
	expect("1011");

	/* Weight outranks latency. */
	items[1].weight = 11;
	params.max_published = 1;
	run(4);
	expect("0100");
	expect_counts(4, 0, 0, 0, 1, false);
}

static void test_max_published_name_then_address(void)
{
	pool(4);
	params.max_published = 2;
	items[0].mirror = "charlie";
	items[1].mirror = "alpha";
	items[2].mirror = "bravo";
	items[3].mirror = "delta";
	run(4);
	expect("0110");

	/* Same mirror: the address decides, numerically (192.0.2.9 before
	 * 192.0.2.10, although "192.0.2.10" sorts first as text). */
	pool(2);
	CU_ASSERT_EQUAL_FATAL(mp_addr_parse("192.0.2.10", &addrs[0]), 0);
	CU_ASSERT_EQUAL_FATAL(mp_addr_parse("192.0.2.9", &addrs[1]), 0);
	items[0].mirror = "same";
	items[1].mirror = "same";
	params.max_published = 1;
	run(2);
	expect("01");
	expect_counts(2, 0, 0, 0, 1, false);
}

static void test_order_independent(void)
{
	struct mp_select_item copy[4];
	bool pub[4];
	struct mp_select_result r;
	size_t perm[4] = {3, 1, 0, 2};

	pool(4);
	params.max_published = 2;
	items[0].latency_ms = 20;
	items[1].latency_ms = 20;
	items[2].latency_ms = 20;
	items[3].latency_ms = 5;
	run(4);
	expect("1001"); /* 5 ms, then m1 by name */
	for (size_t i = 0; i < 4; i++)
		copy[i] = items[perm[i]];
	mp_select(copy, 4, &params, pub, &r);
	for (size_t i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(pub[i], publish[perm[i]]);
}

static void test_floor_most_recent(void)
{
	pool(4);
	params.min_healthy = 2;
	for (size_t i = 1; i < 4; i++) {
		items[i].up = false;
		items[i].published = true;
	}
	items[1].last_ok_at_ms = 100;
	items[2].last_ok_at_ms = 300;
	items[3].last_ok_at_ms = 200;
	run(4);
	expect("1010");
	expect_counts(1, 1, 0, 0, 2, false);

	params.min_healthy = 3;
	run(4);
	expect("1011");
	expect_counts(1, 2, 0, 0, 3, false);
}

static void test_floor_never_drained(void)
{
	pool(3);
	params.min_healthy = 3;
	items[1].up = false;
	items[1].published = true;
	items[1].drained = true;
	items[1].last_ok_at_ms = 1000;
	items[2].up = false;
	items[2].published = true;
	items[2].last_ok_at_ms = 10;
	run(3);
	expect("101");
	expect_counts(1, 1, 0, 0, 2, true);
}

static void test_floor_only_published(void)
{
	pool(3);
	params.min_healthy = 2;
	items[1].up = false; /* not in DNS: the floor does not add it */
	items[1].last_ok_at_ms = 1000;
	items[2].weight = 0; /* disabled: never kept */
	items[2].published = true;
	items[2].last_ok_at_ms = 2000;
	run(3);
	expect("100");
	expect_counts(1, 0, 0, 0, 1, true);
}

static void test_floor_keeps_suppressed(void)
{
	pool(3);
	params.min_healthy = 2;
	/* Suppressed: up but not a candidate; published, so the floor may
	 * keep it. The unpublished suppressed one stays out. */
	items[1].suppressed = true;
	items[1].published = true;
	items[1].last_ok_at_ms = 50;
	items[2].suppressed = true;
	items[2].last_ok_at_ms = 90;
	run(3);
	expect("110");
	expect_counts(1, 1, 0, 0, 2, false);

	/* Without the floor it goes. */
	params.min_healthy = 1;
	run(3);
	expect("100");
	expect_counts(1, 0, 0, 0, 1, false);
}

static void test_floor_exceeds_max_published(void)
{
	pool(3);
	params.max_published = 1;
	params.min_healthy = 2;
	items[0].published = true;
	/* item 1: healthy but not published; the cap holds it out. */
	items[2].up = false;
	items[2].published = true;
	items[2].last_ok_at_ms = 5;
	run(3);
	expect("101");
	expect_counts(2, 1, 0, 0, 2, false);
}

static void test_never_empty(void)
{
	pool(4);
	params.min_healthy = 0;
	for (size_t i = 0; i < 4; i++) {
		items[i].up = false;
		items[i].published = true;
		items[i].last_ok_at_ms = 10 * i;
	}
	items[3].drained = true;
	run(4);
	expect("1110");
	expect_counts(0, 0, 0, 3, 3, false);

	/* Nothing published and nothing up: empty, nothing to keep. */
	pool(2);
	items[0].up = false;
	items[1].up = false;
	run(2);
	expect("00");
	expect_counts(0, 0, 0, 0, 0, false);
}

static void test_never_empty_with_floor(void)
{
	/* With a floor, the floor keeps them first; the empty rule has
	 * nothing left to do. */
	pool(2);
	params.min_healthy = 1;
	items[0].up = false;
	items[0].published = true;
	items[0].last_ok_at_ms = 1;
	items[1].up = false;
	items[1].published = true;
	items[1].last_ok_at_ms = 2;
	run(2);
	expect("01");
	expect_counts(0, 1, 0, 0, 1, false);
}

static void test_freeze(void)
{
	pool(4);
	params.min_healthy = 1;
	params.frozen = true;
	items[0].published = true;
	items[1].published = true; /* would be removed: down */
	items[1].up = false;
	items[2].published = true; /* would be removed: suppressed */
	items[2].suppressed = true;
	/* item 3: an addition, allowed during the freeze */
	run(4);
	expect("1111");
	expect_counts(2, 0, 2, 0, 4, false);

	params.frozen = false;
	run(4);
	expect("1001");
	expect_counts(2, 0, 0, 0, 2, false);
}

static void test_freeze_removes_drained(void)
{
	pool(3);
	params.frozen = true;
	items[0].published = true;
	items[1].published = true;
	items[1].drained = true;
	items[2].published = true;
	items[2].weight = 0;
	run(3);
	expect("100");
	expect_counts(1, 0, 0, 0, 1, false);
}

static void test_freeze_keeps_over_cap(void)
{
	pool(3);
	params.frozen = true;
	params.max_published = 1;
	items[0].published = true;
	items[1].published = true;
	items[1].weight = 20;
	run(3);
	/* The cap picks the heavier published one; the freeze keeps the
	 * other; the unpublished one stays out by the cap. */
	expect("110");
	expect_counts(3, 0, 1, 0, 2, false);
}

static void test_floor_and_freeze_counts(void)
{
	pool(4);
	params.min_healthy = 2;
	params.frozen = true;
	for (size_t i = 1; i < 4; i++) {
		items[i].up = false;
		items[i].published = true;
		items[i].last_ok_at_ms = i;
	}
	run(4);
	expect("1111");
	expect_counts(1, 1, 2, 0, 4, false);
}

static void test_forced_drain_all_empties(void)
{
	pool(3);
	params.min_healthy = 2;
	params.frozen = true;
	for (size_t i = 0; i < 3; i++) {
		items[i].published = true;
		items[i].drained = true;
		items[i].last_ok_at_ms = 1000;
	}
	run(3);
	expect("000");
	expect_counts(0, 0, 0, 0, 0, true);
}

static void test_weight_zero_never(void)
{
	pool(2);
	params.min_healthy = 2;
	params.frozen = true;
	items[0].weight = 0;
	items[0].published = true;
	items[0].last_ok_at_ms = 1;
	items[1].weight = 0;
	run(2);
	expect("00");
	expect_counts(0, 0, 0, 0, 0, true);
}

static void test_empty_pool(void)
{
	pool(0);
	params.min_healthy = 1;
	run(0);
	expect_counts(0, 0, 0, 0, 0, true);
	params.min_healthy = 0;
	run(0);
	expect_counts(0, 0, 0, 0, 0, false);
}

static void test_guard_all_down(void)
{
	CU_ASSERT_FALSE(mp_guard_all_down(0, 0));
	CU_ASSERT_TRUE(mp_guard_all_down(1, 1));
	CU_ASSERT_TRUE(mp_guard_all_down(12, 12));
	CU_ASSERT_FALSE(mp_guard_all_down(12, 11));
	CU_ASSERT_FALSE(mp_guard_all_down(12, 0));
}

static CU_TestInfo tests[] = {
    {"candidates", test_candidates},
    {"no cap publishes all", test_no_cap_publishes_all},
    {"max_published keeps published", test_max_published_no_churn},
    {"max_published by weight", test_max_published_weight},
    {"max_published by latency", test_max_published_latency},
    {"max_published by name", test_max_published_name_then_address},
    {"input order does not matter", test_order_independent},
    {"floor keeps most recently healthy", test_floor_most_recent},
    {"floor never keeps drained", test_floor_never_drained},
    {"floor keeps only published", test_floor_only_published},
    {"floor keeps suppressed", test_floor_keeps_suppressed},
    {"floor may exceed max_published", test_floor_exceeds_max_published},
    {"never empty", test_never_empty},
    {"never empty with floor", test_never_empty_with_floor},
    {"freeze", test_freeze},
    {"freeze removes drained", test_freeze_removes_drained},
    {"freeze keeps over cap", test_freeze_keeps_over_cap},
    {"floor and freeze counts", test_floor_and_freeze_counts},
    {"forced drain of all empties", test_forced_drain_all_empties},
    {"weight 0 never published", test_weight_zero_never},
    {"empty pool", test_empty_pool},
    {"guard all down", test_guard_all_down},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"select", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
