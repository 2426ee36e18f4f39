/* Unit tests: core/timeline.c, the per-run timelines: failing stretches,
 * their union, episodes across regions and the front door during them,
 * blame, the first failure around a moment, the longest bad stretch.
 * Runs are written as patterns: one letter per run, every step ms from t0:
 * G passed, B failed, S inconclusive (skipped), . no run. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "timeline.h"

#define END	1000000		/* the timelines' end (ms) */

/* The runs of a pattern as one sequence (region 0), into v; the count. */
static size_t
runs_of(const char *pat, int64_t t0, int64_t step, struct tl_run *v)
{
	size_t n = 0;

	for (size_t i = 0; pat[i]; i++) {
		if (pat[i] == '.')
			continue;
		memset(&v[n], 0, sizeof(v[n]));
		v[n].start = t0 + (int64_t)i * step;
		v[n].total_us = 1000 * (int64_t)(i + 1);
		v[n].state = pat[i] == 'B' ? TL_BAD : pat[i] == 'S' ? TL_SKIP : TL_GOOD;
		n++;
	}
	return n;
}

/* One series of a pattern into tl. */
static void
series(struct timeline *tl, int layer, const char *region, int64_t t0, int64_t step,
    const char *pat)
{
	timeline_series_begin(tl, layer, region);
	for (size_t i = 0; pat[i]; i++)
		if (pat[i] != '.')
			timeline_series_run(tl, t0 + (int64_t)i * step,
			    1000 * (int64_t)(i + 1), pat[i] != 'B' && pat[i] != 'S',
			    pat[i] == 'S');
	timeline_series_end(tl);
}

/* ---- stretches of one sequence ---- */

static const struct {
	const char	*pat;		/* every 10 ms from 0 */
	size_t		 n;
	struct tl_interval want[3];
} stretch_cases[] = {
	{ "GGGG", 0, { { 0 } } },
	{ "", 0, { { 0 } } },
	{ "SSS", 0, { { 0 } } },
	{ "GBBG", 1, { { 10, 30, 2, false } } },
	/* the next good run ends it; a bad run at the end stays open */
	{ "BGB", 2, { { 0, 10, 1, false }, { 20, END, 1, true } } },
	/* inconclusive runs neither end nor start a stretch */
	{ "BSG", 1, { { 0, 20, 1, false } } },
	{ "GSBSSG", 1, { { 20, 50, 1, false } } },
	{ "BBSB", 1, { { 0, END, 3, true } } },
	{ "GBGBGBG", 3, { { 10, 20, 1, false }, { 30, 40, 1, false },
	    { 50, 60, 1, false } } },
	/* a gap in the runs does not end it: only a passed run does */
	{ "GB...BG", 1, { { 10, 60, 2, false } } },
};

START_TEST(test_stretches)
{
	struct tl_run v[16];
	struct tl_interval *out;
	size_t n = runs_of(stretch_cases[_i].pat, 0, 10, v);
	size_t k = timeline_stretches(v, n, END, &out);

	ck_assert_msg(k == stretch_cases[_i].n, "%s: %zu stretches, want %zu",
	    stretch_cases[_i].pat, k, stretch_cases[_i].n);
	for (size_t i = 0; i < k; i++) {
		const struct tl_interval *w = &stretch_cases[_i].want[i];

		ck_assert_msg(out[i].from == w->from && out[i].to == w->to &&
		    out[i].bad == w->bad && out[i].open == w->open,
		    "%s #%zu: [%lld, %lld) bad %lld open %d", stretch_cases[_i].pat, i,
		    (long long)out[i].from, (long long)out[i].to, (long long)out[i].bad,
		    out[i].open);
	}
	free(out);
}
END_TEST

/* ---- union ---- */

