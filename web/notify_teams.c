/* notify_teams: Microsoft Teams through a Workflows webhook ("Post to a
 * channel when a webhook request is received"; the Office 365 connectors it
 * replaces are retired). The workflow posts the Adaptive Card it receives:
 *   {"type": "message", "attachments": [{
 *     "contentType": "application/vnd.microsoft.card.adaptive",
 *     "contentUrl": null,
 *     "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
 *       "type": "AdaptiveCard", "version": "1.4", "body": [
 *         {TextBlock HEADLINE, weight Bolder, size Medium, color by tone},
 *         {TextBlock summary, wrap}, {TextBlock context, subtle, wrap},
 *         {FactSet facts [{"title", "value"}...]}]}}]} */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"



/* Adaptive Card colours are names the host theme maps to its own shades. */
static const char *
teams_color(const struct notification *n)
{
	switch (notify_tone(n)) {
	case NOTIFY_TONE_PAGE:
		return "Attention";
	case NOTIFY_TONE_TICKET:
		return "Warning";
	case NOTIFY_TONE_RESOLVED:
		return "Good";
	case NOTIFY_TONE_INFO:
		return "Accent";
	case NOTIFY_TONE_TEST:
	default:
		return "Default";
	}
}

static json_t *
text_block(const char *text, bool subtle)
{
	json_t *b = json_pack("{s:s, s:o, s:b}", "type", "TextBlock",
	    "text", notify_jstr(text), "wrap", 1);

	if (subtle)
		json_object_set_new(b, "isSubtle", json_true());
	return b;
}

static int
teams_build(const struct receiver_config *rc, const struct notification *n,
    struct notify_request *out, char *err, size_t errlen)
{
	struct notify_fact facts[NOTIFY_FACTS_MAX];
	size_t nf = notify_facts(n, facts, NOTIFY_FACTS_MAX);
	char *head = notify_headline(n);
	json_t *body, *blocks, *factset;
	int rv;

	blocks = json_array();
	json_array_append_new(blocks, json_pack("{s:s, s:o, s:s, s:s, s:s, s:b}",
	    "type", "TextBlock", "text", notify_jstr(head), "weight", "Bolder",
	    "size", "Medium", "color", teams_color(n), "wrap", 1));
	if (n->summary[0] != '\0')
		json_array_append_new(blocks, text_block(n->summary, false));
	if (n->context != NULL && n->context[0] != '\0')
		json_array_append_new(blocks, text_block(n->context, true));
	factset = json_array();
	for (size_t i = 0; i < nf; i++)
		json_array_append_new(factset, json_pack("{s:o, s:o}",
		    "title", notify_jstr(facts[i].name),
		    "value", notify_jstr(facts[i].value)));
	json_array_append_new(blocks, json_pack("{s:s, s:o}", "type", "FactSet",
	    "facts", factset));
	body = json_pack("{s:s, s:[{s:s, s:n, s:{s:s, s:s, s:s, s:o}}]}",
	    "type", "message",
	    "attachments",
	    "contentType", "application/vnd.microsoft.card.adaptive",
	    "contentUrl",
	    "content",
	    "$schema", "http://adaptivecards.io/schemas/adaptive-card.json",
	    "type", "AdaptiveCard",
	    "version", "1.4",
	    "body", blocks);
	rv = notify_json_request(out, rc->url, body, err, errlen);
	json_decref(body);
	free(head);
	return rv;
}

const struct notify_kind notify_kind_teams = {
	.name = "teams",
	.build = teams_build,
};
