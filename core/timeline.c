/* timeline: per-run failing stretches, episodes, blame and bad stretches
 * (see timeline.h). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollup.h"
#include "store_results.h"
#include "timeline.h"
#include "xmalloc.h"

static const char *const cause_names[TL_CAUSE_COUNT] = {
	"front_door", "edge", "central", "all"
};

const char *
timeline_cause_name(enum tl_cause c)
{
	return c < TL_CAUSE_COUNT ? cause_names[c] : "front_door";
}

/* ---- pure functions ---- */

size_t
timeline_stretches(const struct tl_run *v, size_t n, int64_t end,
    struct tl_interval **out)
{
	struct tl_interval *o = NULL, cur;
	size_t k = 0, alloc = 0;
	bool in = false;

	*out = NULL;
	memset(&cur, 0, sizeof(cur));
	for (size_t i = 0; i < n; i++) {
		if (v[i].state == TL_SKIP)
			continue;
		if (v[i].state == TL_BAD) {
			if (!in) {
				in = true;
				cur.from = v[i].start;
				cur.bad = 0;
			}
			cur.bad++;
			continue;
		}
		if (!in)
			continue;
		/* the first good run after bad ones ends the stretch */
		cur.to = v[i].start;
		cur.open = false;
		if (k == alloc) {
			alloc = alloc ? 2 * alloc : 8;
			o = xreallocarray(o, alloc, sizeof(*o));
		}
		o[k++] = cur;
		in = false;
	}
	if (in) {
		cur.to = end > cur.from ? end : cur.from;
		cur.open = true;
		if (k == alloc)
			o = xreallocarray(o, ++alloc, sizeof(*o));
		o[k++] = cur;
	}
	*out = o;
	return k;
}

/* qsort that accepts an empty (possibly NULL) array: qsort's base must
 * never be NULL, even for n == 0 */
static void
sort_n(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static int
cmp_interval(const void *pa, const void *pb)
{
	const struct tl_interval *a = pa, *b = pb;

	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->to != b->to)
		return a->to < b->to ? -1 : 1;
	return 0;
}

size_t
timeline_union(struct tl_interval *v, size_t n)
{
	size_t k = 0;

	if (n == 0)
		return 0;
	sort_n(v, n, sizeof(*v), cmp_interval);
	for (size_t i = 1; i < n; i++) {
		struct tl_interval *c = &v[k];

		if (v[i].from <= c->to) {
			if (v[i].to > c->to)
				c->to = v[i].to;
			c->bad += v[i].bad;
			c->open = c->open || v[i].open;
		} else
			v[++k] = v[i];
	}
	return k + 1;
}

bool
timeline_longest(const struct tl_run *v, size_t n, int64_t end,
    struct tl_interval *out)
{
	struct tl_interval *s;
	size_t ns = timeline_stretches(v, n, end, &s), best = 0;

	memset(out, 0, sizeof(*out));
	if (ns == 0)
		return false;
	for (size_t i = 1; i < ns; i++)
		if (s[i].to - s[i].from > s[best].to - s[best].from)
			best = i;
	*out = s[best];
	free(s);
	return true;
}

double
timeline_quantile_ms(const int64_t *us, size_t n, double q)
{
	size_t rank;

	if (n == 0)
		return NAN;
	rank = (size_t)ceil(q * (double)n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)us[rank - 1] / 1000.0;
}

/* ---- building ---- */

struct timeline *
timeline_new(const char *service, int64_t from, int64_t to)
{
	struct timeline *tl = xcalloc(1, sizeof(*tl));

	tl->service = xstrdup(service ? service : "");
	tl->from = from;
	tl->to = to;
	tl->cur_layer = -1;
	return tl;
}

uint32_t
timeline_region(struct timeline *tl, const char *region)
{
	const char *r = region ? region : "";

	for (size_t i = 0; i < tl->nregions; i++)
		if (strcmp(tl->regions[i], r) == 0)
			return (uint32_t)i;
	if (tl->nregions == tl->aregions) {
		tl->aregions = tl->aregions ? 2 * tl->aregions : 4;
		tl->regions = xreallocarray(tl->regions, tl->aregions,
		    sizeof(*tl->regions));
		tl->lr = xreallocarray(tl->lr, tl->aregions, sizeof(*tl->lr));
	}
	tl->regions[tl->nregions] = xstrdup(r);
	memset(tl->lr[tl->nregions], 0, sizeof(tl->lr[tl->nregions]));
	return (uint32_t)tl->nregions++;
}

