/* store_incidents: reading incidents and deliveries (the API, the report). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "store_alerts.h"
#include "store_int.h"

#define INCIDENT_COLS "id, rule, rule_type, target, severity, status, title, " \
    "summary, context, service, layer, check_name, slo, agent, regions, " \
    "started_at, updated_at, resolved_at, last_notified_at, transitions"

static const char sql_recent[] =
    "SELECT " INCIDENT_COLS " FROM incidents WHERE status = 'open' OR "
    "started_at >= ?1 OR resolved_at >= ?1 ORDER BY status = 'open' DESC, "
    "started_at DESC LIMIT ?2";
static const char sql_overlapping[] =
    "SELECT " INCIDENT_COLS " FROM incidents WHERE started_at < ?2 AND "
    "(resolved_at IS NULL OR resolved_at >= ?1) ORDER BY started_at, id LIMIT ?3";
static const char sql_deliveries[] =
    "SELECT id, incident_id, receiver, event, status, last_error, payload, seq, "
    "attempts, last_status, next_attempt_at, created_at, sent_at FROM deliveries "
    "WHERE incident_id = ?1 ORDER BY seq, receiver";

static const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static int
each_incident(struct store_conn *c, sqlite3_stmt *s,
    int (*fn)(const struct incident_row *, void *), void *arg,
    char *err, size_t errlen)
{
	struct incident_row r;
	int rc;

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
		if (fn(&r, arg)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return conn_fail(c, rc, "incidents", err, errlen);
	return 0;
}

int
store_incidents_recent(struct store *st, int64_t since, size_t limit,
    int (*fn)(const struct incident_row *, void *), void *arg,
    char *err, size_t errlen)
{
	struct store_conn *c = store_conn_get(st);
	sqlite3_stmt *s = conn_stmt(c, sql_recent, err, errlen);
	int rc = -1;

	if (s != NULL) {
		sqlite3_bind_int64(s, 1, since);
		sqlite3_bind_int64(s, 2, (int64_t)limit);
		rc = each_incident(c, s, fn, arg, err, errlen);
	}
	store_conn_put(st, c);
	return rc < 0 ? -1 : 0;
}

int
store_incidents_overlapping(struct store *st, int64_t from, int64_t to,
    size_t limit, int (*fn)(const struct incident_row *, void *), void *arg,
    char *err, size_t errlen)
{
	struct store_conn *c = store_conn_get(st);
	sqlite3_stmt *s = conn_stmt(c, sql_overlapping, err, errlen);
	int rc = -1;

	if (s != NULL) {
		sqlite3_bind_int64(s, 1, from);
		sqlite3_bind_int64(s, 2, to);
		sqlite3_bind_int64(s, 3, (int64_t)limit);
		rc = each_incident(c, s, fn, arg, err, errlen);
	}
	store_conn_put(st, c);
	return rc < 0 ? -1 : 0;
}

int
store_deliveries_of(struct store *st, int64_t incident,
    int (*fn)(const struct delivery_row *, void *), void *arg,
    char *err, size_t errlen)
{
	struct store_conn *c = store_conn_get(st);
	sqlite3_stmt *s = conn_stmt(c, sql_deliveries, err, errlen);
	struct delivery_row r;
	int rc = -1;

	if (s == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, incident);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int k = 0;

		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(s, k++);
		r.incident_id = sqlite3_column_int64(s, k++);
		r.receiver = col_text(s, k++);
		r.event = col_text(s, k++);
		r.status = col_text(s, k++);
		r.last_error = col_text(s, k++);
		r.payload = col_text(s, k++);
		r.seq = sqlite3_column_int64(s, k++);
		r.attempts = sqlite3_column_int64(s, k++);
		r.last_status = sqlite3_column_type(s, k) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(s, k);
		k++;
		r.next_attempt_at = sqlite3_column_int64(s, k++);
		r.created_at = sqlite3_column_int64(s, k++);
		r.sent_at = sqlite3_column_int64(s, k++);
		if (fn(&r, arg)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	rc = rc == SQLITE_DONE ? 0 : conn_fail(c, rc, "deliveries", err, errlen);
out:
	store_conn_put(st, c);
	return rc < 0 ? -1 : 0;
}
