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
 * wait_count() and wait_metric() are the common predicates. A daemon's
 * args[] adds command-line arguments (e.g. --evaluate-every);
 * kill_daemon() SIGKILLs it and restart_collector() brings a collector back
 * on the port it had. */
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
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include "certgen.h"
#include "errclass.h"
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
	const char	*args[5];	/* more arguments (NULL-terminated) */
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

/* An agent config for d: agent id in region, shipping to url with
 * collector_extra (may be NULL) added to the "collector" object, and
 * checks (a JSON array, or NULL for none). Caller frees. */
static char *
agent_config_in(const struct daemon *d, const char *id, const char *region,
    const char *url, const char *collector_extra, const char *checks)
{
	char *key = agent_key(id), *out;

	out = fmt("{\n  \"agent\": {\"id\": \"%s\", \"region\": \"%s\", \"db\": \"%s\", "
	    "\"listen\": \"127.0.0.1:0\"},\n  \"collector\": {\"url\": \"%s\", "
	    "\"key\": \"%s\"%s%s}%s%s\n}\n", id, region, d->db, url, key,
	    collector_extra ? ", " : "", collector_extra ? collector_extra : "",
	    checks ? ",\n  \"checks\": " : "", checks ? checks : "");
	free(key);
	return out;
}

/* agent_config_in() in region "eu". */
static char *
agent_config(const struct daemon *d, const char *id, const char *url,
    const char *collector_extra, const char *checks)
{
	return agent_config_in(d, id, "eu", url, collector_extra, checks);
}

/* Start d from its config file (written already) with --portfile and
 * d->args; returns the port its port file names, or 0 if it did not write
 * one within READY_MS (it is then no longer running). */
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

/* Write config text (taking it) and start d with --portfile; returns once
 * the port file names its port (in d->port). */
