/* slojson: the JSON form of SLO numbers, made only where they leave the
 * process (the collector's API, vantage-report). */
#ifndef VANTAGE_SLOJSON_H
#define VANTAGE_SLOJSON_H

#include <jansson.h>

#include "sketch.h"
#include "sloeng.h"

/* A ratio as a JSON number, null when NaN or infinite (no data). New
 * reference. */
json_t *slojson_ratio(double v);
/* {"p50_ms", "p90_ms", "p95_ms", "p99_ms"} of a latency sketch, or null
 * when it is empty. New reference. */
json_t *slojson_latency(const struct sketch *sk);

/* The API's object for one SLO (README, /api/v1/slos); detail adds the
 * breakdowns ("by": region, layer, provider). New reference. */
json_t *slojson_result(const struct slo_result *r, bool detail);

#endif
