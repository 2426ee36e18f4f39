/* sloeng: per-series running window sums, kept up to date from ingest's
 * deltas, and the SLO numbers summed from them. */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sketch.h"
#include "sloeng.h"
#include "store_results.h"
#include "thr.h"
#include "timeutil.h"
#include "xmalloc.h"

#define MIN_MS	60000LL
#define HOUR_MS	3600000LL
#define DAY_MS	86400000LL

/* how far ahead of the collector's clock a result may start (ingest
 * refuses more): minutes up to here are read as "future" at a cold start */
#define FUTURE_MS	(10 * MIN_MS)
/* deltas queued between two evaluations; past this the next one is cold */
#define QUEUE_MAX	(1 << 20)

const struct sloeng_window sloeng_windows[SLOENG_NWINDOWS] = {
	{ "5m", 5 * MIN_MS }, { "30m", 30 * MIN_MS }, { "1h", HOUR_MS },
	{ "2h", 2 * HOUR_MS }, { "6h", 6 * HOUR_MS }, { "1d", DAY_MS },
	{ "3d", 3 * DAY_MS },
};

const struct sloeng_alert sloeng_alerts[SLOENG_NALERTS] = {
	{ "page", 2, 0, 14.4 },		/* 1h & 5m */
	{ "page", 4, 1, 6 },		/* 6h & 30m */
	{ "ticket", 5, 3, 3 },		/* 1d & 2h */
	{ "ticket", 6, 4, 1 },		/* 3d & 6h */
};

const char *const slo_dim_names[SLO_NDIMS] = { "region", "layer", "provider" };

/* The sums a window keeps per series, in this order, then one count per
 * latency threshold. */
enum { S_TOTAL, S_GOOD, S_INCONC, S_HITS, S_LOOKUPS, S_FIXED };

/* A sparse latency sketch: counts over bucket indexes [lo, lo + n). */
struct ssk {
	int64_t		 zero;
	int		 lo, n;
	int64_t		*c;
};

struct win {
	int64_t		 ms;
	int64_t		 from;		/* start at the last evaluation */
	int		 sk;		/* index of its sketch per series, or -1 */
};

struct sstate {
	int64_t				 id;
	const struct store_series	*s;
	int64_t				*sums;	/* nw x stride */
	struct ssk			*sk;	/* nsk */
};

/* One minute's worth of one series, from a delta or a rollup row. */
struct contrib {
	int64_t		 series, bucket;
	int64_t		 v[S_FIXED + STORE_MAX_THRESHOLDS];
	unsigned char	*sketch;	/* owned (queued copies) or borrowed */
	size_t		 sketch_len;
};

struct sloeng {
	struct store		*st;
	bool			 hook, warm;
	struct slo_config	*slos;
	size_t			 nslos;
	struct win		*w;
	size_t			 nw, nsk;
	int			 std[SLOENG_NWINDOWS];	/* sloeng_windows -> w */
	int			*slo_w;		/* each SLO's window -> w */
	int64_t			 thr[STORE_MAX_THRESHOLDS];
	int64_t			 thr_from[STORE_MAX_THRESHOLDS];
	size_t			 nthr, stride;
	struct sstate		*ser;
	size_t			 nser, aser;
	size_t			*idx;		/* series id - 1 -> index + 1 */
	size_t			 nidx;
	int64_t			 last_now;
	/* what ingest committed since the last evaluation */
	pthread_mutex_t		 qmu;
	struct contrib		*q, *taken;
	size_t			 nq, aq, ntaken;
	bool			 overflow;
	/* minutes after the last evaluation's end, held until it passes */
	struct contrib		*fut;
	size_t			 nfut, afut;
	/* the series the read snapshot knows (taken with the deltas) */
	int64_t			*snap_ids;
	size_t			 nsnap;
	int64_t			 rows, deltas;
	char			*err;
	size_t			 errlen;
	bool			 bad;
};

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
sloeng_window_start(int64_t now_ms, int64_t window_ms)
{
	return floor_to(now_ms - window_ms,
	    window_ms > 3 * DAY_MS + HOUR_MS ? HOUR_MS : MIN_MS);
}

/* ---- sparse sketches ---- */

static void
ssk_add(struct ssk *k, int idx, int64_t n)
{
	if (k->n == 0) {
		k->lo = idx;
		k->n = 1;
		k->c = xcalloc(1, sizeof(*k->c));
	} else if (idx < k->lo || idx >= k->lo + k->n) {
		int lo = idx < k->lo ? idx : k->lo;
		int hi = idx >= k->lo + k->n ? idx + 1 : k->lo + k->n;
		int64_t *c = xcalloc((size_t)(hi - lo), sizeof(*c));

		memcpy(c + (k->lo - lo), k->c, (size_t)k->n * sizeof(*c));
		free(k->c);
		k->c = c;
		k->lo = lo;
		k->n = hi - lo;
	}
	k->c[idx - k->lo] += n;
	if (k->c[idx - k->lo] < 0)
		k->c[idx - k->lo] = 0;
}

