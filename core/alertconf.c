/* alertconf: parse and validate alerts.receivers, alerts.rules and
 * alerts.maintenance. */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "alertconf.h"
#include "conf.h"
#include "timeutil.h"
#include "xmalloc.h"

#define DAY_MS		86400000LL
#define SLO30_MS	(30 * DAY_MS)

const char *const alert_rule_type_names[] = {
	"burn_rate", "check_down", "cert_expiry", "agent_silent", "latency",
	"cache_hit_drop", NULL
};

static const char *const severities[] = { "page", "ticket", "info", NULL };

/* The multi-window, multi-burn-rate defaults (DESIGN.md; SRE workbook). */
static const struct burn_pair default_pairs[] = {
	{ "page", 3600000, 300000, 14.4 },
	{ "page", 6 * 3600000LL, 1800000, 6 },
	{ "ticket", DAY_MS, 2 * 3600000LL, 3 },
	{ "ticket", 3 * DAY_MS, 6 * 3600000LL, 1 },
};

int64_t
alertconf_scale(int64_t ms, int64_t slo_window_ms)
{
	double v = (double)ms * (double)slo_window_ms / (double)SLO30_MS;

	return v < 60000 ? 60000 : (int64_t)v;
}

static char **
name_list(struct confctx *c, const char *path, json_t *v, size_t *n)
{
	char **out, p[CONF_PATH_MAX];
	size_t i;
	json_t *x;

	*n = 0;
	if (!json_is_array(v) || json_array_size(v) == 0) {
		conf_error(c, path, "must be a non-empty list of names");
		return NULL;
	}
	out = xcalloc(json_array_size(v), sizeof(char *));
	json_array_foreach(v, i, x) {
		if (!json_is_string(x) || json_string_length(x) == 0)
			conf_error(c, conf_path_idx(p, path, i), "must be a name");
		else
			out[(*n)++] = xstrdup(json_string_value(x));
	}
	return out;
}

static void
free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
parse_receivers(struct confctx *c, json_t *v, struct alerts_config *ac)
{
	size_t i;
	json_t *o;

	if (!json_is_array(v)) {
		conf_error(c, "alerts.receivers", "must be a list of receivers");
		return;
	}
	ac->receivers = xcalloc(json_array_size(v) + 1, sizeof(*ac->receivers));
	json_array_foreach(v, i, o) {
		struct receiver_config *rc = &ac->receivers[ac->nreceivers];
		char p[CONF_PATH_MAX], q[CONF_PATH_MAX];

		conf_path_idx(p, "alerts.receivers", i);
		if (receiver_parse(c, p, o, rc) < 0 || rc->name == NULL) {
			receiver_clear(rc);
			memset(rc, 0, sizeof(*rc));
			continue;
		}
		for (size_t j = 0; j < ac->nreceivers; j++)
			if (strcmp(ac->receivers[j].name, rc->name) == 0)
				conf_error(c, conf_path(q, p, "name"), "duplicate receiver "
				    "name \"%s\"", rc->name);
		ac->nreceivers++;
	}
}

