/* Unit tests: core/alertconf.c, web/alert.c, web/alert_rules.c and
 * deliver_backoff_ms. Each test builds a collector DB through store_ingest
 * with records made as agents send them (parsed by record_parse) from
 * agents in two or three regions, loads a collector config with an
 * `alerts` section, evaluates the rules at chosen times with
 * alert_evaluate and reads the incidents and deliveries back through the
 * store (core/store_alerts.h). No thread, no network: the deliverer is
 * NULL, so deliveries stay queued. The burn_rate tests run the SLO engine
 * (engine_new, engine_evaluate) on the same store. */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "alert.h"
#include "alert_cause.h"
#include "alertconf.h"
#include "cache.h"
#include "collconf.h"
#include "collector.h"
#include "conf.h"
#include "deliver.h"
#include "engine.h"
#include "record.h"
#include "store.h"
#include "store_alerts.h"
#include "store_results.h"
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
env_open_tick(struct env *e, const char *tick, const char *rules,
    const char *maint)
{
	char err[512], *text;

	memset(e, 0, sizeof(*e));
	e->now = time_now_ms();
	text = xfmt("{\"db\": \"%s\", " AGENTS_JSON ", " SLOS_JSON ", \"alerts\": "
	    "{\"tick\": \"%s\", " RECEIVERS_JSON ", \"rules\": [%s]%s%s}}", dbpath,
	    tick, rules, maint ? ", \"maintenance\": " : "", maint ? maint : "");
	e->col.conf = collconf_load_ctx(&e->cx, "t.json", text);
	ck_assert_msg(e->col.conf != NULL, "config: %s\n%s", e->cx.nerrs ?
	    e->cx.errs[0] : "?", text);
	free(text);
	pthread_mutex_init(&e->col.snap_mu, NULL);
	pthread_mutex_init(&e->col.stat_mu, NULL);
	pthread_rwlock_init(&e->col.conf_lock, NULL);
	e->col.st = store_open(dbpath, 2, err, sizeof(err));
	ck_assert_msg(e->col.st != NULL, "%s", err);
	e->col.started_ms = e->now - HOUR_MS;
	e->al = alert_new(&e->col, err, sizeof(err));
	ck_assert_msg(e->al != NULL, "%s", err);
}

/* env_open_tick with a tick of 1s (the tests call alert_evaluate). */
static void
env_open(struct env *e, const char *rules, const char *maint)
{
	env_open_tick(e, "1s", rules, maint);
}

/* Run the SLO engine on the test collector (the burn_rate rules read its
 * evaluations): from now on it sees every ingested batch. */
static void
env_engine(struct env *e)
{
	e->col.eng = engine_new(&e->col);
	ck_assert_ptr_nonnull(e->col.eng);
}

/* Evaluate the SLOs now (wall clock), as the engine's thread does. */
static void
engine_now(struct env *e)
{
	ck_assert_msg(engine_evaluate(&e->col, e->col.eng) == 0, "engine_evaluate "
	    "failed");
}

static void
env_close(struct env *e)
{
	alert_free(e->al);
	engine_stop(e->col.eng);
	if (e->col.snap)
		engine_snapshot_put(&e->col, e->col.snap);
	store_close(e->col.st);
	collconf_free(e->col.conf);
	conf_ctx_free(&e->cx);
	pthread_rwlock_destroy(&e->col.conf_lock);
	pthread_mutex_destroy(&e->col.stat_mu);
	pthread_mutex_destroy(&e->col.snap_mu);
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

/* One result of check (on layer, service "micro") from agent ai, as the
 * agent sends it: a timeout when it failed. New reference. */
static json_t *
result_json(struct env *e, size_t ai, const char *check, const char *layer,
    bool ok, int64_t ts, int64_t total_us)
{
	json_t *o = json_object();

	json_object_set_new(o, "check", json_string(check));
	json_object_set_new(o, "kind", json_string("http"));
	json_object_set_new(o, "service", json_string("micro"));
	json_object_set_new(o, "layer", json_string(layer));
	json_object_set_new(o, "provider", json_string("test"));
	json_object_set_new(o, "url", json_string("https://micro.example/"));
	json_object_set_new(o, "agent", json_string(agents[ai].id));
	json_object_set_new(o, "region", json_string(agents[ai].region));
	json_object_set_new(o, "seq", json_integer(++e->seq[ai]));
	json_object_set_new(o, "ts", json_integer(ts));
	json_object_set_new(o, "ok", json_boolean(ok));
	json_object_set_new(o, "error_class", ok ? json_null() :
	    json_string("timeout"));
	json_object_set_new(o, "error", ok ? json_null() :
	    json_string("timed out after 10000 ms"));
	json_object_set_new(o, "total_us", json_integer(total_us));
	return o;
}

/* Store the records (an array, stolen) of agent in one batch, through
 * record_parse and store_ingest as ingest does; every one must be new. */
static void
ingest(struct env *e, const char *agent, json_t *recs)
{
	size_t ai = agent_index(agent), n = json_array_size(recs);
	struct agent_report rep = { agent, agents[ai].region, "test", "0.1.0", 0, 0 };
	struct record *rv = calloc(n + 1, sizeof(*rv));
	bool *stored = calloc(n + 1, sizeof(*stored));
	char err[256];

	ck_assert_ptr_nonnull(rv);
	ck_assert_ptr_nonnull(stored);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(record_parse(json_array_get(recs, i), agent,
		    agents[ai].region, INT64_MAX, &rv[i], err, sizeof(err)) == 0,
		    "record %zu: %s", i, err);
	ck_assert_msg(store_ingest(e->col.st, &rep, rv, n, stored, 5000, err,
	    sizeof(err)) == 0, "ingest: %s", err);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(stored[i], "record %zu: a duplicate", i);
		record_clear(&rv[i]);
	}
	free(stored);
	free(rv);
	json_decref(recs);
}

/* One result per character of pattern ('F' failed, 'O' passed) of check
 * (on layer, service "micro") from agent, the first at t0, then every step
 * ms, each taking total_us. body: JSON object text whose members are set
 * on every record (NULL: none). */
static void
feed_body(struct env *e, const char *agent, const char *check, const char *layer,
    const char *pattern, int64_t t0, int64_t step, int64_t total_us,
    const char *body)
{
	size_t ai = agent_index(agent), n = strlen(pattern);
	json_t *recs = json_array(), *extra = NULL;

	if (body != NULL) {
		extra = json_loads(body, 0, NULL);
		ck_assert_msg(json_is_object(extra), "body: %s", body);
	}
	for (size_t i = 0; i < n; i++) {
		json_t *o = result_json(e, ai, check, layer, pattern[i] == 'O',
		    t0 + (int64_t)i * step, total_us);

		if (extra)
			json_object_update(o, extra);
		json_array_append_new(recs, o);
	}
	json_decref(extra);
	ingest(e, agent, recs);
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

/* ---- reading the incidents and deliveries back (through the store) ---- */

static json_t *
text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int
incident_row(const struct incident_row *r, void *arg)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "rule", text_or_null(r->rule));
	json_object_set_new(o, "rule_type", text_or_null(r->rule_type));
	json_object_set_new(o, "target", text_or_null(r->target));
	json_object_set_new(o, "severity", text_or_null(r->severity));
	json_object_set_new(o, "status", text_or_null(r->status));
	json_object_set_new(o, "title", text_or_null(r->title));
	json_object_set_new(o, "summary", text_or_null(r->summary));
	json_object_set_new(o, "context", text_or_null(r->context));
	json_object_set_new(o, "service", text_or_null(r->service));
	json_object_set_new(o, "layer", text_or_null(r->layer));
	json_object_set_new(o, "check", text_or_null(r->check));
	json_object_set_new(o, "slo", text_or_null(r->slo));
	json_object_set_new(o, "agent", text_or_null(r->agent));
	json_object_set_new(o, "regions", text_or_null(r->regions));
	json_object_set_new(o, "started_at", json_integer(r->started_at));
	json_object_set_new(o, "updated_at", json_integer(r->updated_at));
	json_object_set_new(o, "resolved_at", r->resolved_at ?
	    json_integer(r->resolved_at) : json_null());
	json_object_set_new(o, "last_notified_at", r->last_notified_at ?
	    json_integer(r->last_notified_at) : json_null());
	json_object_set_new(o, "transitions", json_integer(r->transitions));
	json_array_append_new(arg, o);
	return 0;
}

struct dl_load {
	json_t		*arr;
	json_t		*inc;	/* the incident of the deliveries */
};

static int
delivery_row(const struct delivery_row *d, void *arg)
{
	struct dl_load *l = arg;
	json_t *o = json_object(), *payload = json_loads(d->payload, 0, NULL);

	ck_assert_msg(json_is_object(payload), "delivery %lld: payload %s",
	    (long long)d->id, d->payload);
	json_object_set_new(o, "id", json_integer(d->id));
	json_object_set_new(o, "incident_id", json_integer(d->incident_id));
	json_object_set_new(o, "rule", json_incref(json_object_get(l->inc, "rule")));
	json_object_set_new(o, "target", json_incref(json_object_get(l->inc,
	    "target")));
	json_object_set_new(o, "receiver", text_or_null(d->receiver));
	json_object_set_new(o, "event", text_or_null(d->event));
	json_object_set_new(o, "seq", json_integer(d->seq));
	json_object_set_new(o, "status", text_or_null(d->status));
	json_object_set_new(o, "attempts", json_integer(d->attempts));
	json_object_set_new(o, "last_status", d->last_status >= 0 ?
	    json_integer(d->last_status) : json_null());
	json_object_set_new(o, "last_error", text_or_null(d->last_error));
	json_object_set_new(o, "next_attempt_at", json_integer(d->next_attempt_at));
	json_object_set_new(o, "created_at", json_integer(d->created_at));
	json_object_set_new(o, "sent_at", d->sent_at ? json_integer(d->sent_at) :
	    json_null());
	json_object_set_new(o, "payload", payload);
	json_array_append_new(l->arr, o);
	return 0;
}

