/* view_failover: for each service, every episode in which an origin (edge
 * or central) was failing, and what the front door did meanwhile: its runs
 * that started during the episode, failed or not, so an episode is
 * absorbed by failover when none of them failed; its added latency; and
 * how long from the origin's first failure until the front door passed
 * again ("no impact" when it never failed). The test of the edge + central
 * + CDN pattern.
 *
 * At the resolution of single runs (core/timeline.h) while raw results are
 * kept: an episode starts at the origin's first failed run and ends at the
 * start of its first passed run after it, each region's interval merged
 * with the others' (and kept). Before the oldest raw result, from the
 * minute rollups (core/minutes.h): an episode is then a run of minutes in
 * which the origin was down (more than half of the regions probing it saw
 * a failure), marked "resolution": "minute". */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minutes.h"
#include "report.h"
#include "rollup.h"
#include "rtime.h"
#include "timeline.h"
#include "xmalloc.h"

#define BASELINE_MS	(30 * 60000LL)	/* front-door latency before an episode */
#define LOOKBACK_MS	(6 * 3600000LL)	/* an episode going on at the window's
					 * start is followed back this far */

static json_t *
num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static const char *
region_name(const char *r)
{
	return r && r[0] ? r : "unknown";
}

/* "yes", "no", "partly" or "unknown" for bad of total front-door runs. */
static const char *
kept_answering(int64_t total, int64_t bad)
{
	return total == 0 ? "unknown" : bad == 0 ? "yes" : bad == total ? "no" :
	    "partly";
}

/* The front door's object: counts, latency against the baseline. */
static json_t *
front_door_json(int64_t total, int64_t bad, int64_t down_minutes, json_t *failed_in,
    json_t *by_region, double p50, double p95, double b50, double b95)
{
	return json_pack("{s:I,s:I,s:o,s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
	    "total", (json_int_t)total, "bad", (json_int_t)bad,
	    "error_rate", total ? json_real((double)bad / (double)total) : json_null(),
	    "down_minutes", (json_int_t)down_minutes,
	    "kept_answering", kept_answering(total, bad), "failed_in", failed_in,
	    "by_region", by_region,
	    "p50_ms", num_or_null(p50), "p95_ms", num_or_null(p95),
	    "baseline_p50_ms", num_or_null(b50), "baseline_p95_ms", num_or_null(b95),
	    "added_p50_ms", num_or_null(p50 - b50), "added_p95_ms", num_or_null(p95 - b95));
}

/* The members every episode has, at either resolution. */
static json_t *
episode_json(const char *service, int layer, const char *resolution, int64_t from,
    int64_t to, bool ongoing, bool before, json_t *origin_regions, json_t *regions,
    int64_t origin_bad, int64_t origin_total, json_t *fd, int64_t recovered)
{
	bool impact = json_integer_value(json_object_get(fd, "bad")) > 0;
	bool known = impact && recovered >= 0 && recovered != TL_NOT_RECOVERED;

	return json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:b,s:b,s:o,s:o,s:I,s:I,s:o,s:b,"
	    "s:b,s:o,s:o}",
	    "service", service, "origin", minutes_layer_name(layer),
	    "resolution", resolution, "from", (json_int_t)from, "to", (json_int_t)to,
	    "duration_ms", (json_int_t)(to - from), "ongoing", ongoing,
	    "started_before_window", before, "origin_regions", origin_regions,
	    "regions", regions, "origin_bad", (json_int_t)origin_bad,
	    "origin_total", (json_int_t)origin_total, "front_door", fd,
	    "absorbed", !impact, "impact", impact,
	    "recovered_at", known ? json_integer(recovered) : json_null(),
	    "time_to_recovery_ms", known ? json_integer(recovered - from) : json_null());
}

/* ---- run resolution ---- */

/* Distinct UTC minutes with a failed front-door run in [from, to). */
static int64_t
fd_bad_minutes(const struct timeline *tl, int64_t from, int64_t to)
{
	const struct tl_run *v = tl->runs[MLAYER_FRONT_DOOR];
	int64_t last = INT64_MIN, n = 0;

	for (size_t i = 0; i < tl->nruns[MLAYER_FRONT_DOOR]; i++) {
		int64_t m;

		if (v[i].start < from || v[i].start >= to || v[i].state != TL_BAD)
			continue;
		m = rtime_floor(v[i].start, RTIME_MIN_MS);
		if (m != last)
			n++;
		last = m;
	}
	return n;
}

