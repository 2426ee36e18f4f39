/* test_outbox: the agent's SQLite outbox (agent/outbox.h): seq across
 * restarts, counters, retention. Rows are checked with sqlite3 directly. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>
#include <sqlite3.h>

#include "outbox.h"
#include "result.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define HOUR_MS		3600000LL
#define NOW_MS		1700000000000LL		/* a fixed "now" */

static char tmpdir[256];
static char dbpath[512];

static void
setup(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/vantage-outbox-XXXXXX",
	    t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/agent.db", tmpdir);
}

static void
teardown(void)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[600];

	for (size_t i = 0; i < NELEM(suffix); i++) {
		snprintf(p, sizeof(p), "%s%s", dbpath, suffix[i]);
		unlink(p);
	}
	rmdir(tmpdir);
}

static struct outbox *
open_ok(bool standalone)
{
	char err[256] = "";
	struct outbox *ob = outbox_open(dbpath, standalone, err, sizeof(err));

	ck_assert_msg(ob != NULL, "outbox_open: %s", err);
	return ob;
}

static void
fill(struct result *r, const char *check, int64_t ts_ms, bool ok)
{
	memset(r, 0, sizeof(*r));
	r->check = check;
	r->kind = "http";
	r->url = "http://x.test/";
	r->agent = "agent-1";
	r->region = "eu";
	r->ts_ms = ts_ms;
	r->ok = ok;
	r->attempts = 1;
	r->total_us = 1000;
	if (ok)
		r->status = 200;
	else
		result_fail(r, ERRCLASS_TIMEOUT, "timed out after %d ms", 10);
}

/* Store n results with start times ts_ms; first seq given is returned. */
static int64_t
put_n(struct outbox *ob, size_t n, int64_t ts_ms)
{
	struct result rs[64], *p[64];
	char err[256] = "";

	ck_assert_uint_le(n, NELEM(rs));
	for (size_t i = 0; i < n; i++) {
		fill(&rs[i], "c", ts_ms, true);
		p[i] = &rs[i];
	}
	ck_assert_msg(outbox_put(ob, p, n, err, sizeof(err)) == 0, "put: %s", err);
	for (size_t i = 1; i < n; i++)
		ck_assert_int_eq(rs[i].seq, rs[i - 1].seq + 1);
	return n ? rs[0].seq : 0;
}

/* One integer from the DB, read with a separate connection. */
static int64_t
db_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -999;

	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL),
	    SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
db_exec(const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s",
	    sql, msg ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
}

static const struct outbox_retention keep_all = {
	3650LL * 86400000, 3650LL * 86400000, 1000000000
};

/* ---- storing ---- */

START_TEST(test_put_seq_and_rows)
{
	struct outbox *ob = open_ok(false);
	struct result a, b, c, *p[3] = { &a, &b, &c };
	char err[256];
	sqlite3 *db;
	sqlite3_stmt *st;
	json_t *row;

	ck_assert_int_eq(outbox_next_seq(ob), 1);
	ck_assert_int_eq(outbox_rows(ob), 0);
	ck_assert_int_eq(outbox_depth(ob), 0);
	fill(&a, "c1", NOW_MS, true);
	fill(&b, "c2", NOW_MS + 1, false);
	fill(&c, "c3", NOW_MS + 2, true);
	ck_assert_int_eq(outbox_put(ob, p, 3, err, sizeof(err)), 0);
	ck_assert_int_eq(a.seq, 1);
	ck_assert_int_eq(b.seq, 2);
	ck_assert_int_eq(c.seq, 3);
	ck_assert_int_eq(outbox_next_seq(ob), 4);
	ck_assert_int_eq(outbox_rows(ob), 3);
	ck_assert_int_eq(outbox_depth(ob), 3);
	outbox_close(ob);

	/* the rows as stored */
	ck_assert_int_eq(db_int("SELECT count(*) FROM results"), 3);
	ck_assert_int_eq(db_int("SELECT count(*) FROM results WHERE shipped = 0"), 3);
	ck_assert_int_eq(db_int("SELECT min(seq) FROM results"), 1);
	ck_assert_int_eq(db_int("SELECT max(seq) FROM results"), 3);
	ck_assert_int_eq(db_int("SELECT ts FROM results WHERE seq = 2"), NOW_MS + 1);
	ck_assert_int_eq(db_int("SELECT ok FROM results WHERE seq = 2"), 0);
	ck_assert_int_eq(db_int("SELECT ok FROM results WHERE seq = 1"), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM results WHERE seq = 1 AND "
	    "error_class IS NULL AND check_name = 'c1'"), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM results WHERE seq = 2 AND "
	    "error_class = 'timeout' AND check_name = 'c2'"), 1);
	ck_assert_int_eq(db_int("SELECT CAST(value AS INTEGER) FROM meta "
	    "WHERE key = 'last_seq'"), 3);

	/* the body is the JSON record, seq included */
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT body FROM results WHERE seq = 2",
	    -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	row = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	ck_assert_ptr_nonnull(row);
	ck_assert_int_eq(json_integer_value(json_object_get(row, "seq")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(row, "check")), "c2");
	ck_assert_str_eq(json_string_value(json_object_get(row, "error_class")), "timeout");
	ck_assert(json_is_false(json_object_get(row, "ok")));
	ck_assert_int_eq(json_integer_value(json_object_get(row, "ts")), NOW_MS + 1);
	json_decref(row);
	sqlite3_finalize(st);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_put_nothing)
{
	struct outbox *ob = open_ok(false);
	char err[64];

	ck_assert_int_eq(outbox_put(ob, NULL, 0, err, sizeof(err)), 0);
	ck_assert_int_eq(outbox_next_seq(ob), 1);
	ck_assert_int_eq(outbox_rows(ob), 0);
	outbox_close(ob);
}
END_TEST

