/* What the daemon does for each control command (SPEC §1, §6). */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "error.h"
#include "log.h"

static void reply_error(struct mp_ctl_conn *conn, const char *msg)
{
	char *line = mp_ctl_reply_error("%s", msg);
	mp_ctl_conn_reply(conn, line);
}

static void reply_ok(struct mp_ctl_conn *conn, json_t *fields)
{
	char *line = mp_ctl_reply_ok(fields);
	if (!line) {
		reply_error(conn, "out of memory");
		return;
	}
	mp_ctl_conn_reply(conn, line);
}

static void log_command(const struct mp_ctl_request *rq,
			const struct mp_ctl_peer *peer, const char *outcome)
{
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;
	char *enc = mp_ctl_request_encode(rq);

	f.caller_uid = peer->uid;
	f.mirror = rq->mirror;
	f.address = rq->has_address ? rq->address.text : NULL;
	mp_logf(rq->cmd == MP_CTL_STATUS || rq->cmd == MP_CTL_METRICS
		    ? LOG_INFO
		    : LOG_NOTICE,
		&f, "control: %s from %s (uid %ld, pid %ld): %s",
		mp_ctl_cmd_name(rq->cmd), peer->user, peer->uid, peer->pid,
		outcome);
	(void)enc;
	free(enc);
}

void mp_ctl_pending_done(struct mp_ctl_pending *p)
{
	json_t *fields;

	if (p->outstanding > 0)
		return;
	/* a check cancelled by a reload left its slot empty */
	for (size_t i = json_array_size(p->results); i-- > 0;)
		if (json_is_null(json_array_get(p->results, i)))
			json_array_remove(p->results, i);
	fields = json_object();
	json_object_set_new(fields, "results", p->results);
	reply_ok(p->conn, fields);
	free(p);
}

void mp_ctlcmd_sync_done(struct mp_daemon *d, const char *error)
{
	struct mp_ctl_waiter *w = d->sync_waiters, *next;

	if (!error && d->n_read_pending > 0)
		return;
	d->sync_waiters = NULL;
	for (; w; w = next) {
		struct mp_ctl_pending *p = w->pending;
		if (error) {
			char *line = mp_ctl_reply_error(
			    "could not read the RRsets from the primary: %s",
			    error);
			next = w->next;
			mp_ctl_conn_reply(p->conn, line);
			free(p);
			free(w);
			continue;
		}
		json_t *fields =
		    mp_engine_status(d->engine, NULL, PACKAGE_VERSION,
				     mp_daemon_dry_run(d), mp_now_ms());
		json_t *dns = json_object_get(fields, "dns");
		json_t *out = json_object();
		json_t *pools = json_object_get(fields, "pools");
		json_object_set(out, "dns", dns);
		json_object_set(out, "pools", pools);
		json_decref(fields);
		next = w->next;
		reply_ok(p->conn, out);
		free(p);
		free(w);
	}
}

