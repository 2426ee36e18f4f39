/* collconf: parse and validate the collector config. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alertconf.h"
#include "collconf.h"
#include "conf.h"
#include "netaddr.h"
#include "secret.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

static const char *const sli_names[] = { "availability", "latency", NULL };

static bool
valid_id(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return false;
	return true;
}

static bool
valid_listen(const char *s)
{
	char host[256];
	unsigned port;

	/* digits only for the port: " 80" and "+80" are refused */
	return netaddr_split(s, host, sizeof(host), &port) == 0;
}

static void
read_secret(struct confctx *c, const char *path, json_t *obj, const char *key,
    bool required, char **out, size_t *outlen)
{
	char *spec = NULL, err[256], p[CONF_PATH_MAX];

	if (conf_get_string(c, path, obj, key, required, &spec) < 0 || spec == NULL)
		return;
	if (secret_resolve(spec, out, err, sizeof(err)) < 0)
		conf_error(c, conf_path(p, path, key), "%s", err);
	else if (outlen)
		*outlen = strlen(*out);
	free(spec);
}

/* alertconf's lookup of agent ids (alertconf_refs) */
static bool
agent_known(const void *arg, const char *id)
{
	return collconf_agent(arg, id) != NULL;
}

static void
parse_listen(struct confctx *c, json_t *v, struct collector_config *cc)
{
	size_t i;
	json_t *x;

	if (v == NULL) {
		cc->listen = xcalloc(1, sizeof(char *));
		cc->listen[0] = xstrdup(COLLECTOR_DEFAULT_LISTEN);
		cc->nlisten = 1;
		return;
	}
	if (json_is_string(v)) {
		json_t *arr = json_array();
		json_array_append(arr, v);
		parse_listen(c, arr, cc);
		json_decref(arr);
		return;
	}
	if (!json_is_array(v) || json_array_size(v) == 0) {
		conf_error(c, "listen", "must be \"host:port\" or a non-empty list of them");
		return;
	}
	cc->listen = xcalloc(json_array_size(v), sizeof(char *));
	json_array_foreach(v, i, x) {
		char p[CONF_PATH_MAX];

		conf_path_idx(p, "listen", i);
		if (!json_is_string(x) || !valid_listen(json_string_value(x)))
			conf_error(c, p, "must be host:port, e.g. \"127.0.0.1:8080\" "
			    "or \"[::]:443\"");
		else
			cc->listen[cc->nlisten++] = xstrdup(json_string_value(x));
	}
}

static void
parse_agents(struct confctx *c, json_t *v, struct collector_config *cc)
{
	static const char *const keys[] = { "id", "key", NULL };
	size_t i;
	json_t *a;

	if (!json_is_array(v)) {
		conf_error(c, "agents", "must be a list of {\"id\", \"key\"}");
		return;
	}
	cc->agents = xcalloc(json_array_size(v) + 1, sizeof(*cc->agents));
	json_array_foreach(v, i, a) {
		struct agent_key *ak = &cc->agents[cc->nagents];
		char p[CONF_PATH_MAX], q[CONF_PATH_MAX];

		conf_path_idx(p, "agents", i);
		if (conf_object(c, p, a) == NULL)
			continue;
		conf_only_keys(c, p, a, keys);
		if (conf_get_string(c, p, a, "id", true, &ak->id) == 0 && ak->id &&
		    !valid_id(ak->id))
			conf_error(c, conf_path(q, p, "id"),
			    "must be 1-64 letters, digits, '.', '_' or '-'");
		read_secret(c, p, a, "key", true, &ak->key, &ak->keylen);
		if (ak->key && ak->keylen < 16)
			conf_error(c, conf_path(q, p, "key"), "too short: use at least 16 "
			    "random characters (e.g. openssl rand -hex 32)");
		for (size_t j = 0; ak->id && j < cc->nagents; j++)
			if (strcmp(cc->agents[j].id, ak->id) == 0)
				conf_error(c, conf_path(q, p, "id"), "duplicate agent id \"%s\"",
				    ak->id);
		if (ak->id == NULL || ak->key == NULL) {
			free(ak->id);
			free(ak->key);
			memset(ak, 0, sizeof(*ak));
			continue;
		}
		cc->nagents++;
	}
}



