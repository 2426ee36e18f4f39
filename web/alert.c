/* alert: rules -> incidents (and what they say while open) -> queued
 * deliveries; the thread that evaluates on results and on the tick. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "alert_rules.h"
#include "alertconf.h"
#include "buf.h"
#include "collector.h"
#include "deliver.h"
#include "log.h"
#include "notify.h"
#include "slo.h"
#include "store_alerts.h"
#include "timeutil.h"
#include "xmalloc.h"

/* Run-driven evaluations start at least this far apart: under a steady
 * stream of batches the alerter evaluates back to back at most this often,
 * and a page waits at most this much longer. */
#define ALERT_RUNS_GAP_MS	200

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

/* Queue one delivery per receiver of r for incident id's seq-th notice.
 * muted: a maintenance window is open. A resolve goes to exactly the
 * receivers that were told of the incident, window or not: a pager opened
 * before a window must not stay open, and a receiver that never heard of
 * an incident (opened and closed inside a window) hears nothing of it. */
static int
queue(struct store_tx *tx, const struct alert_rule *r, int64_t id, int seq,
    const char *event, json_t *payload, bool muted, int64_t now, char *err,
    size_t errlen)
{
	char *text = json_dumps(payload, JSON_COMPACT);
	bool resolve = strcmp(event, "resolve") == 0;
	int rc = 0;

	if (text == NULL) {
		snprintf(err, errlen, "deliveries: cannot encode the notification");
		return -1;
	}
	for (size_t i = 0; i < r->nreceivers && rc == 0; i++) {
		bool mute = muted;

		if (resolve) {
			/* told: sent, or due to be sent (not muted); an error
			 * records nothing this tick: never notify twice */
			int t = store_tx_told(tx, id, r->receivers[i], err, errlen);

			if (t < 0) {
				rc = -1;
				break;
			}
			mute = t == 0;
		}
		if (store_tx_delivery_queue(tx, id, r->receivers[i], event, seq,
		    mute ? "muted" : "pending", now, text, err, errlen) < 0)
			rc = -1;
	}
	free(text);
	return rc;
}

/* What reconcile needs of an open incident. */
struct open_inc {
	int64_t	 id, started, last_notified;
	int	 seq;
	char	 severity[8];
	char	*title, *summary, *context, *regions_detail;
};

static int
open_inc_copy(const struct incident_row *row, void *arg)
{
	struct open_inc *o = arg;

	o->id = row->id;
	snprintf(o->severity, sizeof(o->severity), "%s", row->severity ?
	    row->severity : "");
	o->started = row->started_at;
	o->last_notified = row->last_notified_at ? row->last_notified_at :
	    row->started_at;
	o->seq = (int)row->transitions;
	o->title = xstrdup(row->title ? row->title : "");
	o->summary = xstrdup(row->summary ? row->summary : "");
	o->context = row->context ? xstrdup(row->context) : NULL;
	o->regions_detail = row->regions_detail ? xstrdup(row->regions_detail) : NULL;
	return 1;
}

static void
open_inc_clear(struct open_inc *o)
{
	free(o->title);
	free(o->summary);
	free(o->context);
	free(o->regions_detail);
	memset(o, 0, sizeof(*o));
}

static bool
same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* What an open incident says now, without notifying anyone: its cause
 * (a changed line is one more row of its history), its title, summary
 * and per-region lines. cur holds what it said so far. 0 or -1. */
static int
refresh(struct store_tx *tx, const struct open_inc *cur, const char *title,
    const char *summary, const char *cause, const char *detail, int64_t now,
    char *err, size_t errlen)
{
	bool new_cause = cause != NULL && !same_text(cause, cur->context);

	if (new_cause) {
		if (store_tx_incident_cause(tx, cur->id, now, cause, detail, err,
		    errlen) < 0)
			return -1;
		log_info("incident inc-%lld: now %s", (long long)cur->id, cause);
	}
	if (!same_text(title, cur->title) || !same_text(summary, cur->summary) ||
	    (!new_cause && detail != NULL && !same_text(detail, cur->regions_detail)))
		return store_tx_incident_text(tx, cur->id, title, summary,
		    detail ? detail : cur->regions_detail, now, err, errlen);
	return 0;
}

