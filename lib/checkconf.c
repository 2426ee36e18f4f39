/* checkconf: parse and validate check definitions. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "checkconf.h"
#include "checkconf_kinds.h"
#include "conf.h"
#include "dnsmsg.h"
#include "redact.h"
#include "secret.h"
#include "xmalloc.h"

const char *const checkconf_layers[] = {
	"front_door", "edge", "central", "other", NULL
};

const char *const checkconf_ip_names[] = { "any", "v4", "v6", NULL };

/* redirect_policy's values, in enum redirect_policy's order. */
static const char *const redirect_names[] = { "none", "same-host", "any", NULL };

/* Keys every kind shares. */
#define COMMON_KEYS "name", "kind", "service", "layer", "provider", \
	"interval", "timeout", "retries", "retry_delay"

/* One entry per probe kind: the keys it accepts and its parser. The agent
 * has the matching runner table (agent/probe.c). */
struct checkconf_kind {
	const char		*name;
	const char *const	*keys;
	int	(*parse)(struct confctx *, const char *, json_t *, struct check_config *);
};

static int http_parse(struct confctx *, const char *, json_t *, struct check_config *);

static const char *const http_keys[] = {
	COMMON_KEYS, "url", "method", "headers", "body", "follow_redirects",
	"redirect_policy", "redact", "ip", "insecure", "reuse_connections",
	"expect", NULL
};
static const char *const tls_keys[] = {
	COMMON_KEYS, "host", "port", "server_name", "ca_file", "insecure", "ip",
	"expect", NULL
};
static const char *const tcp_keys[] = {
	COMMON_KEYS, "host", "port", "send", "ip", "expect", NULL
};
static const char *const dns_keys[] = {
	COMMON_KEYS, "query", "host", "type", "server", "expect", NULL
};
static const char *const assets_keys[] = {
	COMMON_KEYS, "targets", "redact", "insecure", "ip", "expect", NULL
};

static const struct checkconf_kind checkconf_kinds[] = {
	{ "http", http_keys, http_parse },
	{ "tls", tls_keys, checkconf_tls_parse },
	{ "tcp", tcp_keys, checkconf_tcp_parse },
	{ "dns", dns_keys, checkconf_dns_parse },
	{ "assets", assets_keys, checkconf_assets_parse },
};

#define NKINDS (sizeof(checkconf_kinds) / sizeof(checkconf_kinds[0]))

const char *
checkconf_kind_name(size_t i)
{
	return i < NKINDS ? checkconf_kinds[i].name : NULL;
}

void
checkconf_defaults_init(struct check_defaults *d)
{
	d->interval_ms = CHECK_DEFAULT_INTERVAL_MS;
	d->timeout_ms = CHECK_DEFAULT_TIMEOUT_MS;
	d->retries = 0;
	d->pulled = false;
}

int
checkconf_parse_defaults(struct confctx *c, const char *path, json_t *obj,
    struct check_defaults *d)
{
	static const char *const keys[] = { "interval", "timeout", "retries", NULL };
	size_t before = c->nerrs;
	int64_t retries = d->retries;

	if (conf_object(c, path, obj) == NULL)
		return -1;
	conf_only_keys(c, path, obj, keys);
	conf_get_duration(c, path, obj, "interval", 100, 86400000, &d->interval_ms);
	conf_get_duration(c, path, obj, "timeout", 10, 3600000, &d->timeout_ms);
	conf_get_int(c, path, obj, "retries", 0, CHECK_MAX_RETRIES, &retries);
	d->retries = (int)retries;
	return c->nerrs == before ? 0 : -1;
}

int
checkconf_parse_status(json_t *v, struct status_range *out)
{
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (n < 100 || n > 599)
			return -1;
		out->lo = out->hi = (int)n;
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		long lo, hi;

		if (!isdigit((unsigned char)s[0]))
			return -1;
		lo = strtol(s, &end, 10);
		if (*end == '\0')
			hi = lo;
		else if (*end == '-' && isdigit((unsigned char)end[1])) {
			hi = strtol(end + 1, &end, 10);
			if (*end != '\0')
				return -1;
		} else
			return -1;
		if (lo < 100 || hi > 599 || lo > hi)
			return -1;
		out->lo = (int)lo;
		out->hi = (int)hi;
		return 0;
	}
	return -1;
}

