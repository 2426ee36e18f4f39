/* test_expect: judging HTTP responses against expectations (agent/expect.h).
 * Expectations are built the way the agent builds them: from config JSON
 * through checkconf. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "checkconf.h"
#include "conf.h"
#include "expect.h"
#include "xmalloc.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char headers_block[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "cache-control:   max-age=300  \r\n"
    "Set-Cookie: a=1\r\n"
    "Set-Cookie: b=2\r\n"
    "Vary: a=1\r\n"
    "Vary: b=2\r\n"
    "X-Debug:1\r\n"
    "X-Empty:\r\n"
    "X-Long-Name: long\r\n"
    "\r\n";

static const char json_body[] =
    "{\"status\": \"ok\", \"n\": 3, \"r\": 1.5, \"t\": true, \"z\": null,\n"
    " \"big\": 9007199254740993,\n"
    " \"items\": [{\"id\": 7}, {\"id\": 8, \"tags\": [\"x\", \"y\"]}],\n"
    " \"checks\": {\"db\": \"up\", \"kv\": {\"lag\": 0}},\n"
    " \"a.b\": 1}";

/* The expectations of one check parsed from expect_json (freed by
 * checkconf_free_array(cc, 1)). */
static struct check_config *
mk_with(const char *extra, const char *expect_json)
{
	struct confctx c = { 0 };
	struct check_defaults d;
	struct check_config *cc = NULL;
	size_t n = 0;
	json_t *root;
	char *text = xasprintf("{\"checks\": [{\"name\": \"t\", \"url\": "
	    "\"http://x.test/\", %s\"expect\": %s}]}", extra, expect_json);

	checkconf_defaults_init(&d);
	ck_assert_msg(conf_load_string(&c, "t.json", text, &root) == 0,
	    "bad test JSON: %s", expect_json);
	if (checkconf_parse_array(&c, "checks", json_object_get(root, "checks"),
	    &d, NULL, &cc, &n) < 0)
		ck_abort_msg("expectation %s refused: %s", expect_json,
		    c.nerrs ? c.errs[0] : "?");
	json_decref(root);
	conf_ctx_free(&c);
	free(text);
	ck_assert_uint_eq(n, 1);
	return cc;
}

static struct check_config *
mk(const char *expect_json)
{
	return mk_with("", expect_json);
}

static int
eval(const struct check_config *cc, const struct http_response *resp,
    struct result *r)
{
	return expect_eval(&cc->expect, resp, cc->redact, cc->nredact, r);
}

static struct http_response
resp_of(long status, const char *headers, const char *body, int64_t total_us)
{
	struct http_response r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.headers = headers;
	r.headers_len = headers ? strlen(headers) : 0;
	r.body = body;
	r.body_len = body ? strlen(body) : 0;
	r.total_us = total_us;
	return r;
}

/* One table row: an expectation, a response, and the verdict. */
struct eval_case {
	const char	*name;
	const char	*expect;	/* config JSON of "expect" */
	long		 status;
	const char	*headers;
	const char	*body;
	int64_t		 total_us;
	enum errclass	 ec;		/* ERRCLASS_NONE: must pass */
	const char	*msg;		/* exact message when failing */
};

static void
run_case(const struct eval_case *t)
{
	struct check_config *cc = mk(t->expect);
	struct http_response resp = resp_of(t->status, t->headers, t->body, t->total_us);
	struct result r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.ok = true;
	r.error_class = ERRCLASS_NONE;
	snprintf(r.error, sizeof(r.error), "untouched");
	rc = eval(cc, &resp, &r);
	if (t->ec == ERRCLASS_NONE) {
		ck_assert_msg(rc == 0, "[%s] failed: %s: %s", t->name,
		    errclass_name(r.error_class), r.error);
		ck_assert(r.ok);
		ck_assert_int_eq(r.error_class, ERRCLASS_NONE);
		ck_assert_str_eq(r.error, "untouched");
	} else {
		ck_assert_msg(rc == -1, "[%s] passed", t->name);
		ck_assert(!r.ok);
		ck_assert_msg(r.error_class == t->ec, "[%s] class %s, want %s",
		    t->name, errclass_name(r.error_class), errclass_name(t->ec));
		ck_assert_msg(strcmp(r.error, t->msg) == 0,
		    "[%s] message\n  \"%s\"\nwant\n  \"%s\"", t->name, r.error, t->msg);
	}
	checkconf_free_array(cc, 1);
}

