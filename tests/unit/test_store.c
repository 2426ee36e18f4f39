/* Unit tests: web/store.c ingest (idempotent, rollups) and report/sloeng.c
 * tiered windows against numbers computed from the raw rows. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collconf.h"
#include "conf.h"
#include "ingest.h"
#include "sloeng.h"
#include "store.h"
#include "timeutil.h"

static char dir[64];
static char path[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vantage-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.db", dir);
}

static void
teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *const checks[] = { "fd-health", "edge-health", "central-health" };
static const char *const layers[] = { "front_door", "edge", "central" };

/* Deterministic rows: seq 1..n, every 30 s back from end_ms; every 7th
 * fails (timeout), latency grows with seq. */
static struct ingest_row *
make_rows(int64_t first_seq, size_t n, int64_t end_ms)
{
	struct ingest_row *rows = calloc(n, sizeof(*rows));

	for (size_t i = 0; i < n; i++) {
		struct ingest_row *r = &rows[i];
		int64_t seq = first_seq + (int64_t)i;

		r->seq = seq;
		r->ts = end_ms - (int64_t)(n - i) * 30000;
		r->check = checks[seq % 3];
		r->layer = layers[seq % 3];
		r->service = "micro";
		r->provider = "p";
		r->kind = "http";
		r->ok = seq % 7 != 0;
		r->error_class = r->ok ? ERRCLASS_NONE : ERRCLASS_TIMEOUT;
		r->total_us = 1000 + (seq % 100) * 1000;
		r->body = "{}";
		r->body_len = 2;
	}
	return rows;
}

static int64_t
raw_count(sqlite3 *db, const char *where)
{
	char sql[512];
	sqlite3_stmt *st;
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM results WHERE %s", where);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

START_TEST(test_idempotent)
{
	char err[256];
	struct store *st = store_open(path, 2, err, sizeof(err));
	struct agent_report rep = { "a1", "eu", "hetzner", "0.1.0", 0, 0 };
	int64_t now = time_now_ms();
	struct ingest_row *rows = make_rows(1, 100, now);
	sqlite3 *db;

	ck_assert_msg(st != NULL, "%s", err);
	ck_assert_int_eq(store_ingest(st, &rep, rows, 100, 1000, err, sizeof(err)), 0);
	for (int i = 0; i < 100; i++)
		ck_assert(rows[i].stored);
	/* the same batch again: acknowledged, nothing stored twice */
	ck_assert_int_eq(store_ingest(st, &rep, rows, 100, 1000, err, sizeof(err)), 0);
	for (int i = 0; i < 100; i++)
		ck_assert(!rows[i].stored);
	db = store_reader(st);
	ck_assert_int_eq(raw_count(db, "1"), 100);
	store_reader_put(st, db);
	free(rows);
	store_close(st);
}
END_TEST

/* Tiered rollups give exactly the raw counts over many windows. */
START_TEST(test_windows_match_raw)
{
	static const int64_t windows[] = {
		5 * 60000, 30 * 60000, 3600000, 2 * 3600000, 6 * 3600000,
		86400000, 3 * 86400000, 30LL * 86400000
	};
	char err[256];
	struct store *st = store_open(path, 2, err, sizeof(err));
	struct agent_report rep = { "a1", "eu", "hetzner", "0.1.0", 0, 0 };
	int64_t now = time_now_ms();
	size_t n = 4 * 86400 / 30;	/* four days of 30 s results */
	struct ingest_row *rows = make_rows(1, n, now);
	struct slo_config slo;
	sqlite3 *db;

	ck_assert_msg(st != NULL, "%s", err);
	for (size_t off = 0; off < n; off += 500) {
		size_t k = n - off < 500 ? n - off : 500;
		ck_assert_int_eq(store_ingest(st, &rep, rows + off, k, 1000, err,
		    sizeof(err)), 0);
	}
	memset(&slo, 0, sizeof(slo));
	slo.objective = 0.999;
	db = store_reader(st);
	for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
		int64_t from = now - windows[w];
		struct rollup_agg *a;
		size_t na;
		char where[256];
		int64_t total, good;

		/* the engine widens the start to the whole minute */
		from -= from % 60000;
		ck_assert_int_eq(sloeng_aggregate(db, NULL, now - windows[w], now + 1,
		    NULL, &a, &na, err, sizeof(err)), 0);
		snprintf(where, sizeof(where), "ts >= %lld AND ts <= %lld",
		    (long long)from, (long long)now);
		total = raw_count(db, where);
		snprintf(where, sizeof(where), "ts >= %lld AND ts <= %lld AND ok",
		    (long long)from, (long long)now);
		good = raw_count(db, where);
		ck_assert_uint_eq(na, 1);
		ck_assert_msg(a[0].total == total && a[0].good == good,
		    "window %lld ms: rollups %lld/%lld, raw %lld/%lld",
		    (long long)windows[w], (long long)a[0].good, (long long)a[0].total,
		    (long long)good, (long long)total);
		ck_assert_int_eq(a[0].sk.count, good);
		sloeng_aggs_free(a, na);
	}
	/* grouped by layer: each layer's count matches */
	{
		struct rollup_agg *a;
		size_t na;
		int64_t sum = 0;

		ck_assert_int_eq(sloeng_aggregate(db, NULL, now - 30LL * 86400000, now + 1,
		    "layer", &a, &na, err, sizeof(err)), 0);
		ck_assert_uint_eq(na, 3);
		ck_assert_str_eq(a[0].key, "central");
		for (size_t i = 0; i < na; i++)
			sum += a[i].total;
		ck_assert_int_eq(sum, (int64_t)n);
		sloeng_aggs_free(a, na);
	}
	store_reader_put(st, db);
	free(rows);
	store_close(st);
}
END_TEST