bool
checkconf_status_ok(const struct http_expect *e, long status)
{
	for (size_t i = 0; i < e->nstatus; i++)
		if (status >= e->status[i].lo && status <= e->status[i].hi)
			return true;
	return false;
}

int
checkconf_compile_regex(struct confctx *c, const char *path, const char *src, regex_t *re)
{
	char msg[256];
	int rc = regcomp(re, src, REG_EXTENDED | REG_NOSUB);

	if (rc != 0) {
		regerror(rc, re, msg, sizeof(msg));
		conf_error(c, path, "bad regular expression \"%s\": %s", src, msg);
		return -1;
	}
	return 0;
}

static void
parse_expect_status(struct confctx *c, const char *path, json_t *v,
    struct http_expect *e)
{
	char p[CONF_PATH_MAX];
	size_t i;
	json_t *item;

	if (json_is_integer(v) || json_is_string(v)) {
		e->status = xcalloc(1, sizeof(*e->status));
		if (checkconf_parse_status(v, &e->status[0]) < 0)
			conf_error(c, path, "must be a status code (100-599) or a range "
			    "such as \"200-299\"");
		else
			e->nstatus = 1;
		return;
	}
	if (!json_is_array(v) || json_array_size(v) == 0) {
		conf_error(c, path, "must be a non-empty list of codes or ranges, "
		    "e.g. [200, \"300-399\"]");
		return;
	}
	e->status = xcalloc(json_array_size(v), sizeof(*e->status));
	json_array_foreach(v, i, item) {
		if (checkconf_parse_status(item, &e->status[e->nstatus]) < 0)
			conf_error(c, conf_path_idx(p, path, i), "must be a status code "
			    "(100-599) or a range such as \"200-299\"");
		else
			e->nstatus++;
	}
}

static void
parse_expect_headers(struct confctx *c, const char *path, json_t *v,
    struct http_expect *e)
{
	static const char *const keys[] = { "present", "equals", "regex", NULL };
	const char *name;
	json_t *spec;

	if (conf_object(c, path, v) == NULL)
		return;
	e->headers = xcalloc(json_object_size(v) + 1, sizeof(*e->headers));
	json_object_foreach(v, name, spec) {
		struct header_expect *h = &e->headers[e->nheaders];
		char p[CONF_PATH_MAX];
		json_t *x;

		conf_path(p, path, name);
		if (conf_object(c, p, spec) == NULL)
			continue;
		conf_only_keys(c, p, spec, keys);
		if (json_object_size(spec) != 1) {
			conf_error(c, p, "needs exactly one of \"present\", \"equals\", \"regex\"");
			continue;
		}
		if ((x = json_object_get(spec, "present")) != NULL) {
			bool present = true;
			if (conf_get_bool(c, p, spec, "present", &present) < 0)
				continue;
			h->op = present ? HEADER_PRESENT : HEADER_ABSENT;
		} else if ((x = json_object_get(spec, "equals")) != NULL) {
			if (conf_get_string(c, p, spec, "equals", false, &h->value) < 0)
				continue;
			h->op = HEADER_EQUALS;
		} else if ((x = json_object_get(spec, "regex")) != NULL) {
			char rp[CONF_PATH_MAX];
			if (conf_get_string(c, p, spec, "regex", true, &h->value) < 0)
				continue;
			if (checkconf_compile_regex(c, conf_path(rp, p, "regex"), h->value, &h->re) < 0) {
				free(h->value);
				h->value = NULL;
				continue;
			}
			h->op = HEADER_REGEX;
		} else
			continue;
		h->name = xstrdup(name);
		e->nheaders++;
	}
}