static const struct {
	const char	*what;
	size_t		 n, nwant;
	struct tl_interval in[4], want[4];
} union_cases[] = {
	{ "empty", 0, 0, { { 0 } }, { { 0 } } },
	{ "overlap", 2, 1, { { 0, 50, 2, false }, { 40, 90, 3, false } },
	  { { 0, 90, 5, false } } },
	{ "touching is one", 2, 1, { { 0, 50, 1, false }, { 50, 60, 1, false } },
	  { { 0, 60, 2, false } } },
	{ "a millisecond apart stays two", 2, 2,
	  { { 0, 50, 1, false }, { 51, 60, 1, false } },
	  { { 0, 50, 1, false }, { 51, 60, 1, false } } },
	{ "unsorted, contained, open", 4, 2,
	  { { 100, END, 1, true }, { 0, 80, 4, false }, { 10, 20, 1, false },
	    { 200, 300, 2, false } },
	  { { 0, 80, 5, false }, { 100, END, 3, true } } },
};

START_TEST(test_union)
{
	struct tl_interval v[4];
	size_t n;

	memcpy(v, union_cases[_i].in, sizeof(v));
	n = timeline_union(v, union_cases[_i].n);
	ck_assert_msg(n == union_cases[_i].nwant, "%s: %zu", union_cases[_i].what, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(memcmp(&v[i], &union_cases[_i].want[i], sizeof(v[i])) == 0 ||
		    (v[i].from == union_cases[_i].want[i].from &&
		    v[i].to == union_cases[_i].want[i].to &&
		    v[i].bad == union_cases[_i].want[i].bad &&
		    v[i].open == union_cases[_i].want[i].open),
		    "%s #%zu: [%lld, %lld) bad %lld", union_cases[_i].what, i,
		    (long long)v[i].from, (long long)v[i].to, (long long)v[i].bad);
}
END_TEST

/* ---- building: regions sorted, series merged per region ---- */

START_TEST(test_build)
{
	struct timeline *tl = timeline_new("web", 0, END);
	const struct tl_intervals *iv;

	/* regions arrive unsorted; two agents in us-east */
	series(tl, MLAYER_EDGE, "us-east", 0, 10, "GBBG");
	series(tl, MLAYER_EDGE, "ap-south", 5, 10, "GGBG");
	series(tl, MLAYER_EDGE, "us-east", 2, 10, "GGBBBG");
	/* runs outside [from, to) are left out */
	series(tl, MLAYER_FRONT_DOOR, "eu-central", END - 10, 10, "GBB");
	timeline_finish(tl);
	timeline_finish(tl);	/* idempotent */
	ck_assert_uint_eq(tl->nregions, 3);
	ck_assert_str_eq(tl->regions[0], "ap-south");
	ck_assert_str_eq(tl->regions[1], "eu-central");
	ck_assert_str_eq(tl->regions[2], "us-east");
	ck_assert_uint_eq(tl->nruns[MLAYER_EDGE], 14);
	ck_assert_uint_eq(tl->nruns[MLAYER_FRONT_DOOR], 1);
	/* sorted by start, the regions remapped */
	for (size_t i = 1; i < tl->nruns[MLAYER_EDGE]; i++)
		ck_assert(tl->runs[MLAYER_EDGE][i - 1].start <=
		    tl->runs[MLAYER_EDGE][i].start);
	ck_assert_uint_eq(tl->runs[MLAYER_EDGE][0].region, 2);	/* us-east at 0 */
	ck_assert_uint_eq(tl->runs[MLAYER_EDGE][2].region, 0);	/* ap-south at 5 */
	/* us-east: [10, 30) and [22, 52) overlap: one interval, 5 bad runs */
	iv = timeline_intervals(tl, MLAYER_EDGE, 2);
	ck_assert_uint_eq(iv->n, 1);
	ck_assert_int_eq(iv->v[0].from, 10);
	ck_assert_int_eq(iv->v[0].to, 52);
	ck_assert_int_eq(iv->v[0].bad, 5);
	iv = timeline_intervals(tl, MLAYER_EDGE, 0);
	ck_assert_uint_eq(iv->n, 1);
	ck_assert_int_eq(iv->v[0].from, 25);
	ck_assert_int_eq(iv->v[0].to, 35);
	/* the front door's only run in the window passed */
	ck_assert_uint_eq(timeline_intervals(tl, MLAYER_FRONT_DOOR, 1)->n, 0);
	ck_assert_uint_eq(timeline_intervals(tl, MLAYER_EDGE, 7)->n, 0);
	ck_assert(timeline_failing_at(tl, MLAYER_EDGE, 2, 10));
	ck_assert(timeline_failing_at(tl, MLAYER_EDGE, 2, 51));
	ck_assert(!timeline_failing_at(tl, MLAYER_EDGE, 2, 52));
	ck_assert(!timeline_failing_at(tl, MLAYER_EDGE, 2, 9));
	timeline_free(tl);
}
END_TEST

/* ---- episodes and the front door during them ---- */

/* One region's patterns: every layer every 100 ms from offset. */
struct lane {
	const char	*region;
	int64_t		 offset;
	const char	*fd, *edge, *central;
};

static const struct {
	const char	*what;
	struct lane	 lanes[3];
	size_t		 nlanes;
	int		 layer;
	size_t		 n;		/* episodes */
	struct {
		int64_t	 from, to;
		bool	 open;
		size_t	 nparts;
		int64_t	 total, fd_total, fd_bad, recovered_at;
	} want[3];
} episode_cases[] = {
	/* the edge down in two regions, overlapping: one episode, each
	 * region's interval kept; the front door kept answering */
	{ "merged, absorbed",
	  { { "a", 0, "GGGGGGGGGG", "GGBBBBGGGG", "GGGGGGGGGG" },
	    { "b", 10, "GGGGGGGGGG", "GGGBBBBBGG", "GGGGGGGGGG" } }, 2,
	  MLAYER_EDGE, 1,
	  { { 201, 811, false, 2, 13, 13, 0, -1 } } },
	/* two failures 400 ms apart stay two episodes */
	{ "two events apart",
	  { { "a", 0, "GGGGGGGGGGGG", "GBBGGGGBBGGG", "GGGGGGGGGGGG" } }, 1,
	  MLAYER_EDGE, 2,
	  { { 101, 301, false, 1, 2, 2, 0, -1 }, { 701, 901, false, 1, 2, 2, 0, -1 } } },
	/* the front door fails once the edge is back: not during it */
	{ "front door fails after",
	  { { "a", 0, "GGGGGBBBGG", "GBBBGGGGGG", "GGGGGGGGGG" } }, 1,
	  MLAYER_EDGE, 1,
	  { { 101, 401, false, 1, 3, 3, 0, -1 } } },
	/* the front door fails during it in the other region, and stays
	 * failing after the origin recovered: recovery at its next pass */
	{ "reached the front door",
	  { { "a", 0, "GGGGGGGGGG", "GBBBGGGGGG", "GGGGGGGGGG" },
	    { "b", 50, "GGGBBBBGGG", "GGGGGGGGGG", "GGGGGGGGGG" } }, 2,
	  MLAYER_EDGE, 1,
	  { { 101, 401, false, 1, 6, 6, 1, 750 } } },
	/* still failing at the end: open, to the timeline's end; the front
	 * door too: not recovered */
	{ "ongoing",
	  { { "a", 0, "GGGGGGGBBB", "GGGGGGBBBB", "GGGGGGGGGG" } }, 1,
	  MLAYER_EDGE, 1,
	  { { 601, END, true, 1, 4, 3, 3, TL_NOT_RECOVERED } } },
	/* an inconclusive run inside does not split it nor count */
	{ "inconclusive",
	  { { "a", 0, "GGGGGGGGGG", "GBBSBGGGGG", "GGGSGGGGGG" } }, 1,
	  MLAYER_EDGE, 1,
	  { { 101, 501, false, 1, 3, 4, 0, -1 } } },
	/* the central origin has its own episodes */
	{ "central",
	  { { "a", 0, "GGGGGGGGGG", "GGGGGGGGGG", "GGGGBBGGGG" } }, 1,
	  MLAYER_CENTRAL, 1,
	  { { 402, 602, false, 1, 2, 2, 0, -1 } } },
	{ "none", { { "a", 0, "GGGG", "GGGG", "GGGG" } }, 1, MLAYER_EDGE, 0, { { 0 } } },
};

static struct timeline *
build_lanes(const struct lane *lanes, size_t n)
{
	struct timeline *tl = timeline_new("web", 0, END);

	for (size_t i = 0; i < n; i++) {
		series(tl, MLAYER_FRONT_DOOR, lanes[i].region, lanes[i].offset, 100,
		    lanes[i].fd);
		series(tl, MLAYER_EDGE, lanes[i].region, lanes[i].offset + 1, 100,
		    lanes[i].edge);
		series(tl, MLAYER_CENTRAL, lanes[i].region, lanes[i].offset + 2, 100,
		    lanes[i].central);
	}
	timeline_finish(tl);
	return tl;
}

START_TEST(test_episodes)
{
	struct timeline *tl = build_lanes(episode_cases[_i].lanes,
	    episode_cases[_i].nlanes);
	struct tl_episode *ev;
	size_t n = timeline_episodes(tl, episode_cases[_i].layer, 0, &ev);
	const char *what = episode_cases[_i].what;

	ck_assert_msg(n == episode_cases[_i].n, "%s: %zu episodes", what, n);
	for (size_t i = 0; i < n; i++) {
		const struct tl_episode *e = &ev[i];
		int64_t wfrom = episode_cases[_i].want[i].from;
		int64_t wto = episode_cases[_i].want[i].to;

		ck_assert_msg(e->iv.from == wfrom && e->iv.to == wto,
		    "%s #%zu: [%lld, %lld), want [%lld, %lld)", what, i,
		    (long long)e->iv.from, (long long)e->iv.to, (long long)wfrom,
		    (long long)wto);
		ck_assert_msg(e->iv.open == episode_cases[_i].want[i].open, "%s open", what);
		ck_assert_msg(e->nparts == episode_cases[_i].want[i].nparts,
		    "%s: %zu parts", what, e->nparts);
		ck_assert_msg(e->total == episode_cases[_i].want[i].total,
		    "%s: total %lld", what, (long long)e->total);
		ck_assert_msg(e->fd_total == episode_cases[_i].want[i].fd_total &&
		    e->fd_bad == episode_cases[_i].want[i].fd_bad,
		    "%s: front door %lld of %lld", what, (long long)e->fd_bad,
		    (long long)e->fd_total);
		ck_assert_msg(e->recovered_at == episode_cases[_i].want[i].recovered_at,
		    "%s: recovered_at %lld", what, (long long)e->recovered_at);
		/* the parts add up to the episode's failed runs and lie in it */
		{
			int64_t bad = 0, fdt = 0;

			for (size_t p = 0; p < e->nparts; p++) {
				bad += e->parts[p].iv.bad;
				ck_assert(e->parts[p].iv.from >= e->iv.from &&
				    e->parts[p].iv.to <= e->iv.to);
			}
			for (size_t r = 0; r < tl->nregions; r++)
				fdt += e->fd_total_r[r];
			ck_assert_int_eq(bad, e->iv.bad);
			ck_assert_int_eq(fdt, e->fd_total);
		}
	}
	timeline_episodes_free(ev, n);
	timeline_free(tl);
}
END_TEST

/* The first case in detail: each region's own interval. */
START_TEST(test_episode_parts)
{
	struct timeline *tl = build_lanes(episode_cases[0].lanes, 2);
	struct tl_episode *ev;
	size_t n = timeline_episodes(tl, MLAYER_EDGE, 300, &ev);

	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ev[0].nparts, 2);
	/* a: edge runs at 1, 101, ...: failing 201..601 */
	ck_assert_uint_eq(ev[0].parts[0].region, 0);
	ck_assert_int_eq(ev[0].parts[0].iv.from, 201);
	ck_assert_int_eq(ev[0].parts[0].iv.to, 601);
	ck_assert_int_eq(ev[0].parts[0].iv.bad, 4);
	/* b: 10 ms later, failing 311..811 */
	ck_assert_uint_eq(ev[0].parts[1].region, 1);
	ck_assert_int_eq(ev[0].parts[1].iv.from, 311);
	ck_assert_int_eq(ev[0].parts[1].iv.to, 811);
	ck_assert_int_eq(ev[0].parts[1].iv.bad, 5);
	/* the front door's passed runs during it and in the 300 ms before,
	 * ascending; a pattern's i-th run took (i + 1) ms */
	ck_assert_uint_eq(ev[0].nfd_us, 13);
	for (size_t i = 1; i < ev[0].nfd_us; i++)
		ck_assert(ev[0].fd_us[i - 1] <= ev[0].fd_us[i]);
	ck_assert_uint_eq(ev[0].nbase_us, 5);	/* a: 0, 100, 200; b: 10, 110 */
	timeline_episodes_free(ev, n);
	timeline_free(tl);
}
END_TEST

