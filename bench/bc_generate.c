/* bc_generate: the 30-day DB (bench/README.md, "How the 30-day data is
 * generated"), and runs stored through store_ingest as agents send them.
 *
 * 200 checks x 5 regions every 30 s for 30 days is 86.4 M results: far
 * too many to push through store_ingest in a benchmark's time, and more
 * raw rows than retention keeps. So the rollups of all but the last hour
 * are computed here and bulk-loaded (store_bulk_*) with exactly what
 * store_ingest would have written (counts, per-class failures, phase sums,
 * the sketch of the passed runs, the threshold counts), and the last hour
 * goes through store_ingest. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "bc.h"
#include "collconf.h"
#include "record.h"
#include "sketch.h"
#include "store.h"
#include "thr.h"
#include "timeutil.h"
#include "xmalloc.h"

#define BATCH	500

/* ---- runs through store_ingest ---- */

struct run {
	int64_t	ts;
	int	ci;
};

static int
cmp_run(const void *a, const void *b)
{
	const struct run *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->ci - y->ci;
}

/* Parse and store n records of JSON text recs[] as agent/region. */
static void
ingest_batch(struct store *st, const char *agent, const char *region,
    char **text, size_t n, int64_t left, int64_t *stored)
{
	struct record recs[BATCH];
	json_t *js[BATCH];
	bool ok[BATCH];
	struct agent_report rep;
	char err[512];
	int rc;

	for (size_t i = 0; i < n; i++) {
		json_error_t je;

		if ((js[i] = json_loads(text[i], 0, &je)) == NULL)
			bc_die("generated record: %s", je.text);
		if (record_parse(js[i], agent, region, INT64_MAX, &recs[i], err,
		    sizeof(err)) < 0)
			bc_die("generated record refused: %s", err);
	}
	memset(&rep, 0, sizeof(rep));
	rep.id = agent;
	rep.region = region;
	rep.provider = "bench-cloud";
	rep.version = PACKAGE_VERSION;
	rep.outbox_depth = left;
	for (int attempt = 0; (rc = store_ingest(st, &rep, recs, n, ok, 5000, err,
	    sizeof(err))) == -2 && attempt < 10; attempt++)
		;
	if (rc < 0)
		bc_die("store_ingest: %s", err);
	for (size_t i = 0; i < n; i++) {
		if (ok[i] && stored)
			(*stored)++;
		record_clear(&recs[i]);
		json_decref(js[i]);
	}
}

void
bc_store_runs(struct store *st, const struct bc_fleet *f, int64_t interval,
    int64_t from, int64_t to, int64_t *seqs, int64_t *results, int64_t *stored)
{
	char *text[BATCH];

	for (size_t i = 0; i < BATCH; i++)
		text[i] = xmalloc(BC_REC_MAX);
	for (int region = 0; region < f->nregions && from < to; region++) {
		size_t cap = 1024, n = 0, k = 0;
		struct run *runs = xcalloc(cap, sizeof(*runs));
		char agent[32], reg[32];

		snprintf(agent, sizeof(agent), "bench-%d", region);
		snprintf(reg, sizeof(reg), "r%d", region);
		for (int ci = 0; ci < f->nchecks; ci++) {
			int64_t ph = bc_series_phase(ci, region, interval);

			for (int64_t ts = bc_first_at_or_after(from, ph, interval);
			    ts < to; ts += interval) {
				if (n == cap) {
					cap *= 2;
					runs = xreallocarray(runs, cap, sizeof(*runs));
				}
				runs[n].ts = ts;
				runs[n++].ci = ci;
			}
		}
		/* an agent's outbox ships in the order the runs happened */
		qsort(runs, n, sizeof(*runs), cmp_run);
		for (size_t i = 0; i < n; i++) {
			const struct run *x = &runs[i];
			struct bc_rng r = { bc_hash64((uint64_t)x->ts ^
			    ((uint64_t)(x->ci * f->nregions + region) << 44)) };
			struct bc_sample s;

			bc_fleet_sample(f, x->ci, region, x->ts, &r, &s);
			bc_result_json(text[k++], BC_REC_MAX, &f->checks[x->ci], agent,
			    reg, ++seqs[region], x->ts, &s);
			if (k == BATCH || i + 1 == n) {
				ingest_batch(st, agent, reg, text, k, (int64_t)(n - i - 1),
				    stored);
				k = 0;
			}
		}
		if (results)
			*results += (int64_t)n;
		free(runs);
	}
	for (size_t i = 0; i < BATCH; i++)
		free(text[i]);
}

