/* deliver: the notification queue's curl multi loop (one owner of it). */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "alertconf.h"
#include "buf.h"
#include "collector.h"
#include "deliver.h"
#include "log.h"
#include "store_alerts.h"
#include "timeutil.h"
#include "xmalloc.h"

#define MAX_INFLIGHT	32
#define RESP_CAP	4096
#define BACKOFF_BASE_MS	1000
#define BACKOFF_CAP_MS	300000
#define REMARK_MAX	4096	/* outcomes waiting to be recorded, at most */
#define ABANDONED	"the collector stopped while sending; not resent (at most once)"

struct job {
	int64_t			 id;
	int			 attempts, max_attempts;
	char			*receiver;
	struct notify_request	 req;
	CURL			*easy;
	char			 errbuf[CURL_ERROR_SIZE];
	struct buf		 resp;
	int64_t			 retry_after_s;
	struct job		*next;
};

/* An outcome the store could not record yet (the DB busy past its
 * timeout): retried every turn. Its delivery stays "sending" meanwhile,
 * so it is never claimed, let alone sent, again. */
struct remark {
	int64_t		 id, next_at, attempts, at;
	long		 http;
	char		*status, *error;
	struct remark	*next;
};

struct deliverer {
	struct collector	*c;
	CURLM			*multi;
	pthread_t		 th;
	volatile int		 stop;
	struct job		*jobs;
	int			 inflight;
	unsigned		 seed;
	struct remark		*remarks;
	size_t			 nremarks;
};

int64_t
deliver_backoff_ms(int attempts, int64_t retry_after_s, unsigned *seed)
{
	int64_t d = BACKOFF_BASE_MS;

	if (retry_after_s > 0)
		return (retry_after_s > 3600 ? 3600 : retry_after_s) * 1000;
	for (int i = 1; i < attempts && d < BACKOFF_CAP_MS; i++)
		d *= 2;
	if (d > BACKOFF_CAP_MS)
		d = BACKOFF_CAP_MS;
	return d / 2 + (int64_t)((double)rand_r(seed) / RAND_MAX * (double)(d / 2));
}

static const char *
str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

void
deliver_notification(json_t *o, struct notification *n)
{
	memset(n, 0, sizeof(*n));
	n->event = str(o, "event") ? str(o, "event") : "trigger";
	n->incident_id = str(o, "incident_id") ? str(o, "incident_id") : "inc-0";
	n->rule = str(o, "rule") ? str(o, "rule") : "";
	n->rule_type = str(o, "rule_type");
	n->severity = str(o, "severity") ? str(o, "severity") : "info";
	n->title = str(o, "title") ? str(o, "title") : "";
	n->summary = str(o, "summary") ? str(o, "summary") : "";
	n->context = str(o, "context");
	n->service = str(o, "service");
	n->layer = str(o, "layer");
	n->check = str(o, "check");
	n->slo = str(o, "slo");
	n->agent = str(o, "agent");
	n->started_at = json_integer_value(json_object_get(o, "started_at"));
	n->resolved_at = json_integer_value(json_object_get(o, "resolved_at"));
	n->now = json_integer_value(json_object_get(o, "now"));
	n->details = json_object_get(o, "details");
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct job *j = arg;

	buf_append(&j->resp, p, size * n);
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct job *j = arg;
	size_t len = size * n;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		const char *v = p + 12;
		while (*v == ' ')
			v++;
		if (isdigit((unsigned char)*v))
			j->retry_after_s = strtoll(v, NULL, 10);
		else {
			/* an HTTP date */
			char tmp[64];
			size_t k = 0;
			while (k + 1 < sizeof(tmp) && v[k] && v[k] != '\r' && v[k] != '\n') {
				tmp[k] = v[k];
				k++;
			}
			tmp[k] = '\0';
			time_t t = curl_getdate(tmp, NULL);
			if (t > 0 && t > time(NULL))
				j->retry_after_s = (int64_t)(t - time(NULL));
		}
	}
	return len;
}

