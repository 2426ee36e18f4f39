/* alert_rules: what each alert rule type says about its targets this
 * tick (verdicts), judged from the rollups and the streaks; shared by
 * web/alert.c (incidents) and web/alert_rules.c (the rule types). Private
 * to those two files. */
#ifndef VANTAGE_ALERT_RULES_H
#define VANTAGE_ALERT_RULES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "alertconf.h"

struct collector;

struct alerter {
	struct collector	*c;		/* its store: c->st */
	pthread_t		 th;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 running, stop;
};

/* What a rule says about one target this tick. */
struct verdict {
	char	*target;		/* check, agent or "" */
	bool	 firing;
	char	 severity[8];
	char	*title, *summary, *context;
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

#endif
