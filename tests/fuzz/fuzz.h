/*
 * The entry points every fuzz target defines. A target is built twice: with
 * libFuzzer (`make fuzz`, clang -fsanitize=fuzzer,address,undefined), and
 * with replay.c into an ordinary program that `make check` runs over the
 * target's seed corpus and its crash reproducers (tests/fuzz/regress/).
 * A target reports a broken property with mp_fuzz_fail(), which aborts, so
 * both builds see it as a crash.
 */
#ifndef MP_FUZZ_H
#define MP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Prints "fuzz: property broken: <what>" and aborts. */
void mp_fuzz_fail(const char *what, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

#define MP_FUZZ_ASSERT(cond)                                                   \
	do {                                                                   \
		if (!(cond))                                                   \
			mp_fuzz_fail("%s:%d: %s", __FILE__, __LINE__, #cond);  \
	} while (0)

/* A private directory for targets that must hand a file to the code under
 * test (key files, the configuration): created on first use, removed at
 * exit. */
const char *mp_fuzz_tmpdir(void);
/* Writes data to dir/name with mode 0600, replacing it; returns the path
 * (a static buffer) or NULL. */
const char *mp_fuzz_write(const char *name, const uint8_t *data, size_t size);

#endif
