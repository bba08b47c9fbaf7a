#include "unit.h"

#include "certwatch.h"
#include "health.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

#define DAY 86400
#define WARN_14D ((uint64_t)14 * DAY * 1000)
/* an arbitrary wall-clock origin */
#define NOW ((int64_t)1796000000)

static void test_far_certificate_never_warns(void)
{
	struct mp_cert_watch w = {0};

	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(mp_cert_watch_update(&w, NOW + 30 * DAY,
						     NOW + i * 600, WARN_14D),
				MP_CERT_NONE);
	CU_ASSERT_FALSE(w.warned);
	CU_ASSERT_EQUAL(w.not_after, NOW + 30 * DAY);
}

static void test_close_certificate_warns_once(void)
{
	struct mp_cert_watch w = {0};

	CU_ASSERT_EQUAL(mp_cert_watch_update(&w, NOW + 3 * DAY, NOW, WARN_14D),
			MP_CERT_EXPIRING);
	for (int i = 1; i < 10; i++)
		CU_ASSERT_EQUAL(mp_cert_watch_update(&w, NOW + 3 * DAY,
						     NOW + i * 600, WARN_14D),
				MP_CERT_NONE);
	CU_ASSERT_TRUE(w.warned);
}

static void test_entering_the_window_warns(void)
{
	struct mp_cert_watch w = {0};
	int64_t end = NOW + 15 * DAY;

	CU_ASSERT_EQUAL(mp_cert_watch_update(&w, end, NOW, WARN_14D),
			MP_CERT_NONE);
	CU_ASSERT_EQUAL(mp_cert_watch_update(&w, end, NOW + DAY - 1, WARN_14D),
			MP_CERT_NONE);
	CU_ASSERT_EQUAL(mp_cert_watch_update(&w, end, NOW + DAY + 1, WARN_14D),
			MP_CERT_EXPIRING);
}

static void test_renewal_said_once(void)
{
	struct mp_cert_watch w = {0};

	mp_cert_watch_update(&w, NOW + 3 * DAY, NOW, WARN_14D);
	/* a renewal still inside the window: the warning stands */
	CU_ASSERT_EQUAL(
	    mp_cert_watch_update(&w, NOW + 10 * DAY, NOW + 60, WARN_14D),
	    MP_CERT_NONE);
	CU_ASSERT_EQUAL(
	    mp_cert_watch_update(&w, NOW + 90 * DAY, NOW + 120, WARN_14D),
	    MP_CERT_RENEWED);
	CU_ASSERT_EQUAL(
	    mp_cert_watch_update(&w, NOW + 90 * DAY, NOW + 180, WARN_14D),
	    MP_CERT_NONE);
	/* and the next approach warns again */
	CU_ASSERT_EQUAL(
	    mp_cert_watch_update(&w, NOW + 90 * DAY, NOW + 80 * DAY, WARN_14D),
	    MP_CERT_EXPIRING);
}

static void test_window_off(void)
{
	struct mp_cert_watch w = {0};

	CU_ASSERT_EQUAL(mp_cert_watch_update(&w, NOW + 60, NOW, 0),
			MP_CERT_NONE);
	CU_ASSERT_FALSE(w.warned);
}

static void test_left_format(void)
{
	char b[32];

	CU_ASSERT_STRING_EQUAL(
	    mp_cert_left_format(6 * DAY + 4 * 3600 + 59, b, sizeof(b)),
	    "6d 4h");
	CU_ASSERT_STRING_EQUAL(mp_cert_left_format(3 * DAY, b, sizeof(b)),
			       "3d");
	CU_ASSERT_STRING_EQUAL(
	    mp_cert_left_format(3 * 3600 + 720, b, sizeof(b)), "3h 12m");
	CU_ASSERT_STRING_EQUAL(mp_cert_left_format(45, b, sizeof(b)), "45s");
	CU_ASSERT_STRING_EQUAL(mp_cert_left_format(0, b, sizeof(b)), "expired");
	CU_ASSERT_STRING_EQUAL(mp_cert_left_format(-5, b, sizeof(b)),
			       "expired");
}