/* ---- status ---- */

static const struct eval_case status_cases[] = {
	{ "default 200", "{}", 200, NULL, NULL, 0, ERRCLASS_NONE, NULL },
	{ "default 204", "{}", 204, NULL, NULL, 0, ERRCLASS_NONE, NULL },
	{ "default 299", "{}", 299, NULL, NULL, 0, ERRCLASS_NONE, NULL },
	{ "default 301", "{}", 301, NULL, NULL, 0, ERRCLASS_HTTP_STATUS,
	  "HTTP status 301, expected 200-299" },
	{ "default 199", "{}", 199, NULL, NULL, 0, ERRCLASS_HTTP_STATUS,
	  "HTTP status 199, expected 200-299" },
	{ "default 503", "{}", 503, NULL, NULL, 0, ERRCLASS_HTTP_STATUS,
	  "HTTP status 503, expected 200-299" },
	{ "list hit code", "{\"status\": [200, \"300-399\"]}", 200, NULL, NULL, 0,
	  ERRCLASS_NONE, NULL },
	{ "list hit range", "{\"status\": [200, \"300-399\"]}", 302, NULL, NULL, 0,
	  ERRCLASS_NONE, NULL },
	{ "list miss", "{\"status\": [200, \"300-399\"]}", 201, NULL, NULL, 0,
	  ERRCLASS_HTTP_STATUS, "HTTP status 201, expected 200, 300-399" },
	{ "list miss 404", "{\"status\": [200, \"300-399\"]}", 404, NULL, NULL, 0,
	  ERRCLASS_HTTP_STATUS, "HTTP status 404, expected 200, 300-399" },
	{ "single code", "{\"status\": 404}", 404, NULL, NULL, 0, ERRCLASS_NONE, NULL },
	{ "single code miss", "{\"status\": 404}", 200, NULL, NULL, 0,
	  ERRCLASS_HTTP_STATUS, "HTTP status 200, expected 404" },
	{ "single range", "{\"status\": \"500-599\"}", 503, NULL, NULL, 0,
	  ERRCLASS_NONE, NULL },
	/* the status is judged first, before a failing body */
	{ "status before body", "{\"body_contains\": \"nope\"}", 500, NULL, "x", 0,
	  ERRCLASS_HTTP_STATUS, "HTTP status 500, expected 200-299" },
};

START_TEST(test_status)
{
	run_case(&status_cases[_i]);
}
END_TEST

/* ---- headers ---- */

