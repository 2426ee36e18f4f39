/* fixture: libmicrohttpd servers with the routes the agent tests probe. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "fixture.h"

#define MAX_PATHS	32
#define MAX_ROUTES	16
#define BIG_BLOCK	(64 * 1024)

static const char health_body[] = "{\"status\":\"ok\",\"checks\":{\"db\":\"up\"}}\n";

struct fixture_path {
	char	path[128];
	int64_t	hits;
};

struct fixture_route {
	char		path[128];
	unsigned	status;
	char		*hname, *hvalue;
	char		*body;
	size_t		 len;
};

struct fixture {
	struct MHD_Daemon	*d;
	unsigned		 port;
	char			*cert, *key;	/* kept while the daemon runs */
	pthread_mutex_t		 mu;
	struct fixture_path	 paths[MAX_PATHS];
	size_t			 npaths;
	unsigned		 health;	/* /healthz status; 0: 200 */
	struct fixture_route	 routes[MAX_ROUTES];
	size_t			 nroutes;
	char			*watch, *seen;	/* a request header, its value */
};

static char *
dup_n(const char *s, size_t n)
{
	char *c = malloc(n + 1);

	if (c != NULL) {
		memcpy(c, s, n);
		c[n] = '\0';
	}
	return c;
}

static void
route_clear(struct fixture_route *r)
{
	free(r->hname);
	free(r->hvalue);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

int
fixture_route(struct fixture *f, const char *path, unsigned status,
    const char *hname, const char *hvalue, const char *body, size_t len)
{
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&f->mu);
	for (i = 0; i < f->nroutes; i++)
		if (strcmp(f->routes[i].path, path) == 0)
			break;
	if (body == NULL) {
		if (i < f->nroutes) {
			route_clear(&f->routes[i]);
			f->routes[i] = f->routes[--f->nroutes];
			memset(&f->routes[f->nroutes], 0, sizeof(f->routes[0]));
		}
	} else if (i == f->nroutes && f->nroutes == MAX_ROUTES)
		rc = -1;
	else {
		struct fixture_route *r = &f->routes[i];

		if (i == f->nroutes)
			f->nroutes++;
		route_clear(r);
		snprintf(r->path, sizeof(r->path), "%s", path);
		r->status = status;
		r->hname = hname ? dup_n(hname, strlen(hname)) : NULL;
		r->hvalue = hvalue ? dup_n(hvalue, strlen(hvalue)) : NULL;
		r->body = dup_n(body, len);
		r->len = len;
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}

void
fixture_watch_header(struct fixture *f, const char *name)
{
	pthread_mutex_lock(&f->mu);
	free(f->watch);
	free(f->seen);
	f->seen = NULL;
	f->watch = dup_n(name, strlen(name));
	pthread_mutex_unlock(&f->mu);
}

char *
fixture_header_seen(struct fixture *f)
{
	char *v;

	pthread_mutex_lock(&f->mu);
	v = f->seen ? dup_n(f->seen, strlen(f->seen)) : NULL;
	pthread_mutex_unlock(&f->mu);
	return v;
}

/* The route for url, as a response (NULL: none); *status set. */
static struct MHD_Response *
routed(struct fixture *f, const char *url, unsigned *status)
{
	struct MHD_Response *r = NULL;

	pthread_mutex_lock(&f->mu);
	for (size_t i = 0; i < f->nroutes; i++) {
		struct fixture_route *rt = &f->routes[i];
		char *copy;

		if (strcmp(rt->path, url) != 0)
			continue;
		if ((copy = dup_n(rt->body, rt->len)) == NULL)
			break;
		r = MHD_create_response_from_buffer(rt->len, copy,
		    MHD_RESPMEM_MUST_FREE);
		if (r != NULL && rt->hname)
			MHD_add_response_header(r, rt->hname, rt->hvalue ? rt->hvalue : "");
		*status = rt->status;
		break;
	}
	pthread_mutex_unlock(&f->mu);
	return r;
}

static void
count_hit(struct fixture *f, const char *path)
{
	size_t i;

	pthread_mutex_lock(&f->mu);
	for (i = 0; i < f->npaths; i++)
		if (strcmp(f->paths[i].path, path) == 0)
			break;
	if (i == f->npaths && f->npaths < MAX_PATHS)
		snprintf(f->paths[f->npaths++].path, sizeof(f->paths[0].path), "%s", path);
	if (i < f->npaths)
		f->paths[i].hits++;
	pthread_mutex_unlock(&f->mu);
}

void
fixture_set_health(struct fixture *f, unsigned status)
{
	pthread_mutex_lock(&f->mu);
	f->health = status;
	pthread_mutex_unlock(&f->mu);
}

int64_t
fixture_hits(struct fixture *f, const char *path)
{
	int64_t n = 0;

	pthread_mutex_lock(&f->mu);
	for (size_t i = 0; i < f->npaths; i++)
		if (strcmp(f->paths[i].path, path) == 0)
			n = f->paths[i].hits;
	pthread_mutex_unlock(&f->mu);
	return n;
}

static struct MHD_Response *
text_response(const char *text)
{
	size_t len = strlen(text);
	char *copy = malloc(len + 1);

	if (copy == NULL)
		return NULL;
	memcpy(copy, text, len + 1);
	return MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE);
}

