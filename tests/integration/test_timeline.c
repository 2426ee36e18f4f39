/* test_timeline: vantage-report's per-run timelines end to end. For each
 * scripted outage of tests/integration/scenario.h the test builds a
 * collector DB through the real store (record_parse and store_ingest, one
 * agent per region), runs the real report/vantage-report (failover,
 * attribution, incidents, slo) with --format json, and checks every
 * episode (count, start, end to the millisecond, each region's interval,
 * absorbed or not, the front door's failures and recovery), the blame of
 * every failed front-door run, the longest bad stretch and the first
 * failing layer of an incident, each against a recount the test makes
 * itself from scenario_runs() on a millisecond grid (not with
 * core/timeline.c). Then the fallback: raw results pruned, the part of a
 * window before the oldest one kept comes from minute rollups and says so. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "record.h"
#include "scenario.h"
#include "spawn.h"
#include "store.h"
#include "store_alerts.h"

#define RUN_MS		30000		/* one report run, at most */
#define BASE_MS		1793613600000LL	/* 2026-11-02T10:00:00Z */
#define DAY_MS		86400000LL
#define SLO_NAME	"web-front-door"

enum { FD = 0, EDGE = 1, CENTRAL = 2 };

static struct {
	char	dir[PATH_MAX / 2];
	char	conf[PATH_MAX];
	int	nruns;
} T;

static const char *
report_path(void)
{
	const char *p = getenv("VANTAGE_REPORT");

	return p && *p ? p : "report/vantage-report";
}

#define setup_msg(c, ...) do {						\
	if (!(c)) {							\
		fprintf(stderr, "test_timeline: setup: " __VA_ARGS__);	\
		fputc('\n', stderr);					\
		exit(99);						\
	}								\
} while (0)

/* ---- the DB ---- */

/* Store the runs of sc started at base, each region's through its agent,
 * sequence numbers from seq0. */
static void
ingest(struct store *st, const struct scenario *sc, int64_t base, int64_t seq0)
{
	size_t n;
	struct scen_run *runs = scenario_runs(sc, &n);
	char err[512];

	for (int r = 0; r < SCEN_NREGIONS; r++) {
		struct agent_report rep = { scen_agents[r], scen_regions[r], "vm", "0.1.0",
			0, 0 };
		struct record *recs = calloc(n, sizeof(*recs));
		json_t **js = calloc(n, sizeof(*js));
		bool *stored = calloc(n, sizeof(*stored));
		size_t k = 0;

		setup_msg(recs && js && stored, "out of memory");
		for (size_t i = 0; i < n; i++) {
			if (runs[i].region != r)
				continue;
			js[k] = scenario_record(&runs[i], base, seq0 + (int64_t)k);
			setup_msg(js[k] != NULL, "scenario_record");
			setup_msg(record_parse(js[k], scen_agents[r], scen_regions[r],
			    INT64_MAX, &recs[k], err, sizeof(err)) == 0,
			    "record_parse: %s", err);
			k++;
		}
		for (size_t off = 0; off < k; off += 500) {
			size_t m = k - off < 500 ? k - off : 500;

			setup_msg(store_ingest(st, &rep, recs + off, m, stored + off, 5000,
			    err, sizeof(err)) == 0, "store_ingest: %s", err);
		}
		for (size_t i = 0; i < k; i++) {
			setup_msg(stored[i], "%s: run %zu of %s not stored", sc->name, i,
			    scen_agents[r]);
			record_clear(&recs[i]);
			json_decref(js[i]);
		}
		free(recs);
		free(js);
		free(stored);
	}
	free(runs);
}

/* ---- the recount: every layer in every region on a millisecond grid ---- */

struct ref {
	const struct scenario	*sc;
	struct scen_run		*runs;
	size_t			 n;
	int64_t			 len;
	/* fail[l][r][t]: layer l is failing in region r at t ms: from a
	 * failed run's start to the next passed run's (to the end if none) */
	unsigned char		*fail[SCEN_NLAYERS][SCEN_NREGIONS];
};

