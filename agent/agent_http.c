/* agent_http: /healthz and /metrics of the agent. */
#include "config.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>
#include <microhttpd.h>

#include "agent_http.h"
#include "netaddr.h"
#include "errclass.h"
#include "promtext.h"
#include "sched.h"
#include "timeutil.h"
#include "xmalloc.h"

#define METRICS_CAP (64u * 1024 * 1024)

struct agent_http {
	struct MHD_Daemon	*d;
	struct sched		*s;
};

/* How long ago ts_ms was (0 for none or the future). */
static int64_t
age_ms(int64_t ts_ms, int64_t now_ms)
{
	return ts_ms > 0 && now_ms > ts_ms ? now_ms - ts_ms : 0;
}

/* The shipping part of /metrics; s->mu is held. */
static void
ship_metrics(struct sched *s, struct buf *b)
{
	const struct ship_stats *st = &s->ship_st;

	promtext_help(b, "vantage_agent_ship_last_success_timestamp_seconds", "gauge",
	    "When a batch was last acknowledged by the collector (0: never).");
	buf_printf(b, "vantage_agent_ship_last_success_timestamp_seconds %.3f\n",
	    (double)st->last_success_ms / 1e3);
	promtext_help(b, "vantage_agent_ship_errors_total", "counter",
	    "Failed attempts to ship a batch, by reason.");
	for (int i = 0; i < SHIP_ERR_COUNT; i++) {
		buf_printf(b, "vantage_agent_ship_errors_total{");
		promtext_label(b, "reason", ship_error_names[i], true);
		buf_printf(b, "} %lld\n", (long long)st->errors[i]);
	}
	promtext_help(b, "vantage_agent_ship_batches_total", "counter",
	    "Batches acknowledged by the collector.");
	buf_printf(b, "vantage_agent_ship_batches_total %lld\n", (long long)st->batches);
	promtext_help(b, "vantage_agent_shipped_results_total", "counter",
	    "Results acknowledged by the collector and marked shipped.");
	buf_printf(b, "vantage_agent_shipped_results_total %lld\n", (long long)st->shipped);
	promtext_help(b, "vantage_agent_ship_rejected_total", "counter",
	    "Results the collector rejected as invalid (not sent again).");
	buf_printf(b, "vantage_agent_ship_rejected_total %lld\n", (long long)st->rejected);
	promtext_help(b, "vantage_agent_checks_pull_last_success_timestamp_seconds",
	    "gauge", "When the check definitions were last pulled (0: never).");
	buf_printf(b, "vantage_agent_checks_pull_last_success_timestamp_seconds %.3f\n",
	    (double)st->pull_last_success_ms / 1e3);
	promtext_help(b, "vantage_agent_checks_pull_errors_total", "counter",
	    "Failed or refused pulls of the check definitions.");
	buf_printf(b, "vantage_agent_checks_pull_errors_total %lld\n",
	    (long long)st->pull_errors);
	promtext_help(b, "vantage_agent_checks_refused_total", "counter",
	    "Pulled check sets refused because they do not validate (the "
	    "previous set keeps running; the log says what is wrong).");
	buf_printf(b, "vantage_agent_checks_refused_total %lld\n",
	    (long long)st->pull_refused);
	promtext_help(b, "vantage_agent_checks_remote", "gauge",
	    "Checks pulled from the collector in the running config.");
	buf_printf(b, "vantage_agent_checks_remote %zu\n", s->conf->nremote);
}

