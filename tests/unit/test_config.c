#include "unit.h"

#include "config.h"
#include "config_lex.h"
#include "error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

/* A hmac-sha256 key made for these tests only. */
#define TEST_SECRET "c2VjcmV0LWtleS1mb3ItdW5pdC10ZXN0cy0wMTIzNDU="
#define TEST_KEY                                                               \
	"key \"mirrorpool\" {\n\talgorithm hmac-sha256;\n\tsecret "            \
	"\"" TEST_SECRET "\";\n};\n"

static const char *conf_path;

static int load_str(const char *text, unsigned flags, struct mp_config **cfg,
		    struct mp_diag *d)
{
	conf_path = mp_unit_write_file("c.conf", text, 0600);
	mp_diag_init(d);
	*cfg = NULL;
	return mp_config_load(conf_path, flags, cfg, d);
}

static void dump_diag(const struct mp_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "    | %s\n", d->msgs[i]);
}

/* True when a message reads "FILE:LINE: ...sub..." (or "FILE: ...sub..."
 * for line 0). */
static bool diag_has(const struct mp_diag *d, const char *file, int line,
		     const char *sub)
{
	char prefix[1024];

	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", file, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", file);
	for (size_t i = 0; i < d->n; i++)
		if (strncmp(d->msgs[i], prefix, strlen(prefix)) == 0 &&
		    strstr(d->msgs[i] + strlen(prefix), sub))
			return true;
	return false;
}

/*
 * Loads text and expects it rejected with "FILE:LINE: ...sub...". When
 * only is set, that must be the one and only message (no cascade).
 */
static void expect_err(const char *text, int line, const char *sub, bool only,
		       int caller)
{
	struct mp_config *cfg;
	struct mp_diag d;
	int rc = load_str(text, MP_CONFIG_NO_KEY, &cfg, &d);
	bool ok = rc == MP_ECONFIG && !cfg &&
		  diag_has(&d, conf_path, line, sub) && (!only || d.n == 1);

	if (!ok) {
		fprintf(stderr,
			"\n  line %d: expected rc %d and only=%d \"%s:%d: "
			"...%s...\", "
			"got rc %d and %zu message(s):\n",
			caller, MP_ECONFIG, only, conf_path, line, sub, rc,
			d.n);
		dump_diag(&d);
	}
	CU_assertImplementation(ok, (unsigned)caller, "expected config error",
				__FILE__, "", CU_FALSE);
	mp_diag_clear(&d);
	mp_config_free(cfg);
}

#define EXPECT_ERR(text, line, sub) expect_err(text, line, sub, true, __LINE__)
#define EXPECT_ERR_ANY(text, line, sub)                                        \
	expect_err(text, line, sub, false, __LINE__)

/*
 * A valid config with one extra line at fixed places:
 *   dns -> line 5, check -> line 9, pool -> line 13, mirror -> line 16,
 *   top level -> line 20.
 */
static const char *conf(const char *dns, const char *check, const char *pool,
			const char *mirror, const char *top)
{
	static char buf[65536];

	snprintf(buf, sizeof(buf),
		 "dns = {\n"				       /* 1 */
		 "  server = \"127.0.0.1\";\n"		       /* 2 */
		 "  zone = \"example.org\";\n"		       /* 3 */
		 "  key_file = \"tsig.key\";\n"		       /* 4 */
		 "  %s\n"				       /* 5 */
		 "};\n"					       /* 6 */
		 "check = {\n"				       /* 7 */
		 "  url = \"https://dl.example.org/trace\";\n" /* 8 */
		 "  %s\n"				       /* 9 */
		 "};\n"					       /* 10 */
		 "pools = (\n"				       /* 11 */
		 "  { name = \"dl.example.org.\";\n"	       /* 12 */
		 "    %s\n"				       /* 13 */
		 "    mirrors = (\n"			       /* 14 */
		 "      { name = \"m1\"; addresses = [ \"192.0.2.1\", "
		 "\"2001:db8::1\" ];\n" /* 15 */
		 "        %s }\n"	/* 16 */
		 "    );\n"		/* 17 */
		 "  }\n"		/* 18 */
		 ");\n"			/* 19 */
		 "%s\n",		/* 20 */
		 dns ? dns : "", check ? check : "", pool ? pool : "",
		 mirror ? mirror : "", top ? top : "");
	return buf;
}

static struct mp_config *load_ok(const char *text, unsigned flags)
{
	struct mp_config *cfg;
	struct mp_diag d;
	int rc = load_str(text, flags, &cfg, &d);

	if (rc != MP_OK) {
		fprintf(stderr, "\n  unexpected rc %d:\n", rc);
		dump_diag(&d);
	}
	CU_ASSERT_EQUAL(rc, MP_OK);
	CU_ASSERT_EQUAL(d.n, 0);
	mp_diag_clear(&d);
	return cfg;
}

/* ------------------------------------------------------------------------ */

static const char full_conf[] =
    "# every key, none at its default\n"
    "dns = {\n"
    "  server = \"2001:db8::53\";\n"
    "  port = 5353;\n"
    "  zone = \"Example.ORG.\";\n"
    "  key_file = \"full.key\";\n"
    "  key_name = \"Second\";\n"
    "  transport = \"tcp\";\n"
    "  timeout = \"1500ms\";\n"
    "  reconcile_interval = \"10m\";\n"
    "  dry_run = true;\n"
    "};\n"
    "update = { min_interval = 7; max_per_hour = 30; };\n"
    "check = {\n"
    "  type = \"http\";\n"
    "  url = \"http://[2001:DB8::80]:8080/probe?x=1\";\n"
    "  interval = \"20s\";\n"
    "  fast_interval = \"3s\";\n"
    "  timeout = \"4s\";\n"
    "  rise = 4;\n"
    "  fall = 5;\n"
    "  expect_status = [ 200, 204, 301 ];\n"
    "  expect_body = \"OK\";\n"
    "  expect_sha256 = "
    "\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\";\n"
    "  max_age = \"6h\";\n"
    "  max_latency = \"1500ms\";\n"
    "  max_body = 1048576;\n"
    "  tls_verify = false;\n"
    "  ca_file = \"ca.pem\";\n"
    "};\n"
    "damping = { penalty = 500; suppress = 3000; reuse = 1000;\n"
    "  half_life = \"10m\"; max_suppress = \"2h\"; };\n"
    "guard = {\n"
    "  sentinels = [ \"https://www.example.net/\", \"http://192.0.2.99:81/x\" "
    "];\n"
    "  all_down_freeze = false;\n"
    "};\n"
    "pools = (\n"
    "  { name = \"dl.example.org\"; ttl = 300; min_healthy = 1; max_published "
    "= 4;\n"
    "    mirrors = (\n"
    "      { name = \"mirror1\"; addresses = [ \"192.0.2.10\", "
    "\"2001:DB8:0::10\" ];\n"
    "        weight = 20; email = \"ops@m1.example\"; notes = \"10 Gbit/s\"; "
    "},\n"
    "      { name = \"mirror2\"; addresses = [ \"192.0.2.20\" ]; weight = 0; "
    "}\n"
    "    ); },\n"
    "  { name = \"EXAMPLE.org.\";\n"
    "    check = { type = \"tcp\"; port = 873; interval = \"1m\"; };\n"
    "    mirrors = ( { name = \"mirror3\"; addresses = [ \"198.51.100.3\" ]; } "
    "); }\n"
    ");\n"
    "control = { socket = \"/run/mp/ctl.sock\"; group = \"wheel\"; mode = 640; "
    "};\n"
    "state_file = \"/var/lib/mp/state.json\";\n"
    "state_write_interval = \"250ms\";\n"
    "metrics_file = \"/var/lib/mp/m.prom\";\n"
    "log_level = \"debug\";\n";

static void test_full(void)
{
	static const unsigned char sha[32] = {
	    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
	    0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
	    0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
	const struct mp_check_cfg *ck;
	const struct mp_pool_cfg *p;
	const struct mp_mirror_cfg *m;
	struct mp_config *cfg;
	char want[1024];

	mp_unit_write_file(
	    "full.key",
	    "key first { algorithm hmac-sha256; secret \"" TEST_SECRET
	    "\"; };\n"
	    "key \"second\" { algorithm hmac-sha512; secret \"" TEST_SECRET
	    "\"; };\n",
	    0600);
	cfg = load_ok(full_conf, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);

	CU_ASSERT_STRING_EQUAL(cfg->file, conf_path);
	CU_ASSERT_STRING_EQUAL(cfg->dns.server, "2001:db8::53");
	CU_ASSERT_EQUAL(cfg->dns.server_addr.family, AF_INET6);
	CU_ASSERT_STRING_EQUAL(cfg->dns.server_addr.text, "2001:db8::53");
	CU_ASSERT_EQUAL(cfg->dns.port, 5353);
	CU_ASSERT_STRING_EQUAL(cfg->dns.zone, "example.org.");
	snprintf(want, sizeof(want), "%s/full.key", mp_unit_tmpdir());
	CU_ASSERT_STRING_EQUAL(cfg->dns.key_file, want);
	CU_ASSERT_STRING_EQUAL(cfg->dns.key_name, "Second");
	CU_ASSERT_EQUAL(cfg->dns.transport, MP_TRANSPORT_TCP);
	CU_ASSERT_EQUAL(cfg->dns.timeout_ms, 1500);
	CU_ASSERT_EQUAL(cfg->dns.reconcile_interval_ms, 600000);
	CU_ASSERT_TRUE(cfg->dns.dry_run);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg->key);
	CU_ASSERT_STRING_EQUAL(mp_tsig_key_name(cfg->key), "second.");
	CU_ASSERT_EQUAL(mp_tsig_key_alg(cfg->key), MP_TSIG_HMAC_SHA512);
	CU_ASSERT_EQUAL(mp_tsig_key_secret_len(cfg->key), 32);

	CU_ASSERT_EQUAL(cfg->update.min_interval_ms, 7000);
	CU_ASSERT_EQUAL(cfg->update.max_per_hour, 30);

	ck = &cfg->check;
	CU_ASSERT_EQUAL(ck->type, MP_CHECK_HTTP);
	CU_ASSERT_STRING_EQUAL(ck->url, "http://[2001:DB8::80]:8080/probe?x=1");
	CU_ASSERT_FALSE(ck->https);
	CU_ASSERT_STRING_EQUAL(ck->host, "2001:db8::80");
	CU_ASSERT_EQUAL(ck->port, 8080);
	CU_ASSERT_EQUAL(ck->interval_ms, 20000);
	CU_ASSERT_EQUAL(ck->fast_interval_ms, 3000);
	CU_ASSERT_EQUAL(ck->timeout_ms, 4000);
	CU_ASSERT_EQUAL(ck->rise, 4);
	CU_ASSERT_EQUAL(ck->fall, 5);
	CU_ASSERT_EQUAL_FATAL(ck->n_expect_status, 3);
	CU_ASSERT_EQUAL(ck->expect_status[0], 200);
	CU_ASSERT_EQUAL(ck->expect_status[1], 204);
	CU_ASSERT_EQUAL(ck->expect_status[2], 301);
	CU_ASSERT_STRING_EQUAL(ck->expect_body, "OK");
	CU_ASSERT_TRUE(ck->has_expect_sha256);
	CU_ASSERT_EQUAL(memcmp(ck->expect_sha256, sha, 32), 0);
	CU_ASSERT_EQUAL(ck->max_age_ms, 6 * 3600000ULL);
	CU_ASSERT_EQUAL(ck->max_latency_ms, 1500);
	CU_ASSERT_EQUAL(ck->max_body, 1048576);
	CU_ASSERT_FALSE(ck->tls_verify);
	snprintf(want, sizeof(want), "%s/ca.pem", mp_unit_tmpdir());
	CU_ASSERT_STRING_EQUAL(ck->ca_file, want);

	CU_ASSERT_EQUAL(cfg->damping.penalty, 500);
	CU_ASSERT_EQUAL(cfg->damping.suppress, 3000);
	CU_ASSERT_EQUAL(cfg->damping.reuse, 1000);
	CU_ASSERT_EQUAL(cfg->damping.half_life_ms, 600000);
	CU_ASSERT_EQUAL(cfg->damping.max_suppress_ms, 7200000);

	CU_ASSERT_EQUAL_FATAL(cfg->guard.n_sentinels, 2);
	CU_ASSERT_STRING_EQUAL(cfg->guard.sentinels[0],
			       "https://www.example.net/");
	CU_ASSERT_STRING_EQUAL(cfg->guard.sentinels[1],
			       "http://192.0.2.99:81/x");
	CU_ASSERT_FALSE(cfg->guard.all_down_freeze);

	CU_ASSERT_EQUAL_FATAL(cfg->n_pools, 2);
	p = &cfg->pools[0];
	CU_ASSERT_STRING_EQUAL(p->name, "dl.example.org.");
	CU_ASSERT_EQUAL(p->ttl, 300);
	CU_ASSERT_EQUAL(p->min_healthy, 1);
	CU_ASSERT_EQUAL(p->max_published, 4);
	CU_ASSERT_EQUAL(p->line, 38);
	CU_ASSERT_TRUE(mp_check_cfg_equal(&p->check, &cfg->check));
	CU_ASSERT_EQUAL_FATAL(p->n_mirrors, 2);
	m = &p->mirrors[0];
	CU_ASSERT_STRING_EQUAL(m->name, "mirror1");
	CU_ASSERT_EQUAL_FATAL(m->n_addrs, 2);
	CU_ASSERT_STRING_EQUAL(m->addrs[0].text, "192.0.2.10");
	CU_ASSERT_STRING_EQUAL(m->addrs[1].text, "2001:db8::10");
	CU_ASSERT_EQUAL(m->weight, 20);
	CU_ASSERT_STRING_EQUAL(m->email, "ops@m1.example");
	CU_ASSERT_STRING_EQUAL(m->notes, "10 Gbit/s");
	CU_ASSERT_EQUAL(m->line, 40);
	m = &p->mirrors[1];
	CU_ASSERT_STRING_EQUAL(m->name, "mirror2");
	CU_ASSERT_EQUAL(m->weight, 0);
	CU_ASSERT_PTR_NULL(m->email);
	CU_ASSERT_PTR_NULL(m->notes);

	p = &cfg->pools[1];
	CU_ASSERT_STRING_EQUAL(p->name, "example.org.");
	CU_ASSERT_EQUAL(p->check.type, MP_CHECK_TCP);
	CU_ASSERT_EQUAL(p->check.port, 873);
	CU_ASSERT_PTR_NULL(p->check.url);
	CU_ASSERT_PTR_NULL(p->check.host);
	CU_ASSERT_EQUAL(p->check.interval_ms, 60000);
	CU_ASSERT_EQUAL(p->check.timeout_ms, 4000); /* inherited */
	CU_ASSERT_EQUAL(p->check.rise, 4);
	CU_ASSERT_FALSE(mp_check_cfg_equal(&p->check, &cfg->check));

	CU_ASSERT_STRING_EQUAL(cfg->control.socket, "/run/mp/ctl.sock");
	CU_ASSERT_STRING_EQUAL(cfg->control.group, "wheel");
	CU_ASSERT_EQUAL(cfg->control.mode, 0640);
	CU_ASSERT_STRING_EQUAL(cfg->state_file, "/var/lib/mp/state.json");
	CU_ASSERT_EQUAL(cfg->state_write_interval_ms, 250);
	CU_ASSERT_STRING_EQUAL(cfg->metrics_file, "/var/lib/mp/m.prom");
	CU_ASSERT_EQUAL(cfg->log_level, LOG_DEBUG);
	mp_config_free(cfg);
}

