/* sqlmig: apply the schema from sql/ (embedded at build time). */
#include "config.h"

#include <stdio.h>

#include "sqlmig.h"

static int
user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
sqlmig_apply(sqlite3 *db, const char *const *migrations, size_t n,
    char *err, size_t errlen)
{
	char *msg = NULL, pragma[64];
	int v;

	if (user_version(db, &v) < 0) {
		snprintf(err, errlen, "reading schema version: %s", sqlite3_errmsg(db));
		return -1;
	}
	if (v > (int)n) {
		snprintf(err, errlen, "database schema version %d is newer than this "
		    "program knows (%zu); upgrade vantage", v, n);
		return -1;
	}
	for (size_t i = (size_t)v; i < n; i++) {
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %zu", i + 1);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, migrations[i], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, pragma, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "migration %zu: %s", i + 1,
			    msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}
