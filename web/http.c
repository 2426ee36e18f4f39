/* http: libmicrohttpd server of the collector (one file owns the daemons). */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "collector.h"
#include "http.h"
#include "log.h"
#include "netaddr.h"
#include "sign.h"
#include "xmalloc.h"

#define HTTP_THREADS 4
#define PEM_MAX (1024 * 1024)
#define DISCARD_MAX (256ULL * 1024 * 1024)	/* oversized upload read and dropped */

struct http_server {
	struct MHD_Daemon	**d;
	size_t			  nd;
	struct collector	 *c;
	char			 *cert, *key;	/* PEM contents for TLS */
};

const char *
http_query(struct http_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
http_header(struct http_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void
http_error(struct http_response *resp, int status, const char *fmt, ...)
{
	char msg[1024];
	json_t *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o = json_pack("{s:s}", "error", msg);
	http_json(resp, status, o);
}

void
http_json(struct http_response *resp, int status, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(10));
	json_free_t jfree;

	/* jansson's allocator made s (maybe a per-request arena's) */
	json_get_alloc_funcs(NULL, &jfree);
	json_decref(o);
	resp->status = status;
	resp->type = "application/json";
	buf_reset(&resp->body);
	if (s == NULL) {
		resp->status = 500;
		buf_printf(&resp->body, "{\"error\":\"cannot encode the answer\"}\n");
		return;
	}
	buf_append(&resp->body, s, strlen(s));
	buf_append(&resp->body, "\n", 1);
	jfree(s);
}

static const struct route *
find_route(const char *method, const char *path, bool *path_known)
{
	*path_known = false;
	for (const struct route *rt = http_routes; rt->path; rt++) {
		size_t n = strlen(rt->path);
		bool match = rt->path[n - 1] == '/' && n > 1 ?
		    strncmp(path, rt->path, n) == 0 : strcmp(path, rt->path) == 0;

		if (!match)
			continue;
		*path_known = true;
		if (strcmp(rt->method, method) == 0 ||
		    (strcmp(rt->method, "GET") == 0 && strcmp(method, "HEAD") == 0))
			return rt;
	}
	return NULL;
}

/* The read token may come as "Authorization: Bearer T" or "X-Vantage-Token". */
static bool
read_token_ok(struct collector *c, struct http_request *r)
{
	const char *tok = c->conf->read_token, *h;
	size_t n;

	if (tok == NULL)
		return true;
	n = strlen(tok);
	if ((h = http_header(r, "Authorization")) != NULL &&
	    strncmp(h, "Bearer ", 7) == 0 && strlen(h + 7) == n &&
	    CRYPTO_memcmp(h + 7, tok, n) == 0)
		return true;
	if ((h = http_header(r, "X-Vantage-Token")) != NULL && strlen(h) == n &&
	    CRYPTO_memcmp(h, tok, n) == 0)
		return true;
	return false;
}

/* Queue resp; a 401 names the scheme the route wants (auth). */
static enum MHD_Result
send_response(struct MHD_Connection *conn, struct http_response *resp,
    enum route_auth auth)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = resp->body.len;
	char *data = buf_steal(&resp->body);

	r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", resp->type ? resp->type :
	    "application/json");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (!resp->cacheable)
		MHD_add_response_header(r, "Cache-Control", "no-store");
	if (resp->etag[0])
		MHD_add_response_header(r, "ETag", resp->etag);
	for (int i = 0; i + 1 < 9 && resp->headers[i]; i += 2)
		MHD_add_response_header(r, resp->headers[i], resp->headers[i + 1]);
	if (resp->retry_after > 0) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%d", resp->retry_after);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	if (resp->status == 401)
		MHD_add_response_header(r, "WWW-Authenticate", auth == AUTH_AGENT ?
		    SIGN_SCHEME : "Bearer realm=\"vantage\"");
	ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(struct http_server *, struct MHD_Connection *,
    const char *, const char *, const char *, size_t *, void **);

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req_cls)
{
	struct http_server *h = cls;
	struct collector *c = h->c;
	enum MHD_Result ret;

	/* the config may be swapped by a reload between two calls, never
	 * during one */
	collector_conf_read(c);
	ret = handle(h, conn, url, method, upload, upload_size, req_cls);
	collector_conf_done(c);
	return ret;
}

