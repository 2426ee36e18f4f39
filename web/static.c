/* static: serve the embedded dashboard files. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "static.h"

const struct static_file *
static_find(const char *path)
{
	for (size_t i = 0; i < static_files_count; i++)
		if (strcmp(static_files[i].path, path) == 0)
			return &static_files[i];
	return NULL;
}

/* Does an If-None-Match value ("*", or a list of tags, maybe weak) name etag? */
static int
etag_matches(const char *inm, const char *etag)
{
	size_t n = strlen(etag);
	const char *p;

	if (strcmp(inm, "*") == 0)
		return 1;
	for (p = strstr(inm, etag); p; p = strstr(p + 1, etag))
		if ((p == inm || p[-1] == ' ' || p[-1] == ',' || p[-1] == '/') &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return 1;
	return 0;
}

void
static_serve(struct collector *c, struct http_request *r, struct http_response *resp)
{
	const struct static_file *f = static_find(r->path);
	const char *inm;

	if (f == NULL) {
		http_error(resp, 404, "no such file: %s", r->path);
		return;
	}
	/* cacheable: no "no-store"; with an ETag and no max-age the browser
	 * revalidates each time and gets a 304 while the binary is unchanged */
	resp->cacheable = true;
	resp->headers[0] = "Cache-Control";
	resp->headers[1] = "no-cache";	/* revalidate: 304 while unchanged */
	resp->headers[2] = "Content-Security-Policy";
	resp->headers[3] = "default-src 'self'; script-src 'self'; style-src 'self'; "
	    "img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
	    "form-action 'self'; frame-ancestors 'none'";
	resp->headers[4] = "Referrer-Policy";
	resp->headers[5] = "no-referrer";
	snprintf(resp->etag, sizeof(resp->etag), "%s", f->etag);
	resp->type = f->type;
	if ((inm = http_header(r, "If-None-Match")) != NULL &&
	    etag_matches(inm, f->etag)) {
		resp->status = 304;
		return;
	}
	resp->status = 200;
	if (buf_append(&resp->body, f->data, f->len) < 0)
		http_error(resp, 500, "cannot send %s", r->path);
}
