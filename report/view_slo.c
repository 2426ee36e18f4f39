/* view_slo: per SLO over a window: objective, good/total, availability,
 * error budget and what is left of it, the longest bad stretch and the
 * latency percentiles; --by adds one row per region, layer, provider or
 * check. good/total and percentiles come from rollup_aggregate, exactly
 * what the collector's API serves for the same window; a latency SLI's
 * good runs are the ones counted at ingest at or under its threshold
 * ("approximate_before" when older rollups predate that count). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minutes.h"
#include "report.h"
#include "rollup.h"
#include "rtime.h"
#include "slo.h"
#include "slojson.h"
#include "timeline.h"
#include "timeutil.h"
#include "xmalloc.h"

/* The longest bad stretch of one group: from the runs (run resolution)
 * and, for the part of the window older than the oldest raw result, from
 * the minute rollups; the longer of the two, the earlier of equals. */
struct stretch {
	int64_t		 from, to, bad, total;
	bool		 ongoing;
	const char	*resolution;	/* NULL: none */
	int64_t		 bad_minutes;
};

static json_t *
stretch_json(const struct stretch *s)
{
	if (s == NULL || s->resolution == NULL || s->to <= s->from)
		return json_null();
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:b,s:s}", "from", (json_int_t)s->from,
	    "to", (json_int_t)s->to, "duration_ms", (json_int_t)(s->to - s->from),
	    "bad", (json_int_t)s->bad, "total", (json_int_t)s->total,
	    "ongoing", s->ongoing, "resolution", s->resolution);
}

/* Join the three answers for one group key into st. */
static void
stretch_of(const char *key, const struct minutes_stretch *all, size_t nall,
    const struct minutes_stretch *mins, size_t nmins,
    const struct tl_group_stretch *runs, size_t nruns, struct stretch *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < nall; i++)
		if (strcmp(all[i].key, key) == 0)
			st->bad_minutes = all[i].bad_minutes;
	for (size_t i = 0; i < nmins; i++)
		if (strcmp(mins[i].key, key) == 0 && mins[i].to > mins[i].from) {
			st->from = mins[i].from;
			st->to = mins[i].to;
			st->bad = mins[i].bad;
			st->total = mins[i].total;
			st->resolution = "minute";
		}
	for (size_t i = 0; i < nruns; i++) {
		const struct tl_interval *iv = &runs[i].longest;

		if (strcmp(runs[i].key, key) != 0 || !runs[i].any || iv->to <= iv->from)
			continue;
		if (st->resolution && iv->to - iv->from <= st->to - st->from)
			continue;
		st->from = iv->from;
		st->to = iv->to;
		st->bad = st->total = iv->bad;
		st->ongoing = iv->open;
		st->resolution = "run";
	}
}

/* The three answers of one SLO over [from, to) split at the oldest raw
 * result, grouped by `by` (NULL: one group). 0, or -1 with a message. */
struct stretches {
	struct minutes_stretch	*all, *mins;
	size_t			 nall, nmins;
	struct tl_group_stretch	*runs;
	size_t			 nruns;
};

static int
stretches_load(struct report_ctx *x, const struct slo_config *slo, int64_t from,
    int64_t to, const char *by, struct stretches *s, char *err, size_t errlen)
{
	int64_t split = report_runs_split(x, from);

	memset(s, 0, sizeof(*s));
	if (minutes_stretches(x->st, slo, from, to, by, &s->all, &s->nall, err,
	    errlen) < 0)
		return -1;
	if (split > from && minutes_stretches(x->st, slo, from, split < to ? split :
	    to, by, &s->mins, &s->nmins, err, errlen) < 0)
		return -1;
	if (split < to && timeline_slo_stretches(x->st, slo, split, to, by, &s->runs,
	    &s->nruns, err, errlen) < 0)
		return -1;
	return 0;
}

static void
stretches_free(struct stretches *s)
{
	minutes_stretches_free(s->all, s->nall);
	minutes_stretches_free(s->mins, s->nmins);
	timeline_group_stretches_free(s->runs, s->nruns);
	memset(s, 0, sizeof(*s));
}

