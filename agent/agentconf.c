/* agentconf: parse and validate the agent's config in one place. */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "agentconf.h"
#include "conf.h"
#include "netaddr.h"
#include "log.h"
#include "redact.h"
#include "secret.h"
#include "xmalloc.h"

static int
valid_id(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return 0;
	return 1;
}

/* "host:port", "[v6]:port"; port 0 allowed (tests, with --portfile). */
static int
valid_listen(const char *s)
{
	char host[256];
	unsigned port;

	/* digits only for the port: " 80" and "+80" are refused */
	return netaddr_split(s, host, sizeof(host), &port) == 0;
}

/* A header name (RFC 9110 token). */
static bool
valid_header_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return false;
	return true;
}

static void
parse_probe_header(struct confctx *c, json_t *v, struct agent_config *ac)
{
	free(ac->probe_header);
	ac->probe_header = NULL;
	if (json_is_false(v))
		return;
	if (json_is_true(v)) {
		ac->probe_header = xstrdup(AGENT_DEFAULT_PROBE_HEADER);
		return;
	}
	if (json_is_string(v) && json_string_length(v) == 0)
		return;		/* "" turns it off too */
	if (!json_is_string(v) || !valid_header_name(json_string_value(v))) {
		conf_error(c, "agent.probe_header", "must be a header name such as "
		    "\"X-Vantage-Probe\", or false to send none");
		return;
	}
	ac->probe_header = xstrdup(json_string_value(v));
}

/* One check per reference target into ac->refs: an http(s) URL becomes an
 * http check that passes on any HTTP answer, "host:port" a tcp connect.
 * Errors go to c at agent.reference_targets[i]. 0 or -1. */
static int
build_refs(struct confctx *c, struct agent_config *ac)
{
	struct check_defaults d;
	size_t before = c->nerrs;

	checkconf_defaults_init(&d);
	d.interval_ms = ac->ref_interval_ms;
	d.timeout_ms = ac->ref_timeout_ms;
	ac->refs = xcalloc(ac->nrefs + 1, sizeof(*ac->refs));
	for (size_t i = 0; i < ac->nrefs; i++) {
		const char *t = ac->ref_targets[i];
		struct confctx mc = { 0 };
		char p[CONF_PATH_MAX], name[160], *shown = redact_url(t, NULL, 0);
		json_t *o;

		/* the name shows in logs and /metrics: no credentials */
		snprintf(name, sizeof(name), "reference %.110s", shown);
		free(shown);
		if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0)
			o = json_pack("{s:s,s:s,s:s,s:{s:s}}", "name", name, "kind", "http",
			    "url", t, "expect", "status", "100-599");
		else {
			const char *colon = strrchr(t, ':');
			char host[256];
			size_t hl = colon ? (size_t)(colon - t) : 0;
			long port = -1;

			if (colon && strspn(colon + 1, "0123456789") == strlen(colon + 1) &&
			    colon[1] != '\0' && strlen(colon + 1) <= 5)
				port = strtol(colon + 1, NULL, 10);
			if (hl >= sizeof(host))
				hl = 0;
			memcpy(host, t, hl);
			host[hl] = '\0';
			o = hl > 0 && port > 0 && port <= 65535 ? json_pack("{s:s,s:s,s:s,s:I}",
			    "name", name, "kind", "tcp", "host", host, "port",
			    (json_int_t)port) : NULL;
		}
		if (o != NULL)
			checkconf_parse_one(&mc, "reference", o, &d, NULL, &ac->refs[i]);
		if (o == NULL || mc.nerrs > 0)
			conf_error(c, conf_path_idx(p, "agent.reference_targets", i),
			    "\"%s\" must be an http:// or https:// URL, or host:port (e.g. "
			    "\"https://www.example.com/\" or \"192.0.2.1:443\")", t);
		json_decref(o);
		conf_ctx_free(&mc);
	}
	return c->nerrs == before ? 0 : -1;
}

