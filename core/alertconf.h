/* alertconf: the collector's `alerts` section: receivers, rules and
 * maintenance windows, validated in one place (a rule that can never fire
 * is a config error). */
#ifndef VANTAGE_ALERTCONF_H
#define VANTAGE_ALERTCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "receiver.h"
#include "selector.h"
#include "slo.h"

enum rule_type {
	RULE_BURN_RATE = 0, RULE_CHECK_DOWN, RULE_CERT_EXPIRY, RULE_AGENT_SILENT,
	RULE_LATENCY, RULE_CACHE_HIT_DROP, RULE_NTYPES
};

extern const char *const alert_rule_type_names[];	/* NULL-terminated */

struct burn_pair {
	char	severity[8];	/* "page" or "ticket" */
	int64_t	long_ms, short_ms;	/* as configured (for a 30d SLO) */
	double	factor;
};

struct alert_rule {
	char			*name;
	enum rule_type		 type;
	char			 severity[8];	/* default per type */
	char			**receivers;	/* names, validated */
	size_t			 nreceivers;
	int64_t			 repeat_ms;	/* reminders; 0: none */
	struct selector		 sel;
	/* burn_rate */
	const struct slo_config	*slo;		/* borrowed from the collector config */
	char			*slo_name;
	struct burn_pair	*pairs;
	size_t			 npairs;
	/* check_down */
	int64_t			 min_regions, failures, successes;
	int64_t			 win_failures, win_ms;	/* failures_in_window; 0: off */
	/* cert_expiry */
	int64_t			 days;
	/* agent_silent */
	int64_t			 after_ms;
	char			**agents;	/* NULL: every configured agent */
	size_t			 nagents;
	/* latency (window_ms also cache_hit_drop's short window) */
	double			 percentile;	/* 0..100 */
	int64_t			 window_ms, threshold_us, min_results;
	/* cache_hit_drop (min_regions as check_down) */
	double			 hit_threshold;		/* ratio; < 0: off */
	int64_t			 baseline_ms;		/* 0: no baseline */
	double			 baseline_fraction;
	int64_t			 min_lookups;
};

/* A one-off window (start_ms..end_ms) or a weekly one (days bitmask, start
 * minute of the local day, duration, in a time zone whose UTC offsets are
 * tabulated at load for the next 400 days). */
struct tz_offset {
	int64_t	from_ms;	/* this offset applies from here on */
	int	offset_s;
};

struct maint_window {
	char		*name;
	char		**rules;	/* NULL: every rule */
	size_t		 nrules;
	int64_t		 start_ms, end_ms;	/* one-off */
	bool		 weekly;
	unsigned	 days;		/* bit 0 = Sunday */
	int		 start_min;	/* minutes after local midnight */
	int64_t		 duration_ms;
	char		*timezone;
	struct tz_offset *offsets;
	size_t		 noffsets;
};

struct alerts_config {
	int64_t			 tick_ms;
	struct receiver_config	*receivers;
	size_t			 nreceivers;
	struct alert_rule	*rules;
	size_t			 nrules;
	struct maint_window	*maint;
	size_t			 nmaint;
};

/* What rules may name, from the rest of the config: the SLOs (borrowed by
 * burn-rate rules, so they must outlive the alerts config) and the agents. */
struct alertconf_refs {
	const struct slo_config	*slos;
	size_t			 nslos;
	bool	(*agent_known)(const void *arg, const char *id);
	const void		*arg;
};

/* Parse the `alerts` object. Returns a new config (free with
 * alertconf_free) or NULL with errors in c. */
struct alerts_config *alertconf_parse(struct confctx *c, json_t *v,
    const struct alertconf_refs *refs);
void alertconf_free(struct alerts_config *ac);
/* The receiver named name, or NULL. */
const struct receiver_config *alertconf_receiver(const struct alerts_config *ac,
    const char *name);
/* Is rule muted by a maintenance window at now_ms? Sets *which to the
 * window's name when it is. */
bool alertconf_muted(const struct alerts_config *ac, const char *rule,
    int64_t now_ms, const char **which);
/* A burn-rate window scaled from a 30-day SLO to slo_window_ms. */
int64_t alertconf_scale(int64_t ms, int64_t slo_window_ms);

#endif
