/* test_kindconf: the config of the tls, tcp, dns and assets kinds
 * (lib/checkconf.c) and the agent keys that go with them (probe_header,
 * reference targets; agent/agentconf.c): what each accepts, its defaults,
 * and every error with file:line:column. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "agentconf.h"
#include "checkconf.h"
#include "conf.h"
#include "dnsmsg.h"
#include "probe.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *
all_errors(const struct confctx *c)
{
	static char out[8192];
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < c->nerrs && off < sizeof(out); i++)
		off += (size_t)snprintf(out + off, sizeof(out) - off, "\n  %s",
		    c->errs[i]);
	return c->nerrs ? out : " (none)";
}

static int
parse_checks(struct confctx *c, const char *text, struct check_config **out,
    size_t *n)
{
	struct check_defaults d;
	json_t *root;
	int rc;

	memset(c, 0, sizeof(*c));
	checkconf_defaults_init(&d);
	ck_assert_msg(conf_load_string(c, "t.json", text, &root) == 0,
	    "test text does not parse:%s", all_errors(c));
	rc = checkconf_parse_array(c, "checks", json_object_get(root, "checks"), &d,
	    NULL, out, n);
	json_decref(root);
	return rc;
}

static struct check_config *
good(const char *text, size_t *n)
{
	struct confctx c;
	struct check_config *v = NULL;

	ck_assert_msg(parse_checks(&c, text, &v, n) == 0, "refused:%s\n%s",
	    all_errors(&c), text);
	conf_ctx_free(&c);
	return v;
}

/* ---- bad configs: exact messages ---- */

