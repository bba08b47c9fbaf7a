/* Placeholder: the libconfig loader and validator land here. */
#include "config.h"
#include "error.h"

#include <stdlib.h>

int mp_config_load(const char *path, unsigned flags, struct mp_config **out,
		   struct mp_diag *d)
{
	(void)flags;
	*out = NULL;
	mp_diag_add(d, path, 0, "configuration loading is not implemented yet");
	return MP_ENOTSUP;
}

void mp_config_free(struct mp_config *cfg)
{
	free(cfg);
}

char *mp_config_summary(const struct mp_config *cfg)
{
	(void)cfg;
	return NULL;
}