/* ---- blame ---- */

static const struct {
	const char	*what;
	struct lane	 lanes[2];
	size_t		 nlanes;
	int64_t		 counts[TL_CAUSE_COUNT];
} blame_cases[] = {
	{ "the front door alone",
	  { { "a", 0, "GBBG", "GGGG", "GGGG" } }, 1, { 2, 0, 0, 0 } },
	/* the edge runs 1 ms after the front door: a front-door failure
	 * before the edge's first failed run is the front door's own */
	{ "edge failing",
	  { { "a", 0, "GBBBG", "GBBBG", "GGGGG" } }, 1, { 1, 2, 0, 0 } },
	{ "central failing",
	  { { "a", 0, "GGBBG", "GGGGG", "GBBBB" } }, 1, { 0, 0, 2, 0 } },
	{ "both origins",
	  { { "a", 0, "GGBBG", "GBBBG", "GBBBG" } }, 1, { 0, 0, 0, 2 } },
	/* the origin fails in another region only: not to blame */
	{ "other region",
	  { { "a", 0, "GGBBG", "GGGGG", "GGGGG" },
	    { "b", 0, "GGGGG", "GBBBG", "GBBBG" } }, 2, { 2, 0, 0, 0 } },
	/* the front door fails 4 runs after the edge is back */
	{ "after the edge recovered",
	  { { "a", 0, "GGGGGGGBBG", "GBBGGGGGGG", "GGGGGGGGGG" } }, 1, { 2, 0, 0, 0 } },
	/* inconclusive front-door runs are not failures */
	{ "inconclusive",
	  { { "a", 0, "GSSBG", "GBBBG", "GGGGG" } }, 1, { 0, 1, 0, 0 } },
};

