/* mirrorpoold's runtime: start, the loop's timers and signals, reload,
 * persisted state and an orderly stop. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "daemon.h"
#include "diag.h"
#include "error.h"
#include "log.h"
#include "notify.h"
#include "statefile.h"

#define TICK_MS 1000
#define METRICS_EVERY_MS 15000

uint64_t mp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint32_t rnd_uniform(uint32_t upper)
{
	return upper ? randombytes_uniform(upper) : 0;
}

bool mp_daemon_dry_run(const struct mp_daemon *d)
{
	return d->cli_dry_run || d->cfg->dns.dry_run;
}

static void write_metrics(struct mp_daemon *d, uint64_t now)
{
	char err[512];
	char *text;

	if (!d->cfg->metrics_file)
		return;
	text = mp_engine_metrics(d->engine, now);
	if (!text)
		return;
	if (mp_atomic_write(d->cfg->metrics_file, text, strlen(text), 0644, err,
			    sizeof(err)) != MP_OK)
		mp_log(LOG_WARNING, "metrics_file: %s", err);
	free(text);
	d->metrics_written_ms = now;
}

static void save_state(struct mp_daemon *d)
{
	char err[512];
	json_t *st;

	if (!mp_engine_state_dirty(d->engine, true))
		return;
	st = mp_engine_state_save(d->engine);
	if (!st)
		return;
	if (mp_statefile_save(d->cfg->state_file, st, err, sizeof(err)) !=
	    MP_OK)
		mp_log(LOG_ERR,
		       "cannot save state (drains, flap penalties): %s; they "
		       "are kept in memory and saved again on the next change",
		       err);
	json_decref(st);
}

void mp_daemon_state_changed(struct mp_daemon *d)
{
	char summary[512];
	uint64_t now = mp_now_ms();

	save_state(d);
	mp_engine_summary(d->engine, now, summary, sizeof(summary));
	if (!d->ready_sent && d->first_read_done) {
		d->ready_sent = true;
		mp_notify_ready(summary);
		mp_log(LOG_INFO, "ready: %s", summary);
	} else if (d->ready_sent) {
		mp_notify_status(summary);
	}
}

static void tick_cb(uv_timer_t *t)
{
	struct mp_daemon *d = t->data;
	uint64_t now = mp_now_ms();

	mp_engine_tick(d->engine, now);
	if (mp_engine_state_dirty(d->engine, false)) {
		mp_daemon_state_changed(d);
		mp_dnsops_kick(d);
	}
	if (now - d->metrics_written_ms >= METRICS_EVERY_MS)
		write_metrics(d, now);
}

static void reconcile_cb(uv_timer_t *t)
{
	struct mp_daemon *d = t->data;

	mp_log(LOG_DEBUG, "reconcile: re-reading the managed RRsets");
	mp_dnsops_read_all(d);
}

static void watchdog_cb(uv_timer_t *t)
{
	(void)t;
	mp_notify_watchdog();
}

static void shutdown_now(struct mp_daemon *d);

static const char *signame(int signum)
{
	return signum == SIGTERM  ? "SIGTERM"
	       : signum == SIGINT ? "SIGINT"
				  : "signal";
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct mp_daemon *d = s->data;
	char err[2048];

	if (signum == SIGHUP) {
		mp_log(LOG_NOTICE, "SIGHUP: reloading %s", d->config_path);
		mp_daemon_reload(d, err, sizeof(err));
		return;
	}
	if (d->stopping) {
		mp_log(LOG_WARNING, "%s again: stopping at once",
		       signame(signum));
		shutdown_now(d);
		return;
	}
	d->stopping = true;
	mp_notify_stopping();
	if (d->op == MP_OP_UPDATE) {
		mp_log(LOG_NOTICE,
		       "%s: stopping after the UPDATE in flight completes",
		       signame(signum));
		return; /* dnsops calls mp_dnsops_kick when it ends */
	}
	mp_log(LOG_NOTICE, "%s: stopping", signame(signum));
	shutdown_now(d);
}

