/* engine: the collector's background thread. Every evaluate_every it runs
 * the SLO engine over the rollups and publishes a snapshot (the API and
 * /metrics serve it); every minute it prunes expired rows in small steps. */
#ifndef VANTAGE_ENGINE_H
#define VANTAGE_ENGINE_H

#include <jansson.h>
#include <stdint.h>

struct collector;
struct engine;

struct slo_snapshot {
	int64_t	 evaluated_at;	/* Unix ms; 0 before the first run */
	int64_t	 finished_at;	/* when that evaluation was done (staleness) */
	json_t	*slos;		/* array of SLO objects with "by" detail */
	json_t	*checks;	/* [{check, region, total, good, ratio}] over 5m */
	int	 refs;
};

/* Run one evaluation now (also used at start) and publish it. 0 or -1. */
int engine_evaluate(struct collector *c);
/* Start the thread; NULL with a message in err. */
struct engine *engine_start(struct collector *c, char *err, size_t errlen);
/* Stop the thread and wait for it. NULL-safe. */
void engine_stop(struct engine *e);
/* Take / drop a reference to the current snapshot (never NULL after
 * engine_evaluate ran once; may be NULL before). */
struct slo_snapshot *engine_snapshot(struct collector *c);
void engine_snapshot_put(struct collector *c, struct slo_snapshot *s);

#endif
