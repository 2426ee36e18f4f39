/* store: collector SQLite storage: idempotent ingest with rollups in the
 * same transaction, retention, and a pool of read connections. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "sketch.h"
#include "sqlfn.h"
#include "sqlmig.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

extern const char *const collector_migrations[];
extern const size_t collector_migrations_count;

static const char *const tier_tables[3] = { "rollup_1m", "rollup_1h", "rollup_1d" };
static const int64_t tier_ms[3] = { 60000, 3600000, 86400000 };

struct store {
	sqlite3		*w;		/* the write connection */
	pthread_mutex_t	 wmu;
	sqlite3_stmt	*ins_result, *upsert[3], *upsert_agent, *upsert_latest;
	sqlite3_stmt	*begin, *commit, *rollback;
	sqlite3		**readers;
	int		 nreaders, nfree;
	sqlite3		**free_readers;
	pthread_mutex_t	 rmu;
	pthread_cond_t	 rcv;
	int64_t		 stored, dups, busy;
	/* WAL checkpoints run here, not inside the ingest COMMIT */
	sqlite3		*ckpt;
	pthread_t	 ckpt_th;
	pthread_mutex_t	 ckpt_mu;
	pthread_cond_t	 ckpt_cv;
	int		 ckpt_stop, ckpt_running;
};

#define CHECKPOINT_EVERY_MS 500
#define WAL_MAX_FRAMES	16384	/* 64 MB of 4 KB pages */

/* Copy committed WAL frames into the DB twice a second with a PASSIVE
 * checkpoint (never waits for readers or the writer), so ingest commits do
 * not pay for it: measured +56 % ingest rate against auto-checkpoints. */
static void *
checkpoint_main(void *arg)
{
	struct store *st = arg;
	int nlog = 0;

	/* SQLite 3.40 ignores a checkpoint on a connection that never read
	 * the DB (it reports log -1): read once first */
	sqlite3_exec(st->ckpt, "SELECT 1 FROM sqlite_master LIMIT 1", NULL, NULL,
	    NULL);
	pthread_mutex_lock(&st->ckpt_mu);
	while (!st->ckpt_stop) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += CHECKPOINT_EVERY_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&st->ckpt_cv, &st->ckpt_mu, &ts);
		if (st->ckpt_stop)
			break;
		pthread_mutex_unlock(&st->ckpt_mu);
		sqlite3_wal_checkpoint_v2(st->ckpt, NULL, SQLITE_CHECKPOINT_PASSIVE,
		    &nlog, NULL);
		/* PASSIVE never catches up with a busy writer, so the WAL would
		 * only grow: past WAL_MAX_FRAMES, hold the writer back briefly
		 * (most frames are copied already) and restart the WAL */
		if (nlog > WAL_MAX_FRAMES) {
			pthread_mutex_lock(&st->wmu);
			sqlite3_wal_checkpoint_v2(st->ckpt, NULL,
			    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
			pthread_mutex_unlock(&st->wmu);
		}
		pthread_mutex_lock(&st->ckpt_mu);
	}
	pthread_mutex_unlock(&st->ckpt_mu);
	return NULL;
}

static int
open_conn(const char *path, int flags, sqlite3 **db, char *err, size_t errlen)
{
	if (sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, *db ? sqlite3_errmsg(*db) :
		    "cannot open");
		return -1;
	}
	sqlite3_busy_timeout(*db, 5000);
	/* long SLO windows read many rollup pages: map the file rather than
	 * pread it through a 2 MB page cache (measured -34 % per evaluation) */
	sqlite3_exec(*db, "PRAGMA mmap_size = 4294967296", NULL, NULL, NULL);
	if (sqlfn_register(*db) != SQLITE_OK) {
		snprintf(err, errlen, "%s: registering SQL functions: %s", path,
		    sqlite3_errmsg(*db));
		return -1;
	}
	return 0;
}

