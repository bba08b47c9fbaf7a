/*
 * mp-check: runs health checks through the agent's checker on a libuv loop
 * and prints one line per check ("ok HTTP 200 35ms", "fail HTTP 503 12ms").
 * Exit status: 0 when every check passed, 1 when one failed, 2 usage.
 *
 * With --run-for D it instead schedules every address through the agent's
 * scheduler (health state machine, interval/fast_interval with jitter) for
 * D and prints "+MS ADDR ok|fail REASON Nms" per check and
 * "+MS ADDR: unknown -> up" per state change; exit 0.
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <uv.h>

#include "addr.h"
#include "check/checker.h"
#include "duration.h"
#include "error.h"

#define MAX_ADDRS 256

static bool show_cert; /* --show-cert */

struct run {
	struct mp_checker *checker;
	struct mp_check_cfg cfg;
	struct mp_addr addrs[MAX_ADDRS];
	size_t n_addrs;
	unsigned long count, started, done, failed;
	bool closed;
	/* --run-for */
	struct mp_sched *sched;
	uv_timer_t stop_timer;
	uint64_t t0;
	unsigned handles_open;
};

/* One scheduled address (--run-for). */
struct target {
	struct run *run;
	const struct mp_addr *addr;
	struct mp_health health;
	struct mp_sched_entry *entry;
};

/* One concurrent check slot; its job is reused for the next check. */
struct slot {
	struct mp_check_job job;
	struct run *run;
};

static void usage(FILE *out)
{
	fputs("Usage: mp-check --url URL --address ADDR [--address ADDR ...]\n"
	      "         [--expect-status N[,N...]] [--expect-body S]\n"
	      "         [--expect-sha256 HEX] [--max-age D]\n"
	      "         [--max-latency D] [--max-body N] [--timeout D]\n"
	      "         [--ca-file F] [--no-tls-verify] [--tcp PORT]\n"
	      "         [--no-tls-resume] [--tls-full-interval D]\n"
	      "         [--tls-expiry-fail D] [--show-cert]\n"
	      "         [--count N] [--concurrency N]\n"
	      "         [--http-client builtin|curl] [--source ADDR]\n"
	      "       mp-check ... --run-for D [--interval D]\n"
	      "         [--fast-interval D] [--rise N] [--fall N]\n"
	      "Durations as in mirrorpool.conf: 250ms, 3s, 6h.\n"
	      "--http-client curl sends plain-HTTP and TCP checks through\n"
	      "libcurl instead of the built-in client (the default).\n"
	      "--show-cert prints the certificate of the last full TLS\n"
	      "handshake after each check's line.\n",
	      out);
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return MP_EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return MP_EINVAL;
	*out = v;
	return MP_OK;
}

/* Fills https/host/port from the URL, as the config loader does. */
static int parse_url(const char *url, struct mp_check_cfg *cfg)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	unsigned long p;
	int rc = MP_EINVAL;
	size_t n;

	if (!u)
		return MP_ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
		CURLUE_OK)
		goto cleanup;
	if (strcmp(scheme, "https") == 0)
		cfg->https = true;
	else if (strcmp(scheme, "http") != 0)
		goto cleanup;
	if (parse_ulong(port, 65535, &p) != MP_OK || p == 0)
		goto cleanup;
	cfg->port = (uint16_t)p;
	n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		cfg->host = strndup(host + 1, n - 2);
	} else {
		cfg->host = strdup(host);
	}
	cfg->url = strdup(url);
	rc = cfg->host && cfg->url ? MP_OK : MP_ENOMEM;
cleanup:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

static int parse_statuses(const char *s, struct mp_check_cfg *cfg)
{
	char buf[256], *save = NULL, *tok;
	unsigned long v;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (cfg->n_expect_status >= MP_MAX_EXPECT_STATUS ||
		    parse_ulong(tok, 999, &v) != MP_OK || v < 100)
			return MP_EINVAL;
		cfg->expect_status[cfg->n_expect_status++] = (int)v;
	}
	return MP_OK;
}

static void start_next(struct slot *slot);

