/* Durations: "250ms", "5s", "2m", "1h", "1d", combinations such as "1h30m",
 * or a bare integer of seconds. Internally milliseconds. */
#ifndef MP_DURATION_H
#define MP_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* The longest duration that may be added to a clock reading (a drain's
 * "for"): a year. Configured durations are capped lower (30 days). */
#define MP_DURATION_MAX_ADD_MS (365ULL * 86400 * 1000)

/* Parses s into *ms. Whatever mp_duration_format writes parses back to the
 * same value, UINT64_MAX included. Returns 0, MP_EINVAL for a malformed string
 * or MP_ERANGE when it overflows. */
int mp_duration_parse(const char *s, uint64_t *ms);

/* Formats ms compactly and exactly: "250ms", "5s", "2m", "1h30m",
 * "1500ms". Returns buf. */
char *mp_duration_format(uint64_t ms, char *buf, size_t len);

/* Human, rounded to the two largest units: "7h12m", "3m5s", "12s",
 * "850ms" (used in "stale: 7h12m old"). Returns buf. */
char *mp_duration_human(uint64_t ms, char *buf, size_t len);

#endif
