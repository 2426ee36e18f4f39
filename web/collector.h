/* collector: the one context of vantage-collector, owned by main. */
#ifndef VANTAGE_COLLECTOR_H
#define VANTAGE_COLLECTOR_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "collconf.h"
#include "store.h"

struct slo_snapshot;
struct ingest_metrics;
struct deliverer;
struct alerter;
struct engine;

struct collector {
	/* the config: read it only between collector_conf_read and
	 * collector_conf_done (SIGHUP swaps it under the write lock) */
	struct collector_config	*conf;
	pthread_rwlock_t	 conf_lock;
	struct store		*st;
	int64_t			 started_ms;
	int64_t			 evaluate_every_ms;	/* SLO engine tick */
	volatile int		 stopping;	/* set at SIGTERM: cut evaluations short */

	/* the SLO engine's latest evaluation (api.c reads, engine.c writes) */
	pthread_mutex_t		 snap_mu;
	struct slo_snapshot	*snap;
	struct engine		*eng;

	/* alert notifications go out through this (web/deliver.c) */
	struct deliverer	*deliver;
	/* the alert rules (web/alert.c), NULL without rules; set once,
	 * read by ingest (alert_wake) with __atomic_load_n */
	struct alerter		*alerter;
	bool			 curl_init;	/* curl_global_init ran */

	/* per check x region counters and latency histograms since start */
	struct ingest_metrics	*im;

	/* ingest answers */
	pthread_mutex_t		 stat_mu;
	int64_t			 ingest_ok, ingest_rejected, ingest_unauthorized;
	int64_t			 ingest_too_large, ingest_malformed, ingest_busy;
};

/* Hold the config for reading (every request, the engine's and the
 * alerter's ticks, the deliverer's turns), and let it go. Never nested. */
static inline void
collector_conf_read(struct collector *c)
{
	pthread_rwlock_rdlock(&c->conf_lock);
}

static inline void
collector_conf_done(struct collector *c)
{
	pthread_rwlock_unlock(&c->conf_lock);
}

#endif