static json_t *
run_episode(struct report_ctx *x, const struct timeline *tl, const struct tl_episode *e)
{
	json_t *oregions = json_array(), *regions = json_array(), *failed_in = json_array();
	json_t *by_region = json_array(), *fd;

	for (size_t r = 0; r < tl->nregions; r++) {
		bool any = false;

		for (size_t p = 0; p < e->nparts; p++)
			any = any || e->parts[p].region == r;
		if (any)
			json_array_append_new(oregions, json_string(region_name(
			    tl->regions[r])));
		if (e->fd_bad_r[r] > 0)
			json_array_append_new(failed_in, json_string(region_name(
			    tl->regions[r])));
	}
	for (size_t p = 0; p < e->nparts; p++) {
		const struct tl_part *pt = &e->parts[p];

		json_array_append_new(regions, json_pack("{s:s,s:I,s:I,s:b,s:I}",
		    "region", region_name(tl->regions[pt->region]),
		    "from", (json_int_t)pt->iv.from, "to", (json_int_t)pt->iv.to,
		    "ongoing", pt->iv.open, "bad", (json_int_t)pt->iv.bad));
	}
	for (size_t r = 0; r < tl->nregions; r++)
		if (e->fd_total_r[r] > 0)
			json_array_append_new(by_region, json_pack("{s:s,s:I,s:I}",
			    "region", region_name(tl->regions[r]),
			    "total", (json_int_t)e->fd_total_r[r],
			    "bad", (json_int_t)e->fd_bad_r[r]));
	fd = front_door_json(e->fd_total, e->fd_bad, fd_bad_minutes(tl, e->iv.from,
	    e->iv.to), failed_in, by_region,
	    timeline_quantile_ms(e->fd_us, e->nfd_us, 0.50),
	    timeline_quantile_ms(e->fd_us, e->nfd_us, 0.95),
	    timeline_quantile_ms(e->base_us, e->nbase_us, 0.50),
	    timeline_quantile_ms(e->base_us, e->nbase_us, 0.95));
	return episode_json(tl->service, e->layer, "run", e->iv.from, e->iv.to,
	    e->iv.open, e->iv.from < x->from, oregions, regions, e->iv.bad, e->total,
	    fd, e->recovered_at);
}

/* Episodes from the runs that started in [from, to). */
static int
run_episodes(struct report_ctx *x, int64_t from, json_t *list, bool *data,
    char *err, size_t errlen)
{
	static const int origins[] = { MLAYER_EDGE, MLAYER_CENTRAL };
	struct timeline **tls;
	size_t ntl;

	if (timeline_load(x->st, NULL, from, x->to, &tls, &ntl, err, errlen) < 0)
		return -1;
	for (size_t t = 0; t < ntl; t++) {
		const struct timeline *tl = tls[t];

		for (int l = 0; l < MLAYER_COUNT && !*data; l++)
			for (size_t i = 0; i < tl->nruns[l] && !*data; i++)
				*data = tl->runs[l][i].start >= x->from;
		for (size_t oi = 0; oi < 2; oi++) {
			struct tl_episode *ev;
			size_t n = timeline_episodes(tl, origins[oi], BASELINE_MS, &ev);

			for (size_t i = 0; i < n; i++)
				if (ev[i].iv.open || ev[i].iv.to > x->from)
					json_array_append_new(list, run_episode(x, tl, &ev[i]));
			timeline_episodes_free(ev, n);
		}
	}
	timeline_list_free(tls, ntl);
	return 0;
}

/* ---- minute resolution ---- */

/* p50 and p95 (ms) of the front door's passed runs over [from, to) from
 * the rollups' sketches; NaN when none passed. */
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