static int
cmp_id(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "id"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "id"));

	return x < y ? -1 : x > y;
}

/* Every row of table ("incidents", by id, or "deliveries", by incident,
 * seq and receiver, each with its incident's rule and target and its
 * payload parsed) as JSON objects: a new array. */
static json_t *
table(struct env *e, const char *name)
{
	json_t *inc = json_array(), *out, *x;
	json_t **v;
	size_t n, i;
	char err[256];

	ck_assert_msg(store_incidents_recent(e->col.st, 0, 1000000, incident_row, inc,
	    err, sizeof(err)) == 0, "incidents: %s", err);
	/* by id, as the tests number them */
	n = json_array_size(inc);
	v = calloc(n + 1, sizeof(*v));
	ck_assert_ptr_nonnull(v);
	json_array_foreach(inc, i, x)
		v[i] = json_incref(x);
	qsort(v, n, sizeof(*v), cmp_id);
	json_array_clear(inc);
	for (i = 0; i < n; i++)
		json_array_append_new(inc, v[i]);
	free(v);
	if (strcmp(name, "incidents") == 0)
		return inc;
	ck_assert_str_eq(name, "deliveries");
	out = json_array();
	json_array_foreach(inc, i, x) {
		struct dl_load l = { out, x };

		ck_assert_msg(store_deliveries_of(e->col.st, json_integer_value(
		    json_object_get(x, "id")), delivery_row, &l, err, sizeof(err)) == 0,
		    "deliveries: %s", err);
	}
	json_decref(inc);
	return out;
}

/* The value at a dotted path ("payload.details.regions") of o; NULL when
 * there is none. */
static json_t *
at(json_t *o, const char *path)
{
	char key[64];

	while (o != NULL && *path) {
		size_t n = strcspn(path, ".");

		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		o = json_object_get(o, key);
		path += n + (path[n] == '.');
	}
	return o;
}

/* A value as text, the way the tests compare it: "(null)" for none or
 * null. Caller frees. */
static char *
as_text(json_t *v)
{
	if (v == NULL || json_is_null(v))
		return strdup("(null)");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v))
		return xfmt("%lld", (long long)json_integer_value(v));
	if (json_is_boolean(v))
		return strdup(json_is_true(v) ? "1" : "0");
	if (json_is_real(v))
		return xfmt("%.17g", json_real_value(v));
	return json_dumps(v, JSON_COMPACT);
}

/* The rows of table that match every (path, text) pair of ap (ended by
 * NULL): a new array. */
static json_t *
rows_v(struct env *e, const char *name, va_list ap)
{
	json_t *all = table(e, name), *out = json_array(), *x;
	const char *keys[16], *vals[16];
	size_t nk = 0, i;

	for (const char *k; (k = va_arg(ap, const char *)) != NULL; nk++) {
		ck_assert_uint_lt(nk, 16);
		keys[nk] = k;
		vals[nk] = va_arg(ap, const char *);
	}
	json_array_foreach(all, i, x) {
		bool match = true;

		for (size_t k = 0; k < nk && match; k++) {
			char *t = as_text(at(x, keys[k]));

			match = strcmp(t, vals[k]) == 0;
			free(t);
		}
		if (match)
			json_array_append(out, x);
	}
	json_decref(all);
	return out;
}

/* The number of rows of table matching the (path, text) pairs. */
static int64_t
count(struct env *e, const char *name, ...)
{
	va_list ap;
	json_t *r;
	int64_t n;

	va_start(ap, name);
	r = rows_v(e, name, ap);
	va_end(ap);
	n = (int64_t)json_array_size(r);
	json_decref(r);
	return n;
}

/* The text at path of the first row of table matching the pairs; "(none)"
 * when no row does. Caller frees. */
static char *
field(struct env *e, const char *name, const char *path, ...)
{
	va_list ap;
	json_t *r;
	char *t;

	va_start(ap, path);
	r = rows_v(e, name, ap);
	va_end(ap);
	t = json_array_size(r) ? as_text(at(json_array_get(r, 0), path)) :
	    strdup("(none)");
	json_decref(r);
	ck_assert_ptr_nonnull(t);
	return t;
}

/* The number at path of the first matching row; -1 when none. */
static double
num(struct env *e, const char *name, const char *path, ...)
{
	va_list ap;
	json_t *r, *v;
	double d = -1;

	va_start(ap, path);
	r = rows_v(e, name, ap);
	va_end(ap);
	v = json_array_size(r) ? at(json_array_get(r, 0), path) : NULL;
	if (json_is_number(v))
		d = json_number_value(v);
	json_decref(r);
	return d;
}

#define ck_field_eq(e, want, ...) do {					\
	char *got_ = field(e, __VA_ARGS__);				\
	ck_assert_msg(strcmp(got_, want) == 0, "%s: got \"%s\", want \"%s\"", \
	    #__VA_ARGS__, got_, want);					\
	free(got_);							\
} while (0)

#define ck_field_has(e, want, ...) do {					\
	char *got_ = field(e, __VA_ARGS__);				\
	ck_assert_msg(strstr(got_, want) != NULL, "%s: got \"%s\", want it to " \
	    "contain \"%s\"", #__VA_ARGS__, got_, want);		\
	free(got_);							\
} while (0)

static int
max_fail_streak_fn(const struct stored_result *r, void *arg)
{
	int64_t *m = arg;

	if (r->fail_streak > *m)
		*m = r->fail_streak;
	return 0;
}

/* The greatest fail_streak among the newest results of every series. */
static int64_t
max_fail_streak(struct env *e)
{
	int64_t m = -1;
	char err[256];

	ck_assert_msg(store_latest_each(e->col.st, NULL, max_fail_streak_fn, &m, err,
	    sizeof(err)) == 0, "latest: %s", err);
	return m;
}

/* The last accepted batch of agent (0 never), as the store says. */
static int64_t
last_seen(struct env *e, const char *agent)
{
	int64_t seen = -1;
	char region[64], err[256];

	ck_assert_msg(store_agent_seen(e->col.st, agent, &seen, region,
	    sizeof(region), err, sizeof(err)) >= 0, "agents: %s", err);
	return seen;
}

/* Every receiver of fd-down (r1, r2) has exactly one delivery of each
 * event in events (comma-separated, e.g. "trigger,resolve") of incident
 * and no other. */
static void
one_each(struct env *e, int64_t incident, const char *events)
{
	const char *rcv[] = { "r1", "r2" };
	char id[32], ev[32];
	int64_t n = 1;

	snprintf(id, sizeof(id), "%lld", (long long)incident);
	for (const char *p = events; *p; p++)
		n += *p == ',';
	for (size_t i = 0; i < 2; i++) {
		ck_assert_int_eq(count(e, "deliveries", "incident_id", id, "receiver",
		    rcv[i], NULL), n);
		for (const char *p = events; *p; ) {
			size_t k = strcspn(p, ",");

			snprintf(ev, sizeof(ev), "%.*s", (int)k, p);
			ck_assert_msg(count(e, "deliveries", "incident_id", id, "receiver",
			    rcv[i], "event", ev, NULL) == 1, "incident %s, %s: not one %s",
			    id, rcv[i], ev);
			p += k + (p[k] == ',');
		}
	}
}

/* ---- check_down ---- */

/* Two regions of three each see three failures in a row: one incident,
 * with those two regions, one trigger per receiver; evaluating again with
 * the same data changes nothing. */
