/* test_agentconf: the agent's config file (agent/agentconf.h), and every
 * example agent config shipped under dist/. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "agentconf.h"
#include "conf.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define CHECKS_OK "\"checks\": [{\"name\": \"c\", \"url\": \"http://127.0.0.1/\"}]"

static const char *
all_errors(const struct confctx *c)
{
	static char out[8192];
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < c->nerrs && off < sizeof(out); i++)
		off += (size_t)snprintf(out + off, sizeof(out) - off, "\n  %s",
		    c->errs[i]);
	return c->nerrs ? out : " (none)";
}

static bool
has_error(const struct confctx *c, const char *sub)
{
	for (size_t i = 0; i < c->nerrs; i++)
		if (strstr(c->errs[i], sub) != NULL)
			return true;
	return false;
}

/* Load text that must be good; the caller frees the config. */
static struct agent_config *
load_good(const char *text)
{
	struct confctx c = { 0 };
	struct agent_config *ac = agentconf_load_ctx(&c, "t.json", text);

	ck_assert_msg(ac != NULL, "refused:%s", all_errors(&c));
	ck_assert_uint_eq(c.nerrs, 0);
	conf_ctx_free(&c);
	return ac;
}

START_TEST(test_minimal_defaults)
{
	struct agent_config *ac = load_good("{\"agent\": {\"id\": \"a1\"}, " CHECKS_OK "}");

	ck_assert_str_eq(ac->id, "a1");
	ck_assert_ptr_null(ac->region);
	ck_assert_ptr_null(ac->provider);
	ck_assert_ptr_null(ac->listen);
	ck_assert_str_eq(ac->db, AGENT_DEFAULT_DB);
	ck_assert_str_eq(ac->db, "vantage-agent.db");
	ck_assert_int_eq(ac->max_inflight, AGENT_DEFAULT_MAX_INFLIGHT);
	ck_assert_int_eq(ac->max_inflight, 256);
	ck_assert_int_eq(ac->retention.shipped_ms, 7LL * 86400000);
	ck_assert_int_eq(ac->retention.unshipped_ms, 30LL * 86400000);
	ck_assert_int_eq(ac->retention.max_rows, 2000000);
	ck_assert_int_eq(ac->defaults.interval_ms, 60000);
	ck_assert_int_eq(ac->defaults.timeout_ms, 10000);
	ck_assert_int_eq(ac->defaults.retries, 0);
	ck_assert_uint_eq(ac->nchecks, 1);
	ck_assert_str_eq(ac->checks[0].name, "c");
	ck_assert_int_eq(ac->checks[0].interval_ms, 60000);
	ck_assert_ptr_null(ac->collector);	/* standalone */
	ck_assert_uint_eq(ac->nlocal, 1);
	ck_assert_uint_eq(ac->nremote, 0);
	agentconf_free(ac);
}
END_TEST

/* With a collector, local checks are optional (pulled ones may be all). */
START_TEST(test_collector_checks_optional)
{
	static const char *const texts[] = {
		"{\"agent\": {\"id\": \"a\"}, \"collector\": {\"url\": \"http://c/\", "
		"\"key\": \"0123456789abcdef\"}}",
		"{\"agent\": {\"id\": \"a\"}, \"collector\": {\"url\": \"http://c/\", "
		"\"key\": \"0123456789abcdef\"}, \"checks\": []}",
	};

	for (size_t i = 0; i < NELEM(texts); i++) {
		struct agent_config *ac = load_good(texts[i]);

		ck_assert_ptr_nonnull(ac->collector);
		ck_assert_str_eq(ac->collector->url, "http://c");
		ck_assert_str_eq(ac->collector->path, "");
		ck_assert_int_eq(ac->collector->batch_max, AGENT_DEFAULT_BATCH_MAX);
		ck_assert_int_eq(ac->collector->pull_every_ms, 60000);
		ck_assert_int_eq(ac->collector->timeout_ms, 10000);
		ck_assert_uint_eq(ac->nchecks, 0);
		agentconf_free(ac);
	}
}
END_TEST

