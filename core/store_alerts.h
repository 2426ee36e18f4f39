/* store_alerts: incidents and their deliveries (one row per notification
 * per receiver). Reading them: core/store_incidents.c. The alerter's and
 * the deliverer's writes: core/store_alerts.c. */
#ifndef VANTAGE_STORE_ALERTS_H
#define VANTAGE_STORE_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* One incident. Strings are borrowed for the callback; NULL when unset. */
struct incident_row {
	int64_t		 id;
	const char	*rule, *rule_type, *target, *severity, *status;
	const char	*title, *summary, *context;
	const char	*service, *layer, *check, *slo, *agent;
	const char	*regions;	/* a JSON array of region names */
	/* the per-region lines of its latest evaluation while open, a JSON
	 * array of {"region", "line"}; only the reads of core/store_alerts.c
	 * (store_tx_*, store_incidents_open_each) carry it, NULL elsewhere */
	const char	*regions_detail;
	int64_t		 started_at, updated_at;
	int64_t		 resolved_at;	/* 0 while open */
	int64_t		 last_notified_at;	/* 0 never */
	int64_t		 transitions;
};

/* One delivery. Strings are borrowed for the callback; NULL when unset. */
struct delivery_row {
	int64_t		 id, incident_id;
	const char	*receiver, *event, *status, *last_error, *payload;
	int64_t		 seq, attempts;
	int64_t		 last_status;	/* HTTP status of the last attempt; -1 none */
	int64_t		 next_attempt_at, created_at;
	int64_t		 sent_at;	/* 0 not sent */
};

/* Incidents still open or that started or resolved at or after since,
 * open ones first, then newest start first, at most limit; fn returns
 * non-zero to stop. 0, or -1 with a message in err. */
int store_incidents_recent(struct store *st, int64_t since, size_t limit,
    int (*fn)(const struct incident_row *, void *), void *arg,
    char *err, size_t errlen);
/* Incidents that overlap [from, to) (started before to, open or resolved
 * at or after from), by start then id, at most limit. 0 or -1. */
int store_incidents_overlapping(struct store *st, int64_t from, int64_t to,
    size_t limit, int (*fn)(const struct incident_row *, void *), void *arg,
    char *err, size_t errlen);
/* What an incident said about its cause at one moment: the cause line and
 * one line per region (a JSON array of {"region", "line"}). Strings are
 * borrowed for the callback. */
struct incident_cause_row {
	int64_t		 incident_id, at;	/* Unix ms */
	const char	*cause;			/* e.g. "front door failing, origins healthy: CDN problem" */
	const char	*regions;		/* JSON array text, or NULL */
};

/* How the cause of one incident changed, oldest first (the first row is
 * what it said when it opened). 0, or -1 with a message in err.
 * Implemented in core/store_alerts.c. */
int store_incident_causes_of(struct store *st, int64_t incident,
    int (*fn)(const struct incident_cause_row *, void *), void *arg,
    char *err, size_t errlen);

/* The per-region lines of incident's latest evaluation (a JSON array of
 * {"region", "line"}) into *regions (caller frees; NULL when it has none).
 * 1 found, 0 no such incident, -1 with a message in err. */
int store_incident_regions_of(struct store *st, int64_t incident,
    char **regions, char *err, size_t errlen);

/* The deliveries of one incident, by seq then receiver. 0 or -1. */
int store_deliveries_of(struct store *st, int64_t incident,
    int (*fn)(const struct delivery_row *, void *), void *arg,
    char *err, size_t errlen);

/* Open incidents (all of them, rule NULL; else of one rule), by target
 * (rule) or id; on a reader connection. fn returns non-zero to stop. 0, or
 * -1 with a message in err. */
int store_incidents_open_each(struct store *st, const char *rule,
    int (*fn)(const struct incident_row *, void *), void *arg,
    char *err, size_t errlen);
/* An agent's last accepted batch (Unix ms; 0 never) and its region (copied
 * into region, "" when unknown). 1 found, 0 unknown agent, -1 with a
 * message in err. */
int store_agent_seen(struct store *st, const char *id, int64_t *last_seen,
    char *region, size_t regionlen, char *err, size_t errlen);

/* ---- the alerter's transaction (core/store_alerts.c) ----
 *
 * One BEGIN IMMEDIATE transaction on the store's write connection, holding
 * the store's write lock from store_tx_begin to store_tx_commit or
 * store_tx_rollback: keep it short (judge the rules first, on readers,
 * then write). Reads through tx see its own writes. Row callbacks must not
 * call other store_tx_* functions (the statement is being stepped): copy
 * what is needed and act after. Every function but begin returns -1 with a
 * message in err on error; the transaction is then still open, and the
 * caller rolls it back. */
struct store_tx;

/* Begin; NULL with a message in err (busy past 5 s, read-only store). */
struct store_tx *store_tx_begin(struct store *st, char *err, size_t errlen);
/* Commit and release the lock; tx is freed either way (rolled back when
 * the commit fails). 0 or -1. */
int store_tx_commit(struct store_tx *tx, char *err, size_t errlen);
/* Roll back, release the lock and free tx. NULL-safe. */
void store_tx_rollback(struct store_tx *tx);

/* Has receiver (NULL: any receiver) a delivery of incident that is not
 * muted (it was told, or is due to be)? 1 yes, 0 no, -1. */
