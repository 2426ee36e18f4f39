/* Unit tests: core/sloeng.c. A generated fleet goes through the real
 * store; at several moments (cold start, minutes later with late and
 * future results in between, hours later, a day later) every number the
 * engine gives (each SLO's window, the seven burn windows, a burn rule's
 * extra window, the breakdowns, the latency percentiles, the 5-minute
 * check ratios) is compared with a recount from the raw records this test
 * generated, and with a cold engine that reads every window again. Two
 * latency thresholds sit inside a sketch bucket, with runs on both sides:
 * only an exact count agrees with the recount. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sketch.h"
#include "sloeng.h"
#include "store.h"
#include "xmalloc.h"

#define MIN_MS	60000LL
#define HOUR_MS	3600000LL
#define DAY_MS	86400000LL

#define NCHECKS	4
#define NAGENTS	3
#define T300	300000LL	/* us: inside the bucket [~297.0 ms, ~303.0 ms) */
#define T250	250000LL

static const struct {
	const char	*name, *service, *layer, *provider;
} checks[NCHECKS] = {
	{ "c-front", "svc-a", "front_door", "cdn" },
	{ "c-edge", "svc-a", "edge", "workers" },
	{ "c-central", "svc-b", "central", "aws" },
	{ "c-front-b", "svc-b", "front_door", "cdn" },
};
static const char *const agents[NAGENTS] = { "a0", "a1", "a2" };
static const char *const regions[NAGENTS] = { "r0", "r1", "r2" };
static const char *const caches[3] = { "hit", "miss", NULL };

/* one generated result, as the test knows it */
struct gen {
	int	check, agent;
	int64_t	ts, seq, total_us;
	bool	ok, inconclusive;
	int	cache;
};

