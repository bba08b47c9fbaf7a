/* The DNS operations' state machine, with an injected clock and the real
 * engine: reads, UPDATEs and their verification, retries and backoff, and
 * how stop and reload meet an operation in flight. */
#include "unit.h"
#include "unit_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "backoff.h"
#include "damping.h"
#include "config.h"
#include "dnsops.h"
#include "engine.h"
#include "error.h"
#include "log.h"

#define T0 1763800000000ULL /* a fixed wall clock, ms */
#define TIMEOUT_MS 2000

#define HEAD                                                                   \
	"dns = { server = \"127.0.0.1\"; zone = \"example.org\"; timeout = "   \
	"\"2s\"; key = \"hmac-sha256:k:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"; "   \
	"};\n"                                                                 \
	"update = { min_interval = \"5s\"; max_per_hour = 60; };\n"            \
	"check = { url = \"http://dl.example.org/trace\"; interval = "         \
	"\"10s\"; fast_interval = \"2s\"; timeout = \"1s\"; rise = 2; fall = " \
	"3; };\n"                                                              \
	"state_file = \"/tmp/mp-unit-dnsops-state.json\";\n"
#define POOL1                                                                  \
	"{ name = \"dl.example.org.\"; ttl = 60; min_healthy = 1;\n"           \
	"  mirrors = ( { name = \"m1\"; addresses = [ \"192.0.2.10\", "        \
	"\"2001:db8::10\" ]; },\n"                                             \
	"              { name = \"m2\"; addresses = [ \"192.0.2.20\" ]; },\n"  \
	"              { name = \"m3\"; addresses = [ \"192.0.2.30\" ]; } ); " \
	"}"
#define POOL2                                                                  \
	"{ name = \"ftp.example.org.\"; mirrors = ( { name = \"f1\"; "         \
	"addresses = [ \"192.0.2.50\", \"2001:db8::50\" ]; } ); }"
#define CONF HEAD "pools = ( " POOL1 " );\n"
#define CONF2 HEAD "pools = ( " POOL1 ", " POOL2 " );\n"

static struct mp_config *cfg;
static struct mp_engine *eng;
static struct mp_dnsops *m;
static struct mp_time now;
static struct mp_dnsops_out out;

static void advance(uint64_t ms)
{
	now.mono_ms += ms;
	now.wall_ms += ms;
}

static void input(enum mp_dnsops_in_kind kind)
{
	struct mp_dnsops_in in = {.kind = kind};
	mp_dnsops_input(m, &in, &now, &out);
}

/* An outcome of the request in flight; resp may be NULL. */
static void outcome(enum mp_dnsops_outcome o,
		    const struct mp_dns_response *resp)
{
	struct mp_dnsops_in in = {.kind = MP_DNSOPS_DONE};
	in.outcome = o;
	in.resp = resp;
	in.detail = o == MP_DNSOPS_NETERR ? "connection refused" : NULL;
	in.rtt_ms = 3;
	mp_dnsops_input(m, &in, &now, &out);
}

/* A verified answer with rcode and (for reads) the addresses in list, a
 * space-separated text. */
static void answer(int rcode, const char *list)
{
	struct mp_dns_response r;
	char buf[256], *save = NULL;

	memset(&r, 0, sizeof(r));
	r.verdict = MP_RESP_OK;
	r.tsig = MP_TSIG_VERIFIED;
	r.rcode = rcode;
	mp_addr_set_init(&r.answers);
	snprintf(buf, sizeof(buf), "%s", list ? list : "");
	for (char *t = strtok_r(buf, " ", &save); t;
	     t = strtok_r(NULL, " ", &save)) {
		struct mp_addr a;
		CU_ASSERT_EQUAL_FATAL(mp_addr_parse(t, &a), MP_OK);
		mp_addr_set_add(&r.answers, &a);
	}
	outcome(MP_DNSOPS_ANSWER, &r);
	mp_addr_set_clear(&r.answers);
}

static const char *A_ALL = "192.0.2.10 192.0.2.20 192.0.2.30";
static const char *AAAA_ALL = "2001:db8::10";

static void setup_conf(const char *text)
{
	cfg = mp_unit_config(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	now.mono_ms = 5000;
	now.wall_ms = T0;
	mp_unit_log_start(mp_unit_log_capture);
	CU_ASSERT_EQUAL_FATAL(mp_engine_new(cfg, mp_unit_rnd_zero, now, &eng),
			      MP_OK);
	CU_ASSERT_EQUAL_FATAL(mp_dnsops_new(eng, mp_unit_rnd_zero, &m), MP_OK);
}

/* The first round: both RRsets read, holding every address. */
static void setup(void)
{
	setup_conf(CONF);
	input(MP_DNSOPS_WAKE);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
	CU_ASSERT_EQUAL(out.rrset, 0);
	CU_ASSERT_PTR_NOT_NULL(out.req);
	answer(0, A_ALL);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
	CU_ASSERT_EQUAL(out.rrset, 1);
	CU_ASSERT_FALSE(out.reads_done);
	answer(0, AAAA_ALL);
	CU_ASSERT_TRUE(out.reads_done);
	CU_ASSERT_TRUE(out.first_round);
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE);
	CU_ASSERT_EQUAL(mp_dnsops_reads_pending(m), 0);
}

static void teardown(void)
{
	mp_dnsops_free(m);
	m = NULL;
	mp_unit_engine_free(&eng, &cfg);
}

/* addr fails its checks (fall = 3), 2 s apart. */
static void fail(const char *addr)
{
	struct mp_check_result r;
	size_t t = mp_unit_target(eng, addr);

	for (int i = 0; i < 3; i++) {
		advance(2000);
		memset(&r, 0, sizeof(r));
		snprintf(r.detail, sizeof(r.detail), "HTTP 503");
		r.at_ms = now.mono_ms;
		mp_engine_check_result(eng, t, &r, now);
	}
}

/* m3 fails: the engine wants it out of A. */
static void fail_m3(void)
{
	fail("192.0.2.30");
}

/* m3 failed; the machine sends the UPDATE that removes it. */
static void start_update(void)
{
	fail_m3();
	input(MP_DNSOPS_WAKE);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_UPDATE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out.plan);
	CU_ASSERT_EQUAL(out.plan->n, 1);
	CU_ASSERT_EQUAL(out.req->opcode, 5);
	CU_ASSERT_TRUE(mp_dnsops_updating(m));
}