static void
parse_references(struct confctx *c, json_t *o, struct agent_config *ac)
{
	json_t *list = json_object_get(o, "reference_targets"), *v;
	size_t i;

	conf_get_duration(c, "agent", o, "reference_interval", 1000, 86400000,
	    &ac->ref_interval_ms);
	conf_get_duration(c, "agent", o, "reference_timeout", 100, 600000,
	    &ac->ref_timeout_ms);
	if (ac->ref_timeout_ms > ac->ref_interval_ms) {
		/* the default shortens to fit; one written down is a mistake */
		if (json_object_get(o, "reference_timeout") == NULL)
			ac->ref_timeout_ms = ac->ref_interval_ms;
		else
			conf_error(c, "agent.reference_timeout", "must not exceed "
			    "agent.reference_interval");
	}
	if (list == NULL)
		return;
	if (!json_is_array(list) || json_array_size(list) > AGENT_MAX_REF_TARGETS) {
		conf_error(c, "agent.reference_targets", "must be a list of at most %d "
		    "URLs or host:port strings", AGENT_MAX_REF_TARGETS);
		return;
	}
	ac->ref_targets = xcalloc(json_array_size(list) + 1, sizeof(char *));
	json_array_foreach(list, i, v) {
		char p[CONF_PATH_MAX];

		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			conf_error(c, conf_path_idx(p, "agent.reference_targets", i),
			    "must be a non-empty string");
			continue;
		}
		ac->ref_targets[ac->nrefs++] = xstrdup(json_string_value(v));
	}
}

static void
parse_agent(struct confctx *c, json_t *o, struct agent_config *ac)
{
	static const char *const keys[] = {
		"id", "region", "provider", "db", "listen", "max_inflight",
		"retention", "probe_header", "reference_targets", "reference_interval",
		"reference_timeout", NULL
	};
	static const char *const rkeys[] = { "shipped", "unshipped", "max_rows", NULL };
	json_t *r;

	if (conf_object(c, "agent", o) == NULL)
		return;
	conf_only_keys(c, "agent", o, keys);
	if (conf_get_string(c, "agent", o, "id", true, &ac->id) == 0 && ac->id &&
	    !valid_id(ac->id))
		conf_error(c, "agent.id", "must be 1-64 letters, digits, '.', '_' or '-'");
	conf_get_string(c, "agent", o, "region", false, &ac->region);
	conf_get_string(c, "agent", o, "provider", false, &ac->provider);
	conf_get_string(c, "agent", o, "db", false, &ac->db);
	if (conf_get_string(c, "agent", o, "listen", false, &ac->listen) == 0 &&
	    ac->listen && !valid_listen(ac->listen))
		conf_error(c, "agent.listen", "must be host:port, e.g. "
		    "\"127.0.0.1:9108\" or \"[::1]:0\"");
	conf_get_int(c, "agent", o, "max_inflight", 1, 10000, &ac->max_inflight);
	if ((r = json_object_get(o, "retention")) != NULL &&
	    conf_object(c, "agent.retention", r) != NULL) {
		conf_only_keys(c, "agent.retention", r, rkeys);
		conf_get_duration(c, "agent.retention", r, "shipped", 60000,
		    3650LL * 86400000, &ac->retention.shipped_ms);
		conf_get_duration(c, "agent.retention", r, "unshipped", 60000,
		    3650LL * 86400000, &ac->retention.unshipped_ms);
		conf_get_int(c, "agent.retention", r, "max_rows", 100,
		    1000000000, &ac->retention.max_rows);
	}
	if ((r = json_object_get(o, "probe_header")) != NULL)
		parse_probe_header(c, r, ac);
	parse_references(c, o, ac);
}

/* Split an http(s) base URL into the URL without trailing '/' and its path
 * ("" or "/base"). No credentials, query or fragment: the key signs the
 * requests, and the API paths are appended to the base. 0 or -1. */
