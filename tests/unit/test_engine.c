/* The engine's decisions end to end, with an injected clock: start-up
 * adoption, failover, recovery, floor, freeze, rate limit, drains, foreign
 * records, reload, persisted state, dry run, status and metrics. */
#include "unit.h"
#include "unit_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "duration.h"
#include "engine.h"
#include "error.h"
#include "log.h"

#define T0 1763800000000ULL /* a fixed wall clock, ms */

#define BASE_CONF                                                              \
	"dns = { server = \"127.0.0.1\"; zone = \"example.org\"; key = "       \
	"\"hmac-sha256:k:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"; };\n"             \
	"update = { min_interval = \"5s\"; max_per_hour = 60; };\n"            \
	"check = { url = \"https://dl.example.org/trace\"; interval = "        \
	"\"10s\"; "                                                            \
	"fast_interval = \"2s\"; timeout = \"3s\"; rise = 2; fall = 3; };\n"   \
	"guard = { all_down_freeze = %s; };\n"                                 \
	"pools = ( { name = \"dl.example.org.\"; ttl = 60; min_healthy = %d; " \
	"max_published = 0;\n"                                                 \
	"  mirrors = ( { name = \"m1\"; addresses = [ \"192.0.2.10\", "        \
	"\"2001:db8::10\" ]; weight = 10; },\n"                                \
	"              { name = \"m2\"; addresses = [ \"192.0.2.20\" ]; "      \
	"weight = 10; },\n"                                                    \
	"              { name = \"%s\"; addresses = [ \"%s\" ]; weight = 10; " \
	"} ); } );\n"                                                          \
	"state_file = \"/tmp/mp-unit-state.json\";\n"

static struct mp_config *cfg;
static struct mp_engine *eng;
static uint64_t now;

/* The configuration with its third mirror named m3 (or m3_name) at
 * 192.0.2.30 (or m3_addr). */
static struct mp_config *load_m3(const char *freeze, int min_healthy,
				 const char *m3_name, const char *m3_addr)
{
	char text[4096];

	snprintf(text, sizeof(text), BASE_CONF, freeze, min_healthy, m3_name,
		 m3_addr);
	return mp_unit_config(text);
}

static struct mp_config *load(const char *freeze, int min_healthy)
{
	return load_m3(freeze, min_healthy, "m3", "192.0.2.30");
}

static void setup(const char *freeze, int min_healthy)
{
	cfg = load(freeze, min_healthy);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	now = T0;
	mp_unit_log_start(mp_unit_log_capture_fields);
	CU_ASSERT_EQUAL_FATAL(
	    mp_engine_new(cfg, mp_unit_rnd_zero, mp_unit_at(now), &eng), MP_OK);
}

static void teardown(void)
{
	mp_unit_engine_free(&eng, &cfg);
}

static size_t target(const char *addr)
{
	return mp_unit_target(eng, addr);
}

static void result(const char *addr, bool ok)
{
	mp_unit_check(eng, target(addr), ok, now);
}

static void results(const char *addr, bool ok, int n)
{
	for (int i = 0; i < n; i++) {
		now += 2000;
		result(addr, ok);
	}
}

/* Feeds what DNS holds for the pool's A and AAAA RRsets. */
static void view(const char *const *a, size_t na, const char *const *aaaa,
		 size_t naaaa)
{
	struct mp_addr_set s;
	struct mp_addr x;

	mp_addr_set_init(&s);
	for (size_t i = 0; i < na; i++) {
		mp_addr_parse(a[i], &x);
		mp_addr_set_add(&s, &x);
	}
	mp_engine_dns_view(eng, 0, &s, mp_unit_at(now));
	mp_addr_set_clear(&s);
	for (size_t i = 0; i < naaaa; i++) {
		mp_addr_parse(aaaa[i], &x);
		mp_addr_set_add(&s, &x);
	}
	mp_engine_dns_view(eng, 1, &s, mp_unit_at(now));
	mp_addr_set_clear(&s);
}

static const char *A_10_20[] = {"192.0.2.10", "192.0.2.20"};
static const char *AAAA_10[] = {"2001:db8::10"};

/* Plans, checks the single item is "rrset -del +add" and applies it. */
static void expect_plan(size_t rrset, const char *desc)
{
	struct mp_plan p;
	uint64_t next;
	char buf[512];

	CU_ASSERT_EQUAL_FATAL(mp_engine_plan(eng, mp_unit_at(now), &p, &next),
			      1);
	CU_ASSERT_EQUAL_FATAL(p.n, 1);
	CU_ASSERT_EQUAL(p.items[0].rrset, rrset);
	mp_plan_item_describe(eng, &p.items[0], buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, desc);
	mp_engine_update_result(eng, &p, MP_UPDATE_DONE, "NOERROR",
				mp_unit_at(now));
	mp_plan_clear(&p);
}

static void expect_no_plan(void)
{
	struct mp_plan p;
	uint64_t next;
	int rc = mp_engine_plan(eng, mp_unit_at(now), &p, &next);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		mp_plan_clear(&p);
}

static void test_startup_changes_nothing(void)
{
	setup("false", 1);
	view(A_10_20, 2, AAAA_10, 1);
	CU_ASSERT_EQUAL(
	    mp_engine_target(eng, target("192.0.2.10"))->health.state,
	    MP_HEALTH_UP);
	CU_ASSERT_EQUAL(
	    mp_engine_target(eng, target("192.0.2.30"))->health.state,
	    MP_HEALTH_DOWN);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log, "m3 192.0.2.30: starts down (absent in DNS)"));
	expect_no_plan();
	teardown();
}