static struct gen *all;
static size_t nall, aall;
static int64_t seqs[NAGENTS];
static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t
next(void)
{
	uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double
unif(void)
{
	return (double)(next() >> 11) / 9007199254740992.0;
}

/* A latency: a fifth of the runs right around 250 and 300 ms (inside the
 * thresholds' sketch buckets), the rest spread from 20 ms to 2 s. */
static int64_t
latency(void)
{
	double u = unif();

	if (u < 0.1)
		return 297100 + (int64_t)(unif() * 5800);	/* 297.1-302.9 ms */
	if (u < 0.2)
		return 247600 + (int64_t)(unif() * 4800);	/* 247.6-252.4 ms */
	return 20000 + (int64_t)(exp(unif() * log(100.0)) * 20000);
}

static void
add(int check, int agent, int64_t ts)
{
	struct gen *g;

	if (nall == aall) {
		aall = aall ? 2 * aall : 4096;
		all = xreallocarray(all, aall, sizeof(*all));
	}
	g = &all[nall++];
	memset(g, 0, sizeof(*g));
	g->check = check;
	g->agent = agent;
	g->ts = ts;
	g->seq = ++seqs[agent];
	g->total_us = latency();
	g->ok = unif() > 0.04;
	g->inconclusive = !g->ok && unif() < 0.2;
	g->cache = check == 0 || check == 3 ? (int)(next() % 3) : 2;
}

/* Store all[from..to) through store_ingest, one batch per agent. */
static void
ingest(struct store *st, size_t from, size_t to)
{
	for (int a = 0; a < NAGENTS; a++) {
		struct record *recs = xcalloc(to - from + 1, sizeof(*recs));
		bool *stored = xcalloc(to - from + 1, sizeof(*stored));
		struct agent_report rep = { agents[a], regions[a], "vm", "test", 0, 0 };
		size_t n = 0;
		char err[256];

		for (size_t i = from; i < to; i++) {
			const struct gen *g = &all[i];
			struct record *r;

			if (g->agent != a)
				continue;
			r = &recs[n++];
			r->check = checks[g->check].name;
			r->agent = agents[a];
			r->region = regions[a];
			r->service = checks[g->check].service;
			r->layer = checks[g->check].layer;
			r->provider = checks[g->check].provider;
			r->text[RT_KIND] = "http";
			r->text_len[RT_KIND] = 4;
			if (caches[g->cache]) {
				r->text[RT_CACHE] = caches[g->cache];
				r->text_len[RT_CACHE] = strlen(caches[g->cache]);
			}
			r->seq = g->seq;
			r->ts = g->ts;
			r->ok = g->ok;
			r->inconclusive = g->inconclusive;
			r->error_class = g->ok ? ERRCLASS_NONE : ERRCLASS_TIMEOUT;
			r->total_us = g->total_us;
			r->present = RECORD_USUAL;
		}
		for (size_t k = 0; k < n; k += 500) {
			size_t m = n - k < 500 ? n - k : 500;

			ck_assert_msg(store_ingest(st, &rep, recs + k, m, stored + k, 5000,
			    err, sizeof(err)) == 0, "ingest: %s", err);
			for (size_t j = k; j < k + m; j++)
				ck_assert(stored[j]);
		}
		free(recs);
		free(stored);
	}
}

static const struct slo_config *slos;
static size_t nslos;
static struct slo_config slo_tab[5];

static void
setup_slos(void)
{
	memset(slo_tab, 0, sizeof(slo_tab));
	slo_tab[0] = (struct slo_config){ "all-30d", 0.999, 30 * DAY_MS,
	    SLI_AVAILABILITY, 0, { NULL, NULL, NULL, NULL, NULL } };
	slo_tab[1] = (struct slo_config){ "front-latency-30d", 0.95, 30 * DAY_MS,
	    SLI_LATENCY, T300, { NULL, "front_door", NULL, NULL, NULL } };
	slo_tab[2] = (struct slo_config){ "svc-a-7d", 0.99, 7 * DAY_MS,
	    SLI_AVAILABILITY, 0, { "svc-a", NULL, NULL, NULL, NULL } };
	slo_tab[3] = (struct slo_config){ "r1-latency-1d", 0.99, DAY_MS,
	    SLI_LATENCY, T250, { NULL, NULL, NULL, "r1", NULL } };
	slo_tab[4] = (struct slo_config){ "cdn-r2-2h", 0.9, 2 * HOUR_MS,
	    SLI_LATENCY, T300, { NULL, NULL, "cdn", "r2", NULL } };
	slos = slo_tab;
	nslos = 5;
}

/* Does generated result g count in the window [from, now) of SLO s? */
static bool
in_window(const struct gen *g, const struct slo_config *s, int64_t from,
    int64_t now)
{
	int64_t b = g->ts - ((g->ts % MIN_MS) + MIN_MS) % MIN_MS;

	return b >= from && b < now && selector_match(&s->sel,
	    checks[g->check].service, checks[g->check].layer,
	    checks[g->check].provider, regions[g->agent], checks[g->check].name);
}

static bool
is_good(const struct gen *g, const struct slo_config *s)
{
	return g->ok && (s->sli != SLI_LATENCY || g->total_us <= s->threshold_us);
}

/* good/total/inconclusive of s over [from, now), recounted from the raw
 * results; group: NULL, or only results whose dim label equals it. */
static void
recount(const struct slo_config *s, int64_t from, int64_t now, int dim,
    const char *group, int64_t *good, int64_t *total, int64_t *inconc,
    struct sketch *sk)
{
	*good = *total = 0;
	if (inconc)
		*inconc = 0;
	for (size_t i = 0; i < nall; i++) {
		const struct gen *g = &all[i];
		const char *label;

		if (!in_window(g, s, from, now))
			continue;
		if (group) {
			label = dim == SLO_BY_REGION ? regions[g->agent] :
			    dim == SLO_BY_LAYER ? checks[g->check].layer :
			    checks[g->check].provider;
			if (strcmp(label, group) != 0)
				continue;
		}
		if (g->inconclusive) {
			if (inconc)
				(*inconc)++;
			continue;
		}
		(*total)++;
		*good += is_good(g, s);
		if (sk && g->ok)
			sketch_add(sk, (double)g->total_us);
	}
}

static void
same_latency(const struct slo_latency *l, struct sketch *sk, const char *what)
{
	ck_assert_msg(l->count == (int64_t)sk->count, "%s: latency count %lld, "
	    "recount %llu", what, (long long)l->count, (unsigned long long)sk->count);
	if (sk->count == 0)
		return;
	ck_assert_double_eq(l->p50_ms, sketch_quantile(sk, 0.50) / 1000.0);
	ck_assert_double_eq(l->p95_ms, sketch_quantile(sk, 0.95) / 1000.0);
	ck_assert_double_eq(l->p99_ms, sketch_quantile(sk, 0.99) / 1000.0);
}

/* Every number of ev against a recount from the raw results at now. */
static void
check_eval(const struct slo_eval *ev, int64_t now, int64_t extra_ms, bool data)
{
	ck_assert_int_eq(ev->nslos, nslos);
	for (size_t i = 0; i < nslos; i++) {
		const struct slo_config *s = &slos[i];
		const struct slo_result *r = slo_eval_find(ev, s->name);
		int64_t from = sloeng_window_start(now, s->window_ms), good, total, inc;
		int64_t sgood = 0, stotal = 0;
		struct sketch sk;

		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->window_from, from);
		ck_assert_int_eq(r->approximate_before, INT64_MIN);
		sketch_init(&sk);
		recount(s, from, now, 0, NULL, &good, &total, &inc, &sk);
		ck_assert_msg(r->n.good == good && r->n.total == total,
		    "%s at %lld: engine %lld/%lld, recount %lld/%lld", s->name,
		    (long long)now, (long long)r->n.good, (long long)r->n.total,
		    (long long)good, (long long)total);
		ck_assert_int_eq(r->n.inconclusive, inc);
		ck_assert_msg(!data || total > 0, "%s: no data at %lld", s->name,
		    (long long)now);
		same_latency(&r->n.latency, &sk, s->name);
		sketch_free(&sk);
		for (int w = 0; w < SLOENG_NWINDOWS; w++) {
			int64_t wf = sloeng_window_start(now, sloeng_windows[w].ms);

			recount(s, wf, now, 0, NULL, &good, &total, NULL, NULL);
			ck_assert_msg(r->n.wgood[w] == good && r->n.wtotal[w] == total,
			    "%s window %s at %lld: engine %lld/%lld, recount %lld/%lld",
			    s->name, sloeng_windows[w].name, (long long)now,
			    (long long)r->n.wgood[w], (long long)r->n.wtotal[w],
			    (long long)good, (long long)total);
			if (total > 0)
				ck_assert_double_eq(r->n.burn[w],
				    slo_burn_rate(s->objective, good, total));
		}
		if (extra_ms > 0) {
			int64_t xg, xt;

			ck_assert_int_eq(slo_eval_window(ev, r, extra_ms, &xg, &xt), 0);
			recount(s, sloeng_window_start(now, extra_ms), now, 0, NULL, &good,
			    &total, NULL, NULL);
			ck_assert_int_eq(xg, good);
			ck_assert_int_eq(xt, total);
		}
		/* every breakdown: each group recounted, and the list sums to
		 * the whole */
		for (int d = 0; d < SLO_NDIMS; d++) {
			sgood = stotal = 0;
			for (size_t k = 0; k < r->nby[d]; k++) {
				const struct slo_group *g = &r->by[d][k];

				sketch_init(&sk);
				recount(s, from, now, d, g->key, &good, &total, NULL, &sk);
				ck_assert_msg(g->n.good == good && g->n.total == total,
				    "%s by %s %s: engine %lld/%lld, recount %lld/%lld",
				    s->name, slo_dim_names[d], g->key,
				    (long long)g->n.good, (long long)g->n.total,
				    (long long)good, (long long)total);
				same_latency(&g->n.latency, &sk, g->key);
				sketch_free(&sk);
				sgood += g->n.good;
				stotal += g->n.total;
			}
			ck_assert_int_eq(sgood, r->n.good);
			ck_assert_int_eq(stotal, r->n.total);
		}
	}
	/* check x region over 5 minutes */
	for (size_t k = 0; k < ev->nchecks; k++) {
		const struct check_ratio *cr = &ev->checks[k];
		int64_t from = sloeng_window_start(now, 5 * MIN_MS);
		int64_t total = 0, good = 0, hits = 0, lookups = 0;

		for (size_t i = 0; i < nall; i++) {
			const struct gen *g = &all[i];
			int64_t b = g->ts - g->ts % MIN_MS;

			if (b < from || b >= now || strcmp(checks[g->check].name,
			    cr->check) || strcmp(regions[g->agent], cr->region) ||
			    g->inconclusive)
				continue;
			total++;
			good += g->ok;
			if (caches[g->cache]) {
				lookups++;
				hits += g->cache == 0;
			}
		}
		ck_assert_int_eq(cr->total, total);
		ck_assert_int_eq(cr->good, good);
		ck_assert_int_eq(cr->hits, hits);
		ck_assert_int_eq(cr->lookups, lookups);
	}
}

