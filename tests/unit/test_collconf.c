/* Unit tests: web/collconf.c, the collector config (table-driven). */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collconf.h"
#include "conf.h"

#define AGENTS "\"agents\":[{\"id\":\"a1\",\"key\":\"0123456789abcdef\"}]"

static const struct {
	const char	*text;
	const char	*want;	/* a substring of the first error */
} bad[] = {
	{ "{\"listn\": \"127.0.0.1:0\"}",
	  "t.json:1:2: listn: unknown key (did you mean \"listen\"?)" },
	{ "{\"listen\": \"localhost\"}", "listen[0]: must be host:port" },
	{ "{\"listen\": []}", "listen: must be \"host:port\" or a non-empty list" },
	{ "{\"agents\":[{\"id\":\"a1\",\"key\":\"short\"}]}", "agents[0].key: too short" },
	{ "{\"agents\":[{\"id\":\"a 1\",\"key\":\"0123456789abcdef\"}]}",
	  "agents[0].id: must be 1-64 letters" },
	{ "{\"agents\":[{\"id\":\"a1\",\"key\":\"0123456789abcdef\"},"
	  "{\"id\":\"a1\",\"key\":\"0123456789abcdef\"}]}",
	  "agents[1].id: duplicate agent id \"a1\"" },
	{ "{\"agents\":[{\"id\":\"a1\",\"key\":\"env:VANTAGE_TEST_UNSET_VAR\"}]}",
	  "agents[0].key: environment variable VANTAGE_TEST_UNSET_VAR is not set" },
	{ "{\"agents\":[{\"id\":\"a1\",\"key\":\"file:/nonexistent/k\"}]}",
	  "agents[0].key: cannot read /nonexistent/k" },
	{ "{\"slos\":[{\"name\":\"x\",\"objective\":100,\"selector\":{}}]}",
	  "slos[0].objective: must be a percentage between 0 and 100" },
	{ "{\"slos\":[{\"name\":\"x\",\"objective\":99.9}]}",
	  "slos[0].selector: required key is missing" },
	{ "{\"slos\":[{\"name\":\"x\",\"objective\":99.9,\"sli\":\"latency\","
	  "\"selector\":{}}]}", "slos[0].threshold: a latency SLO needs a threshold" },
	{ "{\"slos\":[{\"name\":\"x\",\"objective\":99.9,\"threshold\":\"1s\","
	  "\"selector\":{}}]}", "slos[0].threshold: only latency SLOs" },
	{ "{\"slos\":[{\"name\":\"x\",\"objective\":99.9,\"selector\":{\"layer\":\"cdn\"}}]}",
	  "slos[0].selector.layer: must be one of: front_door, edge, central, other" },
	{ "{\"slos\":[{\"name\":\"x\",\"objective\":99.9,\"selector\":{\"servce\":\"m\"}}]}",
	  "slos[0].selector.servce: unknown key (did you mean \"service\"?)" },
	{ "{\"slos\":[{\"name\":\"x\",\"objective\":9,\"selector\":{}},"
	  "{\"name\":\"x\",\"objective\":9,\"selector\":{}}]}",
	  "slos[1].name: duplicate SLO name \"x\"" },
	{ "{\"slos\":[{\"name\":\"a/b\",\"objective\":9,\"selector\":{}}]}",
	  "slos[0].name: must not contain" },
	{ "{\"checks\":[{\"name\":\"c\",\"url\":\"http://x/\",\"regions\":\"eu\"}]}",
	  "checks[0].regions: must be a non-empty list of strings" },
	{ "{\"checks\":[{\"name\":\"c\",\"url\":\"http://x/\",\"region\":[\"eu\"]}]}",
	  "checks[0].region: unknown key (did you mean \"regions\"?)" },
	{ "{\"retention\":{\"minute\":\"1d\"}}", "retention.minute: must be at least 3d1h" },
	{ "{\"tls\":{\"cert\":\"/x\"}}", "tls.key: required key is missing" },
	{ "{\"max_body\": 10}", "max_body: must be between" },
};

START_TEST(test_bad)
{
	struct confctx c = { 0 };
	struct collector_config *cc = collconf_load_ctx(&c, "t.json", bad[_i].text);

	ck_assert_ptr_null(cc);
	ck_assert_msg(c.nerrs > 0 && strstr(c.errs[0], bad[_i].want) != NULL,
	    "case %d: got \"%s\", want \"%s\"", _i, c.nerrs ? c.errs[0] : "(none)",
	    bad[_i].want);
	conf_ctx_free(&c);
}
END_TEST

