/* test_buf: the capped growable buffer (lib/buf.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "buf.h"

START_TEST(test_init_empty)
{
	struct buf b;

	memset(&b, 0xA5, sizeof(b));
	buf_init(&b, 100);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.alloc, 0);
	ck_assert_uint_eq(b.cap, 100);
	ck_assert(!b.truncated);
	buf_free(&b);
}
END_TEST

START_TEST(test_append_under_cap)
{
	struct buf b;

	buf_init(&b, 100);
	ck_assert_int_eq(buf_append(&b, "hello", 5), 0);
	ck_assert_int_eq(buf_append(&b, ", world", 7), 0);
	ck_assert_uint_eq(b.len, 12);
	ck_assert_str_eq(b.data, "hello, world");
	ck_assert(!b.truncated);
	buf_free(&b);
}
END_TEST

START_TEST(test_append_exactly_cap)
{
	struct buf b;

	buf_init(&b, 8);
	ck_assert_int_eq(buf_append(&b, "1234", 4), 0);
	ck_assert_int_eq(buf_append(&b, "5678", 4), 0);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_str_eq(b.data, "12345678");
	ck_assert(!b.truncated);
	/* the cap is reached: one more byte does not fit */
	ck_assert_int_eq(buf_append(&b, "9", 1), -1);
	ck_assert(b.truncated);
	ck_assert_str_eq(b.data, "12345678");
	buf_free(&b);
}
END_TEST

START_TEST(test_append_over_cap_truncates)
{
	struct buf b;

	buf_init(&b, 10);
	ck_assert_int_eq(buf_append(&b, "abcdef", 6), 0);
	ck_assert_int_eq(buf_append(&b, "ghijklmnop", 10), -1);
	ck_assert(b.truncated);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_str_eq(b.data, "abcdefghij");
	ck_assert_uint_le(b.alloc, b.cap + 1);
	/* further appends keep failing and change nothing */
	ck_assert_int_eq(buf_append(&b, "x", 1), -1);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_str_eq(b.data, "abcdefghij");
	buf_free(&b);
}
END_TEST

START_TEST(test_zero_cap)
{
	struct buf b;

	buf_init(&b, 0);
	ck_assert_int_eq(buf_append(&b, "a", 1), -1);
	ck_assert(b.truncated);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_str_eq(b.data, "");
	buf_free(&b);
}
END_TEST

START_TEST(test_append_nothing_terminates)
{
	struct buf b;

	buf_init(&b, 16);
	ck_assert_int_eq(buf_append(&b, "", 0), 0);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_str_eq(b.data, "");
	ck_assert(!b.truncated);
	buf_free(&b);
}
END_TEST

START_TEST(test_grow_many)
{
	struct buf b;
	size_t i;

	buf_init(&b, 1u << 20);
	for (i = 0; i < 10000; i++) {
		char c = (char)('a' + (i % 26));
		ck_assert_int_eq(buf_append(&b, &c, 1), 0);
	}
	ck_assert_uint_eq(b.len, 10000);
	ck_assert_uint_eq(strlen(b.data), 10000);
	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(b.data[i], 'a' + (int)(i % 26));
	ck_assert_uint_ge(b.alloc, b.len + 1);
	ck_assert_uint_le(b.alloc, b.cap + 1);
	buf_free(&b);
}
END_TEST

START_TEST(test_grow_never_past_cap)
{
	struct buf b;
	char chunk[100];

	memset(chunk, 'z', sizeof(chunk));
	buf_init(&b, 1000);
	while (buf_append(&b, chunk, sizeof(chunk)) == 0)
		;
	ck_assert_uint_eq(b.len, 1000);
	ck_assert(b.truncated);
	ck_assert_uint_le(b.alloc, 1001);
	ck_assert_int_eq(b.data[1000], '\0');
	buf_free(&b);
}
END_TEST

START_TEST(test_printf)
{
	struct buf b;

	buf_init(&b, 100);
	ck_assert_int_eq(buf_printf(&b, "%s=%d", "n", 42), 0);
	ck_assert_int_eq(buf_printf(&b, ";%05.1f", 3.5), 0);
	ck_assert_str_eq(b.data, "n=42;003.5");
	ck_assert_uint_eq(b.len, strlen("n=42;003.5"));
	buf_free(&b);
}
END_TEST

START_TEST(test_printf_long)
{
	struct buf b;
	char *big = malloc(2001);

	ck_assert_ptr_nonnull(big);
	memset(big, 'q', 2000);
	big[2000] = '\0';
	buf_init(&b, 10000);
	/* longer than the 512-byte stack buffer inside buf_printf */
	ck_assert_int_eq(buf_printf(&b, "<%s>", big), 0);
	ck_assert_uint_eq(b.len, 2002);
	ck_assert_int_eq(b.data[0], '<');
	ck_assert_int_eq(b.data[2001], '>');
	ck_assert_int_eq(memcmp(b.data + 1, big, 2000), 0);
	free(big);
	buf_free(&b);
}
END_TEST