static void test_reads_then_update_and_verify(void)
{
	setup();
	start_update();
	answer(0, NULL);
	CU_ASSERT_TRUE(out.changed);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log, "-192.0.2.30 (NOERROR in 3 ms"));
	/* the verification re-read of A */
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
	CU_ASSERT_EQUAL(out.rrset, 0);
	answer(0, "192.0.2.10 192.0.2.20");
	CU_ASSERT_TRUE(out.reads_done);
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE);
	CU_ASSERT_PTR_NULL(strstr(mp_unit_log, "drift"));
	teardown();
}

static void test_verification_finds_drift(void)
{
	setup();
	start_update();
	answer(0, NULL);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
	/* someone put .30 back, and added .99 */
	answer(0, "192.0.2.10 192.0.2.20 192.0.2.30 192.0.2.99");
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log, "drift"));
	/* the rate limit (min_interval 5 s) holds the correction back */
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE);
	CU_ASSERT_NOT_EQUAL_FATAL(out.wake_at_ms, UINT64_MAX);
	CU_ASSERT_TRUE(out.wake_at_ms > now.mono_ms);
	CU_ASSERT_TRUE(out.wake_at_ms <= now.mono_ms + 5000);
	now.wall_ms += out.wake_at_ms - now.mono_ms;
	now.mono_ms = out.wake_at_ms;
	input(MP_DNSOPS_WAKE);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_UPDATE);
	CU_ASSERT_EQUAL(out.plan->items[0].del.n, 2);
	teardown();
}