static const struct {
	const char	*name;
	const char	*text;
	size_t		 nerrs;
	const char	*want[4];
} bad[] = {
	/* tls */
	{ "tls without host",
	  "{\"checks\": [\n"
	  " {\"name\": \"t\", \"kind\": \"tls\"}\n"
	  "]}",
	  1, { "t.json:2:2: checks[0].host: required key is missing" } },
	{ "tls host with a scheme",
	  "{\"checks\": [\n"
	  " {\"name\": \"t\", \"kind\": \"tls\",\n"
	  "  \"host\": \"https://example.com\"}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].host: must be a host name or an IP address "
	  "(no port, scheme or path), e.g. \"micro.example.com\"" } },
	{ "tls port out of range",
	  "{\"checks\": [\n"
	  " {\"name\": \"t\", \"kind\": \"tls\", \"host\": \"example.com\",\n"
	  "  \"port\": 70000}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].port: must be between 1 and 65535" } },
	{ "tls bad min_version",
	  "{\"checks\": [\n"
	  " {\"name\": \"t\", \"kind\": \"tls\", \"host\": \"example.com\",\n"
	  "  \"expect\": {\"min_version\": \"1.1\"}}\n"
	  "]}",
	  1, { "t.json:3:14: checks[0].expect.min_version: must be one of: 1.2, 1.3" } },
	{ "tls min_days_left negative",
	  "{\"checks\": [\n"
	  " {\"name\": \"t\", \"kind\": \"tls\", \"host\": \"example.com\",\n"
	  "  \"expect\": {\"min_days_left\": -1}}\n"
	  "]}",
	  1, { "t.json:3:14: checks[0].expect.min_days_left: must be between 0 and "
	  "36500" } },
	{ "tls bad issuer_regex",
	  "{\"checks\": [\n"
	  " {\"name\": \"t\", \"kind\": \"tls\", \"host\": \"example.com\",\n"
	  "  \"expect\": {\n"
	  "    \"issuer_regex\": \"(\"}}\n"
	  "]}",
	  1, { "t.json:4:5: checks[0].expect.issuer_regex: bad regular expression "
	  "\"(\"" } },
	{ "tls unknown expect key",
	  "{\"checks\": [\n"
	  " {\"name\": \"t\", \"kind\": \"tls\", \"host\": \"example.com\",\n"
	  "  \"expect\": {\"min_day_left\": 3}}\n"
	  "]}",
	  1, { "t.json:3:14: checks[0].expect.min_day_left: unknown key (did you mean "
	  "\"min_days_left\"?)" } },
	{ "tls url is not its key",
	  "{\"checks\": [\n"
	  " {\"name\": \"t\", \"kind\": \"tls\", \"host\": \"example.com\",\n"
	  "  \"url\": \"https://example.com/\"}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].url: unknown key" } },
	{ "tls server_name an IPv6 address",
	  "{\"checks\": [\n"
	  " {\"name\": \"t\", \"kind\": \"tls\", \"host\": \"example.com\",\n"
	  "  \"server_name\": \"::1\"}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].server_name: must be a host name (sent as SNI "
	  "and verified against the certificate)" } },
	/* tcp */
	{ "tcp without port",
	  "{\"checks\": [\n"
	  " {\"name\": \"t\", \"kind\": \"tcp\", \"host\": \"db.example.com\"}\n"
	  "]}",
	  1, { "t.json:2:2: checks[0].port: required key is missing" } },
	{ "tcp empty send",
	  "{\"checks\": [\n"
	  " {\"name\": \"t\", \"kind\": \"tcp\", \"host\": \"h\", \"port\": 25,\n"
	  "  \"send\": \"\"}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].send: must not be empty" } },
	{ "tcp bad banner_regex",
	  "{\"checks\": [\n"
	  " {\"name\": \"t\", \"kind\": \"tcp\", \"host\": \"h\", \"port\": 25,\n"
	  "  \"expect\": {\"banner_regex\": \"[\"}}\n"
	  "]}",
	  1, { "t.json:3:14: checks[0].expect.banner_regex: bad regular expression "
	  "\"[\"" } },
	{ "tcp expect of http",
	  "{\"checks\": [\n"
	  " {\"name\": \"t\", \"kind\": \"tcp\", \"host\": \"h\", \"port\": 25,\n"
	  "  \"expect\": {\"status\": 200}}\n"
	  "]}",
	  1, { "t.json:3:14: checks[0].expect.status: unknown key" } },
	/* dns */
	{ "dns bad type",
	  "{\"checks\": [\n"
	  " {\"name\": \"d\", \"kind\": \"dns\", \"query\": \"example.com\",\n"
	  "  \"type\": \"MX\"}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].type: must be one of: A, AAAA, CNAME, TXT, NS" } },
	{ "dns name not a domain, no query",
	  "{\"checks\": [\n"
	  " {\"name\": \"my dns check\", \"kind\": \"dns\"}\n"
	  "]}",
	  1, { "t.json:2:2: checks[0].query: required key is missing: the name to "
	  "resolve (the check's name \"my dns check\" is not a domain name)" } },
	{ "dns bad query",
	  "{\"checks\": [\n"
	  " {\"name\": \"d\", \"kind\": \"dns\",\n"
	  "  \"query\": \"a..b\"}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].query: must be a domain name" } },
	{ "dns bad server",
	  "{\"checks\": [\n"
	  " {\"name\": \"d\", \"kind\": \"dns\", \"query\": \"example.com\",\n"
	  "  \"server\": \"dns.example.com:53\"}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].server: must be an IP address with an optional "
	  "port, e.g. \"192.0.2.53\", \"127.0.0.1:5353\" or \"[2001:db8::53]:53\"" } },
	{ "dns bad rcode",
	  "{\"checks\": [\n"
	  " {\"name\": \"d\", \"kind\": \"dns\", \"query\": \"example.com\",\n"
	  "  \"expect\": {\"rcode\": \"NOTFOUND\"}}\n"
	  "]}",
	  1, { "t.json:3:14: checks[0].expect.rcode: must be one of: NOERROR, FORMERR, "
	  "SERVFAIL, NXDOMAIN, NOTIMP, REFUSED" } },
	{ "dns A answer not an address",
	  "{\"checks\": [\n"
	  " {\"name\": \"d\", \"kind\": \"dns\", \"query\": \"example.com\",\n"
	  "  \"expect\": {\"answers_include\": [\"192.0.2.1\",\n"
	  "     \"example.net\"]}}\n"
	  "]}",
	  1, { "t.json:4:6: checks[0].expect.answers_include[1]: must be an IPv4 "
	  "address for type A" } },
	{ "dns answers_include empty",
	  "{\"checks\": [\n"
	  " {\"name\": \"d\", \"kind\": \"dns\", \"query\": \"example.com\",\n"
	  "  \"expect\": {\"answers_include\": []}}\n"
	  "]}",
	  1, { "t.json:3:14: checks[0].expect.answers_include: must be a non-empty list "
	  "of strings" } },
	{ "dns ttl_max below ttl_min",
	  "{\"checks\": [\n"
	  " {\"name\": \"d\", \"kind\": \"dns\", \"query\": \"example.com\",\n"
	  "  \"expect\": {\"ttl_min\": \"300s\", \"ttl_max\": \"60s\"}}\n"
	  "]}",
	  1, { "t.json:3:33: checks[0].expect.ttl_max: must not be below ttl_min" } },
	{ "dns ttl not a duration",
	  "{\"checks\": [\n"
	  " {\"name\": \"d\", \"kind\": \"dns\", \"query\": \"example.com\",\n"
	  "  \"expect\": {\"ttl_min\": 60}}\n"
	  "]}",
	  1, { "t.json:3:14: checks[0].expect.ttl_min: must be a duration string such "
	  "as \"10s\"" } },
	/* assets */
	{ "assets without targets",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\", \"kind\": \"assets\"}\n"
	  "]}",
	  1, { "t.json:2:2: checks[0].targets: required key is missing" } },
	{ "assets empty targets",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\", \"kind\": \"assets\",\n"
	  "  \"targets\": []}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].targets: must be a list of 1 to 8 targets" } },
	{ "assets target without url, bad layer, unknown key",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\", \"kind\": \"assets\", \"targets\": [\n"
	  "   {\"name\": \"fd\", \"url\": \"https://micro.example.com/\"},\n"
	  "   {\"name\": \"edge\", \"layer\": \"edgy\", \"colour\": 1}]}\n"
	  "]}",
	  3, { "t.json:4:4: checks[0].targets[1].url: required key is missing",
	  "t.json:4:21: checks[0].targets[1].layer: must be one of: front_door, edge, "
	  "central, other",
	  "t.json:4:38: checks[0].targets[1].colour: unknown key" } },
	{ "assets duplicate target names",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\", \"kind\": \"assets\", \"targets\": [\n"
	  "   {\"name\": \"o\", \"url\": \"https://a.example/\"},\n"
	  "   {\"name\": \"o\", \"url\": \"https://b.example/\"}]}\n"
	  "]}",
	  1, { "t.json:4:5: checks[0].targets[1].name: duplicate target name \"o\" "
	  "(first used by checks[0].targets[0])" } },
	/* issue 14, finding 3: a target without a name was counted, and the
	 * next target's duplicate check ran strcmp(NULL, ...) */
	{ "assets first target without a name",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\", \"kind\": \"assets\", \"targets\": [\n"
	  "   {\"url\": \"https://a.example/\"},\n"
	  "   {\"name\": \"o\", \"url\": \"https://b.example/\"}]}\n"
	  "]}",
	  1, { "t.json:3:4: checks[0].targets[0].name: required key is missing" } },
	{ "assets targets without names, a bad one, then names",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\", \"kind\": \"assets\", \"targets\": [\n"
	  "   {\"name\": 5, \"url\": \"https://a.example/\"}, 7,\n"
	  "   {\"url\": \"https://a.example/\"},\n"
	  "   {\"name\": \"o\", \"url\": \"https://b.example/\"},\n"
	  "   {\"name\": \"o\", \"url\": \"https://b.example/\"}]}\n"
	  "]}",
	  4, { "t.json:3:5: checks[0].targets[0].name: must be a string",
	  "t.json:3:46: checks[0].targets[1]: must be an object",
	  "t.json:4:4: checks[0].targets[2].name: required key is missing",
	  "t.json:6:5: checks[0].targets[4].name: duplicate target name \"o\" "
	  "(first used by checks[0].targets[3])" } },
	{ "assets target url not http",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\", \"kind\": \"assets\", \"targets\": [\n"
	  "   {\"name\": \"o\", \"url\": \"ftp://a.example/\"}]}\n"
	  "]}",
	  1, { "t.json:3:18: checks[0].targets[0].url: bad URL \"ftp://a.example/\": "
	  "scheme must be http or https" } },
	{ "assets bad index_max_age",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\", \"kind\": \"assets\", \"targets\": [\n"
	  "   {\"name\": \"o\", \"url\": \"https://a.example/\"}],\n"
	  "  \"expect\": {\"index_max_age\": \"5 minutes\", \"immutable\": \"yes\"}}\n"
	  "]}",
	  2, { "t.json:4:14: checks[0].expect.index_max_age: bad duration",
	  "t.json:4:44: checks[0].expect.immutable: must be true or false" } },
	{ "assets nine targets",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\", \"kind\": \"assets\", \"targets\": [\n"
	  "   {\"name\": \"1\", \"url\": \"https://a.example/\"},"
	  "   {\"name\": \"2\", \"url\": \"https://a.example/\"},"
	  "   {\"name\": \"3\", \"url\": \"https://a.example/\"},"
	  "   {\"name\": \"4\", \"url\": \"https://a.example/\"},"
	  "   {\"name\": \"5\", \"url\": \"https://a.example/\"},"
	  "   {\"name\": \"6\", \"url\": \"https://a.example/\"},"
	  "   {\"name\": \"7\", \"url\": \"https://a.example/\"},"
	  "   {\"name\": \"8\", \"url\": \"https://a.example/\"},"
	  "   {\"name\": \"9\", \"url\": \"https://a.example/\"}]}\n"
	  "]}",
	  1, { "t.json:2:34: checks[0].targets: must be a list of 1 to 8 targets" } },
};

