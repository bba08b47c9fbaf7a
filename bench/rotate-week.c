/*
 * A simulated week of a rotating pool, through the engine itself (no
 * network): six mirrors with weights 100, 50, 25, 10, 10, 5, max_published
 * = 3, rotate = 15m, update.min_interval = 5s, max_per_hour = 60. Every
 * UPDATE the engine plans is applied at once. Prints each mirror's share of
 * published time against its target min(1, c * weight), and the UPDATEs per
 * day; then the same week with the lightest-but-one mirror (m4) down for
 * 2 h every 12 h, to show the rotation around failures.
 *
 *   bench/rotate-week [seed]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "error.h"
#include "log.h"
#include "rotate.h"

#define N 6
#define WEEK_MS (7ULL * 24 * 3600 * 1000)
#define STEP_MS 1000ULL
#define T0 1763800000000ULL

static const unsigned W[N] = {100, 50, 25, 10, 10, 5};
static uint64_t state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t upper)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (uint32_t)(state % upper);
}

static void quiet(int prio, const struct mp_log_fields *f, const char *msg,
		  void *arg)
{
	(void)prio;
	(void)f;
	(void)msg;
	(void)arg;
}

static const char *CONF =
    "dns = { server = \"127.0.0.1\"; zone = \"example.org\"; key = "
    "\"hmac-sha256:k:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"; };\n"
    "update = { min_interval = \"5s\"; max_per_hour = 60; };\n"
    "check = { url = \"https://dl.example.org/trace\"; rise = 1; fall = 1; "
    "};\n"
    "guard = { all_down_freeze = false; };\n"
    "pools = ( { name = \"dl.example.org.\"; min_healthy = 1; "
    "max_published = 3; rotate = \"15m\";\n"
    "  mirrors = (\n"
    "    { name = \"m1\"; addresses = [ \"192.0.2.1\" ]; weight = 100; },\n"
    "    { name = \"m2\"; addresses = [ \"192.0.2.2\" ]; weight = 50; },\n"
    "    { name = \"m3\"; addresses = [ \"192.0.2.3\" ]; weight = 25; },\n"
    "    { name = \"m4\"; addresses = [ \"192.0.2.4\" ]; weight = 10; },\n"
    "    { name = \"m5\"; addresses = [ \"192.0.2.5\" ]; weight = 10; },\n"
    "    { name = \"m6\"; addresses = [ \"192.0.2.6\" ]; weight = 5; } ); } "
    ");\n"
    "state_file = \"/nonexistent/state.json\";\n";

/* Both clocks at ms (no clock steps in this simulation). */
static struct mp_time at(uint64_t ms)
{
	struct mp_time t = {ms, ms};
	return t;
}

static void feed(struct mp_engine *e, size_t i, bool ok, uint64_t now)
{
	struct mp_check_result r;

	memset(&r, 0, sizeof(r));
	r.ok = ok;
	snprintf(r.detail, sizeof(r.detail), ok ? "HTTP 200" : "HTTP 503");
	r.latency_ms = 10;
	r.at_ms = now;
	mp_engine_check_result(e, i, &r, at(now));
}

static int run(const struct mp_config *cfg, bool outages)
{
	struct mp_engine *e;
	struct mp_addr_set s;
	uint64_t pub_ms[N] = {0}, up_ms = 0, updates = 0, now = T0;
	double pi[N];
	size_t down_counted = 3; /* m4 */

	if (mp_engine_new(cfg, rnd, at(now), &e) != MP_OK)
		return 1;
	mp_addr_set_init(&s);
	for (size_t i = 0; i < 3; i++)
		mp_addr_set_add(&s, &mp_engine_target(e, i)->addr);
	mp_engine_dns_view(e, 0, &s, at(now));
	mp_addr_set_clear(&s);
	mp_engine_dns_view(e, 1, &s, at(now));
	for (size_t i = 0; i < N; i++)
		feed(e, i, true, now);
	for (; now < T0 + WEEK_MS; now += STEP_MS) {
		struct mp_plan p;
		uint64_t next;
		uint64_t in_day = (now - T0) % (12ULL * 3600 * 1000);
		bool m4_down = outages && in_day < 2ULL * 3600 * 1000;

		/* a check of every address every 10 s */
		if ((now - T0) % 10000 == 0)
			for (size_t i = 0; i < N; i++)
				feed(e, i, !(i == down_counted && m4_down),
				     now);
		mp_engine_tick(e, at(now));
		if (mp_engine_plan(e, at(now), &p, &next) == 1) {
			mp_engine_update_result(e, &p, MP_UPDATE_DONE,
						"NOERROR", at(now));
			mp_plan_clear(&p);
			updates++;
		}
		for (size_t i = 0; i < N; i++)
			if (mp_addr_set_contains(&mp_engine_rrset(e, 0)->in_dns,
						 &mp_engine_target(e, i)->addr))
				pub_ms[i] += STEP_MS;
		if (!m4_down)
			up_ms += STEP_MS;
	}
	mp_rotate_probs(W, N, 3, pi);
	printf("%s: 7 days, rotate 15m, max_published 3, %llu UPDATEs "
	       "(%.1f a day), %llu re-draws\n",
	       outages ? "m4 down 2 h in every 12 h" : "all healthy",
	       (unsigned long long)updates, updates / 7.0,
	       (unsigned long long)mp_engine_rrset(e, 0)->draws);
	printf("  mirror weight  target  published share\n");
	for (size_t i = 0; i < N; i++)
		printf("  m%zu     %5u   %.3f   %.3f\n", i + 1, W[i], pi[i],
		       (double)pub_ms[i] / (double)WEEK_MS);
	if (outages)
		printf("  (m4 was up %.3f of the week: its target while up "
		       "is %.3f, i.e. %.3f of the week)\n",
		       (double)up_ms / WEEK_MS, pi[3],
		       pi[3] * (double)up_ms / WEEK_MS);
	mp_engine_free(e);
	return 0;
}

int main(int argc, char **argv)
{
	char path[] = "/tmp/mp-rotate-week-XXXXXX";
	struct mp_config *cfg = NULL;
	struct mp_diag d;
	int fd, rc;

	if (argc > 1)
		state = strtoull(argv[1], NULL, 0) | 1;
	fd = mkstemp(path);
	if (fd < 0 || write(fd, CONF, strlen(CONF)) != (ssize_t)strlen(CONF)) {
		perror("rotate-week: temporary config");
		return 1;
	}
	close(fd);
	mp_log_set_sink(quiet, NULL);
	mp_diag_init(&d);
	rc = mp_config_load(path, 0, &cfg, &d);
	unlink(path);
	if (rc != MP_OK) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s\n", d.msgs[i]);
		mp_diag_clear(&d);
		return 1;
	}
	mp_diag_clear(&d);
	rc = run(cfg, false) || run(cfg, true);
	mp_config_free(cfg);
	return rc;
}