static void test_defaults(void)
{
	struct mp_config *cfg =
	    load_ok(conf(NULL, NULL, NULL, NULL, NULL), MP_CONFIG_NO_KEY);
	const struct mp_check_cfg *ck;
	char want[1024];

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_PTR_NULL(cfg->key);
	CU_ASSERT_EQUAL(cfg->dns.port, 53);
	CU_ASSERT_STRING_EQUAL(cfg->dns.zone, "example.org.");
	CU_ASSERT_EQUAL(cfg->dns.server_addr.family, AF_INET);
	snprintf(want, sizeof(want), "%s/tsig.key", mp_unit_tmpdir());
	CU_ASSERT_STRING_EQUAL(cfg->dns.key_file, want);
	CU_ASSERT_PTR_NULL(cfg->dns.key_name);
	CU_ASSERT_EQUAL(cfg->dns.transport, MP_TRANSPORT_UDP);
	CU_ASSERT_EQUAL(cfg->dns.timeout_ms, 2000);
	CU_ASSERT_EQUAL(cfg->dns.reconcile_interval_ms, 300000);
	CU_ASSERT_FALSE(cfg->dns.dry_run);
	CU_ASSERT_EQUAL(cfg->update.min_interval_ms, 5000);
	CU_ASSERT_EQUAL(cfg->update.max_per_hour, 60);

	ck = &cfg->check;
	CU_ASSERT_EQUAL(ck->type, MP_CHECK_HTTP);
	CU_ASSERT_TRUE(ck->https);
	CU_ASSERT_STRING_EQUAL(ck->host, "dl.example.org");
	CU_ASSERT_EQUAL(ck->port, 443);
	CU_ASSERT_EQUAL(ck->interval_ms, 10000);
	CU_ASSERT_EQUAL(ck->fast_interval_ms, 2000);
	CU_ASSERT_EQUAL(ck->timeout_ms, 3000);
	CU_ASSERT_EQUAL(ck->rise, 2);
	CU_ASSERT_EQUAL(ck->fall, 3);
	CU_ASSERT_EQUAL(ck->n_expect_status, 1);
	CU_ASSERT_EQUAL(ck->expect_status[0], 200);
	CU_ASSERT_PTR_NULL(ck->expect_body);
	CU_ASSERT_FALSE(ck->has_expect_sha256);
	CU_ASSERT_EQUAL(ck->max_age_ms, 0);
	CU_ASSERT_EQUAL(ck->max_latency_ms, 0);
	CU_ASSERT_EQUAL(ck->max_body, 65536);
	CU_ASSERT_TRUE(ck->tls_verify);
	CU_ASSERT_PTR_NULL(ck->ca_file);

	CU_ASSERT_EQUAL(cfg->damping.penalty, 1000);
	CU_ASSERT_EQUAL(cfg->damping.suppress, 2000);
	CU_ASSERT_EQUAL(cfg->damping.reuse, 750);
	CU_ASSERT_EQUAL(cfg->damping.half_life_ms, 900000);
	CU_ASSERT_EQUAL(cfg->damping.max_suppress_ms, 3600000);
	CU_ASSERT_EQUAL(cfg->guard.n_sentinels, 0);
	CU_ASSERT_PTR_NULL(cfg->guard.sentinels);
	CU_ASSERT_TRUE(cfg->guard.all_down_freeze);

	CU_ASSERT_EQUAL_FATAL(cfg->n_pools, 1);
	CU_ASSERT_EQUAL(cfg->pools[0].ttl, 60);
	CU_ASSERT_EQUAL(cfg->pools[0].min_healthy, 2);
	CU_ASSERT_EQUAL(cfg->pools[0].max_published, 0);
	CU_ASSERT_EQUAL(cfg->pools[0].line, 12);
	CU_ASSERT_TRUE(mp_check_cfg_equal(&cfg->pools[0].check, &cfg->check));
	CU_ASSERT_EQUAL_FATAL(cfg->pools[0].n_mirrors, 1);
	CU_ASSERT_EQUAL(cfg->pools[0].mirrors[0].weight, 10);
	CU_ASSERT_EQUAL(cfg->pools[0].mirrors[0].n_addrs, 2);

	CU_ASSERT_STRING_EQUAL(cfg->control.socket,
			       "/run/mirrorpool/control.sock");
	CU_ASSERT_PTR_NULL(cfg->control.group);
	CU_ASSERT_EQUAL(cfg->control.mode, 0660);
	CU_ASSERT_STRING_EQUAL(cfg->state_file,
			       "/var/lib/mirrorpool/state.json");
	CU_ASSERT_EQUAL(cfg->state_write_interval_ms, 1000);
	CU_ASSERT_PTR_NULL(cfg->metrics_file);
	CU_ASSERT_EQUAL(cfg->log_level, LOG_INFO);
	mp_config_free(cfg);
}

static void test_pool_check_override(void)
{
	static const char text[] =
	    "dns = { server = \"::1\"; zone = \"example.org\"; key_file = "
	    "\"k\"; };\n"
	    "check = { url = \"https://dl.example.org/t\"; interval = "
	    "\"30s\";\n"
	    "  rise = 3; expect_status = [ 200 ]; expect_body = \"ok\"; };\n"
	    "pools = (\n"
	    "  { name = \"a.example.org.\";\n"
	    "    mirrors = ( { name = \"m1\"; addresses = [ \"192.0.2.1\" ]; } "
	    "); },\n"
	    "  { name = \"b.example.org.\";\n"
	    "    check = { url = \"http://b.example.org:8080/x\"; rise = 1;\n"
	    "              expect_status = [ 200, 204 ]; };\n"
	    "    mirrors = ( { name = \"m2\"; addresses = [ \"192.0.2.2\" ]; } "
	    "); },\n"
	    "  { name = \"c.example.org.\";\n"
	    "    check = { type = \"tcp\"; port = 22; timeout = \"1s\"; };\n"
	    "    mirrors = ( { name = \"m3\"; addresses = [ \"192.0.2.3\" ]; } "
	    "); }\n"
	    ");\n";
	struct mp_config *cfg = load_ok(text, MP_CONFIG_NO_KEY);
	const struct mp_check_cfg *a, *b, *c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL_FATAL(cfg->n_pools, 3);
	a = &cfg->pools[0].check;
	b = &cfg->pools[1].check;
	c = &cfg->pools[2].check;
	CU_ASSERT_TRUE(mp_check_cfg_equal(a, &cfg->check));
	CU_ASSERT_EQUAL(a->interval_ms, 30000);
	CU_ASSERT_EQUAL(a->rise, 3);

	CU_ASSERT_FALSE(mp_check_cfg_equal(b, a));
	CU_ASSERT_STRING_EQUAL(b->url, "http://b.example.org:8080/x");
	CU_ASSERT_STRING_EQUAL(b->host, "b.example.org");
	CU_ASSERT_FALSE(b->https);
	CU_ASSERT_EQUAL(b->port, 8080);
	CU_ASSERT_EQUAL(b->rise, 1);
	CU_ASSERT_EQUAL(b->interval_ms, 30000); /* from the global group */
	CU_ASSERT_STRING_EQUAL(b->expect_body, "ok");
	CU_ASSERT_EQUAL(b->n_expect_status, 2);
	CU_ASSERT_EQUAL(b->expect_status[1], 204);

	CU_ASSERT_EQUAL(c->type, MP_CHECK_TCP);
	CU_ASSERT_EQUAL(c->port, 22);
	CU_ASSERT_PTR_NULL(c->url);
	CU_ASSERT_EQUAL(c->timeout_ms, 1000);
	CU_ASSERT_EQUAL(c->interval_ms, 30000);
	CU_ASSERT_EQUAL(c->rise, 3);

	/* equality looks at every field */
	{
		struct mp_check_cfg x = *a;
		CU_ASSERT_TRUE(mp_check_cfg_equal(&x, a));
		x.fall++;
		CU_ASSERT_FALSE(mp_check_cfg_equal(&x, a));
		x = *a;
		x.expect_body = NULL;
		CU_ASSERT_FALSE(mp_check_cfg_equal(&x, a));
		x = *a;
		x.tls_verify = !x.tls_verify;
		CU_ASSERT_FALSE(mp_check_cfg_equal(&x, a));
	}
	mp_config_free(cfg);
}

