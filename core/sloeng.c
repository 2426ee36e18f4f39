/* sloeng: SLO numbers from tiered rollups. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "slo.h"
#include "sloeng.h"
#include "timeutil.h"
#include "xmalloc.h"

#define MIN_MS	60000LL
#define HOUR_MS	3600000LL
#define DAY_MS	86400000LL

const char *const sloeng_group_cols[] = {
	"region", "layer", "provider", "check", "agent", "service", NULL
};

const struct sloeng_window sloeng_windows[SLOENG_NWINDOWS] = {
	{ "5m", 5 * MIN_MS }, { "30m", 30 * MIN_MS }, { "1h", HOUR_MS },
	{ "2h", 2 * HOUR_MS }, { "6h", 6 * HOUR_MS }, { "1d", DAY_MS },
	{ "3d", 3 * DAY_MS },
};

const struct sloeng_alert sloeng_alerts[SLOENG_NALERTS] = {
	{ "page", 2, 0, 14.4 },		/* 1h & 5m */
	{ "page", 4, 1, 6 },		/* 6h & 30m */
	{ "ticket", 5, 3, 3 },		/* 1d & 2h */
	{ "ticket", 6, 4, 1 },		/* 3d & 6h */
};

static int64_t
floor_to(int64_t t, int64_t w)
{
	return t - ((t % w) + w) % w;
}

static int64_t
ceil_to(int64_t t, int64_t w)
{
	int64_t f = floor_to(t, w);

	return f == t ? t : f + w;
}

/* Split [from, to) (from on a minute) into whole days, the hours around
 * them and the minutes around those: r[0..1] days, r[2..5] hours,
 * r[6..9] minutes, each a half-open [a, b) (empty when a >= b). */
static void
split_window(int64_t from, int64_t to, int64_t r[10])
{
	int64_t d0 = ceil_to(from, DAY_MS), d1 = floor_to(to, DAY_MS);
	int64_t h0 = ceil_to(from, HOUR_MS), h1 = floor_to(to, HOUR_MS);

	if (d0 >= d1)
		d0 = d1 = h0;	/* no whole day */
	if (h0 >= h1) {
		/* no whole hour: minutes only */
		r[0] = r[1] = 0;
		r[2] = r[3] = r[4] = r[5] = 0;
		r[6] = from;
		r[7] = to;
		r[8] = r[9] = 0;
		return;
	}
	r[0] = d0;
	r[1] = d1;
	r[2] = h0;
	r[3] = d0;
	r[4] = d1;
	r[5] = h1;
	r[6] = from;
	r[7] = h0;
	r[8] = h1;
	r[9] = to;
}

static const char *
group_column(const char *by)
{
	if (by == NULL)
		return "''";
	if (strcmp(by, "check") == 0)
		return "check_name";
	if (strcmp(by, "check_region") == 0)	/* "check\x1fregion" */
		return "check_name || char(31) || coalesce(region, '')";
	for (int i = 0; sloeng_group_cols[i]; i++)
		if (strcmp(sloeng_group_cols[i], by) == 0)
			return by;
	return NULL;
}