START_TEST(test_check_down_two_of_three)
{
	struct env e;
	char *summary;

	env_open(&e, FD_DOWN, NULL);
	feed(&e, "a-us", "fd", "front_door", "OOFFF");
	feed(&e, "a-eu", "fd", "front_door", "OFFF");
	feed(&e, "a-ap", "fd", "front_door", "OOOO");
	ck_assert_int_eq(eval(&e, e.now), 1);
	ck_assert_int_eq(count(&e, "incidents", NULL), 1);
	ck_field_eq(&e, "open", "incidents", "status", NULL);
	ck_field_eq(&e, "fd", "incidents", "target", NULL);
	ck_field_eq(&e, "page", "incidents", "severity", NULL);
	ck_field_eq(&e, "check_down", "incidents", "rule_type", NULL);
	ck_field_eq(&e, "[\"eu-central\",\"us-east\"]", "incidents", "regions", NULL);
	ck_field_eq(&e, "fd failing in 2 regions", "incidents", "title", NULL);
	ck_field_has(&e, "us-east: 3 failures in a row, last: timeout: timed out",
	    "incidents", "summary", NULL);
	one_each(&e, 1, "trigger");
	ck_assert_int_eq(count(&e, "deliveries", "status", "pending", "seq", "1",
	    "attempts", "0", NULL), 2);
	ck_field_eq(&e, "inc-1", "deliveries", "payload.incident_id", "receiver", "r1",
	    NULL);
	ck_field_eq(&e, "trigger", "deliveries", "payload.event", "receiver", "r2",
	    NULL);
	ck_field_eq(&e, "fd", "deliveries", "payload.check", "receiver", "r2", NULL);
	/* what the receivers see of the regions */
	ck_field_eq(&e, "eu-central, us-east", "deliveries", "payload.details.regions",
	    "receiver", "r1", NULL);
	ck_assert(num(&e, "deliveries", "payload.details.consecutive_failures",
	    "receiver", "r1", NULL) == 3);
	summary = field(&e, "incidents", "summary", NULL);
	ck_assert_msg(summary[0] && summary[strlen(summary) - 1] != '\n',
	    "summary \"%s\" ends with a newline", summary);
	free(summary);

	/* idempotent ticks: the same data, later, makes no new transition */
	ck_assert_int_eq(eval(&e, e.now), 0);
	ck_assert_int_eq(eval(&e, e.now + 5000), 0);
	/* still failing: still nothing new */
	feed(&e, "a-us", "fd", "front_door", "F");
	ck_assert_int_eq(eval(&e, e.now + 10000), 0);
	ck_assert_int_eq(count(&e, "deliveries", NULL), 2);
	ck_field_eq(&e, "1", "incidents", "transitions", NULL);
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
	ck_assert_int_eq(count(&e, "incidents", NULL), 0);
	/* a second agent in the same region does not make it two regions */
	feed(&e, "a-us2", "fd", "front_door", "FFFF");
	ck_assert_int_eq(eval(&e, e.now), 0);
	/* the third failure in eu-central does */
	feed(&e, "a-eu", "fd", "front_door", "F");
	ck_assert_int_eq(eval(&e, e.now), 1);
	ck_assert_int_eq(count(&e, "deliveries", NULL), 2);
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
		ck_assert_int_eq(max_fail_streak(&e), i % 2 ? 0 : 1);
	}
	ck_assert_int_eq(count(&e, "incidents", NULL), 0);
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
	ck_assert_int_eq(max_fail_streak(&e), 1);
	ck_field_eq(&e, "[\"eu-central\",\"us-east\"]", "incidents", "regions", NULL);
	ck_field_has(&e, "us-east: 3 failures in 10m (1 in a row), last: timeout",
	    "incidents", "summary", NULL);
	ck_field_has(&e, "eu-central: 3 failures in 10m (0 in a row)", "incidents",
	    "summary", NULL);
	/* passing again, but the window still holds three failures */
	feed(&e, "a-us", "fd", "front_door", "OOO");
	feed(&e, "a-eu", "fd", "front_door", "OOO");
	ck_assert_int_eq(eval(&e, e.now + MIN_MS), 0);
	/* the failures have left the window */
	ck_assert_int_eq(eval(&e, e.now + 12 * MIN_MS), 1);
	ck_field_eq(&e, "resolved", "incidents", "status", NULL);
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
	t = (int64_t)num(&e, "incidents", "started_at", NULL);
	ck_assert_int_eq(t, e.now);

	feed(&e, "a-ap", "fd", "front_door", "FFFF");	/* not one of the incident's */
	feed(&e, "a-us", "fd", "front_door", "OO");
	feed(&e, "a-eu", "fd", "front_door", "O");
	ck_assert_int_eq(eval(&e, e.now + 1000), 0);	/* eu-central: one pass only */
	ck_field_eq(&e, "open", "incidents", "status", NULL);
	feed(&e, "a-eu", "fd", "front_door", "O");
	ck_assert_int_eq(eval(&e, e.now + 2000), 1);
	ck_field_eq(&e, "resolved", "incidents", "status", NULL);
	ck_assert_int_eq((int64_t)num(&e, "incidents", "resolved_at", NULL),
	    e.now + 2000);
	ck_field_eq(&e, "2", "incidents", "transitions", NULL);
	one_each(&e, 1, "trigger,resolve");
	ck_field_eq(&e, "resolve", "deliveries", "payload.event", "seq", "2",
	    "receiver", "r1", NULL);
	ck_assert_int_eq((int64_t)num(&e, "deliveries", "payload.resolved_at", "seq",
	    "2", "receiver", "r1", NULL), e.now + 2000);
	/* a resolve speaks of what was wrong */
	ck_field_eq(&e, "fd failing in 2 regions", "deliveries", "payload.title",
	    "seq", "2", "receiver", "r2", NULL);
	ck_field_has(&e, "resolved after 2s", "deliveries", "payload.summary", "seq",
	    "2", "receiver", "r2", NULL);

	/* ap-south alone is one region: no new incident, tick after tick */
	ck_assert_int_eq(eval(&e, e.now + 3000), 0);
	ck_assert_int_eq(eval(&e, e.now + 4000), 0);
	ck_assert_int_eq(count(&e, "incidents", NULL), 1);
	ck_assert_int_eq(count(&e, "deliveries", NULL), 4);

	/* failing again later is a new incident with its own id */
	feed(&e, "a-us", "fd", "front_door", "FFF");
	ck_assert_int_eq(eval(&e, e.now + 5000), 1);
	ck_assert_int_eq(count(&e, "incidents", "status", "open", NULL), 1);
	ck_field_eq(&e, "2", "incidents", "id", "status", "open", NULL);
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
	ck_assert_int_eq(count(&e, "deliveries", NULL), 2);
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
	ck_field_eq(&e, "resolved", "incidents", "status", "id", "1", NULL);
	one_each(&e, 1, "trigger,resolve");
	ck_field_has(&e, "rule fd-down is no longer configured", "deliveries",
	    "payload.summary", "seq", "2", "receiver", "r2", NULL);
	ck_assert_int_eq((int64_t)num(&e, "deliveries", "payload.resolved_at", "seq",
	    "2", "receiver", "r1", NULL), e.now + 1000);
	ck_assert_int_eq(eval(&e, e.now + 2000), 0);
	env_close(&e);
}
END_TEST

/* ---- burn_rate ---- */

/* Half of the front door's runs fail over ten minutes: the 1h/5m page
 * pair fires. Then passing runs from other agents over the same minutes
 * bring every window's burn rate to 4.5 (bad 30 of 660): the page pairs are
 * quiet, the 2h/1d ticket pair still fires: one "update" to ticket. More
 * passes bring it under 1 (30 of 3660): resolved. One notification per
 * transition. The rule reads the SLO engine's evaluation (engine_now),
 * never the rollups itself. */
START_TEST(test_burn_rate)
{
	struct env e;
	char pattern[61], *many;
	int64_t t;

	env_open(&e, "{\"name\": \"fd-burn\", \"type\": \"burn_rate\", \"slo\": "
	    "\"fd-avail\", \"receivers\": [\"r1\"]}", NULL);
	env_engine(&e);
	for (int i = 0; i < 60; i++)
		pattern[i] = i % 2 ? 'O' : 'F';
	pattern[60] = '\0';
	t = e.now - e.now % MIN_MS;
	/* not evaluated yet: the rule says nothing */
	ck_assert_int_eq(eval(&e, t), 0);
	feed_body(&e, "a-us", "fd", "front_door", pattern, t - 10 * MIN_MS, 10000,
	    50000, NULL);
	engine_now(&e);
	ck_assert_int_eq(eval(&e, t), 1);
	ck_field_eq(&e, "page", "incidents", "severity", NULL);
	ck_field_eq(&e, "burn_rate", "incidents", "rule_type", NULL);
	ck_field_eq(&e, "fd-avail", "incidents", "slo", NULL);
	ck_field_eq(&e, "", "incidents", "target", NULL);
	ck_field_eq(&e, "SLO fd-avail is burning its error budget (page): 50.0x "
	    "over 5m", "incidents", "title", NULL);
	ck_field_has(&e, "page 1h/5m: burn 50.00 / 50.00 (threshold 14.4)  FIRING",
	    "incidents", "summary", NULL);
	ck_assert_int_eq((int64_t)(num(&e, "deliveries", "payload.details.1h", NULL) +
	    0.5), 50);
	ck_assert_int_eq(eval(&e, t + MIN_MS), 0);

	/* 600 passes over the same ten minutes: burn 30/660/0.01 = 4.5 */
	many = malloc(3001);
	ck_assert_ptr_nonnull(many);
	memset(many, 'O', 600);
	many[600] = '\0';
	feed_body(&e, "a-eu", "fd", "front_door", many, t - 10 * MIN_MS, 1000, 50000,
	    NULL);
	engine_now(&e);
	ck_assert_int_eq(eval(&e, t + 45 * MIN_MS), 1);
	ck_field_eq(&e, "ticket", "incidents", "severity", NULL);
	ck_field_eq(&e, "open", "incidents", "status", NULL);
	ck_field_has(&e, "ticket 1d/2h: burn 4.55 / 4.55 (threshold 3)  FIRING",
	    "incidents", "summary", NULL);
	ck_field_eq(&e, "update", "deliveries", "event", "seq", "2", NULL);
	ck_field_eq(&e, "ticket", "deliveries", "payload.severity", "seq", "2", NULL);
	/* the update carries what the incident says now */
	ck_field_has(&e, "ticket 1d/2h: burn 4.55 / 4.55 (threshold 3)  FIRING",
	    "deliveries", "payload.summary", "seq", "2", NULL);
	ck_field_has(&e, "is burning its error budget (ticket): 4.5x over 5m",
	    "deliveries", "payload.title", "seq", "2", NULL);
	ck_field_has(&e, "(ticket): 4.5x over 5m", "incidents", "title", NULL);
	ck_assert_int_eq(eval(&e, t + 46 * MIN_MS), 0);

	/* 3000 more: burn 30/3660/0.01 = 0.82, under every factor */
	memset(many, 'O', 3000);
	many[3000] = '\0';
	feed_body(&e, "a-ap", "fd", "front_door", many, t - 10 * MIN_MS, 200, 50000,
	    NULL);
	free(many);
	engine_now(&e);
	ck_assert_int_eq(eval(&e, t + 4 * DAY_MS), 1);
	ck_field_eq(&e, "resolved", "incidents", "status", NULL);
	ck_field_eq(&e, "resolve", "deliveries", "event", "seq", "3", NULL);
	ck_assert_int_eq(count(&e, "deliveries", NULL), 3);
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
	env_engine(&e);
	memset(pattern, 'O', 120);
	pattern[120] = '\0';
	pattern[7] = 'F';	/* 1 in 120: burn 0.83 */
	t = e.now - e.now % MIN_MS;
	feed_body(&e, "a-us", "fd", "front_door", pattern, t - 20 * MIN_MS, 10000,
	    50000, NULL);
	engine_now(&e);
	ck_assert_int_eq(eval(&e, t), 0);
	ck_assert_int_eq(count(&e, "incidents", NULL), 0);
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
	ck_field_eq(&e, "tls-a", "incidents", "target", NULL);
	ck_field_eq(&e, "ticket", "incidents", "severity", NULL);
	ck_field_has(&e, "certificate of tls-a expires in 4 days", "incidents",
	    "title", NULL);
	ck_field_has(&e, "regions: eu-central,us-east", "incidents", "summary", NULL);
	ck_assert(num(&e, "deliveries", "payload.details.days_left", "receiver", "r1",
	    NULL) == 4);
	one_each(&e, 1, "trigger");
	ck_assert_int_eq(eval(&e, e.now + 1000), 0);
	/* renewed */
	feed_body(&e, "a-us", "tls-a", "front_door", "O", e.now, 1000, 50000, renewed);
	ck_assert_int_eq(eval(&e, e.now + 2000), 1);
	ck_field_eq(&e, "resolved", "incidents", "status", NULL);
	one_each(&e, 1, "trigger,resolve");
	env_close(&e);
}
END_TEST

