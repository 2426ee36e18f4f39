/* collector: the one context of vantage-collector, owned by main. */
#ifndef VANTAGE_COLLECTOR_H
#define VANTAGE_COLLECTOR_H

#include <pthread.h>
#include <stdint.h>

#include "collconf.h"
#include "store.h"

struct slo_snapshot;
struct ingest_metrics;
struct deliverer;

struct collector {
	struct collector_config	*conf;
	struct store		*st;
	int64_t			 started_ms;
	int64_t			 evaluate_every_ms;	/* SLO engine tick */
	volatile int		 stopping;	/* set at SIGTERM: cut evaluations short */

	/* the SLO engine's latest evaluation (api.c reads, engine.c writes) */
	pthread_mutex_t		 snap_mu;
	struct slo_snapshot	*snap;

	/* alert notifications go out through this (web/deliver.c) */
	struct deliverer	*deliver;

	/* per check x region counters and latency histograms since start */
	struct ingest_metrics	*im;

	/* ingest answers */
	pthread_mutex_t		 stat_mu;
	int64_t			 ingest_ok, ingest_rejected, ingest_unauthorized;
	int64_t			 ingest_too_large, ingest_malformed, ingest_busy;
};

#endif