void mp_ctlcmd_handle(void *arg, struct mp_ctl_conn *conn,
		      const struct mp_ctl_request *rq,
		      const struct mp_ctl_peer *peer)
{
	struct mp_daemon *d = arg;
	char err[600];
	int rc;

	switch (rq->cmd) {
	case MP_CTL_STATUS: {
		json_t *st;
		if (rq->pool && !mp_config_pool(d->cfg, rq->pool)) {
			char abs[300];
			snprintf(abs, sizeof(abs), "%s.", rq->pool);
			if (!mp_config_pool(d->cfg, abs)) {
				snprintf(err, sizeof(err),
					 "no pool named \"%s\"", rq->pool);
				log_command(rq, peer, err);
				reply_error(conn, err);
				return;
			}
		}
		st = mp_engine_status(d->engine, NULL, PACKAGE_VERSION,
				      mp_daemon_dry_run(d), mp_now_ms());
		if (rq->pool) {
			json_t *pools = json_object_get(st, "pools"),
			       *keep = json_array();
			size_t i;
			json_t *p;
			json_array_foreach(pools, i, p)
			{
				const char *n = json_string_value(
				    json_object_get(p, "name"));
				size_t l = strlen(rq->pool);
				if (n && (strcmp(n, rq->pool) == 0 ||
					  (strncmp(n, rq->pool, l) == 0 &&
					   strcmp(n + l, ".") == 0)))
					json_array_append(keep, p);
			}
			json_object_set_new(st, "pools", keep);
		}
		log_command(rq, peer, "ok");
		reply_ok(conn, json_pack("{s:o}", "status", st));
		return;
	}
	case MP_CTL_METRICS: {
		char *text = mp_engine_metrics(d->engine, mp_now_ms());
		if (!text) {
			reply_error(conn, "out of memory");
			return;
		}
		log_command(rq, peer, "ok");
		reply_ok(conn, json_pack("{s:s}", "metrics", text));
		free(text);
		return;
	}
	case MP_CTL_DRAIN: {
		char emptied[400];
		json_t *fields;
		struct mp_drain_request dr = {
		    .mirror = rq->mirror,
		    .address = rq->has_address ? &rq->address : NULL,
		    .reason = rq->reason,
		    .by = peer->user,
		    .uid = peer->uid,
		    .for_ms = rq->for_ms,
		    .force = rq->force,
		    .update = rq->update,
		    .emptied = emptied,
		    .emptied_len = sizeof(emptied),
		};
		rc = mp_engine_drain(d->engine, &dr, mp_now_ms(), err,
				     sizeof(err));
		if (rc != MP_OK) {
			log_command(rq, peer, err);
			reply_error(conn, err);
			return;
		}
		log_command(rq, peer, "accepted");
		mp_daemon_state_changed(d);
		mp_dnsops_kick(d);
		snprintf(err, sizeof(err), "%s%s%s %s%s", rq->mirror,
			 rq->has_address ? " " : "",
			 rq->has_address ? rq->address.text : "",
			 rq->update ? "drain updated" : "drained",
			 rq->update ? ""
			 : mp_daemon_dry_run(d)
			     ? " (dry run: DNS is not changed)"
			     : "; its records leave the pool now");
		fields = json_pack("{s:s}", "message", err);
		if (emptied[0]) {
			snprintf(err, sizeof(err),
				 "this leaves %s empty: clients get no "
				 "address for it",
				 emptied);
			json_object_set_new(fields, "warnings",
					    json_pack("[s]", err));
		}
		reply_ok(conn, fields);
		return;
	}
	case MP_CTL_UNDRAIN:
		rc = mp_engine_undrain(d->engine, rq->mirror,
				       rq->has_address ? &rq->address : NULL,
				       peer->user, peer->uid, mp_now_ms(), err,
				       sizeof(err));
		if (rc != MP_OK) {
			log_command(rq, peer, err);
			reply_error(conn, err);
			return;
		}
		log_command(rq, peer, "accepted");
		mp_daemon_state_changed(d);
		mp_dnsops_kick(d);
		snprintf(
		    err, sizeof(err),
		    "%s%s%s undrained; it returns to the pool once healthy",
		    rq->mirror, rq->has_address ? " " : "",
		    rq->has_address ? rq->address.text : "");
		reply_ok(conn, json_pack("{s:s}", "message", err));
		return;
	case MP_CTL_CHECK: {
		struct mp_ctl_pending *p = calloc(1, sizeof(*p));
		if (!p) {
			reply_error(conn, "out of memory");
			return;
		}
		p->conn = conn;
		p->results = json_array();
		rc = mp_checks_run_now(d, rq->mirror, p);
		if (rc != MP_OK) {
			snprintf(err, sizeof(err), "%s",
				 rc == MP_ENOENT ? "no such mirror"
						 : mp_strerror(rc));
			if (rq->mirror && rc == MP_ENOENT)
				snprintf(err, sizeof(err),
					 "no mirror named \"%s\"", rq->mirror);
			json_decref(p->results);
			free(p);
			log_command(rq, peer, err);
			reply_error(conn, err);
			return;
		}
		log_command(rq, peer, "running checks");
		mp_ctl_pending_done(
		    p); /* replies at once if nothing to wait for */
		return;
	}
	case MP_CTL_SYNC: {
		struct mp_ctl_waiter *w = calloc(1, sizeof(*w));
		struct mp_ctl_pending *p = calloc(1, sizeof(*p));
		if (!w || !p) {
			free(w);
			free(p);
			reply_error(conn, "out of memory");
			return;
		}
		p->conn = conn;
		w->pending = p;
		w->next = d->sync_waiters;
		d->sync_waiters = w;
		log_command(rq, peer, "re-reading the RRsets");
		d->retry_at_ms = 0; /* an operator asked: skip the backoff */
		mp_dnsops_read_all(d);
		return;
	}
	case MP_CTL_RELOAD:
		rc = mp_daemon_reload(d, err, sizeof(err));
		log_command(rq, peer, rc == MP_OK ? "accepted" : "rejected");
		if (rc != MP_OK) {
			reply_error(conn, err);
			return;
		}
		reply_ok(conn, json_pack("{s:s}", "message",
					 "new configuration accepted"));
		return;
	}
	reply_error(conn, "unknown command");
}
