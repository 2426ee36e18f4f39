/* api: read endpoints of the collector (JSON; ratios 0..1; times Unix ms). */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "collector.h"
#include "engine.h"
#include "imetrics.h"
#include "promtext.h"
#include "record.h"
#include "rollup.h"
#include "slo.h"
#include "slojson.h"
#include "store_alerts.h"
#include "store_results.h"
#include "timeutil.h"
#include "xmalloc.h"

#define SERIES_MAX_POINTS 2000

void
api_healthz(struct collector *c, struct http_request *r, struct http_response *resp)
{
	struct slo_snapshot *s = engine_snapshot(c);
	/* stale when no evaluation has finished lately (a long evaluation on a
	 * big DB is not staleness by itself) */
	int64_t now = time_now_ms(), age = s ? now - s->finished_at : -1, err_at = 0;
	bool stale = s == NULL || age > 3 * c->evaluate_every_ms + 10000 +
	    (s->finished_at - s->evaluated_at);	/* + how long one evaluation takes */
	char eerr[512] = "";
	const char *status;
	json_t *o;

	if (c->eng)
		engine_error(c->eng, eerr, sizeof(eerr), &err_at);
	/* an engine that fails (a broken DB, a malformed row) is not healthy,
	 * even while an older snapshot is still fresh */
	status = eerr[0] ? "failing" : stale ? "stale" : "ok";
	o = json_pack("{s:s,s:s,s:I,s:I,s:I}",
	    "status", status, "version", PACKAGE_VERSION,
	    "uptime_s", (json_int_t)((now - c->started_ms) / 1000),
	    "slos", (json_int_t)c->conf->nslos,
	    "evaluated_age_ms", (json_int_t)age);
	if (eerr[0])
		json_object_set_new(o, "engine_error", json_pack("{s:s,s:I}",
		    "message", eerr, "at", (json_int_t)err_at));
	http_json(resp, strcmp(status, "ok") == 0 ? 200 : 503, o);
	engine_snapshot_put(c, s);
}

void
api_index(struct collector *c, struct http_request *r, struct http_response *resp)
{
	resp->type = "text/plain; charset=utf-8";
	buf_printf(&resp->body, "vantage-collector %s\n\nThe dashboard is at /. "
	    "JSON API (README: vantage-collector, Endpoints):\n"
	    "  /api/v1/status\n  /api/v1/matrix?n=20\n  /api/v1/slos\n"
	    "  /api/v1/slos/NAME\n  /api/v1/burndown?slo=NAME\n"
	    "  /api/v1/series?check=NAME&region=R&from=24h&step=5m&by=region\n"
	    "  /api/v1/results?check=NAME&region=R&ok=false&from=24h&limit=100\n"
	    "  /api/v1/cache?from=1h&to=0s&by=check|layer|provider|region&check=NAME\n"
	    "  /api/v1/agents\n  /api/v1/incidents?since=7d\n"
	    "  /metrics  /healthz\n", PACKAGE_VERSION);
}

struct status_walk {
	json_t	*arr;
	int64_t	 now;
};

static int
status_add(const struct stored_result *r, void *arg)
{
	struct status_walk *w = arg;
	json_t *o = record_to_json(&r->rec);

	if (o == NULL)		/* a damaged row: left out, as before */
		return 0;
	json_object_set_new(o, "age_ms", json_integer(w->now - r->rec.ts));
	json_array_append_new(w->arr, o);
	return 0;
}

void
api_status(struct collector *c, struct http_request *r, struct http_response *resp)
{
	struct status_walk w = { json_array(), time_now_ms() };
	char err[256];

	/* the newest record of each check x agent, as the agent sent it */
	if (store_latest_current_each(c->st, NULL, status_add, &w, err,
	    sizeof(err)) < 0) {
		json_decref(w.arr);
		http_error(resp, 500, "status: %s", err);
		return;
	}
	http_json(resp, 200, json_pack("{s:I,s:o}", "now", (json_int_t)w.now,
	    "results", w.arr));
}

