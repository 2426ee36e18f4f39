/* alert_rules: the rule types (burn_rate, check_down, cert_expiry,
 * agent_silent, latency, cache_hit_drop) and the layer-aware context. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "alert.h"
#include "alert_rules.h"
#include "alertconf.h"
#include "buf.h"
#include "collector.h"
#include "deliver.h"
#include "log.h"
#include "notify.h"
#include "slo.h"
#include "sloeng.h"
#include "sqlfn.h"
#include "timeutil.h"
#include "xmalloc.h"

#define CONTEXT_WINDOW_MS	(2 * 60000)	/* "healthy now", not an hour ago */
#define HEALTHY_RATIO		0.99
#define MAX_TARGETS		4096

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

static const char *
layer_label(const char *layer)
{
	if (strcmp(layer, "front_door") == 0)
		return "front door";
	if (strcmp(layer, "edge") == 0)
		return "edge origin";
	if (strcmp(layer, "central") == 0)
		return "central origin";
	return layer;
}

char *
alert_layer_context(sqlite3 *db, const char *service, const char *layer,
    int64_t now_ms)
{
	struct selector sel = { 0 };
	struct rollup_agg *a;
	size_t n;
	char err[256], failing[64] = "";
	int known = 0, bad = 0, fd_state = -1;	/* -1 unknown, 0 failing, 1 healthy */
	char *out = NULL;

	if (service == NULL || layer == NULL || strcmp(layer, "other") == 0)
		return NULL;
	sel.service = (char *)(uintptr_t)service;
	if (sloeng_aggregate(db, &sel, now_ms - CONTEXT_WINDOW_MS, now_ms, "layer",
	    &a, &n, err, sizeof(err)) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool healthy = a[i].total > 0 &&
		    (double)a[i].good / (double)a[i].total >= HEALTHY_RATIO;

		if (a[i].total == 0)
			continue;
		if (strcmp(a[i].key, "front_door") == 0)
			fd_state = healthy;
		else if (strcmp(a[i].key, "edge") == 0 || strcmp(a[i].key, "central") == 0) {
			if (strcmp(layer, "front_door") != 0)
				continue;
			known++;
			if (!healthy) {
				bad++;
				snprintf(failing + strlen(failing), sizeof(failing) - strlen(failing),
				    "%s%s", failing[0] ? " and " : "", layer_label(a[i].key));
			}
		}
	}
	sloeng_aggs_free(a, n);
	if (strcmp(layer, "front_door") == 0) {
		if (known == 0)
			return NULL;
		if (bad == 0)
			out = xstrdup("front door failing, origins healthy: CDN problem");
		else if (bad == known && known > 1)
			out = xstrdup("front door failing, both origins failing too: an "
			    "origin outage is reaching users");
		else
			out = xasprintf("front door failing, %s failing too: failover is "
			    "not covering it", failing);
	} else if (strcmp(layer, "edge") == 0 || strcmp(layer, "central") == 0) {
		if (fd_state == 1)
			out = xasprintf("%s failing, front door healthy: failover is working",
			    layer_label(layer));
		else if (fd_state == 0)
			out = xasprintf("%s failing, front door failing too: failover is "
			    "not covering it", layer_label(layer));
	}
	return out;
}

/* ---- rule evaluation ---- */

static int
window_burn(sqlite3 *db, const struct slo_config *slo, int64_t from, int64_t to,
    double *burn, int64_t *total, char *err, size_t errlen)
{
	struct rollup_agg *a;
	size_t n;

	*burn = 0;
	*total = 0;
	if (sloeng_aggregate(db, &slo->sel, from, to, NULL, &a, &n, err, errlen) < 0)
		return -1;
	if (n == 1 && a[0].total > 0) {
		*burn = slo_burn_rate(slo->objective, sloeng_good(slo, &a[0]), a[0].total);
		*total = a[0].total;
	}
	sloeng_aggs_free(a, n);
	return 0;
}

static int
eval_burn_rate(struct alerter *al, const struct alert_rule *r, int64_t now,
    struct verdicts *vs, char *err, size_t errlen)
{
	const struct slo_config *slo = r->slo;
	struct verdict *v = verdict_add(vs, "");
	struct buf sum;
	const char *sev = NULL;
	json_t *det = json_object();
	char dl[32], ds[32];

