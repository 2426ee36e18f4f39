/* vantage-agent: command line, signals and wiring; the work is in sched.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "agent_http.h"
#include "agentconf.h"
#include "log.h"
#include "outbox.h"
#include "sched.h"
#include "ship.h"

#define DEFAULT_CONFIG "/etc/vantage/agent.json"

static volatile sig_atomic_t got_stop, got_reload;
static int wake_pipe[2] = { -1, -1 };

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: vantage-agent [-c FILE] [--once | --check-config] [options]\n"
"\n"
"Probe HTTP(S), TLS, TCP and DNS targets and deployed assets on a schedule\n"
"from this region, store every result in SQLite (the outbox), ship the\n"
"results to the collector (if the config has a \"collector\") and serve\n"
"/healthz and /metrics on agent.listen.\n"
"\n"
"  -c, --config FILE     agent config (JSON; default " DEFAULT_CONFIG ")\n"
"      --check-config    validate the config, print a summary, exit 0 or 2\n"
"      --once            run every check once, print one JSON result per\n"
"                        line on stdout, store them, exit (1: DB not written);\n"
"                        nothing is shipped: the rows go at the next start\n"
"      --portfile FILE   write the bound /metrics port here once listening\n"
"                        (use with listen \"127.0.0.1:0\")\n"
"      --log-level LVL   error, warn, info (default) or debug\n"
"  -h, --help            this help\n"
"  -V, --version         print the version and exit\n"
"\n"
"Signals: SIGHUP reloads the config (a bad one is refused, the old keeps\n"
"running); SIGTERM/SIGINT stop after in-flight checks finish and are stored.\n"
"Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad config.\n"
"Docs: man vantage-agent, README.md; config schema: agent.schema.json\n"
"(share/vantage/ when installed, dist/ in the source tree)\n");
}

static void
on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGHUP)
		got_reload = 1;
	else
		got_stop = 1;
	if (wake_pipe[1] >= 0)
		(void)!write(wake_pipe[1], "x", 1);
	errno = saved;
}

static int
setup_signals(void)
{
	struct sigaction sa;

	if (pipe(wake_pipe) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		fcntl(wake_pipe[i], F_SETFL, fcntl(wake_pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* Many checks in flight need many sockets: lift the soft limit. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
write_portfile(const char *path, unsigned port)
{
	char tmp[4096];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(fp, "%u\n", port);
	if (fclose(fp) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

static void
print_result(void *ctx, const struct result *r)
{
	char *line = result_to_line(r);

	fputs(line, stdout);
	fputc('\n', stdout);
	free(line);
}

struct reload_ctx {
	const char	*config;
	struct ship	*ship;		/* NULL: standalone */
};

/* SIGHUP: the file again, plus the checks last pulled from the collector */
static struct agent_config *
reload_config(void *arg)
{
	struct reload_ctx *rc = arg;
	struct agent_config *ac = agentconf_load(rc->config), *m;

	if (ac == NULL || rc->ship == NULL)
		return ac;
	m = ship_merge_config(rc->ship, ac);
	agentconf_free(ac);
	return m;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "once", no_argument, NULL, 'o' },
		{ "portfile", required_argument, NULL, 'p' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config = DEFAULT_CONFIG, *portfile = NULL;
	bool check_only = false, once = false;
	enum log_level level = LOG_INFO;
	struct agent_config *ac;
	struct outbox *ob = NULL;
	struct sched *s = NULL;
	struct agent_http *http = NULL;
	struct ship *ship = NULL;
	char err[512];
	int ch, rc = 1;

	while ((ch = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'n': check_only = true; break;
		case 'o': once = true; break;
		case 'p': portfile = optarg; break;
		case 'l':
			if (log_level_parse(optarg, &level) < 0) {
				fprintf(stderr, "vantage-agent: --log-level: want error, "
				    "warn, info or debug, not \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vantage-agent %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vantage-agent: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (check_only && once) {
		fprintf(stderr, "vantage-agent: --check-config and --once exclude each other\n");
		return 2;
	}
	log_init("vantage-agent", level);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "vantage-agent: curl_global_init failed\n");
		return 1;
	}
	if ((ac = agentconf_load(config)) == NULL) {
		curl_global_cleanup();
		return 2;
	}
	if (check_only) {
		printf("%s: OK: agent %s, %zu checks%s%s\n", config, ac->id,
		    ac->nchecks, ac->collector ? ", shipping to " : "",
		    ac->collector ? ac->collector->url : "");
		agentconf_free(ac);
		curl_global_cleanup();
		return 0;
	}
	log_debug("libcurl %s, SQLite %s, libmicrohttpd %s, jansson %s, %s",
	    curl_version_info(CURLVERSION_NOW)->version, sqlite3_libversion(),
	    MHD_get_version(), JANSSON_VERSION, OpenSSL_version(OPENSSL_VERSION));
	raise_fd_limit();
	if (setup_signals() < 0) {
		log_error("cannot set up signal handling: %s", strerror(errno));
		goto out;
	}
	if ((ob = outbox_open(ac->db, ac->collector == NULL, err, sizeof(err))) == NULL) {
		log_error("agent DB: %s", err);
		agentconf_free(ac);
		goto out;
	}
	if (ac->collector) {
		struct agent_config *m;

		if ((ship = ship_new(ac, ob, err, sizeof(err))) == NULL) {
			log_error("%s", err);
			agentconf_free(ac);
			goto out;
		}
		/* the checks pulled before, so a restart while the collector is
		 * down still runs them */
		if ((m = ship_merge_config(ship, ac)) != NULL) {
			agentconf_free(ac);
			ac = m;
		}
		if (ac->nremote > 0)
			log_info("%zu checks pulled from the collector earlier (kept in "
			    "the agent DB)", ac->nremote);
		if (ac->nchecks == 0 && !once)
			log_info("no checks yet: waiting for the collector's");
	}
	if ((s = sched_new(ac, ob, wake_pipe[0], err, sizeof(err))) == NULL) {
		log_error("%s", err);
		agentconf_free(ac);
		goto out;
	}
	if (once) {
		/* --once stores and does not ship: the daemon ships the rows */
		s->on_stored = print_result;
		rc = sched_run_once(s) == 0 ? 0 : 1;
		fflush(stdout);
		goto out;
	}
	sched_set_ship(s, ship);
	if (ac->listen) {
		unsigned port = 0;

		if ((http = agent_http_start(ac->listen, s, &port, err, sizeof(err))) == NULL) {
			log_error("%s", err);
			goto out;
		}
		log_info("serving /healthz and /metrics on %s (port %u)", ac->listen, port);
		if (portfile && write_portfile(portfile, port) < 0) {
			log_error("cannot write port file %s: %s", portfile, strerror(errno));
			goto out;
		}
	} else if (portfile)
		log_warn("--portfile given but agent.listen is not set: no port to write");
	log_info("vantage-agent %s: agent %s, region %s, DB %s, %s%s", PACKAGE_VERSION,
	    ac->id, ac->region ? ac->region : "-", ac->db,
	    ship ? "shipping to " : "standalone (no collector)",
	    ship ? ac->collector->url : "");
	{
		struct reload_ctx rctx = { config, ship };
		struct sched_hooks hooks = { &got_stop, &got_reload, reload_config,
		    &rctx };
		rc = sched_run(s, &hooks);
	}
out:
	agent_http_stop(http);
	sched_free(s);
	ship_free(ship);
	outbox_close(ob);
	curl_global_cleanup();
	return rc;
}
