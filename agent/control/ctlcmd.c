/* What the daemon does for each control command (SPEC §1, §6). */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlcmd.h"
#include "error.h"
#include "log.h"

/* A `sync` command waiting for the reads. */
struct sync_waiter {
	struct sync_waiter *next;
	struct mp_ctl_conn *conn;
};

/* A `reload` waiting for the DNS operation in flight. */
struct reload_waiter {
	struct reload_waiter *next;
	struct mp_ctl_conn *conn;
	struct mp_ctl_peer peer;
};

struct mp_ctlcmd {
	struct mp_engine *engine;
	struct mp_ctlcmd_ops ops;
	struct sync_waiter *sync_waiters;
	struct reload_waiter *reload_waiters;
};

int mp_ctlcmd_new(struct mp_engine *engine, const struct mp_ctlcmd_ops *ops,
		  struct mp_ctlcmd **out)
{
	struct mp_ctlcmd *c = calloc(1, sizeof(*c));

	*out = c;
	if (!c)
		return MP_ENOMEM;
	c->engine = engine;
	c->ops = *ops;
	return MP_OK;
}

void mp_ctlcmd_free(struct mp_ctlcmd *c)
{
	struct sync_waiter *w, *next;
	struct reload_waiter *r, *rnext;

	if (!c)
		return;
	for (w = c->sync_waiters; w; w = next) {
		next = w->next;
		free(w);
	}
	for (r = c->reload_waiters; r; r = rnext) {
		rnext = r->next;
		free(r);
	}
	free(c);
}

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

	f.caller_uid = peer->uid;
	f.mirror = rq->mirror;
	f.address = rq->has_address ? rq->address.text : NULL;
	mp_logf(rq->cmd == MP_CTL_STATUS || rq->cmd == MP_CTL_METRICS
		    ? LOG_INFO
		    : LOG_NOTICE,
		&f, "control: %s from %s (uid %ld, pid %ld): %s",
		mp_ctl_cmd_name(rq->cmd), peer->user, peer->uid, peer->pid,
		outcome);
}

void mp_ctlcmd_reply_checks(struct mp_ctl_conn *conn, json_t *results)
{
	reply_ok(conn, json_pack("{s:O}", "results", results));
}

void mp_ctlcmd_reply_reload(struct mp_ctlcmd *c, struct mp_ctl_conn *conn,
			    const char *error)
{
	struct reload_waiter **pp = &c->reload_waiters, *r;
	struct mp_ctl_request rq;

	while (*pp && (*pp)->conn != conn)
		pp = &(*pp)->next;
	r = *pp;
	if (r) {
		*pp = r->next;
		memset(&rq, 0, sizeof(rq));
		rq.cmd = MP_CTL_RELOAD;
		log_command(&rq, &r->peer, error ? "rejected" : "accepted");
		free(r);
	}
	if (error)
		reply_error(conn, error);
	else
		reply_ok(conn, json_pack("{s:s}", "message",
					 "new configuration accepted"));
}

void mp_ctlcmd_sync_done(struct mp_ctlcmd *c, const char *error)
{
	struct sync_waiter *w = c->sync_waiters, *next;

	c->sync_waiters = NULL;
	for (; w; w = next) {
		next = w->next;
		if (error) {
			mp_ctl_conn_reply(
			    w->conn,
			    mp_ctl_reply_error("could not read the RRsets "
					       "from the primary: %s",
					       error));
		} else {
			json_t *st = mp_engine_status(
			    c->engine, NULL, PACKAGE_VERSION,
			    c->ops.dry_run(c->ops.arg), c->ops.now());
			reply_ok(w->conn,
				 json_pack("{s:O, s:O}", "dns",
					   json_object_get(st, "dns"), "pools",
					   json_object_get(st, "pools")));
			json_decref(st);
		}
		free(w);
	}
}

/* The state file could not be written: the change holds, but not across a
 * restart; the caller is told with the reply (a warning, exit status 0). */
static void warn_unsaved(json_t *fields, const char *why, const char *loses)
{
	char w[600];
	json_t *arr = json_object_get(fields, "warnings");

	snprintf(w, sizeof(w),
		 "not saved in the state file (%s): in force now, but a "
		 "restart would %s",
		 why, loses);
	if (!json_is_array(arr)) {
		arr = json_array();
		json_object_set_new(fields, "warnings", arr);
	}
	json_array_append_new(arr, json_string(w));
}

/* A pool's name as the operator may write it: a DNS pool's with or
 * without its final dot, a JSON pool's as configured. */
static bool pool_named(const char *name, const char *want)
{
	size_t l = strlen(want);

	return name &&
	       (strcmp(name, want) == 0 ||
		(strncmp(name, want, l) == 0 && strcmp(name + l, ".") == 0));
}

static bool has_pool(const struct mp_config *cfg, const char *want)
{
	for (size_t i = 0; i < cfg->n_pools; i++)
		if (pool_named(cfg->pools[i].name, want))
			return true;
	for (size_t i = 0; i < cfg->n_json_pools; i++)
		if (pool_named(cfg->json_pools[i].name, want))
			return true;
	return false;
}

/* status POOL: only that pool in the status's array key (DNS pools or
 * JSON pools); an array left empty goes, as it is absent without JSON
 * pools. */
