/* sloeng: the SLO engine. Reads the collector's rollups (never raw rows):
 * whole days from rollup_1d, whole hours from rollup_1h, the rest from
 * rollup_1m, so a 30- or 90-day window reads a few thousand rows. Shared
 * by vantage-collector (API, /metrics) and vantage-report. */
#ifndef VANTAGE_SLOENG_H
#define VANTAGE_SLOENG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "cache.h"
#include "selector.h"
#include "slo.h"
#include "errclass.h"
#include "sketch.h"

/* One group of aggregated rollups. */
struct rollup_agg {
	char		*key;		/* group value ("" when not grouped) */
	int64_t		 total, good;
	int64_t		 inconclusive;	/* results left out of total (README) */
	int64_t		 e[ERRCLASS_COUNT];
	int64_t		 ph[6];		/* dns, connect, tls, processing, transfer, total (us sums) */
	struct sketch	 sk;		/* latency of passed runs */
	int64_t		 cache[CACHE_NSTATUS];	/* results per cache status */
};

/* Columns a query may group by. */
extern const char *const sloeng_group_cols[];	/* region, layer, provider, check, agent */

/* Aggregate the rollups matching sel with buckets in [from_ms, to_ms),
 * grouped by `by` (NULL: one group; else one of sloeng_group_cols). The
 * window's start is widened to a whole minute (to a whole hour for windows
 * longer than 3d1h, which outlive the minute rollups). Returns 0 and a new array in *out
 * (free with sloeng_aggs_free), or -1 with a message in err. */
int sloeng_aggregate(sqlite3 *db, const struct selector *sel, int64_t from_ms,
    int64_t to_ms, const char *by, struct rollup_agg **out, size_t *nout,
    char *err, size_t errlen);
void sloeng_aggs_free(struct rollup_agg *v, size_t n);

/* The cache-hit ratio's numerator (hit and stale answers) and denominator
 * (answers with a known cache status) of an aggregate (README, "Cache
 * status"). */
int64_t sloeng_cache_hits(const struct rollup_agg *a);
int64_t sloeng_cache_lookups(const struct rollup_agg *a);
/* {"hit_ratio": r|null, "hits": n, "lookups": n, "statuses": {"hit": n, ...}}
 * for a; new reference. */
json_t *sloeng_cache_json(const struct rollup_agg *a);

/* Good events of an aggregate under an SLO's SLI. */
int64_t sloeng_good(const struct slo_config *slo, const struct rollup_agg *a);

/* The burn-rate windows reported for every SLO. */
#define SLOENG_NWINDOWS 7
extern const struct sloeng_window {
	const char	*name;
	int64_t		 ms;
} sloeng_windows[SLOENG_NWINDOWS];

/* The multi-window, multi-burn-rate alert pairs (DESIGN.md). */
#define SLOENG_NALERTS 4
extern const struct sloeng_alert {
	const char	*severity;
	int		 long_w, short_w;	/* indexes into sloeng_windows */
	double		 factor;
} sloeng_alerts[SLOENG_NALERTS];

/* Evaluate slo at now_ms: the JSON object the API serves (see README,
 * /api/v1/slos). detail adds the breakdown by region, layer and provider.
 * Returns a new reference, or NULL with a message in err. */
json_t *sloeng_evaluate(sqlite3 *db, const struct slo_config *slo, int64_t now_ms,
    int detail, char *err, size_t errlen);
/* JSON number for a ratio, null when NaN/infinite (no data). */
json_t *sloeng_ratio(double v);

#endif
