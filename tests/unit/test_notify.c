/* Unit tests: web/notify*.c, the alert receivers. Each kind's request for a
 * fixed trigger, resolve and test notification is compared (as parsed JSON)
 * with tests/unit/data/notify/<kind>-<event>.json; URL and headers are
 * checked here. After a deliberate format change, run the test with
 * VANTAGE_NOTIFY_REGEN=1 to rewrite the expected files, then review the
 * diff against the service's documentation. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "conf.h"
#include "notify.h"
#include "sign.h"

#define PD_KEY		"0123456789abcdef0123456789abcdef"
#define OG_KEY		"og-key-0000-1111"
#define HOOK_SECRET	"whsec-test-secret"

#define T_START		1795718400000LL		/* 2026-11-26T18:40:00Z */
#define T_TRIGGER	(T_START + 4200)
#define T_RESOLVED	(T_START + 750000)	/* 12m30s later */

static char secret_file[64];

/* ---- fixtures ---- */

static const char *const kind_names[] = {
	"slack", "discord", "teams", "mattermost", "pagerduty", "opsgenie",
	"webhook"
};
#define NKINDS	(sizeof(kind_names) / sizeof(kind_names[0]))

static const char *const event_names[] = { "trigger", "resolve", "test" };
#define NEVENTS	(sizeof(event_names) / sizeof(event_names[0]))

/* One good receiver per kind. */
static const char *const good_conf[NKINDS] = {
	"{\"name\": \"ops-slack\", \"type\": \"slack\", "
	"\"url\": \"https://hooks.slack.com/services/T000/B000/XXXXXXXX\", "
	"\"channel\": \"#ops\", \"username\": \"vantage\"}",
	"{\"name\": \"ops-discord\", \"type\": \"discord\", "
	"\"url\": \"https://discord.com/api/webhooks/123456/abcdef\", "
	"\"username\": \"Vantage\", \"timeout\": \"5s\"}",
	"{\"name\": \"ops-teams\", \"type\": \"teams\", "
	"\"url\": \"https://prod-00.westeurope.logic.azure.com:443/workflows/abc/"
	"triggers/manual/paths/invoke?api-version=2016-06-01&sig=xyz\"}",
	"{\"name\": \"ops-mm\", \"type\": \"mattermost\", "
	"\"url\": \"https://chat.example.com/hooks/xyz123\", \"channel\": \"alerts\"}",
	"{\"name\": \"pd-eu\", \"type\": \"pagerduty\", "
	"\"url\": \"https://events.eu.pagerduty.com/v2/enqueue\", "
	"\"routing_key\": \"env:VANTAGE_TEST_PD_KEY\", \"max_attempts\": 12}",
	"{\"name\": \"og-eu\", \"type\": \"opsgenie\", "
	"\"url\": \"https://api.eu.opsgenie.com/\", \"api_key\": \"" OG_KEY "\"}",
	NULL,	/* webhook: good_text() adds the secret file */
};

static json_t *
fixture_details(void)
{
	return json_pack("{s:[s,s], s:i, s:f, s:s}",
	    "failing_regions", "eu-central", "us-east",
	    "consecutive_failures", 3,
	    "failure_ratio", 0.67,
	    "error", "connect timeout > 10s");
}

/* The fixed notification for event (details borrowed from the caller). */
static struct notification
fixture(const char *event, json_t *details)
{
	struct notification n = {
		.event = event,
		.incident_id = "inc-42",
		.rule = "micro-front-door-down",
		.rule_type = "check_down",
		.severity = "page",
		.title = "micro front door down in 2 regions",
		.summary = "micro-front-door failed 3 times in a row from "
		    "eu-central and us-east: connect timeout > 10s & no <response>",
		.context = "front door failing, origins healthy: CDN problem",
		.service = "micro",
		.layer = "front_door",
		.check = "micro-front-door",
		.started_at = T_START,
		.now = T_TRIGGER,
		.details = details,
	};

	if (strcmp(event, "resolve") == 0) {
		n.summary = "micro-front-door passes again from every region";
		n.resolved_at = T_RESOLVED;
		n.now = T_RESOLVED;
	} else if (strcmp(event, "test") == 0) {
		memset(&n, 0, sizeof(n));
		n.event = "test";
		n.incident_id = "test-1795718400";
		n.rule = "test";
		n.severity = "info";
		n.title = "test notification from vantage";
		n.summary = "If you can read this, the receiver works.";
		n.now = T_START;
	}
	return n;
}

