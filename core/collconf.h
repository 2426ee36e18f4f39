/* collconf: the collector's config file, parsed and validated in one place. */
#ifndef VANTAGE_COLLCONF_H
#define VANTAGE_COLLCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "checkconf.h"
#include "selector.h"
#include "slo.h"

struct confctx;
struct alerts_config;

struct agent_key {
	char	*id;
	char	*key;		/* resolved secret */
	size_t	 keylen;
};

/* A check the collector hands out, with whom it is for. */
struct remote_check {
	char	**regions;	/* NULL: every region */
	size_t	  nregions;
	char	**agents;	/* NULL: every agent */
	size_t	  nagents;
	json_t	 *def;		/* the definition sent to agents (defaults applied) */
};

struct collector_config {
	char			**listen;	/* "host:port" ... */
	size_t			  nlisten;
	char			 *tls_cert, *tls_key;	/* PEM file paths, or NULL */
	char			 *db;
	struct agent_key	 *agents;
	size_t			  nagents;
	struct check_defaults	  defaults;
	struct check_config	 *checks;	/* validated copies */
	struct remote_check	 *rchecks;	/* parallel to checks */
	size_t			  nchecks;
	struct slo_config	 *slos;
	size_t			  nslos;
	int64_t			  keep_raw_ms, keep_1m_ms, keep_1h_ms, keep_1d_ms;
	char			 *read_token;	/* resolved; NULL: open read API */
	int64_t			  max_body;	/* ingest body cap, bytes */
	struct alerts_config	 *alerts;	/* NULL: no alerting */
};

#define COLLECTOR_DEFAULT_DB		"vantage-collector.db"
#define COLLECTOR_DEFAULT_LISTEN	"127.0.0.1:8080"
#define COLLECTOR_DEFAULT_MAX_BODY	(8LL * 1024 * 1024)

/* Load and validate file; NULL with every error printed to stderr. Free
 * with collconf_free. */
struct collector_config *collconf_load(const char *file);
/* Same with errors collected in c; text (if not NULL) instead of the file. */
struct collector_config *collconf_load_ctx(struct confctx *c, const char *file,
    const char *text);
/* The agent's key entry, or NULL. */
const struct agent_key *collconf_agent(const struct collector_config *cc, const char *id);
/* The SLO named name, or NULL. */
const struct slo_config *collconf_slo(const struct collector_config *cc, const char *name);
/* The distinct latency thresholds (us) of cc's SLOs: up to max into out;
 * returns how many there are (may exceed max). */
size_t collconf_thresholds(const struct collector_config *cc, int64_t *out,
    size_t max);
/* Free. NULL-safe. */
void collconf_free(struct collector_config *cc);

#endif