static void
parse_expect(struct confctx *c, const char *path, json_t *v, struct check_config *cc)
{
	static const char *const keys[] = {
		"status", "body_contains", "body_regex", "json", "headers",
		"max_latency", "max_body", NULL
	};
	struct http_expect *e = &cc->expect;
	char p[CONF_PATH_MAX];
	json_t *x;

	if (v == NULL || conf_object(c, path, v) == NULL)
		goto defaults;
	conf_only_keys(c, path, v, keys);
	if ((x = json_object_get(v, "status")) != NULL)
		parse_expect_status(c, conf_path(p, path, "status"), x, e);
	conf_get_string(c, path, v, "body_contains", false, &e->body_contains);
	if (conf_get_string(c, path, v, "body_regex", false, &e->body_regex) == 0 &&
	    e->body_regex != NULL &&
	    checkconf_compile_regex(c, conf_path(p, path, "body_regex"), e->body_regex,
	    &e->body_re) < 0) {
		free(e->body_regex);
		e->body_regex = NULL;
	}
	if ((x = json_object_get(v, "json")) != NULL &&
	    conf_object(c, conf_path(p, path, "json"), x) != NULL) {
		const char *k;
		json_t *want;

		e->json = xcalloc(json_object_size(x) + 1, sizeof(*e->json));
		json_object_foreach(x, k, want) {
			char jp[CONF_PATH_MAX];
			if (k[0] == '\0' || k[0] == '.' || k[strlen(k) - 1] == '.' ||
			    strstr(k, "..") != NULL) {
				conf_error(c, conf_path(jp, p, k), "bad JSON path (use dotted "
				    "names such as \"checks.db\")");
				continue;
			}
			e->json[e->njson].path = xstrdup(k);
			e->json[e->njson].value = json_incref(want);
			e->njson++;
		}
	}
	if ((x = json_object_get(v, "headers")) != NULL)
		parse_expect_headers(c, conf_path(p, path, "headers"), x, e);
	conf_get_duration(c, path, v, "max_latency", 1, 3600000, &e->max_latency_ms);
	conf_get_int(c, path, v, "max_body", 0, 1024LL * 1024 * 1024, &e->max_body);
defaults:
	if (e->nstatus == 0) {
		free(e->status);
		e->status = xcalloc(1, sizeof(*e->status));
		e->status[0].lo = 200;
		e->status[0].hi = 299;
		e->nstatus = 1;
	}
}

static bool
valid_method(const char *m)
{
	if (*m == '\0' || strlen(m) > 16)
		return false;
	for (; *m; m++)
		if (!isupper((unsigned char)*m))
			return false;
	return true;
}

void
checkconf_check_url(struct confctx *c, const char *path, const char *url,
    char *const *keys, size_t nkeys)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *shown;
	CURLUcode uc;

	if (u == NULL) {
		conf_error(c, path, "out of memory");
		return;
	}
	/* the message goes to logs: no credentials in it */
	shown = redact_url(url, keys, nkeys);
	uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc != CURLUE_OK)
		conf_error(c, path, "bad URL \"%s\": %s", shown, curl_url_strerror(uc));
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		conf_error(c, path, "bad URL \"%s\": scheme must be http or https",
		    shown);
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
		conf_error(c, path, "bad URL \"%s\": no host", shown);
	free(shown);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
}

/* A name for the redact list: a query key or header name, printable, no
 * separators of either. */
static bool
valid_redact_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
		    strchr("=&?#:\"\\", *s) != NULL)
			return false;
	return true;
}

/* Add name to cc's redact list unless it is there. */
static void
redact_add(struct check_config *cc, const char *name)
{
	if (redact_name(name, strlen(name), cc->redact, cc->nredact, false))
		return;
	cc->redact = xreallocarray(cc->redact, cc->nredact + 2, sizeof(char *));
	cc->redact[cc->nredact++] = xstrdup(name);
	cc->redact[cc->nredact] = NULL;
}

void
checkconf_parse_redact(struct confctx *c, const char *path, json_t *o,
    struct check_config *cc)
{
	json_t *list = json_object_get(o, "redact"), *v;
	char p[CONF_PATH_MAX];
	size_t i;

