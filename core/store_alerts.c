/* store_alerts: the alerter's and the deliverer's side of incidents and
 * deliveries, all on the store's one write connection (st->w, behind
 * st->wmu): the alerter's transaction (store_tx_*: incidents, what they
 * say while open and their cause history), the delivery queue (claim,
 * mark, next due, abandon), and the few reads made outside that
 * transaction (open incidents of a rule, an agent's last batch, an
 * incident's cause history and per-region lines) on reader connections. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_alerts.h"
#include "store_int.h"
#include "xmalloc.h"

#define WRITE_BUSY_MS	5000	/* another process holding the DB (a backup) */

#define INCIDENT_COLS "id, rule, rule_type, target, severity, status, title, " \
    "summary, context, service, layer, check_name, slo, agent, regions, " \
    "started_at, updated_at, resolved_at, last_notified_at, transitions, " \
    "regions_detail"

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

/* the alerter's transaction */
static const char sql_told_any[] =
    "SELECT 1 FROM deliveries WHERE incident_id = ?1 AND status != 'muted' LIMIT 1";
static const char sql_told_rcv[] =
    "SELECT 1 FROM deliveries WHERE incident_id = ?1 AND receiver = ?2 AND "
    "status != 'muted' LIMIT 1";
static const char sql_queue[] =
    "INSERT OR IGNORE INTO deliveries (incident_id, receiver, event, seq, status, "
    "next_attempt_at, created_at, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)";
static const char sql_open_get[] =
    "SELECT " INCIDENT_COLS " FROM incidents WHERE rule = ?1 AND target = ?2 AND "
    "status = 'open'";
static const char sql_open_all[] =
    "SELECT " INCIDENT_COLS " FROM incidents WHERE status = 'open' ORDER BY id";
static const char sql_incident_add[] =
    "INSERT INTO incidents (rule, rule_type, target, severity, status, title, "
    "summary, context, service, layer, check_name, slo, agent, regions, "
    "started_at, updated_at, last_notified_at, transitions, regions_detail) "
    "VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
    "?14, ?14, ?14, 1, ?15)";
static const char sql_resolve[] =
    "UPDATE incidents SET status = 'resolved', resolved_at = ?2, updated_at = ?2, "
    "last_notified_at = ?2, transitions = ?3 WHERE id = ?1";
static const char sql_resolve_summary[] =
    "UPDATE incidents SET status = 'resolved', resolved_at = ?2, updated_at = ?2, "
    "last_notified_at = ?2, transitions = ?3, summary = ?4 WHERE id = ?1";
static const char sql_update[] =
    "UPDATE incidents SET severity = ?2, title = ?3, summary = ?4, updated_at = ?5, "
    "last_notified_at = ?5, transitions = ?6 WHERE id = ?1";
static const char sql_text[] =
    "UPDATE incidents SET title = ?2, summary = ?3, regions_detail = ?4, "
    "updated_at = ?5 WHERE id = ?1";
static const char sql_cause_add[] =
    "INSERT INTO incident_causes (incident_id, at, cause, regions) VALUES "
    "(?1, ?2, ?3, ?4) ON CONFLICT (incident_id, at) DO UPDATE SET "
    "cause = excluded.cause, regions = excluded.regions";
static const char sql_cause_context[] =
    "UPDATE incidents SET context = ?2, regions_detail = ?3 WHERE id = ?1";
static const char sql_notified[] =
    "UPDATE incidents SET last_notified_at = ?2, transitions = ?3 WHERE id = ?1";
static const char sql_last_payload[] =
    "SELECT payload FROM deliveries WHERE incident_id = ?1 ORDER BY seq DESC LIMIT 1";
static const char sql_receivers_told[] =
    "SELECT DISTINCT receiver FROM deliveries WHERE incident_id = ?1 AND "
    "status != 'muted' ORDER BY receiver";

/* readers */
static const char sql_open_of_rule[] =
    "SELECT " INCIDENT_COLS " FROM incidents WHERE rule = ?1 AND status = 'open' "
    "ORDER BY target";
