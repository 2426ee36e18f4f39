/* store: opening the collector DB, its connections and their prepared
 * statements, WAL checkpoints, latency thresholds, retention. */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sqlfn.h"
#include "sqlmig.h"
#include "store_int.h"
#include "timeutil.h"
#include "xmalloc.h"

extern const char *const collector_migrations[];
extern const size_t collector_migrations_count;

const int64_t store_tier_ms[STORE_NTIERS] = { 60000, 3600000, 86400000 };

#define CHECKPOINT_EVERY_MS 2000
#define WAL_MAX_FRAMES	16384	/* 64 MB of 4 KB pages */

/* ---- connections and statements ---- */

static size_t
slot_of(const char *sql, size_t nslots)
{
	uintptr_t p = (uintptr_t)sql;

	return (size_t)((p >> 3) * 0x9E3779B97F4A7C15ULL) & (nslots - 1);
}

sqlite3_stmt *
conn_stmt(struct store_conn *c, const char *sql, char *err, size_t errlen)
{
	size_t i;

	if (c->nslots == 0) {
		c->nslots = 64;
		c->slots = xcalloc(c->nslots, sizeof(*c->slots));
	}
	for (i = slot_of(sql, c->nslots); c->slots[i].sql != NULL;
	    i = (i + 1) & (c->nslots - 1))
		if (c->slots[i].sql == sql) {
			sqlite3_reset(c->slots[i].st);
			sqlite3_clear_bindings(c->slots[i].st);
			return c->slots[i].st;
		}
	if (2 * (c->used + 1) > c->nslots) {
		/* grow: rehash every prepared statement */
		struct stmt_slot *old = c->slots;
		size_t nold = c->nslots;

		c->nslots *= 2;
		c->slots = xcalloc(c->nslots, sizeof(*c->slots));
		for (size_t k = 0; k < nold; k++) {
			size_t j;

			if (old[k].sql == NULL)
				continue;
			for (j = slot_of(old[k].sql, c->nslots); c->slots[j].sql;
			    j = (j + 1) & (c->nslots - 1))
				;
			c->slots[j] = old[k];
		}
		free(old);
		for (i = slot_of(sql, c->nslots); c->slots[i].sql != NULL;
		    i = (i + 1) & (c->nslots - 1))
			;
	}
	if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &c->slots[i].st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "preparing \"%.60s...\": %s", sql,
		    sqlite3_errmsg(c->db));
		c->slots[i].st = NULL;
		return NULL;
	}
	c->slots[i].sql = sql;
	c->used++;
	return c->slots[i].st;
}

int
stmt_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc;
}

int
bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
	return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(s, i);
}

int
bind_id_or_null(sqlite3_stmt *s, int i, int64_t id)
{
	return id ? sqlite3_bind_int64(s, i, id) : sqlite3_bind_null(s, i);
}

int
conn_fail(struct store_conn *c, int rc, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, rc == SQLITE_INTERRUPT ?
	    "interrupted" : sqlite3_errmsg(c->db));
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? -2 : -1;
}

static void
conn_close(struct store_conn *c)
{
	for (size_t i = 0; i < c->nslots; i++)
		sqlite3_finalize(c->slots[i].st);
	free(c->slots);
	c->slots = NULL;
	c->nslots = c->used = 0;
	if (c->db)
		sqlite3_close(c->db);
	c->db = NULL;
}

/* SQLite calls this every few thousand VM steps: a watched connection
 * stops its statement when asked to (SIGTERM mid-evaluation). */
static int
progress(void *arg)
{
	struct store_conn *c = arg;

	return c->stop != NULL && *c->stop;
}

static int
conn_open(struct store *st, struct store_conn *c, int flags, char *err,
    size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->st = st;
	if (sqlite3_open_v2(st->path, &c->db, flags | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", st->path, c->db ?
		    sqlite3_errmsg(c->db) : "cannot open");
		return -1;
	}
	sqlite3_busy_timeout(c->db, 5000);
	/* long SLO windows read many rollup pages: map the file rather than
	 * pread it through a 2 MB page cache */
	sqlite3_exec(c->db, "PRAGMA mmap_size = 4294967296", NULL, NULL, NULL);
	sqlite3_progress_handler(c->db, 4000, progress, c);
	if (sqlfn_register(c->db) != SQLITE_OK) {
		snprintf(err, errlen, "%s: registering SQL functions: %s", st->path,
		    sqlite3_errmsg(c->db));
		return -1;
	}
	return 0;
}

struct store_conn *
store_conn_get(struct store *st)
{
	struct store_conn *c;

	pthread_mutex_lock(&st->rmu);
	while (st->nfree == 0)
		pthread_cond_wait(&st->rcv, &st->rmu);
	c = st->free_readers[--st->nfree];
	pthread_mutex_unlock(&st->rmu);
	return c;
}

