/*
 * The configuration model (SPEC §2). A loaded mp_config is immutable: a
 * reload builds a new one beside the running one and swaps only when it is
 * valid. Every string is owned by the config and freed by mp_config_free().
 */
#ifndef MP_CONFIG_H
#define MP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "diag.h"
#include "tsig_key.h"

#define MP_MAX_ADDRS_PER_FAMILY 100 /* BIND's max-records-per-type */
#define MP_MAX_EXPECT_STATUS 16
/* sizeof(sockaddr_un.sun_path) on Linux; agent/control/control.c asserts it */
#define MP_UNIX_PATH_MAX 108

enum mp_check_type {
	MP_CHECK_HTTP = 0,
	MP_CHECK_TCP = 1,
};

enum mp_transport {
	MP_TRANSPORT_UDP = 0, /* falls back to TCP when truncated or large */
	MP_TRANSPORT_TCP = 1,
};

struct mp_check_cfg {
	enum mp_check_type type;
	char *url;     /* http: full URL; NULL for tcp */
	bool https;    /* http: scheme is https */
	char *host;    /* http: URL host (Host header, SNI, cert name);
			  no brackets for IPv6 literals */
	uint16_t port; /* http: URL port or scheme default; tcp: check.port */
	uint64_t interval_ms;
	uint64_t fast_interval_ms;
	uint64_t timeout_ms;
	unsigned rise;
	unsigned fall;
	int expect_status[MP_MAX_EXPECT_STATUS];
	size_t n_expect_status;
	char *expect_body; /* NULL: not checked */
	bool has_expect_sha256;
	unsigned char expect_sha256[32];
	uint64_t max_age_ms;	 /* 0: freshness not checked */
	uint64_t max_latency_ms; /* 0: latency not checked */
	uint64_t max_body;	 /* bytes */
	bool tls_verify;
	char *ca_file; /* NULL: system default */
	/* https: TLS sessions resumed per address between full handshakes,
	 * one at least every tls_full_interval_ms and after a failure */
	bool tls_resume;
	uint64_t tls_full_interval_ms;
	uint64_t tls_expiry_warn_ms; /* warn this close to notAfter */
	uint64_t tls_expiry_fail_ms; /* fail this close to it; 0: never */
	/* source_address: the local address checks are made from, one per
	 * family at most (a check of the other family is not bound) */
	bool has_source4, has_source6;
	struct mp_addr source4, source6;
};

struct mp_damping_cfg {
	unsigned penalty;
	unsigned suppress;
	unsigned reuse;
	uint64_t half_life_ms;
	uint64_t max_suppress_ms;
};

struct mp_mirror_cfg {
	char *name;
	struct mp_addr *addrs;
	size_t n_addrs;
	unsigned weight; /* 0 = disabled: checked, never published */
	char *email;	 /* NULL when unset */
	char *notes;	 /* NULL when unset */
	int line;	 /* where it was defined, for messages */
};

struct mp_pool_cfg {
	char *name; /* absolute, lower-case owner name inside dns.zone */
	uint32_t ttl;
	unsigned min_healthy;	   /* floor per RRset (A and AAAA each) */
	unsigned max_published;	   /* 0 = every healthy address */
	uint64_t rotate_ms;	   /* 0: no rotation; else the published
				      subset is re-drawn this often */
	struct mp_check_cfg check; /* global check with the pool's overrides */
	struct mp_mirror_cfg *mirrors;
	size_t n_mirrors;
	int line;
};

/* A JSON pool: a mirrors.json whose weights follow the mirrors' health. */
struct mp_json_pool_cfg {
	char *name;   /* POOL in logs and metrics */
	char *source; /* the operator's list (absolute path) */
	char *output; /* the list the dispatcher serves (absolute path) */
	char *path;   /* appended to each entry's url_prefix ("" none) */
	struct mp_check_cfg check; /* url, host, port: NULL/0, per entry */
	unsigned min_healthy;
	bool check_disabled; /* check entries with source weight 0 too */
	int line;
};

struct mp_dns_cfg {
	char *server; /* as written */
	struct mp_addr server_addr;
	uint16_t port;
	char *zone;	/* absolute, lower-case */
	char *key_file; /* NULL when key is inline */
	char *key_name; /* NULL when unset */
	enum mp_transport transport;
	uint64_t timeout_ms;
	uint64_t reconcile_interval_ms;
	bool dry_run;
};

struct mp_update_cfg {
	uint64_t min_interval_ms;
	unsigned max_per_hour;
};

struct mp_guard_cfg {
	char **sentinels; /* URLs */
	size_t n_sentinels;
	bool all_down_freeze;
};

struct mp_control_cfg {
	char *socket;
	char *group; /* NULL: the daemon's own group */
	unsigned mode;
};

enum mp_vantage_role {
	MP_ROLE_WRITER = 0,   /* votes and updates the pools */
	MP_ROLE_OBSERVER = 1, /* publishes its view only */
};

/* What the writer does while fewer than quorum nodes have a fresh view. */
enum mp_vote_fallback {
	MP_FALLBACK_LOCAL = 0,	/* decide by the fresh votes alone */
	MP_FALLBACK_FREEZE = 1, /* no removals; additions continue */
};

