/* test_report: vantage-report end to end. The test builds a collector DB
 * from a scripted scenario (known failures at known times, in known layers
 * and regions: a front-door-only outage, an edge-origin outage absorbed by
 * failover, a central-origin outage that leaks to the front door for 90 s
 * across the October/November month boundary, a single-region blip and a
 * one-minute outage of every layer) through the real store (record_parse,
 * store_ingest, the alerter's and the deliverer's store calls), runs the
 * real binary for every view and format, and compares the output byte for
 * byte with tests/golden/report/ (only `make golden-regen`, which runs
 * this test with --golden-regen, rewrites them), and checks the numbers in
 * those files against a recount of the runs it generated.
 * It also checks the scenario's facts in the JSON, recounts every SLO's
 * good/total from the runs it generated, parses every CSV with an RFC 4180
 * reader, validates every JSON against dist/report.schema.json, checks the
 * exit statuses, and compares the slo numbers with what the real
 * collector's API serves for the same window. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include "cache.h"
#include "errclass.h"
#include "jschema.h"
#include "record.h"
#include "spawn.h"
#include "sqlmig.h"
#include "store.h"
#include "store_alerts.h"

#define RUN_MS		30000	/* one report run, at most */
#define READY_MS	15000	/* the collector's port file, at most */
#define STOP_MS		15000
#define MIN_MS		60000LL
#define BASE_MS		1793480400000LL	/* 2026-10-31T21:00:00Z */
#define SPAN_MIN	300		/* the scenario: 21:00 .. 02:00 */
#define NOW_ARG		"--now=2026-11-01T02:00:00Z"
#define NOV_MS		1793491200000LL	/* 2026-11-01T00:00:00Z */
#define READ_TOKEN	"rep0rt-t0ken-8d1f6c2a"
#define THRESHOLD_US	300000		/* the latency SLO's (slos_json) */
#define RUNS_PER_AGENT	(SPAN_MIN * 2 * 3)

/* core/sql_collector.c: every migration of the collector DB */
extern const char *const collector_migrations[];
extern const size_t collector_migrations_count;

/* One run of the story, as the test generated it (the recount's truth). */
struct srun {
	int		 a, c;		/* agents[], checks[] */
	int64_t		 seq, ts, ms;
	bool		 ok;
	enum errclass	 ec;
	bool		 has_cache;
	enum cache_status cache;
};

/* Shared by every test (built once in main, before the forks). */
static struct {
	char	dir[PATH_MAX / 2];
	char	db[PATH_MAX];		/* the golden scenario */
	char	approx_db[PATH_MAX];	/* the same, latency threshold counted from 11-01 */
	char	conf[PATH_MAX];		/* its SLOs */
	char	live_db[PATH_MAX];	/* the same story ending at the real now */
	char	live_conf[PATH_MAX];	/* a collector config on live_db */
	int64_t	live_base;
	char	golden[PATH_MAX];	/* tests/golden/report in the source tree */
	char	schema[PATH_MAX];	/* dist/report.schema.json */
	bool	regen;
	bool	python;			/* python3 runs */
	bool	jsonschema;		/* ... and has jsonschema */
	int	nruns;
	struct srun runs[3 * RUNS_PER_AGENT];	/* the golden scenario's runs */
} T;

static const char *
report_path(void)
{
	const char *p = getenv("VANTAGE_REPORT");

	return p && *p ? p : "report/vantage-report";
}

static const char *
collector_path(void)
{
	const char *p = getenv("VANTAGE_COLLECTOR");

	return p && *p ? p : "web/vantage-collector";
}

/* ---- the scenario ---- */

static const struct {
	const char	*id, *region, *provider;
	int64_t		 add_ms;	/* network distance to the targets */
} agents[3] = {
	{ "us-east-1a", "us-east", "aws", 0 },
	{ "eu-central-1a", "eu-central", "hetzner", 25 },
	{ "ap-south-1a", "ap-south", "digitalocean", 80 },
};

enum { FD = 0, EDGE, CENTRAL };

static const struct {
	const char	*name, *layer, *provider;
	int64_t		 base_ms;
} checks[3] = {
	{ "micro-front-door", "front_door", "cloudflare", 110 },
	{ "micro-edge-origin", "edge", "cloudflare-workers", 45 },
	{ "micro-central-origin", "central", "aws", 140 },
};

/* in [a, b) minutes after the base? */
static bool
within(int64_t off, double a, double b)
{
	return off >= (int64_t)(a * MIN_MS) && off < (int64_t)(b * MIN_MS);
}

/* The story: what one run of check c by agent a at off ms after the base
 * gives. Every check runs twice a minute from every agent. */
static void
judge(int64_t off, int a, int c, int64_t seq, bool *ok, enum errclass *ec,
    int64_t *ms)
{
	*ok = true;
	*ec = ERRCLASS_NONE;
	*ms = checks[c].base_ms + agents[a].add_ms + (seq * 7919) % 41;
	/* 22:30-22:35 the CDN fails, both origins are fine */
	if (c == FD && within(off, 90, 95)) {
		*ok = false;
		*ec = ERRCLASS_HTTP_STATUS;
	}
	/* 23:10-23:20 the edge origin is down; the front door fails over to
	 * the central origin: still 200, 250 ms slower */
	if (c == EDGE && within(off, 130, 140)) {
		*ok = false;
		*ec = ERRCLASS_CONNECT;
	}
	if (c == FD && within(off, 130, 140))
		*ms += 250;
	/* 23:50-00:10 the central origin is down; the front door fails for
	 * 90 s (23:50:30-23:52:00) until it fails over, then is 40 ms slower */
	if (c == CENTRAL && within(off, 170, 190)) {
		*ok = false;
		*ec = ERRCLASS_HTTP_STATUS;
	}
	if (c == FD && within(off, 170.5, 172)) {
		*ok = false;
		*ec = ERRCLASS_TIMEOUT;
		*ms = 10000;
	}
	if (c == FD && within(off, 172, 190))
		*ms += 40;
	/* 00:40-00:43 ap-south's own network fails: every check from there */
	if (a == 2 && within(off, 220, 223)) {
		*ok = false;
		*ec = ERRCLASS_CONNECT;
	}
	/* 01:20-01:21 DNS fails for everything, everywhere */
	if (within(off, 260, 261)) {
		*ok = false;
		*ec = ERRCLASS_DNS;
		*ms = 5;
	}
}

/* Setup runs before Check does: failures print and exit 99 (a hard error). */
#define setup_req(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "test_report: setup: line %d: %s\n",	\
		    __LINE__, #c);					\
		exit(99);						\
	}								\
} while (0)
#define setup_msg(c, ...) do {						\
	if (!(c)) {							\
		fprintf(stderr, "test_report: setup: " __VA_ARGS__);	\
		fputc('\n', stderr);					\
		exit(99);						\
	}								\
} while (0)

/* The runs of agent a in the story starting at base: every check twice a
 * minute, seq counting from 1. Fills out[RUNS_PER_AGENT]. */
static void
story(int64_t base, int a, struct srun *out)
{
	size_t n = 0;

	for (int m = 0; m < SPAN_MIN; m++) {
		for (int half = 0; half < 2; half++) {
			for (int c = 0; c < 3; c++) {
				struct srun *r = &out[n];
				int64_t off = m * MIN_MS + half * 30000 + a * 10000 + c * 2000;

				memset(r, 0, sizeof(*r));
				r->a = a;
				r->c = c;
				r->seq = (int64_t)n + 1;
				r->ts = base + off;
				judge(off, a, c, r->seq, &r->ok, &r->ec, &r->ms);
				/* the front door's CDN answers 3 of 4 runs from its
				 * cache; the edge origin says it is dynamic; the
				 * central origin sends no cache header */
				if (c != CENTRAL) {
					r->has_cache = true;
					r->cache = c == EDGE ? CACHE_DYNAMIC :
					    half == 0 && m % 2 == 0 ? CACHE_MISS : CACHE_HIT;
				}
				n++;
			}
		}
	}
}

/* The record an agent would send for r. New reference. */
static json_t *
srun_json(const struct srun *r)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:b}",
	    "check", checks[r->c].name, "kind", "http", "service", "micro",
	    "layer", checks[r->c].layer, "provider", checks[r->c].provider,
	    "url", "https://micro.example/", "agent", agents[r->a].id,
	    "region", agents[r->a].region, "seq", (json_int_t)r->seq,
	    "ts", (json_int_t)r->ts, "ok", r->ok);

	setup_req(o != NULL);
	json_object_set_new(o, "error_class", r->ok ? json_null() :
	    json_string(errclass_name(r->ec)));
	json_object_set_new(o, "error", r->ok ? json_null() :
	    json_string("the scenario says so"));
	json_object_set_new(o, "status", r->ec == ERRCLASS_NONE ? json_integer(200) :
	    r->ec == ERRCLASS_HTTP_STATUS ? json_integer(503) : json_null());
	json_object_set_new(o, "total_us", json_integer(r->ms * 1000));
	json_object_set_new(o, "processing_us", json_integer(r->ms * 500));
	json_object_set_new(o, "attempts", json_integer(1));
	if (r->has_cache)
		json_object_set_new(o, "cache", json_string(cache_status_name(r->cache)));
	return o;
}

/* Store the runs of one agent as the collector's ingest does: parse each
 * record, then store_ingest in batches. */
static void
ingest_runs(struct store *st, int a, const struct srun *runs, size_t n)
{
	struct agent_report rep = { agents[a].id, agents[a].region,
		agents[a].provider, "0.1.0", 0, 0 };
	struct record recs[600];
	json_t *js[600];
	bool stored[600];
	char err[512];

	for (size_t off = 0; off < n; off += 600) {
		size_t k = n - off < 600 ? n - off : 600;

		for (size_t i = 0; i < k; i++) {
			js[i] = srun_json(&runs[off + i]);
			setup_msg(record_parse(js[i], agents[a].id, agents[a].region,
			    INT64_MAX, &recs[i], err, sizeof(err)) == 0,
			    "record_parse: %s", err);
		}
		setup_msg(store_ingest(st, &rep, recs, k, stored, 5000, err,
		    sizeof(err)) == 0, "store_ingest: %s", err);
		for (size_t i = 0; i < k; i++) {
			setup_msg(stored[i], "run %zu of agent %d not stored", off + i, a);
			record_clear(&recs[i]);
			json_decref(js[i]);
		}
	}
}

/* The deliveries store_deliveries_claim handed out. */
struct claimed {
	int64_t	n, id;
};

static int
on_claimed(const struct delivery_row *d, void *arg)
{
	struct claimed *c = arg;

	c->n++;
	c->id = d->id;
	return 0;
}

/* Resolve incident id at t (its second transition). */
static void
resolve_incident(struct store *st, int64_t id, int64_t t)
{
	char err[512];
	struct store_tx *tx = store_tx_begin(st, err, sizeof(err));

	setup_msg(tx != NULL, "store_tx_begin: %s", err);
	setup_msg(store_tx_incident_resolve(tx, id, t, 2, NULL, err, sizeof(err)) == 0,
	    "store_tx_incident_resolve: %s", err);
	setup_msg(store_tx_commit(tx, err, sizeof(err)) == 0, "commit: %s", err);
}

/* What the collector's alerter said about some incidents' cause while they
 * were open (minutes after the base): the central origin's incident
 * changes its cause when the front door fails over. */
static void
add_causes(struct store *st, int64_t base)
{
	static const struct {
		int64_t		 id;
		double		 at;
		const char	*cause, *regions;
	} causes[] = {
		{ 1, 91, "front door failing, origins healthy: CDN problem",
		  "[{\"region\":\"ap-south\",\"line\":\"ap-south: front door failing (3 of 3 "
		  "runs), edge healthy, central healthy\"},{\"region\":\"eu-central\","
		  "\"line\":\"eu-central: front door failing (3 of 3 runs), edge healthy, "
		  "central healthy\"},{\"region\":\"us-east\",\"line\":\"us-east: front door "
		  "failing (3 of 3 runs), edge healthy, central healthy\"}]" },
		{ 4, 171, "front door failing, central origin failing too: failover is "
		  "not covering it",
		  "[{\"region\":\"us-east\",\"line\":\"us-east: front door failing (2 of 3 "
		  "runs), edge healthy, central failing (3 of 3 runs)\"}]" },
		{ 4, 173, "central origin failing, front door healthy: failover working",
		  "[{\"region\":\"us-east\",\"line\":\"us-east: front door healthy, edge "
		  "healthy, central failing (3 of 3 runs)\"}]" },
		{ 6, 260 + 40 / 60.0, "front door and every origin failing: the app is "
		  "down", NULL },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
		struct store_tx *tx = store_tx_begin(st, err, sizeof(err));

		setup_msg(tx != NULL, "store_tx_begin: %s", err);
		setup_msg(store_tx_incident_cause(tx, causes[i].id, base +
		    (int64_t)(causes[i].at * MIN_MS), causes[i].cause, causes[i].regions,
		    err, sizeof(err)) == 0, "store_tx_incident_cause: %s", err);
		setup_msg(store_tx_commit(tx, err, sizeof(err)) == 0, "commit: %s", err);
	}
}