/* Fill an easy handle for a request; 0 or -1. */
static int
setup_easy(CURL *e, struct notify_request *req, int64_t timeout_ms, char *errbuf,
    void *job)
{
	if (curl_easy_setopt(e, CURLOPT_URL, req->url) != CURLE_OK)
		return -1;
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body ? req->body : "");
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)(req->body ? strlen(req->body) : 0));
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "vantage-collector/" PACKAGE_VERSION);
	if (job) {
		curl_easy_setopt(e, CURLOPT_PRIVATE, job);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, job);
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, job);
	}
	return 0;
}

static void
remark_free(struct remark *m)
{
	free(m->status);
	free(m->error);
	free(m);
}

/* Record the outcome of a claimed delivery; when the store cannot, keep it
 * to retry (the delivery stays "sending": never sent twice). */
static void
mark(struct deliverer *d, int64_t id, const char *status, long http, const char *error,
    int64_t next_at, int attempts)
{
	int64_t now = time_now_ms();
	struct remark *m;
	char err[256];
	int rc;

	if ((rc = store_delivery_mark(d->c->st, id, status, http, error, next_at,
	    attempts, now, err, sizeof(err))) >= 0) {
		if (rc > 0)
			log_error("delivery %lld: recording \"%s\": %s", (long long)id,
			    status, err);
		return;
	}
	log_error("delivery %lld: recording \"%s\": %s%s", (long long)id, status, err,
	    d->nremarks < REMARK_MAX ? "; will retry" : "");
	if (d->nremarks >= REMARK_MAX)
		return;
	m = xcalloc(1, sizeof(*m));
	m->id = id;
	m->status = xstrdup(status);
	m->http = http;
	m->error = error ? xstrdup(error) : NULL;
	m->next_at = next_at;
	m->attempts = attempts;
	m->at = now;
	m->next = d->remarks;
	d->remarks = m;
	d->nremarks++;
}

/* Retry the outcomes not recorded yet, until the store fails again (then
 * the next turn: one busy wait per turn at most). */
static void
remarks_retry(struct deliverer *d)
{
	char err[256];

	while (d->remarks) {
		struct remark *m = d->remarks;

		if (store_delivery_mark(d->c->st, m->id, m->status, m->http, m->error,
		    m->next_at, m->attempts, m->at, err, sizeof(err)) < 0)
			return;
		/* recorded, or no longer ours to record (1): done either way */
		d->remarks = m->next;
		d->nremarks--;
		remark_free(m);
	}
}

static void
job_free(struct job *j)
{
	notify_request_clear(&j->req);
	buf_free(&j->resp);
	free(j->receiver);
	free(j);
}

/* Start the request of one claimed delivery (already "sending"). */
static int
start_one(const struct delivery_row *row, void *arg)
{
	struct deliverer *d = arg;
	const struct alerts_config *ac = d->c->conf->alerts;
	const struct receiver_config *rc = alertconf_receiver(ac, row->receiver);
	json_t *payload = json_loads(row->payload, 0, NULL);
	int attempts = (int)row->attempts;
	int64_t now = time_now_ms();
	struct notification n;
	struct job *j;
	char err[256];

	if (rc == NULL || payload == NULL) {
		mark(d, row->id, "failed", 0, rc ? "stored notification unreadable" :
		    "receiver no longer configured", 0, attempts - 1);
		json_decref(payload);
		return 0;
	}
	j = xcalloc(1, sizeof(*j));
	j->id = row->id;
	j->attempts = attempts;
	j->max_attempts = rc->max_attempts > 0 ? rc->max_attempts : 8;
	j->receiver = xstrdup(row->receiver);
	buf_init(&j->resp, RESP_CAP);
	deliver_notification(payload, &n);
	n.now = now;	/* sent now: signatures and timestamps are fresh */
	if (notify_build(rc, &n, &j->req, err, sizeof(err)) < 0) {
		mark(d, row->id, "failed", 0, err, 0, attempts);
		log_error("delivery %lld to %s: %s", (long long)row->id, row->receiver, err);
		json_decref(payload);
		job_free(j);
		return 0;
	}
	json_decref(payload);
	if ((j->easy = curl_easy_init()) == NULL ||
	    setup_easy(j->easy, &j->req, rc->timeout_ms > 0 ? rc->timeout_ms : 10000,
	    j->errbuf, j) < 0 || curl_multi_add_handle(d->multi, j->easy) != CURLM_OK) {
		if (j->easy)
			curl_easy_cleanup(j->easy);
		/* nothing went out: back in the queue, this attempt not counted */
		mark(d, row->id, "pending", 0, "could not start the request", now + 5000,
		    attempts - 1);
		job_free(j);
		return 0;
	}
	j->next = d->jobs;
	d->jobs = j;
	d->inflight++;
	return 0;
}

