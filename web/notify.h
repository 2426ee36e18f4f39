/* notify: alert receivers. Each receiver kind is a const descriptor
 * (web/notify_<kind>.c) that turns one notification into one HTTP request
 * in the service's documented format; its settings are parsed by
 * core/receiver.c. Delivery (queue, retries, the curl multi loop) lives in
 * web/deliver.c. */
#ifndef VANTAGE_NOTIFY_H
#define VANTAGE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "receiver.h"

/* What happened, in receiver-neutral form. Strings may be NULL unless
 * noted; times are Unix ms. */
struct notification {
	const char	*event;		/* "trigger", "update", "resolve", "reminder", "test" (never NULL) */
	const char	*incident_id;	/* stable id, e.g. "inc-42"; the dedup key (never NULL) */
	const char	*rule;		/* rule name (never NULL) */
	const char	*rule_type;	/* burn_rate, check_down, cert_expiry, agent_silent, latency */
	const char	*severity;	/* "page", "ticket" or "info" (never NULL) */
	const char	*title;		/* one line, e.g. "micro front door down in 2 regions" (never NULL) */
	const char	*summary;	/* details, may span lines (never NULL) */
	const char	*context;	/* layer-aware sentence, e.g. "front door failing, origins healthy: CDN problem" */
	const char	*service, *layer, *check, *slo, *agent;
	int64_t		 started_at;	/* incident start */
	int64_t		 resolved_at;	/* 0 while open */
	int64_t		 now;		/* when this notification was made */
	json_t		*details;	/* extra key/values (object, borrowed; may be NULL) */
};

/* One HTTP request to make, always a POST. Owned by the caller after
 * build; release with notify_request_clear. */
struct notify_request {
	char			*url;
	struct curl_slist	*headers;	/* Content-Type included */
	char			*body;
};

struct notify_kind {
	const char	*name;		/* the receiver_kind's name */
	/* Build the request for n into out (zeroed; the caller releases it
	 * with notify_request_clear). Pure: no I/O, same input same bytes, so
	 * it may be rebuilt per attempt. 0, or -1 with a message in err and
	 * out left empty. */
	int	(*build)(const struct receiver_config *rc, const struct notification *n,
		    struct notify_request *out, char *err, size_t errlen);
};

/* Build the request that tells rc's service about n (see struct
 * notify_kind's build). 0, or -1 with a message in err. */
int notify_build(const struct receiver_config *rc, const struct notification *n,
    struct notify_request *out, char *err, size_t errlen);
/* Free what r holds and zero it. NULL-safe. */
void notify_request_clear(struct notify_request *r);

/* The kinds, one per web/notify_<kind>.c (notify_build picks one). */
extern const struct notify_kind notify_kind_slack;
extern const struct notify_kind notify_kind_discord;
extern const struct notify_kind notify_kind_teams;
extern const struct notify_kind notify_kind_mattermost;
extern const struct notify_kind notify_kind_pagerduty;
extern const struct notify_kind notify_kind_opsgenie;
extern const struct notify_kind notify_kind_webhook;

/* Helpers shared by the kinds. */
/* ISO 8601 UTC ("2026-11-26T18:40:00Z") of Unix ms into out (32 bytes).
 * Returns out. */
char *notify_iso8601(int64_t ms, char *out, size_t outlen);
/* Fill an empty r for a POST of body (borrowed; serialized compactly, UTF-8)
 * to url, with the header "Content-Type: application/json". Returns 0, or
 * -1 with a message in err (body not serializable); r is then left empty. */
int notify_json_request(struct notify_request *r, const char *url, json_t *body,
    char *err, size_t errlen);
/* Append one header line ("Name: value") to r; aborts on out-of-memory. */
void notify_request_header(struct notify_request *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* How a notification should look: each kind maps this to its colours. */
enum notify_tone {
	NOTIFY_TONE_PAGE,	/* open, severity page: red */
	NOTIFY_TONE_TICKET,	/* open, severity ticket: orange */
	NOTIFY_TONE_INFO,	/* open, severity info: blue */
	NOTIFY_TONE_RESOLVED,	/* green */
	NOTIFY_TONE_TEST	/* grey */
};
enum notify_tone notify_tone(const struct notification *n);
/* Whether n is the "resolve" event, the "test" event. */
bool notify_is_resolve(const struct notification *n);
bool notify_is_test(const struct notification *n);
/* The visible first line: "[FIRING] title", "[UPDATED] ...",
 * "[STILL FIRING] ...", "[RESOLVED] ...", "[TEST] ...". Caller frees. */
char *notify_headline(const struct notification *n);
/* summary, then a blank line and context if there is one. Caller frees. */
char *notify_text(const struct notification *n);

#define NOTIFY_FACTS_MAX	20
#define NOTIFY_FACT_LEN		256
/* One labelled value for a chat card ("Service": "micro"). */
struct notify_fact {
	const char	*name;			/* static or borrowed from n */
	char		 value[NOTIFY_FACT_LEN];	/* never empty */
};
/* The facts of n in display order: Severity, Service, Layer, Check, SLO,
 * Agent, Rule, Started, Resolved, Duration, Incident, then n->details'
 * scalar members; absent ones skipped, at most max. Returns the count. */
size_t notify_facts(const struct notification *n, struct notify_fact *f, size_t max);
/* A JSON string of s (NULL gives JSON null); invalid UTF-8 bytes become
 * U+FFFD. New reference, never NULL. */
json_t *notify_jstr(const char *s);
/* s cut to at most maxchars code points (the last one an ellipsis when
 * cut), never splitting a UTF-8 sequence. Caller frees. */
char *notify_truncate(const char *s, size_t maxchars);
/* A JSON value as display text: strings as they are, numbers and
 * booleans printed, null as "null", others compact JSON. Caller frees. */
char *notify_value_text(const json_t *v);

#endif