/* The incidents the collector would have opened, and their notifications
 * (times in minutes after the base), through the alerter's and the
 * deliverer's store calls. */
static void
add_incidents(const char *path, int64_t base)
{
	static const struct {
		const char *rule, *type, *target, *severity, *title, *context;
		const char *layer, *check, *slo, *regions;
		double start, end;	/* end < 0: still open */
		const char *deliveries;	/* receiver:event:status, ... */
	} inc[] = {
		{ "micro-front-door-down", "check_down", "micro-front-door", "page",
		  "micro-front-door failing in 3 regions",
		  "front door failing, origins healthy: CDN problem", "front_door",
		  "micro-front-door", NULL, "[\"ap-south\",\"eu-central\",\"us-east\"]",
		  91, 96, "ops-slack:trigger:sent pager:trigger:sent "
		  "ops-slack:resolve:sent pager:resolve:sent" },
		{ "micro-front-door-burn", "burn_rate", "", "page",
		  "micro-front-door-availability is burning its error budget",
		  "front door failing, origins healthy: CDN problem", "front_door",
		  NULL, "micro-front-door-availability", NULL, 93, 100,
		  "pager:trigger:sent pager:resolve:failed" },
		{ "micro-origin-down", "check_down", "micro-edge-origin", "ticket",
		  "micro-edge-origin failing in 3 regions",
		  "edge origin failing, front door healthy: failover is working", "edge",
		  "micro-edge-origin", NULL, "[\"ap-south\",\"eu-central\",\"us-east\"]",
		  131, 141, "ops-slack:trigger:sent ops-slack:resolve:sent" },
		{ "micro-origin-down", "check_down", "micro-central-origin", "ticket",
		  "micro-central-origin failing in 3 regions",
		  "central origin failing, front door failing too: failover is not "
		  "covering it", "central", "micro-central-origin", NULL,
		  "[\"ap-south\",\"eu-central\",\"us-east\"]", 171, 191,
		  "ops-slack:trigger:sent ops-slack:resolve:sent" },
		{ "micro-front-door-down", "check_down", "micro-front-door", "page",
		  "micro-front-door failing in 3 regions",
		  "front door failing, central origin failing too: failover is not "
		  "covering it", "front_door", "micro-front-door", NULL,
		  "[\"ap-south\",\"eu-central\",\"us-east\"]", 171.5, 172 + 40 / 60.0,
		  "ops-slack:trigger:sent pager:trigger:sent ops-slack:resolve:sent "
		  "pager:resolve:sent" },
		{ "micro-front-door-down", "check_down", "micro-front-door", "page",
		  "micro-front-door failing in 3 regions",
		  "front door failing, both origins failing too: an origin outage is "
		  "reaching users", "front_door", "micro-front-door", NULL,
		  "[\"ap-south\",\"eu-central\",\"us-east\"]", 260 + 40 / 60.0, 261.5,
		  "ops-slack:trigger:sent pager:trigger:sent ops-slack:resolve:sent "
		  "pager:resolve:pending" },
		{ "micro-cert-expiry", "cert_expiry", "micro-front-door", "ticket",
		  "micro-front-door: certificate expires in 13 days", NULL, "front_door",
		  "micro-front-door", NULL, "[\"us-east\"]", 240, -1,
		  "ops-slack:trigger:sent" },
	};
	char err[512];
	struct store *st = store_open(path, 1, err, sizeof(err));

	setup_msg(st != NULL, "store_open %s: %s", path, err);
	for (size_t i = 0; i < sizeof(inc) / sizeof(inc[0]); i++) {
		int64_t start = base + (int64_t)(inc[i].start * MIN_MS);
		int64_t end = base + (int64_t)(inc[i].end * MIN_MS);
		struct incident_row v;
		struct store_tx *tx;
		bool resolved = false;
		int64_t id;
		char d[256], *p;

		memset(&v, 0, sizeof(v));
		v.rule = inc[i].rule;
		v.rule_type = inc[i].type;
		v.target = inc[i].target;
		v.severity = inc[i].severity;
		v.title = v.summary = inc[i].title;
		v.context = inc[i].context;
		v.service = "micro";
		v.layer = inc[i].layer;
		v.check = inc[i].check;
		v.slo = inc[i].slo;
		v.regions = inc[i].regions;
		tx = store_tx_begin(st, err, sizeof(err));
		setup_msg(tx != NULL, "store_tx_begin: %s", err);
		setup_msg(store_tx_incident_open(tx, &v, start, &id, err, sizeof(err)) == 0,
		    "store_tx_incident_open: %s", err);
		setup_msg(store_tx_commit(tx, err, sizeof(err)) == 0, "commit: %s", err);
		/* ids 1, 2, ... as the report names them (inc-N) */
		setup_msg(id == (int64_t)i + 1, "incident %zu got id %lld", i + 1,
		    (long long)id);
		snprintf(d, sizeof(d), "%s", inc[i].deliveries);
		for (p = d; *p; p += strspn(p, " ")) {
			char *rcv = p, *ev, *stat;
			struct claimed cl = { 0, 0 };
			bool resolve;
			int64_t at;

			p += strcspn(p, " ");
			if (*p)
				*p++ = '\0';
			ev = strchr(rcv, ':');
			setup_req(ev != NULL);
			stat = strchr(ev + 1, ':');
			setup_req(stat != NULL);
			*ev++ = '\0';
			*stat++ = '\0';
			resolve = strcmp(ev, "resolve") == 0;
			at = (resolve ? end : start) + 1500;
			if (resolve && !resolved) {	/* triggers come first */
				resolve_incident(st, id, end);
				resolved = true;
			}
			tx = store_tx_begin(st, err, sizeof(err));
			setup_msg(tx != NULL, "store_tx_begin: %s", err);
			/* the nth transition: trigger 1, resolve 2 */
			setup_msg(store_tx_delivery_queue(tx, id, rcv, ev, resolve ? 2 : 1,
			    "pending", at, "{}", err, sizeof(err)) == 1,
			    "store_tx_delivery_queue: %s", err);
			setup_msg(store_tx_commit(tx, err, sizeof(err)) == 0, "commit: %s", err);
			if (strcmp(stat, "pending") == 0)
				continue;	/* never attempted */
			/* the deliverer: claim it (the only one due), then its outcome */
			setup_msg(store_deliveries_claim(st, at, 10, on_claimed, &cl, err,
			    sizeof(err)) == 1 && cl.n == 1, "store_deliveries_claim: %s", err);
			if (strcmp(stat, "sent") == 0)
				setup_msg(store_delivery_mark(st, cl.id, "sent", 200, NULL, 0, 1,
				    at + 300, err, sizeof(err)) == 0, "store_delivery_mark: %s",
				    err);
			else
				setup_msg(store_delivery_mark(st, cl.id, "failed", 500,
				    "HTTP 500", 0, 8, at + 300, err, sizeof(err)) == 0,
				    "store_delivery_mark: %s", err);
		}
		if (inc[i].end >= 0 && !resolved)
			resolve_incident(st, id, end);
	}
	add_causes(st, base);
	store_close(st);
}

/* Build a collector DB at path holding the story, starting at base. The
 * latency SLO's threshold is configured (store_set_thresholds) once the
 * runs before thr_at are stored (INT64_MIN: on the empty DB, so it is
 * counted exactly from the start). The runs go to out (3 *
 * RUNS_PER_AGENT) when not NULL. */
static void
build_scenario(const char *path, int64_t base, int64_t thr_at, struct srun *out)
{
	struct srun *runs = calloc(3 * RUNS_PER_AGENT, sizeof(*runs));
	int64_t thr = THRESHOLD_US;
	char err[512];
	struct store *st = store_open(path, 1, err, sizeof(err));

	setup_msg(st != NULL, "store_open %s: %s", path, err);
	setup_req(runs != NULL);
	for (int a = 0; a < 3; a++)
		story(base, a, runs + (size_t)a * RUNS_PER_AGENT);
	for (int phase = 0; phase < 2; phase++) {
		if (phase == 1)
			setup_msg(store_set_thresholds(st, &thr, 1, err, sizeof(err)) == 0,
			    "store_set_thresholds: %s", err);
		for (int a = 0; a < 3; a++) {
			const struct srun *r = runs + (size_t)a * RUNS_PER_AGENT;
			size_t k = 0;

			/* an agent's runs are in ts order: those before thr_at first */
			while (k < RUNS_PER_AGENT && r[k].ts < thr_at)
				k++;
			if (phase == 0)
				ingest_runs(st, a, r, k);
			else
				ingest_runs(st, a, r + k, RUNS_PER_AGENT - k);
		}
	}
	store_close(st);
	if (out)
		memcpy(out, runs, 3 * RUNS_PER_AGENT * sizeof(*runs));
	free(runs);
	add_incidents(path, base);
}

static const char slos_json[] =
    "  \"slos\": [\n"
    "    {\"name\": \"micro-front-door-availability\", \"objective\": 99.5,\n"
    "     \"selector\": {\"service\": \"micro\", \"layer\": \"front_door\"}},\n"
    "    {\"name\": \"micro-front-door-latency\", \"objective\": 95, \"sli\": "
    "\"latency\",\n"
    "     \"threshold\": \"300ms\", \"selector\": {\"service\": \"micro\", "
    "\"layer\": \"front_door\"}},\n"
    "    {\"name\": \"micro-edge-origin-availability\", \"objective\": 99.5,\n"
    "     \"selector\": {\"service\": \"micro\", \"layer\": \"edge\"}},\n"
    "    {\"name\": \"micro-central-origin-availability\", \"objective\": 99.5,\n"
    "     \"selector\": {\"service\": \"micro\", \"layer\": \"central\"}}\n"
    "  ]\n";

/* The SLOs of slos_json, for the recount: the layer each selects (service
 * micro) and the latency threshold (0: availability). */
static const struct {
	const char	*name;
	int		 check;		/* the one check of that layer */
	int64_t		 threshold_us;
} slo_defs[] = {
	{ "micro-front-door-availability", FD, 0 },
	{ "micro-front-door-latency", FD, THRESHOLD_US },
	{ "micro-edge-origin-availability", EDGE, 0 },
	{ "micro-central-origin-availability", CENTRAL, 0 },
};
#define NSLOS (sizeof(slo_defs) / sizeof(slo_defs[0]))

/* ---- running the report ---- */

struct run {
	int	 code;
	char	*out, *err;
	size_t	 outlen;
};

static void
run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* Run vantage-report with the NULL-terminated arguments. */
static struct run
run_report(const char *first, ...)
{
	char *argv[32], tag[32];
	struct spawn p;
	struct run r;
	const char *a;
	va_list ap;
	int n = 0;

	memset(&r, 0, sizeof(r));
	argv[n++] = (char *)(uintptr_t)report_path();
	va_start(ap, first);
	for (a = first; a != NULL && n < 31; a = va_arg(ap, const char *))
		argv[n++] = (char *)(uintptr_t)a;
	va_end(ap);
	argv[n] = NULL;
	snprintf(tag, sizeof(tag), "report-%d-%d", (int)getpid(), ++T.nruns);
	ck_assert_msg(spawn_start(&p, T.dir, tag, argv) == 0, "cannot start %s", argv[0]);
	if (spawn_wait(&p, RUN_MS) < 0) {
		spawn_dump(&p, "vantage-report hung");
		ck_abort_msg("vantage-report did not finish within %d ms", RUN_MS);
	}
	r.code = spawn_exit_code(&p);
	r.out = spawn_read_file(p.out_path, &r.outlen);
	r.err = spawn_read_file(p.err_path, NULL);
	ck_assert(r.out != NULL && r.err != NULL);
	if (strstr(r.err, "Sanitizer") || strstr(r.err, "runtime error:")) {
		spawn_dump(&p, "sanitizer report");
		ck_abort_msg("vantage-report: sanitizer report on stderr");
	}
	unlink(p.out_path);
	unlink(p.err_path);
	return r;
}

/* ---- golden files ---- */

