#include "unit.h"

#include <string.h>

#include "error.h"
#include "viewsched.h"

static struct mp_vantage_cfg vc;
static struct mp_view own;

static void setup(enum mp_vantage_role role)
{
	static char *nodes[] = {"ams1", "nyc1", "sgp1"};

	memset(&vc, 0, sizeof(vc));
	vc.enabled = true;
	vc.role = role;
	vc.nodes = nodes;
	vc.n_nodes = 3;
	vc.self = 0;
	vc.quorum = 2;
	vc.max_age_ms = 30000;
	vc.publish_interval_ms = 2000;
	mp_view_init(&own);
}

static void set_own(const char *addr, enum mp_verdict v)
{
	struct mp_addr a;

	mp_view_clear(&own);
	mp_addr_parse(addr, &a);
	mp_view_add(&own, &a, NULL, v);
}

static void test_publish(void)
{
	struct mp_viewsched s;
	uint64_t next;

	setup(MP_ROLE_OBSERVER);
	mp_viewsched_init(&s, 1000);
	set_own("192.0.2.1", MP_VERDICT_UP);
	/* at start: at once */
	next = UINT64_MAX;
	CU_ASSERT_TRUE(mp_viewsched_publish_due(&s, &vc, &own, 1000, &next));
	CU_ASSERT_EQUAL(next, 1000);
	/* a failed publication is retried one publish_interval later */
	mp_viewsched_published(&s, &own, 1000, false);
	next = UINT64_MAX;
	CU_ASSERT_FALSE(mp_viewsched_publish_due(&s, &vc, &own, 2999, &next));
	CU_ASSERT_EQUAL(next, 3000);
	CU_ASSERT_TRUE(mp_viewsched_publish_due(&s, &vc, &own, 3000, NULL));
	CU_ASSERT_EQUAL(mp_viewsched_published(&s, &own, 3000, true), MP_OK);
	/* unchanged: refreshed every max_age / 3 */
	next = UINT64_MAX;
	CU_ASSERT_FALSE(mp_viewsched_publish_due(&s, &vc, &own, 4000, &next));
	CU_ASSERT_EQUAL(next, 13000);
	CU_ASSERT_TRUE(mp_viewsched_publish_due(&s, &vc, &own, 13000, NULL));
	/* a change: at once, but not before publish_interval */
	set_own("192.0.2.1", MP_VERDICT_DOWN);
	next = UINT64_MAX;
	CU_ASSERT_FALSE(mp_viewsched_publish_due(&s, &vc, &own, 4000, &next));
	CU_ASSERT_EQUAL(next, 5000);
	CU_ASSERT_TRUE(mp_viewsched_publish_due(&s, &vc, &own, 5000, NULL));
	mp_viewsched_published(&s, &own, 5000, true);
	CU_ASSERT_FALSE(mp_viewsched_publish_due(&s, &vc, &own, 6000, NULL));
	/* an observer reads nothing */
	CU_ASSERT_EQUAL(mp_viewsched_read_due(&s, &vc, 100000, NULL), -1);
	/* without a group: nothing at all */
	vc.enabled = false;
	CU_ASSERT_FALSE(mp_viewsched_publish_due(&s, &vc, &own, 100000, NULL));
	mp_viewsched_clear(&s);
	mp_view_clear(&own);
}

static void test_reads(void)
{
	struct mp_viewsched s;
	uint64_t next;

	setup(MP_ROLE_WRITER);
	vc.self = 1;
	mp_viewsched_init(&s, 1000);
	/* both others at once, never itself */
	CU_ASSERT_EQUAL(mp_viewsched_read_due(&s, &vc, 1000, NULL), 0);
	mp_viewsched_read_done(&s, &vc, 0, 1000);
	CU_ASSERT_EQUAL(mp_viewsched_read_due(&s, &vc, 1000, NULL), 2);
	mp_viewsched_read_done(&s, &vc, 2, 1100);
	next = UINT64_MAX;
	CU_ASSERT_EQUAL(mp_viewsched_read_due(&s, &vc, 1200, &next), -1);
	CU_ASSERT_EQUAL(next, 3000);
	CU_ASSERT_EQUAL(mp_viewsched_read_due(&s, &vc, 3000, NULL), 0);
	/* the one waiting longest first */
	CU_ASSERT_EQUAL(mp_viewsched_read_due(&s, &vc, 5000, NULL), 0);
	mp_viewsched_clear(&s);
}

static CU_TestInfo tests[] = {
    {"publication: start, retry, change, refresh", test_publish},
    {"reads of the other views", test_reads},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"viewsched", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
