/* demo-origin: a tiny origin server for the demo fleet. Serves /healthz,
 * /api/hello and a static site, and its health can be changed while it
 * runs (POST /_control?mode=up|down|slow|flaky&delay_ms=N&error_rate=F).
 * Loopback demo use only. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

enum mode { MODE_UP, MODE_DOWN, MODE_SLOW, MODE_FLAKY };
static const char *const mode_names[] = { "up", "down", "slow", "flaky" };

struct origin {
	const char	*name, *site;
	pthread_mutex_t	 mu;
	enum mode	 mode;
	long		 delay_ms;
	double		 error_rate;
	unsigned	 seed;
	long		 requests;
	bool		 sink;		/* --sink: print every POST (alert receiver) */
};

#define SINK_MAX 65536

struct sink_req {
	size_t	len;
	char	data[SINK_MAX + 1];
};

static char sentinel;	/* marks a request that carries no state */

static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A POST to the sink: keep the body, then print it as one line. */
static enum MHD_Result
sink_request(struct origin *o, struct MHD_Connection *c, const char *url,
    const char *upload, size_t *upload_size, void **req)
{
	struct sink_req *sr = *req;

	if (*upload_size > 0) {
		size_t n = *upload_size;

		if (n > SINK_MAX - sr->len)
			n = SINK_MAX - sr->len;
		memcpy(sr->data + sr->len, upload, n);
		sr->len += n;
		*upload_size = 0;
		return MHD_YES;
	}
	sr->data[sr->len] = '\0';
	for (size_t i = 0; i < sr->len; i++)
		if (sr->data[i] == '\n' || sr->data[i] == '\r')
			sr->data[i] = ' ';
	printf("demo-sink %s: notification to %s: %s\n", o->name, url, sr->data);
	fflush(stdout);
	free(sr);
	*req = &sentinel;
	return reply_json(c, 200, "{\"ok\":true}\n");
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **req,
    enum MHD_RequestTerminationCode toe)
{
	if (*req != NULL && *req != &sentinel)
		free(*req);
	*req = NULL;
}

static volatile sig_atomic_t got_stop;

static void
on_signal(int sig)
{
	got_stop = 1;
}

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *type,
    const char *cache, char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	if (cache)
		MHD_add_response_header(r, "Cache-Control", cache);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
reply_json(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum MHD_Result
reply_json(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
	char *body = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MHD_NO;
	return reply(c, status, "application/json", "no-store", body, (size_t)n);
}

static enum MHD_Result
serve_file(struct origin *o, struct MHD_Connection *c, const char *url)
{
	char path[4096];
	const char *type = "application/octet-stream", *cache;
	struct stat st;
	char *body;
	FILE *fp;
	size_t n;

	if (strstr(url, "..") != NULL)
		return reply_json(c, 400, "{\"error\":\"bad path\"}\n");
	if (strcmp(url, "/") == 0)
		url = "/index.html";
	snprintf(path, sizeof(path), "%s%s", o->site, url);
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 16 << 20 ||
	    (fp = fopen(path, "rb")) == NULL)
		return reply_json(c, 404, "{\"error\":\"not found\",\"origin\":\"%s\"}\n",
		    o->name);
	body = malloc((size_t)st.st_size + 1);
	n = body ? fread(body, 1, (size_t)st.st_size, fp) : 0;
	fclose(fp);
	if (body == NULL)
		return MHD_NO;
	if (strstr(path, ".html"))
		type = "text/html; charset=utf-8";
	else if (strstr(path, ".js"))
		type = "application/javascript";
	else if (strstr(path, ".css"))
		type = "text/css";
	/* hashed assets live forever; index.html must be short-lived */
	cache = strncmp(url, "/assets/", 8) == 0 ?
	    "public, max-age=31536000, immutable" :
	    "public, max-age=60, stale-while-revalidate=30";
	return reply(c, 200, type, cache, body, n);
}