START_TEST(test_bad)
{
	struct confctx c;
	struct check_config *v = NULL;
	size_t n = 0;

	ck_assert_msg(parse_checks(&c, bad[_i].text, &v, &n) < 0,
	    "[%s] accepted", bad[_i].name);
	ck_assert_ptr_null(v);
	ck_assert_msg(c.nerrs == bad[_i].nerrs, "[%s] %zu errors, want %zu:%s",
	    bad[_i].name, c.nerrs, bad[_i].nerrs, all_errors(&c));
	for (size_t k = 0; k < NELEM(bad[_i].want) && bad[_i].want[k]; k++) {
		bool found = false;

		for (size_t e = 0; e < c.nerrs && !found; e++)
			found = strncmp(c.errs[e], bad[_i].want[k],
			    strlen(bad[_i].want[k])) == 0;
		ck_assert_msg(found, "[%s] no error starting \"%s\":%s", bad[_i].name,
		    bad[_i].want[k], all_errors(&c));
	}
	conf_ctx_free(&c);
}
END_TEST

/* ---- good configs: values and defaults ---- */

START_TEST(test_tls_defaults)
{
	size_t n;
	struct check_config *v = good("{\"checks\": [{\"name\": \"t\", \"kind\": "
	    "\"tls\", \"host\": \"micro.example.com\"}]}", &n);

	ck_assert_str_eq(v[0].kind, "tls");
	ck_assert_str_eq(v[0].host, "micro.example.com");
	ck_assert_int_eq(v[0].port, 443);
	ck_assert_str_eq(v[0].tls.server_name, "micro.example.com");
	ck_assert_ptr_null(v[0].tls.ca_file);
	ck_assert_int_eq(v[0].tls.min_days_left, -1);
	ck_assert_int_eq(v[0].tls.min_chain_days_left, -1);
	ck_assert_int_eq(v[0].tls.min_version, 0);
	ck_assert_ptr_null(v[0].tls.issuer_regex);
	ck_assert(!v[0].insecure);
	ck_assert_str_eq(v[0].url, "tls://micro.example.com:443");
	checkconf_free_array(v, n);
}
END_TEST