START_TEST(test_good_and_defaults)
{
	struct confctx c = { 0 };
	struct collector_config *cc;

	setenv("VANTAGE_TEST_KEY", "abcdefghijklmnopqrstuvwxyz", 1);
	cc = collconf_load_ctx(&c, "t.json", "{\"agents\":[{\"id\":\"a1\","
	    "\"key\":\"env:VANTAGE_TEST_KEY\"}],\"checks\":[{\"name\":\"c\","
	    "\"url\":\"http://x/\",\"agents\":[\"a1\"]}],\"slos\":[{\"name\":\"s\","
	    "\"objective\":99.95,\"sli\":\"latency\",\"threshold\":\"300ms\","
	    "\"selector\":{\"service\":\"micro\"}}]}");
	ck_assert_msg(cc != NULL, "%s", c.nerrs ? c.errs[0] : "");
	ck_assert_str_eq(cc->agents[0].key, "abcdefghijklmnopqrstuvwxyz");
	ck_assert_uint_eq(cc->nlisten, 1);
	ck_assert_str_eq(cc->listen[0], "127.0.0.1:8080");
	ck_assert(cc->slos[0].objective > 0.99949 && cc->slos[0].objective < 0.99951);
	ck_assert_int_eq(cc->slos[0].window_ms, 30LL * 86400000);
	ck_assert_int_eq(cc->slos[0].threshold_us, 300000);
	ck_assert_int_eq(cc->keep_raw_ms, 14LL * 86400000);
	/* the definition handed to agents carries the collector's defaults */
	ck_assert_str_eq(json_string_value(json_object_get(cc->rchecks[0].def,
	    "interval")), "1m");
	ck_assert_ptr_null(json_object_get(cc->rchecks[0].def, "agents"));
	ck_assert_uint_eq(cc->rchecks[0].nagents, 1);
	ck_assert(selector_match(&cc->slos[0].sel, "micro", "edge", NULL,
	    NULL, "x"));
	ck_assert(!selector_match(&cc->slos[0].sel, "other", "edge", NULL,
	    NULL, "x"));
	ck_assert(!selector_match(&cc->slos[0].sel, NULL, "edge", NULL,
	    NULL, "x"));
	collconf_free(cc);
	conf_ctx_free(&c);
}
END_TEST

/* Every collector example config in dist/ loads (secrets faked). */
START_TEST(test_dist_examples)
{
	const char *src = getenv("VANTAGE_SRCDIR");
	char dpath[1024], fpath[2048];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dpath, sizeof(dpath), "%s/dist", src ? src : ".");
	ck_assert_ptr_nonnull(d = opendir(dpath));
	setenv("VANTAGE_READ_TOKEN", "t0ken-for-tests", 1);
	/* a receiver URL must be a URL (the other env: secrets are faked below) */
	setenv("VANTAGE_SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/x", 1);
	while ((de = readdir(d)) != NULL) {
		struct confctx c = { 0 };
		struct collector_config *cc;
		size_t len = strlen(de->d_name);
		FILE *fp;
		char *text, *p;
		long sz;

		if (strncmp(de->d_name, "collector", 9) != 0 || len < 5 ||
		    strcmp(de->d_name + len - 5, ".json") != 0 ||
		    strstr(de->d_name, ".schema.") != NULL)
			continue;
		snprintf(fpath, sizeof(fpath), "%s/%s", dpath, de->d_name);
		ck_assert_ptr_nonnull(fp = fopen(fpath, "r"));
		fseek(fp, 0, SEEK_END);
		sz = ftell(fp);
		rewind(fp);
		text = calloc(1, (size_t)sz + 1);
		ck_assert_int_eq(fread(text, 1, (size_t)sz, fp), sz);
		fclose(fp);
		/* file: secrets point at deployment paths: load them literally */
		while ((p = strstr(text, "\"file:")) != NULL)
			memcpy(p + 1, "lit-", 4), memmove(p + 5, p + 5, 1);
		/* env: secrets name the deployment's variables: set each one */
		for (p = text; (p = strstr(p, "\"env:")) != NULL; p += 5) {
			char name[128];
			size_t nlen = strcspn(p + 5, "\"");

			ck_assert_uint_lt(nlen, sizeof(name));
			memcpy(name, p + 5, nlen);
			name[nlen] = '\0';
			setenv(name, "fake-secret-0123456789abcdef", 0);
		}
		cc = collconf_load_ctx(&c, fpath, text);
		ck_assert_msg(cc != NULL, "%s: %s", fpath, c.nerrs ? c.errs[0] : "");
		collconf_free(cc);
		conf_ctx_free(&c);
		free(text);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("collconf");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_good_and_defaults);
	tcase_add_test(tc, test_dist_examples);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
