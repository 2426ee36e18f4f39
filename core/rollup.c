/* rollup: aggregates over series and time, grouped in C. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollup.h"
#include "xmalloc.h"

#define MIN_MS	60000LL
#define HOUR_MS	3600000LL
#define DAY_MS	86400000LL

static int64_t
floor_to(int64_t t, int64_t w)
{
	return t - ((t % w) + w) % w;
}

static int64_t
ceil_to(int64_t t, int64_t w)
{
	int64_t f = floor_to(t, w);

	return f == t ? t : f + w;
}

int64_t
rollup_window_start(int64_t from, int64_t to)
{
	return floor_to(from, to - from > 3 * DAY_MS + HOUR_MS ? HOUR_MS : MIN_MS);
}

int
rollup_dim_parse(const char *name)
{
	static const struct {
		const char	*name;
		int		 dims;
	} names[] = {
		{ "check", ROLLUP_BY_CHECK }, { "agent", ROLLUP_BY_AGENT },
		{ "region", ROLLUP_BY_REGION }, { "layer", ROLLUP_BY_LAYER },
		{ "provider", ROLLUP_BY_PROVIDER }, { "service", ROLLUP_BY_SERVICE },
		{ "check_region", ROLLUP_BY_CHECK | ROLLUP_BY_REGION },
	};

	for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].dims;
	return -1;
}

const char *
rollup_agg_label(const struct rollup_agg *a, enum rollup_dim d)
{
	switch (d) {
	case ROLLUP_BY_CHECK: return a->check;
	case ROLLUP_BY_AGENT: return a->agent;
	case ROLLUP_BY_REGION: return a->region;
	case ROLLUP_BY_LAYER: return a->layer;
	case ROLLUP_BY_PROVIDER: return a->provider;
	case ROLLUP_BY_SERVICE: return a->service;
	default: return NULL;
	}
}

/* One piece of a window: a tier and its [from, to). */
struct piece {
	enum store_tier	tier;
	int64_t		from, to;
};

/* Split [from, to) (from on a minute) into minutes up to the first whole
 * hour, hours up to the first whole day, whole days, then hours and
 * minutes up to to. */
static size_t
split(int64_t from, int64_t to, struct piece p[5])
{
	int64_t h0 = ceil_to(from, HOUR_MS), h1 = floor_to(to, HOUR_MS);
	int64_t d0 = ceil_to(from, DAY_MS), d1 = floor_to(to, DAY_MS);
	size_t n = 0;

	if (h0 >= h1) {
		p[n++] = (struct piece){ STORE_1M, from, to };
		return n;
	}
	if (d0 >= d1)
		d0 = d1 = h1;	/* no whole day: hours all the way */
	p[n++] = (struct piece){ STORE_1M, from, h0 };
	p[n++] = (struct piece){ STORE_1H, h0, d0 };
	p[n++] = (struct piece){ STORE_1D, d0, d1 };
	p[n++] = (struct piece){ STORE_1H, d1, h1 };
	p[n++] = (struct piece){ STORE_1M, h1, to };
	return n;
}

/* Series with equal labels in the grouped dimensions share a base. */
struct base {
	const struct store_series	*s;
};

/* The groups being built: (base, step) -> index, open addressing. */
struct builder {
	const struct rollup_query	*q;
	struct rollup_agg		*v;
	size_t				 n, alloc;
	size_t				*slot;	/* index + 1; 0 empty */
	size_t				 nslot;
	size_t				*vbase;	/* base of each group */
	/* each series' base (by id - 1: base + 1; 0 not wanted) */
	size_t				*base_of;
	size_t				 nbase_of;
	const struct base		*bases;
	/* the row being added: its base and that base's labels */
	const struct store_series	*ser;
	size_t				 base;
	int64_t				*exact_from;	/* per threshold */
	int64_t				 step0;
	char				*err;
	size_t				 errlen;
	int				 bad;
};

static size_t
slot_hash(size_t base, int64_t step)
{
	uint64_t h = (uint64_t)base * 0x9E3779B97F4A7C15ULL ^ (uint64_t)step;

	h ^= h >> 29;
	return (size_t)(h * 0xBF58476D1CE4E5B9ULL);
}