/* Reconcile one rule's verdicts with its incidents. Returns transitions.
 * Notifications go out when an incident opens, resolves or changes
 * severity (and as reminders), each with the title, summary and cause of
 * this evaluation; a new cause line or new regions alone are recorded and
 * shown, never notified. */
static int
reconcile(struct alerter *al, struct store_tx *tx, const struct alert_rule *r,
    struct verdicts *vs, int64_t now, char *err, size_t errlen)
{
	const char *window = NULL;
	bool muted = alertconf_muted(al->c->conf->alerts, r->name, now, &window);
	int transitions = 0;

	for (size_t i = 0; i < vs->n; i++) {
		struct verdict *v = &vs->v[i];
		struct open_inc cur;
		int64_t id = 0, started = 0, last_notified = 0;
		int seq = 0, found, t = 0;
		char severity[8] = "";
		char *regions = v->regions ? json_dumps(v->regions, JSON_COMPACT) : NULL;
		char *detail = v->regions_detail ? json_dumps(v->regions_detail,
		    JSON_COMPACT) : NULL;
		const char *event = NULL, *cause = v->context;
		json_t *payload;
		bool late;

		memset(&cur, 0, sizeof(cur));
		if ((found = store_tx_incident_open_get(tx, r->name, v->target,
		    open_inc_copy, &cur, err, errlen)) < 0)
			goto fail;
		if (found) {
			id = cur.id;
			snprintf(severity, sizeof(severity), "%s", cur.severity);
			started = cur.started;
			last_notified = cur.last_notified;
			seq = cur.seq;
			/* a cause that cannot be told now leaves the last one */
			if (cause == NULL)
				cause = cur.context;
			if (!v->firing) {
				/* a resolve speaks of what was wrong, not of "0 regions" */
				char ago[32];

				free(v->title);
				free(v->summary);
				v->title = xstrdup(cur.title);
				v->summary = xasprintf("resolved after %s; it was: %s",
				    duration_format((now - started) / 1000 * 1000, ago,
				    sizeof(ago)), cur.summary);
			} else if (v->keep_text) {
				free(v->title);
				free(v->summary);
				v->title = xstrdup(cur.title);
				v->summary = xstrdup(cur.summary);
			}
		}
		if (id != 0 && v->firing && !muted &&
		    (t = store_tx_told(tx, id, NULL, err, errlen)) < 0)
			goto fail;
		late = id != 0 && v->firing && !muted && t == 0;

		if (id == 0 && v->firing) {
			struct incident_row row;

			event = "trigger";
			memset(&row, 0, sizeof(row));
			row.rule = r->name;
			row.rule_type = alert_rule_type_names[r->type];
			row.target = v->target;
			row.severity = v->severity;
			row.title = v->title;
			row.summary = v->summary ? v->summary : "";
			row.context = v->context;
			row.service = v->service;
			row.layer = v->layer;
			row.check = v->check;
			row.slo = v->slo;
			row.agent = v->agent;
			row.regions = regions;
			row.regions_detail = detail;
			if (store_tx_incident_open(tx, &row, now, &id, err, errlen) < 0)
				goto fail;
			/* the first row of its cause history */
			if (v->context != NULL && store_tx_incident_cause(tx, id, now,
			    v->context, detail, err, errlen) < 0)
				goto fail;
			started = now;
			seq = 1;
			snprintf(severity, sizeof(severity), "%s", v->severity);
			log_warn("incident inc-%lld opened: %s: %s%s%s", (long long)id, r->name,
			    v->title, v->context ? " -- " : "", v->context ? v->context : "");
		} else if (id != 0 && !v->firing) {
			event = "resolve";
			seq++;
			if (store_tx_incident_resolve(tx, id, now, seq, NULL, err,
			    errlen) < 0)
				goto fail;
			log_info("incident inc-%lld resolved: %s: %s", (long long)id, r->name,
			    v->target[0] ? v->target : v->title);
		} else if (id != 0) {
			/* open and firing: what it says now, notified or not */
			if (refresh(tx, &cur, v->title, v->summary ? v->summary : "",
			    cause, detail, now, err, errlen) < 0)
				goto fail;
			if (strcmp(severity, v->severity) != 0 || late) {
				/* a new severity; or an incident opened in a
				 * maintenance window and still open now the window
				 * is over: its receivers learn of it now, as a
				 * trigger */
				event = late ? "trigger" : "update";
				seq++;
				if (store_tx_incident_update(tx, id, v->severity, v->title,
				    v->summary ? v->summary : "", now, seq, err, errlen) < 0)
					goto fail;
				if (strcmp(event, "trigger") == 0)
					log_warn("incident inc-%lld still open after maintenance: "
					    "notifying now: %s: %s", (long long)id, r->name,
					    v->title);
				else
					log_warn("incident inc-%lld now %s: %s", (long long)id,
					    v->severity, r->name);
				snprintf(severity, sizeof(severity), "%s", v->severity);
			} else if (r->repeat_ms > 0 && now - last_notified >= r->repeat_ms) {
				event = "reminder";
				seq++;
				if (store_tx_incident_notified(tx, id, now, seq, err,
				    errlen) < 0)
					goto fail;
			}
		}
		if (event != NULL) {
			payload = notification_json(r, event, id, severity[0] ? severity :
			    v->severity, v->title, v->summary ? v->summary : "", cause, v,
			    started, strcmp(event, "resolve") == 0 ? now : 0, now);
			if (muted)
				json_object_set_new(payload, "muted_by", json_string(window));
			if (queue(tx, r, id, seq, event, payload, muted, now, err, errlen) < 0) {
				json_decref(payload);
				goto fail;
			}
			json_decref(payload);
			transitions++;
		}
		open_inc_clear(&cur);
		free(regions);
		free(detail);
		continue;
fail:
		open_inc_clear(&cur);
		free(regions);
		free(detail);
		return -1;
	}
	return transitions;
}

