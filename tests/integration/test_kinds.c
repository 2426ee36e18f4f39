/* test_kinds: the tls, tcp, dns and assets probe kinds, the correlation
 * header and inconclusive results, end to end. The real vantage-agent runs
 * (--once, or as a daemon shipping to a real vantage-collector) against
 * fixture servers the test starts on 127.0.0.1 with kernel-chosen ports:
 *   - TLS servers (OpenSSL): a valid certificate, one expiring in 5 days,
 *     an expired one, one for another host name, a self-signed one, and a
 *     TLS 1.2-only server; certificates made at test time (certgen.c);
 *   - a TCP banner server ("220 ...", answers PING with +PONG);
 *   - a DNS server on a UDP port with fixed records and TTLs, NXDOMAIN for
 *     the rest, and a second one that never answers;
 *   - a site served by a front door and origins (libmicrohttpd), one with
 *     an older index.html, one missing an asset, one with the wrong cache
 *     header, one with different bytes under the same hashed name.
 * Every wait is bounded; temp dirs are removed unless a test fails (or
 * VANTAGE_KEEP_TMP is set). */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sqlite3.h>

#include "certgen.h"
#include "fixture.h"
#include "spawn.h"

#define AGENT_ID	"kinds-agent"
#define AGENT_KEY	"kinds-test-key-0123456789abcdef"
#define RUN_BOUND_MS	20000	/* a --once run, at most */
#define READY_MS	10000	/* a port file is written, at most */
#define STOP_MS		15000	/* exit after SIGTERM, at most */
#define WAIT_MS		20000	/* results reach the collector, at most */
#define MAX_CONNS	64	/* connections a TCP/TLS fixture serves at once */

static struct {
	char		 dir[PATH_MAX / 2];
	char		 db[PATH_MAX];
	char		 conf[PATH_MAX];
	struct spawn	 proc;		/* the agent started last */
	struct spawn	 coll;		/* the collector, if any */
	json_t		*results;	/* stdout lines of the last --once */
	int		 nruns;
} T;

static void
fail_cleanup(void)
{
	spawn_dump(&T.coll, "test failed (collector)");
	spawn_dump(&T.proc, "test failed");
	spawn_kill(&T.proc);
	spawn_kill(&T.coll);
	fprintf(stderr, "(test files kept in %s)\n", T.dir);
}

#define req(cond, ...) do {						\
	if (!(cond)) {							\
		fail_cleanup();						\
		ck_abort_msg(__VA_ARGS__);				\
	}								\
} while (0)

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;
	int rc;

	va_start(ap, f);
	rc = vasprintf(&s, f, ap);
	va_end(ap);
	ck_assert_msg(rc >= 0, "out of memory");
	return s;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	memset(&T, 0, sizeof(T));
	snprintf(T.dir, sizeof(T.dir), "%s/vantage-kinds.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	ck_assert_msg(mkdtemp(T.dir) != NULL, "mkdtemp %s: %s", T.dir, strerror(errno));
	snprintf(T.db, sizeof(T.db), "%s/agent.db", T.dir);
	snprintf(T.conf, sizeof(T.conf), "%s/agent.json", T.dir);
}