static void
start_daemon(struct daemon *d, char *config)
{
	req(spawn_write_file(d->conf, config) == 0, "cannot write %s", d->conf);
	free(config);
	req(launch(d) != 0, "%s did not write its port file", d->name);
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

/* SIGKILL d (no clean shutdown) and reap it. */
static void
kill_daemon(struct daemon *d)
{
	d->up = false;
	req(spawn_signal(&d->proc, SIGKILL) == 0, "cannot signal %s", d->name);
	req(spawn_wait(&d->proc, STOP_MS) == 0, "%s did not die", d->name);
	req(spawn_exit_code(&d->proc) == -1 - SIGKILL, "%s exited with %d, not by "
	    "SIGKILL", d->name, spawn_exit_code(&d->proc));
}

#define RESTART_TRIES	10	/* the old port may be busy for a moment */

/* Start collector c again on the port it had (its agents know only that
 * one), from config text (taking it) that listens there explicitly. */
static void
restart_collector(struct daemon *c, char *config)
{
	unsigned want = c->port;
	int i;

	req(c->collector && want != 0, "%s has no port to restart on", c->name);
	req(spawn_write_file(c->conf, config) == 0, "cannot write %s", c->conf);
	free(config);
	for (i = 0; i < RESTART_TRIES && launch(c) == 0; i++)
		usleep(200 * 1000);
	req(i < RESTART_TRIES, "%s did not start again on port %u in %d tries",
	    c->name, want, RESTART_TRIES);
	req(c->port == want, "%s came back on port %u, not %u", c->name, c->port, want);
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

/* The collector DB's raw results with their series' labels, in the
 * columns the queries below name (agent, check_name, region, layer, seq,
 * ts, ok, ...). Flags: 1 ok, 4 inconclusive. */
#define CRES "(SELECT r.series AS series, s.agent AS agent, s.check_name AS " \
    "check_name, s.region AS region, s.layer AS layer, s.service AS service, " \
    "s.provider AS provider, r.seq AS seq, r.ts AS ts, r.flags & 1 AS ok, " \
    "r.flags AS flags, r.error_class AS error_class, r.total_us AS total_us " \
    "FROM results r JOIN series s ON s.id = r.series)"

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

/* d's /metrics text (caller frees), or NULL if not served. */
static char *
metrics_text(const struct daemon *d)
{
	long status = 0;
	char *body = NULL;

	if (spawn_http_get(d->port, "/metrics", &status, &body) != 0 || status != 200) {
		free(body);
		return NULL;
	}
	return body;
}

/* The value of the first sample line of metrics text starting with series
 * ("name{labels}" or "name"); -1 if absent. */
static double
sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

/* The value of series in d's /metrics; -1 if absent or not served. */
static double
metric(const struct daemon *d, const char *series)
{
	char *body = metrics_text(d);
	double v = body ? sample(body, series) : -1;

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
	wait_count(c.db, 5, SHIP_MS, "SELECT count(*) FROM " CRES " WHERE "
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
	in_collector = db_int(c.db, "SELECT count(*) FROM " CRES " WHERE agent = "
	    "'fleet-a'");
	shipped = db_int(a.db, "SELECT count(*) FROM results WHERE shipped = 1");
	req(in_collector == shipped, "collector has %lld rows, the agent marked %lld "
	    "shipped", (long long)in_collector, (long long)shipped);
	req(db_int(c.db, "SELECT sum(seq) FROM " CRES " WHERE agent = 'fleet-a'") ==
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
	wait_count(c.db, backlog, SHIP_MS, "SELECT count(*) FROM " CRES " WHERE "
	    "agent = 'fleet-a' AND seq <= %lld", (long long)backlog);
	wait_count(a.db, backlog, SHIP_MS, "SELECT count(*) FROM results WHERE "
	    "shipped = 1 AND seq <= %lld", (long long)backlog);
	req(metric(&a, "vantage_agent_ship_batches_total") >= (double)(backlog / 7),
	    "the backlog of %lld went in %g batches", (long long)backlog,
	    metric(&a, "vantage_agent_ship_batches_total"));
	stop_daemon(&a);

	/* exactly once: seqs 1..N, no gaps, no twins, nothing lost */
	rows = db_int(a.db, "SELECT count(*) FROM results WHERE shipped = 1");
	total = db_int(c.db, "SELECT count(*) FROM " CRES " WHERE agent = 'fleet-a'");
	req(total == rows, "collector %lld rows, agent %lld shipped", (long long)total,
	    (long long)rows);
	req(db_int(c.db, "SELECT count(DISTINCT seq) FROM " CRES " WHERE agent = "
	    "'fleet-a'") == total, "a seq stored twice");
	req(db_int(c.db, "SELECT min(seq) FROM " CRES " WHERE agent = 'fleet-a'") == 1,
	    "seq 1 missing");
	req(db_int(c.db, "SELECT max(seq) FROM " CRES " WHERE agent = 'fleet-a'") >=
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
	wait_count(c.db, 1, SHIP_MS, "SELECT count(*) FROM " CRES " WHERE agent = "
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
	wait_count(c.db, 3, SHIP_MS, "SELECT count(*) FROM " CRES " WHERE agent = "
	    "'fleet-a'");
	wait_metric(&bad, "vantage_agent_ship_errors_total{reason=\"connect\"}", 2,
	    SHIP_MS);
	req(metric(&bad, "vantage_agent_ship_batches_total") == 0, "shipped without "
	    "trusting the CA");
	req(db_int(c.db, "SELECT count(*) FROM " CRES " WHERE agent = 'fleet-b'") <= 0,
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

/* ---- a fleet: three agents in three regions ---- */

#define FLEET_N		3
#define OUTAGE_MS	2000	/* the collector stays down this long */
#define PROBE_GAP_MS	1000	/* an agent adds a result at least this often */
#define DRAIN_MS	30000	/* a backlog reaches the collector, at most (the
				 * agents' backoff may have grown to 16 s) */
#define EVAL_MS		10000	/* an SLO evaluation after the last batch, at most */

static const char *const fleet_regions[FLEET_N] = { "us-east", "eu-central", "ap-south" };

/* The fleet's checks: two front doors that answer 200 and one that
 * answers 500, and a central origin, every 200-500 ms. Caller frees. */
static char *
fleet_checks(void)
{
	unsigned p = fixture_port(T.fx);

	return fmt("[{\"name\": \"front-ok\", \"service\": \"micro\", \"layer\": "
	    "\"front_door\", \"url\": \"http://127.0.0.1:%u/healthz\", \"interval\": "
	    "\"200ms\"}, {\"name\": \"front-headers\", \"service\": \"micro\", "
	    "\"layer\": \"front_door\", \"url\": \"http://127.0.0.1:%u/headers\", "
	    "\"interval\": \"200ms\"}, {\"name\": \"front-500\", \"service\": "
	    "\"micro\", \"layer\": \"front_door\", \"url\": "
	    "\"http://127.0.0.1:%u/status/500\", \"interval\": \"300ms\"}, "
	    "{\"name\": \"central-ok\", \"service\": \"micro\", \"layer\": "
	    "\"central\", \"url\": \"http://127.0.0.1:%u/healthz\", \"interval\": "
	    "\"500ms\"}]", p, p, p, p);
}

/* The config of fleet agent i (agent_ids[i] in fleet_regions[i]) shipping
 * to url; checks NULL: none. A second's results (about 15) make several
 * batches, so every second each agent sends a few back to back. Caller
 * frees. */
static char *
fleet_agent_config(const struct daemon *a, size_t i, const char *url,
    const char *checks)
{
	return agent_config_in(a, agent_ids[i], fleet_regions[i], url,
	    "\"batch_max\": 5", checks);
}

/* Name and start the fleet's agents, shipping to url. */
static void
start_fleet(struct daemon a[FLEET_N], const char *url)
{
	char *checks = fleet_checks(), name[32];

	for (size_t i = 0; i < FLEET_N; i++) {
		snprintf(name, sizeof(name), "agent-%s", fleet_regions[i]);
		daemon_init(&a[i], false, name);
		start_agent(&a[i], fleet_agent_config(&a[i], i, url, checks));
	}
	free(checks);
}

/* What an agent's /metrics says about its results, from one scrape. */
struct agent_stats {
	double	results;	/* results produced by this run */
	double	rows;		/* rows in the outbox */
	double	depth;		/* of them unshipped */
	double	inflight;	/* checks running */
	double	checks;		/* checks configured */
};

static bool
agent_stats(const struct daemon *a, struct agent_stats *st)
{
	char *body = metrics_text(a);

	if (body == NULL)
		return false;
	st->results = sample(body, "vantage_agent_results_total");
	st->rows = sample(body, "vantage_agent_outbox_rows");
	st->depth = sample(body, "vantage_agent_outbox_depth");
	st->inflight = sample(body, "vantage_agent_inflight");
	st->checks = sample(body, "vantage_agent_checks_configured");
	free(body);
	return st->results >= 0 && st->rows >= 0 && st->depth >= 0 &&
	    st->inflight >= 0 && st->checks >= 0;
}

/* Watching the fleet while the collector is down: every agent must keep
 * adding results, never pausing PROBE_GAP_MS or more. */
struct outage {
	struct daemon	*a;
	int64_t		 end_us;
	double		 depth[FLEET_N];	/* when the outage began */
	double		 results[FLEET_N];
	int64_t		 rise_us[FLEET_N];	/* when results last rose */
	int64_t		 gap_us[FLEET_N];	/* the longest pause seen */
};

static bool
outage_over(void *arg)
{
	struct outage *o = arg;
	int64_t now = spawn_now_us();

	for (size_t i = 0; i < FLEET_N; i++) {
		struct agent_stats st;

		req(agent_stats(&o->a[i], &st), "no /metrics from %s", o->a[i].name);
		if (st.results > o->results[i]) {
			o->results[i] = st.results;
			o->rise_us[i] = now;
		}
		if (now - o->rise_us[i] > o->gap_us[i])
			o->gap_us[i] = now - o->rise_us[i];
	}
	return now >= o->end_us;
}

/* The backlog is gone: every agent has been seen with nothing unshipped. */
struct drain {
	struct daemon	*a;
	bool		 empty[FLEET_N];
	double		 depth[FLEET_N];
};

static bool
drained(void *arg)
{
	struct drain *w = arg;
	bool all = true;

	for (size_t i = 0; i < FLEET_N; i++) {
		struct agent_stats st;

		if (!w->empty[i] && agent_stats(&w->a[i], &st)) {
			w->depth[i] = st.depth;
			w->empty[i] = st.depth == 0;
		}
		all = all && w->empty[i];
	}
	return all;
}

/* Every agent runs no check and has stored and shipped every result. */
static bool
fleet_quiet(void *arg)
{
	struct daemon *a = arg;

	for (size_t i = 0; i < FLEET_N; i++) {
		struct agent_stats st;

		if (!agent_stats(&a[i], &st) || st.checks != 0 || st.inflight != 0 ||
		    st.depth != 0 || st.results != st.rows)
			return false;
	}
	return true;
}

/* The values of a one-column integer query on the DB at path, in the
 * query's order (caller frees); their count in *n. */
static int64_t *
db_ints(const char *path, const char *sql, size_t *n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t *v = NULL;
	size_t cap = 0;
	int rc = SQLITE_ERROR;

	*n = 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 256;
				v = realloc(v, cap * sizeof(*v));
				ck_assert_msg(v != NULL, "out of memory");
			}
			v[(*n)++] = sqlite3_column_int64(st, 0);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "query on %s:\n  %s\n", path, sql);
		req(0, "the query failed: %s", db ? sqlite3_errmsg(db) : "no DB");
	}
	sqlite3_close(db);
	return v;
}

/* Agent a's (id's) results are in collector c exactly once: the seqs in
 * its own DB (every row) are the seqs c holds for it, and c's agents row
 * has its last one. */
static void
same_seqs(const struct daemon *c, const struct daemon *a, const char *id)
{
	size_t na, nc, i;
	char *sql = fmt("SELECT seq FROM " CRES " WHERE agent = '%s' ORDER BY seq", id);
	int64_t *mine = db_ints(a->db, "SELECT seq FROM results ORDER BY seq", &na);
	int64_t *theirs = db_ints(c->db, sql, &nc);

	for (i = 0; i < na && i < nc && mine[i] == theirs[i]; i++)
		;
	if (i < na || i < nc)
		fprintf(stderr, "%s: %zu results in its DB (seq %lld-%lld), %zu in the "
		    "collector's (seq %lld-%lld); the first difference at position %zu: "
		    "%lld in the agent's, %lld in the collector's\n", id, na,
		    na ? (long long)mine[0] : 0LL, na ? (long long)mine[na - 1] : 0LL, nc,
		    nc ? (long long)theirs[0] : 0LL, nc ? (long long)theirs[nc - 1] : 0LL,
		    i, i < na ? (long long)mine[i] : -1LL, i < nc ? (long long)theirs[i] : -1LL);
	req(na > 0, "%s stored no results", id);
	req(i == na && i == nc, "%s: the agent's results and the collector's differ", id);
	free(sql);
	sql = fmt("SELECT last_seq FROM agents WHERE id = '%s'", id);
	req(db_int(c->db, sql) == mine[na - 1], "%s: the collector's agents.last_seq "
	    "is not the agent's last seq %lld", id, (long long)mine[na - 1]);
	free(sql);
	free(mine);
	free(theirs);
}

/* The collector's rollups count each stored result once: per series
 * (check x agent x labels) and minute, rollup_1m has the count and passes
 * of the raw rows (an inconclusive failure is no event), and the hour and
 * day tiers add up to the same totals. The latest table has the newest
 * result of each series. */
static void
rollups_match(const struct daemon *c)
{
	static const char *const tiers[] = { "rollup_1m", "rollup_1h", "rollup_1d" };
	static const char minutes[] = "SELECT series, ts - ts % 60000, "
	    "sum((flags & 5) != 4), sum(flags & 1) FROM results GROUP BY 1, 2";
	static const char rollup[] = "SELECT series, bucket, total, good "
	    "FROM rollup_1m";
	int64_t rows = db_int(c->db, "SELECT count(*) FROM results WHERE "
	    "(flags & 5) != 4");
	int64_t ok = db_int(c->db, "SELECT sum(flags & 1) FROM results");
	char *q;

	req(rows > 0, "the collector stored nothing");
	q = fmt("SELECT count(*) FROM (%s EXCEPT %s)", rollup, minutes);
	req(db_int(c->db, q) == 0, "rollup_1m has minutes that the raw rows do not "
	    "add up to (a batch counted twice?): %s", q);
	free(q);
	q = fmt("SELECT count(*) FROM (%s EXCEPT %s)", minutes, rollup);
	req(db_int(c->db, q) == 0, "raw rows whose minute rollup_1m does not count "
	    "right: %s", q);
	free(q);
	for (size_t t = 0; t < sizeof(tiers) / sizeof(tiers[0]); t++) {
		int64_t total, good;

		q = fmt("SELECT sum(total) FROM %s", tiers[t]);
		total = db_int(c->db, q);
		free(q);
		q = fmt("SELECT sum(good) FROM %s", tiers[t]);
		good = db_int(c->db, q);
		free(q);
		req(total == rows && good == ok, "%s counts %lld results (%lld good); the "
		    "results table has %lld (%lld ok)", tiers[t], (long long)total,
		    (long long)good, (long long)rows, (long long)ok);
	}
	req(db_int(c->db, "SELECT count(*) FROM latest") == db_int(c->db,
	    "SELECT count(*) FROM (SELECT DISTINCT series FROM results)"),
	    "the latest table does not have one row per series");
	req(db_int(c->db, "SELECT count(*) FROM latest l WHERE seq != (SELECT max(seq) "
	    "FROM results r WHERE r.series = l.series)") == 0,
	    "the latest table is not the newest result of each series");
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct eval_pred {
	const struct daemon	*c;
	int64_t			 after, last;
};

static bool
evaluated_after(void *arg)
{
	struct eval_pred *p = arg;
	json_t *o = get_json(p->c, "/api/v1/slos");

	p->last = json_integer_value(json_object_get(o, "evaluated_at"));
	json_decref(o);
	return p->last > p->after;
}

/* Wait for an SLO evaluation that started after now: with the agents
 * stopped, one that sees every batch. */
static void
wait_evaluation(const struct daemon *c)
{
	struct eval_pred p = { c, wall_ms(), 0 };

	req(wait_until(evaluated_after, &p, EVAL_MS), "%s: no SLO evaluation after "
	    "%lld in %d ms (last %lld)", c->name, (long long)p.after, EVAL_MS,
	    (long long)p.last);
}

/* good and total of the raw rows picked by the SQL condition where. */
static void
raw_counts(const struct daemon *c, const char *where, int64_t *good, int64_t *total)
{
	char *q = fmt("SELECT count(*) FROM " CRES " WHERE %s", where);

	*total = db_int(c->db, q);
	free(q);
	q = fmt("SELECT coalesce(sum(ok), 0) FROM " CRES " WHERE %s", where);
	*good = db_int(c->db, q);
	free(q);
}

/* The SLO named name, as the API serves it after wait_evaluation(), has
 * the good and total of the raw rows picked by the SQL condition where, in
 * all and per region. */
static void
slo_matches(const struct daemon *c, const char *name, const char *where)
{
	json_t *all = get_json(c, "/api/v1/slos"), *o = NULL, *x, *by;
	char *path = fmt("/api/v1/slos/%s", name), *cond, *q;
	int64_t good, total;
	size_t i;

	json_array_foreach(json_object_get(all, "slos"), i, x)
		if (strcmp(json_string_value(json_object_get(x, "name")), name) == 0)
			o = x;
	req(o != NULL, "no SLO %s in /api/v1/slos", name);
	raw_counts(c, where, &good, &total);
	req(total > 0, "SLO %s: no raw rows where %s", name, where);
	req(json_integer_value(json_object_get(o, "good")) == good &&
	    json_integer_value(json_object_get(o, "total")) == total,
	    "SLO %s: the API says %lld good of %lld, the raw rows (%s) %lld of %lld",
	    name, (long long)json_integer_value(json_object_get(o, "good")),
	    (long long)json_integer_value(json_object_get(o, "total")), where,
	    (long long)good, (long long)total);
	json_decref(all);

	/* the breakdown by region: each group, and no region left out */
	o = get_json(c, path);
	by = json_object_get(json_object_get(o, "by"), "region");
	q = fmt("SELECT count(DISTINCT region) FROM " CRES " WHERE %s", where);
	req(json_is_array(by) && (int64_t)json_array_size(by) == db_int(c->db, q),
	    "SLO %s: %zu regions in its breakdown, %lld in the raw rows", name,
	    json_array_size(by), (long long)db_int(c->db, q));
	free(q);
	json_array_foreach(by, i, x) {
		const char *key = json_string_value(json_object_get(x, "key"));

		req(key != NULL, "SLO %s: a region without a key", name);
		cond = fmt("(%s) AND region = '%s'", where, key);
		raw_counts(c, cond, &good, &total);
		req(json_integer_value(json_object_get(x, "good")) == good &&
		    json_integer_value(json_object_get(x, "total")) == total,
		    "SLO %s, region %s: the API says %lld good of %lld, the raw rows "
		    "%lld of %lld", name, key,
		    (long long)json_integer_value(json_object_get(x, "good")),
		    (long long)json_integer_value(json_object_get(x, "total")),
		    (long long)good, (long long)total);
		free(cond);
	}
	json_decref(o);
	free(path);
}

/* Collector SLOs over the fleet's checks (a "slos" member). */
#define FLEET_SLOS "\"slos\": [" \
	"{\"name\": \"front-door\", \"objective\": 99, \"selector\": " \
	"{\"layer\": \"front_door\"}}, " \
	"{\"name\": \"front-door-ap\", \"objective\": 99.9, \"window\": \"1d\", " \
	"\"selector\": {\"layer\": \"front_door\", \"region\": \"ap-south\"}}, " \
	"{\"name\": \"central\", \"objective\": 99.5, \"window\": \"1h\", " \
	"\"selector\": {\"layer\": \"central\"}}]"

/* Every fleet SLO from the API equals the raw rows it picks. */
static void
fleet_slos_match(const struct daemon *c)
{
	wait_evaluation(c);
	slo_matches(c, "front-door", "layer = 'front_door'");
	slo_matches(c, "front-door-ap", "layer = 'front_door' AND region = 'ap-south'");
	slo_matches(c, "central", "layer = 'central'");
}

/* The collector's /api/v1/agents shows every fleet agent (a) in its
 * region, caught up: its last seq, and nothing waiting in its outbox (its
 * last batch emptied it). */
static void
agents_caught_up(const struct daemon *c, const struct daemon a[FLEET_N])
{
	json_t *o = get_json(c, "/api/v1/agents"), *x;
	size_t i, seen = 0;

	json_array_foreach(json_object_get(o, "agents"), i, x) {
		const char *id = json_string_value(json_object_get(x, "id"));
		size_t k;

		for (k = 0; k < FLEET_N && strcmp(id, agent_ids[k]) != 0; k++)
			;
		req(k < FLEET_N, "/api/v1/agents: unknown agent %s", id);
		seen++;
		req(strcmp(json_string_value(json_object_get(x, "region")),
		    fleet_regions[k]) == 0, "/api/v1/agents: %s is not in %s", id,
		    fleet_regions[k]);
		req(json_integer_value(json_object_get(x, "last_seq")) ==
		    db_int(a[k].db, "SELECT max(seq) FROM results"), "/api/v1/agents: "
		    "%s's last_seq is %lld, its DB's last is %lld", id,
		    (long long)json_integer_value(json_object_get(x, "last_seq")),
		    (long long)db_int(a[k].db, "SELECT max(seq) FROM results"));
		req(json_integer_value(json_object_get(x, "outbox_depth")) == 0 &&
		    json_integer_value(json_object_get(x, "outbox_lag_ms")) == 0,
		    "/api/v1/agents: %s shipped everything, yet outbox_depth is %lld "
		    "and outbox_lag_ms %lld", id,
		    (long long)json_integer_value(json_object_get(x, "outbox_depth")),
		    (long long)json_integer_value(json_object_get(x, "outbox_lag_ms")));
	}
	req(seen == FLEET_N, "/api/v1/agents lists %zu agents, not %d", seen, FLEET_N);
	json_decref(o);
}

/* SIGKILL collector c the moment a batch has been stored: its answer, and
 * the batches sent back to back after it, may be on their way. */
static void
kill_on_commit(struct daemon *c)
{
	int64_t deadline = spawn_now_us() + SHIP_MS * 1000LL, first = -1, n = -1;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	req(sqlite3_open_v2(c->db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM results", -1, &st, NULL) ==
	    SQLITE_OK, "%s: %s", c->db, sqlite3_errmsg(db));
	/* no sleep between looks: the answer to that batch is on its way */
	while (spawn_now_us() < deadline) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (first < 0)
			first = n;
		else if (n > first)
			break;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	req(first >= 0 && n > first, "%s stored nothing in %d ms", c->name, SHIP_MS);
	kill_daemon(c);
}

/* (e) Three agents in three regions; the collector is killed (SIGKILL)
 * while batches flow and started again on its DB and port: every result
 * produced is stored exactly once, in the raw rows and in the rollups, and
 * the agents never stop probing meanwhile. */
START_TEST(test_collector_crash)
{
	struct daemon c, a[FLEET_N];
	struct outage o;
	struct drain w;
	char *url, *conf;

	daemon_init(&c, true, "collector");
	c.args[0] = "--evaluate-every";
	c.args[1] = "200ms";
	start_collector(&c, collector_config(&c, 0, FLEET_SLOS));
	url = url_of(&c, false);
	start_fleet(a, url);

	/* batches flow from every agent; kill the collector just after one
	 * landed, with more on the way */
	for (size_t i = 0; i < FLEET_N; i++)
		wait_count(c.db, 5, SHIP_MS, "SELECT count(*) FROM " CRES " WHERE agent = "
		    "'%s'", agent_ids[i]);
	kill_on_commit(&c);

	/* the outage: every agent keeps probing and its outbox grows */
	memset(&o, 0, sizeof(o));
	o.a = a;
	o.end_us = spawn_now_us() + OUTAGE_MS * 1000LL;
	for (size_t i = 0; i < FLEET_N; i++) {
		struct agent_stats st;

		req(agent_stats(&a[i], &st), "no /metrics from %s", a[i].name);
		o.depth[i] = st.depth;
		o.results[i] = st.results;
		o.rise_us[i] = spawn_now_us();
	}
	req(wait_until(outage_over, &o, OUTAGE_MS + 5000), "the outage never ended");
	for (size_t i = 0; i < FLEET_N; i++) {
		double d = metric(&a[i], "vantage_agent_outbox_depth");

		req(o.gap_us[i] < PROBE_GAP_MS * 1000LL, "%s produced no result for %lld "
		    "ms while the collector was down", a[i].name,
		    (long long)(o.gap_us[i] / 1000));
		req(d >= o.depth[i] + 5, "%s: %g results waited when the collector died, "
		    "%g after %d ms without it", a[i].name, o.depth[i], d, OUTAGE_MS);
		req(metric(&a[i], "vantage_agent_ship_errors_total{reason=\"connect\"}") >= 1,
		    "%s: no failed ship counted", a[i].name);
	}

	/* back on the same DB and port: the backlog drains */
	restart_collector(&c, collector_config(&c, c.port, FLEET_SLOS));
	memset(&w, 0, sizeof(w));
	w.a = a;
	if (!wait_until(drained, &w, DRAIN_MS))
		req(0, "the outboxes did not drain in %d ms (depths %g, %g, %g)", DRAIN_MS,
		    w.depth[0], w.depth[1], w.depth[2]);

	/* stop probing (a reload without checks) and let the last results go,
	 * so every result an agent made must be in the collector */
	for (size_t i = 0; i < FLEET_N; i++) {
		conf = fleet_agent_config(&a[i], i, url, NULL);
		req(spawn_write_file(a[i].conf, conf) == 0, "cannot write %s", a[i].conf);
		free(conf);
		req(spawn_signal(&a[i].proc, SIGHUP) == 0, "cannot signal %s", a[i].name);
	}
	req(wait_until(fleet_quiet, a, SHIP_MS), "the agents did not stop probing "
	    "and ship everything in %d ms", SHIP_MS);
	/* a crash between a batch's commit and its answer shows here; it
	 * cannot be forced, so this only says whether it happened */
	fprintf(stderr, "test_collector_crash: %g results sent again after the "
	    "restart\n", metric(&c, "vantage_ingest_results_total{result=\"duplicate\"}"));
	for (size_t i = 0; i < FLEET_N; i++)
		stop_daemon(&a[i]);

	for (size_t i = 0; i < FLEET_N; i++)
		same_seqs(&c, &a[i], agent_ids[i]);
	rollups_match(&c);
	agents_caught_up(&c, a);
	fleet_slos_match(&c);
	stop_daemon(&c);
	free(url);
}
END_TEST

/* (f) The SLO numbers the API serves for real agent traffic from three
 * regions are those of the raw rows: in all and per region. */
START_TEST(test_slo_numbers)
{
	struct daemon c, a[FLEET_N];
	char *url;

	daemon_init(&c, true, "collector");
	c.args[0] = "--evaluate-every";
	c.args[1] = "200ms";
	start_collector(&c, collector_config(&c, 0, FLEET_SLOS));
	url = url_of(&c, false);
	start_fleet(a, url);
	for (size_t i = 0; i < FLEET_N; i++) {
		wait_count(c.db, 1, SHIP_MS, "SELECT count(*) FROM " CRES " WHERE agent = "
		    "'%s' AND check_name = 'front-500'", agent_ids[i]);
		wait_count(c.db, 1, SHIP_MS, "SELECT count(*) FROM " CRES " WHERE agent = "
		    "'%s' AND check_name = 'central-ok'", agent_ids[i]);
	}
	for (size_t i = 0; i < FLEET_N; i++)
		stop_daemon(&a[i]);
	{
		char *q = fmt("SELECT count(*) FROM " CRES " WHERE layer = 'front_door' "
		    "AND ok = 0 AND error_class = %d", (int)ERRCLASS_HTTP_STATUS);

		req(db_int(c.db, q) > 0, "no failed front door runs");
		free(q);
	}
	fleet_slos_match(&c);
	rollups_match(&c);
	stop_daemon(&c);
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
	tcase_add_test(tc, test_collector_crash);
	tcase_add_test(tc, test_slo_numbers);
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