static void test_failover_and_recovery(void)
{
	setup("false", 1);
	view(A_10_20, 2, AAAA_10, 1);
	results("192.0.2.10", true, 1);
	results("192.0.2.20", false, 2);
	expect_no_plan(); /* fall is 3 */
	results("192.0.2.20", false, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    mp_unit_log,
	    "m2 192.0.2.20: up -> down (3/3 failures, last: HTTP 503 in 12 ms) "
	    "[POOL=dl.example.org. MIRROR=m2 ADDRESS=192.0.2.20 "
	    "CALLER_UID=-1]"));
	expect_plan(0, "dl.example.org. A -192.0.2.20");
	expect_no_plan();
	/* rise 2: one success is not enough */
	now += 10000;
	results("192.0.2.20", true, 1);
	expect_no_plan();
	results("192.0.2.20", true, 1);
	expect_plan(0, "dl.example.org. A +192.0.2.20");
	teardown();
}

static void test_all_down_never_empty(void)
{
	setup("false", 1);
	view(A_10_20, 2, AAAA_10, 1);
	results("192.0.2.10", false, 3);
	results("192.0.2.20", false, 3);
	/* the floor (min_healthy 1) keeps the most recently healthy one */
	struct mp_plan p;
	uint64_t next;
	CU_ASSERT_EQUAL_FATAL(mp_engine_plan(eng, mp_unit_at(now), &p, &next),
			      1);
	CU_ASSERT_EQUAL(p.items[0].del.n, 1);
	CU_ASSERT_EQUAL(p.items[0].add.n, 0);
	mp_engine_update_result(eng, &p, MP_UPDATE_DONE, "NOERROR",
				mp_unit_at(now));
	mp_plan_clear(&p);
	CU_ASSERT_EQUAL(mp_engine_rrset(eng, 0)->in_dns.n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log, "floor engaged"));
	now += 60000;
	expect_no_plan(); /* stays at one record, never empty */
	CU_ASSERT_EQUAL(mp_engine_rrset(eng, 0)->in_dns.n, 1);
	teardown();
}

static void test_all_down_freezes(void)
{
	setup("true", 1);
	view(A_10_20, 2, AAAA_10, 1);
	/* before every address has a result, failures never freeze */
	results("192.0.2.20", false, 1);
	CU_ASSERT_FALSE(mp_engine_frozen(eng, NULL));
	results("192.0.2.10", true, 1);
	results("192.0.2.20", false, 2); /* m2 alone down: removed */
	expect_plan(0, "dl.example.org. A -192.0.2.20");
	now += 10000;
	/* now every checked address fails at once */
	results("192.0.2.30", false, 1);
	results("2001:db8::10", false, 3);
	results("192.0.2.10", false, 3);
	CU_ASSERT_TRUE(mp_engine_frozen(eng, NULL));
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log, "freeze engaged"));
	expect_no_plan();
	/* one recovers: the freeze lifts, the floor keeps the rest sane */
	results("192.0.2.30", true, 2);
	CU_ASSERT_FALSE(mp_engine_frozen(eng, NULL));
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log, "freeze released"));
	teardown();
}

static void test_freeze_release_changes_nothing(void)
{
	setup("true", 1);
	view(A_10_20, 2, AAAA_10, 1);
	results("192.0.2.30", true, 2);
	expect_plan(0, "dl.example.org. A +192.0.2.30");
	/* our network fails: every address fails, many times over fall */
	now += 10000;
	results("192.0.2.10", false, 1);
	results("192.0.2.20", false, 1);
	results("192.0.2.30", false, 1);
	results("2001:db8::10", false, 1);
	CU_ASSERT_TRUE(mp_engine_frozen(eng, NULL));
	results("192.0.2.10", false, 5);
	results("192.0.2.20", false, 5);
	results("192.0.2.30", false, 5);
	/* failures during a freeze never take an address down */
	CU_ASSERT_EQUAL(
	    mp_engine_target(eng, target("192.0.2.10"))->health.state,
	    MP_HEALTH_UP);
	expect_no_plan();
	/* the network is back: the freeze lifts, nothing is removed */
	results("192.0.2.10", true, 1);
	CU_ASSERT_FALSE(mp_engine_frozen(eng, NULL));
	expect_no_plan();
	/* a mirror still failing after the freeze goes at its next failure */
	results("192.0.2.20", false, 1);
	CU_ASSERT_EQUAL(
	    mp_engine_target(eng, target("192.0.2.20"))->health.state,
	    MP_HEALTH_DOWN);
	now += 6000;
	expect_plan(0, "dl.example.org. A -192.0.2.20");
	teardown();
}

/* Applies whatever is due and returns how many changes touched addr. */
static int apply_count(const char *addr)
{
	struct mp_plan p;
	uint64_t next;
	struct mp_addr a;
	int n = 0;

	mp_addr_parse(addr, &a);
	now += 6000; /* past min_interval: only damping may hold a change */
	if (mp_engine_plan(eng, mp_unit_at(now), &p, &next) != 1)
		return 0;
	for (size_t i = 0; i < p.n; i++)
		n += mp_addr_set_contains(&p.items[i].add, &a) +
		     mp_addr_set_contains(&p.items[i].del, &a);
	mp_engine_update_result(eng, &p, MP_UPDATE_DONE, "NOERROR",
				mp_unit_at(now));
	mp_plan_clear(&p);
	return n;
}

