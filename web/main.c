/* vantage-collector: command line, signals and wiring. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "alert.h"
#include "alertconf.h"
#include "collector.h"
#include "deliver.h"
#include "engine.h"
#include "http.h"
#include "imetrics.h"
#include "jarena.h"
#include "log.h"
#include "reload.h"
#include "timeutil.h"

#define DEFAULT_CONFIG "/etc/vantage/collector.json"

static volatile sig_atomic_t got_stop, got_hup;

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: vantage-collector [-c FILE] [--check-config] [options]\n"
"\n"
"Receive signed result batches from vantage-agents, keep them in SQLite with\n"
"rollups, compute SLOs and serve the JSON API, /metrics and /healthz.\n"
"\n"
"  -c, --config FILE     collector config (JSON; default " DEFAULT_CONFIG ")\n"
"      --check-config    validate the config, print a summary, exit 0 or 2\n"
"      --portfile FILE   write the bound port(s), one per line, once listening\n"
"                        (use with listen \"127.0.0.1:0\")\n"
"      --evaluate-every D  how often the SLO engine runs (default 15s)\n"
"      --test-receiver NAME  send a test notification to alerts.receivers NAME,\n"
"                        print the outcome, exit 0 (delivered) or 1\n"
"      --log-level LVL   error, warn, info (default) or debug\n"
"  -h, --help            this help\n"
"  -V, --version         print the version and exit\n"
"\n"
"SIGTERM/SIGINT: finish requests in flight and exit 0 (within 2 s).\n"
"SIGHUP: read the config again; a valid one replaces the running one\n"
"(checks, SLOs, alert rules, receivers, agents and keys); an invalid one is\n"
"logged and the running one stays. listen, tls and db need a restart.\n"
"Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad config.\n"
"Docs: man vantage-collector, README.md; config schema: collector.schema.json\n"
"(share/vantage/ when installed, dist/ in the source tree)\n");
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

/* Start the deliverer and the alert rules' thread when the config has
 * rules and they do not run yet. 0 or -1. */
static int
start_alerting(struct collector *c, struct alerter **alerter, char *err,
    size_t errlen)
{
	if (*alerter != NULL || c->conf->alerts == NULL ||
	    c->conf->alerts->nrules == 0)
		return 0;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->curl_init = true;
	if ((c->deliver = deliver_start(c, err, errlen)) == NULL ||
	    (*alerter = alert_new(c, err, errlen)) == NULL ||
	    alert_start(*alerter, err, errlen) < 0)
		return -1;
	/* from now on each stored batch wakes it (web/ingest.c) */
	__atomic_store_n(&c->alerter, *alerter, __ATOMIC_RELEASE);
	log_info("alerting: %zu rules, %zu receivers, tick %lld ms",
	    c->conf->alerts->nrules, c->conf->alerts->nreceivers,
	    (long long)c->conf->alerts->tick_ms);
	return 0;
}