static void test_tcp_global(void)
{
	static const char text[] = "dns = { server = \"::1\"; zone = "
				   "\"example.org\"; key = \"x:eA==\"; };\n"
				   "check = { type = \"tcp\"; port = 443; };\n"
				   "pools = ( { name = \"example.org\";\n"
				   "    mirrors = ( { name = \"m1\"; addresses "
				   "= [ \"192.0.2.1\" ]; } ); } );\n";
	struct mp_config *cfg = load_ok(text, MP_CONFIG_NO_KEY);

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->pools[0].check.type, MP_CHECK_TCP);
	CU_ASSERT_EQUAL(cfg->pools[0].check.port, 443);
	CU_ASSERT_STRING_EQUAL(cfg->pools[0].name, "example.org.");
	CU_ASSERT_PTR_NULL(cfg->dns.key_file);
	mp_config_free(cfg);
}

static void test_names(void)
{
	struct mp_config *cfg =
	    load_ok(conf(NULL, NULL, NULL, NULL, NULL), MP_CONFIG_NO_KEY);
	const struct mp_pool_cfg *p = NULL;
	const char *relative =
	    "dns = { server = \"::1\"; zone = \"Example.Org\"; key_file = "
	    "\"k\"; };\n"
	    "check = { url = \"https://x.example.org/\"; };\n"
	    "pools = ( { name = \"Dl.EXAMPLE.org\";\n"
	    "    mirrors = ( { name = \"m1\"; addresses = [ \"192.0.2.1\" ]; } "
	    "); } );\n";

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_PTR_EQUAL(mp_config_pool(cfg, "dl.example.org."),
			    &cfg->pools[0]);
	CU_ASSERT_PTR_EQUAL(mp_config_pool(cfg, "DL.example.ORG"),
			    &cfg->pools[0]);
	CU_ASSERT_PTR_NULL(mp_config_pool(cfg, "example.org."));
	CU_ASSERT_PTR_NULL(mp_config_pool(cfg, "dl.example.or"));
	CU_ASSERT_PTR_EQUAL(mp_config_mirror(cfg, "m1", &p),
			    &cfg->pools[0].mirrors[0]);
	CU_ASSERT_PTR_EQUAL(p, &cfg->pools[0]);
	CU_ASSERT_PTR_NULL(mp_config_mirror(cfg, "m2", &p));
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_PTR_NOT_NULL(mp_config_mirror(cfg, "m1", NULL));
	mp_config_free(cfg);

	/* relative names are made absolute and lower-case */
	cfg = load_ok(relative, MP_CONFIG_NO_KEY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->dns.zone, "example.org.");
	CU_ASSERT_STRING_EQUAL(cfg->pools[0].name, "dl.example.org.");
	mp_config_free(cfg);
}

/* JSON pools: their own check with a path instead of a URL, and files. */
static void test_json_pools(void)
{
	struct mp_config *cfg = load_ok(
	    conf(NULL, "max_age = \"6h\";", NULL, NULL,
		 "json_pools = ( { name = \"tails\"; source = "
		 "\"/srv/tails/mirrors.json\"; output = "
		 "\"/var/www/mirrors.json\"; min_healthy = 3; check = { path "
		 "= \"project/trace\"; fall = 2; }; },\n"
		 "  { name = \"other\"; source = \"/srv/o.json\"; output = "
		 "\"/var/www/o.json\"; check_disabled = true; } );"),
	    MP_CONFIG_NO_KEY);
	const struct mp_json_pool_cfg *jp;
	char *u;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL_FATAL(cfg->n_json_pools, 2);
	jp = mp_config_json_pool(cfg, "tails");
	CU_ASSERT_PTR_EQUAL_FATAL(jp, &cfg->json_pools[0]);
	CU_ASSERT_STRING_EQUAL(jp->source, "/srv/tails/mirrors.json");
	CU_ASSERT_STRING_EQUAL(jp->output, "/var/www/mirrors.json");
	CU_ASSERT_STRING_EQUAL(jp->path, "project/trace");
	CU_ASSERT_EQUAL(jp->min_healthy, 3);
	CU_ASSERT_FALSE(jp->check_disabled);
	/* the pool's overrides and the global keys; never the global URL */
	CU_ASSERT_EQUAL(jp->check.fall, 2);
	CU_ASSERT_EQUAL(jp->check.rise, 2);
	CU_ASSERT_EQUAL(jp->check.max_age_ms, 6 * 3600 * 1000);
	CU_ASSERT_PTR_NULL(jp->check.url);
	u = mp_json_pool_check_url(jp, "https://m.example/tails/");
	CU_ASSERT_STRING_EQUAL(u, "https://m.example/tails/project/trace");
	free(u);
	u = mp_json_pool_check_url(jp, "https://m.example/tails");
	CU_ASSERT_STRING_EQUAL(u, "https://m.example/tails/project/trace");
	free(u);
	jp = &cfg->json_pools[1];
	CU_ASSERT_TRUE(jp->check_disabled);
	CU_ASSERT_EQUAL(jp->min_healthy, 2);
	CU_ASSERT_STRING_EQUAL(jp->path, "");
	u = mp_json_pool_check_url(jp, "https://m.example/tails/");
	CU_ASSERT_STRING_EQUAL(u, "https://m.example/tails/");
	free(u);
	CU_ASSERT_PTR_NULL(mp_config_json_pool(cfg, "dl.example.org."));
	mp_config_free(cfg);
}

static void test_json_pool_errors(void)
{
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL,
			"json_pools = ( { name = \"t\"; output = \"/o\"; } );"),
		   20,
		   "json_pools[0]: missing required key \"source\" (the "
		   "operator's list");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL,
			"json_pools = ( { name = \"t\"; source = \"/a\"; "
			"output = \"/a\"; } );"),
		   20, "json_pools[0].output: is the same file as source");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL,
			"json_pools = ( { name = \"t\"; source = \"a.json\"; "
			"output = \"/o\"; } );"),
		   20,
		   "json_pools[0].source: \"a.json\" is not an absolute "
		   "path");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL,
			"json_pools = ( { name = \"t\"; source = \"/a\"; "
			"output = \"/o\"; check = { url = \"https://x/\"; }; "
			"} );"),
		   20,
		   "unknown key \"url\" in json_pools[0].check (known: "
		   "path, ");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL,
			"json_pools = ( { name = \"t\"; source = \"/a\"; "
			"output = \"/o\"; },\n { name = \"t\"; source = "
			"\"/b\"; output = \"/p\"; } );"),
		   21, "json_pools[1].name: json pool \"t\" is defined twice");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL,
			"json_pools = ( { name = \"a b\"; source = \"/a\"; "
			"output = \"/o\"; } );"),
		   20, "json_pools[0].name: \"a b\" is not a pool name");
	EXPECT_ERR(conf(NULL, "type = \"tcp\"; port = 873;", NULL, NULL,
			"json_pools = ( { name = \"t\"; source = \"/a\"; "
			"output = \"/o\"; } );"),
		   20,
		   "json_pools[0].check: a JSON pool's mirrors are checked "
		   "over HTTP(S)");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL,
			"json_pools = ( { name = \"t\"; source = \"/a\"; "
			"output = \"/o\"; check = { path = \"a b\"; }; } );"),
		   20, "json_pools[0].check.path: spaces, control characters");
	/* a DNS pool without its name, then a JSON pool: the JSON pool's
	 * name is compared with the DNS pools' (found by the config fuzz
	 * target: strlen of the missing name) */
	EXPECT_ERR("dns = { server = \"127.0.0.1\"; zone = \"example.org\"; "
		   "key_file = \"tsig.key\"; };\n"
		   "check = { url = \"https://dl.example.org/trace\"; };\n"
		   "pools = ( { mirrors = ( { name = \"m\"; addresses = [ "
		   "\"192.0.2.1\" ]; } ); } );\n"
		   "json_pools = ( { name = \"t\"; source = \"/a\"; output = "
		   "\"/o\"; } );\n",
		   3, "pools[0]: missing required key \"name\"");
}

/* ------------------------------------------------------------------------
 * Errors, one kind at a time, each with its FILE:LINE and message.
 */

static void test_unknown_keys(void)
{
	EXPECT_ERR(
	    conf(NULL, NULL, NULL, NULL, "chekc = { };"), 20,
	    "unknown key \"chekc\" at top level (known: dns, update, "
	    "check, damping, guard, pools, json_pools, control, state_file, "
	    "state_write_interval, metrics_file, log_level, node, vantage); "
	    "did you mean "
	    "\"check\"?");
	EXPECT_ERR(conf("prot = 53;", NULL, NULL, NULL, NULL), 5,
		   "unknown key \"prot\" in group \"dns\" (known: server, "
		   "port, zone, key_file, key_name, key, transport, timeout, "
		   "reconcile_interval, dry_run); did you mean \"port\"?");
	EXPECT_ERR(conf(NULL, NULL, "ttll = 60;", NULL, NULL), 13,
		   "unknown key \"ttll\" in pools[0] (known: name, ttl, "
		   "min_healthy, max_published, rotate, check, mirrors); did "
		   "you mean \"ttl\"?");
	EXPECT_ERR(conf(NULL, NULL, NULL, "wieght = 3;", NULL), 16,
		   "unknown key \"wieght\" in pools[0].mirrors[0] (known: "
		   "name, addresses, weight, email, notes); did you mean "
		   "\"weight\"?");
	EXPECT_ERR(conf(NULL, "intervall = \"5s\";", NULL, NULL, NULL), 9,
		   "unknown key \"intervall\" in group \"check\"");
	EXPECT_ERR(conf(NULL, NULL, "check = { retries = 3; };", NULL, NULL),
		   13,
		   "unknown key \"retries\" in pools[0].check (known: type, "
		   "url, port,");
	/* nothing close: no suggestion */
	EXPECT_ERR(
	    conf(NULL, NULL, NULL, NULL, "colour = \"blue\";"), 20,
	    "unknown key \"colour\" at top level (known: dns, update, "
	    "check, damping, guard, pools, json_pools, control, state_file, "
	    "state_write_interval, metrics_file, log_level, node, vantage)");
}

static void test_wrong_types(void)
{
	EXPECT_ERR(conf("port = \"53\";", NULL, NULL, NULL, NULL), 5,
		   "dns.port: expected an integer (1..65535), got a string");
	EXPECT_ERR(conf("dry_run = \"yes\";", NULL, NULL, NULL, NULL), 5,
		   "dns.dry_run: expected true or false, got a string");
	EXPECT_ERR(conf(NULL, "rise = 2.5;", NULL, NULL, NULL), 9,
		   "check.rise: expected an integer (1..100), got a "
		   "floating-point number");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL, "update = 5;"), 20,
		   "update: expected a group { ... }, got an integer");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL, "log_level = 7;"), 20,
		   "log_level: expected a string (debug, info, notice, "
		   "warning or err), got an integer");
	EXPECT_ERR(conf(NULL, "timeout = true;", NULL, NULL, NULL), 9,
		   "check.timeout: expected a duration (use e.g. \"250ms\", "
		   "\"5s\", \"2m\", \"1h\" or seconds), got a boolean");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL, "state_file = \"\";"), 20,
		   "state_file: must not be empty (an absolute path)");
	EXPECT_ERR(
	    conf(NULL, NULL, NULL, NULL, "state_write_interval = \"soon\";"),
	    20,
	    "state_write_interval: \"soon\" is not a duration (use "
	    "e.g. \"250ms\", \"5s\", \"2m\", \"1h\" or seconds)");
	EXPECT_ERR(
	    conf(NULL, NULL, NULL, NULL, "state_write_interval = \"11m\";"), 20,
	    "state_write_interval: too long (at most 10m): the flap "
	    "penalties of a crash within it are lost");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL, "state_write_interval = -1;"),
		   20, "state_write_interval: -1 is not a duration");
	EXPECT_ERR(conf(NULL, "expect_status = \"200\";", NULL, NULL, NULL), 9,
		   "check.expect_status: expected a list of HTTP status "
		   "codes, e.g. [ 200, 204 ], got a string");
	EXPECT_ERR(conf(NULL, NULL, "check = 5;", NULL, NULL), 13,
		   "pools[0].check: expected a group { ... }, got an integer");
}

