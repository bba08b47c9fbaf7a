#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "view.h"

static struct mp_addr A(const char *s) {
	struct mp_addr a;

	CU_ASSERT_EQUAL_FATAL(mp_addr_parse(s, &a), MP_OK);
	return a;
}

/* One TXT record from character-strings given as C strings. */
static void
add_rec(struct mp_txt_set *s, const char *const *strs, size_t n)
{
	unsigned char buf[4096];
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(strs[i]);
		CU_ASSERT_FATAL(l <= 255 && off + 1 + l <= sizeof(buf));
		buf[off++] = (unsigned char)l;
		memcpy(buf + off, strs[i], l);
		off += l;
	}
	CU_ASSERT_EQUAL_FATAL(mp_txt_set_add(s, buf, off), MP_OK);
}

/* Decodes and expects MP_EPROTO with sub in the message. */
static void expect_bad(const struct mp_txt_set *s, const char *sub, int line)
{
	struct mp_view v;
	char why[256];
	int rc;

	mp_view_init(&v);
	rc = mp_view_decode(s, &v, why, sizeof(why));
	if (rc != MP_EPROTO || !strstr(why, sub))
		fprintf(stderr,
			"\n  line %d: rc %d, why \"%s\", wanted \"%s\"\n", line,
			rc, why, sub);
	CU_ASSERT_EQUAL(rc, MP_EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, sub));
	CU_ASSERT_EQUAL(v.n, 0);
	mp_view_clear(&v);
}

static void check_wire_limits(const struct mp_txt_set *s, size_t max_rdata)
{
	for (size_t i = 0; i < s->n; i++) {
		size_t off = 0;
		CU_ASSERT(s->v[i].len <= max_rdata);
		while (off < s->v[i].len) {
			CU_ASSERT(s->v[i].rdata[off] <= 255);
			off += 1 + s->v[i].rdata[off];
		}
		CU_ASSERT_EQUAL(off, s->v[i].len);
	}
}

static void roundtrip(const struct mp_view *v, size_t max_rdata,
		      size_t want_records)
{
	struct mp_txt_set s = {NULL, 0}, rev = {NULL, 0};
	struct mp_view back;
	char why[256] = "";

	mp_view_init(&back);
	CU_ASSERT_EQUAL_FATAL(mp_view_encode(v, max_rdata, &s), MP_OK);
	if (want_records)
		CU_ASSERT_EQUAL(s.n, want_records);
	check_wire_limits(&s, max_rdata);
	CU_ASSERT_EQUAL(mp_view_decode(&s, &back, why, sizeof(why)), MP_OK);
	CU_ASSERT_STRING_EQUAL(why, "");
	CU_ASSERT_EQUAL(back.time_ms, v->time_ms);
	CU_ASSERT(mp_view_same_items(&back, v));
	/* an RRset has no order: the records reversed decode the same */
	for (size_t i = s.n; i > 0; i--)
		CU_ASSERT_EQUAL(
		    mp_txt_set_add(&rev, s.v[i - 1].rdata, s.v[i - 1].len),
		    MP_OK);
	CU_ASSERT_EQUAL(mp_view_decode(&rev, &back, why, sizeof(why)), MP_OK);
	CU_ASSERT(mp_view_same_items(&back, v));
	mp_view_clear(&back);
	mp_txt_set_clear(&s);
	mp_txt_set_clear(&rev);
}

static void test_small(void)
{
	struct mp_view v;
	struct mp_txt_set s = {NULL, 0};
	struct mp_addr a = A("192.0.2.10"), b = A("2001:db8::20");
	const char *want = "mpv1 t=1763800000123 p=1/1";

	mp_view_init(&v);
	v.time_ms = 1763800000123ULL;
	CU_ASSERT_EQUAL(mp_view_add(&v, &a, NULL, MP_VERDICT_UP), MP_OK);
	CU_ASSERT_EQUAL(mp_view_add(&v, &b, NULL, MP_VERDICT_DOWN), MP_OK);
	CU_ASSERT_EQUAL(mp_view_add(&v, &a, NULL, MP_VERDICT_DOWN), MP_EEXIST);
	CU_ASSERT_EQUAL(mp_view_encode(&v, 1024, &s), MP_OK);
	CU_ASSERT_EQUAL_FATAL(s.n, 1);
	/* the exact wire form: header string, one item string */
	CU_ASSERT_EQUAL(s.v[0].rdata[0], strlen(want));
	CU_ASSERT(memcmp(s.v[0].rdata + 1, want, strlen(want)) == 0);
	{
		const char *items = "192.0.2.10=up 2001:db8::20=down";
		const unsigned char *p = s.v[0].rdata + 1 + strlen(want);
		CU_ASSERT_EQUAL(p[0], strlen(items));
		CU_ASSERT(memcmp(p + 1, items, strlen(items)) == 0);
		CU_ASSERT_EQUAL(s.v[0].len, 2 + strlen(want) + strlen(items));
	}
	roundtrip(&v, 1024, 1);
	CU_ASSERT_EQUAL(mp_view_lookup(&v, &a, "dl.example.org."),
			MP_VERDICT_UP);
	CU_ASSERT_EQUAL(mp_view_lookup(&v, &b, NULL), MP_VERDICT_DOWN);
	{
		struct mp_addr c = A("192.0.2.99");
		CU_ASSERT_EQUAL(mp_view_lookup(&v, &c, NULL),
				MP_VERDICT_UNKNOWN);
	}
	mp_txt_set_clear(&s);
	mp_view_clear(&v);
}

