/*
 * The control socket (SPEC §6): a Unix stream socket created with its mode
 * and group before anyone can connect; one JSON request per line, one JSON
 * reply per line. Requests are parsed with lib/control_proto.h; the caller's
 * credentials come from SO_PEERCRED.
 */
#ifndef MP_AGENT_CONTROL_H
#define MP_AGENT_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "control_proto.h"

struct mp_ctl_server;
struct mp_ctl_conn;

struct mp_ctl_peer {
	long uid;
	long gid;
	long pid;
	char user[64]; /* user name, or the uid in decimal */
};

/*
 * Called once per well-formed request. The handler must eventually call
 * mp_ctl_conn_reply(conn, ...) exactly once (now or later, e.g. after checks
 * complete); conn stays valid until then even if the client hangs up.
 * Malformed requests never reach the handler: the server answers them.
 * rq and peer are valid during the call only.
 */
typedef void (*mp_ctl_request_fn)(void *arg, struct mp_ctl_conn *conn,
				  const struct mp_ctl_request *rq,
				  const struct mp_ctl_peer *peer);

/*
 * Listens on path: removes a stale socket, binds with a restrictive umask,
 * sets group (NULL: the process's own) and mode before listen(). err gets a
 * clear message on failure. Also ignores SIGPIPE (when it is at its
 * default) so that a client hanging up cannot kill the process.
 */
int mp_ctl_server_new(uv_loop_t *loop, const char *path, const char *group,
		      unsigned mode, mp_ctl_request_fn cb, void *arg,
		      struct mp_ctl_server **out, char *err, size_t errlen);

/* Sends one reply line (takes ownership of line, a malloc'd string without
 * the newline) and then waits for the next request on the connection. */
void mp_ctl_conn_reply(struct mp_ctl_conn *conn, char *line);

/* A client that sends no complete request for ms milliseconds is
 * disconnected (default 10 s; also counts after each reply). */
void mp_ctl_server_set_idle_timeout(struct mp_ctl_server *s, uint64_t ms);

/* At most n connections at once (default 64); more are told so and closed. */
void mp_ctl_server_set_max_conns(struct mp_ctl_server *s, size_t n);

/* Stops listening, closes every connection (pending replies are dropped),
 * removes the socket file; closed(arg) runs once every handle is closed. */
void mp_ctl_server_close(struct mp_ctl_server *s, void (*closed)(void *),
			 void *arg);

#endif
