/* view_failover: for each service, every episode in which an origin (edge
 * or central) was down, and what the front door did meanwhile: did it keep
 * answering, its error rate and added latency, and how long from the first
 * origin failure until the front door was healthy again ("no impact" when
 * it never went down). The test of the edge + central + CDN pattern. All
 * from the minute rollups, so times have minute resolution. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minutes.h"
#include "report.h"
#include "rollup.h"
#include "rtime.h"
#include "xmalloc.h"

#define BASELINE_MS	(30 * 60000LL)	/* front-door latency before an episode */
#define LOOKBACK_MS	(6 * 3600000LL)	/* an episode going on at the window's
					 * start is followed back this far */

/* p50 and p95 (ms) of the front door's passed runs over [from, to); NaN
 * when none passed. */
static int
fd_latency(struct store *st, const char *service, int64_t from, int64_t to,
    double *p50, double *p95, char *err, size_t errlen)
{
	struct selector sel = { 0 };
	struct rollup_query q;
	struct rollup_agg *a;
	size_t n;

	*p50 = *p95 = NAN;
	sel.service = (char *)(uintptr_t)service;
	sel.layer = (char *)(uintptr_t)"front_door";
	memset(&q, 0, sizeof(q));
	q.sel = &sel;
	q.from = from;
	q.to = to;
	q.want_sketch = true;
	if (rollup_aggregate(st, NULL, &q, &a, &n, err, errlen) < 0)
		return -1;
	if (n == 1 && a[0].sk.count > 0) {
		*p50 = sketch_quantile(&a[0].sk, 0.50) / 1000.0;
		*p95 = sketch_quantile(&a[0].sk, 0.95) / 1000.0;
	}
	rollup_aggs_free(a, n);
	return 0;
}

static json_t *
num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* One episode: minutes [i, j] of sv, where origin layer is down. */
static int
episode(struct report_ctx *x, const struct minutes *g,
    const struct minutes_service *sv, int layer, size_t i, size_t j, json_t *list,
    char *err, size_t errlen)
{
	int64_t s = sv->m[i].t, e = sv->m[j].t + RTIME_MIN_MS;
	int64_t fd_total = 0, fd_bad = 0, o_total = 0, o_bad = 0, down = 0, seen = 0;
	int64_t recovered = -1;
	uint64_t regions = 0;
	double p50 = NAN, p95 = NAN, b50 = NAN, b95 = NAN;
	const char *kept;
	json_t *fd;

	for (size_t k = i; k <= j; k++) {
		const struct minutes_cell *f = &sv->m[k].l[MLAYER_FRONT_DOOR];
		const struct minutes_cell *o = &sv->m[k].l[layer];

		regions |= o->failing;
		o_total += o->total;
		o_bad += o->bad;
		fd_total += f->total;
		fd_bad += f->bad;
		seen += f->total > 0;
		if (minutes_state(f) == MSTATE_DOWN) {
			down++;
			recovered = sv->m[k].t + RTIME_MIN_MS;
		}
	}
	if (recovered >= 0) {
		/* the front door may stay down after the origin is back */
		const struct minutes_minute *mm;

		while ((mm = minutes_at(sv, recovered)) != NULL &&
		    minutes_state(&mm->l[MLAYER_FRONT_DOOR]) == MSTATE_DOWN &&
		    recovered < x->to)
			recovered += RTIME_MIN_MS;
	}
	if (sv->name[0] && (fd_latency(x->st, sv->name, s, e, &p50, &p95, err,
	    errlen) < 0 || fd_latency(x->st, sv->name, s - BASELINE_MS, s, &b50, &b95,
	    err, errlen) < 0))
		return -1;
	kept = seen == 0 ? "unknown" : down == 0 ? "yes" : down == seen ? "no" : "partly";
	fd = json_pack("{s:I,s:I,s:o,s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:o}",
	    "total", (json_int_t)fd_total, "bad", (json_int_t)fd_bad,
	    "error_rate", fd_total ? json_real((double)fd_bad / (double)fd_total) :
		json_null(),
	    "down_minutes", (json_int_t)down, "kept_answering", kept,
	    "p50_ms", num_or_null(p50), "p95_ms", num_or_null(p95),
	    "baseline_p50_ms", num_or_null(b50), "baseline_p95_ms", num_or_null(b95),
	    "added_p50_ms", num_or_null(p50 - b50), "added_p95_ms", num_or_null(p95 - b95));
	json_array_append_new(list, json_pack("{s:s,s:s,s:I,s:I,s:I,s:b,s:o,s:I,s:I,s:o,"
	    "s:b,s:o,s:o}",
	    "service", sv->name, "origin", minutes_layer_name(layer),
	    "from", (json_int_t)s, "to", (json_int_t)e, "duration_ms", (json_int_t)(e - s),
	    "started_before_window", s < rtime_floor(x->from, RTIME_MIN_MS),
	    "origin_regions", minutes_regions_json(g, regions),
	    "origin_bad", (json_int_t)o_bad, "origin_total", (json_int_t)o_total,
	    "front_door", fd, "impact", recovered >= 0,
	    "recovered_at", recovered >= 0 ? json_integer(recovered) : json_null(),
	    "time_to_recovery_ms", recovered >= 0 ? json_integer(recovered - s) :
		json_null()));
	return 0;
}

