/* test_result: the result record's JSON form (lib/result.h), field for
 * field as DESIGN.md lists it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "redact.h"
#include "result.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* DESIGN.md's record, in its order, plus "truncated". */
static const char *const fields[] = {
	"check", "kind", "service", "layer", "provider", "url",
	"agent", "region", "seq", "ts", "ok", "error_class", "error",
	"status", "http_version", "ip", "bytes",
	"dns_us", "connect_us", "tls_us", "processing_us", "transfer_us",
	"total_us", "attempts", "cert_not_after", "truncated",
};

static void
fill_ok(struct result *r)
{
	memset(r, 0, sizeof(*r));
	r->check = "micro-health";
	r->kind = "http";
	r->service = "micro";
	r->layer = "front_door";
	r->provider = "cloudflare";
	r->url = "https://micro.example.com/healthz";
	r->agent = "eu-1";
	r->region = "eu-central";
	r->seq = 42;
	r->ts_ms = 1700000000123LL;
	r->ok = true;
	r->error_class = ERRCLASS_NONE;
	r->status = 200;
	snprintf(r->http_version, sizeof(r->http_version), "2");
	snprintf(r->ip, sizeof(r->ip), "2606:4700::1");
	r->bytes = 512;
	r->dns_us = 1000;
	r->connect_us = 2000;
	r->tls_us = 3000;
	r->processing_us = 4000;
	r->transfer_us = 500;
	r->total_us = 10500;
	r->attempts = 1;
	r->cert_not_after = 1760000000;
}

static void
assert_field_set(json_t *o)
{
	const char *key;
	json_t *v;

	ck_assert(json_is_object(o));
	for (size_t i = 0; i < NELEM(fields); i++)
		ck_assert_msg(json_object_get(o, fields[i]) != NULL,
		    "field \"%s\" missing", fields[i]);
	json_object_foreach(o, key, v) {
		size_t i;
		for (i = 0; i < NELEM(fields); i++)
			if (strcmp(fields[i], key) == 0)
				break;
		ck_assert_msg(i < NELEM(fields), "unexpected field \"%s\"", key);
	}
	ck_assert_uint_eq(json_object_size(o), NELEM(fields));
}

static int64_t
int_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_integer(v), "%s is not an integer", key);
	return json_integer_value(v);
}

static const char *
str_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_string(v), "%s is not a string", key);
	return json_string_value(v);
}

START_TEST(test_fields_ok)
{
	struct result r;
	json_t *o;

	fill_ok(&r);
	o = result_to_json(&r);
	assert_field_set(o);
	ck_assert_str_eq(str_of(o, "check"), "micro-health");
	ck_assert_str_eq(str_of(o, "kind"), "http");
	ck_assert_str_eq(str_of(o, "service"), "micro");
	ck_assert_str_eq(str_of(o, "layer"), "front_door");
	ck_assert_str_eq(str_of(o, "provider"), "cloudflare");
	ck_assert_str_eq(str_of(o, "url"), "https://micro.example.com/healthz");
	ck_assert_str_eq(str_of(o, "agent"), "eu-1");
	ck_assert_str_eq(str_of(o, "region"), "eu-central");
	ck_assert_int_eq(int_of(o, "seq"), 42);
	ck_assert_int_eq(int_of(o, "ts"), 1700000000123LL);
	ck_assert(json_is_true(json_object_get(o, "ok")));
	ck_assert(json_is_null(json_object_get(o, "error_class")));
	ck_assert(json_is_null(json_object_get(o, "error")));
	ck_assert_int_eq(int_of(o, "status"), 200);
	ck_assert_str_eq(str_of(o, "http_version"), "2");
	ck_assert_str_eq(str_of(o, "ip"), "2606:4700::1");
	ck_assert_int_eq(int_of(o, "bytes"), 512);
	ck_assert_int_eq(int_of(o, "dns_us"), 1000);
	ck_assert_int_eq(int_of(o, "connect_us"), 2000);
	ck_assert_int_eq(int_of(o, "tls_us"), 3000);
	ck_assert_int_eq(int_of(o, "processing_us"), 4000);
	ck_assert_int_eq(int_of(o, "transfer_us"), 500);
	ck_assert_int_eq(int_of(o, "total_us"), 10500);
	ck_assert_int_eq(int_of(o, "attempts"), 1);
	ck_assert_int_eq(int_of(o, "cert_not_after"), 1760000000);
	ck_assert(json_is_false(json_object_get(o, "truncated")));
	json_decref(o);
}
END_TEST

