/* test_cache: CDN cache awareness end to end. A fixture front door
 * (libmicrohttpd on 127.0.0.1:0) answers /fd with "X-Cache: HIT" or
 * "X-Cache: MISS" (switchable), or with no cache header at all; two real
 * agents (us-east, eu-central) probe it every 250 ms and ship to a real
 * collector with a cache_hit_drop rule (window 1m, threshold 0.5, two
 * regions, alerts.tick 500ms) that sends to a webhook on the same fixture
 * (/hook). Cached answers keep the rule quiet; uncached ones open the
 * incident (one trigger); cached ones again resolve it (one resolve).
 * Then the front door stops revealing a cache status and the collector's
 * /api/v1/cache counts must equal what was served; /metrics shows the
 * ratio and the counters. Daemon logs are printed when the test fails. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <jansson.h>
#include <microhttpd.h>

#include "spawn.h"

#define READY_MS	10000
#define WAIT_MS		30000	/* data or a transition after a change, at most */
#define POLL_STEP_MS	100

enum mode { MODE_HIT = 0, MODE_MISS, MODE_NONE };

static const char *const agent_ids[] = { "cache-us", "cache-eu" };
static const char *const agent_regions[] = { "us-east", "eu-central" };
#define NAGENTS	2

static struct {
	struct MHD_Daemon	*d;
	unsigned		 port;
	pthread_mutex_t		 mu;
	enum mode		 mode;
	int64_t			 served[3];	/* per mode */
	int			 triggers, resolves;
	char			 dir[PATH_MAX / 2];
	struct spawn		 procs[NAGENTS + 1];	/* [0] the collector */
	bool			 started[NAGENTS + 1];
	unsigned		 cport;
} T;

