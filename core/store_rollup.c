/* store_rollup: reading rollup rows. Their key is (bucket, series): the
 * rows ingest writes (the current minute, hour and day of every series)
 * sit together, so a batch touches few pages; a time range of every
 * series is one key range, and one series' rows are found bucket by
 * bucket. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sketch.h"
#include "store_int.h"
#include "thr.h"
#include "xmalloc.h"

#define ROLLUP_COLS "series, bucket, total, good, inconclusive, e_dns, " \
    "e_connect, e_tls, e_timeout, e_http_status, e_assertion, e_body, " \
    "e_internal, e_consistency, cache_hit, cache_miss, cache_expired, " \
    "cache_stale, cache_bypass, cache_dynamic, cache_unknown, dns_us, " \
    "connect_us, tls_us, processing_us, transfer_us, total_us, sketch, thr"
#define RCOLS(t) "r.series, r.bucket, r.total, r.good, r.inconclusive, " \
    "r.e_dns, r.e_connect, r.e_tls, r.e_timeout, r.e_http_status, " \
    "r.e_assertion, r.e_body, r.e_internal, r.e_consistency, r.cache_hit, " \
    "r.cache_miss, r.cache_expired, r.cache_stale, r.cache_bypass, " \
    "r.cache_dynamic, r.cache_unknown, r.dns_us, r.connect_us, r.tls_us, " \
    "r.processing_us, r.transfer_us, r.total_us, r.sketch, r.thr"

/* one series, bucket by bucket: a lookup per bucket of [?2, ?3) */
#define LOOKUP(t) "WITH RECURSIVE b(x) AS (SELECT ?2 UNION ALL SELECT x + ?4 " \
    "FROM b WHERE x + ?4 < ?3) SELECT " RCOLS(t) " FROM b CROSS JOIN " t \
    " r ON r.bucket = b.x AND r.series = ?1"
static const char *const sql_lookup[STORE_NTIERS] = {
	LOOKUP("rollup_1m"), LOOKUP("rollup_1h"), LOOKUP("rollup_1d"),
};
/* one series over a long range: the range, filtered */
static const char *const sql_scan[STORE_NTIERS] = {
	"SELECT " ROLLUP_COLS " FROM rollup_1m WHERE bucket >= ?2 AND bucket < ?3 "
	"AND series = ?1",
	"SELECT " ROLLUP_COLS " FROM rollup_1h WHERE bucket >= ?2 AND bucket < ?3 "
	"AND series = ?1",
	"SELECT " ROLLUP_COLS " FROM rollup_1d WHERE bucket >= ?2 AND bucket < ?3 "
	"AND series = ?1",
};
/* every series over a range */
static const char *const sql_scan_all[STORE_NTIERS] = {
	"SELECT " ROLLUP_COLS " FROM rollup_1m WHERE bucket >= ?1 AND bucket < ?2",
	"SELECT " ROLLUP_COLS " FROM rollup_1h WHERE bucket >= ?1 AND bucket < ?2",
	"SELECT " ROLLUP_COLS " FROM rollup_1d WHERE bucket >= ?1 AND bucket < ?2",
};
/* every series at up to STORE_SCAN_BUCKETS buckets (unused slots -1) */
#define IN32 "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, " \
    "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, " \
    "?30, ?31, ?32"
static const char *const sql_buckets[STORE_NTIERS] = {
	"SELECT " ROLLUP_COLS " FROM rollup_1m WHERE bucket IN (" IN32 ")",
	"SELECT " ROLLUP_COLS " FROM rollup_1h WHERE bucket IN (" IN32 ")",
	"SELECT " ROLLUP_COLS " FROM rollup_1d WHERE bucket IN (" IN32 ")",
};

/* past this many buckets a single series is read as a filtered range */
#define LOOKUP_MAX	4096

static const char *const sql_first[STORE_NTIERS] = {
	"SELECT min(bucket) FROM rollup_1m",
	"SELECT min(bucket) FROM rollup_1h",
	"SELECT min(bucket) FROM rollup_1d",
};