	if (list == NULL)
		return;
	conf_path(p, path, "redact");
	if (!json_is_array(list) || json_array_size(list) > CHECK_MAX_REDACT) {
		conf_error(c, p, "must be a list of at most %d query keys or header "
		    "names whose values are never shown, e.g. [\"token\", "
		    "\"X-Api-Key\"]", CHECK_MAX_REDACT);
		return;
	}
	json_array_foreach(list, i, v) {
		char q[CONF_PATH_MAX];

		if (!json_is_string(v) || !valid_redact_name(json_string_value(v)))
			conf_error(c, conf_path_idx(q, p, i), "must be a query key or "
			    "header name (1-64 printable characters, no spaces, '=', "
			    "'&', '?', '#' or ':')");
		else
			redact_add(cc, json_string_value(v));
	}
}

/* headers: {"Name": "value" | "env:NAME" | "file:/path"} */
static void
parse_headers(struct confctx *c, const char *path, json_t *h,
    struct check_config *cc)
{
	const char *k;
	json_t *v;

	if (conf_object(c, path, h) == NULL)
		return;
	if (json_object_size(h) > CHECK_MAX_HEADERS) {
		conf_error(c, path, "at most %d headers", CHECK_MAX_HEADERS);
		return;
	}
	cc->headers = xcalloc(json_object_size(h) + 1, sizeof(*cc->headers));
	json_object_foreach(h, k, v) {
		struct check_header *ch = &cc->headers[cc->nheaders];
		char hp[CONF_PATH_MAX], err[256];
		const char *val;

		conf_path(hp, path, k);
		if (!json_is_string(v)) {
			conf_error(c, hp, "must be a string");
			continue;
		}
		val = json_string_value(v);
		if (*k == '\0' || strlen(k) > 256 || strpbrk(k, ": \t\r\n") != NULL ||
		    strpbrk(val, "\r\n") != NULL || strlen(val) != json_string_length(v)) {
			conf_error(c, hp, "header names and values must not "
			    "contain line breaks (names: no colon or space)");
			continue;
		}
		if (secret_is_ref(val)) {
			if (secret_check_ref(val, err, sizeof(err)) < 0) {
				conf_error(c, hp, "%s", err);
				continue;
			}
			ch->secret = xstrdup(val);
			/* a secret's value is never shown, whatever comes back */
			redact_add(cc, k);
		} else
			ch->value = xstrdup(val);
		ch->name = xstrdup(k);
		cc->nheaders++;
	}
}

static bool
spec_allowed(const char *spec, char *const *allow, size_t nallow)
{
	for (size_t i = 0; i < nallow; i++)
		if (strcmp(allow[i], spec) == 0)
			return true;
	return false;
}

int
checkconf_resolve_secrets(struct confctx *c, const char *path,
    struct check_config *cc, char *const *allow, size_t nallow)
{
	size_t before = c->nerrs;

	for (size_t i = 0; i < cc->nheaders; i++) {
		struct check_header *h = &cc->headers[i];
		char p[CONF_PATH_MAX], hp[CONF_PATH_MAX], err[512], *v = NULL;

		if (h->secret == NULL || h->value != NULL)
			continue;
		conf_path(hp, conf_path(p, path, "headers"), h->name);
		if (cc->pulled && !spec_allowed(h->secret, allow, nallow)) {
			conf_error(c, hp, "\"%s\" is not in this agent's "
			    "collector.allow_secrets: a check pulled from the collector "
			    "may only read the secrets the agent's own config lists "
			    "there", h->secret);
			continue;
		}
		if (secret_resolve(h->secret, &v, err, sizeof(err)) < 0) {
			conf_error(c, hp, "%s", err);
			continue;
		}
		if (strpbrk(v, "\r\n") != NULL) {
			conf_error(c, hp, "the secret %s holds a line break (a header "
			    "value is one line)", h->secret);
			OPENSSL_cleanse(v, strlen(v));
			free(v);
			continue;
		}
		h->value = v;
	}
	return c->nerrs == before ? 0 : -1;
}

int
checkconf_copy_secrets(struct check_config *dst, const struct check_config *src)
{
	int rc = 0;

	for (size_t i = 0; i < dst->nheaders; i++) {
		struct check_header *h = &dst->headers[i];

		if (h->secret == NULL || h->value != NULL)
			continue;
		for (size_t j = 0; src != NULL && j < src->nheaders; j++) {
			const struct check_header *g = &src->headers[j];

			if (g->secret && g->value && strcmp(g->name, h->name) == 0 &&
			    strcmp(g->secret, h->secret) == 0) {
				h->value = xstrdup(g->value);
				break;
			}
		}
		if (h->value == NULL)
			rc = -1;
	}
	return rc;
}

