/* scenario: scripted outages, as runs (see scenario.h). */
#include "config.h"

#include <stdlib.h>

#include "scenario.h"

const char *const scen_layers[SCEN_NLAYERS] = { "front_door", "edge", "central" };
const char *const scen_checks[SCEN_NLAYERS] = { "web-front", "web-edge", "web-central" };
const char *const scen_providers[SCEN_NLAYERS] = { "cdn", "workers", "lambda" };
const char *const scen_regions[SCEN_NREGIONS] = { "ap-south", "eu-central", "us-east" };
const char *const scen_agents[SCEN_NREGIONS] = { "sc-ap", "sc-eu", "sc-us" };

enum { FD = 0, EDGE = 1, CENTRAL = 2 };

const struct scenario scenarios[] = {
	{ "edge-then-front",
	  "the edge origin is down for 60 s (the front door fails over: no front "
	  "door failure); 4 s after it recovers the front door itself breaks for "
	  "30 s while both origins are healthy",
	  240000, 2000,
	  { { EDGE, -1, 60000, 120000 }, { FD, -1, 124000, 154000 } }, 2 },
	{ "origins-down",
	  "the edge and the central origin are down together for 40 s and the "
	  "front door fails with them",
	  180000, 2000,
	  { { EDGE, -1, 60000, 100000 }, { CENTRAL, -1, 60000, 100000 },
	    { FD, -1, 61000, 101000 } }, 3 },
	{ "front-flapping",
	  "the front door is down 10 s of every 20 s for 100 s, origins healthy",
	  180000, 2000,
	  { { FD, -1, 40000, 50000 }, { FD, -1, 60000, 70000 },
	    { FD, -1, 80000, 90000 }, { FD, -1, 100000, 110000 },
	    { FD, -1, 120000, 130000 } }, 5 },
	{ "blip-one-region",
	  "the front door fails in ap-south only, for less than one check "
	  "interval: exactly one failed run",
	  120000, 5000,
	  { { FD, 0, 60000, 61000 } }, 1 },
};
const size_t nscenarios = sizeof(scenarios) / sizeof(scenarios[0]);

bool
scenario_down(const struct scenario *sc, int layer, int region, int64_t t_ms)
{
	for (size_t i = 0; i < sc->ndowns; i++) {
		const struct scen_down *d = &sc->downs[i];

		if (d->layer == layer && (d->region < 0 || d->region == region) &&
		    t_ms >= d->from_ms && t_ms < d->to_ms)
			return true;
	}
	return false;
}

static int
cmp_run(const void *pa, const void *pb)
{
	const struct scen_run *a = pa, *b = pb;

	if (a->t_ms != b->t_ms)
		return a->t_ms < b->t_ms ? -1 : 1;
	if (a->layer != b->layer)
		return a->layer - b->layer;
	return a->region - b->region;
}

struct scen_run *
scenario_runs(const struct scenario *sc, size_t *n)
{
	size_t per = (size_t)(sc->length_ms / sc->interval_ms) + 1, k = 0;
	struct scen_run *v = calloc(per * SCEN_NLAYERS * SCEN_NREGIONS + 1, sizeof(*v));

	if (v == NULL)
		abort();
	for (int l = 0; l < SCEN_NLAYERS; l++)
		for (int r = 0; r < SCEN_NREGIONS; r++)
			for (int64_t t = l * 300 + r * 100; t < sc->length_ms;
			    t += sc->interval_ms) {
				struct scen_run *x = &v[k++];

				x->layer = l;
				x->region = r;
				x->t_ms = t;
				x->ok = !scenario_down(sc, l, r, t);
				/* a failed run is a timeout of about a second */
				x->total_us = x->ok ? 40000 + 1000 * l + 100 * r : 1000000;
			}
	qsort(v, k, sizeof(*v), cmp_run);
	*n = k;
	return v;
}

json_t *
scenario_record(const struct scen_run *r, int64_t base_ms, int64_t seq)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:b,s:s?,s:s?,"
	    "s:o,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i}",
	    "check", scen_checks[r->layer], "kind", "http", "service", SCEN_SERVICE,
	    "layer", scen_layers[r->layer], "provider", scen_providers[r->layer],
	    "url", "https://web.example.com/healthz", "agent",
	    scen_agents[r->region], "region", scen_regions[r->region],
	    "seq", (json_int_t)seq, "ts", (json_int_t)(base_ms + r->t_ms),
	    "ok", r->ok, "error_class", r->ok ? NULL : "timeout",
	    "error", r->ok ? NULL : "timed out after 1000 ms",
	    "status", r->ok ? json_integer(200) : json_null(),
	    "http_version", "2", "bytes", (json_int_t)(r->ok ? 15 : 0),
	    "dns_us", (json_int_t)0, "connect_us", (json_int_t)(r->ok ? 1000 : 0),
	    "tls_us", (json_int_t)0, "processing_us",
	    (json_int_t)(r->ok ? r->total_us - 1000 : 0), "transfer_us", (json_int_t)0,
	    "total_us", (json_int_t)r->total_us, "attempts", 1);
}