static void
ref_build(struct ref *f, const struct scenario *sc)
{
	memset(f, 0, sizeof(*f));
	f->sc = sc;
	f->len = sc->length_ms;
	f->runs = scenario_runs(sc, &f->n);
	for (int l = 0; l < SCEN_NLAYERS; l++)
		for (int r = 0; r < SCEN_NREGIONS; r++) {
			int64_t start = -1;

			f->fail[l][r] = calloc((size_t)f->len + 1, 1);
			ck_assert(f->fail[l][r] != NULL);
			for (size_t i = 0; i < f->n; i++) {
				const struct scen_run *x = &f->runs[i];

				if (x->layer != l || x->region != r)
					continue;
				if (!x->ok && start < 0)
					start = x->t_ms;
				else if (x->ok && start >= 0) {
					memset(f->fail[l][r] + start, 1, (size_t)(x->t_ms - start));
					start = -1;
				}
			}
			if (start >= 0)
				memset(f->fail[l][r] + start, 1, (size_t)(f->len - start));
		}
}

static void
ref_free(struct ref *f)
{
	for (int l = 0; l < SCEN_NLAYERS; l++)
		for (int r = 0; r < SCEN_NREGIONS; r++)
			free(f->fail[l][r]);
	free(f->runs);
}

static bool
any_region(const struct ref *f, int l, int64_t t)
{
	for (int r = 0; r < SCEN_NREGIONS; r++)
		if (f->fail[l][r][t])
			return true;
	return false;
}

/* The end of region r's failing stretch of layer l that holds t (len:
 * still failing at the end). */
static int64_t
stretch_end(const struct ref *f, int l, int r, int64_t t)
{
	while (t < f->len && f->fail[l][r][t])
		t++;
	return t;
}

/* ---- running the report ---- */

static char *
fmt_time(int64_t ms, char *out, size_t outlen)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (int)(ms % 1000));
	return out;
}

/* Run vantage-report with the NULL-terminated arguments; its stdout (caller
 * frees), exit status 0 asserted. */
static char *
run_report(const char *first, ...)
{
	char *argv[32], tag[32];
	struct spawn p;
	const char *a;
	char *out, *err;
	va_list ap;
	int n = 0, code;

	argv[n++] = (char *)(uintptr_t)report_path();
	va_start(ap, first);
	for (a = first; a != NULL && n < 31; a = va_arg(ap, const char *))
		argv[n++] = (char *)(uintptr_t)a;
	va_end(ap);
	argv[n] = NULL;
	snprintf(tag, sizeof(tag), "report-%d-%d", (int)getpid(), ++T.nruns);
	ck_assert_msg(spawn_start(&p, T.dir, tag, argv) == 0, "cannot start %s", argv[0]);
	if (spawn_wait(&p, RUN_MS) < 0) {
		spawn_dump(&p, "vantage-report hung");
		ck_abort_msg("vantage-report did not finish within %d ms", RUN_MS);
	}
	code = spawn_exit_code(&p);
	out = spawn_read_file(p.out_path, NULL);
	err = spawn_read_file(p.err_path, NULL);
	ck_assert(out != NULL && err != NULL);
	if (code != 0 || strstr(err, "Sanitizer") || strstr(err, "runtime error:")) {
		spawn_dump(&p, "vantage-report failed");
		ck_abort_msg("vantage-report %s: exit %d: %s", first, code, err);
	}
	unlink(p.out_path);
	unlink(p.err_path);
	free(err);
	return out;
}

/* The JSON of view over [from, to) of db (extra arguments up to NULL). */
static json_t *
report_json(const char *db, const char *view, int64_t from, int64_t to,
    const char *a1, const char *a2)
{
	char f[64], t[64], now[64], fa[80], ta[80], na[80];
	json_error_t e;
	char *out;
	json_t *doc;

	snprintf(fa, sizeof(fa), "--from=%s", fmt_time(from, f, sizeof(f)));
	snprintf(ta, sizeof(ta), "--to=%s", fmt_time(to, t, sizeof(t)));
	snprintf(na, sizeof(na), "--now=%s", fmt_time(to, now, sizeof(now)));
	out = run_report(view, "--db", db, "-c", T.conf, fa, ta, na, "--format", "json",
	    a1, a2, (char *)NULL);
	doc = json_loads(out, 0, &e);
	ck_assert_msg(doc != NULL, "%s: not JSON: %s", view, e.text);
	free(out);
	return doc;
}

