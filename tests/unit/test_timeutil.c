/* test_timeutil: duration strings and clocks (lib/timeutil.h). */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "timeutil.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char	*in;
	int64_t		 ms;
} good[] = {
	{ "250ms", 250 },
	{ "10s", 10000 },
	{ "5m", 300000 },
	{ "1h", 3600000 },
	{ "30d", 30LL * 86400000 },
	{ "1h30m", 5400000 },
	{ "0s", 0 },
	{ "0ms", 0 },
	{ "1ms", 1 },
	{ "1d2h3m4s5ms", 86400000LL + 2 * 3600000 + 3 * 60000 + 4000 + 5 },
	{ "90s", 90000 },
	{ "007s", 7000 },
	{ "3650d", 3650LL * 86400000 },		/* the largest allowed */
};

START_TEST(test_parse_good)
{
	char err[256] = "";
	int64_t ms = -12345;

	ck_assert_msg(duration_parse(good[_i].in, &ms, err, sizeof(err)) == 0,
	    "\"%s\" refused: %s", good[_i].in, err);
	ck_assert_msg(ms == good[_i].ms, "\"%s\" gave %lld, want %lld",
	    good[_i].in, (long long)ms, (long long)good[_i].ms);
}
END_TEST

static const struct {
	const char	*in;
	const char	*msg;		/* substring the error must contain */
	bool		 quotes_input;	/* the message repeats the input */
} bad[] = {
	{ "", "empty duration", false },
	{ "10", "unit must be one of ms, s, m, h, d", true },
	{ "s", "expected a number", true },
	{ "10x", "unit must be one of ms, s, m, h, d", true },
	{ "-5s", "expected a number", true },
	{ "1.5s", "unit must be one of", true },
	{ "10 s", "unit must be one of", true },
	{ " 10s", "expected a number", true },
	{ "10S", "unit must be one of", true },
	{ "10sec", "unit must be one of", true },
	{ "1h30", "unit must be one of", true },
	{ "ms", "expected a number", true },
	{ "99999999999999999999s", "too large", true },
	{ "3651d", "too large", true },
	{ "3650d1ms", "too large", true },
	{ "300000000000d", "too large", true },	/* overflowed int64 once */
	{ "150000000000d", "too large", true },	/* ... to a negative total */
	{ "315360000001ms", "too large", true },
	{ "2000d2000d", "too large", true },
};

START_TEST(test_parse_bad)
{
	char err[256] = "";
	int64_t ms = -777;
	char quoted[64];

	ck_assert_msg(duration_parse(bad[_i].in, &ms, err, sizeof(err)) == -1,
	    "\"%s\" accepted as %lld", bad[_i].in, (long long)ms);
	ck_assert_msg(ms == -777, "\"%s\": output written on failure", bad[_i].in);
	ck_assert_msg(strstr(err, bad[_i].msg) != NULL,
	    "\"%s\": message \"%s\" lacks \"%s\"", bad[_i].in, err, bad[_i].msg);
	if (bad[_i].quotes_input) {
		snprintf(quoted, sizeof(quoted), "\"%s\"", bad[_i].in);
		ck_assert_msg(strstr(err, quoted) != NULL,
		    "message \"%s\" does not quote the input %s", err, quoted);
	}
}
END_TEST

START_TEST(test_parse_null)
{
	char err[128] = "";
	int64_t ms = 5;

	ck_assert_int_eq(duration_parse(NULL, &ms, err, sizeof(err)), -1);
	ck_assert_int_eq(ms, 5);
	ck_assert_ptr_nonnull(strstr(err, "empty"));
}
END_TEST

START_TEST(test_parse_small_errbuf)
{
	char err[8];
	int64_t ms = 0;

	memset(err, 'X', sizeof(err));
	ck_assert_int_eq(duration_parse("10x", &ms, err, sizeof(err)), -1);
	ck_assert_uint_eq(strlen(err), sizeof(err) - 1);
}
END_TEST

