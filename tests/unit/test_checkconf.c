/* test_checkconf: check definitions and the config reader they rest on
 * (lib/checkconf.h, lib/conf.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "checkconf.h"
#include "conf.h"
#include "xmalloc.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

/* All collected errors, one per line, for failure messages (static). */
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

static bool
has_error(const struct confctx *c, const char *sub)
{
	for (size_t i = 0; i < c->nerrs; i++)
		if (strstr(c->errs[i], sub) != NULL)
			return true;
	return false;
}

/* Parse the "checks" array of text (named "t.json"); returns the rc. */
static int
parse_checks(struct confctx *c, const char *text, const struct check_defaults *d,
    const char *const *extra, struct check_config **out, size_t *n)
{
	struct check_defaults dflt;
	json_t *root;
	int rc;

	memset(c, 0, sizeof(*c));
	if (d == NULL) {
		checkconf_defaults_init(&dflt);
		d = &dflt;
	}
	ck_assert_msg(conf_load_string(c, "t.json", text, &root) == 0,
	    "test text does not parse:%s", all_errors(c));
	rc = checkconf_parse_array(c, "checks", json_object_get(root, "checks"), d,
	    extra, out, n);
	json_decref(root);
	return rc;
}

/* Parse a text that must be good; returns its checks (free them). */
static struct check_config *
good_checks(const char *text, const struct check_defaults *d, size_t *n)
{
	struct confctx c;
	struct check_config *v = NULL;

	ck_assert_msg(parse_checks(&c, text, d, NULL, &v, n) == 0,
	    "refused:%s", all_errors(&c));
	ck_assert_uint_eq(c.nerrs, 0);
	ck_assert_ptr_nonnull(v);
	conf_ctx_free(&c);
	return v;
}

/* ---- bad checks[]: every error, with file:line:column: key: message ---- */