static struct rollup_agg *
group_for(struct builder *b, int64_t step)
{
	size_t i;

	if (2 * (b->n + 1) > b->nslot) {
		size_t nold = b->nslot, *old = b->slot;

		b->nslot = b->nslot ? 2 * b->nslot : 64;
		b->slot = xcalloc(b->nslot, sizeof(*b->slot));
		for (size_t k = 0; k < nold; k++) {
			size_t g = old[k];

			if (g == 0)
				continue;
			for (i = slot_hash(b->vbase[g - 1], b->v[g - 1].step) &
			    (b->nslot - 1); b->slot[i]; i = (i + 1) & (b->nslot - 1))
				;
			b->slot[i] = g;
		}
		free(old);
	}
	for (i = slot_hash(b->base, step) & (b->nslot - 1); b->slot[i];
	    i = (i + 1) & (b->nslot - 1)) {
		size_t g = b->slot[i] - 1;

		if (b->vbase[g] == b->base && b->v[g].step == step)
			return &b->v[g];
	}
	if (b->n == b->alloc) {
		b->alloc = b->alloc ? 2 * b->alloc : 16;
		b->v = xreallocarray(b->v, b->alloc, sizeof(*b->v));
		b->vbase = xreallocarray(b->vbase, b->alloc, sizeof(*b->vbase));
	}
	b->slot[i] = b->n + 1;
	b->vbase[b->n] = b->base;
	{
		struct rollup_agg *a = &b->v[b->n++];
		const struct store_series *s = b->ser;
		unsigned by = b->q->by;

		memset(a, 0, sizeof(*a));
		a->step = step;
		a->check = by & ROLLUP_BY_CHECK ? s->check : NULL;
		a->agent = by & ROLLUP_BY_AGENT ? s->agent : NULL;
		a->region = by & ROLLUP_BY_REGION ? s->region : NULL;
		a->layer = by & ROLLUP_BY_LAYER ? s->layer : NULL;
		a->provider = by & ROLLUP_BY_PROVIDER ? s->provider : NULL;
		a->service = by & ROLLUP_BY_SERVICE ? s->service : NULL;
		sketch_init(&a->sk);
		if (b->q->nthr > 0) {
			a->thr_good = xcalloc(b->q->nthr, sizeof(*a->thr_good));
			a->approx_before = xcalloc(b->q->nthr, sizeof(*a->approx_before));
			for (size_t t = 0; t < b->q->nthr; t++)
				a->approx_before[t] = INT64_MIN;
		}
		return a;
	}
}

static int
add_row(const struct rollup_row *r, void *arg)
{
	struct builder *b = arg;
	const struct rollup_query *q = b->q;
	int64_t step = 0;
	struct rollup_agg *a;

	if (r->series < 1 || (size_t)r->series > b->nbase_of ||
	    b->base_of[r->series - 1] == 0)
		return 0;
	b->base = b->base_of[r->series - 1] - 1;
	b->ser = b->bases[b->base].s;
	if (q->by & ROLLUP_BY_STEP)
		step = b->step0 + (r->bucket - b->step0) / q->step_ms * q->step_ms;
	a = group_for(b, step);
	a->total += r->total;
	a->good += r->good;
	a->inconclusive += r->inconclusive;
	for (int e = 0; e < ERRCLASS_COUNT; e++)
		a->e[e] += r->e[e];
	for (int p = 0; p < 6; p++)
		a->ph[p] += r->ph[p];
	for (int c = 0; c < CACHE_NSTATUS; c++)
		a->cache[c] += r->cache[c];
	for (size_t t = 0; t < q->nthr; t++) {
		bool exact;
		int64_t n = store_row_good_le(r, q->thr_us[t], b->exact_from[t], &exact);

		if (n < 0) {
			snprintf(b->err, b->errlen, "rollups: malformed row (series %lld, "
			    "bucket %lld)", (long long)r->series, (long long)r->bucket);
			b->bad = 1;
			return 1;
		}
		a->thr_good[t] += n;
		if (!exact && r->good > 0) {
			int64_t end = r->bucket + store_tier_ms[r->tier];
			if (end > a->approx_before[t])
				a->approx_before[t] = end;
		}
	}
	if (q->want_sketch && r->sketch != NULL && r->good > 0 &&
	    sketch_decode_merge(&a->sk, r->sketch, r->sketch_len) < 0) {
		snprintf(b->err, b->errlen, "rollups: malformed latency sketch (series "
		    "%lld, bucket %lld)", (long long)r->series, (long long)r->bucket);
		b->bad = 1;
		return 1;
	}
	return 0;
}