START_TEST(test_full)
{
	struct agent_config *ac = load_good(
	    "{\"agent\": {\"id\": \"eu-1.b_c\", \"region\": \"eu\", \"provider\": \"hetzner\",\n"
	    "  \"db\": \"/tmp/x.db\", \"listen\": \"[::1]:0\", \"max_inflight\": 10,\n"
	    "  \"retention\": {\"shipped\": \"1d\", \"unshipped\": \"2d\", \"max_rows\": 1000}},\n"
	    " \"defaults\": {\"interval\": \"30s\", \"timeout\": \"5s\", \"retries\": 2},\n"
	    " \"checks\": [{\"name\": \"c\", \"url\": \"http://127.0.0.1/\"},\n"
	    "            {\"name\": \"d\", \"url\": \"http://127.0.0.1/\", \"retries\": 0}]}");

	ck_assert_str_eq(ac->id, "eu-1.b_c");
	ck_assert_str_eq(ac->region, "eu");
	ck_assert_str_eq(ac->provider, "hetzner");
	ck_assert_str_eq(ac->db, "/tmp/x.db");
	ck_assert_str_eq(ac->listen, "[::1]:0");
	ck_assert_int_eq(ac->max_inflight, 10);
	ck_assert_int_eq(ac->retention.shipped_ms, 86400000);
	ck_assert_int_eq(ac->retention.unshipped_ms, 2 * 86400000LL);
	ck_assert_int_eq(ac->retention.max_rows, 1000);
	ck_assert_int_eq(ac->defaults.interval_ms, 30000);
	ck_assert_int_eq(ac->defaults.timeout_ms, 5000);
	ck_assert_int_eq(ac->defaults.retries, 2);
	ck_assert_uint_eq(ac->nchecks, 2);
	/* the defaults reach the checks */
	ck_assert_int_eq(ac->checks[0].interval_ms, 30000);
	ck_assert_int_eq(ac->checks[0].timeout_ms, 5000);
	ck_assert_int_eq(ac->checks[0].retries, 2);
	ck_assert_int_eq(ac->checks[1].retries, 0);
	agentconf_free(ac);
}
END_TEST

/* Only some retention keys: the rest keep their defaults. */
START_TEST(test_retention_partial)
{
	struct agent_config *ac = load_good("{\"agent\": {\"id\": \"a\", \"retention\": "
	    "{\"unshipped\": \"90d\"}}, " CHECKS_OK "}");

	ck_assert_int_eq(ac->retention.shipped_ms, AGENT_DEFAULT_KEEP_SHIPPED_MS);
	ck_assert_int_eq(ac->retention.unshipped_ms, 90 * 86400000LL);
	ck_assert_int_eq(ac->retention.max_rows, AGENT_DEFAULT_MAX_ROWS);
	agentconf_free(ac);
}
END_TEST

static const char *const good_listen[] = {
	"127.0.0.1:9108", "0.0.0.0:0", "[::1]:0", "[::]:65535", "localhost:80",
};

START_TEST(test_listen_good)
{
	char text[512];
	struct agent_config *ac;

	snprintf(text, sizeof(text), "{\"agent\": {\"id\": \"a\", \"listen\": \"%s\"}, "
	    CHECKS_OK "}", good_listen[_i]);
	ac = load_good(text);
	ck_assert_str_eq(ac->listen, good_listen[_i]);
	agentconf_free(ac);
}
END_TEST

/* ---- bad configs: each with its errors ---- */

