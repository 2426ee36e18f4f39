/* test_alerting: alerting end to end. A fixture target is probed every
 * 250 ms by two real agents (us-east, eu-central) shipping to a real
 * collector with a check_down rule (alerts.tick 500ms). The test's own
 * receivers (libmicrohttpd on 127.0.0.1:0, one thread per connection)
 * stand in for every receiver kind and record each request, plus three
 * difficult ones: "flaky" answers 500, 500, then 200; "throttled" 429
 * with Retry-After: 1, then 200; "hanging" never answers within its 2 s
 * timeout. The target fails, the incident opens and every receiver gets
 * exactly one trigger; the collector is restarted mid-incident and sends
 * nothing new; the target recovers and every receiver gets exactly one
 * resolve. Temp files are kept when the test fails (or with
 * VANTAGE_KEEP_TMP set); the daemons' logs are printed then. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>

#include "fixture.h"
#include "sign.h"
#include "spawn.h"
#include "store.h"
#include "store_alerts.h"
#include "store_results.h"

#define READY_MS	10000	/* a port file is written, at most */
#define STOP_MS		15000	/* SIGTERM to exit, at most */
#define SHIP_MS		20000	/* results reach the collector, at most */
#define ALERT_MS	15000	/* a transition after the data changed, at most */
#define QUIET_MS	3000	/* watched after the restart: six ticks */
#define POLL_STEP_MS	50
#define MAX_DAEMONS	4

#define HANG_MS		3500	/* the hanging receiver's silence (> its 2 s timeout) */
#define MAX_REQS	256
#define BODY_MAX	(256 * 1024)

#define PD_KEY		"0123456789abcdef0123456789abcdef"
#define OG_KEY		"og-test-key-0123"
#define HOOK_SECRET	"hook-secret-for-tests"

static const char *const agent_ids[] = { "alert-us", "alert-eu" };
static const char *const agent_regions[] = { "us-east", "eu-central" };
#define NAGENTS	2

/* The receivers: name (and the path prefix of its URL) and type. */
static const struct {
	const char	*name, *type;
} receivers[] = {
	{ "slack", "slack" }, { "discord", "discord" }, { "teams", "teams" },
	{ "mattermost", "mattermost" }, { "pagerduty", "pagerduty" },
	{ "opsgenie", "opsgenie" }, { "webhook", "webhook" },
	{ "flaky", "webhook" }, { "throttled", "webhook" }, { "hanging", "webhook" },
};
#define NRECEIVERS	(sizeof(receivers) / sizeof(receivers[0]))
#define NNORMAL		7	/* the first seven: one per kind, always 200 */

/* ---- the fixture receivers ---- */

struct rreq {
	char	 rcv[32];		/* first path segment: the receiver */
	char	 path[160];
	char	 id_type[32];		/* ?identifierType= */
	char	 auth[128];		/* Authorization */
	char	 ts[32], sig[96];	/* X-Vantage-Timestamp, X-Vantage-Signature */
	char	 ctype[64];		/* Content-Type */
	char	*body;
	int64_t	 at_ms;			/* arrival, wall clock */
	int	 status;		/* what we answered (0: nothing) */
};

static struct {
	struct MHD_Daemon	*d;
	unsigned		 port;
	pthread_mutex_t		 mu;
	struct rreq		 reqs[MAX_REQS];
	size_t			 n;
	int			 flaky, throttled;	/* requests seen */
	volatile int		 stop;
} R;

struct upload {
	char	*body;
	size_t	 len;
};

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
copy_header(struct MHD_Connection *conn, const char *name, char *out, size_t len)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);

	snprintf(out, len, "%s", v ? v : "");
}