static const struct {
	const char	*name;
	const char	*text;
	size_t		 nerrs;
	const char	*want[6];
	const char	*absent[2];
} bad[] = {
	{ "unknown key, suggestion",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"methd\": \"GET\"}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].methd: unknown key (did you mean \"method\"?)" },
	  { NULL } },
	{ "unknown key, no suggestion",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"zzzzzzzz\": 1}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].zzzzzzzz: unknown key" }, { "did you mean" } },
	{ "unknown key inside expect",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"expect\": {\"stauts\": 200}}\n"
	  "]}",
	  1, { "t.json:4:14: checks[0].expect.stauts: unknown key (did you mean "
	  "\"status\"?)" }, { NULL } },
	{ "caller's extra key unknown here",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"regions\": [\"eu\"]}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].regions: unknown key" }, { NULL } },
	{ "name not a string",
	  "{\"checks\": [\n"
	  " {\"name\": 5,\n"
	  "  \"url\": \"http://example.com/\"}\n"
	  "]}",
	  1, { "t.json:2:3: checks[0].name: must be a string" }, { NULL } },
	{ "name missing",
	  "{\"checks\": [\n"
	  " {\"url\": \"http://example.com/\"}\n"
	  "]}",
	  1, { "t.json:2:2: checks[0].name: required key is missing" }, { NULL } },
	{ "name with a quote",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\\\"b\",\n"
	  "  \"url\": \"http://example.com/\"}\n"
	  "]}",
	  1, { "t.json:2:3: checks[0].name: must be 1-128 printable characters" },
	  { NULL } },
	{ "redirect_policy unknown",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\", \"url\": \"http://example.com/\",\n"
	  "  \"redirect_policy\": \"same-origin\"}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].redirect_policy: must be one of: none, "
	  "same-host, any" }, { NULL } },
	{ "redirect_policy against follow_redirects",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\", \"url\": \"http://example.com/\",\n"
	  "  \"follow_redirects\": false, \"redirect_policy\": \"any\"},\n"
	  " {\"name\": \"b\", \"url\": \"http://example.com/\",\n"
	  "  \"follow_redirects\": true, \"redirect_policy\": \"none\"}\n"
	  "]}",
	  2, { "t.json:3:30: checks[0].redirect_policy: \"any\" contradicts "
	  "\"follow_redirects\": false",
	  "t.json:5:29: checks[1].redirect_policy: \"none\" contradicts "
	  "\"follow_redirects\": true" }, { NULL } },
	{ "header secrets of the wrong form",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\", \"url\": \"http://example.com/\",\n"
	  "  \"headers\": {\"A\": \"env:\", \"B\": \"env:1X\", \"C\": \"env:A-B\",\n"
	  "   \"D\": \"file:relative/token\", \"E\": \"file:\"}}\n"
	  "]}",
	  5, { "checks[0].headers.A: \"env:\" needs a variable name",
	  "checks[0].headers.B: \"env:\" needs a variable name",
	  "checks[0].headers.C: \"env:\" needs a variable name",
	  "checks[0].headers.D: \"file:\" needs an absolute path",
	  "checks[0].headers.E: \"file:\" needs an absolute path" }, { NULL } },
	{ "redact of the wrong form",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\", \"url\": \"http://example.com/\",\n"
	  "  \"redact\": [\"token\", \"\", \"a=b\", 5, \"X Key\"]},\n"
	  " {\"name\": \"b\", \"url\": \"http://example.com/\", \"redact\": \"token\"},\n"
	  " {\"name\": \"c\", \"kind\": \"tcp\", \"host\": \"x\", \"port\": 1,\n"
	  "  \"redact\": [\"token\"]}\n"
	  "]}",
	  6, { "checks[0].redact[1]: must be a query key or header name",
	  "checks[0].redact[2]: must be a query key or header name",
	  "checks[0].redact[3]: must be a query key or header name",
	  "checks[0].redact[4]: must be a query key or header name",
	  "t.json:4:46: checks[1].redact: must be a list of at most 32",
	  "t.json:6:3: checks[2].redact: unknown key" }, { NULL } },
	/* the message quotes the URL, but not its password or a redact key's
	 * value */
	{ "bad URL with credentials",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\", \"url\": \"ftp://bob:hunter2@example.com/?token=t0k3n\",\n"
	  "  \"redact\": [\"token\"]}\n"
	  "]}",
	  1, { "t.json:2:16: checks[0].url: bad URL \"ftp://REDACTED@example.com/"
	  "?token=REDACTED\": scheme must be http or https" },
	  { "hunter2", "t0k3n" } },
	{ "follow_redirects not a bool",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"follow_redirects\": \"yes\"}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].follow_redirects: must be true or false" },
	  { NULL } },
	{ "retries a string",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"retries\": \"2\"}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].retries: must be an integer" }, { NULL } },
	{ "retries out of range",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"retries\": 11}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].retries: must be between 0 and 10" }, { NULL } },
	{ "interval a number",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"interval\": 10}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].interval: must be a duration string such as "
	  "\"10s\"" }, { NULL } },
	{ "interval bad unit",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"interval\": \"10x\"}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].interval: bad duration \"10x\": unit must be "
	  "one of ms, s, m, h, d" }, { NULL } },
	{ "timeout below 10ms",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"timeout\": \"5ms\"}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].timeout: must be between 10ms and 1h" },
	  { NULL } },
	{ "retry_delay too long",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"retry_delay\": \"2m\"}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].retry_delay: must be between 0s and 1m" },
	  { NULL } },
	{ "timeout exceeds interval",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"interval\": \"5s\",\n"
	  "  \"timeout\": \"6s\"}\n"
	  "]}",
	  1, { "t.json:5:3: checks[0].timeout: timeout (6000ms) must not exceed the "
	  "interval (5000ms)" }, { NULL } },
	{ "unknown kind",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"kind\": \"tcpx\"}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].kind: unknown kind \"tcpx\" (this version "
	  "knows: http, tls, tcp, dns, assets)" }, { NULL } },
	{ "bad layer",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"layer\": \"edgy\"}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].layer: must be one of: front_door, edge, "
	  "central, other" }, { NULL } },
	{ "layer not a string",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"layer\": 1}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].layer: must be one of: front_door" }, { NULL } },
	{ "bad ip",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"ip\": \"v5\"}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].ip: must be one of: any, v4, v6" }, { NULL } },
	{ "lower-case method",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"method\": \"get\"}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].method: must be an upper-case HTTP method such "
	  "as GET or HEAD" }, { NULL } },
	{ "method with a space",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"method\": \"GE T\"}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].method: must be an upper-case HTTP method" },
	  { NULL } },
	{ "empty method",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"method\": \"\"}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].method: must be an upper-case HTTP method" },
	  { NULL } },
	{ "url missing",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\"}\n"
	  "]}",
	  1, { "t.json:2:2: checks[0].url: required key is missing" }, { NULL } },
	{ "url empty",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"\"}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].url: must not be empty" }, { NULL } },
	{ "url without host",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://\"}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].url: bad URL \"http://\": " }, { NULL } },
	{ "url without scheme",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"example.com/health\"}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].url: bad URL \"example.com/health\": " },
	  { NULL } },
	{ "url with a bad port",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com:99999/\"}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].url: bad URL \"http://example.com:99999/\": " },
	  { NULL } },
	{ "ftp scheme",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"ftp://example.com/file\"}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].url: bad URL \"ftp://example.com/file\": "
	  "scheme must be http or https" }, { NULL } },
	{ "file scheme",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"file:///etc/passwd\"}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].url: bad URL \"file:///etc/passwd\": " },
	  { NULL } },
	{ "url not a string",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": [\"http://example.com/\"]}\n"
	  "]}",
	  1, { "t.json:3:3: checks[0].url: must be a string" }, { NULL } },
	{ "bad body_regex",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"expect\": {\"body_regex\": \"(unclosed\"}}\n"
	  "]}",
	  1, { "t.json:4:14: checks[0].expect.body_regex: bad regular expression "
	  "\"(unclosed\": " }, { NULL } },
	{ "bad header regex",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"expect\": {\"headers\": {\"X-A\": {\"regex\": \"a[b\"}}}}\n"
	  "]}",
	  1, { "t.json:4:34: checks[0].expect.headers.X-A.regex: bad regular "
	  "expression \"a[b\": " }, { NULL } },
	{ "header expectation with two tests",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"expect\": {\"headers\": {\"X-A\": {\"present\": true, \"equals\": \"x\"}}}}\n"
	  "]}",
	  1, { "t.json:4:26: checks[0].expect.headers.X-A: needs exactly one of "
	  "\"present\", \"equals\", \"regex\"" }, { NULL } },
	{ "header expectation with no test",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"expect\": {\"headers\": {\"X-A\": {}}}}\n"
	  "]}",
	  1, { "t.json:4:26: checks[0].expect.headers.X-A: needs exactly one of" },
	  { NULL } },
	{ "header expectation with an unknown test",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"expect\": {\"headers\": {\"X-A\": {\"regx\": \"x\"}}}}\n"
	  "]}",
	  1, { "t.json:4:34: checks[0].expect.headers.X-A.regx: unknown key (did "
	  "you mean \"regex\"?)" }, { NULL } },
	{ "header expectation not an object",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"expect\": {\"headers\": {\"X-A\": \"x\"}}}\n"
	  "]}",
	  1, { "t.json:4:26: checks[0].expect.headers.X-A: must be an object" },
	  { NULL } },
	{ "header present not a bool",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"expect\": {\"headers\": {\"X-A\": {\"present\": 1}}}}\n"
	  "]}",
	  1, { "t.json:4:34: checks[0].expect.headers.X-A.present: must be true or "
	  "false" }, { NULL } },
	{ "request header value with a newline",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"headers\": {\"X-A\": \"a\\nb\"}}\n"
	  "]}",
	  1, { "t.json:4:15: checks[0].headers.X-A: header names and values must not "
	  "contain line breaks" }, { NULL } },
	{ "request header value with a carriage return",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"headers\": {\"X-A\": \"a\\r\"}}\n"
	  "]}",
	  1, { "t.json:4:15: checks[0].headers.X-A: header names and values must not "
	  "contain line breaks" }, { NULL } },
	{ "request header name with a space and a newline",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"headers\": {\"X A\": \"v\",\n"
	  "              \"X\\nB\": \"v\"}}\n"
	  "]}",
	  2, { "t.json:4:15: checks[0].headers.X A: header names and values must not",
	  "t.json:5:15: checks[0].headers.X\nB: header names" }, { NULL } },
	{ "request header name with a colon",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"headers\": {\"Host: evil\": \"v\"}}\n"
	  "]}",
	  1, { "t.json:4:15: checks[0].headers.Host: evil: header names and values" },
	  { NULL } },
	{ "request header value not a string",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"headers\": {\"X-A\": 1}}\n"
	  "]}",
	  1, { "t.json:4:15: checks[0].headers.X-A: must be a string" }, { NULL } },
	{ "request headers not an object",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"headers\": [\"X-A: 1\"]}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].headers: must be an object" }, { NULL } },
	{ "expect not an object",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"expect\": \"200\"}\n"
	  "]}",
	  1, { "t.json:4:3: checks[0].expect: must be an object" }, { NULL } },
	{ "bad status items",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"expect\": {\"status\": [200, 99, 600, \"abc\", \"300-200\"]}}\n"
	  "]}",
	  4, { "t.json:4:30: checks[0].expect.status[1]: must be a status code "
	  "(100-599) or a range such as \"200-299\"",
	  "t.json:4:34: checks[0].expect.status[2]: must be a status code",
	  "t.json:4:39: checks[0].expect.status[3]: must be a status code",
	  "t.json:4:46: checks[0].expect.status[4]: must be a status code" },
	  { "status[0]" } },
	{ "bad single status",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"expect\": {\"status\": 1000}}\n"
	  "]}",
	  1, { "t.json:4:14: checks[0].expect.status: must be a status code" },
	  { NULL } },
	{ "empty status list",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"expect\": {\"status\": []}}\n"
	  "]}",
	  1, { "t.json:4:14: checks[0].expect.status: must be a non-empty list of "
	  "codes or ranges, e.g. [200, \"300-399\"]" }, { NULL } },
	{ "bad JSON path",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"expect\": {\"json\": {\"a..b\": 1}}}\n"
	  "]}",
	  1, { "t.json:4:23: checks[0].expect.json.a..b: bad JSON path" }, { NULL } },
	{ "json not an object",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"expect\": {\"json\": [\"a\"]}}\n"
	  "]}",
	  1, { "t.json:4:14: checks[0].expect.json: must be an object" }, { NULL } },
	{ "max_latency zero",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"expect\": {\"max_latency\": \"0ms\"}}\n"
	  "]}",
	  1, { "t.json:4:14: checks[0].expect.max_latency: must be between 1ms and 1h" },
	  { NULL } },
	{ "max_body negative",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\",\n"
	  "  \"expect\": {\"max_body\": -1}}\n"
	  "]}",
	  1, { "t.json:4:14: checks[0].expect.max_body: must be between 0 and "
	  "1073741824" }, { NULL } },
	{ "duplicate names, every duplicate reported",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\", \"url\": \"http://x.test/\"},\n"
	  " {\"name\": \"b\", \"url\": \"http://x.test/\"},\n"
	  " {\"name\": \"a\", \"url\": \"http://x.test/\"},\n"
	  " {\"name\": \"b\", \"url\": \"http://x.test/\"},\n"
	  " {\"name\": \"a\", \"url\": \"http://x.test/\"},\n"
	  " {\"name\": \"c\", \"url\": \"http://x.test/\"}\n"
	  "]}",
	  3, { "t.json:4:3: checks[2].name: duplicate check name \"a\" (first used by "
	  "checks[0])",
	  "t.json:5:3: checks[3].name: duplicate check name \"b\" (first used by "
	  "checks[1])",
	  "t.json:6:3: checks[4].name: duplicate check name \"a\" (first used by "
	  "checks[0])" },
	  { "checks[0].name", "checks[5]" } },
	{ "a check that is not an object",
	  "{\"checks\": [5, \"x\"]}",
	  2, { "t.json:1:13: checks[0]: must be an object",
	  "t.json:1:16: checks[1]: must be an object" }, { NULL } },
	{ "checks not a list",
	  "{\"checks\": {}}",
	  1, { "t.json:1:2: checks: must be a list of checks" }, { NULL } },
	{ "several errors at once",
	  "{\"checks\": [\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"gopher://example.com/\",\n"
	  "  \"layer\": \"nowhere\",\n"
	  "  \"method\": \"get\",\n"
	  "  \"ip\": \"v7\"},\n"
	  " {\"name\": \"b\",\n"
	  "  \"kind\": \"tcpx\"},\n"
	  " {\"name\": \"a\",\n"
	  "  \"url\": \"http://example.com/\"}\n"
	  "]}",
	  6, { "t.json:3:3: checks[0].url: bad URL \"gopher://example.com/\"",
	  "t.json:4:3: checks[0].layer: must be one of",
	  "t.json:5:3: checks[0].method: must be an upper-case HTTP method",
	  "t.json:6:3: checks[0].ip: must be one of: any, v4, v6",
	  "t.json:8:3: checks[1].kind: unknown kind \"tcpx\"",
	  "t.json:9:3: checks[2].name: duplicate check name \"a\"" },
	  { NULL } },
};

