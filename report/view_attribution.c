/* view_attribution: every failed front-door run, blamed on the layer at
 * fault, and the share of the error budget each layer consumed:
 *   edge        the edge origin was failing in the run's region when it
 *               started (and the central origin was not)
 *   central     the central origin was (and the edge origin was not)
 *   all         both origins were
 *   front_door  neither: the front door (the CDN) itself
 * A layer's share of the consumed budget is its failed runs over all failed
 * front-door runs; its budget consumed is its failed runs over the error
 * budget of the front-door availability SLO over the report's window
 * ((1 - objective) x that SLO's runs).
 *
 * At the resolution of single runs (core/timeline.h) while raw results are
 * kept. Before the oldest raw result, from the minute rollups: each minute
 * with a failed front-door run is blamed on an origin that failed that
 * minute in every region where the front door failed ("resolution":
 * "minute"). */
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
#include "timeline.h"
#include "xmalloc.h"

#define LOOKBACK_MS	(30 * 60000LL)	/* origin failures going on at the
					 * window's start are followed back this far */

static const char *const cause_labels[TL_CAUSE_COUNT] = {
	"front door itself", "edge origin", "central origin", "both origins"
};

static const char *const state_names[] = { "no_data", "ok", "region", "down" };

/* What one service adds up to over both parts of the window. */
struct svc {
	char		*name;
	double		 budget;	/* NaN without an SLO */
	json_t		*slo;		/* object or null */
	int64_t		 fd_total, bad, bad_minutes;
	int64_t		 cbad[TL_CAUSE_COUNT], cmin[TL_CAUSE_COUNT];
	json_t		*stretches, *runs, *minutes;
};

struct svcs {
	struct svc	*v;
	size_t		 n, alloc;
};

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

/* The accumulator of service name (added, with its SLO's budget over the
 * window, when new); NULL with a message in err. */
static struct svc *
svc_get(struct report_ctx *x, struct svcs *l, const char *name, char *err,
    size_t errlen)
{
	const struct slo_config *slo = pick_slo(x->o, name);
	struct svc *s;

	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 4;
		l->v = xreallocarray(l->v, l->alloc, sizeof(*l->v));
	}
	s = &l->v[l->n];
	memset(s, 0, sizeof(*s));
	s->budget = NAN;
	s->slo = json_null();
	if (slo) {
		struct rollup_query q;
		struct rollup_agg *a;
		size_t n;
		int64_t total = 0;

		memset(&q, 0, sizeof(q));
		q.sel = &slo->sel;
		q.from = x->from;
		q.to = x->to;
		if (rollup_aggregate(x->st, NULL, &q, &a, &n, err, errlen) < 0)
			return NULL;
		if (n == 1)
			total = a[0].total;
		rollup_aggs_free(a, n);
		s->budget = slo_budget(slo->objective, total);
		s->slo = json_pack("{s:s,s:f,s:I,s:f}", "name", slo->name, "objective",
		    slo->objective, "total", (json_int_t)total, "error_budget", s->budget);
	}
	s->name = xstrdup(name);
	s->stretches = json_array();
	s->runs = json_array();
	s->minutes = json_array();
	l->n++;
	return s;
}

static void
svcs_free(struct svcs *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		json_decref(l->v[i].slo);
		json_decref(l->v[i].stretches);
		json_decref(l->v[i].runs);
		json_decref(l->v[i].minutes);
	}
	free(l->v);
}

static json_t *
share(const struct svc *s, int64_t bad)
{
	return s->budget > 0 ? json_real((double)bad / s->budget) : json_null();
}

/* {"front_door": n, "edge": n, "central": n, "all": n} */
static json_t *
causes_json(const int64_t *n)
{
	json_t *o = json_object();

	for (int c = 0; c < TL_CAUSE_COUNT; c++)
		json_object_set_new(o, timeline_cause_name((enum tl_cause)c),
		    json_integer(n[c]));
	return o;
}