static void only_pool(json_t *st, const char *key, const char *want)
{
	json_t *arr = json_object_get(st, key), *keep, *p;
	size_t i;

	if (!json_is_array(arr))
		return;
	keep = json_array();
	json_array_foreach(arr, i, p)
	{
		if (pool_named(json_string_value(json_object_get(p, "name")),
			       want))
			json_array_append(keep, p);
	}
	if (json_array_size(keep) == 0 && strcmp(key, "json_pools") == 0) {
		json_decref(keep);
		json_object_del(st, key);
		return;
	}
	json_object_set_new(st, key, keep);
}

void mp_ctlcmd_handle(void *arg, struct mp_ctl_conn *conn,
		      const struct mp_ctl_request *rq,
		      const struct mp_ctl_peer *peer)
{
	struct mp_ctlcmd *c = arg;
	const struct mp_config *cfg = mp_engine_config(c->engine);
	bool dry_run = c->ops.dry_run(c->ops.arg);
	char err[600], why[400];
	bool saved;
	int rc;

	switch (rq->cmd) {
	case MP_CTL_STATUS: {
		json_t *st;
		if (rq->pool && !has_pool(cfg, rq->pool)) {
			snprintf(err, sizeof(err), "no pool named \"%s\"",
				 rq->pool);
			log_command(rq, peer, err);
			reply_error(conn, err);
			return;
		}
		st = mp_engine_status(c->engine, NULL, PACKAGE_VERSION, dry_run,
				      c->ops.now());
		if (rq->pool) {
			only_pool(st, "pools", rq->pool);
			only_pool(st, "json_pools", rq->pool);
		}
		log_command(rq, peer, "ok");
		reply_ok(conn, json_pack("{s:o}", "status", st));
		return;
	}
	case MP_CTL_METRICS: {
		char *text = mp_engine_metrics(c->engine, c->ops.now());
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
		rc = mp_engine_drain(c->engine, &dr, c->ops.now(), err,
				     sizeof(err));
		if (rc != MP_OK) {
			log_command(rq, peer, err);
			reply_error(conn, err);
			return;
		}
		log_command(rq, peer, "accepted");
		saved = c->ops.changed(c->ops.arg, why, sizeof(why)) == MP_OK;
		snprintf(err, sizeof(err), "%s%s%s %s%s", rq->mirror,
			 rq->has_address ? " " : "",
			 rq->has_address ? rq->address.text : "",
			 rq->update ? "drain updated" : "drained",
			 rq->update ? ""
			 : dry_run  ? " (dry run: DNS is not changed)"
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
		if (!saved)
			warn_unsaved(fields, why, "forget this drain");
		reply_ok(conn, fields);
		return;
	}
	case MP_CTL_UNDRAIN: {
		json_t *fields;

		rc = mp_engine_undrain(c->engine, rq->mirror,
				       rq->has_address ? &rq->address : NULL,
				       peer->user, peer->uid, c->ops.now(), err,
				       sizeof(err));
		if (rc != MP_OK) {
			log_command(rq, peer, err);
			reply_error(conn, err);
			return;
		}
		log_command(rq, peer, "accepted");
		saved = c->ops.changed(c->ops.arg, why, sizeof(why)) == MP_OK;
		snprintf(
		    err, sizeof(err),
		    "%s%s%s undrained; it returns to the pool once healthy",
		    rq->mirror, rq->has_address ? " " : "",
		    rq->has_address ? rq->address.text : "");
		fields = json_pack("{s:s}", "message", err);
		if (!saved)
			warn_unsaved(fields, why, "bring the drain back");
		reply_ok(conn, fields);
		return;
	}
	case MP_CTL_CHECK:
		rc = c->ops.check(c->ops.arg, conn, rq->mirror);
		if (rc != MP_OK) {
			if (rq->mirror && rc == MP_ENOENT)
				snprintf(err, sizeof(err),
					 "no mirror named \"%s\"", rq->mirror);
			else
				snprintf(err, sizeof(err), "%s",
					 rc == MP_ENOENT ? "no such mirror"
							 : mp_strerror(rc));
			log_command(rq, peer, err);
			reply_error(conn, err);
			return;
		}
		log_command(rq, peer, "running checks");
		return;
	case MP_CTL_SYNC: {
		struct sync_waiter *w = calloc(1, sizeof(*w));
		if (!w) {
			reply_error(conn, "out of memory");
			return;
		}
		w->conn = conn;
		w->next = c->sync_waiters;
		c->sync_waiters = w;
		log_command(rq, peer, "re-reading the RRsets");
		c->ops.sync(c->ops.arg);
		return;
	}
	case MP_CTL_RELOAD: {
		/* the outcome is logged with the reply */
		struct reload_waiter *r = calloc(1, sizeof(*r));
		if (!r) {
			log_command(rq, peer, "out of memory");
			reply_error(conn, "out of memory");
			return;
		}
		r->conn = conn;
		r->peer = *peer;
		r->next = c->reload_waiters;
		c->reload_waiters = r;
		c->ops.reload(c->ops.arg, conn);
		return;
	}
	}
	reply_error(conn, "unknown command");
}
