/* outbox: SQLite (WAL) storage of results; prepared statements made once. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "outbox.h"
#include "sqlmig.h"
#include "xmalloc.h"

extern const char *const agent_migrations[];
extern const size_t agent_migrations_count;

#define PRUNE_STEP 5000

struct outbox {
	sqlite3		*db;
	bool		 standalone;
	int64_t		 next_seq;
	int64_t		 depth, rows;
	sqlite3_stmt	*ins, *set_seq, *begin, *commit, *rollback;
	sqlite3_stmt	*del_shipped, *del_unshipped;
	sqlite3_stmt	*oldest_unshipped, *count_head_unshipped, *del_head;
};

static int
prep(struct outbox *ob, sqlite3_stmt **st, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_prepare_v3(ob->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "preparing \"%.40s...\": %s", sql,
		    sqlite3_errmsg(ob->db));
		return -1;
	}
	return 0;
}

static int64_t
query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

struct outbox *
outbox_open(const char *path, bool standalone, char *err, size_t errlen)
{
	struct outbox *ob = xcalloc(1, sizeof(*ob));
	char *msg = NULL;
	int64_t last, maxseq;

	ob->standalone = standalone;
	if (sqlite3_open_v2(path, &ob->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    ob->db ? sqlite3_errmsg(ob->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(ob->db, 5000);
	if (sqlite3_exec(ob->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
	    NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(ob->db));
		sqlite3_free(msg);
		goto fail;
	}
	if (sqlmig_apply(ob->db, agent_migrations, agent_migrations_count,
	    err, errlen) < 0)
		goto fail;
	if (prep(ob, &ob->ins, "INSERT INTO results (seq, ts, check_name, ok, "
	    "error_class, shipped, body) VALUES (?, ?, ?, ?, ?, ?, ?)", err, errlen) < 0 ||
	    prep(ob, &ob->set_seq, "INSERT INTO meta (key, value) VALUES ('last_seq', ?) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", err, errlen) < 0 ||
	    prep(ob, &ob->begin, "BEGIN IMMEDIATE", err, errlen) < 0 ||
	    prep(ob, &ob->commit, "COMMIT", err, errlen) < 0 ||
	    prep(ob, &ob->rollback, "ROLLBACK", err, errlen) < 0 ||
	    prep(ob, &ob->del_shipped, "DELETE FROM results WHERE seq IN (SELECT seq "
	    "FROM results WHERE shipped = 1 AND ts < ? ORDER BY seq LIMIT ?)",
	    err, errlen) < 0 ||
	    prep(ob, &ob->del_unshipped, "DELETE FROM results WHERE seq IN (SELECT seq "
	    "FROM results WHERE shipped = 0 AND ts < ? ORDER BY seq LIMIT ?)",
	    err, errlen) < 0 ||
	    prep(ob, &ob->oldest_unshipped, "SELECT ts FROM results WHERE shipped = 0 "
	    "ORDER BY seq LIMIT 1", err, errlen) < 0 ||
	    prep(ob, &ob->count_head_unshipped, "SELECT count(*) FROM (SELECT shipped "
	    "FROM results ORDER BY seq LIMIT ?) WHERE shipped = 0", err, errlen) < 0 ||
	    prep(ob, &ob->del_head, "DELETE FROM results WHERE seq IN (SELECT seq "
	    "FROM results ORDER BY seq LIMIT ?)", err, errlen) < 0)
		goto fail;
	last = query_int(ob->db, "SELECT coalesce((SELECT CAST(value AS INTEGER) "
	    "FROM meta WHERE key = 'last_seq'), 0)");
	maxseq = query_int(ob->db, "SELECT coalesce(max(seq), 0) FROM results");
	ob->next_seq = (last > maxseq ? last : maxseq) + 1;
	ob->rows = query_int(ob->db, "SELECT count(*) FROM results");
	ob->depth = query_int(ob->db, "SELECT count(*) FROM results WHERE shipped = 0");
	return ob;
fail:
	outbox_close(ob);
	return NULL;
}

static int
step_done(struct outbox *ob, sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(ob->db));
		return -1;
	}
	return 0;
}

int
outbox_put(struct outbox *ob, struct result *const *rs, size_t n,
    char *err, size_t errlen)
{
	int64_t seq = ob->next_seq;
	size_t i;

	if (n == 0)
		return 0;
	if (step_done(ob, ob->begin, err, errlen) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		struct result *r = rs[i];
		char *line;
		int rc;

		r->seq = seq++;
		line = result_to_line(r);
		sqlite3_bind_int64(ob->ins, 1, r->seq);
		sqlite3_bind_int64(ob->ins, 2, r->ts_ms);
		sqlite3_bind_text(ob->ins, 3, r->check, -1, SQLITE_STATIC);
		sqlite3_bind_int(ob->ins, 4, r->ok);
		if (r->ok)
			sqlite3_bind_null(ob->ins, 5);
		else
			sqlite3_bind_text(ob->ins, 5, errclass_name(r->error_class), -1,
			    SQLITE_STATIC);
		sqlite3_bind_int(ob->ins, 6, ob->standalone ? 1 : 0);
		sqlite3_bind_text(ob->ins, 7, line, -1, free);
		rc = step_done(ob, ob->ins, err, errlen);
		sqlite3_clear_bindings(ob->ins);
		if (rc < 0)
			goto fail_tx;
	}
	sqlite3_bind_int64(ob->set_seq, 1, seq - 1);
	if (step_done(ob, ob->set_seq, err, errlen) < 0 ||
	    step_done(ob, ob->commit, err, errlen) < 0)
		goto fail_tx;
	ob->next_seq = seq;
	ob->rows += (int64_t)n;
	if (!ob->standalone)
		ob->depth += (int64_t)n;
	return 0;
fail_tx:
	sqlite3_step(ob->rollback);
	sqlite3_reset(ob->rollback);
fail:
	for (i = 0; i < n; i++)
		rs[i]->seq = 0;
	return -1;
}

/* Run a "DELETE ... LIMIT ?" statement in steps until it removes nothing. */
static int
delete_steps(struct outbox *ob, sqlite3_stmt *st, int64_t bound, int64_t *removed,
    char *err, size_t errlen)
{
	for (;;) {
		int n;

		sqlite3_bind_int64(st, 1, bound);
		sqlite3_bind_int64(st, 2, PRUNE_STEP);
		if (step_done(ob, st, err, errlen) < 0)
			return -1;
		n = sqlite3_changes(ob->db);
		*removed += n;
		if (n < PRUNE_STEP)
			return 0;
	}
}

