/* agent_http: the agent's own /healthz and /metrics (libmicrohttpd, one
 * internal thread; reads the scheduler's counters under its mutex). */
#ifndef VANTAGE_AGENT_HTTP_H
#define VANTAGE_AGENT_HTTP_H

#include <stddef.h>

#include "buf.h"

struct sched;
struct agent_http;

/* Listen on addr ("host:port", "[v6]:port"; port 0 picks one) and serve
 * s. Returns the server (stop with agent_http_stop) and the bound port in
 * *port, or NULL with a message in err. */
struct agent_http *agent_http_start(const char *addr, struct sched *s,
    unsigned *port, char *err, size_t errlen);
/* Stop serving and free. NULL-safe. */
void agent_http_stop(struct agent_http *h);

/* Render the Prometheus text exposition / the health JSON of s into out
 * (caller owns out). Exposed for tests. */
void agent_http_metrics(struct sched *s, struct buf *out);
void agent_http_health(struct sched *s, struct buf *out, int *http_status);


#endif
