/* A JSON pool's runtime: adoption at start, failover and recovery in the
 * output, source edits, drains and the floor, stale results, status. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "jsonstate.h"
#include "log.h"

#define SRC3                                                                   \
	"{\"version\": 1, \"mirrors\": [\n"                                    \
	" {\"url_prefix\": \"https://a.example/tails/\", \"weight\": 10, "     \
	"\"x\": [1]},\n"                                                       \
	" {\"url_prefix\": \"https://b.example/tails/\", \"weight\": 20},\n"   \
	" {\"url_prefix\": \"https://c.example/\", \"weight\": 0}\n"           \
	"]}\n"

static struct mp_json_pool_cfg jp;
static struct mp_damping_cfg damp;
static struct mp_jstate *js;
static uint64_t now;

static struct mp_jp_list *parse(const char *text)
{
	struct mp_jp_list *l = NULL;
	char err[300];

	CU_ASSERT_EQUAL(
	    mp_jp_parse(text, strlen(text), "src.json", &l, err, sizeof(err)),
	    MP_OK);
	return l;
}

static void setup(unsigned min_healthy, bool check_disabled, const char *served)
{
	struct mp_jp_list *sv = served ? parse(served) : NULL;

	memset(&jp, 0, sizeof(jp));
	jp.name = "tails";
	jp.source = "/srv/tails/mirrors.json";
	jp.output = "/var/www/mirrors.json";
	jp.path = "project/trace";
	jp.min_healthy = min_healthy;
	jp.check_disabled = check_disabled;
	jp.check.type = MP_CHECK_HTTP;
	jp.check.interval_ms = 10000;
	jp.check.fast_interval_ms = 2000;
	jp.check.timeout_ms = 3000;
	jp.check.rise = 2;
	jp.check.fall = 2;
	damp.penalty = 1000;
	damp.suppress = 2000;
	damp.reuse = 750;
	damp.half_life_ms = 900000;
	damp.max_suppress_ms = 3600000;
	now = 1000000;
	mp_unit_log[0] = '\0';
	mp_log_set_sink(mp_unit_log_capture_fields, NULL);
	CU_ASSERT_EQUAL_FATAL(mp_jstate_new(&jp, &damp, &js), MP_OK);
	CU_ASSERT_EQUAL_FATAL(mp_jstate_set_list(js, parse(SRC3), sv, now),
			      MP_OK);
	mp_jp_list_free(sv);
}

static void teardown(void)
{
	mp_jstate_free(js);
	js = NULL;
	mp_log_set_sink(NULL, NULL);
}

static void result(const char *name, bool ok)
{
	struct mp_check_result r;
	size_t i = mp_jstate_find(js, name);

	CU_ASSERT_FATAL(i < mp_jstate_n(js));
	memset(&r, 0, sizeof(r));
	r.ok = ok;
	snprintf(r.detail, sizeof(r.detail), ok ? "HTTP 200" : "HTTP 503");
	r.latency_ms = 5;
	mp_jstate_check_result(js, i, &r, false, now);
}

static void results(bool a, bool b)
{
	now += 2000;
	result("a.example", a);
	result("b.example", b);
}

/* Expects an output due now with these weights for a, b, c (-1: none
 * due); marks it written. */
