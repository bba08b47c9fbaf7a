/*
 * The I/O half of the DNS operations (see dnsio.h): feeds what happened to
 * the state machine of lib/dnsops.h, with both clocks, and carries out what
 * it answers.
 */
#include "autoconfig.h"

#include <stdlib.h>

#include "dnsclient.h"
#include "dnsio.h"
#include "dnsops.h"
#include "error.h"
#include "log.h"

struct mp_dnsio {
	uv_loop_t *loop;
	struct mp_engine *engine;
	struct mp_dnsops *m;
	struct mp_dnsclient *client; /* NULL when it could not be made */
	struct mp_dnsio_events ev;
	mp_clock_fn now;
	uv_timer_t timer; /* the machine's wake-up */
	uv_timer_t kick;  /* plan soon */
	bool in_flight;	  /* an outcome is awaited */
	bool closing;
	int open_handles; /* while closing */
};

static const char *feed(struct mp_dnsio *io, const struct mp_dnsops_in *in);

static void feed_kind(struct mp_dnsio *io, enum mp_dnsops_in_kind kind)
{
	struct mp_dnsops_in in = {.kind = kind};
	feed(io, &in);
}

static void timer_cb(uv_timer_t *t)
{
	feed_kind(t->data, MP_DNSOPS_WAKE);
}

static enum mp_dnsops_outcome outcome_of(enum mp_dns_outcome o)
{
	switch (o) {
	case MP_DNS_ANSWER:
		return MP_DNSOPS_ANSWER;
	case MP_DNS_TIMEOUT:
		return MP_DNSOPS_TIMEOUT;
	case MP_DNS_UNSIGNED:
		return MP_DNSOPS_UNSIGNED;
	default:
		return MP_DNSOPS_NETERR;
	}
}

static void done_cb(void *arg, enum mp_dns_outcome o,
		    const struct mp_dns_response *resp, const char *detail,
		    uint64_t rtt_ms)
{
	struct mp_dnsio *io = arg;
	struct mp_dnsops_in in = {.kind = MP_DNSOPS_DONE};

	/* a cancelled request was dropped by the machine already */
	if (o == MP_DNS_CANCELLED || !io->in_flight)
		return;
	io->in_flight = false;
	in.outcome = outcome_of(o);
	in.resp = resp;
	in.detail = detail;
	in.rtt_ms = rtt_ms;
	feed(io, &in);
}

/* Time Signed of responses is checked against the clock requests are
 * signed with. */
static uint64_t wall_seconds(void *arg)
{
	struct mp_dnsio *io = arg;

	return io->now().wall_ms / 1000u;
}

static int connect_client(struct mp_dnsio *io)
{
	const struct mp_config *cfg = mp_engine_config(io->engine);
	int rc;

	if (io->client) {
		mp_dnsclient_close(io->client, NULL, NULL);
		io->client = NULL;
	}
	rc = mp_dnsclient_new(io->loop, &cfg->dns.server_addr, cfg->dns.port,
			      cfg->key, &io->client);
	if (rc == MP_OK)
		mp_dnsclient_set_clock(io->client, wall_seconds, io);
	return rc;
}

/* Sends out's request; returns 0 or why it could not be sent. */
static int send_req(struct mp_dnsio *io, const struct mp_dnsops_out *out)
{
	const struct mp_config *cfg = mp_engine_config(io->engine);
	int rc;

	/* a client that could not be made is tried again at each send */
	if (!io->client && (rc = connect_client(io)) != MP_OK)
		return rc;
	/* the request is the machine's and stays unchanged until its outcome */
	rc = mp_dnsclient_send(io->client, (struct mp_dns_request *)out->req,
			       cfg->dns.transport == MP_TRANSPORT_TCP,
			       cfg->dns.timeout_ms, done_cb, io);
	if (rc == MP_OK)
		io->in_flight = true;
	return rc;
}

