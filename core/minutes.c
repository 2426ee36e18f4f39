/* minutes: per-minute layer states and bad stretches from rollup_1m. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minutes.h"
#include "sketch.h"
#include "xmalloc.h"

static const char *const layer_names[MLAYER_COUNT] = {
	"front_door", "edge", "central", "other"
};

const char *
minutes_layer_name(int layer)
{
	return layer >= 0 && layer < MLAYER_COUNT ? layer_names[layer] : "other";
}

int
minutes_layer_index(const char *name)
{
	for (int i = 0; i < MLAYER_COUNT; i++)
		if (name && strcmp(name, layer_names[i]) == 0)
			return i;
	return -1;
}

enum minutes_state
minutes_state(const struct minutes_cell *c)
{
	int probing = __builtin_popcountll(c->probing);
	int failing = __builtin_popcountll(c->failing);

	if (c->total == 0)
		return MSTATE_NODATA;
	if (c->bad == 0)
		return MSTATE_OK;
	return 2 * failing > probing ? MSTATE_DOWN : MSTATE_REGION;
}

static int
prep(sqlite3 *db, sqlite3_stmt **st, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "query: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

static int
region_bit(const struct minutes *m, const char *name)
{
	size_t lo = 0, hi = m->nregions;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(m->regions[mid], name);

		if (c == 0)
			return mid < MINUTES_MAX_REGIONS ? (int)mid : MINUTES_MAX_REGIONS - 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return MINUTES_MAX_REGIONS - 1;	/* cannot happen: listed first */
}

int
minutes_load(sqlite3 *db, const char *service, int64_t from_ms, int64_t to_ms,
    struct minutes **out, char *err, size_t errlen)
{
	struct minutes *m = xcalloc(1, sizeof(*m));
	struct minutes_service *s = NULL;
	sqlite3_stmt *st = NULL;
	size_t ralloc = 0, salloc = 0;
	int rc;