#define IV(o, k)	json_integer_value(json_object_get((o), (k)))
#define SV(o, k)	json_string_value(json_object_get((o), (k)))

static json_t *
find_by(json_t *arr, const char *key, const char *value)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o)
		if (json_is_string(json_object_get(o, key)) &&
		    strcmp(json_string_value(json_object_get(o, key)), value) == 0)
			return o;
	return NULL;
}

/* ---- one scenario's DB and the incident on its front door ---- */

/* When a check_down rule with failures 3 would open an incident on the
 * scenario's front door (the third failed run of its first failure of
 * the 3rd stretch for the flapping one), ms after the start; -1 none. */
static int64_t
incident_at(const struct ref *f)
{
	int64_t skip = strcmp(f->sc->name, "front-flapping") == 0 ? 2 : 0;
	int64_t was = 0;

	if (strcmp(f->sc->name, "blip-one-region") == 0)
		return -1;
	for (int64_t t = 0; t < f->len; t++) {
		int64_t now = any_region(f, FD, t);

		if (now && !was && skip-- == 0)
			return t + 2 * f->sc->interval_ms;
		was = now;
	}
	return -1;
}

static const char cause_regions[] =
    "[{\"region\":\"ap-south\",\"line\":\"ap-south: front door failing (3 of 3 runs), "
    "edge healthy, central healthy\"}]";

/* The scenario's DB at dir/<name>.db, with the front door's incident. */
static void
build_db(const struct ref *f, char *path, size_t pathlen)
{
	struct store *st;
	struct store_tx *tx;
	struct incident_row v;
	int64_t at = incident_at(f), id;
	char err[512];

	snprintf(path, pathlen, "%s/%s.db", T.dir, f->sc->name);
	unlink(path);
	st = store_open(path, 1, err, sizeof(err));
	ck_assert_msg(st != NULL, "store_open: %s", err);
	ingest(st, f->sc, BASE_MS, 1);
	if (at >= 0) {
		memset(&v, 0, sizeof(v));
		v.rule = "web-front-down";
		v.rule_type = "check_down";
		v.target = "web-front";
		v.severity = "page";
		v.title = v.summary = "web-front failing in 3 regions";
		v.context = "front door failing, origins healthy: CDN problem";
		v.service = SCEN_SERVICE;
		v.layer = "front_door";
		v.check = "web-front";
		v.regions = "[\"ap-south\",\"eu-central\",\"us-east\"]";
		tx = store_tx_begin(st, err, sizeof(err));
		ck_assert_msg(tx != NULL, "store_tx_begin: %s", err);
		ck_assert_msg(store_tx_incident_open(tx, &v, BASE_MS + at, &id, err,
		    sizeof(err)) == 0, "store_tx_incident_open: %s", err);
		ck_assert_msg(store_tx_incident_cause(tx, id, BASE_MS + at, v.context,
		    cause_regions, err, sizeof(err)) == 0, "store_tx_incident_cause: %s",
		    err);
		ck_assert_msg(store_tx_commit(tx, err, sizeof(err)) == 0, "commit: %s", err);
	}
	store_close(st);
}

/* ---- failover ---- */

struct episode {
	int64_t	from, to, fd_total, fd_bad, recovered;	/* recovered -1 none, len not */
	int	layer, nparts;
	int64_t	pfrom[8], pto[8];
	int	pregion[8];
};