/* The numbers of one aggregate (the SLO or one group); a NULL a: no data. */
static void
set_numbers(json_t *o, const struct slo_config *slo, const struct rollup_query *q,
    const struct rollup_agg *a, const struct stretch *st)
{
	int64_t good = a ? rollup_good(a, q, slo) : 0, total = a ? a->total : 0;

	json_object_set_new(o, "good", json_integer(good));
	json_object_set_new(o, "total", json_integer(total));
	json_object_set_new(o, "bad", json_integer(total - good));
	json_object_set_new(o, "availability", slojson_ratio(slo_availability(good,
	    total)));
	json_object_set_new(o, "error_budget", json_real(slo_budget(slo->objective, total)));
	json_object_set_new(o, "budget_remaining", slojson_ratio(
	    slo_budget_remaining(slo->objective, good, total)));
	json_object_set_new(o, "bad_minutes", json_integer(st ? st->bad_minutes : 0));
	json_object_set_new(o, "longest_bad_stretch", stretch_json(st));
	json_object_set_new(o, "latency", slojson_latency(a ? &a->sk : NULL));
	json_object_set_new(o, "no_data", json_boolean(total == 0));
	/* rollups from before the threshold was counted at ingest answered
	 * from their latency sketch: good is then only nearly exact */
	if (a && q->nthr > 0 && a->approx_before[0] != INT64_MIN)
		json_object_set_new(o, "approximate_before",
		    json_integer(a->approx_before[0]));
}

/* One SLO from the DB. */
static int
slo_from_db(struct report_ctx *x, const struct slo_config *slo, json_t **out,
    char *err, size_t errlen)
{
	int64_t to = x->o->window_set ? x->to : x->o->now_ms;
	int64_t from = x->o->window_set ? x->from : to - slo->window_ms;
	int64_t efrom = rollup_window_start(from, to);
	struct rollup_query q;
	struct rollup_agg *a = NULL;
	struct stretches sts;
	struct stretch st;
	size_t na = 0;
	json_t *o;

	*out = NULL;
	memset(&q, 0, sizeof(q));
	q.sel = &slo->sel;
	q.from = from;
	q.to = to;
	q.want_sketch = true;
	if (slo->sli == SLI_LATENCY) {
		q.thr_us = &slo->threshold_us;
		q.nthr = 1;
	}
	if (rollup_aggregate(x->st, NULL, &q, &a, &na, err, errlen) < 0 ||
	    stretches_load(x, slo, efrom, to, NULL, &sts, err, errlen) < 0) {
		rollup_aggs_free(a, na);
		stretches_free(&sts);
		return REPORT_FAIL;
	}
	o = json_pack("{s:s,s:f,s:s,s:o,s:o,s:I,s:I}", "name", slo->name,
	    "objective", slo->objective,
	    "sli", slo->sli == SLI_LATENCY ? "latency" : "availability",
	    "threshold_ms", slo->sli == SLI_LATENCY ?
		json_real((double)slo->threshold_us / 1000.0) : json_null(),
	    "selector", selector_json(&slo->sel),
	    "from", (json_int_t)efrom, "to", (json_int_t)to);
	stretch_of("", sts.all, sts.nall, sts.mins, sts.nmins, sts.runs, sts.nruns, &st);
	set_numbers(o, slo, &q, na == 1 ? &a[0] : NULL, &st);
	json_object_set_new(o, "resolution", json_string(report_resolution(x, efrom,
	    to)));
	rollup_aggs_free(a, na);
	stretches_free(&sts);
	if (x->o->by) {
		json_t *groups = json_array();
		int dim = rollup_dim_parse(x->o->by);

		q.by = dim > 0 ? (unsigned)dim : 0;
		if (dim <= 0 || rollup_aggregate(x->st, NULL, &q, &a, &na, err,
		    errlen) < 0 || stretches_load(x, slo, efrom, to, x->o->by, &sts,
		    err, errlen) < 0) {
			if (dim <= 0)
				snprintf(err, errlen, "cannot group by \"%s\"", x->o->by);
			rollup_aggs_free(a, na);
			stretches_free(&sts);
			json_decref(groups);
			json_decref(o);
			return REPORT_FAIL;
		}
		for (size_t i = 0; i < na; i++) {
			const char *key = rollup_agg_label(&a[i], (enum rollup_dim)dim);
			json_t *g = json_pack("{s:s}", "key", key ? key : "");

			stretch_of(key ? key : "", sts.all, sts.nall, sts.mins, sts.nmins,
			    sts.runs, sts.nruns, &st);
			set_numbers(g, slo, &q, &a[i], &st);
			json_array_append_new(groups, g);
		}
		rollup_aggs_free(a, na);
		stretches_free(&sts);
		json_object_set_new(o, "by", json_pack("{s:s,s:o}", "dimension",
		    x->o->by, "groups", groups));
	}
	*out = o;
	return REPORT_OK;
}

