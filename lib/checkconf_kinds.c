/* checkconf_kinds: the config parsers of the tls, tcp, dns and assets
 * probe kinds (the http kind and the common keys are in checkconf.c). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "checkconf.h"
#include "checkconf_kinds.h"
#include "conf.h"
#include "dnsmsg.h"
#include "xmalloc.h"

/* ---- tls, tcp: host and port ---- */

/* A host name or IP literal (an IPv6 one with or without brackets); the
 * brackets are dropped in *out. */
static bool
valid_host(const char *s, char **out)
{
	size_t len = strlen(s);
	char tmp[256];
	struct in6_addr a6;

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		if (len - 2 >= sizeof(tmp))
			return false;
		memcpy(tmp, s + 1, len - 2);
		tmp[len - 2] = '\0';
		if (inet_pton(AF_INET6, tmp, &a6) != 1)
			return false;
		*out = xstrdup(tmp);
		return true;
	}
	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, &a6) != 1)
			return false;
		*out = xstrdup(s);
		return true;
	}
	if (len == 0 || len > 253 || s[0] == '.' || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr(".-_", *p) == NULL)
			return false;
	*out = xstrdup(s);
	return true;
}

static bool
is_ipv6(const char *h)
{
	return strchr(h, ':') != NULL;
}

/* host (required) and port (required unless default_port > 0). */
static void
parse_host_port(struct confctx *c, const char *path, json_t *o,
    struct check_config *cc, int default_port)
{
	char p[CONF_PATH_MAX], *host = NULL;
	int64_t port = default_port;

	if (conf_get_string(c, path, o, "host", true, &host) == 0 && host != NULL &&
	    !valid_host(host, &cc->host))
		conf_error(c, conf_path(p, path, "host"), "must be a host name or an "
		    "IP address (no port, scheme or path), e.g. \"micro.example.com\"");
	free(host);
	if (default_port == 0 && json_object_get(o, "port") == NULL)
		conf_error(c, conf_path(p, path, "port"), "required key is missing");
	conf_get_int(c, path, o, "port", 1, 65535, &port);
	cc->port = (int)port;
}

/* The record's url label for a host:port kind: "tls://host:443". */
static char *
host_url(const char *scheme, const struct check_config *cc)
{
	if (cc->host == NULL)
		return NULL;
	return xasprintf("%s://%s%s%s:%d", scheme, is_ipv6(cc->host) ? "[" : "",
	    cc->host, is_ipv6(cc->host) ? "]" : "", cc->port);
}

/* An optional string that must not be empty when given. */
static int
opt_string(struct confctx *c, const char *path, json_t *o, const char *key,
    char **out)
{
	if (json_object_get(o, key) == NULL)
		return 0;
	return conf_get_string(c, path, o, key, true, out);
}

static int
compile_regex_key(struct confctx *c, const char *path, json_t *o, const char *key,
    char **src, regex_t *re)
{
	char p[CONF_PATH_MAX];

	if (conf_get_string(c, path, o, key, true, src) < 0 || *src == NULL)
		return -1;
	if (checkconf_compile_regex(c, conf_path(p, path, key), *src, re) < 0) {
		free(*src);
		*src = NULL;
		return -1;
	}
	return 0;
}

int
checkconf_tls_parse(struct confctx *c, const char *path, json_t *o, struct check_config *cc)
{
	static const char *const ekeys[] = {
		"min_days_left", "min_chain_days_left", "min_version", "issuer_regex",
		NULL
	};
	static const char *const versions[] = { "1.2", "1.3", NULL };
	struct tls_check *t = &cc->tls;
	char p[CONF_PATH_MAX], *sn = NULL;
	int ip = CHECK_IP_ANY, ver;
	json_t *e;

	t->min_days_left = t->min_chain_days_left = -1;
	parse_host_port(c, path, o, cc, CHECK_TLS_DEFAULT_PORT);
	if (opt_string(c, path, o, "server_name", &sn) == 0 && sn != NULL &&
	    (!valid_host(sn, &t->server_name) || is_ipv6(sn)))
		conf_error(c, conf_path(p, path, "server_name"), "must be a host name "
		    "(sent as SNI and verified against the certificate)");
	free(sn);
	if (t->server_name == NULL && cc->host != NULL)
		t->server_name = xstrdup(cc->host);
	opt_string(c, path, o, "ca_file", &t->ca_file);
	conf_get_bool(c, path, o, "insecure", &cc->insecure);
	if (conf_get_enum(c, path, o, "ip", checkconf_ip_names, &ip) == 0)
		cc->ip = (enum check_ip)ip;
	if ((e = json_object_get(o, "expect")) != NULL &&
	    conf_object(c, conf_path(p, path, "expect"), e) != NULL) {
		conf_only_keys(c, p, e, ekeys);
		conf_get_int(c, p, e, "min_days_left", 0, 36500, &t->min_days_left);
		conf_get_int(c, p, e, "min_chain_days_left", 0, 36500,
		    &t->min_chain_days_left);
		ver = -1;
		if (conf_get_enum(c, p, e, "min_version", versions, &ver) == 0 && ver >= 0)
			t->min_version = ver == 0 ? 0x0303 : 0x0304;
		if (json_object_get(e, "issuer_regex") != NULL)
			compile_regex_key(c, p, e, "issuer_regex", &t->issuer_regex,
			    &t->issuer_re);
	}
	cc->url = host_url("tls", cc);
	return 0;
}

