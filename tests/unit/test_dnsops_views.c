/* The views in the DNS operations' state machine, with an injected clock
 * and the real engine: the writer reads the other views and publishes its
 * own, an observer only publishes, failures are retried without holding
 * up the pools, dry runs send nothing. */
#include "unit.h"
#include "unit_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dnsops.h"
#include "engine.h"
#include "error.h"
#include "log.h"

#define T0 1763800000000ULL

#define CONF                                                                   \
	"dns = { server = \"127.0.0.1\"; zone = \"example.org\"; key = "       \
	"\"hmac-sha256:k:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"; };\n"             \
	"check = { url = \"http://dl.example.org/trace\"; };\n"                \
	"node = \"ams1\";\n"                                                   \
	"vantage = { role = \"%s\"; views = \"_mp.example.org.\"; nodes = [ "  \
	"\"ams1\", \"nyc1\", \"sgp1\" ]; max_age = \"30s\"; "                  \
	"publish_interval = \"2s\"; };\n"                                      \
	"pools = ( { name = \"dl.example.org.\"; min_healthy = 1;\n"           \
	"  mirrors = ( { name = \"m1\"; addresses = [ \"192.0.2.10\" ]; },\n"  \
	"              { name = \"m2\"; addresses = [ \"192.0.2.20\" ]; } ); " \
	"} );\n"

static struct mp_config *cfg;
static struct mp_engine *eng;
static struct mp_dnsops *m;
static struct mp_time now;
static struct mp_dnsops_out out;

static void input(enum mp_dnsops_in_kind kind)
{
	struct mp_dnsops_in in = {.kind = kind};
	mp_dnsops_input(m, &in, &now, &out);
}

/* A verified answer: rcode, addresses (reads of RRsets) or the TXT
 * records of a view (txt). */
static void answer(int rcode, const char *addrs, const struct mp_txt_set *txt)
{
	struct mp_dnsops_in in = {.kind = MP_DNSOPS_DONE};
	struct mp_dns_response r;
	struct mp_addr a;
	char buf[128], *save = NULL;

	memset(&r, 0, sizeof(r));
	r.verdict = MP_RESP_OK;
	r.tsig = MP_TSIG_VERIFIED;
	r.rcode = rcode;
	mp_addr_set_init(&r.answers);
	snprintf(buf, sizeof(buf), "%s", addrs ? addrs : "");
	for (char *t = strtok_r(buf, " ", &save); t;
	     t = strtok_r(NULL, " ", &save)) {
		mp_addr_parse(t, &a);
		mp_addr_set_add(&r.answers, &a);
	}
	if (txt)
		r.txt = *txt;
	in.outcome = MP_DNSOPS_ANSWER;
	in.resp = &r;
	mp_dnsops_input(m, &in, &now, &out);
	mp_addr_set_clear(&r.answers);
}

/* node's view: .20 down (made now). */
static void view_of(struct mp_txt_set *txt)
{
	struct mp_view v;
	struct mp_addr a;

	mp_view_init(&v);
	v.time_ms = now.wall_ms;
	mp_addr_parse("192.0.2.20", &a);
	mp_view_add(&v, &a, NULL, MP_VERDICT_DOWN);
	txt->v = NULL;
	txt->n = 0;
	CU_ASSERT_EQUAL_FATAL(mp_view_encode(&v, 1024, txt), MP_OK);
	mp_view_clear(&v);
}

static void setup(const char *role)
{
	char text[4096];

	snprintf(text, sizeof(text), CONF, role);
	cfg = mp_unit_config(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	now.mono_ms = 5000;
	now.wall_ms = T0;
	mp_unit_log_start(mp_unit_log_capture);
	CU_ASSERT_EQUAL_FATAL(mp_engine_new(cfg, mp_unit_rnd_zero, now, &eng),
			      MP_OK);
	CU_ASSERT_EQUAL_FATAL(mp_dnsops_new(eng, mp_unit_rnd_zero, &m), MP_OK);
	/* the pool's RRsets first */
	input(MP_DNSOPS_WAKE);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
	answer(0, "192.0.2.10 192.0.2.20", NULL);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
	answer(0, "", NULL);
}

static void teardown(void)
{
	mp_dnsops_free(m);
	mp_unit_engine_free(&eng, &cfg);
}

static void expect_read(const char *qname)
{
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_VIEW_READ);
	CU_ASSERT_STRING_EQUAL(out.req->qname, qname);
	CU_ASSERT_EQUAL(out.req->qtype, 16);
	CU_ASSERT_EQUAL(out.req->opcode, 0);
}

static void test_writer(void)
{
	struct mp_txt_set txt;

	setup("writer");
	expect_read("nyc1._mp.example.org.");
	view_of(&txt);
	answer(0, NULL, &txt);
	CU_ASSERT_TRUE(out.changed);
	expect_read("sgp1._mp.example.org.");
	answer(3, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    mp_unit_log,
	    "vantage: view of sgp1 unreadable: no view published (NXDOMAIN)"));
	/* then its own view goes out: a replacing UPDATE */
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_VIEW_UPDATE);
	CU_ASSERT_EQUAL(out.req->opcode, 5);
	CU_ASSERT_STRING_EQUAL(out.req->qname, "example.org.");
	answer(0, NULL, NULL);
	/* nothing more until the next reads, one publish_interval on */
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE);
	CU_ASSERT_EQUAL(out.wake_at_ms, now.mono_ms + 2000);
	now.mono_ms += 2000;
	now.wall_ms += 2000;
	input(MP_DNSOPS_WAKE);
	expect_read("nyc1._mp.example.org.");
	/* a failed read: no backoff for the pools, the view keeps aging */
	{
		struct mp_dnsops_in in = {.kind = MP_DNSOPS_DONE};
		in.outcome = MP_DNSOPS_TIMEOUT;
		mp_dnsops_input(m, &in, &now, &out);
	}
	CU_ASSERT_EQUAL(mp_dnsops_attempt(m), 0);
	expect_read("sgp1._mp.example.org.");
	mp_txt_set_clear(&txt);
	teardown();
}