/* An SLO evaluation equals the arithmetic on raw rows. */
START_TEST(test_evaluate_matches_raw)
{
	char err[256];
	struct store *st = store_open(path, 2, err, sizeof(err));
	struct agent_report rep = { "a1", "eu", "hetzner", "0.1.0", 0, 0 };
	int64_t now = time_now_ms();
	struct ingest_row *rows = make_rows(1, 3000, now);
	struct confctx c = { 0 };
	struct collector_config *cc;
	json_t *o;
	sqlite3 *db;
	int64_t total, good;
	double avail;

	ck_assert_msg(st != NULL, "%s", err);
	ck_assert_int_eq(store_ingest(st, &rep, rows, 3000, 1000, err, sizeof(err)), 0);
	cc = collconf_load_ctx(&c, "t.json", "{\"slos\": [{\"name\": \"fd\", "
	    "\"objective\": 99.9, \"window\": \"30d\", \"selector\": "
	    "{\"layer\": \"front_door\"}}]}");
	ck_assert_msg(cc != NULL, "%s", c.nerrs ? c.errs[0] : "?");
	db = store_reader(st);
	o = sloeng_evaluate(db, &cc->slos[0], now + 1, 1, err, sizeof(err));
	ck_assert_msg(o != NULL, "%s", err);
	total = raw_count(db, "layer = 'front_door'");
	good = raw_count(db, "layer = 'front_door' AND ok");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "total")), total);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "good")), good);
	avail = (double)good / (double)total;
	ck_assert(fabs(json_real_value(json_object_get(o, "availability")) - avail) < 1e-12);
	ck_assert(fabs(json_real_value(json_object_get(o, "budget_remaining")) -
	    (1 - (double)(total - good) / (0.001 * (double)total))) < 1e-9);
	ck_assert_ptr_nonnull(json_object_get(json_object_get(o, "by"), "region"));
	json_decref(o);
	store_reader_put(st, db);
	collconf_free(cc);
	conf_ctx_free(&c);
	free(rows);
	store_close(st);
}
END_TEST