void
timeline_series_begin(struct timeline *tl, int layer, const char *region)
{
	if (tl->cur_layer >= 0)
		timeline_series_end(tl);
	if (layer < 0 || layer >= MLAYER_COUNT)
		layer = MLAYER_OTHER;
	tl->cur_layer = layer;
	tl->cur_region = timeline_region(tl, region);
	tl->cur_first = tl->nruns[layer];
}

void
timeline_series_run(struct timeline *tl, int64_t start, int64_t total_us, bool ok,
    bool inconclusive)
{
	int l = tl->cur_layer;
	struct tl_run *r;

	if (l < 0 || start < tl->from || start >= tl->to)
		return;
	if (tl->nruns[l] == tl->aruns[l]) {
		tl->aruns[l] = tl->aruns[l] ? 2 * tl->aruns[l] : 64;
		tl->runs[l] = xreallocarray(tl->runs[l], tl->aruns[l],
		    sizeof(*tl->runs[l]));
	}
	r = &tl->runs[l][tl->nruns[l]++];
	r->start = start;
	r->total_us = total_us;
	r->region = tl->cur_region;
	r->state = inconclusive ? TL_SKIP : ok ? TL_GOOD : TL_BAD;
}

/* Append n intervals to a list. */
static void
ivs_append(struct tl_intervals *l, const struct tl_interval *v, size_t n)
{
	if (n == 0)
		return;
	if (l->n + n > l->alloc) {
		l->alloc = l->n + n + l->alloc;
		l->v = xreallocarray(l->v, l->alloc, sizeof(*l->v));
	}
	memcpy(l->v + l->n, v, n * sizeof(*v));
	l->n += n;
}

void
timeline_series_end(struct timeline *tl)
{
	int l = tl->cur_layer;
	struct tl_interval *s;
	size_t n;

	if (l < 0)
		return;
	n = timeline_stretches(tl->runs[l] + tl->cur_first,
	    tl->nruns[l] - tl->cur_first, tl->to, &s);
	ivs_append(&tl->lr[tl->cur_region][l], s, n);
	free(s);
	tl->cur_layer = -1;
}

static int
cmp_run(const void *pa, const void *pb)
{
	const struct tl_run *a = pa, *b = pb;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->region != b->region)
		return a->region < b->region ? -1 : 1;
	return (int)a->state - (int)b->state;
}

/* For sorting region names with their old index. */
struct rname {
	const char	*name;
	uint32_t	 old;
};

static int
cmp_rname(const void *pa, const void *pb)
{
	return strcmp(((const struct rname *)pa)->name,
	    ((const struct rname *)pb)->name);
}

void
timeline_finish(struct timeline *tl)
{
	struct rname *rn;
	uint32_t *to_new;
	char **names;
	struct tl_intervals (*lr)[MLAYER_COUNT];

	if (tl->finished)
		return;
	timeline_series_end(tl);
	/* regions in name order */
	rn = xcalloc(tl->nregions + 1, sizeof(*rn));
	to_new = xcalloc(tl->nregions + 1, sizeof(*to_new));
	names = xcalloc(tl->nregions + 1, sizeof(*names));
	lr = xcalloc(tl->nregions + 1, sizeof(*lr));
	for (size_t i = 0; i < tl->nregions; i++) {
		rn[i].name = tl->regions[i];
		rn[i].old = (uint32_t)i;
	}
	sort_n(rn, tl->nregions, sizeof(*rn), cmp_rname);
	for (size_t i = 0; i < tl->nregions; i++) {
		to_new[rn[i].old] = (uint32_t)i;
		names[i] = tl->regions[rn[i].old];
		memcpy(lr[i], tl->lr[rn[i].old], sizeof(lr[i]));
	}
	free(tl->regions);
	free(tl->lr);
	tl->regions = names;
	tl->lr = lr;
	tl->aregions = tl->nregions + 1;
	for (int l = 0; l < MLAYER_COUNT; l++) {
		for (size_t i = 0; i < tl->nruns[l]; i++)
			tl->runs[l][i].region = to_new[tl->runs[l][i].region];
		sort_n(tl->runs[l], tl->nruns[l], sizeof(*tl->runs[l]), cmp_run);
	}
	for (size_t r = 0; r < tl->nregions; r++)
		for (int l = 0; l < MLAYER_COUNT; l++)
			tl->lr[r][l].n = timeline_union(tl->lr[r][l].v, tl->lr[r][l].n);
	free(rn);
	free(to_new);
	tl->finished = true;
}