START_TEST(test_tls_full)
{
	size_t n;
	struct check_config *v = good("{\"checks\": [{\"name\": \"t\", \"kind\": "
	    "\"tls\", \"host\": \"[2001:db8::1]\", \"port\": 8443, \"server_name\": "
	    "\"micro.example.com\", \"ca_file\": \"/etc/ca.pem\", \"insecure\": true, "
	    "\"ip\": \"v6\", \"expect\": {\"min_days_left\": 14, "
	    "\"min_chain_days_left\": 21, \"min_version\": \"1.3\", \"issuer_regex\": "
	    "\"O=Let's Encrypt\"}}]}", &n);

	ck_assert_str_eq(v[0].host, "2001:db8::1");
	ck_assert_int_eq(v[0].port, 8443);
	ck_assert_str_eq(v[0].tls.server_name, "micro.example.com");
	ck_assert_str_eq(v[0].tls.ca_file, "/etc/ca.pem");
	ck_assert_int_eq(v[0].tls.min_days_left, 14);
	ck_assert_int_eq(v[0].tls.min_chain_days_left, 21);
	ck_assert_int_eq(v[0].tls.min_version, 0x0304);
	ck_assert_str_eq(v[0].tls.issuer_regex, "O=Let's Encrypt");
	ck_assert(v[0].insecure);
	ck_assert_int_eq(v[0].ip, CHECK_IP_V6);
	ck_assert_str_eq(v[0].url, "tls://[2001:db8::1]:8443");
	checkconf_free_array(v, n);
}
END_TEST

