/* mirrorpoold's runtime: the libuv loop and the modules wired to it. */
#ifndef MP_AGENT_DAEMON_H
#define MP_AGENT_DAEMON_H

#include <stdbool.h>

#include "config.h"

/* Runs until SIGTERM/SIGINT; takes ownership of cfg. Returns the exit
 * status (0 after a signal, 1 for a start-up failure). */
int mp_daemon_run(const char *config_path, struct mp_config *cfg, bool dry_run,
		  bool verbose);

/* The host name, the default of the configuration's `node` (the config
 * keeps its first label); NULL when it cannot be had. */
const char *mp_daemon_host_name(void);

#endif
