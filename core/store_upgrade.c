/* store_upgrade: the one-time conversion of a version-5 DB (JSON bodies,
 * text labels in every row) to the compact layout of version 6. Migration
 * 006 renamed the old tables to v5_*; this fills the new ones from them
 * in one transaction and drops them, so a crash half-way leaves the old
 * tables to convert again at the next start. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "store_int.h"
#include "timeutil.h"

static int
exec(struct store *st, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(st->w.db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "converting the DB: %s", msg ? msg :
		    sqlite3_errmsg(st->w.db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

#define ROLLUP_COPY(t) \
    "INSERT INTO " t " (series, bucket, total, good, inconclusive, e_dns, " \
    "e_connect, e_tls, e_timeout, e_http_status, e_assertion, e_body, " \
    "e_internal, e_consistency, cache_hit, cache_miss, cache_expired, " \
    "cache_stale, cache_bypass, cache_dynamic, cache_unknown, dns_us, " \
    "connect_us, tls_us, processing_us, transfer_us, total_us, sketch) " \
    "SELECT s.id, r.bucket, r.total, r.good, r.inconclusive, r.e_dns, " \
    "r.e_connect, r.e_tls, r.e_timeout, r.e_http_status, r.e_assertion, " \
    "r.e_body, r.e_internal, r.e_consistency, r.cache_hit, r.cache_miss, " \
    "r.cache_expired, r.cache_stale, r.cache_bypass, r.cache_dynamic, " \
    "r.cache_unknown, r.dns_us, r.connect_us, r.tls_us, r.processing_us, " \
    "r.transfer_us, r.total_us, r.sketch FROM v5_" t " r JOIN series s ON " \
    "s.check_name = r.check_name AND s.agent = r.agent AND s.region IS " \
    "r.region AND s.service IS r.service AND s.layer IS r.layer AND " \
    "s.provider IS r.provider"

/* Raw rows (or the latest rows) of the old table, record by record. */
static int
convert_results(struct store *st, bool latest, int64_t *n, char *err,
    size_t errlen)
{
	const char *sql = latest ?
	    "SELECT check_name, agent, region, service, layer, provider, body, "
	    "fail_streak, ok_streak FROM v5_latest" :
	    "SELECT check_name, agent, region, service, layer, provider, body, 0, 0 "
	    "FROM v5_results";
	int64_t day = time_now_ms() / STORE_DAY_MS, skipped = 0;
	sqlite3_stmt *q;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(st->w.db, sql, -1, &q, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "converting the DB: %s", sqlite3_errmsg(st->w.db));
		return -1;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *lab[6], *body = (const char *)sqlite3_column_text(q, 6);
		json_t *rec;
		struct record r;
		int64_t series;
		char why[256];

		for (int i = 0; i < 6; i++)
			lab[i] = (const char *)sqlite3_column_text(q, i);
		rec = body ? json_loads(body, 0, NULL) : NULL;
		/* what was stored was checked at ingest; a body that no longer
		 * passes (a stricter limit) is kept out, and counted */
		if (rec == NULL || lab[0] == NULL || lab[1] == NULL ||
		    record_parse(rec, lab[1], lab[2], INT64_MAX, &r, why,
		    sizeof(why)) < 0) {
			skipped++;
			json_decref(rec);
			continue;
		}
		if (series_get_or_add(st, lab[0], lab[1], lab[2], lab[3], lab[4],
		    lab[5], r.ts, &series, err, errlen) < 0 ||
		    result_put(st, latest, &r, series, day, sqlite3_column_int64(q, 7),
		    sqlite3_column_int64(q, 8), err, errlen) < 0) {
			record_clear(&r);
			json_decref(rec);
			sqlite3_finalize(q);
			return -1;
		}
		record_clear(&r);
		json_decref(rec);
		(*n)++;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "converting the DB: %s", sqlite3_errmsg(st->w.db));
		return -1;
	}
	if (skipped > 0)
		log_warn("converting the DB: %lld %s rows could not be read back and "
		    "were left out", (long long)skipped, latest ? "latest" : "raw");
	return 0;
}

