/* test_ship: the agent's shipping logic (agent/ship.h): batch selection
 * from a real outbox, the backoff function, the collector's answer, the
 * "collector" config section, and merging pulled checks with local ones. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "agentconf.h"
#include "conf.h"
#include "log.h"
#include "outbox.h"
#include "result.h"
#include "ship.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define KEY	"0123456789abcdef0123"

static char tmpdir[256];
static char dbpath[512];

static void
setup(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/vantage-ship-XXXXXX",
	    t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/agent.db", tmpdir);
}

static void
teardown(void)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[600];

	for (size_t i = 0; i < NELEM(suffix); i++) {
		snprintf(p, sizeof(p), "%s%s", dbpath, suffix[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/key", tmpdir);
	unlink(p);
	rmdir(tmpdir);
}

static struct outbox *
open_ob(void)
{
	char err[256] = "";
	struct outbox *ob = outbox_open(dbpath, false, err, sizeof(err));

	ck_assert_msg(ob != NULL, "outbox_open: %s", err);
	return ob;
}

/* Store n results, their url padded with 'a' to urllen bytes. */
static void
put_n(struct outbox *ob, size_t n, size_t urllen)
{
	char *url = malloc(urllen + 32), err[256] = "";
	size_t len;

	ck_assert_ptr_nonnull(url);
	len = (size_t)snprintf(url, urllen + 32, "http://x.test/");
	for (; len < urllen; len++)
		url[len] = 'a';
	url[len] = '\0';
	for (size_t done = 0; done < n; ) {
		struct result rs[64], *p[64];
		size_t m = n - done < 64 ? n - done : 64;

		for (size_t i = 0; i < m; i++) {
			memset(&rs[i], 0, sizeof(rs[i]));
			rs[i].check = "c";
			rs[i].kind = "http";
			rs[i].url = url;
			rs[i].agent = "agent-1";
			rs[i].region = "eu";
			rs[i].ts_ms = 1700000000000LL + (int64_t)(done + i);
			rs[i].ok = true;
			rs[i].status = 200;
			rs[i].attempts = 1;
			rs[i].total_us = 1000;
			p[i] = &rs[i];
		}
		ck_assert_msg(outbox_put(ob, p, m, err, sizeof(err)) == 0, "put: %s", err);
		done += m;
	}
	free(url);
}

/* ---- batch selection ---- */

static const struct ship_ident ident = { "agent-1", "eu", "hetzner" };

static const struct {
	const char	*name;
	size_t		 rows, urllen, batch_max, max_bytes;
	size_t		 n, nold, nnew;
	bool		 full;
	int64_t		 want[8];	/* expected seqs (in order) if n <= 8 */
} batches[] = {
	{ "few rows: all, oldest first", 5, 0, 500, SHIP_MAX_BODY, 5, 5, 0, false,
	  { 1, 2, 3, 4, 5 } },
	{ "backlog: 3/4 oldest, 1/4 newest", 100, 0, 8, SHIP_MAX_BODY, 8, 6, 2, true,
	  { 1, 2, 3, 100, 4, 5, 6, 99 } },
	{ "batch of 4", 100, 0, 4, SHIP_MAX_BODY, 4, 3, 1, true, { 1, 2, 3, 100 } },
	{ "batch of 1", 100, 0, 1, SHIP_MAX_BODY, 1, 1, 0, true, { 1 } },
	{ "batch of 2", 100, 0, 2, SHIP_MAX_BODY, 2, 2, 0, true, { 1, 2 } },
	{ "just under the batch size: no overlap", 7, 0, 8, SHIP_MAX_BODY, 7, 6, 1,
	  false, { 1, 2, 3, 7, 4, 5, 6 } },
	{ "exactly the batch size", 8, 0, 8, SHIP_MAX_BODY, 8, 6, 2, true,
	  { 1, 2, 3, 8, 4, 5, 6, 7 } },
	{ "empty outbox", 0, 0, 500, SHIP_MAX_BODY, 0, 0, 0, false, { 0 } },
	{ "one row above the byte cap goes alone", 3, 2000, 500, 1000, 1, 1, 0, true,
	  { 1 } },
	{ "byte cap binds before batch_max", 1200, 2000, 10000, SHIP_MAX_BODY,
	  0, 0, 0, true, { 0 } },
};

