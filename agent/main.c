/* mirrorpoold: arguments, configuration check, start and stop. */
#include "autoconfig.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "config.h"
#include "daemon.h"
#include "diag.h"
#include "error.h"
#include "log.h"
#include "logsink.h"

#define EX_CONFIG_ 78

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: mirrorpoold [-c FILE] [-t|--check-config] [-n|--dry-run]\n"
	    "                   [-v|--verbose] [-V|--version] [-h|--help]\n"
	    "\n"
	    "Keeps the DNS round-robin pools of download mirrors healthy.\n"
	    "\n"
	    "  -c, --config FILE   configuration file (default %s)\n"
	    "  -t, --check-config  validate the configuration and key, print "
	    "a\n"
	    "                      summary and exit (0 valid, 78 invalid)\n"
	    "  -n, --dry-run       check and decide, log UPDATEs, send none\n"
	    "  -v, --verbose       log at debug level\n"
	    "  -V, --version       print the version and exit\n"
	    "  -h, --help          print this help and exit\n",
	    SYSCONFDIR "/mirrorpool/mirrorpool.conf");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check-config", no_argument, NULL, 't'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = SYSCONFDIR "/mirrorpool/mirrorpool.conf";
	int check_only = 0, dry_run = 0, verbose = 0, c, rc;
	struct mp_config *cfg = NULL;
	struct mp_diag diag;

	while ((c = getopt_long(argc, argv, "c:tnvVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check_only = 1;
			break;
		case 'n':
			dry_run = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("mirrorpoold %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mirrorpoold: unexpected argument: %s\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}

	/* The key lives in guarded memory that is kept out of core dumps;
	 * refuse core dumps altogether so no copy in a buffer (a request being
	 * signed) can reach one either. */
	{
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core);
	}
	mp_logsink_setup();
	if (verbose)
		mp_log_set_level(LOG_DEBUG);

	mp_diag_init(&diag);
	rc = mp_config_load_node(path, 0, mp_daemon_host_name(), &cfg, &diag);
	if (rc != MP_OK) {
		for (size_t i = 0; i < diag.n; i++) {
			if (check_only)
				fprintf(stderr, "%s\n", diag.msgs[i]);
			else
				mp_log(LOG_ERR, "%s", diag.msgs[i]);
		}
		if (check_only)
			fprintf(stderr,
				"%s: configuration rejected (%zu error%s)\n",
				path, diag.n, diag.n == 1 ? "" : "s");
		else
			mp_log(LOG_ERR,
			       "%s: configuration rejected, not starting",
			       path);
		mp_diag_clear(&diag);
		return EX_CONFIG_;
	}
	mp_diag_clear(&diag);

	if (check_only) {
		char *summary = mp_config_summary(cfg);
		mp_config_warnings(cfg, &diag);
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "warning: %s\n", diag.msgs[i]);
		mp_diag_clear(&diag);
		if (summary)
			fputs(summary, stdout);
		printf("%s: configuration OK\n", path);
		free(summary);
		mp_config_free(cfg);
		return 0;
	}
	if (verbose)
		mp_log_set_level(LOG_DEBUG);
	else
		mp_log_set_level(cfg->log_level);
	/* mp_daemon_run takes ownership of cfg */
	return mp_daemon_run(path, cfg, dry_run, verbose);
}