static const struct {
	const char	*name;
	const char	*text;
	size_t		 nerrs;
	const char	*want[3];
} bad[] = {
	{ "missing agent section",
	  "{" CHECKS_OK "}",
	  1, { "t.json:1:1: agent: required section is missing (needs at least \"id\")" } },
	{ "agent not an object",
	  "{\"agent\": \"a1\", " CHECKS_OK "}",
	  1, { "t.json:1:2: agent: must be an object" } },
	{ "agent without id",
	  "{\"agent\": {\"region\": \"eu\"}, " CHECKS_OK "}",
	  1, { "t.json:1:2: agent.id: required key is missing" } },
	{ "empty agent id",
	  "{\"agent\": {\"id\": \"\"}, " CHECKS_OK "}",
	  1, { "t.json:1:12: agent.id: must not be empty" } },
	{ "agent id with a space",
	  "{\"agent\": {\"id\": \"eu 1\"}, " CHECKS_OK "}",
	  1, { "t.json:1:12: agent.id: must be 1-64 letters, digits, '.', '_' or '-'" } },
	{ "agent id with a slash",
	  "{\"agent\": {\"id\": \"eu/1\"}, " CHECKS_OK "}",
	  1, { "agent.id: must be 1-64 letters, digits" } },
	{ "agent id with a quote",
	  "{\"agent\": {\"id\": \"eu\\\"1\"}, " CHECKS_OK "}",
	  1, { "agent.id: must be 1-64 letters, digits" } },
	{ "agent id too long",
	  "{\"agent\": {\"id\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}, "
	  CHECKS_OK "}",
	  1, { "agent.id: must be 1-64 letters, digits" } },
	{ "agent id a number",
	  "{\"agent\": {\"id\": 7}, " CHECKS_OK "}",
	  1, { "t.json:1:12: agent.id: must be a string" } },
	{ "listen without port",
	  "{\"agent\": {\"id\": \"a\",\n \"listen\": \"127.0.0.1\"}, " CHECKS_OK "}",
	  1, { "t.json:2:2: agent.listen: must be host:port, e.g. \"127.0.0.1:9108\" "
	  "or \"[::1]:0\"" } },
	{ "listen without host",
	  "{\"agent\": {\"id\": \"a\",\n \"listen\": \":9108\"}, " CHECKS_OK "}",
	  1, { "t.json:2:2: agent.listen: must be host:port" } },
	{ "listen with empty port",
	  "{\"agent\": {\"id\": \"a\",\n \"listen\": \"localhost:\"}, " CHECKS_OK "}",
	  1, { "t.json:2:2: agent.listen: must be host:port" } },
	{ "listen port too large",
	  "{\"agent\": {\"id\": \"a\",\n \"listen\": \"localhost:65536\"}, " CHECKS_OK "}",
	  1, { "t.json:2:2: agent.listen: must be host:port" } },
	{ "listen port negative",
	  "{\"agent\": {\"id\": \"a\",\n \"listen\": \"localhost:-1\"}, " CHECKS_OK "}",
	  1, { "t.json:2:2: agent.listen: must be host:port" } },
	{ "listen port with letters",
	  "{\"agent\": {\"id\": \"a\",\n \"listen\": \"localhost:80x\"}, " CHECKS_OK "}",
	  1, { "t.json:2:2: agent.listen: must be host:port" } },
	{ "listen port with a space",
	  "{\"agent\": {\"id\": \"a\",\n \"listen\": \"localhost: 80\"}, " CHECKS_OK "}",
	  1, { "t.json:2:2: agent.listen: must be host:port" } },
	{ "listen port with a sign",
	  "{\"agent\": {\"id\": \"a\",\n \"listen\": \"localhost:+80\"}, " CHECKS_OK "}",
	  1, { "t.json:2:2: agent.listen: must be host:port" } },
	{ "listen port overflowing long",
	  "{\"agent\": {\"id\": \"a\",\n \"listen\": \"h:99999999999999999999\"}, "
	  CHECKS_OK "}",
	  1, { "t.json:2:2: agent.listen: must be host:port" } },
	{ "unknown top-level key",
	  "{\"agent\": {\"id\": \"a\"},\n \"defaultz\": {}, " CHECKS_OK "}",
	  1, { "t.json:2:2: defaultz: unknown key (did you mean \"defaults\"?)" } },
	{ "misspelt agent section",
	  "{\"agnet\": {\"id\": \"a\"}, " CHECKS_OK "}",
	  2, { "t.json:1:2: agnet: unknown key (did you mean \"agent\"?)",
	  "agent: required section is missing" } },
	{ "unknown agent key",
	  "{\"agent\": {\"id\": \"a\",\n \"regoin\": \"eu\"}, " CHECKS_OK "}",
	  1, { "t.json:2:2: agent.regoin: unknown key (did you mean \"region\"?)" } },
	{ "max_inflight zero",
	  "{\"agent\": {\"id\": \"a\",\n \"max_inflight\": 0}, " CHECKS_OK "}",
	  1, { "t.json:2:2: agent.max_inflight: must be between 1 and 10000" } },
	{ "missing checks",
	  "{\"agent\": {\"id\": \"a\"}}",
	  1, { "t.json:1:1: checks: required list is missing (add at least one check)" } },
	{ "empty checks",
	  "{\"agent\": {\"id\": \"a\"},\n \"checks\": []}",
	  1, { "t.json:2:2: checks: is empty (add at least one check)" } },
	{ "checks not a list",
	  "{\"agent\": {\"id\": \"a\"},\n \"checks\": {}}",
	  1, { "t.json:2:2: checks: must be a list of checks" } },
	{ "a bad check",
	  "{\"agent\": {\"id\": \"a\"},\n \"checks\": [\n  {\"name\": \"c\"}]}",
	  1, { "t.json:3:3: checks[0].url: required key is missing" } },
	{ "bad defaults",
	  "{\"agent\": {\"id\": \"a\"},\n \"defaults\": {\"retries\": -1}, " CHECKS_OK "}",
	  1, { "t.json:2:15: defaults.retries: must be between 0 and 10" } },
	{ "unknown retention key",
	  "{\"agent\": {\"id\": \"a\", \"retention\": {\n \"shiped\": \"1d\"}}, " CHECKS_OK "}",
	  1, { "t.json:2:2: agent.retention.shiped: unknown key (did you mean "
	  "\"shipped\"?)" } },
	{ "retention shipped below a minute",
	  "{\"agent\": {\"id\": \"a\", \"retention\": {\n \"shipped\": \"30s\"}}, " CHECKS_OK "}",
	  1, { "t.json:2:2: agent.retention.shipped: must be between 1m and 3650d" } },
	{ "retention unshipped not a duration",
	  "{\"agent\": {\"id\": \"a\", \"retention\": {\n \"unshipped\": 30}}, " CHECKS_OK "}",
	  1, { "t.json:2:2: agent.retention.unshipped: must be a duration string" } },
	{ "retention max_rows too small",
	  "{\"agent\": {\"id\": \"a\", \"retention\": {\n \"max_rows\": 50}}, " CHECKS_OK "}",
	  1, { "t.json:2:2: agent.retention.max_rows: must be between 100 and "
	  "1000000000" } },
	{ "retention not an object",
	  "{\"agent\": {\"id\": \"a\",\n \"retention\": \"7d\"}, " CHECKS_OK "}",
	  1, { "t.json:2:2: agent.retention: must be an object" } },
	{ "several errors at once",
	  "{\"agent\": {\"id\": \"a b\",\n \"listen\": \"x\",\n \"max_inflight\": \"9\"},\n"
	  " \"checks\": []}",
	  4, { "t.json:1:12: agent.id", "t.json:2:2: agent.listen",
	  "t.json:3:2: agent.max_inflight: must be an integer" } },
	{ "allow_secrets of the wrong form",
	  "{\"agent\": {\"id\": \"a\"}, \"collector\": {\"url\": \"http://c/\",\n"
	  " \"key\": \"0123456789abcdef\", \"allow_secrets\": [\"API_TOKEN\",\n"
	  " \"env:A\", 5, \"file:x\"]}}",
	  3, { "t.json:2:47: collector.allow_secrets[0]: not an \"env:\" or \"file:\" "
	  "secret", "t.json:3:11: collector.allow_secrets[2]: must be a string",
	  "t.json:3:14: collector.allow_secrets[3]: \"file:\" needs an absolute path" } },
	{ "allow_secrets not a list",
	  "{\"agent\": {\"id\": \"a\"}, \"collector\": {\"url\": \"http://c/\",\n"
	  " \"key\": \"0123456789abcdef\", \"allow_secrets\": \"env:A\"}}",
	  1, { "t.json:2:29: collector.allow_secrets: must be a list of at most 64" } },
	/* a local check's header secret is read at load: a missing one is a
	 * config error, with its place */
	{ "a header secret that is not there",
	  "{\"agent\": {\"id\": \"a\"},\n \"checks\": [{\"name\": \"c\", "
	  "\"url\": \"http://x/\",\n  \"headers\": {\"Authorization\": "
	  "\"env:VANTAGE_TEST_UNSET_VAR\", \"X-K\": \"file:/nonexistent/vantage/k\"}}]}",
	  2, { "t.json:3:15: checks[0].headers.Authorization: environment variable "
	  "VANTAGE_TEST_UNSET_VAR is not set",
	  "checks[0].headers.X-K: cannot read /nonexistent/vantage/k" } },
	{ "not JSON",
	  "{\"agent\": {\"id\": \"a\",}}",
	  1, { "t.json:1:" } },
	{ "top level a list",
	  "[]",
	  1, { "t.json:1:1: the top level must be a JSON object" } },
};

