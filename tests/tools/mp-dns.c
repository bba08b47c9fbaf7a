/*
 * mp-dns: sends one signed query or UPDATE through mirrorpool's own DNS
 * transport and prints one line describing the outcome. The integration
 * tests drive real named/knotd and a fake server with it.
 *
 *   ANSWER rcode=NOERROR tsig=verified via=udp rtt=3ms addrs=192.0.2.10
 *   ANSWER rcode=NOTAUTH tsig=server-error tsig-error=BADTIME via=udp
 *          rtt=1ms server-time=1700000000 skew=301s
 *   UNSIGNED rcode=NOTAUTH tsig=unsigned tsig-error=BADKEY rtt=2000ms
 *            detail="..."
 *   TIMEOUT no answer within 2000 ms over UDP
 *   NETERR connection refused
 *
 * Exit status 0 only for a verified NOERROR; 1 for any other outcome; 2 for
 * usage errors.
 *
 * With --repeat N (updates only) it sends N UPDATEs one after the other on
 * one loop, alternating the change as given with its inverse (+ADDR becomes
 * -ADDR and back), so every request really changes the zone. Each is timed
 * inside the process with the loop's monotonic clock, and one line per
 * request and a summary are printed (microseconds):
 *
 *   RTT seq=1 op=given rcode=NOERROR tsig=verified via=udp send_us=US
 *       total_us=US
 *   SUMMARY requests=N ok=N send_median_us=US send_p90_us=US
 *           send_max_us=US total_median_us=US total_p90_us=US
 *           total_max_us=US elapsed_us=US
 *
 * send_us runs from handing the signed request to the transport to the
 * verified answer's callback; total_us also counts building and signing;
 * elapsed_us runs from the first build to the last answer. The run stops
 * at the first request that is not a verified NOERROR ("FAILED seq=K "
 * and the usual outcome line); the exit status is 0 only when all N were.
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <uv.h>

#include "addr.h"
#include "diag.h"
#include "dns/dnsclient.h"
#include "dnsmsg.h"
#include "duration.h"
#include "error.h"
#include "log.h"
#include "rrset.h"
#include "tsig.h"
#include "tsig_key.h"

struct opts {
	const char *server;
	long port;
	const char *key_file;
	const char *key_name;
	const char *key_inline;
	const char *zone;
	bool tcp;
	uint64_t timeout_ms;
	long long clock_offset;
	long repeat;
};

struct run {
	int64_t offset;
	int exit_status;
	/* --repeat: two request buffers, so the next one can be built and
	 * sent from the previous one's callback while that one's buffer is
	 * still the transport's */
	const struct opts *o;
	char **args;
	int nargs;
	const struct mp_tsig_key *key;
	struct mp_dnsclient *client;
	struct mp_dns_request reqs[2];
	long sent, ok;
	uint64_t t_build, t_send, t_first, t_last;
	uint64_t *send_ns, *total_ns;
};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: mp-dns --server ADDR --port N (--key-file F [--key-name N]"
	    " | --key ALG:NAME:BASE64)\n"
	    "              --zone Z [--tcp] [--timeout D] [--clock-offset S]"
	    " [--repeat N] [--verbose]\n"
	    "              (query NAME TYPE | update NAME TYPE TTL "
	    "[+ADDR|-ADDR]...)\n");
}

static uint64_t skewed_clock(void *arg)
{
	const struct run *r = arg;

	return (uint64_t)((int64_t)time(NULL) + r->offset);
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return MP_EINVAL;
	*out = v;
	return MP_OK;
}

static int parse_type(const char *s)
{
	if (strcasecmp(s, "A") == 0)
		return MP_RRTYPE_A;
	if (strcasecmp(s, "AAAA") == 0)
		return MP_RRTYPE_AAAA;
	if (strcasecmp(s, "SOA") == 0)
		return MP_RRTYPE_SOA;
	return -1;
}

/* "name" and "name." both mean the absolute name. */
static int absolute(const char *in, char *out, size_t len)
{
	size_t n = strlen(in);

	if (n == 0 || n + 2 > len)
		return MP_EINVAL;
	snprintf(out, len, "%s%s", in, in[n - 1] == '.' ? "" : ".");
	return MP_OK;
}

static void print_addrs(const struct mp_addr_set *s)
{
	if (s->n == 0)
		return;
	printf(" addrs=");
	for (size_t i = 0; i < s->n; i++)
		printf("%s%s", i ? "," : "", s->v[i].text);
}

