/* view_attribution: for every bad minute at the front door (at least one
 * front-door run failed), the most likely layer at fault from what the
 * origins showed in the same minute, and the share of the error budget each
 * cause consumed:
 *   region      the front door failed in some regions only (not more than
 *               half of those probing it): an agent's own network, or that
 *               region's path
 *   front_door  the front door was down, both origins were not: the CDN
 *   edge        ... and the edge origin was down, the central was not
 *   central     ... and the central origin was down, the edge was not
 *   all         ... and both origins were down
 * (states per minutes.h). The budget is the front-door availability SLO's
 * over the report's window. From the minute rollups: minute resolution. */
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
#include "xmalloc.h"

enum cause { CAUSE_FRONT_DOOR = 0, CAUSE_EDGE, CAUSE_CENTRAL, CAUSE_ALL, CAUSE_REGION,
	CAUSE_COUNT };

static const struct {
	const char	*key, *label;
} causes[CAUSE_COUNT] = {
	{ "front_door", "front door only" },
	{ "edge", "edge origin" },
	{ "central", "central origin" },
	{ "all", "all layers" },
	{ "region", "one region only" },
};

static const char *const state_names[] = { "no_data", "ok", "region", "down" };

static enum cause
classify(const struct minutes_minute *mm)
{
	bool edge = minutes_state(&mm->l[MLAYER_EDGE]) == MSTATE_DOWN;
	bool central = minutes_state(&mm->l[MLAYER_CENTRAL]) == MSTATE_DOWN;

	if (minutes_state(&mm->l[MLAYER_FRONT_DOOR]) != MSTATE_DOWN)
		return CAUSE_REGION;
	if (edge && central)
		return CAUSE_ALL;
	if (edge)
		return CAUSE_EDGE;
	if (central)
		return CAUSE_CENTRAL;
	return CAUSE_FRONT_DOOR;
}

/* The SLO whose budget the front door of service spends: --slo, else the
 * first availability SLO that selects only the front door (of this service
 * or of every service). */
static const struct slo_config *
pick_slo(const struct report_opts *o, const char *service)
{
	const struct collector_config *cc = o->conf;

	if (cc == NULL)
		return NULL;
	if (o->slo)
		return collconf_slo(cc, o->slo);
	for (size_t i = 0; i < cc->nslos; i++) {
		const struct slo_config *s = &cc->slos[i];

		if (s->sli == SLI_AVAILABILITY && s->sel.layer &&
		    strcmp(s->sel.layer, "front_door") == 0 && s->sel.provider == NULL &&
		    s->sel.region == NULL && s->sel.check == NULL &&
		    (s->sel.service == NULL || strcmp(s->sel.service, service) == 0))
			return s;
	}
	return NULL;
}

static int
service_json(struct report_ctx *x, const struct minutes *g,
    const struct minutes_service *sv, json_t **out, char *err, size_t errlen)
{
	const struct slo_config *slo = pick_slo(x->o, sv->name);
	int64_t minutes[CAUSE_COUNT] = { 0 }, bad[CAUSE_COUNT] = { 0 }, all_bad = 0;
	int64_t fd_total = 0, nbad = 0;
	double budget = NAN;
	json_t *o, *mins = json_array(), *cs = json_array(), *sj = json_null();

	*out = NULL;
	if (slo) {
		struct rollup_query q;
		struct rollup_agg *a;
		size_t n;
		int64_t total = 0;

		memset(&q, 0, sizeof(q));
		q.sel = &slo->sel;
		q.from = x->from;
		q.to = x->to;
		if (rollup_aggregate(x->st, NULL, &q, &a, &n, err, errlen) < 0) {
			json_decref(mins);
			json_decref(cs);
			return -1;
		}
		if (n == 1)
			total = a[0].total;
		rollup_aggs_free(a, n);
		budget = slo_budget(slo->objective, total);
		sj = json_pack("{s:s,s:f,s:I,s:f}", "name", slo->name, "objective",
		    slo->objective, "total", (json_int_t)total, "error_budget", budget);
	}
	for (size_t i = 0; i < sv->n; i++) {
		const struct minutes_minute *mm = &sv->m[i];
		const struct minutes_cell *f = &mm->l[MLAYER_FRONT_DOOR];
		enum cause c;

		fd_total += f->total;
		if (f->bad == 0)
			continue;
		c = classify(mm);
		minutes[c]++;
		bad[c] += f->bad;
		all_bad += f->bad;
		nbad++;
		json_array_append_new(mins, json_pack("{s:I,s:s,s:I,s:I,s:o,s:s,s:s,s:o}",
		    "minute", (json_int_t)mm->t, "cause", causes[c].key,
		    "front_door_bad", (json_int_t)f->bad,
		    "front_door_total", (json_int_t)f->total,
		    "front_door_regions", minutes_regions_json(g, f->failing),
		    "edge", state_names[minutes_state(&mm->l[MLAYER_EDGE])],
		    "central", state_names[minutes_state(&mm->l[MLAYER_CENTRAL])],
		    "budget_share", budget > 0 ? json_real((double)f->bad / budget) :
			json_null()));
	}
	for (int c = 0; c < CAUSE_COUNT; c++)
		json_array_append_new(cs, json_pack("{s:s,s:s,s:I,s:I,s:o,s:o}",
		    "cause", causes[c].key, "label", causes[c].label,
		    "minutes", (json_int_t)minutes[c], "bad", (json_int_t)bad[c],
		    "share_of_bad", all_bad ? json_real((double)bad[c] / (double)all_bad) :
			json_null(),
		    "budget_share", budget > 0 ? json_real((double)bad[c] / budget) :
			json_null()));
	o = json_pack("{s:s,s:o,s:I,s:I,s:I,s:o,s:o,s:o}", "service", sv->name,
	    "slo", sj, "front_door_total", (json_int_t)fd_total,
	    "bad_minutes", (json_int_t)nbad, "bad", (json_int_t)all_bad,
	    "budget_share", budget > 0 ? json_real((double)all_bad / budget) : json_null(),
	    "causes", cs, "minutes", mins);
	*out = o;
	return 0;
}

