/* test_jsonpos: line and column of keys and values (lib/jsonpos.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "jsonpos.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct want {
	const char	*path;
	int		 line, col;
};

static void
expect_positions(const char *text, const struct want *w, size_t n)
{
	struct jsonpos *jp = jsonpos_build(text, strlen(text));

	ck_assert_ptr_nonnull(jp);
	for (size_t i = 0; i < n; i++) {
		int line = -1, col = -1;

		ck_assert_msg(jsonpos_find(jp, w[i].path, &line, &col) == 0,
		    "path \"%s\" not found", w[i].path);
		ck_assert_msg(line == w[i].line && col == w[i].col,
		    "path \"%s\" at %d:%d, want %d:%d", w[i].path, line, col,
		    w[i].line, w[i].col);
	}
	jsonpos_free(jp);
}

static const char nested[] =
    "{\n"
    "  \"a\": 1,\n"
    "  \"b\": {\n"
    "    \"c\": [10, {\"d\": true}],\n"
    "    \"e\": \"x\\\"}]\"\n"
    "  },\n"
    "  \"f\": [[1, 2], [3]],\n"
    "  \"g\": []\n"
    "}\n";

START_TEST(test_nested_keys)
{
	static const struct want w[] = {
		{ "", 1, 1 },
		{ "a", 2, 3 },
		{ "b", 3, 3 },
		{ "b.c", 4, 5 },
		{ "b.e", 5, 5 },
		{ "f", 7, 3 },
		{ "g", 8, 3 },
	};

	expect_positions(nested, w, NELEM(w));
}
END_TEST

START_TEST(test_array_elements)
{
	static const struct want w[] = {
		{ "b.c[0]", 4, 11 },
		{ "b.c[1]", 4, 15 },
		{ "b.c[1].d", 4, 16 },
		{ "f[0]", 7, 9 },
		{ "f[0][0]", 7, 10 },
		{ "f[0][1]", 7, 13 },
		{ "f[1]", 7, 17 },
		{ "f[1][0]", 7, 18 },
	};

	expect_positions(nested, w, NELEM(w));
}
END_TEST

START_TEST(test_absent_paths)
{
	struct jsonpos *jp = jsonpos_build(nested, strlen(nested));
	static const char *const absent[] = {
		"z", "b.z", "b.c[2]", "g[0]", "f[2]", "a.b", "b.c.d", "B", "b.", "f[0][2]",
	};
	int line = 77, col = 88;

	for (size_t i = 0; i < NELEM(absent); i++) {
		ck_assert_msg(jsonpos_find(jp, absent[i], &line, &col) == -1,
		    "\"%s\" found at %d:%d", absent[i], line, col);
		ck_assert_int_eq(line, 77);
		ck_assert_int_eq(col, 88);
	}
	jsonpos_free(jp);
}
END_TEST

/* A string value holding quotes and brackets does not derail the scan:
 * the key after it is still found at the right place. */
START_TEST(test_strings_with_brackets)
{
	static const char text[] =
	    "{\"s\": \"{[\\\"\\\\\", \"t\": 2,\n"
	    " \"u\": \"a,b:c\", \"v\": {\"w\": 3}}";
	static const struct want w[] = {
		{ "s", 1, 2 },
		{ "t", 1, 17 },
		{ "u", 2, 2 },
		{ "v", 2, 16 },
		{ "v.w", 2, 22 },
	};

	expect_positions(text, w, NELEM(w));
}
END_TEST

/* Escaped keys are indexed under the decoded key, the name jansson gives
 * (and hence the one conf_error is called with). */
START_TEST(test_escaped_keys)
{
	static const char text[] =
	    "{\n"
	    "  \"k\\\"q\": 1,\n"
	    "  \"back\\\\slash\": 2,\n"
	    "  \"sl\\/ash\": 3,\n"
	    "  \"caf\\u00e9\": 4,\n"
	    "  \"tab\\there\": 5,\n"
	    "  \"\\u0041\\u00DF\\u20ac\": {\"x\": 6},\n"
	    "  \"smile\\ud83d\\ude00\": 7,\n"
	    "  \"after\": 8\n"
	    "}";
	static const struct want w[] = {
		{ "k\"q", 2, 3 },
		{ "back\\slash", 3, 3 },
		{ "sl/ash", 4, 3 },
		{ "caf\xc3\xa9", 5, 3 },
		{ "tab\there", 6, 3 },
		{ "A\xc3\x9f\xe2\x82\xac", 7, 3 },
		{ "A\xc3\x9f\xe2\x82\xac.x", 7, 26 },
		{ "smile\xf0\x9f\x98\x80", 8, 3 },
		{ "after", 9, 3 },
	};
	json_error_t je;
	json_t *root = json_loads(text, 0, &je);
	const char *key;
	json_t *v;
	struct jsonpos *jp;

	/* every key jansson hands out can be found */
	ck_assert_msg(root != NULL, "test JSON invalid: %s", je.text);
	jp = jsonpos_build(text, strlen(text));
	json_object_foreach(root, key, v) {
		int line, col;
		ck_assert_msg(jsonpos_find(jp, key, &line, &col) == 0,
		    "jansson key \"%s\" not indexed", key);
	}
	jsonpos_free(jp);
	json_decref(root);
	expect_positions(text, w, NELEM(w));
}
END_TEST

