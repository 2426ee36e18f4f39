/* view_checks: the checks with the worst availability and the slowest p99
 * over the window (every region together), from the tiered rollups
 * (rollup_aggregate); each check's labels from the series directory. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errclass.h"
#include "report.h"
#include "rollup.h"
#include "rtime.h"
#include "slo.h"
#include "slojson.h"
#include "xmalloc.h"

struct check_row {
	json_t	*o;
	double	 avail, p99;	/* NaN: none */
	int64_t	 bad;
	const char *name;
};

/* The greater of two labels, NULL (absent) below any value. */
static const char *
label_max(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a ? a : b;
	return strcmp(a, b) >= 0 ? a : b;
}

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int
cmp_series_check(const void *a, const void *b)
{
	const struct store_series *x = *(const struct store_series *const *)a;
	const struct store_series *y = *(const struct store_series *const *)b;

	return strcmp(x->check, y->check);
}

/* The labels (service, layer, provider) of each check in the window, from
 * the series of the check with rollups in [floor_day(from), to) (a check
 * whose labels changed has several: the greatest value of each wins). */
static int
labels(struct store *st, int64_t from, int64_t to, json_t *out, char *err,
    size_t errlen)
{
	int64_t *ids;
	size_t n = store_series_match(st, NULL, &ids), nf = 0;
	const struct store_series **ser = xcalloc(n + 1, sizeof(*ser));
	int rc = 0;

	from = rtime_floor(from, RTIME_DAY_MS);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct store_series *s = store_series_get(st, ids[i]);
		bool found = false;

		for (int t = STORE_1D; s && t >= STORE_1M && !found && rc == 0; t--)
			rc = store_rollup_exists(st, &s->id, 1, (enum store_tier)t, from, to,
			    &found, err, errlen);
		if (found)
			ser[nf++] = s;
	}
	if (nf > 1)
		qsort(ser, nf, sizeof(*ser), cmp_series_check);
	for (size_t i = 0, j; i < nf && rc == 0; i = j) {
		const char *service = NULL, *layer = NULL, *provider = NULL;

		for (j = i; j < nf && strcmp(ser[j]->check, ser[i]->check) == 0; j++) {
			service = label_max(service, ser[j]->service);
			layer = label_max(layer, ser[j]->layer);
			provider = label_max(provider, ser[j]->provider);
		}
		json_object_set_new(out, ser[i]->check, json_pack("{s:o,s:o,s:o}",
		    "service", str_or_null(service), "layer", str_or_null(layer),
		    "provider", str_or_null(provider)));
	}
	free(ser);
	free(ids);
	return rc;
}

static json_t *
check_json(const struct rollup_agg *a, json_t *lab)
{
	json_t *errs = json_object(), *o;
	const char *top = NULL;
	int64_t topn = 0, hits = rollup_cache_hits(a), lookups = rollup_cache_lookups(a);

	for (int c = ERRCLASS_DNS; c < ERRCLASS_COUNT; c++) {
		if (a->e[c] == 0)
			continue;
		json_object_set_new(errs, errclass_name(c), json_integer(a->e[c]));
		if (a->e[c] > topn) {
			topn = a->e[c];
			top = errclass_name(c);
		}
	}
	o = json_pack("{s:s,s:O,s:O,s:O,s:I,s:I,s:I,s:o}", "check", a->check,
	    "service", lab ? json_object_get(lab, "service") : json_null(),
	    "layer", lab ? json_object_get(lab, "layer") : json_null(),
	    "provider", lab ? json_object_get(lab, "provider") : json_null(),
	    "total", (json_int_t)a->total, "good", (json_int_t)a->good,
	    "bad", (json_int_t)(a->total - a->good),
	    "availability", slojson_ratio(slo_availability(a->good, a->total)));
	json_object_set_new(o, "latency", slojson_latency(&a->sk));
	json_object_set_new(o, "errors", errs);
	json_object_set_new(o, "top_error", top ? json_string(top) : json_null());
	json_object_set_new(o, "cache_hit_ratio", lookups > 0 ?
	    json_real((double)hits / (double)lookups) : json_null());
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
	struct rollup_query q;
	struct rollup_agg *a;
	size_t n, top = x->o->top > 0 ? (size_t)x->o->top : 10;

	json_object_set_new(doc, "top", json_integer((json_int_t)top));
	json_object_set_new(doc, "worst_availability", worst);
	json_object_set_new(doc, "slowest_p99", slow);
	memset(&q, 0, sizeof(q));
	q.from = x->from;
	q.to = x->to;
	q.by = ROLLUP_BY_CHECK;
	q.want_sketch = true;
	if (labels(x->st, x->from, x->to, lab, err, errlen) < 0 ||
	    rollup_aggregate(x->st, NULL, &q, &a, &n, err, errlen) < 0) {
		json_decref(lab);
		return REPORT_FAIL;
	}
	rows = xcalloc(n + 1, sizeof(*rows));
	for (size_t i = 0; i < n; i++) {
		rows[i].o = check_json(&a[i], json_object_get(lab, a[i].check));
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
	rollup_aggs_free(a, n);
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