static void test_observer(void)
{
	setup("observer");
	/* no reads: straight to its own view */
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_VIEW_UPDATE);
	answer(5, NULL, NULL); /* REFUSED */
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log,
		   "vantage: publishing this node's view at "
		   "ams1._mp.example.org. failed: REFUSED; retrying every "
		   "2000 ms (check that key \"k\" may update "
		   "ams1._mp.example.org. TXT)"));
	CU_ASSERT_EQUAL(mp_dnsops_attempt(m), 0);
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE);
	CU_ASSERT_EQUAL(out.wake_at_ms, now.mono_ms + 2000);
	now.mono_ms += 2000;
	now.wall_ms += 2000;
	input(MP_DNSOPS_WAKE);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_VIEW_UPDATE);
	/* a send that fails at once is retried the same way */
	{
		struct mp_dnsops_in in = {.kind = MP_DNSOPS_SEND_FAILED};
		in.err = MP_EIO;
		mp_dnsops_input(m, &in, &now, &out);
	}
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE);
	now.mono_ms += 2000;
	now.wall_ms += 2000;
	input(MP_DNSOPS_WAKE);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_VIEW_UPDATE);
	answer(0, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    mp_unit_log, "vantage: this node's view is published again at "
			 "ams1._mp.example.org."));
	/* unchanged, it is refreshed every max_age / 3 */
	CU_ASSERT_EQUAL(out.wake_at_ms, now.mono_ms + 10000);
	teardown();
}

static void test_dry_run(void)
{
	setup("observer");
	mp_dnsops_free(m);
	CU_ASSERT_EQUAL_FATAL(mp_dnsops_new(eng, mp_unit_rnd_zero, &m), MP_OK);
	mp_dnsops_set_dry_run(m, true);
	input(MP_DNSOPS_WAKE);
	answer(0, "192.0.2.10 192.0.2.20", NULL);
	answer(0, "", NULL);
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log, "dry-run: would publish this node's view at "
				"ams1._mp.example.org."));
	teardown();
}

static CU_TestInfo tests[] = {
    {"writer reads the others, publishes its own", test_writer},
    {"observer publishes, failures retried", test_observer},
    {"dry run publishes nothing", test_dry_run},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"dnsops_views", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
