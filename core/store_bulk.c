/* store_bulk: loading a lot of history at once (the benchmark's 30-day DB,
 * tests), and what the tables cost on disk. A bulk load writes series and
 * rollup rows on a private connection with no journal, in one
 * transaction: for a DB nothing else has open, never for a live one. Raw
 * results still go through store_ingest. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "xmalloc.h"

extern const size_t collector_migrations_count;

struct store_bulk {
	sqlite3		*db;
	sqlite3_stmt	*series_find, *series_add, *rollup[STORE_NTIERS];
	bool		 in_tx;
};

static const char sql_series_find[] =
    "SELECT id FROM series WHERE check_name = ?1 AND agent = ?2 AND "
    "region IS ?3 AND service IS ?4 AND layer IS ?5 AND provider IS ?6";
static const char sql_series_add[] =
    "INSERT INTO series (check_name, agent, region, service, layer, provider, "
    "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

#define ROLLUP_INSERT(t) \
    "INSERT INTO " t " (series, bucket, total, good, inconclusive, e_dns, " \
    "e_connect, e_tls, e_timeout, e_http_status, e_assertion, e_body, " \
    "e_internal, e_consistency, cache_hit, cache_miss, cache_expired, " \
    "cache_stale, cache_bypass, cache_dynamic, cache_unknown, dns_us, " \
    "connect_us, tls_us, processing_us, transfer_us, total_us, sketch, thr) " \
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, " \
    "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)"

static const char *const sql_rollup_insert[STORE_NTIERS] = {
	ROLLUP_INSERT("rollup_1m"), ROLLUP_INSERT("rollup_1h"),
	ROLLUP_INSERT("rollup_1d")
};

static int
bulk_fail(struct store_bulk *b, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "bulk load: %s: %s", what, sqlite3_errmsg(b->db));
	return -1;
}

static int
bulk_exec(struct store_bulk *b, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(b->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "bulk load: %s: %s", sql, msg ? msg :
		    sqlite3_errmsg(b->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static void
bulk_free(struct store_bulk *b)
{
	sqlite3_finalize(b->series_find);
	sqlite3_finalize(b->series_add);
	for (int t = 0; t < STORE_NTIERS; t++)
		sqlite3_finalize(b->rollup[t]);
	sqlite3_close(b->db);
	free(b);
}

struct store_bulk *
store_bulk_open(const char *path, char *err, size_t errlen)
{
	struct store_bulk *b = xcalloc(1, sizeof(*b));
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_open_v2(path, &b->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, b->db ? sqlite3_errmsg(b->db) :
		    "cannot open");
		goto fail;
	}
	if (sqlite3_prepare_v2(b->db, "PRAGMA user_version", -1, &s, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	if (v != (int)collector_migrations_count) {
		snprintf(err, errlen, "%s: not a current collector DB (schema version "
		    "%d; open it with store_open first)", path, v);
		goto fail;
	}
	/* leaving WAL needs the only connection: a DB in use is refused here */
	if (bulk_exec(b, "PRAGMA journal_mode = DELETE", err, errlen) < 0 ||
	    bulk_exec(b, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
	    "PRAGMA cache_size = -524288; PRAGMA temp_store = MEMORY", err,
	    errlen) < 0)
		goto fail;
	/* finding a series by its labels: an index for the load only (the
	 * collector finds them in memory), dropped at the end */
	if (bulk_exec(b, "CREATE INDEX IF NOT EXISTS bulk_series_labels ON series "
	    "(check_name, agent)", err, errlen) < 0)
		goto fail;
	if (sqlite3_prepare_v2(b->db, sql_series_find, -1, &b->series_find, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(b->db, sql_series_add, -1, &b->series_add, NULL) !=
	    SQLITE_OK) {
		bulk_fail(b, "series", err, errlen);
		goto fail;
	}
	for (int t = 0; t < STORE_NTIERS; t++)
		if (sqlite3_prepare_v2(b->db, sql_rollup_insert[t], -1, &b->rollup[t],
		    NULL) != SQLITE_OK) {
			bulk_fail(b, "rollups", err, errlen);
			goto fail;
		}
	if (bulk_exec(b, "BEGIN", err, errlen) < 0)
		goto fail;
	b->in_tx = true;
	return b;
fail:
	bulk_free(b);
	return NULL;
}