START_TEST(test_bad)
{
	struct confctx c = { 0 };
	struct agent_config *ac = agentconf_load_ctx(&c, "t.json", bad[_i].text);

	ck_assert_msg(ac == NULL, "[%s] accepted", bad[_i].name);
	for (size_t k = 0; k < NELEM(bad[_i].want) && bad[_i].want[k]; k++)
		ck_assert_msg(has_error(&c, bad[_i].want[k]), "[%s] no error "
		    "containing\n  %s\ngot:%s", bad[_i].name, bad[_i].want[k],
		    all_errors(&c));
	ck_assert_msg(c.nerrs == bad[_i].nerrs, "[%s] %zu errors, want %zu:%s",
	    bad[_i].name, c.nerrs, bad[_i].nerrs, all_errors(&c));
	conf_ctx_free(&c);
}
END_TEST

/* ---- secrets and pulled check sets ---- */

#define COLLECTOR_BASE "{\"agent\": {\"id\": \"a\"}, \"collector\": " \
	"{\"url\": \"http://c/\", \"key\": \"0123456789abcdef\", " \
	"\"allow_secrets\": [\"env:VANTAGE_TEST_TOKEN\"]}, \"checks\": " \
	"[{\"name\": \"local\", \"url\": \"http://x/\", \"follow_redirects\": true, " \
	"\"headers\": {\"X-Local\": \"env:VANTAGE_TEST_LOCAL\"}}]}"