static void test_out_of_range(void)
{
	EXPECT_ERR(conf("port = 70000;", NULL, NULL, NULL, NULL), 5,
		   "dns.port: 70000 is out of range (1..65535)");
	EXPECT_ERR(conf("port = 0;", NULL, NULL, NULL, NULL), 5,
		   "dns.port: 0 is out of range (1..65535)");
	EXPECT_ERR(conf(NULL, "rise = 0;", NULL, NULL, NULL), 9,
		   "check.rise: 0 is out of range (1..100)");
	EXPECT_ERR(conf(NULL, "fall = 101;", NULL, NULL, NULL), 9,
		   "check.fall: 101 is out of range (1..100)");
	EXPECT_ERR(
	    conf(NULL, NULL, NULL, "weight = 1001;", NULL), 16,
	    "pools[0].mirrors[0].weight: 1001 is out of range (0..1000)");
	EXPECT_ERR(conf(NULL, NULL, "min_healthy = -1;", NULL, NULL), 13,
		   "pools[0].min_healthy: -1 is out of range (0..100)");
	EXPECT_ERR(conf(NULL, "max_body = 0;", NULL, NULL, NULL), 9,
		   "check.max_body: 0 is out of range (1..67108864)");
	EXPECT_ERR(conf(NULL, "max_body = 67108865;", NULL, NULL, NULL), 9,
		   "check.max_body: 67108865 is out of range (1..67108864)");
	EXPECT_ERR(conf(NULL, "expect_status = [ 200, 99 ];", NULL, NULL, NULL),
		   9, "check.expect_status[1]: 99 is out of range (100..599)");
	EXPECT_ERR(conf(NULL, "expect_status = [ ];", NULL, NULL, NULL), 9,
		   "check.expect_status: is empty (1 to 16 status codes");
	EXPECT_ERR(conf(NULL,
			"expect_status = [ 200, 201, 202, 203, 204, 205, 206, "
			"207, 208, 226, 300, 301, 302, 303, 304, 305, 307 ];",
			NULL, NULL, NULL),
		   9, "check.expect_status: too many status codes (1 to 16");
	EXPECT_ERR(
	    conf(NULL, NULL, NULL, NULL, "update = { max_per_hour = 0; };"), 20,
	    "update.max_per_hour: 0 is out of range (1..3600)");
	/* libconfig wraps literals beyond 32 bits; the file's text counts */
	EXPECT_ERR(conf(NULL, NULL, "ttl = 4294967297;", NULL, NULL), 13,
		   "pools[0].ttl: 4294967297 is out of range (1..2147483647)");
	EXPECT_ERR(conf(NULL, NULL, "ttl = 2147483648;", NULL, NULL), 13,
		   "pools[0].ttl: 2147483648 is out of range (1..2147483647)");
	EXPECT_ERR(conf(NULL, NULL, "ttl = 99999999999999999999;", NULL, NULL),
		   13, "pools[0].ttl: 99999999999999999999 is out of range");
	EXPECT_ERR(
	    conf(NULL, NULL, NULL, NULL, "control = { mode = \"0999\"; };"), 20,
	    "control.mode: \"0999\" is not a file mode (octal, "
	    "0000..0777, e.g. \"0660\")");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL, "control = { mode = 1777; };"),
		   20, "control.mode: \"1777\" is not a file mode");
}

/* libconfig 1.5 wraps integer literals beyond 32 bits wherever they are:
 * array elements, hex literals, included files, a line that also holds
 * another key of the same name or a comment quoting one. Each is refused
 * with the number as written, by the setting's own range. */
static void test_wide_integers(void)
{
	struct mp_config *cfg;
	struct mp_diag d;

	EXPECT_ERR(
	    conf(NULL, "expect_status = [ 4294967496 ];", NULL, NULL, NULL), 9,
	    "check.expect_status[0]: 4294967496 is out of range "
	    "(100..599)");
	EXPECT_ERR(conf(NULL, "expect_status = [ 200, 0x1000000C8 ];", NULL,
			NULL, NULL),
		   9,
		   "check.expect_status[1]: 0x1000000C8 is out of range "
		   "(100..599)");
	EXPECT_ERR(conf(NULL, "max_body = 0x100000400;", NULL, NULL, NULL), 9,
		   "check.max_body: 0x100000400 is out of range "
		   "(1..67108864)");
	EXPECT_ERR(conf(NULL, NULL, NULL, "weight = 0x80000000;", NULL), 16,
		   "pools[0].mirrors[0].weight: 0x80000000 is out of range "
		   "(0..1000)");
	EXPECT_ERR(conf(NULL, NULL, "ttl = 99999999999999999999L;", NULL, NULL),
		   13, "pools[0].ttl: 99999999999999999999L is out of range");
	EXPECT_ERR(conf(NULL, NULL, "ttl = 0xfffffffffffffffffL;", NULL, NULL),
		   13, "pools[0].ttl: 0xfffffffffffffffffL is out of range");
	/* a comment quoting the key on the same line */
	EXPECT_ERR(
	    conf(NULL, NULL, "/* ttl = 1 */ ttl = 4294967297;", NULL, NULL), 13,
	    "pools[0].ttl: 4294967297 is out of range");
	/* another group's key of the same name earlier on the line */
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL,
			"update = { max_per_hour = 60; }; control = { mode = "
			"4294967956; };"),
		   20, "control.mode: \"4294967956\" is not a file mode");
	EXPECT_ERR("dns = { server = \"127.0.0.1\"; zone = "
		   "\"example.org\"; key_file = \"tsig.key\"; "
		   "timeout = 2; }; check = { url = "
		   "\"https://dl.example.org/trace\"; timeout = "
		   "4294967298; };\n"
		   "pools = ( { name = \"dl.example.org.\"; "
		   "mirrors = ( { name = \"m1\"; addresses = [ "
		   "\"192.0.2.1\" ]; } ); } );\n",
		   1, "check.timeout: too long (at most 30d)");
	/* the same in an included file */
	mp_unit_write_file("wide.inc",
			   "pools = ( { name = \"dl.example.org.\";\n"
			   "  ttl = 4294967297;\n"
			   "  mirrors = ( { name = \"m\"; addresses "
			   "= [ \"192.0.2.1\" ]; } ); } );\n",
			   0600);
	CU_ASSERT_EQUAL(load_str("dns = { server = \"::1\"; zone = "
				 "\"example.org\"; key_file = \"k\"; };\n"
				 "check = { url = \"https://x.example.org/\"; "
				 "};\n"
				 "@include \"wide.inc\"\n",
				 MP_CONFIG_NO_KEY, &cfg, &d),
			MP_ECONFIG);
	CU_ASSERT_EQUAL(d.n, 1);
	CU_ASSERT_TRUE(d.n > 0 &&
		       strstr(d.msgs[0], "wide.inc:2: pools[0].ttl: 4294967297 "
					 "is out of range") != NULL);
	mp_diag_clear(&d);
	/* in range, with and without the L suffix, still fine */
	CU_ASSERT_EQUAL(
	    load_str(conf(NULL, "max_body = 0x400;", "ttl = 60L;", NULL, NULL),
		     MP_CONFIG_NO_KEY, &cfg, &d),
	    MP_OK);
	CU_ASSERT_TRUE_FATAL(cfg != NULL);
	CU_ASSERT_EQUAL(cfg->check.max_body, 1024);
	CU_ASSERT_EQUAL(cfg->pools[0].ttl, 60);
	mp_config_free(cfg);
	mp_diag_clear(&d);
}

/* libconfig opens a directory or a device named by @include as a file, and
 * its scanner then exits the process on the first failed read: a reload
 * would end the daemon. Such an include is refused first. */
static void test_include_not_a_file(void)
{
	struct mp_config *cfg;
	struct mp_diag d;

	CU_ASSERT_EQUAL(load_str("dns = { server = \"::1\"; };\n"
				 "@include \"\"\n",
				 MP_CONFIG_NO_KEY, &cfg, &d),
			MP_ECONFIG);
	CU_ASSERT_TRUE(diag_has(&d, conf_path, 2,
				"@include \"\": a directory, not a "
				"configuration file"));
	mp_diag_clear(&d);
	CU_ASSERT_EQUAL(
	    load_str("@include \"/dev/null\"\n", MP_CONFIG_NO_KEY, &cfg, &d),
	    MP_ECONFIG);
	CU_ASSERT_TRUE(
	    diag_has(&d, conf_path, 1, "@include \"/dev/null\": not a file"));
	mp_diag_clear(&d);
	/* the configuration's own directory */
	CU_ASSERT_EQUAL(
	    load_str("x = 1;\n@include \".\"\n", MP_CONFIG_NO_KEY, &cfg, &d),
	    MP_ECONFIG);
	CU_ASSERT_TRUE(diag_has(&d, conf_path, 2, "a directory"));
	mp_diag_clear(&d);
}

/* A file that includes itself several times: libconfig stops at its depth
 * limit, and the scan before it must not follow every branch (3^10 reads
 * of the file, minutes of a reload). */
static const char self_include[] = "# three times\n"
				   "@include \"c.conf\"\n"
				   "@include \"c.conf\"\n"
				   "@include \"c.conf\"\n";
static size_t self_include_calls;

static int scan_self(void *arg, struct mp_cfg_lex *lx, size_t file, int line,
		     const char *name, size_t len)
{
	self_include_calls++;
	return mp_cfg_lex_scan(lx, file, self_include, strlen(self_include));
}

static void test_include_itself(void)
{
	struct mp_cfg_lex lx;
	struct mp_config *cfg;
	struct mp_diag d;

	mp_cfg_lex_init(&lx, scan_self, NULL);
	CU_ASSERT_EQUAL(
	    mp_cfg_lex_scan(&lx, 0, self_include, strlen(self_include)), MP_OK);
	CU_ASSERT_TRUE(lx.gave_up);
	CU_ASSERT_EQUAL(self_include_calls, 10);
	mp_cfg_lex_free(&lx);

	CU_ASSERT_EQUAL(load_str(self_include, MP_CONFIG_NO_KEY, &cfg, &d),
			MP_ECONFIG);
	CU_ASSERT_TRUE(d.n > 0);
	mp_diag_clear(&d);
}

/* libconfig 1.5 loses the memory of a string at which it finds a syntax
 * error; such a string is reported without libconfig reading the file
 * (the valgrind run of this suite would see the leak). */
static void test_misplaced_string(void)
{
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL, "\"state_file\" = 1;"), 20,
		   "syntax error: unexpected string (libconfig syntax:");
	EXPECT_ERR(conf(NULL, NULL, "ttl = 60 \"s\";", NULL, NULL), 13,
		   "syntax error: unexpected string");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL, "log_level = \"info\", \"x\";"),
		   20, "syntax error: unexpected string");
	/* strings where they belong, over several lines, with escapes */
	EXPECT_ERR(conf(NULL, "expect_body = \"a\\\"b\"\n\"c\"; # \"d\" x",
			NULL, NULL, "log_level = 5;"),
		   21, "log_level: expected a string");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL,
			"x = ( \"a\", [ \"b\", \"c\" ], { y = \"d\"; } );"),
		   20, "unknown key \"x\" at top level");
}

static void test_ttl(void)
{
	struct mp_config *cfg;

	EXPECT_ERR(conf(NULL, NULL, "ttl = 0;", NULL, NULL), 13,
		   "pools[0].ttl: 0 is not allowed: resolvers would not cache "
		   "the pool and every lookup would reach the primary "
		   "(1..2147483647 seconds, e.g. 60)");
	EXPECT_ERR(conf(NULL, NULL, "ttl = -5;", NULL, NULL), 13,
		   "pools[0].ttl: -5 is out of range (1..2147483647)");
	EXPECT_ERR(conf(NULL, NULL, "ttl = \"60\";", NULL, NULL), 13,
		   "pools[0].ttl: expected an integer (1..2147483647), got a "
		   "string");
	cfg = load_ok(conf(NULL, NULL, "ttl = 2147483647;", NULL, NULL),
		      MP_CONFIG_NO_KEY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->pools[0].ttl, 2147483647U);
	mp_config_free(cfg);
	cfg =
	    load_ok(conf(NULL, NULL, "ttl = 1;", NULL, NULL), MP_CONFIG_NO_KEY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->pools[0].ttl, 1);
	mp_config_free(cfg);
}