/* Bind the labels of a series from ?1 on. */
static void
bind_labels(sqlite3_stmt *s, const struct store_series *l)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	bind_text_or_null(s, 1, l->check);
	bind_text_or_null(s, 2, l->agent);
	bind_text_or_null(s, 3, l->region);
	bind_text_or_null(s, 4, l->service);
	bind_text_or_null(s, 5, l->layer);
	bind_text_or_null(s, 6, l->provider);
}

int
store_bulk_series(struct store_bulk *b, const struct store_series *labels,
    int64_t *id, char *err, size_t errlen)
{
	int rc;

	bind_labels(b->series_find, labels);
	rc = sqlite3_step(b->series_find);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(b->series_find, 0);
	sqlite3_reset(b->series_find);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return bulk_fail(b, "series", err, errlen);
	bind_labels(b->series_add, labels);
	sqlite3_bind_int64(b->series_add, 7, labels->created_at);
	rc = sqlite3_step(b->series_add);
	sqlite3_reset(b->series_add);
	if (rc != SQLITE_DONE)
		return bulk_fail(b, "series", err, errlen);
	*id = sqlite3_last_insert_rowid(b->db);
	return 0;
}

int
store_bulk_rollup(struct store_bulk *b, const struct rollup_row *r, char *err,
    size_t errlen)
{
	sqlite3_stmt *s;
	int k = 1, rc;

	if ((unsigned)r->tier >= STORE_NTIERS) {
		snprintf(err, errlen, "bulk load: no rollup tier %d", (int)r->tier);
		return -1;
	}
	s = b->rollup[r->tier];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	sqlite3_bind_int64(s, k++, r->series);
	sqlite3_bind_int64(s, k++, r->bucket);
	sqlite3_bind_int64(s, k++, r->total);
	sqlite3_bind_int64(s, k++, r->good);
	sqlite3_bind_int64(s, k++, r->inconclusive);
	for (int c = ERRCLASS_DNS; c < ERRCLASS_COUNT; c++)
		sqlite3_bind_int64(s, k++, r->e[c]);
	for (int c = 0; c < CACHE_NSTATUS; c++)
		sqlite3_bind_int64(s, k++, r->cache[c]);
	for (int p = 0; p < 6; p++)
		sqlite3_bind_int64(s, k++, r->ph[p]);
	if (r->sketch != NULL)
		sqlite3_bind_blob(s, k++, r->sketch, (int)r->sketch_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, k++);
	if (r->thr != NULL)
		sqlite3_bind_blob(s, k++, r->thr, (int)r->thr_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, k++);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return bulk_fail(b, "rollups", err, errlen);
	return 0;
}

int
store_bulk_close(struct store_bulk *b, char *err, size_t errlen)
{
	int rc = 0;

	if (b == NULL)
		return 0;
	for (int t = 0; t < STORE_NTIERS; t++)
		sqlite3_reset(b->rollup[t]);
	sqlite3_reset(b->series_find);
	sqlite3_reset(b->series_add);
	sqlite3_finalize(b->series_find);
	b->series_find = NULL;
	if (b->in_tx && (bulk_exec(b, "DROP INDEX bulk_series_labels", err,
	    errlen) < 0 || bulk_exec(b, "COMMIT", err, errlen) < 0)) {
		sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
		rc = -1;
	}
	/* back to the collector's journal mode */
	if (bulk_exec(b, "PRAGMA journal_mode = WAL", rc == 0 ? err : NULL,
	    rc == 0 ? errlen : 0) < 0)
		rc = -1;
	bulk_free(b);
	return rc;
}

/* ---- sizes ---- */

