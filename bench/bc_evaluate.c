/* bc_evaluate: the SLO engine's cost on the 30-day DB, in process, with
 * the collector's own code: one cold evaluation (every window read from
 * the rollups), then steady state: each step stores one --step of new
 * runs of every series through store_ingest (1000 series at 30 s: about
 * 500 results per 15 s), the engine gets their deltas through the store's
 * hook, and the next evaluation, --step later, is timed. At the end a new
 * engine evaluates the same moment cold, and every number of both must
 * agree. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bc.h"
#include "collconf.h"
#include "sloeng.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

/* One timed evaluation. */
struct timing {
	double	wall_ms, cpu_ms, thread_cpu_ms;
	int64_t	rows_read, deltas;
	bool	cold;
};

static struct slo_eval *
timed_evaluate(struct sloeng *e, int64_t now, struct timing *t)
{
	struct slo_eval *ev;
	double w0 = bc_mono_s(), c0 = bc_cpu_s(), tc0 = bc_thread_cpu_s();
	char err[512];

	if (sloeng_evaluate(e, now, NULL, &ev, err, sizeof(err)) < 0)
		bc_die("sloeng_evaluate: %s", err);
	t->wall_ms = (bc_mono_s() - w0) * 1000.0;
	t->cpu_ms = (bc_cpu_s() - c0) * 1000.0;
	t->thread_cpu_ms = (bc_thread_cpu_s() - tc0) * 1000.0;
	t->rows_read = ev->rows_read;
	t->deltas = ev->deltas_applied;
	t->cold = ev->cold;
	return ev;
}

/* Do two sets of numbers differ? Percentiles are compared exactly: both
 * come from the same bucket counts. */
static bool
numbers_differ(const struct slo_numbers *a, const struct slo_numbers *b)
{
	if (a->good != b->good || a->total != b->total ||
	    a->inconclusive != b->inconclusive ||
	    a->latency.count != b->latency.count)
		return true;
	for (int w = 0; w < SLOENG_NWINDOWS; w++)
		if (a->wgood[w] != b->wgood[w] || a->wtotal[w] != b->wtotal[w])
			return true;
	return a->latency.count > 0 && (a->latency.p50_ms != b->latency.p50_ms ||
	    a->latency.p90_ms != b->latency.p90_ms ||
	    a->latency.p95_ms != b->latency.p95_ms ||
	    a->latency.p99_ms != b->latency.p99_ms);
}

/* Compare an incremental evaluation with a cold one of the same moment;
 * the number of disagreements (each printed). */
static int
compare(const struct slo_eval *inc, const struct slo_eval *cold)
{
	int bad = 0;

	if (inc->nslos != cold->nslos) {
		printf("evaluate check: %zu SLOs incremental, %zu cold\n", inc->nslos,
		    cold->nslos);
		return 1;
	}
	for (size_t i = 0; i < inc->nslos; i++) {
		const struct slo_result *a = &inc->slos[i], *b = &cold->slos[i];

		if (numbers_differ(&a->n, &b->n) ||
		    a->approximate_before != b->approximate_before) {
			printf("evaluate check: %s: incremental good/total %" PRId64 "/%"
			    PRId64 ", cold %" PRId64 "/%" PRId64 "\n", a->conf.name,
			    a->n.good, a->n.total, b->n.good, b->n.total);
			bad++;
		}
		for (int d = 0; d < SLO_NDIMS; d++) {
			if (a->nby[d] != b->nby[d]) {
				printf("evaluate check: %s by %s: %zu groups vs %zu\n",
				    a->conf.name, slo_dim_names[d], a->nby[d], b->nby[d]);
				bad++;
				continue;
			}
			for (size_t k = 0; k < a->nby[d]; k++)
				if (strcmp(a->by[d][k].key, b->by[d][k].key) != 0 ||
				    numbers_differ(&a->by[d][k].n, &b->by[d][k].n)) {
					printf("evaluate check: %s by %s %s differs\n",
					    a->conf.name, slo_dim_names[d], a->by[d][k].key);
					bad++;
				}
		}
	}
	if (inc->nchecks != cold->nchecks) {
		printf("evaluate check: %zu check ratios vs %zu\n", inc->nchecks,
		    cold->nchecks);
		bad++;
	} else
		for (size_t i = 0; i < inc->nchecks; i++) {
			const struct check_ratio *a = &inc->checks[i], *b = &cold->checks[i];

			if (strcmp(a->check, b->check) != 0 ||
			    strcmp(a->region ? a->region : "", b->region ? b->region :
			    "") != 0 || a->total != b->total || a->good != b->good ||
			    a->hits != b->hits || a->lookups != b->lookups) {
				printf("evaluate check: check ratio %s/%s differs\n",
				    a->check, a->region ? a->region : "");
				bad++;
			}
		}
	return bad;
}