void
timeline_free(struct timeline *tl)
{
	if (tl == NULL)
		return;
	for (size_t r = 0; r < tl->nregions; r++) {
		free(tl->regions[r]);
		for (int l = 0; l < MLAYER_COUNT; l++)
			free(tl->lr[r][l].v);
	}
	for (int l = 0; l < MLAYER_COUNT; l++)
		free(tl->runs[l]);
	free(tl->regions);
	free(tl->lr);
	free(tl->service);
	free(tl);
}

/* ---- analyses ---- */

const struct tl_intervals *
timeline_intervals(const struct timeline *tl, int layer, uint32_t region)
{
	static const struct tl_intervals none;

	if (layer < 0 || layer >= MLAYER_COUNT || region >= tl->nregions)
		return &none;
	return &tl->lr[region][layer];
}

/* The interval of l holding t, or NULL. */
static const struct tl_interval *
interval_at(const struct tl_intervals *l, int64_t t)
{
	size_t lo = 0, hi = l->n;

	/* the last interval starting at or before t */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (l->v[mid].from <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || t >= l->v[lo - 1].to)
		return NULL;
	return &l->v[lo - 1];
}

bool
timeline_failing_at(const struct timeline *tl, int layer, uint32_t region, int64_t t)
{
	return interval_at(timeline_intervals(tl, layer, region), t) != NULL;
}

/* The first run of v[0..n) (by start) that started at or after t. */
static size_t
first_at(const struct tl_run *v, size_t n, int64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid].start < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
cmp_part(const void *pa, const void *pb)
{
	const struct tl_part *a = pa, *b = pb;

	if (a->iv.from != b->iv.from)
		return a->iv.from < b->iv.from ? -1 : 1;
	if (a->region != b->region)
		return a->region < b->region ? -1 : 1;
	return 0;
}

static int
cmp_i64(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;

	return a < b ? -1 : a > b;
}

/* The passed front-door runs' total_us in [from, to), ascending, into a
 * new array *out; the count. */
static size_t
fd_passed_us(const struct timeline *tl, int64_t from, int64_t to, int64_t **out)
{
	const struct tl_run *v = tl->runs[MLAYER_FRONT_DOOR];
	size_t n = tl->nruns[MLAYER_FRONT_DOOR], i = first_at(v, n, from), k = 0;
	int64_t *o;

	for (size_t j = i; j < n && v[j].start < to; j++)
		if (v[j].state == TL_GOOD)
			k++;
	o = xcalloc(k + 1, sizeof(*o));
	k = 0;
	for (; i < n && v[i].start < to; i++)
		if (v[i].state == TL_GOOD)
			o[k++] = v[i].total_us;
	sort_n(o, k, sizeof(*o), cmp_i64);
	*out = o;
	return k;
}

/* The counts of one episode: runs of its layer, the front door's runs and
 * failures per region, the front door's recovery and latency. */