	buf_init(&sum, 16384);
	for (size_t i = 0; i < r->npairs; i++) {
		const struct burn_pair *bp = &r->pairs[i];
		int64_t L = alertconf_scale(bp->long_ms, slo->window_ms);
		int64_t S = alertconf_scale(bp->short_ms, slo->window_ms);
		double bl, bs;
		int64_t tl, ts;
		bool on;

		if (window_burn(al->db, slo, now - L, now, &bl, &tl, err, errlen) < 0 ||
		    window_burn(al->db, slo, now - S, now, &bs, &ts, err, errlen) < 0) {
			buf_free(&sum);
			json_decref(det);
			return -1;
		}
		on = bl > bp->factor && bs > bp->factor;
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
	v->firing = sev != NULL;
	snprintf(v->severity, sizeof(v->severity), "%s", sev ? sev : r->severity);
	v->slo = xstrdup(slo->name);
	v->service = xstrdup(slo->sel.service);
	v->layer = xstrdup(slo->sel.layer);
	v->check = xstrdup(slo->sel.check);
	v->title = xasprintf("SLO %s is burning its error budget (%s)", slo->name,
	    v->severity);
	v->summary = chomp(xasprintf("objective %.4g%% over %s\n%s", slo->objective * 100,
	    duration_format(slo->window_ms, dl, sizeof(dl)), sum.data ? sum.data : ""));
	v->details = det;
	if (v->firing)
		v->context = alert_layer_context(al->db, slo->sel.service, slo->sel.layer, now);
	buf_free(&sum);
	return 0;
}

/* Open incidents of a rule: target -> regions (JSON text). */
static json_t *
open_incidents(struct alerter *al, const char *rule)
{
	sqlite3_stmt *st;
	json_t *o = json_object();

	if (sqlite3_prepare_v2(al->db, "SELECT target, regions FROM incidents WHERE "
	    "rule = ? AND status = 'open'", -1, &st, NULL) != SQLITE_OK)
		return o;
	sqlite3_bind_text(st, 1, rule, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *regions = (const char *)sqlite3_column_text(st, 1);
		json_t *r = regions ? json_loads(regions, 0, NULL) : NULL;
		json_object_set_new(o, (const char *)sqlite3_column_text(st, 0),
		    r ? r : json_array());
	}
	sqlite3_finalize(st);
	return o;
}

#define SEL_SQL \
	"(?1 IS NULL OR service = ?1) AND (?2 IS NULL OR layer = ?2) AND " \
	"(?3 IS NULL OR provider = ?3) AND (?4 IS NULL OR region = ?4) AND " \
	"(?5 IS NULL OR check_name = ?5)"

static void
bind_sel(sqlite3_stmt *st, const struct selector *s)
{
	const char *f[5] = { s->service, s->layer, s->provider, s->region, s->check };

	for (int i = 0; i < 5; i++)
		if (f[i])
			sqlite3_bind_text(st, i + 1, f[i], -1, SQLITE_STATIC);
}

struct region_state {
	char	check[160], region[96];
	char	service[96], layer[32];
	int64_t	fail_streak, ok_streak, win_failures;
	char	error[200];
};

static int
eval_check_down(struct alerter *al, const struct alert_rule *r, int64_t now,
    struct verdicts *vs, char *err, size_t errlen)
{
	struct region_state *rs = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *st;
	json_t *open = open_incidents(al, r->name);
	int rc = 0;