int
sloeng_aggregate(sqlite3 *db, const struct selector *sel, int64_t from_ms,
    int64_t to_ms, const char *by, struct rollup_agg **out, size_t *nout,
    char *err, size_t errlen)
{
	const char *col = group_column(by);
	struct rollup_agg *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *st = NULL;
	int64_t r[10];
	char sql[4096], where[256];
	int rc;

	*out = NULL;
	*nout = 0;
	if (col == NULL) {
		snprintf(err, errlen, "cannot group by \"%s\" (region, layer, provider, "
		    "check, agent or service)", by);
		return -1;
	}
	/* Windows longer than the minute rollups reach (retention.minute must
	 * cover 3d1h) start on a whole hour, so their first partial hour comes
	 * from rollup_1h, which is kept longer. */
	from_ms = floor_to(from_ms, to_ms - from_ms > 3 * DAY_MS + HOUR_MS ?
	    HOUR_MS : MIN_MS);
	if (to_ms <= from_ms)
		return 0;
	split_window(from_ms, to_ms, r);
	/* only the selector fields that are set: "? IS NULL OR x = ?" would
	 * keep SQLite off the indexes and scan every series of the range */
	where[0] = '\0';
	if (sel) {
		static const char *const cols[5] = {
			"service", "layer", "provider", "region", "check_name"
		};
		const char *f[5] = { sel->service, sel->layer, sel->provider,
			sel->region, sel->check };
		size_t off = 0;

		for (int i = 0; i < 5; i++)
			if (f[i])
				off += (size_t)snprintf(where + off, sizeof(where) - off,
				    " AND %s = ?%d", cols[i], 11 + i);
	}
	snprintf(sql, sizeof(sql),
	    "SELECT g, sum(total), sum(good), sum(e_dns), sum(e_connect), sum(e_tls), "
	    "sum(e_timeout), sum(e_http_status), sum(e_assertion), sum(e_body), "
	    "sum(e_internal), sum(e_consistency), sum(dns_us), sum(connect_us), "
	    "sum(tls_us), sum(processing_us), sum(transfer_us), sum(total_us), "
	    "sketch_agg(sketch), sum(inconclusive), sum(cache_hit), sum(cache_miss), "
	    "sum(cache_expired), sum(cache_stale), sum(cache_bypass), "
	    "sum(cache_dynamic), sum(cache_unknown) "
	    "FROM (SELECT %s AS g, * FROM rollup_1d WHERE bucket >= ?1 AND bucket < ?2%s"
	    " UNION ALL SELECT %s AS g, * FROM rollup_1h WHERE ((bucket >= ?3 AND bucket < ?4)"
	    " OR (bucket >= ?5 AND bucket < ?6))%s"
	    " UNION ALL SELECT %s AS g, * FROM rollup_1m WHERE ((bucket >= ?7 AND bucket < ?8)"
	    " OR (bucket >= ?9 AND bucket < ?10))%s"
	    ") GROUP BY g ORDER BY g", col, where, col, where, col, where);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "query: %s", sqlite3_errmsg(db));
		return -1;
	}
	for (int i = 0; i < 10; i++)
		sqlite3_bind_int64(st, i + 1, r[i]);
	if (sel) {
		const char *f[5] = { sel->service, sel->layer, sel->provider,
			sel->region, sel->check };
		for (int i = 0; i < 5; i++)
			if (f[i])
				sqlite3_bind_text(st, 11 + i, f[i], -1, SQLITE_STATIC);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rollup_agg *a;
		const unsigned char *key;
		int k = 1;

		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			continue;	/* aggregate over no rows */
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 8;
			v = xreallocarray(v, alloc, sizeof(*v));
		}
		a = &v[n++];
		memset(a, 0, sizeof(*a));
		key = sqlite3_column_text(st, 0);
		a->key = xstrdup(key ? (const char *)key : "");
		a->total = sqlite3_column_int64(st, k++);
		a->good = sqlite3_column_int64(st, k++);
		for (int c = ERRCLASS_DNS; c < ERRCLASS_COUNT; c++)
			a->e[c] = sqlite3_column_int64(st, k++);
		for (int p = 0; p < 6; p++)
			a->ph[p] = sqlite3_column_int64(st, k++);
		a->inconclusive = sqlite3_column_int64(st, k + 1);
		for (int c = 0; c < CACHE_NSTATUS; c++)
			a->cache[c] = sqlite3_column_int64(st, k + 2 + c);
		sketch_init(&a->sk);
		if (sketch_decode_merge(&a->sk, sqlite3_column_blob(st, k),
		    (size_t)sqlite3_column_bytes(st, k)) < 0) {
			snprintf(err, errlen, "query: malformed latency sketch");
			rc = SQLITE_CORRUPT;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		if (rc != SQLITE_CORRUPT)
			snprintf(err, errlen, "query: %s", sqlite3_errmsg(db));
		sloeng_aggs_free(v, n);
		return -1;
	}
	*out = v;
	*nout = n;
	return 0;
}

int64_t
sloeng_cache_hits(const struct rollup_agg *a)
{
	int64_t n = 0;

	for (int c = 0; c < CACHE_NSTATUS; c++)
		if (cache_status_is_hit((enum cache_status)c))
			n += a->cache[c];
	return n;
}

int64_t
sloeng_cache_lookups(const struct rollup_agg *a)
{
	int64_t n = 0;

	for (int c = 0; c < CACHE_NSTATUS; c++)
		if (cache_status_is_lookup((enum cache_status)c))
			n += a->cache[c];
	return n;
}

