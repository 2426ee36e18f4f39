/* checkconf: the check definitions (checks[] in agent and collector
 * configs): plain, copyable data parsed and validated in one place. */
#ifndef VANTAGE_CHECKCONF_H
#define VANTAGE_CHECKCONF_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct confctx;

enum check_ip { CHECK_IP_ANY = 0, CHECK_IP_V4, CHECK_IP_V6 };

struct status_range {
	int	lo, hi;
};

enum header_op { HEADER_PRESENT, HEADER_ABSENT, HEADER_EQUALS, HEADER_REGEX };

struct header_expect {
	char		*name;
	enum header_op	 op;
	char		*value;		/* equals: the value; regex: the source */
	regex_t		 re;		/* compiled when op == HEADER_REGEX */
};

struct json_expect {
	char	*path;		/* dotted, numeric parts index arrays */
	json_t	*value;		/* expected value (owned reference) */
};

struct http_expect {
	struct status_range	*status;	/* default: one range 200-299 */
	size_t			 nstatus;
	char			*body_contains;
	char			*body_regex;	/* source; compiled into body_re */
	regex_t			 body_re;
	struct json_expect	*json;
	size_t			 njson;
	struct header_expect	*headers;
	size_t			 nheaders;
	int64_t			 max_latency_ms;	/* 0: no bound */
	int64_t			 max_body;		/* bytes read at most */
};

/* tls: what a handshake must show (README, "kind: tls"). */
struct tls_check {
	char	*server_name;	/* SNI and the name verified; default host */
	char	*ca_file;	/* PEM CAs to verify with; NULL: the system's */
	int64_t	 min_days_left;		/* leaf; -1: no bound */
	int64_t	 min_chain_days_left;	/* earliest in the chain; -1: none */
	int	 min_version;	/* 0: any; 0x0303 TLS 1.2, 0x0304 TLS 1.3 */
	char	*issuer_regex;	/* source; compiled into issuer_re */
	regex_t	 issuer_re;
};

/* tcp: optional bytes to send and the banner or line to expect back. */
struct tcp_check {
	char	*send;		/* NULL: send nothing */
	char	*banner_regex;	/* NULL: connecting is enough */
	regex_t	 banner_re;
};

/* dns: one question and what its answer must hold. */
struct dns_check {
	char	*name;		/* queried name: "query", "host", or the check's
				 * name when that is a domain name */
	int	 type;		/* RR type number (dnsmsg.h) */
	char	*server;	/* "ip:port"; NULL: the system resolver */
	int	 rcode;		/* expected response code (NOERROR) */
	char	**answers;	/* answers_include: each must be in the answer */
	size_t	 nanswers;
	int64_t	 ttl_min_ms, ttl_max_ms;	/* -1: no bound */
};

/* assets: one place a deployed site is served from. */
struct assets_target {
	char	*name, *url, *layer, *provider;
};

struct assets_check {
	struct assets_target	*targets;	/* [0] is the reference */
	size_t			 ntargets;
	int64_t			 index_max_age_ms;	/* index.html: at most */
	int64_t			 asset_min_age_ms;	/* hashed assets: at least */
	bool			 immutable;		/* hashed assets need it */
};

#define CHECK_TLS_DEFAULT_PORT		443
#define CHECK_ASSETS_MAX_TARGETS	8
#define CHECK_ASSETS_INDEX_MAX_AGE_MS	300000LL
#define CHECK_ASSETS_MIN_AGE_MS		(365LL * 86400000)

struct check_defaults {
	int64_t	interval_ms;
	int64_t	timeout_ms;
	int	retries;
	bool	pulled;		/* the checks come from the collector (safer
				 * defaults: redirects stay on the same host) */
};

/* One request header of an http check. */
struct check_header {
	char	*name;
	char	*value;		/* the literal, or the secret once resolved
				 * (NULL until checkconf_resolve_secrets) */
	char	*secret;	/* "env:NAME" / "file:/path" as written; NULL:
				 * a literal value */
};

/* Which redirects an http check follows (README, "redirect_policy"). */
enum redirect_policy {
	REDIRECT_NONE = 0,	/* none: a 3xx is the answer judged */
	REDIRECT_SAME_HOST,	/* only to the same host name */
	REDIRECT_ANY
};