struct ssk_arg {
	struct ssk	*k;
	int		 sign;
};

static void
ssk_pair(int idx, uint64_t n, void *arg)
{
	struct ssk_arg *a = arg;

	ssk_add(a->k, idx, a->sign * (int64_t)n);
}

/* k += sign * the encoded sketch. 0 or -1 (malformed). */
static int
ssk_apply(struct ssk *k, const unsigned char *blob, size_t len, int sign)
{
	struct ssk_arg a = { k, sign };
	uint64_t zero = 0;

	if (blob == NULL || len == 0)
		return 0;
	if (sketch_encoded_each(blob, len, ssk_pair, &a, &zero) < 0)
		return -1;
	k->zero += sign * (int64_t)zero;
	if (k->zero < 0)
		k->zero = 0;
	return 0;
}

static void
ssk_into(const struct ssk *k, struct sketch *dst)
{
	if (k->n == 0 && k->zero == 0)
		return;
	dst->zero += (uint64_t)k->zero;
	dst->count += (uint64_t)k->zero;
	if (k->n == 0)
		return;
	if (dst->b == NULL)
		dst->b = xcalloc(SKETCH_NBUCKETS, sizeof(*dst->b));
	for (int i = 0; i < k->n; i++) {
		if (k->c[i] == 0)
			continue;
		dst->b[k->lo + i] += (uint64_t)k->c[i];
		dst->count += (uint64_t)k->c[i];
	}
	if (k->lo < dst->lo)
		dst->lo = k->lo;
	if (k->lo + k->n - 1 > dst->hi)
		dst->hi = k->lo + k->n - 1;
}

/* ---- series state ---- */

static struct sstate *
state_of(struct sloeng *e, int64_t id)
{
	struct sstate *s;

	if (id < 1)
		return NULL;
	if ((size_t)id > e->nidx) {
		size_t n = e->nidx ? e->nidx : 256;

		while (n < (size_t)id)
			n *= 2;
		e->idx = xreallocarray(e->idx, n, sizeof(*e->idx));
		memset(e->idx + e->nidx, 0, (n - e->nidx) * sizeof(*e->idx));
		e->nidx = n;
	}
	if (e->idx[id - 1] != 0)
		return &e->ser[e->idx[id - 1] - 1];
	if (e->nser == e->aser) {
		e->aser = e->aser ? 2 * e->aser : 256;
		e->ser = xreallocarray(e->ser, e->aser, sizeof(*e->ser));
	}
	s = &e->ser[e->nser++];
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->s = store_series_get(e->st, id);
	s->sums = xcalloc(e->nw * e->stride, sizeof(*s->sums));
	s->sk = xcalloc(e->nsk + 1, sizeof(*s->sk));
	e->idx[id - 1] = e->nser;
	return s;
}

static void
states_free(struct sloeng *e)
{
	for (size_t i = 0; i < e->nser; i++) {
		free(e->ser[i].sums);
		for (size_t k = 0; k < e->nsk; k++)
			free(e->ser[i].sk[k].c);
		free(e->ser[i].sk);
	}
	free(e->ser);
	free(e->idx);
	e->ser = NULL;
	e->idx = NULL;
	e->nser = e->aser = e->nidx = 0;
}

/* Add (sign 1) or take out (-1) a contribution to window w of s. */
static int
apply(struct sloeng *e, struct sstate *s, size_t w, const struct contrib *c,
    int sign)
{
	int64_t *sum = s->sums + w * e->stride;

	for (size_t i = 0; i < e->stride; i++)
		sum[i] += sign * c->v[i];
	if (e->w[w].sk >= 0 && ssk_apply(&s->sk[e->w[w].sk], c->sketch,
	    c->sketch_len, sign) < 0) {
		snprintf(e->err, e->errlen, "SLO engine: malformed latency sketch "
		    "(series %lld)", (long long)c->series);
		e->bad = true;
		return -1;
	}
	return 0;
}

/* ---- contributions ---- */

