/* test_probe: the CURLcode -> error class mapping, the kind table and run
 * bookkeeping (agent/probe.h), and the error class names (lib/errclass.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <curl/curl.h>

#include "checkconf.h"
#include "conf.h"
#include "errclass.h"
#include "probe.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	CURLcode	 code;
	enum errclass	 ec;
} classes[] = {
	{ CURLE_OK, ERRCLASS_NONE },
	{ CURLE_COULDNT_RESOLVE_HOST, ERRCLASS_DNS },
	{ CURLE_COULDNT_RESOLVE_PROXY, ERRCLASS_DNS },
	{ CURLE_COULDNT_CONNECT, ERRCLASS_CONNECT },
	{ CURLE_SEND_ERROR, ERRCLASS_CONNECT },
	{ CURLE_RECV_ERROR, ERRCLASS_CONNECT },
	{ CURLE_GOT_NOTHING, ERRCLASS_CONNECT },
	{ CURLE_OPERATION_TIMEDOUT, ERRCLASS_TIMEOUT },
	{ CURLE_SSL_CONNECT_ERROR, ERRCLASS_TLS },
	{ CURLE_PEER_FAILED_VERIFICATION, ERRCLASS_TLS },
	{ CURLE_SSL_CERTPROBLEM, ERRCLASS_TLS },
	{ CURLE_SSL_CIPHER, ERRCLASS_TLS },
	{ CURLE_SSL_CACERT_BADFILE, ERRCLASS_TLS },
	{ CURLE_SSL_ISSUER_ERROR, ERRCLASS_TLS },
	{ CURLE_SSL_PINNEDPUBKEYNOTMATCH, ERRCLASS_TLS },
	{ CURLE_SSL_INVALIDCERTSTATUS, ERRCLASS_TLS },
	{ CURLE_SSL_CRL_BADFILE, ERRCLASS_TLS },
	{ CURLE_USE_SSL_FAILED, ERRCLASS_TLS },
#if LIBCURL_VERSION_NUM >= 0x074d00
	{ CURLE_SSL_CLIENTCERT, ERRCLASS_TLS },
#endif
	{ CURLE_TOO_MANY_REDIRECTS, ERRCLASS_HTTP_STATUS },
	{ CURLE_HTTP_RETURNED_ERROR, ERRCLASS_HTTP_STATUS },
	{ CURLE_PARTIAL_FILE, ERRCLASS_BODY },
	{ CURLE_BAD_CONTENT_ENCODING, ERRCLASS_BODY },
	{ CURLE_WEIRD_SERVER_REPLY, ERRCLASS_BODY },
	{ CURLE_HTTP2, ERRCLASS_BODY },
	{ CURLE_HTTP2_STREAM, ERRCLASS_BODY },
	{ CURLE_OUT_OF_MEMORY, ERRCLASS_INTERNAL },
	{ CURLE_FAILED_INIT, ERRCLASS_INTERNAL },
	{ CURLE_URL_MALFORMAT, ERRCLASS_INTERNAL },
	{ CURLE_UNSUPPORTED_PROTOCOL, ERRCLASS_INTERNAL },
	{ CURLE_BAD_FUNCTION_ARGUMENT, ERRCLASS_INTERNAL },
	{ CURLE_WRITE_ERROR, ERRCLASS_INTERNAL },
	{ CURLE_ABORTED_BY_CALLBACK, ERRCLASS_INTERNAL },
	{ (CURLcode)9999, ERRCLASS_INTERNAL },
};

START_TEST(test_errclass_map)
{
	enum errclass got = probe_errclass(classes[_i].code);

	ck_assert_msg(got == classes[_i].ec, "CURLcode %d (%s): class %s, want %s",
	    (int)classes[_i].code, curl_easy_strerror(classes[_i].code),
	    errclass_name(got) ? errclass_name(got) : "none",
	    errclass_name(classes[_i].ec) ? errclass_name(classes[_i].ec) : "none");
}
END_TEST

/* Only CURLE_OK means success. */
START_TEST(test_errclass_only_ok_passes)
{
	for (int code = 1; code < CURL_LAST; code++)
		ck_assert_msg(probe_errclass((CURLcode)code) != ERRCLASS_NONE,
		    "CURLcode %d maps to no failure", code);
}
END_TEST