/* Claim the due deliveries and start them: the claim marks them "sending"
 * in one transaction before any request starts, so a delivery is sent at
 * most once however busy the DB is (no claim, no request). */
static void
start_due(struct deliverer *d)
{
	char err[256];

	if (d->inflight >= MAX_INFLIGHT)
		return;
	if (store_deliveries_claim(d->c->st, time_now_ms(), (size_t)(MAX_INFLIGHT -
	    d->inflight), start_one, d, err, sizeof(err)) < 0)
		log_error("deliveries: %s", err);
}

static void
finish(struct deliverer *d, CURL *e, CURLcode code)
{
	struct job *j = NULL, **pp;
	long http = 0;
	char msg[300];
	bool retry;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&j);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &http);
	curl_multi_remove_handle(d->multi, e);
	curl_easy_cleanup(e);
	for (pp = &d->jobs; *pp && *pp != j; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = j->next;
	d->inflight--;
	if (code == CURLE_OK && http >= 200 && http < 300) {
		mark(d, j->id, "sent", http, NULL, 0, j->attempts);
		log_info("notification %lld delivered to %s (HTTP %ld, attempt %d)",
		    (long long)j->id, j->receiver, http, j->attempts);
		job_free(j);
		return;
	}
	if (code != CURLE_OK) {
		snprintf(msg, sizeof(msg), "%s", j->errbuf[0] ? j->errbuf :
		    curl_easy_strerror(code));
		retry = true;		/* connect errors, timeouts */
	} else {
		size_t n;

		snprintf(msg, sizeof(msg), "HTTP %ld: %.200s", http,
		    j->resp.data ? j->resp.data : "");
		/* the answer's excerpt goes into one log line and last_error */
		for (char *p = msg; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		for (n = strlen(msg); n > 0 && msg[n - 1] == ' '; n--)
			msg[n - 1] = '\0';
		if (n > 0 && msg[n - 1] == ':')
			msg[n - 1] = '\0';
		retry = http == 429 || http >= 500;
	}
	if (retry && j->attempts < j->max_attempts) {
		int64_t delay = deliver_backoff_ms(j->attempts, http == 429 ||
		    http == 503 ? j->retry_after_s : 0, &d->seed);
		mark(d, j->id, "pending", http, msg, time_now_ms() + delay, j->attempts);
		log_warn("notification %lld to %s failed (%s); retry %d in %lld ms",
		    (long long)j->id, j->receiver, msg, j->attempts + 1, (long long)delay);
	} else {
		mark(d, j->id, "failed", http, msg, 0, j->attempts);
		log_error("notification %lld to %s failed for good after %d attempt%s: %s",
		    (long long)j->id, j->receiver, j->attempts, j->attempts == 1 ? "" : "s",
		    msg);
	}
	job_free(j);
}

static int64_t
next_due(struct deliverer *d)
{
	int64_t t = 0;
	char err[256];

	if (store_deliveries_next_due(d->c->st, &t, err, sizeof(err)) < 0) {
		log_error("deliveries: %s", err);
		return 0;
	}
	return t;
}

static void *
deliver_main(void *arg)
{
	struct deliverer *d = arg;

	while (!d->stop || d->inflight > 0) {
		CURLMsg *m;
		int running, left, ms = 1000;
		int64_t due;

		if (d->remarks)
			remarks_retry(d);
		if (!d->stop) {
			/* the receivers' settings stay put while requests are
			 * built (a SIGHUP waits for it) */
			collector_conf_read(d->c);
			start_due(d);
			collector_conf_done(d->c);
		}
		curl_multi_perform(d->multi, &running);
		while ((m = curl_multi_info_read(d->multi, &left)) != NULL)
			if (m->msg == CURLMSG_DONE)
				finish(d, m->easy_handle, m->data.result);
		if (d->stop && d->inflight == 0)
			break;
		due = next_due(d);
		if (due > 0 && d->inflight < MAX_INFLIGHT) {
			int64_t wait = due - time_now_ms();
			if (wait < ms)
				ms = wait < 0 ? 0 : (int)wait;
		}
		if (d->remarks && ms > 200)
			ms = 200;
		curl_multi_poll(d->multi, NULL, 0, ms, NULL);
	}
	return NULL;
}

struct deliverer *
deliver_start(struct collector *c, char *err, size_t errlen)
{
	struct deliverer *d = xcalloc(1, sizeof(*d));
	char e[256];
	int n;

	d->c = c;
	d->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	if (c->st == NULL) {
		snprintf(err, errlen, "deliveries: no store");
		goto fail;
	}
	if ((n = store_deliveries_abandon_sending(c->st, ABANDONED, e,
	    sizeof(e))) < 0) {
		snprintf(err, errlen, "deliveries: %s", e);
		goto fail;
	}
	if (n > 0)
		log_warn("deliveries: %d left \"sending\" by the last run marked failed, "
		    "not resent (at most once)", n);
	if ((d->multi = curl_multi_init()) == NULL) {
		snprintf(err, errlen, "curl_multi_init failed");
		goto fail;
	}
	if (pthread_create(&d->th, NULL, deliver_main, d) != 0) {
		snprintf(err, errlen, "cannot start the delivery thread");
		goto fail;
	}
	return d;
fail:
	if (d->multi)
		curl_multi_cleanup(d->multi);
	free(d);
	return NULL;
}

void
deliver_wake(struct deliverer *d)
{
	if (d && d->multi)
		curl_multi_wakeup(d->multi);
}

void
deliver_stop(struct deliverer *d)
{
	if (d == NULL)
		return;
	d->stop = 1;
	curl_multi_wakeup(d->multi);
	pthread_join(d->th, NULL);
	while (d->jobs) {
		struct job *j = d->jobs;
		d->jobs = j->next;
		job_free(j);
	}
	curl_multi_cleanup(d->multi);
	/* outcomes still not recorded: their deliveries stay "sending" and
	 * are marked failed at the next start, never resent */
	remarks_retry(d);
	while (d->remarks) {
		struct remark *m = d->remarks;
		d->remarks = m->next;
		log_error("delivery %lld: outcome \"%s\" not recorded", (long long)m->id,
		    m->status);
		remark_free(m);
	}
	free(d);
}

int
deliver_test(const struct receiver_config *rc, char *out, size_t outlen)
{
	struct notification n;
	struct notify_request req = { 0 };
	struct job j;
	char err[256];
	long http = 0;
	CURLcode code;
	CURL *e;
	int rc2 = -1;

	memset(&n, 0, sizeof(n));
	n.event = "test";
	n.incident_id = "inc-test";
	n.rule = "vantage-test";
	n.rule_type = "test";
	n.severity = "info";
	n.title = "[TEST] vantage test notification";
	n.summary = "This is a test sent by vantage-collector --test-receiver. "
	    "Nothing is wrong.";
	n.started_at = n.now = time_now_ms();
	if (notify_build(rc, &n, &req, err, sizeof(err)) < 0) {
		snprintf(out, outlen, "%s: cannot build the request: %s", rc->name, err);
		return -1;
	}
	memset(&j, 0, sizeof(j));
	buf_init(&j.resp, RESP_CAP);
	if ((e = curl_easy_init()) == NULL) {
		snprintf(out, outlen, "%s: curl_easy_init failed", rc->name);
		goto out;
	}
	setup_easy(e, &req, rc->timeout_ms > 0 ? rc->timeout_ms : 10000, j.errbuf, NULL);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &j);
	code = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &http);
	curl_easy_cleanup(e);
	if (code != CURLE_OK)
		snprintf(out, outlen, "%s (%s): FAILED: %s", rc->name, rc->kind->name,
		    j.errbuf[0] ? j.errbuf : curl_easy_strerror(code));
	else if (http < 200 || http >= 300)
		snprintf(out, outlen, "%s (%s): FAILED: HTTP %ld: %.200s", rc->name,
		    rc->kind->name, http, j.resp.data ? j.resp.data : "");
	else {
		snprintf(out, outlen, "%s (%s): delivered (HTTP %ld)", rc->name,
		    rc->kind->name, http);
		rc2 = 0;
	}
out:
	buf_free(&j.resp);
	notify_request_clear(&req);
	return rc2;
}