static int
cmp_episode(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(x, "service")),
	    json_string_value(json_object_get(y, "service")));
	json_int_t fx = json_integer_value(json_object_get(x, "from"));
	json_int_t fy = json_integer_value(json_object_get(y, "from"));

	if (c != 0)
		return c;
	if (fx != fy)
		return fx < fy ? -1 : 1;
	return minutes_layer_index(json_string_value(json_object_get(x, "origin"))) -
	    minutes_layer_index(json_string_value(json_object_get(y, "origin")));
}

int
view_failover_build(struct report_ctx *x, json_t *doc, char *err, size_t errlen)
{
	static const int origins[] = { MLAYER_EDGE, MLAYER_CENTRAL };
	json_t *list = json_array();
	struct minutes *g;
	int64_t from = rtime_floor(x->from, RTIME_MIN_MS);
	bool data = false;
	json_t **v;
	size_t n;

	json_object_set_new(doc, "episodes", list);
	if (minutes_load(x->st, NULL, from - LOOKBACK_MS, x->to, &g, err, errlen) < 0)
		return REPORT_FAIL;
	for (size_t si = 0; si < g->nsvc; si++) {
		const struct minutes_service *sv = &g->svc[si];

		data = data || (sv->n > 0 && sv->m[sv->n - 1].t >= from);
		for (size_t oi = 0; oi < 2; oi++) {
			int layer = origins[oi];

			for (size_t i = 0; i < sv->n; i++) {
				size_t j = i;

				if (minutes_state(&sv->m[i].l[layer]) != MSTATE_DOWN)
					continue;
				while (j + 1 < sv->n && sv->m[j + 1].t == sv->m[j].t +
				    RTIME_MIN_MS && minutes_state(&sv->m[j + 1].l[layer]) ==
				    MSTATE_DOWN)
					j++;
				if (sv->m[j].t < from) {	/* over before the window */
					i = j;
					continue;
				}
				if (episode(x, g, sv, layer, i, j, list, err, errlen) < 0) {
					minutes_free(g);
					return REPORT_FAIL;
				}
				i = j;
			}
		}
	}
	json_object_set_new(doc, "no_data", json_boolean(!data));
	if (g->regions_capped)
		report_note(x, "more than %d regions: the last ones are counted as one",
		    MINUTES_MAX_REGIONS);
	minutes_free(g);
	/* by service, then time */
	n = json_array_size(list);
	v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(list, i));
	qsort(v, n, sizeof(*v), cmp_episode);
	json_array_clear(list);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, v[i]);
	free(v);
	report_note_minutes(x, "this view");
	return REPORT_OK;
}

/* ---- rendering ---- */

static void
front_door_cell(struct table *t, const json_t *fd)
{
	const char *k = json_string_value(json_object_get(fd, "kept_answering"));
	json_int_t down = json_integer_value(json_object_get(fd, "down_minutes"));

	if (strcmp(k, "yes") == 0)
		table_cell(t, "kept answering");
	else if (strcmp(k, "no") == 0)
		table_cellf(t, "down (%lldm)", (long long)down);
	else if (strcmp(k, "partly") == 0)
		table_cellf(t, "down %lldm of it", (long long)down);
	else
		table_cell(t, "no data");
}