/* ---- agent_silent ---- */

/* Move the last batch of agents (all but except, or only only) by delta
 * ms: the wall clock of a batch cannot be chosen through store_ingest,
 * and this test is about minutes passing. Raw SQL on the agents table,
 * the one place a test writes the DB behind the store. */
static void
shift_last_seen(const char *only, const char *except, int64_t delta)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL),
	    SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	ck_assert_int_eq(sqlite3_prepare_v2(db, only ? "UPDATE agents SET last_seen = "
	    "last_seen + ?1 WHERE id = ?2" : "UPDATE agents SET last_seen = last_seen + "
	    "?1 WHERE id != ?2", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, delta);
	sqlite3_bind_text(st, 2, only ? only : except, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

START_TEST(test_agent_silent)
{
	struct env e;
	int64_t r = 0;

	env_open(&e, "{\"name\": \"silent\", \"type\": \"agent_silent\", \"after\": "
	    "\"5m\", \"receivers\": [\"r1\"]}", NULL);
	feed(&e, "a-us", "fd", "front_door", "O");
	feed(&e, "a-eu", "fd", "front_door", "O");
	feed(&e, "a-ap", "fd", "front_door", "O");
	feed(&e, "a-us2", "fd", "front_door", "O");
	for (size_t i = 0; i < 4; i++)
		if (last_seen(&e, agents[i].id) > r)
			r = last_seen(&e, agents[i].id);
	ck_assert_int_ge(r, e.now);
	ck_assert_int_eq(last_seen(&e, "a-never"), 0);
	e.col.started_ms = r;

	/* a minute later: everyone shipped lately; a-never has not had 5m */
	ck_assert_int_eq(eval(&e, r + MIN_MS), 0);

	/* ten minutes later a-us has been silent since; the others shipped at 9m */
	shift_last_seen(NULL, "a-us", 540000);
	ck_assert_int_eq(eval(&e, r + 10 * MIN_MS), 2);
	ck_assert_int_eq(count(&e, "incidents", "target", "a-us", "agent", "a-us",
	    "status", "open", NULL), 1);
	ck_assert_int_eq(count(&e, "incidents", "target", "a-never", "status", "open",
	    NULL), 1);
	ck_field_has(&e, "agent a-us (us-east) silent for 10m", "incidents", "title",
	    "target", "a-us", NULL);
	ck_field_has(&e, "agent a-never has not shipped since the collector started",
	    "incidents", "title", "target", "a-never", NULL);
	ck_field_eq(&e, "ticket", "incidents", "severity", "target", "a-us", NULL);
	ck_field_eq(&e, "never", "deliveries", "payload.details.last_seen", "target",
	    "a-never", NULL);
	ck_assert_int_eq(eval(&e, r + 10 * MIN_MS + 1000), 0);

	/* a-us ships again */
	shift_last_seen("a-us", NULL, 660000);
	ck_assert_int_eq(eval(&e, r + 12 * MIN_MS), 1);
	ck_field_eq(&e, "resolved", "incidents", "status", "target", "a-us", NULL);
	ck_field_eq(&e, "open", "incidents", "status", "target", "a-never", NULL);
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
	r = last_seen(&e, "a-us");
	ck_assert_int_ge(r, e.now);
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
	ck_field_eq(&e, "a-eu", "incidents", "target", NULL);
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
	ck_field_eq(&e, "ticket", "incidents", "severity", NULL);
	ck_field_has(&e, "p95 latency 9", "incidents", "title", NULL);
	ck_field_has(&e, "(threshold 500 ms)", "incidents", "title", NULL);
	{
		double v = num(&e, "deliveries", "payload.details.value_ms", NULL);

		ck_assert_msg(v > 900 - 9 && v < 900 + 9, "value_ms %g", v);
	}
	ck_assert(num(&e, "deliveries", "payload.details.results", NULL) == 10);
	ck_assert_int_eq(eval(&e, t + 1000), 0);
	/* twenty fast runs later, the slow ones out of the window */
	feed_body(&e, "a-us", "api", "central", "OOOOOOOOOOOOOOOOOOOO", t + 11 * MIN_MS,
	    20000, 100000, NULL);
	ck_assert_int_eq(eval(&e, t + 20 * MIN_MS), 1);
	ck_field_eq(&e, "resolved", "incidents", "status", NULL);
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
	json_t *recs = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *o = result_json(e, ai, check, "front_door", true,
		    t0 + (int64_t)i * step, 50000);

		json_object_set_new(o, "cache", json_string(cache_status_name(
		    pattern[i] == 'H' ? CACHE_HIT : pattern[i] == 'M' ? CACHE_MISS :
		    CACHE_UNKNOWN)));
		json_array_append_new(recs, o);
	}
	ingest(e, agent, recs);
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
	ck_field_eq(&e, "ticket", "incidents", "severity", NULL);
	ck_field_eq(&e, "fd", "incidents", "target", NULL);
	ck_field_has(&e, "cache-hit ratio dropped in 2 regions", "incidents", "title",
	    NULL);
	ck_field_has(&e, "us-east: 10/21 hits (48%) over 10m - dropped", "incidents",
	    "summary", NULL);
	ck_field_has(&e, "eu-central: 10/22 hits (45%)", "incidents", "summary", NULL);
	ck_field_eq(&e, "[\"eu-central\",\"us-east\"]", "incidents", "regions", NULL);
	ck_assert_int_eq(eval(&e, t + 1000), 0);
	feed_cache(&e, "a-us", "fd", "HHHHHHHHHH", t + 11 * MIN_MS, 1000);
	feed_cache(&e, "a-eu", "fd", "HHHHHHHHHH", t + 11 * MIN_MS, 1000);
	ck_assert_int_eq(eval(&e, t + 15 * MIN_MS), 1);
	ck_field_eq(&e, "resolved", "incidents", "status", NULL);
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
	ck_assert_int_eq(count(&e, "incidents", NULL), 0);
	for (size_t i = 0; i < 2; i++)
		feed_cache(&e, i ? "a-eu" : "a-us", "fd", "MMMMM", t - 10 * MIN_MS, 60000);
	/* hour: 5/15 = 0.33 < 0.5 x day 45/55 = 0.41 */
	ck_assert_int_eq(eval(&e, t), 1);
	ck_field_eq(&e, "page", "incidents", "severity", NULL);
	ck_field_has(&e, "5/15 hits (33%) over 1h, 82% over 1d - dropped", "incidents",
	    "summary", NULL);
	ck_assert_int_eq(count(&e, "incidents", "target", "no-cache", NULL), 0);
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
	ck_assert_int_eq(count(&e, "incidents", "status", "open", NULL), 2);
	ck_assert_int_eq(count(&e, "deliveries", "rule", "fd-down", "status", "muted",
	    NULL), 2);
	ck_field_eq(&e, "deploy", "deliveries", "payload.muted_by", "rule", "fd-down",
	    NULL);
	ck_assert_int_eq(count(&e, "deliveries", "rule", "edge-down", "status",
	    "pending", NULL), 1);
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
	ck_assert_int_eq(count(&e, "incidents", NULL), 1);
	ck_assert_int_eq(count(&e, "deliveries", "status", "muted", "event", "trigger",
	    NULL), 2);
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
	ck_assert_int_eq(count(&e, "deliveries", "status", "muted", NULL), 2);
	ck_assert_int_eq(eval(&e, e.now + 5 * MIN_MS), 0);
	/* the window is over, the check still down: the receivers learn now */
	ck_assert_int_eq(eval(&e, e.now + 11 * MIN_MS), 1);
	ck_assert_int_eq(count(&e, "deliveries", "status", "pending", "event",
	    "trigger", "seq", "2", NULL), 2);
	ck_assert_int_eq(eval(&e, e.now + 12 * MIN_MS), 0);
	feed(&e, "a-us", "fd", "front_door", "OO");
	feed(&e, "a-eu", "fd", "front_door", "OO");
	ck_assert_int_eq(eval(&e, e.now + 13 * MIN_MS), 1);
	ck_assert_int_eq(count(&e, "deliveries", "status", "pending", "event",
	    "resolve", NULL), 2);
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
	ck_assert_int_eq(count(&e, "deliveries", "status", "pending", NULL), 2);
	feed(&e, "a-us", "fd", "front_door", "OO");
	feed(&e, "a-eu", "fd", "front_door", "OO");
	ck_assert_int_eq(eval(&e, e.now + 15 * MIN_MS), 1);	/* in the window */
	ck_assert_int_eq(count(&e, "deliveries", "status", "pending", "event",
	    "resolve", NULL), 2);

	/* opened and resolved inside the window: nothing goes out */
	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-eu", "fd", "front_door", "FFF");
	ck_assert_int_eq(eval(&e, e.now + 16 * MIN_MS), 1);
	feed(&e, "a-us", "fd", "front_door", "OO");
	feed(&e, "a-eu", "fd", "front_door", "OO");
	ck_assert_int_eq(eval(&e, e.now + 17 * MIN_MS), 1);
	ck_assert_int_eq(count(&e, "deliveries", "incident_id", "2", "status", "muted",
	    NULL), 4);
	ck_assert_int_eq(count(&e, "deliveries", "incident_id", "2", NULL), 4);
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
	ck_assert_int_eq(count(&e, "deliveries", "event", "trigger", "receiver", "r1",
	    NULL), 1);
	ck_assert_int_eq(count(&e, "deliveries", "event", "reminder", "receiver", "r1",
	    NULL), 2);
	ck_assert_int_eq(count(&e, "deliveries", "event", "reminder", "receiver", "r2",
	    NULL), 2);
	ck_field_eq(&e, "reminder", "deliveries", "payload.event", "seq", "3",
	    "receiver", "r2", NULL);
	ck_assert_int_eq(count(&e, "deliveries", "seq", "4", NULL), 0);
	ck_assert_int_eq(count(&e, "deliveries", "seq", "3", NULL), 2);
	ck_assert_int_eq((int64_t)num(&e, "incidents", "last_notified_at", NULL),
	    e.now + 122000);
	feed(&e, "a-us", "fd", "front_door", "OO");
	feed(&e, "a-eu", "fd", "front_door", "OO");
	ck_assert_int_eq(eval(&e, e.now + 130000), 1);
	ck_field_eq(&e, "resolve", "deliveries", "event", "seq", "4", "receiver", "r1",
	    NULL);
	env_close(&e);
}
END_TEST

/* ---- layer-aware context: the cause of an incident ---- */

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
	ck_field_eq(&e, "front door failing, origins healthy: CDN problem",
	    "incidents", "context", NULL);
	ck_field_eq(&e, "front door failing, origins healthy: CDN problem",
	    "deliveries", "payload.context", "receiver", "r1", NULL);
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
	ck_field_eq(&e, "edge origin failing, front door healthy: failover working",
	    "incidents", "context", NULL);
	env_close(&e);
}
END_TEST