/* FAULTS 3: a flapping mirror costs a bounded number of UPDATEs. With
 * penalty 1000, suppress 2000 and a 15-minute half-life, the third quick
 * up->down suppresses it: 3 removals and 2 re-additions, then nothing
 * however long it flaps, until it stays up and the figure decays. */
static void test_flapping_within_damping_budget(void)
{
	int updates = 0;

	setup("false", 0);
	view(A_10_20, 2, AAAA_10, 1);
	results("192.0.2.10", true, 1);
	for (int flap = 0; flap < 30; flap++) {
		results("192.0.2.20", false, 3);
		updates += apply_count("192.0.2.20");
		results("192.0.2.20", true, 2);
		updates += apply_count("192.0.2.20");
	}
	CU_ASSERT_EQUAL(updates, 5);
	CU_ASSERT_TRUE(mp_engine_target(eng, target("192.0.2.20"))
			   ->health.damping.suppressed);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log, "m2 192.0.2.20: suppressed by flap damping"));
	mp_unit_log[0] = '\0'; /* what follows is the release alone */
	/* it stays up: once the figure decays below reuse it comes back, once
	 */
	uint64_t reuse = mp_damping_reuse_at(
	    &mp_engine_target(eng, target("192.0.2.20"))->health.damping,
	    &cfg->damping);
	CU_ASSERT_TRUE(reuse > now);
	/* the daemon's timer is set to the reuse, and the tick it fires at
	 * that very millisecond releases the address */
	CU_ASSERT_EQUAL(mp_engine_next_deadline(eng), reuse);
	now = reuse;
	mp_engine_tick(eng, mp_unit_at(now));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log, "m2 192.0.2.20: flap damping released"));
	CU_ASSERT_EQUAL(mp_engine_next_deadline(eng), UINT64_MAX);
	results("192.0.2.20", true, 1);
	CU_ASSERT_EQUAL(apply_count("192.0.2.20"), 1);
	teardown();
}

static void test_rate_limit_coalesces(void)
{
	struct mp_plan p;
	uint64_t next;

	setup("false", 0);
	view(A_10_20, 2, AAAA_10, 1);
	results("192.0.2.10", true, 2);
	results("192.0.2.30", true, 2);
	expect_plan(0, "dl.example.org. A +192.0.2.30");
	/* within min_interval (5 s): m2 fails, m3 fails — both wait */
	now += 1000;
	mp_engine_target(eng, target("192.0.2.20"))->health.state =
	    MP_HEALTH_DOWN;
	mp_engine_target(eng, target("192.0.2.30"))->health.state =
	    MP_HEALTH_DOWN;
	CU_ASSERT_EQUAL(mp_engine_plan(eng, mp_unit_at(now), &p, &next), 0);
	CU_ASSERT_EQUAL(next, now - 1000 + 5000);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log, "rate limit engaged (min_interval)"));
	now = next;
	expect_plan(0, "dl.example.org. A -192.0.2.20 -192.0.2.30");
	teardown();
}

static void test_drain_floor_and_force(void)
{
	char err[512];
	struct mp_drain_request rq = {
	    .mirror = "m1", .reason = "disk swap", .by = "alice", .uid = 1000};

	setup("false", 2);
	view(A_10_20, 2, AAAA_10, 1);
	results("192.0.2.10", true, 1);
	results("192.0.2.20", true, 1);
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_EREFUSED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "min_healthy 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--force"));
	expect_no_plan();
	rq.force = true;
	char emptied[200] = "x";
	rq.emptied = emptied;
	rq.emptied_len = sizeof(emptied);
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_OK);
	/* m1 holds the only AAAA address: the forced drain empties it */
	CU_ASSERT_STRING_EQUAL(emptied, "dl.example.org. AAAA");
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    mp_unit_log, "m1 drained with --force leaves dl.example.org. "
			 "AAAA empty"));
	/* operator actions bypass the rate limit: right after an UPDATE too */
	struct mp_plan p;
	uint64_t next;
	CU_ASSERT_EQUAL_FATAL(mp_engine_plan(eng, mp_unit_at(now), &p, &next),
			      1);
	CU_ASSERT_TRUE(p.operator);
	CU_ASSERT_EQUAL(p.n, 2); /* A and AAAA both lose m1 */
	mp_engine_update_result(eng, &p, MP_UPDATE_DONE, "NOERROR",
				mp_unit_at(now));
	mp_plan_clear(&p);
	CU_ASSERT_EQUAL(mp_engine_rrset(eng, 1)->in_dns.n,
			0); /* forced empty */
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log, "m1 drained with --force by alice (uid 1000)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    mp_unit_log,
	    "[POOL=dl.example.org. MIRROR=m1 ADDRESS= CALLER_UID=1000]"));
	/* undrain: back at once (it is healthy), bypassing min_interval */
	now += 1000;
	CU_ASSERT_EQUAL(mp_engine_undrain(eng, "m1", NULL, "alice", 1000,
					  mp_unit_at(now), err, sizeof(err)),
			MP_OK);
	CU_ASSERT_EQUAL_FATAL(mp_engine_plan(eng, mp_unit_at(now), &p, &next),
			      1);
	CU_ASSERT_EQUAL(p.n, 2); /* both of m1's addresses are up again */
	mp_plan_clear(&p);
	CU_ASSERT_EQUAL(mp_engine_undrain(eng, "m1", NULL, "alice", 1000,
					  mp_unit_at(now), err, sizeof(err)),
			MP_ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "mirror m1 is not drained");
	CU_ASSERT_EQUAL(mp_engine_undrain(eng, "nope", NULL, "a", 1,
					  mp_unit_at(now), err, sizeof(err)),
			MP_ENOENT);
	teardown();
}