int
view_attribution_build(struct report_ctx *x, json_t *doc, char *err, size_t errlen)
{
	json_t *list = json_array(), *o;
	struct minutes *g;
	bool any_slo = false;

	json_object_set_new(doc, "services", list);
	if (x->o->slo && (x->o->conf == NULL || collconf_slo(x->o->conf, x->o->slo) ==
	    NULL)) {
		snprintf(err, errlen, "no SLO named \"%s\"%s", x->o->slo, x->o->conf ?
		    " in the config" : ": pass -c collector.json");
		return REPORT_USAGE;
	}
	if (minutes_load(x->st, NULL, rtime_floor(x->from, RTIME_MIN_MS), x->to, &g,
	    err, errlen) < 0)
		return REPORT_FAIL;
	for (size_t si = 0; si < g->nsvc; si++) {
		const struct minutes_service *sv = &g->svc[si];
		bool fd = false;

		for (size_t i = 0; i < sv->n && !fd; i++)
			fd = sv->m[i].l[MLAYER_FRONT_DOOR].total > 0;
		if (!fd)
			continue;	/* no front door: nothing to attribute */
		if (service_json(x, g, sv, &o, err, errlen) < 0) {
			minutes_free(g);
			return REPORT_FAIL;
		}
		any_slo = any_slo || json_is_object(json_object_get(o, "slo"));
		json_array_append_new(list, o);
	}
	json_object_set_new(doc, "no_data", json_boolean(g->nsvc == 0));
	minutes_free(g);
	if (!any_slo && json_array_size(list) > 0)
		report_note(x, x->o->conf ? "no availability SLO selects only the front "
		    "door: budget shares need one (or --slo NAME)" :
		    "no SLOs: pass -c collector.json for the share of the error budget");
	report_note_minutes(x, "this view");
	return REPORT_OK;
}

/* ---- rendering ---- */

static void
pct_or_dash(struct table *t, const json_t *v)
{
	char b[64];

	table_cell(t, report_fmt_pct(v, 1, b, sizeof(b)));
}

/* Consecutive bad minutes with the same cause, as one row. */
static void
stretches(const json_t *mins, enum table_style style, struct buf *out)
{
	static const char *const head[] = {
		"from", "to", "minutes", "cause", "failed runs", "front door failing in",
		"edge", "central", "budget"
	};
	struct table *t = table_new(9, head, "llrlrlllr");
	size_t i = 0, n = json_array_size(mins);

	while (i < n) {
		json_t *m = json_array_get(mins, i);
		const char *cause = json_string_value(json_object_get(m, "cause"));
		int64_t from = json_integer_value(json_object_get(m, "minute"));
		int64_t bad = 0, to = from;
		double share = 0;
		bool has_share = json_is_number(json_object_get(m, "budget_share"));
		json_t *regions = json_array(), *r, *edge = json_object_get(m, "edge");
		json_t *central = json_object_get(m, "central");
		size_t j = i, k;
		char a[512];

		while (j < n) {
			json_t *mj = json_array_get(mins, j);

			if (json_integer_value(json_object_get(mj, "minute")) != to ||
			    strcmp(json_string_value(json_object_get(mj, "cause")), cause) != 0)
				break;
			bad += json_integer_value(json_object_get(mj, "front_door_bad"));
			share += json_number_value(json_object_get(mj, "budget_share"));
			json_array_foreach(json_object_get(mj, "front_door_regions"), k, r) {
				size_t q;
				json_t *e;
				bool seen = false;

				json_array_foreach(regions, q, e)
					seen = seen || json_equal(e, r);
				if (!seen)
					json_array_append(regions, r);
			}
			if (!json_equal(json_object_get(mj, "edge"), edge))
				edge = NULL;
			if (!json_equal(json_object_get(mj, "central"), central))
				central = NULL;
			to += RTIME_MIN_MS;
			j++;
		}
		table_row(t);
		table_cell(t, rtime_short(from, a, sizeof(a)));
		table_cell(t, rtime_short(to, a, sizeof(a)));
		table_cellf(t, "%lld", (long long)(to - from) / RTIME_MIN_MS);
		for (int c = 0; c < CAUSE_COUNT; c++)
			if (strcmp(causes[c].key, cause) == 0)
				table_cell(t, causes[c].label);
		table_cellf(t, "%lld", (long long)bad);
		table_cell(t, report_fmt_join(regions, ", ", a, sizeof(a)));
		table_cell(t, edge ? json_string_value(edge) : "mixed");
		table_cell(t, central ? json_string_value(central) : "mixed");
		if (has_share)
			table_cellf(t, "%.1f%%", share * 100);
		else
			table_cell(t, "-");
		json_decref(regions);
		i = j;
	}
	table_render(t, style, out);
	table_free(t);
}