START_TEST(test_parse_result)
{
	static const struct {
		const char	*json;
		const char	*err;	/* NULL: valid */
	} cases[] = {
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":5}", NULL },
		{ "{\"agent\":\"a2\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":5}", "agent: must be \"a1\"" },
		{ "{\"agent\":\"a1\",\"seq\":0,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":5}", "seq: must be an integer >= 1" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"check\":\"c\",\"ok\":true,\"total_us\":5}",
		  "ts: missing" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"ok\":true,\"total_us\":5}",
		  "check: missing" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":false,"
		  "\"error_class\":\"weird\",\"total_us\":5}", "error_class: must be one of" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"error_class\":\"dns\",\"total_us\":5}", "must be null when ok" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":99999999999999,\"check\":\"c\","
		  "\"ok\":true,\"total_us\":5}", "in the future" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":\"yes\","
		  "\"total_us\":5}", "ok: must be true or false" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":-1}", "total_us: must be an integer >= 0" },
		{ "[1]", "must be an object" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":false,"
		  "\"error_class\":\"consistency\",\"inconclusive\":true,\"total_us\":5}",
		  NULL },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":false,"
		  "\"error_class\":\"dns\",\"inconclusive\":1,\"total_us\":5}",
		  "inconclusive: must be true or false" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *rec = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		struct ingest_row row;
		char err[256] = "";
		int rc = ingest_parse_result(rec, "a1", 1000000, &row, err, sizeof(err));

		if (cases[i].err == NULL)
			ck_assert_msg(rc == 0, "case %zu: %s", i, err);
		if (rc == 0)	/* only a failure can be inconclusive */
			ck_assert(row.inconclusive == (strstr(cases[i].json,
			    "\"inconclusive\":true") != NULL && !row.ok));
		else
			ck_assert_msg(rc == -1 && strstr(err, cases[i].err),
			    "case %zu: rc %d, err \"%s\", want \"%s\"", i, rc, err,
			    cases[i].err);
		json_decref(rec);
	}
}
END_TEST

