/* minutes: per-minute layer states and bad stretches from the minute
 * rollups of the wanted series (store_rollup_scan_set), summed in C. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minutes.h"
#include "rollup.h"
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

/* One minute of one group: runs and good runs. */
struct srow {
	int64_t	t, total, good;
};

/* The minute rollups of [from, to) with the DB's minute retention: starts
 * no earlier than the first minute row. Empty when from >= to after. */
static int
clamp_window(struct store *st, int64_t *from, int64_t to, size_t *nmin,
    char *err, size_t errlen)
{
	int64_t first;

	if (store_rollup_first_bucket(st, STORE_1M, &first, err, errlen) < 0)
		return -1;
	*from -= ((*from % 60000) + 60000) % 60000;
	if (first != INT64_MAX && first > *from)
		*from = first;
	*nmin = to > *from && first != INT64_MAX ?
	    (size_t)((to - *from + 59999) / 60000) : 0;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sort v[0..n) and drop duplicates; the new count. */
static size_t
sort_unique(const char **v, size_t n)
{
	size_t k = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i], v[k]) != 0)
			v[++k] = v[i];
	return k + 1;
}

/* What the scan of minutes_load needs per series, and fills. */
struct load {
	int64_t			 from;
	size_t			 nmin;
	int32_t			*svc_of, *layer_of, *bit_of;	/* by series id - 1; -1 not wanted */
	size_t			 nid;
	struct minutes_cell	**cells;	/* per service: nmin x MLAYER_COUNT */
	unsigned char		**present;	/* per service: nmin */
	bool			*svc_seen;
	uint64_t		 regions_seen;
};

static int
load_row(const struct rollup_row *r, void *arg)
{
	struct load *ld = arg;
	size_t id = (size_t)r->series - 1, mi;
	struct minutes_cell *c;
	int sv, bit;

	if (r->series < 1 || id >= ld->nid || ld->svc_of[id] < 0 ||
	    r->bucket < ld->from)
		return 0;
	mi = (size_t)((r->bucket - ld->from) / 60000);
	if (mi >= ld->nmin)
		return 0;
	sv = ld->svc_of[id];
	bit = ld->bit_of[id];
	c = &ld->cells[sv][mi * MLAYER_COUNT + (size_t)ld->layer_of[id]];
	c->total += r->total;
	c->bad += r->total - r->good;
	if (r->total > 0)
		c->probing |= 1ULL << bit;
	if (r->total > r->good)
		c->failing |= 1ULL << bit;
	ld->present[sv][mi] = 1;
	ld->svc_seen[sv] = true;
	ld->regions_seen |= 1ULL << bit;
	return 0;
}

/* A bit set with the candidates' region bits moved to their final ones. */
static uint64_t
remap(uint64_t set, const int *to)
{
	uint64_t out = 0;

	for (int b = 0; b < MINUTES_MAX_REGIONS; b++)
		if ((set & (1ULL << b)) && to[b] >= 0)
			out |= 1ULL << to[b];
	return out;
}