int
checkconf_tcp_parse(struct confctx *c, const char *path, json_t *o, struct check_config *cc)
{
	static const char *const ekeys[] = { "banner_regex", NULL };
	struct tcp_check *t = &cc->tcp;
	char p[CONF_PATH_MAX];
	int ip = CHECK_IP_ANY;
	json_t *e;

	parse_host_port(c, path, o, cc, 0);
	opt_string(c, path, o, "send", &t->send);
	if (conf_get_enum(c, path, o, "ip", checkconf_ip_names, &ip) == 0)
		cc->ip = (enum check_ip)ip;
	if ((e = json_object_get(o, "expect")) != NULL &&
	    conf_object(c, conf_path(p, path, "expect"), e) != NULL) {
		conf_only_keys(c, p, e, ekeys);
		if (json_object_get(e, "banner_regex") != NULL)
			compile_regex_key(c, p, e, "banner_regex", &t->banner_regex,
			    &t->banner_re);
	}
	cc->url = host_url("tcp", cc);
	return 0;
}

/* "ip", "ip:port", "[v6]:port" or a bare IPv6 address; the normalised
 * "ip:port" / "[v6]:port" in *out. */
static bool
valid_server(const char *s, char **out)
{
	char host[64];
	const char *colon = strrchr(s, ':'), *hs = s;
	size_t hl = strlen(s);
	long port = 53;
	struct in6_addr a;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL)
			return false;
		hs = s + 1;
		hl = (size_t)(rb - hs);
		if (rb[1] == ':')
			colon = rb + 1;
		else if (rb[1] == '\0')
			colon = NULL;
		else
			return false;
	} else if (colon != NULL && strchr(s, ':') != colon) {
		colon = NULL;		/* a bare IPv6 address */
	} else if (colon != NULL)
		hl = (size_t)(colon - s);
	if (colon != NULL) {
		char *end;
		size_t nd = strspn(colon + 1, "0123456789");

		if (nd == 0 || nd > 5 || colon[1 + nd] != '\0')
			return false;
		port = strtol(colon + 1, &end, 10);
		if (port < 1 || port > 65535)
			return false;
	}
	if (hl == 0 || hl >= sizeof(host))
		return false;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, &a) == 1)
		*out = xasprintf("%s:%ld", host, port);
	else if (inet_pton(AF_INET6, host, &a) == 1)
		*out = xasprintf("[%s]:%ld", host, port);
	else
		return false;
	return true;
}

