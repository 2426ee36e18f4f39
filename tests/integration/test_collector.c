/* test_collector: vantage-collector end to end. The test is the agent: it
 * builds result batches, signs them (lib/sign.h) and sends them with
 * libcurl to the real collector on 127.0.0.1; configs, DBs and logs live in
 * a temp dir per test. Numbers the collector serves are compared with
 * numbers computed here from what was sent and from the raw rows. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include <pthread.h>

#include "certgen.h"
#include "sign.h"
#include "spawn.h"
#include "store.h"

/* the collector's migrations (web/sql_collector.c): the schema version */
extern const size_t collector_migrations_count;

#define A1		"it-a1"
#define A1_KEY		"a1-key-0123456789abcdef"
#define A2		"it-a2"
#define A2_KEY		"a2-key-fedcba9876543210"
#define READ_TOKEN	"t0ken-5d1c9e0a7b3f"
#define RUN_BOUND_MS	20000	/* a --check-config run, at most */
#define READY_MS	10000	/* port file written, at most */
#define STOP_MS		10000	/* exit after SIGTERM, at most */
#define EVAL_WAIT_MS	10000	/* an SLO evaluation after our last ingest, at most */
#define HTTP_TIMEOUT_MS	30000	/* one request, at most */
#define BODY_MAX	(32 * 1024 * 1024)	/* answers we read, at most */
#define BIG_BODY	(50LL * 1024 * 1024)

/* One test's state. Each test runs in its own forked process (CK_FORK),
 * set up and torn down by the checked fixture below. */
static struct {
	char		 dir[PATH_MAX / 2];
	char		 db[PATH_MAX];
	char		 conf[PATH_MAX];
	char		 portfile[PATH_MAX];
	char		 ca_file[PATH_MAX];	/* set: talk HTTPS, verify with it */
	struct spawn	 proc;		/* the collector started last */
	unsigned	 port;
	int		 nruns;
	char		*big;		/* the 50 MiB body */
} T;

/* On failure: show what the collector said, and never leave it running. */
static void
fail_cleanup(void)
{
	fprintf(stderr, "==== the \"agent log\" below is the collector's\n");
	spawn_dump(&T.proc, "test failed");
	spawn_kill(&T.proc);
	fprintf(stderr, "(test files kept in %s)\n", T.dir);
}

#define req(cond, ...) do {						\
	if (!(cond)) {							\
		fail_cleanup();						\
		ck_abort_msg(__VA_ARGS__);				\
	}								\
} while (0)

static const char *
collector_path(void)
{
	const char *p = getenv("VANTAGE_COLLECTOR");

	return p && *p ? p : "web/vantage-collector";
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- temp dir, config files ---- */

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	memset(&T, 0, sizeof(T));
	snprintf(T.dir, sizeof(T.dir), "%s/vantage-ct.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	ck_assert_msg(mkdtemp(T.dir) != NULL, "mkdtemp %s: %s", T.dir, strerror(errno));
	snprintf(T.db, sizeof(T.db), "%s/collector.db", T.dir);
	snprintf(T.conf, sizeof(T.conf), "%s/collector.json", T.dir);
	snprintf(T.portfile, sizeof(T.portfile), "%s/collector.port", T.dir);
}

static void
teardown(void)
{
	spawn_kill(&T.proc);
	free(T.big);
	T.big = NULL;
	if (getenv("VANTAGE_KEEP_TMP") == NULL)
		nftw(T.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else
		fprintf(stderr, "kept %s\n", T.dir);
}

static char *vfmt(const char *f, va_list ap) __attribute__((format(printf, 1, 0)));

static char *
vfmt(const char *f, va_list ap)
{
	char *s = NULL;

	ck_assert_msg(vasprintf(&s, f, ap) >= 0, "out of memory");
	return s;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	s = vfmt(f, ap);
	va_end(ap);
	return s;
}

static void write_config(const char *extra_fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Write T.conf: listen on 127.0.0.1:0, T.db, agents A1 and A2, plus the
 * top-level members in extra_fmt (each followed by a comma, or ""). */
static void
write_config(const char *extra_fmt, ...)
{
	va_list ap;
	char *extra, *text;

	va_start(ap, extra_fmt);
	extra = vfmt(extra_fmt, ap);
	va_end(ap);
	text = fmt("{\n"
	    "  %s\n"
	    "  \"listen\": \"127.0.0.1:0\",\n"
	    "  \"db\": \"%s\",\n"
	    "  \"agents\": [\n"
	    "    {\"id\": \"%s\", \"key\": \"%s\"},\n"
	    "    {\"id\": \"%s\", \"key\": \"%s\"}\n"
	    "  ]\n"
	    "}\n", extra, T.db, A1, A1_KEY, A2, A2_KEY);
	req(spawn_write_file(T.conf, text) == 0, "cannot write %s", T.conf);
	free(text);
	free(extra);
}

/* ---- running the collector ---- */

/* Start the collector with -c file and extra (NULL-terminated) arguments. */
static void
run_collector(const char *file, ...)
{
	char *argv[16], tag[32];
	int n = 0;
	va_list ap;
	const char *a;

	argv[n++] = (char *)(uintptr_t)collector_path();
	argv[n++] = (char *)"-c";
	argv[n++] = (char *)(uintptr_t)file;
	va_start(ap, file);
	while ((a = va_arg(ap, const char *)) != NULL && n < 15)
		argv[n++] = (char *)(uintptr_t)a;
	va_end(ap);
	argv[n] = NULL;
	snprintf(tag, sizeof(tag), "collector-%d", ++T.nruns);
	req(spawn_start(&T.proc, T.dir, tag, argv) == 0, "cannot start %s", argv[0]);
}

/* Start the collector as a daemon on T.conf (SLO engine every 200 ms);
 * returns once its port file names the port (also in T.port). */
static unsigned
start_collector(void)
{
	unlink(T.portfile);
	run_collector(T.conf, "--portfile", T.portfile, "--evaluate-every", "200ms",
	    (char *)NULL);
	T.port = spawn_wait_portfile(&T.proc, T.portfile, READY_MS);
	req(T.port != 0, "the collector did not write its port file");
	return T.port;
}

/* SIGTERM the collector; it must exit 0 within STOP_MS (under the
 * sanitizers that also means no leak), and its log must hold no sanitizer
 * report. */
static void
stop_collector(void)
{
	char *log;

	req(spawn_signal(&T.proc, SIGTERM) == 0, "cannot signal the collector");
	req(spawn_wait(&T.proc, STOP_MS) == 0, "the collector did not stop within "
	    "%d ms", STOP_MS);
	req(spawn_exit_code(&T.proc) == 0, "the collector exited with %d after "
	    "SIGTERM", spawn_exit_code(&T.proc));
	log = spawn_read_file(T.proc.err_path, NULL);
	req(log != NULL, "cannot read %s", T.proc.err_path);
	if (strstr(log, "runtime error:") != NULL || strstr(log, "Sanitizer") != NULL) {
		free(log);
		req(0, "the collector's log has a sanitizer report");
	}
	free(log);
}

/* Run --check-config on file; returns the exit code. */
static int
run_check_config(const char *file)
{
	run_collector(file, "--check-config", (char *)NULL);
	req(spawn_wait(&T.proc, RUN_BOUND_MS) == 0, "--check-config hung");
	return spawn_exit_code(&T.proc);
}

/* ---- HTTP ---- */

struct reply {
	long	 status;
	char	*body;		/* NUL-terminated, never NULL after a request */
	size_t	 len;
	json_t	*json;		/* the body parsed, or NULL */
	char	 etag[128];
	char	 ctype[128];
	char	 www_auth[128];	/* WWW-Authenticate */
};

struct upload {
	const char	*data;
	size_t		 len, off;
};

static void
reply_free(struct reply *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;
	char *nd;

	if (r->len + len + 1 > BODY_MAX || (nd = realloc(r->body, r->len + len + 1))
	    == NULL)
		return 0;
	r->body = nd;
	memcpy(r->body + r->len, data, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

/* Copy a header's value (trimmed) into out if line is "name: value". */
static void
header_value(const char *line, size_t len, const char *name, char *out,
    size_t outlen)
{
	size_t nlen = strlen(name), vlen;
	const char *v;

	if (len <= nlen + 1 || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
		return;
	v = line + nlen + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
	    v[vlen - 1] == ' '))
		vlen--;
	snprintf(out, outlen, "%.*s", (int)vlen, v);
}

static size_t
on_header(char *line, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;

	header_value(line, size * n, "ETag", r->etag, sizeof(r->etag));
	header_value(line, size * n, "Content-Type", r->ctype, sizeof(r->ctype));
	header_value(line, size * n, "WWW-Authenticate", r->www_auth,
	    sizeof(r->www_auth));
	return size * n;
}

static size_t
on_read(char *out, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t len = size * n;

	if (len > u->len - u->off)
		len = u->len - u->off;
	memcpy(out, u->data + u->off, len);
	u->off += len;
	return len;
}

enum send_mode {
	SEND_BUFFER,		/* the body from memory, Content-Length */
	SEND_STREAM,		/* read callback, Content-Length (curl adds Expect) */
	SEND_STREAM_NOEXPECT,	/* read callback, Content-Length, no Expect */
	SEND_CHUNKED,		/* read callback, chunked, no Expect */
	SEND_CHUNKED_EXPECT	/* read callback, chunked, Expect: 100-continue */
};

/* One request to the collector (HTTPS when T.ca_file is set, verified
 * against it). hdrs may be NULL; body NULL sends none. Returns 0 with the
 * answer in *r (reply_free it), or -1 on a transport error (message on
 * stderr). */
static int
http_send(const char *method, const char *path, struct curl_slist *hdrs,
    const char *body, size_t len, enum send_mode mode, struct reply *r)
{
	struct upload up = { body, len, 0 };
	char url[512], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL;
	CURL *e = curl_easy_init();
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	if (e == NULL)
		return -1;
	snprintf(url, sizeof(url), "%s://127.0.0.1:%u%s", T.ca_file[0] ? "https" :
	    "http", T.port, path);
	for (struct curl_slist *x = hdrs; x; x = x->next)
		h = curl_slist_append(h, x->data);
	if (mode == SEND_STREAM_NOEXPECT || mode == SEND_CHUNKED)
		h = curl_slist_append(h, "Expect:");
	if (mode == SEND_CHUNKED || mode == SEND_CHUNKED_EXPECT)
		h = curl_slist_append(h, "Transfer-Encoding: chunked");
	if (mode == SEND_CHUNKED_EXPECT)
		h = curl_slist_append(h, "Expect: 100-continue");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)HTTP_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	if (T.ca_file[0]) {
		curl_easy_setopt(e, CURLOPT_CAINFO, T.ca_file);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	if (body != NULL) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		if (mode == SEND_BUFFER) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		} else {
			curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(e, CURLOPT_READDATA, &up);
			if (mode != SEND_CHUNKED && mode != SEND_CHUNKED_EXPECT)
				curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				    (curl_off_t)len);
		}
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(e);
	if (rc == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		fprintf(stderr, "%s %s: %s\n", method, url, errbuf[0] ? errbuf :
		    curl_easy_strerror(rc));
		reply_free(r);
		return -1;
	}
	if (r->body == NULL)
		r->body = calloc(1, 1);
	req(r->body != NULL, "out of memory");
	r->json = json_loadb(r->body, r->len, 0, NULL);
	return 0;
}

/* A request that must answer want_status; returns the answer. */
static void
call(const char *method, const char *path, struct curl_slist *hdrs,
    const char *body, long want_status, struct reply *r)
{
	req(http_send(method, path, hdrs, body, body ? strlen(body) : 0, SEND_BUFFER,
	    r) == 0, "%s %s: no answer", method, path);
	req(r->status == want_status, "%s %s: status %ld, want %ld; body: %s",
	    method, path, r->status, want_status, r->body);
}

/* GET path without credentials; must answer want_status. */
static void
get(const char *path, long want_status, struct reply *r)
{
	call("GET", path, NULL, NULL, want_status, r);
}

/* The answer is a JSON object {"error": "non-empty message"}. */
static void
want_json_error(const struct reply *r, const char *what)
{
	const char *msg = json_string_value(json_object_get(r->json, "error"));

	req(json_is_object(r->json), "%s: the answer is not a JSON object: %s", what,
	    r->body);
	req(msg != NULL && *msg != '\0', "%s: no \"error\" message: %s", what, r->body);
	req(strncmp(r->ctype, "application/json", 16) == 0, "%s: Content-Type %s",
	    what, r->ctype);
}

/* The Authorization header for a request, signed at ts (lib/sign.h). The
 * path signed is the request path without its query. */
static struct curl_slist *
sign_at(struct curl_slist *h, const char *agent, const char *key,
    const char *method, const char *path, int64_t ts, const char *body, size_t len)
{
	char auth[512], line[600], p[256];

	snprintf(p, sizeof(p), "%.*s", (int)strcspn(path, "?"), path);
	req(sign_header(agent, key, strlen(key), method, p, ts, body, len, auth,
	    sizeof(auth)) == 0, "sign_header failed");
	snprintf(line, sizeof(line), "Authorization: %s", auth);
	return curl_slist_append(h, line);
}

static struct curl_slist *
sign_now(const char *agent, const char *key, const char *method, const char *path,
    const char *body, size_t len)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");

	return sign_at(h, agent, key, method, path, wall_ms() / 1000, body, len);
}

/* ---- batches ---- */

static json_t *
mk_result(const char *agent, const char *region, json_int_t seq, json_int_t ts,
    const char *check, const char *layer, const char *provider, bool ok,
    json_int_t total_us)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:b,s:s?,s:s?,"
	    "s:i,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:n}",
	    "check", check, "kind", "http", "service", "micro", "layer", layer,
	    "provider", provider, "url", "https://micro.example.com/healthz",
	    "agent", agent, "region", region, "seq", seq, "ts", ts, "ok", ok,
	    "error_class", ok ? NULL : "http_status",
	    "error", ok ? NULL : "HTTP status 503, expected 200-299",
	    "status", ok ? 200 : 503, "http_version", "1.1",
	    "bytes", (json_int_t)42, "dns_us", (json_int_t)1000,
	    "connect_us", (json_int_t)2000, "tls_us", (json_int_t)3000,
	    "processing_us", total_us / 2, "transfer_us", (json_int_t)100,
	    "total_us", total_us, "attempts", 1, "cert_not_after");
}