/* Whether the old tables hold nothing (a DB created by this version:
 * every migration ran, 006 renamed empty tables). */
static bool
v5_empty(struct store *st)
{
	sqlite3_stmt *q;
	bool empty = false;

	if (sqlite3_prepare_v2(st->w.db, "SELECT (SELECT count(*) FROM (SELECT 1 "
	    "FROM v5_results LIMIT 1)) + (SELECT count(*) FROM (SELECT 1 FROM "
	    "v5_rollup_1d LIMIT 1)) + (SELECT count(*) FROM (SELECT 1 FROM v5_latest "
	    "LIMIT 1))", -1, &q, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_step(q) == SQLITE_ROW)
		empty = sqlite3_column_int(q, 0) == 0;
	sqlite3_finalize(q);
	return empty;
}

int
store_upgrade_v5(struct store *st, char *err, size_t errlen)
{
	int64_t nres = 0, nlatest = 0;

	if (v5_empty(st))
		return exec(st, "BEGIN IMMEDIATE; DROP TABLE v5_results; DROP TABLE "
		    "v5_latest; DROP TABLE v5_rollup_1m; DROP TABLE v5_rollup_1h; "
		    "DROP TABLE v5_rollup_1d; COMMIT", err, errlen);
	log_info("converting the collector DB to the compact layout (once; a "
	    "large DB takes a few minutes)");
	if (exec(st, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	/* every series any old row names, labels as the rows had them */
	if (exec(st, "DELETE FROM series; DELETE FROM texts; DELETE FROM results; "
	    "DELETE FROM latest; DELETE FROM rollup_1m; DELETE FROM rollup_1h; "
	    "DELETE FROM rollup_1d; "
	    "INSERT INTO series (check_name, agent, region, service, layer, provider, "
	    "created_at) SELECT check_name, agent, region, service, layer, provider, "
	    "min(t) FROM (SELECT check_name, agent, region, service, layer, provider, "
	    "ts AS t FROM v5_results UNION ALL SELECT check_name, agent, region, "
	    "service, layer, provider, bucket FROM v5_rollup_1m UNION ALL SELECT "
	    "check_name, agent, region, service, layer, provider, bucket FROM "
	    "v5_rollup_1h UNION ALL SELECT check_name, agent, region, service, layer, "
	    "provider, bucket FROM v5_rollup_1d UNION ALL SELECT check_name, agent, "
	    "region, service, layer, provider, ts FROM v5_latest) GROUP BY check_name, "
	    "agent, region, service, layer, provider ORDER BY 7; "
	    "CREATE INDEX v6_series_labels ON series (check_name, agent);",
	    err, errlen) < 0)
		goto fail;
	series_free(st);
	if (series_load(st, &st->w, err, errlen) < 0)
		goto fail;
	if (exec(st, ROLLUP_COPY("rollup_1m") "; " ROLLUP_COPY("rollup_1h") "; "
	    ROLLUP_COPY("rollup_1d"), err, errlen) < 0)
		goto fail;
	if (convert_results(st, false, &nres, err, errlen) < 0 ||
	    convert_results(st, true, &nlatest, err, errlen) < 0)
		goto fail;
	if (exec(st, "DROP INDEX v6_series_labels; DROP TABLE v5_results; "
	    "DROP TABLE v5_latest; DROP TABLE v5_rollup_1m; DROP TABLE v5_rollup_1h; "
	    "DROP TABLE v5_rollup_1d; COMMIT", err, errlen) < 0)
		goto fail;
	/* store_open loads the directory afresh */
	series_commit(st);
	series_free(st);
	log_info("converted the collector DB: %lld raw results, %lld series",
	    (long long)nres, (long long)nlatest);
	return 0;
fail:
	sqlite3_exec(st->w.db, "ROLLBACK", NULL, NULL, NULL);
	series_rollback(st);
	series_free(st);
	text_cache_flush(st);
	return -1;
}