/* From a rollup row: thresholds exact where the row counted them. */
static int
contrib_row(struct sloeng *e, const struct rollup_row *r, struct contrib *c)
{
	memset(c, 0, sizeof(*c));
	c->series = r->series;
	c->bucket = r->bucket;
	c->v[S_TOTAL] = r->total;
	c->v[S_GOOD] = r->good;
	c->v[S_INCONC] = r->inconclusive;
	for (int k = 0; k < CACHE_NSTATUS; k++) {
		if (cache_status_is_hit((enum cache_status)k))
			c->v[S_HITS] += r->cache[k];
		if (cache_status_is_lookup((enum cache_status)k))
			c->v[S_LOOKUPS] += r->cache[k];
	}
	for (size_t t = 0; t < e->nthr; t++) {
		bool exact;
		int64_t n = store_row_good_le(r, e->thr[t], e->thr_from[t], &exact);

		if (n < 0) {
			snprintf(e->err, e->errlen, "SLO engine: malformed rollup row "
			    "(series %lld, bucket %lld)", (long long)r->series,
			    (long long)r->bucket);
			e->bad = true;
			return -1;
		}
		c->v[S_FIXED + t] = n;
	}
	c->sketch = (unsigned char *)(uintptr_t)r->sketch;
	c->sketch_len = r->good > 0 ? r->sketch_len : 0;
	return 0;
}

/* The store's delta hook: copy (the write lock is held; be quick). */
static void
on_deltas(void *arg, const struct rollup_delta *d, size_t n)
{
	struct sloeng *e = arg;

	pthread_mutex_lock(&e->qmu);
	for (size_t i = 0; i < n && !e->overflow; i++) {
		struct contrib *c;

		if (e->nq >= QUEUE_MAX) {
			/* the engine fell far behind: read everything again */
			e->overflow = true;
			break;
		}
		if (e->nq == e->aq) {
			e->aq = e->aq ? 2 * e->aq : 1024;
			e->q = xreallocarray(e->q, e->aq, sizeof(*e->q));
		}
		c = &e->q[e->nq++];
		memset(c, 0, sizeof(*c));
		c->series = d[i].series;
		c->bucket = d[i].bucket;
		c->v[S_TOTAL] = d[i].total;
		c->v[S_GOOD] = d[i].good;
		c->v[S_INCONC] = d[i].inconclusive;
		for (int k = 0; k < CACHE_NSTATUS; k++) {
			if (cache_status_is_hit((enum cache_status)k))
				c->v[S_HITS] += d[i].cache[k];
			if (cache_status_is_lookup((enum cache_status)k))
				c->v[S_LOOKUPS] += d[i].cache[k];
		}
		/* thresholds: the store counted its own list; ours is a subset
		 * (same SLOs), mapped when applied. Keep the raw counts here. */
		for (size_t t = 0; t < e->nthr; t++) {
			int64_t v = -1;

			for (size_t k = 0; k < d[i].nthr; k++)
				if (d[i].thr_us[k] == e->thr[t])
					v = d[i].thr_le[k];
			c->v[S_FIXED + t] = v;
		}
		if (d[i].sketch_len > 0) {
			c->sketch = xmalloc(d[i].sketch_len);
			memcpy(c->sketch, d[i].sketch, d[i].sketch_len);
			c->sketch_len = d[i].sketch_len;
		}
	}
	pthread_mutex_unlock(&e->qmu);
}

/* A queued delta's thresholds: exact where the minute is on or after the
 * threshold's exact_from and the store counted it, else from the sketch
 * (as a rollup row of that minute would say). */
static int
contrib_settle(struct sloeng *e, struct contrib *c)
{
	for (size_t t = 0; t < e->nthr; t++) {
		int64_t *v = &c->v[S_FIXED + t];

		if (c->bucket >= e->thr_from[t] && *v >= 0)
			continue;
		if (c->v[S_GOOD] == 0 || c->sketch == NULL)
			*v = 0;
		else if ((*v = sketch_encoded_count_le(c->sketch, c->sketch_len,
		    (double)e->thr[t])) < 0) {
			snprintf(e->err, e->errlen, "SLO engine: malformed delta sketch");
			e->bad = true;
			return -1;
		}
	}
	return 0;
}

static void
contribs_free(struct contrib *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].sketch);
	free(v);
}

/* ---- reading rows ---- */

/* Rows of every series, into one window (or the future list). */
struct scan {
	struct sloeng	*e;
	size_t		 w;
	int		 sign;
	bool		 future;	/* into e->fut instead */
};

static int
scan_row(const struct rollup_row *r, void *arg)
{
	struct scan *sc = arg;
	struct sloeng *e = sc->e;
	struct contrib c;

	e->rows++;
	if (contrib_row(e, r, &c) < 0)
		return 1;
	if (sc->future) {
		struct contrib *f;

		if (e->nfut == e->afut) {
			e->afut = e->afut ? 2 * e->afut : 64;
			e->fut = xreallocarray(e->fut, e->afut, sizeof(*e->fut));
		}
		f = &e->fut[e->nfut++];
		*f = c;
		f->sketch = NULL;
		if (c.sketch_len > 0) {
			f->sketch = xmalloc(c.sketch_len);
			memcpy(f->sketch, c.sketch, c.sketch_len);
		}
		return 0;
	}
	return apply(e, state_of(e, r->series), sc->w, &c, sc->sign) < 0;
}