int
checkconf_dns_parse(struct confctx *c, const char *path, json_t *o, struct check_config *cc)
{
	static const char *const ekeys[] = {
		"rcode", "answers_include", "ttl_min", "ttl_max", NULL
	};
	struct dns_check *d = &cc->dns;
	char p[CONF_PATH_MAX], *type = NULL, *server = NULL, *rcode = NULL, tb[16];
	json_t *e, *list;

	d->type = DNS_TYPE_A;
	d->rcode = DNS_RCODE_NOERROR;
	d->ttl_min_ms = d->ttl_max_ms = -1;
	/* the name to resolve: "query" (or "host"); without either, the
	 * check's own name, which then must be a domain name */
	if (json_object_get(o, "query") && json_object_get(o, "host"))
		conf_error(c, conf_path(p, path, "host"), "give the name to resolve "
		    "once: \"query\" or \"host\"");
	else if (json_object_get(o, "query") || json_object_get(o, "host")) {
		const char *key = json_object_get(o, "query") ? "query" : "host";

		if (conf_get_string(c, path, o, key, true, &d->name) == 0 && d->name &&
		    !dnsmsg_valid_name(d->name))
			conf_error(c, conf_path(p, path, key), "must be a domain name "
			    "(labels of 1-63 characters, 253 in all), e.g. "
			    "\"micro.example.com\"");
	} else if (cc->name != NULL) {
		if (dnsmsg_valid_name(cc->name))
			d->name = xstrdup(cc->name);
		else
			conf_error(c, conf_path(p, path, "query"), "required key is "
			    "missing: the name to resolve (the check's name \"%s\" is "
			    "not a domain name)", cc->name);
	}
	if (opt_string(c, path, o, "type", &type) == 0 && type != NULL &&
	    (d->type = dnsmsg_type_parse(type)) < 0) {
		conf_error(c, conf_path(p, path, "type"), "must be one of: A, AAAA, "
		    "CNAME, TXT, NS");
		d->type = DNS_TYPE_A;
	}
	free(type);
	if (opt_string(c, path, o, "server", &server) == 0 && server != NULL &&
	    !valid_server(server, &d->server))
		conf_error(c, conf_path(p, path, "server"), "must be an IP address with "
		    "an optional port, e.g. \"192.0.2.53\", \"127.0.0.1:5353\" or "
		    "\"[2001:db8::53]:53\"");
	free(server);
	if ((e = json_object_get(o, "expect")) != NULL &&
	    conf_object(c, conf_path(p, path, "expect"), e) != NULL) {
		conf_only_keys(c, p, e, ekeys);
		if (opt_string(c, p, e, "rcode", &rcode) == 0 && rcode != NULL &&
		    (d->rcode = dnsmsg_rcode_parse(rcode)) < 0) {
			char rp[CONF_PATH_MAX];
			conf_error(c, conf_path(rp, p, "rcode"), "must be one of: NOERROR, "
			    "FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED");
			d->rcode = DNS_RCODE_NOERROR;
		}
		free(rcode);
		if ((list = json_object_get(e, "answers_include")) != NULL) {
			char lp[CONF_PATH_MAX];
			size_t i;
			json_t *v;

			conf_path(lp, p, "answers_include");
			if (!json_is_array(list) || json_array_size(list) == 0)
				conf_error(c, lp, "must be a non-empty list of strings");
			else {
				d->answers = xcalloc(json_array_size(list) + 1, sizeof(char *));
				json_array_foreach(list, i, v) {
					char ip[CONF_PATH_MAX];
					unsigned char bin[16];
					const char *a = json_string_value(v);

					conf_path_idx(ip, lp, i);
					if (a == NULL || *a == '\0') {
						conf_error(c, ip, "must be a non-empty string");
						continue;
					}
					if ((d->type == DNS_TYPE_A && inet_pton(AF_INET, a, bin) != 1) ||
					    (d->type == DNS_TYPE_AAAA &&
					    inet_pton(AF_INET6, a, bin) != 1)) {
						conf_error(c, ip, "must be an %s address for type %s",
						    d->type == DNS_TYPE_A ? "IPv4" : "IPv6",
						    dnsmsg_type_name(d->type, tb, sizeof(tb)));
						continue;
					}
					if ((d->type == DNS_TYPE_CNAME || d->type == DNS_TYPE_NS) &&
					    !dnsmsg_valid_name(a)) {
						conf_error(c, ip, "must be a domain name for type %s",
						    dnsmsg_type_name(d->type, tb, sizeof(tb)));
						continue;
					}
					d->answers[d->nanswers++] = xstrdup(a);
				}
			}
		}
		conf_get_duration(c, p, e, "ttl_min", 0, 3650LL * 86400000, &d->ttl_min_ms);
		conf_get_duration(c, p, e, "ttl_max", 0, 3650LL * 86400000, &d->ttl_max_ms);
		if (d->ttl_min_ms >= 0 && d->ttl_max_ms >= 0 && d->ttl_min_ms > d->ttl_max_ms) {
			char tp[CONF_PATH_MAX];
			conf_error(c, conf_path(tp, p, "ttl_max"), "must not be below "
			    "ttl_min");
		}
	}
	if (d->name != NULL)
		cc->url = d->server ? xasprintf("dns://%s/%s?type=%s", d->server, d->name,
		    dnsmsg_type_name(d->type, tb, sizeof(tb))) :
		    xasprintf("dns:%s?type=%s", d->name,
		    dnsmsg_type_name(d->type, tb, sizeof(tb)));
	return 0;
}

