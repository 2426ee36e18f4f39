/* ingest: signed, idempotent batches from agents. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "cache.h"
#include "collector.h"
#include "imetrics.h"
#include "jarena.h"
#include "ingest.h"
#include "log.h"
#include "record.h"
#include "sign.h"
#include "store.h"
#include "store_results.h"
#include "timeutil.h"
#include "xmalloc.h"

#define INGEST_MAX_RESULTS	20000
#define INGEST_BUSY_MS		2000	/* then 503: the agent retries */
#define FUTURE_SLACK_MS		(SIGN_MAX_SKEW_S * 1000LL)

/* Verify the Authorization header; on failure fill resp (401) and return
 * NULL, else the agent's key entry. */
static const struct agent_key *
authenticate(struct collector *c, struct http_request *r, struct http_response *resp)
{
	struct sign_auth a;
	const struct agent_key *ak;
	char err[256];

	if (sign_parse(http_header(r, "Authorization"), &a, err, sizeof(err)) < 0) {
		http_error(resp, 401, "%s", err);
		return NULL;
	}
	if ((ak = collconf_agent(c->conf, a.agent)) == NULL) {
		http_error(resp, 401, "unknown agent \"%s\" (add it to the collector's "
		    "agents[])", a.agent);
		return NULL;
	}
	if (sign_verify(&a, ak->key, ak->keylen, r->method, r->path,
	    r->body.data, r->body.len, time_now_ms() / 1000, err, sizeof(err)) < 0) {
		http_error(resp, 401, "agent \"%s\": %s", a.agent, err);
		return NULL;
	}
	return ak;
}

/* What the batch says about its agent. The region is the batch's "region",
 * else that of its first result that has one (every record carries it). */
static void
agent_report(json_t *root, const char *agent, struct agent_report *rep)
{
	json_t *v, *rec;
	size_t i;

	memset(rep, 0, sizeof(*rep));
	rep->id = agent;
	if (json_is_string(v = json_object_get(root, "region")))
		rep->region = json_string_value(v);
	json_array_foreach(json_object_get(root, "results"), i, rec) {
		if (rep->region != NULL)
			break;
		if (json_is_string(v = json_object_get(rec, "region")))
			rep->region = json_string_value(v);
	}
	if (json_is_string(v = json_object_get(root, "provider")))
		rep->provider = json_string_value(v);
	if (json_is_string(v = json_object_get(root, "version")))
		rep->version = json_string_value(v);
	if (json_is_integer(v = json_object_get(root, "outbox_depth")))
		rep->outbox_depth = json_integer_value(v);
	if (json_is_integer(v = json_object_get(root, "oldest_unshipped")))
		rep->oldest_unshipped = json_integer_value(v);
}

static void
count(struct collector *c, int64_t *field)
{
	pthread_mutex_lock(&c->stat_mu);
	(*field)++;
	pthread_mutex_unlock(&c->stat_mu);
}

/* Count the stored records in the ingest metrics (/metrics). */
static void
count_stored(struct collector *c, const struct agent_report *rep,
    const struct record *recs, const bool *stored, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct record *x = &recs[i];

		if (!stored[i])
			continue;
		if (x->inconclusive && !x->ok) {
			imetrics_add_inconclusive(c->im, x->check, rep->region,
			    x->service, x->layer);
			continue;
		}
		imetrics_add(c->im, x->check, rep->region, x->service, x->layer,
		    x->ok, x->error_class, x->total_us);
		/* lenient: an unknown value (a newer agent's) counts as
		 * "unknown" */
		if (x->text[RT_CACHE] != NULL)
			imetrics_add_cache(c->im, x->check, rep->region, x->service,
			    x->layer, cache_status_parse(x->text[RT_CACHE]));
	}
}