static void test_missing(void)
{
	/* line 5 of conf() is "dns = {" when server is dropped: rebuild */
	EXPECT_ERR("dns = {\n"
		   "  zone = \"example.org\"; key_file = \"k\";\n"
		   "};\n"
		   "check = { url = \"https://x.example.org/\"; };\n"
		   "pools = ( { name = \"example.org.\"; mirrors = ( { name = "
		   "\"m\"; addresses = [ \"192.0.2.1\" ]; } ); } );\n",
		   1,
		   "dns: missing required key \"server\" (the primary's IP "
		   "address, e.g. server = \"127.0.0.1\";)");
	EXPECT_ERR_ANY(
	    "dns = {\n"
	    "  server = \"127.0.0.1\"; key_file = \"k\";\n"
	    "};\n"
	    "check = { url = \"https://x.example.org/\"; };\n"
	    "pools = ( { name = \"example.org.\"; mirrors = ( { "
	    "name = \"m\"; addresses = [ \"192.0.2.1\" ]; } ); } );\n",
	    1, "dns: missing required key \"zone\"");
	/* a missing group is reported at the end of the file */
	EXPECT_ERR("check = { url = \"https://x.example.org/\"; };\n"
		   "pools = ( { name = \"x.\"; mirrors = ( { name = \"m\"; "
		   "addresses = [ \"192.0.2.1\" ]; } ); } );\n"
		   "# end\n",
		   3,
		   "missing required group \"dns\" (dns = { server = "
		   "\"127.0.0.1\"; zone = \"example.org\"; key_file = "
		   "\"/etc/mirrorpool/tsig.key\"; };)");
	EXPECT_ERR("dns = { server = \"::1\"; zone = \"example.org\"; "
		   "key_file = \"k\"; };\n"
		   "check = { url = \"https://x.example.org/\"; };\n",
		   2, "missing required list \"pools\" (at least one pool:");
	EXPECT_ERR("dns = { server = \"::1\"; zone = \"example.org\"; "
		   "key_file = \"k\"; };\n"
		   "check = { url = \"https://x.example.org/\"; };\n"
		   "pools = ( );\n",
		   3, "pools: expected a list of at least one pool");
	EXPECT_ERR("dns = { server = \"::1\"; zone = \"example.org\"; "
		   "key_file = \"k\"; };\n"
		   "check = { url = \"https://x.example.org/\"; };\n"
		   "pools = ( { name = \"example.org.\"; } );\n",
		   3, "pools[0]: missing required key \"mirrors\"");
	EXPECT_ERR("dns = { server = \"::1\"; zone = \"example.org\"; "
		   "key_file = \"k\"; };\n"
		   "check = { url = \"https://x.example.org/\"; };\n"
		   "pools = ( { name = \"example.org.\";\n"
		   "  mirrors = ( { name = \"m\"; } ); } );\n",
		   4,
		   "pools[0].mirrors[0]: missing required key \"addresses\"");
	EXPECT_ERR("dns = { server = \"::1\"; zone = \"example.org\"; "
		   "key_file = \"k\"; };\n"
		   "check = { url = \"https://x.example.org/\"; };\n"
		   "pools = ( { name = \"example.org.\";\n"
		   "  mirrors = ( { addresses = [ \"192.0.2.1\" ]; } ); } );\n",
		   4, "pools[0].mirrors[0]: missing required key \"name\"");
	EXPECT_ERR(conf(NULL, NULL, NULL,
			"}, { name = \"m2\"; addresses = [ ];", NULL),
		   16,
		   "pools[0].mirrors[1].addresses: is empty (at least one "
		   "address, e.g. [ \"192.0.2.10\" ])");
	/* no url anywhere for an http check */
	EXPECT_ERR("dns = { server = \"::1\"; zone = \"example.org\"; "
		   "key_file = \"k\"; };\n"
		   "pools = ( { name = \"example.org.\";\n"
		   "  mirrors = ( { name = \"m\"; addresses = [ \"192.0.2.1\" "
		   "]; } ); } );\n",
		   2,
		   "pools[0]: the http check has no url (set check.url, or url "
		   "in the pool's check group");
	/* a tcp check needs a port */
	EXPECT_ERR(conf(NULL, NULL, "check = { type = \"tcp\"; };", NULL, NULL),
		   12, "pools[0]: the tcp check has no port (set check.port");
	/* a port does not apply to an http check */
	EXPECT_ERR(conf(NULL, "port = 8443;", NULL, NULL, NULL), 9,
		   "check.port: only applies to tcp checks; an http check "
		   "connects to the port of its URL");
}

static void test_keys_settings(void)
{
	EXPECT_ERR(
	    conf("key = \"hmac-sha256:k:eA==\";", NULL, NULL, NULL, NULL), 5,
	    "dns: both key_file and key are set; use exactly one "
	    "(key_file = \"/etc/mirrorpool/tsig.key\"; or key = "
	    "\"hmac-sha256:NAME:BASE64\";)");
	EXPECT_ERR("dns = {\n  server = \"::1\"; zone = \"example.org\";\n};\n"
		   "check = { url = \"https://x.example.org/\"; };\n"
		   "pools = ( { name = \"example.org.\"; mirrors = ( { name = "
		   "\"m\"; addresses = [ \"192.0.2.1\" ]; } ); } );\n",
		   1,
		   "dns: no TSIG key (set key_file = "
		   "\"/etc/mirrorpool/tsig.key\"; as written by tsig-keygen, "
		   "or key = \"hmac-sha256:NAME:BASE64\";)");
	EXPECT_ERR("dns = { server = \"::1\"; zone = \"example.org\";\n"
		   "  key = \"x:eA==\"; key_name = \"x\"; };\n"
		   "check = { url = \"https://x.example.org/\"; };\n"
		   "pools = ( { name = \"example.org.\"; mirrors = ( { name = "
		   "\"m\"; addresses = [ \"192.0.2.1\" ]; } ); } );\n",
		   2, "dns.key_name: only selects a key in key_file");
}

static void test_durations(void)
{
	EXPECT_ERR(conf("timeout = \"5x\";", NULL, NULL, NULL, NULL), 5,
		   "dns.timeout: \"5x\" is not a duration (use e.g. \"250ms\", "
		   "\"5s\", \"2m\", \"1h\" or seconds)");
	EXPECT_ERR(conf(NULL, "interval = \"50ms\";", NULL, NULL, NULL), 9,
		   "check.interval: 50ms is too short (at least 100ms)");
	EXPECT_ERR(conf(NULL, "fast_interval = -1;", NULL, NULL, NULL), 9,
		   "check.fast_interval: -1 is not a duration");
	EXPECT_ERR(conf(NULL, "timeout = \"10s\";", NULL, NULL, NULL), 9,
		   "check.timeout: timeout (10s) must be shorter than interval "
		   "(10s), or checks of one address would overlap");
	EXPECT_ERR(conf(NULL, "interval = \"3s\";", NULL, NULL, NULL), 9,
		   "check.interval: timeout (3s) must be shorter than interval "
		   "(3s)");
	EXPECT_ERR(
	    conf(NULL, "fast_interval = \"11s\";", NULL, NULL, NULL), 9,
	    "check.fast_interval: fast_interval (11s) must not be longer "
	    "than interval (10s)");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL,
			"update = { min_interval = \"1y\"; };"),
		   20, "update.min_interval: \"1y\" is not a duration");
	EXPECT_ERR(
	    conf(NULL, NULL, NULL, NULL, "damping = { half_life = \"31d\"; };"),
	    20, "damping.half_life: too long (at most 30d)");
	/* rotation: a duration, and only with max_published */
	EXPECT_ERR(conf(NULL, NULL, "rotate = \"15m\";", NULL, NULL), 13,
		   "pools[0].rotate: rotation needs max_published: set it to "
		   "how many addresses to publish at a time");
	EXPECT_ERR(conf(NULL, NULL, "max_published = 1; rotate = \"soon\";",
			NULL, NULL),
		   13, "pools[0].rotate: \"soon\" is not a duration");
	EXPECT_ERR(conf(NULL, NULL, "max_published = 1; rotate = \"10ms\";",
			NULL, NULL),
		   13, "pools[0].rotate: 10ms is too short (at least 1s)");
	{
		struct mp_config *cfg =
		    load_ok(conf(NULL, NULL,
				 "max_published = 1; rotate = "
				 "\"15m\";",
				 NULL, NULL),
			    MP_CONFIG_NO_KEY);
		CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
		CU_ASSERT_EQUAL(cfg->pools[0].rotate_ms, 15 * 60 * 1000);
		mp_config_free(cfg);
		cfg = load_ok(conf(NULL, NULL, NULL, NULL, NULL),
			      MP_CONFIG_NO_KEY);
		CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
		CU_ASSERT_EQUAL(cfg->pools[0].rotate_ms, 0);
		mp_config_free(cfg);
	}
	/* a pool's own setting is named after the pool */
	EXPECT_ERR(
	    conf(NULL, NULL, "check = { timeout = \"20s\"; };", NULL, NULL), 13,
	    "pools[0].check.timeout: timeout (20s) must be shorter "
	    "than interval (10s)");
}

static void test_urls(void)
{
	EXPECT_ERR(conf(NULL, NULL, "check = { url = \"ftp://x.example/\"; };",
			NULL, NULL),
		   13,
		   "pools[0].check.url: \"ftp://x.example/\" must start with "
		   "http:// or https:// (use e.g. "
		   "\"https://dl.example.org/project/trace\")");
	EXPECT_ERR(conf(NULL, NULL, "check = { url = \"https://[::1/x\"; };",
			NULL, NULL),
		   13, "has an unterminated [IPv6] host");
	EXPECT_ERR(conf(NULL, NULL, "check = { url = \"https://[zz::1]/\"; };",
			NULL, NULL),
		   13, "has an invalid IPv6 address in [ ]");
	EXPECT_ERR(conf(NULL, NULL, "check = { url = \"https://h:0/\"; };",
			NULL, NULL),
		   13, "has an invalid port (1..65535");
	EXPECT_ERR(conf(NULL, NULL, "check = { url = \"https://h:70000/\"; };",
			NULL, NULL),
		   13, "has an invalid port (1..65535");
	EXPECT_ERR(conf(NULL, NULL, "check = { url = \"https://u:p@h/\"; };",
			NULL, NULL),
		   13, "must not contain user:password@");
	EXPECT_ERR(
	    conf(NULL, NULL, "check = { url = \"https:///x\"; };", NULL, NULL),
	    13, "has no host");
	EXPECT_ERR(conf(NULL, NULL, "check = { url = \"https://a b/\"; };",
			NULL, NULL),
		   13, "contains a space");
	EXPECT_ERR(conf(NULL, NULL, "check = { url = \"http://h/#top\"; };",
			NULL, NULL),
		   13, "must not contain a #fragment");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL,
			"guard = { sentinels = [ \"https://ok.example/\", "
			"\"gopher://x/\" ]; };"),
		   20,
		   "guard.sentinels[1]: \"gopher://x/\" must start with "
		   "http:// or https://");
}