static void close_walk_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void shutdown_now(struct mp_daemon *d)
{
	static bool done;

	if (done)
		return;
	done = true;
	d->stopping = true;
	mp_checks_stop(d);
	if (d->dns) {
		mp_dnsclient_close(d->dns, NULL, NULL);
		d->dns = NULL;
	}
	if (d->sched) {
		mp_sched_close(d->sched, NULL, NULL);
		d->sched = NULL;
	}
	if (d->checker) {
		mp_checker_close(d->checker, NULL, NULL);
		d->checker = NULL;
	}
	if (d->ctl) {
		mp_ctl_server_close(d->ctl, NULL, NULL);
		d->ctl = NULL;
	}
	uv_timer_stop(&d->dns_timer);
	uv_timer_stop(&d->reconcile_timer);
	uv_timer_stop(&d->tick_timer);
	uv_timer_stop(&d->watchdog_timer);
	uv_signal_stop(&d->sig_term);
	uv_signal_stop(&d->sig_int);
	uv_signal_stop(&d->sig_hup);
	mp_engine_state_dirty(d->engine, false);
	save_state(d);
	write_metrics(d, mp_now_ms());
	/* the daemon's own handles: every other owner closed its own above */
	uv_close((uv_handle_t *)&d->dns_timer, NULL);
	uv_close((uv_handle_t *)&d->reconcile_timer, NULL);
	uv_close((uv_handle_t *)&d->tick_timer, NULL);
	uv_close((uv_handle_t *)&d->watchdog_timer, NULL);
	uv_close((uv_handle_t *)&d->sig_term, NULL);
	uv_close((uv_handle_t *)&d->sig_int, NULL);
	uv_close((uv_handle_t *)&d->sig_hup, NULL);
}

void mp_daemon_stop_if_stopping(struct mp_daemon *d)
{
	if (d->stopping)
		shutdown_now(d);
}

static void start_reconcile_timer(struct mp_daemon *d)
{
	uint64_t iv = d->cfg->dns.reconcile_interval_ms;
	if (iv > 0)
		uv_timer_start(&d->reconcile_timer, reconcile_cb, iv, iv);
	else
		uv_timer_stop(&d->reconcile_timer);
}

static int new_dnsclient(struct mp_daemon *d)
{
	return mp_dnsclient_new(d->loop, &d->cfg->dns.server_addr,
				d->cfg->dns.port, d->cfg->key, &d->dns);
}

int mp_daemon_reload(struct mp_daemon *d, char *err, size_t errlen)
{
	struct mp_config *ncfg = NULL, *ocfg = d->cfg;
	struct mp_diag diag;
	int rc;

	mp_notify_reloading(0);
	mp_diag_init(&diag);
	rc = mp_config_load(d->config_path, 0, &ncfg, &diag);
	if (rc != MP_OK) {
		char *all = mp_diag_join(&diag, "; ");
		for (size_t i = 0; i < diag.n; i++)
			mp_log(LOG_ERR, "reload: %s", diag.msgs[i]);
		mp_log(
		    LOG_ERR,
		    "reload rejected (%zu error%s); the running configuration "
		    "stays in force",
		    diag.n, diag.n == 1 ? "" : "s");
		snprintf(err, errlen, "new configuration rejected: %s",
			 all ? all : mp_strerror(rc));
		free(all);
		mp_diag_clear(&diag);
		mp_notify_ready(NULL);
		return rc;
	}
	mp_diag_clear(&diag);

	mp_checks_stop(d);
	if (d->dns)
		mp_dnsclient_cancel_all(d->dns);
	rc = mp_engine_reconfigure(d->engine, ncfg, mp_now_ms());
	if (rc != MP_OK) {
		mp_config_free(ncfg);
		snprintf(err, errlen, "reload failed: %s", mp_strerror(rc));
		mp_checks_start(d);
		mp_notify_ready(NULL);
		return rc;
	}
	if (d->dns) {
		mp_dnsclient_close(d->dns, NULL, NULL);
		d->dns = NULL;
	}
	d->cfg = ncfg;
	if (strcmp(ncfg->control.socket, ocfg->control.socket) != 0)
		mp_log(
		    LOG_NOTICE,
		    "reload: control.socket changed to %s; it takes effect at "
		    "the next start",
		    ncfg->control.socket);
	mp_config_free(ocfg);
	mp_log_set_level(d->verbose ? LOG_DEBUG : ncfg->log_level);
	if (new_dnsclient(d) != MP_OK)
		mp_log(LOG_ERR, "reload: cannot create the DNS client");
	/* TLS contexts built again from the CA files as they are now */
	mp_checker_tls_flush(d->checker);
	mp_engine_set_dry_run(d->engine, mp_daemon_dry_run(d));
	d->attempt = 0;
	d->retry_at_ms = 0;
	mp_dnsops_reset(d);
	mp_checks_start(d);
	start_reconcile_timer(d);
	mp_log(LOG_NOTICE,
	       "reload: configuration accepted (%zu pool%s, %zu addresses)",
	       ncfg->n_pools, ncfg->n_pools == 1 ? "" : "s",
	       mp_engine_n_targets(d->engine));
	mp_daemon_state_changed(d);
	mp_notify_ready(NULL);
	return MP_OK;
}

