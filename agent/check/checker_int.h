/*
 * The checker's insides, shared by its three files and by nothing else:
 * checker.c (the job pool, the epoll set and the public API),
 * checker_curl.c (libcurl's multi socket interface on that set) and
 * checker_native.c (the built-in client for plain HTTP and TCP).
 */
#ifndef MP_AGENT_CHECKER_INT_H
#define MP_AGENT_CHECKER_INT_H

#include <sys/types.h>

#include "checker.h"
#include "http1.h"

/* Returned by the TLS steps: not yet, wait for the socket's next edge. */
#define MP_CHECKER_AGAIN (-100) /* not an MP_E* code */

struct ssl_st;
struct ssl_session_st;
struct mp_tls_ctx;

/* What an epoll event's data.ptr points at: the first member of both. */
enum mp_pollee { MP_POLLEE_CURL_SOCK = 1, MP_POLLEE_NATIVE };

/* Where a native transfer is. */
enum mp_native_state {
	MP_NATIVE_IDLE = 0,
	MP_NATIVE_CONNECTING,
	MP_NATIVE_HANDSHAKING, /* https: TLS handshake */
	MP_NATIVE_SENDING,
	MP_NATIVE_RECEIVING,
	MP_NATIVE_FAILED, /* failed while starting; reported on the timer */
};

/* Longest request a native transfer sends; a longer URL goes to curl. */
#define MP_NATIVE_REQ_MAX 2048

/*
 * One transfer: a curl easy handle or a native socket, and what it writes
 * into, lent to a job for one check and then back to the checker's idle
 * list. Reusing it keeps nothing of the previous check but allocations:
 * options are reset, and every check still opens a fresh connection.
 */
struct mp_xfer {
	enum mp_pollee kind;	  /* MP_POLLEE_NATIVE, for the epoll set */
	CURL *easy;		  /* made on first use by curl */
	struct mp_check_job *job; /* while lent */
	/* native transfers */
	bool native;
	enum mp_native_state state;
	int fd;
	bool tcp_only;	      /* a TCP check: done once connected */
	uint64_t start_ns;    /* uv_hrtime() at the start */
	uint64_t deadline_ns; /* uv_hrtime() when it times out */
	struct mp_xfer *dl_prev, *dl_next; /* the checker's deadline list */
	int fail_errno;			   /* MP_NATIVE_FAILED: what happened */
	/* https on the built-in client (checker_tls.c) */
	struct ssl_st *ssl;		 /* NULL: plain */
	struct ssl_session_st *new_sess; /* the server's newest ticket */
	unsigned tls_ctx_id;
	bool tls_verify;
	bool tls_resumed;
	enum mp_cert_event cert_event; /* of this check's full handshake */
	char ssl_fail[256];	       /* the TLS failure, in words */
	char host[256]; /* the URL's host: SNI and the name checked */
	size_t req_len, req_sent;
	char req[MP_NATIVE_REQ_MAX];
	struct mp_http1 http;
	/* CURLOPT_CONNECT_TO's one-entry list, without an allocation */
	struct curl_slist connect_to;
	char connect_line[700];
	char source_line[MP_ADDR_STRLEN + 8]; /* CURLOPT_INTERFACE */
	unsigned char *body;
	size_t body_len, body_cap;
	size_t max_body;
	bool too_big;
	int sock_errno; /* SO_ERROR seen when the poll reported an error */
	char errbuf[CURL_ERROR_SIZE];
	struct mp_xfer *next; /* idle list */
};

/* One per socket curl tells us about, in the checker's epoll set. */
struct mp_sock {
	enum mp_pollee kind; /* MP_POLLEE_CURL_SOCK */
	curl_socket_t fd;
	struct mp_xfer *x; /* the transfer using it */
	int what;	   /* CURL_POLL_* curl last asked for */
	uint32_t events;   /* registered with epoll; 0: not in the set */
	bool dead;	   /* curl is done with it; freed after the batch */
	struct mp_sock *prev, *next;
};

struct mp_checker {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	uint64_t timer_due;	   /* loop time the timer fires at */
	int epfd;		   /* the sockets of the checks */
	uv_poll_t epoll_poll;	   /* epfd on the loop */
	bool in_batch;		   /* dispatching epoll events */
	struct mp_sock *socks;	   /* sockets curl uses */
	struct mp_sock *dead;	   /* removed during a batch */
	struct mp_check_job *jobs; /* busy jobs */
	struct mp_xfer *idle;	   /* transfers ready for reuse */
	size_t n_idle;
	size_t n_running;
	unsigned pending_closes; /* uv_close callbacks still to come */
	bool builtin;		 /* native transfers where they can */
	uv_timer_t ntimer;	 /* the first native deadline */
	bool in_ntimer;		 /* in ntimer's callback */
	struct mp_xfer *dl_head, *dl_tail; /* native transfers by deadline */
	unsigned char rbuf[16384];	   /* what one recv() of a native check
					      reads; the loop has one thread */
	struct mp_tls_ctx *tls_ctxs;	   /* one per check configuration */
	unsigned ends_since_trim;	   /* checks ended since malloc_trim */
	bool closing;
	void (*closed)(void *);
	void *closed_arg;
};