START_TEST(test_blame)
{
	struct timeline *tl = build_lanes(blame_cases[_i].lanes, blame_cases[_i].nlanes);
	struct tl_blame *b;
	size_t n = timeline_blame(tl, 0, END, &b);
	int64_t counts[TL_CAUSE_COUNT] = { 0 }, total = 0;

	for (size_t i = 0; i < n; i++) {
		counts[b[i].cause]++;
		if (i > 0)
			ck_assert(b[i - 1].at <= b[i].at);
	}
	for (int c = 0; c < TL_CAUSE_COUNT; c++) {
		ck_assert_msg(counts[c] == blame_cases[_i].counts[c], "%s: %s %lld, want "
		    "%lld", blame_cases[_i].what, timeline_cause_name((enum tl_cause)c),
		    (long long)counts[c], (long long)blame_cases[_i].counts[c]);
		total += counts[c];
	}
	ck_assert_int_eq(total, (int64_t)n);
	free(b);
	timeline_free(tl);
}
END_TEST

/* The boundaries: a front-door run that starts exactly when the origin's
 * first failed run starts is blamed on it; one that starts exactly when
 * its first passed run starts is not. Only runs in [from, to) count. */
START_TEST(test_blame_edges)
{
	struct timeline *tl = timeline_new("web", 0, END);
	struct tl_blame *b;
	size_t n;

	series(tl, MLAYER_EDGE, "a", 100, 100, "BBG");		/* failing [100, 300) */
	series(tl, MLAYER_FRONT_DOOR, "a", 100, 200, "BBG");	/* 100, 300 fail */
	timeline_finish(tl);
	n = timeline_blame(tl, 0, END, &b);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(b[0].at, 100);
	ck_assert_int_eq(b[0].cause, TL_CAUSE_EDGE);
	ck_assert_int_eq(b[1].at, 300);
	ck_assert_int_eq(b[1].cause, TL_CAUSE_FRONT_DOOR);
	free(b);
	n = timeline_blame(tl, 101, 300, &b);
	ck_assert_uint_eq(n, 0);
	free(b);
	ck_assert_str_eq(timeline_cause_name(TL_CAUSE_BOTH), "all");
	timeline_free(tl);
}
END_TEST

