#include "unit.h"

#include "error.h"
#include "rrset.h"

#include <string.h>

static struct mp_addr A(const char *s) {
	struct mp_addr a;

	CU_ASSERT_FATAL(mp_addr_parse(s, &a) == MP_OK);
	return a;
}

/* Fills s from a NULL-terminated list of literals. */
static void
fill(struct mp_addr_set *s, const char *const *list)
{
	mp_addr_set_init(s);
	for (size_t i = 0; list[i]; i++) {
		struct mp_addr a = A(list[i]);
		CU_ASSERT_FATAL(mp_addr_set_add(s, &a) == MP_OK);
	}
}

/* The set's canonical texts joined by ','. */
static const char *join(const struct mp_addr_set *s)
{
	static char buf[1024];
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n; i++) {
		int n = snprintf(buf + off, sizeof(buf) - off, "%s%s",
				 i ? "," : "", s->v[i].text);
		CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof(buf) - off);
		off += (size_t)n;
	}
	return buf;
}

static void test_add_sorted_unique(void)
{
	struct mp_addr_set s;
	const char *list[] = {"2001:db8::10",	"192.0.2.20", "192.0.2.3",
			      "2001:DB8::0:10", "192.0.2.20", "10.0.0.1",
			      "2001:db8::9",	NULL};

	fill(&s, list);
	/* IPv4 first, bytewise; "2001:DB8::0:10" is "2001:db8::10" */
	CU_ASSERT_STRING_EQUAL(join(&s), "10.0.0.1,192.0.2.3,192.0.2.20,"
					 "2001:db8::9,2001:db8::10");
	CU_ASSERT_EQUAL(s.n, 5);
	mp_addr_set_clear(&s);
	CU_ASSERT_EQUAL(s.n, 0);
	CU_ASSERT_PTR_NULL(s.v);
	/* clearing twice is harmless */
	mp_addr_set_clear(&s);
}

static void test_grow(void)
{
	struct mp_addr_set s;
	char text[32];

	mp_addr_set_init(&s);
	/* descending order inserts at the front every time */
	for (int i = 200; i > 0; i--) {
		struct mp_addr a;
		snprintf(text, sizeof(text), "10.0.%d.%d", i / 100, i % 100);
		a = A(text);
		CU_ASSERT_FATAL(mp_addr_set_add(&s, &a) == MP_OK);
	}
	CU_ASSERT_EQUAL(s.n, 200);
	for (size_t i = 1; i < s.n; i++)
		CU_ASSERT(mp_addr_cmp(&s.v[i - 1], &s.v[i]) < 0);
	CU_ASSERT_STRING_EQUAL(s.v[0].text, "10.0.0.1");
	CU_ASSERT_STRING_EQUAL(s.v[199].text, "10.0.2.0");
	mp_addr_set_clear(&s);
}

static void test_remove_contains(void)
{
	struct mp_addr_set s;
	const char *list[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3",
			      "2001:db8::1", NULL};
	struct mp_addr a2 = A("192.0.2.2"), a9 = A("192.0.2.9");
	struct mp_addr v6 = A("2001:db8:0::1");

	fill(&s, list);
	CU_ASSERT_TRUE(mp_addr_set_contains(&s, &a2));
	CU_ASSERT_TRUE(mp_addr_set_contains(&s, &v6));
	CU_ASSERT_FALSE(mp_addr_set_contains(&s, &a9));
	CU_ASSERT_TRUE(mp_addr_set_remove(&s, &a2));
	CU_ASSERT_FALSE(mp_addr_set_remove(&s, &a2));
	CU_ASSERT_FALSE(mp_addr_set_remove(&s, &a9));
	CU_ASSERT_FALSE(mp_addr_set_contains(&s, &a2));
	CU_ASSERT_STRING_EQUAL(join(&s), "192.0.2.1,192.0.2.3,2001:db8::1");
	CU_ASSERT_TRUE(mp_addr_set_remove(&s, &v6));
	CU_ASSERT_STRING_EQUAL(join(&s), "192.0.2.1,192.0.2.3");
	mp_addr_set_clear(&s);

	/* the empty set */
	mp_addr_set_init(&s);
	CU_ASSERT_FALSE(mp_addr_set_contains(&s, &a2));
	CU_ASSERT_FALSE(mp_addr_set_remove(&s, &a2));
	mp_addr_set_clear(&s);
}