static int
write_portfile(const char *path, const unsigned *ports, size_t n)
{
	char tmp[4096];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%u\n", ports[i]);
	if (fclose(fp) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "portfile", required_argument, NULL, 'p' },
		{ "evaluate-every", required_argument, NULL, 'e' },
		{ "test-receiver", required_argument, NULL, 't' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config = DEFAULT_CONFIG, *portfile = NULL, *test_receiver = NULL;
	struct alerter *alerter = NULL;
	enum log_level level = LOG_INFO;
	struct collector c;
	struct http_server *http = NULL;
	struct engine *eng = NULL;
	struct sigaction sa;
	unsigned *ports = NULL;
	bool check_only = false;
	int64_t every = 15000;
	char err[512];
	int ch, rc = 1, rc2;

	while ((ch = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'n': check_only = true; break;
		case 'p': portfile = optarg; break;
		case 't': test_receiver = optarg; break;
		case 'e':
			if (duration_parse(optarg, &every, err, sizeof(err)) < 0 ||
			    every < 100) {
				fprintf(stderr, "vantage-collector: --evaluate-every: %s\n",
				    every < 100 ? "at least 100ms" : err);
				return 2;
			}
			break;
		case 'l':
			if (log_level_parse(optarg, &level) < 0) {
				fprintf(stderr, "vantage-collector: --log-level: want error, "
				    "warn, info or debug, not \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vantage-collector %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vantage-collector: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	log_init("vantage-collector", level);
	jarena_install();
	memset(&c, 0, sizeof(c));
	if ((c.conf = collconf_load(config)) == NULL)
		return 2;
	if (test_receiver) {
		const struct receiver_config *rcv = alertconf_receiver(c.conf->alerts,
		    test_receiver);
		char out[512];

		if (rcv == NULL) {
			fprintf(stderr, "vantage-collector: no receiver named \"%s\" in "
			    "alerts.receivers of %s\n", test_receiver, config);
			collconf_free(c.conf);
			return 2;
		}
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc2 = deliver_test(rcv, out, sizeof(out));
		printf("%s\n", out);
		curl_global_cleanup();
		collconf_free(c.conf);
		return rc2 == 0 ? 0 : 1;
	}
	if (check_only) {
		printf("%s: OK: %zu listen addresses, %zu agents, %zu checks, %zu SLOs\n",
		    config, c.conf->nlisten, c.conf->nagents, c.conf->nchecks,
		    c.conf->nslos);
		collconf_free(c.conf);
		return 0;
	}
	log_debug("SQLite %s, libmicrohttpd %s, jansson %s, %s", sqlite3_libversion(),
	    MHD_get_version(), JANSSON_VERSION, OpenSSL_version(OPENSSL_VERSION));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	c.started_ms = time_now_ms();
	c.evaluate_every_ms = every;
	pthread_mutex_init(&c.snap_mu, NULL);
	pthread_mutex_init(&c.stat_mu, NULL);
	{
		/* a reload waits for the readers in flight, not for every
		 * reader still to come */
		pthread_rwlockattr_t ra;

		pthread_rwlockattr_init(&ra);
		pthread_rwlockattr_setkind_np(&ra,
		    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&c.conf_lock, &ra);
		pthread_rwlockattr_destroy(&ra);
	}
	c.im = imetrics_new();
	if ((c.st = store_open(c.conf->db, 6, err, sizeof(err))) == NULL) {
		log_error("collector DB: %s", err);
		goto out;
	}
	{
		int64_t thr[STORE_MAX_THRESHOLDS];
		size_t nthr = collconf_thresholds(c.conf, thr, STORE_MAX_THRESHOLDS);

		if (store_set_thresholds(c.st, thr, nthr, err, sizeof(err)) < 0) {
			log_error("collector DB: %s", err);
			goto out;
		}
	}
	/* the engine's first evaluation runs in its thread; wait for it a
	 * little (instant on small DBs) but never let a big DB keep the
	 * listener closed: until then the SLO endpoints answer 503 */
	if ((eng = engine_start(&c, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		goto out;
	}
	c.eng = eng;
	for (int i = 0; i < 200 && !got_stop; i++) {
		struct slo_snapshot *snap = engine_snapshot(&c);

		if (snap != NULL) {
			engine_snapshot_put(&c, snap);
			break;
		}
		usleep(10000);
	}
	ports = calloc(c.conf->nlisten, sizeof(*ports));
	if ((http = http_start(&c, ports, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		goto out;
	}
	for (size_t i = 0; i < c.conf->nlisten; i++)
		log_info("listening on %s (port %u)%s", c.conf->listen[i], ports[i],
		    c.conf->tls_cert ? " with TLS" : "");
	if (portfile && write_portfile(portfile, ports, c.conf->nlisten) < 0) {
		log_error("cannot write port file %s: %s", portfile, strerror(errno));
		goto out;
	}
	if (start_alerting(&c, &alerter, err, sizeof(err)) < 0) {
		log_error("alerting: %s", err);
		goto out;
	}
	log_info("vantage-collector %s: %zu agents, %zu checks, %zu SLOs, DB %s",
	    PACKAGE_VERSION, c.conf->nagents, c.conf->nchecks, c.conf->nslos,
	    c.conf->db);
	while (!got_stop) {
		sleep(1);	/* a signal cuts the sleep short */
		if (got_hup && !got_stop) {
			got_hup = 0;
			log_info("SIGHUP: reading %s again", config);
			if (reload_config(&c, config, err, sizeof(err)) < 0)
				log_error("reload: %s", err);
			else if (start_alerting(&c, &alerter, err, sizeof(err)) < 0)
				log_error("alerting: %s", err);
		}
	}
	log_info("stopping");
	rc = 0;
out:
	c.stopping = 1;
	/* an evaluation in flight gives up first: it may be reading a month */
	engine_stop(eng);
	c.eng = NULL;
	http_stop(http);
	__atomic_store_n(&c.alerter, NULL, __ATOMIC_RELEASE);
	alert_free(alerter);
	deliver_stop(c.deliver);
	if (c.curl_init)
		curl_global_cleanup();
	store_close(c.st);
	if (c.snap)
		engine_snapshot_put(&c, c.snap);
	imetrics_free(c.im);
	free(ports);
	collconf_free(c.conf);
	return rc;
}