/* One episode: minutes [i, j] of sv, where origin layer is down. */
static int
minute_episode(struct report_ctx *x, const struct minutes *g,
    const struct minutes_service *sv, int layer, size_t i, size_t j, int64_t end,
    json_t *list, char *err, size_t errlen)
{
	int64_t s = sv->m[i].t, e = sv->m[j].t + RTIME_MIN_MS;
	int64_t fd_total = 0, fd_bad = 0, o_total = 0, o_bad = 0, down = 0;
	int64_t recovered = -1;
	uint64_t regions = 0, fd_failing = 0;
	double p50 = NAN, p95 = NAN, b50 = NAN, b95 = NAN;
	json_t *fd, *oregions, *parts = json_array(), *r;
	size_t k;

	for (k = i; k <= j; k++) {
		const struct minutes_cell *f = &sv->m[k].l[MLAYER_FRONT_DOOR];
		const struct minutes_cell *o = &sv->m[k].l[layer];

		regions |= o->failing;
		fd_failing |= f->failing;
		o_total += o->total;
		o_bad += o->bad;
		fd_total += f->total;
		fd_bad += f->bad;
		if (f->bad > 0) {
			down++;
			recovered = sv->m[k].t + RTIME_MIN_MS;
		}
	}
	if (recovered >= 0) {
		/* the front door may go on failing after the origin is back */
		const struct minutes_minute *mm;

		while (recovered < end && (mm = minutes_at(sv, recovered)) != NULL &&
		    mm->l[MLAYER_FRONT_DOOR].bad > 0)
			recovered += RTIME_MIN_MS;
	}
	if (sv->name[0] && (fd_latency(x->st, sv->name, s, e, &p50, &p95, err,
	    errlen) < 0 || fd_latency(x->st, sv->name, s - BASELINE_MS, s, &b50, &b95,
	    err, errlen) < 0)) {
		json_decref(parts);
		return -1;
	}
	fd = front_door_json(fd_total, fd_bad, down, minutes_regions_json(g,
	    fd_failing), json_array(), p50, p95, b50, b95);
	oregions = minutes_regions_json(g, regions);
	json_array_foreach(oregions, k, r)
		json_array_append_new(parts, json_pack("{s:O,s:I,s:I,s:b,s:n}",
		    "region", r, "from", (json_int_t)s, "to", (json_int_t)e,
		    "ongoing", 0, "bad"));
	json_array_append_new(list, episode_json(sv->name, layer, "minute", s, e,
	    false, s < rtime_floor(x->from, RTIME_MIN_MS), oregions, parts, o_bad,
	    o_total, fd, recovered));
	return 0;
}

/* Episodes from the minute rollups of [from, to). */
static int
minute_episodes(struct report_ctx *x, int64_t from, int64_t to, json_t *list,
    bool *data, char *err, size_t errlen)
{
	static const int origins[] = { MLAYER_EDGE, MLAYER_CENTRAL };
	int64_t wfrom = rtime_floor(x->from, RTIME_MIN_MS);
	struct minutes *g;

	if (minutes_load(x->st, NULL, from, to, &g, err, errlen) < 0)
		return -1;
	for (size_t si = 0; si < g->nsvc; si++) {
		const struct minutes_service *sv = &g->svc[si];

		*data = *data || (sv->n > 0 && sv->m[sv->n - 1].t >= wfrom);
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
				if (sv->m[j].t >= wfrom && minute_episode(x, g, sv, layer, i,
				    j, to, list, err, errlen) < 0) {
					minutes_free(g);
					return -1;
				}
				i = j;
			}
		}
	}
	if (g->regions_capped)
		report_note(x, "more than %d regions: the last ones are counted as one",
		    MINUTES_MAX_REGIONS);
	minutes_free(g);
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
	json_t *list = json_array();
	int64_t look = rtime_floor(x->from, RTIME_MIN_MS) - LOOKBACK_MS;
	int64_t split = report_runs_split(x, look);
	bool data = false;
	json_t **v;
	size_t n;

	/* the look-back's episodes say their own resolution */
	report_set_resolution(x, doc, x->from, x->to);
	json_object_set_new(doc, "episodes", list);
	if (split > look && minute_episodes(x, look, split < x->to ? split : x->to,
	    list, &data, err, errlen) < 0)
		return REPORT_FAIL;
	if (split < x->to && run_episodes(x, split, list, &data, err, errlen) < 0)
		return REPORT_FAIL;
	json_object_set_new(doc, "no_data", json_boolean(!data));
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
	if (split > look)
		report_note_minutes(x, "this view");
	return REPORT_OK;
}

/* ---- rendering ---- */

static void
front_door_cell(struct table *t, const json_t *fd)
{
	const char *k = json_string_value(json_object_get(fd, "kept_answering"));

	if (strcmp(k, "yes") == 0)
		table_cell(t, "kept answering");
	else if (strcmp(k, "no") == 0)
		table_cell(t, "down");
	else if (strcmp(k, "partly") == 0)
		table_cell(t, "partly down");
	else
		table_cell(t, "no data");
}

