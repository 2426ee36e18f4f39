/* alert_rules: the rule types (burn_rate, check_down, cert_expiry,
 * agent_silent, latency, cache_hit_drop) and the cause of their verdicts
 * (web/alert_cause.c). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "alert_cause.h"
#include "alert_rules.h"
#include "alertconf.h"
#include "buf.h"
#include "collector.h"
#include "deliver.h"
#include "engine.h"
#include "log.h"
#include "notify.h"
#include "rollup.h"
#include "slo.h"
#include "store_alerts.h"
#include "store_results.h"
#include "timeutil.h"
#include "xmalloc.h"

#define MAX_TARGETS		4096
#define ERROR_SHOWN		199	/* bytes of a failure's "class: message" in a summary */
#define MIN_MS			60000LL

static struct verdict *
verdict_add(struct verdicts *vs, const char *target)
{
	struct verdict *v;

	if (vs->n == vs->alloc) {
		vs->alloc = vs->alloc ? vs->alloc * 2 : 8;
		vs->v = xreallocarray(vs->v, vs->alloc, sizeof(*vs->v));
	}
	v = &vs->v[vs->n++];
	memset(v, 0, sizeof(*v));
	v->target = xstrdup(target);
	return v;
}

void
alert_verdicts_clear(struct verdicts *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		struct verdict *v = &vs->v[i];
		free(v->target);
		free(v->title);
		free(v->summary);
		free(v->context);
		json_decref(v->regions_detail);
		free(v->service);
		free(v->layer);
		free(v->check);
		free(v->slo);
		free(v->agent);
		json_decref(v->regions);
		json_decref(v->details);
	}
	free(vs->v);
	memset(vs, 0, sizeof(*vs));
}

/* Drop trailing newlines and blanks: a summary is shown with more text
 * after it. Returns s. */
static char *
chomp(char *s)
{
	size_t n = s ? strlen(s) : 0;

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	return s;
}

bool
alert_rule_run_driven(enum rule_type type)
{
	return type == RULE_CHECK_DOWN || type == RULE_LATENCY ||
	    type == RULE_CERT_EXPIRY || type == RULE_CACHE_HIT_DROP;
}

/* ---- the cause of a verdict ---- */

/* The cause matrix of one service, read once per evaluation. */
struct cause_memo {
	char			*service;
	struct cause_matrix	 m;
};

void
alert_cause_memo_clear(struct alerter *a)
{
	for (size_t i = 0; i < a->nmemo; i++) {
		free(a->memo[i].service);
		alert_cause_clear(&a->memo[i].m);
	}
	free(a->memo);
	a->memo = NULL;
	a->nmemo = a->amemo = 0;
}

/* The cause line and the per-region lines of v, an incident on layer of
 * service, from the newest runs of that service (read once per evaluation
 * and service). Without a service or on another layer, none. 0, or -1
 * with a message in err. */
static int
verdict_cause(struct alerter *al, struct verdict *v, const char *service,
    const char *layer, int64_t now, char *err, size_t errlen)
{
	int l = alert_cause_layer(layer);
	struct cause_memo *cm = NULL;

	if (service == NULL || l < 0)
		return 0;
	for (size_t i = 0; i < al->nmemo && cm == NULL; i++)
		if (strcmp(al->memo[i].service, service) == 0)
			cm = &al->memo[i];
	if (cm == NULL) {
		struct cause_matrix m;

		memset(&m, 0, sizeof(m));
		if (alert_cause_read(al->c->st, service, now, &m, err, errlen) < 0)
			return -1;
		if (al->nmemo == al->amemo) {
			al->amemo = al->amemo ? 2 * al->amemo : 4;
			al->memo = xreallocarray(al->memo, al->amemo, sizeof(*al->memo));
		}
		cm = &al->memo[al->nmemo++];
		cm->service = xstrdup(service);
		cm->m = m;
	}
	v->context = alert_cause_line(&cm->m, l);
	v->regions_detail = alert_cause_regions(&cm->m, l);
	return 0;
}

/* The cause of v, a verdict on what sel picks: its service and layer are
 * the selector's, or else those every series it picks shares (a selector
 * by check names one layer of one service). 0 or -1. */