/* Short tokens for scripts; mp_tsig_status_str is for people. */
static const char *tsig_token(enum mp_tsig_status s)
{
	switch (s) {
	case MP_TSIG_VERIFIED:
		return "verified";
	case MP_TSIG_UNSIGNED:
		return "unsigned";
	case MP_TSIG_MALFORMED:
		return "malformed";
	case MP_TSIG_WRONG_KEY:
		return "wrong-key";
	case MP_TSIG_WRONG_ALG:
		return "wrong-alg";
	case MP_TSIG_BAD_MAC:
		return "bad-mac";
	case MP_TSIG_BAD_TIME:
		return "bad-time";
	case MP_TSIG_SERVER_ERROR:
		return "server-error";
	}
	return "unknown";
}

static void print_tsig(const struct mp_dns_response *resp)
{
	char eb[16];

	printf(" tsig=%s", tsig_token(resp->tsig));
	if (resp->tsig_info.error)
		printf(
		    " tsig-error=%s",
		    mp_tsig_error_str(resp->tsig_info.error, eb, sizeof(eb)));
}

static void done(void *arg, enum mp_dns_outcome o,
		 const struct mp_dns_response *resp, const char *detail,
		 uint64_t rtt_ms)
{
	struct run *r = arg;
	char rb[16];

	switch (o) {
	case MP_DNS_ANSWER:
		printf("ANSWER rcode=%s",
		       mp_rcode_str(resp->rcode, rb, sizeof(rb)));
		print_tsig(resp);
		printf(" via=%s rtt=%" PRIu64 "ms", detail, rtt_ms);
		if (resp->tsig_info.other_time) {
			int64_t now = (int64_t)skewed_clock(r);
			int64_t srv = (int64_t)resp->tsig_info.other_time;
			printf(" server-time=%" PRId64 " skew=%" PRId64 "s",
			       srv, now - srv);
		}
		if (resp->has_soa)
			printf(" serial=%" PRIu32, resp->soa_serial);
		print_addrs(&resp->answers);
		printf("\n");
		if (resp->rcode == 0 && resp->tsig == MP_TSIG_VERIFIED)
			r->exit_status = 0;
		break;
	case MP_DNS_UNSIGNED:
		printf("UNSIGNED rcode=%s",
		       mp_rcode_str(resp->rcode, rb, sizeof(rb)));
		print_tsig(resp);
		printf(" rtt=%" PRIu64 "ms detail=\"%s\"\n", rtt_ms, detail);
		break;
	case MP_DNS_TIMEOUT:
		printf("TIMEOUT %s\n", detail);
		break;
	case MP_DNS_NETERR:
		printf("NETERR %s\n", detail);
		break;
	case MP_DNS_CANCELLED:
		printf("CANCELLED %s\n", detail);
		break;
	}
	fflush(stdout);
}

/* Fills add/del from "+ADDR"/"-ADDR" words of the type's family; invert
 * swaps the two (the undo of the change, for --repeat). */
static int parse_changes(char **words, int n, int rrtype, bool invert,
			 struct mp_addr_set *add, struct mp_addr_set *del)
{
	struct mp_addr a;

	for (int i = 0; i < n; i++) {
		const char *w = words[i];
		bool plus = w[0] == '+';
		if ((w[0] != '+' && w[0] != '-') ||
		    mp_addr_parse(w + 1, &a) != MP_OK ||
		    mp_addr_rrtype(&a) != rrtype) {
			fprintf(stderr, "mp-dns: bad change \"%s\"\n", w);
			return MP_EINVAL;
		}
		if (mp_addr_set_add(plus != invert ? add : del, &a) != MP_OK)
			return MP_ENOMEM;
	}
	return MP_OK;
}

static int build(const struct opts *o, char **args, int nargs, bool invert,
		 const struct mp_tsig_key *key, uint64_t now_s,
		 struct mp_dns_request *req)
{
	char zone[256], name[256];
	struct mp_addr_set add, del;
	struct mp_rrset_change ch;
	uint16_t id = (uint16_t)randombytes_uniform(65536);
	long ttl;
	int type, rc = MP_EINVAL;

	mp_addr_set_init(&add);
	mp_addr_set_init(&del);
	if (nargs < 3 || absolute(o->zone, zone, sizeof(zone)) != MP_OK ||
	    absolute(args[1], name, sizeof(name)) != MP_OK ||
	    (type = parse_type(args[2])) < 0)
		goto cleanup;
	if (strcmp(args[0], "query") == 0 && nargs == 3) {
		rc = mp_query_build(name, type, id, key, now_s, req);
	} else if (strcmp(args[0], "update") == 0 && nargs >= 4 &&
		   type != MP_RRTYPE_SOA &&
		   parse_long(args[3], 0, 2147483647, &ttl) == MP_OK) {
		rc = parse_changes(args + 4, nargs - 4, type, invert, &add,
				   &del);
		if (rc != MP_OK)
			goto cleanup;
		ch.owner = name;
		ch.rrtype = type;
		ch.ttl = (uint32_t)ttl;
		ch.add = &add;
		ch.del = &del;
		rc = mp_update_build(zone, &ch, 1, id, key, now_s, req);
	}
	if (rc != MP_OK && rc != MP_EINVAL)
		fprintf(stderr, "mp-dns: cannot build the message: %s\n",
			mp_strerror(rc));
cleanup:
	mp_addr_set_clear(&add);
	mp_addr_set_clear(&del);
	return rc;
}

