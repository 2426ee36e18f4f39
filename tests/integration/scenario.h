/* scenario: scripted outages of the front door and the origins, timed to
 * the second, as the runs three agents would make of them. A scenario says
 * which layer is down in which region when; every check runs every
 * interval_s from a fixed offset, and a run fails when it starts inside a
 * down interval of its layer and region. Tests feed these runs to a real
 * collector (signed batches) or a store, and recount what they expect from
 * the same runs, never from the code under test. */
#ifndef VANTAGE_TEST_SCENARIO_H
#define VANTAGE_TEST_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define SCEN_SERVICE	"web"
#define SCEN_NLAYERS	3	/* front_door, edge, central */
#define SCEN_NREGIONS	3
#define SCEN_MAX_DOWNS	16

extern const char *const scen_layers[SCEN_NLAYERS];	/* "front_door", "edge", "central" */
extern const char *const scen_checks[SCEN_NLAYERS];	/* "web-front", "web-edge", "web-central" */
extern const char *const scen_providers[SCEN_NLAYERS];
extern const char *const scen_regions[SCEN_NREGIONS];	/* "ap-south", "eu-central", "us-east" */
extern const char *const scen_agents[SCEN_NREGIONS];	/* "sc-ap", "sc-eu", "sc-us" */

/* One outage: layer (index into scen_layers) down in region (index into
 * scen_regions, or -1 for every region) over [from_ms, to_ms) after the
 * scenario's start. */
struct scen_down {
	int	layer, region;
	int64_t	from_ms, to_ms;
};

struct scenario {
	const char		*name;
	const char		*story;		/* one line: what happens */
	int64_t			 length_ms;	/* runs start in [0, length) */
	int64_t			 interval_ms;	/* every check, every region */
	struct scen_down	 downs[SCEN_MAX_DOWNS];
	size_t			 ndowns;
};

/* The four scenarios of issue 13: "edge-then-front" (the edge origin down
 * 60 s, absorbed by failover; 4 s after it recovers the front door breaks
 * with both origins healthy), "origins-down" (edge and central down
 * together, the front door failing with them), "front-flapping" (the
 * front door down 10 s of every 20 s) and "blip-one-region" (the front door
 * down in one region for less than one interval: one failed run). */
extern const struct scenario scenarios[];
extern const size_t nscenarios;

/* A run of the scenario: check layer in region starting at t (ms after
 * the scenario's start). */
struct scen_run {
	int	layer, region;
	int64_t	t_ms;		/* start, after the scenario's start */
	int64_t	total_us;
	bool	ok;
};

/* Does a run of layer in region that starts at t_ms fail? */
bool scenario_down(const struct scenario *sc, int layer, int region, int64_t t_ms);
/* Every run of the scenario in start order (ties: layer, then region): a
 * new array (caller frees) and its length in *n. Runs of layer l in region
 * r start at k * interval + l * 300 + r * 100 ms. */
struct scen_run *scenario_runs(const struct scenario *sc, size_t *n);
/* The record of run r as the agent of its region sends it, started at
 * base_ms + r->t_ms, with sequence number seq. New reference. */
json_t *scenario_record(const struct scen_run *r, int64_t base_ms, int64_t seq);

#endif