START_TEST(test_fields_failed)
{
	struct result r;
	json_t *o;

	fill_ok(&r);
	r.status = 0;
	r.cert_not_after = 0;
	r.http_version[0] = '\0';
	r.ip[0] = '\0';
	r.attempts = 3;
	r.truncated = true;
	result_fail(&r, ERRCLASS_TIMEOUT, "Operation timed out after %d ms", 10000);
	o = result_to_json(&r);
	assert_field_set(o);
	ck_assert(json_is_false(json_object_get(o, "ok")));
	ck_assert_str_eq(str_of(o, "error_class"), "timeout");
	ck_assert_str_eq(str_of(o, "error"), "Operation timed out after 10000 ms");
	ck_assert(json_is_null(json_object_get(o, "status")));
	ck_assert(json_is_null(json_object_get(o, "cert_not_after")));
	ck_assert(json_is_null(json_object_get(o, "http_version")));
	ck_assert(json_is_null(json_object_get(o, "ip")));
	ck_assert_int_eq(int_of(o, "attempts"), 3);
	ck_assert(json_is_true(json_object_get(o, "truncated")));
	json_decref(o);
}
END_TEST

/* Every class is written by its wire name. */
START_TEST(test_every_class)
{
	static const char *const names[] = {
		NULL, "dns", "connect", "tls", "timeout", "http_status", "assertion",
		"body", "internal", "consistency",
	};
	struct result r;

	for (int ec = ERRCLASS_DNS; ec < ERRCLASS_COUNT; ec++) {
		json_t *o;

		fill_ok(&r);
		result_fail(&r, (enum errclass)ec, "x");
		o = result_to_json(&r);
		ck_assert_str_eq(str_of(o, "error_class"), names[ec]);
		assert_field_set(o);
		json_decref(o);
	}
}
END_TEST

/* A failure a caller forgot to classify still says it failed. */
START_TEST(test_failed_without_class)
{
	struct result r;
	json_t *o;

	fill_ok(&r);
	r.ok = false;
	r.error_class = ERRCLASS_NONE;
	snprintf(r.error, sizeof(r.error), "something");
	o = result_to_json(&r);
	assert_field_set(o);
	ck_assert_str_eq(str_of(o, "error_class"), "internal");
	ck_assert_str_eq(str_of(o, "error"), "something");
	json_decref(o);
}
END_TEST

/* Ok results never carry an error, even a stale one. */
START_TEST(test_ok_hides_error)
{
	struct result r;
	json_t *o;

	fill_ok(&r);
	r.error_class = ERRCLASS_TIMEOUT;
	snprintf(r.error, sizeof(r.error), "stale");
	o = result_to_json(&r);
	ck_assert(json_is_null(json_object_get(o, "error_class")));
	ck_assert(json_is_null(json_object_get(o, "error")));
	json_decref(o);
}
END_TEST

/* Optional labels that are unset or empty are null; fields are never
 * dropped. */
START_TEST(test_null_labels)
{
	struct result r;
	json_t *o;

	fill_ok(&r);
	r.service = NULL;
	r.layer = "";
	r.provider = NULL;
	r.url = NULL;
	r.region = "";
	o = result_to_json(&r);
	assert_field_set(o);
	ck_assert(json_is_null(json_object_get(o, "service")));
	ck_assert(json_is_null(json_object_get(o, "layer")));
	ck_assert(json_is_null(json_object_get(o, "provider")));
	ck_assert(json_is_null(json_object_get(o, "url")));
	ck_assert(json_is_null(json_object_get(o, "region")));
	json_decref(o);

	/* even the required ones: present as null rather than missing */
	memset(&r, 0, sizeof(r));
	o = result_to_json(&r);
	assert_field_set(o);
	ck_assert(json_is_null(json_object_get(o, "check")));
	ck_assert(json_is_null(json_object_get(o, "agent")));
	json_decref(o);
}
END_TEST

/* Zero phases are 0, not null. */
START_TEST(test_zero_phases)
{
	struct result r;
	json_t *o;

	fill_ok(&r);
	r.dns_us = r.connect_us = r.tls_us = r.processing_us = r.transfer_us = 0;
	r.bytes = 0;
	r.seq = 0;
	o = result_to_json(&r);
	ck_assert_int_eq(int_of(o, "dns_us"), 0);
	ck_assert_int_eq(int_of(o, "tls_us"), 0);
	ck_assert_int_eq(int_of(o, "transfer_us"), 0);
	ck_assert_int_eq(int_of(o, "bytes"), 0);
	ck_assert_int_eq(int_of(o, "seq"), 0);
	json_decref(o);
}
END_TEST