static int
prep(sqlite3 *db, sqlite3_stmt **st, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL)
	    != SQLITE_OK) {
		snprintf(err, errlen, "preparing \"%.50s...\": %s", sql, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

struct store *
store_open(const char *path, int nreaders, char *err, size_t errlen)
{
	struct store *st = xcalloc(1, sizeof(*st));
	char *msg = NULL, sql[4096];

	pthread_mutex_init(&st->wmu, NULL);
	pthread_mutex_init(&st->rmu, NULL);
	pthread_cond_init(&st->rcv, NULL);
	if (open_conn(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &st->w,
	    err, errlen) < 0)
		goto fail;
	if (sqlite3_exec(st->w, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
	    NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(st->w));
		sqlite3_free(msg);
		goto fail;
	}
	if (sqlmig_apply(st->w, collector_migrations, collector_migrations_count,
	    err, errlen) < 0)
		goto fail;
	pthread_mutex_init(&st->ckpt_mu, NULL);
	pthread_cond_init(&st->ckpt_cv, NULL);
	if (open_conn(path, SQLITE_OPEN_READWRITE, &st->ckpt, err, errlen) < 0)
		goto fail;
	if (pthread_create(&st->ckpt_th, NULL, checkpoint_main, st) != 0) {
		snprintf(err, errlen, "cannot start the checkpoint thread");
		goto fail;
	}
	st->ckpt_running = 1;
	sqlite3_exec(st->w, "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL);
	if (prep(st->w, &st->ins_result, "INSERT OR IGNORE INTO results (agent, seq, "
	    "ts, check_name, kind, service, layer, provider, region, ok, error_class, "
	    "total_us, body, inconclusive) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	    err, errlen) < 0)
		goto fail;
	for (int t = 0; t < 3; t++) {
		snprintf(sql, sizeof(sql), "INSERT INTO %s (bucket, check_name, agent, "
		    "service, layer, provider, region, total, good, e_dns, e_connect, "
		    "e_tls, e_timeout, e_http_status, e_assertion, e_body, e_internal, "
		    "e_consistency, dns_us, connect_us, tls_us, processing_us, "
		    "transfer_us, total_us, sketch, inconclusive, cache_hit, "
		    "cache_miss, cache_expired, cache_stale, cache_bypass, "
		    "cache_dynamic, cache_unknown) "
		    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
		    "?,?,?,?,?,?,?) "
		    "ON CONFLICT (check_name, agent, bucket) DO UPDATE SET "
		    "service = excluded.service, layer = excluded.layer, "
		    "provider = excluded.provider, region = excluded.region, "
		    "total = total + excluded.total, good = good + excluded.good, "
		    "e_dns = e_dns + excluded.e_dns, "
		    "e_connect = e_connect + excluded.e_connect, "
		    "e_tls = e_tls + excluded.e_tls, "
		    "e_timeout = e_timeout + excluded.e_timeout, "
		    "e_http_status = e_http_status + excluded.e_http_status, "
		    "e_assertion = e_assertion + excluded.e_assertion, "
		    "e_body = e_body + excluded.e_body, "
		    "e_internal = e_internal + excluded.e_internal, "
		    "e_consistency = e_consistency + excluded.e_consistency, "
		    "inconclusive = inconclusive + excluded.inconclusive, "
		    "cache_hit = cache_hit + excluded.cache_hit, "
		    "cache_miss = cache_miss + excluded.cache_miss, "
		    "cache_expired = cache_expired + excluded.cache_expired, "
		    "cache_stale = cache_stale + excluded.cache_stale, "
		    "cache_bypass = cache_bypass + excluded.cache_bypass, "
		    "cache_dynamic = cache_dynamic + excluded.cache_dynamic, "
		    "cache_unknown = cache_unknown + excluded.cache_unknown, "
		    "dns_us = dns_us + excluded.dns_us, "
		    "connect_us = connect_us + excluded.connect_us, "
		    "tls_us = tls_us + excluded.tls_us, "
		    "processing_us = processing_us + excluded.processing_us, "
		    "transfer_us = transfer_us + excluded.transfer_us, "
		    "total_us = total_us + excluded.total_us, "
		    "sketch = sketch_merge(sketch, excluded.sketch)", tier_tables[t]);
		if (prep(st->w, &st->upsert[t], sql, err, errlen) < 0)
			goto fail;
	}
	if (prep(st->w, &st->upsert_agent, "INSERT INTO agents (id, region, provider, "
	    "version, first_seen, last_seen, last_seq, outbox_depth, oldest_unshipped) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO UPDATE SET "
	    "region = coalesce(excluded.region, region), "
	    "provider = coalesce(excluded.provider, provider), "
	    "version = coalesce(excluded.version, version), last_seen = excluded.last_seen, "
	    "last_seq = max(coalesce(last_seq, 0), excluded.last_seq), "
	    "outbox_depth = excluded.outbox_depth, "
	    "oldest_unshipped = excluded.oldest_unshipped", err, errlen) < 0 ||
	    prep(st->w, &st->upsert_latest, "INSERT INTO latest (check_name, agent, ts, "
	    "seq, ok, body, service, layer, provider, region, fail_streak, ok_streak) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	    "CASE WHEN ?11 THEN 0 ELSE 1 - ?5 END, CASE WHEN ?11 THEN 0 ELSE ?5 END) "
	    "ON CONFLICT (check_name, agent) DO UPDATE SET ts = excluded.ts, "
	    "seq = excluded.seq, ok = excluded.ok, body = excluded.body, "
	    "service = excluded.service, layer = excluded.layer, "
	    "provider = excluded.provider, region = excluded.region, "
	    /* an inconclusive result is shown, but leaves the streaks alone */
	    "fail_streak = CASE WHEN ?11 THEN fail_streak WHEN excluded.ok THEN 0 "
	    "ELSE fail_streak + 1 END, "
	    "ok_streak = CASE WHEN ?11 THEN ok_streak WHEN excluded.ok THEN "
	    "ok_streak + 1 ELSE 0 END "
	    "WHERE excluded.seq > latest.seq", err, errlen) < 0 ||
	    prep(st->w, &st->begin, "BEGIN IMMEDIATE", err, errlen) < 0 ||
	    prep(st->w, &st->commit, "COMMIT", err, errlen) < 0 ||
	    prep(st->w, &st->rollback, "ROLLBACK", err, errlen) < 0)
		goto fail;
	st->nreaders = nreaders > 0 ? nreaders : 1;
	st->readers = xcalloc((size_t)st->nreaders, sizeof(*st->readers));
	st->free_readers = xcalloc((size_t)st->nreaders, sizeof(*st->free_readers));
	for (int i = 0; i < st->nreaders; i++) {
		if (open_conn(path, SQLITE_OPEN_READONLY, &st->readers[i], err, errlen) < 0)
			goto fail;
		st->free_readers[st->nfree++] = st->readers[i];
	}
	return st;
fail:
	store_close(st);
	return NULL;
}

sqlite3 *
store_open_readonly(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s;
	int v = -1;

	if (open_conn(path, SQLITE_OPEN_READONLY, &db, err, errlen) < 0) {
		sqlite3_close(db);
		return NULL;
	}
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	if (v < 1 || v > (int)collector_migrations_count) {
		snprintf(err, errlen, "%s: %s", path, v < 0 ? sqlite3_errmsg(db) :
		    v < 1 ? "not a vantage collector database" :
		    "database is newer than this program; upgrade vantage");
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* ---- ingest ---- */

struct group {
	const char	*check, *service, *layer, *provider;
	int64_t		 bucket;
	int64_t		 total, good, e[ERRCLASS_COUNT], ph[6];
	int64_t		 inconclusive;
	int64_t		 cache[CACHE_NSTATUS];	/* per cache status */
	struct sketch	 sk;
};

static int
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

static int
step_reset(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

static uint64_t
group_hash(const char *check, int64_t bucket)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)bucket;

	for (const unsigned char *c = (const unsigned char *)check; *c; c++) {
		h ^= *c;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Aggregate the stored rows into groups of (check, bucket) for one tier;
 * slot is a scratch hash table of nslot (a power of two > n) entries. */
static size_t
group_rows(const struct ingest_row *rows, size_t n, int64_t width, struct group *g,
    size_t *slot, size_t nslot)
{
	size_t ng = 0;

	for (size_t i = 0; i < nslot; i++)
		slot[i] = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		const struct ingest_row *r = &rows[i];
		int64_t b = r->ts - ((r->ts % width) + width) % width;
		size_t h = (size_t)group_hash(r->check, b) & (nslot - 1), j;

		if (!r->stored)
			continue;
		while ((j = slot[h]) != SIZE_MAX &&
		    (g[j].bucket != b || strcmp(g[j].check, r->check) != 0))
			h = (h + 1) & (nslot - 1);
		if (j == SIZE_MAX) {
			j = slot[h] = ng++;
			memset(&g[j], 0, sizeof(g[j]));
			g[j].check = r->check;
			g[j].bucket = b;
			sketch_init(&g[j].sk);
		}
		/* the newest labels win */
		g[j].service = r->service;
		g[j].layer = r->layer;
		g[j].provider = r->provider;
		if (r->inconclusive) {
			g[j].inconclusive++;	/* counted, not an event of any SLO */
			continue;
		}
		g[j].total++;
		if (r->has_cache && r->cache >= 0 && r->cache < CACHE_NSTATUS)
			g[j].cache[r->cache]++;
		if (r->ok) {
			g[j].good++;
			sketch_add(&g[j].sk, (double)r->total_us);
		} else
			g[j].e[r->error_class]++;
		g[j].ph[0] += r->dns_us;
		g[j].ph[1] += r->connect_us;
		g[j].ph[2] += r->tls_us;
		g[j].ph[3] += r->processing_us;
		g[j].ph[4] += r->transfer_us;
		g[j].ph[5] += r->total_us;
	}
	return ng;
}

static int
upsert_groups(struct store *st, int tier, const struct agent_report *rep,
    struct group *g, size_t ng, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->upsert[tier];

	for (size_t i = 0; i < ng; i++) {
		unsigned char *blob;
		size_t len;
		int k = 1, rc;

		sqlite3_bind_int64(s, k++, g[i].bucket);
		bind_text(s, k++, g[i].check);
		bind_text(s, k++, rep->id);
		bind_text(s, k++, g[i].service);
		bind_text(s, k++, g[i].layer);
		bind_text(s, k++, g[i].provider);
		bind_text(s, k++, rep->region);
		sqlite3_bind_int64(s, k++, g[i].total);
		sqlite3_bind_int64(s, k++, g[i].good);
		for (int c = ERRCLASS_DNS; c < ERRCLASS_COUNT; c++)
			sqlite3_bind_int64(s, k++, g[i].e[c]);
		for (int p = 0; p < 6; p++)
			sqlite3_bind_int64(s, k++, g[i].ph[p]);
		blob = sketch_encode(&g[i].sk, &len);
		sqlite3_bind_blob(s, k++, blob, (int)len, free);
		sqlite3_bind_int64(s, k++, g[i].inconclusive);
		for (int c = 0; c < CACHE_NSTATUS; c++)
			sqlite3_bind_int64(s, k++, g[i].cache[c]);
		rc = step_reset(s);
		if (rc != SQLITE_DONE) {
			snprintf(err, errlen, "%s: %s", tier_tables[tier],
			    sqlite3_errmsg(st->w));
			return rc == SQLITE_BUSY ? -2 : -1;
		}
	}
	return 0;
}

int
store_ingest(struct store *st, const struct agent_report *rep,
    struct ingest_row *rows, size_t n, int busy_ms, char *err, size_t errlen)
{
	struct group *g = xcalloc(n + 1, sizeof(*g));
	size_t nslot = 16, *slot, ng = 0;
	int64_t maxseq = 0, stored = 0, now;
	int rc = -1;

	while (nslot < 2 * n)
		nslot *= 2;
	slot = xcalloc(nslot, sizeof(*slot));
	pthread_mutex_lock(&st->wmu);
	sqlite3_busy_timeout(st->w, busy_ms);
	if ((rc = step_reset(st->begin)) != SQLITE_DONE) {
		snprintf(err, errlen, "BEGIN: %s", sqlite3_errmsg(st->w));
		rc = rc == SQLITE_BUSY ? -2 : -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct ingest_row *r = &rows[i];
		sqlite3_stmt *s = st->ins_result;
		int k = 1;

		sqlite3_bind_text(s, k++, rep->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, k++, r->seq);
		sqlite3_bind_int64(s, k++, r->ts);
		bind_text(s, k++, r->check);
		bind_text(s, k++, r->kind);
		bind_text(s, k++, r->service);
		bind_text(s, k++, r->layer);
		bind_text(s, k++, r->provider);
		bind_text(s, k++, rep->region);
		sqlite3_bind_int(s, k++, r->ok);
		bind_text(s, k++, r->ok ? NULL : errclass_name(r->error_class));
		sqlite3_bind_int64(s, k++, r->total_us);
		sqlite3_bind_text(s, k++, r->body, (int)r->body_len, SQLITE_STATIC);
		sqlite3_bind_int(s, k++, r->inconclusive);
		if ((rc = step_reset(s)) != SQLITE_DONE) {
			snprintf(err, errlen, "results: %s", sqlite3_errmsg(st->w));
			rc = rc == SQLITE_BUSY ? -2 : -1;
			goto rollback;
		}
		r->stored = sqlite3_changes(st->w) == 1;
		stored += r->stored;
		if (r->stored) {
			sqlite3_stmt *l = st->upsert_latest;
			bind_text(l, 1, r->check);
			bind_text(l, 2, rep->id);
			sqlite3_bind_int64(l, 3, r->ts);
			sqlite3_bind_int64(l, 4, r->seq);
			sqlite3_bind_int(l, 5, r->ok);
			sqlite3_bind_text(l, 6, r->body, (int)r->body_len, SQLITE_STATIC);
			bind_text(l, 7, r->service);
			bind_text(l, 8, r->layer);
			bind_text(l, 9, r->provider);
			bind_text(l, 10, rep->region);
			sqlite3_bind_int(l, 11, r->inconclusive);
			if ((rc = step_reset(l)) != SQLITE_DONE) {
				snprintf(err, errlen, "latest: %s", sqlite3_errmsg(st->w));
				rc = rc == SQLITE_BUSY ? -2 : -1;
				goto rollback;
			}
		}
		if (r->seq > maxseq)
			maxseq = r->seq;
	}
	for (int t = 0; t < 3 && stored > 0; t++) {
		ng = group_rows(rows, n, tier_ms[t], g, slot, nslot);
		rc = upsert_groups(st, t, rep, g, ng, err, errlen);
		for (size_t i = 0; i < ng; i++)
			sketch_free(&g[i].sk);
		if (rc < 0)
			goto rollback;
	}
	now = time_now_ms();
	bind_text(st->upsert_agent, 1, rep->id);
	bind_text(st->upsert_agent, 2, rep->region);
	bind_text(st->upsert_agent, 3, rep->provider);
	bind_text(st->upsert_agent, 4, rep->version);
	sqlite3_bind_int64(st->upsert_agent, 5, now);
	sqlite3_bind_int64(st->upsert_agent, 6, maxseq);
	sqlite3_bind_int64(st->upsert_agent, 7, rep->outbox_depth);
	sqlite3_bind_int64(st->upsert_agent, 8, rep->oldest_unshipped);
	if ((rc = step_reset(st->upsert_agent)) != SQLITE_DONE) {
		snprintf(err, errlen, "agents: %s", sqlite3_errmsg(st->w));
		rc = rc == SQLITE_BUSY ? -2 : -1;
		goto rollback;
	}
	if ((rc = step_reset(st->commit)) != SQLITE_DONE) {
		snprintf(err, errlen, "COMMIT: %s", sqlite3_errmsg(st->w));
		rc = rc == SQLITE_BUSY ? -2 : -1;
		goto rollback;
	}
	st->stored += stored;
	st->dups += (int64_t)n - stored;
	rc = 0;
	goto out;
rollback:
	step_reset(st->rollback);
	for (size_t i = 0; i < n; i++)
		rows[i].stored = false;
out:
	if (rc == -2)
		st->busy++;
	pthread_mutex_unlock(&st->wmu);
	free(slot);
	free(g);
	return rc;
}

/* ---- retention ---- */

static int
prune_one(struct store *st, const char *sql, int64_t before, int step,
    int64_t *removed, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->w, sql, -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(st->w));
		return -1;
	}
	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_int(s, 2, step);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "retention: %s", sqlite3_errmsg(st->w));
		return -1;
	}
	*removed += sqlite3_changes(st->w);
	return 0;
}

int
store_prune(struct store *st, int64_t now_ms, int64_t keep_raw_ms,
    int64_t keep_1m_ms, int64_t keep_1h_ms, int64_t keep_1d_ms, int step,
    int64_t *removed, char *err, size_t errlen)
{
	int rc;

	*removed = 0;
	pthread_mutex_lock(&st->wmu);
	sqlite3_busy_timeout(st->w, 1000);
	rc = prune_one(st, "DELETE FROM results WHERE (agent, seq) IN (SELECT agent, "
	    "seq FROM results WHERE ts < ?1 LIMIT ?2)", now_ms - keep_raw_ms, step,
	    removed, err, errlen);
	if (rc == 0)
		rc = prune_one(st, "DELETE FROM rollup_1m WHERE (check_name, agent, "
		    "bucket) IN (SELECT check_name, agent, bucket FROM rollup_1m WHERE "
		    "bucket < ?1 LIMIT ?2)", now_ms - keep_1m_ms, step, removed, err, errlen);
	if (rc == 0)
		rc = prune_one(st, "DELETE FROM rollup_1h WHERE rowid IN (SELECT rowid "
		    "FROM rollup_1h WHERE bucket < ?1 LIMIT ?2)", now_ms - keep_1h_ms,
		    step, removed, err, errlen);
	if (rc == 0)
		rc = prune_one(st, "DELETE FROM rollup_1d WHERE rowid IN (SELECT rowid "
		    "FROM rollup_1d WHERE bucket < ?1 LIMIT ?2)", now_ms - keep_1d_ms,
		    step, removed, err, errlen);
	pthread_mutex_unlock(&st->wmu);
	return rc;
}

/* ---- readers ---- */

sqlite3 *
store_reader(struct store *st)
{
	sqlite3 *db;

	pthread_mutex_lock(&st->rmu);
	while (st->nfree == 0)
		pthread_cond_wait(&st->rcv, &st->rmu);
	db = st->free_readers[--st->nfree];
	pthread_mutex_unlock(&st->rmu);
	return db;
}

void
store_reader_put(struct store *st, sqlite3 *db)
{
	pthread_mutex_lock(&st->rmu);
	st->free_readers[st->nfree++] = db;
	pthread_cond_signal(&st->rcv);
	pthread_mutex_unlock(&st->rmu);
}

void
store_counters(struct store *st, int64_t *stored, int64_t *dups, int64_t *busy)
{
	pthread_mutex_lock(&st->wmu);
	*stored = st->stored;
	*dups = st->dups;
	*busy = st->busy;
	pthread_mutex_unlock(&st->wmu);
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->ckpt_running) {
		pthread_mutex_lock(&st->ckpt_mu);
		st->ckpt_stop = 1;
		pthread_cond_signal(&st->ckpt_cv);
		pthread_mutex_unlock(&st->ckpt_mu);
		pthread_join(st->ckpt_th, NULL);
		pthread_mutex_destroy(&st->ckpt_mu);
		pthread_cond_destroy(&st->ckpt_cv);
	}
	if (st->ckpt) {
		/* leave a small WAL behind: copy everything and truncate */
		sqlite3_wal_checkpoint_v2(st->ckpt, NULL, SQLITE_CHECKPOINT_TRUNCATE,
		    NULL, NULL);
		sqlite3_close(st->ckpt);
	}
	sqlite3_finalize(st->ins_result);
	for (int t = 0; t < 3; t++)
		sqlite3_finalize(st->upsert[t]);
	sqlite3_finalize(st->upsert_agent);
	sqlite3_finalize(st->upsert_latest);
	sqlite3_finalize(st->begin);
	sqlite3_finalize(st->commit);
	sqlite3_finalize(st->rollback);
	for (int i = 0; i < st->nreaders; i++)
		sqlite3_close(st->readers[i]);
	free(st->readers);
	free(st->free_readers);
	if (st->w)
		sqlite3_close(st->w);
	pthread_mutex_destroy(&st->wmu);
	pthread_mutex_destroy(&st->rmu);
	pthread_cond_destroy(&st->rcv);
	free(st);
}
