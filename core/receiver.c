/* receiver: alert receiver settings and each type's own keys. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "conf.h"
#include "receiver.h"
#include "secret.h"
#include "xmalloc.h"

#define DISCORD_USERNAME_MAX	80

#define NAME_MAX_LEN	64
#define KEYS_MAX	32

#define TIMEOUT_DEFAULT_MS	10000
#define TIMEOUT_MIN_MS		100
#define TIMEOUT_MAX_MS		(5 * 60 * 1000)
#define ATTEMPTS_DEFAULT	8
#define ATTEMPTS_MAX		50

/* Resolve the secret at obj.key (literal, env:, file:) into *out (caller
 * frees; left alone if absent and not required). what, if not NULL, says
 * what the key holds and is added to the "required key is missing" error. */
static void
conf_secret(struct confctx *c, const char *path, json_t *obj,
    const char *key, bool required, const char *what, char **out)
{
	char p[CONF_PATH_MAX], err[256], *spec = NULL;

	conf_path(p, path, key);
	if (required && what != NULL && json_object_get(obj, key) == NULL) {
		conf_error(c, p, "required key is missing: %s", what);
		return;
	}
	if (conf_get_string(c, path, obj, key, required, &spec) < 0 || spec == NULL)
		return;
	free(*out);
	*out = NULL;
	if (secret_resolve(spec, out, err, sizeof(err)) < 0)
		conf_error(c, p, "%s", err);
	free(spec);
}

/* ---- slack ---- */

static const char *const slack_keys[] = { "channel", "username", NULL };

static void
slack_parse(struct confctx *c, const char *path, json_t *obj,
    struct receiver_config *rc)
{
	conf_get_string(c, path, obj, "channel", false, &rc->channel);
	conf_get_string(c, path, obj, "username", false, &rc->username);
}

/* ---- discord ---- */

static const char *const discord_keys[] = { "username", NULL };

static void
discord_parse(struct confctx *c, const char *path, json_t *obj,
    struct receiver_config *rc)
{
	char p[CONF_PATH_MAX];

	if (conf_get_string(c, path, obj, "username", false, &rc->username) < 0 ||
	    rc->username == NULL)
		return;
	conf_path(p, path, "username");
	/* Discord refuses these with a 400 on every message */
	if (rc->username[0] == '\0' || strlen(rc->username) > DISCORD_USERNAME_MAX)
		conf_error(c, p, "must be 1-%d characters", DISCORD_USERNAME_MAX);
	else if (strcasestr(rc->username, "discord") != NULL ||
	    strcasestr(rc->username, "clyde") != NULL)
		conf_error(c, p, "Discord refuses names containing \"discord\" or "
		    "\"clyde\"");
}

/* ---- teams ---- */

static const char *const teams_keys[] = { NULL };

static void
teams_parse(struct confctx *c, const char *path, json_t *obj,
    struct receiver_config *rc)
{
}

/* ---- mattermost ---- */

static const char *const mattermost_keys[] = { "channel", "username", NULL };

static void
mattermost_parse(struct confctx *c, const char *path, json_t *obj,
    struct receiver_config *rc)
{
	conf_get_string(c, path, obj, "channel", false, &rc->channel);
	conf_get_string(c, path, obj, "username", false, &rc->username);
}

/* ---- pagerduty ---- */

static const char *const pagerduty_keys[] = { "routing_key", NULL };

static void
pagerduty_parse(struct confctx *c, const char *path, json_t *obj,
    struct receiver_config *rc)
{
	conf_secret(c, path, obj, "routing_key", true, "the 32-character "
	    "integration key of an Events API v2 integration (write it as "
	    "\"env:NAME\" or \"file:/path\" to keep it out of the config)",
	    &rc->secret);
}

/* ---- opsgenie ---- */

static const char *const opsgenie_keys[] = { "api_key", NULL };

static void
opsgenie_parse(struct confctx *c, const char *path, json_t *obj,
    struct receiver_config *rc)
{
	char p[CONF_PATH_MAX];

	conf_secret(c, path, obj, "api_key", true, "the API key of an "
	    "Opsgenie API integration (write it as \"env:NAME\" or \"file:/path\" "
	    "to keep it out of the config)", &rc->secret);
	if (rc->secret != NULL)
		for (const char *s = rc->secret; *s; s++)
			if ((unsigned char)*s < 0x20 || *s == 0x7f) {
				conf_error(c, conf_path(p, path, "api_key"),
				    "must not contain control characters "
				    "(it goes into a header)");
				break;
			}
	if (rc->url != NULL && strstr(rc->url, "/v2/alerts") != NULL)
		conf_error(c, conf_path(p, path, "url"), "is the API base, e.g. "
		    "\"https://api.opsgenie.com\" or \"https://api.eu.opsgenie.com\"; "
		    "/v2/alerts is added");
}

/* ---- webhook ---- */

static const char *const webhook_keys[] = { "secret", NULL };

