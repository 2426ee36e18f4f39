/* alert: rules -> incidents -> queued deliveries. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "alert.h"
#include "alert_rules.h"
#include "alertconf.h"
#include "buf.h"
#include "collector.h"
#include "deliver.h"
#include "log.h"
#include "notify.h"
#include "slo.h"
#include "sloeng.h"
#include "sqlfn.h"
#include "timeutil.h"
#include "xmalloc.h"

static json_t *
notification_json(const struct alert_rule *r, const char *event, int64_t id,
    const char *severity, const char *title, const char *summary,
    const char *context, const struct verdict *v, int64_t started, int64_t resolved,
    int64_t now)
{
	json_t *o = json_object();
	char iid[32];

	snprintf(iid, sizeof(iid), "inc-%lld", (long long)id);
#define SET_S(k, x) json_object_set_new(o, k, (x) ? json_string(x) : json_null())
	SET_S("event", event);
	json_object_set_new(o, "incident_id", json_string(iid));
	SET_S("rule", r->name);
	SET_S("rule_type", alert_rule_type_names[r->type]);
	SET_S("severity", severity);
	SET_S("title", title);
	SET_S("summary", summary);
	SET_S("context", context);
	SET_S("service", v ? v->service : NULL);
	SET_S("layer", v ? v->layer : NULL);
	SET_S("check", v ? v->check : NULL);
	SET_S("slo", v ? v->slo : NULL);
	SET_S("agent", v ? v->agent : NULL);
#undef SET_S
	json_object_set_new(o, "started_at", json_integer(started));
	json_object_set_new(o, "resolved_at", json_integer(resolved));
	json_object_set_new(o, "now", json_integer(now));
	if (v && v->regions)
		json_object_set(o, "regions", v->regions);
	if (v && v->details)
		json_object_set(o, "details", v->details);
	return o;
}

static int
exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Has receiver (NULL: any receiver) been sent (or been due to be sent) a
 * notice of incident id, i.e. one that maintenance did not mute? */