static void
episode_counts(const struct timeline *tl, int64_t baseline_ms, struct tl_episode *e)
{
	const struct tl_run *v = tl->runs[e->layer];
	const struct tl_run *fd = tl->runs[MLAYER_FRONT_DOOR];
	size_t n = tl->nruns[e->layer], nfd = tl->nruns[MLAYER_FRONT_DOOR];

	e->fd_total_r = xcalloc(tl->nregions + 1, sizeof(*e->fd_total_r));
	e->fd_bad_r = xcalloc(tl->nregions + 1, sizeof(*e->fd_bad_r));
	for (size_t i = first_at(v, n, e->iv.from); i < n && v[i].start < e->iv.to; i++)
		e->total += v[i].state != TL_SKIP;
	e->recovered_at = -1;
	for (size_t i = first_at(fd, nfd, e->iv.from); i < nfd &&
	    fd[i].start < e->iv.to; i++) {
		const struct tl_interval *s;

		if (fd[i].state == TL_SKIP)
			continue;
		e->fd_total++;
		e->fd_total_r[fd[i].region]++;
		if (fd[i].state != TL_BAD)
			continue;
		e->fd_bad++;
		e->fd_bad_r[fd[i].region]++;
		s = interval_at(&tl->lr[fd[i].region][MLAYER_FRONT_DOOR], fd[i].start);
		if (s == NULL)
			continue;	/* cannot happen: each failure is in one */
		if (s->open)
			e->recovered_at = TL_NOT_RECOVERED;
		else if (e->recovered_at != TL_NOT_RECOVERED && s->to > e->recovered_at)
			e->recovered_at = s->to;
	}
	e->nfd_us = fd_passed_us(tl, e->iv.from, e->iv.to, &e->fd_us);
	e->nbase_us = fd_passed_us(tl, e->iv.from - baseline_ms, e->iv.from,
	    &e->base_us);
}

size_t
timeline_episodes(const struct timeline *tl, int layer, int64_t baseline_ms,
    struct tl_episode **out)
{
	struct tl_part *all;
	struct tl_episode *ev = NULL;
	size_t n = 0, k = 0, i = 0;

	*out = NULL;
	if (layer < 0 || layer >= MLAYER_COUNT)
		return 0;
	for (size_t r = 0; r < tl->nregions; r++)
		n += tl->lr[r][layer].n;
	if (n == 0)
		return 0;
	all = xcalloc(n, sizeof(*all));
	for (size_t r = 0, j = 0; r < tl->nregions; r++)
		for (size_t q = 0; q < tl->lr[r][layer].n; q++) {
			all[j].region = (uint32_t)r;
			all[j++].iv = tl->lr[r][layer].v[q];
		}
	sort_n(all, n, sizeof(*all), cmp_part);
	ev = xcalloc(n, sizeof(*ev));
	while (i < n) {
		struct tl_episode *e = &ev[k++];
		size_t j = i;

		e->layer = layer;
		e->iv = all[i].iv;
		while (j + 1 < n && all[j + 1].iv.from <= e->iv.to) {
			j++;
			if (all[j].iv.to > e->iv.to)
				e->iv.to = all[j].iv.to;
			e->iv.bad += all[j].iv.bad;
			e->iv.open = e->iv.open || all[j].iv.open;
		}
		e->nparts = j - i + 1;
		e->parts = xcalloc(e->nparts, sizeof(*e->parts));
		memcpy(e->parts, all + i, e->nparts * sizeof(*e->parts));
		episode_counts(tl, baseline_ms, e);
		i = j + 1;
	}
	free(all);
	*out = ev;
	return k;
}

void
timeline_episodes_free(struct tl_episode *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].parts);
		free(v[i].fd_total_r);
		free(v[i].fd_bad_r);
		free(v[i].fd_us);
		free(v[i].base_us);
	}
	free(v);
}

size_t
timeline_blame(const struct timeline *tl, int64_t from, int64_t to,
    struct tl_blame **out)
{
	const struct tl_run *fd = tl->runs[MLAYER_FRONT_DOOR];
	size_t nfd = tl->nruns[MLAYER_FRONT_DOOR], k = 0;
	struct tl_blame *o = NULL;