static void test_read_fails_then_succeeds(void)
{
	setup_conf(CONF);
	input(MP_DNSOPS_WAKE);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
	outcome(MP_DNSOPS_NETERR, NULL);
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE);
	CU_ASSERT_STRING_EQUAL(out.read_error, "connection refused");
	CU_ASSERT_TRUE(out.first_round); /* tried: the daemon may be ready */
	CU_ASSERT_EQUAL(out.wake_at_ms, now.mono_ms + MP_BACKOFF_BASE_MS -
					    MP_BACKOFF_BASE_MS / 5);
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log,
				      "reading dl.example.org. A from "
				      "127.0.0.1 port 53: connection "
				      "refused; retrying in"));
	/* woken early: still waiting */
	advance(100);
	input(MP_DNSOPS_WAKE);
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE);
	advance(1000);
	input(MP_DNSOPS_WAKE);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
	CU_ASSERT_EQUAL(out.rrset, 0);
	answer(0, A_ALL);
	CU_ASSERT_EQUAL(mp_dnsops_attempt(m), 0);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
	answer(0, AAAA_ALL);
	CU_ASSERT_TRUE(out.reads_done);
	CU_ASSERT_FALSE(out.first_round); /* said once only */
	teardown();
}

static void test_backoff_grows_to_cap(void)
{
	uint64_t prev = 0, d = 0;

	setup_conf(CONF);
	input(MP_DNSOPS_WAKE);
	for (unsigned i = 0; i < 12; i++) {
		CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
		advance(TIMEOUT_MS);
		outcome(MP_DNSOPS_TIMEOUT, NULL);
		CU_ASSERT_STRING_EQUAL(out.read_error, "no answer (timeout)");
		d = out.wake_at_ms - now.mono_ms;
		CU_ASSERT_EQUAL(d, mp_backoff_delay(i, mp_unit_rnd_zero));
		CU_ASSERT_TRUE(d >= prev);
		CU_ASSERT_TRUE(d <= MP_BACKOFF_CAP_MS);
		prev = d;
		advance(d);
		input(MP_DNSOPS_WAKE);
	}
	CU_ASSERT_EQUAL(mp_dnsops_attempt(m), 12);
	/* the jittered cap, never above it */
	CU_ASSERT_EQUAL(d, MP_BACKOFF_CAP_MS - MP_BACKOFF_CAP_MS / 5);
	/* sync skips the backoff */
	advance(TIMEOUT_MS);
	outcome(MP_DNSOPS_TIMEOUT, NULL);
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE);
	input(MP_DNSOPS_SYNC);
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_SEND_READ);
	teardown();
}

static void test_update_rejected_retries(void)
{
	setup();
	start_update();
	answer(5 /* REFUSED */, NULL);
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE);
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log, "REFUSED: key \"k\" is not "
						   "allowed to update zone "
						   "example.org"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log, "not applied (REFUSED)"));
	CU_ASSERT_EQUAL(out.wake_at_ms, now.mono_ms + 800);
	advance(800);
	input(MP_DNSOPS_WAKE);
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_SEND_UPDATE);
	teardown();
}

static void test_stop_update_answer_arrives(void)
{
	setup();
	start_update();
	advance(500);
	input(MP_DNSOPS_STOP);
	CU_ASSERT_FALSE(out.stopped);
	CU_ASSERT_FALSE(out.cancel);
	CU_ASSERT_EQUAL(out.wake_at_ms, now.mono_ms + TIMEOUT_MS - 500);
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log,
				      "stop: waiting at most 1500 ms "
				      "for the UPDATE in flight"));
	advance(300);
	answer(0, NULL);
	CU_ASSERT_TRUE(out.stopped);
	CU_ASSERT_TRUE(out.changed); /* the engine knows it was applied */
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log, "in flight at stop: applied"));
	CU_ASSERT_TRUE(mp_engine_rrset(eng, 0)->has_last);
	/* nothing more happens once stopped */
	input(MP_DNSOPS_SYNC);
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE);
	CU_ASSERT_FALSE(out.stopped);
	teardown();
}

