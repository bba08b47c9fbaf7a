/*
 * The configuration loader (lib/config.c, lib/config_value.c,
 * lib/config_model.c) on arbitrary files: every input either loads or is
 * refused with at least one message, and nothing leaks either way (libFuzzer
 * checks leaks after each input). A key file beside it lets `key_file =
 * "tsig.key"` load a real key. @include is followed only to files in the
 * same private directory: an include of another path is not fuzzed.
 */
#define _GNU_SOURCE /* memmem */
#include "config.h"
#include "diag.h"
#include "error.h"
#include "fuzz.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char key[] =
	    "key \"mirrorpool\" {\n\talgorithm hmac-sha256;\n\tsecret "
	    "\"c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IHNlY3JldA==\";\n};\n";

	unsetenv("CREDENTIALS_DIRECTORY");
	if (!mp_fuzz_write("tsig.key", (const uint8_t *)key, sizeof(key) - 1))
		abort();
	return 0;
}

/* True when an @include names something outside the private directory
 * (or anything this harness cannot vouch for). */
static bool includes_elsewhere(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;

	while ((p = memmem(p, (size_t)(end - p), "@include", 8)) != NULL) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *e = nl ? nl : end;
		if (memchr(p, '/', (size_t)(e - p)) ||
		    memchr(p, '\\', (size_t)(e - p)))
			return true;
		p += 8;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_config *cfg = NULL;
	struct mp_diag d;
	const char *path;
	int rc;

	if (size > 65536 || includes_elsewhere(data, size))
		return 0;
	path = mp_fuzz_write("mirrorpool.conf", data, size);
	if (!path)
		abort();
	mp_diag_init(&d);
	rc = mp_config_load(path, 0, &cfg, &d);
	if (rc == MP_OK) {
		MP_FUZZ_ASSERT(cfg != NULL);
		mp_config_free(cfg);
	} else {
		MP_FUZZ_ASSERT(cfg == NULL);
		MP_FUZZ_ASSERT(d.n > 0);
		for (size_t i = 0; i < d.n; i++)
			MP_FUZZ_ASSERT(d.msgs[i][0] != '\0');
	}
	mp_diag_clear(&d);
	return 0;
}