START_TEST(test_local_secret_resolved)
{
	struct agent_config *ac;

	setenv("VANTAGE_TEST_LOCAL", "l0cal", 1);
	setenv("VANTAGE_TEST_TOKEN", "t0ken", 1);
	ac = load_good(COLLECTOR_BASE);
	ck_assert_uint_eq(ac->nchecks, 1);
	ck_assert_str_eq(ac->checks[0].headers[0].value, "l0cal");
	ck_assert_int_eq(ac->checks[0].redirect, REDIRECT_ANY);
	ck_assert_uint_eq(ac->collector->nallow_secrets, 1);
	agentconf_free(ac);
}
END_TEST

/* Merge base with a pulled set; returns the config or NULL with c's
 * errors (c must be freed). */
static struct agent_config *
merge(struct confctx *c, const struct agent_config *base, const char *remote)
{
	size_t skipped = 0;

	memset(c, 0, sizeof(*c));
	return agentconf_merge_remote(c, base, "http://c/api/v1/agent/checks",
	    remote, &skipped);
}

START_TEST(test_pulled_secrets_and_redirects)
{
	struct agent_config *base, *m;
	struct confctx c;

	setenv("VANTAGE_TEST_LOCAL", "l0cal", 1);
	setenv("VANTAGE_TEST_TOKEN", "t0ken", 1);
	base = load_good(COLLECTOR_BASE);
	/* an allowed secret is read; redirects follow the same host only */
	m = merge(&c, base, "{\"checks\": [{\"name\": \"r\", \"url\": \"http://y/\", "
	    "\"follow_redirects\": true, \"headers\": {\"Authorization\": "
	    "\"env:VANTAGE_TEST_TOKEN\"}}]}");
	ck_assert_msg(m != NULL, "refused:%s", all_errors(&c));
	conf_ctx_free(&c);
	ck_assert_uint_eq(m->nchecks, 2);
	ck_assert_uint_eq(m->nlocal, 1);
	ck_assert_uint_eq(m->nremote, 1);
	ck_assert_str_eq(m->checks[0].headers[0].value, "l0cal");
	ck_assert_int_eq(m->checks[0].redirect, REDIRECT_ANY);
	ck_assert(!m->checks[0].pulled);
	ck_assert_str_eq(m->checks[1].headers[0].value, "t0ken");
	ck_assert_int_eq(m->checks[1].redirect, REDIRECT_SAME_HOST);
	ck_assert(m->checks[1].pulled);
	/* a merged config merges again (the local secrets come along) */
	{
		struct agent_config *m2 = merge(&c, m, NULL);

		ck_assert_msg(m2 != NULL, "refused:%s", all_errors(&c));
		ck_assert_str_eq(m2->checks[0].headers[0].value, "l0cal");
		agentconf_free(m2);
		conf_ctx_free(&c);
	}
	agentconf_free(m);
	/* the collector may not read what the agent does not list */
	ck_assert_ptr_null(m = merge(&c, base, "{\"checks\": [{\"name\": \"r\", "
	    "\"url\": \"http://y/\", \"headers\": {\"X-Leak\": \"file:/etc/passwd\", "
	    "\"X-Env\": \"env:VANTAGE_TEST_LOCAL\"}}]}"));
	ck_assert_msg(c.nerrs == 2 && has_error(&c, "checks[0].headers.X-Leak: "
	    "\"file:/etc/passwd\" is not in this agent's collector.allow_secrets") &&
	    has_error(&c, "checks[0].headers.X-Env: \"env:VANTAGE_TEST_LOCAL\" is not"),
	    "%s", all_errors(&c));
	conf_ctx_free(&c);
	/* an allowed one that is not set: refused too */
	unsetenv("VANTAGE_TEST_TOKEN");
	ck_assert_ptr_null(merge(&c, base, "{\"checks\": [{\"name\": \"r\", "
	    "\"url\": \"http://y/\", \"headers\": {\"A\": \"env:VANTAGE_TEST_TOKEN\"}}]}"));
	ck_assert_msg(has_error(&c, "checks[0].headers.A: environment variable "
	    "VANTAGE_TEST_TOKEN is not set"), "%s", all_errors(&c));
	conf_ctx_free(&c);
	agentconf_free(base);
}
END_TEST