/* A batch of agent (results stolen). */
static json_t *
mk_batch(const char *agent, const char *region, json_t *results)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:i,s:o}", "agent", agent,
	    "region", region, "provider", strcmp(agent, A1) == 0 ? "hetzner" : "aws",
	    "version", "test", "outbox_depth", 0, "results", results);
}

/* n ok results of check by A1 with seqs first.. and recent timestamps.
 * A seq always has the same ts (and total_us) in a test, so a batch sent
 * again is the same records, as an agent resends them. */
static json_t *
simple_batch(json_int_t first, int n, const char *check)
{
	static int64_t base;
	json_t *arr = json_array();

	if (base == 0)
		base = wall_ms() - 30000;
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, mk_result(A1, "eu-central", first + i,
		    base + first + i, check, "front_door", "cloudflare", true,
		    100000 + first + i));
	return mk_batch(A1, "eu-central", arr);
}

/* POST batch to /api/v1/ingest signed as agent with key; want_status. */
static void
ingest_as(const char *agent, const char *key, json_t *batch, long want_status,
    struct reply *r)
{
	char *body = json_dumps(batch, JSON_COMPACT);
	struct curl_slist *h;

	req(body != NULL, "json_dumps");
	h = sign_now(agent, key, "POST", "/api/v1/ingest", body, strlen(body));
	call("POST", "/api/v1/ingest", h, body, want_status, r);
	curl_slist_free_all(h);
	free(body);
}

static void
ingest(json_t *batch, struct reply *r)
{
	const char *agent = json_string_value(json_object_get(batch, "agent"));

	ingest_as(agent, strcmp(agent, A1) == 0 ? A1_KEY : A2_KEY, batch, 200, r);
}

static json_int_t
jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	req(json_is_integer(v), "%s is not an integer", key);
	return json_integer_value(v);
}

static double
jnum(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	req(json_is_number(v), "%s is not a number", key);
	return json_number_value(v);
}

/* Does the JSON array hold exactly the integers from..to (any order)? */
static bool
int_set_is(json_t *arr, json_int_t from, json_int_t to)
{
	size_t i, n = (size_t)(to - from + 1);
	bool *seen;
	json_t *v;

	if (!json_is_array(arr) || json_array_size(arr) != n)
		return false;
	seen = calloc(n, sizeof(*seen));
	req(seen != NULL, "out of memory");
	json_array_foreach(arr, i, v) {
		json_int_t x = json_integer_value(v);
		if (!json_is_integer(v) || x < from || x > to || seen[x - from]) {
			free(seen);
			return false;
		}
		seen[x - from] = true;
	}
	free(seen);
	return true;
}

/* The collector answered 200 to a batch: acked, stored, duplicates. */
static void
want_ingested(const struct reply *r, json_int_t first, json_int_t last,
    json_int_t stored, json_int_t dups)
{
	req(int_set_is(json_object_get(r->json, "acked"), first, last),
	    "acked is not seqs %lld..%lld: %s", (long long)first, (long long)last,
	    r->body);
	req(jint(r->json, "stored") == stored, "stored %lld, want %lld: %s",
	    (long long)jint(r->json, "stored"), (long long)stored, r->body);
	req(jint(r->json, "duplicates") == dups, "duplicates %lld, want %lld: %s",
	    (long long)jint(r->json, "duplicates"), (long long)dups, r->body);
}

/* ---- the collector DB (read-only next to the running collector) ---- */

