#include "unit.h"

#include <dirent.h>
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