static void test_drain_expires(void)
{
	char err[256];
	struct mp_addr a;
	struct mp_drain_request rq = {.mirror = "m2",
				      .address = &a,
				      .reason = "x",
				      .by = "bob",
				      .uid = 1,
				      .for_ms = 10000};

	uint64_t drained_at;

	setup("false", 0);
	mp_addr_parse("192.0.2.20", &a);
	view(A_10_20, 2, AAAA_10, 1);
	/* nothing time-driven yet: the daemon sleeps */
	CU_ASSERT_EQUAL(mp_engine_next_deadline(eng), UINT64_MAX);
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_OK);
	drained_at = now;
	/* the daemon's one timer is set to the drain's end */
	CU_ASSERT_EQUAL(mp_engine_next_deadline(eng), drained_at + 10000);
	expect_plan(0, "dl.example.org. A -192.0.2.20");
	now += 9000;
	mp_engine_tick(eng, mp_unit_at(now));
	CU_ASSERT_TRUE(
	    mp_engine_target(eng, target("192.0.2.20"))->drain.active);
	CU_ASSERT_EQUAL(mp_engine_next_deadline(eng), drained_at + 10000);
	now = drained_at + 10000; /* the timer fires at the deadline */
	mp_engine_tick(eng, mp_unit_at(now));
	CU_ASSERT_FALSE(
	    mp_engine_target(eng, target("192.0.2.20"))->drain.active);
	CU_ASSERT_EQUAL(mp_engine_next_deadline(eng), UINT64_MAX);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log, "drain of m2 192.0.2.20 expired"));
	expect_plan(0, "dl.example.org. A +192.0.2.20");
	teardown();
}

/* The drain object of mirror m2 in status --json (new reference). */
static json_t *m2_drain(void)
{
	json_t *st = mp_engine_status(eng, NULL, "v", false, mp_unit_at(now));
	json_t *d = json_object_get(
	    json_array_get(
		json_object_get(json_array_get(json_object_get(st, "pools"), 0),
				"mirrors"),
		1),
	    "drain");

	json_incref(d);
	json_decref(st);
	return d;
}

static void test_drain_twice(void)
{
	char err[512], emptied[200] = "x";
	struct mp_addr a;
	struct mp_drain_request rq = {.mirror = "m2",
				      .reason = "disk swap",
				      .by = "alice",
				      .uid = 1000,
				      .for_ms = 3600000,
				      .emptied = emptied,
				      .emptied_len = sizeof(emptied)};
	json_t *dj;

	setup("false", 0);
	view(A_10_20, 2, AAAA_10, 1);
	/* --update of what is not drained is refused */
	rq.update = true;
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "m2 is not drained: nothing to update "
				    "(drain it without --update)");
	rq.update = false;
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_OK);
	CU_ASSERT_STRING_EQUAL(emptied, ""); /* m1 still serves A */

	/* a second plain drain is refused and changes nothing */
	now += 60000;
	rq.reason = "other";
	rq.by = "bob";
	rq.for_ms = 0;
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_EEXIST);
	CU_ASSERT_STRING_EQUAL(
	    err, "m2 is already drained (by alice 1m ago, expires in 59m: "
		 "disk swap); use --update to change the drain (what is not "
		 "given again is kept) or --force to replace it");
	dj = m2_drain();
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(dj, "reason")),
			       "disk swap");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(dj, "until")),
			(json_int_t)((now - 60000 + 3600000) / 1000));
	json_decref(dj);

	/* --update with a new reason keeps the expiry */
	rq.update = true;
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_OK);
	dj = m2_drain();
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(dj, "reason")),
			       "other");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(dj, "by")),
			       "bob");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(dj, "until")),
			(json_int_t)((now - 60000 + 3600000) / 1000));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(dj, "since")),
			(json_int_t)((now - 60000) / 1000));
	json_decref(dj);
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log, "m2 drain updated by bob"));

	/* --update with only --for keeps the reason */
	rq.reason = NULL;
	rq.for_ms = 600000;
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_OK);
	dj = m2_drain();
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(dj, "reason")),
			       "other");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(dj, "until")),
			(json_int_t)((now + 600000) / 1000));
	json_decref(dj);

	/* --force replaces it whole: no reason, no expiry */
	rq.update = false;
	rq.force = true;
	rq.for_ms = 0;
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_OK);
	dj = m2_drain();
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(dj, "reason")),
			       "");
	CU_ASSERT_TRUE(json_is_null(json_object_get(dj, "until")));
	json_decref(dj);

	/* an address of its own is a second, separate drain */
	mp_addr_parse("192.0.2.20", &a);
	rq.address = &a;
	rq.force = false;
	rq.reason = "cable";
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_OK);
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_EEXIST);
	CU_ASSERT_STRING_EQUAL(
	    err,
	    "m2 192.0.2.20 is already drained (by bob just now: cable); use "
	    "--update to change the drain (what is not given again is "
	    "kept) or --force to replace it");
	teardown();
}

/* A drain's end is now + for: a "for" that would wrap the clock is
 * refused instead of ending the drain at the next tick. */