static enum MHD_Result
rcv_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **ptr)
{
	struct upload *u = *ptr;
	struct MHD_Response *resp;
	struct rreq *q = NULL;
	const char *idt;
	unsigned status = 200;
	bool hang = false, retry_after = false;
	enum MHD_Result ret;

	if (u == NULL) {
		if ((u = calloc(1, sizeof(*u))) == NULL)
			return MHD_NO;
		*ptr = u;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (u->len + *upload_size <= BODY_MAX) {
			char *b = realloc(u->body, u->len + *upload_size + 1);

			if (b == NULL)
				return MHD_NO;
			memcpy(b + u->len, upload, *upload_size);
			u->len += *upload_size;
			b[u->len] = '\0';
			u->body = b;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&R.mu);
	if (R.n < MAX_REQS) {
		q = &R.reqs[R.n++];
		memset(q, 0, sizeof(*q));
		snprintf(q->path, sizeof(q->path), "%s", url);
		snprintf(q->rcv, sizeof(q->rcv), "%.*s", (int)strcspn(url + 1, "/"),
		    url + 1);
		idt = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
		    "identifierType");
		snprintf(q->id_type, sizeof(q->id_type), "%s", idt ? idt : "");
		copy_header(conn, "Authorization", q->auth, sizeof(q->auth));
		copy_header(conn, "X-Vantage-Timestamp", q->ts, sizeof(q->ts));
		copy_header(conn, "X-Vantage-Signature", q->sig, sizeof(q->sig));
		copy_header(conn, "Content-Type", q->ctype, sizeof(q->ctype));
		q->body = u->body ? u->body : strdup("");
		u->body = NULL;
		q->at_ms = wall_ms();
		if (strcmp(method, "POST") != 0)
			status = 405;
		else if (strcmp(q->rcv, "flaky") == 0)
			status = ++R.flaky <= 2 ? 500 : 200;
		else if (strcmp(q->rcv, "throttled") == 0) {
			status = ++R.throttled == 1 ? 429 : 200;
			retry_after = status == 429;
		} else if (strcmp(q->rcv, "hanging") == 0)
			hang = true;
		q->status = hang ? 0 : (int)status;
	}
	pthread_mutex_unlock(&R.mu);
	if (hang) {
		/* answer long after the collector gave up (or when we stop) */
		for (int waited = 0; waited < HANG_MS && !R.stop; waited += 20)
			usleep(20 * 1000);
	}
	resp = MHD_create_response_from_buffer(3, (void *)(uintptr_t)"ok\n",
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	if (retry_after)
		MHD_add_response_header(resp, "Retry-After", "1");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
rcv_completed(void *cls, struct MHD_Connection *conn, void **ptr,
    enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *ptr;

	if (u) {
		free(u->body);
		free(u);
	}
	*ptr = NULL;
}

static int
receivers_start(void)
{
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *di;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_mutex_init(&R.mu, NULL);
	R.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, rcv_request, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_NOTIFY_COMPLETED, rcv_completed, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	if (R.d == NULL || (di = MHD_get_daemon_info(R.d,
	    MHD_DAEMON_INFO_BIND_PORT)) == NULL)
		return -1;
	R.port = di->port;
	return 0;
}

static void
receivers_stop(void)
{
	R.stop = 1;
	if (R.d)
		MHD_stop_daemon(R.d);
	R.d = NULL;
	for (size_t i = 0; i < R.n; i++)
		free(R.reqs[i].body);
	R.n = 0;
	pthread_mutex_destroy(&R.mu);
}

/* Requests receiver rcv got so far. */
static size_t
rcv_count(const char *rcv)
{
	size_t n = 0;

	pthread_mutex_lock(&R.mu);
	for (size_t i = 0; i < R.n; i++)
		n += strcmp(R.reqs[i].rcv, rcv) == 0;
	pthread_mutex_unlock(&R.mu);
	return n;
}

/* A copy of the k-th request receiver rcv got (body owned by the caller);
 * false if there is none. */
static bool
rcv_get(const char *rcv, size_t k, struct rreq *out)
{
	bool found = false;

	pthread_mutex_lock(&R.mu);
	for (size_t i = 0; i < R.n && !found; i++) {
		if (strcmp(R.reqs[i].rcv, rcv) != 0 || k-- > 0)
			continue;
		*out = R.reqs[i];
		out->body = strdup(R.reqs[i].body);
		found = out->body != NULL;
	}
	pthread_mutex_unlock(&R.mu);
	return found;
}

/* ---- daemons (as in test_fleet.c) ---- */

struct daemon {
	bool		 collector;	/* else an agent */
	char		 name[32];
	char		 conf[PATH_MAX];
	char		 portfile[PATH_MAX];
	char		 db[PATH_MAX];
	struct spawn	 proc;
	unsigned	 port;
	int		 runs;
	bool		 up;
	const char	*args[5];
};

static struct {
	char		 dir[PATH_MAX / 2];
	struct fixture	*fx;
	struct daemon	*all[MAX_DAEMONS];
	size_t		 nall;
} T;

static void
fail_cleanup(void)
{
	for (size_t i = 0; i < T.nall; i++) {
		fprintf(stderr, "######## %s %s (run %d)\n", T.all[i]->collector ?
		    "collector" : "agent", T.all[i]->name, T.all[i]->runs);
		spawn_dump(&T.all[i]->proc, "test failed");
		spawn_kill(&T.all[i]->proc);
	}
	fprintf(stderr, "######## the receivers got %zu requests:\n", R.n);
	for (size_t i = 0; i < R.n; i++)
		fprintf(stderr, "  %lld %s %s -> %d: %.200s\n",
		    (long long)R.reqs[i].at_ms, R.reqs[i].rcv, R.reqs[i].path,
		    R.reqs[i].status, R.reqs[i].body);
	fprintf(stderr, "(test files kept in %s)\n", T.dir);
	T.dir[0] = '\0';
}

#define req(cond, ...) do {						\
	if (!(cond)) {							\
		fail_cleanup();						\
		ck_abort_msg(__VA_ARGS__);				\
	}								\
} while (0)

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char err[256];

	memset(&T, 0, sizeof(T));
	memset(&R, 0, sizeof(R));
	snprintf(T.dir, sizeof(T.dir), "%s/vantage-alerting.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	ck_assert_msg(mkdtemp(T.dir) != NULL, "mkdtemp %s: %s", T.dir, strerror(errno));
	T.fx = fixture_start(NULL, NULL, err, sizeof(err));
	ck_assert_msg(T.fx != NULL, "fixture: %s", err);
	ck_assert_msg(receivers_start() == 0, "cannot start the receivers");
}

static void
teardown(void)
{
	for (size_t i = 0; i < T.nall; i++)
		spawn_kill(&T.all[i]->proc);
	receivers_stop();
	fixture_stop(T.fx);
	T.fx = NULL;
	if (T.dir[0] && getenv("VANTAGE_KEEP_TMP") == NULL)
		nftw(T.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else if (T.dir[0])
		fprintf(stderr, "kept %s\n", T.dir);
}

static char *fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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

static char *
agent_key(const char *id)
{
	return fmt("alerting-test-key-0123456789-%s", id);
}

static const char *
collector_path(void)
{
	const char *p = getenv("VANTAGE_COLLECTOR");

	return p && *p ? p : "web/vantage-collector";
}

static void
daemon_init(struct daemon *d, bool collector, const char *name)
{
	memset(d, 0, sizeof(*d));
	d->collector = collector;
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->conf, sizeof(d->conf), "%s/%s.json", T.dir, name);
	snprintf(d->portfile, sizeof(d->portfile), "%s/%s.port", T.dir, name);
	snprintf(d->db, sizeof(d->db), "%s/%s.db", T.dir, name);
	ck_assert_uint_lt(T.nall, MAX_DAEMONS);
	T.all[T.nall++] = d;
}

/* The collector's config: listening on 127.0.0.1:port (0: any), knowing
 * both agents, with one check_down rule on the front door sending to every
 * receiver. Caller frees. */
static char *
collector_config(const struct daemon *d, unsigned port)
{
	char *agents = fmt("%s", ""), *rcvs = fmt("%s", ""), *names = fmt("%s", "");
	char *out, *next;

	for (size_t i = 0; i < NAGENTS; i++) {
		char *key = agent_key(agent_ids[i]);

		next = fmt("%s%s{\"id\": \"%s\", \"key\": \"%s\"}", agents, i ? ", " : "",
		    agent_ids[i], key);
		free(agents);
		free(key);
		agents = next;
	}
	for (size_t i = 0; i < NRECEIVERS; i++) {
		const char *name = receivers[i].name, *extra = "";

		if (strcmp(name, "pagerduty") == 0)
			extra = ", \"routing_key\": \"" PD_KEY "\"";
		else if (strcmp(name, "opsgenie") == 0)
			extra = ", \"api_key\": \"" OG_KEY "\"";
		else if (strcmp(name, "webhook") == 0)
			extra = ", \"secret\": \"" HOOK_SECRET "\"";
		else if (strcmp(name, "hanging") == 0)
			extra = ", \"timeout\": \"2s\", \"max_attempts\": 2";
		next = fmt("%s%s\n    {\"name\": \"%s\", \"type\": \"%s\", \"url\": "
		    "\"http://127.0.0.1:%u/%s\"%s}", rcvs, i ? "," : "", name,
		    receivers[i].type, R.port, name, extra);
		free(rcvs);
		rcvs = next;
		next = fmt("%s%s\"%s\"", names, i ? ", " : "", name);
		free(names);
		names = next;
	}
	out = fmt("{\n  \"listen\": [\"127.0.0.1:%u\"],\n  \"db\": \"%s\",\n"
	    "  \"agents\": [%s],\n  \"alerts\": {\n  \"tick\": \"500ms\",\n"
	    "  \"receivers\": [%s],\n  \"rules\": [{\"name\": \"fd-down\", \"type\": "
	    "\"check_down\", \"selector\": {\"layer\": \"front_door\"}, "
	    "\"receivers\": [%s]}]\n  }\n}\n", port, d->db, agents, rcvs, names);
	free(agents);
	free(rcvs);
	free(names);
	return out;
}

/* Agent i's config: probing the fixture's /healthz every 250 ms as the
 * front door of "micro", shipping to url. Caller frees. */
static char *
agent_config(const struct daemon *d, size_t i, const char *url)
{
	char *key = agent_key(agent_ids[i]), *out;

	out = fmt("{\n  \"agent\": {\"id\": \"%s\", \"region\": \"%s\", \"db\": \"%s\", "
	    "\"listen\": \"127.0.0.1:0\"},\n  \"collector\": {\"url\": \"%s\", "
	    "\"key\": \"%s\"},\n  \"checks\": [{\"name\": \"micro-front-door\", "
	    "\"service\": \"micro\", \"layer\": \"front_door\", \"url\": "
	    "\"http://127.0.0.1:%u/healthz\", \"interval\": \"250ms\", \"timeout\": "
	    "\"250ms\"}]\n}\n", agent_ids[i], agent_regions[i], d->db, url, key,
	    fixture_port(T.fx));
	free(key);
	return out;
}

static unsigned
launch(struct daemon *d)
{
	char *argv[16], tag[64];
	int n = 0;

	unlink(d->portfile);
	argv[n++] = (char *)(uintptr_t)(d->collector ? collector_path() :
	    spawn_agent_path());
	argv[n++] = (char *)"-c";
	argv[n++] = d->conf;
	argv[n++] = (char *)"--portfile";
	argv[n++] = d->portfile;
	argv[n++] = (char *)"--log-level";
	argv[n++] = (char *)"debug";
	for (size_t i = 0; i < sizeof(d->args) / sizeof(d->args[0]) && d->args[i]; i++)
		argv[n++] = (char *)(uintptr_t)d->args[i];
	argv[n] = NULL;
	snprintf(tag, sizeof(tag), "%s-%d", d->name, ++d->runs);
	req(spawn_start(&d->proc, T.dir, tag, argv) == 0, "cannot start %s", argv[0]);
	d->up = true;
	if ((d->port = spawn_wait_portfile(&d->proc, d->portfile, READY_MS)) == 0) {
		d->up = false;
		spawn_kill(&d->proc);
	}
	return d->port;
}

static void
start_daemon(struct daemon *d, char *config)
{
	req(spawn_write_file(d->conf, config) == 0, "cannot write %s", d->conf);
	free(config);
	req(launch(d) != 0, "%s did not write its port file", d->name);
}

static void
stop_daemon(struct daemon *d)
{
	d->up = false;
	req(spawn_signal(&d->proc, SIGTERM) == 0, "cannot signal %s", d->name);
	req(spawn_wait(&d->proc, STOP_MS) == 0, "%s did not stop within %d ms",
	    d->name, STOP_MS);
	req(spawn_exit_code(&d->proc) == 0, "%s exited with %d after SIGTERM",
	    d->name, spawn_exit_code(&d->proc));
}

#define RESTART_TRIES	10

/* Start collector c again on the port it had (its agents know only that). */
static void
restart_collector(struct daemon *c)
{
	unsigned want = c->port;
	char *config = collector_config(c, want);
	int i;

	req(spawn_write_file(c->conf, config) == 0, "cannot write %s", c->conf);
	free(config);
	for (i = 0; i < RESTART_TRIES && launch(c) == 0; i++)
		usleep(200 * 1000);
	req(i < RESTART_TRIES, "%s did not start again on port %u", c->name, want);
	req(c->port == want, "%s came back on port %u, not %u", c->name, c->port, want);
}

/* ---- waiting ---- */

static bool
wait_until(bool (*pred)(void *arg), void *arg, int timeout_ms)
{
	int64_t deadline = spawn_now_us() + (int64_t)timeout_ms * 1000;

	for (;;) {
		if (pred(arg))
			return true;
		for (size_t i = 0; i < T.nall; i++)
			req(!T.all[i]->up || spawn_running(&T.all[i]->proc),
			    "%s died (exit %d)", T.all[i]->name,
			    spawn_exit_code(&T.all[i]->proc));
		if (spawn_now_us() >= deadline)
			return false;
		usleep(POLL_STEP_MS * 1000);
	}
}

/* ---- what the collector DB says (read-only, through the store) ---- */

enum q_kind {
	Q_OK_STREAK,	/* the longest ok_streak of agent's newest results */
	Q_INCIDENTS,	/* incidents (of status) */
	Q_DELIVERIES,	/* deliveries matching the filters */
	Q_NEWER,	/* series whose newest result started after ts */
};

/* A question on the collector DB; unset filters match everything. */
struct dbq {
	enum q_kind	 kind;
	const char	*agent;		/* Q_OK_STREAK */
	const char	*status;	/* Q_INCIDENTS, Q_DELIVERIES */
	const char	*receiver;	/* Q_DELIVERIES */
	int64_t		 attempts;	/* > 0: exactly */
	int64_t		 last_status;	/* > 0: exactly */
	int64_t		 quick_ms;	/* > 0: sent_at - created_at below it */
	bool		 unfinished;	/* pending or sending */
	int64_t		 ts;		/* Q_NEWER */
};

struct dbq_run {
	const struct dbq	*q;
	int64_t			 n;
	int64_t			*ids;
	size_t			 nids;
};

static int
q_latest(const struct stored_result *r, void *arg)
{
	struct dbq_run *x = arg;

	if (x->q->kind == Q_OK_STREAK) {
		if (strcmp(r->series->agent, x->q->agent) == 0 && r->ok_streak > x->n)
			x->n = r->ok_streak;
	} else if (r->rec.ts > x->q->ts)
		x->n++;
	return 0;
}

static int
q_incident(const struct incident_row *r, void *arg)
{
	struct dbq_run *x = arg;

	if (x->q->kind == Q_INCIDENTS) {
		x->n += x->q->status == NULL || strcmp(r->status, x->q->status) == 0;
		return 0;
	}
	x->ids = realloc(x->ids, (x->nids + 1) * sizeof(*x->ids));
	ck_assert_ptr_nonnull(x->ids);
	x->ids[x->nids++] = r->id;
	return 0;
}

static int
q_delivery(const struct delivery_row *d, void *arg)
{
	struct dbq_run *x = arg;
	const struct dbq *q = x->q;

	if ((q->status && strcmp(d->status, q->status) != 0) ||
	    (q->receiver && strcmp(d->receiver, q->receiver) != 0) ||
	    (q->attempts > 0 && d->attempts != q->attempts) ||
	    (q->last_status > 0 && d->last_status != q->last_status) ||
	    (q->quick_ms > 0 && (d->sent_at == 0 ||
	    d->sent_at - d->created_at >= q->quick_ms)) ||
	    (q->unfinished && strcmp(d->status, "pending") != 0 &&
	    strcmp(d->status, "sending") != 0))
		return 0;
	x->n++;
	return 0;
}

/* The answer to q from the DB at path (a new read-only store each time, as
 * vantage-report opens it); -1 when the DB cannot be read (not made yet)
 * or, for Q_OK_STREAK, has no result of the agent. */
static int64_t
db_ask(const char *path, const struct dbq *q)
{
	struct dbq_run x = { q, 0, NULL, 0 };
	struct store *st;
	char err[256];
	int rc = 0;

	if ((st = store_open_readonly(path, err, sizeof(err))) == NULL)
		return -1;
	switch (q->kind) {
	case Q_OK_STREAK:
		x.n = -1;
		/* FALLTHROUGH */
	case Q_NEWER:
		rc = store_latest_each(st, NULL, q_latest, &x, err, sizeof(err));
		break;
	case Q_INCIDENTS:
	case Q_DELIVERIES:
		rc = store_incidents_recent(st, 0, 1000000, q_incident, &x, err,
		    sizeof(err));
		for (size_t i = 0; rc == 0 && i < x.nids; i++)
			rc = store_deliveries_of(st, x.ids[i], q_delivery, &x, err,
			    sizeof(err));
		break;
	}
	store_close(st);
	free(x.ids);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		return -1;
	}
	return x.n;
}

