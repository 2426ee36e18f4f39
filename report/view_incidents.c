/* view_incidents: each incident that overlaps the window: start, end,
 * duration, severity, affected checks and regions, the layer that failed
 * first, how its cause line changed while it was open, and the
 * notifications sent for it. The first failing layer comes from the runs
 * (core/timeline.h: the layer whose failure started the spell of failures
 * going on when the incident opened) while raw results are kept, else from
 * the minute rollups ("resolution"). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "minutes.h"
#include "report.h"
#include "rollup.h"
#include "rtime.h"
#include "store_alerts.h"
#include "timeline.h"
#include "xmalloc.h"

#define INCIDENTS_MAX	10000
#define LOOKBACK_MS	(30 * 60000LL)	/* how far before its start an incident's
					 * first failure is looked for */
#define AHEAD_MS	60000LL		/* ... and after it */

static json_t *
str_json(const char *s)
{
	return s ? json_string(s) : json_null();
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Label of the layers that failed in one minute: one layer, "edge+central",
 * or "all" when every layer probed that minute failed. The front door is
 * dropped when an origin failed with it: it depends on them. */
static void
layers_label(const struct minutes_minute *mm, char *out, size_t outlen)
{
	int failing = 0, probed = 0, origin = 0;
	size_t off = 0;

	for (int l = 0; l < MLAYER_COUNT; l++) {
		probed += mm->l[l].total > 0;
		failing += mm->l[l].bad > 0;
		if (l != MLAYER_FRONT_DOOR && mm->l[l].bad > 0)
			origin++;
	}
	out[0] = '\0';
	if (failing >= 2 && failing == probed) {
		snprintf(out, outlen, "all");
		return;
	}
	for (int l = 0; l < MLAYER_COUNT; l++) {
		if (mm->l[l].bad == 0 || (l == MLAYER_FRONT_DOOR && origin > 0))
			continue;
		off += (size_t)snprintf(out + off, off < outlen ? outlen - off : 0, "%s%s",
		    off ? "+" : "", minutes_layer_name(l));
		if (off >= outlen)
			break;
	}
}

static bool
minute_bad(const struct minutes_minute *mm)
{
	for (int l = 0; l < MLAYER_COUNT; l++)
		if (mm->l[l].bad > 0)
			return true;
	return false;
}

/* The label of a set of layers (bit 1 << MLAYER_*) that failed first at
 * the same moment: the front door is dropped when an origin failed with
 * it (it depends on them). */
static void
layer_set_label(unsigned set, char *out, size_t outlen)
{
	size_t off = 0;

	out[0] = '\0';
	if (set & ~(1u << MLAYER_FRONT_DOOR))
		set &= ~(1u << MLAYER_FRONT_DOOR);
	for (int l = 0; l < MLAYER_COUNT; l++) {
		if (!(set & (1u << l)))
			continue;
		off += (size_t)snprintf(out + off, off < outlen ? outlen - off : 0, "%s%s",
		    off ? "+" : "", minutes_layer_name(l));
		if (off >= outlen)
			break;
	}
}

/* From the runs: the first failed run of the spell of failures (every
 * layer and region of the service) going on at start, or that ended at
 * most LOOKBACK_MS before it, or began within AHEAD_MS after it. */
static int
first_failure_runs(struct store *st, const char *service, int64_t start,
    int64_t *at, char *label, size_t labellen, char *err, size_t errlen)
{
	struct selector sel = { 0 };
	struct timeline **tls;
	size_t ntl;
	unsigned set = 0;

	*at = -1;
	label[0] = '\0';
	sel.service = (char *)(uintptr_t)service;
	if (timeline_load(st, &sel, start - 2 * LOOKBACK_MS, start + AHEAD_MS, &tls,
	    &ntl, err, errlen) < 0)
		return -1;
	if (ntl == 1)
		set = timeline_first_failure(tls[0], start, LOOKBACK_MS, AHEAD_MS, at);
	if (set)
		layer_set_label(set, label, labellen);
	else
		*at = -1;
	timeline_list_free(tls, ntl);
	return 0;
}

/* From the minute rollups: the first minute of the run of bad minutes (of
 * the service) that is going on at start, or ended at most LOOKBACK_MS
 * before it. */
static int
first_failure(struct store *st, const char *service, int64_t start, int64_t *at,
    char *label, size_t labellen, char *err, size_t errlen)
{
	int64_t s = rtime_floor(start, RTIME_MIN_MS);
	struct minutes *g;
	const struct minutes_service *sv;
	ssize_t i;

	*at = -1;
	if (minutes_load(st, service, s - 2 * LOOKBACK_MS, s + RTIME_MIN_MS, &g,
	    err, errlen) < 0)
		return -1;
	if (g->nsvc != 1) {
		minutes_free(g);
		return 0;
	}
	sv = &g->svc[0];
	for (i = (ssize_t)sv->n - 1; i >= 0; i--) {
		if (sv->m[i].t < s - LOOKBACK_MS)
			break;
		if (minute_bad(&sv->m[i]))
			break;
	}
	if (i >= 0 && sv->m[i].t >= s - LOOKBACK_MS && minute_bad(&sv->m[i])) {
		while (i > 0 && sv->m[i - 1].t == sv->m[i].t - RTIME_MIN_MS &&
		    minute_bad(&sv->m[i - 1]))
			i--;
		*at = sv->m[i].t;
		layers_label(&sv->m[i], label, labellen);
	}
	minutes_free(g);
	return 0;
}

/* Checks and regions with failures of the incident's scope over [from, to)
 * (minute rollups), into checks and regions when not NULL. */
static int
affected(struct store *st, const char *service, const char *layer,
    const char *check, int64_t from, int64_t to, json_t *checks, json_t *regions,
    char *err, size_t errlen)
{
	struct selector sel = { 0 };
	struct rollup_query q;
	struct rollup_agg *a;
	size_t n;

	sel.service = (char *)(uintptr_t)service;
	sel.layer = (char *)(uintptr_t)layer;
	sel.check = (char *)(uintptr_t)check;
	memset(&q, 0, sizeof(q));
	q.sel = &sel;
	q.from = from;
	q.to = to;
	q.by = ROLLUP_BY_CHECK | ROLLUP_BY_REGION;
	q.minutes_only = true;
	if (rollup_aggregate(st, NULL, &q, &a, &n, err, errlen) < 0)
		return -1;
	for (size_t k = 0; k < n; k++) {
		const char *c = a[k].check;
		const char *r = a[k].region && a[k].region[0] ? a[k].region : "unknown";
		size_t i;
		json_t *v;
		bool seen = false;

		if (a[k].total - a[k].good <= 0)
			continue;	/* no failure there */
		if (checks) {
			json_array_foreach(checks, i, v)
				seen = seen || strcmp(json_string_value(v), c) == 0;
			if (!seen)
				json_array_append_new(checks, json_string(c));
		}
		if (regions) {
			seen = false;
			json_array_foreach(regions, i, v)
				seen = seen || strcmp(json_string_value(v), r) == 0;
			if (!seen)
				json_array_append_new(regions, json_string(r));
		}
	}
	rollup_aggs_free(a, n);
	return 0;
}

static int
cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	    json_string_value(*(json_t *const *)b));
}

