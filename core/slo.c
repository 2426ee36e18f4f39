/* slo: availability, error budget and burn rate. */
#include "config.h"

#include <math.h>

#include "slo.h"

double
slo_availability(int64_t good, int64_t total)
{
	return total > 0 ? (double)good / (double)total : NAN;
}

double
slo_budget(double objective, int64_t total)
{
	return (1.0 - objective) * (double)total;
}

double
slo_budget_remaining(double objective, int64_t good, int64_t total)
{
	double budget = slo_budget(objective, total);

	if (total <= 0)
		return NAN;
	if (budget <= 0)
		return good == total ? 1.0 : -INFINITY;
	return 1.0 - (double)(total - good) / budget;
}

double
slo_burn_rate(double objective, int64_t good, int64_t total)
{
	if (total <= 0)
		return NAN;
	if (objective >= 1.0)
		return good == total ? 0.0 : INFINITY;
	return ((double)(total - good) / (double)total) / (1.0 - objective);
}

double
slo_budget_consumed(double rate, int64_t alert_s, int64_t window_s)
{
	return window_s > 0 ? rate * (double)alert_s / (double)window_s : NAN;
}

int64_t
slo_failures_to_trigger(double objective, double factor, int64_t good, int64_t total)
{
	double t = factor * (1.0 - objective), bad = (double)(total - good), x;

	if (t >= 1.0)
		return -1;
	if (total > 0 && bad / (double)total > t)
		return 0;
	/* (bad + x) / (total + x) > t  <=>  x > (t * total - bad) / (1 - t) */
	x = floor((t * (double)total - bad) / (1.0 - t)) + 1;
	return x < 1 ? 1 : (int64_t)x;
}