/* The episodes of both origins, by start then layer. */
static size_t
ref_episodes(const struct ref *f, struct episode *out, size_t max)
{
	size_t n = 0;

	for (int64_t t = 0; t < f->len; t++)
		for (int l = EDGE; l <= CENTRAL; l++) {
			struct episode *e;
			int64_t u;

			if (!any_region(f, l, t) || (t > 0 && any_region(f, l, t - 1)))
				continue;
			ck_assert(n < max);
			e = &out[n++];
			memset(e, 0, sizeof(*e));
			e->layer = l;
			e->from = t;
			for (u = t; u < f->len && any_region(f, l, u); u++)
				;
			e->to = u;
			/* each region's intervals within it */
			for (int r = 0; r < SCEN_NREGIONS; r++)
				for (int64_t s = e->from; s < e->to; s++)
					if (f->fail[l][r][s] && (s == e->from ||
					    !f->fail[l][r][s - 1])) {
						ck_assert(e->nparts < 8);
						e->pregion[e->nparts] = r;
						e->pfrom[e->nparts] = s;
						e->pto[e->nparts] = stretch_end(f, l, r, s);
						e->nparts++;
					}
			/* the front door's runs that started in it */
			e->recovered = -1;
			for (size_t i = 0; i < f->n; i++) {
				const struct scen_run *x = &f->runs[i];
				int64_t end;

				if (x->layer != FD || x->t_ms < e->from || x->t_ms >= e->to)
					continue;
				e->fd_total++;
				if (x->ok)
					continue;
				e->fd_bad++;
				end = stretch_end(f, FD, x->region, x->t_ms);
				if (end > e->recovered)
					e->recovered = end;
			}
		}
	return n;
}

static void
check_failover(const struct ref *f, const char *db, struct episode *want, size_t nwant)
{
	json_t *doc = report_json(db, "failover", BASE_MS, BASE_MS + f->len, NULL, NULL);
	json_t *eps = json_object_get(doc, "episodes");
	const char *name = f->sc->name;

	ck_assert_str_eq(SV(doc, "resolution"), "run");
	ck_assert_msg(json_array_size(eps) == nwant, "%s: %zu episodes, want %zu",
	    name, json_array_size(eps), nwant);
	for (size_t i = 0; i < nwant; i++) {
		json_t *e = json_array_get(eps, i), *fd = json_object_get(e, "front_door");
		const struct episode *w = &want[i];
		bool open = w->to == f->len;

		ck_assert_str_eq(SV(e, "origin"), w->layer == EDGE ? "edge" : "central");
		ck_assert_str_eq(SV(e, "resolution"), "run");
		ck_assert_msg(IV(e, "from") == BASE_MS + w->from && IV(e, "to") ==
		    BASE_MS + w->to, "%s #%zu: [%lld, %lld), want [%lld, %lld)", name, i,
		    (long long)(IV(e, "from") - BASE_MS), (long long)(IV(e, "to") - BASE_MS),
		    (long long)w->from, (long long)w->to);
		ck_assert_int_eq(IV(e, "duration_ms"), w->to - w->from);
		ck_assert(json_is_boolean(json_object_get(e, "ongoing")) &&
		    json_is_true(json_object_get(e, "ongoing")) == open);
		ck_assert_int_eq(json_array_size(json_object_get(e, "regions")),
		    (size_t)w->nparts);
		for (int p = 0; p < w->nparts; p++) {
			json_t *rp = json_array_get(json_object_get(e, "regions"), (size_t)p);
			bool seen = false;
			size_t k;
			json_t *q;

			/* in the report's order (by start, then region) */
			json_array_foreach(json_object_get(e, "regions"), k, q)
				if (strcmp(SV(q, "region"), scen_regions[w->pregion[p]]) == 0 &&
				    IV(q, "from") == BASE_MS + w->pfrom[p] &&
				    IV(q, "to") == BASE_MS + w->pto[p])
					seen = true;
			ck_assert_msg(seen && rp != NULL, "%s #%zu: no interval %s [%lld, "
			    "%lld)", name, i, scen_regions[w->pregion[p]],
			    (long long)w->pfrom[p], (long long)w->pto[p]);
		}
		ck_assert_msg(IV(fd, "total") == w->fd_total && IV(fd, "bad") == w->fd_bad,
		    "%s #%zu: front door %lld of %lld failed, want %lld of %lld", name, i,
		    (long long)IV(fd, "bad"), (long long)IV(fd, "total"),
		    (long long)w->fd_bad, (long long)w->fd_total);
		ck_assert(json_is_true(json_object_get(e, "absorbed")) == (w->fd_bad == 0));
		if (w->recovered < 0 || w->recovered >= f->len)
			ck_assert(json_is_null(json_object_get(e, "recovered_at")));
		else {
			ck_assert_int_eq(IV(e, "recovered_at"), BASE_MS + w->recovered);
			ck_assert_int_eq(IV(e, "time_to_recovery_ms"), w->recovered - w->from);
		}
	}
	json_decref(doc);
}

