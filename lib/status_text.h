/*
 * Human-readable renderings of the agent's control replies, as printed by
 * mirrorpoolctl without --json: the status table (SPEC §1 status, the JSON
 * of §6 in), the RRsets after a sync and the results of a check. Pure: a
 * JSON object and the current time in, text out. Fields that are missing or
 * of the wrong type are shown as "?" rather than refused, so that a client
 * of one version still shows what an agent of another sends. Control
 * characters in strings (a check detail may quote a mirror's answer) are
 * shown as '?'.
 */
#ifndef MP_STATUS_TEXT_H
#define MP_STATUS_TEXT_H

#include <stdint.h>

#include <jansson.h>

/* The status object of SPEC §6 as a table: a banner when dry_run, the DNS
 * server and its last error, then per pool a header line, its A and AAAA
 * RRsets (published, in DNS, last UPDATE) and one row per mirror address
 * with its drains, suppression and penalty beneath. Caller frees; NULL on
 * allocation failure or when status is not an object. */
char *mp_status_text(const json_t *status, uint64_t now_s);

/* The reply of sync ({"dns":{...},"pools":[...]}): per pool its RRsets as
 * in the status table. Caller frees; NULL as above. */
char *mp_status_text_rrsets(const json_t *reply, uint64_t now_s);

/* The "results" array of a check reply: one aligned line per result,
 * "MIRROR ADDRESS ok|FAIL DETAIL LATENCY state STATE". Caller frees; NULL
 * on allocation failure or when results is not an array. */
char *mp_status_text_check(const json_t *results);

#endif