static json_t *
stretch_json(const struct svc *s, const char *resolution, int64_t from, int64_t to,
    bool ongoing, json_t *regions, const int64_t *n)
{
	int64_t bad = 0;

	for (int c = 0; c < TL_CAUSE_COUNT; c++)
		bad += n[c];
	return json_pack("{s:s,s:I,s:I,s:I,s:b,s:o,s:I,s:o,s:o}",
	    "resolution", resolution, "from", (json_int_t)from, "to", (json_int_t)to,
	    "duration_ms", (json_int_t)(to - from), "ongoing", ongoing,
	    "front_door_regions", regions, "bad", (json_int_t)bad,
	    "causes", causes_json(n), "budget_share", share(s, bad));
}

/* ---- minute resolution ---- */

/* A bad front-door minute's cause: an origin that failed that minute in
 * every region where the front door failed. */
static enum tl_cause
minute_cause(const struct minutes_minute *mm)
{
	uint64_t f = mm->l[MLAYER_FRONT_DOOR].failing;
	bool edge = (f & ~mm->l[MLAYER_EDGE].failing) == 0;
	bool central = (f & ~mm->l[MLAYER_CENTRAL].failing) == 0;

	return edge && central ? TL_CAUSE_BOTH : edge ? TL_CAUSE_EDGE :
	    central ? TL_CAUSE_CENTRAL : TL_CAUSE_FRONT_DOOR;
}

static int
minute_part(struct report_ctx *x, struct svcs *l, int64_t to, bool *data,
    char *err, size_t errlen)
{
	struct minutes *g;

	if (minutes_load(x->st, NULL, rtime_floor(x->from, RTIME_MIN_MS), to, &g,
	    err, errlen) < 0)
		return -1;
	*data = *data || g->nsvc > 0;
	for (size_t si = 0; si < g->nsvc; si++) {
		const struct minutes_service *sv = &g->svc[si];
		int64_t n[TL_CAUSE_COUNT] = { 0 }, sfrom = -1, sto = -1;
		uint64_t regions = 0;
		struct svc *s;
		bool fd = false;

		for (size_t i = 0; i < sv->n && !fd; i++)
			fd = sv->m[i].l[MLAYER_FRONT_DOOR].total > 0;
		if (!fd)
			continue;	/* no front door: nothing to attribute */
		if ((s = svc_get(x, l, sv->name, err, errlen)) == NULL) {
			minutes_free(g);
			return -1;
		}
		for (size_t i = 0; i <= sv->n; i++) {
			const struct minutes_minute *mm = i < sv->n ? &sv->m[i] : NULL;
			const struct minutes_cell *f = mm ? &mm->l[MLAYER_FRONT_DOOR] : NULL;
			enum tl_cause c;

			/* a minute without a failure ends the stretch */
			if (sfrom >= 0 && (mm == NULL || f->bad == 0 || mm->t != sto)) {
				json_array_append_new(s->stretches, stretch_json(s, "minute",
				    sfrom, sto, false, minutes_regions_json(g, regions), n));
				memset(n, 0, sizeof(n));
				regions = 0;
				sfrom = -1;
			}
			if (mm == NULL)
				break;
			s->fd_total += f->total;
			if (f->bad == 0)
				continue;
			c = minute_cause(mm);
			s->cmin[c]++;
			s->cbad[c] += f->bad;
			s->bad += f->bad;
			s->bad_minutes++;
			n[c] += f->bad;
			regions |= f->failing;
			if (sfrom < 0)
				sfrom = mm->t;
			sto = mm->t + RTIME_MIN_MS;
			json_array_append_new(s->minutes, json_pack("{s:I,s:s,s:I,s:I,s:o,"
			    "s:s,s:s,s:o}", "minute", (json_int_t)mm->t,
			    "cause", timeline_cause_name(c),
			    "front_door_bad", (json_int_t)f->bad,
			    "front_door_total", (json_int_t)f->total,
			    "front_door_regions", minutes_regions_json(g, f->failing),
			    "edge", state_names[minutes_state(&mm->l[MLAYER_EDGE])],
			    "central", state_names[minutes_state(&mm->l[MLAYER_CENTRAL])],
			    "budget_share", share(s, f->bad)));
		}
	}
	minutes_free(g);
	return 0;
}

/* ---- run resolution ---- */

static const char *
region_name(const char *r)
{
	return r && r[0] ? r : "unknown";
}

