/* test_fleet: agents shipping to a collector, end to end. The real
 * vantage-collector and vantage-agent binaries run on 127.0.0.1 with
 * kernel-chosen ports; the agents probe a fixture server. Configs, DBs and
 * logs live in a temp dir per test, kept when a test fails (or with
 * VANTAGE_KEEP_TMP set).
 *
 * Helpers for more scenarios: daemon_init() names a daemon's files,
 * collector_config()/agent_config() write the usual configs,
 * start_collector()/start_agent() start one and wait for its port file,
 * stop_daemon() SIGTERMs it, wait_until() polls a predicate with a bound,
 * wait_count() and wait_metric() are the common predicates. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include "certgen.h"
#include "fixture.h"
#include "spawn.h"

#define READY_MS	10000	/* a port file is written, at most */
#define STOP_MS		15000	/* SIGTERM to exit, at most */
#define SHIP_MS		20000	/* results reach the collector, at most */
#define POLL_STEP_MS	50
#define MAX_DAEMONS	8

/* Every agent id the test collector knows, each with its own key. */
static const char *const agent_ids[] = { "fleet-a", "fleet-b", "fleet-c" };

struct daemon {
	bool		 collector;	/* else an agent */
	char		 name[32];	/* file and log prefix */
	char		 conf[PATH_MAX];
	char		 portfile[PATH_MAX];
	char		 db[PATH_MAX];
	struct spawn	 proc;
	unsigned	 port;		/* from the port file */
	int		 runs;		/* starts so far (names the log files) */
	bool		 up;		/* started and not stopped by the test */
};

/* One test's state (each test runs in its own forked process). */
static struct {
	char		 dir[PATH_MAX / 2];
	struct fixture	*fx;
	struct daemon	*all[MAX_DAEMONS];	/* every daemon, for the logs */
	size_t		 nall;
} T;