/* The API's "approximate_before" (if it sends one) into o. */
static void
copy_approx(json_t *o, const json_t *api)
{
	json_t *v = json_object_get(api, "approximate_before");

	if (json_is_integer(v))
		json_object_set(o, "approximate_before", v);
}

/* A note for an SLO whose latency good counts are partly from sketches:
 * the latest "approximate_before" of it and its groups. */
static void
note_approx(struct report_ctx *x, const json_t *o)
{
	json_t *v = json_object_get(o, "approximate_before"), *g;
	int64_t t = json_is_integer(v) ? json_integer_value(v) : INT64_MIN;
	size_t i;
	char a[32];

	json_array_foreach(json_object_get(json_object_get(o, "by"), "groups"), i, g) {
		v = json_object_get(g, "approximate_before");
		if (json_is_integer(v) && json_integer_value(v) > t)
			t = json_integer_value(v);
	}
	if (t == INT64_MIN)
		return;
	report_note(x, "%s: runs before %s were not counted against the latency "
	    "threshold at ingest (the threshold is newer): good runs before then "
	    "are estimated from the latency sketch (approximate_before)",
	    json_string_value(json_object_get(o, "name")), rtime_format(t, a,
	    sizeof(a)));
}

/* The API's SLO object as this view's object. */
static json_t *
slo_from_api(const json_t *api, const char *by)
{
	int64_t to = json_integer_value(json_object_get(api, "evaluated_at"));
	int64_t wms = json_integer_value(json_object_get(api, "window_ms"));
	int64_t good = json_integer_value(json_object_get(api, "good"));
	int64_t total = json_integer_value(json_object_get(api, "total"));
	json_t *o, *thr = json_object_get(api, "threshold_ms");
	const char *k[] = { "availability", "error_budget", "budget_remaining" };

	o = json_pack("{s:O,s:O,s:O,s:O,s:O,s:I,s:I,s:I,s:I,s:I}",
	    "name", json_object_get(api, "name"),
	    "objective", json_object_get(api, "objective"),
	    "sli", json_object_get(api, "sli"),
	    "threshold_ms", json_is_number(thr) ? thr : json_null(),
	    "selector", json_object_get(api, "selector"),
	    "from", (json_int_t)rollup_window_start(to - wms, to), "to", (json_int_t)to,
	    "good", (json_int_t)good, "total", (json_int_t)total,
	    "bad", (json_int_t)(total - good));
	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < 3; i++) {
		json_t *v = json_object_get(api, k[i]);
		json_object_set_new(o, k[i], json_is_number(v) ? json_incref(v) : json_null());
	}
	json_object_set_new(o, "bad_minutes", json_null());
	json_object_set_new(o, "longest_bad_stretch", json_null());
	json_object_set(o, "latency", json_object_get(api, "latency") ?
	    json_object_get(api, "latency") : json_null());
	json_object_set_new(o, "no_data", json_boolean(total == 0));
	copy_approx(o, api);
	if (by) {
		json_t *groups = json_array(), *g;
		size_t i;

		json_array_foreach(json_object_get(json_object_get(api, "by"), by), i, g) {
			int64_t gg = json_integer_value(json_object_get(g, "good"));
			int64_t gt = json_integer_value(json_object_get(g, "total"));
			json_t *e = json_pack("{s:O,s:I,s:I,s:I}", "key",
			    json_object_get(g, "key"), "good", (json_int_t)gg,
			    "total", (json_int_t)gt, "bad", (json_int_t)(gt - gg));

			if (e == NULL)
				continue;
			for (size_t j = 0; j < 3; j++) {
				json_t *v = json_object_get(g, k[j]);
				json_object_set_new(e, k[j], json_is_number(v) ?
				    json_incref(v) : json_null());
			}
			json_object_set_new(e, "bad_minutes", json_null());
			json_object_set_new(e, "longest_bad_stretch", json_null());
			json_object_set(e, "latency", json_object_get(g, "latency") ?
			    json_object_get(g, "latency") : json_null());
			json_object_set_new(e, "no_data", json_boolean(gt == 0));
			copy_approx(e, g);
			json_array_append_new(groups, e);
		}
		json_object_set_new(o, "by", json_pack("{s:s,s:o}", "dimension", by,
		    "groups", groups));
	}
	return o;
}

