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
#include "slo.h"
#include "sloeng.h"
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

struct mcell {
	size_t		 check, region, agent;
	int64_t		 ts;
	json_t		*body;		/* the newest record (owned) */
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
};

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

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

/* One row of the latest table: keep it if it is the newest of its cell. */
static void
matrix_add_latest(struct matrix *m, const char *check, const char *agent,
    int64_t ts, const char *region, json_t *body)
{
	struct mcheck *k = matrix_check(m, check);
	size_t ki = (size_t)(k - m->checks);
	char *key = cell_key(check, region);
	json_t *i = json_object_get(m->cell_idx, key);
	struct mcell *cell;
	json_t *cert = json_object_get(body, "cert_not_after");

	if (k->newest == 0 || ts > k->newest) {
		static const char *const f[] = { "kind", "service", "layer", "provider" };
		char **dst[] = { &k->kind, &k->service, &k->layer, &k->provider };

		k->newest = ts;
		for (int j = 0; j < 4; j++)
			if (jstr(body, f[j]))
				set_label(dst[j], jstr(body, f[j]));
	}
	if (json_is_integer(cert) && json_integer_value(cert) > 0 &&
	    (k->cert == 0 || json_integer_value(cert) < k->cert))
		k->cert = json_integer_value(cert);
	if (i) {
		cell = &m->cells[json_integer_value(i)];
		if (cell->ts >= ts) {
			free(key);
			json_decref(body);
			return;
		}
		json_decref(cell->body);
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
	cell->agent = intern(&m->agents, &m->nagents, &m->aagents, agent);
	cell->ts = ts;
	cell->body = body;
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
		json_decref(m->cells[i].body);
	free(m->cells);
	json_decref(m->check_idx);
	json_decref(m->cell_idx);
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

/* Fill each cell's recent outcomes from the raw rows of its check, newest
 * first, reading at most a few rows per wanted outcome (index check_ts). */
static int
matrix_recent(struct matrix *m, sqlite3 *db, size_t n, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = SQLITE_DONE;

	/* covered by the index results_check_ts (sql/collector/004_dashboard.sql) */
	if (sqlite3_prepare_v2(db, "SELECT coalesce(region, ''), error_class, "
	    "inconclusive FROM results WHERE check_name = ? ORDER BY ts DESC", -1, &st,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "matrix: %s", sqlite3_errmsg(db));
		return -1;
	}
	for (size_t k = 0; k < m->nchecks; k++) {
		size_t want = 0, full = 0, read = 0, cap;

		for (size_t i = 0; i < m->ncells; i++)
			if (m->cells[i].check == k)
				want++;
		if (want == 0)
			continue;
		cap = want * n * 4 + 64;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, m->checks[k].name, -1, SQLITE_STATIC);
		while (full < want && read++ < cap && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			char *key = cell_key(m->checks[k].name,
			    (const char *)sqlite3_column_text(st, 0));
			json_t *i = json_object_get(m->cell_idx, key);
			struct mcell *cell;

			free(key);
			if (i == NULL)
				continue;
			cell = &m->cells[json_integer_value(i)];
			if (cell->nrecent >= n)
				continue;
			cell->recent[cell->nrecent++] = sqlite3_column_int(st, 2) ? '?' :
			    dash_outcome_letter((const char *)sqlite3_column_text(st, 1));
			if (cell->nrecent == n)
				full++;
		}
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			break;
		rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "matrix: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
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
		json_t *b = cell->body, *ok = json_object_get(b, "ok");
		json_t *status = json_object_get(b, "status");
		json_t *total = json_object_get(b, "total_us");
		const char *ec = jstr(b, "error_class"), *msg = jstr(b, "error");
		char recent[MATRIX_N_MAX + 1];

		for (size_t j = 0; j < cell->nrecent; j++)
			recent[j] = cell->recent[cell->nrecent - 1 - j];
		recent[cell->nrecent] = '\0';
		json_array_append_new(cells, json_pack("[I,I,I,I,b,o,o,o,o,s,b]",
		    (json_int_t)cell->check, (json_int_t)cell->region,
		    (json_int_t)cell->agent, (json_int_t)(now - cell->ts), json_is_true(ok),
		    json_is_integer(status) ? json_incref(status) : json_null(),
		    json_is_number(total) ? json_real(round(json_number_value(total) /
			100.0) / 10.0) : json_null(),
		    opt_string(json_is_true(ok) ? NULL : ec),
		    json_is_true(ok) || msg == NULL ? json_null() :
			json_string_cut(msg, MATRIX_ERROR_MAX),
		    recent, json_is_true(json_object_get(b, "inconclusive"))));
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
	sqlite3 *db;
	sqlite3_stmt *st;
	char err[256];
	int rc;

	if (n < 0) {
		http_error(resp, 400, "n: recent results per cell, 1 to %d", MATRIX_N_MAX);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.check_idx = json_object();
	m.cell_idx = json_object();
	db = store_reader(c->st);
	/* the region of a cell is its rows' region column, as for the recent
	 * outcomes below (the record's own field, the agent's, when the raw
	 * row has expired) */
	if (sqlite3_prepare_v2(db, "SELECT l.check_name, l.agent, l.ts, l.body, "
	    "r.region, a.region FROM latest l LEFT JOIN results r ON r.agent = "
	    "l.agent AND r.seq = l.seq LEFT JOIN agents a ON a.id = l.agent",
	    -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, sizeof(err), "matrix: %s", sqlite3_errmsg(db));
		goto fail;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *body = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
		const char *region = (const char *)sqlite3_column_text(st, 4);

		if (body == NULL)
			continue;
		if (region == NULL)
			region = jstr(body, "region");
		if (region == NULL)
			region = (const char *)sqlite3_column_text(st, 5);
		matrix_add_latest(&m, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2),
		    region ? region : "", body);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, sizeof(err), "matrix: %s", sqlite3_errmsg(db));
		goto fail;
	}
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
	/* and regions of agents that have reported, even with no result yet */
	if (sqlite3_prepare_v2(db, "SELECT DISTINCT region FROM agents WHERE region "
	    "IS NOT NULL", -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW)
			intern(&m.regions, &m.nregions, &m.aregions,
			    (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	if (matrix_recent(&m, db, (size_t)n, err, sizeof(err)) < 0)
		goto fail;
	store_reader_put(c->st, db);
	http_json(resp, 200, matrix_json(&m, (size_t)n, now));
	matrix_free(&m);
	return;
fail:
	store_reader_put(c->st, db);
	matrix_free(&m);
	http_error(resp, 500, "%s", err);
}

/* ---- /api/v1/results ---- */

void
dash_results(struct collector *c, struct http_request *r, struct http_response *resp)
{
	static const char *const filters[] = { "check", "region", "agent" };
	static const char *const columns[] = { "check_name", "region", "agent" };
	const char *ok = http_query(r, "ok"), *bind[3];
	long limit = int_param(r, "limit", RESULTS_LIMIT_DEFAULT, RESULTS_LIMIT_MAX);
	int64_t now = time_now_ms(), from;
	json_t *arr;
	sqlite3 *db;
	sqlite3_stmt *st;
	char sql[512];
	size_t len;
	int rc, nbind = 0;

	if (limit < 0) {
		http_error(resp, 400, "limit: 1 to %d", RESULTS_LIMIT_MAX);
		return;
	}
	if (api_parse_time(http_query(r, "from") ? http_query(r, "from") : "24h",
	    now, &from) < 0) {
		http_error(resp, 400, "from: Unix ms or a duration ago such as 24h");
		return;
	}
	if (ok && strcmp(ok, "true") != 0 && strcmp(ok, "false") != 0) {
		http_error(resp, 400, "ok: true or false");
		return;
	}
	/* only the filters given, so SQLite can use results_check_ts */
	len = (size_t)snprintf(sql, sizeof(sql), "SELECT body, region FROM results "
	    "WHERE ts >= ?1");
	for (int i = 0; i < 3; i++) {
		const char *v = http_query(r, filters[i]);
		if (v == NULL)
			continue;
		bind[nbind++] = v;
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, " AND %s = ?%d",
		    columns[i], nbind + 1);
	}
	if (ok)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, " AND ok = %d",
		    strcmp(ok, "true") == 0);
	snprintf(sql + len, sizeof(sql) - len, " ORDER BY ts DESC LIMIT %ld", limit);
	db = store_reader(c->st);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		http_error(resp, 500, "results: %s", sqlite3_errmsg(db));
		store_reader_put(c->st, db);
		return;
	}
	sqlite3_bind_int64(st, 1, from);
	for (int i = 0; i < nbind; i++)
		sqlite3_bind_text(st, i + 2, bind[i], -1, SQLITE_STATIC);
	arr = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);

		if (o == NULL)
			continue;
		if (!json_is_string(json_object_get(o, "region")) &&
		    sqlite3_column_type(st, 1) == SQLITE_TEXT)
			json_object_set_new(o, "region", json_string(
			    (const char *)sqlite3_column_text(st, 1)));
		json_array_append_new(arr, o);
	}
	sqlite3_finalize(st);
	store_reader_put(c->st, db);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		http_error(resp, 500, "results: query failed");
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
	int64_t now, from, step, total = 0, good = 0, cumbad = 0;
	int64_t *g = NULL, *t = NULL, *edge = NULL;
	size_t n = 0, alloc;
	json_t *points;
	double budget;
	sqlite3 *db;
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
	edge = xcalloc(alloc + 1, sizeof(*edge));
	edge[0] = from;
	for (int64_t b = floor_to(from, step) + step; b < now && n + 1 < alloc; b += step)
		edge[++n] = b;
	edge[++n] = now;
	db = store_reader(c->st);
	for (size_t i = 0; i < n; i++) {
		struct rollup_agg *a;
		size_t na;

		if (sloeng_aggregate(db, &slo->sel, edge[i], edge[i + 1], NULL, &a, &na,
		    err, sizeof(err)) < 0) {
			store_reader_put(c->st, db);
			http_error(resp, 500, "burndown: %s", err);
			goto out;
		}
		if (na == 1) {
			g[i] = sloeng_good(slo, &a[0]);
			t[i] = a[0].total;
		}
		sloeng_aggs_free(a, na);
		good += g[i];
		total += t[i];
	}
	store_reader_put(c->st, db);
	budget = slo_budget(slo->objective, total);
	points = json_array();
	for (size_t i = 0; i < n; i++) {
		cumbad += t[i] - g[i];
		json_array_append_new(points, json_pack("{s:I,s:I,s:I,s:I,s:o}",
		    "from", (json_int_t)edge[i], "to", (json_int_t)edge[i + 1],
		    "good", (json_int_t)g[i], "total", (json_int_t)t[i],
		    "budget_remaining", total > 0 ? sloeng_ratio(1.0 - (double)cumbad /
			budget) : json_null()));
	}
	http_json(resp, 200, json_pack("{s:s,s:f,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:o,s:o}",
	    "slo", slo->name, "objective", slo->objective,
	    "sli", slo->sli == SLI_LATENCY ? "latency" : "availability",
	    "window_ms", (json_int_t)slo->window_ms, "evaluated_at", (json_int_t)now,
	    "from", (json_int_t)from, "step_ms", (json_int_t)step,
	    "good", (json_int_t)good, "total", (json_int_t)total,
	    "error_budget", budget,
	    "budget_remaining", sloeng_ratio(slo_budget_remaining(slo->objective,
		good, total)),
	    "points", points));
out:
	free(g);
	free(t);
	free(edge);
}