static void test_drain_for_bounded(void)
{
	char err[256] = "";
	struct mp_addr a;
	struct mp_drain_request rq = {.mirror = "m2",
				      .address = &a,
				      .reason = "x",
				      .by = "bob",
				      .uid = 1,
				      .for_ms = UINT64_MAX - 500};

	setup("false", 0);
	mp_addr_parse("192.0.2.20", &a);
	view(A_10_20, 2, AAAA_10, 1);
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "drain duration over 365 days");
	CU_ASSERT_FALSE(
	    mp_engine_target(eng, target("192.0.2.20"))->drain.active);
	rq.for_ms = MP_DURATION_MAX_ADD_MS + 1;
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_EINVAL);
	rq.for_ms = MP_DURATION_MAX_ADD_MS;
	rq.force = true;
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_OK);
	now += 86400000;
	mp_engine_tick(eng, mp_unit_at(now));
	CU_ASSERT_TRUE(
	    mp_engine_target(eng, target("192.0.2.20"))->drain.active);
	teardown();
}

static void test_foreign_record_removed(void)
{
	const char *a[] = {"192.0.2.10", "198.51.100.7"};
	setup("false", 0);
	view(a, 2, AAAA_10, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    mp_unit_log,
	    "holds 198.51.100.7, which belongs to no configured mirror"));
	expect_plan(0, "dl.example.org. A -198.51.100.7");
	/* a later change made by someone else is drift, logged and repaired */
	const char *b[] = {"192.0.2.10", "198.51.100.8"};
	view(b, 2, AAAA_10, 1);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log, "drift: dl.example.org. A changed"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log, "re-converging [POOL=dl.example.org. "));
	now += 6000;
	expect_plan(0, "dl.example.org. A -198.51.100.8");
	teardown();
}

static void test_foreign_only_not_emptied(void)
{
	const char *a[] = {"198.51.100.7"};

	setup("false", 0);
	view(a, 1, NULL, 0);
	/* every configured address starts down (absent): removing the foreign
	 * record would empty the RRset */
	expect_no_plan();
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log, "rather than emptying the RRset"));
	/* a configured mirror comes up: it replaces the foreign record */
	results("192.0.2.30", true, 2);
	expect_plan(0, "dl.example.org. A -198.51.100.7 +192.0.2.30");
	teardown();
}

static void test_reconfigure_keeps_state(void)
{
	struct mp_config *c2;
	char err[256];
	struct mp_drain_request rq = {
	    .mirror = "m3", .reason = "r", .by = "c", .uid = 2};

	setup("false", 0);
	view(A_10_20, 2, AAAA_10, 1);
	results("192.0.2.20", false, 2);
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_OK);
	c2 = load("false", 0);
	CU_ASSERT_EQUAL_FATAL(mp_engine_reconfigure(eng, c2, mp_unit_at(now)),
			      MP_OK);
	mp_config_free(cfg);
	cfg = c2;
	CU_ASSERT_EQUAL(mp_engine_target(eng, target("192.0.2.20"))
			    ->health.consecutive_fail,
			2);
	CU_ASSERT_TRUE(mp_engine_rrset(eng, 0)->in_dns_known);
	CU_ASSERT_EQUAL(mp_engine_rrset(eng, 0)->in_dns.n, 2);
	/* m3's mirror drain survived */
	json_t *st = mp_engine_status(eng, NULL, "t", false, mp_unit_at(now));
	json_t *m3 = json_array_get(
	    json_object_get(json_array_get(json_object_get(st, "pools"), 0),
			    "mirrors"),
	    2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m3, "name")),
			       "m3");
	CU_ASSERT_TRUE(json_is_object(json_object_get(m3, "drain")));
	json_decref(st);
	teardown();
}

/* A flap penalty is state to persist: up -> down makes the state dirty,
 * a failure that changes nothing, a recovery or a first verdict do not. */
static void test_penalty_dirties_state(void)
{
	setup("false", 0);
	view(A_10_20, 2, AAAA_10, 1);
	results("192.0.2.10", true, 2);
	mp_engine_state_dirty(eng, true);
	results("192.0.2.10", false, 2); /* 2 of fall 3: still up */
	CU_ASSERT_FALSE(mp_engine_state_dirty(eng, true));
	results("192.0.2.10", false, 1); /* down: a penalty */
	CU_ASSERT_TRUE(mp_engine_state_dirty(eng, true));
	results("192.0.2.10", false, 3); /* still down */
	CU_ASSERT_FALSE(mp_engine_state_dirty(eng, true));
	results("192.0.2.10", true, 2); /* up again */
	CU_ASSERT_FALSE(mp_engine_state_dirty(eng, true));
	teardown();
}

/* The status object of one address (a new reference), NULL when none. */
static json_t *address_status(const char *addr)
{
	json_t *st = mp_engine_status(eng, NULL, "t", false, mp_unit_at(now));
	json_t *pools = json_object_get(st, "pools"), *p, *m, *a, *out = NULL;
	size_t i, j, k;

	json_array_foreach(pools, i, p)
	{
		json_array_foreach(json_object_get(p, "mirrors"), j, m)
		{
			json_array_foreach(json_object_get(m, "addresses"), k,
					   a)
			{
				const char *t = json_string_value(
				    json_object_get(a, "address"));
				if (t && strcmp(t, addr) == 0)
					out = json_incref(a);
			}
		}
	}
	json_decref(st);
	return out;
}

/* The certificate watch: the subject and issuer a result carries are kept
 * (the result only lends them), survive a result without a handshake and a
 * reload, and show in status. */