static const struct golden {
	const char	*name;		/* tests/golden/report/<name> */
	const char	*args[8];
} goldens[] = {
	{ "slo.txt", { "slo" } },
	{ "slo.md", { "slo", "--format", "markdown" } },
	{ "slo.json", { "slo", "--format", "json" } },
	{ "slo.csv", { "slo", "--format", "csv" } },
	{ "incidents.txt", { "incidents" } },
	{ "incidents.md", { "incidents", "--format", "markdown" } },
	{ "incidents.json", { "incidents", "--format", "json" } },
	{ "incidents.csv", { "incidents", "--format", "csv" } },
	{ "failover.txt", { "failover" } },
	{ "failover.md", { "failover", "--format", "markdown" } },
	{ "failover.json", { "failover", "--format", "json" } },
	{ "failover.csv", { "failover", "--format", "csv" } },
	{ "attribution.txt", { "attribution" } },
	{ "attribution.md", { "attribution", "--format", "markdown" } },
	{ "attribution.json", { "attribution", "--format", "json" } },
	{ "attribution.csv", { "attribution", "--format", "csv" } },
	{ "checks.txt", { "checks" } },
	{ "checks.md", { "checks", "--format", "markdown" } },
	{ "checks.json", { "checks", "--format", "json" } },
	{ "checks.csv", { "checks", "--format", "csv" } },
	{ "slo-by-region.txt", { "slo", "--by", "region" } },
	{ "slo-by-region.json", { "slo", "--by", "region", "--format", "json" } },
	{ "slo-by-check.csv", { "slo", "--by", "check", "--format", "csv" } },
	{ "slo-month-2026-10.txt", { "slo", "--month", "2026-10" } },
	{ "slo-month-2026-11.txt", { "slo", "--month", "2026-11" } },
	{ "slo-month-2026-11.json", { "slo", "--month", "2026-11", "--format", "json" } },
	{ "incidents-month-2026-10.txt", { "incidents", "--month", "2026-10" } },
	{ "incidents-month-2026-11.txt", { "incidents", "--month", "2026-11" } },
	{ "failover-month-2026-11.txt", { "failover", "--month", "2026-11" } },
	{ "attribution-month-2026-10.csv", { "attribution", "--month", "2026-10",
	    "--format", "csv" } },
	{ "slo-window-1h.txt", { "slo", "--window", "1h", "--slo",
	    "micro-front-door-availability" } },
	{ "slo-no-data.txt", { "slo", "--from", "2026-09-01", "--to", "2026-09-02" } },
	{ "slo-no-data.json", { "slo", "--from", "2026-09-01", "--to", "2026-09-02",
	    "--format", "json" } },
	{ "failover-no-data.txt", { "failover", "--from", "2026-09-01T00:00:00Z",
	    "--to", "2026-09-02T00:00:00Z" } },
	{ "checks-no-data.csv", { "checks", "--from", "2026-09-01", "--to",
	    "2026-09-02", "--format", "csv" } },
};
#define NGOLDEN (sizeof(goldens) / sizeof(goldens[0]))

/* Run one golden case on the scenario DB. */
static struct run
run_golden(const struct golden *g)
{
	const char *a[8] = { NULL };

	for (int i = 0; i < 8; i++)
		a[i] = g->args[i];
	return run_report("--db", T.db, "-c", T.conf, NOW_ARG, a[0], a[1], a[2], a[3],
	    a[4], a[5], a[6], a[7], (char *)NULL);
}

/* The first line where a and b differ, for the failure message. */
static void
first_diff(const char *a, const char *b, char *out, size_t outlen)
{
	int line = 1;
	const char *la = a, *lb = b;

	while (*a && *a == *b) {
		if (*a == '\n') {
			line++;
			la = a + 1;
			lb = b + 1;
		}
		a++;
		b++;
	}
	snprintf(out, outlen, "line %d:\n  want: %.*s\n  got:  %.*s", line,
	    (int)strcspn(lb, "\n"), lb, (int)strcspn(la, "\n"), la);
}

START_TEST(test_golden)
{
	const struct golden *g = &goldens[_i];
	struct run r = run_golden(g);
	char path[PATH_MAX + 64], diff[2048];
	char *want;

	ck_assert_msg(r.code == 0, "%s: exit %d: %s", g->name, r.code, r.err);
	snprintf(path, sizeof(path), "%s/%s", T.golden, g->name);
	if (T.regen) {
		ck_assert_msg(spawn_write_file(path, r.out) == 0, "cannot write %s", path);
		fprintf(stderr, "wrote %s\n", path);
	}
	want = spawn_read_file(path, NULL);
	ck_assert_msg(want != NULL, "cannot read %s (make golden-regen writes it)",
	    path);
	if (strcmp(want, r.out) != 0) {
		first_diff(r.out, want, diff, sizeof(diff));
		ck_abort_msg("%s differs from the golden file at %s", g->name, diff);
	}
	free(want);
	run_free(&r);
}
END_TEST

/* ---- the scenario's facts, independent of the golden files ---- */

static json_t *
run_json(const char *view, const char *a1, const char *a2)
{
	struct run r = run_report("--db", T.db, "-c", T.conf, NOW_ARG, "--format",
	    "json", view, a1, a2, (char *)NULL);
	json_error_t e;
	json_t *doc;

	ck_assert_msg(r.code == 0, "%s: exit %d: %s", view, r.code, r.err);
	doc = json_loads(r.out, 0, &e);
	ck_assert_msg(doc != NULL, "%s: not JSON: %s", view, e.text);
	run_free(&r);
	return doc;
}

static json_t *
find_by(json_t *arr, const char *key, const char *value)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o)
		if (json_is_string(json_object_get(o, key)) &&
		    strcmp(json_string_value(json_object_get(o, key)), value) == 0)
			return o;
	return NULL;
}

#define IV(o, k)	json_integer_value(json_object_get((o), (k)))
#define NV(o, k)	json_number_value(json_object_get((o), (k)))

START_TEST(test_slo_facts)
{
	json_t *doc = run_json("slo", NULL, NULL), *slos = json_object_get(doc, "slos");
	json_t *fd = find_by(slos, "name", "micro-front-door-availability");
	json_t *lat = find_by(slos, "name", "micro-front-door-latency");
	json_t *edge = find_by(slos, "name", "micro-edge-origin-availability");
	json_t *central = find_by(slos, "name", "micro-central-origin-availability");
	json_t *st;

	ck_assert(fd && lat && edge && central);
	/* 300 minutes x 2 runs x 3 regions */
	ck_assert_int_eq(IV(fd, "total"), 1800);
	/* 30 (CDN) + 9 (central leak) + 6 (ap-south) + 6 (DNS) */
	ck_assert_int_eq(IV(fd, "bad"), 51);
	ck_assert(fabs(NV(fd, "error_budget") - 9.0) < 1e-9);
	ck_assert(fabs(NV(fd, "budget_remaining") - (1 - 51 / 9.0)) < 1e-9);
	ck_assert(fabs(NV(fd, "availability") - 1749 / 1800.0) < 1e-9);
	st = json_object_get(fd, "longest_bad_stretch");
	ck_assert_int_eq(IV(st, "from"), BASE_MS + 90 * MIN_MS);	/* 22:30 */
	ck_assert_int_eq(IV(st, "duration_ms"), 5 * MIN_MS);
	ck_assert_int_eq(IV(fd, "bad_minutes"), 5 + 2 + 3 + 1);
	/* latency: the 51 failures and the 60 slow runs while the edge was down */
	ck_assert_int_eq(IV(lat, "bad"), 51 + 60);
	st = json_object_get(lat, "longest_bad_stretch");
	ck_assert_int_eq(IV(st, "from"), BASE_MS + 130 * MIN_MS);	/* 23:10 */
	ck_assert_int_eq(IV(st, "duration_ms"), 10 * MIN_MS);
	ck_assert_int_eq(IV(edge, "bad"), 60 + 6 + 6);
	ck_assert_int_eq(IV(central, "bad"), 120 + 6 + 6);
	/* passed front-door runs: 110 ms + 0..80 ms away + 0..40 ms jitter,
	 * some 40 or 250 ms slower */
	ck_assert(NV(json_object_get(fd, "latency"), "p50_ms") > 110 &&
	    NV(json_object_get(fd, "latency"), "p50_ms") < 230);
	ck_assert(NV(json_object_get(fd, "latency"), "p99_ms") > 360);
	json_decref(doc);
}
END_TEST

START_TEST(test_month_boundary)
{
	json_t *oct = run_json("slo", "--month", "2026-10");
	json_t *nov = run_json("slo", "--month", "2026-11");
	json_t *all = run_json("slo", NULL, NULL);
	size_t i;
	json_t *o;

	/* every run falls in exactly one month */
	json_array_foreach(json_object_get(all, "slos"), i, o) {
		json_t *a = json_array_get(json_object_get(oct, "slos"), i);
		json_t *b = json_array_get(json_object_get(nov, "slos"), i);

		ck_assert_int_eq(IV(a, "total") + IV(b, "total"), IV(o, "total"));
		ck_assert_int_eq(IV(a, "good") + IV(b, "good"), IV(o, "good"));
	}
	/* the central outage: 23:50-00:00 in October, 00:00-00:10 in November */
	o = find_by(json_object_get(oct, "slos"), "name",
	    "micro-central-origin-availability");
	ck_assert_int_eq(IV(o, "bad"), 60);
	ck_assert_int_eq(IV(o, "total"), 180 * 6);
	ck_assert_int_eq(IV(json_object_get(oct, "window"), "from"), 1790812800000LL);
	ck_assert_int_eq(IV(json_object_get(oct, "window"), "to"), 1793491200000LL);
	ck_assert_int_eq(IV(json_object_get(nov, "window"), "from"), 1793491200000LL);
	json_decref(oct);
	json_decref(nov);
	json_decref(all);
}
END_TEST

/* A copy of the scenario DB at dir/<name>-<pid>.db into path. */
static void
copy_db(const char *name, char *path, size_t pathlen)
{
	size_t len;
	char *bytes = spawn_read_file(T.db, &len);
	FILE *fp;

	ck_assert(bytes != NULL);
	snprintf(path, pathlen, "%s/%s-%d.db", T.dir, name, (int)getpid());
	fp = fopen(path, "wb");
	ck_assert(fp != NULL && fwrite(bytes, 1, len, fp) == len && fclose(fp) == 0);
	free(bytes);
}

/* retention.minute removed the minutes before 23:00 (the collector's own
 * retention step, at 02:00 keeping 3 h of minutes): the SLO numbers still
 * come whole from the hour rollups, the bad minutes only from the minutes
 * left (and the report says so), the longest bad stretch from the raw
 * results, which are all still kept. */
START_TEST(test_minutes_pruned)
{
	char path[PATH_MAX + 32], err[512];
	struct store *st;
	struct run r;
	json_t *doc, *fd, *stretch;
	int64_t removed, year = 365 * 86400000LL;

	copy_db("pruned", path, sizeof(path));
	st = store_open(path, 1, err, sizeof(err));
	ck_assert_msg(st != NULL, "store_open: %s", err);
	ck_assert_msg(store_prune(st, BASE_MS + SPAN_MIN * MIN_MS, year,
	    (SPAN_MIN - 120) * MIN_MS, year, year, 1000000, &removed, err,
	    sizeof(err)) == 0, "store_prune: %s", err);
	/* 120 minutes x 3 checks x 3 agents */
	ck_assert_int_eq(removed, 120 * 9);
	store_close(st);
	r = run_report("slo", "--db", path, "-c", T.conf, NOW_ARG, "--format", "json",
	    (char *)NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	doc = json_loads(r.out, 0, NULL);
	ck_assert(doc != NULL);
	fd = find_by(json_object_get(doc, "slos"), "name", "micro-front-door-availability");
	ck_assert_int_eq(IV(fd, "total"), 1800);
	ck_assert_int_eq(IV(fd, "bad"), 51);
	stretch = json_object_get(fd, "longest_bad_stretch");
	/* the CDN outage 22:30-22:35 from the runs, before the minutes left */
	ck_assert_int_eq(IV(stretch, "from"), BASE_MS + 90 * MIN_MS);
	ck_assert_int_eq(IV(stretch, "duration_ms"), 5 * MIN_MS);
	ck_assert_str_eq(json_string_value(json_object_get(stretch, "resolution")),
	    "run");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "resolution")), "run");
	ck_assert_int_eq(IV(fd, "bad_minutes"), 2 + 3 + 1);
	ck_assert_msg(strstr(json_string_value(json_array_get(json_object_get(doc,
	    "notes"), 0)), "minute rollups start at 2026-10-31T23:00:00Z") != NULL,
	    "no note about the pruned minutes: %s", r.out);
	json_decref(doc);
	run_free(&r);
}
END_TEST

/* A DB an older collector made (the migrations up to version 5, the layout
 * before the compact one): a read-only reader cannot convert it, so it is
 * refused with a clear message and exit 1 (start the collector on it). */
START_TEST(test_old_schema)
{
	char path[PATH_MAX + 32], err[512];
	struct run r;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/old-%d.db", T.dir, (int)getpid());
	ck_assert_int_ge(collector_migrations_count, 6);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlmig_apply(db, collector_migrations, 5, err, sizeof(err)) == 0,
	    "sqlmig_apply: %s", err);
	sqlite3_close(db);
	r = run_report("checks", "--db", path, (char *)NULL);
	ck_assert_msg(r.code == 1 && strstr(r.err, path) &&
	    strstr(r.err, "older vantage") && strstr(r.err, "start vantage-collector"),
	    "exit %d: %s", r.code, r.err);
	ck_assert_int_eq(r.outlen, 0);
	run_free(&r);
}
END_TEST

/* good/total of SLO def k over the runs the test generated with ts in
 * [from, to), from the region (NULL: every region). */
static void
recount(size_t k, int64_t from, int64_t to, const char *region, int64_t *good,
    int64_t *total)
{
	*good = *total = 0;
	for (size_t i = 0; i < sizeof(T.runs) / sizeof(T.runs[0]); i++) {
		const struct srun *r = &T.runs[i];

		if (r->c != slo_defs[k].check || r->ts < from || r->ts >= to ||
		    (region && strcmp(agents[r->a].region, region) != 0))
			continue;
		(*total)++;
		if (r->ok && (slo_defs[k].threshold_us == 0 ||
		    r->ms * 1000 <= slo_defs[k].threshold_us))
			(*good)++;
	}
}

