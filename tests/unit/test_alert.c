/* Unit tests: web/alertconf.c, web/alert.c and deliver_backoff_ms. Each
 * test builds a collector DB through store_ingest with hand-made results
 * from agents in two or three regions, loads a collector config with an
 * `alerts` section, evaluates the rules at chosen times with alert_evaluate
 * and reads the incidents and deliveries tables. No thread, no network:
 * the deliverer is NULL, so deliveries stay queued. */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "alert.h"
#include "alertconf.h"
#include "cache.h"
#include "collconf.h"
#include "collector.h"
#include "conf.h"
#include "deliver.h"
#include "store.h"
#include "timeutil.h"

#define MIN_MS		60000LL
#define HOUR_MS		(60 * MIN_MS)
#define DAY_MS		(24 * HOUR_MS)

static char dir[64];
static char dbpath[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vantage-alert-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/c.db", dir);
}

static void
teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* ---- the test collector ---- */

/* The agents the config knows, with their regions. a-never never ships. */
static const struct {
	const char	*id, *region;
} agents[] = {
	{ "a-us", "us-east" }, { "a-eu", "eu-central" }, { "a-ap", "ap-south" },
	{ "a-us2", "us-east" }, { "a-never", "nowhere" },
};
#define NAGENTS	(sizeof(agents) / sizeof(agents[0]))

#define AGENTS_JSON "\"agents\": [" \
	"{\"id\": \"a-us\", \"key\": \"key-a-us-0123456789\"}, " \
	"{\"id\": \"a-eu\", \"key\": \"key-a-eu-0123456789\"}, " \
	"{\"id\": \"a-ap\", \"key\": \"key-a-ap-0123456789\"}, " \
	"{\"id\": \"a-us2\", \"key\": \"key-a-us2-0123456789\"}, " \
	"{\"id\": \"a-never\", \"key\": \"key-a-never-0123456789\"}]"

#define RECEIVERS_JSON "\"receivers\": [" \
	"{\"name\": \"r1\", \"type\": \"webhook\", \"url\": \"http://127.0.0.1:9/r1\"}, " \
	"{\"name\": \"r2\", \"type\": \"slack\", \"url\": \"http://127.0.0.1:9/r2\"}]"

#define SLOS_JSON "\"slos\": [" \
	"{\"name\": \"fd-avail\", \"objective\": 99, \"selector\": " \
	"{\"layer\": \"front_door\"}}]"

/* fd-down: the check_down rule most tests use. */
#define FD_DOWN "{\"name\": \"fd-down\", \"type\": \"check_down\", " \
	"\"selector\": {\"layer\": \"front_door\"}, \"receivers\": [\"r1\", \"r2\"]}"

struct env {
	struct confctx		 cx;
	struct collector	 col;
	struct alerter		*al;
	sqlite3			*q;		/* our own connection, for queries */
	int64_t			 seq[NAGENTS];
	int64_t			 now;		/* wall clock at env_open */
};

static char *
xfmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *
xfmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;
	int rc;

	va_start(ap, f);
	rc = vasprintf(&s, f, ap);
	va_end(ap);
	ck_assert_int_ge(rc, 0);
	return s;
}

/* Load a collector config with alerts {tick, receivers r1 and r2, rules,
 * maintenance (NULL: none)} on the test DB, open the store and the alerter.
 * The collector "started" an hour ago. */
static void
env_open(struct env *e, const char *rules, const char *maint)
{
	char err[512], *text;

	memset(e, 0, sizeof(*e));
	e->now = time_now_ms();
	text = xfmt("{\"db\": \"%s\", " AGENTS_JSON ", " SLOS_JSON ", \"alerts\": "
	    "{\"tick\": \"1s\", " RECEIVERS_JSON ", \"rules\": [%s]%s%s}}", dbpath,
	    rules, maint ? ", \"maintenance\": " : "", maint ? maint : "");
	e->col.conf = collconf_load_ctx(&e->cx, "t.json", text);
	ck_assert_msg(e->col.conf != NULL, "config: %s\n%s", e->cx.nerrs ?
	    e->cx.errs[0] : "?", text);
	free(text);
	e->col.st = store_open(dbpath, 2, err, sizeof(err));
	ck_assert_msg(e->col.st != NULL, "%s", err);
	e->col.started_ms = e->now - HOUR_MS;
	e->al = alert_new(&e->col, err, sizeof(err));
	ck_assert_msg(e->al != NULL, "%s", err);
	ck_assert_int_eq(sqlite3_open_v2(dbpath, &e->q, SQLITE_OPEN_READWRITE, NULL),
	    SQLITE_OK);
	sqlite3_busy_timeout(e->q, 5000);
}

static void
env_close(struct env *e)
{
	alert_free(e->al);
	sqlite3_close(e->q);
	store_close(e->col.st);
	collconf_free(e->col.conf);
	conf_ctx_free(&e->cx);
}

static size_t
agent_index(const char *id)
{
	for (size_t i = 0; i < NAGENTS; i++)
		if (strcmp(agents[i].id, id) == 0)
			return i;
	ck_abort_msg("unknown agent %s", id);
	return 0;
}

/* One result per character of pattern ('F' failed, 'O' passed) of check
 * (on layer, service "micro") from agent, the first at t0, then every step
 * ms, each taking total_us. body: the record's JSON (NULL: a minimal one
 * with the error for failures). */
static void
feed_body(struct env *e, const char *agent, const char *check, const char *layer,
    const char *pattern, int64_t t0, int64_t step, int64_t total_us,
    const char *body)
{
	size_t ai = agent_index(agent), n = strlen(pattern);
	struct agent_report rep = { agent, agents[ai].region, "test", "0.1.0", 0, 0 };
	struct ingest_row *rows = calloc(n, sizeof(*rows));
	static const char fail_body[] = "{\"error_class\": \"timeout\", "
	    "\"error\": \"timed out after 10000 ms\"}";
	char err[256];

	ck_assert_ptr_nonnull(rows);
	for (size_t i = 0; i < n; i++) {
		struct ingest_row *r = &rows[i];

		r->seq = ++e->seq[ai];
		r->ts = t0 + (int64_t)i * step;
		r->check = check;
		r->kind = "http";
		r->service = "micro";
		r->layer = layer;
		r->provider = "test";
		r->ok = pattern[i] == 'O';
		r->error_class = r->ok ? ERRCLASS_NONE : ERRCLASS_TIMEOUT;
		r->total_us = total_us;
		r->body = body ? body : r->ok ? "{}" : fail_body;
		r->body_len = strlen(r->body);
	}
	ck_assert_msg(store_ingest(e->col.st, &rep, rows, n, 5000, err,
	    sizeof(err)) == 0, "ingest: %s", err);
	free(rows);
}

/* feed_body for a health check: results a second apart ending just before
 * e->now, 50 ms each. */
static void
feed(struct env *e, const char *agent, const char *check, const char *layer,
    const char *pattern)
{
	int64_t n = (int64_t)strlen(pattern);

	feed_body(e, agent, check, layer, pattern, e->now - n * 1000, 1000, 50000,
	    NULL);
}

/* Evaluate the rules at now; the number of transitions. */
static int
eval(struct env *e, int64_t now)
{
	char err[512];
	int n = alert_evaluate(e->al, now, err, sizeof(err));

	ck_assert_msg(n >= 0, "alert_evaluate: %s", err);
	return n;
}

static int64_t
qint(struct env *e, const char *f, ...) __attribute__((format(printf, 2, 3)));