static const struct eval_case header_cases[] = {
	{ "present", "{\"headers\": {\"Content-Type\": {\"present\": true}}}",
	  200, headers_block, NULL, 0, ERRCLASS_NONE, NULL },
	{ "present, name case differs",
	  "{\"headers\": {\"CONTENT-type\": {\"present\": true}}}",
	  200, headers_block, NULL, 0, ERRCLASS_NONE, NULL },
	{ "present, lower-case in response",
	  "{\"headers\": {\"Cache-Control\": {\"present\": true}}}",
	  200, headers_block, NULL, 0, ERRCLASS_NONE, NULL },
	{ "present, empty value", "{\"headers\": {\"X-Empty\": {\"present\": true}}}",
	  200, headers_block, NULL, 0, ERRCLASS_NONE, NULL },
	{ "present but missing", "{\"headers\": {\"X-Nope\": {\"present\": true}}}",
	  200, headers_block, NULL, 0, ERRCLASS_ASSERTION, "header X-Nope missing" },
	{ "prefix of a longer name is not the header",
	  "{\"headers\": {\"X-Long\": {\"present\": true}}}",
	  200, headers_block, NULL, 0, ERRCLASS_ASSERTION, "header X-Long missing" },
	{ "present, no headers kept", "{\"headers\": {\"A\": {\"present\": true}}}",
	  200, NULL, NULL, 0, ERRCLASS_ASSERTION, "header A missing" },
	{ "absent", "{\"headers\": {\"Server\": {\"present\": false}}}",
	  200, headers_block, NULL, 0, ERRCLASS_NONE, NULL },
	{ "absent but present", "{\"headers\": {\"x-debug\": {\"present\": false}}}",
	  200, headers_block, NULL, 0, ERRCLASS_ASSERTION,
	  "header x-debug present (\"1\"), expected absent" },
	{ "equals", "{\"headers\": {\"Content-Type\": {\"equals\": \"application/json\"}}}",
	  200, headers_block, NULL, 0, ERRCLASS_NONE, NULL },
	{ "equals, value trimmed",
	  "{\"headers\": {\"Cache-Control\": {\"equals\": \"max-age=300\"}}}",
	  200, headers_block, NULL, 0, ERRCLASS_NONE, NULL },
	{ "equals mismatch",
	  "{\"headers\": {\"Content-Type\": {\"equals\": \"text/html\"}}}",
	  200, headers_block, NULL, 0, ERRCLASS_ASSERTION,
	  "header Content-Type is \"application/json\", expected equal to \"text/html\"" },
	{ "equals is case-sensitive on the value",
	  "{\"headers\": {\"Content-Type\": {\"equals\": \"Application/JSON\"}}}",
	  200, headers_block, NULL, 0, ERRCLASS_ASSERTION,
	  "header Content-Type is \"application/json\", expected equal to "
	  "\"Application/JSON\"" },
	{ "equals missing", "{\"headers\": {\"X-A\": {\"equals\": \"v\"}}}",
	  200, headers_block, NULL, 0, ERRCLASS_ASSERTION,
	  "header X-A missing (expected equal to \"v\")" },
	{ "equals, second of two values",
	  "{\"headers\": {\"Set-Cookie\": {\"equals\": \"b=2\"}}}",
	  200, headers_block, NULL, 0, ERRCLASS_NONE, NULL },
	{ "equals, none of two values",
	  "{\"headers\": {\"vary\": {\"equals\": \"c=3\"}}}",
	  200, headers_block, NULL, 0, ERRCLASS_ASSERTION,
	  "header vary is \"a=1\", expected equal to \"c=3\"" },
	{ "equals, none of two values, a credential header",
	  "{\"headers\": {\"set-cookie\": {\"equals\": \"c=3\"}}}",
	  200, headers_block, NULL, 0, ERRCLASS_ASSERTION,
	  "header set-cookie is \"REDACTED\", expected equal to \"REDACTED\"" },
	{ "regex", "{\"headers\": {\"Cache-Control\": {\"regex\": \"max-age=[0-9]+\"}}}",
	  200, headers_block, NULL, 0, ERRCLASS_NONE, NULL },
	{ "regex anchored", "{\"headers\": {\"Cache-Control\": {\"regex\": \"^max-age=300$\"}}}",
	  200, headers_block, NULL, 0, ERRCLASS_NONE, NULL },
	{ "regex mismatch", "{\"headers\": {\"Cache-Control\": {\"regex\": \"no-cache\"}}}",
	  200, headers_block, NULL, 0, ERRCLASS_ASSERTION,
	  "header Cache-Control is \"max-age=300\", expected matching \"no-cache\"" },
	{ "regex, second of two values",
	  "{\"headers\": {\"Set-Cookie\": {\"regex\": \"^b=\"}}}",
	  200, headers_block, NULL, 0, ERRCLASS_NONE, NULL },
	{ "regex missing", "{\"headers\": {\"ETag\": {\"regex\": \".\"}}}",
	  200, headers_block, NULL, 0, ERRCLASS_ASSERTION,
	  "header ETag missing (expected matching \".\")" },
	{ "absent, one of two values",
	  "{\"headers\": {\"Vary\": {\"present\": false}}}",
	  200, headers_block, NULL, 0, ERRCLASS_ASSERTION,
	  "header Vary present (\"b=2\"), expected absent" },
	{ "last line without a newline",
	  "{\"headers\": {\"X-Last\": {\"equals\": \"end\"}}}",
	  200, "HTTP/1.1 200 OK\r\nX-Last: end", NULL, 0, ERRCLASS_NONE, NULL },
	{ "status line is not a header", "{\"headers\": {\"HTTP/1.1 200 OK\": "
	  "{\"present\": true}}}",
	  200, headers_block, NULL, 0, ERRCLASS_ASSERTION,
	  "header HTTP/1.1 200 OK missing" },
};

START_TEST(test_headers)
{
	run_case(&header_cases[_i]);
}
END_TEST

/* ---- body ---- */