START_TEST(test_standalone_is_shipped)
{
	struct outbox *ob = open_ok(true);

	put_n(ob, 4, NOW_MS);
	ck_assert_int_eq(outbox_rows(ob), 4);
	ck_assert_int_eq(outbox_depth(ob), 0);
	ck_assert_int_eq(outbox_oldest_unshipped_ms(ob), 0);
	outbox_close(ob);
	ck_assert_int_eq(db_int("SELECT count(*) FROM results WHERE shipped = 1"), 4);
	ck_assert_int_eq(db_int("SELECT count(*) FROM results WHERE shipped = 0"), 0);
}
END_TEST

/* A failed batch stores nothing, gives no seq, and does not move the
 * sequence on. */
START_TEST(test_put_failure_is_atomic)
{
	struct outbox *ob = open_ok(false);
	struct result a, b, c, *p[3] = { &a, &b, &c };
	char err[256] = "";

	put_n(ob, 2, NOW_MS);
	fill(&a, "ok1", NOW_MS, true);
	fill(&b, "ok2", NOW_MS, true);
	fill(&c, NULL, NOW_MS, true);	/* check_name is NOT NULL */
	ck_assert_int_eq(outbox_put(ob, p, 3, err, sizeof(err)), -1);
	ck_assert_msg(err[0] != '\0', "no message");
	ck_assert_int_eq(a.seq, 0);
	ck_assert_int_eq(b.seq, 0);
	ck_assert_int_eq(c.seq, 0);
	ck_assert_int_eq(outbox_next_seq(ob), 3);
	ck_assert_int_eq(outbox_rows(ob), 2);
	ck_assert_int_eq(outbox_depth(ob), 2);
	/* and the outbox still works */
	ck_assert_int_eq(put_n(ob, 1, NOW_MS), 3);
	outbox_close(ob);
	ck_assert_int_eq(db_int("SELECT count(*) FROM results"), 3);
	ck_assert_int_eq(db_int("SELECT count(*) FROM results WHERE check_name "
	    "LIKE 'ok%'"), 0);
	ck_assert_int_eq(db_int("SELECT CAST(value AS INTEGER) FROM meta "
	    "WHERE key = 'last_seq'"), 3);
}
END_TEST

/* ---- seq across restarts ---- */

START_TEST(test_seq_across_reopen)
{
	struct outbox *ob = open_ok(false);

	ck_assert_int_eq(put_n(ob, 5, NOW_MS), 1);
	outbox_close(ob);
	ob = open_ok(false);
	ck_assert_int_eq(outbox_next_seq(ob), 6);
	ck_assert_int_eq(outbox_rows(ob), 5);
	ck_assert_int_eq(outbox_depth(ob), 5);
	ck_assert_int_eq(put_n(ob, 2, NOW_MS), 6);
	outbox_close(ob);
	ob = open_ok(true);
	ck_assert_int_eq(outbox_next_seq(ob), 8);
	ck_assert_int_eq(outbox_rows(ob), 7);
	ck_assert_int_eq(outbox_depth(ob), 7);	/* counted from the DB */
	outbox_close(ob);
}
END_TEST