/* Every SLO (and --by region group) of doc against the recount over the
 * window the report says it covers. */
static void
check_recount(const char *what, json_t *doc)
{
	json_t *o, *g;
	size_t i, j;
	int seen = 0;

	json_array_foreach(json_object_get(doc, "slos"), i, o) {
		const char *name = json_string_value(json_object_get(o, "name"));
		int64_t from = IV(o, "from"), to = IV(o, "to"), good, total;
		size_t k;

		for (k = 0; k < NSLOS && strcmp(slo_defs[k].name, name) != 0; k++)
			;
		ck_assert_msg(k < NSLOS, "%s: unknown SLO %s", what, name);
		recount(k, from, to, NULL, &good, &total);
		ck_assert_msg(IV(o, "good") == good && IV(o, "total") == total,
		    "%s %s: report %lld/%lld, runs %lld/%lld", what, name,
		    (long long)IV(o, "good"), (long long)IV(o, "total"),
		    (long long)good, (long long)total);
		ck_assert_int_eq(IV(o, "bad"), total - good);
		ck_assert(json_object_get(o, "approximate_before") == NULL);
		json_array_foreach(json_object_get(json_object_get(o, "by"), "groups"), j,
		    g) {
			const char *key = json_string_value(json_object_get(g, "key"));

			recount(k, from, to, key, &good, &total);
			ck_assert_msg(IV(g, "good") == good && IV(g, "total") == total,
			    "%s %s region %s: report %lld/%lld, runs %lld/%lld", what, name,
			    key, (long long)IV(g, "good"), (long long)IV(g, "total"),
			    (long long)good, (long long)total);
			ck_assert(total > 0);
			ck_assert(json_object_get(g, "approximate_before") == NULL);
		}
		seen++;
	}
	ck_assert_int_gt(seen, 0);
}

/* The report's good/total equal a recount of the runs the test generated,
 * for every SLO, region and window (latency ones included: counted at
 * ingest against the threshold, not estimated). */
START_TEST(test_slo_recount)
{
	static const char *const args[][4] = {
		{ NULL },
		{ "--by", "region", NULL },
		{ "--month", "2026-10", NULL },
		{ "--month", "2026-11", "--by", "region" },
		{ "--from", "2026-10-31T23:50:30Z", "--to", "2026-11-01T00:41:00Z" },
		{ "--window", "1h", "--slo", "micro-front-door-latency" },
	};

	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		struct run r = run_report("slo", "--db", T.db, "-c", T.conf, NOW_ARG,
		    "--format", "json", args[i][0], args[i][1], args[i][2], args[i][3],
		    (char *)NULL);
		char what[128];
		json_t *doc;

		snprintf(what, sizeof(what), "slo %s %s %s %s", args[i][0] ? args[i][0] :
		    "", args[i][0] && args[i][1] ? args[i][1] : "",
		    args[i][0] && args[i][2] ? args[i][2] : "",
		    args[i][0] && args[i][2] && args[i][3] ? args[i][3] : "");
		ck_assert_msg(r.code == 0, "%s: exit %d: %s", what, r.code, r.err);
		doc = json_loads(r.out, 0, NULL);
		ck_assert(doc != NULL);
		check_recount(what, doc);
		json_decref(doc);
		run_free(&r);
	}
}
END_TEST

/* ---- the golden files against a recount of the story's runs ---- */

/* What the runs the test generated (T.runs) say, counted here from
 * scratch, for one SLO (or one check) over [from, to) in one region. */
struct tally {
	int64_t	 good, total, bad_minutes;
	int64_t	 errors[ERRCLASS_COUNT];	/* failed runs by class */
	int64_t	 hits, lookups;			/* cache */
	int64_t	 st_from, st_to, st_runs;	/* longest bad stretch; 0 runs: none */
	bool	 st_ongoing;
};

static int
by_ts(const void *a, const void *b)
{
	const struct srun *x = *(const struct srun *const *)a;
	const struct srun *y = *(const struct srun *const *)b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* Tally the runs of check c (threshold_us > 0: a latency SLO, good is ok
 * and at most that long) with ts in [from, to), from region (NULL: all).
 * The longest bad stretch: the longest series of consecutive bad runs in
 * start order, from the first one's start to the next good run's (or to
 * the window's end: ongoing); the earliest of equals. */
static void
tally(int c, int64_t threshold_us, int64_t from, int64_t to, const char *region,
    struct tally *t)
{
	static const struct srun *v[3 * RUNS_PER_AGENT];
	bool minute_bad[SPAN_MIN] = { false };
	size_t n = 0;
	int64_t cur = -1, cur_runs = 0;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < sizeof(T.runs) / sizeof(T.runs[0]); i++) {
		const struct srun *r = &T.runs[i];

		if (r->c == c && r->ts >= from && r->ts < to && (region == NULL ||
		    strcmp(agents[r->a].region, region) == 0))
			v[n++] = r;
	}
	qsort(v, n, sizeof(v[0]), by_ts);
	for (size_t i = 0; i < n; i++) {
		const struct srun *r = v[i];
		bool good = r->ok && (threshold_us == 0 || r->ms * 1000 <= threshold_us);

		t->total++;
		if (!r->ok)
			t->errors[r->ec]++;
		if (r->has_cache && r->cache != CACHE_UNKNOWN) {
			t->lookups++;
			t->hits += r->cache == CACHE_HIT || r->cache == CACHE_STALE;
		}
		if (good) {
			t->good++;
			if (cur >= 0 && r->ts - cur > t->st_to - t->st_from) {
				t->st_from = cur;
				t->st_to = r->ts;
				t->st_runs = cur_runs;
			}
			cur = -1;
			continue;
		}
		minute_bad[(r->ts - BASE_MS) / MIN_MS] = true;
		if (cur < 0) {
			cur = r->ts;
			cur_runs = 0;
		}
		cur_runs++;
	}
	if (cur >= 0 && to - cur > t->st_to - t->st_from) {
		t->st_from = cur;
		t->st_to = to;
		t->st_runs = cur_runs;
		t->st_ongoing = true;
	}
	for (int m = 0; m < SPAN_MIN; m++)
		t->bad_minutes += minute_bad[m];
}

/* The objective of SLO k as a fraction, read from the config the test
 * gives vantage-report (slos_json), not from any code under test. */
static double
slo_objective(size_t k)
{
	char *text;
	json_t *doc, *o;
	double v = -1;
	size_t i;

	ck_assert(asprintf(&text, "{%s}", slos_json) > 0);
	doc = json_loads(text, 0, NULL);
	ck_assert_msg(doc != NULL, "slos_json is not JSON");
	json_array_foreach(json_object_get(doc, "slos"), i, o)
		if (strcmp(json_string_value(json_object_get(o, "name")),
		    slo_defs[k].name) == 0)
			v = json_number_value(json_object_get(o, "objective")) / 100;
	json_decref(doc);
	free(text);
	ck_assert_msg(v > 0 && v < 1, "no objective for %s", slo_defs[k].name);
	return v;
}

/* slo_defs[] index of the SLO named name. */
static size_t
slo_def(const char *what, const char *name)
{
	size_t k;

	for (k = 0; k < NSLOS && strcmp(slo_defs[k].name, name) != 0; k++)
		;
	ck_assert_msg(k < NSLOS, "%s: unknown SLO %s", what, name);
	return k;
}

/* The error budget and what is left of it, for objective o. */
static double
budget_of(double o, const struct tally *t)
{
	return (1 - o) * (double)t->total;
}

static double
remaining_of(double o, const struct tally *t)
{
	return 1 - (double)(t->total - t->good) / budget_of(o, t);
}

/* Two printed numbers agree to the precision printed (10 digits). */
static bool
near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * (fabs(b) > 1 ? fabs(b) : 1);
}

/* A golden file's text (caller frees). */
static char *
golden_text(const char *name)
{
	char path[PATH_MAX + 64];
	char *text;

	snprintf(path, sizeof(path), "%s/%s", T.golden, name);
	text = spawn_read_file(path, NULL);
	ck_assert_msg(text != NULL, "cannot read %s", path);
	return text;
}

/* One SLO object (or --by group) of a JSON golden against the tally. */
static void
json_slo_vs(const char *what, json_t *o, double objective, const struct tally *t)
{
	json_t *st = json_object_get(o, "longest_bad_stretch");

	ck_assert_msg(IV(o, "good") == t->good && IV(o, "total") == t->total &&
	    IV(o, "bad") == t->total - t->good, "%s: good/total/bad %lld/%lld/%lld, "
	    "the runs %lld/%lld/%lld", what, (long long)IV(o, "good"),
	    (long long)IV(o, "total"), (long long)IV(o, "bad"), (long long)t->good,
	    (long long)t->total, (long long)(t->total - t->good));
	ck_assert_msg(IV(o, "bad_minutes") == t->bad_minutes, "%s: %lld bad minutes, "
	    "the runs %lld", what, (long long)IV(o, "bad_minutes"),
	    (long long)t->bad_minutes);
	ck_assert_msg(near(NV(o, "error_budget"), budget_of(objective, t)),
	    "%s: error budget %g, the runs %g", what, NV(o, "error_budget"),
	    budget_of(objective, t));
	if (t->total == 0) {
		ck_assert_msg(json_is_null(json_object_get(o, "availability")) &&
		    json_is_null(st), "%s: numbers without runs", what);
		return;
	}
	ck_assert_msg(near(NV(o, "availability"), (double)t->good / (double)t->total),
	    "%s: availability %.10g, the runs %.10g", what, NV(o, "availability"),
	    (double)t->good / (double)t->total);
	ck_assert_msg(near(NV(o, "budget_remaining"), remaining_of(objective, t)),
	    "%s: budget remaining %.10g, the runs %.10g", what,
	    NV(o, "budget_remaining"), remaining_of(objective, t));
	if (t->st_runs == 0) {
		ck_assert_msg(json_is_null(st), "%s: a bad stretch without bad runs",
		    what);
		return;
	}
	ck_assert_msg(IV(st, "from") == t->st_from && IV(st, "to") == t->st_to &&
	    IV(st, "duration_ms") == t->st_to - t->st_from &&
	    IV(st, "bad") == t->st_runs && IV(st, "total") == t->st_runs &&
	    json_is_true(json_object_get(st, "ongoing")) == t->st_ongoing,
	    "%s: longest bad stretch %lld..%lld (%lld runs, ongoing %d), the runs "
	    "%lld..%lld (%lld, %d)", what, (long long)IV(st, "from"),
	    (long long)IV(st, "to"), (long long)IV(st, "bad"),
	    json_is_true(json_object_get(st, "ongoing")), (long long)t->st_from,
	    (long long)t->st_to, (long long)t->st_runs, t->st_ongoing);
}

/* A JSON golden of the slo view: every SLO and group against the runs. */
static int
golden_slo_json(const char *name)
{
	char *text = golden_text(name), what[256];
	json_t *doc = json_loads(text, 0, NULL), *o, *g;
	const char *by;
	size_t i, j;
	int n = 0;

	ck_assert_msg(doc != NULL, "%s: not JSON", name);
	by = json_string_value(json_object_get(doc, "by"));
	json_array_foreach(json_object_get(doc, "slos"), i, o) {
		const char *slo = json_string_value(json_object_get(o, "name"));
		size_t k = slo_def(name, slo);
		struct tally t;

		ck_assert(near(NV(o, "objective"), slo_objective(k)));
		tally(slo_defs[k].check, slo_defs[k].threshold_us, IV(o, "from"),
		    IV(o, "to"), NULL, &t);
		snprintf(what, sizeof(what), "%s %s", name, slo);
		json_slo_vs(what, o, slo_objective(k), &t);
		n++;
		json_array_foreach(json_object_get(json_object_get(o, "by"), "groups"), j,
		    g) {
			const char *key = json_string_value(json_object_get(g, "key"));

			ck_assert_msg(by && strcmp(by, "region") == 0, "%s: groups by %s",
			    name, by ? by : "nothing");
			tally(slo_defs[k].check, slo_defs[k].threshold_us, IV(o, "from"),
			    IV(o, "to"), key, &t);
			ck_assert_msg(t.total > 0, "%s: a group %s without runs", what, key);
			snprintf(what, sizeof(what), "%s %s region %s", name, slo, key);
			json_slo_vs(what, g, slo_objective(k), &t);
			n++;
		}
	}
	json_decref(doc);
	free(text);
	return n;
}

/* RFC 3339 UTC ("2026-10-31T22:30:00Z") or "YYYY-MM-DD HH:MM[:SS]" to
 * Unix ms; -1 if it is neither. */