static const struct eval_case body_cases[] = {
	{ "contains", "{\"body_contains\": \"<div id=\\\"app\\\">\"}", 200, NULL,
	  "<html><div id=\"app\"></div></html>", 0, ERRCLASS_NONE, NULL },
	{ "contains missing", "{\"body_contains\": \"xyz\"}", 200, NULL,
	  "abc", 0, ERRCLASS_BODY, "body does not contain \"xyz\"" },
	{ "contains, no body kept", "{\"body_contains\": \"a\"}", 200, NULL,
	  NULL, 0, ERRCLASS_BODY, "body does not contain \"a\"" },
	{ "contains, case matters", "{\"body_contains\": \"OK\"}", 200, NULL,
	  "ok", 0, ERRCLASS_BODY, "body does not contain \"OK\"" },
	{ "regex", "{\"body_regex\": \"\\\"status\\\" *: *\\\"ok\\\"\"}", 200, NULL,
	  json_body, 0, ERRCLASS_NONE, NULL },
	{ "regex mismatch", "{\"body_regex\": \"^ok$\"}", 200, NULL,
	  "not ok", 0, ERRCLASS_BODY, "body does not match /^ok$/" },
	{ "regex on an empty body", "{\"body_regex\": \"x\"}", 200, NULL,
	  NULL, 0, ERRCLASS_BODY, "body does not match /x/" },
	{ "regex extended syntax", "{\"body_regex\": \"v[0-9]+\\\\.[0-9]+\"}", 200, NULL,
	  "version v12.3", 0, ERRCLASS_NONE, NULL },
	{ "contains before regex", "{\"body_contains\": \"a\", \"body_regex\": \"b\"}",
	  200, NULL, "c", 0, ERRCLASS_BODY, "body does not contain \"a\"" },
};

START_TEST(test_body)
{
	run_case(&body_cases[_i]);
}
END_TEST

/* ---- JSON ---- */

static const struct eval_case json_cases[] = {
	{ "string", "{\"json\": {\"status\": \"ok\"}}", 200, NULL, json_body, 0,
	  ERRCLASS_NONE, NULL },
	{ "several", "{\"json\": {\"status\": \"ok\", \"checks.db\": \"up\", "
	  "\"checks.kv.lag\": 0, \"t\": true, \"z\": null}}", 200, NULL, json_body, 0,
	  ERRCLASS_NONE, NULL },
	{ "array index", "{\"json\": {\"items.1.id\": 8, \"items.0.id\": 7}}", 200, NULL,
	  json_body, 0, ERRCLASS_NONE, NULL },
	{ "nested array index", "{\"json\": {\"items.1.tags.1\": \"y\"}}", 200, NULL,
	  json_body, 0, ERRCLASS_NONE, NULL },
	{ "int equals real", "{\"json\": {\"n\": 3.0}}", 200, NULL, json_body, 0,
	  ERRCLASS_NONE, NULL },
	{ "real equals int", "{\"json\": {\"r\": 1.5}}", 200, "", "{\"r\": 1.50}", 0,
	  ERRCLASS_NONE, NULL },
	{ "real equals int, other way", "{\"json\": {\"n\": 2}}", 200, NULL,
	  "{\"n\": 2.0}", 0, ERRCLASS_NONE, NULL },
	{ "whole object", "{\"json\": {\"checks.kv\": {\"lag\": 0}}}", 200, NULL,
	  json_body, 0, ERRCLASS_NONE, NULL },
	{ "number differs", "{\"json\": {\"n\": 4}}", 200, NULL, json_body, 0,
	  ERRCLASS_BODY, "JSON n is 3, expected 4" },
	{ "real differs", "{\"json\": {\"r\": 1.25}}", 200, NULL, json_body, 0,
	  ERRCLASS_BODY, "JSON r is 1.5, expected 1.25" },
	{ "big integers compare exactly", "{\"json\": {\"big\": 9007199254740992}}",
	  200, NULL, json_body, 0, ERRCLASS_BODY,
	  "JSON big is 9007199254740993, expected 9007199254740992" },
	{ "type differs", "{\"json\": {\"n\": \"3\"}}", 200, NULL, json_body, 0,
	  ERRCLASS_BODY, "JSON n is 3, expected \"3\"" },
	{ "string differs", "{\"json\": {\"checks.db\": \"up\"}}", 200, NULL,
	  "{\"checks\": {\"db\": \"down\"}}", 0, ERRCLASS_BODY,
	  "JSON checks.db is \"down\", expected \"up\"" },
	{ "missing path", "{\"json\": {\"nope.x\": 1}}", 200, NULL, json_body, 0,
	  ERRCLASS_BODY, "JSON nope.x missing (expected 1)" },
	{ "index out of range", "{\"json\": {\"items.5.id\": 1}}", 200, NULL,
	  json_body, 0, ERRCLASS_BODY, "JSON items.5.id missing (expected 1)" },
	{ "index not a number", "{\"json\": {\"items.first.id\": 7}}", 200, NULL,
	  json_body, 0, ERRCLASS_BODY, "JSON items.first.id missing (expected 7)" },
	{ "through a scalar", "{\"json\": {\"status.x\": \"ok\"}}", 200, NULL,
	  json_body, 0, ERRCLASS_BODY, "JSON status.x missing (expected \"ok\")" },
	{ "a dotted key is a path, not a key", "{\"json\": {\"a.b\": 1}}", 200, NULL,
	  json_body, 0, ERRCLASS_BODY, "JSON a.b missing (expected 1)" },
	{ "not JSON", "{\"json\": {\"status\": \"ok\"}}", 200, NULL,
	  "<html>oops</html>", 0, ERRCLASS_BODY, NULL },
	{ "empty body", "{\"json\": {\"status\": \"ok\"}}", 200, NULL, NULL, 0,
	  ERRCLASS_BODY, NULL },
	{ "scalar document", "{\"json\": {\"x\": 1}}", 200, NULL, "42", 0,
	  ERRCLASS_BODY, "JSON x missing (expected 1)" },
	{ "first failure reported", "{\"json\": {\"status\": \"bad\"}}", 200, NULL,
	  json_body, 0, ERRCLASS_BODY, "JSON status is \"ok\", expected \"bad\"" },
};

