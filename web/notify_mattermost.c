/* notify_mattermost: Mattermost incoming webhooks
 * (https://developers.mattermost.com/integrate/webhooks/incoming/), the
 * Slack-compatible message with one attachment:
 *   {"text": HEADLINE, "channel"?, "username"?,
 *    "attachments": [{"fallback", "color": "#rrggbb", "title": TITLE, "text",
 *      "fields": [{"title", "value", "short": true}...], "footer": "vantage"}]}
 * Mattermost renders Markdown and wants no entity escaping; it has no
 * attachment "ts", so the times are in the fields. channel and username
 * overrides need the webhook (and, for username, the server) to allow them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"



static const char *
mattermost_color(const struct notification *n)
{
	switch (notify_tone(n)) {
	case NOTIFY_TONE_PAGE:
		return "#d00000";
	case NOTIFY_TONE_TICKET:
		return "#ff8c00";
	case NOTIFY_TONE_RESOLVED:
		return "#2eb67d";
	case NOTIFY_TONE_TEST:
		return "#9e9e9e";
	case NOTIFY_TONE_INFO:
	default:
		return "#439fe0";
	}
}

static int
mattermost_build(const struct receiver_config *rc, const struct notification *n,
    struct notify_request *out, char *err, size_t errlen)
{
	struct notify_fact facts[NOTIFY_FACTS_MAX];
	size_t nf = notify_facts(n, facts, NOTIFY_FACTS_MAX);
	char *head = notify_headline(n), *text = notify_text(n);
	json_t *body, *att, *fields;
	int rv;

	fields = json_array();
	for (size_t i = 0; i < nf; i++)
		json_array_append_new(fields, json_pack("{s:o, s:o, s:b}",
		    "title", notify_jstr(facts[i].name),
		    "value", notify_jstr(facts[i].value), "short", 1));
	att = json_pack("{s:o, s:s, s:o, s:o, s:o, s:s}",
	    "fallback", notify_jstr(head),
	    "color", mattermost_color(n),
	    "title", notify_jstr(n->title),
	    "text", notify_jstr(text),
	    "fields", fields,
	    "footer", "vantage");
	body = json_pack("{s:o}", "text", notify_jstr(head));
	if (rc->channel != NULL)
		json_object_set_new(body, "channel", notify_jstr(rc->channel));
	if (rc->username != NULL)
		json_object_set_new(body, "username", notify_jstr(rc->username));
	json_object_set_new(body, "attachments", json_pack("[o]", att));
	rv = notify_json_request(out, rc->url, body, err, errlen);
	json_decref(body);
	free(head);
	free(text);
	return rv;
}

const struct notify_kind notify_kind_mattermost = {
	.name = "mattermost",
	.build = mattermost_build,
};