/* ---- --repeat ---------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n sorted values (n > 0). */
static uint64_t percentile(const uint64_t *v, long n, unsigned p)
{
	long k = (long)(((uint64_t)n * p + 99) / 100);

	if (k < 1)
		k = 1;
	return v[k - 1];
}

static void repeat_done(void *arg, enum mp_dns_outcome o,
			const struct mp_dns_response *resp, const char *detail,
			uint64_t rtt_ms);

/* Builds, signs and sends request number r->sent (0-based; odd ones undo
 * the change), into the buffer the previous request did not use. */
static int repeat_send(struct run *r)
{
	struct mp_dns_request *req = &r->reqs[r->sent % 2];
	int rc;

	mp_dns_request_clear(req);
	r->t_build = uv_hrtime();
	if (r->sent == 0)
		r->t_first = r->t_build;
	rc = build(r->o, r->args, r->nargs, r->sent % 2 == 1, r->key,
		   skewed_clock(r), req);
	if (rc != MP_OK)
		return rc;
	r->t_send = uv_hrtime();
	rc = mp_dnsclient_send(r->client, req, r->o->tcp, r->o->timeout_ms,
			       repeat_done, r);
	if (rc != MP_OK)
		return rc;
	r->sent++;
	return MP_OK;
}

static void repeat_done(void *arg, enum mp_dns_outcome o,
			const struct mp_dns_response *resp, const char *detail,
			uint64_t rtt_ms)
{
	struct run *r = arg;
	uint64_t now = uv_hrtime();
	long i = r->sent - 1;
	int rc;

	if (o != MP_DNS_ANSWER || resp->rcode != 0 ||
	    resp->tsig != MP_TSIG_VERIFIED) {
		printf("FAILED seq=%ld ", i + 1);
		done(r, o, resp, detail, rtt_ms);
		r->exit_status = 1;
		return;
	}
	r->t_last = now;
	r->send_ns[i] = now - r->t_send;
	r->total_ns[i] = now - r->t_build;
	r->ok++;
	printf("RTT seq=%ld op=%s rcode=NOERROR tsig=verified via=%s "
	       "send_us=%" PRIu64 " total_us=%" PRIu64 "\n",
	       i + 1, i % 2 ? "inverse" : "given", detail, r->send_ns[i] / 1000,
	       r->total_ns[i] / 1000);
	if (r->sent >= r->o->repeat)
		return;
	rc = repeat_send(r);
	if (rc != MP_OK) {
		fprintf(stderr, "mp-dns: request %ld not sent: %s\n",
			r->sent + 1, mp_strerror(rc));
		r->exit_status = 1;
	}
}

static void repeat_summary(struct run *r)
{
	long n = r->ok;

	if (n > 0) {
		qsort(r->send_ns, (size_t)n, sizeof(*r->send_ns), cmp_u64);
		qsort(r->total_ns, (size_t)n, sizeof(*r->total_ns), cmp_u64);
	}
	printf("SUMMARY requests=%ld ok=%ld", r->o->repeat, n);
	if (n > 0)
		printf(" send_median_us=%" PRIu64 " send_p90_us=%" PRIu64
		       " send_max_us=%" PRIu64 " total_median_us=%" PRIu64
		       " total_p90_us=%" PRIu64 " total_max_us=%" PRIu64
		       " elapsed_us=%" PRIu64,
		       percentile(r->send_ns, n, 50) / 1000,
		       percentile(r->send_ns, n, 90) / 1000,
		       r->send_ns[n - 1] / 1000,
		       percentile(r->total_ns, n, 50) / 1000,
		       percentile(r->total_ns, n, 90) / 1000,
		       r->total_ns[n - 1] / 1000,
		       (r->t_last - r->t_first) / 1000);
	printf("\n");
	if (n == r->o->repeat)
		r->exit_status = 0;
}