/* The first incident's id and start; false when there is none. */
static int
first_incident(const struct incident_row *r, void *arg)
{
	int64_t *v = arg;

	if (v[0] == 0 || r->id < v[0]) {
		v[0] = r->id;
		v[1] = r->started_at;
	}
	return 0;
}

static bool
db_incident(const char *path, int64_t *id, int64_t *started)
{
	int64_t v[2] = { 0, 0 };
	struct store *st;
	char err[256];

	if ((st = store_open_readonly(path, err, sizeof(err))) == NULL)
		return false;
	if (store_incidents_recent(st, 0, 1000000, first_incident, v, err,
	    sizeof(err)) < 0)
		v[0] = 0;
	store_close(st);
	*id = v[0];
	*started = v[1];
	return v[0] != 0;
}

struct db_pred {
	const char		*db;
	const struct dbq	*q;
	int64_t			 min, max, last;
};

static bool
db_reached(void *arg)
{
	struct db_pred *p = arg;

	p->last = db_ask(p->db, p->q);
	return p->last >= p->min && p->last <= p->max;
}

/* Wait until the answer to q on db is in [min, max]. */
static void
wait_db(const char *db, const struct dbq *q, int64_t min, int64_t max,
    int timeout_ms, const char *what)
{
	struct db_pred p = { db, q, min, max, -1 };

	if (!wait_until(db_reached, &p, timeout_ms))
		req(0, "waited %d ms on %s: %s is %lld, want %lld to %lld", timeout_ms,
		    db, what, (long long)p.last, (long long)min, (long long)max);
}

