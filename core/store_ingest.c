/* store_ingest: one batch of results in one transaction: raw rows, the
 * three rollup tiers (one upsert per series and bucket, not per result),
 * the newest result per series and the agents row; then retention. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "sketch.h"
#include "store_int.h"
#include "thr.h"
#include "timeutil.h"
#include "xmalloc.h"

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";

static const char sql_result_add[] =
    "INSERT OR IGNORE INTO results (" RESULT_COLS ") VALUES (?1, ?2, ?3, ?4, "
    "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
    "?21, ?22, ?23, ?24, ?25)";
static const char sql_latest_get[] =
    "SELECT seq, fail_streak, ok_streak FROM latest WHERE series = ?1";
static const char sql_latest_put[] =
    "INSERT OR REPLACE INTO latest (" RESULT_COLS ", fail_streak, ok_streak) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
    "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)";
static const char sql_agent_put[] =
    "INSERT INTO agents (id, region, provider, version, first_seen, last_seen, "
    "last_seq, outbox_depth, oldest_unshipped) VALUES (?1, ?2, ?3, ?4, ?5, ?5, "
    "?6, ?7, ?8) ON CONFLICT (id) DO UPDATE SET "
    "region = coalesce(excluded.region, region), "
    "provider = coalesce(excluded.provider, provider), "
    "version = coalesce(excluded.version, version), last_seen = excluded.last_seen, "
    "last_seq = max(coalesce(last_seq, 0), excluded.last_seq), "
    "outbox_depth = excluded.outbox_depth, "
    "oldest_unshipped = excluded.oldest_unshipped";

#define ROLLUP_UPSERT(t) \
    "INSERT INTO " t " (series, bucket, total, good, inconclusive, e_dns, " \
    "e_connect, e_tls, e_timeout, e_http_status, e_assertion, e_body, " \
    "e_internal, e_consistency, cache_hit, cache_miss, cache_expired, " \
    "cache_stale, cache_bypass, cache_dynamic, cache_unknown, dns_us, " \
    "connect_us, tls_us, processing_us, transfer_us, total_us, sketch, thr) " \
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, " \
    "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29) " \
    "ON CONFLICT (series, bucket) DO UPDATE SET " \
    "total = total + excluded.total, good = good + excluded.good, " \
    "inconclusive = inconclusive + excluded.inconclusive, " \
    "e_dns = e_dns + excluded.e_dns, e_connect = e_connect + excluded.e_connect, " \
    "e_tls = e_tls + excluded.e_tls, e_timeout = e_timeout + excluded.e_timeout, " \
    "e_http_status = e_http_status + excluded.e_http_status, " \
    "e_assertion = e_assertion + excluded.e_assertion, " \
    "e_body = e_body + excluded.e_body, e_internal = e_internal + excluded.e_internal, " \
    "e_consistency = e_consistency + excluded.e_consistency, " \
    "cache_hit = cache_hit + excluded.cache_hit, " \
    "cache_miss = cache_miss + excluded.cache_miss, " \
    "cache_expired = cache_expired + excluded.cache_expired, " \
    "cache_stale = cache_stale + excluded.cache_stale, " \
    "cache_bypass = cache_bypass + excluded.cache_bypass, " \
    "cache_dynamic = cache_dynamic + excluded.cache_dynamic, " \
    "cache_unknown = cache_unknown + excluded.cache_unknown, " \
    "dns_us = dns_us + excluded.dns_us, connect_us = connect_us + excluded.connect_us, " \
    "tls_us = tls_us + excluded.tls_us, " \
    "processing_us = processing_us + excluded.processing_us, " \
    "transfer_us = transfer_us + excluded.transfer_us, " \
    "total_us = total_us + excluded.total_us, " \
    "sketch = sketch_merge(sketch, excluded.sketch), " \
    "thr = thr_merge(thr, excluded.thr)"

static const char *const sql_rollup_put[STORE_NTIERS] = {
	ROLLUP_UPSERT("rollup_1m"), ROLLUP_UPSERT("rollup_1h"), ROLLUP_UPSERT("rollup_1d")
};

/* One stored row of the batch, with what the store made of it. */
struct row {
	const struct record	*r;
	int64_t			 series;
	int64_t			 tid[RT_COUNT];	/* text ids; 0 for NULL */
};