/* Whatever the collector sends, the merge refuses it whole with errors, or
 * takes it: never a crash, never half a set (issue 14, finding 3). */
START_TEST(test_pulled_set_refused_whole)
{
	static const struct {
		const char *remote, *err;
	} cases[] = {
		{ "{\"checks\": [{\"name\": \"a\", \"kind\": \"assets\", \"targets\": "
		  "[{\"url\": \"https://a.example/\"}, {\"name\": \"o\", \"url\": "
		  "\"https://b.example/\"}]}]}",
		  "checks[0].targets[0].name: required key is missing" },
		{ "{\"checks\": [{\"name\": \"ok\", \"url\": \"http://y/\"}, "
		  "{\"name\": \"new\", \"kind\": \"quic\"}]}",
		  "checks[1].kind: unknown kind \"quic\"" },
		{ "{\"checks\": [{\"name\": \"ok\", \"url\": \"http://y/\"}", "" },
		{ "[]", "the top level must be a JSON object" },
		{ "{}", "checks: missing" },
		{ "{\"checks\": 5}", "checks: must be a list of checks" },
		{ "{\"checks\": [5, null, []]}", "checks[0]: must be an object" },
		{ "{\"checks\": [{\"name\": \"a\", \"url\": \"http://y/\", "
		  "\"headers\": {\"A\": 1}, \"expect\": {\"json\": {\"..\": 1}}}]}",
		  "checks[0].headers.A: must be a string" },
	};
	struct agent_config *base;

	setenv("VANTAGE_TEST_LOCAL", "l0cal", 1);
	base = load_good(COLLECTOR_BASE);
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct confctx c;

		ck_assert_msg(merge(&c, base, cases[i].remote) == NULL, "[%zu] taken", i);
		ck_assert_msg(c.nerrs > 0 && has_error(&c, cases[i].err), "[%zu] want "
		    "\"%s\":%s", i, cases[i].err, all_errors(&c));
		conf_ctx_free(&c);
	}
	agentconf_free(base);
}
END_TEST