static int
build_api(struct report_ctx *x, json_t *doc, json_t *slos, char *err, size_t errlen)
{
	json_t *list = NULL, *one, *names = json_array(), *v;
	int64_t from = INT64_MAX, to = 0;
	char *wname = NULL;
	bool same = true;
	long status;
	size_t i;
	int rc;

	if (x->o->slo)
		json_array_append_new(names, json_string(x->o->slo));
	else {
		if ((rc = report_api_get(x->o, "/api/v1/slos", &list, &status, err,
		    errlen)) != REPORT_OK) {
			json_decref(names);
			return rc;
		}
		json_array_foreach(json_object_get(list, "slos"), i, v)
			json_array_append(names, json_object_get(v, "name"));
		json_decref(list);
	}
	json_array_foreach(names, i, v) {
		char path[1024];
		json_t *o;

		snprintf(path, sizeof(path), "/api/v1/slos/%s", json_string_value(v));
		if ((rc = report_api_get(x->o, path, &one, &status, err, errlen)) !=
		    REPORT_OK) {
			json_decref(names);
			free(wname);
			return rc;
		}
		if ((o = slo_from_api(one, x->o->by)) == NULL) {
			snprintf(err, errlen, "%s: unexpected answer", path);
			json_decref(one);
			json_decref(names);
			free(wname);
			return REPORT_FAIL;
		}
		note_approx(x, o);
		if (!json_is_string(json_object_get(one, "window")) || (wname &&
		    strcmp(wname, json_string_value(json_object_get(one, "window"))) != 0))
			same = false;
		else if (wname == NULL)
			wname = xstrdup(json_string_value(json_object_get(one, "window")));
		json_decref(one);
		if (json_integer_value(json_object_get(o, "from")) < from)
			from = json_integer_value(json_object_get(o, "from"));
		if (json_integer_value(json_object_get(o, "to")) > to)
			to = json_integer_value(json_object_get(o, "to"));
		json_array_append_new(slos, o);
	}
	json_decref(names);
	if (same && wname)
		json_object_set_new(doc, "slo_window", json_string(wname));
	free(wname);
	if (json_array_size(slos) == 0) {
		snprintf(err, errlen, "no SLOs: the collector at %s defines none",
		    x->o->url);
		return REPORT_USAGE;
	}
	report_set_window(doc, from, to);
	report_note(x, "from the collector API: each SLO's own window, ending at the "
	    "collector's last evaluation; the longest bad stretch needs --db");
	return REPORT_OK;
}