	*out = NULL;
	for (size_t i = first_at(fd, nfd, from); i < nfd && fd[i].start < to; i++) {
		bool edge, central;

		if (fd[i].state != TL_BAD)
			continue;
		edge = timeline_failing_at(tl, MLAYER_EDGE, fd[i].region, fd[i].start);
		central = timeline_failing_at(tl, MLAYER_CENTRAL, fd[i].region,
		    fd[i].start);
		o = xreallocarray(o, k + 1, sizeof(*o));
		o[k].at = fd[i].start;
		o[k].region = fd[i].region;
		o[k++].cause = edge && central ? TL_CAUSE_BOTH : edge ? TL_CAUSE_EDGE :
		    central ? TL_CAUSE_CENTRAL : TL_CAUSE_FRONT_DOOR;
	}
	*out = o;
	return k;
}

/* One interval of any layer, for the spells of timeline_first_failure. */
struct lspan {
	int64_t	from, to;
	int	layer;
};

static int
cmp_lspan(const void *pa, const void *pb)
{
	const struct lspan *a = pa, *b = pb;

	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	return a->layer - b->layer;
}

unsigned
timeline_first_failure(const struct timeline *tl, int64_t at, int64_t lookback,
    int64_t ahead, int64_t *first)
{
	struct lspan *v;
	size_t n = 0, j = 0;
	int64_t best_from = -1, best_to = 0;
	unsigned layers = 0, best_layers = 0;
	int pick = 0;	/* 3 holds at, 2 ended before, 1 starts after */

	*first = -1;
	for (size_t r = 0; r < tl->nregions; r++)
		for (int l = 0; l < MLAYER_COUNT; l++)
			n += tl->lr[r][l].n;
	if (n == 0)
		return 0;
	v = xcalloc(n, sizeof(*v));
	for (size_t r = 0; r < tl->nregions; r++)
		for (int l = 0; l < MLAYER_COUNT; l++)
			for (size_t q = 0; q < tl->lr[r][l].n; q++) {
				v[j].from = tl->lr[r][l].v[q].from;
				v[j].to = tl->lr[r][l].v[q].to;
				v[j++].layer = l;
			}
	sort_n(v, n, sizeof(*v), cmp_lspan);
	for (size_t i = 0; i < n; ) {
		int64_t from = v[i].from, to = v[i].to;
		int kind;

		layers = 0;
		for (j = i; j < n && v[j].from <= to; j++) {
			if (v[j].to > to)
				to = v[j].to;
			if (v[j].from == from)
				layers |= 1u << v[j].layer;
		}
		i = j;
		if (from <= at && at < to)
			kind = 3;
		else if (to <= at && to >= at - lookback)
			kind = 2;
		else if (from >= at && from < at + ahead)
			kind = 1;
		else
			continue;
		/* prefer the spell holding at, then the latest before, then
		 * the first after */
		if (kind > pick || (kind == pick && kind == 2 && to > best_to)) {
			pick = kind;
			best_from = from;
			best_to = to;
			best_layers = layers;
		}
	}
	free(v);
	*first = best_from;
	return best_layers;
}

/* ---- from the store ---- */

/* Where each wanted series goes, by id - 1. */
struct dest {
	int32_t	tl;		/* -1: not wanted */
	int8_t	layer;
};

struct loader {
	struct timeline	**tls;
	const struct dest *dest;
	size_t		  ndest;
	struct store	 *st;
	int64_t		  series;	/* the one being fed; 0 none */
	struct timeline	 *cur;
};

