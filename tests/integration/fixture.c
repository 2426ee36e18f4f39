/* fixture: libmicrohttpd servers with the routes the agent tests probe. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "fixture.h"

#define MAX_PATHS	32
#define BIG_BLOCK	(64 * 1024)

static const char health_body[] = "{\"status\":\"ok\",\"checks\":{\"db\":\"up\"}}\n";

struct fixture_path {
	char	path[128];
	int64_t	hits;
};

struct fixture {
	struct MHD_Daemon	*d;
	unsigned		 port;
	char			*cert, *key;	/* kept while the daemon runs */
	pthread_mutex_t		 mu;
	struct fixture_path	 paths[MAX_PATHS];
	size_t			 npaths;
	unsigned		 health;	/* /healthz status; 0: 200 */
};

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
	if (strcmp(url, "/healthz") == 0) {
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
	pthread_mutex_destroy(&f->mu);
	free(f);
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