static void test_empty(void)
{
	struct mp_view v;

	mp_view_init(&v);
	v.time_ms = 5;
	roundtrip(&v, MP_VIEW_MIN_RDATA, 1);
	mp_view_clear(&v);
}

static void test_pool_qualified(void)
{
	struct mp_view v, back;
	struct mp_txt_set s = {NULL, 0};
	struct mp_addr a = A("192.0.2.10");
	char why[128];

	mp_view_init(&v);
	mp_view_init(&back);
	v.time_ms = 1;
	CU_ASSERT_EQUAL(mp_view_add(&v, &a, "dl.example.org.", MP_VERDICT_UP),
			MP_OK);
	CU_ASSERT_EQUAL(
	    mp_view_add(&v, &a, "dl2.example.org.", MP_VERDICT_DOWN), MP_OK);
	roundtrip(&v, 1024, 1);
	CU_ASSERT_EQUAL(mp_view_encode(&v, 1024, &s), MP_OK);
	CU_ASSERT_EQUAL(mp_view_decode(&s, &back, why, sizeof(why)), MP_OK);
	CU_ASSERT_EQUAL(mp_view_lookup(&back, &a, "dl.example.org."),
			MP_VERDICT_UP);
	CU_ASSERT_EQUAL(mp_view_lookup(&back, &a, "dl2.example.org."),
			MP_VERDICT_DOWN);
	CU_ASSERT_EQUAL(mp_view_lookup(&back, &a, "dl3.example.org."),
			MP_VERDICT_UNKNOWN);
	mp_txt_set_clear(&s);
	mp_view_clear(&v);
	mp_view_clear(&back);
}

/* 200 IPv6 and 200 IPv4 addresses in two pools: several records at every
 * record size, each string within 255 bytes. */
static void test_several_records(void)
{
	struct mp_view v;
	struct mp_txt_set s = {NULL, 0};
	char buf[64];

	mp_view_init(&v);
	v.time_ms = 1763800000999ULL;
	for (int i = 0; i < 200; i++) {
		struct mp_addr a;
		snprintf(buf, sizeof(buf), "2001:db8:ffff:ffff:ffff:ffff:%x:%x",
			 i, i * 7 + 1);
		a = A(buf);
		CU_ASSERT_EQUAL(
		    mp_view_add(&v, &a, i % 2 ? "dl.example.org." : NULL,
				i % 3 ? MP_VERDICT_UP : MP_VERDICT_DOWN),
		    MP_OK);
		snprintf(buf, sizeof(buf), "198.51.%d.%d", i / 100, i);
		a = A(buf);
		CU_ASSERT_EQUAL(
		    mp_view_add(&v, &a, NULL,
				i % 5 ? MP_VERDICT_UP : MP_VERDICT_DOWN),
		    MP_OK);
	}
	roundtrip(&v, MP_VIEW_MIN_RDATA, 0);
	roundtrip(&v, 1024, 0);
	roundtrip(&v, 4000, 0);
	CU_ASSERT_EQUAL(mp_view_encode(&v, MP_VIEW_MIN_RDATA, &s), MP_OK);
	CU_ASSERT(s.n > 10);
	/* a record holds several strings */
	CU_ASSERT(s.v[0].len > 300);
	/* losing one part loses the view */
	{
		struct mp_txt_set part = {NULL, 0};
		char want[64];
		for (size_t i = 1; i < s.n; i++)
			mp_txt_set_add(&part, s.v[i].rdata, s.v[i].len);
		/* which part record 1 was is in its header */
		CU_ASSERT(memcmp(s.v[0].rdata + 1, "mpv1 t=1763800000999 p=1/",
				 25) == 0);
		snprintf(want, sizeof(want), "part 1 of %zu is missing", s.n);
		expect_bad(&part, want, __LINE__);
		mp_txt_set_clear(&part);
	}
	CU_ASSERT_EQUAL(mp_view_encode(&v, 100, &s), MP_EINVAL);
	mp_txt_set_clear(&s);
	mp_view_clear(&v);
}