static const char sql_causes_of[] =
    "SELECT incident_id, at, cause, regions FROM incident_causes WHERE "
    "incident_id = ?1 ORDER BY at";
static const char sql_regions_of[] =
    "SELECT regions_detail FROM incidents WHERE id = ?1";
static const char sql_agent_seen[] =
    "SELECT last_seen, region FROM agents WHERE id = ?1";

/* the deliverer */
static const char sql_due[] =
    "SELECT id, incident_id, receiver, event, seq, attempts, next_attempt_at, "
    "created_at, payload FROM deliveries WHERE status = 'pending' AND "
    "next_attempt_at <= ?1 ORDER BY next_attempt_at LIMIT ?2";
static const char sql_claim[] =
    "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, "
    "last_status = NULL, last_error = NULL WHERE id = ?1 AND status = 'pending'";
static const char sql_mark[] =
    "UPDATE deliveries SET status = ?2, last_status = ?3, last_error = ?4, "
    "attempts = ?5, sent_at = CASE WHEN ?2 = 'sent' THEN ?6 ELSE sent_at END "
    "WHERE id = ?1 AND status = 'sending'";
static const char sql_mark_next[] =
    "UPDATE deliveries SET status = ?2, last_status = ?3, last_error = ?4, "
    "attempts = ?5, sent_at = CASE WHEN ?2 = 'sent' THEN ?6 ELSE sent_at END, "
    "next_attempt_at = ?7 WHERE id = ?1 AND status = 'sending'";
static const char sql_next_due[] =
    "SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending'";
static const char sql_abandon[] =
    "UPDATE deliveries SET status = 'failed', last_error = ?1 WHERE status = "
    "'sending'";

struct store_tx {
	struct store	*st;
};

static const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* Step s (bound) over incident rows, calling fn for each; SQLITE_DONE, or
 * the failing step's code. fn returning non-zero stops (SQLITE_DONE). */