/* What libcurl reports for a response that breaks its limits or framing
 * (curl 7.88's words), and for a real lost connection, before and after
 * the status line came. */
static const struct {
	CURLcode	 code;
	long		 status;
	bool		 sent;
	const char	*curl_msg;
	enum errclass	 ec;
	const char	*msg;		/* the start of the message */
} refined[] = {
	{ CURLE_RECV_ERROR, 200, true,
	  "Illegal or missing hexadecimal sequence in chunked-encoding",
	  ERRCLASS_BODY, "response body: bad chunked encoding (Illegal or missing "
	  "hexadecimal sequence in chunked-encoding)" },
	{ CURLE_RECV_ERROR, 200, true, "Too large response headers: 307957 > 307200",
	  ERRCLASS_HTTP_STATUS, "response headers too large (Too large response "
	  "headers: 307957 > 307200; libcurl reads at most 300 KiB of them)" },
	{ CURLE_OUT_OF_MEMORY, 200, true, "", ERRCLASS_HTTP_STATUS,
	  "response header line longer than libcurl's limit of 100 KiB" },
	{ CURLE_OUT_OF_MEMORY, 0, true, NULL, ERRCLASS_HTTP_STATUS,
	  "response status line or header longer than libcurl's limit" },
	{ CURLE_RECV_ERROR, 200, true, "Recv failure: Connection reset by peer",
	  ERRCLASS_BODY, "connection lost while reading the response (Recv "
	  "failure: Connection reset by peer)" },
	/* before any answer: as the plain mapping says */
	{ CURLE_RECV_ERROR, 0, true, "Recv failure: Connection reset by peer",
	  ERRCLASS_CONNECT, "Recv failure: Connection reset by peer" },
	{ CURLE_OUT_OF_MEMORY, 0, false, "", ERRCLASS_INTERNAL, "Out of memory" },
	{ CURLE_COULDNT_CONNECT, 0, false, "Failed to connect", ERRCLASS_CONNECT,
	  "Failed to connect" },
	{ CURLE_OPERATION_TIMEDOUT, 200, true, "Operation timed out",
	  ERRCLASS_TIMEOUT, "Operation timed out" },
};

START_TEST(test_errclass_refine)
{
	char msg[256];
	enum errclass got = probe_errclass_refine(refined[_i].code,
	    refined[_i].status, refined[_i].sent, refined[_i].curl_msg, msg,
	    sizeof(msg));

	ck_assert_msg(got == refined[_i].ec, "[%d] class %s, want %s", _i,
	    errclass_name(got), errclass_name(refined[_i].ec));
	ck_assert_msg(strncmp(msg, refined[_i].msg, strlen(refined[_i].msg)) == 0,
	    "[%d] message \"%s\", want \"%s...\"", _i, msg, refined[_i].msg);
}
END_TEST

START_TEST(test_kind_find)
{
	const struct probe_kind *k = probe_kind_find("http");

	ck_assert_ptr_nonnull(k);
	ck_assert_str_eq(k->name, "http");
	ck_assert_ptr_nonnull(k->start);
	ck_assert_ptr_nonnull(k->finish);
	ck_assert_ptr_null(probe_kind_find("nope"));
	ck_assert_ptr_null(probe_kind_find(""));
	ck_assert_ptr_null(probe_kind_find("HTTP"));
	ck_assert_ptr_null(probe_kind_find("https"));
}
END_TEST