START_TEST(test_json)
{
	struct eval_case t = json_cases[_i];

	if (t.msg == NULL && t.ec != ERRCLASS_NONE) {
		/* only the start of the message is ours; jansson words the rest */
		struct check_config *cc = mk(t.expect);
		struct http_response resp = resp_of(t.status, t.headers, t.body, 0);
		struct result r;

		memset(&r, 0, sizeof(r));
		ck_assert_int_eq(eval(cc, &resp, &r), -1);
		ck_assert_int_eq(r.error_class, t.ec);
		ck_assert_msg(strncmp(r.error, "body is not JSON (line 1: ", 26) == 0,
		    "got %s", r.error);
		checkconf_free_array(cc, 1);
		return;
	}
	run_case(&t);
}
END_TEST

/* ---- latency ---- */

static const struct eval_case latency_cases[] = {
	{ "under", "{\"max_latency\": \"100ms\"}", 200, NULL, NULL, 99000,
	  ERRCLASS_NONE, NULL },
	{ "exactly at", "{\"max_latency\": \"100ms\"}", 200, NULL, NULL, 100000,
	  ERRCLASS_NONE, NULL },
	{ "just over", "{\"max_latency\": \"100ms\"}", 200, NULL, NULL, 100001,
	  ERRCLASS_ASSERTION, "took 100 ms, max_latency is 100 ms" },
	{ "over", "{\"max_latency\": \"100ms\"}", 200, NULL, NULL, 150000,
	  ERRCLASS_ASSERTION, "took 150 ms, max_latency is 100 ms" },
	{ "seconds", "{\"max_latency\": \"2s\"}", 200, NULL, NULL, 2500000,
	  ERRCLASS_ASSERTION, "took 2500 ms, max_latency is 2000 ms" },
	{ "no bound", "{}", 200, NULL, NULL, 3600000000LL, ERRCLASS_NONE, NULL },
	{ "body judged before latency",
	  "{\"max_latency\": \"1ms\", \"body_contains\": \"x\"}", 200, NULL, "y", 5000,
	  ERRCLASS_BODY, "body does not contain \"x\"" },
};

START_TEST(test_latency)
{
	run_case(&latency_cases[_i]);
}
END_TEST

/* ---- what must be kept ---- */