static void test_url_parse(void)
{
	char host[256];
	bool https = false;
	uint16_t port = 0;
	const char *why = NULL;

	CU_ASSERT_EQUAL(mp_config_url_parse("HTTPS://Dl.Example.ORG", &https,
					    host, sizeof(host), &port, &why),
			MP_OK);
	CU_ASSERT_TRUE(https);
	CU_ASSERT_STRING_EQUAL(host, "dl.example.org");
	CU_ASSERT_EQUAL(port, 443);
	CU_ASSERT_EQUAL(mp_config_url_parse("http://[::1]:8080", &https, host,
					    sizeof(host), &port, &why),
			MP_OK);
	CU_ASSERT_FALSE(https);
	CU_ASSERT_STRING_EQUAL(host, "::1");
	CU_ASSERT_EQUAL(port, 8080);
	CU_ASSERT_EQUAL(mp_config_url_parse("http://192.0.2.1?q", &https, host,
					    sizeof(host), &port, &why),
			MP_OK);
	CU_ASSERT_STRING_EQUAL(host, "192.0.2.1");
	CU_ASSERT_EQUAL(port, 80);
	CU_ASSERT_EQUAL(mp_config_url_parse("http://h:", &https, host,
					    sizeof(host), &port, &why),
			MP_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(why);
	CU_ASSERT_EQUAL(mp_config_url_parse("http://[::1]x/", &https, host,
					    sizeof(host), &port, &why),
			MP_EINVAL);
	/* the request target: what follows host and port */
	CU_ASSERT_STRING_EQUAL(
	    mp_config_url_target("http://[::1]:8080/a/trace?x=1"),
	    "/a/trace?x=1");
	CU_ASSERT_STRING_EQUAL(mp_config_url_target("http://192.0.2.1?q"),
			       "?q");
	CU_ASSERT_STRING_EQUAL(mp_config_url_target("HTTPS://h.example:1"), "");
}

static void test_mirrors_and_addresses(void)
{
	char big[8192];
	size_t off = 0;

	EXPECT_ERR(conf(NULL, NULL, NULL,
			"}, { name = \"m1\"; addresses = "
			"[ \"192.0.2.9\" ];",
			NULL),
		   16,
		   "pools[0].mirrors[1].name: mirror \"m1\" is already "
		   "defined at line 15 (mirror names are unique across "
		   "the config)");
	/* across pools too */
	EXPECT_ERR("dns = { server = \"::1\"; zone = \"example.org\"; "
		   "key_file = \"k\"; };\n"
		   "check = { url = \"https://x.example.org/\"; };\n"
		   "pools = (\n"
		   "  { name = \"a.example.org.\"; mirrors = ( { name = \"m\"; "
		   "addresses = [ \"192.0.2.1\" ]; } ); },\n"
		   "  { name = \"b.example.org.\"; mirrors = ( { name = \"m\"; "
		   "addresses = [ \"192.0.2.1\" ]; } ); }\n"
		   ");\n",
		   5,
		   "pools[1].mirrors[0].name: mirror \"m\" is already defined "
		   "at line 4");
	/* the same address in two pools is fine; twice in one is not */
	EXPECT_ERR(conf(NULL, NULL, NULL,
			"}, { name = \"m2\"; addresses = "
			"[ \"2001:DB8:0::1\" ];",
			NULL),
		   16,
		   "pools[0].mirrors[1].addresses[0]: 2001:db8::1 is already "
		   "in pool dl.example.org., in mirror \"m1\" at line 15 (an "
		   "address may be listed once per pool)");
	EXPECT_ERR(conf(NULL, NULL, NULL,
			"}, { name = \"m2\"; addresses = [ \"192.0.2.5\", "
			"\"192.0.2.5\" ];",
			NULL),
		   16,
		   "pools[0].mirrors[1].addresses[1]: 192.0.2.5 is listed "
		   "twice in this mirror");
	EXPECT_ERR(conf(NULL, NULL, NULL,
			"}, { name = \"m2\"; addresses = [ \"192.0.2.300\" ];",
			NULL),
		   16,
		   "pools[0].mirrors[1].addresses[0]: \"192.0.2.300\" is not "
		   "an IP address (use an IPv4 or IPv6 literal such as "
		   "\"192.0.2.10\" or \"2001:db8::10\")");
	EXPECT_ERR(
	    conf(NULL, NULL, NULL,
		 "}, { name = \"m2\"; addresses = [ \"mirror.example\" ];",
		 NULL),
	    16, "\"mirror.example\" is not an IP address");
	EXPECT_ERR(conf(NULL, NULL, NULL,
			"}, { name = \"m 2\"; addresses = [ \"192.0.2.8\" ];",
			NULL),
		   16,
		   "pools[0].mirrors[1].name: \"m 2\" is not a valid mirror "
		   "name (1 to 63 letters, digits, '-', '_' or '.')");
	EXPECT_ERR(conf(NULL, NULL, NULL, "addresses2 = 1;", NULL), 16,
		   "unknown key \"addresses2\"");
	EXPECT_ERR(conf(NULL, NULL, NULL,
			"}, { name = \"m2\"; addresses = \"192.0.2.8\";", NULL),
		   16,
		   "pools[0].mirrors[1].addresses: expected a list of IP "
		   "addresses, e.g. [ \"192.0.2.10\", \"2001:db8::10\" ], "
		   "got a string");

	/* 101 IPv4 addresses in one pool (99 + the 2 of other mirrors) */
	off +=
	    (size_t)snprintf(big + off, sizeof(big) - off,
			     "}, { name = \"m2\"; addresses = [ \"192.0.2.2\"");
	for (int i = 0; i < 99; i++)
		off += (size_t)snprintf(big + off, sizeof(big) - off,
					", \"198.51.100.%d\"", i);
	snprintf(big + off, sizeof(big) - off, " ];");
	EXPECT_ERR(
	    conf(NULL, NULL, NULL, big, NULL), 14,
	    "pools[0]: 101 IPv4 addresses; a pool holds at most 100 per "
	    "family (BIND's max-records-per-type): split it into several "
	    "pools");
	{
		/* exactly 100 is fine */
		struct mp_config *cfg;
		off = 0;
		off += (size_t)snprintf(big + off, sizeof(big) - off,
					"}, { name = \"m2\"; addresses = [ "
					"\"198.51.100.200\"");
		for (int i = 0; i < 98; i++)
			off += (size_t)snprintf(big + off, sizeof(big) - off,
						", \"198.51.100.%d\"", i);
		snprintf(big + off, sizeof(big) - off, " ];");
		cfg = load_ok(conf(NULL, NULL, NULL, big, NULL),
			      MP_CONFIG_NO_KEY);
		CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
		CU_ASSERT_EQUAL(cfg->pools[0].mirrors[1].n_addrs, 99);
		mp_config_free(cfg);
	}
}

static void test_pool_names(void)
{
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL, "pools2 = 1;"), 20,
		   "unknown key \"pools2\" at top level");
	EXPECT_ERR("dns = { server = \"::1\"; zone = \"example.org\"; "
		   "key_file = \"k\"; };\n"
		   "check = { url = \"https://x.example.org/\"; };\n"
		   "pools = ( { name = \"dl.example.net.\";\n"
		   "  mirrors = ( { name = \"m\"; addresses = [ \"192.0.2.1\" "
		   "]; } ); } );\n",
		   3,
		   "pools[0].name: dl.example.net. is not inside zone "
		   "example.org. (a pool is the zone itself or a name below "
		   "it)");
	/* a name that only ends like the zone is outside it */
	EXPECT_ERR("dns = { server = \"::1\"; zone = \"example.org\"; "
		   "key_file = \"k\"; };\n"
		   "check = { url = \"https://x.example.org/\"; };\n"
		   "pools = ( { name = \"badexample.org.\";\n"
		   "  mirrors = ( { name = \"m\"; addresses = [ \"192.0.2.1\" "
		   "]; } ); } );\n",
		   3,
		   "pools[0].name: badexample.org. is not inside zone "
		   "example.org.");
	/* names are absolute: "dl" is not "dl.example.org." */
	EXPECT_ERR("dns = { server = \"::1\"; zone = \"example.org\"; "
		   "key_file = \"k\"; };\n"
		   "check = { url = \"https://x.example.org/\"; };\n"
		   "pools = ( { name = \"dl\";\n"
		   "  mirrors = ( { name = \"m\"; addresses = [ \"192.0.2.1\" "
		   "]; } ); } );\n",
		   3,
		   "pools[0].name: dl. is not inside zone example.org. (a pool "
		   "is the zone itself or a name below it); names are "
		   "absolute: did you mean \"dl.example.org.\"?");
	EXPECT_ERR("dns = { server = \"::1\"; zone = \"example.org\"; "
		   "key_file = \"k\"; };\n"
		   "check = { url = \"https://x.example.org/\"; };\n"
		   "pools = ( { name = \"dl..example.org\";\n"
		   "  mirrors = ( { name = \"m\"; addresses = [ \"192.0.2.1\" "
		   "]; } ); } );\n",
		   3, "pools[0].name: \"dl..example.org\" has an empty label");
	EXPECT_ERR(
	    "dns = { server = \"::1\"; zone = \"example.org\"; "
	    "key_file = \"k\"; };\n"
	    "check = { url = \"https://x.example.org/\"; };\n"
	    "pools = (\n"
	    "  { name = \"a.example.org.\"; mirrors = ( { name = \"m1\"; "
	    "addresses = [ \"192.0.2.1\" ]; } ); },\n"
	    "  { name = \"A.example.org\"; mirrors = ( { name = \"m2\"; "
	    "addresses = [ \"192.0.2.1\" ]; } ); }\n"
	    ");\n",
	    5,
	    "pools[1].name: pool a.example.org. is already defined at "
	    "line 4");
}

static void test_misc_values(void)
{
	EXPECT_ERR(conf("transport = \"quic\";", NULL, NULL, NULL, NULL), 5,
		   "dns.transport: \"quic\" is not a transport (use \"udp\" or "
		   "\"tcp\")");
	EXPECT_ERR("dns = { server = \"ns1.example.org\"; zone = "
		   "\"example.org\"; key_file = \"k\"; };\n"
		   "check = { url = \"https://x.example.org/\"; };\n"
		   "pools = ( { name = \"example.org.\"; mirrors = ( { name = "
		   "\"m\"; addresses = [ \"192.0.2.1\" ]; } ); } );\n",
		   1,
		   "dns.server: \"ns1.example.org\" is not an IP address (use "
		   "an IPv4 or IPv6 literal such as \"127.0.0.1\" or \"::1\"; "
		   "names are not resolved)");
	EXPECT_ERR(conf(NULL, "type = \"icmp\";", NULL, NULL, NULL), 9,
		   "check.type: \"icmp\" is not a check type (use \"http\" or "
		   "\"tcp\")");
	EXPECT_ERR(conf(NULL, "expect_sha256 = \"abc\";", NULL, NULL, NULL), 9,
		   "check.expect_sha256: \"abc\" is not a SHA-256 (64 "
		   "hexadecimal digits, as printed by sha256sum)");
	EXPECT_ERR(conf(NULL,
			"expect_sha256 = \"g3b0c44298fc1c149afbf4c8996fb92427ae"
			"41e4649b934ca495991b7852b855\";",
			NULL, NULL, NULL),
		   9,
		   "check.expect_sha256: \"g3b0c44298fc1c149afbf4c8996fb924"
		   "27ae41e4649b934ca495991b7852b855\" is not a SHA-256");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL, "log_level = \"verbose\";"), 20,
		   "log_level: \"verbose\" is not a level (use debug, info, "
		   "notice, warning or err)");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL, "state_file = \"state.json\";"),
		   20,
		   "state_file: \"state.json\" is not an absolute path (start "
		   "it with '/')");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL, "metrics_file = \"m.prom\";"),
		   20, "metrics_file: \"m.prom\" is not an absolute path");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL,
			"control = { socket = \"ctl.sock\"; };"),
		   20, "control.socket: \"ctl.sock\" is not an absolute path");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL,
			"control = { socket = \"/run/"
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			"/c.sock\"; };"),
		   20,
		   "control.socket: longer than 107 bytes, the limit of a "
		   "Unix socket path");
	EXPECT_ERR(
	    conf(NULL, NULL, NULL, NULL, "damping = { suppress = 700; };"), 20,
	    "damping.reuse: 750 must be less than suppress (700)");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL, "damping = { reuse = 2000; };"),
		   20, "damping.reuse: 2000 must be less than suppress (2000)");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL,
			"damping = { max_suppress = \"10m\"; };"),
		   20,
		   "damping.max_suppress: 10m must not be shorter than "
		   "half_life (15m)");
	EXPECT_ERR(conf(NULL, NULL, NULL, NULL,
			"guard = { sentinels = \"https://x/\"; };"),
		   20,
		   "guard.sentinels: expected a list of URLs, e.g. [ "
		   "\"https://www.example.net/\" ], got a string");
	/* control characters are escaped when a value is quoted back */
	EXPECT_ERR(conf("transport = \"u\\ndp\";", NULL, NULL, NULL, NULL), 5,
		   "dns.transport: \"u\\x0adp\" is not a transport");
}