START_TEST(test_tcp)
{
	size_t n;
	struct check_config *v = good("{\"checks\": ["
	    "{\"name\": \"c\", \"kind\": \"tcp\", \"host\": \"10.0.0.5\", \"port\": 5432},"
	    "{\"name\": \"s\", \"kind\": \"tcp\", \"host\": \"mx.example.com\", \"port\": "
	    "25, \"send\": \"EHLO vantage\\r\\n\", \"expect\": {\"banner_regex\": "
	    "\"^220 \"}}]}", &n);

	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0].url, "tcp://10.0.0.5:5432");
	ck_assert_ptr_null(v[0].tcp.send);
	ck_assert_ptr_null(v[0].tcp.banner_regex);
	ck_assert_str_eq(v[1].tcp.send, "EHLO vantage\r\n");
	ck_assert_str_eq(v[1].tcp.banner_regex, "^220 ");
	ck_assert_int_eq(regexec(&v[1].tcp.banner_re, "220 mx ESMTP", 0, NULL, 0), 0);
	checkconf_free_array(v, n);
}
END_TEST

START_TEST(test_dns)
{
	size_t n;
	struct check_config *v = good("{\"checks\": ["
	    "{\"name\": \"micro.example.com\", \"kind\": \"dns\"},"
	    "{\"name\": \"q\", \"kind\": \"dns\", \"query\": \"_dmarc.example.com\", "
	    "\"type\": \"txt\", \"server\": \"127.0.0.1:5353\", \"expect\": {\"rcode\": "
	    "\"NOERROR\", \"answers_include\": [\"v=DMARC1; p=none\"], \"ttl_min\": "
	    "\"60s\", \"ttl_max\": \"5m\"}},"
	    "{\"name\": \"h\", \"kind\": \"dns\", \"host\": \"gone.example.com\", "
	    "\"type\": \"AAAA\", \"server\": \"2001:db8::53\", \"expect\": {\"rcode\": "
	    "\"NXDOMAIN\"}},"
	    "{\"name\": \"v6\", \"kind\": \"dns\", \"query\": \"example.com\", "
	    "\"server\": \"[::1]:5300\", \"type\": \"NS\"}]}", &n);

	ck_assert_uint_eq(n, 4);
	/* the check's own name when it is a domain name */
	ck_assert_str_eq(v[0].dns.name, "micro.example.com");
	ck_assert_int_eq(v[0].dns.type, DNS_TYPE_A);
	ck_assert_ptr_null(v[0].dns.server);
	ck_assert_int_eq(v[0].dns.rcode, DNS_RCODE_NOERROR);
	ck_assert_int_eq(v[0].dns.ttl_min_ms, -1);
	ck_assert_int_eq(v[0].dns.ttl_max_ms, -1);
	ck_assert_str_eq(v[0].url, "dns:micro.example.com?type=A");
	ck_assert_str_eq(v[1].dns.name, "_dmarc.example.com");
	ck_assert_int_eq(v[1].dns.type, DNS_TYPE_TXT);
	ck_assert_str_eq(v[1].dns.server, "127.0.0.1:5353");
	ck_assert_uint_eq(v[1].dns.nanswers, 1);
	ck_assert_str_eq(v[1].dns.answers[0], "v=DMARC1; p=none");
	ck_assert_int_eq(v[1].dns.ttl_min_ms, 60000);
	ck_assert_int_eq(v[1].dns.ttl_max_ms, 300000);
	ck_assert_str_eq(v[1].url, "dns://127.0.0.1:5353/_dmarc.example.com?type=TXT");
	ck_assert_str_eq(v[2].dns.name, "gone.example.com");
	ck_assert_str_eq(v[2].dns.server, "[2001:db8::53]:53");
	ck_assert_int_eq(v[2].dns.rcode, DNS_RCODE_NXDOMAIN);
	ck_assert_int_eq(v[2].dns.type, DNS_TYPE_AAAA);
	ck_assert_str_eq(v[3].dns.server, "[::1]:5300");
	ck_assert_int_eq(v[3].dns.type, DNS_TYPE_NS);
	checkconf_free_array(v, n);
}
END_TEST

