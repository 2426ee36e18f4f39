/* receiver: the settings of an alert receiver (alerts.receivers[]): name,
 * type, URL, secrets, and each type's own keys, validated in one place.
 * Turning a notification into a request is the collector's business
 * (web/notify.c); vantage-report needs only these settings. */
#ifndef VANTAGE_RECEIVER_H
#define VANTAGE_RECEIVER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct confctx;
struct receiver_config;

/* One receiver type's configuration: its name and the keys it takes. */
struct receiver_kind {
	const char		*name;
	const char *const	*keys;		/* besides name, type, url, timeout, max_attempts */
	bool			 needs_secret;	/* e.g. pagerduty routing_key */
	/* Parse the kind's own keys of obj (at path) into rc; errors to c. */
	void	(*parse)(struct confctx *c, const char *path, json_t *obj,
		    struct receiver_config *rc);
};

struct receiver_config {
	char				*name;
	const struct receiver_kind	*kind;
	char				*url;		/* every kind takes url */
	char				*secret;	/* routing_key / api_key / signing secret (resolved env:/file:) */
	char				*channel;	/* slack/mattermost: optional channel override */
	char				*username;	/* slack/mattermost/discord: optional sender name */
	int64_t				 timeout_ms;	/* default 10s */
	int				 max_attempts;	/* default 8 */
};

/* The kind named name, or NULL. */
const struct receiver_kind *receiver_kind_find(const char *name);
/* Comma-separated names of every kind (for error messages). */
const char *receiver_kind_names(void);
/* Parse one receiver object; 0, or -1 with errors added to c. rc must be
 * zeroed; release with receiver_clear. Secrets (url too, which may be
 * env:/file:) are resolved here, so a bad one fails the config check.
 * Every error is collected: unknown keys, a bad type (with the list of
 * kinds), a missing or non-http(s) url, the kind's own keys. Duplicate
 * names across receivers are the caller's to check. */
int receiver_parse(struct confctx *c, const char *path, json_t *obj,
    struct receiver_config *rc);
/* Free what rc holds and zero it (rc itself is the caller's). NULL-safe. */
void receiver_clear(struct receiver_config *rc);

#endif