/* Every kind the config accepts has a runner. */
START_TEST(test_kinds_match_config)
{
	struct confctx c = { 0 };
	struct check_defaults d;
	struct check_config *v;
	size_t n;
	json_t *root;

	checkconf_defaults_init(&d);
	ck_assert_int_eq(conf_load_string(&c, "t.json", "{\"checks\": [{\"name\": "
	    "\"a\", \"url\": \"http://x.test/\"}]}", &root), 0);
	ck_assert_int_eq(checkconf_parse_array(&c, "checks",
	    json_object_get(root, "checks"), &d, NULL, &v, &n), 0);
	ck_assert_ptr_nonnull(probe_kind_find(v[0].kind));
	checkconf_free_array(v, n);
	json_decref(root);
	conf_ctx_free(&c);
}
END_TEST

/* ---- errclass names ---- */

static const char *const wire_names[] = {
	NULL, "dns", "connect", "tls", "timeout", "http_status", "assertion",
	"body", "internal", "consistency",
};

START_TEST(test_errclass_names)
{
	ck_assert_int_eq(ERRCLASS_COUNT, (int)NELEM(wire_names));
	ck_assert_ptr_null(errclass_name(ERRCLASS_NONE));
	for (int i = 1; i < ERRCLASS_COUNT; i++) {
		ck_assert_str_eq(errclass_name((enum errclass)i), wire_names[i]);
		ck_assert_int_eq(errclass_parse(wire_names[i]), i);
	}
}
END_TEST

START_TEST(test_errclass_round_trip)
{
	for (int i = 1; i < ERRCLASS_COUNT; i++) {
		const char *name = errclass_name((enum errclass)i);
		ck_assert_ptr_nonnull(name);
		ck_assert_int_eq(errclass_parse(name), i);
	}
}
END_TEST

START_TEST(test_errclass_bad)
{
	ck_assert_int_eq(errclass_parse("nope"), -1);
	ck_assert_int_eq(errclass_parse(""), -1);
	ck_assert_int_eq(errclass_parse("DNS"), -1);
	ck_assert_int_eq(errclass_parse("dns "), -1);
	ck_assert_str_eq(errclass_name(ERRCLASS_COUNT), "internal");
	ck_assert_str_eq(errclass_name((enum errclass)-1), "internal");
	ck_assert_str_eq(errclass_name((enum errclass)1000), "internal");
}
END_TEST

/* ---- run bookkeeping ---- */

static struct check_config *
one_check(const char *extra, size_t *n)
{
	struct confctx c = { 0 };
	struct check_defaults d;
	struct check_config *v = NULL;
	char text[512];
	json_t *root;

	checkconf_defaults_init(&d);
	snprintf(text, sizeof(text), "{\"checks\": [{\"name\": \"a\", \"url\": "
	    "\"http://x.test/\"%s}]}", extra);
	ck_assert_int_eq(conf_load_string(&c, "t.json", text, &root), 0);
	ck_assert_int_eq(checkconf_parse_array(&c, "checks",
	    json_object_get(root, "checks"), &d, NULL, &v, n), 0);
	json_decref(root);
	conf_ctx_free(&c);
	return v;
}

START_TEST(test_run_init)
{
	size_t n;
	struct check_config *plain = one_check("", &n);
	struct check_config *body = one_check(", \"expect\": {\"json\": {\"a\": 1}, "
	    "\"max_body\": 1000}", &n);
	struct check_config *hdr = one_check(", \"expect\": {\"headers\": "
	    "{\"A\": {\"present\": true}}}", &n);
	struct probe_run run;

	probe_run_init(&run, plain);
	ck_assert_ptr_eq(run.conf, plain);
	ck_assert_ptr_eq(run.kind, probe_kind_find("http"));
	ck_assert(!run.keep_body);
	ck_assert(!run.keep_headers);
	ck_assert_uint_eq(run.body.cap, CHECK_DEFAULT_MAX_BODY);
	ck_assert_ptr_null(run.easy);
	probe_run_clear(&run);

	probe_run_init(&run, body);
	ck_assert(run.keep_body);
	ck_assert(!run.keep_headers);
	ck_assert_uint_eq(run.body.cap, 1000);
	probe_run_clear(&run);

	probe_run_init(&run, hdr);
	ck_assert(!run.keep_body);
	ck_assert(run.keep_headers);
	probe_run_clear(&run);
	probe_run_clear(NULL);

	checkconf_free_array(plain, 1);
	checkconf_free_array(body, 1);
	checkconf_free_array(hdr, 1);
}
END_TEST

