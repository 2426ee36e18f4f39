/* test_agent: vantage-agent end to end. The real binary probes fixture
 * servers on 127.0.0.1; configs, DBs and logs live in a temp dir per test. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include "certgen.h"
#include "fixture.h"
#include "sched.h"
#include "spawn.h"

#define AGENT_ID	"it-agent"
#define RUN_BOUND_MS	20000	/* a --once or --check-config run, at most */
#define READY_MS	10000	/* port file written, at most */
#define POLL_MS		5000	/* a metric shows up, at most */

/* One test's state. Each test runs in its own forked process (CK_FORK),
 * set up and torn down by the checked fixture below. */
static struct {
	char		 dir[PATH_MAX / 2];
	char		 db[PATH_MAX];
	char		 conf[PATH_MAX];
	char		 portfile[PATH_MAX];
	struct fixture	*fx;		/* plain HTTP fixture */
	struct spawn	 proc;		/* the agent started last */
	json_t		*results;	/* stdout lines of the last --once */
	int		 nruns;
} T;

/* On failure: show what the agent said, and never leave it running. */
static void
fail_cleanup(void)
{
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
	char err[256];

	memset(&T, 0, sizeof(T));
	snprintf(T.dir, sizeof(T.dir), "%s/vantage-it.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	ck_assert_msg(mkdtemp(T.dir) != NULL, "mkdtemp %s: %s", T.dir, strerror(errno));
	snprintf(T.db, sizeof(T.db), "%s/agent.db", T.dir);
	snprintf(T.conf, sizeof(T.conf), "%s/agent.json", T.dir);
	snprintf(T.portfile, sizeof(T.portfile), "%s/agent.port", T.dir);
	T.fx = fixture_start(NULL, NULL, err, sizeof(err));
	ck_assert_msg(T.fx != NULL, "fixture: %s", err);
}

static void
teardown(void)
{
	spawn_kill(&T.proc);
	fixture_stop(T.fx);
	T.fx = NULL;
	json_decref(T.results);
	T.results = NULL;
	if (getenv("VANTAGE_KEEP_TMP") == NULL)
		nftw(T.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else
		fprintf(stderr, "kept %s\n", T.dir);
}

static unsigned
port(void)
{
	return fixture_port(T.fx);
}

static char *
vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;

	ck_assert_msg(vasprintf(&s, fmt, ap) >= 0, "out of memory");
	return s;
}

static char *fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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

/* Write T.conf: agent id and T.db (plus agent_extra, e.g. a "listen"
 * member), and checks as the checks[] array. */
static void
write_config_text(const char *agent_extra, const char *checks)
{
	char *text;

	text = fmt("{\n  \"agent\": {\"id\": \"%s\", \"db\": \"%s\"%s},\n"
	    "  \"checks\": %s\n}\n", AGENT_ID, T.db, agent_extra ? agent_extra : "",
	    checks);
	ck_assert_msg(spawn_write_file(T.conf, text) == 0, "cannot write %s", T.conf);
	free(text);
}

static void write_config(const char *agent_extra, const char *checks_fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Same, the checks[] array made from checks_fmt. */
static void
write_config(const char *agent_extra, const char *checks_fmt, ...)
{
	va_list ap;
	char *checks;

	va_start(ap, checks_fmt);
	checks = vfmt(checks_fmt, ap);
	va_end(ap);
	write_config_text(agent_extra, checks);
	free(checks);
}

/* ---- running the agent ---- */

/* Start the agent with extra (NULL-terminated) arguments after -c T.conf. */
static void
start_agent(const char *conf, ...)
{
	char *argv[16], tag[32];
	int n = 0;
	va_list ap;
	const char *a;

	argv[n++] = (char *)(uintptr_t)spawn_agent_path();
	argv[n++] = (char *)"-c";
	argv[n++] = (char *)(uintptr_t)conf;
	va_start(ap, conf);
	while ((a = va_arg(ap, const char *)) != NULL && n < 15)
		argv[n++] = (char *)(uintptr_t)a;
	va_end(ap);
	argv[n] = NULL;
	snprintf(tag, sizeof(tag), "agent-%d", ++T.nruns);
	req(spawn_start(&T.proc, T.dir, tag, argv) == 0, "cannot start %s", argv[0]);
}

static void
parse_results(void)
{
	char *out = spawn_read_file(T.proc.out_path, NULL), *line, *nl;

	json_decref(T.results);
	T.results = json_array();
	req(out != NULL, "cannot read %s", T.proc.out_path);
	for (line = out; *line; line = nl + 1) {
		json_error_t je;
		json_t *o;

		nl = strchr(line, '\n');
		req(nl != NULL, "stdout does not end in a newline");
		*nl = '\0';
		o = json_loads(line, 0, &je);
		req(json_is_object(o), "stdout line is not a JSON object (%s): %s",
		    je.text, line);
		json_array_append_new(T.results, o);
	}
	free(out);
}

/* Run --once with T.conf; returns the exit code, results in T.results. */
static int
run_once(void)
{
	start_agent(T.conf, "--once", (char *)NULL);
	req(spawn_wait(&T.proc, RUN_BOUND_MS) == 0, "--once did not finish in %d ms",
	    RUN_BOUND_MS);
	parse_results();
	return spawn_exit_code(&T.proc);
}

/* Run --check-config on file; returns the exit code. */
static int
run_check_config(const char *file)
{
	start_agent(file, "--check-config", (char *)NULL);
	req(spawn_wait(&T.proc, RUN_BOUND_MS) == 0, "--check-config hung");
	return spawn_exit_code(&T.proc);
}

/* Start the agent as a daemon (T.conf needs agent.listen 127.0.0.1:0);
 * returns its HTTP port once the port file says so. */
static unsigned
start_daemon(void)
{
	unsigned p;

	unlink(T.portfile);
	start_agent(T.conf, "--portfile", T.portfile, (char *)NULL);
	p = spawn_wait_portfile(&T.proc, T.portfile, READY_MS);
	req(p != 0, "the agent did not write its port file");
	return p;
}

/* SIGTERM the daemon; it must exit 0 within bound_ms. */
static void
stop_daemon(int bound_ms)
{
	req(spawn_signal(&T.proc, SIGTERM) == 0, "cannot signal the agent");
	req(spawn_wait(&T.proc, bound_ms) == 0, "the agent did not stop within %d ms",
	    bound_ms);
	req(spawn_exit_code(&T.proc) == 0, "the agent exited with %d after SIGTERM",
	    spawn_exit_code(&T.proc));
}

static char *
http_get(unsigned p, const char *path, long want_status)
{
	long status;
	char *body;

	req(spawn_http_get(p, path, &status, &body) == 0, "GET %s failed", path);
	req(status == want_status, "GET %s: status %ld, want %ld; body: %s", path,
	    status, want_status, body);
	return body;
}

/* Poll /metrics (every 20 ms, at most POLL_MS) until it contains needle;
 * returns that /metrics text (caller frees). */
static char *
wait_metrics(unsigned p, const char *needle)
{
	int64_t deadline = spawn_now_us() + (int64_t)POLL_MS * 1000;
	char *body;

	for (;;) {
		body = http_get(p, "/metrics", 200);
		if (strstr(body, needle) != NULL)
			return body;
		if (spawn_now_us() >= deadline)
			break;
		free(body);
		usleep(20000);
		req(spawn_running(&T.proc), "the agent died while we waited for %s",
		    needle);
	}
	fprintf(stderr, "---- last /metrics\n%s", body);
	free(body);
	req(0, "/metrics did not show \"%s\" within %d ms", needle, POLL_MS);
	return NULL;
}

/* ---- results ---- */

static json_t *
result(const char *check)
{
	size_t i;
	json_t *r;

	json_array_foreach(T.results, i, r) {
		const char *name = json_string_value(json_object_get(r, "check"));
		if (name && strcmp(name, check) == 0)
			return r;
	}
	req(0, "no result for check \"%s\" (%zu results)", check,
	    json_array_size(T.results));
	return NULL;
}

static json_int_t
jint(json_t *r, const char *key)
{
	json_t *v = json_object_get(r, key);

	req(json_is_integer(v), "result field %s is not an integer", key);
	return json_integer_value(v);
}

static const char *
jstr(json_t *r, const char *key)
{
	const char *s = json_string_value(json_object_get(r, key));

	return s ? s : "(null)";
}

/* The check passed; returns its result. */
static json_t *
want_ok(const char *check)
{
	json_t *r = result(check);

	req(json_is_true(json_object_get(r, "ok")), "check %s failed: %s: %s",
	    check, jstr(r, "error_class"), jstr(r, "error"));
	req(json_is_null(json_object_get(r, "error_class")) &&
	    json_is_null(json_object_get(r, "error")),
	    "check %s passed but has an error_class", check);
	return r;
}

/* The check failed with class cls; returns its result. */
static json_t *
want_class(const char *check, const char *cls)
{
	json_t *r = result(check);

	req(json_is_false(json_object_get(r, "ok")), "check %s passed, want %s",
	    check, cls);
	req(strcmp(jstr(r, "error_class"), cls) == 0, "check %s: class %s, want %s "
	    "(error: %s)", check, jstr(r, "error_class"), cls, jstr(r, "error"));
	req(*jstr(r, "error") != '\0', "check %s: empty error message", check);
	return r;
}

/* ---- the agent DB ---- */

static int64_t
db_int(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	req(sqlite3_open_v2(T.db, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK,
	    "cannot open %s: %s", T.db, db ? sqlite3_errmsg(db) : "?");
	req(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
	    sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Every stored result body, in seq order (caller json_decref's). */
static json_t *
db_results(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	json_t *a = json_array();

	req(sqlite3_open_v2(T.db, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK,
	    "cannot open %s", T.db);
	req(sqlite3_prepare_v2(db, "SELECT seq, body FROM results ORDER BY seq", -1,
	    &st, NULL) == SQLITE_OK, "select: %s", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);

		req(json_is_object(o), "row %lld: body is not JSON",
		    (long long)sqlite3_column_int64(st, 0));
		req(json_integer_value(json_object_get(o, "seq")) ==
		    sqlite3_column_int64(st, 0), "row seq and body seq differ");
		json_array_append_new(a, o);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return a;
}

/* ---- probe tests (--once) ---- */

START_TEST(test_ok_json_health)
{
	json_t *r;
	json_int_t seq;

	write_config(NULL, "[{\"name\": \"health\", \"service\": \"micro\", "
	    "\"layer\": \"central\", \"url\": \"http://127.0.0.1:%u/healthz\", "
	    "\"expect\": {\"status\": 200, \"json\": {\"status\": \"ok\", "
	    "\"checks.db\": \"up\"}}}]", port());
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	req(json_array_size(T.results) == 1, "want 1 result line, got %zu",
	    json_array_size(T.results));
	r = want_ok("health");
	req(jint(r, "status") == 200, "status %lld", (long long)jint(r, "status"));
	req(strcmp(jstr(r, "agent"), AGENT_ID) == 0, "agent %s", jstr(r, "agent"));
	req(strcmp(jstr(r, "layer"), "central") == 0, "layer %s", jstr(r, "layer"));
	req(strcmp(jstr(r, "ip"), "127.0.0.1") == 0, "ip %s", jstr(r, "ip"));
	req(jint(r, "total_us") > 0, "total_us %lld", (long long)jint(r, "total_us"));
	req(jint(r, "connect_us") > 0, "connect_us %lld",
	    (long long)jint(r, "connect_us"));
	req(jint(r, "total_us") >= jint(r, "connect_us"), "total < connect");
	req(jint(r, "tls_us") == 0, "tls_us %lld on plain HTTP",
	    (long long)jint(r, "tls_us"));
	req(jint(r, "attempts") == 1, "attempts %lld", (long long)jint(r, "attempts"));
	req(jint(r, "ts") > 1600000000000LL, "ts %lld is not Unix ms",
	    (long long)jint(r, "ts"));
	req(json_is_null(json_object_get(r, "cert_not_after")), "cert_not_after on http");
	seq = jint(r, "seq");
	req(seq == 1, "seq %lld, want 1 on a new DB", (long long)seq);
	req(db_int("SELECT count(*) FROM results") == 1, "DB rows: %lld",
	    (long long)db_int("SELECT count(*) FROM results"));
	req(db_int("SELECT seq FROM results WHERE check_name = 'health' AND ok = 1") ==
	    seq, "the DB row does not carry seq %lld", (long long)seq);
}
END_TEST

START_TEST(test_json_mismatch)
{
	write_config(NULL, "[{\"name\": \"db-down\", \"url\": "
	    "\"http://127.0.0.1:%u/healthz\", \"expect\": {\"json\": "
	    "{\"checks.db\": \"down\"}}}]", port());
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	want_class("db-down", "body");
}
END_TEST

START_TEST(test_status_500_retries)
{
	json_t *r;

	write_config(NULL, "[{\"name\": \"err\", \"url\": \"http://127.0.0.1:%u/status/500\", "
	    "\"retries\": 2, \"retry_delay\": \"10ms\"}]", port());
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	r = want_class("err", "http_status");
	req(jint(r, "status") == 500, "status %lld", (long long)jint(r, "status"));
	req(jint(r, "attempts") == 3, "attempts %lld, want 3",
	    (long long)jint(r, "attempts"));
	req(fixture_hits(T.fx, "/status/500") == 3, "the server saw %lld requests",
	    (long long)fixture_hits(T.fx, "/status/500"));
	req(db_int("SELECT count(*) FROM results") == 1, "one result per run, "
	    "not per attempt");
}
END_TEST

START_TEST(test_slow_latency_and_timeout)
{
	json_t *r;

	write_config(NULL, "[{\"name\": \"too-slow\", \"url\": "
	    "\"http://127.0.0.1:%u/slow?ms=400\", \"expect\": {\"max_latency\": \"100ms\"}},"
	    " {\"name\": \"timed-out\", \"url\": \"http://127.0.0.1:%u/slow?ms=800\", "
	    "\"timeout\": \"200ms\"}]", port(), port());
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	r = want_class("too-slow", "assertion");
	req(jint(r, "status") == 200, "status %lld", (long long)jint(r, "status"));
	req(jint(r, "total_us") >= 400000, "total_us %lld < 400 ms",
	    (long long)jint(r, "total_us"));
	r = want_class("timed-out", "timeout");
	req(jint(r, "total_us") >= 190000 && jint(r, "total_us") < 800000,
	    "total_us %lld for a 200 ms timeout", (long long)jint(r, "total_us"));
}
END_TEST

START_TEST(test_blackhole_timeout)
{
	unsigned bh_port;
	int fd = fixture_blackhole(&bh_port);
	int64_t ran_us;
	json_t *r;

	req(fd >= 0, "cannot make the black hole listener");
	write_config(NULL, "[{\"name\": \"hole\", \"url\": \"http://127.0.0.1:%u/\", "
	    "\"timeout\": \"500ms\"}]", bh_port);
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	ran_us = T.proc.end_us - T.proc.start_us;
	r = want_class("hole", "timeout");
	req(jint(r, "total_us") >= 450000, "total_us %lld < timeout",
	    (long long)jint(r, "total_us"));
	req(ran_us < 1500000, "--once took %lld ms for a 500 ms timeout",
	    (long long)(ran_us / 1000));
	close(fd);
}
END_TEST

START_TEST(test_connect_refused)
{
	unsigned p = fixture_refused_port();

	req(p != 0, "no free port");
	write_config(NULL, "[{\"name\": \"refused\", \"url\": \"http://127.0.0.1:%u/\", "
	    "\"timeout\": \"2s\"}]", p);
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	want_class("refused", "connect");
}
END_TEST

START_TEST(test_dns_invalid)
{
	write_config(NULL, "[{\"name\": \"nxdomain\", \"url\": "
	    "\"http://vantage-test.invalid/\", \"timeout\": \"5s\"}]%s", "");
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	want_class("nxdomain", "dns");
}
END_TEST

START_TEST(test_tls_classes)
{
	static const char *const names[CERTGEN_COUNT] = {
		"valid", "expired", "selfsigned", "wronghost"
	};
	struct certgen_set cs;
	struct fixture *tls[CERTGEN_COUNT] = { NULL };
	char err[256], *checks = NULL, *more;

	req(certgen_make(T.dir, &cs, err, sizeof(err)) == 0, "certgen: %s", err);
	for (int k = 0; k < CERTGEN_COUNT; k++) {
		char *cert = spawn_read_file(cs.pair[k].cert, NULL);
		char *key = spawn_read_file(cs.pair[k].key, NULL);

		req(cert && key, "cannot read %s", cs.pair[k].cert);
		tls[k] = fixture_start(cert, key, err, sizeof(err));
		free(cert);
		free(key);
		req(tls[k] != NULL, "TLS fixture %s: %s", names[k], err);
		more = fmt("%s%s"
		    "{\"name\": \"%s-strict\", \"url\": \"https://127.0.0.1:%u/healthz\", "
		    "\"timeout\": \"5s\"},\n"
		    "{\"name\": \"%s-insecure\", \"url\": \"https://127.0.0.1:%u/healthz\", "
		    "\"timeout\": \"5s\", \"insecure\": true}",
		    checks ? checks : "", checks ? ",\n" : "",
		    names[k], fixture_port(tls[k]), names[k], fixture_port(tls[k]));
		free(checks);
		checks = more;
	}
	more = fmt("[%s]", checks);
	write_config_text(NULL, more);
	free(more);
	free(checks);
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	for (int k = 0; k < CERTGEN_COUNT; k++) {
		char name[64];
		json_t *r;

		/* without insecure every one fails: the test CA is not in the
		 * system store (the agent has no per-check CA file) */
		snprintf(name, sizeof(name), "%s-strict", names[k]);
		want_class(name, "tls");
		snprintf(name, sizeof(name), "%s-insecure", names[k]);
		r = want_ok(name);
		req(jint(r, "tls_us") > 0, "%s: tls_us %lld", name,
		    (long long)jint(r, "tls_us"));
		req(jint(r, "cert_not_after") == cs.pair[k].not_after,
		    "%s: cert_not_after %lld, the certificate says %lld", name,
		    (long long)jint(r, "cert_not_after"), (long long)cs.pair[k].not_after);
	}
	for (int k = 0; k < CERTGEN_COUNT; k++)
		fixture_stop(tls[k]);
}
END_TEST

START_TEST(test_redirects)
{
	json_t *r;

	write_config(NULL, "["
	    "{\"name\": \"no-follow\", \"url\": \"http://127.0.0.1:%u/redirect\"},\n"
	    "{\"name\": \"follow\", \"url\": \"http://127.0.0.1:%u/redirect\", "
	    "\"follow_redirects\": true, \"expect\": {\"body_contains\": \"\\\"db\\\"\"}},\n"
	    "{\"name\": \"want-302\", \"url\": \"http://127.0.0.1:%u/redirect\", "
	    "\"expect\": {\"status\": [302]}}]", port(), port(), port());
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	r = want_class("no-follow", "http_status");
	req(jint(r, "status") == 302, "no-follow: status %lld",
	    (long long)jint(r, "status"));
	r = want_ok("follow");
	req(jint(r, "status") == 200, "follow: status %lld", (long long)jint(r, "status"));
	r = want_ok("want-302");
	req(jint(r, "status") == 302, "want-302: status %lld",
	    (long long)jint(r, "status"));
}
END_TEST

/* issue 14, finding 9: redirect_policy. /hop points to another host name
 * (localhost, not 127.0.0.1) with credentials in its Location. */
static void
route_hop(void)
{
	char *loc = fmt("http://eve:pw@localhost:%u/healthz?token=t0k3n", port());

	req(fixture_route(T.fx, "/hop", 302, "Location", loc, "", 0) == 0, "route");
	free(loc);
}

START_TEST(test_redirect_policy)
{
	json_t *r;
	char *want, *seen;

	route_hop();
	setenv("VANTAGE_IT_KEY", "s3cr3t-key", 1);
	fixture_watch_header(T.fx, "X-Key");
	write_config(NULL, "["
	    "{\"name\": \"any\", \"url\": \"http://127.0.0.1:%u/hop\", "
	    "\"follow_redirects\": true},\n"
	    "{\"name\": \"same\", \"url\": \"http://127.0.0.1:%u/hop\", "
	    "\"redirect_policy\": \"same-host\", \"redact\": [\"token\"]},\n"
	    "{\"name\": \"same-ok\", \"url\": \"http://127.0.0.1:%u/redirect\", "
	    "\"redirect_policy\": \"same-host\"},\n"
	    "{\"name\": \"none\", \"url\": \"http://127.0.0.1:%u/hop\", "
	    "\"redirect_policy\": \"none\"},\n"
	    "{\"name\": \"secret\", \"url\": \"http://127.0.0.1:%u/hop\", "
	    "\"follow_redirects\": true, \"headers\": {\"X-Key\": \"env:VANTAGE_IT_KEY\"}}]",
	    port(), port(), port(), port(), port());
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	/* a local check's follow_redirects follows anywhere, as it always did */
	r = want_ok("any");
	req(jint(r, "status") == 200, "any: status %lld", (long long)jint(r, "status"));
	r = want_class("same", "http_status");
	want = fmt("HTTP status 302: redirect to another host not followed "
	    "(redirect_policy is same-host): http://REDACTED@localhost:%u/healthz?"
	    "token=REDACTED", port());
	req(jint(r, "status") == 302 && strcmp(jstr(r, "error"), want) == 0,
	    "same: status %lld, error \"%s\", want \"%s\"",
	    (long long)jint(r, "status"), jstr(r, "error"), want);
	free(want);
	want_ok("same-ok");
	r = want_class("none", "http_status");
	req(jint(r, "status") == 302, "none: status %lld", (long long)jint(r, "status"));
	/* secret headers never go to another host, whatever the policy */
	r = want_class("secret", "http_status");
	req(strstr(jstr(r, "error"), "the check sends secret headers") != NULL,
	    "secret: %s", jstr(r, "error"));
	seen = fixture_header_seen(T.fx);
	req(seen && strcmp(seen, "s3cr3t-key") == 0, "X-Key seen: %s",
	    seen ? seen : "(none)");
	free(seen);
}
END_TEST

/* issue 14, finding 9: values a target sends are quoted up to 64 bytes,
 * with a visible ellipsis. */
START_TEST(test_echoes_capped)
{
	char hv[3001], *body, *want, *over;

	memset(hv, 'h', 3000);
	hv[3000] = '\0';
	body = fmt("{\"v\": \"%s\"}", hv);
	req(fixture_route(T.fx, "/long", 200, "X-Long", hv, body, strlen(body)) == 0,
	    "route");
	write_config(NULL, "["
	    "{\"name\": \"hdr\", \"url\": \"http://127.0.0.1:%u/long\", \"expect\": "
	    "{\"headers\": {\"X-Long\": {\"equals\": \"x\"}}}},\n"
	    "{\"name\": \"json\", \"url\": \"http://127.0.0.1:%u/long\", \"expect\": "
	    "{\"json\": {\"v\": \"x\"}}}]", port(), port());
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	hv[64] = '\0';
	want = fmt("header X-Long is \"%s...\", expected equal to \"x\"", hv);
	req(strcmp(jstr(want_class("hdr", "assertion"), "error"), want) == 0,
	    "hdr: %s", jstr(result("hdr"), "error"));
	free(want);
	hv[63] = '\0';		/* the JSON string's quote is the first byte */
	want = fmt("JSON v is \"%s...", hv);
	over = fmt("%sh", hv);
	req(strncmp(jstr(want_class("json", "body"), "error"), want, strlen(want)) == 0 &&
	    strstr(jstr(result("json"), "error"), over) == NULL,
	    "json: %s", jstr(result("json"), "error"));
	free(want);
	free(over);
	free(body);
}
END_TEST

/* issue 14, finding 7: no credential in what the agent prints, stores or
 * logs: userinfo, the redact keys' values, header secrets. */
START_TEST(test_credentials_redacted)
{
	static const char *const secrets[] = { "hunter2", "t0k3n", "s3cr3t-key",
	    "eve:pw" };
	char *want, *out, *errs, *seen;
	json_t *rows, *r;
	size_t i;

	route_hop();
	setenv("VANTAGE_IT_KEY", "s3cr3t-key", 1);
	fixture_watch_header(T.fx, "X-Api-Key");
	write_config(NULL, "["
	    "{\"name\": \"creds\", \"url\": \"http://bob:hunter2@127.0.0.1:%u/healthz?"
	    "token=t0k3n&x=1\", \"redact\": [\"token\"], \"headers\": "
	    "{\"X-Api-Key\": \"env:VANTAGE_IT_KEY\"}},\n"
	    "{\"name\": \"creds-500\", \"url\": \"http://bob:hunter2@127.0.0.1:%u/"
	    "status/500?token=t0k3n\", \"redact\": [\"token\"]},\n"
	    "{\"name\": \"creds-hop\", \"url\": \"http://127.0.0.1:%u/hop\", "
	    "\"redirect_policy\": \"same-host\", \"redact\": [\"token\"]}]",
	    port(), port(), port());
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	want = fmt("http://REDACTED@127.0.0.1:%u/healthz?token=REDACTED&x=1", port());
	r = want_ok("creds");
	req(strcmp(jstr(r, "url"), want) == 0, "url %s, want %s", jstr(r, "url"), want);
	free(want);
	want_class("creds-500", "http_status");
	want_class("creds-hop", "http_status");
	/* the target got them all the same */
	seen = fixture_header_seen(T.fx);
	req(seen && strcmp(seen, "s3cr3t-key") == 0, "X-Api-Key seen: %s",
	    seen ? seen : "(none)");
	free(seen);
	out = spawn_read_file(T.proc.out_path, NULL);
	errs = spawn_read_file(T.proc.err_path, NULL);
	rows = db_results();
	req(json_array_size(rows) == 3, "%zu rows", json_array_size(rows));
	json_array_foreach(rows, i, r) {
		char *line = json_dumps(r, JSON_COMPACT);

		for (size_t k = 0; k < sizeof(secrets) / sizeof(secrets[0]); k++)
			req(strstr(line, secrets[k]) == NULL, "stored row holds \"%s\": %s",
			    secrets[k], line);
		free(line);
	}
	for (size_t k = 0; k < sizeof(secrets) / sizeof(secrets[0]); k++) {
		req(out && strstr(out, secrets[k]) == NULL, "stdout holds \"%s\"",
		    secrets[k]);
		req(errs && strstr(errs, secrets[k]) == NULL, "stderr holds \"%s\"",
		    secrets[k]);
	}
	json_decref(rows);
	free(out);
	free(errs);
}
END_TEST

/* issue 14, finding 11: answers libcurl refuses after the status line are
 * the response's fault, not the connection's, nor "Out of memory". */
START_TEST(test_bad_responses_classified)
{
	static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n";
	struct fixture_raw *raw[3];
	char *many, *one, err[256];
	size_t off = 0, len;
	json_t *r;

	/* 320 headers of 1 KiB: past libcurl's 300 KiB for all of them */
	many = malloc(400 * 1024);
	req(many != NULL, "malloc");
	off = (size_t)sprintf(many, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i < 320; i++) {
		off += (size_t)sprintf(many + off, "X-H%d: ", i);
		memset(many + off, 'a', 1000);
		off += 1000;
		off += (size_t)sprintf(many + off, "\r\n");
	}
	off += (size_t)sprintf(many + off, "Content-Length: 0\r\n\r\n");
	/* one header of 110 KiB: past libcurl's 100 KiB for one */
	one = malloc(110 * 1024 + 128);
	req(one != NULL, "malloc");
	len = (size_t)sprintf(one, "HTTP/1.1 200 OK\r\nX-Big: ");
	memset(one + len, 'b', 110 * 1024);
	len += 110 * 1024;
	len += (size_t)sprintf(one + len, "\r\nContent-Length: 0\r\n\r\n");
	raw[0] = fixture_raw_start(chunked, strlen(chunked), err, sizeof(err));
	req(raw[0] != NULL, "raw fixture: %s", err);
	raw[1] = fixture_raw_start(many, off, err, sizeof(err));
	req(raw[1] != NULL, "raw fixture: %s", err);
	raw[2] = fixture_raw_start(one, len, err, sizeof(err));
	req(raw[2] != NULL, "raw fixture: %s", err);
	write_config(NULL, "["
	    "{\"name\": \"chunked\", \"url\": \"http://127.0.0.1:%u/\"},\n"
	    "{\"name\": \"many\", \"url\": \"http://127.0.0.1:%u/\"},\n"
	    "{\"name\": \"one\", \"url\": \"http://127.0.0.1:%u/\"}]",
	    fixture_raw_port(raw[0]), fixture_raw_port(raw[1]),
	    fixture_raw_port(raw[2]));
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	for (int i = 0; i < 3; i++)
		fixture_raw_stop(raw[i]);
	free(many);
	free(one);
	r = want_class("chunked", "body");
	req(strstr(jstr(r, "error"), "response body: bad chunked encoding") == jstr(r, "error"),
	    "chunked: %s", jstr(r, "error"));
	r = want_class("many", "http_status");
	req(strstr(jstr(r, "error"), "response headers too large") == jstr(r, "error"),
	    "many: %s", jstr(r, "error"));
	r = want_class("one", "http_status");
	req(strstr(jstr(r, "error"), "longer than libcurl's limit of 100 KiB") != NULL,
	    "one: %s", jstr(r, "error"));
}
END_TEST

START_TEST(test_header_expectations)
{
	char *u = fmt("http://127.0.0.1:%u/headers", port()), *checks;

	checks = fmt("["
	    "{\"name\": \"all-pass\", \"url\": \"%s\", \"expect\": {\"headers\": {"
	    "\"cf-cache-status\": {\"equals\": \"HIT\"}, "
	    "\"Cache-Control\": {\"regex\": \"max-age=[0-9]+\"}, "
	    "\"Age\": {\"present\": true}, \"X-Absent\": {\"present\": false}}}},\n"
	    "{\"name\": \"missing\", \"url\": \"%s\", \"expect\": {\"headers\": {"
	    "\"X-Nope\": {\"present\": true}}}},\n"
	    "{\"name\": \"not-equal\", \"url\": \"%s\", \"expect\": {\"headers\": {"
	    "\"CF-Cache-Status\": {\"equals\": \"MISS\"}}}},\n"
	    "{\"name\": \"no-match\", \"url\": \"%s\", \"expect\": {\"headers\": {"
	    "\"Cache-Control\": {\"regex\": \"^private\"}}}},\n"
	    "{\"name\": \"not-absent\", \"url\": \"%s\", \"expect\": {\"headers\": {"
	    "\"Age\": {\"present\": false}}}}]", u, u, u, u, u);
	write_config_text(NULL, checks);
	free(checks);
	free(u);
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	want_ok("all-pass");
	want_class("missing", "assertion");
	want_class("not-equal", "assertion");
	want_class("no-match", "assertion");
	want_class("not-absent", "assertion");
}
END_TEST

START_TEST(test_big_body_bounded)
{
	json_t *r;
	long big_kb, small_kb;

	write_config(NULL, "[{\"name\": \"big\", \"url\": \"http://127.0.0.1:%u/big\", "
	    "\"timeout\": \"10s\"}]", port());
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	r = want_ok("big");
	req(jint(r, "bytes") == 1048576, "bytes %lld, want 1048576 (max_body)",
	    (long long)jint(r, "bytes"));
	req(json_is_true(json_object_get(r, "truncated")), "truncated is not true");
	big_kb = T.proc.ru.ru_maxrss;

	write_config(NULL, "[{\"name\": \"big\", \"url\": \"http://127.0.0.1:%u/healthz\", "
	    "\"timeout\": \"10s\"}]", port());
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	r = want_ok("big");
	req(json_is_false(json_object_get(r, "truncated")), "small body truncated");
	small_kb = T.proc.ru.ru_maxrss;
	req(big_kb > 0 && small_kb > 0, "no ru_maxrss");
	fprintf(stderr, "agent peak RSS: %ld KiB reading /big, %ld KiB reading "
	    "/healthz\n", big_kb, small_kb);
	req(big_kb < small_kb + 16 * 1024, "peak RSS %ld KiB with a 50 MiB body, "
	    "%ld KiB with a small one", big_kb, small_kb);
}
END_TEST

START_TEST(test_seq_across_runs)
{
	json_t *all;
	json_int_t last = 0;
	size_t i;
	json_t *r;
	int64_t first_max = 0;

	write_config(NULL, "[{\"name\": \"a\", \"url\": \"http://127.0.0.1:%u/healthz\"},"
	    " {\"name\": \"b\", \"url\": \"http://127.0.0.1:%u/status/503\"}]",
	    port(), port());
	req(run_once() == 0, "--once exited with %d", spawn_exit_code(&T.proc));
	req(json_array_size(T.results) == 2, "%zu results", json_array_size(T.results));
	json_array_foreach(T.results, i, r) {
		req(jint(r, "seq") >= 1, "seq %lld", (long long)jint(r, "seq"));
		if (jint(r, "seq") > first_max)
			first_max = jint(r, "seq");
	}
	req(jint(result("a"), "seq") != jint(result("b"), "seq"), "seq reused in a run");
	req(run_once() == 0, "second --once exited with %d", spawn_exit_code(&T.proc));
	req(json_array_size(T.results) == 2, "%zu results", json_array_size(T.results));
	json_array_foreach(T.results, i, r)
		req(jint(r, "seq") > first_max, "second run seq %lld not above %lld",
		    (long long)jint(r, "seq"), (long long)first_max);
	req(jint(result("a"), "seq") != jint(result("b"), "seq"), "seq reused in a run");

	all = db_results();
	req(json_array_size(all) == 4, "%zu rows, want 4", json_array_size(all));
	json_array_foreach(all, i, r) {
		req(jint(r, "seq") == last + 1, "seq %lld after %lld: want one more",
		    (long long)jint(r, "seq"), (long long)last);
		last = jint(r, "seq");
	}
	json_decref(all);
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
		if (strncmp(end + 2, key, klen) == 0 && strncmp(end + 2 + klen, ": ", 2) == 0)
			return true;
	}
	return false;
}

START_TEST(test_check_config_good)
{
	char *out;

	write_config(", \"listen\": \"127.0.0.1:0\"", "[{\"name\": \"a\", "
	    "\"url\": \"https://127.0.0.1:%u/\", \"interval\": \"30s\"}]", port());
	req(run_check_config(T.conf) == 0, "exit %d for a good config",
	    spawn_exit_code(&T.proc));
	out = spawn_read_file(T.proc.out_path, NULL);
	req(out && strstr(out, "OK") != NULL, "no OK summary: %s", out ? out : "");
	free(out);
}
END_TEST

START_TEST(test_check_config_all_errors)
{
	char *text, *errs;

	/* line numbers matter: 4 and 5 hold the two bad values */
	text = fmt("{\n"
	    "  \"agent\": {\"id\": \"%s\", \"db\": \"%s\"},\n"
	    "  \"checks\": [\n"
	    "    {\"name\": \"a\", \"url\": \"http://127.0.0.1:1/\", \"timeout\": \"soon\"},\n"
	    "    {\"name\": \"b\", \"url\": \"ftp://127.0.0.1/\"}\n"
	    "  ]\n"
	    "}\n", AGENT_ID, T.db);
	req(spawn_write_file(T.conf, text) == 0, "write");
	free(text);
	req(run_check_config(T.conf) == 2, "exit %d for a bad config, want 2",
	    spawn_exit_code(&T.proc));
	errs = spawn_read_file(T.proc.err_path, NULL);
	req(errs != NULL, "no stderr");
	if (!has_error(errs, T.conf, 4, "checks[0].timeout") ||
	    !has_error(errs, T.conf, 5, "checks[1].url")) {
		fprintf(stderr, "---- stderr\n%s", errs);
		free(errs);
		req(0, "want both errors as file:line:col: key: (lines 4 and 5)");
	}
	free(errs);
}
END_TEST

/* issue 14, finding 3: an assets check whose first target has no name made
 * --check-config (and the agent) crash. */
START_TEST(test_check_config_assets_unnamed)
{
	char *errs;

	write_config(NULL, "[{\"name\": \"a\", \"kind\": \"assets\", \"targets\": [\n"
	    "  {\"url\": \"https://a.example/\"},\n"
	    "  {\"name\": \"o\", \"url\": \"https://b.example/\"}]}]");
	req(run_check_config(T.conf) == 2, "exit %d, want 2", spawn_exit_code(&T.proc));
	errs = spawn_read_file(T.proc.err_path, NULL);
	req(errs && has_error(errs, T.conf, 0, "checks[0].targets[0].name"),
	    "no error for the unnamed target: %s", errs ? errs : "");
	free(errs);
}
END_TEST

/* issue 14, findings 7 and 8: a config error quotes a URL without its
 * password; a config file or file: secret readable by others is used, with
 * a warning, once; none when it is private. */
START_TEST(test_check_config_secrets)
{
	char *key = fmt("%s/key", T.dir), *hdr = fmt("%s/hdr", T.dir), *text, *errs;
	char *w1, *w2, *w3;

	write_config(NULL, "[{\"name\": \"a\", \"url\": \"ftp://bob:hunter2@x.test/\"}]");
	req(run_check_config(T.conf) == 2, "exit %d, want 2", spawn_exit_code(&T.proc));
	errs = spawn_read_file(T.proc.err_path, NULL);
	req(errs && strstr(errs, "bad URL \"ftp://REDACTED@x.test/\"") != NULL &&
	    strstr(errs, "hunter2") == NULL, "stderr: %s", errs ? errs : "");
	free(errs);

	req(spawn_write_file(key, "0123456789abcdef0123\n") == 0, "write");
	req(spawn_write_file(hdr, "Bearer t0k3n\n") == 0, "write");
	text = fmt("{\"agent\": {\"id\": \"a\", \"db\": \"%s\"},\n"
	    " \"collector\": {\"url\": \"http://127.0.0.1:1\", \"key\": \"file:%s\"},\n"
	    " \"checks\": [{\"name\": \"c\", \"url\": \"http://127.0.0.1:%u/\",\n"
	    "  \"headers\": {\"Authorization\": \"file:%s\"}}]}\n", T.db, key, port(),
	    hdr);
	req(spawn_write_file(T.conf, text) == 0, "write");
	free(text);
	w1 = fmt("config file %s is readable by others (mode 0644)", T.conf);
	w2 = fmt("secret file %s is readable by others (mode 0644)", key);
	w3 = fmt("secret file %s is readable by its group (mode 0640)", hdr);
	req(chmod(T.conf, 0644) == 0 && chmod(key, 0644) == 0 && chmod(hdr, 0640) == 0,
	    "chmod");
	req(run_check_config(T.conf) == 0, "exit %d", spawn_exit_code(&T.proc));
	errs = spawn_read_file(T.proc.err_path, NULL);
	req(errs && strstr(errs, w1) && strstr(errs, w2) && strstr(errs, w3),
	    "want three warnings:\n%s", errs ? errs : "");
	req(strstr(strstr(errs, w1) + 1, w1) == NULL, "warned twice:\n%s", errs);
	req(strstr(errs, "t0k3n") == NULL, "stderr holds the secret");
	free(errs);
	req(chmod(T.conf, 0600) == 0 && chmod(key, 0600) == 0 && chmod(hdr, 0400) == 0,
	    "chmod");
	req(run_check_config(T.conf) == 0, "exit %d", spawn_exit_code(&T.proc));
	errs = spawn_read_file(T.proc.err_path, NULL);
	req(errs && strstr(errs, "readable by") == NULL, "warned:\n%s", errs);
	free(errs);
	free(w1);
	free(w2);
	free(w3);
	free(key);
	free(hdr);
}
END_TEST

START_TEST(test_check_config_unknown_key)
{
	char *errs;

	write_config(", \"colour\": \"red\"", "[{\"name\": \"a\", "
	    "\"url\": \"http://127.0.0.1:%u/\", \"timout\": \"1s\"}]", port());
	req(run_check_config(T.conf) == 2, "exit %d for unknown keys, want 2",
	    spawn_exit_code(&T.proc));
	errs = spawn_read_file(T.proc.err_path, NULL);
	req(errs != NULL, "no stderr");
	if (!has_error(errs, T.conf, 2, "agent.colour") ||
	    !has_error(errs, T.conf, 3, "checks[0].timout") ||
	    strstr(errs, "unknown key") == NULL ||
	    strstr(errs, "did you mean \"timeout\"") == NULL) {
		fprintf(stderr, "---- stderr\n%s", errs);
		free(errs);
		req(0, "want agent.colour and checks[0].timout reported as unknown keys");
	}
	free(errs);
}
END_TEST

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The examples name the deployment's CA file (collector.ca_file), which a
 * test machine does not have: point it at /dev/null, which --check-config
 * can read. Returns a new string (caller frees). */
static char *
fake_ca_file(const char *text)
{
	const char *k = strstr(text, "\"ca_file\""), *v, *end;
	size_t n;
	char *out;

	if (k == NULL)
		return strdup(text);
	v = k + strlen("\"ca_file\"");
	v += strspn(v, " \t\r\n:");
	if (*v != '"' || (end = strchr(v + 1, '"')) == NULL)
		return strdup(text);
	n = (size_t)(v + 1 - text);
	if ((out = malloc(n + sizeof("/dev/null") + strlen(end))) == NULL)
		return NULL;
	memcpy(out, text, n);
	memcpy(out + n, "/dev/null", sizeof("/dev/null") - 1);
	memcpy(out + n + sizeof("/dev/null") - 1, end, strlen(end) + 1);
	return out;
}

START_TEST(test_check_config_dist_examples)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/dist", spawn_srcdir());
	if ((d = opendir(dir)) == NULL)
		return;		/* no dist/ yet: nothing to check */
	/* the examples read the collector key from the environment */
	setenv("VANTAGE_AGENT_KEY", "example-key-0123456789abcdef", 1);
	while ((de = readdir(d)) != NULL) {
		char path[PATH_MAX + 256], copy[PATH_MAX + 256], *text, *faked;

		/* agent configs only; collector ones: tests/unit/test_collconf */
		if (strncmp(de->d_name, "agent", 5) != 0 ||
		    !ends_with(de->d_name, ".json") || ends_with(de->d_name, ".schema.json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		snprintf(copy, sizeof(copy), "%s/%s", T.dir, de->d_name);
		req((text = spawn_read_file(path, NULL)) != NULL, "cannot read %s", path);
		req((faked = fake_ca_file(text)) != NULL, "out of memory");
		req(spawn_write_file(copy, faked) == 0, "cannot write %s", copy);
		free(text);
		free(faked);
		if (run_check_config(copy) != 0) {
			closedir(d);
			req(0, "example config %s (as %s, ca_file faked): --check-config "
			    "exit %d", path, copy, spawn_exit_code(&T.proc));
		}
		n++;
	}
	closedir(d);
	fprintf(stderr, "checked %d example configs in %s\n", n, dir);
}
END_TEST

/* ---- daemon mode ---- */

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

START_TEST(test_daemon_health_metrics)
{
	unsigned p;
	char *body, *m;
	json_t *h;

	write_config(", \"listen\": \"127.0.0.1:0\"", "[{\"name\": \"up\", "
	    "\"service\": \"micro\", \"layer\": \"front_door\", \"provider\": \"test\", "
	    "\"url\": \"http://127.0.0.1:%u/healthz\", \"interval\": \"1s\", "
	    "\"timeout\": \"900ms\"}]", port());
	p = start_daemon();
	body = http_get(p, "/healthz", 200);
	h = json_loads(body, 0, NULL);
	req(json_is_object(h), "/healthz is not a JSON object: %s", body);
	req(json_integer_value(json_object_get(h, "checks")) == 1 &&
	    json_is_integer(json_object_get(h, "checks")), "/healthz checks: %s", body);
	req(strcmp(jstr(h, "status"), "ok") == 0,
	    "/healthz status: %s", body);
	json_decref(h);
	free(body);
	body = http_get(p, "/nope", 404);
	free(body);

	m = wait_metrics(p, "vantage_agent_check_up{check=\"up\"");
	req(strstr(m, "vantage_agent_check_up{check=\"up\",kind=\"http\",service=\"micro\","
	    "layer=\"front_door\",provider=\"test\"} 1\n") != NULL,
	    "check_up line:\n%s", m);
	req(strstr(m, "vantage_agent_check_results_total{check=\"up\",result=\"ok\"} ")
	    != NULL, "no vantage_agent_check_results_total:\n%s", m);
	promtool_check(m);
	free(m);
	stop_daemon(5000);
}
END_TEST

START_TEST(test_daemon_sighup_reload)
{
	const char *listen = ", \"listen\": \"127.0.0.1:0\"";
	char *a, *m, *errs, *two;
	unsigned p;

	a = fmt("{\"name\": \"A\", \"url\": \"http://127.0.0.1:%u/healthz\", "
	    "\"interval\": \"500ms\", \"timeout\": \"400ms\"}", port());
	write_config(listen, "[%s]", a);
	p = start_daemon();
	free(wait_metrics(p, "vantage_agent_check_up{check=\"A\""));

	two = fmt("[%s, {\"name\": \"B\", \"url\": \"http://127.0.0.1:%u/status/204\", "
	    "\"interval\": \"500ms\", \"timeout\": \"400ms\"}]", a, port());
	write_config_text(listen, two);
	free(two);
	free(a);
	req(spawn_signal(&T.proc, SIGHUP) == 0, "SIGHUP");
	free(wait_metrics(p, "vantage_agent_check_up{check=\"B\""));
	free(wait_metrics(p, "vantage_agent_config_reloads_total{result=\"ok\"} 1\n"));

	/* a broken config is refused; the old one keeps running */
	write_config(listen, "[{\"name\": \"A\", \"url\": \"http://127.0.0.1:%u/\", "
	    "\"bogus\": 1}]", port());
	req(spawn_signal(&T.proc, SIGHUP) == 0, "SIGHUP");
	m = wait_metrics(p, "vantage_agent_config_reloads_total{result=\"error\"} 1\n");
	req(spawn_running(&T.proc), "the agent died on a bad config");
	req(strstr(m, "vantage_agent_check_up{check=\"A\"") != NULL &&
	    strstr(m, "vantage_agent_check_up{check=\"B\"") != NULL,
	    "A and B should both still run:\n%s", m);
	req(strstr(m, "vantage_agent_checks_configured 2\n") != NULL,
	    "checks_configured:\n%s", m);
	free(m);
	errs = spawn_read_file(T.proc.err_path, NULL);
	req(errs && strstr(errs, "reload refused") != NULL, "the log does not say "
	    "the reload was refused");
	req(strstr(errs, "bogus") != NULL, "the log does not name the bad key");
	free(errs);
	stop_daemon(5000);
}
END_TEST

/* The value of an unlabelled metric in /metrics at p (-1: absent). */
static double
metric(unsigned p, const char *name)
{
	char *body = http_get(p, "/metrics", 200), *at, *needle = fmt("\n%s ", name);
	double v = -1;

	if ((at = strstr(body, needle)) != NULL)
		v = strtod(at + strlen(needle), NULL);
	free(needle);
	free(body);
	return v;
}

/* Wait (at most POLL_MS * 3) until metric name at p reaches at least v. */
static void
wait_metric_ge(unsigned p, const char *name, double v)
{
	int64_t deadline = spawn_now_us() + (int64_t)POLL_MS * 3000;

	while (metric(p, name) < v) {
		req(spawn_running(&T.proc), "the agent died while we waited for %s >= %g",
		    name, v);
		req(spawn_now_us() < deadline, "%s stayed below %g (%g)", name, v,
		    metric(p, name));
		usleep(50000);
	}
}

/* Wait (at most POLL_MS * 3) until the fixture saw path more than n times. */
static void
wait_hits(const char *path, int64_t n)
{
	int64_t deadline = spawn_now_us() + (int64_t)POLL_MS * 3000;

	while (fixture_hits(T.fx, path) <= n) {
		req(spawn_running(&T.proc), "the agent died while we waited for %s",
		    path);
		req(spawn_now_us() < deadline, "%s: %lld hits, want more than %lld", path,
		    (long long)fixture_hits(T.fx, path), (long long)n);
		usleep(50000);
	}
}

static void
serve_checks(const char *body, size_t len)
{
	req(fixture_route(T.fx, "/api/v1/agent/checks", 200, "Content-Type",
	    "application/json", body, len) == 0, "route");
}

/* issue 14, finding 3: whatever the collector serves, the agent checks the
 * whole set before it uses any of it; a bad set is refused (logged once,
 * counted), the last good set keeps running, and nothing crashes. The
 * fixture is the collector: the agent does not check who answers. */
START_TEST(test_daemon_pulled_sets_refused)
{
	static const char nul_set[] = "{\"checks\": []}\0{\"checks\": [5]}";
	static const char *const modes[] = { "", "-wal", "-shm" };
	const char *crash_err = "checks[0].targets[0].name: required key is missing";
	char *good, *crash, *text, *deep, *errs, *first;
	double refused;
	unsigned p;
	int64_t h, pulls;
	mode_t old;
	json_t *rows, *r;
	size_t i;
	bool hop_seen = false;

	route_hop();
	req(fixture_route(T.fx, "/api/v1/ingest", 503, NULL, NULL,
	    "{\"error\": \"busy\"}", 17) == 0, "route");
	good = fmt("{\"checks\": [{\"name\": \"pulled\", \"url\": "
	    "\"http://127.0.0.1:%u/healthz\", \"interval\": \"500ms\"},\n"
	    "{\"name\": \"hop\", \"url\": \"http://127.0.0.1:%u/hop\", \"interval\": "
	    "\"500ms\", \"follow_redirects\": true, \"redact\": [\"token\"]}]}",
	    port(), port());
	serve_checks(good, strlen(good));
	text = fmt("{\"agent\": {\"id\": \"%s\", \"db\": \"%s\", \"listen\": "
	    "\"127.0.0.1:0\"},\n \"collector\": {\"url\": \"http://127.0.0.1:%u\", "
	    "\"key\": \"0123456789abcdef0123\", \"pull_every\": \"1s\"}}\n",
	    AGENT_ID, T.db, port());
	req(spawn_write_file(T.conf, text) == 0, "write");
	free(text);
	/* finding 8 on the way: the DB is private even under umask 000 */
	old = umask(0);
	p = start_daemon();
	umask(old);
	wait_metric_ge(p, "vantage_agent_checks_remote", 2);
	h = fixture_hits(T.fx, "/healthz");
	wait_hits("/healthz", h + 1);
	for (i = 0; i < 3; i++) {
		char *f = fmt("%s%s", T.db, modes[i]);
		struct stat st;

		req(stat(f, &st) == 0 && (st.st_mode & 0777) == 0600, "%s: mode %04o, "
		    "want 0600", f, (unsigned)(st.st_mode & 0777));
		free(f);
	}

	/* the set that crashed every agent */
	crash = fmt("{\"checks\": [{\"name\": \"a\", \"kind\": \"assets\", "
	    "\"targets\": [{\"url\": \"https://a.example/\"}, {\"name\": \"o\", "
	    "\"url\": \"https://b.example/\"}]}]}");
	serve_checks(crash, strlen(crash));
	wait_metric_ge(p, "vantage_agent_checks_refused_total", 1);
	/* it is pulled again and again: refused each time, said once */
	pulls = fixture_hits(T.fx, "/api/v1/agent/checks");
	wait_hits("/api/v1/agent/checks", pulls + 2);
	h = fixture_hits(T.fx, "/healthz");
	wait_hits("/healthz", h + 2);	/* the previous set still runs */
	req(metric(p, "vantage_agent_checks_refused_total") >= 3, "refused_total %g",
	    metric(p, "vantage_agent_checks_refused_total"));
	req(metric(p, "vantage_agent_checks_remote") == 2, "checks_remote %g",
	    metric(p, "vantage_agent_checks_remote"));
	errs = spawn_read_file(T.proc.err_path, NULL);
	req(errs && (first = strstr(errs, crash_err)) != NULL, "the log does not say "
	    "what is wrong with the set:\n%s", errs ? errs : "");
	req(strstr(first + 1, crash_err) == NULL, "said more than once:\n%s", errs);
	free(errs);

	/* more sets no agent should take, each refused in turn */
	deep = malloc(200003);
	req(deep != NULL, "malloc");
	memset(deep, '[', 200000);
	strcpy(deep + 200000, "]]");
	{
		const struct { const char *body; size_t len; } bad[] = {
			{ "{\"checks\": [{\"name\": \"q\", \"kind\": \"quic\"}]}", 0 },
			{ "{\"checks\": [{\"name\": \"p\", \"url\": ", 0 },
			{ nul_set, sizeof(nul_set) - 1 },
			{ deep, 0 },
			{ "{\"checks\": [{\"name\": \"f\", \"url\": \"http://127.0.0.1:1/\", "
			  "\"headers\": {\"X\": \"file:/etc/passwd\"}}]}", 0 },
			{ "[\"checks\"]", 0 },
		};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			refused = metric(p, "vantage_agent_checks_refused_total");
			serve_checks(bad[i].body, bad[i].len ? bad[i].len :
			    strlen(bad[i].body));
			wait_metric_ge(p, "vantage_agent_checks_refused_total", refused + 1);
			req(metric(p, "vantage_agent_checks_remote") == 2, "set %zu: "
			    "checks_remote %g", i, metric(p, "vantage_agent_checks_remote"));
		}
	}
	free(deep);
	h = fixture_hits(T.fx, "/healthz");
	wait_hits("/healthz", h + 1);

	/* and a good one is taken again */
	text = fmt("{\"checks\": [{\"name\": \"next\", \"url\": "
	    "\"http://127.0.0.1:%u/status/204\", \"interval\": \"500ms\"}]}", port());
	serve_checks(text, strlen(text));
	free(text);
	wait_hits("/status/204", 0);
	req(metric(p, "vantage_agent_checks_remote") == 1, "checks_remote %g",
	    metric(p, "vantage_agent_checks_remote"));
	stop_daemon(5000);

	/* the pulled check that was redirected to another host: not followed */
	rows = db_results();
	json_array_foreach(rows, i, r) {
		if (strcmp(jstr(r, "check"), "hop") != 0)
			continue;
		hop_seen = true;
		req(strcmp(jstr(r, "error_class"), "http_status") == 0 &&
		    strstr(jstr(r, "error"), "(redirect_policy is same-host)") != NULL,
		    "hop: %s: %s", jstr(r, "error_class"), jstr(r, "error"));
	}
	req(hop_seen, "no result of the pulled check \"hop\"");
	json_decref(rows);
	errs = spawn_read_file(T.proc.err_path, NULL);
	req(errs && strstr(errs, "eve:pw") == NULL && strstr(errs, "t0k3n") == NULL,
	    "the log holds a credential:\n%s", errs ? errs : "");
	req(strstr(errs, "runtime error") == NULL && strstr(errs, "Sanitizer") == NULL,
	    "sanitizer report:\n%s", errs);
	free(errs);
	free(good);
	free(crash);
}
END_TEST

START_TEST(test_daemon_sigterm_inflight)
{
	char name[32];
	unsigned p;
	int64_t t0;
	json_t *rows, *r;
	int i;

	/* a name whose jitter puts its first run early in the 5 s interval */
	for (i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "slow-%d", i);
		if (sched_jitter_ms(AGENT_ID, name, 5000) < 300)
			break;
	}
	req(i < 10000, "no check name with a small jitter");
	write_config(", \"listen\": \"127.0.0.1:0\"", "[{\"name\": \"%s\", "
	    "\"url\": \"http://127.0.0.1:%u/slow?ms=1500\", \"interval\": \"5s\", "
	    "\"timeout\": \"3s\"}]", name, port());
	p = start_daemon();
	free(wait_metrics(p, "vantage_agent_inflight 1\n"));
	t0 = spawn_now_us();
	req(spawn_signal(&T.proc, SIGTERM) == 0, "SIGTERM");
	req(spawn_wait(&T.proc, 4000) == 0, "the agent did not stop within 4 s");
	req(spawn_exit_code(&T.proc) == 0, "exit %d after SIGTERM",
	    spawn_exit_code(&T.proc));
	req(spawn_now_us() - t0 < 4000000, "stopping took %lld ms",
	    (long long)((spawn_now_us() - t0) / 1000));

	rows = db_results();
	req(json_array_size(rows) == 1, "%zu rows, want the one in-flight result",
	    json_array_size(rows));
	r = json_array_get(rows, 0);
	req(strcmp(jstr(r, "check"), name) == 0, "row for %s", jstr(r, "check"));
	req(json_is_true(json_object_get(r, "ok")), "the in-flight run failed: %s: %s",
	    jstr(r, "error_class"), jstr(r, "error"));
	req(jint(r, "total_us") >= 1500000, "total_us %lld < 1.5 s",
	    (long long)jint(r, "total_us"));
	json_decref(rows);
}
END_TEST

static Suite *
agent_suite(void)
{
	Suite *s = suite_create("agent");
	TCase *probe = tcase_create("probe");
	TCase *conf = tcase_create("check-config");
	TCase *daemon = tcase_create("daemon");

	tcase_add_checked_fixture(probe, setup, teardown);
	tcase_set_timeout(probe, 60);
	tcase_add_test(probe, test_ok_json_health);
	tcase_add_test(probe, test_json_mismatch);
	tcase_add_test(probe, test_status_500_retries);
	tcase_add_test(probe, test_slow_latency_and_timeout);
	tcase_add_test(probe, test_blackhole_timeout);
	tcase_add_test(probe, test_connect_refused);
	tcase_add_test(probe, test_dns_invalid);
	tcase_add_test(probe, test_tls_classes);
	tcase_add_test(probe, test_redirects);
	tcase_add_test(probe, test_redirect_policy);
	tcase_add_test(probe, test_echoes_capped);
	tcase_add_test(probe, test_credentials_redacted);
	tcase_add_test(probe, test_bad_responses_classified);
	tcase_add_test(probe, test_header_expectations);
	tcase_add_test(probe, test_big_body_bounded);
	tcase_add_test(probe, test_seq_across_runs);
	suite_add_tcase(s, probe);

	tcase_add_checked_fixture(conf, setup, teardown);
	tcase_set_timeout(conf, 60);
	tcase_add_test(conf, test_check_config_good);
	tcase_add_test(conf, test_check_config_all_errors);
	tcase_add_test(conf, test_check_config_unknown_key);
	tcase_add_test(conf, test_check_config_assets_unnamed);
	tcase_add_test(conf, test_check_config_secrets);
	tcase_add_test(conf, test_check_config_dist_examples);
	suite_add_tcase(s, conf);

	tcase_add_checked_fixture(daemon, setup, teardown);
	tcase_set_timeout(daemon, 60);
	tcase_add_test(daemon, test_daemon_health_metrics);
	tcase_add_test(daemon, test_daemon_sighup_reload);
	tcase_add_test(daemon, test_daemon_sigterm_inflight);
	tcase_add_test(daemon, test_daemon_pulled_sets_refused);
	suite_add_tcase(s, daemon);
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

	/* everything goes to 127.0.0.1 (or fails in DNS): never via a proxy */
	for (int i = 0; proxies[i]; i++)
		unsetenv(proxies[i]);
	setenv("NO_PROXY", "*", 1);
	setenv("no_proxy", "*", 1);
	signal(SIGPIPE, SIG_IGN);
	if (access(spawn_agent_path(), X_OK) != 0) {
		fprintf(stderr, "test_agent: agent binary %s: %s (set VANTAGE_AGENT)\n",
		    spawn_agent_path(), strerror(errno));
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sr = srunner_create(agent_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}