void
api_slos(struct collector *c, struct http_request *r, struct http_response *resp)
{
	struct slo_snapshot *s = engine_snapshot(c);
	json_t *arr;

	if (s == NULL) {
		http_error(resp, 503, "SLOs not evaluated yet");
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < s->ev->nslos; i++)
		json_array_append_new(arr, slojson_result(&s->ev->slos[i], false));
	http_json(resp, 200, json_pack("{s:I,s:o}", "evaluated_at",
	    (json_int_t)s->evaluated_at, "slos", arr));
	engine_snapshot_put(c, s);
}

void
api_slo(struct collector *c, struct http_request *r, struct http_response *resp)
{
	const char *name = r->path + strlen("/api/v1/slos/");
	struct slo_snapshot *s = engine_snapshot(c);
	const struct slo_result *res;

	if (s == NULL) {
		http_error(resp, 503, "SLOs not evaluated yet");
		return;
	}
	if ((res = slo_eval_find(s->ev, name)) != NULL)
		http_json(resp, 200, slojson_result(res, true));
	else
		http_error(resp, 404, "no SLO named \"%s\"", name);
	engine_snapshot_put(c, s);
}

int
api_parse_time(const char *s, int64_t now_ms, int64_t *out)
{
	char err[128], *end;
	int64_t ms;

	if (s == NULL || *s == '\0')
		return -1;
	if (isdigit((unsigned char)s[0])) {
		long long v = strtoll(s, &end, 10);
		if (*end == '\0') {
			*out = v;
			return 0;
		}
	}
	if (duration_parse(s, &ms, err, sizeof(err)) < 0)
		return -1;
	*out = now_ms - ms;
	return 0;
}

/* Points of /api/v1/series in time order, then by region. */
static int
cmp_point(const void *pa, const void *pb)
{
	const struct rollup_agg *a = pa, *b = pb;

	if (a->step != b->step)
		return a->step < b->step ? -1 : 1;
	if (a->region == NULL || b->region == NULL)
		return (a->region != NULL) - (b->region != NULL);
	return strcmp(a->region, b->region);
}

void
api_series(struct collector *c, struct http_request *r, struct http_response *resp)
{
	const char *check = http_query(r, "check"), *region = http_query(r, "region");
	const char *by = http_query(r, "by");
	int64_t now = time_now_ms(), from, to, step, npoints;
	struct rollup_query q;
	struct rollup_agg *a;
	struct selector sel;
	size_t n;
	char err[256];
	json_t *points;
	bool by_region;

	if (api_parse_time(http_query(r, "from") ? http_query(r, "from") : "1h",
	    now, &from) < 0 || api_parse_time(http_query(r, "to") ?
	    http_query(r, "to") : "0s", now, &to) < 0) {
		http_error(resp, 400, "from/to: Unix ms or a duration ago such as 24h");
		return;
	}
	if (duration_parse(http_query(r, "step") ? http_query(r, "step") : "1m",
	    &step, err, sizeof(err)) < 0 || step < 60000 || step % 60000 != 0) {
		http_error(resp, 400, "step: a whole number of minutes, e.g. 1m, 5m, 1h");
		return;
	}
	by_region = by && strcmp(by, "region") == 0;
	if (by && !by_region) {
		http_error(resp, 400, "by: only \"region\" is supported");
		return;
	}
	from -= ((from % step) + step) % step;
	if (to <= from || (to - from) / step > SERIES_MAX_POINTS) {
		http_error(resp, 400, "the range must be positive and at most %d steps",
		    SERIES_MAX_POINTS);
		return;
	}
	npoints = (to - from + step - 1) / step;
	/* one rollup tier whose buckets divide the step, series picked by
	 * their labels (the series directory), each read by its key */
	memset(&sel, 0, sizeof(sel));
	sel.check = (char *)(uintptr_t)check;
	sel.region = (char *)(uintptr_t)region;
	memset(&q, 0, sizeof(q));
	q.sel = &sel;
	q.from = from;
	q.to = to;
	q.by = ROLLUP_BY_STEP | (by_region ? ROLLUP_BY_REGION : 0);
	q.step_ms = step;
	q.want_sketch = true;
	if (rollup_aggregate(c->st, NULL, &q, &a, &n, err, sizeof(err)) < 0) {
		http_error(resp, 500, "series: %s", err);
		return;
	}
	if (n > 1)
		qsort(a, n, sizeof(*a), cmp_point);
	points = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *p = json_pack("{s:I,s:I,s:I,s:o}", "ts", (json_int_t)a[i].step,
		    "total", (json_int_t)a[i].total, "good", (json_int_t)a[i].good,
		    "availability", slojson_ratio(slo_availability(a[i].good,
		    a[i].total)));
		json_t *lat = slojson_latency(&a[i].sk);

		if (by_region)
			json_object_set_new(p, "region", json_string(a[i].region ?
			    a[i].region : ""));
		if (json_is_object(lat))
			json_object_update(p, lat);
		json_decref(lat);
		json_array_append_new(points, p);
	}
	rollup_aggs_free(a, n);
	http_json(resp, 200, json_pack("{s:s?,s:s?,s:I,s:I,s:I,s:I,s:o}",
	    "check", check, "region", region, "from", (json_int_t)from,
	    "to", (json_int_t)to, "step_ms", (json_int_t)step,
	    "points_max", (json_int_t)npoints, "points", points));
}

