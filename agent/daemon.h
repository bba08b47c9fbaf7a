/* mirrorpoold's runtime: the libuv loop and everything wired to it. */
#ifndef MP_AGENT_DAEMON_H
#define MP_AGENT_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "checker.h"
#include "config.h"
#include "control.h"
#include "dnsclient.h"
#include "dnsmsg.h"
#include "engine.h"

struct mp_daemon;

/* One checked address (or sentinel) of the daemon: its entry in the
 * scheduler and the `check` commands waiting for its result. */
struct mp_slot {
	struct mp_daemon *d;
	struct mp_sched_entry *entry;
	size_t idx; /* target index, or sentinel index */
	bool sentinel;
	struct mp_check_cfg sentinel_cfg; /* sentinels: derived check */
	char sentinel_host[256];
	struct mp_ctl_waiter *waiters; /* `check` commands waiting on it */
};

/* A `check` or `sync` command waiting for its reply. */
struct mp_ctl_waiter {
	struct mp_ctl_waiter *next; /* in the sched's / daemon's list */
	struct mp_ctl_pending *pending;
	size_t slot; /* `check`: its place in pending->results */
};
struct mp_ctl_pending {
	struct mp_ctl_conn *conn;
	size_t outstanding;
	json_t *results;
};

enum mp_dns_op {
	MP_OP_IDLE = 0,
	MP_OP_READ,
	MP_OP_UPDATE,
};

struct mp_daemon {
	uv_loop_t *loop;
	char *config_path;
	bool cli_dry_run;
	bool verbose;
	struct mp_config *cfg;
	struct mp_engine *engine;
	struct mp_checker *checker;
	struct mp_dnsclient *dns;
	struct mp_ctl_server *ctl;

	struct mp_sched *sched;	 /* the check timers */
	struct mp_slot **scheds; /* one per target */
	size_t n_scheds;
	struct mp_slot **sentinels;
	size_t n_sentinels;

	/* DNS operations: one in flight at a time (so at most one UPDATE per
	 * zone). */
	enum mp_dns_op op;
	struct mp_dns_request req;
	struct mp_plan plan;
	size_t read_rrset;
	bool *read_pending; /* per RRset */
	size_t n_read_pending;
	bool first_read_done; /* every RRset tried once */
	unsigned attempt;     /* consecutive failures, for backoff */
	uint64_t retry_at_ms; /* no DNS operation before this */
	uint64_t op_started_ms;
	uint16_t next_id;
	uv_timer_t dns_timer;
	uv_timer_t reconcile_timer;
	uv_timer_t tick_timer;
	uv_timer_t watchdog_timer;
	uv_signal_t sig_term, sig_int, sig_hup;
	int handles_open;

	struct mp_ctl_waiter *sync_waiters;
	bool ready_sent;
	bool stopping;
	int exit_code;
	uint64_t metrics_written_ms;
};

/* Wall clock in ms (the engine's time base). */
uint64_t mp_now_ms(void);

/* Runs until SIGTERM/SIGINT; takes ownership of cfg. Returns the exit
 * status (0 after a signal, 1 for a start-up failure). */
int mp_daemon_run(const char *config_path, struct mp_config *cfg, bool dry_run,
		  bool verbose);

/* dnsops.c */
void mp_dnsops_kick(struct mp_daemon *d);     /* run the pump soon */
void mp_dnsops_read_all(struct mp_daemon *d); /* queue reads */
void mp_dnsops_reset(struct mp_daemon *d);    /* after reload */
bool mp_dnsops_busy(const struct mp_daemon *d);

/* checks.c */
int mp_checks_start(struct mp_daemon *d);
void mp_checks_stop(struct mp_daemon *d);
int mp_checks_run_now(struct mp_daemon *d, const char *mirror,
		      struct mp_ctl_pending *p);

/* ctlcmd.c */
void mp_ctlcmd_handle(void *arg, struct mp_ctl_conn *conn,
		      const struct mp_ctl_request *rq,
		      const struct mp_ctl_peer *peer);
/* Replies to `sync` waiters: with error, or once no read is pending. */
void mp_ctlcmd_sync_done(struct mp_daemon *d, const char *error);
void mp_ctl_pending_done(struct mp_ctl_pending *p);

/* daemon.c */
int mp_daemon_reload(struct mp_daemon *d, char *err, size_t errlen);
void mp_daemon_state_changed(struct mp_daemon *d);
/* After a DNS operation ends: completes a stop that waited for it. */
void mp_daemon_stop_if_stopping(struct mp_daemon *d);
bool mp_daemon_dry_run(const struct mp_daemon *d);

#endif
