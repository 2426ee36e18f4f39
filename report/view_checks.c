/* view_checks: the checks with the worst availability and the slowest p99
 * over the window (every region together), from the tiered rollups. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errclass.h"
#include "report.h"
#include "rtime.h"
#include "slo.h"
#include "sloeng.h"
#include "xmalloc.h"

struct check_row {
	json_t	*o;
	double	 avail, p99;	/* NaN: none */
	int64_t	 bad;
	const char *name;
};

/* Labels of each check seen in the window (the newest rollup's labels). */
static int
labels(sqlite3 *db, int64_t from, int64_t to, json_t *out, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT check_name, max(service), max(layer), "
	    "max(provider) FROM (SELECT check_name, service, layer, provider FROM "
	    "rollup_1m WHERE bucket >= ?1 AND bucket < ?2 UNION ALL SELECT check_name, "
	    "service, layer, provider FROM rollup_1h WHERE bucket >= ?1 AND bucket < ?2 "
	    "UNION ALL SELECT check_name, service, layer, provider FROM rollup_1d WHERE "
	    "bucket >= ?1 AND bucket < ?2) GROUP BY 1", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "query: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, rtime_floor(from, RTIME_DAY_MS));
	sqlite3_bind_int64(st, 2, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = json_object();

		for (int i = 1; i <= 3; i++)
			json_object_set_new(o, i == 1 ? "service" : i == 2 ? "layer" : "provider",
			    sqlite3_column_type(st, i) == SQLITE_NULL ? json_null() :
			    json_string((const char *)sqlite3_column_text(st, i)));
		json_object_set_new(out, (const char *)sqlite3_column_text(st, 0), o);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "query: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

static json_t *
check_json(const struct rollup_agg *a, json_t *lab)
{
	json_t *errs = json_object(), *cache = sloeng_cache_json(a), *o;
	const char *top = NULL;
	int64_t topn = 0;

	for (int c = ERRCLASS_DNS; c < ERRCLASS_COUNT; c++) {
		if (a->e[c] == 0)
			continue;
		json_object_set_new(errs, errclass_name(c), json_integer(a->e[c]));
		if (a->e[c] > topn) {
			topn = a->e[c];
			top = errclass_name(c);
		}
	}
	o = json_pack("{s:s,s:O,s:O,s:O,s:I,s:I,s:I,s:o}", "check", a->key,
	    "service", lab ? json_object_get(lab, "service") : json_null(),
	    "layer", lab ? json_object_get(lab, "layer") : json_null(),
	    "provider", lab ? json_object_get(lab, "provider") : json_null(),
	    "total", (json_int_t)a->total, "good", (json_int_t)a->good,
	    "bad", (json_int_t)(a->total - a->good),
	    "availability", sloeng_ratio(slo_availability(a->good, a->total)));
	json_object_set_new(o, "latency", a->sk.count == 0 ? json_null() :
	    json_pack("{s:f,s:f,s:f,s:f}",
	    "p50_ms", sketch_quantile(&a->sk, 0.50) / 1000.0,
	    "p90_ms", sketch_quantile(&a->sk, 0.90) / 1000.0,
	    "p95_ms", sketch_quantile(&a->sk, 0.95) / 1000.0,
	    "p99_ms", sketch_quantile(&a->sk, 0.99) / 1000.0));
	json_object_set_new(o, "errors", errs);
	json_object_set_new(o, "top_error", top ? json_string(top) : json_null());
	json_object_set_new(o, "cache_hit_ratio", json_incref(json_object_get(cache,
	    "hit_ratio")));
	json_decref(cache);
	return o;
}

/* NaN last. */
static int
cmp_nan_last(double x, double y, int asc)
{
	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y);
	if (x == y)
		return 0;
	return (x < y) == asc ? -1 : 1;
}

static int
cmp_avail(const void *a, const void *b)
{
	const struct check_row *x = a, *y = b;
	int c = cmp_nan_last(x->avail, y->avail, 1);

	if (c)
		return c;
	if (x->bad != y->bad)
		return x->bad > y->bad ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
cmp_p99(const void *a, const void *b)
{
	const struct check_row *x = a, *y = b;
	int c = cmp_nan_last(x->p99, y->p99, 0);

	return c ? c : strcmp(x->name, y->name);
}

int
view_checks_build(struct report_ctx *x, json_t *doc, char *err, size_t errlen)
{
	json_t *lab = json_object(), *worst = json_array(), *slow = json_array();
	struct check_row *rows;
	struct rollup_agg *a;
	size_t n, top = x->o->top > 0 ? (size_t)x->o->top : 10;

	json_object_set_new(doc, "top", json_integer((json_int_t)top));
	json_object_set_new(doc, "worst_availability", worst);
	json_object_set_new(doc, "slowest_p99", slow);
	if (labels(x->db, x->from, x->to, lab, err, errlen) < 0 ||
	    sloeng_aggregate(x->db, NULL, x->from, x->to, "check", &a, &n, err,
	    errlen) < 0) {
		json_decref(lab);
		return REPORT_FAIL;
	}
	rows = xcalloc(n + 1, sizeof(*rows));
	for (size_t i = 0; i < n; i++) {
		rows[i].o = check_json(&a[i], json_object_get(lab, a[i].key));
		rows[i].name = json_string_value(json_object_get(rows[i].o, "check"));
		rows[i].avail = slo_availability(a[i].good, a[i].total);
		rows[i].p99 = a[i].sk.count ? sketch_quantile(&a[i].sk, 0.99) : NAN;
		rows[i].bad = a[i].total - a[i].good;
	}
	qsort(rows, n, sizeof(*rows), cmp_avail);
	for (size_t i = 0; i < n && i < top; i++)
		json_array_append(worst, rows[i].o);
	qsort(rows, n, sizeof(*rows), cmp_p99);
	for (size_t i = 0; i < n && i < top; i++)
		json_array_append(slow, rows[i].o);
	json_object_set_new(doc, "checks_total", json_integer((json_int_t)n));
	json_object_set_new(doc, "no_data", json_boolean(n == 0));
	for (size_t i = 0; i < n; i++)
		json_decref(rows[i].o);
	free(rows);
	sloeng_aggs_free(a, n);
	json_decref(lab);
	return REPORT_OK;
}

/* ---- rendering ---- */

void
view_checks_render(const json_t *doc, enum table_style style, struct buf *out)
{
	static const char *const h1[] = {
		"#", "check", "layer", "runs", "failed", "availability", "cache hit",
		"top error", "p99"
	};
	static const char *const h2[] = {
		"#", "check", "layer", "runs", "p50", "p95", "p99", "availability",
		"cache hit"
	};
	struct table *t;
	json_t *o;
	size_t i;
	char a[64];

	if (json_is_true(json_object_get(doc, "no_data"))) {
		buf_printf(out, "No data in this window.\n");
		return;
	}
	buf_printf(out, style == TABLE_MARKDOWN ? "### Worst availability\n\n" :
	    "Worst availability:\n\n");
	t = table_new(9, h1, "rllrrrrlr");
	json_array_foreach(json_object_get(doc, "worst_availability"), i, o) {
		json_t *lat = json_object_get(o, "latency");

		table_row(t);
		table_cellf(t, "%zu", i + 1);
		table_cell(t, json_string_value(json_object_get(o, "check")));
		table_cell(t, json_is_string(json_object_get(o, "layer")) ?
		    json_string_value(json_object_get(o, "layer")) : "-");
		table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(o, "total")));
		table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(o, "bad")));
		table_cell(t, report_fmt_pct(json_object_get(o, "availability"), 3, a,
		    sizeof(a)));
		table_cell(t, report_fmt_pct(json_object_get(o, "cache_hit_ratio"), 1, a,
		    sizeof(a)));
		table_cell(t, json_is_string(json_object_get(o, "top_error")) ?
		    json_string_value(json_object_get(o, "top_error")) : "-");
		table_cell(t, report_fmt_ms(json_object_get(lat, "p99_ms"), a, sizeof(a)));
	}
	table_render(t, style, out);
	table_free(t);
	buf_printf(out, style == TABLE_MARKDOWN ? "\n### Slowest p99\n\n" :
	    "\nSlowest p99 (passed runs):\n\n");
	t = table_new(9, h2, "rllrrrrrr");
	json_array_foreach(json_object_get(doc, "slowest_p99"), i, o) {
		json_t *lat = json_object_get(o, "latency");

		table_row(t);
		table_cellf(t, "%zu", i + 1);
		table_cell(t, json_string_value(json_object_get(o, "check")));
		table_cell(t, json_is_string(json_object_get(o, "layer")) ?
		    json_string_value(json_object_get(o, "layer")) : "-");
		table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(o, "total")));
		table_cell(t, report_fmt_ms(json_object_get(lat, "p50_ms"), a, sizeof(a)));
		table_cell(t, report_fmt_ms(json_object_get(lat, "p95_ms"), a, sizeof(a)));
		table_cell(t, report_fmt_ms(json_object_get(lat, "p99_ms"), a, sizeof(a)));
		table_cell(t, report_fmt_pct(json_object_get(o, "availability"), 3, a,
		    sizeof(a)));
		table_cell(t, report_fmt_pct(json_object_get(o, "cache_hit_ratio"), 1, a,
		    sizeof(a)));
	}
	table_render(t, style, out);
	table_free(t);
	buf_printf(out, "\n%lld checks in this window; the top %lld of each list shown.\n",
	    (long long)json_integer_value(json_object_get(doc, "checks_total")),
	    (long long)json_integer_value(json_object_get(doc, "top")));
}