/* Run patterns per region and layer (oldest first, 'F' failed, 'O' passed,
 * "" none) and what an incident on `layer` says of them. Regions are
 * ap-south, eu-central, us-east (the order of the lines). */
static const struct {
	const char	*name, *layer;
	const char	*runs[3][3];	/* [region][front door, edge, central] */
	const char	*cause;		/* NULL: none */
	const char	*line0;		/* ap-south's line; NULL: not checked */
} cause_cases[] = {
	{ "cdn", "front_door",
	  { { "FFF", "OOO", "OOO" }, { "FFF", "OOO", "OOO" }, { "OOO", "OOO", "OOO" } },
	  "front door failing, origins healthy: CDN problem",
	  "ap-south: front door failing (3 of 3 runs), edge healthy, central healthy" },
	{ "edge too", "front_door",
	  { { "FFF", "FFF", "OOO" }, { "FFF", "FFF", "OOO" }, { "OOO", "OOO", "OOO" } },
	  "front door failing, edge origin failing too: failover is not covering it",
	  "ap-south: front door failing (3 of 3 runs), edge failing (3 of 3 runs), "
	  "central healthy" },
	{ "central too", "front_door",
	  { { "FFF", "OOO", "FFF" }, { "OOO", "OOO", "OOO" }, { "", "", "" } },
	  "front door failing, central origin failing too: failover is not covering it",
	  NULL },
	{ "both origins, in different regions", "front_door",
	  { { "FFF", "FFF", "OOO" }, { "FFF", "OOO", "FFF" }, { "", "", "" } },
	  "front door failing, both origins failing too: failover is not covering it",
	  NULL },
	{ "everything", "front_door",
	  { { "FFF", "FFF", "FFF" }, { "FFF", "OOO", "OOO" }, { "", "", "" } },
	  "front door and every origin failing: the app is down",
	  "ap-south: front door failing (3 of 3 runs), edge failing (3 of 3 runs), "
	  "central failing (3 of 3 runs)" },
	{ "the one origin", "front_door",
	  { { "FFF", "FFF", "" }, { "", "", "" }, { "", "", "" } },
	  "front door and every origin failing: the app is down",
	  "ap-south: front door failing (3 of 3 runs), edge failing (3 of 3 runs)" },
	{ "2 of the newest 3", "front_door",
	  { { "OOOFOF", "OOO", "OOO" }, { "", "", "" }, { "", "", "" } },
	  "front door failing, origins healthy: CDN problem",
	  "ap-south: front door failing (2 of 3 runs), edge healthy, central healthy" },
	{ "1 of the newest 3 is not failing", "front_door",
	  { { "FFFFOO", "FFF", "OOO" }, { "", "", "" }, { "", "", "" } },
	  NULL,
	  "ap-south: front door 1 of 3 runs failed, edge failing (3 of 3 runs), "
	  "central healthy" },
	{ "an origin with 1 of 3 failed is not failing", "front_door",
	  { { "FFF", "OFO", "OOO" }, { "", "", "" }, { "", "", "" } },
	  "front door failing, origins healthy: CDN problem",
	  "ap-south: front door failing (3 of 3 runs), edge 1 of 3 runs failed, "
	  "central healthy" },
	{ "two runs so far", "front_door",
	  { { "FF", "O", "OO" }, { "", "", "" }, { "", "", "" } },
	  "front door failing, origins healthy: CDN problem",
	  "ap-south: front door failing (2 of 2 runs), edge healthy, central healthy" },
	{ "edge failover", "edge",
	  { { "OOO", "FFF", "OOO" }, { "OOO", "FFF", "OOO" }, { "OOO", "OOO", "OOO" } },
	  "edge origin failing, front door healthy: failover working", NULL },
	{ "central failover", "central",
	  { { "OOO", "OOO", "FFF" }, { "", "", "" }, { "", "", "" } },
	  "central origin failing, front door healthy: failover working", NULL },
	{ "edge not covered", "edge",
	  { { "FFF", "FFF", "OOO" }, { "OOO", "FFF", "OOO" }, { "", "", "" } },
	  "front door failing, edge origin failing too: failover is not covering it",
	  NULL },
	{ "edge, everything down", "edge",
	  { { "FFF", "FFF", "FFF" }, { "", "", "" }, { "", "", "" } },
	  "front door and every origin failing: the app is down", NULL },
	{ "edge, the front door fails elsewhere", "edge",
	  { { "OOO", "FFF", "OOO" }, { "FFF", "OOO", "OOO" }, { "", "", "" } },
	  "edge origin failing, front door healthy: failover working", NULL },
	{ "no origin data", "front_door",
	  { { "FFF", "", "" }, { "", "", "" }, { "", "", "" } },
	  NULL, "ap-south: front door failing (3 of 3 runs)" },
	{ "origins only where the front door passes", "front_door",
	  { { "FFF", "", "" }, { "OOO", "OOO", "OOO" }, { "", "", "" } },
	  NULL, "ap-south: front door failing (3 of 3 runs), edge no recent runs, "
	  "central no recent runs" },
	{ "edge without front-door data", "edge",
	  { { "", "FFF", "OOO" }, { "", "", "" }, { "", "", "" } },
	  NULL, "ap-south: edge failing (3 of 3 runs), central healthy" },
	{ "an edge incident while the edge passes", "edge",
	  { { "FFF", "FOO", "OOO" }, { "", "", "" }, { "", "", "" } },
	  NULL, NULL },
	{ "origins judged up to the front door's newest failure", "front_door",
	  { { "FFFFO", "FFFOO", "FFFOO" }, { "", "", "" }, { "", "", "" } },
	  "front door and every origin failing: the app is down",
	  "ap-south: front door failing (2 of 3 runs), edge failing (2 of 3 runs), "
	  "central failing (2 of 3 runs)" },
	{ "an origin failing only after that", "front_door",
	  { { "FFFO", "OOOFF", "OOOOO" }, { "", "", "" }, { "", "", "" } },
	  "front door failing, origins healthy: CDN problem",
	  "ap-south: front door failing (2 of 3 runs), edge healthy, central healthy" },
	{ "the front door judged up to the edge's newest failure", "edge",
	  { { "OOOFF", "FFFO", "OOOOO" }, { "", "", "" }, { "", "", "" } },
	  "edge origin failing, front door healthy: failover working",
	  "ap-south: front door healthy, edge failing (2 of 3 runs), central healthy" },
	{ "layer other", "other",
	  { { "FFF", "OOO", "OOO" }, { "", "", "" }, { "", "", "" } },
	  NULL, NULL },
};