/* On failure: show what every daemon said, and leave none running. */
static void
fail_cleanup(void)
{
	for (size_t i = 0; i < T.nall; i++) {
		fprintf(stderr, "######## %s %s (run %d)\n", T.all[i]->collector ?
		    "collector" : "agent", T.all[i]->name, T.all[i]->runs);
		spawn_dump(&T.all[i]->proc, "test failed");
		spawn_kill(&T.all[i]->proc);
	}
	fprintf(stderr, "(test files kept in %s)\n", T.dir);
	T.dir[0] = '\0';	/* teardown keeps them */
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
	snprintf(T.dir, sizeof(T.dir), "%s/vantage-fleet.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	ck_assert_msg(mkdtemp(T.dir) != NULL, "mkdtemp %s: %s", T.dir, strerror(errno));
	T.fx = fixture_start(NULL, NULL, err, sizeof(err));
	ck_assert_msg(T.fx != NULL, "fixture: %s", err);
}

static void
teardown(void)
{
	for (size_t i = 0; i < T.nall; i++)
		spawn_kill(&T.all[i]->proc);
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

/* The key of agent id (what both configs say). */
static char *
agent_key(const char *id)
{
	return fmt("fleet-test-key-0123456789-%s", id);
}

static const char *
collector_path(void)
{
	const char *p = getenv("VANTAGE_COLLECTOR");

	return p && *p ? p : "web/vantage-collector";
}

/* ---- daemons ---- */

/* Name d's files in the test dir: NAME.json, NAME.port, NAME.db. */
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

/* A collector config for d listening on 127.0.0.1:port (0: any) that knows
 * every agent in agent_ids; extra (may be NULL) adds top-level members,
 * e.g. "\"checks\": [...]". Caller frees. */
static char *
collector_config(const struct daemon *d, unsigned port, const char *extra)
{
	char *agents = fmt("%s", ""), *out;

	for (size_t i = 0; i < sizeof(agent_ids) / sizeof(agent_ids[0]); i++) {
		char *key = agent_key(agent_ids[i]), *next;

		next = fmt("%s%s{\"id\": \"%s\", \"key\": \"%s\"}", agents, i ? ", " : "",
		    agent_ids[i], key);
		free(agents);
		free(key);
		agents = next;
	}
	out = fmt("{\n  \"listen\": [\"127.0.0.1:%u\"],\n  \"db\": \"%s\",\n"
	    "  \"agents\": [%s]%s%s\n}\n", port, d->db, agents, extra ? ",\n  " : "",
	    extra ? extra : "");
	free(agents);
	return out;
}

/* An agent config for d: agent id in region "eu", shipping to url with
 * collector_extra (may be NULL) added to the "collector" object, and
 * checks (a JSON array, or NULL for none). Caller frees. */
static char *
agent_config(const struct daemon *d, const char *id, const char *url,
    const char *collector_extra, const char *checks)
{
	char *key = agent_key(id), *out;

	out = fmt("{\n  \"agent\": {\"id\": \"%s\", \"region\": \"eu\", \"db\": \"%s\", "
	    "\"listen\": \"127.0.0.1:0\"},\n  \"collector\": {\"url\": \"%s\", "
	    "\"key\": \"%s\"%s%s}%s%s\n}\n", id, d->db, url, key,
	    collector_extra ? ", " : "", collector_extra ? collector_extra : "",
	    checks ? ",\n  \"checks\": " : "", checks ? checks : "");
	free(key);
	return out;
}

/* Write config text (taking it) and start d with --portfile; returns once
 * the port file names its port (in d->port). */
static void
start_daemon(struct daemon *d, char *config)
{
	char *argv[10], tag[64];
	int n = 0;

	req(spawn_write_file(d->conf, config) == 0, "cannot write %s", d->conf);
	free(config);
	unlink(d->portfile);
	argv[n++] = (char *)(uintptr_t)(d->collector ? collector_path() :
	    spawn_agent_path());
	argv[n++] = (char *)"-c";
	argv[n++] = d->conf;
	argv[n++] = (char *)"--portfile";
	argv[n++] = d->portfile;
	argv[n++] = (char *)"--log-level";
	argv[n++] = (char *)"debug";
	argv[n] = NULL;
	snprintf(tag, sizeof(tag), "%s-%d", d->name, ++d->runs);
	req(spawn_start(&d->proc, T.dir, tag, argv) == 0, "cannot start %s", argv[0]);
	d->up = true;
	d->port = spawn_wait_portfile(&d->proc, d->portfile, READY_MS);
	req(d->port != 0, "%s did not write its port file", d->name);
}

static void
start_collector(struct daemon *d, char *config)
{
	req(d->collector, "%s is not a collector", d->name);
	start_daemon(d, config);
}

static void
start_agent(struct daemon *d, char *config)
{
	req(!d->collector, "%s is not an agent", d->name);
	start_daemon(d, config);
}

/* SIGTERM d; it must exit 0 within STOP_MS. */
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

/* The base URL of collector c. */
static char *
url_of(const struct daemon *c, bool https)
{
	return fmt("%s://127.0.0.1:%u", https ? "https" : "http", c->port);
}

/* ---- waiting ---- */

/* Poll pred(arg) every POLL_STEP_MS for at most timeout_ms; true once it
 * holds. Fails at once if a daemon the test started dies. */
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

/* One integer from a query on the DB at path, opened read-only; -1 if the
 * DB or its tables are not there (yet). */
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
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

struct count_pred {
	const char	*db;
	char		*sql;
	int64_t		 min, last;
};

static bool
count_reached(void *arg)
{
	struct count_pred *p = arg;

	p->last = db_int(p->db, p->sql);
	return p->last >= p->min;
}

static void wait_count(const char *db, int64_t min, int timeout_ms,
    const char *sql_fmt, ...) __attribute__((format(printf, 4, 5)));

/* Wait until the query (made from sql_fmt) on db gives at least min;
 * returns the last value. */
static void
wait_count(const char *db, int64_t min, int timeout_ms, const char *sql_fmt, ...)
{
	struct count_pred p = { db, NULL, min, -1 };
	va_list ap;
	int rc;

	va_start(ap, sql_fmt);
	rc = vasprintf(&p.sql, sql_fmt, ap);
	va_end(ap);
	ck_assert_msg(rc >= 0, "out of memory");
	if (!wait_until(count_reached, &p, timeout_ms)) {
		fprintf(stderr, "query on %s:\n  %s\n", db, p.sql);
		req(0, "waited %d ms: the query gives %lld, want at least %lld",
		    timeout_ms, (long long)p.last, (long long)min);
	}
	free(p.sql);
}

/* The value of the first sample line of /metrics starting with series
 * ("name{labels}" or "name"); -1 if absent or not served. */
static double
metric(const struct daemon *d, const char *series)
{
	long status = 0;
	char *body = NULL, *p;
	size_t n = strlen(series);
	double v = -1;

	if (spawn_http_get(d->port, "/metrics", &status, &body) != 0 || status != 200) {
		free(body);
		return -1;
	}
	for (p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, series, n) == 0 && p[n] == ' ') {
			v = strtod(p + n + 1, NULL);
			break;
		}
	free(body);
	return v;
}

struct metric_pred {
	const struct daemon	*d;
	const char		*series;
	double			 min, last;
};

static bool
metric_reached(void *arg)
{
	struct metric_pred *p = arg;

	p->last = metric(p->d, p->series);
	return p->last >= p->min;
}

/* Wait until d's /metrics has series at min or more. */
static void
wait_metric(const struct daemon *d, const char *series, double min, int timeout_ms)
{
	struct metric_pred p = { d, series, min, -1 };

	req(wait_until(metric_reached, &p, timeout_ms), "%s: %s is %g after %d ms, "
	    "want at least %g", d->name, series, p.last, timeout_ms, min);
}

/* GET path from d's HTTP port as a JSON object (caller json_decref's). */
static json_t *
get_json(const struct daemon *d, const char *path)
{
	long status = 0;
	char *body = NULL;
	json_t *o;

	req(spawn_http_get(d->port, path, &status, &body) == 0, "GET %s from %s "
	    "failed", path, d->name);
	o = json_loads(body, 0, NULL);
	req(status == 200 && json_is_object(o), "GET %s from %s: %ld %s", path,
	    d->name, status, body);
	free(body);
	return o;
}

/* A checks[] array with one check named name getting a 200 from the
 * fixture every interval. Caller frees. */
static char *
health_check(const char *name, const char *interval)
{
	return fmt("[{\"name\": \"%s\", \"url\": \"http://127.0.0.1:%u/healthz\", "
	    "\"interval\": \"%s\", \"timeout\": \"%s\"}]", name, fixture_port(T.fx),
	    interval, interval);
}

static void
promtool_check(const struct daemon *d)
{
	static const char promtool[] = "/usr/bin/promtool";
	char cmd[PATH_MAX + 128], outpath[PATH_MAX + 16], *body = NULL;
	long status = 0;
	FILE *fp;
	int rc;

	if (access(promtool, X_OK) != 0) {
		fprintf(stderr, "note: %s not found: /metrics not linted\n", promtool);
		return;
	}
	req(spawn_http_get(d->port, "/metrics", &status, &body) == 0 && status == 200,
	    "GET /metrics from %s", d->name);
	snprintf(outpath, sizeof(outpath), "%s/promtool.out", T.dir);
	snprintf(cmd, sizeof(cmd), "%s check metrics >'%s' 2>&1", promtool, outpath);
	req((fp = popen(cmd, "w")) != NULL, "cannot run %s", promtool);
	fputs(body, fp);
	rc = pclose(fp);
	if (rc != 0) {
		char *out = spawn_read_file(outpath, NULL);

		fprintf(stderr, "---- /metrics\n%s---- promtool says\n%s", body,
		    out ? out : "");
		free(out);
	}
	free(body);
	req(rc == 0, "promtool check metrics failed on %s's /metrics", d->name);
}

/* ---- scenarios ---- */

/* (a) Results reach the collector; exactly the acknowledged rows are
 * marked shipped in the agent DB. */
START_TEST(test_ship_basic)
{
	struct daemon c, a;
	char *url, *checks = health_check("health", "200ms");
	json_t *h;
	int64_t in_collector, shipped;

	daemon_init(&c, true, "collector");
	daemon_init(&a, false, "agent-a");
	start_collector(&c, collector_config(&c, 0, NULL));
	url = url_of(&c, false);
	start_agent(&a, agent_config(&a, "fleet-a", url, NULL, checks));
	wait_count(c.db, 5, SHIP_MS, "SELECT count(*) FROM results WHERE "
	    "agent = 'fleet-a' AND check_name = 'health' AND ok = 1");
	wait_metric(&a, "vantage_agent_ship_batches_total", 1, SHIP_MS);
	req(metric(&a, "vantage_agent_shipped_results_total") >= 5, "shipped_results");
	req(metric(&a, "vantage_agent_ship_last_success_timestamp_seconds") > 1e9,
	    "no last success timestamp");
	req(metric(&a, "vantage_agent_checks_remote") == 0, "checks_remote");
	h = get_json(&a, "/healthz");
	req(json_is_string(json_object_get(h, "collector")) &&
	    strcmp(json_string_value(json_object_get(h, "collector")), url) == 0,
	    "/healthz collector is not %s", url);
	req(json_is_integer(json_object_get(h, "last_ship")), "/healthz last_ship");
	req(json_integer_value(json_object_get(h, "ship_errors")) == 0, "ship_errors");
	req(json_is_integer(json_object_get(h, "outbox_oldest_unshipped_age_ms")),
	    "outbox_oldest_unshipped_age_ms");
	req(json_is_integer(json_object_get(h, "checks_remote")), "checks_remote");
	json_decref(h);
	promtool_check(&a);
	/* the collector knows the agent from its batches */
	req(db_int(c.db, "SELECT count(*) FROM agents WHERE id = 'fleet-a' AND "
	    "region = 'eu' AND version IS NOT NULL") == 1, "agents row");

	/* after SIGTERM the request in flight has finished: the shipped rows
	 * are exactly those the collector has */
	stop_daemon(&a);
	in_collector = db_int(c.db, "SELECT count(*) FROM results WHERE agent = 'fleet-a'");
	shipped = db_int(a.db, "SELECT count(*) FROM results WHERE shipped = 1");
	req(in_collector == shipped, "collector has %lld rows, the agent marked %lld "
	    "shipped", (long long)in_collector, (long long)shipped);
	req(db_int(c.db, "SELECT sum(seq) FROM results WHERE agent = 'fleet-a'") ==
	    db_int(a.db, "SELECT sum(seq) FROM results WHERE shipped = 1"),
	    "different seqs on the two sides");
	stop_daemon(&c);
	free(checks);
	free(url);
}
END_TEST

/* (b) The collector is down when the agent starts: the agent keeps
 * probing, the outbox grows; when the collector comes, the backlog drains
 * in several batches and every (agent, seq) is stored exactly once. */
START_TEST(test_collector_down_then_back)
{
	struct daemon c, a;
	unsigned port = fixture_refused_port();
	int64_t backlog, rows, total;
	char *url, *checks = health_check("health", "100ms");
	json_t *h;

	req(port != 0, "no free port");
	daemon_init(&c, true, "collector");
	daemon_init(&a, false, "agent-a");
	url = fmt("http://127.0.0.1:%u", port);
	start_agent(&a, agent_config(&a, "fleet-a", url, "\"batch_max\": 7", checks));
	wait_count(a.db, 25, SHIP_MS, "SELECT count(*) FROM results WHERE shipped = 0");
	wait_metric(&a, "vantage_agent_ship_errors_total{reason=\"connect\"}", 1, SHIP_MS);
	req(metric(&a, "vantage_agent_ship_batches_total") == 0, "batches shipped "
	    "with no collector");
	h = get_json(&a, "/healthz");
	req(json_is_null(json_object_get(h, "last_ship")), "last_ship should be null");
	req(json_integer_value(json_object_get(h, "ship_errors")) >= 1, "ship_errors");
	req(json_integer_value(json_object_get(h, "outbox_oldest_unshipped_age_ms")) > 0,
	    "oldest unshipped age");
	req(json_integer_value(json_object_get(h, "outbox_depth")) >= 25, "depth");
	json_decref(h);
	req(metric(&a, "vantage_agent_outbox_oldest_unshipped_age_seconds") > 0,
	    "oldest unshipped age metric");

	backlog = db_int(a.db, "SELECT max(seq) FROM results");
	start_collector(&c, collector_config(&c, port, NULL));
	/* the whole backlog arrives, in batches of 7 at most */
	wait_count(c.db, backlog, SHIP_MS, "SELECT count(*) FROM results WHERE "
	    "agent = 'fleet-a' AND seq <= %lld", (long long)backlog);
	wait_count(a.db, backlog, SHIP_MS, "SELECT count(*) FROM results WHERE "
	    "shipped = 1 AND seq <= %lld", (long long)backlog);
	req(metric(&a, "vantage_agent_ship_batches_total") >= (double)(backlog / 7),
	    "the backlog of %lld went in %g batches", (long long)backlog,
	    metric(&a, "vantage_agent_ship_batches_total"));
	stop_daemon(&a);

	/* exactly once: seqs 1..N, no gaps, no twins, nothing lost */
	rows = db_int(a.db, "SELECT count(*) FROM results WHERE shipped = 1");
	total = db_int(c.db, "SELECT count(*) FROM results WHERE agent = 'fleet-a'");
	req(total == rows, "collector %lld rows, agent %lld shipped", (long long)total,
	    (long long)rows);
	req(db_int(c.db, "SELECT count(DISTINCT seq) FROM results WHERE agent = "
	    "'fleet-a'") == total, "a seq stored twice");
	req(db_int(c.db, "SELECT min(seq) FROM results WHERE agent = 'fleet-a'") == 1,
	    "seq 1 missing");
	req(db_int(c.db, "SELECT max(seq) FROM results WHERE agent = 'fleet-a'") >=
	    backlog, "the backlog's end is missing");
	stop_daemon(&c);
	free(checks);
	free(url);
}
END_TEST

/* (c) Checks defined on the collector run on an agent with none of its
 * own, and still run after the agent restarts while the collector is
 * down. */
START_TEST(test_check_pull)
{
	struct daemon c, a;
	char *url, *checks, *extra;
	int64_t before;

	daemon_init(&c, true, "collector");
	daemon_init(&a, false, "agent-a");
	checks = fmt("\"checks\": [{\"name\": \"pulled-health\", \"url\": "
	    "\"http://127.0.0.1:%u/healthz\", \"interval\": \"300ms\", "
	    "\"timeout\": \"250ms\", \"regions\": [\"eu\"]}, {\"name\": \"not-for-eu\", "
	    "\"url\": \"http://127.0.0.1:%u/healthz\", \"regions\": [\"us\"]}]",
	    fixture_port(T.fx), fixture_port(T.fx));
	start_collector(&c, collector_config(&c, 0, checks));
	free(checks);
	url = url_of(&c, false);
	extra = fmt("\"pull_every\": \"1s\"");
	start_agent(&a, agent_config(&a, "fleet-a", url, extra, NULL));
	wait_count(a.db, 2, SHIP_MS, "SELECT count(*) FROM results WHERE check_name = "
	    "'pulled-health' AND ok = 1");
	wait_metric(&a, "vantage_agent_checks_remote", 1, SHIP_MS);
	req(metric(&a, "vantage_agent_checks_remote") == 1, "checks_remote");
	req(metric(&a, "vantage_agent_checks_pull_last_success_timestamp_seconds") > 1e9,
	    "no pull timestamp");
	req(db_int(a.db, "SELECT count(*) FROM results WHERE check_name = "
	    "'not-for-eu'") == 0, "ran a check meant for another region");
	req(db_int(a.db, "SELECT count(*) FROM remote_checks WHERE etag IS NOT NULL")
	    == 1, "the pulled set is not kept in the agent DB");
	/* and the collector gets their results */
	wait_count(c.db, 1, SHIP_MS, "SELECT count(*) FROM results WHERE agent = "
	    "'fleet-a' AND check_name = 'pulled-health'");

	/* collector and agent stop; the agent comes back alone */
	stop_daemon(&a);
	stop_daemon(&c);
	before = db_int(a.db, "SELECT count(*) FROM results WHERE check_name = "
	    "'pulled-health'");
	start_agent(&a, agent_config(&a, "fleet-a", url, extra, NULL));
	req(metric(&a, "vantage_agent_checks_remote") == 1, "the pulled checks were "
	    "not restored from the agent DB");
	wait_count(a.db, before + 3, SHIP_MS, "SELECT count(*) FROM results WHERE "
	    "check_name = 'pulled-health'");
	wait_metric(&a, "vantage_agent_checks_pull_errors_total", 1, SHIP_MS);
	stop_daemon(&a);
	free(extra);
	free(url);
}
END_TEST

/* (d) HTTPS: with collector.ca_file the agent verifies the collector's
 * certificate and ships; without it (the test CA is not in the system
 * store) every try fails and is counted. */
START_TEST(test_https)
{
	struct daemon c, good, bad;
	struct certgen_set certs;
	char err[256], *url, *tls, *ca, *checks = health_check("health", "200ms");

	req(certgen_make(T.dir, &certs, err, sizeof(err)) == 0, "certgen: %s", err);
	daemon_init(&c, true, "collector");
	daemon_init(&good, false, "agent-ca");
	daemon_init(&bad, false, "agent-noca");
	tls = fmt("\"tls\": {\"cert\": \"%s\", \"key\": \"%s\"}",
	    certs.pair[CERTGEN_VALID].cert, certs.pair[CERTGEN_VALID].key);
	start_collector(&c, collector_config(&c, 0, tls));
	free(tls);
	url = url_of(&c, true);
	ca = fmt("\"ca_file\": \"%s\"", certs.ca_file);
	start_agent(&good, agent_config(&good, "fleet-a", url, ca, checks));
	start_agent(&bad, agent_config(&bad, "fleet-b", url, NULL, checks));
	wait_count(c.db, 3, SHIP_MS, "SELECT count(*) FROM results WHERE agent = "
	    "'fleet-a'");
	wait_metric(&bad, "vantage_agent_ship_errors_total{reason=\"connect\"}", 2,
	    SHIP_MS);
	req(metric(&bad, "vantage_agent_ship_batches_total") == 0, "shipped without "
	    "trusting the CA");
	req(db_int(c.db, "SELECT count(*) FROM results WHERE agent = 'fleet-b'") <= 0,
	    "the collector has results from the agent without the CA");
	req(metric(&good, "vantage_agent_ship_errors_total{reason=\"connect\"}") == 0,
	    "the agent with the CA had connect errors");
	stop_daemon(&good);
	stop_daemon(&bad);
	{
		char *log = spawn_read_file(bad.proc.err_path, NULL);

		req(log && (strstr(log, "certificate") || strstr(log, "SSL")), "the log "
		    "of the agent without the CA does not say why");
		free(log);
	}
	stop_daemon(&c);
	free(checks);
	free(ca);
	free(url);
}
END_TEST

/* A wrong key: every batch gets 401, counted as unauthorized and logged as
 * an error naming the key and the clock; nothing is marked shipped. */
START_TEST(test_wrong_key)
{
	struct daemon c, a;
	char *url, *conf, *key = agent_key("fleet-c"), *p, *log;
	char *checks = health_check("health", "200ms");

	daemon_init(&c, true, "collector");
	daemon_init(&a, false, "agent-c");
	start_collector(&c, collector_config(&c, 0, NULL));
	url = url_of(&c, false);
	conf = agent_config(&a, "fleet-c", url, NULL, checks);
	/* same length, one character off */
	p = strstr(conf, key);
	req(p != NULL, "no key in the config");
	p[strlen(key) - 1] = p[strlen(key) - 1] == 'x' ? 'y' : 'x';
	start_agent(&a, conf);
	wait_metric(&a, "vantage_agent_ship_errors_total{reason=\"unauthorized\"}", 1,
	    SHIP_MS);
	req(metric(&a, "vantage_agent_ship_batches_total") == 0, "batches acked");
	stop_daemon(&a);
	req(db_int(a.db, "SELECT count(*) FROM results WHERE shipped = 1") == 0,
	    "rows marked shipped without an ack");
	req(db_int(c.db, "SELECT count(*) FROM results") <= 0, "the collector stored "
	    "results signed with a wrong key");
	log = spawn_read_file(a.proc.err_path, NULL);
	req(log && strstr(log, "error: shipping to") && strstr(log, "401") &&
	    strstr(log, "the key or the clock is wrong"), "the agent's log does not "
	    "say the key or the clock is wrong");
	free(log);
	stop_daemon(&c);
	free(checks);
	free(key);
	free(url);
}
END_TEST

static Suite *
fleet_suite(void)
{
	Suite *s = suite_create("fleet");
	TCase *tc = tcase_create("ship");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_ship_basic);
	tcase_add_test(tc, test_collector_down_then_back);
	tcase_add_test(tc, test_check_pull);
	tcase_add_test(tc, test_https);
	tcase_add_test(tc, test_wrong_key);
	suite_add_tcase(s, tc);
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

	/* everything goes to 127.0.0.1: never via a proxy */
	for (int i = 0; proxies[i]; i++)
		unsetenv(proxies[i]);
	setenv("NO_PROXY", "*", 1);
	setenv("no_proxy", "*", 1);
	signal(SIGPIPE, SIG_IGN);
	if (access(spawn_agent_path(), X_OK) != 0 || access(collector_path(), X_OK) != 0) {
		fprintf(stderr, "test_fleet: need %s and %s (set VANTAGE_AGENT and "
		    "VANTAGE_COLLECTOR)\n", spawn_agent_path(), collector_path());
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sr = srunner_create(fleet_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}
