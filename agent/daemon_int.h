/*
 * Internal to the daemon: daemon.c holds the lifecycle, the start, the stop
 * and what the modules report; daemon_reload.c loads a new configuration
 * and swaps it in once the DNS operations are idle.
 */
#ifndef MP_AGENT_DAEMON_INT_H
#define MP_AGENT_DAEMON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "writepace.h"

struct mp_engine;
struct mp_checks;
struct mp_jsonpools;
struct mp_dnsio;
struct mp_ctlcmd;
struct mp_ctl_server;
struct mp_ctl_conn;

enum mp_life {
	LIFE_STARTING = 0,
	LIFE_RUNNING,
	LIFE_RELOADING, /* a new configuration waits for the UPDATE in flight */
	LIFE_STOPPING,	/* waits for the UPDATE in flight (dns.timeout) */
	LIFE_CLOSING,	/* handles are closing; the loop ends */
};

struct mp_daemon {
	uv_loop_t *loop;
	enum mp_life life;
	char *config_path;
	bool cli_dry_run;
	bool verbose;
	struct mp_config *cfg;
	struct mp_engine *engine;
	struct mp_checks *checks;
	struct mp_jsonpools *jsonpools;
	struct mp_dnsio *dns;
	struct mp_ctlcmd *ctlcmd;
	struct mp_ctl_server *ctl;

	/* LIFE_RELOADING: the configuration to apply, who asked */
	struct mp_config *ncfg;
	struct mp_ctl_conn *reload_conn;
	const char *stop_after_reload; /* a signal's name, or NULL */

	uv_timer_t reconcile_timer;
	uv_timer_t deadline_timer; /* the engine's next time-driven change */
	uv_timer_t metrics_timer;  /* metrics_file only */
	uv_timer_t state_timer;	   /* armed to the paced state write */
	struct mp_writepace pace;
	uv_timer_t watchdog_timer;
	uv_signal_t sig_term, sig_int, sig_hup;

	bool first_round_done; /* every RRset tried once */
	bool ready_sent;
};

/* daemon.c */

/* Whether UPDATEs are only logged (the command line's or the config's). */
bool mp_daemon_dry_run(const struct mp_daemon *d);
/* The one place a change of the engine's state goes: persisted (at once
 * when urgent), told to systemd, and the DNS operations plan again. MP_OK
 * or the failure to write the state (why set when not NULL). */
int mp_daemon_change(struct mp_daemon *d, bool urgent, char *why,
		     size_t whylen);
/* Stops checking, finishes or abandons the UPDATE in flight, then exits. */
void mp_daemon_begin_stop(struct mp_daemon *d, const char *why);
/* The metrics file now (when configured), and its timer. */
void mp_daemon_write_metrics(struct mp_daemon *d);
void mp_daemon_start_metrics_timer(struct mp_daemon *d);
void mp_daemon_start_reconcile_timer(struct mp_daemon *d);

/* daemon_reload.c */

/* Loads the configuration again and, when it is valid, swaps it in once
 * the DNS operations are idle; refused unless the daemon is running. conn:
 * the control connection to answer, or NULL (who: "SIGHUP"). */
void mp_daemon_request_reload(struct mp_daemon *d, struct mp_ctl_conn *conn,
			      const char *who);
/* The DNS operations are idle (their reload_ready event): swap it in. */
void mp_daemon_reload_apply(void *arg);

#endif