static int
incident_rows(sqlite3_stmt *s, int (*fn)(const struct incident_row *, void *),
    void *arg, int *nrows)
{
	struct incident_row r;
	int rc;

	*nrows = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int k = 0;

		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(s, k++);
		r.rule = col_text(s, k++);
		r.rule_type = col_text(s, k++);
		r.target = col_text(s, k++);
		r.severity = col_text(s, k++);
		r.status = col_text(s, k++);
		r.title = col_text(s, k++);
		r.summary = col_text(s, k++);
		r.context = col_text(s, k++);
		r.service = col_text(s, k++);
		r.layer = col_text(s, k++);
		r.check = col_text(s, k++);
		r.slo = col_text(s, k++);
		r.agent = col_text(s, k++);
		r.regions = col_text(s, k++);
		r.started_at = sqlite3_column_int64(s, k++);
		r.updated_at = sqlite3_column_int64(s, k++);
		r.resolved_at = sqlite3_column_int64(s, k++);
		r.last_notified_at = sqlite3_column_int64(s, k++);
		r.transitions = sqlite3_column_int64(s, k++);
		r.regions_detail = col_text(s, k++);
		(*nrows)++;
		if (fn(&r, arg)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	return rc;
}

/* ---- the alerter's transaction ---- */

struct store_tx *
store_tx_begin(struct store *st, char *err, size_t errlen)
{
	struct store_tx *tx;
	sqlite3_stmt *s;
	int rc;

	if (st->readonly) {
		snprintf(err, errlen, "the DB is open read-only");
		return NULL;
	}
	pthread_mutex_lock(&st->wmu);
	/* ingest sets its own busy timeout on the writer */
	sqlite3_busy_timeout(st->w.db, WRITE_BUSY_MS);
	if ((s = conn_stmt(&st->w, sql_begin, err, errlen)) == NULL) {
		pthread_mutex_unlock(&st->wmu);
		return NULL;
	}
	if ((rc = stmt_done(s)) != SQLITE_DONE) {
		conn_fail(&st->w, rc, "BEGIN", err, errlen);
		pthread_mutex_unlock(&st->wmu);
		return NULL;
	}
	tx = xcalloc(1, sizeof(*tx));
	tx->st = st;
	return tx;
}

/* Roll back the writer's open transaction, if any. */
static void
writer_rollback(struct store_conn *c)
{
	char e[128];
	sqlite3_stmt *s;

	if (sqlite3_get_autocommit(c->db))
		return;
	if ((s = conn_stmt(c, sql_rollback, e, sizeof(e))) == NULL ||
	    stmt_done(s) != SQLITE_DONE)
		sqlite3_exec(c->db, sql_rollback, NULL, NULL, NULL);
}

/* End tx's transaction (an open one is rolled back), release the writer
 * and free tx. */
static void
tx_end(struct store_tx *tx)
{
	struct store *st = tx->st;

	writer_rollback(&st->w);
	pthread_mutex_unlock(&st->wmu);
	free(tx);
}

int
store_tx_commit(struct store_tx *tx, char *err, size_t errlen)
{
	sqlite3_stmt *s = conn_stmt(&tx->st->w, sql_commit, err, errlen);
	int rc = -1;

	if (s != NULL) {
		int step = stmt_done(s);

		if (step == SQLITE_DONE)
			rc = 0;
		else
			conn_fail(&tx->st->w, step, "COMMIT", err, errlen);
	}
	tx_end(tx);
	return rc;
}

void
store_tx_rollback(struct store_tx *tx)
{
	if (tx != NULL)
		tx_end(tx);
}

int
store_tx_told(struct store_tx *tx, int64_t incident, const char *receiver,
    char *err, size_t errlen)
{
	struct store_conn *c = &tx->st->w;
	sqlite3_stmt *s = conn_stmt(c, receiver ? sql_told_rcv : sql_told_any, err,
	    errlen);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, incident);
	if (receiver)
		sqlite3_bind_text(s, 2, receiver, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	conn_fail(c, rc, "deliveries", err, errlen);
	return -1;
}

int
store_tx_delivery_queue(struct store_tx *tx, int64_t incident,
    const char *receiver, const char *event, int64_t seq, const char *status,
    int64_t now, const char *payload, char *err, size_t errlen)
{
	struct store_conn *c = &tx->st->w;
	sqlite3_stmt *s = conn_stmt(c, sql_queue, err, errlen);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, incident);
	sqlite3_bind_text(s, 2, receiver, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, event, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, seq);
	sqlite3_bind_text(s, 5, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, now);
	sqlite3_bind_text(s, 7, payload, -1, SQLITE_STATIC);
	if ((rc = stmt_done(s)) != SQLITE_DONE) {
		conn_fail(c, rc, "deliveries", err, errlen);
		return -1;
	}
	return sqlite3_changes(c->db) > 0 ? 1 : 0;
}

int
store_tx_incident_open_get(struct store_tx *tx, const char *rule,
    const char *target, int (*fn)(const struct incident_row *, void *),
    void *arg, char *err, size_t errlen)
{
	struct store_conn *c = &tx->st->w;
	sqlite3_stmt *s = conn_stmt(c, sql_open_get, err, errlen);
	int rc, n;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, target, -1, SQLITE_STATIC);
	if ((rc = incident_rows(s, fn, arg, &n)) != SQLITE_DONE) {
		conn_fail(c, rc, "incidents", err, errlen);
		return -1;
	}
	return n > 0 ? 1 : 0;
}

int
store_tx_incident_open(struct store_tx *tx, const struct incident_row *v,
    int64_t now, int64_t *id, char *err, size_t errlen)
{
	struct store_conn *c = &tx->st->w;
	sqlite3_stmt *s = conn_stmt(c, sql_incident_add, err, errlen);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, v->rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, v->rule_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, v->target, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, v->severity, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, v->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, v->summary ? v->summary : "", -1, SQLITE_STATIC);
	bind_text_or_null(s, 7, v->context);
	bind_text_or_null(s, 8, v->service);
	bind_text_or_null(s, 9, v->layer);
	bind_text_or_null(s, 10, v->check);
	bind_text_or_null(s, 11, v->slo);
	bind_text_or_null(s, 12, v->agent);
	bind_text_or_null(s, 13, v->regions);
	sqlite3_bind_int64(s, 14, now);
	bind_text_or_null(s, 15, v->regions_detail);
	if ((rc = stmt_done(s)) != SQLITE_DONE) {
		conn_fail(c, rc, "incidents", err, errlen);
		return -1;
	}
	*id = sqlite3_last_insert_rowid(c->db);
	return 0;
}

