/* JSON pools inside the engine: drains and status by entry name, the
 * guard's freeze, and a reload that keeps every entry's state. */
#include "unit.h"
#include "unit_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "error.h"
#include "jsonstate.h"
#include "log.h"

#define CONF                                                                   \
	"dns = { server = \"127.0.0.1\"; zone = \"example.org\"; key = "       \
	"\"hmac-sha256:k:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"; };\n"             \
	"check = { url = \"https://dl.example.org/trace\"; rise = 1; fall = "  \
	"1; };\n"                                                              \
	"pools = ( { name = \"dl.example.org.\"; min_healthy = 1;\n"           \
	"  mirrors = ( { name = \"m1\"; addresses = [ \"192.0.2.1\" ]; } ); "  \
	"} "                                                                   \
	");\n"                                                                 \
	"json_pools = ( { name = \"tails\"; source = \"/srv/m.json\"; output " \
	"= \"/var/www/m.json\"; min_healthy = %d; check = { path = "           \
	"\"project/trace\"; }; } );\n"                                         \
	"state_file = \"/tmp/mp-unit-state.json\";\n"

static const char *SRC =
    "[{\"url_prefix\": \"https://a.example/t/\", \"weight\": 10},\n"
    " {\"url_prefix\": \"https://b.example/t/\", \"weight\": 20}]\n";

static const char *SRC_A =
    "[{\"url_prefix\": \"https://a.example/t/\", \"weight\": 10}]\n";

static struct mp_config *load(int min_healthy)
{
	char text[2048];

	snprintf(text, sizeof(text), CONF, min_healthy);
	return mp_unit_config(text);
}

static void fail_b(struct mp_engine *e, uint64_t now)
{
	struct mp_check_result r;

	memset(&r, 0, sizeof(r));
	snprintf(r.detail, sizeof(r.detail), "HTTP 503");
	r.at_ms = now;
	mp_engine_json_result(e, 0, 1, &r, mp_unit_at(now));
}

static void test_engine_json(void)
{
	struct mp_config *cfg = load(1), *cfg2;
	struct mp_engine *e = NULL;
	struct mp_jp_list *l = NULL;
	struct mp_drain_request rq = {0};
	char err[300], *text;
	size_t len;
	uint64_t now = 1000000;
	json_t *st;

	mp_log_set_sink(mp_unit_log_discard, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL_FATAL(
	    mp_engine_new(cfg, mp_unit_rnd_zero, mp_unit_at(now), &e), MP_OK);
	CU_ASSERT_EQUAL_FATAL(mp_engine_n_json_pools(e), 1);
	CU_ASSERT_EQUAL_FATAL(
	    mp_jp_parse(SRC, strlen(SRC), "m.json", &l, err, sizeof(err)),
	    MP_OK);
	CU_ASSERT_EQUAL_FATAL(
	    mp_jstate_set_list(mp_engine_json_pool(e, 0), l, NULL, now), MP_OK);
	CU_ASSERT_EQUAL(
	    mp_engine_json_output(e, 0, mp_unit_at(now), &text, &len), 1);
	free(text);
	mp_jstate_written(mp_engine_json_pool(e, 0));

	/* drain and undrain by entry name, through the engine */
	rq.mirror = "a.example";
	rq.reason = "disk";
	rq.by = "root";
	CU_ASSERT_EQUAL(
	    mp_engine_drain(e, &rq, mp_unit_at(now), err, sizeof(err)), MP_OK);
	CU_ASSERT_EQUAL(
	    mp_engine_json_output(e, 0, mp_unit_at(now), &text, &len), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"weight\": 0},"));
	free(text);
	mp_jstate_written(mp_engine_json_pool(e, 0));
	rq.mirror = "nothing.example";
	CU_ASSERT_EQUAL(
	    mp_engine_drain(e, &rq, mp_unit_at(now), err, sizeof(err)),
	    MP_ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "no mirror named \"nothing.example\"");
	st = mp_engine_status(e, NULL, "test", false, mp_unit_at(now));
	CU_ASSERT_TRUE(json_is_true(json_object_get(
	    json_array_get(
		json_object_get(
		    json_array_get(json_object_get(st, "json_pools"), 0),
		    "mirrors"),
		0),
	    "drained")));
	json_decref(st);

	text = mp_engine_metrics(e, mp_unit_at(now));
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    text, "mirrorpool_json_mirror_weight{pool=\"tails\",mirror=\"a."
		  "example\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(text, "mirrorpool_json_mirror_up{pool=\"tails\",mirror=\"b."
			 "example\"} 1\n"));
	free(text);

	/* a reload keeps the list, the drain and the health */
	cfg2 = load(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg2);
	CU_ASSERT_EQUAL(mp_engine_reconfigure(e, cfg2, mp_unit_at(now)), MP_OK);
	mp_config_free(cfg);
	CU_ASSERT_EQUAL(mp_jstate_n(mp_engine_json_pool(e, 0)), 2);
	CU_ASSERT_TRUE(mp_jstate_entry(mp_engine_json_pool(e, 0), 0)->drained);
	CU_ASSERT_EQUAL(
	    mp_engine_json_output(e, 0, mp_unit_at(now), &text, &len), 0);
	fail_b(e, now);
	/* b fails, a is drained: the list would be empty, so b stays */
	CU_ASSERT_EQUAL(
	    mp_engine_json_output(e, 0, mp_unit_at(now), &text, &len), 0);
	CU_ASSERT_EQUAL(mp_engine_undrain(e, "a.example", NULL, "root", 0,
					  mp_unit_at(now), err, sizeof(err)),
			MP_OK);
	CU_ASSERT_EQUAL(mp_engine_undrain(e, "a.example", NULL, "root", 0,
					  mp_unit_at(now), err, sizeof(err)),
			MP_ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "mirror a.example is not drained");
	/* a is back: b, down, leaves */
	CU_ASSERT_EQUAL_FATAL(
	    mp_engine_json_output(e, 0, mp_unit_at(now), &text, &len), 1);
	CU_ASSERT_STRING_EQUAL(
	    text,
	    "[{\"url_prefix\": \"https://a.example/t/\", \"weight\": 10},\n"
	    " {\"url_prefix\": \"https://b.example/t/\", \"weight\": 0}]\n");
	free(text);
	mp_engine_free(e);
	mp_config_free(cfg2);
	mp_log_set_sink(NULL, NULL);
}