static void
print_slos(const struct slo_eval *ev)
{
	printf("%-28s %-12s %14s %14s %9s %s\n", "slo", "sli", "good", "total",
	    "ratio%", "exact");
	for (size_t i = 0; i < ev->nslos; i++) {
		const struct slo_result *r = &ev->slos[i];

		printf("%-28s %-12s %14" PRId64 " %14" PRId64 " %9.4f %s\n",
		    r->conf.name, r->conf.sli == SLI_LATENCY ? "latency" :
		    "availability", r->n.good, r->n.total, r->n.total ? 100.0 *
		    (double)r->n.good / (double)r->n.total : NAN,
		    r->approximate_before == INT64_MIN ? "yes" : "no (sketch before)");
	}
}

int
bc_cmd_evaluate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "runs", required_argument, NULL, 'n' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "slos", required_argument, NULL, 's' },
		{ "step", required_argument, NULL, 'S' },
		{ "settle", required_argument, NULL, 'w' },
		{ "checks", required_argument, NULL, 'C' },
		{ "regions", required_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL, *cfg = NULL;
	int runs = 20, only = 0, nchecks = 200, nregions = 5, ch, done = 0, bad;
	int64_t step = 15000, settle = 600, interval = 30000, now, results = 0;
	int64_t stored = 0, thr[STORE_MAX_THRESHOLDS], *seqs;
	double max_s = 120, t_begin, *cpu, *tcpu, *wall, *rows, *deltas;
	struct collector_config *cc;
	struct sloeng_conf conf;
	struct sloeng *e, *e2;
	struct slo_eval *ev, *last = NULL, *cev;
	struct timing cold, chk, t;
	struct bc_fleet f;
	struct store *st;
	size_t nthr;
	char err[512];

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': path = optarg; break;
		case 'c': cfg = optarg; break;
		case 'n': runs = bc_arg_int(optarg); break;
		case 'm': max_s = bc_arg_double(optarg); break;
		case 's': only = bc_arg_int(optarg); break;
		case 'S': step = bc_arg_duration("--step", optarg); break;
		case 'w': settle = bc_arg_duration("--settle", optarg); break;
		case 'C': nchecks = bc_arg_int(optarg); break;
		case 'r': nregions = bc_arg_int(optarg); break;
		case 'i': interval = bc_arg_duration("--interval", optarg); break;
		default: return 2;
		}
	}
	if (path == NULL || cfg == NULL || runs < 1 || runs > 10000 || step < 1000 ||
	    nchecks < 1 || nregions < 1 || nregions > 8 || interval < 1000)
		bc_die("evaluate: need --db and --config; --runs 1..10000; --step >= "
		    "1s; --regions 1..8");
	if ((cc = collconf_load(cfg)) == NULL)
		return 2;
	if (cc->nslos == 0)
		bc_die("evaluate: %s has no SLOs", cfg);
	/* read-write, as the collector opens it: the engine needs the store's
	 * delta hook, and the steady state stores new runs */
	if ((st = store_open(path, 2, err, sizeof(err))) == NULL)
		bc_die("%s", err);
	nthr = collconf_thresholds(cc, thr, STORE_MAX_THRESHOLDS);
	if (nthr > STORE_MAX_THRESHOLDS)
		bc_die("evaluate: too many latency thresholds");
	if (store_set_thresholds(st, thr, nthr, err, sizeof(err)) < 0)
		bc_die("store_set_thresholds: %s", err);
	memset(&conf, 0, sizeof(conf));
	conf.slos = cc->slos;
	conf.nslos = only > 0 && (size_t)only < cc->nslos ? (size_t)only : cc->nslos;
	e = sloeng_new(st, &conf, true);
	bc_fleet_init(&f, nchecks, nregions, 0.002, 0, 0);
	seqs = xcalloc((size_t)nregions, sizeof(*seqs));
	for (int k = 0; k < nregions; k++)
		seqs[k] = time_now_ms();	/* above every seq generated */

	/* 1. cold */
	now = time_now_ms();
	ev = timed_evaluate(e, now, &cold);
	fprintf(stderr, "evaluate: cold: %.0f ms wall, %.0f ms CPU, %" PRId64 " rows "
	    "read%s\n", cold.wall_ms, cold.cpu_ms, cold.rows_read, cold.cold ? "" :
	    " (NOT reported cold)");
	print_slos(ev);
	slo_eval_free(ev);

	/* 2. steady state: runs of one step, then the next evaluation */
	cpu = xcalloc((size_t)runs, sizeof(*cpu));
	tcpu = xcalloc((size_t)runs, sizeof(*tcpu));
	wall = xcalloc((size_t)runs, sizeof(*wall));
	rows = xcalloc((size_t)runs, sizeof(*rows));
	deltas = xcalloc((size_t)runs, sizeof(*deltas));
	t_begin = bc_mono_s();
	for (int r = 0; r < runs && (r == 0 || bc_mono_s() - t_begin < max_s); r++) {
		int64_t before = results;

		bc_store_runs(st, &f, interval, now, now + step, seqs, &results, &stored);
		now += step;
		/* let the store's checkpoint thread (every 500 ms) copy the
		 * batch's WAL frames first, so its CPU is not counted below */
		bc_sleep_s((double)settle / 1000.0);
		slo_eval_free(last);
		last = timed_evaluate(e, now, &t);
		cpu[r] = t.cpu_ms;
		tcpu[r] = t.thread_cpu_ms;
		wall[r] = t.wall_ms;
		rows[r] = (double)t.rows_read;
		deltas[r] = (double)t.deltas;
		done++;
		fprintf(stderr, "evaluate: step %d: %" PRId64 " new runs; %s evaluation "
		    "%.1f ms wall, %.1f ms CPU (%.1f this thread), %" PRId64 " rows read, "
		    "%" PRId64 " deltas\n", r + 1, results - before, t.cold ? "COLD" :
		    "incremental", t.wall_ms, t.cpu_ms, t.thread_cpu_ms, t.rows_read,
		    t.deltas);
		if (t.cold)
			fprintf(stderr, "evaluate: step %d was cold: not steady state\n",
			    r + 1);
	}

	/* 3. the same moment, cold, on a new engine: must agree */
	e2 = sloeng_new(st, &conf, false);
	cev = timed_evaluate(e2, now, &chk);
	bad = compare(last, cev);
	printf("evaluate: incremental vs cold at the last step: %s (%d "
	    "differences); that cold evaluation: %.0f ms wall, %.0f ms CPU\n",
	    bad ? "DIFFER" : "identical", bad, chk.wall_ms, chk.cpu_ms);
	{
		double cpu_max = 0, wall_max = 0;

		for (int r = 0; r < done; r++) {
			if (cpu[r] > cpu_max)
				cpu_max = cpu[r];
			if (wall[r] > wall_max)
				wall_max = wall[r];
		}
		printf("RESULT evaluate_cold slos=%zu wall_ms=%.0f cpu_ms=%.0f "
		    "thread_cpu_ms=%.0f rows_read=%" PRId64 " cold=%d again_wall_ms=%.0f "
		    "again_cpu_ms=%.0f\n", conf.nslos, cold.wall_ms, cold.cpu_ms,
		    cold.thread_cpu_ms, cold.rows_read, cold.cold ? 1 : 0, chk.wall_ms,
		    chk.cpu_ms);
		printf("RESULT evaluate_steady runs=%d step_s=%.0f results=%" PRId64
		    " stored=%" PRId64 " cpu_p50_ms=%.1f cpu_p99_ms=%.1f cpu_max_ms=%.1f "
		    "thread_cpu_p50_ms=%.1f wall_p50_ms=%.1f wall_max_ms=%.1f "
		    "rows_read_p50=%.0f deltas_p50=%.0f\n", done, (double)step / 1000.0,
		    results, stored, bc_pctl(cpu, (size_t)done, 50),
		    bc_pctl(cpu, (size_t)done, 99), cpu_max,
		    bc_pctl(tcpu, (size_t)done, 50), bc_pctl(wall, (size_t)done, 50),
		    wall_max, bc_pctl(rows, (size_t)done, 50),
		    bc_pctl(deltas, (size_t)done, 50));
		printf("RESULT evaluate_check same=%d differences=%d\n", bad ? 0 : 1, bad);
	}
	slo_eval_free(last);
	slo_eval_free(cev);
	sloeng_free(e2);
	sloeng_free(e);
	store_close(st);
	free(cpu);
	free(tcpu);
	free(wall);
	free(rows);
	free(deltas);
	free(seqs);
	bc_fleet_free(&f);
	collconf_free(cc);
	return bad ? 1 : 0;
}