static void test_stop_update_times_out(void)
{
	setup();
	start_update();
	input(MP_DNSOPS_STOP);
	CU_ASSERT_FALSE(out.stopped);
	advance(TIMEOUT_MS - 1);
	input(MP_DNSOPS_WAKE);
	CU_ASSERT_FALSE(out.stopped);
	advance(1);
	input(MP_DNSOPS_WAKE);
	CU_ASSERT_TRUE(out.stopped);
	CU_ASSERT_TRUE(out.cancel);
	CU_ASSERT_FALSE(mp_dnsops_busy(m));
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log,
				      "no answer to the UPDATE in "
				      "flight within dns.timeout\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log,
				      "-192.0.2.30 abandoned at stop; "
				      "the primary may have applied "
				      "it"));
	/* a late answer is not fed in (the caller cancelled); if it were,
	 * the machine ignores it */
	answer(0, NULL);
	CU_ASSERT_FALSE(out.stopped);
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE);
	teardown();
}

static void test_stop_then_abandon(void)
{
	setup();
	start_update();
	input(MP_DNSOPS_STOP);
	CU_ASSERT_FALSE(out.stopped);
	advance(10);
	input(MP_DNSOPS_ABANDON); /* a second SIGTERM */
	CU_ASSERT_TRUE(out.stopped);
	CU_ASSERT_TRUE(out.cancel);
	CU_ASSERT_PTR_NULL(strstr(mp_unit_log, "within dns.timeout"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log, "abandoned at stop"));
	teardown();
}

static void test_stop_update_fails(void)
{
	setup();
	start_update();
	input(MP_DNSOPS_STOP);
	advance(TIMEOUT_MS);
	outcome(MP_DNSOPS_TIMEOUT, NULL);
	CU_ASSERT_TRUE(out.stopped);
	CU_ASSERT_FALSE(out.cancel);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log, "in flight at stop: not applied"));
	CU_ASSERT_PTR_NULL(strstr(mp_unit_log, "retrying"));
	teardown();
}

static void test_stop_during_retry_wait(void)
{
	setup();
	start_update();
	advance(TIMEOUT_MS);
	outcome(MP_DNSOPS_TIMEOUT, NULL);
	CU_ASSERT_NOT_EQUAL(out.wake_at_ms, UINT64_MAX);
	input(MP_DNSOPS_STOP);
	CU_ASSERT_TRUE(out.stopped);
	CU_ASSERT_FALSE(out.cancel);
	CU_ASSERT_EQUAL(out.wake_at_ms, UINT64_MAX);
	teardown();
}

static void test_stop_during_read(void)
{
	setup_conf(CONF);
	input(MP_DNSOPS_WAKE);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
	input(MP_DNSOPS_STOP);
	CU_ASSERT_TRUE(out.stopped);
	CU_ASSERT_TRUE(out.cancel);
	teardown();
}

static void test_reload_during_stop_refused(void)
{
	setup();
	start_update();
	input(MP_DNSOPS_STOP);
	input(MP_DNSOPS_RELOAD);
	CU_ASSERT_TRUE(out.refused);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.why, "stopping"));
	CU_ASSERT_FALSE(out.reload_ready);
	CU_ASSERT_FALSE(out.cancel);
	CU_ASSERT_TRUE(mp_dnsops_updating(m)); /* the UPDATE is untouched */
	answer(0, NULL);
	CU_ASSERT_TRUE(out.stopped);
	CU_ASSERT_FALSE(out.reload_ready);
	teardown();
}

