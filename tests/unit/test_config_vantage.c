#include "unit.h"

#include "config.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *conf_path;

/* A valid config; vantage text goes on line 8, top-level text on line 9. */
static const char *conf(const char *vantage, const char *top)
{
	static char buf[8192];

	snprintf(
	    buf, sizeof(buf),
	    "dns = { server = \"127.0.0.1\"; zone = \"example.org\";\n" /* 1 */
	    "  key_file = \"tsig.key\"; };\n"				/* 2 */
	    "check = { url = \"https://dl.example.org/trace\"; };\n"	/* 3 */
	    "pools = (\n"						/* 4 */
	    "  { name = \"dl.example.org.\";\n"				/* 5 */
	    "    mirrors = ( { name = \"m1\"; addresses = [ "
	    "\"192.0.2.1\" ]; } ); }\n" /* 6 */
	    ");\n"			/* 7 */
	    "%s\n"			/* 8 */
	    "%s\n",			/* 9 */
	    vantage ? vantage : "", top ? top : "");
	return buf;
}

static int load(const char *text, const char *host, struct mp_config **cfg,
		struct mp_diag *d)
{
	conf_path = mp_unit_write_file("v.conf", text, 0600);
	mp_diag_init(d);
	*cfg = NULL;
	return mp_config_load_node(conf_path, MP_CONFIG_NO_KEY, host, cfg, d);
}

static struct mp_config *load_ok(const char *text, const char *host)
{
	struct mp_config *cfg;
	struct mp_diag d;
	int rc = load(text, host, &cfg, &d);

	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "\n    | %s", d.msgs[i]);
	CU_ASSERT_EQUAL(rc, MP_OK);
	mp_diag_clear(&d);
	return cfg;
}

/* Expects exactly one message, "FILE:LINE: ...sub...". */
static void expect_err(const char *text, const char *host, int line,
		       const char *sub, int caller)
{
	struct mp_config *cfg;
	struct mp_diag d;
	char prefix[512];
	int rc = load(text, host, &cfg, &d);
	bool ok;

	snprintf(prefix, sizeof(prefix), "%s:%d: ", conf_path, line);
	ok = rc == MP_ECONFIG && !cfg && d.n == 1 &&
	     strncmp(d.msgs[0], prefix, strlen(prefix)) == 0 &&
	     strstr(d.msgs[0], sub);
	if (!ok) {
		fprintf(stderr,
			"\n  line %d: wanted \"%s...%s\", got rc %d:", caller,
			prefix, sub, rc);
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "\n    | %s", d.msgs[i]);
	}
	CU_assertImplementation(ok, (unsigned)caller, "expected config error",
				__FILE__, "", CU_FALSE);
	mp_diag_clear(&d);
	mp_config_free(cfg);
}
#define ERR(v, top, host, line, sub)                                           \
	expect_err(conf(v, top), host, line, sub, __LINE__)

#define GROUP(extra)                                                           \
	"vantage = { role = \"writer\"; views = \"_mp.example.org.\"; "        \
	"nodes = [ \"ams1\", \"NYC1\", \"sgp1\" ]; " extra " };"

static void test_without_group(void)
{
	struct mp_config *cfg = load_ok(conf(NULL, NULL), "ams1.example.net");

	CU_ASSERT_FALSE(cfg->vantage.enabled);
	/* the node still has a name: the host's first label */
	CU_ASSERT_STRING_EQUAL(cfg->node, "ams1");
	mp_config_free(cfg);
	cfg = load_ok(conf(NULL, NULL), NULL);
	CU_ASSERT_PTR_NULL(cfg->node);
	CU_ASSERT_FALSE(cfg->vantage.enabled);
	mp_config_free(cfg);
}