static bool
told(struct alerter *al, int64_t id, const char *receiver)
{
	sqlite3_stmt *st;
	bool yes = false;

	if (sqlite3_prepare_v2(al->db, "SELECT 1 FROM deliveries WHERE incident_id = ?1 "
	    "AND status != 'muted' AND (?2 IS NULL OR receiver = ?2) LIMIT 1", -1, &st,
	    NULL) != SQLITE_OK)
		return true;	/* when in doubt, never notify twice */
	sqlite3_bind_int64(st, 1, id);
	if (receiver)
		sqlite3_bind_text(st, 2, receiver, -1, SQLITE_STATIC);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

/* Queue one delivery per receiver of r for incident id's seq-th notice.
 * muted: a maintenance window is open. A resolve goes to exactly the
 * receivers that were told of the incident, window or not: a pager opened
 * before a window must not stay open, and a receiver that never heard of
 * an incident (opened and closed inside a window) hears nothing of it. */
static int
queue(struct alerter *al, const struct alert_rule *r, int64_t id, int seq,
    const char *event, json_t *payload, bool muted, int64_t now, char *err,
    size_t errlen)
{
	char *text = json_dumps(payload, JSON_COMPACT);
	bool resolve = strcmp(event, "resolve") == 0;
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(al->db, "INSERT OR IGNORE INTO deliveries (incident_id, "
	    "receiver, event, seq, status, next_attempt_at, created_at, payload) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "deliveries: %s", sqlite3_errmsg(al->db));
		free(text);
		return -1;
	}
	for (size_t i = 0; i < r->nreceivers && rc == 0; i++) {
		bool mute = resolve ? !told(al, id, r->receivers[i]) : muted;

		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, r->receivers[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, seq);
		sqlite3_bind_text(st, 5, mute ? "muted" : "pending", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, now);
		sqlite3_bind_int64(st, 7, now);
		sqlite3_bind_text(st, 8, text, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			snprintf(err, errlen, "deliveries: %s", sqlite3_errmsg(al->db));
			rc = -1;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	free(text);
	return rc;
}

/* Reconcile one rule's verdicts with its incidents. Returns transitions. */
static int
reconcile(struct alerter *al, const struct alert_rule *r, struct verdicts *vs,
    int64_t now, char *err, size_t errlen)
{
	const char *window = NULL;
	bool muted = alertconf_muted(al->c->conf->alerts, r->name, now, &window);
	int transitions = 0;

	for (size_t i = 0; i < vs->n; i++) {
		struct verdict *v = &vs->v[i];
		sqlite3_stmt *st;
		int64_t id = 0, started = 0, last_notified = 0;
		int seq = 0;
		char severity[8] = "";
		char *regions = v->regions ? json_dumps(v->regions, JSON_COMPACT) : NULL;
		const char *event = NULL;
		json_t *payload;
		bool late;

		if (sqlite3_prepare_v2(al->db, "SELECT id, severity, started_at, "
		    "coalesce(last_notified_at, started_at), transitions, title, summary "
		    "FROM incidents WHERE rule = ? AND target = ? AND status = 'open'", -1,
		    &st, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "incidents: %s", sqlite3_errmsg(al->db));
			free(regions);
			return -1;
		}
		sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, v->target, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			id = sqlite3_column_int64(st, 0);
			snprintf(severity, sizeof(severity), "%s", sqlite3_column_text(st, 1));
			started = sqlite3_column_int64(st, 2);
			last_notified = sqlite3_column_int64(st, 3);
			seq = sqlite3_column_int(st, 4);
			if (!v->firing) {
				/* a resolve speaks of what was wrong, not of "0 regions" */
				char ago[32];

				free(v->title);
				free(v->summary);
				v->title = xstrdup((const char *)sqlite3_column_text(st, 5));
				v->summary = xasprintf("resolved after %s; it was: %s",
				    duration_format((now - started) / 1000 * 1000, ago,
				    sizeof(ago)), (const char *)sqlite3_column_text(st, 6));
			}
		}
		sqlite3_finalize(st);
		late = id != 0 && v->firing && !muted && !told(al, id, NULL);

		if (id == 0 && v->firing) {
			event = "trigger";
			if (sqlite3_prepare_v2(al->db, "INSERT INTO incidents (rule, rule_type, "
			    "target, severity, status, title, summary, context, service, layer, "
			    "check_name, slo, agent, regions, started_at, updated_at, "
			    "last_notified_at, transitions) VALUES (?1, ?2, ?3, ?4, 'open', ?5, "
			    "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?14, 1)", -1, &st,
			    NULL) != SQLITE_OK)
				goto sqlfail;
			sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, alert_rule_type_names[r->type], -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, v->target, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, v->severity, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 5, v->title, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 6, v->summary ? v->summary : "", -1, SQLITE_STATIC);
#define BIND_OPT(k, x) ((x) ? sqlite3_bind_text(st, k, x, -1, SQLITE_STATIC) : \
			    sqlite3_bind_null(st, k))
			BIND_OPT(7, v->context);
			BIND_OPT(8, v->service);
			BIND_OPT(9, v->layer);
			BIND_OPT(10, v->check);
			BIND_OPT(11, v->slo);
			BIND_OPT(12, v->agent);
			BIND_OPT(13, regions);
#undef BIND_OPT
			sqlite3_bind_int64(st, 14, now);
			if (sqlite3_step(st) != SQLITE_DONE) {
				sqlite3_finalize(st);
				goto sqlfail;
			}
			sqlite3_finalize(st);
			id = sqlite3_last_insert_rowid(al->db);
			started = now;
			seq = 1;
			snprintf(severity, sizeof(severity), "%s", v->severity);
			log_warn("incident inc-%lld opened: %s: %s%s%s", (long long)id, r->name,
			    v->title, v->context ? " -- " : "", v->context ? v->context : "");
		} else if (id != 0 && !v->firing) {
			event = "resolve";
			seq++;
			if (sqlite3_prepare_v2(al->db, "UPDATE incidents SET status = "
			    "'resolved', resolved_at = ?2, updated_at = ?2, last_notified_at = ?2, "
			    "transitions = ?3 WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
				goto sqlfail;
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_int64(st, 2, now);
			sqlite3_bind_int(st, 3, seq);
			sqlite3_step(st);
			sqlite3_finalize(st);
			log_info("incident inc-%lld resolved: %s: %s", (long long)id, r->name,
			    v->target[0] ? v->target : v->title);
		} else if (id != 0 && (strcmp(severity, v->severity) != 0 || late)) {
			/* a new severity; or an incident opened in a maintenance
			 * window and still open now the window is over: its
			 * receivers learn of it now, as a trigger */
			event = late ? "trigger" : "update";
			seq++;
			if (sqlite3_prepare_v2(al->db, "UPDATE incidents SET severity = ?2, "
			    "title = ?3, summary = ?4, updated_at = ?5, last_notified_at = ?5, "
			    "transitions = ?6 WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
				goto sqlfail;
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_text(st, 2, v->severity, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, v->title, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, v->summary ? v->summary : "", -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 5, now);
			sqlite3_bind_int(st, 6, seq);
			sqlite3_step(st);
			sqlite3_finalize(st);
			if (strcmp(event, "trigger") == 0)
				log_warn("incident inc-%lld still open after maintenance: "
				    "notifying now: %s: %s", (long long)id, r->name, v->title);
			else
				log_warn("incident inc-%lld now %s: %s", (long long)id,
				    v->severity, r->name);
			snprintf(severity, sizeof(severity), "%s", v->severity);
		} else if (id != 0 && r->repeat_ms > 0 && now - last_notified >= r->repeat_ms) {
			event = "reminder";
			seq++;
			if (sqlite3_prepare_v2(al->db, "UPDATE incidents SET last_notified_at "
			    "= ?2, transitions = ?3 WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
				goto sqlfail;
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_int64(st, 2, now);
			sqlite3_bind_int(st, 3, seq);
			sqlite3_step(st);
			sqlite3_finalize(st);
		}
		if (event != NULL) {
			payload = notification_json(r, event, id, severity[0] ? severity :
			    v->severity, v->title, v->summary ? v->summary : "", v->context, v,
			    started, strcmp(event, "resolve") == 0 ? now : 0, now);
			if (muted)
				json_object_set_new(payload, "muted_by", json_string(window));
			if (queue(al, r, id, seq, event, payload, muted, now, err, errlen) < 0) {
				json_decref(payload);
				free(regions);
				return -1;
			}
			json_decref(payload);
			transitions++;
		}
		free(regions);
		continue;
sqlfail:
		snprintf(err, errlen, "incidents: %s", sqlite3_errmsg(al->db));
		free(regions);
		return -1;
	}
	return transitions;
}

struct orphan {
	int64_t	 id;
	int	 seq;
	char	*rule, *summary;
};

/* Incidents left open by a rule that is no longer configured (removed or
 * renamed) would stay open for ever: resolve them, and send the resolve to
 * the receivers that were told of them and are still configured (a pager
 * must not stay open). Returns the number resolved, or -1. */
static int
resolve_orphans(struct alerter *al, int64_t now, char *err, size_t errlen)
{
	const struct alerts_config *ac = al->c->conf->alerts;
	struct orphan *o = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(al->db, "SELECT id, rule, transitions, summary FROM "
	    "incidents WHERE status = 'open'", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "incidents: %s", sqlite3_errmsg(al->db));
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *rule = (const char *)sqlite3_column_text(st, 1);
		bool known = false;

		for (size_t i = 0; i < ac->nrules && !known; i++)
			known = strcmp(ac->rules[i].name, rule) == 0;
		if (known)
			continue;
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 8;
			o = xreallocarray(o, alloc, sizeof(*o));
		}
		o[n].id = sqlite3_column_int64(st, 0);
		o[n].rule = xstrdup(rule);
		o[n].seq = sqlite3_column_int(st, 2) + 1;
		o[n].summary = xasprintf("resolved: rule %s is no longer configured; it "
		    "was: %s", rule, (const char *)sqlite3_column_text(st, 3));
		n++;
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n && rc == 0; i++) {
		sqlite3_stmt *rs = NULL, *ins = NULL;
		json_t *payload = NULL;
		char *text = NULL;

		if (sqlite3_prepare_v2(al->db, "UPDATE incidents SET status = 'resolved', "
		    "resolved_at = ?2, updated_at = ?2, last_notified_at = ?2, "
		    "transitions = ?3, summary = ?4 WHERE id = ?1", -1, &st, NULL) !=
		    SQLITE_OK) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(st, 1, o[i].id);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int(st, 3, o[i].seq);
		sqlite3_bind_text(st, 4, o[i].summary, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = -1;
		sqlite3_finalize(st);
		log_warn("incident inc-%lld resolved: its rule %s is no longer configured",
		    (long long)o[i].id, o[i].rule);
		/* the resolve: the last notice sent, as a resolve */
		if (rc == 0 && sqlite3_prepare_v2(al->db, "SELECT payload FROM deliveries "
		    "WHERE incident_id = ? ORDER BY seq DESC LIMIT 1", -1, &st, NULL) ==
		    SQLITE_OK) {
			sqlite3_bind_int64(st, 1, o[i].id);
			if (sqlite3_step(st) == SQLITE_ROW)
				payload = json_loads((const char *)sqlite3_column_text(st, 0),
				    0, NULL);
			sqlite3_finalize(st);
		}
		if (rc != 0 || !json_is_object(payload)) {
			json_decref(payload);
			continue;
		}
		json_object_set_new(payload, "event", json_string("resolve"));
		json_object_set_new(payload, "summary", json_string(o[i].summary));
		json_object_set_new(payload, "context", json_null());
		json_object_set_new(payload, "resolved_at", json_integer(now));
		json_object_set_new(payload, "now", json_integer(now));
		json_object_del(payload, "muted_by");
		text = json_dumps(payload, JSON_COMPACT);
		json_decref(payload);
		if (sqlite3_prepare_v2(al->db, "SELECT DISTINCT receiver FROM deliveries "
		    "WHERE incident_id = ? AND status != 'muted'", -1, &rs, NULL) !=
		    SQLITE_OK || sqlite3_prepare_v2(al->db, "INSERT OR IGNORE INTO "
		    "deliveries (incident_id, receiver, event, seq, status, "
		    "next_attempt_at, created_at, payload) VALUES (?1, ?2, 'resolve', ?3, "
		    "'pending', ?4, ?4, ?5)", -1, &ins, NULL) != SQLITE_OK)
			rc = -1;
		sqlite3_bind_int64(rs, 1, o[i].id);
		while (rc == 0 && sqlite3_step(rs) == SQLITE_ROW) {
			const char *rcv = (const char *)sqlite3_column_text(rs, 0);

			if (alertconf_receiver(ac, rcv) == NULL)
				continue;
			sqlite3_bind_int64(ins, 1, o[i].id);
			sqlite3_bind_text(ins, 2, rcv, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int(ins, 3, o[i].seq);
			sqlite3_bind_int64(ins, 4, now);
			sqlite3_bind_text(ins, 5, text, -1, SQLITE_STATIC);
			if (sqlite3_step(ins) != SQLITE_DONE)
				rc = -1;
			sqlite3_reset(ins);
		}
		sqlite3_finalize(rs);
		sqlite3_finalize(ins);
		free(text);
	}
	if (rc < 0)
		snprintf(err, errlen, "incidents: %s", sqlite3_errmsg(al->db));
	for (size_t i = 0; i < n; i++) {
		free(o[i].rule);
		free(o[i].summary);
	}
	free(o);
	return rc < 0 ? -1 : (int)n;
}

int
alert_evaluate(struct alerter *a, int64_t now, char *err, size_t errlen)
{
	const struct alerts_config *ac = a->c->conf->alerts;
	struct verdicts *vs;
	int total = 0, rc = 0;
	size_t i;

	if (ac == NULL || ac->nrules == 0)
		return 0;
	/* Judge every rule first, outside any write transaction (only this
	 * thread writes incidents, so what it reads stays true): ingest is
	 * never kept waiting while the rollups are read. */
	vs = xcalloc(ac->nrules, sizeof(*vs));
	for (i = 0; i < ac->nrules && rc == 0; i++) {
		const struct alert_rule *r = &ac->rules[i];

		rc = alert_rule_judge(a, r, now, &vs[i], err, errlen);
	}
	/* Then record the transitions and queue their notifications in one
	 * short transaction. */
	if (rc == 0 && exec_sql(a->db, "BEGIN IMMEDIATE", err, errlen) < 0)
		rc = -1;
	else if (rc == 0) {
		for (i = 0; i < ac->nrules && rc >= 0; i++) {
			rc = reconcile(a, &ac->rules[i], &vs[i], now, err, errlen);
			if (rc > 0)
				total += rc;
		}
		if (rc >= 0 && (rc = resolve_orphans(a, now, err, errlen)) > 0)
			total += rc;
		if (rc >= 0 && exec_sql(a->db, "COMMIT", err, errlen) < 0)
			rc = -1;
		if (rc < 0) {
			char e2[256];
			exec_sql(a->db, "ROLLBACK", e2, sizeof(e2));
		}
	}
	for (i = 0; i < ac->nrules; i++)
		alert_verdicts_clear(&vs[i]);
	free(vs);
	if (rc < 0)
		return -1;
	if (total > 0 && a->c->deliver)
		deliver_wake(a->c->deliver);
	return total;
}

struct alerter *
alert_new(struct collector *c, char *err, size_t errlen)
{
	struct alerter *a = xcalloc(1, sizeof(*a));

	a->c = c;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	if (sqlite3_open_v2(c->conf->db, &a->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK || sqlfn_register(a->db) != SQLITE_OK) {
		snprintf(err, errlen, "alerts: %s: %s", c->conf->db,
		    a->db ? sqlite3_errmsg(a->db) : "cannot open");
		alert_free(a);
		return NULL;
	}
	sqlite3_busy_timeout(a->db, 5000);
	return a;
}

static void *
alert_main(void *arg)
{
	struct alerter *a = arg;
	int64_t tick = a->c->conf->alerts->tick_ms;

	pthread_mutex_lock(&a->mu);
	while (!a->stop) {
		struct timespec ts;
		char err[512];

		pthread_mutex_unlock(&a->mu);
		if (alert_evaluate(a, time_now_ms(), err, sizeof(err)) < 0)
			log_error("alert rules: %s", err);
		pthread_mutex_lock(&a->mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += tick / 1000;
		ts.tv_nsec += (tick % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		while (!a->stop && pthread_cond_timedwait(&a->cv, &a->mu, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

int
alert_start(struct alerter *a, char *err, size_t errlen)
{
	if (a->c->conf->alerts == NULL || a->c->conf->alerts->nrules == 0)
		return 0;
	if (pthread_create(&a->th, NULL, alert_main, a) != 0) {
		snprintf(err, errlen, "cannot start the alert thread");
		return -1;
	}
	a->running = 1;
	return 0;
}

void
alert_stop(struct alerter *a)
{
	if (a == NULL || !a->running)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->th, NULL);
	a->running = 0;
}

void
alert_free(struct alerter *a)
{
	if (a == NULL)
		return;
	alert_stop(a);
	if (a->db)
		sqlite3_close(a->db);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a);
}
