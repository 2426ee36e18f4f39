/* agentconf: the agent's config file (agent, collector, defaults, checks[]),
 * and the effective config once checks pulled from the collector are added. */
#ifndef VANTAGE_AGENTCONF_H
#define VANTAGE_AGENTCONF_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "checkconf.h"
#include "outbox.h"

/* The optional "collector" section: where results ship to. */
struct agent_collector {
	char	*url;		/* base URL as configured, no trailing '/' */
	char	*path;		/* its path component: "" or e.g. "/base" */
	char	*key;		/* resolved secret (never the "env:"/"file:" spec) */
	size_t	 keylen;
	char	*ca_file;	/* PEM CA bundle; NULL: the system store */
	int64_t	 batch_max;	/* results per batch at most */
	int64_t	 pull_every_ms;	/* check-definition pull period */
	int64_t	 timeout_ms;	/* bound on one request */
	char	**allow_secrets;	/* "env:"/"file:" specs pulled checks
					 * may use in their headers */
	size_t	 nallow_secrets;
};

struct agent_config {
	char			*id, *region, *provider;
	char			*db;		/* SQLite path */
	char			*listen;	/* "127.0.0.1:9108"; NULL: no listener */
	int64_t			 max_inflight;	/* concurrent transfers */
	struct outbox_retention	 retention;
	struct agent_collector	*collector;	/* NULL: standalone */
	char			*probe_header;	/* correlation header; NULL: off */
	/* reference targets: the agent's own connectivity (README,
	 * "Reference targets and inconclusive results") */
	char			**ref_targets;	/* as configured */
	struct check_config	*refs;		/* one check per target */
	size_t			 nrefs;
	int64_t			 ref_interval_ms, ref_timeout_ms;
	struct check_defaults	 defaults;
	/* checks[0 .. nlocal) come from the file, the nremote after them were
	 * pulled from the collector */
	struct check_config	*checks;
	size_t			 nchecks, nlocal, nremote;
	char			*local_checks;	/* the file's checks[] as compact
						 * JSON; kept only with a collector */
};

#define AGENT_DEFAULT_DB		"vantage-agent.db"
#define AGENT_DEFAULT_MAX_INFLIGHT	256
#define AGENT_DEFAULT_KEEP_SHIPPED_MS	(7LL * 86400000)
#define AGENT_DEFAULT_KEEP_UNSHIPPED_MS	(30LL * 86400000)
#define AGENT_DEFAULT_MAX_ROWS		2000000
#define AGENT_DEFAULT_BATCH_MAX		500
#define AGENT_DEFAULT_PULL_EVERY_MS	60000
#define AGENT_DEFAULT_SHIP_TIMEOUT_MS	10000
#define AGENT_KEY_MIN			16
#define AGENT_DEFAULT_PROBE_HEADER	"X-Vantage-Probe"
#define AGENT_DEFAULT_REF_INTERVAL_MS	30000
#define AGENT_DEFAULT_REF_TIMEOUT_MS	5000
#define AGENT_MAX_REF_TARGETS		16
#define AGENT_MAX_PULLED_CHECKS		10000	/* in one pulled set */
#define AGENT_MAX_ALLOW_SECRETS		64

/* Load and validate file. Returns a new config (free with
 * agentconf_free), or NULL with every error printed to stderr as
 * "file:line:column: key: what is wrong". Secrets (collector.key, the
 * checks' env:/file: headers) are resolved here: an unset variable or
 * unreadable file is an error. */
struct agent_config *agentconf_load(const char *file);
/* Same, errors collected into c instead of printed (for tests); text, if
 * not NULL, is parsed instead of reading file. */
struct agent_config *agentconf_load_ctx(struct confctx *c, const char *file,
    const char *text);
/* Build a new effective config: base's own settings and local checks plus
 * the checks in remote (the collector's answer, {"checks": [...]}),
 * validated whole with base's defaults before any of it is used (at most
 * AGENT_MAX_PULLED_CHECKS; their header secrets only from base's
 * collector.allow_secrets, resolved here); errors go to c named after
 * source (e.g. the URL). remote NULL: local checks only. A pulled check
 * named like a local one is skipped with a warning (the local one wins);
 * *nskipped counts them. Returns the new config (caller frees; base is
 * untouched) or NULL with the errors in c. */
struct agent_config *agentconf_merge_remote(struct confctx *c,
    const struct agent_config *base, const char *source, const char *remote,
    size_t *nskipped);
/* Free a config (wiping the collector key). NULL-safe. */
void agentconf_free(struct agent_config *ac);

#endif