static int64_t
parse_utc(const char *s)
{
	struct tm tm;
	int sec = 0, n;

	memset(&tm, 0, sizeof(tm));
	n = sscanf(s, "%d-%d-%d%*[T ]%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &sec);
	if (n < 5)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_sec = n == 6 ? sec : 0;
	return (int64_t)timegm(&tm) * 1000;
}

/* The fields of one CSV line (no quoting in these files), at most max. */
static int
csv_split(char *line, char **f, int max)
{
	int n = 0;

	ck_assert_msg(strchr(line, '"') == NULL, "a quoted CSV field: %s", line);
	for (char *p = line; n < max; ) {
		f[n++] = p;
		if ((p = strchr(p, ',')) == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

/* A CSV golden of the slo view (one row per SLO and group) against the
 * runs. */
static int
golden_slo_csv(const char *name)
{
	static const char head[] = "slo,group_by,group,objective,sli,from,to,good,"
	    "total,bad,availability,error_budget,budget_remaining,bad_minutes,"
	    "longest_bad_from,longest_bad_to,longest_bad_minutes,";
	char *text = golden_text(name), *line, *save = NULL, *f[32], what[256];
	int n = 0;

	ck_assert_msg(strncmp(text, head, sizeof(head) - 1) == 0, "%s: the columns "
	    "changed: %.200s", name, text);
	line = strtok_r(text, "\n", &save);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		struct tally t;
		size_t k;
		const char *region = NULL;
		double o;

		ck_assert_msg(csv_split(line, f, 32) >= 17, "%s: a short row: %s", name,
		    line);
		k = slo_def(name, f[0]);
		o = slo_objective(k);
		ck_assert(near(strtod(f[3], NULL), o));
		if (strcmp(f[1], "region") == 0)
			region = f[2];
		else if (strcmp(f[1], "check") == 0)
			ck_assert_msg(strcmp(f[2], checks[slo_defs[k].check].name) == 0,
			    "%s: SLO %s selects no check %s", name, f[0], f[2]);
		else
			ck_assert_msg(f[1][0] == '\0', "%s: grouped by %s", name, f[1]);
		tally(slo_defs[k].check, slo_defs[k].threshold_us, parse_utc(f[5]),
		    parse_utc(f[6]), region, &t);
		snprintf(what, sizeof(what), "%s %s %s %s", name, f[0], f[1], f[2]);
		ck_assert_msg(strtoll(f[7], NULL, 10) == t.good &&
		    strtoll(f[8], NULL, 10) == t.total &&
		    strtoll(f[9], NULL, 10) == t.total - t.good, "%s: good/total/bad "
		    "%s/%s/%s, the runs %lld/%lld", what, f[7], f[8], f[9],
		    (long long)t.good, (long long)t.total);
		ck_assert_msg(strtoll(f[13], NULL, 10) == t.bad_minutes, "%s: %s bad "
		    "minutes, the runs %lld", what, f[13], (long long)t.bad_minutes);
		ck_assert_msg(near(strtod(f[11], NULL), budget_of(o, &t)), "%s: budget %s",
		    what, f[11]);
		if (t.total > 0) {
			ck_assert_msg(near(strtod(f[10], NULL), (double)t.good /
			    (double)t.total), "%s: availability %s", what, f[10]);
			ck_assert_msg(near(strtod(f[12], NULL), remaining_of(o, &t)),
			    "%s: budget remaining %s, the runs %.10g", what, f[12],
			    remaining_of(o, &t));
		}
		if (t.st_runs > 0)
			ck_assert_msg(parse_utc(f[14]) == t.st_from &&
			    parse_utc(f[15]) == t.st_to && near(strtod(f[16], NULL),
			    (double)(t.st_to - t.st_from) / MIN_MS), "%s: longest bad "
			    "stretch %s..%s (%s min), the runs %lld..%lld", what, f[14],
			    f[15], f[16], (long long)t.st_from, (long long)t.st_to);
		else
			ck_assert_msg(f[14][0] == '\0', "%s: a stretch without bad runs",
			    what);
		n++;
	}
	free(text);
	return n;
}

/* "5m", "9m56s", "45s": how the text and Markdown say a duration (under
 * an hour). */
static void
say_duration(int64_t ms, char *out, size_t len)
{
	int64_t s = ms / 1000;

	if (s >= 60 && s % 60)
		snprintf(out, len, "%lldm%llds", (long long)(s / 60), (long long)(s % 60));
	else if (s >= 60)
		snprintf(out, len, "%lldm", (long long)(s / 60));
	else
		snprintf(out, len, "%llds", (long long)s);
}

/* A text or Markdown golden of the slo view: each row (an SLO, or one of
 * its regions) against the runs over the window its header names. */
static int
golden_slo_text(const char *name)
{
	char *text = golden_text(name), *line, *save = NULL, what[256];
	int64_t from = -1, to = -1;
	size_t k = NSLOS;
	int n = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n",
	    &save)) {
		char *p, *dots = strstr(line, " .. "), first[128], region[64];
		long long good, total, bad;
		double avail, allowed, left;
		struct tally t;
		int got, used = 0;

		if (from < 0 && dots != NULL) {
			for (p = dots; p > line && !(p[-1] == ' ' && p[-2] == ':' ) &&
			    !(p[-1] == ' ' && p[-2] == '*'); p--)
				;
			from = parse_utc(p);
			to = parse_utc(dots + 4);
			ck_assert_msg(from > 0 && to > from, "%s: no window in %s", name, line);
			continue;
		}
		for (p = line; *p; p++)
			if (*p == '|')
				*p = ' ';
		region[0] = '\0';
		if (sscanf(line, " %127s%n", first, &used) != 1)
			continue;
		if (strcmp(first, "region") == 0 && k < NSLOS) {
			int more = 0;

			if (sscanf(line + used, " %63s%n", region, &more) != 1)
				continue;
			used += more;
		} else {
			for (k = 0; k < NSLOS && strcmp(slo_defs[k].name, first) != 0; k++)
				;
			if (k == NSLOS)
				continue;	/* a header, a rule, a note */
		}
		ck_assert_msg(from > 0, "%s: a row before the window", name);
		got = sscanf(line + used, " %*s %lld/%lld %lld %lf%% %lf %lf%%", &good,
		    &total, &bad, &avail, &allowed, &left);
		ck_assert_msg(got >= 3, "%s: cannot read the row %s", name, line);
		tally(slo_defs[k].check, slo_defs[k].threshold_us, from, to,
		    region[0] ? region : NULL, &t);
		snprintf(what, sizeof(what), "%s %s%s%s", name, slo_defs[k].name,
		    region[0] ? " region " : "", region);
		ck_assert_msg(good == t.good && total == t.total && bad == t.total - t.good,
		    "%s: %lld/%lld, %lld bad; the runs %lld/%lld", what, good, total, bad,
		    (long long)t.good, (long long)t.total);
		if (t.total == 0) {
			ck_assert_msg(got == 3, "%s: numbers without runs", what);
			n++;
			continue;
		}
		ck_assert_msg(got == 6, "%s: cannot read the numbers of %s", what, line);
		ck_assert_msg(fabs(avail - 100.0 * (double)t.good / (double)t.total) <=
		    0.0005 + 1e-9 && fabs(allowed - budget_of(slo_objective(k), &t)) <=
		    0.05 + 1e-9 && fabs(left - 100 * remaining_of(slo_objective(k), &t)) <=
		    0.05 + 1e-9, "%s: %.3f%% available, %.1f allowed bad, %.1f%% left; the "
		    "runs %.4f%%, %.2f, %.2f%%", what, avail, allowed, left,
		    100.0 * (double)t.good / (double)t.total,
		    budget_of(slo_objective(k), &t),
		    100 * remaining_of(slo_objective(k), &t));
		if (t.st_runs > 0 && t.st_to - t.st_from < 3600000) {
			char dur[32], at[64], want[160];
			time_t s = (time_t)(t.st_from / 1000);
			struct tm tm;

			gmtime_r(&s, &tm);
			strftime(at, sizeof(at), tm.tm_sec ? "%Y-%m-%d %H:%M:%S" :
			    "%Y-%m-%d %H:%M", &tm);
			say_duration(t.st_to - t.st_from, dur, sizeof(dur));
			snprintf(want, sizeof(want), " %s at %s%s ", dur, at,
			    t.st_ongoing ? " (ongoing)" : "");
			ck_assert_msg(strstr(line, want) != NULL, "%s: the longest bad "
			    "stretch is not \"%s\": %s", what, want + 1, line);
		}
		n++;
	}
	free(text);
	return n;
}

/* The checks view's JSON golden: each check's counts, errors by class,
 * top error and cache hit ratio against the runs. */
static int
golden_checks_json(const char *name)
{
	char *text = golden_text(name);
	json_t *doc = json_loads(text, 0, NULL), *w, *o;
	const char *lists[] = { "worst_availability", "slowest_p99" };
	int n = 0;
	size_t i;

	ck_assert_msg(doc != NULL, "%s: not JSON", name);
	w = json_object_get(doc, "window");
	for (size_t l = 0; l < 2; l++)
		json_array_foreach(json_object_get(doc, lists[l]), i, o) {
			const char *check = json_string_value(json_object_get(o, "check"));
			json_t *errs = json_object_get(o, "errors"), *hit;
			struct tally t;
			int c, top = ERRCLASS_NONE;

			for (c = 0; c < 3 && strcmp(checks[c].name, check) != 0; c++)
				;
			ck_assert_msg(c < 3, "%s: unknown check %s", name, check);
			tally(c, 0, IV(w, "from"), IV(w, "to"), NULL, &t);
			ck_assert_msg(IV(o, "total") == t.total && IV(o, "good") == t.good &&
			    IV(o, "bad") == t.total - t.good, "%s %s: %lld/%lld, the runs "
			    "%lld/%lld", name, check, (long long)IV(o, "good"),
			    (long long)IV(o, "total"), (long long)t.good, (long long)t.total);
			for (int e = 1; e < ERRCLASS_COUNT; e++) {
				ck_assert_msg(IV(errs, errclass_name((enum errclass)e)) ==
				    t.errors[e], "%s %s: %lld %s errors, the runs %lld", name,
				    check, (long long)IV(errs, errclass_name((enum errclass)e)),
				    errclass_name((enum errclass)e), (long long)t.errors[e]);
				if (t.errors[e] > t.errors[top])
					top = e;
			}
			ck_assert_msg(top != ERRCLASS_NONE && strcmp(json_string_value(
			    json_object_get(o, "top_error")), errclass_name((enum errclass)top))
			    == 0, "%s %s: top error %s", name, check,
			    json_string_value(json_object_get(o, "top_error")));
			hit = json_object_get(o, "cache_hit_ratio");
			ck_assert_msg(t.lookups == 0 ? json_is_null(hit) : near(
			    json_number_value(hit), (double)t.hits / (double)t.lookups),
			    "%s %s: cache hit ratio, the runs %lld of %lld", name, check,
			    (long long)t.hits, (long long)t.lookups);
			n++;
		}
	json_decref(doc);
	free(text);
	return n;
}

/* The numbers in the golden files are the story's, recounted here from
 * the runs the test generated: every SLO and group of the slo view in
 * JSON, CSV, text and Markdown (good, total, bad, availability, budget and
 * what is left, bad minutes, the longest bad stretch), and the checks
 * view's counts. A golden file rewritten from a wrong report fails here,
 * whatever the byte-for-byte comparison says. */
START_TEST(test_golden_recount)
{
	static const char *const jsons[] = { "slo.json", "slo-by-region.json",
		"slo-month-2026-11.json", "slo-no-data.json" };
	static const char *const csvs[] = { "slo.csv", "slo-by-check.csv" };
	static const char *const texts[] = { "slo.txt", "slo.md", "slo-by-region.txt",
		"slo-month-2026-10.txt", "slo-month-2026-11.txt", "slo-window-1h.txt",
		"slo-no-data.txt" };
	int n = 0, rows;

	for (size_t i = 0; i < sizeof(jsons) / sizeof(jsons[0]); i++) {
		ck_assert_msg((rows = golden_slo_json(jsons[i])) >= 4, "%s: %d SLOs",
		    jsons[i], rows);
		n += rows;
	}
	for (size_t i = 0; i < sizeof(csvs) / sizeof(csvs[0]); i++) {
		ck_assert_msg((rows = golden_slo_csv(csvs[i])) >= 4, "%s: %d rows",
		    csvs[i], rows);
		n += rows;
	}
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		ck_assert_msg((rows = golden_slo_text(texts[i])) >= 1, "%s: %d rows",
		    texts[i], rows);
		n += rows;
	}
	ck_assert_int_eq(golden_checks_json("checks.json"), 6);
	fprintf(stderr, "test_report: %d rows of the golden files agree with a "
	    "recount of the runs\n", n + 6);
}
END_TEST

/* A latency threshold configured after the data of 10-31 was stored: the
 * rollups before the day it is counted from (11-01) answer from the
 * sketch, and the report says so. */
