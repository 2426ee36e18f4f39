/* rollup: aggregates over the rollups of many series and a time range,
 * grouped by labels and/or by step (the API's series, the cache view,
 * alert rules, burndown, the report's views). Whole days come from
 * rollup_1d, whole hours from rollup_1h, the rest from rollup_1m; the
 * tiers agree to the last count, so the split never changes a number. */
#ifndef VANTAGE_ROLLUP_H
#define VANTAGE_ROLLUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "errclass.h"
#include "selector.h"
#include "sketch.h"
#include "slo.h"
#include "store.h"

/* Group-by dimensions; OR them. 0: one group. */
enum rollup_dim {
	ROLLUP_BY_CHECK = 1 << 0, ROLLUP_BY_AGENT = 1 << 1,
	ROLLUP_BY_REGION = 1 << 2, ROLLUP_BY_LAYER = 1 << 3,
	ROLLUP_BY_PROVIDER = 1 << 4, ROLLUP_BY_SERVICE = 1 << 5,
	ROLLUP_BY_STEP = 1 << 6		/* per step_ms from the range's start */
};

struct rollup_query {
	const struct selector	*sel;		/* NULL: every series */
	int64_t			 from, to;	/* [from, to), Unix ms */
	unsigned		 by;		/* enum rollup_dim */
	int64_t			 step_ms;	/* with ROLLUP_BY_STEP (a whole number of minutes) */
	bool			 minutes_only;	/* read rollup_1m only (per-minute views) */
	bool			 want_sketch;	/* merge the latency sketches */
	const int64_t		*thr_us;	/* count passed runs at or under each */
	size_t			 nthr;
};

/* One group. The label pointers are the series directory's (valid until
 * store_close); NULL when not grouped by it (or the label is absent). */
struct rollup_agg {
	const char	*check, *agent, *region, *layer, *provider, *service;
	int64_t		 step;		/* start of the step (ROLLUP_BY_STEP) */
	int64_t		 total, good, inconclusive;
	int64_t		 e[ERRCLASS_COUNT];
	int64_t		 ph[6];		/* dns, connect, tls, processing, transfer, total (us sums) */
	int64_t		 cache[CACHE_NSTATUS];
	int64_t		*thr_good;	/* per query threshold (nthr) */
	/* per threshold: rows before this time answered from the sketch (not
	 * counted at ingest); INT64_MIN when every row was exact */
	int64_t		*approx_before;
	struct sketch	 sk;		/* latency of the passed runs (want_sketch) */
};

/* Where [from, to) starts after the widening every aggregate applies: to
 * a whole minute, or to a whole hour for windows longer than 3d1h (they
 * outlive the minute rollups). */
int64_t rollup_window_start(int64_t from, int64_t to);

/* Run q on st (c: a connection in a read transaction, or NULL to borrow
 * one). For a few hundred groups at most: per-minute views scan the rows
 * themselves (store_rollup_scan). Groups come sorted by check, agent, region, layer, provider,
 * service (NULL first), then step. Returns 0 and a new array in *out
 * (free with rollup_aggs_free; NULL when no row matched), or -1 with a
 * message in err. */
int rollup_aggregate(struct store *st, struct store_conn *c,
    const struct rollup_query *q, struct rollup_agg **out, size_t *nout,
    char *err, size_t errlen);
void rollup_aggs_free(struct rollup_agg *v, size_t n);

/* Parse a group-by name ("region", "layer", "provider", "check", "agent",
 * "service", "check_region"); -1 when unknown. */
int rollup_dim_parse(const char *name);
/* The group's label for one dimension (NULL: absent). */
const char *rollup_agg_label(const struct rollup_agg *a, enum rollup_dim d);

/* Good events of a group under an SLO's SLI: passed runs, or for a
 * latency SLI those at or under its threshold, which must be one of the
 * query's thresholds (else -1). */
int64_t rollup_good(const struct rollup_agg *a, const struct rollup_query *q,
    const struct slo_config *slo);
/* Cache-hit numerator (hit and stale answers) and denominator (answers
 * with a known cache status) of a group (README, "Cache status"). */
int64_t rollup_cache_hits(const struct rollup_agg *a);
int64_t rollup_cache_lookups(const struct rollup_agg *a);

#endif