void
agent_http_metrics(struct sched *s, struct buf *b)
{
	static const char *const phases[] = {
		"dns", "connect", "tls", "processing", "transfer", "total"
	};
	int64_t cum = 0, now = time_now_ms();

	pthread_mutex_lock(&s->mu);
	promtext_help(b, "vantage_agent_info", "gauge", "Agent identity and version.");
	buf_printf(b, "vantage_agent_info{");
	promtext_label(b, "agent", s->conf->id, true);
	promtext_label(b, "region", s->conf->region, false);
	promtext_label(b, "provider", s->conf->provider, false);
	promtext_label(b, "version", PACKAGE_VERSION, false);
	buf_printf(b, "} 1\n");

	promtext_help(b, "vantage_agent_check_up", "gauge",
	    "1 if the last run of the check passed, 0 if it failed.");
	for (size_t i = 0; i < s->nchecks; i++) {
		const struct check *ck = s->checks[i];
		if (ck->st.last_ok < 0)
			continue;
		buf_printf(b, "vantage_agent_check_up{");
		promtext_label(b, "check", ck->conf->name, true);
		promtext_label(b, "kind", ck->conf->kind, false);
		promtext_label(b, "service", ck->conf->service, false);
		promtext_label(b, "layer", ck->conf->layer, false);
		promtext_label(b, "provider", ck->conf->provider, false);
		buf_printf(b, "} %d\n", ck->st.last_ok);
	}
	promtext_help(b, "vantage_agent_check_phase_seconds", "gauge",
	    "Duration of each phase of the check's last run.");
	for (size_t i = 0; i < s->nchecks; i++) {
		const struct check *ck = s->checks[i];
		const int64_t v[6] = {
			ck->st.last_dns_us, ck->st.last_connect_us, ck->st.last_tls_us,
			ck->st.last_processing_us, ck->st.last_transfer_us,
			ck->st.last_total_us
		};
		if (ck->st.last_ok < 0)
			continue;
		for (int p = 0; p < 6; p++) {
			buf_printf(b, "vantage_agent_check_phase_seconds{");
			promtext_label(b, "check", ck->conf->name, true);
			promtext_label(b, "phase", phases[p], false);
			buf_printf(b, "} %.6f\n", (double)v[p] / 1e6);
		}
	}
	promtext_help(b, "vantage_agent_check_results_total", "counter",
	    "Results of the check by outcome: ok or the error class.");
	for (size_t i = 0; i < s->nchecks; i++) {
		const struct check *ck = s->checks[i];
		for (int c = 0; c < ERRCLASS_COUNT; c++) {
			if (c != ERRCLASS_NONE && ck->st.by_class[c] == 0)
				continue;
			buf_printf(b, "vantage_agent_check_results_total{");
			promtext_label(b, "check", ck->conf->name, true);
			promtext_label(b, "result", c == ERRCLASS_NONE ? "ok" :
			    errclass_name((enum errclass)c), false);
			buf_printf(b, "} %lld\n", (long long)ck->st.by_class[c]);
		}
		if (ck->st.inconclusive > 0) {
			buf_printf(b, "vantage_agent_check_results_total{");
			promtext_label(b, "check", ck->conf->name, true);
			promtext_label(b, "result", "inconclusive", false);
			buf_printf(b, "} %lld\n", (long long)ck->st.inconclusive);
		}
	}
	promtext_help(b, "vantage_agent_check_last_run_timestamp_seconds", "gauge",
	    "Start time of the check's last run.");
	for (size_t i = 0; i < s->nchecks; i++) {
		const struct check *ck = s->checks[i];
		if (ck->st.last_ok < 0)
			continue;
		buf_printf(b, "vantage_agent_check_last_run_timestamp_seconds{");
		promtext_label(b, "check", ck->conf->name, true);
		buf_printf(b, "} %.3f\n", (double)ck->st.last_ts_ms / 1e3);
	}
	promtext_help(b, "vantage_agent_check_cert_not_after_seconds", "gauge",
	    "Expiry (notAfter) of the leaf certificate seen by the check.");
	for (size_t i = 0; i < s->nchecks; i++) {
		const struct check *ck = s->checks[i];
		if (ck->st.last_cert_not_after == 0)
			continue;
		buf_printf(b, "vantage_agent_check_cert_not_after_seconds{");
		promtext_label(b, "check", ck->conf->name, true);
		buf_printf(b, "} %lld\n", (long long)ck->st.last_cert_not_after);
	}
	promtext_help(b, "vantage_agent_check_chain_not_after_seconds", "gauge",
	    "tls checks: expiry of the earliest-expiring certificate in the chain.");
	for (size_t i = 0; i < s->nchecks; i++) {
		const struct check *ck = s->checks[i];
		if (ck->st.last_chain_not_after == 0)
			continue;
		buf_printf(b, "vantage_agent_check_chain_not_after_seconds{");
		promtext_label(b, "check", ck->conf->name, true);
		buf_printf(b, "} %lld\n", (long long)ck->st.last_chain_not_after);
	}
	promtext_help(b, "vantage_agent_check_dns_ttl_seconds", "gauge",
	    "dns checks: the lowest TTL of the answers of the asked type.");
	for (size_t i = 0; i < s->nchecks; i++) {
		const struct check *ck = s->checks[i];
		if (ck->st.last_ttl < 0)
			continue;
		buf_printf(b, "vantage_agent_check_dns_ttl_seconds{");
		promtext_label(b, "check", ck->conf->name, true);
		buf_printf(b, "} %lld\n", (long long)ck->st.last_ttl);
	}
	promtext_help(b, "vantage_agent_reference_up", "gauge",
	    "1 if the reference target answered in the last round, 0 if not.");
	for (size_t i = 0; i < s->nrefs; i++) {
		const struct check *ck = s->refs[i];
		if (ck->st.last_ok < 0)
			continue;
		buf_printf(b, "vantage_agent_reference_up{");
		promtext_label(b, "target", ck->conf->name + strlen("reference "), true);
		buf_printf(b, "} %d\n", ck->st.last_ok);
	}
	promtext_help(b, "vantage_agent_network_up", "gauge",
	    "0 while every reference target fails (results are then inconclusive).");
	if (s->nrefs > 0 && s->network >= 0)
		buf_printf(b, "vantage_agent_network_up %d\n", s->network);
	promtext_help(b, "vantage_agent_inconclusive_total", "counter",
	    "Failed results marked inconclusive (the agent's own network was down).");
	buf_printf(b, "vantage_agent_inconclusive_total %lld\n",
	    (long long)s->inconclusive_total);
	promtext_help(b, "vantage_agent_checks_configured", "gauge", "Checks in the running config.");
	buf_printf(b, "vantage_agent_checks_configured %zu\n", s->nchecks);
	promtext_help(b, "vantage_agent_inflight", "gauge", "Checks running right now.");
	buf_printf(b, "vantage_agent_inflight %d\n", s->inflight);
	promtext_help(b, "vantage_agent_results_total", "counter", "Results produced.");
	buf_printf(b, "vantage_agent_results_total %lld\n", (long long)s->results_total);
	promtext_help(b, "vantage_agent_store_errors_total", "counter",
	    "Failed attempts to write results to the agent DB.");
	buf_printf(b, "vantage_agent_store_errors_total %lld\n", (long long)s->store_errors);
	promtext_help(b, "vantage_agent_outbox_rows", "gauge", "Rows in the agent DB.");
	buf_printf(b, "vantage_agent_outbox_rows %lld\n", (long long)s->rows);
	promtext_help(b, "vantage_agent_outbox_depth", "gauge", "Results waiting to be shipped.");
	buf_printf(b, "vantage_agent_outbox_depth %lld\n", (long long)s->depth);
	promtext_help(b, "vantage_agent_outbox_oldest_unshipped_age_seconds", "gauge",
	    "Age of the oldest result waiting to be shipped (0: none).");
	buf_printf(b, "vantage_agent_outbox_oldest_unshipped_age_seconds %.3f\n",
	    (double)age_ms(s->oldest_unshipped_ms, now) / 1e3);
	promtext_help(b, "vantage_agent_outbox_dropped_total", "counter",
	    "Results lost before shipping (retention cap or DB failure).");
	buf_printf(b, "vantage_agent_outbox_dropped_total %lld\n", (long long)s->dropped_total);
	promtext_help(b, "vantage_agent_outbox_capped_total", "counter",
	    "Rows removed because agent.retention.max_rows was reached.");
	buf_printf(b, "vantage_agent_outbox_capped_total %lld\n", (long long)s->capped_total);
	promtext_help(b, "vantage_agent_outbox_expired_total", "counter",
	    "Rows removed by age (agent.retention.shipped).");
	buf_printf(b, "vantage_agent_outbox_expired_total %lld\n", (long long)s->expired_total);
	promtext_help(b, "vantage_agent_config_reloads_total", "counter",
	    "Config reloads (SIGHUP) by result.");
	buf_printf(b, "vantage_agent_config_reloads_total{result=\"ok\"} %lld\n",
	    (long long)s->reloads_ok);
	buf_printf(b, "vantage_agent_config_reloads_total{result=\"error\"} %lld\n",
	    (long long)s->reloads_failed);
	ship_metrics(s, b);
	promtext_help(b, "vantage_agent_schedule_lateness_seconds", "histogram",
	    "How late each run started after its due time.");
	for (int i = 0; i < SCHED_LATENESS_BUCKETS; i++) {
		cum += s->late_counts[i];
		buf_printf(b, "vantage_agent_schedule_lateness_seconds_bucket{le=\"%g\"} %lld\n",
		    sched_lateness_bounds[i], (long long)cum);
	}
	buf_printf(b, "vantage_agent_schedule_lateness_seconds_bucket{le=\"+Inf\"} %lld\n",
	    (long long)s->late_n);
	buf_printf(b, "vantage_agent_schedule_lateness_seconds_sum %.6f\n", s->late_sum);
	buf_printf(b, "vantage_agent_schedule_lateness_seconds_count %lld\n",
	    (long long)s->late_n);
	promtext_help(b, "vantage_agent_last_loop_timestamp_seconds", "gauge",
	    "When the probe loop last went round.");
	buf_printf(b, "vantage_agent_last_loop_timestamp_seconds %.3f\n",
	    (double)s->last_loop_ms / 1e3);
	promtext_help(b, "vantage_agent_start_time_seconds", "gauge", "When the agent started.");
	buf_printf(b, "vantage_agent_start_time_seconds %.3f\n", (double)s->started_ms / 1e3);
	pthread_mutex_unlock(&s->mu);
}

