/* Atomic file replacement. A leaf: it uses no other module. */
#ifndef MP_AGENT_ATOMICFILE_H
#define MP_AGENT_ATOMICFILE_H

#include <stddef.h>

/*
 * Writes text to path atomically with mode: a temporary file beside it
 * (PATH.tmp.PID), fsync, rename over path, fsync of the directory. Readers
 * see the old content or the new, never a mix. Returns 0, or the failed
 * system call's error (mp_err_errno) or
 * MP_EINVAL with err saying what failed.
 */
int mp_atomic_write(const char *path, const char *text, size_t len,
		    unsigned mode, char *err, size_t errlen);

#endif