/* The pieces of [from, to) (from on a minute): minutes to the first whole
 * hour, hours to the first whole day, whole days, hours, minutes. */
static size_t
split(int64_t from, int64_t to, enum store_tier tier[5], int64_t a[5], int64_t b[5])
{
	int64_t h0 = ceil_to(from, HOUR_MS), h1 = floor_to(to, HOUR_MS);
	int64_t d0 = ceil_to(from, DAY_MS), d1 = floor_to(to, DAY_MS);
	size_t n = 0;

#define PIECE(t, x, y) do { if ((x) < (y)) { tier[n] = (t); a[n] = (x); \
	b[n] = (y); n++; } } while (0)
	if (to <= from)
		return 0;
	if (h0 >= h1) {
		PIECE(STORE_1M, from, to);
		return n;
	}
	if (d0 >= d1)
		d0 = d1 = h1;
	PIECE(STORE_1M, from, h0);
	PIECE(STORE_1H, h0, d0);
	PIECE(STORE_1D, d0, d1);
	PIECE(STORE_1H, d1, h1);
	PIECE(STORE_1M, h1, to);
#undef PIECE
	return n;
}

/* Add (sign 1) or take out (-1) every series' rows in [from, to) to
 * window w: one key range per piece. */
static int
scan_range(struct sloeng *e, struct store_conn *c, size_t w, int64_t from,
    int64_t to, int sign)
{
	enum store_tier tier[5];
	int64_t a[5], b[5];
	size_t n = split(from, to, tier, a, b);
	struct scan sc = { e, w, sign, false };

	for (size_t i = 0; i < n; i++)
		if (store_rollup_scan_all(e->st, c, tier[i], a[i], b[i], scan_row, &sc,
		    e->err, e->errlen) < 0 || e->bad)
			return -1;
	return 0;
}

/* ---- the snapshot mark ---- */

/* Called by store_read_begin with the write lock held: the deltas queued
 * so far are exactly those the read snapshot holds. */
static void
mark(void *arg)
{
	struct sloeng *e = arg;
	int64_t *ids;

	pthread_mutex_lock(&e->qmu);
	contribs_free(e->taken, e->ntaken);
	e->taken = e->q;
	e->ntaken = e->nq;
	e->q = NULL;
	e->nq = e->aq = 0;
	pthread_mutex_unlock(&e->qmu);
	free(e->snap_ids);
	e->nsnap = store_series_match(e->st, NULL, &ids);
	e->snap_ids = ids;
}

/* ---- evaluation ---- */

static int
cold(struct sloeng *e, struct store_conn *c, int64_t now, volatile int *stop)
{
	struct scan fut = { e, 0, 1, true };

	states_free(e);
	contribs_free(e->fut, e->nfut);
	e->fut = NULL;
	e->nfut = e->afut = 0;
	/* every series the snapshot knows, with or without rows */
	for (size_t i = 0; i < e->nsnap; i++)
		state_of(e, e->snap_ids[i]);
	for (size_t w = 0; w < e->nw; w++) {
		e->w[w].from = sloeng_window_start(now, e->w[w].ms);
		if (stop && *stop) {
			snprintf(e->err, e->errlen, "stopped");
			return -1;
		}
		if (scan_range(e, c, w, e->w[w].from, now, 1) < 0)
			return -1;
	}
	/* minutes after now (results a little ahead of our clock) */
	if (store_rollup_scan_all(e->st, c, STORE_1M, now, now + FUTURE_MS,
	    scan_row, &fut, e->err, e->errlen) < 0 || e->bad)
		return -1;
	/* what ingest committed before the snapshot is in the rows read */
	contribs_free(e->taken, e->ntaken);
	e->taken = NULL;
	e->ntaken = 0;
	return 0;
}

/* One row of the minutes leaving the windows (read in one statement):
 * out of every batched window whose start passed it. */
struct leaving {
	struct sloeng	*e;
	const int64_t	*from;		/* each window's new start */
	const bool	*batched;
};

static int
leave_row(const struct rollup_row *r, void *arg)
{
	struct leaving *lv = arg;
	struct sloeng *e = lv->e;
	struct contrib c;

	e->rows++;
	if (contrib_row(e, r, &c) < 0)
		return 1;
	for (size_t w = 0; w < e->nw; w++)
		if (lv->batched[w] && r->bucket >= e->w[w].from &&
		    r->bucket < lv->from[w] &&
		    apply(e, state_of(e, r->series), w, &c, -1) < 0)
			return 1;
	return 0;
}

/* The start moves, window by window, range by range (more than 64
 * windows). */
