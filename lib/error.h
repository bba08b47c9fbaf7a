/* mirrorpool error codes: 0 is success, failures are negative. A failed
 * system call keeps its cause: mp_err_errno() turns its errno (or a libuv
 * code, which is -errno) into the code of the same meaning, or into a code
 * that carries the errno itself (at or below MP_ESYS_BASE), whose text is
 * the system's. */
#ifndef MP_ERROR_H
#define MP_ERROR_H

#include <stddef.h>

enum mp_err {
	MP_OK = 0,
	MP_ENOMEM = -1,	      /* out of memory */
	MP_EINVAL = -2,	      /* invalid argument or input */
	MP_ECONFIG = -3,      /* configuration error */
	MP_EKEY = -4,	      /* TSIG key error */
	MP_EIO = -5,	      /* read/write/system call failure */
	MP_ETIMEOUT = -6,     /* timed out */
	MP_EPROTO = -7,	      /* malformed or unexpected protocol message */
	MP_ETSIG = -8,	      /* TSIG verification failure */
	MP_ENOTSUP = -9,      /* not supported */
	MP_ERANGE = -10,      /* value out of range */
	MP_ENOENT = -11,      /* no such object */
	MP_EEXIST = -12,      /* already exists */
	MP_EBUSY = -13,	      /* busy: operation already in progress */
	MP_ESPACE = -14,      /* does not fit (buffer, message size) */
	MP_EREFUSED = -15,    /* refused by policy */
	MP_EPERM = -16,	      /* permission denied / unsafe permissions */
	MP_ESYS_BASE = -1000, /* MP_ESYS_BASE - errno: that system error */
};

/* The code for errnum: an errno (positive) or a libuv status (negative,
 * -errno). ENOMEM, EINVAL, ENOENT, EEXIST, EBUSY, ERANGE, EACCES, EPERM,
 * ETIMEDOUT and ENOTSUP map to the MP_E* of the same meaning;
 * anything else to MP_ESYS_BASE - errno; 0 (no errno: a failure that did
 * not set it) to MP_EIO. */
int mp_err_errno(int errnum);

/* The errno behind err, or 0 when err carries none. */
int mp_err_sys_errno(int err);

/* Human-readable text for an mp_err; never NULL. */
const char *mp_strerror(int err);

/* Formats a message into err (nothing when err is NULL or errlen 0). */
void mp_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