/* /big: FIXTURE_BIG_BYTES of text, made block by block, never held whole. */
static ssize_t
big_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	uint64_t left = (uint64_t)FIXTURE_BIG_BYTES - pos;
	size_t n = max < left ? max : (size_t)left;

	if (left == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)('a' + (pos + i) % 26);
	return (ssize_t)n;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req)
{
	static int first_call_marker;
	struct fixture *f = cls;
	struct MHD_Response *r = NULL;
	unsigned status = 200;
	enum MHD_Result ret;

	if (*req == NULL) {
		/* first call: headers only; answer once the request is complete */
		*req = &first_call_marker;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		*upload_size = 0;	/* request bodies are ignored */
		return MHD_YES;
	}
	count_hit(f, url);
	pthread_mutex_lock(&f->mu);
	if (f->watch != NULL) {
		const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    f->watch);

		if (v != NULL) {
			free(f->seen);
			f->seen = dup_n(v, strlen(v));
		}
	}
	pthread_mutex_unlock(&f->mu);
	if ((r = routed(f, url, &status)) != NULL) {
		/* a route set by the test */
	} else if (strcmp(url, "/healthz") == 0) {
		pthread_mutex_lock(&f->mu);
		status = f->health ? f->health : 200;
		pthread_mutex_unlock(&f->mu);
		r = text_response(status == 200 ? health_body :
		    "{\"status\":\"down\",\"checks\":{\"db\":\"down\"}}\n");
		if (r)
			MHD_add_response_header(r, "Content-Type", "application/json");
	} else if (strncmp(url, "/status/", 8) == 0) {
		char *end;
		long code = strtol(url + 8, &end, 10);

		if (*end != '\0' || code < 100 || code > 599)
			code = 400;
		status = (unsigned)code;
		r = text_response("");
	} else if (strcmp(url, "/slow") == 0) {
		const char *ms = MHD_lookup_connection_value(conn,
		    MHD_GET_ARGUMENT_KIND, "ms");
		long n = ms ? strtol(ms, NULL, 10) : 1000;

		if (n > 0 && n < 60000)
			sleep_ms(n);
		r = text_response("slow\n");
	} else if (strcmp(url, "/redirect") == 0) {
		status = 302;
		r = text_response("");
		if (r)
			MHD_add_response_header(r, "Location", "/healthz");
	} else if (strcmp(url, "/headers") == 0) {
		r = text_response("headers\n");
		if (r) {
			MHD_add_response_header(r, "Cache-Control", "public, max-age=60");
			MHD_add_response_header(r, "CF-Cache-Status", "HIT");
			MHD_add_response_header(r, "Age", "12");
		}
	} else if (strcmp(url, "/big") == 0) {
		r = MHD_create_response_from_callback((uint64_t)FIXTURE_BIG_BYTES,
		    BIG_BLOCK, big_reader, NULL, NULL);
	} else {
		status = 404;
		r = text_response("not found\n");
	}
	if (r == NULL)
		return MHD_NO;
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static char *
copy_or_null(const char *s)
{
	char *c;

	if (s == NULL)
		return NULL;
	if ((c = malloc(strlen(s) + 1)) != NULL)
		memcpy(c, s, strlen(s) + 1);
	return c;
}