/* One group of /api/v1/cache: hit ratio, hits, lookups and the count of
 * each cache status. */
static json_t *
cache_json(const struct rollup_agg *a)
{
	int64_t hits = rollup_cache_hits(a), lookups = rollup_cache_lookups(a);
	json_t *o, *by = json_object();

	for (int s = 0; s < CACHE_NSTATUS; s++)
		json_object_set_new(by, cache_status_name((enum cache_status)s),
		    json_integer((json_int_t)a->cache[s]));
	o = json_object();
	json_object_set_new(o, "hit_ratio", lookups > 0 ?
	    json_real((double)hits / (double)lookups) : json_null());
	json_object_set_new(o, "hits", json_integer((json_int_t)hits));
	json_object_set_new(o, "lookups", json_integer((json_int_t)lookups));
	json_object_set_new(o, "statuses", by);
	return o;
}

void
api_cache(struct collector *c, struct http_request *r, struct http_response *resp)
{
	static const char *const bys[] = { "check", "layer", "provider", "region",
		"service", "check_region", NULL };
	const char *by = http_query(r, "by");
	int64_t now = time_now_ms(), from, to;
	struct rollup_query q;
	struct selector sel;
	struct rollup_agg *a;
	size_t n, i;
	char err[256];
	json_t *rows;
	int ok_by = by == NULL, dims = 0;

	if (api_parse_time(http_query(r, "from") ? http_query(r, "from") : "1h",
	    now, &from) < 0 || api_parse_time(http_query(r, "to") ?
	    http_query(r, "to") : "0s", now, &to) < 0 || to <= from) {
		http_error(resp, 400, "from/to: Unix ms or a duration ago such as 24h "
		    "(from before to)");
		return;
	}
	for (i = 0; by && bys[i]; i++)
		ok_by |= strcmp(by, bys[i]) == 0;
	if (!ok_by || (by && (dims = rollup_dim_parse(by)) < 0)) {
		http_error(resp, 400, "by: one of check, layer, provider, region, "
		    "service, check_region");
		return;
	}
	memset(&sel, 0, sizeof(sel));
	sel.check = (char *)(uintptr_t)http_query(r, "check");
	sel.layer = (char *)(uintptr_t)http_query(r, "layer");
	sel.provider = (char *)(uintptr_t)http_query(r, "provider");
	sel.region = (char *)(uintptr_t)http_query(r, "region");
	sel.service = (char *)(uintptr_t)http_query(r, "service");
	memset(&q, 0, sizeof(q));
	q.sel = &sel;
	q.from = from;
	q.to = to;
	q.by = (unsigned)dims;
	if (rollup_aggregate(c->st, NULL, &q, &a, &n, err, sizeof(err)) < 0) {
		http_error(resp, 500, "cache: %s", err);
		return;
	}
	rows = json_array();
	for (i = 0; i < n; i++) {
		json_t *o = cache_json(&a[i]);

		if ((unsigned)dims == (ROLLUP_BY_CHECK | ROLLUP_BY_REGION)) {
			json_object_set_new(o, "region", json_string(a[i].region ?
			    a[i].region : ""));
			json_object_set_new(o, "check", json_string(a[i].check ?
			    a[i].check : ""));
		} else if (by != NULL) {
			const char *v = rollup_agg_label(&a[i], (enum rollup_dim)dims);

			json_object_set_new(o, by, json_string(v ? v : ""));
		}
		json_array_append_new(rows, o);
	}
	rollup_aggs_free(a, n);
	http_json(resp, 200, json_pack("{s:I,s:I,s:s?,s:o}", "from", (json_int_t)from,
	    "to", (json_int_t)to, "by", by, "rows", rows));
}