void
store_conn_put(struct store *st, struct store_conn *c)
{
	if (c == NULL)
		return;
	if (c->in_read)
		store_read_end(st, c);
	c->stop = NULL;
	pthread_mutex_lock(&st->rmu);
	st->free_readers[st->nfree++] = c;
	pthread_cond_signal(&st->rcv);
	pthread_mutex_unlock(&st->rmu);
}

struct store_conn *
conn_or_borrow(struct store *st, struct store_conn *c, bool *borrowed)
{
	*borrowed = c == NULL;
	return c ? c : store_conn_get(st);
}

void
store_conn_watch(struct store_conn *c, volatile int *stop)
{
	c->stop = stop;
}

static const char sql_snapshot[] = "SELECT count(*) FROM latency_thresholds";

int
store_read_begin(struct store *st, struct store_conn *c, void (*mark)(void *),
    void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int rc = 0;

	if (!st->readonly)
		pthread_mutex_lock(&st->wmu);
	if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		rc = conn_fail(c, SQLITE_ERROR, "BEGIN", err, errlen);
	/* a read fixes the snapshot (BEGIN alone does not) */
	else if ((s = conn_stmt(c, sql_snapshot, err, errlen)) == NULL ||
	    sqlite3_step(s) != SQLITE_ROW) {
		if (s)
			rc = conn_fail(c, sqlite3_reset(s), "snapshot", err, errlen);
		else
			rc = -1;
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	} else {
		sqlite3_reset(s);
		c->in_read = true;
		if (mark)
			mark(arg);
	}
	if (!st->readonly)
		pthread_mutex_unlock(&st->wmu);
	return rc < 0 ? -1 : 0;
}

void
store_read_end(struct store *st, struct store_conn *c)
{
	(void)st;
	if (!c->in_read)
		return;
	sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	c->in_read = false;
}

/* ---- checkpoints ---- */

/* Copy committed WAL frames into the DB every CHECKPOINT_EVERY_MS with a
 * PASSIVE checkpoint (never waits for readers or the writer), so ingest
 * commits do not pay for it: measured +56 % ingest rate against
 * auto-checkpoints. Every 2 s rather than 0.5 s: the pages ingest keeps
 * rewriting (the current rollup rows) are copied once, not four times. */
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
		ts.tv_sec += CHECKPOINT_EVERY_MS / 1000;
		ts.tv_nsec += (CHECKPOINT_EVERY_MS % 1000) * 1000000L;
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
		/* A busy writer never starts the WAL over by itself (it would
		 * have to begin just when a checkpoint has copied every frame),
		 * so the WAL only grows: past WAL_MAX_FRAMES, hold the writer
		 * back briefly (PASSIVE just copied most frames) and restart it */
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

/* ---- thresholds ---- */

static const char sql_thr_all[] =
    "SELECT threshold_us, exact_from FROM latency_thresholds ORDER BY 1";
static const char sql_thr_add[] =
    "INSERT INTO latency_thresholds (threshold_us, exact_from) VALUES (?1, ?2)";
static const char sql_thr_del[] =
    "DELETE FROM latency_thresholds WHERE threshold_us = ?1";
static const char sql_thr_newest[] = "SELECT max(bucket) FROM rollup_1d";