struct orphan {
	int64_t	 id;
	int	 seq;
	char	*rule, *summary;
};

struct orphans {
	const struct alerts_config	*ac;
	struct orphan			*o;
	size_t				 n, alloc;
};

/* An open incident whose rule is no longer configured. */
static int
orphan_add(const struct incident_row *row, void *arg)
{
	struct orphans *os = arg;
	const char *rule = row->rule ? row->rule : "";
	bool known = false;

	for (size_t i = 0; i < os->ac->nrules && !known; i++)
		known = strcmp(os->ac->rules[i].name, rule) == 0;
	if (known)
		return 0;
	if (os->n == os->alloc) {
		os->alloc = os->alloc ? 2 * os->alloc : 8;
		os->o = xreallocarray(os->o, os->alloc, sizeof(*os->o));
	}
	os->o[os->n].id = row->id;
	os->o[os->n].rule = xstrdup(rule);
	os->o[os->n].seq = (int)row->transitions + 1;
	os->o[os->n].summary = xasprintf("resolved: rule %s is no longer configured; "
	    "it was: %s", rule, row->summary ? row->summary : "");
	os->n++;
	return 0;
}

/* The receivers told of an incident that are still configured. */
struct told_list {
	const struct alerts_config	*ac;
	char				**name;
	size_t				 n, alloc;
};

static int
told_add(const char *receiver, void *arg)
{
	struct told_list *tl = arg;

	if (receiver == NULL || alertconf_receiver(tl->ac, receiver) == NULL)
		return 0;
	if (tl->n == tl->alloc) {
		tl->alloc = tl->alloc ? 2 * tl->alloc : 8;
		tl->name = xreallocarray(tl->name, tl->alloc, sizeof(*tl->name));
	}
	tl->name[tl->n++] = xstrdup(receiver);
	return 0;
}

/* Resolve orphan o and send the resolve (the last notice sent, as a
 * resolve) to the receivers that were told of it and are still
 * configured. 0 or -1. */