static void test_equal_copy(void)
{
	struct mp_addr_set a, b, c, e1, e2;
	const char *la[] = {"192.0.2.1", "2001:db8::1", NULL};
	const char *lb[] = {"2001:db8::1", "192.0.2.1", "192.0.2.1", NULL};
	const char *lc[] = {"192.0.2.1", NULL};

	fill(&a, la);
	fill(&b, lb);
	fill(&c, lc);
	mp_addr_set_init(&e1);
	mp_addr_set_init(&e2);
	CU_ASSERT_TRUE(mp_addr_set_equal(&a, &b));
	CU_ASSERT_FALSE(mp_addr_set_equal(&a, &c));
	CU_ASSERT_FALSE(mp_addr_set_equal(&c, &e1));
	CU_ASSERT_TRUE(mp_addr_set_equal(&e1, &e2));

	/* copy over a non-empty destination replaces it */
	CU_ASSERT_EQUAL(mp_addr_set_copy(&c, &a), MP_OK);
	CU_ASSERT_TRUE(mp_addr_set_equal(&c, &a));
	CU_ASSERT_PTR_NOT_EQUAL(c.v, a.v);
	CU_ASSERT_EQUAL(mp_addr_set_copy(&c, &e1), MP_OK);
	CU_ASSERT_EQUAL(c.n, 0);
	CU_ASSERT_EQUAL(mp_addr_set_copy(&e2, &a), MP_OK);
	CU_ASSERT_STRING_EQUAL(join(&e2), "192.0.2.1,2001:db8::1");
	/* the copy is independent of its source */
	{
		struct mp_addr x = A("192.0.2.1");
		CU_ASSERT_TRUE(mp_addr_set_remove(&a, &x));
		CU_ASSERT_STRING_EQUAL(join(&e2), "192.0.2.1,2001:db8::1");
	}
	mp_addr_set_clear(&a);
	mp_addr_set_clear(&b);
	mp_addr_set_clear(&c);
	mp_addr_set_clear(&e1);
	mp_addr_set_clear(&e2);
}

static void test_diff(void)
{
	struct mp_addr_set want, dns, add, del;
	const char *lw[] = {"192.0.2.1", "192.0.2.2", "192.0.2.30",
			    "2001:db8::2", NULL};
	const char *ld[] = {"192.0.2.2", "192.0.2.20", "2001:db8::1",
			    "2001:db8::2", NULL};
	const char *lstale[] = {"198.51.100.1", NULL};

	fill(&want, lw);
	fill(&dns, ld);
	/* add and del are emptied first */
	fill(&add, lstale);
	fill(&del, lstale);
	CU_ASSERT_EQUAL(mp_rrset_diff(&want, &dns, &add, &del), MP_OK);
	CU_ASSERT_STRING_EQUAL(join(&add), "192.0.2.1,192.0.2.30");
	CU_ASSERT_STRING_EQUAL(join(&del), "192.0.2.20,2001:db8::1");

	/* no change */
	CU_ASSERT_EQUAL(mp_rrset_diff(&want, &want, &add, &del), MP_OK);
	CU_ASSERT_EQUAL(add.n, 0);
	CU_ASSERT_EQUAL(del.n, 0);

	/* DNS empty: add everything; desired empty: delete everything */
	mp_addr_set_clear(&dns);
	CU_ASSERT_EQUAL(mp_rrset_diff(&want, &dns, &add, &del), MP_OK);
	CU_ASSERT_STRING_EQUAL(join(&add),
			       "192.0.2.1,192.0.2.2,192.0.2.30,2001:db8::2");
	CU_ASSERT_EQUAL(del.n, 0);
	CU_ASSERT_EQUAL(mp_rrset_diff(&dns, &want, &add, &del), MP_OK);
	CU_ASSERT_EQUAL(add.n, 0);
	CU_ASSERT_STRING_EQUAL(join(&del),
			       "192.0.2.1,192.0.2.2,192.0.2.30,2001:db8::2");

	mp_addr_set_clear(&want);
	mp_addr_set_clear(&dns);
	mp_addr_set_clear(&add);
	mp_addr_set_clear(&del);
}

static CU_TestInfo tests[] = {
    {"add keeps the set sorted and unique", test_add_sorted_unique},
    {"grows past its initial capacity", test_grow},
    {"remove and contains", test_remove_contains},
    {"equal and copy", test_equal_copy},
    {"diff desired against DNS", test_diff},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"rrset", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
