/* JSON pools on the loop: source files, their watches, the entries' checks
 * and the outputs. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checker.h"
#include "error.h"
#include "jsonpools.h"
#include "jsonstate.h"
#include "log.h"

#define MAX_SOURCE (16 * 1024 * 1024)
#define DEBOUNCE_MS 100
#define TICK_MS 1000

struct jpool;

/* One mp_jsonpools_run_now: results as the checks answer. */
struct run {
	mp_jsonpools_report_fn report;
	void *arg;
	size_t outstanding;
	json_t *results;
};

/* One checked entry. */
struct slot {
	struct jpool *jp;
	size_t k; /* entry index */
	struct mp_sched_entry *entry;
	struct run *waiting; /* a run_now waiting for this entry's result */
};

/* One JSON pool. Freed in its handles' close callbacks. */
struct jpool {
	struct mp_jsonpools *p;
	size_t j;
	char *source, *dir, *base; /* copies: they outlive a reload */
	uv_fs_event_t watch;
	uv_timer_t debounce;
	int open_handles;
	bool watching;
	char *good; /* the last source text that parsed */
	size_t good_len;
	struct slot **slots;
	size_t n_slots;
	bool write_failed; /* logged once until a write succeeds */
};

struct mp_jsonpools {
	uv_loop_t *loop;
	struct mp_engine *engine;
	struct mp_checker *checker;
	struct mp_sched *sched;
	struct mp_jsonpools_ops ops;
	struct jpool **pools;
	size_t n_pools;
	uv_timer_t tick;
	bool started_once;
};

static struct mp_jstate *jstate(struct jpool *jp)
{
	return mp_engine_json_pool(jp->p->engine, jp->j);
}

/* ---- files ------------------------------------------------------------ */

/* The whole file; MP_ENOENT when it does not exist. */
static int read_file(const char *path, char **out, size_t *len, char *err,
		     size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t off = 0;

	*out = NULL;
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
		return mp_err_errno(e);
	}
	if (fstat(fd, &st) < 0 || st.st_size > MAX_SOURCE) {
		snprintf(err, errlen, "%s: %s", path,
			 st.st_size > MAX_SOURCE ? "larger than 16 MiB"
						 : strerror(errno));
		close(fd);
		return MP_EIO;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return MP_ENOMEM;
	}
	while (off < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break; /* shrank while read: take what is there */
		off += (size_t)r;
	}
	close(fd);
	buf[off] = '\0';
	*out = buf;
	*len = off;
	return MP_OK;
}

static void write_output(struct jpool *jp)
{
	struct mp_jsonpools *p = jp->p;
	const struct mp_json_pool_cfg *cfg =
	    &mp_engine_config(p->engine)->json_pools[jp->j];
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;
	char *text = NULL, err[600];
	size_t len = 0, in = 0;
	int rc;

	rc = mp_engine_json_output(p->engine, jp->j, p->ops.now(), &text, &len);
	if (rc <= 0)
		return;
	f.pool = cfg->name;
	if (p->ops.write(p->ops.arg, cfg->output, text, len, err,
			 sizeof(err)) != MP_OK) {
		if (!jp->write_failed)
			mp_logf(LOG_ERR, &f,
				"json pool %s: %s; the previous output stays "
				"served, retrying every second",
				cfg->name, err);
		jp->write_failed = true;
		free(text);
		return;
	}
	free(text);
	jp->write_failed = false;
	mp_jstate_written(jstate(jp));
	for (size_t k = 0; k < mp_jstate_n(jstate(jp)); k++)
		in += mp_jstate_entry(jstate(jp), k)->weight > 0;
	mp_logf(LOG_NOTICE, &f,
		"json pool %s: wrote %s (%zu of %zu mirrors "
		"with weight > 0)",
		cfg->name, cfg->output, in, mp_jstate_n(jstate(jp)));
}

/* ---- checks ----------------------------------------------------------- */

/* Hands the slot's result (NULL: none, the check was cancelled) to the run
 * waiting for it, and reports the run once complete. */