START_TEST(test_needs)
{
	struct check_config *cc;

	cc = mk("{}");
	ck_assert(!expect_needs_body(&cc->expect));
	ck_assert(!expect_needs_headers(&cc->expect));
	checkconf_free_array(cc, 1);
	cc = mk("{\"status\": 200, \"max_latency\": \"1s\"}");
	ck_assert(!expect_needs_body(&cc->expect));
	ck_assert(!expect_needs_headers(&cc->expect));
	checkconf_free_array(cc, 1);
	cc = mk("{\"body_contains\": \"x\"}");
	ck_assert(expect_needs_body(&cc->expect));
	checkconf_free_array(cc, 1);
	cc = mk("{\"body_regex\": \"x\"}");
	ck_assert(expect_needs_body(&cc->expect));
	checkconf_free_array(cc, 1);
	cc = mk("{\"json\": {\"a\": 1}}");
	ck_assert(expect_needs_body(&cc->expect));
	ck_assert(!expect_needs_headers(&cc->expect));
	checkconf_free_array(cc, 1);
	cc = mk("{\"headers\": {\"A\": {\"present\": false}}}");
	ck_assert(!expect_needs_body(&cc->expect));
	ck_assert(expect_needs_headers(&cc->expect));
	checkconf_free_array(cc, 1);
}
END_TEST

/* ---- expect_header_value ---- */