/* Every receiver has at least want[i] requests. */
static bool
requests_reached(void *arg)
{
	const size_t *want = arg;

	for (size_t i = 0; i < NRECEIVERS; i++)
		if (rcv_count(receivers[i].name) < want[i])
			return false;
	return true;
}

static void
wait_requests(const size_t want[NRECEIVERS], int timeout_ms, const char *what)
{
	if (!wait_until(requests_reached, (void *)(uintptr_t)want, timeout_ms)) {
		for (size_t i = 0; i < NRECEIVERS; i++)
			fprintf(stderr, "  %s: %zu requests, want %zu\n", receivers[i].name,
			    rcv_count(receivers[i].name), want[i]);
		req(0, "%s: the receivers did not get their requests in %d ms", what,
		    timeout_ms);
	}
}

/* GET path from collector c as JSON (caller json_decref's). */
static json_t *
get_json(const struct daemon *c, const char *path, char **text)
{
	long status = 0;
	char *body = NULL;
	json_t *o;

	req(spawn_http_get(c->port, path, &status, &body) == 0, "GET %s failed", path);
	o = json_loads(body, 0, NULL);
	req(status == 200 && json_is_object(o), "GET %s: %ld %s", path, status, body);
	if (text)
		*text = body;
	else
		free(body);
	return o;
}

