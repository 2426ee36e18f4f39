/* dash: the read endpoints the dashboard is built on, compact enough for a
 * fleet of thousands of check x region cells: /api/v1/matrix (latest state
 * and recent outcomes per check x region), /api/v1/results (raw result
 * records, newest first) and /api/v1/burndown (an SLO's error budget over
 * its window). README: vantage-collector, Endpoints. */
#ifndef VANTAGE_DASH_H
#define VANTAGE_DASH_H

#include "http.h"

struct collector;

/* The outcome letters of /api/v1/matrix's "recent" strings: '+' passed,
 * else one letter per error class ('d' dns, 'c' connect, 's' tls,
 * 't' timeout, 'h' http_status, 'a' assertion, 'b' body, 'i' internal,
 * 'v' consistency; an unknown class is 'i'). Inconclusive results (the
 * agent's own network was down) are '?' (set by the caller). */
char dash_outcome_letter(const char *error_class);

/* Route handlers (routes.c). Each fills resp with JSON: the answer, 400
 * naming a bad parameter, 404 (burndown: unknown SLO) or 500 when the DB
 * fails. They read through the store's typed functions
 * (core/store_results.h, core/rollup.h). */

/* GET /api/v1/matrix?n=N: checks (sorted by service, layer, name),
 * regions, agents, and one compact cell per check x region. */
void dash_matrix(struct collector *, struct http_request *, struct http_response *);
/* GET /api/v1/results?check=&region=&agent=&ok=&from=&to=&limit=: raw
 * records as the agents sent them, newest first. */
void dash_results(struct collector *, struct http_request *, struct http_response *);
/* GET /api/v1/burndown?slo=NAME: good/total per step over the SLO's window
 * as of the engine's last evaluation, with the budget left after each;
 * "approximate_before" (Unix ms) on a latency SLO's step, and on the
 * whole, whose good count before that time came from the sketch. */
void dash_burndown(struct collector *, struct http_request *, struct http_response *);

#endif
