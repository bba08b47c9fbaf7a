#include "autoconfig.h"
#include "statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "error.h"
#include "log.h"

int mp_statefile_save(const char *path, const json_t *state, char *err,
		      size_t errlen)
{
	char *text = json_dumps(state, JSON_INDENT(1) | JSON_SORT_KEYS);
	int rc;

	if (!text) {
		snprintf(err, errlen, "cannot encode state");
		return MP_ENOMEM;
	}
	rc = mp_atomic_write(path, text, strlen(text), 0600, err, errlen);
	free(text);
	return rc;
}

int mp_statefile_load(const char *path, json_t **out, char *err, size_t errlen)
{
	json_error_t je;
	char aside[4096];
	json_t *j;

	*out = NULL;
	err[0] = '\0';
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (j && json_is_object(j)) {
		*out = j;
		return MP_OK;
	}
	if (!j && access(path, F_OK) != 0 && errno == ENOENT)
		return MP_OK; /* first start */
	if (j) {
		snprintf(err, errlen, "%s: not a JSON object", path);
		json_decref(j);
	} else {
		snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
	}
	snprintf(aside, sizeof(aside), "%s.corrupt-%ld", path,
		 (long)time(NULL));
	if (rename(path, aside) < 0) {
		size_t l = strlen(err);
		snprintf(err + l, errlen - l, "; cannot move it aside: %s",
			 strerror(errno));
		return MP_EIO;
	}
	size_t l = strlen(err);
	snprintf(err + l, errlen - l, "; kept as %s", aside);
	return MP_OK;
}

void mp_statefile_write_metrics(struct mp_engine *e, const char *path,
				struct mp_time now)
{
	char err[512];
	char *text = mp_engine_metrics(e, now);

	if (!text) {
		mp_log(LOG_WARNING, "metrics_file: %s", mp_strerror(MP_ENOMEM));
		return;
	}
	if (mp_atomic_write(path, text, strlen(text), 0644, err, sizeof(err)) !=
	    MP_OK)
		mp_log(LOG_WARNING, "metrics_file: %s", err);
	free(text);
}

void mp_statefile_remove_metrics(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		mp_log(LOG_WARNING, "metrics_file: cannot remove %s: %s", path,
		       strerror(errno));
}

int mp_statefile_save_engine(struct mp_engine *e, const char *path,
			     struct mp_time now, char *why, size_t whylen)
{
	char err[512];
	json_t *st;
	int rc;

	if (!mp_engine_state_dirty(e, true))
		return MP_OK;
	st = mp_engine_state_save(e, now);
	rc = st ? mp_statefile_save(path, st, err, sizeof(err)) : MP_ENOMEM;
	json_decref(st);
	if (rc == MP_OK)
		return MP_OK;
	if (!st)
		snprintf(err, sizeof(err), "%s", mp_strerror(rc));
	mp_log(LOG_ERR,
	       "cannot save state (drains, flap penalties): %s; they are kept "
	       "in memory and saved again on the next change",
	       err);
	if (why)
		snprintf(why, whylen, "%s", err);
	return rc;
}

void mp_statefile_restore_engine(struct mp_engine *e, const char *path,
				 struct mp_time now)
{
	char err[1024];
	json_t *st = NULL;

	if (mp_statefile_load(path, &st, err, sizeof(err)) != MP_OK) {
		mp_log(LOG_ERR, "state file: %s; starting without saved drains",
		       err);
		return;
	}
	if (err[0])
		mp_log(LOG_ERR,
		       "state file is corrupt: %s; starting without saved "
		       "drains and penalties",
		       err);
	if (!st)
		return;
	if (mp_engine_state_load(e, st, now, err, sizeof(err)) != MP_OK)
		mp_log(LOG_ERR, "state file %s: %s; ignored", path, err);
	else
		mp_log(LOG_INFO, "state restored from %s", path);
	json_decref(st);
}
