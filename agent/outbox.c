/* outbox: SQLite (WAL) storage of results; prepared statements made once. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
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
	sqlite3_stmt	*scan_old, *scan_new, *mark, *remote_get, *remote_put;
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

/* Create the DB file 0600 whatever the umask (results name the targets,
 * the pulled checks their settings); SQLite gives its -wal and -shm files
 * the mode of the DB. An existing file keeps its mode; one readable by
 * others is used, with a warning. 0, or -1 with a message in err. */
static int
create_private(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (strcmp(path, ":memory:") == 0 || *path == '\0')
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		/* a umask such as 0200 could leave it without a bit it needs */
		if (fchmod(fd, 0600) < 0) {
			snprintf(err, errlen, "%s: chmod: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
		return 0;
	}
	if (errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & (S_IRGRP | S_IROTH)) != 0)
		log_warn("agent DB %s is readable by %s (mode %04o): chmod 600 it "
		    "(and its -wal and -shm files)", path,
		    (st.st_mode & S_IROTH) ? "others" : "its group",
		    (unsigned)(st.st_mode & 07777));
	return 0;
}

struct outbox *
outbox_open(const char *path, bool standalone, char *err, size_t errlen)
{
	struct outbox *ob = xcalloc(1, sizeof(*ob));
	char *msg = NULL;
	int64_t last, maxseq;

	ob->standalone = standalone;
	if (create_private(path, err, errlen) < 0)
		goto fail;
	if (sqlite3_open_v2(path, &ob->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    ob->db ? sqlite3_errmsg(ob->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(ob->db, 5000);
	if (sqlite3_exec(ob->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
	    "PRAGMA cache_size=-512;",
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
	    "FROM results ORDER BY seq LIMIT ?)", err, errlen) < 0 ||
	    prep(ob, &ob->scan_old, "SELECT seq, body FROM results WHERE shipped = 0 "
	    "AND seq > ? ORDER BY seq LIMIT ?", err, errlen) < 0 ||
	    prep(ob, &ob->scan_new, "SELECT seq, body FROM results WHERE shipped = 0 "
	    "AND seq > ? ORDER BY seq DESC LIMIT ?", err, errlen) < 0 ||
	    prep(ob, &ob->mark, "UPDATE results SET shipped = 1 WHERE seq = ? AND "
	    "shipped = 0", err, errlen) < 0 ||
	    prep(ob, &ob->remote_get, "SELECT body, etag, fetched_at FROM "
	    "remote_checks WHERE id = 1", err, errlen) < 0 ||
	    prep(ob, &ob->remote_put, "INSERT INTO remote_checks (id, etag, body, "
	    "fetched_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
	    "etag = excluded.etag, body = excluded.body, "
	    "fetched_at = excluded.fetched_at", err, errlen) < 0)
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

int
outbox_scan_unshipped(struct outbox *ob, bool newest, int64_t after_seq,
    size_t limit, outbox_row_fn fn, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st = newest ? ob->scan_new : ob->scan_old;
	int rc;

	sqlite3_bind_int64(st, 1, after_seq);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *body = (const char *)sqlite3_column_text(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);

		if (body == NULL)
			continue;
		if (fn(arg, sqlite3_column_int64(st, 0), body, len) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "reading unshipped rows: %s", sqlite3_errmsg(ob->db));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
outbox_mark_shipped(struct outbox *ob, const int64_t *seqs, size_t n,
    int64_t *marked, char *err, size_t errlen)
{
	int64_t changed = 0;

	*marked = 0;
	if (n == 0)
		return 0;
	if (step_done(ob, ob->begin, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(ob->mark, 1, seqs[i]);
		if (step_done(ob, ob->mark, err, errlen) < 0)
			goto fail;
		changed += sqlite3_changes(ob->db);
	}
	if (step_done(ob, ob->commit, err, errlen) < 0)
		goto fail;
	*marked = changed;
	ob->depth -= changed;
	if (ob->depth < 0)
		ob->depth = 0;
	return 0;
fail:
	sqlite3_step(ob->rollback);
	sqlite3_reset(ob->rollback);
	return -1;
}

int
outbox_remote_get(struct outbox *ob, char **body, char **etag,
    int64_t *fetched_ms, char *err, size_t errlen)
{
	int rc;

	*body = *etag = NULL;
	*fetched_ms = 0;
	rc = sqlite3_step(ob->remote_get);
	if (rc == SQLITE_ROW) {
		const char *b = (const char *)sqlite3_column_text(ob->remote_get, 0);
		const char *e = (const char *)sqlite3_column_text(ob->remote_get, 1);

		*body = xstrdup(b ? b : "");
		*etag = xstrdup(e);
		*fetched_ms = sqlite3_column_int64(ob->remote_get, 2);
		sqlite3_reset(ob->remote_get);
		return 1;
	}
	sqlite3_reset(ob->remote_get);
	if (rc == SQLITE_DONE)
		return 0;
	snprintf(err, errlen, "reading remote_checks: %s", sqlite3_errmsg(ob->db));
	return -1;
}

int
outbox_remote_put(struct outbox *ob, const char *body, const char *etag,
    int64_t fetched_ms, char *err, size_t errlen)
{
	int rc;

	if (etag)
		sqlite3_bind_text(ob->remote_put, 1, etag, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(ob->remote_put, 1);
	sqlite3_bind_text(ob->remote_put, 2, body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ob->remote_put, 3, fetched_ms);
	rc = step_done(ob, ob->remote_put, err, errlen);
	sqlite3_clear_bindings(ob->remote_put);
	return rc;
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
	sqlite3_finalize(ob->scan_old);
	sqlite3_finalize(ob->scan_new);
	sqlite3_finalize(ob->mark);
	sqlite3_finalize(ob->remote_get);
	sqlite3_finalize(ob->remote_put);
	if (ob->db)
		sqlite3_close(ob->db);
	free(ob);
}