static void on_closed(void *arg)
{
	struct run *run = arg;

	run->closed = true;
}

static void on_done(void *arg, const struct mp_check_result *r,
		    enum mp_check_verdict v)
{
	struct slot *slot = arg;
	struct run *run = slot->run;

	printf("%s %s %ums\n", r->ok ? "ok" : "fail", r->detail, r->latency_ms);
	if (show_cert) {
		const struct mp_tls_cert *cert = mp_check_job_cert(&slot->job);

		if (cert)
			printf("cert not_after=%lld subject=%s issuer=%s\n",
			       (long long)cert->not_after, cert->subject,
			       cert->issuer);
	}
	fflush(stdout);
	run->done++;
	if (!r->ok)
		run->failed++;
	(void)v;
	start_next(slot);
	if (run->done == run->count)
		mp_checker_close(run->checker, on_closed, run);
}

static void start_next(struct slot *slot)
{
	struct run *run = slot->run;
	const struct mp_addr *a;
	int rc;

	if (run->started >= run->count)
		return;
	a = &run->addrs[run->started % run->n_addrs];
	run->started++;
	rc = mp_checker_start(run->checker, &slot->job, &run->cfg, a, on_done,
			      slot);
	if (rc != MP_OK) {
		printf("fail cannot start: %s 0ms\n", mp_strerror(rc));
		run->done++;
		run->failed++;
	}
}

static void on_target_done(void *arg, const struct mp_check_result *r,
			   enum mp_check_verdict v)
{
	struct target *t = arg;
	struct run *run = t->run;
	enum mp_health_state before = t->health.state;
	uint64_t at = uv_hrtime() / 1000000 - run->t0;

	(void)v;
	mp_health_record(&t->health, &run->cfg, NULL, r, NULL);
	printf("+%llu %s %s %s %ums\n", (unsigned long long)at, t->addr->text,
	       r->ok ? "ok" : "fail", r->detail, r->latency_ms);
	if (t->health.state != before)
		printf("+%llu %s: %s -> %s\n", (unsigned long long)at,
		       t->addr->text, mp_health_state_name(before),
		       mp_health_state_name(t->health.state));
	fflush(stdout);
	run->done++;
}

static void on_handle_closed(uv_handle_t *h)
{
	struct run *run = h->data;

	run->handles_open--;
}

static void on_sched_closed(void *arg)
{
	struct run *run = arg;

	run->sched = NULL;
	mp_checker_close(run->checker, on_closed, run);
}

static void on_stop(uv_timer_t *t)
{
	struct run *run = t->data;

	mp_sched_close(run->sched, on_sched_closed, run);
	uv_close((uv_handle_t *)&run->stop_timer, on_handle_closed);
}