static void test_too_large(void)
{
	struct mp_view v;
	struct mp_txt_set s = {NULL, 0};
	char buf[64];
	struct mp_addr a = A("192.0.2.1");
	char pool[256];

	mp_view_init(&v);
	for (int i = 0; i < MP_VIEW_MAX_ITEMS; i++) {
		struct mp_addr b;
		snprintf(buf, sizeof(buf), "2001:db8:ffff:ffff:ffff:ffff:%x:%x",
			 i, i);
		b = A(buf);
		CU_ASSERT_EQUAL_FATAL(mp_view_add(&v, &b, NULL, MP_VERDICT_UP),
				      MP_OK);
	}
	CU_ASSERT_EQUAL(mp_view_add(&v, &a, NULL, MP_VERDICT_UP), MP_ESPACE);
	/* 4096 long items do not fit 64 records of 512 bytes */
	CU_ASSERT_EQUAL(mp_view_encode(&v, MP_VIEW_MIN_RDATA, &s), MP_ESPACE);
	CU_ASSERT_EQUAL(s.n, 0);
	/* but 64 records of 64 KiB take them */
	CU_ASSERT_EQUAL(mp_view_encode(&v, 65535, &s), MP_OK);
	mp_txt_set_clear(&s);
	mp_view_clear(&v);
	/* an item longer than a string */
	mp_view_init(&v);
	memset(pool, 'a', 250);
	pool[250] = '.';
	pool[251] = '\0';
	CU_ASSERT_EQUAL(mp_view_add(&v, &a, pool, MP_VERDICT_UP), MP_OK);
	CU_ASSERT_EQUAL(mp_view_encode(&v, 1024, &s), MP_ESPACE);
	mp_view_clear(&v);
}

#define BAD(...)                                                               \
	do {                                                                   \
		const char *strs[] = {__VA_ARGS__};                            \
		mp_txt_set_clear(&s);                                          \
		add_rec(&s, strs, sizeof(strs) / sizeof(strs[0]));             \
	} while (0)

static void test_hostile(void)
{
	struct mp_txt_set s = {NULL, 0};
	unsigned char raw[8];

	expect_bad(&s, "no TXT records", __LINE__);
	BAD("v=spf1 -all");
	expect_bad(&s, "not a mirrorpool view", __LINE__);
	BAD("mpv2 t=1 p=1/1");
	expect_bad(&s, "unsupported view version", __LINE__);
	BAD("mpv1x t=1 p=1/1");
	expect_bad(&s, "unsupported view version", __LINE__);
	BAD("mpv1 p=1/1");
	expect_bad(&s, "lacks the time", __LINE__);
	BAD("mpv1 t=1");
	expect_bad(&s, "lacks the part", __LINE__);
	BAD("mpv1 t=1 t=2 p=1/1");
	expect_bad(&s, "bad or repeated time", __LINE__);
	BAD("mpv1 t=-1 p=1/1");
	expect_bad(&s, "bad or repeated time", __LINE__);
	BAD("mpv1 t=99999999999999999999999 p=1/1");
	expect_bad(&s, "bad or repeated time", __LINE__);
	BAD("mpv1 t=1 p=2/1");
	expect_bad(&s, "bad or repeated part", __LINE__);
	BAD("mpv1 t=1 p=0/1");
	expect_bad(&s, "bad or repeated part", __LINE__);
	BAD("mpv1 t=1 p=1/65");
	expect_bad(&s, "bad or repeated part", __LINE__);
	BAD("mpv1 t=1 p=1");
	expect_bad(&s, "bad or repeated part", __LINE__);
	BAD("mpv1 t=1 p=1/1 junk");
	expect_bad(&s, "is not key=value", __LINE__);
	BAD("mpv1 t=1 p=1/1", "192.0.2.1=maybe");
	expect_bad(&s, "the verdict is not up or down", __LINE__);
	BAD("mpv1 t=1 p=1/1", "192.0.2.1");
	expect_bad(&s, "not ADDRESS=up|down", __LINE__);
	BAD("mpv1 t=1 p=1/1", "192.0.2.300=up");
	expect_bad(&s, "not an IP address", __LINE__);
	BAD("mpv1 t=1 p=1/1", "=up");
	expect_bad(&s, "not an IP address", __LINE__);
	BAD("mpv1 t=1 p=1/1", "192.0.2.1@dl=up");
	expect_bad(&s, "not a pool name", __LINE__);
	BAD("mpv1 t=1 p=1/1", "192.0.2.1@DL.example.=up");
	expect_bad(&s, "not a pool name", __LINE__);
	BAD("mpv1 t=1 p=1/1", "192.0.2.1=up", "192.0.2.1=down");
	expect_bad(&s, "listed twice", __LINE__);
	BAD("mpv1 t=1 p=1/1", "192.0.2.1=up\x01");
	expect_bad(&s, "not printable ASCII", __LINE__);
	BAD("mpv1 t=1 p=1/2", "192.0.2.1=up");
	expect_bad(&s, "part 2 of 2 is missing", __LINE__);
	{
		const char *r2[] = {"mpv1 t=2 p=2/2"};
		add_rec(&s, r2, 1);
		expect_bad(&s, "a view was read while being replaced",
			   __LINE__);
	}
	BAD("mpv1 t=1 p=1/2");
	{
		const char *r2[] = {"mpv1 t=1 p=1/2"};
		add_rec(&s, r2, 1);
		expect_bad(&s, "part 1 is repeated", __LINE__);
	}
	/* a length byte running past the end */
	mp_txt_set_clear(&s);
	raw[0] = 200;
	memcpy(raw + 1, "mpv1 t", 6);
	mp_txt_set_add(&s, raw, 7);
	expect_bad(&s, "runs past the record's end", __LINE__);
	mp_txt_set_clear(&s);
	mp_txt_set_add(&s, raw, 0);
	expect_bad(&s, "record 1 is empty", __LINE__);
	/* too many records */
	mp_txt_set_clear(&s);
	for (int i = 0; i < MP_VIEW_MAX_RECORDS + 1; i++) {
		const char *r[] = {"mpv1 t=1 p=1/1"};
		add_rec(&s, r, 1);
	}
	expect_bad(&s, "65 TXT records (at most 64)", __LINE__);
	/* unknown header keys are for later versions: ignored */
	{
		struct mp_view v;
		char why[128];
		BAD("mpv1 t=7 p=1/1 x=future", "192.0.2.1=up  192.0.2.2=down");
		mp_view_init(&v);
		CU_ASSERT_EQUAL(mp_view_decode(&s, &v, why, sizeof(why)),
				MP_OK);
		CU_ASSERT_EQUAL(v.n, 2);
		CU_ASSERT_EQUAL(v.time_ms, 7);
		mp_view_clear(&v);
	}
	mp_txt_set_clear(&s);
}