static int
leave_each(struct sloeng *e, struct store_conn *c, int64_t now,
    volatile int *stop)
{
	for (size_t w = 0; w < e->nw; w++) {
		int64_t from = sloeng_window_start(now, e->w[w].ms);

		if (stop && *stop) {
			snprintf(e->err, e->errlen, "stopped");
			return -1;
		}
		if (from > e->w[w].from && scan_range(e, c, w, e->w[w].from, from,
		    -1) < 0)
			return -1;
		e->w[w].from = from;
	}
	return 0;
}

static int
warm(struct sloeng *e, struct store_conn *c, int64_t now, volatile int *stop)
{
	size_t keep = 0;

	/* 1. what ingest committed since the last evaluation */
	for (size_t i = 0; i < e->ntaken; i++) {
		struct contrib *d = &e->taken[i];
		struct sstate *s;

		e->deltas++;
		if (contrib_settle(e, d) < 0)
			return -1;
		if (d->bucket >= e->last_now) {
			/* past the last window end: held until the end passes */
			if (e->nfut == e->afut) {
				e->afut = e->afut ? 2 * e->afut : 64;
				e->fut = xreallocarray(e->fut, e->afut, sizeof(*e->fut));
			}
			e->fut[e->nfut++] = *d;
			d->sketch = NULL;
			continue;
		}
		s = state_of(e, d->series);
		for (size_t w = 0; w < e->nw; w++)
			if (d->bucket >= e->w[w].from && apply(e, s, w, d, 1) < 0)
				return -1;
	}
	contribs_free(e->taken, e->ntaken);
	e->taken = NULL;
	e->ntaken = 0;
	/* 2. the end moves to now: minutes it passed join every window */
	for (size_t i = 0; i < e->nfut; i++) {
		struct contrib *f = &e->fut[i];

		if (f->bucket >= now) {
			e->fut[keep++] = *f;
			continue;
		}
		for (size_t w = 0; w < e->nw; w++)
			if (f->bucket >= e->w[w].from &&
			    apply(e, state_of(e, f->series), w, f, 1) < 0)
				return -1;
		free(f->sketch);
	}
	e->nfut = keep;
	/* 3. the start moves: the minutes (hours) it passed leave, as the
	 * snapshot has them now. The minutes leaving the minute-aligned
	 * windows (usually one each) are read together, in one statement;
	 * anything else range by range. */
	{
		int64_t leave[STORE_SCAN_BUCKETS], from[64];
		size_t nleave = 0;
		bool batched[64], any = false;

		if (e->nw > 64)
			return leave_each(e, c, now, stop);
		for (size_t w = 0; w < e->nw; w++) {
			from[w] = sloeng_window_start(now, e->w[w].ms);
			batched[w] = false;
			if (from[w] <= e->w[w].from)
				continue;
			any = true;
			if (e->w[w].ms > 3 * DAY_MS + HOUR_MS)
				continue;
			for (int64_t b = e->w[w].from; b < from[w] && nleave <
			    STORE_SCAN_BUCKETS; b += MIN_MS) {
				bool have = false;

				for (size_t k = 0; k < nleave; k++)
					have |= leave[k] == b;
				if (!have)
					leave[nleave++] = b;
			}
			batched[w] = nleave < STORE_SCAN_BUCKETS;
		}
		if (!any)
			return 0;
		if (stop && *stop) {
			snprintf(e->err, e->errlen, "stopped");
			return -1;
		}
		{
			struct leaving lv = { e, from, batched };

			if (store_rollup_scan_buckets(e->st, c, STORE_1M, leave, nleave,
			    leave_row, &lv, e->err, e->errlen) < 0 || e->bad)
				return -1;
		}
		for (size_t w = 0; w < e->nw; w++)
			if (!batched[w] && from[w] > e->w[w].from &&
			    scan_range(e, c, w, e->w[w].from, from[w], -1) < 0)
				return -1;
		for (size_t w = 0; w < e->nw; w++)
			if (from[w] > e->w[w].from)
				e->w[w].from = from[w];
	}
	return 0;
}

/* ---- results ---- */

static void
latency_of(struct sketch *sk, struct slo_latency *l)
{
	l->count = (int64_t)sk->count;
	if (sk->count == 0)
		return;
	l->p50_ms = sketch_quantile(sk, 0.50) / 1000.0;
	l->p90_ms = sketch_quantile(sk, 0.90) / 1000.0;
	l->p95_ms = sketch_quantile(sk, 0.95) / 1000.0;
	l->p99_ms = sketch_quantile(sk, 0.99) / 1000.0;
}

