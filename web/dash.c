/* dash: the dashboard's compact read endpoints (matrix, results, burndown). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "collector.h"
#include "dash.h"
#include "engine.h"
#include "record.h"
#include "rollup.h"
#include "slo.h"
#include "slojson.h"
#include "store_results.h"
#include "timeutil.h"
#include "xmalloc.h"

#define MATRIX_N_DEFAULT	20
#define MATRIX_N_MAX		100
#define MATRIX_ERROR_MAX	200	/* bytes of a failure message in a cell */
#define RESULTS_LIMIT_DEFAULT	100
#define RESULTS_LIMIT_MAX	1000
#define BURNDOWN_POINTS		120	/* at most this many steps per window */

#define MIN_MS	60000LL
#define HOUR_MS	3600000LL
#define DAY_MS	86400000LL

char
dash_outcome_letter(const char *error_class)
{
	static const struct {
		const char	*cls;
		char		 letter;
	} letters[] = {
		{ "dns", 'd' }, { "connect", 'c' }, { "tls", 's' }, { "timeout", 't' },
		{ "http_status", 'h' }, { "assertion", 'a' }, { "body", 'b' },
		{ "internal", 'i' }, { "consistency", 'v' },
	};

	if (error_class == NULL)
		return '+';
	for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
		if (strcmp(letters[i].cls, error_class) == 0)
			return letters[i].letter;
	return 'i';
}

/* A positive integer query parameter within [1, max], or def when absent;
 * -1 when malformed. */
static long
int_param(struct http_request *r, const char *name, long def, long max)
{
	const char *s = http_query(r, name);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return def;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > max)
		return -1;
	return v;
}

/* ---- /api/v1/matrix ---- */

struct mcheck {
	char		*name, *kind, *service, *layer, *provider;
	int64_t		 interval_ms;	/* from the collector's checks[]; 0 unknown */
	int64_t		 cert;		/* earliest cert_not_after seen; 0 none */
	int64_t		 newest;	/* ts of the newest result that set the labels */
	size_t		 out;		/* index in the answer (after sorting) */
};

/* One check x region: its newest result, and its recent outcomes. */
struct mcell {
	size_t		 check, region, agent;
	int64_t		 ts;
	bool		 ok, inconclusive, has_status;
	int64_t		 status, total_us;
	enum errclass	 error_class;
	char		*error;		/* owned; NULL when none */
	char		 recent[MATRIX_N_MAX + 1];	/* newest first while filling */
	size_t		 nrecent;
};

struct matrix {
	struct mcheck	*checks;
	size_t		 nchecks, achecks;
	char		**regions, **agents;
	size_t		 nregions, aregions, nagents, aagents;
	struct mcell	*cells;
	size_t		 ncells, acells;
	json_t		*check_idx;	/* name -> index into checks */
	json_t		*cell_idx;	/* "check\x1fregion" -> index into cells */
	json_t		*agent_region;	/* agent id -> the region of its batches */
	json_t		*series_region;	/* series id -> region, for series without one */
};

static size_t
intern(char ***v, size_t *n, size_t *alloc, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return i;
	if (*n == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 8;
		*v = xreallocarray(*v, *alloc, sizeof(**v));
	}
	(*v)[*n] = xstrdup(s);
	return (*n)++;
}