static int64_t
one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Inconclusive failures (the agent's own network was down) are stored and
 * counted, but are no events: not in total/good or the error columns, and
 * the check-down streaks stay where they were. A consistency failure has
 * its own column. */
START_TEST(test_inconclusive_and_consistency)
{
	char err[256];
	struct store *st = store_open(path, 2, err, sizeof(err));
	struct agent_report rep = { "a1", "eu", "hetzner", "0.1.0", 0, 0 };
	int64_t now = time_now_ms();
	struct ingest_row rows[6];
	struct rollup_agg *a;
	size_t n;
	sqlite3 *db;

	ck_assert_msg(st != NULL, "%s", err);
	memset(rows, 0, sizeof(rows));
	for (int i = 0; i < 6; i++) {
		rows[i].seq = i + 1;
		rows[i].ts = now - 60000 + i * 1000;
		rows[i].check = i < 5 ? "c" : "assets";
		rows[i].kind = "http";
		rows[i].total_us = 1000;
		rows[i].body = "{}";
		rows[i].body_len = 2;
	}
	rows[0].ok = true;			/* ok */
	rows[1].error_class = ERRCLASS_TIMEOUT;	/* a real failure: streak 1 */
	rows[2].error_class = ERRCLASS_CONNECT;	/* inconclusive x3 */
	rows[2].inconclusive = true;
	rows[3] = rows[2];
	rows[3].seq = 4;
	rows[4] = rows[2];
	rows[4].seq = 5;
	rows[5].error_class = ERRCLASS_CONSISTENCY;
	ck_assert_int_eq(store_ingest(st, &rep, rows, 6, 1000, err, sizeof(err)), 0);
	db = store_reader(st);
	ck_assert_int_eq(one_int(db, "SELECT count(*) FROM results WHERE "
	    "inconclusive = 1"), 3);
	ck_assert_int_eq(one_int(db, "SELECT sum(total) FROM rollup_1m WHERE "
	    "check_name = 'c'"), 2);
	ck_assert_int_eq(one_int(db, "SELECT sum(good) FROM rollup_1h WHERE "
	    "check_name = 'c'"), 1);
	ck_assert_int_eq(one_int(db, "SELECT sum(e_connect) FROM rollup_1d WHERE "
	    "check_name = 'c'"), 0);
	ck_assert_int_eq(one_int(db, "SELECT sum(inconclusive) FROM rollup_1d WHERE "
	    "check_name = 'c'"), 3);
	ck_assert_int_eq(one_int(db, "SELECT e_consistency FROM rollup_1m WHERE "
	    "check_name = 'assets'"), 1);
	/* the newest result is shown; its streak is the timeout's */
	ck_assert_int_eq(one_int(db, "SELECT seq FROM latest WHERE check_name = 'c'"), 5);
	ck_assert_int_eq(one_int(db, "SELECT fail_streak FROM latest WHERE "
	    "check_name = 'c'"), 1);
	ck_assert_int_eq(one_int(db, "SELECT ok_streak FROM latest WHERE "
	    "check_name = 'c'"), 0);
	ck_assert_int_eq(sloeng_aggregate(db, NULL, now - 3600000, now + 1, "check", &a,
	    &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(a[1].key, "c");
	ck_assert_int_eq(a[1].total, 2);
	ck_assert_int_eq(a[1].good, 1);
	ck_assert_int_eq(a[1].inconclusive, 3);
	ck_assert_int_eq(a[1].e[ERRCLASS_TIMEOUT], 1);
	ck_assert_int_eq(a[0].e[ERRCLASS_CONSISTENCY], 1);
	sloeng_aggs_free(a, n);
	store_reader_put(st, db);
	store_close(st);
}
END_TEST

/* A first result that is inconclusive starts no streak either. */
START_TEST(test_inconclusive_first)
{
	char err[256];
	struct store *st = store_open(path, 1, err, sizeof(err));
	struct agent_report rep = { "a1", "eu", NULL, NULL, 0, 0 };
	struct ingest_row r;
	sqlite3 *db;

	ck_assert_msg(st != NULL, "%s", err);
	memset(&r, 0, sizeof(r));
	r.seq = 1;
	r.ts = time_now_ms();
	r.check = "c";
	r.error_class = ERRCLASS_DNS;
	r.inconclusive = true;
	r.body = "{}";
	r.body_len = 2;
	ck_assert_int_eq(store_ingest(st, &rep, &r, 1, 1000, err, sizeof(err)), 0);
	db = store_reader(st);
	ck_assert_int_eq(one_int(db, "SELECT fail_streak + ok_streak FROM latest"), 0);
	ck_assert_int_eq(one_int(db, "SELECT total FROM rollup_1m"), 0);
	store_reader_put(st, db);
	store_close(st);
}
END_TEST

extern const char *const collector_migrations[];
extern const size_t collector_migrations_count;

/* A DB left by an older collector (schema version 1) is migrated in place,
 * keeping its rows. */
START_TEST(test_migrates_older_db)
{
	char err[256];
	struct store *st;
	sqlite3 *db;
	sqlite3_stmt *q;

	ck_assert_int_ge(collector_migrations_count, 2);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, collector_migrations[0], NULL, NULL, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 1; INSERT INTO latest "
	    "(check_name, agent, ts, seq, ok, body) VALUES ('c', 'a1', 1, 1, 1, '{}')",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = store_open(path, 1, err, sizeof(err));
	ck_assert_msg(st != NULL, "%s", err);
	store_close(st);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT (SELECT user_version FROM "
	    "pragma_user_version), fail_streak, ok_streak FROM latest", -1, &q, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(q, 0), (int)collector_migrations_count);
	ck_assert_int_eq(sqlite3_column_int(q, 1), 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_newer_schema_refused)
{
	char err[256];
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	ck_assert_ptr_null(store_open(path, 1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "newer"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_idempotent);
	tcase_add_test(tc, test_windows_match_raw);
	tcase_add_test(tc, test_evaluate_matches_raw);
	tcase_add_test(tc, test_parse_result);
	tcase_add_test(tc, test_newer_schema_refused);
	tcase_add_test(tc, test_migrates_older_db);
	tcase_add_test(tc, test_inconclusive_and_consistency);
	tcase_add_test(tc, test_inconclusive_first);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