START_TEST(test_bad_checks)
{
	struct confctx c;
	struct check_config *v = (struct check_config *)1;
	size_t n = 99;
	int rc;

	rc = parse_checks(&c, bad[_i].text, NULL, NULL, &v, &n);
	ck_assert_msg(rc == -1, "[%s] accepted", bad[_i].name);
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(n, 0);
	for (size_t k = 0; k < NELEM(bad[_i].want) && bad[_i].want[k]; k++)
		ck_assert_msg(has_error(&c, bad[_i].want[k]), "[%s] no error "
		    "containing\n  %s\ngot:%s", bad[_i].name, bad[_i].want[k],
		    all_errors(&c));
	for (size_t k = 0; k < NELEM(bad[_i].absent) && bad[_i].absent[k]; k++)
		ck_assert_msg(!has_error(&c, bad[_i].absent[k]), "[%s] unexpected "
		    "error containing \"%s\":%s", bad[_i].name, bad[_i].absent[k],
		    all_errors(&c));
	ck_assert_msg(c.nerrs == bad[_i].nerrs, "[%s] %zu errors, want %zu:%s",
	    bad[_i].name, c.nerrs, bad[_i].nerrs, all_errors(&c));
	conf_ctx_free(&c);
}
END_TEST

/* ---- good checks ---- */

START_TEST(test_minimal_defaults)
{
	size_t n;
	struct check_config *v = good_checks("{\"checks\": [{\"name\": \"a\", "
	    "\"url\": \"https://example.com/health\"}]}", NULL, &n);
	const struct check_config *cc = &v[0];

	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(cc->name, "a");
	ck_assert_str_eq(cc->kind, "http");
	ck_assert_str_eq(cc->url, "https://example.com/health");
	ck_assert_str_eq(cc->method, "GET");
	ck_assert_str_eq(cc->layer, "other");
	ck_assert_ptr_null(cc->service);
	ck_assert_ptr_null(cc->provider);
	ck_assert_ptr_null(cc->body);
	ck_assert_uint_eq(cc->nheaders, 0);
	ck_assert_int_eq(cc->redirect, REDIRECT_NONE);
	ck_assert_uint_eq(cc->nredact, 0);
	ck_assert_str_eq(cc->record_url, "https://example.com/health");
	ck_assert(!cc->pulled);
	ck_assert(!cc->insecure);
	ck_assert(!cc->reuse_connections);
	ck_assert_int_eq(cc->interval_ms, CHECK_DEFAULT_INTERVAL_MS);
	ck_assert_int_eq(cc->interval_ms, 60000);
	ck_assert_int_eq(cc->timeout_ms, 10000);
	ck_assert_int_eq(cc->retries, 0);
	ck_assert_int_eq(cc->retry_delay_ms, 500);
	ck_assert_int_eq(cc->ip, CHECK_IP_ANY);
	ck_assert_uint_eq(cc->expect.nstatus, 1);
	ck_assert_int_eq(cc->expect.status[0].lo, 200);
	ck_assert_int_eq(cc->expect.status[0].hi, 299);
	ck_assert_ptr_null(cc->expect.body_contains);
	ck_assert_ptr_null(cc->expect.body_regex);
	ck_assert_uint_eq(cc->expect.njson, 0);
	ck_assert_uint_eq(cc->expect.nheaders, 0);
	ck_assert_int_eq(cc->expect.max_latency_ms, 0);
	ck_assert_int_eq(cc->expect.max_body, CHECK_DEFAULT_MAX_BODY);
	ck_assert_ptr_nonnull(cc->fingerprint);
	checkconf_free_array(v, n);
}
END_TEST