struct agent_fill {
	json_t	*o;
	int64_t	 now;
};

static int
agent_fill(const struct agent_row *a, void *arg)
{
	json_t *o = ((struct agent_fill *)arg)->o;
	int64_t now = ((struct agent_fill *)arg)->now;

	if (a->region)
		json_object_set_new(o, "region", json_string(a->region));
	if (a->provider)
		json_object_set_new(o, "provider", json_string(a->provider));
	if (a->version)
		json_object_set_new(o, "version", json_string(a->version));
	json_object_set_new(o, "last_seen", json_integer(a->last_seen));
	json_object_set_new(o, "last_seen_age_ms", json_integer(now - a->last_seen));
	json_object_set_new(o, "last_seq", json_integer(a->last_seq));
	json_object_set_new(o, "outbox_depth", json_integer(a->outbox_depth));
	json_object_set_new(o, "outbox_lag_ms", a->oldest_unshipped > 0 ?
	    json_integer(a->last_seen - a->oldest_unshipped) : json_integer(0));
	return 0;
}

void
api_agents(struct collector *c, struct http_request *r, struct http_response *resp)
{
	json_t *arr = json_array();
	int64_t now = time_now_ms();
	char err[256];

	for (size_t i = 0; i < c->conf->nagents; i++) {
		const char *id = c->conf->agents[i].id;
		json_t *o = json_pack("{s:s,s:n,s:n,s:n,s:n,s:n,s:n,s:n}", "id", id,
		    "region", "provider", "version", "last_seen", "last_seen_age_ms",
		    "last_seq", "outbox_depth");
		struct agent_fill fill = { o, now };

		if (store_agent_get(c->st, id, agent_fill, &fill, err,
		    sizeof(err)) < 0) {
			json_decref(o);
			json_decref(arr);
			http_error(resp, 500, "agents: %s", err);
			return;
		}
		json_array_append_new(arr, o);
	}
	http_json(resp, 200, json_pack("{s:I,s:o}", "now", (json_int_t)now, "agents", arr));
}

static void
gauge(struct buf *b, const char *metric, const char *slo, const char *window,
    double v)
{
	if (!isfinite(v))
		return;
	buf_printf(b, "%s{", metric);
	promtext_label(b, "slo", slo, true);
	if (window)
		promtext_label(b, "window", window, false);
	buf_printf(b, "} %.9g\n", v);
}

