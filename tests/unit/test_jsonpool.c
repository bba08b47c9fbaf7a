/* JSON mirror lists: parsing and validation with positions, the output as
 * the source with changed weights only, and the zeroing rules (floor,
 * freeze, never empty, drains, source weight 0). */
#include "unit.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jsonpool.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 16);
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static struct mp_jp_list *load_fixture(char **text, size_t *len)
{
	struct mp_jp_list *l = NULL;
	char err[512] = "";

	*text = slurp(mp_unit_fixture("mirrors.json"), len);
	CU_ASSERT_EQUAL(
	    mp_jp_parse(*text, *len, "mirrors.json", &l, err, sizeof(err)),
	    MP_OK);
	if (!l)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	return l;
}

static void test_parse_fixture(void)
{
	char *text;
	size_t len;
	struct mp_jp_list *l = load_fixture(&text, &len);

	CU_ASSERT_EQUAL_FATAL(l->n, 5);
	CU_ASSERT_STRING_EQUAL(l->mirrors[0].name,
			       "mirrors.edge.kernel.example");
	CU_ASSERT_EQUAL(l->mirrors[0].weight, 10);
	CU_ASSERT_EQUAL(l->mirrors[0].line, 5);
	CU_ASSERT_STRING_EQUAL(l->mirrors[1].name, "tails.mirror.example.net");
	CU_ASSERT_EQUAL(l->mirrors[1].weight, 25);
	CU_ASSERT_STRING_EQUAL(l->mirrors[2].name, "2001:db8::5");
	CU_ASSERT_EQUAL(l->mirrors[2].weight, 0);
	CU_ASSERT_EQUAL(l->mirrors[2].line, 20);
	/* a "name" member wins; the weight key written with an escape */
	CU_ASSERT_STRING_EQUAL(l->mirrors[3].name, "lab-mirror");
	CU_ASSERT_EQUAL(l->mirrors[3].weight, 5);
	CU_ASSERT_STRING_EQUAL(l->mirrors[3].url_prefix,
			       "https://dl.lab.example.org/mirrors/tails/");
	CU_ASSERT_EQUAL(l->mirrors[4].weight, 1000);
	/* the recorded offsets point at the numbers themselves */
	CU_ASSERT_NSTRING_EQUAL(text + l->mirrors[1].weight_off, "25", 2);
	CU_ASSERT_EQUAL(l->mirrors[1].weight_len, 2);
	CU_ASSERT_NSTRING_EQUAL(text + l->mirrors[4].weight_off, "1000", 4);
	CU_ASSERT_EQUAL(mp_jp_find(l, "lab-mirror"), 3);
	CU_ASSERT_EQUAL(mp_jp_find(l, "dl.lab.example.org"), 5);
	mp_jp_list_free(l);
	free(text);
}

/* Replaces the first occurrence of from (which must exist) in s. */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	size_t a, n = strlen(s) - strlen(from) + strlen(to) + 1;
	char *r = malloc(n);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	a = (size_t)(p - s);
	memcpy(r, s, a);
	snprintf(r + a, n - a, "%s%s", to, p + strlen(from));
	return r;
}

/* Source weights: the output is the source, byte for byte. Some weights
 * zeroed: only those numbers change, and a JSON reader sees the same
 * document apart from them. */