/* The incremental engine's numbers equal a cold engine's, field by field. */
static void
same_eval(const struct slo_eval *a, const struct slo_eval *b)
{
	ck_assert_int_eq(a->nslos, b->nslos);
	for (size_t i = 0; i < a->nslos; i++) {
		const struct slo_result *x = &a->slos[i], *y = &b->slos[i];

		ck_assert_int_eq(x->n.good, y->n.good);
		ck_assert_int_eq(x->n.total, y->n.total);
		ck_assert_int_eq(x->n.latency.count, y->n.latency.count);
		for (int w = 0; w < SLOENG_NWINDOWS; w++) {
			ck_assert_int_eq(x->n.wgood[w], y->n.wgood[w]);
			ck_assert_int_eq(x->n.wtotal[w], y->n.wtotal[w]);
		}
		for (int d = 0; d < SLO_NDIMS; d++)
			ck_assert_int_eq(x->nby[d], y->nby[d]);
	}
	ck_assert_int_eq(a->nchecks, b->nchecks);
}

static char dir[256], path[300];

static struct store *
new_store(void)
{
	struct store *st;
	char err[256];

	snprintf(dir, sizeof(dir), "%s/vantage-sloeng-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.db", dir);
	st = store_open(path, 2, err, sizeof(err));
	ck_assert_msg(st != NULL, "store_open: %s", err);
	return st;
}