/* The line number at the start of s ("12: ..."). */
static long line_of(const char *s)
{
	return strtol(s, NULL, 10);
}

static void test_many_errors(void)
{
	/* line numbers on the right */
	static const char text[] =
	    "dns = {\n"							/* 1 */
	    "  server = \"127.0.0.1\";\n"				/* 2 */
	    "  zone = \"example.org\";\n"				/* 3 */
	    "  key_file = \"k\";\n"					/* 4 */
	    "  timeout = \"2 s\";\n"					/* 5 */
	    "  colour = 1;\n"						/* 6 */
	    "};\n"							/* 7 */
	    "check = { url = \"https://x.org/\"; rise = 0; };\n"	/* 8 */
	    "pools = (\n"						/* 9 */
	    "  { name = \"dl.example.org.\"; ttl = 0;\n"		/* 10 */
	    "    mirrors = (\n"						/* 11 */
	    "{ name = \"m1\"; addresses = [\"192.0.2.1\", \"x\"]; },\n" /* 12 */
	    "{ name = \"m1\"; addresses = [\"192.0.2.1\"]; }\n"		/* 13 */
	    "    );\n"							/* 14 */
	    "  }\n"							/* 15 */
	    ");\n"							/* 16 */
	    "log_level = \"loud\";\n";					/* 17 */
	struct mp_config *cfg;
	struct mp_diag d;
	int rc = load_str(text, MP_CONFIG_NO_KEY, &cfg, &d);

	CU_ASSERT_EQUAL(rc, MP_ECONFIG);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_TRUE(diag_has(&d, conf_path, 5,
				"dns.timeout: \"2 s\" is not a duration"));
	CU_ASSERT_TRUE(diag_has(&d, conf_path, 6,
				"unknown key \"colour\" in group \"dns\""));
	/* a bad global check setting is reported once, not once per pool */
	CU_ASSERT_TRUE(diag_has(&d, conf_path, 8,
				"check.rise: 0 is out of range (1..100)"));
	CU_ASSERT_TRUE(
	    diag_has(&d, conf_path, 10, "pools[0].ttl: 0 is not allowed"));
	CU_ASSERT_TRUE(diag_has(
	    &d, conf_path, 12,
	    "pools[0].mirrors[0].addresses[1]: \"x\" is not an IP address"));
	CU_ASSERT_TRUE(diag_has(&d, conf_path, 13,
				"pools[0].mirrors[1].name: mirror \"m1\" is "
				"already defined at line 12"));
	CU_ASSERT_TRUE(
	    diag_has(&d, conf_path, 13,
		     "pools[0].mirrors[1].addresses[0]: 192.0.2.1 is already "
		     "in pool dl.example.org., in mirror \"m1\" at line 12"));
	CU_ASSERT_TRUE(
	    diag_has(&d, conf_path, 17, "log_level: \"loud\" is not a level"));
	CU_ASSERT_EQUAL(d.n, 8);
	if (d.n != 8)
		dump_diag(&d);
	/* told in file order, whatever order they were found in */
	for (size_t i = 1; i < d.n; i++) {
		size_t plen = strlen(conf_path) + 1;
		CU_ASSERT_TRUE(line_of(d.msgs[i - 1] + plen) <=
			       line_of(d.msgs[i] + plen));
	}
	mp_diag_clear(&d);
}

static void test_syntax_and_io(void)
{
	struct mp_config *cfg = NULL;
	struct mp_diag d;
	char path[1024];
	int rc;

	rc = load_str("dns = {\n  server = \"127.0.0.1\";\n  zone = ;\n};\n",
		      MP_CONFIG_NO_KEY, &cfg, &d);
	CU_ASSERT_EQUAL(rc, MP_ECONFIG);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(d.n, 1);
	CU_ASSERT_TRUE(diag_has(&d, conf_path, 3,
				"syntax error (libconfig "
				"syntax: name = value; groups { ... }; lists ( "
				"... ); arrays [ ... ]; strings in double "
				"quotes)"));
	mp_diag_clear(&d);

	rc = load_str("dns = { server = \"::1\"; server = \"::2\"; };\n",
		      MP_CONFIG_NO_KEY, &cfg, &d);
	CU_ASSERT_EQUAL(rc, MP_ECONFIG);
	CU_ASSERT_TRUE(diag_has(&d, conf_path, 1, "duplicate setting name"));
	mp_diag_clear(&d);

	snprintf(path, sizeof(path), "%s/does-not-exist.conf",
		 mp_unit_tmpdir());
	mp_diag_init(&d);
	rc = mp_config_load(path, 0, &cfg, &d);
	CU_ASSERT_EQUAL(rc, MP_ECONFIG);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(d.n, 1);
	CU_ASSERT_TRUE(diag_has(&d, path, 0,
				"cannot read the configuration: "
				"No such file or directory"));
	mp_diag_clear(&d);

	mp_diag_init(&d);
	rc = mp_config_load(mp_unit_tmpdir(), 0, &cfg, &d);
	CU_ASSERT_EQUAL(rc, MP_ECONFIG);
	CU_ASSERT_TRUE(diag_has(&d, mp_unit_tmpdir(), 0,
				"is a directory, not a configuration file"));
	mp_diag_clear(&d);
}

/* @include'd files are named in messages by their own name and line. */
static void test_include(void)
{
	struct mp_config *cfg;
	struct mp_diag d;
	int rc;

	mp_unit_write_file("pools.inc",
			   "pools = ( { name = \"dl.example.org.\";\n"
			   "  tll = 5;\n"
			   "  mirrors = ( { name = \"m\"; addresses = [ "
			   "\"192.0.2.1\" ]; } ); } );\n",
			   0600);
	rc = load_str("dns = { server = \"::1\"; zone = \"example.org\"; "
		      "key_file = \"k\"; };\n"
		      "check = { url = \"https://x.example.org/\"; };\n"
		      "@include \"pools.inc\"\n",
		      MP_CONFIG_NO_KEY, &cfg, &d);
	CU_ASSERT_EQUAL(rc, MP_ECONFIG);
	CU_ASSERT_EQUAL(d.n, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d.msgs);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.msgs[0], "pools.inc:2: unknown key "
						 "\"tll\" in pools[0]"));
	mp_diag_clear(&d);
}

/* ------------------------------------------------------------------------
 * The key, through the config.
 */

static const char key_conf_fmt[] =
    "dns = { server = \"::1\"; zone = \"example.org\";\n"
    "  %s };\n"
    "check = { url = \"https://x.example.org/\"; };\n"
    "pools = ( { name = \"example.org.\"; mirrors = ( { name = \"m\"; "
    "addresses = [ \"192.0.2.1\" ]; } ); } );\n";

static int load_key_conf(const char *keyline, unsigned mode,
			 struct mp_config **cfg, struct mp_diag *d)
{
	char text[2048];

	snprintf(text, sizeof(text), key_conf_fmt, keyline);
	conf_path = mp_unit_write_file("k.conf", text, mode);
	mp_diag_init(d);
	return mp_config_load(conf_path, 0, cfg, d);
}

static bool diag_mentions(const struct mp_diag *d, const char *s)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->msgs[i], s))
			return true;
	return false;
}