static void test_round_trip(void)
{
	char *text, *out, *want, *t1, *t2;
	size_t len, olen;
	struct mp_jp_list *l = load_fixture(&text, &len);
	unsigned w[5];
	json_t *a, *b;

	for (size_t i = 0; i < 5; i++)
		w[i] = l->mirrors[i].weight;
	out = mp_jp_render(l, w, &olen);
	CU_ASSERT_EQUAL(olen, len);
	CU_ASSERT_EQUAL(memcmp(out, text, len), 0);
	free(out);

	w[1] = 0;
	w[3] = 0;
	w[4] = 0;
	out = mp_jp_render(l, w, &olen);
	t1 = replace(text, "\"weight\" :  25 ,", "\"weight\" :  0 ,");
	t2 = replace(t1, "\"weigh\\u0074\": 5,", "\"weigh\\u0074\": 0,");
	want = replace(t2, "\"weight\": 1000\n", "\"weight\": 0\n");
	CU_ASSERT_EQUAL(olen, strlen(want));
	CU_ASSERT_STRING_EQUAL(out, want);
	/* the nested "weight" members of unknown fields are untouched */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"weight\": 99}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "{\"weight\": 7}"));

	a = json_loads(text, 0, NULL);
	b = json_loads(out, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_FALSE(json_equal(a, b));
	json_object_set_new(json_array_get(json_object_get(a, "mirrors"), 1),
			    "weight", json_integer(0));
	json_object_set_new(json_array_get(json_object_get(a, "mirrors"), 3),
			    "weight", json_integer(0));
	json_object_set_new(json_array_get(json_object_get(a, "mirrors"), 4),
			    "weight", json_integer(0));
	CU_ASSERT_TRUE(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	free(t1);
	free(t2);
	free(want);
	free(out);
	mp_jp_list_free(l);
	free(text);
}

static void test_top_level_array(void)
{
	const char *src =
	    "[{\"url_prefix\":\"https://a.example/\",\"weight\":3},"
	    "\n {\"weight\":4,\"url_prefix\":\"https://b.example/"
	    "\"}]";
	struct mp_jp_list *l = NULL;
	char err[300];
	unsigned w[2] = {0, 4};
	size_t n;
	char *out;

	CU_ASSERT_EQUAL_FATAL(
	    mp_jp_parse(src, strlen(src), "m.json", &l, err, sizeof(err)),
	    MP_OK);
	CU_ASSERT_EQUAL(l->n, 2);
	CU_ASSERT_EQUAL(l->mirrors[1].line, 2);
	out = mp_jp_render(l, w, &n);
	CU_ASSERT_STRING_EQUAL(
	    out, "[{\"url_prefix\":\"https://a.example/\",\"weight\":0},"
		 "\n {\"weight\":4,\"url_prefix\":\"https://b.example/\"}]");
	free(out);
	mp_jp_list_free(l);
	/* an empty list is a valid list */
	CU_ASSERT_EQUAL(mp_jp_parse("{\"mirrors\": []}\n", 15, "m.json", &l,
				    err, sizeof(err)),
			MP_OK);
	CU_ASSERT_EQUAL(l->n, 0);
	mp_jp_list_free(l);
}

static void expect_error(const char *src, const char *want)
{
	struct mp_jp_list *l = (struct mp_jp_list *)1;
	char err[512] = "";

	CU_ASSERT_EQUAL(mp_jp_parse(src, strlen(src), "/srv/tails/mirrors.json",
				    &l, err, sizeof(err)),
			MP_EINVAL);
	CU_ASSERT_PTR_NULL(l);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	if (!strstr(err, want))
		fprintf(stderr, "\n  want: %s\n  got:  %s\n", want, err);
}

static void test_errors(void)
{
	/* syntax, with jansson's line and column */
	expect_error("{\n  \"mirrors\": [\n    {\"url_prefix\": \"https://a/\""
		     "\n     \"weight\": 1}\n  ]\n}\n",
		     "/srv/tails/mirrors.json:4:13: ");
	expect_error("{\"mirrors\": [}", "/srv/tails/mirrors.json:1:14: ");
	expect_error("", "/srv/tails/mirrors.json:");
	/* a member twice is ambiguous: which weight would be patched? */
	expect_error("[{\"url_prefix\": \"https://a/\", \"weight\": 1, "
		     "\"weight\": 2}]",
		     "duplicate object key");
	/* shape */
	expect_error("{\"version\": 1}",
		     "mirrors.json:1:1: expected an array of mirrors, or an "
		     "object with a \"mirrors\" array");
	expect_error("[1, 2]", "mirrors.json:1:2: entry 1: expected an object");
	expect_error("[\n {\"weight\": 1}]",
		     "mirrors.json:2:2: entry 1: \"url_prefix\" is missing");
	expect_error("[{\"url_prefix\": \"ftp://a/\", \"weight\": 1}]",
		     "entry 1 (ftp://a/): url_prefix is not an http:// or "
		     "https:// URL");
	expect_error("[{\"url_prefix\": \"https://a/\", \"weight\": -1}]",
		     "mirrors.json:1:41: entry 1 (https://a/): \"weight\" "
		     "must be a non-negative integer");
	expect_error("[{\"url_prefix\": \"https://a/\", \"weight\": 1.5}]",
		     "\"weight\" must be a non-negative integer");
	expect_error("[{\"url_prefix\": \"https://a/\", \"weight\": \"5\"}]",
		     "\"weight\" must be a non-negative integer");
	expect_error("[{\"url_prefix\": \"https://a/\"}]",
		     "mirrors.json:1:2: entry 1 (https://a/): \"weight\" must");
	expect_error("[{\"url_prefix\": \"https://a/\", \"weight\": 1, "
		     "\"name\": 7}]",
		     "\"name\" must be a non-empty string");
	expect_error("[{\"url_prefix\": \"https://a.example/x/\", \"weight\": "
		     "1},\n{\"url_prefix\": \"https://A.example/y/\", "
		     "\"weight\": 2}]",
		     "mirrors.json:2:1: entry 2 (https://A.example/y/): name "
		     "\"a.example\" is already used by the entry on line 1");
}

/* A raw NUL byte: jansson stops reading at one and took "[1" for the
 * whole file, and the weight scanner went on past it without end (found by
 * the jsonpool fuzz target). It is refused where it is. */
static void test_nul_byte(void)
{
	const char src[] = "[1\0, 2]";
	const char entry[] = "[\n {\"url_prefix\": \"https://a/\", "
			     "\"weight\": 1\0}]";
	struct mp_jp_list *l = NULL;
	char err[512] = "";

	CU_ASSERT_EQUAL(
	    mp_jp_parse(src, sizeof(src) - 1, "m.json", &l, err, sizeof(err)),
	    MP_EINVAL);
	CU_ASSERT_PTR_NULL(l);
	CU_ASSERT_STRING_EQUAL(err, "m.json:1:3: a NUL byte (not JSON text)");
	CU_ASSERT_EQUAL(mp_jp_parse(entry, sizeof(entry) - 1, "m.json", &l, err,
				    sizeof(err)),
			MP_EINVAL);
	CU_ASSERT_PTR_NULL(l);
	CU_ASSERT_STRING_EQUAL(err, "m.json:2:42: a NUL byte (not JSON text)");
}

/* ---- the rules ---- */

static const char *FIVE = "[{\"url_prefix\":\"https://m1/\",\"weight\":10},"
			  "{\"url_prefix\":\"https://m2/\",\"weight\":20},"
			  "{\"url_prefix\":\"https://m3/\",\"weight\":30},"
			  "{\"url_prefix\":\"https://m4/\",\"weight\":0},"
			  "{\"url_prefix\":\"https://m5/\",\"weight\":50}]";

static struct mp_jp_list *five;
static struct mp_jp_state st[5];
static unsigned w[5];
static struct mp_jp_decision dec;

static void all_up(void)
{
	char err[200];

	mp_jp_list_free(five);
	five = NULL;
	CU_ASSERT_EQUAL_FATAL(
	    mp_jp_parse(FIVE, strlen(FIVE), "f.json", &five, err, sizeof(err)),
	    MP_OK);
	memset(st, 0, sizeof(st));
	for (size_t i = 0; i < 5; i++) {
		st[i].up = true;
		st[i].published = five->mirrors[i].weight > 0;
		st[i].last_ok_at = 1000 + i;
	}
}

/* Compares w[] with the expected weights. */
static void expect_w(unsigned a, unsigned b, unsigned c, unsigned d, unsigned e)
{
	unsigned want[5] = {a, b, c, d, e};
	for (size_t i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(w[i], want[i]);
		if (w[i] != want[i])
			fprintf(stderr, "\n  entry %zu: %u, want %u", i + 1,
				w[i], want[i]);
	}
}

static void decide(unsigned min_healthy, bool frozen)
{
	CU_ASSERT_EQUAL(mp_jp_decide(five, st, min_healthy, frozen, w, &dec),
			MP_OK);
}

static void test_rule_out(void)
{
	all_up();
	decide(1, false);
	expect_w(10, 20, 30, 0, 50);
	CU_ASSERT_EQUAL(dec.n_candidates, 4);
	st[0].up = false;	 /* down */
	st[1].suppressed = true; /* flapping */
	st[2].stale = true;	 /* no fresh result */
	st[4].drained = false;	 /* the one left in */
	decide(1, false);
	expect_w(0, 0, 0, 0, 50);
	CU_ASSERT_EQUAL(dec.n_published, 1);
	all_up();
	st[4].drained = true;
	decide(1, false);
	expect_w(10, 20, 30, 0, 0);
}

/* Weight 0 in the source stays 0, whatever its health. */
static void test_rule_source_zero(void)
{
	all_up();
	st[3].published = true; /* even if a previous output had it */
	decide(0, false);
	CU_ASSERT_EQUAL(w[3], 0);
	for (size_t i = 0; i < 5; i++)
		st[i].up = false;
	decide(0, false); /* never empty keeps the others, not this one */
	expect_w(10, 20, 30, 0, 50);
	CU_ASSERT_EQUAL(dec.n_empty_kept, 4);
}

/* Never zero more mirrors than leaves min_healthy with weight > 0: the
 * most recently healthy are kept; a drained one never is. */
static void test_rule_floor(void)
{
	all_up();
	st[0].up = st[1].up = st[2].up = false;
	st[1].last_ok_at = 5000; /* m2 was healthy last */
	decide(2, false);
	expect_w(0, 20, 0, 0, 50);
	CU_ASSERT_EQUAL(dec.n_floor_kept, 1);
	CU_ASSERT_FALSE(dec.below_floor);
	/* once out, an entry is not put back by the floor: the next most
	 * recently healthy of those still in is kept instead */
	st[1].published = false;
	decide(2, false);
	expect_w(0, 0, 30, 0, 50);
	/* a drained entry is never kept; short of the floor, every other
	 * entry still in stays */
	all_up();
	st[0].up = st[1].up = st[2].up = false;
	st[1].drained = true;
	st[1].last_ok_at = 5000;
	decide(4, false);
	expect_w(10, 0, 30, 0, 50);
	CU_ASSERT_TRUE(dec.below_floor);
}

/* The freeze zeroes nothing but drains and source zeros. */
static void test_rule_freeze(void)
{
	all_up();
	st[0].up = false;
	st[1].suppressed = true;
	st[2].drained = true;
	decide(1, true);
	expect_w(10, 20, 0, 0, 50);
	CU_ASSERT_EQUAL(dec.n_freeze_kept, 2);
}

/* Every entry failing: the list is kept as it is rather than emptied. */
static void test_rule_never_empty(void)
{
	all_up();
	for (size_t i = 0; i < 5; i++)
		st[i].up = false;
	st[4].published = false; /* already out: stays out */
	decide(0, false);
	expect_w(10, 20, 30, 0, 0);
	CU_ASSERT_EQUAL(dec.n_empty_kept, 3);
	/* drains alone may empty it */
	all_up();
	for (size_t i = 0; i < 5; i++)
		st[i].drained = true;
	decide(2, false);
	expect_w(0, 0, 0, 0, 0);
	mp_jp_list_free(five);
	five = NULL;
}

static CU_TestInfo tests[] = {
    {"parse a real-world-shaped list", test_parse_fixture},
    {"round trip: only weights change", test_round_trip},
    {"a top-level array", test_top_level_array},
    {"broken sources: file, line, column", test_errors},
    {"a NUL byte", test_nul_byte},
    {"rule: down, suppressed, stale, drained", test_rule_out},
    {"rule: source weight 0", test_rule_source_zero},
    {"rule: min_healthy floor", test_rule_floor},
    {"rule: freeze", test_rule_freeze},
    {"rule: never empty", test_rule_never_empty},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"jsonpool", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
