/* store: the collector's SQLite DB, and the only code that holds SQL for
 * it. One write connection behind a mutex (ingest, retention, the
 * alerter's transactions, deliveries) and a pool of read connections
 * (WAL lets them read while ingest writes); every statement is prepared
 * once per connection. Callers get typed functions, never SQL.
 *
 * This header: opening, series, ingest, retention, rollups and the SLO
 * engine's hooks. core/store_results.h has raw results, the newest result
 * per series and agents; core/store_alerts.h has incidents and
 * deliveries. */
#ifndef VANTAGE_STORE_H
#define VANTAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "errclass.h"
#include "record.h"
#include "selector.h"

struct store;
struct store_conn;

enum store_tier { STORE_1M = 0, STORE_1H, STORE_1D, STORE_NTIERS };
/* The bucket width of each tier, in ms. */
extern const int64_t store_tier_ms[STORE_NTIERS];

/* At most this many latency thresholds are counted at ingest. */
#define STORE_MAX_THRESHOLDS	32

/* One series: who ran what, with which labels. A change of any label
 * starts a new series. Owned by the store; valid until store_close. */
struct store_series {
	int64_t		 id;
	const char	*check, *agent, *region, *service, *layer, *provider;
	int64_t		 created_at;	/* Unix ms */
};

/* What an agent says about itself in each batch. Strings are borrowed. */
struct agent_report {
	const char	*id, *region, *provider, *version;
	int64_t		 outbox_depth, oldest_unshipped;
};

/* ---- opening ---- */

/* Open (create, migrate, convert an older layout) the DB at path with
 * nreaders read connections. NULL with a message in err. Close with
 * store_close. */
struct store *store_open(const char *path, int nreaders, char *err, size_t errlen);
/* Open an existing DB read-only (vantage-report): one read connection, no
 * writer. A DB of an older layout is refused (start the collector on it
 * once to convert it), as is one newer than this program. NULL with a
 * message in err. */
struct store *store_open_readonly(const char *path, char *err, size_t errlen);
/* Close everything. NULL-safe. */
void store_close(struct store *st);

/* ---- latency thresholds ---- */

/* Count, from now on, the passed runs at or under each of these
 * thresholds (microseconds; duplicates ignored) in every rollup row. A
 * threshold new to the DB is exact from the UTC day after the newest day
 * that has results (from the start on an empty DB); one no longer listed
 * is forgotten. Writer only. 0, or -1 with a message in err. */
int store_set_thresholds(struct store *st, const int64_t *us, size_t n,
    char *err, size_t errlen);
/* The first bucket (Unix ms) from which rollups count threshold us
 * exactly, or INT64_MAX when they never did. */
int64_t store_threshold_exact_from(struct store *st, int64_t us);

/* ---- ingest and retention ---- */

/* Store n parsed records of the agent rep->id in one transaction (raw
 * rows, the three rollup tiers, the newest result per series, the agents
 * row); stored[i] (out) says whether recs[i] was new (false: a duplicate).
 * Returns 0; -1 with a message on error; -2 if the DB stayed busy past
 * busy_ms (nothing stored; the agent should retry). */
int store_ingest(struct store *st, const struct agent_report *rep,
    const struct record *recs, size_t n, bool *stored, int busy_ms,
    char *err, size_t errlen);
/* Delete raw rows and rollups past their retention, at most `step` rows
 * per table per call; *removed gets the count. 0 or -1. */
int store_prune(struct store *st, int64_t now_ms, int64_t keep_raw_ms,
    int64_t keep_1m_ms, int64_t keep_1h_ms, int64_t keep_1d_ms, int step,
    int64_t *removed, char *err, size_t errlen);
/* Results stored / duplicates seen / batches refused busy since start. */
void store_counters(struct store *st, int64_t *stored, int64_t *dups,
    int64_t *busy);

/* ---- series ---- */

/* The series matching sel (NULL: all), in id order: a new array of ids in
 * *ids (caller frees; NULL when none). Returns the count. */