/* ---- the first failure around a moment ---- */

static const struct {
	const char	*what;
	struct lane	 lanes[2];
	size_t		 nlanes;
	int64_t		 at, lookback, ahead;
	unsigned	 layers;
	int64_t		 first;
} first_cases[] = {
	/* the central origin fails first; the spell holds at */
	{ "holds at", { { "a", 0, "GGGBBBG", "GGGGGGG", "GBBBBBG" } }, 1,
	  450, 1000, 100, 1u << MLAYER_CENTRAL, 102 },
	/* the front door fails first in another region */
	{ "other region first", { { "a", 0, "GGGGGGG", "GGBBBBG", "GGGGGGG" },
	  { "b", 0, "GBBGGGG", "GGGGGGG", "GGGGGGG" } }, 2,
	  450, 1000, 100, 1u << MLAYER_FRONT_DOOR, 100 },
	/* a spell over before at, within the look-back */
	{ "ended before", { { "a", 0, "GBBGGGGGG", "GGGGGGGGG", "GGGGGGGGG" } }, 1,
	  800, 600, 100, 1u << MLAYER_FRONT_DOOR, 100 },
	{ "ended too long before", { { "a", 0, "GBBGGGGGG", "GGGGGGGGG",
	  "GGGGGGGGG" } }, 1, 800, 400, 100, 0, -1 },
	/* none yet at at, one starts just after */
	{ "starts after", { { "a", 0, "GGGGGBBG", "GGGGGGGG", "GGGGGGGG" } }, 1,
	  450, 1000, 100, 1u << MLAYER_FRONT_DOOR, 500 },
	{ "starts too late", { { "a", 0, "GGGGGBBG", "GGGGGGGG", "GGGGGGGG" } }, 1,
	  350, 1000, 100, 0, -1 },
	{ "nothing", { { "a", 0, "GGGG", "GGGG", "GGGG" } }, 1, 200, 1000, 1000, 0, -1 },
};

