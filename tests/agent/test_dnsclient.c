/*
 * The DNS transport's life cycle on a real loop against a UDP "server" in
 * the same loop: one outcome per request, cancellation, closing with
 * requests pending, sends from callbacks, argument checks. Faults of real
 * servers are covered by tests/integration/test_dns_transport.py.
 */
#include "unit.h"

#include <string.h>
#include <time.h>

#include "dns/dnsclient.h"
#include "error.h"
#include "log.h"
#include "tsig.h"

static const unsigned char secret[32] = "0123456789abcdef0123456789abcde";

struct server {
	uv_udp_t udp;
	uint16_t port;
	int answer; /* 0: stay silent; 1: answer signed; 2: unsigned */
	unsigned queries;
	const struct mp_dns_request *req; /* to sign the answer */
	const struct mp_tsig_key *key;
	uint8_t buf[4096];
	uv_udp_send_t send;
};

struct outcome {
	unsigned calls;
	enum mp_dns_outcome o;
	int rcode;
	char detail[256];
	struct mp_dnsclient *c;	      /* for callbacks that act on the client */
	struct mp_dns_request *again; /* send this from the callback */
	struct outcome *again_out;
};

static uv_loop_t loop;
static struct mp_tsig_key *key;
static struct server srv;
static unsigned closed_calls;

static void on_closed(void *arg)
{
	(void)arg;
	closed_calls++;
}

static void done(void *arg, enum mp_dns_outcome o,
		 const struct mp_dns_response *resp, const char *detail,
		 uint64_t rtt_ms)
{
	struct outcome *out = arg;

	(void)rtt_ms;
	out->calls++;
	out->o = o;
	out->rcode = resp ? resp->rcode : -1;
	snprintf(out->detail, sizeof(out->detail), "%s", detail);
	if (out->again) {
		CU_ASSERT_EQUAL(mp_dnsclient_send(out->c, out->again, false,
						  5000, done, out->again_out),
				MP_OK);
		out->again = NULL;
	}
}

static void srv_alloc(uv_handle_t *h, size_t sz, uv_buf_t *buf)
{
	(void)h;
	(void)sz;
	*buf = uv_buf_init((char *)srv.buf, sizeof(srv.buf));
}

/* Answers with header + the query's question (+ TSIG when answer == 1). */
static void srv_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf,
		     const struct sockaddr *from, unsigned flags)
{
	size_t off = 12, len;
	uv_buf_t b;

	(void)flags;
	if (n <= 12 || !from)
		return;
	srv.queries++;
	if (!srv.answer)
		return;
	while (off < (size_t)n && srv.buf[off])
		off += srv.buf[off] + 1u;
	len = off + 1 + 4;
	srv.buf[2] |= 0x80;	   /* QR */
	srv.buf[3] = 0;		   /* NOERROR */
	memset(srv.buf + 6, 0, 6); /* no answer, authority, additional */
	if (srv.answer == 1)
		CU_ASSERT_EQUAL_FATAL(
		    mp_tsig_sign_response(srv.buf, &len, sizeof(srv.buf),
					  srv.key, (uint64_t)time(NULL),
					  srv.req->mac, srv.req->mac_len, 0, 0,
					  NULL),
		    MP_OK);
	b = uv_buf_init(buf->base, (unsigned)len);
	uv_udp_try_send(u, &b, 1, from);
}

static int setup(void)
{
	struct sockaddr_in sin;
	int len = sizeof(sin);

	if (uv_loop_init(&loop) != 0 ||
	    mp_tsig_key_new("test.", MP_TSIG_HMAC_SHA256, secret,
			    sizeof(secret), &key) != MP_OK)
		return 1;
	uv_ip4_addr("127.0.0.1", 0, &sin);
	if (uv_udp_init(&loop, &srv.udp) != 0 ||
	    uv_udp_bind(&srv.udp, (struct sockaddr *)&sin, 0) != 0 ||
	    uv_udp_getsockname(&srv.udp, (struct sockaddr *)&sin, &len) != 0 ||
	    uv_udp_recv_start(&srv.udp, srv_alloc, srv_recv) != 0)
		return 1;
	/* The loop runs while the client has work, not for the server. */
	uv_unref((uv_handle_t *)&srv.udp);
	srv.port = ntohs(sin.sin_port);
	srv.key = key;
	return 0;
}

