/* sqlfn: SQL functions over latency sketches, so rollups merge in SQL:
 *   sketch_merge(a, b)  scalar: the union of two encoded sketches
 *   sketch_agg(x)       aggregate: the union of a column of sketches
 *   thr_merge(a, b)     scalar: the union of two threshold-count blobs (thr.h)
 * NULL inputs count as empty sketches; malformed blobs are errors. */
#ifndef VANTAGE_SQLFN_H
#define VANTAGE_SQLFN_H

#include <sqlite3.h>

/* Register the functions on db. Returns SQLITE_OK or an SQLite error code. */
int sqlfn_register(sqlite3 *db);

#endif