static void expect_output(int a, int b, int c)
{
	char *text = NULL, want[512];
	size_t len = 0;
	int rc = mp_jstate_output(js, false, now, &text, &len);

	if (a < 0) {
		CU_ASSERT_EQUAL(rc, 0);
		free(text);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(rc, 1);
	snprintf(want, sizeof(want),
		 "{\"version\": 1, \"mirrors\": [\n"
		 " {\"url_prefix\": \"https://a.example/tails/\", \"weight\": "
		 "%d, \"x\": [1]},\n"
		 " {\"url_prefix\": \"https://b.example/tails/\", \"weight\": "
		 "%d},\n"
		 " {\"url_prefix\": \"https://c.example/\", \"weight\": %d}\n"
		 "]}\n",
		 a, b, c);
	CU_ASSERT_STRING_EQUAL(text, want);
	CU_ASSERT_EQUAL(len, strlen(want));
	free(text);
	mp_jstate_written(js);
}

static void test_start_and_failover(void)
{
	struct mp_jentry *e;

	setup(1, false, NULL);
	CU_ASSERT_EQUAL(mp_jstate_n(js), 3);
	e = mp_jstate_entry(js, 0);
	CU_ASSERT_STRING_EQUAL(e->url, "https://a.example/tails/project/trace");
	CU_ASSERT_STRING_EQUAL(e->check.host, "a.example");
	CU_ASSERT_TRUE(e->check.https);
	CU_ASSERT_EQUAL(e->check.port, 443);
	CU_ASSERT_TRUE(e->checked);
	CU_ASSERT_FALSE(mp_jstate_entry(js, 2)->checked); /* weight 0 */
	/* no output yet: the source's weights are adopted, and the first
	 * output is the source itself */
	expect_output(10, 20, 0);
	expect_output(-1, 0, 0);
	results(true, true);
	expect_output(-1, 0, 0);
	results(true, false);
	expect_output(-1, 0, 0); /* fall 2 */
	results(true, false);
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    mp_unit_log,
	    "b.example https://b.example/tails/project/trace: up -> "
	    "down (2/2 failures, last: HTTP 503 in 5 ms); weight 0 in "
	    "/var/www/mirrors.json [POOL=tails MIRROR=b.example ADDRESS="));
	expect_output(10, 0, 0);
	expect_output(-1, 0, 0);
	results(true, true);
	expect_output(-1, 0, 0); /* rise 2 */
	results(true, true);
	expect_output(10, 20, 0);
	teardown();
}

/* A restart adopts what the output serves: b, at 0 there, starts down. */
static void test_adopts_served(void)
{
	setup(1, false,
	      "[{\"url_prefix\": \"https://a.example/tails/\", \"weight\": "
	      "10}, {\"url_prefix\": \"https://b.example/tails/\", \"weight\": "
	      "0}]");
	CU_ASSERT_EQUAL(mp_jstate_entry(js, 1)->health.state, MP_HEALTH_DOWN);
	expect_output(10, 0, 0);
	results(true, true);
	results(true, true);
	expect_output(10, 20, 0);
	teardown();
}

/* Edits: a new entry starts out and comes in after its checks, a removed
 * one leaves the output, the others keep their state. */
static void test_source_edits(void)
{
	const char *edited =
	    "[{\"url_prefix\": \"https://b.example/tails/\", \"weight\": 20},"
	    " {\"url_prefix\": \"https://d.example/\", \"weight\": 5}]";
	char *text;
	size_t len;

	setup(1, false, NULL);
	expect_output(10, 20, 0);
	results(true, false);
	results(true, false); /* b down */
	expect_output(10, 0, 0);
	CU_ASSERT_EQUAL(mp_jstate_set_list(js, parse(edited), NULL, now),
			MP_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    mp_unit_log, "json pool tails: mirror d.example added (weight "
			 "5); out until its checks pass"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    mp_unit_log, "json pool tails: mirror a.example removed from "
			 "the source; it leaves the output"));
	CU_ASSERT_EQUAL(mp_jstate_n(js), 2);
	CU_ASSERT_EQUAL(mp_jstate_entry(js, 0)->health.state, MP_HEALTH_DOWN);
	CU_ASSERT_EQUAL(mp_jstate_entry(js, 1)->health.state, MP_HEALTH_DOWN);
	/* b is down and already at 0 in the output, d has not passed its
	 * checks: the never-empty rule keeps only entries the output holds
	 * with weight > 0, so every weight is 0 until d passes */
	CU_ASSERT_EQUAL(mp_jstate_output(js, false, now, &text, &len), 1);
	CU_ASSERT_STRING_EQUAL(
	    text,
	    "[{\"url_prefix\": \"https://b.example/tails/\", \"weight\": "
	    "0}, {\"url_prefix\": \"https://d.example/\", \"weight\": 0}]");
	free(text);
	mp_jstate_written(js);
	now += 2000;
	result("d.example", true);
	now += 2000;
	result("d.example", true);
	CU_ASSERT_EQUAL(mp_jstate_output(js, false, now, &text, &len), 1);
	CU_ASSERT_STRING_EQUAL(
	    text,
	    "[{\"url_prefix\": \"https://b.example/tails/\", \"weight\": "
	    "0}, {\"url_prefix\": \"https://d.example/\", \"weight\": 5}]");
	free(text);
	teardown();
}

