/* notify_pagerduty: PagerDuty Events API v2
 * (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/).
 * url is the whole enqueue URL (https://events.pagerduty.com/v2/enqueue, or
 * https://events.eu.pagerduty.com/v2/enqueue for the EU service region).
 * trigger, update, reminder and test send
 *   {"routing_key", "event_action": "trigger", "dedup_key": INCIDENT_ID,
 *    "payload": {"summary" (<= 1024), "source", "severity", "timestamp",
 *      "component"?, "group"?, "class"?, "custom_details": {...}}}
 * (PagerDuty folds a trigger with an open alert's dedup_key into that alert);
 * resolve sends {"routing_key", "event_action": "resolve", "dedup_key"}. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"

#define PD_SUMMARY_MAX	1024
#define PD_DEDUP_MAX	255



static const char *
pd_severity(const struct notification *n)
{
	if (notify_is_test(n))
		return "info";
	if (strcmp(n->severity, "page") == 0)
		return "critical";
	if (strcmp(n->severity, "ticket") == 0)
		return "error";
	return "info";
}

/* The "unique location of the affected system": the check, else the agent
 * (agent_silent), else the service (burn rate). */
static const char *
pd_source(const struct notification *n)
{
	if (n->check != NULL && n->check[0] != '\0')
		return n->check;
	if (n->agent != NULL && n->agent[0] != '\0')
		return n->agent;
	if (n->service != NULL && n->service[0] != '\0')
		return n->service;
	return "vantage";
}

static void
set_opt(json_t *obj, const char *key, const char *value)
{
	if (value != NULL && value[0] != '\0')
		json_object_set_new(obj, key, notify_jstr(value));
}

static json_t *
pd_details(const struct notification *n)
{
	json_t *d = json_object();
	char iso[32];

	set_opt(d, "summary", n->summary);
	set_opt(d, "context", n->context);
	set_opt(d, "rule", n->rule);
	set_opt(d, "rule_type", n->rule_type);
	set_opt(d, "severity", n->severity);
	set_opt(d, "service", n->service);
	set_opt(d, "layer", n->layer);
	set_opt(d, "check", n->check);
	set_opt(d, "slo", n->slo);
	set_opt(d, "agent", n->agent);
	set_opt(d, "incident", n->incident_id);
	if (n->started_at > 0)
		set_opt(d, "started_at", notify_iso8601(n->started_at, iso, sizeof(iso)));
	if (json_is_object(n->details))
		json_object_update_missing(d, n->details);
	return d;
}

static int
pagerduty_build(const struct receiver_config *rc, const struct notification *n,
    struct notify_request *out, char *err, size_t errlen)
{
	char iso[32], *head, *summary;
	json_t *body, *payload;
	int rv;

	if (strlen(n->incident_id) > PD_DEDUP_MAX) {
		snprintf(err, errlen, "incident id longer than %d bytes", PD_DEDUP_MAX);
		return -1;
	}
	body = json_pack("{s:o, s:s, s:o}",
	    "routing_key", notify_jstr(rc->secret),
	    "event_action", notify_is_resolve(n) ? "resolve" : "trigger",
	    "dedup_key", notify_jstr(n->incident_id));
	if (!notify_is_resolve(n)) {
		head = notify_headline(n);
		summary = notify_truncate(head, PD_SUMMARY_MAX);
		payload = json_pack("{s:o, s:o, s:s, s:s}",
		    "summary", notify_jstr(summary),
		    "source", notify_jstr(pd_source(n)),
		    "severity", pd_severity(n),
		    "timestamp", notify_iso8601(n->started_at > 0 ? n->started_at :
		    n->now, iso, sizeof(iso)));
		set_opt(payload, "component", n->check);
		set_opt(payload, "group", n->service);
		set_opt(payload, "class", n->rule_type);
		json_object_set_new(payload, "custom_details", pd_details(n));
		json_object_set_new(body, "payload", payload);
		free(head);
		free(summary);
	}
	rv = notify_json_request(out, rc->url, body, err, errlen);
	json_decref(body);
	return rv;
}

const struct notify_kind notify_kind_pagerduty = {
	.name = "pagerduty",
	.build = pagerduty_build,
};