START_TEST(test_batch)
{
	struct outbox *ob = open_ob();
	struct ship_batch b;
	json_t *root, *res, *r;
	json_error_t je;
	char err[256] = "";
	size_t i, j;

	put_n(ob, batches[_i].rows, batches[_i].urllen);
	ck_assert_msg(ship_batch_build(ob, &ident, batches[_i].batch_max,
	    batches[_i].max_bytes, &b, err, sizeof(err)) == 0, "build: %s", err);
	if (batches[_i].n > 0) {
		ck_assert_msg(b.n == batches[_i].n, "[%s] n %zu, want %zu",
		    batches[_i].name, b.n, batches[_i].n);
		ck_assert_msg(b.nold == batches[_i].nold && b.nnew == batches[_i].nnew,
		    "[%s] %zu old + %zu new, want %zu + %zu", batches[_i].name, b.nold,
		    b.nnew, batches[_i].nold, batches[_i].nnew);
		for (i = 0; i < b.n && i < NELEM(batches[_i].want); i++)
			ck_assert_msg(b.seqs[i] == batches[_i].want[i], "[%s] seqs[%zu] = "
			    "%lld, want %lld", batches[_i].name, i, (long long)b.seqs[i],
			    (long long)batches[_i].want[i]);
	}
	ck_assert_msg(b.full == batches[_i].full, "[%s] full %d", batches[_i].name,
	    b.full);
	ck_assert_uint_eq(b.n, b.nold + b.nnew);
	/* the body: valid JSON, the header fields, rows verbatim with their seqs */
	ck_assert_msg(b.n == 0 || b.n == 1 || b.body.len <= batches[_i].max_bytes,
	    "[%s] body %zu bytes > cap %zu", batches[_i].name, b.body.len,
	    batches[_i].max_bytes);
	root = json_loadb(b.body.data, b.body.len, 0, &je);
	ck_assert_msg(root != NULL, "[%s] body is not JSON: %s", batches[_i].name, je.text);
	ck_assert_str_eq(json_string_value(json_object_get(root, "agent")), "agent-1");
	ck_assert_str_eq(json_string_value(json_object_get(root, "region")), "eu");
	ck_assert_str_eq(json_string_value(json_object_get(root, "provider")), "hetzner");
	ck_assert_str_eq(json_string_value(json_object_get(root, "version")),
	    PACKAGE_VERSION);
	/* what waits besides this batch: the oldest row left is seq nold + 1 */
	ck_assert_int_eq(json_integer_value(json_object_get(root, "outbox_depth")),
	    (json_int_t)(batches[_i].rows - b.n));
	ck_assert_int_eq(json_integer_value(json_object_get(root, "oldest_unshipped")),
	    batches[_i].rows > b.n ? 1700000000000LL + (int64_t)b.nold : 0);
	res = json_object_get(root, "results");
	ck_assert(json_is_array(res));
	ck_assert_uint_eq(json_array_size(res), b.n);
	json_array_foreach(res, i, r) {
		ck_assert_int_eq(json_integer_value(json_object_get(r, "seq")), b.seqs[i]);
		ck_assert_int_ge(b.seqs[i], 1);
		ck_assert_int_le(b.seqs[i], (int64_t)batches[_i].rows);
		for (j = 0; j < i; j++)
			ck_assert_msg(b.seqs[j] != b.seqs[i], "[%s] seq %lld twice",
			    batches[_i].name, (long long)b.seqs[i]);
	}
	json_decref(root);
	if (batches[_i].rows == 1200) {
		/* the byte cap: full up to one row, and fresh rows still get in */
		size_t row = (b.body.len - 60) / b.n;

		ck_assert_uint_le(b.body.len, SHIP_MAX_BODY);
		ck_assert_uint_gt(b.body.len, SHIP_MAX_BODY - 2 * row);
		ck_assert_uint_lt(b.n, 1200);
		ck_assert_msg(b.nnew >= b.n / 4 - 1 && b.nnew <= b.n / 4 + 1,
		    "%zu new of %zu: want about a quarter", b.nnew, b.n);
	}
	ship_batch_free(&b);
	ship_batch_free(&b);	/* twice is fine */
	outbox_close(ob);
}
END_TEST

