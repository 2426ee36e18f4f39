/* imetrics: counters and histograms for the collector's /metrics. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imetrics.h"
#include "promtext.h"
#include "xmalloc.h"

const double imetrics_bounds[IMETRICS_NBOUNDS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
};

struct series {
	char		*check, *region, *service, *layer;
	int64_t		 by_class[ERRCLASS_COUNT];	/* [0]: ok */
	int64_t		 inconclusive;
	int64_t		 cache[CACHE_NSTATUS];	/* results per cache status */
	bool		 has_cache;
	int64_t		 hist[IMETRICS_NBOUNDS + 1];	/* ok and failed runs */
	double		 sum_s;
	int64_t		 count;
	struct series	*next;
};

#define NBUCKETS 1024

struct ingest_metrics {
	pthread_mutex_t	 mu;
	struct series	*tab[NBUCKETS];
	struct series	**order;	/* insertion order for stable output */
	size_t		 n, alloc;
};

static unsigned
hash2(const char *a, const char *b)
{
	unsigned h = 2166136261u;

	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (; *b; b++)
		h = (h ^ (unsigned char)*b) * 16777619u;
	return h % NBUCKETS;
}

struct ingest_metrics *
imetrics_new(void)
{
	struct ingest_metrics *im = xcalloc(1, sizeof(*im));

	pthread_mutex_init(&im->mu, NULL);
	return im;
}

/* The series of check x region, made if new; im->mu held. */
static struct series *
series_get(struct ingest_metrics *im, const char *check, const char *region,
    const char *service, const char *layer)
{
	const char *rg = region ? region : "";
	unsigned h = hash2(check, rg);
	struct series *x;

	for (x = im->tab[h]; x; x = x->next)
		if (strcmp(x->check, check) == 0 && strcmp(x->region, rg) == 0)
			break;
	if (x == NULL) {
		x = xcalloc(1, sizeof(*x));
		x->check = xstrdup(check);
		x->region = xstrdup(rg);
		x->service = xstrdup(service ? service : "");
		x->layer = xstrdup(layer ? layer : "");
		x->next = im->tab[h];
		im->tab[h] = x;
		if (im->n == im->alloc) {
			im->alloc = im->alloc ? im->alloc * 2 : 64;
			im->order = xreallocarray(im->order, im->alloc, sizeof(*im->order));
		}
		im->order[im->n++] = x;
	}
	return x;
}

void
imetrics_add(struct ingest_metrics *im, const char *check, const char *region,
    const char *service, const char *layer, bool ok, enum errclass ec,
    int64_t total_us)
{
	double s = (double)total_us / 1e6;
	struct series *x;
	int b = 0;

	pthread_mutex_lock(&im->mu);
	x = series_get(im, check, region, service, layer);
	x->by_class[ok ? ERRCLASS_NONE : ec]++;
	while (b < IMETRICS_NBOUNDS && s > imetrics_bounds[b])
		b++;
	x->hist[b]++;
	x->sum_s += s;
	x->count++;
	pthread_mutex_unlock(&im->mu);
}

void
imetrics_add_inconclusive(struct ingest_metrics *im, const char *check,
    const char *region, const char *service, const char *layer)
{
	pthread_mutex_lock(&im->mu);
	series_get(im, check, region, service, layer)->inconclusive++;
	pthread_mutex_unlock(&im->mu);
}

void
imetrics_add_cache(struct ingest_metrics *im, const char *check, const char *region,
    const char *service, const char *layer, enum cache_status cs)
{
	struct series *x;

	if ((unsigned)cs >= CACHE_NSTATUS)
		return;
	pthread_mutex_lock(&im->mu);
	x = series_get(im, check, region, service, layer);
	x->cache[cs]++;
	x->has_cache = true;
	pthread_mutex_unlock(&im->mu);
}

static void
labels(struct buf *out, const struct series *x)
{
	promtext_label(out, "check", x->check, true);
	promtext_label(out, "region", x->region, false);
	promtext_label(out, "service", x->service, false);
	promtext_label(out, "layer", x->layer, false);
}

void
imetrics_write(struct ingest_metrics *im, struct buf *out)
{
	pthread_mutex_lock(&im->mu);
	promtext_help(out, "vantage_check_results_total", "counter",
	    "Results ingested since the collector started, by outcome.");
	for (size_t i = 0; i < im->n; i++) {
		const struct series *x = im->order[i];
		for (int c = 0; c < ERRCLASS_COUNT; c++) {
			if (c != ERRCLASS_NONE && x->by_class[c] == 0)
				continue;
			buf_printf(out, "vantage_check_results_total{");
			labels(out, x);
			promtext_label(out, "result", c == ERRCLASS_NONE ? "ok" :
			    errclass_name((enum errclass)c), false);
			buf_printf(out, "} %lld\n", (long long)x->by_class[c]);
		}
		if (x->inconclusive > 0) {
			buf_printf(out, "vantage_check_results_total{");
			labels(out, x);
			promtext_label(out, "result", "inconclusive", false);
			buf_printf(out, "} %lld\n", (long long)x->inconclusive);
		}
	}
	promtext_help(out, "vantage_check_cache_results_total", "counter",
	    "HTTP results ingested since the collector started, by the CDN cache "
	    "status they revealed.");
	for (size_t i = 0; i < im->n; i++) {
		const struct series *x = im->order[i];
		for (int c = 0; x->has_cache && c < CACHE_NSTATUS; c++) {
			buf_printf(out, "vantage_check_cache_results_total{");
			labels(out, x);
			promtext_label(out, "cache", cache_status_name((enum cache_status)c),
			    false);
			buf_printf(out, "} %lld\n", (long long)x->cache[c]);
		}
	}
	promtext_help(out, "vantage_check_duration_seconds", "histogram",
	    "Total duration of the runs ingested since the collector started.");
	for (size_t i = 0; i < im->n; i++) {
		const struct series *x = im->order[i];
		int64_t cum = 0;

		for (int b = 0; b <= IMETRICS_NBOUNDS; b++) {
			char le[32];

			cum += x->hist[b];
			if (b < IMETRICS_NBOUNDS)
				snprintf(le, sizeof(le), "%g", imetrics_bounds[b]);
			else
				snprintf(le, sizeof(le), "+Inf");
			buf_printf(out, "vantage_check_duration_seconds_bucket{");
			labels(out, x);
			promtext_label(out, "le", le, false);
			buf_printf(out, "} %lld\n", (long long)cum);
		}
		buf_printf(out, "vantage_check_duration_seconds_sum{");
		labels(out, x);
		buf_printf(out, "} %.6f\n", x->sum_s);
		buf_printf(out, "vantage_check_duration_seconds_count{");
		labels(out, x);
		buf_printf(out, "} %lld\n", (long long)x->count);
	}
	pthread_mutex_unlock(&im->mu);
}

void
imetrics_free(struct ingest_metrics *im)
{
	if (im == NULL)
		return;
	for (size_t i = 0; i < im->n; i++) {
		free(im->order[i]->check);
		free(im->order[i]->region);
		free(im->order[i]->service);
		free(im->order[i]->layer);
		free(im->order[i]);
	}
	free(im->order);
	pthread_mutex_destroy(&im->mu);
	free(im);
}