struct check_config {
	char		*name, *kind, *service, *layer, *provider;
	char		*url, *method, *body;
	char		*record_url;	/* the url results, logs and errors show:
					 * userinfo and the values of redact
					 * keys replaced by "REDACTED" */
	struct check_header *headers;	/* request headers */
	size_t		 nheaders;
	char		**redact;	/* query keys and header names whose
					 * values are never shown (http, assets;
					 * secret headers' names are added) */
	size_t		 nredact;
	enum redirect_policy redirect;
	bool		 insecure, reuse_connections;
	bool		 pulled;	/* parsed with defaults.pulled set */
	int64_t		 interval_ms, timeout_ms, retry_delay_ms;
	int		 retries;
	enum check_ip	 ip;
	struct http_expect expect;	/* http */
	char		*host;		/* tls, tcp: where to connect */
	int		 port;
	union {				/* by kind: only one is ever set */
		struct tls_check	tls;
		struct tcp_check	tcp;
		struct dns_check	dns;
		struct assets_check	assets;
	};
	char		 fingerprint[17];	/* hash of the canonical JSON;
						 * equal = same check */
};

#define CHECK_DEFAULT_INTERVAL_MS	60000
#define CHECK_DEFAULT_TIMEOUT_MS	10000
#define CHECK_DEFAULT_RETRY_DELAY_MS	500
#define CHECK_DEFAULT_MAX_BODY		(1024 * 1024)
#define CHECK_MAX_RETRIES		10
#define CHECK_MAX_REDACT		32	/* names in a check's redact list */
#define CHECK_MAX_HEADERS		64	/* request headers of a check */

/* The layers a check may sit in, NULL-terminated. */
extern const char *const checkconf_layers[];
/* The i-th probe kind a check may have ("http", "tls", ...); NULL past
 * the last. */
const char *checkconf_kind_name(size_t i);

/* Fill d with the built-in defaults (60s, 10s, 0 retries). */
void checkconf_defaults_init(struct check_defaults *d);
/* Parse the "defaults" object at path into d; errors go to c. */
int checkconf_parse_defaults(struct confctx *c, const char *path, json_t *obj,
    struct check_defaults *d);
/* Parse and validate a checks[] array: every check, unique names. extra_keys
 * (NULL-terminated, may be NULL) are further keys the caller allows and
 * reads itself (the collector's "regions", "agents"). On success returns 0
 * and a new array in *out (free with checkconf_free_array); on any error
 * returns -1 with every error added to c and *out NULL. */
int checkconf_parse_array(struct confctx *c, const char *path, json_t *arr,
    const struct check_defaults *d, const char *const *extra_keys,
    struct check_config **out, size_t *nout);
/* Parse one check object o (at path, e.g. "checks[3]") into cc, which must
 * be zeroed; errors go to c. Header secrets are left unresolved
 * (checkconf_resolve_secrets). Release cc with checkconf_clear. */
void checkconf_parse_one(struct confctx *c, const char *path, json_t *o,
    const struct check_defaults *d, const char *const *extra_keys,
    struct check_config *cc);
/* Report (to c) each check of v[0..n) whose name an earlier one uses. */
void checkconf_find_duplicates(struct confctx *c, const char *path,
    const struct check_config *v, size_t n);
/* Resolve the env:/file: secrets of cc's request headers (the agent does
 * this; the collector only checks their form). A pulled check may only
 * use the specs in allow[0..nallow) (the agent's collector.allow_secrets);
 * a local one any. A secret must hold no line break. Errors go to c at
 * path (e.g. "checks[2]") plus ".headers.NAME". 0 or -1. */
int checkconf_resolve_secrets(struct confctx *c, const char *path,
    struct check_config *cc, char *const *allow, size_t nallow);
/* Give dst's unresolved secret headers the values src resolved for the
 * same name and spec (dst and src: the same check parsed twice). Returns
 * 0, or -1 if one is left unresolved. */
int checkconf_copy_secrets(struct check_config *dst, const struct check_config *src);
/* Release what one check holds (not the struct; secrets are wiped).
 * NULL-safe. */
void checkconf_clear(struct check_config *cc);
/* Free an array from checkconf_parse_array. NULL-safe. */
void checkconf_free_array(struct check_config *v, size_t n);

/* Does status match any of the ranges? */
bool checkconf_status_ok(const struct http_expect *e, long status);
/* Parse one status item (an integer or "300-399"); 0 or -1. */
int checkconf_parse_status(json_t *v, struct status_range *out);

#endif