/* A rollup group: the stored rows of one series in one bucket. */
struct group {
	int64_t		 series, bucket;
	int64_t		 total, good, inconclusive;
	int64_t		 e[ERRCLASS_COUNT], ph[6], cache[CACHE_NSTATUS];
	int64_t		 thr[STORE_MAX_THRESHOLDS];
	unsigned char	*sketch;
	size_t		 sketch_len;
};

static int64_t
floor_to(int64_t t, int64_t w)
{
	return t - ((t % w) + w) % w;
}

static int
cmp_series_seq(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;

	if (a->series != b->series)
		return a->series < b->series ? -1 : 1;
	if (a->r->ts != b->r->ts)
		return a->r->ts < b->r->ts ? -1 : 1;
	return a->r->seq < b->r->seq ? -1 : a->r->seq > b->r->seq;
}

/* Bind the RESULT_COLS of row x from column 1. */
static void
bind_result(sqlite3_stmt *s, const struct row *x)
{
	const struct record *r = x->r;
	int k = 1;

	sqlite3_bind_int64(s, k++, x->series);
	sqlite3_bind_int64(s, k++, r->ts);
	sqlite3_bind_int64(s, k++, r->seq);
	sqlite3_bind_int(s, k++, (r->ok ? 1 : 0) | (r->truncated ? 2 : 0) |
	    (r->inconclusive ? 4 : 0));
	if (r->ok)
		sqlite3_bind_null(s, k++);
	else
		sqlite3_bind_int(s, k++, (int)r->error_class);
	sqlite3_bind_int64(s, k++, (int64_t)(r->present ^ RECORD_USUAL));
	sqlite3_bind_int64(s, k++, r->total_us);
	sqlite3_bind_int64(s, k++, r->dns_us);
	sqlite3_bind_int64(s, k++, r->connect_us);
	sqlite3_bind_int64(s, k++, r->tls_us);
	sqlite3_bind_int64(s, k++, r->processing_us);
	sqlite3_bind_int64(s, k++, r->transfer_us);
	if (r->has_status)
		sqlite3_bind_int64(s, k++, r->status);
	else
		sqlite3_bind_null(s, k++);
	sqlite3_bind_int64(s, k++, r->bytes);
	sqlite3_bind_int64(s, k++, r->attempts);
	if (r->has_cert)
		sqlite3_bind_int64(s, k++, r->cert_not_after);
	else
		sqlite3_bind_null(s, k++);
	sqlite3_bind_int64(s, k++, r->age_s);
	bind_id_or_null(s, k++, x->tid[RT_KIND]);
	bind_id_or_null(s, k++, x->tid[RT_URL]);
	bind_id_or_null(s, k++, x->tid[RT_ERROR]);
	bind_id_or_null(s, k++, x->tid[RT_HTTP_VERSION]);
	bind_id_or_null(s, k++, x->tid[RT_IP]);
	bind_id_or_null(s, k++, x->tid[RT_CACHE]);
	bind_id_or_null(s, k++, x->tid[RT_CACHE_RAW]);
	bind_id_or_null(s, k++, x->tid[RT_EXTRA]);
}

/* Add row x to group g (a run of rows of one series and bucket). */
static void
group_add(struct store *st, struct group *g, const struct row *x)
{
	const struct record *r = x->r;

	if (r->inconclusive && !r->ok) {
		g->inconclusive++;	/* counted, not an event of any SLO */
		return;
	}
	g->total++;
	if (r->text[RT_CACHE] != NULL) {
		enum cache_status cs = cache_status_parse(r->text[RT_CACHE]);
		g->cache[cs]++;
	}
	if (r->ok) {
		g->good++;
		for (size_t t = 0; t < st->nthr; t++)
			if (r->total_us <= st->thr[t])
				g->thr[t]++;
	} else
		g->e[r->error_class]++;
	g->ph[0] += r->dns_us;
	g->ph[1] += r->connect_us;
	g->ph[2] += r->tls_us;
	g->ph[3] += r->processing_us;
	g->ph[4] += r->transfer_us;
	g->ph[5] += r->total_us;
}