#define MP_VANTAGE_MAX_NODES 16

/* The vantage group: several agents voting through views in the zone. */
struct mp_vantage_cfg {
	bool enabled; /* false: a single agent, as without the group */
	enum mp_vantage_role role;
	char *views;  /* absolute, lower-case, inside dns.zone */
	char **nodes; /* labels, lower-case, unique */
	size_t n_nodes;
	size_t self; /* index of cfg->node in nodes */
	unsigned quorum;
	uint64_t max_age_ms;
	uint64_t publish_interval_ms;
	enum mp_vote_fallback fallback;
	int line;
};

struct mp_config {
	char *file; /* the path it was loaded from */
	char *node; /* this agent's name (node, else the host's); NULL: none */
	struct mp_vantage_cfg vantage;
	struct mp_dns_cfg dns;
	struct mp_update_cfg update;
	struct mp_check_cfg check; /* the global defaults */
	struct mp_damping_cfg damping;
	struct mp_guard_cfg guard;
	struct mp_pool_cfg *pools;
	size_t n_pools;
	struct mp_json_pool_cfg *json_pools;
	size_t n_json_pools;
	struct mp_control_cfg control;
	char *state_file;
	/* state_file is rewritten at most this often (0: at every change);
	 * drains and other operator actions are written at once */
	uint64_t state_write_interval_ms;
	char *metrics_file; /* NULL when unset */
	int log_level;	    /* LOG_* */
	struct mp_tsig_key *key;
};

/* The longest state_write_interval accepted. */
#define MP_STATE_WRITE_INTERVAL_MAX_MS (10ULL * 60 * 1000)

/* Flags for mp_config_load(). */
enum {
	/* Skip loading the TSIG key (tests of the rest of the schema). */
	MP_CONFIG_NO_KEY = 1 << 0,
};

/*
 * Loads and validates path. On success returns 0 and *out (caller frees with
 * mp_config_free). On failure returns MP_ECONFIG (or MP_EKEY/MP_EPERM for key
 * problems, MP_ENOMEM) and every problem found is in d as
 * "FILE:LINE: what is wrong (the accepted form)".
 */
int mp_config_load(const char *path, unsigned flags, struct mp_config **out,
		   struct mp_diag *d);

/*
 * As mp_config_load, with the name `node` takes when the file does not set
 * it: the agent passes its host name (only its first label is used; NULL:
 * none, and a vantage group then needs `node`).
 */
int mp_config_load_node(const char *path, unsigned flags,
			const char *default_node, struct mp_config **out,
			struct mp_diag *d);

/* The owner name of node's view, "<node>.<views>", into buf. Returns buf,
 * or NULL when it does not fit. */
const char *mp_vantage_view_name(const struct mp_vantage_cfg *v,
				 const char *node, char *buf, size_t len);

void mp_config_free(struct mp_config *cfg);

/* Lookups; NULL when absent. */
const struct mp_pool_cfg *mp_config_pool(const struct mp_config *cfg,
					 const char *name);
const struct mp_mirror_cfg *mp_config_mirror(const struct mp_config *cfg,
					     const char *name,
					     const struct mp_pool_cfg **pool);

const struct mp_json_pool_cfg *mp_config_json_pool(const struct mp_config *cfg,
						   const char *name);

/* The URL a JSON-pool entry is checked at: url_prefix followed by the
 * pool's check path, with one '/' between them. Caller frees; NULL when
 * out of memory. */
char *mp_json_pool_check_url(const struct mp_json_pool_cfg *jp,
			     const char *url_prefix);

/* The local address a check of an address of family (AF_INET, AF_INET6)
 * binds to, or NULL. */
const struct mp_addr *mp_check_source(const struct mp_check_cfg *ck,
				      int family);

/* True when the two check configurations would check the same way. */
bool mp_check_cfg_equal(const struct mp_check_cfg *a,
			const struct mp_check_cfg *b);

/* A domain name as operators write it in messages: without the trailing dot
 * ("example.org", "mirrorpool", "hmac-sha256"); the root stays ".". Returns
 * buf. */
const char *mp_name_text(const char *name, char *buf, size_t len);

/*
 * Writes the one-screen summary of --check-config (pools, mirrors, addresses,
 * server, key name and algorithm; never the secret) into a newly allocated
 * string (caller frees).
 */
char *mp_config_summary(const struct mp_config *cfg);

/* Adds what --check-config warns about but accepts (a key on a deprecated
 * algorithm, hmac-md5 or hmac-sha1) to d. */
void mp_config_warnings(const struct mp_config *cfg, struct mp_diag *d);

/*
 * Parses an http:// or https:// URL as check.url and guard.sentinels take
 * it: host name or [IPv6] literal (host gets it lower-case, without
 * brackets; hostlen 256 is enough), optional port (else 80/443), then path.
 * Returns 0, or MP_EINVAL with *why saying what is wrong.
 */
int mp_config_url_parse(const char *url, bool *https, char *host,
			size_t hostlen, uint16_t *port, const char **why);

/*
 * The part of a URL that mp_config_url_parse accepted after its host and
 * port: path and query, the request target ("" when there is none).
 */
const char *mp_config_url_target(const char *url);

#endif