void
ingest_handle(struct collector *c, struct http_request *r, struct http_response *resp)
{
	const struct agent_key *ak;
	struct agent_report rep;
	struct record *recs = NULL;
	bool *stored = NULL;
	json_t *root = NULL, *results, *rec, *acked, *rejected, *answer;
	json_error_t je;
	char err[512];
	size_t n, i, nrecs = 0, nstored = 0;
	int64_t now = time_now_ms();
	int rc;

	if ((ak = authenticate(c, r, resp)) == NULL) {
		count(c, &c->ingest_unauthorized);
		return;
	}
	/* the batch's JSON, the records borrowing from it and the rejections
	 * all die with this request: one arena, emptied by the next one */
	jarena_begin();
	root = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &je);
	if (root == NULL || !json_is_object(root)) {
		count(c, &c->ingest_malformed);
		if (root == NULL)
			http_error(resp, 400, "malformed JSON at line %d, column %d: %s",
			    je.line, je.column, je.text);
		else
			http_error(resp, 400, "the batch must be a JSON object");
		goto out;
	}
	if (!json_is_array(results = json_object_get(root, "results"))) {
		count(c, &c->ingest_malformed);
		http_error(resp, 400, "results: missing or not a list");
		goto out;
	}
	if ((n = json_array_size(results)) > INGEST_MAX_RESULTS) {
		count(c, &c->ingest_malformed);
		http_error(resp, 413, "%zu results in one batch; at most %d", n,
		    INGEST_MAX_RESULTS);
		goto out;
	}
	if (json_object_get(root, "agent") && (!json_is_string(json_object_get(root,
	    "agent")) || strcmp(json_string_value(json_object_get(root, "agent")),
	    ak->id) != 0)) {
		count(c, &c->ingest_malformed);
		http_error(resp, 400, "agent: the batch says a different agent than "
		    "the signature (%s)", ak->id);
		goto out;
	}
	agent_report(root, ak->id, &rep);
	recs = xcalloc(n + 1, sizeof(*recs));
	stored = xcalloc(n + 1, sizeof(*stored));
	rejected = json_array();
	/* the records borrow their strings from root, kept until out */
	json_array_foreach(results, i, rec) {
		if (record_parse(rec, ak->id, rep.region, now + FUTURE_SLACK_MS,
		    &recs[nrecs], err, sizeof(err)) < 0) {
			json_t *seq = json_object_get(rec, "seq");
			json_array_append_new(rejected, json_pack("{s:I,s:O?,s:s}",
			    "index", (json_int_t)i, "seq", json_is_integer(seq) ? seq : NULL,
			    "error", err));
			continue;
		}
		nrecs++;
	}
	rc = nrecs > 0 ? store_ingest(c->st, &rep, recs, nrecs, stored,
	    INGEST_BUSY_MS, err, sizeof(err)) : 0;
	if (rc == -2) {
		count(c, &c->ingest_busy);
		json_decref(rejected);
		resp->retry_after = 2;
		http_error(resp, 503, "database busy; nothing stored, retry later");
		goto out;
	}
	if (rc < 0) {
		log_error("ingest from %s: %s", ak->id, err);
		json_decref(rejected);
		http_error(resp, 500, "storing the batch failed; nothing stored: %s", err);
		goto out;
	}
	count_stored(c, &rep, recs, stored, nrecs);
	jarena_end();
	acked = json_array();
	for (i = 0; i < nrecs; i++) {
		json_array_append_new(acked, json_integer(recs[i].seq));
		if (stored[i])
			nstored++;
	}
	/* new runs may decide a rule: the alerter looks at them now, not at
	 * its next tick (a resent batch decides nothing new) */
	if (nstored > 0)
		alert_wake(__atomic_load_n(&c->alerter, __ATOMIC_ACQUIRE));
	/* rejected results are acknowledged too: resending cannot fix them */
	for (i = 0; i < json_array_size(rejected); i++) {
		json_t *seq = json_object_get(json_array_get(rejected, i), "seq");
		if (json_is_integer(seq))
			json_array_append(acked, seq);
	}
	if (json_array_size(rejected) > 0) {
		log_warn("ingest from %s: %zu of %zu results rejected (first: %s)",
		    ak->id, json_array_size(rejected), n, json_string_value(
		    json_object_get(json_array_get(rejected, 0), "error")));
		pthread_mutex_lock(&c->stat_mu);
		c->ingest_rejected += (int64_t)json_array_size(rejected);
		pthread_mutex_unlock(&c->stat_mu);
	}
	count(c, &c->ingest_ok);
	answer = json_pack("{s:o,s:I,s:I,s:o}", "acked", acked,
	    "stored", (json_int_t)nstored, "duplicates", (json_int_t)(nrecs - nstored),
	    "rejected", rejected);
	http_json(resp, 200, answer);
out:
	jarena_end();
	for (i = 0; recs && i < nrecs; i++)
		record_clear(&recs[i]);
	free(recs);
	free(stored);
	json_decref(root);
}

static bool
in_list(char **list, size_t n, const char *v)
{
	if (list == NULL)
		return true;
	for (size_t i = 0; v && i < n; i++)
		if (strcmp(list[i], v) == 0)
			return true;
	return false;
}

struct region_buf {
	char	*out;
	size_t	 outlen;
	bool	 found;
};

static int
copy_region(const struct agent_row *a, void *arg)
{
	struct region_buf *b = arg;

	if (a->region != NULL) {
		snprintf(b->out, b->outlen, "%s", a->region);
		b->found = true;
	}
	return 0;
}

/* The region the agent reported in its batches, or NULL. */
static const char *
known_region(struct collector *c, const char *agent, char *out, size_t outlen)
{
	struct region_buf b = { out, outlen, false };
	char err[256];

	if (store_agent_get(c->st, agent, copy_region, &b, err, sizeof(err)) < 0) {
		log_warn("agent checks for %s: %s", agent, err);
		return NULL;
	}
	return b.found ? out : NULL;
}

void
ingest_agent_checks(struct collector *c, struct http_request *r,
    struct http_response *resp)
{
	const struct agent_key *ak;
	const char *region = http_query(r, "region"), *inm;
	json_t *arr, *answer;
	char *txt, hash[SIGN_HEX_LEN + 1], known[128];

	if ((ak = authenticate(c, r, resp)) == NULL)
		return;
	arr = json_array();
	if (region == NULL)
		region = known_region(c, ak->id, known, sizeof(known));
	for (size_t i = 0; i < c->conf->nchecks; i++) {
		const struct remote_check *rc = &c->conf->rchecks[i];
		if (in_list(rc->agents, rc->nagents, ak->id) &&
		    (rc->regions == NULL || in_list(rc->regions, rc->nregions, region)))
			json_array_append(arr, rc->def);
	}
	answer = json_pack("{s:o}", "checks", arr);
	txt = json_dumps(answer, JSON_COMPACT | JSON_SORT_KEYS);
	sign_sha256_hex(txt ? txt : "", txt ? strlen(txt) : 0, hash);
	free(txt);
	snprintf(resp->etag, sizeof(resp->etag), "\"%.32s\"", hash);
	inm = http_header(r, "If-None-Match");
	if (inm && strcmp(inm, resp->etag) == 0) {
		json_decref(answer);
		resp->status = 304;
		resp->type = "application/json";
		buf_reset(&resp->body);
		return;
	}
	http_json(resp, 200, answer);
}