START_TEST(test_first_failure)
{
	struct timeline *tl = build_lanes(first_cases[_i].lanes, first_cases[_i].nlanes);
	int64_t first;
	unsigned layers = timeline_first_failure(tl, first_cases[_i].at,
	    first_cases[_i].lookback, first_cases[_i].ahead, &first);

	ck_assert_msg(layers == first_cases[_i].layers && first == first_cases[_i].first,
	    "%s: layers %#x at %lld", first_cases[_i].what, layers, (long long)first);
	timeline_free(tl);
}
END_TEST

/* Layers failing at the same moment are named together. */
START_TEST(test_first_failure_tie)
{
	struct timeline *tl = timeline_new("web", 0, END);
	int64_t first;

	series(tl, MLAYER_EDGE, "a", 0, 100, "GBBG");
	series(tl, MLAYER_CENTRAL, "b", 0, 100, "GBG");
	series(tl, MLAYER_FRONT_DOOR, "a", 50, 100, "GBBBG");
	timeline_finish(tl);
	ck_assert_uint_eq(timeline_first_failure(tl, 250, 0, 0, &first),
	    (1u << MLAYER_EDGE) | (1u << MLAYER_CENTRAL));
	ck_assert_int_eq(first, 100);
	timeline_free(tl);
}
END_TEST

