/* agentconf: parse and validate the agent's config in one place. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "agentconf.h"
#include "conf.h"
#include "xmalloc.h"

static int
valid_id(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return 0;
	return 1;
}

/* "host:port", "[v6]:port"; port 0 allowed (tests, with --portfile). */
static int
valid_listen(const char *s)
{
	const char *colon = strrchr(s, ':');
	size_t ndig;

	if (colon == NULL || colon == s)
		return 0;
	/* digits only: strtol would also take " 80" and "+80" */
	ndig = strspn(colon + 1, "0123456789");
	if (ndig == 0 || ndig > 5 || colon[1 + ndig] != '\0')
		return 0;
	return strtol(colon + 1, NULL, 10) <= 65535;
}

static void
parse_agent(struct confctx *c, json_t *o, struct agent_config *ac)
{
	static const char *const keys[] = {
		"id", "region", "provider", "db", "listen", "max_inflight",
		"retention", NULL
	};
	static const char *const rkeys[] = { "shipped", "unshipped", "max_rows", NULL };
	json_t *r;

	if (conf_object(c, "agent", o) == NULL)
		return;
	conf_only_keys(c, "agent", o, keys);
	if (conf_get_string(c, "agent", o, "id", true, &ac->id) == 0 && ac->id &&
	    !valid_id(ac->id))
		conf_error(c, "agent.id", "must be 1-64 letters, digits, '.', '_' or '-'");
	conf_get_string(c, "agent", o, "region", false, &ac->region);
	conf_get_string(c, "agent", o, "provider", false, &ac->provider);
	conf_get_string(c, "agent", o, "db", false, &ac->db);
	if (conf_get_string(c, "agent", o, "listen", false, &ac->listen) == 0 &&
	    ac->listen && !valid_listen(ac->listen))
		conf_error(c, "agent.listen", "must be host:port, e.g. "
		    "\"127.0.0.1:9108\" or \"[::1]:0\"");
	conf_get_int(c, "agent", o, "max_inflight", 1, 10000, &ac->max_inflight);
	if ((r = json_object_get(o, "retention")) != NULL &&
	    conf_object(c, "agent.retention", r) != NULL) {
		conf_only_keys(c, "agent.retention", r, rkeys);
		conf_get_duration(c, "agent.retention", r, "shipped", 60000,
		    3650LL * 86400000, &ac->retention.shipped_ms);
		conf_get_duration(c, "agent.retention", r, "unshipped", 60000,
		    3650LL * 86400000, &ac->retention.unshipped_ms);
		conf_get_int(c, "agent.retention", r, "max_rows", 100,
		    1000000000, &ac->retention.max_rows);
	}
}

struct agent_config *
agentconf_load_ctx(struct confctx *c, const char *file, const char *text)
{
	static const char *const keys[] = { "agent", "defaults", "checks", NULL };
	struct agent_config *ac = xcalloc(1, sizeof(*ac));
	json_t *root = NULL, *v;
	int rc;

	rc = text ? conf_load_string(c, file, text, &root) :
	    conf_load_file(c, file, &root);
	if (rc < 0)
		goto fail;
	ac->db = xstrdup(AGENT_DEFAULT_DB);
	ac->max_inflight = AGENT_DEFAULT_MAX_INFLIGHT;
	ac->retention.shipped_ms = AGENT_DEFAULT_KEEP_SHIPPED_MS;
	ac->retention.unshipped_ms = AGENT_DEFAULT_KEEP_UNSHIPPED_MS;
	ac->retention.max_rows = AGENT_DEFAULT_MAX_ROWS;
	checkconf_defaults_init(&ac->defaults);
	conf_only_keys(c, "", root, keys);
	if ((v = json_object_get(root, "agent")) == NULL)
		conf_error(c, "agent", "required section is missing "
		    "(needs at least \"id\")");
	else
		parse_agent(c, v, ac);
	if ((v = json_object_get(root, "defaults")) != NULL)
		checkconf_parse_defaults(c, "defaults", v, &ac->defaults);
	if ((v = json_object_get(root, "checks")) == NULL)
		conf_error(c, "checks", "required list is missing (add at least one check)");
	else if (json_is_array(v) && json_array_size(v) == 0)
		conf_error(c, "checks", "is empty (add at least one check)");
	else
		checkconf_parse_array(c, "checks", v, &ac->defaults, NULL,
		    &ac->checks, &ac->nchecks);
	if (c->nerrs > 0)
		goto fail;
	json_decref(root);
	return ac;
fail:
	json_decref(root);
	agentconf_free(ac);
	return NULL;
}

struct agent_config *
agentconf_load(const char *file)
{
	struct confctx c = { 0 };
	struct agent_config *ac = agentconf_load_ctx(&c, file, NULL);

	if (ac == NULL)
		conf_print_errors(&c);
	conf_ctx_free(&c);
	return ac;
}

void
agentconf_free(struct agent_config *ac)
{
	if (ac == NULL)
		return;
	free(ac->id);
	free(ac->region);
	free(ac->provider);
	free(ac->db);
	free(ac->listen);
	checkconf_free_array(ac->checks, ac->nchecks);
	free(ac);
}
