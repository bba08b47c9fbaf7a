#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "status_text.h"

/* The fixture's times are relative to this "now". */
#define NOW 1763800000

static json_t *fixture(void)
{
	json_error_t err;
	json_t *j = json_load_file(mp_unit_fixture("status.json"), 0, &err);

	if (!j)
		fprintf(stderr, "status.json:%d: %s\n", err.line, err.text);
	return j;
}

/* Checks that got equals want, printing both when they differ so that a
 * failure shows where. Frees got. */
static void expect_text(char *got, const char *want)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n--- want:\n%s--- got:\n%s---\n", want, got);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
}

static const char want_status[] =
    "DRY RUN: UPDATEs are logged, not sent; DNS is not changed\n"
    "mirrorpool 0.1.0; DNS server 127.0.0.1 port 5353, zone example.org\n"
    "DNS last error: UPDATE example.org refused (REFUSED)\n"
    "Removals FROZEN: all sentinels failing\n"
    "\n"
    "pool dl.example.org.  ttl 60  min_healthy 2  max_published 0 (all)  guard "
    "FROZEN: all sentinels failing\n"
    "  A     published    192.0.2.10 192.0.2.30\n"
    "        in DNS       192.0.2.10 192.0.2.20  (differs: UPDATE pending)\n"
    "        last UPDATE  5m ago, NOERROR, +192.0.2.10 -192.0.2.20\n"
    "  AAAA  published    unknown (DNS not read yet)\n"
    "        in DNS       (not read yet)\n"
    "        last UPDATE  never\n"
    "\n"
    "  MIRROR   ADDRESS       STATE             PUBLISHED  LAST CHECK          "
    "        LATENCY\n"
    "  mirror1  192.0.2.10    up                yes        12s ago ok: HTTP "
    "200        35 ms\n"
    "           2001:db8::10  down suppressed   no         3s ago FAIL: HTTP "
    "503?[31m  1250 ms\n"
    "    2001:db8::10 flap penalty 2400: suppressed until it decays below "
    "reuse\n"
    "  mirror2  192.0.2.30    up drained        yes        just now ok: HTTP "
    "200       7 ms\n"
    "    192.0.2.30 drained: \"compromised\" by bob (uid 1001), since 1m ago, "
    "no expiry, forced\n"
    "    192.0.2.30 flap penalty 800\n"
    "    mirror2 drained: \"disk swap\" by alice (uid 1000), since 10m ago, "
    "until in 1h50m\n"
    "  mirror3  192.0.2.40    unknown disabled  no         never               "
    "        -\n"
    "    mirror3 has weight 0: checked, never published\n"
    "\n"
    "pool ftp.example.org.  ttl 300  min_healthy 1  max_published 2  guard "
    "FROZEN: all sentinels failing\n"
    "  A     published    (none)\n"
    "        in DNS       (none)\n"
    "        last UPDATE  never\n"
    "  AAAA  published    2001:db8::50\n"
    "        in DNS       2001:db8::50\n"
    "        last UPDATE  1h ago, NOERROR, no change\n"
    "\n"
    "  (no mirrors)\n";

static void test_status_table(void)
{
	json_t *j = fixture();

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	expect_text(mp_status_text(j, NOW), want_status);
	json_decref(j);
}

static const char want_rrsets[] =
    "DNS last error: UPDATE example.org refused (REFUSED)\n"
    "pool dl.example.org.\n"
    "  A     published    192.0.2.10 192.0.2.30\n"
    "        in DNS       192.0.2.10 192.0.2.20  (differs: UPDATE pending)\n"
    "        last UPDATE  5m ago, NOERROR, +192.0.2.10 -192.0.2.20\n"
    "  AAAA  published    unknown (DNS not read yet)\n"
    "        in DNS       (not read yet)\n"
    "        last UPDATE  never\n"
    "\n"
    "pool ftp.example.org.\n"
    "  A     published    (none)\n"
    "        in DNS       (none)\n"
    "        last UPDATE  never\n"
    "  AAAA  published    2001:db8::50\n"
    "        in DNS       2001:db8::50\n"
    "        last UPDATE  1h ago, NOERROR, no change\n";

static void test_sync_rrsets(void)
{
	json_t *j = fixture();

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	expect_text(mp_status_text_rrsets(j, NOW), want_rrsets);
	json_decref(j);
}

