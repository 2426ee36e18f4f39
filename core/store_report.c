/* store_report: what vantage-report asks the store besides aggregates:
 * whether rollups exist in a range (the pruned-minutes note, the checks
 * view's labels), and what layout a DB it could not open has (the exit
 * status of a refusal). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* core/sql_collector.c: the collector schema this program reads */
extern const size_t collector_migrations_count;

static const char *const sql_any[STORE_NTIERS] = {
	"SELECT 1 FROM rollup_1m WHERE bucket >= ?1 AND bucket < ?2 LIMIT 1",
	"SELECT 1 FROM rollup_1h WHERE bucket >= ?1 AND bucket < ?2 LIMIT 1",
	"SELECT 1 FROM rollup_1d WHERE bucket >= ?1 AND bucket < ?2 LIMIT 1",
};

static int
found_row(const struct rollup_row *r, void *arg)
{
	(void)r;
	*(bool *)arg = true;
	return 1;	/* one is enough */
}

int
store_rollup_exists(struct store *st, const int64_t *ids, size_t n,
    enum store_tier tier, int64_t from_ms, int64_t to_ms, bool *found,
    char *err, size_t errlen)
{
	struct store_conn *c;
	sqlite3_stmt *s;
	int rc = 0;

	*found = false;
	if (to_ms <= from_ms)
		return 0;
	c = store_conn_get(st);
	if (ids == NULL) {
		/* any series: one seek, the key is (bucket, series) */
		if ((s = conn_stmt(c, sql_any[tier], err, errlen)) == NULL)
			rc = -1;
		else {
			sqlite3_bind_int64(s, 1, from_ms);
			sqlite3_bind_int64(s, 2, to_ms);
			rc = sqlite3_step(s);
			*found = rc == SQLITE_ROW;
			rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
			    conn_fail(c, rc, "rollups", err, errlen);
			sqlite3_reset(s);
		}
	}
	/* given series: bucket by bucket, stopping at the first row */
	for (size_t i = 0; ids && i < n && !*found && rc == 0; i++)
		rc = store_rollup_scan(st, c, ids[i], tier, from_ms, to_ms, found_row,
		    found, err, errlen);
	store_conn_put(st, c);
	return rc < 0 ? -1 : 0;
}

enum store_layout
store_file_layout(const char *path)
{
	enum store_layout l = STORE_LAYOUT_NONE;
	sqlite3 *db = NULL;
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (v < 1)
		goto out;
	if ((size_t)v > collector_migrations_count) {
		l = STORE_LAYOUT_NEWER;
		goto out;
	}
	l = (size_t)v < collector_migrations_count ? STORE_LAYOUT_OLDER :
	    STORE_LAYOUT_CURRENT;
	/* version 6 made by the migration, its tables not converted yet */
	if (l == STORE_LAYOUT_CURRENT && sqlite3_prepare_v2(db, "SELECT 1 FROM "
	    "sqlite_master WHERE type = 'table' AND name = 'v5_results'", -1, &s,
	    NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			l = STORE_LAYOUT_OLDER;
		sqlite3_finalize(s);
	}
out:
	sqlite3_close(db);
	return l;
}