/* follow_redirects (the old switch) and redirect_policy into cc->redirect.
 * Following without a policy: "any" for the agent's own checks (what
 * follow_redirects always did), "same-host" for pulled ones. */
static void
parse_redirects(struct confctx *c, const char *path, json_t *o,
    struct check_config *cc)
{
	char p[CONF_PATH_MAX];
	bool follow = false, has_follow = json_object_get(o, "follow_redirects") != NULL;
	int pol = -1;

	if (conf_get_bool(c, path, o, "follow_redirects", &follow) < 0)
		return;
	if (conf_get_enum(c, path, o, "redirect_policy", redirect_names, &pol) < 0)
		return;
	if (pol < 0) {
		cc->redirect = !follow ? REDIRECT_NONE :
		    cc->pulled ? REDIRECT_SAME_HOST : REDIRECT_ANY;
		return;
	}
	if (has_follow && follow != (pol != REDIRECT_NONE)) {
		conf_error(c, conf_path(p, path, "redirect_policy"), "\"%s\" "
		    "contradicts \"follow_redirects\": %s (give redirect_policy "
		    "alone)", redirect_names[pol], follow ? "true" : "false");
		return;
	}
	cc->redirect = (enum redirect_policy)pol;
}

static int
http_parse(struct confctx *c, const char *path, json_t *o, struct check_config *cc)
{
	char p[CONF_PATH_MAX];
	json_t *h;
	int ip = CHECK_IP_ANY;

	/* first: the url's error messages redact the keys it names */
	checkconf_parse_redact(c, path, o, cc);
	if (conf_get_string(c, path, o, "url", true, &cc->url) == 0 && cc->url)
		checkconf_check_url(c, conf_path(p, path, "url"), cc->url,
		    cc->redact, cc->nredact);
	cc->method = xstrdup("GET");
	if (conf_get_string(c, path, o, "method", false, &cc->method) == 0 &&
	    !valid_method(cc->method))
		conf_error(c, conf_path(p, path, "method"),
		    "must be an upper-case HTTP method such as GET or HEAD");
	conf_get_string(c, path, o, "body", false, &cc->body);
	if ((h = json_object_get(o, "headers")) != NULL)
		parse_headers(c, conf_path(p, path, "headers"), h, cc);
	parse_redirects(c, path, o, cc);
	conf_get_bool(c, path, o, "insecure", &cc->insecure);
	conf_get_bool(c, path, o, "reuse_connections", &cc->reuse_connections);
	if (conf_get_enum(c, path, o, "ip", checkconf_ip_names, &ip) == 0)
		cc->ip = (enum check_ip)ip;
	cc->expect.max_body = CHECK_DEFAULT_MAX_BODY;
	parse_expect(c, conf_path(p, path, "expect"), json_object_get(o, "expect"), cc);
	return 0;
}

static bool
valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 128)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\')
			return false;
	return true;
}

void
checkconf_parse_one(struct confctx *c, const char *path, json_t *o,
    const struct check_defaults *d, const char *const *extra_keys,
    struct check_config *cc)
{
	const struct checkconf_kind *k = NULL;
	const char *keys[64];
	size_t nk = 0;
	int layer = 3, timeout_rc;
	int64_t retries;
	char p[CONF_PATH_MAX];
	json_t *copy;
	uint64_t h = 1469598103934665603ULL;
	char *canon;

