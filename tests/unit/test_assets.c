/* test_assets: the pure parts of the assets kind (agent/assets.h): which
 * file names are content-hashed, which references an index.html has, and
 * how Cache-Control headers are judged. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <curl/curl.h>

#include "assets.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char	*path;
	bool		 hashed;
} names[] = {
	{ "/assets/app.8d41e0.js", true },		/* webpack, hex */
	{ "/static/js/main.3f2a1b4c.chunk.js", true },	/* create-react-app */
	{ "/assets/index-BdX3k9aZ.js", true },		/* Vite, base64url */
	{ "/assets/index-C_x-1Az9.css", true },		/* with - and _ inside */
	{ "/_next/static/chunks/framework-2c79e2a64abdb08b.js", true },
	{ "/assets/style.9f8e7d.css?v=2", true },	/* query ignored */
	{ "logo.5d5d9eef.svg", true },
	{ "/assets/app.js", false },
	{ "/js/jquery-3.6.0.min.js", false },
	{ "/polyfills-es2015.js", false },
	{ "/favicon-32x32.png", false },
	{ "/bootstrap5.css", false },
	{ "/img/logo192.png", false },
	{ "/deadbeef.js", false },		/* hex without a digit */
	{ "/assets/8d41e0", true },		/* content-addressed, no extension */
	{ "/MyApp2.js", false },		/* mixed case but short */
	{ "/", false },
	{ "", false },
};

START_TEST(test_is_hashed)
{
	ck_assert_msg(assets_is_hashed(names[_i].path) == names[_i].hashed,
	    "\"%s\": want %s", names[_i].path, names[_i].hashed ? "hashed" : "not hashed");
}
END_TEST

/* ---- extraction ---- */

static const char page[] =
	"<!doctype html>\n<html><head>\n"
	"<meta charset=\"utf-8\">\n"
	"<link rel=\"icon\" href=\"/favicon.ico\">\n"
	"<link rel=\"stylesheet\" href=\"/assets/style.9f8e7d.css\">\n"
	"<link rel=modulepreload href=/assets/vendor.4a5b6c7d.js>\n"
	"<LINK REL='preload' HREF='assets/font.a1b2c3d4.woff2' as=font crossorigin>\n"
	"<!-- <script src=\"/assets/old.111111.js\"></script> -->\n"
	"<script>var s = '<script src=\"/assets/inline.222222.js\">';</script>\n"
	"<script type=\"module\" src=\"/assets/app.8d41e0.js\"></script>\n"
	"<script src=\"https://cdn.other.example/lib.333333.js\"></script>\n"
	"<script src=\"https://micro.example.com/assets/abs.444444.js\"></script>\n"
	"<script src=\"//micro.example.com/assets/protorel.555555.js\"></script>\n"
	"<script src=\"/assets/app.8d41e0.js\"></script>\n"
	"</head><body><div id=\"app\"></div>\n"
	"<img src=\"/img/hero.aa11bb22.webp\" srcset=\"/img/hero-small.cc33dd44.webp 480w, "
	"/img/hero-big.ee55ff66.webp 1200w\" alt=\"\">\n"
	"<img src=\"data:image/png;base64,AAAA\">\n"
	"<a href=\"/assets/not-a-link.777777.pdf\">x</a>\n"
	"<script src=\"/assets/q.888888.js?v=1&amp;x=2\"></script>\n"
	"</body></html>\n";

START_TEST(test_extract)
{
	static const char *const want[] = {
		"/assets/style.9f8e7d.css",
		"/assets/vendor.4a5b6c7d.js",
		"/app/assets/font.a1b2c3d4.woff2",	/* relative to /app/ */
		"/assets/app.8d41e0.js",
		"/assets/abs.444444.js",
		"/assets/protorel.555555.js",
		"/img/hero.aa11bb22.webp",
		"/img/hero-small.cc33dd44.webp",
		"/img/hero-big.ee55ff66.webp",
		"/assets/q.888888.js?v=1&x=2",
	};
	char *out[ASSETS_MAX_REFS];
	size_t more, n = assets_extract(page, strlen(page),
	    "https://micro.example.com/app/", out, ASSETS_MAX_REFS, &more);

	for (size_t i = 0; i < n && i < NELEM(want); i++)
		ck_assert_msg(strcmp(out[i], want[i]) == 0, "ref %zu: \"%s\", want \"%s\"",
		    i, out[i], want[i]);
	ck_assert_uint_eq(n, NELEM(want));
	ck_assert_uint_eq(more, 0);
	for (size_t i = 0; i < n; i++)
		free(out[i]);
}
END_TEST