void
view_attribution_render(const json_t *doc, enum table_style style, struct buf *out)
{
	static const char *const head[] = {
		"cause", "bad minutes", "failed runs", "share of failed", "budget consumed"
	};
	json_t *list = json_object_get(doc, "services"), *s, *c;
	size_t i, j;

	if (json_is_true(json_object_get(doc, "no_data"))) {
		buf_printf(out, "No data in this window.\n");
		return;
	}
	if (json_array_size(list) == 0) {
		buf_printf(out, "No front-door results in this window.\n");
		return;
	}
	json_array_foreach(list, i, s) {
		json_t *slo = json_object_get(s, "slo");
		struct table *t;

		if (i > 0)
			buf_printf(out, "\n");
		buf_printf(out, style == TABLE_MARKDOWN ? "### Service %s\n\n" :
		    "Service %s: ", json_string_value(json_object_get(s, "service")));
		buf_printf(out, "%lld bad minutes, %lld failed front-door runs of %lld",
		    (long long)json_integer_value(json_object_get(s, "bad_minutes")),
		    (long long)json_integer_value(json_object_get(s, "bad")),
		    (long long)json_integer_value(json_object_get(s, "front_door_total")));
		if (json_is_object(slo))
			buf_printf(out, "; budget of %s (%.10g%%): %.1f failed runs in this "
			    "window, %.1f%% consumed", json_string_value(json_object_get(slo,
			    "name")), json_number_value(json_object_get(slo, "objective")) * 100,
			    json_number_value(json_object_get(slo, "error_budget")),
			    json_number_value(json_object_get(s, "budget_share")) * 100);
		buf_printf(out, ".\n");
		if (json_integer_value(json_object_get(s, "bad_minutes")) == 0) {
			buf_printf(out, "%sNo bad minute at the front door.\n",
			    style == TABLE_MARKDOWN ? "\n" : "");
			continue;
		}
		buf_printf(out, "\n");
		t = table_new(5, head, "lrrrr");
		json_array_foreach(json_object_get(s, "causes"), j, c) {
			table_row(t);
			table_cell(t, json_string_value(json_object_get(c, "label")));
			table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(c,
			    "minutes")));
			table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(c,
			    "bad")));
			pct_or_dash(t, json_object_get(c, "share_of_bad"));
			pct_or_dash(t, json_object_get(c, "budget_share"));
		}
		table_render(t, style, out);
		table_free(t);
		buf_printf(out, "\n");
		stretches(json_object_get(s, "minutes"), style, out);
	}
}

struct table *
view_attribution_csv(const json_t *doc)
{
	static const char *const head[] = {
		"service", "minute", "cause", "front_door_bad", "front_door_total",
		"front_door_regions", "edge", "central", "budget_share"
	};
	struct table *t = table_new(sizeof(head) / sizeof(head[0]), head, NULL);
	json_t *s, *m;
	size_t i, j;
	char a[512];

	json_array_foreach(json_object_get(doc, "services"), i, s) {
		json_array_foreach(json_object_get(s, "minutes"), j, m) {
			table_row(t);
			table_cell(t, json_string_value(json_object_get(s, "service")));
			table_cell(t, report_fmt_utc(json_object_get(m, "minute"), a, sizeof(a)));
			table_cell(t, json_string_value(json_object_get(m, "cause")));
			table_cell(t, report_fmt_num(json_object_get(m, "front_door_bad"), a,
			    sizeof(a)));
			table_cell(t, report_fmt_num(json_object_get(m, "front_door_total"), a,
			    sizeof(a)));
			table_cell(t, report_fmt_join(json_object_get(m, "front_door_regions"),
			    ";", a, sizeof(a)));
			table_cell(t, json_string_value(json_object_get(m, "edge")));
			table_cell(t, json_string_value(json_object_get(m, "central")));
			table_cell(t, report_fmt_num(json_object_get(m, "budget_share"), a,
			    sizeof(a)));
		}
	}
	return t;
}
