/* notify_opsgenie: Opsgenie Alert API (https://docs.opsgenie.com/docs/alert-api),
 * authenticated with "Authorization: GenieKey API_KEY". url is the API base:
 * https://api.opsgenie.com, or https://api.eu.opsgenie.com for EU accounts.
 * trigger, update, reminder and test: POST <url>/v2/alerts
 *   {"message" (<= 130), "alias": INCIDENT_ID, "description" (<= 15000),
 *    "priority": "P1" page / "P3" ticket / "P5" info and test,
 *    "source": "vantage", "tags": [...], "details": {string: string}}
 * (Opsgenie folds a create with an open alert's alias into that alert);
 * resolve: POST <url>/v2/alerts/<alias, percent-encoded>/close?identifierType=alias
 *   {"source": "vantage", "note"}. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "xmalloc.h"

#define OG_MESSAGE_MAX	130
#define OG_ALIAS_MAX	512
#define OG_DESC_MAX	15000
#define OG_NOTE_MAX	25000
#define OG_TAG_MAX	50
#define OG_DETAILS_MAX	8000	/* all keys and values together */



static const char *
og_priority(const struct notification *n)
{
	if (notify_is_test(n))
		return "P5";
	if (strcmp(n->severity, "page") == 0)
		return "P1";
	if (strcmp(n->severity, "ticket") == 0)
		return "P3";
	return "P5";
}

/* url without trailing slashes, then the path. Caller frees. */
static char *
og_url(const char *base, const char *path)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	return xasprintf("%.*s%s", (int)n, base, path);
}

/* Percent-encode everything but RFC 3986 unreserved characters. */
static char *
og_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(s) * 3 + 1);
	size_t off = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL) {
			out[off++] = (char)*p;
		} else {
			out[off++] = '%';
			out[off++] = hex[*p >> 4];
			out[off++] = hex[*p & 15];
		}
	}
	out[off] = '\0';
	return out;
}

static void
add_tag(json_t *tags, const char *prefix, const char *value)
{
	char *t, *cut;

	if (value == NULL || value[0] == '\0')
		return;
	t = xasprintf("%s%s", prefix, value);
	cut = notify_truncate(t, OG_TAG_MAX);
	json_array_append_new(tags, notify_jstr(cut));
	free(t);
	free(cut);
}

static void
add_detail(json_t *d, size_t *used, const char *key, const char *value)
{
	size_t n;

	if (value == NULL || value[0] == '\0' || json_object_get(d, key) != NULL)
		return;
	n = strlen(key) + strlen(value);
	if (*used + n > OG_DETAILS_MAX)
		return;
	*used += n;
	json_object_set_new(d, key, notify_jstr(value));
}

static json_t *
og_details(const struct notification *n)
{
	json_t *d = json_object(), *v;
	size_t used = 0;
	const char *key;
	char iso[32];

	add_detail(d, &used, "incident", n->incident_id);
	add_detail(d, &used, "rule", n->rule);
	add_detail(d, &used, "rule_type", n->rule_type);
	add_detail(d, &used, "severity", n->severity);
	add_detail(d, &used, "service", n->service);
	add_detail(d, &used, "layer", n->layer);
	add_detail(d, &used, "check", n->check);
	add_detail(d, &used, "slo", n->slo);
	add_detail(d, &used, "agent", n->agent);
	if (n->started_at > 0)
		add_detail(d, &used, "started_at",
		    notify_iso8601(n->started_at, iso, sizeof(iso)));
	if (json_is_object(n->details)) {
		json_object_foreach(n->details, key, v) {
			char *s = notify_value_text(v);	/* details are strings */

			add_detail(d, &used, key, s);
			free(s);
		}
	}
	return d;
}

static json_t *
og_create(const struct notification *n)
{
	char *head = notify_headline(n), *text = notify_text(n);
	char *msg = notify_truncate(head, OG_MESSAGE_MAX);
	char *desc = notify_truncate(text, OG_DESC_MAX);
	json_t *body, *tags = json_array();

	add_tag(tags, "", "vantage");
	if (notify_is_test(n))
		add_tag(tags, "", "test");
	add_tag(tags, "severity:", n->severity);
	add_tag(tags, "service:", n->service);
	add_tag(tags, "layer:", n->layer);
	add_tag(tags, "rule_type:", n->rule_type);
	body = json_pack("{s:o, s:o, s:o, s:s, s:s, s:o, s:o}",
	    "message", notify_jstr(msg),
	    "alias", notify_jstr(n->incident_id),
	    "description", notify_jstr(desc),
	    "priority", og_priority(n),
	    "source", "vantage",
	    "tags", tags,
	    "details", og_details(n));
	free(head);
	free(text);
	free(msg);
	free(desc);
	return body;
}

static json_t *
og_close(const struct notification *n)
{
	char *head = notify_headline(n), *text = notify_text(n), *note, *cut;
	json_t *body;

	note = xasprintf("%s\n\n%s", head, text);
	cut = notify_truncate(note, OG_NOTE_MAX);
	body = json_pack("{s:s, s:o}", "source", "vantage", "note", notify_jstr(cut));
	free(head);
	free(text);
	free(note);
	free(cut);
	return body;
}

static int
opsgenie_build(const struct receiver_config *rc, const struct notification *n,
    struct notify_request *out, char *err, size_t errlen)
{
	char *url, *alias;
	json_t *body;
	int rv;

	if (strlen(n->incident_id) > OG_ALIAS_MAX) {
		snprintf(err, errlen, "incident id longer than %d bytes", OG_ALIAS_MAX);
		return -1;
	}
	if (notify_is_resolve(n)) {
		char *path;

		alias = og_escape(n->incident_id);
		path = xasprintf("/v2/alerts/%s/close?identifierType=alias", alias);
		url = og_url(rc->url, path);
		body = og_close(n);
		free(alias);
		free(path);
	} else {
		url = og_url(rc->url, "/v2/alerts");
		body = og_create(n);
	}
	rv = notify_json_request(out, url, body, err, errlen);
	if (rv == 0)
		notify_request_header(out, "Authorization: GenieKey %s", rc->secret);
	json_decref(body);
	free(url);
	return rv;
}

const struct notify_kind notify_kind_opsgenie = {
	.name = "opsgenie",
	.build = opsgenie_build,
};