/* ---- rollups computed here ---- */

/* The thresholds counted (ascending) and the rollup rows being built. */
struct gen {
	struct store_bulk	*bulk;
	int64_t			 thr_us[STORE_MAX_THRESHOLDS];
	size_t			 nthr;
	int64_t			 rows[STORE_NTIERS];
};

/* One rollup row being built: what store_ingest's group holds. */
struct acc {
	int64_t		bucket;
	int64_t		total, good, e[ERRCLASS_COUNT], ph[6];
	int64_t		thr[STORE_MAX_THRESHOLDS];
	struct sketch	sk;
};

static void
acc_reset(struct acc *a, int64_t bucket)
{
	uint64_t *b = a->sk.b;
	int lo = a->sk.lo, hi = a->sk.hi;

	if (b && hi >= lo)
		memset(&b[lo], 0, (size_t)(hi - lo + 1) * sizeof(*b));
	memset(a, 0, sizeof(*a));
	sketch_init(&a->sk);
	a->sk.b = b;	/* keep the zeroed counts array */
	a->bucket = bucket;
}

static void
acc_add(const struct gen *g, struct acc *a, const struct bc_sample *s)
{
	a->total++;
	if (s->ok) {
		a->good++;
		sketch_add(&a->sk, (double)s->total_us);
		for (size_t t = 0; t < g->nthr; t++)
			if (s->total_us <= g->thr_us[t])
				a->thr[t]++;
	} else
		a->e[s->ec]++;
	a->ph[0] += s->dns_us;
	a->ph[1] += s->connect_us;
	a->ph[2] += s->tls_us;
	a->ph[3] += s->processing_us;
	a->ph[4] += s->transfer_us;
	a->ph[5] += s->total_us;
}

/* dst += src (counts and sketch) */
static void
acc_merge(struct acc *dst, const struct acc *src)
{
	dst->total += src->total;
	dst->good += src->good;
	for (int i = 0; i < ERRCLASS_COUNT; i++)
		dst->e[i] += src->e[i];
	for (int i = 0; i < 6; i++)
		dst->ph[i] += src->ph[i];
	for (int i = 0; i < STORE_MAX_THRESHOLDS; i++)
		dst->thr[i] += src->thr[i];
	sketch_merge(&dst->sk, &src->sk);
}