START_TEST(test_pulled_set_too_big)
{
	struct agent_config *base;
	size_t n = AGENT_MAX_PULLED_CHECKS + 1, off;
	char *text = malloc(n * 8 + 32);
	struct confctx c;

	setenv("VANTAGE_TEST_LOCAL", "l0cal", 1);
	base = load_good(COLLECTOR_BASE);
	ck_assert_ptr_nonnull(text);
	off = (size_t)sprintf(text, "{\"checks\": [");
	for (size_t i = 0; i < n; i++)
		off += (size_t)sprintf(text + off, "%s{}", i ? "," : "");
	sprintf(text + off, "]}");
	ck_assert_ptr_null(merge(&c, base, text));
	ck_assert_msg(c.nerrs == 1 && has_error(&c, "10001 checks: an agent runs at "
	    "most 10000 pulled checks"), "%s", all_errors(&c));
	conf_ctx_free(&c);
	free(text);
	agentconf_free(base);
}
END_TEST

/* ---- files ---- */

START_TEST(test_load_file)
{
	char dir[] = "/tmp/vantage-agentconf-XXXXXX", path[256];
	struct confctx c = { 0 };
	struct agent_config *ac;
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/agent.json", dir);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("{\"agent\": {\"id\": \"f1\"},\n \"checks\": [{\"name\": \"c\",\n"
	    "  \"url\": \"http://127.0.0.1/\", \"layer\": \"edgy\"}]}\n", fp);
	fclose(fp);
	ac = agentconf_load_ctx(&c, path, NULL);
	ck_assert_ptr_null(ac);
	ck_assert_uint_eq(c.nerrs, 1);
	/* errors name the real file */
	ck_assert_msg(strncmp(c.errs[0], path, strlen(path)) == 0 &&
	    strstr(c.errs[0], ":3:31: checks[0].layer: must be one of") != NULL,
	    "got %s", c.errs[0]);
	conf_ctx_free(&c);

	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("{\"agent\": {\"id\": \"f1\"}, " CHECKS_OK "}\n", fp);
	fclose(fp);
	ac = agentconf_load(path);
	ck_assert_ptr_nonnull(ac);
	ck_assert_str_eq(ac->id, "f1");
	agentconf_free(ac);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_load_missing_file)
{
	struct confctx c = { 0 };
	struct agent_config *ac;

	ac = agentconf_load_ctx(&c, "/nonexistent/vantage/agent.json", NULL);
	ck_assert_ptr_null(ac);
	ck_assert_uint_eq(c.nerrs, 1);
	ck_assert_ptr_nonnull(strstr(c.errs[0], "/nonexistent/vantage/agent.json: "
	    "cannot open"));
	conf_ctx_free(&c);
	ck_assert_ptr_null(agentconf_load("/nonexistent/vantage/agent.json"));
	agentconf_free(NULL);
}
END_TEST

static bool
is_agent_example(const char *name)
{
	size_t n = strlen(name);

	return strncmp(name, "agent", 5) == 0 && n > 5 &&
	    strcmp(name + n - 5, ".json") == 0 &&
	    !(n >= 12 && strcmp(name + n - 12, ".schema.json") == 0);
}