static int seen_prio;
static char seen_reason[128], seen_msg[256], seen_addr[64];
static char seen_subject[64], seen_issuer[64];
static unsigned seen_n;

static void sink(int prio, const struct mp_log_fields *f, const char *msg,
		 void *arg)
{
	(void)arg;
	seen_n++;
	seen_prio = prio;
	snprintf(seen_reason, sizeof(seen_reason), "%s",
		 f && f->reason ? f->reason : "");
	snprintf(seen_addr, sizeof(seen_addr), "%s",
		 f && f->address ? f->address : "");
	snprintf(seen_msg, sizeof(seen_msg), "%s", msg);
	snprintf(seen_subject, sizeof(seen_subject), "%s",
		 f && f->subject ? f->subject : "(none)");
	snprintf(seen_issuer, sizeof(seen_issuer), "%s",
		 f && f->issuer ? f->issuer : "(none)");
}

static void test_log_fields(void)
{
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;
	struct mp_check_result r;

	memset(&r, 0, sizeof(r));
	f.pool = "dl.example.org.";
	f.mirror = "m1";
	f.address = "192.0.2.1";
	f.reason = "HTTP 200";
	r.at_ms =
	    12345; /* a monotonic stamp: not what "expires in" counts from */
	r.cert_not_after = NOW + 6 * DAY + 4 * 3600 + 30;
	mp_log_set_sink(sink, NULL);
	seen_n = 0;
	mp_cert_watch_log(&f, &r, NOW); /* MP_CERT_NONE: nothing */
	CU_ASSERT_EQUAL(seen_n, 0);
	r.cert_event = MP_CERT_EXPIRING;
	mp_cert_watch_log(&f, &r, NOW);
	CU_ASSERT_EQUAL(seen_n, 1);
	CU_ASSERT_EQUAL(seen_prio, LOG_WARNING);
	CU_ASSERT_STRING_EQUAL(seen_reason, "certificate expires in 6d 4h");
	CU_ASSERT_STRING_EQUAL(seen_addr, "192.0.2.1");
	CU_ASSERT_PTR_NOT_NULL(strstr(seen_msg, "m1 192.0.2.1: TLS certificate "
						"expires in 6d 4h"));
	/* no subject or issuer known: no fields, nothing in the message */
	CU_ASSERT_STRING_EQUAL(seen_subject, "(none)");
	CU_ASSERT_STRING_EQUAL(seen_issuer, "(none)");
	CU_ASSERT_PTR_NULL(strstr(seen_msg, "subject"));
	r.cert_event = MP_CERT_RENEWED;
	r.cert_not_after = NOW + 90 * DAY;
	r.cert_subject = "/CN=dl.example.org";
	r.cert_issuer = "/CN=Example CA";
	mp_cert_watch_log(&f, &r, NOW);
	CU_ASSERT_EQUAL(seen_n, 2);
	CU_ASSERT_EQUAL(seen_prio, LOG_NOTICE);
	CU_ASSERT_STRING_EQUAL(seen_reason,
			       "certificate renewed, expires in 90d");
	CU_ASSERT_STRING_EQUAL(seen_subject, "/CN=dl.example.org");
	CU_ASSERT_STRING_EQUAL(seen_issuer, "/CN=Example CA");
	CU_ASSERT_STRING_EQUAL(seen_msg,
			       "m1 192.0.2.1: TLS certificate renewed, expires "
			       "in 90d (subject /CN=dl.example.org, issuer "
			       "/CN=Example CA)");
	/* the caller's fields are its own: the subject is not left there */
	CU_ASSERT_PTR_NULL(f.subject);
	mp_log_set_sink(NULL, NULL);
}

static CU_TestInfo tests[] = {
    {"far certificate never warns", test_far_certificate_never_warns},
    {"close certificate warns once", test_close_certificate_warns_once},
    {"entering the window warns", test_entering_the_window_warns},
    {"renewal said once", test_renewal_said_once},
    {"window off", test_window_off},
    {"time left format", test_left_format},
    {"log line and fields", test_log_fields},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"certwatch", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
