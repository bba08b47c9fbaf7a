/*
 * A reload (SIGHUP or `mirrorpoolctl reload`): the configuration is loaded
 * and checked while the old one runs; a valid one waits for the UPDATE in
 * flight and is then swapped in, a rejected one leaves everything as it
 * was. The daemon's lifecycle refuses a reload while stopping.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/checks.h"
#include "check/jsonpools.h"
#include "clock.h"
#include "control/ctlcmd.h"
#include "daemon.h"
#include "daemon_int.h"
#include "diag.h"
#include "dns/dnsio.h"
#include "engine.h"
#include "error.h"
#include "log.h"
#include "notify.h"

static const char *const life_names[] = {"starting", "running", "reloading",
					 "stopping", "closing"};

static void reload_finish(struct mp_daemon *d, const char *error)
{
	if (d->reload_conn)
		mp_ctlcmd_reply_reload(d->ctlcmd, d->reload_conn, error);
	d->reload_conn = NULL;
	d->life = LIFE_RUNNING;
	mp_notify_ready(NULL);
	if (d->stop_after_reload)
		mp_daemon_begin_stop(d, d->stop_after_reload);
}

static void start_checks(struct mp_daemon *d)
{
	int rc = mp_checks_start(d->checks);

	if (rc == MP_OK)
		rc = mp_jsonpools_start(d->jsonpools);

	if (rc != MP_OK)
		mp_log(LOG_ERR,
		       "cannot schedule the health checks: %s; the published "
		       "records stay as they are until a reload succeeds",
		       mp_strerror(rc));
}

/* The DNS operations are idle: swap the configuration in. */
void mp_daemon_reload_apply(void *arg)
{
	struct mp_daemon *d = arg;
	struct mp_config *ncfg = d->ncfg, *ocfg = d->cfg;
	char err[300];
	int rc;

	d->ncfg = NULL;
	mp_checks_stop(d->checks);
	mp_jsonpools_stop(d->jsonpools);
	rc = mp_engine_reconfigure(d->engine, ncfg, mp_clock_now());
	if (rc != MP_OK) {
		mp_config_free(ncfg);
		snprintf(err, sizeof(err), "reload failed: %s",
			 mp_strerror(rc));
		mp_log(LOG_ERR, "%s; the running configuration stays in force",
		       err);
		mp_engine_reload_result(d->engine, false,
					mp_clock_now().wall_ms);
		start_checks(d);
		mp_dnsio_reloaded(d->dns);
		reload_finish(d, err);
		return;
	}
	d->cfg = ncfg;
	if (strcmp(ncfg->control.socket, ocfg->control.socket) != 0)
		mp_log(LOG_NOTICE,
		       "reload: control.socket changed to %s; it takes effect "
		       "at the next start",
		       ncfg->control.socket);
	mp_log_set_level(d->verbose ? LOG_DEBUG : ncfg->log_level);
	mp_writepace_set_interval(&d->pace, ncfg->state_write_interval_ms);
	mp_dnsio_set_dry_run(d->dns, mp_daemon_dry_run(d));
	mp_engine_set_dry_run(d->engine, mp_daemon_dry_run(d));
	/* the DNS client borrows the key: reconnect before the old one goes */
	mp_dnsio_reloaded(d->dns);
	mp_config_free(ocfg);
	start_checks(d);
	mp_daemon_start_reconcile_timer(d);
	mp_log(LOG_NOTICE,
	       "reload: configuration accepted (%zu pool%s, %zu addresses)",
	       ncfg->n_pools, ncfg->n_pools == 1 ? "" : "s",
	       mp_engine_n_targets(d->engine));
	mp_engine_reload_result(d->engine, true, mp_clock_now().wall_ms);
	mp_daemon_start_metrics_timer(d);
	mp_daemon_change(d, true, NULL, 0); /* on disk before the reply */
	reload_finish(d, NULL);
}

void mp_daemon_request_reload(struct mp_daemon *d, struct mp_ctl_conn *conn,
			      const char *who)
{
	struct mp_config *ncfg = NULL;
	struct mp_diag diag;
	const char *why;
	char err[2048];
	int rc;

	if (d->life != LIFE_RUNNING) {
		snprintf(err, sizeof(err), "reload ignored: the daemon is %s%s",
			 life_names[d->life],
			 d->life == LIFE_STOPPING
			     ? " (it finishes the UPDATE in flight, then exits)"
			     : "");
		mp_log(LOG_WARNING, "%s: %s", who, err);
		if (conn)
			mp_ctlcmd_reply_reload(d->ctlcmd, conn, err);
		return;
	}
	if (!conn)
		mp_log(LOG_NOTICE, "%s: reloading %s", who, d->config_path);
	mp_diag_init(&diag);
	rc = mp_config_load_node(d->config_path, 0, mp_daemon_host_name(),
				 &ncfg, &diag);
	if (rc != MP_OK) {
		char *all = mp_diag_join(&diag, "; ");
		for (size_t i = 0; i < diag.n; i++)
			mp_log(LOG_ERR, "reload: %s", diag.msgs[i]);
		mp_log(LOG_ERR,
		       "reload rejected (%zu error%s); the running "
		       "configuration stays in force",
		       diag.n, diag.n == 1 ? "" : "s");
		snprintf(err, sizeof(err), "new configuration rejected: %s",
			 all ? all : mp_strerror(rc));
		free(all);
		mp_diag_clear(&diag);
		mp_engine_reload_result(d->engine, false,
					mp_clock_now().wall_ms);
		mp_daemon_write_metrics(d);
		if (conn)
			mp_ctlcmd_reply_reload(d->ctlcmd, conn, err);
		return;
	}
	mp_diag_clear(&diag);
	/* A and AAAA per pool at most: room first, so applying cannot fail */
	rc = mp_dnsio_reserve(d->dns, 2 * ncfg->n_pools + 1);
	if (rc != MP_OK) {
		mp_config_free(ncfg);
		snprintf(err, sizeof(err), "reload failed: %s",
			 mp_strerror(rc));
		mp_log(LOG_ERR, "%s", err);
		if (conn)
			mp_ctlcmd_reply_reload(d->ctlcmd, conn, err);
		return;
	}
	mp_notify_reloading(0);
	d->life = LIFE_RELOADING;
	d->ncfg = ncfg;
	d->reload_conn = conn;
	if (mp_dnsio_reload(d->dns, &why) != MP_OK) {
		/* the lifecycle should have refused it already */
		snprintf(err, sizeof(err), "reload ignored: %s", why);
		mp_log(LOG_WARNING, "%s: %s", who, err);
		d->ncfg = NULL;
		mp_config_free(ncfg);
		reload_finish(d, err);
		return;
	}
	if (d->life == LIFE_RELOADING)
		mp_log(LOG_NOTICE, "reload: waiting for the UPDATE in flight");
	/* else reload_apply ran already */
}
