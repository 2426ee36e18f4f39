/* minutes: the per-minute picture vantage-report reads from the minute
 * rollups (kept retention.minute, 8 days by default) of the wanted series
 * through the store (store_series_match, store_rollup_scan_set) and sums
 * here: per service, minute, layer and region the runs and failures, the
 * state of each layer in each minute, the bad minutes and the longest run
 * of bad minutes under an SLO. The report's failover, attribution,
 * incidents and longest bad stretch read single runs (core/timeline.h)
 * while raw results are kept; this is their fallback for the part of a
 * window older than the oldest raw result.
 *
 * A layer is DOWN in a minute when more than half of the regions that
 * probed it that minute saw at least one failure (1 of 1, 2 of 2 or 3,
 * 3 of 4 or 5, ...); REGION when some did, but not that many (one agent's
 * own network, or one region's path); OK when none did; NODATA when no
 * region probed it. */
#ifndef VANTAGE_MINUTES_H
#define VANTAGE_MINUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "slo.h"
#include "store.h"

enum minutes_layer {
	MLAYER_FRONT_DOOR = 0, MLAYER_EDGE, MLAYER_CENTRAL, MLAYER_OTHER, MLAYER_COUNT
};

enum minutes_state { MSTATE_NODATA = 0, MSTATE_OK, MSTATE_REGION, MSTATE_DOWN };

#define MINUTES_MAX_REGIONS	64	/* more share the last bit (noted) */

struct minutes_cell {
	int64_t		total, bad;
	uint64_t	probing, failing;	/* region bit sets */
};

struct minutes_minute {
	int64_t			t;		/* start of the minute, Unix ms */
	struct minutes_cell	l[MLAYER_COUNT];
};

struct minutes_service {
	char			*name;		/* "" when results have none */
	struct minutes_minute	*m;		/* ascending t, only minutes with data */
	size_t			 n, alloc;
};

struct minutes {
	char			**regions;	/* bit i -> name ("" unknown), sorted */
	size_t			  nregions;
	bool			  regions_capped;
	struct minutes_service	 *svc;		/* sorted by name */
	size_t			  nsvc;
};

/* Load the minute rollups with bucket in [from_ms, to_ms) of the series of
 * service (NULL: every service). Returns 0 and a new grid in *out (free
 * with minutes_free), or -1 with a message in err. */
int minutes_load(struct store *st, const char *service, int64_t from_ms,
    int64_t to_ms, struct minutes **out, char *err, size_t errlen);
void minutes_free(struct minutes *m);
/* The state of one layer in one minute (see above). */
enum minutes_state minutes_state(const struct minutes_cell *c);
/* "front_door", "edge", "central", "other"; and back (-1 unknown). */
const char *minutes_layer_name(int layer);
int minutes_layer_index(const char *name);
/* The service's minute at t, or NULL. */
const struct minutes_minute *minutes_at(const struct minutes_service *s, int64_t t);
/* Region names of a bit set as a new JSON array (sorted). */
json_t *minutes_regions_json(const struct minutes *m, uint64_t set);
/* The earliest minute rollup in the DB (the first row of each series): 0
 * and *first_ms (-1 when there are none), or -1 with a message in err. */
int minutes_first_bucket(struct store *st, int64_t *first_ms, char *err,
    size_t errlen);

/* The longest stretch of bad minutes of one group: a bad minute holds at
 * least one result the SLO's selector picks that is bad under its SLI
 * (failed; for a latency SLI also slower than the threshold); a stretch is
 * a run of consecutive bad minutes (a minute without results ends it). */
struct minutes_stretch {
	char	*key;			/* group value ("" when not grouped) */
	int64_t	 from, to;		/* the longest stretch; from == to: none */
	int64_t	 bad, total;		/* events in it */
	int64_t	 bad_minutes;		/* bad minutes in the whole window */
};

/* Longest stretches of slo over [from_ms, to_ms) from the minute rollups,
 * grouped by `by` (NULL, region, layer, provider, check, agent or service),
 * sorted by key. A latency SLI's good runs per minute are the ones counted
 * at ingest at or under its threshold (store_row_good_le; rows from before
 * the threshold was counted answer from their sketch). Returns 0 and a new
 * array (free with minutes_stretches_free), or -1 with a message in err. */
int minutes_stretches(struct store *st, const struct slo_config *slo,
    int64_t from_ms, int64_t to_ms, const char *by,
    struct minutes_stretch **out, size_t *nout, char *err, size_t errlen);
void minutes_stretches_free(struct minutes_stretch *v, size_t n);

#endif
