/* slo: error-budget arithmetic (DESIGN.md, SLO engine): pure functions,
 * tested against the SRE workbook's burn-rate table. */
#ifndef VANTAGE_SLO_H
#define VANTAGE_SLO_H

#include <stdbool.h>
#include <stdint.h>

#include "selector.h"

enum sli_kind { SLI_AVAILABILITY = 0, SLI_LATENCY };

/* One SLO of the collector config: an objective over a window for the
 * results its selector picks. */
struct slo_config {
	char		*name;
	double		 objective;	/* ratio: 99.95 in the file -> 0.9995 */
	int64_t		 window_ms;
	enum sli_kind	 sli;
	int64_t		 threshold_us;	/* latency SLI: good = ok and total <= this */
	struct selector	 sel;
};

/* objective is a ratio (0.9995), not a percentage. */

/* good / total; NaN when total is 0 (no data is not 100 %). */
double slo_availability(int64_t good, int64_t total);
/* Allowed bad events: (1 - objective) * total. */
double slo_budget(double objective, int64_t total);
/* 1 - bad / budget: 1 untouched, 0 spent, negative overspent; NaN if
 * total is 0. */
double slo_budget_remaining(double objective, int64_t good, int64_t total);
/* (bad / total) / (1 - objective); NaN if total is 0. */
double slo_burn_rate(double objective, int64_t good, int64_t total);
/* Share of a window_s-long SLO budget consumed by burning at rate for
 * alert_s seconds: rate * alert_s / window_s (0.02 = 2 %). */
double slo_budget_consumed(double rate, int64_t alert_s, int64_t window_s);
/* How many more bad events (at the window's current rate of events) make
 * the burn rate over a window exceed factor: the smallest x with
 * (bad + x) / (total + x) > factor * (1 - objective). Returns 0 if it is
 * already exceeded, -1 if it can never be (factor * (1 - objective) >= 1). */
int64_t slo_failures_to_trigger(double objective, double factor,
    int64_t good, int64_t total);

#endif