/* ---- checks on what a receiver got ---- */

static json_t *
body_json(const struct rreq *q)
{
	json_t *o = json_loads(q->body, 0, NULL);

	req(json_is_object(o), "%s %s: the body is not a JSON object: %s", q->rcv,
	    q->path, q->body);
	req(strncmp(q->ctype, "application/json", 16) == 0, "%s: Content-Type %s",
	    q->rcv, q->ctype);
	return o;
}

static const char *
jstr(json_t *o, const char *path)
{
	json_t *v = o;
	char key[64];

	for (const char *p = path; v && *p; ) {
		size_t n = strcspn(p, ".");

		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		v = json_object_get(v, key);
		p += n + (p[n] == '.');
	}
	return json_is_string(v) ? json_string_value(v) : "";
}

/* The generic webhook's signature verifies with secret. */
static void
verify_signature(const struct rreq *q, const char *secret)
{
	char sig[SIGN_HEX_LEN + 1], *msg = fmt("%s.%s", q->ts, q->body);
	long long ts = strtoll(q->ts, NULL, 10);

	sign_hmac_sha256_hex(secret, strlen(secret), msg, strlen(msg), sig);
	free(msg);
	req(llabs(ts - (long long)(wall_ms() / 1000)) < 120, "%s: timestamp %s is "
	    "not now", q->rcv, q->ts);
	req(strncmp(q->sig, "sha256=", 7) == 0 && strcmp(q->sig + 7, sig) == 0,
	    "%s: signature %s, want sha256=%s", q->rcv, q->sig, sig);
}

/* What the k-th request to receiver i announces: "trigger" or "resolve"
 * (or "test"), read the way each kind says it. */