static void test_key_file(void)
{
	struct mp_config *cfg = NULL;
	struct mp_diag d;
	char *sum;
	int rc;

	/* relative to the config file's directory */
	mp_unit_write_file("tsig.key", TEST_KEY, 0640);
	rc = load_key_conf("key_file = \"tsig.key\";", 0600, &cfg, &d);
	CU_ASSERT_EQUAL(rc, MP_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg->key);
	CU_ASSERT_STRING_EQUAL(mp_tsig_key_name(cfg->key), "mirrorpool.");
	CU_ASSERT_EQUAL(mp_tsig_key_alg(cfg->key), MP_TSIG_HMAC_SHA256);
	sum = mp_config_summary(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(sum, "key: mirrorpool. (hmac-sha256, from "));
	CU_ASSERT_PTR_NULL(strstr(sum, TEST_SECRET));
	CU_ASSERT_PTR_NULL(strstr(sum, "c2VjcmV0"));
	free(sum);
	mp_config_free(cfg);
	mp_diag_clear(&d);

	/* a key file readable by others is refused */
	mp_unit_write_file("tsig.key", TEST_KEY, 0644);
	rc = load_key_conf("key_file = \"tsig.key\";", 0600, &cfg, &d);
	CU_ASSERT_EQUAL(rc, MP_EPERM);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_TRUE(diag_mentions(&d, "mode 0644); run `chmod o-rwx "));
	CU_ASSERT_FALSE(diag_mentions(&d, TEST_SECRET));
	mp_diag_clear(&d);

	/* missing key file */
	rc = load_key_conf("key_file = \"/nonexistent/tsig.key\";", 0600, &cfg,
			   &d);
	CU_ASSERT_EQUAL(rc, MP_EKEY);
	CU_ASSERT_TRUE(diag_has(&d, "/nonexistent/tsig.key", 0,
				"cannot open the key file: No such file or "
				"directory"));
	mp_diag_clear(&d);

	/* a schema error and a key error are both reported */
	rc = load_key_conf("key_file = \"/nonexistent/tsig.key\"; port = 0;",
			   0600, &cfg, &d);
	CU_ASSERT_EQUAL(rc, MP_ECONFIG);
	CU_ASSERT_EQUAL(d.n, 2);
	CU_ASSERT_TRUE(
	    diag_has(&d, conf_path, 2, "dns.port: 0 is out of range"));
	CU_ASSERT_TRUE(diag_mentions(&d, "cannot open the key file"));
	mp_diag_clear(&d);

	/* key_name selects; a wrong one is an error naming the keys */
	mp_unit_write_file(
	    "two.key",
	    "key \"a\" { algorithm hmac-sha256; secret \"" TEST_SECRET
	    "\"; };\nkey \"b\" { algorithm hmac-sha512; secret \"" TEST_SECRET
	    "\"; };\n",
	    0600);
	rc = load_key_conf("key_file = \"two.key\"; key_name = \"b\";", 0600,
			   &cfg, &d);
	CU_ASSERT_EQUAL(rc, MP_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(mp_tsig_key_name(cfg->key), "b.");
	mp_config_free(cfg);
	mp_diag_clear(&d);
	rc = load_key_conf("key_file = \"two.key\";", 0600, &cfg, &d);
	CU_ASSERT_EQUAL(rc, MP_EKEY);
	CU_ASSERT_TRUE(diag_mentions(&d, "the file holds 2 keys (a., b.); "
					 "choose one with key_name"));
	mp_diag_clear(&d);
}

static void test_credentials_directory(void)
{
	struct mp_config *cfg = NULL;
	struct mp_diag d;
	char dir[1024], key[1100];
	FILE *f;
	int rc;

	snprintf(dir, sizeof(dir), "%s/creds", mp_unit_tmpdir());
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	snprintf(key, sizeof(key), "%s/cred.key", dir);
	f = fopen(key, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("key \"from-credentials\" { algorithm hmac-sha256; secret "
	      "\"" TEST_SECRET "\"; };\n",
	      f);
	fclose(f);
	CU_ASSERT_EQUAL(chmod(key, 0400), 0);

	/* not next to the config: found only through $CREDENTIALS_DIRECTORY */
	rc = load_key_conf("key_file = \"cred.key\";", 0600, &cfg, &d);
	CU_ASSERT_EQUAL(rc, MP_EKEY);
	mp_diag_clear(&d);

	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	rc = load_key_conf("key_file = \"cred.key\";", 0600, &cfg, &d);
	unsetenv("CREDENTIALS_DIRECTORY");
	CU_ASSERT_EQUAL(rc, MP_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->dns.key_file, key);
	CU_ASSERT_STRING_EQUAL(mp_tsig_key_name(cfg->key), "from-credentials.");
	mp_config_free(cfg);
	mp_diag_clear(&d);

	/* an absolute key_file ignores it */
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	rc = load_key_conf("key_file = \"/nonexistent/cred.key\";", 0600, &cfg,
			   &d);
	unsetenv("CREDENTIALS_DIRECTORY");
	CU_ASSERT_EQUAL(rc, MP_EKEY);
	mp_diag_clear(&d);

	unlink(key);
	rmdir(dir);
}

static void test_inline_key(void)
{
	struct mp_config *cfg = NULL;
	struct mp_diag d;
	char *sum;
	int rc;

	rc = load_key_conf("key = \"hmac-sha512:Inline:" TEST_SECRET "\";",
			   0600, &cfg, &d);
	CU_ASSERT_EQUAL(rc, MP_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(mp_tsig_key_name(cfg->key), "inline.");
	CU_ASSERT_EQUAL(mp_tsig_key_alg(cfg->key), MP_TSIG_HMAC_SHA512);
	CU_ASSERT_PTR_NULL(cfg->dns.key_file);
	sum = mp_config_summary(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(sum, "key: inline. (hmac-sha512, inline in dns.key)\n"));
	CU_ASSERT_PTR_NULL(strstr(sum, TEST_SECRET));
	free(sum);
	mp_config_free(cfg);
	mp_diag_clear(&d);

	/* a config holding a secret is a key file: not for others' eyes */
	rc = load_key_conf("key = \"hmac-sha256:inline:" TEST_SECRET "\";",
			   0644, &cfg, &d);
	CU_ASSERT_EQUAL(rc, MP_EPERM);
	CU_ASSERT_TRUE(diag_has(&d, conf_path, 2,
				"dns.key: the file holds a "
				"secret but is accessible to other users (mode "
				"0644); run `chmod o-rwx "));
	CU_ASSERT_FALSE(diag_mentions(&d, TEST_SECRET));
	mp_diag_clear(&d);

	/* errors in the inline key name the config line, never the secret */
	rc = load_key_conf("key = \"hmac-sha385:inline:" TEST_SECRET "\";",
			   0600, &cfg, &d);
	CU_ASSERT_EQUAL(rc, MP_EKEY);
	CU_ASSERT_TRUE(diag_has(&d, conf_path, 2,
				"key \"inline.\": unknown algorithm "
				"\"hmac-sha385\""));
	CU_ASSERT_FALSE(diag_mentions(&d, TEST_SECRET));
	mp_diag_clear(&d);
	rc =
	    load_key_conf("key = \"inline:" TEST_SECRET "!\";", 0600, &cfg, &d);
	CU_ASSERT_EQUAL(rc, MP_EKEY);
	CU_ASSERT_TRUE(diag_has(&d, conf_path, 2,
				"the secret is not valid "
				"base64"));
	CU_ASSERT_FALSE(diag_mentions(&d, TEST_SECRET));
	mp_diag_clear(&d);

	/* with MP_CONFIG_NO_KEY the key is not even parsed */
	{
		char text[2048];
		snprintf(text, sizeof(text), key_conf_fmt,
			 "key = \"hmac-sha384:x:!!\";");
		cfg = load_ok(text, MP_CONFIG_NO_KEY);
		CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
		CU_ASSERT_PTR_NULL(cfg->key);
		mp_config_free(cfg);
	}
}

/* ------------------------------------------------------------------------
 * The example config and the summary.
 */

static char *example_path(void)
{
	const char *top = getenv("top_srcdir");
	static char path[1024];

	snprintf(path, sizeof(path), "%s/etc/mirrorpool.conf", top ? top : ".");
	return path;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void test_example(void)
{
	struct mp_config *cfg = NULL;
	struct mp_diag d;
	char *text, *copy, *at, *sum;
	const char *from = "key_file = \"tsig.key\";";
	const char *to = "key_file = \"example.key\";";
	int rc;

	mp_diag_init(&d);
	rc = mp_config_load(example_path(), MP_CONFIG_NO_KEY, &cfg, &d);
	if (rc != MP_OK)
		dump_diag(&d);
	CU_ASSERT_EQUAL(rc, MP_OK);
	CU_ASSERT_EQUAL(d.n, 0);
	mp_diag_clear(&d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	/* relative: resolved next to the configuration file */
	{
		const char *kf = cfg->dns.key_file, *want = "etc/tsig.key";
		size_t kl = strlen(kf), wl = strlen(want);
		CU_ASSERT_TRUE(kl >= wl && strcmp(kf + kl - wl, want) == 0);
	}
	CU_ASSERT_EQUAL_FATAL(cfg->n_pools, 2);
	CU_ASSERT_STRING_EQUAL(cfg->pools[0].name, "dl.example.org.");
	CU_ASSERT_EQUAL(cfg->pools[0].n_mirrors, 2);
	CU_ASSERT_EQUAL(cfg->pools[1].check.type, MP_CHECK_TCP);
	CU_ASSERT_EQUAL(cfg->pools[1].check.port, 873);
	CU_ASSERT_STRING_EQUAL(cfg->control.group, "mirrorpool");
	mp_config_free(cfg);

	/* a copy pointing at a real key loads in full */
	text = read_all(example_path());
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	at = strstr(text, from);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	copy = calloc(1, strlen(text) + strlen(to) + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	memcpy(copy, text, (size_t)(at - text));
	memcpy(copy + (at - text), to, strlen(to));
	memcpy(copy + (at - text) + strlen(to), at + strlen(from),
	       strlen(at + strlen(from)) + 1);
	mp_unit_write_file("example.key", TEST_KEY, 0600);
	conf_path = mp_unit_write_file("example.conf", copy, 0644);
	mp_diag_init(&d);
	rc = mp_config_load(conf_path, 0, &cfg, &d);
	if (rc != MP_OK)
		dump_diag(&d);
	CU_ASSERT_EQUAL(rc, MP_OK);
	mp_diag_clear(&d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_PTR_NOT_NULL(cfg->key);
	sum = mp_config_summary(cfg);
	CU_ASSERT_PTR_NOT_NULL(sum);
	free(sum);
	mp_config_free(cfg);
	free(copy);
	free(text);
}

static void test_summary(void)
{
	static const char text[] =
	    "dns = { server = \"127.0.0.1\"; zone = \"example.org\";\n"
	    "  key_file = \"sum.key\"; dry_run = true; };\n"
	    "check = { url = \"https://dl.example.org/project/trace\"; };\n"
	    "pools = (\n"
	    "  { name = \"dl.example.org.\";\n"
	    "    mirrors = (\n"
	    "      { name = \"mirror1\"; addresses = [ \"192.0.2.10\", "
	    "\"2001:db8::10\" ]; weight = 10; },\n"
	    "      { name = \"mirror2\"; addresses = [ \"192.0.2.20\" ]; "
	    "weight = 0; }\n"
	    "    ); },\n"
	    "  { name = \"rsync.example.org.\"; max_published = 3;\n"
	    "    check = { type = \"tcp\"; port = 873; };\n"
	    "    mirrors = ( { name = \"m3\"; addresses = [ \"192.0.2.30\" ]; "
	    "} ); }\n"
	    ");\n"
	    "guard = { sentinels = [ \"https://www.example.net/\" ]; };\n";
	struct mp_config *cfg;
	char *sum, want[4096];

	mp_unit_write_file("sum.key", TEST_KEY, 0600);
	cfg = load_ok(text, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	sum = mp_config_summary(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
	snprintf(
	    want, sizeof(want),
	    "dns: server 127.0.0.1 port 53 zone example.org. transport udp "
	    "timeout 2s reconcile 5m dry_run (no UPDATE is sent)\n"
	    "key: mirrorpool. (hmac-sha256, from %s/sum.key)\n"
	    "update: min_interval 5s, max_per_hour 60\n"
	    "damping: penalty 1000, suppress 2000, reuse 750, half_life "
	    "15m, max_suppress 1h\n"
	    "guard: all_down_freeze yes, sentinels https://www.example.net/\n"
	    "control: socket /run/mirrorpool/control.sock mode 0660 group "
	    "(own)\n"
	    "state_file: /var/lib/mirrorpool/state.json, written at most "
	    "every 1s\n"
	    "pool dl.example.org. ttl 60 min_healthy 2 max_published 0 (all)\n"
	    "  check http https://dl.example.org/project/trace every 10s "
	    "(fast 2s), timeout 3s, rise 2, fall 3\n"
	    "    expect status 200, max_body 65536, tls_verify yes\n"
	    "  mirror mirror1 weight 10: 192.0.2.10 2001:db8::10\n"
	    "  mirror mirror2 weight 0 (disabled): 192.0.2.20\n"
	    "pool rsync.example.org. ttl 60 min_healthy 2 max_published 3\n"
	    "  check tcp port 873 every 10s (fast 2s), timeout 3s, rise 2, "
	    "fall 3\n"
	    "  mirror m3 weight 10: 192.0.2.30\n",
	    mp_unit_tmpdir());
	CU_ASSERT_STRING_EQUAL(sum, want);
	if (strcmp(sum, want) != 0)
		fprintf(stderr, "\n--- got:\n%s--- want:\n%s", sum, want);
	CU_ASSERT_PTR_NULL(strstr(sum, TEST_SECRET));
	free(sum);
	mp_config_free(cfg);
}

/* --check-config warns about a deprecated algorithm and accepts it. */
static void test_deprecated_algorithm_warning(void)
{
	static const struct {
		const char *alg;
		bool warns;
	} algs[] = {
	    {"hmac-md5", true},	    {"hmac-sha1", true},
	    {"hmac-sha224", false}, {"hmac-sha256", false},
	    {"hmac-sha384", false}, {"hmac-sha512", false},
	};

	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		struct mp_config *cfg = NULL;
		struct mp_diag d, w;
		char line[256], want[128];
		int rc;

		snprintf(line, sizeof(line),
			 "key = \"%s:old:" TEST_SECRET "\";", algs[i].alg);
		rc = load_key_conf(line, 0600, &cfg, &d);
		CU_ASSERT_EQUAL_FATAL(rc, MP_OK);
		mp_diag_clear(&d);
		mp_diag_init(&w);
		mp_config_warnings(cfg, &w);
		CU_ASSERT_EQUAL(w.n, algs[i].warns ? 1 : 0);
		snprintf(want, sizeof(want),
			 "key old. uses %s, which is deprecated", algs[i].alg);
		if (algs[i].warns) {
			CU_ASSERT_TRUE(
			    w.n == 1 && strstr(w.msgs[0], want) &&
			    strstr(w.msgs[0], "tsig-keygen -a hmac-sha256"));
			CU_ASSERT_TRUE(w.n == 1 &&
				       !strstr(w.msgs[0], TEST_SECRET));
		}
		mp_diag_clear(&w);
		mp_config_free(cfg);
	}
}

/* ------------------------------------------------------------------------ */

static CU_TestInfo tests[] = {
    {"full config, every key", test_full},
    {"deprecated TSIG algorithm warning", test_deprecated_algorithm_warning},
    {"defaults", test_defaults},
    {"pool check overrides", test_pool_check_override},
    {"tcp check as the global default", test_tcp_global},
    {"names and lookups", test_names},
    {"json pools", test_json_pools},
    {"json pool errors", test_json_pool_errors},
    {"unknown keys", test_unknown_keys},
    {"wrong types", test_wrong_types},
    {"out of range", test_out_of_range},
    {"ttl", test_ttl},
    {"integers beyond 32 bits", test_wide_integers},
    {"a string where none can be", test_misplaced_string},
    {"@include of a directory", test_include_not_a_file},
    {"@include of itself", test_include_itself},
    {"missing required keys", test_missing},
    {"key settings", test_keys_settings},
    {"durations", test_durations},
    {"urls", test_urls},
    {"url parser", test_url_parse},
    {"mirrors and addresses", test_mirrors_and_addresses},
    {"pool names", test_pool_names},
    {"misc values", test_misc_values},
    {"several errors at once", test_many_errors},
    {"syntax and I/O errors", test_syntax_and_io},
    {"included files", test_include},
    {"key file", test_key_file},
    {"CREDENTIALS_DIRECTORY", test_credentials_directory},
    {"inline key", test_inline_key},
    {"example config", test_example},
    {"summary", test_summary},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"config", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