/* Sort a JSON array of strings in place. */
static void
sort_strings(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = xcalloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), cmp_json_str);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

static int
cmp_start(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a,
	    "started_at"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b,
	    "started_at"));

	if (x != y)
		return x < y ? -1 : 1;
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "id")),
	    json_string_value(json_object_get(*(json_t *const *)b, "id")));
}

/* Oldest first. */
static void
sort_by_start(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = xcalloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), cmp_start);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

struct notes {
	json_t	*arr;
	int64_t	 sent;
};

static int
one_delivery(const struct delivery_row *d, void *arg)
{
	struct notes *nt = arg;
	json_t *o = json_pack("{s:o,s:o,s:o,s:I}", "receiver", str_json(d->receiver),
	    "event", str_json(d->event), "status", str_json(d->status),
	    "attempts", (json_int_t)d->attempts);

	json_object_set_new(o, "sent_at", d->sent_at ? json_integer(d->sent_at) :
	    json_null());
	if (d->status && strcmp(d->status, "sent") == 0)
		nt->sent++;
	json_array_append_new(nt->arr, o);
	return 0;
}

/* The notifications of incident id as a new JSON array; *sent counts the
 * delivered ones. NULL with a message in err. */
static json_t *
notifications(struct store *st, int64_t id, int64_t *sent, char *err, size_t errlen)
{
	struct notes nt = { json_array(), 0 };

	*sent = 0;
	if (store_deliveries_of(st, id, one_delivery, &nt, err, errlen) < 0) {
		json_decref(nt.arr);
		return NULL;
	}
	*sent = nt.sent;
	return nt.arr;
}

