/* sqlmig: forward-only numbered migrations tracked in PRAGMA user_version. */
#ifndef VANTAGE_SQLMIG_H
#define VANTAGE_SQLMIG_H

#include <stddef.h>

#include <sqlite3.h>

/* Apply migrations[v..n-1] where v is the DB's user_version, each in its own
 * transaction. A DB newer than this program is refused. Returns 0, or -1
 * with a message in err. */
int sqlmig_apply(sqlite3 *db, const char *const *migrations, size_t n,
    char *err, size_t errlen);

#endif
