/*
 * The control socket's connections (SPEC §6): accepting them, the caller's
 * credentials, reading one request at a time and writing its reply.
 *
 * Each connection handles one request at a time: reading stops while the
 * handler works on a request and resumes once its reply has been written,
 * so requests sent back to back are answered in order.
 */
/* struct ucred (SO_PEERCRED) */
#define _GNU_SOURCE
#include "autoconfig.h"

#include "control.h"
#include "control_int.h"

#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "error.h"
#include "log.h"

struct ctl_write {
	uv_write_t req;
	struct mp_ctl_conn *conn;
	char *line;
};

static void conn_process(struct mp_ctl_conn *c);

static void conn_free(struct mp_ctl_conn *c)
{
	mp_ctl_framer_free(&c->framer);
	free(c);
}

static void on_conn_handle_closed(uv_handle_t *h)
{
	struct mp_ctl_conn *c = h->data;
	struct mp_ctl_server *s = c->s;

	if (--c->handles_open > 0)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	c->s = NULL;
	/* A handler that still owes a reply holds the connection: it is
	 * freed when the reply comes (and is dropped). */
	if (!c->awaiting)
		conn_free(c);
	mp_ctl_server_maybe_done(s);
}

void mp_ctl_conn_close(struct mp_ctl_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	c->reading = false;
	uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
	uv_close((uv_handle_t *)&c->pipe, on_conn_handle_closed);
}

static void on_idle(uv_timer_t *t)
{
	struct mp_ctl_conn *c = t->data;

	mp_log(LOG_INFO,
	       "control: closing idle connection from %s (uid %ld, pid %ld): "
	       "no complete request within %llu ms",
	       c->peer.user, c->peer.uid, c->peer.pid,
	       (unsigned long long)c->s->idle_ms);
	mp_ctl_conn_close(c);
}

static void on_write(uv_write_t *req, int status)
{
	struct ctl_write *w = (struct ctl_write *)req;
	struct mp_ctl_conn *c = w->conn;

	free(w->line);
	free(w);
	c->writes--;
	if (c->closing)
		return;
	if (status < 0 || c->close_after_write) {
		mp_ctl_conn_close(c);
		return;
	}
	conn_process(c);
}

/* Queues line (takes ownership) followed by "\n". */
static void conn_send(struct mp_ctl_conn *c, char *line)
{
	static const char oom[] = "{\"ok\":false,\"error\":\"out of memory\"}";
	struct ctl_write *w;
	uv_buf_t bufs[2];

	if (c->closing) {
		free(line);
		return;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		free(line);
		mp_ctl_conn_close(c);
		return;
	}
	w->conn = c;
	w->line = line;
	/* uv_write does not change the bytes; the cast only drops const. */
	bufs[0] = line ? uv_buf_init(line, (unsigned)strlen(line))
		       : uv_buf_init((char *)oom, sizeof(oom) - 1);
	bufs[1] = uv_buf_init((char *)"\n", 1);
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, bufs, 2, on_write) < 0) {
		free(w->line);
		free(w);
		mp_ctl_conn_close(c);
		return;
	}
	c->writes++;
}

void mp_ctl_conn_reply(struct mp_ctl_conn *conn, char *line)
{
	if (!conn->awaiting) {
		/* A second reply would break the one-reply-per-request rule
		 * the client counts on. */
		free(line);
		return;
	}
	conn->awaiting = false;
	if (!conn->s) {
		/* The connection went away while the handler worked. */
		free(line);
		conn_free(conn);
		return;
	}
	conn_send(conn, line);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	buf->base = malloc(16384);
	buf->len = buf->base ? 16384 : 0;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct mp_ctl_conn *c = stream->data;

	if (nread > 0) {
		if (mp_ctl_framer_feed(&c->framer, buf->base, (size_t)nread) ==
		    MP_ENOMEM) {
			free(buf->base);
			mp_ctl_conn_close(c);
			return;
		}
	} else if (nread == UV_EOF) {
		c->eof = true;
	} else if (nread < 0) {
		free(buf->base);
		mp_ctl_conn_close(c);
		return;
	}
	free(buf->base);
	conn_process(c);
}

