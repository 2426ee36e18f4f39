/* sqlfn: sketch_merge(), sketch_agg() and thr_merge() for SQLite. */
#include "config.h"

#include <stdlib.h>

#include "sketch.h"
#include "sqlfn.h"
#include "thr.h"

static int
add_blob(struct sketch *s, sqlite3_value *v)
{
	if (sqlite3_value_type(v) == SQLITE_NULL)
		return 0;
	return sketch_decode_merge(s, sqlite3_value_blob(v),
	    (size_t)sqlite3_value_bytes(v));
}

static void
result_sketch(sqlite3_context *ctx, const struct sketch *s)
{
	size_t len;
	unsigned char *enc = sketch_encode(s, &len);

	sqlite3_result_blob(ctx, enc, (int)len, free);
}

static void
fn_merge(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *a = NULL, *b = NULL;
	unsigned char *out;
	size_t alen = 0, blen = 0, len;

	(void)argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_NULL) {
		a = sqlite3_value_blob(argv[0]);
		alen = (size_t)sqlite3_value_bytes(argv[0]);
	}
	if (sqlite3_value_type(argv[1]) != SQLITE_NULL) {
		b = sqlite3_value_blob(argv[1]);
		blen = (size_t)sqlite3_value_bytes(argv[1]);
	}
	/* merged pair by pair, without the dense counts */
	if ((out = sketch_merge_encoded(a, alen, b, blen, &len)) == NULL) {
		sqlite3_result_error(ctx, "sketch_merge: malformed sketch", -1);
		return;
	}
	sqlite3_result_blob(ctx, out, (int)len, free);
}

static void
fn_thr_merge(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *a = NULL, *b = NULL;
	unsigned char *out;
	size_t alen = 0, blen = 0, len;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_BLOB) {
		a = sqlite3_value_blob(argv[0]);
		alen = (size_t)sqlite3_value_bytes(argv[0]);
	}
	if (sqlite3_value_type(argv[1]) == SQLITE_BLOB) {
		b = sqlite3_value_blob(argv[1]);
		blen = (size_t)sqlite3_value_bytes(argv[1]);
	}
	if (a == NULL && b == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if ((out = thr_merge(a, alen, b, blen, &len)) == NULL) {
		sqlite3_result_error(ctx, "thr_merge: malformed threshold counts", -1);
		return;
	}
	sqlite3_result_blob(ctx, out, (int)len, free);
}

struct agg {
	struct sketch	s;
	int		init, bad;
};

static void
fn_agg_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct agg *a = sqlite3_aggregate_context(ctx, sizeof(*a));

	if (a == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (!a->init) {
		sketch_init(&a->s);
		a->init = 1;
	}
	if (add_blob(&a->s, argv[0]) < 0)
		a->bad = 1;
}

static void
fn_agg_final(sqlite3_context *ctx)
{
	struct agg *a = sqlite3_aggregate_context(ctx, 0);
	struct sketch empty;

	if (a == NULL || !a->init) {
		sketch_init(&empty);
		result_sketch(ctx, &empty);
		return;
	}
	if (a->bad)
		sqlite3_result_error(ctx, "sketch_agg: malformed sketch", -1);
	else
		result_sketch(ctx, &a->s);
	sketch_free(&a->s);
}

int
sqlfn_register(sqlite3 *db)
{
	int rc;

	rc = sqlite3_create_function_v2(db, "sketch_merge", 2,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_merge, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_create_function_v2(db, "thr_merge", 2,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_thr_merge, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return rc;
	return sqlite3_create_function_v2(db, "sketch_agg", 1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL, fn_agg_step,
	    fn_agg_final, NULL);
}