static char *
good_text(size_t k)
{
	char *t = NULL;

	if (good_conf[k] != NULL)
		return strdup(good_conf[k]);
	if (asprintf(&t, "{\"name\": \"hook\", \"type\": \"webhook\", "
	    "\"url\": \"http://127.0.0.1:9/hooks/vantage\", "
	    "\"secret\": \"file:%s\"}", secret_file) < 0)
		abort();
	return t;
}

/* Parse {"receivers": [text]} into rc; the errors stay in c. */
static int
parse_one(struct confctx *c, const char *text, struct receiver_config *rc)
{
	json_t *root;
	int rv;

	ck_assert_int_eq(conf_load_string(c, "t.json", text, &root), 0);
	rv = receiver_parse(c, "receivers[0]",
	    json_array_get(json_object_get(root, "receivers"), 0), rc);
	json_decref(root);
	return rv;
}

static void
load_good(size_t k, struct receiver_config *rc)
{
	struct confctx c = { 0 };
	char *one = good_text(k), *text = NULL;

	if (asprintf(&text, "{\"receivers\": [%s]}", one) < 0)
		abort();
	memset(rc, 0, sizeof(*rc));
	ck_assert_msg(parse_one(&c, text, rc) == 0, "%s: %s", kind_names[k],
	    c.nerrs ? c.errs[0] : "(no message)");
	ck_assert_int_eq(c.nerrs, 0);
	conf_ctx_free(&c);
	free(one);
	free(text);
}

static char *
read_all(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *s;
	long sz;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	sz = ftell(fp);
	rewind(fp);
	s = calloc(1, (size_t)sz + 1);
	if (s == NULL || fread(s, 1, (size_t)sz, fp) != (size_t)sz) {
		free(s);
		s = NULL;
	}
	fclose(fp);
	return s;
}

static char *
data_path(const char *kind, const char *event)
{
	const char *src = getenv("VANTAGE_SRCDIR");
	char *p = NULL;

	if (asprintf(&p, "%s/tests/unit/data/notify/%s-%s.json",
	    src ? src : ".", kind, event) < 0)
		abort();
	return p;
}

static bool
has_header(const struct curl_slist *h, const char *line)
{
	for (; h != NULL; h = h->next)
		if (strcmp(h->data, line) == 0)
			return true;
	return false;
}

static const char *
header_value(const struct curl_slist *h, const char *name)
{
	size_t n = strlen(name);

	for (; h != NULL; h = h->next)
		if (strncasecmp(h->data, name, n) == 0 && h->data[n] == ':')
			return h->data + n + 1 + (h->data[n + 1] == ' ');
	return NULL;
}

/* ---- payloads against the stored expected files ---- */