/* ---- attribution ---- */

static void
check_attribution(const struct ref *f, const char *db, int64_t *want)
{
	json_t *doc = report_json(db, "attribution", BASE_MS, BASE_MS + f->len, NULL,
	    NULL);
	json_t *svc = json_array_get(json_object_get(doc, "services"), 0), *o;
	static const char *const names[4] = { "front_door", "edge", "central", "all" };
	int64_t bad = 0, fd_total = 0, got[4] = { 0 };
	size_t i;

	memset(want, 0, 4 * sizeof(*want));
	for (i = 0; i < f->n; i++) {
		const struct scen_run *x = &f->runs[i];
		bool e, c;

		if (x->layer != FD)
			continue;
		fd_total++;
		if (x->ok)
			continue;
		bad++;
		e = f->fail[EDGE][x->region][x->t_ms];
		c = f->fail[CENTRAL][x->region][x->t_ms];
		want[e && c ? 3 : e ? 1 : c ? 2 : 0]++;
	}
	ck_assert_str_eq(SV(doc, "resolution"), "run");
	ck_assert(svc != NULL);
	ck_assert_str_eq(SV(svc, "service"), SCEN_SERVICE);
	ck_assert_int_eq(IV(svc, "bad"), bad);
	ck_assert_int_eq(IV(svc, "front_door_total"), fd_total);
	for (int c = 0; c < 4; c++) {
		json_t *co = find_by(json_object_get(svc, "causes"), "cause", names[c]);

		ck_assert_msg(co != NULL && IV(co, "bad") == want[c], "%s: %s %lld, want "
		    "%lld", f->sc->name, names[c], (long long)IV(co, "bad"),
		    (long long)want[c]);
		/* the budget of 99.5 % of the front door's runs (the JSON has 10
		 * significant digits) */
		ck_assert(fabs(json_number_value(json_object_get(co, "budget_share")) -
		    (double)want[c] / (0.005 * (double)fd_total)) <= 1e-8 *
		    fmax(1, (double)want[c] / (0.005 * (double)fd_total)));
	}
	/* run by run */
	ck_assert_int_eq(json_array_size(json_object_get(svc, "runs")), (size_t)bad);
	json_array_foreach(json_object_get(svc, "runs"), i, o)
		for (int c = 0; c < 4; c++)
			got[c] += strcmp(SV(o, "cause"), names[c]) == 0;
	for (int c = 0; c < 4; c++)
		ck_assert_int_eq(got[c], want[c]);
	json_decref(doc);
}

/* ---- the longest bad stretch ---- */

/* The longest run of consecutive failed front-door runs (of region r, or
 * every region: r < 0), from the first one's start to the next passed
 * run's start; *from -1 when none failed. */
static void
ref_longest(const struct ref *f, int r, int64_t *from, int64_t *to, int64_t *bad)
{
	int64_t s = -1, k = 0;

	*from = -1;
	*to = *bad = 0;
	for (size_t i = 0; i <= f->n; i++) {
		const struct scen_run *x = i < f->n ? &f->runs[i] : NULL;
		int64_t end;

		if (x && (x->layer != FD || (r >= 0 && x->region != r)))
			continue;
		if (x && !x->ok) {
			if (s < 0) {
				s = x->t_ms;
				k = 0;
			}
			k++;
			continue;
		}
		if (s < 0)
			continue;
		end = x ? x->t_ms : f->len;
		if (*from < 0 || end - s > *to - *from) {
			*from = s;
			*to = end;
			*bad = k;
		}
		s = -1;
	}
}