static int
load_run(const struct stored_outcome *o, void *arg)
{
	struct loader *ld = arg;

	if (o->series != ld->series) {
		size_t id = (size_t)o->series - 1;
		const struct store_series *s;

		if (ld->cur)
			timeline_series_end(ld->cur);
		ld->cur = NULL;
		ld->series = o->series;
		if (o->series < 1 || id >= ld->ndest || ld->dest[id].tl < 0 ||
		    (s = store_series_get(ld->st, o->series)) == NULL)
			return 0;
		ld->cur = ld->tls[ld->dest[id].tl];
		timeline_series_begin(ld->cur, ld->dest[id].layer, s->region);
	}
	if (ld->cur)
		timeline_series_run(ld->cur, o->ts, o->total_us, o->ok, o->inconclusive);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
timeline_load(struct store *st, const struct selector *sel, int64_t from,
    int64_t to, struct timeline ***out, size_t *nout, char *err, size_t errlen)
{
	int64_t *ids = NULL;
	size_t nids = store_series_match(st, sel, &ids), ns = 0, maxid = 0, k = 0;
	const char **svcs = xcalloc(nids + 1, sizeof(*svcs));
	struct timeline **tls;
	struct dest *dest;
	struct loader ld;
	int rc;

	*out = NULL;
	*nout = 0;
	for (size_t i = 0; i < nids; i++) {
		const struct store_series *s = store_series_get(st, ids[i]);

		svcs[i] = s && s->service ? s->service : "";
		if ((size_t)ids[i] > maxid)
			maxid = (size_t)ids[i];
	}
	sort_n(svcs, nids, sizeof(*svcs), cmp_str);
	for (size_t i = 0; i < nids; i++)
		if (ns == 0 || strcmp(svcs[i], svcs[ns - 1]) != 0)
			svcs[ns++] = svcs[i];
	tls = xcalloc(ns + 1, sizeof(*tls));
	for (size_t i = 0; i < ns; i++)
		tls[i] = timeline_new(svcs[i], from, to);
	dest = xcalloc(maxid + 1, sizeof(*dest));
	for (size_t i = 0; i < maxid; i++)
		dest[i].tl = -1;
	for (size_t i = 0; i < nids; i++) {
		const struct store_series *s = store_series_get(st, ids[i]);
		const char *sv = s && s->service ? s->service : "";
		const char **hit = bsearch(&sv, svcs, ns, sizeof(*svcs), cmp_str);
		int layer = s ? minutes_layer_index(s->layer) : -1;

		if (s == NULL || hit == NULL)
			continue;
		dest[ids[i] - 1].tl = (int32_t)(hit - svcs);
		dest[ids[i] - 1].layer = (int8_t)(layer < 0 ? MLAYER_OTHER : layer);
	}
	memset(&ld, 0, sizeof(ld));
	ld.tls = tls;
	ld.dest = dest;
	ld.ndest = maxid;
	ld.st = st;
	rc = store_runs_each(st, ids, nids, from, to, load_run, &ld, err, errlen);
	if (ld.cur)
		timeline_series_end(ld.cur);
	free(dest);
	free(svcs);
	free(ids);
	if (rc < 0) {
		timeline_list_free(tls, ns);
		return -1;
	}
	/* only services with runs */
	for (size_t i = 0; i < ns; i++) {
		size_t runs = 0;

		for (int l = 0; l < MLAYER_COUNT; l++)
			runs += tls[i]->nruns[l];
		if (runs == 0) {
			timeline_free(tls[i]);
			continue;
		}
		timeline_finish(tls[i]);
		tls[k++] = tls[i];
	}
	*out = tls;
	*nout = k;
	return 0;
}

void
timeline_list_free(struct timeline **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		timeline_free(v[i]);
	free(v);
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

/* The runs of each group of an SLO, as the scan fills them: 8 bytes a run,
 * start << 1 | bad (inconclusive runs left out), so a group of millions of
 * runs sorts in place. */
struct group_runs {
	int64_t		*v;
	size_t		 n, alloc;
};

/* The longest stretch of encoded runs sorted ascending (a good and a bad
 * run starting together: the good one first, as cmp_run orders them). */
static bool
longest_encoded(const int64_t *v, size_t n, int64_t end, struct tl_interval *out)
{
	int64_t from = 0, bad = 0;
	bool in = false, any = false;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i <= n; i++) {
		int64_t t = i < n ? v[i] >> 1 : end;
		bool b = i < n && (v[i] & 1);

		if (b) {
			if (!in) {
				in = true;
				from = t;
				bad = 0;
			}
			bad++;
			continue;
		}
		if (!in)
			continue;
		in = false;
		if (!any || (t > from ? t : from) - from > out->to - out->from) {
			out->from = from;
			out->to = t > from ? t : from;
			out->bad = bad;
			out->open = i == n;
			any = true;
		}
	}
	return any;
}

struct slo_scan {
	const int32_t		*key_of;	/* by series id - 1 */
	size_t			 nid;
	struct group_runs	*g;
	int64_t			 threshold_us;	/* 0: availability */
};

static int
slo_run(const struct stored_outcome *o, void *arg)
{
	struct slo_scan *sc = arg;
	size_t id = (size_t)o->series - 1;
	struct group_runs *g;
	bool bad;

	if (o->series < 1 || id >= sc->nid || sc->key_of[id] < 0 || o->inconclusive)
		return 0;
	g = &sc->g[sc->key_of[id]];
	if (g->n == g->alloc) {
		g->alloc = g->alloc ? 2 * g->alloc : 256;
		g->v = xreallocarray(g->v, g->alloc, sizeof(*g->v));
	}
	bad = !o->ok || (sc->threshold_us > 0 && o->total_us > sc->threshold_us);
	g->v[g->n++] = (int64_t)((uint64_t)o->ts << 1) | (bad ? 1 : 0);
	return 0;
}

int
timeline_slo_stretches(struct store *st, const struct slo_config *slo,
    int64_t from, int64_t to, const char *by, struct tl_group_stretch **out,
    size_t *nout, char *err, size_t errlen)
{
	struct tl_group_stretch *v;
	struct slo_scan sc;
	const char **keys;
	int64_t *ids = NULL;
	int32_t *key_of;
	size_t nids, nk = 0, maxid = 0, n = 0;
	int dim = 0, rc;

	*out = NULL;
	*nout = 0;
	if (by != NULL && ((dim = rollup_dim_parse(by)) <= 0 || (dim & (dim - 1)))) {
		snprintf(err, errlen, "cannot group by \"%s\"", by);
		return -1;
	}
	nids = store_series_match(st, &slo->sel, &ids);
	keys = xcalloc(nids + 1, sizeof(*keys));
	for (size_t i = 0; i < nids; i++) {
		const struct store_series *s = store_series_get(st, ids[i]);
		const char *key = s && dim ? series_label(s, dim) : "";

		keys[i] = key ? key : "";
		if ((size_t)ids[i] > maxid)
			maxid = (size_t)ids[i];
	}
	sort_n(keys, nids, sizeof(*keys), cmp_str);
	for (size_t i = 0; i < nids; i++)
		if (nk == 0 || strcmp(keys[i], keys[nk - 1]) != 0)
			keys[nk++] = keys[i];
	key_of = xcalloc(maxid + 1, sizeof(*key_of));
	for (size_t i = 0; i < maxid; i++)
		key_of[i] = -1;
	for (size_t i = 0; i < nids; i++) {
		const struct store_series *s = store_series_get(st, ids[i]);
		const char *key = s && dim ? series_label(s, dim) : "";
		const char **hit;

		key = key ? key : "";
		if (s != NULL && (hit = bsearch(&key, keys, nk, sizeof(*keys),
		    cmp_str)) != NULL)
			key_of[ids[i] - 1] = (int32_t)(hit - keys);
	}
	memset(&sc, 0, sizeof(sc));
	sc.key_of = key_of;
	sc.nid = maxid;
	sc.g = xcalloc(nk + 1, sizeof(*sc.g));
	sc.threshold_us = slo->sli == SLI_LATENCY ? slo->threshold_us : 0;
	rc = store_runs_each(st, ids, nids, from, to, slo_run, &sc, err, errlen);
	v = xcalloc(nk + 1, sizeof(*v));
	for (size_t k = 0; k < nk && rc == 0; k++) {
		struct group_runs *g = &sc.g[k];

		if (g->n == 0)
			continue;
		sort_n(g->v, g->n, sizeof(*g->v), cmp_i64);
		v[n].key = xstrdup(keys[k]);
		v[n].any = longest_encoded(g->v, g->n, to, &v[n].longest);
		n++;
	}
	for (size_t k = 0; k < nk; k++)
		free(sc.g[k].v);
	free(sc.g);
	free(key_of);
	free(keys);
	free(ids);
	if (rc < 0) {
		timeline_group_stretches_free(v, n);
		return -1;
	}
	*out = v;
	*nout = n;
	return 0;
}

void
timeline_group_stretches_free(struct tl_group_stretch *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i].key);
	free(v);
}
