/*
 * HTTP(S) and TCP health checks on the libuv loop (SPEC §3). One
 * mp_checker owns an epoll set of the checks' sockets (one uv_poll_t on the
 * loop), libcurl's multi socket interface with its timer and a pool of easy
 * handles for https:// checks and sentinels, and a built-in client for
 * plain-HTTP and TCP checks of an address (lib/http1.c parses the
 * response); checks of many addresses run concurrently.
 *
 * Each check opens a fresh connection to the mirror's address and the URL's
 * port, while Host, SNI and certificate verification use the URL's host:
 * what a browser sees after resolving the pool name. An https:// check
 * may resume the TLS session of the previous check of the same address
 * (tls_resume, tls_full_interval).
 * The outcome is judged by mp_check_evaluate() (lib/checkeval.h).
 */
#ifndef MP_AGENT_CHECKER_H
#define MP_AGENT_CHECKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <uv.h>

#include "addr.h"
#include "checkeval.h"
#include "config.h"
#include "health.h"

struct mp_checker;

/*
 * Called once per started check, from the loop, unless the check was
 * cancelled. r->at_ms is Unix time in milliseconds (CLOCK_REALTIME) at
 * completion; r->latency_ms is the check's total time, from before the
 * connect to the end of the response. The job is idle again
 * when this runs: the callback may restart it, clean it up or free the
 * memory holding it.
 */
typedef void (*mp_check_done_fn)(void *arg, const struct mp_check_result *r,
				 enum mp_check_verdict v);

struct mp_xfer;	    /* a pooled transfer, private to checker.c */
struct mp_tls_memo; /* TLS session and certificate, checker_tls.c */

/* The leaf certificate an address showed at its last full handshake. */
struct mp_tls_cert {
	int64_t not_after; /* Unix seconds */
	char subject[256]; /* "/CN=mirror.example.org" */
	char issuer[256];
};

/*
 * One check slot, owned by the caller (embed it in the per-address state).
 * While a check runs it borrows a transfer (a curl easy handle or a
 * built-in one) and body buffer from its checker's pool; an idle job holds
 * none, so a thousand addresses cost a few handles, not a thousand. Fields are
 * private to checker.c.
 */
struct mp_check_job {
	struct mp_checker *checker;	  /* while busy */
	struct mp_check_job *prev, *next; /* the checker's busy list */
	struct mp_xfer *x;		  /* while busy */
	bool busy;
	struct mp_check_cfg cfg; /* what the evaluation needs (copy) */
	char *expect_body;	 /* owned copy for cfg.expect_body */
	struct mp_tls_memo *tls; /* https: kept between checks */
	mp_check_done_fn cb;
	void *arg;
};

/* Makes an idle job. */
void mp_check_job_init(struct mp_check_job *job);

/* Cancels the job if busy and frees what it holds; the job may be reused
 * after mp_check_job_init(). Call it before freeing the memory holding
 * the job; it is fine before or after mp_checker_close. */
void mp_check_job_cleanup(struct mp_check_job *job);

/* The certificate seen at the job's last full TLS handshake; NULL when
 * none (not https, or no handshake completed yet). */
const struct mp_tls_cert *mp_check_job_cert(const struct mp_check_job *job);

static inline bool mp_check_job_busy(const struct mp_check_job *job)
{
	return job->busy;
}

/* Creates a checker on loop (curl_global_init on first use). Returns 0,
 * MP_ENOMEM or MP_EIO. Free with mp_checker_close(). */
int mp_checker_new(uv_loop_t *loop, struct mp_checker **out);

/*
 * Starts one check of addr with cfg (addr NULL, http only: resolve the URL's
 * host normally, as for guard sentinels) (http: cfg->url, cfg->host and
 * cfg->port must be set; tcp: cfg->port; timeout_ms > 0). What the
 * evaluation needs is copied, so cfg may change or be freed while the check
 * runs. Returns 0, MP_EBUSY when job is already running a check,
 * MP_EINVAL for a bad cfg, MP_ENOMEM, or MP_EIO when curl refuses; cb is
 * called only after 0.
 */
int mp_checker_start(struct mp_checker *c, struct mp_check_job *job,
		     const struct mp_check_cfg *cfg, const struct mp_addr *addr,
		     mp_check_done_fn cb, void *arg);

/*
 * Checks of an address (http://, https:// and TCP) run on a built-in
 * client (lib/http1.c, OpenSSL) unless this turns it off (on by default);
 * checks without an address always use curl. Applies to checks started
 * afterwards.
 */
void mp_checker_set_builtin(struct mp_checker *c, bool on);

/*
 * Drops every TLS context (they are built again, from the CA files as
 * they are now, by the next https checks) and with them every resumable
 * session: call it on a configuration reload.
 */
void mp_checker_tls_flush(struct mp_checker *c);

/* Stops a running check without calling its callback (reload, stop).
 * No-op when idle. */
void mp_checker_cancel(struct mp_check_job *job);

/* Number of checks in flight. */
size_t mp_checker_running(const struct mp_checker *c);

/*
 * Shuts down while the loop still runs: cancels every check (no
 * callbacks) and frees the pooled easy handles, curl_multi_cleanup, closes
 * the timer and every poll handle, and calls closed(arg) (may be NULL)
 * from the last close callback, after which c is freed. The job structs
 * stay the caller's (mp_check_job_cleanup frees their buffers). May be
 * called from a check callback.
 */
void mp_checker_close(struct mp_checker *c, void (*closed)(void *arg),
		      void *arg);

/* ---------------------------------------------------------------------- */
/* Check scheduling (schedule.c): one timer per address. */

/*
 * Scheduling: one entry per address, checked at now + mp_health_next_delay
 * (fast_interval while changing, else interval, +-10% jitter from
 * libsodium's randombytes_uniform). The first check fires at a random
 * offset within the interval so addresses never check in lock-step; never
 * more than one check per address is in flight.
 */
struct mp_sched;
struct mp_sched_entry;

int mp_sched_new(uv_loop_t *loop, struct mp_checker *checker,
		 struct mp_sched **out);

/*
 * Adds an address (addr NULL: an http check of the URL's own host, as for
 * guard sentinels; health NULL: always checked at the steady interval).
 * cfg and health must stay valid while the entry exists
 * (update them with mp_sched_entry_set). cb runs after each check, before
 * the next delay is computed from health, so it should record the result
 * with mp_health_record first. Returns NULL on allocation failure.
 */
struct mp_sched_entry *mp_sched_add(struct mp_sched *s,
				    const struct mp_check_cfg *cfg,
				    const struct mp_addr *addr,
				    const struct mp_health *health,
				    mp_check_done_fn cb, void *arg);

/* Points the entry at a new cfg/health (config reload); a running check
 * finishes with what it started with. */
void mp_sched_entry_set(struct mp_sched_entry *e,
			const struct mp_check_cfg *cfg,
			const struct mp_health *health);

/* Checks now unless a check is already in flight (mirrorpoolctl check). */
int mp_sched_check_now(struct mp_sched_entry *e);

/* Cancels the entry's check and timer; freed in its close callback. The
 * entry's callback is not called again. */
void mp_sched_remove(struct mp_sched_entry *e);

/* Removes every entry, then calls closed(arg) once all handles are closed
 * and frees s. The checker is left to the caller. */
void mp_sched_close(struct mp_sched *s, void (*closed)(void *arg), void *arg);

#endif