static void test_group(void)
{
	struct mp_config *cfg =
	    load_ok(conf(GROUP(""), NULL), "nyc1.example.net");
	const struct mp_vantage_cfg *v = &cfg->vantage;
	char name[300];

	CU_ASSERT_TRUE(v->enabled);
	CU_ASSERT_EQUAL(v->role, MP_ROLE_WRITER);
	CU_ASSERT_STRING_EQUAL(v->views, "_mp.example.org.");
	CU_ASSERT_EQUAL_FATAL(v->n_nodes, 3);
	CU_ASSERT_STRING_EQUAL(v->nodes[1], "nyc1");
	CU_ASSERT_EQUAL(v->self, 1);
	CU_ASSERT_STRING_EQUAL(cfg->node, "nyc1");
	/* defaults: a majority, 30s, 2s, local */
	CU_ASSERT_EQUAL(v->quorum, 2);
	CU_ASSERT_EQUAL(v->max_age_ms, 30000);
	CU_ASSERT_EQUAL(v->publish_interval_ms, 2000);
	CU_ASSERT_EQUAL(v->fallback, MP_FALLBACK_LOCAL);
	CU_ASSERT_STRING_EQUAL(
	    mp_vantage_view_name(v, cfg->node, name, sizeof(name)),
	    "nyc1._mp.example.org.");
	CU_ASSERT_PTR_NULL(mp_vantage_view_name(v, cfg->node, name, 8));
	{
		char *sum = mp_config_summary(cfg);
		CU_ASSERT_PTR_NOT_NULL(strstr(
		    sum, "vantage: node nyc1, writer, quorum 2 of ams1, nyc1, "
			 "sgp1; view at nyc1._mp.example.org. TXT; max_age "
			 "30s, publish_interval 2s, fallback local"));
		free(sum);
	}
	mp_config_free(cfg);

	cfg = load_ok(conf("vantage = { role = \"observer\"; views = "
			   "\"_mp.example.org\"; nodes = [ \"ams1\", "
			   "\"sgp1\" ]; quorum = 1; max_age = \"1m\"; "
			   "publish_interval = \"250ms\"; fallback = "
			   "\"freeze\"; };",
			   "node = \"SGP1\";"),
		      "ignored");
	CU_ASSERT_EQUAL(cfg->vantage.role, MP_ROLE_OBSERVER);
	CU_ASSERT_STRING_EQUAL(cfg->node, "sgp1");
	CU_ASSERT_EQUAL(cfg->vantage.self, 1);
	CU_ASSERT_EQUAL(cfg->vantage.quorum, 1);
	CU_ASSERT_EQUAL(cfg->vantage.max_age_ms, 60000);
	CU_ASSERT_EQUAL(cfg->vantage.publish_interval_ms, 250);
	CU_ASSERT_EQUAL(cfg->vantage.fallback, MP_FALLBACK_FREEZE);
	mp_config_free(cfg);
}

static void test_errors(void)
{
	ERR(GROUP(""), NULL, NULL, 8, "node: not set and no host name");
	ERR(GROUP(""), NULL, "bad!host", 8,
	    "the host name \"bad!host\" may hold only letters");
	ERR(GROUP(""), "node = \"lon1\";", NULL, 8,
	    "vantage.nodes: this agent's node \"lon1\" (from node) is not "
	    "listed");
	ERR(GROUP(""), NULL, "lon1", 8, "(the host name) is not listed");
	ERR(NULL, "node = \"a.b\";", NULL, 9,
	    "node: \"a.b\" may hold only letters");
	ERR("vantage = { views = \"_mp.example.org.\"; nodes = [ \"a\" ]; };",
	    NULL, "a", 8, "missing required key \"role\"");
	ERR("vantage = { role = \"reader\"; views = \"_mp.example.org.\"; "
	    "nodes = [ \"a\" ]; };",
	    NULL, "a", 8, "vantage.role: \"reader\" is not a role");
	ERR("vantage = { role = \"writer\"; nodes = [ \"a\" ]; };", NULL, "a",
	    8, "missing required key \"views\"");
	ERR("vantage = { role = \"writer\"; views = \"_mp.example.net.\"; "
	    "nodes = [ \"a\" ]; };",
	    NULL, "a", 8, "_mp.example.net. is not inside zone example.org.");
	ERR("vantage = { role = \"writer\"; views = \"example.org.\"; "
	    "nodes = [ \"a\" ]; };",
	    NULL, "a", 8, "pool dl.example.org. (line 5) lies at or under");
	ERR("vantage = { role = \"writer\"; views = \"_mp.example.org.\"; };",
	    NULL, "a", 8, "missing required key \"nodes\"");
	ERR("vantage = { role = \"writer\"; views = \"_mp.example.org.\"; "
	    "nodes = [ ]; };",
	    NULL, "a", 8, "vantage.nodes: is empty");
	ERR("vantage = { role = \"writer\"; views = \"_mp.example.org.\"; "
	    "nodes = [ \"a\", \"A\" ]; };",
	    NULL, "a", 8, "vantage.nodes[1]: node \"a\" is listed twice");
	ERR(GROUP("quorum = 4;"), NULL, "ams1", 8,
	    "vantage.quorum: 4 is more than the 3 nodes listed");
	ERR(GROUP("quorum = 0;"), NULL, "ams1", 8, "vantage.quorum");
	ERR(GROUP("max_age = \"500ms\";"), NULL, "ams1", 8, "vantage.max_age");
	ERR(GROUP("max_age = \"2h\";"), NULL, "ams1", 8,
	    "vantage.max_age: 2h is too long");
	ERR(GROUP("publish_interval = \"50ms\";"), NULL, "ams1", 8,
	    "vantage.publish_interval");
	ERR(GROUP("max_age = \"5s\"; publish_interval = \"2s\";"), NULL, "ams1",
	    8,
	    "vantage.publish_interval: 2s is more than a third of max_age "
	    "(5s)");
	ERR(GROUP("fallback = \"panic\";"), NULL, "ams1", 8,
	    "vantage.fallback: \"panic\" is not a fallback");
	ERR(GROUP("quroum = 2;"), NULL, "ams1", 8, "quroum");
}

