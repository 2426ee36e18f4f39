/* Unit tests: core/sketch.c against exact sorted percentiles; merging,
 * subtracting and the encodings. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sketch.h"

static const double qs[] = { 0.5, 0.75, 0.9, 0.95, 0.99 };

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* xorshift: deterministic samples without libc rand() state */
static uint64_t rng_state = 88172645463325252ULL;

static double
uniform01(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

static double
normal01(void)
{
	double u1 = uniform01(), u2 = uniform01();

	if (u1 < 1e-12)
		u1 = 1e-12;
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

enum dist { UNIFORM, LOGNORMAL, BIMODAL };

static double
sample(enum dist d)
{
	switch (d) {
	case UNIFORM:
		return 1000 + uniform01() * 99000;		/* 1..100 ms */
	case LOGNORMAL:
		return exp(log(40000) + 0.8 * normal01());	/* median 40 ms */
	case BIMODAL:
		return uniform01() < 0.8 ? 5000 + 1000 * normal01() * 0.3 + 500 :
		    250000 + 20000 * normal01();		/* cache hit / miss */
	}
	return 0;
}

static void
check_against_exact(enum dist d, size_t n)
{
	double *v = malloc(n * sizeof(*v));
	struct sketch s;

	sketch_init(&s);
	for (size_t i = 0; i < n; i++) {
		v[i] = sample(d);
		sketch_add(&s, v[i]);
	}
	qsort(v, n, sizeof(*v), cmp_double);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double exact = v[(size_t)floor(qs[i] * (double)(n - 1))];
		double got = sketch_quantile(&s, qs[i]);

		ck_assert_msg(fabs(got - exact) <= 0.01 * exact + 1e-9,
		    "dist %d q=%.2f: sketch %.2f vs exact %.2f (%.3f%%)", d, qs[i],
		    got, exact, 100 * fabs(got - exact) / exact);
	}
	ck_assert_uint_eq(s.count, n);
	sketch_free(&s);
	free(v);
}

START_TEST(test_uniform) { check_against_exact(UNIFORM, 100000); }
END_TEST
START_TEST(test_lognormal) { check_against_exact(LOGNORMAL, 100000); }
END_TEST
START_TEST(test_bimodal) { check_against_exact(BIMODAL, 100000); }
END_TEST

/* merge = union: sketching two halves and merging equals sketching all */
START_TEST(test_merge_is_union)
{
	struct sketch a, b, all;

	sketch_init(&a);
	sketch_init(&b);
	sketch_init(&all);
	for (int i = 0; i < 50000; i++) {
		double x = sample(LOGNORMAL), y = sample(BIMODAL);
		sketch_add(&a, x);
		sketch_add(&b, y);
		sketch_add(&all, x);
		sketch_add(&all, y);
	}
	sketch_merge(&a, &b);
	ck_assert_uint_eq(a.count, all.count);
	ck_assert_uint_eq(a.zero, all.zero);
	for (int i = 0; i < SKETCH_NBUCKETS; i++)
		ck_assert_uint_eq(a.b[i], all.b[i]);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		ck_assert_double_eq(sketch_quantile(&a, qs[i]), sketch_quantile(&all, qs[i]));
	sketch_free(&a);
	sketch_free(&b);
	sketch_free(&all);
}
END_TEST

START_TEST(test_encode_roundtrip)
{
	struct sketch s, t;
	unsigned char *enc;
	size_t len;

	sketch_init(&s);
	sketch_init(&t);
	sketch_add(&s, 0);
	for (int i = 0; i < 10000; i++)
		sketch_add(&s, sample(BIMODAL));
	enc = sketch_encode(&s, &len);
	ck_assert_int_eq(sketch_decode_merge(&t, enc, len), 0);
	ck_assert_uint_eq(t.count, s.count);
	ck_assert_uint_eq(t.zero, 1);
	ck_assert_double_eq(sketch_quantile(&t, 0.99), sketch_quantile(&s, 0.99));
	/* decoding twice is merging twice */
	ck_assert_int_eq(sketch_decode_merge(&t, enc, len), 0);
	ck_assert_uint_eq(t.count, 2 * s.count);
	/* a varint cut short, or garbage, is refused */
	enc[len - 1] |= 0x80;
	ck_assert_int_eq(sketch_decode_merge(&t, enc, len), -1);
	enc[len - 1] &= 0x7f;
	enc[0] = 9;
	ck_assert_int_eq(sketch_decode_merge(&t, enc, len), -1);
	free(enc);
	sketch_free(&s);
	sketch_free(&t);
}
END_TEST

START_TEST(test_empty_and_edges)
{
	struct sketch s;

	sketch_init(&s);
	ck_assert_double_eq(sketch_quantile(&s, 0.5), 0);
	sketch_add(&s, 1234);
	/* a sketch is its buckets: every quantile of one value is that
	 * value's bucket, within 1 % */
	ck_assert(fabs(sketch_quantile(&s, 0.0) - 1234) <= 12.34);
	ck_assert(fabs(sketch_quantile(&s, 1.0) - 1234) <= 12.34);
	ck_assert(fabs(sketch_quantile(&s, 0.5) - 1234) <= 12.34);
	sketch_add(&s, 1e15);	/* beyond the last bucket: clamped, not lost */
	ck_assert_uint_eq(s.count, 2);
	ck_assert_double_eq(sketch_quantile(&s, 1.0),
	    sketch_value(SKETCH_NBUCKETS - 1));
	sketch_free(&s);
	ck_assert_int_eq(sketch_index(0.5), -1);
	ck_assert_int_eq(sketch_index(1), 0);
}
END_TEST

/* sub undoes merge exactly, in any order: what the SLO engine relies on
 * to slide a window */
START_TEST(test_sub_undoes_merge)
{
	struct sketch a, b, c, sum;

	sketch_init(&a);
	sketch_init(&b);
	sketch_init(&c);
	sketch_init(&sum);
	for (int i = 0; i < 20000; i++) {
		sketch_add(&a, sample(LOGNORMAL));
		sketch_add(&b, sample(BIMODAL));
		sketch_add(&c, sample(UNIFORM));
	}
	sketch_add(&b, 0);
	sketch_merge(&sum, &a);
	sketch_merge(&sum, &b);
	sketch_merge(&sum, &c);
	sketch_sub(&sum, &b);
	sketch_sub(&sum, &a);
	ck_assert_uint_eq(sum.count, c.count);
	ck_assert_uint_eq(sum.zero, 0);
	for (int i = 0; i < SKETCH_NBUCKETS; i++)
		ck_assert_uint_eq(sum.b[i], c.b[i]);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		ck_assert_double_eq(sketch_quantile(&sum, qs[i]),
		    sketch_quantile(&c, qs[i]));
	/* never below zero */
	sketch_sub(&sum, &a);
	ck_assert_uint_eq(sum.count, c.count > a.count ? c.count - a.count : 0);
	sketch_free(&a);
	sketch_free(&b);
	sketch_free(&c);
	sketch_free(&sum);
}
END_TEST

static void
count_pair(int idx, uint64_t n, void *arg)
{
	(void)idx;
	*(int64_t *)arg += (int64_t)n;
}

/* The encoded forms: built from values, merged pair by pair, counted
 * without decoding; all agree with the dense sketch. */
START_TEST(test_encoded_forms)
{
	int64_t v[300], w[200];
	struct sketch dense, t;
	unsigned char *ea, *eb, *em, *ed;
	size_t la, lb, lm, ld;
	uint64_t zero;
	int64_t n;

	sketch_init(&dense);
	for (int i = 0; i < 300; i++) {
		v[i] = i % 37 == 0 ? 0 : (int64_t)sample(LOGNORMAL);
		sketch_add(&dense, (double)v[i]);
	}
	for (int i = 0; i < 200; i++) {
		w[i] = (int64_t)sample(BIMODAL);
		sketch_add(&dense, (double)w[i]);
	}
	ea = sketch_encode_values(v, 300, &la);
	eb = sketch_encode_values(w, 200, &lb);
	em = sketch_merge_encoded(ea, la, eb, lb, &lm);
	ck_assert_ptr_nonnull(em);
	ed = sketch_encode(&dense, &ld);
	/* the union of the two encodings is byte for byte the dense one's */
	ck_assert_uint_eq(lm, ld);
	ck_assert(memcmp(em, ed, ld) == 0);
	sketch_init(&t);
	ck_assert_int_eq(sketch_decode_merge(&t, em, lm), 0);
	ck_assert_uint_eq(t.count, 500);
	for (double x = 1000; x < 2e6; x *= 1.37) {
		n = sketch_encoded_count_le(em, lm, x);
		ck_assert_int_eq(n, (int64_t)sketch_count_le(&dense, x));
		/* additive over the parts */
		ck_assert_int_eq(n, sketch_encoded_count_le(ea, la, x) +
		    sketch_encoded_count_le(eb, lb, x));
	}
	n = 0;
	ck_assert_int_eq(sketch_encoded_each(em, lm, count_pair, &n, &zero), 0);
	ck_assert_int_eq(n + (int64_t)zero, 500);
	ck_assert_uint_eq(zero, dense.zero);
	/* NULL or empty is the empty sketch */
	free(em);
	em = sketch_merge_encoded(NULL, 0, ea, la, &lm);
	ck_assert_uint_eq(lm, la);
	ck_assert(memcmp(em, ea, la) == 0);
	/* malformed input is refused, not half-merged */
	ck_assert_ptr_null(sketch_merge_encoded(ea, 3, eb, lb, &lm));
	ck_assert_int_eq(sketch_encoded_count_le(eb, 1, 10), -1);
	free(ea);
	free(eb);
	free(em);
	free(ed);
	sketch_free(&dense);
	sketch_free(&t);
}
END_TEST

/* A version-1 encoding (with min, max and sum) is still read. */
START_TEST(test_reads_version_1)
{
	unsigned char v1[1 + 24 + 5] = { 1 };
	struct sketch s;

	/* zero count 2, then bucket 100 (delta 101) x 3 */
	v1[25] = 2;
	v1[26] = 101;
	v1[27] = 3;
	sketch_init(&s);
	ck_assert_int_eq(sketch_decode_merge(&s, v1, 28), 0);
	ck_assert_uint_eq(s.count, 5);
	ck_assert_uint_eq(s.zero, 2);
	ck_assert_uint_eq(s.b[100], 3);
	ck_assert_int_eq(sketch_encoded_count_le(v1, 28, 1e9), 5);
	sketch_free(&s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sketch");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_uniform);
	tcase_add_test(tc, test_lognormal);
	tcase_add_test(tc, test_bimodal);
	tcase_add_test(tc, test_merge_is_union);
	tcase_add_test(tc, test_encode_roundtrip);
	tcase_add_test(tc, test_empty_and_edges);
	tcase_add_test(tc, test_sub_undoes_merge);
	tcase_add_test(tc, test_encoded_forms);
	tcase_add_test(tc, test_reads_version_1);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