/* alert_cause_line and alert_cause_regions over the table: runs a second
 * apart, fed newest first (the newest by start time count, not the last
 * added). */
START_TEST(test_cause_table)
{
	static const char *const regions[] = { "ap-south", "eu-central", "us-east" };
	struct cause_matrix m;
	char *line;
	json_t *lines;
	size_t nregions = 0;

	memset(&m, 0, sizeof(m));
	for (int r = 2; r >= 0; r--)
		for (int l = 0; l < CAUSE_NLAYERS; l++) {
			const char *p = cause_cases[_i].runs[r][l];

			for (size_t k = strlen(p); k-- > 0; )
				alert_cause_add(&m, regions[r], l, 1000000 + (int64_t)k * 1000,
				    p[k] == 'O');
		}
	for (int r = 0; r < 3; r++) {
		bool any = false;

		for (int l = 0; l < CAUSE_NLAYERS; l++)
			any |= cause_cases[_i].runs[r][l][0] != '\0';
		nregions += any;
	}
	line = alert_cause_line(&m, alert_cause_layer(cause_cases[_i].layer));
	if (cause_cases[_i].cause == NULL)
		ck_assert_msg(line == NULL, "%s: cause \"%s\", want none",
		    cause_cases[_i].name, line);
	else {
		ck_assert_msg(line != NULL, "%s: no cause", cause_cases[_i].name);
		ck_assert_msg(strcmp(line, cause_cases[_i].cause) == 0,
		    "%s: cause \"%s\", want \"%s\"", cause_cases[_i].name, line,
		    cause_cases[_i].cause);
	}
	free(line);
	lines = alert_cause_regions(&m, alert_cause_layer(cause_cases[_i].layer));
	ck_assert_uint_eq(json_array_size(lines), nregions);
	if (cause_cases[_i].line0 != NULL) {
		json_t *x = json_array_get(lines, 0);
		const char *got = json_string_value(json_object_get(x, "line"));

		ck_assert_str_eq(json_string_value(json_object_get(x, "region")),
		    "ap-south");
		ck_assert_msg(got && strcmp(got, cause_cases[_i].line0) == 0,
		    "%s: line \"%s\", want \"%s\"", cause_cases[_i].name, got,
		    cause_cases[_i].line0);
	}
	json_decref(lines);
	alert_cause_clear(&m);
}
END_TEST

/* The line of the region at index i of lines ({"region", "line"}), or "". */
static const char *
line_at(json_t *lines, size_t i)
{
	const char *s = json_string_value(json_object_get(json_array_get(lines, i),
	    "line"));

	return s ? s : "";
}

/* What alert_cause_read takes from the store: inconclusive runs are
 * skipped, two agents of one region count as one region (their newest runs
 * by start time), runs older than CAUSE_STALE_MS are not "now", other
 * services say nothing. */
START_TEST(test_cause_read)
{
	struct env e;
	struct cause_matrix m;
	char err[256], *line;
	json_t *lines;
	int64_t t;

	env_open(&e, FD_DOWN, NULL);
	t = e.now;
	/* us-east: a-us failed 3 in a row 9 minutes ago, then 2 inconclusive
	 * failures (skipped), then a-us2 passed */
	feed_body(&e, "a-us", "fd", "front_door", "FFF", t - 9 * MIN_MS, 1000, 50000,
	    NULL);
	feed_body(&e, "a-us", "fd", "front_door", "FF", t - 60000, 1000, 50000,
	    "{\"inconclusive\": true}");
	feed_body(&e, "a-us2", "fd", "front_door", "O", t - 30000, 1000, 50000, NULL);
	/* its edge passed just before those failures (the origins are judged
	 * up to the front door's newest failure) */
	feed_body(&e, "a-us", "edge", "edge", "OOO", t - 9 * MIN_MS - 5000, 1000,
	    50000, NULL);
	/* eu-central: failing; its edge runs are 11 minutes old */
	feed_body(&e, "a-eu", "fd", "front_door", "FFF", t - 5000, 1000, 50000, NULL);
	feed_body(&e, "a-eu", "edge", "edge", "FFF", t - 11 * MIN_MS, 1000, 50000,
	    NULL);
	memset(&m, 0, sizeof(m));
	ck_assert_msg(alert_cause_read(e.col.st, "micro", t, &m, err, sizeof(err)) ==
	    0, "%s", err);
	lines = alert_cause_regions(&m, CAUSE_FRONT_DOOR);
	ck_assert_uint_eq(json_array_size(lines), 2);
	ck_assert_str_eq(line_at(lines, 0), "eu-central: front door failing (3 of 3 "
	    "runs), edge no recent runs");
	/* O (a-us2, 30 s ago), then F F of a-us's three */
	ck_assert_str_eq(line_at(lines, 1), "us-east: front door failing (2 of 3 "
	    "runs), edge healthy");
	json_decref(lines);
	/* the front door fails in both; the only origin data is healthy */
	line = alert_cause_line(&m, CAUSE_FRONT_DOOR);
	ck_assert_str_eq(line, "front door failing, origins healthy: CDN problem");
	free(line);
	alert_cause_clear(&m);
	/* two minutes on, a-us's runs are stale: only a-us2's pass is now, and
	 * no edge run anywhere (the edge leaves the lines) */
	ck_assert_msg(alert_cause_read(e.col.st, "micro", t + 2 * MIN_MS, &m, err,
	    sizeof(err)) == 0, "%s", err);
	lines = alert_cause_regions(&m, CAUSE_FRONT_DOOR);
	ck_assert_str_eq(line_at(lines, 1), "us-east: front door healthy");
	json_decref(lines);
	alert_cause_clear(&m);
	ck_assert_msg(alert_cause_read(e.col.st, "other", t, &m, err, sizeof(err)) ==
	    0, "%s", err);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_ptr_null(alert_cause_line(&m, CAUSE_FRONT_DOOR));
	alert_cause_clear(&m);
	env_close(&e);
}
END_TEST

static int
cause_row(const struct incident_cause_row *r, void *arg)
{
	json_t *regions = r->regions ? json_loads(r->regions, 0, NULL) : NULL;

	ck_assert_msg(r->regions == NULL || json_is_array(regions), "regions %s",
	    r->regions);
	json_array_append_new(arg, json_pack("{s:I, s:I, s:s, s:o}", "incident",
	    (json_int_t)r->incident_id, "at", (json_int_t)r->at, "cause", r->cause,
	    "regions", regions ? regions : json_null()));
	return 0;
}

/* The cause history of incident: a new array of {incident, at, cause,
 * regions}, oldest first. */
static json_t *
causes(struct env *e, int64_t incident)
{
	json_t *arr = json_array();
	char err[256];

	ck_assert_msg(store_incident_causes_of(e->col.st, incident, cause_row, arr,
	    err, sizeof(err)) == 0, "causes: %s", err);
	return arr;
}

/* Field k ("cause", "at") of the i-th row of a cause history. */
#define H_STR(h, i, k) json_string_value(json_object_get(json_array_get(h, i), k))
#define H_INT(h, i, k) json_integer_value(json_object_get(json_array_get(h, i), k))
#define H_LINE(h, i, r) line_at(json_object_get(json_array_get(h, i), "regions"), r)

/* While an incident is open its cause is judged again at every
 * evaluation: a new line is one more row of its history (the first when
 * it opens) and its context, never a notification; the same line again
 * adds nothing. Its title and summary follow the regions failing now, also
 * without a notification; while no region fails (recovering) it keeps its
 * last words, and the resolve carries them and the last cause. */
