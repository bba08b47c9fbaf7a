#include "unit.h"

#include <errno.h>
#include <string.h>

#include "error.h"

static void test_errno_with_a_code_of_its_own(void)
{
	CU_ASSERT_EQUAL(mp_err_errno(ENOMEM), MP_ENOMEM);
	CU_ASSERT_EQUAL(mp_err_errno(ENOENT), MP_ENOENT);
	CU_ASSERT_EQUAL(mp_err_errno(EACCES), MP_EPERM);
	CU_ASSERT_EQUAL(mp_err_errno(EPERM), MP_EPERM);
	CU_ASSERT_EQUAL(mp_err_errno(ETIMEDOUT), MP_ETIMEOUT);
	CU_ASSERT_EQUAL(mp_err_sys_errno(MP_ENOENT), 0);
}

static void test_errno_kept(void)
{
	int rc = mp_err_errno(EADDRINUSE);

	CU_ASSERT(rc < MP_ESYS_BASE);
	CU_ASSERT_EQUAL(mp_err_sys_errno(rc), EADDRINUSE);
	CU_ASSERT_STRING_EQUAL(mp_strerror(rc), strerror(EADDRINUSE));
	rc = mp_err_errno(ENOSPC);
	CU_ASSERT_STRING_EQUAL(mp_strerror(rc), strerror(ENOSPC));
	CU_ASSERT_EQUAL(mp_err_sys_errno(rc), ENOSPC);
}

/* libuv reports -errno: the same code as the errno. */
static void test_libuv_status(void)
{
	CU_ASSERT_EQUAL(mp_err_errno(-EADDRINUSE), mp_err_errno(EADDRINUSE));
	CU_ASSERT_EQUAL(mp_err_errno(-ENOENT), MP_ENOENT);
}

/* A failure that set no errno is still a failure. */
static void test_no_errno(void)
{
	CU_ASSERT_EQUAL(mp_err_errno(0), MP_EIO);
	CU_ASSERT_STRING_EQUAL(mp_strerror(MP_EIO), "input/output error");
	CU_ASSERT_STRING_EQUAL(mp_strerror(12345), "unknown error");
}

static CU_TestInfo tests[] = {
    {"errno with a code of its own", test_errno_with_a_code_of_its_own},
    {"errno kept with its text", test_errno_kept},
    {"libuv status", test_libuv_status},
    {"no errno", test_no_errno},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"error", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	return mp_unit_run(suites);
}