START_TEST(test_latency_approximate)
{
	struct run r = run_report("slo", "--db", T.approx_db, "-c", T.conf, NOW_ARG,
	    "--format", "json", "--by", "region", (char *)NULL);
	json_t *doc, *o, *g, *notes;
	size_t i;
	bool noted = false;

	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	doc = json_loads(r.out, 0, NULL);
	ck_assert(doc != NULL);
	json_array_foreach(json_object_get(doc, "slos"), i, o) {
		const char *name = json_string_value(json_object_get(o, "name"));
		json_t *ab = json_object_get(o, "approximate_before");

		if (strcmp(name, "micro-front-door-latency") != 0) {
			ck_assert_msg(ab == NULL, "%s: approximate_before", name);
			continue;
		}
		/* the day of 10-31 came from the day rollup, before 11-01 */
		ck_assert_msg(json_is_integer(ab) && json_integer_value(ab) == NOV_MS,
		    "approximate_before: %s", r.out);
		json_array_foreach(json_object_get(json_object_get(o, "by"), "groups"),
		    i, g)
			ck_assert_int_eq(IV(g, "approximate_before"), NOV_MS);
	}
	notes = json_object_get(doc, "notes");
	json_array_foreach(notes, i, o)
		noted = noted || (strstr(json_string_value(o), "micro-front-door-latency") &&
		    strstr(json_string_value(o), "2026-11-01T00:00:00Z"));
	ck_assert_msg(noted, "no note: %s", r.out);
	json_decref(doc);
	run_free(&r);
	/* the text says it too; November alone is exact */
	r = run_report("slo", "--db", T.approx_db, "-c", T.conf, NOW_ARG, (char *)NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "Notes:") &&
	    strstr(r.out, "approximate"), "exit %d: %s%s", r.code, r.out, r.err);
	run_free(&r);
	r = run_report("slo", "--db", T.approx_db, "-c", T.conf, NOW_ARG, "--month",
	    "2026-11", "--format", "json", (char *)NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "approximate") == NULL,
	    "exit %d: %s%s", r.code, r.out, r.err);
	run_free(&r);
}
END_TEST

/* The checks view's cache-hit ratio: 3 of 4 front-door runs are hits, the
 * edge origin's are all dynamic (0), the central origin has no cache data. */
START_TEST(test_checks_cache_facts)
{
	json_t *doc = run_json("checks", NULL, NULL), *o;
	size_t i;

	ck_assert_int_eq(json_array_size(json_object_get(doc, "worst_availability")), 3);
	json_array_foreach(json_object_get(doc, "worst_availability"), i, o) {
		const char *name = json_string_value(json_object_get(o, "check"));
		json_t *r = json_object_get(o, "cache_hit_ratio");

		if (strcmp(name, "micro-front-door") == 0)
			ck_assert_msg(json_is_real(r) && fabs(json_real_value(r) - 0.75) < 0.01,
			    "front door cache_hit_ratio %g", json_number_value(r));
		else if (strcmp(name, "micro-edge-origin") == 0)
			ck_assert(json_is_number(r) && json_number_value(r) == 0);
		else
			ck_assert(json_is_null(r));
	}
	json_decref(doc);
}
END_TEST

/* The story's runs: agent a runs check c at a * 10 s + c * 2 s and 30 s
 * later in every minute; a failing stretch runs from the first failed run
 * to the next passed one (every time below follows from that). */
#define AT(min, a, c)	(BASE_MS + (min) * MIN_MS + (a) * 10000 + (c) * 2000)

START_TEST(test_failover_facts)
{
	json_t *doc = run_json("failover", NULL, NULL);
	json_t *eps = json_object_get(doc, "episodes"), *e, *fd, *r;

	ck_assert_str_eq(json_string_value(json_object_get(doc, "resolution")), "run");
	/* edge 23:10-23:20, central 23:50-00:10, ap-south's network (edge and
	 * central there) and DNS (edge and central everywhere) */
	ck_assert_int_eq(json_array_size(eps), 6);
	/* edge: us-east's first failure to ap-south's first pass after */
	e = json_array_get(eps, 0);
	fd = json_object_get(e, "front_door");
	ck_assert_str_eq(json_string_value(json_object_get(e, "origin")), "edge");
	ck_assert_str_eq(json_string_value(json_object_get(e, "resolution")), "run");
	ck_assert_int_eq(IV(e, "from"), AT(130, 0, EDGE));
	ck_assert_int_eq(IV(e, "to"), AT(140, 2, EDGE));
	ck_assert(json_is_true(json_object_get(e, "absorbed")));
	ck_assert(json_is_false(json_object_get(e, "impact")));
	ck_assert(json_is_null(json_object_get(e, "time_to_recovery_ms")));
	ck_assert_str_eq(json_string_value(json_object_get(fd, "kept_answering")), "yes");
	ck_assert_int_eq(IV(fd, "bad"), 0);
	/* 10 minutes of 6 front-door runs, less us-east's at 23:10:00, and
	 * the 3 at 23:20:00, :10 and :20 */
	ck_assert_int_eq(IV(fd, "total"), 60 - 1 + 3);
	/* each region's own interval: us-east 23:10:02-23:20:02 */
	ck_assert_int_eq(json_array_size(json_object_get(e, "regions")), 3);
	r = find_by(json_object_get(e, "regions"), "region", "us-east");
	ck_assert_int_eq(IV(r, "from"), AT(130, 0, EDGE));
	ck_assert_int_eq(IV(r, "to"), AT(140, 0, EDGE));
	ck_assert_int_eq(IV(r, "bad"), 20);
	/* the failover costs about 250 ms */
	ck_assert(fabs(NV(fd, "added_p50_ms") - 250) < 25);
	/* central: the front door fails 23:50:30-23:52:00 in us-east (+10 s,
	 * +20 s for the others): 9 runs; it passes again everywhere at
	 * 23:52:20 */
	e = json_array_get(eps, 1);
	fd = json_object_get(e, "front_door");
	ck_assert_str_eq(json_string_value(json_object_get(e, "origin")), "central");
	ck_assert_int_eq(IV(e, "from"), AT(170, 0, CENTRAL));
	ck_assert_int_eq(IV(e, "to"), AT(190, 2, CENTRAL));
	ck_assert(json_is_true(json_object_get(e, "impact")));
	ck_assert(json_is_false(json_object_get(e, "absorbed")));
	ck_assert_int_eq(IV(e, "recovered_at"), AT(172, 2, FD));
	ck_assert_int_eq(IV(e, "time_to_recovery_ms"), AT(172, 2, FD) -
	    AT(170, 0, CENTRAL));
	ck_assert_str_eq(json_string_value(json_object_get(fd, "kept_answering")),
	    "partly");
	ck_assert_int_eq(IV(fd, "bad"), 9);
	ck_assert_int_eq(IV(fd, "total"), 120 - 1 + 3);
	/* ap-south's own network: the edge fails there only, and so does the
	 * front door (5 of its runs start during the edge's interval) */
	e = json_array_get(eps, 2);
	fd = json_object_get(e, "front_door");
	ck_assert_str_eq(json_string_value(json_object_get(e, "origin")), "edge");
	ck_assert_int_eq(IV(e, "from"), AT(220, 2, EDGE));
	ck_assert_int_eq(IV(e, "to"), AT(223, 2, EDGE));
	ck_assert_int_eq(json_array_size(json_object_get(e, "origin_regions")), 1);
	ck_assert_int_eq(IV(fd, "bad"), 5);
	ck_assert(json_is_false(json_object_get(e, "absorbed")));
	/* DNS: the front door fails with everything */
	e = json_array_get(eps, 4);
	ck_assert_int_eq(IV(e, "from"), AT(260, 0, EDGE));
	ck_assert_int_eq(IV(e, "to"), AT(261, 2, EDGE));
	ck_assert_int_eq(IV(json_object_get(e, "front_door"), "bad"), 5);
	ck_assert_int_eq(IV(e, "recovered_at"), AT(261, 2, FD));
	json_decref(doc);
}
END_TEST

START_TEST(test_attribution_facts)
{
	json_t *doc = run_json("attribution", NULL, NULL);
	json_t *svc = json_array_get(json_object_get(doc, "services"), 0);
	json_t *causes = json_object_get(svc, "causes"), *o;
	/* the CDN's 30; ap-south's first front-door failure (00:40:20, 2 s
	 * before its edge run fails) and DNS's first one per region (each 2 s
	 * before that region's edge run) are the front door's own: nothing
	 * else was failing there yet; the central outage's 9; ap-south's 5
	 * other failures and DNS's other 3 come with both origins failing */
	static const struct {
		const char *cause;
		int64_t minutes, bad;
	} want[] = {
		{ "front_door", 5 + 1 + 1, 30 + 1 + 3 }, { "edge", 0, 0 },
		{ "central", 2, 9 }, { "all", 3 + 1, 5 + 3 },
	};
	double share = 0;
	size_t i, n[4] = { 0 };

	ck_assert_str_eq(json_string_value(json_object_get(doc, "resolution")), "run");
	ck_assert_str_eq(json_string_value(json_object_get(svc, "service")), "micro");
	ck_assert_int_eq(IV(svc, "bad"), 51);
	ck_assert_int_eq(json_array_size(causes), 4);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		json_t *c = find_by(causes, "cause", want[i].cause);

		ck_assert_msg(c != NULL, "cause %s missing", want[i].cause);
		ck_assert_msg(IV(c, "minutes") == want[i].minutes && IV(c, "bad") ==
		    want[i].bad, "cause %s: %lld minutes, %lld bad; want %lld, %lld",
		    want[i].cause, (long long)IV(c, "minutes"), (long long)IV(c, "bad"),
		    (long long)want[i].minutes, (long long)want[i].bad);
		/* budget of 99.5 % over 1800 runs: 9 */
		ck_assert(fabs(NV(c, "budget_share") - want[i].bad / 9.0) < 1e-9);
		share += NV(c, "budget_share");
	}
	ck_assert(fabs(share - 51 / 9.0) < 1e-9);
	/* every failed front-door run of the story, once, with its cause */
	ck_assert_int_eq(json_array_size(json_object_get(svc, "runs")), 51);
	json_array_foreach(json_object_get(svc, "runs"), i, o) {
		const char *c = json_string_value(json_object_get(o, "cause"));

		for (size_t k = 0; k < 4; k++)
			n[k] += strcmp(c, want[k].cause) == 0;
	}
	for (size_t k = 0; k < 4; k++)
		ck_assert_int_eq(n[k], want[k].bad);
	/* the first run blamed on the central origin: us-east at 23:50:30 */
	o = find_by(json_object_get(svc, "runs"), "cause", "central");
	ck_assert_int_eq(IV(o, "at"), AT(170, 0, FD) + 30000);
	json_decref(doc);
}
END_TEST

START_TEST(test_incident_facts)
{
	json_t *doc = run_json("incidents", NULL, NULL);
	json_t *list = json_object_get(doc, "incidents"), *o, *c;

	ck_assert_int_eq(json_array_size(list), 7);
	o = find_by(list, "id", "inc-1");	/* the CDN outage */
	ck_assert_str_eq(json_string_value(json_object_get(o, "first_failing_layer")),
	    "front_door");
	ck_assert_str_eq(json_string_value(json_object_get(o, "resolution")), "run");
	ck_assert_int_eq(IV(o, "first_failure_at"), AT(90, 0, FD));
	ck_assert_int_eq(IV(o, "notifications_sent"), 4);
	ck_assert_int_eq(json_array_size(json_object_get(o, "causes")), 1);
	o = find_by(list, "id", "inc-2");	/* the burn-rate page: checks from rollups */
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "checks"),
	    0)), "micro-front-door");
	ck_assert_int_eq(json_array_size(json_object_get(o, "regions")), 3);
	ck_assert_int_eq(IV(o, "notifications_sent"), 1);
	ck_assert_int_eq(json_array_size(json_object_get(o, "causes")), 0);
	o = find_by(list, "id", "inc-4");	/* central: its origin failed first */
	ck_assert_str_eq(json_string_value(json_object_get(o, "first_failing_layer")),
	    "central");
	ck_assert_int_eq(IV(o, "first_failure_at"), AT(170, 0, CENTRAL));
	/* ... and its cause changed when the front door failed over */
	ck_assert_int_eq(json_array_size(json_object_get(o, "causes")), 2);
	c = json_array_get(json_object_get(o, "causes"), 1);
	ck_assert_int_eq(IV(c, "at"), BASE_MS + 173 * MIN_MS);
	ck_assert_str_eq(json_string_value(json_object_get(c, "cause")),
	    "central origin failing, front door healthy: failover working");
	ck_assert_int_eq(json_array_size(json_object_get(c, "regions")), 1);
	o = find_by(list, "id", "inc-5");	/* the front door, caused by central */
	ck_assert_str_eq(json_string_value(json_object_get(o, "first_failing_layer")),
	    "central");
	ck_assert_int_eq(IV(o, "first_failure_at"), AT(170, 0, CENTRAL));
	o = find_by(list, "id", "inc-6");	/* DNS: us-east's front door first */
	ck_assert_str_eq(json_string_value(json_object_get(o, "first_failing_layer")),
	    "front_door");
	ck_assert_int_eq(IV(o, "first_failure_at"), AT(260, 0, FD));
	o = find_by(list, "id", "inc-7");	/* still open: up to --now */
	ck_assert(json_is_null(json_object_get(o, "resolved_at")));
	ck_assert_int_eq(IV(o, "duration_ms"), 60 * MIN_MS);
	ck_assert(json_is_null(json_object_get(o, "first_failing_layer")));
	ck_assert(json_is_null(json_object_get(o, "resolution")));
	json_decref(doc);
}
END_TEST

/* ---- CSV: RFC 4180 ---- */

