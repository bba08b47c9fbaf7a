/* The engine's reading of a SERVFAIL: the read that follows a refused
 * UPDATE names the likely cause, BIND's max-records-per-type when the
 * UPDATE would have left more than 100 records, the server's storage
 * otherwise; nothing is said after an applied UPDATE. */
#include "unit.h"
#include "unit_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "error.h"
#include "log.h"

#define T0 1763800000000ULL
#define NOW ((struct mp_time){T0, T0}) /* both clocks */

#define SF_CONF                                                                \
	"dns = { server = \"127.0.0.1\"; zone = \"example.org\"; key = "       \
	"\"hmac-sha256:k:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"; };\n"             \
	"check = { url = \"https://dl.example.org/trace\"; rise = 1; "         \
	"fall = 1; };\n"                                                       \
	"pools = ( { name = \"dl.example.org.\"; mirrors = (\n"                \
	"  { name = \"m1\"; addresses = [ \"192.0.2.1\" ]; },\n"               \
	"  { name = \"m2\"; addresses = [ \"192.0.2.2\" ]; } ); } );\n"        \
	"state_file = \"/tmp/mp-unit-state.json\";\n"

static struct mp_config *cfg;
static struct mp_engine *eng;

static void setup(void)
{
	cfg = mp_unit_config(SF_CONF);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	mp_unit_log_start(mp_unit_log_capture);
	CU_ASSERT_EQUAL_FATAL(mp_engine_new(cfg, mp_unit_rnd_zero, NOW, &eng),
			      MP_OK);
}

static void teardown(void)
{
	mp_unit_engine_free(&eng, &cfg);
}

/* The A RRset holds the mirrors' addresses of `mirrors` and n_foreign
 * addresses of no mirror. */
static void view(const char *mirrors, size_t n_foreign)
{
	struct mp_addr_set s;
	struct mp_addr x;
	char a[32];

	mp_addr_set_init(&s);
	for (const char *m = mirrors; *m; m++) {
		snprintf(a, sizeof(a), "192.0.2.%c", *m);
		mp_addr_parse(a, &x);
		mp_addr_set_add(&s, &x);
	}
	for (size_t i = 0; i < n_foreign; i++) {
		snprintf(a, sizeof(a), "10.0.%zu.%zu", i / 200, i % 200 + 1);
		mp_addr_parse(a, &x);
		mp_addr_set_add(&s, &x);
	}
	mp_engine_dns_view(eng, 0, &s, NOW);
	mp_addr_set_clear(&s);
}

/* An UPDATE adding 192.0.2.2 to the A RRset, answered with rcode. */
static void refused_add(const char *rcode)
{
	struct mp_plan p;
	struct mp_addr x;

	memset(&p, 0, sizeof(p));
	p.items = calloc(1, sizeof(*p.items));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p.items);
	p.n = 1;
	mp_addr_set_init(&p.items[0].add);
	mp_addr_set_init(&p.items[0].del);
	mp_addr_parse("192.0.2.2", &x);
	mp_addr_set_add(&p.items[0].add, &x);
	mp_engine_update_result(
	    eng, &p,
	    strcmp(rcode, "NOERROR") == 0 ? MP_UPDATE_DONE : MP_UPDATE_REJECTED,
	    rcode, NOW);
	mp_plan_clear(&p);
}

static void test_over_the_record_limit(void)
{
	setup();
	view("1", 100);
	refused_add("SERVFAIL");
	mp_unit_log[0] = '\0';
	view("1", 100);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log,
		   "dl.example.org. A: SERVFAIL, likely cause: the RRset "
		   "holds 101 records (100 of no configured mirror) and the "
		   "UPDATE would have left 102, more than BIND's "
		   "max-records-per-type (100 by default): the foreign records "
		   "go first in the next UPDATE"));
	/* said once per refusal */
	mp_unit_log[0] = '\0';
	view("1", 100);
	CU_ASSERT_PTR_NULL(strstr(mp_unit_log, "SERVFAIL"));
	teardown();
}

static void test_at_the_limit_is_not_over(void)
{
	setup();
	view("1", 98);
	refused_add("SERVFAIL");
	mp_unit_log[0] = '\0';
	view("1", 98);
	/* 99 + 1 = 100 records: within the limit */
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    mp_unit_log, "the RRset holds 99 records, within any record "
			 "limit, so the server could not record the change"));
	teardown();
}

static void test_small_rrset_names_storage(void)
{
	setup();
	view("1", 0);
	refused_add("SERVFAIL");
	mp_unit_log[0] = '\0';
	view("1", 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log,
				      "BIND cannot write the zone's "
				      "journal"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log,
				      "Knot's storage directory is "
				      "missing or not writable"));
	teardown();
}

static void test_other_outcomes_say_nothing(void)
{
	setup();
	view("1", 120);
	refused_add("REFUSED");
	refused_add("NOERROR");
	mp_unit_log[0] = '\0';
	view("12", 120);
	CU_ASSERT_PTR_NULL(strstr(mp_unit_log, "likely cause"));
	/* a SERVFAIL, then an applied UPDATE before the read */
	refused_add("SERVFAIL");
	refused_add("NOERROR");
	mp_unit_log[0] = '\0';
	view("12", 120);
	CU_ASSERT_PTR_NULL(strstr(mp_unit_log, "likely cause"));
	teardown();
}

static CU_TestInfo tests[] = {
    {"over the record limit", test_over_the_record_limit},
    {"100 records is within the limit", test_at_the_limit_is_not_over},
    {"a small RRset: the server's storage", test_small_rrset_names_storage},
    {"other outcomes say nothing", test_other_outcomes_say_nothing},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"engine SERVFAIL", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