static int
selector_cause(struct alerter *al, struct verdict *v, const struct selector *sel,
    int64_t now, char *err, size_t errlen)
{
	const char *service = sel->service, *layer = sel->layer;
	bool one_service = true, one_layer = true;
	int64_t *ids = NULL;
	size_t n;

	if (service == NULL || layer == NULL) {
		n = store_series_match(al->c->st, sel, &ids);
		for (size_t i = 0; i < n; i++) {
			const struct store_series *s = store_series_get(al->c->st, ids[i]);

			if (s == NULL)
				continue;
			if (sel->service == NULL)
				one_service &= s->service != NULL && (service == NULL ||
				    strcmp(service, s->service) == 0);
			if (sel->layer == NULL)
				one_layer &= s->layer != NULL && (layer == NULL ||
				    strcmp(layer, s->layer) == 0);
			if (service == NULL && one_service)
				service = s->service;
			if (layer == NULL && one_layer)
				layer = s->layer;
		}
		free(ids);
		if (!one_service || !one_layer)
			return 0;
	}
	/* the labels of series live as long as the store */
	return verdict_cause(al, v, service, layer, now, err, errlen);
}

/* ---- rule evaluation ---- */

/* The burn rate of slo over the last window_ms at the engine's last
 * evaluation (0 without runs). 0, or -1 when the engine cannot tell. */
static int
window_burn(struct alerter *al, const struct slo_config *slo, int64_t window_ms,
    double *burn)
{
	int64_t good = 0, total = 0, at = 0;

	*burn = 0;
	if (engine_window(al->c, slo, window_ms, &good, &total, &at) < 0)
		return -1;
	if (total > 0)
		*burn = slo_burn_rate(slo->objective, good, total);
	return 0;
}

/* burn_rate: from the SLO engine's last evaluation (the numbers the API
 * and /metrics serve), never a second read of the rollups. Before the
 * engine has evaluated the SLO the rule says nothing (no verdict: an open
 * incident neither resolves nor changes). */
static int
eval_burn_rate(struct alerter *al, const struct alert_rule *r, int64_t now,
    struct verdicts *vs, char *err, size_t errlen)
{
	const struct slo_config *slo = r->slo;
	struct verdict *v;
	struct buf sum;
	const char *sev = NULL;
	json_t *det = json_object();
	char dl[32], ds[32], dnow[32] = "";
	int64_t shortest = INT64_MAX;
	double burn_now = 0;

	buf_init(&sum, 16384);
	for (size_t i = 0; i < r->npairs; i++) {
		const struct burn_pair *bp = &r->pairs[i];
		int64_t L = alertconf_scale(bp->long_ms, slo->window_ms);
		int64_t S = alertconf_scale(bp->short_ms, slo->window_ms);
		double bl, bs;
		bool on;

		if (window_burn(al, slo, L, &bl) < 0 || window_burn(al, slo, S, &bs) < 0) {
			log_debug("rule %s: no evaluation of SLO %s over %s/%s yet",
			    r->name, slo->name, duration_format(L, dl, sizeof(dl)),
			    duration_format(S, ds, sizeof(ds)));
			buf_free(&sum);
			json_decref(det);
			return 0;
		}
		on = bl > bp->factor && bs > bp->factor;
		/* "burning at" in the title: over the shortest window */
		if (S < shortest) {
			shortest = S;
			burn_now = bs;
		}
		if (on && (sev == NULL || strcmp(bp->severity, "page") == 0))
			sev = strcmp(bp->severity, "page") == 0 ? "page" :
			    (sev ? sev : bp->severity);
		buf_printf(&sum, "%s %s/%s: burn %.2f / %.2f (threshold %g)%s\n",
		    bp->severity, duration_format(L, dl, sizeof(dl)),
		    duration_format(S, ds, sizeof(ds)), bl, bs, bp->factor,
		    on ? "  FIRING" : "");
		json_object_set_new(det, dl, json_real(bl));
		json_object_set_new(det, ds, json_real(bs));
	}
	v = verdict_add(vs, "");
	v->firing = sev != NULL;
	snprintf(v->severity, sizeof(v->severity), "%s", sev ? sev : r->severity);
	v->slo = xstrdup(slo->name);
	v->service = xstrdup(slo->sel.service);
	v->layer = xstrdup(slo->sel.layer);
	v->check = xstrdup(slo->sel.check);
	if (shortest < INT64_MAX)
		duration_format(shortest, dnow, sizeof(dnow));
	v->title = dnow[0] ? xasprintf("SLO %s is burning its error budget (%s): "
	    "%.1fx over %s", slo->name, v->severity, burn_now, dnow) :
	    xasprintf("SLO %s is burning its error budget (%s)", slo->name,
	    v->severity);
	v->summary = chomp(xasprintf("objective %.4g%% over %s\n%s", slo->objective * 100,
	    duration_format(slo->window_ms, dl, sizeof(dl)), sum.data ? sum.data : ""));
	v->details = det;
	buf_free(&sum);
	if (v->firing)
		return selector_cause(al, v, &slo->sel, now, err, errlen);
	return 0;
}