	/* streaks per check x region (the most telling agent of each region) */
	if (sqlite3_prepare_v2(al->db, "SELECT check_name, coalesce(region, ''), "
	    "coalesce(service, ''), coalesce(layer, ''), max(fail_streak), "
	    "max(ok_streak), max(CASE WHEN ok THEN '' ELSE "
	    "coalesce(json_extract(body, '$.error_class'), '') || ': ' || "
	    "coalesce(json_extract(body, '$.error'), '') END) FROM latest WHERE "
	    SEL_SQL " GROUP BY check_name, region ORDER BY check_name, region",
	    -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "check_down: %s", sqlite3_errmsg(al->db));
		json_decref(open);
		return -1;
	}
	bind_sel(st, &r->sel);
	while (sqlite3_step(st) == SQLITE_ROW && n < MAX_TARGETS) {
		struct region_state *x;

		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			rs = xreallocarray(rs, alloc, sizeof(*rs));
		}
		x = &rs[n++];
		memset(x, 0, sizeof(*x));
		snprintf(x->check, sizeof(x->check), "%s", sqlite3_column_text(st, 0));
		snprintf(x->region, sizeof(x->region), "%s", sqlite3_column_text(st, 1));
		snprintf(x->service, sizeof(x->service), "%s", sqlite3_column_text(st, 2));
		snprintf(x->layer, sizeof(x->layer), "%s", sqlite3_column_text(st, 3));
		x->fail_streak = sqlite3_column_int64(st, 4);
		x->ok_streak = sqlite3_column_int64(st, 5);
		if (sqlite3_column_text(st, 6))
			snprintf(x->error, sizeof(x->error), "%s", sqlite3_column_text(st, 6));
	}
	sqlite3_finalize(st);
	/* failures in the window, from the minute rollups */
	if (r->win_ms > 0 && sqlite3_prepare_v2(al->db, "SELECT check_name, "
	    "coalesce(region, ''), sum(total - good) FROM rollup_1m WHERE bucket >= ?6 "
	    "AND " SEL_SQL " GROUP BY check_name, region", -1, &st, NULL) == SQLITE_OK) {
		bind_sel(st, &r->sel);
		sqlite3_bind_int64(st, 6, now - r->win_ms);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (size_t i = 0; i < n; i++)
				if (strcmp(rs[i].check, (const char *)sqlite3_column_text(st, 0)) == 0 &&
				    strcmp(rs[i].region, (const char *)sqlite3_column_text(st, 1)) == 0)
					rs[i].win_failures = sqlite3_column_int64(st, 2);
		}
		sqlite3_finalize(st);
	}
	for (size_t i = 0; i < n; ) {
		size_t j = i, nfail = 0;
		json_t *regions = json_array(), *was = json_object_get(open, rs[i].check);
		struct buf sum;
		bool firing, resolved = true;
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
				buf_printf(&sum, "%s%s\n", rs[j].error[0] ? ", last: " : "",
				    rs[j].error);
			}
			json_array_foreach(was, k, x)
				if (strcmp(json_string_value(x), rs[j].region) == 0)
					in_incident = true;
			if (in_incident && (failing || rs[j].ok_streak < r->successes))
				resolved = false;
			j++;
		}
		firing = was ? !resolved : (int64_t)nfail >= r->min_regions;
		{
			struct verdict *v = verdict_add(vs, rs[i].check);

			v->firing = firing;
			snprintf(v->severity, sizeof(v->severity), "%s", r->severity);
			v->check = xstrdup(rs[i].check);
			v->service = rs[i].service[0] ? xstrdup(rs[i].service) : NULL;
			v->layer = rs[i].layer[0] ? xstrdup(rs[i].layer) : NULL;
			v->title = xasprintf("%s failing in %zu region%s", rs[i].check, nfail,
			    nfail == 1 ? "" : "s");
			v->summary = chomp(buf_steal(&sum));
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
			if (firing)
				v->context = alert_layer_context(al->db, v->service, v->layer, now);
		}
		json_decref(regions);
		buf_free(&sum);
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
	free(rs);
	json_decref(open);
	return rc;
}

static int
eval_cert_expiry(struct alerter *al, const struct alert_rule *r, int64_t now,
    struct verdicts *vs, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(al->db, "SELECT check_name, min(json_extract(body, "
	    "'$.cert_not_after')), coalesce(max(service), ''), coalesce(max(layer), ''), "
	    "group_concat(DISTINCT region) FROM latest WHERE json_extract(body, "
	    "'$.cert_not_after') IS NOT NULL AND " SEL_SQL " GROUP BY check_name",
	    -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cert_expiry: %s", sqlite3_errmsg(al->db));
		return -1;
	}
	bind_sel(st, &r->sel);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *check = (const char *)sqlite3_column_text(st, 0);
		int64_t na = sqlite3_column_int64(st, 1);
		double days = (double)(na * 1000 - now) / 86400000.0;
		struct verdict *v = verdict_add(vs, check);
		char when[32];
		time_t t = (time_t)na;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		v->firing = days < (double)r->days;
		snprintf(v->severity, sizeof(v->severity), "%s", r->severity);
		v->check = xstrdup(check);
		v->service = sqlite3_column_bytes(st, 2) ?
		    xstrdup((const char *)sqlite3_column_text(st, 2)) : NULL;
		v->layer = sqlite3_column_bytes(st, 3) ?
		    xstrdup((const char *)sqlite3_column_text(st, 3)) : NULL;
		v->title = days < 0 ? xasprintf("certificate of %s expired (%s)", check, when) :
		    xasprintf("certificate of %s expires in %.0f days (%s)", check,
		    floor(days), when);
		v->summary = xasprintf("earliest expiry seen by any agent: %s; rule "
		    "threshold %lld days; regions: %s", when, (long long)r->days,
		    sqlite3_column_text(st, 4) ? (const char *)sqlite3_column_text(st, 4) : "-");
		v->details = json_pack("{s:s, s:I}", "expires_at",
		    notify_iso8601(na * 1000, when, sizeof(when)), "days_left",
		    (json_int_t)floor(days));
	}
	sqlite3_finalize(st);
	return 0;
}