static void
drop_store(struct store *st)
{
	char p[400];

	store_close(st);
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	rmdir(dir);
}

static struct slo_eval *
evaluate(struct sloeng *e, int64_t now)
{
	struct slo_eval *ev;
	char err[256];

	ck_assert_msg(sloeng_evaluate(e, now, NULL, &ev, err, sizeof(err)) == 0,
	    "evaluate: %s", err);
	return ev;
}

START_TEST(test_incremental_equals_recount)
{
	const int64_t thr[2] = { T300, T250 };
	const int64_t extra = 56 * MIN_MS;	/* a burn rule's window */
	/* a fixed, unround start: ten days of history before t1 */
	const int64_t t1 = 1780000000000LL + 17 * MIN_MS + 23456;
	struct sloeng_conf conf;
	struct sloeng *e, *cold;
	struct slo_eval *ev, *cv;
	struct store *st = new_store();
	char err[256];
	size_t mark;
	int64_t t2, t3, t4;

	setup_slos();
	nall = 0;
	memset(seqs, 0, sizeof(seqs));
	ck_assert_msg(store_set_thresholds(st, thr, 2, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_int_eq(store_threshold_exact_from(st, T300), 0);
	/* history: every series every 3 minutes for 10 days */
	for (int64_t ts = t1 - 10 * DAY_MS; ts < t1 - MIN_MS; ts += 3 * MIN_MS)
		for (int c = 0; c < NCHECKS; c++)
			for (int a = 0; a < NAGENTS; a++)
				add(c, a, ts + (int64_t)(next() % 20000));
	ingest(st, 0, nall);
	conf = (struct sloeng_conf){ slos, nslos, &extra, 1 };
	e = sloeng_new(st, &conf, true);
	cold = sloeng_new(st, &conf, false);

	ev = evaluate(e, t1);
	ck_assert(ev->cold);
	check_eval(ev, t1, extra, true);
	slo_eval_free(ev);

	/* 7 minutes later: new runs, runs hours and days late, and runs a few
	 * minutes ahead of the clock */
	t2 = t1 + 7 * MIN_MS;
	mark = nall;
	for (int64_t ts = t1 - MIN_MS; ts < t2 + 4 * MIN_MS; ts += 20000)
		add((int)(next() % NCHECKS), (int)(next() % NAGENTS), ts);
	for (int i = 0; i < 300; i++)
		add((int)(next() % NCHECKS), (int)(next() % NAGENTS),
		    t1 - (int64_t)(next() % (9 * DAY_MS)));
	ingest(st, mark, nall);
	ev = evaluate(e, t2);
	ck_assert(!ev->cold);
	ck_assert_int_gt(ev->deltas_applied, 0);
	check_eval(ev, t2, extra, true);
	cv = evaluate(cold, t2);
	ck_assert(cv->cold);
	same_eval(ev, cv);
	/* the incremental one read a few rows, the cold one every window */
	ck_assert_int_lt(ev->rows_read * 10, cv->rows_read);
	slo_eval_free(ev);
	slo_eval_free(cv);

	/* 3 h 17 min later: every window's start crossed hours */
	t3 = t2 + 3 * HOUR_MS + 17 * MIN_MS + 999;
	mark = nall;
	for (int64_t ts = t2 + 4 * MIN_MS; ts < t3; ts += 5 * MIN_MS)
		for (int c = 0; c < NCHECKS; c++)
			add(c, (int)(next() % NAGENTS), ts);
	ingest(st, mark, nall);
	ev = evaluate(e, t3);
	check_eval(ev, t3, extra, true);
	slo_eval_free(ev);

	/* a day later with nothing new: the windows slid past a day */
	t4 = t3 + DAY_MS + 2 * HOUR_MS;
	ev = evaluate(e, t4);
	ck_assert(!ev->cold);
	check_eval(ev, t4, extra, false);
	cv = evaluate(cold, t4);
	same_eval(ev, cv);
	slo_eval_free(ev);
	slo_eval_free(cv);

	sloeng_free(e);
	sloeng_free(cold);
	drop_store(st);
	free(all);
	all = NULL;
	aall = 0;
}
END_TEST

/* A threshold added when results already exist: the rows of those days
 * answer from the sketch, and the engine says so. */
START_TEST(test_threshold_added_later)
{
	const int64_t t1 = 1780000000000LL + 5 * MIN_MS;
	const int64_t thr = T300;
	struct sloeng_conf conf;
	struct sloeng *e;
	struct slo_eval *ev;
	struct store *st = new_store();
	const struct slo_result *r;
	char err[256];

	setup_slos();
	nall = 0;
	memset(seqs, 0, sizeof(seqs));
	for (int64_t ts = t1 - 2 * DAY_MS; ts < t1 - MIN_MS; ts += 7 * MIN_MS)
		for (int c = 0; c < NCHECKS; c++)
			add(c, 0, ts);
	ingest(st, 0, nall);
	ck_assert(store_set_thresholds(st, &thr, 1, err, sizeof(err)) == 0);
	/* the day after the newest day that has results */
	ck_assert_int_eq(store_threshold_exact_from(st, T300),
	    (t1 - t1 % DAY_MS) + DAY_MS);
	conf = (struct sloeng_conf){ slos + 1, 1, NULL, 0 };
	e = sloeng_new(st, &conf, true);
	ev = evaluate(e, t1);
	r = &ev->slos[0];
	ck_assert_int_eq(r->approximate_before, (t1 - t1 % DAY_MS) + DAY_MS);
	ck_assert_int_gt(r->n.total, 0);
	slo_eval_free(ev);
	sloeng_free(e);
	drop_store(st);
	free(all);
	all = NULL;
	aall = 0;
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sloeng");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_incremental_equals_recount);
	tcase_add_test(tc, test_threshold_added_later);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