/* Run an UPDATE of one incident that must change exactly that row. */
static int
incident_changed(struct store_conn *c, sqlite3_stmt *s, int64_t id, char *err,
    size_t errlen)
{
	int rc = stmt_done(s);

	if (rc != SQLITE_DONE) {
		conn_fail(c, rc, "incidents", err, errlen);
		return -1;
	}
	if (sqlite3_changes(c->db) != 1) {
		snprintf(err, errlen, "incidents: no incident %lld", (long long)id);
		return -1;
	}
	return 0;
}

int
store_tx_incident_resolve(struct store_tx *tx, int64_t id, int64_t now,
    int64_t transitions, const char *summary, char *err, size_t errlen)
{
	struct store_conn *c = &tx->st->w;
	sqlite3_stmt *s = conn_stmt(c, summary ? sql_resolve_summary : sql_resolve,
	    err, errlen);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, transitions);
	if (summary)
		sqlite3_bind_text(s, 4, summary, -1, SQLITE_STATIC);
	return incident_changed(c, s, id, err, errlen);
}

int
store_tx_incident_update(struct store_tx *tx, int64_t id, const char *severity,
    const char *title, const char *summary, int64_t now, int64_t transitions,
    char *err, size_t errlen)
{
	struct store_conn *c = &tx->st->w;
	sqlite3_stmt *s = conn_stmt(c, sql_update, err, errlen);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, severity, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, title, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, summary ? summary : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now);
	sqlite3_bind_int64(s, 6, transitions);
	return incident_changed(c, s, id, err, errlen);
}

int
store_tx_incident_text(struct store_tx *tx, int64_t id, const char *title,
    const char *summary, const char *regions_detail, int64_t now, char *err,
    size_t errlen)
{
	struct store_conn *c = &tx->st->w;
	sqlite3_stmt *s = conn_stmt(c, sql_text, err, errlen);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, title ? title : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, summary ? summary : "", -1, SQLITE_STATIC);
	bind_text_or_null(s, 4, regions_detail);
	sqlite3_bind_int64(s, 5, now);
	return incident_changed(c, s, id, err, errlen);
}

int
store_tx_incident_cause(struct store_tx *tx, int64_t id, int64_t now,
    const char *cause, const char *regions, char *err, size_t errlen)
{
	struct store_conn *c = &tx->st->w;
	sqlite3_stmt *s;
	int rc;

	/* the incident first: a cause of no incident is refused before any
	 * row is written */
	if ((s = conn_stmt(c, sql_cause_context, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, cause, -1, SQLITE_STATIC);
	bind_text_or_null(s, 3, regions);
	if (incident_changed(c, s, id, err, errlen) < 0)
		return -1;
	if ((s = conn_stmt(c, sql_cause_add, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_text(s, 3, cause, -1, SQLITE_STATIC);
	bind_text_or_null(s, 4, regions);
	if ((rc = stmt_done(s)) != SQLITE_DONE) {
		conn_fail(c, rc, "incident_causes", err, errlen);
		return -1;
	}
	return 0;
}

int
store_tx_incident_notified(struct store_tx *tx, int64_t id, int64_t now,
    int64_t transitions, char *err, size_t errlen)
{
	struct store_conn *c = &tx->st->w;
	sqlite3_stmt *s = conn_stmt(c, sql_notified, err, errlen);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, transitions);
	return incident_changed(c, s, id, err, errlen);
}

int
store_tx_incidents_open_each(struct store_tx *tx,
    int (*fn)(const struct incident_row *, void *), void *arg, char *err,
    size_t errlen)
{
	struct store_conn *c = &tx->st->w;
	sqlite3_stmt *s = conn_stmt(c, sql_open_all, err, errlen);
	int rc, n;

	if (s == NULL)
		return -1;
	if ((rc = incident_rows(s, fn, arg, &n)) != SQLITE_DONE) {
		conn_fail(c, rc, "incidents", err, errlen);
		return -1;
	}
	return 0;
}

int
store_tx_last_payload(struct store_tx *tx, int64_t incident, char **payload,
    char *err, size_t errlen)
{
	struct store_conn *c = &tx->st->w;
	sqlite3_stmt *s = conn_stmt(c, sql_last_payload, err, errlen);
	int rc;

	*payload = NULL;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, incident);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && col_text(s, 0) != NULL)
		*payload = xstrdup(col_text(s, 0));
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return *payload ? 1 : 0;
	if (rc == SQLITE_DONE)
		return 0;
	conn_fail(c, rc, "deliveries", err, errlen);
	return -1;
}

int
store_tx_receivers_told(struct store_tx *tx, int64_t incident,
    int (*fn)(const char *receiver, void *), void *arg, char *err, size_t errlen)
{
	struct store_conn *c = &tx->st->w;
	sqlite3_stmt *s = conn_stmt(c, sql_receivers_told, err, errlen);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, incident);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (fn(col_text(s, 0), arg)) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		conn_fail(c, rc, "deliveries", err, errlen);
		return -1;
	}
	return 0;
}