/* Build the groups of one tier from rows sorted by (series, ts). */
static size_t
make_groups(struct store *st, const struct row *rows, size_t n, int64_t width,
    struct group *g, int64_t *scratch)
{
	size_t ng = 0;

	for (size_t i = 0; i < n;) {
		struct group *x = &g[ng++];
		int64_t b = floor_to(rows[i].r->ts, width);
		size_t j, nv = 0;

		memset(x, 0, sizeof(*x));
		x->series = rows[i].series;
		x->bucket = b;
		for (j = i; j < n && rows[j].series == x->series &&
		    floor_to(rows[j].r->ts, width) == b; j++) {
			group_add(st, x, &rows[j]);
			if (rows[j].r->ok)
				scratch[nv++] = rows[j].r->total_us;
		}
		x->sketch = sketch_encode_values(scratch, nv, &x->sketch_len);
		i = j;
	}
	return ng;
}

static int
put_groups(struct store *st, enum store_tier t, const struct group *g, size_t ng,
    char *err, size_t errlen)
{
	for (size_t i = 0; i < ng; i++) {
		sqlite3_stmt *s = conn_stmt(&st->w, sql_rollup_put[t], err, errlen);
		unsigned char *thr;
		size_t thr_len;
		int k = 1, rc;

		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, k++, g[i].series);
		sqlite3_bind_int64(s, k++, g[i].bucket);
		sqlite3_bind_int64(s, k++, g[i].total);
		sqlite3_bind_int64(s, k++, g[i].good);
		sqlite3_bind_int64(s, k++, g[i].inconclusive);
		for (int c = ERRCLASS_DNS; c < ERRCLASS_COUNT; c++)
			sqlite3_bind_int64(s, k++, g[i].e[c]);
		for (int c = 0; c < CACHE_NSTATUS; c++)
			sqlite3_bind_int64(s, k++, g[i].cache[c]);
		for (int p = 0; p < 6; p++)
			sqlite3_bind_int64(s, k++, g[i].ph[p]);
		sqlite3_bind_blob(s, k++, g[i].sketch, (int)g[i].sketch_len,
		    SQLITE_STATIC);
		thr = st->nthr ? thr_encode(st->thr, g[i].thr, st->nthr, &thr_len) : NULL;
		if (thr)
			sqlite3_bind_blob(s, k++, thr, (int)thr_len, free);
		else
			sqlite3_bind_null(s, k++);
		if ((rc = stmt_done(s)) != SQLITE_DONE)
			return conn_fail(&st->w, rc, "rollups", err, errlen);
	}
	return 0;
}

/* The newest result of each series of the batch, and its streaks: rows
 * sorted by (series, ts, seq); applied in seq order, only past the seq
 * latest already holds (a late batch leaves it alone). */