/* One integer from a query (made from f); -1 when there is no row. */
static int64_t
qint(struct env *e, const char *f, ...)
{
	va_list ap;
	char *sql = NULL;
	sqlite3_stmt *st;
	int64_t v = -1;
	int rc;

	va_start(ap, f);
	rc = vasprintf(&sql, f, ap);
	va_end(ap);
	ck_assert_int_ge(rc, 0);
	ck_assert_msg(sqlite3_prepare_v2(e->q, sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(e->q));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	free(sql);
	return v;
}

static char *
qtext(struct env *e, const char *f, ...) __attribute__((format(printf, 2, 3)));

/* One string from a query (caller frees); "(null)" for NULL or no row. */
static char *
qtext(struct env *e, const char *f, ...)
{
	va_list ap;
	char *sql = NULL, *out;
	sqlite3_stmt *st;
	int rc;

	va_start(ap, f);
	rc = vasprintf(&sql, f, ap);
	va_end(ap);
	ck_assert_int_ge(rc, 0);
	ck_assert_msg(sqlite3_prepare_v2(e->q, sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(e->q));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		out = strdup((const char *)sqlite3_column_text(st, 0));
	else
		out = strdup("(null)");
	sqlite3_finalize(st);
	free(sql);
	ck_assert_ptr_nonnull(out);
	return out;
}

#define ck_text_eq(e, want, ...) do {					\
	char *got_ = qtext(e, __VA_ARGS__);				\
	ck_assert_msg(strcmp(got_, want) == 0, "%s: got \"%s\", want \"%s\"", \
	    #__VA_ARGS__, got_, want);					\
	free(got_);							\
} while (0)

#define ck_text_has(e, want, ...) do {					\
	char *got_ = qtext(e, __VA_ARGS__);				\
	ck_assert_msg(strstr(got_, want) != NULL, "%s: got \"%s\", want it to " \
	    "contain \"%s\"", #__VA_ARGS__, got_, want);		\
	free(got_);							\
} while (0)

/* Every receiver of fd-down (r1, r2) has exactly one delivery of each
 * event in events (comma-separated, e.g. "trigger,resolve") and no other. */
static void
one_each(struct env *e, int64_t incident, const char *events)
{
	const char *rcv[] = { "r1", "r2" };
	int64_t n = 1;

	for (const char *p = events; *p; p++)
		n += *p == ',';
	for (size_t i = 0; i < 2; i++) {
		ck_assert_int_eq(qint(e, "SELECT count(*) FROM deliveries WHERE "
		    "incident_id = %lld AND receiver = '%s'", (long long)incident,
		    rcv[i]), n);
		ck_assert_int_eq(qint(e, "SELECT count(DISTINCT event) FROM deliveries "
		    "WHERE incident_id = %lld AND receiver = '%s' AND instr(',%s,', ',' "
		    "|| event || ',') > 0", (long long)incident, rcv[i], events), n);
	}
}

/* ---- check_down ---- */

/* Two regions of three each see three failures in a row: one incident,
 * with those two regions, one trigger per receiver; evaluating again with
 * the same data changes nothing. */
START_TEST(test_check_down_two_of_three)
{
	struct env e;

	env_open(&e, FD_DOWN, NULL);
	feed(&e, "a-us", "fd", "front_door", "OOFFF");
	feed(&e, "a-eu", "fd", "front_door", "OFFF");
	feed(&e, "a-ap", "fd", "front_door", "OOOO");
	ck_assert_int_eq(eval(&e, e.now), 1);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM incidents"), 1);
	ck_text_eq(&e, "open", "SELECT status FROM incidents");
	ck_text_eq(&e, "fd", "SELECT target FROM incidents");
	ck_text_eq(&e, "page", "SELECT severity FROM incidents");
	ck_text_eq(&e, "check_down", "SELECT rule_type FROM incidents");
	ck_text_eq(&e, "[\"eu-central\",\"us-east\"]", "SELECT regions FROM incidents");
	ck_text_eq(&e, "fd failing in 2 regions", "SELECT title FROM incidents");
	ck_text_has(&e, "us-east: 3 failures in a row, last: timeout: timed out",
	    "SELECT summary FROM incidents");
	one_each(&e, 1, "trigger");
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries WHERE status = "
	    "'pending' AND seq = 1 AND attempts = 0"), 2);
	ck_text_eq(&e, "inc-1", "SELECT json_extract(payload, '$.incident_id') FROM "
	    "deliveries WHERE receiver = 'r1'");
	ck_text_eq(&e, "trigger", "SELECT json_extract(payload, '$.event') FROM "
	    "deliveries WHERE receiver = 'r2'");
	ck_text_eq(&e, "fd", "SELECT json_extract(payload, '$.check') FROM "
	    "deliveries WHERE receiver = 'r2'");
	/* what the receivers see of the regions */
	ck_text_eq(&e, "eu-central, us-east", "SELECT json_extract(payload, "
	    "'$.details.regions') FROM deliveries WHERE receiver = 'r1'");
	ck_assert_int_eq(qint(&e, "SELECT json_extract(payload, "
	    "'$.details.consecutive_failures') FROM deliveries WHERE receiver = 'r1'"), 3);
	ck_assert_int_eq(qint(&e, "SELECT substr(summary, -1) = char(10) FROM "
	    "incidents"), 0);

	/* idempotent ticks: the same data, later, makes no new transition */
	ck_assert_int_eq(eval(&e, e.now), 0);
	ck_assert_int_eq(eval(&e, e.now + 5000), 0);
	/* still failing: still nothing new */
	feed(&e, "a-us", "fd", "front_door", "F");
	ck_assert_int_eq(eval(&e, e.now + 10000), 0);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries"), 2);
	ck_assert_int_eq(qint(&e, "SELECT transitions FROM incidents"), 1);
	env_close(&e);
}
END_TEST

/* One agent's bad network: one region of three failing pages no one, however
 * long it fails; two failures in a second region are not three. */
START_TEST(test_check_down_one_region)
{
	struct env e;

	env_open(&e, FD_DOWN, NULL);
	feed(&e, "a-us", "fd", "front_door", "FFFFFFFFFF");
	feed(&e, "a-eu", "fd", "front_door", "OOOOO");
	feed(&e, "a-ap", "fd", "front_door", "OOOOO");
	ck_assert_int_eq(eval(&e, e.now), 0);
	feed(&e, "a-eu", "fd", "front_door", "FF");
	ck_assert_int_eq(eval(&e, e.now), 0);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM incidents"), 0);
	/* a second agent in the same region does not make it two regions */
	feed(&e, "a-us2", "fd", "front_door", "FFFF");
	ck_assert_int_eq(eval(&e, e.now), 0);
	/* the third failure in eu-central does */
	feed(&e, "a-eu", "fd", "front_door", "F");
	ck_assert_int_eq(eval(&e, e.now), 1);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries"), 2);
	env_close(&e);
}
END_TEST

/* Flapping input (fail, pass, fail, pass...) in every region never fires
 * a consecutive-failures rule, tick after tick. */
START_TEST(test_check_down_flapping)
{
	struct env e;

	env_open(&e, FD_DOWN, NULL);
	for (int i = 0; i < 12; i++) {
		const char *p = i % 2 ? "O" : "F";

		feed_body(&e, "a-us", "fd", "front_door", p, e.now + i * 1000, 1000,
		    50000, NULL);
		feed_body(&e, "a-eu", "fd", "front_door", p, e.now + i * 1000, 1000,
		    50000, NULL);
		feed_body(&e, "a-ap", "fd", "front_door", p, e.now + i * 1000, 1000,
		    50000, NULL);
		ck_assert_int_eq(eval(&e, e.now + i * 1000 + 500), 0);
		ck_assert_int_eq(qint(&e, "SELECT max(fail_streak) FROM latest"),
		    i % 2 ? 0 : 1);
	}
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM incidents"), 0);
	env_close(&e);
}
END_TEST

/* failures_in_window: flapping that fails often enough fires without any
 * run of consecutive failures; the incident resolves once the window no
 * longer holds that many failures and the regions pass again. */
START_TEST(test_check_down_failures_in_window)
{
	struct env e;

	env_open(&e, "{\"name\": \"fd-flaky\", \"type\": \"check_down\", "
	    "\"selector\": {\"layer\": \"front_door\"}, \"failures\": 10, "
	    "\"failures_in_window\": {\"failures\": 3, \"window\": \"10m\"}, "
	    "\"receivers\": [\"r1\"]}", NULL);
	feed(&e, "a-us", "fd", "front_door", "FOFO");
	feed(&e, "a-eu", "fd", "front_door", "FOFO");
	feed(&e, "a-ap", "fd", "front_door", "OOOO");
	ck_assert_int_eq(eval(&e, e.now), 0);	/* two failures each: not yet */
	feed(&e, "a-us", "fd", "front_door", "F");
	ck_assert_int_eq(eval(&e, e.now), 0);	/* one region: not yet */
	feed(&e, "a-eu", "fd", "front_door", "FO");
	ck_assert_int_eq(eval(&e, e.now), 1);
	ck_assert_int_eq(qint(&e, "SELECT max(fail_streak) FROM latest"), 1);
	ck_text_eq(&e, "[\"eu-central\",\"us-east\"]", "SELECT regions FROM incidents");
	ck_text_has(&e, "us-east: 3 failures in 10m (1 in a row), last: timeout",
	    "SELECT summary FROM incidents");
	ck_text_has(&e, "eu-central: 3 failures in 10m (0 in a row)",
	    "SELECT summary FROM incidents");
	/* passing again, but the window still holds three failures */
	feed(&e, "a-us", "fd", "front_door", "OOO");
	feed(&e, "a-eu", "fd", "front_door", "OOO");
	ck_assert_int_eq(eval(&e, e.now + MIN_MS), 0);
	/* the failures have left the window */
	ck_assert_int_eq(eval(&e, e.now + 12 * MIN_MS), 1);
	ck_text_eq(&e, "resolved", "SELECT status FROM incidents");
	ck_assert_int_eq(eval(&e, e.now + 13 * MIN_MS), 0);
	env_close(&e);
}
END_TEST

/* A resolve needs `successes` good results in a row in each region of the
 * incident; a region outside it failing does not hold it open. Exactly one
 * trigger and one resolve per receiver. */