/* ---- the longest bad stretch of a group ---- */

static const struct {
	const char	*pat;		/* the group's runs, every 10 ms */
	bool		 any;
	struct tl_interval want;
} longest_cases[] = {
	{ "GGGG", false, { 0 } },
	{ "GBBGBBBG", true, { 40, 70, 3, false } },
	/* equals: the earlier */
	{ "GBBGBBG", true, { 10, 30, 2, false } },
	{ "GBGSBBB", true, { 40, END, 3, true } },
	{ "BSSSSG", true, { 0, 50, 1, false } },
};

START_TEST(test_longest)
{
	struct tl_run v[16];
	struct tl_interval out;
	size_t n = runs_of(longest_cases[_i].pat, 0, 10, v);
	bool any = timeline_longest(v, n, END, &out);

	ck_assert_msg(any == longest_cases[_i].any, "%s", longest_cases[_i].pat);
	if (!any)
		return;
	ck_assert_msg(out.from == longest_cases[_i].want.from &&
	    out.to == longest_cases[_i].want.to && out.bad == longest_cases[_i].want.bad &&
	    out.open == longest_cases[_i].want.open, "%s: [%lld, %lld) bad %lld",
	    longest_cases[_i].pat, (long long)out.from, (long long)out.to,
	    (long long)out.bad);
}
END_TEST

START_TEST(test_quantile)
{
	const int64_t us[5] = { 1000, 2000, 3000, 4000, 100000 };

	ck_assert(isnan(timeline_quantile_ms(us, 0, 0.5)));
	ck_assert(timeline_quantile_ms(us, 5, 0.5) == 3.0);
	ck_assert(timeline_quantile_ms(us, 5, 0.95) == 100.0);
	ck_assert(timeline_quantile_ms(us, 5, 0.0) == 1.0);
	ck_assert(timeline_quantile_ms(us, 4, 0.5) == 2.0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("timeline");
	TCase *tc = tcase_create("timeline");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_stretches, 0,
	    (int)(sizeof(stretch_cases) / sizeof(stretch_cases[0])));
	tcase_add_loop_test(tc, test_union, 0,
	    (int)(sizeof(union_cases) / sizeof(union_cases[0])));
	tcase_add_test(tc, test_build);
	tcase_add_loop_test(tc, test_episodes, 0,
	    (int)(sizeof(episode_cases) / sizeof(episode_cases[0])));
	tcase_add_test(tc, test_episode_parts);
	tcase_add_loop_test(tc, test_blame, 0,
	    (int)(sizeof(blame_cases) / sizeof(blame_cases[0])));
	tcase_add_test(tc, test_blame_edges);
	tcase_add_loop_test(tc, test_first_failure, 0,
	    (int)(sizeof(first_cases) / sizeof(first_cases[0])));
	tcase_add_test(tc, test_first_failure_tie);
	tcase_add_loop_test(tc, test_longest, 0,
	    (int)(sizeof(longest_cases) / sizeof(longest_cases[0])));
	tcase_add_test(tc, test_quantile);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