/* The pool's source list src, read at now. */
static void read_source(struct mp_engine *e, const char *src, uint64_t now)
{
	struct mp_jp_list *l = NULL;
	char err[300];

	CU_ASSERT_EQUAL_FATAL(
	    mp_jp_parse(src, strlen(src), "m.json", &l, err, sizeof(err)),
	    MP_OK);
	mp_jstate_set_list(mp_engine_json_pool(e, 0), l, NULL, now);
}

/* An engine on cfg that has read SRC. After a restart (st: the state the
 * last one saved; the reference is taken) it loads st first, and checks
 * that st[key]'s one record for the pool is saved again while the source
 * is still unread. */
static struct mp_engine *started(struct mp_config *cfg, json_t *st,
				 const char *key, uint64_t now)
{
	struct mp_engine *e = NULL;
	char err[300];

	CU_ASSERT_EQUAL_FATAL(
	    mp_engine_new(cfg, mp_unit_rnd_zero, mp_unit_at(now), &e), MP_OK);
	if (st) {
		CU_ASSERT_EQUAL(mp_engine_state_load(e, st, mp_unit_at(now),
						     err, sizeof(err)),
				MP_OK);
		json_decref(st);
		st = mp_engine_state_save(e, mp_unit_at(now));
		CU_ASSERT_EQUAL(json_array_size(json_object_get(
				    json_object_get(st, key), "tails")),
				1);
		json_decref(st);
	}
	read_source(e, SRC, now);
	return e;
}

/* A drain survives a restart: saved with the state, restored before the
 * source is read, applied when the list holds the entry. */
