#include "unit.h"

#include "addr.h"
#include "error.h"

#include <sys/socket.h>

static void test_parse(void)
{
	struct mp_addr a, b;
	CU_ASSERT_EQUAL(mp_addr_parse("192.0.2.10", &a), MP_OK);
	CU_ASSERT_EQUAL(a.family, AF_INET);
	CU_ASSERT_STRING_EQUAL(a.text, "192.0.2.10");
	CU_ASSERT_EQUAL(mp_addr_rrtype(&a), 1);
	CU_ASSERT_EQUAL(mp_addr_parse("2001:DB8:0::0:10", &b), MP_OK);
	CU_ASSERT_EQUAL(b.family, AF_INET6);
	CU_ASSERT_STRING_EQUAL(b.text, "2001:db8::10");
	CU_ASSERT_EQUAL(mp_addr_rrtype(&b), 28);
	CU_ASSERT(mp_addr_cmp(&a, &b) < 0);
}

static void test_invalid(void)
{
	struct mp_addr a;
	const char *bad[] = {"",
			     "192.0.2",
			     "192.0.2.256",
			     "192.0.2.1/24",
			     "[2001:db8::1]",
			     "2001:db8::1%eth0",
			     "mirror1",
			     " 192.0.2.1",
			     "2001:db8:::1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(mp_addr_parse(bad[i], &a), MP_EINVAL);
}

static void test_equal(void)
{
	struct mp_addr a, b, c;
	mp_addr_parse("2001:db8::10", &a);
	mp_addr_parse("2001:0db8:0000::0010", &b);
	mp_addr_parse("2001:db8::11", &c);
	CU_ASSERT(mp_addr_equal(&a, &b));
	CU_ASSERT(!mp_addr_equal(&a, &c));
	CU_ASSERT(mp_addr_cmp(&a, &c) < 0);
}

static void test_sockaddr(void)
{
	struct mp_addr a;
	struct sockaddr_storage ss;
	mp_addr_parse("127.0.0.1", &a);
	CU_ASSERT_EQUAL(mp_addr_to_sockaddr(&a, 5353, &ss),
			sizeof(struct sockaddr_in));
	CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in *)&ss)->sin_port), 5353);
	mp_addr_parse("::1", &a);
	CU_ASSERT_EQUAL(mp_addr_to_sockaddr(&a, 53, &ss),
			sizeof(struct sockaddr_in6));
}

static CU_TestInfo tests[] = {
    {"parse", test_parse}, {"invalid", test_invalid},
    {"equal", test_equal}, {"sockaddr", test_sockaddr},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"addr", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