static int
one_cause(const struct incident_cause_row *c, void *arg)
{
	json_t *arr = arg, *regions = c->regions ? json_loads(c->regions, 0, NULL) : NULL;
	json_t *clean = json_array(), *r;
	size_t i;

	/* only {"region", "line"} objects of strings pass */
	json_array_foreach(regions, i, r) {
		json_t *rg = json_object_get(r, "region"), *ln = json_object_get(r, "line");

		if (json_is_string(rg) && json_is_string(ln))
			json_array_append_new(clean, json_pack("{s:O,s:O}", "region", rg,
			    "line", ln));
	}
	json_decref(regions);
	json_array_append_new(arr, json_pack("{s:I,s:s,s:o}", "at", (json_int_t)c->at,
	    "cause", c->cause ? c->cause : "", "regions", clean));
	return 0;
}

/* How the cause of incident id changed, as a new JSON array; NULL with a
 * message in err. */
static json_t *
cause_history(struct store *st, int64_t id, char *err, size_t errlen)
{
	json_t *arr = json_array();

	if (store_incident_causes_of(st, id, one_cause, arr, err, errlen) < 0) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/* One incident as read, copied: the reads each one needs come after the
 * list (the store lends its one read connection to one query at a time). */
struct inc {
	int64_t	 id, started_at, resolved_at;	/* resolved_at 0: open */
	char	*rule, *type, *severity, *status, *title, *service, *layer, *check;
	char	*regions;			/* JSON array text */
};

struct incs {
	struct inc	*v;
	size_t		 n, alloc;
};

static int
collect_incident(const struct incident_row *r, void *arg)
{
	struct incs *l = arg;
	struct inc *i;

	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 16;
		l->v = xreallocarray(l->v, l->alloc, sizeof(*l->v));
	}
	i = &l->v[l->n++];
	i->id = r->id;
	i->started_at = r->started_at;
	i->resolved_at = r->resolved_at;
	i->rule = dup_or_null(r->rule);
	i->type = dup_or_null(r->rule_type);
	i->severity = dup_or_null(r->severity);
	i->status = dup_or_null(r->status);
	i->title = dup_or_null(r->title);
	i->service = dup_or_null(r->service);
	i->layer = dup_or_null(r->layer);
	i->check = dup_or_null(r->check);
	i->regions = dup_or_null(r->regions);
	return 0;
}

static void
incs_free(struct incs *l)
{
	for (size_t k = 0; k < l->n; k++) {
		struct inc *i = &l->v[k];

		free(i->rule);
		free(i->type);
		free(i->severity);
		free(i->status);
		free(i->title);
		free(i->service);
		free(i->layer);
		free(i->check);
		free(i->regions);
	}
	free(l->v);
}