static void test_not_objects(void)
{
	json_t *a = json_array(), *o = json_object();

	CU_ASSERT_PTR_NULL(mp_status_text(a, NOW));
	CU_ASSERT_PTR_NULL(mp_status_text(NULL, NOW));
	CU_ASSERT_PTR_NULL(mp_status_text_rrsets(a, NOW));
	CU_ASSERT_PTR_NULL(mp_status_text_check(o));
	CU_ASSERT_PTR_NULL(mp_status_text_check(NULL));
	json_decref(a);
	json_decref(o);
}

/* An agent that sends less than expected still gets shown. */
static void test_missing_fields(void)
{
	json_t *j = json_loads("{}", 0, NULL);

	expect_text(mp_status_text(j, NOW),
		    "mirrorpool ?; DNS server ? port 0, zone ?\n"
		    "\n"
		    "(no pools)\n");
	json_decref(j);

	j = json_loads("{\"version\":\"1\",\"pools\":[{\"name\":7,"
		       "\"mirrors\":[{\"name\":\"m\",\"addresses\":[{}]},"
		       "{\"name\":\"e\",\"addresses\":[]}]}]}",
		       0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	expect_text(mp_status_text(j, NOW),
		    "mirrorpool 1; DNS server ? port 0, zone ?\n"
		    "\n"
		    "pool ?  guard ok\n"
		    "  A     published    unknown (DNS not read yet)\n"
		    "        in DNS       (not read yet)\n"
		    "        last UPDATE  never\n"
		    "  AAAA  published    unknown (DNS not read yet)\n"
		    "        in DNS       (not read yet)\n"
		    "        last UPDATE  never\n"
		    "\n"
		    "  MIRROR  ADDRESS  STATE  PUBLISHED  LAST CHECK  LATENCY\n"
		    "  m       ?        ?      ?          never       -\n"
		    "  e       -                                      \n");
	json_decref(j);
}

/* Times ahead of the client's clock (skew) and a drain with no reason. */
static void test_future_times(void)
{
	json_t *j = json_loads(
	    "{\"pools\":[{\"name\":\"p.\",\"rrsets\":{\"A\":{\"published\":"
	    "[],\"in_dns\":[],\"last_update\":{\"at\":1763800300,\"rcode\":"
	    "\"NOERROR\",\"added\":[\"192.0.2.1\"],\"removed\":[]}}},"
	    "\"mirrors\":[{\"name\":\"m\",\"weight\":1,\"drain\":{\"by\":"
	    "\"carol\",\"uid\":7,\"since\":1763800000,\"until\":1763800090,"
	    "\"force\":false},\"addresses\":[]}]}]}",
	    0, NULL);
	char *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	s = mp_status_text(j, NOW);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(s, "        last UPDATE  in 5m, NOERROR, +192.0.2.1\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(s, "    m drained: (no reason given) by carol (uid 7), "
		      "since just now, until in 1m30s\n"));
	free(s);
	json_decref(j);
}

/* The certificate watch under an address: expiry, subject, issuer; an
 * expired one, and one known only by its expiry. */