static int64_t
db_int(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	req(sqlite3_open_v2(T.db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK,
	    "cannot open %s: %s", T.db, db ? sqlite3_errmsg(db) : "?");
	sqlite3_busy_timeout(db, 5000);
	req(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
	    sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The first column of the first row as a new string ("" if NULL). */
static char *
db_text(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *v = NULL;

	req(sqlite3_open_v2(T.db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK,
	    "cannot open %s", T.db);
	sqlite3_busy_timeout(db, 5000);
	req(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
	    sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = strdup((const char *)sqlite3_column_text(st, 0));
	else
		v = strdup("");
	sqlite3_finalize(st);
	sqlite3_close(db);
	req(v != NULL, "out of memory");
	return v;
}

static int64_t
db_rows(void)
{
	return db_int("SELECT count(*) FROM results");
}

/* Run sql (no rows) on the DB while the collector is stopped. */
static void
db_exec(const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	req(sqlite3_open_v2(T.db, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK,
	    "cannot open %s", T.db);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close(db);
		req(0, "SQL failed");
	}
	sqlite3_close(db);
}

/* ---- ingest ---- */

START_TEST(test_ingest_valid)
{
	struct reply r;
	json_t *batch, *sent, *got;
	char *seqs;

	write_config("%s", "");
	start_collector();
	batch = simple_batch(1, 5, "fd-home");
	ingest(batch, &r);
	want_ingested(&r, 1, 5, 5, 0);
	req(json_array_size(json_object_get(r.json, "rejected")) == 0,
	    "rejected: %s", r.body);
	reply_free(&r);

	req(db_rows() == 5, "%lld rows, want 5", (long long)db_rows());
	seqs = db_text("SELECT group_concat(seq) FROM (SELECT r.seq FROM results r "
	    "JOIN series s ON s.id = r.series WHERE s.agent = '" A1 "' ORDER BY r.seq)");
	req(strcmp(seqs, "1,2,3,4,5") == 0, "stored seqs %s", seqs);
	free(seqs);
	req(db_int("SELECT count(*) FROM results r JOIN series s ON s.id = r.series "
	    "WHERE s.region = 'eu-central' AND s.layer = 'front_door' AND "
	    "s.check_name = 'fd-home' AND r.flags & 1") == 5,
	    "the rows do not carry the batch's labels");
	/* the record is served as sent, field for field */
	get("/api/v1/results?agent=" A1 "&limit=10", 200, &r);
	got = NULL;
	{
		size_t i;
		json_t *v;

		json_array_foreach(json_object_get(r.json, "results"), i, v)
			if (json_integer_value(json_object_get(v, "seq")) == 3)
				got = v;
	}
	sent = json_array_get(json_object_get(batch, "results"), 2);
	req(got != NULL && json_equal(got, sent), "record 3 differs: %s", r.body);
	reply_free(&r);

	/* the status view has the newest result of the check */
	get("/api/v1/status", 200, &r);
	got = json_array_get(json_object_get(r.json, "results"), 0);
	req(json_array_size(json_object_get(r.json, "results")) == 1 &&
	    jint(got, "seq") == 5 && json_is_integer(json_object_get(got, "age_ms")),
	    "/api/v1/status: %s", r.body);
	reply_free(&r);
	json_decref(batch);
	stop_collector();
}
END_TEST

START_TEST(test_ingest_replay)
{
	struct reply r;
	json_t *batch;

	write_config("%s", "");
	start_collector();
	batch = simple_batch(1, 5, "fd-home");
	ingest(batch, &r);
	want_ingested(&r, 1, 5, 5, 0);
	reply_free(&r);
	ingest(batch, &r);
	want_ingested(&r, 1, 5, 0, 5);
	reply_free(&r);
	req(db_rows() == 5, "%lld rows after a replay, want 5", (long long)db_rows());
	req(db_int("SELECT sum(total) FROM rollup_1m") == 5, "rollups counted the "
	    "replay: %lld", (long long)db_int("SELECT sum(total) FROM rollup_1m"));
	json_decref(batch);

	/* overlapping: 4 and 5 again, 6..8 new */
	batch = simple_batch(4, 5, "fd-home");
	ingest(batch, &r);
	want_ingested(&r, 4, 8, 3, 2);
	reply_free(&r);
	json_decref(batch);
	req(db_rows() == 8, "%lld rows, want 8", (long long)db_rows());
	req(db_int("SELECT sum(total) FROM rollup_1h") == 8, "hour rollups: %lld",
	    (long long)db_int("SELECT sum(total) FROM rollup_1h"));
	stop_collector();
}
END_TEST

START_TEST(test_ingest_partial_reject)
{
	/* which results of an 8-result batch are broken, and how */
	static const struct {
		size_t		 index;
		const char	*key, *value, *says;	/* value: JSON text */
	} bad[] = {
		{ 1, "ok", "\"yes\"", "ok" },
		{ 3, "agent", "\"" A2 "\"", "agent" },
		{ 5, "ts", "4102444800000", "future" },	/* 2100 */
		{ 6, "error_class", "\"timeout\"", "error_class" },
		{ 7, "check", "\"\"", "check" },
	};
	const size_t nbad = sizeof(bad) / sizeof(bad[0]);
	struct reply r;
	json_t *batch, *rej, *item;
	char *seqs;
	size_t i;

	write_config("%s", "");
	start_collector();
	batch = simple_batch(1, 8, "fd-home");
	for (i = 0; i < nbad; i++)
		json_object_set_new(json_array_get(json_object_get(batch, "results"),
		    bad[i].index), bad[i].key, json_loads(bad[i].value,
		    JSON_DECODE_ANY, NULL));
	ingest(batch, &r);
	req(jint(r.json, "stored") == 8 - (json_int_t)nbad, "stored %lld, want %zu: %s",
	    (long long)jint(r.json, "stored"), 8 - nbad, r.body);
	rej = json_object_get(r.json, "rejected");
	req(json_array_size(rej) == nbad, "want %zu rejected results: %s", nbad, r.body);
	json_array_foreach(rej, i, item) {
		const char *msg = json_string_value(json_object_get(item, "error"));

		req(jint(item, "index") == (json_int_t)bad[i].index &&
		    jint(item, "seq") == (json_int_t)bad[i].index + 1,
		    "rejected[%zu]: want index %zu: %s", i, bad[i].index, r.body);
		req(msg != NULL && strstr(msg, bad[i].says) != NULL, "rejected[%zu]: "
		    "the message does not say \"%s\": %s", i, bad[i].says, r.body);
	}
	/* a rejected result is acknowledged too: resending cannot fix it */
	want_ingested(&r, 1, 8, 8 - (json_int_t)nbad, 0);
	reply_free(&r);
	json_decref(batch);
	req(db_rows() == 8 - (int64_t)nbad, "%lld rows, want %zu", (long long)db_rows(),
	    8 - nbad);
	seqs = db_text("SELECT group_concat(seq) FROM (SELECT seq FROM results "
	    "ORDER BY seq)");
	req(strcmp(seqs, "1,3,5") == 0, "stored seqs %s, want the good ones 1,3,5",
	    seqs);
	free(seqs);
	stop_collector();
}
END_TEST

/* The answer has status want and is a JSON error. */
static void
refused(const char *what, long want, struct reply *r)
{
	req(r->status == want, "%s: status %ld, want %ld; body: %s", what, r->status,
	    want, r->body);
	want_json_error(r, what);
}

START_TEST(test_ingest_auth_refused)
{
	struct reply r;
	json_t *batch;
	char *body, *other;
	struct curl_slist *h;
	int64_t rows;

	write_config("%s", "");
	start_collector();
	batch = simple_batch(1, 3, "fd-home");
	ingest(batch, &r);
	reply_free(&r);
	json_decref(batch);
	rows = db_rows();
	req(rows == 3, "%lld rows", (long long)rows);

	batch = simple_batch(10, 3, "fd-home");
	body = json_dumps(batch, JSON_COMPACT);
	json_decref(batch);
	batch = simple_batch(20, 3, "fd-home");
	other = json_dumps(batch, JSON_COMPACT);
	json_decref(batch);

	/* signed over another body */
	h = sign_now(A1, A1_KEY, "POST", "/api/v1/ingest", other, strlen(other));
	call("POST", "/api/v1/ingest", h, body, 401, &r);
	curl_slist_free_all(h);
	refused("tampered body", 401, &r);
	req(strstr(r.body, "signature") != NULL, "tampered: %s", r.body);
	reply_free(&r);

	/* the right key for another path */
	h = sign_now(A1, A1_KEY, "POST", "/api/v1/other", body, strlen(body));
	call("POST", "/api/v1/ingest", h, body, 401, &r);
	curl_slist_free_all(h);
	refused("signed for another path", 401, &r);
	reply_free(&r);

	/* the wrong key */
	h = sign_now(A1, A2_KEY, "POST", "/api/v1/ingest", body, strlen(body));
	call("POST", "/api/v1/ingest", h, body, 401, &r);
	curl_slist_free_all(h);
	refused("wrong key", 401, &r);
	reply_free(&r);

	/* an agent the collector does not know */
	h = sign_now("ghost", A1_KEY, "POST", "/api/v1/ingest", body, strlen(body));
	call("POST", "/api/v1/ingest", h, body, 401, &r);
	curl_slist_free_all(h);
	refused("unknown agent", 401, &r);
	req(strstr(r.body, "ghost") != NULL, "unknown agent: %s", r.body);
	reply_free(&r);

	/* timestamps 10 minutes off, either way */
	for (int sgn = -1; sgn <= 1; sgn += 2) {
		h = curl_slist_append(NULL, "Content-Type: application/json");
		h = sign_at(h, A1, A1_KEY, "POST", "/api/v1/ingest",
		    wall_ms() / 1000 + sgn * 600, body, strlen(body));
		call("POST", "/api/v1/ingest", h, body, 401, &r);
		curl_slist_free_all(h);
		refused("timestamp 10 minutes off", 401, &r);
		req(strstr(r.body, "timestamp") != NULL, "skew: %s", r.body);
		reply_free(&r);
	}

	/* no Authorization, and a different scheme */
	call("POST", "/api/v1/ingest", NULL, body, 401, &r);
	refused("missing Authorization", 401, &r);
	req(strncmp(r.www_auth, SIGN_SCHEME, strlen(SIGN_SCHEME)) == 0,
	    "WWW-Authenticate \"%s\" on ingest", r.www_auth);
	reply_free(&r);
	h = curl_slist_append(NULL, "Authorization: Bearer " READ_TOKEN);
	call("POST", "/api/v1/ingest", h, body, 401, &r);
	curl_slist_free_all(h);
	refused("Bearer on ingest", 401, &r);
	reply_free(&r);

	req(db_rows() == rows, "refused batches changed the DB: %lld rows, want %lld",
	    (long long)db_rows(), (long long)rows);
	req(db_int("SELECT count(*) FROM results WHERE seq >= 10") == 0, "stored");
	free(body);
	free(other);
	req(spawn_running(&T.proc), "the collector died");
	stop_collector();
}
END_TEST

START_TEST(test_ingest_malformed)
{
	static const char *const bad[] = {
		/* line 3 is broken */
		"{\n  \"results\": [\n    {\"seq\": 1,,}\n  ]\n}\n",
		"[1, 2, 3]",
		"{\"results\": 5}",
		"",
	};
	struct reply r;
	json_t *batch;
	int64_t rows;

	write_config("%s", "");
	start_collector();
	batch = simple_batch(1, 2, "fd-home");
	ingest(batch, &r);
	reply_free(&r);
	json_decref(batch);
	rows = db_rows();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct curl_slist *h = sign_now(A1, A1_KEY, "POST", "/api/v1/ingest",
		    bad[i], strlen(bad[i]));
		char what[64];

		snprintf(what, sizeof(what), "malformed batch %zu", i);
		req(http_send("POST", "/api/v1/ingest", h, bad[i], strlen(bad[i]),
		    SEND_BUFFER, &r) == 0, "%s: no answer", what);
		curl_slist_free_all(h);
		refused(what, 400, &r);
		if (i == 0) {
			const char *msg = json_string_value(json_object_get(r.json,
			    "error"));
			req(strstr(msg, "line 3") != NULL && strstr(msg, "column") != NULL,
			    "the message does not say line 3 and a column: %s", msg);
		}
		reply_free(&r);
	}
	/* a batch saying another agent than the signature */
	batch = simple_batch(30, 2, "fd-home");
	json_object_set_new(batch, "agent", json_string(A2));
	ingest_as(A1, A1_KEY, batch, 400, &r);
	refused("agent mismatch", 400, &r);
	reply_free(&r);
	json_decref(batch);
	req(db_rows() == rows, "malformed batches changed the DB: %lld rows, want %lld",
	    (long long)db_rows(), (long long)rows);
	stop_collector();
}
END_TEST

START_TEST(test_ingest_too_large)
{
	static const struct {
		const char	*what;
		enum send_mode	 mode;
	} modes[] = {
		{ "Content-Length with Expect: 100-continue", SEND_STREAM },
		{ "Content-Length, no Expect", SEND_STREAM_NOEXPECT },
		{ "chunked", SEND_CHUNKED },
		{ "chunked with Expect: 100-continue", SEND_CHUNKED_EXPECT },
	};
	struct reply r;
	json_t *batch;
	int64_t rows;
	static const char head[] = "{\"agent\": \"" A1 "\", \"results\": [";

	write_config("%s", "");
	start_collector();
	batch = simple_batch(1, 2, "fd-home");
	ingest(batch, &r);
	reply_free(&r);
	json_decref(batch);
	rows = db_rows();

	/* 50 MiB of valid, signed JSON (whitespace inside a batch) */
	T.big = malloc((size_t)BIG_BODY);
	req(T.big != NULL, "out of memory");
	memset(T.big, ' ', (size_t)BIG_BODY);
	memcpy(T.big, head, strlen(head));
	memcpy(T.big + BIG_BODY - 2, "]}", 2);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct curl_slist *h = sign_now(A1, A1_KEY, "POST", "/api/v1/ingest",
		    T.big, (size_t)BIG_BODY);
		int rc = http_send("POST", "/api/v1/ingest", h, T.big, (size_t)BIG_BODY,
		    modes[i].mode, &r);

		curl_slist_free_all(h);
		req(rc == 0, "50 MiB body (%s): no answer (want 413)", modes[i].what);
		refused(modes[i].what, 413, &r);
		reply_free(&r);
		req(spawn_running(&T.proc), "the collector died on a 50 MiB body");
		get("/healthz", 200, &r);
		reply_free(&r);
	}
	req(db_rows() == rows, "a 413 changed the DB");
	/* still taking batches */
	batch = simple_batch(3, 2, "fd-home");
	ingest(batch, &r);
	want_ingested(&r, 3, 4, 2, 0);
	reply_free(&r);
	json_decref(batch);
	get("/metrics", 200, &r);
	req(strstr(r.body, "vantage_ingest_requests_total{answer=\"too_large\"} 4\n")
	    != NULL, "/metrics does not count the 413s:\n%s", r.body);
	reply_free(&r);
	stop_collector();
}
END_TEST

/* ---- SLOs ---- */

/* The scripted fleet: 2 agents (regions), 3 checks in 2 layers. */
static const struct {
	const char	*agent, *key, *region;
} fleet_agents[] = {
	{ A1, A1_KEY, "eu-central" },
	{ A2, A2_KEY, "us-east" },
};

static const struct {
	const char	*check, *layer, *provider;
} fleet_checks[] = {
	{ "fd-home", "front_door", "cloudflare" },
	{ "fd-api", "front_door", "fastly" },
	{ "edge-health", "edge", "cloudflare-workers" },
};

#define FLEET_RUNS	12	/* per agent and check */
#define LAT_THRESHOLD_US 200000

/* Run k of check c by agent a: failed or not, and its total time. The
 * times stay far from the latency threshold (and from sketch bucket edges
 * around it) so "good" is exact. */
static bool
fleet_ok(size_t a, size_t c, int k)
{
	return (k * 7 + (int)c * 3 + (int)a * 5) % 6 != 0;
}

static json_int_t
fleet_us(size_t a, size_t c, int k)
{
	return (k % 4 == 3 ? 350000 : 80000) + (json_int_t)(a * 1000 + c * 100 + k);
}

struct expect {
	int64_t	total, good;
};

/* Expected numbers for a selector (NULL fields: any). latency_us > 0
 * counts good as ok and at most that slow. */
static struct expect
fleet_expect(const char *layer, const char *region, const char *provider,
    int64_t latency_us)
{
	struct expect e = { 0, 0 };

	for (size_t a = 0; a < 2; a++)
		for (size_t c = 0; c < 3; c++)
			for (int k = 0; k < FLEET_RUNS; k++) {
				if ((layer && strcmp(layer, fleet_checks[c].layer) != 0) ||
				    (region && strcmp(region, fleet_agents[a].region) != 0) ||
				    (provider && strcmp(provider,
				    fleet_checks[c].provider) != 0))
					continue;
				e.total++;
				if (fleet_ok(a, c, k) && (latency_us == 0 ||
				    fleet_us(a, c, k) <= latency_us))
					e.good++;
			}
	return e;
}

static int
cmp_us(const void *a, const void *b)
{
	json_int_t x = *(const json_int_t *)a, y = *(const json_int_t *)b;

	return x < y ? -1 : x > y;
}

/* The SLO's latency percentiles (passed runs, layer or every layer when
 * NULL) are within the sketch's 1 % of the exact values (nearest rank,
 * one rank of slack either way). */
static void
want_percentiles(json_t *o, const char *name, const char *layer)
{
	static const struct {
		const char	*key;
		double		 q;
	} pct[] = { { "p50_ms", .50 }, { "p90_ms", .90 }, { "p95_ms", .95 },
		{ "p99_ms", .99 } };
	json_int_t v[2 * 3 * FLEET_RUNS];
	json_t *lat = json_object_get(o, "latency");
	size_t n = 0;

	for (size_t a = 0; a < 2; a++)
		for (size_t c = 0; c < 3; c++)
			for (int k = 0; k < FLEET_RUNS; k++)
				if (fleet_ok(a, c, k) && (layer == NULL ||
				    strcmp(layer, fleet_checks[c].layer) == 0))
					v[n++] = fleet_us(a, c, k);
	req(n > 0 && json_is_object(lat), "SLO %s: no latency", name);
	qsort(v, n, sizeof(v[0]), cmp_us);
	for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
		size_t rank = (size_t)ceil(pct[i].q * (double)n);
		size_t lo = rank >= 2 ? rank - 2 : 0, hi = rank < n ? rank : n - 1;
		double got = jnum(lat, pct[i].key) * 1000.0;

		req(got >= (double)v[lo] * 0.99 && got <= (double)v[hi] * 1.01,
		    "SLO %s: latency.%s %.1f us, exact %lld..%lld us", name,
		    pct[i].key, got, (long long)v[lo], (long long)v[hi]);
	}
}

/* Send the fleet's results, two batches per agent; returns the wall clock
 * after the last answer. */
static int64_t
send_fleet(void)
{
	int64_t now = wall_ms();
	struct reply r;

	for (size_t a = 0; a < 2; a++) {
		json_int_t seq = 1;

		for (int half = 0; half < 2; half++) {
			json_t *arr = json_array(), *batch;
			json_int_t first = seq;

			for (size_t c = 0; c < 3; c++)
				for (int k = half * FLEET_RUNS / 2;
				    k < (half + 1) * FLEET_RUNS / 2; k++)
					json_array_append_new(arr, mk_result(
					    fleet_agents[a].agent, fleet_agents[a].region,
					    seq++, now - 100000 + k * 7000 + (json_int_t)c,
					    fleet_checks[c].check, fleet_checks[c].layer,
					    fleet_checks[c].provider, fleet_ok(a, c, k),
					    fleet_us(a, c, k)));
			batch = mk_batch(fleet_agents[a].agent, fleet_agents[a].region, arr);
			ingest_as(fleet_agents[a].agent, fleet_agents[a].key, batch, 200, &r);
			want_ingested(&r, first, seq - 1, seq - first, 0);
			reply_free(&r);
			json_decref(batch);
		}
	}
	return wall_ms();
}

/* Poll /api/v1/slos (every 50 ms, at most EVAL_WAIT_MS) until it was
 * evaluated after t; returns that answer. */
static void
wait_evaluated(int64_t t, struct reply *r)
{
	int64_t deadline = spawn_now_us() + (int64_t)EVAL_WAIT_MS * 1000;

	for (;;) {
		get("/api/v1/slos", 200, r);
		if (jint(r->json, "evaluated_at") > t)
			return;
		if (spawn_now_us() >= deadline)
			break;
		reply_free(r);
		sleep_ms(50);
		req(spawn_running(&T.proc), "the collector died");
	}
	req(0, "/api/v1/slos not evaluated after %lld within %d ms: %s",
	    (long long)t, EVAL_WAIT_MS, r->body);
}

static bool
close_to(double got, double want)
{
	/* the API writes 10 significant digits */
	return fabs(got - want) <= 1e-8 * fmax(1.0, fabs(want));
}

static json_t *
find_slo(json_t *slos, const char *name)
{
	size_t i;
	json_t *o;

	json_array_foreach(slos, i, o)
		if (strcmp(json_string_value(json_object_get(o, "name")), name) == 0)
			return o;
	req(0, "no SLO %s in the answer", name);
	return NULL;
}

/* The SLO object says what we expect for objective obj. */
static void
want_slo(json_t *o, const char *name, double obj, struct expect e)
{
	double avail = (double)e.good / (double)e.total;
	double bad = (double)(e.total - e.good);
	double remaining = 1.0 - bad / ((1.0 - obj) * (double)e.total);
	double burn = (bad / (double)e.total) / (1.0 - obj);
	json_t *rates = json_object_get(o, "burn_rates"), *al;
	char *s = json_dumps(o, JSON_COMPACT);
	size_t i;

	req(jint(o, "total") == e.total && jint(o, "good") == e.good,
	    "SLO %s: good/total %lld/%lld, want %lld/%lld: %s", name,
	    (long long)jint(o, "good"), (long long)jint(o, "total"),
	    (long long)e.good, (long long)e.total, s);
	req(close_to(jnum(o, "objective"), obj), "SLO %s: objective: %s", name, s);
	req(close_to(jnum(o, "availability"), avail), "SLO %s: availability %.10g, "
	    "want %.10g", name, jnum(o, "availability"), avail);
	req(close_to(jnum(o, "error_budget"), (1.0 - obj) * (double)e.total),
	    "SLO %s: error_budget %.10g", name, jnum(o, "error_budget"));
	req(close_to(jnum(o, "budget_remaining"), remaining), "SLO %s: "
	    "budget_remaining %.10g, want %.10g", name, jnum(o, "budget_remaining"),
	    remaining);
	/* every result is from the last two minutes: every window sees all */
	for (const char *const *w = (const char *const[]){ "5m", "30m", "1h", "2h",
	    "6h", "1d", "3d", "window", NULL }; *w; w++)
		req(close_to(jnum(rates, *w), burn), "SLO %s: burn_rates.%s %.10g, "
		    "want %.10g", name, *w, jnum(rates, *w), burn);
	req(json_array_size(json_object_get(o, "alerts")) == 4, "alerts: %s", s);
	json_array_foreach(json_object_get(o, "alerts"), i, al) {
		double factor = jnum(al, "factor");
		static const double factors[4] = { 14.4, 6, 3, 1 };

		req(close_to(factor, factors[i]), "alert %zu factor %g", i, factor);
		req(json_is_true(json_object_get(al, "firing")) == (burn > factor),
		    "SLO %s: alert %zu (factor %g) firing is wrong at burn %g", name, i,
		    factor, burn);
	}
	free(s);
}

/* Each of by.region/layer/provider sums to the total, and one key of each
 * has the numbers we expect. */
static void
want_breakdown(json_t *o, const char *dim, const char *key, struct expect whole,
    struct expect part)
{
	json_t *arr = json_object_get(json_object_get(o, "by"), dim), *g;
	int64_t total = 0, good = 0;
	bool found = false;
	size_t i;

	req(json_is_array(arr) && json_array_size(arr) > 0, "by.%s missing", dim);
	json_array_foreach(arr, i, g) {
		total += jint(g, "total");
		good += jint(g, "good");
		if (strcmp(json_string_value(json_object_get(g, "key")), key) == 0) {
			found = true;
			req(jint(g, "total") == part.total && jint(g, "good") == part.good,
			    "by.%s %s: %lld/%lld, want %lld/%lld", dim, key,
			    (long long)jint(g, "good"), (long long)jint(g, "total"),
			    (long long)part.good, (long long)part.total);
			req(close_to(jnum(g, "availability"), (double)part.good /
			    (double)part.total), "by.%s %s: availability", dim, key);
		}
	}
	req(found, "by.%s has no %s", dim, key);
	req(total == whole.total && good == whole.good, "by.%s sums to %lld/%lld, "
	    "want %lld/%lld", dim, (long long)good, (long long)total,
	    (long long)whole.good, (long long)whole.total);
}

START_TEST(test_slo_numbers)
{
	struct expect fd, all, lat;
	struct reply r, one;
	json_t *o;
	int64_t t;

	write_config("\"slos\": [\n"
	    "    {\"name\": \"fd\", \"objective\": 99.5, \"window\": \"30d\", "
	    "\"selector\": {\"layer\": \"front_door\"}},\n"
	    "    {\"name\": \"all\", \"objective\": 90, \"window\": \"7d\", "
	    "\"selector\": {\"service\": \"micro\"}},\n"
	    "    {\"name\": \"lat\", \"objective\": 95, \"sli\": \"latency\", "
	    "\"threshold\": \"200ms\", \"selector\": {\"service\": \"micro\"}},\n"
	    "    {\"name\": \"nobody\", \"objective\": 99, "
	    "\"selector\": {\"region\": \"mars\"}}\n"
	    "  ],");
	start_collector();
	t = send_fleet();
	fd = fleet_expect("front_door", NULL, NULL, 0);
	all = fleet_expect(NULL, NULL, NULL, 0);
	lat = fleet_expect(NULL, NULL, NULL, LAT_THRESHOLD_US);
	req(fd.good < fd.total && lat.good < all.good, "the script has no failures");

	/* what we sent is what the raw rows say */
	req(db_int("SELECT count(*) FROM results r JOIN series s ON s.id = r.series "
	    "WHERE s.layer = 'front_door'") == fd.total && db_int("SELECT "
	    "sum(r.flags & 1) FROM results r JOIN series s ON s.id = r.series WHERE "
	    "s.layer = 'front_door'") == fd.good,
	    "raw rows differ from what was sent (fd)");
	req(db_int("SELECT count(*) FROM results WHERE flags & 1 AND total_us <= "
	    "200000") == lat.good, "raw rows differ from what was sent (latency)");

	wait_evaluated(t, &r);
	want_slo(find_slo(json_object_get(r.json, "slos"), "fd"), "fd", 0.995, fd);
	want_slo(find_slo(json_object_get(r.json, "slos"), "all"), "all", 0.90, all);
	want_slo(find_slo(json_object_get(r.json, "slos"), "lat"), "lat", 0.95, lat);
	want_percentiles(find_slo(json_object_get(r.json, "slos"), "fd"), "fd",
	    "front_door");
	want_percentiles(find_slo(json_object_get(r.json, "slos"), "all"), "all", NULL);
	o = find_slo(json_object_get(r.json, "slos"), "nobody");
	req(jint(o, "total") == 0 && json_is_null(json_object_get(o, "availability")) &&
	    json_is_null(json_object_get(o, "budget_remaining")) &&
	    json_is_null(json_object_get(json_object_get(o, "burn_rates"), "5m")),
	    "an SLO without data must say null, not 100 %%");
	o = find_slo(json_object_get(r.json, "slos"), "lat");
	req(close_to(jnum(o, "threshold_ms"), 200.0), "threshold_ms");
	req(json_object_get(o, "by") == NULL, "/api/v1/slos carries the breakdown");

	/* one SLO with its breakdown */
	get("/api/v1/slos/fd", 200, &one);
	want_slo(one.json, "fd", 0.995, fd);
	want_breakdown(one.json, "region", "us-east", fd,
	    fleet_expect("front_door", "us-east", NULL, 0));
	want_breakdown(one.json, "layer", "front_door", fd, fd);
	want_breakdown(one.json, "provider", "fastly", fd,
	    fleet_expect("front_door", NULL, "fastly", 0));
	reply_free(&one);
	get("/api/v1/slos/lat", 200, &one);
	/* each breakdown sums exactly to its SLO (a latency SLO's too) */
	for (int d = 0; d < 3; d++) {
		static const char *const dims[] = { "region", "layer", "provider" };
		json_t *arr = json_object_get(json_object_get(one.json, "by"), dims[d]);
		int64_t sg = 0, stot = 0;
		size_t i;
		json_t *g;

		req(json_array_size(arr) > 0, "no %s breakdown", dims[d]);
		json_array_foreach(arr, i, g) {
			sg += jint(g, "good");
			stot += jint(g, "total");
		}
		req(sg == lat.good && stot == lat.total, "by %s sums to %lld/%lld, the "
		    "SLO is %lld/%lld", dims[d], (long long)sg, (long long)stot,
		    (long long)lat.good, (long long)lat.total);
	}
	want_breakdown(one.json, "layer", "edge", lat,
	    fleet_expect("edge", NULL, NULL, LAT_THRESHOLD_US));
	want_breakdown(one.json, "region", "eu-central", lat,
	    fleet_expect(NULL, "eu-central", NULL, LAT_THRESHOLD_US));
	reply_free(&one);

	get("/api/v1/slos/no-such-slo", 404, &one);
	want_json_error(&one, "unknown SLO");
	reply_free(&one);
	reply_free(&r);
	stop_collector();
}
END_TEST

/* ---- series ---- */

START_TEST(test_series)
{
	struct reply r;
	json_t *p;
	int64_t total = 0, good = 0, t;
	struct expect want = { 0, 0 };
	bool pct = false;
	size_t i;

	write_config("%s", "");
	start_collector();
	t = send_fleet();
	for (size_t a = 0; a < 2; a++)
		for (int k = 0; k < FLEET_RUNS; k++) {
			want.total++;
			want.good += fleet_ok(a, 1, k);		/* fd-api */
		}
	get("/api/v1/series?check=fd-api&from=1h&step=1m", 200, &r);
	req(jint(r.json, "step_ms") == 60000, "step_ms: %s", r.body);
	req(jint(r.json, "to") >= t - 1000, "to %lld is before the ingest",
	    (long long)jint(r.json, "to"));
	json_array_foreach(json_object_get(r.json, "points"), i, p) {
		json_t *p50 = json_object_get(p, "p50_ms"), *p99 = json_object_get(p, "p99_ms");

		req(jint(p, "ts") % 60000 == 0, "point ts %lld not on a minute",
		    (long long)jint(p, "ts"));
		total += jint(p, "total");
		good += jint(p, "good");
		if (jint(p, "good") > 0) {
			req(json_is_number(p50) && json_is_number(p99) &&
			    json_is_number(json_object_get(p, "p90_ms")) &&
			    json_is_number(json_object_get(p, "p95_ms")),
			    "a point with passed runs lacks percentiles: %s", r.body);
			/* our passed runs took 80..84 ms or 350..354 ms */
			req(json_number_value(p50) >= 80 * 0.99 &&
			    json_number_value(p99) <= 355 * 1.01 &&
			    json_number_value(p50) <= json_number_value(p99),
			    "percentiles out of range: %s", r.body);
			pct = true;
		}
	}
	req(total == want.total && good == want.good, "series sums to %lld/%lld, "
	    "sent %lld/%lld: %s", (long long)good, (long long)total,
	    (long long)want.good, (long long)want.total, r.body);
	req(pct, "no point has percentiles");
	reply_free(&r);

	/* by region: each region's points sum to its share */
	get("/api/v1/series?check=fd-api&from=1h&step=5m&region=us-east", 200, &r);
	total = 0;
	json_array_foreach(json_object_get(r.json, "points"), i, p)
		total += jint(p, "total");
	req(total == FLEET_RUNS, "us-east series sums to %lld, want %d",
	    (long long)total, FLEET_RUNS);
	reply_free(&r);

	get("/api/v1/series?check=fd-api&from=1h&step=7s", 400, &r);
	want_json_error(&r, "step=7s");
	reply_free(&r);
	get("/api/v1/series?check=fd-api&from=1h&step=soon", 400, &r);
	want_json_error(&r, "step=soon");
	reply_free(&r);
	get("/api/v1/series?check=fd-api&from=yesterday", 400, &r);
	want_json_error(&r, "from=yesterday");
	reply_free(&r);
	stop_collector();
}
END_TEST

/* ---- agents ---- */

static json_t *
find_agent(json_t *answer, const char *id)
{
	size_t i;
	json_t *o;

	json_array_foreach(json_object_get(answer, "agents"), i, o)
		if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0)
			return o;
	req(0, "agent %s is not listed", id);
	return NULL;
}

START_TEST(test_agents)
{
	struct reply r;
	json_t *a, *batch;
	int64_t before, after;

	write_config("%s", "");
	start_collector();
	get("/api/v1/agents", 200, &r);
	req(json_array_size(json_object_get(r.json, "agents")) == 2, "want both "
	    "configured agents: %s", r.body);
	req(json_is_null(json_object_get(find_agent(r.json, A1), "last_seen")),
	    "last_seen before any batch: %s", r.body);
	reply_free(&r);

	before = wall_ms();
	batch = simple_batch(1, 4, "fd-home");
	ingest(batch, &r);
	reply_free(&r);
	json_decref(batch);
	after = wall_ms();

	get("/api/v1/agents", 200, &r);
	a = find_agent(r.json, A1);
	req(jint(a, "last_seen") >= before - 1000 && jint(a, "last_seen") <= after + 1000,
	    "last_seen %lld not between %lld and %lld", (long long)jint(a, "last_seen"),
	    (long long)before, (long long)after);
	req(jint(a, "last_seq") == 4, "last_seq: %s", r.body);
	req(strcmp(json_string_value(json_object_get(a, "region")), "eu-central") == 0 &&
	    strcmp(json_string_value(json_object_get(a, "version")), "test") == 0,
	    "region/version: %s", r.body);
	req(json_is_null(json_object_get(find_agent(r.json, A2), "last_seen")),
	    "%s has not sent anything: %s", A2, r.body);
	reply_free(&r);
	stop_collector();
}
END_TEST

/* ---- check definitions for agents ---- */

/* Signed GET /api/v1/agent/checks (query q, may be "") as agent; the
 * answer's check names, sorted and comma-joined, into names. */
static void
agent_checks(const char *agent, const char *key, const char *q,
    const char *if_none_match, long want, struct reply *r, char *names,
    size_t nlen)
{
	char path[256], line[200];
	struct curl_slist *h;
	json_t *c;
	size_t i, n = 0;
	const char *v[16];

	snprintf(path, sizeof(path), "/api/v1/agent/checks%s", q);
	h = sign_now(agent, key, "GET", path, NULL, 0);
	if (if_none_match) {
		snprintf(line, sizeof(line), "If-None-Match: %s", if_none_match);
		h = curl_slist_append(h, line);
	}
	call("GET", path, h, NULL, want, r);
	curl_slist_free_all(h);
	if (names == NULL)
		return;
	names[0] = '\0';
	json_array_foreach(json_object_get(r->json, "checks"), i, c) {
		req(json_object_get(c, "regions") == NULL &&
		    json_object_get(c, "agents") == NULL, "a definition carries its "
		    "selectors: %s", r->body);
		req(json_is_string(json_object_get(c, "interval")) &&
		    json_is_string(json_object_get(c, "timeout")),
		    "a definition lacks the collector's defaults: %s", r->body);
		if (n < 16)
			v[n++] = json_string_value(json_object_get(c, "name"));
	}
	for (size_t a = 0; a < n; a++)		/* insertion sort: a few names */
		for (size_t b = a; b > 0 && strcmp(v[b - 1], v[b]) > 0; b--) {
			const char *x = v[b];
			v[b] = v[b - 1];
			v[b - 1] = x;
		}
	for (size_t a = 0; a < n; a++)
		snprintf(names + strlen(names), nlen - strlen(names), "%s%s",
		    a ? "," : "", v[a]);
}

START_TEST(test_agent_checks)
{
	struct reply r, r2;
	char names[512], etag[128];
	json_t *batch;

	write_config("\"defaults\": {\"interval\": \"45s\"},\n"
	    "  \"checks\": [\n"
	    "    {\"name\": \"c-all\", \"url\": \"https://micro.example.com/\"},\n"
	    "    {\"name\": \"c-eu\", \"url\": \"https://micro.example.com/eu\", "
	    "\"regions\": [\"eu-central\"]},\n"
	    "    {\"name\": \"c-a2\", \"url\": \"https://micro.example.com/a2\", "
	    "\"agents\": [\"%s\"]},\n"
	    "    {\"name\": \"c-us-a1\", \"url\": \"https://micro.example.com/us\", "
	    "\"regions\": [\"us-east\"], \"agents\": [\"%s\"], \"interval\": \"2m\"}\n"
	    "  ],", A2, A1);
	start_collector();

	agent_checks(A1, A1_KEY, "?region=eu-central", NULL, 200, &r, names,
	    sizeof(names));
	req(strcmp(names, "c-all,c-eu") == 0, "A1 in eu-central gets %s", names);
	req(r.etag[0] == '"' && r.etag[strlen(r.etag) - 1] == '"' && strlen(r.etag) > 2,
	    "no quoted ETag: \"%s\"", r.etag);
	snprintf(etag, sizeof(etag), "%s", r.etag);
	reply_free(&r);

	/* the same set again: 304 without a body */
	agent_checks(A1, A1_KEY, "?region=eu-central", etag, 304, &r, NULL, 0);
	req(r.len == 0, "304 with a body: %s", r.body);
	reply_free(&r);
	agent_checks(A1, A1_KEY, "?region=eu-central", "\"stale\"", 200, &r, names,
	    sizeof(names));
	req(strcmp(r.etag, etag) == 0, "the ETag changed: %s vs %s", r.etag, etag);
	reply_free(&r);

	agent_checks(A1, A1_KEY, "?region=us-east", NULL, 200, &r, names,
	    sizeof(names));
	req(strcmp(names, "c-all,c-us-a1") == 0, "A1 in us-east gets %s", names);
	req(strcmp(r.etag, etag) != 0, "another set, the same ETag");
	reply_free(&r);
	agent_checks(A2, A2_KEY, "?region=us-east", NULL, 200, &r, names,
	    sizeof(names));
	req(strcmp(names, "c-a2,c-all") == 0, "A2 in us-east gets %s", names);
	reply_free(&r);
	agent_checks(A2, A2_KEY, "?region=eu-central", NULL, 200, &r, names,
	    sizeof(names));
	req(strcmp(names, "c-a2,c-all,c-eu") == 0, "A2 in eu-central gets %s", names);
	reply_free(&r);

	/* no region asked and none known yet: only the region-free ones */
	agent_checks(A1, A1_KEY, "", NULL, 200, &r, names, sizeof(names));
	req(strcmp(names, "c-all") == 0, "A1 without a region gets %s", names);
	reply_free(&r);
	/* after a batch the collector knows A1's region (here only from the
	 * records: the batch itself does not say) */
	batch = simple_batch(1, 1, "fd-home");
	json_object_del(batch, "region");
	ingest(batch, &r);
	reply_free(&r);
	json_decref(batch);
	agent_checks(A1, A1_KEY, "", NULL, 200, &r, names, sizeof(names));
	req(strcmp(names, "c-all,c-eu") == 0, "A1 (known in eu-central) gets %s",
	    names);
	/* defaults applied: c-all inherits 45s, c-us-a1 keeps its own */
	req(strstr(r.body, "\"interval\":\"45s\"") != NULL, "defaults.interval not "
	    "applied: %s", r.body);
	reply_free(&r);
	agent_checks(A1, A1_KEY, "?region=us-east", NULL, 200, &r, NULL, 0);
	req(strstr(r.body, "\"interval\":\"2m\"") != NULL, "interval: %s", r.body);
	reply_free(&r);

	/* unsigned, badly signed, unknown agent: 401 */
	get("/api/v1/agent/checks", 401, &r);
	want_json_error(&r, "unsigned GET");
	reply_free(&r);
	agent_checks(A1, A2_KEY, "", NULL, 401, &r, NULL, 0);
	want_json_error(&r, "wrong key");
	reply_free(&r);
	agent_checks("ghost", A2_KEY, "", NULL, 401, &r2, NULL, 0);
	want_json_error(&r2, "unknown agent");
	reply_free(&r2);
	stop_collector();
}
END_TEST

/* ---- read token ---- */

START_TEST(test_read_token)
{
	static const char *const protected[] = {
		"/api/v1/status", "/api/v1/slos", "/api/v1/agents",
		"/api/v1/series?from=1h", "/metrics", "/api/v1/matrix",
		"/api/v1/results",
	};
	struct curl_slist *bearer, *wrong, *xtok;
	struct reply r;
	json_t *batch;

	write_config("\"read_token\": \"%s\",", READ_TOKEN);
	start_collector();
	bearer = curl_slist_append(NULL, "Authorization: Bearer " READ_TOKEN);
	wrong = curl_slist_append(NULL, "Authorization: Bearer " READ_TOKEN "x");
	xtok = curl_slist_append(NULL, "X-Vantage-Token: " READ_TOKEN);
	for (size_t i = 0; i < sizeof(protected) / sizeof(protected[0]); i++) {
		get(protected[i], 401, &r);
		want_json_error(&r, protected[i]);
		req(strncmp(r.www_auth, "Bearer", 6) == 0, "%s: WWW-Authenticate \"%s\"",
		    protected[i], r.www_auth);
		reply_free(&r);
		call("GET", protected[i], wrong, NULL, 401, &r);
		reply_free(&r);
		call("GET", protected[i], bearer, NULL, 200, &r);
		reply_free(&r);
	}
	call("GET", "/api/v1/status", xtok, NULL, 200, &r);
	req(json_is_array(json_object_get(r.json, "results")), "status: %s", r.body);
	reply_free(&r);
	/* the dashboard's files hold no data: no token (its API calls send it) */
	get("/", 200, &r);
	reply_free(&r);
	get("/healthz", 200, &r);
	req(strcmp(json_string_value(json_object_get(r.json, "status")), "ok") == 0,
	    "/healthz: %s", r.body);
	reply_free(&r);
	/* agents sign; they need no read token */
	batch = simple_batch(1, 2, "fd-home");
	ingest(batch, &r);
	want_ingested(&r, 1, 2, 2, 0);
	reply_free(&r);
	json_decref(batch);
	curl_slist_free_all(bearer);
	curl_slist_free_all(wrong);
	curl_slist_free_all(xtok);
	stop_collector();
}
END_TEST

/* ---- /metrics ---- */

static void
promtool_check(const char *metrics)
{
	static const char promtool[] = "/usr/bin/promtool";
	char cmd[PATH_MAX + 128], outpath[PATH_MAX + 16];
	FILE *fp;
	int rc;

	req(access(promtool, X_OK) == 0, "%s not found: install Prometheus' promtool "
	    "(Debian: apt-get install prometheus; CI does) to lint /metrics", promtool);
	snprintf(outpath, sizeof(outpath), "%s/promtool.out", T.dir);
	snprintf(cmd, sizeof(cmd), "%s check metrics >'%s' 2>&1", promtool, outpath);
	req((fp = popen(cmd, "w")) != NULL, "cannot run %s", promtool);
	fputs(metrics, fp);
	rc = pclose(fp);
	if (rc != 0) {
		char *out = spawn_read_file(outpath, NULL);

		fprintf(stderr, "---- /metrics\n%s---- promtool says\n%s", metrics,
		    out ? out : "");
		free(out);
		req(0, "promtool check metrics failed (status %d)", rc);
	}
}

static bool
suffix_is(const char *p, size_t n, const char *suffix)
{
	return n == strlen(suffix) && strncmp(p, suffix, n) == 0;
}

/* Every sample follows the TYPE line of its own family (the text format
 * wants each family in one group). */
static void
families_grouped(const char *m)
{
	char family[128] = "";

	for (const char *p = m; *p; p = strchr(p, '\n') + 1) {
		size_t n = strcspn(p, "{ \n");

		if (strncmp(p, "# TYPE ", 7) == 0)
			snprintf(family, sizeof(family), "%.*s", (int)strcspn(p + 7, " "),
			    p + 7);
		else if (*p != '#' && *p != '\n') {
			size_t fl = strlen(family);
			bool ok = n >= fl && strncmp(p, family, fl) == 0 && (n == fl ||
			    suffix_is(p + fl, n - fl, "_bucket") ||
			    suffix_is(p + fl, n - fl, "_sum") ||
			    suffix_is(p + fl, n - fl, "_count"));
			req(ok, "sample \"%.*s\" outside its family (last TYPE: %s)",
			    (int)strcspn(p, "\n"), p, family);
		}
		if (strchr(p, '\n') == NULL)
			break;
	}
}

START_TEST(test_metrics)
{
	struct reply r;
	int64_t t;
	char line[256];

	write_config("\"slos\": [{\"name\": \"fd\", \"objective\": 99.5, "
	    "\"selector\": {\"layer\": \"front_door\"}}],");
	start_collector();
	t = send_fleet();
	wait_evaluated(t, &r);
	reply_free(&r);
	get("/metrics", 200, &r);
	req(strncmp(r.ctype, "text/plain", 10) == 0, "Content-Type %s", r.ctype);
	promtool_check(r.body);
	families_grouped(r.body);
	req(strstr(r.body, "# TYPE vantage_check_results_total counter\n") != NULL,
	    "no vantage_check_results_total:\n%s", r.body);
	/* fd-api from A2 (us-east): every run counted, by outcome */
	{
		int ok = 0;
		for (int k = 0; k < FLEET_RUNS; k++)
			ok += fleet_ok(1, 1, k);
		snprintf(line, sizeof(line), "vantage_check_results_total{check=\"fd-api\","
		    "region=\"us-east\",service=\"micro\",layer=\"front_door\","
		    "result=\"ok\"} %d\n", ok);
		req(strstr(r.body, line) != NULL, "want %s in:\n%s", line, r.body);
		snprintf(line, sizeof(line), "vantage_check_results_total{check=\"fd-api\","
		    "region=\"us-east\",service=\"micro\",layer=\"front_door\","
		    "result=\"http_status\"} %d\n", FLEET_RUNS - ok);
		req(strstr(r.body, line) != NULL, "want %s in:\n%s", line, r.body);
	}
	req(strstr(r.body, "# TYPE vantage_check_duration_seconds histogram\n") != NULL,
	    "no duration histogram:\n%s", r.body);
	snprintf(line, sizeof(line), "vantage_check_duration_seconds_bucket{check="
	    "\"fd-api\",region=\"us-east\",service=\"micro\",layer=\"front_door\","
	    "le=\"+Inf\"} %d\n", FLEET_RUNS);
	req(strstr(r.body, line) != NULL, "want %s in:\n%s", line, r.body);
	req(strstr(r.body, "le=\"0.1\"") != NULL && strstr(r.body,
	    "vantage_check_duration_seconds_count{") != NULL &&
	    strstr(r.body, "vantage_check_duration_seconds_sum{") != NULL,
	    "histogram buckets, _sum or _count missing:\n%s", r.body);
	req(strstr(r.body, "vantage_slo_availability{slo=\"fd\"} ") != NULL &&
	    strstr(r.body, "vantage_slo_budget_remaining{slo=\"fd\"} ") != NULL &&
	    strstr(r.body, "vantage_slo_burn_rate{slo=\"fd\",window=\"5m\"} ") != NULL &&
	    strstr(r.body, "vantage_slo_burn_rate{slo=\"fd\",window=\"1h\"} ") != NULL,
	    "SLO gauges missing:\n%s", r.body);
	{
		struct expect fd = fleet_expect("front_door", NULL, NULL, 0);
		const char *v = strstr(r.body, "vantage_slo_availability{slo=\"fd\"} ");
		double got = strtod(v + strlen("vantage_slo_availability{slo=\"fd\"} "),
		    NULL);

		req(fabs(got - (double)fd.good / (double)fd.total) < 1e-8,
		    "vantage_slo_availability %g, want %g", got,
		    (double)fd.good / (double)fd.total);
	}
	reply_free(&r);
	stop_collector();
}
END_TEST

/* ---- TLS ---- */

START_TEST(test_tls)
{
	struct certgen_set cs;
	struct reply r;
	json_t *batch;
	char err[256], ca[PATH_MAX];

	req(certgen_make(T.dir, &cs, err, sizeof(err)) == 0, "certgen: %s", err);
	write_config("\"tls\": {\"cert\": \"%s\", \"key\": \"%s\"},",
	    cs.pair[CERTGEN_VALID].cert, cs.pair[CERTGEN_VALID].key);
	start_collector();
	snprintf(T.ca_file, sizeof(T.ca_file), "%s", cs.ca_file);
	get("/healthz", 200, &r);
	req(json_is_object(r.json), "/healthz over HTTPS: %s", r.body);
	reply_free(&r);
	batch = simple_batch(1, 3, "fd-home");
	ingest(batch, &r);
	want_ingested(&r, 1, 3, 3, 0);
	reply_free(&r);
	json_decref(batch);

	/* verification is real: without the CA the handshake fails */
	fprintf(stderr, "test_tls: the next two transport errors are expected\n");
	snprintf(ca, sizeof(ca), "%s", T.ca_file);
	snprintf(T.ca_file, sizeof(T.ca_file), "%s", cs.pair[CERTGEN_SELF_SIGNED].cert);
	req(http_send("GET", "/healthz", NULL, NULL, 0, SEND_BUFFER, &r) < 0,
	    "HTTPS verified against the wrong CA");
	/* and plain HTTP on the TLS port gets no answer */
	T.ca_file[0] = '\0';
	if (http_send("GET", "/healthz", NULL, NULL, 0, SEND_BUFFER, &r) == 0) {
		req(r.status != 200, "plain HTTP answered 200 on the TLS port");
		reply_free(&r);
	}
	snprintf(T.ca_file, sizeof(T.ca_file), "%s", ca);
	get("/api/v1/status", 200, &r);
	reply_free(&r);
	stop_collector();
}
END_TEST

/* ---- --check-config ---- */

/* Does text have a line "file:LINE:COL: key: ..." (line 0: any line)? */
static bool
has_error(const char *text, const char *file, int line, const char *key)
{
	size_t flen = strlen(file), klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char *end;
		long l, c;

		if (strncmp(p, file, flen) != 0 || p[flen] != ':')
			continue;
		l = strtol(p + flen + 1, &end, 10);
		if (*end != ':' || l < 1 || (line && l != line))
			continue;
		c = strtol(end + 1, &end, 10);
		if (*end != ':' || c < 1 || end[1] != ' ')
			continue;
		if (strncmp(end + 2, key, klen) == 0 && strncmp(end + 2 + klen, ": ", 2) == 0
		    && end[2 + klen + 2] != '\n' && end[2 + klen + 2] != '\0')
			return true;
	}
	return false;
}