START_TEST(test_full_check)
{
	static const char text[] =
	    "{\"checks\": [{\n"
	    "  \"name\": \"api\", \"kind\": \"http\", \"service\": \"micro\",\n"
	    "  \"layer\": \"central\", \"provider\": \"aws\",\n"
	    "  \"url\": \"http://127.0.0.1:8080/api\", \"method\": \"POST\",\n"
	    "  \"headers\": {\"Content-Type\": \"application/json\", \"X-Empty\": \"\"},\n"
	    "  \"body\": \"{}\", \"follow_redirects\": true, \"insecure\": true,\n"
	    "  \"reuse_connections\": true, \"ip\": \"v6\",\n"
	    "  \"interval\": \"30s\", \"timeout\": \"2s\", \"retries\": 3,\n"
	    "  \"retry_delay\": \"250ms\",\n"
	    "  \"expect\": {\n"
	    "    \"status\": [200, \"300-399\"],\n"
	    "    \"body_contains\": \"ok\", \"body_regex\": \"^o+k$\",\n"
	    "    \"json\": {\"status\": \"ok\", \"items.0.id\": 7},\n"
	    "    \"headers\": {\"A\": {\"present\": true}, \"B\": {\"present\": false},\n"
	    "                \"C\": {\"equals\": \"c\"}, \"D\": {\"regex\": \"^d\"}},\n"
	    "    \"max_latency\": \"800ms\", \"max_body\": 65536\n"
	    "  }}]}";
	size_t n;
	struct check_config *v = good_checks(text, NULL, &n);
	const struct check_config *cc = &v[0];
	const struct http_expect *e = &cc->expect;
	bool seen[4] = { false, false, false, false };

	ck_assert_str_eq(cc->service, "micro");
	ck_assert_str_eq(cc->layer, "central");
	ck_assert_str_eq(cc->provider, "aws");
	ck_assert_str_eq(cc->method, "POST");
	ck_assert_str_eq(cc->body, "{}");
	ck_assert_uint_eq(cc->nheaders, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct check_header *h = &cc->headers[i];

		ck_assert_ptr_null(h->secret);
		if (strcmp(h->name, "Content-Type") == 0)
			ck_assert_str_eq(h->value, "application/json");
		else {
			ck_assert_str_eq(h->name, "X-Empty");
			ck_assert_str_eq(h->value, "");
		}
	}
	/* a local check follows every redirect, as follow_redirects always did */
	ck_assert_int_eq(cc->redirect, REDIRECT_ANY);
	ck_assert(cc->insecure);
	ck_assert(cc->reuse_connections);
	ck_assert_int_eq(cc->ip, CHECK_IP_V6);
	ck_assert_int_eq(cc->interval_ms, 30000);
	ck_assert_int_eq(cc->timeout_ms, 2000);
	ck_assert_int_eq(cc->retries, 3);
	ck_assert_int_eq(cc->retry_delay_ms, 250);
	ck_assert_uint_eq(e->nstatus, 2);
	ck_assert_int_eq(e->status[0].lo, 200);
	ck_assert_int_eq(e->status[0].hi, 200);
	ck_assert_int_eq(e->status[1].lo, 300);
	ck_assert_int_eq(e->status[1].hi, 399);
	ck_assert_str_eq(e->body_contains, "ok");
	ck_assert_str_eq(e->body_regex, "^o+k$");
	ck_assert_int_eq(regexec(&e->body_re, "oook", 0, NULL, 0), 0);
	ck_assert_int_ne(regexec(&e->body_re, "oopk", 0, NULL, 0), 0);
	ck_assert_uint_eq(e->njson, 2);
	for (size_t i = 0; i < e->njson; i++) {
		if (strcmp(e->json[i].path, "status") == 0)
			ck_assert_str_eq(json_string_value(e->json[i].value), "ok");
		else {
			ck_assert_str_eq(e->json[i].path, "items.0.id");
			ck_assert_int_eq(json_integer_value(e->json[i].value), 7);
		}
	}
	ck_assert_uint_eq(e->nheaders, 4);
	for (size_t i = 0; i < e->nheaders; i++) {
		const struct header_expect *h = &e->headers[i];
		switch (h->name[0]) {
		case 'A':
			ck_assert_int_eq(h->op, HEADER_PRESENT);
			break;
		case 'B':
			ck_assert_int_eq(h->op, HEADER_ABSENT);
			break;
		case 'C':
			ck_assert_int_eq(h->op, HEADER_EQUALS);
			ck_assert_str_eq(h->value, "c");
			break;
		case 'D':
			ck_assert_int_eq(h->op, HEADER_REGEX);
			ck_assert_str_eq(h->value, "^d");
			ck_assert_int_eq(regexec(&h->re, "dd", 0, NULL, 0), 0);
			break;
		default:
			ck_abort_msg("unexpected header expectation %s", h->name);
		}
		seen[h->name[0] - 'A'] = true;
	}
	ck_assert(seen[0] && seen[1] && seen[2] && seen[3]);
	ck_assert_int_eq(e->max_latency_ms, 800);
	ck_assert_int_eq(e->max_body, 65536);
	checkconf_free_array(v, n);
}
END_TEST

START_TEST(test_single_status_forms)
{
	size_t n;
	struct check_config *v = good_checks("{\"checks\": ["
	    "{\"name\": \"a\", \"url\": \"http://x.test/\", \"expect\": {\"status\": 204}},"
	    "{\"name\": \"b\", \"url\": \"http://x.test/\", \"expect\": {\"status\": \"500-503\"}},"
	    "{\"name\": \"c\", \"url\": \"http://x.test/\", \"expect\": {}}]}", NULL, &n);

	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(v[0].expect.nstatus, 1);
	ck_assert_int_eq(v[0].expect.status[0].lo, 204);
	ck_assert_int_eq(v[0].expect.status[0].hi, 204);
	ck_assert_int_eq(v[1].expect.status[0].lo, 500);
	ck_assert_int_eq(v[1].expect.status[0].hi, 503);
	ck_assert_uint_eq(v[2].expect.nstatus, 1);
	ck_assert_int_eq(v[2].expect.status[0].lo, 200);
	ck_assert_int_eq(v[2].expect.status[0].hi, 299);
	checkconf_free_array(v, n);
}
END_TEST

START_TEST(test_defaults_applied)
{
	struct check_defaults d = { 30000, 5000, 2, false };
	size_t n;
	struct check_config *v = good_checks("{\"checks\": ["
	    "{\"name\": \"inherits\", \"url\": \"http://x.test/\"},"
	    "{\"name\": \"overrides\", \"url\": \"http://x.test/\", \"interval\": \"1m\","
	    " \"timeout\": \"20s\", \"retries\": 0}]}", &d, &n);

	ck_assert_int_eq(v[0].interval_ms, 30000);
	ck_assert_int_eq(v[0].timeout_ms, 5000);
	ck_assert_int_eq(v[0].retries, 2);
	ck_assert_int_eq(v[1].interval_ms, 60000);
	ck_assert_int_eq(v[1].timeout_ms, 20000);
	ck_assert_int_eq(v[1].retries, 0);
	checkconf_free_array(v, n);
}
END_TEST