#define LOOP_STALL_MS 10000

void
agent_http_health(struct sched *s, struct buf *out, int *http_status)
{
	json_t *o = json_object();
	int64_t now = time_now_ms(), up = 0, down = 0, age, ship_errors = 0;
	char *txt;

	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->nchecks; i++) {
		if (s->checks[i]->st.last_ok == 1)
			up++;
		else if (s->checks[i]->st.last_ok == 0)
			down++;
	}
	age = now - s->last_loop_ms;
	json_object_set_new(o, "status", json_string(age > LOOP_STALL_MS ?
	    "stalled" : "ok"));
	json_object_set_new(o, "up", json_boolean(age <= LOOP_STALL_MS));
	json_object_set_new(o, "agent", json_string(s->conf->id));
	json_object_set_new(o, "region", s->conf->region ?
	    json_string(s->conf->region) : json_null());
	json_object_set_new(o, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(o, "checks", json_integer((json_int_t)s->nchecks));
	json_object_set_new(o, "checks_up", json_integer(up));
	json_object_set_new(o, "checks_down", json_integer(down));
	json_object_set_new(o, "inflight", json_integer(s->inflight));
	json_object_set_new(o, "last_loop", json_integer(s->last_loop_ms));
	json_object_set_new(o, "last_loop_age_ms", json_integer(age));
	json_object_set_new(o, "results", json_integer(s->results_total));
	json_object_set_new(o, "outbox_depth", json_integer(s->depth));
	json_object_set_new(o, "outbox_rows", json_integer(s->rows));
	json_object_set_new(o, "outbox_dropped", json_integer(s->dropped_total));
	json_object_set_new(o, "outbox_oldest_unshipped_age_ms",
	    json_integer(age_ms(s->oldest_unshipped_ms, now)));
	json_object_set_new(o, "store_errors", json_integer(s->store_errors));
	json_object_set_new(o, "collector", s->ship_st.url ?
	    json_string(s->ship_st.url) : json_null());
	json_object_set_new(o, "last_ship", s->ship_st.last_success_ms ?
	    json_integer(s->ship_st.last_success_ms) : json_null());
	for (int i = 0; i < SHIP_ERR_COUNT; i++)
		ship_errors += s->ship_st.errors[i];
	json_object_set_new(o, "ship_errors", json_integer(ship_errors));
	json_object_set_new(o, "checks_remote", json_integer((json_int_t)s->conf->nremote));
	json_object_set_new(o, "network", s->nrefs == 0 || s->network < 0 ? json_null() :
	    json_string(s->network ? "up" : "down"));
	json_object_set_new(o, "inconclusive", json_integer(s->inconclusive_total));
	json_object_set_new(o, "uptime_s", json_integer((now - s->started_ms) / 1000));
	pthread_mutex_unlock(&s->mu);
	*http_status = age > LOOP_STALL_MS ? 503 : 200;
	txt = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	buf_printf(out, "%s\n", txt ? txt : "{}");
	free(txt);
	json_decref(o);
}