/* Labels compare with NULL first. */
static int
cmp_label(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int
cmp_agg(const void *pa, const void *pb)
{
	const struct rollup_agg *a = pa, *b = pb;
	int r;

	if ((r = cmp_label(a->check, b->check)) || (r = cmp_label(a->agent, b->agent)) ||
	    (r = cmp_label(a->region, b->region)) || (r = cmp_label(a->layer, b->layer)) ||
	    (r = cmp_label(a->provider, b->provider)) ||
	    (r = cmp_label(a->service, b->service)))
		return r;
	return a->step < b->step ? -1 : a->step > b->step;
}

static bool
same_base(unsigned by, const struct store_series *a, const struct store_series *b)
{
	return (!(by & ROLLUP_BY_CHECK) || cmp_label(a->check, b->check) == 0) &&
	    (!(by & ROLLUP_BY_AGENT) || cmp_label(a->agent, b->agent) == 0) &&
	    (!(by & ROLLUP_BY_REGION) || cmp_label(a->region, b->region) == 0) &&
	    (!(by & ROLLUP_BY_LAYER) || cmp_label(a->layer, b->layer) == 0) &&
	    (!(by & ROLLUP_BY_PROVIDER) || cmp_label(a->provider, b->provider) == 0) &&
	    (!(by & ROLLUP_BY_SERVICE) || cmp_label(a->service, b->service) == 0);
}

int
rollup_aggregate(struct store *st, struct store_conn *c,
    const struct rollup_query *q, struct rollup_agg **out, size_t *nout,
    char *err, size_t errlen)
{
	struct builder b;
	struct piece p[5];
	struct base *bases = NULL;
	size_t np, nids, nbases = 0;
	int64_t *ids = NULL, from = q->from, to = q->to;
	int64_t exact_from[STORE_MAX_THRESHOLDS];
	int rc = 0;

	*out = NULL;
	*nout = 0;
	if (q->nthr > STORE_MAX_THRESHOLDS) {
		snprintf(err, errlen, "at most %d latency thresholds", STORE_MAX_THRESHOLDS);
		return -1;
	}
	if ((q->by & ROLLUP_BY_STEP) && (q->step_ms < MIN_MS || q->step_ms % MIN_MS)) {
		snprintf(err, errlen, "step: a whole number of minutes");
		return -1;
	}
	memset(&b, 0, sizeof(b));
	b.q = q;
	b.err = err;
	b.errlen = errlen;
	b.exact_from = exact_from;
	for (size_t t = 0; t < q->nthr; t++)
		exact_from[t] = store_threshold_exact_from(st, q->thr_us[t]);
	if (q->by & ROLLUP_BY_STEP) {
		/* one tier whose buckets divide the step, steps from a whole one */
		enum store_tier tier = q->minutes_only ? STORE_1M :
		    q->step_ms % DAY_MS == 0 ? STORE_1D :
		    q->step_ms % HOUR_MS == 0 ? STORE_1H : STORE_1M;

		from = floor_to(from, q->step_ms);
		b.step0 = from;
		np = 1;
		p[0] = (struct piece){ tier, from, to };
	} else if (q->minutes_only) {
		from = floor_to(from, MIN_MS);
		np = 1;
		p[0] = (struct piece){ STORE_1M, from, to };
	} else {
		from = rollup_window_start(from, to);
		np = split(from, to, p);
	}
	if (to <= from)
		return 0;
	nids = store_series_match(st, q->sel, &ids);
	bases = xcalloc(nids + 1, sizeof(*bases));
	/* the group base of each series: same labels, same base */
	for (size_t i = 0; i < nids; i++) {
		const struct store_series *s = store_series_get(st, ids[i]);
		size_t k;

		for (k = 0; k < nbases; k++)
			if (same_base(q->by, bases[k].s, s))
				break;
		if (k == nbases)
			bases[nbases++].s = s;
		if ((size_t)ids[i] > b.nbase_of) {
			size_t m = b.nbase_of ? b.nbase_of : 64;

			while (m < (size_t)ids[i])
				m *= 2;
			b.base_of = xreallocarray(b.base_of, m, sizeof(*b.base_of));
			memset(b.base_of + b.nbase_of, 0, (m - b.nbase_of) *
			    sizeof(*b.base_of));
			b.nbase_of = m;
		}
		b.base_of[ids[i] - 1] = k + 1;
	}
	b.bases = bases;
	for (size_t k = 0; k < np && rc == 0 && !b.bad; k++)
		rc = store_rollup_scan_set(st, c, ids, nids, p[k].tier, p[k].from,
		    p[k].to, add_row, &b, err, errlen);
	free(ids);
	free(bases);
	free(b.base_of);
	free(b.slot);
	free(b.vbase);
	if (rc < 0 || b.bad) {
		rollup_aggs_free(b.v, b.n);
		return -1;
	}
	if (b.n > 1)
		qsort(b.v, b.n, sizeof(*b.v), cmp_agg);
	*out = b.v;
	*nout = b.n;
	return 0;
}

void
rollup_aggs_free(struct rollup_agg *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		sketch_free(&v[i].sk);
		free(v[i].thr_good);
		free(v[i].approx_before);
	}
	free(v);
}

int64_t
rollup_good(const struct rollup_agg *a, const struct rollup_query *q,
    const struct slo_config *slo)
{
	if (slo->sli != SLI_LATENCY)
		return a->good;
	for (size_t t = 0; t < q->nthr; t++)
		if (q->thr_us[t] == slo->threshold_us)
			return a->thr_good[t];
	return -1;
}

int64_t
rollup_cache_hits(const struct rollup_agg *a)
{
	int64_t n = 0;

	for (int c = 0; c < CACHE_NSTATUS; c++)
		if (cache_status_is_hit((enum cache_status)c))
			n += a->cache[c];
	return n;
}

int64_t
rollup_cache_lookups(const struct rollup_agg *a)
{
	int64_t n = 0;

	for (int c = 0; c < CACHE_NSTATUS; c++)
		if (cache_status_is_lookup((enum cache_status)c))
			n += a->cache[c];
	return n;
}