static void test_drain_persists(void)
{
	struct mp_config *cfg = load(0);
	struct mp_engine *e, *e2;
	struct mp_drain_request rq = {0};
	char err[300];
	json_t *st;
	uint64_t now = 1000000;

	mp_log_set_sink(mp_unit_log_discard, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	e = started(cfg, NULL, NULL, now);
	rq.mirror = "b.example";
	rq.reason = "new disks";
	rq.by = "alice";
	CU_ASSERT_EQUAL(
	    mp_engine_drain(e, &rq, mp_unit_at(now), err, sizeof(err)), MP_OK);
	CU_ASSERT_TRUE(mp_engine_state_dirty(e, true));
	st = mp_engine_state_save(e, mp_unit_at(now));
	mp_engine_free(e);

	e2 = started(cfg, st, "json_drains", now);
	CU_ASSERT_TRUE(mp_jstate_entry(mp_engine_json_pool(e2, 0), 1)->drained);
	CU_ASSERT_STRING_EQUAL(
	    mp_jstate_entry(mp_engine_json_pool(e2, 0), 1)->drain_reason,
	    "new disks");
	CU_ASSERT_FALSE(
	    mp_jstate_entry(mp_engine_json_pool(e2, 0), 0)->drained);
	CU_ASSERT_EQUAL(mp_engine_undrain(e2, "b.example", NULL, "alice", 0,
					  mp_unit_at(now), err, sizeof(err)),
			MP_OK);
	st = mp_engine_state_save(e2, mp_unit_at(now));
	CU_ASSERT_EQUAL(json_object_size(json_object_get(st, "json_drains")),
			0);
	json_decref(st);
	mp_engine_free(e2);
	mp_config_free(cfg);
	mp_log_set_sink(NULL, NULL);
}

/* A flapping entry's damping survives a restart like a DNS address's:
 * saved with the state, kept until the list holds the entry, restored. */
static void test_damping_persists(void)
{
	struct mp_config *cfg = load(0);
	struct mp_engine *e, *e2;
	struct mp_check_result r;
	const struct mp_jentry *b;
	json_t *st, *saved;
	uint64_t now = 1000000;

	mp_log_set_sink(mp_unit_log_discard, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	e = started(cfg, NULL, NULL, now);
	mp_engine_state_dirty(e, true);
	/* b flaps: three times down (rise and fall 1) */
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < 6; i++) {
		now += 1000;
		r.ok = i % 2 == 1;
		r.at_ms = now;
		mp_engine_json_result(e, 0, 1, &r, mp_unit_at(now));
	}
	CU_ASSERT_TRUE(mp_engine_state_dirty(e, true));
	b = mp_jstate_entry(mp_engine_json_pool(e, 0), 1);
	CU_ASSERT_TRUE_FATAL(b->health.damping.suppressed);
	st = mp_engine_state_save(e, mp_unit_at(now));
	saved = json_array_get(
	    json_object_get(json_object_get(st, "json_damping"), "tails"), 0);
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(saved, "mirror")), "b.example");
	CU_ASSERT_TRUE(json_is_true(json_object_get(saved, "suppressed")));
	/* a is steady: nothing saved for it */
	CU_ASSERT_EQUAL(json_array_size(json_object_get(
			    json_object_get(st, "json_damping"), "tails")),
			1);
	mp_engine_free(e);

	e2 = started(cfg, st, "json_damping", now);
	b = mp_jstate_entry(mp_engine_json_pool(e2, 0), 1);
	CU_ASSERT_TRUE(b->health.damping.suppressed);
	CU_ASSERT_TRUE(b->health.damping.figure > 2000);
	b = mp_jstate_entry(mp_engine_json_pool(e2, 0), 0);
	CU_ASSERT_FALSE(b->health.damping.suppressed);
	/* the kept record was used up: once b leaves the source, nothing
	 * brings its old figure back */
	read_source(e2, SRC_A, now);
	st = mp_engine_state_save(e2, mp_unit_at(now));
	CU_ASSERT_EQUAL(json_object_size(json_object_get(st, "json_damping")),
			0);
	json_decref(st);
	mp_engine_free(e2);
	mp_config_free(cfg);
	mp_log_set_sink(NULL, NULL);
}

/* A bad damping record is named and skipped; the rest loads. */
static void test_bad_damping_record(void)
{
	struct mp_config *cfg = load(0);
	struct mp_engine *e = NULL;
	char err[300];
	json_t *st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	mp_unit_log_start(mp_unit_log_capture);
	CU_ASSERT_EQUAL_FATAL(
	    mp_engine_new(cfg, mp_unit_rnd_zero, mp_unit_at(1000000), &e),
	    MP_OK);
	st = json_loads("{\"version\": 1, \"json_damping\": {\"tails\": ["
			"{\"mirror\": \"b.example\", \"figure\": \"x\"},"
			"{\"figure\": 1500, \"at_ms\": 1}]}}",
			0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(
	    mp_engine_state_load(e, st, mp_unit_at(1000000), err, sizeof(err)),
	    MP_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log,
				      "state: damping entry 0 of json pool "
				      "\"tails\" skipped: "));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log, "state: damping entry 1 of json pool "
				"\"tails\" skipped: it needs \"mirror\""));
	json_decref(st);
	mp_engine_free(e);
	mp_config_free(cfg);
	mp_log_set_sink(NULL, NULL);
}

static CU_TestInfo tests[] = {
    {"drains, status and reload", test_engine_json},
    {"drains persist", test_drain_persists},
    {"damping persists", test_damping_persists},
    {"bad damping record", test_bad_damping_record},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"engine json pools", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