static void answer(struct slot *s, const struct mp_check_result *r)
{
	struct run *run = s->waiting;

	if (!run)
		return;
	s->waiting = NULL;
	if (r) {
		struct mp_jentry *e = mp_jstate_entry(jstate(s->jp), s->k);
		json_array_append_new(
		    run->results,
		    json_pack("{s:s, s:s, s:b, s:s, s:I, s:s}", "mirror",
			      e->name, "address", e->url, "ok", r->ok, "detail",
			      r->detail, "latency_ms",
			      (json_int_t)r->latency_ms, "state",
			      mp_health_state_name(e->health.state)));
	}
	if (--run->outstanding > 0)
		return;
	run->report(run->arg, run->results);
	json_decref(run->results);
	free(run);
}

static void check_done(void *arg, const struct mp_check_result *r,
		       enum mp_check_verdict v)
{
	struct slot *s = arg;
	struct jpool *jp = s->jp;
	struct mp_time now = jp->p->ops.now();
	struct mp_check_result mr = *r;
	bool changed;

	(void)v;
	/* the engine times results on the monotonic clock */
	mr.at_ms = now.mono_ms;
	changed = mp_engine_json_result(jp->p->engine, jp->j, s->k, &mr, now);
	answer(s, r);
	if (changed) {
		write_output(jp);
		if (jp->p->ops.changed)
			jp->p->ops.changed(jp->p->ops.arg);
	}
}

static void unschedule(struct jpool *jp)
{
	for (size_t i = 0; i < jp->n_slots; i++) {
		if (jp->slots[i]->entry)
			mp_sched_remove(jp->slots[i]->entry);
		answer(jp->slots[i], NULL);
		free(jp->slots[i]);
	}
	free(jp->slots);
	jp->slots = NULL;
	jp->n_slots = 0;
}

static int schedule(struct jpool *jp)
{
	struct mp_jstate *js = jstate(jp);
	size_t n = mp_jstate_n(js);

	unschedule(jp);
	jp->slots = calloc(n + 1, sizeof(*jp->slots));
	if (!jp->slots)
		return MP_ENOMEM;
	for (size_t k = 0; k < n; k++) {
		struct mp_jentry *e = mp_jstate_entry(js, k);
		struct slot *s;

		if (!e->checked)
			continue;
		s = calloc(1, sizeof(*s));
		if (!s)
			return MP_ENOMEM;
		s->jp = jp;
		s->k = k;
		jp->slots[jp->n_slots++] = s;
		s->entry = mp_sched_add(jp->p->sched, &e->check, NULL,
					&e->health, check_done, s);
		if (!s->entry)
			return MP_ENOMEM;
	}
	return MP_OK;
}

/* ---- the source ------------------------------------------------------- */

/* Reads and applies the source; served is the output's list the first
 * time (adoption), else NULL. */
static void load_source(struct jpool *jp, bool first)
{
	struct mp_jsonpools *p = jp->p;
	const struct mp_json_pool_cfg *cfg =
	    &mp_engine_config(p->engine)->json_pools[jp->j];
	struct mp_log_fields f = MP_LOG_FIELDS_INIT;
	struct mp_jp_list *list = NULL, *served = NULL;
	char *text = NULL, *otext = NULL, err[700];
	size_t len = 0, olen = 0;
	int rc;

	f.pool = cfg->name;
	rc = read_file(cfg->source, &text, &len, err, sizeof(err));
	if (rc == MP_OK && jp->good && len == jp->good_len &&
	    memcmp(text, jp->good, len) == 0) {
		free(text); /* touched, not changed */
		return;
	}
	if (rc == MP_OK)
		rc = mp_jp_parse(text, len, cfg->source, &list, err,
				 sizeof(err));
	if (rc != MP_OK) {
		free(text);
		mp_jstate_source_error(jstate(jp), err);
		mp_logf(LOG_ERR, &f, "json pool %s: %s; %s", cfg->name, err,
			mp_jstate_n(jstate(jp)) || jp->good
			    ? "keeping the last good list"
			    : "nothing is written until the source is valid");
		return;
	}
	if (first &&
	    read_file(cfg->output, &otext, &olen, err, sizeof(err)) == MP_OK) {
		if (mp_jp_parse(otext, olen, cfg->output, &served, err,
				sizeof(err)) != MP_OK)
			served = NULL; /* not ours to trust: start afresh */
		free(otext);
	}
	rc = mp_jstate_set_list(jstate(jp), list, served, p->ops.now().wall_ms);
	mp_jp_list_free(served);
	if (rc != MP_OK) {
		free(text);
		mp_logf(LOG_ERR, &f, "json pool %s: %s", cfg->name,
			mp_strerror(rc));
		return;
	}
	free(jp->good);
	jp->good = text;
	jp->good_len = len;
	mp_logf(LOG_INFO, &f, "json pool %s: read %s (%zu mirrors)", cfg->name,
		cfg->source, mp_jstate_n(jstate(jp)));
	if (schedule(jp) != MP_OK)
		mp_logf(LOG_ERR, &f,
			"json pool %s: cannot schedule the checks: out of "
			"memory",
			cfg->name);
	write_output(jp);
	if (p->ops.changed)
		p->ops.changed(p->ops.arg);
}