START_TEST(test_check_down_resolve)
{
	struct env e;
	int64_t t = 0;

	env_open(&e, FD_DOWN, NULL);
	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-eu", "fd", "front_door", "FFF");
	feed(&e, "a-ap", "fd", "front_door", "OOO");
	ck_assert_int_eq(eval(&e, e.now), 1);
	t = qint(&e, "SELECT started_at FROM incidents");
	ck_assert_int_eq(t, e.now);

	feed(&e, "a-ap", "fd", "front_door", "FFFF");	/* not one of the incident's */
	feed(&e, "a-us", "fd", "front_door", "OO");
	feed(&e, "a-eu", "fd", "front_door", "O");
	ck_assert_int_eq(eval(&e, e.now + 1000), 0);	/* eu-central: one pass only */
	ck_text_eq(&e, "open", "SELECT status FROM incidents");
	feed(&e, "a-eu", "fd", "front_door", "O");
	ck_assert_int_eq(eval(&e, e.now + 2000), 1);
	ck_text_eq(&e, "resolved", "SELECT status FROM incidents");
	ck_assert_int_eq(qint(&e, "SELECT resolved_at FROM incidents"), e.now + 2000);
	ck_assert_int_eq(qint(&e, "SELECT transitions FROM incidents"), 2);
	one_each(&e, 1, "trigger,resolve");
	ck_text_eq(&e, "resolve", "SELECT json_extract(payload, '$.event') FROM "
	    "deliveries WHERE seq = 2 AND receiver = 'r1'");
	ck_assert_int_eq(qint(&e, "SELECT json_extract(payload, '$.resolved_at') FROM "
	    "deliveries WHERE seq = 2 AND receiver = 'r1'"), e.now + 2000);
	/* a resolve speaks of what was wrong */
	ck_text_eq(&e, "fd failing in 2 regions", "SELECT json_extract(payload, "
	    "'$.title') FROM deliveries WHERE seq = 2 AND receiver = 'r2'");
	ck_text_has(&e, "resolved after 2s", "SELECT json_extract(payload, "
	    "'$.summary') FROM deliveries WHERE seq = 2 AND receiver = 'r2'");

	/* ap-south alone is one region: no new incident, tick after tick */
	ck_assert_int_eq(eval(&e, e.now + 3000), 0);
	ck_assert_int_eq(eval(&e, e.now + 4000), 0);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM incidents"), 1);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries"), 4);

	/* failing again later is a new incident with its own id */
	feed(&e, "a-us", "fd", "front_door", "FFF");
	ck_assert_int_eq(eval(&e, e.now + 5000), 1);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM incidents WHERE status = "
	    "'open'"), 1);
	ck_assert_int_eq(qint(&e, "SELECT id FROM incidents WHERE status = 'open'"), 2);
	one_each(&e, 2, "trigger");
	env_close(&e);
}
END_TEST

/* The alerter's state is the DB: a new alerter (a restart) on it sends
 * nothing again, and still resolves the open incident once. */
START_TEST(test_restart_no_renotify)
{
	struct env e;
	char err[256];

	env_open(&e, FD_DOWN, NULL);
	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-eu", "fd", "front_door", "FFF");
	ck_assert_int_eq(eval(&e, e.now), 1);
	alert_free(e.al);
	e.al = alert_new(&e.col, err, sizeof(err));
	ck_assert_msg(e.al != NULL, "%s", err);
	ck_assert_int_eq(eval(&e, e.now + 1000), 0);
	ck_assert_int_eq(eval(&e, e.now + 2000), 0);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries"), 2);
	feed(&e, "a-us", "fd", "front_door", "OO");
	feed(&e, "a-eu", "fd", "front_door", "OO");
	ck_assert_int_eq(eval(&e, e.now + 3000), 1);
	one_each(&e, 1, "trigger,resolve");
	env_close(&e);
}
END_TEST

/* A rule removed (or renamed) while its incident is open: the incident
 * resolves, and the receivers that got its trigger get the resolve. */
START_TEST(test_rule_removed)
{
	struct env e;

	env_open(&e, FD_DOWN, NULL);
	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-eu", "fd", "front_door", "FFF");
	ck_assert_int_eq(eval(&e, e.now), 1);
	env_close(&e);
	env_open(&e, "{\"name\": \"front-door-down\", \"type\": \"check_down\", "
	    "\"selector\": {\"layer\": \"edge\"}, \"receivers\": [\"r1\"]}", NULL);
	ck_assert_int_eq(eval(&e, e.now + 1000), 1);
	ck_text_eq(&e, "resolved", "SELECT status FROM incidents WHERE id = 1");
	one_each(&e, 1, "trigger,resolve");
	ck_text_has(&e, "rule fd-down is no longer configured", "SELECT "
	    "json_extract(payload, '$.summary') FROM deliveries WHERE seq = 2 AND "
	    "receiver = 'r2'");
	ck_assert_int_eq(qint(&e, "SELECT json_extract(payload, '$.resolved_at') FROM "
	    "deliveries WHERE seq = 2 AND receiver = 'r1'"), e.now + 1000);
	ck_assert_int_eq(eval(&e, e.now + 2000), 0);
	env_close(&e);
}
END_TEST

/* ---- burn_rate ---- */

/* Half of the front door's runs fail over ten minutes: the 1h/5m page
 * pair fires. 45 minutes later the short windows are clean, the 2h/1d
 * ticket pair still fires: one "update" to ticket. Four days later every
 * window is clean: resolved. One notification per transition. */
START_TEST(test_burn_rate)
{
	struct env e;
	char pattern[61];
	int64_t t;

	env_open(&e, "{\"name\": \"fd-burn\", \"type\": \"burn_rate\", \"slo\": "
	    "\"fd-avail\", \"receivers\": [\"r1\"]}", NULL);
	for (int i = 0; i < 60; i++)
		pattern[i] = i % 2 ? 'O' : 'F';
	pattern[60] = '\0';
	t = e.now - e.now % MIN_MS;
	feed_body(&e, "a-us", "fd", "front_door", pattern, t - 10 * MIN_MS, 10000,
	    50000, NULL);
	ck_assert_int_eq(eval(&e, t), 1);
	ck_text_eq(&e, "page", "SELECT severity FROM incidents");
	ck_text_eq(&e, "burn_rate", "SELECT rule_type FROM incidents");
	ck_text_eq(&e, "fd-avail", "SELECT slo FROM incidents");
	ck_text_eq(&e, "", "SELECT target FROM incidents");
	ck_text_eq(&e, "SLO fd-avail is burning its error budget (page)",
	    "SELECT title FROM incidents");
	ck_text_has(&e, "page 1h/5m: burn 50.00 / 50.00 (threshold 14.4)  FIRING",
	    "SELECT summary FROM incidents");
	ck_assert_int_eq(qint(&e, "SELECT round(json_extract(payload, "
	    "'$.details.\"1h\"')) FROM deliveries"), 50);
	ck_assert_int_eq(eval(&e, t + MIN_MS), 0);

	ck_assert_int_eq(eval(&e, t + 45 * MIN_MS), 1);
	ck_text_eq(&e, "ticket", "SELECT severity FROM incidents");
	ck_text_eq(&e, "open", "SELECT status FROM incidents");
	ck_text_eq(&e, "update", "SELECT event FROM deliveries WHERE seq = 2");
	ck_text_eq(&e, "ticket", "SELECT json_extract(payload, '$.severity') FROM "
	    "deliveries WHERE seq = 2");
	ck_assert_int_eq(eval(&e, t + 46 * MIN_MS), 0);

	ck_assert_int_eq(eval(&e, t + 4 * DAY_MS), 1);
	ck_text_eq(&e, "resolved", "SELECT status FROM incidents");
	ck_text_eq(&e, "resolve", "SELECT event FROM deliveries WHERE seq = 3");
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries"), 3);
	ck_assert_int_eq(eval(&e, t + 4 * DAY_MS + MIN_MS), 0);
	env_close(&e);
}
END_TEST

/* A few failures among many passes stay under every threshold. */
START_TEST(test_burn_rate_quiet)
{
	struct env e;
	char pattern[121];
	int64_t t;

	env_open(&e, "{\"name\": \"fd-burn\", \"type\": \"burn_rate\", \"slo\": "
	    "\"fd-avail\", \"receivers\": [\"r1\"]}", NULL);
	memset(pattern, 'O', 120);
	pattern[120] = '\0';
	pattern[7] = 'F';	/* 1 in 120: burn 0.83 */
	t = e.now - e.now % MIN_MS;
	feed_body(&e, "a-us", "fd", "front_door", pattern, t - 20 * MIN_MS, 10000,
	    50000, NULL);
	ck_assert_int_eq(eval(&e, t), 0);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM incidents"), 0);
	env_close(&e);
}
END_TEST

/* ---- cert_expiry ---- */

START_TEST(test_cert_expiry)
{
	struct env e;
	char soon[128], later[128], renewed[128];
	int64_t s;

	env_open(&e, "{\"name\": \"certs\", \"type\": \"cert_expiry\", \"days\": 14, "
	    "\"receivers\": [\"r1\", \"r2\"]}", NULL);
	s = e.now / 1000;
	snprintf(soon, sizeof(soon), "{\"cert_not_after\": %lld}",
	    (long long)(s + 5 * 86400));
	snprintf(later, sizeof(later), "{\"cert_not_after\": %lld}",
	    (long long)(s + 60 * 86400));
	snprintf(renewed, sizeof(renewed), "{\"cert_not_after\": %lld}",
	    (long long)(s + 90 * 86400));
	/* tls-a: one region sees the old certificate (the earliest counts) */
	feed_body(&e, "a-us", "tls-a", "front_door", "O", e.now - 1000, 1000, 50000, soon);
	feed_body(&e, "a-eu", "tls-a", "front_door", "O", e.now - 1000, 1000, 50000, later);
	feed_body(&e, "a-us", "tls-b", "edge", "O", e.now - 1000, 1000, 50000, later);
	feed_body(&e, "a-us", "no-tls", "central", "O", e.now - 1000, 1000, 50000,
	    "{\"cert_not_after\": null}");
	ck_assert_int_eq(eval(&e, e.now), 1);
	ck_text_eq(&e, "tls-a", "SELECT target FROM incidents");
	ck_text_eq(&e, "ticket", "SELECT severity FROM incidents");
	ck_text_has(&e, "certificate of tls-a expires in 4 days", "SELECT title FROM "
	    "incidents");
	ck_assert_int_eq(qint(&e, "SELECT json_extract(payload, '$.details.days_left') "
	    "FROM deliveries WHERE receiver = 'r1'"), 4);
	one_each(&e, 1, "trigger");
	ck_assert_int_eq(eval(&e, e.now + 1000), 0);
	/* renewed */
	feed_body(&e, "a-us", "tls-a", "front_door", "O", e.now, 1000, 50000, renewed);
	ck_assert_int_eq(eval(&e, e.now + 2000), 1);
	ck_text_eq(&e, "resolved", "SELECT status FROM incidents");
	one_each(&e, 1, "trigger,resolve");
	env_close(&e);
}
END_TEST