static const struct {
	int64_t		 ms;
	const char	*out;
} fmt[] = {
	{ 0, "0s" },
	{ -5, "0s" },
	{ 1, "1ms" },
	{ 250, "250ms" },
	{ 1000, "1s" },
	{ 1500, "1s500ms" },
	{ 60000, "1m" },
	{ 90000, "1m30s" },
	{ 3600000, "1h" },
	{ 5400000, "1h30m" },
	{ 86400000, "1d" },
	{ 30LL * 86400000, "30d" },
	{ 86400000LL + 3600000 + 60000 + 1000 + 1, "1d1h1m1s1ms" },
	{ 86400000LL + 1, "1d1ms" },
};

START_TEST(test_format)
{
	char out[32];

	memset(out, 'X', sizeof(out));
	ck_assert_str_eq(duration_format(fmt[_i].ms, out, sizeof(out)), fmt[_i].out);
}
END_TEST

/* format(parse(s)) == s for canonical strings, parse(format(ms)) == ms. */
START_TEST(test_round_trip_strings)
{
	static const char *const canon[] = {
		"250ms", "10s", "5m", "1h", "30d", "1h30m", "0s", "2d3h",
		"1m1ms", "3650d", "59s999ms",
	};
	char out[32], err[128];
	int64_t ms;

	for (size_t i = 0; i < NELEM(canon); i++) {
		ck_assert_msg(duration_parse(canon[i], &ms, err, sizeof(err)) == 0,
		    "%s: %s", canon[i], err);
		ck_assert_str_eq(duration_format(ms, out, sizeof(out)), canon[i]);
	}
}
END_TEST

START_TEST(test_round_trip_numbers)
{
	char out[32], err[128];
	int64_t ms, back;
	uint64_t x = 88172645463325252ULL;	/* xorshift: a fixed sequence */

	for (int i = 0; i < 2000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ms = (int64_t)(x % (3650ULL * 86400000 + 1));
		if (i % 3 == 0)
			ms %= 100000;	/* plenty of small ones too */
		duration_format(ms, out, sizeof(out));
		ck_assert_msg(duration_parse(out, &back, err, sizeof(err)) == 0,
		    "%lld -> \"%s\" refused: %s", (long long)ms, out, err);
		ck_assert_msg(back == ms, "%lld -> \"%s\" -> %lld", (long long)ms,
		    out, (long long)back);
	}
}
END_TEST

START_TEST(test_format_truncation)
{
	char out[5];

	/* "1d1h1m1s1ms" does not fit: no half-written part is left */
	duration_format(86400000LL + 3600000 + 60000 + 1000 + 1, out, sizeof(out));
	ck_assert_str_eq(out, "1d1h");
	duration_format(86400000LL + 3600000 + 60000 + 1000 + 1, out, 4);
	ck_assert_str_eq(out, "1d");
	duration_format(3LL * 3600000, out, 2);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_clocks)
{
	int64_t now = time_now_ms();
	int64_t m1 = time_mono_us(), m2, ms;

	/* after 2020-01-01 and before 2100-01-01 */
	ck_assert_int_gt(now, 1577836800000LL);
	ck_assert_int_lt(now, 4102444800000LL);
	m2 = time_mono_us();
	ck_assert_int_ge(m2, m1);
	ms = time_mono_ms();
	ck_assert_int_ge(ms, m1 / 1000);
	ck_assert_int_le(ms, time_mono_us() / 1000);
}
END_TEST

static Suite *
timeutil_suite(void)
{
	Suite *s = suite_create("timeutil");
	TCase *tc = tcase_create("duration");
	TCase *tk = tcase_create("clock");

	tcase_add_loop_test(tc, test_parse_good, 0, (int)NELEM(good));
	tcase_add_loop_test(tc, test_parse_bad, 0, (int)NELEM(bad));
	tcase_add_test(tc, test_parse_null);
	tcase_add_test(tc, test_parse_small_errbuf);
	tcase_add_loop_test(tc, test_format, 0, (int)NELEM(fmt));
	tcase_add_test(tc, test_round_trip_strings);
	tcase_add_test(tc, test_round_trip_numbers);
	tcase_add_test(tc, test_format_truncation);
	suite_add_tcase(s, tc);
	tcase_add_test(tk, test_clocks);
	suite_add_tcase(s, tk);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(timeutil_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