START_TEST(test_assets)
{
	size_t n;
	struct check_config *v = good("{\"checks\": ["
	    "{\"name\": \"a\", \"kind\": \"assets\", \"service\": \"micro\", "
	    "\"targets\": [{\"name\": \"front-door\", \"url\": "
	    "\"https://micro.example.com/\", \"layer\": \"front_door\", \"provider\": "
	    "\"cloudflare\"}, {\"name\": \"edge\", \"url\": "
	    "\"https://micro-edge.example.workers.dev/\", \"layer\": \"edge\"}, "
	    "{\"name\": \"central\", \"url\": \"https://abc.example.com/\"}]},"
	    "{\"name\": \"b\", \"kind\": \"assets\", \"targets\": [{\"name\": \"x\", "
	    "\"url\": \"http://x.example/\"}], \"expect\": {\"index_max_age\": \"60s\", "
	    "\"asset_min_age\": \"30d\", \"immutable\": false}}]}", &n);

	ck_assert_uint_eq(v[0].assets.ntargets, 3);
	ck_assert_str_eq(v[0].assets.targets[0].name, "front-door");
	ck_assert_str_eq(v[0].assets.targets[0].layer, "front_door");
	ck_assert_str_eq(v[0].assets.targets[0].provider, "cloudflare");
	ck_assert_str_eq(v[0].assets.targets[1].layer, "edge");
	ck_assert_ptr_null(v[0].assets.targets[1].provider);
	ck_assert_str_eq(v[0].assets.targets[2].layer, "other");
	ck_assert_int_eq(v[0].assets.index_max_age_ms, 300000);
	ck_assert_int_eq(v[0].assets.asset_min_age_ms, 365LL * 86400000);
	ck_assert(v[0].assets.immutable);
	ck_assert_str_eq(v[0].url, "https://micro.example.com/");
	ck_assert_int_eq(v[1].assets.index_max_age_ms, 60000);
	ck_assert_int_eq(v[1].assets.asset_min_age_ms, 30LL * 86400000);
	ck_assert(!v[1].assets.immutable);
	checkconf_free_array(v, n);
}
END_TEST

/* Every kind the config knows has its runner, and the other way round. */
START_TEST(test_kind_names)
{
	static const char *const want[] = { "http", "tls", "tcp", "dns", "assets" };

	for (size_t i = 0; i < NELEM(want); i++) {
		const struct probe_kind *k = probe_kind_find(want[i]);

		ck_assert_str_eq(checkconf_kind_name(i), want[i]);
		ck_assert_msg(k != NULL, "no runner for kind %s", want[i]);
		ck_assert_ptr_nonnull(k->start);
		/* one transfer judged by finish, or several steps: never both */
		ck_assert_msg((k->finish == NULL) != (k->step == NULL), "kind %s",
		    want[i]);
		if (k->step != NULL)
			ck_assert_msg(k->cleanup != NULL, "kind %s keeps state without "
			    "a cleanup", want[i]);
	}
	ck_assert_ptr_null(checkconf_kind_name(NELEM(want)));
}
END_TEST

/* ---- agent keys: probe_header, reference targets ---- */