static void
parse_pairs(struct confctx *c, const char *path, json_t *v, struct alert_rule *r)
{
	static const char *const keys[] = { "severity", "long", "short", "factor", NULL };
	size_t i;
	json_t *o;

	if (!json_is_array(v) || json_array_size(v) == 0) {
		conf_error(c, path, "must be a non-empty list of {severity, long, "
		    "short, factor}");
		return;
	}
	r->pairs = xcalloc(json_array_size(v), sizeof(*r->pairs));
	json_array_foreach(v, i, o) {
		struct burn_pair *bp = &r->pairs[r->npairs];
		char p[CONF_PATH_MAX], q[CONF_PATH_MAX];
		json_t *f;
		int sev = 0;

		conf_path_idx(p, path, i);
		if (conf_object(c, p, o) == NULL)
			continue;
		conf_only_keys(c, p, o, keys);
		conf_get_enum(c, p, o, "severity", severities, &sev);
		snprintf(bp->severity, sizeof(bp->severity), "%s", severities[sev]);
		if (!json_object_get(o, "long") || !json_object_get(o, "short"))
			conf_error(c, p, "needs \"long\" and \"short\" windows");
		conf_get_duration(c, p, o, "long", 60000, 90 * DAY_MS, &bp->long_ms);
		conf_get_duration(c, p, o, "short", 60000, 90 * DAY_MS, &bp->short_ms);
		if (bp->short_ms >= bp->long_ms && bp->long_ms > 0)
			conf_error(c, conf_path(q, p, "short"), "must be shorter than long");
		f = json_object_get(o, "factor");
		if (!json_is_number(f) || json_number_value(f) <= 0)
			conf_error(c, conf_path(q, p, "factor"), "must be a positive number "
			    "(a burn rate such as 14.4)");
		else
			bp->factor = json_number_value(f);
		r->npairs++;
	}
}

static const struct slo_config *
find_slo(const struct alertconf_refs *refs, const char *name)
{
	for (size_t i = 0; i < refs->nslos; i++)
		if (strcmp(refs->slos[i].name, name) == 0)
			return &refs->slos[i];
	return NULL;
}

