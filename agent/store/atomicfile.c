/* Atomic file replacement (temp file, fsync, rename, fsync of the
 * directory): a reader sees the old file or the new one, never a part. */
#include "autoconfig.h"
#include "atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

int mp_atomic_write(const char *path, const char *text, size_t len,
		    unsigned mode, char *err, size_t errlen)
{
	char tmp[4096], dir[4096];
	int fd = -1, dfd = -1, rc = MP_EIO;
	size_t off = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return MP_EINVAL;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = mp_err_errno(errno);
		snprintf(err, errlen, "cannot create %s: %s", tmp,
			 strerror(errno));
		return rc;
	}
	/* the daemon runs with UMask=0077: set the mode a reader needs */
	if (fchmod(fd, mode) < 0) {
		rc = mp_err_errno(errno);
		snprintf(err, errlen, "cannot chmod %s: %s", tmp,
			 strerror(errno));
		goto cleanup;
	}
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = mp_err_errno(errno);
			snprintf(err, errlen, "cannot write %s: %s", tmp,
				 strerror(errno));
			goto cleanup;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0) {
		rc = mp_err_errno(errno);
		snprintf(err, errlen, "cannot fsync %s: %s", tmp,
			 strerror(errno));
		goto cleanup;
	}
	if (close(fd) < 0) {
		rc = mp_err_errno(errno);
		fd = -1;
		snprintf(err, errlen, "cannot close %s: %s", tmp,
			 strerror(errno));
		goto cleanup;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = mp_err_errno(errno);
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path,
			 strerror(errno));
		goto cleanup;
	}
	/* make the rename itself durable */
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return MP_OK;
cleanup:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}