static void conn_dispatch(struct mp_ctl_conn *c, const char *line, size_t len)
{
	struct mp_ctl_request rq;
	char err[300];
	int rc;

	rc = mp_ctl_request_parse(line, len, &rq, err, sizeof(err));
	if (rc < 0) {
		mp_log(LOG_NOTICE,
		       "control: bad request from %s (uid %ld, pid %ld): %s",
		       c->peer.user, c->peer.uid, c->peer.pid, err);
		conn_send(c, mp_ctl_reply_error("%s", err));
		return;
	}
	c->awaiting = true;
	c->s->cb(c->s->arg, c, &rq, &c->peer);
	mp_ctl_request_clear(&rq);
}

/*
 * Takes the next request if the connection is free for one, else waits:
 * reading is paused while a request is being handled or its reply written,
 * and the idle timer runs only while the connection waits for the client.
 */
static void conn_process(struct mp_ctl_conn *c)
{
	const char *line;
	size_t len;
	int rc;

	if (c->closing || c->awaiting || c->writes > 0)
		return;
	rc = mp_ctl_framer_next(&c->framer, &line, &len);
	if (rc == 0 && c->eof)
		rc = mp_ctl_framer_finish(&c->framer, &line, &len);
	if (rc == MP_ESPACE) {
		mp_log(LOG_NOTICE,
		       "control: request from %s (uid %ld, pid %ld) is longer "
		       "than %d bytes; closing the connection",
		       c->peer.user, c->peer.uid, c->peer.pid, MP_CTL_MAX_LINE);
		uv_read_stop((uv_stream_t *)&c->pipe);
		c->reading = false;
		uv_timer_stop(&c->timer);
		c->close_after_write = true;
		conn_send(c, mp_ctl_reply_error("request is longer than %d "
						"bytes",
						MP_CTL_MAX_LINE));
		return;
	}
	if (rc == 1) {
		uv_read_stop((uv_stream_t *)&c->pipe);
		c->reading = false;
		uv_timer_stop(&c->timer);
		conn_dispatch(c, line, len);
		/* The reply may already be written synchronously by the
		 * handler; on_write takes it from there. */
		return;
	}
	if (c->eof) {
		/* The client has said all it will and got all its answers. */
		mp_ctl_conn_close(c);
		return;
	}
	if (!c->reading) {
		if (uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) <
		    0) {
			mp_ctl_conn_close(c);
			return;
		}
		c->reading = true;
		uv_timer_start(&c->timer, on_idle, c->s->idle_ms, 0);
	}
}

static void peer_credentials(struct mp_ctl_conn *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uv_os_fd_t fd;
	struct passwd pw, *res = NULL;
	char buf[2048];

	c->peer.uid = c->peer.gid = c->peer.pid = -1;
	snprintf(c->peer.user, sizeof(c->peer.user), "?");
	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return;
	c->peer.uid = (long)cred.uid;
	c->peer.gid = (long)cred.gid;
	c->peer.pid = (long)cred.pid;
	/* Names that do not fit the buffer or the struct are shown as the
	 * uid: a wrong short name would be worse than a number. */
	if (getpwuid_r(cred.uid, &pw, buf, sizeof(buf), &res) == 0 && res &&
	    strlen(res->pw_name) < sizeof(c->peer.user))
		snprintf(c->peer.user, sizeof(c->peer.user), "%s",
			 res->pw_name);
	else
		snprintf(c->peer.user, sizeof(c->peer.user), "%ld",
			 c->peer.uid);
}

void mp_ctl_on_connection(uv_stream_t *server, int status)
{
	struct mp_ctl_server *s = server->data;
	struct mp_ctl_conn *c;

	if (status < 0) {
		mp_log(LOG_WARNING, "control: accept on %s failed: %s", s->path,
		       uv_strerror(status));
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		mp_log(LOG_ERR,
		       "control: out of memory accepting a connection");
		return;
	}
	c->s = s;
	mp_ctl_framer_init(&c->framer);
	uv_pipe_init(s->loop, &c->pipe, 0);
	uv_timer_init(s->loop, &c->timer);
	c->pipe.data = c->timer.data = c;
	c->handles_open = 2;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
		mp_ctl_conn_close(c);
		return;
	}
	peer_credentials(c);
	if (s->n_conns > s->max_conns) {
		mp_log(LOG_WARNING,
		       "control: refusing a connection from %s (uid %ld, pid "
		       "%ld): %zu connections already open",
		       c->peer.user, c->peer.uid, c->peer.pid, s->n_conns - 1);
		c->close_after_write = true;
		conn_send(c, mp_ctl_reply_error("too many connections (at most "
						"%zu); try again later",
						s->max_conns));
		return;
	}
	conn_process(c);
}