	*out = NULL;
	if (prep(db, &st, "SELECT DISTINCT coalesce(region, '') FROM rollup_1m "
	    "WHERE bucket >= ?1 AND bucket < ?2 AND (?3 IS NULL OR service = ?3) "
	    "ORDER BY 1", err, errlen) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, from_ms);
	sqlite3_bind_int64(st, 2, to_ms);
	if (service)
		sqlite3_bind_text(st, 3, service, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (m->nregions == ralloc) {
			ralloc = ralloc ? ralloc * 2 : 8;
			m->regions = xreallocarray(m->regions, ralloc, sizeof(char *));
		}
		m->regions[m->nregions++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	if (rc != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(st);
	m->regions_capped = m->nregions > MINUTES_MAX_REGIONS;
	if (prep(db, &st, "SELECT coalesce(service, ''), bucket, coalesce(layer, ''), "
	    "coalesce(region, ''), sum(total), sum(good) FROM rollup_1m "
	    "WHERE bucket >= ?1 AND bucket < ?2 AND (?3 IS NULL OR service = ?3) "
	    "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2", err, errlen) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, from_ms);
	sqlite3_bind_int64(st, 2, to_ms);
	if (service)
		sqlite3_bind_text(st, 3, service, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *svc = (const char *)sqlite3_column_text(st, 0);
		int64_t t = sqlite3_column_int64(st, 1);
		int layer = minutes_layer_index((const char *)sqlite3_column_text(st, 2));
		uint64_t bit = 1ULL << region_bit(m, (const char *)sqlite3_column_text(st, 3));
		int64_t total = sqlite3_column_int64(st, 4), good = sqlite3_column_int64(st, 5);
		struct minutes_minute *mm;
		struct minutes_cell *c;

		if (s == NULL || strcmp(s->name, svc) != 0) {
			if (m->nsvc == salloc) {
				salloc = salloc ? salloc * 2 : 4;
				m->svc = xreallocarray(m->svc, salloc, sizeof(*m->svc));
			}
			s = &m->svc[m->nsvc++];
			memset(s, 0, sizeof(*s));
			s->name = xstrdup(svc);
		}
		if (s->n == 0 || s->m[s->n - 1].t != t) {
			if (s->n == s->alloc) {
				s->alloc = s->alloc ? s->alloc * 2 : 64;
				s->m = xreallocarray(s->m, s->alloc, sizeof(*s->m));
			}
			mm = &s->m[s->n++];
			memset(mm, 0, sizeof(*mm));
			mm->t = t;
		}
		mm = &s->m[s->n - 1];
		c = &mm->l[layer < 0 ? MLAYER_OTHER : layer];
		c->total += total;
		c->bad += total - good;
		if (total > 0)
			c->probing |= bit;
		if (total > good)
			c->failing |= bit;
	}
	if (rc != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(st);
	*out = m;
	return 0;
sqlfail:
	snprintf(err, errlen, "query: %s", sqlite3_errmsg(db));
fail:
	sqlite3_finalize(st);
	minutes_free(m);
	return -1;
}

void
minutes_free(struct minutes *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nregions; i++)
		free(m->regions[i]);
	for (size_t i = 0; i < m->nsvc; i++) {
		free(m->svc[i].name);
		free(m->svc[i].m);
	}
	free(m->regions);
	free(m->svc);
	free(m);
}

const struct minutes_minute *
minutes_at(const struct minutes_service *s, int64_t t)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->m[mid].t == t)
			return &s->m[mid];
		if (s->m[mid].t < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

json_t *
minutes_regions_json(const struct minutes *m, uint64_t set)
{
	json_t *a = json_array();

	for (size_t i = 0; i < m->nregions && i < MINUTES_MAX_REGIONS; i++)
		if (set & (1ULL << i))
			json_array_append_new(a, json_string(m->regions[i][0] ?
			    m->regions[i] : "unknown"));
	return a;
}

int
minutes_first_bucket(sqlite3 *db, int64_t *first_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	*first_ms = -1;
	if (prep(db, &st, "SELECT min(bucket) FROM rollup_1m", err, errlen) < 0)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*first_ms = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		snprintf(err, errlen, "query: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

static const char *
group_expr(const char *by)
{
	static const struct {
		const char *by, *expr;
	} map[] = {
		{ "region", "coalesce(region, '')" }, { "layer", "coalesce(layer, '')" },
		{ "provider", "coalesce(provider, '')" }, { "check", "check_name" },
		{ "agent", "agent" }, { "service", "coalesce(service, '')" },
	};

	if (by == NULL)
		return "''";
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].by, by) == 0)
			return map[i].expr;
	return NULL;
}

int
minutes_stretches(sqlite3 *db, const struct slo_config *slo, int64_t from_ms,
    int64_t to_ms, const char *by, struct minutes_stretch **out, size_t *nout,
    char *err, size_t errlen)
{
	const char *g = group_expr(by);
	const struct selector *sel = &slo->sel;
	const char *f[5] = { sel->service, sel->layer, sel->provider, sel->region,
		sel->check };
	struct minutes_stretch *v = NULL, *cur = NULL;
	int64_t run_from = 0, run_to = -1, run_bad = 0, run_total = 0;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *st = NULL;
	char sql[1024];
	int rc;

	*out = NULL;
	*nout = 0;
	if (g == NULL) {
		snprintf(err, errlen, "cannot group by \"%s\"", by);
		return -1;
	}
	snprintf(sql, sizeof(sql), "SELECT %s AS g, bucket, sum(total), sum(good), %s "
	    "FROM rollup_1m WHERE bucket >= ?1 AND bucket < ?2"
	    " AND (?3 IS NULL OR service = ?3) AND (?4 IS NULL OR layer = ?4)"
	    " AND (?5 IS NULL OR provider = ?5) AND (?6 IS NULL OR region = ?6)"
	    " AND (?7 IS NULL OR check_name = ?7) GROUP BY 1, 2 ORDER BY 1, 2", g,
	    slo->sli == SLI_LATENCY ? "sketch_agg(sketch)" : "NULL");
	if (prep(db, &st, sql, err, errlen) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, from_ms);
	sqlite3_bind_int64(st, 2, to_ms);
	for (int i = 0; i < 5; i++)
		if (f[i])
			sqlite3_bind_text(st, 3 + i, f[i], -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 0);
		int64_t t = sqlite3_column_int64(st, 1);
		int64_t total = sqlite3_column_int64(st, 2), good = sqlite3_column_int64(st, 3);

		if (slo->sli == SLI_LATENCY) {
			struct sketch sk;

			sketch_init(&sk);
			if (sketch_decode_merge(&sk, sqlite3_column_blob(st, 4),
			    (size_t)sqlite3_column_bytes(st, 4)) < 0) {
				sketch_free(&sk);
				snprintf(err, errlen, "query: malformed latency sketch");
				rc = SQLITE_CORRUPT;
				break;
			}
			good = (int64_t)sketch_count_le(&sk, (double)slo->threshold_us);
			sketch_free(&sk);
		}
		if (cur == NULL || strcmp(cur->key, key ? key : "") != 0) {
			if (n == alloc) {
				alloc = alloc ? alloc * 2 : 8;
				v = xreallocarray(v, alloc, sizeof(*v));
			}
			cur = &v[n++];
			memset(cur, 0, sizeof(*cur));
			cur->key = xstrdup(key ? key : "");
			run_to = -1;
		}
		if (total <= good) {
			run_to = -1;	/* a good minute ends the run */
			continue;
		}
		cur->bad_minutes++;
		if (run_to != t) {	/* not right after the last bad minute */
			run_from = t;
			run_bad = run_total = 0;
		}
		run_to = t + 60000;
		run_bad += total - good;
		run_total += total;
		if (run_to - run_from > cur->to - cur->from) {
			cur->from = run_from;
			cur->to = run_to;
			cur->bad = run_bad;
			cur->total = run_total;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		if (rc != SQLITE_CORRUPT)
			snprintf(err, errlen, "query: %s", sqlite3_errmsg(db));
		minutes_stretches_free(v, n);
		return -1;
	}
	*out = v;
	*nout = n;
	return 0;
}

void
minutes_stretches_free(struct minutes_stretch *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i].key);
	free(v);
}
