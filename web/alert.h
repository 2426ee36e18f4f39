/* alert: the rule engine. On a fixed tick it evaluates every rule from the
 * rollups, the per-series streaks and the SLO engine's last evaluation
 * (never by scanning raw rows), then opens, updates and resolves incidents
 * and queues one delivery per transition per receiver for web/deliver.c,
 * in one short transaction on the store's writer (core/store_alerts.h). */
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
 * a->c's config in place meanwhile (the tick thread holds
 * collector_conf_read). Returns the number of transitions, or -1 with a
 * message in err. */
int alert_evaluate(struct alerter *a, int64_t now_ms, char *err, size_t errlen);
/* Start / stop the tick thread (alerts.tick). */
int alert_start(struct alerter *a, char *err, size_t errlen);
void alert_stop(struct alerter *a);
/* Free (stop first). NULL-safe. */
void alert_free(struct alerter *a);

/* The layer-aware sentence for an incident on `layer` of `service`, from
 * the other layers' availability over the 2 minutes before now_ms (the
 * rollups of st); NULL when it cannot tell. Caller frees. */
struct store;
char *alert_layer_context(struct store *st, const char *service,
    const char *layer, int64_t now_ms);

#endif