static void debounce_cb(uv_timer_t *t)
{
	load_source(t->data, false);
}

static void watch_cb(uv_fs_event_t *h, const char *filename, int events,
		     int status)
{
	struct jpool *jp = h->data;

	(void)events;
	if (status < 0 || (filename && strcmp(filename, jp->base) != 0))
		return;
	/* an editor writes in several steps: read once they are done */
	uv_timer_start(&jp->debounce, debounce_cb, DEBOUNCE_MS, 0);
}

/* ---- life ------------------------------------------------------------- */

static void tick_cb(uv_timer_t *t)
{
	mp_jsonpools_refresh(t->data);
}

int mp_jsonpools_new(uv_loop_t *loop, struct mp_engine *engine,
		     const struct mp_jsonpools_ops *ops,
		     struct mp_jsonpools **out)
{
	struct mp_jsonpools *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return MP_ENOMEM;
	p->loop = loop;
	p->engine = engine;
	p->ops = *ops;
	rc = mp_checker_new(loop, &p->checker);
	if (rc == MP_OK)
		rc = mp_sched_new(loop, p->checker, &p->sched);
	if (rc != MP_OK) {
		if (p->checker)
			mp_checker_close(p->checker, NULL, NULL);
		free(p);
		return rc;
	}
	uv_timer_init(loop, &p->tick);
	p->tick.data = p;
	*out = p;
	return MP_OK;
}

static void jpool_closed(uv_handle_t *h)
{
	struct jpool *jp = h->data;

	if (--jp->open_handles > 0)
		return;
	free(jp->source);
	free(jp->dir);
	free(jp->base);
	free(jp->good);
	free(jp);
}

static void jpool_close(struct jpool *jp)
{
	unschedule(jp);
	jp->open_handles = 2;
	uv_close((uv_handle_t *)&jp->watch, jpool_closed);
	uv_close((uv_handle_t *)&jp->debounce, jpool_closed);
}

static struct jpool *jpool_new(struct mp_jsonpools *p, size_t j,
			       const struct mp_json_pool_cfg *cfg)
{
	struct jpool *jp = calloc(1, sizeof(*jp));
	char *a, *b;

	if (!jp)
		return NULL;
	jp->p = p;
	jp->j = j;
	jp->source = strdup(cfg->source);
	a = strdup(cfg->source);
	b = strdup(cfg->source);
	if (!jp->source || !a || !b) {
		free(jp->source);
		free(a);
		free(b);
		free(jp);
		return NULL;
	}
	jp->dir = strdup(dirname(a));
	jp->base = strdup(basename(b));
	free(a);
	free(b);
	uv_fs_event_init(p->loop, &jp->watch);
	uv_timer_init(p->loop, &jp->debounce);
	jp->watch.data = jp->debounce.data = jp;
	return jp;
}