static void
set_label(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* The check named name, created (labels unset) if new. */
static struct mcheck *
matrix_check(struct matrix *m, const char *name)
{
	json_t *i = json_object_get(m->check_idx, name);
	struct mcheck *k;

	if (i)
		return &m->checks[json_integer_value(i)];
	if (m->nchecks == m->achecks) {
		m->achecks = m->achecks ? m->achecks * 2 : 16;
		m->checks = xreallocarray(m->checks, m->achecks, sizeof(*m->checks));
	}
	k = &m->checks[m->nchecks];
	memset(k, 0, sizeof(*k));
	k->name = xstrdup(name);
	json_object_set_new(m->check_idx, name, json_integer((json_int_t)m->nchecks++));
	return k;
}

static char *
cell_key(const char *check, const char *region)
{
	return xasprintf("%s\x1f%s", check, region);
}

/* The region of a series' cell: its batches' region, else the record's
 * own field, else the region its agent reports ("" when none). rec may
 * be NULL (a series with no newest result read). */
static const char *
series_cell_region(struct matrix *m, const struct store_series *ser,
    const struct record *rec, char *buf, size_t buflen)
{
	const char *v;
	json_t *o;

	if (ser->region != NULL)
		return ser->region;
	snprintf(buf, buflen, "%lld", (long long)ser->id);
	if ((v = json_string_value(json_object_get(m->series_region, buf))) != NULL)
		return v;
	if (rec != NULL && (o = record_to_json(rec)) != NULL) {
		const char *own = json_string_value(json_object_get(o, "region"));

		if (own != NULL) {
			json_object_set_new(m->series_region, buf, json_string(own));
			json_decref(o);
			return json_string_value(json_object_get(m->series_region, buf));
		}
		json_decref(o);
	}
	v = json_string_value(json_object_get(m->agent_region, ser->agent));
	return v ? v : "";
}

/* The newest result of a check x agent: keep it if it is the newest of
 * its cell. */
static int
matrix_add_latest(const struct stored_result *res, void *arg)
{
	struct matrix *m = arg;
	const struct record *r = &res->rec;
	const struct store_series *ser = res->series;
	struct mcheck *k = matrix_check(m, ser->check);
	size_t ki = (size_t)(k - m->checks);
	char buf[32], *key;
	const char *region = series_cell_region(m, ser, r, buf, sizeof(buf));
	json_t *i;
	struct mcell *cell;

	if (k->newest == 0 || r->ts > k->newest) {
		const char *v[] = { r->text[RT_KIND], ser->service, ser->layer,
			ser->provider };
		char **dst[] = { &k->kind, &k->service, &k->layer, &k->provider };

		k->newest = r->ts;
		for (int j = 0; j < 4; j++)
			if (v[j] != NULL)
				set_label(dst[j], v[j]);
	}
	if (r->has_cert && r->cert_not_after > 0 &&
	    (k->cert == 0 || r->cert_not_after < k->cert))
		k->cert = r->cert_not_after;
	key = cell_key(ser->check, region);
	i = json_object_get(m->cell_idx, key);
	if (i) {
		cell = &m->cells[json_integer_value(i)];
		if (cell->ts >= r->ts) {
			free(key);
			return 0;
		}
		free(cell->error);
	} else {
		if (m->ncells == m->acells) {
			m->acells = m->acells ? m->acells * 2 : 64;
			m->cells = xreallocarray(m->cells, m->acells, sizeof(*m->cells));
		}
		cell = &m->cells[m->ncells];
		memset(cell, 0, sizeof(*cell));
		json_object_set_new(m->cell_idx, key, json_integer((json_int_t)m->ncells++));
	}
	free(key);
	cell->check = ki;
	cell->region = intern(&m->regions, &m->nregions, &m->aregions, region);
	cell->agent = intern(&m->agents, &m->nagents, &m->aagents, ser->agent);
	cell->ts = r->ts;
	cell->ok = r->ok;
	cell->inconclusive = r->inconclusive;
	cell->has_status = r->has_status;
	cell->status = r->status;
	cell->total_us = r->total_us;
	cell->error_class = r->error_class;
	cell->error = r->text[RT_ERROR] ? xstrndup(r->text[RT_ERROR],
	    r->text_len[RT_ERROR]) : NULL;
	return 0;
}

static int
matrix_add_agent(const struct agent_row *a, void *arg)
{
	struct matrix *m = arg;

	/* regions of agents that have reported, even with no result yet */
	if (a->region != NULL) {
		json_object_set_new(m->agent_region, a->id, json_string(a->region));
		intern(&m->regions, &m->nregions, &m->aregions, a->region);
	}
	return 0;
}

static void
matrix_free(struct matrix *m)
{
	for (size_t i = 0; i < m->nchecks; i++) {
		free(m->checks[i].name);
		free(m->checks[i].kind);
		free(m->checks[i].service);
		free(m->checks[i].layer);
		free(m->checks[i].provider);
	}
	free(m->checks);
	for (size_t i = 0; i < m->nregions; i++)
		free(m->regions[i]);
	free(m->regions);
	for (size_t i = 0; i < m->nagents; i++)
		free(m->agents[i]);
	free(m->agents);
	for (size_t i = 0; i < m->ncells; i++)
		free(m->cells[i].error);
	free(m->cells);
	json_decref(m->check_idx);
	json_decref(m->cell_idx);
	json_decref(m->agent_region);
	json_decref(m->series_region);
}

static int
layer_rank(const char *layer)
{
	for (int i = 0; checkconf_layers[i]; i++)
		if (layer && strcmp(checkconf_layers[i], layer) == 0)
			return i;
	return 99;
}

/* NULL sorts last. */
static int
cmp_opt(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	return strcmp(a, b);
}

/* Rows of the matrix: by service, then layer in delivery order (front
 * door, edge, central, other), then name. */
static int
cmp_check(const void *pa, const void *pb)
{
	const struct mcheck *a = *(struct mcheck *const *)pa;
	const struct mcheck *b = *(struct mcheck *const *)pb;
	int r;

	if ((r = cmp_opt(a->service, b->service)) != 0)
		return r;
	if ((r = layer_rank(a->layer) - layer_rank(b->layer)) != 0)
		return r;
	return strcmp(a->name, b->name);
}

/* After renumbering: row, then column. */
static int
cmp_cell(const void *pa, const void *pb)
{
	const struct mcell *a = pa, *b = pb;

	if (a->check != b->check)
		return a->check < b->check ? -1 : 1;
	return a->region < b->region ? -1 : a->region > b->region;
}

static int
cmp_str(const void *pa, const void *pb)
{
	return strcmp(*(char *const *)pa, *(char *const *)pb);
}

/* One recent outcome on its way to a cell. */
struct moutcome {
	size_t		 cell;
	int64_t		 ts, seq;
	char		 letter;
};

struct mrecent {
	const int64_t	*series;	/* the series asked */
	const size_t	*cell;		/* the cell of each */
	size_t		 nseries, at;	/* at: index of the series being read */
	struct moutcome	*v;
	size_t		 n, alloc;
};

static int
recent_add(const struct stored_outcome *o, void *arg)
{
	struct mrecent *x = arg;
	struct moutcome *u;

	while (x->at < x->nseries && x->series[x->at] != o->series)
		x->at++;
	if (x->at == x->nseries)
		return 1;	/* cannot happen: the series come in order */
	if (x->n == x->alloc) {
		x->alloc = x->alloc ? 2 * x->alloc : 256;
		x->v = xreallocarray(x->v, x->alloc, sizeof(*x->v));
	}
	u = &x->v[x->n++];
	u->cell = x->cell[x->at];
	u->ts = o->ts;
	u->seq = o->seq;
	u->letter = o->inconclusive && !o->ok ? '?' : o->ok ? '+' :
	    dash_outcome_letter(errclass_name(o->error_class));
	return 0;
}

/* by cell, then newest first */
static int
cmp_outcome(const void *pa, const void *pb)
{
	const struct moutcome *a = pa, *b = pb;

	if (a->cell != b->cell)
		return a->cell < b->cell ? -1 : 1;
	if (a->ts != b->ts)
		return a->ts > b->ts ? -1 : 1;
	return a->seq > b->seq ? -1 : a->seq < b->seq;
}

/* Fill each cell's recent outcomes: the newest n results of every series
 * of its check and region (agents, and label sets over time), merged
 * newest first. Each series is read from its key, n rows at most. */
static int
matrix_recent(struct matrix *m, struct store *st, size_t n, char *err,
    size_t errlen)
{
	int64_t *ids, *want;
	size_t nids = store_series_match(st, NULL, &ids), nwant = 0, *cell;
	struct mrecent x;
	int rc;

	want = xcalloc(nids + 1, sizeof(*want));
	cell = xcalloc(nids + 1, sizeof(*cell));
	for (size_t i = 0; i < nids; i++) {
		const struct store_series *ser = store_series_get(st, ids[i]);
		char buf[32], *key;
		json_t *ci;

		if (ser == NULL)
			continue;
		key = cell_key(ser->check, series_cell_region(m, ser, NULL, buf,
		    sizeof(buf)));
		ci = json_object_get(m->cell_idx, key);
		free(key);
		if (ci == NULL)
			continue;
		want[nwant] = ids[i];
		cell[nwant++] = (size_t)json_integer_value(ci);
	}
	memset(&x, 0, sizeof(x));
	x.series = want;
	x.cell = cell;
	x.nseries = nwant;
	rc = store_recent_outcomes(st, want, nwant, n, recent_add, &x, err, errlen);
	if (rc == 0) {
		if (x.n > 1)
			qsort(x.v, x.n, sizeof(*x.v), cmp_outcome);
		for (size_t i = 0; i < x.n; i++) {
			struct mcell *c = &m->cells[x.v[i].cell];

			if (c->nrecent < n)
				c->recent[c->nrecent++] = x.v[i].letter;
		}
	}
	free(x.v);
	free(want);
	free(cell);
	free(ids);
	return rc;
}

/* A copy of s cut to at most max bytes on a UTF-8 character boundary. */
static json_t *
json_string_cut(const char *s, size_t max)
{
	size_t n = strlen(s);
	json_t *o;
	char *t;

	if (n <= max)
		return json_string(s);
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	t = xasprintf("%.*s...", (int)n, s);
	o = json_string(t);
	free(t);
	return o ? o : json_null();
}

static json_t *
opt_string(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
matrix_json(struct matrix *m, size_t n, int64_t now)
{
	struct mcheck **order = xcalloc(m->nchecks + 1, sizeof(*order));
	size_t *rmap = xcalloc(m->nregions + 1, sizeof(*rmap));
	char **rsorted = xcalloc(m->nregions + 1, sizeof(*rsorted));
	json_t *checks = json_array(), *regions = json_array(), *agents = json_array();
	json_t *cells = json_array(), *o;

	for (size_t i = 0; i < m->nchecks; i++)
		order[i] = &m->checks[i];
	qsort(order, m->nchecks, sizeof(*order), cmp_check);
	for (size_t i = 0; i < m->nchecks; i++) {
		struct mcheck *k = order[i];

		k->out = i;
		o = json_pack("{s:s,s:o,s:o,s:o,s:o}", "name", k->name,
		    "kind", opt_string(k->kind), "service", opt_string(k->service),
		    "layer", opt_string(k->layer), "provider", opt_string(k->provider));
		json_object_set_new(o, "interval_ms", k->interval_ms ?
		    json_integer(k->interval_ms) : json_null());
		json_object_set_new(o, "cert_not_after", k->cert ?
		    json_integer(k->cert) : json_null());
		json_array_append_new(checks, o);
	}
	for (size_t i = 0; i < m->nregions; i++)
		rsorted[i] = m->regions[i];
	qsort(rsorted, m->nregions, sizeof(*rsorted), cmp_str);
	for (size_t i = 0; i < m->nregions; i++) {
		json_array_append_new(regions, json_string(rsorted[i]));
		for (size_t j = 0; j < m->nregions; j++)
			if (m->regions[j] == rsorted[i])
				rmap[j] = i;
	}
	for (size_t i = 0; i < m->nagents; i++)
		json_array_append_new(agents, json_string(m->agents[i]));
	/* cells in row order, then column order */
	for (size_t i = 0; i < m->ncells; i++) {
		m->cells[i].check = m->checks[m->cells[i].check].out;
		m->cells[i].region = rmap[m->cells[i].region];
	}
	if (m->ncells > 1)	/* (cells is NULL when there are none) */
		qsort(m->cells, m->ncells, sizeof(*m->cells), cmp_cell);
	for (size_t i = 0; i < m->ncells; i++) {
		struct mcell *cell = &m->cells[i];
		char recent[MATRIX_N_MAX + 1];

		for (size_t j = 0; j < cell->nrecent; j++)
			recent[j] = cell->recent[cell->nrecent - 1 - j];
		recent[cell->nrecent] = '\0';
		json_array_append_new(cells, json_pack("[I,I,I,I,b,o,o,o,o,s,b]",
		    (json_int_t)cell->check, (json_int_t)cell->region,
		    (json_int_t)cell->agent, (json_int_t)(now - cell->ts), cell->ok,
		    cell->has_status ? json_integer(cell->status) : json_null(),
		    json_real(round((double)cell->total_us / 100.0) / 10.0),
		    opt_string(cell->ok ? NULL : errclass_name(cell->error_class)),
		    cell->ok || cell->error == NULL ? json_null() :
			json_string_cut(cell->error, MATRIX_ERROR_MAX),
		    recent, cell->inconclusive));
	}
	free(order);
	free(rmap);
	free(rsorted);
	return json_pack("{s:I,s:I,s:o,s:o,s:o,s:[s,s,s,s,s,s,s,s,s,s,s],s:o}",
	    "now", (json_int_t)now, "n", (json_int_t)n, "regions", regions,
	    "agents", agents, "checks", checks, "fields", "check", "region", "agent",
	    "age_ms", "ok", "status", "total_ms", "error_class", "error", "recent",
	    "inconclusive", "cells", cells);
}

void
dash_matrix(struct collector *c, struct http_request *r, struct http_response *resp)
{
	long n = int_param(r, "n", MATRIX_N_DEFAULT, MATRIX_N_MAX);
	int64_t now = time_now_ms();
	struct matrix m;
	char err[256];

	if (n < 0) {
		http_error(resp, 400, "n: recent results per cell, 1 to %d", MATRIX_N_MAX);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.check_idx = json_object();
	m.cell_idx = json_object();
	m.agent_region = json_object();
	m.series_region = json_object();
	/* the agents first: a series without a region shows in its agent's */
	if (store_agents_each(c->st, matrix_add_agent, &m, err, sizeof(err)) < 0)
		goto fail;
	/* one cell per check x region: the newest result of its agents (of
	 * each check x agent, the current series: labels may have changed) */
	if (store_latest_current_each(c->st, NULL, matrix_add_latest, &m, err,
	    sizeof(err)) < 0)
		goto fail;
	/* checks defined here show up before their first result */
	for (size_t i = 0; i < c->conf->nchecks; i++) {
		const struct check_config *cc = &c->conf->checks[i];
		struct mcheck *k = matrix_check(&m, cc->name);

		k->interval_ms = cc->interval_ms;
		if (k->newest == 0) {
			set_label(&k->kind, cc->kind);
			if (cc->service)
				set_label(&k->service, cc->service);
			if (cc->layer)
				set_label(&k->layer, cc->layer);
			if (cc->provider)
				set_label(&k->provider, cc->provider);
		}
	}
	if (matrix_recent(&m, c->st, (size_t)n, err, sizeof(err)) < 0)
		goto fail;
	http_json(resp, 200, matrix_json(&m, (size_t)n, now));
	matrix_free(&m);
	return;
fail:
	matrix_free(&m);
	http_error(resp, 500, "matrix: %s", err);
}

/* ---- /api/v1/results ---- */

static int
results_add(const struct stored_result *res, void *arg)
{
	json_t *o = record_to_json(&res->rec);

	if (o == NULL)		/* a damaged row: left out */
		return 0;
	/* a record without its own region: its batch's */
	if (!json_is_string(json_object_get(o, "region")) && res->series->region)
		json_object_set_new(o, "region", json_string(res->series->region));
	json_array_append_new(arg, o);
	return 0;
}

void
dash_results(struct collector *c, struct http_request *r, struct http_response *resp)
{
	const char *ok = http_query(r, "ok");
	long limit = int_param(r, "limit", RESULTS_LIMIT_DEFAULT, RESULTS_LIMIT_MAX);
	int64_t now = time_now_ms(), from, to = INT64_MAX;
	struct results_filter f;
	char err[256];
	json_t *arr;

	if (limit < 0) {
		http_error(resp, 400, "limit: 1 to %d", RESULTS_LIMIT_MAX);
		return;
	}
	if (api_parse_time(http_query(r, "from") ? http_query(r, "from") : "24h",
	    now, &from) < 0) {
		http_error(resp, 400, "from: Unix ms or a duration ago such as 24h");
		return;
	}
	if (http_query(r, "to") && api_parse_time(http_query(r, "to"), now, &to) < 0) {
		http_error(resp, 400, "to: Unix ms or a duration ago such as 1h");
		return;
	}
	if (ok && strcmp(ok, "true") != 0 && strcmp(ok, "false") != 0) {
		http_error(resp, 400, "ok: true or false");
		return;
	}
	memset(&f, 0, sizeof(f));
	f.from = from;
	f.to = to;
	f.check = http_query(r, "check");
	f.region = http_query(r, "region");
	f.agent = http_query(r, "agent");
	f.ok = ok == NULL ? -1 : strcmp(ok, "true") == 0;
	f.limit = (size_t)limit;
	arr = json_array();
	if (store_results_each(c->st, &f, results_add, arr, err, sizeof(err)) < 0) {
		json_decref(arr);
		http_error(resp, 500, "results: %s", err);
		return;
	}
	http_json(resp, 200, json_pack("{s:I,s:I,s:o}", "now", (json_int_t)now,
	    "from", (json_int_t)from, "results", arr));
}

/* ---- /api/v1/burndown ---- */

static int64_t
floor_to(int64_t t, int64_t w)
{
	return t - ((t % w) + w) % w;
}

/* The step of a burn-down: the shortest of these that splits the window
 * into at most BURNDOWN_POINTS parts (whole hours for windows past 3d1h,
 * which the SLO engine starts on a whole hour). */
static int64_t
burndown_step(int64_t window_ms)
{
	static const int64_t steps[] = { MIN_MS, 5 * MIN_MS, 15 * MIN_MS,
		30 * MIN_MS, HOUR_MS, 3 * HOUR_MS, 6 * HOUR_MS, 12 * HOUR_MS, DAY_MS };
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]) - 1; i++)
		if (window_ms / steps[i] <= BURNDOWN_POINTS &&
		    (window_ms <= 3 * DAY_MS + HOUR_MS || steps[i] >= HOUR_MS))
			break;
	return steps[i];
}