static void
check_gauges(struct buf *b, const struct slo_eval *ev, bool cache)
{
	for (size_t i = 0; ev && i < ev->nchecks; i++) {
		const struct check_ratio *cr = &ev->checks[i];
		int64_t num = cache ? cr->hits : cr->good;
		int64_t den = cache ? cr->lookups : cr->total;

		if (den == 0)
			continue;
		buf_printf(b, "%s{", cache ? "vantage_check_cache_hit_ratio" :
		    "vantage_check_success_ratio");
		promtext_label(b, "check", cr->check, true);
		promtext_label(b, "region", cr->region, false);
		buf_printf(b, "} %.9g\n", (double)num / (double)den);
	}
}

void
api_metrics(struct collector *c, struct http_request *r, struct http_response *resp)
{
	struct slo_snapshot *s = engine_snapshot(c);
	const struct slo_eval *ev = s ? s->ev : NULL;
	struct buf *b = &resp->body;
	int64_t stored, dups, busy;

	resp->type = "text/plain; version=0.0.4; charset=utf-8";
	imetrics_write(c->im, b);
	promtext_help(b, "vantage_check_success_ratio", "gauge",
	    "Share of passed runs per check and region over the last 5 minutes.");
	check_gauges(b, ev, false);
	promtext_help(b, "vantage_check_cache_hit_ratio", "gauge",
	    "Share of answers served from the CDN cache (hit or stale) among those "
	    "that revealed a cache status, per check and region over the last 5 "
	    "minutes.");
	check_gauges(b, ev, true);
	/* one family at a time: the text format wants each family's samples
	 * right after its HELP and TYPE */
	promtext_help(b, "vantage_slo_objective", "gauge", "The SLO's objective (ratio).");
	for (size_t i = 0; ev && i < ev->nslos; i++)
		gauge(b, "vantage_slo_objective", ev->slos[i].conf.name, NULL,
		    ev->slos[i].conf.objective);
	promtext_help(b, "vantage_slo_availability", "gauge",
	    "Good / total events over the SLO's window.");
	for (size_t i = 0; ev && i < ev->nslos; i++)
		gauge(b, "vantage_slo_availability", ev->slos[i].conf.name, NULL,
		    slo_availability(ev->slos[i].n.good, ev->slos[i].n.total));
	promtext_help(b, "vantage_slo_budget_remaining", "gauge",
	    "Error budget left over the window (1 untouched, 0 spent, < 0 overspent).");
	for (size_t i = 0; ev && i < ev->nslos; i++)
		gauge(b, "vantage_slo_budget_remaining", ev->slos[i].conf.name, NULL,
		    slo_budget_remaining(ev->slos[i].conf.objective,
		    ev->slos[i].n.good, ev->slos[i].n.total));
	promtext_help(b, "vantage_slo_burn_rate", "gauge",
	    "Error ratio over the window divided by the allowed error ratio.");
	for (size_t i = 0; ev && i < ev->nslos; i++) {
		const struct slo_result *x = &ev->slos[i];

		for (int w = 0; w < SLOENG_NWINDOWS; w++)
			gauge(b, "vantage_slo_burn_rate", x->conf.name,
			    sloeng_windows[w].name, x->n.burn[w]);
		gauge(b, "vantage_slo_burn_rate", x->conf.name, "window",
		    x->n.burn_window);
	}
	store_counters(c->st, &stored, &dups, &busy);
	promtext_help(b, "vantage_ingest_results_total", "counter",
	    "Results received from agents, by outcome.");
	buf_printf(b, "vantage_ingest_results_total{result=\"stored\"} %lld\n",
	    (long long)stored);
	buf_printf(b, "vantage_ingest_results_total{result=\"duplicate\"} %lld\n",
	    (long long)dups);
	pthread_mutex_lock(&c->stat_mu);
	buf_printf(b, "vantage_ingest_results_total{result=\"rejected\"} %lld\n",
	    (long long)c->ingest_rejected);
	promtext_help(b, "vantage_ingest_requests_total", "counter",
	    "Ingest requests by answer.");
	buf_printf(b, "vantage_ingest_requests_total{answer=\"ok\"} %lld\n",
	    (long long)c->ingest_ok);
	buf_printf(b, "vantage_ingest_requests_total{answer=\"unauthorized\"} %lld\n",
	    (long long)c->ingest_unauthorized);
	buf_printf(b, "vantage_ingest_requests_total{answer=\"malformed\"} %lld\n",
	    (long long)c->ingest_malformed);
	buf_printf(b, "vantage_ingest_requests_total{answer=\"too_large\"} %lld\n",
	    (long long)c->ingest_too_large);
	buf_printf(b, "vantage_ingest_requests_total{answer=\"busy\"} %lld\n",
	    (long long)busy);
	pthread_mutex_unlock(&c->stat_mu);
	promtext_help(b, "vantage_slo_evaluated_timestamp_seconds", "gauge",
	    "When the SLO engine last ran.");
	buf_printf(b, "vantage_slo_evaluated_timestamp_seconds %.3f\n",
	    s ? (double)s->evaluated_at / 1e3 : 0.0);
	promtext_help(b, "vantage_slo_engine_failing", "gauge",
	    "1 when the SLO engine's last evaluation failed (see /healthz).");
	{
		char eerr[512] = "";
		int64_t at = 0;

		if (c->eng)
			engine_error(c->eng, eerr, sizeof(eerr), &at);
		buf_printf(b, "vantage_slo_engine_failing %d\n", eerr[0] ? 1 : 0);
	}
	promtext_help(b, "vantage_collector_info", "gauge", "Collector version.");
	buf_printf(b, "vantage_collector_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	engine_snapshot_put(c, s);
}

static json_t *
text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int
delivery_json(const struct delivery_row *d, void *arg)
{
	json_t *o = json_object();

	json_object_set_new(o, "receiver", text_or_null(d->receiver));
	json_object_set_new(o, "event", text_or_null(d->event));
	json_object_set_new(o, "seq", json_integer(d->seq));
	json_object_set_new(o, "status", text_or_null(d->status));
	json_object_set_new(o, "attempts", json_integer(d->attempts));
	json_object_set_new(o, "last_status", d->last_status >= 0 ?
	    json_integer(d->last_status) : json_null());
	json_object_set_new(o, "last_error", text_or_null(d->last_error));
	json_object_set_new(o, "created_at", json_integer(d->created_at));
	json_object_set_new(o, "sent_at", d->sent_at ? json_integer(d->sent_at) :
	    json_null());
	json_array_append_new(arg, o);
	return 0;
}

/* The deliveries of an incident, by seq then receiver: a new array, or
 * NULL with a message in err. */
static json_t *
deliveries_json(struct store *st, int64_t incident, char *err, size_t errlen)
{
	json_t *arr = json_array();

	if (store_deliveries_of(st, incident, delivery_json, arr, err, errlen) < 0) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/* The lines of a JSON array of {"region", "line"} (text as stored): a
 * new array of strings, empty when there is none. */
static json_t *
region_lines(const char *text)
{
	json_t *in = text ? json_loads(text, 0, NULL) : NULL, *out = json_array(), *x;
	size_t i;

	json_array_foreach(in, i, x) {
		json_t *line = json_object_get(x, "line");

		if (json_is_string(line))
			json_array_append(out, line);
	}
	json_decref(in);
	return out;
}

static int
cause_json(const struct incident_cause_row *c, void *arg)
{
	json_array_append_new(arg, json_pack("{s:I, s:s?, s:o}", "at",
	    (json_int_t)c->at, "cause", c->cause, "regions_detail",
	    region_lines(c->regions)));
	return 0;
}

/* What an incident said about its cause, oldest first, and its current
 * per-region lines, into o ("causes", "regions_detail"). 0, or -1 with a
 * message in err. */
static int
incident_causes(struct store *st, int64_t id, json_t *o, char *err,
    size_t errlen)
{
	json_t *arr = json_array();
	char *regions = NULL;

	if (store_incident_causes_of(st, id, cause_json, arr, err, errlen) < 0 ||
	    store_incident_regions_of(st, id, &regions, err, errlen) < 0) {
		json_decref(arr);
		return -1;
	}
	json_object_set_new(o, "regions_detail", region_lines(regions));
	json_object_set_new(o, "causes", arr);
	free(regions);
	return 0;
}

struct incidents_out {
	json_t	*arr;
	int64_t	 now;
};

static int
incident_json(const struct incident_row *r, void *arg)
{
	struct incidents_out *out = arg;
	json_t *o = json_object(), *regions;
	char iid[32];

	snprintf(iid, sizeof(iid), "inc-%lld", (long long)r->id);
	regions = r->regions ? json_loads(r->regions, 0, NULL) : NULL;
	json_object_set_new(o, "id", json_string(iid));
	json_object_set_new(o, "rule", text_or_null(r->rule));
	json_object_set_new(o, "type", text_or_null(r->rule_type));
	json_object_set_new(o, "target", text_or_null(r->target));
	json_object_set_new(o, "severity", text_or_null(r->severity));
	json_object_set_new(o, "status", text_or_null(r->status));
	json_object_set_new(o, "title", text_or_null(r->title));
	json_object_set_new(o, "summary", text_or_null(r->summary));
	json_object_set_new(o, "context", text_or_null(r->context));
	/* the cause line now (context is its older name) */
	json_object_set_new(o, "cause", text_or_null(r->context));
	json_object_set_new(o, "service", text_or_null(r->service));
	json_object_set_new(o, "layer", text_or_null(r->layer));
	json_object_set_new(o, "check", text_or_null(r->check));
	json_object_set_new(o, "slo", text_or_null(r->slo));
	json_object_set_new(o, "agent", text_or_null(r->agent));
	json_object_set_new(o, "regions", regions ? regions : json_array());
	json_object_set_new(o, "started_at", json_integer(r->started_at));
	json_object_set_new(o, "updated_at", json_integer(r->updated_at));
	json_object_set_new(o, "resolved_at", r->resolved_at ?
	    json_integer(r->resolved_at) : json_null());
	json_object_set_new(o, "duration_ms", json_integer((r->resolved_at ?
	    r->resolved_at : out->now) - r->started_at));
	/* the numeric id until the deliveries replace it (no nested read) */
	json_object_set_new(o, "deliveries", json_integer(r->id));
	json_array_append_new(out->arr, o);
	return 0;
}

void
api_incidents(struct collector *c, struct http_request *r, struct http_response *resp)
{
	const char *since_s = http_query(r, "since");
	int64_t now = time_now_ms(), since;
	struct incidents_out out = { NULL, now };
	char err[256];
	size_t k;
	json_t *o;

	if (api_parse_time(since_s ? since_s : "7d", now, &since) < 0) {
		http_error(resp, 400, "since: Unix ms or a duration ago such as 7d");
		return;
	}
	out.arr = json_array();
	if (store_incidents_recent(c->st, since, 200, incident_json, &out, err,
	    sizeof(err)) < 0) {
		json_decref(out.arr);
		http_error(resp, 500, "incidents: %s", err);
		return;
	}
	/* then each one's deliveries and causes: one reader at a time, never
	 * two */
	json_array_foreach(out.arr, k, o) {
		json_int_t id = json_integer_value(json_object_get(o, "deliveries"));
		json_t *dl = deliveries_json(c->st, (int64_t)id, err, sizeof(err));

		if (dl == NULL || incident_causes(c->st, (int64_t)id, o, err,
		    sizeof(err)) < 0) {
			json_decref(dl);
			json_decref(out.arr);
			http_error(resp, 500, "incidents: %s", err);
			return;
		}
		json_object_set_new(o, "deliveries", dl);
	}
	http_json(resp, 200, json_pack("{s:I,s:I,s:o}", "now", (json_int_t)now,
	    "since", (json_int_t)since, "incidents", out.arr));
}