/* Returns why the input was refused, or NULL. */
static const char *feed(struct mp_dnsio *io, const struct mp_dnsops_in *in)
{
	struct mp_dnsops_in failed = {.kind = MP_DNSOPS_SEND_FAILED};
	struct mp_dnsops_out out;
	struct mp_time now;
	const struct mp_dnsio_events *ev = &io->ev;

	if (io->closing)
		return "closing";
	now = io->now();
	mp_dnsops_input(io->m, in, &now, &out);
	if (out.refused)
		return out.why;
	if (out.cancel && io->in_flight) {
		io->in_flight = false;
		if (io->client)
			mp_dnsclient_cancel_all(io->client);
	}
	while (out.act != MP_DNSOPS_NONE) {
		failed.err = send_req(io, &out);
		if (failed.err == MP_OK)
			break;
		mp_dnsops_input(io->m, &failed, &now, &out);
	}
	if (out.wake_at_ms == UINT64_MAX)
		uv_timer_stop(&io->timer);
	else
		uv_timer_start(&io->timer, timer_cb,
			       out.wake_at_ms > now.mono_ms
				   ? out.wake_at_ms - now.mono_ms
				   : 0,
			       0);
	/* the daemon may reload or close from within these: io is not
	 * touched after them */
	if (out.first_round && ev->first_round)
		ev->first_round(ev->arg);
	if (out.changed && ev->changed)
		ev->changed(ev->arg);
	if ((out.reads_done || out.read_error) && ev->reads_done)
		ev->reads_done(ev->arg, out.read_error);
	if (out.reload_ready && ev->reload_ready)
		ev->reload_ready(ev->arg);
	else if (out.stopped && ev->stopped)
		ev->stopped(ev->arg);
	return NULL;
}

int mp_dnsio_new(uv_loop_t *loop, struct mp_engine *engine, mp_clock_fn now,
		 mp_random_fn rnd, const struct mp_dnsio_events *ev,
		 struct mp_dnsio **out)
{
	struct mp_dnsio *io = calloc(1, sizeof(*io));
	int rc;

	*out = NULL;
	if (!io)
		return MP_ENOMEM;
	io->loop = loop;
	io->engine = engine;
	io->ev = *ev;
	io->now = now;
	rc = mp_dnsops_new(engine, rnd, &io->m);
	if (rc == MP_OK)
		rc = connect_client(io);
	if (rc != MP_OK) {
		if (io->client)
			mp_dnsclient_close(io->client, NULL, NULL);
		mp_dnsops_free(io->m);
		free(io);
		return rc;
	}
	uv_timer_init(loop, &io->timer);
	uv_timer_init(loop, &io->kick);
	io->timer.data = io->kick.data = io;
	*out = io;
	return MP_OK;
}

void mp_dnsio_kick(struct mp_dnsio *io)
{
	if (!io->closing && !uv_is_active((uv_handle_t *)&io->kick))
		uv_timer_start(&io->kick, timer_cb, 0, 0);
}

void mp_dnsio_reread(struct mp_dnsio *io, bool sync)
{
	feed_kind(io, sync ? MP_DNSOPS_SYNC : MP_DNSOPS_REREAD);
}

void mp_dnsio_set_dry_run(struct mp_dnsio *io, bool dry_run)
{
	mp_dnsops_set_dry_run(io->m, dry_run);
}

int mp_dnsio_reserve(struct mp_dnsio *io, size_t n)
{
	return mp_dnsops_reserve(io->m, n);
}

int mp_dnsio_reload(struct mp_dnsio *io, const char **why)
{
	struct mp_dnsops_in in = {.kind = MP_DNSOPS_RELOAD};

	*why = feed(io, &in);
	return *why ? MP_EBUSY : MP_OK;
}

int mp_dnsio_reloaded(struct mp_dnsio *io)
{
	int rc = connect_client(io);

	if (rc != MP_OK)
		mp_log(LOG_ERR,
		       "reload: cannot create the DNS client: %s; retrying "
		       "at the next operation",
		       mp_strerror(rc));
	feed_kind(io, MP_DNSOPS_RELOADED);
	return rc;
}

void mp_dnsio_stop(struct mp_dnsio *io)
{
	feed_kind(io, MP_DNSOPS_STOP);
}

bool mp_dnsio_updating(const struct mp_dnsio *io)
{
	return mp_dnsops_updating(io->m);
}

/* libuv finishes closes in no promised order (LIFO in practice): io goes
 * with the last of its two handles. */
static void closed_cb(uv_handle_t *h)
{
	struct mp_dnsio *io = h->data;

	if (--io->open_handles == 0)
		free(io);
}

void mp_dnsio_close(struct mp_dnsio *io)
{
	if (!io)
		return;
	feed_kind(io, MP_DNSOPS_ABANDON);
	io->closing = true;
	io->in_flight = false;
	if (io->client)
		mp_dnsclient_close(io->client, NULL, NULL);
	io->client = NULL;
	mp_dnsops_free(io->m);
	io->m = NULL;
	io->open_handles = 2;
	uv_close((uv_handle_t *)&io->timer, closed_cb);
	uv_close((uv_handle_t *)&io->kick, closed_cb);
}