static void
run_service(struct svc *s, const struct timeline *tl, int64_t from, int64_t to)
{
	const struct tl_run *fd = tl->runs[MLAYER_FRONT_DOOR];
	struct tl_blame *b;
	struct tl_episode *ev;
	size_t nb = timeline_blame(tl, from, to, &b), k = 0;
	size_t ne = timeline_episodes(tl, MLAYER_FRONT_DOOR, 0, &ev);
	int64_t last_min = INT64_MIN, last_cmin[TL_CAUSE_COUNT];
	unsigned char *seen = xcalloc(tl->nregions + 1, 1);

	for (int c = 0; c < TL_CAUSE_COUNT; c++)
		last_cmin[c] = INT64_MIN;
	for (size_t i = 0; i < tl->nruns[MLAYER_FRONT_DOOR]; i++)
		s->fd_total += fd[i].start >= from && fd[i].start < to &&
		    fd[i].state != TL_SKIP;
	for (size_t i = 0; i < nb; i++) {
		int64_t m = rtime_floor(b[i].at, RTIME_MIN_MS);

		s->bad++;
		s->cbad[b[i].cause]++;
		s->bad_minutes += m != last_min;
		last_min = m;
		s->cmin[b[i].cause] += m != last_cmin[b[i].cause];
		last_cmin[b[i].cause] = m;
		json_array_append_new(s->runs, json_pack("{s:I,s:s,s:s,s:o}",
		    "at", (json_int_t)b[i].at, "region",
		    region_name(tl->regions[b[i].region]), "cause",
		    timeline_cause_name(b[i].cause), "budget_share", share(s, 1)));
	}
	/* the front door's own failing stretches, with what their failed runs
	 * are blamed on */
	for (size_t e = 0; e < ne; e++) {
		int64_t n[TL_CAUSE_COUNT] = { 0 }, any = 0;
		json_t *regions;

		memset(seen, 0, tl->nregions + 1);
		for (; k < nb && b[k].at < ev[e].iv.to; k++) {
			if (b[k].at < ev[e].iv.from)
				continue;
			n[b[k].cause]++;
			any++;
			seen[b[k].region] = 1;
		}
		if (any == 0)
			continue;
		regions = json_array();
		for (size_t r = 0; r < tl->nregions; r++)
			if (seen[r])
				json_array_append_new(regions, json_string(region_name(
				    tl->regions[r])));
		json_array_append_new(s->stretches, stretch_json(s, "run", ev[e].iv.from,
		    ev[e].iv.to, ev[e].iv.open, regions, n));
	}
	free(seen);
	timeline_episodes_free(ev, ne);
	free(b);
}

static int
run_part(struct report_ctx *x, struct svcs *l, int64_t from, bool *data,
    char *err, size_t errlen)
{
	struct timeline **tls;
	size_t ntl;

	if (timeline_load(x->st, NULL, from - LOOKBACK_MS, x->to, &tls, &ntl, err,
	    errlen) < 0)
		return -1;
	for (size_t t = 0; t < ntl; t++) {
		const struct timeline *tl = tls[t];
		const struct tl_run *fd = tl->runs[MLAYER_FRONT_DOOR];
		bool any = false, fdrun = false;
		struct svc *s;

		for (int ly = 0; ly < MLAYER_COUNT; ly++)
			for (size_t i = 0; i < tl->nruns[ly] && !any; i++)
				any = tl->runs[ly][i].start >= from;
		for (size_t i = 0; i < tl->nruns[MLAYER_FRONT_DOOR] && !fdrun; i++)
			fdrun = fd[i].start >= from;
		*data = *data || any;
		if (!fdrun)
			continue;	/* no front door: nothing to attribute */
		if ((s = svc_get(x, l, tl->service, err, errlen)) == NULL) {
			timeline_list_free(tls, ntl);
			return -1;
		}
		run_service(s, tl, from, x->to);
	}
	timeline_list_free(tls, ntl);
	return 0;
}

static int
cmp_svc(const void *a, const void *b)
{
	return strcmp(((const struct svc *)a)->name, ((const struct svc *)b)->name);
}