START_TEST(test_cause_history)
{
	struct env e;
	json_t *h;
	char *detail = NULL, err[256];
	int64_t t;

	env_open(&e, FD_DOWN, NULL);
	t = e.now;
	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-eu", "fd", "front_door", "FFF");
	feed(&e, "a-ap", "fd", "front_door", "OOO");
	feed(&e, "a-us", "edge", "edge", "OOO");
	feed(&e, "a-eu", "edge", "edge", "OOO");
	feed(&e, "a-us", "central", "central", "OOO");
	ck_assert_int_eq(eval(&e, t), 1);
	h = causes(&e, 1);
	ck_assert_uint_eq(json_array_size(h), 1);
	ck_assert_str_eq(H_STR(h, 0, "cause"), "front door failing, origins healthy: "
	    "CDN problem");
	ck_assert_int_eq(H_INT(h, 0, "at"), t);
	ck_assert_str_eq(H_LINE(h, 0, 0), "ap-south: front door healthy, edge no "
	    "recent runs, central no recent runs");
	ck_assert_str_eq(H_LINE(h, 0, 2), "us-east: front door failing (3 of 3 runs), "
	    "edge healthy, central healthy");
	json_decref(h);
	ck_assert_msg(store_incident_regions_of(e.col.st, 1, &detail, err,
	    sizeof(err)) == 1, "%s", err);
	ck_assert_ptr_nonnull(detail);
	ck_assert_ptr_nonnull(strstr(detail, "eu-central: front door failing (3 of 3 "
	    "runs), edge healthy, central no recent runs"));
	free(detail);

	/* the same again: nothing new */
	ck_assert_int_eq(eval(&e, t + 1000), 0);
	h = causes(&e, 1);
	ck_assert_uint_eq(json_array_size(h), 1);
	json_decref(h);

	/* the edge origin fails in us-east too, then the front door again:
	 * the cause changes, no one is told; the summary gives the newest
	 * failure count */
	feed_body(&e, "a-us", "edge", "edge", "FFF", t + 1000, 1000, 50000, NULL);
	feed_body(&e, "a-us", "fd", "front_door", "F", t + 3500, 1000, 50000, NULL);
	ck_assert_int_eq(eval(&e, t + 5000), 0);
	h = causes(&e, 1);
	ck_assert_uint_eq(json_array_size(h), 2);
	ck_assert_str_eq(H_STR(h, 1, "cause"), "front door failing, edge origin "
	    "failing too: failover is not covering it");
	ck_assert_int_eq(H_INT(h, 1, "at"), t + 5000);
	ck_assert_str_eq(H_LINE(h, 1, 2), "us-east: front door failing (3 of 3 runs), "
	    "edge failing (3 of 3 runs), central healthy");
	json_decref(h);
	ck_field_eq(&e, "front door failing, edge origin failing too: failover is not "
	    "covering it", "incidents", "context", NULL);
	ck_field_has(&e, "us-east: 4 failures in a row", "incidents", "summary", NULL);
	ck_assert_int_eq(count(&e, "deliveries", NULL), 2);
	ck_field_eq(&e, "1", "incidents", "transitions", NULL);

	/* a third region fails: the title says so, still no notification */
	feed_body(&e, "a-ap", "fd", "front_door", "FFF", t + 1000, 1000, 50000, NULL);
	ck_assert_int_eq(eval(&e, t + 6000), 0);
	ck_field_eq(&e, "fd failing in 3 regions", "incidents", "title", NULL);
	ck_assert_int_eq((int64_t)num(&e, "incidents", "updated_at", NULL), t + 6000);
	ck_assert_int_eq(count(&e, "deliveries", NULL), 2);
	h = causes(&e, 1);
	ck_assert_uint_eq(json_array_size(h), 2);
	json_decref(h);

	/* recovering: one pass everywhere, no region fails 3 in a row now:
	 * the incident keeps its words (its cause too: F F O is still 2 of 3) */
	feed_body(&e, "a-us", "fd", "front_door", "O", t + 7000, 1000, 50000, NULL);
	feed_body(&e, "a-eu", "fd", "front_door", "O", t + 7000, 1000, 50000, NULL);
	feed_body(&e, "a-ap", "fd", "front_door", "O", t + 7000, 1000, 50000, NULL);
	ck_assert_int_eq(eval(&e, t + 8000), 0);
	ck_field_eq(&e, "fd failing in 3 regions", "incidents", "title", NULL);
	ck_field_has(&e, "us-east: 4 failures in a row", "incidents", "summary", NULL);
	h = causes(&e, 1);
	ck_assert_uint_eq(json_array_size(h), 2);
	json_decref(h);

	/* resolved: the resolve carries the last title and cause */
	feed_body(&e, "a-us", "fd", "front_door", "O", t + 9000, 1000, 50000, NULL);
	feed_body(&e, "a-eu", "fd", "front_door", "O", t + 9000, 1000, 50000, NULL);
	ck_assert_int_eq(eval(&e, t + 10000), 1);
	ck_field_eq(&e, "resolved", "incidents", "status", NULL);
	one_each(&e, 1, "trigger,resolve");
	ck_field_eq(&e, "fd failing in 3 regions", "deliveries", "payload.title",
	    "event", "resolve", "receiver", "r1", NULL);
	ck_field_eq(&e, "front door failing, edge origin failing too: failover is not "
	    "covering it", "deliveries", "payload.context", "event", "resolve",
	    "receiver", "r2", NULL);
	ck_field_has(&e, "it was: ", "deliveries", "payload.summary", "event",
	    "resolve", "receiver", "r2", NULL);
	ck_field_eq(&e, "front door failing, origins healthy: CDN problem",
	    "deliveries", "payload.context", "event", "trigger", "receiver", "r2",
	    NULL);
	env_close(&e);
}
END_TEST

/* A notification carries what the incident says at that evaluation: a
 * reminder after the cause changed carries the new cause and title. */
START_TEST(test_cause_in_reminder)
{
	struct env e;
	int64_t t;

	env_open(&e, "{\"name\": \"fd-down\", \"type\": \"check_down\", \"selector\": "
	    "{\"layer\": \"front_door\"}, \"repeat\": \"1m\", \"receivers\": "
	    "[\"r1\"]}", NULL);
	t = e.now;
	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-eu", "fd", "front_door", "FFF");
	feed(&e, "a-us", "edge", "edge", "OOO");
	feed(&e, "a-us", "central", "central", "OOO");
	ck_assert_int_eq(eval(&e, t), 1);
	feed_body(&e, "a-us", "central", "central", "FFF", t + 1000, 1000, 50000, NULL);
	feed_body(&e, "a-us", "fd", "front_door", "F", t + 3500, 1000, 50000, NULL);
	feed_body(&e, "a-ap", "fd", "front_door", "FFF", t + 1000, 1000, 50000, NULL);
	ck_assert_int_eq(eval(&e, t + 30000), 0);
	ck_assert_int_eq(eval(&e, t + 61000), 1);
	ck_field_eq(&e, "front door failing, central origin failing too: failover is "
	    "not covering it", "deliveries", "payload.context", "event", "reminder",
	    NULL);
	ck_field_eq(&e, "fd failing in 3 regions", "deliveries", "payload.title",
	    "event", "reminder", NULL);
	ck_field_eq(&e, "front door failing, origins healthy: CDN problem",
	    "deliveries", "payload.context", "event", "trigger", NULL);
	env_close(&e);
}
END_TEST

/* ---- run-driven evaluation ---- */

/* alert_evaluate_runs judges only the rules runs decide: a burn_rate rule
 * that burns waits for the full evaluation (the tick). The burn incident's
 * cause is that of the SLO's layer in the one service its series have. */
START_TEST(test_evaluate_runs_only)
{
	struct env e;
	char pattern[61], err[256];
	int64_t t;

	env_open(&e, FD_DOWN ", {\"name\": \"fd-burn\", \"type\": \"burn_rate\", "
	    "\"slo\": \"fd-avail\", \"receivers\": [\"r1\"]}", NULL);
	env_engine(&e);
	for (int i = 0; i < 60; i++)
		pattern[i] = i % 2 ? 'O' : 'F';
	pattern[60] = '\0';
	t = e.now - e.now % MIN_MS;
	feed_body(&e, "a-us", "fd", "front_door", pattern, t - 10 * MIN_MS, 10000,
	    50000, NULL);
	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-eu", "fd", "front_door", "FFF");
	feed(&e, "a-us", "edge", "edge", "OOO");
	engine_now(&e);
	ck_assert_int_eq(alert_evaluate_runs(e.al, e.now, err, sizeof(err)), 1);
	ck_assert_int_eq(count(&e, "incidents", "rule", "fd-down", NULL), 1);
	ck_assert_int_eq(count(&e, "incidents", "rule", "fd-burn", NULL), 0);
	ck_assert_int_eq(eval(&e, e.now + 1000), 1);
	ck_assert_int_eq(count(&e, "incidents", "rule", "fd-burn", NULL), 1);
	ck_field_eq(&e, "front door failing, origins healthy: CDN problem",
	    "incidents", "context", "rule", "fd-burn", NULL);
	ck_field_has(&e, "SLO fd-avail is burning its error budget (page): ",
	    "incidents", "title", "rule", "fd-burn", NULL);
	env_close(&e);
}
END_TEST

static bool
incident_opened(struct env *e)
{
	return count(e, "incidents", NULL) == 1;
}

/* The alerter's thread evaluates when results arrive, not on its tick (an
 * hour here); a burst of wake-ups makes one or two evaluations, not one
 * each. */
