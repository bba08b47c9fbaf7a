#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int mp_err_errno(int errnum)
{
	int e = errnum < 0 ? -errnum : errnum;

	switch (e) {
	case 0:
		return MP_EIO;
	case ENOMEM:
		return MP_ENOMEM;
	case EINVAL:
		return MP_EINVAL;
	case ENOENT:
		return MP_ENOENT;
	case EEXIST:
		return MP_EEXIST;
	case EBUSY:
		return MP_EBUSY;
	case ERANGE:
		return MP_ERANGE;
	case EACCES:
	case EPERM:
		return MP_EPERM;
	case ETIMEDOUT:
		return MP_ETIMEOUT;
	case ENOTSUP:
		return MP_ENOTSUP;
	}
	return MP_ESYS_BASE - e;
}

int mp_err_sys_errno(int err)
{
	return err <= MP_ESYS_BASE ? MP_ESYS_BASE - err : 0;
}

const char *mp_strerror(int err)
{
	if (err < MP_ESYS_BASE)
		return strerror(mp_err_sys_errno(err));
	switch (err) {
	case MP_OK:
		return "success";
	case MP_ENOMEM:
		return "out of memory";
	case MP_EINVAL:
		return "invalid argument";
	case MP_ECONFIG:
		return "configuration error";
	case MP_EKEY:
		return "TSIG key error";
	case MP_EIO:
		return "input/output error";
	case MP_ETIMEOUT:
		return "timed out";
	case MP_EPROTO:
		return "protocol error";
	case MP_ETSIG:
		return "TSIG verification failed";
	case MP_ENOTSUP:
		return "not supported";
	case MP_ERANGE:
		return "value out of range";
	case MP_ENOENT:
		return "not found";
	case MP_EEXIST:
		return "already exists";
	case MP_EBUSY:
		return "busy";
	case MP_ESPACE:
		return "does not fit";
	case MP_EREFUSED:
		return "refused";
	case MP_EPERM:
		return "permission denied";
	}
	return "unknown error";
}

void mp_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