static int teardown(void)
{
	uv_close((uv_handle_t *)&srv.udp, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	mp_tsig_key_free(key);
	return uv_loop_close(&loop) != 0;
}

static struct mp_dnsclient *client(void)
{
	struct mp_dnsclient *c = NULL;
	struct mp_addr a;

	mp_addr_parse("127.0.0.1", &a);
	CU_ASSERT_EQUAL(mp_dnsclient_new(&loop, &a, srv.port, key, &c), MP_OK);
	return c;
}

static void build(struct mp_dns_request *r, uint16_t id)
{
	memset(r, 0, sizeof(*r));
	CU_ASSERT_EQUAL_FATAL(mp_query_build("dl.example.org.", MP_RRTYPE_A, id,
					     key, (uint64_t)time(NULL), r),
			      MP_OK);
}

/* Runs the loop until the client has freed everything. */
static void close_client(struct mp_dnsclient *c)
{
	closed_calls = 0;
	mp_dnsclient_close(c, on_closed, NULL);
	CU_ASSERT_EQUAL(closed_calls, 0); /* only from a close callback */
	uv_run(&loop, UV_RUN_DEFAULT);
	CU_ASSERT_EQUAL(closed_calls, 1);
}

static void test_answer_and_timeout(void)
{
	struct mp_dnsclient *c = client();
	struct mp_dns_request r;
	struct outcome out = {0};

	build(&r, 1);
	srv.req = &r;
	srv.answer = 1;
	srv.queries = 0;
	CU_ASSERT_EQUAL(mp_dnsclient_send(c, &r, false, 2000, done, &out),
			MP_OK);
	CU_ASSERT_EQUAL(out.calls, 0); /* never from within send */
	CU_ASSERT_EQUAL(mp_dnsclient_pending(c), 1);
	uv_run(&loop, UV_RUN_DEFAULT);
	CU_ASSERT_EQUAL(out.calls, 1);
	CU_ASSERT_EQUAL(out.o, MP_DNS_ANSWER);
	CU_ASSERT_EQUAL(out.rcode, 0);
	CU_ASSERT_STRING_EQUAL(out.detail, "udp");
	CU_ASSERT_EQUAL(srv.queries, 1);
	CU_ASSERT_EQUAL(mp_dnsclient_pending(c), 0);

	/* unsigned only: kept until the timeout, then reported */
	memset(&out, 0, sizeof(out));
	srv.answer = 2;
	CU_ASSERT_EQUAL(mp_dnsclient_send(c, &r, false, 100, done, &out),
			MP_OK);
	uv_run(&loop, UV_RUN_DEFAULT);
	CU_ASSERT_EQUAL(out.calls, 1);
	CU_ASSERT_EQUAL(out.o, MP_DNS_UNSIGNED);
	CU_ASSERT_EQUAL(out.rcode, 0);

	memset(&out, 0, sizeof(out));
	srv.answer = 0;
	CU_ASSERT_EQUAL(mp_dnsclient_send(c, &r, false, 50, done, &out), MP_OK);
	uv_run(&loop, UV_RUN_DEFAULT);
	CU_ASSERT_EQUAL(out.calls, 1);
	CU_ASSERT_EQUAL(out.o, MP_DNS_TIMEOUT);
	CU_ASSERT_STRING_EQUAL(out.detail, "no answer within 50 ms over UDP");
	close_client(c);
	mp_dns_request_clear(&r);
}

static void test_cancel_all(void)
{
	struct mp_dnsclient *c = client();
	struct mp_dns_request r[3];
	struct outcome out[3] = {{0}};

	srv.answer = 0;
	for (int i = 0; i < 3; i++) {
		build(&r[i], (uint16_t)(10 + i));
		CU_ASSERT_EQUAL(
		    mp_dnsclient_send(c, &r[i], i == 2, 5000, done, &out[i]),
		    MP_OK);
	}
	CU_ASSERT_EQUAL(mp_dnsclient_pending(c), 3);
	mp_dnsclient_cancel_all(c);
	CU_ASSERT_EQUAL(mp_dnsclient_pending(c), 0);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(out[i].calls, 1);
		CU_ASSERT_EQUAL(out[i].o, MP_DNS_CANCELLED);
		CU_ASSERT_STRING_EQUAL(out[i].detail, "cancelled");
	}
	/* the cancelled requests' handles close; nothing else fires */
	uv_run(&loop, UV_RUN_DEFAULT);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(out[i].calls, 1);
	close_client(c);
	for (int i = 0; i < 3; i++)
		mp_dns_request_clear(&r[i]);
}

