/* alert: the rule engine. It evaluates the rules whose verdict runs decide
 * (check_down, latency, cert_expiry, cache_hit_drop) as soon as ingest has
 * stored a batch (alert_wake), and every rule on a fixed tick, from the
 * rollups, the per-series streaks, the newest runs (the cause of an
 * incident, web/alert_cause.h) and the SLO engine's last evaluation; then
 * opens, updates and resolves incidents, keeps what each one says true
 * while it is open (title, summary, cause and its history), and queues one
 * delivery per notification per receiver for web/deliver.c, in one short
 * transaction on the store's writer (core/store_alerts.h). */
#ifndef VANTAGE_ALERT_H
#define VANTAGE_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct collector;
struct alerter;

/* The alerter of c (its store c->st, open read-write); NULL with a message
 * in err. Free with alert_free. */
struct alerter *alert_new(struct collector *c, char *err, size_t errlen);
/* Evaluate every rule at now_ms and record transitions. The caller keeps
 * a->c's config in place meanwhile (the alerter's thread holds
 * collector_conf_read). Returns the number of transitions, or -1 with a
 * message in err. */
int alert_evaluate(struct alerter *a, int64_t now_ms, char *err, size_t errlen);
/* The same for the rules results decide only (check_down, latency,
 * cert_expiry, cache_hit_drop): what the thread runs after alert_wake. */
int alert_evaluate_runs(struct alerter *a, int64_t now_ms, char *err,
    size_t errlen);
/* Results were stored: evaluate the rules they decide soon. Cheap, never
 * blocks on an evaluation; wake-ups while one runs make one more after it,
 * not one each. NULL-safe; any thread. */
void alert_wake(struct alerter *a);
/* Wake-ups, run-driven and tick evaluations made since alert_new. */
void alert_counters(struct alerter *a, int64_t *wakes, int64_t *runs,
    int64_t *ticks);
/* Start / stop the thread (run-driven evaluations and the alerts.tick). */
int alert_start(struct alerter *a, char *err, size_t errlen);
void alert_stop(struct alerter *a);
/* Free (stop first). NULL-safe. */
void alert_free(struct alerter *a);

#endif