START_TEST(test_printf_truncates)
{
	struct buf b;
	char *big = malloc(1001);

	ck_assert_ptr_nonnull(big);
	memset(big, 'r', 1000);
	big[1000] = '\0';
	buf_init(&b, 6);
	ck_assert_int_eq(buf_printf(&b, "%d-%d", 123, 456789), -1);
	ck_assert(b.truncated);
	ck_assert_str_eq(b.data, "123-45");
	buf_free(&b);

	buf_init(&b, 700);
	ck_assert_int_eq(buf_printf(&b, "%s", big), -1);
	ck_assert(b.truncated);
	ck_assert_uint_eq(b.len, 700);
	ck_assert_uint_eq(strlen(b.data), 700);
	free(big);
	buf_free(&b);
}
END_TEST

START_TEST(test_steal)
{
	struct buf b;
	char *s;

	buf_init(&b, 50);
	buf_append(&b, "keep me", 7);
	s = buf_steal(&b);
	ck_assert_str_eq(s, "keep me");
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.alloc, 0);
	ck_assert(!b.truncated);
	free(s);
	/* still usable, with its cap */
	ck_assert_int_eq(buf_append(&b, "again", 5), 0);
	ck_assert_str_eq(b.data, "again");
	ck_assert_uint_eq(b.cap, 50);
	buf_free(&b);
}
END_TEST

START_TEST(test_steal_empty)
{
	struct buf b;
	char *s;

	buf_init(&b, 10);
	s = buf_steal(&b);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "");
	free(s);
	buf_free(&b);
}
END_TEST

START_TEST(test_steal_clears_truncated)
{
	struct buf b;
	char *s;

	buf_init(&b, 3);
	ck_assert_int_eq(buf_append(&b, "abcdef", 6), -1);
	s = buf_steal(&b);
	ck_assert_str_eq(s, "abc");
	ck_assert(!b.truncated);
	free(s);
	buf_free(&b);
}
END_TEST

START_TEST(test_reset)
{
	struct buf b;
	char *mem;
	size_t alloc;

	buf_init(&b, 5);
	ck_assert_int_eq(buf_append(&b, "123456", 6), -1);
	ck_assert(b.truncated);
	mem = b.data;
	alloc = b.alloc;
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert(!b.truncated);
	ck_assert_ptr_eq(b.data, mem);		/* memory kept */
	ck_assert_uint_eq(b.alloc, alloc);
	ck_assert_str_eq(b.data, "");
	ck_assert_int_eq(buf_append(&b, "xyz", 3), 0);
	ck_assert_str_eq(b.data, "xyz");
	buf_free(&b);
}
END_TEST

START_TEST(test_reset_unallocated)
{
	struct buf b;

	buf_init(&b, 5);
	buf_reset(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_free_and_reuse)
{
	struct buf b;

	buf_free(NULL);
	buf_init(&b, 20);
	buf_append(&b, "one", 3);
	buf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);		/* twice is fine */
	buf_init(&b, 4);
	ck_assert_int_eq(buf_append(&b, "two!", 4), 0);
	ck_assert_str_eq(b.data, "two!");
	buf_free(&b);
}
END_TEST

START_TEST(test_binary_data)
{
	struct buf b;
	const char bin[] = { 'a', '\0', 'b', '\0' };

	buf_init(&b, 16);
	ck_assert_int_eq(buf_append(&b, bin, sizeof(bin)), 0);
	ck_assert_uint_eq(b.len, 4);
	ck_assert_int_eq(memcmp(b.data, bin, 4), 0);
	ck_assert_int_eq(b.data[4], '\0');
	buf_free(&b);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_init_empty);
	tcase_add_test(tc, test_append_under_cap);
	tcase_add_test(tc, test_append_exactly_cap);
	tcase_add_test(tc, test_append_over_cap_truncates);
	tcase_add_test(tc, test_zero_cap);
	tcase_add_test(tc, test_append_nothing_terminates);
	tcase_add_test(tc, test_grow_many);
	tcase_add_test(tc, test_grow_never_past_cap);
	tcase_add_test(tc, test_printf);
	tcase_add_test(tc, test_printf_long);
	tcase_add_test(tc, test_printf_truncates);
	tcase_add_test(tc, test_steal);
	tcase_add_test(tc, test_steal_empty);
	tcase_add_test(tc, test_steal_clears_truncated);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_reset_unallocated);
	tcase_add_test(tc, test_free_and_reuse);
	tcase_add_test(tc, test_binary_data);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(buf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
