/* http: the collector's HTTP(S) server. Owns the MHD daemons (one per
 * listen address), reads request bodies under a cap, checks the read
 * token, and dispatches through the route table in routes.c. */
#ifndef VANTAGE_HTTP_H
#define VANTAGE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <microhttpd.h>

#include "buf.h"

struct collector;
struct http_server;

struct http_request {
	struct MHD_Connection	*conn;
	const char		*method, *path;
	struct buf		 body;		/* capped at the collector's max_body */
	bool			 too_large;
	unsigned long long	 discarded;	/* bytes dropped past the cap */
};

struct http_response {
	int		 status;
	const char	*type;		/* Content-Type; default application/json */
	struct buf	 body;
	char		 etag[80];	/* sent as ETag when set */
	int		 retry_after;	/* seconds; sent as Retry-After when > 0 */
	bool		 cacheable;
	/* further headers: name, value pairs (static strings), NULL-ended */
	const char	*headers[9];
};

enum route_auth { AUTH_NONE, AUTH_READ, AUTH_AGENT };

struct route {
	const char	*method;
	const char	*path;		/* exact, or a prefix ending in '/' */
	enum route_auth	 auth;
	void		(*fn)(struct collector *, struct http_request *, struct http_response *);
};

/* The route table (routes.c). */
extern const struct route http_routes[];

/* Start listening on every conf->listen address (TLS if conf has cert and
 * key). *ports gets the bound port of each (same order). Returns the
 * server or NULL with a message in err. */
struct http_server *http_start(struct collector *c, unsigned *ports,
    char *err, size_t errlen);
/* Stop and free. NULL-safe. */
void http_stop(struct http_server *h);

/* Query parameter or header value of the request, or NULL. */
const char *http_query(struct http_request *r, const char *name);
const char *http_header(struct http_request *r, const char *name);
/* Fill resp with a JSON error {"error": msg}. */
void http_error(struct http_response *resp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fill resp with the compact JSON of o (o is stolen: decref'd here). */
void http_json(struct http_response *resp, int status, json_t *o);

#endif