static int
put_latest(struct store *st, struct row *rows, size_t n, char *err, size_t errlen)
{
	int64_t *order = NULL;

	for (size_t i = 0; i < n;) {
		sqlite3_stmt *s;
		int64_t seq = 0, fail = 0, okc = 0;
		const struct row *best = NULL;
		size_t j, m, k;
		int rc;

		for (j = i; j < n && rows[j].series == rows[i].series; j++)
			;
		if ((s = conn_stmt(&st->w, sql_latest_get, err, errlen)) == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, rows[i].series);
		if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			seq = sqlite3_column_int64(s, 0);
			fail = sqlite3_column_int64(s, 1);
			okc = sqlite3_column_int64(s, 2);
		}
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return conn_fail(&st->w, rc, "latest", err, errlen);
		/* the rows of this series in seq order */
		m = j - i;
		order = xreallocarray(order, m, sizeof(*order));
		for (k = 0; k < m; k++)
			order[k] = (int64_t)(i + k);
		for (k = 1; k < m; k++) {
			int64_t v = order[k];
			size_t q = k;

			while (q > 0 && rows[order[q - 1]].r->seq > rows[v].r->seq) {
				order[q] = order[q - 1];
				q--;
			}
			order[q] = v;
		}
		for (k = 0; k < m; k++) {
			const struct row *x = &rows[order[k]];

			if (x->r->seq <= seq)
				continue;
			seq = x->r->seq;
			best = x;
			/* an inconclusive result is shown, but leaves the
			 * streaks alone */
			if (x->r->inconclusive && !x->r->ok)
				continue;
			if (x->r->ok) {
				okc++;
				fail = 0;
			} else {
				fail++;
				okc = 0;
			}
		}
		if (best != NULL) {
			if ((s = conn_stmt(&st->w, sql_latest_put, err, errlen)) == NULL) {
				free(order);
				return -1;
			}
			bind_result(s, best);
			sqlite3_bind_int64(s, RESULT_NCOLS + 1, fail);
			sqlite3_bind_int64(s, RESULT_NCOLS + 2, okc);
			if ((rc = stmt_done(s)) != SQLITE_DONE) {
				free(order);
				return conn_fail(&st->w, rc, "latest", err, errlen);
			}
		}
		i = j;
	}
	free(order);
	return 0;
}

static int
put_agent(struct store *st, const struct agent_report *rep, int64_t maxseq,
    int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *s = conn_stmt(&st->w, sql_agent_put, err, errlen);
	int rc;

	if (s == NULL)
		return -1;
	bind_text_or_null(s, 1, rep->id);
	bind_text_or_null(s, 2, rep->region);
	bind_text_or_null(s, 3, rep->provider);
	bind_text_or_null(s, 4, rep->version);
	sqlite3_bind_int64(s, 5, now);
	sqlite3_bind_int64(s, 6, maxseq);
	sqlite3_bind_int64(s, 7, rep->outbox_depth);
	sqlite3_bind_int64(s, 8, rep->oldest_unshipped);
	if ((rc = stmt_done(s)) != SQLITE_DONE)
		return conn_fail(&st->w, rc, "agents", err, errlen);
	return 0;
}

int
result_put(struct store *st, bool latest, const struct record *r, int64_t series,
    int64_t day, int64_t fail_streak, int64_t ok_streak, char *err, size_t errlen)
{
	struct row x;
	sqlite3_stmt *s;
	int rc;

	memset(&x, 0, sizeof(x));
	x.r = r;
	x.series = series;
	for (int t = 0; t < RT_COUNT; t++)
		if (r->text[t] != NULL && text_id(st, r->text[t], r->text_len[t], day,
		    &x.tid[t], err, errlen) < 0)
			return -1;
	if ((s = conn_stmt(&st->w, latest ? sql_latest_put : sql_result_add, err,
	    errlen)) == NULL)
		return -1;
	bind_result(s, &x);
	if (latest) {
		sqlite3_bind_int64(s, RESULT_NCOLS + 1, fail_streak);
		sqlite3_bind_int64(s, RESULT_NCOLS + 2, ok_streak);
	}
	if ((rc = stmt_done(s)) != SQLITE_DONE)
		return conn_fail(&st->w, rc, latest ? "latest" : "results", err, errlen);
	return 0;
}

static void
free_groups(struct group *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(g[i].sketch);
}

/* Hand the minute groups to the SLO engine (write lock held). */
static void
send_deltas(struct store *st, const struct group *g, size_t ng)
{
	struct rollup_delta *d;

	if (st->delta_fn == NULL || ng == 0)
		return;
	d = xcalloc(ng, sizeof(*d));
	for (size_t i = 0; i < ng; i++) {
		d[i].series = g[i].series;
		d[i].bucket = g[i].bucket;
		d[i].total = g[i].total;
		d[i].good = g[i].good;
		d[i].inconclusive = g[i].inconclusive;
		d[i].thr_us = st->thr;
		d[i].thr_le = g[i].thr;
		d[i].nthr = st->nthr;
		memcpy(d[i].cache, g[i].cache, sizeof(d[i].cache));
		d[i].sketch = g[i].sketch;
		d[i].sketch_len = g[i].sketch_len;
	}
	st->delta_fn(st->delta_arg, d, ng);
	free(d);
}