static void
parse_rule(struct confctx *c, const char *p, json_t *o, struct alert_rule *r,
    const struct alertconf_refs *refs, const struct alerts_config *ac)
{
	static const char *const keys[RULE_NTYPES][16] = {
		[RULE_BURN_RATE] = { "slo", "pairs", NULL },
		[RULE_CHECK_DOWN] = { "selector", "min_regions", "failures", "successes",
		    "failures_in_window", NULL },
		[RULE_CERT_EXPIRY] = { "selector", "days", NULL },
		[RULE_AGENT_SILENT] = { "after", "agents", NULL },
		[RULE_LATENCY] = { "selector", "percentile", "window", "threshold",
		    "min_results", NULL },
		[RULE_CACHE_HIT_DROP] = { "selector", "window", "threshold", "baseline",
		    "min_regions", "min_lookups", NULL },
	};
	const char *allowed[24] = { "name", "type", "severity", "receivers", "repeat" };
	char q[CONF_PATH_MAX];
	int type = -1, sev, na = 5;
	json_t *x;

	conf_get_string(c, p, o, "name", true, &r->name);
	if (json_object_get(o, "type") == NULL) {
		conf_error(c, conf_path(q, p, "type"), "required key is missing (one of "
		    "burn_rate, check_down, cert_expiry, agent_silent, latency, "
		    "cache_hit_drop)");
		return;
	}
	if (conf_get_enum(c, p, o, "type", alert_rule_type_names, &type) < 0)
		return;
	r->type = (enum rule_type)type;
	for (int i = 0; keys[type][i]; i++)
		allowed[na++] = keys[type][i];
	allowed[na] = NULL;
	conf_only_keys(c, p, o, allowed);
	sev = r->type == RULE_BURN_RATE || r->type == RULE_CHECK_DOWN ? 0 : 1;
	conf_get_enum(c, p, o, "severity", severities, &sev);
	snprintf(r->severity, sizeof(r->severity), "%s", severities[sev]);
	conf_get_duration(c, p, o, "repeat", 0, 30 * DAY_MS, &r->repeat_ms);
	if (r->repeat_ms > 0 && r->repeat_ms < 60000)
		conf_error(c, conf_path(q, p, "repeat"), "reminders at most once a minute");
	if ((x = json_object_get(o, "receivers")) == NULL)
		conf_error(c, conf_path(q, p, "receivers"), "required key is missing "
		    "(names from alerts.receivers)");
	else
		r->receivers = name_list(c, conf_path(q, p, "receivers"), x,
		    &r->nreceivers);
	for (size_t i = 0; i < r->nreceivers; i++) {
		char rp[CONF_PATH_MAX];
		if (alertconf_receiver(ac, r->receivers[i]) == NULL)
			conf_error(c, conf_path_idx(rp, q, i), "no receiver named \"%s\" in "
			    "alerts.receivers", r->receivers[i]);
	}
	if ((x = json_object_get(o, "selector")) != NULL)
		selector_parse(c, conf_path(q, p, "selector"), x, &r->sel);
	switch (r->type) {
	case RULE_BURN_RATE:
		if (conf_get_string(c, p, o, "slo", true, &r->slo_name) < 0 || !r->slo_name)
			break;
		if ((r->slo = find_slo(refs, r->slo_name)) == NULL) {
			conf_error(c, conf_path(q, p, "slo"), "no SLO named \"%s\" in slos",
			    r->slo_name);
			break;
		}
		if ((x = json_object_get(o, "pairs")) != NULL)
			parse_pairs(c, conf_path(q, p, "pairs"), x, r);
		else {
			r->pairs = xcalloc(4, sizeof(*r->pairs));
			memcpy(r->pairs, default_pairs, sizeof(default_pairs));
			r->npairs = 4;
		}
		for (size_t i = 0; i < r->npairs; i++) {
			/* the burn rate is at most 1 / (1 - objective) */
			if (r->pairs[i].factor * (1.0 - r->slo->objective) >= 1.0) {
				char pp[CONF_PATH_MAX], pi[CONF_PATH_MAX];
				conf_error(c, x ? conf_path(pp, conf_path_idx(pi, q, i),
				    "factor") : conf_path(pp, p, "slo"), "this rule can never "
				    "fire: factor %g x (1 - objective %g) >= 1 (the most a "
				    "burn rate can reach is %g)", r->pairs[i].factor,
				    r->slo->objective, 1.0 / (1.0 - r->slo->objective));
			}
		}
		break;
	case RULE_CHECK_DOWN:
		r->min_regions = 2;
		r->failures = 3;
		r->successes = 2;
		conf_get_int(c, p, o, "min_regions", 1, 100, &r->min_regions);
		conf_get_int(c, p, o, "failures", 1, 1000, &r->failures);
		conf_get_int(c, p, o, "successes", 1, 1000, &r->successes);
		if ((x = json_object_get(o, "failures_in_window")) != NULL &&
		    conf_object(c, conf_path(q, p, "failures_in_window"), x) != NULL) {
			static const char *const wk[] = { "failures", "window", NULL };
			conf_only_keys(c, q, x, wk);
			if (!json_object_get(x, "failures") || !json_object_get(x, "window"))
				conf_error(c, q, "needs \"failures\" and \"window\" (e.g. 5 "
				    "failures in \"10m\")");
			conf_get_int(c, q, x, "failures", 1, 100000, &r->win_failures);
			conf_get_duration(c, q, x, "window", 60000, DAY_MS, &r->win_ms);
		}
		break;
	case RULE_CERT_EXPIRY:
		r->days = 14;
		conf_get_int(c, p, o, "days", 1, 3650, &r->days);
		break;
	case RULE_AGENT_SILENT:
		r->after_ms = 300000;
		conf_get_duration(c, p, o, "after", 10000, 30 * DAY_MS, &r->after_ms);
		if ((x = json_object_get(o, "agents")) != NULL) {
			r->agents = name_list(c, conf_path(q, p, "agents"), x, &r->nagents);
			for (size_t i = 0; i < r->nagents; i++) {
				char ap[CONF_PATH_MAX];
				if (!refs->agent_known(refs->arg, r->agents[i]))
					conf_error(c, conf_path_idx(ap, q, i), "no agent "
					    "\"%s\" in agents", r->agents[i]);
			}
		}
		break;
	case RULE_LATENCY:
		r->percentile = 95;
		r->window_ms = 600000;
		r->min_results = 10;
		if ((x = json_object_get(o, "percentile")) != NULL) {
			if (!json_is_number(x) || json_number_value(x) <= 0 ||
			    json_number_value(x) >= 100)
				conf_error(c, conf_path(q, p, "percentile"), "must be a number "
				    "between 0 and 100, e.g. 95 or 99.9");
			else
				r->percentile = json_number_value(x);
		}
		conf_get_duration(c, p, o, "window", 60000, 30 * DAY_MS, &r->window_ms);
		if (json_object_get(o, "threshold") == NULL)
			conf_error(c, conf_path(q, p, "threshold"), "required key is missing "
			    "(e.g. \"500ms\")");
		else {
			int64_t t = 0;
			conf_get_duration(c, p, o, "threshold", 1, 3600000, &t);
			r->threshold_us = t * 1000;
		}
		conf_get_int(c, p, o, "min_results", 1, 1000000, &r->min_results);
		break;
	case RULE_CACHE_HIT_DROP:
		r->window_ms = 600000;
		r->min_regions = 2;
		r->min_lookups = 10;
		r->hit_threshold = -1;
		conf_get_duration(c, p, o, "window", 60000, 30 * DAY_MS, &r->window_ms);
		conf_get_int(c, p, o, "min_regions", 1, 100, &r->min_regions);
		conf_get_int(c, p, o, "min_lookups", 1, 1000000, &r->min_lookups);
		if ((x = json_object_get(o, "threshold")) != NULL) {
			if (!json_is_number(x) || json_number_value(x) <= 0 ||
			    json_number_value(x) > 1)
				conf_error(c, conf_path(q, p, "threshold"), "must be a hit "
				    "ratio above 0 and at most 1, e.g. 0.5");
			else
				r->hit_threshold = json_number_value(x);
		}
		if ((x = json_object_get(o, "baseline")) != NULL &&
		    conf_object(c, conf_path(q, p, "baseline"), x) != NULL) {
			static const char *const bk[] = { "window", "fraction", NULL };
			json_t *f = json_object_get(x, "fraction");

			conf_only_keys(c, q, x, bk);
			if (!json_object_get(x, "window") || f == NULL)
				conf_error(c, q, "needs \"window\" and \"fraction\" (e.g. "
				    "\"1d\" and 0.5: the ratio under half of the day's)");
			conf_get_duration(c, q, x, "window", 60000, 30 * DAY_MS,
			    &r->baseline_ms);
			if (f != NULL && (!json_is_number(f) || json_number_value(f) <= 0 ||
			    json_number_value(f) >= 1)) {
				char fp[CONF_PATH_MAX];
				conf_error(c, conf_path(fp, q, "fraction"), "must be a number "
				    "between 0 and 1, e.g. 0.5");
			} else if (f != NULL)
				r->baseline_fraction = json_number_value(f);
			if (r->baseline_ms > 0 && r->baseline_ms <= r->window_ms)
				conf_error(c, q, "the baseline window must be longer than "
				    "the rule's window");
		}
		if (json_object_get(o, "threshold") == NULL &&
		    json_object_get(o, "baseline") == NULL)
			conf_error(c, p, "a cache_hit_drop rule needs \"threshold\" (a "
			    "hit ratio) and/or \"baseline\" ({\"window\", \"fraction\"})");
		break;
	default:
		break;
	}
}