static void
added_cell(struct table *t, const json_t *v)
{
	if (json_is_number(v))
		table_cellf(t, "%+.1fms", json_number_value(v));
	else
		table_cell(t, "-");
}

void
view_failover_render(const json_t *doc, enum table_style style, struct buf *out)
{
	static const char *const head[] = {
		"service", "origin", "from", "to", "duration", "origin failing in",
		"front door", "failed runs", "added p50", "added p95", "time to recovery"
	};
	static const char *const rhead[] = {
		"service", "origin", "episode from", "region", "from", "to",
		"origin failed runs"
	};
	json_t *list = json_object_get(doc, "episodes"), *o, *p;
	struct table *t, *rt;
	int64_t absorbed = 0, before = 0, nparts = 0;
	size_t i, j;
	char a[512], b[64];

	if (json_is_true(json_object_get(doc, "no_data"))) {
		buf_printf(out, "No data in this window.\n");
		return;
	}
	if (json_array_size(list) == 0) {
		buf_printf(out, "No origin was failing in this window.\n");
		return;
	}
	t = table_new(11, head, "llllllllrrl");
	rt = table_new(7, rhead, "lllllll");
	json_array_foreach(list, i, o) {
		json_t *fd = json_object_get(o, "front_door");
		bool run = strcmp(json_string_value(json_object_get(o, "resolution")),
		    "run") == 0;

		table_row(t);
		table_cell(t, json_string_value(json_object_get(o, "service")));
		table_cell(t, json_string_value(json_object_get(o, "origin")));
		report_fmt_time(json_object_get(o, "from"), a, sizeof(a));
		if (json_is_true(json_object_get(o, "started_before_window"))) {
			table_cellf(t, "%s *", a);
			before++;
		} else
			table_cell(t, a);
		if (json_is_true(json_object_get(o, "ongoing")))
			table_cell(t, "ongoing");
		else
			table_cell(t, report_fmt_time(json_object_get(o, "to"), a, sizeof(a)));
		table_cell(t, report_fmt_dur(json_object_get(o, "duration_ms"), a, sizeof(a)));
		table_cell(t, report_fmt_join(json_object_get(o, "origin_regions"), ", ", a,
		    sizeof(a)));
		front_door_cell(t, fd);
		table_cellf(t, "%lld of %lld", (long long)json_integer_value(
		    json_object_get(fd, "bad")), (long long)json_integer_value(
		    json_object_get(fd, "total")));
		added_cell(t, json_object_get(fd, "added_p50_ms"));
		added_cell(t, json_object_get(fd, "added_p95_ms"));
		if (json_is_true(json_object_get(o, "absorbed"))) {
			table_cell(t, "no impact");
			absorbed++;
		} else if (json_is_null(json_object_get(o, "recovered_at")))
			table_cell(t, "not recovered");
		else
			table_cell(t, report_fmt_dur(json_object_get(o, "time_to_recovery_ms"),
			    a, sizeof(a)));
		if (!run)
			continue;
		json_array_foreach(json_object_get(o, "regions"), j, p) {
			table_row(rt);
			table_cell(rt, json_string_value(json_object_get(o, "service")));
			table_cell(rt, json_string_value(json_object_get(o, "origin")));
			table_cell(rt, report_fmt_time(json_object_get(o, "from"), b,
			    sizeof(b)));
			table_cell(rt, json_string_value(json_object_get(p, "region")));
			table_cell(rt, report_fmt_time(json_object_get(p, "from"), a,
			    sizeof(a)));
			if (json_is_true(json_object_get(p, "ongoing")))
				table_cell(rt, "ongoing");
			else
				table_cell(rt, report_fmt_time(json_object_get(p, "to"), a,
				    sizeof(a)));
			table_cell(rt, report_fmt_num(json_object_get(p, "bad"), a, sizeof(a)));
			nparts++;
		}
	}
	table_render(t, style, out);
	table_free(t);
	buf_printf(out, "\n%zu episode%s: %lld absorbed by failover (no failed "
	    "front-door run during it), %lld reached the front door.\n",
	    json_array_size(list), json_array_size(list) == 1 ? "" : "s",
	    (long long)absorbed, (long long)(json_array_size(list) - (size_t)absorbed));
	if (before)
		buf_printf(out, "%s* started before the window: shown whole, from the first "
		    "origin failure.\n", style == TABLE_MARKDOWN ? "\n" : "");
	if (nparts > 0) {
		buf_printf(out, "\nEach region's interval (first failed run to the first "
		    "passed one):\n\n");
		table_render(rt, style, out);
	}
	table_free(rt);
}