static enum MHD_Result
control(struct origin *o, struct MHD_Connection *c, const char *method)
{
	const char *m = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "mode");
	const char *d = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "delay_ms");
	const char *e = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "error_rate");
	enum MHD_Result ret;

	pthread_mutex_lock(&o->mu);
	if (strcmp(method, "POST") == 0) {
		int i;

		for (i = 0; m && i < 4; i++) {
			if (strcmp(m, mode_names[i]) == 0) {
				o->mode = (enum mode)i;
				break;
			}
		}
		if (m && i == 4) {
			pthread_mutex_unlock(&o->mu);
			return reply_json(c, 400, "{\"error\":\"mode: up, down, slow "
			    "or flaky\"}\n");
		}
		/* a new mode starts clean: a delay or error rate left over from
		 * an earlier "slow" or "flaky" must not leak into it */
		if (m) {
			o->delay_ms = 0;
			o->error_rate = 0;
		}
		if (d)
			o->delay_ms = strtol(d, NULL, 10);
		if (e)
			o->error_rate = strtod(e, NULL);
		if (o->delay_ms < 0 || o->delay_ms > 60000)
			o->delay_ms = 0;
		if (o->error_rate < 0 || o->error_rate > 1)
			o->error_rate = 0;
		fprintf(stderr, "demo-origin %s: mode %s, delay %ld ms, error rate %.2f\n",
		    o->name, mode_names[o->mode], o->delay_ms, o->error_rate);
	}
	ret = reply_json(c, 200, "{\"origin\":\"%s\",\"mode\":\"%s\",\"delay_ms\":%ld,"
	    "\"error_rate\":%.3f,\"requests\":%ld}\n", o->name, mode_names[o->mode],
	    o->delay_ms, o->error_rate, o->requests);
	pthread_mutex_unlock(&o->mu);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req)
{
	struct origin *o = cls;
	enum mode mode;
	long delay;
	bool fail;

	if (*req == NULL) {
		*req = o->sink && strcmp(method, "POST") == 0 ?
		    calloc(1, sizeof(struct sink_req)) : &sentinel;
		return *req ? MHD_YES : MHD_NO;
	}
	if (*req != &sentinel)
		return sink_request(o, c, url, upload, upload_size, req);
	*upload_size = 0;
	if (strcmp(url, "/_control") == 0)
		return control(o, c, method);
	pthread_mutex_lock(&o->mu);
	o->requests++;
	mode = o->mode;
	delay = o->delay_ms;
	fail = mode == MODE_FLAKY &&
	    (double)rand_r(&o->seed) / RAND_MAX < o->error_rate;
	pthread_mutex_unlock(&o->mu);
	if (mode == MODE_SLOW || (mode == MODE_FLAKY && delay > 0)) {
		struct timespec ts = { delay / 1000, (delay % 1000) * 1000000 };
		nanosleep(&ts, NULL);
	}
	if (mode == MODE_DOWN)
		return reply_json(c, 503, "{\"status\":\"down\",\"origin\":\"%s\"}\n",
		    o->name);
	if (fail)
		return reply_json(c, 500, "{\"status\":\"error\",\"origin\":\"%s\"}\n",
		    o->name);
	if (strcmp(url, "/healthz") == 0)
		return reply_json(c, 200, "{\"status\":\"ok\",\"origin\":\"%s\","
		    "\"checks\":{\"db\":\"up\"}}\n", o->name);
	if (strncmp(url, "/api/", 5) == 0)
		return reply_json(c, 200, "{\"message\":\"hello from micro\","
		    "\"origin\":\"%s\"}\n", o->name);
	return serve_file(o, c, url);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "site", required_argument, NULL, 's' },
		{ "portfile", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'P' },
		{ "sink", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct origin o;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *di;
	struct sockaddr_in sin;
	const char *portfile = NULL;
	unsigned port = 0;
	int ch;

	memset(&o, 0, sizeof(o));
	o.name = "origin";
	o.site = ".";
	o.seed = (unsigned)getpid();
	pthread_mutex_init(&o.mu, NULL);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': o.name = optarg; break;
		case 'S': o.sink = true; break;
		case 's': o.site = optarg; break;
		case 'p': portfile = optarg; break;
		case 'P': port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'h':
			printf("usage: demo-origin --name NAME --site DIR [--port N] "
			    "[--portfile F]\nServes /healthz, /api/*, the site; "
			    "POST /_control?mode=up|down|slow|flaky&delay_ms=N&error_rate=F\n"
			    "changes its health. Listens on 127.0.0.1 only.\n"
			    "--sink: also accept POSTs anywhere and print each body as a line\n"
			    "(the demo's alert webhook sink).\n");
			return 0;
		default:
			return 2;
		}
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(0x7f000001);	/* 127.0.0.1 */
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port,
	    NULL, NULL, on_request, &o, MHD_OPTION_SOCK_ADDR, &sin,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "demo-origin: cannot listen on 127.0.0.1:%u\n", port);
		return 1;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	port = di ? di->port : port;
	if (portfile) {
		char tmp[4096];
		FILE *fp;

		snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
		if ((fp = fopen(tmp, "w")) == NULL || fprintf(fp, "%u\n", port) < 0 ||
		    fclose(fp) != 0 || rename(tmp, portfile) != 0) {
			fprintf(stderr, "demo-origin: cannot write %s: %s\n", portfile,
			    strerror(errno));
			MHD_stop_daemon(d);
			return 1;
		}
	}
	fprintf(stderr, "demo-origin %s: listening on 127.0.0.1:%u\n", o.name, port);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!got_stop)
		sleep(1);
	fprintf(stderr, "demo-origin %s: stopping\n", o.name);
	MHD_stop_daemon(d);
	return 0;
}
