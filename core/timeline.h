/* timeline: what the runs themselves say, at the resolution of single runs
 * (milliseconds), for as long as the collector keeps raw results
 * (retention.raw): per service, layer and region the stretches in which a
 * layer was failing; the episodes of a layer across regions and what the
 * front door did during each; the layer each failed front-door run is
 * blamed on; the first failing layer around a moment; an SLO's longest bad
 * stretch. vantage-report's failover, attribution, incidents and slo views
 * read it; for the part of a window older than the oldest raw result they
 * fall back to the minute rollups (core/minutes.h) and say so.
 *
 * Definitions (README, "How the report counts"):
 * - A run is bad when it failed (for a latency SLI also when it took longer
 *   than the threshold), good when it passed. Inconclusive runs are
 *   neither: they are skipped (they neither start nor end a stretch, and
 *   are not counted).
 * - A failing stretch of a sequence of runs in start order starts at the
 *   start of its first bad run and ends at the start of the first good run
 *   after it; with none it is open and ends at the timeline's end.
 * - A layer fails in a region over the union of the stretches of its series
 *   there (each check run by each agent of that region).
 * - An episode of a layer is a union of those intervals across regions
 *   (intervals that overlap or touch are one episode: two failures a second
 *   apart stay two); it keeps each region's own intervals.
 * - The front door during an episode: its runs (every region) that
 *   started in it. It absorbed the episode when none of them failed.
 * - A failed front-door run is blamed on the edge origin, the central
 *   origin or both when they were failing in its region when it started,
 *   else on the front door itself.
 *
 * A timeline is built series by series (timeline_series_begin, _run,
 * _end, then timeline_finish), by timeline_load from the store or by
 * hand (the unit tests); the analyses read a finished one. */
#ifndef VANTAGE_TIMELINE_H
#define VANTAGE_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "minutes.h"	/* MLAYER_*: the layers */
#include "selector.h"
#include "slo.h"
#include "store.h"

enum tl_state { TL_GOOD = 0, TL_BAD, TL_SKIP };

/* One run as a timeline keeps it. */
struct tl_run {
	int64_t		start;		/* Unix ms */
	int64_t		total_us;
	uint32_t	region;		/* index into the timeline's regions */
	uint8_t		state;		/* enum tl_state */
};

/* [from, to), Unix ms. */
struct tl_interval {
	int64_t	from, to;
	int64_t	bad;		/* bad runs that started in it */
	bool	open;		/* still failing at the end: to is the end */
};

/* The failing intervals of one layer in one region, by from, disjoint. */
struct tl_intervals {
	struct tl_interval	*v;
	size_t			 n, alloc;
};

struct timeline {
	char			 *service;
	int64_t			  from, to;	/* runs that started in [from, to) */
	char			**regions;	/* sorted once finished ("" unknown) */
	size_t			  nregions;
	struct tl_run		 *runs[MLAYER_COUNT];	/* per layer, by start */
	size_t			  nruns[MLAYER_COUNT];
	/* per region, per layer: lr[region][layer] */
	struct tl_intervals	(*lr)[MLAYER_COUNT];
	/* building */
	size_t			  aregions, aruns[MLAYER_COUNT];
	int			  cur_layer;	/* -1: no series open */
	uint32_t		  cur_region;
	size_t			  cur_first;
	bool			  finished;
};

/* ---- building ---- */

/* A new, empty timeline of service (copied; NULL is "") for the runs
 * that started in [from, to). Free with timeline_free. */
struct timeline *timeline_new(const char *service, int64_t from, int64_t to);
/* The index of region (added when new; NULL is ""). Indexes change when
 * the timeline is finished (regions are sorted then). */
uint32_t timeline_region(struct timeline *tl, const char *region);
/* Begin the runs of one series (one check by one agent): its layer
 * (MLAYER_*) and region. Ends the series before, if one is open. */
void timeline_series_begin(struct timeline *tl, int layer, const char *region);
/* One run of the open series, in start order; runs outside [from, to)
 * are ignored. */
void timeline_series_run(struct timeline *tl, int64_t start, int64_t total_us,
    bool ok, bool inconclusive);
/* End the open series: its failing stretches join its layer and region. */
void timeline_series_end(struct timeline *tl);
/* Sort the regions and the runs and merge each layer's and region's
 * intervals; the timeline is then read-only. Idempotent. */
void timeline_finish(struct timeline *tl);
/* Free tl and everything in it. NULL-safe. */
void timeline_free(struct timeline *tl);

/* ---- pure functions over runs and intervals ---- */

/* The failing stretches of n runs in start order (one sequence; the
 * state of each run is its verdict): a new array in *out (caller frees;
 * NULL when none) and the count. An open stretch ends at end. */
size_t timeline_stretches(const struct tl_run *v, size_t n, int64_t end,
    struct tl_interval **out);
/* Merge v[0..n) in place into disjoint intervals by from (overlapping or
 * touching ones become one; bad adds up, open is kept); the new count. */