/* ---- reads for the alert rules (reader connections) ---- */

int
store_incidents_open_each(struct store *st, const char *rule,
    int (*fn)(const struct incident_row *, void *), void *arg, char *err,
    size_t errlen)
{
	struct store_conn *c = store_conn_get(st);
	sqlite3_stmt *s = conn_stmt(c, rule ? sql_open_of_rule : sql_open_all, err,
	    errlen);
	int rc = -1, n;

	if (s != NULL) {
		if (rule)
			sqlite3_bind_text(s, 1, rule, -1, SQLITE_STATIC);
		if ((rc = incident_rows(s, fn, arg, &n)) != SQLITE_DONE)
			rc = conn_fail(c, rc, "incidents", err, errlen);
		else
			rc = 0;
	}
	store_conn_put(st, c);
	return rc < 0 ? -1 : 0;
}

int
store_incident_causes_of(struct store *st, int64_t incident,
    int (*fn)(const struct incident_cause_row *, void *), void *arg,
    char *err, size_t errlen)
{
	struct store_conn *c = store_conn_get(st);
	sqlite3_stmt *s = conn_stmt(c, sql_causes_of, err, errlen);
	int rc = -1, step = SQLITE_DONE;

	if (s != NULL) {
		sqlite3_bind_int64(s, 1, incident);
		while ((step = sqlite3_step(s)) == SQLITE_ROW) {
			struct incident_cause_row r;

			r.incident_id = sqlite3_column_int64(s, 0);
			r.at = sqlite3_column_int64(s, 1);
			r.cause = col_text(s, 2);
			r.regions = col_text(s, 3);
			if (fn(&r, arg)) {
				step = SQLITE_DONE;
				break;
			}
		}
		sqlite3_reset(s);
		if (step != SQLITE_DONE)
			conn_fail(c, step, "incident_causes", err, errlen);
		else
			rc = 0;
	}
	store_conn_put(st, c);
	return rc;
}

int
store_incident_regions_of(struct store *st, int64_t incident, char **regions,
    char *err, size_t errlen)
{
	struct store_conn *c = store_conn_get(st);
	sqlite3_stmt *s = conn_stmt(c, sql_regions_of, err, errlen);
	int rc = -1, step;

	*regions = NULL;
	if (s != NULL) {
		sqlite3_bind_int64(s, 1, incident);
		if ((step = sqlite3_step(s)) == SQLITE_ROW) {
			if (col_text(s, 0) != NULL)
				*regions = xstrdup(col_text(s, 0));
			rc = 1;
		} else if (step == SQLITE_DONE)
			rc = 0;
		else
			conn_fail(c, step, "incidents", err, errlen);
		sqlite3_reset(s);
	}
	store_conn_put(st, c);
	return rc;
}