	cc->interval_ms = d->interval_ms;
	cc->timeout_ms = d->timeout_ms;
	cc->retries = d->retries;
	cc->retry_delay_ms = CHECK_DEFAULT_RETRY_DELAY_MS;
	if (conf_get_string(c, path, o, "name", true, &cc->name) == 0 && cc->name &&
	    !valid_name(cc->name))
		conf_error(c, conf_path(p, path, "name"), "must be 1-128 printable "
		    "characters without quotes or backslashes");
	cc->kind = xstrdup("http");
	conf_get_string(c, path, o, "kind", false, &cc->kind);
	for (size_t i = 0; i < NKINDS; i++)
		if (strcmp(checkconf_kinds[i].name, cc->kind) == 0)
			k = &checkconf_kinds[i];
	if (k == NULL) {
		char known[128];
		size_t off = 0;

		known[0] = '\0';
		for (size_t i = 0; i < NKINDS; i++)
			off += (size_t)snprintf(known + off, sizeof(known) - off, "%s%s",
			    i ? ", " : "", checkconf_kinds[i].name);
		conf_error(c, conf_path(p, path, "kind"), "unknown kind \"%s\" "
		    "(this version knows: %s)", cc->kind, known);
		return;
	}
	for (size_t i = 0; k->keys[i] && nk < 48; i++)
		keys[nk++] = k->keys[i];
	for (size_t i = 0; extra_keys && extra_keys[i] && nk < 63; i++)
		keys[nk++] = extra_keys[i];
	keys[nk] = NULL;
	conf_only_keys(c, path, o, keys);
	conf_get_string(c, path, o, "service", false, &cc->service);
	if (conf_get_enum(c, path, o, "layer", checkconf_layers, &layer) == 0)
		cc->layer = xstrdup(checkconf_layers[layer]);
	conf_get_string(c, path, o, "provider", false, &cc->provider);
	conf_get_duration(c, path, o, "interval", 100, 86400000, &cc->interval_ms);
	timeout_rc = conf_get_duration(c, path, o, "timeout", 10, 3600000,
	    &cc->timeout_ms);
	conf_get_duration(c, path, o, "retry_delay", 0, 60000, &cc->retry_delay_ms);
	retries = cc->retries;
	if (conf_get_int(c, path, o, "retries", 0, CHECK_MAX_RETRIES, &retries) == 0)
		cc->retries = (int)retries;
	if (cc->timeout_ms > cc->interval_ms) {
		/* an inherited timeout shortens to fit a short interval; one
		 * written in the check itself is a mistake to report */
		if (json_object_get(o, "timeout") == NULL)
			cc->timeout_ms = cc->interval_ms;
		else if (timeout_rc == 0)
			conf_error(c, conf_path(p, path, "timeout"), "timeout (%lldms) "
			    "must not exceed the interval (%lldms)",
			    (long long)cc->timeout_ms, (long long)cc->interval_ms);
	}
	cc->pulled = d->pulled;
	k->parse(c, path, o, cc);
	/* what results, logs and errors show of the url */
	if (cc->url != NULL)
		cc->record_url = redact_url(cc->url, cc->redact, cc->nredact);

	/* the fingerprint tells a reload whether this check changed */
	copy = json_deep_copy(o);
	json_object_set_new(copy, "interval", json_integer(cc->interval_ms));
	json_object_set_new(copy, "timeout", json_integer(cc->timeout_ms));
	json_object_set_new(copy, "retries", json_integer(cc->retries));
	canon = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	/* a 64-bit hash of the canonical form, not the form itself: thousands
	 * of checks should not keep a copy of their config around */
	for (const unsigned char *u = (const unsigned char *)(canon ? canon : ""); *u; u++) {
		h ^= *u;
		h *= 1099511628211ULL;
	}
	snprintf(cc->fingerprint, sizeof(cc->fingerprint), "%016llx",
	    (unsigned long long)h);
	free(canon);
}

static const struct check_config *dup_base;

static int
cmp_by_name(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int r = strcmp(dup_base[i].name, dup_base[j].name);

	return r ? r : (i < j ? -1 : i > j);
}

void
checkconf_find_duplicates(struct confctx *c, const char *path,
    const struct check_config *v, size_t n)
{
	size_t *idx = xcalloc(n + 1, sizeof(*idx)), m = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i].name)
			idx[m++] = i;
	dup_base = v;
	qsort(idx, m, sizeof(*idx), cmp_by_name);
	for (size_t i = 1, first = 0; i < m; i++) {
		char p[CONF_PATH_MAX], q[CONF_PATH_MAX];

		if (strcmp(v[idx[i]].name, v[idx[first]].name) != 0) {
			first = i;
			continue;
		}
		conf_path(q, conf_path_idx(p, path, idx[i]), "name");
		conf_error(c, q, "duplicate check name \"%s\" (first used by "
		    "%s[%zu])", v[idx[i]].name, path, idx[first]);
	}
	free(idx);
}