int store_tx_told(struct store_tx *tx, int64_t incident, const char *receiver,
    char *err, size_t errlen);
/* Queue the seq-th notification of incident for receiver with status
 * ("pending" or "muted"), due now, its payload the JSON text. The dedup key
 * (incident, receiver, seq) makes a second queueing a no-op. 1 queued, 0
 * already there, -1. */
int store_tx_delivery_queue(struct store_tx *tx, int64_t incident,
    const char *receiver, const char *event, int64_t seq, const char *status,
    int64_t now, const char *payload, char *err, size_t errlen);
/* The open incident of (rule, target), passed to fn. 1 found, 0 none, -1. */
int store_tx_incident_open_get(struct store_tx *tx, const char *rule,
    const char *target, int (*fn)(const struct incident_row *, void *),
    void *arg, char *err, size_t errlen);
/* Open an incident from v (rule, rule_type, target, severity, title,
 * summary, context, service, layer, check, slo, agent, regions,
 * regions_detail; the rest is ignored) started now, one transition; its id
 * in *id. Its cause history starts with store_tx_incident_cause. 0 or -1. */
int store_tx_incident_open(struct store_tx *tx, const struct incident_row *v,
    int64_t now, int64_t *id, char *err, size_t errlen);
/* Resolve incident id now, its notifications made now transitions;
 * summary NULL keeps the incident's own. 0 or -1 (also when no such id). */
int store_tx_incident_resolve(struct store_tx *tx, int64_t id, int64_t now,
    int64_t transitions, const char *summary, char *err, size_t errlen);
/* A new severity (or a late trigger): severity, title, summary, notified
 * now, transitions. 0 or -1. */
int store_tx_incident_update(struct store_tx *tx, int64_t id,
    const char *severity, const char *title, const char *summary, int64_t now,
    int64_t transitions, char *err, size_t errlen);
/* What open incident id says now, without a notification: title, summary
 * and the per-region lines (JSON text, NULL: none), updated now. 0 or -1
 * (also when no such id). */
int store_tx_incident_text(struct store_tx *tx, int64_t id, const char *title,
    const char *summary, const char *regions_detail, int64_t now, char *err,
    size_t errlen);
/* A new cause line of incident id at now: one row of its cause history
 * (cause, regions: JSON text of {"region", "line"} or NULL; a second row
 * at the same ms replaces the first) and the incident's context. 0 or -1
 * (also when no such id). */
int store_tx_incident_cause(struct store_tx *tx, int64_t id, int64_t now,
    const char *cause, const char *regions, char *err, size_t errlen);
/* A reminder: notified now, transitions. 0 or -1. */
int store_tx_incident_notified(struct store_tx *tx, int64_t id, int64_t now,
    int64_t transitions, char *err, size_t errlen);
/* Every open incident, by id. 0 or -1. */
int store_tx_incidents_open_each(struct store_tx *tx,
    int (*fn)(const struct incident_row *, void *), void *arg,
    char *err, size_t errlen);
/* The payload of incident's last notification (highest seq) in *payload
 * (caller frees). 1 found, 0 none (*payload NULL), -1. */
int store_tx_last_payload(struct store_tx *tx, int64_t incident,
    char **payload, char *err, size_t errlen);
/* Each receiver with a delivery of incident that was not muted, once, by
 * name (fn's string is borrowed for the call). 0 or -1. */
int store_tx_receivers_told(struct store_tx *tx, int64_t incident,
    int (*fn)(const char *receiver, void *), void *arg, char *err,
    size_t errlen);

/* ---- the delivery queue (core/store_alerts.c) ----
 *
 * Each call takes the store's write lock for one short statement or
 * transaction, so the deliverer never waits on a lock of its own nor
 * races the alerter or ingest. */

/* Claim the due deliveries (status pending, next_attempt_at <= now; the
 * most overdue first, at most limit): in one transaction they become
 * "sending" with one more attempt (last_status and last_error cleared),
 * then, the lock released, fn gets each (status "sending", attempts the
 * attempt now being made; strings borrowed for the call). A claimed
 * delivery is never claimed again: the caller ends each with
 * store_delivery_mark. Returns the number claimed, or -1 with a message in
 * err (nothing claimed, fn not called). */
int store_deliveries_claim(struct store *st, int64_t now, size_t limit,
    int (*fn)(const struct delivery_row *, void *), void *arg,
    char *err, size_t errlen);
/* Record the outcome of a claimed ("sending") delivery: status ("sent",
 * "pending" to retry, "failed"), the HTTP status (0: none), the error
 * (NULL: none), the next attempt's time (0: unchanged), the attempts made;
 * sent_at = now when "sent". 0 recorded; 1 the delivery is not "sending"
 * (nothing changed; a message in err); -1 with a message in err (nothing
 * changed; worth retrying). */
int store_delivery_mark(struct store *st, int64_t id, const char *status,
    long http, const char *error, int64_t next_at, int64_t attempts,
    int64_t now, char *err, size_t errlen);
/* The earliest next_attempt_at of a pending delivery in *at (0: none). 0
 * or -1. */
int store_deliveries_next_due(struct store *st, int64_t *at, char *err,
    size_t errlen);
/* At start: mark "failed" (last_error why) every delivery a previous run
 * left "sending", never to resend it. The number marked, or -1. */
int store_deliveries_abandon_sending(struct store *st, const char *why,
    char *err, size_t errlen);

#endif