/* A short interval with the inherited (longer) timeout is not an error:
 * the timeout shrinks to fit. Only a timeout written in the check is. */
START_TEST(test_inherited_timeout_fits_interval)
{
	size_t n;
	struct check_config *v = good_checks("{\"checks\": [{\"name\": \"fast\", "
	    "\"url\": \"http://x.test/\", \"interval\": \"5s\"}]}", NULL, &n);

	ck_assert_int_eq(v[0].interval_ms, 5000);
	ck_assert_int_eq(v[0].timeout_ms, 5000);
	checkconf_free_array(v, n);
}
END_TEST

START_TEST(test_extra_keys)
{
	static const char *const extra[] = { "regions", "agents", NULL };
	static const char text[] = "{\"checks\": [{\"name\": \"a\", \"url\": "
	    "\"http://x.test/\", \"regions\": [\"eu\"], \"agents\": []}]}";
	struct confctx c;
	struct check_config *v;
	size_t n;

	ck_assert_msg(parse_checks(&c, text, NULL, extra, &v, &n) == 0,
	    "refused:%s", all_errors(&c));
	ck_assert_uint_eq(n, 1);
	checkconf_free_array(v, n);
	conf_ctx_free(&c);
	ck_assert_int_eq(parse_checks(&c, text, NULL, NULL, &v, &n), -1);
	ck_assert_uint_eq(c.nerrs, 2);
	ck_assert(has_error(&c, "checks[0].regions: unknown key"));
	ck_assert(has_error(&c, "checks[0].agents: unknown key"));
	conf_ctx_free(&c);
}
END_TEST