START_TEST(test_extract_cap_and_port)
{
	char html[8192], *out[4];
	size_t off = 0, more, n;

	for (int i = 0; i < 10; i++)
		off += (size_t)snprintf(html + off, sizeof(html) - off,
		    "<script src=\"/a%d.%06d.js\"></script>", i, 100000 + i);
	/* another port is another host */
	off += (size_t)snprintf(html + off, sizeof(html) - off,
	    "<script src=\"http://127.0.0.1:9/x.123456.js\"></script>");
	n = assets_extract(html, off, "http://127.0.0.1:8080/", out, 4, &more);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(more, 6);
	ck_assert_str_eq(out[0], "/a0.100000.js");
	ck_assert_str_eq(out[3], "/a3.100003.js");
	for (size_t i = 0; i < n; i++)
		free(out[i]);
	/* nothing at all, and a page that is not HTML */
	n = assets_extract("", 0, "http://x.example/", out, 4, &more);
	ck_assert_uint_eq(n, 0);
	n = assets_extract("{\"json\": true} <", 16, "http://x.example/", out, 4, &more);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* ---- Cache-Control ---- */

START_TEST(test_cache_parse)
{
	struct cache_policy p;

	assets_cache_parse("public, max-age=31536000, immutable", &p);
	ck_assert(p.present && p.immutable && !p.no_store && !p.no_cache);
	ck_assert_int_eq(p.max_age, 31536000);
	ck_assert_int_eq(p.s_maxage, -1);
	assets_cache_parse(" Max-Age = \"60\" ,S-MAXAGE=600,stale-while-revalidate=30,"
	    "NO-CACHE", &p);
	ck_assert_int_eq(p.max_age, 60);
	ck_assert_int_eq(p.s_maxage, 600);
	ck_assert_int_eq(p.swr, 30);
	ck_assert(p.no_cache);
	assets_cache_parse("max-age=abc, no-store", &p);
	ck_assert_int_eq(p.max_age, -1);
	ck_assert(p.no_store);
	assets_cache_parse(NULL, &p);
	ck_assert(!p.present);
	ck_assert_int_eq(p.max_age, -1);
}
END_TEST

static const struct {
	const char	*cc;
	bool		 ok;
	const char	*why;
} index_cases[] = {
	{ "public, max-age=60", true, NULL },
	{ "public, max-age=300", true, NULL },
	{ "public, max-age=60, stale-while-revalidate=86400", true, NULL },
	{ "no-cache", true, NULL },
	{ "no-store", true, NULL },
	{ "max-age=0, must-revalidate", true, NULL },
	{ "public, max-age=301", false, "Cache-Control \"public, max-age=301\": "
	  "cached for 301s, want at most 5m" },
	{ "public, max-age=60, s-maxage=3600", false, "cached for 3600s, want at "
	  "most 5m" },
	{ "public, max-age=31536000, immutable", false, "cached for 31536000s" },
	{ "public", false, "Cache-Control \"public\" has no max-age (want at most 5m)" },
	{ NULL, false, "no Cache-Control (want max-age at most 5m)" },
};

START_TEST(test_judge_index)
{
	char why[300] = "";
	int rc = assets_judge_index(index_cases[_i].cc, 300000, why, sizeof(why));

	ck_assert_msg((rc == 0) == index_cases[_i].ok, "\"%s\": %s",
	    index_cases[_i].cc ? index_cases[_i].cc : "(none)", rc ? why : "passed");
	if (!index_cases[_i].ok)
		ck_assert_msg(strstr(why, index_cases[_i].why) != NULL, "\"%s\": why \"%s\", "
		    "want \"%s\"", index_cases[_i].cc ? index_cases[_i].cc : "(none)", why,
		    index_cases[_i].why);
}
END_TEST

static const struct {
	const char	*cc;
	bool		 immutable;
	bool		 ok;
	const char	*why;
} asset_cases[] = {
	{ "public, max-age=31536000, immutable", true, true, NULL },
	{ "max-age=63072000,immutable", true, true, NULL },
	{ "public, max-age=31536000", false, true, NULL },
	{ "public, max-age=31536000", true, false, "Cache-Control \"public, "
	  "max-age=31536000\" (want max-age >= 31536000s and immutable)" },
	{ "public, max-age=60", true, false, "(want max-age >= 31536000s and "
	  "immutable)" },
	{ "public, max-age=60, immutable", true, false, "max-age=60, immutable\"" },
	{ "no-cache, max-age=31536000, immutable", true, false, "no-cache" },
	{ "no-store", false, false, "(want max-age >= 31536000s)" },
	{ NULL, true, false, "no Cache-Control (want max-age >= 31536000s and "
	  "immutable)" },
};

START_TEST(test_judge_asset)
{
	char why[300] = "";
	int rc = assets_judge_asset(asset_cases[_i].cc, 365LL * 86400000,
	    asset_cases[_i].immutable, why, sizeof(why));

	ck_assert_msg((rc == 0) == asset_cases[_i].ok, "\"%s\": %s",
	    asset_cases[_i].cc ? asset_cases[_i].cc : "(none)", rc ? why : "passed");
	if (!asset_cases[_i].ok)
		ck_assert_msg(strstr(why, asset_cases[_i].why) != NULL, "why \"%s\", want "
		    "\"%s\"", why, asset_cases[_i].why);
}
END_TEST

static Suite *
assets_suite(void)
{
	Suite *s = suite_create("assets");
	TCase *tn = tcase_create("names");
	TCase *te = tcase_create("extract");
	TCase *tc = tcase_create("cache");

	tcase_add_loop_test(tn, test_is_hashed, 0, (int)NELEM(names));
	suite_add_tcase(s, tn);
	tcase_add_test(te, test_extract);
	tcase_add_test(te, test_extract_cap_and_port);
	suite_add_tcase(s, te);
	tcase_add_test(tc, test_cache_parse);
	tcase_add_loop_test(tc, test_judge_index, 0, (int)NELEM(index_cases));
	tcase_add_loop_test(tc, test_judge_asset, 0, (int)NELEM(asset_cases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(assets_suite());
	int failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