/* The JSON object of one incident. NULL with a message in err. */
static json_t *
incident_json(struct report_ctx *x, const struct inc *in, char *err, size_t errlen)
{
	int64_t start = in->started_at;
	bool open = in->resolved_at == 0;
	int64_t end = open ? x->o->now_ms : in->resolved_at;
	json_t *checks = json_array(), *regions = in->regions ?
	    json_loads(in->regions, 0, NULL) : NULL;
	json_t *o, *nots, *causes;
	int64_t first = -1, sent;
	char iid[32], label[64] = "";
	bool failures = in->type && (strcmp(in->type, "check_down") == 0 ||
	    strcmp(in->type, "burn_rate") == 0 || strcmp(in->type, "latency") == 0);
	const char *res = NULL;

	if (!json_is_array(regions)) {
		json_decref(regions);
		regions = json_array();
	}
	if (failures && in->service) {
		res = report_resolution(x, start - 2 * LOOKBACK_MS, start + AHEAD_MS);
		if ((strcmp(res, "run") == 0 ? first_failure_runs(x->st, in->service,
		    start, &first, label, sizeof(label), err, errlen) :
		    first_failure(x->st, in->service, start, &first, label,
		    sizeof(label), err, errlen)) < 0)
			goto fail;
	}
	if (in->check)
		json_array_append_new(checks, json_string(in->check));
	if (failures && affected(x->st, in->service, in->layer, in->check,
	    rtime_floor(first >= 0 && first < start ? first : start, RTIME_MIN_MS),
	    end > start ? end : start + 1, in->check ? NULL : checks,
	    json_array_size(regions) ? NULL : regions, err, errlen) < 0)
		goto fail;
	if ((causes = cause_history(x->st, in->id, err, errlen)) == NULL)
		goto fail;
	if ((nots = notifications(x->st, in->id, &sent, err, errlen)) == NULL) {
		json_decref(causes);
		goto fail;
	}
	sort_strings(checks);
	sort_strings(regions);
	snprintf(iid, sizeof(iid), "inc-%lld", (long long)in->id);
	o = json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:I}",
	    "id", iid, "rule", str_json(in->rule), "type", str_json(in->type),
	    "severity", str_json(in->severity), "status", str_json(in->status),
	    "title", str_json(in->title), "service", str_json(in->service),
	    "started_at", (json_int_t)start,
	    "resolved_at", open ? json_null() : json_integer(end),
	    "duration_ms", (json_int_t)(end > start ? end - start : 0));
	json_object_set_new(o, "checks", checks);
	json_object_set_new(o, "regions", regions);
	json_object_set_new(o, "first_failing_layer", label[0] ? json_string(label) :
	    json_null());
	json_object_set_new(o, "first_failure_at", first >= 0 ? json_integer(first) :
	    json_null());
	json_object_set_new(o, "resolution", res ? json_string(res) : json_null());
	json_object_set_new(o, "causes", causes);
	json_object_set_new(o, "notifications", nots);
	json_object_set_new(o, "notifications_sent", json_integer(sent));
	return o;
fail:
	json_decref(checks);
	json_decref(regions);
	return NULL;
}

static int
build_db(struct report_ctx *x, json_t *list, char *err, size_t errlen)
{
	struct incs l = { NULL, 0, 0 };
	int rc = REPORT_OK;

	if (store_incidents_overlapping(x->st, x->from, x->to, INCIDENTS_MAX,
	    collect_incident, &l, err, errlen) < 0)
		rc = REPORT_FAIL;
	for (size_t k = 0; k < l.n && rc == REPORT_OK; k++) {
		json_t *o = incident_json(x, &l.v[k], err, errlen);

		if (o == NULL)
			rc = REPORT_FAIL;
		else
			json_array_append_new(list, o);
	}
	incs_free(&l);
	return rc;
}

/* The API's cause history (when it sends one) in the report's shape: its
 * "regions_detail" are the lines alone, each starting with its region and
 * a colon. */