static struct agent_config *
agent(const char *agent_extra, struct confctx *c)
{
	char text[2048];

	memset(c, 0, sizeof(*c));
	snprintf(text, sizeof(text), "{\"agent\": {\"id\": \"a1\"%s},\n"
	    " \"checks\": [{\"name\": \"x\", \"url\": \"http://x.example/\"}]}",
	    agent_extra);
	return agentconf_load_ctx(c, "t.json", text);
}

START_TEST(test_agent_defaults)
{
	struct confctx c;
	struct agent_config *ac = agent("", &c);

	ck_assert_msg(ac != NULL, "refused:%s", all_errors(&c));
	ck_assert_str_eq(ac->probe_header, "X-Vantage-Probe");
	ck_assert_uint_eq(ac->nrefs, 0);
	ck_assert_int_eq(ac->ref_interval_ms, 30000);
	ck_assert_int_eq(ac->ref_timeout_ms, 5000);
	agentconf_free(ac);
	conf_ctx_free(&c);
}
END_TEST

START_TEST(test_agent_probe_header)
{
	static const struct {
		const char	*json, *want;
	} cases[] = {
		{ "\"X-Probe-Id\"", "X-Probe-Id" },
		{ "false", NULL },
		{ "\"\"", NULL },
		{ "true", "X-Vantage-Probe" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct confctx c;
		char extra[128];
		struct agent_config *ac;

		snprintf(extra, sizeof(extra), ", \"probe_header\": %s", cases[i].json);
		ac = agent(extra, &c);
		ck_assert_msg(ac != NULL, "%s refused:%s", cases[i].json, all_errors(&c));
		if (cases[i].want)
			ck_assert_str_eq(ac->probe_header, cases[i].want);
		else
			ck_assert_ptr_null(ac->probe_header);
		agentconf_free(ac);
		conf_ctx_free(&c);
	}
}
END_TEST

START_TEST(test_agent_references)
{
	struct confctx c;
	struct agent_config *ac = agent(", \"reference_targets\": "
	    "[\"https://www.example.com/generate_204\", \"192.0.2.1:53\", "
	    "\"[2001:db8::1]:443\"], \"reference_interval\": \"10s\", "
	    "\"reference_timeout\": \"2s\"", &c);

	ck_assert_msg(ac != NULL, "refused:%s", all_errors(&c));
	ck_assert_uint_eq(ac->nrefs, 3);
	ck_assert_str_eq(ac->refs[0].kind, "http");
	ck_assert_str_eq(ac->refs[0].url, "https://www.example.com/generate_204");
	ck_assert_int_eq(ac->refs[0].timeout_ms, 2000);
	/* any HTTP answer means the network works */
	ck_assert_int_eq(ac->refs[0].expect.status[0].lo, 100);
	ck_assert_int_eq(ac->refs[0].expect.status[0].hi, 599);
	ck_assert_str_eq(ac->refs[1].kind, "tcp");
	ck_assert_str_eq(ac->refs[1].host, "192.0.2.1");
	ck_assert_int_eq(ac->refs[1].port, 53);
	ck_assert_str_eq(ac->refs[2].host, "2001:db8::1");
	ck_assert_int_eq(ac->refs[2].port, 443);
	ck_assert_int_eq(ac->ref_interval_ms, 10000);
	agentconf_free(ac);
	conf_ctx_free(&c);
	/* a short interval shortens the default timeout */
	ac = agent(", \"reference_targets\": [\"192.0.2.1:53\"], "
	    "\"reference_interval\": \"2s\"", &c);
	ck_assert_msg(ac != NULL, "refused:%s", all_errors(&c));
	ck_assert_int_eq(ac->ref_timeout_ms, 2000);
	ck_assert_int_eq(ac->refs[0].timeout_ms, 2000);
	agentconf_free(ac);
	conf_ctx_free(&c);
}
END_TEST

static const struct {
	const char	*extra;
	const char	*want;
} agent_bad[] = {
	{ ", \"probe_header\": \"X Probe\"",
	  "t.json:1:24: agent.probe_header: must be a header name such as "
	  "\"X-Vantage-Probe\", or false to send none" },
	{ ", \"probe_header\": 1",
	  "t.json:1:24: agent.probe_header: must be a header name" },
	{ ", \"reference_targets\": [\"ftp://x.example/\"]",
	  "t.json:1:46: agent.reference_targets[0]: \"ftp://x.example/\" must be an "
	  "http:// or https:// URL, or host:port" },
	{ ", \"reference_targets\": [\"192.0.2.1\"]",
	  "t.json:1:46: agent.reference_targets[0]: \"192.0.2.1\" must be an http://" },
	{ ", \"reference_targets\": [\"h:99999\"]",
	  "t.json:1:46: agent.reference_targets[0]: \"h:99999\" must be an http://" },
	{ ", \"reference_targets\": [1]",
	  "t.json:1:46: agent.reference_targets[0]: must be a non-empty string" },
	{ ", \"reference_targets\": \"1.1.1.1:53\"",
	  "t.json:1:24: agent.reference_targets: must be a list of at most 16" },
	{ ", \"reference_interval\": \"1s\", \"reference_timeout\": \"2s\"",
	  "t.json:1:52: agent.reference_timeout: must not exceed "
	  "agent.reference_interval" },
};

START_TEST(test_agent_bad)
{
	struct confctx c;
	struct agent_config *ac = agent(agent_bad[_i].extra, &c);
	bool found = false;

	ck_assert_msg(ac == NULL, "[%s] accepted", agent_bad[_i].extra);
	for (size_t e = 0; e < c.nerrs && !found; e++)
		found = strncmp(c.errs[e], agent_bad[_i].want,
		    strlen(agent_bad[_i].want)) == 0;
	ck_assert_msg(found, "[%s] no error starting \"%s\":%s", agent_bad[_i].extra,
	    agent_bad[_i].want, all_errors(&c));
	conf_ctx_free(&c);
}
END_TEST

/* Pulled checks keep the agent's header and reference targets. */
START_TEST(test_agent_merge_keeps_references)
{
	struct confctx c, mc = { 0 };
	struct agent_config *ac = agent(", \"probe_header\": \"X-Trace\", "
	    "\"reference_targets\": [\"192.0.2.1:53\"]", &c), *m;
	size_t skipped;

	ck_assert_msg(ac != NULL, "refused:%s", all_errors(&c));
	m = agentconf_merge_remote(&mc, ac, "collector", "{\"checks\": [{\"name\": "
	    "\"d\", \"kind\": \"dns\", \"query\": \"example.com\"}]}", &skipped);
	ck_assert_msg(m != NULL, "merge refused:%s", all_errors(&mc));
	ck_assert_str_eq(m->probe_header, "X-Trace");
	ck_assert_uint_eq(m->nrefs, 1);
	ck_assert_str_eq(m->refs[0].host, "192.0.2.1");
	ck_assert_uint_eq(m->nchecks, 1);
	ck_assert_str_eq(m->checks[0].kind, "dns");
	agentconf_free(m);
	agentconf_free(ac);
	conf_ctx_free(&c);
	conf_ctx_free(&mc);
}
END_TEST

static Suite *
kindconf_suite(void)
{
	Suite *s = suite_create("kindconf");
	TCase *tb = tcase_create("bad");
	TCase *tg = tcase_create("good");
	TCase *ta = tcase_create("agent");

	tcase_add_loop_test(tb, test_bad, 0, (int)NELEM(bad));
	suite_add_tcase(s, tb);
	tcase_add_test(tg, test_tls_defaults);
	tcase_add_test(tg, test_tls_full);
	tcase_add_test(tg, test_tcp);
	tcase_add_test(tg, test_dns);
	tcase_add_test(tg, test_assets);
	tcase_add_test(tg, test_kind_names);
	suite_add_tcase(s, tg);
	tcase_add_test(ta, test_agent_defaults);
	tcase_add_test(ta, test_agent_probe_header);
	tcase_add_test(ta, test_agent_references);
	tcase_add_loop_test(ta, test_agent_bad, 0, (int)NELEM(agent_bad));
	tcase_add_test(ta, test_agent_merge_keeps_references);
	suite_add_tcase(s, ta);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kindconf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