/* One caller's batch, waiting to be written with others (group commit). */
struct ingest_job {
	const struct agent_report	*rep;
	const struct record		*recs;
	size_t				 n;
	bool				*stored;
	int				 busy_ms;
	int				 rc;
	bool				 done;
	char				 err[256];
	struct ingest_job		*next;
};

/* Write the batches of jobs in one transaction (write lock held). Their
 * rows share the rollup upserts and the newest-result updates, so a busy
 * collector writes each touched page once per group, not once per batch.
 * Sets each job's stored flags; 0, -1, or -2 (busy). */
static int
ingest_group(struct store *st, struct ingest_job *jobs, size_t total,
    char *err, size_t errlen)
{
	struct row *rows = xcalloc(total + 1, sizeof(*rows));
	struct group *g[STORE_NTIERS] = { NULL, NULL, NULL };
	size_t ng[STORE_NTIERS] = { 0, 0, 0 }, nrows = 0;
	int64_t *scratch = xcalloc(total + 1, sizeof(*scratch));
	int64_t now = time_now_ms(), day = now / STORE_DAY_MS;
	sqlite3_stmt *s;
	struct ingest_job *j;
	int rc = -1;

	sqlite3_busy_timeout(st->w.db, jobs->busy_ms);
	if ((s = conn_stmt(&st->w, sql_begin, err, errlen)) == NULL)
		goto out;
	if ((rc = stmt_done(s)) != SQLITE_DONE) {
		rc = conn_fail(&st->w, rc, "BEGIN", err, errlen);
		goto out;
	}
	for (j = jobs; j; j = j->next) {
		int64_t maxseq = 0;

		for (size_t i = 0; i < j->n; i++) {
			const struct record *r = &j->recs[i];
			struct row *x = &rows[nrows];

			x->r = r;
			if ((rc = series_get_or_add(st, r->check, j->rep->id,
			    j->rep->region, r->service, r->layer, r->provider, now,
			    &x->series, err, errlen)) < 0)
				goto rollback;
			for (int t = 0; t < RT_COUNT; t++)
				if (r->text[t] != NULL && (rc = text_id(st, r->text[t],
				    r->text_len[t], day, &x->tid[t], err, errlen)) < 0)
					goto rollback;
			if ((s = conn_stmt(&st->w, sql_result_add, err, errlen)) ==
			    NULL) {
				rc = -1;
				goto rollback;
			}
			bind_result(s, x);
			if ((rc = stmt_done(s)) != SQLITE_DONE) {
				rc = conn_fail(&st->w, rc, "results", err, errlen);
				goto rollback;
			}
			if (r->seq > maxseq)
				maxseq = r->seq;
			if (sqlite3_changes(st->w.db) == 1) {
				j->stored[i] = true;
				nrows++;
			}
		}
		if ((rc = put_agent(st, j->rep, maxseq, now, err, errlen)) < 0)
			goto rollback;
	}
	if (nrows > 0) {
		qsort(rows, nrows, sizeof(*rows), cmp_series_seq);
		for (int t = 0; t < STORE_NTIERS; t++) {
			g[t] = xcalloc(nrows, sizeof(*g[t]));
			ng[t] = make_groups(st, rows, nrows, store_tier_ms[t], g[t],
			    scratch);
			if ((rc = put_groups(st, (enum store_tier)t, g[t], ng[t], err,
			    errlen)) < 0)
				goto rollback;
		}
		if ((rc = put_latest(st, rows, nrows, err, errlen)) < 0)
			goto rollback;
	}
	if ((s = conn_stmt(&st->w, sql_commit, err, errlen)) == NULL) {
		rc = -1;
		goto rollback;
	}
	if ((rc = stmt_done(s)) != SQLITE_DONE) {
		rc = conn_fail(&st->w, rc, "COMMIT", err, errlen);
		goto rollback;
	}
	series_commit(st);
	st->stored += (int64_t)nrows;
	st->dups += (int64_t)(total - nrows);
	send_deltas(st, g[STORE_1M], ng[STORE_1M]);
	rc = 0;
	goto out;
rollback:
	sqlite3_exec(st->w.db, "ROLLBACK", NULL, NULL, NULL);
	series_rollback(st);
	text_cache_flush(st);
	for (j = jobs; j; j = j->next)
		for (size_t i = 0; i < j->n; i++)
			j->stored[i] = false;
out:
	if (rc == -2)
		st->busy++;
	for (int t = 0; t < STORE_NTIERS; t++) {
		free_groups(g[t], ng[t]);
		free(g[t]);
	}
	free(scratch);
	free(rows);
	return rc;
}

