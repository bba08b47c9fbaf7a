/* Helpers shared by the fuzz targets (see fuzz.h). */
#include "fuzz.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void mp_fuzz_fail(const char *what, ...)
{
	va_list ap;

	fputs("fuzz: property broken: ", stderr);
	va_start(ap, what);
	vfprintf(stderr, what, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static char tmpdir[64];
static char files[4][128];
static size_t n_files;

static void cleanup(void)
{
	for (size_t i = 0; i < n_files; i++)
		unlink(files[i]);
	if (tmpdir[0])
		rmdir(tmpdir);
}

const char *mp_fuzz_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/mp-fuzz-XXXXXX",
			 base && *base && strlen(base) < 40 ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(1);
		}
		atexit(cleanup);
	}
	return tmpdir;
}

const char *mp_fuzz_write(const char *name, const uint8_t *data, size_t size)
{
	static char path[128];
	int fd;
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", mp_fuzz_tmpdir(), name);
	for (i = 0; i < n_files && strcmp(files[i], path) != 0; i++)
		;
	if (i == n_files && n_files < sizeof(files) / sizeof(files[0]))
		snprintf(files[n_files++], sizeof(files[0]), "%s", path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	while (size > 0) {
		ssize_t w = write(fd, data, size);
		if (w <= 0) {
			close(fd);
			return NULL;
		}
		data += w;
		size -= (size_t)w;
	}
	close(fd);
	return path;
}
