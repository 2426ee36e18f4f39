/* Unit tests: core/thr.c, the threshold counts of a rollup row. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "thr.h"

START_TEST(test_roundtrip)
{
	const int64_t us[4] = { 200000, 250000, 300000, 86400000000LL };
	const int64_t n[4] = { 0, 7, 130, 1LL << 40 };
	unsigned char *b;
	size_t len;

	b = thr_encode(us, n, 4, &len);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(thr_lookup(b, len, us[i]), n[i]);
	/* a threshold the row did not count */
	ck_assert_int_eq(thr_lookup(b, len, 100000), -1);
	ck_assert_int_eq(thr_lookup(b, len, 260000), -1);
	ck_assert_int_eq(thr_lookup(b, len, 90000000000LL), -1);
	ck_assert_int_eq(thr_lookup(NULL, 0, 200000), -1);
	free(b);
}
END_TEST

/* the union adds the counts of a threshold in both, keeps the others */
START_TEST(test_merge)
{
	const int64_t ua[3] = { 100, 300, 500 }, na[3] = { 1, 2, 3 };
	const int64_t ub[3] = { 200, 300, 600 }, nb[3] = { 10, 20, 30 };
	unsigned char *a, *b, *m, *e;
	size_t la, lb, lm;

	a = thr_encode(ua, na, 3, &la);
	b = thr_encode(ub, nb, 3, &lb);
	m = thr_merge(a, la, b, lb, &lm);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(thr_lookup(m, lm, 100), 1);
	ck_assert_int_eq(thr_lookup(m, lm, 200), 10);
	ck_assert_int_eq(thr_lookup(m, lm, 300), 22);
	ck_assert_int_eq(thr_lookup(m, lm, 500), 3);
	ck_assert_int_eq(thr_lookup(m, lm, 600), 30);
	free(m);
	/* with an empty side it is the other one, byte for byte */
	m = thr_merge(NULL, 0, a, la, &lm);
	ck_assert_uint_eq(lm, la);
	ck_assert(memcmp(m, a, la) == 0);
	free(m);
	/* malformed: a varint cut short, a threshold not ascending */
	e = malloc(la);
	memcpy(e, a, la);
	e[la - 1] |= 0x80;
	ck_assert_ptr_null(thr_merge(e, la, b, lb, &lm));
	ck_assert_int_eq(thr_lookup(e, la, 500), -1);
	e[0] = 0;	/* a delta of 0 */
	ck_assert_ptr_null(thr_merge(e, la, NULL, 0, &lm));
	free(e);
	free(a);
	free(b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("thr");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_merge);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