size_t timeline_union(struct tl_interval *v, size_t n);
/* The longest failing stretch of n runs in start order (the runs of one
 * group, every series merged by time), the earliest of equals, into *out.
 * false when no run is bad. */
bool timeline_longest(const struct tl_run *v, size_t n, int64_t end,
    struct tl_interval *out);

/* ---- analyses of a finished timeline ---- */

/* The intervals layer failed in region (never NULL). */
const struct tl_intervals *timeline_intervals(const struct timeline *tl,
    int layer, uint32_t region);
/* Was layer failing in region at t? */
bool timeline_failing_at(const struct timeline *tl, int layer, uint32_t region,
    int64_t t);

/* One region's interval within an episode. */
struct tl_part {
	uint32_t		region;
	struct tl_interval	iv;
};

#define TL_NOT_RECOVERED	INT64_MAX

/* An episode of a layer and the front door during it. */
struct tl_episode {
	int			 layer;
	struct tl_interval	 iv;		/* the union over regions */
	struct tl_part		*parts;		/* by from, then region */
	size_t			 nparts;
	int64_t			 total;		/* runs of the layer that started in it */
	int64_t			 fd_total, fd_bad;	/* front-door runs started in it */
	int64_t			*fd_total_r, *fd_bad_r;	/* the same per region */
	/* when the front door was passing again in every region whose
	 * failing stretch held a front-door failure of the episode (the end
	 * of the latest such stretch); -1 without a front-door failure,
	 * TL_NOT_RECOVERED while one of them is still open */
	int64_t			 recovered_at;
	/* the front door's passed runs in it, their total_us ascending
	 * (latency), and in the baseline_ms before it */
	int64_t			*fd_us, *base_us;
	size_t			 nfd_us, nbase_us;
};

/* The episodes of layer, by start: a new array in *out (free with
 * timeline_episodes_free) and the count. The front door's passed runs
 * in the baseline_ms before each episode go to base_us. */
size_t timeline_episodes(const struct timeline *tl, int layer,
    int64_t baseline_ms, struct tl_episode **out);
/* Free n episodes and the array. NULL-safe. */
void timeline_episodes_free(struct tl_episode *v, size_t n);
/* The q-quantile (0..1, nearest rank) of n ascending values in ms; NaN
 * when n is 0. */
double timeline_quantile_ms(const int64_t *us, size_t n, double q);

enum tl_cause {
	TL_CAUSE_FRONT_DOOR = 0, TL_CAUSE_EDGE, TL_CAUSE_CENTRAL, TL_CAUSE_BOTH,
	TL_CAUSE_COUNT
};

/* "front_door", "edge", "central", "all". */
const char *timeline_cause_name(enum tl_cause c);

/* One failed front-door run and what it is blamed on. */
struct tl_blame {
	int64_t		at;		/* its start */
	uint32_t	region;
	enum tl_cause	cause;
};

/* Every failed front-door run that started in [from, to), by start, with
 * its cause: a new array in *out (caller frees; NULL when none) and the
 * count. */
size_t timeline_blame(const struct timeline *tl, int64_t from, int64_t to,
    struct tl_blame **out);

/* The first failure of the spell of failures around at: the union of every
 * layer's intervals in every region, the spell that holds at, else the
 * last that ended in [at - lookback, at), else the first that starts in
 * [at, at + ahead). Returns the layers (bit 1 << MLAYER_*) whose interval
 * starts it, its start in *first; 0 (and *first -1) without one. */
unsigned timeline_first_failure(const struct timeline *tl, int64_t at,
    int64_t lookback, int64_t ahead, int64_t *first);

/* ---- from the store ---- */

/* One finished timeline per service (by name) of the series sel picks
 * (NULL: all) with runs that started in [from, to): a new array in *out
 * (free with timeline_list_free) and its length in *nout. 0, or -1 with a
 * message in err. */
int timeline_load(struct store *st, const struct selector *sel, int64_t from,
    int64_t to, struct timeline ***out, size_t *nout, char *err, size_t errlen);
/* Free n timelines and the array. NULL-safe. */
void timeline_list_free(struct timeline **v, size_t n);

/* The longest bad stretch of one group of an SLO at run resolution. */
struct tl_group_stretch {
	char			*key;		/* the group's value ("" when not grouped) */
	struct tl_interval	 longest;	/* bad: runs in it */
	bool			 any;		/* a bad run at all */
};

/* The longest bad stretch of slo over the runs that started in [from, to),
 * per group by `by` (NULL, region, layer, provider, check, agent or
 * service; only groups with runs), sorted by key: bad runs are the failed
 * ones and, for a latency SLI, those slower than its threshold. A new
 * array in *out (free with timeline_group_stretches_free), its length in
 * *nout. 0, or -1 with a message in err. */
int timeline_slo_stretches(struct store *st, const struct slo_config *slo,
    int64_t from, int64_t to, const char *by, struct tl_group_stretch **out,
    size_t *nout, char *err, size_t errlen);
/* Free n group stretches (their keys) and the array. NULL-safe. */
void timeline_group_stretches_free(struct tl_group_stretch *v, size_t n);

#endif