/* Random bytes and bit flips of a valid view: never a crash, and either a
 * view or a named error. */
static void test_garbage(void)
{
	uint32_t st = 0x9e3779b9;
	struct mp_view v, out;
	struct mp_txt_set good = {NULL, 0};
	char buf[64], why[256];
	size_t ok = 0, bad = 0;

	mp_view_init(&v);
	mp_view_init(&out);
	v.time_ms = 1763800000000ULL;
	for (int i = 0; i < 60; i++) {
		struct mp_addr a;
		snprintf(buf, sizeof(buf), "203.0.113.%d", i);
		a = A(buf);
		mp_view_add(&v, &a, NULL,
			    i % 2 ? MP_VERDICT_UP : MP_VERDICT_DOWN);
	}
	CU_ASSERT_EQUAL_FATAL(mp_view_encode(&v, MP_VIEW_MIN_RDATA, &good),
			      MP_OK);
	for (int round = 0; round < 20000; round++) {
		struct mp_txt_set s = {NULL, 0};
		for (size_t r = 0; r < good.n; r++) {
			unsigned char copy[65536];
			size_t len = good.v[r].len;
			memcpy(copy, good.v[r].rdata, len);
			if (round % 2 == 0) {
				size_t at = mp_unit_xorshift(&st) % len;
				copy[at] ^=
				    (unsigned char)(1u
						    << (mp_unit_xorshift(&st) %
							8));
			} else if (r == 0) {
				len = mp_unit_xorshift(&st) % 600;
				for (size_t k = 0; k < len; k++)
					copy[k] =
					    (unsigned char)mp_unit_xorshift(
						&st);
			}
			mp_txt_set_add(&s, copy, len);
		}
		why[0] = 'x';
		int rc = mp_view_decode(&s, &out, why, sizeof(why));
		if (rc == MP_OK) {
			ok++;
		} else {
			bad++;
			CU_ASSERT_EQUAL(rc, MP_EPROTO);
			CU_ASSERT(why[0] != '\0' && why[0] != 'x');
			CU_ASSERT_EQUAL(out.n, 0);
		}
		mp_txt_set_clear(&s);
	}
	/* both outcomes happened: the input did reach the parser's checks */
	CU_ASSERT(ok > 0);
	CU_ASSERT(bad > 0);
	mp_txt_set_clear(&good);
	mp_view_clear(&v);
	mp_view_clear(&out);
}

static CU_TestInfo tests[] = {
    {"small view, exact wire form", test_small},
    {"empty view", test_empty},
    {"pool-qualified items", test_pool_qualified},
    {"views needing several records", test_several_records},
    {"too large", test_too_large},
    {"hostile input, named errors", test_hostile},
    {"garbage and bit flips", test_garbage},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"view", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
