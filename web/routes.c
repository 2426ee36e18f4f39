/* routes: the collector's route table (method, path, auth, handler). */
#include "config.h"

#include "api.h"
#include "dash.h"
#include "http.h"
#include "ingest.h"
#include "static.h"

const struct route http_routes[] = {
	{ "GET", "/healthz", AUTH_NONE, api_healthz },
	{ "GET", "/metrics", AUTH_READ, api_metrics },
	{ "POST", "/api/v1/ingest", AUTH_AGENT, ingest_handle },
	{ "GET", "/api/v1/agent/checks", AUTH_AGENT, ingest_agent_checks },
	{ "GET", "/api/v1/status", AUTH_READ, api_status },
	{ "GET", "/api/v1/slos", AUTH_READ, api_slos },
	{ "GET", "/api/v1/slos/", AUTH_READ, api_slo },
	{ "GET", "/api/v1/series", AUTH_READ, api_series },
	{ "GET", "/api/v1/cache", AUTH_READ, api_cache },
	{ "GET", "/api/v1/agents", AUTH_READ, api_agents },
	{ "GET", "/api/v1/incidents", AUTH_READ, api_incidents },
	{ "GET", "/api/v1/matrix", AUTH_READ, dash_matrix },
	{ "GET", "/api/v1/results", AUTH_READ, dash_results },
	{ "GET", "/api/v1/burndown", AUTH_READ, dash_burndown },
	{ "GET", "/api/v1", AUTH_NONE, api_index },
	/* the dashboard's files hold no data: no token (its API calls send it) */
	{ "GET", "/", AUTH_NONE, static_serve },
	{ "GET", "/static/", AUTH_NONE, static_serve },
	{ NULL, NULL, AUTH_NONE, NULL }
};