static void
webhook_parse(struct confctx *c, const char *path, json_t *obj,
    struct receiver_config *rc)
{
	conf_secret(c, path, obj, "secret", false, NULL, &rc->secret);
}

static const struct receiver_kind kinds[] = {
	{ "slack", slack_keys, false, slack_parse },
	{ "discord", discord_keys, false, discord_parse },
	{ "teams", teams_keys, false, teams_parse },
	{ "mattermost", mattermost_keys, false, mattermost_parse },
	{ "pagerduty", pagerduty_keys, true, pagerduty_parse },
	{ "opsgenie", opsgenie_keys, true, opsgenie_parse },
	{ "webhook", webhook_keys, false, webhook_parse },
	{ NULL, NULL, false, NULL }
};

static const char *const common_keys[] = {
	"name", "type", "url", "timeout", "max_attempts", NULL
};

const struct receiver_kind *
receiver_kind_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; kinds[i].name; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

const char *
receiver_kind_names(void)
{
	static char names[256];
	size_t off = 0;

	if (names[0] != '\0')
		return names;
	for (size_t i = 0; kinds[i].name && off < sizeof(names); i++)
		off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
		    i ? ", " : "", kinds[i].name);
	return names;
}

/* Collect the allowed keys: the common ones plus those of kind, or of every
 * kind when the type is not known (so only truly unknown keys are flagged). */
static void
allowed_keys(const struct receiver_kind *kind, const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; common_keys[i] && n + 1 < max; i++)
		out[n++] = common_keys[i];
	for (size_t k = 0; kinds[k].name; k++) {
		if (kind != NULL && &kinds[k] != kind)
			continue;
		for (size_t i = 0; kinds[k].keys[i] && n + 1 < max; i++) {
			size_t j;

			for (j = 0; j < n; j++)
				if (strcmp(out[j], kinds[k].keys[i]) == 0)
					break;
			if (j == n)
				out[n++] = kinds[k].keys[i];
		}
	}
	out[n] = NULL;
}

static bool
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == n;
}

/* The URL must be http(s) with a host. The message never repeats the URL:
 * chat webhook URLs carry their token and may come from env: or file:. */
static void
check_url(struct confctx *c, const char *path, const char *url)
{
	char p[CONF_PATH_MAX], *host = NULL;
	CURLU *u;
	CURLUcode uc;

	conf_path(p, path, "url");
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
		conf_error(c, p, "must be an http:// or https:// URL");
		return;
	}
	if ((u = curl_url()) == NULL)
		abort();
	if ((uc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK)
		conf_error(c, p, "not a valid URL: %s", curl_url_strerror(uc));
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    host == NULL || host[0] == '\0')
		conf_error(c, p, "the URL has no host");
	curl_free(host);
	curl_url_cleanup(u);
}

int
receiver_parse(struct confctx *c, const char *path, json_t *obj,
    struct receiver_config *rc)
{
	const char *keys[KEYS_MAX];
	size_t nerrs = c->nerrs;
	char p[CONF_PATH_MAX], *type = NULL;
	int64_t attempts = ATTEMPTS_DEFAULT;

	rc->timeout_ms = TIMEOUT_DEFAULT_MS;
	rc->max_attempts = ATTEMPTS_DEFAULT;
	if (conf_object(c, path, obj) == NULL)
		return -1;
	if (conf_get_string(c, path, obj, "name", true, &rc->name) == 0 &&
	    !valid_name(rc->name))
		conf_error(c, conf_path(p, path, "name"), "must be 1-%d letters, "
		    "digits, '.', '_' or '-'", NAME_MAX_LEN);
	if (conf_get_string(c, path, obj, "type", true, &type) == 0 &&
	    (rc->kind = receiver_kind_find(type)) == NULL)
		conf_error(c, conf_path(p, path, "type"), "unknown receiver type "
		    "\"%s\"; must be one of: %s", type, receiver_kind_names());
	free(type);
	allowed_keys(rc->kind, keys, KEYS_MAX);
	conf_only_keys(c, path, obj, keys);

	conf_secret(c, path, obj, "url", true, NULL, &rc->url);
	if (rc->url != NULL)
		check_url(c, path, rc->url);
	conf_get_duration(c, path, obj, "timeout", TIMEOUT_MIN_MS, TIMEOUT_MAX_MS,
	    &rc->timeout_ms);
	if (conf_get_int(c, path, obj, "max_attempts", 1, ATTEMPTS_MAX, &attempts) == 0)
		rc->max_attempts = (int)attempts;
	if (rc->kind != NULL)
		rc->kind->parse(c, path, obj, rc);
	return c->nerrs > nerrs ? -1 : 0;
}

void
receiver_clear(struct receiver_config *rc)
{
	if (rc == NULL)
		return;
	free(rc->name);
	free(rc->url);
	free(rc->secret);
	free(rc->channel);
	free(rc->username);
	memset(rc, 0, sizeof(*rc));
}