START_TEST(test_check_config_good)
{
	char *out;

	write_config("\"checks\": [{\"name\": \"c\", \"url\": \"https://x.example/\", "
	    "\"regions\": [\"eu\"]}],\n"
	    "  \"slos\": [{\"name\": \"s\", \"objective\": 99.9, \"sli\": \"latency\", "
	    "\"threshold\": \"300ms\", \"selector\": {\"check\": \"c\"}}],\n"
	    "  \"retention\": {\"raw\": \"2d\", \"minute\": \"4d\"},\n"
	    "  \"read_token\": \"%s\", \"max_body\": 1048576,", READ_TOKEN);
	req(run_check_config(T.conf) == 0, "exit %d for a good config",
	    spawn_exit_code(&T.proc));
	out = spawn_read_file(T.proc.out_path, NULL);
	req(out && strstr(out, "OK") != NULL, "no OK summary: %s", out ? out : "");
	free(out);
	req(access(T.db, F_OK) != 0, "--check-config created the DB");
}
END_TEST

START_TEST(test_check_config_errors)
{
	char *text, *errs;

	/* lines 4 and 6 hold the two bad values */
	text = fmt("{\n"
	    "  \"db\": \"%s\",\n"
	    "  \"agents\": [\n"
	    "    {\"id\": \"a1\", \"key\": \"short\"}\n"
	    "  ],\n"
	    "  \"slos\": [{\"name\": \"s\", \"objective\": 120, \"selector\": {}}]\n"
	    "}\n", T.db);
	req(spawn_write_file(T.conf, text) == 0, "write");
	free(text);
	req(run_check_config(T.conf) == 2, "exit %d for a bad config, want 2",
	    spawn_exit_code(&T.proc));
	errs = spawn_read_file(T.proc.err_path, NULL);
	req(errs != NULL, "no stderr");
	if (!has_error(errs, T.conf, 4, "agents[0].key") ||
	    !has_error(errs, T.conf, 6, "slos[0].objective")) {
		fprintf(stderr, "---- stderr\n%s", errs);
		free(errs);
		req(0, "want both errors as file:line:col: key: message (lines 4, 6)");
	}
	free(errs);

	/* an unknown top-level key */
	write_config("\"colour\": \"red\",");
	req(run_check_config(T.conf) == 2, "exit %d for an unknown key, want 2",
	    spawn_exit_code(&T.proc));
	errs = spawn_read_file(T.proc.err_path, NULL);
	req(errs != NULL, "no stderr");
	if (!has_error(errs, T.conf, 2, "colour") || strstr(errs, "unknown key") == NULL) {
		fprintf(stderr, "---- stderr\n%s", errs);
		free(errs);
		req(0, "want colour reported as an unknown key on line 2");
	}
	free(errs);

	/* a bad flag is bad usage too */
	run_collector(T.conf, "--evaluate-every", "1ms", (char *)NULL);
	req(spawn_wait(&T.proc, RUN_BOUND_MS) == 0 && spawn_exit_code(&T.proc) == 2,
	    "--evaluate-every 1ms: exit %d, want 2", spawn_exit_code(&T.proc));
}
END_TEST