/* ---- agent_silent ---- */

START_TEST(test_agent_silent)
{
	struct env e;
	int64_t r;

	env_open(&e, "{\"name\": \"silent\", \"type\": \"agent_silent\", \"after\": "
	    "\"5m\", \"receivers\": [\"r1\"]}", NULL);
	feed(&e, "a-us", "fd", "front_door", "O");
	feed(&e, "a-eu", "fd", "front_door", "O");
	feed(&e, "a-ap", "fd", "front_door", "O");
	feed(&e, "a-us2", "fd", "front_door", "O");
	r = qint(&e, "SELECT max(last_seen) FROM agents");
	ck_assert_int_ge(r, e.now);
	e.col.started_ms = r;

	/* a minute later: everyone shipped lately; a-never has not had 5m */
	ck_assert_int_eq(eval(&e, r + MIN_MS), 0);

	/* ten minutes later a-us has been silent since; the others shipped at 9m */
	ck_assert_int_eq(sqlite3_exec(e.q, "UPDATE agents SET last_seen = last_seen + "
	    "540000 WHERE id != 'a-us'", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(eval(&e, r + 10 * MIN_MS), 2);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM incidents WHERE target = "
	    "'a-us' AND agent = 'a-us' AND status = 'open'"), 1);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM incidents WHERE target = "
	    "'a-never' AND status = 'open'"), 1);
	ck_text_has(&e, "agent a-us (us-east) silent for 10m", "SELECT title FROM "
	    "incidents WHERE target = 'a-us'");
	ck_text_has(&e, "agent a-never has not shipped since the collector started",
	    "SELECT title FROM incidents WHERE target = 'a-never'");
	ck_text_eq(&e, "ticket", "SELECT severity FROM incidents WHERE target = 'a-us'");
	ck_text_eq(&e, "never", "SELECT json_extract(payload, '$.details.last_seen') "
	    "FROM deliveries d JOIN incidents i ON i.id = d.incident_id WHERE "
	    "i.target = 'a-never'");
	ck_assert_int_eq(eval(&e, r + 10 * MIN_MS + 1000), 0);

	/* a-us ships again */
	ck_assert_int_eq(sqlite3_exec(e.q, "UPDATE agents SET last_seen = last_seen + "
	    "660000 WHERE id = 'a-us'", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(eval(&e, r + 12 * MIN_MS), 1);
	ck_text_eq(&e, "resolved", "SELECT status FROM incidents WHERE target = 'a-us'");
	ck_text_eq(&e, "open", "SELECT status FROM incidents WHERE target = 'a-never'");
	env_close(&e);
}
END_TEST

/* A collector back after a long stop does not call every agent silent:
 * they could not ship to it; the silence counts from its start. */
START_TEST(test_agent_silent_after_restart)
{
	struct env e;
	int64_t r;

	env_open(&e, "{\"name\": \"silent\", \"type\": \"agent_silent\", \"after\": "
	    "\"5m\", \"agents\": [\"a-us\"], \"receivers\": [\"r1\"]}", NULL);
	feed(&e, "a-us", "fd", "front_door", "O");
	r = qint(&e, "SELECT last_seen FROM agents WHERE id = 'a-us'");
	/* down for 20 minutes, up again for one */
	e.col.started_ms = r + 20 * MIN_MS;
	ck_assert_int_eq(eval(&e, r + 21 * MIN_MS), 0);
	/* still nothing 5 minutes after the start: silent now */
	ck_assert_int_eq(eval(&e, r + 25 * MIN_MS + 1000), 1);
	env_close(&e);
}
END_TEST

/* agents: only the listed agents are watched. */
START_TEST(test_agent_silent_list)
{
	struct env e;

	env_open(&e, "{\"name\": \"silent\", \"type\": \"agent_silent\", \"after\": "
	    "\"1m\", \"agents\": [\"a-eu\"], \"receivers\": [\"r1\"]}", NULL);
	e.col.started_ms = e.now - DAY_MS;
	ck_assert_int_eq(eval(&e, e.now), 1);
	ck_text_eq(&e, "a-eu", "SELECT target FROM incidents");
	env_close(&e);
}
END_TEST

/* ---- latency ---- */

START_TEST(test_latency)
{
	struct env e;
	int64_t t;

	env_open(&e, "{\"name\": \"slow\", \"type\": \"latency\", \"selector\": "
	    "{\"check\": \"api\"}, \"percentile\": 95, \"window\": \"10m\", "
	    "\"threshold\": \"500ms\", \"min_results\": 10, \"receivers\": [\"r1\"]}",
	    NULL);
	t = e.now;
	/* nine slow runs: too few to judge; failures do not count */
	feed_body(&e, "a-us", "api", "central", "OOOOOOOOO", t - 5 * MIN_MS, 10000,
	    900000, NULL);
	feed_body(&e, "a-eu", "api", "central", "FFFFF", t - 5 * MIN_MS, 10000,
	    900000, NULL);
	/* other checks do not count either */
	feed_body(&e, "a-eu", "other", "central", "OOOOOOOOOOOO", t - 5 * MIN_MS,
	    10000, 900000, NULL);
	ck_assert_int_eq(eval(&e, t), 0);
	feed_body(&e, "a-eu", "api", "central", "O", t - MIN_MS, 1000, 900000, NULL);
	ck_assert_int_eq(eval(&e, t), 1);
	ck_text_eq(&e, "ticket", "SELECT severity FROM incidents");
	ck_text_has(&e, "p95 latency 9", "SELECT title FROM incidents");
	ck_text_has(&e, "(threshold 500 ms)", "SELECT title FROM incidents");
	ck_assert_int_eq(qint(&e, "SELECT abs(json_extract(payload, '$.details.value_ms') "
	    "- 900) < 9 FROM deliveries"), 1);
	ck_assert_int_eq(qint(&e, "SELECT json_extract(payload, '$.details.results') "
	    "FROM deliveries"), 10);
	ck_assert_int_eq(eval(&e, t + 1000), 0);
	/* twenty fast runs later, the slow ones out of the window */
	feed_body(&e, "a-us", "api", "central", "OOOOOOOOOOOOOOOOOOOO", t + 11 * MIN_MS,
	    20000, 100000, NULL);
	ck_assert_int_eq(eval(&e, t + 20 * MIN_MS), 1);
	ck_text_eq(&e, "resolved", "SELECT status FROM incidents");
	env_close(&e);
}
END_TEST

/* At the threshold is not over it. */
START_TEST(test_latency_under)
{
	struct env e;

	env_open(&e, "{\"name\": \"slow\", \"type\": \"latency\", \"selector\": "
	    "{\"check\": \"api\"}, \"threshold\": \"500ms\", \"receivers\": [\"r1\"]}",
	    NULL);
	feed_body(&e, "a-us", "api", "central", "OOOOOOOOOOOOOOOOOOOO",
	    e.now - 5 * MIN_MS, 10000, 400000, NULL);
	ck_assert_int_eq(eval(&e, e.now), 0);
	env_close(&e);
}
END_TEST

/* ---- cache_hit_drop ---- */

/* One http result per character of pattern ('H' a cache hit, 'M' a miss,
 * 'U' unknown) of front-door check from agent, from t0 every step ms. */
static void
feed_cache(struct env *e, const char *agent, const char *check,
    const char *pattern, int64_t t0, int64_t step)
{
	size_t ai = agent_index(agent), n = strlen(pattern);
	struct agent_report rep = { agent, agents[ai].region, "test", "0.1.0", 0, 0 };
	struct ingest_row *rows = calloc(n, sizeof(*rows));
	char err[256];

	ck_assert_ptr_nonnull(rows);
	for (size_t i = 0; i < n; i++) {
		struct ingest_row *r = &rows[i];

		r->seq = ++e->seq[ai];
		r->ts = t0 + (int64_t)i * step;
		r->check = check;
		r->kind = "http";
		r->service = "micro";
		r->layer = "front_door";
		r->provider = "test";
		r->ok = true;
		r->total_us = 50000;
		r->has_cache = true;
		r->cache = pattern[i] == 'H' ? CACHE_HIT : pattern[i] == 'M' ?
		    CACHE_MISS : CACHE_UNKNOWN;
		r->body = "{}";
		r->body_len = 2;
	}
	ck_assert_msg(store_ingest(e->col.st, &rep, rows, n, 5000, err,
	    sizeof(err)) == 0, "ingest: %s", err);
	free(rows);
}

/* Threshold: one region under it is not enough; two are; cached answers
 * later (the misses out of the window) resolve. */
START_TEST(test_cache_hit_drop_threshold)
{
	struct env e;
	int64_t t;

	env_open(&e, "{\"name\": \"fd-cache\", \"type\": \"cache_hit_drop\", "
	    "\"selector\": {\"layer\": \"front_door\"}, \"window\": \"10m\", "
	    "\"threshold\": 0.5, \"min_lookups\": 5, \"receivers\": [\"r1\"]}", NULL);
	t = e.now;
	feed_cache(&e, "a-us", "fd", "HHHHHHHHHH", t - 8 * MIN_MS, 1000);
	feed_cache(&e, "a-eu", "fd", "HHHHHHHHHH", t - 8 * MIN_MS, 1000);
	ck_assert_int_eq(eval(&e, t), 0);
	feed_cache(&e, "a-us", "fd", "MMMMMMMMMMMUUUU", t - 5 * MIN_MS, 1000);
	ck_assert_int_eq(eval(&e, t), 0);	/* one region */
	/* too few lookups in a third region do not matter either way */
	feed_cache(&e, "a-ap", "fd", "MM", t - 5 * MIN_MS, 1000);
	ck_assert_int_eq(eval(&e, t), 0);
	feed_cache(&e, "a-eu", "fd", "MMMMMMMMMMMM", t - 5 * MIN_MS, 1000);
	ck_assert_int_eq(eval(&e, t), 1);
	ck_text_eq(&e, "ticket", "SELECT severity FROM incidents");
	ck_text_eq(&e, "fd", "SELECT target FROM incidents");
	ck_text_has(&e, "cache-hit ratio dropped in 2 regions",
	    "SELECT title FROM incidents");
	ck_text_has(&e, "us-east: 10/21 hits (48%) over 10m - dropped",
	    "SELECT summary FROM incidents");
	ck_text_has(&e, "eu-central: 10/22 hits (45%)", "SELECT summary FROM incidents");
	ck_text_eq(&e, "[\"eu-central\",\"us-east\"]", "SELECT regions FROM incidents");
	ck_assert_int_eq(eval(&e, t + 1000), 0);
	feed_cache(&e, "a-us", "fd", "HHHHHHHHHH", t + 11 * MIN_MS, 1000);
	feed_cache(&e, "a-eu", "fd", "HHHHHHHHHH", t + 11 * MIN_MS, 1000);
	ck_assert_int_eq(eval(&e, t + 15 * MIN_MS), 1);
	ck_text_eq(&e, "resolved", "SELECT status FROM incidents");
	env_close(&e);
}
END_TEST

/* Baseline: the last hour under half of the day's ratio, in two regions;
 * results without a cache status (other kinds) are never judged. */
START_TEST(test_cache_hit_drop_baseline)
{
	struct env e;
	int64_t t;

	env_open(&e, "{\"name\": \"fd-cache\", \"type\": \"cache_hit_drop\", "
	    "\"selector\": {\"layer\": \"front_door\"}, \"window\": \"1h\", "
	    "\"baseline\": {\"window\": \"1d\", \"fraction\": 0.5}, "
	    "\"min_lookups\": 5, \"severity\": \"page\", \"receivers\": [\"r1\"]}",
	    NULL);
	t = e.now;
	feed(&e, "a-us", "no-cache", "front_door", "OOOOOOOOOO");
	feed(&e, "a-eu", "no-cache", "front_door", "OOOOOOOOOO");
	for (size_t i = 0; i < 2; i++) {
		const char *a = i ? "a-eu" : "a-us";
		feed_cache(&e, a, "fd", "HHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHH",
		    t - 5 * HOUR_MS, 60000);
		/* the hour: 5/10 = 0.5, not under half the day's 45/50 */
		feed_cache(&e, a, "fd", "HHHHHMMMMM", t - 30 * MIN_MS, 60000);
	}
	ck_assert_int_eq(eval(&e, t), 0);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM incidents"), 0);
	for (size_t i = 0; i < 2; i++)
		feed_cache(&e, i ? "a-eu" : "a-us", "fd", "MMMMM", t - 10 * MIN_MS, 60000);
	/* hour: 5/15 = 0.33 < 0.5 x day 45/55 = 0.41 */
	ck_assert_int_eq(eval(&e, t), 1);
	ck_text_eq(&e, "page", "SELECT severity FROM incidents");
	ck_text_has(&e, "5/15 hits (33%) over 1h, 82% over 1d - dropped",
	    "SELECT summary FROM incidents");
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM incidents WHERE target = "
	    "'no-cache'"), 0);
	env_close(&e);
}
END_TEST

