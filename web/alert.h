/* alert: the rule engine. On a fixed tick it evaluates every rule from the
 * rollups and the per-check streaks (never by scanning raw rows), opens,
 * updates and resolves incidents in SQLite, and queues one delivery per
 * transition per receiver for web/deliver.c. Owns its own connection to
 * the collector DB (incidents and deliveries tables). */
#ifndef VANTAGE_ALERT_H
#define VANTAGE_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct collector;
struct alerter;

/* Open the alerter on c's DB; NULL with a message in err. */
struct alerter *alert_new(struct collector *c, char *err, size_t errlen);
/* Evaluate every rule at now_ms and record transitions. Returns the number
 * of transitions, or -1 with a message in err. */
int alert_evaluate(struct alerter *a, int64_t now_ms, char *err, size_t errlen);
/* Start / stop the tick thread (alerts.tick). */
int alert_start(struct alerter *a, char *err, size_t errlen);
void alert_stop(struct alerter *a);
/* Free (stop first). NULL-safe. */
void alert_free(struct alerter *a);

/* The layer-aware sentence for an incident on `layer` of `service`, from
 * the other layers' 5-minute availability; NULL when it cannot tell.
 * Caller frees. (db: any connection with the sketch functions.) */
struct sqlite3;
char *alert_layer_context(struct sqlite3 *db, const char *service,
    const char *layer, int64_t now_ms);

#endif
