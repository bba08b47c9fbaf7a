/*
 * What the daemon does for each control command (SPEC §1, §6): status,
 * metrics, drain and undrain are answered here from the engine; check, sync
 * and reload are handed to the daemon through callbacks, which answer later
 * with the mp_ctlcmd_reply_* functions.
 */
#ifndef MP_AGENT_CTLCMD_H
#define MP_AGENT_CTLCMD_H

#include <stdbool.h>

#include <jansson.h>

#include "control.h"
#include "engine.h"

struct mp_ctlcmd;

struct mp_ctlcmd_ops {
	void *arg;
	/* reads the clocks */
	mp_clock_fn now;
	/* a drain or undrain changed the engine's state: persist it before
	 * the reply; MP_OK, or an error with why set when it could not be
	 * saved (it is in force all the same) */
	int (*changed)(void *arg, char *why, size_t whylen);
	/* run the checks of mirror (NULL: all) now and answer conn with
	 * mp_ctlcmd_reply_checks; MP_ENOENT when there is no such mirror */
	int (*check)(void *arg, struct mp_ctl_conn *conn, const char *mirror);
	/* re-read every RRset; mp_ctlcmd_sync_done answers the waiters */
	void (*sync)(void *arg);
	/* reload the configuration; answer with mp_ctlcmd_reply_reload */
	void (*reload)(void *arg, struct mp_ctl_conn *conn);
	bool (*dry_run)(void *arg);
};

int mp_ctlcmd_new(struct mp_engine *engine, const struct mp_ctlcmd_ops *ops,
		  struct mp_ctlcmd **out);
/* Forgets the sync commands still waiting (the control server drops their
 * connections when it closes) and frees c. */
void mp_ctlcmd_free(struct mp_ctlcmd *c);

/* The control server's request callback (arg: the mp_ctlcmd). */
void mp_ctlcmd_handle(void *arg, struct mp_ctl_conn *conn,
		      const struct mp_ctl_request *rq,
		      const struct mp_ctl_peer *peer);

/* Answers every waiting sync: the RRsets as read, or error. */
void mp_ctlcmd_sync_done(struct mp_ctlcmd *c, const char *error);

/* results: as mp_checks_report_fn gives them (borrowed). */
void mp_ctlcmd_reply_checks(struct mp_ctl_conn *conn, json_t *results);

/* error NULL: the new configuration is in force. */
void mp_ctlcmd_reply_reload(struct mp_ctlcmd *c, struct mp_ctl_conn *conn,
			    const char *error);

#endif