static void
parse_assets_targets(struct confctx *c, const char *path, json_t *v,
    struct check_config *cc)
{
	struct assets_check *a = &cc->assets;
	static const char *const tkeys[] = { "name", "url", "layer", "provider", NULL };
	size_t i;
	json_t *t;

	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > CHECK_ASSETS_MAX_TARGETS) {
		conf_error(c, path, "must be a list of 1 to %d targets "
		    "{\"name\", \"url\", \"layer\", \"provider\"}, the front door first",
		    CHECK_ASSETS_MAX_TARGETS);
		return;
	}
	a->targets = xcalloc(json_array_size(v) + 1, sizeof(*a->targets));
	json_array_foreach(v, i, t) {
		/* one slot per element, so slot j is targets[j] in messages; a
		 * slot left empty by an error is never used (the check fails) */
		struct assets_target *at = &a->targets[i];
		char p[CONF_PATH_MAX], q[CONF_PATH_MAX];
		int layer = 3;
		bool named;

		a->ntargets = i + 1;
		conf_path_idx(p, path, i);
		if (conf_object(c, p, t) == NULL)
			continue;
		conf_only_keys(c, p, t, tkeys);
		named = conf_get_string(c, p, t, "name", true, &at->name) == 0 &&
		    at->name != NULL;
		if (named && (strlen(at->name) > 64 || strpbrk(at->name, "\"\\") != NULL)) {
			conf_error(c, conf_path(q, p, "name"), "must be 1-64 characters "
			    "without quotes or backslashes");
			named = false;
		}
		/* earlier targets may have failed without a name: they are
		 * counted (their errors are reported), so skip them here */
		for (size_t j = 0; named && j < i; j++)
			if (a->targets[j].name != NULL &&
			    strcmp(a->targets[j].name, at->name) == 0) {
				conf_error(c, conf_path(q, p, "name"), "duplicate target name "
				    "\"%s\" (first used by %s[%zu])", at->name, path, j);
				break;
			}
		if (conf_get_string(c, p, t, "url", true, &at->url) == 0 && at->url)
			checkconf_check_url(c, conf_path(q, p, "url"), at->url,
			    cc->redact, cc->nredact);
		if (conf_get_enum(c, p, t, "layer", checkconf_layers, &layer) == 0)
			at->layer = xstrdup(checkconf_layers[layer]);
		conf_get_string(c, p, t, "provider", false, &at->provider);
	}
}

int
checkconf_assets_parse(struct confctx *c, const char *path, json_t *o, struct check_config *cc)
{
	static const char *const ekeys[] = {
		"index_max_age", "asset_min_age", "immutable", NULL
	};
	struct assets_check *a = &cc->assets;
	char p[CONF_PATH_MAX];
	int ip = CHECK_IP_ANY;
	json_t *v;

	a->index_max_age_ms = CHECK_ASSETS_INDEX_MAX_AGE_MS;
	a->asset_min_age_ms = CHECK_ASSETS_MIN_AGE_MS;
	a->immutable = true;
	checkconf_parse_redact(c, path, o, cc);
	if ((v = json_object_get(o, "targets")) == NULL)
		conf_error(c, conf_path(p, path, "targets"), "required key is missing");
	else
		parse_assets_targets(c, conf_path(p, path, "targets"), v, cc);
	conf_get_bool(c, path, o, "insecure", &cc->insecure);
	if (conf_get_enum(c, path, o, "ip", checkconf_ip_names, &ip) == 0)
		cc->ip = (enum check_ip)ip;
	if ((v = json_object_get(o, "expect")) != NULL &&
	    conf_object(c, conf_path(p, path, "expect"), v) != NULL) {
		conf_only_keys(c, p, v, ekeys);
		conf_get_duration(c, p, v, "index_max_age", 0, 3650LL * 86400000,
		    &a->index_max_age_ms);
		conf_get_duration(c, p, v, "asset_min_age", 0, 3650LL * 86400000,
		    &a->asset_min_age_ms);
		conf_get_bool(c, p, v, "immutable", &a->immutable);
	}
	if (a->ntargets > 0 && a->targets[0].url != NULL)
		cc->url = xstrdup(a->targets[0].url);
	return 0;
}