/* Acked rows leave the unshipped set; the next batch moves on. */
START_TEST(test_batch_after_ack)
{
	struct outbox *ob = open_ob();
	struct ship_batch b;
	char err[256] = "";
	int64_t marked = -1, again[2] = { 1, 2 };

	put_n(ob, 20, 0);
	ck_assert_int_eq(outbox_depth(ob), 20);
	ck_assert_int_eq(ship_batch_build(ob, &ident, 4, SHIP_MAX_BODY, &b, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(outbox_mark_shipped(ob, b.seqs, b.n, &marked, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(marked, 4);
	ck_assert_int_eq(outbox_depth(ob), 16);
	ship_batch_free(&b);
	/* marking again changes nothing */
	ck_assert_int_eq(outbox_mark_shipped(ob, again, 2, &marked, err, sizeof(err)), 0);
	ck_assert_int_eq(marked, 0);
	ck_assert_int_eq(outbox_depth(ob), 16);
	ck_assert_int_eq(outbox_oldest_unshipped_ms(ob), 1700000000000LL + 3);
	ck_assert_int_eq(ship_batch_build(ob, &ident, 4, SHIP_MAX_BODY, &b, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(b.n, 4);
	ck_assert_int_eq(b.seqs[0], 4);
	ck_assert_int_eq(b.seqs[1], 5);
	ck_assert_int_eq(b.seqs[2], 6);
	ck_assert_int_eq(b.seqs[3], 19);	/* 20 went in the first batch */
	ship_batch_free(&b);
	outbox_close(ob);
}
END_TEST

/* ---- backoff ---- */

static const struct {
	unsigned	failures;
	int64_t		ceiling;	/* largest delay possible */
} growth[] = {
	{ 0, 1000 }, { 1, 1000 }, { 2, 2000 }, { 3, 4000 }, { 4, 8000 },
	{ 5, 16000 }, { 6, 32000 }, { 7, 60000 }, { 8, 60000 }, { 30, 60000 },
	{ 64, 60000 }, { 1000, 60000 }, { 4000000000u, 60000 },
};

START_TEST(test_backoff_bounds)
{
	static const uint64_t rnds[] = {
		0, 1, 999, 1000, 1001, 123456789, 0x7fffffffffffffffULL, UINT64_MAX,
	};
	unsigned f = growth[_i].failures;
	int64_t c = growth[_i].ceiling;

	for (size_t k = 0; k < NELEM(rnds); k++) {
		int64_t d = ship_backoff_ms(f, 0, rnds[k]);
		ck_assert_msg(d >= 0 && d <= c, "failures %u rnd %llu: %lld not in "
		    "[0, %lld]", f, (unsigned long long)rnds[k], (long long)d,
		    (long long)c);
	}
	/* full jitter: the bounds are reached */
	ck_assert_int_eq(ship_backoff_ms(f, 0, 0), 0);
	ck_assert_int_eq(ship_backoff_ms(f, 0, (uint64_t)c), c);
	ck_assert_int_eq(ship_backoff_ms(f, 0, (uint64_t)c + 1), 0);
	ck_assert_int_le(c, SHIP_BACKOFF_CAP_MS);
}
END_TEST

/* The spread over many draws covers the range (not all near one end). */
START_TEST(test_backoff_spread)
{
	uint64_t x = 42;
	int64_t lo = INT64_MAX, hi = 0, sum = 0;

	for (int i = 0; i < 2000; i++) {
		int64_t d;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		d = ship_backoff_ms(5, 0, x >> 11);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		sum += d;
	}
	ck_assert_int_lt(lo, 1000);
	ck_assert_int_gt(hi, 15000);
	ck_assert_int_gt(sum / 2000, 6000);	/* mean about 8000 */
	ck_assert_int_lt(sum / 2000, 10000);
}
END_TEST

static const struct {
	unsigned	failures;
	int64_t		retry_after, want_min, want_max;
	uint64_t	rnd;
} retry_after[] = {
	{ 1, 5000, 5000, 5000, 0 },		/* above the jitter: honoured */
	{ 1, 5000, 5000, 5000, 1000 },
	{ 7, 2000, 30000, 30000, 30000 },	/* below the jitter: jitter wins */
	{ 7, 120000, 120000, 120000, 7 },	/* above the cap: still honoured */
	{ 3, 86400000, SHIP_RETRY_AFTER_MAX_MS, SHIP_RETRY_AFTER_MAX_MS, 0 },
	{ 3, 0, 0, 0, 0 },			/* none */
	{ 3, -5, 0, 0, 0 },
};

START_TEST(test_backoff_retry_after)
{
	int64_t d = ship_backoff_ms(retry_after[_i].failures,
	    retry_after[_i].retry_after, retry_after[_i].rnd);

	ck_assert_msg(d >= retry_after[_i].want_min && d <= retry_after[_i].want_max,
	    "case %d: %lld", _i, (long long)d);
}
END_TEST

/* ---- the collector's answer ---- */

static const struct {
	const char	*body;
	int		 rc;
	size_t		 nacked, nrejected;
	int64_t		 stored, duplicates, first_seq;
	const char	*first_error;	/* or the error message wanted */
} acks[] = {
	{ "{\"acked\":[1,2,3],\"stored\":2,\"duplicates\":1,\"rejected\":[]}", 0, 3, 0,
	  2, 1, 0, "" },
	{ "{\"acked\":[]}", 0, 0, 0, 0, 0, 0, "" },
	{ "{\"acked\":[7,8],\"stored\":1,\"duplicates\":0,\"rejected\":[{\"index\":1,"
	  "\"seq\":8,\"error\":\"ok: must be true or false\"},{\"index\":2,\"seq\":null,"
	  "\"error\":\"seq: missing\"}]}", 0, 2, 2, 1, 0, 8, "ok: must be true or false" },
	{ "{\"acked\":[1],\"rejected\":[{\"index\":0}],\"extra\":true}", 0, 1, 1, 0, 0, 0,
	  "(no reason given)" },
	{ "", -1, 0, 0, 0, 0, 0, "not JSON" },
	{ "<html>502 Bad Gateway</html>", -1, 0, 0, 0, 0, 0, "not JSON" },
	{ "[1,2]", -1, 0, 0, 0, 0, 0, "not a JSON object" },
	{ "{\"stored\":1}", -1, 0, 0, 0, 0, 0, "acked: missing or not a list" },
	{ "{\"acked\":{}}", -1, 0, 0, 0, 0, 0, "acked: missing or not a list" },
	{ "{\"acked\":[1,\"2\"]}", -1, 0, 0, 0, 0, 0, "acked[1]: not a sequence number" },
	{ "{\"acked\":[0]}", -1, 0, 0, 0, 0, 0, "acked[0]: not a sequence number" },
	{ "{\"acked\":[1.5]}", -1, 0, 0, 0, 0, 0, "acked[0]: not a sequence number" },
	{ "{\"acked\":[1],\"stored\":-1}", -1, 0, 0, 0, 0, 0, "stored: not a count" },
	{ "{\"acked\":[1],\"duplicates\":\"x\"}", -1, 0, 0, 0, 0, 0,
	  "duplicates: not a count" },
	{ "{\"acked\":[1],\"rejected\":{}}", -1, 0, 0, 0, 0, 0, "rejected: not a list" },
	{ "{\"acked\":[1],\"rejected\":[3]}", -1, 0, 0, 0, 0, 0,
	  "rejected[0]: not an object" },
};

START_TEST(test_ack)
{
	struct ship_ack a;
	char err[256] = "";
	int rc = ship_parse_ack(acks[_i].body, strlen(acks[_i].body), &a, err,
	    sizeof(err));

	ck_assert_msg(rc == acks[_i].rc, "[%s] rc %d (%s)", acks[_i].body, rc, err);
	if (rc < 0) {
		ck_assert_msg(strstr(err, acks[_i].first_error) != NULL, "[%s] error "
		    "\"%s\", want \"%s\"", acks[_i].body, err, acks[_i].first_error);
		ck_assert_ptr_null(a.acked);
		return;
	}
	ck_assert_uint_eq(a.nacked, acks[_i].nacked);
	ck_assert_uint_eq(a.nrejected, acks[_i].nrejected);
	ck_assert_int_eq(a.stored, acks[_i].stored);
	ck_assert_int_eq(a.duplicates, acks[_i].duplicates);
	ck_assert_int_eq(a.first_rejected_seq, acks[_i].first_seq);
	ck_assert_str_eq(a.first_rejected, acks[_i].first_error);
	if (a.nacked > 0)
		ck_assert_int_ge(a.acked[0], 1);
	ship_ack_free(&a);
	ship_ack_free(&a);
}
END_TEST

START_TEST(test_ack_values)
{
	struct ship_ack a;
	char err[64];
	const char *b = "{\"acked\":[5,3,9]}";

	ck_assert_int_eq(ship_parse_ack(b, strlen(b), &a, err, sizeof(err)), 0);
	ck_assert_int_eq(a.acked[0], 5);
	ck_assert_int_eq(a.acked[1], 3);
	ck_assert_int_eq(a.acked[2], 9);
	ship_ack_free(&a);
	ck_assert_int_eq(ship_parse_ack(NULL, 0, &a, err, sizeof(err)), -1);
}
END_TEST

static const struct {
	const char *body, *want;
} error_texts[] = {
	{ "{\"error\":\"agent \\\"x\\\": bad signature\"}\n", "agent \"x\": bad signature" },
	{ "<html>\r\n<b>Bad Gateway</b></html>\n", "<html>  <b>Bad Gateway</b></html>" },
	{ "", "(no message)" },
	{ "{\"oops\":1}", "{\"oops\":1}" },
};

START_TEST(test_error_text)
{
	char out[128];

	ck_assert_str_eq(ship_error_text(error_texts[_i].body,
	    strlen(error_texts[_i].body), out, sizeof(out)), error_texts[_i].want);
	ck_assert_str_eq(ship_error_text(NULL, 0, out, sizeof(out)), "(no message)");
	/* cut to the buffer */
	ck_assert_str_eq(ship_error_text("abcdefgh", 8, out, 4), "abc");
}
END_TEST

/* ---- the "collector" config section ---- */

static const char *
all_errors(const struct confctx *c)
{
	static char out[8192];
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < c->nerrs && off < sizeof(out); i++)
		off += (size_t)snprintf(out + off, sizeof(out) - off, "\n  %s", c->errs[i]);
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

#define AGENT "{\"agent\": {\"id\": \"a1\"},\n"
#define CHECK "\"checks\": [{\"name\": \"c\", \"url\": \"http://127.0.0.1/\"}]"

static const struct {
	const char	*text;
	const char	*url, *path;	/* wanted; NULL: the config is bad */
	int64_t		 batch_max, pull_every_ms, timeout_ms;
	size_t		 nchecks;
	const char	*err[3];
} confs[] = {
	{ AGENT " \"collector\": {\"url\": \"https://c.example:8443\", \"key\": \"" KEY
	  "\"}}", "https://c.example:8443", "", 500, 60000, 10000, 0, { NULL } },
	{ AGENT " \"collector\": {\"url\": \"http://10.0.0.1/base/\", \"key\": \"" KEY
	  "\",\n \"ca_file\": \"/dev/null\", \"batch_max\": 10000, \"pull_every\": "
	  "\"1s\", \"timeout\": \"250ms\"}, " CHECK "}", "http://10.0.0.1/base",
	  "/base", 10000, 1000, 250, 1, { NULL } },
	{ AGENT " \"collector\": {\"url\": \"HTTPS://c//\", \"key\": \"" KEY "\"},\n"
	  " \"checks\": []}", "HTTPS://c", "", 500, 60000, 10000, 0, { NULL } },
	{ AGENT " \"collector\": {\"url\": \"https://c/a/b\", \"key\": \"env:"
	  "VANTAGE_TEST_SHIP_KEY\"}}", "https://c/a/b", "/a/b", 500, 60000, 10000, 0,
	  { NULL } },
	/* bad ones: every error, with file:line:column */
	{ AGENT " \"collector\": {\"url\": \"ftp://c\", \"key\": \"" KEY "\"}}", NULL,
	  NULL, 0, 0, 0, 0, { "t.json:2:16: collector.url: must be an http:// or "
	  "https:// base URL" } },
	{ AGENT " \"collector\": {\"url\": \"https://c/?x=1\", \"key\": \"" KEY "\"}}",
	  NULL, NULL, 0, 0, 0, 0, { "t.json:2:16: collector.url: must be" } },
	{ AGENT " \"collector\": {\"url\": \"https://u:p@c/\", \"key\": \"" KEY "\"}}",
	  NULL, NULL, 0, 0, 0, 0, { "t.json:2:16: collector.url: must be" } },
	{ AGENT " \"collector\": {\"url\": \"https://\", \"key\": \"" KEY "\"}}",
	  NULL, NULL, 0, 0, 0, 0, { "collector.url: must be" } },
	{ AGENT " \"collector\": {\"url\": \"https://c/#top\", \"key\": \"" KEY "\"}}",
	  NULL, NULL, 0, 0, 0, 0, { "collector.url: must be" } },
	{ AGENT " \"collector\": {\"key\": \"" KEY "\"}}", NULL, NULL, 0, 0, 0, 0,
	  { "t.json:2:2: collector.url: required key is missing" } },
	{ AGENT " \"collector\": {\"url\": \"https://c\"}}", NULL, NULL, 0, 0, 0, 0,
	  { "t.json:2:2: collector.key: required key is missing" } },
	{ AGENT " \"collector\": {\"url\": \"https://c\",\n \"key\": \"short\"}}", NULL,
	  NULL, 0, 0, 0, 0, { "t.json:3:2: collector.key: too short: use at least 16" } },
	{ AGENT " \"collector\": {\"url\": \"https://c\",\n \"key\": \"env:"
	  "VANTAGE_TEST_UNSET_VAR\"}}", NULL, NULL, 0, 0, 0, 0,
	  { "t.json:3:2: collector.key: environment variable VANTAGE_TEST_UNSET_VAR "
	  "is not set" } },
	{ AGENT " \"collector\": {\"url\": \"https://c\",\n \"key\": \"file:/nonexistent/"
	  "k\"}}", NULL, NULL, 0, 0, 0, 0, { "t.json:3:2: collector.key: cannot read "
	  "/nonexistent/k" } },
	{ AGENT " \"collector\": {\"url\": \"https://c\", \"key\": \"" KEY "\",\n"
	  " \"ca_file\": \"/nonexistent/ca.pem\"}}", NULL, NULL, 0, 0, 0, 0,
	  { "t.json:3:2: collector.ca_file: cannot read /nonexistent/ca.pem" } },
	{ AGENT " \"collector\": {\"url\": \"https://c\", \"key\": \"" KEY "\",\n"
	  " \"batch_max\": 0, \"pull_every\": \"500ms\", \"timeout\": 10}}", NULL, NULL,
	  0, 0, 0, 0, { "t.json:3:2: collector.batch_max: must be between 1 and 10000",
	  "t.json:3:18: collector.pull_every: must be between 1s and 1d",
	  "t.json:3:41: collector.timeout: must be a duration string" } },
	{ AGENT " \"collector\": {\"url\": \"https://c\", \"key\": \"" KEY "\",\n"
	  " \"urll\": \"x\"}}", NULL, NULL, 0, 0, 0, 0,
	  { "t.json:3:2: collector.urll: unknown key (did you mean \"url\"?)" } },
	{ AGENT " \"colector\": {}, " CHECK "}", NULL, NULL, 0, 0, 0, 0,
	  { "t.json:2:2: colector: unknown key (did you mean \"collector\"?)" } },
	{ AGENT " \"collector\": \"https://c\"}", NULL, NULL, 0, 0, 0, 0,
	  { "t.json:2:2: collector: must be an object" } },
	/* without a collector, checks are still required */
	{ AGENT " \"defaults\": {}}", NULL, NULL, 0, 0, 0, 0,
	  { "checks: required list is missing" } },
	{ AGENT " \"checks\": []}", NULL, NULL, 0, 0, 0, 0,
	  { "t.json:2:2: checks: is empty" } },
};

START_TEST(test_collector_conf)
{
	struct confctx c = { 0 };
	struct agent_config *ac;

	setenv("VANTAGE_TEST_SHIP_KEY", KEY "-from-env", 1);
	unsetenv("VANTAGE_TEST_UNSET_VAR");
	ac = agentconf_load_ctx(&c, "t.json", confs[_i].text);
	if (confs[_i].url == NULL) {
		ck_assert_msg(ac == NULL, "case %d accepted", _i);
		for (size_t k = 0; k < NELEM(confs[_i].err) && confs[_i].err[k]; k++)
			ck_assert_msg(has_error(&c, confs[_i].err[k]), "case %d: no error "
			    "containing\n  %s\ngot:%s", _i, confs[_i].err[k], all_errors(&c));
		conf_ctx_free(&c);
		return;
	}
	ck_assert_msg(ac != NULL, "case %d refused:%s", _i, all_errors(&c));
	ck_assert_ptr_nonnull(ac->collector);
	ck_assert_str_eq(ac->collector->url, confs[_i].url);
	ck_assert_str_eq(ac->collector->path, confs[_i].path);
	ck_assert_int_eq(ac->collector->batch_max, confs[_i].batch_max);
	ck_assert_int_eq(ac->collector->pull_every_ms, confs[_i].pull_every_ms);
	ck_assert_int_eq(ac->collector->timeout_ms, confs[_i].timeout_ms);
	ck_assert_uint_eq(ac->nchecks, confs[_i].nchecks);
	ck_assert_uint_eq(ac->nlocal, confs[_i].nchecks);
	ck_assert_uint_eq(ac->nremote, 0);
	if (strstr(confs[_i].text, "env:"))
		ck_assert_str_eq(ac->collector->key, KEY "-from-env");
	else
		ck_assert_str_eq(ac->collector->key, KEY);
	ck_assert_uint_eq(ac->collector->keylen, strlen(ac->collector->key));
	agentconf_free(ac);
	conf_ctx_free(&c);
}
END_TEST

START_TEST(test_collector_key_file)
{
	char kpath[600], text[1024];
	struct confctx c = { 0 };
	struct agent_config *ac;
	FILE *fp;

	snprintf(kpath, sizeof(kpath), "%s/key", tmpdir);
	fp = fopen(kpath, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(KEY "\n", fp);
	fclose(fp);
	snprintf(text, sizeof(text), AGENT " \"collector\": {\"url\": \"https://c\", "
	    "\"key\": \"file:%s\"}}", kpath);
	ac = agentconf_load_ctx(&c, "t.json", text);
	ck_assert_msg(ac != NULL, "refused:%s", all_errors(&c));
	ck_assert_str_eq(ac->collector->key, KEY);	/* newline trimmed */
	agentconf_free(ac);
	conf_ctx_free(&c);
}
END_TEST

/* ---- merging pulled checks ---- */

static struct agent_config *
load(const char *text)
{
	struct confctx c = { 0 };
	struct agent_config *ac = agentconf_load_ctx(&c, "t.json", text);

	ck_assert_msg(ac != NULL, "refused:%s", all_errors(&c));
	conf_ctx_free(&c);
	return ac;
}

#define BASE "{\"agent\": {\"id\": \"a1\", \"region\": \"eu\"},\n" \
	" \"collector\": {\"url\": \"https://c\", \"key\": \"" KEY "\"},\n" \
	" \"defaults\": {\"interval\": \"20s\", \"timeout\": \"2s\"},\n"

static const struct {
	const char	*name;
	const char	*local;		/* the checks[] member, or "" */
	const char	*remote;	/* NULL: none */
	const char	*want;		/* names in order, space-separated; NULL: refused */
	size_t		 nlocal, nremote, nskipped;
	const char	*err;
} merges[] = {
	{ "local wins on a name clash",
	  "\"checks\": [{\"name\": \"A\", \"url\": \"http://local/a\"}, "
	  "{\"name\": \"B\", \"url\": \"http://local/b\"}]",
	  "{\"checks\":[{\"name\":\"B\",\"url\":\"http://remote/b\"},"
	  "{\"name\":\"C\",\"url\":\"http://remote/c\",\"interval\":\"5s\"}]}",
	  "A B C", 2, 1, 1, NULL },
	{ "no local checks", "\"checks\": []",
	  "{\"checks\":[{\"name\":\"C\",\"url\":\"http://remote/c\"}]}", "C", 0, 1, 0,
	  NULL },
	{ "no checks member at all", NULL,
	  "{\"checks\":[{\"name\":\"C\",\"url\":\"http://remote/c\"}]}", "C", 0, 1, 0,
	  NULL },
	{ "empty pulled set",
	  "\"checks\": [{\"name\": \"A\", \"url\": \"http://local/a\"}]",
	  "{\"checks\":[]}", "A", 1, 0, 0, NULL },
	{ "no pulled set",
	  "\"checks\": [{\"name\": \"A\", \"url\": \"http://local/a\"}]",
	  NULL, "A", 1, 0, 0, NULL },
	{ "extra top-level members are ignored", "\"checks\": []",
	  "{\"generated\":1,\"checks\":[{\"name\":\"C\",\"url\":\"http://r/\"}]}", "C",
	  0, 1, 0, NULL },
	{ "a bad pulled check refuses the set",
	  "\"checks\": [{\"name\": \"A\", \"url\": \"http://local/a\"}]",
	  "{\"checks\":[{\"name\":\"C\",\"url\":\"http://r/\"},\n"
	  "{\"name\":\"D\",\"url\":\"gopher://r/\"}]}", NULL, 0, 0, 0,
	  "https://c/api/v1/agent/checks:2:13: checks[1].url" },
	{ "an unknown key in a pulled check", "\"checks\": []",
	  "{\"checks\":[{\"name\":\"C\",\"url\":\"http://r/\",\"colour\":1}]}", NULL, 0,
	  0, 0, "checks[0].colour: unknown key" },
	{ "duplicate pulled names", "\"checks\": []",
	  "{\"checks\":[{\"name\":\"C\",\"url\":\"http://r/\"},{\"name\":\"C\","
	  "\"url\":\"http://r/\"}]}", NULL, 0, 0, 0, "duplicate check name" },
	{ "not JSON", "\"checks\": []", "{\"checks\":[", NULL, 0, 0, 0,
	  "https://c/api/v1/agent/checks:1:" },
	{ "no checks member", "\"checks\": []", "{\"check\":[]}", NULL, 0, 0, 0,
	  "checks: missing" },
	{ "checks not a list", "\"checks\": []", "{\"checks\":{}}", NULL, 0, 0, 0,
	  "checks: must be a list" },
};

START_TEST(test_merge)
{
	struct confctx c = { 0 };
	struct agent_config *base, *m, *m2;
	char text[2048], names[512] = "";
	size_t skipped = 99;

	if (merges[_i].local)
		snprintf(text, sizeof(text), BASE "%s}", merges[_i].local);
	else {
		/* BASE ends in ",\n" after "defaults": close the object there */
		snprintf(text, sizeof(text), "%s", BASE);
		snprintf(strrchr(text, ','), 3, "}");
	}
	base = load(text);
	m = agentconf_merge_remote(&c, base, "https://c/api/v1/agent/checks",
	    merges[_i].remote, &skipped);
	if (merges[_i].want == NULL) {
		ck_assert_msg(m == NULL, "[%s] accepted", merges[_i].name);
		ck_assert_msg(has_error(&c, merges[_i].err), "[%s] no error containing "
		    "%s:%s", merges[_i].name, merges[_i].err, all_errors(&c));
		conf_ctx_free(&c);
		agentconf_free(base);
		return;
	}
	ck_assert_msg(m != NULL, "[%s] refused:%s", merges[_i].name, all_errors(&c));
	for (size_t i = 0, off = 0; i < m->nchecks && off < sizeof(names); i++)
		off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
		    i > 0 ? " " : "", m->checks[i].name);
	ck_assert_msg(strcmp(names, merges[_i].want) == 0, "[%s] checks \"%s\", want "
	    "\"%s\"", merges[_i].name, names, merges[_i].want);
	ck_assert_uint_eq(m->nlocal, merges[_i].nlocal);
	ck_assert_uint_eq(m->nremote, merges[_i].nremote);
	ck_assert_uint_eq(skipped, merges[_i].nskipped);
	/* everything else comes from base */
	ck_assert_str_eq(m->id, "a1");
	ck_assert_str_eq(m->region, "eu");
	ck_assert_str_eq(m->collector->url, "https://c");
	ck_assert_str_eq(m->collector->key, KEY);
	ck_assert_int_eq(m->defaults.interval_ms, 20000);
	for (size_t i = 0; i < m->nchecks; i++) {
		if (strcmp(m->checks[i].name, "B") == 0)
			ck_assert_str_eq(m->checks[i].url, "http://local/b");
		if (strcmp(m->checks[i].name, "C") == 0)
			ck_assert_str_ne(m->checks[i].url, "http://local/c");
	}
	/* the pulled checks use the agent's defaults where they set nothing */
	if (strcmp(merges[_i].name, "no local checks") == 0)
		ck_assert_int_eq(m->checks[0].interval_ms, 20000);
	if (strcmp(merges[_i].name, "local wins on a name clash") == 0)
		ck_assert_int_eq(m->checks[2].interval_ms, 5000);
	/* merging onto a merged config replaces, never stacks, the pulled set */
	m2 = agentconf_merge_remote(&c, m, "src", merges[_i].remote, &skipped);
	ck_assert_ptr_nonnull(m2);
	ck_assert_uint_eq(m2->nchecks, m->nchecks);
	ck_assert_uint_eq(m2->nremote, m->nremote);
	for (size_t i = 0; i < m->nchecks; i++)
		ck_assert_str_eq(m2->checks[i].fingerprint, m->checks[i].fingerprint);
	agentconf_free(m2);
	agentconf_free(m);
	agentconf_free(base);
	conf_ctx_free(&c);
}
END_TEST

/* The last good set kept in the agent DB comes back at start. */
START_TEST(test_saved_set)
{
	struct outbox *ob = open_ob();
	struct agent_config *ac = load(BASE "\"checks\": [{\"name\": \"A\", "
	    "\"url\": \"http://local/a\"}]}"), *m;
	struct ship *sh;
	char err[256] = "", *body, *etag;
	int64_t at;

	/* nothing kept: the local checks only */
	sh = ship_new(ac, ob, err, sizeof(err));
	ck_assert_msg(sh != NULL, "%s", err);
	m = ship_merge_config(sh, ac);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->nchecks, 1);
	ck_assert_uint_eq(m->nremote, 0);
	agentconf_free(m);
	ship_free(sh);

	ck_assert_int_eq(outbox_remote_get(ob, &body, &etag, &at, err, sizeof(err)), 0);
	ck_assert_int_eq(outbox_remote_put(ob, "{\"checks\":[{\"name\":\"R\","
	    "\"url\":\"http://r/\"}]}", "\"e1\"", 1234, err, sizeof(err)), 0);
	ck_assert_int_eq(outbox_remote_get(ob, &body, &etag, &at, err, sizeof(err)), 1);
	ck_assert_str_eq(etag, "\"e1\"");
	ck_assert_int_eq(at, 1234);
	free(body);
	free(etag);
	sh = ship_new(ac, ob, err, sizeof(err));
	ck_assert_ptr_nonnull(sh);
	m = ship_merge_config(sh, ac);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->nchecks, 2);
	ck_assert_uint_eq(m->nremote, 1);
	ck_assert_str_eq(m->checks[1].name, "R");
	agentconf_free(m);
	ship_free(sh);

	/* a kept set that no longer validates is ignored, not fatal */
	ck_assert_int_eq(outbox_remote_put(ob, "{\"checks\":[{\"name\":\"R\"}]}", NULL,
	    5, err, sizeof(err)), 0);
	sh = ship_new(ac, ob, err, sizeof(err));
	ck_assert_ptr_nonnull(sh);
	m = ship_merge_config(sh, ac);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->nchecks, 1);
	agentconf_free(m);
	ship_free(sh);
	ship_free(NULL);
	agentconf_free(ac);
	outbox_close(ob);
}
END_TEST

START_TEST(test_ship_new_needs_collector)
{
	struct outbox *ob = open_ob();
	struct agent_config *ac = load(AGENT CHECK "}");
	char err[256] = "";

	ck_assert_ptr_null(ship_new(ac, ob, err, sizeof(err)));
	ck_assert_str_eq(err, "no collector configured");
	ck_assert(!ship_busy(NULL));
	ck_assert(!ship_owns(NULL, NULL));
	agentconf_free(ac);
	outbox_close(ob);
}
END_TEST

static Suite *
ship_suite(void)
{
	Suite *s = suite_create("ship");
	TCase *tb = tcase_create("batch");
	TCase *to = tcase_create("backoff");
	TCase *ta = tcase_create("ack");
	TCase *tc = tcase_create("config");
	TCase *tm = tcase_create("merge");

	tcase_add_checked_fixture(tb, setup, teardown);
	tcase_set_timeout(tb, 60);
	tcase_add_loop_test(tb, test_batch, 0, (int)NELEM(batches));
	tcase_add_test(tb, test_batch_after_ack);
	suite_add_tcase(s, tb);
	tcase_add_loop_test(to, test_backoff_bounds, 0, (int)NELEM(growth));
	tcase_add_test(to, test_backoff_spread);
	tcase_add_loop_test(to, test_backoff_retry_after, 0, (int)NELEM(retry_after));
	suite_add_tcase(s, to);
	tcase_add_loop_test(ta, test_ack, 0, (int)NELEM(acks));
	tcase_add_test(ta, test_ack_values);
	tcase_add_loop_test(ta, test_error_text, 0, (int)NELEM(error_texts));
	suite_add_tcase(s, ta);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_collector_conf, 0, (int)NELEM(confs));
	tcase_add_test(tc, test_collector_key_file);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tm, setup, teardown);
	tcase_add_loop_test(tm, test_merge, 0, (int)NELEM(merges));
	tcase_add_test(tm, test_saved_set);
	tcase_add_test(tm, test_ship_new_needs_collector);
	suite_add_tcase(s, tm);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ship_suite());
	int failed;

	log_init("test_ship", LOG_ERROR);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