static void test_reload_while_update_in_flight(void)
{
	struct mp_config *ncfg;

	setup();
	start_update();
	input(MP_DNSOPS_RELOAD);
	CU_ASSERT_FALSE(out.refused);
	CU_ASSERT_FALSE(out.reload_ready); /* waits for the UPDATE */
	CU_ASSERT_FALSE(out.cancel);
	input(MP_DNSOPS_RELOAD);
	CU_ASSERT_TRUE(out.refused); /* one at a time */
	answer(0, NULL);
	CU_ASSERT_TRUE(out.reload_ready);
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE); /* no verify read yet */
	CU_ASSERT_TRUE(mp_engine_rrset(eng, 0)->has_last);
	/* the new configuration: a second pool, so 4 RRsets */
	ncfg = mp_unit_config(CONF2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ncfg);
	CU_ASSERT_EQUAL(mp_dnsops_reserve(m, 2 * ncfg->n_pools + 1), MP_OK);
	CU_ASSERT_EQUAL_FATAL(mp_engine_reconfigure(eng, ncfg, now), MP_OK);
	mp_config_free(cfg);
	cfg = ncfg;
	input(MP_DNSOPS_RELOADED);
	CU_ASSERT_EQUAL(mp_dnsops_reads_pending(m), 4);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
	for (int i = 0; i < 3; i++) {
		answer(0, NULL);
		CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
	}
	CU_ASSERT_EQUAL(out.rrset, 3);
	teardown();
}

static void test_reload_cancels_read(void)
{
	setup_conf(CONF);
	input(MP_DNSOPS_WAKE);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
	input(MP_DNSOPS_RELOAD);
	CU_ASSERT_TRUE(out.cancel);
	CU_ASSERT_TRUE(out.reload_ready);
	input(MP_DNSOPS_RELOADED);
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_SEND_READ);
	CU_ASSERT_EQUAL(out.rrset, 0);
	teardown();
}

/* A reload's room for more RRsets cannot be had: nothing changes, and the
 * machine goes on with what it has. */
static void test_reserve_failure_changes_nothing(void)
{
	setup();
	mp_alloc_fail_after(0);
	CU_ASSERT_EQUAL(mp_dnsops_reserve(m, 100), MP_ENOMEM);
	mp_alloc_fail_after(-1);
	CU_ASSERT_EQUAL(mp_dnsops_reads_pending(m), 0);
	input(MP_DNSOPS_REREAD);
	CU_ASSERT_EQUAL(mp_dnsops_reads_pending(m), 2);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
	answer(0, A_ALL);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
	answer(0, AAAA_ALL);
	CU_ASSERT_TRUE(out.reads_done);
	teardown();
}

/* A reload to more RRsets without mp_dnsops_reserve, when the array
 * cannot grow: only what fits is read, nothing is written past it. */
static void test_reloaded_without_room(void)
{
	struct mp_config *ncfg;

	setup();
	input(MP_DNSOPS_RELOAD);
	CU_ASSERT_TRUE_FATAL(out.reload_ready);
	ncfg = mp_unit_config(CONF2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ncfg);
	CU_ASSERT_EQUAL_FATAL(mp_engine_reconfigure(eng, ncfg, now), MP_OK);
	mp_config_free(cfg);
	cfg = ncfg;
	/* room for 3 of the 4 (the start reserved one more than 2) */
	mp_alloc_fail_after(0);
	input(MP_DNSOPS_RELOADED);
	mp_alloc_fail_after(-1);
	CU_ASSERT_EQUAL(mp_dnsops_reads_pending(m), 3);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(mp_unit_log, "out of memory: only 3 of 4"));
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_SEND_READ);
	teardown();
}

/* The UPDATE cannot be built for want of memory: not sent, retried. */
static void test_update_build_nomem(void)
{
	setup();
	fail_m3();
	mp_alloc_fail_after(0);
	input(MP_DNSOPS_WAKE);
	mp_alloc_fail_after(-1);
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE);
	CU_ASSERT_FALSE(mp_dnsops_busy(m));
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log, "-192.0.2.30 not sent"));
	CU_ASSERT_EQUAL(out.wake_at_ms, now.mono_ms + 800);
	advance(800);
	input(MP_DNSOPS_WAKE);
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_SEND_UPDATE);
	teardown();
}

