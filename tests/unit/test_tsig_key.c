#include "unit.h"
#include "unit_dns.h"

#include "error.h"
#include "tsig_key.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fixed secret for the hand-written files (32 bytes). */
#define SECRET "c2VjcmV0LWtleS1mb3ItdW5pdC10ZXN0cy0wMTIzNDU="
#define SECRET_RAW "secret-key-for-unit-tests-012345"

/* Every diag message of this binary, to check that no secret leaked. */
static char *all_diag;

static void keep_diag(const struct mp_diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		size_t old = all_diag ? strlen(all_diag) : 0;
		size_t add = strlen(d->msgs[i]) + 1;
		char *n = realloc(all_diag, old + add + 1);
		if (!n)
			return;
		all_diag = n;
		memcpy(all_diag + old, d->msgs[i], add - 1);
		all_diag[old + add - 1] = '\n';
		all_diag[old + add] = '\0';
	}
}

static void dump_diag(const struct mp_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "    | %s\n", d->msgs[i]);
}

static int load(const char *path, const char *key_name,
		struct mp_tsig_key **key, struct mp_diag *d)
{
	int rc;

	mp_diag_init(d);
	*key = NULL;
	rc = mp_tsig_key_load_file(path, key_name, key, d);
	keep_diag(d);
	return rc;
}

/*
 * Expects path (and key_name) rejected with rc and a message
 * "FILE:LINE: ...sub..." ("FILE: ...sub..." for line 0), and the message
 * to be the only one.
 */
static void expect_fail(const char *path, const char *key_name, int want_rc,
			int line, const char *sub, int caller)
{
	struct mp_tsig_key *key;
	struct mp_diag d;
	char prefix[1024];
	int rc = load(path, key_name, &key, &d);
	bool ok;

	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", path);
	ok = rc == want_rc && !key && d.n == 1 &&
	     strncmp(d.msgs[0], prefix, strlen(prefix)) == 0 &&
	     strstr(d.msgs[0] + strlen(prefix), sub);
	if (!ok) {
		fprintf(
		    stderr,
		    "\n  line %d: expected rc %d and \"%s...%s...\", got rc "
		    "%d and:\n",
		    caller, want_rc, prefix, sub, rc);
		dump_diag(&d);
	}
	CU_assertImplementation(ok, (unsigned)caller, "expected key error",
				__FILE__, "", CU_FALSE);
	mp_tsig_key_free(key);
	mp_diag_clear(&d);
}

#define EXPECT_FAIL(path, name, rc, line, sub)                                 \
	expect_fail(path, name, rc, line, sub, __LINE__)

static struct mp_tsig_key *load_ok(const char *path, const char *key_name)
{
	struct mp_tsig_key *key;
	struct mp_diag d;
	int rc = load(path, key_name, &key, &d);

	if (rc != MP_OK)
		dump_diag(&d);
	CU_ASSERT_EQUAL(rc, MP_OK);
	CU_ASSERT_EQUAL(d.n, 0);
	mp_diag_clear(&d);
	return key;
}

/*
 * Runs a key generator into a file of the test directory. Returns false
 * (with a note) when the tool is not installed.
 */