static void
check_stretch(const char *what, json_t *st, int64_t from, int64_t to, int64_t bad)
{
	if (from < 0) {
		ck_assert_msg(json_is_null(st), "%s: a stretch, want none", what);
		return;
	}
	ck_assert_msg(json_is_object(st), "%s: no stretch", what);
	ck_assert_msg(IV(st, "from") == BASE_MS + from && IV(st, "to") == BASE_MS + to &&
	    IV(st, "bad") == bad, "%s: [%lld, %lld) bad %lld, want [%lld, %lld) bad %lld",
	    what, (long long)(IV(st, "from") - BASE_MS),
	    (long long)(IV(st, "to") - BASE_MS), (long long)IV(st, "bad"),
	    (long long)from, (long long)to, (long long)bad);
	ck_assert_int_eq(IV(st, "duration_ms"), to - from);
	ck_assert_str_eq(SV(st, "resolution"), "run");
}

static void
check_slo(const struct ref *f, const char *db)
{
	json_t *doc = report_json(db, "slo", BASE_MS, BASE_MS + f->len, "--by",
	    "region");
	json_t *slo = find_by(json_object_get(doc, "slos"), "name", SLO_NAME), *g;
	int64_t from, to, bad;
	char what[128];

	ck_assert(slo != NULL);
	ck_assert_str_eq(SV(doc, "resolution"), "run");
	ref_longest(f, -1, &from, &to, &bad);
	snprintf(what, sizeof(what), "%s: %s", f->sc->name, SLO_NAME);
	check_stretch(what, json_object_get(slo, "longest_bad_stretch"), from, to, bad);
	for (int r = 0; r < SCEN_NREGIONS; r++) {
		g = find_by(json_object_get(json_object_get(slo, "by"), "groups"), "key",
		    scen_regions[r]);
		ck_assert(g != NULL);
		ref_longest(f, r, &from, &to, &bad);
		snprintf(what, sizeof(what), "%s: %s region %s", f->sc->name, SLO_NAME,
		    scen_regions[r]);
		check_stretch(what, json_object_get(g, "longest_bad_stretch"), from, to,
		    bad);
	}
	json_decref(doc);
}

/* ---- incidents ---- */

static void
check_incident(const struct ref *f, const char *db)
{
	json_t *doc = report_json(db, "incidents", BASE_MS, BASE_MS + f->len, NULL,
	    NULL);
	json_t *inc = json_array_get(json_object_get(doc, "incidents"), 0), *c;
	int64_t at = incident_at(f), s, e;
	unsigned layers = 0;
	char label[64] = "";

	if (at < 0) {
		ck_assert_int_eq(json_array_size(json_object_get(doc, "incidents")), 0);
		json_decref(doc);
		return;
	}
	ck_assert(inc != NULL);
	/* the spell of failures (any layer, any region) holding the moment it
	 * opened, and the layers whose failure starts it */
	for (s = at; s > 0 && (any_region(f, FD, s - 1) || any_region(f, EDGE, s - 1) ||
	    any_region(f, CENTRAL, s - 1)); s--)
		;
	for (e = at; e < f->len && (any_region(f, FD, e) || any_region(f, EDGE, e) ||
	    any_region(f, CENTRAL, e)); e++)
		;
	ck_assert(s < at && e > at);
	for (int l = 0; l < SCEN_NLAYERS; l++)
		if (any_region(f, l, s))
			layers |= 1u << l;
	if (layers & ~1u)
		layers &= ~1u;	/* an origin with the front door: the origin */
	for (int l = 0; l < SCEN_NLAYERS; l++)
		if (layers & (1u << l))
			snprintf(label + strlen(label), sizeof(label) - strlen(label), "%s%s",
			    label[0] ? "+" : "", scen_layers[l]);
	ck_assert_msg(strcmp(SV(inc, "first_failing_layer"), label) == 0,
	    "%s: first failing layer %s, want %s", f->sc->name,
	    SV(inc, "first_failing_layer"), label);
	ck_assert_int_eq(IV(inc, "first_failure_at"), BASE_MS + s);
	ck_assert_str_eq(SV(inc, "resolution"), "run");
	/* the cause history as the alerter stored it */
	ck_assert_int_eq(json_array_size(json_object_get(inc, "causes")), 1);
	c = json_array_get(json_object_get(inc, "causes"), 0);
	ck_assert_int_eq(IV(c, "at"), BASE_MS + at);
	ck_assert_str_eq(SV(c, "cause"), "front door failing, origins healthy: CDN "
	    "problem");
	ck_assert_str_eq(SV(json_array_get(json_object_get(c, "regions"), 0), "region"),
	    "ap-south");
	json_decref(doc);
}