START_TEST(test_line)
{
	struct result r;
	char *line;
	json_t *back, *o;

	fill_ok(&r);
	result_fail(&r, ERRCLASS_HTTP_STATUS, "HTTP status %d, expected %s", 503,
	    "200-299");
	line = result_to_line(&r);
	ck_assert_ptr_null(strchr(line, '\n'));
	/* compact, in the record's order */
	ck_assert_msg(strncmp(line, "{\"check\":\"micro-health\",\"kind\":\"http\","
	    "\"service\":\"micro\"", 50) == 0, "line: %s", line);
	back = json_loads(line, 0, NULL);
	ck_assert_ptr_nonnull(back);
	o = result_to_json(&r);
	ck_assert(json_equal(back, o));
	ck_assert_str_eq(str_of(back, "error"), "HTTP status 503, expected 200-299");
	json_decref(back);
	json_decref(o);
	free(line);
}
END_TEST

START_TEST(test_line_order)
{
	struct result r;
	char *line;
	const char *prev = NULL;

	fill_ok(&r);
	line = result_to_line(&r);
	for (size_t i = 0; i + 1 < NELEM(fields); i++) {
		char key[64];
		const char *at;

		snprintf(key, sizeof(key), "\"%s\":", fields[i]);
		at = strstr(line, key);
		ck_assert_msg(at != NULL, "%s missing from %s", key, line);
		ck_assert_msg(prev == NULL || at > prev, "%s out of order", key);
		prev = at;
	}
	free(line);
}
END_TEST

