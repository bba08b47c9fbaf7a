/* The engine with a vantage group: the vote decides what is published,
 * the journal names the votes, views go stale by their own time, the two
 * fallbacks, an observer never plans, status and metrics. */
#include "unit.h"
#include "unit_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "error.h"
#include "log.h"
#include "status_text.h"

#define T0 1763800000000ULL /* a fixed wall clock, ms */

#define CONF                                                                   \
	"dns = { server = \"127.0.0.1\"; zone = \"example.org\"; key = "       \
	"\"hmac-sha256:k:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"; };\n"             \
	"update = { min_interval = \"1s\"; max_per_hour = 600; };\n"           \
	"check = { url = \"https://dl.example.org/trace\"; rise = 2; fall = "  \
	"3; };\n"                                                              \
	"guard = { all_down_freeze = false; };\n"                              \
	"node = \"ams1\";\n"                                                   \
	"vantage = { role = \"%s\"; views = \"_mp.example.org.\"; nodes = [ "  \
	"\"ams1\", \"nyc1\", \"sgp1\" ]; quorum = 2; max_age = \"30s\"; "      \
	"publish_interval = \"2s\"; fallback = \"%s\"; };\n"                   \
	"pools = ( { name = \"dl.example.org.\"; min_healthy = 1;\n"           \
	"  mirrors = ( { name = \"m1\"; addresses = [ \"192.0.2.10\" ]; },\n"  \
	"              { name = \"m2\"; addresses = [ \"192.0.2.20\" ]; },\n"  \
	"              { name = \"m3\"; addresses = [ \"192.0.2.30\" ]; } ); " \
	"},\n"                                                                 \
	"  { name = \"dl2.example.org.\"; min_healthy = 1;\n"                  \
	"  mirrors = ( { name = \"m4\"; addresses = [ \"192.0.2.10\" ]; } ); " \
	"} );\n"

static struct mp_config *cfg;
static struct mp_engine *eng;
static uint64_t now;

static struct mp_config *load(const char *role, const char *fallback)
{
	char text[4096];

	snprintf(text, sizeof(text), CONF, role, fallback);
	return mp_unit_config(text);
}

/* An engine whose pools hold .10 .20 .30 (dl) and .10 (dl2) in DNS. */
static void setup(const char *role, const char *fallback)
{
	struct mp_addr_set s, one;
	struct mp_addr a;

	cfg = load(role, fallback);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	now = T0;
	mp_unit_log_start(mp_unit_log_capture);
	CU_ASSERT_EQUAL_FATAL(
	    mp_engine_new(cfg, mp_unit_rnd_zero, mp_unit_at(now), &eng), MP_OK);
	mp_addr_set_init(&s);
	mp_addr_set_init(&one);
	mp_addr_parse("192.0.2.10", &a);
	mp_addr_set_add(&s, &a);
	mp_addr_set_add(&one, &a);
	mp_addr_parse("192.0.2.20", &a);
	mp_addr_set_add(&s, &a);
	mp_addr_parse("192.0.2.30", &a);
	mp_addr_set_add(&s, &a);
	mp_engine_dns_view(eng, 0, &s, mp_unit_at(now));
	mp_addr_set_clear(&s);
	mp_engine_dns_view(eng, 1, &s, mp_unit_at(now));
	mp_engine_dns_view(eng, 2, &one, mp_unit_at(now));
	mp_engine_dns_view(eng, 3, &s, mp_unit_at(now));
	mp_addr_set_clear(&one);
}

static void teardown(void)
{
	mp_unit_engine_free(&eng, &cfg);
}

static size_t target(const char *addr)
{
	return mp_unit_target(eng, addr);
}

/* n own checks of addr (in pool dl), 2 s apart. */
static void checks(const char *addr, bool ok, int n)
{
	for (int i = 0; i < n; i++) {
		now += 2000;
		mp_unit_check(eng, target(addr), ok, now);
	}
}

/* node's view made at view_ms: "u" or "d" for .10, .20, .30 ('-': left
 * out). Returns what mp_engine_node_view did. */
static bool node_view(const char *node, const char *verdicts, uint64_t view_ms)
{
	static const char *const addrs[] = {"192.0.2.10", "192.0.2.20",
					    "192.0.2.30"};
	struct mp_view v;
	struct mp_addr a;
	bool r;

	mp_view_init(&v);
	v.time_ms = view_ms;
	for (size_t i = 0; i < 3; i++) {
		if (verdicts[i] == '-')
			continue;
		mp_addr_parse(addrs[i], &a);
		mp_view_add(&v, &a, NULL,
			    verdicts[i] == 'u' ? MP_VERDICT_UP
					       : MP_VERDICT_DOWN);
	}
	r = mp_engine_node_view(eng, node, &v, NULL, mp_unit_at(now));
	mp_view_clear(&v);
	return r;
}

/* Plans and expects "desc" for the dl A RRset, or no plan at all (NULL);
 * an UPDATE planned is applied. */
static void expect_plan(const char *desc, int line)
{
	struct mp_plan p;
	uint64_t next;
	char buf[512] = "";
	int rc = mp_engine_plan(eng, mp_unit_at(now), &p, &next);

	if (rc == 1) {
		mp_plan_item_describe(eng, &p.items[0], buf, sizeof(buf));
		mp_engine_update_result(eng, &p, MP_UPDATE_DONE, "NOERROR",
					mp_unit_at(now));
		mp_plan_clear(&p);
	}
	if (desc ? strcmp(buf, desc) != 0 : rc != 0)
		fprintf(stderr,
			"\n  line %d: planned \"%s\", wanted \"%s\"\n%s", line,
			buf, desc ? desc : "(nothing)", mp_unit_log);
	CU_assertImplementation(desc ? strcmp(buf, desc) == 0 : rc == 0,
				(unsigned)line, "plan", __FILE__, "", CU_FALSE);
	now += 1000; /* past min_interval */
}
#define PLAN(desc) expect_plan(desc, __LINE__)

static bool logged(const char *s)
{
	return strstr(mp_unit_log, s) != NULL;
}

static void test_restart_adopts_without_churn(void)
{
	setup("writer", "local");
	PLAN(NULL);
	CU_ASSERT_EQUAL(mp_engine_target(eng, target("192.0.2.20"))->voted,
			MP_HEALTH_UP);
	/* the views of the others agree with DNS: still nothing to do */
	node_view("nyc1", "uuu", now);
	node_view("sgp1", "uuu", now);
	PLAN(NULL);
	teardown();
}

static void test_one_vantage_is_not_enough(void)
{
	setup("writer", "local");
	node_view("nyc1", "uuu", now);
	node_view("sgp1", "uuu", now);
	PLAN(NULL);
	checks("192.0.2.20", false, 3);
	CU_ASSERT_EQUAL(
	    mp_engine_target(eng, target("192.0.2.20"))->health.state,
	    MP_HEALTH_DOWN);
	PLAN(NULL);
	CU_ASSERT(logged("m2 192.0.2.20: stays up: 1/3 down, quorum 2 (ams1 "
			 "down, nyc1 up, sgp1 up)"));
	CU_ASSERT_EQUAL(mp_engine_target(eng, target("192.0.2.20"))->voted,
			MP_HEALTH_UP);
	/* a second vantage point sees it fail: out */
	node_view("nyc1", "udu", now);
	PLAN("dl.example.org. A -192.0.2.20");
	CU_ASSERT(logged("m2 192.0.2.20: down by quorum 2/3 (ams1 down, nyc1 "
			 "down, sgp1 up)"));
	/* all three see it down; one recovers: not enough */
	node_view("sgp1", "udu", now);
	PLAN(NULL);
	node_view("nyc1", "uuu", now);
	PLAN(NULL);
	CU_ASSERT(logged("m2 192.0.2.20: stays down: 1/3 up, quorum 2 (ams1 "
			 "down, nyc1 up, sgp1 down)"));
	/* ... a second one too: back */
	checks("192.0.2.20", true, 2);
	PLAN("dl.example.org. A +192.0.2.20");
	CU_ASSERT(logged("m2 192.0.2.20: up by quorum 2/3 (ams1 up, nyc1 up, "
			 "sgp1 down)"));
	teardown();
}

/* Two views read between two plans can swap their votes and leave the
 * counts as they were: the journal still says who says what now. */
static void test_swapped_votes_are_logged(void)
{
	setup("writer", "local");
	node_view("nyc1", "uuu", now);
	node_view("sgp1", "uuu", now);
	checks("192.0.2.20", false, 3);
	node_view("nyc1", "udu", now);
	PLAN("dl.example.org. A -192.0.2.20");
	/* sgp1 sees it fail and nyc1 recover before the next plan */
	node_view("sgp1", "udu", now);
	node_view("nyc1", "uuu", now);
	PLAN(NULL);
	CU_ASSERT(logged("m2 192.0.2.20: stays down: 1/3 up, quorum 2 (ams1 "
			 "down, nyc1 up, sgp1 down)"));
	/* the same votes again: nothing more to say */
	mp_unit_log[0] = '\0';
	node_view("nyc1", "uuu", now + 1);
	PLAN(NULL);
	CU_ASSERT_PTR_NULL(strstr(mp_unit_log, "stays"));
	teardown();
}

static void test_observers_outvote_the_writer(void)
{
	setup("writer", "local");
	node_view("nyc1", "udu", now);
	node_view("sgp1", "udu", now);
	PLAN("dl.example.org. A -192.0.2.20");
	/* the writer has not checked yet: its state adopted from DNS is
	 * no vote */
	CU_ASSERT(logged("down by quorum 2/3 (ams1 unknown, nyc1 down, sgp1 "
			 "down)"));
	teardown();
}

static void test_stale_views_and_local_fallback(void)
{
	uint64_t t_view;

	setup("writer", "local");
	t_view = now;
	CU_ASSERT_TRUE(node_view("nyc1", "uuu", now));
	/* the same view read again changes nothing */
	CU_ASSERT_FALSE(node_view("nyc1", "uuu", t_view));
	node_view("sgp1", "uuu", now);
	checks("192.0.2.20", false, 3);
	PLAN(NULL);
	CU_ASSERT_FALSE(logged("quorum lost"));
	/* 30 s later both views are stale */
	now = t_view + 30001;
	{
		struct mp_plan p;
		uint64_t next = 0;
		/* and the engine knew when to look again */
		now = t_view + 29000;
		CU_ASSERT_EQUAL(mp_engine_plan(eng, mp_unit_at(now), &p, &next),
				0);
		CU_ASSERT_EQUAL(next, t_view + 30001);
		now = next;
	}
	PLAN("dl.example.org. A -192.0.2.20");
	CU_ASSERT(logged("vantage: quorum lost: 1 of 3 nodes have a fresh "
			 "view, quorum is 2; deciding by the fresh votes "
			 "alone (fallback local)"));
	CU_ASSERT(logged("m2 192.0.2.20: down by the fresh votes alone 1/3 "
			 "(ams1 down, nyc1 stale, sgp1 stale)"));
	/* said once */
	checks("192.0.2.30", false, 3);
	PLAN("dl.example.org. A -192.0.2.30");
	CU_ASSERT_PTR_NULL(
	    strstr(strstr(mp_unit_log, "quorum lost") + 1, "quorum lost"));
	/* fresh views again */
	node_view("nyc1", "uuu", now);
	node_view("sgp1", "uuu", now);
	PLAN("dl.example.org. A +192.0.2.20 +192.0.2.30");
	CU_ASSERT(logged("vantage: quorum regained: 3 of 3 nodes have a fresh "
			 "view (quorum 2)"));
	teardown();
}

static void test_freeze_fallback(void)
{
	setup("writer", "freeze");
	node_view("nyc1", "uud", now);
	/* sgp1 never published */
	mp_engine_node_view(eng, "sgp1", NULL, "NXDOMAIN", mp_unit_at(now));
	CU_ASSERT(logged("vantage: view of sgp1 unreadable: NXDOMAIN; it has "
			 "no vote"));
	checks("192.0.2.20", false, 3);
	/* 2 of 3 fresh: the quorum is there */
	PLAN(NULL);
	now += 31000;
	PLAN(NULL);
	CU_ASSERT(logged("no address is removed (fallback freeze; additions "
			 "continue)"));
	CU_ASSERT(logged("m2 192.0.2.20: kept up: 1/3 down, but only 1 of 3 "
			 "views fresh (fallback freeze) (ams1 down, nyc1 "
			 "stale, sgp1 no view)"));
	/* additions continue: .30 went out while nyc1 was fresh */
	teardown();

	setup("writer", "freeze");
	node_view("nyc1", "udd", now);
	checks("192.0.2.30", false, 3);
	PLAN("dl.example.org. A -192.0.2.30");
	now += 31000;
	checks("192.0.2.30", true, 2);
	PLAN("dl.example.org. A +192.0.2.30");
	teardown();
}

static void test_future_views(void)
{
	setup("writer", "local");
	/* within the TSIG fudge: fresh */
	node_view("nyc1", "udu", now + 299000);
	node_view("sgp1", "udu", now + 400000); /* beyond: stale */
	checks("192.0.2.20", true, 1);
	PLAN(NULL); /* nyc1 down, sgp1 stale, ams1 unknown */
	node_view("sgp1", "udu", now);
	PLAN("dl.example.org. A -192.0.2.20");
	teardown();
}

static void test_pool_qualified_views(void)
{
	struct mp_view own;
	char why[64];

	setup("writer", "local");
	checks("192.0.2.10", true, 2);
	checks("192.0.2.20", false, 3);
	mp_view_init(&own);
	CU_ASSERT_EQUAL(mp_engine_own_view(eng, now, &own), MP_OK);
	CU_ASSERT_EQUAL(own.time_ms, now);
	/* .10 is in dl and in dl2 (checked once, in dl, above); .20 in one
	 * pool; .30 unknown */
	{
		struct mp_addr a;
		mp_addr_parse("192.0.2.10", &a);
		CU_ASSERT_EQUAL(mp_view_lookup(&own, &a, "dl.example.org."),
				MP_VERDICT_UP);
		CU_ASSERT_EQUAL(mp_view_lookup(&own, &a, "dl2.example.org."),
				MP_VERDICT_UNKNOWN);
		mp_addr_parse("192.0.2.20", &a);
		CU_ASSERT_EQUAL(mp_view_lookup(&own, &a, NULL),
				MP_VERDICT_DOWN);
		mp_addr_parse("192.0.2.30", &a);
		CU_ASSERT_EQUAL(mp_view_lookup(&own, &a, NULL),
				MP_VERDICT_UNKNOWN);
	}
	CU_ASSERT_EQUAL(own.n, 2);
	{
		struct mp_txt_set s = {NULL, 0};
		struct mp_view back;
		mp_view_init(&back);
		CU_ASSERT_EQUAL(mp_view_encode(&own, 1024, &s), MP_OK);
		CU_ASSERT_EQUAL(mp_view_decode(&s, &back, why, sizeof(why)),
				MP_OK);
		CU_ASSERT(mp_view_same_items(&own, &back));
		mp_txt_set_clear(&s);
		mp_view_clear(&back);
	}
	mp_view_clear(&own);
	teardown();
}

static void test_observer_never_plans(void)
{
	struct mp_plan p;
	uint64_t next = 0;
	struct mp_view own;

	setup("observer", "local");
	checks("192.0.2.20", false, 3);
	checks("192.0.2.30", false, 3);
	CU_ASSERT_EQUAL(mp_engine_plan(eng, mp_unit_at(now), &p, &next), 0);
	CU_ASSERT_EQUAL(next, UINT64_MAX);
	mp_view_init(&own);
	mp_engine_own_view(eng, now, &own);
	CU_ASSERT_EQUAL(own.n, 2);
	mp_view_clear(&own);
	teardown();
}

static void test_status_and_metrics(void)
{
	json_t *st, *addr, *votes, *vt;
	char *m;

	setup("writer", "local");
	node_view("nyc1", "udu", now);
	now += 5000;
	checks("192.0.2.20", false, 3);
	PLAN("dl.example.org. A -192.0.2.20");
	st = mp_engine_status(eng, NULL, "test", false, mp_unit_at(now));
	vt = json_object_get(st, "vantage");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(vt, "node")),
			       "ams1");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(vt, "fresh")), 2);
	CU_ASSERT_TRUE(json_is_false(json_object_get(vt, "quorum_lost")));
	addr = json_array_get(
	    json_object_get(
		json_array_get(
		    json_object_get(
			json_array_get(json_object_get(st, "pools"), 0),
			"mirrors"),
		    1),
		"addresses"),
	    0);
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(addr, "decision")), "down");
	votes = json_object_get(addr, "votes");
	CU_ASSERT_EQUAL_FATAL(json_array_size(votes), 3);
	{
		char *s = json_dumps(votes, JSON_COMPACT);
		CU_ASSERT_STRING_EQUAL(
		    s, "[{\"node\":\"ams1\",\"vote\":\"down\",\"age_s\":0,"
		       "\"stale\":false},{\"node\":\"nyc1\",\"vote\":\"down\","
		       "\"age_s\":12,\"stale\":false},{\"node\":\"sgp1\","
		       "\"vote\":\"none\",\"age_s\":null,\"stale\":true}]");
		free(s);
	}
	{
		char *txt = mp_status_text(st, now / 1000);
		CU_ASSERT_PTR_NOT_NULL(strstr(
		    txt, "Vantage: node ams1 (writer), quorum 2, 2 fresh: "
			 "ams1, nyc1 12s, sgp1 (no view)\n"));
		CU_ASSERT_PTR_NOT_NULL(
		    strstr(txt, "192.0.2.20 votes: ams1 down, nyc1 down 12s, "
				"sgp1 none (no view); in force: down"));
		free(txt);
	}
	json_decref(st);
	m = mp_engine_metrics(eng, mp_unit_at(now));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(m, "mirrorpool_view_age_seconds{node=\"nyc1\"} 12.000\n"));
	CU_ASSERT_PTR_NULL(
	    strstr(m, "mirrorpool_view_age_seconds{node=\"sgp1"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(m, "mirrorpool_address_votes{pool=\"dl.example.org.\","
		      "mirror=\"m2\",address=\"192.0.2.20\",verdict=\"down\"} "
		      "2\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(m, "mirrorpool_address_votes{pool=\"dl.example.org.\","
		      "mirror=\"m2\",address=\"192.0.2.20\",verdict=\"stale\"} "
		      "1\n"));
	free(m);
	teardown();
}

static void test_reload_keeps_views(void)
{
	struct mp_config *c2;

	setup("writer", "local");
	node_view("nyc1", "udu", now);
	node_view("sgp1", "udu", now);
	PLAN("dl.example.org. A -192.0.2.20");
	c2 = load("writer", "local");
	CU_ASSERT_EQUAL_FATAL(mp_engine_reconfigure(eng, c2, mp_unit_at(now)),
			      MP_OK);
	mp_config_free(cfg);
	cfg = c2;
	PLAN(NULL);
	CU_ASSERT_EQUAL(mp_engine_target(eng, target("192.0.2.20"))->voted,
			MP_HEALTH_DOWN);
	teardown();
}

static CU_TestInfo tests[] = {
    {"restart adopts without churn", test_restart_adopts_without_churn},
    {"one vantage point is not enough", test_one_vantage_is_not_enough},
    {"swapped votes are logged", test_swapped_votes_are_logged},
    {"observers outvote the writer", test_observers_outvote_the_writer},
    {"stale views, local fallback", test_stale_views_and_local_fallback},
    {"freeze fallback", test_freeze_fallback},
    {"views from the future", test_future_views},
    {"own view, pool-qualified", test_pool_qualified_views},
    {"observer never plans", test_observer_never_plans},
    {"status and metrics", test_status_and_metrics},
    {"reload keeps views", test_reload_keeps_views},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"engine_vantage", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