static void test_certificate_subject_issuer(void)
{
	struct mp_check_result r;
	char subj[32], iss[32];
	struct mp_config *c2;
	json_t *a;

	setup("false", 0);
	memset(&r, 0, sizeof(r));
	r.ok = true;
	snprintf(r.detail, sizeof(r.detail), "HTTP 200");
	r.at_ms = now;
	r.cert_not_after = 1764059200;
	snprintf(subj, sizeof(subj), "/CN=dl.example.org");
	snprintf(iss, sizeof(iss), "/CN=Example CA");
	r.cert_subject = subj;
	r.cert_issuer = iss;
	mp_engine_check_result(eng, target("192.0.2.10"), &r, mp_unit_at(now));
	memset(subj, 'x', sizeof(subj) - 1); /* lent, not kept */
	CU_ASSERT_PTR_NULL(mp_engine_target(eng, target("192.0.2.10"))
			       ->health.last.cert_subject);
	r.cert_subject = r.cert_issuer = NULL; /* a resumed handshake */
	now += 1000;
	mp_engine_check_result(eng, target("192.0.2.10"), &r, mp_unit_at(now));
	c2 = load("false", 0);
	CU_ASSERT_EQUAL_FATAL(mp_engine_reconfigure(eng, c2, mp_unit_at(now)),
			      MP_OK);
	mp_config_free(cfg);
	cfg = c2;
	a = address_status("192.0.2.10");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(
	    json_integer_value(json_object_get(a, "tls_cert_expires")),
	    1764059200);
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(a, "tls_cert_subject")),
	    "/CN=dl.example.org");
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(a, "tls_cert_issuer")),
	    "/CN=Example CA");
	json_decref(a);
	/* an address without https shows none of them */
	a = address_status("192.0.2.20");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NULL(json_object_get(a, "tls_cert_subject"));
	CU_ASSERT_PTR_NULL(json_object_get(a, "tls_cert_expires"));
	json_decref(a);
	teardown();
}

/* The all-down count is skipped for results that do not change it; a
 * reload must still be judged afresh at the next result, however
 * unremarkable (here a failure after failures). */
static void test_reconfigure_reevaluates_freeze(void)
{
	struct mp_config *c2;

	setup("true", 1);
	view(A_10_20, 2, AAAA_10, 1);
	results("192.0.2.10", false, 1);
	results("192.0.2.20", false, 1);
	results("192.0.2.30", false, 1);
	results("2001:db8::10", false, 1);
	CU_ASSERT_TRUE_FATAL(mp_engine_frozen(eng, NULL));
	results("192.0.2.10", false, 2);
	CU_ASSERT_TRUE(mp_engine_frozen(eng, NULL));
	c2 = load("false", 1);
	CU_ASSERT_EQUAL_FATAL(mp_engine_reconfigure(eng, c2, mp_unit_at(now)),
			      MP_OK);
	mp_config_free(cfg);
	cfg = c2;
	results("192.0.2.20", false, 1);
	CU_ASSERT_FALSE(mp_engine_frozen(eng, NULL));
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log, "freeze released"));
	teardown();
}

/* A renamed mirror is new to the engine: it starts as DNS has it, like at
 * a start, so the rename changes nothing in DNS. */
static void test_reconfigure_renamed_mirror_starts_as_in_dns(void)
{
	const char *a[] = {"192.0.2.10", "192.0.2.20", "192.0.2.30"};
	struct mp_config *c2;

	setup("false", 1);
	view(a, 3, AAAA_10, 1);
	expect_no_plan();
	c2 = load_m3("false", 1, "m3b", "192.0.2.30");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c2);
	mp_unit_log[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(mp_engine_reconfigure(eng, c2, mp_unit_at(now)),
			      MP_OK);
	mp_config_free(cfg);
	cfg = c2;
	CU_ASSERT_EQUAL(
	    mp_engine_target(eng, target("192.0.2.30"))->health.state,
	    MP_HEALTH_UP);
	CU_ASSERT_STRING_EQUAL(mp_unit_log,
			       "m3b 192.0.2.30: starts up (present in DNS) "
			       "[POOL=dl.example.org. MIRROR=m3b "
			       "ADDRESS=192.0.2.30 CALLER_UID=-1]\n");
	expect_no_plan();
	teardown();
}

/* A mirror taken out of the configuration leaves DNS with the foreign
 * record warning; its replacement, absent from DNS, starts down. */
static void test_reconfigure_removed_mirror_is_foreign(void)
{
	const char *a[] = {"192.0.2.10", "192.0.2.20", "192.0.2.30"};
	struct mp_config *c2;

	setup("false", 1);
	view(a, 3, AAAA_10, 1);
	c2 = load_m3("false", 1, "m4", "192.0.2.40");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c2);
	mp_unit_log[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(mp_engine_reconfigure(eng, c2, mp_unit_at(now)),
			      MP_OK);
	mp_config_free(cfg);
	cfg = c2;
	CU_ASSERT_EQUAL(
	    mp_engine_target(eng, target("192.0.2.40"))->health.state,
	    MP_HEALTH_DOWN);
	CU_ASSERT_STRING_EQUAL(mp_unit_log,
			       "m4 192.0.2.40: starts down (absent in DNS) "
			       "[POOL=dl.example.org. MIRROR=m4 "
			       "ADDRESS=192.0.2.40 CALLER_UID=-1]\n"
			       "dl.example.org. A holds 192.0.2.30, which "
			       "belongs to no configured mirror; removing it "
			       "[POOL=dl.example.org. MIRROR= "
			       "ADDRESS=192.0.2.30 CALLER_UID=-1]\n");
	expect_plan(0, "dl.example.org. A -192.0.2.30");
	/* the re-read after the reload does not repeat the warning */
	mp_unit_log[0] = '\0';
	const char *b[] = {"192.0.2.10", "192.0.2.20"};
	view(b, 2, AAAA_10, 1);
	CU_ASSERT_PTR_NULL(strstr(mp_unit_log, "no configured mirror"));
	teardown();
}