/* Columns count characters, not bytes. */
START_TEST(test_utf8_columns)
{
	static const char text[] = "{\"n\": \"\xc3\xa9\xc3\xa9\xe2\x82\xac\", \"m\": 1}";
	static const struct want w[] = {
		{ "n", 1, 2 },
		{ "m", 1, 14 },
	};

	expect_positions(text, w, NELEM(w));
}
END_TEST

START_TEST(test_crlf_and_leading_space)
{
	static const char text[] = "\r\n  \t{\r\n\"a\":\r\n  [\r\n 5 ]}";
	static const struct want w[] = {
		{ "", 2, 4 },
		{ "a", 3, 1 },
		{ "a[0]", 5, 2 },
	};

	expect_positions(text, w, NELEM(w));
}
END_TEST

START_TEST(test_scalars_and_empty)
{
	static const char text[] = "{\"n\":null,\"t\":true,\"x\":-1.5e3,\"o\":{},\"z\":0}";
	static const struct want w[] = {
		{ "n", 1, 2 },
		{ "t", 1, 11 },
		{ "x", 1, 20 },
		{ "o", 1, 31 },
		{ "z", 1, 38 },
	};

	expect_positions(text, w, NELEM(w));
}
END_TEST

/* Broken or cut text (the parser reports it; we must only not crash). */
START_TEST(test_truncated_text)
{
	static const char *const texts[] = {
		"", "{", "{\"a\"", "{\"a\": [1, 2", "{\"a\": \"unterminated",
		"[1, {\"b\": ", "{\"k\\u12\": 1}", "{\"k\\ud83d\": 1}", "}}}]]]", "\"\\",
		"[1}", "[1, }]", "{\"a\": ]}", "[:]", "{\"a\" 1 2}", "[[[[}}}}",
	};
	int line, col;

	for (size_t i = 0; i < NELEM(texts); i++) {
		struct jsonpos *jp = jsonpos_build(texts[i], strlen(texts[i]));
		ck_assert_ptr_nonnull(jp);
		ck_assert_int_eq(jsonpos_find(jp, "", &line, &col), 0);
		jsonpos_free(jp);
	}
	{
		struct jsonpos *jp = jsonpos_build("{\"a\": [1, 2", 11);
		ck_assert_int_eq(jsonpos_find(jp, "a[1]", &line, &col), 0);
		ck_assert_int_eq(line, 1);
		ck_assert_int_eq(col, 11);
		jsonpos_free(jp);
	}
}
END_TEST

/* Only len bytes are read, even when more follow. */
START_TEST(test_len_respected)
{
	static const char text[] = "{\"a\": 1, \"b\": 2}";
	struct jsonpos *jp = jsonpos_build(text, 8);
	int line, col;

	ck_assert_int_eq(jsonpos_find(jp, "a", &line, &col), 0);
	ck_assert_int_eq(jsonpos_find(jp, "b", &line, &col), -1);
	jsonpos_free(jp);
}
END_TEST

START_TEST(test_deep_nesting)
{
	char text[2200];
	size_t off = 0;
	struct jsonpos *jp;
	int line, col;

	/* far deeper than the scanner descends: no crash, shallow paths work */
	for (int i = 0; i < 1000; i++)
		text[off++] = '[';
	for (int i = 0; i < 1000; i++)
		text[off++] = ']';
	text[off] = '\0';
	jp = jsonpos_build(text, off);
	ck_assert_int_eq(jsonpos_find(jp, "[0]", &line, &col), 0);
	ck_assert_int_eq(col, 2);
	ck_assert_int_eq(jsonpos_find(jp, "[0][0][0]", &line, &col), 0);
	ck_assert_int_eq(col, 4);
	jsonpos_free(jp);
	jsonpos_free(NULL);
}
END_TEST

START_TEST(test_many_entries)
{
	char text[64 * 1024];
	size_t off = 0;
	struct jsonpos *jp;
	int line, col;

	off += (size_t)snprintf(text + off, sizeof(text) - off, "{\"list\": [\n");
	for (int i = 0; i < 500; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "%s{\"name\": \"c%d\"}\n", i ? "," : "", i);
	snprintf(text + off, sizeof(text) - off, "]}");
	jp = jsonpos_build(text, strlen(text));
	ck_assert_int_eq(jsonpos_find(jp, "list[0].name", &line, &col), 0);
	ck_assert_int_eq(line, 2);
	ck_assert_int_eq(col, 2);
	ck_assert_int_eq(jsonpos_find(jp, "list[499].name", &line, &col), 0);
	ck_assert_int_eq(line, 501);
	ck_assert_int_eq(col, 3);
	ck_assert_int_eq(jsonpos_find(jp, "list[500]", &line, &col), -1);
	jsonpos_free(jp);
}
END_TEST

static Suite *
jsonpos_suite(void)
{
	Suite *s = suite_create("jsonpos");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_nested_keys);
	tcase_add_test(tc, test_array_elements);
	tcase_add_test(tc, test_absent_paths);
	tcase_add_test(tc, test_strings_with_brackets);
	tcase_add_test(tc, test_escaped_keys);
	tcase_add_test(tc, test_utf8_columns);
	tcase_add_test(tc, test_crlf_and_leading_space);
	tcase_add_test(tc, test_scalars_and_empty);
	tcase_add_test(tc, test_truncated_text);
	tcase_add_test(tc, test_len_respected);
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_test(tc, test_many_entries);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(jsonpos_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