static bool generate(const char *cmd, const char *name, char *out,
		     size_t outlen, char *path, size_t pathlen)
{
	char full[512];
	FILE *p;
	size_t len;
	int status;

	snprintf(full, sizeof(full),
		 "PATH=\"$PATH:/usr/sbin:/sbin\" %s "
		 "2>/dev/null",
		 cmd);
	p = popen(full, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	len = fread(out, 1, outlen - 1, p);
	out[len] = '\0';
	status = pclose(p);
	if (status != 0 || len == 0) {
		fprintf(stderr,
			"\n  skipped: `%s` is not available "
			"(exit status %d)\n",
			cmd, status);
		CU_PASS("generator not installed; test skipped");
		return false;
	}
	snprintf(path, pathlen, "%s", mp_unit_write_file(name, out, 0600));
	return true;
}

/* The base64 secret of the first `secret "..."` in text. */
static void extract_secret(const char *text, char *out, size_t len)
{
	const char *p = strstr(text, "secret \"");

	out[0] = '\0';
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p += 8;
	snprintf(out, len, "%.*s", (int)strcspn(p, "\""), p);
}

static void test_tsig_keygen(void)
{
	static const struct {
		const char *alg;
		enum mp_tsig_alg id;
		size_t len;
	} algs[] = {
	    {"hmac-md5", MP_TSIG_HMAC_MD5, 16},
	    {"hmac-sha1", MP_TSIG_HMAC_SHA1, 20},
	    {"hmac-sha224", MP_TSIG_HMAC_SHA224, 28},
	    {"hmac-sha256", MP_TSIG_HMAC_SHA256, 32},
	    {"hmac-sha384", MP_TSIG_HMAC_SHA384, 48},
	    {"hmac-sha512", MP_TSIG_HMAC_SHA512, 64},
	};

	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		char cmd[128], text[1024], path[1024], b64[256];
		struct mp_tsig_key *key, *ref;

		snprintf(cmd, sizeof(cmd), "tsig-keygen -a %s Mirror-Pool",
			 algs[i].alg);
		if (!generate(cmd, "keygen.key", text, sizeof(text), path,
			      sizeof(path)))
			return;
		key = load_ok(path, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(key);
		CU_ASSERT_STRING_EQUAL(mp_tsig_key_name(key), "mirror-pool.");
		CU_ASSERT_EQUAL(mp_tsig_key_alg(key), algs[i].id);
		CU_ASSERT_EQUAL(mp_tsig_key_secret_len(key), algs[i].len);
		extract_secret(text, b64, sizeof(b64));
		ref = mp_unit_tsig_key("mirror-pool", algs[i].id, b64);
		CU_ASSERT_TRUE(mp_tsig_key_equal(key, ref));
		mp_tsig_key_free(ref);
		mp_tsig_key_free(key);
	}
}

static void test_ddns_confgen(void)
{
	char text[1024], path[1024], b64[256];
	struct mp_tsig_key *key, *ref;

	if (!generate("ddns-confgen -q", "ddns.key", text, sizeof(text), path,
		      sizeof(path)))
		return;
	key = load_ok(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	CU_ASSERT_STRING_EQUAL(mp_tsig_key_name(key), "ddns-key.");
	CU_ASSERT_EQUAL(mp_tsig_key_alg(key), MP_TSIG_HMAC_SHA256);
	extract_secret(text, b64, sizeof(b64));
	ref = mp_unit_tsig_key("ddns-key", MP_TSIG_HMAC_SHA256, b64);
	CU_ASSERT_TRUE(mp_tsig_key_equal(key, ref));
	mp_tsig_key_free(ref);
	mp_tsig_key_free(key);
}

/* Knot's keymgr -t writes YAML, with the nsupdate -y form as a comment. */
static void test_keymgr(void)
{
	char text[1024], path[1024], spec[256];
	struct mp_tsig_key *key, *ref = NULL;
	struct mp_diag d;
	const char *p;

	if (!generate("keymgr -t knot-key hmac-sha512", "keymgr.key", text,
		      sizeof(text), path, sizeof(path)))
		return;
	key = load_ok(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	CU_ASSERT_STRING_EQUAL(mp_tsig_key_name(key), "knot-key.");
	CU_ASSERT_EQUAL(mp_tsig_key_alg(key), MP_TSIG_HMAC_SHA512);
	CU_ASSERT_EQUAL(mp_tsig_key_secret_len(key), 64);
	p = strstr(text, "# ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	snprintf(spec, sizeof(spec), "%.*s", (int)strcspn(p + 2, "\n"), p + 2);
	mp_diag_init(&d);
	CU_ASSERT_EQUAL(mp_tsig_key_parse_inline(spec, "test", &ref, &d),
			MP_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
	CU_ASSERT_TRUE(mp_tsig_key_equal(key, ref));
	mp_diag_clear(&d);
	mp_tsig_key_free(ref);
	mp_tsig_key_free(key);
}

/* keymgr -t with each algorithm Knot knows. */
static void test_keymgr_algorithms(void)
{
	static const enum mp_tsig_alg ids[] = {
	    MP_TSIG_HMAC_MD5,	 MP_TSIG_HMAC_SHA1,   MP_TSIG_HMAC_SHA224,
	    MP_TSIG_HMAC_SHA256, MP_TSIG_HMAC_SHA384, MP_TSIG_HMAC_SHA512,
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char cmd[128], text[1024], path[1024];
		struct mp_tsig_key *key;

		snprintf(cmd, sizeof(cmd), "keymgr -t k%zu %s", i,
			 mp_tsig_alg_short_name(ids[i]));
		if (!generate(cmd, "keymgr-alg.key", text, sizeof(text), path,
			      sizeof(path)))
			return;
		key = load_ok(path, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(key);
		CU_ASSERT_EQUAL(mp_tsig_key_alg(key), ids[i]);
		mp_tsig_key_free(key);
	}
}

/* PowerDNS's `pdnsutil list-tsig-keys` lines. */
static void test_pdns_lines(void)
{
	struct mp_tsig_key *key,
	    *ref = mp_unit_tsig_key("b", MP_TSIG_HMAC_SHA384, SECRET);
	struct mp_diag d;
	const char *path = mp_unit_write_file(
	    "pdns.key",
	    "a. hmac-md5. " SECRET "\n"
	    "\n"
	    "b. hmac-sha384. " SECRET "\n"
	    "md5.example. hmac-md5.sig-alg.reg.int. " SECRET "\n",
	    0600);

	key = load_ok(path, "b");
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	CU_ASSERT_TRUE(mp_tsig_key_equal(key, ref));
	mp_tsig_key_free(key);
	key = load_ok(path, "md5.example");
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	CU_ASSERT_EQUAL(mp_tsig_key_alg(key), MP_TSIG_HMAC_MD5);
	mp_tsig_key_free(key);
	EXPECT_FAIL(path, NULL, MP_EKEY, 0,
		    "the file holds 3 keys (a., b., md5.example.); choose "
		    "one with key_name");

	/* one line, as `pdnsutil list-tsig-keys | grep` leaves it */
	path = mp_unit_write_file(
	    "pdns1.key", "  mirrorpool.\thmac-sha256.  " SECRET " \n", 0600);
	key = load_ok(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	CU_ASSERT_STRING_EQUAL(mp_tsig_key_name(key), "mirrorpool.");
	CU_ASSERT_EQUAL(mp_tsig_key_secret_len(key), 32);
	mp_tsig_key_free(key);

	/* the buffer entry point, unterminated */
	mp_diag_init(&d);
	CU_ASSERT_EQUAL(mp_tsig_key_parse_buffer(
			    "b. hmac-sha384. " SECRET "XYZ",
			    16 + strlen(SECRET), "buf", NULL, &key, &d),
			MP_OK);
	CU_ASSERT_TRUE(key && mp_tsig_key_equal(key, ref));
	mp_tsig_key_free(key);
	mp_diag_clear(&d);

	/* errors name the line and never quote the secret */
	path = mp_unit_write_file("pdns2.key",
				  "a. hmac-sha256. " SECRET "\n"
				  "b. hmac-sha256.\n",
				  0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 2,
		    "expected `NAME. ALGORITHM. BASE64` (as pdnsutil "
		    "list-tsig-keys prints), found 2 fields");
	path = mp_unit_write_file("pdns3.key",
				  "a. hmac-sha256. " SECRET " extra\n", 0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 1, "found more than 3 fields");
	path = mp_unit_write_file("pdns4.key",
				  "a. hmac-sha256. " SECRET "\n"
				  "a. hmac-sha512. " SECRET "\n",
				  0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 2,
		    "key \"a.\" is defined twice (first at line 1)");
	path =
	    mp_unit_write_file("pdns5.key", "a. hmac-sha256. !!notb64\n", 0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 1, "the secret is not valid base64");
	mp_tsig_key_free(ref);
}

/* pdnsutil generate-tsig-key, then list-tsig-keys, against a throwaway
 * sqlite database. */
static void test_pdnsutil(void)
{
	char text[4096], path[1024], cmd[1024], dir[512];
	struct mp_tsig_key *key;

	snprintf(dir, sizeof(dir), "%s",
		 mp_unit_write_file("pdns.conf", "", 0600));
	dir[strlen(dir) - strlen("/pdns.conf")] = '\0';
	snprintf(cmd, sizeof(cmd),
		 "printf 'launch=gsqlite3\\ngsqlite3-database=%s/pdns.db\\n' "
		 ">%s/pdns.conf && python3 -c 'import sqlite3,sys; "
		 "sqlite3.connect(sys.argv[1]).executescript(open(sys.argv[2])"
		 ".read())' %s/pdns.db "
		 "/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql && "
		 "pdnsutil --config-dir=%s generate-tsig-key pdns-key "
		 "hmac-sha384 >/dev/null && "
		 "pdnsutil --config-dir=%s list-tsig-keys",
		 dir, dir, dir, dir, dir);
	if (!generate(cmd, "pdnsutil.key", text, sizeof(text), path,
		      sizeof(path)))
		return;
	key = load_ok(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	CU_ASSERT_STRING_EQUAL(mp_tsig_key_name(key), "pdns-key.");
	CU_ASSERT_EQUAL(mp_tsig_key_alg(key), MP_TSIG_HMAC_SHA384);
	CU_ASSERT_EQUAL(mp_tsig_key_secret_len(key), 64);
	mp_tsig_key_free(key);
}

static void test_yaml(void)
{
	struct mp_tsig_key *key,
	    *ref = mp_unit_tsig_key("b", MP_TSIG_HMAC_SHA256, SECRET);
	const char *path = mp_unit_write_file("yaml.key",
					      "# keys for the primary\n"
					      "key:\n"
					      "  - id: a\n"
					      "    algorithm: hmac-sha512\n"
					      "    secret: " SECRET "\n"
					      "\n"
					      "  - id: \"b\"   # quoted\n"
					      "    algorithm: 'hmac-sha256'\n"
					      "    secret: \"" SECRET "\"\n",
					      0600);

	key = load_ok(path, "B.");
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	CU_ASSERT_TRUE(mp_tsig_key_equal(key, ref));
	mp_tsig_key_free(key);
	mp_tsig_key_free(ref);
	EXPECT_FAIL(path, NULL, MP_EKEY, 0,
		    "the file holds 2 keys (a., b.); choose one with key_name");

	path =
	    mp_unit_write_file("yaml2.key",
			       "key:\n  - id: a\n    algorithm: hmac-sha256\n"
			       "    secrett: " SECRET "\n",
			       0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 4,
		    "unknown field `secrett` in a key (expected id, algorithm, "
		    "secret)");
	path =
	    mp_unit_write_file("yaml3.key",
			       "key:\n  - id: a\n    algorithm: hmac-sha256\n"
			       "server:\n  - listen: 127.0.0.1\n",
			       0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 4,
		    "only one `key:` section (as written by keymgr -t) is "
		    "understood, found another section");
	path = mp_unit_write_file(
	    "yaml4.key", "key:\n  - id: a\n    algorithm: hmac-sha256\n", 0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 2,
		    "key \"a.\" has no secret (add `secret \"BASE64\";`");
}

static void test_syntax_variants(void)
{
	struct mp_tsig_key *key,
	    *ref = mp_unit_tsig_key("x.example", MP_TSIG_HMAC_SHA256, SECRET);
	const char *path = mp_unit_write_file(
	    "variants.key",
	    "/* a C comment\n   over two lines */\n"
	    "# a shell comment\n"
	    "// a C++ comment\n"
	    "KEY X.Example. {algorithm \"HMAC-SHA256\";secret " SECRET ";}; "
	    "# unquoted name and secret, upper case\n",
	    0600);

	key = load_ok(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	CU_ASSERT_STRING_EQUAL(mp_tsig_key_name(key), "x.example.");
	CU_ASSERT_TRUE(mp_tsig_key_equal(key, ref));
	mp_tsig_key_free(key);
	/* the key name may be given either way */
	key = load_ok(path, "x.EXAMPLE");
	CU_ASSERT_PTR_NOT_NULL(key);
	mp_tsig_key_free(key);
	mp_tsig_key_free(ref);
}

static const char two_keys[] = "key \"first\" {\n"
			       "\talgorithm hmac-sha256;\n"
			       "\tsecret \"" SECRET "\";\n"
			       "};\n"
			       "key \"second.example.\" {\n"
			       "\talgorithm hmac-sha512;\n"
			       "\tsecret \"" SECRET "\";\n"
			       "};\n";

static void test_several_keys(void)
{
	const char *path = mp_unit_write_file("two.key", two_keys, 0600);
	struct mp_tsig_key *key;

	key = load_ok(path, "second.example");
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	CU_ASSERT_STRING_EQUAL(mp_tsig_key_name(key), "second.example.");
	CU_ASSERT_EQUAL(mp_tsig_key_alg(key), MP_TSIG_HMAC_SHA512);
	mp_tsig_key_free(key);
	key = load_ok(path, "FIRST.");
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	CU_ASSERT_STRING_EQUAL(mp_tsig_key_name(key), "first.");
	mp_tsig_key_free(key);

	EXPECT_FAIL(path, NULL, MP_EKEY, 0,
		    "the file holds 2 keys (first., second.example.); choose "
		    "one with key_name");
	EXPECT_FAIL(path, "third", MP_EKEY, 0,
		    "no key named \"third.\" (keys in the file: first., "
		    "second.example.)");

	path = mp_unit_write_file(
	    "dup.key",
	    "key a { algorithm hmac-sha256; secret \"" SECRET "\"; };\n"
	    "key A. { algorithm hmac-sha256; secret \"" SECRET "\"; };\n",
	    0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 2,
		    "key \"a.\" is defined twice (first at line 1)");
}

static void test_bad_contents(void)
{
	const char *path;

	path = mp_unit_write_file(
	    "b64.key",
	    "key \"k\" {\n\talgorithm hmac-sha256;\n"
	    "\tsecret \"c2VjcmV0LWtleS1mb3I*dW5pdC10ZXN0cy0wMTIzNDU=\";\n};\n",
	    0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 3,
		    "key \"k.\": the secret is not valid base64 (as written by "
		    "tsig-keygen, padded with '=')");
	/* unpadded base64 is not what tsig-keygen writes */
	path = mp_unit_write_file(
	    "pad.key",
	    "key k { algorithm hmac-sha256; secret "
	    "\"c2VjcmV0LWtleS1mb3ItdW5pdC10ZXN0cy0wMTIzNDU\"; };\n",
	    0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 1, "the secret is not valid base64");
	path = mp_unit_write_file(
	    "empty-secret.key",
	    "key k { algorithm hmac-sha256; secret \"\"; };\n", 0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 1,
		    "key \"k.\": the secret is empty (generate one with "
		    "tsig-keygen)");

	path = mp_unit_write_file("alg.key",
				  "key \"k\" {\n\talgorithm hmac-sha257;\n"
				  "\tsecret \"" SECRET "\";\n};\n",
				  0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 2,
		    "key \"k.\": unknown algorithm \"hmac-sha257\" (use "
		    "hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, "
		    "hmac-sha1 or hmac-md5)");
	path = mp_unit_write_file("gss.key",
				  "key \"k\" {\n\talgorithm gss-tsig;\n"
				  "\tsecret \"" SECRET "\";\n};\n",
				  0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 2,
		    "key \"k.\": gss-tsig is a TSIG algorithm mirrorpool does "
		    "not implement; use an HMAC algorithm (tsig-keygen -a "
		    "hmac-sha256)");
	/* an unusable key elsewhere in the file does not matter */
	path = mp_unit_write_file(
	    "mixed.key",
	    "key old { algorithm gss-tsig; secret \"" SECRET "\"; };\n"
	    "key new { algorithm hmac-sha256; secret \"" SECRET "\"; };\n",
	    0600);
	{
		struct mp_tsig_key *key = load_ok(path, "new");
		CU_ASSERT_PTR_NOT_NULL(key);
		mp_tsig_key_free(key);
	}

	path = mp_unit_write_file("nosecret.key",
				  "key \"k\" {\n\talgorithm hmac-sha256;\n};\n",
				  0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 1,
		    "key \"k.\" has no secret (add `secret \"BASE64\";` as "
		    "written by tsig-keygen)");
	path = mp_unit_write_file(
	    "noalg.key", "key \"k\" {\n\tsecret \"" SECRET "\";\n};\n", 0600);
	EXPECT_FAIL(
	    path, NULL, MP_EKEY, 1,
	    "key \"k.\" has no algorithm (add `algorithm hmac-sha256;`)");
	path = mp_unit_write_file("empty.key", "# nothing here\n", 0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 0,
		    "no key found (expected `key \"NAME\" { algorithm "
		    "hmac-sha256; secret \"BASE64\"; };` as written by "
		    "tsig-keygen)");
}

static void test_syntax_errors(void)
{
	const char *path;

	path = mp_unit_write_file("semi.key",
				  "key \"k\" {\n\talgorithm hmac-sha256\n"
				  "\tsecret \"" SECRET "\";\n};\n",
				  0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 3,
		    "expected ';' after the algorithm, found a word");
	path = mp_unit_write_file("semi2.key",
				  "key \"k\" {\n\talgorithm hmac-sha256;\n"
				  "\tsecret \"" SECRET "\"\n};\n",
				  0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 4,
		    "expected ';' after the secret, found '}'");
	path = mp_unit_write_file(
	    "close.key",
	    "key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; }\n",
	    0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 2,
		    "expected ';' after the closing '}' of a key, found end of "
		    "file");
	path = mp_unit_write_file("eof.key",
				  "key \"k\" { algorithm hmac-sha256;\n", 0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 2,
		    "end of file inside key \"k.\" (missing `};`)");
	path = mp_unit_write_file("quote.key",
				  "key \"k\" { algorithm hmac-sha256;\n"
				  "  secret \"" SECRET ";\n};\n",
				  0600);
	EXPECT_FAIL(
	    path, NULL, MP_EKEY, 2,
	    "unterminated quoted string (a string ends with '\"' on the "
	    "same line)");
	path = mp_unit_write_file("comment.key",
				  "/* never closed\nkey k { };\n", 0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 1, "unterminated /* comment");
	path = mp_unit_write_file(
	    "top.key", "\n\nserver 127.0.0.1 { keys { k; }; };\n", 0600);
	EXPECT_FAIL(
	    path, NULL, MP_EKEY, 3,
	    "expected `key \"NAME\" { algorithm ...; secret \"...\"; };`, "
	    "found `server`");
	path = mp_unit_write_file(
	    "stmt.key", "key k {\n  algoritm hmac-sha256;\n};\n", 0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 2,
		    "unexpected `algoritm` in key \"k.\" (expected `algorithm` "
		    "or `secret`)");
	path = mp_unit_write_file("stmt2.key",
				  "key k {\n  \"" SECRET "\";\n};\n", 0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 2,
		    "unexpected a quoted string in key \"k.\"");
	path = mp_unit_write_file(
	    "name.key", "key \"bad name\" { algorithm hmac-sha256; };\n", 0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 1,
		    "key name \"bad name\" is not a valid domain name");
	/* a name that runs into the secret is not quoted */
	path = mp_unit_write_file("runon.key",
				  "key:\n  - id: k secret: " SECRET "\n", 0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 2,
		    "key name is not a valid domain name (it runs on into "
		    "other text");
	path =
	    mp_unit_write_file("twice.key",
			       "key k { algorithm hmac-sha256; secret \"" SECRET
			       "\";\n secret \"" SECRET "\"; };\n",
			       0600);
	EXPECT_FAIL(path, NULL, MP_EKEY, 2,
		    "key \"k.\" has a second secret (first at line 1)");
}

static void test_permissions(void)
{
	static const struct {
		unsigned mode;
		int rc;
		const char *what;
	} cases[] = {
	    {0600, MP_OK, NULL},
	    {0640, MP_OK, NULL},
	    {0400, MP_OK, NULL},
	    {0644, MP_EPERM, "readable"},
	    {0604, MP_EPERM, "readable"},
	    {0602, MP_EPERM, "writable"},
	    {0606, MP_EPERM, "readable and writable"},
	    {0601, MP_EPERM, "accessible"},
	};
	char key[256];

	snprintf(key, sizeof(key),
		 "key k { algorithm hmac-sha256; secret \"%s\"; };\n", SECRET);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path =
		    mp_unit_write_file("perm.key", key, cases[i].mode);
		char want[1024];

		if (cases[i].rc == MP_OK) {
			struct mp_tsig_key *k = load_ok(path, NULL);
			CU_ASSERT_PTR_NOT_NULL(k);
			mp_tsig_key_free(k);
			continue;
		}
		snprintf(want, sizeof(want),
			 "the key file is %s by other users (mode %04o); run "
			 "`chmod o-rwx %s`",
			 cases[i].what, cases[i].mode, path);
		EXPECT_FAIL(path, NULL, MP_EPERM, 0, want);
	}

	EXPECT_FAIL(mp_unit_tmpdir(), NULL, MP_EKEY, 0,
		    "not a regular file (a key file as written by tsig-keygen "
		    "is expected)");
	EXPECT_FAIL("/dev/null", NULL, MP_EKEY, 0, "not a regular file");
	{
		char path[1024];
		snprintf(path, sizeof(path), "%s/absent.key", mp_unit_tmpdir());
		EXPECT_FAIL(path, NULL, MP_EKEY, 0,
			    "cannot open the key file: No such file or "
			    "directory");
	}
	if (geteuid() != 0) {
		const char *path = mp_unit_write_file("noread.key", key, 0200);
		EXPECT_FAIL(path, NULL, MP_EPERM, 0,
			    "cannot open the key file: Permission denied (the "
			    "key must be readable by the user mirrorpoold runs "
			    "as)");
	}
}

static void test_inline(void)
{
	struct mp_tsig_key *key = NULL, *ref;
	struct mp_diag d;
	int rc;

	mp_diag_init(&d);
	rc = mp_tsig_key_parse_inline("hmac-sha512:Name.Example:" SECRET,
				      "c.conf:5", &key, &d);
	CU_ASSERT_EQUAL(rc, MP_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	CU_ASSERT_STRING_EQUAL(mp_tsig_key_name(key), "name.example.");
	CU_ASSERT_EQUAL(mp_tsig_key_alg(key), MP_TSIG_HMAC_SHA512);
	ref = mp_unit_tsig_key("name.example", MP_TSIG_HMAC_SHA512, SECRET);
	CU_ASSERT_TRUE(mp_tsig_key_equal(key, ref));
	CU_ASSERT_EQUAL(mp_tsig_key_secret_len(key), strlen(SECRET_RAW));
	mp_tsig_key_free(ref);
	mp_tsig_key_free(key);

	/* name:secret means hmac-sha256 */
	rc = mp_tsig_key_parse_inline("short:" SECRET, "c.conf:5", &key, &d);
	CU_ASSERT_EQUAL(rc, MP_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	CU_ASSERT_STRING_EQUAL(mp_tsig_key_name(key), "short.");
	CU_ASSERT_EQUAL(mp_tsig_key_alg(key), MP_TSIG_HMAC_SHA256);
	mp_tsig_key_free(key);
	CU_ASSERT_EQUAL(d.n, 0);

	{
		static const struct {
			const char *spec;
			const char *msg;
		} bad[] = {
		    {SECRET, "c.conf:5: inline key: expected "
			     "\"ALGORITHM:NAME:BASE64\""},
		    {"a:b:c:" SECRET, "c.conf:5: inline key: expected "
				      "\"ALGORITHM:NAME:BASE64\""},
		    {"hmac-sha256::" SECRET,
		     "c.conf:5: inline key: the key name is empty"},
		    {":" SECRET, "c.conf:5: inline key: the key name is empty"},
		    {"gss-tsig:k:" SECRET,
		     "c.conf:5: key \"k.\": gss-tsig is a TSIG algorithm "
		     "mirrorpool does not implement"},
		    {"hmac-foo:k:" SECRET,
		     "c.conf:5: key \"k.\": unknown algorithm \"hmac-foo\""},
		    {"k:" SECRET "x", "c.conf:5: key \"k.\": the secret is not "
				      "valid base64"},
		    {"k:", "c.conf:5: key \"k.\": the secret is empty"},
		    {"bad name:" SECRET, "c.conf:5: inline key: key name "
					 "\"bad name\" is not a valid "
					 "domain name"},
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			mp_diag_init(&d);
			key = NULL;
			rc = mp_tsig_key_parse_inline(bad[i].spec, "c.conf:5",
						      &key, &d);
			keep_diag(&d);
			CU_ASSERT_EQUAL(rc, MP_EKEY);
			CU_ASSERT_PTR_NULL(key);
			CU_ASSERT_EQUAL(d.n, 1);
			if (d.n != 1 || !strstr(d.msgs[0], bad[i].msg)) {
				fprintf(stderr, "\n  case %zu: want %s\n", i,
					bad[i].msg);
				dump_diag(&d);
			}
			CU_ASSERT_TRUE(d.n == 1 &&
				       strstr(d.msgs[0], bad[i].msg) != NULL);
			mp_diag_clear(&d);
		}
	}
}

/* Names as TSIG compares them; normalising a result again changes
 * nothing. The longest name is 253 characters, 254 with its final dot (a
 * 253-character name once became 254 and was then refused: found by the
 * parsers fuzz target). */
static void test_name_normalise(void)
{
	char in[300], out[256], again[256];
	static const struct {
		const char *in, *want; /* want NULL: refused */
	} cases[] = {
	    {"Mirrorpool", "mirrorpool."},
	    {"a.B.", "a.b."},
	    {"", NULL},
	    {".", NULL},
	    {"a..", NULL},
	    {"a..b", NULL},
	    {".a", NULL},
	    {"a b", NULL},
	    {"a\\.b", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = mp_tsig_name_normalise(cases[i].in, out, sizeof(out));
		if (cases[i].want) {
			CU_ASSERT_EQUAL(rc, MP_OK);
			CU_ASSERT_STRING_EQUAL(out, cases[i].want);
		} else {
			CU_ASSERT_EQUAL(rc, MP_EINVAL);
		}
	}
	/* 63-character labels: 4 of them make 255 characters, too long;
	 * 3 and a 61-character one make 253 */
	memset(in, 'x', 253);
	in[63] = in[127] = in[191] = '.';
	in[253] = '\0';
	CU_ASSERT_EQUAL_FATAL(mp_tsig_name_normalise(in, out, sizeof(out)),
			      MP_OK);
	CU_ASSERT_EQUAL(strlen(out), 254);
	CU_ASSERT_EQUAL(mp_tsig_name_normalise(out, again, sizeof(again)),
			MP_OK);
	CU_ASSERT_STRING_EQUAL(out, again);
	in[253] = 'x';
	in[254] = '\0';
	CU_ASSERT_EQUAL(mp_tsig_name_normalise(in, out, sizeof(out)),
			MP_EINVAL);
	/* a 64-character label */
	memset(in, 'y', 64);
	memcpy(in + 64, ".example", sizeof(".example"));
	CU_ASSERT_EQUAL(mp_tsig_name_normalise(in, out, sizeof(out)),
			MP_EINVAL);
	memcpy(in + 63, ".example", sizeof(".example")); /* the longest */
	CU_ASSERT_EQUAL(mp_tsig_name_normalise(in, out, sizeof(out)), MP_OK);
}

/* Runs last: no message of any test above may contain the secret, nor a
 * recognisable part of it. */
static void test_no_secret_in_messages(void)
{
	char part[13];
	size_t len = strlen(SECRET);

	CU_ASSERT_PTR_NOT_NULL_FATAL(all_diag);
	CU_ASSERT_TRUE(strlen(all_diag) > 1000); /* the tests above ran */
	for (size_t i = 0; i + 12 <= len; i++) {
		memcpy(part, SECRET + i, 12);
		part[12] = '\0';
		if (strstr(all_diag, part)) {
			fprintf(stderr, "\n  secret fragment %s found in:\n%s",
				part, all_diag);
			CU_FAIL("a part of the secret appeared in a message");
			break;
		}
	}
	CU_ASSERT_PTR_NULL(strstr(all_diag, SECRET_RAW));
	free(all_diag);
	all_diag = NULL;
}

static CU_TestInfo tests[] = {
    {"tsig-keygen output", test_tsig_keygen},
    {"ddns-confgen -q output", test_ddns_confgen},
    {"keymgr -t output", test_keymgr},
    {"keymgr -t, every algorithm", test_keymgr_algorithms},
    {"pdnsutil list-tsig-keys lines", test_pdns_lines},
    {"pdnsutil generate-tsig-key output", test_pdnsutil},
    {"keymgr YAML", test_yaml},
    {"comments, quoting and case", test_syntax_variants},
    {"several keys and key_name", test_several_keys},
    {"bad contents", test_bad_contents},
    {"syntax errors", test_syntax_errors},
    {"permissions", test_permissions},
    {"inline form", test_inline},
    {"name normalisation", test_name_normalise},
    {"no secret in any message", test_no_secret_in_messages},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"tsig_key", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