int
store_agent_seen(struct store *st, const char *id, int64_t *last_seen,
    char *region, size_t regionlen, char *err, size_t errlen)
{
	struct store_conn *c = store_conn_get(st);
	sqlite3_stmt *s = conn_stmt(c, sql_agent_seen, err, errlen);
	int rc = -1, step;

	*last_seen = 0;
	if (regionlen > 0)
		region[0] = '\0';
	if (s == NULL)
		goto out;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		*last_seen = sqlite3_column_int64(s, 0);
		if (regionlen > 0 && col_text(s, 1) != NULL)
			snprintf(region, regionlen, "%s", col_text(s, 1));
		rc = 1;
	} else if (step == SQLITE_DONE)
		rc = 0;
	else
		conn_fail(c, step, "agents", err, errlen);
	sqlite3_reset(s);
out:
	store_conn_put(st, c);
	return rc;
}

/* ---- the deliverer (each call one short use of the writer) ---- */

/* Take the writer for one short statement or transaction; -1 on a
 * read-only store. */
static int
writer_lock(struct store *st, char *err, size_t errlen)
{
	if (st->readonly) {
		snprintf(err, errlen, "the DB is open read-only");
		return -1;
	}
	pthread_mutex_lock(&st->wmu);
	sqlite3_busy_timeout(st->w.db, WRITE_BUSY_MS);
	return 0;
}

struct due_row {
	int64_t	 id, incident_id, seq, attempts, next_attempt_at, created_at;
	char	*receiver, *event, *payload;
};

static void
due_rows_free(struct due_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].receiver);
		free(v[i].event);
		free(v[i].payload);
	}
	free(v);
}

static char *
dup_col(sqlite3_stmt *s, int i)
{
	const char *t = col_text(s, i);

	return xstrdup(t ? t : "");
}

int
store_deliveries_claim(struct store *st, int64_t now, size_t limit,
    int (*fn)(const struct delivery_row *, void *), void *arg, char *err,
    size_t errlen)
{
	struct store_conn *c = &st->w;
	struct due_row *v = NULL;
	size_t n = 0, alloc = 0, claimed = 0;
	sqlite3_stmt *s;
	int rc;

	if (limit == 0)
		return 0;
	if (writer_lock(st, err, errlen) < 0)
		return -1;
	/* what is due, read outside a transaction: the deliverer looks every
	 * turn, and most turns nothing is due (no write lock taken then) */
	if ((s = conn_stmt(c, sql_due, err, errlen)) == NULL)
		goto unlock;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, (int64_t)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct due_row *d;

		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 8;
			v = xreallocarray(v, alloc, sizeof(*v));
		}
		d = &v[n++];
		d->id = sqlite3_column_int64(s, 0);
		d->incident_id = sqlite3_column_int64(s, 1);
		d->receiver = dup_col(s, 2);
		d->event = dup_col(s, 3);
		d->seq = sqlite3_column_int64(s, 4);
		d->attempts = sqlite3_column_int64(s, 5) + 1;
		d->next_attempt_at = sqlite3_column_int64(s, 6);
		d->created_at = sqlite3_column_int64(s, 7);
		d->payload = dup_col(s, 8);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		conn_fail(c, rc, "deliveries", err, errlen);
		goto unlock;
	}
	if (n == 0) {
		pthread_mutex_unlock(&st->wmu);
		free(v);
		return 0;
	}
	/* 'sending' before any request starts, in one transaction: once it
	 * commits, nothing claims these rows again (at most once per
	 * delivery). The write lock kept every writer of this process out
	 * since the read; the status guard covers any other process. */
	if ((s = conn_stmt(c, sql_begin, err, errlen)) == NULL)
		goto unlock;
	if ((rc = stmt_done(s)) != SQLITE_DONE) {
		conn_fail(c, rc, "BEGIN", err, errlen);
		goto unlock;
	}
	for (size_t i = 0; i < n; i++) {
		if ((s = conn_stmt(c, sql_claim, err, errlen)) == NULL)
			goto rollback;
		sqlite3_bind_int64(s, 1, v[i].id);
		if ((rc = stmt_done(s)) != SQLITE_DONE) {
			conn_fail(c, rc, "deliveries", err, errlen);
			goto rollback;
		}
		if (sqlite3_changes(c->db) != 1)
			v[i].id = 0;	/* no longer pending: not ours */
	}
	if ((s = conn_stmt(c, sql_commit, err, errlen)) == NULL)
		goto rollback;
	if ((rc = stmt_done(s)) != SQLITE_DONE) {
		conn_fail(c, rc, "COMMIT", err, errlen);
		goto rollback;
	}
	pthread_mutex_unlock(&st->wmu);
	for (size_t i = 0; i < n; i++) {
		struct delivery_row r;

		if (v[i].id == 0)
			continue;
		memset(&r, 0, sizeof(r));
		r.id = v[i].id;
		r.incident_id = v[i].incident_id;
		r.receiver = v[i].receiver;
		r.event = v[i].event;
		r.status = "sending";
		r.payload = v[i].payload;
		r.seq = v[i].seq;
		r.attempts = v[i].attempts;
		r.last_status = -1;
		r.next_attempt_at = v[i].next_attempt_at;
		r.created_at = v[i].created_at;
		claimed++;
		/* every claimed row goes to fn: it owns them now */
		fn(&r, arg);
	}
	due_rows_free(v, n);
	return (int)claimed;