static int
eval_agent_silent(struct alerter *al, const struct alert_rule *r, int64_t now,
    struct verdicts *vs, char *err, size_t errlen)
{
	const struct collector_config *cc = al->c->conf;
	size_t n = r->agents ? r->nagents : cc->nagents;

	for (size_t i = 0; i < n; i++) {
		const char *id = r->agents ? r->agents[i] : cc->agents[i].id;
		sqlite3_stmt *st;
		int64_t seen = 0;
		char region[96] = "", ago[32];
		struct verdict *v;

		if (sqlite3_prepare_v2(al->db, "SELECT last_seen, coalesce(region, '') "
		    "FROM agents WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "agent_silent: %s", sqlite3_errmsg(al->db));
			return -1;
		}
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			seen = sqlite3_column_int64(st, 0);
			snprintf(region, sizeof(region), "%s", sqlite3_column_text(st, 1));
		}
		sqlite3_finalize(st);
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
	struct rollup_agg *a;
	size_t n;
	struct verdict *v;
	double q = 0;
	int64_t count = 0;
	char w[32];

	if (sloeng_aggregate(al->db, &r->sel, now - r->window_ms, now, NULL, &a, &n,
	    err, errlen) < 0)
		return -1;
	if (n == 1) {
		q = sketch_quantile(&a[0].sk, r->percentile / 100.0);
		count = (int64_t)a[0].sk.count;
	}
	sloeng_aggs_free(a, n);
	v = verdict_add(vs, "");
	v->firing = count >= r->min_results && q > (double)r->threshold_us;
	snprintf(v->severity, sizeof(v->severity), "%s", r->severity);
	v->service = xstrdup(r->sel.service);
	v->layer = xstrdup(r->sel.layer);
	v->check = xstrdup(r->sel.check);
	v->title = xasprintf("p%g latency %.0f ms over %s (threshold %.0f ms)",
	    r->percentile, q / 1000.0, duration_format(r->window_ms, w, sizeof(w)),
	    (double)r->threshold_us / 1000.0);
	v->summary = xasprintf("%lld passed runs in the window", (long long)count);
	v->details = json_pack("{s:f, s:f, s:f, s:I}", "percentile", r->percentile,
	    "value_ms", floor(q / 10.0) / 100.0, "threshold_ms",
	    (double)r->threshold_us / 1000.0, "results", (json_int_t)count);
	return 0;
}

/* The aggregate of b (sorted by key) whose key is key; NULL if none. */
static const struct rollup_agg *
agg_find(const struct rollup_agg *b, size_t nb, const char *key)
{
	size_t lo = 0, hi = nb;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(b[mid].key, key);

		if (c == 0)
			return &b[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
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

	if (sloeng_aggregate(al->db, &r->sel, now - r->window_ms, now, "check_region",
	    &a, &n, err, errlen) < 0)
		return -1;
	if (r->baseline_ms > 0 && sloeng_aggregate(al->db, &r->sel,
	    now - r->baseline_ms, now, "check_region", &b, &nb, err, errlen) < 0) {
		sloeng_aggs_free(a, n);
		return -1;
	}
	duration_format(r->window_ms, w, sizeof(w));
	duration_format(r->baseline_ms, bw, sizeof(bw));
	open = open_incidents(al, r->name);
	while (i < n) {
		const char *sep = strchr(a[i].key, '\x1f');
		size_t clen = sep ? (size_t)(sep - a[i].key) : strlen(a[i].key), j;
		char *check = xstrndup(a[i].key, clen);
		json_t *regions = json_array(), *per = json_array();
		int64_t lookups_all = 0;
		size_t nmeet = 0;
		struct buf sum;
		struct verdict *v;

		buf_init(&sum, 8192);
		for (j = i; j < n && strncmp(a[j].key, check, clen) == 0 &&
		    a[j].key[clen] == '\x1f'; j++) {
			const char *region = a[j].key + clen + 1;
			const struct rollup_agg *base = b ? agg_find(b, nb, a[j].key) : NULL;
			int64_t hits = sloeng_cache_hits(&a[j]);
			int64_t lookups = sloeng_cache_lookups(&a[j]);
			int64_t bl = base ? sloeng_cache_lookups(base) : 0;
			double ratio = lookups ? (double)hits / (double)lookups : 0;
			double bratio = bl ? (double)sloeng_cache_hits(base) / (double)bl : 0;
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
		free(check);
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
	sloeng_aggs_free(a, n);
	sloeng_aggs_free(b, nb);
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