/* Step s, calling fn for each row; 0 or -1. */
static int
each_row(struct store_conn *c, sqlite3_stmt *s, enum store_tier tier,
    int (*fn)(const struct rollup_row *, void *), void *arg,
    char *err, size_t errlen)
{
	struct rollup_row r;
	int rc, stop = 0;

	memset(&r, 0, sizeof(r));
	r.tier = tier;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int k = 0;

		r.series = sqlite3_column_int64(s, k++);
		r.bucket = sqlite3_column_int64(s, k++);
		r.total = sqlite3_column_int64(s, k++);
		r.good = sqlite3_column_int64(s, k++);
		r.inconclusive = sqlite3_column_int64(s, k++);
		r.e[ERRCLASS_NONE] = 0;
		for (int e = ERRCLASS_DNS; e < ERRCLASS_COUNT; e++)
			r.e[e] = sqlite3_column_int64(s, k++);
		for (int q = 0; q < CACHE_NSTATUS; q++)
			r.cache[q] = sqlite3_column_int64(s, k++);
		for (int p = 0; p < 6; p++)
			r.ph[p] = sqlite3_column_int64(s, k++);
		r.sketch = sqlite3_column_blob(s, k);
		r.sketch_len = (size_t)sqlite3_column_bytes(s, k++);
		r.thr = sqlite3_column_blob(s, k);
		r.thr_len = (size_t)sqlite3_column_bytes(s, k++);
		stop = fn(&r, arg);
	}
	if (stop)
		rc = 0;
	else if (rc != SQLITE_DONE)
		rc = conn_fail(c, rc, "rollups", err, errlen);
	else
		rc = 0;
	sqlite3_reset(s);
	return rc < 0 ? -1 : 0;
}

static int64_t
ceil_to(int64_t t, int64_t w)
{
	int64_t f = t - ((t % w) + w) % w;

	return f == t ? t : f + w;
}

int
store_rollup_scan(struct store *st, struct store_conn *c, int64_t series,
    enum store_tier tier, int64_t from_ms, int64_t to_ms,
    int (*fn)(const struct rollup_row *, void *), void *arg,
    char *err, size_t errlen)
{
	int64_t w = store_tier_ms[tier], first;
	bool borrowed, lookup;
	sqlite3_stmt *s;
	int rc;

	if (to_ms <= from_ms)
		return 0;
	/* buckets are whole widths: the first one at or after from */
	first = from_ms < INT64_MIN / 2 ? from_ms : ceil_to(from_ms, w);
	lookup = first >= 0 && to_ms - first <= LOOKUP_MAX * w;
	c = conn_or_borrow(st, c, &borrowed);
	if ((s = conn_stmt(c, lookup ? sql_lookup[tier] : sql_scan[tier], err,
	    errlen)) == NULL)
		rc = -1;
	else if (lookup && first >= to_ms) {
		sqlite3_reset(s);
		rc = 0;
	} else {
		sqlite3_bind_int64(s, 1, series);
		sqlite3_bind_int64(s, 2, lookup ? first : from_ms);
		sqlite3_bind_int64(s, 3, to_ms);
		if (lookup)
			sqlite3_bind_int64(s, 4, w);
		rc = each_row(c, s, tier, fn, arg, err, errlen);
	}
	if (borrowed)
		store_conn_put(st, c);
	return rc;
}

int
store_rollup_scan_all(struct store *st, struct store_conn *c,
    enum store_tier tier, int64_t from_ms, int64_t to_ms,
    int (*fn)(const struct rollup_row *, void *), void *arg,
    char *err, size_t errlen)
{
	bool borrowed;
	sqlite3_stmt *s;
	int rc;

	if (to_ms <= from_ms)
		return 0;
	c = conn_or_borrow(st, c, &borrowed);
	if ((s = conn_stmt(c, sql_scan_all[tier], err, errlen)) == NULL)
		rc = -1;
	else {
		sqlite3_bind_int64(s, 1, from_ms);
		sqlite3_bind_int64(s, 2, to_ms);
		rc = each_row(c, s, tier, fn, arg, err, errlen);
	}
	if (borrowed)
		store_conn_put(st, c);
	return rc;
}

/* scan_all's filter: only the rows of the wanted series */
struct set_filter {
	const unsigned char	*want;	/* by series id */
	size_t			 nwant;
	int			(*fn)(const struct rollup_row *, void *);
	void			*arg;
};