START_TEST(test_empty_array)
{
	struct confctx c;
	struct check_config *v = (struct check_config *)1;
	size_t n = 5;

	ck_assert_int_eq(parse_checks(&c, "{\"checks\": []}", NULL, NULL, &v, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(c.nerrs, 0);
	checkconf_free_array(v, n);
	conf_ctx_free(&c);
}
END_TEST

START_TEST(test_fingerprint)
{
	size_t n;
	struct check_config *v = good_checks("{\"checks\": ["
	    "{\"name\": \"a\", \"url\": \"http://x.test/\"},"
	    "{\"name\": \"a2\", \"url\": \"http://x.test/\"}]}", NULL, &n);
	size_t m;
	/* same check, defaults spelled out and keys in another order */
	struct check_config *w = good_checks("{\"checks\": ["
	    "{\"interval\": \"60s\", \"url\": \"http://x.test/\", \"name\": \"a\","
	    " \"timeout\": \"10s\", \"retries\": 0},"
	    "{\"name\": \"a2\", \"url\": \"http://x.test/other\"}]}", NULL, &m);

	ck_assert_str_eq(v[0].fingerprint, w[0].fingerprint);
	ck_assert_str_ne(v[1].fingerprint, w[1].fingerprint);
	ck_assert_str_ne(v[0].fingerprint, v[1].fingerprint);
	checkconf_free_array(v, n);
	checkconf_free_array(w, m);
}
END_TEST

START_TEST(test_fingerprint_follows_defaults)
{
	struct check_defaults d1 = { 60000, 10000, 0, false };
	struct check_defaults d2 = { 30000, 10000, 0, false };
	static const char text[] = "{\"checks\": [{\"name\": \"a\", \"url\": "
	    "\"http://x.test/\"}]}";
	size_t n, m;
	struct check_config *v = good_checks(text, &d1, &n);
	struct check_config *w = good_checks(text, &d2, &m);

	/* the same text under other defaults is another check */
	ck_assert_str_ne(v[0].fingerprint, w[0].fingerprint);
	checkconf_free_array(v, n);
	checkconf_free_array(w, m);
}
END_TEST

/* redirect_policy: none unless asked; follow_redirects alone follows any
 * redirect in a local check (as always) but only to the same host in a
 * pulled one; the policy written down wins in both. */
START_TEST(test_redirect_policy)
{
	static const struct {
		const char		*keys;
		enum redirect_policy	 local, pulled;
	} cases[] = {
		{ "", REDIRECT_NONE, REDIRECT_NONE },
		{ ", \"follow_redirects\": false", REDIRECT_NONE, REDIRECT_NONE },
		{ ", \"follow_redirects\": true", REDIRECT_ANY, REDIRECT_SAME_HOST },
		{ ", \"redirect_policy\": \"none\"", REDIRECT_NONE, REDIRECT_NONE },
		{ ", \"redirect_policy\": \"same-host\"", REDIRECT_SAME_HOST,
		  REDIRECT_SAME_HOST },
		{ ", \"redirect_policy\": \"any\"", REDIRECT_ANY, REDIRECT_ANY },
		{ ", \"follow_redirects\": true, \"redirect_policy\": \"any\"",
		  REDIRECT_ANY, REDIRECT_ANY },
		{ ", \"follow_redirects\": false, \"redirect_policy\": \"none\"",
		  REDIRECT_NONE, REDIRECT_NONE },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct check_defaults d;
		char *text;
		size_t n;
		struct check_config *v;

		text = xasprintf("{\"checks\": [{\"name\": \"a\", \"url\": "
		    "\"http://x.test/\"%s}]}", cases[i].keys);
		checkconf_defaults_init(&d);
		v = good_checks(text, &d, &n);
		ck_assert_msg(v[0].redirect == cases[i].local && !v[0].pulled,
		    "[%zu] local: %d", i, v[0].redirect);
		checkconf_free_array(v, n);
		d.pulled = true;
		v = good_checks(text, &d, &n);
		ck_assert_msg(v[0].redirect == cases[i].pulled && v[0].pulled,
		    "[%zu] pulled: %d", i, v[0].redirect);
		checkconf_free_array(v, n);
		free(text);
	}
}
END_TEST

/* The record's url: userinfo and the values of redact keys replaced; the
 * url the probe fetches keeps them. */
START_TEST(test_record_url_redacted)
{
	size_t n;
	struct check_config *v = good_checks("{\"checks\": ["
	    "{\"name\": \"a\", \"url\": \"https://bob:hunter2@x.test/p?a=1&token=t0k3n&"
	    "Sig=s1#frag\", \"redact\": [\"token\", \"sig\"]},"
	    "{\"name\": \"b\", \"url\": \"https://x.test/p?token=t0k3n\"},"
	    "{\"name\": \"c\", \"kind\": \"assets\", \"redact\": [\"k\"], \"targets\": ["
	    "{\"name\": \"fd\", \"url\": \"https://u:p@x.test/?k=v\"}]}]}", NULL, &n);

	ck_assert_str_eq(v[0].url, "https://bob:hunter2@x.test/p?a=1&token=t0k3n&"
	    "Sig=s1#frag");
	ck_assert_str_eq(v[0].record_url, "https://REDACTED@x.test/p?a=1&"
	    "token=REDACTED&Sig=REDACTED#frag");
	ck_assert_uint_eq(v[0].nredact, 2);
	/* without a redact list, only userinfo goes */
	ck_assert_str_eq(v[1].record_url, "https://x.test/p?token=t0k3n");
	ck_assert_str_eq(v[2].record_url, "https://REDACTED@x.test/?k=REDACTED");
	ck_assert_str_eq(v[2].assets.targets[0].url, "https://u:p@x.test/?k=v");
	checkconf_free_array(v, n);
}
END_TEST

/* Header secrets: parsed as references (never resolved by the parser, so
 * the collector can check a config whose variables live on the agents),
 * resolved by checkconf_resolve_secrets; a pulled check only from the
 * allowed list; a secret's header name is redacted by itself. */
START_TEST(test_header_secrets)
{
	static const char text[] = "{\"checks\": [{\"name\": \"a\", \"url\": "
	    "\"http://x.test/\", \"headers\": {\"Authorization\": "
	    "\"env:VANTAGE_TEST_AUTH\", \"X-Key\": \"file:/nonexistent/vantage/key\", "
	    "\"X-Plain\": \"plain\"}}]}";
	char *allow[] = { (char *)"env:VANTAGE_TEST_AUTH" };
	struct check_defaults d;
	struct confctx c = { 0 };
	size_t n;
	struct check_config *v;

	unsetenv("VANTAGE_TEST_AUTH");
	checkconf_defaults_init(&d);
	v = good_checks(text, &d, &n);
	ck_assert_uint_eq(v[0].nheaders, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct check_header *h = &v[0].headers[i];

		if (strcmp(h->name, "X-Plain") == 0) {
			ck_assert_ptr_null(h->secret);
			ck_assert_str_eq(h->value, "plain");
		} else {
			ck_assert_ptr_nonnull(h->secret);
			ck_assert_ptr_null(h->value);
		}
	}
	ck_assert_uint_eq(v[0].nredact, 2);	/* Authorization, X-Key */
	/* unset variable, missing file: both reported */
	ck_assert_int_eq(checkconf_resolve_secrets(&c, "checks[0]", &v[0], NULL, 0), -1);
	ck_assert_msg(c.nerrs == 2 && has_error(&c, "checks[0].headers.Authorization: "
	    "environment variable VANTAGE_TEST_AUTH is not set") &&
	    has_error(&c, "checks[0].headers.X-Key: cannot read /nonexistent/vantage/"
	    "key"), "%s", all_errors(&c));
	conf_ctx_free(&c);
	checkconf_free_array(v, n);

	/* a line break in the secret would inject headers: refused */
	setenv("VANTAGE_TEST_AUTH", "Bearer a\r\nX-Evil: 1", 1);
	v = good_checks("{\"checks\": [{\"name\": \"a\", \"url\": \"http://x.test/\", "
	    "\"headers\": {\"Authorization\": \"env:VANTAGE_TEST_AUTH\"}}]}", &d, &n);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(checkconf_resolve_secrets(&c, "checks[0]", &v[0], NULL, 0), -1);
	ck_assert_msg(has_error(&c, "holds a line break"), "%s", all_errors(&c));
	conf_ctx_free(&c);
	/* resolved */
	setenv("VANTAGE_TEST_AUTH", "Bearer s3cr3t", 1);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(checkconf_resolve_secrets(&c, "checks[0]", &v[0], NULL, 0), 0);
	ck_assert_str_eq(v[0].headers[0].value, "Bearer s3cr3t");
	conf_ctx_free(&c);
	checkconf_free_array(v, n);

	/* pulled: only what the agent allows */
	d.pulled = true;
	v = good_checks("{\"checks\": [{\"name\": \"a\", \"url\": \"http://x.test/\", "
	    "\"headers\": {\"Authorization\": \"env:VANTAGE_TEST_AUTH\", "
	    "\"X-Home\": \"env:HOME\"}}]}", &d, &n);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(checkconf_resolve_secrets(&c, "checks[0]", &v[0], allow, 1), -1);
	ck_assert_msg(c.nerrs == 1 && has_error(&c, "checks[0].headers.X-Home: "
	    "\"env:HOME\" is not in this agent's collector.allow_secrets"), "%s",
	    all_errors(&c));
	ck_assert_str_eq(v[0].headers[0].value, "Bearer s3cr3t");
	ck_assert_ptr_null(v[0].headers[1].value);
	conf_ctx_free(&c);
	{
		/* the same check parsed again takes the values resolved once */
		struct check_config *w;
		size_t m;

		w = good_checks("{\"checks\": [{\"name\": \"a\", \"url\": "
		    "\"http://x.test/\", \"headers\": {\"Authorization\": "
		    "\"env:VANTAGE_TEST_AUTH\"}}]}", &d, &m);
		ck_assert_int_eq(checkconf_copy_secrets(&w[0], &v[0]), 0);
		ck_assert_str_eq(w[0].headers[0].value, "Bearer s3cr3t");
		checkconf_free_array(w, m);
	}
	checkconf_free_array(v, n);
	unsetenv("VANTAGE_TEST_AUTH");
}
END_TEST

START_TEST(test_free_null)
{
	checkconf_clear(NULL);
	checkconf_free_array(NULL, 0);
	checkconf_free_array(NULL, 3);
}
END_TEST

/* ---- defaults object ---- */

START_TEST(test_parse_defaults)
{
	struct confctx c = { 0 };
	struct check_defaults d;
	json_t *root;

	checkconf_defaults_init(&d);
	ck_assert_int_eq(d.interval_ms, 60000);
	ck_assert_int_eq(d.timeout_ms, 10000);
	ck_assert_int_eq(d.retries, 0);
	ck_assert_int_eq(conf_load_string(&c, "t.json", "{\"defaults\": "
	    "{\"interval\": \"30s\", \"timeout\": \"3s\", \"retries\": 2}}", &root), 0);
	ck_assert_int_eq(checkconf_parse_defaults(&c, "defaults",
	    json_object_get(root, "defaults"), &d), 0);
	ck_assert_int_eq(d.interval_ms, 30000);
	ck_assert_int_eq(d.timeout_ms, 3000);
	ck_assert_int_eq(d.retries, 2);
	json_decref(root);
	conf_ctx_free(&c);
}
END_TEST

START_TEST(test_parse_defaults_bad)
{
	struct confctx c = { 0 };
	struct check_defaults d;
	json_t *root;

	checkconf_defaults_init(&d);
	ck_assert_int_eq(conf_load_string(&c, "t.json", "{\"defaults\": {\n"
	    "  \"intervall\": \"30s\",\n"
	    "  \"retries\": 99,\n"
	    "  \"timeout\": true}}", &root), 0);
	ck_assert_int_eq(checkconf_parse_defaults(&c, "defaults",
	    json_object_get(root, "defaults"), &d), -1);
	ck_assert_msg(c.nerrs == 3, "errors:%s", all_errors(&c));
	ck_assert(has_error(&c, "t.json:2:3: defaults.intervall: unknown key (did "
	    "you mean \"interval\"?)"));
	ck_assert(has_error(&c, "t.json:3:3: defaults.retries: must be between 0 and 10"));
	ck_assert(has_error(&c, "t.json:4:3: defaults.timeout: must be a duration"));
	ck_assert_int_eq(d.retries, 0);
	ck_assert_int_eq(d.timeout_ms, 10000);
	json_decref(root);
	conf_ctx_free(&c);

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(conf_load_string(&c, "t.json", "{\"defaults\": 5}", &root), 0);
	ck_assert_int_eq(checkconf_parse_defaults(&c, "defaults",
	    json_object_get(root, "defaults"), &d), -1);
	ck_assert(has_error(&c, "t.json:1:2: defaults: must be an object"));
	json_decref(root);
	conf_ctx_free(&c);
}
END_TEST

/* ---- status items ---- */

static const struct {
	const char	*json;
	int		 rc, lo, hi;
} status_items[] = {
	{ "200", 0, 200, 200 },
	{ "100", 0, 100, 100 },
	{ "599", 0, 599, 599 },
	{ "\"200\"", 0, 200, 200 },
	{ "\"300-399\"", 0, 300, 399 },
	{ "\"100-599\"", 0, 100, 599 },
	{ "\"404-404\"", 0, 404, 404 },
	{ "99", -1, 0, 0 },
	{ "600", -1, 0, 0 },
	{ "0", -1, 0, 0 },
	{ "-200", -1, 0, 0 },
	{ "\"abc\"", -1, 0, 0 },
	{ "\"300-200\"", -1, 0, 0 },
	{ "\"\"", -1, 0, 0 },
	{ "\"200-\"", -1, 0, 0 },
	{ "\"-200\"", -1, 0, 0 },
	{ "\"200-700\"", -1, 0, 0 },
	{ "\"50-200\"", -1, 0, 0 },
	{ "\"2OO\"", -1, 0, 0 },
	{ "\" 200\"", -1, 0, 0 },
	{ "\"200 \"", -1, 0, 0 },
	{ "\"200-299-399\"", -1, 0, 0 },
	{ "\"99999999999999999999\"", -1, 0, 0 },
	{ "200.0", -1, 0, 0 },
	{ "true", -1, 0, 0 },
	{ "null", -1, 0, 0 },
	{ "[200]", -1, 0, 0 },
};

START_TEST(test_status_item)
{
	json_error_t je;
	json_t *v = json_loads(status_items[_i].json, JSON_DECODE_ANY, &je);
	struct status_range r = { -1, -1 };
	int rc;

	ck_assert_msg(v != NULL, "bad test JSON %s", status_items[_i].json);
	rc = checkconf_parse_status(v, &r);
	ck_assert_msg(rc == status_items[_i].rc, "%s: rc %d, want %d",
	    status_items[_i].json, rc, status_items[_i].rc);
	if (rc == 0) {
		ck_assert_int_eq(r.lo, status_items[_i].lo);
		ck_assert_int_eq(r.hi, status_items[_i].hi);
	}
	json_decref(v);
}
END_TEST

START_TEST(test_status_ok)
{
	struct status_range ranges[] = { { 200, 200 }, { 300, 399 } };
	struct http_expect e;
	static const struct {
		long	status;
		bool	ok;
	} t[] = {
		{ 200, true }, { 201, false }, { 299, false }, { 300, true },
		{ 350, true }, { 399, true }, { 400, false }, { 199, false },
		{ 0, false }, { -1, false }, { 500, false },
	};

	memset(&e, 0, sizeof(e));
	e.status = ranges;
	e.nstatus = 2;
	for (size_t i = 0; i < NELEM(t); i++)
		ck_assert_msg(checkconf_status_ok(&e, t[i].status) == t[i].ok,
		    "status %ld: want %s", t[i].status, t[i].ok ? "ok" : "not ok");
	e.nstatus = 0;
	ck_assert(!checkconf_status_ok(&e, 200));
}
END_TEST

START_TEST(test_layers_table)
{
	static const char *const want[] = { "front_door", "edge", "central", "other" };
	size_t i;

	for (i = 0; checkconf_layers[i]; i++) {
		ck_assert_uint_lt(i, NELEM(want));
		ck_assert_str_eq(checkconf_layers[i], want[i]);
	}
	ck_assert_uint_eq(i, NELEM(want));
}
END_TEST

/* ---- conf: loading and positions ---- */

START_TEST(test_conf_syntax_error)
{
	struct confctx c = { 0 };
	json_t *root = (json_t *)1;

	ck_assert_int_eq(conf_load_string(&c, "t.json", "{\n  \"a\": 1,\n  \"b\": }\n",
	    &root), -1);
	ck_assert_ptr_null(root);
	ck_assert_uint_eq(c.nerrs, 1);
	ck_assert_msg(strncmp(c.errs[0], "t.json:3:", 9) == 0, "got %s", c.errs[0]);
	conf_ctx_free(&c);
	ck_assert_uint_eq(c.nerrs, 0);
	ck_assert_ptr_null(c.errs);
}
END_TEST

START_TEST(test_conf_duplicate_key)
{
	struct confctx c = { 0 };
	json_t *root;

	ck_assert_int_eq(conf_load_string(&c, "t.json", "{\"a\": 1,\n \"a\": 2}", &root), -1);
	ck_assert_uint_eq(c.nerrs, 1);
	ck_assert_msg(strstr(c.errs[0], "t.json:2:") != NULL &&
	    strstr(c.errs[0], "duplicate") != NULL, "got %s", c.errs[0]);
	conf_ctx_free(&c);
}
END_TEST

START_TEST(test_conf_nul_refused)
{
	struct confctx c = { 0 };
	json_t *root;

	/* strings reach the checks as C strings: a NUL would cut them short */
	ck_assert_int_eq(conf_load_string(&c, "t.json", "{\"a\": \"x\\u0000y\"}",
	    &root), -1);
	ck_assert_uint_eq(c.nerrs, 1);
	ck_assert_msg(strncmp(c.errs[0], "t.json:1:", 9) == 0, "got %s", c.errs[0]);
	conf_ctx_free(&c);
}
END_TEST

START_TEST(test_conf_top_not_object)
{
	struct confctx c = { 0 };
	json_t *root;

	ck_assert_int_eq(conf_load_string(&c, "t.json", "[1, 2]", &root), -1);
	ck_assert_ptr_null(root);
	ck_assert_str_eq(c.errs[0], "t.json:1:1: the top level must be a JSON object");
	conf_ctx_free(&c);
}
END_TEST

START_TEST(test_conf_missing_file)
{
	struct confctx c = { 0 };
	json_t *root;

	ck_assert_int_eq(conf_load_file(&c, "/nonexistent/vantage/x.json", &root), -1);
	ck_assert_ptr_null(root);
	ck_assert_uint_eq(c.nerrs, 1);
	ck_assert_msg(strstr(c.errs[0], "/nonexistent/vantage/x.json: cannot open:")
	    == c.errs[0], "got %s", c.errs[0]);
	conf_ctx_free(&c);
}
END_TEST

/* An error about a key that is not there points at its nearest ancestor. */
START_TEST(test_conf_error_positions)
{
	struct confctx c = { 0 };
	json_t *root;

	ck_assert_int_eq(conf_load_string(&c, "t.json",
	    "{\n \"a\": {\n   \"b\": [1,\n     {\"c\": 2}]}}", &root), 0);
	conf_error(&c, "a.b[1].c", "here %d", 1);
	conf_error(&c, "a.b[1].zz", "missing");
	conf_error(&c, "a.b[7]", "gone");
	conf_error(&c, "a.nope.deeper.still", "far");
	conf_error(&c, "q", "top");
	conf_error(&c, "", "whole");
	ck_assert_uint_eq(c.nerrs, 6);
	ck_assert_str_eq(c.errs[0], "t.json:4:7: a.b[1].c: here 1");
	ck_assert_str_eq(c.errs[1], "t.json:4:6: a.b[1].zz: missing");
	ck_assert_str_eq(c.errs[2], "t.json:3:4: a.b[7]: gone");
	ck_assert_str_eq(c.errs[3], "t.json:2:2: a.nope.deeper.still: far");
	ck_assert_str_eq(c.errs[4], "t.json:1:1: q: top");
	ck_assert_str_eq(c.errs[5], "t.json:1:1: (top level): whole");
	json_decref(root);
	conf_ctx_free(&c);
}
END_TEST

START_TEST(test_conf_getters)
{
	static const char *const choices[] = { "x", "y", NULL };
	struct confctx c = { 0 };
	json_t *root;
	char *s = NULL;
	bool b = false;
	int64_t i = -1, ms = -1;
	int e = -1;

	ck_assert_int_eq(conf_load_string(&c, "t.json", "{\"s\": \"str\", \"b\": true, "
	    "\"i\": 42, \"d\": \"1m\", \"e\": \"y\", \"n\": 5}", &root), 0);
	ck_assert_int_eq(conf_get_string(&c, "", root, "s", true, &s), 0);
	ck_assert_str_eq(s, "str");
	ck_assert_int_eq(conf_get_bool(&c, "", root, "b", &b), 0);
	ck_assert(b);
	ck_assert_int_eq(conf_get_int(&c, "", root, "i", 0, 100, &i), 0);
	ck_assert_int_eq(i, 42);
	ck_assert_int_eq(conf_get_duration(&c, "", root, "d", 0, 3600000, &ms), 0);
	ck_assert_int_eq(ms, 60000);
	ck_assert_int_eq(conf_get_enum(&c, "", root, "e", choices, &e), 0);
	ck_assert_int_eq(e, 1);
	ck_assert_uint_eq(c.nerrs, 0);
	/* absent optional keys leave the output alone */
	ck_assert_int_eq(conf_get_string(&c, "", root, "none", false, &s), 0);
	ck_assert_str_eq(s, "str");
	ck_assert_int_eq(conf_get_int(&c, "", root, "none", 0, 1, &i), 0);
	ck_assert_int_eq(i, 42);
	/* wrong values: -1, an error each, output untouched */
	ck_assert_int_eq(conf_get_int(&c, "", root, "i", 0, 10, &i), -1);
	ck_assert_int_eq(i, 42);
	ck_assert_int_eq(conf_get_duration(&c, "", root, "d", 0, 1000, &ms), -1);
	ck_assert_int_eq(ms, 60000);
	ck_assert_int_eq(conf_get_string(&c, "", root, "n", false, &s), -1);
	ck_assert_str_eq(s, "str");
	ck_assert_int_eq(conf_get_string(&c, "", root, "absent", true, &s), -1);
	ck_assert_int_eq(conf_get_enum(&c, "", root, "s", choices, &e), -1);
	ck_assert_int_eq(e, 1);
	ck_assert_int_eq(conf_get_bool(&c, "", root, "i", &b), -1);
	ck_assert_msg(c.nerrs == 6, "errors:%s", all_errors(&c));
	ck_assert(has_error(&c, "t.json:1:25: i: must be between 0 and 10"));
	ck_assert(has_error(&c, "d: must be between 0s and 1s"));
	ck_assert(has_error(&c, "n: must be a string"));
	ck_assert(has_error(&c, "t.json:1:1: absent: required key is missing"));
	ck_assert(has_error(&c, "s: must be one of: x, y"));
	ck_assert(has_error(&c, "i: must be true or false"));
	free(s);
	json_decref(root);
	conf_ctx_free(&c);
}
END_TEST

static Suite *
checkconf_suite(void)
{
	Suite *s = suite_create("checkconf");
	TCase *tb = tcase_create("bad");
	TCase *tg = tcase_create("good");
	TCase *ts = tcase_create("status");
	TCase *tc = tcase_create("conf");

	tcase_add_loop_test(tb, test_bad_checks, 0, (int)NELEM(bad));
	suite_add_tcase(s, tb);

	tcase_add_test(tg, test_minimal_defaults);
	tcase_add_test(tg, test_full_check);
	tcase_add_test(tg, test_single_status_forms);
	tcase_add_test(tg, test_defaults_applied);
	tcase_add_test(tg, test_inherited_timeout_fits_interval);
	tcase_add_test(tg, test_extra_keys);
	tcase_add_test(tg, test_empty_array);
	tcase_add_test(tg, test_fingerprint);
	tcase_add_test(tg, test_fingerprint_follows_defaults);
	tcase_add_test(tg, test_redirect_policy);
	tcase_add_test(tg, test_record_url_redacted);
	tcase_add_test(tg, test_header_secrets);
	tcase_add_test(tg, test_free_null);
	tcase_add_test(tg, test_parse_defaults);
	tcase_add_test(tg, test_parse_defaults_bad);
	suite_add_tcase(s, tg);

	tcase_add_loop_test(ts, test_status_item, 0, (int)NELEM(status_items));
	tcase_add_test(ts, test_status_ok);
	tcase_add_test(ts, test_layers_table);
	suite_add_tcase(s, ts);

	tcase_add_test(tc, test_conf_syntax_error);
	tcase_add_test(tc, test_conf_duplicate_key);
	tcase_add_test(tc, test_conf_nul_refused);
	tcase_add_test(tc, test_conf_top_not_object);
	tcase_add_test(tc, test_conf_missing_file);
	tcase_add_test(tc, test_conf_error_positions);
	tcase_add_test(tc, test_conf_getters);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(checkconf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
