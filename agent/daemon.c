/*
 * mirrorpoold's runtime: one lifecycle (starting, running, reloading,
 * stopping, closing) around the engine. The daemon owns the checks
 * (checks.h), the DNS operations (dnsio.h) and the control commands
 * (ctlcmd.h); each reports back here through callbacks, and every change of
 * the engine's state goes through mp_daemon_change(). A reload's loading
 * and swap are in daemon_reload.c.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "check/checks.h"
#include "check/jsonpools.h"
#include "clock.h"
#include "control/control.h"
#include "control/ctlcmd.h"
#include "daemon.h"
#include "daemon_int.h"
#include "dns/dnsio.h"
#include "error.h"
#include "log.h"
#include "notify.h"
#include "store/atomicfile.h"
#include "store/statefile.h"
#include "writepace.h"

#define METRICS_EVERY_MS 15000
/* A deadline the engine still gives after its tick (it should not): look
 * again this much later instead of spinning. */
#define DEADLINE_RETRY_MS 1000

bool mp_daemon_dry_run(const struct mp_daemon *d)
{
	return d->cli_dry_run || d->cfg->dns.dry_run;
}

/* Writes the state file now, when the engine's state changed; MP_OK or
 * the failure (logged; why set when not NULL). */
static int save_state(struct mp_daemon *d, char *why, size_t whylen)
{
	struct mp_time now = mp_clock_now();

	uv_timer_stop(&d->state_timer);
	mp_writepace_wrote(&d->pace, now.mono_ms);
	return mp_statefile_save_engine(d->engine, d->cfg->state_file, now, why,
					whylen);
}

static void state_timer_cb(uv_timer_t *t)
{
	struct mp_daemon *d = t->data;
	uint64_t delay = mp_writepace_next(&d->pace, mp_clock_now().mono_ms);

	if (delay == MP_WRITEPACE_NONE)
		return;
	if (delay > 0)
		uv_timer_start(t, state_timer_cb, delay, 0);
	else
		save_state(d, NULL, 0);
}

/* A change to persist: written at once when urgent (an operator's action,
 * answered once it is on disk) or when the pace allows, else by the timer
 * at the end of state_write_interval, with whatever else changes by then. */
static int persist_state(struct mp_daemon *d, bool urgent, char *why,
			 size_t whylen)
{
	uint64_t delay;

	if (!mp_engine_state_dirty(d->engine, false))
		return MP_OK;
	delay = mp_writepace_changed(&d->pace, mp_clock_now().mono_ms);
	if (urgent || delay == 0)
		return save_state(d, why, whylen);
	if (!uv_is_active((uv_handle_t *)&d->state_timer))
		uv_timer_start(&d->state_timer, state_timer_cb, delay, 0);
	return MP_OK;
}

void mp_daemon_write_metrics(struct mp_daemon *d)
{
	if (d->cfg->metrics_file)
		mp_statefile_write_metrics(d->engine, d->cfg->metrics_file,
					   mp_clock_now());
}

static void deadline_cb(uv_timer_t *t);

/* No periodic tick: one timer, set to the engine's next deadline (a
 * drain's end, a damped address's reuse) whenever its state changed. */
static void arm_deadline(struct mp_daemon *d, bool after_tick)
{
	uint64_t at = mp_engine_next_deadline(d->engine);
	uint64_t now = mp_clock_now().mono_ms, delay;

	if (at == UINT64_MAX || d->life == LIFE_CLOSING) {
		uv_timer_stop(&d->deadline_timer);
		return;
	}
	if (at > now)
		delay = at - now;
	else
		delay = after_tick ? DEADLINE_RETRY_MS : 0;
	uv_timer_start(&d->deadline_timer, deadline_cb, delay, 0);
}

/* The one place a change of the engine's state goes: persist it, tell
 * systemd, and let the DNS operations plan again. */
int mp_daemon_change(struct mp_daemon *d, bool urgent, char *why, size_t whylen)
{
	char summary[512];
	int rc;

	if (d->life == LIFE_CLOSING)
		return MP_OK;
	rc = persist_state(d, urgent, why, whylen);
	mp_engine_summary(d->engine, mp_clock_now(), summary, sizeof(summary));
	if (!d->ready_sent && d->first_round_done) {
		d->ready_sent = true;
		mp_notify_ready(summary);
		mp_log(LOG_INFO, "ready: %s", summary);
	} else if (d->ready_sent) {
		mp_notify_status(summary);
	}
	if (d->dns)
		mp_dnsio_kick(d->dns);
	/* a drain or a freeze change may change what a JSON pool serves */
	mp_jsonpools_refresh(d->jsonpools);
	arm_deadline(d, false);
	return rc;
}