/* ---- restart ---- */

START_TEST(test_restart)
{
	struct reply r;
	json_t *batch;
	int64_t objects;
	char *marker;

	write_config("%s", "");
	start_collector();
	batch = simple_batch(1, 6, "fd-home");
	ingest(batch, &r);
	want_ingested(&r, 1, 6, 6, 0);
	reply_free(&r);
	stop_collector();

	req(db_int("PRAGMA user_version") == (int64_t)collector_migrations_count,
	    "user_version %lld after the first run, want %zu",
	    (long long)db_int("PRAGMA user_version"), collector_migrations_count);
	req(db_rows() == 6, "%lld rows after stopping", (long long)db_rows());
	objects = db_int("SELECT count(*) FROM sqlite_master");
	/* a row the collector does not know: gone if the schema were re-created */
	db_exec("INSERT INTO meta (key, value) VALUES ('it-marker', 'still here')");

	start_collector();
	req(db_rows() == 6, "%lld rows after the restart", (long long)db_rows());
	ingest(batch, &r);		/* a replay across the restart */
	want_ingested(&r, 1, 6, 0, 6);
	reply_free(&r);
	json_decref(batch);
	batch = simple_batch(7, 2, "fd-home");
	ingest(batch, &r);
	want_ingested(&r, 7, 8, 2, 0);
	reply_free(&r);
	json_decref(batch);
	get("/api/v1/agents", 200, &r);
	req(jint(find_agent(r.json, A1), "last_seq") == 8, "last_seq: %s", r.body);
	reply_free(&r);
	stop_collector();

	req(db_rows() == 8, "%lld rows, want 8", (long long)db_rows());
	req(db_int("PRAGMA user_version") == (int64_t)collector_migrations_count,
	    "user_version %lld after a restart", (long long)db_int("PRAGMA user_version"));
	req(db_int("SELECT count(*) FROM sqlite_master") == objects,
	    "the schema changed on restart");
	marker = db_text("SELECT value FROM meta WHERE key = 'it-marker'");
	req(strcmp(marker, "still here") == 0, "the marker row is gone: the schema "
	    "was re-created");
	free(marker);
}
END_TEST