int
outbox_prune(struct outbox *ob, int64_t now_ms, const struct outbox_retention *ret,
    struct outbox_prune_stats *st, char *err, size_t errlen)
{
	int64_t expired = 0, dropped = 0;
	int rc;

	/* count what earlier steps removed even when a later one fails */
	rc = delete_steps(ob, ob->del_shipped, now_ms - ret->shipped_ms, &expired,
	    err, errlen);
	ob->rows -= expired;
	st->expired += expired;
	if (rc < 0)
		return -1;
	rc = delete_steps(ob, ob->del_unshipped, now_ms - ret->unshipped_ms,
	    &dropped, err, errlen);
	ob->rows -= dropped;
	ob->depth -= dropped;
	st->dropped += dropped;
	if (rc < 0)
		return -1;
	while (ob->rows > ret->max_rows) {
		int64_t excess = ob->rows - ret->max_rows, unshipped = 0, n;

		if (excess > PRUNE_STEP)
			excess = PRUNE_STEP;
		sqlite3_bind_int64(ob->count_head_unshipped, 1, excess);
		if (sqlite3_step(ob->count_head_unshipped) == SQLITE_ROW)
			unshipped = sqlite3_column_int64(ob->count_head_unshipped, 0);
		sqlite3_reset(ob->count_head_unshipped);
		sqlite3_bind_int64(ob->del_head, 1, excess);
		if (step_done(ob, ob->del_head, err, errlen) < 0)
			return -1;
		n = sqlite3_changes(ob->db);
		ob->rows -= n;
		ob->depth -= unshipped;
		st->capped += n;
		st->dropped += unshipped;
		if (n == 0)
			break;
	}
	return 0;
}

int64_t
outbox_depth(const struct outbox *ob)
{
	return ob->depth;
}

int64_t
outbox_rows(const struct outbox *ob)
{
	return ob->rows;
}

int64_t
outbox_next_seq(const struct outbox *ob)
{
	return ob->next_seq;
}

int64_t
outbox_oldest_unshipped_ms(struct outbox *ob)
{
	int64_t ts = 0;

	if (sqlite3_step(ob->oldest_unshipped) == SQLITE_ROW)
		ts = sqlite3_column_int64(ob->oldest_unshipped, 0);
	sqlite3_reset(ob->oldest_unshipped);
	return ts;
}

void
outbox_close(struct outbox *ob)
{
	if (ob == NULL)
		return;
	sqlite3_finalize(ob->ins);
	sqlite3_finalize(ob->set_seq);
	sqlite3_finalize(ob->begin);
	sqlite3_finalize(ob->commit);
	sqlite3_finalize(ob->rollback);
	sqlite3_finalize(ob->del_shipped);
	sqlite3_finalize(ob->del_unshipped);
	sqlite3_finalize(ob->oldest_unshipped);
	sqlite3_finalize(ob->count_head_unshipped);
	sqlite3_finalize(ob->del_head);
	if (ob->db)
		sqlite3_close(ob->db);
	free(ob);
}