/* ---- maintenance ---- */

/* RFC 3339 of Unix ms: "Z", or with a +HH:MM offset when off_min > 0. */
static char *
rfc3339(int64_t ms, int off_min, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000) + off_min * 60;
	struct tm tm;
	char tmp[32];

	gmtime_r(&t, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	if (off_min > 0)
		snprintf(out, len, "%s+%02d:%02d", tmp, off_min / 60, off_min % 60);
	else
		snprintf(out, len, "%sZ", tmp);
	return out;
}

/* A one-off window for fd-down: the incident is recorded, its
 * notifications are "muted" and never go out. A rule the window does not
 * name is not muted. */
START_TEST(test_maintenance_one_off)
{
	struct env e;
	char a[40], b[40], *maint;

	memset(&e, 0, sizeof(e));
	maint = xfmt("[{\"name\": \"deploy\", \"rules\": [\"fd-down\"], \"start\": "
	    "\"%s\", \"end\": \"%s\"}]", rfc3339(time_now_ms() - 10 * MIN_MS, 0, a,
	    sizeof(a)), rfc3339(time_now_ms() + 10 * MIN_MS, 90, b, sizeof(b)));
	env_open(&e, FD_DOWN ", {\"name\": \"edge-down\", \"type\": \"check_down\", "
	    "\"selector\": {\"layer\": \"edge\"}, \"receivers\": [\"r1\"]}", maint);
	free(maint);
	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-eu", "fd", "front_door", "FFF");
	feed(&e, "a-us", "edge", "edge", "FFF");
	feed(&e, "a-eu", "edge", "edge", "FFF");
	ck_assert_int_eq(eval(&e, e.now), 2);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM incidents WHERE status = "
	    "'open'"), 2);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries d JOIN incidents i "
	    "ON i.id = d.incident_id WHERE i.rule = 'fd-down' AND d.status = 'muted'"), 2);
	ck_text_eq(&e, "deploy", "SELECT json_extract(payload, '$.muted_by') FROM "
	    "deliveries d JOIN incidents i ON i.id = d.incident_id WHERE i.rule = "
	    "'fd-down' LIMIT 1");
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries d JOIN incidents i "
	    "ON i.id = d.incident_id WHERE i.rule = 'edge-down' AND d.status = "
	    "'pending'"), 1);
	ck_assert_int_eq(eval(&e, e.now + 1000), 0);
	env_close(&e);
}
END_TEST

/* Local time of Unix ms in a zone UTC+off_min without DST: weekday (0 =
 * Sunday) and minute of the day. */
static void
local_time(int64_t ms, int off_min, int *wday, int *minute)
{
	time_t t = (time_t)(ms / 1000) + off_min * 60;
	struct tm tm;

	gmtime_r(&t, &tm);
	*wday = tm.tm_wday;
	*minute = tm.tm_hour * 60 + tm.tm_min;
}

/* A weekly window in Asia/Kolkata (UTC+05:30, no DST), from half an hour
 * ago to half an hour ahead in local time. Read as UTC it would be 5h30m
 * off: the time zone must be applied. */
START_TEST(test_maintenance_weekly_tz)
{
	static const char *const days[] = { "sun", "mon", "tue", "wed", "thu",
		"fri", "sat" };
	const int off = 330;
	struct env e;
	char *maint;
	int wday, minute;
	const char *which = NULL;
	int64_t now = time_now_ms();

	memset(&e, 0, sizeof(e));
	local_time(now - 30 * MIN_MS, off, &wday, &minute);
	maint = xfmt("[{\"name\": \"weekly-patch\", \"weekly\": {\"days\": [\"%s\"], "
	    "\"start\": \"%02d:%02d\", \"duration\": \"1h\", \"timezone\": "
	    "\"Asia/Kolkata\"}}]", days[wday], minute / 60, minute % 60);
	env_open(&e, FD_DOWN, maint);
	free(maint);
	ck_assert(alertconf_muted(e.col.conf->alerts, "fd-down", e.now, &which));
	ck_assert_str_eq(which, "weekly-patch");
	ck_assert(alertconf_muted(e.col.conf->alerts, "fd-down", e.now + 25 * MIN_MS,
	    NULL));
	ck_assert(!alertconf_muted(e.col.conf->alerts, "fd-down", e.now + 35 * MIN_MS,
	    NULL));
	ck_assert(!alertconf_muted(e.col.conf->alerts, "fd-down", e.now - 35 * MIN_MS,
	    NULL));
	ck_assert(!alertconf_muted(e.col.conf->alerts, "fd-down", e.now + off * MIN_MS,
	    NULL));
	ck_assert(!alertconf_muted(e.col.conf->alerts, "fd-down", e.now - off * MIN_MS,
	    NULL));
	/* the same time next week and the week before */
	ck_assert(alertconf_muted(e.col.conf->alerts, "fd-down", e.now + 7 * DAY_MS,
	    NULL));
	ck_assert(alertconf_muted(e.col.conf->alerts, "fd-down", e.now - 7 * DAY_MS,
	    NULL));
	ck_assert(!alertconf_muted(e.col.conf->alerts, "fd-down", e.now + DAY_MS,
	    NULL));

	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-eu", "fd", "front_door", "FFF");
	ck_assert_int_eq(eval(&e, e.now), 1);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM incidents"), 1);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries WHERE status = "
	    "'muted' AND event = 'trigger'"), 2);
	ck_assert_int_eq(eval(&e, e.now + 10 * MIN_MS), 0);
	env_close(&e);
}
END_TEST

