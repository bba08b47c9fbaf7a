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
#include "dnsclient.h"
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
};

struct run {
	int64_t offset;
	int exit_status;
};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: mp-dns --server ADDR --port N (--key-file F [--key-name N]"
	    " | --key ALG:NAME:BASE64)\n"
	    "              --zone Z [--tcp] [--timeout D] [--clock-offset S]"
	    " [--verbose]\n"
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

/* Fills add/del from "+ADDR"/"-ADDR" words of the type's family. */
static int parse_changes(char **words, int n, int rrtype,
			 struct mp_addr_set *add, struct mp_addr_set *del)
{
	struct mp_addr a;

	for (int i = 0; i < n; i++) {
		const char *w = words[i];
		if ((w[0] != '+' && w[0] != '-') ||
		    mp_addr_parse(w + 1, &a) != MP_OK ||
		    mp_addr_rrtype(&a) != rrtype) {
			fprintf(stderr, "mp-dns: bad change \"%s\"\n", w);
			return MP_EINVAL;
		}
		if (mp_addr_set_add(w[0] == '+' ? add : del, &a) != MP_OK)
			return MP_ENOMEM;
	}
	return MP_OK;
}

static int build(const struct opts *o, char **args, int nargs,
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
		rc = parse_changes(args + 4, nargs - 4, type, &add, &del);
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
	    mp_addr_parse(o.server, &server) != MP_OK) {
		usage(stderr);
		goto cleanup;
	}
	r.offset = o.clock_offset;
	if (load_key(&o, &key) != MP_OK)
		goto cleanup;
	if (build(&o, argv + optind, argc - optind, key, skewed_clock(&r),
		  &req) != MP_OK) {
		usage(stderr);
		goto cleanup;
	}
	status = 1;
	rc = mp_dnsclient_new(&loop, &server, (uint16_t)o.port, key, &client);
	if (rc != MP_OK)
		goto cleanup;
	mp_dnsclient_set_clock(client, skewed_clock, &r);
	rc = mp_dnsclient_send(client, &req, o.tcp, o.timeout_ms, done, &r);
	if (rc != MP_OK) {
		fprintf(stderr, "mp-dns: %s\n", mp_strerror(rc));
		goto cleanup;
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	status = r.exit_status;
cleanup:
	if (client)
		mp_dnsclient_close(client, NULL, NULL);
	/* Runs the close callbacks, then the loop must be empty. */
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) != 0)
		fprintf(stderr, "mp-dns: handles left open at exit\n");
	mp_dns_request_clear(&req);
	mp_tsig_key_free(key);
	return status;
}
