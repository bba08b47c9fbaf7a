/*
 * mp-ctl-echo: the control socket server with a stand-in handler, for the
 * integration tests of agent/control/control.c and mirrorpoolctl.
 *
 *   mp-ctl-echo -s SOCKET [-g GROUP] [-m MODE]
 *
 * Every reply carries "cmd", "user", "uid", "gid", "pid" (the caller, from
 * SO_PEERCRED) and "request" (the parsed request, encoded again), plus what
 * mirrorpoolctl expects of the command: status gets a small status object
 * (a pool other than dl.example.org. is refused),
 * check answers after 200 ms (the asynchronous path), drain of mirror
 * "refuse" is refused. MP_CTL_IDLE_MS and MP_CTL_MAX_CONNS override the
 * server's limits. SIGTERM or SIGINT closes the server and exits 0.
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "control/control.h"
#include "error.h"

#define CHECK_DELAY_MS 200

struct delayed {
	struct delayed *prev, *next;
	uv_timer_t timer;
	struct mp_ctl_conn *conn;
	json_t *fields;
};

struct echo {
	uv_loop_t *loop;
	struct mp_ctl_server *server;
	uv_signal_t sig_term, sig_int;
	struct delayed *delayed;
	bool stopping;
};

static json_t *status_object(void)
{
	return json_pack(
	    "{s:s, s:b, s:{s:s, s:i, s:s, s:n}, s:{s:b, s:n}, s:[{s:s, "
	    "s:i, s:i, s:i, s:{s:{s:[s], s:[s], s:n}, s:{s:[], s:[], "
	    "s:n}}, s:[{s:s, s:i, s:n, s:[{s:s, s:s, s:b, s:b, s:i, "
	    "s:i, s:i, s:n, s:{s:I, s:b, s:s, s:i}}]}]}]}",
	    "version", "echo", "dry_run", 0, "dns", "server", "127.0.0.1",
	    "port", 53, "zone", "example.org", "last_error", "guard", "frozen",
	    0, "reason", "pools", "name", "dl.example.org.", "ttl", 60,
	    "min_healthy", 1, "max_published", 0, "rrsets", "A", "published",
	    "192.0.2.10", "in_dns", "192.0.2.10", "last_update", "AAAA",
	    "published", "in_dns", "last_update", "mirrors", "name", "mirror1",
	    "weight", 10, "drain", "addresses", "address", "192.0.2.10",
	    "state", "up", "published", 1, "suppressed", 0, "penalty", 0,
	    "consecutive_ok", 5, "consecutive_fail", 0, "drain", "last_check",
	    "at", (json_int_t)1763800000, "ok", 1, "detail", "HTTP 200",
	    "latency_ms", 35);
}

static json_t *base_fields(const struct mp_ctl_request *rq,
			   const struct mp_ctl_peer *peer)
{
	char *enc = mp_ctl_request_encode(rq);
	json_t *o = json_pack(
	    "{s:s, s:s, s:I, s:I, s:I}", "cmd", mp_ctl_cmd_name(rq->cmd),
	    "user", peer->user, "uid", (json_int_t)peer->uid, "gid",
	    (json_int_t)peer->gid, "pid", (json_int_t)peer->pid);

	if (o && enc)
		json_object_set_new(o, "request", json_string(enc));
	free(enc);
	return o;
}

static void on_delayed_closed(uv_handle_t *h)
{
	free(h->data);
}

static void delayed_finish(struct echo *e, struct delayed *dl)
{
	if (dl->prev)
		dl->prev->next = dl->next;
	else
		e->delayed = dl->next;
	if (dl->next)
		dl->next->prev = dl->prev;
	mp_ctl_conn_reply(dl->conn, mp_ctl_reply_ok(dl->fields));
	dl->fields = NULL;
	uv_close((uv_handle_t *)&dl->timer, on_delayed_closed);
}

static void on_delayed(uv_timer_t *t)
{
	struct delayed *dl = t->data;

	delayed_finish(t->loop->data, dl);
}

static void handle(void *arg, struct mp_ctl_conn *conn,
		   const struct mp_ctl_request *rq,
		   const struct mp_ctl_peer *peer)
{
	struct echo *e = arg;
	json_t *f = base_fields(rq, peer);
	struct delayed *dl;

	switch (rq->cmd) {
	case MP_CTL_STATUS:
		if (rq->pool && strcmp(rq->pool, "dl.example.org.") != 0 &&
		    strcmp(rq->pool, "dl.example.org") != 0) {
			json_decref(f);
			mp_ctl_conn_reply(conn,
					  mp_ctl_reply_error("no pool named "
							     "\"%s\"",
							     rq->pool));
			return;
		}
		json_object_set_new(f, "status", status_object());
		break;
	case MP_CTL_DRAIN:
		if (strcmp(rq->mirror, "refuse") == 0) {
			json_decref(f);
			mp_ctl_conn_reply(
			    conn, mp_ctl_reply_error("draining refuse would "
						     "leave dl.example.org. "
						     "A below min_healthy 1 "
						     "(use --force)"));
			return;
		}
		json_object_set_new(f, "message", json_string("drained"));
		if (strcmp(rq->mirror, "last") == 0)
			json_object_set_new(
			    f, "warnings",
			    json_pack("[s]", "this leaves dl.example.org. A "
					     "empty: clients get no address "
					     "for it"));
		break;
	case MP_CTL_UNDRAIN:
		json_object_set_new(f, "message", json_string("undrained"));
		break;
	case MP_CTL_RELOAD:
		json_object_set_new(f, "message",
				    json_string("new configuration accepted"));
		break;
	case MP_CTL_METRICS:
		json_object_set_new(f, "metrics",
				    json_string("# HELP mirrorpool_frozen x\n"
						"mirrorpool_frozen 0\n"));
		break;
	case MP_CTL_SYNC: {
		json_t *st = status_object();
		json_object_set(f, "dns", json_object_get(st, "dns"));
		json_object_set(f, "pools", json_object_get(st, "pools"));
		json_decref(st);
		break;
	}
	case MP_CTL_CHECK:
		json_object_set_new(
		    f, "results",
		    json_pack("[{s:s, s:s, s:b, s:s, s:i, s:s}]", "mirror",
			      rq->mirror ? rq->mirror : "mirror1", "address",
			      "192.0.2.10", "ok",
			      !rq->mirror || strcmp(rq->mirror, "broken") != 0,
			      "detail", "HTTP 200", "latency_ms", 35, "state",
			      "up"));
		dl = calloc(1, sizeof(*dl));
		if (!dl)
			break;
		dl->conn = conn;
		dl->fields = f;
		uv_timer_init(e->loop, &dl->timer);
		dl->timer.data = dl;
		dl->next = e->delayed;
		if (e->delayed)
			e->delayed->prev = dl;
		e->delayed = dl;
		uv_timer_start(&dl->timer, on_delayed, CHECK_DELAY_MS, 0);
		return;
	}
	mp_ctl_conn_reply(conn, mp_ctl_reply_ok(f));
}

static void on_server_closed(void *arg)
{
	(void)arg;
	fprintf(stderr, "mp-ctl-echo: server closed\n");
}

static void on_signal(uv_signal_t *sig, int signum)
{
	struct echo *e = sig->data;

	(void)signum;
	if (e->stopping)
		return;
	e->stopping = true;
	uv_close((uv_handle_t *)&e->sig_term, NULL);
	uv_close((uv_handle_t *)&e->sig_int, NULL);
	/* Pending replies go to connections that are closing: they are
	 * dropped and the connections freed. */
	mp_ctl_server_close(e->server, on_server_closed, e);
	while (e->delayed)
		delayed_finish(e, e->delayed);
}

