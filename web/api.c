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
#include "slo.h"
#include "sloeng.h"
#include "timeutil.h"
#include "xmalloc.h"

#define SERIES_MAX_POINTS 2000

void
api_healthz(struct collector *c, struct http_request *r, struct http_response *resp)
{
	struct slo_snapshot *s = engine_snapshot(c);
	/* stale when no evaluation has finished lately (a long evaluation on a
	 * big DB is not staleness by itself) */
	int64_t now = time_now_ms(), age = s ? now - s->finished_at : -1;
	bool stale = s == NULL || age > 3 * c->evaluate_every_ms + 10000 +
	    (s->finished_at - s->evaluated_at);	/* + how long one evaluation takes */

	http_json(resp, stale ? 503 : 200, json_pack("{s:s,s:s,s:I,s:I,s:I}",
	    "status", stale ? "stale" : "ok", "version", PACKAGE_VERSION,
	    "uptime_s", (json_int_t)((now - c->started_ms) / 1000),
	    "slos", (json_int_t)c->conf->nslos,
	    "evaluated_age_ms", (json_int_t)age));
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

void
api_status(struct collector *c, struct http_request *r, struct http_response *resp)
{
	sqlite3 *db = store_reader(c->st);
	sqlite3_stmt *st;
	json_t *arr = json_array();
	int64_t now = time_now_ms();
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT body, ts FROM latest ORDER BY check_name, "
	    "agent", -1, &st, NULL) != SQLITE_OK) {
		http_error(resp, 500, "status: %s", sqlite3_errmsg(db));
		store_reader_put(c->st, db);
		json_decref(arr);
		return;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		if (o == NULL)
			continue;
		json_object_set_new(o, "age_ms", json_integer(now - sqlite3_column_int64(st, 1)));
		json_array_append_new(arr, o);
	}
	sqlite3_finalize(st);
	store_reader_put(c->st, db);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		http_error(resp, 500, "status: query failed");
		return;
	}
	http_json(resp, 200, json_pack("{s:I,s:o}", "now", (json_int_t)now,
	    "results", arr));
}

void
api_slos(struct collector *c, struct http_request *r, struct http_response *resp)
{
	struct slo_snapshot *s = engine_snapshot(c);
	json_t *arr = json_array(), *o;
	size_t i;

	if (s == NULL) {
		json_decref(arr);
		http_error(resp, 503, "SLOs not evaluated yet");
		return;
	}
	json_array_foreach(s->slos, i, o) {
		json_t *copy = json_copy(o);
		json_object_del(copy, "by");
		json_array_append_new(arr, copy);
	}
	http_json(resp, 200, json_pack("{s:I,s:o}", "evaluated_at",
	    (json_int_t)s->evaluated_at, "slos", arr));
	engine_snapshot_put(c, s);
}