static void test_state_roundtrip(void)
{
	char err[256];
	json_t *saved;
	struct mp_drain_request rq = {.mirror = "m2",
				      .reason = "maintenance",
				      .by = "carol",
				      .uid = 1001,
				      .for_ms = 3600000,
				      .force = true};

	setup("false", 0);
	view(A_10_20, 2, AAAA_10, 1);
	results("192.0.2.10", false, 3); /* up -> down: a damping penalty */
	/* m1 is down: only --force may drain the last healthy A */
	CU_ASSERT_EQUAL_FATAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_OK);
	CU_ASSERT_TRUE(mp_engine_state_dirty(eng, true));
	saved = mp_engine_state_save(eng, mp_unit_at(now));
	mp_engine_free(eng);
	CU_ASSERT_EQUAL_FATAL(
	    mp_engine_new(cfg, mp_unit_rnd_zero, mp_unit_at(now), &eng), MP_OK);
	CU_ASSERT_EQUAL(
	    mp_engine_state_load(eng, saved, mp_unit_at(now), err, sizeof(err)),
	    MP_OK);
	json_decref(saved);
	json_t *st = mp_engine_status(eng, NULL, "t", false, mp_unit_at(now));
	json_t *mirrors = json_object_get(
	    json_array_get(json_object_get(st, "pools"), 0), "mirrors");
	json_t *drain = json_object_get(json_array_get(mirrors, 1), "drain");
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(drain, "reason")), "maintenance");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(drain, "by")),
			       "carol");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(drain, "until")),
			(json_int_t)((now + 3600000) / 1000));
	json_t *a10 = json_array_get(
	    json_object_get(json_array_get(mirrors, 0), "addresses"), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a10, "penalty")),
			(json_int_t)cfg->damping.penalty);
	json_decref(st);
	/* corrupt input is refused, not half-applied */
	json_t *bad = json_pack("{s:i}", "version", 99);
	CU_ASSERT_EQUAL(
	    mp_engine_state_load(eng, bad, mp_unit_at(now), err, sizeof(err)),
	    MP_EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unsupported state version 99"));
	json_decref(bad);
	teardown();
}

static void test_dry_run_plans_once(void)
{
	struct mp_plan p;
	uint64_t next;

	setup("false", 0);
	mp_engine_set_dry_run(eng, true);
	view(A_10_20, 2, AAAA_10, 1);
	results("192.0.2.20", false, 3);
	CU_ASSERT_EQUAL_FATAL(mp_engine_plan(eng, mp_unit_at(now), &p, &next),
			      1);
	CU_ASSERT_TRUE(mp_engine_dry_run_note(eng, &p, mp_unit_at(now)));
	mp_plan_clear(&p);
	now += 60000;
	expect_no_plan(); /* the same change is not planned again */
	CU_ASSERT_EQUAL(mp_engine_rrset(eng, 0)->in_dns.n,
			2); /* DNS untouched */
	teardown();
}