json_t *
sloeng_cache_json(const struct rollup_agg *a)
{
	int64_t hits = sloeng_cache_hits(a), lookups = sloeng_cache_lookups(a);
	json_t *o, *by = json_object();

	for (int c = 0; c < CACHE_NSTATUS; c++)
		json_object_set_new(by, cache_status_name((enum cache_status)c),
		    json_integer((json_int_t)a->cache[c]));
	o = json_object();
	json_object_set_new(o, "hit_ratio", lookups > 0 ?
	    json_real((double)hits / (double)lookups) : json_null());
	json_object_set_new(o, "hits", json_integer((json_int_t)hits));
	json_object_set_new(o, "lookups", json_integer((json_int_t)lookups));
	json_object_set_new(o, "statuses", by);
	return o;
}

void
sloeng_aggs_free(struct rollup_agg *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		sketch_free(&v[i].sk);
	}
	free(v);
}

int64_t
sloeng_good(const struct slo_config *slo, const struct rollup_agg *a)
{
	if (slo->sli == SLI_LATENCY)
		return (int64_t)sketch_count_le(&a->sk, (double)slo->threshold_us);
	return a->good;
}

json_t *
sloeng_ratio(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* good/total of one window (no grouping), and the inconclusive results
 * left out of them (inconclusive may be NULL); 0 or -1. */
static int
window_counts(sqlite3 *db, const struct slo_config *slo, int64_t from, int64_t to,
    int64_t *good, int64_t *total, int64_t *inconclusive, struct sketch *sk,
    char *err, size_t errlen)
{
	struct rollup_agg *a;
	size_t n;

	*good = *total = 0;
	if (inconclusive)
		*inconclusive = 0;
	if (sloeng_aggregate(db, &slo->sel, from, to, NULL, &a, &n, err, errlen) < 0)
		return -1;
	if (n == 1) {
		*good = sloeng_good(slo, &a[0]);
		*total = a[0].total;
		if (inconclusive)
			*inconclusive = a[0].inconclusive;
		if (sk)
			sketch_merge(sk, &a[0].sk);
	}
	sloeng_aggs_free(a, n);
	return 0;
}

static json_t *
latency_json(const struct sketch *sk)
{
	if (sk->count == 0)
		return json_null();
	return json_pack("{s:f,s:f,s:f,s:f}",
	    "p50_ms", sketch_quantile(sk, 0.50) / 1000.0,
	    "p90_ms", sketch_quantile(sk, 0.90) / 1000.0,
	    "p95_ms", sketch_quantile(sk, 0.95) / 1000.0,
	    "p99_ms", sketch_quantile(sk, 0.99) / 1000.0);
}

/* Per-group numbers over the SLO window and every burn-rate window. */
static json_t *
breakdown(sqlite3 *db, const struct slo_config *slo, int64_t now, const char *by,
    char *err, size_t errlen)
{
	int64_t from = now - slo->window_ms;
	struct rollup_agg *a;
	json_t *arr, *rates[64];
	size_t n, nall;

	if (sloeng_aggregate(db, &slo->sel, from, now, by, &a, &nall, err, errlen) < 0)
		return NULL;
	n = nall > 64 ? 64 : nall;	/* wider is not a breakdown any more */
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		int64_t good = sloeng_good(slo, &a[i]);

		rates[i] = json_object();
		json_object_set_new(rates[i], "window", sloeng_ratio(slo_burn_rate(
		    slo->objective, good, a[i].total)));
		json_array_append_new(arr, json_pack("{s:s,s:I,s:I,s:o,s:f,s:o,s:o,s:o}",
		    "key", a[i].key, "good", (json_int_t)good, "total",
		    (json_int_t)a[i].total,
		    "availability", sloeng_ratio(slo_availability(good, a[i].total)),
		    "error_budget", slo_budget(slo->objective, a[i].total),
		    "budget_remaining", sloeng_ratio(slo_budget_remaining(
			slo->objective, good, a[i].total)),
		    "burn_rates", rates[i],
		    "latency", latency_json(&a[i].sk)));
	}
	for (int w = 0; w < SLOENG_NWINDOWS; w++) {
		struct rollup_agg *b;
		size_t nb;

		if (sloeng_aggregate(db, &slo->sel, now - sloeng_windows[w].ms, now, by,
		    &b, &nb, err, errlen) < 0) {
			sloeng_aggs_free(a, nall);
			json_decref(arr);
			return NULL;
		}
		for (size_t i = 0; i < n; i++) {
			json_t *v = json_null();
			for (size_t j = 0; j < nb; j++)
				if (strcmp(a[i].key, b[j].key) == 0)
					v = sloeng_ratio(slo_burn_rate(slo->objective,
					    sloeng_good(slo, &b[j]), b[j].total));
			json_object_set_new(rates[i], sloeng_windows[w].name, v);
		}
		sloeng_aggs_free(b, nb);
	}
	sloeng_aggs_free(a, nall);
	return arr;
}