/* ---- lifecycle: reload and stop ---- */

#define RELOAD_BATCHES	40	/* batches sent across a reload */
#define RELOAD_SIZE	25	/* results in each */

struct sender {
	long	 status[RELOAD_BATCHES];
	int64_t	 stored[RELOAD_BATCHES];
};

/* Send RELOAD_BATCHES batches of new results as A1, one after the other,
 * recording each answer (no assertions off the main thread). */
static void *
send_batches(void *arg)
{
	struct sender *sd = arg;

	for (int b = 0; b < RELOAD_BATCHES; b++) {
		json_t *batch = simple_batch(1000 + (json_int_t)b * RELOAD_SIZE,
		    RELOAD_SIZE, "fd-home");
		char *body = json_dumps(batch, JSON_COMPACT);
		struct curl_slist *h = sign_now(A1, A1_KEY, "POST", "/api/v1/ingest",
		    body, strlen(body));
		struct reply r;

		if (http_send("POST", "/api/v1/ingest", h, body, strlen(body),
		    SEND_BUFFER, &r) == 0) {
			sd->status[b] = r.status;
			sd->stored[b] = json_integer_value(json_object_get(r.json, "stored"));
		}
		reply_free(&r);
		curl_slist_free_all(h);
		free(body);
		json_decref(batch);
		sleep_ms(20);
	}
	return NULL;
}