/* Read path into a new string with collector.ca_file (a deployment path
 * this machine does not have) pointed at /dev/null, which the loader can
 * read. Returns NULL if path cannot be read. */
static char *
read_faking_ca_file(const char *path)
{
	static const char key[] = "\"ca_file\"";
	const char *k, *v, *end;
	char *text, *out;
	size_t n, tail;
	long sz;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	sz = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)sz + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(fread(text, 1, (size_t)sz, fp), sz);
	fclose(fp);
	if ((k = strstr(text, key)) == NULL)
		return text;
	v = k + strlen(key);
	v += strspn(v, " \t\r\n:");
	if (*v != '"' || (end = strchr(v + 1, '"')) == NULL)
		return text;
	n = (size_t)(v + 1 - text);
	tail = strlen(end) + 1;
	out = malloc(n + strlen("/dev/null") + tail);
	ck_assert_ptr_nonnull(out);
	memcpy(out, text, n);
	memcpy(out + n, "/dev/null", strlen("/dev/null"));
	memcpy(out + n + strlen("/dev/null"), end, tail);
	free(text);
	return out;
}

/* Every example agent config in dist/ loads with zero errors. There may be
 * none yet: then there is nothing to check. */
START_TEST(test_dist_examples)
{
	const char *src = getenv("VANTAGE_SRCDIR");
	char dir[4096];
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s/dist", src && *src ? src : ".");
	if ((d = opendir(dir)) == NULL)
		return;
	/* the examples read the collector key from the environment */
	setenv("VANTAGE_AGENT_KEY", "example-key-0123456789abcdef", 1);
	while ((de = readdir(d)) != NULL) {
		char path[8192];
		struct confctx c = { 0 };
		struct agent_config *ac;
		char *text;

		if (!is_agent_example(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		text = read_faking_ca_file(path);
		ck_assert_msg(text != NULL, "cannot read %s", path);
		ac = agentconf_load_ctx(&c, path, text);
		ck_assert_msg(ac != NULL && c.nerrs == 0, "%s refused:%s", path,
		    all_errors(&c));
		ck_assert_uint_gt(ac->nchecks, 0);
		agentconf_free(ac);
		conf_ctx_free(&c);
		free(text);
	}
	closedir(d);
}
END_TEST

START_TEST(test_example_filter)
{
	ck_assert(is_agent_example("agent.json"));
	ck_assert(is_agent_example("agent.example.json"));
	ck_assert(is_agent_example("agent-standalone.json"));
	ck_assert(!is_agent_example("agent.schema.json"));
	ck_assert(!is_agent_example("collector.example.json"));
	ck_assert(!is_agent_example("agent.example.json.orig"));
	ck_assert(!is_agent_example("agent"));
}
END_TEST

static Suite *
agentconf_suite(void)
{
	Suite *s = suite_create("agentconf");
	TCase *tg = tcase_create("good");
	TCase *tb = tcase_create("bad");
	TCase *tf = tcase_create("files");

	tcase_add_test(tg, test_minimal_defaults);
	tcase_add_test(tg, test_full);
	tcase_add_test(tg, test_retention_partial);
	tcase_add_test(tg, test_collector_checks_optional);
	tcase_add_loop_test(tg, test_listen_good, 0, (int)NELEM(good_listen));
	suite_add_tcase(s, tg);
	tcase_add_loop_test(tb, test_bad, 0, (int)NELEM(bad));
	tcase_add_test(tb, test_local_secret_resolved);
	tcase_add_test(tb, test_pulled_secrets_and_redirects);
	tcase_add_test(tb, test_pulled_set_refused_whole);
	tcase_add_test(tb, test_pulled_set_too_big);
	suite_add_tcase(s, tb);
	tcase_add_test(tf, test_load_file);
	tcase_add_test(tf, test_load_missing_file);
	tcase_add_test(tf, test_dist_examples);
	tcase_add_test(tf, test_example_filter);
	suite_add_tcase(s, tf);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(agentconf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
