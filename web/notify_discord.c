/* notify_discord: Discord webhooks (Execute Webhook,
 * https://discord.com/developers/docs/resources/webhook), one embed:
 *   {"username"?, "content": HEADLINE, "allowed_mentions": {"parse": []},
 *    "embeds": [{"title", "description", "color": 0xRRGGBB as an integer,
 *      "timestamp": ISO8601, "fields": [{"name", "value", "inline": true}...],
 *      "footer": {"text": "vantage"}}]}
 * Discord's limits are enforced here (content 2000, title 256, description
 * 4096, field value 1024, 25 fields, 6000 characters per embed) because it
 * rejects the whole message otherwise. allowed_mentions is empty so an
 * "@everyone" inside a probe's error text pings nobody. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "notify.h"

#define DISCORD_CONTENT_MAX	2000
#define DISCORD_TITLE_MAX	256
#define DISCORD_DESC_MAX	4096
#define DISCORD_EMBED_MAX	6000
#define DISCORD_FIELDS_MAX	25
#define DISCORD_USERNAME_MAX	80



static json_int_t
discord_color(const struct notification *n)
{
	switch (notify_tone(n)) {
	case NOTIFY_TONE_PAGE:
		return 0xd00000;
	case NOTIFY_TONE_TICKET:
		return 0xff8c00;
	case NOTIFY_TONE_RESOLVED:
		return 0x2eb67d;
	case NOTIFY_TONE_TEST:
		return 0x9e9e9e;
	case NOTIFY_TONE_INFO:
	default:
		return 0x439fe0;
	}
}

/* Code points in s, as Discord counts its limits (near enough). */
static size_t
chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static int
discord_build(const struct receiver_config *rc, const struct notification *n,
    struct notify_request *out, char *err, size_t errlen)
{
	struct notify_fact facts[NOTIFY_FACTS_MAX];
	size_t nf = notify_facts(n, facts, NOTIFY_FACTS_MAX), used, room;
	char *head = notify_headline(n), *text = notify_text(n), *content, *title;
	char *desc, iso[32];
	json_t *body, *embed, *fields;
	int rv;

	if (nf > DISCORD_FIELDS_MAX)
		nf = DISCORD_FIELDS_MAX;
	content = notify_truncate(head, DISCORD_CONTENT_MAX);
	title = notify_truncate(n->title, DISCORD_TITLE_MAX);
	used = chars(title) + strlen("vantage");
	fields = json_array();
	for (size_t i = 0; i < nf; i++) {
		json_array_append_new(fields, json_pack("{s:o, s:o, s:b}",
		    "name", notify_jstr(facts[i].name),
		    "value", notify_jstr(facts[i].value), "inline", 1));
		used += chars(facts[i].name) + chars(facts[i].value);
	}
	room = used < DISCORD_EMBED_MAX ? DISCORD_EMBED_MAX - used : 1;
	desc = notify_truncate(text, room < DISCORD_DESC_MAX ? room : DISCORD_DESC_MAX);
	embed = json_pack("{s:o}", "title", notify_jstr(title));
	if (desc[0] != '\0')	/* Discord refuses empty strings */
		json_object_set_new(embed, "description", notify_jstr(desc));
	json_object_set_new(embed, "color", json_integer(discord_color(n)));
	json_object_set_new(embed, "timestamp",
	    json_string(notify_iso8601(n->now, iso, sizeof(iso))));
	json_object_set_new(embed, "fields", fields);
	json_object_set_new(embed, "footer", json_pack("{s:s}", "text", "vantage"));
	body = json_object();
	if (rc->username != NULL)
		json_object_set_new(body, "username", notify_jstr(rc->username));
	json_object_set_new(body, "content", notify_jstr(content));
	json_object_set_new(body, "allowed_mentions", json_pack("{s:[]}", "parse"));
	json_object_set_new(body, "embeds", json_pack("[o]", embed));
	rv = notify_json_request(out, rc->url, body, err, errlen);
	json_decref(body);
	free(head);
	free(text);
	free(content);
	free(title);
	free(desc);
	return rv;
}

const struct notify_kind notify_kind_discord = {
	.name = "discord",
	.build = discord_build,
};