/* Index of the good count of slo in a window's sums. */
static size_t
good_slot(const struct sloeng *e, const struct slo_config *slo)
{
	if (slo->sli == SLI_LATENCY)
		for (size_t t = 0; t < e->nthr; t++)
			if (e->thr[t] == slo->threshold_us)
				return S_FIXED + t;
	return S_GOOD;
}

/* Sum the series selected by mask (per series: in this group or not) into
 * n, with per-window good/total into xg/xt (NULL: not wanted). */
static void
numbers(struct sloeng *e, size_t si, const bool *mask, struct slo_numbers *n,
    int64_t *xg, int64_t *xt, struct sketch *tmp)
{
	const struct slo_config *slo = &e->slos[si];
	size_t g = good_slot(e, slo), sw = (size_t)e->slo_w[si];
	int sk = e->w[sw].sk;

	memset(n, 0, sizeof(*n));
	sketch_free(tmp);
	for (size_t i = 0; i < e->nser; i++) {
		const struct sstate *s = &e->ser[i];
		const int64_t *sum;

		if (!mask[i])
			continue;
		sum = s->sums + sw * e->stride;
		n->good += sum[g];
		n->total += sum[S_TOTAL];
		n->inconclusive += sum[S_INCONC];
		for (int k = 0; k < SLOENG_NWINDOWS; k++) {
			sum = s->sums + (size_t)e->std[k] * e->stride;
			n->wgood[k] += sum[g];
			n->wtotal[k] += sum[S_TOTAL];
		}
		for (size_t w = 0; xg && w < e->nw; w++) {
			sum = s->sums + w * e->stride;
			xg[w] += sum[g];
			xt[w] += sum[S_TOTAL];
		}
		if (sk >= 0)
			ssk_into(&s->sk[sk], tmp);
	}
	n->burn_window = slo_burn_rate(slo->objective, n->good, n->total);
	for (int k = 0; k < SLOENG_NWINDOWS; k++)
		n->burn[k] = slo_burn_rate(slo->objective, n->wgood[k], n->wtotal[k]);
	latency_of(tmp, &n->latency);
}

static const char *
dim_label(const struct store_series *s, int d)
{
	const char *v = d == SLO_BY_REGION ? s->region : d == SLO_BY_LAYER ?
	    s->layer : s->provider;

	return v ? v : "";
}

static int
cmp_group(const void *a, const void *b)
{
	return strcmp(((const struct slo_group *)a)->key,
	    ((const struct slo_group *)b)->key);
}

static void
result_of(struct sloeng *e, size_t si, int64_t now, struct slo_result *r,
    struct sketch *tmp)
{
	const struct slo_config *slo = &e->slos[si];
	bool *in = xcalloc(e->nser + 1, sizeof(*in));
	bool *mask = xcalloc(e->nser + 1, sizeof(*mask));

	r->conf = *slo;
	r->conf.name = xstrdup(slo->name);
	selector_copy(&r->conf.sel, &slo->sel);
	r->evaluated_at = now;
	r->window_from = e->w[e->slo_w[si]].from;
	r->xgood = xcalloc(e->nw, sizeof(*r->xgood));
	r->xtotal = xcalloc(e->nw, sizeof(*r->xtotal));
	for (size_t i = 0; i < e->nser; i++) {
		const struct store_series *s = e->ser[i].s;

		in[i] = s != NULL && selector_match(&slo->sel, s->service, s->layer,
		    s->provider, s->region, s->check);
	}
	numbers(e, si, in, &r->n, r->xgood, r->xtotal, tmp);
	r->approximate_before = INT64_MIN;
	if (slo->sli == SLI_LATENCY) {
		for (size_t t = 0; t < e->nthr; t++)
			if (e->thr[t] == slo->threshold_us &&
			    e->thr_from[t] > r->window_from)
				r->approximate_before = e->thr_from[t];
	}
	for (int a = 0; a < SLOENG_NALERTS; a++) {
		const struct sloeng_alert *al = &sloeng_alerts[a];
		struct slo_alert_state *x = &r->alerts[a];
		int64_t fl = slo_failures_to_trigger(slo->objective, al->factor,
		    r->n.wgood[al->long_w], r->n.wtotal[al->long_w]);
		int64_t fs = slo_failures_to_trigger(slo->objective, al->factor,
		    r->n.wgood[al->short_w], r->n.wtotal[al->short_w]);

		x->burn_long = r->n.burn[al->long_w];
		x->burn_short = r->n.burn[al->short_w];
		x->firing = x->burn_long > al->factor && x->burn_short > al->factor;
		x->failures_to_trigger = fl < 0 || fs < 0 ? -1 : fl > fs ? fl : fs;
	}
	/* breakdowns: every series of the SLO in exactly one group, so each
	 * list sums to the whole */
	for (int d = 0; d < SLO_NDIMS; d++) {
		size_t ng = 0;

		r->by[d] = xcalloc(e->nser + 1, sizeof(*r->by[d]));
		for (size_t i = 0; i < e->nser; i++) {
			const char *key;
			bool seen = false;

			if (!in[i])
				continue;
			key = dim_label(e->ser[i].s, d);
			for (size_t k = 0; k < ng && !seen; k++)
				seen = strcmp(r->by[d][k].key, key) == 0;
			if (seen)
				continue;
			for (size_t j = 0; j < e->nser; j++)
				mask[j] = in[j] && strcmp(dim_label(e->ser[j].s, d), key) == 0;
			numbers(e, si, mask, &r->by[d][ng].n, NULL, NULL, tmp);
			/* a group with nothing in the window is not shown */
			if (r->by[d][ng].n.total == 0 && r->by[d][ng].n.inconclusive == 0)
				continue;
			r->by[d][ng].key = xstrdup(key);
			ng++;
		}
		qsort(r->by[d], ng, sizeof(*r->by[d]), cmp_group);
		r->nby[d] = ng;
	}
	free(in);
	free(mask);
}

