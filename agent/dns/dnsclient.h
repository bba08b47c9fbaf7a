/*
 * The DNS transport: sends one signed request to the primary over UDP or
 * TCP on the libuv loop and delivers exactly one outcome per request.
 * Messages are built and checked by lib/dnsmsg; this file only moves bytes,
 * times out, and decides which answer counts. Retries and backoff belong to
 * the caller (see lib/backoff.h).
 *
 * Which answer counts:
 * - Only a response that mp_response_check() verifies (MP_RESP_OK) is an
 *   MP_DNS_ANSWER; its rcode may still be an error (REFUSED, signed BADTIME).
 * - Over UDP an unsigned or unverifiable response (MP_RESP_UNSIGNED or
 *   MP_RESP_BAD_TSIG) is logged as possible spoofing, kept, and the request
 *   keeps waiting: anyone can forge a datagram, so it must not pre-empt the
 *   real, signed answer. At the timeout the last one kept is reported as
 *   MP_DNS_UNSIGNED (a server that does not know our key answers this way:
 *   unsigned NOTAUTH/BADKEY).
 * - Over TCP the answer comes from the peer of an established connection,
 *   which an off-path attacker cannot inject into; an unsigned or
 *   unverifiable answer there is reported as MP_DNS_UNSIGNED at once.
 * - Messages that do not answer the request (wrong ID, QR=0, wrong opcode or
 *   question, garbage) and datagrams from another address or port are
 *   ignored (logged at debug).
 *
 * UDP goes through a connected socket on a fresh ephemeral port per request,
 * so the kernel reports ICMP port unreachable as ECONNREFUSED
 * (MP_DNS_NETERR at once). TCP is used when force_tcp is set, when the
 * request is over 512 bytes, and at once when a UDP answer (verified or
 * not) has TC=1; the TCP attempt then gets a fresh timeout.
 */
#ifndef MP_AGENT_DNSCLIENT_H
#define MP_AGENT_DNSCLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "addr.h"
#include "dnsmsg.h"
#include "tsig_key.h"

struct mp_dnsclient;

enum mp_dns_outcome {
	MP_DNS_ANSWER = 0, /* verified (resp->verdict == MP_RESP_OK) */
	MP_DNS_TIMEOUT,	   /* nothing usable before the timeout */
	MP_DNS_NETERR,	   /* ECONNREFUSED etc.; detail is the errno text */
	MP_DNS_UNSIGNED,   /* only unsigned/unverifiable answers: resp is the
			      last one, detail says why it was rejected */
	MP_DNS_CANCELLED,  /* mp_dnsclient_cancel_all or _close */
};

/*
 * The outcome of one request. resp is non-NULL for MP_DNS_ANSWER and
 * MP_DNS_UNSIGNED and valid only during the call. detail is never NULL:
 * for MP_DNS_ANSWER it is "udp" or "tcp" (the transport that carried the
 * answer); otherwise a short human text ("connection refused",
 * "no answer within 2000 ms over UDP", "unsigned NOTAUTH (over UDP)").
 * rtt_ms runs from the send to the outcome. The callback may send new
 * requests, cancel, or close the client.
 */
typedef void (*mp_dns_done_fn)(void *arg, enum mp_dns_outcome o,
			       const struct mp_dns_response *resp,
			       const char *detail, uint64_t rtt_ms);

/* Wall clock in Unix seconds for checking Time Signed; the default is
 * time(NULL). */
typedef uint64_t (*mp_dns_clock_fn)(void *arg);

/*
 * New client for server:port. key is borrowed and must outlive the client
 * (it verifies responses; requests arrive signed). Returns 0, MP_EINVAL or
 * MP_ENOMEM. Free with mp_dnsclient_close.
 */
int mp_dnsclient_new(uv_loop_t *loop, const struct mp_addr *server,
		     uint16_t port, const struct mp_tsig_key *key,
		     struct mp_dnsclient **out);

/* Replaces the wall clock used to check Time Signed (tests, skew tools). */
void mp_dnsclient_set_clock(struct mp_dnsclient *c, mp_dns_clock_fn fn,
			    void *arg);

/*
 * Sends req (signed; stays owned by the caller, who must keep it unchanged
 * until the callback) and calls cb exactly once, never from within this
 * call. Socket errors, even immediate ones, arrive through the callback as
 * MP_DNS_NETERR. Returns 0; MP_EINVAL (empty or over-long request, zero
 * timeout, closing client; the callback is then not called) or MP_ENOMEM.
 */
int mp_dnsclient_send(struct mp_dnsclient *c, struct mp_dns_request *req,
		      bool force_tcp, uint64_t timeout_ms, mp_dns_done_fn cb,
		      void *arg);

/* Number of requests awaiting their outcome. */
unsigned mp_dnsclient_pending(const struct mp_dnsclient *c);

/* Ends every pending request with MP_DNS_CANCELLED, from within this call. */
void mp_dnsclient_cancel_all(struct mp_dnsclient *c);

/*
 * Cancels every pending request (their callbacks run from within this
 * call), closes every handle and frees the client; closed(arg) runs from a
 * close callback once the loop has released everything (closed may be
 * NULL). The client must not be used after this call.
 */
void mp_dnsclient_close(struct mp_dnsclient *c, void (*closed)(void *),
			void *arg);

#endif