static void test_status_and_metrics(void)
{
	char *m;
	json_t *st;

	setup("false", 0);
	view(A_10_20, 2, AAAA_10, 1);
	results("192.0.2.20", false, 3);
	expect_plan(0, "dl.example.org. A -192.0.2.20");
	st = mp_engine_status(eng, NULL, "9.9", false, mp_unit_at(now));
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(st, "version")), "9.9");
	json_t *pool = json_array_get(json_object_get(st, "pools"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(pool, "name")),
			       "dl.example.org.");
	json_t *a = json_object_get(json_object_get(pool, "rrsets"), "A");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(a, "in_dns")), 1);
	json_t *lu = json_object_get(a, "last_update");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(lu, "rcode")),
			       "NOERROR");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(
				   json_object_get(lu, "removed"), 0)),
			       "192.0.2.20");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(lu, "at")),
			(json_int_t)(now / 1000));
	json_decref(st);
	m = mp_engine_metrics(eng, mp_unit_at(now));
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(m, "mirrorpool_address_up{pool=\"dl.example.org.\",mirror="
		      "\"m2\",address=\"192.0.2.20\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(m, "mirrorpool_checks_total{pool=\"dl.example.org.\",mirror="
		      "\"m2\",address=\"192.0.2.20\",result=\"failed\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(m, "mirrorpool_updates_total{pool=\"dl.example.org.\",type="
		      "\"A\",result=\"ok\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "mirrorpool_rrset_records{pool=\"dl."
					 "example.org.\",type=\"A\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "mirrorpool_frozen 0\n"));
	free(m);
	teardown();
}

static bool has(const char *m, const char *line)
{
	bool ok = strstr(m, line) != NULL;
	if (!ok)
		fprintf(stderr, "\nmissing: %s", line);
	return ok;
}

#define L_M2 "{pool=\"dl.example.org.\",mirror=\"m2\",address=\"192.0.2.20\"}"

static void test_metrics_operator(void)
{
	char *m, err[256];
	struct mp_drain_request rq = {.mirror = "m2", .by = "a", .uid = 1};

	setup("false", 2);
	const uint64_t t0 = now;
	mp_engine_set_build(eng, "9.9.9", now - 5000);
	/* before the first read: what DNS holds is unknown, not 0 */
	m = mp_engine_metrics(eng, mp_unit_at(now));
	CU_ASSERT_TRUE(has(m, "mirrorpool_build_info{version=\"9.9.9\"} 1\n"));
	CU_ASSERT_TRUE(has(m, "# TYPE mirrorpool_start_time_seconds gauge\n"
			      "mirrorpool_start_time_seconds 1763799995\n"));
	CU_ASSERT_TRUE(has(m, "mirrorpool_rrset_records{pool=\"dl.example.org."
			      "\",type=\"A\"} NaN\n"));
	CU_ASSERT_TRUE(has(m, "mirrorpool_dns_up 0\n"));
	CU_ASSERT_TRUE(
	    has(m, "mirrorpool_dns_last_success_timestamp_seconds 0.000\n"));
	CU_ASSERT_TRUE(has(m, "mirrorpool_config_last_reload_success 1\n"));
	CU_ASSERT_TRUE(has(m, "mirrorpool_config_last_reload_timestamp_seconds "
			      "1763799995\n"));
	CU_ASSERT_TRUE(has(m, "mirrorpool_pool_min_healthy{pool=\"dl.example."
			      "org.\",type=\"AAAA\"} 2\n"));
	free(m);

	/* the primary answers, then stops answering */
	mp_engine_dns_result(eng, MP_DNS_RESULT_OK, t0);
	view(A_10_20, 2, AAAA_10, 1);
	mp_engine_dns_result(eng, MP_DNS_RESULT_TIMEOUT, t0 + 1000);
	mp_engine_dns_result(eng, MP_DNS_RESULT_NETWORK, t0 + 2000);
	mp_engine_dns_result(eng, MP_DNS_RESULT_NETWORK, t0 + 3000);
	mp_engine_dns_result(eng, MP_DNS_RESULT_RCODE, t0 + 4000);
	mp_engine_reload_result(eng, false, t0 + 4500);
	results("192.0.2.20", false, 3);
	CU_ASSERT_EQUAL(
	    mp_engine_drain(eng, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_OK);
	m = mp_engine_metrics(eng, mp_unit_at(now));
	CU_ASSERT_TRUE(has(m, "mirrorpool_dns_up 0\n"));
	CU_ASSERT_TRUE(has(m, "mirrorpool_dns_last_success_timestamp_seconds "
			      "1763800000.000\n"));
	CU_ASSERT_TRUE(has(m,
			   "mirrorpool_dns_errors_total{kind=\"timeout\"} 1\n"
			   "mirrorpool_dns_errors_total{kind=\"network\"} 2\n"
			   "mirrorpool_dns_errors_total{kind=\"tsig\"} 0\n"
			   "mirrorpool_dns_errors_total{kind=\"rcode\"} 1\n"));
	/* the last count read stays: dns_up says whether it is current */
	CU_ASSERT_TRUE(has(m, "mirrorpool_rrset_records{pool=\"dl.example.org."
			      "\",type=\"A\"} 2\n"));
	CU_ASSERT_TRUE(has(m, "mirrorpool_config_last_reload_success 0\n"));
	CU_ASSERT_TRUE(has(m, "mirrorpool_config_last_reload_timestamp_seconds "
			      "1763800004\n"));
	CU_ASSERT_TRUE(has(m, "mirrorpool_address_drained" L_M2 " 1\n"));
	CU_ASSERT_TRUE(has(m, "mirrorpool_address_penalty" L_M2 " 1000\n"));
	CU_ASSERT_TRUE(has(m, "mirrorpool_address_suppressed" L_M2 " 0\n"));
	CU_ASSERT_TRUE(has(m, "mirrorpool_address_drained{pool=\"dl.example."
			      "org.\",mirror=\"m1\",address=\"192.0.2.10\"} "
			      "0\n"));
	free(m);
	mp_engine_dns_result(eng, MP_DNS_RESULT_OK, t0 + 6000);
	mp_engine_reload_result(eng, true, t0 + 7000);
	m = mp_engine_metrics(eng, mp_unit_at(now));
	CU_ASSERT_TRUE(has(m, "mirrorpool_dns_up 1\n"));
	CU_ASSERT_TRUE(has(m, "mirrorpool_config_last_reload_success 1\n"));
	free(m);
	teardown();
}

static CU_TestInfo tests[] = {
    {"start-up changes nothing", test_startup_changes_nothing},
    {"failover and recovery", test_failover_and_recovery},
    {"all down: never empty", test_all_down_never_empty},
    {"all down: freeze", test_all_down_freezes},
    {"freeze release changes nothing", test_freeze_release_changes_nothing},
    {"flapping within the damping budget", test_flapping_within_damping_budget},
    {"rate limit coalesces", test_rate_limit_coalesces},
    {"drain: floor and --force", test_drain_floor_and_force},
    {"drain --for expires", test_drain_expires},
    {"drain twice: --update and --force", test_drain_twice},
    {"drain --for bounded", test_drain_for_bounded},
    {"foreign records and drift", test_foreign_record_removed},
    {"foreign-only RRset not emptied", test_foreign_only_not_emptied},
    {"reconfigure keeps state", test_reconfigure_keeps_state},
    {"certificate subject and issuer", test_certificate_subject_issuer},
    {"a flap penalty dirties the state", test_penalty_dirties_state},
    {"reconfigure: freeze judged again", test_reconfigure_reevaluates_freeze},
    {"reconfigure: renamed mirror starts as in DNS",
     test_reconfigure_renamed_mirror_starts_as_in_dns},
    {"reconfigure: removed mirror is foreign",
     test_reconfigure_removed_mirror_is_foreign},
    {"state round trip", test_state_roundtrip},
    {"dry run plans once", test_dry_run_plans_once},
    {"status and metrics", test_status_and_metrics},
    {"metrics an on-call alerts on", test_metrics_operator},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"engine", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