void
view_failover_render(const json_t *doc, enum table_style style, struct buf *out)
{
	static const char *const head[] = {
		"service", "origin", "from", "to", "duration", "origin failing in",
		"front door", "error rate", "added p50", "added p95", "time to recovery"
	};
	json_t *list = json_object_get(doc, "episodes"), *o;
	struct table *t;
	int64_t absorbed = 0, before = 0;
	size_t i;
	char a[512];

	if (json_is_true(json_object_get(doc, "no_data"))) {
		buf_printf(out, "No data in this window.\n");
		return;
	}
	if (json_array_size(list) == 0) {
		buf_printf(out, "No origin was down in this window.\n");
		return;
	}
	t = table_new(11, head, "lllllllrrrl");
	json_array_foreach(list, i, o) {
		json_t *fd = json_object_get(o, "front_door"), *v;

		table_row(t);
		table_cell(t, json_string_value(json_object_get(o, "service")));
		table_cell(t, json_string_value(json_object_get(o, "origin")));
		report_fmt_time(json_object_get(o, "from"), a, sizeof(a));
		if (json_is_true(json_object_get(o, "started_before_window"))) {
			table_cellf(t, "%s *", a);
			before++;
		} else
			table_cell(t, a);
		table_cell(t, report_fmt_time(json_object_get(o, "to"), a, sizeof(a)));
		table_cell(t, report_fmt_dur(json_object_get(o, "duration_ms"), a, sizeof(a)));
		table_cell(t, report_fmt_join(json_object_get(o, "origin_regions"), ", ", a,
		    sizeof(a)));
		front_door_cell(t, fd);
		table_cell(t, report_fmt_pct(json_object_get(fd, "error_rate"), 3, a,
		    sizeof(a)));
		v = json_object_get(fd, "added_p50_ms");
		if (json_is_number(v))
			table_cellf(t, "%+.1fms", json_number_value(v));
		else
			table_cell(t, "-");
		v = json_object_get(fd, "added_p95_ms");
		if (json_is_number(v))
			table_cellf(t, "%+.1fms", json_number_value(v));
		else
			table_cell(t, "-");
		if (json_is_true(json_object_get(o, "impact")))
			table_cell(t, report_fmt_dur(json_object_get(o, "time_to_recovery_ms"),
			    a, sizeof(a)));
		else {
			table_cell(t, "no impact");
			absorbed++;
		}
	}
	table_render(t, style, out);
	table_free(t);
	buf_printf(out, "\n%zu episode%s: %lld absorbed by failover (no impact at the "
	    "front door), %lld reached the front door.\n", json_array_size(list),
	    json_array_size(list) == 1 ? "" : "s", (long long)absorbed,
	    (long long)(json_array_size(list) - (size_t)absorbed));
	if (before)
		buf_printf(out, "%s* started before the window: shown whole, from the first "
		    "origin failure.\n", style == TABLE_MARKDOWN ? "\n" : "");
}

struct table *
view_failover_csv(const json_t *doc)
{
	static const char *const head[] = {
		"service", "origin", "from", "to", "duration_s", "started_before_window",
		"origin_regions",
		"origin_bad", "origin_total", "front_door_total", "front_door_bad",
		"front_door_error_rate", "front_door_down_minutes", "kept_answering",
		"front_door_p50_ms", "baseline_p50_ms", "added_p50_ms",
		"front_door_p95_ms", "baseline_p95_ms", "added_p95_ms", "impact",
		"recovered_at", "time_to_recovery_s"
	};
	static const char *const fdk[] = {
		"total", "bad", "error_rate", "down_minutes", "kept_answering", "p50_ms",
		"baseline_p50_ms", "added_p50_ms", "p95_ms", "baseline_p95_ms",
		"added_p95_ms"
	};
	struct table *t = table_new(sizeof(head) / sizeof(head[0]), head, NULL);
	json_t *o;
	size_t i;
	char a[512];

	json_array_foreach(json_object_get(doc, "episodes"), i, o) {
		json_t *fd = json_object_get(o, "front_door"), *ttr;

		table_row(t);
		table_cell(t, json_string_value(json_object_get(o, "service")));
		table_cell(t, json_string_value(json_object_get(o, "origin")));
		table_cell(t, report_fmt_utc(json_object_get(o, "from"), a, sizeof(a)));
		table_cell(t, report_fmt_utc(json_object_get(o, "to"), a, sizeof(a)));
		table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(o,
		    "duration_ms")) / 1000);
		table_cell(t, json_is_true(json_object_get(o, "started_before_window")) ?
		    "true" : "false");
		table_cell(t, report_fmt_join(json_object_get(o, "origin_regions"), ";", a,
		    sizeof(a)));
		table_cell(t, report_fmt_num(json_object_get(o, "origin_bad"), a, sizeof(a)));
		table_cell(t, report_fmt_num(json_object_get(o, "origin_total"), a, sizeof(a)));
		for (size_t k = 0; k < sizeof(fdk) / sizeof(fdk[0]); k++) {
			json_t *v = json_object_get(fd, fdk[k]);
			table_cell(t, json_is_string(v) ? json_string_value(v) :
			    report_fmt_num(v, a, sizeof(a)));
		}
		table_cell(t, json_is_true(json_object_get(o, "impact")) ? "true" : "false");
		table_cell(t, report_fmt_utc(json_object_get(o, "recovered_at"), a, sizeof(a)));
		ttr = json_object_get(o, "time_to_recovery_ms");
		if (json_is_integer(ttr))
			table_cellf(t, "%lld", (long long)json_integer_value(ttr) / 1000);
		else
			table_cell(t, "");
	}
	return t;
}