/* Parse text as RFC 4180 CSV: records end with CRLF, fields with a comma,
 * quoted fields may hold commas, CR, LF and doubled quotes. Returns the
 * number of records and every record's field count in nf (at most max), or
 * -1 with a message. */
static long
csv_parse(const char *s, int *nf, long max, char *err, size_t errlen)
{
	long rec = 0;
	int fields = 1;

	if (*s == '\0') {
		snprintf(err, errlen, "empty");
		return -1;
	}
	while (*s) {
		if (*s == '"') {
			s++;
			for (;;) {
				if (*s == '\0') {
					snprintf(err, errlen, "record %ld: unterminated quote",
					    rec + 1);
					return -1;
				}
				if (*s == '"' && s[1] == '"')
					s += 2;
				else if (*s == '"') {
					s++;
					break;
				} else
					s++;
			}
			if (*s != ',' && *s != '\r') {
				snprintf(err, errlen, "record %ld: text after a closing quote",
				    rec + 1);
				return -1;
			}
		} else {
			while (*s && *s != ',' && *s != '\r' && *s != '\n' && *s != '"')
				s++;
			if (*s == '"' || *s == '\n') {
				snprintf(err, errlen, "record %ld: %s in an unquoted field",
				    rec + 1, *s == '"' ? "quote" : "bare LF");
				return -1;
			}
		}
		if (*s == ',') {
			fields++;
			s++;
			continue;
		}
		if (s[0] != '\r' || s[1] != '\n') {
			snprintf(err, errlen, "record %ld: does not end with CRLF", rec + 1);
			return -1;
		}
		s += 2;
		if (rec < max)
			nf[rec] = fields;
		rec++;
		fields = 1;
	}
	return rec;
}

static void
check_csv(const char *name, const char *text, int *nchk)
{
	int nf[4096];
	char err[256];
	long n = csv_parse(text, nf, 4096, err, sizeof(err));

	ck_assert_msg(n >= 1, "%s: not RFC 4180 CSV: %s", name, err);
	for (long i = 1; i < n && i < 4096; i++)
		ck_assert_msg(nf[i] == nf[0], "%s: record %ld has %d fields, the header %d",
		    name, i + 1, nf[i], nf[0]);
	(*nchk)++;
}

/* Python's csv module, strict, on the file at path: same field count in
 * every row. Only when python3 runs here. */
static void
check_csv_python(const char *path, int *nchk)
{
	char cmd[PATH_MAX * 2];
	int rc;

	if (!T.python)
		return;
	snprintf(cmd, sizeof(cmd), "python3 -c 'import csv,sys\n"
	    "rows = list(csv.reader(open(sys.argv[1], newline=\"\"), strict=True))\n"
	    "assert rows and all(len(r) == len(rows[0]) for r in rows), rows' '%s'", path);
	rc = system(cmd);
	ck_assert_msg(rc == 0, "python3 csv rejects %s", path);
	(*nchk)++;
}

START_TEST(test_csv_parses)
{
	int nchk = 0, py = 0;

	ck_assert_msg(T.python, "python3 does not run: install python3 "
	    "(scripts/install-deps.sh test) for the second CSV reader");

	for (size_t i = 0; i < NGOLDEN; i++) {
		struct run r;
		char path[PATH_MAX + 64];

		if (strstr(goldens[i].name, ".csv") == NULL)
			continue;
		r = run_golden(&goldens[i]);
		ck_assert_int_eq(r.code, 0);
		check_csv(goldens[i].name, r.out, &nchk);
		snprintf(path, sizeof(path), "%s/%s", T.dir, goldens[i].name);
		ck_assert(spawn_write_file(path, r.out) == 0);
		check_csv_python(path, &py);
		run_free(&r);
	}
	ck_assert_int_ge(nchk, 5);
	ck_assert_int_eq(py, nchk);
	fprintf(stderr, "test_report: %d CSV outputs parsed (RFC 4180 reader), %d by "
	    "python3's csv module\n", nchk, py);
}
END_TEST

/* A quoted field round trip: names with commas and quotes. */
START_TEST(test_csv_quoting)
{
	struct run r = run_report("--db", T.db, "-c", T.conf, NOW_ARG, "incidents",
	    "--format", "csv", (char *)NULL);
	int nchk = 0;

	ck_assert_int_eq(r.code, 0);
	check_csv("incidents.csv", r.out, &nchk);
	/* "micro-front-door failing in 3 regions" has no comma; the
	 * notifications field always does and must be quoted */
	ck_assert_msg(strstr(r.out, ",\"ops-slack: trigger, resolve\"\r\n") != NULL,
	    "the notifications field is not quoted: %s", r.out);
	run_free(&r);
}
END_TEST

/* ---- JSON schema ---- */

static json_t *
load_schema(void)
{
	json_error_t e;
	json_t *s = json_load_file(T.schema, 0, &e);

	ck_assert_msg(s != NULL, "%s: %s (line %d)", T.schema, e.text, e.line);
	return s;
}

START_TEST(test_json_schema)
{
	json_t *schema;
	int nchk = 0, py = 0;

	/* the second, independent validator must run: a missing module is a
	 * failure, not a check that quietly drops out */
	ck_assert_msg(T.jsonschema, "python3 %s: install python3-jsonschema "
	    "(scripts/install-deps.sh test) for the second JSON Schema validator",
	    T.python ? "has no jsonschema module with Draft202012Validator" :
	    "does not run");
	schema = load_schema();

	for (size_t i = 0; i < NGOLDEN; i++) {
		struct run r;
		json_t *doc;
		json_error_t e;
		char err[1024], path[PATH_MAX + 64];

		if (strstr(goldens[i].name, ".json") == NULL)
			continue;
		r = run_golden(&goldens[i]);
		ck_assert_int_eq(r.code, 0);
		doc = json_loads(r.out, 0, &e);
		ck_assert_msg(doc != NULL, "%s: not JSON: %s", goldens[i].name, e.text);
		ck_assert_msg(jschema_validate(schema, doc, err, sizeof(err)) == 0,
		    "%s does not match %s: %s", goldens[i].name, T.schema, err);
		nchk++;
		if (T.jsonschema) {
			char cmd[PATH_MAX * 3];

			snprintf(path, sizeof(path), "%s/%s", T.dir, goldens[i].name);
			ck_assert(spawn_write_file(path, r.out) == 0);
			snprintf(cmd, sizeof(cmd), "python3 -c 'import json,sys,jsonschema\n"
			    "s = json.load(open(sys.argv[1]))\n"
			    "jsonschema.Draft202012Validator.check_schema(s)\n"
			    "jsonschema.Draft202012Validator(s).validate(json.load(open(sys.argv[2])))'"
			    " '%s' '%s'", T.schema, path);
			ck_assert_msg(system(cmd) == 0, "python jsonschema rejects %s",
			    goldens[i].name);
			py++;
		}
		json_decref(doc);
		run_free(&r);
	}
	ck_assert_int_ge(nchk, 5);
	ck_assert_int_eq(py, nchk);
	fprintf(stderr, "test_report: %d JSON outputs valid against the schema (C "
	    "validator), %d with python jsonschema\n", nchk, py);
	json_decref(schema);
}
END_TEST

/* The validator itself must refuse what the schema forbids. */
START_TEST(test_json_schema_rejects)
{
	json_t *schema = load_schema();
	json_t *doc = run_json("slo", NULL, NULL), *slo;
	char err[512];

	ck_assert_int_eq(jschema_validate(schema, doc, err, sizeof(err)), 0);
	slo = json_array_get(json_object_get(doc, "slos"), 0);
	json_object_set_new(slo, "good", json_string("12"));
	ck_assert_int_eq(jschema_validate(schema, doc, err, sizeof(err)), -1);
	json_object_set_new(slo, "good", json_integer(12));
	json_object_del(slo, "latency");
	ck_assert_int_eq(jschema_validate(schema, doc, err, sizeof(err)), -1);
	json_object_set_new(slo, "latency", json_null());
	json_object_set_new(doc, "view", json_string("bogus"));
	ck_assert_int_eq(jschema_validate(schema, doc, err, sizeof(err)), -1);
	json_decref(doc);
	json_decref(schema);
}
END_TEST

/* ---- exit statuses and messages ---- */

static const struct {
	const char	*args[10];
	int		 code;
	const char	*stderr_has;	/* NULL: stdout must be non-empty */
} exits[] = {
	{ { "--help" }, 0, NULL },
	{ { "--version" }, 0, NULL },
	{ { "bogus", "--db", "@DB" }, 2, "unknown view \"bogus\"" },
	{ { "slo", "incidents", "--db", "@DB" }, 2, "one view at a time" },
	{ { "--db", "/nonexistent/collector.db", "-c", "@CONF" }, 2, "/nonexistent" },
	{ { "--db", "@CONF", "-c", "@CONF" }, 2, "" },	/* not a DB */
	{ { "incidents" }, 2, "pass --db FILE" },
	{ { "incidents", "--db", "@DB", "--url", "http://127.0.0.1:1" }, 2, "not both" },
	{ { "slo", "--db", "@DB" }, 2, "no SLOs: pass -c collector.json" },
	{ { "slo", "--db", "@DB", "-c", "@CONF", "--slo", "nope" }, 2,
	  "no SLO named \"nope\"" },
	{ { "slo", "--db", "@DB", "-c", "@CONF", "--format", "yaml" }, 2, "--format" },
	{ { "slo", "--db", "@DB", "-c", "@CONF", "--from", "yesterday" }, 2,
	  "bad time \"yesterday\"" },
	{ { "slo", "--db", "@DB", "-c", "@CONF", "--month", "2026-13" }, 2, "bad month" },
	{ { "slo", "--db", "@DB", "-c", "@CONF", "--month", "2026-10", "--window",
	    "1d" }, 2, "--month" },
	{ { "slo", "--db", "@DB", "-c", "@CONF", "--from", "2026-10-02", "--to",
	    "2026-10-01" }, 2, "empty" },
	{ { "slo", "--db", "@DB", "-c", "@CONF", "--window", "forever" }, 2, "--window" },
	{ { "slo", "--db", "@DB", "-c", "@CONF", "--by", "color" }, 2, "--by" },
	{ { "checks", "--db", "@DB", "--by", "region" }, 2, "slo view" },
	{ { "failover", "--db", "@DB", "--slo", "x" }, 2, "--slo applies" },
	{ { "failover", "--url", "http://127.0.0.1:1" }, 2, "reads the collector DB" },
	{ { "slo", "--url", "http://127.0.0.1:1", "--month", "2026-10" }, 2,
	  "own window" },
	{ { "-c", "@BADCONF", "--check-config" }, 2, "unknown key" },
	{ { "-c", "@CONF", "--check-config" }, 0, NULL },
	{ { "--check-config" }, 2, "needs -c" },
	{ { "checks", "--db", "@DB", "--top", "0" }, 2, "--top" },
	{ { "incidents", "--url", "http://127.0.0.1:1", "--window", "1d" }, 1,
	  "127.0.0.1:1" },	/* nothing listens: a runtime failure */
};

START_TEST(test_exit_status)
{
	const char *a[10] = { NULL };
	char bad[PATH_MAX];
	struct run r;

	snprintf(bad, sizeof(bad), "%s/bad.json", T.dir);
	ck_assert(spawn_write_file(bad, "{\"slos\": [], \"colour\": 1}\n") == 0);
	for (int i = 0; i < 10; i++) {
		const char *v = exits[_i].args[i];

		a[i] = v == NULL ? NULL : strcmp(v, "@DB") == 0 ? T.db :
		    strcmp(v, "@CONF") == 0 ? T.conf : strcmp(v, "@BADCONF") == 0 ? bad : v;
	}
	r = run_report(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9],
	    (char *)NULL);
	ck_assert_msg(r.code == exits[_i].code, "case %d (%s %s %s ...): exit %d, want "
	    "%d; stderr: %s", _i, a[0], a[1] ? a[1] : "", a[2] ? a[2] : "", r.code,
	    exits[_i].code, r.err);
	if (exits[_i].stderr_has)
		ck_assert_msg(strstr(r.err, exits[_i].stderr_has) != NULL &&
		    r.err[0] != '\0' && r.outlen == 0, "case %d: stderr \"%s\" lacks "
		    "\"%s\" (or stdout not empty)", _i, r.err, exits[_i].stderr_has);
	else
		ck_assert_msg(r.outlen > 0, "case %d: nothing on stdout", _i);
	run_free(&r);
}
END_TEST

/* ---- the same numbers as the collector's API ---- */

struct collector {
	struct spawn	p;
	unsigned	port;
};

static void
start_collector(struct collector *c)
{
	char portfile[PATH_MAX + 16];
	char *argv[] = {
		(char *)(uintptr_t)collector_path(), (char *)"-c", T.live_conf,
		(char *)"--portfile", portfile, (char *)"--log-level", (char *)"warn", NULL
	};

	snprintf(portfile, sizeof(portfile), "%s/collector.port", T.dir);
	unlink(portfile);
	ck_assert(spawn_start(&c->p, T.dir, "collector", argv) == 0);
	c->port = spawn_wait_portfile(&c->p, portfile, READY_MS);
	if (c->port == 0) {
		spawn_dump(&c->p, "no port file");
		spawn_kill(&c->p);
		ck_abort_msg("the collector did not start");
	}
}