/* Open incidents of a rule: target -> regions (JSON array). */
static int
open_add(const struct incident_row *row, void *arg)
{
	json_t *o = arg, *r;

	if (row->target == NULL)
		return 0;
	r = row->regions ? json_loads(row->regions, 0, NULL) : NULL;
	json_object_set_new(o, row->target, r ? r : json_array());
	return 0;
}

/* A new object, or NULL with a message in err. */
static json_t *
open_incidents(struct alerter *al, const char *rule, char *err, size_t errlen)
{
	json_t *o = json_object();

	if (store_incidents_open_each(al->c->st, rule, open_add, o, err, errlen) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- the newest result of each check from each agent ---- */

/* What the rules read of the newest result of one check from one agent:
 * of its newest series when the agent's labels for it changed (seq rises
 * per agent, so the highest seq is the newest result). */
struct newest {
	const struct store_series	*s;
	int64_t				 seq;
	bool				 ok, has_cert;
	int64_t				 fail_streak, ok_streak, cert_not_after;
	char				*error;	/* "class: message" when failed */
};

struct newest_scan {
	struct newest	 cur;
	bool		 have;
	void		(*fold)(const struct newest *, void *);
	void		*arg;
};

static void
newest_flush(struct newest_scan *ns)
{
	if (ns->have)
		ns->fold(&ns->cur, ns->arg);
	free(ns->cur.error);
	memset(&ns->cur, 0, sizeof(ns->cur));
	ns->have = false;
}

static int
newest_each(const struct stored_result *r, void *arg)
{
	struct newest_scan *ns = arg;
	const struct store_series *s = r->series;
	const struct record *rec = &r->rec;

	/* store_latest_each gives the series by check, then agent */
	if (ns->have && (strcmp(ns->cur.s->check, s->check) != 0 ||
	    strcmp(ns->cur.s->agent, s->agent) != 0))
		newest_flush(ns);
	if (ns->have && rec->seq <= ns->cur.seq)
		return 0;
	free(ns->cur.error);
	memset(&ns->cur, 0, sizeof(ns->cur));
	ns->have = true;
	ns->cur.s = s;
	ns->cur.seq = rec->seq;
	ns->cur.ok = rec->ok;
	ns->cur.has_cert = rec->has_cert;
	ns->cur.cert_not_after = rec->cert_not_after;
	ns->cur.fail_streak = r->fail_streak;
	ns->cur.ok_streak = r->ok_streak;
	if (!rec->ok) {
		const char *cls = errclass_name(rec->error_class);
		const char *msg = rec->text[RT_ERROR];

		ns->cur.error = xasprintf("%s: %.*s", cls ? cls : "",
		    msg ? (int)rec->text_len[RT_ERROR] : 0, msg ? msg : "");
	}
	return 0;
}

/* fold(x, arg) for the newest result of every check x agent that sel
 * picks, by check then agent. 0, or -1 with a message in err. */
static int
newest_results(struct store *st, const struct selector *sel,
    void (*fold)(const struct newest *, void *), void *arg, char *err,
    size_t errlen)
{
	struct newest_scan ns;
	int rc;

	memset(&ns, 0, sizeof(ns));
	ns.fold = fold;
	ns.arg = arg;
	rc = store_latest_each(st, sel, newest_each, &ns, err, errlen);
	if (rc == 0)
		newest_flush(&ns);
	free(ns.cur.error);
	return rc;
}

/* At most max bytes of s, not cutting a UTF-8 sequence. */
static int
utf8_prefix(const char *s, int max)
{
	int n = (int)strlen(s);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* ---- check_down ---- */

struct region_state {
	const char	*check, *region;	/* region "" when unlabelled */
	const char	*service, *layer;	/* of its first agent; NULL none */
	int64_t		 fail_streak, ok_streak, win_failures;
	char		*error;	/* the greatest "class: message" of its failing agents */
};

struct down_scan {
	struct region_state	*rs;
	size_t			 n, alloc;
};

/* Fold one agent's newest result into its check x region: the most telling
 * agent of each region (the longest runs), as before. */
static void
down_fold(const struct newest *x, void *arg)
{
	struct down_scan *d = arg;
	const char *region = x->s->region ? x->s->region : "";
	struct region_state *g = NULL;

	/* results come by check: this check's regions are the last ones */
	for (size_t i = d->n; i-- > 0 && strcmp(d->rs[i].check, x->s->check) == 0; )
		if (strcmp(d->rs[i].region, region) == 0) {
			g = &d->rs[i];
			break;
		}
	if (g == NULL) {
		if (d->n == d->alloc) {
			d->alloc = d->alloc ? d->alloc * 2 : 16;
			d->rs = xreallocarray(d->rs, d->alloc, sizeof(*d->rs));
		}
		g = &d->rs[d->n++];
		memset(g, 0, sizeof(*g));
		g->check = x->s->check;
		g->region = region;
		g->service = x->s->service;
		g->layer = x->s->layer;
	}
	if (x->fail_streak > g->fail_streak)
		g->fail_streak = x->fail_streak;
	if (x->ok_streak > g->ok_streak)
		g->ok_streak = x->ok_streak;
	if (x->error != NULL && (g->error == NULL || strcmp(x->error, g->error) > 0)) {
		free(g->error);
		g->error = xstrdup(x->error);
	}
}

static int
cmp_region_state(const void *pa, const void *pb)
{
	const struct region_state *a = pa, *b = pb;
	int c = strcmp(a->check, b->check);

	return c ? c : strcmp(a->region, b->region);
}

/* The state of (check, region) in rs (sorted), or NULL. */
static struct region_state *
region_find(struct region_state *rs, size_t n, const char *check,
    const char *region)
{
	struct region_state key;

	memset(&key, 0, sizeof(key));
	key.check = check;
	key.region = region;
	return bsearch(&key, rs, n, sizeof(*rs), cmp_region_state);
}

/* The first minute boundary at or after t. */
static int64_t
minute_ceil(int64_t t)
{
	int64_t f = t - ((t % MIN_MS) + MIN_MS) % MIN_MS;

	return f == t ? t : f + MIN_MS;
}

static int
eval_check_down(struct alerter *al, const struct alert_rule *r, int64_t now,
    struct verdicts *vs, char *err, size_t errlen)
{
	struct down_scan d = { NULL, 0, 0 };
	struct region_state *rs;
	size_t n;
	json_t *open;
	int rc = 0;

	if ((open = open_incidents(al, r->name, err, errlen)) == NULL)
		return -1;
	/* streaks per check x region (the most telling agent of each region) */
	if (newest_results(al->c->st, &r->sel, down_fold, &d, err, errlen) < 0) {
		rc = -1;
		goto out;
	}
	if (d.n > 1)
		qsort(d.rs, d.n, sizeof(*d.rs), cmp_region_state);
	while (d.n > MAX_TARGETS)
		free(d.rs[--d.n].error);
	rs = d.rs;
	n = d.n;
	/* failures in the window, from the minute rollups: the minutes that
	 * start at or after now - window (as before, no upper bound: a run
	 * stamped a little ahead of this clock counts too) */
	if (r->win_ms > 0 && n > 0) {
		struct rollup_query q;
		struct rollup_agg *a;
		size_t na;

		memset(&q, 0, sizeof(q));
		q.sel = &r->sel;
		q.from = minute_ceil(now - r->win_ms);
		q.to = INT64_MAX;
		q.by = ROLLUP_BY_CHECK | ROLLUP_BY_REGION;
		q.minutes_only = true;
		if (rollup_aggregate(al->c->st, NULL, &q, &a, &na, err, errlen) < 0) {
			rc = -1;
			goto out;
		}
		for (size_t k = 0; k < na; k++) {
			struct region_state *x = a[k].check ? region_find(rs, n,
			    a[k].check, a[k].region ? a[k].region : "") : NULL;

			if (x != NULL)
				x->win_failures += a[k].total - a[k].good;
		}
		rollup_aggs_free(a, na);
	}
	for (size_t i = 0; i < n; ) {
		size_t j = i, nfail = 0;
		json_t *regions = json_array(), *was = json_object_get(open, rs[i].check);
		struct buf sum;
		bool firing, resolved = true, own_failing = false;
		int64_t streak = 0;
		char w[32];

		buf_init(&sum, 16384);
		while (j < n && strcmp(rs[j].check, rs[i].check) == 0) {
			bool failing = rs[j].fail_streak >= r->failures ||
			    (r->win_ms > 0 && rs[j].win_failures >= r->win_failures);
			bool in_incident = false;
			size_t k;
			json_t *x;

			if (failing) {
				nfail++;
				json_array_append_new(regions, json_string(rs[j].region));
				if (rs[j].fail_streak > streak)
					streak = rs[j].fail_streak;
				if (rs[j].fail_streak >= r->failures)
					buf_printf(&sum, "%s: %lld failures in a row", rs[j].region,
					    (long long)rs[j].fail_streak);
				else
					buf_printf(&sum, "%s: %lld failures in %s (%lld in a row)",
					    rs[j].region, (long long)rs[j].win_failures,
					    duration_format(r->win_ms, w, sizeof(w)),
					    (long long)rs[j].fail_streak);
				if (rs[j].error != NULL && rs[j].error[0])
					buf_printf(&sum, ", last: %.*s", utf8_prefix(rs[j].error,
					    ERROR_SHOWN), rs[j].error);
				buf_printf(&sum, "\n");
			}
			json_array_foreach(was, k, x)
				if (strcmp(json_string_value(x), rs[j].region) == 0)
					in_incident = true;
			if (in_incident && (failing || rs[j].ok_streak < r->successes))
				resolved = false;
			if (in_incident && failing)
				own_failing = true;
			j++;
		}
		firing = was ? !resolved : (int64_t)nfail >= r->min_regions;
		{
			struct verdict *v = verdict_add(vs, rs[i].check);

			v->firing = firing;
			snprintf(v->severity, sizeof(v->severity), "%s", r->severity);
			v->check = xstrdup(rs[i].check);
			v->service = rs[i].service && rs[i].service[0] ?
			    xstrdup(rs[i].service) : NULL;
			v->layer = rs[i].layer && rs[i].layer[0] ? xstrdup(rs[i].layer) : NULL;
			v->title = xasprintf("%s failing in %zu region%s", rs[i].check, nfail,
			    nfail == 1 ? "" : "s");
			v->summary = chomp(sum.data ? buf_steal(&sum) : xstrdup(""));
			v->regions = was && json_array_size(regions) == 0 ?
			    json_incref(was) : json_incref(regions);
			/* for the receivers: the regions as one line, the run */
			{
				struct buf rl;
				size_t k;
				json_t *x;

				buf_init(&rl, 4096);
				json_array_foreach(v->regions, k, x)
					buf_printf(&rl, "%s%s", k ? ", " : "", json_string_value(x));
				v->details = json_object();
				json_object_set_new(v->details, "regions", json_string(rl.data ?
				    rl.data : ""));
				if (nfail > 0)
					json_object_set_new(v->details, "consecutive_failures",
					    json_integer(streak));
				buf_free(&rl);
			}
			/* open, but none of its regions failing now
			 * (recovering): it keeps saying what failed */
			v->keep_text = was != NULL && !own_failing;
			if (firing && verdict_cause(al, v, v->service, v->layer, now, err,
			    errlen) < 0)
				rc = -1;
		}
		json_decref(regions);
		buf_free(&sum);
		if (rc < 0)
			goto out;
		i = j;
	}
	/* an open incident whose check is gone from the data resolves */
	{
		const char *target;
		json_t *x;

		json_object_foreach(open, target, x) {
			bool seen = false;
			for (size_t i = 0; i < vs->n; i++)
				seen |= strcmp(vs->v[i].target, target) == 0;
			if (!seen) {
				struct verdict *v = verdict_add(vs, target);
				snprintf(v->severity, sizeof(v->severity), "%s", r->severity);
				v->check = xstrdup(target);
				v->title = xasprintf("%s: no longer checked", target);
				v->summary = xstrdup("the check left the configuration");
			}
		}
	}
out:
	for (size_t i = 0; i < d.n; i++)
		free(d.rs[i].error);
	free(d.rs);
	json_decref(open);
	return rc;
}

/* ---- cert_expiry ---- */

/* One check's certificates as its agents' newest results report them. */
struct cert_group {
	struct alerter			*al;
	const struct alert_rule		*r;
	int64_t				 now;
	struct verdicts			*vs;
	const char			*check;	/* NULL: no group yet */
	int64_t				 not_after;	/* the earliest */
	const char			*service, *layer;	/* the greatest */
	const char			**regions;	/* distinct, as seen */
	size_t				 nregions, aregions;
};

static const char *
max_label(const char *a, const char *b)
{
	if (a == NULL)
		return b;
	if (b == NULL)
		return a;
	return strcmp(a, b) >= 0 ? a : b;
}

/* The verdict of the group, then an empty group. */
static void
cert_flush(struct cert_group *g)
{
	const struct alert_rule *r = g->r;
	double days;
	struct verdict *v;
	struct buf rl;
	char when[32];
	time_t t;
	struct tm tm;

	if (g->check == NULL)
		return;
	days = (double)(g->not_after * 1000 - g->now) / 86400000.0;
	t = (time_t)g->not_after;
	v = verdict_add(g->vs, g->check);
	buf_init(&rl, 16384);
	for (size_t i = 0; i < g->nregions; i++)
		buf_printf(&rl, "%s%s", i ? "," : "", g->regions[i]);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	v->firing = days < (double)r->days;
	snprintf(v->severity, sizeof(v->severity), "%s", r->severity);
	v->check = xstrdup(g->check);
	v->service = g->service && g->service[0] ? xstrdup(g->service) : NULL;
	v->layer = g->layer && g->layer[0] ? xstrdup(g->layer) : NULL;
	v->title = days < 0 ? xasprintf("certificate of %s expired (%s)", g->check,
	    when) : xasprintf("certificate of %s expires in %.0f days (%s)", g->check,
	    floor(days), when);
	v->summary = xasprintf("earliest expiry seen by any agent: %s; rule "
	    "threshold %lld days; regions: %s", when, (long long)r->days,
	    g->nregions ? rl.data : "-");
	v->details = json_pack("{s:s, s:I}", "expires_at",
	    notify_iso8601(g->not_after * 1000, when, sizeof(when)), "days_left",
	    (json_int_t)floor(days));
	buf_free(&rl);
	g->check = NULL;
	g->service = g->layer = NULL;
	g->nregions = 0;
}

static void
cert_fold(const struct newest *x, void *arg)
{
	struct cert_group *g = arg;
	const struct store_series *s = x->s;
	bool seen = false;

	if (!x->has_cert)
		return;
	if (g->check != NULL && strcmp(g->check, s->check) != 0)
		cert_flush(g);
	if (g->check == NULL) {
		g->check = s->check;
		g->not_after = x->cert_not_after;
	} else if (x->cert_not_after < g->not_after)
		g->not_after = x->cert_not_after;
	g->service = max_label(g->service, s->service);
	g->layer = max_label(g->layer, s->layer);
	if (s->region == NULL)
		return;
	for (size_t i = 0; i < g->nregions && !seen; i++)
		seen = strcmp(g->regions[i], s->region) == 0;
	if (seen)
		return;
	if (g->nregions == g->aregions) {
		g->aregions = g->aregions ? 2 * g->aregions : 8;
		g->regions = xreallocarray(g->regions, g->aregions, sizeof(*g->regions));
	}
	g->regions[g->nregions++] = s->region;
}

/* cert_expiry: per check, the earliest cert_not_after among its agents'
 * newest results that carry one. */
static int
eval_cert_expiry(struct alerter *al, const struct alert_rule *r, int64_t now,
    struct verdicts *vs, char *err, size_t errlen)
{
	struct cert_group g;
	int rc;

	memset(&g, 0, sizeof(g));
	g.al = al;
	g.r = r;
	g.now = now;
	g.vs = vs;
	rc = newest_results(al->c->st, &r->sel, cert_fold, &g, err, errlen);
	if (rc == 0)
		cert_flush(&g);
	free(g.regions);
	return rc;
}

static int
eval_agent_silent(struct alerter *al, const struct alert_rule *r, int64_t now,
    struct verdicts *vs, char *err, size_t errlen)
{
	const struct collector_config *cc = al->c->conf;
	size_t n = r->agents ? r->nagents : cc->nagents;

	for (size_t i = 0; i < n; i++) {
		const char *id = r->agents ? r->agents[i] : cc->agents[i].id;
		int64_t seen = 0;
		char region[96] = "", ago[32];
		struct verdict *v;

		if (store_agent_seen(al->c->st, id, &seen, region, sizeof(region), err,
		    errlen) < 0)
			return -1;
		v = verdict_add(vs, id);
		snprintf(v->severity, sizeof(v->severity), "%s", r->severity);
		v->agent = xstrdup(id);
		if (seen == 0) {
			/* never shipped: silent once the collector has waited long enough */
			v->firing = now - al->c->started_ms > r->after_ms;
			v->title = xasprintf("agent %s has not shipped since the collector "
			    "started", id);
		} else {
			/* no agent can ship to a collector that is not running:
			 * silence counts from its start at the earliest, so a
			 * collector back from a long stop pages no one before
			 * the agents had a chance to drain their outboxes */
			v->firing = now - (seen > al->c->started_ms ? seen :
			    al->c->started_ms) > r->after_ms;
			v->title = xasprintf("agent %s%s%s%s silent for %s", id,
			    region[0] ? " (" : "", region, region[0] ? ")" : "",
			    duration_format((now - seen) / 1000 * 1000, ago, sizeof(ago)));
		}
		v->summary = xasprintf("no batch for longer than %s; check the agent's "
		    "VM, its network and its /healthz", duration_format(r->after_ms,
		    ago, sizeof(ago)));
		v->details = json_pack("{s:s, s:s}", "region", region[0] ? region : "unknown",
		    "last_seen", seen ? notify_iso8601(seen, ago, sizeof(ago)) : "never");
	}
	return 0;
}

static int
eval_latency(struct alerter *al, const struct alert_rule *r, int64_t now,
    struct verdicts *vs, char *err, size_t errlen)
{
	struct rollup_query q;
	struct rollup_agg *a;
	size_t n;
	struct verdict *v;
	double qv = 0;
	int64_t count = 0;
	char w[32];

	memset(&q, 0, sizeof(q));
	q.sel = &r->sel;
	q.from = now - r->window_ms;
	q.to = now;
	q.want_sketch = true;
	if (rollup_aggregate(al->c->st, NULL, &q, &a, &n, err, errlen) < 0)
		return -1;
	if (n == 1) {
		qv = sketch_quantile(&a[0].sk, r->percentile / 100.0);
		count = (int64_t)a[0].sk.count;
	}
	rollup_aggs_free(a, n);
	v = verdict_add(vs, "");
	v->firing = count >= r->min_results && qv > (double)r->threshold_us;
	snprintf(v->severity, sizeof(v->severity), "%s", r->severity);
	v->service = xstrdup(r->sel.service);
	v->layer = xstrdup(r->sel.layer);
	v->check = xstrdup(r->sel.check);
	v->title = xasprintf("p%g latency %.0f ms over %s (threshold %.0f ms)",
	    r->percentile, qv / 1000.0, duration_format(r->window_ms, w, sizeof(w)),
	    (double)r->threshold_us / 1000.0);
	v->summary = xasprintf("%lld passed runs in the window", (long long)count);
	v->details = json_pack("{s:f, s:f, s:f, s:I}", "percentile", r->percentile,
	    "value_ms", floor(qv / 10.0) / 100.0, "threshold_ms",
	    (double)r->threshold_us / 1000.0, "results", (json_int_t)count);
	if (v->firing)
		return selector_cause(al, v, &r->sel, now, err, errlen);
	return 0;
}

/* Labels compare with NULL first (the order of rollup_aggregate). */
static int
cmp_label(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* The group of b (by check then region, as rollup_aggregate sorts them)
 * of (check, region); NULL if none. */
static const struct rollup_agg *
agg_find(const struct rollup_agg *b, size_t nb, const char *check,
    const char *region)
{
	size_t lo = 0, hi = nb;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_label(b[mid].check, check);

		if (c == 0)
			c = cmp_label(b[mid].region, region);
		if (c == 0)
			return &b[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Per check x region over [now - window, now). */
static int
cache_aggs(struct alerter *al, const struct alert_rule *r, int64_t now,
    int64_t window, struct rollup_agg **a, size_t *n, char *err, size_t errlen)
{
	struct rollup_query q;

	memset(&q, 0, sizeof(q));
	q.sel = &r->sel;
	q.from = now - window;
	q.to = now;
	q.by = ROLLUP_BY_CHECK | ROLLUP_BY_REGION;
	return rollup_aggregate(al->c->st, NULL, &q, a, n, err, errlen);
}

/* cache_hit_drop: per check, the regions whose hit ratio over the window
 * (with at least min_lookups answers that revealed a cache status) is under
 * the threshold, or under fraction x the ratio over the baseline window;
 * firing while at least min_regions regions do. */
static int
eval_cache_hit_drop(struct alerter *al, const struct alert_rule *r, int64_t now,
    struct verdicts *vs, char *err, size_t errlen)
{
	struct rollup_agg *a = NULL, *b = NULL;
	size_t n = 0, nb = 0, i = 0;
	json_t *open;
	char w[32], bw[32];

	if (cache_aggs(al, r, now, r->window_ms, &a, &n, err, errlen) < 0)
		return -1;
	if (r->baseline_ms > 0 && cache_aggs(al, r, now, r->baseline_ms, &b, &nb,
	    err, errlen) < 0) {
		rollup_aggs_free(a, n);
		return -1;
	}
	if ((open = open_incidents(al, r->name, err, errlen)) == NULL) {
		rollup_aggs_free(a, n);
		rollup_aggs_free(b, nb);
		return -1;
	}
	duration_format(r->window_ms, w, sizeof(w));
	duration_format(r->baseline_ms, bw, sizeof(bw));
	while (i < n) {
		const char *check = a[i].check ? a[i].check : "";
		json_t *regions = json_array(), *per = json_array();
		int64_t lookups_all = 0;
		size_t nmeet = 0, j;
		struct buf sum;
		struct verdict *v;

		buf_init(&sum, 8192);
		for (j = i; j < n && cmp_label(a[j].check, a[i].check) == 0; j++) {
			const char *region = a[j].region ? a[j].region : "";
			const struct rollup_agg *base = b ? agg_find(b, nb, a[j].check,
			    a[j].region) : NULL;
			int64_t hits = rollup_cache_hits(&a[j]);
			int64_t lookups = rollup_cache_lookups(&a[j]);
			int64_t bl = base ? rollup_cache_lookups(base) : 0;
			double ratio = lookups ? (double)hits / (double)lookups : 0;
			double bratio = bl ? (double)rollup_cache_hits(base) / (double)bl : 0;
			bool meets = false;

			lookups_all += lookups;
			if (lookups == 0)
				continue;
			if (lookups >= r->min_lookups) {
				if (r->hit_threshold >= 0 && ratio < r->hit_threshold)
					meets = true;
				if (base && bl >= r->min_lookups &&
				    ratio < r->baseline_fraction * bratio)
					meets = true;
			}
			if (meets) {
				nmeet++;
				json_array_append_new(regions, json_string(region));
			}
			buf_printf(&sum, "%s: %lld/%lld hits (%.0f%%) over %s", region,
			    (long long)hits, (long long)lookups, 100.0 * ratio, w);
			if (base && bl > 0)
				buf_printf(&sum, ", %.0f%% over %s", 100.0 * bratio, bw);
			buf_printf(&sum, "%s\n", meets ? " - dropped" : "");
			json_array_append_new(per, json_pack("{s:s, s:I, s:I, s:f, s:o}",
			    "region", region, "hits", (json_int_t)hits, "lookups",
			    (json_int_t)lookups, "hit_ratio", ratio, "baseline_ratio",
			    base && bl > 0 ? json_real(bratio) : json_null()));
		}
		/* checks whose answers reveal no cache status are not judged */
		if (lookups_all > 0 || json_object_get(open, check) != NULL) {
			v = verdict_add(vs, check);
			v->firing = (int64_t)nmeet >= r->min_regions;
			snprintf(v->severity, sizeof(v->severity), "%s", r->severity);
			v->check = xstrdup(check);
			v->service = xstrdup(r->sel.service);
			v->layer = xstrdup(r->sel.layer);
			v->title = xasprintf("%s: cache-hit ratio dropped in %zu region%s",
			    check, nmeet, nmeet == 1 ? "" : "s");
			v->summary = chomp(sum.data ? buf_steal(&sum) : xstrdup(""));
			v->regions = json_incref(regions);
			v->details = json_pack("{s:O, s:s}", "regions_detail", per,
			    "window", w);
			if (r->hit_threshold >= 0)
				json_object_set_new(v->details, "threshold",
				    json_real(r->hit_threshold));
			if (r->baseline_ms > 0) {
				json_object_set_new(v->details, "baseline_window",
				    json_string(bw));
				json_object_set_new(v->details, "baseline_fraction",
				    json_real(r->baseline_fraction));
			}
		}
		buf_free(&sum);
		json_decref(regions);
		json_decref(per);
		i = j > i ? j : i + 1;
	}
	/* an open incident whose check is gone from the window resolves */
	{
		const char *target;
		json_t *x;

		json_object_foreach(open, target, x) {
			bool seen = false;
			for (size_t k = 0; k < vs->n; k++)
				seen |= strcmp(vs->v[k].target, target) == 0;
			if (!seen) {
				struct verdict *v = verdict_add(vs, target);
				snprintf(v->severity, sizeof(v->severity), "%s", r->severity);
				v->check = xstrdup(target);
				v->title = xasprintf("%s: no cache answers in the window", target);
				v->summary = xstrdup("no results that reveal a cache status");
			}
		}
	}
	json_decref(open);
	rollup_aggs_free(a, n);
	rollup_aggs_free(b, nb);
	return 0;
}

/* ---- incidents ---- */

int
alert_rule_judge(struct alerter *a, const struct alert_rule *r, int64_t now,
    struct verdicts *vs, char *err, size_t errlen)
{
	switch (r->type) {
	case RULE_BURN_RATE:
		return eval_burn_rate(a, r, now, vs, err, errlen);
	case RULE_CHECK_DOWN:
		return eval_check_down(a, r, now, vs, err, errlen);
	case RULE_CERT_EXPIRY:
		return eval_cert_expiry(a, r, now, vs, err, errlen);
	case RULE_AGENT_SILENT:
		return eval_agent_silent(a, r, now, vs, err, errlen);
	case RULE_LATENCY:
		return eval_latency(a, r, now, vs, err, errlen);
	case RULE_CACHE_HIT_DROP:
		return eval_cache_hit_drop(a, r, now, vs, err, errlen);
	default:
		snprintf(err, errlen, "rule %s: unknown type", r->name);
		return -1;
	}
}