static void
write_row(struct gen *g, enum store_tier tier, int64_t series, const struct acc *a)
{
	struct rollup_row r;
	unsigned char *sk, *thr = NULL;
	char err[512];

	if (a->total == 0)
		return;
	memset(&r, 0, sizeof(r));
	r.series = series;
	r.bucket = a->bucket;
	r.tier = tier;
	r.total = a->total;
	r.good = a->good;
	memcpy(r.e, a->e, sizeof(r.e));
	memcpy(r.ph, a->ph, sizeof(r.ph));
	/* what store_ingest writes: sketch_encode (version 2) of the passed
	 * runs, and the threshold counts of every configured threshold */
	sk = sketch_encode(&a->sk, &r.sketch_len);
	r.sketch = sk;
	if (g->nthr > 0) {
		thr = thr_encode(g->thr_us, a->thr, g->nthr, &r.thr_len);
		r.thr = thr;
	}
	if (store_bulk_rollup(g->bulk, &r, err, sizeof(err)) < 0)
		bc_die("%s", err);
	free(sk);
	free(thr);
	g->rows[tier]++;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The thresholds: the latency SLOs' of cfg, else the list in spec
 * ("200ms,250ms"), else the benchmark config's six. */
static size_t
thresholds(const char *cfg, const char *spec, int64_t *out)
{
	static const int64_t deflt[] = { 200000, 250000, 300000, 500000, 600000,
	    800000 };
	size_t n = 0;

	if (cfg != NULL) {
		struct collector_config *cc = collconf_load(cfg);

		if (cc == NULL)
			exit(2);
		n = collconf_thresholds(cc, out, STORE_MAX_THRESHOLDS);
		collconf_free(cc);
		if (n > STORE_MAX_THRESHOLDS)
			bc_die("%s: more than %d latency thresholds", cfg,
			    STORE_MAX_THRESHOLDS);
	} else if (spec != NULL) {
		char *copy = xstrdup(spec), *save = NULL;

		for (char *t = strtok_r(copy, ",", &save); t != NULL;
		    t = strtok_r(NULL, ",", &save)) {
			if (n == STORE_MAX_THRESHOLDS)
				bc_die("--thresholds: at most %d", STORE_MAX_THRESHOLDS);
			out[n++] = bc_arg_duration("--thresholds", t) * 1000;
		}
		free(copy);
	} else {
		n = sizeof(deflt) / sizeof(deflt[0]);
		memcpy(out, deflt, sizeof(deflt));
	}
	qsort(out, n, sizeof(*out), cmp_i64);
	return n;
}

/* ---- the check at the end: every tier holds every result ---- */

struct sums {
	int64_t	total, good, rows, thr_missing, thr_over_good;
	const struct gen *g;
};

static int
sum_row(const struct rollup_row *r, void *arg)
{
	struct sums *s = arg;

	s->total += r->total;
	s->good += r->good;
	s->rows++;
	for (size_t t = 0; t < s->g->nthr; t++) {
		int64_t n = thr_lookup(r->thr, r->thr_len, s->g->thr_us[t]);

		if (n < 0)
			s->thr_missing++;
		else if (n > r->good)
			s->thr_over_good++;
	}
	return 0;
}

static void
check_tiers(struct store *st, const struct gen *g, int64_t expect)
{
	struct sums s[STORE_NTIERS];
	int64_t *ids;
	size_t n = store_series_match(st, NULL, &ids);
	char err[512];

	memset(s, 0, sizeof(s));
	for (int t = STORE_1H; t < STORE_NTIERS; t++) {
		s[t].g = g;
		for (size_t i = 0; i < n; i++)
			if (store_rollup_scan(st, NULL, ids[i], (enum store_tier)t, 0,
			    INT64_MAX, sum_row, &s[t], err, sizeof(err)) < 0)
				bc_die("check: %s", err);
	}
	free(ids);
	printf("generate: %zu series; rollup_1h: %" PRId64 " rows, sum(total) %"
	    PRId64 ", sum(good) %" PRId64 "; rollup_1d: %" PRId64 " rows, sum(total) %"
	    PRId64 "\n", n, s[STORE_1H].rows, s[STORE_1H].total, s[STORE_1H].good,
	    s[STORE_1D].rows, s[STORE_1D].total);
	if (s[STORE_1H].total != expect || s[STORE_1D].total != expect)
		bc_die("generate: rollup totals (1h %" PRId64 ", 1d %" PRId64 ") disagree "
		    "with the %" PRId64 " results generated", s[STORE_1H].total,
		    s[STORE_1D].total, expect);
	for (int t = STORE_1H; t < STORE_NTIERS; t++)
		if (s[t].thr_missing || s[t].thr_over_good)
			bc_die("generate: tier %d: %" PRId64 " threshold counts missing, %"
			    PRId64 " above good", t, s[t].thr_missing, s[t].thr_over_good);
	for (size_t t = 0; t < g->nthr; t++)
		if (store_threshold_exact_from(st, g->thr_us[t]) != 0)
			bc_die("generate: threshold %" PRId64 " us is not exact from 0",
			    g->thr_us[t]);
}

int
bc_cmd_generate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "days", required_argument, NULL, 'D' },
		{ "checks", required_argument, NULL, 'c' },
		{ "regions", required_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' },
		{ "minute-days", required_argument, NULL, 'm' },
		{ "raw", required_argument, NULL, 'R' },
		{ "fail", required_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'C' },
		{ "thresholds", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL, *cfg = NULL, *spec = NULL;
	int days = 30, nchecks = 200, nregions = 5, ch, nseries;
	int64_t interval = 30000, minute_keep = 8 * BC_DAY_MS, raw = BC_HOUR_MS;
	double fail = 0.002, t_start = bc_mono_s(), t_direct, t_real;
	char err[512];
	struct gen g;
	struct bc_fleet f;
	struct store *st;
	struct acc *am, *ah, *ad;	/* per series: minute, hour, day */
	int64_t now, start, t0, *seqs, *ids, nres_direct = 0, nres_real = 0;
	int64_t stored = 0;

	memset(&g, 0, sizeof(g));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': path = optarg; break;
		case 'D': days = bc_arg_int(optarg); break;
		case 'c': nchecks = bc_arg_int(optarg); break;
		case 'r': nregions = bc_arg_int(optarg); break;
		case 'i': interval = bc_arg_duration("--interval", optarg); break;
		case 'm':
			minute_keep = (int64_t)(bc_arg_double(optarg) * (double)BC_DAY_MS);
			break;
		case 'R': raw = bc_arg_duration("--raw", optarg); break;
		case 'f': fail = bc_arg_double(optarg); break;
		case 'C': cfg = optarg; break;
		case 'T': spec = optarg; break;
		default: return 2;
		}
	}
	if (path == NULL || days < 1 || days > 400 || nchecks < 1 || nregions < 1 ||
	    nregions > 8 || interval < 1000 || raw < 0)
		bc_die("generate: need --db; --days 1..400; positive --checks; "
		    "--regions 1..8; --interval >= 1s");
	if (access(path, F_OK) == 0)
		bc_die("generate: %s exists; remove it first", path);
	g.nthr = thresholds(cfg, spec, g.thr_us);
	now = time_now_ms();
	start = bc_floor_to(now - (int64_t)days * BC_DAY_MS, BC_MIN_MS);
	t0 = bc_floor_to(now - raw, BC_MIN_MS);	/* bulk before, store_ingest after */
	if (t0 < start)
		t0 = start;
	bc_fleet_init(&f, nchecks, nregions, fail, start, now);
	nseries = nchecks * nregions;

	/* 1. the schema, and the thresholds counted from the start (an empty
	 * DB: exact_from 0), through the collector's own store */
	if ((st = store_open(path, 1, err, sizeof(err))) == NULL)
		bc_die("store_open: %s", err);
	if (store_set_thresholds(st, g.thr_us, g.nthr, err, sizeof(err)) < 0)
		bc_die("store_set_thresholds: %s", err);
	store_close(st);

	/* 2. series and the rollups of [start, t0), bulk-loaded */
	if ((g.bulk = store_bulk_open(path, err, sizeof(err))) == NULL)
		bc_die("%s", err);
	ids = xcalloc((size_t)nseries, sizeof(*ids));
	for (int s = 0; s < nseries; s++) {
		const struct bc_check *c = &f.checks[s / nregions];
		char agent[32], reg[32];
		struct store_series l;

		snprintf(agent, sizeof(agent), "bench-%d", s % nregions);
		snprintf(reg, sizeof(reg), "r%d", s % nregions);
		memset(&l, 0, sizeof(l));
		l.check = c->name;
		l.agent = agent;
		l.region = reg;
		l.service = c->service;
		l.layer = c->layer;
		l.provider = c->provider;
		l.created_at = start;
		if (store_bulk_series(g.bulk, &l, &ids[s], err, sizeof(err)) < 0)
			bc_die("%s", err);
	}
	am = xcalloc((size_t)nseries, sizeof(*am));
	ah = xcalloc((size_t)nseries, sizeof(*ah));
	ad = xcalloc((size_t)nseries, sizeof(*ad));
	seqs = xcalloc((size_t)nregions, sizeof(*seqs));
	for (int s = 0; s < nseries; s++) {
		sketch_init(&am[s].sk);
		sketch_init(&ah[s].sk);
		sketch_init(&ad[s].sk);
		acc_reset(&ah[s], bc_floor_to(start, BC_HOUR_MS));
		acc_reset(&ad[s], bc_floor_to(start, BC_DAY_MS));
	}
	fprintf(stderr, "generate: %d series, %zu thresholds; bulk rollups for %lld "
	    "min, then %lld min through store_ingest\n", nseries, g.nthr,
	    (long long)((t0 - start) / BC_MIN_MS), (long long)((now - t0) / BC_MIN_MS));
	/* time-major, like real ingest: minute by minute, every series */
	for (int64_t m = start; m < t0; m += BC_MIN_MS) {
		bool hour_end = bc_floor_to(m + BC_MIN_MS, BC_HOUR_MS) !=
		    bc_floor_to(m, BC_HOUR_MS);
		bool day_end = bc_floor_to(m + BC_MIN_MS, BC_DAY_MS) !=
		    bc_floor_to(m, BC_DAY_MS);
		bool keep_minute = m >= now - minute_keep;

		for (int s = 0; s < nseries; s++) {
			int ci = s / nregions, region = s % nregions;
			int64_t ph = bc_series_phase(ci, region, interval);
			struct bc_rng r = { bc_hash64((uint64_t)s ^ ((uint64_t)m << 16)) };

			acc_reset(&am[s], m);
			for (int64_t ts = bc_first_at_or_after(m, ph, interval);
			    ts < m + BC_MIN_MS; ts += interval) {
				struct bc_sample smp;

				bc_fleet_sample(&f, ci, region, ts, &r, &smp);
				acc_add(&g, &am[s], &smp);
				seqs[region]++;
				nres_direct++;
			}
			if (keep_minute)
				write_row(&g, STORE_1M, ids[s], &am[s]);
			acc_merge(&ah[s], &am[s]);
			if (hour_end) {
				write_row(&g, STORE_1H, ids[s], &ah[s]);
				acc_merge(&ad[s], &ah[s]);
				acc_reset(&ah[s], m + BC_MIN_MS);
			}
			if (day_end) {
				write_row(&g, STORE_1D, ids[s], &ad[s]);
				acc_reset(&ad[s], m + BC_MIN_MS);
			}
		}
		if (day_end)
			fprintf(stderr, "generate: day %lld of %d done (%.0f s, %lld 1m "
			    "rows)\n", (long long)((m - start) / BC_DAY_MS + 1), days,
			    bc_mono_s() - t_start, (long long)g.rows[STORE_1M]);
	}
	/* the partial hour and day at t0: store_ingest merges the rest in */
	for (int s = 0; s < nseries; s++) {
		acc_merge(&ad[s], &ah[s]);
		write_row(&g, STORE_1H, ids[s], &ah[s]);
		write_row(&g, STORE_1D, ids[s], &ad[s]);
		sketch_free(&am[s].sk);
		sketch_free(&ah[s].sk);
		sketch_free(&ad[s].sk);
	}
	if (store_bulk_close(g.bulk, err, sizeof(err)) < 0)
		bc_die("%s", err);
	free(am);
	free(ah);
	free(ad);
	free(ids);
	t_direct = bc_mono_s() - t_start;
	fprintf(stderr, "generate: bulk rollups: %lld results -> %lld 1m, %lld 1h, "
	    "%lld 1d rows in %.1f s\n", (long long)nres_direct,
	    (long long)g.rows[STORE_1M], (long long)g.rows[STORE_1H],
	    (long long)g.rows[STORE_1D], t_direct);

	/* 3. [t0, now) through the collector's real path: store_ingest, 500
	 * per batch, one agent per region (raw results, the rollup upserts,
	 * latest, agents) */
	if ((st = store_open(path, 1, err, sizeof(err))) == NULL)
		bc_die("store_open: %s", err);
	if (store_set_thresholds(st, g.thr_us, g.nthr, err, sizeof(err)) < 0)
		bc_die("store_set_thresholds: %s", err);
	bc_store_runs(st, &f, interval, t0, now, seqs, &nres_real, &stored);
	t_real = bc_mono_s() - t_start - t_direct;
	fprintf(stderr, "generate: store_ingest: %lld results (%lld stored) in %.1f s "
	    "(%.0f results/s)\n", (long long)nres_real, (long long)stored, t_real,
	    t_real > 0 ? (double)stored / t_real : 0.0);

	/* 4. every tier holds every result; every row counts every threshold */
	check_tiers(st, &g, nres_direct + nres_real);
	store_close(st);
	printf("generate: %s: %d days, %d checks x %d regions at %llds: %lld results "
	    "(%lld as bulk rollups, %lld via store_ingest); %zu thresholds exact "
	    "from 0; %.1f s\n", path, days, nchecks, nregions,
	    (long long)(interval / 1000), (long long)(nres_direct + nres_real),
	    (long long)nres_direct, (long long)nres_real, g.nthr,
	    bc_mono_s() - t_start);
	printf("RESULT generate days=%d series=%d results=%" PRId64 " bulk=%" PRId64
	    " ingested=%" PRId64 " rows_1m=%" PRId64 " rows_1h=%" PRId64 " rows_1d=%"
	    PRId64 " thresholds=%zu ingest_per_s=%.0f wall_s=%.1f\n", days, nseries,
	    nres_direct + nres_real, nres_direct, nres_real, g.rows[STORE_1M],
	    g.rows[STORE_1H], g.rows[STORE_1D], g.nthr,
	    t_real > 0 ? (double)stored / t_real : 0.0, bc_mono_s() - t_start);
	free(seqs);
	bc_fleet_free(&f);
	return 0;
}