static void
stop_collector(struct collector *c)
{
	ck_assert(spawn_signal(&c->p, SIGTERM) == 0);
	ck_assert_msg(spawn_wait(&c->p, STOP_MS) == 0 && spawn_exit_code(&c->p) == 0,
	    "the collector did not stop cleanly");
}

struct body {
	char	*p;
	size_t	 n;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	char *q = realloc(b->p, b->n + size * n + 1);

	if (q == NULL)
		return 0;
	memcpy(q + b->n, p, size * n);
	b->n += size * n;
	q[b->n] = '\0';
	b->p = q;
	return size * n;
}

/* GET path from the collector with the read token; the parsed answer. */
static json_t *
api_get(const struct collector *c, const char *path)
{
	struct body b = { NULL, 0 };
	struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer "
	    READ_TOKEN);
	CURL *e = curl_easy_init();
	char url[512];
	long status = 0;
	json_t *j;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", c->port, path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
	ck_assert_int_eq(curl_easy_perform(e), CURLE_OK);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	ck_assert_msg(status == 200, "%s: HTTP %ld: %s", path, status, b.p ? b.p : "");
	j = json_loads(b.p, 0, NULL);
	ck_assert(j != NULL);
	free(b.p);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	return j;
}

static void
same_number(const char *what, json_t *a, json_t *b)
{
	if (json_is_null(a) || json_is_null(b)) {
		ck_assert_msg(json_is_null(a) && json_is_null(b), "%s: %s vs %s", what,
		    json_is_null(a) ? "null" : "number", json_is_null(b) ? "null" : "number");
		return;
	}
	ck_assert_msg(json_is_number(a) && json_is_number(b), "%s: not numbers", what);
	ck_assert_msg(fabs(json_number_value(a) - json_number_value(b)) <=
	    1e-8 * fmax(1, fabs(json_number_value(b))), "%s: report %.12g, API %.12g",
	    what, json_number_value(a), json_number_value(b));
}

/* Compare the report's numbers of one SLO (or group) with the API's. */
static void
same_numbers(const char *name, json_t *rep, json_t *api)
{
	static const char *const k[] = {
		"good", "total", "availability", "error_budget", "budget_remaining"
	};
	static const char *const p[] = { "p50_ms", "p90_ms", "p95_ms", "p99_ms" };
	char what[256];

	for (size_t i = 0; i < 5; i++) {
		snprintf(what, sizeof(what), "%s %s", name, k[i]);
		same_number(what, json_object_get(rep, k[i]), json_object_get(api, k[i]));
	}
	for (size_t i = 0; i < 4; i++) {
		snprintf(what, sizeof(what), "%s %s", name, p[i]);
		same_number(what, json_object_get(json_object_get(rep, "latency"), p[i]),
		    json_object_get(json_object_get(api, "latency"), p[i]));
	}
}

START_TEST(test_slo_equals_api)
{
	struct collector c;
	json_t *list, *o;
	size_t i;
	int compared = 0, regions = 0;

	start_collector(&c);
	list = api_get(&c, "/api/v1/slos");
	json_array_foreach(json_object_get(list, "slos"), i, o) {
		const char *name = json_string_value(json_object_get(o, "name"));
		char path[256], now[64];
		json_t *api, *rep, *mine, *g;
		size_t j;
		struct run r;
		json_error_t e;
		time_t secs;
		struct tm tm;
		int64_t at;

		snprintf(path, sizeof(path), "/api/v1/slos/%s", name);
		api = api_get(&c, path);
		/* the report at the API's evaluation time, over the SLO's window */
		at = json_integer_value(json_object_get(api, "evaluated_at"));
		secs = (time_t)(at / 1000);
		gmtime_r(&secs, &tm);
		snprintf(now, sizeof(now), "--now=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec, (int)(at % 1000));
		r = run_report("slo", "--db", T.live_db, "-c", T.live_conf, now, "--slo",
		    name, "--by", "region", "--format", "json", (char *)NULL);
		ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
		rep = json_loads(r.out, 0, &e);
		ck_assert(rep != NULL);
		mine = json_array_get(json_object_get(rep, "slos"), 0);
		ck_assert_int_gt(json_integer_value(json_object_get(api, "total")), 1000);
		same_numbers(name, mine, api);
		/* and every region of the breakdown */
		json_array_foreach(json_object_get(json_object_get(api, "by"), "region"),
		    j, g) {
			const char *key = json_string_value(json_object_get(g, "key"));
			json_t *mg = find_by(json_object_get(json_object_get(mine, "by"),
			    "groups"), "key", key);
			char what[256];

			snprintf(what, sizeof(what), "%s region %s", name, key);
			ck_assert_msg(mg != NULL, "%s: not in the report", what);
			same_numbers(what, mg, g);
			regions++;
		}
		compared++;
		json_decref(rep);
		json_decref(api);
		run_free(&r);
	}
	ck_assert_int_eq(compared, 4);
	ck_assert_int_eq(regions, 4 * 3);
	json_decref(list);
	stop_collector(&c);
}
END_TEST

/* --url: the same SLOs and incidents through the API (and its token). */
START_TEST(test_url_mode)
{
	struct collector c;
	char url[64];
	struct run r, d;
	json_t *a, *b, *x, *y;
	size_t i;

	setenv("VANTAGE_TEST_TOKEN", READ_TOKEN, 1);
	start_collector(&c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", c.port);
	/* without the token: refused, exit 2 */
	r = run_report("slo", "--url", url, (char *)NULL);
	ck_assert_msg(r.code == 2 && strstr(r.err, "401"), "exit %d: %s", r.code, r.err);
	run_free(&r);
	r = run_report("slo", "--url", url, "--token", "env:VANTAGE_TEST_TOKEN",
	    "--format", "json", (char *)NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	a = json_loads(r.out, 0, NULL);
	ck_assert(a != NULL);
	ck_assert_str_eq(json_string_value(json_object_get(a, "source")), "api");
	ck_assert_int_eq(json_array_size(json_object_get(a, "slos")), 4);
	json_array_foreach(json_object_get(a, "slos"), i, x) {
		ck_assert_int_gt(json_integer_value(json_object_get(x, "total")), 1000);
		ck_assert(json_is_null(json_object_get(x, "longest_bad_stretch")));
	}
	run_free(&r);
	/* the text form too */
	r = run_report("slo", "--url", url, "--token", "env:VANTAGE_TEST_TOKEN",
	    "--by", "layer", (char *)NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "micro-front-door-availability") &&
	    strstr(r.out, "  layer front_door"), "exit %d: %s%s", r.code, r.out, r.err);
	run_free(&r);
	/* incidents: the API's list equals the DB's over the same window */
	r = run_report("incidents", "--url", url, "--token", "env:VANTAGE_TEST_TOKEN",
	    "--window", "1d", "--format", "json", (char *)NULL);
	d = run_report("incidents", "--db", T.live_db, "--window", "1d", "--format",
	    "json", (char *)NULL);
	ck_assert_msg(r.code == 0 && d.code == 0, "exit %d / %d: %s %s", r.code, d.code,
	    r.err, d.err);
	b = json_loads(r.out, 0, NULL);
	json_decref(a);
	a = json_loads(d.out, 0, NULL);
	ck_assert(a != NULL && b != NULL);
	ck_assert_int_eq(json_array_size(json_object_get(a, "incidents")), 7);
	ck_assert_int_eq(json_array_size(json_object_get(b, "incidents")), 7);
	json_array_foreach(json_object_get(a, "incidents"), i, x) {
		static const char *const k[] = {
			"id", "severity", "started_at", "resolved_at", "notifications_sent",
			"causes"
		};

		y = json_array_get(json_object_get(b, "incidents"), i);
		for (size_t j = 0; j < sizeof(k) / sizeof(k[0]); j++)
			ck_assert_msg(json_equal(json_object_get(x, k[j]),
			    json_object_get(y, k[j])), "incident %zu: %s differs", i, k[j]);
	}
	json_decref(a);
	json_decref(b);
	run_free(&r);
	run_free(&d);
	stop_collector(&c);
}
END_TEST

/* ---- setup ---- */

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
write_conf(const char *path, const char *extra)
{
	char *text;

	setup_req(asprintf(&text, "{\n%s%s}\n", extra, slos_json) > 0);
	setup_msg(spawn_write_file(path, text) == 0, "cannot write %s", path);
	free(text);
}

static void
setup_all(void)
{
	const char *tmp = getenv("TMPDIR"), *src = spawn_srcdir();
	char extra[PATH_MAX * 2];
	int64_t now = (int64_t)time(NULL) * 1000;

	snprintf(T.dir, sizeof(T.dir), "%s/vantage-rt.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(T.dir) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", T.dir, strerror(errno));
		exit(99);
	}
	snprintf(T.db, sizeof(T.db), "%s/scenario.db", T.dir);
	snprintf(T.approx_db, sizeof(T.approx_db), "%s/approx.db", T.dir);
	snprintf(T.conf, sizeof(T.conf), "%s/collector.json", T.dir);
	snprintf(T.live_db, sizeof(T.live_db), "%s/live.db", T.dir);
	snprintf(T.live_conf, sizeof(T.live_conf), "%s/live.json", T.dir);
	snprintf(T.golden, sizeof(T.golden), "%s/tests/golden/report", src);
	snprintf(T.schema, sizeof(T.schema), "%s/dist/report.schema.json", src);
	if (getenv("VANTAGE_GOLDEN_REGEN") != NULL)
		fprintf(stderr, "test_report: VANTAGE_GOLDEN_REGEN is ignored: only "
		    "`make golden-regen` rewrites the golden files\n");
	T.python = system("python3 -c '' >/dev/null 2>&1") == 0;
	T.jsonschema = T.python &&
	    system("python3 -c 'import jsonschema; jsonschema.Draft202012Validator' "
	    ">/dev/null 2>&1") == 0;
	write_conf(T.conf, "");
	/* the latency threshold counted from the start */
	build_scenario(T.db, BASE_MS, INT64_MIN, T.runs);
	/* ... and configured at 00:00, counted exactly from 11-01 on only */
	build_scenario(T.approx_db, BASE_MS, NOV_MS, NULL);
	/* the same story ending at the last whole hour, for the live collector */
	T.live_base = now - now % 3600000 - SPAN_MIN * MIN_MS;
	build_scenario(T.live_db, T.live_base, INT64_MIN, NULL);
	snprintf(extra, sizeof(extra), "  \"listen\": \"127.0.0.1:0\",\n"
	    "  \"db\": \"%s\",\n  \"read_token\": \"%s\",\n", T.live_db, READ_TOKEN);
	write_conf(T.live_conf, extra);
}

int
main(int argc, char **argv)
{
	Suite *s;
	TCase *golden, *facts, *formats, *cli, *api;
	SRunner *sr;
	int failed;

	/* the golden files are rewritten on request only (make golden-regen),
	 * never by a test run that happens to have a variable set */
	if (argc == 2 && strcmp(argv[1], "--golden-regen") == 0)
		T.regen = true;
	else if (argc != 1) {
		fprintf(stderr, "usage: test_report [--golden-regen]\n");
		return 2;
	}
	s = suite_create("report");
	golden = tcase_create("golden");
	facts = tcase_create("facts");
	formats = tcase_create("formats");
	cli = tcase_create("cli");
	api = tcase_create("api");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	setup_all();
	tcase_set_timeout(golden, 120);
	tcase_add_loop_test(golden, test_golden, 0, (int)NGOLDEN);
	tcase_set_timeout(facts, 120);
	tcase_add_test(facts, test_slo_facts);
	tcase_add_test(facts, test_month_boundary);
	tcase_add_test(facts, test_minutes_pruned);
	tcase_add_test(facts, test_old_schema);
	tcase_add_test(facts, test_slo_recount);
	tcase_add_test(facts, test_golden_recount);
	tcase_add_test(facts, test_latency_approximate);
	tcase_add_test(facts, test_checks_cache_facts);
	tcase_add_test(facts, test_failover_facts);
	tcase_add_test(facts, test_attribution_facts);
	tcase_add_test(facts, test_incident_facts);
	tcase_set_timeout(formats, 180);
	tcase_add_test(formats, test_csv_parses);
	tcase_add_test(formats, test_csv_quoting);
	tcase_add_test(formats, test_json_schema);
	tcase_add_test(formats, test_json_schema_rejects);
	tcase_set_timeout(cli, 60);
	tcase_add_loop_test(cli, test_exit_status, 0,
	    (int)(sizeof(exits) / sizeof(exits[0])));
	tcase_set_timeout(api, 120);
	tcase_add_test(api, test_slo_equals_api);
	tcase_add_test(api, test_url_mode);
	suite_add_tcase(s, golden);
	suite_add_tcase(s, facts);
	suite_add_tcase(s, formats);
	suite_add_tcase(s, cli);
	suite_add_tcase(s, api);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (getenv("VANTAGE_KEEP_TMP") == NULL)
		nftw(T.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else
		fprintf(stderr, "kept %s\n", T.dir);
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}