static int load_key(const struct opts *o, struct mp_tsig_key **key)
{
	struct mp_diag d;
	int rc;

	mp_diag_init(&d);
	if (o->key_inline)
		rc = mp_tsig_key_parse_inline(o->key_inline, "--key", key, &d);
	else
		rc = mp_tsig_key_load_file(o->key_file, o->key_name, key, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "mp-dns: %s\n", d.msgs[i]);
	mp_diag_clear(&d);
	return rc;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"server", required_argument, NULL, 's'},
	    {"port", required_argument, NULL, 'p'},
	    {"key-file", required_argument, NULL, 'k'},
	    {"key-name", required_argument, NULL, 'n'},
	    {"key", required_argument, NULL, 'y'},
	    {"zone", required_argument, NULL, 'z'},
	    {"tcp", no_argument, NULL, 't'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"clock-offset", required_argument, NULL, 'o'},
	    {"repeat", required_argument, NULL, 'r'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	long v;
	int c;

	/* "+": options end at the command, so "-ADDR" is not an option. */
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->server = optarg;
			break;
		case 'p':
			if (parse_long(optarg, 1, 65535, &o->port) != MP_OK)
				return MP_EINVAL;
			break;
		case 'k':
			o->key_file = optarg;
			break;
		case 'n':
			o->key_name = optarg;
			break;
		case 'y':
			o->key_inline = optarg;
			break;
		case 'z':
			o->zone = optarg;
			break;
		case 't':
			o->tcp = true;
			break;
		case 'T':
			if (mp_duration_parse(optarg, &o->timeout_ms) !=
				MP_OK ||
			    o->timeout_ms == 0)
				return MP_EINVAL;
			break;
		case 'o':
			if (parse_long(optarg, -100000000, 100000000, &v) !=
			    MP_OK)
				return MP_EINVAL;
			o->clock_offset = v;
			break;
		case 'r':
			if (parse_long(optarg, 1, 10000000, &o->repeat) !=
			    MP_OK)
				return MP_EINVAL;
			break;
		case 'v':
			mp_log_set_level(LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return MP_EINVAL;
		}
	}
	if (!o->server || !o->zone || !(o->key_file || o->key_inline) ||
	    (o->key_file && o->key_inline))
		return MP_EINVAL;
	return MP_OK;
}

int main(int argc, char **argv)
{
	struct opts o = {.port = 53, .timeout_ms = 2000};
	struct run r = {.exit_status = 1};
	struct mp_tsig_key *key = NULL;
	struct mp_dns_request req;
	struct mp_dnsclient *client = NULL;
	struct mp_addr server;
	uv_loop_t loop;
	int rc, status = 2;

	memset(&req, 0, sizeof(req));
	if (uv_loop_init(&loop) != 0)
		return 1;
	mp_log_set_level(LOG_WARNING);
	if (parse_opts(argc, argv, &o) != MP_OK ||
	    mp_addr_parse(o.server, &server) != MP_OK ||
	    (o.repeat > 0 &&
	     (optind >= argc || strcmp(argv[optind], "update") != 0))) {
		usage(stderr);
		goto cleanup;
	}
	r.offset = o.clock_offset;
	if (load_key(&o, &key) != MP_OK)
		goto cleanup;
	/* also checks the command line for --repeat, which builds its own */
	if (build(&o, argv + optind, argc - optind, false, key,
		  skewed_clock(&r), &req) != MP_OK) {
		usage(stderr);
		goto cleanup;
	}
	status = 1;
	rc = mp_dnsclient_new(&loop, &server, (uint16_t)o.port, key, &client);
	if (rc != MP_OK)
		goto cleanup;
	mp_dnsclient_set_clock(client, skewed_clock, &r);
	if (o.repeat > 0) {
		r.o = &o;
		r.args = argv + optind;
		r.nargs = argc - optind;
		r.key = key;
		r.client = client;
		r.send_ns = calloc((size_t)o.repeat, sizeof(*r.send_ns));
		r.total_ns = calloc((size_t)o.repeat, sizeof(*r.total_ns));
		if (!r.send_ns || !r.total_ns)
			goto cleanup;
		rc = repeat_send(&r);
	} else {
		rc = mp_dnsclient_send(client, &req, o.tcp, o.timeout_ms, done,
				       &r);
	}
	if (rc != MP_OK) {
		fprintf(stderr, "mp-dns: %s\n", mp_strerror(rc));
		goto cleanup;
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	if (o.repeat > 0)
		repeat_summary(&r);
	status = r.exit_status;
cleanup:
	if (client)
		mp_dnsclient_close(client, NULL, NULL);
	/* Runs the close callbacks, then the loop must be empty. */
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) != 0)
		fprintf(stderr, "mp-dns: handles left open at exit\n");
	mp_dns_request_clear(&req);
	mp_dns_request_clear(&r.reqs[0]);
	mp_dns_request_clear(&r.reqs[1]);
	free(r.send_ns);
	free(r.total_ns);
	mp_tsig_key_free(key);
	return status;
}