int
store_ingest(struct store *st, const struct agent_report *rep,
    const struct record *recs, size_t n, bool *stored, int busy_ms,
    char *err, size_t errlen)
{
	struct ingest_job job, **tail;

	for (size_t i = 0; i < n; i++)
		stored[i] = false;
	if (st->readonly) {
		snprintf(err, errlen, "the DB is open read-only");
		return -1;
	}
	memset(&job, 0, sizeof(job));
	job.rep = rep;
	job.recs = recs;
	job.n = n;
	job.stored = stored;
	job.busy_ms = busy_ms;
	pthread_mutex_lock(&st->jq_mu);
	for (tail = &st->jq; *tail; tail = &(*tail)->next)
		;
	*tail = &job;
	/*
	 * Group commit: whoever finds no writer at work becomes it and writes
	 * every batch queued by then, up to a bound, in one transaction; the
	 * others wait for their answer. Under load batches queue up while a
	 * group is written, so each page is written once for many of them;
	 * alone, a batch is written at once.
	 */
	while (!job.done) {
		struct ingest_job *group, *j, **cut;
		size_t total = 0, count = 0;
		char gerr[256] = "";
		int rc;

		if (st->jq_writing) {
			pthread_cond_wait(&st->jq_cv, &st->jq_mu);
			continue;
		}
		st->jq_writing = true;
		group = st->jq;
		for (cut = &st->jq; *cut && (count == 0 ||
		    total + (*cut)->n <= STORE_GROUP_MAX); cut = &(*cut)->next) {
			total += (*cut)->n;
			count++;
		}
		st->jq = *cut;
		*cut = NULL;
		pthread_mutex_unlock(&st->jq_mu);
		pthread_mutex_lock(&st->wmu);
		rc = ingest_group(st, group, total, gerr, sizeof(gerr));
		pthread_mutex_unlock(&st->wmu);
		pthread_mutex_lock(&st->jq_mu);
		for (j = group; j; j = j->next) {
			j->rc = rc;
			snprintf(j->err, sizeof(j->err), "%s", gerr);
			j->done = true;
		}
		st->jq_writing = false;
		pthread_cond_broadcast(&st->jq_cv);
	}
	pthread_mutex_unlock(&st->jq_mu);
	if (job.rc < 0)
		snprintf(err, errlen, "%s", job.err);
	return job.rc;
}

/* ---- retention ---- */

/* Each deletes at most ?3 rows of one series older than ?2: the key range
 * of its due rows, read only as far as it goes (a series with nothing due
 * costs one seek). */
static const char sql_prune_results[] =
    "DELETE FROM results WHERE (series, ts, seq) IN (SELECT series, ts, seq "
    "FROM results WHERE series = ?1 AND ts < ?2 ORDER BY ts LIMIT ?3)";
/* rollups are keyed (bucket, series): the due rows are the start of the
 * key range */
static const char *const sql_prune_rollup[STORE_NTIERS] = {
	"DELETE FROM rollup_1m WHERE (bucket, series) IN (SELECT bucket, series "
	"FROM rollup_1m WHERE bucket < ?1 ORDER BY bucket LIMIT ?2)",
	"DELETE FROM rollup_1h WHERE (bucket, series) IN (SELECT bucket, series "
	"FROM rollup_1h WHERE bucket < ?1 ORDER BY bucket LIMIT ?2)",
	"DELETE FROM rollup_1d WHERE (bucket, series) IN (SELECT bucket, series "
	"FROM rollup_1d WHERE bucket < ?1 ORDER BY bucket LIMIT ?2)",
};
/* texts no result kept refers to: unused since before the raw cutoff, and
 * not held by the newest result of a series (kept past raw retention) */