struct table *
view_failover_csv(const json_t *doc)
{
	static const char *const head[] = {
		"service", "origin", "resolution", "from", "to", "duration_s", "ongoing",
		"started_before_window", "origin_regions", "region_intervals",
		"origin_bad", "origin_total", "front_door_total", "front_door_bad",
		"front_door_error_rate", "front_door_down_minutes", "kept_answering",
		"front_door_failed_in",
		"front_door_p50_ms", "baseline_p50_ms", "added_p50_ms",
		"front_door_p95_ms", "baseline_p95_ms", "added_p95_ms", "absorbed",
		"recovered_at", "time_to_recovery_s"
	};
	static const char *const fdk[] = {
		"total", "bad", "error_rate", "down_minutes", "kept_answering", NULL,
		"p50_ms", "baseline_p50_ms", "added_p50_ms", "p95_ms", "baseline_p95_ms",
		"added_p95_ms"
	};
	struct table *t = table_new(sizeof(head) / sizeof(head[0]), head, NULL);
	json_t *o, *p;
	size_t i, j;
	char a[512], f[32], g[32];

	json_array_foreach(json_object_get(doc, "episodes"), i, o) {
		json_t *fd = json_object_get(o, "front_door"), *ttr;
		size_t off = 0;

		table_row(t);
		table_cell(t, json_string_value(json_object_get(o, "service")));
		table_cell(t, json_string_value(json_object_get(o, "origin")));
		table_cell(t, json_string_value(json_object_get(o, "resolution")));
		table_cell(t, report_fmt_utc(json_object_get(o, "from"), a, sizeof(a)));
		table_cell(t, report_fmt_utc(json_object_get(o, "to"), a, sizeof(a)));
		table_cellf(t, "%.10g", (double)json_integer_value(json_object_get(o,
		    "duration_ms")) / 1000);
		table_cell(t, json_is_true(json_object_get(o, "ongoing")) ? "true" : "false");
		table_cell(t, json_is_true(json_object_get(o, "started_before_window")) ?
		    "true" : "false");
		table_cell(t, report_fmt_join(json_object_get(o, "origin_regions"), ";", a,
		    sizeof(a)));
		a[0] = '\0';
		json_array_foreach(json_object_get(o, "regions"), j, p) {
			int n = snprintf(a + off, sizeof(a) - off, "%s%s %s/%s", j ? ";" : "",
			    json_string_value(json_object_get(p, "region")),
			    report_fmt_utc(json_object_get(p, "from"), f, sizeof(f)),
			    report_fmt_utc(json_object_get(p, "to"), g, sizeof(g)));

			if (n < 0 || (size_t)n >= sizeof(a) - off)
				break;
			off += (size_t)n;
		}
		table_cell(t, a);
		table_cell(t, report_fmt_num(json_object_get(o, "origin_bad"), a, sizeof(a)));
		table_cell(t, report_fmt_num(json_object_get(o, "origin_total"), a, sizeof(a)));
		for (size_t k = 0; k < sizeof(fdk) / sizeof(fdk[0]); k++) {
			json_t *v;

			if (fdk[k] == NULL) {
				table_cell(t, report_fmt_join(json_object_get(fd, "failed_in"),
				    ";", a, sizeof(a)));
				continue;
			}
			v = json_object_get(fd, fdk[k]);
			table_cell(t, json_is_string(v) ? json_string_value(v) :
			    report_fmt_num(v, a, sizeof(a)));
		}
		table_cell(t, json_is_true(json_object_get(o, "absorbed")) ? "true" : "false");
		table_cell(t, report_fmt_utc(json_object_get(o, "recovered_at"), a, sizeof(a)));
		ttr = json_object_get(o, "time_to_recovery_ms");
		if (json_is_integer(ttr))
			table_cellf(t, "%.10g", (double)json_integer_value(ttr) / 1000);
		else
			table_cell(t, "");
	}
	return t;
}
