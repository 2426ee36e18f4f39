/* static: the dashboard's files (web/static/ and uPlot), built into the
 * binary at build time by scripts/embed-static.sh (web/static_files.c), and
 * served by GET / and GET /static/... with an ETag. They hold no data, so
 * they need no read token; the dashboard sends the token with its API calls. */
#ifndef VANTAGE_STATIC_H
#define VANTAGE_STATIC_H

#include <stddef.h>

#include "http.h"

struct collector;

struct static_file {
	const char		*path;	/* URL path: "/", "/static/app.js" */
	const char		*type;	/* Content-Type */
	const unsigned char	*data;	/* len bytes (plus a NUL) */
	size_t			 len;
	const char		*etag;	/* quoted strong validator */
};

/* The embedded files (generated). */
extern const struct static_file static_files[];
extern const size_t static_files_count;

/* The file served at URL path, or NULL. */
const struct static_file *static_find(const char *path);
/* Route handler of / and /static/: the file, 304 when If-None-Match names
 * its ETag, 404 for anything else. */
void static_serve(struct collector *c, struct http_request *r,
    struct http_response *resp);

#endif