/* The total of SLO name in the newest evaluation after t. */
static int64_t
slo_total_after(const char *name, int64_t t)
{
	struct reply r;
	json_t *o;
	int64_t total;

	wait_evaluated(t, &r);
	o = find_slo(json_object_get(r.json, "slos"), name);
	req(o != NULL, "no SLO %s in %s", name, r.body);
	total = jint(o, "total");
	reply_free(&r);
	return total;
}

/* SIGHUP while batches arrive: none is refused or lost, the new SLO,
 * check and agent take effect, the counts stay exact; then a config with
 * an error, and one that moves the listener, are refused and the running
 * config stays. */
START_TEST(test_reload)
{
	const char *slo1 = "\"slos\": [{\"name\": \"all\", \"objective\": 99, "
	    "\"selector\": {}}],";
	struct sender sd;
	struct reply r;
	pthread_t th;
	char etag1[128], *log, *bad;
	int64_t sent = 0, t0;
	json_t *batch;

	memset(&sd, 0, sizeof(sd));
	write_config("%s \"checks\": [{\"name\": \"c1\", \"url\": "
	    "\"https://a.example/\"}],", slo1);
	start_collector();
	batch = simple_batch(1, 10, "fd-home");
	ingest(batch, &r);
	want_ingested(&r, 1, 10, 10, 0);
	reply_free(&r);
	json_decref(batch);
	sent = 10;
	req(slo_total_after("all", wall_ms()) == sent, "before the reload");
	{
		char *body = NULL;
		struct curl_slist *h = sign_now(A1, A1_KEY, "GET",
		    "/api/v1/agent/checks", "", 0);

		call("GET", "/api/v1/agent/checks", h, body, 200, &r);
		snprintf(etag1, sizeof(etag1), "%s", r.etag);
		curl_slist_free_all(h);
		reply_free(&r);
	}

	/* the new config: a second SLO, a second check, a third agent */
	req(pthread_create(&th, NULL, send_batches, &sd) == 0, "pthread_create");
	sleep_ms(200);
	{
		char *text = fmt("{\n  \"listen\": \"127.0.0.1:0\",\n  \"db\": \"%s\",\n"
		    "  \"agents\": [{\"id\": \"%s\", \"key\": \"%s\"}, {\"id\": \"%s\", "
		    "\"key\": \"%s\"}, {\"id\": \"it-a3\", \"key\": "
		    "\"a3-key-00112233445566\"}],\n"
		    "  \"checks\": [{\"name\": \"c1\", \"url\": \"https://a.example/\"}, "
		    "{\"name\": \"c2\", \"url\": \"https://b.example/\"}],\n"
		    "  \"slos\": [{\"name\": \"all\", \"objective\": 99, \"selector\": {}}, "
		    "{\"name\": \"fast\", \"objective\": 90, \"sli\": \"latency\", "
		    "\"threshold\": \"150ms\", \"selector\": {\"check\": \"fd-home\"}}]\n}\n",
		    T.db, A1, A1_KEY, A2, A2_KEY);

		req(spawn_write_file(T.conf, text) == 0, "cannot write %s", T.conf);
		free(text);
	}
	req(spawn_signal(&T.proc, SIGHUP) == 0, "SIGHUP");
	req(pthread_join(th, NULL) == 0, "pthread_join");
	for (int b = 0; b < RELOAD_BATCHES; b++) {
		req(sd.status[b] == 200, "batch %d across the reload: status %ld", b,
		    sd.status[b]);
		req(sd.stored[b] == RELOAD_SIZE, "batch %d stored %lld of %d", b,
		    (long long)sd.stored[b], RELOAD_SIZE);
		sent += RELOAD_SIZE;
	}
	/* the new SLO is evaluated, over every result sent, and exactly */
	t0 = wall_ms();
	req(slo_total_after("all", t0) == sent, "all: not every result counted");
	{
		int64_t good = 0;
		struct reply q;
		json_t *o;

		/* simple_batch: total_us 100000 + seq, so runs with seq <=
		 * 50000 are within 150 ms: every one of them */
		wait_evaluated(t0, &q);
		o = find_slo(json_object_get(q.json, "slos"), "fast");
		req(o != NULL, "the reloaded SLO is missing: %s", q.body);
		good = jint(o, "good");
		req(jint(o, "total") == sent && good == sent, "fast: %lld/%lld of %lld",
		    (long long)good, (long long)jint(o, "total"), (long long)sent);
		reply_free(&q);
	}
	/* agents see the new check set */
	{
		struct curl_slist *h = sign_now(A1, A1_KEY, "GET",
		    "/api/v1/agent/checks", "", 0);

		call("GET", "/api/v1/agent/checks", h, NULL, 200, &r);
		req(strcmp(r.etag, etag1) != 0, "the ETag did not change");
		req(json_array_size(json_object_get(r.json, "checks")) == 2,
		    "checks after the reload: %s", r.body);
		curl_slist_free_all(h);
		reply_free(&r);
	}
	/* the new agent's key works */
	batch = mk_batch("it-a3", "ap-south", json_pack("[o]", mk_result("it-a3",
	    "ap-south", 1, wall_ms() - 1000, "fd-home", "front_door", "cloudflare",
	    true, 1000)));
	ingest_as("it-a3", "a3-key-00112233445566", batch, 200, &r);
	reply_free(&r);
	json_decref(batch);
	sent++;

	/* a config with an error is refused, with file:line:column, and the
	 * running one stays */
	bad = fmt("{\n  \"listen\": \"127.0.0.1:0\",\n  \"db\": \"%s\",\n"
	    "  \"agents\": [{\"id\": \"%s\", \"key\": \"%s\"}],\n"
	    "  \"slos\": [{\"name\": \"x\", \"objective\": 99, \"selector\": {},\n"
	    "    \"colour\": \"red\"}]\n}\n", T.db, A1, A1_KEY);
	req(spawn_write_file(T.conf, bad) == 0, "cannot write %s", T.conf);
	free(bad);
	req(spawn_signal(&T.proc, SIGHUP) == 0, "SIGHUP");
	sleep_ms(1500);
	req(spawn_running(&T.proc), "a bad reload stopped the collector");
	log = spawn_read_file(T.proc.err_path, NULL);
	req(log && strstr(log, "reload: ") && strstr(log, "the running config stays"),
	    "no reload error in the log");
	req(strstr(log, ":5:") != NULL && strstr(log, "colour") != NULL,
	    "the reload error does not point at line 5 and the key: %s", log);
	free(log);
	/* the refused config has no it-a3: the running one still does */
	batch = mk_batch("it-a3", "ap-south", json_pack("[o]", mk_result("it-a3",
	    "ap-south", 2, wall_ms() - 1000, "fd-home", "front_door", "cloudflare",
	    true, 1000)));
	ingest_as("it-a3", "a3-key-00112233445566", batch, 200, &r);
	reply_free(&r);
	json_decref(batch);
	sent++;
	t0 = wall_ms();
	req(slo_total_after("fast", t0) == sent, "the SLOs changed after a refused "
	    "reload");

	/* a new listen address needs a restart: refused too */
	write_config("%s \"read_token\": \"x0x0x0x0x0x0x0\",", slo1);
	{
		char *text = spawn_read_file(T.conf, NULL);
		char *moved = fmt("%s", text);
		char *p = strstr(moved, "127.0.0.1:0");

		req(p != NULL, "no listen in the config");
		memcpy(p, "127.0.0.2:0", 11);
		req(spawn_write_file(T.conf, moved) == 0, "cannot write");
		free(text);
		free(moved);
	}
	req(spawn_signal(&T.proc, SIGHUP) == 0, "SIGHUP");
	sleep_ms(1500);
	log = spawn_read_file(T.proc.err_path, NULL);
	req(log && strstr(log, "\"listen\" changed, which needs a restart"),
	    "a moved listener was not refused");
	free(log);
	get("/api/v1/slos", 200, &r);	/* no read token: the old config runs */
	reply_free(&r);
	stop_collector();
}
END_TEST