static const char *const day_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

/* Tabulate tz's UTC offsets from a day ago to 400 days ahead (15 min steps;
 * zone changes fall on such boundaries). Runs at load, single-threaded. */
static int
tabulate_tz(struct maint_window *m)
{
	char *old = getenv("TZ") ? xstrdup(getenv("TZ")) : NULL;
	time_t now = time(NULL), t;
	int last = -1000000;

	setenv("TZ", m->timezone, 1);
	tzset();
	for (t = now - 86400; t < now + 400 * 86400; t += 900) {
		struct tm tm;

		localtime_r(&t, &tm);
		if ((int)tm.tm_gmtoff != last) {
			m->offsets = xreallocarray(m->offsets, m->noffsets + 1,
			    sizeof(*m->offsets));
			m->offsets[m->noffsets].from_ms = (int64_t)t * 1000;
			m->offsets[m->noffsets].offset_s = (int)tm.tm_gmtoff;
			m->noffsets++;
			last = (int)tm.tm_gmtoff;
		}
	}
	if (old) {
		setenv("TZ", old, 1);
		free(old);
	} else
		unsetenv("TZ");
	tzset();
	return 0;
}

static bool
zone_exists(const char *tz)
{
	char path[512];
	const char *dir = getenv("TZDIR") ? getenv("TZDIR") : "/usr/share/zoneinfo";
	struct stat st;

	if (strcmp(tz, "UTC") == 0)
		return true;
	if (strstr(tz, "..") || tz[0] == '/')
		return false;
	snprintf(path, sizeof(path), "%s/%s", dir, tz);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int64_t
parse_rfc3339(const char *s, bool *ok)
{
	struct tm tm;
	char *end;
	int64_t t;

	memset(&tm, 0, sizeof(tm));
	*ok = false;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		return 0;
	t = (int64_t)timegm(&tm) * 1000;
	if (*end == '.' && isdigit((unsigned char)end[1])) {
		/* fractional seconds: kept to the millisecond */
		int64_t scale = 100;

		for (end++; isdigit((unsigned char)*end); end++, scale /= 10)
			t += (*end - '0') * scale;
	}
	if ((*end == 'Z' || *end == 'z') && end[1] == '\0') {
		*ok = true;
		return t;
	}
	if ((*end == '+' || *end == '-') && isdigit((unsigned char)end[1]) &&
	    strlen(end) == 6 && end[3] == ':') {
		int h = (end[1] - '0') * 10 + (end[2] - '0');
		int mi = (end[4] - '0') * 10 + (end[5] - '0');
		int64_t off = ((int64_t)h * 60 + mi) * 60000;
		*ok = true;
		return *end == '+' ? t - off : t + off;
	}
	return 0;
}

static void
parse_maint(struct confctx *c, json_t *v, struct alerts_config *ac)
{
	static const char *const keys[] = { "name", "rules", "start", "end", "weekly", NULL };
	static const char *const wkeys[] = { "days", "start", "duration", "timezone", NULL };
	size_t i;
	json_t *o;

	if (!json_is_array(v)) {
		conf_error(c, "alerts.maintenance", "must be a list of windows");
		return;
	}
	ac->maint = xcalloc(json_array_size(v) + 1, sizeof(*ac->maint));
	json_array_foreach(v, i, o) {
		struct maint_window *m = &ac->maint[ac->nmaint];
		char p[CONF_PATH_MAX], q[CONF_PATH_MAX];
		json_t *x, *w;

		conf_path_idx(p, "alerts.maintenance", i);
		if (conf_object(c, p, o) == NULL)
			continue;
		conf_only_keys(c, p, o, keys);
		conf_get_string(c, p, o, "name", true, &m->name);
		if ((x = json_object_get(o, "rules")) != NULL)
			m->rules = name_list(c, conf_path(q, p, "rules"), x, &m->nrules);
		w = json_object_get(o, "weekly");
		if (w != NULL && (json_object_get(o, "start") || json_object_get(o, "end")))
			conf_error(c, p, "either start/end (one-off) or weekly, not both");
		else if (w != NULL && conf_object(c, conf_path(q, p, "weekly"), w)) {
			char *start = NULL, tmp[CONF_PATH_MAX];
			json_t *days;
			size_t k;

			m->weekly = true;
			conf_only_keys(c, q, w, wkeys);
			if (!json_is_array(days = json_object_get(w, "days")) ||
			    json_array_size(days) == 0)
				conf_error(c, conf_path(tmp, q, "days"), "must be a list such "
				    "as [\"sat\", \"sun\"]");
			json_array_foreach(days, k, x) {
				char dp[CONF_PATH_MAX];
				int d = -1;
				for (int j = 0; j < 7 && json_is_string(x); j++)
					if (strcmp(day_names[j], json_string_value(x)) == 0)
						d = j;
				if (d < 0)
					conf_error(c, conf_path_idx(tmp, conf_path(dp, q, "days"),
					    k), "must be one of sun, mon, tue, wed, thu, fri, sat");
				else
					m->days |= 1u << d;
			}
			if (conf_get_string(c, q, w, "start", true, &start) == 0 && start) {
				int hh, mm;
				char extra;
				if (sscanf(start, "%d:%d%c", &hh, &mm, &extra) != 2 || hh < 0 ||
				    hh > 23 || mm < 0 || mm > 59)
					conf_error(c, conf_path(tmp, q, "start"), "must be a local "
					    "time HH:MM such as \"02:30\"");
				else
					m->start_min = hh * 60 + mm;
			}
			free(start);
			if (!json_object_get(w, "duration"))
				conf_error(c, conf_path(tmp, q, "duration"), "required key is "
				    "missing (e.g. \"2h\")");
			conf_get_duration(c, q, w, "duration", 60000, 7 * DAY_MS,
			    &m->duration_ms);
			m->timezone = xstrdup("UTC");
			if (conf_get_string(c, q, w, "timezone", false, &m->timezone) == 0) {
				if (!zone_exists(m->timezone))
					conf_error(c, conf_path(tmp, q, "timezone"), "unknown time "
					    "zone \"%s\" (use a tz database name such as "
					    "\"Europe/Berlin\")", m->timezone);
				else
					tabulate_tz(m);
			}
		} else if (w == NULL) {
			char *s = NULL, *e = NULL;
			bool ok1 = false, ok2 = false;

			if (conf_get_string(c, p, o, "start", true, &s) == 0 && s &&
			    (m->start_ms = parse_rfc3339(s, &ok1), !ok1))
				conf_error(c, conf_path(q, p, "start"), "must be RFC 3339, e.g. "
				    "\"2026-12-01T22:00:00Z\" or \"...+01:00\"");
			if (conf_get_string(c, p, o, "end", true, &e) == 0 && e &&
			    (m->end_ms = parse_rfc3339(e, &ok2), !ok2))
				conf_error(c, conf_path(q, p, "end"), "must be RFC 3339, e.g. "
				    "\"2026-12-02T02:00:00Z\"");
			if (ok1 && ok2 && m->end_ms <= m->start_ms)
				conf_error(c, conf_path(q, p, "end"), "must be after start");
			free(s);
			free(e);
		}
		ac->nmaint++;
	}
}

struct alerts_config *
alertconf_parse(struct confctx *c, json_t *v, const struct alertconf_refs *refs)
{
	static const char *const keys[] = {
		"tick", "receivers", "rules", "maintenance", NULL
	};
	struct alerts_config *ac = xcalloc(1, sizeof(*ac));
	size_t before = c->nerrs, i;
	json_t *x, *o;

	ac->tick_ms = 15000;
	if (conf_object(c, "alerts", v) == NULL)
		goto fail;
	conf_only_keys(c, "alerts", v, keys);
	conf_get_duration(c, "alerts", v, "tick", 100, 3600000, &ac->tick_ms);
	if ((x = json_object_get(v, "receivers")) != NULL)
		parse_receivers(c, x, ac);
	if ((x = json_object_get(v, "rules")) != NULL) {
		if (!json_is_array(x))
			conf_error(c, "alerts.rules", "must be a list of rules");
		else {
			ac->rules = xcalloc(json_array_size(x) + 1, sizeof(*ac->rules));
			json_array_foreach(x, i, o) {
				struct alert_rule *r = &ac->rules[ac->nrules++];
				char p[CONF_PATH_MAX], q[CONF_PATH_MAX];

				conf_path_idx(p, "alerts.rules", i);
				if (conf_object(c, p, o) == NULL)
					continue;
				parse_rule(c, p, o, r, refs, ac);
				for (size_t j = 0; r->name && j + 1 < ac->nrules; j++)
					if (ac->rules[j].name &&
					    strcmp(ac->rules[j].name, r->name) == 0)
						conf_error(c, conf_path(q, p, "name"), "duplicate "
						    "rule name \"%s\"", r->name);
			}
		}
	}
	if ((x = json_object_get(v, "maintenance")) != NULL)
		parse_maint(c, x, ac);
	for (i = 0; i < ac->nmaint; i++) {
		for (size_t j = 0; j < ac->maint[i].nrules; j++) {
			bool found = false;
			for (size_t k = 0; k < ac->nrules; k++)
				if (ac->rules[k].name &&
				    strcmp(ac->rules[k].name, ac->maint[i].rules[j]) == 0)
					found = true;
			if (!found) {
				char p[CONF_PATH_MAX], q[CONF_PATH_MAX];
				conf_path(q, conf_path_idx(p, "alerts.maintenance", i), "rules");
				conf_error(c, conf_path_idx(p, q, j), "no rule named \"%s\"",
				    ac->maint[i].rules[j]);
			}
		}
	}
	if (c->nerrs != before)
		goto fail;
	return ac;
fail:
	alertconf_free(ac);
	return NULL;
}

const struct receiver_config *
alertconf_receiver(const struct alerts_config *ac, const char *name)
{
	for (size_t i = 0; ac && i < ac->nreceivers; i++)
		if (strcmp(ac->receivers[i].name, name) == 0)
			return &ac->receivers[i];
	return NULL;
}

static int
tz_offset_at(const struct maint_window *m, int64_t ms)
{
	int off = m->noffsets ? m->offsets[0].offset_s : 0;

	for (size_t i = 0; i < m->noffsets && m->offsets[i].from_ms <= ms; i++)
		off = m->offsets[i].offset_s;
	return off;
}

static bool
window_open(const struct maint_window *m, int64_t now)
{
	int64_t local, midnight;

	if (!m->weekly)
		return now >= m->start_ms && now < m->end_ms;
	local = now + (int64_t)tz_offset_at(m, now) * 1000;
	midnight = local - ((local % DAY_MS) + DAY_MS) % DAY_MS;
	/* a window may have started on one of the previous days and still run */
	for (int back = 0; back <= 7; back++) {
		int64_t day = midnight - back * DAY_MS;
		int wday = (int)(((day / DAY_MS) + 4) % 7);	/* 1970-01-01: Thursday */
		int64_t start = day + (int64_t)m->start_min * 60000;

		if (wday < 0)
			wday += 7;
		if ((m->days & (1u << wday)) && local >= start &&
		    local < start + m->duration_ms)
			return true;
	}
	return false;
}

bool
alertconf_muted(const struct alerts_config *ac, const char *rule, int64_t now_ms,
    const char **which)
{
	for (size_t i = 0; ac && i < ac->nmaint; i++) {
		const struct maint_window *m = &ac->maint[i];
		bool applies = m->rules == NULL;

		for (size_t j = 0; !applies && j < m->nrules; j++)
			applies = strcmp(m->rules[j], rule) == 0;
		if (applies && window_open(m, now_ms)) {
			if (which)
				*which = m->name;
			return true;
		}
	}
	return false;
}

void
alertconf_free(struct alerts_config *ac)
{
	if (ac == NULL)
		return;
	for (size_t i = 0; i < ac->nreceivers; i++)
		receiver_clear(&ac->receivers[i]);
	free(ac->receivers);
	for (size_t i = 0; i < ac->nrules; i++) {
		struct alert_rule *r = &ac->rules[i];
		free(r->name);
		free_list(r->receivers, r->nreceivers);
		selector_clear(&r->sel);
		free(r->slo_name);
		free(r->pairs);
		free_list(r->agents, r->nagents);
	}
	free(ac->rules);
	for (size_t i = 0; i < ac->nmaint; i++) {
		free(ac->maint[i].name);
		free_list(ac->maint[i].rules, ac->maint[i].nrules);
		free(ac->maint[i].timezone);
		free(ac->maint[i].offsets);
	}
	free(ac->maint);
	free(ac);
}