START_TEST(test_fail_formats_and_caps)
{
	struct result r;
	char big[600];

	fill_ok(&r);
	result_fail(&r, ERRCLASS_BODY, "JSON %s is %d", "n", 3);
	ck_assert(!r.ok);
	ck_assert_int_eq(r.error_class, ERRCLASS_BODY);
	ck_assert_str_eq(r.error, "JSON n is 3");
	memset(big, 'e', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	result_fail(&r, ERRCLASS_CONNECT, "%s", big);
	ck_assert_int_eq(r.error_class, ERRCLASS_CONNECT);
	ck_assert_uint_eq(strlen(r.error), sizeof(r.error) - 1);
}
END_TEST

/* A message cut at the cap inside a multi-byte character, or quoting bytes
 * that are not UTF-8 (a server's header), still yields an "error" string:
 * jansson refuses invalid UTF-8, which once dropped the field silently. */
START_TEST(test_error_utf8_safe)
{
	struct result r;
	char msg[400];
	size_t off = 0;
	json_t *o;
	const char *e;

	/* 1 + 127 * 2 = 255 bytes fit; the 128th "é" is cut in half */
	msg[off++] = 'x';
	for (int i = 0; i < 150; i++) {
		msg[off++] = (char)0xC3;
		msg[off++] = (char)0xA9;
	}
	msg[off] = '\0';
	fill_ok(&r);
	result_fail(&r, ERRCLASS_BODY, "%s", msg);
	ck_assert_uint_eq(strlen(r.error), 255);	/* the half is dropped */
	o = result_to_json(&r);
	assert_field_set(o);
	e = str_of(o, "error");
	ck_assert_uint_eq(strlen(e), 255);
	ck_assert_int_eq((unsigned char)e[254], 0xA9);
	json_decref(o);

	fill_ok(&r);
	result_fail(&r, ERRCLASS_ASSERTION, "header X is \"%s\"", "caf\xe9 \xff\xfe ok");
	o = result_to_json(&r);
	assert_field_set(o);
	ck_assert_str_eq(str_of(o, "error"), "header X is \"caf? ?? ok\"");
	json_decref(o);

	/* valid multi-byte text passes unchanged */
	fill_ok(&r);
	result_fail(&r, ERRCLASS_BODY, "body does not contain \"%s\"",
	    "\xe2\x82\xac \xf0\x9f\x98\x80");
	o = result_to_json(&r);
	ck_assert_str_eq(str_of(o, "error"),
	    "body does not contain \"\xe2\x82\xac \xf0\x9f\x98\x80\"");
	json_decref(o);
}
END_TEST

/* Labels that are not UTF-8 are kept too (as '?'). */
START_TEST(test_label_utf8_safe)
{
	struct result r;
	json_t *o;

	fill_ok(&r);
	r.url = "http://x.test/\xff";
	r.check = "bad\xc3";
	o = result_to_json(&r);
	assert_field_set(o);
	ck_assert_str_eq(str_of(o, "url"), "http://x.test/?");
	ck_assert_str_eq(str_of(o, "check"), "bad?");
	json_decref(o);
}
END_TEST

/* Kind-specific fields follow the common ones and never replace them;
 * "inconclusive" is there only when true. */
START_TEST(test_extra_and_inconclusive)
{
	struct result r;
	json_t *o;
	char *line;

	fill_ok(&r);
	result_set_extra(&r, "tls_version", json_string("TLSv1.3"));
	result_set_extra(&r, "cert_days_left", json_integer(29));
	result_set_extra(&r, "ttl", NULL);
	result_set_extra(&r, "ok", json_false());	/* may not replace "ok" */
	o = result_to_json(&r);
	ck_assert_str_eq(str_of(o, "tls_version"), "TLSv1.3");
	ck_assert_int_eq(int_of(o, "cert_days_left"), 29);
	ck_assert(json_is_null(json_object_get(o, "ttl")));
	ck_assert(json_is_true(json_object_get(o, "ok")));
	ck_assert_ptr_null(json_object_get(o, "inconclusive"));
	json_decref(o);
	result_fail(&r, ERRCLASS_CONNECT, "refused");
	r.inconclusive = true;
	line = result_to_line(&r);
	/* the common fields first, in their order, then the kind's */
	ck_assert_ptr_nonnull(strstr(line, "\"cert_not_after\":1760000000,"
	    "\"inconclusive\":true,\"tls_version\":\"TLSv1.3\""));
	free(line);
	result_release(&r);
	ck_assert_ptr_null(r.extra);
	result_release(&r);	/* twice is fine */
	result_release(NULL);
}
END_TEST

START_TEST(test_text_json)
{
	json_t *v = result_text_json("220 ok\r\n\x01\xff\0x", 12);

	ck_assert_str_eq(json_string_value(v), "220 ok\r\n?" "?" "?x");
	json_decref(v);
	v = result_text_json("caf\xc3\xa9", 5);
	ck_assert_str_eq(json_string_value(v), "caf\xc3\xa9");
	json_decref(v);
}
END_TEST

/* ---- redaction (lib/redact.h) ---- */

static const struct {
	const char	*in, *keys, *want;	/* keys: ','-separated */
} url_cases[] = {
	{ "http://user:pass@host/p", "", "http://REDACTED@host/p" },
	{ "https://tok3n@host:8443", "", "https://REDACTED@host:8443" },
	{ "https://u:p@h@host/?x=1", "", "https://REDACTED@host/?x=1" },
	{ "http://host/a@b", "", "http://host/a@b" },	/* not in the authority */
	{ "http://host/?token=abc&x=1", "", "http://host/?token=abc&x=1" },
	{ "http://host/?token=abc&x=1", "token", "http://host/?token=REDACTED&x=1" },
	{ "http://host/?x=1&TOKEN=abc", "token", "http://host/?x=1&TOKEN=REDACTED" },
	{ "http://host/?%74oken=abc", "token", "http://host/?%74oken=REDACTED" },
	{ "http://host/?token=a&token=b#token=c", "token",
	  "http://host/?token=REDACTED&token=REDACTED#token=c" },
	{ "http://host/?token&token=", "token", "http://host/?token&token=REDACTED" },
	{ "http://host/?a=1&&b=2&", "b", "http://host/?a=1&&b=REDACTED&" },
	{ "http://u:p@host/?sig=1&key=2", "sig,key",
	  "http://REDACTED@host/?sig=REDACTED&key=REDACTED" },
	{ "/relative?token=1", "token", "/relative?token=REDACTED" },
	{ "host:443", "", "host:443" },
	{ "", "", "" },
};

START_TEST(test_redact_url)
{
	char buf[64], *keys[4], *out;
	size_t nkeys = 0;

	snprintf(buf, sizeof(buf), "%s", url_cases[_i].keys);
	for (char *p = buf, *comma; *p && nkeys < 4; p = comma + 1) {
		keys[nkeys++] = p;
		if ((comma = strchr(p, ',')) == NULL)
			break;
		*comma = '\0';
	}
	out = redact_url(url_cases[_i].in, keys, nkeys);
	ck_assert_msg(strcmp(out, url_cases[_i].want) == 0, "%s -> %s, want %s",
	    url_cases[_i].in, out, url_cases[_i].want);
	free(out);
}
END_TEST

START_TEST(test_redact_text)
{
	char *keys[] = { (char *)"token" };
	static const struct { const char *in, *want; } cases[] = {
		{ "Could not resolve host: h", "Could not resolve host: h" },
		{ "bad URL \"http://u:p@h/?token=1\": no", "bad URL "
		  "\"http://REDACTED@h/?token=REDACTED\": no" },
		{ "from https://a:b@x/ to http://c:d@y/?token=2 and ftp://e@z",
		  "from https://REDACTED@x/ to http://REDACTED@y/?token=REDACTED "
		  "and ftp://REDACTED@z" },
		{ "<http://u:p@h>", "<http://REDACTED@h>" },
		{ "://u:p@h x", "://u:p@h x" },	/* no scheme: not a URL */
		{ "end http://u:p@h", "end http://REDACTED@h" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		char *out = redact_text(cases[i].in, keys, 1);

		ck_assert_msg(strcmp(out, cases[i].want) == 0, "%s -> %s", cases[i].in,
		    out);
		ck_assert(redact_text_needed(cases[i].in, keys, 1) ||
		    strcmp(out, cases[i].in) == 0);
		free(out);
	}
	ck_assert(!redact_text_needed("plain words", NULL, 0));
	ck_assert_ptr_null(redact_text(NULL, NULL, 0));
	ck_assert_ptr_null(redact_url(NULL, NULL, 0));
}
END_TEST

/* The worst case for the output size: many short URLs, each growing. */
START_TEST(test_redact_growth)
{
	char *keys[] = { (char *)"a" };
	char in[4096], *out;
	size_t n = 0;

	while (n + 12 < sizeof(in)) {
		memcpy(in + n, "h://@?a=&a= ", 12);
		n += 12;
	}
	in[n] = '\0';
	out = redact_text(in, keys, 1);
	ck_assert_ptr_nonnull(strstr(out, "h://REDACTED@?a=REDACTED&a=REDACTED "));
	free(out);
}
END_TEST

START_TEST(test_redact_name)
{
	char *keys[] = { (char *)"X-Api-Key" };

	ck_assert(redact_name("x-api-key", 9, keys, 1, false));
	ck_assert(!redact_name("x-api-ke", 8, keys, 1, false));
	ck_assert(redact_name("Authorization", 13, NULL, 0, true));
	ck_assert(redact_name("set-cookie", 10, NULL, 0, true));
	ck_assert(!redact_name("Authorization", 13, NULL, 0, false));
	ck_assert(!redact_name("Cache-Control", 13, keys, 1, true));
}
END_TEST

START_TEST(test_echo)
{
	char out[RESULT_ECHO_MAX + 4], big[300], small[8];

	ck_assert_str_eq(result_echo(out, sizeof(out), "short", 5), "short");
	ck_assert_str_eq(result_echo(out, sizeof(out), "a\nb\x01" "c\xff", 6), "a?b?c?");
	memset(big, 'x', sizeof(big));
	result_echo(out, sizeof(out), big, sizeof(big));
	ck_assert_uint_eq(strlen(out), RESULT_ECHO_MAX + 3);
	ck_assert_str_eq(out + RESULT_ECHO_MAX, "...");
	/* exactly the cap: no ellipsis */
	ck_assert_uint_eq(strlen(result_echo(out, sizeof(out), big, RESULT_ECHO_MAX)),
	    RESULT_ECHO_MAX);
	/* never inside a character: 63 x then a 2-byte character */
	memset(big, 'x', 63);
	memcpy(big + 63, "\xc3\xa9yyy", 5);
	result_echo(out, sizeof(out), big, 68);
	ck_assert_str_eq(out + 63, "...");
	/* a small buffer: cut earlier, still ended */
	ck_assert_str_eq(result_echo(small, sizeof(small), "abcdefghij", 10), "abcd...");
}
END_TEST

static Suite *
result_suite(void)
{
	Suite *s = suite_create("result");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, test_fields_ok);
	tcase_add_test(tc, test_fields_failed);
	tcase_add_test(tc, test_every_class);
	tcase_add_test(tc, test_failed_without_class);
	tcase_add_test(tc, test_ok_hides_error);
	tcase_add_test(tc, test_null_labels);
	tcase_add_test(tc, test_zero_phases);
	tcase_add_test(tc, test_line);
	tcase_add_test(tc, test_line_order);
	tcase_add_test(tc, test_fail_formats_and_caps);
	tcase_add_test(tc, test_error_utf8_safe);
	tcase_add_test(tc, test_label_utf8_safe);
	tcase_add_test(tc, test_extra_and_inconclusive);
	tcase_add_test(tc, test_text_json);
	tcase_add_loop_test(tc, test_redact_url, 0, (int)NELEM(url_cases));
	tcase_add_test(tc, test_redact_text);
	tcase_add_test(tc, test_redact_growth);
	tcase_add_test(tc, test_redact_name);
	tcase_add_test(tc, test_echo);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(result_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