START_TEST(test_header_value)
{
	char out[64];
	size_t len = strlen(headers_block);

	ck_assert_int_eq(expect_header_value(headers_block, len, "content-type", 0,
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, "application/json");
	ck_assert_int_eq(expect_header_value(headers_block, len, "Cache-Control", 0,
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, "max-age=300");
	ck_assert_int_eq(expect_header_value(headers_block, len, "X-Debug", 0,
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, "1");
	ck_assert_int_eq(expect_header_value(headers_block, len, "X-Empty", 0,
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	/* the n-th of repeated headers */
	ck_assert_int_eq(expect_header_value(headers_block, len, "Set-Cookie", 0,
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a=1");
	ck_assert_int_eq(expect_header_value(headers_block, len, "SET-COOKIE", 1,
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, "b=2");
	ck_assert_int_eq(expect_header_value(headers_block, len, "Set-Cookie", 2,
	    out, sizeof(out)), -1);
	/* absent, and names that only share a prefix */
	ck_assert_int_eq(expect_header_value(headers_block, len, "X-None", 0,
	    out, sizeof(out)), -1);
	ck_assert_int_eq(expect_header_value(headers_block, len, "Content", 0,
	    out, sizeof(out)), -1);
	ck_assert_int_eq(expect_header_value(headers_block, len, "Content-Type-X", 0,
	    out, sizeof(out)), -1);
	ck_assert_int_eq(expect_header_value(NULL, 0, "A", 0, out, sizeof(out)), -1);
	ck_assert_int_eq(expect_header_value("", 0, "A", 0, out, sizeof(out)), -1);
}
END_TEST

START_TEST(test_header_value_bounds)
{
	static const char h[] = "A: 0123456789\r\nB: x";
	char out[5];

	memset(out, 'Z', sizeof(out));
	ck_assert_int_eq(expect_header_value(h, strlen(h), "A", 0, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "0123");
	/* only len bytes are looked at */
	ck_assert_int_eq(expect_header_value(h, 10, "A", 0, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "0123");
	ck_assert_int_eq(expect_header_value(h, 15, "B", 0, out, sizeof(out)), -1);
	ck_assert_int_eq(expect_header_value(h, strlen(h), "B", 0, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "x");
	ck_assert_int_eq(expect_header_value(h, strlen(h), "A", 0, out, 0), -1);
}
END_TEST

/* ---- expect_json_path ---- */

START_TEST(test_json_path)
{
	json_error_t je;
	json_t *doc = json_loads(json_body, 0, &je), *v;

	ck_assert_msg(doc != NULL, "%s", je.text);
	ck_assert_ptr_eq(expect_json_path(doc, ""), doc);
	v = expect_json_path(doc, "status");
	ck_assert_str_eq(json_string_value(v), "ok");
	v = expect_json_path(doc, "checks.kv.lag");
	ck_assert(json_is_integer(v));
	ck_assert_int_eq(json_integer_value(v), 0);
	v = expect_json_path(doc, "items.0.id");
	ck_assert_int_eq(json_integer_value(v), 7);
	v = expect_json_path(doc, "items.1.tags.0");
	ck_assert_str_eq(json_string_value(v), "x");
	v = expect_json_path(doc, "items.1");
	ck_assert(json_is_object(v));
	v = expect_json_path(doc, "z");
	ck_assert(json_is_null(v));
	/* absent */
	ck_assert_ptr_null(expect_json_path(doc, "nope"));
	ck_assert_ptr_null(expect_json_path(doc, "items.2"));
	ck_assert_ptr_null(expect_json_path(doc, "items.-1"));
	ck_assert_ptr_null(expect_json_path(doc, "items.+1"));
	ck_assert_ptr_null(expect_json_path(doc, "items. 1"));
	ck_assert_ptr_null(expect_json_path(doc, "items.1x"));
	ck_assert_ptr_null(expect_json_path(doc, "items.99999999999999999999999"));
	ck_assert_ptr_null(expect_json_path(doc, "status.0"));
	ck_assert_ptr_null(expect_json_path(doc, "a.b"));
	ck_assert_ptr_null(expect_json_path(NULL, "a"));
	json_decref(doc);
}
END_TEST

START_TEST(test_json_path_top_array)
{
	json_t *doc = json_loads("[[1, 2], {\"k\": [3]}]", 0, NULL);

	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(json_integer_value(expect_json_path(doc, "0.1")), 2);
	ck_assert_int_eq(json_integer_value(expect_json_path(doc, "1.k.0")), 3);
	ck_assert_ptr_null(expect_json_path(doc, "k"));
	ck_assert_ptr_null(expect_json_path(doc, "2"));
	json_decref(doc);
}
END_TEST

START_TEST(test_json_path_long_part)
{
	char path[400];
	json_t *doc = json_object();

	memset(path, 'k', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	json_object_set_new(doc, path, json_true());
	/* a part longer than the lookup supports is not found (no overflow) */
	ck_assert_ptr_null(expect_json_path(doc, path));
	json_decref(doc);
}
END_TEST

/* Quoted values are kept short in messages. */
START_TEST(test_long_json_value_shortened)
{
	char body[600];
	struct check_config *cc = mk("{\"json\": {\"s\": \"short\"}}");
	struct http_response resp;
	struct result r;

	snprintf(body, sizeof(body), "{\"s\": \"%0300d\"}", 0);
	resp = resp_of(200, NULL, body, 0);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(eval(cc, &resp, &r), -1);
	ck_assert_ptr_nonnull(strstr(r.error, "...,"));
	ck_assert_ptr_nonnull(strstr(r.error, "expected \"short\""));
	ck_assert_uint_lt(strlen(r.error), 200);
	checkconf_free_array(cc, 1);
}
END_TEST

/* What a target sends is quoted up to RESULT_ECHO_MAX bytes, then "...":
 * header values, JSON values, jansson's words about a body that is not
 * JSON. */
START_TEST(test_echoes_capped)
{
	static const char *const expects[] = {
		"{\"headers\": {\"X-Long\": {\"equals\": \"short\"}}}",
		"{\"headers\": {\"X-Long\": {\"present\": false}}}",
		"{\"json\": {\"s\": \"short\"}}",
		"{\"json\": {\"s\": \"short\"}}",
	};
	char *val = xmalloc(5001), *hdr, *body;
	char want[RESULT_ECHO_MAX + 4];

	memset(val, 'v', 5000);
	val[5000] = '\0';
	hdr = xasprintf("HTTP/1.1 200 OK\r\nX-Long: %s\r\n\r\n", val);
	body = xasprintf("{\"s\": \"%s\"}", val);
	for (size_t i = 0; i < NELEM(expects); i++) {
		struct check_config *cc = mk(expects[i]);
		struct http_response resp = resp_of(200, i < 2 ? hdr : NULL,
		    i == 3 ? "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
		    "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv not json" : body, 0);
		struct result r;

		memset(&r, 0, sizeof(r));
		ck_assert_int_eq(eval(cc, &resp, &r), -1);
		/* 64 bytes of the value, then the ellipsis, never more */
		memset(want, 'v', RESULT_ECHO_MAX - (i == 2 ? 1 : 0));
		want[RESULT_ECHO_MAX - (i == 2 ? 1 : 0)] = '\0';
		if (i < 3) {
			ck_assert_msg(strstr(r.error, want) != NULL &&
			    strstr(r.error, "...") != NULL, "[%zu] %s", i, r.error);
			memset(want, 'v', RESULT_ECHO_MAX + 1);
			want[RESULT_ECHO_MAX + 1] = '\0';
			ck_assert_msg(strstr(r.error, want) == NULL, "[%zu] %s", i, r.error);
		}
		ck_assert_msg(strlen(r.error) < 160, "[%zu] %zu bytes: %s", i,
		    strlen(r.error), r.error);
		checkconf_free_array(cc, 1);
	}
	free(val);
	free(hdr);
	free(body);
}
END_TEST

/* Credential headers, the check's redact names (headers and the last part
 * of a JSON path) are never quoted. */
START_TEST(test_redacted_values)
{
	static const struct {
		const char	*extra, *expect, *headers, *body, *want;
	} cases[] = {
		{ "", "{\"headers\": {\"Set-Cookie\": {\"equals\": \"a=b\"}}}",
		  "HTTP/1.1 200 OK\r\nSet-Cookie: session=s3cr3t\r\n\r\n", NULL,
		  "header Set-Cookie is \"REDACTED\", expected equal to \"REDACTED\"" },
		{ "", "{\"headers\": {\"authorization\": {\"present\": false}}}",
		  "HTTP/1.1 200 OK\r\nAuthorization: Bearer s3cr3t\r\n\r\n", NULL,
		  "header authorization present (\"REDACTED\"), expected absent" },
		{ "\"redact\": [\"x-api-key\"], ",
		  "{\"headers\": {\"X-Api-Key\": {\"regex\": \"^k\"}}}",
		  "HTTP/1.1 200 OK\r\nX-API-Key: s3cr3t\r\n\r\n", NULL,
		  "header X-Api-Key is \"REDACTED\", expected matching \"REDACTED\"" },
		{ "\"redact\": [\"token\"], ", "{\"json\": {\"auth.token\": \"k\"}}",
		  NULL, "{\"auth\": {\"token\": \"s3cr3t\"}}",
		  "JSON auth.token is REDACTED, expected REDACTED" },
		/* a secret header's name is redacted by itself */
		{ "\"headers\": {\"X-Token\": \"env:VANTAGE_TEST_TOKEN\"}, ",
		  "{\"headers\": {\"X-Token\": {\"equals\": \"k\"}}}",
		  "HTTP/1.1 200 OK\r\nX-Token: s3cr3t\r\n\r\n", NULL,
		  "header X-Token is \"REDACTED\", expected equal to \"REDACTED\"" },
		/* others are shown */
		{ "\"redact\": [\"token\"], ", "{\"json\": {\"auth.user\": \"k\"}}",
		  NULL, "{\"auth\": {\"user\": \"bob\"}}",
		  "JSON auth.user is \"bob\", expected \"k\"" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct check_config *cc = mk_with(cases[i].extra, cases[i].expect);
		struct http_response resp = resp_of(200, cases[i].headers,
		    cases[i].body, 0);
		struct result r;

		memset(&r, 0, sizeof(r));
		ck_assert_int_eq(eval(cc, &resp, &r), -1);
		ck_assert_msg(strcmp(r.error, cases[i].want) == 0, "[%zu] \"%s\", "
		    "want \"%s\"", i, r.error, cases[i].want);
		ck_assert(strstr(r.error, "s3cr3t") == NULL);
		checkconf_free_array(cc, 1);
	}
}
END_TEST

static Suite *
expect_suite(void)
{
	Suite *s = suite_create("expect");
	TCase *te = tcase_create("eval");
	TCase *th = tcase_create("helpers");

	tcase_add_loop_test(te, test_status, 0, (int)NELEM(status_cases));
	tcase_add_loop_test(te, test_headers, 0, (int)NELEM(header_cases));
	tcase_add_loop_test(te, test_body, 0, (int)NELEM(body_cases));
	tcase_add_loop_test(te, test_json, 0, (int)NELEM(json_cases));
	tcase_add_loop_test(te, test_latency, 0, (int)NELEM(latency_cases));
	tcase_add_test(te, test_long_json_value_shortened);
	tcase_add_test(te, test_echoes_capped);
	tcase_add_test(te, test_redacted_values);
	suite_add_tcase(s, te);
	tcase_add_test(th, test_needs);
	tcase_add_test(th, test_header_value);
	tcase_add_test(th, test_header_value_bounds);
	tcase_add_test(th, test_json_path);
	tcase_add_test(th, test_json_path_top_array);
	tcase_add_test(th, test_json_path_long_part);
	suite_add_tcase(s, th);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(expect_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
