/* Unit tests: lib/sign.c request signing and its failure cases. */
#include "config.h"

#include <check.h>
#include <string.h>

#include "sign.h"

static const char key[] = "s3cret-key";
static const char body[] = "{\"agent\":\"a1\",\"results\":[]}";

START_TEST(test_known_vectors)
{
	char hex[SIGN_HEX_LEN + 1];

	/* SHA-256("") and SHA-256("abc") from FIPS 180-2 */
	sign_sha256_hex("", 0, hex);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sign_sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(test_roundtrip)
{
	char hdr[256], err[256];
	struct sign_auth a;

	ck_assert_int_eq(sign_header("a1", key, strlen(key), "POST", "/api/v1/ingest",
	    1800000000, body, strlen(body), hdr, sizeof(hdr)), 0);
	ck_assert(strncmp(hdr, "Vantage-HMAC-SHA256 agent=a1, ts=1800000000, sig=", 49) == 0);
	ck_assert_int_eq(sign_parse(hdr, &a, err, sizeof(err)), 0);
	ck_assert_str_eq(a.agent, "a1");
	ck_assert_int_eq(a.ts, 1800000000);
	ck_assert_int_eq(sign_verify(&a, key, strlen(key), "POST", "/api/v1/ingest",
	    body, strlen(body), 1800000000 + 299, err, sizeof(err)), 0);
}
END_TEST

/* Every tampered part of the request must fail verification. */
START_TEST(test_tampering)
{
	char hdr[256], err[256], other[] = "{\"agent\":\"a1\",\"results\":[1]}";
	struct sign_auth a;
	int64_t ts = 1800000000;

	sign_header("a1", key, strlen(key), "POST", "/api/v1/ingest", ts, body,
	    strlen(body), hdr, sizeof(hdr));
	ck_assert_int_eq(sign_parse(hdr, &a, err, sizeof(err)), 0);
	ck_assert_int_eq(sign_verify(&a, key, strlen(key), "POST", "/api/v1/ingest",
	    other, strlen(other), ts, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad signature");
	ck_assert_int_eq(sign_verify(&a, "wrong", 5, "POST", "/api/v1/ingest",
	    body, strlen(body), ts, err, sizeof(err)), -1);
	ck_assert_int_eq(sign_verify(&a, key, strlen(key), "GET", "/api/v1/ingest",
	    body, strlen(body), ts, err, sizeof(err)), -1);
	ck_assert_int_eq(sign_verify(&a, key, strlen(key), "POST", "/api/v1/status",
	    body, strlen(body), ts, err, sizeof(err)), -1);
	a.ts += 1;	/* the timestamp is signed too */
	ck_assert_int_eq(sign_verify(&a, key, strlen(key), "POST", "/api/v1/ingest",
	    body, strlen(body), ts, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_clock_skew)
{
	char hdr[256], err[256];
	struct sign_auth a;
	int64_t ts = 1800000000;

	sign_header("a1", key, strlen(key), "POST", "/p", ts, body, strlen(body),
	    hdr, sizeof(hdr));
	sign_parse(hdr, &a, err, sizeof(err));
	ck_assert_int_eq(sign_verify(&a, key, strlen(key), "POST", "/p", body,
	    strlen(body), ts + 600, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "600 s off"));
	ck_assert_int_eq(sign_verify(&a, key, strlen(key), "POST", "/p", body,
	    strlen(body), ts - 301, err, sizeof(err)), -1);
	ck_assert_int_eq(sign_verify(&a, key, strlen(key), "POST", "/p", body,
	    strlen(body), ts - 300, err, sizeof(err)), 0);
}
END_TEST

static const char *const bad_headers[] = {
	"",
	"Bearer abc",
	"Vantage-HMAC-SHA256",
	"Vantage-HMAC-SHA256 agent=a1, ts=1800000000",
	"Vantage-HMAC-SHA256 agent=a1, sig=0000000000000000000000000000000000000000000000000000000000000000",
	"Vantage-HMAC-SHA256 ts=1, sig=0000000000000000000000000000000000000000000000000000000000000000",
	"Vantage-HMAC-SHA256 agent=a1, ts=abc, sig=0000000000000000000000000000000000000000000000000000000000000000",
	"Vantage-HMAC-SHA256 agent=a1, ts=1, sig=00",
	"Vantage-HMAC-SHA256 agent=, ts=1, sig=0000000000000000000000000000000000000000000000000000000000000000",
};

START_TEST(test_malformed)
{
	struct sign_auth a;
	char err[256] = "";

	ck_assert_int_eq(sign_parse(bad_headers[_i], &a, err, sizeof(err)), -1);
	ck_assert(strlen(err) > 10);
}
END_TEST

START_TEST(test_missing)
{
	struct sign_auth a;
	char err[256];

	ck_assert_int_eq(sign_parse(NULL, &a, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "missing Authorization header");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sign");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_known_vectors);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_tampering);
	tcase_add_test(tc, test_clock_skew);
	tcase_add_loop_test(tc, test_malformed, 0,
	    (int)(sizeof(bad_headers) / sizeof(bad_headers[0])));
	tcase_add_test(tc, test_missing);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