static char *
event_of(size_t i, size_t k, const char *incident)
{
	const char *name = receivers[i].name;
	struct rreq q;
	json_t *o;
	const char *s;
	char *ev;

	req(rcv_get(name, k, &q), "%s: no request %zu", name, k);
	o = body_json(&q);
	if (strcmp(receivers[i].type, "pagerduty") == 0) {
		req(strcmp(q.path, "/pagerduty") == 0, "pagerduty: path %s", q.path);
		req(strcmp(jstr(o, "routing_key"), PD_KEY) == 0, "pagerduty: routing_key");
		req(strcmp(jstr(o, "dedup_key"), incident) == 0, "pagerduty: dedup_key "
		    "%s, want the incident id %s", jstr(o, "dedup_key"), incident);
		ev = strdup(jstr(o, "event_action"));
	} else if (strcmp(receivers[i].type, "opsgenie") == 0) {
		char *close = fmt("/opsgenie/v2/alerts/%s/close", incident);

		req(strcmp(q.auth, "GenieKey " OG_KEY) == 0, "opsgenie: Authorization %s",
		    q.auth);
		if (strcmp(q.path, "/opsgenie/v2/alerts") == 0) {
			req(strcmp(jstr(o, "alias"), incident) == 0, "opsgenie: alias %s, "
			    "want %s", jstr(o, "alias"), incident);
			ev = strdup("trigger");
		} else {
			req(strcmp(q.path, close) == 0 && strcmp(q.id_type, "alias") == 0,
			    "opsgenie: %s?identifierType=%s, want %s?identifierType=alias",
			    q.path, q.id_type, close);
			ev = strdup("resolve");
		}
		free(close);
	} else if (strcmp(receivers[i].type, "webhook") == 0) {
		if (strcmp(name, "webhook") == 0)
			verify_signature(&q, HOOK_SECRET);
		else
			req(q.sig[0] == '\0', "%s: signed without a secret", name);
		req(strcmp(jstr(o, "incident.id"), incident) == 0, "%s: incident %s, want "
		    "%s", name, jstr(o, "incident.id"), incident);
		req(strcmp(jstr(o, "incident.check"), "micro-front-door") == 0, "%s: check",
		    name);
		ev = strdup(jstr(o, "event"));
	} else {
		/* the chat kinds: the visible headline */
		s = strcmp(name, "discord") == 0 ? jstr(o, "content") :
		    strcmp(name, "teams") == 0 ? json_dumps(o, 0) : jstr(o, "text");
		ev = strdup(strstr(s, "[FIRING]") ? "trigger" : strstr(s, "[RESOLVED]") ?
		    "resolve" : "?");
		if (strcmp(name, "teams") == 0)
			free((char *)(uintptr_t)s);
	}
	json_decref(o);
	free(q.body);
	req(ev != NULL, "out of memory");
	return ev;
}

/* Requests of receiver i answered 2xx. */
static size_t
accepted(size_t i)
{
	size_t n = 0;

	pthread_mutex_lock(&R.mu);
	for (size_t k = 0; k < R.n; k++)
		n += strcmp(R.reqs[k].rcv, receivers[i].name) == 0 &&
		    R.reqs[k].status >= 200 && R.reqs[k].status < 300;
	pthread_mutex_unlock(&R.mu);
	return n;
}

/* The request k of receiver i announces event (and was accepted, unless
 * the receiver is one of the difficult ones). */
static void
announces(size_t i, size_t k, const char *event, const char *incident)
{
	char *ev = event_of(i, k, incident);

	req(strcmp(ev, event) == 0, "%s: request %zu is a %s, want a %s",
	    receivers[i].name, k, ev, event);
	free(ev);
}

/* ---- the scenario ---- */