static const struct {
	const char	*name, *count;
} size_tables[] = {
	{ "series", "SELECT count(*) FROM series" },
	{ "texts", "SELECT count(*) FROM texts" },
	{ "results", "SELECT count(*) FROM results" },
	{ "latest", "SELECT count(*) FROM latest" },
	{ "rollup_1m", "SELECT count(*) FROM rollup_1m" },
	{ "rollup_1h", "SELECT count(*) FROM rollup_1h" },
	{ "rollup_1d", "SELECT count(*) FROM rollup_1d" },
	{ "agents", "SELECT count(*) FROM agents" },
};

static const char sql_btrees[] =
    "SELECT name FROM sqlite_schema WHERE tbl_name = ?1 AND rootpage > 0";
static const char sql_dbstat[] =
    "SELECT coalesce(sum(pgsize), 0), count(*) FROM dbstat WHERE name = ?1";
static const char sql_quick_check[] = "PRAGMA quick_check(1)";

/* Add the pages of the b-tree called name (a table or an index) to out. */
static int
btree_size(struct store_conn *c, const char *name, struct store_table_size *out,
    char *err, size_t errlen)
{
	/* the dbstat virtual table (SQLITE_ENABLE_DBSTAT_VTAB: Debian's
	 * libsqlite3 has it; without it, preparing fails and says so) */
	sqlite3_stmt *d = conn_stmt(c, sql_dbstat, err, errlen);
	int rc;

	if (d == NULL)
		return -1;
	sqlite3_bind_text(d, 1, name, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(d)) == SQLITE_ROW) {
		out->bytes += sqlite3_column_int64(d, 0);
		out->pages += sqlite3_column_int64(d, 1);
		out->btrees++;
		rc = 0;
	} else
		rc = conn_fail(c, rc, "dbstat", err, errlen);
	sqlite3_reset(d);
	return rc;
}

int
store_table_size(struct store *st, const char *table,
    struct store_table_size *out, char *err, size_t errlen)
{
	struct store_conn *c;
	sqlite3_stmt *s;
	const char *count = NULL;
	bool borrowed;
	int rc;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(size_tables) / sizeof(size_tables[0]); i++)
		if (strcmp(size_tables[i].name, table) == 0)
			count = size_tables[i].count;
	if (count == NULL) {
		snprintf(err, errlen, "no table \"%s\" to measure", table);
		return -1;
	}
	c = conn_or_borrow(st, NULL, &borrowed);
	if ((s = conn_stmt(c, count, err, errlen)) == NULL) {
		rc = -1;
		goto out;
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		out->rows = sqlite3_column_int64(s, 0);
		rc = 0;
	} else
		rc = conn_fail(c, rc, table, err, errlen);
	sqlite3_reset(s);
	if (rc < 0)
		goto out;
	/* the table's own b-tree and one per index */
	if ((s = conn_stmt(c, sql_btrees, err, errlen)) == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char *name = xstrdup((const char *)sqlite3_column_text(s, 0));

		rc = btree_size(c, name, out, err, errlen);
		free(name);
		if (rc < 0)
			break;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc != -1 && rc != -2)
		rc = conn_fail(c, rc, "sqlite_schema", err, errlen);
	sqlite3_reset(s);
out:
	if (borrowed)
		store_conn_put(st, c);
	return rc < 0 ? -1 : 0;
}

int
store_quick_check(struct store *st, char *err, size_t errlen)
{
	struct store_conn *c;
	sqlite3_stmt *s;
	bool borrowed;
	int rc;

	c = conn_or_borrow(st, NULL, &borrowed);
	if ((s = conn_stmt(c, sql_quick_check, err, errlen)) == NULL)
		rc = -1;
	else if ((rc = sqlite3_step(s)) != SQLITE_ROW)
		rc = conn_fail(c, rc, "quick_check", err, errlen);
	else {
		const char *v = (const char *)sqlite3_column_text(s, 0);

		if (v != NULL && strcmp(v, "ok") == 0)
			rc = 0;
		else {
			snprintf(err, errlen, "quick_check: %s", v ? v : "no answer");
			rc = -1;
		}
	}
	if (s != NULL)
		sqlite3_reset(s);
	if (borrowed)
		store_conn_put(st, c);
	return rc < 0 ? -1 : 0;
}