static int
resolve_orphan(struct store_tx *tx, const struct alerts_config *ac,
    const struct orphan *o, int64_t now, char *err, size_t errlen)
{
	struct told_list tl = { ac, NULL, 0, 0 };
	json_t *payload = NULL;
	char *last = NULL, *text = NULL;
	int rc = 0, found;

	if (store_tx_incident_resolve(tx, o->id, now, o->seq, o->summary, err,
	    errlen) < 0)
		return -1;
	log_warn("incident inc-%lld resolved: its rule %s is no longer configured",
	    (long long)o->id, o->rule);
	if ((found = store_tx_last_payload(tx, o->id, &last, err, errlen)) < 0)
		return -1;
	if (found)
		payload = json_loads(last, 0, NULL);
	free(last);
	if (!json_is_object(payload)) {
		json_decref(payload);
		return 0;
	}
	json_object_set_new(payload, "event", json_string("resolve"));
	json_object_set_new(payload, "summary", json_string(o->summary));
	json_object_set_new(payload, "context", json_null());
	json_object_set_new(payload, "resolved_at", json_integer(now));
	json_object_set_new(payload, "now", json_integer(now));
	json_object_del(payload, "muted_by");
	text = json_dumps(payload, JSON_COMPACT);
	json_decref(payload);
	if (text == NULL) {
		snprintf(err, errlen, "deliveries: cannot encode the notification");
		return -1;
	}
	if (store_tx_receivers_told(tx, o->id, told_add, &tl, err, errlen) < 0)
		rc = -1;
	for (size_t i = 0; i < tl.n && rc == 0; i++)
		if (store_tx_delivery_queue(tx, o->id, tl.name[i], "resolve", o->seq,
		    "pending", now, text, err, errlen) < 0)
			rc = -1;
	for (size_t i = 0; i < tl.n; i++)
		free(tl.name[i]);
	free(tl.name);
	free(text);
	return rc;
}

/* Incidents left open by a rule that is no longer configured (removed or
 * renamed) would stay open for ever: resolve them, and send the resolve to
 * the receivers that were told of them and are still configured (a pager
 * must not stay open). Returns the number resolved, or -1. */
static int
resolve_orphans(struct alerter *al, struct store_tx *tx, int64_t now,
    char *err, size_t errlen)
{
	struct orphans os = { al->c->conf->alerts, NULL, 0, 0 };
	int rc = 0;

	if (store_tx_incidents_open_each(tx, orphan_add, &os, err, errlen) < 0)
		rc = -1;
	for (size_t i = 0; i < os.n && rc == 0; i++)
		rc = resolve_orphan(tx, os.ac, &os.o[i], now, err, errlen);
	for (size_t i = 0; i < os.n; i++) {
		free(os.o[i].rule);
		free(os.o[i].summary);
	}
	free(os.o);
	return rc < 0 ? -1 : (int)os.n;
}

/* Evaluate the rules (all of them, or only those results decide) at now
 * and record the transitions. Returns their number, or -1. */