int
view_slo_build(struct report_ctx *x, json_t *doc, char *err, size_t errlen)
{
	const struct collector_config *cc = x->o->conf;
	json_t *slos = json_array(), *o;
	int64_t maxw = 0, wms = -1, sfrom = INT64_MAX, sto = INT64_MIN;
	bool any = false, same = true;
	size_t i;
	int rc;

	json_object_set_new(doc, "by", x->o->by ? json_string(x->o->by) : json_null());
	json_object_set_new(doc, "slos", slos);
	if (x->o->url) {
		if ((rc = build_api(x, doc, slos, err, errlen)) != REPORT_OK)
			return rc;
		goto done;
	}
	if (cc == NULL || cc->nslos == 0) {
		snprintf(err, errlen, "no SLOs: pass -c collector.json (the collector "
		    "config whose slos[] define them)%s", cc ? "; this one has none" : "");
		return REPORT_USAGE;
	}
	if (x->o->slo && collconf_slo(cc, x->o->slo) == NULL) {
		snprintf(err, errlen, "no SLO named \"%s\" in the config", x->o->slo);
		return REPORT_USAGE;
	}
	for (i = 0; i < cc->nslos; i++) {
		const struct slo_config *slo = &cc->slos[i];

		if (x->o->slo && strcmp(slo->name, x->o->slo) != 0)
			continue;
		if ((rc = slo_from_db(x, slo, &o, err, errlen)) != REPORT_OK)
			return rc;
		note_approx(x, o);
		if (json_integer_value(json_object_get(o, "from")) < sfrom)
			sfrom = json_integer_value(json_object_get(o, "from"));
		if (json_integer_value(json_object_get(o, "to")) > sto)
			sto = json_integer_value(json_object_get(o, "to"));
		json_array_append_new(slos, o);
		if (slo->window_ms > maxw)
			maxw = slo->window_ms;
		if (wms >= 0 && wms != slo->window_ms)
			same = false;
		wms = slo->window_ms;
	}
	if (!x->o->window_set) {
		char lbl[32];

		report_set_window(doc, x->o->now_ms - maxw, x->o->now_ms);
		if (same)
			json_object_set_new(doc, "slo_window", json_string(
			    duration_format(wms, lbl, sizeof(lbl))));
	}
	report_set_resolution(x, doc, sfrom, sto);
	report_note_minutes(x, "the bad minutes");
done:
	json_array_foreach(slos, i, o)
		if (!json_is_true(json_object_get(o, "no_data")))
			any = true;
	json_object_set_new(doc, "no_data", json_boolean(!any));
	return REPORT_OK;
}

/* ---- rendering ---- */

static const char *const text_head[] = {
	"SLO", "objective", "good/total", "bad", "availability", "allowed bad",
	"budget left", "longest bad stretch", "p50", "p90", "p95", "p99"
};

static void
stretch_cell(struct table *t, const json_t *o, bool api)
{
	json_t *s = json_object_get(o, "longest_bad_stretch");
	char d[32], w[32];

	if (json_is_object(s)) {
		json_int_t ms = json_integer_value(json_object_get(s, "duration_ms"));

		if (ms < 1000)	/* one bad run between good ones */
			snprintf(d, sizeof(d), "%lldms", (long long)ms);
		else
			report_fmt_dur(json_object_get(s, "duration_ms"), d, sizeof(d));
		table_cellf(t, "%s at %s%s", d, report_fmt_time(json_object_get(s,
		    "from"), w, sizeof(w)), json_is_true(json_object_get(s, "ongoing")) ?
		    " (ongoing)" : "");
	} else
		table_cell(t, api ? "n/a" : json_is_true(json_object_get(o, "no_data")) ?
		    "-" : "none");
}

static void
numbers_row(struct table *t, const char *label, const json_t *obj, const json_t *o,
    bool api)
{
	json_t *lat = json_object_get(o, "latency");
	bool none = json_is_true(json_object_get(o, "no_data"));
	char b[64];

	table_row(t);
	table_cell(t, label);
	table_cellf(t, "%.10g%%", json_number_value(json_object_get(obj, "objective")) * 100);
	table_cellf(t, "%lld/%lld", (long long)json_integer_value(json_object_get(o, "good")),
	    (long long)json_integer_value(json_object_get(o, "total")));
	table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(o, "bad")));
	if (none) {
		table_cell(t, "no data");
		table_cell(t, "-");
		table_cell(t, "-");
	} else {
		table_cell(t, report_fmt_pct(json_object_get(o, "availability"), 3, b,
		    sizeof(b)));
		table_cellf(t, "%.1f", json_number_value(json_object_get(o, "error_budget")));
		table_cell(t, report_fmt_pct(json_object_get(o, "budget_remaining"), 1, b,
		    sizeof(b)));
	}
	stretch_cell(t, o, api);
	table_cell(t, report_fmt_ms(json_object_get(lat, "p50_ms"), b, sizeof(b)));
	table_cell(t, report_fmt_ms(json_object_get(lat, "p90_ms"), b, sizeof(b)));
	table_cell(t, report_fmt_ms(json_object_get(lat, "p95_ms"), b, sizeof(b)));
	table_cell(t, report_fmt_ms(json_object_get(lat, "p99_ms"), b, sizeof(b)));
}