/* checker.c: judges the outcome, ends the job and calls back; o->body
 * stays valid until the job ends. */
void mp_checker_report(struct mp_check_job *job, struct mp_check_outcome *o);

/* checker.c: keeps n more body bytes; false when that would pass max_body
 * (too_big set) or memory runs out. */
bool mp_xfer_body_append(struct mp_xfer *x, const unsigned char *data,
			 size_t n);

/* checker_curl.c: the multi handle with its socket and timer callbacks
 * (after curl_global_init). Returns 0 or MP_ENOMEM. */
int mp_checker_curl_init(struct mp_checker *c);

/* checker_curl.c: sets up x's easy handle for cfg and adds it to the
 * multi handle. Returns 0, MP_ENOMEM or MP_EIO. */
int mp_checker_curl_start(struct mp_checker *c, struct mp_xfer *x,
			  const struct mp_check_cfg *cfg,
			  const struct mp_addr *addr);

/* checker_curl.c: x's easy handle out of the multi handle. */
void mp_checker_curl_stop(struct mp_checker *c, struct mp_xfer *x);

/* checker_curl.c: an epoll event on one of curl's sockets. */
void mp_checker_curl_event(struct mp_checker *c, struct mp_sock *s,
			   uint32_t ev);

/* checker_curl.c: curl_multi_cleanup and every socket out of the set. */
void mp_checker_curl_close(struct mp_checker *c);

/* checker_curl.c: frees what sockets closed during an epoll batch. */
void mp_checker_curl_free_dead(struct mp_checker *c);

/*
 * checker_native.c: starts a native check of addr: socket, connect, into
 * the epoll set. Returns 0 (a connect that fails at once is reported
 * from the timer, never from here), MP_EINVAL when the request does not
 * fit (the caller falls back to curl), or MP_EIO.
 */
int mp_checker_native_start(struct mp_checker *c, struct mp_xfer *x,
			    const struct mp_check_cfg *cfg,
			    const struct mp_addr *addr);

/* checker_native.c: x's socket closed and its deadline gone. */
void mp_checker_native_stop(struct mp_checker *c, struct mp_xfer *x);

/* checker_native.c: one edge of a native transfer's socket. */
void mp_checker_native_event(struct mp_checker *c, struct mp_xfer *x,
			     uint32_t ev);

/* checker_native.c: the deadline timer's callback. */
void mp_checker_native_on_timer(uv_timer_t *t);

/* checker_tls.c: the TLS state of an https check on the built-in client:
 * its context (MP_EIO with x->ssl_fail set when the CA file fails), the
 * job's memo, SNI, and the session it may resume. x->job is set. */
int mp_checker_tls_start(struct mp_checker *c, struct mp_xfer *x,
			 const struct mp_check_cfg *cfg,
			 const struct mp_addr *addr);

/* checker_tls.c: x->fd is connected; the handshake may begin. */
int mp_checker_tls_attach(struct mp_xfer *x);

/* checker_tls.c: drives the handshake. 0 when done (certificate and name
 * verified, or resumed), MP_CHECKER_AGAIN, or MP_EIO with x->ssl_fail. */
int mp_checker_tls_handshake(struct mp_xfer *x, const char *host);

/* checker_tls.c: bytes moved, 0 at the end of the stream (recv),
 * MP_CHECKER_AGAIN, or MP_EIO with x->ssl_fail. */
ssize_t mp_checker_tls_recv(struct mp_xfer *x, void *buf, size_t len);
ssize_t mp_checker_tls_send(struct mp_xfer *x, const void *buf, size_t len);

/* checker_tls.c: the server's newest session into the job's memo, for
 * the next check of the same address (after a complete response). */
void mp_checker_tls_keep_session(struct mp_xfer *x);

/* checker_tls.c: frees x's TLS state (a session not kept is dropped). */
void mp_checker_tls_end(struct mp_xfer *x);

/* checker_tls.c: the job's next check starts with a full handshake. */
void mp_checker_tls_forget(struct mp_check_job *job);

/* checker_tls.c: frees the job's memo. */
void mp_checker_tls_job_free(struct mp_check_job *job);

#endif