struct fixture *
fixture_start(const char *cert_pem, const char *key_pem, char *err, size_t errlen)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *di;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION;

	if (f == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&f->mu, NULL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = 0;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((cert_pem == NULL) != (key_pem == NULL)) {
		snprintf(err, errlen, "fixture_start: need both cert and key, or neither");
		goto fail;
	}
	if (cert_pem) {
		if ((f->cert = copy_or_null(cert_pem)) == NULL ||
		    (f->key = copy_or_null(key_pem)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		f->d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL,
		    on_request, f,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
		    MHD_OPTION_HTTPS_MEM_CERT, f->cert,
		    MHD_OPTION_HTTPS_MEM_KEY, f->key,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
		    MHD_OPTION_END);
	} else
		f->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, f,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
		    MHD_OPTION_END);
	if (f->d == NULL) {
		snprintf(err, errlen, "MHD_start_daemon failed (%s)",
		    cert_pem ? "HTTPS" : "HTTP");
		goto fail;
	}
	di = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
	if (di == NULL || di->port == 0) {
		snprintf(err, errlen, "cannot read the fixture's port");
		goto fail;
	}
	f->port = di->port;
	return f;
fail:
	fixture_stop(f);
	return NULL;
}

unsigned
fixture_port(const struct fixture *f)
{
	return f->port;
}

void
fixture_stop(struct fixture *f)
{
	if (f == NULL)
		return;
	if (f->d)
		MHD_stop_daemon(f->d);
	free(f->cert);
	free(f->key);
	for (size_t i = 0; i < f->nroutes; i++)
		route_clear(&f->routes[i]);
	free(f->watch);
	free(f->seen);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

/* ---- raw answers ---- */

struct fixture_raw {
	int		 fd;		/* listening */
	int		 stop[2];	/* a byte here ends the thread */
	unsigned	 port;
	char		*resp;
	size_t		 len;
	pthread_t	 th;
	bool		 started;
};

/* Read the request's headers (bounded in size and time), answer, close. */
static void
raw_serve(struct fixture_raw *r, int c)
{
	struct timeval tv = { 5, 0 };
	char buf[8192];
	size_t have = 0, off = 0;

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t n = recv(c, buf + have, sizeof(buf) - 1 - have, 0);

		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL || have == sizeof(buf) - 1)
			break;
	}
	while (off < r->len) {
		ssize_t n = send(c, r->resp + off, r->len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(c, SHUT_WR);
	tv.tv_sec = 1;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (recv(c, buf, sizeof(buf), 0) > 0)
		;
	close(c);
}

static void *
raw_main(void *arg)
{
	struct fixture_raw *r = arg;

	for (;;) {
		struct pollfd p[2] = { { r->fd, POLLIN, 0 }, { r->stop[0], POLLIN, 0 } };
		int c;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if ((c = accept(r->fd, NULL, NULL)) >= 0)
			raw_serve(r, c);
	}
	return NULL;
}

struct fixture_raw *
fixture_raw_start(const char *resp, size_t len, char *err, size_t errlen)
{
	struct fixture_raw *r = calloc(1, sizeof(*r));
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	if (r == NULL || (r->resp = dup_n(resp, len)) == NULL) {
		free(r);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->len = len;
	r->stop[0] = r->stop[1] = -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((r->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(r->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(r->fd, 16) < 0 ||
	    getsockname(r->fd, (struct sockaddr *)&sin, &sl) < 0 ||
	    pipe(r->stop) < 0) {
		snprintf(err, errlen, "raw fixture: %s", strerror(errno));
		fixture_raw_stop(r);
		return NULL;
	}
	r->port = ntohs(sin.sin_port);
	if (pthread_create(&r->th, NULL, raw_main, r) != 0) {
		snprintf(err, errlen, "raw fixture: cannot start its thread");
		fixture_raw_stop(r);
		return NULL;
	}
	r->started = true;
	return r;
}

unsigned
fixture_raw_port(const struct fixture_raw *r)
{
	return r->port;
}

void
fixture_raw_stop(struct fixture_raw *r)
{
	if (r == NULL)
		return;
	if (r->started) {
		ssize_t n = write(r->stop[1], "x", 1);

		(void)n;
		pthread_join(r->th, NULL);
	}
	if (r->fd >= 0)
		close(r->fd);
	if (r->stop[0] >= 0)
		close(r->stop[0]);
	if (r->stop[1] >= 0)
		close(r->stop[1]);
	free(r->resp);
	free(r);
}

static int
bound_socket(unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

int
fixture_blackhole(unsigned *port)
{
	int fd = bound_socket(port);

	if (fd >= 0 && listen(fd, 16) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

unsigned
fixture_refused_port(void)
{
	unsigned port = 0;
	int fd = bound_socket(&port);

	if (fd < 0)
		return 0;
	close(fd);
	return port;
}