/* Once every row is pruned, meta's last_seq still carries the sequence. */
START_TEST(test_seq_after_all_pruned)
{
	struct outbox *ob = open_ok(true);
	struct outbox_prune_stats st = { 0, 0, 0 };
	struct outbox_retention ret = { HOUR_MS, HOUR_MS, 1000000 };
	char err[256] = "";

	put_n(ob, 10, NOW_MS - 2 * HOUR_MS);
	ck_assert_msg(outbox_prune(ob, NOW_MS, &ret, &st, err, sizeof(err)) == 0,
	    "prune: %s", err);
	ck_assert_int_eq(st.expired, 10);
	ck_assert_int_eq(outbox_rows(ob), 0);
	outbox_close(ob);
	ck_assert_int_eq(db_int("SELECT count(*) FROM results"), 0);
	ob = open_ok(true);
	ck_assert_int_eq(outbox_next_seq(ob), 11);
	ck_assert_int_eq(put_n(ob, 1, NOW_MS), 11);
	outbox_close(ob);
}
END_TEST

/* A DB without the meta row (written by hand, or older) still continues
 * after its highest row. */
START_TEST(test_seq_without_meta)
{
	struct outbox *ob = open_ok(false);

	put_n(ob, 3, NOW_MS);
	outbox_close(ob);
	db_exec("DELETE FROM meta");
	ob = open_ok(false);
	ck_assert_int_eq(outbox_next_seq(ob), 4);
	outbox_close(ob);
	/* and the larger of the two wins when meta is ahead */
	db_exec("INSERT INTO meta (key, value) VALUES ('last_seq', '41')");
	ob = open_ok(false);
	ck_assert_int_eq(outbox_next_seq(ob), 42);
	ck_assert_int_eq(put_n(ob, 1, NOW_MS), 42);
	outbox_close(ob);
}
END_TEST

/* ---- retention ---- */

