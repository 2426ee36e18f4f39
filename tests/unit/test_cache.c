/* test_cache: the CDN cache-status normaliser (lib/cache.c): each CDN's
 * documented values, case differences, repeated headers, lists along a
 * chain of caches (RFC 9211 Cache-Status, Fastly's X-Cache), precedence
 * between headers and the Age fallback. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <check.h>

#include "cache.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char		*headers;	/* the lines after the status line */
	enum cache_status	 want;
	const char		*raw;		/* NULL: do not compare */
} cases[] = {
	/* Cloudflare */
	{ "CF-Cache-Status: HIT\r\n", CACHE_HIT, "CF-Cache-Status: HIT" },
	{ "cf-cache-status: hit\r\n", CACHE_HIT, "CF-Cache-Status: hit" },
	{ "CF-Cache-Status: MISS\r\n", CACHE_MISS, NULL },
	{ "CF-Cache-Status: EXPIRED\r\n", CACHE_EXPIRED, NULL },
	{ "CF-Cache-Status: STALE\r\n", CACHE_STALE, NULL },
	{ "CF-Cache-Status: BYPASS\r\n", CACHE_BYPASS, NULL },
	{ "CF-Cache-Status: DYNAMIC\r\n", CACHE_DYNAMIC, NULL },
	{ "CF-Cache-Status: REVALIDATED\r\n", CACHE_HIT, NULL },
	{ "CF-Cache-Status: UPDATING\r\n", CACHE_STALE, NULL },
	{ "CF-Cache-Status: NONE\r\n", CACHE_UNKNOWN, "CF-Cache-Status: NONE" },
	{ "CF-Cache-Status: UNKNOWN\r\n", CACHE_UNKNOWN, NULL },
	{ "CF-Cache-Status: WHATEVER\r\n", CACHE_UNKNOWN, NULL },
	/* CloudFront */
	{ "X-Cache: Hit from cloudfront\r\n", CACHE_HIT, "X-Cache: Hit from cloudfront" },
	{ "X-Cache: Miss from cloudfront\r\n", CACHE_MISS, NULL },
	{ "X-Cache: RefreshHit from cloudfront\r\n", CACHE_HIT, NULL },
	{ "X-Cache: Error from cloudfront\r\n", CACHE_UNKNOWN, NULL },
	{ "x-cache: hit FROM CloudFront\r\n", CACHE_HIT, NULL },
	/* Fastly: the last entry is the POP facing the client */
	{ "X-Cache: HIT\r\n", CACHE_HIT, NULL },
	{ "X-Cache: MISS\r\n", CACHE_MISS, NULL },
	/* nginx: add_header X-Cache $upstream_cache_status */
	{ "X-Cache: EXPIRED\r\n", CACHE_EXPIRED, NULL },
	{ "X-Cache: STALE\r\n", CACHE_STALE, NULL },
	{ "X-Cache: UPDATING\r\n", CACHE_STALE, NULL },
	{ "X-Cache: REVALIDATED\r\n", CACHE_HIT, NULL },
	{ "X-Cache: BYPASS\r\n", CACHE_BYPASS, "X-Cache: BYPASS" },
	{ "X-Cache: MISS, HIT\r\n", CACHE_HIT, "X-Cache: MISS, HIT" },
	{ "X-Cache: HIT, MISS\r\n", CACHE_MISS, NULL },
	{ "X-Cache: MISS\r\nX-Cache: HIT\r\n", CACHE_HIT, "X-Cache: MISS, HIT" },
	{ "X-Cache: PASS\r\n", CACHE_BYPASS, NULL },
	{ "X-Cache: HIT-STALE\r\n", CACHE_STALE, NULL },
	{ "X-Cache: TCP_MISS\r\n", CACHE_MISS, NULL },
	/* Vercel */
	{ "X-Vercel-Cache: HIT\r\n", CACHE_HIT, NULL },
	{ "X-Vercel-Cache: MISS\r\n", CACHE_MISS, NULL },
	{ "X-Vercel-Cache: STALE\r\n", CACHE_STALE, NULL },
	{ "X-Vercel-Cache: PRERENDER\r\n", CACHE_HIT, NULL },
	{ "X-Vercel-Cache: REVALIDATED\r\n", CACHE_HIT, NULL },
	{ "x-vercel-cache: bypass\r\n", CACHE_BYPASS, NULL },
	/* RFC 9211: the last member is the cache closest to the user */
	{ "Cache-Status: ExampleCache; hit\r\n", CACHE_HIT, NULL },
	{ "Cache-Status: OriginCache; hit; ttl=1100, \"CDN Company Here\"; "
	  "fwd=uri-miss; stored\r\n", CACHE_MISS, NULL },
	{ "Cache-Status: CDN; fwd=uri-miss, Edge; hit\r\n", CACHE_HIT, NULL },
	{ "Cache-Status: Edge; fwd=bypass\r\n", CACHE_BYPASS, NULL },
	{ "Cache-Status: Edge; fwd=vary-miss\r\n", CACHE_MISS, NULL },
	{ "Cache-Status: Edge; fwd=miss; stored\r\n", CACHE_MISS, NULL },
	{ "Cache-Status: Edge; fwd=stale; fwd-status=304\r\n", CACHE_EXPIRED, NULL },
	{ "Cache-Status: Edge; fwd=method\r\n", CACHE_DYNAMIC, NULL },
	{ "Cache-Status: Edge; fwd=request\r\n", CACHE_BYPASS, NULL },
	{ "Cache-Status: \"Edge, with comma\"; hit; detail=\"a, b\"\r\n", CACHE_HIT, NULL },
	{ "Cache-Status: Edge\r\n", CACHE_UNKNOWN, NULL },
	{ "Cache-Status: A; hit\r\ncache-status: B; fwd=uri-miss\r\n", CACHE_MISS,
	  "Cache-Status: A; hit, B; fwd=uri-miss" },
	{ "Cache-Status: vantage-demo; hit\n", CACHE_HIT, NULL },	/* bare LF */
	/* precedence: the vendor header over the generic ones */
	{ "X-Cache: MISS\r\nCF-Cache-Status: HIT\r\n", CACHE_HIT, "CF-Cache-Status: HIT" },
	{ "X-Cache: HIT\r\nCache-Status: Edge; fwd=miss\r\n", CACHE_MISS, NULL },
	{ "Age: 120\r\nX-Cache: MISS\r\n", CACHE_MISS, NULL },
	/* Age alone */
	{ "Age: 120\r\n", CACHE_HIT, "Age: 120" },
	{ "Age: 0\r\n", CACHE_UNKNOWN, "Age: 0" },
	{ "Age: soon\r\n", CACHE_UNKNOWN, "" },
	/* nothing */
	{ "Content-Type: text/html\r\n", CACHE_UNKNOWN, "" },
	{ "", CACHE_UNKNOWN, "" },
	{ "X-Cache-Status: HIT\r\n", CACHE_UNKNOWN, "" },	/* nginx's own name: not ours */
};

