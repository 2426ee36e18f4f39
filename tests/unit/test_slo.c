/* Unit tests: report/slo.c against the SRE workbook's burn-rate table. */
#include "config.h"

#include <check.h>
#include <math.h>

#include "slo.h"

#define DAY 86400
#define HOUR 3600

/* The SRE workbook (ch. 5, "Alerting on SLOs"), 30-day window: burning at
 * the rate for the long window consumes this share of the budget. */
static const struct {
	double	rate;
	int64_t	long_s;
	double	consumed;
} workbook[] = {
	{ 14.4, 1 * HOUR, 0.02 },
	{ 6, 6 * HOUR, 0.05 },
	{ 3, 1 * DAY, 0.10 },
	{ 1, 3 * DAY, 0.10 },
};

START_TEST(test_workbook_table)
{
	double got = slo_budget_consumed(workbook[_i].rate, workbook[_i].long_s, 30 * DAY);

	ck_assert_msg(fabs(got - workbook[_i].consumed) < 1e-9,
	    "rate %.1f over %llds: consumed %.4f, workbook says %.2f",
	    workbook[_i].rate, (long long)workbook[_i].long_s, got,
	    workbook[_i].consumed);
}
END_TEST

START_TEST(test_budget_math)
{
	/* 99.9 % over 1,000,000 events: 1,000 may fail */
	ck_assert(fabs(slo_budget(0.999, 1000000) - 1000) < 1e-6);
	ck_assert(fabs(slo_budget_remaining(0.999, 999750, 1000000) - 0.75) < 1e-9);
	ck_assert(fabs(slo_budget_remaining(0.999, 998000, 1000000) - (-1.0)) < 1e-9);
	ck_assert(fabs(slo_budget_remaining(0.999, 1000000, 1000000) - 1.0) < 1e-12);
	ck_assert(fabs(slo_availability(9993, 10000) - 0.9993) < 1e-12);
	ck_assert(isnan(slo_availability(0, 0)));
	ck_assert(isnan(slo_budget_remaining(0.999, 0, 0)));
	ck_assert(isnan(slo_burn_rate(0.999, 0, 0)));
	/* burn rate: error ratio over allowed error ratio */
	ck_assert(fabs(slo_burn_rate(0.999, 9856, 10000) - 14.4) < 1e-9);
	ck_assert(fabs(slo_burn_rate(0.9995, 10000, 10000)) < 1e-12);
	ck_assert(fabs(slo_burn_rate(0.99, 99, 100) - 1.0) < 1e-9);
}
END_TEST

START_TEST(test_failures_to_trigger)
{
	/* 99.9 %, 1000 events, none bad: page at 14.4 needs error ratio 1.44 % */
	int64_t x = slo_failures_to_trigger(0.999, 14.4, 1000, 1000);
	double t = 14.4 * 0.001;

	ck_assert_int_gt(x, 0);
	ck_assert((double)x / (double)(1000 + x) > t);
	ck_assert((double)(x - 1) / (double)(1000 + x - 1) <= t);
	/* already burning faster: 0 */
	ck_assert_int_eq(slo_failures_to_trigger(0.999, 14.4, 900, 1000), 0);
	/* cannot trigger: factor * (1 - objective) >= 1 */
	ck_assert_int_eq(slo_failures_to_trigger(0.9, 14.4, 1000, 1000), -1);
	/* no events at all: one failure is a 100 % error ratio */
	ck_assert_int_eq(slo_failures_to_trigger(0.999, 14.4, 0, 0), 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("slo");
	TCase *tc = tcase_create("math");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_workbook_table, 0,
	    (int)(sizeof(workbook) / sizeof(workbook[0])));
	tcase_add_test(tc, test_budget_math);
	tcase_add_test(tc, test_failures_to_trigger);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