static int
set_row(const struct rollup_row *r, void *arg)
{
	struct set_filter *f = arg;

	if (r->series < 1 || (size_t)r->series > f->nwant || !f->want[r->series - 1])
		return 0;
	return f->fn(r, f->arg);
}

int
store_rollup_scan_set(struct store *st, struct store_conn *c,
    const int64_t *ids, size_t nids, enum store_tier tier, int64_t from_ms,
    int64_t to_ms, int (*fn)(const struct rollup_row *, void *), void *arg,
    char *err, size_t errlen)
{
	int64_t w = store_tier_ms[tier], *all;
	size_t nall = store_series_match(st, NULL, &all), maxid = 0;
	struct set_filter f;
	int rc;

	free(all);
	if (nids == 0 || to_ms <= from_ms)
		return 0;
	/* a few series over a short range: bucket by bucket; else the range
	 * once, filtered */
	if (4 * nids < nall && (to_ms - from_ms) / w <= LOOKUP_MAX / 4) {
		for (size_t i = 0; i < nids; i++)
			if (store_rollup_scan(st, c, ids[i], tier, from_ms, to_ms, fn, arg,
			    err, errlen) < 0)
				return -1;
		return 0;
	}
	for (size_t i = 0; i < nids; i++)
		if (ids[i] > 0 && (size_t)ids[i] > maxid)
			maxid = (size_t)ids[i];
	f.want = xcalloc(maxid + 1, 1);
	f.nwant = maxid;
	for (size_t i = 0; i < nids; i++)
		if (ids[i] > 0)
			((unsigned char *)(uintptr_t)f.want)[ids[i] - 1] = 1;
	f.fn = fn;
	f.arg = arg;
	rc = store_rollup_scan_all(st, c, tier, from_ms, to_ms, set_row, &f, err,
	    errlen);
	free((void *)(uintptr_t)f.want);
	return rc;
}

int
store_rollup_scan_buckets(struct store *st, struct store_conn *c,
    enum store_tier tier, const int64_t *buckets, size_t n,
    int (*fn)(const struct rollup_row *, void *), void *arg,
    char *err, size_t errlen)
{
	bool borrowed;
	sqlite3_stmt *s;
	int rc;

	if (n == 0)
		return 0;
	if (n > STORE_SCAN_BUCKETS) {
		snprintf(err, errlen, "rollups: at most %d buckets at once",
		    STORE_SCAN_BUCKETS);
		return -1;
	}
	c = conn_or_borrow(st, c, &borrowed);
	if ((s = conn_stmt(c, sql_buckets[tier], err, errlen)) == NULL)
		rc = -1;
	else {
		for (size_t i = 0; i < STORE_SCAN_BUCKETS; i++)
			sqlite3_bind_int64(s, (int)i + 1, i < n ? buckets[i] : -1);
		rc = each_row(c, s, tier, fn, arg, err, errlen);
	}
	if (borrowed)
		store_conn_put(st, c);
	return rc;
}

int64_t
store_row_good_le(const struct rollup_row *r, int64_t thr_us, int64_t exact_from,
    bool *exact)
{
	int64_t n;

	if (r->bucket >= exact_from &&
	    (n = thr_lookup(r->thr, r->thr_len, thr_us)) >= 0) {
		*exact = true;
		return n;
	}
	/* before the threshold was counted: the sketch's buckets say it, to
	 * within the bucket that holds the threshold */
	*exact = false;
	if (r->good == 0 || r->sketch == NULL)
		return 0;
	return sketch_encoded_count_le(r->sketch, r->sketch_len, (double)thr_us);
}

int
store_rollup_first_bucket(struct store *st, enum store_tier tier, int64_t *first,
    char *err, size_t errlen)
{
	struct store_conn *c = store_conn_get(st);
	sqlite3_stmt *s = conn_stmt(c, sql_first[tier], err, errlen);
	int rc = -1;

	*first = INT64_MAX;
	if (s != NULL) {
		if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (sqlite3_column_type(s, 0) != SQLITE_NULL)
				*first = sqlite3_column_int64(s, 0);
			rc = 0;
		} else
			rc = conn_fail(c, rc, "rollups", err, errlen);
		sqlite3_reset(s);
	}
	store_conn_put(st, c);
	return rc < 0 ? -1 : 0;
}
