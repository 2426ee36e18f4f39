/* engine: the collector's background thread. Every evaluate_every it runs
 * the SLO engine (core/sloeng.c: incremental after the first, cold,
 * evaluation) and publishes the result as a snapshot that the API,
 * /metrics and the alert rules read; every minute it prunes expired rows
 * in small steps. */
#ifndef VANTAGE_ENGINE_H
#define VANTAGE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "sloeng.h"

struct collector;
struct engine;

struct slo_snapshot {
	int64_t		 evaluated_at;	/* Unix ms of the evaluation shown */
	int64_t		 finished_at;	/* when it was done (staleness) */
	struct slo_eval	*ev;		/* the SLOs and check ratios */
	int		 refs;
};

/* A new engine for c, with no thread yet (tests call engine_evaluate). It
 * receives every committed ingest batch from now on. */
struct engine *engine_new(struct collector *c);
/* engine_new and start its thread (it evaluates at once); NULL with a
 * message in err. */
struct engine *engine_start(struct collector *c, char *err, size_t errlen);
/* Stop the thread if it runs (an evaluation in flight gives up), and free.
 * NULL-safe. */
void engine_stop(struct engine *e);
/* Evaluate now, in the caller's thread, and publish (tests). 0 or -1. */
int engine_evaluate(struct collector *c, struct engine *e);
/* The collector config changed (SIGHUP): the next evaluation rebuilds the
 * engine from c->conf and reads every window again. */
void engine_reconfigure(struct engine *e);
/* The last error of the engine (a copy into out; "" when the last
 * evaluation succeeded) and when it happened. */
void engine_error(struct engine *e, char *out, size_t outlen, int64_t *at);
/* Take / drop a reference to the current snapshot (NULL before the first
 * evaluation finished). */
struct slo_snapshot *engine_snapshot(struct collector *c);
void engine_snapshot_put(struct collector *c, struct slo_snapshot *s);
/* good/total of slo over the window of window_ms that ended at the last
 * evaluation (*evaluated_at), from the current snapshot: 0, or -1 when
 * there is none yet or the engine keeps no such window for that SLO. */
int engine_window(struct collector *c, const struct slo_config *slo,
    int64_t window_ms, int64_t *good, int64_t *total, int64_t *evaluated_at);
/* Every window length the engine must keep for c's config: each burn-rate
 * rule's pairs, scaled to its SLO. A new array (caller frees); count in *n. */
int64_t *engine_rule_windows(const struct collector *c, size_t *n);

#endif