static json_t *
api_causes(const json_t *v)
{
	json_t *arr = json_array(), *c, *r;
	size_t i, j;

	json_array_foreach(v, i, c) {
		json_t *at = json_object_get(c, "at"), *cause = json_object_get(c, "cause");
		json_t *regions = json_array();

		if (!json_is_integer(at) || !json_is_string(cause)) {
			json_decref(regions);
			continue;
		}
		json_array_foreach(json_object_get(c, "regions_detail"), j, r) {
			const char *line = json_string_value(r), *colon;

			if (line == NULL || (colon = strchr(line, ':')) == NULL)
				continue;
			json_array_append_new(regions, json_pack("{s:s%,s:s}", "region",
			    line, (size_t)(colon - line), "line", line));
		}
		json_array_append_new(arr, json_pack("{s:O,s:O,s:o}", "at", at,
		    "cause", cause, "regions", regions));
	}
	return arr;
}

static int
build_api(struct report_ctx *x, json_t *list, char *err, size_t errlen)
{
	json_t *ans, *v;
	char path[128];
	long status;
	size_t i;
	int rc;

	snprintf(path, sizeof(path), "/api/v1/incidents?since=%lld", (long long)x->from);
	if ((rc = report_api_get(x->o, path, &ans, &status, err, errlen)) != REPORT_OK)
		return rc;
	json_array_foreach(json_object_get(ans, "incidents"), i, v) {
		int64_t start = json_integer_value(json_object_get(v, "started_at"));
		json_t *res = json_object_get(v, "resolved_at"), *d, *o, *nots, *checks;
		int64_t sent = 0;
		size_t j;

		if (start >= x->to || (json_is_integer(res) &&
		    json_integer_value(res) < x->from))
			continue;
		nots = json_array();
		json_array_foreach(json_object_get(v, "deliveries"), j, d) {
			json_t *n = json_pack("{s:O,s:O,s:O,s:O,s:O}",
			    "receiver", json_object_get(d, "receiver"),
			    "event", json_object_get(d, "event"),
			    "status", json_object_get(d, "status"),
			    "attempts", json_object_get(d, "attempts"),
			    "sent_at", json_object_get(d, "sent_at"));
			if (n == NULL)
				continue;
			if (json_is_string(json_object_get(d, "status")) &&
			    strcmp(json_string_value(json_object_get(d, "status")), "sent") == 0)
				sent++;
			json_array_append_new(nots, n);
		}
		checks = json_array();
		if (json_is_string(json_object_get(v, "check")))
			json_array_append(checks, json_object_get(v, "check"));
		o = json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:I,s:O,s:O}",
		    "id", json_object_get(v, "id"), "rule", json_object_get(v, "rule"),
		    "type", json_object_get(v, "type"),
		    "severity", json_object_get(v, "severity"),
		    "status", json_object_get(v, "status"),
		    "title", json_object_get(v, "title"),
		    "service", json_object_get(v, "service"),
		    "started_at", (json_int_t)start, "resolved_at", res,
		    "duration_ms", json_object_get(v, "duration_ms"));
		if (o == NULL) {
			json_decref(nots);
			json_decref(checks);
			continue;
		}
		json_object_set_new(o, "checks", checks);
		json_object_set(o, "regions", json_is_array(json_object_get(v, "regions")) ?
		    json_object_get(v, "regions") : json_array());
		json_object_set_new(o, "first_failing_layer", json_null());
		json_object_set_new(o, "first_failure_at", json_null());
		json_object_set_new(o, "resolution", json_null());
		json_object_set_new(o, "causes", api_causes(json_object_get(v, "causes")));
		json_object_set_new(o, "notifications", nots);
		json_object_set_new(o, "notifications_sent", json_integer(sent));
		json_array_append_new(list, o);
	}
	json_decref(ans);
	sort_by_start(list);	/* the API lists open ones first, then the newest */
	report_note(x, "from the collector API (at most its 200 newest incidents); "
	    "the first failing layer needs --db");
	return REPORT_OK;
}

int
view_incidents_build(struct report_ctx *x, json_t *doc, char *err, size_t errlen)
{
	json_t *list = json_array();
	int rc;

	if (x->st)
		report_set_resolution(x, doc, x->from, x->to);
	json_object_set_new(doc, "incidents", list);
	rc = x->st ? build_db(x, list, err, errlen) : build_api(x, list, err, errlen);
	if (rc == REPORT_OK && x->st)
		report_note_minutes(x, "the affected checks and regions");
	return rc;
}