size_t store_series_match(struct store *st, const struct selector *sel,
    int64_t **ids);
/* The series with this id, or NULL. */
const struct store_series *store_series_get(struct store *st, int64_t id);

/* ---- rollups ---- */

/* One rollup row, as scanned. Blobs are borrowed for the callback. */
struct rollup_row {
	int64_t			 series, bucket;
	enum store_tier		 tier;
	int64_t			 total, good, inconclusive;
	int64_t			 e[ERRCLASS_COUNT];	/* failures per class */
	int64_t			 ph[6];	/* dns, connect, tls, processing, transfer, total (us sums) */
	int64_t			 cache[CACHE_NSTATUS];
	const unsigned char	*sketch, *thr;
	size_t			 sketch_len, thr_len;
};

/* Call fn for every row of one series in one tier with bucket in [from,
 * to), in bucket order; fn returns non-zero to stop. c: a connection from
 * store_conn_get (reads in its transaction, if one is open), or NULL to
 * borrow one. 0, or -1 with a message in err. */
int store_rollup_scan(struct store *st, struct store_conn *c, int64_t series,
    enum store_tier tier, int64_t from_ms, int64_t to_ms,
    int (*fn)(const struct rollup_row *, void *), void *arg,
    char *err, size_t errlen);
/* The same for every series: in (bucket, series) order. What to use when
 * most series are wanted. */
int store_rollup_scan_all(struct store *st, struct store_conn *c,
    enum store_tier tier, int64_t from_ms, int64_t to_ms,
    int (*fn)(const struct rollup_row *, void *), void *arg,
    char *err, size_t errlen);
/* The rows of the series ids in [from, to), in no particular order: bucket
 * by bucket for a few series over a short range, else the range once,
 * filtered. What aggregates over a selector use. */
int store_rollup_scan_set(struct store *st, struct store_conn *c,
    const int64_t *ids, size_t nids, enum store_tier tier, int64_t from_ms,
    int64_t to_ms, int (*fn)(const struct rollup_row *, void *), void *arg,
    char *err, size_t errlen);
/* The rows of every series at up to STORE_SCAN_BUCKETS given buckets (one
 * statement: the SLO engine reads the minutes leaving its windows this
 * way), in no particular order. */
#define STORE_SCAN_BUCKETS	32
int store_rollup_scan_buckets(struct store *st, struct store_conn *c,
    enum store_tier tier, const int64_t *buckets, size_t n,
    int (*fn)(const struct rollup_row *, void *), void *arg,
    char *err, size_t errlen);
/* The passed runs of a row at or under thr_us: the count made at ingest
 * when the row is exact for it (bucket >= exact_from and counted), else
 * from the row's sketch (*exact false). -1 if the row's blobs are
 * malformed. */
int64_t store_row_good_le(const struct rollup_row *r, int64_t thr_us,
    int64_t exact_from, bool *exact);
/* The oldest bucket of a tier (INT64_MAX when empty). 0 or -1. */
int store_rollup_first_bucket(struct store *st, enum store_tier tier,
    int64_t *first, char *err, size_t errlen);

/* ---- the SLO engine's view of ingest ---- */

/* What one ingest batch added to one series' minute: sent to the delta
 * hook right after the batch commits. Borrowed for the callback. */
struct rollup_delta {
	int64_t			 series, bucket;	/* the minute */
	int64_t			 total, good, inconclusive;
	const int64_t		*thr_us, *thr_le;	/* nthr thresholds and counts */
	size_t			 nthr;
	int64_t			 cache[CACHE_NSTATUS];	/* results per cache status */
	const unsigned char	*sketch;	/* the passed runs (sketch_encode) */
	size_t			 sketch_len;
};

/* Call fn(arg, deltas, n) with the store's write lock held after each
 * committed batch (fn must be quick: copy and return). NULL removes it. */
void store_set_delta_hook(struct store *st,
    void (*fn)(void *arg, const struct rollup_delta *d, size_t n), void *arg);