static void load_state(struct mp_daemon *d)
{
	char err[1024];
	json_t *st = NULL;

	if (mp_statefile_load(d->cfg->state_file, &st, err, sizeof(err)) !=
	    MP_OK) {
		mp_log(LOG_ERR, "state file: %s; starting without saved drains",
		       err);
		return;
	}
	if (err[0])
		mp_log(
		    LOG_ERR,
		    "state file is corrupt: %s; starting without saved drains "
		    "and penalties",
		    err);
	if (!st)
		return;
	if (mp_engine_state_load(d->engine, st, mp_now_ms(), err,
				 sizeof(err)) != MP_OK)
		mp_log(LOG_ERR, "state file %s: %s; ignored",
		       d->cfg->state_file, err);
	else
		mp_log(LOG_INFO, "state restored from %s", d->cfg->state_file);
	json_decref(st);
}

int mp_daemon_run(const char *config_path, struct mp_config *cfg, bool dry_run,
		  bool verbose)
{
	struct mp_daemon *d;
	uv_loop_t loop;
	char err[1024], zone[256], key[256], alg[32];
	int rc, exit_code = 0;
	uint64_t wd;

	if (sodium_init() < 0) {
		mp_log(LOG_ERR, "libsodium failed to initialise");
		return 1;
	}
	d = calloc(1, sizeof(*d));
	if (!d || uv_loop_init(&loop) != 0) {
		free(d);
		mp_log(LOG_ERR, "cannot create the event loop");
		return 1;
	}
	d->loop = &loop;
	d->config_path = strdup(config_path);
	d->cli_dry_run = dry_run;
	d->verbose = verbose;
	d->cfg = cfg;
	d->next_id = (uint16_t)randombytes_uniform(65536);
	mp_notify_init();

	rc = mp_engine_new(cfg, rnd_uniform, mp_now_ms(), &d->engine);
	if (rc != MP_OK) {
		mp_log(LOG_ERR, "cannot start: %s", mp_strerror(rc));
		exit_code = 1;
		goto out;
	}
	mp_engine_set_dry_run(d->engine, mp_daemon_dry_run(d));
	load_state(d);

	uv_timer_init(&loop, &d->dns_timer);
	uv_timer_init(&loop, &d->reconcile_timer);
	uv_timer_init(&loop, &d->tick_timer);
	uv_timer_init(&loop, &d->watchdog_timer);
	d->dns_timer.data = d->reconcile_timer.data = d->tick_timer.data =
	    d->watchdog_timer.data = d;
	uv_signal_init(&loop, &d->sig_term);
	uv_signal_init(&loop, &d->sig_int);
	uv_signal_init(&loop, &d->sig_hup);
	d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;

	rc = mp_ctl_server_new(&loop, cfg->control.socket, cfg->control.group,
			       cfg->control.mode, mp_ctlcmd_handle, d, &d->ctl,
			       err, sizeof(err));
	if (rc != MP_OK) {
		mp_log(LOG_ERR, "cannot start: control socket: %s", err);
		exit_code = 1;
		goto stop;
	}
	if (new_dnsclient(d) != MP_OK ||
	    mp_checker_new(&loop, &d->checker) != MP_OK ||
	    mp_sched_new(&loop, d->checker, &d->sched) != MP_OK) {
		mp_log(LOG_ERR,
		       "cannot start: DNS client or checker setup failed");
		exit_code = 1;
		goto stop;
	}
	d->read_pending =
	    calloc(mp_engine_n_rrsets(d->engine) + 1, sizeof(*d->read_pending));
	if (!d->read_pending) {
		exit_code = 1;
		goto stop;
	}
	uv_signal_start(&d->sig_term, on_signal, SIGTERM);
	uv_signal_start(&d->sig_int, on_signal, SIGINT);
	uv_signal_start(&d->sig_hup, on_signal, SIGHUP);
	uv_timer_start(&d->tick_timer, tick_cb, TICK_MS, TICK_MS);
	wd = mp_notify_watchdog_usec();
	if (wd > 0)
		uv_timer_start(&d->watchdog_timer, watchdog_cb, wd / 2000,
			       wd / 2000);
	start_reconcile_timer(d);

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
	mp_checks_start(d);
	mp_dnsops_read_all(d);

	uv_run(&loop, UV_RUN_DEFAULT);
	mp_log(LOG_NOTICE, "stopped");
	goto out;

stop:
	shutdown_now(d);
	uv_run(&loop, UV_RUN_DEFAULT);
out:
	/* anything still open (a failed start) is closed here */
	uv_walk(&loop, close_walk_cb, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) != 0)
		mp_log(LOG_WARNING,
		       "event loop closed with handles still open");
	mp_plan_clear(&d->plan);
	mp_dns_request_clear(&d->req);
	mp_engine_free(d->engine);
	mp_config_free(d->cfg);
	mp_notify_close();
	free(d->read_pending);
	free(d->scheds);
	free(d->sentinels);
	free(d->config_path);
	free(d);
	return exit_code;
}