/* ---- the tests ---- */

START_TEST(test_scenario)
{
	const struct scenario *sc = &scenarios[_i];
	struct episode eps[16];
	struct ref f;
	size_t neps;
	int64_t blame[4];
	char db[PATH_MAX + 64];

	ref_build(&f, sc);
	build_db(&f, db, sizeof(db));
	neps = ref_episodes(&f, eps, 16);
	check_failover(&f, db, eps, neps);
	check_attribution(&f, db, blame);
	check_slo(&f, db);
	check_incident(&f, db);
	/* the case of issue 13: the edge down 60 s, absorbed; the front door
	 * failing 4 s after it recovered, blamed on itself */
	if (strcmp(sc->name, "edge-then-front") == 0) {
		ck_assert_uint_eq(neps, 1);
		ck_assert_int_eq(eps[0].layer, EDGE);
		ck_assert(eps[0].to - eps[0].from >= 59000 && eps[0].to - eps[0].from <=
		    61000);
		ck_assert_int_eq(eps[0].fd_bad, 0);
		ck_assert_int_eq(blame[1], 0);
		ck_assert_int_gt(blame[0], 0);
		ck_assert_int_eq(blame[2] + blame[3], 0);
	} else if (strcmp(sc->name, "origins-down") == 0) {
		/* both origins down where the front door failed */
		ck_assert_uint_eq(neps, 2);
		ck_assert_int_gt(blame[3], 0);
		ck_assert_int_eq(blame[0] + blame[1] + blame[2], 0);
		ck_assert_int_gt(eps[0].fd_bad, 0);
	} else if (strcmp(sc->name, "front-flapping") == 0) {
		ck_assert_uint_eq(neps, 0);
		ck_assert_int_eq(blame[1] + blame[2] + blame[3], 0);
	} else if (strcmp(sc->name, "blip-one-region") == 0) {
		ck_assert_uint_eq(neps, 0);
		ck_assert_int_eq(blame[0], 1);
	}
	ref_free(&f);
}
END_TEST

/* The fallback: the same outage two days apart, and the raw results of
 * the older one pruned (raw kept 1 day): a window over it comes from the
 * minute rollups and says so; one over both is at run resolution from
 * the newer one on. */