/* An incident opened during maintenance that is still open when the
 * window ends is notified then, once; its resolve follows normally. */
START_TEST(test_maintenance_ends_while_open)
{
	struct env e;
	char a[40], b[40], *maint;
	int64_t now = time_now_ms();

	memset(&e, 0, sizeof(e));
	maint = xfmt("[{\"name\": \"deploy\", \"start\": \"%s\", \"end\": \"%s\"}]",
	    rfc3339(now - 10 * MIN_MS, 0, a, sizeof(a)),
	    rfc3339(now + 10 * MIN_MS, 0, b, sizeof(b)));
	env_open(&e, FD_DOWN, maint);
	free(maint);
	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-eu", "fd", "front_door", "FFF");
	ck_assert_int_eq(eval(&e, e.now), 1);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries WHERE status = "
	    "'muted'"), 2);
	ck_assert_int_eq(eval(&e, e.now + 5 * MIN_MS), 0);
	/* the window is over, the check still down: the receivers learn now */
	ck_assert_int_eq(eval(&e, e.now + 11 * MIN_MS), 1);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries WHERE status = "
	    "'pending' AND event = 'trigger' AND seq = 2"), 2);
	ck_assert_int_eq(eval(&e, e.now + 12 * MIN_MS), 0);
	feed(&e, "a-us", "fd", "front_door", "OO");
	feed(&e, "a-eu", "fd", "front_door", "OO");
	ck_assert_int_eq(eval(&e, e.now + 13 * MIN_MS), 1);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries WHERE status = "
	    "'pending' AND event = 'resolve'"), 2);
	env_close(&e);
}
END_TEST

/* A window that opens while an incident is notified and open: the resolve
 * still reaches the receivers that got the trigger (a pager must not stay
 * open), while an incident opened and closed inside the window stays
 * silent from start to end. */
START_TEST(test_maintenance_resolve_of_notified)
{
	struct env e;
	char a[40], b[40], *maint;
	int64_t now = time_now_ms();

	memset(&e, 0, sizeof(e));
	maint = xfmt("[{\"name\": \"deploy\", \"start\": \"%s\", \"end\": \"%s\"}]",
	    rfc3339(now + 10 * MIN_MS, 0, a, sizeof(a)),
	    rfc3339(now + 30 * MIN_MS, 0, b, sizeof(b)));
	env_open(&e, FD_DOWN, maint);
	free(maint);
	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-eu", "fd", "front_door", "FFF");
	ck_assert_int_eq(eval(&e, e.now), 1);	/* before the window: sent */
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries WHERE status = "
	    "'pending'"), 2);
	feed(&e, "a-us", "fd", "front_door", "OO");
	feed(&e, "a-eu", "fd", "front_door", "OO");
	ck_assert_int_eq(eval(&e, e.now + 15 * MIN_MS), 1);	/* in the window */
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries WHERE status = "
	    "'pending' AND event = 'resolve'"), 2);

	/* opened and resolved inside the window: nothing goes out */
	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-eu", "fd", "front_door", "FFF");
	ck_assert_int_eq(eval(&e, e.now + 16 * MIN_MS), 1);
	feed(&e, "a-us", "fd", "front_door", "OO");
	feed(&e, "a-eu", "fd", "front_door", "OO");
	ck_assert_int_eq(eval(&e, e.now + 17 * MIN_MS), 1);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries WHERE incident_id "
	    "= 2 AND status = 'muted'"), 4);
	ck_assert_int_eq(eval(&e, e.now + 40 * MIN_MS), 0);
	env_close(&e);
}
END_TEST

/* ---- reminders ---- */

START_TEST(test_repeat)
{
	struct env e;

	env_open(&e, "{\"name\": \"fd-down\", \"type\": \"check_down\", \"selector\": "
	    "{\"layer\": \"front_door\"}, \"repeat\": \"1m\", \"receivers\": "
	    "[\"r1\", \"r2\"]}", NULL);
	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-eu", "fd", "front_door", "FFF");
	ck_assert_int_eq(eval(&e, e.now), 1);
	ck_assert_int_eq(eval(&e, e.now + 30000), 0);
	ck_assert_int_eq(eval(&e, e.now + 61000), 1);
	ck_assert_int_eq(eval(&e, e.now + 90000), 0);
	ck_assert_int_eq(eval(&e, e.now + 122000), 1);
	ck_assert_int_eq(eval(&e, e.now + 122000), 0);
	/* per receiver: one trigger, two reminders */
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries WHERE event = "
	    "'trigger' AND receiver = 'r1'"), 1);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries WHERE event = "
	    "'reminder' AND receiver = 'r1'"), 2);
	ck_assert_int_eq(qint(&e, "SELECT count(*) FROM deliveries WHERE event = "
	    "'reminder' AND receiver = 'r2'"), 2);
	ck_text_eq(&e, "reminder", "SELECT json_extract(payload, '$.event') FROM "
	    "deliveries WHERE seq = 3 AND receiver = 'r2'");
	ck_assert_int_eq(qint(&e, "SELECT max(seq) FROM deliveries"), 3);
	ck_assert_int_eq(qint(&e, "SELECT last_notified_at FROM incidents"),
	    e.now + 122000);
	feed(&e, "a-us", "fd", "front_door", "OO");
	feed(&e, "a-eu", "fd", "front_door", "OO");
	ck_assert_int_eq(eval(&e, e.now + 130000), 1);
	ck_text_eq(&e, "resolve", "SELECT event FROM deliveries WHERE seq = 4 AND "
	    "receiver = 'r1'");
	env_close(&e);
}
END_TEST

/* ---- layer-aware context ---- */

/* The front door fails in two regions while both origins pass: a CDN
 * problem, said in the incident and in its notifications. */
START_TEST(test_context_cdn)
{
	struct env e;

	env_open(&e, FD_DOWN, NULL);
	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-eu", "fd", "front_door", "FFF");
	feed(&e, "a-us", "edge", "edge", "OOO");
	feed(&e, "a-eu", "edge", "edge", "OOO");
	feed(&e, "a-us", "central", "central", "OOO");
	ck_assert_int_eq(eval(&e, e.now), 1);
	ck_text_eq(&e, "front door failing, origins healthy: CDN problem",
	    "SELECT context FROM incidents");
	ck_text_eq(&e, "front door failing, origins healthy: CDN problem",
	    "SELECT json_extract(payload, '$.context') FROM deliveries WHERE "
	    "receiver = 'r1'");
	env_close(&e);
}
END_TEST

/* The edge origin fails while the front door passes: failover works. */
START_TEST(test_context_failover)
{
	struct env e;

	env_open(&e, "{\"name\": \"edge-down\", \"type\": \"check_down\", "
	    "\"selector\": {\"layer\": \"edge\"}, \"receivers\": [\"r1\"]}", NULL);
	feed(&e, "a-us", "edge", "edge", "FFF");
	feed(&e, "a-eu", "edge", "edge", "FFF");
	feed(&e, "a-us", "fd", "front_door", "OOO");
	feed(&e, "a-eu", "fd", "front_door", "OOO");
	ck_assert_int_eq(eval(&e, e.now), 1);
	ck_text_eq(&e, "edge origin failing, front door healthy: failover is working",
	    "SELECT context FROM incidents");
	env_close(&e);
}
END_TEST

/* alert_layer_context's other sentences, and when it cannot tell. */
START_TEST(test_context_sentences)
{
	struct env e;
	sqlite3 *db;
	char *s;

	env_open(&e, FD_DOWN, NULL);
	db = store_reader(e.col.st);
	/* no data at all: nothing to say */
	ck_assert_ptr_null(alert_layer_context(db, "micro", "front_door", e.now));
	ck_assert_ptr_null(alert_layer_context(db, "micro", "other", e.now));
	ck_assert_ptr_null(alert_layer_context(db, NULL, "edge", e.now));
	store_reader_put(e.col.st, db);

	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-us", "edge", "edge", "FFF");
	feed(&e, "a-us", "central", "central", "OOO");
	db = store_reader(e.col.st);
	s = alert_layer_context(db, "micro", "front_door", e.now);
	ck_assert_str_eq(s, "front door failing, edge origin failing too: failover "
	    "is not covering it");
	free(s);
	s = alert_layer_context(db, "micro", "edge", e.now);
	ck_assert_str_eq(s, "edge origin failing, front door failing too: failover "
	    "is not covering it");
	free(s);
	/* another service's data says nothing about this one */
	ck_assert_ptr_null(alert_layer_context(db, "other-service", "front_door",
	    e.now));
	/* five minutes on, the data is out of the window */
	ck_assert_ptr_null(alert_layer_context(db, "micro", "edge", e.now + 6 * MIN_MS));
	store_reader_put(e.col.st, db);

	feed(&e, "a-us", "central", "central", "FFFFFFFFFF");
	db = store_reader(e.col.st);
	s = alert_layer_context(db, "micro", "front_door", e.now);
	ck_assert_str_eq(s, "front door failing, both origins failing too: an origin "
	    "outage is reaching users");
	free(s);
	store_reader_put(e.col.st, db);
	env_close(&e);
}
END_TEST

/* ---- config errors ---- */