static void
teardown(void)
{
	spawn_kill(&T.proc);
	spawn_kill(&T.coll);
	json_decref(T.results);
	T.results = NULL;
	if (getenv("VANTAGE_KEEP_TMP") == NULL)
		nftw(T.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else
		fprintf(stderr, "kept %s\n", T.dir);
}

/* ---- small socket helpers ---- */

/* A TCP (or UDP) socket bound to 127.0.0.1 on a kernel-chosen port. */
static int
bound(int type, unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

static void
set_timeouts(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* ---- a listener serving each connection on its own thread ---- */

struct listener {
	int		 fd, stop[2];
	unsigned	 port;
	pthread_t	 th, conns[MAX_CONNS];
	int		 nconns;
	void		(*serve)(struct listener *l, int fd);
	SSL_CTX		*ctx;		/* TLS servers */
	pthread_mutex_t	 mu;
	int		 served;
};

struct conn_arg {
	struct listener	*l;
	int		 fd;
};

static void *
conn_main(void *arg)
{
	struct conn_arg *ca = arg;

	ca->l->serve(ca->l, ca->fd);
	close(ca->fd);
	pthread_mutex_lock(&ca->l->mu);
	ca->l->served++;
	pthread_mutex_unlock(&ca->l->mu);
	free(ca);
	return NULL;
}

static void *
accept_main(void *arg)
{
	struct listener *l = arg;

	for (;;) {
		struct pollfd pf[2] = { { l->fd, POLLIN, 0 }, { l->stop[0], POLLIN, 0 } };
		struct conn_arg *ca;
		int fd;

		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			break;
		if (!(pf[0].revents & POLLIN))
			continue;
		if ((fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		if (l->nconns == MAX_CONNS) {
			close(fd);
			continue;
		}
		set_timeouts(fd, 3000);
		ca = malloc(sizeof(*ca));
		if (ca == NULL) {
			close(fd);
			continue;
		}
		ca->l = l;
		ca->fd = fd;
		if (pthread_create(&l->conns[l->nconns], NULL, conn_main, ca) != 0) {
			close(fd);
			free(ca);
			continue;
		}
		l->nconns++;
	}
	return NULL;
}

static struct listener *
listener_start(void (*serve)(struct listener *, int), SSL_CTX *ctx)
{
	struct listener *l = calloc(1, sizeof(*l));

	ck_assert_ptr_nonnull(l);
	l->serve = serve;
	l->ctx = ctx;
	pthread_mutex_init(&l->mu, NULL);
	ck_assert_int_eq(pipe(l->stop), 0);
	l->fd = bound(SOCK_STREAM, &l->port);
	ck_assert_msg(l->fd >= 0, "cannot listen on 127.0.0.1");
	ck_assert_int_eq(pthread_create(&l->th, NULL, accept_main, l), 0);
	return l;
}

static void
listener_stop(struct listener *l)
{
	if (l == NULL)
		return;
	(void)!write(l->stop[1], "x", 1);
	pthread_join(l->th, NULL);
	for (int i = 0; i < l->nconns; i++)
		pthread_join(l->conns[i], NULL);	/* each bounded by its timeouts */
	close(l->fd);
	close(l->stop[0]);
	close(l->stop[1]);
	SSL_CTX_free(l->ctx);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

/* TLS: the handshake, then wait until the client hangs up. */
static void
serve_tls(struct listener *l, int fd)
{
	SSL *ssl = SSL_new(l->ctx);
	char c;

	if (ssl == NULL)
		return;
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) == 1)
		(void)SSL_read(ssl, &c, 1);	/* 0 once the client closes */
	SSL_free(ssl);
	ERR_clear_error();
}

static struct listener *
tls_server(const char *cert_chain, const char *key, bool tls12_only)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	ck_assert_ptr_nonnull(ctx);
	ck_assert_msg(SSL_CTX_use_certificate_chain_file(ctx, cert_chain) == 1 &&
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1,
	    "cannot load %s", cert_chain);
	if (tls12_only)
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	return listener_start(serve_tls, ctx);
}

/* TCP: a banner; "PING\r\n" gets "+PONG\r\n"; then wait for the hang-up. */
static void
serve_banner(struct listener *l, int fd)
{
	static const char banner[] = "220 vantage-test ESMTP ready\r\n";
	char buf[256];
	size_t have = 0;
	ssize_t n;

	(void)!send(fd, banner, sizeof(banner) - 1, MSG_NOSIGNAL);
	while ((n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0)) > 0) {
		have += (size_t)n;
		buf[have] = '\0';
		if (strstr(buf, "PING\r\n") != NULL) {
			(void)!send(fd, "+PONG\r\n", 7, MSG_NOSIGNAL);
			have = 0;
		}
		if (have == sizeof(buf) - 1)
			have = 0;
	}
}

/* ---- the DNS fixture ---- */

struct zrec {
	const char	*name;
	int		 type;
	uint32_t	 ttl;
	const char	*data;
};

static const struct zrec zone[] = {
	{ "a.kinds.test", 1, 60, "192.0.2.1" },
	{ "a.kinds.test", 1, 300, "192.0.2.2" },
	{ "v6.kinds.test", 28, 120, "2001:db8::1" },
	{ "www.kinds.test", 5, 300, "a.kinds.test" },
	{ "kinds.test", 16, 3600, "v=spf1 -all" },
	{ "kinds.test", 2, 86400, "ns1.kinds.test" },
	{ "kinds.test", 2, 86400, "ns2.kinds.test" },
	{ "low-ttl.kinds.test", 1, 5, "192.0.2.9" },
};

struct dns_server {
	int		 fd, stop[2];
	unsigned	 port;
	bool		 silent;	/* never answers */
	pthread_t	 th;
	pthread_mutex_t	 mu;
	int		 queries;
};

static size_t
put_name(uint8_t *out, const char *name)
{
	size_t o = 0;

	while (*name) {
		size_t l = strcspn(name, ".");

		out[o++] = (uint8_t)l;
		memcpy(out + o, name, l);
		o += l;
		name += l;
		if (*name == '.')
			name++;
	}
	out[o++] = 0;
	return o;
}

static size_t
put_rr(uint8_t *out, const struct zrec *z)
{
	size_t o = put_name(out, z->name), rdl = 0;
	uint8_t *rd;

	out[o++] = (uint8_t)(z->type >> 8);
	out[o++] = (uint8_t)z->type;
	out[o++] = 0;
	out[o++] = 1;
	out[o++] = (uint8_t)(z->ttl >> 24);
	out[o++] = (uint8_t)(z->ttl >> 16);
	out[o++] = (uint8_t)(z->ttl >> 8);
	out[o++] = (uint8_t)z->ttl;
	rd = out + o + 2;
	if (z->type == 1)
		rdl = inet_pton(AF_INET, z->data, rd) == 1 ? 4 : 0;
	else if (z->type == 28)
		rdl = inet_pton(AF_INET6, z->data, rd) == 1 ? 16 : 0;
	else if (z->type == 16) {
		rd[0] = (uint8_t)strlen(z->data);
		memcpy(rd + 1, z->data, strlen(z->data));
		rdl = strlen(z->data) + 1;
	} else
		rdl = put_name(rd, z->data);
	out[o] = (uint8_t)(rdl >> 8);
	out[o + 1] = (uint8_t)rdl;
	return o + 2 + rdl;
}

/* Answer one query (what a recursive resolver would: CNAMEs followed). */
static size_t
dns_answer(const uint8_t *q, size_t qlen, uint8_t *out)
{
	char name[256];
	size_t p = 12, o = 0, qend, n = 0, an = 0;
	int qtype;
	bool known = false;
	const char *want;

	if (qlen < 17)
		return 0;
	while (p < qlen && q[p] != 0 && o < sizeof(name) - 64) {
		size_t l = q[p++];

		if (o)
			name[o++] = '.';
		for (size_t i = 0; i < l && p < qlen; i++)
			name[o++] = (char)tolower(q[p++]);
	}
	name[o] = '\0';
	qend = p + 5;
	if (qend > qlen)
		return 0;
	qtype = q[p + 1] << 8 | q[p + 2];
	memcpy(out, q, 2);
	out[2] = 0x81;
	out[3] = 0x80;
	out[4] = 0;
	out[5] = 1;
	memset(out + 6, 0, 6);
	memcpy(out + 12, q + 12, qend - 12);
	n = qend;
	want = name;
	for (int hop = 0; hop < 2; hop++) {
		const char *next = NULL;

		for (size_t i = 0; i < sizeof(zone) / sizeof(zone[0]); i++) {
			if (strcasecmp(zone[i].name, want) != 0)
				continue;
			known = true;
			if (zone[i].type == qtype) {
				n += put_rr(out + n, &zone[i]);
				an++;
			} else if (zone[i].type == 5 && qtype != 5) {
				n += put_rr(out + n, &zone[i]);
				an++;
				next = zone[i].data;
			}
		}
		if (next == NULL)
			break;
		want = next;
	}
	if (!known)
		out[3] = 0x83;		/* NXDOMAIN */
	out[7] = (uint8_t)an;
	return n;
}

static void *
dns_main(void *arg)
{
	struct dns_server *d = arg;

	for (;;) {
		struct pollfd pf[2] = { { d->fd, POLLIN, 0 }, { d->stop[0], POLLIN, 0 } };
		uint8_t q[1500], out[2048];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n;
		size_t len;

		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			break;
		if (d->silent || !(pf[0].revents & POLLIN))
			continue;
		if ((n = recvfrom(d->fd, q, sizeof(q), 0, (struct sockaddr *)&from,
		    &fl)) <= 0)
			continue;
		pthread_mutex_lock(&d->mu);
		d->queries++;
		pthread_mutex_unlock(&d->mu);
		if ((len = dns_answer(q, (size_t)n, out)) > 0)
			sendto(d->fd, out, len, 0, (struct sockaddr *)&from, fl);
	}
	return NULL;
}

static struct dns_server *
dns_start(bool silent)
{
	struct dns_server *d = calloc(1, sizeof(*d));

	ck_assert_ptr_nonnull(d);
	d->silent = silent;
	pthread_mutex_init(&d->mu, NULL);
	ck_assert_int_eq(pipe(d->stop), 0);
	d->fd = bound(SOCK_DGRAM, &d->port);
	ck_assert_msg(d->fd >= 0, "cannot bind a UDP port");
	ck_assert_int_eq(pthread_create(&d->th, NULL, dns_main, d), 0);
	return d;
}

static void
dns_stop(struct dns_server *d)
{
	if (d == NULL)
		return;
	(void)!write(d->stop[1], "x", 1);
	pthread_join(d->th, NULL);
	close(d->fd);
	close(d->stop[0]);
	close(d->stop[1]);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

/* ---- the site: front door and origins ---- */

#define IMMUTABLE	"public, max-age=31536000, immutable"
#define NEW_INDEX \
	"<!doctype html><html><head>\n" \
	"<link rel=\"stylesheet\" href=\"/assets/style.9f8e7d.css\">\n" \
	"<script type=\"module\" src=\"/assets/app.8d41e0.js\"></script>\n" \
	"</head><body><div id=\"app\"></div></body></html>\n"
#define OLD_INDEX \
	"<!doctype html><html><head>\n" \
	"<link rel=\"stylesheet\" href=\"/assets/style.9f8e7d.css\">\n" \
	"<script type=\"module\" src=\"/assets/app.111111.js\"></script>\n" \
	"</head><body><div id=\"app\"></div></body></html>\n"
#define APP_V2		"console.log('micro v2');\n"
#define APP_V1		"console.log('micro v1');\n"
#define STYLE		"body { margin: 0; }\n"

struct asset {
	const char	*path, *body, *cache_control;
};

struct site {
	const char		*name;
	const char		*index, *index_cc;
	struct asset		 assets[4];
	struct MHD_Daemon	*d;
	unsigned		 port;
	pthread_mutex_t		 mu;
	char			 probe[256];	/* last X-Vantage-Probe seen */
	int			 requests, probes;
};

static struct MHD_Response *
text(const char *s)
{
	return MHD_create_response_from_buffer(strlen(s), (void *)(uintptr_t)s,
	    MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result
site_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req_ctx)
{
	static int marker;
	struct site *s = cls;
	struct MHD_Response *r = NULL;
	const char *probe, *cc = NULL;
	unsigned status = 200;
	enum MHD_Result ret;

	if (*req_ctx == NULL) {
		*req_ctx = &marker;
		return MHD_YES;
	}
	probe = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Vantage-Probe");
	pthread_mutex_lock(&s->mu);
	s->requests++;
	if (probe) {
		s->probes++;
		snprintf(s->probe, sizeof(s->probe), "%s", probe);
	}
	pthread_mutex_unlock(&s->mu);
	if (strcmp(url, "/") == 0) {
		r = text(s->index);
		cc = s->index_cc;
	} else {
		for (int i = 0; i < 4 && s->assets[i].path; i++)
			if (strcmp(url, s->assets[i].path) == 0) {
				r = text(s->assets[i].body);
				cc = s->assets[i].cache_control;
			}
	}
	if (r == NULL) {
		status = 404;
		r = text("not found\n");
	}
	if (r == NULL)
		return MHD_NO;
	if (cc)
		MHD_add_response_header(r, "Cache-Control", cc);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void
site_start(struct site *s)
{
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *di;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_mutex_init(&s->mu, NULL);
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, site_request, s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	ck_assert_msg(s->d != NULL, "cannot start the %s site", s->name);
	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	ck_assert_msg(di && di->port, "no port for the %s site", s->name);
	s->port = di->port;
}

static void
site_stop(struct site *s)
{
	if (s->d)
		MHD_stop_daemon(s->d);
	s->d = NULL;
	pthread_mutex_destroy(&s->mu);
}

/* The front door and the origins of the asset tests. */
enum { FRONT, ORIGIN_OLD, ORIGIN_MISS, ORIGIN_CACHE, ORIGIN_DIFF, ORIGIN_GOOD, NSITES };

static void
sites_init(struct site *s)
{
#define SITE(n, ix, cc, ...) { .name = n, .index = ix, .index_cc = cc, \
	.assets = { __VA_ARGS__ } }
	const struct site def[NSITES] = {
		SITE("front-door", NEW_INDEX, "public, max-age=60, stale-while-revalidate=30",
		    { "/assets/app.8d41e0.js", APP_V2, IMMUTABLE },
		    { "/assets/style.9f8e7d.css", STYLE, IMMUTABLE }),
		SITE("origin-old", OLD_INDEX, "public, max-age=60",
		    { "/assets/app.111111.js", APP_V1, IMMUTABLE },
		    { "/assets/style.9f8e7d.css", STYLE, IMMUTABLE }),
		SITE("origin-miss", NEW_INDEX, "no-cache",
		    { "/assets/app.8d41e0.js", APP_V2, IMMUTABLE }),
		SITE("origin-cache", NEW_INDEX, "public, max-age=60",
		    { "/assets/app.8d41e0.js", APP_V2, "public, max-age=60" },
		    { "/assets/style.9f8e7d.css", STYLE, "public, max-age=60" }),
		SITE("origin-diff", NEW_INDEX, "public, max-age=60",
		    { "/assets/app.8d41e0.js", "console.log('patched in place');\n",
		      IMMUTABLE },
		    { "/assets/style.9f8e7d.css", STYLE, IMMUTABLE }),
		SITE("origin-good", NEW_INDEX, "public, max-age=300",
		    { "/assets/app.8d41e0.js", APP_V2, IMMUTABLE },
		    { "/assets/style.9f8e7d.css", STYLE, IMMUTABLE }),
	};
#undef SITE

	for (int i = 0; i < NSITES; i++) {
		s[i] = def[i];
		site_start(&s[i]);
	}
}

static void
sites_stop(struct site *s)
{
	for (int i = 0; i < NSITES; i++)
		site_stop(&s[i]);
}

/* ---- running the agent ---- */

static void
write_config(const char *agent_extra, const char *checks)
{
	char *text = fmt("{\n  \"agent\": {\"id\": \"%s\", \"db\": \"%s\"%s},\n"
	    "  \"checks\": %s\n}\n", AGENT_ID, T.db, agent_extra ? agent_extra : "",
	    checks);

	ck_assert_msg(spawn_write_file(T.conf, text) == 0, "cannot write %s", T.conf);
	free(text);
}

static void
start_agent(const char *conf, const char *a1, const char *a2)
{
	char *argv[8], tag[32];
	int n = 0;

	argv[n++] = (char *)(uintptr_t)spawn_agent_path();
	argv[n++] = (char *)"-c";
	argv[n++] = (char *)(uintptr_t)conf;
	if (a1)
		argv[n++] = (char *)(uintptr_t)a1;
	if (a2)
		argv[n++] = (char *)(uintptr_t)a2;
	argv[n] = NULL;
	snprintf(tag, sizeof(tag), "agent-%d", ++T.nruns);
	req(spawn_start(&T.proc, T.dir, tag, argv) == 0, "cannot start %s", argv[0]);
}

/* Run --once with T.conf; the results in T.results; returns how long the
 * run took in ms. */
static int64_t
run_once(void)
{
	char *out, *line, *nl;

	start_agent(T.conf, "--once", NULL);
	req(spawn_wait(&T.proc, RUN_BOUND_MS) == 0, "--once did not finish in %d ms",
	    RUN_BOUND_MS);
	req(spawn_exit_code(&T.proc) == 0, "--once exited with %d",
	    spawn_exit_code(&T.proc));
	json_decref(T.results);
	T.results = json_array();
	out = spawn_read_file(T.proc.out_path, NULL);
	req(out != NULL, "cannot read %s", T.proc.out_path);
	for (line = out; *line; line = nl + 1) {
		json_error_t je;
		json_t *o;

		nl = strchr(line, '\n');
		req(nl != NULL, "stdout does not end in a newline");
		*nl = '\0';
		o = json_loads(line, 0, &je);
		req(json_is_object(o), "not a JSON object (%s): %s", je.text, line);
		json_array_append_new(T.results, o);
	}
	free(out);
	return (T.proc.end_us - T.proc.start_us) / 1000;
}

static json_t *
result(const char *check)
{
	size_t i;
	json_t *r;

	json_array_foreach(T.results, i, r)
		if (strcmp(json_string_value(json_object_get(r, "check")), check) == 0)
			return r;
	req(0, "no result for check \"%s\"", check);
	return NULL;
}

static const char *
jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "(null)";
}

static json_int_t
jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	req(json_is_integer(v), "field %s is not an integer", key);
	return json_integer_value(v);
}

static json_t *
want_ok(const char *check)
{
	json_t *r = result(check);
	char *all = json_dumps(r, JSON_COMPACT);

	req(json_is_true(json_object_get(r, "ok")), "check %s failed: %s: %s\n%s",
	    check, jstr(r, "error_class"), jstr(r, "error"), all);
	free(all);
	req(json_object_get(r, "inconclusive") == NULL, "check %s passed but is "
	    "inconclusive", check);
	return r;
}

/* The check failed with class cls and a message containing every needle
 * (NULL-terminated list). */
static json_t *
want_fail(const char *check, const char *cls, ...)
{
	json_t *r = result(check);
	const char *err = jstr(r, "error"), *needle;
	va_list ap;

	req(json_is_false(json_object_get(r, "ok")), "check %s passed, want %s",
	    check, cls);
	req(strcmp(jstr(r, "error_class"), cls) == 0, "check %s: class %s, want %s "
	    "(error: %s)", check, jstr(r, "error_class"), cls, err);
	va_start(ap, cls);
	while ((needle = va_arg(ap, const char *)) != NULL)
		req(strstr(err, needle) != NULL, "check %s: error \"%s\" does not say "
		    "\"%s\"", check, err, needle);
	va_end(ap);
	return r;
}

/* ---- tls ---- */

START_TEST(test_tls)
{
	struct certgen_set cs;
	struct certgen_pair valid, soon;
	struct listener *srv[6];
	char err[256], *checks;
	int64_t now = time(NULL);
	json_t *r;
	enum { VALID, SOON, EXPIRED, WRONG, SELF, TLS12 };

	req(certgen_make(T.dir, &cs, err, sizeof(err)) == 0, "certgen: %s", err);
	req(certgen_make_leaf(&cs, T.dir, "valid-chain", now + 30 * 86400, 1, &valid,
	    err, sizeof(err)) == 0, "certgen: %s", err);
	req(certgen_make_leaf(&cs, T.dir, "soon", now + 5 * 86400, 1, &soon, err,
	    sizeof(err)) == 0, "certgen: %s", err);
	srv[VALID] = tls_server(valid.cert, valid.key, false);
	srv[SOON] = tls_server(soon.cert, soon.key, false);
	srv[EXPIRED] = tls_server(cs.pair[CERTGEN_EXPIRED].cert,
	    cs.pair[CERTGEN_EXPIRED].key, false);
	srv[WRONG] = tls_server(cs.pair[CERTGEN_WRONG_HOST].cert,
	    cs.pair[CERTGEN_WRONG_HOST].key, false);
	srv[SELF] = tls_server(cs.pair[CERTGEN_SELF_SIGNED].cert,
	    cs.pair[CERTGEN_SELF_SIGNED].key, false);
	srv[TLS12] = tls_server(valid.cert, valid.key, true);
#define TLS(name, i, more) "{\"name\": \"" name "\", \"kind\": \"tls\", \"host\": " \
	"\"127.0.0.1\", \"port\": %u, \"ca_file\": \"%s\", \"timeout\": \"5s\"" more "}"
	checks = fmt("[" TLS("valid", VALID, ", \"expect\": {\"min_days_left\": 14, "
	    "\"min_chain_days_left\": 14, \"min_version\": \"1.3\", \"issuer_regex\": "
	    "\"CN=Vantage test CA\"}") ",\n"
	    TLS("valid-issuer", VALID, ", \"expect\": {\"issuer_regex\": "
	    "\"Let's Encrypt\"}") ",\n"
	    TLS("valid-localhost", VALID, ", \"server_name\": \"localhost\"") ",\n"
	    TLS("soon", SOON, ", \"expect\": {\"min_days_left\": 14}") ",\n"
	    TLS("soon-chain", SOON, ", \"expect\": {\"min_chain_days_left\": 7}") ",\n"
	    TLS("soon-lenient", SOON, ", \"expect\": {\"min_days_left\": 3}") ",\n"
	    TLS("expired", EXPIRED, "") ",\n"
	    TLS("expired-insecure", EXPIRED, ", \"insecure\": true") ",\n"
	    TLS("wrong-host", WRONG, "") ",\n"
	    TLS("wrong-host-sni", WRONG, ", \"server_name\": \"wrong.example\"") ",\n"
	    TLS("self-signed", SELF, "") ",\n"
	    TLS("self-signed-insecure", SELF, ", \"insecure\": true") ",\n"
	    TLS("tls12", TLS12, "") ",\n"
	    TLS("tls12-min13", TLS12, ", \"expect\": {\"min_version\": \"1.3\"}") ",\n"
	    "{\"name\": \"refused\", \"kind\": \"tls\", \"host\": \"127.0.0.1\", "
	    "\"port\": %u, \"timeout\": \"2s\"}]",
	    srv[VALID]->port, cs.ca_file, srv[VALID]->port, cs.ca_file,
	    srv[VALID]->port, cs.ca_file, srv[SOON]->port, cs.ca_file,
	    srv[SOON]->port, cs.ca_file, srv[SOON]->port, cs.ca_file,
	    srv[EXPIRED]->port, cs.ca_file, srv[EXPIRED]->port, cs.ca_file,
	    srv[WRONG]->port, cs.ca_file, srv[WRONG]->port, cs.ca_file,
	    srv[SELF]->port, cs.ca_file, srv[SELF]->port, cs.ca_file,
	    srv[TLS12]->port, cs.ca_file, srv[TLS12]->port, cs.ca_file,
	    fixture_refused_port());
#undef TLS
	write_config(NULL, checks);
	free(checks);
	run_once();

	r = want_ok("valid");
	req(strcmp(jstr(r, "kind"), "tls") == 0, "kind %s", jstr(r, "kind"));
	req(strcmp(jstr(r, "tls_version"), "TLSv1.3") == 0, "tls_version %s",
	    jstr(r, "tls_version"));
	req(*jstr(r, "tls_cipher") != '\0' && strcmp(jstr(r, "tls_cipher"), "(null)"),
	    "no tls_cipher");
	req(jint(r, "cert_days_left") >= 29 && jint(r, "cert_days_left") <= 30,
	    "cert_days_left %lld", (long long)jint(r, "cert_days_left"));
	/* the chain is the leaf and the test CA (365 days): the leaf is first */
	req(jint(r, "chain_days_left") == jint(r, "cert_days_left"), "chain_days_left %lld",
	    (long long)jint(r, "chain_days_left"));
	req(jint(r, "cert_not_after") == valid.not_after, "cert_not_after %lld, want %lld",
	    (long long)jint(r, "cert_not_after"), (long long)valid.not_after);
	req(strstr(jstr(r, "cert_issuer"), "CN=Vantage test CA") != NULL, "cert_issuer %s",
	    jstr(r, "cert_issuer"));
	req(strcmp(jstr(r, "cert_verify"), "ok") == 0, "cert_verify %s",
	    jstr(r, "cert_verify"));
	req(jint(r, "tls_us") > 0 && jint(r, "connect_us") > 0, "phases missing");
	req(strncmp(jstr(r, "url"), "tls://127.0.0.1:", 16) == 0, "url %s", jstr(r, "url"));
	want_fail("valid-issuer", "tls", "issuer \"", "does not match /Let's Encrypt/",
	    NULL);
	want_ok("valid-localhost");
	r = want_fail("soon", "tls", "leaf certificate expires in ", "expected at least "
	    "14 days left", NULL);
	req(jint(r, "cert_days_left") >= 4 && jint(r, "cert_days_left") <= 5,
	    "soon: cert_days_left %lld", (long long)jint(r, "cert_days_left"));
	want_fail("soon-chain", "tls", "in the chain expires in ", "expected at least 7 "
	    "days left", NULL);
	want_ok("soon-lenient");
	want_fail("expired", "tls", "certificate chain not valid: certificate has "
	    "expired", NULL);
	r = want_ok("expired-insecure");
	req(jint(r, "cert_days_left") == -1, "expired: cert_days_left %lld",
	    (long long)jint(r, "cert_days_left"));
	req(strcmp(jstr(r, "cert_verify"), "certificate has expired") == 0,
	    "cert_verify %s", jstr(r, "cert_verify"));
	want_fail("wrong-host", "tls", "certificate does not match 127.0.0.1",
	    "DNS:wrong.example", NULL);
	want_ok("wrong-host-sni");
	want_fail("self-signed", "tls", "certificate chain not valid: self-signed "
	    "certificate", NULL);
	want_ok("self-signed-insecure");
	r = want_ok("tls12");
	req(strcmp(jstr(r, "tls_version"), "TLSv1.2") == 0, "tls12: %s",
	    jstr(r, "tls_version"));
	want_fail("tls12-min13", "tls", "negotiated TLSv1.2, expected at least TLS 1.3",
	    NULL);
	want_fail("refused", "connect", NULL);
	for (int i = 0; i < 6; i++)
		listener_stop(srv[i]);
}
END_TEST

/* ---- tcp ---- */

START_TEST(test_tcp)
{
	struct listener *b = listener_start(serve_banner, NULL);
	unsigned hole_port, refused = fixture_refused_port();
	int hole = fixture_blackhole(&hole_port);
	char *checks;
	json_t *r;
	int64_t ms;

	req(hole >= 0 && refused, "no black hole or refused port");
	checks = fmt("["
	    "{\"name\": \"connect\", \"kind\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": %u},\n"
	    "{\"name\": \"banner\", \"kind\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": %u, "
	    "\"timeout\": \"3s\", \"expect\": {\"banner_regex\": \"^220 .*ESMTP\"}},\n"
	    "{\"name\": \"ping\", \"kind\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": %u, "
	    "\"timeout\": \"3s\", \"send\": \"PING\\r\\n\", \"expect\": {\"banner_regex\": "
	    "\"\\\\+PONG\\r\\n\"}},\n"
	    "{\"name\": \"wrong-banner\", \"kind\": \"tcp\", \"host\": \"127.0.0.1\", "
	    "\"port\": %u, \"timeout\": \"1s\", \"expect\": {\"banner_regex\": \"^554 \"}},\n"
	    "{\"name\": \"silent\", \"kind\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": %u, "
	    "\"timeout\": \"600ms\", \"expect\": {\"banner_regex\": \"^220\"}},\n"
	    "{\"name\": \"silent-connect\", \"kind\": \"tcp\", \"host\": \"127.0.0.1\", "
	    "\"port\": %u},\n"
	    "{\"name\": \"refused\", \"kind\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": %u, "
	    "\"timeout\": \"2s\"}]", b->port, b->port, b->port, b->port, hole_port,
	    hole_port, refused);
	write_config(NULL, checks);
	free(checks);
	ms = run_once();

	r = want_ok("connect");
	req(jint(r, "connect_us") > 0, "connect_us %lld", (long long)jint(r, "connect_us"));
	req(json_object_get(r, "banner") == NULL, "a banner without banner_regex");
	req(strncmp(jstr(r, "url"), "tcp://127.0.0.1:", 16) == 0, "url %s", jstr(r, "url"));
	r = want_ok("banner");
	req(strcmp(jstr(r, "banner"), "220 vantage-test ESMTP ready\r\n") == 0,
	    "banner %s", jstr(r, "banner"));
	req(jint(r, "bytes") == 30, "bytes %lld", (long long)jint(r, "bytes"));
	r = want_ok("ping");
	req(strstr(jstr(r, "banner"), "+PONG\r\n") != NULL, "ping: banner %s",
	    jstr(r, "banner"));
	want_fail("wrong-banner", "assertion", "banner \"220 vantage-test ESMTP "
	    "ready\\r\\n\" does not match /^554 /", NULL);
	r = want_fail("silent", "timeout", "no banner within 600 ms", NULL);
	req(jint(r, "total_us") >= 550000 && jint(r, "total_us") < 1600000,
	    "silent: total_us %lld for a 600 ms timeout", (long long)jint(r, "total_us"));
	want_ok("silent-connect");
	want_fail("refused", "connect", NULL);
	req(ms < 5000, "--once took %lld ms", (long long)ms);
	listener_stop(b);
	close(hole);
}
END_TEST

/* ---- dns ---- */

START_TEST(test_dns)
{
	struct dns_server *d = dns_start(false), *mute = dns_start(true);
	unsigned closed;
	int cfd = bound(SOCK_DGRAM, &closed);
	char *checks;
	json_t *r, *ans;
	int64_t ms;

#define DNS(name, q, more) "{\"name\": \"" name "\", \"kind\": \"dns\", \"query\": \"" \
	q "\", \"server\": \"127.0.0.1:%u\", \"timeout\": \"2s\"" more "}"
	checks = fmt("["
	    DNS("a", "a.kinds.test", ", \"expect\": {\"answers_include\": [\"192.0.2.1\", "
	    "\"192.0.2.2\"], \"ttl_min\": \"60s\", \"ttl_max\": \"300s\"}") ",\n"
	    DNS("a-missing", "a.kinds.test", ", \"expect\": {\"answers_include\": "
	    "[\"192.0.2.7\"]}") ",\n"
	    DNS("a-ttl-max", "a.kinds.test", ", \"expect\": {\"ttl_max\": \"120s\"}") ",\n"
	    DNS("low-ttl", "low-ttl.kinds.test", ", \"expect\": {\"ttl_min\": \"60s\", "
	    "\"ttl_max\": \"300s\"}") ",\n"
	    DNS("aaaa", "v6.kinds.test", ", \"type\": \"AAAA\", \"expect\": "
	    "{\"answers_include\": [\"2001:db8:0::1\"]}") ",\n"
	    DNS("cname", "www.kinds.test", ", \"type\": \"CNAME\", \"expect\": "
	    "{\"answers_include\": [\"a.kinds.test.\"]}") ",\n"
	    DNS("cname-chased", "www.kinds.test", ", \"expect\": {\"answers_include\": "
	    "[\"192.0.2.2\"]}") ",\n"
	    DNS("txt", "kinds.test", ", \"type\": \"TXT\", \"expect\": "
	    "{\"answers_include\": [\"v=spf1 -all\"]}") ",\n"
	    DNS("ns", "kinds.test", ", \"type\": \"NS\", \"expect\": {\"answers_include\": "
	    "[\"ns1.kinds.test\", \"NS2.kinds.test\"]}") ",\n"
	    DNS("nxdomain-expected", "nope.kinds.test", ", \"expect\": {\"rcode\": "
	    "\"NXDOMAIN\"}") ",\n"
	    DNS("nxdomain", "nope.kinds.test", "") ",\n"
	    DNS("nodata", "v6.kinds.test", "") ",\n"
	    "{\"name\": \"mute\", \"kind\": \"dns\", \"query\": \"a.kinds.test\", "
	    "\"server\": \"127.0.0.1:%u\", \"timeout\": \"600ms\"},\n"
	    "{\"name\": \"a.kinds.test\", \"kind\": \"dns\", \"server\": \"127.0.0.1:%u\", "
	    "\"timeout\": \"2s\"}]",
	    d->port, d->port, d->port, d->port, d->port, d->port, d->port, d->port,
	    d->port, d->port, d->port, d->port, mute->port, closed);
#undef DNS
	req(cfd >= 0, "no UDP port");
	close(cfd);		/* nothing listens there now */
	write_config(NULL, checks);
	free(checks);
	ms = run_once();

	/* the check's name is the name to resolve; the port answers ICMP
	 * unreachable */
	want_fail("a.kinds.test", "connect", "Connection refused", NULL);
	r = want_ok("a");
	req(strcmp(jstr(r, "rcode"), "NOERROR") == 0, "rcode %s", jstr(r, "rcode"));
	req(jint(r, "ttl") == 60, "ttl %lld, want the lowest (60)",
	    (long long)jint(r, "ttl"));
	ans = json_object_get(r, "answers");
	req(json_array_size(ans) == 2, "%zu answers", json_array_size(ans));
	req(strcmp(jstr(json_array_get(ans, 1), "data"), "192.0.2.2") == 0 &&
	    jint(json_array_get(ans, 1), "ttl") == 300 &&
	    strcmp(jstr(json_array_get(ans, 1), "type"), "A") == 0,
	    "second answer wrong");
	req(jint(r, "dns_us") > 0 && jint(r, "total_us") >= jint(r, "dns_us"),
	    "resolution time missing");
	req(strncmp(jstr(r, "resolver"), "127.0.0.1:", 10) == 0, "resolver %s",
	    jstr(r, "resolver"));
	req(strcmp(jstr(r, "ip"), "127.0.0.1") == 0, "ip %s", jstr(r, "ip"));
	want_fail("a-missing", "dns", "a.kinds.test A: 192.0.2.7 is not in the answer "
	    "(got 192.0.2.1, 192.0.2.2)", NULL);
	want_fail("a-ttl-max", "dns", "TTL of a.kinds.test A 192.0.2.2 is 300s, "
	    "expected at most 120s", NULL);
	want_fail("low-ttl", "dns", "TTL of low-ttl.kinds.test A 192.0.2.9 is 5s, "
	    "expected at least 60s", NULL);
	want_ok("aaaa");
	r = want_ok("cname");
	req(strcmp(jstr(json_array_get(json_object_get(r, "answers"), 0), "data"),
	    "a.kinds.test") == 0, "cname data");
	r = want_ok("cname-chased");
	req(json_array_size(json_object_get(r, "answers")) == 3, "cname chain of %zu",
	    json_array_size(json_object_get(r, "answers")));
	want_ok("txt");
	want_ok("ns");
	r = want_ok("nxdomain-expected");
	req(strcmp(jstr(r, "rcode"), "NXDOMAIN") == 0, "rcode %s", jstr(r, "rcode"));
	want_fail("nxdomain", "dns", "nope.kinds.test A: rcode NXDOMAIN, expected "
	    "NOERROR", NULL);
	want_fail("nodata", "dns", "v6.kinds.test: no A records in the answer (NODATA)",
	    NULL);
	r = want_fail("mute", "timeout", "no answer from 127.0.0.1:", "within 600 ms",
	    NULL);
	req(jint(r, "total_us") >= 550000 && jint(r, "total_us") < 1600000,
	    "mute: total_us %lld for a 600 ms timeout", (long long)jint(r, "total_us"));
	req(ms < 5000, "--once took %lld ms", (long long)ms);
	dns_stop(d);
	dns_stop(mute);
}
END_TEST

/* ---- assets ---- */

/* The problems[] of target name in r's details. */
static json_t *
problems_of(json_t *r, const char *name)
{
	size_t i;
	json_t *t;

	json_array_foreach(json_object_get(r, "details"), i, t)
		if (strcmp(jstr(t, "target"), name) == 0)
			return json_object_get(t, "problems");
	req(0, "no details for target %s", name);
	return NULL;
}

/* Is there a problem of kind what about asset? */
static json_t *
problem(json_t *probs, const char *what, const char *asset)
{
	size_t i;
	json_t *p;

	json_array_foreach(probs, i, p)
		if (strcmp(jstr(p, "problem"), what) == 0 &&
		    (asset == NULL || strcmp(jstr(p, "asset"), asset) == 0))
			return p;
	return NULL;
}

START_TEST(test_assets)
{
	struct site s[NSITES];
	char *checks, *probe;
	json_t *r, *p, *pr;

	sites_init(s);
#define TARGET(i, layer) "{\"name\": \"%s\", \"url\": \"http://127.0.0.1:%u/\", " \
	"\"layer\": \"" layer "\", \"provider\": \"test\"}"
	checks = fmt("["
	    "{\"name\": \"micro-assets\", \"kind\": \"assets\", \"service\": \"micro\", "
	    "\"timeout\": \"5s\", \"targets\": [" TARGET(0, "front_door") ", "
	    TARGET(1, "central") ", " TARGET(2, "edge") ", " TARGET(3, "central") ", "
	    TARGET(4, "edge") "]},\n"
	    "{\"name\": \"consistent\", \"kind\": \"assets\", \"timeout\": \"5s\", "
	    "\"targets\": [" TARGET(0, "front_door") ", " TARGET(5, "central") "]},\n"
	    "{\"name\": \"origin-down\", \"kind\": \"assets\", \"timeout\": \"5s\", "
	    "\"targets\": [" TARGET(0, "front_door") ", " TARGET(5, "central") "]}]",
	    s[FRONT].name, s[FRONT].port, s[ORIGIN_OLD].name, s[ORIGIN_OLD].port,
	    s[ORIGIN_MISS].name, s[ORIGIN_MISS].port, s[ORIGIN_CACHE].name,
	    s[ORIGIN_CACHE].port, s[ORIGIN_DIFF].name, s[ORIGIN_DIFF].port,
	    s[FRONT].name, s[FRONT].port, s[ORIGIN_GOOD].name, s[ORIGIN_GOOD].port,
	    s[FRONT].name, s[FRONT].port, "gone", fixture_refused_port());
#undef TARGET
	write_config(NULL, checks);
	free(checks);
	run_once();

	r = want_ok("consistent");
	req(json_array_size(json_object_get(r, "assets")) == 2, "consistent: %zu assets",
	    json_array_size(json_object_get(r, "assets")));
	req(json_array_size(problems_of(r, "origin-good")) == 0, "problems on a good "
	    "origin");

	/* a target that does not answer: its index, once, with its class */
	r = want_fail("origin-down", "connect", "gone: index.html: ", NULL);
	pr = problems_of(r, "gone");
	req(json_array_size(pr) == 1 && problem(pr, "index_unavailable", "index.html"),
	    "gone: %zu problems", json_array_size(pr));
	req(json_array_size(problems_of(r, "front-door")) == 0, "front door problems");

	r = want_fail("micro-assets", "consistency", "origin-old: serves another "
	    "index.html", NULL);
	req(jint(r, "status") == 200, "status %lld", (long long)jint(r, "status"));
	req(json_array_size(problems_of(r, "front-door")) == 0, "front door problems");

	/* origin-old: an older index.html, and the new app bundle is not there */
	pr = problems_of(r, "origin-old");
	p = problem(pr, "index_version", "index.html");
	req(p != NULL, "origin-old: no index_version problem");
	req(strstr(jstr(p, "message"), "referencing app.111111.js instead of "
	    "app.8d41e0.js (as on front-door") != NULL, "origin-old: %s",
	    jstr(p, "message"));
	req(strcmp(jstr(p, "index_sha256"), jstr(p, "reference_sha256")) != 0,
	    "origin-old: same index digest");
	p = problem(pr, "missing", "/assets/app.8d41e0.js");
	req(p != NULL && jint(p, "status") == 404, "origin-old: app.8d41e0.js not "
	    "reported missing");
	req(json_array_size(pr) == 2, "origin-old: %zu problems", json_array_size(pr));

	/* origin-miss: the stylesheet is missing (its index is fine, no-cache) */
	pr = problems_of(r, "origin-miss");
	p = problem(pr, "missing", "/assets/style.9f8e7d.css");
	req(p != NULL && jint(p, "status") == 404, "origin-miss: style not missing");
	req(strcmp(jstr(p, "message"), "/assets/style.9f8e7d.css missing (HTTP 404)")
	    == 0, "origin-miss: %s", jstr(p, "message"));
	req(json_array_size(pr) == 1, "origin-miss: %zu problems", json_array_size(pr));

	/* origin-cache: both assets with a one-minute cache */
	pr = problems_of(r, "origin-cache");
	p = problem(pr, "cache_policy", "/assets/app.8d41e0.js");
	req(p != NULL, "origin-cache: no cache_policy problem for app.8d41e0.js");
	req(strcmp(jstr(p, "cache_control"), "public, max-age=60") == 0,
	    "origin-cache: cache_control %s", jstr(p, "cache_control"));
	req(strstr(jstr(p, "message"), "want max-age >= 31536000s and immutable") != NULL,
	    "origin-cache: %s", jstr(p, "message"));
	req(problem(pr, "cache_policy", "/assets/style.9f8e7d.css") != NULL,
	    "origin-cache: no cache_policy problem for the stylesheet");
	req(json_array_size(pr) == 2, "origin-cache: %zu problems", json_array_size(pr));

	/* origin-diff: same name, other bytes */
	pr = problems_of(r, "origin-diff");
	p = problem(pr, "different", "/assets/app.8d41e0.js");
	req(p != NULL, "origin-diff: no different problem");
	req(strcmp(jstr(p, "reference"), "front-door") == 0 &&
	    strlen(jstr(p, "sha256")) == 64 &&
	    strcmp(jstr(p, "sha256"), jstr(p, "reference_sha256")) != 0,
	    "origin-diff: digests");
	req(json_array_size(pr) == 1, "origin-diff: %zu problems", json_array_size(pr));

	/* every request carried the correlation header, with the record's id */
	pthread_mutex_lock(&s[ORIGIN_GOOD].mu);
	probe = strdup(s[ORIGIN_GOOD].probe);
	req(s[ORIGIN_GOOD].probes == s[ORIGIN_GOOD].requests && s[ORIGIN_GOOD].probes == 3,
	    "origin-good: %d of %d requests with the header", s[ORIGIN_GOOD].probes,
	    s[ORIGIN_GOOD].requests);
	pthread_mutex_unlock(&s[ORIGIN_GOOD].mu);
	r = result("consistent");
	{
		char *want = fmt("consistent/%s/%s", AGENT_ID, jstr(r, "probe_id"));

		req(strcmp(probe, want) == 0, "X-Vantage-Probe \"%s\", want \"%s\"", probe,
		    want);
		free(want);
	}
	req(strncmp(jstr(r, "probe_id"), "", 1) != 0 &&
	    strtoll(jstr(r, "probe_id"), NULL, 10) == jint(r, "ts"),
	    "probe_id %s does not start with ts %lld", jstr(r, "probe_id"),
	    (long long)jint(r, "ts"));
	free(probe);
	sites_stop(s);
}
END_TEST

/* The header's name is configurable and it can be turned off. */
START_TEST(test_correlation_header)
{
	struct site s[NSITES];
	char *checks;

	sites_init(s);
	checks = fmt("[{\"name\": \"front\", \"url\": \"http://127.0.0.1:%u/\"}]",
	    s[FRONT].port);
	write_config(", \"probe_header\": false", checks);
	run_once();
	want_ok("front");
	req(json_object_get(result("front"), "probe_id") == NULL, "probe_id without "
	    "a header");
	req(s[FRONT].requests == 1 && s[FRONT].probes == 0, "header sent though off");
	/* the check's own value of the header wins */
	free(checks);
	checks = fmt("[{\"name\": \"front\", \"url\": \"http://127.0.0.1:%u/\", "
	    "\"headers\": {\"X-Vantage-Probe\": \"mine\"}}]", s[FRONT].port);
	write_config(NULL, checks);
	run_once();
	want_ok("front");
	req(s[FRONT].probes == 1 && strcmp(s[FRONT].probe, "mine") == 0,
	    "the check's header was replaced: \"%s\"", s[FRONT].probe);
	free(checks);
	sites_stop(s);
}
END_TEST

/* ---- inconclusive, agent side ---- */

START_TEST(test_inconclusive_once)
{
	struct site s[NSITES];
	unsigned dead1 = fixture_refused_port(), dead2 = fixture_refused_port();
	struct listener *ref;
	char *checks, *agent;
	json_t *r;

	sites_init(s);
	checks = fmt("[{\"name\": \"down\", \"url\": \"http://127.0.0.1:%u/\", "
	    "\"timeout\": \"2s\"}, {\"name\": \"up\", \"url\": \"http://127.0.0.1:%u/\"}]",
	    dead1, s[FRONT].port);
	/* every reference target fails: the failure is inconclusive */
	agent = fmt(", \"reference_targets\": [\"127.0.0.1:%u\", "
	    "\"http://127.0.0.1:%u/generate_204\"], \"reference_timeout\": \"1s\"",
	    dead2, dead2);
	write_config(agent, checks);
	free(agent);
	run_once();
	r = want_fail("down", "connect", NULL);
	req(json_is_true(json_object_get(r, "inconclusive")), "down is not inconclusive");
	want_ok("up");
	/* one reference target answers: the failure counts */
	ref = listener_start(serve_banner, NULL);
	agent = fmt(", \"reference_targets\": [\"127.0.0.1:%u\", \"127.0.0.1:%u\"]",
	    dead2, ref->port);
	write_config(agent, checks);
	free(agent);
	run_once();
	r = want_fail("down", "connect", NULL);
	req(json_object_get(r, "inconclusive") == NULL, "down is inconclusive though a "
	    "reference target answered");
	free(checks);
	listener_stop(ref);
	sites_stop(s);
}
END_TEST

/* ---- the daemon: /metrics covers the kinds ---- */

static char *
metrics(unsigned port)
{
	long status = 0;
	char *body = NULL;

	req(spawn_http_get(port, "/metrics", &status, &body) == 0 && status == 200,
	    "GET /metrics: %ld", status);
	return body;
}

static char *
wait_metrics(unsigned port, const char *needle)
{
	int64_t deadline = spawn_now_us() + (int64_t)WAIT_MS * 1000;
	char *m;

	for (;;) {
		m = metrics(port);
		if (strstr(m, needle) != NULL)
			return m;
		req(spawn_running(&T.proc), "the agent died");
		if (spawn_now_us() > deadline)
			break;
		free(m);
		usleep(50000);
	}
	fprintf(stderr, "---- /metrics\n%s", m);
	free(m);
	req(0, "/metrics did not show %s within %d ms", needle, WAIT_MS);
	return NULL;
}

static void
promtool_check(const char *text)
{
	static const char promtool[] = "/usr/bin/promtool";
	char cmd[PATH_MAX + 128], outpath[PATH_MAX + 16];
	FILE *fp;
	int rc;

	if (access(promtool, X_OK) != 0) {
		fprintf(stderr, "note: %s not found: /metrics not linted\n", promtool);
		return;
	}
	snprintf(outpath, sizeof(outpath), "%s/promtool.out", T.dir);
	snprintf(cmd, sizeof(cmd), "%s check metrics >'%s' 2>&1", promtool, outpath);
	req((fp = popen(cmd, "w")) != NULL, "cannot run %s", promtool);
	fputs(text, fp);
	rc = pclose(fp);
	if (rc != 0) {
		char *out = spawn_read_file(outpath, NULL);

		fprintf(stderr, "---- /metrics\n%s---- promtool says\n%s", text,
		    out ? out : "");
		free(out);
	}
	req(rc == 0, "promtool check metrics failed");
}

START_TEST(test_daemon_metrics)
{
	struct certgen_set cs;
	struct listener *tls, *banner;
	struct dns_server *d = dns_start(false);
	char err[256], *checks, *m, portfile[PATH_MAX + 16], *agent;
	unsigned port, dead = fixture_refused_port();

	req(certgen_make(T.dir, &cs, err, sizeof(err)) == 0, "certgen: %s", err);
	tls = tls_server(cs.pair[CERTGEN_VALID].cert, cs.pair[CERTGEN_VALID].key, false);
	banner = listener_start(serve_banner, NULL);
	checks = fmt("["
	    "{\"name\": \"t\", \"kind\": \"tls\", \"host\": \"127.0.0.1\", \"port\": %u, "
	    "\"ca_file\": \"%s\", \"interval\": \"1s\", \"timeout\": \"900ms\"},\n"
	    "{\"name\": \"c\", \"kind\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": %u, "
	    "\"interval\": \"1s\", \"timeout\": \"900ms\", \"expect\": {\"banner_regex\": "
	    "\"^220\"}},\n"
	    "{\"name\": \"d\", \"kind\": \"dns\", \"query\": \"a.kinds.test\", \"server\": "
	    "\"127.0.0.1:%u\", \"interval\": \"1s\", \"timeout\": \"900ms\"}]",
	    tls->port, cs.ca_file, banner->port, d->port);
	agent = fmt(", \"listen\": \"127.0.0.1:0\", \"reference_targets\": "
	    "[\"127.0.0.1:%u\"], \"reference_interval\": \"1s\", \"reference_timeout\": "
	    "\"500ms\"", dead);
	write_config(agent, checks);
	free(agent);
	free(checks);
	snprintf(portfile, sizeof(portfile), "%s/agent.port", T.dir);
	start_agent(T.conf, "--portfile", portfile);
	port = spawn_wait_portfile(&T.proc, portfile, READY_MS);
	req(port != 0, "no port file");
	free(wait_metrics(port, "vantage_agent_check_up{check=\"t\",kind=\"tls\""));
	free(wait_metrics(port, "vantage_agent_check_up{check=\"c\",kind=\"tcp\""));
	m = wait_metrics(port, "vantage_agent_check_up{check=\"d\",kind=\"dns\"");
	req(strstr(m, "vantage_agent_check_up{check=\"t\",kind=\"tls\",service=\"\","
	    "layer=\"other\",provider=\"\"} 1\n") != NULL, "tls not up:\n%s", m);
	req(strstr(m, "vantage_agent_check_cert_not_after_seconds{check=\"t\"} ") != NULL,
	    "no cert expiry for the tls check");
	req(strstr(m, "vantage_agent_check_chain_not_after_seconds{check=\"t\"} ") != NULL,
	    "no chain expiry for the tls check");
	req(strstr(m, "vantage_agent_check_dns_ttl_seconds{check=\"d\"} 60\n") != NULL,
	    "no dns ttl");
	req(strstr(m, "vantage_agent_check_phase_seconds{check=\"d\",phase=\"dns\"} ") != NULL,
	    "no dns phase");
	free(m);
	m = wait_metrics(port, "vantage_agent_network_up 0\n");
	req(strstr(m, "vantage_agent_reference_up{target=\"127.0.0.1:") != NULL,
	    "no reference_up");
	promtool_check(m);
	free(m);
	m = NULL;
	{
		long status;
		char *body;
		json_t *h;

		req(spawn_http_get(port, "/healthz", &status, &body) == 0, "/healthz");
		h = json_loads(body, 0, NULL);
		req(strcmp(jstr(h, "network"), "down") == 0, "/healthz network: %s", body);
		json_decref(h);
		free(body);
	}
	req(spawn_signal(&T.proc, SIGTERM) == 0, "SIGTERM");
	req(spawn_wait(&T.proc, STOP_MS) == 0 && spawn_exit_code(&T.proc) == 0,
	    "the agent did not stop cleanly");
	listener_stop(tls);
	listener_stop(banner);
	dns_stop(d);
}
END_TEST

/* ---- inconclusive through a real collector: the SLO is untouched ---- */

static const char *
collector_path(void)
{
	const char *p = getenv("VANTAGE_COLLECTOR");

	return p && *p ? p : "web/vantage-collector";
}

/* The collector DB's results, newest results and rollups with their
 * series' labels (check_name, region, ...). */
#define DB_RESULTS	"results r JOIN series s ON s.id = r.series"
#define DB_LATEST	"latest l JOIN series s ON s.id = l.series"
#define DB_ROLLUP(t)	t " r JOIN series s ON s.id = r.series"

static int64_t
db_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(db, 2000);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -2 :
			    sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

static json_t *
get_json(unsigned port, const char *path)
{
	long status = 0;
	char *body = NULL;
	json_t *o;

	req(spawn_http_get(port, path, &status, &body) == 0, "GET %s", path);
	o = json_loads(body, 0, NULL);
	req(status == 200 && json_is_object(o), "GET %s: %ld %s", path, status, body);
	free(body);
	return o;
}

/* The SLO name from /api/v1/slos evaluated after min_ts (ms). */
static json_t *
slo_after(unsigned port, const char *name, int64_t min_ts)
{
	int64_t deadline = spawn_now_us() + (int64_t)WAIT_MS * 1000;

	for (;;) {
		json_t *all = get_json(port, "/api/v1/slos"), *x;
		size_t i;

		json_array_foreach(json_object_get(all, "slos"), i, x)
			if (strcmp(jstr(x, "name"), name) == 0 &&
			    json_integer_value(json_object_get(x, "evaluated_at")) > min_ts) {
				json_incref(x);
				json_decref(all);
				return x;
			}
		json_decref(all);
		req(spawn_now_us() < deadline, "no evaluation of %s after %lld", name,
		    (long long)min_ts);
		usleep(100000);
	}
}

START_TEST(test_inconclusive_collector)
{
	struct site s[NSITES];
	char cdb[PATH_MAX], cconf[PATH_MAX], cport[PATH_MAX], aport[PATH_MAX];
	char *text, *argv[10], *q;
	unsigned dead = fixture_refused_port(), dead_ref = fixture_refused_port();
	unsigned cp, ap;
	int64_t deadline, n_inc = 0, t_ms;
	struct timespec ts;
	json_t *slo, *status, *x;
	size_t i;
	bool seen = false;
	char *m;

	sites_init(s);
	snprintf(cdb, sizeof(cdb), "%s/collector.db", T.dir);
	snprintf(cconf, sizeof(cconf), "%s/collector.json", T.dir);
	snprintf(cport, sizeof(cport), "%s/collector.port", T.dir);
	snprintf(aport, sizeof(aport), "%s/agent.port", T.dir);
	text = fmt("{\"listen\": [\"127.0.0.1:0\"], \"db\": \"%s\",\n"
	    " \"agents\": [{\"id\": \"%s\", \"key\": \"%s\"}],\n"
	    " \"slos\": [{\"name\": \"down-availability\", \"objective\": 99.9, "
	    "\"window\": \"1d\", \"selector\": {\"check\": \"down\"}},\n"
	    "  {\"name\": \"up-availability\", \"objective\": 99.9, \"window\": \"1d\", "
	    "\"selector\": {\"check\": \"up\"}}],\n"
	    " \"alerts\": {\"tick\": \"200ms\", \"receivers\": [{\"name\": \"hook\", "
	    "\"type\": \"webhook\", \"url\": \"http://127.0.0.1:%u/\"}],\n"
	    "  \"rules\": [{\"name\": \"down-down\", \"type\": \"check_down\", "
	    "\"selector\": {\"check\": \"down\"}, \"min_regions\": 1, \"failures\": 2, "
	    "\"receivers\": [\"hook\"]},\n"
	    "   {\"name\": \"down-burn\", \"type\": \"burn_rate\", \"slo\": "
	    "\"down-availability\", \"receivers\": [\"hook\"]}]}}\n", cdb, AGENT_ID,
	    AGENT_KEY, fixture_refused_port());
	req(spawn_write_file(cconf, text) == 0, "cannot write %s", cconf);
	free(text);
	argv[0] = (char *)(uintptr_t)collector_path();
	argv[1] = (char *)"-c";
	argv[2] = cconf;
	argv[3] = (char *)"--portfile";
	argv[4] = cport;
	argv[5] = (char *)"--evaluate-every";
	argv[6] = (char *)"200ms";
	argv[7] = NULL;
	req(spawn_start(&T.coll, T.dir, "collector", argv) == 0, "cannot start the "
	    "collector");
	cp = spawn_wait_portfile(&T.coll, cport, READY_MS);
	req(cp != 0, "the collector wrote no port file");

	text = fmt("{\n  \"agent\": {\"id\": \"%s\", \"region\": \"eu\", \"db\": \"%s\", "
	    "\"listen\": \"127.0.0.1:0\", \"reference_targets\": [\"127.0.0.1:%u\"], "
	    "\"reference_interval\": \"1s\", \"reference_timeout\": \"500ms\"},\n"
	    "  \"collector\": {\"url\": \"http://127.0.0.1:%u\", \"key\": \"%s\"},\n"
	    "  \"checks\": [{\"name\": \"down\", \"url\": \"http://127.0.0.1:%u/\", "
	    "\"interval\": \"300ms\", \"timeout\": \"250ms\"},\n"
	    "   {\"name\": \"up\", \"url\": \"http://127.0.0.1:%u/\", \"interval\": "
	    "\"300ms\", \"timeout\": \"250ms\"}]\n}\n", AGENT_ID, T.db, dead_ref, cp,
	    AGENT_KEY, dead, s[FRONT].port);
	req(spawn_write_file(T.conf, text) == 0, "cannot write %s", T.conf);
	free(text);
	start_agent(T.conf, "--portfile", aport);
	ap = spawn_wait_portfile(&T.proc, aport, READY_MS);
	req(ap != 0, "the agent wrote no port file");

	/* at least 4 results of each check stored by the collector */
	deadline = spawn_now_us() + (int64_t)WAIT_MS * 1000;
	while (db_int(cdb, "SELECT count(*) FROM " DB_RESULTS " WHERE s.check_name = "
	    "'down'") < 4 || db_int(cdb, "SELECT count(*) FROM " DB_RESULTS " WHERE "
	    "s.check_name = 'up'") < 4) {
		req(spawn_running(&T.proc) && spawn_running(&T.coll), "a daemon died");
		req(spawn_now_us() < deadline, "results did not reach the collector "
		    "within %d ms", WAIT_MS);
		usleep(100000);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	t_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;

	/* raw rows: stored and flagged (flags: 1 ok, 4 inconclusive); never
	 * a conclusive failure */
	req(db_int(cdb, "SELECT count(*) FROM " DB_RESULTS " WHERE s.check_name = "
	    "'down' AND (r.flags & 4) = 0") == 0,
	    "a failure of 'down' was counted as conclusive");
	n_inc = db_int(cdb, "SELECT count(*) FROM " DB_RESULTS " WHERE s.check_name = "
	    "'down' AND (r.flags & 5) = 4");
	req(n_inc >= 4, "%lld inconclusive rows", (long long)n_inc);
	req(db_int(cdb, "SELECT count(*) FROM " DB_RESULTS " WHERE s.check_name = 'up' "
	    "AND (r.flags & 5) != 1") == 0, "'up' failed or was inconclusive");
	/* and served as the agent sent them: "inconclusive": true */
	{
		json_t *res = get_json(cp, "/api/v1/results?check=down&limit=1000");
		size_t k, n_api = 0;

		json_array_foreach(json_object_get(res, "results"), k, x) {
			req(json_is_true(json_object_get(x, "inconclusive")) &&
			    json_is_false(json_object_get(x, "ok")), "/api/v1/results: a "
			    "'down' record is not an inconclusive failure");
			n_api++;
		}
		req((int64_t)n_api >= n_inc, "/api/v1/results: %zu 'down' records, the "
		    "DB has %lld", n_api, (long long)n_inc);
		json_decref(res);
	}
	/* rollups: counted, but not in total/good */
	req(db_int(cdb, "SELECT coalesce(sum(r.total), 0) FROM " DB_ROLLUP("rollup_1m")
	    " WHERE s.check_name = 'down'") == 0, "'down' has events in the rollups");
	req(db_int(cdb, "SELECT sum(r.inconclusive) FROM " DB_ROLLUP("rollup_1h")
	    " WHERE s.check_name = 'down'") >= n_inc,
	    "rollup_1h does not count the inconclusive results");
	req(db_int(cdb, "SELECT sum(r.total) FROM " DB_ROLLUP("rollup_1d") " WHERE "
	    "s.check_name = 'up'") >= 4, "'up' has no events");
	/* the check-down streak never moved */
	req(db_int(cdb, "SELECT max(l.fail_streak) FROM " DB_LATEST " WHERE "
	    "s.check_name = 'down'") == 0, "fail_streak of 'down' is %lld",
	    (long long)db_int(cdb, "SELECT max(l.fail_streak) FROM " DB_LATEST
	    " WHERE s.check_name = 'down'"));

	/* the SLO engine: no events, no budget spent, the results shown */
	slo = slo_after(cp, "down-availability", t_ms);
	req(jint(slo, "total") == 0 && jint(slo, "good") == 0, "down SLO counted "
	    "events: %lld/%lld", (long long)jint(slo, "good"), (long long)jint(slo, "total"));
	req(json_is_null(json_object_get(slo, "budget_remaining")) &&
	    json_is_null(json_object_get(slo, "availability")), "down SLO has numbers");
	req(jint(slo, "inconclusive") >= n_inc, "down SLO shows %lld inconclusive",
	    (long long)jint(slo, "inconclusive"));
	json_decref(slo);
	slo = slo_after(cp, "up-availability", t_ms);
	req(jint(slo, "total") >= 4 && jint(slo, "good") == jint(slo, "total"),
	    "up SLO: %lld/%lld", (long long)jint(slo, "good"), (long long)jint(slo, "total"));
	req(jint(slo, "inconclusive") == 0, "up SLO inconclusive");
	json_decref(slo);

	/* the status API shows them */
	status = get_json(cp, "/api/v1/status");
	json_array_foreach(json_object_get(status, "results"), i, x)
		if (strcmp(jstr(x, "check"), "down") == 0) {
			seen = true;
			req(json_is_true(json_object_get(x, "inconclusive")), "status: 'down' "
			    "is not shown as inconclusive");
		}
	req(seen, "status: no 'down'");
	json_decref(status);
	/* no alert rule fired: wait for more results (and so many more ticks) */
	n_inc = db_int(cdb, "SELECT count(*) FROM " DB_RESULTS " WHERE s.check_name = "
	    "'down'");
	q = fmt("SELECT count(*) >= %lld FROM " DB_RESULTS " WHERE s.check_name = "
	    "'down'", (long long)n_inc + 4);
	deadline = spawn_now_us() + (int64_t)WAIT_MS * 1000;
	while (db_int(cdb, q) != 1) {
		req(spawn_now_us() < deadline, "no more results within %d ms", WAIT_MS);
		usleep(100000);
	}
	free(q);
	req(db_int(cdb, "SELECT count(*) FROM incidents") == 0, "an alert rule fired "
	    "on inconclusive results");
	/* both /metrics count them */
	m = metrics(cp);
	q = fmt("vantage_check_results_total{check=\"down\",region=\"eu\",service=\"\","
	    "layer=\"other\",result=\"inconclusive\"} ");
	req(strstr(m, q) != NULL, "collector /metrics does not count them:\n%s", m);
	req(strstr(m, "check=\"down\",region=\"eu\",service=\"\",layer=\"other\","
	    "result=\"connect\"}") == NULL, "collector /metrics counts them as connect");
	free(q);
	free(m);
	m = metrics(ap);
	req(strstr(m, "vantage_agent_check_results_total{check=\"down\",result="
	    "\"inconclusive\"} ") != NULL, "agent /metrics does not count them");
	req(strstr(m, "vantage_agent_network_up 0\n") != NULL, "network_up is not 0");
	free(m);

	req(spawn_signal(&T.proc, SIGTERM) == 0, "SIGTERM agent");
	req(spawn_wait(&T.proc, STOP_MS) == 0 && spawn_exit_code(&T.proc) == 0,
	    "the agent did not stop cleanly");
	req(spawn_signal(&T.coll, SIGTERM) == 0, "SIGTERM collector");
	req(spawn_wait(&T.coll, STOP_MS) == 0 && spawn_exit_code(&T.coll) == 0,
	    "the collector did not stop cleanly");
	sites_stop(s);
}
END_TEST

static Suite *
kinds_suite(void)
{
	Suite *s = suite_create("kinds");
	TCase *once = tcase_create("once");
	TCase *daemon = tcase_create("daemon");

	tcase_add_checked_fixture(once, setup, teardown);
	tcase_set_timeout(once, 60);
	tcase_add_test(once, test_tls);
	tcase_add_test(once, test_tcp);
	tcase_add_test(once, test_dns);
	tcase_add_test(once, test_assets);
	tcase_add_test(once, test_correlation_header);
	tcase_add_test(once, test_inconclusive_once);
	suite_add_tcase(s, once);
	tcase_add_checked_fixture(daemon, setup, teardown);
	tcase_set_timeout(daemon, 90);
	tcase_add_test(daemon, test_daemon_metrics);
	tcase_add_test(daemon, test_inconclusive_collector);
	suite_add_tcase(s, daemon);
	return s;
}

int
main(void)
{
	static const char *const proxies[] = {
		"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
		"all_proxy", "ALL_PROXY", NULL
	};
	SRunner *sr;
	int failed;

	for (int i = 0; proxies[i]; i++)
		unsetenv(proxies[i]);
	setenv("NO_PROXY", "*", 1);
	setenv("no_proxy", "*", 1);
	signal(SIGPIPE, SIG_IGN);
	if (access(spawn_agent_path(), X_OK) != 0) {
		fprintf(stderr, "test_kinds: agent binary %s: %s (set VANTAGE_AGENT)\n",
		    spawn_agent_path(), strerror(errno));
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sr = srunner_create(kinds_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}