static void test_drain_and_floor(void)
{
	char err[300];

	setup(2, false, NULL);
	expect_output(10, 20, 0);
	CU_ASSERT_EQUAL(mp_jstate_drain(js, "b.example", "disk", "alice", false,
					now, 1700000000, err, sizeof(err)),
			MP_EREFUSED);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(err, "draining b.example would leave json pool tails "
			"with 1 healthy mirror (min_healthy 2); use --force"));
	CU_ASSERT_EQUAL(mp_jstate_drain(js, "nope", NULL, "alice", false, now,
					0, err, sizeof(err)),
			MP_ENOENT);
	CU_ASSERT_EQUAL(mp_jstate_drain(js, "b.example", "disk", "alice", true,
					now, 1700000000, err, sizeof(err)),
			MP_OK);
	expect_output(10, 0, 0);
	/* the floor keeps a failing one in, never a drained one */
	results(false, true);
	results(false, true);
	CU_ASSERT_EQUAL(mp_jstate_entry(js, 0)->health.state, MP_HEALTH_DOWN);
	expect_output(-1, 0, 0); /* a kept by the floor */
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log, "json pool tails: floor engaged"));
	CU_ASSERT_EQUAL(
	    mp_jstate_undrain(js, "b.example", "alice", err, sizeof(err)),
	    MP_OK);
	expect_output(10, 20, 0);
	CU_ASSERT_EQUAL(
	    mp_jstate_undrain(js, "b.example", "alice", err, sizeof(err)),
	    MP_ENOENT);
	teardown();
}

/* No results for three intervals: the entry's weight goes to 0. */
static void test_stale(void)
{
	setup(0, false, NULL);
	expect_output(10, 20, 0);
	now += 20000;
	result("a.example", true);
	expect_output(-1, 0, 0);
	now += 20000; /* b: no result for 40 s > 3 * 10 s + 3 s */
	result("a.example", true);
	expect_output(10, 0, 0);
	teardown();
}

/* The freeze keeps every entry's weight; check_disabled checks the
 * disabled one, which stays 0. */
static void test_freeze_and_check_disabled(void)
{
	char *text;
	size_t len;
	struct mp_check_result r;

	setup(0, true, NULL);
	CU_ASSERT_TRUE(mp_jstate_entry(js, 2)->checked);
	expect_output(10, 20, 0);
	memset(&r, 0, sizeof(r));
	snprintf(r.detail, sizeof(r.detail), "timeout");
	for (int i = 0; i < 5; i++) {
		now += 2000;
		mp_jstate_check_result(js, 0, &r, true, now);
		mp_jstate_check_result(js, 1, &r, true, now);
	}
	CU_ASSERT_EQUAL(mp_jstate_entry(js, 0)->health.state, MP_HEALTH_UP);
	CU_ASSERT_EQUAL(mp_jstate_output(js, true, now, &text, &len), 0);
	r.ok = true;
	now += 2000;
	mp_jstate_check_result(js, 2, &r, false, now);
	now += 2000;
	mp_jstate_check_result(js, 2, &r, false, now);
	CU_ASSERT_EQUAL(mp_jstate_entry(js, 2)->health.state, MP_HEALTH_UP);
	CU_ASSERT_EQUAL(mp_jstate_output(js, false, now, &text, &len), 0);
	teardown();
}

static void test_status(void)
{
	json_t *st;
	char err[200];
	const json_t *m;

	setup(1, false, NULL);
	expect_output(10, 20, 0);
	results(true, true);
	mp_jstate_drain(js, "a.example", "move", "bob", true, now, 1700000000,
			err, sizeof(err));
	mp_jstate_source_error(js, "src.json:3:1: end of file expected");
	st = mp_jstate_status(js, now);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(st, "name")),
			       "tails");
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(st, "source_error")),
	    "src.json:3:1: end of file expected");
	m = json_array_get(json_object_get(st, "mirrors"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "url")),
			       "https://a.example/tails/project/trace");
	CU_ASSERT_TRUE(json_is_true(json_object_get(m, "drained")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
				   json_object_get(m, "drain"), "by")),
			       "bob");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(m, "weight")), 10);
	m = json_array_get(json_object_get(st, "mirrors"), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "state")),
			       "not checked");
	json_decref(st);
	teardown();
}

static CU_TestInfo tests[] = {
    {"start, failover and recovery", test_start_and_failover},
    {"a restart adopts the served list", test_adopts_served},
    {"source edits", test_source_edits},
    {"drains and the floor", test_drain_and_floor},
    {"stale results", test_stale},
    {"freeze and check_disabled", test_freeze_and_check_disabled},
    {"status", test_status},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"jsonstate", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