static void state_changed(struct mp_daemon *d)
{
	mp_daemon_change(d, false, NULL, 0);
}

static void deadline_cb(uv_timer_t *t)
{
	struct mp_daemon *d = t->data;

	mp_engine_tick(d->engine, mp_clock_now());
	if (mp_engine_state_dirty(d->engine, false))
		state_changed(d);
	arm_deadline(d, true);
}

static void metrics_cb(uv_timer_t *t)
{
	mp_daemon_write_metrics(t->data);
}

static void reconcile_cb(uv_timer_t *t)
{
	struct mp_daemon *d = t->data;

	mp_log(LOG_DEBUG, "reconcile: re-reading the managed RRsets");
	mp_dnsio_reread(d->dns, false);
}

static void watchdog_cb(uv_timer_t *t)
{
	(void)t;
	mp_notify_watchdog();
}

void mp_daemon_start_metrics_timer(struct mp_daemon *d)
{
	mp_daemon_write_metrics(d);
	if (d->cfg->metrics_file)
		uv_timer_start(&d->metrics_timer, metrics_cb, METRICS_EVERY_MS,
			       METRICS_EVERY_MS);
	else
		uv_timer_stop(&d->metrics_timer);
}

void mp_daemon_start_reconcile_timer(struct mp_daemon *d)
{
	uint64_t iv = d->cfg->dns.reconcile_interval_ms;
	if (iv > 0)
		uv_timer_start(&d->reconcile_timer, reconcile_cb, iv, iv);
	else
		uv_timer_stop(&d->reconcile_timer);
}

/* ---- stop ------------------------------------------------------------- */

static void close_walk_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* Closes every module and handle; the loop then ends. */
static void shutdown_now(struct mp_daemon *d)
{
	if (d->life == LIFE_CLOSING)
		return;
	d->life = LIFE_CLOSING;
	/* checks first: a pending `check` command gets its answer while
	 * the control socket is still open */
	mp_checks_close(d->checks);
	d->checks = NULL;
	mp_jsonpools_close(d->jsonpools);
	d->jsonpools = NULL;
	mp_dnsio_close(d->dns);
	d->dns = NULL;
	if (d->ctl)
		mp_ctl_server_close(d->ctl, NULL, NULL);
	d->ctl = NULL;
	d->reload_conn = NULL; /* dropped with the control socket */
	mp_ctlcmd_free(d->ctlcmd);
	d->ctlcmd = NULL;
	mp_config_free(d->ncfg);
	d->ncfg = NULL;
	save_state(d, NULL, 0);
	if (d->cfg->metrics_file)
		mp_statefile_remove_metrics(d->cfg->metrics_file);
	/* the daemon's own handles: every module closed its own above */
	uv_walk(d->loop, close_walk_cb, NULL);
}

static void dns_stopped(void *arg)
{
	shutdown_now(arg);
}

void mp_daemon_begin_stop(struct mp_daemon *d, const char *why)
{
	d->life = LIFE_STOPPING;
	mp_notify_stopping();
	if (mp_dnsio_updating(d->dns))
		mp_log(LOG_NOTICE,
		       "%s: stopping after the UPDATE in flight completes",
		       why);
	else
		mp_log(LOG_NOTICE, "%s: stopping", why);
	/* no new results: the engine stays as the last UPDATE leaves it */
	mp_checks_stop(d->checks);
	mp_jsonpools_stop(d->jsonpools);
	mp_dnsio_stop(d->dns); /* dns_stopped follows, maybe at once */
}

static const char *signame(int signum)
{
	return signum == SIGTERM  ? "SIGTERM"
	       : signum == SIGINT ? "SIGINT"
				  : "SIGHUP";
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct mp_daemon *d = s->data;

	if (signum == SIGHUP) {
		mp_daemon_request_reload(d, NULL, "SIGHUP");
		return;
	}
	switch (d->life) {
	case LIFE_STARTING:
	case LIFE_RUNNING:
		mp_daemon_begin_stop(d, signame(signum));
		break;
	case LIFE_RELOADING:
		mp_log(LOG_NOTICE,
		       "%s: stopping once the reload in progress settles",
		       signame(signum));
		d->stop_after_reload = signame(signum);
		break;
	case LIFE_STOPPING:
		mp_log(LOG_WARNING, "%s again: stopping at once",
		       signame(signum));
		shutdown_now(d);
		break;
	case LIFE_CLOSING:
		break;
	}
}

/* ---- what the modules report ------------------------------------------ */

static void engine_changed(void *arg)
{
	state_changed(arg);
}