START_TEST(test_wake)
{
	struct env e;
	char err[256];
	int64_t wakes = 0, runs = 0, ticks = 0, deadline;

	env_open_tick(&e, "1h", FD_DOWN, NULL);
	ck_assert_msg(alert_start(e.al, err, sizeof(err)) == 0, "%s", err);
	/* the first evaluation is the tick's, at start */
	deadline = time_now_ms() + 10000;
	do {
		alert_counters(e.al, &wakes, &runs, &ticks);
		if (ticks == 1)
			break;
		usleep(10000);
	} while (time_now_ms() < deadline);
	ck_assert_int_eq(ticks, 1);
	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-eu", "fd", "front_door", "FFF");
	usleep(300000);
	ck_assert(!incident_opened(&e));
	for (int i = 0; i < 1000; i++)
		alert_wake(e.al);
	deadline = time_now_ms() + 10000;
	while (!incident_opened(&e) && time_now_ms() < deadline)
		usleep(10000);
	ck_assert_msg(incident_opened(&e), "no incident 10 s after the results");
	/* whatever evaluation is still due runs within the 200 ms gap */
	usleep(600000);
	alert_counters(e.al, &wakes, &runs, &ticks);
	ck_assert_int_eq(wakes, 1000);
	ck_assert_int_eq(ticks, 1);
	ck_assert_msg(runs >= 1 && runs <= 2, "%lld evaluations for 1000 wake-ups",
	    (long long)runs);
	alert_stop(e.al);
	env_close(&e);
}
END_TEST

/* ---- the delivery queue ---- */

struct claimed {
	int64_t		 id[64];
	int64_t		 attempts[64];
	size_t		 n;
};

static int
claim_fn(const struct delivery_row *d, void *arg)
{
	struct claimed *c = arg;

	ck_assert_str_eq(d->status, "sending");
	ck_assert_uint_lt(c->n, 64);
	c->id[c->n] = d->id;
	c->attempts[c->n++] = d->attempts;
	return 0;
}

static int
claim(struct env *e, int64_t now, size_t limit, struct claimed *c)
{
	char err[256];
	int n;

	memset(c, 0, sizeof(*c));
	n = store_deliveries_claim(e->col.st, now, limit, claim_fn, c, err, sizeof(err));
	ck_assert_msg(n >= 0, "claim: %s", err);
	ck_assert_int_eq((int)c->n, n);
	return n;
}

/* The deliverer's side: a due delivery is claimed ("sending", one more
 * attempt) once and only once; its outcome is recorded only while it is
 * "sending"; a retry is due at its time; what a stopped run left
 * "sending" is failed, never claimed again. */
START_TEST(test_delivery_queue)
{
	struct env e;
	struct claimed c, c2, none;
	char err[256], id[32];
	int64_t due = 0, later;

	env_open(&e, FD_DOWN, NULL);
	feed(&e, "a-us", "fd", "front_door", "FFF");
	feed(&e, "a-eu", "fd", "front_door", "FFF");
	ck_assert_int_eq(eval(&e, e.now), 1);
	ck_assert_int_eq(store_deliveries_next_due(e.col.st, &due, err, sizeof(err)), 0);
	ck_assert_int_eq(due, e.now);
	/* not due before its time */
	ck_assert_int_eq(claim(&e, e.now - 1, 32, &c), 0);
	/* the most overdue first, at most limit, each once */
	ck_assert_int_eq(claim(&e, e.now, 1, &c), 1);
	ck_assert_int_eq(c.attempts[0], 1);
	ck_assert_int_eq(claim(&e, e.now + 1000, 32, &c2), 1);
	ck_assert_int_ne(c2.id[0], c.id[0]);
	ck_assert_int_eq(claim(&e, e.now + 2000, 32, &none), 0);
	ck_assert_int_eq(count(&e, "deliveries", "status", "sending", "attempts", "1",
	    NULL), 2);
	ck_assert_int_eq(store_deliveries_next_due(e.col.st, &due, err, sizeof(err)), 0);
	ck_assert_int_eq(due, 0);

	/* one sent */
	ck_assert_int_eq(store_delivery_mark(e.col.st, c.id[0], "sent", 200, NULL, 0,
	    1, e.now + 50, err, sizeof(err)), 0);
	snprintf(id, sizeof(id), "%lld", (long long)c.id[0]);
	ck_field_eq(&e, "sent", "deliveries", "status", "id", id, NULL);
	ck_field_eq(&e, "200", "deliveries", "last_status", "id", id, NULL);
	ck_assert_int_eq((int64_t)num(&e, "deliveries", "sent_at", "id", id, NULL),
	    e.now + 50);
	/* recorded once: it is not "sending" any more */
	ck_assert_int_eq(store_delivery_mark(e.col.st, c.id[0], "failed", 500, "x", 0,
	    2, e.now + 60, err, sizeof(err)), 1);
	ck_field_eq(&e, "sent", "deliveries", "status", "id", id, NULL);

	/* the other to retry later, then claimed again with its next attempt */
	later = e.now + 30000;
	snprintf(id, sizeof(id), "%lld", (long long)c2.id[0]);
	ck_assert_int_eq(store_delivery_mark(e.col.st, c2.id[0], "pending", 503,
	    "HTTP 503: busy", later, 1, e.now + 70, err, sizeof(err)), 0);
	ck_field_eq(&e, "HTTP 503: busy", "deliveries", "last_error", "id", id, NULL);
	ck_field_eq(&e, "(null)", "deliveries", "sent_at", "id", id, NULL);
	ck_assert_int_eq(store_deliveries_next_due(e.col.st, &due, err, sizeof(err)), 0);
	ck_assert_int_eq(due, later);
	ck_assert_int_eq(claim(&e, later - 1, 32, &c), 0);
	ck_assert_int_eq(claim(&e, later, 32, &c), 1);
	ck_assert_int_eq(c.id[0], c2.id[0]);
	ck_assert_int_eq(c.attempts[0], 2);
	/* claiming cleared the last attempt's outcome */
	ck_field_eq(&e, "(null)", "deliveries", "last_error", "id", id, NULL);

	/* the collector stops while it is sending: failed, never again */
	ck_assert_int_eq(store_deliveries_abandon_sending(e.col.st, "stopped", err,
	    sizeof(err)), 1);
	ck_field_eq(&e, "failed", "deliveries", "status", "id", id, NULL);
	ck_field_eq(&e, "stopped", "deliveries", "last_error", "id", id, NULL);
	ck_assert_int_eq(claim(&e, later + DAY_MS, 32, &c), 0);
	ck_assert_int_eq(store_deliveries_abandon_sending(e.col.st, "stopped", err,
	    sizeof(err)), 0);
	env_close(&e);
}
END_TEST

struct claimer {
	struct env	*e;
	int64_t		 ids[256];
	size_t		 n;
	int		 errors;
};

static void *
claimer_main(void *arg)
{
	struct claimer *cl = arg;
	char err[256];

	for (int idle = 0; idle < 50; ) {
		struct claimed c;
		int n;

		memset(&c, 0, sizeof(c));
		n = store_deliveries_claim(cl->e->col.st, cl->e->now + DAY_MS, 3,
		    claim_fn, &c, err, sizeof(err));
		if (n < 0) {
			cl->errors++;
			continue;
		}
		idle = n == 0 ? idle + 1 : 0;
		for (size_t i = 0; i < c.n && cl->n < 256; i++)
			cl->ids[cl->n++] = c.id[i];
	}
	return NULL;
}

/* Four deliverers claim at once while ingest and the alerter write: every
 * queued delivery is claimed exactly once (a receiver never gets the same
 * notification twice, however busy the DB is). */
START_TEST(test_delivery_claim_once)
{
	struct env e;
	struct claimer cl[4];
	pthread_t th[4];
	char check[16];
	size_t total = 0;
	int64_t *all;

	env_open(&e, FD_DOWN, NULL);
	for (int i = 0; i < 20; i++) {
		snprintf(check, sizeof(check), "fd-%02d", i);
		feed(&e, "a-us", check, "front_door", "FFF");
		feed(&e, "a-eu", check, "front_door", "FFF");
	}
	ck_assert_int_eq(eval(&e, e.now), 20);
	ck_assert_int_eq(count(&e, "deliveries", "status", "pending", NULL), 40);
	memset(cl, 0, sizeof(cl));
	for (int i = 0; i < 4; i++) {
		cl[i].e = &e;
		ck_assert_int_eq(pthread_create(&th[i], NULL, claimer_main, &cl[i]), 0);
	}
	/* meanwhile: batches, and ticks that queue nothing new */
	for (int k = 0; k < 20; k++) {
		feed(&e, "a-ap", "fd-00", "front_door", "OOOOO");
		ck_assert_int_eq(eval(&e, e.now + 1000), 0);
	}
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_int_eq(cl[i].errors, 0);
		total += cl[i].n;
	}
	ck_assert_uint_eq(total, 40);
	all = calloc(total, sizeof(*all));
	ck_assert_ptr_nonnull(all);
	total = 0;
	for (int i = 0; i < 4; i++)
		for (size_t k = 0; k < cl[i].n; k++)
			all[total++] = cl[i].ids[k];
	for (size_t i = 0; i < total; i++)
		for (size_t k = i + 1; k < total; k++)
			ck_assert_msg(all[i] != all[k], "delivery %lld claimed twice",
			    (long long)all[i]);
	free(all);
	ck_assert_int_eq(count(&e, "deliveries", "status", "sending", "attempts", "1",
	    NULL), 40);
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
	tcase_add_loop_test(tc, test_cause_table, 0, (int)(sizeof(cause_cases) /
	    sizeof(cause_cases[0])));
	tcase_add_test(tc, test_cause_read);
	tcase_add_test(tc, test_cause_history);
	tcase_add_test(tc, test_cause_in_reminder);
	tcase_add_test(tc, test_evaluate_runs_only);
	tcase_add_test(tc, test_wake);
	tcase_add_test(tc, test_delivery_queue);
	tcase_add_test(tc, test_delivery_claim_once);
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