int
checkconf_parse_array(struct confctx *c, const char *path, json_t *arr,
    const struct check_defaults *d, const char *const *extra_keys,
    struct check_config **out, size_t *nout)
{
	size_t before = c->nerrs, i, n;
	struct check_config *v;
	json_t *o;

	*out = NULL;
	*nout = 0;
	if (!json_is_array(arr)) {
		conf_error(c, path, "must be a list of checks");
		return -1;
	}
	n = json_array_size(arr);
	v = xcalloc(n + 1, sizeof(*v));
	json_array_foreach(arr, i, o) {
		char p[CONF_PATH_MAX];

		conf_path_idx(p, path, i);
		if (conf_object(c, p, o) == NULL)
			continue;
		checkconf_parse_one(c, p, o, d, extra_keys, &v[i]);
	}
	checkconf_find_duplicates(c, path, v, n);
	if (c->nerrs != before) {
		checkconf_free_array(v, n);
		return -1;
	}
	*out = v;
	*nout = n;
	return 0;
}

void
checkconf_clear(struct check_config *cc)
{
	struct http_expect *e;

	if (cc == NULL)
		return;
	e = &cc->expect;
	free(cc->name);
	free(cc->service);
	free(cc->layer);
	free(cc->provider);
	free(cc->url);
	free(cc->record_url);
	free(cc->method);
	free(cc->body);
	for (size_t i = 0; i < cc->nheaders; i++) {
		struct check_header *h = &cc->headers[i];

		if (h->secret && h->value)
			OPENSSL_cleanse(h->value, strlen(h->value));
		free(h->name);
		free(h->value);
		free(h->secret);
	}
	free(cc->headers);
	for (size_t i = 0; i < cc->nredact; i++)
		free(cc->redact[i]);
	free(cc->redact);
	free(e->status);
	free(e->body_contains);
	if (e->body_regex)
		regfree(&e->body_re);
	free(e->body_regex);
	for (size_t i = 0; i < e->njson; i++) {
		free(e->json[i].path);
		json_decref(e->json[i].value);
	}
	free(e->json);
	for (size_t i = 0; i < e->nheaders; i++) {
		free(e->headers[i].name);
		if (e->headers[i].op == HEADER_REGEX)
			regfree(&e->headers[i].re);
		free(e->headers[i].value);
	}
	free(e->headers);
	free(cc->host);
	/* the kind-specific part is a union: free only the kind's own */
	if (cc->kind && strcmp(cc->kind, "tls") == 0) {
		free(cc->tls.server_name);
		free(cc->tls.ca_file);
		if (cc->tls.issuer_regex)
			regfree(&cc->tls.issuer_re);
		free(cc->tls.issuer_regex);
	} else if (cc->kind && strcmp(cc->kind, "tcp") == 0) {
		free(cc->tcp.send);
		if (cc->tcp.banner_regex)
			regfree(&cc->tcp.banner_re);
		free(cc->tcp.banner_regex);
	} else if (cc->kind && strcmp(cc->kind, "dns") == 0) {
		free(cc->dns.name);
		free(cc->dns.server);
		for (size_t i = 0; i < cc->dns.nanswers; i++)
			free(cc->dns.answers[i]);
		free(cc->dns.answers);
	} else if (cc->kind && strcmp(cc->kind, "assets") == 0) {
		for (size_t i = 0; i < cc->assets.ntargets; i++) {
			free(cc->assets.targets[i].name);
			free(cc->assets.targets[i].url);
			free(cc->assets.targets[i].layer);
			free(cc->assets.targets[i].provider);
		}
		free(cc->assets.targets);
	}
	free(cc->kind);
	memset(cc, 0, sizeof(*cc));
}

void
checkconf_free_array(struct check_config *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		checkconf_clear(&v[i]);
	free(v);
}