START_TEST(test_run_reset_attempt)
{
	size_t n;
	struct check_config *cc = one_check(", \"expect\": {\"body_contains\": \"x\"}", &n);
	struct probe_run run;
	int owner;

	probe_run_init(&run, cc);
	run.owner = &owner;
	run.attempt = 2;
	run.res.check = cc->name;
	run.res.kind = cc->kind;
	run.res.url = cc->url;
	run.res.agent = "agent-1";
	run.res.region = "eu";
	run.res.status = 500;
	run.res.total_us = 1234;
	result_fail(&run.res, ERRCLASS_HTTP_STATUS, "HTTP status 500");
	run.bytes = 77;
	run.truncated = true;
	run.cert_not_after = 42;
	snprintf(run.errbuf, sizeof(run.errbuf), "old error");
	buf_append(&run.body, "old body", 8);
	buf_append(&run.headers, "A: 1\r\n", 6);
	run.req_headers = curl_slist_append(NULL, "X-A: 1");

	probe_run_reset_attempt(&run);
	/* per-attempt state is gone ... */
	ck_assert_uint_eq(run.body.len, 0);
	ck_assert_uint_eq(run.headers.len, 0);
	ck_assert_ptr_null(run.req_headers);
	ck_assert_str_eq(run.errbuf, "");
	ck_assert_int_eq(run.bytes, 0);
	ck_assert(!run.truncated);
	ck_assert_int_eq(run.cert_not_after, 0);
	ck_assert_int_eq(run.res.status, 0);
	ck_assert_int_eq(run.res.total_us, 0);
	ck_assert_int_eq(run.res.error_class, ERRCLASS_NONE);
	ck_assert_str_eq(run.res.error, "");
	/* ... the run's identity and labels stay */
	ck_assert_ptr_eq(run.conf, cc);
	ck_assert_ptr_eq(run.kind, probe_kind_find("http"));
	ck_assert_ptr_eq(run.owner, &owner);
	ck_assert_int_eq(run.attempt, 2);
	ck_assert_str_eq(run.res.check, "a");
	ck_assert_str_eq(run.res.kind, "http");
	ck_assert_str_eq(run.res.url, "http://x.test/");
	ck_assert_str_eq(run.res.agent, "agent-1");
	ck_assert_str_eq(run.res.region, "eu");
	ck_assert(run.keep_body);
	probe_run_clear(&run);
	checkconf_free_array(cc, n);
}
END_TEST

static Suite *
probe_suite(void)
{
	Suite *s = suite_create("probe");
	TCase *tc = tcase_create("errclass");
	TCase *tk = tcase_create("kinds");

	tcase_add_loop_test(tc, test_errclass_map, 0, (int)NELEM(classes));
	tcase_add_test(tc, test_errclass_only_ok_passes);
	tcase_add_loop_test(tc, test_errclass_refine, 0, (int)NELEM(refined));
	tcase_add_test(tc, test_errclass_names);
	tcase_add_test(tc, test_errclass_round_trip);
	tcase_add_test(tc, test_errclass_bad);
	suite_add_tcase(s, tc);
	tcase_add_test(tk, test_kind_find);
	tcase_add_test(tk, test_kinds_match_config);
	tcase_add_test(tk, test_run_init);
	tcase_add_test(tk, test_run_reset_attempt);
	suite_add_tcase(s, tk);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(probe_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