/* ---- rendering ---- */

/* "ops-slack: trigger, resolve; pager: trigger (failed)" */
static void
notes_cell(const json_t *nots, char *out, size_t outlen)
{
	size_t off = 0, i, j;
	json_t *n, *m;

	out[0] = '\0';
	json_array_foreach(nots, i, n) {
		const char *rcv = json_string_value(json_object_get(n, "receiver"));
		bool first = true;

		json_array_foreach(nots, j, m)	/* receivers in order of first use */
			if (j < i && strcmp(json_string_value(json_object_get(m,
			    "receiver")), rcv) == 0)
				first = false;
		if (!first)
			continue;
		off += (size_t)snprintf(out + off, off < outlen ? outlen - off : 0,
		    "%s%s:", off ? "; " : "", rcv);
		json_array_foreach(nots, j, m) {
			const char *st = json_string_value(json_object_get(m, "status"));

			if (strcmp(json_string_value(json_object_get(m, "receiver")), rcv) != 0)
				continue;
			off += (size_t)snprintf(out + off, off < outlen ? outlen - off : 0,
			    "%s %s%s%s%s", out[off - 1] == ':' ? "" : ",",
			    json_string_value(json_object_get(m, "event")),
			    st && strcmp(st, "sent") != 0 ? " (" : "",
			    st && strcmp(st, "sent") != 0 ? st : "",
			    st && strcmp(st, "sent") != 0 ? ")" : "");
			if (off >= outlen)
				return;
		}
	}
	if (off == 0)
		snprintf(out, outlen, "none");
}

static void
layer_cell(struct table *t, const json_t *o)
{
	json_t *l = json_object_get(o, "first_failing_layer");
	char when[32];

	if (!json_is_string(l)) {
		table_cell(t, "-");
		return;
	}
	rtime_short(json_integer_value(json_object_get(o, "first_failure_at")), when,
	    sizeof(when));
	table_cellf(t, "%s from %s", json_string_value(l), when + 11);	/* HH:MM */
}

/* One line per change of an incident's cause, with its time (the lines
 * per region are in the JSON). */
static void
cause_history_render(const json_t *list, enum table_style style, struct buf *out)
{
	json_t *o, *c;
	size_t i, j;
	bool any = false;
	char when[32];

	json_array_foreach(list, i, o)
		any = any || json_array_size(json_object_get(o, "causes")) > 0;
	if (!any)
		return;
	buf_printf(out, "\nHow each incident's cause changed:\n\n");
	json_array_foreach(list, i, o) {
		json_array_foreach(json_object_get(o, "causes"), j, c) {
			report_fmt_time(json_object_get(c, "at"), when, sizeof(when));
			buf_printf(out, "%s%s  %s  %s\n", style == TABLE_MARKDOWN ?
			    "- " : "  ", json_string_value(json_object_get(o, "id")), when,
			    json_string_value(json_object_get(c, "cause")));
		}
	}
}

