/* ingest: POST /api/v1/ingest and GET /api/v1/agent/checks, the signed
 * agent side of the collector's API (DESIGN.md, wire protocol). */
#ifndef VANTAGE_INGEST_H
#define VANTAGE_INGEST_H

#include "http.h"

struct collector;

/* Authenticate the request (401 on failure); store the batch; answer with
 * what was acknowledged. */
void ingest_handle(struct collector *c, struct http_request *r,
    struct http_response *resp);
/* The check definitions for the calling agent, with an ETag; 304 when the
 * agent's If-None-Match matches. */
void ingest_agent_checks(struct collector *c, struct http_request *r,
    struct http_response *resp);

#endif
