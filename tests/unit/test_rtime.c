/* Unit tests: report/rtime.c (RFC 3339 times, months, durations). */
#include "config.h"

#include <check.h>
#include <string.h>

#include "rtime.h"

static const struct {
	const char	*in;
	long long	 ms;	/* -1: refused */
} times[] = {
	{ "2026-10-31T23:50:00Z", 1793490600000LL },
	{ "2026-10-31t23:50:00z", 1793490600000LL },
	{ "2026-10-31 23:50:00Z", 1793490600000LL },
	{ "2026-11-01T00:50:00+01:00", 1793490600000LL },
	{ "2026-10-31T18:20:00-05:30", 1793490600000LL },
	{ "2026-10-31T23:50:00.250Z", 1793490600250LL },
	{ "2026-10-31T23:50:00.2Z", 1793490600200LL },
	{ "2026-10-31", 1793404800000LL },
	{ "1970-01-01", 0 },
	{ "2024-02-29", 1709164800000LL },
	{ "2016-12-31T23:59:60Z", 1483228799000LL },	/* leap second */
	{ "2025-02-29", -1 },
	{ "2026-13-01", -1 },
	{ "2026-10-31T23:50:00", -1 },		/* no offset */
	{ "2026-10-31T24:00:00Z", -1 },
	{ "2026-10-31T23:50Z", -1 },
	{ "2026-10-31T23:50:00.Z", -1 },
	{ "2026-10-31X", -1 },
	{ "26-10-31", -1 },
	{ "", -1 },
	{ "yesterday", -1 },
};

START_TEST(test_parse)
{
	int64_t ms = 0;
	char err[256] = "";
	int rc = rtime_parse(times[_i].in, &ms, err, sizeof(err));

	if (times[_i].ms < 0) {
		ck_assert_msg(rc == -1, "\"%s\" accepted as %lld", times[_i].in, (long long)ms);
		ck_assert(strstr(err, "RFC 3339") != NULL);
	} else
		ck_assert_msg(rc == 0 && ms == times[_i].ms, "\"%s\": rc %d, %lld, want %lld",
		    times[_i].in, rc, (long long)ms, times[_i].ms);
}
END_TEST

START_TEST(test_format_round_trip)
{
	static const long long v[] = { 0, 1793490600000LL, 1793490600250LL,
		1709164800000LL, 4102444799999LL };
	char out[32], err[128];
	int64_t back;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		rtime_format(v[i], out, sizeof(out));
		ck_assert_int_eq(rtime_parse(out, &back, err, sizeof(err)), 0);
		ck_assert_int_eq(back, v[i]);
	}
	ck_assert_str_eq(rtime_format(1793490600000LL, out, sizeof(out)),
	    "2026-10-31T23:50:00Z");
	ck_assert_str_eq(rtime_format(1793490600250LL, out, sizeof(out)),
	    "2026-10-31T23:50:00.250Z");
	ck_assert_str_eq(rtime_short(1793490600000LL, out, sizeof(out)),
	    "2026-10-31 23:50");
	ck_assert_str_eq(rtime_short(1793490630000LL, out, sizeof(out)),
	    "2026-10-31 23:50:30");
}
END_TEST

START_TEST(test_month)
{
	int64_t a, b;
	char err[128];

	ck_assert_int_eq(rtime_month("2026-10", &a, &b, err, sizeof(err)), 0);
	ck_assert_int_eq(a, 1790812800000LL);	/* 2026-10-01 */
	ck_assert_int_eq(b, 1793491200000LL);	/* 2026-11-01 */
	ck_assert_int_eq(rtime_month("2026-12", &a, &b, err, sizeof(err)), 0);
	ck_assert_int_eq(b - a, 31 * RTIME_DAY_MS);	/* into next year */
	ck_assert_int_eq(rtime_month("2024-02", &a, &b, err, sizeof(err)), 0);
	ck_assert_int_eq(b - a, 29 * RTIME_DAY_MS);
	ck_assert_int_eq(rtime_month("2026-00", &a, &b, err, sizeof(err)), -1);
	ck_assert_int_eq(rtime_month("2026-1", &a, &b, err, sizeof(err)), -1);
	ck_assert_int_eq(rtime_month("2026-10-01", &a, &b, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_duration)
{
	static const struct {
		long long ms;
		const char *want;
	} d[] = {
		{ 0, "0s" }, { 499, "0s" }, { 500, "1s" }, { 90000, "1m30s" },
		{ 120000, "2m" }, { 3600000, "1h" }, { 86400000 + 61000, "1d1m1s" },
	};
	char out[32];

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		ck_assert_str_eq(rtime_duration(d[i].ms, out, sizeof(out)), d[i].want);
}
END_TEST

START_TEST(test_floor)
{
	int64_t t = 1793498400000LL + 90000;	/* 02:01:30 */

	ck_assert_int_eq(rtime_floor(t, RTIME_MIN_MS), t - 30000);
	ck_assert_int_eq(rtime_floor(t, RTIME_HOUR_MS), t - 90000);
	ck_assert_int_eq(rtime_floor(t, RTIME_DAY_MS), t - 2 * RTIME_HOUR_MS - 90000);
	ck_assert_int_eq(rtime_floor(t - 30000, RTIME_MIN_MS), t - 30000);
	/* before 1970: still down, not towards zero */
	ck_assert_int_eq(rtime_floor(-1, 60000), -60000);
	ck_assert_int_eq(rtime_floor(-60000, 60000), -60000);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rtime");
	TCase *tc = tcase_create("rtime");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_parse, 0, sizeof(times) / sizeof(times[0]));
	tcase_add_test(tc, test_format_round_trip);
	tcase_add_test(tc, test_month);
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_floor);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