void
view_slo_render(const json_t *doc, enum table_style style, struct buf *out)
{
	bool api = strcmp(json_string_value(json_object_get(doc, "source")), "api") == 0;
	struct table *t = table_new(12, text_head, "lrrrrrrlrrrr");
	json_t *o, *g;
	size_t i, j;

	json_array_foreach(json_object_get(doc, "slos"), i, o) {
		json_t *by = json_object_get(o, "by");

		numbers_row(t, json_string_value(json_object_get(o, "name")), o, o, api);
		json_array_foreach(json_object_get(by, "groups"), j, g) {
			char label[512];

			snprintf(label, sizeof(label), "  %s %s",
			    json_string_value(json_object_get(by, "dimension")),
			    json_string_value(json_object_get(g, "key"))[0] ?
			    json_string_value(json_object_get(g, "key")) : "(none)");
			numbers_row(t, label, o, g, api);
		}
	}
	table_render(t, style, out);
	table_free(t);
	if (json_is_true(json_object_get(doc, "no_data")))
		buf_printf(out, "\nNo data in this window: no results matched any SLO.\n");
	if (!json_is_string(json_object_get(doc, "slo_window")) &&
	    json_is_true(json_object_get(json_object_get(doc, "window"), "default"))) {
		buf_printf(out, "\n");
		json_array_foreach(json_object_get(doc, "slos"), i, o) {
			char a[32], b[32];

			buf_printf(out, "%s%s: %s .. %s UTC\n", style == TABLE_MARKDOWN ?
			    "- " : "", json_string_value(json_object_get(o, "name")),
			    report_fmt_time(json_object_get(o, "from"), a, sizeof(a)),
			    report_fmt_time(json_object_get(o, "to"), b, sizeof(b)));
		}
	}
}

static const char *const csv_head[] = {
	"slo", "group_by", "group", "objective", "sli", "from", "to", "good", "total",
	"bad", "availability", "error_budget", "budget_remaining", "bad_minutes",
	"longest_bad_from", "longest_bad_to", "longest_bad_minutes", "p50_ms",
	"p90_ms", "p95_ms", "p99_ms"
};

static void
csv_row(struct table *t, const json_t *slo, const char *by, const json_t *o)
{
	json_t *s = json_object_get(o, "longest_bad_stretch");
	json_t *lat = json_object_get(o, "latency");
	static const char *const num[] = {
		"good", "total", "bad", "availability", "error_budget",
		"budget_remaining", "bad_minutes"
	};
	static const char *const pk[] = { "p50_ms", "p90_ms", "p95_ms", "p99_ms" };
	char b[64];

	table_row(t);
	table_cell(t, json_string_value(json_object_get(slo, "name")));
	table_cell(t, by ? by : "");
	table_cell(t, by ? json_string_value(json_object_get(o, "key")) : "");
	table_cell(t, report_fmt_num(json_object_get(slo, "objective"), b, sizeof(b)));
	table_cell(t, json_string_value(json_object_get(slo, "sli")));
	table_cell(t, report_fmt_utc(json_object_get(slo, "from"), b, sizeof(b)));
	table_cell(t, report_fmt_utc(json_object_get(slo, "to"), b, sizeof(b)));
	for (size_t i = 0; i < sizeof(num) / sizeof(num[0]); i++)
		table_cell(t, report_fmt_num(json_object_get(o, num[i]), b, sizeof(b)));
	table_cell(t, report_fmt_utc(json_object_get(s, "from"), b, sizeof(b)));
	table_cell(t, report_fmt_utc(json_object_get(s, "to"), b, sizeof(b)));
	if (json_is_object(s))	/* minutes, with a fraction at run resolution */
		table_cellf(t, "%.10g", (double)json_integer_value(json_object_get(s,
		    "duration_ms")) / 60000);
	else
		table_cell(t, "");
	for (size_t i = 0; i < 4; i++)
		table_cell(t, report_fmt_num(json_object_get(lat, pk[i]), b, sizeof(b)));
}

struct table *
view_slo_csv(const json_t *doc)
{
	struct table *t = table_new(sizeof(csv_head) / sizeof(csv_head[0]), csv_head,
	    NULL);
	json_t *o, *g;
	size_t i, j;

	json_array_foreach(json_object_get(doc, "slos"), i, o) {
		json_t *by = json_object_get(o, "by");

		csv_row(t, o, NULL, o);
		json_array_foreach(json_object_get(by, "groups"), j, g)
			csv_row(t, o, json_string_value(json_object_get(by, "dimension")), g);
	}
	return t;
}