static int
cmp_check(const void *pa, const void *pb)
{
	const struct check_ratio *a = pa, *b = pb;
	int r = strcmp(a->check, b->check);

	return r ? r : strcmp(a->region, b->region);
}

/* Per check x region over the 5-minute window. */
static void
check_ratios(struct sloeng *e, struct slo_eval *ev)
{
	size_t w = (size_t)e->std[0], n = 0;
	struct check_ratio *v = xcalloc(e->nser + 1, sizeof(*v));

	for (size_t i = 0; i < e->nser; i++) {
		const struct store_series *s = e->ser[i].s;
		const int64_t *sum = e->ser[i].sums + w * e->stride;
		const char *region;
		size_t k;

		if (s == NULL || sum[S_TOTAL] + sum[S_LOOKUPS] == 0)
			continue;
		region = s->region ? s->region : "";
		for (k = 0; k < n; k++)
			if (strcmp(v[k].check, s->check) == 0 &&
			    strcmp(v[k].region, region) == 0)
				break;
		if (k == n) {
			v[n].check = xstrdup(s->check);
			v[n].region = xstrdup(region);
			n++;
		}
		v[k].total += sum[S_TOTAL];
		v[k].good += sum[S_GOOD];
		v[k].hits += sum[S_HITS];
		v[k].lookups += sum[S_LOOKUPS];
	}
	qsort(v, n, sizeof(*v), cmp_check);
	ev->checks = v;
	ev->nchecks = n;
}

int
sloeng_evaluate(struct sloeng *e, int64_t now, volatile int *stop,
    struct slo_eval **out, char *err, size_t errlen)
{
	struct store_conn *c;
	struct slo_eval *ev;
	struct sketch tmp;
	bool was_cold;
	int rc;

	*out = NULL;
	e->err = err;
	e->errlen = errlen;
	e->bad = false;
	e->rows = e->deltas = 0;
	for (size_t t = 0; t < e->nthr; t++) {
		int64_t f = store_threshold_exact_from(e->st, e->thr[t]);

		if (f != e->thr_from[t])
			e->warm = false;	/* the threshold changed under us */
		e->thr_from[t] = f;
	}
	c = store_conn_get(e->st);
	store_conn_watch(c, stop);
	if (store_read_begin(e->st, c, mark, e, err, errlen) < 0) {
		store_conn_put(e->st, c);
		return -1;
	}
	pthread_mutex_lock(&e->qmu);
	if (e->overflow) {
		e->warm = false;
		e->overflow = false;
	}
	pthread_mutex_unlock(&e->qmu);
	if (now < e->last_now)
		e->warm = false;	/* the clock went back */
	was_cold = !(e->hook && e->warm);
	rc = was_cold ? cold(e, c, now, stop) : warm(e, c, now, stop);
	store_read_end(e->st, c);
	store_conn_put(e->st, c);
	if (rc < 0) {
		e->warm = false;	/* start over next time */
		return -1;
	}
	e->warm = true;
	e->last_now = now;
	ev = xcalloc(1, sizeof(*ev));
	ev->evaluated_at = now;
	ev->cold = was_cold;
	ev->rows_read = e->rows;
	ev->deltas_applied = e->deltas;
	ev->nwindows = e->nw;
	ev->windows = xcalloc(e->nw + 1, sizeof(*ev->windows));
	for (size_t w = 0; w < e->nw; w++)
		ev->windows[w] = e->w[w].ms;
	ev->slos = xcalloc(e->nslos + 1, sizeof(*ev->slos));
	ev->nslos = e->nslos;
	sketch_init(&tmp);
	for (size_t i = 0; i < e->nslos; i++)
		result_of(e, i, now, &ev->slos[i], &tmp);
	sketch_free(&tmp);
	check_ratios(e, ev);
	ev->finished_at = time_now_ms();
	*out = ev;
	return 0;
}

