/*
 * Internal to the status text: status_text.c (the status, sync and check
 * renderings), status_text_pool.c (a pool and its mirror table) and
 * status_text_json.c (lenient JSON reading, terminal columns).
 */
#ifndef MP_STATUS_TEXT_INT_H
#define MP_STATUS_TEXT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "status_text.h"
#include "strbuf.h"

/* Display width of UTF-8 text: one column per code point. */
size_t mp_st_width(const char *s);
/* Writes s padded to w columns. */
void mp_st_sb_cell(struct mp_strbuf *b, const char *s, size_t w);

/* A string value made safe for a terminal: control characters become '?'.
 * Returns buf; "?" when the key is missing or not a string. */
const char *mp_st_jstr(const json_t *o, const char *key, char *buf, size_t len);
/* The integer at key into *v; false when missing or not an integer. */
bool mp_st_jint(const json_t *o, const char *key, json_int_t *v);
bool mp_st_jtrue(const json_t *o, const char *key);
/* "12s ago", "just now", or "in 5m" for a time in the future. */
const char *mp_st_when(json_int_t at, uint64_t now_s, char *buf, size_t len);

/* A pool's A and AAAA RRsets (status_text.c). */
void mp_st_render_rrsets(struct mp_strbuf *b, const json_t *pool,
			 uint64_t now_s);
/* "ams1 down, nyc1 up 12s, sgp1 none (stale)": a node list of the vantage
 * group into buf (status_text_pool.c). */
void mp_st_vantage_list(const json_t *arr, char *buf, size_t len);
/* A pool: header line, RRsets, mirror table (status_text_pool.c). */
void mp_st_render_pool(struct mp_strbuf *b, const json_t *pool,
		       const json_t *guard, uint64_t now_s);
/* A JSON pool: header, source and output, entry table
 * (status_text_pool.c). */
void mp_st_render_json_pool(struct mp_strbuf *b, const json_t *jp,
			    uint64_t now_s);

#endif