#define ERR_SLOS "\"slos\": [" \
	"{\"name\": \"s90\", \"objective\": 90, \"selector\": {}}, " \
	"{\"name\": \"s95\", \"objective\": 95, \"selector\": {}}]"
#define ERR_RCV "\"receivers\": [{\"name\": \"r1\", \"type\": \"webhook\", " \
	"\"url\": \"http://127.0.0.1:9/\"}]"
#define ERR_RULE(body) "\"rules\": [{\"name\": \"x\", \"receivers\": [\"r1\"], " body "}]"
#define ERR_GOOD_RULE ERR_RULE("\"type\": \"check_down\"")

static const struct {
	const char	*alerts;	/* the alerts object's members */
	const char	*want;		/* in the first error, after file:line:col */
} bad[] = {
	/* the default pairs: 14.4 x 10 % >= 1 */
	{ ERR_RCV ", " ERR_RULE("\"type\": \"burn_rate\", \"slo\": \"s90\""),
	  "alerts.rules[0].slo: this rule can never fire: factor 14.4 x (1 - "
	  "objective 0.9) >= 1 (the most a burn rate can reach is 10)" },
	{ ERR_RCV ", " ERR_RULE("\"type\": \"burn_rate\", \"slo\": \"s95\", "
	  "\"pairs\": [{\"severity\": \"ticket\", \"long\": \"1d\", \"short\": \"2h\", "
	  "\"factor\": 3}, {\"severity\": \"page\", \"long\": \"1h\", \"short\": "
	  "\"5m\", \"factor\": 20}]"),
	  "alerts.rules[0].pairs[1].factor: this rule can never fire: factor 20" },
	{ ERR_RCV ", " ERR_RULE("\"type\": \"burn_rate\", \"slo\": \"nope\""),
	  "alerts.rules[0].slo: no SLO named \"nope\" in slos" },
	{ ERR_RCV ", \"rules\": [{\"name\": \"x\", \"type\": \"check_down\", "
	  "\"receivers\": [\"r1\", \"nope\"]}]",
	  "alerts.rules[0].receivers[1]: no receiver named \"nope\" in alerts.receivers" },
	{ ERR_RCV ", " ERR_RULE("\"type\": \"check_up\""),
	  "alerts.rules[0].type: must be one of: burn_rate, check_down, cert_expiry, "
	  "agent_silent, latency, cache_hit_drop" },
	{ ERR_RCV ", " ERR_RULE("\"type\": \"cache_hit_drop\""),
	  "alerts.rules[0]: a cache_hit_drop rule needs \"threshold\"" },
	{ ERR_RCV ", " ERR_RULE("\"type\": \"cache_hit_drop\", \"window\": \"1h\", "
	  "\"baseline\": {\"window\": \"30m\", \"fraction\": 0.5}"),
	  "alerts.rules[0].baseline: the baseline window must be longer than the "
	  "rule's window" },
	{ ERR_RCV ", \"rules\": [{\"name\": \"x\", \"receivers\": [\"r1\"]}]",
	  "alerts.rules[0].type: required key is missing" },
	{ ERR_RCV ", " ERR_GOOD_RULE ", \"maintenance\": [{\"name\": \"m\", \"weekly\": "
	  "{\"days\": [\"sat\"], \"start\": \"02:00\", \"duration\": \"2h\", "
	  "\"timezone\": \"Mars/Olympus_Mons\"}}]",
	  "alerts.maintenance[0].weekly.timezone: unknown time zone \"Mars/Olympus_Mons\"" },
	{ ERR_RCV ", " ERR_GOOD_RULE ", \"maintenance\": [{\"name\": \"m\", \"weekly\": "
	  "{\"days\": [\"sat\"], \"start\": \"02:00\", \"duration\": \"2h\", "
	  "\"timezone\": \"../../etc/passwd\"}}]",
	  "alerts.maintenance[0].weekly.timezone: unknown time zone" },
	{ ERR_RCV ", " ERR_GOOD_RULE ", \"maintenance\": [{\"name\": \"m\", \"start\": "
	  "\"2026-12-01 22:00\", \"end\": \"2026-12-02T02:00:00Z\"}]",
	  "alerts.maintenance[0].start: must be RFC 3339" },
	{ ERR_RCV ", " ERR_GOOD_RULE ", \"maintenance\": [{\"name\": \"m\", \"start\": "
	  "\"2026-12-01T22:00:00Z\", \"end\": \"2026-12-02T02:00:00+1:00\"}]",
	  "alerts.maintenance[0].end: must be RFC 3339" },
	{ ERR_RCV ", " ERR_GOOD_RULE ", \"maintenance\": [{\"name\": \"m\", \"start\": "
	  "\"2026-12-01T22:00:00Z\", \"end\": \"2026-12-01T23:30:00+02:00\"}]",
	  "alerts.maintenance[0].end: must be after start" },
	{ ERR_RCV ", " ERR_GOOD_RULE ", \"maintenance\": [{\"name\": \"m\", \"weekly\": "
	  "{\"days\": [\"sunday\"], \"start\": \"02:00\", \"duration\": \"2h\"}}]",
	  "alerts.maintenance[0].weekly.days[0]: must be one of sun, mon" },
	{ ERR_RCV ", " ERR_GOOD_RULE ", \"maintenance\": [{\"name\": \"m\", \"weekly\": "
	  "{\"days\": [\"sun\"], \"start\": \"25:00\", \"duration\": \"2h\"}}]",
	  "alerts.maintenance[0].weekly.start: must be a local time HH:MM" },
	{ ERR_RCV ", " ERR_GOOD_RULE ", \"maintenance\": [{\"name\": \"m\", \"rules\": "
	  "[\"y\"], \"start\": \"2026-12-01T22:00:00Z\", \"end\": "
	  "\"2026-12-02T02:00:00Z\"}]",
	  "alerts.maintenance[0].rules[0]: no rule named \"y\"" },
	{ ERR_RCV ", " ERR_GOOD_RULE ", \"maintenance\": [{\"name\": \"m\", \"start\": "
	  "\"2026-12-01T22:00:00Z\", \"end\": \"2026-12-02T02:00:00Z\", \"weekly\": "
	  "{\"days\": [\"sun\"], \"start\": \"02:00\", \"duration\": \"2h\"}}]",
	  "alerts.maintenance[0]: either start/end (one-off) or weekly, not both" },
	{ ERR_RCV ", " ERR_RULE("\"type\": \"latency\", \"failures\": 3, "
	  "\"threshold\": \"1s\""),
	  "alerts.rules[0].failures: unknown key" },
	{ ERR_RCV ", " ERR_RULE("\"type\": \"latency\""),
	  "alerts.rules[0].threshold: required key is missing" },
	{ ERR_RCV ", " ERR_RULE("\"type\": \"check_down\", \"repeat\": \"30s\""),
	  "alerts.rules[0].repeat: reminders at most once a minute" },
	{ ERR_RCV ", " ERR_RULE("\"type\": \"check_down\", \"failures_in_window\": "
	  "{\"failures\": 3}"),
	  "alerts.rules[0].failures_in_window: needs \"failures\" and \"window\"" },
	{ ERR_RCV ", " ERR_RULE("\"type\": \"agent_silent\", \"agents\": [\"ghost\"]"),
	  "alerts.rules[0].agents[0]: no agent \"ghost\" in agents" },
	{ ERR_RCV ", \"rules\": [{\"name\": \"x\", \"type\": \"check_down\", "
	  "\"receivers\": [\"r1\"]}, {\"name\": \"x\", \"type\": \"check_down\", "
	  "\"receivers\": [\"r1\"]}]",
	  "alerts.rules[1].name: duplicate rule name \"x\"" },
	{ ERR_RCV ", " ERR_RULE("\"type\": \"check_down\", \"min_regions\": 0"),
	  "alerts.rules[0].min_regions: must be between 1 and 100" },
	{ ERR_RCV ", " ERR_RULE("\"type\": \"check_down\", \"severity\": \"urgent\""),
	  "alerts.rules[0].severity: must be one of: page, ticket, info" },
	{ ERR_RCV ", \"tick\": \"10ms\", " ERR_GOOD_RULE, "alerts.tick:" },
	{ ERR_RCV ", \"rulez\": []", "alerts.rulez: unknown key (did you mean \"rules\"?)" },
};

START_TEST(test_config_errors)
{
	struct confctx c = { 0 };
	struct collector_config *cc;
	char *text = xfmt("{\"db\": \"x.db\", " AGENTS_JSON ", " ERR_SLOS ", "
	    "\"alerts\": {%s}}", bad[_i].alerts);
	const char *msg, *p;
	int line = 0, col = 0, used = 0;

	cc = collconf_load_ctx(&c, "t.json", text);
	ck_assert_msg(cc == NULL, "case %d: accepted:\n%s", _i, text);
	ck_assert_int_gt(c.nerrs, 0);
	msg = c.errs[0];
	ck_assert_msg(sscanf(msg, "t.json:%d:%d: %n", &line, &col, &used) == 2 &&
	    used > 0 && line == 1 && col > 1, "case %d: no file:line:col in \"%s\"",
	    _i, msg);
	p = msg + used;
	ck_assert_msg(strncmp(p, bad[_i].want, strlen(bad[_i].want)) == 0,
	    "case %d: got \"%s\", want \"%s\"", _i, msg, bad[_i].want);
	conf_ctx_free(&c);
	free(text);
}
END_TEST

/* Errors point at the offending line and column of a multi-line file,
 * and every error is reported at once. */