START_TEST(test_prune_by_age)
{
	struct outbox *ob;
	struct outbox_prune_stats st = { 0, 0, 0 };
	struct outbox_retention ret = { HOUR_MS, 2 * HOUR_MS, 1000000 };
	char err[256] = "";

	/* shipped (local-only) rows: 2 old, 1 new */
	ob = open_ok(true);
	put_n(ob, 2, NOW_MS - 3 * HOUR_MS);		/* seq 1-2 */
	put_n(ob, 1, NOW_MS - 60000);			/* seq 3 */
	outbox_close(ob);
	/* unshipped rows: 2 older than both windows, 3 between them, 1 new */
	ob = open_ok(false);
	put_n(ob, 2, NOW_MS - 3 * HOUR_MS);		/* seq 4-5 */
	put_n(ob, 3, NOW_MS - 90 * 60000);		/* seq 6-8 */
	put_n(ob, 1, NOW_MS);				/* seq 9 */
	ck_assert_int_eq(outbox_rows(ob), 9);
	ck_assert_int_eq(outbox_depth(ob), 6);
	ck_assert_int_eq(outbox_oldest_unshipped_ms(ob), NOW_MS - 3 * HOUR_MS);

	ck_assert_msg(outbox_prune(ob, NOW_MS, &ret, &st, err, sizeof(err)) == 0,
	    "prune: %s", err);
	ck_assert_int_eq(st.expired, 2);	/* quiet: they were shipped */
	ck_assert_int_eq(st.dropped, 2);	/* loud: never shipped */
	ck_assert_int_eq(st.capped, 0);
	ck_assert_int_eq(outbox_rows(ob), 5);
	ck_assert_int_eq(outbox_depth(ob), 4);
	ck_assert_int_eq(outbox_oldest_unshipped_ms(ob), NOW_MS - 90 * 60000);

	/* a second pass finds nothing more, and stats accumulate */
	ck_assert_int_eq(outbox_prune(ob, NOW_MS, &ret, &st, err, sizeof(err)), 0);
	ck_assert_int_eq(st.expired, 2);
	ck_assert_int_eq(st.dropped, 2);
	outbox_close(ob);

	ck_assert_int_eq(db_int("SELECT count(*) FROM results"), 5);
	ck_assert_int_eq(db_int("SELECT group_concat(seq) = '3,6,7,8,9' FROM "
	    "(SELECT seq FROM results ORDER BY seq)"), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM results WHERE shipped = 0"), 4);

	/* the counters read back from the DB agree */
	ob = open_ok(false);
	ck_assert_int_eq(outbox_rows(ob), 5);
	ck_assert_int_eq(outbox_depth(ob), 4);
	outbox_close(ob);
}
END_TEST

START_TEST(test_prune_keeps_fresh)
{
	struct outbox *ob = open_ok(false);
	struct outbox_prune_stats st = { 0, 0, 0 };
	char err[256] = "";

	put_n(ob, 5, NOW_MS - 10 * HOUR_MS);
	ck_assert_int_eq(outbox_prune(ob, NOW_MS, &keep_all, &st, err, sizeof(err)), 0);
	ck_assert_int_eq(st.expired + st.dropped + st.capped, 0);
	ck_assert_int_eq(outbox_rows(ob), 5);
	ck_assert_int_eq(outbox_depth(ob), 5);
	outbox_close(ob);
}
END_TEST

START_TEST(test_prune_max_rows_unshipped)
{
	struct outbox *ob = open_ok(false);
	struct outbox_prune_stats st = { 0, 0, 0 };
	struct outbox_retention ret = keep_all;
	char err[256] = "";

	put_n(ob, 10, NOW_MS);
	ret.max_rows = 4;
	ck_assert_msg(outbox_prune(ob, NOW_MS, &ret, &st, err, sizeof(err)) == 0,
	    "prune: %s", err);
	ck_assert_int_eq(st.capped, 6);
	ck_assert_int_eq(st.dropped, 6);	/* all were waiting to ship */
	ck_assert_int_eq(st.expired, 0);
	ck_assert_int_eq(outbox_rows(ob), 4);
	ck_assert_int_eq(outbox_depth(ob), 4);
	outbox_close(ob);
	/* the oldest went first */
	ck_assert_int_eq(db_int("SELECT min(seq) FROM results"), 7);
	ck_assert_int_eq(db_int("SELECT max(seq) FROM results"), 10);
}
END_TEST

START_TEST(test_prune_max_rows_mixed)
{
	struct outbox *ob;
	struct outbox_prune_stats st = { 0, 0, 0 };
	struct outbox_retention ret = keep_all;
	char err[256] = "";

	ob = open_ok(true);
	put_n(ob, 3, NOW_MS);		/* seq 1-3, shipped */
	outbox_close(ob);
	ob = open_ok(false);
	put_n(ob, 5, NOW_MS);		/* seq 4-8, waiting */
	ret.max_rows = 4;
	ck_assert_msg(outbox_prune(ob, NOW_MS, &ret, &st, err, sizeof(err)) == 0,
	    "prune: %s", err);
	ck_assert_int_eq(st.capped, 4);
	ck_assert_int_eq(st.dropped, 1);	/* only seq 4 had not shipped */
	ck_assert_int_eq(outbox_rows(ob), 4);
	ck_assert_int_eq(outbox_depth(ob), 4);
	outbox_close(ob);
	ck_assert_int_eq(db_int("SELECT min(seq) FROM results"), 5);
	ck_assert_int_eq(db_int("SELECT count(*) FROM results WHERE shipped = 1"), 0);
}
END_TEST

/* More than one prune step (5000 rows) of excess. */
START_TEST(test_prune_max_rows_large)
{
	struct outbox *ob = open_ok(true);
	struct outbox_prune_stats st = { 0, 0, 0 };
	struct outbox_retention ret = keep_all;
	char err[256] = "";

	for (int i = 0; i < 200; i++)
		put_n(ob, 64, NOW_MS);
	ck_assert_int_eq(outbox_rows(ob), 12800);
	ret.max_rows = 100;
	ck_assert_msg(outbox_prune(ob, NOW_MS, &ret, &st, err, sizeof(err)) == 0,
	    "prune: %s", err);
	ck_assert_int_eq(st.capped, 12700);
	ck_assert_int_eq(st.dropped, 0);
	ck_assert_int_eq(outbox_rows(ob), 100);
	outbox_close(ob);
	ck_assert_int_eq(db_int("SELECT count(*) FROM results"), 100);
	ck_assert_int_eq(db_int("SELECT min(seq) FROM results"), 12701);
}
END_TEST

/* ---- opening ---- */

START_TEST(test_newer_schema_refused)
{
	sqlite3 *db;
	char err[256] = "";

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_ptr_null(outbox_open(dbpath, false, err, sizeof(err)));
	ck_assert_msg(strstr(err, "99") != NULL &&
	    strstr(err, "newer than this program") != NULL, "message: %s", err);
}
END_TEST

START_TEST(test_schema_version_set)
{
	struct outbox *ob = open_ok(false);

	outbox_close(ob);
	ck_assert_int_ge(db_int("PRAGMA user_version"), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name IN ('results', 'meta')"), 2);
	/* opening again applies nothing twice */
	ob = open_ok(false);
	outbox_close(ob);
}
END_TEST

/* The DB and its -wal and -shm files are created 0600 whatever the umask
 * (issue 14, finding 8: they were 0644, and 0666 under umask 000). */
START_TEST(test_created_private)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	mode_t old = umask(0);
	struct outbox *ob;

	ob = open_ok(false);
	put_n(ob, 3, NOW_MS);
	umask(old);
	for (size_t i = 0; i < NELEM(suffix); i++) {
		char p[600];
		struct stat st;

		snprintf(p, sizeof(p), "%s%s", dbpath, suffix[i]);
		ck_assert_msg(stat(p, &st) == 0, "%s missing", p);
		ck_assert_msg((st.st_mode & 0777) == 0600, "%s is %04o, want 0600", p,
		    (unsigned)(st.st_mode & 0777));
	}
	outbox_close(ob);
}
END_TEST

/* An existing DB keeps its mode (an operator may have chosen it). */
START_TEST(test_existing_mode_kept)
{
	struct outbox *ob;
	struct stat st;

	ob = open_ok(false);
	outbox_close(ob);
	ck_assert_int_eq(chmod(dbpath, 0640), 0);
	ob = open_ok(false);
	outbox_close(ob);
	ck_assert_int_eq(stat(dbpath, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0640);
}
END_TEST

START_TEST(test_open_bad_path)
{
	char err[256] = "";
	char path[600];

	snprintf(path, sizeof(path), "%s/no/such/dir/agent.db", tmpdir);
	ck_assert_ptr_null(outbox_open(path, false, err, sizeof(err)));
	ck_assert_msg(strstr(err, path) != NULL, "message: %s", err);
}
END_TEST

START_TEST(test_open_not_a_db)
{
	char err[256] = "";
	FILE *fp = fopen(dbpath, "w");

	ck_assert_ptr_nonnull(fp);
	for (int i = 0; i < 100; i++)
		fputs("this is not an SQLite database\n", fp);
	fclose(fp);
	ck_assert_ptr_null(outbox_open(dbpath, false, err, sizeof(err)));
	ck_assert_msg(err[0] != '\0', "no message");
	outbox_close(NULL);
}
END_TEST

static Suite *
outbox_suite(void)
{
	Suite *s = suite_create("outbox");
	TCase *tp = tcase_create("put");
	TCase *tq = tcase_create("seq");
	TCase *tr = tcase_create("retention");
	TCase *to = tcase_create("open");
	TCase *all[] = { tp, tq, tr, to };

	for (size_t i = 0; i < NELEM(all); i++) {
		tcase_add_checked_fixture(all[i], setup, teardown);
		tcase_set_timeout(all[i], 60);
	}
	tcase_add_test(tp, test_put_seq_and_rows);
	tcase_add_test(tp, test_put_nothing);
	tcase_add_test(tp, test_standalone_is_shipped);
	tcase_add_test(tp, test_put_failure_is_atomic);
	tcase_add_test(tq, test_seq_across_reopen);
	tcase_add_test(tq, test_seq_after_all_pruned);
	tcase_add_test(tq, test_seq_without_meta);
	tcase_add_test(tr, test_prune_by_age);
	tcase_add_test(tr, test_prune_keeps_fresh);
	tcase_add_test(tr, test_prune_max_rows_unshipped);
	tcase_add_test(tr, test_prune_max_rows_mixed);
	tcase_add_test(tr, test_prune_max_rows_large);
	tcase_add_test(to, test_newer_schema_refused);
	tcase_add_test(to, test_schema_version_set);
	tcase_add_test(to, test_created_private);
	tcase_add_test(to, test_existing_mode_kept);
	tcase_add_test(to, test_open_bad_path);
	tcase_add_test(to, test_open_not_a_db);
	for (size_t i = 0; i < NELEM(all); i++)
		suite_add_tcase(s, all[i]);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(outbox_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
