/* DNS helpers for the unit suites that build, sign or verify messages. */
#ifndef MP_UNIT_DNS_H
#define MP_UNIT_DNS_H

#include "tsig_key.h"

#include <stddef.h>
#include <stdint.h>

/* A key named name with the base64 secret b64 (a fatal test failure when
 * the secret does not decode or the key is refused). Free it with
 * mp_tsig_key_free. */
struct mp_tsig_key *mp_unit_tsig_key(const char *name, enum mp_tsig_alg alg,
				     const char *b64);

/* The DNS message in the fixture file name (longer than a header, shorter
 * than 64 KiB, else a fatal test failure), in a malloc'd buffer; its length
 * in *len. */
uint8_t *mp_unit_read_msg(const char *name, size_t *len);

#endif