/* A drain or an undrain: its reply follows, once it is on disk. */
static int ctl_changed(void *arg, char *why, size_t whylen)
{
	return mp_daemon_change(arg, true, why, whylen);
}

static void dns_first_round(void *arg)
{
	struct mp_daemon *d = arg;
	d->first_round_done = true;
}

static void dns_reads_done(void *arg, const char *error)
{
	struct mp_daemon *d = arg;
	if (d->ctlcmd)
		mp_ctlcmd_sync_done(d->ctlcmd, error);
}

static void check_report(void *arg, json_t *results)
{
	mp_ctlcmd_reply_checks(arg, results);
}

static int ctl_check(void *arg, struct mp_ctl_conn *conn, const char *mirror)
{
	struct mp_daemon *d = arg;
	int rc = mp_checks_run_now(d->checks, mirror, check_report, conn);

	/* not a DNS-pool mirror: perhaps a JSON pool's */
	if (rc == MP_ENOENT && mirror)
		rc = mp_jsonpools_run_now(d->jsonpools, mirror, check_report,
					  conn);
	return rc;
}

static void ctl_sync(void *arg)
{
	struct mp_daemon *d = arg;
	mp_dnsio_reread(d->dns, true);
}

static void ctl_reload(void *arg, struct mp_ctl_conn *conn)
{
	mp_daemon_request_reload(arg, conn, "control");
}

static bool ctl_dry_run(void *arg)
{
	return mp_daemon_dry_run(arg);
}

/* ---- start ------------------------------------------------------------ */

static uint32_t rnd_uniform(uint32_t upper)
{
	return upper ? randombytes_uniform(upper) : 0;
}

/* The JSON pools' outputs are served to everyone. */
static int write_public(void *arg, const char *path, const char *text,
			size_t len, char *err, size_t errlen)
{
	(void)arg;
	return mp_atomic_write(path, text, len, 0644, err, errlen);
}

/* The modules and handles; a message on failure. */
static int start_modules(struct mp_daemon *d)
{
	const struct mp_dnsio_events dev = {
	    .arg = d,
	    .changed = engine_changed,
	    .first_round = dns_first_round,
	    .reads_done = dns_reads_done,
	    .reload_ready = mp_daemon_reload_apply,
	    .stopped = dns_stopped,
	};
	const struct mp_ctlcmd_ops cops = {
	    .arg = d,
	    .now = mp_clock_now,
	    .changed = ctl_changed,
	    .check = ctl_check,
	    .sync = ctl_sync,
	    .reload = ctl_reload,
	    .dry_run = ctl_dry_run,
	};
	const struct mp_jsonpools_ops jops = {
	    .arg = d,
	    .now = mp_clock_now,
	    .changed = engine_changed,
	    .write = write_public,
	};
	const struct mp_config *cfg = d->cfg;
	char err[1024];
	int rc;

	uv_timer_init(d->loop, &d->reconcile_timer);
	uv_timer_init(d->loop, &d->deadline_timer);
	uv_timer_init(d->loop, &d->metrics_timer);
	uv_timer_init(d->loop, &d->watchdog_timer);
	uv_timer_init(d->loop, &d->state_timer);
	d->reconcile_timer.data = d->deadline_timer.data =
	    d->metrics_timer.data = d->watchdog_timer.data =
		d->state_timer.data = d;
	uv_signal_init(d->loop, &d->sig_term);
	uv_signal_init(d->loop, &d->sig_int);
	uv_signal_init(d->loop, &d->sig_hup);
	d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;

	rc = mp_ctlcmd_new(d->engine, &cops, &d->ctlcmd);
	if (rc != MP_OK) {
		mp_log(LOG_ERR, "cannot start: %s", mp_strerror(rc));
		return rc;
	}
	rc = mp_ctl_server_new(d->loop, cfg->control.socket, cfg->control.group,
			       cfg->control.mode, mp_ctlcmd_handle, d->ctlcmd,
			       &d->ctl, err, sizeof(err));
	if (rc != MP_OK) {
		mp_log(LOG_ERR, "cannot start: control socket: %s", err);
		return rc;
	}
	rc = mp_dnsio_new(d->loop, d->engine, mp_clock_now, rnd_uniform, &dev,
			  &d->dns);
	if (rc != MP_OK) {
		mp_log(LOG_ERR, "cannot start: DNS client: %s",
		       mp_strerror(rc));
		return rc;
	}
	mp_dnsio_set_dry_run(d->dns, mp_daemon_dry_run(d));
	rc = mp_checks_new(d->loop, d->engine, mp_clock_now, engine_changed, d,
			   &d->checks);
	if (rc == MP_OK)
		rc = mp_jsonpools_new(d->loop, d->engine, &jops, &d->jsonpools);
	if (rc == MP_OK)
		rc = mp_checks_start(d->checks);
	if (rc == MP_OK)
		rc = mp_jsonpools_start(d->jsonpools);
	if (rc != MP_OK) {
		mp_log(LOG_ERR, "cannot start: health checks: %s",
		       mp_strerror(rc));
		return rc;
	}
	return MP_OK;
}

