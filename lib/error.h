/* mirrorpool error codes: 0 is success, failures are negative. */
#ifndef MP_ERROR_H
#define MP_ERROR_H

#include <stddef.h>

enum mp_err {
	MP_OK = 0,
	MP_ENOMEM = -1,	   /* out of memory */
	MP_EINVAL = -2,	   /* invalid argument or input */
	MP_ECONFIG = -3,   /* configuration error */
	MP_EKEY = -4,	   /* TSIG key error */
	MP_EIO = -5,	   /* read/write/system call failure */
	MP_ETIMEOUT = -6,  /* timed out */
	MP_EPROTO = -7,	   /* malformed or unexpected protocol message */
	MP_ETSIG = -8,	   /* TSIG verification failure */
	MP_ENOTSUP = -9,   /* not supported */
	MP_ERANGE = -10,   /* value out of range */
	MP_ENOENT = -11,   /* no such object */
	MP_EEXIST = -12,   /* already exists */
	MP_EBUSY = -13,	   /* busy: operation already in progress */
	MP_ESPACE = -14,   /* does not fit (buffer, message size) */
	MP_EREFUSED = -15, /* refused by policy */
	MP_EPERM = -16,	   /* permission denied / unsafe permissions */
};

/* Human-readable text for an mp_err; never NULL. */
const char *mp_strerror(int err);

/* Formats a message into err (nothing when err is NULL or errlen 0). */
void mp_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