static enum MHD_Result
reply(struct MHD_Connection *conn, int status, const char *type, struct buf *b)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = b->len;
	char *data = buf_steal(b);

	r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req)
{
	struct agent_http *h = cls;
	struct buf b;
	int status = 200;

	buf_init(&b, METRICS_CAP);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		buf_printf(&b, "{\"error\":\"method not allowed\"}\n");
		return reply(conn, 405, "application/json", &b);
	}
	if (strcmp(url, "/healthz") == 0) {
		agent_http_health(h->s, &b, &status);
		return reply(conn, status, "application/json", &b);
	}
	if (strcmp(url, "/metrics") == 0) {
		agent_http_metrics(h->s, &b);
		return reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
	}
	buf_printf(&b, "{\"error\":\"not found: try /healthz or /metrics\"}\n");
	return reply(conn, 404, "application/json", &b);
}

struct agent_http *
agent_http_start(const char *addr, struct sched *s, unsigned *port,
    char *err, size_t errlen)
{
	struct agent_http *h = xcalloc(1, sizeof(*h));
	struct addrinfo hints, *ai = NULL;
	const union MHD_DaemonInfo *di;
	char host[256], portstr[8];
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	int rc;

	h->s = s;
	if (netaddr_split(addr, host, sizeof(host), port) < 0) {
		snprintf(err, errlen, "bad listen address \"%s\" (want host:port)", addr);
		goto fail;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(portstr, sizeof(portstr), "%u", *port);
	if ((rc = getaddrinfo(host, portstr, &hints, &ai)) != 0) {
		snprintf(err, errlen, "listen address \"%s\": %s", addr, gai_strerror(rc));
		goto fail;
	}
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->d = MHD_start_daemon(flags, (uint16_t)*port, NULL, NULL, on_request, h,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_END);
	freeaddrinfo(ai);
	if (h->d == NULL) {
		snprintf(err, errlen, "cannot listen on %s (address in use or "
		    "not permitted?)", addr);
		goto fail;
	}
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	if (di)
		*port = di->port;
	return h;
fail:
	agent_http_stop(h);
	return NULL;
}

void
agent_http_stop(struct agent_http *h)
{
	if (h == NULL)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	free(h);
}