json_t *
sloeng_evaluate(sqlite3 *db, const struct slo_config *slo, int64_t now_ms,
    int detail, char *err, size_t errlen)
{
	int64_t good, total, inconclusive, wg[SLOENG_NWINDOWS], wt[SLOENG_NWINDOWS];
	int64_t from = now_ms - slo->window_ms;
	double burn[SLOENG_NWINDOWS];
	json_t *o = NULL, *rates, *alerts;
	struct sketch sk;
	char wname[32];

	sketch_init(&sk);
	if (window_counts(db, slo, from, now_ms, &good, &total, &inconclusive, &sk,
	    err, errlen) < 0)
		goto fail;
	for (int w = 0; w < SLOENG_NWINDOWS; w++) {
		if (window_counts(db, slo, now_ms - sloeng_windows[w].ms, now_ms,
		    &wg[w], &wt[w], NULL, NULL, err, errlen) < 0)
			goto fail;
		burn[w] = slo_burn_rate(slo->objective, wg[w], wt[w]);
	}
	rates = json_object();
	for (int w = 0; w < SLOENG_NWINDOWS; w++)
		json_object_set_new(rates, sloeng_windows[w].name, sloeng_ratio(burn[w]));
	json_object_set_new(rates, "window", sloeng_ratio(
	    slo_burn_rate(slo->objective, good, total)));
	alerts = json_array();
	for (int i = 0; i < SLOENG_NALERTS; i++) {
		const struct sloeng_alert *al = &sloeng_alerts[i];
		int64_t xl = slo_failures_to_trigger(slo->objective, al->factor,
		    wg[al->long_w], wt[al->long_w]);
		int64_t xs = slo_failures_to_trigger(slo->objective, al->factor,
		    wg[al->short_w], wt[al->short_w]);
		bool firing = burn[al->long_w] > al->factor && burn[al->short_w] > al->factor;

		json_array_append_new(alerts, json_pack("{s:s,s:s,s:s,s:f,s:o,s:o,s:b,s:o}",
		    "severity", al->severity,
		    "long", sloeng_windows[al->long_w].name,
		    "short", sloeng_windows[al->short_w].name,
		    "factor", al->factor,
		    "burn_long", sloeng_ratio(burn[al->long_w]),
		    "burn_short", sloeng_ratio(burn[al->short_w]),
		    "firing", firing,
		    "failures_to_trigger", xl < 0 || xs < 0 ? json_null() :
			json_integer(xl > xs ? xl : xs)));
	}
	o = json_pack("{s:s,s:f,s:s,s:I,s:s,s:o}",
	    "name", slo->name, "objective", slo->objective,
	    "window", duration_format(slo->window_ms, wname, sizeof(wname)),
	    "window_ms", (json_int_t)slo->window_ms,
	    "sli", slo->sli == SLI_LATENCY ? "latency" : "availability",
	    "selector", selector_json(&slo->sel));
	if (slo->sli == SLI_LATENCY)
		json_object_set_new(o, "threshold_ms",
		    json_real((double)slo->threshold_us / 1000.0));
	json_object_set_new(o, "evaluated_at", json_integer(now_ms));
	json_object_set_new(o, "good", json_integer(good));
	json_object_set_new(o, "total", json_integer(total));
	/* failures the agents judged inconclusive: shown, never counted */
	json_object_set_new(o, "inconclusive", json_integer(inconclusive));
	json_object_set_new(o, "availability", sloeng_ratio(slo_availability(good, total)));
	json_object_set_new(o, "error_budget", json_real(slo_budget(slo->objective, total)));
	json_object_set_new(o, "budget_remaining", sloeng_ratio(
	    slo_budget_remaining(slo->objective, good, total)));
	json_object_set_new(o, "burn_rates", rates);
	json_object_set_new(o, "alerts", alerts);
	json_object_set_new(o, "latency", latency_json(&sk));
	if (detail) {
		json_t *by = json_object();
		static const char *const cols[] = { "region", "layer", "provider" };

		for (int i = 0; i < 3; i++) {
			json_t *b = breakdown(db, slo, now_ms, cols[i], err, errlen);
			if (b == NULL) {
				json_decref(by);
				goto fail;
			}
			json_object_set_new(by, cols[i], b);
		}
		json_object_set_new(o, "by", by);
	}
	sketch_free(&sk);
	return o;
fail:
	json_decref(o);
	sketch_free(&sk);
	return NULL;
}