static void
compare_body(const char *kind, const char *event, const char *body)
{
	char *path = data_path(kind, event), *want_text, *a, *b;
	json_error_t je;
	json_t *got, *want;
	FILE *fp;

	got = json_loads(body, 0, &je);
	ck_assert_msg(got != NULL, "%s-%s: body is not JSON: %s", kind, event, je.text);
	if (getenv("VANTAGE_NOTIFY_REGEN") != NULL) {
		ck_assert_int_eq(json_dump_file(got, path, JSON_INDENT(2) |
		    JSON_REAL_PRECISION(15)), 0);
		ck_assert_ptr_nonnull(fp = fopen(path, "a"));
		fputc('\n', fp);
		fclose(fp);
	}
	want_text = read_all(path);
	ck_assert_msg(want_text != NULL, "cannot read %s", path);
	want = json_loads(want_text, 0, &je);
	ck_assert_msg(want != NULL, "%s: %d:%d: %s", path, je.line, je.column, je.text);
	if (!json_equal(got, want)) {
		a = json_dumps(got, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
		b = json_dumps(want, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
		fprintf(stderr, "%s-%s: body differs from %s\n--- got:\n%s\n"
		    "--- want:\n%s\n", kind, event, path, a, b);
		free(a);
		free(b);
		ck_abort_msg("%s-%s: body differs from %s", kind, event, path);
	}
	json_decref(got);
	json_decref(want);
	free(want_text);
	free(path);
}

static void
check_url_and_headers(size_t k, const char *event, const struct notify_request *r,
    const struct notification *n)
{
	static const char *const urls[NKINDS] = {
		"https://hooks.slack.com/services/T000/B000/XXXXXXXX",
		"https://discord.com/api/webhooks/123456/abcdef",
		"https://prod-00.westeurope.logic.azure.com:443/workflows/abc/"
		"triggers/manual/paths/invoke?api-version=2016-06-01&sig=xyz",
		"https://chat.example.com/hooks/xyz123",
		"https://events.eu.pagerduty.com/v2/enqueue",
		NULL,
		"http://127.0.0.1:9/hooks/vantage",
	};
	const char *kind = kind_names[k];

	ck_assert_msg(has_header(r->headers, "Content-Type: application/json"),
	    "%s-%s: no Content-Type", kind, event);
	if (strcmp(kind, "opsgenie") == 0) {
		ck_assert_str_eq(r->url, strcmp(event, "resolve") == 0 ?
		    "https://api.eu.opsgenie.com/v2/alerts/inc-42/close?identifierType=alias" :
		    "https://api.eu.opsgenie.com/v2/alerts");
		ck_assert(has_header(r->headers, "Authorization: GenieKey " OG_KEY));
	} else {
		ck_assert_str_eq(r->url, urls[k]);
		ck_assert_ptr_null(header_value(r->headers, "Authorization"));
	}
	if (strcmp(kind, "webhook") == 0) {
		unsigned char mac[EVP_MAX_MD_SIZE];
		unsigned int maclen = 0;
		char want[80], ts[32], *msg = NULL;
		const char *sig;
		size_t off;

		snprintf(ts, sizeof(ts), "%lld", (long long)(n->now / 1000));
		ck_assert_str_eq(header_value(r->headers, "X-Vantage-Timestamp"), ts);
		/* recomputed independently of lib/sign.c */
		if (asprintf(&msg, "%s.%s", ts, r->body) < 0)
			abort();
		HMAC(EVP_sha256(), HOOK_SECRET, (int)strlen(HOOK_SECRET),
		    (const unsigned char *)msg, strlen(msg), mac, &maclen);
		off = (size_t)snprintf(want, sizeof(want), "sha256=");
		for (unsigned int i = 0; i < maclen; i++)
			off += (size_t)snprintf(want + off, sizeof(want) - off, "%02x", mac[i]);
		sig = header_value(r->headers, "X-Vantage-Signature");
		ck_assert_ptr_nonnull(sig);
		ck_assert_str_eq(sig, want);
		free(msg);
	} else
		ck_assert_ptr_null(header_value(r->headers, "X-Vantage-Signature"));
}

/* Loop index: kind * NEVENTS + event. */
START_TEST(test_payload)
{
	size_t k = (size_t)_i / NEVENTS;
	const char *event = event_names[(size_t)_i % NEVENTS];
	struct receiver_config rc;
	struct notify_request r = { 0 };
	struct notification n;
	json_t *details = fixture_details();
	char err[256] = "";

	load_good(k, &rc);
	ck_assert_str_eq(rc.kind->name, kind_names[k]);
	n = fixture(event, strcmp(event, "test") == 0 ? NULL : details);
	ck_assert_msg(notify_build(&rc, &n, &r, err, sizeof(err)) == 0,
	    "%s-%s: %s", kind_names[k], event, err);
	ck_assert_ptr_nonnull(r.body);
	compare_body(kind_names[k], event, r.body);
	check_url_and_headers(k, event, &r, &n);
	if (strcmp(event, "test") == 0)
		ck_assert_msg(strstr(r.body, "[TEST] ") != NULL,
		    "%s: a test is not marked \"[TEST]\" in the text", kind_names[k]);
	notify_request_clear(&r);
	notify_request_clear(&r);	/* safe twice */
	receiver_clear(&rc);
	json_decref(details);
}
END_TEST

/* ---- details of single kinds ---- */

START_TEST(test_opsgenie_alias_escaped)
{
	struct receiver_config rc;
	struct notify_request r = { 0 };
	struct notification n = fixture("resolve", NULL);
	char err[256];

	load_good(5, &rc);
	n.incident_id = "inc 42/eu+us";
	ck_assert_int_eq(notify_build(&rc, &n, &r, err, sizeof(err)), 0);
	ck_assert_str_eq(r.url, "https://api.eu.opsgenie.com/v2/alerts/"
	    "inc%2042%2Feu%2Bus/close?identifierType=alias");
	notify_request_clear(&r);
	receiver_clear(&rc);
}
END_TEST

START_TEST(test_webhook_unsigned)
{
	struct confctx c = { 0 };
	struct receiver_config rc = { 0 };
	struct notify_request r = { 0 };
	struct notification n = fixture("trigger", NULL);
	char err[256];

	ck_assert_int_eq(parse_one(&c, "{\"receivers\": [{\"name\": \"h\", "
	    "\"type\": \"webhook\", \"url\": \"https://example.com/h\"}]}", &rc), 0);
	ck_assert_int_eq(notify_build(&rc, &n, &r, err, sizeof(err)), 0);
	ck_assert_ptr_null(header_value(r.headers, "X-Vantage-Signature"));
	ck_assert_ptr_null(header_value(r.headers, "X-Vantage-Timestamp"));
	ck_assert(has_header(r.headers, "Content-Type: application/json"));
	notify_request_clear(&r);
	receiver_clear(&rc);
	conf_ctx_free(&c);
}
END_TEST

/* Long text is cut to each service's limit, on a character boundary. */
START_TEST(test_limits)
{
	struct receiver_config rc;
	struct notify_request r = { 0 };
	struct notification n = fixture("trigger", NULL);
	char err[256], *title = malloc(3001);
	json_t *body;

	/* 1000 x "é" (2 bytes) + 1000 x "x" */
	for (int i = 0; i < 1000; i++)
		memcpy(title + 2 * i, "\xc3\xa9", 2);
	memset(title + 2000, 'x', 1000);
	title[3000] = '\0';
	n.title = title;

	load_good(5, &rc);	/* opsgenie: message <= 130 */
	ck_assert_int_eq(notify_build(&rc, &n, &r, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(body = json_loads(r.body, 0, NULL));
	ck_assert_int_eq(json_string_length(json_object_get(body, "message")),
	    strlen("[FIRING] ") + 120 * 2 + 3);
	json_decref(body);
	notify_request_clear(&r);
	receiver_clear(&rc);

	load_good(4, &rc);	/* pagerduty: summary <= 1024 */
	ck_assert_int_eq(notify_build(&rc, &n, &r, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(body = json_loads(r.body, 0, NULL));
	ck_assert_int_eq(json_string_length(json_object_get(json_object_get(body,
	    "payload"), "summary")), strlen("[FIRING] ") + 1000 * 2 + 14 + 3);
	json_decref(body);
	notify_request_clear(&r);
	receiver_clear(&rc);

	load_good(1, &rc);	/* discord: title <= 256 */
	ck_assert_int_eq(notify_build(&rc, &n, &r, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(body = json_loads(r.body, 0, NULL));
	ck_assert_int_eq(json_string_length(json_object_get(json_array_get(
	    json_object_get(body, "embeds"), 0), "title")), 255 * 2 + 3);
	json_decref(body);
	notify_request_clear(&r);
	receiver_clear(&rc);
	free(title);
}
END_TEST

/* Bytes that are not UTF-8 (a probe's error text) still give valid JSON. */
START_TEST(test_bad_utf8)
{
	struct receiver_config rc;
	struct notify_request r = { 0 };
	struct notification n = fixture("trigger", NULL);
	char err[256];
	json_t *body;

	n.summary = "bad \xff\xfe bytes \xc3";
	for (size_t k = 0; k < NKINDS; k++) {
		load_good(k, &rc);
		ck_assert_int_eq(notify_build(&rc, &n, &r, err, sizeof(err)), 0);
		ck_assert_msg((body = json_loads(r.body, 0, NULL)) != NULL, "%s",
		    kind_names[k]);
		json_decref(body);
		notify_request_clear(&r);
		receiver_clear(&rc);
	}
}
END_TEST

/* ---- helpers ---- */

START_TEST(test_helpers)
{
	char iso[32], hex[SIGN_HEX_LEN + 1], *s;

	ck_assert_str_eq(notify_iso8601(T_START, iso, sizeof(iso)), "2026-11-26T18:40:00Z");
	ck_assert_str_eq(notify_iso8601(T_START + 999, iso, sizeof(iso)),
	    "2026-11-26T18:40:00Z");
	ck_assert_str_eq(notify_iso8601(-1, iso, sizeof(iso)), "1969-12-31T23:59:59Z");
	ck_assert_str_eq(receiver_kind_names(),
	    "slack, discord, teams, mattermost, pagerduty, opsgenie, webhook");
	for (size_t k = 0; k < NKINDS; k++)
		ck_assert_str_eq(receiver_kind_find(kind_names[k])->name, kind_names[k]);
	ck_assert_ptr_null(receiver_kind_find("Slack"));
	ck_assert_ptr_null(receiver_kind_find(NULL));
	ck_assert(receiver_kind_find("pagerduty")->needs_secret);
	ck_assert(receiver_kind_find("opsgenie")->needs_secret);
	ck_assert(!receiver_kind_find("webhook")->needs_secret);

	s = notify_truncate("abcdef", 4);
	ck_assert_str_eq(s, "abc\xe2\x80\xa6");
	free(s);
	s = notify_truncate("abcd", 4);
	ck_assert_str_eq(s, "abcd");
	free(s);
	s = notify_truncate("\xc3\xa9\xc3\xa9\xc3\xa9", 2);
	ck_assert_str_eq(s, "\xc3\xa9\xe2\x80\xa6");
	free(s);

	/* RFC 4231 test case 2 */
	sign_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, hex);
	ck_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
END_TEST

/* ---- config ---- */

static const struct {
	const char	*text;
	const char	*want;	/* the whole first error */
} bad[] = {
	{ "{\"receivers\": [\n"
	  "  {\"name\": \"x\", \"type\": \"slak\", \"url\": \"https://h.example/\"}\n"
	  "]}",
	  "t.json:2:17: receivers[0].type: unknown receiver type \"slak\"; must be "
	  "one of: slack, discord, teams, mattermost, pagerduty, opsgenie, webhook" },
	{ "{\"receivers\": [\n"
	  "  {\"name\": \"x\", \"type\": \"slack\"}\n"
	  "]}",
	  "t.json:2:3: receivers[0].url: required key is missing" },
	{ "{\"receivers\": [\n"
	  "  {\"name\": \"x\", \"type\": \"discord\",\n"
	  "   \"url\": \"ftp://discord.com/api/webhooks/1/a\"}\n"
	  "]}",
	  "t.json:3:4: receivers[0].url: must be an http:// or https:// URL" },
	{ "{\"receivers\": [\n"
	  "  {\"name\": \"x\", \"type\": \"webhook\", \"url\": \"https://\"}\n"
	  "]}",
	  "t.json:2:36: receivers[0].url: not a valid URL: No host part in the URL" },
	{ "{\"receivers\": [\n"
	  "  {\"name\": \"pd\", \"type\": \"pagerduty\",\n"
	  "   \"url\": \"https://events.pagerduty.com/v2/enqueue\"}\n"
	  "]}",
	  "t.json:2:3: receivers[0].routing_key: required key is missing: the "
	  "32-character integration key of an Events API v2 integration (write it "
	  "as \"env:NAME\" or \"file:/path\" to keep it out of the config)" },
	{ "{\"receivers\": [\n"
	  "  {\"name\": \"og\", \"type\": \"opsgenie\",\n"
	  "   \"url\": \"https://api.opsgenie.com\"}\n"
	  "]}",
	  "t.json:2:3: receivers[0].api_key: required key is missing: the API key "
	  "of an Opsgenie API integration (write it as \"env:NAME\" or "
	  "\"file:/path\" to keep it out of the config)" },
	{ "{\"receivers\": [\n"
	  "  {\"name\": \"s\", \"type\": \"slack\", \"url\": \"https://h.example/\",\n"
	  "   \"chanel\": \"#ops\"}\n"
	  "]}",
	  "t.json:3:4: receivers[0].chanel: unknown key (did you mean \"channel\"?)" },
	{ "{\"receivers\": [\n"
	  "  {\"name\": \"pd\", \"type\": \"pagerduty\",\n"
	  "   \"url\": \"https://events.pagerduty.com/v2/enqueue\",\n"
	  "   \"routing_key\": \"env:VANTAGE_TEST_UNSET_VAR\"}\n"
	  "]}",
	  "t.json:4:4: receivers[0].routing_key: environment variable "
	  "VANTAGE_TEST_UNSET_VAR is not set" },
	{ "{\"receivers\": [\n"
	  "  {\"name\": \"t\", \"type\": \"teams\", \"url\": \"env:VANTAGE_TEST_UNSET_VAR\"}\n"
	  "]}",
	  "t.json:2:34: receivers[0].url: environment variable "
	  "VANTAGE_TEST_UNSET_VAR is not set" },
	{ "{\"receivers\": [\n"
	  "  {\"name\": \"a b\", \"type\": \"teams\", \"url\": \"https://h.example/\"}\n"
	  "]}",
	  "t.json:2:4: receivers[0].name: must be 1-64 letters, digits, '.', '_' or '-'" },
	{ "{\"receivers\": [\n"
	  "  {\"type\": \"teams\", \"url\": \"https://h.example/\"}\n"
	  "]}",
	  "t.json:2:3: receivers[0].name: required key is missing" },
	{ "{\"receivers\": [\n"
	  "  {\"name\": \"x\", \"url\": \"https://h.example/\", \"routing_key\": \"k\"}\n"
	  "]}",
	  "t.json:2:3: receivers[0].type: required key is missing" },
	{ "{\"receivers\": [\n"
	  "  {\"name\": \"x\", \"type\": \"teams\", \"url\": \"https://h.example/\",\n"
	  "   \"routing_key\": \"k\"}\n"
	  "]}",
	  "t.json:3:4: receivers[0].routing_key: unknown key" },
	{ "{\"receivers\": [\n"
	  "  {\"name\": \"x\", \"type\": \"teams\", \"url\": \"https://h.example/\",\n"
	  "   \"max_attempts\": 0}\n"
	  "]}",
	  "t.json:3:4: receivers[0].max_attempts: must be between 1 and 50" },
	{ "{\"receivers\": [\n"
	  "  {\"name\": \"x\", \"type\": \"teams\", \"url\": \"https://h.example/\",\n"
	  "   \"timeout\": \"1ms\"}\n"
	  "]}",
	  "t.json:3:4: receivers[0].timeout: must be between 100ms and 5m" },
	{ "{\"receivers\": [\n"
	  "  {\"name\": \"og\", \"type\": \"opsgenie\", \"api_key\": \"k\",\n"
	  "   \"url\": \"https://api.opsgenie.com/v2/alerts\"}\n"
	  "]}",
	  "t.json:3:4: receivers[0].url: is the API base, e.g. "
	  "\"https://api.opsgenie.com\" or \"https://api.eu.opsgenie.com\"; "
	  "/v2/alerts is added" },
	{ "{\"receivers\": [\n"
	  "  {\"name\": \"d\", \"type\": \"discord\", \"url\": \"https://h.example/\",\n"
	  "   \"username\": \"Discord Alerts\"}\n"
	  "]}",
	  "t.json:3:4: receivers[0].username: Discord refuses names containing "
	  "\"discord\" or \"clyde\"" },
	{ "{\"receivers\": [\"slack\"]}",
	  "t.json:1:16: receivers[0]: must be an object" },
};

START_TEST(test_bad)
{
	struct confctx c = { 0 };
	struct receiver_config rc = { 0 };

	ck_assert_int_eq(parse_one(&c, bad[_i].text, &rc), -1);
	ck_assert_msg(c.nerrs > 0 && strcmp(c.errs[0], bad[_i].want) == 0,
	    "case %d: got \"%s\", want \"%s\"", _i, c.nerrs ? c.errs[0] : "(none)",
	    bad[_i].want);
	receiver_clear(&rc);
	conf_ctx_free(&c);
}
END_TEST

/* Every error of one receiver is reported, not just the first. */
START_TEST(test_bad_all_at_once)
{
	struct confctx c = { 0 };
	struct receiver_config rc = { 0 };

	ck_assert_int_eq(parse_one(&c, "{\"receivers\": [{\"name\": \"a b\", "
	    "\"type\": \"pagerduty\", \"url\": \"gopher://x\", \"timout\": \"5s\"}]}",
	    &rc), -1);
	ck_assert_int_eq(c.nerrs, 4);
	ck_assert_ptr_nonnull(strstr(c.errs[0], "receivers[0].name: must be"));
	ck_assert_ptr_nonnull(strstr(c.errs[1],
	    "receivers[0].timout: unknown key (did you mean \"timeout\"?)"));
	ck_assert_ptr_nonnull(strstr(c.errs[2], "receivers[0].url: must be an http://"));
	ck_assert_ptr_nonnull(strstr(c.errs[3], "receivers[0].routing_key: required"));
	receiver_clear(&rc);
	conf_ctx_free(&c);
}
END_TEST

START_TEST(test_good)
{
	static const struct {
		int64_t		 timeout_ms;
		int		 max_attempts;
		const char	*secret, *channel, *username;
	} want[NKINDS] = {
		{ 10000, 8, NULL, "#ops", "vantage" },
		{ 5000, 8, NULL, NULL, "Vantage" },
		{ 10000, 8, NULL, NULL, NULL },
		{ 10000, 8, NULL, "alerts", NULL },
		{ 10000, 12, PD_KEY, NULL, NULL },
		{ 10000, 8, OG_KEY, NULL, NULL },
		{ 10000, 8, HOOK_SECRET, NULL, NULL },
	};
	struct receiver_config rc;

	for (size_t k = 0; k < NKINDS; k++) {
		load_good(k, &rc);
		ck_assert_str_eq(rc.kind->name, kind_names[k]);
		ck_assert_ptr_nonnull(rc.name);
		ck_assert_ptr_nonnull(rc.url);
		ck_assert_int_eq(rc.timeout_ms, want[k].timeout_ms);
		ck_assert_int_eq(rc.max_attempts, want[k].max_attempts);
		ck_assert_pstr_eq(rc.secret, want[k].secret);
		ck_assert_pstr_eq(rc.channel, want[k].channel);
		ck_assert_pstr_eq(rc.username, want[k].username);
		receiver_clear(&rc);
		receiver_clear(&rc);	/* safe twice */
	}
}
END_TEST

/* url may itself be a secret: a Slack or Teams webhook URL is a credential. */
START_TEST(test_url_from_env)
{
	struct confctx c = { 0 };
	struct receiver_config rc = { 0 };

	setenv("VANTAGE_TEST_SLACK_URL", "https://hooks.slack.com/services/T1/B1/s3cret", 1);
	ck_assert_int_eq(parse_one(&c, "{\"receivers\": [{\"name\": \"s\", "
	    "\"type\": \"slack\", \"url\": \"env:VANTAGE_TEST_SLACK_URL\"}]}", &rc), 0);
	ck_assert_str_eq(rc.url, "https://hooks.slack.com/services/T1/B1/s3cret");
	receiver_clear(&rc);
	conf_ctx_free(&c);

	/* a bad URL from a secret is reported without repeating it */
	setenv("VANTAGE_TEST_SLACK_URL", "hooks.slack.com/services/T1/B1/s3cret", 1);
	ck_assert_int_eq(parse_one(&c, "{\"receivers\": [{\"name\": \"s\", "
	    "\"type\": \"slack\", \"url\": \"env:VANTAGE_TEST_SLACK_URL\"}]}", &rc), -1);
	ck_assert_int_eq(c.nerrs, 1);
	ck_assert_ptr_null(strstr(c.errs[0], "s3cret"));
	receiver_clear(&rc);
	conf_ctx_free(&c);
	unsetenv("VANTAGE_TEST_SLACK_URL");
}
END_TEST

static void
setup(void)
{
	int fd;

	setenv("VANTAGE_TEST_PD_KEY", PD_KEY, 1);
	unsetenv("VANTAGE_TEST_UNSET_VAR");
	snprintf(secret_file, sizeof(secret_file), "/tmp/vantage-notify-XXXXXX");
	ck_assert_int_ge(fd = mkstemp(secret_file), 0);
	ck_assert_int_eq(write(fd, HOOK_SECRET "\n", strlen(HOOK_SECRET) + 1),
	    (ssize_t)strlen(HOOK_SECRET) + 1);
	close(fd);
}

static void
teardown(void)
{
	unlink(secret_file);
}

int
main(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, setup, teardown);	/* once, in the parent */
	tcase_add_loop_test(tc, test_payload, 0, (int)(NKINDS * NEVENTS));
	tcase_add_test(tc, test_opsgenie_alias_escaped);
	tcase_add_test(tc, test_webhook_unsigned);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_bad_utf8);
	tcase_add_test(tc, test_helpers);
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_bad_all_at_once);
	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_url_from_env);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
