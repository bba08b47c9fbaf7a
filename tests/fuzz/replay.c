/*
 * Runs a fuzz target without libFuzzer: every file named on the command
 * line, or in a directory named there, is passed to LLVMFuzzerTestOneInput
 * once. Without arguments it replays the target's seed corpus and crash
 * reproducers from the source tree ($top_srcdir/tests/fuzz/corpus/NAME and
 * tests/fuzz/regress/NAME), as `make check` runs it. A broken property
 * aborts (and a sanitizer reports), so the exit status tells.
 */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef MP_FUZZ_NAME
#error "MP_FUZZ_NAME must name the target"
#endif

static size_t replayed;

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	for (;;) {
		size_t r;
		if (len == cap) {
			uint8_t *nb;
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				fclose(f);
				free(buf);
				return -1;
			}
			buf = nb;
		}
		r = fread(buf + len, 1, cap - len, f);
		if (r == 0)
			break;
		len += r;
	}
	fclose(f);
	/* an exact-size copy, so that ASan sees reads past the input */
	{
		uint8_t *exact = malloc(len ? len : 1);
		if (!exact) {
			free(buf);
			return -1;
		}
		if (len)
			memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	replayed++;
	return 0;
}

static int replay(const char *path, int must_exist)
{
	struct stat st;
	struct dirent **names;
	int n, rc = 0;

	if (stat(path, &st) != 0) {
		if (!must_exist)
			return 0;
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		perror(path);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char sub[4096];
		if (names[i]->d_name[0] != '.' && rc == 0) {
			snprintf(sub, sizeof(sub), "%s/%s", path,
				 names[i]->d_name);
			rc = replay(sub, 1);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (int i = 1; i < argc && rc == 0; i++)
			rc = replay(argv[i], 1);
	} else {
		const char *top = getenv("top_srcdir");
		char dir[4096];
		const char *kinds[] = {"corpus", "regress"};

		for (size_t k = 0; k < 2 && rc == 0; k++) {
			snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s/%s",
				 top && *top ? top : ".", kinds[k],
				 MP_FUZZ_NAME);
			rc = replay(dir, k == 0);
		}
	}
	printf("%s: %zu inputs replayed%s\n", MP_FUZZ_NAME, replayed,
	       rc == 0 ? "" : ", stopped by an error");
	/* a replay of nothing proves nothing */
	return rc == 0 && replayed > 0 ? 0 : 1;
}