void
view_incidents_render(const json_t *doc, enum table_style style, struct buf *out)
{
	static const char *const head[] = {
		"incident", "severity", "title", "start", "end", "duration", "checks",
		"regions", "first failing layer", "notifications"
	};
	json_t *list = json_object_get(doc, "incidents"), *o;
	struct table *t;
	int64_t page = 0, ticket = 0, open = 0;
	size_t i;
	char a[1024];

	if (json_array_size(list) == 0) {
		buf_printf(out, "No incidents in this window.\n");
		return;
	}
	t = table_new(10, head, "llllllllll");
	json_array_foreach(list, i, o) {
		const char *sev = json_string_value(json_object_get(o, "severity"));

		page += sev && strcmp(sev, "page") == 0;
		ticket += sev && strcmp(sev, "ticket") == 0;
		open += json_is_null(json_object_get(o, "resolved_at"));
		table_row(t);
		table_cell(t, json_string_value(json_object_get(o, "id")));
		table_cell(t, sev);
		table_cell(t, json_string_value(json_object_get(o, "title")));
		table_cell(t, report_fmt_time(json_object_get(o, "started_at"), a, sizeof(a)));
		if (json_is_null(json_object_get(o, "resolved_at")))
			table_cell(t, "open");
		else
			table_cell(t, report_fmt_time(json_object_get(o, "resolved_at"), a,
			    sizeof(a)));
		table_cell(t, report_fmt_dur(json_object_get(o, "duration_ms"), a, sizeof(a)));
		report_fmt_join(json_object_get(o, "checks"), ", ", a, sizeof(a));
		table_cell(t, a[0] ? a : "-");
		report_fmt_join(json_object_get(o, "regions"), ", ", a, sizeof(a));
		table_cell(t, a[0] ? a : "-");
		layer_cell(t, o);
		notes_cell(json_object_get(o, "notifications"), a, sizeof(a));
		table_cell(t, a);
	}
	table_render(t, style, out);
	table_free(t);
	buf_printf(out, "\n%zu incident%s: %lld page, %lld ticket, %lld other; %lld "
	    "still open.\n", json_array_size(list), json_array_size(list) == 1 ? "" : "s",
	    (long long)page, (long long)ticket,
	    (long long)(json_array_size(list) - (size_t)(page + ticket)), (long long)open);
	cause_history_render(list, style, out);
}

/* "2026-10-31T22:31:00Z front door failing, ...; 2026-..." */
static void
causes_cell(struct table *t, const json_t *causes)
{
	struct buf b;
	json_t *c;
	size_t i;
	char when[32];

	buf_init(&b, 64 * 1024);
	json_array_foreach(causes, i, c)
		buf_printf(&b, "%s%s %s", i ? "; " : "", report_fmt_utc(json_object_get(c,
		    "at"), when, sizeof(when)), json_string_value(json_object_get(c,
		    "cause")));
	table_cell(t, b.data ? b.data : "");
	buf_free(&b);
}

struct table *
view_incidents_csv(const json_t *doc)
{
	static const char *const head[] = {
		"id", "rule", "type", "severity", "status", "title", "service",
		"started_at", "resolved_at", "duration_s", "checks", "regions",
		"first_failing_layer", "first_failure_at", "causes",
		"notifications_sent", "notifications"
	};
	struct table *t = table_new(sizeof(head) / sizeof(head[0]), head, NULL);
	json_t *o;
	size_t i;
	char a[1024];

	json_array_foreach(json_object_get(doc, "incidents"), i, o) {
		table_row(t);
		table_cell(t, json_string_value(json_object_get(o, "id")));
		table_cell(t, json_string_value(json_object_get(o, "rule")));
		table_cell(t, json_string_value(json_object_get(o, "type")));
		table_cell(t, json_string_value(json_object_get(o, "severity")));
		table_cell(t, json_string_value(json_object_get(o, "status")));
		table_cell(t, json_string_value(json_object_get(o, "title")));
		table_cell(t, json_string_value(json_object_get(o, "service")));
		table_cell(t, report_fmt_utc(json_object_get(o, "started_at"), a, sizeof(a)));
		table_cell(t, report_fmt_utc(json_object_get(o, "resolved_at"), a, sizeof(a)));
		table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(o,
		    "duration_ms")) / 1000);
		table_cell(t, report_fmt_join(json_object_get(o, "checks"), ";", a, sizeof(a)));
		table_cell(t, report_fmt_join(json_object_get(o, "regions"), ";", a, sizeof(a)));
		table_cell(t, json_string_value(json_object_get(o, "first_failing_layer")));
		table_cell(t, report_fmt_utc(json_object_get(o, "first_failure_at"), a,
		    sizeof(a)));
		causes_cell(t, json_object_get(o, "causes"));
		table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(o,
		    "notifications_sent")));
		notes_cell(json_object_get(o, "notifications"), a, sizeof(a));
		table_cell(t, a);
	}
	return t;
}