struct table *
view_checks_csv(const json_t *doc)
{
	static const char *const head[] = {
		"list", "rank", "check", "service", "layer", "provider", "total", "good",
		"bad", "availability", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "top_error",
		"cache_hit_ratio"
	};
	static const char *const lists[] = { "worst_availability", "slowest_p99" };
	static const char *const pk[] = { "p50_ms", "p90_ms", "p95_ms", "p99_ms" };
	struct table *t = table_new(sizeof(head) / sizeof(head[0]), head, NULL);
	json_t *o;
	size_t i;
	char a[64];

	for (int l = 0; l < 2; l++) {
		json_array_foreach(json_object_get(doc, lists[l]), i, o) {
			json_t *lat = json_object_get(o, "latency");

			table_row(t);
			table_cell(t, lists[l]);
			table_cellf(t, "%zu", i + 1);
			table_cell(t, json_string_value(json_object_get(o, "check")));
			table_cell(t, json_string_value(json_object_get(o, "service")));
			table_cell(t, json_string_value(json_object_get(o, "layer")));
			table_cell(t, json_string_value(json_object_get(o, "provider")));
			table_cell(t, report_fmt_num(json_object_get(o, "total"), a, sizeof(a)));
			table_cell(t, report_fmt_num(json_object_get(o, "good"), a, sizeof(a)));
			table_cell(t, report_fmt_num(json_object_get(o, "bad"), a, sizeof(a)));
			table_cell(t, report_fmt_num(json_object_get(o, "availability"), a,
			    sizeof(a)));
			for (int k = 0; k < 4; k++)
				table_cell(t, report_fmt_num(json_object_get(lat, pk[k]), a,
				    sizeof(a)));
			table_cell(t, json_string_value(json_object_get(o, "top_error")));
			table_cell(t, report_fmt_num(json_object_get(o, "cache_hit_ratio"), a,
			    sizeof(a)));
		}
	}
	return t;
}