void
api_slo(struct collector *c, struct http_request *r, struct http_response *resp)
{
	const char *name = r->path + strlen("/api/v1/slos/");
	struct slo_snapshot *s = engine_snapshot(c);
	json_t *o;
	size_t i;

	if (s == NULL) {
		http_error(resp, 503, "SLOs not evaluated yet");
		return;
	}
	json_array_foreach(s->slos, i, o) {
		if (strcmp(json_string_value(json_object_get(o, "name")), name) == 0) {
			http_json(resp, 200, json_incref(o));
			engine_snapshot_put(c, s);
			return;
		}
	}
	engine_snapshot_put(c, s);
	http_error(resp, 404, "no SLO named \"%s\"", name);
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

/* Tier whose bucket width divides step. */
static const char *
series_table(int64_t step, int64_t *width)
{
	if (step % 86400000 == 0) {
		*width = 86400000;
		return "rollup_1d";
	}
	if (step % 3600000 == 0) {
		*width = 3600000;
		return "rollup_1h";
	}
	*width = 60000;
	return "rollup_1m";
}

void
api_series(struct collector *c, struct http_request *r, struct http_response *resp)
{
	const char *check = http_query(r, "check"), *region = http_query(r, "region");
	const char *by = http_query(r, "by"), *table;
	int64_t now = time_now_ms(), from, to, step, width, npoints;
	char sql[1024], err[128];
	json_t *points;
	sqlite3 *db;
	sqlite3_stmt *st;
	int rc, by_region;

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
	table = series_table(step, &width);
	from -= ((from % step) + step) % step;
	if (to <= from || (to - from) / step > SERIES_MAX_POINTS) {
		http_error(resp, 400, "the range must be positive and at most %d steps",
		    SERIES_MAX_POINTS);
		return;
	}
	npoints = (to - from + step - 1) / step;
	/* only the filters given: "? IS NULL OR" would keep SQLite off the
	 * (check_name, agent, bucket) key and scan every series of the range */
	snprintf(sql, sizeof(sql), "SELECT (bucket - ?1) / ?3 AS i, %s, sum(total), "
	    "sum(good), sketch_agg(sketch) FROM %s WHERE bucket >= ?1 AND bucket < ?2 "
	    "%s%s GROUP BY i%s ORDER BY i", by_region ? "coalesce(region, '')" : "''",
	    table, check ? "AND check_name = ?4 " : "", region ? "AND region = ?5 " : "",
	    by_region ? ", region" : "");
	db = store_reader(c->st);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		http_error(resp, 500, "series: %s", sqlite3_errmsg(db));
		store_reader_put(c->st, db);
		return;
	}
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, step);
	if (check)
		sqlite3_bind_text(st, 4, check, -1, SQLITE_STATIC);
	if (region)
		sqlite3_bind_text(st, 5, region, -1, SQLITE_STATIC);
	points = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t i = sqlite3_column_int64(st, 0);
		int64_t total = sqlite3_column_int64(st, 2), good = sqlite3_column_int64(st, 3);
		struct sketch sk;
		json_t *p;

		sketch_init(&sk);
		sketch_decode_merge(&sk, sqlite3_column_blob(st, 4),
		    (size_t)sqlite3_column_bytes(st, 4));
		p = json_pack("{s:I,s:I,s:I,s:o}", "ts", (json_int_t)(from + i * step),
		    "total", (json_int_t)total, "good", (json_int_t)good,
		    "availability", sloeng_ratio(slo_availability(good, total)));
		if (by_region)
			json_object_set_new(p, "region",
			    json_string((const char *)sqlite3_column_text(st, 1)));
		if (sk.count > 0) {
			json_object_set_new(p, "p50_ms", json_real(sketch_quantile(&sk, .50) / 1e3));
			json_object_set_new(p, "p90_ms", json_real(sketch_quantile(&sk, .90) / 1e3));
			json_object_set_new(p, "p95_ms", json_real(sketch_quantile(&sk, .95) / 1e3));
			json_object_set_new(p, "p99_ms", json_real(sketch_quantile(&sk, .99) / 1e3));
		}
		sketch_free(&sk);
		json_array_append_new(points, p);
	}
	sqlite3_finalize(st);
	store_reader_put(c->st, db);
	if (rc != SQLITE_DONE) {
		json_decref(points);
		http_error(resp, 500, "series: query failed");
		return;
	}
	http_json(resp, 200, json_pack("{s:s?,s:s?,s:I,s:I,s:I,s:I,s:o}",
	    "check", check, "region", region, "from", (json_int_t)from,
	    "to", (json_int_t)to, "step_ms", (json_int_t)step,
	    "points_max", (json_int_t)npoints, "points", points));
}