rollback:
	writer_rollback(c);
unlock:
	pthread_mutex_unlock(&st->wmu);
	due_rows_free(v, n);
	return -1;
}

int
store_delivery_mark(struct store *st, int64_t id, const char *status, long http,
    const char *error, int64_t next_at, int64_t attempts, int64_t now,
    char *err, size_t errlen)
{
	struct store_conn *c = &st->w;
	sqlite3_stmt *s;
	int rc = -1, step;

	if (writer_lock(st, err, errlen) < 0)
		return -1;
	if ((s = conn_stmt(c, next_at > 0 ? sql_mark_next : sql_mark, err,
	    errlen)) == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
	if (http > 0)
		sqlite3_bind_int64(s, 3, http);
	bind_text_or_null(s, 4, error);
	sqlite3_bind_int64(s, 5, attempts);
	sqlite3_bind_int64(s, 6, now);
	if (next_at > 0)
		sqlite3_bind_int64(s, 7, next_at);
	if ((step = stmt_done(s)) != SQLITE_DONE)
		conn_fail(c, step, "deliveries", err, errlen);
	else if (sqlite3_changes(c->db) != 1) {
		snprintf(err, errlen, "deliveries: %lld is not being sent", (long long)id);
		rc = 1;
	} else
		rc = 0;
out:
	pthread_mutex_unlock(&st->wmu);
	return rc;
}

int
store_deliveries_next_due(struct store *st, int64_t *at, char *err,
    size_t errlen)
{
	struct store_conn *c = &st->w;
	sqlite3_stmt *s;
	int rc = -1, step;

	*at = 0;
	if (writer_lock(st, err, errlen) < 0)
		return -1;
	if ((s = conn_stmt(c, sql_next_due, err, errlen)) == NULL)
		goto out;
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			*at = sqlite3_column_int64(s, 0);
		rc = 0;
	} else
		conn_fail(c, step, "deliveries", err, errlen);
	sqlite3_reset(s);
out:
	pthread_mutex_unlock(&st->wmu);
	return rc;
}

int
store_deliveries_abandon_sending(struct store *st, const char *why, char *err,
    size_t errlen)
{
	struct store_conn *c = &st->w;
	sqlite3_stmt *s;
	int rc = -1, step;

	if (writer_lock(st, err, errlen) < 0)
		return -1;
	if ((s = conn_stmt(c, sql_abandon, err, errlen)) == NULL)
		goto out;
	sqlite3_bind_text(s, 1, why, -1, SQLITE_STATIC);
	if ((step = stmt_done(s)) != SQLITE_DONE)
		conn_fail(c, step, "deliveries", err, errlen);
	else
		rc = sqlite3_changes(c->db);
out:
	pthread_mutex_unlock(&st->wmu);
	return rc;
}