int
minutes_load(struct store *st, const char *service, int64_t from_ms, int64_t to_ms,
    struct minutes **out, char *err, size_t errlen)
{
	struct minutes *m = xcalloc(1, sizeof(*m));
	struct selector sel = { 0 };
	struct load ld;
	const char **names = NULL, **svcs = NULL, **regs = NULL;
	int64_t *ids = NULL;
	size_t nids, ns = 0, nr = 0, nseen = 0;
	int to_bit[MINUTES_MAX_REGIONS];
	int rc = -1;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.from = from_ms;
	if (clamp_window(st, &ld.from, to_ms, &ld.nmin, err, errlen) < 0)
		goto out;
	sel.service = (char *)(uintptr_t)service;
	nids = store_series_match(st, service ? &sel : NULL, &ids);
	/* the candidates' services and regions, sorted: indexes and bits */
	svcs = xcalloc(nids + 1, sizeof(*svcs));
	regs = xcalloc(nids + 1, sizeof(*regs));
	for (size_t i = 0; i < nids; i++) {
		const struct store_series *s = store_series_get(st, ids[i]);

		svcs[i] = s->service ? s->service : "";
		regs[i] = s->region ? s->region : "";
		if ((size_t)ids[i] > ld.nid)
			ld.nid = (size_t)ids[i];
	}
	ns = sort_unique(svcs, nids);
	nr = sort_unique(regs, nids);
	ld.svc_of = xcalloc(ld.nid + 1, sizeof(*ld.svc_of));
	ld.layer_of = xcalloc(ld.nid + 1, sizeof(*ld.layer_of));
	ld.bit_of = xcalloc(ld.nid + 1, sizeof(*ld.bit_of));
	for (size_t i = 0; i < ld.nid; i++)
		ld.svc_of[i] = -1;
	for (size_t i = 0; i < nids; i++) {
		const struct store_series *s = store_series_get(st, ids[i]);
		const char *sv = s->service ? s->service : "";
		const char *rg = s->region ? s->region : "";
		int layer = minutes_layer_index(s->layer);
		size_t k;

		for (k = 0; k < ns && strcmp(svcs[k], sv) != 0; k++)
			;
		ld.svc_of[ids[i] - 1] = (int32_t)k;
		ld.layer_of[ids[i] - 1] = layer < 0 ? MLAYER_OTHER : layer;
		for (k = 0; k < nr && strcmp(regs[k], rg) != 0; k++)
			;
		ld.bit_of[ids[i] - 1] = (int32_t)(k < MINUTES_MAX_REGIONS ? k :
		    MINUTES_MAX_REGIONS - 1);
	}
	ld.cells = xcalloc(ns + 1, sizeof(*ld.cells));
	ld.present = xcalloc(ns + 1, sizeof(*ld.present));
	ld.svc_seen = xcalloc(ns + 1, sizeof(*ld.svc_seen));
	for (size_t k = 0; k < ns; k++) {
		ld.cells[k] = xcalloc(ld.nmin * MLAYER_COUNT + 1, sizeof(**ld.cells));
		ld.present[k] = xcalloc(ld.nmin + 1, 1);
	}
	if (ld.nmin > 0 && store_rollup_scan_set(st, NULL, ids, nids, STORE_1M,
	    ld.from, to_ms, load_row, &ld, err, errlen) < 0)
		goto out;
	/* the regions that probed in the window name the bits, sorted */
	names = xcalloc(nr + 1, sizeof(*names));
	for (size_t b = 0; b < MINUTES_MAX_REGIONS; b++)
		to_bit[b] = -1;
	for (size_t k = 0; k < nr && k < MINUTES_MAX_REGIONS; k++)
		if (ld.regions_seen & (1ULL << k)) {
			to_bit[k] = (int)(nseen < MINUTES_MAX_REGIONS ? nseen :
			    MINUTES_MAX_REGIONS - 1);
			names[nseen++] = regs[k];
		}
	m->regions = xcalloc(nseen + 1, sizeof(*m->regions));
	for (size_t i = 0; i < nseen; i++)
		m->regions[i] = xstrdup(names[i]);
	m->nregions = nseen;
	m->regions_capped = nr > MINUTES_MAX_REGIONS;
	/* the services that had data, each with only the minutes that had */
	m->svc = xcalloc(ns + 1, sizeof(*m->svc));
	for (size_t k = 0; k < ns; k++) {
		struct minutes_service *sv;
		size_t n = 0;

		if (!ld.svc_seen[k])
			continue;
		sv = &m->svc[m->nsvc++];
		sv->name = xstrdup(svcs[k]);
		for (size_t i = 0; i < ld.nmin; i++)
			n += ld.present[k][i];
		sv->m = xcalloc(n + 1, sizeof(*sv->m));
		sv->alloc = n + 1;
		for (size_t i = 0; i < ld.nmin; i++) {
			struct minutes_minute *mm;

			if (!ld.present[k][i])
				continue;
			mm = &sv->m[sv->n++];
			mm->t = ld.from + (int64_t)i * 60000;
			for (int l = 0; l < MLAYER_COUNT; l++) {
				mm->l[l] = ld.cells[k][i * MLAYER_COUNT + (size_t)l];
				mm->l[l].probing = remap(mm->l[l].probing, to_bit);
				mm->l[l].failing = remap(mm->l[l].failing, to_bit);
			}
		}
	}
	*out = m;
	m = NULL;
	rc = 0;
out:
	minutes_free(m);
	for (size_t k = 0; ld.cells && k < ns; k++) {
		free(ld.cells[k]);
		free(ld.present[k]);
	}
	free(ld.cells);
	free(ld.present);
	free(ld.svc_seen);
	free(ld.svc_of);
	free(ld.layer_of);
	free(ld.bit_of);
	free(names);
	free(svcs);
	free(regs);
	free(ids);
	return rc;
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
minutes_first_bucket(struct store *st, int64_t *first_ms, char *err, size_t errlen)
{
	int64_t first;

	if (store_rollup_first_bucket(st, STORE_1M, &first, err, errlen) < 0)
		return -1;
	*first_ms = first == INT64_MAX ? -1 : first;
	return 0;
}

/* The longest bad stretch of one group's minutes (ascending) into out. */
static void
stretch_of(const struct srow *v, size_t n, struct minutes_stretch *out)
{
	int64_t run_from = 0, run_to = -1, run_bad = 0, run_total = 0;

	for (size_t i = 0; i < n; i++) {
		int64_t t = v[i].t, total = v[i].total, good = v[i].good;

		if (total <= good) {
			run_to = -1;	/* a good minute ends the run */
			continue;
		}
		out->bad_minutes++;
		if (run_to != t) {	/* not right after the last bad minute */
			run_from = t;
			run_bad = run_total = 0;
		}
		run_to = t + 60000;
		run_bad += total - good;
		run_total += total;
		if (run_to - run_from > out->to - out->from) {
			out->from = run_from;
			out->to = run_to;
			out->bad = run_bad;
			out->total = run_total;
		}
	}
}

/* A series' label in one dimension (NULL: absent). */
static const char *
series_label(const struct store_series *s, int dim)
{
	switch (dim) {
	case ROLLUP_BY_CHECK: return s->check;
	case ROLLUP_BY_AGENT: return s->agent;
	case ROLLUP_BY_REGION: return s->region;
	case ROLLUP_BY_LAYER: return s->layer;
	case ROLLUP_BY_PROVIDER: return s->provider;
	case ROLLUP_BY_SERVICE: return s->service;
	default: return NULL;
	}
}

/* What the scan of minutes_stretches needs per series, and fills. */
struct stretch_scan {
	int64_t			 from;
	size_t			 nmin;
	int32_t			*key_of;	/* by series id - 1; -1 not wanted */
	size_t			 nid;
	struct srow		**g;		/* per key: nmin minutes */
	unsigned char		**present;
	const struct slo_config	*latency;	/* count good under its threshold */
	int64_t			 exact_from;
	bool			 bad;
};

static int
stretch_row(const struct rollup_row *r, void *arg)
{
	struct stretch_scan *sc = arg;
	size_t id = (size_t)r->series - 1, mi;
	int64_t good = r->good;
	int k;

	if (r->series < 1 || id >= sc->nid || (k = sc->key_of[id]) < 0 ||
	    r->bucket < sc->from)
		return 0;
	mi = (size_t)((r->bucket - sc->from) / 60000);
	if (mi >= sc->nmin)
		return 0;
	if (sc->latency) {
		bool exact;

		if ((good = store_row_good_le(r, sc->latency->threshold_us,
		    sc->exact_from, &exact)) < 0) {
			sc->bad = true;
			return 1;
		}
	}
	sc->g[k][mi].total += r->total;
	sc->g[k][mi].good += good;
	sc->present[k][mi] = 1;
	return 0;
}

int
minutes_stretches(struct store *st, const struct slo_config *slo, int64_t from_ms,
    int64_t to_ms, const char *by, struct minutes_stretch **out, size_t *nout,
    char *err, size_t errlen)
{
	struct minutes_stretch *v = NULL;
	struct stretch_scan sc;
	const char **keys = NULL;
	int64_t *ids = NULL;
	struct srow *rows = NULL;
	size_t n = 0, nids, nk = 0;
	int dim = 0, rc = -1;

	*out = NULL;
	*nout = 0;
	if (by != NULL && ((dim = rollup_dim_parse(by)) <= 0 || (dim & (dim - 1)))) {
		snprintf(err, errlen, "cannot group by \"%s\"", by);
		return -1;
	}
	memset(&sc, 0, sizeof(sc));
	sc.from = from_ms;
	if (clamp_window(st, &sc.from, to_ms, &sc.nmin, err, errlen) < 0)
		return -1;
	if (slo->sli == SLI_LATENCY) {
		sc.latency = slo;
		sc.exact_from = store_threshold_exact_from(st, slo->threshold_us);
	}
	nids = store_series_match(st, &slo->sel, &ids);
	keys = xcalloc(nids + 1, sizeof(*keys));
	for (size_t i = 0; i < nids; i++) {
		const struct store_series *s = store_series_get(st, ids[i]);
		const char *key = dim ? series_label(s, dim) : "";

		keys[i] = key ? key : "";
		if ((size_t)ids[i] > sc.nid)
			sc.nid = (size_t)ids[i];
	}
	nk = sort_unique(keys, nids);
	sc.key_of = xcalloc(sc.nid + 1, sizeof(*sc.key_of));
	for (size_t i = 0; i < sc.nid; i++)
		sc.key_of[i] = -1;
	for (size_t i = 0; i < nids; i++) {
		const struct store_series *s = store_series_get(st, ids[i]);
		const char *key = dim ? series_label(s, dim) : "";
		size_t k;

		key = key ? key : "";
		for (k = 0; k < nk && strcmp(keys[k], key) != 0; k++)
			;
		sc.key_of[ids[i] - 1] = (int32_t)k;
	}
	sc.g = xcalloc(nk + 1, sizeof(*sc.g));
	sc.present = xcalloc(nk + 1, sizeof(*sc.present));
	for (size_t k = 0; k < nk; k++) {
		sc.g[k] = xcalloc(sc.nmin + 1, sizeof(**sc.g));
		sc.present[k] = xcalloc(sc.nmin + 1, 1);
	}
	if (sc.nmin > 0 && store_rollup_scan_set(st, NULL, ids, nids, STORE_1M,
	    sc.from, to_ms, stretch_row, &sc, err, errlen) < 0)
		goto out;
	if (sc.bad) {
		snprintf(err, errlen, "rollups: a malformed minute row");
		goto out;
	}
	v = xcalloc(nk + 1, sizeof(*v));
	rows = xcalloc(sc.nmin + 1, sizeof(*rows));
	for (size_t k = 0; k < nk; k++) {
		size_t nr = 0;

		for (size_t i = 0; i < sc.nmin; i++)
			if (sc.present[k][i]) {
				rows[nr] = sc.g[k][i];
				rows[nr++].t = sc.from + (int64_t)i * 60000;
			}
		if (nr == 0)
			continue;
		memset(&v[n], 0, sizeof(v[n]));
		v[n].key = xstrdup(keys[k]);
		stretch_of(rows, nr, &v[n]);
		n++;
	}
	rc = 0;
out:
	for (size_t k = 0; sc.g && k < nk; k++) {
		free(sc.g[k]);
		free(sc.present[k]);
	}
	free(sc.g);
	free(sc.present);
	free(sc.key_of);
	free(rows);
	free(keys);
	free(ids);
	if (rc < 0) {
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