static long env_long(const char *name, long dflt)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return dflt;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0) {
		fprintf(stderr, "mp-ctl-echo: bad %s=%s\n", name, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *group = NULL;
	unsigned long mode = 0660;
	struct echo e = {0};
	uv_loop_t loop;
	char err[512], *end;
	int c, rc;

	while ((c = getopt(argc, argv, "s:g:m:")) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case 'm':
			errno = 0;
			mode = strtoul(optarg, &end, 8);
			if (errno || *end || mode > 07777) {
				fprintf(stderr, "mp-ctl-echo: bad mode %s\n",
					optarg);
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: mp-ctl-echo -s SOCKET [-g "
					"GROUP] [-m MODE]\n");
			return 2;
		}
	}
	if (!path || optind != argc) {
		fprintf(stderr,
			"usage: mp-ctl-echo -s SOCKET [-g GROUP] [-m MODE]\n");
		return 2;
	}

	uv_loop_init(&loop);
	loop.data = &e;
	e.loop = &loop;
	rc = mp_ctl_server_new(&loop, path, group, (unsigned)mode, handle, &e,
			       &e.server, err, sizeof(err));
	if (rc != MP_OK) {
		fprintf(stderr, "mp-ctl-echo: %s\n", err);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		return 1;
	}
	mp_ctl_server_set_idle_timeout(
	    e.server, (uint64_t)env_long("MP_CTL_IDLE_MS", 10000));
	mp_ctl_server_set_max_conns(e.server,
				    (size_t)env_long("MP_CTL_MAX_CONNS", 64));
	uv_signal_init(&loop, &e.sig_term);
	uv_signal_init(&loop, &e.sig_int);
	e.sig_term.data = e.sig_int.data = &e;
	uv_signal_start(&e.sig_term, on_signal, SIGTERM);
	uv_signal_start(&e.sig_int, on_signal, SIGINT);

	uv_run(&loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&loop);
	if (rc != 0) {
		fprintf(stderr, "mp-ctl-echo: loop not empty at exit: %s\n",
			uv_strerror(rc));
		return 1;
	}
	return 0;
}