void
api_cache(struct collector *c, struct http_request *r, struct http_response *resp)
{
	static const char *const bys[] = { "check", "layer", "provider", "region",
		"service", "check_region", NULL };
	const char *by = http_query(r, "by");
	int64_t now = time_now_ms(), from, to;
	struct selector sel;
	struct rollup_agg *a;
	size_t n, i;
	char err[256];
	json_t *rows;
	sqlite3 *db;
	int rc, ok_by = by == NULL;

	if (api_parse_time(http_query(r, "from") ? http_query(r, "from") : "1h",
	    now, &from) < 0 || api_parse_time(http_query(r, "to") ?
	    http_query(r, "to") : "0s", now, &to) < 0 || to <= from) {
		http_error(resp, 400, "from/to: Unix ms or a duration ago such as 24h "
		    "(from before to)");
		return;
	}
	for (i = 0; by && bys[i]; i++)
		ok_by |= strcmp(by, bys[i]) == 0;
	if (!ok_by) {
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
	db = store_reader(c->st);
	rc = sloeng_aggregate(db, &sel, from, to, by, &a, &n, err, sizeof(err));
	store_reader_put(c->st, db);
	if (rc < 0) {
		http_error(resp, 500, "cache: %s", err);
		return;
	}
	rows = json_array();
	for (i = 0; i < n; i++) {
		json_t *o = sloeng_cache_json(&a[i]);

		if (by != NULL) {
			char *sep = strchr(a[i].key, '\x1f');
			if (sep != NULL) {
				*sep = '\0';
				json_object_set_new(o, "region", json_string(sep + 1));
			}
			json_object_set_new(o, sep ? "check" : by, json_string(a[i].key));
		}
		json_array_append_new(rows, o);
	}
	sloeng_aggs_free(a, n);
	http_json(resp, 200, json_pack("{s:I,s:I,s:s?,s:o}", "from", (json_int_t)from,
	    "to", (json_int_t)to, "by", by, "rows", rows));
}

void
api_agents(struct collector *c, struct http_request *r, struct http_response *resp)
{
	sqlite3 *db = store_reader(c->st);
	sqlite3_stmt *st;
	json_t *arr = json_array();
	int64_t now = time_now_ms();

	for (size_t i = 0; i < c->conf->nagents; i++) {
		const char *id = c->conf->agents[i].id;
		json_t *o = json_pack("{s:s,s:n,s:n,s:n,s:n,s:n,s:n,s:n}", "id", id,
		    "region", "provider", "version", "last_seen", "last_seen_age_ms",
		    "last_seq", "outbox_depth");

		if (sqlite3_prepare_v2(db, "SELECT region, provider, version, last_seen, "
		    "last_seq, outbox_depth, oldest_unshipped FROM agents WHERE id = ?",
		    -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW) {
				int64_t seen = sqlite3_column_int64(st, 3);
				int64_t oldest = sqlite3_column_int64(st, 6);
				for (int k = 0; k < 3; k++)
					if (sqlite3_column_type(st, k) == SQLITE_TEXT)
						json_object_set_new(o, k == 0 ? "region" :
						    k == 1 ? "provider" : "version", json_string(
						    (const char *)sqlite3_column_text(st, k)));
				json_object_set_new(o, "last_seen", json_integer(seen));
				json_object_set_new(o, "last_seen_age_ms", json_integer(now - seen));
				json_object_set_new(o, "last_seq",
				    json_integer(sqlite3_column_int64(st, 4)));
				json_object_set_new(o, "outbox_depth",
				    json_integer(sqlite3_column_int64(st, 5)));
				json_object_set_new(o, "outbox_lag_ms",
				    oldest > 0 ? json_integer(seen - oldest) : json_integer(0));
			}
			sqlite3_finalize(st);
		}
		json_array_append_new(arr, o);
	}
	store_reader_put(c->st, db);
	http_json(resp, 200, json_pack("{s:I,s:o}", "now", (json_int_t)now, "agents", arr));
}

static void
slo_gauge(struct buf *b, const char *metric, const char *slo, const char *window,
    json_t *v)
{
	if (!json_is_number(v))
		return;
	buf_printf(b, "%s{", metric);
	promtext_label(b, "slo", slo, true);
	if (window)
		promtext_label(b, "window", window, false);
	buf_printf(b, "} %.9g\n", json_number_value(v));
}

/* The SLO gauges of /metrics: the snapshot field each one shows (NULL: the
 * burn_rates object, one sample per window). */
static const struct {
	const char	*metric, *field, *help;
} slo_families[] = {
	{ "vantage_slo_objective", "objective", "The SLO's objective (ratio)." },
	{ "vantage_slo_availability", "availability",
	    "Good / total events over the SLO's window." },
	{ "vantage_slo_budget_remaining", "budget_remaining",
	    "Error budget left over the window (1 untouched, 0 spent, < 0 overspent)." },
	{ "vantage_slo_burn_rate", NULL,
	    "Error ratio over the window divided by the allowed error ratio." },
};

void
api_metrics(struct collector *c, struct http_request *r, struct http_response *resp)
{
	struct slo_snapshot *s = engine_snapshot(c);
	struct buf *b = &resp->body;
	int64_t stored, dups, busy;
	size_t i;
	json_t *o;

	resp->type = "text/plain; version=0.0.4; charset=utf-8";
	imetrics_write(c->im, b);
	promtext_help(b, "vantage_check_success_ratio", "gauge",
	    "Share of passed runs per check and region over the last 5 minutes.");
	if (s) {
		json_array_foreach(s->checks, i, o) {
			json_t *ratio = json_object_get(o, "ratio");
			if (!json_is_number(ratio))
				continue;
			buf_printf(b, "vantage_check_success_ratio{");
			promtext_label(b, "check", json_string_value(json_object_get(o,
			    "check")), true);
			promtext_label(b, "region", json_string_value(json_object_get(o,
			    "region")), false);
			buf_printf(b, "} %.9g\n", json_number_value(ratio));
		}
	}
	promtext_help(b, "vantage_check_cache_hit_ratio", "gauge",
	    "Share of answers served from the CDN cache (hit or stale) among those "
	    "that revealed a cache status, per check and region over the last 5 "
	    "minutes.");
	if (s) {
		json_array_foreach(s->checks, i, o) {
			json_t *ratio = json_object_get(o, "cache_hit_ratio");
			if (!json_is_number(ratio))
				continue;
			buf_printf(b, "vantage_check_cache_hit_ratio{");
			promtext_label(b, "check", json_string_value(json_object_get(o,
			    "check")), true);
			promtext_label(b, "region", json_string_value(json_object_get(o,
			    "region")), false);
			buf_printf(b, "} %.9g\n", json_number_value(ratio));
		}
	}
	/* one family at a time: the text format wants each family's samples
	 * right after its HELP and TYPE */
	for (size_t f = 0; f < sizeof(slo_families) / sizeof(slo_families[0]); f++) {
		promtext_help(b, slo_families[f].metric, "gauge", slo_families[f].help);
		if (s == NULL)
			continue;
		json_array_foreach(s->slos, i, o) {
			const char *name = json_string_value(json_object_get(o, "name"));
			const char *w;
			json_t *v;

			if (slo_families[f].field != NULL) {
				slo_gauge(b, slo_families[f].metric, name, NULL,
				    json_object_get(o, slo_families[f].field));
				continue;
			}
			json_object_foreach(json_object_get(o, "burn_rates"), w, v)
				slo_gauge(b, slo_families[f].metric, name, w, v);
		}
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
	promtext_help(b, "vantage_collector_info", "gauge", "Collector version.");
	buf_printf(b, "vantage_collector_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	engine_snapshot_put(c, s);
}

static json_t *
deliveries_json(sqlite3 *db, int64_t incident)
{
	sqlite3_stmt *st;
	json_t *arr = json_array();

	if (sqlite3_prepare_v2(db, "SELECT receiver, event, seq, status, attempts, "
	    "last_status, last_error, created_at, sent_at FROM deliveries WHERE "
	    "incident_id = ? ORDER BY seq, receiver", -1, &st, NULL) != SQLITE_OK)
		return arr;
	sqlite3_bind_int64(st, 1, incident);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = json_pack("{s:s,s:s,s:i,s:s,s:i}",
		    "receiver", (const char *)sqlite3_column_text(st, 0),
		    "event", (const char *)sqlite3_column_text(st, 1),
		    "seq", sqlite3_column_int(st, 2),
		    "status", (const char *)sqlite3_column_text(st, 3),
		    "attempts", sqlite3_column_int(st, 4));
		json_object_set_new(o, "last_status", sqlite3_column_type(st, 5) ==
		    SQLITE_NULL ? json_null() : json_integer(sqlite3_column_int64(st, 5)));
		json_object_set_new(o, "last_error", sqlite3_column_text(st, 6) ?
		    json_string((const char *)sqlite3_column_text(st, 6)) : json_null());
		json_object_set_new(o, "created_at", json_integer(sqlite3_column_int64(st, 7)));
		json_object_set_new(o, "sent_at", sqlite3_column_type(st, 8) == SQLITE_NULL ?
		    json_null() : json_integer(sqlite3_column_int64(st, 8)));
		json_array_append_new(arr, o);
	}
	sqlite3_finalize(st);
	return arr;
}

static json_t *
col_text(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null() :
	    json_string((const char *)sqlite3_column_text(st, i));
}

void
api_incidents(struct collector *c, struct http_request *r, struct http_response *resp)
{
	const char *since_s = http_query(r, "since");
	int64_t now = time_now_ms(), since;
	sqlite3 *db;
	sqlite3_stmt *st;
	json_t *arr = json_array();
	int rc;

	if (api_parse_time(since_s ? since_s : "7d", now, &since) < 0) {
		json_decref(arr);
		http_error(resp, 400, "since: Unix ms or a duration ago such as 7d");
		return;
	}
	db = store_reader(c->st);
	if (sqlite3_prepare_v2(db, "SELECT id, rule, rule_type, target, severity, status, "
	    "title, summary, context, service, layer, check_name, slo, agent, regions, "
	    "started_at, updated_at, resolved_at FROM incidents WHERE status = 'open' "
	    "OR started_at >= ?1 OR resolved_at >= ?1 ORDER BY status = 'open' DESC, "
	    "started_at DESC LIMIT 200", -1, &st, NULL) != SQLITE_OK) {
		http_error(resp, 500, "incidents: %s", sqlite3_errmsg(db));
		store_reader_put(c->st, db);
		json_decref(arr);
		return;
	}
	sqlite3_bind_int64(st, 1, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		int64_t started = sqlite3_column_int64(st, 15);
		int64_t resolved = sqlite3_column_int64(st, 17);
		const char *regions = (const char *)sqlite3_column_text(st, 14);
		json_t *o = json_object();
		char iid[32];

		snprintf(iid, sizeof(iid), "inc-%lld", (long long)id);
		json_object_set_new(o, "id", json_string(iid));
		json_object_set_new(o, "rule", col_text(st, 1));
		json_object_set_new(o, "type", col_text(st, 2));
		json_object_set_new(o, "target", col_text(st, 3));
		json_object_set_new(o, "severity", col_text(st, 4));
		json_object_set_new(o, "status", col_text(st, 5));
		json_object_set_new(o, "title", col_text(st, 6));
		json_object_set_new(o, "summary", col_text(st, 7));
		json_object_set_new(o, "context", col_text(st, 8));
		json_object_set_new(o, "service", col_text(st, 9));
		json_object_set_new(o, "layer", col_text(st, 10));
		json_object_set_new(o, "check", col_text(st, 11));
		json_object_set_new(o, "slo", col_text(st, 12));
		json_object_set_new(o, "agent", col_text(st, 13));
		json_object_set_new(o, "regions", regions ? json_loads(regions, 0, NULL) :
		    json_array());
		json_object_set_new(o, "started_at", json_integer(started));
		json_object_set_new(o, "updated_at", json_integer(sqlite3_column_int64(st, 16)));
		json_object_set_new(o, "resolved_at", resolved ? json_integer(resolved) :
		    json_null());
		json_object_set_new(o, "duration_ms", json_integer((resolved ? resolved :
		    now) - started));
		json_object_set_new(o, "deliveries", deliveries_json(db, id));
		json_array_append_new(arr, o);
	}
	sqlite3_finalize(st);
	store_reader_put(c->st, db);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		http_error(resp, 500, "incidents: query failed");
		return;
	}
	http_json(resp, 200, json_pack("{s:I,s:I,s:o}", "now", (json_int_t)now,
	    "since", (json_int_t)since, "incidents", arr));
}