static void test_explanations(void)
{
	struct mp_dns_response r;
	char buf[600];

	setup_conf(CONF);
	memset(&r, 0, sizeof(r));
	r.verdict = MP_RESP_OK;
	r.tsig = MP_TSIG_SERVER_ERROR;
	r.tsig_info.error = MP_TSIG_BADTIME;
	r.tsig_info.other_time = 1000;
	r.tsig_info.fudge = 300;
	r.rcode = 9;
	mp_dnsops_explain_rejection(cfg, &r, 1400, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "BADTIME: the server's clock reads "
					   "1000, ours 1400 (skew +400 s, "
					   "fudge 300 s)"));
	mp_dnsops_explain_outcome(MP_DNSOPS_TIMEOUT, NULL, NULL, cfg, 0, buf,
				  sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "no answer (timeout)");
	mp_dnsops_explain_outcome(MP_DNSOPS_NETERR, NULL, NULL, cfg, 0, buf,
				  sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "network error");
	r.verdict = MP_RESP_UNSIGNED;
	r.tsig_info.error = MP_TSIG_BADKEY;
	mp_dnsops_explain_unsigned(cfg, &r, NULL, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "unsigned NOTAUTH/BADKEY"));
	teardown();
}

/* The UPDATE that removed m3 was applied and verified. */
static void m3_removed(void)
{
	start_update();
	answer(0, NULL);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_READ);
	answer(0, "192.0.2.10 192.0.2.20");
	CU_ASSERT_EQUAL(out.act, MP_DNSOPS_NONE);
}

/* Whether mirror is drained, as status shows it. */
static bool drained(struct mp_engine *e, const char *mirror,
		    struct mp_time when)
{
	json_t *st = mp_engine_status(e, NULL, "test", false, when);
	json_t *mirrors = json_object_get(
	    json_array_get(json_object_get(st, "pools"), 0), "mirrors");
	json_t *mo;
	size_t i;
	bool d = false;

	json_array_foreach(mirrors, i, mo)
	{
		if (strcmp(json_string_value(json_object_get(mo, "name")),
			   mirror) == 0)
			d = !json_is_null(json_object_get(mo, "drain"));
	}
	json_decref(st);
	return d;
}

static void wall_step_keeps_failover(int64_t step_ms)
{
	setup();
	m3_removed();
	/* the wall clock steps right after the UPDATE; the monotonic one
	 * does not */
	now.wall_ms = (uint64_t)((int64_t)now.wall_ms + step_ms);
	fail("192.0.2.20"); /* 6 s later: past min_interval (5 s) */
	input(MP_DNSOPS_WAKE);
	CU_ASSERT_EQUAL_FATAL(out.act, MP_DNSOPS_SEND_UPDATE);
	answer(0, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(mp_unit_log, "-192.0.2.20 (NOERROR"));
	/* what people read follows the wall clock */
	CU_ASSERT_EQUAL(mp_engine_rrset(eng, 0)->last_at_s, now.wall_ms / 1000);
	{
		char sum[300];
		json_t *st, *a;

		advance(3000);
		mp_engine_summary(eng, now, sum, sizeof(sum));
		CU_ASSERT_PTR_NOT_NULL(strstr(sum, "last UPDATE 3s ago"));
		/* the newest check shows as wall-clock time */
		st = mp_engine_status(eng, NULL, "t", false, now);
		a = json_array_get(
		    json_object_get(
			json_array_get(
			    json_object_get(
				json_array_get(json_object_get(st, "pools"), 0),
				"mirrors"),
			    1),
			"addresses"),
		    0);
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(
				    json_object_get(a, "last_check"), "at")),
				(json_int_t)(now.wall_ms - 3000) / 1000);
		json_decref(st);
	}
	teardown();
}

static void test_wall_step_back_keeps_failover(void)
{
	wall_step_keeps_failover(-3600 * 1000LL);
}

static void test_wall_step_forward_keeps_failover(void)
{
	wall_step_keeps_failover(3600 * 1000LL);
}