void
dash_burndown(struct collector *c, struct http_request *r, struct http_response *resp)
{
	const char *name = http_query(r, "slo");
	const struct slo_config *slo = name ? collconf_slo(c->conf, name) : NULL;
	struct slo_snapshot *s;
	struct store_conn *conn = NULL;
	int64_t now, from, step, total = 0, good = 0, cumbad = 0;
	int64_t *g = NULL, *t = NULL, *edge = NULL, *approx = NULL;
	int64_t approx_all = INT64_MIN;
	size_t n = 0, alloc;
	json_t *points, *answer;
	double budget;
	char err[512];

	if (name == NULL) {
		http_error(resp, 400, "slo: the SLO's name");
		return;
	}
	if (slo == NULL) {
		http_error(resp, 404, "no SLO named \"%s\"", name);
		return;
	}
	/* at the time of the last evaluation, so the last point is the
	 * budget_remaining that /api/v1/slos serves */
	s = engine_snapshot(c);
	now = s && s->evaluated_at ? s->evaluated_at : time_now_ms();
	engine_snapshot_put(c, s);
	from = floor_to(now - slo->window_ms, slo->window_ms > 3 * DAY_MS + HOUR_MS ?
	    HOUR_MS : MIN_MS);
	step = burndown_step(slo->window_ms);
	alloc = (size_t)((now - from) / step + 3);
	g = xcalloc(alloc, sizeof(*g));
	t = xcalloc(alloc, sizeof(*t));
	approx = xcalloc(alloc, sizeof(*approx));
	edge = xcalloc(alloc + 1, sizeof(*edge));
	edge[0] = from;
	for (int64_t b = floor_to(from, step) + step; b < now && n + 1 < alloc; b += step)
		edge[++n] = b;
	edge[++n] = now;
	/* every step from one snapshot of the DB */
	conn = store_conn_get(c->st);
	if (store_read_begin(c->st, conn, NULL, NULL, err, sizeof(err)) < 0) {
		http_error(resp, 500, "burndown: %s", err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct rollup_query q;
		struct rollup_agg *a;
		size_t na;

		memset(&q, 0, sizeof(q));
		q.sel = &slo->sel;
		q.from = edge[i];
		q.to = edge[i + 1];
		/* a latency SLI counts the runs under its threshold exactly */
		if (slo->sli == SLI_LATENCY) {
			q.thr_us = &slo->threshold_us;
			q.nthr = 1;
		}
		approx[i] = INT64_MIN;
		if (rollup_aggregate(c->st, conn, &q, &a, &na, err, sizeof(err)) < 0) {
			http_error(resp, 500, "burndown: %s", err);
			goto out;
		}
		if (na == 1) {
			g[i] = rollup_good(&a[0], &q, slo);
			t[i] = a[0].total;
			if (q.nthr == 1)
				approx[i] = a[0].approx_before[0];
		}
		rollup_aggs_free(a, na);
		if (g[i] < 0) {
			http_error(resp, 500, "burndown: no count for the SLO's threshold");
			goto out;
		}
		good += g[i];
		total += t[i];
		if (approx[i] > approx_all)
			approx_all = approx[i];
	}
	store_conn_put(c->st, conn);
	conn = NULL;
	budget = slo_budget(slo->objective, total);
	points = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *p;

		cumbad += t[i] - g[i];
		p = json_pack("{s:I,s:I,s:I,s:I,s:o}",
		    "from", (json_int_t)edge[i], "to", (json_int_t)edge[i + 1],
		    "good", (json_int_t)g[i], "total", (json_int_t)t[i],
		    "budget_remaining", total > 0 ? slojson_ratio(1.0 - (double)cumbad /
			budget) : json_null());
		/* good before this time came from the latency sketch: the
		 * threshold was not counted at ingest yet */
		if (approx[i] != INT64_MIN)
			json_object_set_new(p, "approximate_before",
			    json_integer(approx[i]));
		json_array_append_new(points, p);
	}
	answer = json_pack("{s:s,s:f,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:o,s:o}",
	    "slo", slo->name, "objective", slo->objective,
	    "sli", slo->sli == SLI_LATENCY ? "latency" : "availability",
	    "window_ms", (json_int_t)slo->window_ms, "evaluated_at", (json_int_t)now,
	    "from", (json_int_t)from, "step_ms", (json_int_t)step,
	    "good", (json_int_t)good, "total", (json_int_t)total,
	    "error_budget", budget,
	    "budget_remaining", slojson_ratio(slo_budget_remaining(slo->objective,
		good, total)),
	    "points", points);
	if (approx_all != INT64_MIN)
		json_object_set_new(answer, "approximate_before",
		    json_integer(approx_all));
	http_json(resp, 200, answer);
out:
	store_conn_put(c->st, conn);
	free(g);
	free(t);
	free(approx);
	free(edge);
}