static const char sql_prune_texts[] =
    "DELETE FROM texts WHERE id IN (SELECT id FROM texts WHERE used < ?1 AND "
    "id NOT IN (SELECT kind FROM latest UNION SELECT url FROM latest UNION "
    "SELECT error FROM latest UNION SELECT http_version FROM latest UNION "
    "SELECT ip FROM latest UNION SELECT cache FROM latest UNION SELECT "
    "cache_raw FROM latest UNION SELECT extra FROM latest) LIMIT ?2)";

static int
prune_table(struct store *st, const char *sql, const int64_t *ids, size_t nids,
    int64_t before, int step, int64_t *removed, char *err, size_t errlen)
{
	int64_t left = step;

	for (size_t i = 0; i < nids && left > 0; i++) {
		sqlite3_stmt *s = conn_stmt(&st->w, sql, err, errlen);
		int rc;

		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, ids[i]);
		sqlite3_bind_int64(s, 2, before);
		sqlite3_bind_int64(s, 3, left);
		if ((rc = stmt_done(s)) != SQLITE_DONE)
			return conn_fail(&st->w, rc, "retention", err, errlen);
		left -= sqlite3_changes(st->w.db);
		*removed += sqlite3_changes(st->w.db);
	}
	return 0;
}

int
store_prune(struct store *st, int64_t now_ms, int64_t keep_raw_ms,
    int64_t keep_1m_ms, int64_t keep_1h_ms, int64_t keep_1d_ms, int step,
    int64_t *removed, char *err, size_t errlen)
{
	const int64_t keep[STORE_NTIERS] = { keep_1m_ms, keep_1h_ms, keep_1d_ms };
	int64_t *ids, texts = 0;
	size_t nids = store_series_match(st, NULL, &ids);
	sqlite3_stmt *s;
	int rc = 0;

	*removed = 0;
	pthread_mutex_lock(&st->wmu);
	sqlite3_busy_timeout(st->w.db, 1000);
	if (sqlite3_exec(st->w.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = conn_fail(&st->w, SQLITE_ERROR, "retention", err, errlen);
		goto out;
	}
	rc = prune_table(st, sql_prune_results, ids, nids, now_ms - keep_raw_ms,
	    step, removed, err, errlen);
	for (int t = 0; t < STORE_NTIERS && rc == 0; t++) {
		if ((s = conn_stmt(&st->w, sql_prune_rollup[t], err, errlen)) == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(s, 1, now_ms - keep[t]);
		sqlite3_bind_int(s, 2, step);
		if ((rc = stmt_done(s)) != SQLITE_DONE)
			rc = conn_fail(&st->w, rc, "retention", err, errlen);
		else {
			rc = 0;
			*removed += sqlite3_changes(st->w.db);
		}
	}
	if (rc == 0 && (s = conn_stmt(&st->w, sql_prune_texts, err, errlen)) != NULL) {
		/* a text used on the cutoff's day may still be referred to */
		sqlite3_bind_int64(s, 1, (now_ms - keep_raw_ms) / STORE_DAY_MS - 1);
		sqlite3_bind_int(s, 2, step);
		if ((rc = stmt_done(s)) != SQLITE_DONE)
			rc = conn_fail(&st->w, rc, "retention", err, errlen);
		else {
			rc = 0;
			texts = sqlite3_changes(st->w.db);
			*removed += texts;
		}
	} else if (rc == 0)
		rc = -1;
	if (rc == 0 && sqlite3_exec(st->w.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = conn_fail(&st->w, SQLITE_ERROR, "retention", err, errlen);
	if (rc != 0) {
		sqlite3_exec(st->w.db, "ROLLBACK", NULL, NULL, NULL);
		*removed = 0;
	}
	if (texts > 0 || rc != 0)
		text_cache_flush(st);
out:
	pthread_mutex_unlock(&st->wmu);
	free(ids);
	return rc < 0 ? -1 : 0;
}
