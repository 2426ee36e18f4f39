/* notify_slack: Slack incoming webhooks (https://api.slack.com/messaging/webhooks),
 * one message with a coloured legacy attachment:
 *   {"text": HEADLINE, "channel"?, "username"?,
 *    "attachments": [{"fallback", "color": "#rrggbb", "title": TITLE, "text",
 *      "fields": [{"title", "value", "short": true}...],
 *      "footer": "vantage", "ts": UNIX_SECONDS}]}
 * Slack's text formatting wants &, < and > escaped as HTML entities. The
 * channel and username overrides only work on legacy webhooks; a Slack
 * app's webhook posts to the channel it was created for. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "xmalloc.h"



/* The only three characters Slack wants escaped. Caller frees. */
static char *
slack_escape(const char *s)
{
	size_t n = 0, off = 0;
	char *out;

	for (const char *p = s; *p; p++)
		n += *p == '&' ? 5 : (*p == '<' || *p == '>') ? 4 : 1;
	out = xmalloc(n + 1);
	for (const char *p = s; *p; p++) {
		const char *rep = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" :
		    *p == '>' ? "&gt;" : NULL;

		if (rep != NULL) {
			memcpy(out + off, rep, strlen(rep));
			off += strlen(rep);
		} else
			out[off++] = *p;
	}
	out[off] = '\0';
	return out;
}

static json_t *
slack_str(const char *s)
{
	char *e = slack_escape(s);
	json_t *j = notify_jstr(e);

	free(e);
	return j;
}

static const char *
slack_color(const struct notification *n)
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
slack_build(const struct receiver_config *rc, const struct notification *n,
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
		    "title", slack_str(facts[i].name),
		    "value", slack_str(facts[i].value), "short", 1));
	att = json_pack("{s:o, s:s, s:o, s:o, s:o, s:s, s:I}",
	    "fallback", slack_str(head),
	    "color", slack_color(n),
	    "title", slack_str(n->title),
	    "text", slack_str(text),
	    "fields", fields,
	    "footer", "vantage",
	    "ts", (json_int_t)(n->now / 1000));
	body = json_pack("{s:o}", "text", slack_str(head));
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

const struct notify_kind notify_kind_slack = {
	.name = "slack",
	.build = slack_build,
};