/* ---- setup ---- */

static int
add_window(struct sloeng *e, int64_t ms, bool sketch)
{
	for (size_t w = 0; w < e->nw; w++)
		if (e->w[w].ms == ms) {
			if (sketch && e->w[w].sk < 0)
				e->w[w].sk = (int)e->nsk++;
			return (int)w;
		}
	e->w = xreallocarray(e->w, e->nw + 1, sizeof(*e->w));
	e->w[e->nw].ms = ms;
	e->w[e->nw].from = 0;
	e->w[e->nw].sk = sketch ? (int)e->nsk++ : -1;
	return (int)e->nw++;
}

struct sloeng *
sloeng_new(struct store *st, const struct sloeng_conf *conf, bool hook)
{
	struct sloeng *e = xcalloc(1, sizeof(*e));

	e->st = st;
	e->hook = hook;
	pthread_mutex_init(&e->qmu, NULL);
	e->slos = xcalloc(conf->nslos + 1, sizeof(*e->slos));
	e->slo_w = xcalloc(conf->nslos + 1, sizeof(*e->slo_w));
	e->nslos = conf->nslos;
	for (int k = 0; k < SLOENG_NWINDOWS; k++)
		e->std[k] = add_window(e, sloeng_windows[k].ms, false);
	for (size_t i = 0; i < conf->nslos; i++) {
		const struct slo_config *s = &conf->slos[i];
		bool known = false;

		e->slos[i] = *s;
		e->slos[i].name = xstrdup(s->name);
		selector_copy(&e->slos[i].sel, &s->sel);
		e->slo_w[i] = add_window(e, s->window_ms, true);
		if (s->sli != SLI_LATENCY)
			continue;
		for (size_t t = 0; t < e->nthr; t++)
			known |= e->thr[t] == s->threshold_us;
		if (!known && e->nthr < STORE_MAX_THRESHOLDS)
			e->thr[e->nthr++] = s->threshold_us;
	}
	for (size_t i = 0; i < conf->nextra; i++)
		add_window(e, conf->extra_windows[i], false);
	e->stride = S_FIXED + e->nthr;
	for (size_t t = 0; t < e->nthr; t++)
		e->thr_from[t] = store_threshold_exact_from(st, e->thr[t]);
	if (hook)
		store_set_delta_hook(st, on_deltas, e);
	return e;
}

void
sloeng_invalidate(struct sloeng *e)
{
	e->warm = false;
}

void
sloeng_free(struct sloeng *e)
{
	if (e == NULL)
		return;
	if (e->hook)
		store_set_delta_hook(e->st, NULL, NULL);
	states_free(e);
	contribs_free(e->q, e->nq);
	contribs_free(e->taken, e->ntaken);
	contribs_free(e->fut, e->nfut);
	for (size_t i = 0; i < e->nslos; i++) {
		free(e->slos[i].name);
		selector_clear(&e->slos[i].sel);
	}
	free(e->slos);
	free(e->slo_w);
	free(e->w);
	free(e->snap_ids);
	pthread_mutex_destroy(&e->qmu);
	free(e);
}

void
slo_eval_free(struct slo_eval *ev)
{
	if (ev == NULL)
		return;
	for (size_t i = 0; i < ev->nslos; i++) {
		struct slo_result *r = &ev->slos[i];

		free(r->conf.name);
		selector_clear(&r->conf.sel);
		for (int d = 0; d < SLO_NDIMS; d++) {
			for (size_t k = 0; k < r->nby[d]; k++)
				free(r->by[d][k].key);
			free(r->by[d]);
		}
		free(r->xgood);
		free(r->xtotal);
	}
	free(ev->slos);
	for (size_t i = 0; i < ev->nchecks; i++) {
		free(ev->checks[i].check);
		free(ev->checks[i].region);
	}
	free(ev->checks);
	free(ev->windows);
	free(ev);
}

const struct slo_result *
slo_eval_find(const struct slo_eval *ev, const char *name)
{
	for (size_t i = 0; ev && name && i < ev->nslos; i++)
		if (strcmp(ev->slos[i].conf.name, name) == 0)
			return &ev->slos[i];
	return NULL;
}

int
slo_eval_window(const struct slo_eval *ev, const struct slo_result *r,
    int64_t window_ms, int64_t *good, int64_t *total)
{
	for (size_t w = 0; w < ev->nwindows; w++)
		if (ev->windows[w] == window_ms) {
			*good = r->xgood[w];
			*total = r->xtotal[w];
			return 0;
		}
	return -1;
}