static void
parse_slos(struct confctx *c, json_t *v, struct collector_config *cc)
{
	static const char *const keys[] = {
		"name", "objective", "window", "sli", "threshold", "selector", NULL
	};
	size_t i;
	json_t *o;

	if (!json_is_array(v)) {
		conf_error(c, "slos", "must be a list of SLOs");
		return;
	}
	cc->slos = xcalloc(json_array_size(v) + 1, sizeof(*cc->slos));
	json_array_foreach(v, i, o) {
		struct slo_config *s = &cc->slos[cc->nslos];
		char p[CONF_PATH_MAX], q[CONF_PATH_MAX];
		json_t *obj, *sel;
		int sli = SLI_AVAILABILITY;
		int64_t thr = 0;

		conf_path_idx(p, "slos", i);
		if (conf_object(c, p, o) == NULL)
			continue;
		conf_only_keys(c, p, o, keys);
		conf_get_string(c, p, o, "name", true, &s->name);
		for (size_t j = 0; s->name && j < cc->nslos; j++)
			if (strcmp(cc->slos[j].name, s->name) == 0)
				conf_error(c, conf_path(q, p, "name"), "duplicate SLO name "
				    "\"%s\"", s->name);
		if (s->name && strpbrk(s->name, "/?#%\" \\") != NULL)
			conf_error(c, conf_path(q, p, "name"), "must not contain "
			    "spaces, quotes or any of / ? # %% \\ (it is used in URLs)");
		obj = json_object_get(o, "objective");
		if (obj == NULL)
			conf_error(c, conf_path(q, p, "objective"), "required key is "
			    "missing (a percentage such as 99.95)");
		else if (!json_is_number(obj) || json_number_value(obj) <= 0 ||
		    json_number_value(obj) >= 100)
			conf_error(c, conf_path(q, p, "objective"), "must be a percentage "
			    "between 0 and 100 (exclusive), e.g. 99.95");
		else
			s->objective = json_number_value(obj) / 100.0;
		s->window_ms = 30LL * 86400000;
		conf_get_duration(c, p, o, "window", 3600000, 400LL * 86400000,
		    &s->window_ms);
		conf_get_enum(c, p, o, "sli", sli_names, &sli);
		s->sli = (enum sli_kind)sli;
		conf_get_duration(c, p, o, "threshold", 1, 3600000, &thr);
		s->threshold_us = thr * 1000;
		if (s->sli == SLI_LATENCY && thr == 0)
			conf_error(c, conf_path(q, p, "threshold"), "a latency SLO needs "
			    "a threshold such as \"300ms\"");
		if (s->sli == SLI_AVAILABILITY && json_object_get(o, "threshold"))
			conf_error(c, conf_path(q, p, "threshold"), "only latency SLOs "
			    "take a threshold");
		if ((sel = json_object_get(o, "selector")) == NULL)
			conf_error(c, conf_path(q, p, "selector"), "required key is missing "
			    "(e.g. {\"service\": \"micro\", \"layer\": \"front_door\"})");
		else
			selector_parse(c, conf_path(q, p, "selector"), sel, &s->sel);
		if (s->name == NULL) {
			selector_clear(&s->sel);
			continue;
		}
		cc->nslos++;
	}
}

static char **
string_list(struct confctx *c, const char *path, json_t *v, size_t *n)
{
	char **out;
	size_t i;
	json_t *x;

	*n = 0;
	if (!json_is_array(v) || json_array_size(v) == 0) {
		conf_error(c, path, "must be a non-empty list of strings");
		return NULL;
	}
	out = xcalloc(json_array_size(v), sizeof(char *));
	json_array_foreach(v, i, x) {
		char p[CONF_PATH_MAX];
		if (!json_is_string(x))
			conf_error(c, conf_path_idx(p, path, i), "must be a string");
		else
			out[(*n)++] = xstrdup(json_string_value(x));
	}
	return out;
}

