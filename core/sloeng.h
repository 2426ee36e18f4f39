/* sloeng: the SLO engine. It keeps, per series and per window (the burn-
 * rate windows, every SLO's window, every burn-rate rule's windows), the
 * running sums of the minutes inside that window: total, good, failures
 * left out as inconclusive, passed runs at or under each latency
 * threshold, cache hits, and for SLO windows the latency sketch. A cold
 * evaluation reads each window once from the rollups; after that an
 * evaluation applies what ingest committed since (every batch reports its
 * per-minute deltas, late results included) and subtracts the minutes
 * that left each window, so it reads a few rows per series instead of a
 * month. Every SLO, breakdown, burn rate and "failures to trigger" is then
 * summed over the series in memory. Results are C structs; JSON is made at
 * the edges (core/slojson.c). */
#ifndef VANTAGE_SLOENG_H
#define VANTAGE_SLOENG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slo.h"
#include "store.h"

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

/* Latency percentiles of the passed runs (count 0: none). */
struct slo_latency {
	int64_t		count;
	double		p50_ms, p90_ms, p95_ms, p99_ms;
};

/* The numbers of one SLO, or of one group of its breakdown. */
struct slo_numbers {
	int64_t			good, total, inconclusive;	/* over the SLO window */
	double			burn_window;	/* over the SLO window; NaN no data */
	int64_t			wgood[SLOENG_NWINDOWS], wtotal[SLOENG_NWINDOWS];
	double			burn[SLOENG_NWINDOWS];	/* NaN: no data */
	struct slo_latency	latency;	/* over the SLO window */
};

struct slo_group {
	char			*key;		/* the region, layer or provider ("" none) */
	struct slo_numbers	 n;
};

struct slo_alert_state {
	double		burn_long, burn_short;	/* NaN: no data */
	bool		firing;
	int64_t		failures_to_trigger;	/* -1: it never can */
};

/* The breakdowns of every SLO. */
enum slo_dim { SLO_BY_REGION = 0, SLO_BY_LAYER, SLO_BY_PROVIDER, SLO_NDIMS };
extern const char *const slo_dim_names[SLO_NDIMS];

struct slo_result {
	struct slo_config	 conf;		/* a copy (owned) */
	int64_t			 evaluated_at;	/* the window ends here (Unix ms) */
	int64_t			 window_from;	/* and starts here (aligned) */
	struct slo_numbers	 n;
	/* latency SLI: rows before this time were answered from the sketch
	 * (the threshold was not counted then); INT64_MIN: all exact */
	int64_t			 approximate_before;
	struct slo_alert_state	 alerts[SLOENG_NALERTS];
	struct slo_group	*by[SLO_NDIMS];
	size_t			 nby[SLO_NDIMS];
	/* every window the engine keeps (sloeng_eval's windows), good/total */
	int64_t			*xgood, *xtotal;
};

/* One check x region over the last 5 minutes (/metrics). */
struct check_ratio {
	char		*check, *region;
	int64_t		 total, good, hits, lookups;
};

/* One evaluation: what the API, /metrics and the alert rules read. */
struct slo_eval {
	int64_t			 evaluated_at, finished_at;
	bool			 cold;		/* read whole windows from the DB */
	struct slo_result	*slos;
	size_t			 nslos;
	struct check_ratio	*checks;
	size_t			 nchecks;
	int64_t			*windows;	/* every window length kept (ms) */
	size_t			 nwindows;
	/* what the evaluation read */
	int64_t			 rows_read, deltas_applied;
};

/* What the engine computes: the SLOs and any further windows (burn-rate
 * rules' pairs). The SLOs are copied. */
struct sloeng_conf {
	const struct slo_config	*slos;
	size_t			 nslos;
	const int64_t		*extra_windows;	/* ms */
	size_t			 nextra;
};

struct sloeng;

/* A new engine over st for conf. With hook, it registers itself as st's
 * delta hook (one engine per store) and evaluates incrementally; without,
 * every evaluation is cold (vantage-report, tests). Free with
 * sloeng_free. */
struct sloeng *sloeng_new(struct store *st, const struct sloeng_conf *conf,
    bool hook);
/* Unregister and free. NULL-safe. */
void sloeng_free(struct sloeng *e);
/* Evaluate at now_ms. *stop (may be NULL) turning non-zero makes a long
 * evaluation give up (-1, "stopped"). Returns a new evaluation in *out
 * (free with slo_eval_free), or -1 with a message in err. */
int sloeng_evaluate(struct sloeng *e, int64_t now_ms, volatile int *stop,
    struct slo_eval **out, char *err, size_t errlen);
/* Force the next evaluation to read everything again. */
void sloeng_invalidate(struct sloeng *e);
void slo_eval_free(struct slo_eval *ev);

/* Look up an SLO's result by name (NULL: none). */
const struct slo_result *slo_eval_find(const struct slo_eval *ev, const char *name);
/* good/total of the SLO over the window of window_ms ending at
 * evaluated_at. 0, or -1 when the engine does not keep that window. */
int slo_eval_window(const struct slo_eval *ev, const struct slo_result *r,
    int64_t window_ms, int64_t *good, int64_t *total);

/* Where a window of length window_ms ending at now starts: on a whole
 * minute, or a whole hour for windows longer than 3d1h. */
int64_t sloeng_window_start(int64_t now_ms, int64_t window_ms);

#endif
