/* store_results: raw results, the newest result of each series, recent
 * outcomes and the agents table, read back as typed records
 * (core/record.h), never JSON. */
#ifndef VANTAGE_STORE_RESULTS_H
#define VANTAGE_STORE_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "selector.h"
#include "store.h"

/* One stored result with everything it owns: rec's texts point into
 * owned[], its labels into the series. record_to_json(&r->rec) gives the
 * record as it was received. Release with stored_result_clear. */
struct stored_result {
	const struct store_series	*series;
	struct record			 rec;
	char				*owned[RT_COUNT];
	/* only for the newest result of a series (store_latest_each) */
	int64_t				 fail_streak, ok_streak;
};

/* Free what r owns and zero it. NULL-safe. */
void stored_result_clear(struct stored_result *r);

/* The newest result (highest seq) of every series whose labels match sel
 * (NULL: all), in (check, agent, series id) order; fn returns non-zero to
 * stop. r is borrowed for the call. 0, or -1 with a message in err. */
int store_latest_each(struct store *st, const struct selector *sel,
    int (*fn)(const struct stored_result *r, void *arg), void *arg,
    char *err, size_t errlen);
/* Like store_latest_each, but one result per check x agent: a check x
 * agent whose labels changed has several series, and only the series
 * whose newest result is the newest (by ts, then seq) is passed. In
 * (check, agent) order. 0, or -1 with a message in err. */
int store_latest_current_each(struct store *st, const struct selector *sel,
    int (*fn)(const struct stored_result *r, void *arg), void *arg,
    char *err, size_t errlen);

/* ---- raw results ---- */

/* At most this many results per store_results_each call. */
#define STORE_RESULTS_MAX	10000

/* Which raw results store_results_each passes. */
struct results_filter {
	int64_t		 from, to;	/* ts in [from, to), Unix ms */
	const char	*check, *region, *agent;	/* NULL: any */
	int		 ok;		/* -1 any, 0 failed runs, 1 passed runs */
	size_t		 limit;		/* 1..STORE_RESULTS_MAX */
};

/* The newest f->limit raw results that f picks, newest first (ts, then
 * seq, then series descending), read from one consistent snapshot: the
 * series come from the directory (check, region, agent), the rows from
 * each series' (series, ts) key range, never a scan of the table. fn
 * returns non-zero to stop; r is borrowed for the call. 0, or -1 with a
 * message in err. */
int store_results_each(struct store *st, const struct results_filter *f,
    int (*fn)(const struct stored_result *r, void *arg), void *arg,
    char *err, size_t errlen);

/* One raw result's outcome: a run of one check by one agent, from ts to
 * ts + total_us. */
struct stored_outcome {
	int64_t		 series, ts, seq;
	int64_t		 total_us;
	bool		 ok, inconclusive;
	enum errclass	 error_class;	/* ERRCLASS_NONE when ok */
};

/* Every raw result of the nseries series that started in [from, to): fn
 * per result, series by series in the order given, each in start order (ts,
 * then seq); fn returns non-zero to stop. One snapshot for all series (the
 * per-run timelines of failover, attribution and incidents). 0, or -1
 * with a message in err. */
int store_runs_each(struct store *st, const int64_t *series, size_t nseries,
    int64_t from_ms, int64_t to_ms, int (*fn)(const struct stored_outcome *o,
    void *arg), void *arg, char *err, size_t errlen);
/* When the oldest raw result kept started (INT64_MAX when none): before
 * it, timelines fall back to minute rollups. 0, or -1. */
int store_runs_first(struct store *st, int64_t *first, char *err,
    size_t errlen);

/* The newest n results of each of the nseries series (the dashboard's
 * strips of recent outcomes), read from the (series, ts) key in
 * descending order: fn per result, the series in the order given, each
 * series' results newest first (ts, then seq); fn returns non-zero to
 * stop. One snapshot for all series. 0, or -1 with a message in err. */
int store_recent_outcomes(struct store *st, const int64_t *series,
    size_t nseries, size_t n, int (*fn)(const struct stored_outcome *o,
    void *arg), void *arg, char *err, size_t errlen);

/* ---- agents ---- */

/* What the collector knows of one agent, from its batches. Strings are
 * borrowed for the callback; NULL when never reported. Times are Unix ms,
 * 0 when unknown. */
struct agent_row {
	const char	*id, *region, *provider, *version;
	int64_t		 first_seen, last_seen, last_seq;
	int64_t		 outbox_depth, oldest_unshipped;
};

/* The agent id: 1 when known (fn, if not NULL, is called with it), 0
 * when it never sent a batch, -1 with a message in err. */
int store_agent_get(struct store *st, const char *id,
    int (*fn)(const struct agent_row *a, void *arg), void *arg,
    char *err, size_t errlen);
/* Every agent that ever sent a batch, by id; fn returns non-zero to
 * stop. 0, or -1 with a message in err. */
int store_agents_each(struct store *st,
    int (*fn)(const struct agent_row *a, void *arg), void *arg,
    char *err, size_t errlen);

#endif