int
view_attribution_build(struct report_ctx *x, json_t *doc, char *err, size_t errlen)
{
	json_t *list = json_array();
	struct svcs l = { NULL, 0, 0 };
	int64_t split = report_runs_split(x, x->from);
	bool any_slo = false, data = false;

	report_set_resolution(x, doc, x->from, x->to);
	json_object_set_new(doc, "services", list);
	if (x->o->slo && (x->o->conf == NULL || collconf_slo(x->o->conf, x->o->slo) ==
	    NULL)) {
		snprintf(err, errlen, "no SLO named \"%s\"%s", x->o->slo, x->o->conf ?
		    " in the config" : ": pass -c collector.json");
		return REPORT_USAGE;
	}
	if ((split > x->from && minute_part(x, &l, split < x->to ? split : x->to,
	    &data, err, errlen) < 0) ||
	    (split < x->to && run_part(x, &l, split, &data, err, errlen) < 0)) {
		svcs_free(&l);
		return REPORT_FAIL;
	}
	qsort(l.v, l.n, sizeof(*l.v), cmp_svc);
	for (size_t i = 0; i < l.n; i++) {
		struct svc *s = &l.v[i];
		json_t *cs = json_array();

		for (int c = 0; c < TL_CAUSE_COUNT; c++)
			json_array_append_new(cs, json_pack("{s:s,s:s,s:I,s:I,s:o,s:o}",
			    "cause", timeline_cause_name((enum tl_cause)c),
			    "label", cause_labels[c], "minutes", (json_int_t)s->cmin[c],
			    "bad", (json_int_t)s->cbad[c],
			    "share_of_bad", s->bad ? json_real((double)s->cbad[c] /
				(double)s->bad) : json_null(),
			    "budget_share", share(s, s->cbad[c])));
		any_slo = any_slo || json_is_object(s->slo);
		json_array_append_new(list, json_pack("{s:s,s:O,s:I,s:I,s:I,s:o,s:o,s:O,"
		    "s:O,s:O}", "service", s->name, "slo", s->slo,
		    "front_door_total", (json_int_t)s->fd_total,
		    "bad_minutes", (json_int_t)s->bad_minutes, "bad", (json_int_t)s->bad,
		    "budget_share", share(s, s->bad), "causes", cs,
		    "stretches", s->stretches, "runs", s->runs, "minutes", s->minutes));
	}
	json_object_set_new(doc, "no_data", json_boolean(!data));
	svcs_free(&l);
	if (!any_slo && json_array_size(list) > 0)
		report_note(x, x->o->conf ? "no availability SLO selects only the front "
		    "door: budget shares need one (or --slo NAME)" :
		    "no SLOs: pass -c collector.json for the share of the error budget");
	if (split > x->from)
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

/* "central origin" when one layer is blamed, else "front door itself 1,
 * both origins 5". */
static void
blamed_cell(struct table *t, const json_t *causes)
{
	char out[256];
	size_t off = 0;
	int kinds = 0, only = 0;

	for (int c = 0; c < TL_CAUSE_COUNT; c++)
		if (json_integer_value(json_object_get(causes,
		    timeline_cause_name((enum tl_cause)c))) > 0) {
			kinds++;
			only = c;
		}
	if (kinds <= 1) {
		table_cell(t, kinds ? cause_labels[only] : "-");
		return;
	}
	out[0] = '\0';
	for (int c = 0; c < TL_CAUSE_COUNT; c++) {
		json_int_t n = json_integer_value(json_object_get(causes,
		    timeline_cause_name((enum tl_cause)c)));
		int w;

		if (n == 0)
			continue;
		w = snprintf(out + off, sizeof(out) - off, "%s%s %lld", off ? ", " : "",
		    cause_labels[c], (long long)n);
		if (w < 0 || (size_t)w >= sizeof(out) - off)
			break;
		off += (size_t)w;
	}
	table_cell(t, out);
}

static void
stretches(const json_t *list, enum table_style style, struct buf *out)
{
	static const char *const head[] = {
		"from", "to", "duration", "failed runs", "front door failing in",
		"blamed on", "budget"
	};
	struct table *t = table_new(7, head, "lllrlll");
	json_t *s;
	size_t i;
	char a[512];

	json_array_foreach(list, i, s) {
		table_row(t);
		table_cell(t, report_fmt_time(json_object_get(s, "from"), a, sizeof(a)));
		if (json_is_true(json_object_get(s, "ongoing")))
			table_cell(t, "ongoing");
		else
			table_cell(t, report_fmt_time(json_object_get(s, "to"), a, sizeof(a)));
		table_cell(t, report_fmt_dur(json_object_get(s, "duration_ms"), a,
		    sizeof(a)));
		table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(s,
		    "bad")));
		table_cell(t, report_fmt_join(json_object_get(s, "front_door_regions"),
		    ", ", a, sizeof(a)));
		blamed_cell(t, json_object_get(s, "causes"));
		pct_or_dash(t, json_object_get(s, "budget_share"));
	}
	table_render(t, style, out);
	table_free(t);
}

