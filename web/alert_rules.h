/* alert_rules: what each alert rule type says about its targets this
 * evaluation (verdicts), judged from the rollups, the streaks and the
 * newest runs (web/alert_cause.h); shared by web/alert.c (incidents) and
 * web/alert_rules.c (the rule types). Private to those two files. */
#ifndef VANTAGE_ALERT_RULES_H
#define VANTAGE_ALERT_RULES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "alertconf.h"

struct collector;
struct cause_memo;

struct alerter {
	struct collector	*c;		/* its store: c->st */
	pthread_t		 th;
	pthread_mutex_t		 mu;		/* guards stop, woken, wakes */
	pthread_cond_t		 cv;
	int			 running, stop;
	bool			 woken;		/* results stored since the last run-driven evaluation began */
	int64_t			 wakes;		/* alert_wake calls, since start */
	int64_t			 evals_runs, evals_tick;	/* evaluations made, by cause */
	/* during one evaluation (the alerter's thread): the cause matrix of
	 * each service asked for, read once */
	struct cause_memo	*memo;
	size_t			 nmemo, amemo;
};

/* Is a rule of this type evaluated when results arrive (check_down,
 * latency, cert_expiry, cache_hit_drop), not only on the tick? */
bool alert_rule_run_driven(enum rule_type type);

/* What a rule says about one target this tick. */
struct verdict {
	char	*target;		/* check, agent or "" */
	bool	 firing;
	char	 severity[8];
	char	*title, *summary;
	char	*context;		/* the cause line; NULL: cannot tell now */
	json_t	*regions_detail;	/* the per-region lines ({"region", "line"}), may be NULL */
	bool	 keep_text;		/* title and summary speak of no failure now (a
					 * check recovering): keep the incident's own */
	char	*service, *layer, *check, *slo, *agent;
	json_t	*regions;		/* array, may be NULL */
	json_t	*details;		/* object, may be NULL */
};

struct verdicts {
	struct verdict	*v;
	size_t		 n, alloc;
};

/* Judge rule r at now into vs (appended; release with
 * alert_verdicts_clear). 0, or -1 with a message in err. */
int alert_rule_judge(struct alerter *a, const struct alert_rule *r, int64_t now,
    struct verdicts *vs, char *err, size_t errlen);
/* Free what vs holds and empty it. */
void alert_verdicts_clear(struct verdicts *vs);
/* Forget the cause matrices read during the evaluation that ends. */
void alert_cause_memo_clear(struct alerter *a);

#endif
