/* slojson: SLO numbers as JSON. */
#include "config.h"

#include <math.h>

#include "slojson.h"
#include "timeutil.h"

json_t *
slojson_ratio(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *
slojson_latency(const struct sketch *sk)
{
	if (sk == NULL || sk->count == 0)
		return json_null();
	return json_pack("{s:f,s:f,s:f,s:f}",
	    "p50_ms", sketch_quantile(sk, 0.50) / 1000.0,
	    "p90_ms", sketch_quantile(sk, 0.90) / 1000.0,
	    "p95_ms", sketch_quantile(sk, 0.95) / 1000.0,
	    "p99_ms", sketch_quantile(sk, 0.99) / 1000.0);
}

static json_t *
latency_json(const struct slo_latency *l)
{
	if (l->count == 0)
		return json_null();
	return json_pack("{s:f,s:f,s:f,s:f}", "p50_ms", l->p50_ms, "p90_ms",
	    l->p90_ms, "p95_ms", l->p95_ms, "p99_ms", l->p99_ms);
}

/* good, total, availability, budget, burn rates and latency of n */
static void
numbers_json(json_t *o, const struct slo_config *slo, const struct slo_numbers *n)
{
	json_t *rates = json_object();

	json_object_set_new(o, "good", json_integer(n->good));
	json_object_set_new(o, "total", json_integer(n->total));
	json_object_set_new(o, "availability",
	    slojson_ratio(slo_availability(n->good, n->total)));
	json_object_set_new(o, "error_budget",
	    json_real(slo_budget(slo->objective, n->total)));
	json_object_set_new(o, "budget_remaining", slojson_ratio(
	    slo_budget_remaining(slo->objective, n->good, n->total)));
	for (int w = 0; w < SLOENG_NWINDOWS; w++)
		json_object_set_new(rates, sloeng_windows[w].name,
		    slojson_ratio(n->burn[w]));
	json_object_set_new(rates, "window", slojson_ratio(n->burn_window));
	json_object_set_new(o, "burn_rates", rates);
	json_object_set_new(o, "latency", latency_json(&n->latency));
}

json_t *
slojson_result(const struct slo_result *r, bool detail)
{
	const struct slo_config *slo = &r->conf;
	json_t *o, *alerts = json_array();
	char wname[32];

	o = json_pack("{s:s,s:f,s:s,s:I,s:s,s:o}",
	    "name", slo->name, "objective", slo->objective,
	    "window", duration_format(slo->window_ms, wname, sizeof(wname)),
	    "window_ms", (json_int_t)slo->window_ms,
	    "sli", slo->sli == SLI_LATENCY ? "latency" : "availability",
	    "selector", selector_json(&slo->sel));
	if (slo->sli == SLI_LATENCY)
		json_object_set_new(o, "threshold_ms",
		    json_real((double)slo->threshold_us / 1000.0));
	json_object_set_new(o, "evaluated_at", json_integer(r->evaluated_at));
	json_object_set_new(o, "window_from", json_integer(r->window_from));
	numbers_json(o, slo, &r->n);
	/* failures the agents judged inconclusive: shown, never counted */
	json_object_set_new(o, "inconclusive", json_integer(r->n.inconclusive));
	if (r->approximate_before != INT64_MIN)
		json_object_set_new(o, "approximate_before",
		    json_integer(r->approximate_before));
	for (int i = 0; i < SLOENG_NALERTS; i++) {
		const struct sloeng_alert *al = &sloeng_alerts[i];
		const struct slo_alert_state *a = &r->alerts[i];

		json_array_append_new(alerts, json_pack("{s:s,s:s,s:s,s:f,s:o,s:o,s:b,s:o}",
		    "severity", al->severity,
		    "long", sloeng_windows[al->long_w].name,
		    "short", sloeng_windows[al->short_w].name,
		    "factor", al->factor,
		    "burn_long", slojson_ratio(a->burn_long),
		    "burn_short", slojson_ratio(a->burn_short),
		    "firing", a->firing,
		    "failures_to_trigger", a->failures_to_trigger < 0 ? json_null() :
			json_integer(a->failures_to_trigger)));
	}
	json_object_set_new(o, "alerts", alerts);
	if (detail) {
		json_t *by = json_object();

		for (int d = 0; d < SLO_NDIMS; d++) {
			json_t *arr = json_array();

			for (size_t k = 0; k < r->nby[d]; k++) {
				json_t *g = json_pack("{s:s}", "key", r->by[d][k].key);

				numbers_json(g, slo, &r->by[d][k].n);
				json_array_append_new(arr, g);
			}
			json_object_set_new(by, slo_dim_names[d], arr);
		}
		json_object_set_new(o, "by", by);
	}
	return o;
}