START_TEST(test_normalise_table)
{
	char block[1024];
	struct cache_info ci;

	snprintf(block, sizeof(block), "HTTP/1.1 200 OK\r\n%s\r\n", cases[_i].headers);
	cache_normalise(block, strlen(block), &ci);
	ck_assert_msg(ci.status == cases[_i].want, "%s: got %s, want %s",
	    cases[_i].headers, cache_status_name(ci.status),
	    cache_status_name(cases[_i].want));
	if (cases[_i].raw)
		ck_assert_str_eq(ci.raw, cases[_i].raw);
}
END_TEST

START_TEST(test_age)
{
	static const char h[] = "HTTP/2 200\r\nage: 42\r\nx-cache: Hit from cloudfront\r\n";
	struct cache_info ci;

	cache_normalise(h, strlen(h), &ci);
	ck_assert(ci.has_age);
	ck_assert_int_eq(ci.age_s, 42);
	cache_normalise("HTTP/1.1 200 OK\r\n\r\n", 19, &ci);
	ck_assert(!ci.has_age);
	cache_normalise(NULL, 0, &ci);
	ck_assert_int_eq(ci.status, CACHE_UNKNOWN);
	ck_assert_str_eq(ci.raw, "");
}
END_TEST

/* A long value is judged by its last member, and cut to fit the raw field. */
START_TEST(test_long_value)
{
	char block[2048];
	size_t n;
	struct cache_info ci;

	n = (size_t)snprintf(block, sizeof(block), "X-Cache: ");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(block + n, sizeof(block) - n, "MISS, ");
	snprintf(block + n, sizeof(block) - n, "HIT\r\n");
	cache_normalise(block, strlen(block), &ci);
	ck_assert_int_eq(ci.status, CACHE_HIT);
	ck_assert_int_lt(strlen(ci.raw), CACHE_RAW_MAX);
	ck_assert(strncmp(ci.raw, "X-Cache: MISS, MISS", 19) == 0);
}
END_TEST

START_TEST(test_names)
{
	for (int s = 0; s < CACHE_NSTATUS; s++)
		ck_assert_int_eq(cache_status_parse(cache_status_name(
		    (enum cache_status)s)), s);
	ck_assert_int_eq(cache_status_parse("HIT"), CACHE_UNKNOWN);
	ck_assert_int_eq(cache_status_parse(NULL), CACHE_UNKNOWN);
	ck_assert(cache_status_is_hit(CACHE_HIT));
	ck_assert(cache_status_is_hit(CACHE_STALE));
	ck_assert(!cache_status_is_hit(CACHE_EXPIRED));
	ck_assert(cache_status_is_lookup(CACHE_BYPASS));
	ck_assert(!cache_status_is_lookup(CACHE_UNKNOWN));
}
END_TEST

static Suite *
cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_normalise_table, 0, (int)NELEM(cases));
	tcase_add_test(tc, test_age);
	tcase_add_test(tc, test_long_value);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cache_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