/* A config whose global check group holds extra (line 3) and whose pool
 * holds pool_extra (line 5). */
static const char *conf_check(const char *extra, const char *pool_extra)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "dns = { server = \"127.0.0.1\"; zone = \"example.org\";\n"
		 "  key_file = \"tsig.key\"; };\n"
		 "check = { url = \"https://dl.example.org/trace\"; %s };\n"
		 "pools = ( { name = \"dl.example.org.\";\n"
		 "    %s\n"
		 "    mirrors = ( { name = \"m1\"; addresses = [ "
		 "\"192.0.2.1\" ]; } ); } );\n",
		 extra, pool_extra);
	return buf;
}

static void test_source_address(void)
{
	struct mp_config *cfg;
	char *sum;

	cfg = load_ok(conf_check("source_address = \"127.0.0.21\";", ""), NULL);
	CU_ASSERT_TRUE(cfg->pools[0].check.has_source4);
	CU_ASSERT_FALSE(cfg->pools[0].check.has_source6);
	CU_ASSERT_STRING_EQUAL(
	    mp_check_source(&cfg->pools[0].check, AF_INET)->text, "127.0.0.21");
	CU_ASSERT_PTR_NULL(mp_check_source(&cfg->pools[0].check, AF_INET6));
	sum = mp_config_summary(cfg);
	CU_ASSERT_PTR_NOT_NULL(strstr(sum, "trace from 127.0.0.21 every"));
	free(sum);
	mp_config_free(cfg);
	/* a pool's own overrides, one per family */
	cfg = load_ok(conf_check("source_address = \"127.0.0.21\";",
				 "check = { source_address = [ \"::1\", "
				 "\"127.0.0.22\" ]; };"),
		      NULL);
	CU_ASSERT_STRING_EQUAL(cfg->pools[0].check.source4.text, "127.0.0.22");
	CU_ASSERT_STRING_EQUAL(cfg->pools[0].check.source6.text, "::1");
	CU_ASSERT_FALSE(mp_check_cfg_equal(&cfg->check, &cfg->pools[0].check));
	mp_config_free(cfg);
	expect_err(conf_check("source_address = \"eth0\";", ""), NULL, 3,
		   "check.source_address: \"eth0\" is not an IP address",
		   __LINE__);
	expect_err(conf_check("source_address = [ \"127.0.0.1\", "
			      "\"127.0.0.2\" ];",
			      ""),
		   NULL, 3, "check.source_address[1]: a second IPv4 address",
		   __LINE__);
	expect_err(conf_check("source_address = 1;", ""), NULL, 3,
		   "check.source_address: expected an address", __LINE__);
	expect_err(conf_check("source_address = [ ];", ""), NULL, 3,
		   "check.source_address: one address, or one IPv4 and one "
		   "IPv6",
		   __LINE__);
}

static CU_TestInfo tests[] = {
    {"without a vantage group", test_without_group},
    {"vantage group", test_group},
    {"errors name file, line and problem", test_errors},
    {"check.source_address", test_source_address},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"config_vantage", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