/* A callback that sends again: the new request is not cancelled by the
 * same cancel_all, and the loop does not spin. */
static void test_send_from_callback(void)
{
	struct mp_dnsclient *c = client();
	struct mp_dns_request r1, r2;
	struct outcome o1 = {0}, o2 = {0};

	srv.answer = 0;
	build(&r1, 21);
	build(&r2, 22);
	o1.c = c;
	o1.again = &r2;
	o1.again_out = &o2;
	CU_ASSERT_EQUAL(mp_dnsclient_send(c, &r1, false, 5000, done, &o1),
			MP_OK);
	mp_dnsclient_cancel_all(c);
	CU_ASSERT_EQUAL(o1.calls, 1);
	CU_ASSERT_EQUAL(o2.calls, 0);
	CU_ASSERT_EQUAL(mp_dnsclient_pending(c), 1);
	/* closing cancels the second one */
	close_client(c);
	CU_ASSERT_EQUAL(o2.calls, 1);
	CU_ASSERT_EQUAL(o2.o, MP_DNS_CANCELLED);
	mp_dns_request_clear(&r1);
	mp_dns_request_clear(&r2);
}

/* Closing with requests in flight: each ends CANCELLED, a send from their
 * callbacks is refused, and the client is freed from a close callback. */
static void test_close_pending(void)
{
	struct mp_dnsclient *c = client();
	struct mp_dns_request r1, r2;
	struct outcome o1 = {0}, o2 = {0};

	srv.answer = 0;
	build(&r1, 31);
	build(&r2, 32);
	CU_ASSERT_EQUAL(mp_dnsclient_send(c, &r1, false, 5000, done, &o1),
			MP_OK);
	CU_ASSERT_EQUAL(mp_dnsclient_send(c, &r2, true, 5000, done, &o2),
			MP_OK);
	close_client(c);
	CU_ASSERT_EQUAL(o1.calls, 1);
	CU_ASSERT_EQUAL(o1.o, MP_DNS_CANCELLED);
	CU_ASSERT_EQUAL(o2.calls, 1);
	CU_ASSERT_EQUAL(o2.o, MP_DNS_CANCELLED);
	mp_dns_request_clear(&r1);
	mp_dns_request_clear(&r2);
}

static void test_bad_arguments(void)
{
	struct mp_dnsclient *c = client();
	struct mp_dns_request r, empty;
	struct outcome out = {0};
	struct mp_addr a;
	struct mp_dnsclient *none = (void *)&out;

	mp_addr_parse("127.0.0.1", &a);
	CU_ASSERT_EQUAL(mp_dnsclient_new(&loop, &a, 0, key, &none), MP_EINVAL);
	CU_ASSERT_PTR_NULL(none);
	build(&r, 41);
	memset(&empty, 0, sizeof(empty));
	CU_ASSERT_EQUAL(mp_dnsclient_send(c, &r, false, 0, done, &out),
			MP_EINVAL);
	CU_ASSERT_EQUAL(mp_dnsclient_send(c, &empty, false, 100, done, &out),
			MP_EINVAL);
	CU_ASSERT_EQUAL(mp_dnsclient_pending(c), 0);
	close_client(c);
	CU_ASSERT_EQUAL(out.calls, 0);
	mp_dns_request_clear(&r);
}

static CU_TestInfo tests[] = {
    {"answer, unsigned, timeout", test_answer_and_timeout},
    {"cancel_all", test_cancel_all},
    {"send from a callback", test_send_from_callback},
    {"close with requests pending", test_close_pending},
    {"bad arguments", test_bad_arguments},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"dnsclient", setup, teardown, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	mp_log_set_level(LOG_ERR);
	return mp_unit_run(suites);
}
