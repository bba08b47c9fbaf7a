/*
 * Internal to the control socket server: control.c creates and closes the
 * socket, control_conn.c handles its connections.
 */
#ifndef MP_AGENT_CONTROL_INT_H
#define MP_AGENT_CONTROL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "control.h"

struct mp_ctl_server {
	uv_loop_t *loop;
	uv_pipe_t pipe;
	char *path;
	dev_t dev; /* of the socket file we created, to remove only ours */
	ino_t ino;
	mp_ctl_request_fn cb;
	void *arg;
	struct mp_ctl_conn *conns; /* open or closing connections */
	size_t n_conns;
	uint64_t idle_ms;
	size_t max_conns;
	bool closing;
	bool pipe_closed;
	void (*closed)(void *);
	void *closed_arg;
};

struct mp_ctl_conn {
	struct mp_ctl_server *s; /* NULL once the handles are closed */
	struct mp_ctl_conn *prev, *next;
	uv_pipe_t pipe;
	uv_timer_t timer;
	struct mp_ctl_framer framer;
	struct mp_ctl_peer peer;
	unsigned handles_open; /* pipe and timer, until their close callbacks */
	unsigned writes;       /* uv_write requests in flight */
	bool closing;	       /* uv_close called */
	bool awaiting;	       /* the handler owes a reply */
	bool reading;
	bool eof;
	bool close_after_write; /* the last reply is out: hang up */
};

/* The listening socket's connection callback (control_conn.c). */
void mp_ctl_on_connection(uv_stream_t *server, int status);
/* Starts closing c's handles; it is unlinked from its server and freed
 * (or, while its handler owes a reply, left to mp_ctl_conn_reply) in their
 * close callbacks. */
void mp_ctl_conn_close(struct mp_ctl_conn *c);
/* Frees s once it is closing and its socket and every connection are
 * closed, then calls its closed callback (control.c). */
void mp_ctl_server_maybe_done(struct mp_ctl_server *s);

#endif