START_TEST(test_alerting)
{
	struct daemon c, a[NAGENTS];
	size_t want[NRECEIVERS], before[NRECEIVERS];
	char *url, *text, incident[32], name[32];
	json_t *o, *inc, *dl, *x;
	struct rreq q0, q1, q2;
	struct spawn tr;
	int64_t opened, deliveries, id;
	size_t k;

	daemon_init(&c, true, "collector");
	c.args[0] = "--evaluate-every";
	c.args[1] = "500ms";
	start_daemon(&c, collector_config(&c, 0));
	url = fmt("http://127.0.0.1:%u", c.port);
	for (size_t i = 0; i < NAGENTS; i++) {
		snprintf(name, sizeof(name), "agent-%s", agent_regions[i]);
		daemon_init(&a[i], false, name);
		start_daemon(&a[i], agent_config(&a[i], i, url));
	}

	/* healthy: results from both regions, no incident */
	for (size_t i = 0; i < NAGENTS; i++)
		wait_db(c.db, &(struct dbq){ .kind = Q_OK_STREAK, .agent = agent_ids[i] },
		    4, INT64_MAX, SHIP_MS, "the agent's ok_streak");
	req(db_ask(c.db, &(struct dbq){ .kind = Q_INCIDENTS }) == 0, "an incident "
	    "while everything passes");

	/* the target fails: one incident, one trigger per receiver */
	fixture_set_health(T.fx, 503);
	wait_db(c.db, &(struct dbq){ .kind = Q_INCIDENTS, .status = "open" }, 1,
	    INT64_MAX, ALERT_MS, "open incidents");
	req(db_incident(c.db, &id, &opened), "no incident");
	snprintf(incident, sizeof(incident), "inc-%lld", (long long)id);
	req(db_ask(c.db, &(struct dbq){ .kind = Q_INCIDENTS }) == 1, "more than one "
	    "incident");
	req(db_ask(c.db, &(struct dbq){ .kind = Q_DELIVERIES }) == (int64_t)NRECEIVERS,
	    "not one delivery per receiver");
	for (size_t i = 0; i < NRECEIVERS; i++)
		want[i] = 1;
	want[7] = 3;	/* flaky: 500, 500, 200 */
	want[8] = 2;	/* throttled: 429, 200 */
	want[9] = 2;	/* hanging: two attempts, both timed out */
	wait_requests(want, ALERT_MS, "trigger");

	/* normal receivers: exactly one trigger each, long before the hanging
	 * receiver's 2 s timeout */
	req(rcv_get("hanging", 0, &q0), "no request to hanging");
	free(q0.body);
	for (size_t i = 0; i < NNORMAL; i++) {
		req(rcv_get(receivers[i].name, 0, &q1), "no request");
		free(q1.body);
		req(q1.at_ms <= q0.at_ms + 1000, "%s got its trigger %lld ms after the "
		    "hanging receiver's: held up by it?", receivers[i].name,
		    (long long)(q1.at_ms - q0.at_ms));
		req(q1.at_ms - opened < 1500, "%s got its trigger %lld ms after the "
		    "incident opened", receivers[i].name, (long long)(q1.at_ms - opened));
		announces(i, 0, "trigger", incident);
		req(db_ask(c.db, &(struct dbq){ .kind = Q_DELIVERIES, .receiver =
		    receivers[i].name, .status = "sent", .attempts = 1, .quick_ms =
		    1500 }) == 1, "%s: no quick delivery in the log", receivers[i].name);
	}
	/* flaky: two 500s, then accepted: one notification after retries,
	 * with the backoff between attempts */
	req(rcv_get("flaky", 0, &q0) && rcv_get("flaky", 1, &q1) &&
	    rcv_get("flaky", 2, &q2), "flaky: not three requests");
	req(q0.status == 500 && q1.status == 500 && q2.status == 200, "flaky answers");
	req(q1.at_ms - q0.at_ms >= 450 && q2.at_ms - q1.at_ms >= 950, "flaky retried "
	    "after %lld and %lld ms; the backoff is at least 500 and 1000",
	    (long long)(q1.at_ms - q0.at_ms), (long long)(q2.at_ms - q1.at_ms));
	free(q0.body);
	free(q1.body);
	free(q2.body);
	announces(7, 2, "trigger", incident);
	wait_db(c.db, &(struct dbq){ .kind = Q_DELIVERIES, .receiver = "flaky",
	    .status = "sent", .attempts = 3, .last_status = 200 }, 1, INT64_MAX,
	    ALERT_MS, "flaky's sent deliveries after 3 attempts");
	/* throttled: the retry waits for Retry-After: 1 */
	req(rcv_get("throttled", 0, &q0) && rcv_get("throttled", 1, &q1),
	    "throttled: not two requests");
	req(q0.status == 429 && q1.status == 200, "throttled answers");
	req(q1.at_ms - q0.at_ms >= 1000, "throttled retried after %lld ms, before its "
	    "Retry-After of 1 s", (long long)(q1.at_ms - q0.at_ms));
	free(q0.body);
	free(q1.body);
	announces(8, 1, "trigger", incident);
	wait_db(c.db, &(struct dbq){ .kind = Q_DELIVERIES, .receiver = "throttled",
	    .status = "sent", .attempts = 2 }, 1, INT64_MAX, ALERT_MS,
	    "throttled's sent deliveries after 2 attempts");
	/* hanging: given up after its max_attempts, never sent */
	wait_db(c.db, &(struct dbq){ .kind = Q_DELIVERIES, .receiver = "hanging",
	    .status = "failed", .attempts = 2 }, 1, INT64_MAX, ALERT_MS,
	    "hanging's failed deliveries after 2 attempts");

	/* restart mid-incident: nothing new goes out */
	deliveries = db_ask(c.db, &(struct dbq){ .kind = Q_DELIVERIES });
	for (size_t i = 0; i < NRECEIVERS; i++)
		before[i] = rcv_count(receivers[i].name);
	stop_daemon(&c);
	restart_collector(&c);
	wait_db(c.db, &(struct dbq){ .kind = Q_NEWER, .ts = wall_ms() }, 1, INT64_MAX,
	    SHIP_MS, "results after the restart");
	usleep(QUIET_MS * 1000);
	for (size_t i = 0; i < NRECEIVERS; i++)
		req(rcv_count(receivers[i].name) == before[i], "%s got %zu requests after "
		    "the restart", receivers[i].name, rcv_count(receivers[i].name) -
		    before[i]);
	req(db_ask(c.db, &(struct dbq){ .kind = Q_DELIVERIES }) == deliveries,
	    "deliveries queued after the restart");
	req(db_ask(c.db, &(struct dbq){ .kind = Q_INCIDENTS, .status = "open" }) == 1,
	    "the incident is not open after the restart");

	/* the target recovers: one resolve per receiver */
	fixture_set_health(T.fx, 0);
	wait_db(c.db, &(struct dbq){ .kind = Q_INCIDENTS, .status = "resolved" }, 1,
	    INT64_MAX, ALERT_MS, "resolved incidents");
	for (size_t i = 0; i < NRECEIVERS; i++)
		want[i] = before[i] + 1;
	want[9] = before[9] + 2;
	wait_requests(want, ALERT_MS, "resolve");
	wait_db(c.db, &(struct dbq){ .kind = Q_DELIVERIES, .unfinished = true }, 0, 0,
	    ALERT_MS, "deliveries pending or sending");
	for (size_t i = 0; i < NRECEIVERS - 1; i++) {
		size_t triggers = 0, resolves = 0;

		for (k = 0; k < rcv_count(receivers[i].name); k++) {
			struct rreq q;
			char *ev;

			req(rcv_get(receivers[i].name, k, &q), "no request");
			free(q.body);
			if (q.status < 200 || q.status >= 300)
				continue;
			ev = event_of(i, k, incident);
			triggers += strcmp(ev, "trigger") == 0;
			resolves += strcmp(ev, "resolve") == 0;
			free(ev);
		}
		req(triggers == 1 && resolves == 1 && accepted(i) == 2, "%s accepted %zu "
		    "triggers and %zu resolves (%zu requests in all)", receivers[i].name,
		    triggers, resolves, accepted(i));
	}
	announces(4, 1, "resolve", incident);	/* pagerduty */
	announces(5, 1, "resolve", incident);	/* opsgenie: close by alias */
	req(accepted(9) == 0, "hanging answered?");

	/* the API: the incident, resolved, with its deliveries */
	o = get_json(&c, "/api/v1/incidents", &text);
	{
		char *path = fmt("%s/incidents.json", T.dir);

		spawn_write_file(path, text);	/* for the README's example */
		free(path);
	}
	free(text);
	inc = json_array_get(json_object_get(o, "incidents"), 0);
	req(json_array_size(json_object_get(o, "incidents")) == 1, "not one incident");
	req(strcmp(jstr(inc, "id"), incident) == 0 && strcmp(jstr(inc, "status"),
	    "resolved") == 0 && strcmp(jstr(inc, "rule"), "fd-down") == 0 &&
	    strcmp(jstr(inc, "check"), "micro-front-door") == 0 &&
	    json_is_integer(json_object_get(inc, "resolved_at")), "the incident: %s",
	    json_dumps(inc, 0));
	req(json_array_size(json_object_get(inc, "regions")) == 2, "not two regions");
	dl = json_object_get(inc, "deliveries");
	req(json_array_size(dl) == 2 * NRECEIVERS, "%zu deliveries, want %zu",
	    json_array_size(dl), 2 * NRECEIVERS);
	json_array_foreach(dl, k, x) {
		const char *rcv = jstr(x, "receiver"), *st = jstr(x, "status");
		bool hanging = strcmp(rcv, "hanging") == 0;

		req(strcmp(st, hanging ? "failed" : "sent") == 0, "%s %s: %s", rcv,
		    jstr(x, "event"), st);
		req(strcmp(jstr(x, "event"), json_integer_value(json_object_get(x,
		    "seq")) == 1 ? "trigger" : "resolve") == 0, "%s: event %s at seq %lld",
		    rcv, jstr(x, "event"),
		    (long long)json_integer_value(json_object_get(x, "seq")));
		if (strcmp(rcv, "flaky") == 0 && strcmp(jstr(x, "event"), "trigger") == 0)
			req(json_integer_value(json_object_get(x, "attempts")) == 3,
			    "flaky: attempts");
	}
	json_decref(o);

	/* --test-receiver: one marked test notification, exit 0 */
	{
		char *argv[] = { (char *)(uintptr_t)collector_path(), (char *)"-c", c.conf,
			(char *)"--test-receiver", (char *)"webhook", NULL };
		char *argv2[] = { (char *)(uintptr_t)collector_path(), (char *)"-c", c.conf,
			(char *)"--test-receiver", (char *)"nope", NULL };
		size_t n = rcv_count("webhook");
		struct rreq q;

		req(spawn_start(&tr, T.dir, "test-receiver", argv) == 0, "cannot start");
		req(spawn_wait(&tr, STOP_MS) == 0 && spawn_exit_code(&tr) == 0,
		    "--test-receiver webhook: exit %d", spawn_exit_code(&tr));
		req(rcv_count("webhook") == n + 1 && rcv_get("webhook", n, &q),
		    "--test-receiver sent nothing");
		o = body_json(&q);
		verify_signature(&q, HOOK_SECRET);
		req(strcmp(jstr(o, "event"), "test") == 0 && strncmp(jstr(o,
		    "incident.title"), "[TEST] ", 7) == 0, "not a test: %s", q.body);
		json_decref(o);
		free(q.body);
		text = spawn_read_file(tr.out_path, NULL);
		req(text && strstr(text, "webhook (webhook): delivered (HTTP 200)"),
		    "--test-receiver said: %s", text ? text : "");
		free(text);
		req(spawn_start(&tr, T.dir, "test-receiver-nope", argv2) == 0, "start");
		req(spawn_wait(&tr, STOP_MS) == 0 && spawn_exit_code(&tr) == 2,
		    "--test-receiver nope: exit %d", spawn_exit_code(&tr));
	}

	for (size_t i = 0; i < NAGENTS; i++)
		stop_daemon(&a[i]);
	stop_daemon(&c);
	free(url);
}
END_TEST

int
main(void)
{
	static const char *const proxies[] = {
		"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
		"all_proxy", "ALL_PROXY", NULL
	};
	Suite *s = suite_create("alerting");
	TCase *tc = tcase_create("end to end");
	SRunner *sr;
	int failed;

	for (int i = 0; proxies[i]; i++)
		unsetenv(proxies[i]);
	setenv("NO_PROXY", "*", 1);
	setenv("no_proxy", "*", 1);
	signal(SIGPIPE, SIG_IGN);
	if (access(spawn_agent_path(), X_OK) != 0 || access(collector_path(), X_OK) != 0) {
		fprintf(stderr, "test_alerting: need %s and %s (set VANTAGE_AGENT and "
		    "VANTAGE_COLLECTOR)\n", spawn_agent_path(), collector_path());
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_alerting);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}