static void test_certificate_notes(void)
{
	json_t *j = json_loads(
	    "{\"pools\":[{\"name\":\"p.\",\"mirrors\":[{\"name\":\"m\","
	    "\"weight\":1,\"addresses\":["
	    "{\"address\":\"192.0.2.1\",\"state\":\"up\","
	    "\"tls_cert_expires\":1764059200,"
	    "\"tls_cert_subject\":\"/CN=dl.example.org\","
	    "\"tls_cert_issuer\":\"/O=Example/CN=Example CA\"},"
	    "{\"address\":\"192.0.2.2\",\"state\":\"down\","
	    "\"tls_cert_expires\":1763790000,"
	    "\"tls_cert_subject\":\"/CN=old\\u001b\"},"
	    "{\"address\":\"192.0.2.3\",\"state\":\"up\","
	    "\"tls_cert_expires\":1763803600}]}]}]}",
	    0, NULL);
	char *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	s = mp_status_text(j, NOW);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(s, "    192.0.2.1 certificate expires in 3d; subject "
		      "/CN=dl.example.org, issuer /O=Example/CN=Example CA\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(s, "    192.0.2.2 certificate expired; subject /CN=old?, "
		      "issuer ?\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(s, "    192.0.2.3 certificate expires in 1h\n"));
	free(s);
	json_decref(j);
}

static void test_check_lines(void)
{
	json_t *j = json_loads(
	    "[{\"mirror\":\"mirror1\",\"address\":\"192.0.2.10\",\"ok\":"
	    "true,\"detail\":\"HTTP 200\",\"latency_ms\":35,\"state\":"
	    "\"up\"},{\"mirror\":\"m2\",\"address\":\"2001:db8::20\",\"ok\":"
	    "false,\"detail\":\"caf\\u00e9 \\u0007\",\"latency_ms\":3000,"
	    "\"state\":\"down\"},{\"mirror\":\"m3\"}]",
	    0, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	/* "café ?" is 6 columns wide (7 bytes): padding counts columns. */
	expect_text(
	    mp_status_text_check(j),
	    "mirror1  192.0.2.10    ok    HTTP 200  35 ms    state up\n"
	    "m2       2001:db8::20  FAIL  caf\xc3\xa9 ?    3000 ms  "
	    "state down\n"
	    "m3       ?             ?     ?         -        state ?\n");
	json_decref(j);

	j = json_array();
	expect_text(mp_status_text_check(j), "(no checks ran)\n");
	json_decref(j);
}

/* A string longer than the renderer's buffer is cut at a character
 * boundary, never inside a UTF-8 sequence. */
static void test_long_detail_cut(void)
{
	char detail[400], want[400];
	json_t *j;
	char *s, *p;

	memset(detail, 'a', 298);
	memcpy(detail + 298, "\xc3\xa9zzzz", 7);
	j = json_pack("[{s:s, s:s, s:b, s:s, s:i, s:s}]", "mirror", "m",
		      "address", "192.0.2.1", "ok", 0, "detail", detail,
		      "latency_ms", 1, "state", "down");
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	s = mp_status_text_check(j);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	memset(want, 'a', 298);
	snprintf(want + 298, sizeof(want) - 298, "  1 ms");
	p = strstr(s, "FAIL  ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(strncmp(p + 6, want, strlen(want)), 0);
	free(s);
	json_decref(j);
}

/* A JSON pool: its entries by URL with the weight they get in the output,
 * the source's error, and "(no pools)" only when there is neither kind. */
static void test_json_pool(void)
{
	json_t *j = json_loads(
	    "{\"version\":\"1\",\"dns\":{\"server\":\"::1\",\"port\":53,"
	    "\"zone\":\"example.org\"},\"pools\":[],\"json_pools\":[{"
	    "\"name\":\"tails\",\"source\":\"/srv/in.json\",\"output\":"
	    "\"/srv/out.json\",\"min_healthy\":1,\"source_error\":"
	    "\"/srv/in.json:3:1: end of file expected\",\"mirrors\":["
	    "{\"name\":\"a.example\",\"url\":\"https://a.example/t/\","
	    "\"state\":\"up\",\"weight_source\":10,\"weight\":10,"
	    "\"drained\":false,\"suppressed\":false,\"stale\":false,"
	    "\"last_check\":{\"ok\":true,\"detail\":\"HTTP 200\","
	    "\"latency_ms\":12}},"
	    "{\"name\":\"b.example\",\"url\":\"https://b.example/\","
	    "\"state\":\"down\",\"weight_source\":20,\"weight\":0,"
	    "\"drained\":true,\"suppressed\":false,\"stale\":true,"
	    "\"drain\":{\"reason\":\"disk\",\"by\":\"bob\",\"since\":"
	    "1763799400}},"
	    "{\"name\":\"c.example\",\"url\":\"http://c.example/\","
	    "\"state\":\"not checked\",\"weight_source\":0,\"weight\":0,"
	    "\"drained\":false,\"suppressed\":false,\"stale\":false}]}]}",
	    0, NULL);
	char *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	s = mp_status_text(j, NOW);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NULL(strstr(s, "(no pools)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s,
				      "json pool tails  min_healthy 1\n"
				      "  source /srv/in.json\n"
				      "  output /srv/out.json\n"
				      "  source error: /srv/in.json:3:1: end "
				      "of file expected (the last good list "
				      "stays in use)\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(s, "a.example  https://a.example/t/  up "));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "yes, weight 10"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "ok: HTTP 200"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "12 ms"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "down drained stale"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(s, "b.example drained: \"disk\" by bob (uid -1), since "
		      "10m ago"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "no (weight 0 in the source)"));
	if (!strstr(s, "yes, weight 10"))
		fprintf(stderr, "\n%s", s);
	free(s);
	json_decref(j);
}

static CU_TestInfo tests[] = {
    {"a JSON pool", test_json_pool},
    {"status table from the fixture", test_status_table},
    {"sync RRsets from the fixture", test_sync_rrsets},
    {"not objects", test_not_objects},
    {"missing fields", test_missing_fields},
    {"future times, drain without reason", test_future_times},
    {"certificate notes", test_certificate_notes},
    {"check lines", test_check_lines},
    {"long detail cut", test_long_detail_cut},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"status_text", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