static void
parse_checks(struct confctx *c, json_t *v, struct collector_config *cc)
{
	static const char *const extra[] = { "regions", "agents", NULL };
	size_t i;
	json_t *o;

	if (checkconf_parse_array(c, "checks", v, &cc->defaults, extra,
	    &cc->checks, &cc->nchecks) < 0)
		return;
	cc->rchecks = xcalloc(cc->nchecks + 1, sizeof(*cc->rchecks));
	json_array_foreach(v, i, o) {
		struct remote_check *rc = &cc->rchecks[i];
		char p[CONF_PATH_MAX], q[CONF_PATH_MAX];
		json_t *x;

		conf_path_idx(p, "checks", i);
		if ((x = json_object_get(o, "regions")) != NULL)
			rc->regions = string_list(c, conf_path(q, p, "regions"), x,
			    &rc->nregions);
		if ((x = json_object_get(o, "agents")) != NULL)
			rc->agents = string_list(c, conf_path(q, p, "agents"), x,
			    &rc->nagents);
		rc->def = json_deep_copy(o);
		json_object_del(rc->def, "regions");
		json_object_del(rc->def, "agents");
		/* agents get the collector's defaults, not their own */
		if (!json_object_get(rc->def, "interval")) {
			char d[32];
			json_object_set_new(rc->def, "interval", json_string(
			    duration_format(cc->checks[i].interval_ms, d, sizeof(d))));
		}
		if (!json_object_get(rc->def, "timeout")) {
			char d[32];
			json_object_set_new(rc->def, "timeout", json_string(
			    duration_format(cc->checks[i].timeout_ms, d, sizeof(d))));
		}
		if (!json_object_get(rc->def, "retries"))
			json_object_set_new(rc->def, "retries",
			    json_integer(cc->checks[i].retries));
	}
}

static void
parse_retention(struct confctx *c, json_t *v, struct collector_config *cc)
{
	static const char *const keys[] = { "raw", "minute", "hour", "day", NULL };
	const int64_t day = 86400000;

	if (conf_object(c, "retention", v) == NULL)
		return;
	conf_only_keys(c, "retention", v, keys);
	conf_get_duration(c, "retention", v, "raw", 3600000, 3650 * day, &cc->keep_raw_ms);
	conf_get_duration(c, "retention", v, "minute", day, 3650 * day, &cc->keep_1m_ms);
	conf_get_duration(c, "retention", v, "hour", day, 3650 * day, &cc->keep_1h_ms);
	conf_get_duration(c, "retention", v, "day", day, 3650 * day, &cc->keep_1d_ms);
}

struct collector_config *
collconf_load_ctx(struct confctx *c, const char *file, const char *text)
{
	static const char *const keys[] = {
		"listen", "tls", "db", "agents", "defaults", "checks", "slos",
		"retention", "read_token", "max_body", "alerts", NULL
	};
	static const char *const tls_keys[] = { "cert", "key", NULL };
	struct collector_config *cc = xcalloc(1, sizeof(*cc));
	const int64_t day = 86400000;
	json_t *root = NULL, *v;
	int rc;

	rc = text ? conf_load_string(c, file, text, &root) :
	    conf_load_file(c, file, &root);
	if (rc < 0)
		goto fail;
	cc->db = xstrdup(COLLECTOR_DEFAULT_DB);
	cc->keep_raw_ms = 14 * day;
	cc->keep_1m_ms = 8 * day;
	cc->keep_1h_ms = 100 * day;
	cc->keep_1d_ms = 800 * day;
	cc->max_body = COLLECTOR_DEFAULT_MAX_BODY;
	checkconf_defaults_init(&cc->defaults);
	conf_only_keys(c, "", root, keys);
	parse_listen(c, json_object_get(root, "listen"), cc);
	if ((v = json_object_get(root, "tls")) != NULL &&
	    conf_object(c, "tls", v) != NULL) {
		conf_only_keys(c, "tls", v, tls_keys);
		conf_get_string(c, "tls", v, "cert", true, &cc->tls_cert);
		conf_get_string(c, "tls", v, "key", true, &cc->tls_key);
	}
	conf_get_string(c, "", root, "db", false, &cc->db);
	if ((v = json_object_get(root, "agents")) != NULL)
		parse_agents(c, v, cc);
	if ((v = json_object_get(root, "defaults")) != NULL)
		checkconf_parse_defaults(c, "defaults", v, &cc->defaults);
	if ((v = json_object_get(root, "checks")) != NULL)
		parse_checks(c, v, cc);
	if ((v = json_object_get(root, "slos")) != NULL)
		parse_slos(c, v, cc);
	if ((v = json_object_get(root, "retention")) != NULL)
		parse_retention(c, v, cc);
	read_secret(c, "", root, "read_token", false, &cc->read_token, NULL);
	conf_get_int(c, "", root, "max_body", 64 * 1024, 1024LL * 1024 * 1024,
	    &cc->max_body);
	if ((v = json_object_get(root, "alerts")) != NULL) {
		struct alertconf_refs refs = {
			cc->slos, cc->nslos, agent_known, cc
		};
		cc->alerts = alertconf_parse(c, v, &refs);
	}
	if (cc->keep_1m_ms < 3 * day + 3600000)
		conf_error(c, "retention.minute", "must be at least 3d1h: the 3d "
		    "burn-rate window reads minute rollups");
	for (size_t i = 0; i < cc->nslos; i++) {
		char w[32];

		/* a long window starts on an hour: its first day comes from
		 * the hour rollups, the rest from the day rollups */
		if (cc->keep_1h_ms < cc->slos[i].window_ms + day ||
		    cc->keep_1d_ms < cc->slos[i].window_ms + day) {
			conf_error(c, cc->keep_1h_ms < cc->slos[i].window_ms + day ?
			    "retention.hour" : "retention.day", "must be at least the "
			    "longest SLO window plus a day (SLO \"%s\": %s)",
			    cc->slos[i].name, duration_format(cc->slos[i].window_ms, w,
			    sizeof(w)));
			break;
		}
	}
	{
		int64_t thr[STORE_MAX_THRESHOLDS];

		if (collconf_thresholds(cc, thr, STORE_MAX_THRESHOLDS + 1) >
		    STORE_MAX_THRESHOLDS)
			conf_error(c, "slos", "at most %d distinct latency thresholds "
			    "(each is counted in every rollup row)", STORE_MAX_THRESHOLDS);
	}
	if (c->nerrs > 0)
		goto fail;
	json_decref(root);
	return cc;
fail:
	json_decref(root);
	collconf_free(cc);
	return NULL;
}