/* ---- the front door and the webhook ---- */

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **ptr)
{
	static int first;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	enum mode m;

	if (*ptr == NULL) {
		*ptr = &first;
		return MHD_YES;
	}
	if (strcmp(url, "/hook") == 0) {
		if (*upload_size > 0) {
			/* one request, one body: count it when it comes */
			pthread_mutex_lock(&T.mu);
			if (memmem(upload, *upload_size, "\"event\":\"trigger\"", 17) ||
			    memmem(upload, *upload_size, "\"event\": \"trigger\"", 18))
				T.triggers++;
			else if (memmem(upload, *upload_size, "\"event\":\"resolve\"", 17) ||
			    memmem(upload, *upload_size, "\"event\": \"resolve\"", 18))
				T.resolves++;
			pthread_mutex_unlock(&T.mu);
			*upload_size = 0;
			return MHD_YES;
		}
	}
	resp = MHD_create_response_from_buffer(3, (void *)(uintptr_t)"ok\n",
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	if (strcmp(url, "/fd") == 0) {
		pthread_mutex_lock(&T.mu);
		m = T.mode;
		T.served[m]++;
		pthread_mutex_unlock(&T.mu);
		if (m != MODE_NONE)
			MHD_add_response_header(resp, "X-Cache", m == MODE_HIT ? "HIT" : "MISS");
	}
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
set_mode(enum mode m)
{
	pthread_mutex_lock(&T.mu);
	T.mode = m;
	pthread_mutex_unlock(&T.mu);
}

static int
counter(int *p)
{
	int v;

	pthread_mutex_lock(&T.mu);
	v = *p;
	pthread_mutex_unlock(&T.mu);
	return v;
}

/* ---- daemons ---- */

static void
fail_cleanup(void)
{
	for (size_t i = 0; i <= NAGENTS; i++) {
		if (!T.started[i])
			continue;
		fprintf(stderr, "######## %s\n", i == 0 ? "collector" : agent_ids[i - 1]);
		spawn_dump(&T.procs[i], "test failed");
		spawn_kill(&T.procs[i]);
		T.started[i] = false;
	}
	fprintf(stderr, "served hit %lld miss %lld none %lld; triggers %d resolves %d\n",
	    (long long)T.served[0], (long long)T.served[1], (long long)T.served[2],
	    T.triggers, T.resolves);
	fprintf(stderr, "(test files kept in %s)\n", T.dir);
	T.dir[0] = '\0';
}

#define req(cond, ...) do {						\
	if (!(cond)) {							\
		fail_cleanup();						\
		ck_abort_msg(__VA_ARGS__);				\
	}								\
} while (0)

static char *fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;
	int rc;

	va_start(ap, f);
	rc = vasprintf(&s, f, ap);
	va_end(ap);
	ck_assert_msg(rc >= 0, "out of memory");
	return s;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");
	const union MHD_DaemonInfo *di;
	struct sockaddr_in sin;

	memset(&T, 0, sizeof(T));
	pthread_mutex_init(&T.mu, NULL);
	snprintf(T.dir, sizeof(T.dir), "%s/vantage-cache.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	ck_assert_msg(mkdtemp(T.dir) != NULL, "mkdtemp %s: %s", T.dir, strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, on_request, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	ck_assert_msg(T.d != NULL, "cannot start the front door");
	di = MHD_get_daemon_info(T.d, MHD_DAEMON_INFO_BIND_PORT);
	ck_assert_msg(di != NULL, "no port");
	T.port = di->port;
}

static void
teardown(void)
{
	for (size_t i = 0; i <= NAGENTS; i++)
		if (T.started[i])
			spawn_kill(&T.procs[i]);
	if (T.d)
		MHD_stop_daemon(T.d);
	pthread_mutex_destroy(&T.mu);
	if (T.dir[0] && getenv("VANTAGE_KEEP_TMP") == NULL)
		nftw(T.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *
collector_path(void)
{
	const char *p = getenv("VANTAGE_COLLECTOR");

	return p && *p ? p : "web/vantage-collector";
}

/* Start daemon i (0: the collector) with config text; returns its port. */
static unsigned
start(size_t i, char *config)
{
	char *conf = fmt("%s/d%zu.json", T.dir, i), *pf = fmt("%s/d%zu.port", T.dir, i);
	char tag[32];
	char *argv[12];
	unsigned port;
	int n = 0;

	req(spawn_write_file(conf, config) == 0, "cannot write %s", conf);
	free(config);
	argv[n++] = (char *)(uintptr_t)(i == 0 ? collector_path() : spawn_agent_path());
	argv[n++] = (char *)"-c";
	argv[n++] = conf;
	argv[n++] = (char *)"--portfile";
	argv[n++] = pf;
	if (i == 0) {
		argv[n++] = (char *)"--evaluate-every";
		argv[n++] = (char *)"500ms";
	}
	argv[n] = NULL;
	snprintf(tag, sizeof(tag), "d%zu", i);
	req(spawn_start(&T.procs[i], T.dir, tag, argv) == 0, "cannot start %s", argv[0]);
	T.started[i] = true;
	port = spawn_wait_portfile(&T.procs[i], pf, READY_MS);
	req(port != 0, "%s did not write its port file", argv[0]);
	free(conf);
	free(pf);
	return port;
}

static char *
key_of(size_t i)
{
	return fmt("cache-test-key-0123456789-%s", agent_ids[i]);
}

static void
start_all(void)
{
	char *k0 = key_of(0), *k1 = key_of(1);

	T.cport = start(0, fmt("{\"listen\": [\"127.0.0.1:0\"], \"db\": \"%s/c.db\", "
	    "\"agents\": [{\"id\": \"%s\", \"key\": \"%s\"}, {\"id\": \"%s\", \"key\": "
	    "\"%s\"}], \"alerts\": {\"tick\": \"500ms\", \"receivers\": [{\"name\": "
	    "\"hook\", \"type\": \"webhook\", \"url\": \"http://127.0.0.1:%u/hook\"}], "
	    "\"rules\": [{\"name\": \"fd-cache\", \"type\": \"cache_hit_drop\", "
	    "\"selector\": {\"layer\": \"front_door\"}, \"window\": \"1m\", "
	    "\"threshold\": 0.5, \"min_regions\": 2, \"min_lookups\": 5, "
	    "\"receivers\": [\"hook\"]}]}}", T.dir, agent_ids[0], k0, agent_ids[1],
	    k1, T.port));
	for (size_t i = 0; i < NAGENTS; i++)
		start(i + 1, fmt("{\"agent\": {\"id\": \"%s\", \"region\": \"%s\", \"db\": "
		    "\"%s/a%zu.db\", \"listen\": \"127.0.0.1:0\"}, \"collector\": {\"url\": "
		    "\"http://127.0.0.1:%u\", \"key\": \"%s\"}, \"checks\": [{\"name\": "
		    "\"fd\", \"service\": \"micro\", \"layer\": \"front_door\", \"url\": "
		    "\"http://127.0.0.1:%u/fd\", \"interval\": \"250ms\", \"timeout\": "
		    "\"250ms\"}]}", agent_ids[i], agent_regions[i], T.dir, i, T.cport,
		    i ? k1 : k0, T.port));
	free(k0);
	free(k1);
}

/* ---- reading the collector ---- */

/* GET path from the collector as JSON (NULL on any failure). */
static json_t *
get_json(const char *path)
{
	long status = 0;
	char *body = NULL;
	json_t *j = NULL;

	if (spawn_http_get(T.cport, path, &status, &body) == 0 && status == 200)
		j = json_loads(body, 0, NULL);
	free(body);
	return j;
}

/* The rows of /api/v1/cache?from=1h&by=region: min lookups over the two
 * regions and the smallest ratio; false when a region is missing. */
static bool
regions_ratio(int64_t *min_lookups, double *min_ratio)
{
	json_t *j = get_json("/api/v1/cache?from=1h&by=region"), *row;
	size_t i, n = 0;

	*min_lookups = INT64_MAX;
	*min_ratio = 2;
	if (j == NULL)
		return false;
	json_array_foreach(json_object_get(j, "rows"), i, row) {
		json_t *r = json_object_get(row, "hit_ratio");
		int64_t l = json_integer_value(json_object_get(row, "lookups"));

		n++;
		if (l < *min_lookups)
			*min_lookups = l;
		if (json_is_number(r) && json_number_value(r) < *min_ratio)
			*min_ratio = json_number_value(r);
	}
	json_decref(j);
	return n == NAGENTS;
}

static void
check_alive(void)
{
	for (size_t i = 0; i <= NAGENTS; i++)
		req(spawn_running(&T.procs[i]), "daemon %zu died (exit %d)", i,
		    spawn_exit_code(&T.procs[i]));
}

/* Wait until *counter reaches want. */
static void
wait_counter(int *p, int want, const char *what)
{
	int64_t deadline = spawn_now_us() + (int64_t)WAIT_MS * 1000;

	while (counter(p) < want) {
		check_alive();
		req(spawn_now_us() < deadline, "waited %d ms for %s", WAIT_MS, what);
		usleep(POLL_STEP_MS * 1000);
	}
}

START_TEST(test_cache_drop_end_to_end)
{
	int64_t deadline, lookups, hits, served_hits, served_lookups;
	double ratio;
	json_t *j, *row;
	char *metrics = NULL;
	long status = 0;

	set_mode(MODE_HIT);
	start_all();
	/* cached answers: every region at 100 %, no alert */
	deadline = spawn_now_us() + (int64_t)WAIT_MS * 1000;
	while (!regions_ratio(&lookups, &ratio) || lookups < 8) {
		check_alive();
		req(spawn_now_us() < deadline, "no cache counts from both regions");
		usleep(POLL_STEP_MS * 1000);
	}
	req(ratio == 1.0, "hit ratio %g while every answer was a hit", ratio);
	usleep(1000 * 1000);	/* two ticks */
	req(counter(&T.triggers) == 0, "an alert while the cache was hit");

	/* the cache stops: the ratio falls under 0.5 in both regions */
	set_mode(MODE_MISS);
	wait_counter(&T.triggers, 1, "the trigger");
	req(regions_ratio(&lookups, &ratio) && ratio < 0.5, "triggered at ratio %g",
	    ratio);
	req(counter(&T.resolves) == 0, "resolved while missing");

	/* cached again: resolves */
	set_mode(MODE_HIT);
	wait_counter(&T.resolves, 1, "the resolve");
	usleep(1000 * 1000);
	req(counter(&T.triggers) == 1 && counter(&T.resolves) == 1,
	    "triggers %d resolves %d, want one each", counter(&T.triggers),
	    counter(&T.resolves));

	/* no cache header any more: the counts stop and must match */
	set_mode(MODE_NONE);
	pthread_mutex_lock(&T.mu);
	served_hits = T.served[MODE_HIT];
	served_lookups = T.served[MODE_HIT] + T.served[MODE_MISS];
	pthread_mutex_unlock(&T.mu);
	deadline = spawn_now_us() + (int64_t)WAIT_MS * 1000;
	for (;;) {
		j = get_json("/api/v1/cache?from=1h&by=check");
		row = j ? json_array_get(json_object_get(j, "rows"), 0) : NULL;
		hits = row ? json_integer_value(json_object_get(row, "hits")) : -1;
		lookups = row ? json_integer_value(json_object_get(row, "lookups")) : -1;
		if (row)
			req(strcmp(json_string_value(json_object_get(row, "check")), "fd")
			    == 0, "row for another check");
		json_decref(j);
		if (hits == served_hits && lookups == served_lookups)
			break;
		check_alive();
		req(spawn_now_us() < deadline, "API says %lld/%lld, served %lld/%lld",
		    (long long)hits, (long long)lookups, (long long)served_hits,
		    (long long)served_lookups);
		usleep(POLL_STEP_MS * 1000);
	}
	/* /metrics: the 5-minute gauge per region and the counters */
	deadline = spawn_now_us() + (int64_t)WAIT_MS * 1000;
	for (;;) {
		free(metrics);
		metrics = NULL;
		if (spawn_http_get(T.cport, "/metrics", &status, &metrics) == 0 &&
		    status == 200 && strstr(metrics, "vantage_check_cache_hit_ratio{"
		    "check=\"fd\",region=\"eu-central\"}") && strstr(metrics,
		    "vantage_check_cache_hit_ratio{check=\"fd\",region=\"us-east\"}"))
			break;
		req(spawn_now_us() < deadline, "no cache gauge in /metrics");
		usleep(POLL_STEP_MS * 1000);
	}
	req(strstr(metrics, "vantage_check_cache_results_total{check=\"fd\","
	    "region=\"us-east\",service=\"micro\",layer=\"front_door\",cache=\"miss\"}")
	    != NULL, "no cache counter in /metrics");
	free(metrics);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("end-to-end");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_cache_drop_end_to_end);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