/* Read the thresholds the DB knows into st->known_*. */
static int
thresholds_load(struct store *st, struct store_conn *c, char *err, size_t errlen)
{
	sqlite3_stmt *s = conn_stmt(c, sql_thr_all, err, errlen);
	size_t n = 0, alloc = 0;
	int rc;

	if (s == NULL)
		return -1;
	free(st->known_thr);
	free(st->known_from);
	st->known_thr = st->known_from = NULL;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 8;
			st->known_thr = xreallocarray(st->known_thr, alloc, sizeof(int64_t));
			st->known_from = xreallocarray(st->known_from, alloc, sizeof(int64_t));
		}
		st->known_thr[n] = sqlite3_column_int64(s, 0);
		st->known_from[n++] = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	st->nknown = n;
	if (rc != SQLITE_DONE)
		return conn_fail(c, rc, "latency_thresholds", err, errlen);
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int
store_set_thresholds(struct store *st, const int64_t *us, size_t n,
    char *err, size_t errlen)
{
	int64_t want[STORE_MAX_THRESHOLDS], from = 0;
	size_t nw = 0;
	sqlite3_stmt *s;
	int rc = 0;

	if (st->readonly) {
		snprintf(err, errlen, "the DB is open read-only");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		bool dup = false;

		for (size_t j = 0; j < nw; j++)
			dup |= want[j] == us[i];
		if (dup || us[i] <= 0)
			continue;
		if (nw == STORE_MAX_THRESHOLDS) {
			snprintf(err, errlen, "more than %d distinct latency thresholds",
			    STORE_MAX_THRESHOLDS);
			return -1;
		}
		want[nw++] = us[i];
	}
	qsort(want, nw, sizeof(*want), cmp_i64);
	pthread_mutex_lock(&st->wmu);
	if (sqlite3_exec(st->w.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = conn_fail(&st->w, SQLITE_ERROR, "BEGIN", err, errlen);
		goto out;
	}
	/* Rows that exist now hold runs a new threshold did not count; rows
	 * made from now on count it. Every result is in a day row, so the day
	 * after the newest day row is where exact counts begin (0 for an
	 * empty DB: exact from the start). Day-aligned, so every tier agrees
	 * on which minutes are exact. */
	if ((s = conn_stmt(&st->w, sql_thr_newest, err, errlen)) == NULL)
		rc = -1;
	else {
		if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (sqlite3_column_type(s, 0) != SQLITE_NULL)
				from = sqlite3_column_int64(s, 0) + STORE_DAY_MS;
			rc = 0;
		} else
			rc = conn_fail(&st->w, rc, "rollup_1d", err, errlen);
		sqlite3_reset(s);
	}
	for (size_t i = 0; i < st->nknown && rc == 0; i++) {
		bool keep = false;

		for (size_t j = 0; j < nw; j++)
			keep |= want[j] == st->known_thr[i];
		if (keep)
			continue;
		if ((s = conn_stmt(&st->w, sql_thr_del, err, errlen)) == NULL)
			rc = -1;
		else {
			sqlite3_bind_int64(s, 1, st->known_thr[i]);
			if ((rc = stmt_done(s)) != SQLITE_DONE)
				rc = conn_fail(&st->w, rc, "latency_thresholds", err, errlen);
			else
				rc = 0;
		}
	}
	for (size_t j = 0; j < nw && rc == 0; j++) {
		bool known = false;

		for (size_t i = 0; i < st->nknown; i++)
			known |= want[j] == st->known_thr[i];
		if (known)
			continue;
		if ((s = conn_stmt(&st->w, sql_thr_add, err, errlen)) == NULL)
			rc = -1;
		else {
			sqlite3_bind_int64(s, 1, want[j]);
			sqlite3_bind_int64(s, 2, from);
			if ((rc = stmt_done(s)) != SQLITE_DONE)
				rc = conn_fail(&st->w, rc, "latency_thresholds", err, errlen);
			else
				rc = 0;
		}
	}
	if (rc == 0 && sqlite3_exec(st->w.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = conn_fail(&st->w, SQLITE_ERROR, "COMMIT", err, errlen);
	if (rc != 0)
		sqlite3_exec(st->w.db, "ROLLBACK", NULL, NULL, NULL);
	else {
		memcpy(st->thr, want, nw * sizeof(*want));
		st->nthr = nw;
		rc = thresholds_load(st, &st->w, err, errlen);
	}
out:
	pthread_mutex_unlock(&st->wmu);
	return rc < 0 ? -1 : 0;
}

int64_t
store_threshold_exact_from(struct store *st, int64_t us)
{
	int64_t v = INT64_MAX;

	if (!st->readonly)
		pthread_mutex_lock(&st->wmu);
	for (size_t i = 0; i < st->nknown; i++)
		if (st->known_thr[i] == us)
			v = st->known_from[i];
	if (!st->readonly)
		pthread_mutex_unlock(&st->wmu);
	return v;
}

/* ---- opening ---- */

static int
schema_version(struct store_conn *c, int *v, char *err, size_t errlen)
{
	sqlite3_stmt *s;

	*v = -1;
	if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return conn_fail(c, SQLITE_ERROR, "user_version", err, errlen);
	if (sqlite3_step(s) == SQLITE_ROW)
		*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (*v < 0)
		return conn_fail(c, SQLITE_ERROR, "user_version", err, errlen);
	return 0;
}

static int
table_exists(struct store_conn *c, const char *name)
{
	sqlite3_stmt *s;
	int found = 0;

	if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM sqlite_master WHERE type = "
	    "'table' AND name = ?", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

static struct store *
store_new(const char *path, bool readonly)
{
	struct store *st = xcalloc(1, sizeof(*st));

	st->path = xstrdup(path);
	st->readonly = readonly;
	pthread_mutex_init(&st->wmu, NULL);
	pthread_mutex_init(&st->rmu, NULL);
	pthread_mutex_init(&st->dir_mu, NULL);
	pthread_cond_init(&st->rcv, NULL);
	pthread_mutex_init(&st->ckpt_mu, NULL);
	pthread_cond_init(&st->ckpt_cv, NULL);
	pthread_mutex_init(&st->jq_mu, NULL);
	pthread_cond_init(&st->jq_cv, NULL);
	return st;
}

static int
open_readers(struct store *st, int n, char *err, size_t errlen)
{
	st->nreaders = n > 0 ? n : 1;
	st->readers = xcalloc((size_t)st->nreaders, sizeof(*st->readers));
	st->free_readers = xcalloc((size_t)st->nreaders, sizeof(*st->free_readers));
	for (int i = 0; i < st->nreaders; i++) {
		if (conn_open(st, &st->readers[i], SQLITE_OPEN_READONLY, err, errlen) < 0)
			return -1;
		st->free_readers[st->nfree++] = &st->readers[i];
	}
	return 0;
}

struct store *
store_open(const char *path, int nreaders, char *err, size_t errlen)
{
	struct store *st = store_new(path, false);
	char *msg = NULL;
	int fd;

	/* a new DB is private to the collector, whatever the umask */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	if (conn_open(st, &st->w, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err,
	    errlen) < 0)
		goto fail;
	if (sqlite3_exec(st->w.db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
	    NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(st->w.db));
		sqlite3_free(msg);
		goto fail;
	}
	if (sqlmig_apply(st->w.db, collector_migrations, collector_migrations_count,
	    err, errlen) < 0)
		goto fail;
	if (table_exists(&st->w, "v5_results") && store_upgrade_v5(st, err, errlen) < 0)
		goto fail;
	if (series_load(st, &st->w, err, errlen) < 0 ||
	    thresholds_load(st, &st->w, err, errlen) < 0)
		goto fail;
	if (sqlite3_open_v2(path, &st->ckpt, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(st->ckpt));
		goto fail;
	}
	if (pthread_create(&st->ckpt_th, NULL, checkpoint_main, st) != 0) {
		snprintf(err, errlen, "cannot start the checkpoint thread");
		goto fail;
	}
	st->ckpt_running = 1;
	sqlite3_exec(st->w.db, "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL);
	/* the writer keeps the pages ingest touches (the newest rows of every
	 * series, the current rollup rows) in its own cache: re-reading them
	 * from the WAL costs a system call each (measured: 33 k -> see
	 * bench/README.md) */
	sqlite3_exec(st->w.db, "PRAGMA cache_size = -32768", NULL, NULL, NULL);
	if (open_readers(st, nreaders, err, errlen) < 0)
		goto fail;
	return st;
fail:
	store_close(st);
	return NULL;
}

struct store *
store_open_readonly(const char *path, char *err, size_t errlen)
{
	struct store *st = store_new(path, true);
	int v;

	if (open_readers(st, 1, err, errlen) < 0)
		goto fail;
	if (schema_version(&st->readers[0], &v, err, errlen) < 0)
		goto fail;
	if (v < 1 || v > (int)collector_migrations_count ||
	    table_exists(&st->readers[0], "v5_results") ||
	    v < (int)collector_migrations_count) {
		snprintf(err, errlen, "%s: %s", path, v < 1 ?
		    "not a vantage collector database" : v > (int)collector_migrations_count ?
		    "database is newer than this program; upgrade vantage" :
		    "database of an older vantage; start vantage-collector on it once "
		    "to convert it");
		goto fail;
	}
	if (series_load(st, &st->readers[0], err, errlen) < 0 ||
	    thresholds_load(st, &st->readers[0], err, errlen) < 0)
		goto fail;
	return st;
fail:
	store_close(st);
	return NULL;
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
	}
	if (st->ckpt) {
		/* leave a small WAL behind: copy everything and truncate */
		sqlite3_wal_checkpoint_v2(st->ckpt, NULL, SQLITE_CHECKPOINT_TRUNCATE,
		    NULL, NULL);
		sqlite3_close(st->ckpt);
	}
	for (int i = 0; st->readers && i < st->nreaders; i++)
		conn_close(&st->readers[i]);
	free(st->readers);
	free(st->free_readers);
	conn_close(&st->w);
	series_free(st);
	text_cache_free(st);
	free(st->known_thr);
	free(st->known_from);
	pthread_mutex_destroy(&st->ckpt_mu);
	pthread_cond_destroy(&st->ckpt_cv);
	pthread_mutex_destroy(&st->jq_mu);
	pthread_cond_destroy(&st->jq_cv);
	pthread_mutex_destroy(&st->wmu);
	pthread_mutex_destroy(&st->rmu);
	pthread_mutex_destroy(&st->dir_mu);
	pthread_cond_destroy(&st->rcv);
	free(st->path);
	free(st);
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
store_set_delta_hook(struct store *st,
    void (*fn)(void *, const struct rollup_delta *, size_t), void *arg)
{
	pthread_mutex_lock(&st->wmu);
	st->delta_fn = fn;
	st->delta_arg = arg;
	pthread_mutex_unlock(&st->wmu);
}
