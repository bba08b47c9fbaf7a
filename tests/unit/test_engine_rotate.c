/* The engine's rotation (pool.rotate with max_published): re-draws every
 * rotate under the rate limits, a failed or drained mirror never published
 * and its place filled at once, the floor and the freeze keeping their
 * precedence, and no churn without rotate. */
#include "unit.h"
#include "unit_engine.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "error.h"
#include "log.h"

#define T0 1763800000000ULL

/* Five mirrors, one IPv4 address each: 192.0.2.1 .. 192.0.2.5 with
 * weights 100, 50, 25, 15, 10. */
#define ROT_CONF                                                               \
	"dns = { server = \"127.0.0.1\"; zone = \"example.org\"; key = "       \
	"\"hmac-sha256:k:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"; };\n"             \
	"update = { min_interval = \"%s\"; max_per_hour = 60; };\n"            \
	"check = { url = \"https://dl.example.org/trace\"; interval = "        \
	"\"10s\"; fast_interval = \"2s\"; timeout = \"3s\"; rise = 1; "        \
	"fall = 1; };\n"                                                       \
	"guard = { all_down_freeze = false; %s };\n"                           \
	"pools = ( { name = \"dl.example.org.\"; min_healthy = %d; "           \
	"max_published = 2; %s\n"                                              \
	"  mirrors = ( { name = \"m1\"; addresses = [ \"192.0.2.1\" ]; "       \
	"weight = 100; },\n"                                                   \
	"    { name = \"m2\"; addresses = [ \"192.0.2.2\" ]; weight = 50; "    \
	"},\n"                                                                 \
	"    { name = \"m3\"; addresses = [ \"192.0.2.3\" ]; weight = 25; "    \
	"},\n"                                                                 \
	"    { name = \"m4\"; addresses = [ \"192.0.2.4\" ]; weight = 15; "    \
	"},\n"                                                                 \
	"    { name = \"m5\"; addresses = [ \"192.0.2.5\" ]; weight = 10; } "  \
	"); } );\n"                                                            \
	"state_file = \"/tmp/mp-unit-state.json\";\n"

static const char *ADDR[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4",
			     "192.0.2.5"};
/* targets for k = 2 over 100, 50, 25, 15, 10: c = 2/200, none above 1 */
static const double TARGET[] = {1.0, 0.5, 0.25, 0.15, 0.10};

static struct mp_config *cfg;
static struct mp_engine *eng;
static uint64_t now;

static uint32_t seed;
static size_t n_updates;
static uint64_t last_update_ms;
static uint64_t min_gap_ms;

static uint32_t rnd_seeded(uint32_t upper)
{
	uint32_t hi = mp_unit_xorshift(&seed), lo = mp_unit_xorshift(&seed);
	return (uint32_t)((((uint64_t)hi << 32) | lo) % upper);
}

static void setup(const char *min_interval, const char *guard, int min_healthy,
		  const char *rotate)
{
	char text[4096];
	struct mp_addr_set s;
	struct mp_addr a;

	snprintf(text, sizeof(text), ROT_CONF, min_interval, guard, min_healthy,
		 rotate);
	cfg = mp_unit_config(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	mp_log_set_sink(mp_unit_log_discard, NULL);
	now = T0;
	seed = 0x1234567u;
	n_updates = 0;
	last_update_ms = 0;
	min_gap_ms = UINT64_MAX;
	CU_ASSERT_EQUAL_FATAL(
	    mp_engine_new(cfg, rnd_seeded, mp_unit_at(now), &eng), MP_OK);
	/* DNS holds m1 and m2; the others start down and come up with one
	 * good check (rise 1) */
	mp_addr_set_init(&s);
	for (size_t i = 0; i < 2; i++) {
		mp_addr_parse(ADDR[i], &a);
		mp_addr_set_add(&s, &a);
	}
	mp_engine_dns_view(eng, 0, &s, mp_unit_at(now));
	mp_addr_set_clear(&s);
	mp_engine_dns_view(eng, 1, &s, mp_unit_at(now));
}

static void teardown(void)
{
	mp_unit_engine_free(&eng, &cfg);
}

static size_t target(const char *addr)
{
	return mp_unit_target(eng, addr);
}

static void result(size_t m, bool ok)
{
	mp_unit_check(eng, target(ADDR[m]), ok, now);
}

/* Plans and applies whatever is due now; returns true when an UPDATE went
 * out. Records the gaps between UPDATEs. */
static bool step(void)
{
	struct mp_plan p;
	uint64_t next;

	mp_engine_tick(eng, mp_unit_at(now));
	if (mp_engine_plan(eng, mp_unit_at(now), &p, &next) != 1)
		return false;
	mp_engine_update_result(eng, &p, MP_UPDATE_DONE, "NOERROR",
				mp_unit_at(now));
	mp_plan_clear(&p);
	if (n_updates > 0 && now - last_update_ms < min_gap_ms)
		min_gap_ms = now - last_update_ms;
	last_update_ms = now;
	n_updates++;
	return true;
}

static const struct mp_addr_set *in_dns(void)
{
	return &mp_engine_rrset(eng, 0)->in_dns;
}

static bool published(size_t m)
{
	struct mp_addr a;
	mp_addr_parse(ADDR[m], &a);
	return mp_addr_set_contains(in_dns(), &a);
}

static void all_up(void)
{
	for (size_t m = 0; m < 5; m++)
		result(m, true);
}

/* Without rotate, time passing changes nothing once the heaviest are in. */
static void test_no_rotate_no_churn(void)
{
	setup("5s", "", 1, "");
	all_up();
	step();
	n_updates = 0;
	for (int i = 0; i < 500; i++) {
		now += 60000;
		all_up();
		step();
	}
	CU_ASSERT_EQUAL(n_updates, 0);
	CU_ASSERT_TRUE(published(0) && published(1));
	CU_ASSERT_EQUAL(mp_engine_rrset(eng, 0)->draws, 0);
	teardown();
}

/* The first draw keeps what DNS holds (start-up changes nothing); every
 * rotate a new draw, whose shares follow the weights. */
static void test_rotation_shares(void)
{
	size_t count[5] = {0}, changes = 0;
	const size_t rounds = 2000;

	setup("5s", "", 1, "rotate = \"1m\";");
	all_up();
	CU_ASSERT_FALSE(step()); /* m1, m2 are a valid first draw */
	for (size_t i = 0; i < rounds; i++) {
		now += 60000;
		if (step())
			changes++;
		CU_ASSERT_EQUAL(in_dns()->n, 2);
		for (size_t m = 0; m < 5; m++)
			count[m] += published(m);
		/* nothing else is due until the next re-draw */
		now += 1000;
		CU_ASSERT_FALSE(step());
	}
	CU_ASSERT_EQUAL(mp_engine_rrset(eng, 0)->draws, rounds);
	CU_ASSERT_TRUE(changes > rounds / 4);
	CU_ASSERT_TRUE(changes <= rounds);
	for (size_t m = 0; m < 5; m++) {
		double f = (double)count[m] / (double)rounds;
		CU_ASSERT_TRUE(fabs(f - TARGET[m]) <= 0.03);
		if (fabs(f - TARGET[m]) > 0.03)
			fprintf(stderr, "m%zu: %.3f, target %.3f\n", m + 1, f,
				TARGET[m]);
	}
	teardown();
}

/* A failed mirror leaves at once and its place is drawn among the others;
 * it is never published while down, not even at a re-draw; it comes back
 * only through a later draw. */
static void test_failed_never_published(void)
{
	bool back = false;
	size_t count[5] = {0};

	setup("5s", "", 1, "rotate = \"1m\";");
	all_up();
	step();
	CU_ASSERT_TRUE(published(0));
	now += 10000;
	result(0, false); /* fall 1: m1 is down */
	CU_ASSERT_TRUE(step());
	CU_ASSERT_FALSE(published(0));
	CU_ASSERT_EQUAL(in_dns()->n, 2);
	for (int i = 0; i < 1000; i++) {
		now += 60000;
		result(0, false);
		step();
		CU_ASSERT_FALSE(published(0));
		CU_ASSERT_EQUAL(in_dns()->n, 2);
		for (size_t m = 1; m < 5; m++)
			count[m] += published(m);
	}
	/* two places among 50, 25, 15, 10: m2 always, then 0.5, 0.3, 0.2 */
	CU_ASSERT_EQUAL(count[1], 1000);
	CU_ASSERT_TRUE(fabs(count[2] / 1000.0 - 0.5) <= 0.05);
	CU_ASSERT_TRUE(fabs(count[3] / 1000.0 - 0.3) <= 0.05);
	CU_ASSERT_TRUE(fabs(count[4] / 1000.0 - 0.2) <= 0.05);
	result(0, true);
	/* weight 100 of 200 for two places: in every draw once back */
	now += 60000;
	step();
	back = published(0);
	CU_ASSERT_TRUE(back);
	teardown();
}

/* A drained mirror is never published by a draw; undrained, it is again. */
static void test_drained_never_published(void)
{
	struct mp_drain_request rq = {0};
	char err[200];

	setup("5s", "", 1, "rotate = \"1m\";");
	all_up();
	step();
	rq.mirror = "m1";
	rq.reason = "maintenance";
	rq.by = "root";
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_OK);
	now += 1000;
	CU_ASSERT_TRUE(step());
	CU_ASSERT_FALSE(published(0));
	for (int i = 0; i < 200; i++) {
		now += 60000;
		all_up();
		step();
		CU_ASSERT_FALSE(published(0));
		CU_ASSERT_EQUAL(in_dns()->n, 2);
	}
	CU_ASSERT_EQUAL(mp_engine_undrain(eng, "m1", NULL, "root", 0,
					  mp_unit_at(now), err, sizeof(err)),
			MP_OK);
	now += 60000;
	step();
	CU_ASSERT_TRUE(published(0));
	teardown();
}

/* A rotate shorter than min_interval: re-draws wait for the rate limit and
 * UPDATEs are never closer than min_interval. */
static void test_min_interval(void)
{
	setup("30s", "", 1, "rotate = \"1s\";");
	all_up();
	step();
	n_updates = 0;
	for (int i = 0; i < 3000; i++) {
		now += 1000;
		step();
	}
	CU_ASSERT_TRUE(n_updates > 10);
	CU_ASSERT_TRUE(min_gap_ms >= 30000);
	teardown();
}

/* The floor keeps a failed mirror published when too few candidates are
 * left, whatever the draw says. */
static void test_floor_precedence(void)
{
	setup("5s", "", 2, "rotate = \"1m\";");
	all_up();
	step(); /* m1 and m2 */
	now += 10000;
	for (size_t m = 1; m < 5; m++)
		result(m, false); /* only m1 is a candidate */
	step();
	CU_ASSERT_TRUE(published(0));
	CU_ASSERT_TRUE(published(1)); /* kept by the floor */
	CU_ASSERT_EQUAL(in_dns()->n, 2);
	for (int i = 0; i < 20; i++) {
		now += 60000;
		step();
		CU_ASSERT_TRUE(published(0) && published(1));
	}
	teardown();
}

/* While the guard freezes removals nothing rotates; the re-draw happens
 * once the freeze lifts. */
static void test_freeze_precedence(void)
{
	setup("5s", "sentinels = [ \"https://www.example.net/\" ];", 1,
	      "rotate = \"1m\";");
	all_up();
	mp_engine_sentinel_result(eng, 0, true, "HTTP 200", mp_unit_at(now));
	step();
	mp_engine_sentinel_result(eng, 0, false, "timeout", mp_unit_at(now));
	CU_ASSERT_TRUE(mp_engine_frozen(eng, NULL));
	n_updates = 0;
	for (int i = 0; i < 50; i++) {
		now += 60000;
		step();
	}
	CU_ASSERT_EQUAL(n_updates, 0);
	CU_ASSERT_TRUE(published(0) && published(1));
	mp_engine_sentinel_result(eng, 0, true, "HTTP 200", mp_unit_at(now));
	CU_ASSERT_FALSE(mp_engine_frozen(eng, NULL));
	for (int i = 0; i < 50; i++) {
		now += 60000;
		step();
	}
	CU_ASSERT_TRUE(n_updates > 0);
	teardown();
}

static CU_TestInfo tests[] = {
    {"no rotate: no churn", test_no_rotate_no_churn},
    {"re-draws follow the weights", test_rotation_shares},
    {"a failed mirror is never published", test_failed_never_published},
    {"a drained mirror is never published", test_drained_never_published},
    {"re-draws obey min_interval", test_min_interval},
    {"the floor keeps precedence", test_floor_precedence},
    {"the freeze keeps precedence", test_freeze_precedence},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"engine rotation", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
