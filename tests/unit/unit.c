#include "unit.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static void cleanup_tmpdir(void)
{
	DIR *d;
	struct dirent *e;
	char path[512];

	if (!tmpdir[0])
		return;
	d = opendir(tmpdir);
	if (d) {
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", tmpdir,
				 e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(tmpdir);
}

const char *mp_unit_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/mp-unit-XXXXXX",
			 base ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(99);
		}
		atexit(cleanup_tmpdir);
	}
	return tmpdir;
}

const char *mp_unit_write_file(const char *name, const char *content,
			       unsigned mode)
{
	static char paths[8][512];
	static int next;
	char *path = paths[next];
	FILE *f;

	next = (next + 1) % 8;
	snprintf(path, 512, "%s/%s", mp_unit_tmpdir(), name);
	unlink(path);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(99);
	}
	fputs(content, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

uint32_t mp_unit_xorshift(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

uint32_t mp_unit_rnd_upper;

uint32_t mp_unit_rnd_zero(uint32_t upper)
{
	mp_unit_rnd_upper = upper;
	return 0;
}

uint32_t mp_unit_rnd_top(uint32_t upper)
{
	mp_unit_rnd_upper = upper;
	return upper - 1;
}

uint32_t mp_unit_rnd_mid(uint32_t upper)
{
	mp_unit_rnd_upper = upper;
	return upper / 2;
}

struct mp_time mp_unit_at(uint64_t ms)
{
	struct mp_time t = {ms, ms};
	return t;
}

char mp_unit_log[MP_UNIT_LOG_SIZE];

static void __attribute__((format(printf, 1, 2)))
log_append(const char *fmt, ...)
{
	size_t l = strlen(mp_unit_log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mp_unit_log + l, sizeof(mp_unit_log) - l, fmt, ap);
	va_end(ap);
}

void mp_unit_log_capture(int prio, const struct mp_log_fields *f,
			 const char *msg, void *arg)
{
	log_append("%s\n", msg);
}

void mp_unit_log_capture_fields(int prio, const struct mp_log_fields *f,
				const char *msg, void *arg)
{
	log_append("%s", msg);
	if (f)
		log_append(" [POOL=%s MIRROR=%s ADDRESS=%s CALLER_UID=%ld]",
			   f->pool ? f->pool : "", f->mirror ? f->mirror : "",
			   f->address ? f->address : "", f->caller_uid);
	log_append("\n");
}

void mp_unit_log_discard(int prio, const struct mp_log_fields *f,
			 const char *msg, void *arg)
{
}

void mp_unit_log_start(mp_log_sink_fn sink)
{
	mp_unit_log[0] = '\0';
	mp_log_set_sink(sink, NULL);
	mp_log_set_level(LOG_DEBUG);
}

const char *mp_unit_fixture(const char *name)
{
	static char path[1024];
	const char *top = getenv("top_srcdir");

	snprintf(path, sizeof(path), "%s/tests/fixtures/%s", top ? top : ".",
		 name);
	return path;
}

int mp_unit_run(CU_SuiteInfo *suites)
{
	unsigned failed, ran, tfailed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		fprintf(stderr, "suite registration failed: %s\n",
			CU_get_error_msg());
		CU_cleanup_registry();
		return 99;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed =
	    CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
	ran = CU_get_number_of_tests_run();
	tfailed = CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	printf("\n%u passed, %u failed\n", ran - tfailed, failed);
	if (ran == 0) {
		fprintf(stderr, "no tests ran\n");
		return 1;
	}
	return failed ? 1 : 0;
}