START_TEST(test_minute_fallback)
{
	const struct scenario *sc = &scenarios[0];	/* edge-then-front */
	int64_t old = BASE_MS - 2 * DAY_MS, removed, len = sc->length_ms;
	char db[PATH_MAX + 64], err[512], f[64], t[64], fa[80], ta[80], na[80];
	struct store *st;
	json_t *doc, *eps, *e;
	char *out;
	size_t i;
	int minute = 0, run = 0;

	snprintf(db, sizeof(db), "%s/fallback.db", T.dir);
	unlink(db);
	st = store_open(db, 1, err, sizeof(err));
	ck_assert_msg(st != NULL, "store_open: %s", err);
	ingest(st, sc, old, 1);
	ingest(st, sc, BASE_MS, 100000);
	ck_assert_msg(store_prune(st, BASE_MS + len, DAY_MS, 30 * DAY_MS, 365 * DAY_MS,
	    365 * DAY_MS, 1000000, &removed, err, sizeof(err)) == 0, "store_prune: %s",
	    err);
	/* every raw row of the older copy */
	ck_assert_int_ge(removed, 3 * 3 * (len / sc->interval_ms));
	store_close(st);
	/* only the older copy: minutes */
	doc = report_json(db, "failover", old, old + len, NULL, NULL);
	ck_assert_str_eq(SV(doc, "resolution"), "minute");
	ck_assert(json_object_get(doc, "runs_from") == NULL);
	eps = json_object_get(doc, "episodes");
	ck_assert_int_ge(json_array_size(eps), 1);
	json_array_foreach(eps, i, e)
		ck_assert_str_eq(SV(e, "resolution"), "minute");
	json_decref(doc);
	/* both: minutes, then runs from the newer copy's first run on */
	doc = report_json(db, "failover", old, BASE_MS + len, NULL, NULL);
	ck_assert_str_eq(SV(doc, "resolution"), "minute");
	ck_assert_int_eq(IV(doc, "runs_from"), BASE_MS);
	json_array_foreach(json_object_get(doc, "episodes"), i, e) {
		if (strcmp(SV(e, "resolution"), "minute") == 0) {
			ck_assert_int_lt(IV(e, "to"), BASE_MS);
			minute++;
		} else {
			ck_assert_int_ge(IV(e, "from"), BASE_MS);
			run++;
		}
	}
	ck_assert_int_ge(minute, 1);
	ck_assert_int_eq(run, 1);
	json_decref(doc);
	doc = report_json(db, "attribution", old, BASE_MS + len, NULL, NULL);
	ck_assert_str_eq(SV(doc, "resolution"), "minute");
	ck_assert_int_eq(IV(doc, "runs_from"), BASE_MS);
	e = json_array_get(json_object_get(doc, "services"), 0);
	ck_assert_int_gt(json_array_size(json_object_get(e, "minutes")), 0);
	ck_assert_int_gt(json_array_size(json_object_get(e, "runs")), 0);
	json_decref(doc);
	doc = report_json(db, "slo", old, BASE_MS + len, NULL, NULL);
	ck_assert_str_eq(SV(doc, "resolution"), "minute");
	ck_assert_int_eq(IV(doc, "runs_from"), BASE_MS);
	json_decref(doc);
	/* only the newer copy: runs */
	doc = report_json(db, "failover", BASE_MS, BASE_MS + len, NULL, NULL);
	ck_assert_str_eq(SV(doc, "resolution"), "run");
	ck_assert(json_object_get(doc, "runs_from") == NULL);
	json_decref(doc);
	/* the text says so */
	snprintf(fa, sizeof(fa), "--from=%s", fmt_time(old, f, sizeof(f)));
	snprintf(ta, sizeof(ta), "--to=%s", fmt_time(BASE_MS + len, t, sizeof(t)));
	snprintf(na, sizeof(na), "--now=%s", fmt_time(BASE_MS + len, t, sizeof(t)));
	out = run_report("failover", "--db", db, "-c", T.conf, fa, ta, na, (char *)NULL);
	ck_assert_msg(strstr(out, "(minute resolution before 2026-11-02 10:00: raw "
	    "results are kept 1 day)") != NULL, "no resolution line: %s", out);
	free(out);
}
END_TEST

/* ---- setup ---- */

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int
main(void)
{
	Suite *s = suite_create("timeline");
	TCase *tc = tcase_create("scenarios");
	const char *tmp = getenv("TMPDIR");
	SRunner *sr;
	int failed;

	snprintf(T.dir, sizeof(T.dir), "%s/vantage-tl.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(T.dir) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", T.dir, strerror(errno));
		return 99;
	}
	snprintf(T.conf, sizeof(T.conf), "%s/collector.json", T.dir);
	setup_msg(spawn_write_file(T.conf, "{\n  \"retention\": {\"raw\": \"1d\"},\n"
	    "  \"slos\": [{\"name\": \"" SLO_NAME "\", \"objective\": 99.5,\n"
	    "    \"selector\": {\"service\": \"" SCEN_SERVICE "\", \"layer\": "
	    "\"front_door\"}}]\n}\n") == 0, "cannot write %s", T.conf);
	tcase_set_timeout(tc, 180);
	tcase_add_loop_test(tc, test_scenario, 0, (int)nscenarios);
	tcase_add_test(tc, test_minute_fallback);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (getenv("VANTAGE_KEEP_TMP") == NULL)
		nftw(T.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else
		fprintf(stderr, "kept %s\n", T.dir);
	return failed == 0 ? 0 : 1;
}