static void test_drain_countdown_is_monotonic(void)
{
	struct mp_drain_request dr = {
	    .mirror = "m3", .by = "test", .for_ms = 60000};
	char err[300];

	setup();
	CU_ASSERT_EQUAL_FATAL(mp_engine_drain(eng, &dr, now, err, sizeof(err)),
			      MP_OK);
	now.wall_ms += 3600 * 1000; /* a forward step ends nothing */
	advance(1000);
	mp_engine_tick(eng, now);
	CU_ASSERT_TRUE(drained(eng, "m3", now));
	advance(59000);
	mp_engine_tick(eng, now);
	CU_ASSERT_FALSE(drained(eng, "m3", now));
	teardown();
}

/* The state file keeps wall-clock times; a new process (another
 * monotonic origin) converts them back. */
static void test_state_converts_clocks(void)
{
	struct mp_time later;
	struct mp_engine *e2;
	double f1, f2;
	json_t *st;
	char err[300];
	struct mp_drain_request dr = {
	    .mirror = "m2", .by = "test", .for_ms = 600000};
	size_t t;

	setup();
	fail_m3();
	CU_ASSERT_EQUAL_FATAL(mp_engine_drain(eng, &dr, now, err, sizeof(err)),
			      MP_OK);
	t = mp_unit_target(eng, "192.0.2.30");
	st = mp_engine_state_save(eng, now);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	/* 10 s later on both clocks, in a process whose monotonic clock
	 * started elsewhere */
	later.wall_ms = now.wall_ms + 10000;
	later.mono_ms = 777000000;
	f1 = mp_damping_figure(&mp_engine_target(eng, t)->health.damping,
			       &cfg->damping, now.mono_ms + 10000);
	CU_ASSERT_TRUE(f1 > 0.5);
	CU_ASSERT_EQUAL_FATAL(mp_engine_new(cfg, mp_unit_rnd_zero, later, &e2),
			      MP_OK);
	CU_ASSERT_EQUAL(mp_engine_state_load(e2, st, later, err, sizeof(err)),
			MP_OK);
	f2 = mp_damping_figure(&mp_engine_target(e2, t)->health.damping,
			       &cfg->damping, later.mono_ms);
	CU_ASSERT_DOUBLE_EQUAL(f1, f2, 0.01);
	/* the drain ends 600 s after it began: 590 s from later */
	later.mono_ms += 589000;
	mp_engine_tick(e2, later);
	CU_ASSERT_TRUE(drained(e2, "m2", later));
	later.mono_ms += 1000;
	mp_engine_tick(e2, later);
	CU_ASSERT_FALSE(drained(e2, "m2", later));
	json_decref(st);
	mp_engine_free(e2);
	teardown();
}

static CU_TestInfo tests[] = {
    {"reads, UPDATE, verification", test_reads_then_update_and_verify},
    {"verification re-read finds drift", test_verification_finds_drift},
    {"read fails then succeeds", test_read_fails_then_succeeds},
    {"backoff grows to its cap", test_backoff_grows_to_cap},
    {"UPDATE rejected is retried", test_update_rejected_retries},
    {"stop: UPDATE in flight answered", test_stop_update_answer_arrives},
    {"stop: UPDATE in flight times out", test_stop_update_times_out},
    {"stop, then abandon at once", test_stop_then_abandon},
    {"stop: UPDATE in flight fails", test_stop_update_fails},
    {"stop during a retry wait", test_stop_during_retry_wait},
    {"stop during a read", test_stop_during_read},
    {"reload during a stop is refused", test_reload_during_stop_refused},
    {"reload while an UPDATE is in flight", test_reload_while_update_in_flight},
    {"reload cancels a read", test_reload_cancels_read},
    {"reserve failure changes nothing", test_reserve_failure_changes_nothing},
    {"reloaded without reserved room", test_reloaded_without_room},
    {"UPDATE not built for want of memory", test_update_build_nomem},
    {"explanations", test_explanations},
    {"wall clock steps back after an UPDATE",
     test_wall_step_back_keeps_failover},
    {"wall clock steps forward after an UPDATE",
     test_wall_step_forward_keeps_failover},
    {"drain countdown runs on the monotonic clock",
     test_drain_countdown_is_monotonic},
    {"state file times converted between clocks", test_state_converts_clocks},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"dnsops", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