static enum MHD_Result
handle(struct http_server *h, struct MHD_Connection *conn, const char *url,
    const char *method, const char *upload, size_t *upload_size, void **req_cls)
{
	struct collector *c = h->c;
	struct http_request *r = *req_cls;
	struct http_response resp;
	const struct route *rt;
	bool known;
	enum MHD_Result ret;

	/*
	 * An oversized body gets a 413; the question is when. Answering
	 * while the client is still sending closes the socket on unread data,
	 * and the reset can reach the client before the answer. So the 413
	 * goes out at once only to a client that waits (Expect:
	 * 100-continue) or announced more than DISCARD_MAX; any other
	 * oversized body (announced, or chunked past the cap) is read to its
	 * end and dropped first.
	 */
	if (r == NULL) {
		const char *cl, *expect;
		unsigned long long len;

		r = xcalloc(1, sizeof(*r));
		buf_init(&r->body, (size_t)c->conf->max_body);
		r->conn = conn;
		*req_cls = r;
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		len = cl ? strtoull(cl, NULL, 10) : 0;
		if (len <= (unsigned long long)c->conf->max_body)
			return MHD_YES;
		r->too_large = true;
		expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect");
		if ((expect == NULL || strcasecmp(expect, "100-continue") != 0) &&
		    len <= DISCARD_MAX)
			return MHD_YES;
	}
	if (*upload_size > 0) {
		if (r->too_large)
			r->discarded += *upload_size;
		else if (buf_append(&r->body, upload, *upload_size) < 0)
			r->too_large = true;
		*upload_size = 0;
		if (!r->too_large || r->discarded < DISCARD_MAX)
			return MHD_YES;
	}
	r->method = method;
	r->path = url;
	memset(&resp, 0, sizeof(resp));
	buf_init(&resp.body, 256u * 1024 * 1024);
	resp.status = 200;
	rt = find_route(method, url, &known);
	if (rt == NULL && known)
		http_error(&resp, 405, "method %s not allowed on %s", method, url);
	else if (rt == NULL)
		http_error(&resp, 404, "no such endpoint: %s (see README: API)", url);
	else if (r->too_large && rt->auth == AUTH_AGENT) {
		pthread_mutex_lock(&c->stat_mu);
		c->ingest_too_large++;
		pthread_mutex_unlock(&c->stat_mu);
		http_error(&resp, 413, "request body larger than %lld bytes",
		    (long long)c->conf->max_body);
	}
	else if (r->too_large)
		http_error(&resp, 413, "request body too large");
	else if (rt->auth == AUTH_READ && !read_token_ok(c, r))
		http_error(&resp, 401, "this collector needs the read token "
		    "(Authorization: Bearer TOKEN)");
	else
		rt->fn(c, r, &resp);
	ret = send_response(conn, &resp, rt ? rt->auth : AUTH_NONE);
	buf_free(&resp.body);
	return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_request *r = *req_cls;

	if (r == NULL)
		return;
	buf_free(&r->body);
	free(r);
	*req_cls = NULL;
}

static char *
read_pem(const char *path, char *err, size_t errlen)
{
	struct buf b;
	char chunk[8192];
	size_t n;
	FILE *fp = fopen(path, "r");

	if (fp == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	buf_init(&b, PEM_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	fclose(fp);
	if (b.len == 0 || b.truncated) {
		snprintf(err, errlen, "%s: %s", path, b.len ? "too large" : "empty");
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

struct http_server *
http_start(struct collector *c, unsigned *ports, char *err, size_t errlen)
{
	struct http_server *h = xcalloc(1, sizeof(*h));
	const struct collector_config *cc = c->conf;

	h->c = c;
	if (cc->tls_cert && ((h->cert = read_pem(cc->tls_cert, err, errlen)) == NULL ||
	    (h->key = read_pem(cc->tls_key, err, errlen)) == NULL))
		goto fail;
	h->d = xcalloc(cc->nlisten, sizeof(*h->d));
	for (size_t i = 0; i < cc->nlisten; i++) {
		unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
		    MHD_USE_AUTO;
		struct addrinfo hints, *ai = NULL;
		const union MHD_DaemonInfo *di;
		char host[256], portstr[8];
		unsigned port;
		int rc;

		if (netaddr_split(cc->listen[i], host, sizeof(host), &port) < 0) {
			snprintf(err, errlen, "bad listen address %s", cc->listen[i]);
			goto fail;
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE;
		snprintf(portstr, sizeof(portstr), "%u", port);
		if ((rc = getaddrinfo(host, portstr, &hints, &ai)) != 0) {
			snprintf(err, errlen, "listen %s: %s", cc->listen[i], gai_strerror(rc));
			goto fail;
		}
		if (ai->ai_family == AF_INET6)
			flags |= MHD_USE_IPv6;
		if (h->cert)
			flags |= MHD_USE_TLS;
		h->d[i] = h->cert ?
		    MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, h,
			MHD_OPTION_SOCK_ADDR, ai->ai_addr,
			MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
			MHD_OPTION_HTTPS_MEM_CERT, h->cert,
			MHD_OPTION_HTTPS_MEM_KEY, h->key,
			MHD_OPTION_END) :
		    MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, h,
			MHD_OPTION_SOCK_ADDR, ai->ai_addr,
			MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
			MHD_OPTION_END);
		freeaddrinfo(ai);
		if (h->d[i] == NULL) {
			snprintf(err, errlen, "cannot listen on %s%s", cc->listen[i],
			    h->cert ? " with TLS (check tls.cert and tls.key)" :
			    " (address in use?)");
			goto fail;
		}
		h->nd++;
		di = MHD_get_daemon_info(h->d[i], MHD_DAEMON_INFO_BIND_PORT);
		ports[i] = di ? di->port : port;
	}
	return h;
fail:
	http_stop(h);
	return NULL;
}

void
http_stop(struct http_server *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->nd; i++)
		MHD_stop_daemon(h->d[i]);
	free(h->d);
	if (h->key)
		OPENSSL_cleanse(h->key, strlen(h->key));
	free(h->cert);
	free(h->key);
	free(h);
}