/* Runs the scheduler over every address for run_for_ms. */
static int run_scheduled(struct run *run, uv_loop_t *loop, uint64_t run_for_ms)
{
	struct target *targets;
	int rc;

	targets = calloc(run->n_addrs, sizeof(*targets));
	if (!targets)
		return MP_ENOMEM;
	rc = mp_sched_new(loop, run->checker, &run->sched);
	if (rc != MP_OK) {
		free(targets);
		return rc;
	}
	run->t0 = uv_hrtime() / 1000000;
	for (size_t i = 0; i < run->n_addrs; i++) {
		targets[i].run = run;
		targets[i].addr = &run->addrs[i];
		mp_health_init(&targets[i].health);
		targets[i].entry = mp_sched_add(
		    run->sched, &run->cfg, &run->addrs[i], &targets[i].health,
		    on_target_done, &targets[i]);
		if (!targets[i].entry)
			rc = MP_ENOMEM;
	}
	uv_timer_init(loop, &run->stop_timer);
	run->stop_timer.data = run;
	run->handles_open++;
	uv_timer_start(&run->stop_timer, on_stop, rc == MP_OK ? run_for_ms : 0,
		       0);
	uv_run(loop, UV_RUN_DEFAULT);
	free(targets);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"url", required_argument, NULL, 'u'},
	    {"address", required_argument, NULL, 'a'},
	    {"expect-status", required_argument, NULL, 's'},
	    {"expect-body", required_argument, NULL, 'b'},
	    {"expect-sha256", required_argument, NULL, 'S'},
	    {"max-age", required_argument, NULL, 'A'},
	    {"max-latency", required_argument, NULL, 'L'},
	    {"max-body", required_argument, NULL, 'B'},
	    {"timeout", required_argument, NULL, 't'},
	    {"ca-file", required_argument, NULL, 'c'},
	    {"no-tls-verify", no_argument, NULL, 'k'},
	    {"no-tls-resume", no_argument, NULL, 'N'},
	    {"tls-full-interval", required_argument, NULL, 'Z'},
	    {"tls-expiry-fail", required_argument, NULL, 'E'},
	    {"show-cert", no_argument, NULL, 'W'},
	    {"tcp", required_argument, NULL, 'T'},
	    {"count", required_argument, NULL, 'n'},
	    {"concurrency", required_argument, NULL, 'j'},
	    {"run-for", required_argument, NULL, 'R'},
	    {"interval", required_argument, NULL, 'I'},
	    {"fast-interval", required_argument, NULL, 'F'},
	    {"rise", required_argument, NULL, 'r'},
	    {"fall", required_argument, NULL, 'f'},
	    {"http-client", required_argument, NULL, 'C'},
	    {"source", required_argument, NULL, 'O'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct run run;
	uv_loop_t loop;
	bool builtin = true;
	const char *url = NULL;
	unsigned long v, concurrency = 0;
	uint64_t run_for = 0;
	struct slot *slots = NULL;
	int opt, rc, status = 2;
	size_t len;

	memset(&run, 0, sizeof(run));
	run.cfg.type = MP_CHECK_HTTP;
	run.cfg.timeout_ms = 3000;
	run.cfg.max_body = 65536;
	run.cfg.tls_verify = true;
	run.cfg.tls_resume = true;
	run.cfg.tls_full_interval_ms = 600000;
	run.cfg.interval_ms = 10000;
	run.cfg.fast_interval_ms = 2000;
	run.cfg.rise = 2;
	run.cfg.fall = 3;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		rc = MP_OK;
		switch (opt) {
		case 'u':
			url = optarg;
			break;
		case 'a':
			if (run.n_addrs >= MAX_ADDRS)
				rc = MP_ERANGE;
			else
				rc = mp_addr_parse(optarg,
						   &run.addrs[run.n_addrs++]);
			break;
		case 's':
			rc = parse_statuses(optarg, &run.cfg);
			break;
		case 'b':
			run.cfg.expect_body = optarg;
			break;
		case 'S':
			run.cfg.has_expect_sha256 = true;
			if (sodium_hex2bin(run.cfg.expect_sha256, 32, optarg,
					   strlen(optarg), NULL, &len,
					   NULL) != 0 ||
			    len != 32 || strlen(optarg) != 64)
				rc = MP_EINVAL;
			break;
		case 'A':
			rc = mp_duration_parse(optarg, &run.cfg.max_age_ms);
			break;
		case 'L':
			rc = mp_duration_parse(optarg, &run.cfg.max_latency_ms);
			break;
		case 'B':
			rc = parse_ulong(optarg, ULONG_MAX, &v);
			run.cfg.max_body = v;
			break;
		case 't':
			rc = mp_duration_parse(optarg, &run.cfg.timeout_ms);
			break;
		case 'c':
			run.cfg.ca_file = optarg;
			break;
		case 'k':
			run.cfg.tls_verify = false;
			break;
		case 'N':
			run.cfg.tls_resume = false;
			break;
		case 'Z':
			rc = mp_duration_parse(optarg,
					       &run.cfg.tls_full_interval_ms);
			break;
		case 'E':
			rc = mp_duration_parse(optarg,
					       &run.cfg.tls_expiry_fail_ms);
			break;
		case 'W':
			show_cert = true;
			break;
		case 'O': {
			struct mp_addr src;
			rc = mp_addr_parse(optarg, &src);
			if (rc == MP_OK && src.family == AF_INET) {
				run.cfg.source4 = src;
				run.cfg.has_source4 = true;
			} else if (rc == MP_OK) {
				run.cfg.source6 = src;
				run.cfg.has_source6 = true;
			}
			break;
		}
		case 'T':
			rc = parse_ulong(optarg, 65535, &v);
			run.cfg.type = MP_CHECK_TCP;
			run.cfg.port = (uint16_t)v;
			break;
		case 'n':
			rc = parse_ulong(optarg, 1000000, &run.count);
			break;
		case 'j':
			rc = parse_ulong(optarg, 10000, &concurrency);
			break;
		case 'R':
			rc = mp_duration_parse(optarg, &run_for);
			break;
		case 'I':
			rc = mp_duration_parse(optarg, &run.cfg.interval_ms);
			break;
		case 'F':
			rc = mp_duration_parse(optarg,
					       &run.cfg.fast_interval_ms);
			break;
		case 'r':
			rc = parse_ulong(optarg, 100, &v);
			run.cfg.rise = (unsigned)v;
			break;
		case 'f':
			rc = parse_ulong(optarg, 100, &v);
			run.cfg.fall = (unsigned)v;
			break;
		case 'C':
			if (strcmp(optarg, "curl") == 0)
				builtin = false;
			else if (strcmp(optarg, "builtin") != 0)
				rc = MP_EINVAL;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (rc != MP_OK) {
			fprintf(stderr, "mp-check: bad value \"%s\": %s\n",
				optarg, mp_strerror(rc));
			return 2;
		}
	}
	if (optind != argc || run.n_addrs == 0 ||
	    (run.cfg.type == MP_CHECK_HTTP && !url) ||
	    (run.cfg.type == MP_CHECK_TCP && run.cfg.port == 0)) {
		usage(stderr);
		return 2;
	}
	if (run.cfg.n_expect_status == 0) {
		run.cfg.expect_status[0] = 200;
		run.cfg.n_expect_status = 1;
	}
	if (run.cfg.type == MP_CHECK_HTTP &&
	    parse_url(url, &run.cfg) != MP_OK) {
		fprintf(stderr, "mp-check: bad URL: %s\n", url);
		goto cleanup;
	}
	if (run.count == 0)
		run.count = run.n_addrs;
	if (concurrency == 0 || concurrency > run.count)
		concurrency = run.count;

	if (uv_loop_init(&loop) != 0)
		goto cleanup;
	rc = mp_checker_new(&loop, &run.checker);
	if (rc != MP_OK) {
		fprintf(stderr, "mp-check: %s\n", mp_strerror(rc));
		uv_loop_close(&loop);
		goto cleanup;
	}
	mp_checker_set_builtin(run.checker, builtin);
	if (run_for > 0) {
		rc = run_scheduled(&run, &loop, run_for);
		if (rc != MP_OK)
			fprintf(stderr, "mp-check: %s\n", mp_strerror(rc));
		if (!run.closed || run.handles_open ||
		    uv_loop_close(&loop) != 0) {
			fprintf(stderr, "mp-check: unclean shutdown\n");
			goto cleanup;
		}
		status = rc == MP_OK ? 0 : 1;
		goto cleanup;
	}
	slots = calloc(concurrency, sizeof(*slots));
	if (!slots) {
		mp_checker_close(run.checker, on_closed, &run);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		goto cleanup;
	}
	for (unsigned long i = 0; i < concurrency; i++) {
		mp_check_job_init(&slots[i].job);
		slots[i].run = &run;
		start_next(&slots[i]);
	}
	if (run.done == run.count) /* every start failed */
		mp_checker_close(run.checker, on_closed, &run);
	uv_run(&loop, UV_RUN_DEFAULT);
	for (unsigned long i = 0; i < concurrency; i++)
		mp_check_job_cleanup(&slots[i].job);
	if (!run.closed || uv_loop_close(&loop) != 0) {
		fprintf(stderr, "mp-check: unclean shutdown\n");
		goto cleanup;
	}
	status = run.failed ? 1 : 0;
cleanup:
	free(slots);
	free(run.cfg.url);
	free(run.cfg.host);
	return status;
}
