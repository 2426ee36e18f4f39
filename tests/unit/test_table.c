/* Unit tests: report/table.c (text, Markdown, RFC 4180 CSV) and the
 * per-minute layer states of report/minutes.c. */
#include "config.h"

#include <check.h>
#include <string.h>

#include "minutes.h"
#include "table.h"

static struct table *
sample(void)
{
	static const char *const head[] = { "name", "count", "note" };
	struct table *t = table_new(3, head, "lrl");

	table_row(t);
	table_cell(t, "edge");
	table_cellf(t, "%d", 7);
	table_cell(t, "a, b");
	table_row(t);
	table_cell(t, "front_door");
	table_cell(t, "12345");
	table_cell(t, "say \"hi\"|x\nline");
	table_row(t);
	table_cell(t, "région");	/* UTF-8: one column per code point */
	table_cell(t, NULL);
	return t;
}

START_TEST(test_text)
{
	struct table *t = sample();
	struct buf b;

	buf_init(&b, 1 << 20);
	table_render(t, TABLE_TEXT, &b);
	ck_assert_str_eq(b.data,
	    "name        count  note\n"
	    "----------  -----  ---------------\n"
	    "edge            7  a, b\n"
	    "front_door  12345  say \"hi\"|x line\n"
	    "région\n");
	buf_free(&b);
	table_free(t);
}
END_TEST

START_TEST(test_markdown)
{
	struct table *t = sample();
	struct buf b;

	buf_init(&b, 1 << 20);
	table_render(t, TABLE_MARKDOWN, &b);
	ck_assert_str_eq(b.data,
	    "| name | count | note |\n"
	    "| --- | ---: | --- |\n"
	    "| edge | 7 | a, b |\n"
	    "| front_door | 12345 | say \"hi\"\\|x line |\n"
	    "| région |  |  |\n");
	buf_free(&b);
	table_free(t);
}
END_TEST

START_TEST(test_csv)
{
	struct table *t = sample();
	struct buf b;

	buf_init(&b, 1 << 20);
	table_render(t, TABLE_CSV, &b);
	ck_assert_str_eq(b.data,
	    "name,count,note\r\n"
	    "edge,7,\"a, b\"\r\n"
	    "front_door,12345,\"say \"\"hi\"\"|x\nline\"\r\n"
	    "région,,\r\n");
	buf_free(&b);
	table_free(t);
}
END_TEST

START_TEST(test_empty)
{
	static const char *const head[] = { "a", "b" };
	struct table *t = table_new(2, head, NULL);
	struct buf b;

	buf_init(&b, 1 << 20);
	table_render(t, TABLE_CSV, &b);
	ck_assert_str_eq(b.data, "a,b\r\n");	/* one header row, nothing else */
	ck_assert_uint_eq(table_nrows(t), 0);
	buf_free(&b);
	table_free(t);
}
END_TEST

/* A layer is down when more than half of the regions probing it failed. */
START_TEST(test_layer_states)
{
	static const struct {
		int64_t total, bad;
		uint64_t probing, failing;
		enum minutes_state want;
	} v[] = {
		{ 0, 0, 0, 0, MSTATE_NODATA },
		{ 6, 0, 7, 0, MSTATE_OK },
		{ 6, 2, 7, 4, MSTATE_REGION },	/* 1 of 3 */
		{ 6, 3, 7, 6, MSTATE_DOWN },	/* 2 of 3 */
		{ 6, 6, 7, 7, MSTATE_DOWN },
		{ 2, 1, 1, 1, MSTATE_DOWN },	/* 1 of 1 */
		{ 4, 1, 3, 1, MSTATE_REGION },	/* 1 of 2: not more than half */
		{ 4, 2, 3, 3, MSTATE_DOWN },	/* 2 of 2 */
		{ 8, 2, 15, 3, MSTATE_REGION },	/* 2 of 4 */
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct minutes_cell c = { v[i].total, v[i].bad, v[i].probing, v[i].failing };

		ck_assert_msg(minutes_state(&c) == v[i].want, "case %zu: state %d, want %d",
		    i, minutes_state(&c), v[i].want);
	}
	ck_assert_str_eq(minutes_layer_name(MLAYER_CENTRAL), "central");
	ck_assert_int_eq(minutes_layer_index("front_door"), MLAYER_FRONT_DOOR);
	ck_assert_int_eq(minutes_layer_index("cdn"), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("table");
	TCase *tc = tcase_create("table");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_markdown);
	tcase_add_test(tc, test_csv);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_layer_states);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