static int
split_collector_url(const char *url, char **base, char **path)
{
	const char *host, *slash;
	size_t len = strlen(url), hostlen, pre;

	if (strncasecmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return -1;
	if (strpbrk(url, "?#@ \t\r\n") != NULL || len > 1024)
		return -1;
	slash = strchr(host, '/');
	hostlen = slash ? (size_t)(slash - host) : strlen(host);
	if (hostlen == 0 || host[0] == ':')
		return -1;
	pre = (size_t)(host - url) + hostlen;
	while (len > pre && url[len - 1] == '/')
		len--;
	*base = xstrndup(url, len);
	*path = xstrndup(url + pre, len - pre);
	return 0;
}

/* collector.allow_secrets: the env:/file: secrets that checks pulled from
 * the collector may put in their headers (none unless listed: the
 * collector must not read the agent's files and environment at will). */
static void
parse_allow_secrets(struct confctx *c, json_t *list, struct agent_collector *co)
{
	const char *path = "collector.allow_secrets";
	size_t i;
	json_t *v;

	if (list == NULL)
		return;
	if (!json_is_array(list) || json_array_size(list) > AGENT_MAX_ALLOW_SECRETS) {
		conf_error(c, path, "must be a list of at most %d secrets such as "
		    "\"env:API_TOKEN\" or \"file:/etc/vantage/token\"",
		    AGENT_MAX_ALLOW_SECRETS);
		return;
	}
	co->allow_secrets = xcalloc(json_array_size(list) + 1, sizeof(char *));
	json_array_foreach(list, i, v) {
		char p[CONF_PATH_MAX], err[256];

		conf_path_idx(p, path, i);
		if (!json_is_string(v))
			conf_error(c, p, "must be a string such as \"env:API_TOKEN\"");
		else if (secret_check_ref(json_string_value(v), err, sizeof(err)) < 0)
			conf_error(c, p, "%s", err);
		else
			co->allow_secrets[co->nallow_secrets++] =
			    xstrdup(json_string_value(v));
	}
}

static void
parse_collector(struct confctx *c, json_t *o, struct agent_config *ac)
{
	static const char *const keys[] = {
		"url", "key", "ca_file", "batch_max", "pull_every", "timeout",
		"allow_secrets", NULL
	};
	struct agent_collector *co;
	char *url = NULL, *spec = NULL, err[256];

	if (conf_object(c, "collector", o) == NULL)
		return;
	co = ac->collector = xcalloc(1, sizeof(*co));
	co->batch_max = AGENT_DEFAULT_BATCH_MAX;
	co->pull_every_ms = AGENT_DEFAULT_PULL_EVERY_MS;
	co->timeout_ms = AGENT_DEFAULT_SHIP_TIMEOUT_MS;
	conf_only_keys(c, "collector", o, keys);
	if (conf_get_string(c, "collector", o, "url", true, &url) == 0 && url &&
	    split_collector_url(url, &co->url, &co->path) < 0)
		conf_error(c, "collector.url", "must be an http:// or https:// base URL "
		    "such as \"https://collector.example.com:8443\" (a base path is "
		    "allowed; no credentials, query or fragment)");
	free(url);
	if (conf_get_string(c, "collector", o, "key", true, &spec) == 0 && spec) {
		if (secret_resolve(spec, &co->key, err, sizeof(err)) < 0)
			conf_error(c, "collector.key", "%s", err);
		else if ((co->keylen = strlen(co->key)) < AGENT_KEY_MIN)
			conf_error(c, "collector.key", "too short: use at least %d random "
			    "characters (e.g. openssl rand -hex 32)", AGENT_KEY_MIN);
	}
	free(spec);
	if (conf_get_string(c, "collector", o, "ca_file", false, &co->ca_file) == 0 &&
	    co->ca_file && access(co->ca_file, R_OK) != 0)
		conf_error(c, "collector.ca_file", "cannot read %s: %s", co->ca_file,
		    strerror(errno));
	conf_get_int(c, "collector", o, "batch_max", 1, 10000, &co->batch_max);
	conf_get_duration(c, "collector", o, "pull_every", 1000, 86400000,
	    &co->pull_every_ms);
	conf_get_duration(c, "collector", o, "timeout", 100, 600000, &co->timeout_ms);
	parse_allow_secrets(c, json_object_get(o, "allow_secrets"), co);
}

struct load_checks_ctx {
	struct confctx		*c;
	struct agent_config	*ac;
};

static void
load_one_check(void *arg, size_t i, json_t *o)
{
	struct load_checks_ctx *lc = arg;
	char p[CONF_PATH_MAX];

	checkconf_parse_one(lc->c, conf_path_idx(p, "checks", i), o,
	    &lc->ac->defaults, NULL, &lc->ac->checks[i]);
}

/* Parse checks[] (text span [start, end) of c->text) one element at a time,
 * so thousands of checks never exist as one jansson tree. 0 or -1. */
static int
load_checks(struct confctx *c, size_t start, size_t end, struct agent_config *ac)
{
	struct load_checks_ctx lc = { c, ac };
	size_t before = c->nerrs;
	long n = conf_each_element(c, "checks", start, end, NULL, NULL);

	if (n < 0)
		return -1;
	ac->checks = xcalloc((size_t)n + 1, sizeof(*ac->checks));
	ac->nchecks = (size_t)n;
	if (conf_each_element(c, "checks", start, end, load_one_check, &lc) < 0)
		return -1;
	checkconf_find_duplicates(c, "checks", ac->checks, ac->nchecks);
	return c->nerrs == before ? 0 : -1;
}

struct agent_config *
agentconf_load_ctx(struct confctx *c, const char *file, const char *text)
{
	static const char *const keys[] = {
		"agent", "collector", "defaults", "checks", NULL
	};
	struct agent_config *ac = xcalloc(1, sizeof(*ac));
	json_t *root = NULL, *v;
	size_t cstart, cend;
	bool has_collector;

	/* checks[] is parsed one check at a time (see load_checks) */
	if (conf_load_deferred(c, file, text, "checks", &root, &cstart, &cend) < 0)
		goto fail;
	ac->db = xstrdup(AGENT_DEFAULT_DB);
	ac->max_inflight = AGENT_DEFAULT_MAX_INFLIGHT;
	ac->retention.shipped_ms = AGENT_DEFAULT_KEEP_SHIPPED_MS;
	ac->retention.unshipped_ms = AGENT_DEFAULT_KEEP_UNSHIPPED_MS;
	ac->retention.max_rows = AGENT_DEFAULT_MAX_ROWS;
	ac->probe_header = xstrdup(AGENT_DEFAULT_PROBE_HEADER);
	ac->ref_interval_ms = AGENT_DEFAULT_REF_INTERVAL_MS;
	ac->ref_timeout_ms = AGENT_DEFAULT_REF_TIMEOUT_MS;
	checkconf_defaults_init(&ac->defaults);
	conf_only_keys(c, "", root, keys);
	if ((v = json_object_get(root, "agent")) == NULL)
		conf_error(c, "agent", "required section is missing "
		    "(needs at least \"id\")");
	else
		parse_agent(c, v, ac);
	if ((v = json_object_get(root, "collector")) != NULL)
		parse_collector(c, v, ac);
	if ((v = json_object_get(root, "defaults")) != NULL)
		checkconf_parse_defaults(c, "defaults", v, &ac->defaults);
	/* with a collector the agent may run only the checks it pulls */
	has_collector = json_object_get(root, "collector") != NULL;
	if ((v = json_object_get(root, "checks")) == NULL) {
		if (!has_collector)
			conf_error(c, "checks", "required list is missing (add at least "
			    "one check)");
	} else if (cend > cstart) {
		if (load_checks(c, cstart, cend, ac) == 0 && ac->nchecks == 0 &&
		    !has_collector)
			conf_error(c, "checks", "is empty (add at least one check)");
		else if (ac->nchecks > 0 && has_collector)
			/* kept only to merge with pulled checks later */
			ac->local_checks = xstrndup(c->text + cstart, cend - cstart);
	} else if (json_is_array(v) && json_array_size(v) == 0) {
		if (!has_collector)
			conf_error(c, "checks", "is empty (add at least one check)");
	} else
		checkconf_parse_array(c, "checks", v, &ac->defaults, NULL,
		    &ac->checks, &ac->nchecks);	/* not a list: says so */
	ac->nlocal = ac->nchecks;
	/* the checks' header secrets: read now, so a missing one is a config
	 * error (--check-config says so) rather than a failing check */
	for (size_t i = 0; c->nerrs == 0 && i < ac->nchecks; i++) {
		char p[CONF_PATH_MAX];

		checkconf_resolve_secrets(c, conf_path_idx(p, "checks", i),
		    &ac->checks[i], NULL, 0);
	}
	if (c->nerrs == 0)
		build_refs(c, ac);
	if (c->nerrs > 0)
		goto fail;
	json_decref(root);
	return ac;
fail:
	json_decref(root);
	agentconf_free(ac);
	return NULL;
}

struct agent_config *
agentconf_load(const char *file)
{
	struct confctx c = { 0 };
	struct agent_config *ac = agentconf_load_ctx(&c, file, NULL);

	if (ac == NULL)
		conf_print_errors(&c);
	conf_ctx_free(&c);
	return ac;
}

static struct agent_collector *
collector_copy(const struct agent_collector *co)
{
	struct agent_collector *n;

	if (co == NULL)
		return NULL;
	n = xmalloc(sizeof(*n));
	*n = *co;
	n->url = xstrdup(co->url);
	n->path = xstrdup(co->path);
	n->key = xstrdup(co->key);
	n->ca_file = xstrdup(co->ca_file);
	n->allow_secrets = xcalloc(co->nallow_secrets + 1, sizeof(char *));
	for (size_t i = 0; i < co->nallow_secrets; i++)
		n->allow_secrets[i] = xstrdup(co->allow_secrets[i]);
	return n;
}

static void
collector_free(struct agent_collector *co)
{
	if (co == NULL)
		return;
	free(co->url);
	free(co->path);
	if (co->key) {
		OPENSSL_cleanse(co->key, strlen(co->key));
		free(co->key);
	}
	free(co->ca_file);
	for (size_t i = 0; i < co->nallow_secrets; i++)
		free(co->allow_secrets[i]);
	free(co->allow_secrets);
	free(co);
}

/* Is name one of the first n checks? */
static bool
has_check(const struct check_config *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return true;
	return false;
}

/* Validate the pulled set alone (errors point into its text): every
 * check, with the pulled checks' defaults, and their header secrets. */
static int
parse_remote(struct confctx *c, const struct agent_config *base, json_t *arr,
    struct check_config **rem, size_t *nrem)
{
	const struct agent_collector *co = base->collector;
	struct check_defaults d = base->defaults;
	size_t before = c->nerrs;

	*rem = NULL;
	*nrem = 0;
	if (json_is_array(arr) && json_array_size(arr) == 0)
		return 0;
	if (json_is_array(arr) && json_array_size(arr) > AGENT_MAX_PULLED_CHECKS) {
		conf_error(c, "checks", "%zu checks: an agent runs at most %d "
		    "pulled checks", json_array_size(arr), AGENT_MAX_PULLED_CHECKS);
		return -1;
	}
	d.pulled = true;
	if (checkconf_parse_array(c, "checks", arr, &d, NULL, rem, nrem) < 0)
		return -1;
	for (size_t i = 0; i < *nrem; i++) {
		char p[CONF_PATH_MAX];

		checkconf_resolve_secrets(c, conf_path_idx(p, "checks", i), &(*rem)[i],
		    co ? co->allow_secrets : NULL, co ? co->nallow_secrets : 0);
	}
	if (c->nerrs != before) {
		checkconf_free_array(*rem, *nrem);
		*rem = NULL;
		*nrem = 0;
		return -1;
	}
	return 0;
}

struct agent_config *
agentconf_merge_remote(struct confctx *c, const struct agent_config *base,
    const char *source, const char *remote, size_t *nskipped)
{
	struct agent_config *ac = NULL;
	struct check_config *rem = NULL;
	struct check_defaults rd = base->defaults;
	struct confctx mc = { 0 };
	json_t *root = NULL, *arr = NULL, *local = NULL;
	size_t nrem = 0, nlocal = 0, i, k = 0;
	bool *keep = NULL;
	int copied = 0;

	*nskipped = 0;
	if (remote != NULL) {
		/* the whole set is checked before any of it is used */
		if (conf_load_string(c, source, remote, &root) < 0)
			goto out;
		if ((arr = json_object_get(root, "checks")) == NULL) {
			conf_error(c, "checks", "missing: the answer must be "
			    "{\"checks\": [...]}");
			goto out;
		}
		if (parse_remote(c, base, arr, &rem, &nrem) < 0)
			goto out;
	}
	keep = xcalloc(nrem + 1, sizeof(*keep));
	for (i = 0; i < nrem; i++) {
		if (has_check(base->checks, base->nlocal, rem[i].name)) {
			log_warn("%s: check \"%s\" is also defined in the agent config: "
			    "running the local one", source, rem[i].name);
			(*nskipped)++;
			continue;
		}
		keep[i] = true;
	}
	/* the local checks are parsed again from their text (a deep copy that
	 * shares nothing with base), the pulled ones from the set */
	if (base->local_checks && (local = json_loads(base->local_checks, 0, NULL)) &&
	    json_is_array(local))
		nlocal = json_array_size(local);
	ac = xcalloc(1, sizeof(*ac));
	ac->id = xstrdup(base->id);
	ac->region = xstrdup(base->region);
	ac->provider = xstrdup(base->provider);
	ac->db = xstrdup(base->db);
	ac->listen = xstrdup(base->listen);
	ac->max_inflight = base->max_inflight;
	ac->retention = base->retention;
	ac->collector = collector_copy(base->collector);
	ac->defaults = base->defaults;
	ac->local_checks = xstrdup(base->local_checks);
	ac->probe_header = xstrdup(base->probe_header);
	ac->ref_interval_ms = base->ref_interval_ms;
	ac->ref_timeout_ms = base->ref_timeout_ms;
	ac->ref_targets = xcalloc(base->nrefs + 1, sizeof(char *));
	for (i = 0; i < base->nrefs; i++)
		ac->ref_targets[i] = xstrdup(base->ref_targets[i]);
	ac->nrefs = base->nrefs;
	build_refs(&mc, ac);	/* valid in base, so valid here */
	ac->checks = xcalloc(nlocal + nrem + 1, sizeof(*ac->checks));
	for (i = 0; i < nlocal; i++, k++) {
		char p[CONF_PATH_MAX];

		checkconf_parse_one(&mc, conf_path_idx(p, "checks", k),
		    json_array_get(local, i), &ac->defaults, NULL, &ac->checks[k]);
		/* secrets: as base read them (the file is not read again) */
		if (checkconf_copy_secrets(&ac->checks[k], i < base->nlocal ?
		    &base->checks[i] : NULL) < 0)
			copied = -1;
	}
	rd.pulled = true;
	for (i = 0; i < nrem; i++) {
		char p[CONF_PATH_MAX];

		if (!keep[i])
			continue;
		checkconf_parse_one(&mc, conf_path_idx(p, "checks", k),
		    json_array_get(arr, i), &rd, NULL, &ac->checks[k]);
		if (checkconf_copy_secrets(&ac->checks[k], &rem[i]) < 0)
			copied = -1;
		k++;
	}
	ac->nchecks = k;
	checkconf_find_duplicates(&mc, "checks", ac->checks, ac->nchecks);
	if (mc.nerrs > 0 || copied < 0) {
		/* cannot happen: every part was valid on its own */
		for (i = 0; i < mc.nerrs; i++)
			conf_error(c, "checks", "merging local and pulled checks: %s",
			    mc.errs[i]);
		if (copied < 0)
			conf_error(c, "checks", "merging local and pulled checks: a "
			    "header secret was not resolved");
		agentconf_free(ac);
		ac = NULL;
		goto out;
	}
	ac->nlocal = nlocal;
	ac->nremote = ac->nchecks - ac->nlocal;
out:
	free(keep);
	checkconf_free_array(rem, nrem);
	conf_ctx_free(&mc);
	json_decref(local);
	json_decref(root);
	return ac;
}

void
agentconf_free(struct agent_config *ac)
{
	if (ac == NULL)
		return;
	collector_free(ac->collector);
	free(ac->local_checks);
	free(ac->probe_header);
	for (size_t i = 0; i < ac->nrefs; i++)
		free(ac->ref_targets[i]);
	free(ac->ref_targets);
	checkconf_free_array(ac->refs, ac->nrefs);
	free(ac->id);
	free(ac->region);
	free(ac->provider);
	free(ac->db);
	free(ac->listen);
	checkconf_free_array(ac->checks, ac->nchecks);
	free(ac);
}