/* Borrow a read connection (waits for a free one); give it back with
 * store_conn_put. */
struct store_conn *store_conn_get(struct store *st);
void store_conn_put(struct store *st, struct store_conn *c);
/* Open a read transaction on c whose snapshot holds exactly the batches
 * whose delta hook ran before mark(arg) is called (the write lock is held
 * around both). End it with store_read_end. 0 or -1. */
int store_read_begin(struct store *st, struct store_conn *c,
    void (*mark)(void *), void *arg, char *err, size_t errlen);
void store_read_end(struct store *st, struct store_conn *c);
/* Make the long reads on c give up (SQLITE_INTERRUPT) when *stop turns
 * non-zero (checked every few thousand steps); NULL stops watching. */
void store_conn_watch(struct store_conn *c, volatile int *stop);

/* ---- vantage-report (core/store_report.c) ---- */

/* Does one of the n series in ids (NULL: every series) have a rollup row
 * of tier with bucket in [from_ms, to_ms)? *found says so (one index seek
 * per series). 0, or -1 with a message in err. */
int store_rollup_exists(struct store *st, const int64_t *ids, size_t n,
    enum store_tier tier, int64_t from_ms, int64_t to_ms, bool *found,
    char *err, size_t errlen);

/* What the file at path holds, read without changing it (for the exit
 * status after store_open_readonly refused it). */
enum store_layout {
	STORE_LAYOUT_NONE = 0,	/* unreadable, or not a collector DB */
	STORE_LAYOUT_OLDER,	/* an older vantage's: the collector converts it */
	STORE_LAYOUT_CURRENT,
	STORE_LAYOUT_NEWER	/* a newer vantage's */
};
enum store_layout store_file_layout(const char *path);

/* ---- bulk load (benchmarks, tests) (core/store_bulk.c) ---- */

/* A bulk load: series and rollup rows written straight into the tables on
 * a private connection with no journal and no fsync, in one transaction.
 * Only for a DB that nothing else has open (the benchmark's generated
 * history); raw results still go through store_ingest. */
struct store_bulk;

/* Start a bulk load of the DB at path, which must be of the current
 * layout (create it with store_open, set its thresholds with
 * store_set_thresholds, store_close it). NULL with a message in err
 * (also when another connection has it open). */
struct store_bulk *store_bulk_open(const char *path, char *err, size_t errlen);
/* The id of the series with labels' labels (check, agent, region,
 * service, layer, provider; its id is ignored), added with
 * labels->created_at if new. 0, or -1 with a message in err. */
int store_bulk_series(struct store_bulk *b, const struct store_series *labels,
    int64_t *id, char *err, size_t errlen);
/* Insert one rollup row into r->tier (its (series, bucket) must be new;
 * blobs as core/store_ingest.c writes them: sketch_encode, thr_encode with
 * the DB's thresholds ascending). The blobs are the caller's. 0 or -1. */
int store_bulk_rollup(struct store_bulk *b, const struct rollup_row *r,
    char *err, size_t errlen);
/* Commit, put the DB back in WAL mode and free b. 0, or -1 with a message
 * in err (nothing of the load is kept). NULL-safe. */
int store_bulk_close(struct store_bulk *b, char *err, size_t errlen);

/* What one table of the DB costs on disk: its rows, and the pages and
 * bytes of its b-tree plus one per index (SQLite's dbstat). */
struct store_table_size {
	int64_t	rows, pages, bytes;
	int	btrees;		/* the table's own and its indexes' */
};
/* Measure table (series, texts, results, latest, rollup_1m, rollup_1h,
 * rollup_1d or agents) into *out. Reads every page of it. 0, or -1 with a
 * message in err (an unknown table, no dbstat in this SQLite). */
int store_table_size(struct store *st, const char *table,
    struct store_table_size *out, char *err, size_t errlen);
/* SQLite's quick_check of the whole DB: 0 when sound, -1 with its first
 * complaint in err. */
int store_quick_check(struct store *st, char *err, size_t errlen);

#endif