void
view_attribution_render(const json_t *doc, enum table_style style, struct buf *out)
{
	static const char *const head[] = {
		"blamed on", "failed runs", "minutes", "share of consumed budget",
		"budget consumed"
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
		buf_printf(out, "%lld failed front-door runs of %lld, in %lld minute%s",
		    (long long)json_integer_value(json_object_get(s, "bad")),
		    (long long)json_integer_value(json_object_get(s, "front_door_total")),
		    (long long)json_integer_value(json_object_get(s, "bad_minutes")),
		    json_integer_value(json_object_get(s, "bad_minutes")) == 1 ? "" : "s");
		if (json_is_object(slo))
			buf_printf(out, "; budget of %s (%.10g%%): %.1f failed runs in this "
			    "window, %.1f%% consumed", json_string_value(json_object_get(slo,
			    "name")), json_number_value(json_object_get(slo, "objective")) * 100,
			    json_number_value(json_object_get(slo, "error_budget")),
			    json_number_value(json_object_get(s, "budget_share")) * 100);
		buf_printf(out, ".\n");
		if (json_integer_value(json_object_get(s, "bad")) == 0) {
			buf_printf(out, "%sNo failed front-door run.\n",
			    style == TABLE_MARKDOWN ? "\n" : "");
			continue;
		}
		buf_printf(out, "\n");
		t = table_new(5, head, "lrrrr");
		json_array_foreach(json_object_get(s, "causes"), j, c) {
			table_row(t);
			table_cell(t, json_string_value(json_object_get(c, "label")));
			table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(c,
			    "bad")));
			table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(c,
			    "minutes")));
			pct_or_dash(t, json_object_get(c, "share_of_bad"));
			pct_or_dash(t, json_object_get(c, "budget_share"));
		}
		table_render(t, style, out);
		table_free(t);
		buf_printf(out, "\nThe front door's failing stretches:\n\n");
		stretches(json_object_get(s, "stretches"), style, out);
	}
}

struct table *
view_attribution_csv(const json_t *doc)
{
	static const char *const head[] = {
		"service", "resolution", "at", "cause", "front_door_bad",
		"front_door_regions", "budget_share"
	};
	struct table *t = table_new(sizeof(head) / sizeof(head[0]), head, NULL);
	json_t *s, *m;
	size_t i, j;
	char a[512];

	json_array_foreach(json_object_get(doc, "services"), i, s) {
		json_array_foreach(json_object_get(s, "minutes"), j, m) {
			table_row(t);
			table_cell(t, json_string_value(json_object_get(s, "service")));
			table_cell(t, "minute");
			table_cell(t, report_fmt_utc(json_object_get(m, "minute"), a, sizeof(a)));
			table_cell(t, json_string_value(json_object_get(m, "cause")));
			table_cell(t, report_fmt_num(json_object_get(m, "front_door_bad"), a,
			    sizeof(a)));
			table_cell(t, report_fmt_join(json_object_get(m, "front_door_regions"),
			    ";", a, sizeof(a)));
			table_cell(t, report_fmt_num(json_object_get(m, "budget_share"), a,
			    sizeof(a)));
		}
		json_array_foreach(json_object_get(s, "runs"), j, m) {
			table_row(t);
			table_cell(t, json_string_value(json_object_get(s, "service")));
			table_cell(t, "run");
			table_cell(t, report_fmt_utc(json_object_get(m, "at"), a, sizeof(a)));
			table_cell(t, json_string_value(json_object_get(m, "cause")));
			table_cell(t, "1");
			table_cell(t, json_string_value(json_object_get(m, "region")));
			table_cell(t, report_fmt_num(json_object_get(m, "budget_share"), a,
			    sizeof(a)));
		}
	}
	return t;
}
