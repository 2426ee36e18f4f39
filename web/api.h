/* api: the collector's read side: /healthz, /metrics, /api/v1/status,
 * /api/v1/slos[/NAME], /api/v1/series, /api/v1/cache, /api/v1/agents. */
#ifndef VANTAGE_API_H
#define VANTAGE_API_H

#include "http.h"

struct collector;

void api_healthz(struct collector *, struct http_request *, struct http_response *);
void api_metrics(struct collector *, struct http_request *, struct http_response *);
void api_status(struct collector *, struct http_request *, struct http_response *);
void api_slos(struct collector *, struct http_request *, struct http_response *);
void api_slo(struct collector *, struct http_request *, struct http_response *);
void api_series(struct collector *, struct http_request *, struct http_response *);
/* /api/v1/cache?from=&to=&by=&check=&layer=&provider=&region=&service=:
 * the cache-hit ratio per group over the window (README). */
void api_cache(struct collector *, struct http_request *, struct http_response *);
void api_incidents(struct collector *, struct http_request *, struct http_response *);
void api_agents(struct collector *, struct http_request *, struct http_response *);
void api_index(struct collector *, struct http_request *, struct http_response *);

/* Parse a time parameter: Unix ms, or a duration ago ("1h" = now - 1h).
 * Returns 0 or -1. */
int api_parse_time(const char *s, int64_t now_ms, int64_t *out);

#endif
