/* agentconf: the agent's config file (agent, defaults, checks[]). */
#ifndef VANTAGE_AGENTCONF_H
#define VANTAGE_AGENTCONF_H

#include <stddef.h>
#include <stdint.h>

#include "checkconf.h"
#include "outbox.h"

struct agent_config {
	char			*id, *region, *provider;
	char			*db;		/* SQLite path */
	char			*listen;	/* "127.0.0.1:9108"; NULL: no listener */
	int64_t			 max_inflight;	/* concurrent transfers */
	struct outbox_retention	 retention;
	struct check_defaults	 defaults;
	struct check_config	*checks;
	size_t			 nchecks;
};

#define AGENT_DEFAULT_DB		"vantage-agent.db"
#define AGENT_DEFAULT_MAX_INFLIGHT	256
#define AGENT_DEFAULT_KEEP_SHIPPED_MS	(7LL * 86400000)
#define AGENT_DEFAULT_KEEP_UNSHIPPED_MS	(30LL * 86400000)
#define AGENT_DEFAULT_MAX_ROWS		2000000

/* Load and validate file. Returns a new config (free with
 * agentconf_free), or NULL with every error printed to stderr as
 * "file:line:column: key: what is wrong". */
struct agent_config *agentconf_load(const char *file);
/* Same, errors collected into c instead of printed (for tests). */
struct agent_config *agentconf_load_ctx(struct confctx *c, const char *file,
    const char *text);
/* Free a config. NULL-safe. */
void agentconf_free(struct agent_config *ac);

#endif