static void log_start(struct mp_daemon *d)
{
	const struct mp_config *cfg = d->cfg;
	char zone[256], key[256], alg[32];

	mp_log(LOG_NOTICE,
	       "mirrorpoold %s starting: %zu pool%s, %zu addresses; primary %s "
	       "port %u, zone %s, key %s (%s)%s",
	       PACKAGE_VERSION, cfg->n_pools, cfg->n_pools == 1 ? "" : "s",
	       mp_engine_n_targets(d->engine), cfg->dns.server,
	       (unsigned)cfg->dns.port,
	       mp_name_text(cfg->dns.zone, zone, sizeof(zone)),
	       mp_name_text(mp_tsig_key_name(cfg->key), key, sizeof(key)),
	       mp_name_text(mp_tsig_alg_name(mp_tsig_key_alg(cfg->key)), alg,
			    sizeof(alg)),
	       mp_daemon_dry_run(d) ? "; DRY RUN: no UPDATE is sent" : "");
}

int mp_daemon_run(const char *config_path, struct mp_config *cfg, bool dry,
		  bool verbose)
{
	struct mp_daemon *d;
	uv_loop_t loop;
	int rc, exit_code = 0;
	uint64_t wd;

	if (sodium_init() < 0) {
		mp_log(LOG_ERR, "libsodium failed to initialise");
		mp_config_free(cfg);
		return 1;
	}
	d = calloc(1, sizeof(*d));
	if (!d || uv_loop_init(&loop) != 0) {
		free(d);
		mp_config_free(cfg);
		mp_log(LOG_ERR, "cannot create the event loop");
		return 1;
	}
	d->loop = &loop;
	d->cfg = cfg;
	d->cli_dry_run = dry;
	d->verbose = verbose;
	d->config_path = strdup(config_path);
	mp_writepace_init(&d->pace, cfg->state_write_interval_ms);
	mp_notify_init();

	rc = d->config_path
		 ? mp_engine_new(cfg, rnd_uniform, mp_clock_now(), &d->engine)
		 : MP_ENOMEM;
	if (rc != MP_OK) {
		mp_log(LOG_ERR, "cannot start: %s", mp_strerror(rc));
		exit_code = 1;
		goto out;
	}
	mp_engine_set_dry_run(d->engine, mp_daemon_dry_run(d));
	mp_engine_set_build(d->engine, PACKAGE_VERSION, mp_clock_now().wall_ms);
	mp_statefile_restore_engine(d->engine, d->cfg->state_file,
				    mp_clock_now());
	if (start_modules(d) != MP_OK) {
		exit_code = 1;
		shutdown_now(d);
		uv_run(&loop, UV_RUN_DEFAULT);
		goto out;
	}
	uv_signal_start(&d->sig_term, on_signal, SIGTERM);
	uv_signal_start(&d->sig_int, on_signal, SIGINT);
	uv_signal_start(&d->sig_hup, on_signal, SIGHUP);
	arm_deadline(d, false); /* drains and damping restored from the state */
	mp_daemon_start_metrics_timer(d);
	wd = mp_notify_watchdog_usec();
	if (wd > 0)
		uv_timer_start(&d->watchdog_timer, watchdog_cb, wd / 2000,
			       wd / 2000);
	mp_daemon_start_reconcile_timer(d);
	log_start(d);
	d->life = LIFE_RUNNING;
	mp_dnsio_kick(d->dns); /* the first reads */

	uv_run(&loop, UV_RUN_DEFAULT);
	mp_log(LOG_NOTICE, "stopped");
out:
	/* anything still open (a failed start) is closed here */
	uv_walk(&loop, close_walk_cb, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) != 0)
		mp_log(LOG_WARNING,
		       "event loop closed with handles still open");
	mp_engine_free(d->engine);
	mp_config_free(d->cfg);
	mp_notify_close();
	free(d->config_path);
	free(d);
	return exit_code;
}

const char *mp_daemon_host_name(void)
{
	static char host[256];

	if (gethostname(host, sizeof(host) - 1) != 0)
		return NULL;
	host[sizeof(host) - 1] = '\0';
	return host;
}