static int
evaluate(struct alerter *a, int64_t now, bool all, char *err, size_t errlen)
{
	const struct alerts_config *ac = a->c->conf->alerts;
	struct verdicts *vs;
	struct store_tx *tx = NULL;
	int total = 0, rc = 0;
	size_t i;

	if (ac == NULL || ac->nrules == 0)
		return 0;
	/* Judge every rule first, on reader connections and outside any
	 * write transaction (only this thread writes incidents, so what it
	 * reads stays true): ingest is never kept waiting while the rollups
	 * are read. */
	vs = xcalloc(ac->nrules, sizeof(*vs));
	for (i = 0; i < ac->nrules && rc == 0; i++) {
		const struct alert_rule *r = &ac->rules[i];

		if (all || alert_rule_run_driven(r->type))
			rc = alert_rule_judge(a, r, now, &vs[i], err, errlen);
	}
	alert_cause_memo_clear(a);
	/* Then record the transitions and queue their notifications in one
	 * short transaction on the store's writer. */
	if (rc == 0 && (tx = store_tx_begin(a->c->st, err, errlen)) == NULL)
		rc = -1;
	else if (rc == 0) {
		for (i = 0; i < ac->nrules && rc >= 0; i++) {
			if (!all && !alert_rule_run_driven(ac->rules[i].type))
				continue;
			rc = reconcile(a, tx, &ac->rules[i], &vs[i], now, err, errlen);
			if (rc > 0)
				total += rc;
		}
		if (all && rc >= 0 && (rc = resolve_orphans(a, tx, now, err, errlen)) > 0)
			total += rc;
		if (rc >= 0)
			rc = store_tx_commit(tx, err, errlen);
		else
			store_tx_rollback(tx);
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

int
alert_evaluate(struct alerter *a, int64_t now, char *err, size_t errlen)
{
	return evaluate(a, now, true, err, errlen);
}

int
alert_evaluate_runs(struct alerter *a, int64_t now, char *err, size_t errlen)
{
	return evaluate(a, now, false, err, errlen);
}

void
alert_wake(struct alerter *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->wakes++;
	if (!a->woken) {
		a->woken = true;
		pthread_cond_signal(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
}

void
alert_counters(struct alerter *a, int64_t *wakes, int64_t *runs, int64_t *ticks)
{
	pthread_mutex_lock(&a->mu);
	*wakes = a->wakes;
	*runs = a->evals_runs;
	*ticks = a->evals_tick;
	pthread_mutex_unlock(&a->mu);
}

struct alerter *
alert_new(struct collector *c, char *err, size_t errlen)
{
	struct alerter *a = xcalloc(1, sizeof(*a));

	if (c->st == NULL) {
		snprintf(err, errlen, "alerts: no store");
		free(a);
		return NULL;
	}
	a->c = c;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	return a;
}

static void
ms_to_timespec(int64_t ms, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ms / 1000);
	ts->tv_nsec = (long)(ms % 1000) * 1000000;
}

/* The thread: every rule each tick; the rules results decide as soon as
 * results arrive (alert_wake), coalesced: wake-ups during an evaluation
 * make one more evaluation after it, never one each, and two run-driven
 * evaluations start at least ALERT_RUNS_GAP_MS apart. */
static void *
alert_main(void *arg)
{
	struct alerter *a = arg;
	int64_t tick = 15000, next_tick = 0, last_runs = 0;

	pthread_mutex_lock(&a->mu);
	while (!a->stop) {
		int64_t now = time_now_ms(), due;
		bool all = now >= next_tick, runs = a->woken;
		char err[512];
		int rc;

		if (!all && !runs) {
			struct timespec ts;

			/* CLOCK_REALTIME as the mutex's condition: a clock step
			 * only makes one wait longer or shorter than a tick */
			ms_to_timespec(next_tick, &ts);
			pthread_cond_timedwait(&a->cv, &a->mu, &ts);
			continue;
		}
		if (!all && now - last_runs < ALERT_RUNS_GAP_MS) {
			struct timespec ts;

			due = last_runs + ALERT_RUNS_GAP_MS;
			ms_to_timespec(due < next_tick ? due : next_tick, &ts);
			pthread_cond_timedwait(&a->cv, &a->mu, &ts);
			continue;
		}
		/* what arrives from now on wakes the next evaluation */
		a->woken = false;
		pthread_mutex_unlock(&a->mu);
		/* the config stays put for the evaluation (a SIGHUP waits) */
		collector_conf_read(a->c);
		if (a->c->conf->alerts != NULL)
			tick = a->c->conf->alerts->tick_ms;
		now = time_now_ms();
		rc = all ? alert_evaluate(a, now, err, sizeof(err)) :
		    alert_evaluate_runs(a, now, err, sizeof(err));
		collector_conf_done(a->c);
		if (rc < 0)
			log_error("alert rules: %s", err);
		pthread_mutex_lock(&a->mu);
		if (all) {
			a->evals_tick++;
			next_tick = now + tick;
		} else
			a->evals_runs++;
		last_runs = now;
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
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a);
}