struct collector_config *
collconf_load(const char *file)
{
	struct confctx c = { 0 };
	struct collector_config *cc = collconf_load_ctx(&c, file, NULL);

	if (cc == NULL)
		conf_print_errors(&c);
	conf_ctx_free(&c);
	return cc;
}

const struct agent_key *
collconf_agent(const struct collector_config *cc, const char *id)
{
	for (size_t i = 0; i < cc->nagents; i++)
		if (strcmp(cc->agents[i].id, id) == 0)
			return &cc->agents[i];
	return NULL;
}

size_t
collconf_thresholds(const struct collector_config *cc, int64_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < cc->nslos; i++) {
		bool dup = false;

		if (cc->slos[i].sli != SLI_LATENCY)
			continue;
		for (size_t k = 0; k < n && k < max; k++)
			dup |= out[k] == cc->slos[i].threshold_us;
		if (dup)
			continue;
		if (n < max)
			out[n] = cc->slos[i].threshold_us;
		n++;
	}
	return n;
}

const struct slo_config *
collconf_slo(const struct collector_config *cc, const char *name)
{
	for (size_t i = 0; i < cc->nslos; i++)
		if (strcmp(cc->slos[i].name, name) == 0)
			return &cc->slos[i];
	return NULL;
}


void
collconf_free(struct collector_config *cc)
{
	if (cc == NULL)
		return;
	for (size_t i = 0; i < cc->nlisten; i++)
		free(cc->listen[i]);
	free(cc->listen);
	free(cc->tls_cert);
	free(cc->tls_key);
	free(cc->db);
	for (size_t i = 0; i < cc->nagents; i++) {
		free(cc->agents[i].id);
		if (cc->agents[i].key)
			memset(cc->agents[i].key, 0, cc->agents[i].keylen);
		free(cc->agents[i].key);
	}
	free(cc->agents);
	for (size_t i = 0; cc->rchecks && i < cc->nchecks; i++) {
		for (size_t j = 0; j < cc->rchecks[i].nregions; j++)
			free(cc->rchecks[i].regions[j]);
		free(cc->rchecks[i].regions);
		for (size_t j = 0; j < cc->rchecks[i].nagents; j++)
			free(cc->rchecks[i].agents[j]);
		free(cc->rchecks[i].agents);
		json_decref(cc->rchecks[i].def);
	}
	free(cc->rchecks);
	checkconf_free_array(cc->checks, cc->nchecks);
	for (size_t i = 0; i < cc->nslos; i++) {
		free(cc->slos[i].name);
		selector_clear(&cc->slos[i].sel);
	}
	free(cc->slos);
	free(cc->read_token);
	alertconf_free(cc->alerts);
	free(cc);
}