int mp_jsonpools_start(struct mp_jsonpools *p)
{
	const struct mp_config *cfg = mp_engine_config(p->engine);
	bool first = !p->started_once;

	p->pools = calloc(cfg->n_json_pools + 1, sizeof(*p->pools));
	if (!p->pools)
		return MP_ENOMEM;
	for (size_t j = 0; j < cfg->n_json_pools; j++) {
		struct jpool *jp = jpool_new(p, j, &cfg->json_pools[j]);
		struct mp_log_fields f = MP_LOG_FIELDS_INIT;
		int rc;

		if (!jp || !jp->dir || !jp->base)
			return MP_ENOMEM;
		p->pools[p->n_pools++] = jp;
		f.pool = cfg->json_pools[j].name;
		rc = uv_fs_event_start(&jp->watch, watch_cb, jp->dir, 0);
		if (rc < 0)
			mp_logf(
			    LOG_WARNING, &f,
			    "json pool %s: cannot watch %s (%s); the source "
			    "is read again on reload only",
			    cfg->json_pools[j].name, jp->dir, uv_strerror(rc));
		/* the runtime keeps its list over a reload: a source that
		 * is broken now leaves it as it was */
		load_source(jp, first && mp_jstate_n(jstate(jp)) == 0);
		if (mp_jstate_n(jstate(jp)) > 0 && !jp->slots &&
		    schedule(jp) != MP_OK)
			return MP_ENOMEM;
	}
	p->started_once = true;
	if (cfg->n_json_pools > 0)
		uv_timer_start(&p->tick, tick_cb, TICK_MS, TICK_MS);
	return MP_OK;
}

void mp_jsonpools_stop(struct mp_jsonpools *p)
{
	if (!p)
		return;
	uv_timer_stop(&p->tick);
	for (size_t i = 0; i < p->n_pools; i++)
		jpool_close(p->pools[i]);
	free(p->pools);
	p->pools = NULL;
	p->n_pools = 0;
}

void mp_jsonpools_refresh(struct mp_jsonpools *p)
{
	for (size_t i = 0; p && i < p->n_pools; i++)
		write_output(p->pools[i]);
}

int mp_jsonpools_run_now(struct mp_jsonpools *p, const char *mirror,
			 mp_jsonpools_report_fn report, void *arg)
{
	struct run *run;
	size_t matched = 0;

	if (!p || !mirror)
		return MP_ENOENT;
	run = calloc(1, sizeof(*run));
	if (!run || !(run->results = json_array())) {
		free(run);
		return MP_ENOMEM;
	}
	run->report = report;
	run->arg = arg;
	run->outstanding = 1; /* held while the checks start */
	for (size_t i = 0; i < p->n_pools; i++)
		for (size_t n = 0; n < p->pools[i]->n_slots; n++) {
			struct slot *s = p->pools[i]->slots[n];
			struct mp_jentry *e =
			    mp_jstate_entry(jstate(s->jp), s->k);
			int rc;

			if (strcmp(e->name, mirror) != 0 || s->waiting ||
			    !s->entry)
				continue;
			s->waiting = run;
			run->outstanding++;
			matched++;
			/* MP_EBUSY: the check in flight answers */
			rc = mp_sched_check_now(s->entry);
			if (rc != MP_OK && rc != MP_EBUSY) {
				struct mp_check_result r;
				memset(&r, 0, sizeof(r));
				snprintf(r.detail, sizeof(r.detail),
					 "check not started: %s",
					 mp_strerror(rc));
				answer(s, &r);
			}
		}
	if (matched == 0) {
		json_decref(run->results);
		free(run);
		return MP_ENOENT;
	}
	{ /* drop the hold: reports now if every check answered already */
		struct slot hold = {.waiting = run};
		answer(&hold, NULL);
	}
	return MP_OK;
}

static void tick_closed(uv_handle_t *h)
{
	free(h->data);
}

void mp_jsonpools_close(struct mp_jsonpools *p)
{
	if (!p)
		return;
	mp_jsonpools_stop(p);
	mp_sched_close(p->sched, NULL, NULL);
	mp_checker_close(p->checker, NULL, NULL);
	uv_close((uv_handle_t *)&p->tick, tick_closed); /* frees p */
}