START_TEST(test_config_error_positions)
{
	static const char text[] =
	    "{\n"
	    "  \"agents\": [{\"id\": \"a1\", \"key\": \"0123456789abcdef\"}],\n"
	    "  \"slos\": [{\"name\": \"s90\", \"objective\": 90, \"selector\": {}}],\n"
	    "  \"alerts\": {\n"
	    "    \"receivers\": [{\"name\": \"r1\", \"type\": \"webhook\", \"url\": \"http://x/\"}],\n"
	    "    \"rules\": [\n"
	    "      {\"name\": \"burn\", \"type\": \"burn_rate\", \"slo\": \"s90\", \"receivers\": [\"r1\"]},\n"
	    "      {\"name\": \"down\", \"type\": \"check_down\", \"receivers\": [\"r9\"]}\n"
	    "    ],\n"
	    "    \"maintenance\": [\n"
	    "      {\"name\": \"m\", \"weekly\": {\"days\": [\"sat\"], \"start\": \"02:00\",\n"
	    "        \"duration\": \"2h\", \"timezone\": \"Nowhere/City\"}}\n"
	    "    ]\n"
	    "  }\n"
	    "}\n";
	struct confctx c = { 0 };

	ck_assert_ptr_null(collconf_load_ctx(&c, "collector.json", text));
	ck_assert_int_eq(c.nerrs, 3);
	ck_assert_msg(strncmp(c.errs[0], "collector.json:7:45: alerts.rules[0].slo: "
	    "this rule can never fire", 65) == 0, "%s", c.errs[0]);
	ck_assert_msg(strncmp(c.errs[1], "collector.json:8:60: alerts.rules[1]."
	    "receivers[0]: no receiver named \"r9\"", 73) == 0, "%s", c.errs[1]);
	ck_assert_msg(strncmp(c.errs[2], "collector.json:12:27: alerts.maintenance[0]."
	    "weekly.timezone: unknown time zone", 78) == 0, "%s", c.errs[2]);
	conf_ctx_free(&c);
}
END_TEST

/* Defaults of each rule type, and what a good config keeps. */
START_TEST(test_config_defaults)
{
	struct confctx c = { 0 };
	struct collector_config *cc;
	const struct alerts_config *ac;
	char *text = xfmt("{\"db\": \"x.db\", " AGENTS_JSON ", " ERR_SLOS ", "
	    "\"alerts\": {" ERR_RCV ", \"rules\": ["
	    "{\"name\": \"b\", \"type\": \"burn_rate\", \"slo\": \"s95\", \"pairs\": "
	    "[{\"severity\": \"ticket\", \"long\": \"1d\", \"short\": \"2h\", "
	    "\"factor\": 3}], \"receivers\": [\"r1\"]}, "
	    "{\"name\": \"d\", \"type\": \"check_down\", \"receivers\": [\"r1\"]}, "
	    "{\"name\": \"c\", \"type\": \"cert_expiry\", \"receivers\": [\"r1\"]}, "
	    "{\"name\": \"s\", \"type\": \"agent_silent\", \"receivers\": [\"r1\"]}, "
	    "{\"name\": \"l\", \"type\": \"latency\", \"threshold\": \"250ms\", "
	    "\"receivers\": [\"r1\"]}], \"maintenance\": [{\"name\": \"w\", \"weekly\": "
	    "{\"days\": [\"sat\", \"sun\"], \"start\": \"22:30\", \"duration\": \"3h\"}}]}}");

	cc = collconf_load_ctx(&c, "t.json", text);
	ck_assert_msg(cc != NULL, "%s", c.nerrs ? c.errs[0] : "");
	ac = cc->alerts;
	ck_assert_ptr_nonnull(ac);
	ck_assert_int_eq(ac->tick_ms, 15000);
	ck_assert_uint_eq(ac->nrules, 5);
	ck_assert_str_eq(ac->rules[0].severity, "page");
	ck_assert_uint_eq(ac->rules[0].npairs, 1);
	ck_assert_int_eq(ac->rules[1].min_regions, 2);
	ck_assert_int_eq(ac->rules[1].failures, 3);
	ck_assert_int_eq(ac->rules[1].successes, 2);
	ck_assert_int_eq(ac->rules[1].win_ms, 0);
	ck_assert_int_eq(ac->rules[1].repeat_ms, 0);
	ck_assert_str_eq(ac->rules[1].severity, "page");
	ck_assert_int_eq(ac->rules[2].days, 14);
	ck_assert_str_eq(ac->rules[2].severity, "ticket");
	ck_assert_int_eq(ac->rules[3].after_ms, 300000);
	ck_assert_str_eq(ac->rules[3].severity, "ticket");
	ck_assert(ac->rules[4].percentile == 95);
	ck_assert_int_eq(ac->rules[4].window_ms, 600000);
	ck_assert_int_eq(ac->rules[4].min_results, 10);
	ck_assert_int_eq(ac->rules[4].threshold_us, 250000);
	ck_assert_uint_eq(ac->nmaint, 1);
	ck_assert(ac->maint[0].weekly);
	ck_assert_str_eq(ac->maint[0].timezone, "UTC");
	ck_assert_uint_eq(ac->maint[0].days, 0x41u);
	ck_assert_int_eq(ac->maint[0].start_min, 22 * 60 + 30);
	/* Saturday 2026-11-28 23:00 UTC is in it, and so is Monday 01:00
	 * (Sunday's window runs past midnight); Monday 01:31 is not */
	ck_assert(alertconf_muted(ac, "d", 1795906800000LL, NULL));
	ck_assert(alertconf_muted(ac, "d", 1796000400000LL, NULL));
	ck_assert(!alertconf_muted(ac, "d", 1796002260000LL, NULL));
	ck_assert(!alertconf_muted(ac, "d", 1795820400000LL, NULL));	/* Friday */
	collconf_free(cc);
	conf_ctx_free(&c);
	free(text);
}
END_TEST

/* ---- delivery backoff ---- */

START_TEST(test_backoff)
{
	unsigned seed = 42;
	int64_t lo = INT64_MAX, hi = 0;

	/* exponential from 1 s, jitter in [delay/2, delay] */
	for (int a = 1; a <= 12; a++) {
		int64_t d = 1000LL << (a - 1);

		if (d > 300000)
			d = 300000;
		for (int i = 0; i < 200; i++) {
			int64_t v = deliver_backoff_ms(a, 0, &seed);

			ck_assert_msg(v >= d / 2 && v <= d, "attempt %d: %lld not in "
			    "[%lld, %lld]", a, (long long)v, (long long)d / 2, (long long)d);
		}
	}
	/* capped at 5 minutes, however many attempts */
	for (int i = 0; i < 200; i++) {
		int64_t v = deliver_backoff_ms(50, 0, &seed);

		ck_assert(v >= 150000 && v <= 300000);
		v = deliver_backoff_ms(1000000, 0, &seed);
		ck_assert(v >= 150000 && v <= 300000);
	}
	/* the jitter spreads: two hundred tries are not all the same */
	for (int i = 0; i < 200; i++) {
		int64_t v = deliver_backoff_ms(4, 0, &seed);

		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	ck_assert_int_gt(hi - lo, 1000);
	/* Retry-After wins, exactly, whatever the attempt; capped at an hour */
	ck_assert_int_eq(deliver_backoff_ms(1, 7, &seed), 7000);
	ck_assert_int_eq(deliver_backoff_ms(9, 1, &seed), 1000);
	ck_assert_int_eq(deliver_backoff_ms(2, 86400, &seed), 3600000);
	ck_assert_int_le(deliver_backoff_ms(2, 0, &seed), 2000);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("alert");
	TCase *tc = tcase_create("rules"), *tcc = tcase_create("config");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_check_down_two_of_three);
	tcase_add_test(tc, test_check_down_one_region);
	tcase_add_test(tc, test_check_down_flapping);
	tcase_add_test(tc, test_check_down_failures_in_window);
	tcase_add_test(tc, test_check_down_resolve);
	tcase_add_test(tc, test_restart_no_renotify);
	tcase_add_test(tc, test_rule_removed);
	tcase_add_test(tc, test_burn_rate);
	tcase_add_test(tc, test_burn_rate_quiet);
	tcase_add_test(tc, test_cert_expiry);
	tcase_add_test(tc, test_agent_silent);
	tcase_add_test(tc, test_agent_silent_list);
	tcase_add_test(tc, test_agent_silent_after_restart);
	tcase_add_test(tc, test_latency);
	tcase_add_test(tc, test_latency_under);
	tcase_add_test(tc, test_cache_hit_drop_threshold);
	tcase_add_test(tc, test_cache_hit_drop_baseline);
	tcase_add_test(tc, test_maintenance_one_off);
	tcase_add_test(tc, test_maintenance_weekly_tz);
	tcase_add_test(tc, test_maintenance_ends_while_open);
	tcase_add_test(tc, test_maintenance_resolve_of_notified);
	tcase_add_test(tc, test_repeat);
	tcase_add_test(tc, test_context_cdn);
	tcase_add_test(tc, test_context_failover);
	tcase_add_test(tc, test_context_sentences);
	suite_add_tcase(s, tc);
	tcase_add_loop_test(tcc, test_config_errors, 0, (int)(sizeof(bad) /
	    sizeof(bad[0])));
	tcase_add_test(tcc, test_config_error_positions);
	tcase_add_test(tcc, test_config_defaults);
	tcase_add_test(tcc, test_backoff);
	suite_add_tcase(s, tcc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