/* SIGTERM while the first (cold) evaluation reads a big DB: the collector
 * exits within 2 s, and the DB is sound. */
START_TEST(test_stop_mid_evaluation)
{
	struct store_bulk *b;
	struct store *st;
	char err[256];
	int64_t day = 86400000, now = wall_ms(), t0, took;
	char *log;
	int series = 20000;

	write_config("\"slos\": [{\"name\": \"all\", \"objective\": 99, "
	    "\"window\": \"30d\", \"selector\": {}}],");
	/* many series with a month of day rows: a long cold evaluation */
	req((st = store_open(T.db, 1, err, sizeof(err))) != NULL, "%s", err);
	store_close(st);
	req((b = store_bulk_open(T.db, err, sizeof(err))) != NULL, "%s", err);
	for (int i = 0; i < series; i++) {
		struct store_series s;
		struct rollup_row row;
		char check[32];
		int64_t id;

		memset(&s, 0, sizeof(s));
		snprintf(check, sizeof(check), "c%05d", i);
		s.check = check;
		s.agent = A1;
		s.region = "eu-central";
		s.created_at = now - 31 * day;
		req(store_bulk_series(b, &s, &id, err, sizeof(err)) == 0, "%s", err);
		memset(&row, 0, sizeof(row));
		row.series = id;
		for (int d = 1; d <= 28; d++) {
			row.tier = STORE_1D;
			row.bucket = now - now % day - d * day;
			row.total = row.good = 100;
			req(store_bulk_rollup(b, &row, err, sizeof(err)) == 0, "%s", err);
		}
	}
	req(store_bulk_close(b, err, sizeof(err)) == 0, "%s", err);
	write_config("\"slos\": [{\"name\": \"all\", \"objective\": 99, "
	    "\"window\": \"30d\", \"selector\": {}}],");
	run_collector(T.conf, "--evaluate-every", "15s", "--log-level", "debug",
	    (char *)NULL);
	/* the first (cold) evaluation starts at once and takes a while here:
	 * stop it once it has begun */
	for (int i = 0; i < 3000; i++) {
		log = spawn_read_file(T.proc.err_path, NULL);
		if (log && strstr(log, "SLO engine: evaluating")) {
			free(log);
			break;
		}
		free(log);
		req(spawn_running(&T.proc), "the collector died");
		sleep_ms(10);
	}
	t0 = spawn_now_us();
	req(spawn_signal(&T.proc, SIGTERM) == 0, "SIGTERM");
	req(spawn_wait(&T.proc, 10000) == 0, "the collector did not stop");
	took = (spawn_now_us() - t0) / 1000;
	req(spawn_exit_code(&T.proc) == 0, "exit %d", spawn_exit_code(&T.proc));
	req(took <= 2000, "stopping took %lld ms mid-evaluation", (long long)took);
	log = spawn_read_file(T.proc.err_path, NULL);
	req(log != NULL, "no log");
	/* it was stopped in the middle: no evaluation finished */
	req(strstr(log, "SLO engine: cold evaluation of") == NULL,
	    "the evaluation finished before SIGTERM (make the DB bigger): %s", log);
	free(log);
	req((st = store_open(T.db, 1, err, sizeof(err))) != NULL, "%s", err);
	req(store_quick_check(st, err, sizeof(err)) == 0, "after the stop: %s", err);
	store_close(st);
}
END_TEST

static Suite *
collector_suite(void)
{
	Suite *s = suite_create("collector");
	TCase *in = tcase_create("ingest");
	TCase *api = tcase_create("api");
	TCase *ops = tcase_create("operations");
	TCase *life = tcase_create("lifecycle");

	tcase_add_checked_fixture(in, setup, teardown);
	tcase_set_timeout(in, 60);
	tcase_add_test(in, test_ingest_valid);
	tcase_add_test(in, test_ingest_replay);
	tcase_add_test(in, test_ingest_partial_reject);
	tcase_add_test(in, test_ingest_auth_refused);
	tcase_add_test(in, test_ingest_malformed);
	tcase_add_test(in, test_ingest_too_large);
	suite_add_tcase(s, in);

	tcase_add_checked_fixture(api, setup, teardown);
	tcase_set_timeout(api, 60);
	tcase_add_test(api, test_slo_numbers);
	tcase_add_test(api, test_series);
	tcase_add_test(api, test_agents);
	tcase_add_test(api, test_agent_checks);
	tcase_add_test(api, test_read_token);
	tcase_add_test(api, test_metrics);
	suite_add_tcase(s, api);

	tcase_add_checked_fixture(ops, setup, teardown);
	tcase_set_timeout(ops, 60);
	tcase_add_test(ops, test_tls);
	tcase_add_test(ops, test_check_config_good);
	tcase_add_test(ops, test_check_config_errors);
	tcase_add_test(ops, test_restart);
	suite_add_tcase(s, ops);

	tcase_add_checked_fixture(life, setup, teardown);
	tcase_set_timeout(life, 120);
	tcase_add_test(life, test_reload);
	tcase_add_test(life, test_stop_mid_evaluation);
	suite_add_tcase(s, life);
	return s;
}

int
main(void)
{
	static const char *const proxies[] = {
		"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
		"all_proxy", "ALL_PROXY", NULL
	};
	SRunner *sr;
	int failed;

	/* everything goes to 127.0.0.1: never via a proxy */
	for (int i = 0; proxies[i]; i++)
		unsetenv(proxies[i]);
	setenv("NO_PROXY", "*", 1);
	setenv("no_proxy", "*", 1);
	signal(SIGPIPE, SIG_IGN);
	if (access(collector_path(), X_OK) != 0) {
		fprintf(stderr, "test_collector: collector binary %s: %s (set "
		    "VANTAGE_COLLECTOR)\n", collector_path(), strerror(errno));
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sr = srunner_create(collector_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}
